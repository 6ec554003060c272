/*
 * bench_check.c - the in-process benchmark of rolegate's C API.
 *
 *   bench_check import  -c CONFIG -p PLUGINDIR -d DB FILE...
 *   bench_check startup -c CONFIG -p PLUGINDIR [-d DB] [-u USERS]
 *   bench_check run     -c CONFIG -p PLUGINDIR [-d DB | -u USERS]
 *                       -r REQUESTS [-n CHECKS] [-t THREADS] [-R REPEATS]
 *                       [-s SERVICE] [-b BATCH]
 *   bench_check reload  -c CONFIG -w SWAPCONFIG -p PLUGINDIR [-d DB | -u USERS]
 *                       -r REQUESTS [-k SWAPS]
 *
 * import reads directory import files (bench/gen-tenant.py) into a new
 * database.  startup opens the configuration with that directory, the way
 * an application starts, and reports how long it took and the resident
 * memory after it.  run decides the request mix: once to compare every
 * decision with the one the generator expects, then a fixed number of
 * checks per thread, timed as a whole, with the latency of every
 * SAMPLE_EVERY-th check sampled (the fastest of REPEATS runs reported); with
 * -b, then the same requests through rg_check_batch(), BATCH at a time, on
 * one thread (each batch timed, its time shared by its requests).  reload
 * keeps one thread checking while the main thread opens a new context on
 * another configuration, swaps it in and closes the old one, and reports the
 * swap time and the latency seen meanwhile.
 *
 * With -u USERS instead of -d DB, subjects are ad hoc (their roles and
 * attributes from USERS, as rolegate check @ROLES does): for a library built
 * without the directory, or to compare the two paths.
 *
 * Every figure is printed as a line "RESULT TAG.KEY VALUE" (TAG from -T)
 * that bench/run.sh collects; everything else is for people.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rolegate/rolegate.h>

#include "private/rg_prim.h"

#define SAMPLE_EVERY      16 /* a power of two: one timed check in 16 */
#define MAX_ATTRS         8
#define MAX_THREADS       16
#define DEFAULT_CHECKS    2000000UL
#define DEFAULT_SWAPS     5
#define MAX_SWAPS         16
#define RELOAD_GAP_MS     300
#define RELOAD_SAMPLES    (1u << 21)
#define MISMATCH_SHOWN    5
#define MAX_BATCH         1024
#define NS_PER_S          1000000000ULL
#define NS_PER_MS         1000000ULL
#define PERCENT           100.0
#define KIB               1024.0
#define TIMER_CALIBRATION 10000
#define FIELD_COUNT_REQ   6
#define FIELD_COUNT_USER  4

enum kind { KIND_RBAC, KIND_PREREQ, KIND_SCOPE, KIND_COUNT };
static const char *const kind_names[KIND_COUNT] = {"rbac", "prereq", "scope"};

/*
 * Timed checks ask as a gateway's hot path does: the result only, no reason
 * text (RG_CHECK_NO_REASON), unless run or instr is given -F reason.
 * verify() asks with reasons.
 */
#ifndef CHECK_FLAGS
#define CHECK_FLAGS RG_CHECK_NO_REASON
#endif

/* One request of the mix, ready to pass to rg_check(). */
struct breq {
	rg_request req;
	rg_attr attrs[MAX_ATTRS];
	int expect; /* RG_ALLOW or RG_DENY */
	enum kind kind;
};

/* An ad-hoc subject: a user's roles and attributes from users.tsv. */
struct buser {
	const char *service;
	const char *id;
	const char *roles;
	rg_attr attrs[MAX_ATTRS];
	size_t nattrs;
};

struct opts {
	const char *cmd;
	const char *config;
	const char *swap_config;
	const char *plugins;
	const char *directory;
	const char *users;
	const char *requests;
	const char *service;
	unsigned kinds; /* bits (1 << enum kind) of the requests kept; 0: all */
	const char *tag;
	unsigned long checks;
	int threads;
	int repeats;
	int swaps;
	size_t batch;   /* > 0: rg_check_batch() of this many requests */
	unsigned flags; /* run, instr: the rg_check() flags (-F reason: 0) */
	int target;     /* instr -H: rg_check_target(), resolved once */
	int stub;       /* instr -S: the loop alone (see stub_check()) */
	int hashed; /* instr -U: -H with the users' hashes worked out once */
	char **files;
	int nfiles;
};

