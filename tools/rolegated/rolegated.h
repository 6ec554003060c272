/*
 * rolegated.h - what the pieces of the rolegated daemon share.
 *
 * rolegated answers "may this subject do this action?" over HTTP for API
 * gateways and applications.  It uses the public application interface of
 * librolegate only.  The pieces:
 *
 *   main.c    options, detaching, signals
 *   daemon.c  the pieces made, started, stopped and freed (main.c's, and
 *             the raw HTTP fuzz target's)
 *   engine.c  loaded configurations ("generations") and their hot swap
 *   http.c    the public listener: routing, bodies, limits, probes
 *   checkapi.c POST /v1/check and /v1/checks (JSON)
 *   authz.c   /v1/authz, the forward-auth endpoint of gateways
 *   rawhead.c the request headers checked byte by byte, before use
 *   deadline.c absolute deadlines for headers and bodies of connections
 *   adminapi.c the admin listener: reload, directory transactions, reads
 *   sock.c    binding the Unix sockets (admin, and listen_socket)
 *   decide.c  one decision: ids, timing, metrics, the decision log
 *   metrics.c counters and their Prometheus text
 *   dlog.c    the decision log: a bounded lock-free queue and its writer
 *   buf.c     growable and fixed text buffers, JSON output
 *   daemonlog.c the daemon's own log (stderr or syslog)
 *   rgdconf.c [rolegated] and [route NAME]: parsing and checking
 *   routes.c  the route matcher (both a library `rolegate lint` links too)
 *
 * Threads: libmicrohttpd's pool answers the public listener, one more
 * thread the admin listener, one writes the decision log, the main thread
 * waits for signals.  On the decision path nothing takes a lock: the
 * current generation is pinned with a reader count (engine.c), counters
 * are atomics and the decision log queue is lock-free.
 */
#ifndef ROLEGATE_TOOLS_ROLEGATED_H
#define ROLEGATE_TOOLS_ROLEGATED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include <rolegate/rolegate.h>

#include "private/rg_pub.h"
#include "rgdconf.h"
#include "routes.h"

#define RGD_NAME "rolegated"

/* HTTP statuses rolegated answers with. */
enum rgd_http {
	RGD_HTTP_OK = 200,
	RGD_HTTP_BAD_REQUEST = 400,
	RGD_HTTP_UNAUTHORIZED = 401,
	RGD_HTTP_FORBIDDEN = 403,
	RGD_HTTP_NOT_FOUND = 404,
	RGD_HTTP_METHOD_NOT_ALLOWED = 405,
	RGD_HTTP_REQUEST_TIMEOUT = 408,
	RGD_HTTP_CONFLICT = 409,
	RGD_HTTP_TOO_LARGE = 413,
	RGD_HTTP_UNPROCESSABLE = 422,
	RGD_HTTP_HEADERS_TOO_LARGE = 431,
	RGD_HTTP_INTERNAL = 500,
	RGD_HTTP_BAD_GATEWAY = 502,
	RGD_HTTP_UNAVAILABLE = 503,
};

/* ---- daemonlog.c ------------------------------------------------------- */

struct rgd_log {
	enum rgd_log_target target;
	int level;   /* rg_log_level: lines above it are dropped */
	int journal; /* stderr goes to the systemd journal: "<N>" prefixes */
};

void rgd_log_init(struct rgd_log *l, int level);
/* Switches to syslog or back to stderr. */
void rgd_log_use(struct rgd_log *l, enum rgd_log_target target);
void rgd_log(struct rgd_log *l, rg_log_level level, const char *fmt, ...)
    RG_PRINTF(3, 4);
/* The library's log sink (rg_log_fn); user is a struct rgd_log. */
void rgd_log_lib(void *user, rg_log_level level, const char *msg);

/* ---- buf.c ------------------------------------------------------------- */

#define RGD_JSON_DEPTH 32

