/*
 * check_plugins.c - the shipped generic plugins (permit, deny, rbac), driven
 * through the public API: every test writes a configuration (and policy
 * files) into a fresh temporary directory, opens a real context on it with
 * the built plugins, and asserts decisions and diagnostics.
 *
 * Environment (set by make check): ROLEGATE_TEST_PLUGINS, the built plugin
 * directory; ROLEGATE_POLICIES, the source tree's policies/.
 */
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rolegate/plugin.h>

#include "private/rg_prim.h"
#include "testutil.h"

#define CONF_NAME         "test.conf"
#define POLICY_NAME       "policy-under-test.ini"
#define EXAMPLE_POLICY    "example-rbac.ini"
#define TEXT_MAX          8192
#define NM_LINE_MAX       512
#define THREADS           4
#define CHECKS_PER_THREAD 2000

/* One temporary directory per test, and the last configuration written. */
static struct {
	char dir[PATH_MAX];
	char conf[TEXT_MAX];
} fx;

static const char *env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v && *v, "%s is not set (run through make check)", name);
	return v;
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fx.dir, sizeof(fx.dir), "%s/rolegate-plugins-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	fx.conf[0] = '\0';
}

static void teardown(void)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(fx.dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", fx.dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(fx.dir);
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* The 1-based line of the last occurrence of needle in text. */
static unsigned line_of(const char *text, const char *needle)
{
	const char *hit = NULL;
	const char *p;
	unsigned line = 1;

	for (p = strstr(text, needle); p; p = strstr(p + 1, needle))
		hit = p;
	ck_assert_msg(hit != NULL, "'%s' not in the test text", needle);
	for (p = text; p < hit; p++)
		line += *p == '\n';
	return line;
}

/* Diagnostics are asserted on, not printed. */
static void quiet_log(void *user, rg_log_level level, const char *msg)
{
}

/*
 * Writes test.conf: the [rolegate] section pointing at the built plugins,
 * then `services` verbatim, and opens a context on it.  Opening must succeed
 * whatever is wrong inside the file.
 */
static rg_context *open_conf(const char *services)
{
	char path[PATH_MAX];
	char err[RG_REASON_MAX] = "";
	rg_options opts = {0};
	rg_context *ctx = NULL;
	int rc;

	snprintf(fx.conf, sizeof(fx.conf),
	         "[rolegate]\n"
	         "plugin_dir = %s\n"
	         "log_level = err\n"
	         "\n"
	         "%s",
	         env("ROLEGATE_TEST_PLUGINS"), services);
	write_file(CONF_NAME, fx.conf);
	snprintf(path, sizeof(path), "%s/%s", fx.dir, CONF_NAME);
	opts.config_path = path;
	/* Ad-hoc subjects only: no user directory, nothing outside fx.dir. */
	opts.flags = RG_OPEN_NO_DIRECTORY | RG_OPEN_NO_WATCH;
	opts.log = quiet_log;
	rc = rg_open(&ctx, &opts, err, sizeof(err));
	ck_assert_msg(rc == RG_OK, "rg_open: %s: %s", rg_status_name(rc), err);
	ck_assert_ptr_nonnull(ctx);
	return ctx;
}

/* A context with one service, helpdesk, with the given stack lines. */
static rg_context *open_helpdesk(const char *stack)
{
	char services[TEXT_MAX];

	snprintf(services, sizeof(services), "[service helpdesk]\n%s", stack);
	return open_conf(services);
}

static const char *example_policy(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", env("ROLEGATE_POLICIES"),
	         EXAMPLE_POLICY);
	return path;
}

/* helpdesk with only rbac on the shipped example policy. */
static rg_context *open_example(void)
{
	char stack[TEXT_MAX];

	snprintf(stack, sizeof(stack), "stack = required rbac policy=%s\n",
	         example_policy());
	return open_helpdesk(stack);
}

static void assert_no_diagnostics(const rg_context *ctx)
{
	size_t n = rg_diagnostic_count(ctx);

	ck_assert_msg(n == 0, "unexpected diagnostic: %s",
	              n ? rg_diagnostic(ctx, 0) : "");
}

