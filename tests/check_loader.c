/*
 * check_loader.c - loading plugins: names, files, ABI versions, entry
 * symbols, open failures, and how a failed entry counts in its stack.
 *
 * Every test builds a private plugin directory, so it can plant unsafe
 * files.  Each bad plugin would allow if it were ever used (the test
 * plugins all allow, and the file a refused name would reach is a fixed
 * result=allow), so a loader that is too lenient shows up as an allow.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rolegate/plugin.h>

#include "testutil.h"

#define ACTION  "fixed.test"
#define SUBJECT "@tester"
#define SERVICE "s"
/* Declares ACTION and SUBJECT's role without deciding anything. */
#define DECLARER "optional fixed result=abstain"
/* The line of the first stack entry of open_stack()'s config. */
#define FIRST_LINE 2
/* How far tests/fakes/newminor.c's minor is ahead of the core's. */
#define NEWMINOR_AHEAD 5

static struct tu_env env;

static void setup(void)
{
	tu_env_setup(&env);
	tu_add_plugin(&env, "fixed");
}

static void teardown(void)
{
	tu_env_teardown(&env);
}

/* Opens "[service s]" with one or two stack lines (second may be NULL). */
static void open_stack(const char *first, const char *second)
{
	tu_open(&env, "[service %s]\nstack = %s\n%s%s%s", SERVICE, first,
	        second ? "stack = " : "", second ? second : "",
	        second ? "\n" : "");
}

static rg_result decide(rg_decision *d)
{
	tu_check(env.ctx, SERVICE, SUBJECT, ACTION, RG_CHECK_TRACE, d);
	return d->result;
}

static void assert_denied(const char *what)
{
	rg_decision d;

	ck_assert_msg(decide(&d) == RG_DENY, "%s: allowed (%s)", what,
	              d.reason);
}

/* The entry of stack line `i` (0-based) of service s. */
static void entry_at(size_t i, rg_entry_info *e)
{
	const rg_service *svc = rg_service_find(env.ctx, SERVICE);

	ck_assert_ptr_nonnull(svc);
	ck_assert_int_eq(rg_entry_at(svc, i, e), RG_OK);
}

/* Asserts entry 0 failed, with an error message and no object loaded. */
static int assert_entry_failed(void)
{
	rg_entry_info e;

	entry_at(0, &e);
	ck_assert_msg(e.status != RG_OK, "entry loaded: %s", e.path);
	ck_assert_ptr_nonnull(e.error);
	ck_assert_msg(e.error[0] != '\0', "failed entry without an error");
	return e.status;
}

/* Asserts a diagnostic on the first stack line containing both needles. */
static void assert_diag(const char *a, const char *b)
{
	char *prefix = tu_strdupf("%s:%u: ", env.config, FIRST_LINE);

	ck_assert_msg(tu_diag_find(env.ctx, prefix, a, b, (const char *)NULL) >=
	                  0,
	              "no diagnostic '%s' with '%s' and '%s':%s", prefix, a,
	              b ? b : "", tu_diag_dump(env.ctx));
	free(prefix);
}

/* Asserts two paths name the same file (the loader may normalise). */
static void assert_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	ck_assert_msg(stat(a, &sa) == 0, "%s: %s", a, strerror(errno));
	ck_assert_msg(stat(b, &sb) == 0, "%s: %s", b, strerror(errno));
	ck_assert_msg(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino,
	              "%s is not %s", a, b);
}

/* ---- Good plugins ------------------------------------------------------- */

START_TEST(test_loads_from_plugin_dir)
{
	rg_entry_info e;
	rg_decision d;
	char *so = tu_join(env.plugin_dir, "fixed.so");

	open_stack("required fixed result=allow", NULL);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	ck_assert_int_eq(decide(&d), RG_ALLOW);
	entry_at(0, &e);
	ck_assert_int_eq(e.status, RG_OK);
	assert_same_file(e.path, so);
	free(so);
}
END_TEST

