/*
 * testutil.c - helpers shared by the check_*.c unit tests; see testutil.h.
 */
/* nftw's FTW_DEPTH and FTW_PHYS, vasprintf, program_invocation_short_name */
#define _GNU_SOURCE
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* File descriptors nftw may keep open while walking a private tree. */
#define TU_NFTW_FDS 16
/* Copy buffer size. */
#define TU_COPY_CHUNK 65536

static char *tu_vstrdupf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static char *tu_vstrdupf(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		ck_abort_msg("out of memory");
	return s;
}

char *tu_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = tu_vstrdupf(fmt, ap);
	va_end(ap);
	return s;
}

char *tu_join(const char *dir, const char *name)
{
	return tu_strdupf("%s/%s", dir, name);
}

const char *tu_getenv(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v && *v, "%s is not set: run the tests with make check",
	              name);
	return v;
}

/* Writes all of buf to fd or aborts the test. */
static void tu_write_all(int fd, const char *buf, size_t len, const char *path)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n > 0, "write %s: %s", path, strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

char *tu_write(const char *dir, const char *name, mode_t mode, const char *fmt,
               ...)
{
	char *path = tu_join(dir, name);
	va_list ap;
	char *text;
	int fd;

	va_start(ap, fmt);
	text = tu_vstrdupf(fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	tu_write_all(fd, text, strlen(text), path);
	ck_assert_int_eq(close(fd), 0);
	/* The umask must not decide what the loader sees. */
	ck_assert_int_eq(chmod(path, mode), 0);
	free(text);
	return path;
}

void tu_copy(const char *src, const char *dst, mode_t mode)
{
	char *buf = malloc(TU_COPY_CHUNK);
	int in, out;
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	in = open(src, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(in >= 0, "open %s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_msg(out >= 0, "create %s: %s", dst, strerror(errno));
	while ((n = read(in, buf, TU_COPY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n > 0, "read %s: %s", src, strerror(errno));
		tu_write_all(out, buf, (size_t)n, dst);
	}
	close(in);
	ck_assert_int_eq(close(out), 0);
	ck_assert_int_eq(chmod(dst, mode), 0);
	free(buf);
}

char *tu_mkdir(const char *dir, const char *name, mode_t mode)
{
	char *path = tu_join(dir, name);

	ck_assert_msg(mkdir(path, mode) == 0, "mkdir %s: %s", path,
	              strerror(errno));
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static int tu_rm_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
	/* Best effort: a leftover temporary file must not fail a test. */
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void tu_rmtree(const char *path)
{
	if (path)
		nftw(path, tu_rm_one, TU_NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

/* ---- Plugins ----------------------------------------------------------- */

char *tu_plugin_object(const char *name)
{
	static const char *const dirs[] = {
	    "ROLEGATE_TEST_TESTPLUGINS",
	    "ROLEGATE_TEST_PLUGINS",
	};
	size_t i;

	for (i = 0; i < RG_COUNTOF(dirs); i++) {
		char *path = tu_strdupf("%s/%s.so", tu_getenv(dirs[i]), name);

		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	ck_abort_msg("plugin %s.so was not built", name);
	return NULL;
}

void tu_add_plugin(struct tu_env *env, const char *name)
{
	char *src = tu_plugin_object(name);
	char *file = tu_strdupf("%s.so", name);
	char *dst = tu_join(env->plugin_dir, file);

	tu_copy(src, dst, TU_SAFE_MODE);
	free(dst);
	free(file);
	free(src);
}

void tu_add_plugins(struct tu_env *env, ...)
{
	const char *name;
	va_list ap;

	va_start(ap, env);
	while ((name = va_arg(ap, const char *)) != NULL)
		tu_add_plugin(env, name);
	va_end(ap);
}

/* ---- Log collector ----------------------------------------------------- */

void tu_log_init(struct tu_log *log)
{
	memset(log, 0, sizeof(*log));
	pthread_mutex_init(&log->lock, NULL);
}

void tu_log_free(struct tu_log *log)
{
	size_t i;

	for (i = 0; i < log->n; i++)
		free(log->lines[i]);
	free(log->lines);
	pthread_mutex_destroy(&log->lock);
	memset(log, 0, sizeof(*log));
}

void tu_log_fn(void *user, rg_log_level level, const char *msg)
{
	struct tu_log *log = user;
	char *line;

	/* No ck_assert here: this may run on any thread. */
	if (!msg ||
	    asprintf(&line, "%s: %s", rg_log_level_name(level), msg) < 0)
		return;
	pthread_mutex_lock(&log->lock);
	if (log->n == log->cap) {
		size_t cap = log->cap ? 2 * log->cap : 16;
		char **p = realloc(log->lines, cap * sizeof(*p));

		if (!p) {
			pthread_mutex_unlock(&log->lock);
			free(line);
			return;
		}
		log->lines = p;
		log->cap = cap;
	}
	log->lines[log->n++] = line;
	pthread_mutex_unlock(&log->lock);
}

int tu_log_has(struct tu_log *log, const char *needle)
{
	int found = 0;
	size_t i;

	pthread_mutex_lock(&log->lock);
	for (i = 0; i < log->n && !found; i++)
		found = strstr(log->lines[i], needle) != NULL;
	pthread_mutex_unlock(&log->lock);
	return found;
}

/* ---- Contexts ---------------------------------------------------------- */

/*
 * Check runs each test in a child process that ends at once when an
 * assertion fails, without running the teardown.  So every private
 * directory is named after the test program's main process, and that
 * process removes whatever is left of them when it exits.
 */
static pid_t tu_main_pid;

static const char *tu_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

static void tu_sweep(void)
{
	char *prefix;
	struct dirent *de;
	DIR *d;

	if (getpid() != tu_main_pid)
		return;
	d = opendir(tu_tmpdir());
	if (!d)
		return;
	prefix = tu_strdupf("rolegate-test.%ld.", (long)tu_main_pid);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			char *path = tu_join(tu_tmpdir(), de->d_name);

			tu_rmtree(path);
			free(path);
		}
	}
	free(prefix);
	closedir(d);
}

__attribute__((constructor)) static void tu_init(void)
{
	tu_main_pid = getpid();
	atexit(tu_sweep);
}

void tu_env_setup(struct tu_env *env)
{
	char *templ, *link;

	/* Fail before creating anything when run outside make check. */
	tu_getenv("ROLEGATE_TEST_PLUGINS");
	tu_getenv("ROLEGATE_TEST_TESTPLUGINS");
	tu_getenv("ROLEGATE_POLICIES");
	memset(env, 0, sizeof(*env));
	tu_log_init(&env->log);
	templ = tu_strdupf("%s/rolegate-test.%ld.XXXXXX", tu_tmpdir(),
	                   (long)tu_main_pid);
	ck_assert_msg(mkdtemp(templ), "mkdtemp %s: %s", templ, strerror(errno));
	env->dir = templ;
	ck_assert_int_eq(chmod(templ, TU_SAFE_MODE), 0);
	env->plugin_dir = tu_mkdir(env->dir, "plugins", TU_SAFE_MODE);
	env->config = tu_join(env->dir, "rolegate.conf");
	link = tu_join(env->dir, TU_POLICIES);
	ck_assert_msg(symlink(tu_getenv("ROLEGATE_POLICIES"), link) == 0,
	              "symlink %s: %s", link, strerror(errno));
	free(link);
}

void tu_close(struct tu_env *env)
{
	rg_close(env->ctx);
	env->ctx = NULL;
}

void tu_env_teardown(struct tu_env *env)
{
	tu_close(env);
	tu_rmtree(env->dir);
	free(env->dir);
	free(env->plugin_dir);
	free(env->config);
	tu_log_free(&env->log);
	memset(env, 0, sizeof(*env));
}

int tu_open_text(struct tu_env *env, const char *plugin_dir, const char *text)
{
	rg_options opts;
	char *path;

	tu_close(env);
	path = tu_write(env->dir, "rolegate.conf", 0644, "%s", text);
	free(path);
	memset(&opts, 0, sizeof(opts));
	opts.config_path = env->config;
	/* No refresh thread: Check forks, and tests refresh explicitly. */
	opts.flags = RG_OPEN_NO_WATCH;
	opts.plugin_dir = plugin_dir;
	opts.log = tu_log_fn;
	opts.log_user = &env->log;
	opts.log_level = RG_LOG_DEBUG;
	env->errbuf[0] = '\0';
	return rg_open(&env->ctx, &opts, env->errbuf, sizeof(env->errbuf));
}

rg_context *tu_open(struct tu_env *env, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int rc;

	va_start(ap, fmt);
	text = tu_vstrdupf(fmt, ap);
	va_end(ap);
	rc = tu_open_text(env, env->plugin_dir, text);
	ck_assert_msg(rc == RG_OK && env->ctx, "rg_open: %s (%s)",
	              rg_status_name(rc), env->errbuf);
	free(text);
	return env->ctx;
}

long tu_diag_find(const rg_context *ctx, ...)
{
	size_t i, n = rg_diagnostic_count(ctx);

	for (i = 0; i < n; i++) {
		const char *d = rg_diagnostic(ctx, i);
		const char *needle;
		int all = d != NULL;
		va_list ap;

		va_start(ap, ctx);
		while (all && (needle = va_arg(ap, const char *)) != NULL)
			all = strstr(d, needle) != NULL;
		va_end(ap);
		if (all)
			return (long)i;
	}
	return -1;
}

const char *tu_diag_dump(const rg_context *ctx)
{
	/* Failure messages only; a test process is single-threaded here. */
	static char buf[8192];
	size_t i, len = 0, n = rg_diagnostic_count(ctx);

	buf[0] = '\0';
	for (i = 0; i < n && len < sizeof(buf); i++) {
		int w = snprintf(buf + len, sizeof(buf) - len, "\n  [%zu] %s",
		                 i, rg_diagnostic(ctx, i));

		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, sizeof(buf), " (no diagnostics)");
	return buf;
}

/* ---- Requests ---------------------------------------------------------- */

void tu_request(rg_request *req, const char *service, const char *subject,
                const char *action)
{
	memset(req, 0, sizeof(*req));
	req->service = service;
	req->action = action;
	if (subject && subject[0] == '@')
		req->subject.roles = subject + 1;
	else
		req->subject.user = subject;
}

int tu_check(const rg_context *ctx, const char *service, const char *subject,
             const char *action, unsigned flags, rg_decision *out)
{
	rg_request req;
	int rc;

	tu_request(&req, service, subject, action);
	memset(out, 0, sizeof(*out));
	out->result = RG_ALLOW;
	memset(out->reason, 'x', sizeof(out->reason));
	out->ntrace = RG_TRACE_MAX + 1;
	rc = rg_check(ctx, &req, flags, out);
	ck_assert_msg(out->result == RG_ALLOW || out->result == RG_DENY,
	              "decision result %d is neither allow nor deny",
	              (int)out->result);
	ck_assert_msg(memchr(out->reason, '\0', sizeof(out->reason)),
	              "decision reason is not terminated");
	ck_assert_msg(out->ntrace <= RG_TRACE_MAX, "ntrace %zu > %d",
	              out->ntrace, RG_TRACE_MAX);
	if (!(flags & RG_CHECK_TRACE))
		ck_assert_msg(out->ntrace == 0, "trace filled without flag");
	/* rg_allowed() must agree with rg_check(). */
	ck_assert_int_eq(rg_allowed(ctx, &req), out->result == RG_ALLOW);
	return rc;
}

/* ---- PostgreSQL ---------------------------------------------------------- */

/*
 * The schemas made for this process, by the SQLite path they stand for:
 * a test that opens the same path twice gets the same directory.  Check
 * forks each test, so each test has its own list (and its own schemas).
 */
#define TU_PG_DIRS 16
/* A schema's name: PostgreSQL's limit, and the part of a program's name. */
#define TU_PG_NAME_MAX 63
#define TU_PG_PROG_MAX 20
/* The name libtool gives the program it wraps: lt-check_directory. */
#define TU_LT_PREFIX "lt-"
static struct {
	char *path, *location;
} tu_pg_dirs[TU_PG_DIRS];
static size_t tu_pg_ndirs;

int tu_pg(void)
{
	const char *v = getenv("ROLEGATE_TEST_PG");

	return v && *v;
}

void tu_pg_skip(const char *test, const char *why)
{
	if (!tu_pg())
		return;
	printf("# SKIP %s against PostgreSQL: %s\n", test, why);
	/* Before Check forks: a child must not print it again. */
	fflush(stdout);
}

/* A fresh schema NAME on the server: its location, allocated. */
static char *tu_pg_schema(const char *name)
{
	/* The shell expands the variables; only NAME is ours, [a-z0-9_]. */
	char *cmd = tu_strdupf("sh \"$top_srcdir/tests/pg/pgserver.sh\" schema "
	                       "\"$ROLEGATE_TEST_PG\" %s",
	                       name);
	char line[1024] = "";
	size_t n = 0;
	FILE *p;
	int status;

	tu_getenv("top_srcdir");
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "%s: %s", cmd, strerror(errno));
	if (fgets(line, sizeof(line), p))
		n = strlen(line);
	status = pclose(p);
	ck_assert_msg(status == 0 && n > 1 && line[n - 1] == '\n',
	              "%s: status %d, '%s'", cmd, status, line);
	line[n - 1] = '\0';
	free(cmd);
	return tu_strdupf("%s", line);
}

void tu_pg_sql(const char *location, const char *sql)
{
	/* Through the environment: neither string is quoted for a shell. */
	static const char cmd[] =
	    ". \"$ROLEGATE_TEST_PG/env\" && \"$PG_BINDIR/psql\" -X -q "
	    "-v ON_ERROR_STOP=1 -d \"$TU_PG_LOCATION\" -c \"$TU_PG_SQL\" >&2";
	int status;

	ck_assert_msg(tu_pg(), "tu_pg_sql without ROLEGATE_TEST_PG");
	ck_assert_int_eq(setenv("TU_PG_LOCATION", location, 1), 0);
	ck_assert_int_eq(setenv("TU_PG_SQL", sql, 1), 0);
	status = system(cmd);
	ck_assert_msg(status == 0, "psql %s: %s: status %d", location, sql,
	              status);
	unsetenv("TU_PG_LOCATION");
	unsetenv("TU_PG_SQL");
}

const char *tu_directory_location(const char *path)
{
	char prog[TU_PG_PROG_MAX + 1], *name;
	size_t i;

	if (!tu_pg())
		return path;
	for (i = 0; i < tu_pg_ndirs; i++)
		if (strcmp(tu_pg_dirs[i].path, path) == 0)
			return tu_pg_dirs[i].location;
	ck_assert_msg(tu_pg_ndirs < TU_PG_DIRS, "more than %d directories",
	              TU_PG_DIRS);
	snprintf(prog, sizeof(prog), "%s", program_invocation_short_name);
	if (strncmp(prog, TU_LT_PREFIX, strlen(TU_LT_PREFIX)) == 0)
		memmove(prog, prog + strlen(TU_LT_PREFIX),
		        strlen(prog) - strlen(TU_LT_PREFIX) + 1);
	for (i = 0; prog[i]; i++)
		if (!((prog[i] >= 'a' && prog[i] <= 'z') ||
		      (prog[i] >= '0' && prog[i] <= '9')))
			prog[i] = '_';
	name = tu_strdupf("t_%s_%ld_%ld_%zu", prog, (long)tu_main_pid,
	                  (long)getpid(), tu_pg_ndirs);
	ck_assert_msg(strlen(name) <= TU_PG_NAME_MAX, "%s: too long", name);
	tu_pg_dirs[tu_pg_ndirs].path = tu_strdupf("%s", path);
	tu_pg_dirs[tu_pg_ndirs].location = tu_pg_schema(name);
	free(name);
	return tu_pg_dirs[tu_pg_ndirs++].location;
}

void tu_open_directory(struct tu_env *env, const char *config,
                       const char *plugin_dir, const char *db, int level)
{
	tu_open_directory_for(env, config, plugin_dir, db, level, 0, NULL,
	                      NULL);
}

void tu_open_directory_for(struct tu_env *env, const char *config,
                           const char *plugin_dir, const char *db, int level,
                           unsigned flags, const char *service,
                           const char *user)
{
	rg_options opts;
	int rc;

	db = tu_directory_location(db);
	memset(&opts, 0, sizeof(opts));
	opts.config_path = config;
	opts.plugin_dir = plugin_dir;
	opts.directory = db;
	opts.flags = RG_OPEN_NO_WATCH | flags;
	opts.service = service;
	opts.user = user;
	opts.log = tu_log_fn;
	opts.log_user = &env->log;
	opts.log_level = level;
	rc = rg_open(&env->ctx, &opts, env->errbuf, sizeof(env->errbuf));
	ck_assert_msg(rc == RG_OK, "rg_open %s: %s", config, env->errbuf);
	ck_assert_msg(rg_directory_available(env->ctx), "%s: no directory %s",
	              config, db);
}

size_t tu_table_agrees(const rg_context *ctx, const char *service,
                       const char *prefix, int width, size_t nusers)
{
	const rg_service *svc = tu_service(ctx, service);
	size_t u, p, nprivs = rg_privilege_count(svc), allowed = 0;

	for (u = 0; u < nusers; u++) {
		char id[RG_ID_MAX];

		snprintf(id, sizeof(id), "%s%0*zu", prefix, width, u);
		for (p = 0; p < nprivs; p++) {
			rg_privilege_info pi;
			rg_decision slow, fast;
			int s1, s2;

			ck_assert_int_eq(rg_privilege_at(svc, p, &pi), RG_OK);
			s1 = tu_check(ctx, service, id, pi.id, 0, &slow);
			s2 = tu_check(ctx, service, id, pi.id,
			              RG_CHECK_NO_REASON, &fast);
			ck_assert_msg(
			    s1 == s2 && slow.result == fast.result &&
			        slow.status == fast.status,
			    "%s %s %s: the stack says %s/%s (%s), the "
			    "table %s/%s",
			    service, id, pi.id, rg_result_name(slow.result),
			    rg_status_name(slow.status), slow.reason,
			    rg_result_name(fast.result),
			    rg_status_name(fast.status));
			allowed += fast.result == RG_ALLOW;
		}
	}
	return allowed;
}

void tu_quiet_matches(const rg_context *ctx, const rg_request *req, int rc,
                      const rg_decision *loud)
{
	const rg_attr *last = req->nattrs ? &req->attrs[req->nattrs - 1] : NULL;
	rg_decision q;
	int b;

	memset(&q, 0, sizeof(q));
	q.result = RG_ALLOW; /* poison: the check must overwrite it */
	b = rg_check(ctx, req, RG_CHECK_NO_REASON, &q);
	ck_assert_msg(
	    rc == b && loud->result == q.result && loud->status == q.status &&
	        (!q.role[0] || !strcmp(q.role, loud->role)) &&
	        (!q.missing[0] || !strcmp(q.missing, loud->missing)) &&
	        (b != RG_OK || !q.reason[0]),
	    "%s %s %s (%zu attributes, the last %s=%s): with a "
	    "reason %s/%s role '%s' (%s), without %s/%s role '%s' "
	    "missing '%s' (%s)",
	    req->service,
	    req->subject.user    ? req->subject.user
	    : req->subject.roles ? req->subject.roles
	                         : "-",
	    req->action, req->nattrs, last ? last->key : "-",
	    last ? last->value : "-", rg_result_name(loud->result),
	    rg_status_name(rc), loud->role, loud->reason,
	    rg_result_name(q.result), rg_status_name(b), q.role, q.missing,
	    q.reason);
}

void tu_quiet_agrees(const rg_context *ctx, const rg_request *req,
                     rg_decision *with)
{
	tu_quiet_matches(ctx, req, rg_check(ctx, req, 0, with), with);
}

void tu_open_shipped(struct tu_env *env)
{
	rg_options opts;
	char *conf;
	int rc;

	tu_env_setup(env);
	conf = tu_join(tu_getenv("ROLEGATE_POLICIES"), "rolegate.conf");
	memset(&opts, 0, sizeof(opts));
	opts.config_path = conf;
	/* Policies only: no directory, and no refresh thread (Check forks). */
	opts.flags = RG_OPEN_NO_DIRECTORY | RG_OPEN_NO_WATCH;
	opts.plugin_dir = tu_getenv("ROLEGATE_TEST_PLUGINS");
	opts.log = tu_log_fn;
	opts.log_user = &env->log;
	rc = rg_open(&env->ctx, &opts, env->errbuf, sizeof(env->errbuf));
	ck_assert_msg(rc == RG_OK, "rg_open %s: %s", conf, env->errbuf);
	free(conf);
}

const rg_service *tu_service(const rg_context *ctx, const char *name)
{
	const rg_service *svc = rg_service_find(ctx, name);

	ck_assert_msg(svc, "no service %s%s", name, tu_diag_dump(ctx));
	return svc;
}

void tu_rows(void (*row)(int), int chunk, int nrows)
{
	int i = chunk * TU_ROWS;
	int end = i + TU_ROWS < nrows ? i + TU_ROWS : nrows;

	for (; i < end; i++)
		row(i);
}

int tu_row_chunks(int nrows)
{
	return (nrows + TU_ROWS - 1) / TU_ROWS;
}

/* See testutil.h. */
const char tu_d365_depth_policy[] =
    "[policy]\n"
    "product = dynamics365\n"
    "version = test\n"
    "[privilege user.view]\n"
    "description = View users\n"
    "[privilege user.edit]\n"
    "description = Edit users\n"
    "[role base]\n"
    "name = Base\n"
    "[role own]\n"
    "name = Own records\n"
    "grant = user.view:user user.edit:user\n"
    "[role tree]\n"
    "name = Unit and below\n"
    "grant = user.view:parent-child\n"
    "[role unit]\n"
    "name = Unit\n"
    "requires = base\n"
    "grant = user.view:business-unit user.edit:parent-child\n"
    "[role org]\n"
    "name = Organization\n"
    "requires = base\n"
    "grant = user.view\n"
    "[role mixed]\n"
    "name = Mixed\n"
    "include = own\n"
    "grant = user.view:organization\n";