/*
 * Text that grows on the heap, or fills a caller's fixed buffer.  Writes
 * past a fixed buffer, or a failed allocation, set failed and are dropped:
 * check failed once at the end.  The JSON functions keep track of commas.
 */
struct rgd_buf {
	char *p;
	size_t len;
	size_t cap;
	int fixed;
	int failed;
	unsigned depth;
	uint32_t first; /* bit per depth: the next value is the first */
	int after_key;
};

/* fixed NULL: a heap buffer (free with rgd_buf_free or take p). */
void rgd_buf_init(struct rgd_buf *b, char *fixed, size_t cap);
void rgd_buf_free(struct rgd_buf *b);
void rgd_buf_put(struct rgd_buf *b, const char *s, size_t n);
void rgd_buf_puts(struct rgd_buf *b, const char *s);
void rgd_buf_printf(struct rgd_buf *b, const char *fmt, ...) RG_PRINTF(2, 3);

void rgd_json_open(struct rgd_buf *b, char bracket);  /* '{' or '[' */
void rgd_json_close(struct rgd_buf *b, char bracket); /* '}' or ']' */
void rgd_json_key(struct rgd_buf *b, const char *key);
/* A string (escaped; invalid UTF-8 becomes U+FFFD); NULL is null. */
void rgd_json_str(struct rgd_buf *b, const char *s);
/* The same, cut at a character boundary to at most max output bytes. */
void rgd_json_strn(struct rgd_buf *b, const char *s, size_t max);
/* A string, or null for NULL and "". */
void rgd_json_opt(struct rgd_buf *b, const char *s);
void rgd_json_int(struct rgd_buf *b, long long v);

/* ---- metrics.c --------------------------------------------------------- */

#define RGD_METRIC_SERVICES 64
/* The slot of decisions naming no service the configuration has. */
#define RGD_SLOT_OTHER      RGD_METRIC_SERVICES
#define RGD_LATENCY_BUCKETS 14

/* HTTP statuses counted one by one; anything else is "other". */
enum rgd_code_slot {
	RGD_C200,
	RGD_C400,
	RGD_C401,
	RGD_C403,
	RGD_C404,
	RGD_C405,
	RGD_C408,
	RGD_C409,
	RGD_C413,
	RGD_C422,
	RGD_C500,
	RGD_C503,
	RGD_COTHER,
	RGD_NCODES
};

/* The syncs of one service ([sync SERVICE]): applied ones, not dry runs. */
struct rgd_sync_stat {
	int configured; /* a loaded configuration had [sync SERVICE] */
	uint64_t runs;
	uint64_t failures;
	int64_t last_run;     /* Unix time, 0: never */
	int64_t last_success; /* Unix time, 0: never */
	int last_ok;
	uint64_t last_changes; /* changes the last run applied */
};

struct rgd_metrics {
	/* Service names: appended at loads (under the lock), never removed,
	 * so that a slot keeps its meaning across reloads. */
	pthread_mutex_t lock;
	char *services[RGD_METRIC_SERVICES];
	size_t nservices;
	atomic_uint_fast64_t decisions[RGD_METRIC_SERVICES + 1][2];
	atomic_uint_fast64_t latency[RGD_LATENCY_BUCKETS + 1];
	atomic_uint_fast64_t latency_ns;
	atomic_uint_fast64_t engine_errors;
	atomic_uint_fast64_t bad_requests;
	atomic_uint_fast64_t responses[RGD_NCODES];
	atomic_uint_fast64_t reloads_ok;
	atomic_uint_fast64_t reloads_failed;
	atomic_uint_fast64_t log_written;
	atomic_uint_fast64_t log_dropped;
	atomic_uint_fast64_t log_write_errors;
	atomic_uint_fast64_t generation;
	atomic_int_fast64_t reload_time; /* last successful load, Unix time */
	atomic_long in_flight;           /* requests being answered */
	int64_t start_time;
	struct rgd_sync_stat syncs[RGD_METRIC_SERVICES]; /* under lock */
};

