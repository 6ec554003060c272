/*
 * testutil.h - helpers shared by the check_*.c unit tests.
 *
 * Every test works in a private temporary directory: it writes its own
 * configuration (and policy) files there and copies the plugin objects it
 * needs into a private plugin directory, so that a test can change
 * permissions or plant bad files without touching the build tree.  The
 * context is opened with a log collector, so tests can assert what was
 * logged as well as what was decided.
 *
 * The helpers abort the current test (ck_abort_msg) on any setup failure:
 * a test that cannot set itself up must fail, never pass vacuously.
 */
#ifndef ROLEGATE_TESTUTIL_H
#define ROLEGATE_TESTUTIL_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include <rolegate/rolegate.h>

#include "private/rg_prim.h"

/* Mode of every private directory and copied plugin: safe for the loader. */
#define TU_SAFE_MODE 0755

/* Everything a context logged, one line each; safe from many threads. */
struct tu_log {
	pthread_mutex_t lock;
	char **lines;
	size_t n, cap;
};

/* One test's private world. */
struct tu_env {
	char *dir;        /* private temporary directory, mode 0755 */
	char *plugin_dir; /* dir/plugins, mode 0755, empty until filled */
	char *config;     /* dir/rolegate.conf, written by tu_open() */
	rg_context *ctx;  /* NULL until opened; closed by tu_env_teardown() */
	struct tu_log log;
	char errbuf[1024]; /* rg_open()'s message */
};

/* ---- Strings and files ------------------------------------------------ */

/* printf into a new string; aborts the test on failure.  Caller frees. */
char *tu_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* dir/name, allocated. */
char *tu_join(const char *dir, const char *name);

