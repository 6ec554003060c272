/*
 * check_config.c - the configuration file: keys, services, stack lines, and
 * every kind of bad line.
 *
 * A bad line never stops the context from opening: it becomes a diagnostic
 * "FILE:LINE: message" with the right line number, the service it broke
 * denies everything, and every other service keeps working.  Only a file
 * that cannot be read at all fails rg_open().
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rolegate/plugin.h>

#include "testutil.h"

/* What the `fixed` test plugin declares: see tests/fakes/fixed.c. */
#define ACTION  "fixed.test"
#define SUBJECT "@tester"
/* A stack line that allows. */
#define ALLOW_LINE "stack = required fixed result=allow\n"
/* Far beyond any sane line length. */
#define LONG_LINE_LEN 100000

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

/* Asserts that service allows (1) or denies (0) the fixed test request. */
static void assert_service(const char *service, int allowed)
{
	rg_decision d;

	tu_check(env.ctx, service, SUBJECT, ACTION, RG_CHECK_TRACE, &d);
	ck_assert_msg((d.result == RG_ALLOW) == allowed,
	              "service '%s': %s (%s), expected %s;%s", service,
	              rg_result_name(d.result), d.reason,
	              allowed ? "allow" : "deny", tu_diag_dump(env.ctx));
}

/*
 * Asserts a diagnostic "CONFIG:LINE: ..." containing needle (when not NULL)
 * exists, and that it was logged too.
 */
static void assert_diag(const char *config, unsigned line, const char *needle)
{
	char *prefix = tu_strdupf("%s:%u: ", config, line);
	long i = tu_diag_find(env.ctx, prefix, needle, (const char *)NULL);
	const char *d;

	ck_assert_msg(i >= 0, "no diagnostic '%s...%s'; got:%s", prefix,
	              needle ? needle : "", tu_diag_dump(env.ctx));
	d = rg_diagnostic(env.ctx, (size_t)i);
	ck_assert_msg(strncmp(d, prefix, strlen(prefix)) == 0,
	              "diagnostic does not start with '%s': %s", prefix, d);
	ck_assert_msg(tu_log_has(&env.log, d), "diagnostic not logged: %s", d);
	free(prefix);
}

/* ---- Bad lines ---------------------------------------------------------- */

struct bad_case {
	const char *name;
	const char *text;
	unsigned line;      /* line of the diagnostic */
	const char *needle; /* the diagnostic must contain it, or NULL */
	const char *broken; /* service that must deny everything, or NULL */
};

#define GOOD           "[service good]\n" ALLOW_LINE
#define BAD_WITH(line) GOOD "[service bad]\n" line "\n"

static const struct bad_case bad_cases[] = {
    {"unknown section", GOOD "[bogus]\n", 3, "bogus", NULL},
    {"unknown section with keys", GOOD "[bogus section]\nkey = v\n", 3, "bogus",
     NULL},
    {"unknown key in [rolegate]", "[rolegate]\ncolour = blue\n" GOOD, 2,
     "colour", NULL},
    {"unknown key in a service", BAD_WITH(ALLOW_LINE "colour = blue"), 5,
     "colour", "bad"},
    {"key outside any section", "plugin_dir = /x\n" GOOD, 1, NULL, NULL},
    {"stack outside any section", ALLOW_LINE GOOD, 1, NULL, NULL},
    {"duplicate service",
     GOOD "[service bad]\n" ALLOW_LINE "[service bad]\n" ALLOW_LINE, 5, "bad",
     "bad"},
    {"bad service name", GOOD "[service bad/name]\n" ALLOW_LINE, 3, "bad/name",
     "bad/name"},
    {"service name with a blank", GOOD "[service bad name]\n" ALLOW_LINE, 3,
     NULL, "bad"},
    {"service without a name", GOOD "[service]\n" ALLOW_LINE, 3, NULL, NULL},
    {"bad control word", BAD_WITH("stack = mandatory fixed result=allow"), 4,
     "mandatory", "bad"},
    {"unclosed table", BAD_WITH("stack = [allow=ok fixed result=allow"), 4,
     NULL, "bad"},
    {"unknown action in table",
     BAD_WITH("stack = [allow=foo] fixed result=allow"), 4, "foo", "bad"},
    {"unknown result in table",
     BAD_WITH("stack = [bogus=ok] fixed result=allow"), 4, "bogus", "bad"},
    {"empty table", BAD_WITH("stack = [] fixed result=allow"), 4, NULL, "bad"},
    {"jump of zero", BAD_WITH("stack = [allow=0] fixed result=allow"), 4, NULL,
     "bad"},
    {"negative jump", BAD_WITH("stack = [allow=-1] fixed result=allow"), 4,
     NULL, "bad"},
    {"missing plugin name", BAD_WITH("stack = required"), 4, NULL, "bad"},
    {"empty stack line", BAD_WITH("stack ="), 4, NULL, "bad"},
    {"bad plugin argument value",
     BAD_WITH("stack = required fixed result=maybe"), 4, "result", "bad"},
    {"unknown plugin argument",
     BAD_WITH("stack = required fixed result=allow colour=blue"), 4, "colour",
     "bad"},
    {"missing plugin argument", BAD_WITH("stack = required fixed"), 4, "result",
     "bad"},
    {"bad line after a good one breaks the service",
     BAD_WITH(ALLOW_LINE "stack = mandatory fixed result=allow"), 5,
     "mandatory", "bad"},
    {"bad log level", "[rolegate]\nlog_level = loud\n" GOOD, 2, "loud", NULL},
};
#define NBAD RG_COUNTOF(bad_cases)

