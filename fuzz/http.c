/*
 * http.c - fuzz target: raw HTTP into rolegated, served in this process.
 *
 * The first input starts the daemon's own code (tools/rolegated/, all but
 * main.c) once, on 127.0.0.1 and a port of the kernel's choice, with the
 * shipped services (policies/rolegate.conf), the route map below, a
 * scratch directory of a few users and no decision log.  Each input is
 * the bytes of one connection: request line, headers, body, maybe more
 * requests.  They are written as they are, the write side is shut, and
 * everything the daemon sends is read until it closes.
 *
 * Oracles, besides no crash and no sanitizer report, each read from the
 * input and the answer apart from the daemon's code:
 *   - the daemon closes the connection within ANSWER_WAIT_MS (it never
 *     waits on a client that has said all it will say);
 *   - an answer starts with "HTTP/1.1 " and three digits (libmicrohttpd
 *     answers HTTP/1.0 requests as HTTP/1.1 too);
 *   - the first request's header block holding a NUL or a control
 *     character (but tab, CR and LF) is never answered 200;
 *   - /v1/authz asked about an original URI fuzz_risky() finds risky
 *     (X-Forwarded-Uri, else X-Original-URI, else the path under
 *     /v1/authz, as the gateways send it) is never answered 200: the
 *     daemon routes X-Original-URI only (authz_uri_from) and refuses a
 *     request whose other sources differ, so whichever it is, the risky
 *     URI is the one decided or the request is refused;
 *   - every 200 of /v1/authz carries X-Rolegate-Decision-Id.
 * Only the first request and its answer are judged: where a second
 * answer starts cannot be told without the first request's method.  The
 * /v1/authz oracles judge only requests every reading splits alike (no
 * lone CR, no folded line, no blank in a header name or after a URI):
 * elsewhere which URI the daemon was asked about is not certain.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "rolegated.h"

/* The daemon drops a client by header_timeout (1 s below) at the latest:
 * far longer than that is a connection it forgot. */
#define ANSWER_WAIT_MS 5000
/* What is kept of an answer; the rest is read and dropped. */
#define ANSWER_MAX  (64 * 1024)
#define READ_CHUNK  4096
#define CONF_MAX    (64 * 1024)
#define PATH_LEN    4096
#define ERR_LEN     1024
#define MS_PER_S    1000
#define NS_PER_MS   1000000L
#define STATUS_OK   200
#define STATUS_INFO 100 /* 1xx: an interim answer, the final one follows */
/* "HTTP/1.1 200 ": the version and a space, then the status. */
#define VERSION_LEN 9
/* Decision ids are not secrets here: fixed, so that runs repeat. */
#define ID_SEED 0x5eed5eed5eed5eedULL

#define AUTHZ_PATH "/v1/authz"

/*
 * The daemon's part of the configuration, after the shipped services: the
 * route map of fuzz/corpus/conf/routes.conf, ad-hoc roles allowed, short
 * deadlines, no admin listener, one thread.
 */
static const char daemon_conf[] =
    "\n[rolegated]\n"
    "address = 127.0.0.1\n"
    "port = 0\n"
    "threads = 1\n"
    "admin_socket = off\n"
    "max_batch = 16\n"
    "authz_roles_header = yes\n"
    "request_timeout = 1\n"
    "header_timeout = 1\n"
    "body_timeout = 1\n"
    "shutdown_timeout = 1\n"
    "\n[route d365-queue-agents]\n"
    "method = POST DELETE\n"
    "path = /d365/queues/{queue}/agents\n"
    "service = dynamics365\n"
    "action = queue.add-agent\n"
    "attr = queue={queue}\n"
    "\n[route d365-queues]\n"
    "method = GET\n"
    "path = /d365/queues/*\n"
    "service = dynamics365\n"
    "action = queue.view\n"
    "\n[route d365-bots]\n"
    "method = POST\n"
    "path = /d365/bots\n"
    "service = dynamics365\n"
    "action = bot.add\n"
    "\n[route rc-analytics]\n"
    "method = GET\n"
    "path = /rc/departments/{department}/analytics\n"
    "service = rocketchat\n"
    "action = view-livechat-analytics\n"
    "attr = department={department}\n"
    "\n[route rc-units]\n"
    "method = POST\n"
    "path = /rc/units\n"
    "service = rocketchat\n"
    "action = manage-livechat-units\n"
    "\n[route omni-chats]\n"
    "method = GET POST\n"
    "path = /omni/chats/*\n"
    "service = omni24\n"
    "action = chat.handle\n"
    "\n[route omni-billing]\n"
    "path = /omni/billing\n"
    "service = omni24\n"
    "action = billing.manage\n";

