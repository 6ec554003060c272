/*
 * check_registry.c - the registry a service builds from what its plugins
 * declare, through a real rbac policy and the listing API.
 *
 * Ids are interned densely in declaration order; prerequisites (of roles
 * and of privileges) are listed, checked, validated and explained; whocan
 * and explain agree with rg_check.  Policy errors are "file:line"
 * diagnostics of the policy file and fail their entry closed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "testutil.h"

#define SERVICE  "s"
#define NO_INDEX (-1L)

/*
 * The test product.  admin.config is declared before the role it requires
 * (a forward reference); editor includes viewer's grants; super grants
 * ticket.edit with no prerequisite, so that it is the smallest fix.
 */
static const char policy_text[] = "[policy]\n"
                                  "product = registry-test\n"
                                  "version = 1\n"
                                  "\n"
                                  "[privilege ticket.view]\n"
                                  "description = View tickets\n"
                                  "\n"
                                  "[role base]\n"
                                  "name = Base user\n"
                                  "description = Required by everyone\n"
                                  "flags = protected core\n"
                                  "\n"
                                  "[privilege ticket.edit]\n"
                                  "description = Edit tickets\n"
                                  "\n"
                                  "[role viewer]\n"
                                  "name = Viewer\n"
                                  "requires = base\n"
                                  "grant = ticket.view\n"
                                  "\n"
                                  "[role editor]\n"
                                  "name = Editor\n"
                                  "requires = base\n"
                                  "include = viewer\n"
                                  "grant = ticket.edit\n"
                                  "\n"
                                  "[privilege admin.config]\n"
                                  "description = Configure the service\n"
                                  "requires = root\n"
                                  "\n"
                                  "[role admin]\n"
                                  "name = Administrator\n"
                                  "flags = custom\n"
                                  "requires = base\n"
                                  "grant = admin.config\n"
                                  "\n"
                                  "[role root]\n"
                                  "name = Root\n"
                                  "flags = protected\n"
                                  "\n"
                                  "[role super]\n"
                                  "name = Super editor\n"
                                  "grant = ticket.edit\n";

struct role_row {
	const char *id, *name, *description;
	unsigned flags;
	const char *prereq; /* the one prerequisite, or NULL */
};

static const struct role_row roles[] = {
    {"base", "Base user", "Required by everyone",
     RG_ROLE_PROTECTED | RG_ROLE_CORE, NULL},
    {"viewer", "Viewer", "", 0, "base"},
    {"editor", "Editor", "", 0, "base"},
    {"admin", "Administrator", "", RG_ROLE_CUSTOM, "base"},
    {"root", "Root", "", RG_ROLE_PROTECTED, NULL},
    {"super", "Super editor", "", 0, NULL},
};
#define NROLES RG_COUNTOF(roles)

struct priv_row {
	const char *id, *description;
	const char *requires; /* the one role it requires, or NULL */
};

static const struct priv_row privs[] = {
    {"ticket.view", "View tickets", NULL},
    {"ticket.edit", "Edit tickets", NULL},
    {"admin.config", "Configure the service", "root"},
};
#define NPRIVS RG_COUNTOF(privs)

/* grants[role][priv]: direct grants, included ones counted. */
static const int grants[NROLES][NPRIVS] = {
    {0, 0, 0}, /* base */
    {1, 0, 0}, /* viewer */
    {1, 1, 0}, /* editor */
    {0, 0, 1}, /* admin */
    {0, 0, 0}, /* root */
    {0, 1, 0}, /* super */
};

static struct tu_env env;
static const rg_service *svc;

static void setup(void)
{
	char *p;

	tu_env_setup(&env);
	tu_add_plugin(&env, "rbac");
	p = tu_write(env.dir, "test.policy", 0644, "%s", policy_text);
	free(p);
	tu_open(&env,
	        "[service %s]\nstack = required rbac policy=test.policy\n",
	        SERVICE);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	svc = rg_service_find(env.ctx, SERVICE);
	ck_assert_ptr_nonnull(svc);
}

static void teardown(void)
{
	svc = NULL;
	tu_env_teardown(&env);
}

/* ---- Listings ----------------------------------------------------------- */

