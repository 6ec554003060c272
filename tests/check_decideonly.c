/*
 * check_decideonly.c - a program that only decides links librolegate alone.
 *
 * This suite is linked with librolegate and nothing of the store: not
 * librolegate-directory, SQLite or jansson (tests/Makemodule.am), as a
 * gateway embedding the library would be.  It asks:
 *  - without a directory, checks are answered and none of the store's
 *    libraries is ever loaded into the process;
 *  - with a directory (the committed database of an older release), the
 *    library loads the store on demand and answers by user id from it,
 *    exactly as the command-line tests find (tests/cli/migrate.sh);
 *  - a directory named but unreadable is a diagnostic naming the file,
 *    and checks by user id deny.
 * Each test runs in its own process (Check's fork mode), so what one loads
 * is not seen by the next.
 *
 * Environment (set by make check): ROLEGATE_TEST_PLUGINS, ROLEGATE_POLICIES
 * and top_srcdir.
 */
#define _GNU_SOURCE
#include <check.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

#include "private/rg_prim.h"

#include "testutil.h"

#define V1_DATABASE "tests/data/directory-v1.db"

/* The libraries a decide-only process must not load unless it has a
 * directory. */
static const char *const store_libs[] = {
    "librolegate-directory.so",
    "libsqlite3.so",
    "libjansson.so",
};

struct loaded {
	const char *name; /* a file name's start, without the directory */
	int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *user)
{
	struct loaded *l = user;
	const char *base = strrchr(info->dlpi_name, '/');

	(void)size;
	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, l->name, strlen(l->name)) == 0)
		l->found = 1;
	return l->found;
}

/* 1 when an object whose file name starts with name is loaded. */
static int is_loaded(const char *name)
{
	struct loaded l = {name, 0};

	dl_iterate_phdr(find_object, &l);
	return l.found;
}

static struct tu_env env;

static void setup(void)
{
	tu_env_setup(&env);
	tu_add_plugins(&env, "rbac", "dynamics365", NULL);
}

static void teardown(void)
{
	tu_env_teardown(&env);
}

/* A copy of the older release's database in the test's directory. */
static char *v1_copy(void)
{
	char *src = tu_join(tu_getenv("top_srcdir"), V1_DATABASE);
	char *dst = tu_join(env.dir, "directory.db");

	tu_copy(src, dst, 0600);
	free(src);
	return dst;
}

START_TEST(test_no_directory_loads_no_store)
{
	rg_decision d;
	size_t i;

	/* The default directory, state_dir/directory.db, is not there. */
	tu_open(&env,
	        "[rolegate]\n"
	        "state_dir = %s\n"
	        "[service crm]\n"
	        "stack = required rbac policy=%s/example-rbac.ini\n",
	        env.dir, TU_POLICIES);
	ck_assert_int_eq(rg_directory_available(env.ctx), 0);
	ck_assert_int_eq(
	    tu_check(env.ctx, "crm", "@viewer", "ticket.view", 0, &d), RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
	/* Unknown users are denied: there is no directory to know them. */
	ck_assert_int_eq(
	    tu_check(env.ctx, "crm", "alice", "ticket.view", 0, &d),
	    RG_ENOUSER);
	ck_assert_int_eq(d.result, RG_DENY);
	for (i = 0; i < RG_COUNTOF(store_libs); i++)
		ck_assert_msg(!is_loaded(store_libs[i]),
		              "%s was loaded by a context without a directory",
		              store_libs[i]);
}
END_TEST

/* The older release's directory answers, from a store loaded on demand. */
static void v1_answers(void)
{
	rg_decision d;

	ck_assert_int_eq(rg_directory_available(env.ctx), 1);
	ck_assert(is_loaded("librolegate-directory.so"));
	ck_assert(is_loaded("libsqlite3.so"));
	/* As tests/cli/migrate.sh finds with the command-line tool: alice is
	 * a basic user in sales. */
	ck_assert_int_eq(tu_check(env.ctx, "dyn", "alice", "queue.view", 0, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_int_eq(tu_check(env.ctx, "dyn", "alice", "queue.view",
	                          RG_CHECK_NO_REASON, &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_int_eq(
	    tu_check(env.ctx, "dyn", "nobody", "queue.view", 0, &d),
	    RG_ENOUSER);
	ck_assert_int_eq(d.result, RG_DENY);
}

START_TEST(test_named_directory_loads_store)
{
	char *db = v1_copy();

	ck_assert_msg(!is_loaded("librolegate-directory.so"),
	              "the store was loaded before any context");
	tu_open(&env,
	        "[rolegate]\n"
	        "directory = %s\n"
	        "[service dyn]\n"
	        "stack = required dynamics365 "
	        "policy=%s/dynamics365-2021.ini\n",
	        db, TU_POLICIES);
	v1_answers();
	free(db);
}
END_TEST

START_TEST(test_default_directory_loads_store)
{
	char *db = v1_copy(); /* state_dir/directory.db */

	tu_open(&env,
	        "[rolegate]\n"
	        "state_dir = %s\n"
	        "[service dyn]\n"
	        "stack = required dynamics365 "
	        "policy=%s/dynamics365-2021.ini\n",
	        env.dir, TU_POLICIES);
	v1_answers();
	free(db);
}
END_TEST

START_TEST(test_unreadable_directory_denies)
{
	char *junk =
	    tu_write(env.dir, "junk.db", 0600, "%s", "not a database\n");
	char *conf = tu_strdupf("[rolegate]\n"
	                        "directory = %s\n"
	                        "[service dyn]\n"
	                        "stack = required dynamics365 "
	                        "policy=%s/dynamics365-2021.ini\n",
	                        junk, TU_POLICIES);
	rg_decision d;
	int rc;

	rc = tu_open_text(&env, env.plugin_dir, conf);
	ck_assert_msg(rc == RG_OK && env.ctx, "rg_open: %s", env.errbuf);
	/* The store found no database there: a diagnostic of the
	 * configuration names the file, and users are unknown. */
	ck_assert_int_eq(rg_directory_available(env.ctx), 0);
	ck_assert_msg(
	    tu_diag_find(env.ctx, "junk.db", "not a database", NULL) >= 0,
	    "no diagnostic names the file: %s", tu_diag_dump(env.ctx));
	ck_assert_int_eq(tu_check(env.ctx, "dyn", "alice", "queue.view", 0, &d),
	                 RG_ENOUSER);
	ck_assert_int_eq(d.result, RG_DENY);
	free(conf);
	free(junk);
}
END_TEST

static Suite *decideonly_suite(void)
{
	Suite *s = suite_create("decideonly");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_directory_loads_no_store);
	tcase_add_test(tc, test_named_directory_loads_store);
	tcase_add_test(tc, test_default_directory_loads_store);
	tcase_add_test(tc, test_unreadable_directory_denies);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(decideonly_suite)