/*
 * rg_core_abi_version() (1.4) tells a plugin the core's ABI: the version
 * this build's header has, of the major the loader accepts, 1.4 or later.
 */
START_TEST(test_core_abi_version)
{
	uint32_t v = rg_core_abi_version();

	ck_assert_uint_eq(v, RG_PLUGIN_ABI_VERSION);
	ck_assert_uint_eq(RG_ABI_MAJOR(v), RG_PLUGIN_ABI_MAJOR);
	ck_assert_uint_ge(RG_ABI_MINOR(v), 4);
}
END_TEST

/* One object, two entries: each keeps its own state. */
START_TEST(test_entries_have_own_state)
{
	rg_decision d;

	tu_open(&env, "[service s]\n"
	              "stack = required fixed result=allow tag=one\n"
	              "[service t]\n"
	              "stack = required fixed result=deny tag=two\n");
	ck_assert_int_eq(decide(&d), RG_ALLOW);
	ck_assert_ptr_nonnull(strstr(d.reason, "[one]"));
	tu_check(env.ctx, "t", SUBJECT, ACTION, 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
	ck_assert_ptr_nonnull(strstr(d.reason, "[two]"));
}
END_TEST

/*
 * The name on the stack line (the file's) is the one log lines and reasons
 * use; a plugin whose .name differs gets a warning naming both, and works.
 */
START_TEST(test_name_differs_from_file)
{
	char *src = tu_plugin_object("fixed");
	char *so = tu_join(env.plugin_dir, "alias.so");
	rg_decision d;
	size_t i, n;
	int warned = 0;

	tu_copy(src, so, TU_SAFE_MODE);
	open_stack("required alias result=allow", NULL);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	n = rg_warning_count(env.ctx);
	for (i = 0; i < n; i++)
		warned |= strstr(rg_warning(env.ctx, i), "'alias' calls itself "
		                                         "'fixed'") != NULL;
	ck_assert_msg(warned, "no warning naming alias and fixed");
	ck_assert_int_eq(decide(&d), RG_ALLOW);
	ck_assert_str_eq(d.plugin, "alias");
	ck_assert_msg(strncmp(d.reason, "alias: ", strlen("alias: ")) == 0,
	              "reason: %s", d.reason);
	free(so);
	free(src);
}
END_TEST

/* Opens env.config as written, on another plugin directory. */
static void open_on(const char *plugin_dir)
{
	rg_options opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.config_path = env.config;
	/* Policies only: no directory, and no refresh thread (Check forks). */
	opts.flags = RG_OPEN_NO_DIRECTORY | RG_OPEN_NO_WATCH;
	opts.plugin_dir = plugin_dir;
	opts.log = tu_log_fn;
	opts.log_user = &env.log;
	rc = rg_open(&env.ctx, &opts, env.errbuf, sizeof(env.errbuf));
	ck_assert_msg(rc == RG_OK, "rg_open: %s (%s)", rg_status_name(rc),
	              env.errbuf);
}

/* In a build tree the plugin directory holds NAME.la, not NAME.so. */
START_TEST(test_build_tree_la)
{
	char *dir = tu_join(tu_getenv("top_builddir"), "plugins");
	char *la = tu_join(dir, "permit.la");
	rg_entry_info e;
	rg_decision d;
	struct stat st;
	char *p;

	ck_assert_msg(stat(la, &st) == 0, "%s: %s", la, strerror(errno));
	ck_assert_int_eq(stat(dir, &st), 0);
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		/* The loader rightly refuses it; nothing to prove here. */
		fprintf(stderr, "%s is group/world-writable: skipped\n", dir);
		goto out;
	}
	p = tu_write(env.dir, "t.policy", 0644,
	             "[policy]\nproduct = test\n"
	             "[privilege x.do]\ndescription = Do x\n"
	             "[role doer]\nname = Doer\ngrant = x.do\n");
	free(p);
	p = tu_write(env.dir, "rolegate.conf", 0644,
	             "[service s]\n"
	             "stack = requisite rbac policy=t.policy\n"
	             "stack = required permit\n");
	free(p);
	open_on(dir);
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	entry_at(1, &e);
	ck_assert_int_eq(e.status, RG_OK);
	ck_assert_ptr_nonnull(strstr(e.path, "permit"));
	tu_check(env.ctx, SERVICE, "@doer", "x.do", 0, &d);
	ck_assert_msg(d.result == RG_ALLOW, "%s", d.reason);
	tu_check(env.ctx, SERVICE, "@doer", "x.undeclared", 0, &d);
	ck_assert_int_eq(d.result, RG_DENY);
out:
	free(la);
	free(dir);
}
END_TEST

