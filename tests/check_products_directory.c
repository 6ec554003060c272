/*
 * check_products_directory.c - the product plugins reading the directory.
 *
 * Every test opens a context on a private directory (rg_options.directory,
 * a file in the test's temporary directory), builds the directory's data
 * through the public transaction API, and checks requests BY USER ID: the
 * user's roles, business unit, departments, units, status and chat limit
 * are then the directory's, never the request's.  The organisation (the
 * business-unit tree, units, departments, settings) comes from the
 * directory as soon as it has some, else from the plugins' tenant files.
 *
 * Most tests open the SHIPPED configuration (policies/rolegate.conf) on the
 * built plugins; the one that moves business units needs an access depth
 * the shipped policies do not use (parent-child) and writes its own.
 *
 * Environment (set by make check): ROLEGATE_POLICIES, ROLEGATE_TEST_PLUGINS.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

#include "testutil.h"

#define MAX_WORDS 8
#define MAX_PRIVS 8
#define MAX_OPS   8
#define MAX_STEPS 6
#define ERRLEN    1024

#define D365   "dynamics365"
#define D2019  "dynamics365-2019"
#define RC     "rocketchat"
#define RCC    "rocketchat-community"
#define OMNI24 "omni24"

#define UEQ       "user.edit-queue-assignment"
#define ANALYTICS "view-livechat-analytics"
#define QUEUE     "view-livechat-queue"
#define TAKE      "take-inquiry"
#define ONLINE    "connection=online"

/* ---- Building directory data ------------------------------------------- */

enum op_kind {
	OP_END = 0,
	OP_USER,    /* a: id */
	OP_SET,     /* a: user, b: attribute, c: value */
	OP_ASSIGN,  /* a: user, b: role */
	OP_ORG,     /* a: kind, b: name, c: parent or unit (may be NULL) */
	OP_ORG_SET, /* a: kind, b: name, c: attribute, d: value */
	OP_MEMBER,  /* a: user, b: kind, c: name */
	OP_SETTING, /* a: key, b: value */
	OP_CUSTOM,  /* a: id, b: comma-separated privileges */
};

struct op {
	enum op_kind kind;
	const char *a, *b, *c, *d;
};

/* clang-format off */
#define USER(id)                  { OP_USER, id, NULL, NULL, NULL }
#define SET(user, attr, value)    { OP_SET, user, attr, value, NULL }
#define ASSIGN(user, role)        { OP_ASSIGN, user, role, NULL, NULL }
#define ORG(kind, name, parent)   { OP_ORG, kind, name, parent, NULL }
#define ORG_SET(kind, name, a, v) { OP_ORG_SET, kind, name, a, v }
#define MEMBER(user, kind, name)  { OP_MEMBER, user, kind, name, NULL }
#define SETTING(key, value)       { OP_SETTING, key, value, NULL, NULL }
#define CUSTOM(id, privileges)    { OP_CUSTOM, id, privileges, NULL, NULL }
#define END                       { OP_END, NULL, NULL, NULL, NULL }
/* clang-format on */

/* Splits "p1,p2" into ids (into buf); returns the count. */
static size_t split_privs(const char *list, char *buf, size_t len,
                          const char *ids[MAX_PRIVS])
{
	size_t n = 0;
	char *p, *save = NULL;

	snprintf(buf, len, "%s", list);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		ck_assert_uint_lt(n, MAX_PRIVS);
		ids[n++] = p;
	}
	return n;
}

static int custom_create(rg_txn *txn, const char *id, const char *privs)
{
	const char *ids[MAX_PRIVS];
	char buf[ERRLEN];
	size_t n = split_privs(privs, buf, sizeof(buf), ids);

	return rg_custom_role_create(txn, id, id, "made by a test", ids, n);
}

static int op_apply(rg_txn *txn, const struct op *op)
{
	switch (op->kind) {
	case OP_USER:
		return rg_user_add(txn, op->a, NULL);
	case OP_SET:
		return rg_user_set(txn, op->a, op->b, op->c);
	case OP_ASSIGN:
		return rg_role_assign(txn, op->a, op->b, 0);
	case OP_ORG:
		return rg_org_add(txn, op->a, op->b, op->c);
	case OP_ORG_SET:
		return rg_org_set(txn, op->a, op->b, op->c, op->d);
	case OP_MEMBER:
		return rg_member_add(txn, op->a, op->b, op->c);
	case OP_SETTING:
		return rg_setting_set(txn, op->a, op->b);
	case OP_CUSTOM:
		return custom_create(txn, op->a, op->b);
	default:
		return RG_EINVAL;
	}
}

static rg_txn *begin(rg_context *ctx, const char *service)
{
	char err[ERRLEN] = "";
	rg_txn *txn = NULL;
	int rc;

	rc = rg_txn_begin(ctx, service, "check_products_directory",
	                  "check_products_directory", &txn, err, sizeof(err));
	ck_assert_msg(rc == RG_OK && txn, "rg_txn_begin %s: %s (%s)", service,
	              rg_status_name(rc), err);
	return txn;
}

/* Applies ops (up to END) in txn; every one must succeed. */
static void ops_apply(rg_txn *txn, const char *service, const struct op *ops)
{
	size_t i;

	for (i = 0; ops[i].kind != OP_END; i++) {
		int rc = op_apply(txn, &ops[i]);

		ck_assert_msg(rc == RG_OK, "%s: operation %zu (%s %s): %s: %s",
		              service, i, ops[i].a ? ops[i].a : "",
		              ops[i].b ? ops[i].b : "", rg_status_name(rc),
		              rg_txn_error(txn));
	}
}

static void commit(rg_txn *txn)
{
	int rc = rg_txn_commit(txn);

	ck_assert_msg(rc == RG_OK, "rg_txn_commit: %s", rg_status_name(rc));
}

/* One transaction per call: ops applied, then committed. */
static void build(rg_context *ctx, const char *service, const struct op *ops)
{
	rg_txn *txn = begin(ctx, service);

	ops_apply(txn, service, ops);
	commit(txn);
}

/* ---- Contexts ------------------------------------------------------------ */

static struct tu_env env;
static char *dbpath;

/* Opens config on the built plugins and the test's own directory. */
static void open_on(const char *config)
{
	tu_open_directory(&env, config, tu_getenv("ROLEGATE_TEST_PLUGINS"),
	                  dbpath, 0);
}

static void env_setup(void)
{
	tu_env_setup(&env);
	dbpath = tu_join(env.dir, "directory.db");
}

static void shipped_setup(void)
{
	char *conf;

	env_setup();
	conf = tu_join(tu_getenv("ROLEGATE_POLICIES"), "rolegate.conf");
	open_on(conf);
	free(conf);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0,
	              "the shipped configuration has problems:%s",
	              tu_diag_dump(env.ctx));
}

static void teardown(void)
{
	tu_env_teardown(&env);
	free(dbpath);
	dbpath = NULL;
}

/* ---- Checking ------------------------------------------------------------ */

/*
 * One request: subject is a user id, or "@roles" for an ad-hoc subject.
 * words are "key=value" (request) or "subject.key=value" (subject)
 * attributes, as on the rolegate command line.
 */
struct dcase {
	const char *service;
	const char *subject;
	const char *action;
	const char *words[MAX_WORDS];
	rg_result want;
	const char *reason; /* a substring of the reason, or NULL */
};

struct attrs {
	rg_attr req[MAX_WORDS], subj[MAX_WORDS];
	size_t nreq, nsubj;
	char buf[MAX_WORDS][RG_REASON_MAX];
};

