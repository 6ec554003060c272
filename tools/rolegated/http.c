/*
 * http.c - the public listener: libmicrohttpd with its own thread pool over
 * epoll, the routing of requests, bodies and their limits, the probes and
 * /metrics, and a graceful stop.
 *
 * Limits: max_header bounds a request's header block (request line and
 * headers; 431 past it, see POOL_HEADROOM), max_body a request body (413,
 * checked against Content-Length first), max_connections the open
 * connections and max_connections_per_address those of one client address,
 * request_timeout an idle connection; header_timeout and body_timeout
 * are absolute deadlines (deadline.c), a body done late gets 408.
 *
 * Every request's headers are checked byte by byte (rawhead.c) before
 * anything reads one: a NUL or a control character gets 400.
 *
 * URLs reach us as sent: the unescape callback keeps percent-escapes, so
 * that the route matcher decodes a forwarded path exactly once.
 *
 * The listener is TCP (address, port) or, with listen_socket, a Unix
 * socket bound beforehand (rgd_http_bind) and handed to MHD; nothing on the
 * request path looks at the client's address, so both serve alike.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rolegated.h"

#define TYPE_JSON "application/json"
#define TYPE_TEXT "text/plain; charset=utf-8"
#define TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"

#define BODY_MIN_CAP 1024
#define ERROR_MAX    512
/* The public Unix socket: its owner and group may connect. */
#define LISTEN_SOCKET_MODE 0660
/*
 * A connection's memory pool holds the request's header block (read in
 * place: MHD keeps the names and values there) and, beside it, MHD's
 * record of each header and the answer's status line and headers.  It is
 * max_header for the block plus this much for the rest, so that a block of
 * max_header bytes is still answered; not more, since MHD zeroes the whole
 * pool at every request of a connection, and a larger pool costs CPU on
 * every request.
 */
#define POOL_HEADROOM (4 * 1024)

/* How often a stop looks at the requests in flight. */
#define STOP_POLL_NS 10000000L
#define NS_PER_S     1000000000L
#define MS_PER_S     1000

enum body_kind { BODY_CHECK = 1, BODY_CHECKS };

/* ---- responses ---------------------------------------------------------- */

struct MHD_Response *rgd_response(const char *type, const char *body,
                                  size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);

	if (r && type &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
	        MHD_YES) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

enum MHD_Result rgd_queue(struct rgd *d, struct MHD_Connection *c,
                          unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r) {
		r = MHD_create_response_from_buffer(0, (void *)"",
		                                    MHD_RESPMEM_PERSISTENT);
		status = RGD_HTTP_INTERNAL;
		if (!r)
			return MHD_NO;
	}
	/* Decisions are about one moment: nobody may cache them. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* While stopping, keep-alive clients go elsewhere for the next one. */
	if (atomic_load_explicit(&d->stopping, memory_order_relaxed))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	rgd_metrics_response(&d->metrics, status);
	return ret;
}

enum MHD_Result rgd_respond_json(struct rgd *d, struct MHD_Connection *c,
                                 unsigned status, struct rgd_buf *b)
{
	struct MHD_Response *r;

	if (b->failed || !b->p) {
		rgd_buf_free(b);
		return rgd_queue(d, c, RGD_HTTP_INTERNAL,
		                 rgd_response(TYPE_JSON,
		                              "{\"error\":\"out of memory\"}",
		                              strlen("{\"error\":\"out of "
		                                     "memory\"}")));
	}
	if (b->fixed) {
		r = rgd_response(TYPE_JSON, b->p, b->len);
	} else {
		r = MHD_create_response_from_buffer(b->len, b->p,
		                                    MHD_RESPMEM_MUST_FREE);
		if (!r)
			rgd_buf_free(b);
		else if (MHD_add_response_header(r,
		                                 MHD_HTTP_HEADER_CONTENT_TYPE,
		                                 TYPE_JSON) != MHD_YES) {
			MHD_destroy_response(r);
			r = NULL;
		}
	}
	return rgd_queue(d, c, status, r);
}