/* ---- Names -------------------------------------------------------------- */

/*
 * Names that must be refused before any file is looked at.  For each, the
 * test plants the file the name would reach if it were used.
 */
static const char *const bad_names[] = {
    "../fixed", "sub/fixed", "fixed.so", "/fixed", "fixed.x",
    "..",       "fi$xed",    "fixed\\x", "fixed~",
};
#define NBAD_NAMES RG_COUNTOF(bad_names)

static void plant_reachable_files(void)
{
	char *sub = tu_mkdir(env.plugin_dir, "sub", TU_SAFE_MODE);
	char *src = tu_plugin_object("fixed");
	static const char *const planted[] = {
	    "sub/fixed.so", "fixed.so.so", "fixed.x.so",
	    "fi$xed.so",    "fixed\\x.so", "fixed~.so",
	};
	size_t i;
	char *p;

	for (i = 0; i < RG_COUNTOF(planted); i++) {
		p = tu_join(env.plugin_dir, planted[i]);
		tu_copy(src, p, TU_SAFE_MODE);
		free(p);
	}
	p = tu_join(env.dir, "fixed.so");
	tu_copy(src, p, TU_SAFE_MODE);
	free(p);
	free(src);
	free(sub);
}

START_TEST(test_bad_name)
{
	const char *name = bad_names[_i];
	char *line = tu_strdupf("required %s result=allow", name);

	plant_reachable_files();
	open_stack(line, DECLARER);
	assert_diag(name, NULL);
	assert_entry_failed();
	assert_denied(name);
	free(line);
}
END_TEST

START_TEST(test_missing_plugin)
{
	open_stack("required nosuch", DECLARER);
	assert_diag("nosuch", NULL);
	assert_entry_failed();
	assert_denied("missing plugin");
}
END_TEST

/* ---- Unsafe files ------------------------------------------------------- */

enum unsafe_kind {
	UNSAFE_MODE,      /* fixed.so gets `mode` */
	UNSAFE_DIR_MODE,  /* the plugin directory gets `mode` */
	UNSAFE_SYMLINK,   /* fixed.so is a symlink to a safe copy */
	UNSAFE_DIRECTORY, /* fixed.so is a directory */
	UNSAFE_FIFO,      /* fixed.so is a fifo */
};

struct unsafe_case {
	const char *name;
	enum unsafe_kind kind;
	mode_t mode;
};

static const struct unsafe_case unsafe_cases[] = {
    {"group-writable file", UNSAFE_MODE, 0775},
    {"world-writable file", UNSAFE_MODE, 0757},
    {"group-writable file, no exec", UNSAFE_MODE, 0664},
    {"world-writable file, no exec", UNSAFE_MODE, 0646},
    {"group-writable directory", UNSAFE_DIR_MODE, 0775},
    {"world-writable directory", UNSAFE_DIR_MODE, 0757},
    {"world-writable sticky directory", UNSAFE_DIR_MODE, 01777},
    {"symlink", UNSAFE_SYMLINK, 0},
    {"directory", UNSAFE_DIRECTORY, 0},
    {"fifo", UNSAFE_FIFO, 0},
};
#define NUNSAFE RG_COUNTOF(unsafe_cases)

