/*
 * check_directory.c - the directory (users, assignments, organisation,
 * custom roles, audit, import and export) through the public API.
 *
 * Each test works in a private directory with its own configuration: a
 * helpdesk policy for the generic rbac plugin written by the test, and
 * the shipped Rocket.Chat and Omni24 policies where the products matter.
 * The directory database lives under a subdirectory that does not exist
 * until the first transaction creates it.  The watcher thread is kept
 * idle (directory_refresh_ms is an hour), so that a test decides when a
 * context refreshes.
 *
 * "Nothing changed" is checked the strict way: an export before and after
 * must be byte-identical, and the audit trail as long as before.
 *
 * Environment (set by make check): ROLEGATE_TEST_PLUGINS, ROLEGATE_POLICIES.
 */
#define _GNU_SOURCE /* asprintf */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rolegate/plugin.h>
#include <rolegate/rolegate.h>

#include "testutil.h"

#define SVC           "helpdesk"
#define POLICY        "helpdesk.ini"
#define DB_SUBDIR     "state/db" /* created by the first transaction */
#define DB_FILE       "directory.db"
#define BUSY_MS       2000L
#define SHORT_BUSY_MS 100L
#define NOBODY_ID     65534
#define MODE_DB_DIR   0750 /* what the first transaction creates */
#define MODE_DB_FILE  0640 /* the database file: owner and group */
#define DECIMAL       10

/* The helpdesk: viewer <- agent <- supervisor, admin (protected). */
static const char policy_text[] =
    "[policy]\nproduct = helpdesk\nversion = 1\n"
    "[privilege ticket.view]\ndescription = Read tickets\n"
    "[privilege ticket.reply]\ndescription = Answer tickets\n"
    "[privilege kb.view]\ndescription = Read articles\n"
    "[privilege report.view]\ndescription = Read reports\n"
    "[privilege user.manage]\ndescription = Manage users\n"
    "[role viewer]\nname = Viewer\ngrant = ticket.view kb.view\n"
    "[role agent]\nname = Agent\nrequires = viewer\n"
    "grant = ticket.reply\n"
    "[role supervisor]\nname = Supervisor\nrequires = viewer\n"
    "include = agent\ngrant = report.view\n"
    "[role admin]\nname = Administrator\nflags = protected core\n"
    "requires = viewer\ngrant = user.manage\n";

static struct tu_env env;
/* env.dir/state/db/directory.db, or a schema's location (tu_pg()) */
static char *db_path;

/* ---- setup ------------------------------------------------------------ */

static char *config_text(long busy_ms)
{
	return tu_strdupf(
	    "[rolegate]\n"
	    "directory = %s\n"
	    "directory_refresh_ms = 3600000\n"
	    "directory_busy_timeout_ms = %ld\n"
	    "[service helpdesk]\nstack = required rbac policy=" POLICY "\n"
	    "stack = optional orgs\n"
	    "[service other]\nstack = required rbac policy=" POLICY "\n"
	    "[service open]\nstack = required permit\n"
	    "[service rocketchat]\nstack = required rocketchat "
	    "policy=" TU_POLICIES "/rocketchat.ini edition=enterprise\n"
	    "[service rocketchat-community]\nstack = required rocketchat "
	    "policy=" TU_POLICIES "/rocketchat.ini edition=community\n"
	    "[service omni24]\nstack = required omni24 "
	    "policy=" TU_POLICIES "/omni24.ini\n",
	    db_path, busy_ms);
}

/* (Re)opens env.ctx on the configuration with a busy timeout. */
static rg_context *open_busy(long busy_ms)
{
	char *text = config_text(busy_ms);
	int rc = tu_open_text(&env, env.plugin_dir, text);

	free(text);
	ck_assert_msg(rc == RG_OK && env.ctx, "rg_open: %s (%s)",
	              rg_status_name(rc), env.errbuf);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	return env.ctx;
}

/* Options to open env's configuration and plugins with flags, logging to
 * log at level (0: the configuration's). */
static void env_options(rg_options *opts, unsigned flags, struct tu_log *log,
                        int level)
{
	memset(opts, 0, sizeof(*opts));
	opts->config_path = env.config;
	opts->plugin_dir = env.plugin_dir;
	opts->flags = flags;
	opts->log = tu_log_fn;
	opts->log_user = log;
	opts->log_level = level;
}

/* Another context on the same files, as another process would have. */
static rg_context *open_other(void)
{
	rg_options opts;
	rg_context *ctx = NULL;
	char err[512];
	int rc;

	env_options(&opts, RG_OPEN_NO_WATCH, &env.log, 0);
	rc = rg_open(&ctx, &opts, err, sizeof(err));
	ck_assert_msg(rc == RG_OK, "rg_open: %s", err);
	return ctx;
}

/* The location of a directory at the SQLite path env.dir/rel. */
static char *at_path(const char *rel)
{
	char *path = tu_join(env.dir, rel);
	char *loc = tu_strdupf("%s", tu_directory_location(path));

	free(path);
	return loc;
}

static void setup(void)
{
	char *pol;

	tu_env_setup(&env);
	tu_add_plugins(&env, "rbac", "permit", "rocketchat", "omni24", "orgs",
	               NULL);
	pol = tu_write(env.dir, POLICY, 0644, "%s", policy_text);
	free(pol);
	db_path = at_path(DB_SUBDIR "/" DB_FILE);
	open_busy(BUSY_MS);
}

static void teardown(void)
{
	tu_env_teardown(&env);
	free(db_path);
	db_path = NULL;
}

/* ---- helpers ---------------------------------------------------------- */

static rg_txn *begin_on(rg_context *ctx, const char *service)
{
	char err[512];
	rg_txn *txn = NULL;
	int rc = rg_txn_begin(ctx, service, "tester", "check_directory", &txn,
	                      err, sizeof(err));

	ck_assert_msg(rc == RG_OK && txn, "rg_txn_begin(%s): %s: %s", service,
	              rg_status_name(rc), err);
	return txn;
}

static rg_txn *begin(void)
{
	return begin_on(env.ctx, SVC);
}

/* Asserts that an operation succeeded, naming it. */
#define OK(txn, call)                                                          \
	do {                                                                   \
		int rc_ = (call);                                              \
		ck_assert_msg(rc_ == RG_OK, "%s: %s: %s", #call,               \
		              rg_status_name(rc_), rg_txn_error(txn));         \
	} while (0)

static void commit(rg_txn *txn)
{
	int rc = rg_txn_commit(txn);

	ck_assert_msg(rc == RG_OK, "commit: %s", rg_status_name(rc));
}

/* 1 when the check allows; *status gets rg_check()'s status. */
static int allowed_on(const rg_context *ctx, const char *service,
                      const char *user, const char *action, int *status)
{
	rg_decision d;
	int rc = tu_check(ctx, service, user, action, 0, &d);

	if (status)
		*status = rc;
	return d.result == RG_ALLOW;
}

static int allowed(const char *user, const char *action)
{
	return allowed_on(env.ctx, SVC, user, action, NULL);
}

/* A user as rg_user_get() reports it, copied. */
struct user_copy {
	int calls;
	char id[RG_ID_MAX], name[256], bu[RG_ID_MAX], status[32];
	long max_chats;
	char roles[512], departments[512], units[512];
	int has_bu, has_status;
};

static int copy_user(void *user, const rg_user_info *u)
{
	struct user_copy *c = user;
	const char *bu = rg_user_info_attr(u, "bu");
	const char *status = rg_user_info_attr(u, "status");
	const char *max = rg_user_info_attr(u, "max_chats");

	c->calls++;
	snprintf(c->id, sizeof(c->id), "%s", u->id);
	snprintf(c->name, sizeof(c->name), "%s", u->name);
	c->has_bu = bu != NULL;
	c->has_status = status != NULL;
	snprintf(c->bu, sizeof(c->bu), "%s", bu ? bu : "");
	snprintf(c->status, sizeof(c->status), "%s", status ? status : "");
	c->max_chats = max ? strtol(max, NULL, DECIMAL) : -1;
	snprintf(c->roles, sizeof(c->roles), "%s", u->roles);
	snprintf(c->departments, sizeof(c->departments), "%s",
	         rg_user_info_members(u, "department"));
	snprintf(c->units, sizeof(c->units), "%s",
	         rg_user_info_members(u, "unit"));
	return 0;
}

static struct user_copy get_user(rg_context *ctx, const char *service,
                                 const char *id)
{
	struct user_copy c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = rg_user_get(ctx, service, id, copy_user, &c);
	ck_assert_msg(rc == RG_OK, "rg_user_get(%s): %s", id,
	              rg_status_name(rc));
	ck_assert_int_eq(c.calls, 1);
	return c;
}

static int count_user(void *user, const rg_user_info *u)
{
	(*(int *)user)++;
	return 0;
}

static int user_count(rg_context *ctx, const char *service)
{
	int n = 0;

	ck_assert_int_eq(rg_user_list(ctx, service, count_user, &n), RG_OK);
	return n;
}

static int count_audit(void *user, const rg_audit_info *a)
{
	(*(int *)user)++;
	return 0;
}

static int audit_count(void)
{
	int n = 0;

	ck_assert_int_eq(rg_audit_list(env.ctx, NULL, count_audit, &n), RG_OK);
	return n;
}

/* The whole file, allocated; NULL when it cannot be read. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Exports everything and returns the text. */
static char *export_text(rg_context *ctx, const char *name)
{
	char *path = tu_join(env.dir, name), *text;
	char err[512];
	int rc = rg_directory_export(ctx, NULL, path, err, sizeof(err));

	ck_assert_msg(rc == RG_OK, "export: %s: %s", rg_status_name(rc), err);
	text = slurp(path);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	free(path);
	return text;
}

/*
 * The population most tests start from:
 *   bu root > sales; unit u1 with department d1 (and d2 without unit);
 *   alice: viewer, agent; bu sales; agent of d1, monitor of u1;
 *   bob: custom role reader (ticket.view); carol: nothing.
 */
static void populate(void)
{
	static const char *const reader_privs[] = {"ticket.view"};
	rg_txn *t = begin();

	OK(t, rg_org_add(t, "bu", "root", NULL));
	OK(t, rg_org_add(t, "bu", "sales", "root"));
	OK(t, rg_org_add(t, "unit", "u1", NULL));
	OK(t, rg_org_add(t, "department", "d1", "u1"));
	OK(t, rg_org_add(t, "department", "d2", NULL));
	OK(t, rg_user_add(t, "alice", "Alice Liddell"));
	OK(t, rg_user_add(t, "bob", NULL));
	OK(t, rg_user_add(t, "carol", "Carol"));
	OK(t, rg_role_assign(t, "alice", "viewer", 0));
	OK(t, rg_role_assign(t, "alice", "agent", RG_ASSIGN_STRICT));
	OK(t, rg_user_set(t, "alice", "bu", "sales"));
	OK(t, rg_member_add(t, "alice", "department", "d1"));
	OK(t, rg_member_add(t, "alice", "unit", "u1"));
	OK(t, rg_custom_role_create(t, "reader", "Reader", "Reads tickets",
	                            reader_privs, 1));
	OK(t, rg_role_assign(t, "bob", "reader", 0));
	commit(t);
}

/* ---- creation on first use -------------------------------------------- */

START_TEST(test_missing_is_empty)
{
	struct stat st;
	int status;

	/* Opening and reading never create anything. */
	ck_assert_int_eq(rg_directory_available(env.ctx), 1);
	ck_assert_str_eq(rg_directory_location(env.ctx), db_path);
	ck_assert_int_eq(user_count(env.ctx, NULL), 0);
	ck_assert_int_eq(audit_count(), 0);
	ck_assert(!allowed_on(env.ctx, SVC, "alice", "ticket.view", &status));
	ck_assert_int_eq(status, RG_ENOUSER);
	ck_assert_int_eq(rg_directory_refresh(env.ctx), RG_OK);
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
	if (!tu_pg()) { /* a schema exists from the start */
		ck_assert_int_eq(stat(db_path, &st), -1);
		ck_assert_int_eq(errno, ENOENT);
	}
}
END_TEST

START_TEST(test_first_txn_creates)
{
	char *dir = tu_strdupf("%s/" DB_SUBDIR, env.dir);
	struct stat st;
	rg_txn *t = begin();

	/* The parent directories and the database exist from begin on. */
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, MODE_DB_DIR);
	OK(t, rg_user_add(t, "alice", NULL));
	commit(t);
	/* It lists who may do what: not for everyone's eyes. */
	ck_assert_int_eq(stat(db_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, MODE_DB_FILE);
	ck_assert_int_eq(user_count(env.ctx, SVC), 1);
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
	free(dir);
}
END_TEST

START_TEST(test_begin_bad_args)
{
	char err[512] = "x";
	rg_txn *t = (rg_txn *)&err;

	ck_assert_int_eq(
	    rg_txn_begin(env.ctx, "nosuch", NULL, NULL, &t, err, sizeof(err)),
	    RG_ENOSERVICE);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(err, "nosuch"));
	ck_assert_int_eq(
	    rg_txn_begin(NULL, SVC, NULL, NULL, &t, err, sizeof(err)),
	    RG_EINVAL);
	ck_assert_int_eq(
	    rg_txn_begin(env.ctx, SVC, NULL, NULL, NULL, err, sizeof(err)),
	    RG_EINVAL);
	ck_assert_int_eq(rg_user_add(NULL, "x", NULL), RG_EINVAL);
	ck_assert_int_eq(rg_txn_commit(NULL), RG_EINVAL);
	rg_txn_abort(NULL);
	ck_assert_str_eq(rg_txn_error(NULL), "");
	ck_assert_uint_eq(rg_txn_warning_count(NULL), 0);
}
END_TEST