/* Asserts that some diagnostic contains both strings (b may be NULL). */
static void assert_diagnostic(const rg_context *ctx, const char *a,
                              const char *b)
{
	size_t i, n = rg_diagnostic_count(ctx);

	for (i = 0; i < n; i++) {
		const char *d = rg_diagnostic(ctx, i);

		if (strstr(d, a) && (!b || strstr(d, b)))
			return;
	}
	ck_abort_msg("no diagnostic with '%s'%s%s among %zu; first: %s", a,
	             b ? " and " : "", b ? b : "", n,
	             n ? rg_diagnostic(ctx, 0) : "(none)");
}

/* A diagnostic naming FILE:LINE: where LINE holds the last `needle`. */
static void assert_diagnostic_at(const rg_context *ctx, const char *file,
                                 const char *text, const char *needle)
{
	char where[PATH_MAX];

	snprintf(where, sizeof(where), "%s:%u:", file, line_of(text, needle));
	assert_diagnostic(ctx, where, NULL);
}

/* Asks service `svc` whether ad-hoc subject @roles may do action. */
static int check(const rg_context *ctx, const char *svc, const char *roles,
                 const char *action, rg_decision *d)
{
	rg_request req = {
	    .service = svc,
	    .subject = {.roles = roles},
	    .action = action,
	};

	memset(d, 0, sizeof(*d));
	return rg_check(ctx, &req, 0, d);
}

/* ---- permit and deny -------------------------------------------------- */

START_TEST(test_permit_allows)
{
	char stack[TEXT_MAX];
	rg_context *ctx;
	rg_decision d;

	/* rbac declares the actions; permit, sufficient, allows them all. */
	snprintf(stack, sizeof(stack),
	         "stack = sufficient permit\n"
	         "stack = required rbac policy=%s\n",
	         example_policy());
	ctx = open_helpdesk(stack);
	assert_no_diagnostics(ctx);
	ck_assert_int_eq(check(ctx, "helpdesk", "viewer", "user.manage", &d),
	                 RG_OK);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_int_eq(d.status, RG_OK);
	ck_assert_ptr_nonnull(d.plugin);
	ck_assert_str_eq(d.plugin, "permit");
	/* The core prefixes the reason with the deciding plugin's name. */
	ck_assert_str_eq(d.reason, "permit: allowed unconditionally");
	rg_close(ctx);
}
END_TEST

START_TEST(test_permit_cannot_allow_undeclared)
{
	char stack[TEXT_MAX];
	rg_context *ctx;
	rg_decision d;

	/*
	 * permit allows whatever reaches it, but an action that no plugin
	 * declared never does: the core denies it first.
	 */
	snprintf(stack, sizeof(stack),
	         "stack = sufficient permit\n"
	         "stack = required rbac policy=%s\n",
	         example_policy());
	ctx = open_helpdesk(stack);
	assert_no_diagnostics(ctx);
	ck_assert_int_eq(check(ctx, "helpdesk", "viewer", "ticket.burn", &d),
	                 RG_ENOACTION);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_eq(d.status, RG_ENOACTION);
	rg_close(ctx);
}
END_TEST

START_TEST(test_deny_denies)
{
	char stack[TEXT_MAX];
	rg_context *ctx;
	rg_decision d;

	/* rbac alone would allow the administrator; deny overrides it. */
	snprintf(stack, sizeof(stack),
	         "stack = required rbac policy=%s\n"
	         "stack = required deny\n",
	         example_policy());
	ctx = open_helpdesk(stack);
	assert_no_diagnostics(ctx);
	ck_assert_int_eq(
	    check(ctx, "helpdesk", "admin,viewer", "settings.edit", &d), RG_OK);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_ptr_nonnull(d.plugin);
	ck_assert_str_eq(d.plugin, "deny");
	ck_assert_str_eq(d.reason, "deny: denied unconditionally");
	rg_close(ctx);
}
END_TEST