/* A JSON error answer; reason: also say it in X-Rolegate-Reason. */
static enum MHD_Result error_answer(struct rgd *d, struct MHD_Connection *c,
                                    unsigned status, const char *msg,
                                    int reason)
{
	char out[ERROR_MAX * 2];
	struct MHD_Response *r;
	struct rgd_buf b;

	if (status >= RGD_HTTP_BAD_REQUEST && status < RGD_HTTP_INTERNAL)
		atomic_fetch_add_explicit(&d->metrics.bad_requests, 1,
		                          memory_order_relaxed);
	rgd_buf_init(&b, out, sizeof(out));
	rgd_json_open(&b, '{');
	rgd_json_key(&b, "error");
	rgd_json_strn(&b, msg, sizeof(out) / 2);
	rgd_json_close(&b, '}');
	if (!reason)
		return rgd_respond_json(d, c, status, &b);
	r = b.failed ? NULL : rgd_response(TYPE_JSON, b.p, b.len);
	/* msg is printable ASCII: a refusal's reason shows bytes as \xNN. */
	if (r &&
	    (MHD_add_response_header(r, "X-Rolegate-Decision", "deny") !=
	         MHD_YES ||
	     MHD_add_response_header(r, "X-Rolegate-Reason", msg) != MHD_YES)) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return rgd_queue(d, c, status, r);
}

enum MHD_Result rgd_respond_error(struct rgd *d, struct MHD_Connection *c,
                                  unsigned status, const char *fmt, ...)
{
	char msg[ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_answer(d, c, status, msg, 0);
}

enum MHD_Result rgd_respond_refusal(struct rgd *d, struct MHD_Connection *c,
                                    unsigned status, const char *reason)
{
	return error_answer(d, c, status, reason, 1);
}

enum MHD_Result rgd_respond_method(struct rgd *d, struct MHD_Connection *c,
                                   const char *allow)
{
	static const char body[] = "{\"error\":\"method not allowed\"}";
	struct MHD_Response *r =
	    rgd_response(TYPE_JSON, body, sizeof(body) - 1);

	if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) !=
	             MHD_YES) {
		MHD_destroy_response(r);
		r = NULL;
	}
	atomic_fetch_add_explicit(&d->metrics.bad_requests, 1,
	                          memory_order_relaxed);
	return rgd_queue(d, c, RGD_HTTP_METHOD_NOT_ALLOWED, r);
}

static enum MHD_Result respond_text(struct rgd *d, struct MHD_Connection *c,
                                    unsigned status, const char *type,
                                    const char *text)
{
	return rgd_queue(d, c, status, rgd_response(type, text, strlen(text)));
}

/* ---- bodies ---------------------------------------------------------------
 */

struct rgd_body *rgd_body_new(int kind, size_t max)
{
	struct rgd_body *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->kind = kind;
	b->max = max;
	clock_gettime(CLOCK_MONOTONIC, &b->start);
	return b;
}

void rgd_body_free(struct rgd_body *b)
{
	if (!b)
		return;
	free(b->data);
	free(b);
}