void rgd_metrics_init(struct rgd_metrics *m);
void rgd_metrics_free(struct rgd_metrics *m);
/* The slot for a service name (RGD_SLOT_OTHER when the table is full). */
unsigned rgd_metrics_slot(struct rgd_metrics *m, const char *service);
void rgd_metrics_decision(struct rgd_metrics *m, unsigned slot, int allow,
                          int error, uint64_t ns);
void rgd_metrics_response(struct rgd_metrics *m, unsigned http_status);
/* Says that the service of slot has a sync configured (shown from now). */
void rgd_metrics_sync_configured(struct rgd_metrics *m, unsigned slot);
/* Counts one applied sync of the service of slot, ending at when. */
void rgd_metrics_sync(struct rgd_metrics *m, unsigned slot, int ok,
                      size_t changes, int64_t when);
/* A copy of the sync counters of the service of slot (all zero for
 * RGD_SLOT_OTHER), taken under the lock: one run's values together. */
void rgd_metrics_sync_get(struct rgd_metrics *m, unsigned slot,
                          struct rgd_sync_stat *out);
/* The Prometheus text exposition; ready: 1 when serving; dir_age_ms: the
 * directory snapshot's age (rg_directory_age_ms()), -1 for none. */
void rgd_metrics_render(struct rgd_metrics *m, int ready, long long dir_age_ms,
                        struct rgd_buf *b);

/* ---- dlog.c ------------------------------------------------------------ */

/* Room for one decision log line (without its timestamp). */
#define RGD_DLOG_LINE 2048

struct rgd_dlog_cell {
	atomic_size_t seq;
	struct timespec ts;
	size_t len;
	char line[RGD_DLOG_LINE];
};

struct rgd_dlog {
	struct rgd_dlog_cell *cells; /* NULL: the log is off */
	size_t mask;
	atomic_size_t head; /* next position to claim */
	size_t tail;        /* next position to write (writer only) */
	char *path;         /* "-" for standard output */
	int fd;
	pthread_t thread;
	int running;
	atomic_int stop;
	atomic_int reopen;
	struct rgd_metrics *metrics;
	struct rgd_log *log;
};

/*
 * Starts the writer of path ("-": standard output; NULL: the log is off and
 * nothing starts) with a queue of at least size lines.  Returns RG_OK, or
 * an error after logging why.
 */
int rgd_dlog_start(struct rgd_dlog *q, const char *path, unsigned size,
                   struct rgd_metrics *m, struct rgd_log *log);
/*
 * Claims a cell for one line; NULL when the log is off or the queue is
 * full (then the line is counted as dropped).  A claimed cell must be
 * given back with rgd_dlog_commit(), len 0 to write nothing.
 */
struct rgd_dlog_cell *rgd_dlog_claim(struct rgd_dlog *q, size_t *pos);
void rgd_dlog_commit(struct rgd_dlog *q, struct rgd_dlog_cell *cell, size_t pos,
                     size_t len);
/* Asks the writer to reopen its file (after log rotation). */
void rgd_dlog_reopen(struct rgd_dlog *q);
/* Writes what is queued, stops the writer and frees the queue. */
void rgd_dlog_stop(struct rgd_dlog *q);

/* ---- engine.c ---------------------------------------------------------- */

/* One loaded configuration: a context and what rolegated read with it. */
struct rgd_gen {
	rg_context *ctx;
	struct rgd_conf conf;
	uint64_t number;
	int64_t loaded_at; /* Unix time */
	size_t nservices;
	const char **names; /* service names, context-owned */
	unsigned *slots;    /* metrics slot of each service */
	/* References: the publication's while current, and each pin. */
	atomic_uint pins;
	/* Set once it is replaced or rolegated stops: a sync's request to
	 * the product in flight on it is aborted, so that neither waits for
	 * a slow server (the sync fails, changing nothing). */
	atomic_int cancel;
	/* Per route of conf, its service and action resolved once at load
	 * (NULL: they do not resolve, and rg_check() says why on each
	 * request); freed with the generation, before its context. */
	rg_target **targets;
};

