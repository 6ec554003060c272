/*
 * dirjson.c - fuzz target: the directory import JSON (rg_directory_import)
 * into a fresh directory of the shipped services.
 *
 * When an import is taken, every user it left is asked up to a bound of
 * privileges three ways: through the stack with a reason, through the
 * snapshot's decision table (RG_CHECK_NO_REASON, as tests/check_fastpath.c
 * compares them), and in one rg_check_batch(); all three must agree.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define ERR_LEN      1024
#define ORACLE_PRIVS 64
#define ORACLE_USERS 32
#define ID_LEN       256

struct users {
	char service[ID_LEN];
	char ids[ORACLE_USERS][ID_LEN];
	size_t n;
};

static int add_user(void *user, const rg_user_info *u)
{
	struct users *us = user;

	if (us->n == ORACLE_USERS)
		return 1;
	snprintf(us->ids[us->n++], ID_LEN, "%s", u->id);
	return 0;
}

static void oracle(rg_context *ctx, const rg_service *svc)
{
	static struct users us;
	rg_request reqs[ORACLE_PRIVS];
	rg_result results[ORACLE_PRIVS];
	int statuses[ORACLE_PRIVS];
	size_t u, p, np = rg_privilege_count(svc);

	if (np > ORACLE_PRIVS)
		np = ORACLE_PRIVS;
	memset(&us, 0, sizeof(us));
	rg_user_list(ctx, rg_service_name(svc), add_user, &us);
	for (u = 0; u < us.n; u++) {
		fuzz_requests(svc, us.ids[u], NULL, reqs, np);
		rg_check_batch(ctx, reqs, np, RG_CHECK_NO_REASON, results,
		               statuses);
		for (p = 0; p < np; p++) {
			rg_decision full, fast;
			int sf = rg_check(ctx, &reqs[p], 0, &full);
			int sq =
			    rg_check(ctx, &reqs[p], RG_CHECK_NO_REASON, &fast);

			if (full.result != fast.result || sf != sq ||
			    full.result != results[p] || sf != statuses[p])
				fuzz_fail("%s %s %s: stack %d (%d), table %d "
				          "(%d), batch %d (%d)",
				          reqs[p].service, us.ids[u],
				          reqs[p].action, full.result, sf,
				          fast.result, sq, results[p],
				          statuses[p]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char conf[4096], db[4096], err[ERR_LEN];
	const char *json, *path;
	rg_context *ctx;
	size_t i;
	int n;

	snprintf(db, sizeof(db), "%s/directory.db", fuzz_dir());
	unlink(db);
	/* The shipped services, each on its shipped files. */
	n = snprintf(conf, sizeof(conf),
	             "[service dynamics365]\nstack = required dynamics365 "
	             "policy=%1$s/dynamics365-2021.ini "
	             "tenant=%1$s/dynamics365-tenant.ini\n"
	             "[service rocketchat]\nstack = required rocketchat "
	             "policy=%1$s/rocketchat.ini edition=enterprise "
	             "tenant=%1$s/rocketchat-tenant.ini\n"
	             "[service omni24]\nstack = required omni24 "
	             "policy=%1$s/omni24.ini\n",
	             fuzz_policies());
	path = fuzz_file("rolegate.conf", conf, (size_t)n);
	json = fuzz_file("import.json", data, size);
	ctx = fuzz_open(path, db, NULL, NULL, NULL);
	if (!ctx)
		fuzz_fail("the shipped services do not open on %s", db);
	if (rg_directory_import(ctx, json, RG_IMPORT_REPLACE, "fuzz", NULL,
	                        NULL, err, sizeof(err)) == RG_OK &&
	    rg_directory_refresh(ctx) == RG_OK) {
		for (i = 0; i < rg_service_count(ctx); i++)
			oracle(ctx, rg_service_at(ctx, i));
	}
	rg_close(ctx);
	return 0;
}