START_TEST(test_roles_dense_in_order)
{
	rg_role_info info;
	size_t i;

	ck_assert_uint_eq(rg_role_count(svc), NROLES);
	for (i = 0; i < NROLES; i++) {
		ck_assert_int_eq(rg_role_at(svc, i, &info), RG_OK);
		ck_assert_str_eq(info.id, roles[i].id);
		ck_assert_str_eq(info.name, roles[i].name);
		ck_assert_str_eq(info.description, roles[i].description);
		ck_assert_str_eq(info.plugin, "rbac");
		ck_assert_uint_eq(info.flags, roles[i].flags);
		ck_assert_uint_eq(info.nprereqs, roles[i].prereq ? 1 : 0);
		ck_assert_int_eq(rg_role_find(svc, roles[i].id), (long)i);
	}
	ck_assert_int_ne(rg_role_at(svc, NROLES, &info), RG_OK);
	ck_assert_int_eq(rg_role_find(svc, "nosuch"), NO_INDEX);
	ck_assert_int_eq(rg_role_find(svc, "Base"), NO_INDEX);
	ck_assert_int_eq(rg_role_find(svc, ""), NO_INDEX);
}
END_TEST

START_TEST(test_privileges_dense_in_order)
{
	rg_privilege_info info;
	size_t i;

	ck_assert_uint_eq(rg_privilege_count(svc), NPRIVS);
	for (i = 0; i < NPRIVS; i++) {
		ck_assert_int_eq(rg_privilege_at(svc, i, &info), RG_OK);
		ck_assert_str_eq(info.id, privs[i].id);
		ck_assert_str_eq(info.description, privs[i].description);
		ck_assert_str_eq(info.plugin, "rbac");
		ck_assert_uint_eq(info.nrequires, privs[i].requires ? 1 : 0);
		ck_assert_int_eq(rg_privilege_find(svc, privs[i].id), (long)i);
		if (privs[i].requires)
			ck_assert_str_eq(rg_privilege_requires(svc, i, 0),
			                 privs[i].requires);
		ck_assert_ptr_null(
		    rg_privilege_requires(svc, i, privs[i].requires ? 1 : 0));
	}
	ck_assert_int_ne(rg_privilege_at(svc, NPRIVS, &info), RG_OK);
	ck_assert_int_eq(rg_privilege_find(svc, "ticket"), NO_INDEX);
	ck_assert_int_eq(rg_privilege_find(svc, "base"), NO_INDEX);
}
END_TEST

START_TEST(test_prerequisites_listed)
{
	size_t i;

	for (i = 0; i < NROLES; i++) {
		if (roles[i].prereq)
			ck_assert_str_eq(rg_role_prereq(svc, i, 0),
			                 roles[i].prereq);
		ck_assert_ptr_null(
		    rg_role_prereq(svc, i, roles[i].prereq ? 1 : 0));
	}
	ck_assert_ptr_null(rg_role_prereq(svc, NROLES, 0));
}
END_TEST

START_TEST(test_grants_matrix)
{
	size_t r, p;

	for (r = 0; r < NROLES; r++)
		for (p = 0; p < NPRIVS; p++)
			ck_assert_msg(rg_role_grants(svc, r, p) == grants[r][p],
			              "%s grants %s: %d", roles[r].id,
			              privs[p].id, rg_role_grants(svc, r, p));
	ck_assert_int_eq(rg_role_grants(svc, NROLES, 0), 0);
	ck_assert_int_eq(rg_role_grants(svc, 0, NPRIVS), 0);
}
END_TEST

/* ---- Decisions ---------------------------------------------------------- */

struct check_row {
	const char *subject, *action;
	rg_result expect;
	const char *role;    /* decision role, or NULL (not checked) */
	const char *missing; /* decision missing role, or NULL */
};

static const struct check_row checks[] = {
    {"@base,viewer", "ticket.view", RG_ALLOW, "viewer", NULL},
    {"@viewer", "ticket.view", RG_DENY, NULL, "base"},
    {"@base", "ticket.view", RG_DENY, NULL, NULL},
    {"@base,viewer", "ticket.edit", RG_DENY, NULL, NULL},
    {"@base,editor", "ticket.view", RG_ALLOW, "editor", NULL},
    {"@base,editor", "ticket.edit", RG_ALLOW, "editor", NULL},
    {"@super", "ticket.edit", RG_ALLOW, "super", NULL},
    {"@super", "ticket.view", RG_DENY, NULL, NULL},
    {"@admin,base", "admin.config", RG_DENY, NULL, "root"},
    {"@admin,root", "admin.config", RG_DENY, NULL, "base"},
    {"@admin,base,root", "admin.config", RG_ALLOW, "admin", NULL},
    {"@root", "admin.config", RG_DENY, NULL, NULL},
};
#define NCHECKS RG_COUNTOF(checks)