static void attrs_parse(struct attrs *a, const char *const *words)
{
	static const char prefix[] = "subject.";
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < MAX_WORDS && words[i]; i++) {
		char *eq;
		rg_attr *at;

		snprintf(a->buf[i], sizeof(a->buf[i]), "%s", words[i]);
		eq = strchr(a->buf[i], '=');
		ck_assert_msg(eq, "bad test attribute '%s'", words[i]);
		*eq = '\0';
		if (!strncmp(a->buf[i], prefix, sizeof(prefix) - 1)) {
			at = &a->subj[a->nsubj++];
			at->key = a->buf[i] + sizeof(prefix) - 1;
		} else {
			at = &a->req[a->nreq++];
			at->key = a->buf[i];
		}
		at->value = eq + 1;
	}
}

/* rg_check() of case c with flags into *d. */
static int case_check(const struct dcase *c, unsigned flags, rg_decision *d)
{
	struct attrs a;
	rg_request req;

	attrs_parse(&a, c->words);
	tu_request(&req, c->service, c->subject, c->action);
	req.subject.attrs = a.subj;
	req.subject.nattrs = a.nsubj;
	req.attrs = a.req;
	req.nattrs = a.nreq;
	memset(d, 0, sizeof(*d));
	d->result = RG_ALLOW; /* poison: the check must overwrite it */
	return rg_check(env.ctx, &req, flags, d);
}

static void run_case_status(const struct dcase *c, const char *what, size_t i,
                            int status)
{
	rg_decision d;
	int rc = case_check(c, 0, &d);

	ck_assert_msg(rc == status,
	              "%s %zu (%s %s %s): status %s, want %s (%s)", what, i,
	              c->service, c->subject, c->action, rg_status_name(rc),
	              rg_status_name(status), d.reason);
	ck_assert_msg(d.result == c->want, "%s %zu (%s %s %s): %s (%s)", what,
	              i, c->service, c->subject, c->action,
	              rg_result_name(d.result), d.reason);
	if (c->reason)
		ck_assert_msg(strstr(d.reason, c->reason),
		              "%s %zu (%s %s %s): reason '%s' lacks '%s'", what,
		              i, c->service, c->subject, c->action, d.reason,
		              c->reason);
}

static void run_case(const struct dcase *c, const char *what, size_t i)
{
	run_case_status(c, what, i, RG_OK);
}

/* Runs the cases up to one without a service. */
static void run_cases(const struct dcase *cases, size_t max, const char *what)
{
	size_t i;

	for (i = 0; i < max && cases[i].service; i++)
		run_case(&cases[i], what, i);
}

/*
 * A change in steps: the checks of `before` still see the old data while
 * the transaction is open (checks read the published snapshot), those of
 * `after` the new data once it is committed.
 */
struct phase {
	const char *what;
	struct op ops[MAX_OPS];
	struct dcase before[MAX_STEPS];
	struct dcase after[MAX_STEPS];
};

static void run_phases(const char *service, const struct phase *phases,
                       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		rg_txn *txn = begin(env.ctx, service);

		ops_apply(txn, service, phases[i].ops);
		run_cases(phases[i].before, MAX_STEPS, phases[i].what);
		commit(txn);
		run_cases(phases[i].after, MAX_STEPS, phases[i].what);
	}
}

/* ---- Dynamics 365: the business-unit tree from the directory ------------ */

/*
 * fabrikam
 * +-- north
 * |   +-- north-east
 * +-- south
 * None of these is in the shipped tenant file (contoso, sales, support,
 * emea, americas): a unit the directory knows can only come from it.
 */
/* clang-format off */
static const struct op d365_tree[] = {
	ORG("bu", "fabrikam", NULL),
	ORG("bu", "north", "fabrikam"),
	ORG("bu", "south", "fabrikam"),
	ORG("bu", "north-east", "north"),
	END,
};
/* clang-format on */

/* clang-format off */
static const struct op d365_users[] = {
	USER("sup-north"),
	SET("sup-north", "bu", "north"),
	ASSIGN("sup-north", "basic-user"),
	ASSIGN("sup-north", "omnichannel-supervisor"),
	USER("sup-south"),
	SET("sup-south", "bu", "south"),
	ASSIGN("sup-south", "basic-user"),
	ASSIGN("sup-south", "omnichannel-supervisor"),
	USER("adm"),
	SET("adm", "bu", "fabrikam"),
	ASSIGN("adm", "basic-user"),
	ASSIGN("adm", "omnichannel-administrator"),
	USER("agt-ne"),
	SET("agt-ne", "bu", "north-east"),
	ASSIGN("agt-ne", "basic-user"),
	ASSIGN("agt-ne", "omnichannel-agent"),
	USER("nobu"),
	ASSIGN("nobu", "basic-user"),
	ASSIGN("nobu", "omnichannel-supervisor"),
	USER("sup-nobasic"),
	SET("sup-nobasic", "bu", "north"),
	ASSIGN("sup-nobasic", "omnichannel-supervisor"),
	END,
};
/* clang-format on */

/* A custom role: no depth of its own, so the supervisor's (the least). */
/* clang-format off */
static const struct op d365_custom[] = {
	CUSTOM("queue-editor", UEQ),        USER("qe-north"),
	SET("qe-north", "bu", "north"),     ASSIGN("qe-north", "basic-user"),
	ASSIGN("qe-north", "queue-editor"), END,
};
/* clang-format on */

static void d365_setup(void)
{
	shipped_setup();
	build(env.ctx, D365, d365_tree);
	build(env.ctx, D365, d365_users);
	build(env.ctx, D365, d365_custom);
}

#define SUP "@basic-user,omnichannel-supervisor"