struct rgd;

struct rgd_engine {
	struct rg_pub pub;    /* the generation serving (engine.c) */
	pthread_mutex_t lock; /* one load or swap at a time */
	uint64_t loaded;      /* generations loaded so far */
	struct rgd *d;
};

/* What a load or reload found; fixed storage, nothing to free. */
#define RGD_REPORT_MAX  32
#define RGD_REPORT_LINE 512
struct rgd_report {
	int ok;
	int status; /* RG_OK, or why it failed */
	uint64_t generation;
	size_t nproblems; /* counted, at most RGD_REPORT_MAX kept */
	size_t nlogged;   /* the first ones, which the library logged */
	char problems[RGD_REPORT_MAX][RGD_REPORT_LINE];
	size_t nwarnings;
	char warnings[RGD_REPORT_MAX][RGD_REPORT_LINE];
};

/* Logs r's problems the library did not log as it found them (each is
 * said once), and how many were left out past RGD_REPORT_MAX. */
void rgd_report_log(struct rgd *d, const struct rgd_report *r);

void rgd_engine_init(struct rgd_engine *e, struct rgd *d);
/* Frees every generation; no request may be running. */
void rgd_engine_free(struct rgd_engine *e);

/*
 * Loads the configuration into a new generation.  A file that cannot be
 * opened, or has any problem, fails (r says why, each problem with
 * file:line).  Returns RG_OK with *out set, or an error.
 */
int rgd_engine_load(struct rgd_engine *e, struct rgd_gen **out,
                    struct rgd_report *r);
void rgd_gen_free(struct rgd_gen *g);

/* Makes g current; the generation it replaces is freed once unused. */
void rgd_engine_swap(struct rgd_engine *e, struct rgd_gen *g);

/*
 * Loads the configuration again and swaps it in; on failure the current
 * generation keeps serving.  Logs the outcome; why names the trigger
 * ("SIGHUP", "admin").  Returns RG_OK or the error.
 */
int rgd_engine_reload(struct rgd_engine *e, const char *why,
                      struct rgd_report *r);

/*
 * Reads the current generation (NULL before the first load) until
 * rgd_engine_release() with the token it returned: a short read, with no
 * atomic operation, that must not write the directory (a commit waits for
 * every read to end).  Never blocks.
 */
struct rgd_gen *rgd_engine_acquire(struct rgd_engine *e, unsigned *token);
void rgd_engine_release(struct rgd_engine *e, unsigned token);
/*
 * Pins the current generation (NULL before the first load) for as long as
 * it takes, until rgd_engine_unpin(): admin calls and syncs.  Never
 * blocks; the last unpin of a replaced generation frees it.
 */
struct rgd_gen *rgd_engine_pin(struct rgd_engine *e);
void rgd_engine_unpin(struct rgd_engine *e, struct rgd_gen *g);

/* The index of a service of g, or -1. */
long rgd_gen_service(const struct rgd_gen *g, const char *name);

/* ---- deadline.c -------------------------------------------------------- */

/* Absolute deadlines of the public listener's connections. */
struct rgd_deadlines {
	pthread_mutex_t lock;  /* the list */
	struct rgd_conn *head; /* open connections */
	unsigned header_s;     /* header_timeout */
	unsigned body_s;       /* body_timeout */
	pthread_t thread;
	int running;
	atomic_int stop;
	atomic_uint_fast64_t expired; /* connections shut down */
};

/* Where a connection's request is: what its deadline is for. */
enum rgd_phase {
	RGD_PHASE_HEADERS, /* header_timeout from now */
	RGD_PHASE_BODY,    /* body_timeout from now */
	RGD_PHASE_ANSWER   /* none: the request is in */
};