/* The users the seeds name: boss may manage omni24's billing, alice may
 * not; sup and mon are supervisors of the other two. */
static const char directory_json[] =
    "{\"format\":\"rolegate-directory\",\"version\":1,\"services\":["
    "{\"name\":\"dynamics365\",\"settings\":{},\"business_units\":[],"
    "\"units\":[],\"departments\":[],\"custom_roles\":[],\"users\":["
    "{\"id\":\"sup\",\"name\":\"sup\",\"bu\":null,\"status\":null,"
    "\"max_chats\":null,\"roles\":[\"basic-user\","
    "\"omnichannel-supervisor\"],\"departments\":[],\"units\":[]}]},"
    "{\"name\":\"rocketchat\",\"settings\":{},\"business_units\":[],"
    "\"units\":[],\"departments\":[{\"name\":\"sales\",\"unit\":null,"
    "\"max_chats\":null}],\"custom_roles\":[],\"users\":["
    "{\"id\":\"mon\",\"name\":\"Mon\",\"bu\":null,\"status\":null,"
    "\"max_chats\":null,\"roles\":[\"livechat-agent\","
    "\"livechat-monitor\"],\"departments\":[],\"units\":[]}]},"
    "{\"name\":\"omni24\",\"settings\":{},\"business_units\":[],"
    "\"units\":[],\"departments\":[],\"custom_roles\":[],\"users\":["
    "{\"id\":\"boss\",\"name\":\"Boss\",\"bu\":null,\"status\":null,"
    "\"max_chats\":null,\"roles\":[\"account-owner\"],\"departments\":[],"
    "\"units\":[]},"
    "{\"id\":\"alice\",\"name\":\"Alice\",\"bu\":null,\"status\":null,"
    "\"max_chats\":null,\"roles\":[\"agent\"],\"departments\":[],"
    "\"units\":[]}]}]}";

static struct rgd *daemon_running;

/* ---- the daemon, once ------------------------------------------------- */

/* The shipped rolegate.conf and the daemon's sections, in the scratch
 * directory (where the shipped policies are linked). */
static const char *write_conf(void)
{
	static char text[CONF_MAX];
	char path[PATH_LEN];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/rolegate.conf", fuzz_policies());
	f = fopen(path, "rb");
	if (!f)
		fuzz_fail("%s: cannot be read", path);
	len = fread(text, 1, sizeof(text) - sizeof(daemon_conf), f);
	fclose(f);
	memcpy(text + len, daemon_conf, sizeof(daemon_conf) - 1);
	fuzz_link_policies();
	return fuzz_file("rolegate.conf", text, len + sizeof(daemon_conf) - 1);
}

/* The users above, imported into a fresh directory at db. */
static void make_directory(const char *conf, const char *db)
{
	char err[ERR_LEN];
	struct rgd_conf c;
	rg_context *ctx;
	const char *json = fuzz_file("directory.json", directory_json,
	                             sizeof(directory_json) - 1);

	if (rgd_conf_init(&c) != RG_OK)
		abort();
	ctx = fuzz_open(conf, db, rgd_conf_sections, rgd_conf_key, &c);
	if (!ctx)
		fuzz_fail("%s does not open", conf);
	if (rg_directory_import(ctx, json, RG_IMPORT_REPLACE, "fuzz", NULL,
	                        NULL, err, sizeof(err)) != RG_OK)
		fuzz_fail("the users do not import: %s", err);
	rg_close(ctx);
	rgd_conf_free(&c);
}

static void stop_daemon(void)
{
	rgd_stop(daemon_running);
	rgd_free(daemon_running);
	daemon_running = NULL;
}