/* clang-format off */
static const struct dcase d365_cases[] = {
	/* The supervisor, at business-unit depth, in its directory unit. */
	{ D365, "sup-north", UEQ, { "bu=north" }, RG_ALLOW,
	  "omnichannel-supervisor grants user.edit-queue-assignment at "
	  "business-unit depth; target unit 'north' is within 'north'" },
	{ D365, "sup-north", UEQ, { "bu=south" }, RG_DENY,
	  "target unit 'south' is outside 'north'" },
	{ D365, "sup-north", UEQ, { "bu=north-east" }, RG_DENY,
	  "target unit 'north-east' is outside 'north'" },
	{ D365, "sup-north", UEQ, { "bu=fabrikam" }, RG_DENY,
	  "outside 'north'" },
	{ D365, "sup-south", UEQ, { "bu=south" }, RG_ALLOW,
	  "within 'south'" },
	{ D365, "sup-south", UEQ, { "bu=north" }, RG_DENY,
	  "target unit 'north' is outside 'south'" },
	{ D365, "sup-north", UEQ, { NULL }, RG_ALLOW,
	  "omnichannel-supervisor grants" },
	/* A directory user's unit is the directory's, not the request's. */
	{ D365, "sup-north", UEQ, { "subject.bu=south", "bu=south" }, RG_DENY,
	  "outside 'north'" },
	/* The tenant file's units are not the tree any more. */
	{ D365, "sup-north", UEQ, { "bu=sales" }, RG_DENY,
	  "attribute bu: unknown business unit 'sales' (not in the "
	  "directory's business-unit tree)" },
	{ D365, "sup-north", UEQ, { "bu=" }, RG_DENY, "attribute bu is empty" },
	/* Organization depth and other roles. */
	{ D365, "adm", UEQ, { "bu=north-east" }, RG_ALLOW,
	  "at organization depth; target unit 'north-east' is in the "
	  "organization" },
	{ D365, "adm", UEQ, { "bu=atlantis" }, RG_DENY,
	  "unknown business unit 'atlantis'" },
	{ D365, "agt-ne", "user.view", { "bu=north-east" }, RG_ALLOW,
	  "omnichannel-agent grants user.view at business-unit depth" },
	{ D365, "agt-ne", "user.view", { "bu=north" }, RG_DENY,
	  "target unit 'north' is outside 'north-east'" },
	{ D365, "agt-ne", UEQ, { "bu=north-east" }, RG_DENY,
	  "no role of the subject grants user.edit-queue-assignment" },
	/* Fail closed. */
	{ D365, "nobu", UEQ, { "bu=north" }, RG_DENY,
	  "the subject has no business unit" },
	{ D365, "sup-nobasic", UEQ, { "bu=north" }, RG_DENY,
	  "requires role basic-user" },
	/* Ad-hoc subjects measure against the directory's tree too. */
	{ D365, SUP, UEQ, { "subject.bu=north", "bu=north" }, RG_ALLOW,
	  "within 'north'" },
	{ D365, SUP, UEQ, { "subject.bu=sales", "bu=sales" }, RG_DENY,
	  "attribute subject.bu: unknown business unit 'sales'" },
	/* A service with no directory units keeps its tenant file. */
	{ D2019, "@customer-service-app-access,omnichannel-supervisor", UEQ,
	  { "subject.bu=sales", "bu=sales" }, RG_ALLOW, "within 'sales'" },
	{ D2019, "@customer-service-app-access,omnichannel-supervisor", UEQ,
	  { "subject.bu=north", "bu=north" }, RG_DENY,
	  "not in the tenant's tree, root 'contoso'" },
	/* A custom role: the least depth of the policy's grants. */
	{ D365, "qe-north", UEQ, { "bu=north" }, RG_ALLOW,
	  "queue-editor grants user.edit-queue-assignment at business-unit "
	  "depth; target unit 'north' is within 'north'" },
	{ D365, "qe-north", UEQ, { "bu=south" }, RG_DENY,
	  "queue-editor grants user.edit-queue-assignment at business-unit "
	  "depth; target unit 'south' is outside 'north'" },
	{ D365, "qe-north", UEQ, { NULL }, RG_ALLOW, "queue-editor grants" },
	{ D365, "qe-north", "user.view", { NULL }, RG_DENY,
	  "no role of the subject grants user.view" },
	{ D365, "@queue-editor", UEQ, { "subject.bu=south", "bu=south" },
	  RG_ALLOW, "queue-editor grants" },
};
/* clang-format on */

START_TEST(test_d365_tree)
{
	run_case(&d365_cases[_i], "dynamics365 case", (size_t)_i);
}
END_TEST

/* A user the directory does not have is denied, whatever the tree. */
START_TEST(test_d365_unknown_user)
{
	/* clang-format off */
	static const struct dcase ghost = {
		D365, "ghost", UEQ, { "bu=north" }, RG_DENY,
		"unknown user 'ghost' in service 'dynamics365'"
	};
	/* clang-format on */

	run_case_status(&ghost, "unknown user", 0, RG_ENOUSER);
}
END_TEST

/* Before the directory has a unit, the tenant file is the tree. */
/* clang-format off */
static const struct phase d365_first_units[] = {
	{ "first units",
	  { ORG("bu", "fabrikam", NULL), END },
	  { { D365, SUP, UEQ, { "subject.bu=sales", "bu=sales" }, RG_ALLOW,
	      "within 'sales'" },
	    { D365, SUP, UEQ, { "subject.bu=fabrikam", "bu=fabrikam" }, RG_DENY,
	      "not in the tenant's tree" } },
	  { { D365, SUP, UEQ, { "subject.bu=sales", "bu=sales" }, RG_DENY,
	      "unknown business unit 'sales' (not in the directory's" },
	    { D365, SUP, UEQ, { "subject.bu=fabrikam", "bu=fabrikam" },
	      RG_ALLOW, "within 'fabrikam'" } } },
};
/* clang-format on */

START_TEST(test_d365_first_units)
{
	run_phases(D365, d365_first_units, RG_COUNTOF(d365_first_units));
}
END_TEST

/*
 * Moving units and users.  The shipped policies grant no privilege at
 * parent-child depth, the one depth that walks the tree, so this test
 * serves the service dynamics365 from a policy of its own.
 */
static const char pc_policy[] = "[policy]\n"
                                "product = dynamics365\n"
                                "version = test\n"
                                "[privilege user.view]\n"
                                "description = View users\n"
                                "[role regional-manager]\n"
                                "name = Regional manager\n"
                                "grant = user.view:parent-child\n"
                                "[role clerk]\n"
                                "name = Clerk\n"
                                "grant = user.view:business-unit\n";

static void move_setup(void)
{
	static const struct op users[] = {
	    USER("rm"),
	    SET("rm", "bu", "north"),
	    ASSIGN("rm", "regional-manager"),
	    USER("clerk-ne"),
	    SET("clerk-ne", "bu", "north-east"),
	    ASSIGN("clerk-ne", "clerk"),
	    END,
	};
	char *conf;

	env_setup();
	free(tu_write(env.dir, "pc.ini", 0644, "%s", pc_policy));
	conf = tu_write(env.dir, "rolegate.conf", 0644,
	                "[service %s]\n"
	                "stack = required dynamics365 policy=pc.ini\n",
	                D365);
	open_on(conf);
	free(conf);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "%s",
	              tu_diag_dump(env.ctx));
	build(env.ctx, D365, d365_tree);
	build(env.ctx, D365, users);
}

#define VIEW "user.view"

/* clang-format off */
static const struct phase moves[] = {
	{ "move north-east under south",
	  { ORG_SET("bu", "north-east", "parent", "south"), END },
	  { { D365, "rm", VIEW, { "bu=north-east" }, RG_ALLOW,
	      "regional-manager grants user.view at parent-child depth; "
	      "target unit 'north-east' is within 'north'" },
	    { D365, "rm", VIEW, { "bu=south" }, RG_DENY,
	      "target unit 'south' is outside 'north'" } },
	  { { D365, "rm", VIEW, { "bu=north-east" }, RG_DENY,
	      "target unit 'north-east' is outside 'north'" },
	    { D365, "rm", VIEW, { "bu=north" }, RG_ALLOW,
	      "within 'north'" },
	    /* The clerk stays in its unit wherever the unit goes. */
	    { D365, "clerk-ne", VIEW, { "bu=north-east" }, RG_ALLOW,
	      "clerk grants user.view at business-unit depth" } } },
	{ "move south under north",
	  { ORG_SET("bu", "south", "parent", "north"), END },
	  { { D365, "rm", VIEW, { "bu=south" }, RG_DENY, "outside 'north'" } },
	  { { D365, "rm", VIEW, { "bu=south" }, RG_ALLOW,
	      "target unit 'south' is within 'north'" },
	    { D365, "rm", VIEW, { "bu=north-east" }, RG_ALLOW,
	      "target unit 'north-east' is within 'north'" },
	    { D365, "rm", VIEW, { "bu=fabrikam" }, RG_DENY,
	      "target unit 'fabrikam' is outside 'north'" } } },
	{ "move the manager to south",
	  { SET("rm", "bu", "south"), END },
	  { { D365, "rm", VIEW, { "bu=north" }, RG_ALLOW, "within 'north'" } },
	  { { D365, "rm", VIEW, { "bu=north" }, RG_DENY,
	      "target unit 'north' is outside 'south'" },
	    { D365, "rm", VIEW, { "bu=north-east" }, RG_ALLOW,
	      "within 'south'" } } },
	{ "a new unit under north-east",
	  { ORG("bu", "north-east-2", "north-east"), END },
	  { { D365, "rm", VIEW, { "bu=north-east-2" }, RG_DENY,
	      "unknown business unit 'north-east-2'" } },
	  { { D365, "rm", VIEW, { "bu=north-east-2" }, RG_ALLOW,
	      "target unit 'north-east-2' is within 'south'" },
	    { D365, "clerk-ne", VIEW, { "bu=north-east-2" }, RG_DENY,
	      "outside 'north-east'" } } },
};
/* clang-format on */