START_TEST(test_bad_line)
{
	const struct bad_case *c = &bad_cases[_i];
	int rc;

	rc = tu_open_text(&env, env.plugin_dir, c->text);
	ck_assert_msg(rc == RG_OK && env.ctx, "%s: rg_open %s (%s)", c->name,
	              rg_status_name(rc), env.errbuf);
	assert_diag(env.config, c->line, c->needle);
	assert_service("good", 1);
	if (c->broken)
		assert_service(c->broken, 0);
}
END_TEST

/*
 * A line longer than the parser takes is a diagnostic on its own line; it
 * must neither be cut and half-used nor shift the numbering of later lines.
 * The long line would allow if its start were used.
 */
START_TEST(test_line_too_long)
{
	char *pad = malloc(LONG_LINE_LEN + 1);
	char *text;
	int rc;

	ck_assert_ptr_nonnull(pad);
	memset(pad, 'x', LONG_LINE_LEN);
	pad[LONG_LINE_LEN] = '\0';
	text = tu_strdupf(GOOD "[service bad]\n"
	                       "stack = required fixed result=allow ;%s\n"
	                       "[rolegate]\n"
	                       "colour = blue\n",
	                  pad);
	rc = tu_open_text(&env, env.plugin_dir, text);
	ck_assert_msg(rc == RG_OK && env.ctx, "rg_open %s (%s)",
	              rg_status_name(rc), env.errbuf);
	assert_diag(env.config, 4, NULL);
	assert_diag(env.config, 6, "colour");
	assert_service("good", 1);
	assert_service("bad", 0);
	free(text);
	free(pad);
}
END_TEST

/* ---- Good configurations ----------------------------------------------- */

/* Asserts two paths name the same existing file or directory. */
static void assert_same_path(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	ck_assert_msg(realpath(a, ra), "realpath %s: %s", a, strerror(errno));
	ck_assert_msg(realpath(b, rb), "realpath %s: %s", b, strerror(errno));
	ck_assert_str_eq(ra, rb);
}