/* Starts the thread that enforces them; RG_OK or RG_EINTERNAL. */
int rgd_deadlines_start(struct rgd_deadlines *dl, unsigned header_s,
                        unsigned body_s);
/* Stops it; the library must be stopped first.  Safe when not started. */
void rgd_deadlines_stop(struct rgd_deadlines *dl);
/* MHD_OPTION_NOTIFY_CONNECTION's callback; cls is the rgd_deadlines. */
void rgd_deadlines_notify(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);
/* Sets c's deadline for phase, from now. */
void rgd_deadline(struct rgd_deadlines *dl, struct MHD_Connection *c,
                  enum rgd_phase phase);

/* ---- syncd.c ----------------------------------------------------------- */

struct rgsync_result;

/* The periodic syncs' thread, and the lock that keeps syncs one at a time
 * (periodic and POST /v1/admin/sync alike). */
struct rgd_syncer {
	pthread_mutex_t run_lock; /* held while a sync runs */
	pthread_mutex_t wait_lock;
	pthread_cond_t wake; /* signalled to stop */
	pthread_t thread;
	int running;
	int stop;                         /* under wait_lock */
	int64_t due[RGD_METRIC_SERVICES]; /* per metrics slot; 0: not yet */
};

/* What one sync is asked to do. */
struct rgd_sync_ask {
	int dry_run;
	int prune;
	const char *actor;   /* for the audit trail */
	const char *command; /* likewise */
};

void rgd_syncer_init(struct rgd_syncer *y);
void rgd_syncer_free(struct rgd_syncer *y);
/* Starts the periodic syncs' thread: RG_OK or RG_EINTERNAL (logged). */
int rgd_syncer_start(struct rgd *d);
/* Stops it, after the sync running (if any) ends.  Safe when not started. */
void rgd_syncer_stop(struct rgd *d);

/*
 * Runs the sync y configures on g's context (waiting for any other sync
 * to end), counts it in the metrics unless a dry run, and logs it.
 * res as rgsync_run() leaves it.
 */
int rgd_sync_run(struct rgd *d, struct rgd_gen *g, const struct rgd_sync *y,
                 const struct rgd_sync_ask *ask, struct rgsync_result *res);

/* ---- the daemon -------------------------------------------------------- */

#define RGD_ID_LEN 16

struct rgd {
	const char *config_path;
	const char *plugin_dir; /* --plugin-dir, or NULL */
	int plugin_dir_default; /* plugin_dir is the build tree's: the
	                           config's plugin_dir wins over it */
	const char *directory;  /* --directory, or NULL */
	/* The build tree's admin socket, or NULL for the built-in default. */
	const char *admin_socket_default;
	struct rgd_log log;
	struct rgd_metrics metrics;
	struct rgd_dlog dlog;
	struct rgd_engine engine;
	struct rgd_syncer syncer;
	struct rgd_settings boot; /* the settings the listeners started with */
	struct MHD_Daemon *http;
	struct rgd_deadlines deadlines; /* of http's connections */
	struct MHD_Daemon *admin;
	/* The public listener's, once bound (0 on Unix).  Atomic: the admin
	 * listener starts first, and its status may read it while the main
	 * thread binds the public one. */
	atomic_uint port;
	int http_fd;   /* listen_socket bound, not yet handed to MHD; or -1 */
	int http_sock; /* 1 once listen_socket is ours: removed at stop */
	char *admin_token;
	size_t admin_token_len;
	atomic_int stopping;
	uint64_t id_seed;
	atomic_uint_fast64_t id_next;
};

/* A fresh decision id: 16 hex digits, unique in this process. */
void rgd_decision_id(struct rgd *d, char out[RGD_ID_LEN + 1]);

/* Deep copy and release of settings (engine.c). */
int rgd_settings_copy(struct rgd_settings *dst, const struct rgd_settings *src);
void rgd_settings_free(struct rgd_settings *s);