START_TEST(test_d365_moves)
{
	run_phases(D365, moves, RG_COUNTOF(moves));
}
END_TEST

/* A move that makes a cycle is refused and changes nothing. */
START_TEST(test_d365_cycle_refused)
{
	static const struct dcase still[] = {
	    {D365, "rm", VIEW, {"bu=north-east"}, RG_ALLOW, "within 'north'"},
	    {D365, "rm", VIEW, {"bu=south"}, RG_DENY, "outside 'north'"},
	};
	rg_txn *txn = begin(env.ctx, D365);
	int rc = rg_org_set(txn, "bu", "north", "parent", "north-east");

	ck_assert_msg(rc != RG_OK, "a cycle was accepted");
	rg_txn_abort(txn);
	run_cases(still, RG_COUNTOF(still), "after the refused cycle");
}
END_TEST

/* ---- Rocket.Chat: units, departments, settings from the directory ------- */

/*
 * units apac, latam; departments sales-apac (apac, 2 chats), support-apac
 * (apac), retail-latam (latam), general (no unit, 4 chats); default 6 chats.
 * None of these is in the shipped tenant file (emea, americas, sales,
 * support, billing, onboarding; default 5).
 */
/* clang-format off */
static const struct op rc_org[] = {
	ORG("unit", "apac", NULL),
	ORG("unit", "latam", NULL),
	ORG("department", "sales-apac", "apac"),
	ORG_SET("department", "sales-apac", "max_chats", "2"),
	ORG("department", "support-apac", "apac"),
	ORG("department", "retail-latam", "latam"),
	ORG("department", "general", NULL),
	ORG_SET("department", "general", "max_chats", "4"),
	SETTING("default_max_chats", "6"),
	/* Neither a unit nor a limit: known through its agents. */
	ORG("department", "lobby", NULL),
	END,
};
/* clang-format on */

/* clang-format off */
static const struct op rc_users[] = {
	USER("mon-apac"),
	ASSIGN("mon-apac", "livechat-monitor"),
	MEMBER("mon-apac", "unit", "apac"),
	USER("mon-none"),
	ASSIGN("mon-none", "livechat-monitor"),
	USER("mon-agent"),
	ASSIGN("mon-agent", "livechat-monitor"),
	MEMBER("mon-agent", "unit", "apac"),
	MEMBER("mon-agent", "department", "retail-latam"),
	USER("agt-sa"),
	ASSIGN("agt-sa", "livechat-agent"),
	MEMBER("agt-sa", "department", "sales-apac"),
	SET("agt-sa", "status", "available"),
	SET("agt-sa", "max_chats", "5"),
	USER("agt-rl"),
	ASSIGN("agt-rl", "livechat-agent"),
	MEMBER("agt-rl", "department", "retail-latam"),
	SET("agt-rl", "status", "available"),
	SET("agt-rl", "max_chats", "1"),
	USER("agt-gen"),
	ASSIGN("agt-gen", "livechat-agent"),
	MEMBER("agt-gen", "department", "general"),
	SET("agt-gen", "status", "available"),
	USER("agt-off"),
	ASSIGN("agt-off", "livechat-agent"),
	MEMBER("agt-off", "department", "sales-apac"),
	SET("agt-off", "status", "unavailable"),
	USER("agt-nostatus"),
	ASSIGN("agt-nostatus", "livechat-agent"),
	USER("mgr"),
	ASSIGN("mgr", "livechat-manager"),
	USER("agt-lobby"),
	ASSIGN("agt-lobby", "livechat-agent"),
	MEMBER("agt-lobby", "department", "lobby"),
	SET("agt-lobby", "status", "available"),
	SET("agt-lobby", "max_chats", "3"),
	END,
};
/* clang-format on */

static void rc_setup(void)
{
	shipped_setup();
	build(env.ctx, RC, rc_org);
	build(env.ctx, RC, rc_users);
}