/* ---- small helpers ------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * (long)NS_PER_MS};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void result(const struct opts *o, const char *key, const char *fmt, ...)
    RG_PRINTF(3, 4);

static void result(const struct opts *o, const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("RESULT %s.%s ", o->tag, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *fmt, ...) RG_PRINTF(1, 2);

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* A resident-memory figure of /proc/self/status, in KiB (-1 if none). */
static long proc_status_kib(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die("%s: cannot size", path);
	buf = malloc((size_t)n + 1);
	if (!buf)
		die("out of memory");
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("%s: short read", path);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Splits line in place on tabs; returns the number of fields. */
static int split_tabs(char *line, char **f, int max)
{
	int n = 0;

	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

/* Parses "-" or "k=v|k=v" in place into attrs; returns the count. */
static size_t parse_attrs(char *s, rg_attr *attrs, const char *where)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	while (s && *s) {
		char *bar = strchr(s, '|');
		char *eq = strchr(s, '=');

		if (bar)
			*bar++ = '\0';
		if (!eq || n == MAX_ATTRS)
			die("%s: bad attributes near '%s'", where, s);
		*eq = '\0';
		attrs[n].key = s;
		attrs[n].value = eq + 1;
		n++;
		s = bar;
	}
	return n;
}

/* Iterates the data lines of buf (comments and blank lines skipped). */
static char *next_line(char **cursor)
{
	char *line, *nl;

	for (;;) {
		line = *cursor;
		if (!line || !*line)
			return NULL;
		nl = strchr(line, '\n');
		if (nl) {
			*nl = '\0';
			*cursor = nl + 1;
		} else {
			*cursor = line + strlen(line);
		}
		if (*line && *line != '#')
			return line;
	}
}

/* ---- users (ad-hoc subjects) --------------------------------------------- */

struct users {
	struct buser *v;
	size_t n;
	char *buf;
};

static int user_cmp(const void *a, const void *b)
{
	const struct buser *x = a, *y = b;
	int c = strcmp(x->service, y->service);

	return c ? c : strcmp(x->id, y->id);
}

static void users_load(struct users *us, const char *path)
{
	size_t len, cap = 0;
	char *cur, *line;

	us->buf = slurp(path, &len);
	us->v = NULL;
	us->n = 0;
	cur = us->buf;
	while ((line = next_line(&cur))) {
		char *f[FIELD_COUNT_USER];
		struct buser *u;

		if (split_tabs(line, f, FIELD_COUNT_USER) != FIELD_COUNT_USER)
			die("%s: a line without %d fields", path,
			    FIELD_COUNT_USER);
		if (us->n == cap) {
			cap = cap ? cap * 2 : 1024;
			us->v = realloc(us->v, cap * sizeof(*us->v));
			if (!us->v)
				die("out of memory");
		}
		u = &us->v[us->n++];
		u->service = f[0];
		u->id = f[1];
		u->roles = f[2];
		u->nattrs = parse_attrs(f[3], u->attrs, path);
	}
	qsort(us->v, us->n, sizeof(*us->v), user_cmp);
}

static const struct buser *users_find(const struct users *us,
                                      const char *service, const char *id)
{
	struct buser key = {.service = service, .id = id};

	return bsearch(&key, us->v, us->n, sizeof(*us->v), user_cmp);
}

/* ---- requests ------------------------------------------------------------ */

struct mix {
	struct breq *v;
	rg_request *reqs; /* the same requests, contiguous, for batches */
	size_t n;
	char *buf;
};

static enum kind kind_parse(const char *s, const char *path)
{
	int k;

	for (k = 0; k < KIND_COUNT; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return (enum kind)k;
	die("%s: unknown kind '%s'", path, s);
	return KIND_RBAC;
}

static void request_fill(struct breq *r, char **f, const struct users *us,
                         const char *path)
{
	memset(r, 0, sizeof(*r));
	r->req.service = f[0];
	r->req.action = f[2];
	r->req.nattrs = parse_attrs(f[3], r->attrs, path);
	r->expect = strcmp(f[4], "allow") == 0 ? RG_ALLOW : RG_DENY;
	r->kind = kind_parse(f[5], path);
	if (us) {
		const struct buser *u = users_find(us, f[0], f[1]);

		if (!u)
			die("%s: user %s of %s is not in the users file", path,
			    f[1], f[0]);
		r->req.subject.roles = u->roles;
		r->req.subject.attrs = u->attrs;
		r->req.subject.nattrs = u->nattrs;
	} else {
		r->req.subject.user = f[1];
	}
}

/* The bits of a comma-separated list of kinds ("rbac,prereq"). */
static unsigned kinds_parse(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	unsigned bits = 0;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		bits |= 1u << kind_parse(tok, "-K");
	free(copy);
	return bits;
}

/*
 * Loads the mix, keeping only service's requests when service is set and
 * only those of the kinds in the bits kinds when kinds is not 0.
 */
static void mix_load(struct mix *m, const char *path, const char *service,
                     unsigned kinds, const struct users *us)
{
	size_t i, len, cap = 0;
	char *cur, *line;

	m->buf = slurp(path, &len);
	m->v = NULL;
	m->n = 0;
	cur = m->buf;
	while ((line = next_line(&cur))) {
		char *f[FIELD_COUNT_REQ];

		if (split_tabs(line, f, FIELD_COUNT_REQ) != FIELD_COUNT_REQ)
			die("%s: a line without %d fields", path,
			    FIELD_COUNT_REQ);
		if (service && strcmp(f[0], service) != 0)
			continue;
		if (kinds && !(kinds & 1u << kind_parse(f[5], path)))
			continue;
		if (m->n == cap) {
			cap = cap ? cap * 2 : 4096;
			m->v = realloc(m->v, cap * sizeof(*m->v));
			if (!m->v)
				die("out of memory");
		}
		request_fill(&m->v[m->n++], f, us, path);
	}
	if (m->n == 0)
		die("%s: no requests%s%s%s", path, service ? " for " : "",
		    service ? service : "", kinds ? " of those kinds" : "");
	/* Only now: the array moved while it grew. */
	for (i = 0; i < m->n; i++)
		m->v[i].req.attrs = m->v[i].req.nattrs ? m->v[i].attrs : NULL;
	m->reqs = malloc(m->n * sizeof(*m->reqs));
	if (!m->reqs)
		die("out of memory");
	for (i = 0; i < m->n; i++)
		m->reqs[i] = m->v[i].req;
}

/* ---- opening ------------------------------------------------------------- */

static void log_quiet(void *user, rg_log_level level, const char *msg)
{
	if (level <= RG_LOG_ERR)
		fprintf(stderr, "rolegate: %s\n", msg);
}

static rg_context *open_ctx(const struct opts *o, const char *config,
                            unsigned flags)
{
	rg_options opt;
	rg_context *ctx;
	char err[512];
	size_t i;

	memset(&opt, 0, sizeof(opt));
	opt.config_path = config;
	opt.plugin_dir = o->plugins;
	opt.directory = o->directory;
	opt.flags = flags | (o->directory ? 0 : RG_OPEN_NO_DIRECTORY);
	opt.log = log_quiet;
	if (rg_open(&ctx, &opt, err, sizeof(err)) != RG_OK)
		die("%s", err);
	/* A configuration with problems denies what it cannot decide: its
	 * figures would measure nothing. */
	for (i = 0; i < rg_diagnostic_count(ctx); i++)
		fprintf(stderr, "bench_check: %s\n", rg_diagnostic(ctx, i));
	if (rg_diagnostic_count(ctx))
		die("%s has problems; no figures", config);
	return ctx;
}

/* ---- import -------------------------------------------------------------- */

static int print_progress(void *user, size_t done, size_t total)
{
	return 0;
}

/* Removes a database with its WAL files: a stale WAL would be replayed
 * into the new database of the same name. */
static void remove_db(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char name[4096];
	size_t i;

	for (i = 0; i < RG_COUNTOF(suffixes); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		if (unlink(name) != 0 && errno != ENOENT)
			die("%s: %s", name, strerror(errno));
	}
}

static int cmd_import(const struct opts *o)
{
	rg_context *ctx;
	uint64_t t0, t1;
	char err[1024];
	int i, rc = 0;

	if (!o->directory || o->nfiles == 0)
		die("import needs -d DB and files");
	remove_db(o->directory);
	ctx = open_ctx(o, o->config, RG_OPEN_NO_WATCH);
	if (!rg_directory_available(ctx)) {
		printf("import: the context has no usable directory at %s\n",
		       o->directory);
		rg_close(ctx);
		result(o, "import_available", "0");
		return 3;
	}
	t0 = now_ns();
	for (i = 0; i < o->nfiles && rc == 0; i++) {
		int st = rg_directory_import(
		    ctx, o->files[i], RG_IMPORT_REPLACE, "bench",
		    print_progress, NULL, err, sizeof(err));
		if (st != RG_OK) {
			printf("import: %s: %s (%s)\n", o->files[i], err,
			       rg_status_name(st));
			rc = 1;
		}
	}
	t1 = now_ns();
	rg_close(ctx);
	result(o, "import_available", "%d", rc == 0);
	if (rc == 0) {
		printf("import: %d files into %s in %.2f s\n", o->nfiles,
		       o->directory, (double)(t1 - t0) / NS_PER_S);
		result(o, "import_s", "%.3f", (double)(t1 - t0) / NS_PER_S);
	}
	return rc;
}

/* ---- startup ------------------------------------------------------------- */

static int cmd_startup(const struct opts *o)
{
	long base = proc_status_kib("VmRSS");
	rg_context *ctx;
	uint64_t t0, t1;
	long rss, hwm;

	t0 = now_ns();
	ctx = open_ctx(o, o->config, 0);
	t1 = now_ns();
	rss = proc_status_kib("VmRSS");
	hwm = proc_status_kib("VmHWM");
	printf("startup: open%s in %.1f ms; VmRSS %.1f MiB (%.1f MiB before "
	       "open), VmHWM %.1f MiB\n",
	       o->directory ? " + directory load" : "",
	       (double)(t1 - t0) / NS_PER_MS, rss / KIB, base / KIB, hwm / KIB);
	result(o, "open_ms", "%.2f", (double)(t1 - t0) / NS_PER_MS);
	result(o, "rss_mib", "%.2f", rss / KIB);
	result(o, "rss_base_mib", "%.2f", base / KIB);
	result(o, "hwm_mib", "%.2f", hwm / KIB);
	result(o, "directory", "%d", rg_directory_available(ctx));
	rg_close(ctx);
	return 0;
}

/* ---- verifying the mix --------------------------------------------------- */

/* Decides each request once; compares with what the generator expects. */
static void verify(const struct opts *o, const rg_context *ctx,
                   const struct mix *m)
{
	size_t i, allowed = 0, errors = 0, shown = 0;
	size_t mism[KIND_COUNT] = {0}, nkind[KIND_COUNT] = {0};
	rg_decision d;

	for (i = 0; i < m->n; i++) {
		const struct breq *r = &m->v[i];
		int st = rg_check(ctx, &r->req, 0, &d);

		nkind[r->kind]++;
		allowed += d.result == RG_ALLOW;
		if (st != RG_OK)
			errors++;
		if ((int)d.result == r->expect)
			continue;
		mism[r->kind]++;
		if (shown++ < MISMATCH_SHOWN)
			printf("  mismatch: %s %s %s (%s): expected %s, got "
			       "%s: %s\n",
			       r->req.service,
			       r->req.subject.user ? r->req.subject.user
			                           : r->req.subject.roles,
			       r->req.action, kind_names[r->kind],
			       r->expect == RG_ALLOW ? "allow" : "deny",
			       rg_result_name(d.result), d.reason);
	}
	printf("verify: %zu requests, %.1f%% allowed, %zu with an error "
	       "status; differences from the expected decision: rbac %zu/%zu, "
	       "prereq %zu/%zu, scope %zu/%zu\n",
	       m->n, PERCENT * allowed / m->n, errors, mism[KIND_RBAC],
	       nkind[KIND_RBAC], mism[KIND_PREREQ], nkind[KIND_PREREQ],
	       mism[KIND_SCOPE], nkind[KIND_SCOPE]);
	result(o, "requests", "%zu", m->n);
	result(o, "allowed_pct", "%.1f", PERCENT * allowed / m->n);
	result(o, "error_status", "%zu", errors);
	result(o, "mismatch", "%zu",
	       mism[KIND_RBAC] + mism[KIND_PREREQ] + mism[KIND_SCOPE]);
}

/* ---- throughput ---------------------------------------------------------- */

struct worker {
	const rg_context *ctx;
	size_t batch;
	unsigned flags; /* the rg_check() flags (-F reason: 0) */
	const struct mix *m;
	size_t start;
	unsigned long checks;
	uint32_t *samples;
	size_t nsamples;
	size_t allowed;
	pthread_barrier_t *barrier;
	uint64_t t_end;
};

/*
 * Batches of w->batch requests in mix order through rg_check_batch(), the
 * latency sampled per batch and divided by its size (a request's share).
 */
static void *batch_main(struct worker *w, size_t j)
{
	rg_result res[MAX_BATCH];
	size_t n = w->m->n, k;
	unsigned long i = 0;

	while (i < w->checks) {
		size_t b = w->batch;
		uint64_t t0;

		if (b > n - j)
			b = n - j; /* the mix wraps: no batch crosses its end */
		if (b > w->checks - i)
			b = (size_t)(w->checks - i);
		t0 = now_ns();
		rg_check_batch(w->ctx, &w->m->reqs[j], b, w->flags, res, NULL);
		if ((i / w->batch) % SAMPLE_EVERY == 0)
			w->samples[w->nsamples++] =
			    (uint32_t)((now_ns() - t0) / b);
		for (k = 0; k < b; k++)
			w->allowed += res[k] == RG_ALLOW;
		i += b;
		j = (j + b) % n;
	}
	w->t_end = now_ns();
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct breq *v = w->m->v;
	size_t n = w->m->n, j = w->start % n;
	unsigned long i;
	rg_decision d;

	pthread_barrier_wait(w->barrier);
	if (w->batch)
		return batch_main(w, j);
	for (i = 0; i < w->checks; i++) {
		if ((i & (SAMPLE_EVERY - 1)) == 0) {
			uint64_t t0 = now_ns();

			rg_check(w->ctx, &v[j].req, w->flags, &d);
			w->samples[w->nsamples++] = (uint32_t)(now_ns() - t0);
		} else {
			rg_check(w->ctx, &v[j].req, w->flags, &d);
		}
		w->allowed += d.result == RG_ALLOW;
		if (++j == n)
			j = 0;
	}
	w->t_end = now_ns();
	return NULL;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t percentile(const uint32_t *sorted, size_t n, double p)
{
	size_t i = (size_t)(p / PERCENT * (double)(n - 1) + 0.5);

	return n ? sorted[i < n ? i : n - 1] : 0;
}

/* The cost of one timing pair, subtracted from each sample. */
static uint32_t timer_overhead(void)
{
	uint32_t best = UINT32_MAX;
	int i;

	for (i = 0; i < TIMER_CALIBRATION; i++) {
		uint64_t t0 = now_ns(), t1 = now_ns();

		if (t1 - t0 < best)
			best = (uint32_t)(t1 - t0);
	}
	return best;
}

/* What one timed run found. */
struct figures {
	double rate; /* checks per second, all threads */
	uint32_t p50, p99, max;
};

static struct figures throughput(const struct opts *o, const rg_context *ctx,
                                 const struct mix *m, int nthreads,
                                 uint32_t overhead, size_t batch)
{
	struct worker w[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	pthread_barrier_t barrier;
	size_t per = o->checks / SAMPLE_EVERY + 1, total = 0, allowed = 0;
	struct figures fig;
	uint32_t *all;
	uint64_t t0, t_end = 0;
	int i;

	all = malloc(per * (size_t)nthreads * sizeof(*all));
	if (!all)
		die("out of memory");
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].ctx = ctx;
		w[i].m = m;
		/* Threads start apart in the mix, as independent callers. */
		w[i].start = m->n / (size_t)nthreads * (size_t)i;
		w[i].checks = o->checks;
		w[i].batch = batch;
		w[i].flags = o->flags;
		w[i].samples = all + per * (size_t)i;
		w[i].barrier = &barrier;
		if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0)
			die("pthread_create failed");
	}
	pthread_barrier_wait(&barrier);
	t0 = now_ns();
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		if (w[i].t_end > t_end)
			t_end = w[i].t_end;
	}
	pthread_barrier_destroy(&barrier);
	/* Gather the samples in one array, without the timer's own cost. */
	for (i = 0; i < nthreads; i++) {
		size_t k;

		for (k = 0; k < w[i].nsamples; k++) {
			uint32_t s = w[i].samples[k];
			all[total++] = s > overhead ? s - overhead : 0;
		}
		allowed += w[i].allowed;
	}
	qsort(all, total, sizeof(*all), u32_cmp);
	fig.rate =
	    (double)o->checks * nthreads / ((double)(t_end - t0) / NS_PER_S);
	fig.p50 = percentile(all, total, 50);
	fig.p99 = percentile(all, total, 99);
	fig.max = total ? all[total - 1] : 0;
	printf("run: %d thread%s%s, %lu checks each: %.0f checks/s, p50 %u ns, "
	       "p99 %u ns, max %u ns (%.1f%% allowed)\n",
	       nthreads, nthreads > 1 ? "s" : "",
	       batch ? ", rg_check_batch" : "", o->checks, fig.rate, fig.p50,
	       fig.p99, fig.max,
	       PERCENT * allowed / ((double)o->checks * nthreads));
	free(all);
	return fig;
}