void rgd_body_append(struct rgd_body *b, const char *data, size_t len)
{
	size_t need;

	if (b->too_large)
		return;
	if (len > b->max - b->len) {
		/* Nothing more is kept: the answer is 413 whatever follows. */
		b->too_large = 1;
		free(b->data);
		b->data = NULL;
		b->len = b->cap = 0;
		return;
	}
	/* len <= max - b->len (above): no overflow.  From BODY_MIN_CAP,
	 * where most bodies fit whole. */
	need = b->len + len + 1;
	if (need < BODY_MIN_CAP)
		need = BODY_MIN_CAP;
	if (RG_GROW(b->data, b->cap, need) != RG_OK) {
		b->too_large = 1;
		return;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

int rgd_body_expired(const struct rgd_body *b, unsigned seconds)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - b->start.tv_sec > (time_t)seconds;
}

/* ---- routing --------------------------------------------------------------
 */

static int is_get(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	       strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/*
 * Whether rolegated is ready, and what the probes and /metrics say of the
 * directory: a configuration serves, no stop has begun, and the snapshot
 * checks answer from was confirmed current within directory_max_age (a
 * replica whose directory is out of reach keeps answering from its last
 * snapshot, but a load balancer should prefer one that is not).
 */
struct readiness {
	int ready;
	int has_dir;         /* the configuration serving has a directory */
	long long age_ms;    /* rg_directory_age_ms(), -1: never read */
	unsigned max_age;    /* directory_max_age, seconds; 0: no limit */
	int directory_stale; /* not ready because of the directory only */
};

static void readiness(struct rgd *d, struct readiness *r)
{
	struct rgd_gen *g;
	unsigned slot;

	memset(r, 0, sizeof(*r));
	r->age_ms = -1;
	g = rgd_engine_acquire(&d->engine, &slot);
	r->ready = g != NULL && !atomic_load(&d->stopping);
	if (g && rg_directory_available(g->ctx)) {
		r->has_dir = 1;
		r->age_ms = rg_directory_age_ms(g->ctx);
		r->max_age = g->conf.s.directory_max_age;
	}
	rgd_engine_release(&d->engine, slot);
	if (r->ready && r->has_dir && r->max_age &&
	    (r->age_ms < 0 || r->age_ms > (long long)r->max_age * MS_PER_S)) {
		r->ready = 0;
		r->directory_stale = 1;
	}
}

static enum MHD_Result metrics(struct rgd *d, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	struct readiness rd;
	struct rgd_buf b;

	readiness(d, &rd);
	rgd_buf_init(&b, NULL, 0);
	rgd_metrics_render(&d->metrics, rd.ready, rd.age_ms, &b);
	if (b.failed || !b.p) {
		rgd_buf_free(&b);
		return rgd_queue(d, c, RGD_HTTP_INTERNAL, NULL);
	}
	r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
	if (!r)
		rgd_buf_free(&b);
	else if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                                 TYPE_PROM) != MHD_YES) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return rgd_queue(d, c, RGD_HTTP_OK, r);
}

/* GET /readyz: 200 "ready", else 503 saying why when it is the
 * directory. */
static enum MHD_Result ready_probe(struct rgd *d, struct MHD_Connection *c)
{
	char text[ERROR_MAX];
	struct readiness rd;

	readiness(d, &rd);
	if (rd.ready)
		return respond_text(d, c, RGD_HTTP_OK, TYPE_TEXT, "ready\n");
	if (!rd.directory_stale)
		return respond_text(d, c, RGD_HTTP_UNAVAILABLE, TYPE_TEXT,
		                    "not ready\n");
	if (rd.age_ms < 0)
		snprintf(text, sizeof(text),
		         "not ready: the directory has not been read yet: "
		         "the directory cannot be reached\n");
	else
		snprintf(text, sizeof(text),
		         "not ready: the directory snapshot is %.1f s old "
		         "(limit %u s): the directory cannot be reached\n",
		         (double)rd.age_ms / MS_PER_S, rd.max_age);
	return respond_text(d, c, RGD_HTTP_UNAVAILABLE, TYPE_TEXT, text);
}

/* The body limit of the configuration serving now. */
static size_t body_limit(struct rgd *d)
{
	struct rgd_gen *g;
	unsigned slot;
	size_t max;

	g = rgd_engine_acquire(&d->engine, &slot);
	max = g ? g->conf.s.max_body : d->boot.max_body;
	rgd_engine_release(&d->engine, slot);
	return max;
}