static void make_unsafe(const struct unsafe_case *c, const char *so)
{
	char *real, *safe;

	switch (c->kind) {
	case UNSAFE_MODE:
		ck_assert_int_eq(chmod(so, c->mode), 0);
		break;
	case UNSAFE_DIR_MODE:
		ck_assert_int_eq(chmod(env.plugin_dir, c->mode), 0);
		break;
	case UNSAFE_SYMLINK:
		safe = tu_mkdir(env.dir, "real", TU_SAFE_MODE);
		real = tu_join(safe, "fixed.so");
		ck_assert_int_eq(rename(so, real), 0);
		ck_assert_int_eq(symlink(real, so), 0);
		free(real);
		free(safe);
		break;
	case UNSAFE_DIRECTORY:
		ck_assert_int_eq(unlink(so), 0);
		ck_assert_int_eq(mkdir(so, TU_SAFE_MODE), 0);
		break;
	case UNSAFE_FIFO:
		ck_assert_int_eq(unlink(so), 0);
		ck_assert_int_eq(mkfifo(so, 0644), 0);
		break;
	}
}

START_TEST(test_unsafe_file)
{
	const struct unsafe_case *c = &unsafe_cases[_i];
	char *so = tu_join(env.plugin_dir, "fixed.so");
	int status;

	make_unsafe(c, so);
	open_stack("required fixed result=allow", NULL);
	/* The diagnostic names the file (or, for the directory, its dir). */
	assert_diag(c->kind == UNSAFE_DIR_MODE ? env.plugin_dir : so,
	            c->kind == UNSAFE_SYMLINK
	                ? "is a symbolic link (plugins are loaded only from "
	                  "regular files)"
	                : NULL);
	status = assert_entry_failed();
	if (c->kind == UNSAFE_MODE || c->kind == UNSAFE_DIR_MODE)
		ck_assert_msg(status == RG_EPERM, "%s: status %s", c->name,
		              rg_status_name(status));
	assert_denied(c->name);
	free(so);
}
END_TEST

/* ---- Unsafe parents of the plugin directory ----------------------------- */

/* A uid that is neither root nor us, for a parent owned by someone else. */
#define OTHER_UID 65534

enum parent_kind {
	PARENT_MODE,  /* the parent gets `mode` */
	PARENT_OWNER, /* the parent belongs to OTHER_UID */
};

struct parent_case {
	const char *name;
	enum parent_kind kind;
	mode_t mode;
	int refused; /* 1: the directory below it must not be used */
};

static const struct parent_case parent_cases[] = {
    {"group-writable parent", PARENT_MODE, 0775, 1},
    {"world-writable parent", PARENT_MODE, 0757, 1},
    {"group-writable sticky parent", PARENT_MODE, 01775, 0},
    {"world-writable sticky parent (as /tmp)", PARENT_MODE, 01777, 0},
    {"safe parent", PARENT_MODE, 0755, 0},
    {"parent owned by someone else", PARENT_OWNER, 0755, 1},
};
#define NPARENT RG_COUNTOF(parent_cases)

/* Makes ENV/up/plugins holding a safe fixed.so, and a config of one
 * fixed entry; returns ENV/up (the caller frees it). */
static char *make_nested_plugins(void)
{
	char *up = tu_mkdir(env.dir, "up", TU_SAFE_MODE);
	char *dir = tu_mkdir(up, "plugins", TU_SAFE_MODE);
	char *src = tu_plugin_object("fixed");
	char *so = tu_join(dir, "fixed.so");

	tu_copy(src, so, TU_SAFE_MODE);
	free(tu_write(env.dir, "rolegate.conf", 0644,
	              "[service %s]\nstack = required fixed result=allow\n",
	              SERVICE));
	free(so);
	free(src);
	free(dir);
	return up;
}

/*
 * ENV/up/plugins holds a safe fixed.so, and up is made unsafe: a parent
 * that others may rename or fill lets them swap the whole directory, so
 * the loader refuses it, and names it; a sticky one only its owner's
 * entries can be renamed in, so it is allowed (the plugins dir is ours).
 */