/*
 * Runs the measurement o->repeats times and reports the fastest run: on a
 * machine doing other work too, the best run is the one least disturbed.
 * Every run's rate is reported as well.
 */
static void measure(const struct opts *o, const rg_context *ctx,
                    const struct mix *m, int nthreads, uint32_t overhead,
                    size_t batch)
{
	struct figures best = {0}, f;
	char key[64], rates[256] = "", pre = batch ? 'b' : 't';
	size_t len = 0;
	int r;

	for (r = 0; r < o->repeats; r++) {
		f = throughput(o, ctx, m, nthreads, overhead, batch);
		if (f.rate > best.rate)
			best = f;
		len += (size_t)snprintf(rates + len, sizeof(rates) - len,
		                        "%s%.0f", r ? "," : "", f.rate);
		if (len >= sizeof(rates))
			len = sizeof(rates) - 1;
	}
	/* t: one rg_check() a request; b: rg_check_batch(). */
	snprintf(key, sizeof(key), "%c%d.checks_per_s", pre, nthreads);
	result(o, key, "%.0f", best.rate);
	snprintf(key, sizeof(key), "%c%d.p50_ns", pre, nthreads);
	result(o, key, "%u", best.p50);
	snprintf(key, sizeof(key), "%c%d.p99_ns", pre, nthreads);
	result(o, key, "%u", best.p99);
	snprintf(key, sizeof(key), "%c%d.runs", pre, nthreads);
	result(o, key, "%s", rates);
}