/* clang-format off */
static const struct dcase rc_cases[] = {
	/* Monitors: the departments of their directory units. */
	{ RC, "mon-apac", ANALYTICS, { "department=sales-apac" }, RG_ALLOW,
	  "livechat-monitor grants view-livechat-analytics on department "
	  "'sales-apac' through the monitor's unit 'apac'" },
	{ RC, "mon-apac", ANALYTICS, { "department=support-apac" }, RG_ALLOW,
	  "through the monitor's unit 'apac'" },
	{ RC, "mon-apac", ANALYTICS, { "department=retail-latam" }, RG_DENY,
	  "department 'retail-latam' is in unit 'latam', not one of the "
	  "monitor's units (apac)" },
	{ RC, "mon-apac", ANALYTICS, { "department=general" }, RG_DENY,
	  "department 'general' is in no unit" },
	{ RC, "mon-apac", ANALYTICS, { NULL }, RG_ALLOW, "livechat-monitor" },
	/* The request cannot widen a directory user's units. */
	{ RC, "mon-apac", ANALYTICS,
	  { "department=retail-latam", "subject.units=latam" }, RG_DENY,
	  "not one of the monitor's units (apac)" },
	{ RC, "mon-none", ANALYTICS, { "department=sales-apac" }, RG_DENY,
	  "not one of the monitor's units (none)" },
	{ RC, "mon-agent", ANALYTICS, { "department=retail-latam" }, RG_ALLOW,
	  "the monitor is one of its agents" },
	{ RC, "mon-agent", ANALYTICS, { "department=support-apac" }, RG_ALLOW,
	  "'apac'" },
	{ RC, "mgr", ANALYTICS, { "department=retail-latam" }, RG_ALLOW,
	  "livechat-manager grants view-livechat-analytics on every "
	  "department" },
	/* The tenant file's departments are not the organisation any more. */
	{ RC, "mon-apac", ANALYTICS, { "department=sales" }, RG_DENY,
	  "request attribute department='sales' names a department the "
	  "tenant does not have (the directory)" },
	{ RC, "@livechat-monitor", ANALYTICS,
	  { "department=sales-apac", "subject.units=emea" }, RG_DENY,
	  "subject attribute units names unit 'emea'" },
	{ RC, "@livechat-monitor", ANALYTICS,
	  { "department=sales-apac", "subject.units=apac" }, RG_ALLOW,
	  "through the monitor's unit 'apac'" },
	/* Queues: visible to the department's directory agents. */
	{ RC, "agt-sa", QUEUE, { "department=sales-apac" }, RG_ALLOW,
	  "the queue of department 'sales-apac' is visible to its agents, "
	  "the subject among them" },
	{ RC, "agt-sa", QUEUE, { "department=retail-latam" }, RG_DENY,
	  "visible only to its agents (subject departments: sales-apac)" },
	{ RC, "agt-sa", QUEUE,
	  { "department=retail-latam", "subject.departments=retail-latam" },
	  RG_DENY, "(subject departments: sales-apac)" },
	{ RC, "agt-rl", QUEUE, { "department=retail-latam" }, RG_ALLOW,
	  "the subject among them" },
	{ RC, "agt-sa", QUEUE, { NULL }, RG_ALLOW, "livechat-agent grants" },
	{ RC, "agt-nostatus", QUEUE, { "department=general" }, RG_DENY,
	  "(subject departments: none)" },
	{ RC, "mgr", QUEUE, { "department=sales-apac" }, RG_ALLOW,
	  "every department" },
	/*
	 * take-inquiry (Rocket.Chat 7.x: the department's limit and the
	 * agent's both apply, the waiting queue being on in the shipped
	 * tenant file): the department's limit first.
	 */
	{ RC, "agt-sa", TAKE,
	  { ONLINE, "department=sales-apac", "open_chats=1",
	    "department_open_chats=1" },
	  RG_ALLOW, "the department's 1 open chats are below its limit of 2" },
	{ RC, "agt-sa", TAKE,
	  { ONLINE, "department=sales-apac", "open_chats=1",
	    "department_open_chats=2" },
	  RG_DENY, "the department's 2 open chats reach the limit of 2 set by "
	  "department 'sales-apac' (directory max_chats)" },
	{ RC, "agt-sa", TAKE,
	  { ONLINE, "department=general", "open_chats=0",
	    "department_open_chats=4" },
	  RG_DENY, "the limit of 4 set by department 'general'" },
	/* No department limit: the agent's. */
	{ RC, "agt-sa", TAKE,
	  { ONLINE, "department=support-apac", "open_chats=4" },
	  RG_ALLOW, "below the limit of 5 set by the agent 'agt-sa' "
	  "(directory max_chats)" },
	{ RC, "agt-sa", TAKE,
	  { ONLINE, "department=support-apac", "open_chats=5" },
	  RG_DENY, "5 open chats reach the limit of 5 set by the agent" },
	{ RC, "agt-sa", TAKE,
	  { ONLINE, "department=support-apac", "subject.max_chats=100",
	    "open_chats=5" },
	  RG_DENY, "limit of 5 set by the agent" },
	{ RC, "agt-rl", TAKE,
	  { ONLINE, "department=retail-latam", "open_chats=0" },
	  RG_ALLOW, "limit of 1 set by the agent 'agt-rl'" },
	{ RC, "agt-rl", TAKE,
	  { ONLINE, "department=retail-latam", "open_chats=1" },
	  RG_DENY, "1 open chats reach the limit of 1 set by the agent" },
	/* Neither: the directory's default, over the tenant file's 5. */
	{ RC, "agt-gen", TAKE, { ONLINE, "open_chats=5" }, RG_ALLOW,
	  "below the limit of 6 set by the tenant default (directory "
	  "setting default_max_chats)" },
	{ RC, "agt-gen", TAKE, { ONLINE, "open_chats=6" }, RG_DENY,
	  "6 open chats reach the limit of 6 set by the tenant default" },
	{ RC, "agt-gen", TAKE,
	  { ONLINE, "department=general", "open_chats=3",
	    "department_open_chats=3" },
	  RG_ALLOW, "the department's 3 open chats are below its limit of 4" },
	{ RC, "agt-gen", TAKE, { ONLINE }, RG_DENY,
	  "open_chats is not given; the limit is 6" },
	{ RC, "agt-gen", TAKE, { "open_chats=0" }, RG_DENY,
	  "request attribute connection (online, away or offline) is not "
	  "given" },
	/* Status from the directory. */
	{ RC, "agt-off", TAKE, { "open_chats=0" }, RG_DENY,
	  "the agent's status is unavailable" },
	{ RC, "agt-off", TAKE, { "subject.status=available", "open_chats=0" },
	  RG_DENY, "status is unavailable" },
	{ RC, "agt-nostatus", TAKE, { "open_chats=0" }, RG_DENY,
	  "subject attribute status is not given" },
	{ RC, "mgr", TAKE, { "open_chats=0" }, RG_DENY,
	  "no role of the subject grants take-inquiry" },
	{ RC, "agt-sa", TAKE, { "open_chats=lots" }, RG_DENY,
	  "request attribute open_chats='lots'" },
	/* A department with neither unit nor limit, through its agent. */
	{ RC, "agt-lobby", QUEUE, { "department=lobby" }, RG_ALLOW,
	  "the queue of department 'lobby' is visible to its agents" },
	{ RC, "agt-lobby", TAKE,
	  { ONLINE, "department=lobby", "open_chats=2" },
	  RG_ALLOW, "below the limit of 3 set by the agent 'agt-lobby'" },
	{ RC, "agt-lobby", "view-l-room", { NULL }, RG_ALLOW,
	  "livechat-agent grants view-l-room" },
	/* It exists for everyone, but its queue is its agents' only. */
	{ RC, "agt-sa", QUEUE, { "department=lobby" }, RG_DENY,
	  "the queue of department 'lobby' is visible only to its agents" },
	{ RC, "agt-sa", QUEUE, { "department=nowhere" }, RG_DENY,
	  "department='nowhere' names a department the tenant does not have" },
	/* The Community edition has no chat limits. */
	{ RCC, "@livechat-agent", TAKE,
	  { "subject.status=available", ONLINE, "department=sales",
	    "open_chats=2" },
	  RG_ALLOW, "the Community edition has no chat limits" },
	{ RCC, "@livechat-agent", TAKE,
	  { "subject.status=available", ONLINE, "open_chats=5" }, RG_ALLOW,
	  "the Community edition has no chat limits" },
};
/* clang-format on */

START_TEST(test_rc_directory)
{
	run_case(&rc_cases[_i], "rocketchat case", (size_t)_i);
}
END_TEST

/*
 * Departments without units: the directory is the organisation (even
 * though the shipped tenant file has units), so monitors are not
 * restricted; without a default in the directory, the tenant file's.
 */
/* clang-format off */
static const struct op nounits[] = {
	ORG("department", "dept-a", NULL),
	ORG_SET("department", "dept-a", "max_chats", "3"),
	ORG("department", "dept-b", NULL),
	ORG_SET("department", "dept-b", "max_chats", "9"),
	USER("mon"),
	ASSIGN("mon", "livechat-monitor"),
	USER("agt"),
	ASSIGN("agt", "livechat-agent"),
	MEMBER("agt", "department", "dept-a"),
	SET("agt", "status", "available"),
	END,
};
/* clang-format on */