START_TEST(test_no_directory)
{
	rg_options opts;
	rg_context *ctx;
	char err[512];
	rg_txn *t = NULL;

	env_options(&opts, RG_OPEN_NO_DIRECTORY, &env.log, 0);
	ck_assert_int_eq(rg_open(&ctx, &opts, err, sizeof(err)), RG_OK);
	ck_assert_int_eq(rg_directory_available(ctx), 0);
	ck_assert_int_eq(
	    rg_txn_begin(ctx, SVC, NULL, NULL, &t, err, sizeof(err)),
	    RG_ENOSYS);
	ck_assert_int_eq(rg_user_list(ctx, NULL, count_user, &(int){0}),
	                 RG_ENOSYS);
	rg_close(ctx);
}
END_TEST

/* ---- every operation, the good way ------------------------------------ */

START_TEST(test_users)
{
	struct user_copy u;
	rg_txn *t;

	populate();
	u = get_user(env.ctx, SVC, "alice");
	ck_assert_str_eq(u.name, "Alice Liddell");
	ck_assert_str_eq(u.bu, "sales");
	ck_assert(!u.has_status);
	ck_assert_int_eq(u.max_chats, -1);
	ck_assert_str_eq(u.roles, "agent,viewer");
	ck_assert_str_eq(u.departments, "d1");
	ck_assert_str_eq(u.units, "u1");
	/* A name defaults to the id. */
	ck_assert_str_eq(get_user(env.ctx, SVC, "bob").name, "bob");

	t = begin();
	OK(t, rg_user_set(t, "bob", RG_USER_NAME, "Robert"));
	OK(t, rg_user_set(t, "bob", "status", "available"));
	OK(t, rg_user_set(t, "bob", "max_chats", "4"));
	OK(t, rg_user_set(t, "bob", "bu", "root"));
	commit(t);
	u = get_user(env.ctx, SVC, "bob");
	ck_assert_str_eq(u.name, "Robert");
	ck_assert_str_eq(u.status, "available");
	ck_assert_int_eq(u.max_chats, 4);
	ck_assert_str_eq(u.bu, "root");

	/* NULL clears; a cleared name is the id again. */
	t = begin();
	OK(t, rg_user_set(t, "bob", RG_USER_NAME, NULL));
	OK(t, rg_user_set(t, "bob", "status", NULL));
	OK(t, rg_user_set(t, "bob", "max_chats", NULL));
	OK(t, rg_user_set(t, "bob", "bu", NULL));
	commit(t);
	u = get_user(env.ctx, SVC, "bob");
	ck_assert_str_eq(u.name, "bob");
	ck_assert(!u.has_status && !u.has_bu);
	ck_assert_int_eq(u.max_chats, -1);

	/* Removal takes assignments and memberships with it. */
	t = begin();
	OK(t, rg_user_remove(t, "alice"));
	commit(t);
	ck_assert_int_eq(rg_user_get(env.ctx, SVC, "alice", copy_user, &u),
	                 RG_ENOUSER);
	ck_assert_int_eq(rg_role_assigned_count(env.ctx, SVC, "agent"), 0);
	ck_assert_int_eq(user_count(env.ctx, SVC), 2);
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
}
END_TEST

START_TEST(test_services_apart)
{
	rg_txn *t;

	populate();
	/* The same id in another service is another user. */
	t = begin_on(env.ctx, "other");
	OK(t, rg_user_add(t, "alice", "Other Alice"));
	commit(t);
	ck_assert_str_eq(get_user(env.ctx, "other", "alice").name,
	                 "Other Alice");
	ck_assert_str_eq(get_user(env.ctx, "other", "alice").roles, "");
	ck_assert_int_eq(user_count(env.ctx, "other"), 1);
	ck_assert_int_eq(user_count(env.ctx, SVC), 3);
	ck_assert_int_eq(user_count(env.ctx, NULL), 4);
	ck_assert(allowed("alice", "ticket.reply"));
	ck_assert(!allowed_on(env.ctx, "other", "alice", "ticket.view", NULL));
	ck_assert_int_eq(rg_user_list(env.ctx, "nosuch", count_user, &(int){0}),
	                 RG_ENOSERVICE);
}
END_TEST

START_TEST(test_assign_and_check)
{
	rg_txn *t;

	populate();
	ck_assert(allowed("alice", "ticket.reply"));
	ck_assert(!allowed("carol", "ticket.view"));
	t = begin();
	OK(t, rg_role_assign(t, "carol", "viewer", RG_ASSIGN_STRICT));
	ck_assert_uint_eq(rg_txn_warning_count(t), 0);
	/* Not committed: checks do not see it. */
	ck_assert(!allowed("carol", "ticket.view"));
	commit(t);
	/* Committed: they do, at once. */
	ck_assert(allowed("carol", "ticket.view"));
	ck_assert(!allowed("carol", "ticket.reply"));

	t = begin();
	OK(t, rg_role_unassign(t, "alice", "agent"));
	commit(t);
	ck_assert(!allowed("alice", "ticket.reply"));
	ck_assert(allowed("alice", "ticket.view"));
	ck_assert_str_eq(get_user(env.ctx, SVC, "alice").roles, "viewer");
}
END_TEST

START_TEST(test_prereq_warning)
{
	rg_txn *t;

	populate();
	t = begin();
	OK(t, rg_role_assign(t, "carol", "agent", 0));
	ck_assert_uint_eq(rg_txn_warning_count(t), 1);
	ck_assert_str_eq(rg_txn_warning(t, 0),
	                 "carol lacks viewer, required by agent");
	ck_assert_ptr_null(rg_txn_warning(t, 1));
	commit(t);
	/* Assigned, but not effective without its prerequisite. */
	ck_assert_str_eq(get_user(env.ctx, SVC, "carol").roles, "agent");
	ck_assert(!allowed("carol", "ticket.reply"));

	/* Taking away a prerequisite warns about who still needs it. */
	t = begin();
	OK(t, rg_role_unassign(t, "alice", "viewer"));
	ck_assert_uint_eq(rg_txn_warning_count(t), 1);
	ck_assert_str_eq(rg_txn_warning(t, 0),
	                 "alice still holds agent, which requires viewer");
	rg_txn_abort(t);
	ck_assert(allowed("alice", "ticket.reply"));
}
END_TEST

START_TEST(test_org)
{
	rg_txn *t;

	populate();
	t = begin();
	OK(t, rg_org_add(t, "bu", "east", "sales"));
	/* A move within the tree, then back. */
	OK(t, rg_org_set(t, "bu", "east", "parent", "root"));
	OK(t, rg_org_set(t, "department", "d2", "unit", "u1"));
	OK(t, rg_org_set(t, "department", "d2", "max_chats", "3"));
	OK(t, rg_org_set(t, "department", "d1", "unit", NULL));
	OK(t, rg_org_add(t, "unit", "u2", NULL));
	OK(t, rg_member_add(t, "bob", "department", "d1"));
	OK(t, rg_member_add(t, "bob", "department", "d2"));
	OK(t, rg_member_remove(t, "alice", "unit", "u1"));
	commit(t);
	ck_assert_str_eq(get_user(env.ctx, SVC, "bob").departments, "d1,d2");
	ck_assert_str_eq(get_user(env.ctx, SVC, "alice").units, "");

	/* Removal once unused; a root with no children may go too. */
	t = begin();
	OK(t, rg_org_remove(t, "bu", "east"));
	OK(t, rg_org_remove(t, "unit", "u2"));
	OK(t, rg_member_remove(t, "bob", "department", "d1"));
	OK(t, rg_member_remove(t, "alice", "department", "d1"));
	OK(t, rg_org_remove(t, "department", "d1"));
	commit(t);
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
}
END_TEST

/* An entry's max_chats as a number, -1 when unset. */
static long max_of(const rg_org_info *o)
{
	const char *v = rg_org_info_attr(o, "max_chats");

	return v ? strtol(v, NULL, DECIMAL) : -1;
}

/* What rg_org_list() reported, one line per entry. */
struct org_lines {
	char text[2048];
};

static int org_line(void *user, const rg_org_info *o)
{
	struct org_lines *l = user;
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "%s %s %s %s %ld %ld\n",
	         o->service, o->kind, o->name, o->parent ? o->parent : "-",
	         max_of(o), o->members);
	return 0;
}

START_TEST(test_org_list)
{
	struct org_lines l = {""};
	rg_txn *t;

	populate();
	t = begin();
	OK(t, rg_org_set(t, "department", "d2", "max_chats", "5"));
	commit(t);
	ck_assert_int_eq(rg_org_list(env.ctx, SVC, NULL, org_line, &l), RG_OK);
	ck_assert_str_eq(l.text, "helpdesk bu root - -1 0\n"
	                         "helpdesk bu sales root -1 1\n"
	                         "helpdesk department d1 u1 -1 1\n"
	                         "helpdesk department d2 - 5 0\n"
	                         "helpdesk unit u1 - -1 1\n");
	l.text[0] = '\0';
	ck_assert_int_eq(rg_org_list(env.ctx, SVC, "unit", org_line, &l),
	                 RG_OK);
	ck_assert_str_eq(l.text, "helpdesk unit u1 - -1 1\n");
	ck_assert_int_eq(rg_org_list(env.ctx, SVC, "team", org_line, &l),
	                 RG_EINVAL);
	ck_assert_int_eq(rg_org_list(env.ctx, "nosuch", NULL, org_line, &l),
	                 RG_ENOSERVICE);
}
END_TEST

START_TEST(test_settings)
{
	rg_txn *t = begin();

	OK(t, rg_setting_set(t, "default_max_chats", "4"));
	OK(t, rg_setting_set(t, "greeting", "hello"));
	commit(t);
	t = begin();
	OK(t, rg_setting_set(t, "greeting", NULL));
	commit(t);
	{
		char *text = export_text(env.ctx, "settings.json");
		ck_assert_ptr_nonnull(strstr(
		    text, "\"settings\": {\"default_max_chats\":\"4\"}"));
		free(text);
	}
}
END_TEST

/* What rg_custom_role_list() reported. */
static int custom_line(void *user, const rg_custom_role_info *r)
{
	char *buf = user;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s %s %s [%s] %s %ld\n", r->service,
	         r->id, r->name, r->description, r->privileges, r->assigned);
	return 0;
}

START_TEST(test_custom_roles)
{
	static const char *const privs[] = {"report.view", "kb.view"};
	char buf[512] = "";
	size_t n = 99;
	rg_txn *t;

	populate();
	ck_assert(allowed("bob", "ticket.view"));
	ck_assert(!allowed("bob", "kb.view"));
	t = begin();
	OK(t, rg_custom_role_create(t, "analyst", NULL, NULL, privs, 2));
	OK(t, rg_role_assign(t, "carol", "analyst", RG_ASSIGN_STRICT));
	OK(t, rg_role_assign(t, "alice", "analyst", 0));
	commit(t);
	ck_assert(allowed("carol", "report.view"));
	ck_assert(allowed("carol", "kb.view"));
	ck_assert(!allowed("carol", "ticket.view"));
	ck_assert_int_eq(
	    rg_custom_role_list(env.ctx, SVC, NULL, custom_line, buf), RG_OK);
	ck_assert_str_eq(buf, "helpdesk analyst analyst [] "
	                      "kb.view,report.view 2\n"
	                      "helpdesk reader Reader [Reads tickets] "
	                      "ticket.view 1\n");
	buf[0] = '\0';
	ck_assert_int_eq(
	    rg_custom_role_list(env.ctx, SVC, "reader", custom_line, buf),
	    RG_OK);
	ck_assert_str_eq(buf, "helpdesk reader Reader [Reads tickets] "
	                      "ticket.view 1\n");
	ck_assert_int_eq(
	    rg_custom_role_list(env.ctx, SVC, "viewer", custom_line, buf),
	    RG_ENOROLE);
	ck_assert_int_eq(rg_role_assigned_count(env.ctx, SVC, "analyst"), 2);
	ck_assert_int_eq(rg_role_assigned_count(env.ctx, SVC, "viewer"), 1);
	ck_assert_int_eq(rg_role_assigned_count(env.ctx, SVC, "ghost"),
	                 RG_ENOROLE);
	ck_assert_int_eq(rg_role_assigned_count(env.ctx, "nosuch", "viewer"),
	                 RG_ENOSERVICE);

	/* Forced deletion unassigns and says how many. */
	t = begin();
	OK(t, rg_custom_role_delete(t, "analyst", 1, &n));
	ck_assert_uint_eq(n, 2);
	OK(t, rg_role_unassign(t, "bob", "reader"));
	OK(t, rg_custom_role_delete(t, "reader", 0, &n));
	ck_assert_uint_eq(n, 0);
	commit(t);
	ck_assert(!allowed("carol", "report.view"));
	ck_assert(!allowed("bob", "ticket.view"));
	ck_assert_str_eq(get_user(env.ctx, SVC, "alice").roles, "agent,viewer");
	ck_assert_int_eq(rg_role_assigned_count(env.ctx, SVC, "analyst"),
	                 RG_ENOROLE);
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
}
END_TEST

START_TEST(test_custom_role_no_owner)
{
	rg_txn *t = begin_on(env.ctx, "open");

	/* permit declares no roles: a custom role would grant nothing. */
	ck_assert_int_eq(rg_custom_role_create(t, "x", NULL, NULL, NULL, 0),
	                 RG_EREFUSED);
	ck_assert_ptr_nonnull(
	    strstr(rg_txn_error(t), "no plugin that declares"));
	rg_txn_abort(t);
}
END_TEST

