/*
 * check_vocab.c - the directory vocabulary plugins declare (ABI 1.5):
 * what the shipped products and the test plugin "site" (a product the core
 * knows nothing of) declare, as rg_vocab_at() lists it; a name two entries
 * of one service declare alike is one entry, declared otherwise it fails
 * the second entry closed with a diagnostic naming both; each kind of bad
 * declaration is refused with its own diagnostic.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "testutil.h"

#define RG_MSG_LEN 256

static struct tu_env env;

static void setup(void)
{
	tu_env_setup(&env);
	tu_add_plugins(&env, "site", "rocketchat", "dynamics365", NULL);
}

static void teardown(void)
{
	tu_env_teardown(&env);
}

static const rg_service *open_one(const char *stack)
{
	const rg_service *svc;

	tu_open(&env, "[service s]\n%s", stack);
	svc = rg_service_find(env.ctx, "s");
	ck_assert_ptr_nonnull(svc);
	return svc;
}

/* The entry what/kind/name, which must exist. */
static rg_vocab_info info_of(const rg_service *svc, rg_vocab_what what,
                             const char *kind, const char *name)
{
	rg_vocab_info in;
	long i = rg_vocab_find(svc, what, kind, name);

	ck_assert_msg(i >= 0, "%s is not declared", name);
	ck_assert_int_eq(rg_vocab_at(svc, (size_t)i, &in, sizeof(in)), RG_OK);
	ck_assert_int_eq(in.what, what);
	ck_assert_str_eq(in.name, name);
	return in;
}

static int decide(const char *subject, const char *action)
{
	rg_request req;

	tu_request(&req, "s", subject, action);
	return rg_allowed(env.ctx, &req);
}

START_TEST(test_rocketchat_vocabulary)
{
	const rg_service *svc =
	    open_one("stack = required rocketchat policy=" TU_POLICIES
	             "/rocketchat.ini edition=enterprise\n");
	rg_vocab_info in;

	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "%s",
	              tu_diag_dump(env.ctx));
	in = info_of(svc, RG_VOCAB_ORG_KIND, NULL, "unit");
	ck_assert_ptr_null(in.parent);
	ck_assert_uint_eq(in.flags, RG_ORG_MEMBERS);
	ck_assert_str_eq(in.plugin, "rocketchat");
	in = info_of(svc, RG_VOCAB_ORG_KIND, NULL, "department");
	ck_assert_str_eq(in.parent, "unit");
	ck_assert_str_eq(in.parent_attr, "unit");
	/* No noun declared: the kind's own name. */
	ck_assert_str_eq(in.noun, "department");
	in = info_of(svc, RG_VOCAB_ORG_ATTR, "department", "max_chats");
	ck_assert_int_eq(in.type, RG_ATTR_INTEGER);
	ck_assert_int_eq(in.min, 0);
	in = info_of(svc, RG_VOCAB_USER_ATTR, NULL, "status");
	ck_assert_int_eq(in.type, RG_ATTR_ENUM);
	ck_assert_str_eq(in.values, "available,unavailable");
	in = info_of(svc, RG_VOCAB_USER_ATTR, NULL, "max_chats");
	ck_assert_int_eq(in.type, RG_ATTR_INTEGER);
	in = info_of(svc, RG_VOCAB_SETTING, NULL, "default_max_chats");
	ck_assert_int_eq(in.type, RG_ATTR_INTEGER);
	in = info_of(svc, RG_VOCAB_WORKFLOW, NULL, "agent");
	ck_assert_str_eq(in.role, "livechat-agent");
	ck_assert_str_eq(in.kind, "department");
	ck_assert_str_eq(in.attrs, "status,max_chats");
	in = info_of(svc, RG_VOCAB_WORKFLOW, NULL, "monitor");
	ck_assert_str_eq(in.role, "livechat-monitor");
	ck_assert_str_eq(in.kind, "unit");
	in = info_of(svc, RG_VOCAB_WORKFLOW, NULL, "manager");
	ck_assert_ptr_null(in.kind);
	ck_assert_int_eq(rg_vocab_find(svc, RG_VOCAB_ORG_KIND, NULL, "bu"), -1);
	ck_assert_int_eq(
	    rg_vocab_find(svc, RG_VOCAB_ORG_ATTR, "unit", "max_chats"), -1);
}
END_TEST

