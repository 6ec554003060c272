/*
 * dirjson.c - fuzz target: the directory import JSON (rg_directory_import)
 * into a fresh directory of the shipped services.
 *
 * When an import is taken, every user it left is asked up to a bound of
 * privileges three ways: through the stack with a reason, through the
 * snapshot's decision table (RG_CHECK_NO_REASON, as tests/check_fastpath.c
 * compares them), and in one rg_check_batch(); all three must agree.
 * Then the first users are asked with one scope attribute (owner=, bu=,
 * department=) set to each of a few values the import itself holds (ids,
 * attributes, memberships): the whole stack (a trace always runs it), a
 * check with a reason, which the compiled scopes' reasons may answer
 * (plugin ABI 1.7), and one without must give the same decision.
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
/* The scoped checks' bounds: users, privileges and values per user. */
#define SCOPE_USERS  6
#define SCOPE_PRIVS  16
#define SCOPE_VALUES 12

struct users {
	char service[ID_LEN];
	char ids[ORACLE_USERS][ID_LEN];
	size_t n;
	/* Values to scope checks with: what the users hold. */
	char values[SCOPE_VALUES][ID_LEN];
	size_t nvalues;
};

static void add_value(struct users *us, const char *v)
{
	if (us->nvalues < SCOPE_VALUES && v)
		snprintf(us->values[us->nvalues++], ID_LEN, "%s", v);
}

static int add_user(void *user, const rg_user_info *u)
{
	struct users *us = user;
	size_t i;

	if (us->n == ORACLE_USERS)
		return 1;
	snprintf(us->ids[us->n++], ID_LEN, "%s", u->id);
	add_value(us, u->id);
	for (i = 0; i < u->nattrs; i++)
		add_value(us, u->attr_values[i]);
	for (i = 0; i < u->nmembers; i++)
		add_value(us, u->member_names[i]);
	return 0;
}

/* The attribute each shipped service scopes its privileges by. */
static const char *scope_key(const char *service)
{
	if (strcmp(service, "dynamics365") == 0)
		return "bu";
	if (strcmp(service, "rocketchat") == 0)
		return "department";
	return "owner";
}

/* req with one attribute a: the stack's decision (a trace), with a reason,
 * and without one, must agree field by field (the last on the result). */
static void scope_oracle(rg_context *ctx, const rg_request *req,
                         const rg_attr *a)
{
	static rg_decision full, why, fast;
	rg_request r = *req;
	int sf, sw, sq;

	r.attrs = a;
	r.nattrs = 1;
	sf = rg_check(ctx, &r, RG_CHECK_TRACE, &full);
	sw = rg_check(ctx, &r, 0, &why);
	sq = rg_check(ctx, &r, RG_CHECK_NO_REASON, &fast);
	if (sf != sw || sf != sq || full.result != why.result ||
	    full.result != fast.result || full.status != why.status ||
	    strcmp(full.role, why.role) != 0 ||
	    strcmp(full.missing, why.missing) != 0 ||
	    strcmp(full.reason, why.reason) != 0)
		fuzz_fail("%s %s %s %s=%s: stack %d (%d) [%s/%s] '%s', with "
		          "a reason %d (%d) [%s/%s] '%s', without %d (%d)",
		          r.service, r.subject.user, r.action, a->key, a->value,
		          full.result, sf, full.role, full.missing, full.reason,
		          why.result, sw, why.role, why.missing, why.reason,
		          fast.result, sq);
}

/* The first users, a scope attribute of each value the users hold. */
static void scope_oracles(rg_context *ctx, const rg_service *svc,
                          const struct users *us)
{
	rg_request reqs[SCOPE_PRIVS];
	size_t u, p, v, np = rg_privilege_count(svc);
	rg_attr a;

	if (np > SCOPE_PRIVS)
		np = SCOPE_PRIVS;
	a.key = scope_key(rg_service_name(svc));
	for (u = 0; u < us->n && u < SCOPE_USERS; u++) {
		fuzz_requests(svc, us->ids[u], NULL, reqs, np);
		for (p = 0; p < np; p++)
			for (v = 0; v <= us->nvalues; v++) {
				/* The empty value, then the users'. */
				a.value = v ? us->values[v - 1] : "";
				scope_oracle(ctx, &reqs[p], &a);
			}
	}
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
	scope_oracles(ctx, svc, &us);
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
