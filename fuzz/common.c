/*
 * common.c - the scratch files, the silent context and the exercise the
 * fuzz targets share (see fuzz.h).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define PATH_MAX_LEN 4096
#define ERR_LEN      1024
/* Bounds that keep one input fast: the shipped policies have some 600
 * privileges and 60 roles per service. */
#define EXERCISE_ROLES 24
#define EXERCISE_PRIVS 96
#define BATCH_MAX      (EXERCISE_PRIVS)
/* The bytes of a path segment fuzz_risky() keeps: enough for "..". */
#define SEGMENT_MAX 2048

static char scratch[PATH_MAX_LEN];

#ifdef RG_FUZZ_LIBFUZZER
/*
 * Plugins are never unloaded under libFuzzer: their coverage counters live
 * in the plugin's mapping, which libFuzzer clears after every input (a
 * closed plugin's would be a write to unmapped memory).  This dlclose()
 * wins over libc's for libltdl, as the executable's exported symbols
 * come first (configure exports it; -fvisibility=hidden would not).
 */
int dlclose(void *handle) __attribute__((visibility("default")));
int dlclose(void *handle)
{
	return 0;
}
#endif

static void remove_scratch(void)
{
	char cmd[PATH_MAX_LEN + 16];

	/* The scratch directory holds only files this process wrote. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", scratch);
}

const char *fuzz_dir(void)
{
	if (!scratch[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(scratch, sizeof(scratch), "%s/rolegate-fuzz.XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(scratch)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(remove_scratch);
	}
	return scratch;
}

const char *fuzz_file(const char *name, const void *data, size_t size)
{
	/* A few names at a time: each one's path in a slot of its own. */
	static char paths[8][PATH_MAX_LEN];
	static unsigned next;
	char *path = paths[next++ % 8];
	FILE *f;

	snprintf(path, PATH_MAX_LEN, "%s/%s", fuzz_dir(), name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

const char *fuzz_policies(void)
{
	const char *p = getenv("ROLEGATE_POLICIES");

	return p && *p ? p : RG_FUZZ_SRCDIR "/policies";
}

/* The shipped policy files, linked into the scratch directory once. */
void fuzz_link_policies(void)
{
	static int done;
	DIR *d;
	struct dirent *e;
	char from[4096], to[4096];

	if (done++)
		return;
	d = opendir(fuzz_policies());
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strstr(e->d_name, ".ini"))
			continue;
		snprintf(from, sizeof(from), "%s/%s", fuzz_policies(),
		         e->d_name);
		snprintf(to, sizeof(to), "%s/%s", fuzz_dir(), e->d_name);
		if (symlink(from, to) != 0)
			perror(to);
	}
	closedir(d);
}

static void quiet(void *user, rg_log_level level, const char *msg)
{
}

rg_context *fuzz_open(const char *path, const char *dbpath,
                      const char *const *app_sections, rg_conf_fn app_conf,
                      void *app_user)
{
	rg_options o;
	rg_context *ctx = NULL;
	char err[ERR_LEN];
	const char *plugins = getenv("ROLEGATE_TEST_PLUGINS");

	memset(&o, 0, sizeof(o));
	o.config_path = path;
	o.plugin_dir = plugins && *plugins ? plugins : RG_BUILD_PLUGINDIR;
	o.directory = dbpath;
	o.flags = RG_OPEN_NO_WATCH | (dbpath ? 0 : RG_OPEN_NO_DIRECTORY);
	o.app_sections = app_sections;
	o.app_conf = app_conf;
	o.app_user = app_user;
	o.log = quiet;
	if (rg_open(&ctx, &o, err, sizeof(err)) != RG_OK)
		return NULL;
	return ctx;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz: wrong answer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void fuzz_requests(const rg_service *svc, const char *user, const char *roles,
                   rg_request *reqs, size_t n)
{
	size_t p;

	for (p = 0; p < n; p++) {
		rg_privilege_info priv;

		memset(&reqs[p], 0, sizeof(reqs[p]));
		reqs[p].service = rg_service_name(svc);
		reqs[p].subject.user = user;
		reqs[p].subject.roles = roles;
		reqs[p].action = rg_privilege_at(svc, p, &priv) == RG_OK
		                     ? priv.id
		                     : "no-such-action";
	}
}

/* Each role (as an ad-hoc subject) asked every privilege; the batch must
 * say what the single checks said. */
static void exercise_service(const rg_context *ctx, const rg_service *svc)
{
	rg_request reqs[BATCH_MAX];
	rg_result results[BATCH_MAX];
	int statuses[BATCH_MAX];
	size_t r, p, nr = rg_role_count(svc), np = rg_privilege_count(svc);

	if (nr > EXERCISE_ROLES)
		nr = EXERCISE_ROLES;
	if (np > EXERCISE_PRIVS)
		np = EXERCISE_PRIVS;
	for (r = 0; r < nr; r++) {
		rg_role_info role;

		if (rg_role_at(svc, r, &role) != RG_OK)
			continue;
		fuzz_requests(svc, NULL, role.id, reqs, np);
		rg_check_batch(ctx, reqs, np, RG_CHECK_NO_REASON, results,
		               statuses);
		for (p = 0; p < np; p++) {
			rg_decision d;
			int st = rg_check(ctx, &reqs[p], 0, &d);

			if (d.result != results[p] || st != statuses[p])
				fuzz_fail(
				    "%s: %s %s: check %s (%d), batch %s "
				    "(%d)",
				    reqs[p].service, role.id, reqs[p].action,
				    rg_result_name(d.result), st,
				    rg_result_name(results[p]), statuses[p]);
		}
	}
}

void fuzz_exercise(const rg_context *ctx)
{
	size_t i, n = rg_service_count(ctx);

	for (i = 0; i < n; i++)
		exercise_service(ctx, rg_service_at(ctx, i));
}

/* The value of hex digit c, or -1. */
static int hex(char c)
{
	if (!isxdigit((unsigned char)c))
		return -1;
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* 1 when a decoded segment is ".", ".." or empty (and not the last). */
static int dot_segment(const char *s, size_t n, int last)
{
	return (n == 1 && s[0] == '.') ||
	       (n == 2 && s[0] == '.' && s[1] == '.') || (n == 0 && !last);
}

/* Written apart from rolegated's route matcher, so that the two can
 * disagree (see fuzz.h). */
int fuzz_risky(const char *uri)
{
	char seg[SEGMENT_MAX];
	size_t n = strcspn(uri, "?"), i, len = 0;

	if (strchr(uri, '#'))
		return 1;
	if (*uri != '/')
		return 0;
	for (i = 1; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)uri[i] : '/';

		if (c == '/') {
			if (dot_segment(seg, len, i == n))
				return 1;
			len = 0;
			continue;
		}
		if (c == '%' && i + 2 < n && hex(uri[i + 1]) >= 0 &&
		    hex(uri[i + 2]) >= 0) {
			c = (unsigned char)(hex(uri[i + 1]) * 16 +
			                    hex(uri[i + 2]));
			i += 2;
			if (c == '/')
				return 1;
		}
		if (c == ';' || c == '\\' || c < 0x20 || c == 0x7f)
			return 1;
		if (len < sizeof(seg))
			seg[len++] = (char)c;
	}
	return 0;
}