/* The first call of a /v1/check(s) request: limits, then collect. */
static enum MHD_Result start_body(struct rgd *d, struct MHD_Connection *c,
                                  const char *method, int kind, void **con_cls)
{
	const char *length = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	size_t max = body_limit(d);
	struct rgd_body *b;

	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return rgd_respond_method(d, c, MHD_HTTP_METHOD_POST);
	if (length && strtoull(length, NULL, 10) > max)
		return rgd_respond_error(d, c, RGD_HTTP_TOO_LARGE,
		                         "request body too large (at most "
		                         "%zu bytes)",
		                         max);
	b = rgd_body_new(kind, max);
	if (!b)
		return rgd_queue(d, c, RGD_HTTP_INTERNAL, NULL);
	*con_cls = b;
	return MHD_YES;
}

/* What answers a request, decided on its first call. */
enum endpoint {
	EP_AUTHZ,
	EP_HEALTH,
	EP_READY,
	EP_METRICS,
	EP_NOT_FOUND,
	EP_COUNT
};

/*
 * Requests without a body of interest are answered once MHD has read all
 * of them: answering on the first call would make MHD close a keep-alive
 * connection.  Their per-request pointer is one of these markers, so that
 * nothing is allocated for them.
 */
static const char markers[EP_COUNT];

static int is_marker(const void *p)
{
	uintptr_t a = (uintptr_t)p, m = (uintptr_t)markers;

	return a >= m && a < m + EP_COUNT;
}

static enum endpoint endpoint_of(const char *url)
{
	static const size_t plen = sizeof(RGD_AUTHZ_PREFIX) - 1;

	if (strncmp(url, RGD_AUTHZ_PREFIX, plen) == 0 &&
	    (url[plen] == '\0' || url[plen] == '/'))
		return EP_AUTHZ;
	if (strcmp(url, "/healthz") == 0)
		return EP_HEALTH;
	if (strcmp(url, "/readyz") == 0)
		return EP_READY;
	if (strcmp(url, "/metrics") == 0)
		return EP_METRICS;
	return EP_NOT_FOUND;
}

static enum MHD_Result first_call(struct rgd *d, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  void **con_cls)
{
	if (strcmp(url, "/v1/check") == 0)
		return start_body(d, c, method, BODY_CHECK, con_cls);
	if (strcmp(url, "/v1/checks") == 0)
		return start_body(d, c, method, BODY_CHECKS, con_cls);
	*con_cls = (void *)&markers[endpoint_of(url)];
	return MHD_YES;
}

static enum MHD_Result answer(struct rgd *d, struct MHD_Connection *c,
                              enum endpoint e, const char *url,
                              const char *method)
{
	if (e == EP_AUTHZ)
		return rgd_authz_answer(d, c, url, method);
	if (e == EP_NOT_FOUND)
		return rgd_respond_error(d, c, RGD_HTTP_NOT_FOUND,
		                         "no such endpoint");
	if (!is_get(method))
		return rgd_respond_method(d, c, "GET, HEAD");
	if (e == EP_HEALTH)
		return respond_text(d, c, RGD_HTTP_OK, TYPE_TEXT, "ok\n");
	if (e == EP_METRICS)
		return metrics(d, c);
	return ready_probe(d, c);
}

/*
 * 1 when the request's header block (request line, headers and the empty
 * line that ends them, as received) is larger than max_header.  MHD's
 * own limit is the pool's, POOL_HEADROOM more: this makes max_header the
 * limit a client sees, whatever room MHD had left.
 */