static void subjects_init(const struct opts *o, struct users *us)
{
	memset(us, 0, sizeof(*us));
	if (o->users)
		users_load(us, o->users);
}

/* run and instr: the context, the subjects and the mix, its decisions
 * verified (with reasons) against the generator's. */
static rg_context *mix_open(const struct opts *o, struct users *us,
                            struct mix *m)
{
	rg_context *ctx;

	subjects_init(o, us);
	ctx = open_ctx(o, o->config, 0);
	if (o->directory && !rg_directory_available(ctx))
		die("%s: the directory is not available", o->directory);
	mix_load(m, o->requests, o->service, o->kinds, o->users ? us : NULL);
	result(o, "subjects", "%s", o->users ? "adhoc" : "directory");
	verify(o, ctx, m);
	return ctx;
}

static void mix_close(rg_context *ctx, struct users *us, struct mix *m)
{
	rg_close(ctx);
	free(m->v);
	free(m->reqs);
	free(m->buf);
	free(us->v);
	free(us->buf);
}

static int cmd_run(const struct opts *o)
{
	struct users us;
	struct mix m;
	rg_context *ctx = mix_open(o, &us, &m);
	uint32_t overhead;
	int t;

	overhead = timer_overhead();
	result(o, "timer_overhead_ns", "%u", overhead);
	for (t = 1; t <= o->threads; t++)
		measure(o, ctx, &m, t, overhead, 0);
	/* Then the same requests in batches, on one thread. */
	if (o->batch)
		measure(o, ctx, &m, 1, overhead, o->batch);
	mix_close(ctx, &us, &m);
	return 0;
}