START_TEST(test_dynamics_vocabulary)
{
	const rg_service *svc =
	    open_one("stack = required dynamics365 policy=" TU_POLICIES
	             "/dynamics365-2021.ini\n");
	rg_vocab_info in;

	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "%s",
	              tu_diag_dump(env.ctx));
	in = info_of(svc, RG_VOCAB_ORG_KIND, NULL, "bu");
	ck_assert_str_eq(in.parent, "bu");
	ck_assert_str_eq(in.parent_attr, "parent");
	ck_assert_uint_eq(in.flags, RG_ORG_SINGLE_ROOT);
	/* The word the CLI's messages use for an entry. */
	ck_assert_str_eq(in.noun, "business unit");
	in = info_of(svc, RG_VOCAB_USER_ATTR, NULL, "bu");
	ck_assert_int_eq(in.type, RG_ATTR_REF);
	ck_assert_str_eq(in.ref, "bu");
	/* Owner teams: each in a business unit, with members and roles. */
	in = info_of(svc, RG_VOCAB_ORG_KIND, NULL, "team");
	ck_assert_str_eq(in.parent, "bu");
	ck_assert_str_eq(in.parent_attr, "bu");
	ck_assert_uint_eq(in.flags, RG_ORG_PARENT_REQUIRED | RG_ORG_MEMBERS);
	ck_assert_str_eq(in.noun, "team");
	in = info_of(svc, RG_VOCAB_ORG_ATTR, "team", "roles");
	ck_assert_int_eq(in.type, RG_ATTR_TEXT);
	ck_assert_uint_eq(rg_vocab_count(svc), 4);
}
END_TEST

/* The union of two products' vocabularies in one service. */
START_TEST(test_union_of_plugins)
{
	const rg_service *svc =
	    open_one("stack = required site\n"
	             "stack = required dynamics365 policy=" TU_POLICIES
	             "/dynamics365-2021.ini\n");

	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "%s",
	              tu_diag_dump(env.ctx));
	ck_assert_str_eq(info_of(svc, RG_VOCAB_ORG_KIND, NULL, "site").plugin,
	                 "site");
	ck_assert_str_eq(info_of(svc, RG_VOCAB_ORG_KIND, NULL, "bu").plugin,
	                 "dynamics365");
	ck_assert_str_eq(
	    info_of(svc, RG_VOCAB_USER_ATTR, NULL, "clearance").help,
	    "a guard's clearance, 1 to 5");
	ck_assert_str_eq(info_of(svc, RG_VOCAB_ORG_ATTR, "site", "region").kind,
	                 "site");
	ck_assert_uint_eq(rg_vocab_count(svc), 11);
}
END_TEST

START_TEST(test_same_declaration_twice)
{
	const rg_service *svc = open_one("stack = required site\n"
	                                 "stack = optional site roles=no\n");

	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "%s",
	              tu_diag_dump(env.ctx));
	ck_assert_uint_eq(rg_vocab_count(svc), 7);
	ck_assert_int_eq(decide("@guard", "door.open"), 1);
}
END_TEST

START_TEST(test_conflict_fails_closed)
{
	const rg_service *svc =
	    open_one("stack = required site\n"
	             "stack = required site variant=flat roles=no\n");

	ck_assert_msg(tu_diag_find(env.ctx, "rolegate.conf:3",
	                           "declares organisation kind 'site'",
	                           "plugin 'site' (", "rolegate.conf:2",
	                           "declared it otherwise", NULL) >= 0,
	              "%s", tu_diag_dump(env.ctx));
	/* The first declaration stands; the service denies everything. */
	ck_assert_str_eq(info_of(svc, RG_VOCAB_ORG_KIND, NULL, "site").parent,
	                 "site");
	ck_assert_int_eq(decide("@guard", "door.open"), 0);
}
END_TEST