static int headers_too_large(const struct rgd *d, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);

	return info && info->header_size > d->boot.max_header;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct rgd *d = cls;
	struct rgd_body *b = *con_cls;

	enum MHD_Result ret;
	int refused;

	if (!b) {
		atomic_fetch_add_explicit(&d->metrics.in_flight, 1,
		                          memory_order_relaxed);
		if (headers_too_large(d, c))
			return rgd_respond_error(
			    d, c, RGD_HTTP_HEADERS_TOO_LARGE,
			    "request header block too large (at most %zu "
			    "bytes)",
			    d->boot.max_header);
		/* Before anything reads a header. */
		ret = rgd_refuse_headers(d, c, url, method, version, &refused);
		if (refused)
			return ret;
		rgd_deadline(&d->deadlines, c, RGD_PHASE_BODY);
		return first_call(d, c, url, method, con_cls);
	}
	if (is_marker(b)) {
		/* A body here is ignored (forward auth sends none). */
		if (*upload_size) {
			*upload_size = 0;
			return MHD_YES;
		}
		rgd_deadline(&d->deadlines, c, RGD_PHASE_ANSWER);
		return answer(d, c, (enum endpoint)((const char *)b - markers),
		              url, method);
	}
	if (*upload_size) {
		rgd_body_append(b, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	rgd_deadline(&d->deadlines, c, RGD_PHASE_ANSWER);
	if (b->too_large)
		return rgd_respond_error(d, c, RGD_HTTP_TOO_LARGE,
		                         "request body too large (at most "
		                         "%zu bytes)",
		                         b->max);
	if (rgd_body_expired(b, d->boot.body_timeout))
		return rgd_respond_error(d, c, RGD_HTTP_REQUEST_TIMEOUT,
		                         "request body took longer than %u s",
		                         d->boot.body_timeout);
	return rgd_check_answer(d, c, b, b->kind == BODY_CHECKS);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct rgd *d = cls;

	if (!is_marker(*con_cls))
		rgd_body_free(*con_cls);
	*con_cls = NULL;
	atomic_fetch_sub_explicit(&d->metrics.in_flight, 1,
	                          memory_order_relaxed);
	/* Kept alive: the next request's headers have their deadline. */
	rgd_deadline(&d->deadlines, c, RGD_PHASE_HEADERS);
}

/* Keeps escapes as they are: the route matcher decodes, once. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

/* libmicrohttpd's own messages, whose formats are its own: vprintf-like
 * (the attribute lets the compiler check the vsnprintf() below). */
static void mhd_log(void *cls, const char *fmt, va_list ap) RG_PRINTF(2, 0);

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct rgd *d = cls;
	char msg[ERROR_MAX];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	rgd_log(&d->log, RG_LOG_WARNING, "http: %s", msg);
}

/* ---- start and stop
 * ---------------------------------------------------------- */

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

static int make_addr(const char *address, unsigned port, union sockaddr_any *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, address, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons((uint16_t)port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, address, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		return AF_INET6;
	}
	return -1;
}

/* The port the listener got (the configured one, or the kernel's for 0). */
static unsigned bound_port(struct MHD_Daemon *daemon)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_LISTEN_FD);
	union sockaddr_any a;
	socklen_t len = sizeof(a);

	if (!info || getsockname(info->listen_fd, &a.sa, &len) != 0)
		return 0;
	return a.sa.sa_family == AF_INET6 ? ntohs(a.in6.sin6_port)
	                                  : ntohs(a.in.sin_port);
}