START_TEST(test_unsafe_parent)
{
	const struct parent_case *c = &parent_cases[_i];
	char *up = make_nested_plugins();
	char *dir = tu_join(up, "plugins");
	rg_decision d;

	if (c->kind == PARENT_OWNER && chown(up, OTHER_UID, (gid_t)-1) != 0) {
		fprintf(stderr, "%s: cannot chown (%s): skipped\n", c->name,
		        strerror(errno));
		goto out;
	}
	ck_assert_int_eq(chmod(up, c->mode), 0);
	open_on(dir);
	decide(&d);
	if (c->refused) {
		assert_diag(up, c->kind == PARENT_OWNER ? "owned by uid"
		                                        : "writable by group");
		ck_assert_int_eq(assert_entry_failed(), RG_EPERM);
		ck_assert_msg(d.result == RG_DENY, "%s: allowed", c->name);
	} else {
		ck_assert_msg(rg_diagnostic_count(env.ctx) == 0,
		              "%s: diagnostics:%s", c->name,
		              tu_diag_dump(env.ctx));
		ck_assert_msg(d.result == RG_ALLOW, "%s: %s", c->name,
		              d.reason);
	}
out:
	/* The teardown removes the tree: give it back. */
	chmod(up, TU_SAFE_MODE);
	free(dir);
	free(up);
}
END_TEST

/* A symbolic link on the way is followed, and the target's parents are
 * checked too: ENV/link -> ENV/up (group-writable)/... is refused. */
START_TEST(test_unsafe_parent_through_link)
{
	char *up = make_nested_plugins();
	char *link = tu_join(env.dir, "link");
	char *via = tu_join(link, "plugins");
	rg_decision d;

	ck_assert_int_eq(symlink(up, link), 0);
	open_on(via);
	ck_assert_msg(decide(&d) == RG_ALLOW, "safe through a link: %s",
	              d.reason);
	tu_close(&env);
	ck_assert_int_eq(chmod(up, 0775), 0);
	open_on(via);
	assert_diag(up, "writable by group");
	ck_assert_int_eq(decide(&d), RG_DENY);
	chmod(up, TU_SAFE_MODE);
	free(via);
	free(link);
	free(up);
}
END_TEST

/* ---- Bad objects -------------------------------------------------------- */

START_TEST(test_wrong_abi)
{
	char *so = tu_join(env.plugin_dir, "wrongabi.so");
	char *theirs = tu_strdupf("%u.0", RG_PLUGIN_ABI_MAJOR + 1);
	char *ours =
	    tu_strdupf("%u.%u", RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR);
	char *prefix = tu_strdupf("%s:%u: ", env.config, FIRST_LINE);

	tu_add_plugin(&env, "wrongabi");
	open_stack("required wrongabi", DECLARER);
	ck_assert_msg(tu_diag_find(env.ctx, prefix, "wrongabi", so, theirs,
	                           ours, (const char *)NULL) >= 0,
	              "no ABI diagnostic naming %s, %s and %s:%s", so, theirs,
	              ours, tu_diag_dump(env.ctx));
	ck_assert_int_eq(assert_entry_failed(), RG_EABI);
	assert_denied("wrong ABI");
	free(prefix);
	free(ours);
	free(theirs);
	free(so);
}
END_TEST

/*
 * A plugin of the same major but a newer minor may call helpers this
 * library lacks or count on a member it never calls: refused like another
 * major, naming both versions.  It would allow everything if used.
 */
START_TEST(test_newer_minor_refused)
{
	char *so = tu_join(env.plugin_dir, "newminor.so");
	char *theirs = tu_strdupf("%u.%u", RG_PLUGIN_ABI_MAJOR,
	                          RG_PLUGIN_ABI_MINOR + NEWMINOR_AHEAD);
	char *ours =
	    tu_strdupf("%u.%u", RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR);
	char *prefix = tu_strdupf("%s:%u: ", env.config, FIRST_LINE);
	rg_decision d;

	tu_add_plugin(&env, "newminor");
	open_stack("required newminor", DECLARER);
	ck_assert_msg(tu_diag_find(env.ctx, prefix, "newminor", so, theirs,
	                           ours, "newer", (const char *)NULL) >= 0,
	              "no ABI diagnostic naming %s, %s and %s:%s", so, theirs,
	              ours, tu_diag_dump(env.ctx));
	ck_assert_int_eq(assert_entry_failed(), RG_EABI);
	tu_check(env.ctx, SERVICE, SUBJECT, "newminor.test", 0, &d);
	ck_assert_msg(d.result == RG_DENY, "newminor: allowed (%s)", d.reason);
	assert_denied("newer minor ABI");
	free(prefix);
	free(ours);
	free(theirs);
	free(so);
}
END_TEST