START_TEST(test_check)
{
	const struct check_row *c = &checks[_i];
	rg_decision d;

	ck_assert_int_eq(tu_check(env.ctx, SERVICE, c->subject, c->action,
	                          RG_CHECK_TRACE, &d),
	                 RG_OK);
	ck_assert_msg(d.result == c->expect, "%s %s: %s (%s)", c->subject,
	              c->action, rg_result_name(d.result), d.reason);
	ck_assert(d.reason[0] != '\0');
	if (c->role)
		ck_assert_str_eq(d.role, c->role);
	if (c->missing) {
		ck_assert_str_eq(d.missing, c->missing);
		ck_assert_msg(strstr(d.reason, c->missing),
		              "reason '%s' does not name %s", d.reason,
		              c->missing);
	}
	if (c->expect == RG_DENY && !c->missing)
		ck_assert_str_eq(d.missing, "");
}
END_TEST

/* ---- Role sets one word wide -------------------------------------------- */

/*
 * rg_effective() answers from word 0 of the role sets when a service
 * declares at most 64 roles, and must hand anything it cannot see there
 * to the general code.  The directory's custom roles follow the declared
 * ones: with 63 declared the first is bit 63 of word 0, with 64 bit 0 of
 * word 1, and with 65 the fast path is not taken at all.  Each answer is
 * asked of an ad-hoc subject and of a directory user (the decision table),
 * with a reason and without.
 */
static const unsigned wide_nroles[] = {63, 64, 65};

START_TEST(test_word_boundaries)
{
	static const char *const other[] = {"p.other"};
	const unsigned n = wide_nroles[_i];
	char last[RG_ID_MAX], full[2 * RG_ID_MAX], err[512];
	char *text, *next, *path, *db;
	const rg_service *s;
	rg_txn *t = NULL;
	unsigned i;
	int rc;

	snprintf(last, sizeof(last), "r%02u", n - 1);
	snprintf(full, sizeof(full), "r00,%s", last);
	/* r01 grants p.low; the last role grants p.high but needs r00. */
	text = tu_strdupf("[policy]\nproduct = wide\n[privilege p.low]\n"
	                  "[privilege p.high]\n[privilege p.other]\n");
	for (i = 0; i < n; i++) {
		next = tu_strdupf(
		    "%s[role r%02u]\n%s%s", text, i,
		    i == 1 ? "grant = p.low\n" : "",
		    i == n - 1 ? "requires = r00\ngrant = p.high\n" : "");
		free(text);
		text = next;
	}
	path = tu_write(env.dir, "wide.policy", 0644, "%s", text);
	free(path);
	free(text);
	path = tu_write(env.dir, "wide.conf", 0644,
	                "[service %s]\nstack = required rbac "
	                "policy=wide.policy\n",
	                SERVICE);
	db = tu_join(env.dir, "wide.db");
	tu_close(&env);
	tu_open_directory(&env, path, env.plugin_dir, db, 0);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	s = rg_service_find(env.ctx, SERVICE);
	ck_assert_uint_eq(rg_role_count(s), n);
	ck_assert_int_eq(rg_role_find(s, last), (long)n - 1);

	/* The custom role takes index n, the first past the declared. */
	rc = rg_txn_begin(env.ctx, SERVICE, "tester", "check_registry", &t, err,
	                  sizeof(err));
	ck_assert_msg(rc == RG_OK, "rg_txn_begin: %s", err);
	rc = rg_custom_role_create(t, "cust", NULL, NULL, other, 1);
	ck_assert_msg(rc == RG_OK, "custom role: %s", rg_txn_error(t));
	{
		const char *const assign[][2] = {
		    {"full", "r00"},    {"full", last}, {"alone", last},
		    {"custom", "cust"}, {"low", "r01"},
		};

		for (i = 0; i < RG_COUNTOF(assign); i++) {
			/* A failed operation spoils the transaction: each
			 * user is added once, at its first row. */
			if (i == 0 || strcmp(assign[i][0], assign[i - 1][0]))
				rc = rg_user_add(t, assign[i][0], NULL);
			ck_assert_msg(rc == RG_OK, "%s: %s", assign[i][0],
			              rg_txn_error(t));
			rc = rg_role_assign(t, assign[i][0], assign[i][1], 0);
			ck_assert_msg(rc == RG_OK, "%s %s: %s", assign[i][0],
			              assign[i][1], rg_txn_error(t));
		}
	}
	ck_assert_int_eq(rg_txn_commit(t), RG_OK);
	/* Users' checks without a reason are the table's, not the stack's. */
	ck_assert_uint_eq(rg_directory_tabled(env.ctx, s), 4);

	{
		const struct {
			const char *user, *roles, *action;
			rg_result expect;
			const char *role, *missing;
		} rows[] = {
		    {"full", full, "p.high", RG_ALLOW, last, ""},
		    {"alone", last, "p.high", RG_DENY, last, "r00"},
		    {"custom", "cust", "p.other", RG_ALLOW, "cust", ""},
		    {"custom", "cust", "p.high", RG_DENY, "", ""},
		    {"low", "r01", "p.high", RG_DENY, "", ""},
		    {"low", "r01", "p.low", RG_ALLOW, "r01", ""},
		};

		for (i = 0; i < 2 * RG_COUNTOF(rows); i++) {
			const char *sub = rows[i / 2].user;
			char adhoc[2 * RG_ID_MAX + 1];
			rg_request req;
			rg_decision d;

			if (i % 2) {
				snprintf(adhoc, sizeof(adhoc), "@%s",
				         rows[i / 2].roles);
				sub = adhoc;
			}
			tu_request(&req, SERVICE, sub, rows[i / 2].action);
			tu_quiet_agrees(env.ctx, &req, &d);
			ck_assert_int_eq(tu_check(env.ctx, SERVICE, sub,
			                          rows[i / 2].action, 0, &d),
			                 RG_OK);
			ck_assert_msg(
			    d.result == rows[i / 2].expect &&
			        !strcmp(d.role, rows[i / 2].role) &&
			        !strcmp(d.missing, rows[i / 2].missing),
			    "%u roles, %s %s: %s role '%s' missing "
			    "'%s' (%s)",
			    n, sub, rows[i / 2].action,
			    rg_result_name(d.result), d.role, d.missing,
			    d.reason);
		}
	}
	free(db);
	free(path);
}
END_TEST