static const struct bad_case {
	const char *arg;
	const char *diag;
} bad_cases[] = {
    {"enum", "setting 'door_policy': an enum needs values"},
    {"ref", "user attribute 'site': it refers to an undeclared kind"},
    {"size", "user attribute 'clearance': no spec, or too small"},
    {"name", "user attribute 'name': the name is the core's own"},
    {"flow", "workflow 'guard': its kind is not declared with members"},
    {"attrkind", "organisation attribute 'region': its kind is not"},
    {"type", "user attribute 'clearance': unknown type"},
    {"orgname", "organisation attribute 'kind': the name is the core's own"},
    {"usersvc", "user attribute 'service': the name is the core's own"},
};
#define NBAD RG_COUNTOF(bad_cases)

START_TEST(test_bad_declaration)
{
	const struct bad_case *b = &bad_cases[_i];
	char *line = tu_strdupf("stack = required site bad=%s\n", b->arg);

	open_one(line);
	free(line);
	ck_assert_msg(tu_diag_find(env.ctx, "rolegate.conf:2",
	                           "plugin 'site' declares", b->diag,
	                           NULL) >= 0,
	              "bad=%s: %s", b->arg, tu_diag_dump(env.ctx));
	ck_assert_int_eq(decide("@guard", "door.open"), 0);
}
END_TEST

/* Commits one change or fails the test with the transaction's error. */
static void must(rg_txn *txn, int rc)
{
	ck_assert_msg(rc == RG_OK, "%s: %s", rg_status_name(rc),
	              rg_txn_error(txn));
}

static rg_txn *begin_campus(void)
{
	rg_txn *txn = NULL;
	char err[RG_MSG_LEN];

	ck_assert_int_eq(rg_txn_begin(env.ctx, "campus", "test", "test", &txn,
	                              err, sizeof(err)),
	                 RG_OK);
	return txn;
}

/* Asks whether user may open the doors of site (NULL: no site). */
static rg_result door(const char *user, const char *site)
{
	const rg_attr at = {"site", site};
	rg_request req;
	rg_decision d;

	tu_request(&req, "campus", user, "door.open");
	req.attrs = site ? &at : NULL;
	req.nattrs = site ? 1 : 0;
	tu_quiet_agrees(env.ctx, &req, &d);
	return d.result;
}

/*
 * The product the core knows nothing of, through the directory: its own
 * kind, attributes and memberships are stored as it declared them
 * (core/directory/org.c reads nothing else), reach its decide() as facts
 * ("site", NAME, "parent") and subject attributes, and its users are
 * answered by the decision table as by the stack.
 */