START_TEST(test_valid_config)
{
	const rg_service *svc;
	rg_entry_info e;
	char *so;

	tu_open(&env, "# a comment\n"
	              "; another comment\n"
	              "[rolegate]\n"
	              "plugin_dir = plugins ; relative to this file\n"
	              "log_level = debug\n"
	              "\n"
	              "[service first]\n"
	              "description = The first service\n"
	              "stack = required fixed result=allow\n"
	              "stack = optional fixed result=abstain tag=second\n"
	              "[service a.b-c_1]\n"
	              "stack=sufficient   fixed\tresult=allow\n"
	              "stack = [allow=ok abstain=ignore default=bad] fixed "
	              "result=allow\n");
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	ck_assert_str_eq(rg_config_path(env.ctx), env.config);
	assert_same_path(rg_plugin_dir(env.ctx), env.plugin_dir);

	ck_assert_uint_eq(rg_service_count(env.ctx), 2);
	ck_assert_str_eq(rg_service_name(rg_service_at(env.ctx, 0)), "first");
	ck_assert_str_eq(rg_service_name(rg_service_at(env.ctx, 1)), "a.b-c_1");
	ck_assert_ptr_null(rg_service_at(env.ctx, 2));
	ck_assert_ptr_eq(rg_service_find(env.ctx, "first"),
	                 rg_service_at(env.ctx, 0));
	ck_assert_ptr_null(rg_service_find(env.ctx, "nosuch"));
	ck_assert_ptr_null(rg_service_find(env.ctx, "First"));
	assert_service("first", 1);
	assert_service("a.b-c_1", 1);

	svc = rg_service_find(env.ctx, "first");
	ck_assert_uint_eq(rg_entry_count(svc), 2);
	ck_assert_int_eq(rg_entry_at(svc, 0, &e), RG_OK);
	ck_assert_str_eq(e.plugin, "fixed");
	ck_assert_str_eq(e.control, "required");
	ck_assert_str_eq(e.file, env.config);
	ck_assert_uint_eq(e.line, 9);
	ck_assert_int_eq(e.status, RG_OK);
	ck_assert_str_eq(e.error, "");
	ck_assert_uint_eq(e.abi_version, RG_PLUGIN_ABI_VERSION);
	ck_assert_str_eq(e.plugin_version, "test");
	ck_assert_str_eq(e.description, "Test plugin: answers a fixed result");
	so = tu_join(env.plugin_dir, "fixed.so");
	assert_same_path(e.path, so);
	free(so);
	ck_assert_int_eq(rg_entry_at(svc, 1, &e), RG_OK);
	ck_assert_str_eq(e.control, "optional");
	ck_assert_uint_eq(e.line, 10);
	ck_assert_int_ne(rg_entry_at(svc, 2, &e), RG_OK);

	svc = rg_service_find(env.ctx, "a.b-c_1");
	ck_assert_uint_eq(rg_entry_count(svc), 2);
	ck_assert_int_eq(rg_entry_at(svc, 1, &e), RG_OK);
	ck_assert_str_eq(e.control, "[allow=ok abstain=ignore default=bad]");
	ck_assert_uint_eq(e.line, 13);
}
END_TEST

START_TEST(test_crlf_line_ends)
{
	tu_open(&env, "[service crlf]\r\n"
	              "description = written on another system\r\n"
	              "stack = required fixed result=allow\r\n");
	ck_assert_msg(rg_diagnostic_count(env.ctx) == 0, "diagnostics:%s",
	              tu_diag_dump(env.ctx));
	assert_service("crlf", 1);
}
END_TEST

START_TEST(test_empty_config)
{
	rg_decision d;

	tu_open(&env, "%s", "");
	ck_assert_uint_eq(rg_diagnostic_count(env.ctx), 0);
	ck_assert_uint_eq(rg_service_count(env.ctx), 0);
	ck_assert_int_eq(tu_check(env.ctx, "any", SUBJECT, ACTION, 0, &d),
	                 RG_ENOSERVICE);
	ck_assert_int_eq(d.result, RG_DENY);
}
END_TEST

/* Writes DIR/etc/rolegate.conf with this plugin_dir line; returns its path. */
static char *write_etc_config(const char *plugin_dir_line)
{
	char *etc = tu_mkdir(env.dir, "etc", TU_SAFE_MODE);
	char *path = tu_write(etc, "rolegate.conf", 0644,
	                      "[rolegate]\n%s\n" GOOD, plugin_dir_line);

	free(etc);
	return path;
}

static int open_path(const char *path, const char *plugin_dir)
{
	rg_options opts;

	memset(&opts, 0, sizeof(opts));
	opts.config_path = path;
	/* Policies only: no directory, and no refresh thread (Check forks). */
	opts.flags = RG_OPEN_NO_DIRECTORY | RG_OPEN_NO_WATCH;
	opts.plugin_dir = plugin_dir;
	opts.log = tu_log_fn;
	opts.log_user = &env.log;
	return rg_open(&env.ctx, &opts, env.errbuf, sizeof(env.errbuf));
}