/* ---- Validation --------------------------------------------------------- */

static int has_missing(const rg_validation *v, const char *role,
                       const char *missing)
{
	size_t i;

	for (i = 0; i < v->nmissing && i < RG_VALIDATE_MAX; i++)
		if (strcmp(v->missing[i].role, role) == 0 &&
		    strcmp(v->missing[i].missing, missing) == 0)
			return 1;
	return 0;
}

static void validate(const char *roles_list, rg_validation *v, int expect_rc)
{
	rg_subject subject;

	memset(&subject, 0, sizeof(subject));
	subject.roles = roles_list;
	memset(v, 0, sizeof(*v));
	v->ok = 1; /* poison: must be computed */
	ck_assert_int_eq(rg_validate(env.ctx, SERVICE, &subject, v), expect_rc);
}

START_TEST(test_validate)
{
	rg_validation v;

	validate("base,viewer", &v, RG_OK);
	ck_assert_int_eq(v.ok, 1);
	ck_assert_uint_eq(v.nmissing, 0);

	validate("viewer", &v, RG_OK);
	ck_assert_int_eq(v.ok, 0);
	ck_assert_uint_eq(v.nmissing, 1);
	ck_assert_str_eq(v.missing[0].role, "viewer");
	ck_assert_str_eq(v.missing[0].missing, "base");
	ck_assert_str_eq(v.missing[0].plugin, "rbac");

	validate("viewer,editor", &v, RG_OK);
	ck_assert_int_eq(v.ok, 0);
	ck_assert_uint_eq(v.nmissing, 2);
	ck_assert(has_missing(&v, "viewer", "base"));
	ck_assert(has_missing(&v, "editor", "base"));

	/* A privilege the subject holds that needs a role it lacks. */
	validate("admin,base", &v, RG_OK);
	ck_assert_int_eq(v.ok, 0);
	ck_assert(has_missing(&v, "admin.config", "root"));

	validate("admin,base,root", &v, RG_OK);
	ck_assert_int_eq(v.ok, 1);
	ck_assert_uint_eq(v.nmissing, 0);
}
END_TEST

START_TEST(test_validate_errors)
{
	rg_validation v;
	rg_subject subject;

	validate("viewer,nosuch", &v, RG_ENOROLE);
	ck_assert_int_eq(v.ok, 0);
	memset(&subject, 0, sizeof(subject));
	subject.roles = "base";
	ck_assert_int_eq(rg_validate(env.ctx, "nosuch", &subject, &v),
	                 RG_ENOSERVICE);
	ck_assert_int_eq(v.ok, 0);
	ck_assert_int_ne(rg_validate(env.ctx, SERVICE, NULL, &v), RG_OK);
	ck_assert_int_ne(rg_validate(env.ctx, SERVICE, &subject, NULL), RG_OK);
}
END_TEST

/* ---- whocan ------------------------------------------------------------- */

struct whocan_acc {
	const rg_service *svc;
	int seen[NROLES];
	int calls;
	int stop_after; /* 0: never stop */
};

static int whocan_cb(void *user, const rg_service *s, size_t role)
{
	struct whocan_acc *acc = user;

	acc->calls++;
	if (s != acc->svc || role >= NROLES)
		return -1; /* recorded as a bad call below */
	acc->seen[role]++;
	return acc->stop_after && acc->calls >= acc->stop_after;
}

struct whocan_row {
	const char *action;
	int who[NROLES];
};