/* ---- decide.c ---------------------------------------------------------- */

/* Where a decision came from, for the decision log. */
struct rgd_origin {
	const char *endpoint; /* "check", "authz" */
	const char *route;    /* the route that matched, or NULL */
	const char *method;   /* authz: the original method, or NULL */
	const char *uri;      /* authz: the original URI, or NULL */
};

/*
 * Decides req on g (rg_explain() when ex is wanted, else rg_check() into
 * ex->decision, or rg_check_target() with t, req's service and action
 * resolved, when req names a user), forces a deny on any error, counts
 * it, logs it and sets id.  Returns RG_OK or the error that forced the
 * deny.
 */
int rgd_decide(struct rgd *d, const struct rgd_gen *g, const rg_request *req,
               const rg_target *t, int explain, rg_explanation *ex,
               const struct rgd_origin *o, char id[RGD_ID_LEN + 1]);

/*
 * Counts a decision made (or refused early) by the caller, logs it and sets
 * id: what rgd_decide() does after deciding.  error: count it as an error.
 */
void rgd_record(struct rgd *d, const struct rgd_gen *g, const rg_request *req,
                const rg_decision *dec, int status, int error,
                const struct rgd_origin *o, uint64_t ns,
                char id[RGD_ID_LEN + 1]);

/* 1 when a status is a failure of the engine (500), not a plain deny. */
int rgd_engine_failure(int status);

/* Writes a decision's members (after "decision_id") into an open object. */
void rgd_json_decision(struct rgd_buf *b, const rg_explanation *ex, int status,
                       int explain);

/* ---- http.c ------------------------------------------------------------ */

/* Per-request state of a request with a body. */
struct rgd_body {
	int kind; /* what answers it, set by the router */
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int too_large;
	struct timespec start;
};

/* A response with body (copied) and a content type; NULL out of memory. */
struct MHD_Response *rgd_response(const char *type, const char *body,
                                  size_t len);
/*
 * Queues r (NULL: out of memory, answered 500 without a body) with the
 * headers every answer carries, counts it and drops the reference.
 */
enum MHD_Result rgd_queue(struct rgd *d, struct MHD_Connection *c,
                          unsigned status, struct MHD_Response *r);
/* Queues a JSON body b (consumed). */
enum MHD_Result rgd_respond_json(struct rgd *d, struct MHD_Connection *c,
                                 unsigned status, struct rgd_buf *b);
/* A JSON error, {"error": message}; counts a bad request for 4xx. */
enum MHD_Result rgd_respond_error(struct rgd *d, struct MHD_Connection *c,
                                  unsigned status, const char *fmt, ...)
    RG_PRINTF(4, 5);
/*
 * A refused request: a JSON error and the headers of a deny, with reason
 * (printable ASCII, at most RGD_REFUSAL_MAX bytes) in X-Rolegate-Reason;
 * counts a bad request for 4xx.
 */
enum MHD_Result rgd_respond_refusal(struct rgd *d, struct MHD_Connection *c,
                                    unsigned status, const char *reason);
/* 405 with an Allow header. */
enum MHD_Result rgd_respond_method(struct rgd *d, struct MHD_Connection *c,
                                   const char *allow);

/* Starts collecting a body of at most max bytes; NULL out of memory. */
struct rgd_body *rgd_body_new(int kind, size_t max);
void rgd_body_free(struct rgd_body *body);
/* Collects a chunk of a request body; past body->max sets too_large. */
void rgd_body_append(struct rgd_body *body, const char *data, size_t len);
/* 1 when the request started more than seconds ago. */
int rgd_body_expired(const struct rgd_body *body, unsigned seconds);

/*
 * Binds listen_socket when the settings name one (nothing for TCP), before
 * any thread starts: see rgd_unix_listen().  Returns RG_OK or RG_EIO after
 * logging why.
 */