START_TEST(test_deny_requisite_stops)
{
	char stack[TEXT_MAX];
	rg_context *ctx;
	rg_decision d;

	snprintf(stack, sizeof(stack),
	         "stack = requisite deny\n"
	         "stack = sufficient permit\n"
	         "stack = required rbac policy=%s\n",
	         example_policy());
	ctx = open_helpdesk(stack);
	assert_no_diagnostics(ctx);
	check(ctx, "helpdesk", "admin,viewer", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_ptr_nonnull(d.plugin);
	ck_assert_str_eq(d.plugin, "deny");
	rg_close(ctx);
}
END_TEST

/* Entry metadata comes from each plugin's vtable. */
static const char *const shipped[] = {"permit", "deny", "rbac"};

START_TEST(test_entry_info)
{
	char stack[TEXT_MAX];
	const rg_service *svc;
	rg_entry_info info;
	rg_context *ctx;

	snprintf(stack, sizeof(stack), "stack = optional %s%s%s\n", shipped[_i],
	         strcmp(shipped[_i], "rbac") ? "" : " policy=",
	         strcmp(shipped[_i], "rbac") ? "" : example_policy());
	ctx = open_helpdesk(stack);
	assert_no_diagnostics(ctx);
	svc = rg_service_find(ctx, "helpdesk");
	ck_assert_ptr_nonnull(svc);
	ck_assert_uint_eq(rg_entry_count(svc), 1);
	ck_assert_int_eq(rg_entry_at(svc, 0, &info), RG_OK);
	ck_assert_int_eq(info.status, RG_OK);
	ck_assert_str_eq(info.plugin, shipped[_i]);
	ck_assert_uint_eq(info.abi_version, RG_PLUGIN_ABI_VERSION);
	ck_assert_str_eq(info.plugin_version, RG_VERSION_STRING);
	ck_assert_ptr_nonnull(info.description);
	ck_assert_int_ne(info.description[0], '\0');
	ck_assert_uint_eq(info.line, line_of(fx.conf, "stack ="));
	rg_close(ctx);
}
END_TEST

/* ---- rbac decisions on the shipped example policy ---------------------- */

struct decision_case {
	const char *roles;
	const char *action;
	rg_result result;
	const char *role;    /* expected decision.role, NULL: not checked */
	const char *missing; /* expected decision.missing, NULL: not checked */
};

static const struct decision_case rbac_cases[] = {
    /* direct grants */
    {"viewer", "ticket.view", RG_ALLOW, "viewer", ""},
    {"viewer", "kb.view", RG_ALLOW, "viewer", ""},
    {"viewer", "ticket.reply", RG_DENY, "", ""},
    {"agent,viewer", "ticket.reply", RG_ALLOW, "agent", ""},
    {"agent,viewer", "ticket.close", RG_ALLOW, "agent", ""},
    {"agent,viewer", "ticket.assign", RG_DENY, "", ""},
    {"agent,viewer", "user.manage", RG_DENY, "", ""},
    /* a role's prerequisite: agent is not effective without viewer */
    {"agent", "ticket.reply", RG_DENY, "agent", "viewer"},
    {"agent", "ticket.view", RG_DENY, "", ""},
    {"supervisor", "ticket.assign", RG_DENY, "supervisor", "viewer"},
    {"admin", "settings.edit", RG_DENY, "admin", "viewer"},
    /* include: supervisor has agent's privileges, admin supervisor's */
    {"supervisor,viewer", "ticket.reply", RG_ALLOW, "supervisor", ""},
    {"supervisor,viewer", "ticket.assign", RG_ALLOW, "supervisor", ""},
    {"supervisor,viewer", "report.view", RG_ALLOW, "supervisor", ""},
    {"supervisor,viewer", "settings.edit", RG_DENY, "", ""},
    {"admin,viewer", "ticket.assign", RG_ALLOW, "admin", ""},
    {"admin,viewer", "ticket.reply", RG_ALLOW, "admin", ""},
    {"admin,viewer", "settings.edit", RG_ALLOW, "admin", ""},
    {"admin,viewer", "user.manage", RG_ALLOW, "admin", ""},
    /* a privilege's own requirement, besides the grant */
    {"supervisor,viewer", "customer.export", RG_DENY, "supervisor",
     "data-steward"},
    {"admin,viewer", "customer.export", RG_DENY, "admin", "data-steward"},
    {"supervisor,viewer,data-steward", "customer.export", RG_ALLOW,
     "supervisor", ""},
    {"admin,viewer,data-steward", "customer.export", RG_ALLOW, "admin", ""},
    {"data-steward", "customer.export", RG_DENY, "", ""},
    {"viewer,data-steward", "customer.export", RG_DENY, "", ""},
};

START_TEST(test_rbac_decision)
{
	const struct decision_case *c = &rbac_cases[_i];
	rg_context *ctx = open_example();
	rg_decision d;
	int rc;

	assert_no_diagnostics(ctx);
	rc = check(ctx, "helpdesk", c->roles, c->action, &d);
	ck_assert_msg(rc == RG_OK, "@%s %s: %s", c->roles, c->action,
	              rg_status_name(rc));
	ck_assert_msg(d.result == c->result, "@%s %s: %s (%s)", c->roles,
	              c->action, rg_result_name(d.result), d.reason);
	ck_assert_int_eq(d.status, RG_OK);
	ck_assert_ptr_nonnull(d.plugin);
	ck_assert_str_eq(d.plugin, "rbac");
	ck_assert_int_ne(d.reason[0], '\0');
	if (c->role)
		ck_assert_msg(!strcmp(d.role, c->role),
		              "@%s %s: role '%s', expected '%s'", c->roles,
		              c->action, d.role, c->role);
	if (c->missing)
		ck_assert_msg(!strcmp(d.missing, c->missing),
		              "@%s %s: missing '%s', expected '%s'", c->roles,
		              c->action, d.missing, c->missing);
	/* A missing role is worth naming in the reason, too. */
	if (c->missing && *c->missing)
		ck_assert_ptr_nonnull(strstr(d.reason, c->missing));
	rg_close(ctx);
}
END_TEST

/*
 * Unknown ids deny with their own status: a role (viewer alone would be
 * allowed, the unknown role still denies), an action, a service.
 */
static const struct {
	const char *service, *roles, *action;
	int status;
} unknown_cases[] = {
    {"helpdesk", "viewer,janitor", "ticket.view", RG_ENOROLE},
    {"helpdesk", "admin,viewer", "ticket.burn", RG_ENOACTION},
    {"sales", "viewer", "ticket.view", RG_ENOSERVICE},
};

START_TEST(test_rbac_unknown)
{
	rg_context *ctx = open_example();
	rg_decision d;

	ck_assert_int_eq(check(ctx, unknown_cases[_i].service,
	                       unknown_cases[_i].roles,
	                       unknown_cases[_i].action, &d),
	                 unknown_cases[_i].status);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_int_eq(d.status, unknown_cases[_i].status);
	rg_close(ctx);
}
END_TEST

/* What rbac declared is what the registry lists. */
START_TEST(test_rbac_registry)
{
	rg_context *ctx = open_example();
	const rg_service *svc = rg_service_find(ctx, "helpdesk");
	rg_role_info role;
	rg_privilege_info priv;
	long admin, agent, viewer, view, reply, export;

	ck_assert_ptr_nonnull(svc);
	ck_assert_uint_eq(rg_role_count(svc), 5);
	ck_assert_uint_eq(rg_privilege_count(svc), 10);

	admin = rg_role_find(svc, "admin");
	agent = rg_role_find(svc, "agent");
	viewer = rg_role_find(svc, "viewer");
	ck_assert_int_ge(admin, 0);
	ck_assert_int_ge(agent, 0);
	ck_assert_int_ge(viewer, 0);
	ck_assert_int_eq(rg_role_find(svc, "janitor"), -1);

	ck_assert_int_eq(rg_role_at(svc, (size_t)admin, &role), RG_OK);
	ck_assert_str_eq(role.id, "admin");
	ck_assert_str_eq(role.name, "Administrator");
	ck_assert_str_eq(role.plugin, "rbac");
	ck_assert_uint_eq(role.flags, RG_ROLE_PROTECTED | RG_ROLE_CORE);

	ck_assert_int_eq(rg_role_at(svc, (size_t)agent, &role), RG_OK);
	ck_assert_uint_eq(role.nprereqs, 1);
	ck_assert_str_eq(rg_role_prereq(svc, (size_t)agent, 0), "viewer");
	ck_assert_ptr_null(rg_role_prereq(svc, (size_t)agent, 1));

	view = rg_privilege_find(svc, "ticket.view");
	reply = rg_privilege_find(svc, "ticket.reply");
	export = rg_privilege_find(svc, "customer.export");
	ck_assert_int_ge(view, 0);
	ck_assert_int_ge(reply, 0);
	ck_assert_int_ge(export, 0);
	ck_assert_int_eq(rg_role_grants(svc, (size_t)viewer, (size_t)view), 1);
	ck_assert_int_eq(rg_role_grants(svc, (size_t)viewer, (size_t)reply), 0);

	ck_assert_int_eq(rg_privilege_at(svc, (size_t) export, &priv), RG_OK);
	ck_assert_str_eq(priv.id, "customer.export");
	ck_assert_str_eq(priv.description, "Export a customer's personal data");
	ck_assert_uint_eq(priv.nrequires, 1);
	ck_assert_str_eq(rg_privilege_requires(svc, (size_t) export, 0),
	                 "data-steward");
	rg_close(ctx);
}
END_TEST

/* rbac has no validate(): the core checks what rbac declared. */
/* 1 when v lists `role` (a role or privilege) as lacking `missing`. */
static int has_missing(const rg_validation *v, const char *role,
                       const char *missing)
{
	size_t i;

	for (i = 0; i < v->nmissing && i < RG_VALIDATE_MAX; i++)
		if (!strcmp(v->missing[i].role, role) &&
		    !strcmp(v->missing[i].missing, missing) &&
		    !strcmp(v->missing[i].plugin, "rbac"))
			return 1;
	return 0;
}

/*
 * rbac has no validate(): the core checks the role and privilege
 * prerequisites that rbac declared.
 */
START_TEST(test_rbac_validate)
{
	rg_context *ctx = open_example();
	rg_subject who = {.roles = "agent,supervisor"};
	rg_validation v;

	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(rg_validate(ctx, "helpdesk", &who, &v), RG_OK);
	ck_assert_int_eq(v.ok, 0);
	ck_assert_uint_eq(v.nmissing, 3);
	ck_assert(has_missing(&v, "agent", "viewer"));
	ck_assert(has_missing(&v, "supervisor", "viewer"));
	/* supervisor grants customer.export, which needs a data steward */
	ck_assert(has_missing(&v, "customer.export", "data-steward"));

	who.roles = "agent,supervisor,viewer";
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(rg_validate(ctx, "helpdesk", &who, &v), RG_OK);
	ck_assert_int_eq(v.ok, 0);
	ck_assert_uint_eq(v.nmissing, 1);
	ck_assert(has_missing(&v, "customer.export", "data-steward"));

	who.roles = "agent,supervisor,viewer,data-steward";
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(rg_validate(ctx, "helpdesk", &who, &v), RG_OK);
	ck_assert_int_eq(v.ok, 1);
	ck_assert_uint_eq(v.nmissing, 0);
	rg_close(ctx);
}
END_TEST

/* An ad-hoc subject with no role at all holds nothing. */
START_TEST(test_rbac_empty_subject)
{
	rg_context *ctx = open_example();
	rg_decision d;

	check(ctx, "helpdesk", "", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_DENY);
	rg_close(ctx);
}
END_TEST

/* policy= resolves against the config's directory. */
START_TEST(test_rbac_relative_policy)
{
	rg_context *ctx;
	rg_decision d;

	write_file("small.ini", "[privilege ticket.view]\n"
	                        "description = Read tickets\n"
	                        "[role viewer]\n"
	                        "grant = ticket.view\n");
	ctx = open_helpdesk("stack = required rbac policy=small.ini\n");
	assert_no_diagnostics(ctx);
	check(ctx, "helpdesk", "viewer", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	rg_close(ctx);
}
END_TEST

/* Two entries of rbac with different policies share no state. */
START_TEST(test_rbac_two_services)
{
	char services[TEXT_MAX];
	rg_context *ctx;
	rg_decision d;

	write_file("small.ini", "[privilege ticket.view]\n"
	                        "description = Read tickets\n"
	                        "[role viewer]\n"
	                        "grant = ticket.view\n");
	snprintf(services, sizeof(services),
	         "[service helpdesk]\n"
	         "stack = required rbac policy=%s\n"
	         "[service kiosk]\n"
	         "stack = required rbac policy=small.ini\n",
	         example_policy());
	ctx = open_conf(services);
	assert_no_diagnostics(ctx);
	check(ctx, "helpdesk", "agent,viewer", "ticket.reply", &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	check(ctx, "kiosk", "viewer", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	ck_assert_int_eq(check(ctx, "kiosk", "agent,viewer", "ticket.view", &d),
	                 RG_ENOROLE);
	ck_assert_int_eq(check(ctx, "kiosk", "viewer", "ticket.reply", &d),
	                 RG_ENOACTION);
	ck_assert_uint_eq(rg_role_count(rg_service_find(ctx, "kiosk")), 1);
	rg_close(ctx);
}
END_TEST

/* decide() runs on many threads at once on one context. */
struct worker {
	const rg_context *ctx;
	int wrong;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	rg_decision d;
	int i;

	for (i = 0; i < CHECKS_PER_THREAD; i++) {
		const struct decision_case *c =
		    &rbac_cases[i % RG_COUNTOF(rbac_cases)];

		check(w->ctx, "helpdesk", c->roles, c->action, &d);
		w->wrong += d.result != c->result;
	}
	return NULL;
}

START_TEST(test_rbac_threads)
{
	rg_context *ctx = open_example();
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		w[i].ctx = ctx;
		w[i].wrong = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]),
		                 0);
	}
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(w[i].wrong, 0);
	}
	rg_close(ctx);
}
END_TEST