/* The product plugin's vtable, read from its object. */
static int plugin_has_hook(const char *name)
{
	char *path = tu_plugin_object(name);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	const struct rg_plugin *vt;
	int has = 0;

	ck_assert_msg(h != NULL, "dlopen %s: %s", path, dlerror());
	vt = dlsym(h, RG_PLUGIN_SYMBOL);
	ck_assert_ptr_nonnull(vt);
	has = RG_ABI_MINOR(vt->abi_version) >= 1 && vt->custom_role != NULL;
	dlclose(h);
	free(path);
	return has;
}

START_TEST(test_custom_role_products)
{
	static const char *const rc_privs[] = {"view-livechat-rooms"};
	static const char *const o24_category[] = {"conversation.update",
	                                           "reports.inbox"};
	static const char *const o24_core[] = {"billing.manage"};
	rg_txn *t;
	int rc;

	/* The generic plugin has no hook: any declared set is accepted
	 * (tested above).  The products are asserted once they have one. */
	if (plugin_has_hook("rocketchat")) {
		t = begin_on(env.ctx, "rocketchat-community");
		rc = rg_custom_role_create(t, "lead", NULL, NULL, rc_privs, 1);
		ck_assert_int_eq(rc, RG_EREFUSED);
		ck_assert_ptr_nonnull(strstr(rg_txn_error(t), "lead"));
		rg_txn_abort(t);
		t = begin_on(env.ctx, "rocketchat");
		OK(t,
		   rg_custom_role_create(t, "lead", NULL, NULL, rc_privs, 1));
		commit(t);
	}
	if (plugin_has_hook("omni24")) {
		t = begin_on(env.ctx, "omni24");
		OK(t, rg_custom_role_create(t, "triage", "Triage", "",
		                            o24_category, 2));
		ck_assert_int_eq(
		    rg_custom_role_create(t, "payer", NULL, NULL, o24_core, 1),
		    RG_EREFUSED);
		ck_assert_ptr_nonnull(strstr(rg_txn_error(t), "payer"));
		rg_txn_abort(t);
	}
	/* Built-in product roles are never deletable. */
	t = begin_on(env.ctx, "omni24");
	ck_assert_int_eq(rg_custom_role_delete(t, "account-owner", 1, NULL),
	                 RG_EREFUSED);
	ck_assert_ptr_nonnull(strstr(rg_txn_error(t), "built-in role"));
	rg_txn_abort(t);
	t = begin_on(env.ctx, "rocketchat");
	ck_assert_int_eq(rg_custom_role_delete(t, "livechat-agent", 0, NULL),
	                 RG_EREFUSED);
	rg_txn_abort(t);
}
END_TEST

/* ---- every bad input -------------------------------------------------- */

enum op {
	OP_USER_ADD,
	OP_USER_REMOVE,
	OP_USER_SET,
	OP_ASSIGN,
	OP_ASSIGN_STRICT,
	OP_UNASSIGN,
	OP_ORG_ADD,
	OP_ORG_REMOVE,
	OP_ORG_SET,
	OP_MEMBER_ADD,
	OP_MEMBER_REMOVE,
	OP_SETTING,
	OP_CUSTOM_CREATE,
	OP_CUSTOM_DELETE,
};

/* One operation that must fail, its status and a part of its message.
 * a, b, c, d are the operation's arguments in order. */
static const struct bad_case {
	enum op op;
	const char *a, *b, *c, *d;
	int status;
	const char *msg;
} bad_cases[] = {
    {OP_USER_ADD, "alice", NULL, NULL, NULL, RG_EEXIST,
     "user 'alice' already exists"},
    {OP_USER_ADD, "two words", NULL, NULL, NULL, RG_EINVAL, "invalid user id"},
    {OP_USER_ADD, "a,b", NULL, NULL, NULL, RG_EINVAL, "invalid user id"},
    {OP_USER_ADD, "", NULL, NULL, NULL, RG_EINVAL, "invalid user id"},
    {OP_USER_ADD, NULL, NULL, NULL, NULL, RG_EINVAL, "invalid user id"},
    {OP_USER_ADD, "dave", "bad\tname", NULL, NULL, RG_EINVAL, "invalid name"},
    {OP_USER_REMOVE, "nobody", NULL, NULL, NULL, RG_ENOUSER,
     "unknown user 'nobody'"},
    {OP_USER_SET, "nobody", RG_USER_NAME, "x", NULL, RG_ENOUSER,
     "unknown user 'nobody'"},
    {OP_USER_SET, "alice", "colour", "red", NULL, RG_EINVAL,
     "unknown user attribute 'colour'"},
    {OP_USER_SET, "alice", "status", "busy", NULL, RG_EINVAL,
     "invalid status 'busy'"},
    {OP_USER_SET, "alice", "max_chats", "-1", NULL, RG_EINVAL,
     "invalid max_chats '-1'"},
    {OP_USER_SET, "alice", "max_chats", "3x", NULL, RG_EINVAL,
     "invalid max_chats"},
    {OP_USER_SET, "alice", "bu", "nowhere", NULL, RG_ENOENT,
     "unknown business unit 'nowhere'"},
    {OP_ASSIGN, "alice", "agent", NULL, NULL, RG_EEXIST,
     "alice already holds agent"},
    {OP_ASSIGN, "alice", "ghost", NULL, NULL, RG_ENOROLE,
     "unknown role 'ghost'"},
    {OP_ASSIGN, "nobody", "viewer", NULL, NULL, RG_ENOUSER,
     "unknown user 'nobody'"},
    {OP_ASSIGN_STRICT, "carol", "agent", NULL, NULL, RG_EREFUSED,
     "carol lacks viewer, required by agent"},
    {OP_UNASSIGN, "carol", "agent", NULL, NULL, RG_ENOENT,
     "carol does not hold agent"},
    {OP_UNASSIGN, "carol", "ghost", NULL, NULL, RG_ENOROLE,
     "unknown role 'ghost'"},
    {OP_UNASSIGN, "nobody", "agent", NULL, NULL, RG_ENOUSER, "unknown user"},
    {OP_ORG_ADD, "bu", "top", NULL, NULL, RG_EREFUSED,
     "already has a root business unit ('root')"},
    {OP_ORG_ADD, "bu", "x", "nowhere", NULL, RG_ENOENT,
     "unknown business unit 'nowhere'"},
    {OP_ORG_ADD, "bu", "sales", "root", NULL, RG_EEXIST,
     "business unit 'sales' already exists"},
    {OP_ORG_ADD, "bu", "a,b", "root", NULL, RG_EINVAL,
     "invalid business unit name"},
    {OP_ORG_ADD, "unit", "u2", "u1", NULL, RG_EINVAL, "a unit has no parent"},
    {OP_ORG_ADD, "unit", "u1", NULL, NULL, RG_EEXIST,
     "unit 'u1' already exists"},
    {OP_ORG_ADD, "department", "d3", "nounit", NULL, RG_ENOENT,
     "unknown unit 'nounit'"},
    {OP_ORG_ADD, "team", "t", NULL, NULL, RG_EINVAL,
     "unknown organisation kind 'team'"},
    {OP_ORG_REMOVE, "bu", "root", NULL, NULL, RG_EBUSY,
     "business unit 'root' is in use: it has 1 child business unit"},
    {OP_ORG_REMOVE, "bu", "sales", NULL, NULL, RG_EBUSY,
     "business unit 'sales' is in use: it has 1 user"},
    {OP_ORG_REMOVE, "department", "d1", NULL, NULL, RG_EBUSY,
     "department 'd1' is in use: it has 1 agent"},
    {OP_ORG_REMOVE, "unit", "u1", NULL, NULL, RG_EBUSY,
     "unit 'u1' is in use: it has 1 department and 1 monitor"},
    {OP_ORG_REMOVE, "unit", "nounit", NULL, NULL, RG_ENOENT,
     "unknown unit 'nounit'"},
    {OP_ORG_SET, "bu", "root", "parent", "sales", RG_EREFUSED,
     "would make a cycle"},
    {OP_ORG_SET, "bu", "sales", "parent", "sales", RG_EREFUSED,
     "would make a cycle"},
    {OP_ORG_SET, "bu", "sales", "parent", NULL, RG_EREFUSED,
     "already has a root business unit ('root')"},
    {OP_ORG_SET, "bu", "sales", "colour", "x", RG_EINVAL,
     "unknown business unit attribute 'colour'"},
    {OP_ORG_SET, "bu", "nowhere", "parent", "root", RG_ENOENT,
     "unknown business unit 'nowhere'"},
    {OP_ORG_SET, "department", "d1", "max_chats", "x", RG_EINVAL,
     "invalid max_chats 'x'"},
    {OP_ORG_SET, "department", "d1", "unit", "nounit", RG_ENOENT,
     "unknown unit 'nounit'"},
    {OP_ORG_SET, "unit", "u1", "parent", "x", RG_EINVAL,
     "unknown unit attribute 'parent'"},
    {OP_MEMBER_ADD, "alice", "department", "d1", NULL, RG_EEXIST,
     "alice is already a member of department 'd1'"},
    {OP_MEMBER_ADD, "alice", "department", "nodept", NULL, RG_ENOENT,
     "unknown department 'nodept'"},
    {OP_MEMBER_ADD, "alice", "bu", "root", NULL, RG_EINVAL,
     "not a member of a business unit"},
    {OP_MEMBER_ADD, "nobody", "unit", "u1", NULL, RG_ENOUSER,
     "unknown user 'nobody'"},
    {OP_MEMBER_REMOVE, "bob", "unit", "u1", NULL, RG_ENOENT,
     "bob is not a member of unit 'u1'"},
    {OP_SETTING, "default_max_chats", "many", NULL, NULL, RG_EINVAL,
     "default_max_chats must be an integer of at least 0, not 'many'"},
    {OP_SETTING, "bad key", "1", NULL, NULL, RG_EINVAL, "invalid setting name"},
    {OP_CUSTOM_CREATE, "viewer", "kb.view", NULL, NULL, RG_EEXIST,
     "role 'viewer' is a built-in role"},
    {OP_CUSTOM_CREATE, "reader", "kb.view", NULL, NULL, RG_EEXIST,
     "custom role 'reader' already exists"},
    {OP_CUSTOM_CREATE, "x", "nosuch", NULL, NULL, RG_ENOACTION,
     "unknown privilege 'nosuch'"},
    {OP_CUSTOM_CREATE, "x", "kb.view", "kb.view", NULL, RG_EINVAL,
     "privilege 'kb.view' is listed twice"},
    {OP_CUSTOM_CREATE, "bad id", "kb.view", NULL, NULL, RG_EINVAL,
     "invalid role id"},
    {OP_CUSTOM_DELETE, "admin", NULL, NULL, NULL, RG_EREFUSED,
     "role 'admin' is a built-in role of service 'helpdesk' (protected)"},
    {OP_CUSTOM_DELETE, "viewer", "force", NULL, NULL, RG_EREFUSED,
     "built-in role"},
    {OP_CUSTOM_DELETE, "ghost", NULL, NULL, NULL, RG_ENOROLE,
     "unknown custom role 'ghost'"},
    {OP_CUSTOM_DELETE, "reader", NULL, NULL, NULL, RG_EBUSY,
     "custom role 'reader' is still assigned to 1 user; use --force"},
};

static int run_op(rg_txn *t, const struct bad_case *c)
{
	const char *privs[] = {c->b, c->c};
	size_t n = 0;

	switch (c->op) {
	case OP_USER_ADD:
		return rg_user_add(t, c->a, c->b);
	case OP_USER_REMOVE:
		return rg_user_remove(t, c->a);
	case OP_USER_SET:
		return rg_user_set(t, c->a, c->b, c->c);
	case OP_ASSIGN:
		return rg_role_assign(t, c->a, c->b, 0);
	case OP_ASSIGN_STRICT:
		return rg_role_assign(t, c->a, c->b, RG_ASSIGN_STRICT);
	case OP_UNASSIGN:
		return rg_role_unassign(t, c->a, c->b);
	case OP_ORG_ADD:
		return rg_org_add(t, c->a, c->b, c->c);
	case OP_ORG_REMOVE:
		return rg_org_remove(t, c->a, c->b);
	case OP_ORG_SET:
		return rg_org_set(t, c->a, c->b, c->c, c->d);
	case OP_MEMBER_ADD:
		return rg_member_add(t, c->a, c->b, c->c);
	case OP_MEMBER_REMOVE:
		return rg_member_remove(t, c->a, c->b, c->c);
	case OP_SETTING:
		return rg_setting_set(t, c->a, c->b);
	case OP_CUSTOM_CREATE:
		return rg_custom_role_create(t, c->a, NULL, NULL, privs,
		                             c->c ? 2 : 1);
	case OP_CUSTOM_DELETE:
	default:
		return rg_custom_role_delete(t, c->a, c->b != NULL, &n);
	}
}

START_TEST(test_bad_input)
{
	const struct bad_case *c = &bad_cases[_i];
	char *before, *after;
	int audits, rc;
	rg_txn *t;

	populate();
	before = export_text(env.ctx, "before.json");
	audits = audit_count();
	t = begin();
	/* A good operation first: the failure must undo it too. */
	OK(t, rg_user_add(t, "zed", NULL));
	rc = run_op(t, c);
	ck_assert_msg(rc == c->status, "case %d: %s, expected %s (%s)", _i,
	              rg_status_name(rc), rg_status_name(c->status),
	              rg_txn_error(t));
	ck_assert_msg(strstr(rg_txn_error(t), c->msg) != NULL,
	              "case %d: message '%s' lacks '%s'", _i, rg_txn_error(t),
	              c->msg);
	/* The transaction is good for nothing else now. */
	ck_assert_int_eq(rg_user_add(t, "yves", NULL), c->status);
	ck_assert_int_eq(rg_txn_commit(t), c->status);
	after = export_text(env.ctx, "after.json");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(audit_count(), audits);
	ck_assert_int_eq(
	    rg_user_get(env.ctx, SVC, "zed", copy_user, &(struct user_copy){0}),
	    RG_ENOUSER);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_abort)
{
	char *before, *after;
	rg_txn *t;

	populate();
	before = export_text(env.ctx, "before.json");
	t = begin();
	OK(t, rg_user_add(t, "zed", NULL));
	OK(t, rg_role_assign(t, "zed", "viewer", 0));
	OK(t, rg_user_remove(t, "alice"));
	/* Inside the transaction, reads see its changes. */
	ck_assert_int_eq(user_count(env.ctx, SVC), 3);
	rg_txn_abort(t);
	after = export_text(env.ctx, "after.json");
	ck_assert_str_eq(before, after);
	ck_assert(allowed("alice", "ticket.reply"));
	free(before);
	free(after);
}
END_TEST