/* ---- instructions ----------------------------------------------------------
 */

/* A request's service and action resolved once, and its user's length
 * (instr -H: what a gateway knows before it asks). */
struct resolved {
	rg_target *t; /* NULL: asked through rg_check() */
	size_t len;
	uint64_t hash; /* rg_user_hash() of the user, for instr -U */
};

/*
 * instr -S: stand-ins for the library's calls, with their signatures, that
 * do nothing.  The loop that calls them instead is the same loop, with the
 * same arguments made ready and the same calls, so its count is what the
 * measurement itself costs a check; the library's share of a path is that
 * path's count less this one.  noipa: the compiler must neither inline
 * them nor trim their arguments, which would make the loop look cheaper
 * than it is.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define STUB __attribute__((noipa))
#else
#define STUB __attribute__((noinline, used))
#endif

STUB static int stub_check(const rg_context *ctx, const rg_request *req,
                           unsigned flags, rg_decision *out)
{
	(void)ctx, (void)req, (void)flags;
	out->result = RG_DENY;
	return RG_OK;
}

STUB static uint64_t stub_hash(const char *user, size_t len)
{
	(void)user;
	return len;
}

STUB static int stub_target(const rg_context *ctx, const rg_target *t,
                            const char *user, size_t len, uint64_t hash,
                            const rg_attr *attrs, size_t nattrs, unsigned flags,
                            rg_decision *out)
{
	(void)ctx, (void)t, (void)user, (void)len, (void)hash, (void)attrs;
	(void)nattrs, (void)flags;
	out->result = RG_DENY;
	return RG_OK;
}

/* Leaves res as it was: the real call's writes are the library's work. */
STUB static int stub_batch(const rg_context *ctx, const rg_request *reqs,
                           size_t n, unsigned flags, rg_result *res,
                           int *statuses)
{
	(void)ctx, (void)reqs, (void)n, (void)flags, (void)res, (void)statuses;
	return RG_OK;
}

/* One check of the mix's request j (by its target when it has one), or
 * (stub, a constant) the same calls of the stand-ins: inlined into
 * check_one() and check_one_stub(), so that each is the code it would be
 * alone. */
static inline __attribute__((always_inline)) rg_result
ask(rg_context *ctx, const struct mix *m, const struct resolved *rs, size_t j,
    unsigned flags, const int stub, const int hashed, rg_decision *d)
{
	const rg_request *req = &m->v[j].req;

	if (rs && rs[j].t) {
		const char *user = req->subject.user;

		if (stub)
			stub_target(ctx, rs[j].t, user, rs[j].len,
			            hashed ? rs[j].hash
			                   : stub_hash(user, rs[j].len),
			            req->attrs, req->nattrs, flags, d);
		else
			rg_check_target(ctx, rs[j].t, user, rs[j].len,
			                hashed ? rs[j].hash
			                       : rg_user_hash(user, rs[j].len),
			                req->attrs, req->nattrs, flags, d);
	} else if (stub) {
		stub_check(ctx, req, flags, d);
	} else {
		rg_check(ctx, req, flags, d);
	}
	return d->result;
}