/* ---- bad stack lines ---------------------------------------------------- */

/*
 * Each bad entry comes first and is required; a good rbac entry follows,
 * optional, so that the service has roles and actions that would be
 * allowed if the bad entry were dropped instead of failing.
 */
static const char *const bad_entries[] = {
    "required permit now",
    "required deny please",
    "required rbac",
    "required rbac policy",
    "required rbac policy=x.ini colour=blue",
    "required rbac policy=" POLICY_NAME " policy=" POLICY_NAME,
};

START_TEST(test_bad_arguments)
{
	char stack[TEXT_MAX];
	char where[PATH_MAX];
	rg_context *ctx;
	rg_decision d;

	write_file(POLICY_NAME, "[privilege ticket.view]\n"
	                        "description = Read tickets\n"
	                        "[role viewer]\n"
	                        "grant = ticket.view\n");
	snprintf(stack, sizeof(stack),
	         "stack = %s\n"
	         "stack = optional rbac policy=%s\n",
	         bad_entries[_i], example_policy());
	ctx = open_helpdesk(stack);
	snprintf(where, sizeof(where),
	         CONF_NAME ":%u:", line_of(fx.conf, bad_entries[_i]));
	assert_diagnostic(ctx, where, NULL);
	check(ctx, "helpdesk", "admin,viewer", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_DENY);
	check(ctx, "helpdesk", "viewer", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_DENY);
	rg_close(ctx);
}
END_TEST