/* Writes a file (formatted text) with the given mode; returns its path. */
char *tu_write(const char *dir, const char *name, mode_t mode, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

/* Copies src to dst with the given mode. */
void tu_copy(const char *src, const char *dst, mode_t mode);

/* Creates dir/name with mode (chmod'ed, so the umask does not matter). */
char *tu_mkdir(const char *dir, const char *name, mode_t mode);

/* Removes a directory tree (files, links, fifos, subdirectories). */
void tu_rmtree(const char *path);

/* The value of an environment variable the test harness must set. */
const char *tu_getenv(const char *name);

/* ---- Plugins ----------------------------------------------------------- */

/*
 * Path of a built plugin object NAME.so: looked up in
 * $ROLEGATE_TEST_TESTPLUGINS first (test-only plugins), then in
 * $ROLEGATE_TEST_PLUGINS (the real ones).  Allocated.
 */
char *tu_plugin_object(const char *name);

/* Copies NAME.so into env->plugin_dir with mode 0755. */
void tu_add_plugin(struct tu_env *env, const char *name);

/* Same for a NULL-terminated list of names. */
void tu_add_plugins(struct tu_env *env, ...) __attribute__((sentinel));

/* ---- Log collector ----------------------------------------------------- */

void tu_log_init(struct tu_log *log);
void tu_log_free(struct tu_log *log);
/* An rg_log_fn; user is a struct tu_log. */
void tu_log_fn(void *user, rg_log_level level, const char *msg);
/* 1 when some logged line contains needle. */
int tu_log_has(struct tu_log *log, const char *needle);

/* ---- Contexts ---------------------------------------------------------- */

/*
 * The shipped policies, relative to env->dir (a link made by tu_env_setup).
 * Config lines name them through it: a line holds at most 198 characters,
 * and an absolute path in the build tree can be longer than a line allows.
 */
#define TU_POLICIES "policies"

/* Creates the private directory, its empty plugin directory and the link
 * TU_POLICIES to the shipped policies. */
void tu_env_setup(struct tu_env *env);
/* Closes the context and removes the private directory. */
void tu_env_teardown(struct tu_env *env);

/*
 * Writes env->config from text and opens it with the collector, log level
 * debug and plugin_dir (NULL: the config's own).  Returns rg_open()'s
 * status; env->ctx is the context or NULL.
 */
int tu_open_text(struct tu_env *env, const char *plugin_dir, const char *text);

/*
 * Formats the config, opens it on env->plugin_dir and requires success.
 */
rg_context *tu_open(struct tu_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Closes env->ctx (if any) so that the test can open another. */
void tu_close(struct tu_env *env);

/*
 * Index of the first diagnostic that contains every string of the
 * NULL-terminated list, or -1.
 */
long tu_diag_find(const rg_context *ctx, ...) __attribute__((sentinel));

/* All diagnostics, one a line, for failure messages.  Static buffer. */
const char *tu_diag_dump(const rg_context *ctx);

/* ---- Requests ---------------------------------------------------------- */

/*
 * Fills req for service, subject and action.  A subject "@a,b" is an ad-hoc
 * subject holding roles a and b ("@" alone: empty role list); anything
 * else is a user id; NULL leaves both unset.
 */
void tu_request(rg_request *req, const char *service, const char *subject,
                const char *action);

/*
 * Runs rg_check() on a decision filled with poison first (result ALLOW,
 * reason without a terminator), so that a check that forgets to fill its
 * output is caught.  Asserts the invariants every decision keeps: result
 * is ALLOW or DENY, the reason is terminated, a trace only when asked.
 * Returns rg_check()'s status.
 */
int tu_check(const rg_context *ctx, const char *service, const char *subject,
             const char *action, unsigned flags, rg_decision *out);

/*
 * Asks req with RG_CHECK_NO_REASON (the decision table, a prepared
 * snapshot or a plugin's quiet order may answer) and holds the answer to
 * loud, req's answer with a reason, whose call returned rc: the same
 * returned status, result and decision status; no reason unless the
 * check failed (a refused request still says why); and a role or a
 * missing role, when the quiet answer names one, the loud one's.
 */
void tu_quiet_matches(const rg_context *ctx, const rg_request *req, int rc,
                      const rg_decision *loud);

/*
 * Asks req with a reason into *with, then tu_quiet_matches() it.
 */
void tu_quiet_agrees(const rg_context *ctx, const rg_request *req,
                     rg_decision *with);

/*
 * Asks each directory user PREFIX<i> (i < nusers, zero-padded to width
 * digits; 0: no padding) of service every privilege twice: with a reason,
 * which the stack decides, and with RG_CHECK_NO_REASON, which the decision
 * table answers.  The returned statuses, the results and the decisions'
 * statuses must agree.  Returns how many of the answers were ALLOW.
 */
size_t tu_table_agrees(const rg_context *ctx, const char *service,
                       const char *prefix, int width, size_t nusers);

/*
 * 1 when the directory tests run against PostgreSQL: ROLEGATE_TEST_PG names
 * a server of tests/pg/pgserver.sh (tests/pg/suites.sh sets it).
 */
int tu_pg(void);

/*
 * The location of a test's directory at the SQLite file path: path itself;
 * or, tu_pg(), the location of a fresh empty schema of that server (kept by
 * testutil), the same one each time the test asks for the same path.
 */
const char *tu_directory_location(const char *path);

/*
 * Runs sql in the directory at location (one of tu_directory_location()'s
 * schemas) with psql, behind the store's back; fails the test on an error.
 */
void tu_pg_sql(const char *location, const char *sql);

/* Says that test is skipped against PostgreSQL, and why (when tu_pg()). */
void tu_pg_skip(const char *test, const char *why);

/*
 * Adds test fn to tc, unless the directory is PostgreSQL's: for a test of
 * the SQLite file itself (its modes, its bytes, SQL behind the store's
 * back), which says why.  Needs <check.h>.
 */
#define TU_ADD_SQLITE_TEST(tc, fn, why)                                        \
	do {                                                                   \
		if (tu_pg())                                                   \
			tu_pg_skip(#fn, (why));                                \
		else                                                           \
			tcase_add_test((tc), fn);                              \
	} while (0)

/*
 * Opens env->ctx on config with a directory db (tu_directory_location()
 * of it) and plugin_dir, the log
 * collector at level (0: the config's), and no watcher thread (commits
 * refresh the snapshot themselves; Check forks).  Fails the test unless it
 * opens with its directory.
 */
void tu_open_directory(struct tu_env *env, const char *config,
                       const char *plugin_dir, const char *db, int level);

/* tu_open_directory() with more rg_open() flags (RG_OPEN_NO_WATCH is
 * always set) and, for RG_OPEN_ONE_SERVICE and RG_OPEN_ONE_USER, the
 * service and user. */
void tu_open_directory_for(struct tu_env *env, const char *config,
                           const char *plugin_dir, const char *db, int level,
                           unsigned flags, const char *service,
                           const char *user);

/* Sets env up and opens the shipped rolegate.conf with the build tree's
 * plugins, without a directory; fails the test when it does not open. */
void tu_open_shipped(struct tu_env *env);

/* The service NAME of ctx; fails the test, with the diagnostics, if none. */
const rg_service *tu_service(const rg_context *ctx, const char *name);

/* ---- Tables, row by row ------------------------------------------------ */

/*
 * A table tested row by row, TU_ROWS rows to a forked test.  Under the
 * sanitizers each forked test costs tens of milliseconds (the fork, and
 * LeakSanitizer's scan as the child exits), far more than a row, and a
 * product's grant matrix has about 2,000 rows: one test per row spent
 * most of make check's time in forks.  A row's failure stops its chunk,
 * so each row's messages name the row.
 *
 * START_ROW_TEST(name, nrows) opens the body of row _i (0 <= _i < nrows),
 * as START_TEST does; tu_add_row_test(tc, name) adds the tests that cover
 * every row.  nrows is evaluated when the tests run.  Needs <check.h>.
 */
#define TU_ROWS 64

/* Runs row(first..) for chunk's TU_ROWS rows below nrows. */
void tu_rows(void (*row)(int), int chunk, int nrows);

/* How many chunks of TU_ROWS cover nrows rows. */
int tu_row_chunks(int nrows);

#define START_ROW_TEST(name, nrows)                                            \
	static int name##_nrows(void)                                          \
	{                                                                      \
		return (int)(nrows);                                           \
	}                                                                      \
	static void name##_row(int _i);                                        \
	START_TEST(name)                                                       \
	{                                                                      \
		tu_rows(name##_row, _i, name##_nrows());                       \
	}                                                                      \
	END_TEST                                                               \
	static void name##_row(int _i)

#define tu_add_row_test(tc, name)                                              \
	tcase_add_loop_test((tc), name, 0, tu_row_chunks(name##_nrows()))

/* ---- main() ------------------------------------------------------------ */

/*
 * The main() of a suite: runs the Suite *suite_fn(void) returns, in the
 * given print mode (CK_NORMAL, or CK_ENV to let CK_VERBOSITY choose), and
 * exits non-zero when any test failed.  Needs <check.h> and <stdlib.h>.
 */
#define RG_CHECK_MAIN_MODE(suite_fn, mode)                                     \
	int main(void)                                                         \
	{                                                                      \
		SRunner *sr = srunner_create(suite_fn());                      \
		int failed;                                                    \
                                                                               \
		srunner_run_all(sr, (mode));                                   \
		failed = srunner_ntests_failed(sr);                            \
		srunner_free(sr);                                              \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                   \
	}

#define RG_CHECK_MAIN(suite_fn) RG_CHECK_MAIN_MODE(suite_fn, CK_NORMAL)

/*
 * A Dynamics 365 policy granting user.view and user.edit at every depth
 * (user, business-unit, parent-child, organization), with a prerequisite
 * and an include: no shipped role grants at parent-child depth.
 */
extern const char tu_d365_depth_policy[];

#endif /* ROLEGATE_TESTUTIL_H */