static unsigned thread_count(const struct rgd_settings *s)
{
	long n;

	if (s->threads)
		return s->threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int rgd_http_bind(struct rgd *d)
{
	const char *path = d->boot.listen_socket;

	if (!path)
		return RG_OK;
	d->http_fd = rgd_unix_listen(d, "listen_socket", path,
	                             LISTEN_SOCKET_MODE, SOMAXCONN);
	if (d->http_fd < 0)
		return RG_EIO;
	d->http_sock = 1;
	return RG_OK;
}

int rgd_http_start(struct rgd *d)
{
	const struct rgd_settings *s = &d->boot;
	unsigned threads = thread_count(s);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_USE_ITC | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	size_t pool = s->max_header + POOL_HEADROOM;
	union sockaddr_any addr;
	int family = AF_UNIX;
	/* The one option that differs: where to listen. */
	struct MHD_OptionItem where[] = {
	    {MHD_OPTION_LISTEN_SOCKET, d->http_fd, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};

	if (s->listen_socket && d->http_fd < 0) {
		rgd_log(&d->log, RG_LOG_ERR, "listen_socket %s: not bound",
		        s->listen_socket);
		return RG_EINTERNAL;
	}
	if (!s->listen_socket) {
		family = make_addr(s->address, s->port, &addr);
		if (family < 0) {
			rgd_log(&d->log, RG_LOG_ERR,
			        "address %s: not an address", s->address);
			return RG_ECONFIG;
		}
		if (family == AF_INET6)
			flags |= MHD_USE_IPv6;
		where[0].option = MHD_OPTION_SOCK_ADDR;
		where[0].value = 0;
		where[0].ptr_value = &addr.sa;
	}
	if (rgd_deadlines_start(&d->deadlines, s->header_timeout,
	                        s->body_timeout) != RG_OK) {
		rgd_log(&d->log, RG_LOG_ERR, "cannot start a thread");
		return RG_EINTERNAL;
	}
	d->http = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, d, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_log, d, MHD_OPTION_ARRAY, where, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)(threads > 1 ? threads : 0),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->request_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, d,
	    MHD_OPTION_NOTIFY_CONNECTION, rgd_deadlines_notify, &d->deadlines,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)s->max_connections_per_address,
	    MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_END);
	if (!d->http)
		rgd_deadlines_stop(&d->deadlines);
	if (!d->http && s->listen_socket) {
		rgd_log(&d->log, RG_LOG_ERR, "listen_socket %s: cannot serve",
		        s->listen_socket);
		return RG_EIO;
	}
	if (!d->http) {
		rgd_log(&d->log, RG_LOG_ERR,
		        "cannot listen on %s port %u (in use, or not an "
		        "address of this host?)",
		        s->address, s->port);
		return RG_EIO;
	}
	if (s->listen_socket) {
		/* MHD owns it now (closed at quiesce or stop). */
		d->http_fd = -1;
		rgd_log(&d->log, RG_LOG_NOTICE,
		        "listening on unix:%s (%u thread%s)", s->listen_socket,
		        threads, threads == 1 ? "" : "s");
		return RG_OK;
	}
	d->port = bound_port(d->http);
	rgd_log(&d->log, RG_LOG_NOTICE, "listening on %s%s%s:%u (%u thread%s)",
	        family == AF_INET6 ? "[" : "", s->address,
	        family == AF_INET6 ? "]" : "", d->port, threads,
	        threads == 1 ? "" : "s");
	return RG_OK;
}

/* Closes listen_socket if MHD never took it, and removes the file. */
static void unbind(struct rgd *d)
{
	if (d->http_fd >= 0) {
		close(d->http_fd);
		d->http_fd = -1;
	}
	if (d->http_sock && d->boot.listen_socket)
		unlink(d->boot.listen_socket);
	d->http_sock = 0;
}

void rgd_http_stop(struct rgd *d, unsigned timeout_s)
{
	const struct timespec poll = {0, STOP_POLL_NS};
	struct timespec start, now;
	MHD_socket fd;

	if (!d->http) {
		unbind(d);
		return;
	}
	atomic_store(&d->stopping, 1);
	fd = MHD_quiesce_daemon(d->http);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long n = atomic_load(&d->metrics.in_flight);

		if (n <= 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout_s) {
			rgd_log(&d->log, RG_LOG_WARNING,
			        "stopping with %ld request%s still in flight "
			        "after %u s",
			        n, n == 1 ? "" : "s", timeout_s);
			break;
		}
		nanosleep(&poll, NULL);
	}
	MHD_stop_daemon(d->http);
	d->http = NULL;
	rgd_deadlines_stop(&d->deadlines);
	unbind(d);
}