/* ---- other contexts --------------------------------------------------- */

START_TEST(test_second_context)
{
	rg_context *other;
	rg_txn *t;

	populate();
	other = open_other();
	ck_assert(allowed_on(other, SVC, "alice", "ticket.reply", NULL));
	t = begin();
	OK(t, rg_role_unassign(t, "alice", "agent"));
	commit(t);
	/* The other context keeps its snapshot until it refreshes. */
	ck_assert(allowed_on(other, SVC, "alice", "ticket.reply", NULL));
	ck_assert_int_eq(rg_directory_refresh(other), RG_OK);
	ck_assert(!allowed_on(other, SVC, "alice", "ticket.reply", NULL));
	/* And it writes too; this one sees it after a refresh. */
	t = begin_on(other, SVC);
	OK(t, rg_user_add(t, "dave", NULL));
	OK(t, rg_role_assign(t, "dave", "viewer", 0));
	commit(t);
	ck_assert(allowed_on(other, SVC, "dave", "ticket.view", NULL));
	ck_assert(!allowed("dave", "ticket.view"));
	ck_assert_int_eq(rg_directory_refresh(env.ctx), RG_OK);
	ck_assert(allowed("dave", "ticket.view"));
	rg_close(other);
}
END_TEST

START_TEST(test_created_elsewhere)
{
	rg_context *other = open_other();
	rg_txn *t;

	/* Both opened before the database existed; the other creates it. */
	t = begin_on(other, SVC);
	OK(t, rg_user_add(t, "dave", NULL));
	OK(t, rg_role_assign(t, "dave", "viewer", 0));
	commit(t);
	ck_assert(!allowed("dave", "ticket.view"));
	ck_assert_int_eq(rg_directory_refresh(env.ctx), RG_OK);
	ck_assert(allowed("dave", "ticket.view"));
	ck_assert_int_eq(user_count(env.ctx, SVC), 1);
	rg_close(other);
}
END_TEST

START_TEST(test_locked)
{
	rg_context *other;
	char err[512];
	rg_txn *t, *t2 = NULL;
	int rc;

	populate();
	open_busy(SHORT_BUSY_MS);
	other = open_other();
	t = begin_on(other, SVC);
	OK(t, rg_user_add(t, "dave", NULL));
	/* Another connection waits the busy timeout, then gives up. */
	rc = rg_txn_begin(env.ctx, SVC, NULL, NULL, &t2, err, sizeof(err));
	ck_assert_int_eq(rc, RG_EBUSY);
	ck_assert_ptr_null(t2);
	ck_assert_msg(strstr(err, "is locked by another writer") &&
	                  strstr(err, db_path),
	              "%s", err);
	commit(t);
	t2 = begin();
	OK(t2, rg_user_add(t2, "erin", NULL));
	commit(t2);
	ck_assert_int_eq(user_count(env.ctx, SVC), 5);
	rg_close(other);
}
END_TEST

struct locker {
	rg_context *ctx;
	int rc;
	char err[512];
};

static void *begin_thread(void *arg)
{
	struct locker *l = arg;
	rg_txn *t = NULL;

	l->rc =
	    rg_txn_begin(l->ctx, SVC, NULL, NULL, &t, l->err, sizeof(l->err));
	if (t)
		rg_txn_abort(t);
	return NULL;
}

START_TEST(test_locked_same_context)
{
	struct locker l;
	pthread_t th;
	rg_txn *t;

	open_busy(SHORT_BUSY_MS);
	t = begin();
	/* The same thread cannot nest transactions. */
	l.ctx = env.ctx;
	begin_thread(&l);
	ck_assert_int_eq(l.rc, RG_EBUSY);
	/* Another thread of the process waits, then gives up. */
	ck_assert_int_eq(pthread_create(&th, NULL, begin_thread, &l), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(l.rc, RG_EBUSY);
	ck_assert_ptr_nonnull(strstr(l.err, "locked"));
	rg_txn_abort(t);
	ck_assert_int_eq(pthread_create(&th, NULL, begin_thread, &l), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(l.rc, RG_OK);
}
END_TEST

/* Child side of the read-only test: 0 when every expectation held. */
static int readonly_child(int fd)
{
	char err[512] = "";
	rg_context *ctx;
	rg_txn *t = NULL;
	rg_options opts;
	int rc, n = 0;

	if (geteuid() == 0 &&
	    (setgid(NOBODY_ID) != 0 || setuid(NOBODY_ID) != 0))
		return 10;
	env_options(&opts, RG_OPEN_NO_WATCH, &env.log, RG_LOG_ERR);
	if (rg_open(&ctx, &opts, err, sizeof(err)) != RG_OK)
		return 11;
	/* Reading works; the snapshot holds the users. */
	if (rg_user_list(ctx, SVC, count_user, &n) != RG_OK || n != 3) {
		const char *d = tu_diag_dump(ctx);
		if (write(fd, d, strlen(d)) < 0)
			return 14;
		return 12;
	}
	if (!allowed_on(ctx, SVC, "alice", "ticket.reply", NULL))
		return 13;
	rc = rg_txn_begin(ctx, SVC, NULL, NULL, &t, err, sizeof(err));
	if (write(fd, err, strlen(err)) < 0)
		return 14;
	rg_close(ctx);
	return rc == RG_EIO && strstr(err, "read-only") ? 0 : 15;
}

START_TEST(test_readonly)
{
	char *dir = tu_strdupf("%s/" DB_SUBDIR, env.dir);
	char *state = tu_strdupf("%s/state", env.dir);
	/* The WAL files stay (and carry the database's mode). */
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	size_t i;
	char msg[512] = "";
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	populate();
	tu_close(&env);
	/* Readable by anyone, writable by no one (root aside: the child
	 * drops to nobody). */
	for (i = 0; i < RG_COUNTOF(suffixes); i++) {
		char *f = tu_strdupf("%s%s", db_path, suffixes[i]);
		ck_assert_msg(chmod(f, 0444) == 0, "chmod %s", f);
		free(f);
	}
	ck_assert_int_eq(chmod(dir, 0555), 0);
	ck_assert_int_eq(chmod(state, 0555), 0);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(fds[0]);
		free(dir);
		free(state);
		_exit(readonly_child(fds[1]));
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	chmod(dir, 0755);
	chmod(state, 0755);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "child failed (%d): '%s'", WEXITSTATUS(status), msg);
	ck_assert_ptr_nonnull(strstr(msg, db_path));
	free(dir);
	free(state);
}
END_TEST

/* ---- schema ----------------------------------------------------------- */

/* Runs sql behind the store's back: SQL both stores' schemas take. */
static void sql_run(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	if (tu_pg()) {
		tu_pg_sql(db_path, sql);
		return;
	}
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	              "%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

START_TEST(test_schema_too_new)
{
	char *text = config_text(BUSY_MS);

	populate();
	tu_close(&env);
	sql_run("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	ck_assert_int_eq(tu_open_text(&env, env.plugin_dir, text), RG_OK);
	free(text);
	ck_assert_int_eq(rg_directory_available(env.ctx), 0);
	ck_assert_msg(tu_diag_find(env.ctx, "schema version 99", "newer",
	                           db_path, NULL) >= 0,
	              "diagnostics:%s", tu_diag_dump(env.ctx));
	/* Checks by user id deny; nothing writes. */
	ck_assert(!allowed("alice", "ticket.view"));
	{
		rg_txn *t = NULL;
		char err[512];
		ck_assert_int_eq(rg_txn_begin(env.ctx, SVC, NULL, NULL, &t, err,
		                              sizeof(err)),
		                 RG_ENOSYS);
	}
}
END_TEST

START_TEST(test_schema_empty_file)
{
	char *dir = tu_mkdir(env.dir, "state", 0755), *sub;
	char *text = config_text(BUSY_MS), err[512];
	rg_txn *t = NULL;
	struct stat st;
	int fd;

	sub = tu_mkdir(dir, "db", 0755);
	fd = creat(db_path, 0644);
	ck_assert_int_ne(fd, -1);
	close(fd);
	/* An empty file is a directory that lost its content, never one to
	 * fill with a new, empty schema: refused, and left as it is. */
	ck_assert_int_eq(tu_open_text(&env, env.plugin_dir, text), RG_OK);
	free(text);
	ck_assert_int_eq(rg_directory_available(env.ctx), 0);
	ck_assert_msg(tu_diag_find(env.ctx, db_path,
	                           "is not a rolegate directory (no schema)",
	                           "empty file?", NULL) >= 0,
	              "diagnostics:%s", tu_diag_dump(env.ctx));
	ck_assert_int_ne(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
	ck_assert_int_ne(
	    rg_txn_begin(env.ctx, SVC, NULL, NULL, &t, err, sizeof(err)),
	    RG_OK);
	ck_assert_int_eq(stat(db_path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	free(dir);
	free(sub);
}
END_TEST

START_TEST(test_schema_not_a_database)
{
	char *dir = tu_mkdir(env.dir, "state", 0755), *sub;
	char *f, *text = config_text(BUSY_MS);

	sub = tu_mkdir(dir, "db", 0755);
	f = tu_write(sub, DB_FILE, 0644, "%s",
	             "this is not a database, not at all, no\n"
	             "0123456789012345678901234567890123456789\n"
	             "0123456789012345678901234567890123456789\n");
	ck_assert_int_eq(tu_open_text(&env, env.plugin_dir, text), RG_OK);
	free(text);
	ck_assert_int_eq(rg_directory_available(env.ctx), 0);
	ck_assert_msg(tu_diag_find(env.ctx, db_path, "not a database", NULL) >=
	                  0,
	              "diagnostics:%s", tu_diag_dump(env.ctx));
	free(dir);
	free(sub);
	free(f);
}
END_TEST

START_TEST(test_verify_finds_damage)
{
	char err[1024];

	populate();
	ck_assert_int_eq(rg_directory_verify(env.ctx, err, sizeof(err)), RG_OK);
	/* A user's list copy out of step with its rows. */
	sql_run("UPDATE users SET roles = 'admin' WHERE id = 'carol'");
	ck_assert_int_eq(rg_directory_verify(env.ctx, err, sizeof(err)),
	                 RG_EIO);
	ck_assert_msg(strstr(err, "carol") != NULL, "%s", err);
	/* A user's copy of its attributes out of step with its rows. */
	sql_run("UPDATE users SET roles = '' WHERE id = 'carol';"
	        "UPDATE users SET attrs = 'status=available' WHERE "
	        "id = 'carol'");
	ck_assert_int_eq(rg_directory_verify(env.ctx, err, sizeof(err)),
	                 RG_EIO);
	ck_assert_msg(strstr(err, "user 'carol'") != NULL &&
	                  strstr(err, "attributes") != NULL,
	              "%s", err);
	sql_run("UPDATE users SET attrs = '' WHERE id = 'carol'");
	ck_assert_int_eq(rg_directory_verify(env.ctx, err, sizeof(err)), RG_OK);
	/* A row whose parent is gone (foreign keys off for the damage). */
	sql_run(
	    "UPDATE users SET roles = '' WHERE id = 'carol';"
	    "PRAGMA foreign_keys = OFF;"
	    "INSERT INTO assignment VALUES ('helpdesk', 'ghost', 'viewer')");
	ck_assert_int_eq(rg_directory_verify(env.ctx, err, sizeof(err)),
	                 RG_EIO);
	ck_assert_msg(strstr(err, "assignment") != NULL, "%s", err);
}
END_TEST

/* ---- the audit trail -------------------------------------------------- */

struct audit_rows {
	int n;
	char lines[32][512];
	char at[32][40];
};

static int audit_line(void *user, const rg_audit_info *a)
{
	struct audit_rows *r = user;

	if (r->n < 32) {
		snprintf(r->lines[r->n], sizeof(r->lines[0]),
		         "%s|%s|%s|%s|%s|%s|%s", a->actor, a->command,
		         a->service, a->user, a->what, a->before, a->after);
		snprintf(r->at[r->n], sizeof(r->at[0]), "%s", a->at);
	}
	r->n++;
	return 0;
}

START_TEST(test_audit)
{
	struct audit_rows r;
	rg_audit_filter f;
	char err[512];
	rg_txn *t;
	int i;

	ck_assert_int_eq(rg_txn_begin(env.ctx, SVC, "ann",
	                              "rolegate assign helpdesk alice viewer",
	                              &t, err, sizeof(err)),
	                 RG_OK);
	OK(t, rg_user_add(t, "alice", "Alice"));
	OK(t, rg_role_assign(t, "alice", "viewer", 0));
	OK(t, rg_user_set(t, "alice", "status", "available"));
	commit(t);
	t = begin_on(env.ctx, "other");
	OK(t, rg_user_add(t, "bob", NULL));
	commit(t);
	t = begin();
	OK(t, rg_user_remove(t, "alice"));
	commit(t);

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rg_audit_list(env.ctx, NULL, audit_line, &r), RG_OK);
	ck_assert_int_eq(r.n, 5);
	ck_assert_str_eq(r.lines[0],
	                 "ann|rolegate assign helpdesk alice viewer|helpdesk|"
	                 "alice|user.add|null|{\"id\":\"alice\",\"name\":"
	                 "\"Alice\"}");
	ck_assert_str_eq(r.lines[1], "ann|rolegate assign helpdesk alice "
	                             "viewer|helpdesk|alice|assign|null|"
	                             "{\"role\":\"viewer\"}");
	ck_assert_str_eq(r.lines[2], "ann|rolegate assign helpdesk alice "
	                             "viewer|helpdesk|alice|user.set|"
	                             "{\"status\":null}|"
	                             "{\"status\":\"available\"}");
	ck_assert_ptr_nonnull(strstr(r.lines[3], "|other|bob|user.add|"));
	ck_assert_ptr_nonnull(
	    strstr(r.lines[4],
	           "|alice|user.remove|{\"id\":\"alice\",\"name\":\"Alice\","
	           "\"roles\":\"viewer\",\"attrs\":{\"status\":"
	           "\"available\"},\"members\":{}}|null"));
	/* UTC, ISO 8601, milliseconds; never decreasing. */
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(strlen(r.at[i]), 24);
		ck_assert_int_eq(r.at[i][10], 'T');
		ck_assert_int_eq(r.at[i][19], '.');
		ck_assert_int_eq(r.at[i][23], 'Z');
		ck_assert(i == 0 || strcmp(r.at[i - 1], r.at[i]) <= 0);
	}

	/* Filters. */
	memset(&f, 0, sizeof(f));
	f.service = "other";
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rg_audit_list(env.ctx, &f, audit_line, &r), RG_OK);
	ck_assert_int_eq(r.n, 1);
	f.service = SVC;
	f.user = "alice";
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rg_audit_list(env.ctx, &f, audit_line, &r), RG_OK);
	ck_assert_int_eq(r.n, 4);
	f.limit = 2; /* newest first */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rg_audit_list(env.ctx, &f, audit_line, &r), RG_OK);
	ck_assert_int_eq(r.n, 2);
	ck_assert_ptr_nonnull(strstr(r.lines[0], "|user.remove|"));
	ck_assert_ptr_nonnull(strstr(r.lines[1], "|user.set|"));
	memset(&f, 0, sizeof(f));
	f.since = "2000-01-01";
	f.until = "2000-01-02";
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rg_audit_list(env.ctx, &f, audit_line, &r), RG_OK);
	ck_assert_int_eq(r.n, 0);
	f.since = "2000-01-01";
	f.until = "9999-01-01";
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rg_audit_list(env.ctx, &f, audit_line, &r), RG_OK);
	ck_assert_int_eq(r.n, 5);
	f.limit = -1;
	ck_assert_int_eq(rg_audit_list(env.ctx, &f, audit_line, &r), RG_EINVAL);
}
END_TEST