/* ---- bad policy files ---------------------------------------------------- */

/*
 * Each case is a small policy with one mistake on the line holding the last
 * occurrence of `at`.  Without the mistake, viewer would be allowed
 * ticket.view and admin settings.edit.
 */
struct bad_policy {
	const char *what;
	const char *text;
	const char *at;
};

#define POLICY_HEAD                                                            \
	"[policy]\n"                                                           \
	"product = helpdesk\n"                                                 \
	"version = 1\n"                                                        \
	"\n"                                                                   \
	"[privilege ticket.view]\n"                                            \
	"description = Read tickets\n"                                         \
	"\n"                                                                   \
	"[privilege settings.edit]\n"                                          \
	"description = Change settings\n"                                      \
	"\n"

#define POLICY_VIEWER                                                          \
	"[role viewer]\n"                                                      \
	"name = Viewer\n"                                                      \
	"grant = ticket.view\n"                                                \
	"\n"

#define POLICY_ADMIN                                                           \
	"[role admin]\n"                                                       \
	"name = Administrator\n"                                               \
	"requires = viewer\n"                                                  \
	"grant = settings.edit\n"

static const struct bad_policy bad_policies[] = {
    {
        .what = "unknown key",
        .at = "colour",
        .text = POLICY_HEAD POLICY_VIEWER "[role admin]\n"
                                          "name = Administrator\n"
                                          "colour = blue\n"
                                          "grant = settings.edit\n",
    },
    {
        .what = "unknown section",
        .at = "[team support]",
        .text = POLICY_HEAD POLICY_VIEWER POLICY_ADMIN "\n"
                                                       "[team support]\n"
                                                       "members = viewer\n",
    },
    {
        .what = "key outside a section",
        .at = "stray",
        .text = "stray = 1\n" POLICY_HEAD POLICY_VIEWER POLICY_ADMIN,
    },
    {
        .what = "duplicate role",
        .at = "[role viewer]",
        .text = POLICY_HEAD POLICY_VIEWER POLICY_ADMIN "\n"
                                                       "[role viewer]\n"
                                                       "name = Viewer again\n",
    },
    {
        .what = "duplicate privilege",
        .at = "[privilege ticket.view]",
        .text = POLICY_HEAD "[privilege ticket.view]\n"
                            "description = Read tickets again\n"
                            "\n" POLICY_VIEWER POLICY_ADMIN,
    },
    {
        .what = "grant of an undeclared privilege",
        .at = "ticket.burn",
        .text = POLICY_HEAD "[role viewer]\n"
                            "name = Viewer\n"
                            "grant = ticket.view ticket.burn\n"
                            "\n" POLICY_ADMIN,
    },
    {
        .what = "requires an undeclared role",
        .at = "manager",
        .text = POLICY_HEAD POLICY_VIEWER "[role admin]\n"
                                          "name = Administrator\n"
                                          "requires = viewer manager\n"
                                          "grant = settings.edit\n",
    },
    {
        .what = "includes an undeclared role",
        .at = "auditor",
        .text = POLICY_HEAD POLICY_VIEWER POLICY_ADMIN "include = auditor\n",
    },
    {
        .what = "privilege requires an undeclared role",
        .at = "owner",
        .text = POLICY_HEAD "[privilege ticket.close]\n"
                            "description = Close tickets\n"
                            "requires = owner\n"
                            "\n" POLICY_VIEWER POLICY_ADMIN,
    },
    {
        .what = "grant with a qualifier",
        .at = "own-queue",
        .text = POLICY_HEAD "[role viewer]\n"
                            "name = Viewer\n"
                            "grant = ticket.view:own-queue\n"
                            "\n" POLICY_ADMIN,
    },
    {
        .what = "unknown role flag",
        .at = "shiny",
        .text =
            POLICY_HEAD POLICY_VIEWER POLICY_ADMIN "flags = protected shiny\n",
    },
    {
        .what = "bad role id",
        .at = "night/shift",
        .text = POLICY_HEAD POLICY_VIEWER POLICY_ADMIN "\n"
                                                       "[role night/shift]\n"
                                                       "name = Night shift\n",
    },
    {
        .what = "syntax error",
        .at = "this line",
        .text = POLICY_HEAD POLICY_VIEWER
        "this line is not a key and value\n" POLICY_ADMIN,
    },
};