static const struct whocan_row whocan_rows[] = {
    {"ticket.view", {0, 1, 1, 0, 0, 0}},
    {"ticket.edit", {0, 0, 1, 0, 0, 1}},
    /* admin grants it; what else it needs (base, and root for the
     * privilege itself) is listed by rg_role_prereq/rg_privilege_requires. */
    {"admin.config", {0, 0, 0, 1, 0, 0}},
};
#define NWHOCAN RG_COUNTOF(whocan_rows)

START_TEST(test_whocan)
{
	const struct whocan_row *w = &whocan_rows[_i];
	struct whocan_acc acc;
	int expected_calls = 0;
	size_t i;

	memset(&acc, 0, sizeof(acc));
	acc.svc = svc;
	ck_assert_int_eq(
	    rg_whocan(env.ctx, SERVICE, w->action, whocan_cb, &acc), RG_OK);
	for (i = 0; i < NROLES; i++) {
		ck_assert_msg(acc.seen[i] == w->who[i], "%s: %s seen %d times",
		              w->action, roles[i].id, acc.seen[i]);
		expected_calls += w->who[i];
	}
	ck_assert_int_eq(acc.calls, expected_calls);
}
END_TEST

START_TEST(test_whocan_stops_early)
{
	struct whocan_acc acc;

	memset(&acc, 0, sizeof(acc));
	acc.svc = svc;
	acc.stop_after = 1;
	ck_assert_int_eq(
	    rg_whocan(env.ctx, SERVICE, "ticket.view", whocan_cb, &acc), RG_OK);
	ck_assert_int_eq(acc.calls, 1);
}
END_TEST

START_TEST(test_whocan_errors)
{
	struct whocan_acc acc;

	memset(&acc, 0, sizeof(acc));
	acc.svc = svc;
	ck_assert_int_eq(
	    rg_whocan(env.ctx, SERVICE, "nosuch.action", whocan_cb, &acc),
	    RG_ENOACTION);
	ck_assert_int_eq(
	    rg_whocan(env.ctx, "nosuch", "ticket.view", whocan_cb, &acc),
	    RG_ENOSERVICE);
	ck_assert_int_ne(rg_whocan(env.ctx, SERVICE, "ticket.view", NULL, &acc),
	                 RG_OK);
	ck_assert_int_eq(acc.calls, 0);
}
END_TEST

/* ---- explain ------------------------------------------------------------ */