/* The audit records of one kind, oldest first. */
struct seqs {
	const char *what; /* a prefix of what */
	const char *user; /* NULL: any */
	long long v[32];
	int n;
};

static int seq_line(void *user, const rg_audit_info *a)
{
	struct seqs *q = user;

	if (strncmp(a->what, q->what, strlen(q->what)) == 0 &&
	    (!q->user || strcmp(a->user, q->user) == 0) && q->n < 32)
		q->v[q->n++] = a->seq;
	return 0;
}

static struct seqs seqs_of(const char *what, const char *user)
{
	struct seqs q = {what, user, {0}, 0};

	ck_assert_int_eq(rg_audit_list(env.ctx, NULL, seq_line, &q), RG_OK);
	return q;
}

static int undo(long long seq, unsigned flags, long long *done, char *err)
{
	return rg_audit_undo(env.ctx, seq, flags, "undoer", NULL, done, err,
	                     512);
}

START_TEST(test_audit_undo)
{
	static const char keep_carol[] =
	    "{\"format\": \"rolegate-directory\", \"version\": 1, "
	    "\"services\": [{\"name\": \"helpdesk\", \"users\": "
	    "[{\"id\": \"carol\", \"name\": \"Carol\"}]}]}";
	char *a, *b, *file, err[512];
	struct seqs q;
	long long done = -1;
	rg_txn *t;
	int i, rc;

	populate();
	a = export_text(env.ctx, "a.json");

	/* A user removed by hand (the record lists roles as text). */
	t = begin();
	OK(t, rg_user_remove(t, "alice"));
	commit(t);
	q = seqs_of("user.remove", "alice");
	ck_assert_int_eq(q.n, 1);
	rc = undo(q.v[0], 0, &done, err);
	ck_assert_msg(rc == RG_OK, "undo: %s: %s", rg_status_name(rc), err);
	ck_assert_int_gt(done, q.v[0]);
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	free(b);
	ck_assert(allowed("alice", "ticket.reply"));
	/* Audited: its steps, then the undo naming the record. */
	ck_assert_int_eq(seqs_of("undo", "alice").n, 1);
	ck_assert_int_eq(seqs_of("undo", "alice").v[0], done);
	ck_assert_int_eq(seqs_of("user.add", "alice").n, 2);
	/* Once only; nothing changes. */
	ck_assert_int_eq(undo(q.v[0], 0, &done, err), RG_EREFUSED);
	ck_assert_msg(strstr(err, "undone already"), "%s", err);
	ck_assert_int_eq(done, 0);

	/* Bad arguments and unknown records. */
	ck_assert_int_eq(rg_audit_undo(NULL, 1, 0, NULL, NULL, NULL, NULL, 0),
	                 RG_EINVAL);
	ck_assert_int_eq(undo(0, 0, NULL, err), RG_EINVAL);
	ck_assert_int_eq(undo(-1, 0, NULL, err), RG_EINVAL);
	ck_assert_int_eq(undo(1, 0x80u, NULL, err), RG_EINVAL);
	ck_assert_int_eq(undo(999999, 0, NULL, err), RG_ENOENT);

	/* Stale: refused unless forced. */
	t = begin();
	OK(t, rg_user_set(t, "carol", "status", "available"));
	commit(t);
	t = begin();
	OK(t, rg_user_set(t, "carol", "status", "unavailable"));
	commit(t);
	q = seqs_of("user.set", "carol");
	ck_assert_int_eq(q.n, 2);
	ck_assert_int_eq(undo(q.v[0], 0, NULL, err), RG_EREFUSED);
	ck_assert_msg(strstr(err, "changed since"), "%s", err);
	ck_assert_str_eq(get_user(env.ctx, SVC, "carol").status, "unavailable");
	ck_assert_int_eq(undo(q.v[0], RG_UNDO_FORCE, NULL, err), RG_OK);
	ck_assert_str_eq(get_user(env.ctx, SVC, "carol").status, "");
	/* The undo undone (a redo). */
	q = seqs_of("undo", "carol");
	ck_assert_int_eq(undo(q.v[0], 0, NULL, err), RG_OK);
	ck_assert_str_eq(get_user(env.ctx, SVC, "carol").status, "available");
	t = begin();
	OK(t, rg_user_set(t, "carol", "status", NULL));
	commit(t);

	/* A damaged record never reads as "absent": bob stays. */
	q = seqs_of("user.add", "bob");
	{
		char *sql = tu_strdupf("UPDATE audit SET after = 'nonsense' "
		                       "WHERE seq = %lld",
		                       q.v[0]);
		sql_run(sql);
		free(sql);
	}
	ck_assert_int_eq(undo(q.v[0], RG_UNDO_FORCE, NULL, err), RG_EIO);
	ck_assert_msg(strstr(err, "not a JSON object"), "%s", err);
	ck_assert_int_eq(get_user(env.ctx, SVC, "bob").calls, 1);

	/* An operation's refusal: a role created, now assigned. */
	q = seqs_of("custom-role.create", NULL);
	ck_assert_int_eq(undo(q.v[0], 0, NULL, err), RG_EBUSY);

	/* import --replace: each item removed, undone in turn. */
	file = tu_write(env.dir, "carol.json", 0644, "%s", keep_carol);
	rc = rg_directory_import(env.ctx, file, RG_IMPORT_REPLACE, "restorer",
	                         NULL, NULL, err, sizeof(err));
	ck_assert_msg(rc == RG_OK, "import: %s: %s", rg_status_name(rc), err);
	ck_assert_int_eq(seqs_of("import.user", "carol").n, 0);
	q = seqs_of("import.user", "alice");
	ck_assert_int_eq(q.n, 1);
	/* alice's business unit is gone too: refused, nothing done. */
	ck_assert_int_ne(undo(q.v[0], 0, NULL, err), RG_OK);
	ck_assert_int_eq(user_count(env.ctx, SVC), 1);
	/* 2 bu, unit, 2 departments, role, 2 users, and the summary. */
	q = seqs_of("import", NULL);
	ck_assert_int_eq(q.n, 9);
	ck_assert_int_eq(undo(q.v[q.n - 1], 0, NULL, err), RG_EREFUSED);
	ck_assert_msg(strstr(err, "summary"), "%s", err);
	for (i = 0; i + 1 < q.n; i++) {
		rc = undo(q.v[i], 0, NULL, err);
		ck_assert_msg(rc == RG_OK, "undo %lld: %s: %s", q.v[i],
		              rg_status_name(rc), err);
	}
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	ck_assert(allowed("alice", "ticket.reply"));
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
	free(b);

	/* An entry and a custom role removed by hand come back whole. */
	t = begin();
	OK(t, rg_org_add(t, "bu", "east", "root"));
	OK(t, rg_custom_role_create(t, "writer", "Writer", "Writes",
	                            (const char *const[]){"ticket.reply"}, 1));
	commit(t);
	free(a);
	a = export_text(env.ctx, "a.json");
	t = begin();
	OK(t, rg_org_remove(t, "bu", "east"));
	OK(t, rg_custom_role_delete(t, "writer", 0, NULL));
	commit(t);
	q = seqs_of("org.remove", NULL);
	ck_assert_int_eq(undo(q.v[q.n - 1], 0, NULL, err), RG_OK);
	q = seqs_of("custom-role.delete", NULL);
	ck_assert_int_eq(undo(q.v[q.n - 1], 0, NULL, err), RG_OK);
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	/* A forced delete took the role from bob: not named, refused. */
	t = begin();
	OK(t, rg_custom_role_delete(t, "reader", 1, NULL));
	commit(t);
	q = seqs_of("custom-role.delete", NULL);
	ck_assert_int_eq(undo(q.v[q.n - 1], 0, NULL, err), RG_EREFUSED);
	ck_assert_msg(strstr(err, "holders"), "%s", err);
	free(a);
	free(b);
	free(file);
}
END_TEST

/* Rewrites record seq as the first release wrote it. */
static void record_as(long long seq, const char *what, const char *before)
{
	char *sql = tu_strdupf("UPDATE audit SET what = '%s', before = '%s' "
	                       "WHERE seq = %lld",
	                       what, before, seq);

	sql_run(sql);
	free(sql);
}

/* Records of the first release, in databases since: still undone. */
START_TEST(test_audit_undo_legacy)
{
	char *a, *b, err[512];
	struct seqs q;
	rg_txn *t;
	int rc;

	populate();
	t = begin();
	OK(t, rg_org_add(t, "bu", "east", "root"));
	commit(t);
	a = export_text(env.ctx, "a.json");
	t = begin();
	OK(t, rg_user_remove(t, "alice"));
	OK(t, rg_org_remove(t, "bu", "east"));
	OK(t, rg_org_remove(t, "department", "d2"));
	commit(t);
	/* A user with the shipped products' keys, lists as text. */
	q = seqs_of("user.remove", "alice");
	record_as(q.v[0], "user.remove",
	          "{\"id\":\"alice\",\"name\":\"Alice Liddell\",\"bu\":"
	          "\"sales\",\"status\":null,\"max_chats\":null,\"roles\":"
	          "\"agent,viewer\",\"departments\":\"d1\",\"units\":\"u1\"}");
	/* Entries of the first release's import: the kind in the what. */
	q = seqs_of("org.remove", NULL);
	ck_assert_int_eq(q.n, 2);
	record_as(q.v[0], "import.bu",
	          "{\"name\":\"east\",\"parent\":\"root\"}");
	record_as(q.v[1], "import.department",
	          "{\"name\":\"d2\",\"unit\":null,\"max_chats\":null}");
	rc = undo(q.v[1], 0, NULL, err);
	ck_assert_msg(rc == RG_OK, "undo: %s: %s", rg_status_name(rc), err);
	rc = undo(q.v[0], 0, NULL, err);
	ck_assert_msg(rc == RG_OK, "undo: %s: %s", rg_status_name(rc), err);
	rc = undo(seqs_of("user.remove", "alice").v[0], 0, NULL, err);
	ck_assert_msg(rc == RG_OK, "undo: %s: %s", rg_status_name(rc), err);
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	ck_assert(allowed("alice", "ticket.reply"));
	free(a);
	free(b);
}
END_TEST

START_TEST(test_audit_since_until)
{
	struct audit_rows all, r;
	rg_audit_filter f;
	struct timespec pause = {0, 5 * 1000 * 1000};
	rg_txn *t;
	int i;

	for (i = 0; i < 3; i++) {
		char id[16];
		snprintf(id, sizeof(id), "u%d", i);
		t = begin();
		OK(t, rg_user_add(t, id, NULL));
		commit(t);
		nanosleep(&pause, NULL);
	}
	memset(&all, 0, sizeof(all));
	ck_assert_int_eq(rg_audit_list(env.ctx, NULL, audit_line, &all), RG_OK);
	ck_assert_int_eq(all.n, 3);
	/* since is inclusive, until exclusive. */
	memset(&f, 0, sizeof(f));
	f.since = all.at[1];
	f.until = all.at[2];
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(rg_audit_list(env.ctx, &f, audit_line, &r), RG_OK);
	ck_assert_int_eq(r.n, 1);
	ck_assert_ptr_nonnull(strstr(r.lines[0], "|u1|"));
}
END_TEST