/* clang-format off */
static const struct phase nounit_phases[] = {
	{ "a unit appears",
	  { ORG("unit", "u1", NULL),
	    ORG_SET("department", "dept-b", "unit", "u1"),
	    END },
	  { { RC, "mon", ANALYTICS, { "department=dept-a" }, RG_ALLOW,
	      "the tenant has no units (the directory), so monitors are not "
	      "restricted" },
	    { RC, "mon", ANALYTICS, { "department=dept-b" }, RG_ALLOW,
	      "not restricted" },
	    { RC, "mon", ANALYTICS, { "department=sales" }, RG_DENY,
	      "department='sales' names a department the tenant does not "
	      "have (the directory)" },
	    { RC, "agt", TAKE, { ONLINE, "open_chats=4" }, RG_ALLOW,
	      "below the limit of 5 set by the tenant default ([tenant] "
	      "max_chats)" },
	    { RC, "agt", TAKE, { ONLINE, "open_chats=5" }, RG_DENY,
	      "limit of 5 set by the tenant default ([tenant] max_chats)" },
	    { RC, "agt", TAKE,
	      { ONLINE, "department=dept-a", "open_chats=0",
	        "department_open_chats=3" },
	      RG_DENY, "limit of 3 set by department 'dept-a' (directory "
	      "max_chats)" } },
	  { { RC, "mon", ANALYTICS, { "department=dept-a" }, RG_DENY,
	      "department 'dept-a' is in no unit" },
	    { RC, "mon", ANALYTICS, { "department=dept-b" }, RG_DENY,
	      "department 'dept-b' is in unit 'u1', not one of the monitor's "
	      "units (none)" } } },
	{ "the monitor joins the unit",
	  { MEMBER("mon", "unit", "u1"), END },
	  { { RC, "mon", ANALYTICS, { "department=dept-b" }, RG_DENY,
	      "units (none)" } },
	  { { RC, "mon", ANALYTICS, { "department=dept-b" }, RG_ALLOW,
	      "through the monitor's unit 'u1'" },
	    { RC, "mon", ANALYTICS, { "department=dept-a" }, RG_DENY,
	      "in no unit" } } },
	{ "a default of 0 is set: no default limit",
	  { SETTING("default_max_chats", "0"), END },
	  { { RC, "agt", TAKE, { ONLINE, "open_chats=100" }, RG_DENY,
	      "limit of 5 set by the tenant default" } },
	  { { RC, "agt", TAKE, { ONLINE, "open_chats=100" }, RG_ALLOW,
	      "no chat limit is set" },
	    { RC, "agt", TAKE,
	      { ONLINE, "department=dept-a", "open_chats=0",
	        "department_open_chats=3" },
	      RG_DENY, "limit of 3 set by department 'dept-a'" } } },
	{ "the agent gets a limit, then the default another",
	  { SET("agt", "max_chats", "2"),
	    SETTING("default_max_chats", "7"), END },
	  { { RC, "agt", TAKE, { ONLINE, "open_chats=2" }, RG_ALLOW,
	      "no chat limit is set" } },
	  { { RC, "agt", TAKE, { ONLINE, "open_chats=2" }, RG_DENY,
	      "limit of 2 set by the agent 'agt'" },
	    { RC, "agt", TAKE,
	      { ONLINE, "department=dept-b", "open_chats=0",
	        "department_open_chats=9" },
	      RG_DENY, "9 open chats reach the limit of 9 set by department "
	      "'dept-b'" } } },
};
/* clang-format on */

START_TEST(test_rc_nounits)
{
	shipped_setup();
	build(env.ctx, RC, nounits);
	run_phases(RC, nounit_phases, RG_COUNTOF(nounit_phases));
}
END_TEST

/* ---- Custom roles -------------------------------------------------------- */

struct custom_case {
	const char *service;
	const char *id;
	const char *privileges; /* comma-separated */
	int want;               /* rg_custom_role_create()'s status */
	const char *error;      /* substring of rg_txn_error(), or NULL */
};

/* clang-format off */
static const struct custom_case custom_cases[] = {
	/* Rocket.Chat: Enterprise only, any declared permission. */
	{ RC, "queue-watcher", QUEUE "," ANALYTICS, RG_OK, NULL },
	{ RC, "all-powerful", "manage-livechat-managers,take-inquiry", RG_OK,
	  NULL },
	{ RCC, "queue-watcher", QUEUE, RG_EREFUSED,
	  "custom roles need the Enterprise edition" },
	{ RCC, "nothing", "view-l-room", RG_EREFUSED,
	  "custom roles need the Enterprise edition" },
	/* Omni24: category permissions only. */
	{ OMNI24, "kb-editor",
	  "knowledge.manage-articles,knowledge.manage-categories", RG_OK,
	  NULL },
	{ OMNI24, "reports-and-tasks", "reports.inbox,task.manage", RG_OK,
	  NULL },
	{ OMNI24, "billing-helper", "reports.inbox,billing.manage",
	  RG_EREFUSED, "'billing.manage' is not a category permission" },
	{ OMNI24, "viewer", "knowledge.view", RG_EREFUSED,
	  "'knowledge.view' is not a category permission; custom roles may "
	  "hold only category permissions" },
	{ OMNI24, "chatter", "chat.handle,roles.manage", RG_EREFUSED,
	  "'chat.handle'" },
	/* A declared role's id is taken. */
	{ OMNI24, "agent", "reports.inbox", RG_EEXIST, NULL },
	{ RC, "livechat-agent", QUEUE, RG_EEXIST, NULL },
};
/* clang-format on */

START_TEST(test_custom_create)
{
	const struct custom_case *c = &custom_cases[_i];
	rg_txn *txn;
	int rc;

	shipped_setup();
	txn = begin(env.ctx, c->service);
	rc = custom_create(txn, c->id, c->privileges);
	ck_assert_msg(rc == c->want, "%s %s: %s, want %s (%s)", c->service,
	              c->id, rg_status_name(rc), rg_status_name(c->want),
	              rg_txn_error(txn));
	if (c->error)
		ck_assert_msg(strstr(rg_txn_error(txn), c->error),
		              "%s %s: error '%s' lacks '%s'", c->service, c->id,
		              rg_txn_error(txn), c->error);
	if (rc == RG_OK)
		commit(txn);
	else
		rg_txn_abort(txn);
}
END_TEST

/* clang-format off */
static const struct op custom_rc[] = {
	CUSTOM("queue-watcher", QUEUE "," ANALYTICS),
	ORG("department", "sales-apac", NULL),
	ORG_SET("department", "sales-apac", "max_chats", "2"),
	ORG("department", "general", NULL),
	ORG_SET("department", "general", "max_chats", "4"),
	USER("cw"),
	ASSIGN("cw", "queue-watcher"),
	MEMBER("cw", "department", "sales-apac"),
	END,
};
/* clang-format on */

/* clang-format off */
static const struct op custom_omni24[] = {
	CUSTOM("kb-editor",
	       "knowledge.manage-articles,knowledge.manage-categories"),
	USER("kim"),
	ASSIGN("kim", "kb-editor"),
	USER("ann"),
	ASSIGN("ann", "agent"),
	ASSIGN("ann", "kb-editor"),
	END,
};
/* clang-format on */

/*
 * A custom role the store holds but the plugin refuses now (made under an
 * edition that had custom roles) grants nothing, and the load says so.
 */
START_TEST(test_custom_refused_at_load)
{
	static const struct op ops[] = {
	    CUSTOM("helper", QUEUE),
	    USER("ann"),
	    ASSIGN("ann", "helper"),
	    END,
	};
	static const char *const editions[] = {"enterprise", "community"};
	size_t i;

	env_setup();
	for (i = 0; i < RG_COUNTOF(editions); i++) {
		char *conf =
		    tu_write(env.dir, "rolegate.conf", 0644,
		             "[service rc]\nstack = required rocketchat "
		             "policy=" TU_POLICIES "/rocketchat.ini "
		             "edition=%s\n",
		             editions[i]);
		rg_decision d;

		tu_close(&env);
		open_on(conf);
		free(conf);
		if (i == 0)
			build(env.ctx, "rc", ops);
		tu_check(env.ctx, "rc", "ann", QUEUE, 0, &d);
		ck_assert_msg(d.result == (i == 0 ? RG_ALLOW : RG_DENY),
		              "%s: %s", editions[i], d.reason);
		tu_check(env.ctx, "rc", "ann", QUEUE, RG_CHECK_NO_REASON, &d);
		ck_assert_int_eq(d.result, i == 0 ? RG_ALLOW : RG_DENY);
	}
	ck_assert(tu_log_has(&env.log, "refuses custom role 'helper'"));
	ck_assert(tu_log_has(&env.log, "it grants nothing"));
}
END_TEST

static void custom_setup(void)
{
	shipped_setup();
	build(env.ctx, RC, custom_rc);
	build(env.ctx, OMNI24, custom_omni24);
}