static int suggestion_is(const rg_suggestion *s, const char *const *ids,
                         size_t n)
{
	size_t i, j;

	if (s->nroles != n)
		return 0;
	for (i = 0; i < n; i++) {
		int found = 0;

		for (j = 0; j < s->nroles; j++)
			found |= strcmp(s->roles[j], ids[i]) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

static long find_suggestion(const rg_explanation *ex, const char *const *ids,
                            size_t n)
{
	size_t i;

	for (i = 0; i < ex->nsuggestions && i < RG_SUGGEST_MAX; i++)
		if (suggestion_is(&ex->suggestions[i], ids, n))
			return (long)i;
	return -1;
}

/*
 * Explains subject/action and checks the invariants of every suggestion:
 * sizes never decrease, none repeats a role the subject holds, and the
 * subject plus the suggestion is really allowed.
 */
static void explain(const char *subject, const char *action, rg_explanation *ex)
{
	rg_request req;
	size_t i, j;

	tu_request(&req, SERVICE, subject, action);
	memset(ex, 0, sizeof(*ex));
	ex->decision.result = RG_ALLOW; /* poison */
	ck_assert_int_eq(rg_explain(env.ctx, &req, ex), RG_OK);
	ck_assert_uint_le(ex->nsuggestions, RG_SUGGEST_MAX);
	for (i = 0; i < ex->nsuggestions; i++) {
		const rg_suggestion *s = &ex->suggestions[i];
		char *with = tu_strdupf("%s", subject);
		rg_decision d;

		ck_assert_uint_ge(s->nroles, 1);
		ck_assert_uint_le(s->nroles, RG_SUGGEST_ROLES);
		if (i > 0)
			ck_assert_uint_ge(s->nroles,
			                  ex->suggestions[i - 1].nroles);
		for (j = 0; j < s->nroles; j++) {
			char *next = tu_strdupf("%s,%s", with, s->roles[j]);

			ck_assert_msg(
			    !rg_list_contains(subject + 1, s->roles[j]),
			    "suggests %s, already held", s->roles[j]);
			free(with);
			with = next;
		}
		tu_check(env.ctx, SERVICE, with, action, 0, &d);
		ck_assert_msg(d.result == RG_ALLOW, "%s still denied: %s", with,
		              d.reason);
		free(with);
	}
}

START_TEST(test_explain_smallest_first)
{
	static const char *const super[] = {"super"};
	static const char *const base_editor_super[] = {"base", "editor",
	                                                "super"};
	rg_explanation ex;

	explain("@root", "ticket.edit", &ex);
	ck_assert_int_eq(ex.decision.result, RG_DENY);
	ck_assert_uint_ge(ex.decision.ntrace, 1);
	ck_assert_uint_ge(ex.nsuggestions, 1);
	/* {super} beats {base, editor}, though editor is declared first. */
	ck_assert_msg(suggestion_is(&ex.suggestions[0], super, 1),
	              "first suggestion is not {super}");
	/* Minimal sets only. */
	ck_assert_int_lt(find_suggestion(&ex, base_editor_super, 3), 0);
}
END_TEST

/* Every smallest set is offered, not just one. */
START_TEST(test_explain_all_smallest)
{
	static const char *const viewer[] = {"viewer"};
	static const char *const editor[] = {"editor"};
	static const char *const both[] = {"viewer", "editor"};
	rg_explanation ex;

	explain("@base", "ticket.view", &ex);
	ck_assert_int_eq(ex.decision.result, RG_DENY);
	ck_assert_int_ge(find_suggestion(&ex, viewer, 1), 0);
	ck_assert_int_ge(find_suggestion(&ex, editor, 1), 0);
	ck_assert_int_lt(find_suggestion(&ex, both, 2), 0);
}
END_TEST

START_TEST(test_explain_prerequisites_included)
{
	static const char *const admin_root[] = {"admin", "root"};
	static const char *const admin_base_root[] = {"admin", "base", "root"};
	rg_explanation ex;

	/* base held: admin and root are what is missing. */
	explain("@base", "admin.config", &ex);
	ck_assert_int_eq(ex.decision.result, RG_DENY);
	ck_assert_uint_ge(ex.nsuggestions, 1);
	ck_assert_msg(suggestion_is(&ex.suggestions[0], admin_root, 2),
	              "first suggestion is not {admin, root}");

	/* Nothing relevant held: the prerequisite comes along. */
	explain("@super", "admin.config", &ex);
	ck_assert_uint_ge(ex.nsuggestions, 1);
	ck_assert_msg(suggestion_is(&ex.suggestions[0], admin_base_root, 3),
	              "first suggestion is not {admin, base, root}");
}
END_TEST

START_TEST(test_explain_allowed)
{
	rg_explanation ex;

	explain("@base,viewer", "ticket.view", &ex);
	ck_assert_int_eq(ex.decision.result, RG_ALLOW);
	ck_assert_uint_eq(ex.nsuggestions, 0);
	ck_assert_uint_ge(ex.decision.ntrace, 1);
}
END_TEST

/* ---- Several plugins, several services ---------------------------------- */

static const char second_policy[] = "[policy]\n"
                                    "product = registry-test-2\n"
                                    "[privilege report.view]\n"
                                    "description = View reports\n"
                                    "[privilege ticket.view]\n"
                                    "description = View tickets (shared)\n"
                                    "[role reporter]\n"
                                    "name = Reporter\n"
                                    "grant = report.view ticket.view\n";

START_TEST(test_two_plugins_share_registry)
{
	const rg_service *s2;
	rg_decision d;
	char *p;

	p = tu_write(env.dir, "second.policy", 0644, "%s", second_policy);
	free(p);
	tu_open(&env, "[service both]\n"
	              "stack = sufficient rbac policy=test.policy\n"
	              "stack = sufficient rbac policy=second.policy\n"
	              "[service second]\n"
	              "stack = required rbac policy=second.policy\n");
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));

	s2 = rg_service_find(env.ctx, "both");
	ck_assert_uint_eq(rg_role_count(s2), NROLES + 1);
	ck_assert_int_eq(rg_role_find(s2, "reporter"), (long)NROLES);
	/* ticket.view is shared: one index, the first declarer's. */
	ck_assert_uint_eq(rg_privilege_count(s2), NPRIVS + 1);
	ck_assert_int_eq(rg_privilege_find(s2, "ticket.view"), 0);
	ck_assert_int_eq(rg_privilege_find(s2, "report.view"), (long)NPRIVS);
	ck_assert_int_eq(rg_role_grants(s2, NROLES, 0), 1);
	tu_check(env.ctx, "both", "@reporter", "ticket.view", 0, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	tu_check(env.ctx, "both", "@base,viewer", "report.view", 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);

	/* Each service has its own registry, dense from 0. */
	s2 = rg_service_find(env.ctx, "second");
	ck_assert_uint_eq(rg_role_count(s2), 1);
	ck_assert_int_eq(rg_role_find(s2, "reporter"), 0);
	ck_assert_int_eq(rg_role_find(s2, "viewer"), NO_INDEX);
	ck_assert_int_eq(rg_privilege_find(s2, "report.view"), 0);
	ck_assert_int_eq(rg_privilege_find(s2, "ticket.view"), 1);
	tu_check(env.ctx, "second", "@viewer", "ticket.view", 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_eq(d.status, RG_ENOROLE);
}
END_TEST

/*
 * A shared privilege's extra required roles are its first declarer's to
 * set: another entry's rule would change answers the owner worked out
 * ahead.  Refused, at the line, and the entry fails closed.
 */
START_TEST(test_shared_privilege_requires_refused)
{
	char *p = tu_write(env.dir, "third.policy", 0644, "%s",
	                   "[policy]\nproduct = registry-test-3\n"
	                   "[role reporter]\nname = Reporter\n"
	                   "[privilege ticket.view]\n"
	                   "description = View tickets (shared)\n"
	                   "requires = reporter\n");
	rg_decision d;

	free(p);
	tu_open(&env, "[service both]\n"
	              "stack = required rbac policy=test.policy\n"
	              "stack = required rbac policy=third.policy\n");
	ck_assert_msg(tu_diag_find(env.ctx, "third.policy:7:",
	                           "[privilege ticket.view] cannot require "
	                           "'reporter'",
	                           NULL) >= 0,
	              "diagnostics:%s", tu_diag_dump(env.ctx));
	/* The entry that failed denies; nothing is allowed by mistake. */
	tu_check(env.ctx, "both", "@base,viewer,reporter", "ticket.view", 0,
	         &d);
	ck_assert_int_eq(d.result, RG_DENY);
}
END_TEST

/* ---- Policy errors ------------------------------------------------------ */

struct policy_error {
	const char *name;
	const char *text;
	unsigned line;
	const char *needle; /* or NULL */
};

#define PHEAD "[policy]\nproduct = t\n"            /* lines 1-2 */
#define PPRIV "[privilege p.x]\ndescription = X\n" /* lines 3-4 */

static const struct policy_error policy_errors[] = {
    {"unknown key", PHEAD PPRIV "[role r]\ncolour = blue\n", 6, "colour"},
    {"unknown section", PHEAD PPRIV "[group g]\nname = G\n", 5, "group"},
    {"grant of an undeclared privilege",
     PHEAD PPRIV "[role r]\ngrant = p.nosuch\n", 6, "p.nosuch"},
    {"undeclared prerequisite", PHEAD PPRIV "[role r]\nrequires = ghost\n", 6,
     "ghost"},
    {"undeclared include", PHEAD PPRIV "[role r]\ninclude = ghost\n", 6,
     "ghost"},
    {"duplicate role", PHEAD PPRIV "[role r]\nname = R\n[role r]\nname = R2\n",
     7, "r"},
    {"duplicate privilege", PHEAD PPRIV PPRIV, 5, "p.x"},
    {"bad role id", PHEAD PPRIV "[role bad!id]\nname = B\n", 5, "bad!id"},
    {"unknown flag", PHEAD PPRIV "[role r]\nflags = sparkly\n", 6, "sparkly"},
    {"qualifier without a hook", PHEAD PPRIV "[role r]\ngrant = p.x:own\n", 6,
     NULL},
    {"empty note", PHEAD PPRIV "note =\n", 5, "[privilege p.x] note"},
    {"note with a control character", PHEAD PPRIV "note = a\x1b[2Jb\n", 5,
     "[privilege p.x] note"},
    {"note with bad UTF-8", PHEAD PPRIV "note = caf\xc3\n", 5,
     "[privilege p.x] note"},
    {"note on a role", PHEAD PPRIV "[role r]\nnote = roles are not all\n", 6,
     "note"},
};
#define NPOLICY_ERRORS RG_COUNTOF(policy_errors)

START_TEST(test_policy_error)
{
	const struct policy_error *c = &policy_errors[_i];
	char *path = tu_write(env.dir, "bad.policy", 0644, "%s", c->text);
	char *prefix = tu_strdupf("%s:%u: ", path, c->line);
	rg_entry_info e;
	rg_decision d;

	tu_open(&env,
	        "[service bad]\nstack = sufficient rbac policy=bad.policy\n"
	        "[service good]\nstack = required rbac policy=test.policy\n");
	ck_assert_msg(
	    tu_diag_find(env.ctx, prefix, c->needle, (const char *)NULL) >= 0,
	    "%s: no diagnostic '%s...%s':%s", c->name, prefix,
	    c->needle ? c->needle : "", tu_diag_dump(env.ctx));
	ck_assert_int_eq(rg_entry_at(rg_service_find(env.ctx, "bad"), 0, &e),
	                 RG_OK);
	ck_assert_int_ne(e.status, RG_OK);
	tu_check(env.ctx, "bad", "@r", "p.x", 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	tu_check(env.ctx, "good", "@base,viewer", "ticket.view", 0, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	free(prefix);
	free(path);
}
END_TEST

/* ---- Notes on privileges (1.5) ------------------------------------------ */

/* rg_declare_note() through a policy file: notes in order, a repeated one
 * kept once, none on other privileges; the longest that fits is kept and
 * one byte more is an error naming its line. */
START_TEST(test_privilege_notes)
{
	char fits[RG_NOTE_MAX], over[RG_NOTE_MAX + 1];
	char *path;
	const rg_service *s;
	long p, q;
	rg_decision d;

	memset(fits, 'n', sizeof(fits) - 1);
	fits[sizeof(fits) - 1] = '\0';
	memset(over, 'o', sizeof(over) - 1);
	over[sizeof(over) - 1] = '\0';
	path = tu_write(env.dir, "notes.policy", 0644,
	                PHEAD PPRIV "note = licence first\n"
	                            "note = then the app profile\n"
	                            "note = licence first\n"
	                            "note = %s\n"
	                            "[privilege p.y]\n"
	                            "[role r]\ngrant = p.x p.y\n",
	                fits);
	free(path);
	tu_open(&env,
	        "[service n]\nstack = required rbac policy=notes.policy\n");
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	s = rg_service_find(env.ctx, "n");
	p = rg_privilege_find(s, "p.x");
	q = rg_privilege_find(s, "p.y");
	ck_assert_int_ge(p, 0);
	ck_assert_int_ge(q, 0);
	ck_assert_str_eq(rg_privilege_note(s, (size_t)p, 0), "licence first");
	ck_assert_str_eq(rg_privilege_note(s, (size_t)p, 1),
	                 "then the app profile");
	ck_assert_str_eq(rg_privilege_note(s, (size_t)p, 2), fits);
	ck_assert_ptr_null(rg_privilege_note(s, (size_t)p, 3));
	ck_assert_ptr_null(rg_privilege_note(s, (size_t)q, 0));
	ck_assert_ptr_null(rg_privilege_note(s, rg_privilege_count(s), 0));
	ck_assert_ptr_null(rg_privilege_note(NULL, 0, 0));
	/* Notes do not change decisions. */
	tu_check(env.ctx, "n", "@r", "p.x", 0, &d);
	ck_assert_int_eq(d.result, RG_ALLOW);

	path = tu_write(env.dir, "over.policy", 0644, PHEAD PPRIV "note = %s\n",
	                over);
	tu_open(&env,
	        "[service o]\nstack = required rbac policy=over.policy\n");
	ck_assert_msg(tu_diag_find(env.ctx, "over.policy:5: ",
	                           "[privilege p.x] note", NULL) >= 0,
	              "diagnostics:%s", tu_diag_dump(env.ctx));
	tu_check(env.ctx, "o", "@r", "p.x", 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	free(path);
}
END_TEST

START_TEST(test_missing_policy)
{
	char *path = tu_join(env.dir, "nosuch.policy");
	rg_decision d;

	tu_open(&env,
	        "[service bad]\nstack = required rbac policy=nosuch.policy\n");
	ck_assert_msg(tu_diag_find(env.ctx, path, (const char *)NULL) >= 0,
	              "no diagnostic naming %s:%s", path,
	              tu_diag_dump(env.ctx));
	tu_check(env.ctx, "bad", "@r", "p.x", 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	free(path);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc;

	tc = tcase_create("listing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roles_dense_in_order);
	tcase_add_test(tc, test_privileges_dense_in_order);
	tcase_add_test(tc, test_prerequisites_listed);
	tcase_add_test(tc, test_grants_matrix);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_check, 0, (int)NCHECKS);
	tcase_add_loop_test(tc, test_word_boundaries, 0,
	                    (int)RG_COUNTOF(wide_nroles));
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_validate_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("whocan");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_whocan, 0, (int)NWHOCAN);
	tcase_add_test(tc, test_whocan_stops_early);
	tcase_add_test(tc, test_whocan_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("explain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_explain_smallest_first);
	tcase_add_test(tc, test_explain_all_smallest);
	tcase_add_test(tc, test_explain_prerequisites_included);
	tcase_add_test(tc, test_explain_allowed);
	suite_add_tcase(s, tc);

	tc = tcase_create("services");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_two_plugins_share_registry);
	tcase_add_test(tc, test_shared_privilege_requires_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy_errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_policy_error, 0, (int)NPOLICY_ERRORS);
	tcase_add_test(tc, test_missing_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("notes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_privilege_notes);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(registry_suite)