/* ---- export and import ------------------------------------------------ */

static void populate_more(void)
{
	static const char *const privs[] = {"report.view"};
	rg_txn *t;

	populate();
	t = begin();
	OK(t, rg_setting_set(t, "default_max_chats", "3"));
	OK(t, rg_user_set(t, "alice", "status", "available"));
	OK(t, rg_user_set(t, "alice", "max_chats", "2"));
	OK(t, rg_user_set(t, "carol", RG_USER_NAME, "Carol \"C\" Ünal"));
	OK(t, rg_org_add(t, "bu", "a-first", "sales"));
	OK(t, rg_org_set(t, "department", "d2", "max_chats", "0"));
	OK(t,
	   rg_custom_role_create(t, "analyst", "Analyst", "reports", privs, 1));
	OK(t, rg_role_assign(t, "carol", "analyst", 0));
	OK(t, rg_role_assign(t, "carol", "supervisor", 0));
	commit(t);
	t = begin_on(env.ctx, "other");
	OK(t, rg_user_add(t, "zoe", NULL));
	OK(t, rg_role_assign(t, "zoe", "admin", 0));
	commit(t);
}

static int progress_calls;
static size_t progress_last_done, progress_last_total;
static int progress_cancel_at;

static int on_progress(void *user, size_t done, size_t total)
{
	progress_calls++;
	progress_last_done = done;
	progress_last_total = total;
	return progress_cancel_at && progress_calls >= progress_cancel_at;
}

START_TEST(test_round_trip)
{
	char *a, *b, *c, *path = tu_join(env.dir, "a.json");
	char err[512];
	rg_context *fresh;
	int rc;

	populate_more();
	a = export_text(env.ctx, "a.json");
	ck_assert_ptr_nonnull(strstr(a, "\"format\": \"rolegate-directory\""));
	/* Exporting again gives the same bytes. */
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	free(b);
	progress_calls = 0;
	rc = rg_directory_import(env.ctx, path, RG_IMPORT_REPLACE, "restorer",
	                         on_progress, NULL, err, sizeof(err));
	ck_assert_msg(rc == RG_OK, "import: %s: %s", rg_status_name(rc), err);
	ck_assert_int_ge(progress_calls, 1);
	ck_assert_uint_eq(progress_last_done, 4);
	ck_assert_uint_eq(progress_last_total, 4);
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	ck_assert(allowed("alice", "ticket.reply"));
	ck_assert(allowed("carol", "report.view"));
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);

	/* Into an empty directory elsewhere, without replace. */
	tu_close(&env);
	free(db_path);
	db_path = at_path("elsewhere/" DB_FILE);
	open_busy(BUSY_MS);
	fresh = env.ctx;
	rc = rg_directory_import(fresh, path, 0, NULL, NULL, NULL, err,
	                         sizeof(err));
	ck_assert_msg(rc == RG_OK, "import: %s: %s", rg_status_name(rc), err);
	c = export_text(fresh, "c.json");
	ck_assert_str_eq(a, c);
	ck_assert(allowed("carol", "report.view"));
	/* Again without replace: everything already exists. */
	rc = rg_directory_import(fresh, path, 0, NULL, NULL, NULL, err,
	                         sizeof(err));
	ck_assert_int_eq(rc, RG_EEXIST);
	ck_assert_msg(strstr(err, "services[0].settings.default_max_chats"),
	              "%s", err);
	free(a);
	free(b);
	free(c);
	free(path);
}
END_TEST

START_TEST(test_export_one_service)
{
	char *path = tu_join(env.dir, "one.json"), *text;
	char err[512];

	populate_more();
	ck_assert_int_eq(
	    rg_directory_export(env.ctx, "other", path, err, sizeof(err)),
	    RG_OK);
	text = slurp(path);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\"name\": \"other\""));
	ck_assert_ptr_null(strstr(text, "\"name\": \"helpdesk\""));
	ck_assert_ptr_nonnull(strstr(text, "{\"id\":\"zoe\",\"name\":\"zoe\","
	                                   "\"attrs\":{},\"roles\":"
	                                   "[\"admin\"],\"members\":{}}"));
	/* A service that declares no kind has no entries to list. */
	ck_assert_ptr_nonnull(strstr(text, "\"org\": {},\n"));
	ck_assert_int_eq(
	    rg_directory_export(env.ctx, "nosuch", path, err, sizeof(err)),
	    RG_ENOSERVICE);
	ck_assert_int_eq(rg_directory_export(env.ctx, NULL,
	                                     "/nonexistent/dir/x.json", err,
	                                     sizeof(err)),
	                 RG_EIO);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_import_cancel)
{
	char *a, *b, *path = tu_join(env.dir, "a.json");
	char err[512];
	int rc;

	populate_more();
	a = export_text(env.ctx, "a.json");
	progress_calls = 0;
	progress_cancel_at = 1;
	rc = rg_directory_import(env.ctx, path, RG_IMPORT_REPLACE, NULL,
	                         on_progress, NULL, err, sizeof(err));
	progress_cancel_at = 0;
	ck_assert_int_eq(rc, RG_EREFUSED);
	ck_assert_ptr_nonnull(strstr(err, "cancelled"));
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	free(path);
}
END_TEST

#define FORMAT   "{\"format\":\"rolegate-directory\","
#define HEAD     FORMAT "\"version\":1,\"services\":["
#define SVC_OPEN "{\"name\":\"helpdesk\","
#define BUS                                                                    \
	"\"business_units\":[{\"name\":\"root\",\"parent\":null},"             \
	"{\"name\":\"sales\",\"parent\":\"root\"}],"
#define ORG                                                                    \
	BUS "\"units\":[{\"name\":\"u1\"}],"                                   \
	    "\"departments\":[{\"name\":\"d1\",\"unit\":\"u1\","               \
	    "\"max_chats\":null}],"
#define TAIL "]}"
/* Version 2, and a service whose plugins declare no organisation. */
#define HEAD2     FORMAT "\"version\":2,\"services\":["
#define SVC_OTHER "{\"name\":\"other\","

/* A bad import file, the status and the text its error must contain. */
static const struct bad_file {
	const char *text;
	int status;
	const char *msg;
} bad_files[] = {
    {HEAD SVC_OPEN ORG "\"users\":[{\"id\":\"a\",\"roles\":[\"viewer\","
                       "\"ghost\"]}]}" TAIL,
     RG_ENOROLE, "services[0].users[0].roles[1]: unknown role 'ghost'"},
    {HEAD SVC_OPEN ORG "\"users\":[{\"id\":\"a\"},{\"id\":\"b\","
                       "\"bu\":\"nowhere\"}]}" TAIL,
     RG_ENOENT, "services[0].users[1].bu: unknown business unit 'nowhere'"},
    {HEAD SVC_OPEN ORG "\"users\":[{\"id\":\"a\",\"departments\":"
                       "[\"d9\"]}]}" TAIL,
     RG_ENOENT, "services[0].users[0].departments[0]: unknown department"},
    {HEAD SVC_OPEN ORG "\"users\":[{\"id\":\"a\",\"units\":[\"u1\","
                       "\"u1\"]}]}" TAIL,
     RG_EINVAL, "services[0].users[0].units: 'u1' is listed twice"},
    {HEAD SVC_OPEN ORG "\"users\":[{\"id\":\"a\"},{\"id\":\"a\"}]}" TAIL,
     RG_EEXIST, "services[0].users[1]: user 'a' already exists"},
    {HEAD SVC_OPEN "\"users\":[{\"id\":\"a\",\"max_chats\":-1}]}" TAIL,
     RG_EINVAL,
     "services[0].users[0].max_chats: invalid max_chats '-1': expected a "
     "whole number >= 0"},
    {HEAD SVC_OPEN "\"users\":[{\"id\":\"a\",\"max_chats\":\"2\"}]}" TAIL,
     RG_EINVAL, "services[0].users[0].max_chats: expected a whole number"},
    {HEAD SVC_OPEN "\"users\":[{\"id\":\"a\",\"status\":\"busy\"}]}" TAIL,
     RG_EINVAL,
     "services[0].users[0].status: invalid status 'busy': expected "
     "available or unavailable"},
    {HEAD SVC_OPEN "\"users\":[{\"id\":\"a b\"}]}" TAIL, RG_EINVAL,
     "services[0].users[0]: invalid user id"},
    {HEAD SVC_OPEN "\"users\":[{\"name\":\"x\"}]}" TAIL, RG_EINVAL,
     "services[0].users[0]: \"id\" is required"},
    {HEAD SVC_OPEN "\"users\":[{\"id\":\"a\",\"colour\":1}]}" TAIL, RG_EINVAL,
     "services[0].users[0].colour: service 'helpdesk' declares no user "
     "attribute 'colour'"},
    {HEAD SVC_OPEN "\"users\":[42]}" TAIL, RG_EINVAL,
     "services[0].users[0]: expected an object"},
    {HEAD SVC_OPEN "\"users\":{}}" TAIL, RG_EINVAL,
     "services[0]: \"users\" must be an array"},
    {HEAD SVC_OPEN "\"custom_roles\":[{\"id\":\"r\",\"privileges\":"
                   "[\"kb.view\",\"nosuch\"]}]}" TAIL,
     RG_ENOACTION,
     "services[0].custom_roles[0].privileges[1]: unknown privilege"},
    {HEAD SVC_OPEN "\"custom_roles\":[{\"id\":\"viewer\"}]}" TAIL, RG_EEXIST,
     "services[0].custom_roles[0]: role 'viewer' is a built-in"},
    {HEAD SVC_OPEN "\"business_units\":[{\"name\":\"a\",\"parent\":null},"
                   "{\"name\":\"b\",\"parent\":null}]}" TAIL,
     RG_EREFUSED,
     "services[0].business_units[1]: 'b' would be a second "
     "root"},
    {HEAD SVC_OPEN "\"business_units\":[{\"name\":\"r\",\"parent\":null},"
                   "{\"name\":\"a\",\"parent\":\"b\"},{\"name\":\"b\","
                   "\"parent\":\"a\"}]}" TAIL,
     RG_EREFUSED,
     "services[0].business_units[1]: business unit 'a' is "
     "its own ancestor"},
    {HEAD SVC_OPEN "\"business_units\":[{\"name\":\"a\",\"parent\":"
                   "\"zz\"}]}" TAIL,
     RG_ENOENT,
     "services[0].business_units[0].parent: unknown business "
     "unit 'zz'"},
    {HEAD SVC_OPEN "\"departments\":[{\"name\":\"d\",\"unit\":\"zz\"}]}" TAIL,
     RG_ENOENT, "services[0].departments[0].unit: unknown unit 'zz'"},
    {HEAD SVC_OPEN "\"settings\":{\"default_max_chats\":\"x\"}}" TAIL,
     RG_EINVAL,
     "services[0].settings.default_max_chats: default_max_chats must be "
     "an integer"},
    {HEAD SVC_OPEN "\"settings\":{\"k\":3}}" TAIL, RG_EINVAL,
     "services[0].settings.k: expected a string"},
    {HEAD "{\"name\":\"helpdesk\"},{\"name\":\"nosuch\"},{\"name\":"
          "\"gone\"}" TAIL,
     RG_ENOSERVICE,
     "unknown to the configuration: 'nosuch' (services[1]), "
     "'gone' (services[2])"},
    {HEAD "{\"name\":\"helpdesk\"},{\"name\":\"helpdesk\"}" TAIL, RG_EINVAL,
     "services[1]: service 'helpdesk' appears twice"},
    {HEAD "{\"users\":[]}" TAIL, RG_EINVAL,
     "services[0]: \"name\" is required"},
    {"{\"format\":\"something\",\"version\":1,\"services\":[]}", RG_EIO,
     "format: not a rolegate directory export"},
    {"{\"format\":\"rolegate-directory\",\"version\":3,\"services\":[]}",
     RG_ENOSYS, "version: unsupported version (this rolegate reads 1 and 2)"},
    {"{\"format\":\"rolegate-directory\",\"version\":1,\"services\":{}}",
     RG_EINVAL, "services: expected an array"},
    {"{\"format\":\"rolegate-directory\",\"version\":1,\"services\":[],"
     "\"extra\":1}",
     RG_EINVAL, "unknown key 'extra'"},
    {"{\"format\": \"rolegate-directory\",\n\"version\": 1,\n"
     "\"services\": [\n",
     RG_EIO, "bad.json:4:"},
    {"[]", RG_EIO, "not a rolegate directory export"},
    /* Version 2: what the service does not declare, named. */
    {HEAD2 SVC_OPEN "\"org\":{\"site\":[{\"name\":\"x\"}]}}" TAIL, RG_EINVAL,
     "services[0].org.site: service 'helpdesk' declares no organisation "
     "kind 'site' (it declares bu, unit or department)"},
    {HEAD2 SVC_OPEN "\"org\":{\"department\":[{\"name\":\"d\","
                    "\"colour\":\"red\"}]}}" TAIL,
     RG_EINVAL,
     "services[0].org.department[0].colour: service 'helpdesk' declares "
     "no attribute 'colour' of a department (it declares max_chats)"},
    {HEAD2 SVC_OPEN "\"org\":{\"department\":[{\"name\":\"d\","
                    "\"max_chats\":\"3\"}]}}" TAIL,
     RG_EINVAL, "services[0].org.department[0].max_chats: expected a whole"},
    {HEAD2 SVC_OPEN "\"org\":{\"department\":[{\"name\":\"d\","
                    "\"unit\":\"u9\"}],\"unit\":[{\"name\":\"u1\"}]}}" TAIL,
     RG_ENOENT, "services[0].org.department[0].unit: unknown unit 'u9'"},
    {HEAD2 SVC_OPEN "\"org\":{\"bu\":[{\"name\":\"r\",\"parent\":null},"
                    "{\"name\":\"a\",\"parent\":\"b\"},{\"name\":\"b\","
                    "\"parent\":\"a\"}]}}" TAIL,
     RG_EREFUSED,
     "services[0].org.bu[1]: business unit 'a' is its own ancestor"},
    {HEAD2 SVC_OPEN "\"users\":[{\"id\":\"a\",\"attrs\":{\"site\":"
                    "\"x\"}}]}" TAIL,
     RG_EINVAL,
     "services[0].users[0].attrs.site: service 'helpdesk' declares no "
     "user attribute 'site' (it declares bu, status or max_chats)"},
    {HEAD2 SVC_OPEN "\"users\":[{\"id\":\"a\",\"attrs\":{\"max_chats\":"
                    "\"2\"}}]}" TAIL,
     RG_EINVAL, "services[0].users[0].attrs.max_chats: expected a whole"},
    {HEAD2 SVC_OPEN "\"users\":[{\"id\":\"a\",\"members\":{\"site\":"
                    "[\"x\"]}}]}" TAIL,
     RG_EINVAL,
     "services[0].users[0].members.site: service 'helpdesk' declares no "
     "organisation kind 'site'"},
    {HEAD2 SVC_OPEN "\"org\":{\"bu\":[{\"name\":\"r\",\"parent\":null}]},"
                    "\"users\":[{\"id\":\"a\",\"members\":{\"bu\":"
                    "[\"r\"]}}]}" TAIL,
     RG_EINVAL,
     "services[0].users[0].members.bu: a user is not a member of a "
     "business unit"},
    {HEAD2 SVC_OPEN "\"users\":[{\"id\":\"a\",\"bu\":null}]}" TAIL, RG_EINVAL,
     "services[0].users[0]: unknown key 'bu'"},
    {HEAD2 SVC_OPEN "\"business_units\":[]}" TAIL, RG_EINVAL,
     "services[0]: unknown key 'business_units'"},
    /* Version 1: a section or user key the service does not declare
     * only when it holds nothing. */
    {HEAD SVC_OTHER "\"business_units\":[{\"name\":\"x\","
                    "\"parent\":null}]}" TAIL,
     RG_EINVAL,
     "services[0].business_units: service 'other' declares no "
     "organisation kind whose section is 'business_units' (it declares "
     "none)"},
    {HEAD SVC_OTHER "\"users\":[{\"id\":\"a\",\"bu\":\"x\"}]}" TAIL, RG_EINVAL,
     "services[0].users[0].bu: service 'other' declares no user "
     "attribute 'bu'"},
    {HEAD SVC_OTHER "\"users\":[{\"id\":\"a\",\"departments\":"
                    "[\"d\"]}]}" TAIL,
     RG_EINVAL,
     "services[0].users[0].departments: service 'other' declares no user "
     "attribute or organisation kind for 'departments'"},
};