/* The daemon serving; its port. */
static unsigned start_daemon(void)
{
	static char db[PATH_LEN];
	const char *plugins = getenv("ROLEGATE_TEST_PLUGINS");
	const char *conf;
	struct rgd *d;

	if (daemon_running)
		return daemon_running->port;
	/* A client that hangs up early is no reason to die. */
	signal(SIGPIPE, SIG_IGN);
	conf = write_conf();
	snprintf(db, sizeof(db), "%s/directory.db", fuzz_dir());
	make_directory(conf, db);
	d = rgd_new(conf, RG_LOG_ERR);
	if (!d)
		abort();
	d->plugin_dir = plugins && *plugins ? plugins : RG_BUILD_PLUGINDIR;
	d->directory = db;
	d->id_seed = ID_SEED;
	daemon_running = d;
	/* Before the scratch directory goes: handlers run in reverse. */
	atexit(stop_daemon);
	if (rgd_first_load(d, 0) != 0 || rgd_start(d, 0) != 0 || !d->port)
		fuzz_fail("rolegated does not start on %s", conf);
	return d->port;
}

/* ---- one connection -------------------------------------------------- */

struct answer {
	char buf[ANSWER_MAX];
	size_t len;
	int closed; /* the daemon closed (or reset) the connection */
};

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * MS_PER_S +
	       (now.tv_nsec - t0->tv_nsec) / NS_PER_MS;
}