/* A relative plugin_dir is the config directory's, whatever the cwd. */
START_TEST(test_relative_plugin_dir)
{
	char *path = write_etc_config("plugin_dir = ../plugins");

	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(open_path(path, NULL), RG_OK);
	assert_same_path(rg_plugin_dir(env.ctx), env.plugin_dir);
	assert_service("good", 1);
	free(path);
}
END_TEST

/* ... and never the current directory's. */
START_TEST(test_relative_plugin_dir_ignores_cwd)
{
	char *path = write_etc_config("plugin_dir = plugins");

	/* env.dir/plugins holds fixed.so; env.dir/etc/plugins does not. */
	ck_assert_int_eq(chdir(env.dir), 0);
	ck_assert_int_eq(open_path(path, NULL), RG_OK);
	assert_service("good", 0);
	free(path);
}
END_TEST

START_TEST(test_option_overrides_plugin_dir)
{
	char *path = write_etc_config("plugin_dir = /nonexistent/rolegate");

	ck_assert_int_eq(open_path(path, env.plugin_dir), RG_OK);
	assert_same_path(rg_plugin_dir(env.ctx), env.plugin_dir);
	assert_service("good", 1);
	free(path);
}
END_TEST

/* ---- Files that cannot be used ----------------------------------------- */

START_TEST(test_missing_config)
{
	char *path = tu_join(env.dir, "nosuch.conf");
	int rc;

	rc = open_path(path, NULL);
	ck_assert_msg(rc == RG_ENOENT || rc == RG_EIO, "rg_open: %s",
	              rg_status_name(rc));
	ck_assert_ptr_null(env.ctx);
	ck_assert_msg(strstr(env.errbuf, path), "errbuf '%s' does not name %s",
	              env.errbuf, path);
	free(path);
}
END_TEST

/* A failed open sets *out to NULL, whatever it held. */
START_TEST(test_failed_open_clears_out)
{
	rg_options opts;
	rg_context *ctx = (rg_context *)&opts;
	char *path = tu_join(env.dir, "nosuch.conf");

	memset(&opts, 0, sizeof(opts));
	opts.config_path = path;
	/* Policies only: no directory, and no refresh thread (Check forks). */
	opts.flags = RG_OPEN_NO_DIRECTORY | RG_OPEN_NO_WATCH;
	opts.log = tu_log_fn;
	opts.log_user = &env.log;
	ck_assert_int_ne(rg_open(&ctx, &opts, NULL, 0), RG_OK);
	ck_assert_ptr_null(ctx);
	free(path);
}
END_TEST

START_TEST(test_directory_as_config)
{
	int rc = open_path(env.plugin_dir, NULL);

	ck_assert_int_ne(rc, RG_OK);
	ck_assert_ptr_null(env.ctx);
	ck_assert_msg(strstr(env.errbuf, env.plugin_dir),
	              "errbuf '%s' does not name the file", env.errbuf);
}
END_TEST

START_TEST(test_open_bad_arguments)
{
	rg_options opts;
	rg_context *ctx = NULL;
	char err[128];

	memset(&opts, 0, sizeof(opts));
	ck_assert_int_eq(rg_open(&ctx, NULL, err, sizeof(err)), RG_EINVAL);
	ck_assert_ptr_null(ctx);
	ck_assert_int_eq(rg_open(&ctx, &opts, err, sizeof(err)), RG_EINVAL);
	ck_assert_ptr_null(ctx);
	opts.config_path = env.config;
	/* Policies only: no directory, and no refresh thread (Check forks). */
	opts.flags = RG_OPEN_NO_DIRECTORY | RG_OPEN_NO_WATCH;
	ck_assert_int_eq(rg_open(NULL, &opts, err, sizeof(err)), RG_EINVAL);
	rg_close(NULL);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("bad_lines");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_line, 0, (int)NBAD);
	tcase_add_test(tc, test_line_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("good");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_valid_config);
	tcase_add_test(tc, test_crlf_line_ends);
	tcase_add_test(tc, test_empty_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("plugin_dir");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_relative_plugin_dir);
	tcase_add_test(tc, test_relative_plugin_dir_ignores_cwd);
	tcase_add_test(tc, test_option_overrides_plugin_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("unusable");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_missing_config);
	tcase_add_test(tc, test_directory_as_config);
	tcase_add_test(tc, test_failed_open_clears_out);
	tcase_add_test(tc, test_open_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(config_suite)