START_TEST(test_import_bad)
{
	const struct bad_file *c = &bad_files[_i];
	char *before, *after, *path;
	char err[1024];
	int rc, audits;

	populate_more();
	before = export_text(env.ctx, "before.json");
	audits = audit_count();
	path = tu_write(env.dir, "bad.json", 0644, "%s", c->text);
	rc = rg_directory_import(env.ctx, path, RG_IMPORT_REPLACE, NULL, NULL,
	                         NULL, err, sizeof(err));
	ck_assert_msg(rc == c->status, "case %d: %s, expected %s: %s", _i,
	              rg_status_name(rc), rg_status_name(c->status), err);
	ck_assert_msg(strstr(err, c->msg) != NULL, "case %d: '%s' lacks '%s'",
	              _i, err, c->msg);
	after = export_text(env.ctx, "after.json");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(audit_count(), audits);
	free(before);
	free(after);
	free(path);
}
END_TEST

START_TEST(test_import_missing_file)
{
	char err[512];
	int rc;

	rc = rg_directory_import(env.ctx, "/nonexistent/x.json", 0, NULL, NULL,
	                         NULL, err, sizeof(err));
	ck_assert_int_eq(rc, RG_EIO);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.json"));
}
END_TEST

/* The same directory in both versions: version 1 with every key for
 * every service (nothing where "other" declares nothing), version 2 with
 * the kinds in another order than their declarations (a department
 * before the unit it names). */
static const char dir_v1[] =
    "{\"format\":\"rolegate-directory\",\"version\":1,\"services\":["
    "{\"name\":\"helpdesk\",\"settings\":{},\"business_units\":["
    "{\"name\":\"root\",\"parent\":null},{\"name\":\"sales\","
    "\"parent\":\"root\"}],\"units\":[{\"name\":\"u1\"}],"
    "\"departments\":[{\"name\":\"d1\",\"unit\":\"u1\",\"max_chats\":4}],"
    "\"custom_roles\":[],\"users\":[{\"id\":\"a\",\"name\":\"A\","
    "\"bu\":\"sales\",\"status\":\"available\",\"max_chats\":2,"
    "\"roles\":[\"viewer\"],\"departments\":[\"d1\"],\"units\":[]}]},"
    "{\"name\":\"other\",\"settings\":{},\"business_units\":[],"
    "\"units\":[],\"departments\":[],\"custom_roles\":[],\"users\":["
    "{\"id\":\"z\",\"name\":\"z\",\"bu\":null,\"status\":null,"
    "\"max_chats\":null,\"roles\":[],\"departments\":[],\"units\":[]}]}]}";
static const char dir_v2[] =
    "{\"format\":\"rolegate-directory\",\"version\":2,\"services\":["
    "{\"name\":\"helpdesk\",\"org\":{\"department\":[{\"name\":\"d1\","
    "\"unit\":\"u1\",\"max_chats\":4}],\"unit\":[{\"name\":\"u1\"}],"
    "\"bu\":[{\"name\":\"sales\",\"parent\":\"root\"},{\"name\":\"root\"}]},"
    "\"users\":[{\"id\":\"a\",\"name\":\"A\",\"attrs\":{\"status\":"
    "\"available\",\"bu\":\"sales\",\"max_chats\":2},\"roles\":"
    "[\"viewer\"],\"members\":{\"department\":[\"d1\"],\"unit\":[]}}]},"
    "{\"name\":\"other\",\"users\":[{\"id\":\"z\"}]}]}";

/* Imports text with replace; RG_OK expected. */
static void import_text(const char *name, const char *text)
{
	char *path = tu_write(env.dir, name, 0644, "%s", text), err[512];
	int rc = rg_directory_import(env.ctx, path, RG_IMPORT_REPLACE, NULL,
	                             NULL, NULL, err, sizeof(err));

	ck_assert_msg(rc == RG_OK, "import %s: %s: %s", name,
	              rg_status_name(rc), err);
	free(path);
}

START_TEST(test_import_versions)
{
	char *a, *b;

	import_text("v1.json", dir_v1);
	a = export_text(env.ctx, "a.json");
	ck_assert_ptr_nonnull(strstr(a, "\"version\": 2,\n"));
	ck_assert_ptr_nonnull(
	    strstr(a, "      \"org\": {\n"
	              "        \"bu\": [\n"
	              "          {\"name\":\"root\",\"parent\":null},\n"
	              "          {\"name\":\"sales\",\"parent\":\"root\"}\n"
	              "        ],\n"
	              "        \"unit\": [\n"
	              "          {\"name\":\"u1\"}\n"
	              "        ],\n"
	              "        \"department\": [\n"
	              "          {\"name\":\"d1\",\"unit\":\"u1\","
	              "\"max_chats\":4}\n"
	              "        ]\n"
	              "      },\n"));
	ck_assert_ptr_nonnull(
	    strstr(a, "{\"id\":\"a\",\"name\":\"A\",\"attrs\":{\"bu\":"
	              "\"sales\",\"max_chats\":2,\"status\":\"available\"},"
	              "\"roles\":[\"viewer\"],\"members\":{\"department\":"
	              "[\"d1\"]}}"));
	ck_assert_ptr_nonnull(
	    strstr(a, "{\"id\":\"z\",\"name\":\"z\",\"attrs\":{},\"roles\":"
	              "[],\"members\":{}}"));
	ck_assert(allowed("a", "ticket.view"));
	/* Version 2, in any order, is the same directory. */
	import_text("v2.json", dir_v2);
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	free(b);
	/* And its own export, imported back. */
	import_text("a.json", a);
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
	free(a);
	free(b);
}
END_TEST

/* Rows of a kind and attributes no plugin declares (its plugin left the
 * configuration): exported all the same, refused by an import. */
START_TEST(test_export_undeclared)
{
	char *a, *b, *path, err[512];
	int rc, audits;

	import_text("v1.json", dir_v1);
	sql_run("INSERT INTO org VALUES ('helpdesk', 'site', 'north');"
	        "INSERT INTO org_attr VALUES ('helpdesk', 'site', 'north', "
	        "'region', 'eu');"
	        "INSERT INTO org_attr VALUES ('helpdesk', 'department', 'd1', "
	        "'colour', 'red');"
	        "INSERT INTO user_attr VALUES ('helpdesk', 'a', 'site', "
	        "'north');"
	        "UPDATE users SET attrs = 'bu=sales' || char(31) || "
	        "'max_chats=2' || char(31) || 'site=north' || char(31) || "
	        "'status=available' WHERE id = 'a';");
	a = export_text(env.ctx, "a.json");
	ck_assert_ptr_nonnull(
	    strstr(a, "        \"department\": [\n"
	              "          {\"name\":\"d1\",\"unit\":\"u1\","
	              "\"max_chats\":4,\"colour\":\"red\"}\n"
	              "        ],\n"
	              "        \"site\": [\n"
	              "          {\"name\":\"north\",\"region\":\"eu\"}\n"
	              "        ]\n"));
	ck_assert_ptr_nonnull(strstr(a, "\"max_chats\":2,\"site\":\"north\","));
	audits = audit_count();
	path = tu_join(env.dir, "a.json");
	rc = rg_directory_import(env.ctx, path, RG_IMPORT_REPLACE, NULL, NULL,
	                         NULL, err, sizeof(err));
	ck_assert_int_eq(rc, RG_EINVAL);
	ck_assert_msg(strstr(err, "services[0].org.site: service 'helpdesk' "
	                          "declares no organisation kind 'site'"),
	              "%s", err);
	b = export_text(env.ctx, "b.json");
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(audit_count(), audits);
	free(a);
	free(b);
	free(path);
}
END_TEST

/* ---- concurrency ------------------------------------------------------ */

#define WRITER_USERS 50

struct writer {
	rg_context *ctx;
	char prefix;
	useconds_t hold_us;
	int rc;
	int begun;
	char err[512];
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char id[16];
	rg_txn *t = NULL;
	int i;

	w->rc =
	    rg_txn_begin(w->ctx, SVC, NULL, NULL, &t, w->err, sizeof(w->err));
	if (w->rc != RG_OK)
		return NULL;
	w->begun = 1;
	for (i = 0; i < WRITER_USERS && w->rc == RG_OK; i++) {
		snprintf(id, sizeof(id), "%c%d", w->prefix, i);
		w->rc = rg_user_add(t, id, NULL);
		if (i == WRITER_USERS / 2)
			usleep(w->hold_us); /* let the other one collide */
	}
	if (w->rc == RG_OK)
		w->rc = rg_txn_commit(t);
	else
		rg_txn_abort(t);
	return NULL;
}

/* Users of the service whose id starts with prefix. */
static int prefix_count(rg_context *ctx, char prefix)
{
	char id[16];
	int i, n = 0;

	for (i = 0; i < WRITER_USERS; i++) {
		snprintf(id, sizeof(id), "%c%d", prefix, i);
		if (rg_user_get(ctx, SVC, id, count_user, &(int){0}) == RG_OK)
			n++;
	}
	return n;
}

static char w_err[2][512];