static int connect_to(unsigned port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fuzz_fail("socket: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		fuzz_fail("connect to port %u: %s", port, strerror(errno));
	return fd;
}

/* Reads what is there; 0 once the daemon closed. */
static int take(int fd, struct answer *an)
{
	char chunk[READ_CHUNK];
	ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
	size_t keep;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : 0;
	if (n == 0)
		return 0;
	keep =
	    (size_t)n < ANSWER_MAX - an->len ? (size_t)n : ANSWER_MAX - an->len;
	memcpy(an->buf + an->len, chunk, keep);
	an->len += keep;
	return 1;
}

/*
 * Writes the input while reading the answer (so that neither side waits on
 * a full buffer), shuts the write side once all is written or the daemon
 * stopped reading, and reads until the daemon closes.
 */
static void exchange(unsigned port, const uint8_t *data, size_t size,
                     struct answer *an)
{
	struct timespec t0;
	size_t sent = 0;
	int fd = connect_to(port), shut = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	an->len = 0;
	an->closed = 0;
	while (!an->closed) {
		struct pollfd p = {fd, POLLIN, 0};
		long left = ANSWER_WAIT_MS - ms_since(&t0);

		if (left <= 0)
			fuzz_fail("no answer and no close after %d ms",
			          ANSWER_WAIT_MS);
		if (!shut)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			fuzz_fail("poll: %s", strerror(errno));
		if (!shut && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = send(fd, data + sent, size - sent,
			                 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				sent = size; /* it stopped reading */
			if (sent == size) {
				shutdown(fd, SHUT_WR);
				shut = 1;
			}
		}
		if (p.revents & (POLLIN | POLLERR | POLLHUP))
			an->closed = !take(fd, an);
	}
	close(fd);
}

/* ---- reading the request, apart from the daemon ----------------------- */

/* Where one line ends: *next is the start of the line after it. */
static size_t line_end(const uint8_t *p, size_t size, size_t i, size_t *next)
{
	while (i < size && p[i] != '\r' && p[i] != '\n')
		i++;
	*next = i;
	if (i < size)
		*next =
		    i +
		    (p[i] == '\r' && i + 1 < size && p[i + 1] == '\n' ? 2 : 1);
	return i;
}

/*
 * The length of the first request's header block: up to its first empty
 * line, lines ending in CRLF, LF or a lone CR (which libmicrohttpd 0.9.75
 * also ends a line at), a line that starts with a NUL counting as empty
 * (it reads lines as C strings).  The earliest end any reading could give,
 * so that what it holds is certainly in the header block.
 */
static size_t head_length(const uint8_t *p, size_t size)
{
	size_t i = 0, next;

	while (i < size) {
		if (line_end(p, size, i, &next) == i || p[i] == '\0')
			return i;
		i = next;
	}
	return size;
}

static int is_control(uint8_t c)
{
	return (c < ' ' && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

static int has_control(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (is_control(p[i]))
			return 1;
	return 0;
}

/*
 * NULs at i that libmicrohttpd 0.9.75 leaves no trace of: it writes a NUL
 * over each CR and LF of a line end, in place, so "value\0\n" reads back
 * as "value\0\0", as "value\r\n" does; rolegated (rawhead.c) sees only
 * that.  A run of k NULs followed by n line ends of b bytes is such a run
 * when k + b <= 2n: no more NULs than CR LF line ends would leave.  It
 * hides no byte (the value is what the client sent, less trailing NULs),
 * and the gateways rolegated sits behind refuse a NUL before it arrives;
 * a longer run, or a NUL anywhere else, is refused (400) and judged so.
 * Returns the run's end, or i when it is not one.
 */
static size_t unseen_nuls(const uint8_t *p, size_t len, size_t i)
{
	size_t j = i, k, b = 0, n = 0;

	while (j < len && p[j] == '\0')
		j++;
	k = j - i;
	for (;;) {
		if (j + 1 < len && p[j] == '\r' && p[j + 1] == '\n') {
			b += 2;
			j += 2;
		} else if (j < len && p[j] == '\n') {
			b++;
			j++;
		} else {
			break;
		}
		n++;
	}
	return n && k + b <= 2 * n ? j : i;
}

/* has_control() but for the NULs libmicrohttpd hides (unseen_nuls()). */
static int has_seen_control(const uint8_t *p, size_t len)
{
	size_t i, end;

	for (i = 0; i < len; i++) {
		if (p[i] == '\0' && (end = unseen_nuls(p, len, i)) != i) {
			i = end - 1;
			continue;
		}
		if (is_control(p[i]))
			return 1;
	}
	return 0;
}

/*
 * A header block every reading splits alike: no control character, no
 * CR but before an LF, no folded (continued) line.  The /v1/authz oracles
 * judge only these.
 */
static int plain_head(const uint8_t *p, size_t len)
{
	size_t i;

	if (has_control(p, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n'))
			return 0;
		if (p[i] == '\n' && i + 1 < len &&
		    (p[i + 1] == ' ' || p[i + 1] == '\t'))
			return 0;
	}
	return 1;
}

/* The fields of the request the oracles read (NUL-terminated copies). */
struct request {
	int authz;           /* the request line asks /v1/authz, plainly */
	char path[PATH_LEN]; /* its path under /v1/authz, query cut off */
	int action;          /* an X-Rolegate-Action header */
	int has_fwd, has_orig;
	char fwd[PATH_LEN], orig[PATH_LEN];
	int unclear; /* a value the oracle cannot read for sure */
};

/* Copies p[0..len) as a string; a value too long is unclear. */
static void copy(char *dst, const uint8_t *p, size_t len, int *unclear)
{
	if (len >= PATH_LEN) {
		*unclear = 1;
		len = PATH_LEN - 1;
	}
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/* "METHOD SP TARGET SP VERSION", one space each, TARGET under /v1/authz. */
static void request_line(struct request *r, const uint8_t *p, size_t len)
{
	static const size_t plen = sizeof(AUTHZ_PATH) - 1;
	const uint8_t *sp1 = memchr(p, ' ', len), *sp2, *q;
	size_t tlen;

	if (!sp1 || memchr(p, '\t', len))
		return;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - p));
	if (!sp2 || memchr(sp2 + 1, ' ', len - (size_t)(sp2 + 1 - p)))
		return;
	tlen = (size_t)(sp2 - sp1 - 1);
	q = memchr(sp1 + 1, '?', tlen);
	if (q)
		tlen = (size_t)(q - sp1 - 1);
	if (tlen < plen || memcmp(sp1 + 1, AUTHZ_PATH, plen) != 0 ||
	    (tlen > plen && sp1[1 + plen] != '/'))
		return;
	r->authz = 1;
	copy(r->path, sp1 + 1 + plen, tlen - plen, &r->unclear);
}

static int named(const uint8_t *p, size_t len, const char *name)
{
	return len == strlen(name) &&
	       strncasecmp((const char *)p, name, len) == 0;
}

/* One header line: the fields above, the first of each name. */
static void header_line(struct request *r, const uint8_t *p, size_t len)
{
	const uint8_t *colon = memchr(p, ':', len), *v;
	size_t nlen, vlen;

	if (!colon)
		return;
	nlen = (size_t)(colon - p);
	/* A name with blank space in it may be read with or without it. */
	if (memchr(p, ' ', nlen) || memchr(p, '\t', nlen))
		r->unclear = 1;
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	/* Blank space at the end may or may not be part of the value. */
	if (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t') &&
	    (named(p, nlen, "X-Forwarded-Uri") ||
	     named(p, nlen, "X-Original-URI")))
		r->unclear = 1;
	if (named(p, nlen, "X-Rolegate-Action")) {
		r->action = 1;
	} else if (named(p, nlen, "X-Forwarded-Uri") && !r->has_fwd) {
		r->has_fwd = 1;
		copy(r->fwd, v, vlen, &r->unclear);
	} else if (named(p, nlen, "X-Original-URI") && !r->has_orig) {
		r->has_orig = 1;
		copy(r->orig, v, vlen, &r->unclear);
	}
}

static void read_request(struct request *r, const uint8_t *p, size_t head)
{
	size_t i, next, end;

	memset(r, 0, sizeof(*r));
	end = line_end(p, head, 0, &next);
	request_line(r, p, end);
	for (i = next; i < head; i = next) {
		end = line_end(p, head, i, &next);
		header_line(r, p + i, end - i);
	}
}

/* The URI the route map is asked about, as the gateways send it. */
static const char *routed_uri(const struct request *r)
{
	if (r->has_fwd)
		return r->fwd;
	if (r->has_orig)
		return r->orig;
	return r->path[0] ? r->path : NULL;
}

/* ---- reading the answer ---------------------------------------------- */

/* The status of the answer at an->buf + at (0 when cut short), after
 * checking that it starts as an answer does. */
static unsigned status_of(const struct answer *an, size_t at)
{
	static const char pattern[] = "HTTP/1.1 ddd ";
	const char *s = an->buf + at;
	size_t i, len = an->len - at;

	for (i = 0; i < len && i < sizeof(pattern) - 1; i++) {
		char want = pattern[i];
		int ok =
		    want == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == want;

		if (!ok)
			fuzz_fail("the answer does not start as HTTP/1.1 "
			          "with a status: \"%.*s\"",
			          (int)(len < sizeof(pattern)
			                    ? len
			                    : sizeof(pattern)),
			          s);
	}
	if (len < sizeof(pattern) - 1)
		return 0;
	return (unsigned)strtoul(s + VERSION_LEN, NULL, 10);
}

/* The head of the answer at at: its length with the empty line, or 0. */
static size_t answer_head(const struct answer *an, size_t at)
{
	static const char end[] = "\r\n\r\n";
	size_t i;

	for (i = at; i + sizeof(end) - 1 <= an->len; i++)
		if (memcmp(an->buf + i, end, sizeof(end) - 1) == 0)
			return i + sizeof(end) - 1 - at;
	return 0;
}

/* The final answer's status (0 when cut short); *at: where it starts. */
static unsigned final_status(const struct answer *an, size_t *at)
{
	unsigned status;
	size_t head;

	*at = 0;
	for (;;) {
		status = status_of(an, *at);
		if (status / STATUS_INFO != 1)
			return status;
		head = answer_head(an, *at);
		if (!head)
			return 0;
		*at += head;
	}
}

/* 1 when the answer's head at at has the header name with a value. */
static int answer_has(const struct answer *an, size_t at, const char *name)
{
	size_t head = answer_head(an, at), i, nlen = strlen(name);
	const char *s = an->buf + at;

	for (i = 0; i + nlen + 2 < head; i++)
		if (s[i] == '\n' && strncasecmp(s + i + 1, name, nlen) == 0 &&
		    s[i + 1 + nlen] == ':' && s[i + 2 + nlen] != '\r')
			return 1;
	return 0;
}

/* ---- the oracles ----------------------------------------------------- */

static void judge(const uint8_t *data, size_t size, const struct answer *an)
{
	static struct request r;
	size_t head = head_length(data, size), seen = head, at;
	unsigned status = final_status(an, &at);
	const char *uri;

	if (status != STATUS_OK)
		return;
	/* The empty line that ends the block is a line end libmicrohttpd
	 * writes NULs over too: "x\0\r\n\n" reads back as "x\r\n\r\n" does
	 * (unseen_nuls()). */
	if (head < size && (data[head] == '\r' || data[head] == '\n'))
		line_end(data, size, head, &seen);
	if (has_seen_control(data, seen))
		fuzz_fail("200 to a request whose header block holds a NUL or "
		          "a control character");
	if (!plain_head(data, head))
		return;
	read_request(&r, data, head);
	if (!r.authz)
		return;
	if (answer_head(an, at) &&
	    !answer_has(an, at, "X-Rolegate-Decision-Id"))
		fuzz_fail("200 from /v1/authz without X-Rolegate-Decision-Id");
	uri = routed_uri(&r);
	if (!r.action && !r.unclear && uri && fuzz_risky(uri))
		fuzz_fail("200 from /v1/authz for the risky URI %s", uri);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct answer an;
	unsigned port = start_daemon();

	exchange(port, data, size, &an);
	judge(data, size, &an);
	return 0;
}