/* clang-format off */
static const struct dcase custom_grants[] = {
	/* Rocket.Chat: a custom role is "any other role" for departments. */
	{ RC, "cw", ANALYTICS, { NULL }, RG_ALLOW,
	  "queue-watcher grants view-livechat-analytics" },
	{ RC, "cw", ANALYTICS, { "department=general" }, RG_ALLOW,
	  "queue-watcher grants view-livechat-analytics; no department rule "
	  "limits it" },
	{ RC, "cw", QUEUE, { "department=sales-apac" }, RG_ALLOW,
	  "queue-watcher grants view-livechat-queue: the queue of department "
	  "'sales-apac' is visible to its agents" },
	{ RC, "cw", QUEUE, { "department=general" }, RG_DENY,
	  "queue-watcher grants view-livechat-queue, but the queue of "
	  "department 'general' is visible only to its agents" },
	{ RC, "cw", TAKE, { "open_chats=0" }, RG_DENY,
	  "no role of the subject grants take-inquiry" },
	{ RC, "cw", "view-l-room", { NULL }, RG_DENY, NULL },
	{ RC, "@queue-watcher", ANALYTICS, { NULL }, RG_ALLOW,
	  "queue-watcher grants" },
	/* Omni24: a custom role grants its category permissions. */
	{ OMNI24, "kim", "knowledge.manage-articles", { NULL }, RG_ALLOW,
	  "kb-editor grants knowledge.manage-articles (knowledge category "
	  "permission)" },
	{ OMNI24, "kim", "knowledge.manage-categories", { NULL }, RG_ALLOW,
	  "kb-editor grants" },
	{ OMNI24, "kim", "knowledge.customize-docs", { NULL }, RG_DENY, NULL },
	{ OMNI24, "kim", "chat.handle", { NULL }, RG_DENY,
	  "no role of the subject grants chat.handle" },
	{ OMNI24, "kim", "billing.manage", { NULL }, RG_DENY, NULL },
	{ OMNI24, "ann", "chat.handle", { NULL }, RG_ALLOW, "agent grants" },
	{ OMNI24, "ann", "knowledge.manage-articles", { NULL }, RG_ALLOW,
	  "kb-editor grants" },
	{ OMNI24, "ann", "profile.edit-own", { "owner=ann" }, RG_ALLOW,
	  "agent grants profile.edit-own on the subject's own record" },
	{ OMNI24, "ann", "profile.edit-own", { "owner=kim" }, RG_DENY,
	  "owner 'kim' is not the subject 'ann'" },
	{ OMNI24, "@kb-editor", "knowledge.manage-articles", { NULL },
	  RG_ALLOW, "kb-editor grants" },
	{ OMNI24, "@kb-editor", "reports.inbox", { NULL }, RG_DENY, NULL },
};
/* clang-format on */

START_TEST(test_custom_grants)
{
	run_case(&custom_grants[_i], "custom role case", (size_t)_i);
}
END_TEST

/* Deleting a custom role still assigned is refused; forced, it goes. */
/* clang-format off */
static const struct dcase delete_refused[] = {
	/* Refused: the role still grants. */
	{ OMNI24, "kim", "knowledge.manage-articles", { NULL }, RG_ALLOW,
	  "kb-editor grants" },
};

static const struct dcase delete_forced[] = {
	{ OMNI24, "kim", "knowledge.manage-articles", { NULL }, RG_DENY,
	  "no role of the subject grants" },
	{ OMNI24, "ann", "knowledge.manage-articles", { NULL }, RG_ALLOW,
	  "admin" },
	{ OMNI24, "ann", "chat.handle", { NULL }, RG_ALLOW, "agent grants" },
};
/* clang-format on */

START_TEST(test_custom_delete)
{
	static const struct op promote[] = {
	    ASSIGN("ann", "admin"),
	    END,
	};
	size_t unassigned = 0;
	rg_txn *txn;
	int rc;

	build(env.ctx, OMNI24, promote);
	txn = begin(env.ctx, OMNI24);
	rc = rg_custom_role_delete(txn, "kb-editor", 0, &unassigned);
	ck_assert_msg(rc == RG_EBUSY, "delete while assigned: %s (%s)",
	              rg_status_name(rc), rg_txn_error(txn));
	ck_assert_msg(strstr(rg_txn_error(txn), "still assigned"),
	              "error '%s' lacks 'still assigned'", rg_txn_error(txn));
	rg_txn_abort(txn);
	run_cases(delete_refused, RG_COUNTOF(delete_refused),
	          "after the refused delete");

	txn = begin(env.ctx, OMNI24);
	rc = rg_custom_role_delete(txn, "agent", 1, &unassigned);
	ck_assert_msg(rc == RG_EREFUSED, "delete a core role: %s (%s)",
	              rg_status_name(rc), rg_txn_error(txn));
	rg_txn_abort(txn);

	txn = begin(env.ctx, OMNI24);
	rc = rg_custom_role_delete(txn, "kb-editor", 1, &unassigned);
	ck_assert_msg(rc == RG_OK, "forced delete: %s (%s)", rg_status_name(rc),
	              rg_txn_error(txn));
	ck_assert_uint_eq(unassigned, 2);
	commit(txn);
	run_cases(delete_forced, RG_COUNTOF(delete_forced),
	          "after the forced delete");
}
END_TEST

/* ---- Contexts for one service, for a few checks ---------------------- */

/*
 * Closes env.ctx and opens it again on the shipped configuration and the
 * test's directory with flags (and service and user, for
 * RG_OPEN_ONE_SERVICE and RG_OPEN_ONE_USER), logging at level into a
 * fresh env.log.
 */
static void reopen(unsigned flags, const char *service, const char *user,
                   int level)
{
	char *conf = tu_join(tu_getenv("ROLEGATE_POLICIES"), "rolegate.conf");

	rg_close(env.ctx);
	env.ctx = NULL;
	tu_log_free(&env.log);
	tu_log_init(&env.log);
	tu_open_directory_for(&env, conf, tu_getenv("ROLEGATE_TEST_PLUGINS"),
	                      dbpath, level, flags, service, user);
	free(conf);
}

/* Both products' directories, then the context `rolegate check rocketchat`
 * opens: Rocket.Chat's rows alone, for a few checks. */
static void one_service_setup(void)
{
	rc_setup();
	build(env.ctx, D365, d365_tree);
	build(env.ctx, D365, d365_users);
	reopen(RG_OPEN_ONE_SERVICE | RG_OPEN_FEW_CHECKS, RC, NULL, RG_LOG_INFO);
}

/* A check without a reason gives the same result as the case wants. */
static void run_case_quiet(const struct dcase *c, const char *what, size_t i)
{
	rg_decision d;
	int rc = case_check(c, RG_CHECK_NO_REASON, &d);

	ck_assert_msg(rc == RG_OK && d.result == c->want,
	              "%s %zu (%s %s %s), no reason: %s, %s", what, i,
	              c->service, c->subject, c->action, rg_status_name(rc),
	              rg_result_name(d.result));
}

/* The service's answers are those of a context with every row. */
START_TEST(test_one_service_same)
{
	run_case(&rc_cases[_i], "rocketchat alone", (size_t)_i);
	run_case_quiet(&rc_cases[_i], "rocketchat alone", (size_t)_i);
}
END_TEST

/* Another service's directory users are not there: denied as unknown,
 * where a context with every row allows. */