/* Two contexts (two connections, as two processes) write at once. */
static void two_writers(long busy_ms, useconds_t hold_us, int *ok)
{
	struct writer w[2];
	pthread_t th[2];
	int i;

	open_busy(busy_ms);
	for (i = 0; i < 2; i++) {
		w[i].ctx = open_other();
		w[i].prefix = (char)('a' + i);
		w[i].hold_us = hold_us;
		w[i].rc = -1000;
		w[i].begun = 0;
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	*ok = 0;
	for (i = 0; i < 2; i++) {
		int n = prefix_count(env.ctx, w[i].prefix);
		ck_assert_msg(w[i].rc == RG_OK || w[i].rc == RG_EBUSY,
		              "writer %d: %s: %s", i, rg_status_name(w[i].rc),
		              w[i].err);
		/* All or nothing. */
		ck_assert_int_eq(n, w[i].rc == RG_OK ? WRITER_USERS : 0);
		*ok += w[i].rc == RG_OK;
		snprintf(w_err[i], sizeof(w_err[i]), "%s", w[i].err);
		rg_close(w[i].ctx);
	}
	ck_assert_int_ge(*ok, 1);
	ck_assert_int_eq(rg_directory_verify(env.ctx, NULL, 0), RG_OK);
}

START_TEST(test_two_writers_wait)
{
	int ok;

	/* The second waits for the first: both succeed. */
	two_writers(BUSY_MS * 5, 50 * 1000, &ok);
	ck_assert_msg(ok == 2, "a writer failed: %s%s", w_err[0], w_err[1]);
}
END_TEST

START_TEST(test_two_writers_busy)
{
	int ok;

	/* The second gives up long before the first is done. */
	two_writers(20, 600 * 1000, &ok);
	ck_assert_int_eq(ok, 1);
}
END_TEST

#define CHECKERS 8
#define TOGGLES  40

struct checker {
	rg_context *ctx;
	atomic_int *stop;
	long allows, denies, bad;
	char why[RG_REASON_MAX + 64];
};

static void *checker_main(void *arg)
{
	struct checker *c = arg;
	rg_request req;
	rg_decision d;

	memset(&req, 0, sizeof(req));
	req.service = SVC;
	req.subject.user = "carol";
	req.action = "ticket.reply";
	while (!atomic_load(c->stop)) {
		int rc = rg_check(c->ctx, &req, 0, &d);
		/* Old: carol has viewer only (deny, no role grants).
		 * New: carol has agent too (allow, by agent). */
		if (rc == RG_OK && d.result == RG_ALLOW &&
		    strcmp(d.role, "agent") == 0)
			c->allows++;
		else if (rc == RG_OK && d.result == RG_DENY)
			c->denies++;
		else if (!c->bad++)
			snprintf(c->why, sizeof(c->why), "%s %s %s",
			         rg_status_name(rc), rg_result_name(d.result),
			         d.reason);
	}
	return NULL;
}

START_TEST(test_checks_during_commits)
{
	struct checker c[CHECKERS];
	pthread_t th[CHECKERS];
	atomic_int stop = 0;
	rg_context *other;
	int i, j;

	populate();
	other = open_other();
	{
		rg_txn *t = begin();
		OK(t, rg_role_assign(t, "carol", "viewer", 0));
		commit(t);
	}
	for (i = 0; i < CHECKERS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		/* Half on the writing context, half on another one. */
		c[i].ctx = i % 2 ? other : env.ctx;
		c[i].stop = &stop;
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, checker_main, &c[i]), 0);
	}
	for (j = 0; j < TOGGLES; j++) {
		rg_txn *t = begin();
		if (j % 2 == 0)
			OK(t, rg_role_assign(t, "carol", "agent", 0));
		else
			OK(t, rg_role_unassign(t, "carol", "agent"));
		commit(t);
		ck_assert_int_eq(rg_directory_refresh(other), RG_OK);
		ck_assert(allowed_on(other, SVC, "carol", "ticket.reply",
		                     NULL) == (j % 2 == 0));
	}
	atomic_store(&stop, 1);
	for (i = 0; i < CHECKERS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(c[i].bad == 0, "checker %d: %ld bad answers: %s",
		              i, c[i].bad, c[i].why);
		ck_assert_int_gt(c[i].allows + c[i].denies, 0);
	}
	rg_close(other);
}
END_TEST

/*
 * A change to one service builds that service's part of the next snapshot
 * again and shares the others' with the snapshot before (snapload.c): the
 * log says how many were built, and every service still answers from its
 * own data, shared or rebuilt, across several changes (closing both
 * contexts frees what is shared exactly once: the sanitizer build would
 * report a leak or a double free).
 */
/* A second context on env's directory (refreshed by hand), logging to
 * log at the level that says what each snapshot built. */
static rg_context *open_watch(struct tu_log *log)
{
	rg_options opts;
	rg_context *watch = NULL;
	char err[512];

	tu_log_init(log);
	env_options(&opts, RG_OPEN_NO_WATCH, log, RG_LOG_INFO);
	ck_assert_msg(rg_open(&watch, &opts, err, sizeof(err)) == RG_OK,
	              "rg_open: %s", err);
	/* The first snapshot has nothing to share. */
	ck_assert_msg(tu_log_has(log, "6 of 6 services built, 0 unchanged"),
	              "first load");
	return watch;
}

/* Refreshes watch and checks how many of its 6 services were built. */
static void refresh_builds(rg_context *watch, struct tu_log *log, int built,
                           const char *why)
{
	char want[64];

	tu_log_free(log);
	tu_log_init(log);
	ck_assert_int_eq(rg_directory_refresh(watch), RG_OK);
	snprintf(want, sizeof(want), "%d of 6 services built, %d unchanged",
	         built, 6 - built);
	ck_assert_msg(tu_log_has(log, want), "%s: not \"%s\"", why, want);
}

/* A change to the service "other" through the directory: it moves the
 * version, so that a refresh reads the stamps again. */
static void touch_other_on(rg_context *ctx, const char *user)
{
	rg_txn *t = begin_on(ctx, "other");

	OK(t, rg_user_add(t, user, NULL));
	commit(t);
}

static void touch_other(const char *user)
{
	touch_other_on(env.ctx, user);
}

START_TEST(test_unchanged_services_shared)
{
	struct tu_log log;
	rg_context *watch;
	int j;

	populate();
	{
		rg_txn *t = begin();
		OK(t, rg_role_assign(t, "carol", "viewer", 0));
		commit(t);
		t = begin_on(env.ctx, "other");
		OK(t, rg_user_add(t, "olga", "Olga"));
		OK(t, rg_role_assign(t, "olga", "viewer", 0));
		commit(t);
	}
	watch = open_watch(&log);
	for (j = 0; j < 4; j++) {
		const char *svc = j % 2 ? "other" : SVC;
		rg_txn *t = begin_on(env.ctx, svc);

		if (j % 2)
			OK(t, rg_role_assign(t, "olga", "agent", 0));
		else
			OK(t, rg_role_assign(t, "carol", "agent", 0));
		commit(t);
		refresh_builds(watch, &log, 1, "a change to one service");
		/* The changed service and the shared ones both answer. */
		ck_assert(allowed_on(watch, SVC, "carol", "ticket.reply",
		                     NULL) == (j % 2 == 0));
		ck_assert(allowed_on(watch, "other", "olga", "ticket.reply",
		                     NULL) == (j % 2 == 1));
		ck_assert(allowed_on(watch, SVC, "bob", "ticket.view", NULL));
		ck_assert(
		    allowed_on(watch, "other", "olga", "ticket.view", NULL));
		ck_assert(
		    !allowed_on(watch, "other", "carol", "ticket.view", NULL));
		t = begin_on(env.ctx, svc);
		OK(t, rg_role_unassign(t, j % 2 ? "olga" : "carol", "agent"));
		commit(t);
		ck_assert_int_eq(rg_directory_refresh(watch), RG_OK);
		ck_assert(
		    !allowed_on(watch, SVC, "carol", "ticket.reply", NULL));
		ck_assert(
		    !allowed_on(watch, "other", "olga", "ticket.reply", NULL));
	}
	rg_close(watch);
	tu_log_free(&log);
}
END_TEST

/*
 * The stamps are kept by the database's triggers: a change made with SQL
 * behind the directory's back is seen at the next refresh that reads the
 * directory (one that a commit moved the version for), and so is a second
 * such change to the same service, which a stamp taken from the version
 * counter (unmoved by SQL) would give the same stamp as the first.
 */
START_TEST(test_stamps_catch_sql)
{
	struct tu_log log;
	rg_context *watch;

	populate();
	touch_other("olga");
	watch = open_watch(&log);
	ck_assert(allowed_on(watch, SVC, "bob", "ticket.view", NULL));

	sql_run("UPDATE users SET roles = '' WHERE service = '" SVC
	        "' AND id = 'bob'");
	touch_other("oscar");
	refresh_builds(watch, &log, 2, "SQL to " SVC ", a verb to other");
	ck_assert(!allowed_on(watch, SVC, "bob", "ticket.view", NULL));

	sql_run("UPDATE users SET roles = 'reader' WHERE service = '" SVC
	        "' AND id = 'bob'");
	touch_other("otto");
	refresh_builds(watch, &log, 2, "SQL to " SVC " again");
	ck_assert(allowed_on(watch, SVC, "bob", "ticket.view", NULL));

	touch_other("oona");
	refresh_builds(watch, &log, 1, "a verb to other only");
	ck_assert(allowed_on(watch, SVC, "bob", "ticket.view", NULL));
	rg_close(watch);
	tu_log_free(&log);
}
END_TEST

/*
 * A SQLite directory written by a build without stamps (the table and two
 * triggers gone): a snapshot read from it shares nothing later.  The next
 * commit makes what is missing and stamps every service that has rows;
 * from then on, only what changes is built.
 */
START_TEST(test_stamps_missing)
{
	struct tu_log log, wlog;
	rg_context *watch, *writer;

	populate();
	touch_other("olga");
	sql_run("DROP TABLE service_stamp;"
	        "DROP TRIGGER stamp_users_insert;"
	        "DROP TRIGGER stamp_users_update;");
	watch = open_watch(&log);
	sql_run("UPDATE users SET roles = '' WHERE service = '" SVC
	        "' AND id = 'bob'");
	/* A connection of this build that has not written yet. */
	writer = open_watch(&wlog);
	touch_other_on(writer, "oscar");
	refresh_builds(watch, &log, 6, "stamps made after the snapshot");
	ck_assert(!allowed_on(watch, SVC, "bob", "ticket.view", NULL));
	touch_other_on(writer, "otto");
	refresh_builds(watch, &log, 1, "stamped");
	ck_assert(!allowed_on(watch, SVC, "bob", "ticket.view", NULL));
	ck_assert(allowed_on(watch, SVC, "alice", "ticket.view", NULL));
	rg_close(writer);
	rg_close(watch);
	tu_log_free(&wlog);
	tu_log_free(&log);
}
END_TEST

/*
 * PostgreSQL: a transaction's stamp is kept in a setting local to it.  A
 * value of that setting given to the whole role (or a session) must not
 * make two transactions share a stamp: the second change would be missed.
 */
START_TEST(test_stamps_role_setting)
{
	struct tu_log log, wlog;
	rg_context *watch, *writer;
	int j;

	populate();
	watch = open_watch(&log);
	sql_run("ALTER ROLE CURRENT_USER SET rolegate.stamp = '7'");
	writer = open_watch(&wlog); /* a session that has the setting */
	for (j = 0; j < 2; j++) {
		rg_txn *t = begin_on(writer, SVC);

		if (j == 0) {
			OK(t, rg_role_assign(t, "carol", "viewer", 0));
			OK(t, rg_role_assign(t, "carol", "agent", 0));
		} else {
			OK(t, rg_role_unassign(t, "carol", "agent"));
		}
		commit(t);
		refresh_builds(watch, &log, 1, "a change by the session");
		ck_assert_msg(allowed_on(watch, SVC, "carol", "ticket.reply",
		                         NULL) == (j == 0),
		              "change %d not seen", j);
	}
	sql_run("ALTER ROLE CURRENT_USER RESET rolegate.stamp");
	rg_close(writer);
	rg_close(watch);
	tu_log_free(&wlog);
	tu_log_free(&log);
}
END_TEST

/* ---- the suite -------------------------------------------------------- */

static Suite *directory_suite(void)
{
	Suite *s = suite_create("directory");
	TCase *tc;

	tc = tcase_create("create");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_missing_is_empty);
	TU_ADD_SQLITE_TEST(tc, test_first_txn_creates,
	                   "the modes of the SQLite file and its folder");
	tcase_add_test(tc, test_begin_bad_args);
	tcase_add_test(tc, test_no_directory);
	suite_add_tcase(s, tc);

	tc = tcase_create("operations");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_users);
	tcase_add_test(tc, test_services_apart);
	tcase_add_test(tc, test_assign_and_check);
	tcase_add_test(tc, test_prereq_warning);
	tcase_add_test(tc, test_org);
	tcase_add_test(tc, test_org_list);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_custom_roles);
	tcase_add_test(tc, test_custom_role_no_owner);
	tcase_add_test(tc, test_custom_role_products);
	tcase_add_test(tc, test_abort);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad-input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_input, 0, (int)RG_COUNTOF(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("contexts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_second_context);
	tcase_add_test(tc, test_created_elsewhere);
	tcase_add_test(tc, test_locked);
	tcase_add_test(tc, test_locked_same_context);
	TU_ADD_SQLITE_TEST(tc, test_readonly,
	                   "a read-only SQLite file (chmod)");
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_schema_too_new);
	TU_ADD_SQLITE_TEST(tc, test_schema_empty_file, "an empty SQLite file");
	TU_ADD_SQLITE_TEST(tc, test_schema_not_a_database,
	                   "a file that is no SQLite database");
	TU_ADD_SQLITE_TEST(tc, test_verify_finds_damage,
	                   "the damage needs SQLite's PRAGMA foreign_keys");
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_audit);
	tcase_add_test(tc, test_audit_since_until);
	tcase_add_test(tc, test_audit_undo);
	TU_ADD_SQLITE_TEST(tc, test_audit_undo_legacy,
	                   "first-release records exist in SQLite files only");
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_export_one_service);
	tcase_add_test(tc, test_import_cancel);
	tcase_add_loop_test(tc, test_import_bad, 0, (int)RG_COUNTOF(bad_files));
	tcase_add_test(tc, test_import_missing_file);
	tcase_add_test(tc, test_import_versions);
	TU_ADD_SQLITE_TEST(tc, test_export_undeclared,
	                   "its rows are written in SQLite's dialect (char())");
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_two_writers_wait);
	tcase_add_test(tc, test_two_writers_busy);
	tcase_add_test(tc, test_checks_during_commits);
	tcase_add_test(tc, test_unchanged_services_shared);
	tcase_add_test(tc, test_stamps_catch_sql);
	TU_ADD_SQLITE_TEST(tc, test_stamps_missing,
	                   "a SQLite file written before the stamps");
	if (tu_pg()) /* a setting of PostgreSQL's triggers */
		tcase_add_test(tc, test_stamps_role_setting);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(directory_suite)