START_TEST(test_bad_policy)
{
	const struct bad_policy *c = &bad_policies[_i];
	rg_context *ctx;
	rg_decision d;

	write_file(POLICY_NAME, c->text);
	ctx = open_helpdesk("stack = required rbac policy=" POLICY_NAME "\n");
	ck_assert_msg(rg_diagnostic_count(ctx) > 0, "%s: no diagnostic",
	              c->what);
	assert_diagnostic_at(ctx, POLICY_NAME, c->text, c->at);
	/* Whatever did load, the service denies everything. */
	check(ctx, "helpdesk", "viewer", "ticket.view", &d);
	ck_assert_msg(d.result == RG_DENY, "%s: viewer allowed", c->what);
	check(ctx, "helpdesk", "admin,viewer", "settings.edit", &d);
	ck_assert_msg(d.result == RG_DENY, "%s: admin allowed", c->what);
	rg_close(ctx);
}
END_TEST

/* The same policies without their mistakes load cleanly and allow. */
START_TEST(test_good_policy_baseline)
{
	rg_context *ctx;
	rg_decision d;

	write_file(POLICY_NAME, POLICY_HEAD POLICY_VIEWER POLICY_ADMIN);
	ctx = open_helpdesk("stack = required rbac policy=" POLICY_NAME "\n");
	assert_no_diagnostics(ctx);
	check(ctx, "helpdesk", "viewer", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	check(ctx, "helpdesk", "admin,viewer", "settings.edit", &d);
	ck_assert_int_eq(d.result, RG_ALLOW);
	rg_close(ctx);
}
END_TEST

START_TEST(test_missing_policy)
{
	rg_context *ctx;
	rg_decision d;

	ctx = open_helpdesk("stack = required rbac policy=no-such-policy.ini\n"
	                    "stack = sufficient permit\n");
	/* The stack line is the position; the message names the file. */
	assert_diagnostic_at(ctx, CONF_NAME, fx.conf, "no-such-policy.ini");
	assert_diagnostic(ctx, "no-such-policy.ini", NULL);
	check(ctx, "helpdesk", "", "ticket.view", &d);
	ck_assert_int_eq(d.result, RG_DENY);
	rg_close(ctx);
}
END_TEST

/* ---- the built objects ------------------------------------------------- */

/* Each plugin exports one dynamic symbol, rolegate_plugin, as data. */
START_TEST(test_exports_one_symbol)
{
	char cmd[PATH_MAX + NM_LINE_MAX];
	char line[NM_LINE_MAX];
	char sym[NM_LINE_MAX];
	char type;
	size_t count = 0;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s/%s.so'",
	         env("ROLEGATE_TEST_PLUGINS"), shipped[_i]);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p)) {
		/* "ADDRESS TYPE NAME" */
		ck_assert_msg(sscanf(line, "%*s %c %s", &type, sym) == 2,
		              "%s: unexpected nm line: %s", shipped[_i], line);
		ck_assert_msg(!strcmp(sym, "rolegate_plugin"),
		              "%s.so exports %s", shipped[_i], sym);
		ck_assert_msg(strchr("DdRrBb", type) != NULL,
		              "%s.so: rolegate_plugin has type %c, not data",
		              shipped[_i], type);
		count++;
	}
	status = pclose(p);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "'%s' failed", cmd);
	ck_assert_uint_eq(count, 1);
}
END_TEST