START_TEST(test_no_entry_symbol)
{
	char *so = tu_join(env.plugin_dir, "nosym.so");

	tu_add_plugin(&env, "nosym");
	open_stack("required nosym", DECLARER);
	assert_diag(RG_PLUGIN_SYMBOL, so);
	assert_entry_failed();
	assert_denied("no entry symbol");
	free(so);
}
END_TEST

START_TEST(test_open_fails)
{
	rg_entry_info e;

	tu_add_plugin(&env, "failopen");
	open_stack("required failopen", DECLARER);
	assert_diag("failopen", NULL);
	/* What the plugin reported is kept, on its stack line. */
	assert_diag("failopen", "refusing to open (test)");
	assert_entry_failed();
	assert_denied("failed open");
	/* One problem, counted once: the entry's error quotes it, and it is
	 * the stack's service's. */
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 1, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	ck_assert_str_eq(rg_diagnostic_service(env.ctx, 0), SERVICE);
	entry_at(0, &e);
	ck_assert_ptr_nonnull(strstr(e.error, "failed to open"));
	ck_assert_ptr_nonnull(strstr(e.error, "refusing to open (test)"));
}
END_TEST

/* A problem of the whole file has no service; one in a section has its. */
START_TEST(test_diagnostic_service)
{
	size_t i, n;
	int global = 0, mine = 0;

	tu_open(&env,
	        "[rolegate]\nno_such_key = 1\n"
	        "[service %s]\nstack = required nosuch\n"
	        "[service t]\nstack = mandatory fixed result=allow\n",
	        SERVICE);
	n = rg_diagnostic_count(env.ctx);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++) {
		const char *d = rg_diagnostic(env.ctx, i);
		const char *svc = rg_diagnostic_service(env.ctx, i);

		if (strstr(d, "no_such_key")) {
			ck_assert_ptr_null(svc);
			global = 1;
		} else if (strstr(d, "nosuch")) {
			ck_assert_str_eq(svc, SERVICE);
			mine = 1;
		} else {
			ck_assert_msg(svc && strcmp(svc, "t") == 0, "%s: %s", d,
			              svc ? svc : "(none)");
		}
	}
	ck_assert(global && mine);
	ck_assert_ptr_null(rg_diagnostic_service(env.ctx, n));
	ck_assert_ptr_null(rg_diagnostic_service(NULL, 0));
	ck_assert_ptr_null(rg_warning_service(env.ctx, 0));
}
END_TEST

/* A file that is not an object at all. */
START_TEST(test_not_an_object)
{
	char *p = tu_write(env.plugin_dir, "junk.so", TU_SAFE_MODE,
	                   "not an ELF file\n");

	open_stack("required junk", DECLARER);
	assert_diag("junk", NULL);
	assert_entry_failed();
	assert_denied("junk object");
	free(p);
}
END_TEST

/* ---- A failed entry in its stack ---------------------------------------- */

/* Entries that fail to load or open, though their lines are well formed. */
static const char *const failing[] = {
    "nosuch", "wrongabi", "newminor", "nosym", "failopen",
};
#define NFAILING RG_COUNTOF(failing)

static const char *const fail_controls[] = {
    "required",
    "requisite",
    "sufficient",
    "optional",
};
#define NFAIL_CONTROLS RG_COUNTOF(fail_controls)

/*
 * CONTROL BAD, then required fixed result=allow: a required or requisite
 * failure denies (requisite stops there); a sufficient or optional one is
 * ignored and the later allow decides.
 */