START_TEST(test_one_service_others)
{
	static const struct dcase sup = {D365,         "sup-north", UEQ,
	                                 {"bu=north"}, RG_ALLOW,    NULL};
	static const struct dcase gone = {
	    D365, "sup-north", UEQ, {"bu=north"}, RG_DENY, "unknown user"};

	run_case_status(&gone, "dynamics365 from a rocketchat context", 0,
	                RG_ENOUSER);
	ck_assert(tu_log_has(&env.log, "only the rows of service rocketchat"));
	reopen(0, NULL, NULL, 0);
	run_case(&sup, "dynamics365 with every row", 0);
}
END_TEST

/*
 * rg_open() with flags, service and user refuses the options: RG_EINVAL,
 * the context set to NULL, and the message holding msg (NULL: any).
 */
static void open_refused(unsigned flags, const char *service, const char *user,
                         const char *msg)
{
	rg_options opts;
	rg_context *ctx = (rg_context *)&opts; /* poison */
	char err[ERRLEN] = "";

	memset(&opts, 0, sizeof(opts));
	opts.config_path = env.config ? env.config : "rolegate.conf";
	opts.flags = RG_OPEN_NO_WATCH | flags;
	opts.service = service;
	opts.user = user;
	ck_assert_int_eq(rg_open(&ctx, &opts, err, sizeof(err)), RG_EINVAL);
	ck_assert_ptr_null(ctx);
	ck_assert_msg(!msg || strstr(err, msg), "message: %s", err);
}

/* A name no service has: no rows at all, so every directory user is
 * unknown (fail closed); no name: the open fails. */
START_TEST(test_one_service_unknown)
{
	static const struct dcase agent = {RC,     "agt-sa", QUEUE,
	                                   {NULL}, RG_DENY,  "unknown user"};

	reopen(RG_OPEN_ONE_SERVICE, "no-such-service", NULL, 0);
	run_case_status(&agent, "a service no one has", 0, RG_ENOUSER);
	open_refused(RG_OPEN_ONE_SERVICE, NULL, NULL, "without a service");
}
END_TEST

/*
 * The context `rolegate check SERVICE SUBJECT` opens for case c: the
 * service's rows, of its users the subject alone (an ad-hoc subject needs
 * none), for a few checks.
 */
static void reopen_for(const struct dcase *c)
{
	unsigned flags = RG_OPEN_ONE_SERVICE | RG_OPEN_FEW_CHECKS;
	int user = c->subject[0] != '@';

	reopen(flags | (user ? RG_OPEN_ONE_USER : 0), c->service,
	       user ? c->subject : NULL, RG_LOG_INFO);
}

/* Each case's answers from a context that holds its subject's row alone:
 * a plugin decides a user from its own row and the service's facts. */
static void run_case_alone(const struct dcase *c, const char *what, size_t i)
{
	reopen_for(c);
	run_case(c, what, i);
	run_case_quiet(c, what, i);
}

START_TEST(test_one_user_rc)
{
	run_case_alone(&rc_cases[_i], "rocketchat, the subject alone",
	               (size_t)_i);
}
END_TEST

START_TEST(test_one_user_d365)
{
	run_case_alone(&d365_cases[_i], "dynamics365, the subject alone",
	               (size_t)_i);
}
END_TEST

/* The service's other users are not there; the flag needs a user and
 * RG_OPEN_ONE_SERVICE. */
START_TEST(test_one_user_others)
{
	static const struct dcase other = {RC,     "agt-rl", QUEUE,
	                                   {NULL}, RG_DENY,  "unknown user"};
	static const struct dcase self = {
	    RC, "agt-sa", QUEUE, {NULL}, RG_ALLOW, "livechat-agent grants"};

	reopen(RG_OPEN_ONE_SERVICE | RG_OPEN_ONE_USER, RC, "agt-sa",
	       RG_LOG_INFO);
	run_case(&self, "the one user", 0);
	run_case_status(&other, "another user", 0, RG_ENOUSER);
	ck_assert(tu_log_has(&env.log, "of its users agt-sa"));
	open_refused(RG_OPEN_ONE_USER, NULL, "agt-sa", NULL);
	open_refused(RG_OPEN_ONE_SERVICE | RG_OPEN_ONE_USER, RC, NULL,
	             "RG_OPEN_ONE_USER without a user");
}
END_TEST

/* For a few checks: no decision table (the debug log says which checks it
 * answers), and every answer the same. */
START_TEST(test_few_checks)
{
	static const struct dcase plain = {D365,   "sup-north", UEQ,
	                                   {NULL}, RG_ALLOW,    NULL};
	size_t i;

	reopen(0, NULL, NULL, RG_LOG_DEBUG);
	run_case_quiet(&plain, "with a table", 0);
	ck_assert(tu_log_has(&env.log, "(decision table)"));
	reopen(RG_OPEN_FEW_CHECKS, NULL, NULL, RG_LOG_DEBUG);
	run_case_quiet(&plain, "without a table", 0);
	ck_assert_msg(!tu_log_has(&env.log, "(decision table)"),
	              "a context for a few checks built a decision table");
	for (i = 0; i < RG_COUNTOF(d365_cases); i++) {
		run_case(&d365_cases[i], "dynamics365 without a table", i);
		run_case_quiet(&d365_cases[i], "dynamics365 without a table",
		               i);
	}
}
END_TEST

/* ---- The suite ----------------------------------------------------------- */

static Suite *products_directory_suite(void)
{
	Suite *s = suite_create("products_directory");
	TCase *tc;

	tc = tcase_create("dynamics365_tree");
	tcase_add_checked_fixture(tc, d365_setup, teardown);
	tcase_add_loop_test(tc, test_d365_tree, 0, (int)RG_COUNTOF(d365_cases));
	tcase_add_test(tc, test_d365_unknown_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("dynamics365_first_units");
	tcase_add_checked_fixture(tc, shipped_setup, teardown);
	tcase_add_test(tc, test_d365_first_units);
	suite_add_tcase(s, tc);

	tc = tcase_create("dynamics365_moves");
	tcase_add_checked_fixture(tc, move_setup, teardown);
	tcase_add_test(tc, test_d365_moves);
	tcase_add_test(tc, test_d365_cycle_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("rocketchat_directory");
	tcase_add_checked_fixture(tc, rc_setup, teardown);
	tcase_add_loop_test(tc, test_rc_directory, 0,
	                    (int)RG_COUNTOF(rc_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("rocketchat_nounits");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_rc_nounits);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_service");
	tcase_add_checked_fixture(tc, one_service_setup, teardown);
	tcase_add_loop_test(tc, test_one_service_same, 0,
	                    (int)RG_COUNTOF(rc_cases));
	tcase_add_test(tc, test_one_service_others);
	tcase_add_test(tc, test_one_service_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_user_rocketchat");
	tcase_add_checked_fixture(tc, one_service_setup, teardown);
	tcase_add_loop_test(tc, test_one_user_rc, 0, (int)RG_COUNTOF(rc_cases));
	tcase_add_test(tc, test_one_user_others);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_user_dynamics365");
	tcase_add_checked_fixture(tc, d365_setup, teardown);
	tcase_add_loop_test(tc, test_one_user_d365, 0,
	                    (int)RG_COUNTOF(d365_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("few_checks");
	tcase_add_checked_fixture(tc, d365_setup, teardown);
	tcase_add_test(tc, test_few_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("custom_role_create");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, test_custom_create, 0,
	                    (int)RG_COUNTOF(custom_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("custom_role_grants");
	tcase_add_checked_fixture(tc, custom_setup, teardown);
	tcase_add_loop_test(tc, test_custom_grants, 0,
	                    (int)RG_COUNTOF(custom_grants));
	tcase_add_test(tc, test_custom_delete);
	suite_add_tcase(s, tc);
	tc = tcase_create("custom_load");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_custom_refused_at_load);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(products_directory_suite)