static __attribute__((noinline)) rg_result
check_one(rg_context *ctx, const struct mix *m, const struct resolved *rs,
          size_t j, unsigned flags, rg_decision *d)
{
	return ask(ctx, m, rs, j, flags, 0, 0, d);
}

static __attribute__((noinline)) rg_result
check_one_stub(rg_context *ctx, const struct mix *m, const struct resolved *rs,
               size_t j, unsigned flags, rg_decision *d)
{
	return ask(ctx, m, rs, j, flags, 1, 0, d);
}

/* instr -U: check_one() and check_one_stub() with each user's hash
 * worked out before the loop, as a caller that asks about the same users
 * again and again keeps it (rg_user_hash()). */
static __attribute__((noinline)) rg_result
check_one_hashed(rg_context *ctx, const struct mix *m,
                 const struct resolved *rs, size_t j, unsigned flags,
                 rg_decision *d)
{
	return ask(ctx, m, rs, j, flags, 0, 1, d);
}

static __attribute__((noinline)) rg_result
check_one_stub_hashed(rg_context *ctx, const struct mix *m,
                      const struct resolved *rs, size_t j, unsigned flags,
                      rg_decision *d)
{
	return ask(ctx, m, rs, j, flags, 1, 1, d);
}

/*
 * o->checks checks on one thread with nothing else in the loop: no timer, no
 * sample, and (stub, a constant) the stand-ins' calls instead of the
 * library's.  Inlined into instr_loop() and instr_loop_stub(): under
 * callgrind (--collect-atstart=no --toggle-collect='instr_loop*') only
 * those are counted, so their instructions divided by the checks are one
 * check's, plus the loop's few, or the loop's alone.  Unlike a rate, an
 * instruction count does not move with the load of a shared machine.
 * Returns the allows, so that the compiler keeps every call.
 */
static inline __attribute__((always_inline)) size_t
loop(rg_context *ctx, const struct mix *m, unsigned long checks, unsigned flags,
     size_t batch, const struct resolved *rs, const int stub, const int hashed)
{
	rg_result res[MAX_BATCH] = {0}; /* zeroed: stub_batch() writes none */
	size_t n = m->n, j = 0, allowed = 0, k;
	unsigned long i = 0;
	rg_decision d;

	while (i < checks) {
		size_t b = batch ? batch : 1;

		if (b > n - j)
			b = n - j; /* the mix wraps: no batch crosses its end */
		if (b > checks - i)
			b = (size_t)(checks - i);
		if (batch) {
			if (stub)
				stub_batch(ctx, &m->reqs[j], b, flags, res,
				           NULL);
			else
				rg_check_batch(ctx, &m->reqs[j], b, flags, res,
				               NULL);
			for (k = 0; k < b; k++)
				allowed += res[k] == RG_ALLOW;
		} else if (stub && hashed) {
			allowed += check_one_stub_hashed(ctx, m, rs, j, flags,
			                                 &d) == RG_ALLOW;
		} else if (hashed) {
			allowed += check_one_hashed(ctx, m, rs, j, flags, &d) ==
			           RG_ALLOW;
		} else if (stub) {
			allowed += check_one_stub(ctx, m, rs, j, flags, &d) ==
			           RG_ALLOW;
		} else {
			allowed +=
			    check_one(ctx, m, rs, j, flags, &d) == RG_ALLOW;
		}
		i += b;
		j = (j + b) % n;
	}
	return allowed;
}

static __attribute__((noinline)) size_t
instr_loop(rg_context *ctx, const struct mix *m, unsigned long checks,
           unsigned flags, size_t batch, const struct resolved *rs)
{
	return loop(ctx, m, checks, flags, batch, rs, 0, 0);
}

static __attribute__((noinline)) size_t
instr_loop_stub(rg_context *ctx, const struct mix *m, unsigned long checks,
                unsigned flags, size_t batch, const struct resolved *rs)
{
	return loop(ctx, m, checks, flags, batch, rs, 1, 0);
}

static __attribute__((noinline)) size_t
instr_loop_hashed(rg_context *ctx, const struct mix *m, unsigned long checks,
                  unsigned flags, const struct resolved *rs)
{
	return loop(ctx, m, checks, flags, 0, rs, 0, 1);
}

static __attribute__((noinline)) size_t
instr_loop_stub_hashed(rg_context *ctx, const struct mix *m,
                       unsigned long checks, unsigned flags,
                       const struct resolved *rs)
{
	return loop(ctx, m, checks, flags, 0, rs, 1, 1);
}

/* instr -H: each request's target (by user id only), and its answers
 * compared with rg_check()'s before anything is counted. */
static struct resolved *resolve_mix(rg_context *ctx, const struct mix *m)
{
	struct resolved *rs = calloc(m->n, sizeof(*rs));
	size_t i, differ = 0;

	if (!rs)
		die("out of memory");
	for (i = 0; i < m->n; i++) {
		const rg_request *req = &m->v[i].req;
		rg_decision a, b;

		if (!req->subject.user ||
		    rg_target_resolve(ctx, req->service, req->action,
		                      &rs[i].t) != RG_OK)
			continue;
		rs[i].len = strlen(req->subject.user);
		rs[i].hash = rg_user_hash(req->subject.user, rs[i].len);
		rg_check(ctx, req, 0, &b);
		check_one(ctx, m, rs, i, 0, &a);
		differ += a.result != b.result || a.status != b.status;
		check_one_hashed(ctx, m, rs, i, 0, &a);
		differ += a.result != b.result || a.status != b.status;
	}
	if (differ)
		die("rg_check_target() differs from rg_check() on %zu "
		    "requests",
		    differ);
	return rs;
}