static Suite *plugins_suite(void)
{
	Suite *s = suite_create("plugins");
	TCase *tc;

	tc = tcase_create("permit-deny");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_permit_allows);
	tcase_add_test(tc, test_permit_cannot_allow_undeclared);
	tcase_add_test(tc, test_deny_denies);
	tcase_add_test(tc, test_deny_requisite_stops);
	tcase_add_loop_test(tc, test_entry_info, 0, (int)RG_COUNTOF(shipped));
	suite_add_tcase(s, tc);

	tc = tcase_create("rbac");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rbac_decision, 0,
	                    (int)RG_COUNTOF(rbac_cases));
	tcase_add_loop_test(tc, test_rbac_unknown, 0,
	                    (int)RG_COUNTOF(unknown_cases));
	tcase_add_test(tc, test_rbac_registry);
	tcase_add_test(tc, test_rbac_validate);
	tcase_add_test(tc, test_rbac_empty_subject);
	tcase_add_test(tc, test_rbac_relative_policy);
	tcase_add_test(tc, test_rbac_two_services);
	tcase_add_test(tc, test_rbac_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_arguments, 0,
	                    (int)RG_COUNTOF(bad_entries));
	tcase_add_test(tc, test_good_policy_baseline);
	tcase_add_loop_test(tc, test_bad_policy, 0,
	                    (int)RG_COUNTOF(bad_policies));
	tcase_add_test(tc, test_missing_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("exports");
	tcase_add_loop_test(tc, test_exports_one_symbol, 0,
	                    (int)RG_COUNTOF(shipped));
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN_MODE(plugins_suite, CK_ENV)