int rgd_http_bind(struct rgd *d);
/* Starts the public listener (on the socket bound before, if any). */
int rgd_http_start(struct rgd *d);
/*
 * Stops accepting, waits for requests in flight (bounded), then stops;
 * removes listen_socket.  Safe when nothing or only the bind happened.
 */
void rgd_http_stop(struct rgd *d, unsigned timeout_s);

/* ---- checkapi.c -------------------------------------------------------- */

enum MHD_Result rgd_check_answer(struct rgd *d, struct MHD_Connection *c,
                                 const struct rgd_body *body, int batch);

/* ---- authz.c ----------------------------------------------------------- */

#define RGD_AUTHZ_PREFIX "/v1/authz"

enum MHD_Result rgd_authz_answer(struct rgd *d, struct MHD_Connection *c,
                                 const char *url, const char *method);

/* ---- sock.c ------------------------------------------------------------ */

/*
 * A listening Unix socket at path, created with mode (a temporary umask:
 * call it before other threads start creating files), with backlog.  A
 * missing parent directory is made (one level, mode 0750); a socket file
 * left by a process that died is replaced; a socket another process
 * listens on, or a file that is not a socket, is refused.  what names the
 * setting in the log ("admin_socket").  Returns the descriptor (the
 * caller's to close, and the file to unlink), or -1 after logging why.
 */
int rgd_unix_listen(struct rgd *d, const char *what, const char *path,
                    unsigned mode, int backlog);

/* ---- rawhead.c --------------------------------------------------------- */

#define RGD_REFUSAL_MAX 320

/*
 * 1 when a request header cannot be read as the C string libmicrohttpd
 * hands over (a NUL inside) or holds a control character (below 0x20 but
 * the tab, or DEL); why (len bytes) then says which, in printable ASCII.
 * url, method and version are the access handler's, unchanged.
 */
int rgd_headers_bad(struct MHD_Connection *c, const char *url,
                    const char *method, const char *version, char *why,
                    size_t len);
/*
 * Checks every header of a request, once, before anything reads one: a
 * bad one is answered 400 (rgd_respond_refusal) and sets *refused, and
 * the return is that of the answer; else *refused is 0 and MHD_YES.
 */
enum MHD_Result rgd_refuse_headers(struct rgd *d, struct MHD_Connection *c,
                                   const char *url, const char *method,
                                   const char *version, int *refused);

/* ---- adminapi.c -------------------------------------------------------- */

/* Starts the admin listener the settings ask for (maybe none). */
int rgd_admin_start(struct rgd *d);
void rgd_admin_stop(struct rgd *d);

/* ---- daemon.c ---------------------------------------------------------- */

/*
 * A daemon for the configuration at config_path (the caller's, kept until
 * rgd_free()), logging at log_level (rg_log_level) to stderr, with its
 * metrics and engine ready and nothing loaded or started.  The caller may
 * then set plugin_dir, plugin_dir_default, directory and id_seed.  NULL
 * when out of memory.
 */
struct rgd *rgd_new(const char *config_path, int log_level);
/*
 * Loads the first generation and makes it current: 0.  With test, prints
 * what it found and keeps nothing: 1.  -1 after logging why it failed
 * (every problem with file:line).
 */
int rgd_first_load(struct rgd *d, int test);
/*
 * Starts serving the first generation's settings: the public Unix socket,
 * the admin listener, the decision log and the public listener (its TCP
 * port in d->port).  detached: a stderr log goes to syslog instead.
 * Returns 0, or -1 after logging why (rgd_stop() undoes what started).
 */
int rgd_start(struct rgd *d, int detached);
/* Stops what rgd_start() started (requests in flight finish, bounded by
 * shutdown_timeout) and frees every generation; safe after a failed or no
 * start. */
void rgd_stop(struct rgd *d);
/* Frees a stopped daemon (NULL: nothing). */
void rgd_free(struct rgd *d);

#endif /* ROLEGATE_TOOLS_ROLEGATED_H */