static void resolved_free(struct resolved *rs, size_t n)
{
	size_t i;

	for (i = 0; rs && i < n; i++)
		rg_target_free(rs[i].t);
	free(rs);
}

/* instr: the decisions are verified first (with reasons, outside the
 * counted loop), then instr_loop() runs once. */
static int cmd_instr(const struct opts *o)
{
	struct users us;
	struct mix m;
	rg_context *ctx = mix_open(o, &us, &m);
	struct resolved *rs = o->target ? resolve_mix(ctx, &m) : NULL;
	size_t allowed;

	if (o->hashed && o->stub)
		allowed =
		    instr_loop_stub_hashed(ctx, &m, o->checks, o->flags, rs);
	else if (o->hashed)
		allowed = instr_loop_hashed(ctx, &m, o->checks, o->flags, rs);
	else if (o->stub)
		allowed =
		    instr_loop_stub(ctx, &m, o->checks, o->flags, o->batch, rs);
	else
		allowed =
		    instr_loop(ctx, &m, o->checks, o->flags, o->batch, rs);

	result(o, "instr.checks", "%lu", o->checks);
	result(o, "instr.allowed", "%zu", allowed);
	resolved_free(rs, m.n);
	mix_close(ctx, &us, &m);
	return 0;
}

/* ---- reload -------------------------------------------------------------- */

struct sample {
	uint64_t at; /* when the check started */
	uint32_t ns; /* how long it took */
};

struct reloader {
	_Atomic(const rg_context *) cur;   /* what checks should use */
	_Atomic(const rg_context *) using; /* what the checker last took */
	atomic_int stop;
	const struct mix *m;
	struct sample *samples;
	size_t nsamples;
	unsigned long checks;
	uint32_t overhead;
};

static void *reload_checker(void *arg)
{
	struct reloader *r = arg;
	const struct breq *v = r->m->v;
	size_t n = r->m->n, j = 0;
	rg_decision d;

	while (!atomic_load(&r->stop)) {
		const rg_context *c = atomic_load(&r->cur);

		/* Announce the context before using it; retry if it was
		 * replaced meanwhile, so the swapper never frees it under
		 * us. */
		atomic_store(&r->using, c);
		if (atomic_load(&r->cur) != c)
			continue;
		if ((r->checks & (SAMPLE_EVERY - 1)) == 0 &&
		    r->nsamples < RELOAD_SAMPLES) {
			uint64_t t0 = now_ns(), t1;

			rg_check(c, &v[j].req, CHECK_FLAGS, &d);
			t1 = now_ns();
			r->samples[r->nsamples].at = t0;
			r->samples[r->nsamples].ns =
			    (uint32_t)(t1 - t0 > r->overhead
			                   ? t1 - t0 - r->overhead
			                   : 0);
			r->nsamples++;
		} else {
			rg_check(c, &v[j].req, CHECK_FLAGS, &d);
		}
		r->checks++;
		if (++j == n)
			j = 0;
	}
	return NULL;
}

struct window {
	uint64_t from, to;
};

static int in_windows(const struct window *w, int n, uint64_t at)
{
	int i;

	for (i = 0; i < n; i++)
		if (at >= w[i].from && at <= w[i].to)
			return 1;
	return 0;
}