START_TEST(test_site_directory)
{
	char *db = tu_join(env.dir, "directory.db");
	char *conf = tu_write(env.dir, "rolegate.conf", 0644,
	                      "[rolegate]\ndirectory = %s\n"
	                      "[service campus]\nstack = required site\n",
	                      db);
	const rg_service *svc;
	rg_txn *txn = NULL;

	tu_open_directory(&env, conf, env.plugin_dir, db, 0);
	svc = rg_service_find(env.ctx, "campus");
	ck_assert_ptr_nonnull(svc);
	txn = begin_campus();
	must(txn, rg_org_add(txn, "site", "north", NULL));
	must(txn, rg_org_add(txn, "site", "hall", "north"));
	must(txn, rg_org_add(txn, "site", "south", NULL));
	must(txn, rg_org_set(txn, "site", "north", "region", "eu"));
	must(txn, rg_user_add(txn, "gil", NULL));
	must(txn, rg_user_set(txn, "gil", "site", "north"));
	must(txn, rg_user_set(txn, "gil", "clearance", "3"));
	must(txn, rg_member_add(txn, "gil", "site", "hall"));
	must(txn, rg_role_assign(txn, "gil", "guard", 0));
	must(txn, rg_user_add(txn, "vic", NULL));
	must(txn, rg_role_assign(txn, "vic", "visitor", 0));
	ck_assert_int_eq(rg_txn_commit(txn), RG_OK);
	/* What its declarations refuse, the store refuses: the plugin's
	 * hook, a cycle in its tree. */
	txn = begin_campus();
	ck_assert_int_eq(rg_user_set(txn, "gil", "clearance", "9"), RG_EINVAL);
	ck_assert_ptr_nonnull(strstr(rg_txn_error(txn), "above 5"));
	rg_txn_abort(txn);
	txn = begin_campus();
	ck_assert_int_eq(rg_org_set(txn, "site", "north", "parent", "hall"),
	                 RG_EREFUSED);
	rg_txn_abort(txn);
	/* Facts: a guard of north opens north and the hall below it. */
	ck_assert_int_eq(door("gil", "north"), RG_ALLOW);
	ck_assert_int_eq(door("gil", "hall"), RG_ALLOW);
	ck_assert_int_eq(door("gil", "south"), RG_DENY);
	ck_assert_int_eq(door("gil", "mars"), RG_DENY);
	ck_assert_int_eq(door("vic", "north"), RG_DENY);
	/* The fast path: both users in the table, agreeing with the stack. */
	ck_assert_uint_eq(rg_directory_tabled(env.ctx, svc), 2);
	ck_assert_int_eq(door("gil", NULL), RG_ALLOW);
	ck_assert_int_eq(door("vic", NULL), RG_DENY);
	free(conf);
	free(db);
}
END_TEST

START_TEST(test_listing_bounds)
{
	const rg_service *svc = open_one("stack = required site\n");
	rg_vocab_info in;

	ck_assert_int_eq(rg_vocab_at(svc, 7, &in, sizeof(in)), RG_EINVAL);
	ck_assert_int_eq(rg_vocab_at(svc, 0, &in, sizeof(int)), RG_EINVAL);
	ck_assert_int_eq(rg_vocab_at(svc, 0, NULL, sizeof(in)), RG_EINVAL);
	ck_assert_int_eq(rg_vocab_at(NULL, 0, &in, sizeof(in)), RG_EINVAL);
	ck_assert_uint_eq(rg_vocab_count(NULL), 0);
	ck_assert_int_eq(rg_vocab_find(svc, RG_VOCAB_USER_ATTR, NULL, NULL),
	                 -1);
	ck_assert_int_eq(
	    rg_vocab_find(svc, RG_VOCAB_ORG_ATTR, "nosuch", "region"), -1);
	/* Declaration order. */
	ck_assert_int_eq(rg_vocab_at(svc, 0, &in, sizeof(in)), RG_OK);
	ck_assert_str_eq(in.name, "site");
	ck_assert_int_eq(in.what, RG_VOCAB_ORG_KIND);
	ck_assert_int_eq(rg_vocab_at(svc, 6, &in, sizeof(in)), RG_OK);
	ck_assert_int_eq(in.what, RG_VOCAB_WORKFLOW);
	ck_assert_str_eq(in.role, "guard");
}
END_TEST

static Suite *vocab_suite(void)
{
	Suite *s = suite_create("vocab");
	TCase *tc = tcase_create("declarations");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rocketchat_vocabulary);
	tcase_add_test(tc, test_dynamics_vocabulary);
	tcase_add_test(tc, test_union_of_plugins);
	tcase_add_test(tc, test_same_declaration_twice);
	tcase_add_test(tc, test_conflict_fails_closed);
	tcase_add_loop_test(tc, test_bad_declaration, 0, (int)NBAD);
	tcase_add_test(tc, test_listing_bounds);
	tcase_add_test(tc, test_site_directory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vocab_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