START_TEST(test_failed_entry_in_stack)
{
	const char *plugin = failing[(size_t)_i / NFAIL_CONTROLS];
	size_t c = (size_t)_i % NFAIL_CONTROLS;
	char *line = tu_strdupf("%s %s", fail_controls[c], plugin);
	int fatal = c < 2;
	rg_decision d;

	tu_add_plugins(&env, "wrongabi", "newminor", "nosym", "failopen",
	               (char *)NULL);
	open_stack(line, "required fixed result=allow");
	decide(&d);
	ck_assert_msg(d.result == (fatal ? RG_DENY : RG_ALLOW), "%s: %s (%s)",
	              line, rg_result_name(d.result), d.reason);
	ck_assert_uint_ge(d.ntrace, 1);
	ck_assert_int_eq(d.trace[0].result, RG_ERROR);
	ck_assert_int_ne(d.trace[0].status, RG_OK);
	ck_assert_uint_eq(d.trace[0].line, FIRST_LINE);
	ck_assert_uint_eq(d.ntrace, c == 1 ? 1 : 2);
	if (fatal)
		ck_assert_int_ne(d.status, RG_OK);
	free(line);
}
END_TEST

/* A failed sufficient or optional entry alone never allows. */
START_TEST(test_failed_entry_never_allows)
{
	const char *plugin = failing[(size_t)_i / NFAIL_CONTROLS];
	size_t c = (size_t)_i % NFAIL_CONTROLS;
	char *line = tu_strdupf("%s %s", fail_controls[c], plugin);

	tu_add_plugins(&env, "wrongabi", "newminor", "nosym", "failopen",
	               (char *)NULL);
	open_stack(line, DECLARER);
	assert_denied(line);
	free(line);
}
END_TEST

/*
 * An invalid plugin name makes the line itself bad: like any bad line it
 * always fails, whatever its control says (PAM's "must fail" entry), so
 * even a sufficient or optional one denies the whole service.
 */
START_TEST(test_bad_name_fails_any_control)
{
	char *line = tu_strdupf("%s ../fixed result=allow", fail_controls[_i]);
	rg_decision d;

	plant_reachable_files();
	open_stack(line, "required fixed result=allow");
	decide(&d);
	ck_assert_msg(d.result == RG_DENY, "%s: allowed (%s)", line, d.reason);
	ck_assert_int_ne(d.status, RG_OK);
	free(line);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_loads_from_plugin_dir);
	tcase_add_test(tc, test_core_abi_version);
	tcase_add_test(tc, test_entries_have_own_state);
	tcase_add_test(tc, test_build_tree_la);
	tcase_add_test(tc, test_name_differs_from_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_name, 0, (int)NBAD_NAMES);
	tcase_add_test(tc, test_missing_plugin);
	suite_add_tcase(s, tc);

	tc = tcase_create("unsafe");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_unsafe_file, 0, (int)NUNSAFE);
	tcase_add_loop_test(tc, test_unsafe_parent, 0, (int)NPARENT);
	tcase_add_test(tc, test_unsafe_parent_through_link);
	suite_add_tcase(s, tc);

	tc = tcase_create("objects");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_wrong_abi);
	tcase_add_test(tc, test_newer_minor_refused);
	tcase_add_test(tc, test_no_entry_symbol);
	tcase_add_test(tc, test_open_fails);
	tcase_add_test(tc, test_not_an_object);
	tcase_add_test(tc, test_diagnostic_service);
	suite_add_tcase(s, tc);

	tc = tcase_create("controls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_failed_entry_in_stack, 0,
	                    (int)(NFAILING * NFAIL_CONTROLS));
	tcase_add_loop_test(tc, test_failed_entry_never_allows, 0,
	                    (int)(NFAILING * NFAIL_CONTROLS));
	tcase_add_loop_test(tc, test_bad_name_fails_any_control, 0,
	                    (int)NFAIL_CONTROLS);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(loader_suite)