/* Latency statistics of the samples inside (or outside) the windows. */
static void window_stats(const struct opts *o, const struct reloader *r,
                         const struct window *w, int nw, int inside,
                         const char *name, double secs)
{
	uint32_t *v = malloc((r->nsamples + 1) * sizeof(*v));
	size_t i, n = 0;
	char key[64];

	if (!v)
		die("out of memory");
	for (i = 0; i < r->nsamples; i++)
		if (in_windows(w, nw, r->samples[i].at) == inside)
			v[n++] = r->samples[i].ns;
	qsort(v, n, sizeof(*v), u32_cmp);
	printf("reload: %-7s %6zu samples: p50 %u ns, p99 %u ns, max %u ns, "
	       "%.0f checks/s\n",
	       name, n, percentile(v, n, 50), percentile(v, n, 99),
	       n ? v[n - 1] : 0, secs > 0 ? n * SAMPLE_EVERY / secs : 0.0);
	snprintf(key, sizeof(key), "%s.p50_ns", name);
	result(o, key, "%u", percentile(v, n, 50));
	snprintf(key, sizeof(key), "%s.p99_ns", name);
	result(o, key, "%u", percentile(v, n, 99));
	snprintf(key, sizeof(key), "%s.max_ns", name);
	result(o, key, "%u", n ? v[n - 1] : 0);
	snprintf(key, sizeof(key), "%s.checks_per_s", name);
	result(o, key, "%.0f", secs > 0 ? n * SAMPLE_EVERY / secs : 0.0);
	free(v);
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_reload(const struct opts *o)
{
	struct window w[MAX_SWAPS];
	double open_ms[MAX_SWAPS], in_secs = 0, all_secs;
	struct reloader r;
	struct users us;
	struct mix m;
	pthread_t th;
	uint64_t t_start, t_stop;
	int k, swaps = o->swaps < MAX_SWAPS ? o->swaps : MAX_SWAPS;

	if (!o->swap_config)
		die("reload needs -w SWAPCONFIG");
	subjects_init(o, &us);
	mix_load(&m, o->requests, NULL, 0, o->users ? &us : NULL);
	memset(&r, 0, sizeof(r));
	r.m = &m;
	r.samples = calloc(RELOAD_SAMPLES, sizeof(*r.samples));
	if (!r.samples)
		die("out of memory");
	r.overhead = timer_overhead();
	atomic_store(&r.cur, open_ctx(o, o->config, 0));
	atomic_store(&r.using, NULL);
	if (pthread_create(&th, NULL, reload_checker, &r) != 0)
		die("pthread_create failed");
	t_start = now_ns();
	for (k = 0; k < swaps; k++) {
		const rg_context *old = atomic_load(&r.cur);
		rg_context *next;
		uint64_t t1;

		sleep_ms(RELOAD_GAP_MS);
		w[k].from = now_ns();
		next = open_ctx(o, k % 2 ? o->config : o->swap_config, 0);
		t1 = now_ns();
		atomic_store(&r.cur, next);
		while (atomic_load(&r.using) != next)
			sched_yield();
		rg_close((rg_context *)old);
		w[k].to = now_ns();
		open_ms[k] = (double)(t1 - w[k].from) / NS_PER_MS;
		in_secs += (double)(w[k].to - w[k].from) / NS_PER_S;
	}
	sleep_ms(RELOAD_GAP_MS);
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	t_stop = now_ns();
	rg_close((rg_context *)atomic_load(&r.cur));
	all_secs = (double)(t_stop - t_start) / NS_PER_S;
	qsort(open_ms, (size_t)swaps, sizeof(open_ms[0]), dbl_cmp);
	printf("reload: %d swaps; open of the new context %.1f ms median, "
	       "%.1f ms max; swap windows %.1f ms in all\n",
	       swaps, open_ms[swaps / 2], open_ms[swaps - 1], in_secs * 1000);
	result(o, "swap_open_ms", "%.2f", open_ms[swaps / 2]);
	result(o, "swap_open_max_ms", "%.2f", open_ms[swaps - 1]);
	window_stats(o, &r, w, swaps, 0, "steady", all_secs - in_secs);
	window_stats(o, &r, w, swaps, 1, "during", in_secs);
	free(r.samples);
	free(m.v);
	free(m.reqs);
	free(m.buf);
	free(us.v);
	free(us.buf);
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

static const char *absolute(const char *path)
{
	char *p = realpath(path, NULL);

	if (!p)
		die("%s: %s", path, strerror(errno));
	return p;
}

static void usage(void)
{
	fputs("usage: bench_check import|startup|run|instr|reload -c CONFIG -p "
	      "PLUGINDIR\n"
	      "         [-d DB | -u USERS] [-r REQUESTS] [-n CHECKS] "
	      "[-t THREADS] [-R REPEATS] [-b BATCH]\n"
	      "         [-s SERVICE] [-K KIND[,KIND...]] [-F reason] "
	      "[-H] [-U] [-S] [-w SWAPCONFIG] [-k SWAPS] [-T TAG] "
	      "[FILE...]\n"
	      "KIND is rbac, prereq or scope (the requests file's last "
	      "column).\n"
	      "instr runs CHECKS checks in instr_loop() for callgrind; -H "
	      "asks through rg_check_target(); -U too, with each user's\n"
	      "hash worked out once before the loop; -S calls stand-ins that "
	      "do nothing\n"
	      "instead of the library (the loop's own count).\n"
	      "-F reason asks run and instr checks for reasons.\n",
	      stderr);
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->checks = DEFAULT_CHECKS;
	o->threads = 2;
	o->swaps = DEFAULT_SWAPS;
	o->repeats = 1;
	o->tag = "bench";
	o->flags = CHECK_FLAGS;
	if (argc < 2)
		usage();
	o->cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "c:w:p:d:u:r:n:t:s:K:k:R:T:b:F:HSU")) !=
	       -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'w':
			o->swap_config = optarg;
			break;
		case 'p':
			o->plugins = optarg;
			break;
		case 'd':
			o->directory = optarg;
			break;
		case 'u':
			o->users = optarg;
			break;
		case 'r':
			o->requests = optarg;
			break;
		case 'n':
			o->checks = strtoul(optarg, NULL, 10);
			break;
		case 't':
			o->threads = atoi(optarg);
			break;
		case 's':
			o->service = optarg;
			break;
		case 'K':
			o->kinds = kinds_parse(optarg);
			break;
		case 'R':
			o->repeats = atoi(optarg);
			break;
		case 'k':
			o->swaps = atoi(optarg);
			break;
		case 'T':
			o->tag = optarg;
			break;
		case 'b':
			o->batch = strtoul(optarg, NULL, 10);
			break;
		case 'H':
			o->target = 1;
			break;
		case 'U':
			o->target = o->hashed = 1;
			break;
		case 'S':
			o->stub = 1;
			break;
		case 'F':
			if (strcmp(optarg, "reason") != 0)
				usage();
			o->flags = 0;
			break;
		default:
			usage();
		}
	}
	/* The library wants an absolute plugin directory. */
	o->plugins = o->plugins ? absolute(o->plugins) : NULL;
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (!o->config || !o->plugins)
		usage();
	if (o->threads < 1 || o->threads > MAX_THREADS || o->checks == 0 ||
	    o->swaps < 1 || o->repeats < 1 || o->batch > MAX_BATCH)
		usage();
}

int main(int argc, char **argv)
{
	struct opts o;

	parse_opts(argc, argv, &o);
	if (strcmp(o.cmd, "import") == 0)
		return cmd_import(&o);
	if (strcmp(o.cmd, "startup") == 0)
		return cmd_startup(&o);
	if (!o.requests)
		usage();
	if (strcmp(o.cmd, "run") == 0)
		return cmd_run(&o);
	if (strcmp(o.cmd, "instr") == 0)
		return cmd_instr(&o);
	if (strcmp(o.cmd, "reload") == 0)
		return cmd_reload(&o);
	usage();
	return 2;
}
