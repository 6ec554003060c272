/*
 * rgdconf.c - [rolegated] and [route NAME]: parsing and checking.  See
 * rgdconf.h; the matching of routes is routes.c.
 *
 * The library calls rgd_conf_key() once per key of these sections, with
 * the file and line; every problem found here goes back as a message and
 * becomes a diagnostic "file:line: message".  Sections themselves are not
 * seen (only their keys), so what needs the whole section (a route without
 * a path) is found afterwards by rgd_conf_check().
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "rgdconf.h"

#ifndef RG_RUNDIR
#define RG_RUNDIR "/run/rolegate"
#endif

#define SECTION_SETTINGS "rolegated"
#define SECTION_ROUTE    "route"
#define SECTION_SYNC     "sync"

#define DEFAULT_ADDRESS          "127.0.0.1"
#define DEFAULT_PORT             8470
#define DEFAULT_MAX_BODY         (64 * 1024)
#define DEFAULT_MAX_HEADER       (8 * 1024)
#define DEFAULT_MAX_CONNECTIONS  1024
#define DEFAULT_REQUEST_TIMEOUT  10
#define DEFAULT_HEADER_TIMEOUT   10
#define DEFAULT_BODY_TIMEOUT     30
#define DEFAULT_MAX_BATCH        100
#define DEFAULT_LOG_QUEUE        4096
#define DEFAULT_SHUTDOWN_TIMEOUT 10
#define DEFAULT_ADMIN_SOCKET     RG_RUNDIR "/rolegated.sock"
#define DEFAULT_USER_HEADER      "X-Rolegate-User"
#define HEADER_NAME_MAX          64

/* Thirty directory_refresh_ms periods at the library's default: a server
 * restart or a fail-over passes unnoticed, an outage does not. */
#define DEFAULT_DIRECTORY_MAX_AGE 30
#define DIRECTORY_MAX_AGE_MAX     (24u * 3600)
/* directory_max_age is in seconds, directory_refresh_ms in milliseconds. */
#define MS_PER_S 1000LL

/*
 * An admin bearer token: long and varied enough that guessing it is
 * hopeless, and printable ASCII without blanks (RFC 6750 carries it in a
 * header; a blank or control character is a file written wrong).
 */
#define TOKEN_MIN          32
#define TOKEN_DISTINCT_MIN 10
#define TOKEN_CHAR_FIRST   0x21 /* '!' */
#define TOKEN_CHAR_LAST    0x7e /* '~' */

/* Words meaning "no such thing" for a path setting. */
#define OFF_WORD "off"

/* The longest path a Unix socket can be bound to (sun_path, NUL ended). */
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

const char *const rgd_conf_sections[] = {SECTION_SETTINGS, SECTION_ROUTE,
                                         SECTION_SYNC, NULL};

/* ---- small helpers --------------------------------------------------- */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    RG_PRINTF(4, 5);

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Letters, digits and '_', not empty, at most RGD_NAME_MAX - 1. */
static int name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= RGD_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_name_char(s[i]))
			return 0;
	return 1;
}

/* A route or attribute key: name characters plus '-' and '.'. */
static int id_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= RGD_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_name_char(s[i]) && s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

/* The directory of file, made absolute; to free(). */
static char *file_dir(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;
	char *dir, *abs;

	if (!slash)
		dir = strdup(".");
	else if (slash == file)
		dir = strdup("/");
	else
		dir = strndup(file, (size_t)(slash - file));
	if (!dir)
		return NULL;
	abs = realpath(dir, NULL);
	if (!abs)
		return dir;
	free(dir);
	return abs;
}

/* value resolved against the config file's directory; to free(). */
static char *resolve_path(const char *file, const char *value)
{
	char *dir, *out;
	size_t len;

	if (value[0] == '/')
		return strdup(value);
	dir = file_dir(file);
	if (!dir)
		return NULL;
	len = strlen(dir) + strlen(value) + 2;
	out = malloc(len);
	if (out)
		snprintf(out, len, "%s/%s", strcmp(dir, "/") ? dir : "", value);
	free(dir);
	return out;
}

/* ---- [rolegated] ------------------------------------------------------ */

enum setting_type {
	ST_ADDRESS,  /* numeric address */
	ST_UINT,     /* whole number in [min, max] */
	ST_SIZE,     /* bytes, with an optional k or M suffix */
	ST_LOGFILE,  /* path, "-" or off */
	ST_SOCKET,   /* path or off */
	ST_LISTEN,   /* absolute path of a Unix socket, or off */
	ST_PATH,     /* path */
	ST_HOSTPORT, /* ADDR:PORT */
	ST_BOOL,     /* yes|no|on|off|true|false|1|0 */
	ST_LOG,      /* stderr|syslog */
	ST_HEADER,   /* an HTTP header name */
	ST_URI_FROM, /* X-Original-URI|X-Forwarded-Uri|path */
};

struct setting {
	const char *key;
	enum setting_type type;
	size_t offset;
	unsigned long min, max;
};

#define SET(key, type, member, min, max)                                       \
	{                                                                      \
		key, type, offsetof(struct rgd_settings, member), min, max     \
	}

static const struct setting settings[] = {
    SET("address", ST_ADDRESS, address, 0, 0),
    SET("port", ST_UINT, port, 0, 65535),
    SET("listen_socket", ST_LISTEN, listen_socket, 0, 0),
    SET("threads", ST_UINT, threads, 0, 256),
    SET("max_body", ST_SIZE, max_body, 256, 64 * 1024 * 1024),
    SET("max_header", ST_SIZE, max_header, 4096, 1024 * 1024),
    SET("max_connections", ST_UINT, max_connections, 1, 1000000),
    SET("request_timeout", ST_UINT, request_timeout, 1, 3600),
    SET("max_batch", ST_UINT, max_batch, 1, 10000),
    SET("decision_log", ST_LOGFILE, decision_log, 0, 0),
    SET("decision_log_queue", ST_UINT, decision_log_queue, 16, 1048576),
    SET("log", ST_LOG, log, 0, 0),
    SET("admin_socket", ST_SOCKET, admin_socket, 0, 0),
    SET("admin_listen", ST_HOSTPORT, admin_listen, 0, 0),
    SET("admin_token_file", ST_PATH, admin_token_file, 0, 0),
    SET("authz_headers", ST_BOOL, authz_headers, 0, 1),
    SET("authz_roles_header", ST_BOOL, authz_roles_header, 0, 1),
    SET("authz_user_header", ST_HEADER, authz_user_header, 0, 0),
    SET("shutdown_timeout", ST_UINT, shutdown_timeout, 0, 3600),
    SET("header_timeout", ST_UINT, header_timeout, 1, 3600),
    SET("body_timeout", ST_UINT, body_timeout, 1, 3600),
    SET("max_connections_per_address", ST_UINT, max_connections_per_address, 0,
        1000000),
    SET("authz_uri_from", ST_URI_FROM, authz_uri_from, 0, 0),
    SET("authz_reasons", ST_BOOL, authz_reasons, 0, 1),
    SET("directory_max_age", ST_UINT, directory_max_age, 0,
        DIRECTORY_MAX_AGE_MAX),
};

#define NSETTINGS RG_COUNTOF(settings)

_Static_assert(NSETTINGS <= RG_COUNTOF(((struct rgd_conf *)0)->seen),
               "struct rgd_conf: seen[] has fewer slots than settings");

int rgd_conf_init(struct rgd_conf *c)
{
	struct rgd_settings *s = &c->s;

	memset(c, 0, sizeof(*c));
	s->address = strdup(DEFAULT_ADDRESS);
	s->admin_socket = strdup(DEFAULT_ADMIN_SOCKET);
	s->authz_user_header = strdup(DEFAULT_USER_HEADER);
	s->port = DEFAULT_PORT;
	s->max_body = DEFAULT_MAX_BODY;
	s->max_header = DEFAULT_MAX_HEADER;
	s->max_connections = DEFAULT_MAX_CONNECTIONS;
	s->request_timeout = DEFAULT_REQUEST_TIMEOUT;
	s->header_timeout = DEFAULT_HEADER_TIMEOUT;
	s->body_timeout = DEFAULT_BODY_TIMEOUT;
	s->max_batch = DEFAULT_MAX_BATCH;
	s->decision_log_queue = DEFAULT_LOG_QUEUE;
	s->log = RGD_LOG_STDERR;
	s->authz_headers = 1;
	s->authz_reasons = 1;
	s->authz_uri_from = RGD_URI_ORIGINAL;
	s->shutdown_timeout = DEFAULT_SHUTDOWN_TIMEOUT;
	s->directory_max_age = DEFAULT_DIRECTORY_MAX_AGE;
	if (!s->address || !s->admin_socket || !s->authz_user_header) {
		rgd_conf_free(c);
		return RG_ENOMEM;
	}
	return RG_OK;
}

static void sync_free(struct rgd_sync *y)
{
	free(y->service);
	free(y->file);
	free(y->from);
	free(y->token_file);
	free(y->map);
}

static void route_free(struct rgd_route *r)
{
	size_t i;

	free(r->name);
	free(r->file);
	for (i = 0; i < r->nmethods; i++)
		free(r->methods[i]);
	free(r->path);
	for (i = 0; i < r->nsegs; i++)
		free(r->segs[i].text);
	free(r->service);
	free(r->action);
	for (i = 0; i < r->nattrs; i++) {
		free(r->attrs[i].key);
		free(r->attrs[i].tmpl);
	}
	for (i = 0; i < r->nrequire; i++)
		free(r->require[i]);
}

void rgd_conf_free(struct rgd_conf *c)
{
	size_t i;

	free(c->s.address);
	free(c->s.listen_socket);
	free(c->s.decision_log);
	free(c->s.admin_socket);
	free(c->s.admin_listen);
	free(c->s.admin_token_file);
	free(c->s.authz_user_header);
	free(c->file);
	for (i = 0; i < c->nroutes; i++)
		route_free(&c->routes[i]);
	free(c->routes);
	for (i = 0; i < c->nsyncs; i++)
		sync_free(&c->syncs[i]);
	free(c->syncs);
	memset(c, 0, sizeof(*c));
}

/* Parses a whole number; -1 when value is not one. */
static int parse_ulong(const char *value, unsigned long *out)
{
	char *end;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	*out = strtoul(value, &end, 10);
	if (*end || *out == ULONG_MAX)
		return -1;
	return 0;
}

/* Bytes: N, Nk or NM (binary multiples). */
static int parse_size(const char *value, unsigned long *out)
{
	static const unsigned long kib = 1024;
	char num[32];
	size_t len = strlen(value);
	unsigned long mult = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, value, len + 1);
	if (num[len - 1] == 'k' || num[len - 1] == 'K')
		mult = kib;
	else if (num[len - 1] == 'm' || num[len - 1] == 'M')
		mult = kib * kib;
	if (mult != 1)
		num[len - 1] = '\0';
	if (parse_ulong(num, out) < 0 || *out > ULONG_MAX / mult)
		return -1;
	*out *= mult;
	return 0;
}

static int parse_bool(const char *value, int *out)
{
	int b = rg_bool_word(value);

	if (b < 0)
		return -1;
	*out = b;
	return 0;
}

static int address_valid(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

/* The host part of "ADDR:PORT" or "[ADDR6]:PORT" into host (size bytes),
 * without brackets; -1 when there is none or it does not fit. */
static int hostport_host(const char *s, char *host, size_t size)
{
	const char *colon = strrchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : 0;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= size)
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	return 0;
}

/* "ADDR:PORT" or "[ADDR6]:PORT" with a port from 1 to 65535. */
static int hostport_valid(const char *s)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long port;

	if (!colon || parse_ulong(colon + 1, &port) < 0 || port == 0 ||
	    port > 65535)
		return 0;
	return hostport_host(s, host, sizeof(host)) == 0 && address_valid(host);
}

static int header_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= HEADER_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_name_char(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Replaces a string setting. */
static int set_string(char **dst, char *value)
{
	if (!value)
		return RG_ENOMEM;
	free(*dst);
	*dst = value;
	return RG_OK;
}

static int number_setting(const struct setting *st, const char *value,
                          void *dst, char *err, size_t errlen)
{
	unsigned long n;
	int bad = st->type == ST_SIZE ? parse_size(value, &n)
	                              : parse_ulong(value, &n);

	if (bad < 0 || n < st->min || n > st->max)
		return fail(err, errlen, RG_ECONFIG,
		            "%s = '%s': expected a whole number from %lu to "
		            "%lu%s",
		            st->key, value, st->min, st->max,
		            st->type == ST_SIZE ? " (bytes; k and M suffixes "
		                                  "allowed)"
		                                : "");
	if (st->type == ST_SIZE)
		*(size_t *)dst = n;
	else
		*(unsigned *)dst = (unsigned)n;
	return RG_OK;
}

/* Refuses a socket path (of setting key) longer than sun_path holds. */
static int socket_too_long(const char *key, size_t len, char *err,
                           size_t errlen)
{
	return fail(
	    err, errlen, RG_ECONFIG,
	    "%s: the path has %zu bytes; a Unix socket path has at most "
	    "%zu (sun_path)",
	    key, len, SUN_PATH_MAX);
}

int rgd_conf_default_admin_socket(struct rgd_conf *c, const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		return RG_ENOMEM;
	free(c->s.admin_socket);
	c->s.admin_socket = copy;
	return RG_OK;
}

/* admin_socket: path (allocated, NULL when out of memory), resolved
 * against the file, when it fits in sun_path. */
static int admin_socket_setting(char **dst, char *path, char *err,
                                size_t errlen)
{
	size_t len = path ? strlen(path) : 0;

	if (len > SUN_PATH_MAX) {
		free(path);
		return socket_too_long("admin_socket", len, err, errlen);
	}
	return set_string(dst, path);
}

/*
 * listen_socket: an absolute path that fits in sun_path and names a file,
 * or off.  Relative paths are refused rather than resolved: the gateway
 * names the same path in its own configuration.
 */
static int listen_setting(const char *value, char **dst, char *err,
                          size_t errlen)
{
	size_t len = strlen(value);

	if (len == 0)
		return fail(err, errlen, RG_ECONFIG,
		            "listen_socket needs an absolute path or off");
	if (strcmp(value, OFF_WORD) == 0) {
		free(*dst);
		*dst = NULL;
		return RG_OK;
	}
	if (value[0] != '/')
		return fail(err, errlen, RG_ECONFIG,
		            "listen_socket = '%s': expected an absolute path "
		            "(starting with '/') or off",
		            value);
	if (len > SUN_PATH_MAX)
		return socket_too_long("listen_socket", len, err, errlen);
	if (value[len - 1] == '/')
		return fail(err, errlen, RG_ECONFIG,
		            "listen_socket = '%s': expected the path of a "
		            "socket file, not of a directory",
		            value);
	return set_string(dst, strdup(value));
}

/* The words authz_uri_from takes, in enum rgd_uri_from's order. */
static const char *const uri_from_words[RGD_URI_COUNT] = {
    "X-Original-URI", "X-Forwarded-Uri", "path"};

const char *rgd_uri_from_word(enum rgd_uri_from k)
{
	return k < RGD_URI_COUNT ? uri_from_words[k] : "?";
}

static int uri_from_setting(const char *value, enum rgd_uri_from *dst,
                            char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < RGD_URI_COUNT; i++)
		if (strcasecmp(value, uri_from_words[i]) == 0) {
			*dst = (enum rgd_uri_from)i;
			return RG_OK;
		}
	return fail(err, errlen, RG_ECONFIG,
	            "authz_uri_from = '%s': expected X-Original-URI (nginx), "
	            "X-Forwarded-Uri (Traefik, Caddy) or path (Envoy)",
	            value);
}

static int apply_setting(struct rgd_conf *c, const struct setting *st,
                         const char *value, const char *file, char *err,
                         size_t errlen)
{
	void *dst = (char *)&c->s + st->offset;
	int b;

	switch (st->type) {
	case ST_ADDRESS:
		if (!address_valid(value))
			return fail(err, errlen, RG_ECONFIG,
			            "address = '%s': expected a numeric IPv4 "
			            "or IPv6 address",
			            value);
		return set_string(dst, strdup(value));
	case ST_UINT:
	case ST_SIZE:
		return number_setting(st, value, dst, err, errlen);
	case ST_LOGFILE:
		if (!*value)
			return fail(err, errlen, RG_ECONFIG,
			            "decision_log needs a path, '-' (standard "
			            "output) or off");
		if (strcmp(value, OFF_WORD) == 0) {
			free(*(char **)dst);
			*(char **)dst = NULL;
			return RG_OK;
		}
		return set_string(dst, strcmp(value, "-") == 0
		                           ? strdup(value)
		                           : resolve_path(file, value));
	case ST_SOCKET:
		c->s.admin_socket_set = 1;
		if (!*value)
			return fail(err, errlen, RG_ECONFIG,
			            "admin_socket needs a path or off");
		if (strcmp(value, OFF_WORD) == 0) {
			free(*(char **)dst);
			*(char **)dst = NULL;
			return RG_OK;
		}
		return admin_socket_setting(dst, resolve_path(file, value), err,
		                            errlen);
	case ST_LISTEN:
		return listen_setting(value, dst, err, errlen);
	case ST_PATH:
		if (!*value)
			return fail(err, errlen, RG_ECONFIG, "%s needs a path",
			            st->key);
		return set_string(dst, resolve_path(file, value));
	case ST_HOSTPORT:
		if (!hostport_valid(value))
			return fail(err, errlen, RG_ECONFIG,
			            "%s = '%s': expected ADDRESS:PORT with a "
			            "numeric address ([ADDRESS]:PORT for "
			            "IPv6)",
			            st->key, value);
		return set_string(dst, strdup(value));
	case ST_BOOL:
		if (parse_bool(value, &b) < 0)
			return fail(err, errlen, RG_ECONFIG,
			            "%s = '%s': expected yes or no", st->key,
			            value);
		*(int *)dst = b;
		return RG_OK;
	case ST_HEADER:
		if (!header_valid(value))
			return fail(
			    err, errlen, RG_ECONFIG,
			    "%s = '%s': expected a header name (letters, "
			    "digits and '-', at most %d)",
			    st->key, value, HEADER_NAME_MAX - 1);
		return set_string(dst, strdup(value));
	case ST_URI_FROM:
		return uri_from_setting(value, dst, err, errlen);
	case ST_LOG:
		if (strcmp(value, "stderr") == 0)
			c->s.log = RGD_LOG_STDERR;
		else if (strcmp(value, "syslog") == 0)
			c->s.log = RGD_LOG_SYSLOG;
		else
			return fail(err, errlen, RG_ECONFIG,
			            "log = '%s': expected stderr or syslog",
			            value);
		return RG_OK;
	}
	return RG_EINTERNAL;
}

static int settings_key(struct rgd_conf *c, const char *section,
                        const char *key, const char *value, const char *file,
                        unsigned line, char *err, size_t errlen)
{
	size_t i;

	if (strcmp(section, SECTION_SETTINGS) != 0)
		return fail(err, errlen, RG_ECONFIG,
		            "unexpected section name [%s]: expected "
		            "[" SECTION_SETTINGS "]",
		            section);
	if (!c->s.line)
		c->s.line = line;
	for (i = 0; i < NSETTINGS; i++) {
		if (strcmp(key, settings[i].key) != 0)
			continue;
		if (c->seen[i])
			return fail(err, errlen, RG_ECONFIG,
			            "duplicate key '%s' (first at line %u)",
			            key, c->seen[i]);
		c->seen[i] = line;
		return apply_setting(c, &settings[i], value, file, err, errlen);
	}
	return fail(err, errlen, RG_ECONFIG,
	            "unknown key '%s' in [" SECTION_SETTINGS "]: expected "
	            "address, port, listen_socket, threads, max_body, "
	            "max_header, max_connections, request_timeout, "
	            "max_batch, decision_log, decision_log_queue, log, "
	            "admin_socket, admin_listen, admin_token_file, "
	            "authz_headers, authz_roles_header, authz_user_header, "
	            "shutdown_timeout, header_timeout, body_timeout, "
	            "max_connections_per_address, authz_uri_from, "
	            "authz_reasons or directory_max_age",
	            key);
}

/* ---- [route NAME] ------------------------------------------------------- */

static struct rgd_route *route_find(struct rgd_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->routes[i].name, name) == 0)
			return &c->routes[i];
	return NULL;
}

static int route_add(struct rgd_conf *c, const char *name, const char *file,
                     unsigned line, struct rgd_route **out)
{
	struct rgd_route *r;

	if (RG_GROW(c->routes, c->caproutes, c->nroutes + 1) != RG_OK)
		return RG_ENOMEM;
	r = &c->routes[c->nroutes];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	r->file = dup_str(file);
	r->line = line;
	if (!r->name || (file && !r->file)) {
		route_free(r);
		return RG_ENOMEM;
	}
	c->nroutes++;
	*out = r;
	return RG_OK;
}

/* The capture named name (len bytes) in r's path, or -1 (rgdconf.h). */
long rgd_capture_index(const struct rgd_route *r, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < r->nsegs; i++)
		if (r->segs[i].kind == RGD_SEG_CAPTURE &&
		    strlen(r->segs[i].text) == len &&
		    strncmp(r->segs[i].text, name, len) == 0)
			return (long)i;
	return -1;
}

/*
 * Checks a template: literal text and {NAME}s.  With r's path known, every
 * NAME must be one of its captures.  Returns RG_OK or an error in err.
 */
static int template_check(const struct rgd_route *r, const char *key,
                          const char *tmpl, char *err, size_t errlen)
{
	const char *p = tmpl;

	while (*p) {
		const char *close;

		if (*p == '}')
			return fail(err, errlen, RG_ECONFIG,
			            "attribute %s: '}' without '{'", key);
		if (*p != '{') {
			p++;
			continue;
		}
		close = strchr(p, '}');
		if (!close || !name_valid(p + 1, (size_t)(close - p - 1)))
			return fail(err, errlen, RG_ECONFIG,
			            "attribute %s: expected {NAME} with "
			            "letters, digits or '_' in '%s'",
			            key, tmpl);
		if (r->path &&
		    rgd_capture_index(r, p + 1, (size_t)(close - p - 1)) < 0)
			return fail(err, errlen, RG_ECONFIG,
			            "attribute %s: {%.*s} is not captured by "
			            "path %s",
			            key, (int)(close - p - 1), p + 1, r->path);
		p = close + 1;
	}
	return RG_OK;
}

/* One "KEY=TEMPLATE" word of an attr line. */
static int attr_word(struct rgd_route *r, const char *word, size_t len,
                     unsigned line, char *err, size_t errlen)
{
	const char *eq = memchr(word, '=', len);
	struct rgd_route_attr *a;
	int rc;

	if (!eq || !id_valid(word, (size_t)(eq - word)))
		return fail(err, errlen, RG_ECONFIG,
		            "attr '%.*s': expected NAME=VALUE with a name of "
		            "letters, digits, '_', '-' or '.'",
		            (int)len, word);
	if (r->nattrs == RGD_ROUTE_ATTRS_MAX)
		return fail(err, errlen, RG_ECONFIG,
		            "route %s: too many attributes (at most %d)",
		            r->name, RGD_ROUTE_ATTRS_MAX);
	a = &r->attrs[r->nattrs];
	a->key = strndup(word, (size_t)(eq - word));
	a->tmpl = strndup(eq + 1, len - (size_t)(eq + 1 - word));
	a->line = line;
	if (!a->key || !a->tmpl) {
		free(a->key);
		free(a->tmpl);
		return RG_ENOMEM;
	}
	rc = template_check(r, a->key, a->tmpl, err, errlen);
	if (rc != RG_OK) {
		free(a->key);
		free(a->tmpl);
		return rc;
	}
	r->nattrs++;
	return RG_OK;
}

static int route_attr(struct rgd_route *r, const char *value, unsigned line,
                      char *err, size_t errlen)
{
	const char *p = value;
	int words = 0;

	while (*p) {
		size_t len;
		int rc;

		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len == 0)
			break;
		rc = attr_word(r, p, len, line, err, errlen);
		if (rc != RG_OK)
			return rc;
		words++;
		p += len;
	}
	if (!words)
		return fail(err, errlen, RG_ECONFIG,
		            "attr needs NAME=VALUE [NAME=VALUE ...]");
	return RG_OK;
}

/* require = NAME[, NAME ...]: attributes a matched request must have. */
static int route_require(struct rgd_route *r, const char *value, unsigned line,
                         char *err, size_t errlen)
{
	const char *p = value;
	size_t before = r->nrequire;

	while (*p) {
		size_t len;

		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		if (!id_valid(p, len))
			return fail(err, errlen, RG_ECONFIG,
			            "require '%.*s': expected attribute names "
			            "of letters, digits, '_', '-' or '.'",
			            (int)len, p);
		if (r->nrequire == RGD_ROUTE_ATTRS_MAX)
			return fail(err, errlen, RG_ECONFIG,
			            "route %s: too many required attributes "
			            "(at most %d)",
			            r->name, RGD_ROUTE_ATTRS_MAX);
		r->require[r->nrequire] = strndup(p, len);
		if (!r->require[r->nrequire])
			return RG_ENOMEM;
		r->nrequire++;
		p += len;
	}
	if (r->nrequire == before)
		return fail(err, errlen, RG_ECONFIG,
		            "require needs NAME [, NAME ...]");
	if (!r->require_line)
		r->require_line = line;
	return RG_OK;
}

static int route_method(struct rgd_route *r, const char *value, char *err,
                        size_t errlen)
{
	const char *p = value;

	while (*p) {
		size_t len, i;

		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		if (len == 1 && *p == '*') {
			if (r->nmethods || p[1])
				return fail(err, errlen, RG_ECONFIG,
				            "method '*' means any method: "
				            "give it alone");
			return RG_OK;
		}
		for (i = 0; i < len; i++)
			if (p[i] < 'A' || p[i] > 'Z')
				return fail(err, errlen, RG_ECONFIG,
				            "method '%.*s': expected "
				            "upper-case methods (GET POST "
				            "...) or *",
				            (int)len, p);
		if (r->nmethods == RGD_ROUTE_METHODS_MAX)
			return fail(err, errlen, RG_ECONFIG,
			            "too many methods (at most %d)",
			            RGD_ROUTE_METHODS_MAX);
		r->methods[r->nmethods] = strndup(p, len);
		if (!r->methods[r->nmethods])
			return RG_ENOMEM;
		r->nmethods++;
		p += len;
	}
	if (!r->nmethods)
		return fail(err, errlen, RG_ECONFIG,
		            "method needs METHOD [METHOD ...] or *");
	return RG_OK;
}

/* One segment of a path pattern, at seg (len bytes). */
static int pattern_segment(struct rgd_route *r, const char *seg, size_t len,
                           char *err, size_t errlen)
{
	struct rgd_seg *s = &r->segs[r->nsegs];
	size_t i;

	if (r->nsegs == RGD_ROUTE_SEGMENTS_MAX)
		return fail(err, errlen, RG_ECONFIG,
		            "path has too many segments (at most %d)",
		            RGD_ROUTE_SEGMENTS_MAX);
	if (len >= 2 && seg[0] == '{' && seg[len - 1] == '}') {
		if (!name_valid(seg + 1, len - 2))
			return fail(err, errlen, RG_ECONFIG,
			            "path: capture '%.*s' needs a name of "
			            "letters, digits or '_'",
			            (int)len, seg);
		if (rgd_capture_index(r, seg + 1, len - 2) >= 0)
			return fail(err, errlen, RG_ECONFIG,
			            "path: capture %.*s appears twice",
			            (int)len, seg);
		s->kind = RGD_SEG_CAPTURE;
		s->text = strndup(seg + 1, len - 2);
	} else {
		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return fail(err, errlen, RG_ECONFIG,
			            "path: '.' and '..' segments never match");
		for (i = 0; i < len; i++)
			if (strchr("{}*%\\?#", seg[i]))
				return fail(err, errlen, RG_ECONFIG,
				            "path: segment '%.*s': '%c' is "
				            "only allowed as {NAME} or a "
				            "trailing /*",
				            (int)len, seg, seg[i]);
		s->kind = RGD_SEG_LITERAL;
		s->text = strndup(seg, len);
	}
	if (!s->text)
		return RG_ENOMEM;
	r->nsegs++;
	return RG_OK;
}

static int route_path(struct rgd_route *r, const char *value, char *err,
                      size_t errlen)
{
	const char *p = value;
	size_t i;
	int rc;

	if (value[0] != '/')
		return fail(err, errlen, RG_ECONFIG,
		            "path '%s': expected a path starting with '/'",
		            value);
	if (strpbrk(value, " \t"))
		return fail(err, errlen, RG_ECONFIG,
		            "path '%s': blanks are not allowed", value);
	r->path = strdup(value);
	if (!r->path)
		return RG_ENOMEM;
	/* "/" alone has no segment; a trailing "/" is an empty last one. */
	while (*p == '/' && p[1]) {
		const char *seg = p + 1;
		size_t len = strcspn(seg, "/");

		if (len == 1 && seg[0] == '*' && !seg[1]) {
			r->rest = 1;
			break;
		}
		if (len == 0 && seg[0] == '/')
			return fail(err, errlen, RG_ECONFIG,
			            "path '%s': empty segment ('//')", value);
		rc = pattern_segment(r, seg, len, err, errlen);
		if (rc != RG_OK)
			return rc;
		p = seg + len;
	}
	if (*p == '/' && !p[1] && p != value) {
		rc = pattern_segment(r, "", 0, err, errlen);
		if (rc != RG_OK)
			return rc;
	}
	/* Attributes given before the path name captures: check them now. */
	for (i = 0; i < r->nattrs; i++) {
		rc = template_check(r, r->attrs[i].key, r->attrs[i].tmpl, err,
		                    errlen);
		if (rc != RG_OK)
			return rc;
	}
	return RG_OK;
}

/* A key that may appear once: remembers its line, refuses a second. */
static int once(unsigned *seen, const char *key, unsigned line, char *err,
                size_t errlen)
{
	if (*seen)
		return fail(err, errlen, RG_ECONFIG,
		            "duplicate key '%s' (first at line %u)", key,
		            *seen);
	*seen = line;
	return RG_OK;
}

static int route_key_apply(struct rgd_route *r, const char *key,
                           const char *value, unsigned line, char *err,
                           size_t errlen)
{
	int rc;

	if (strcmp(key, "method") == 0) {
		rc = once(&r->method_line, key, line, err, errlen);
		return rc == RG_OK ? route_method(r, value, err, errlen) : rc;
	}
	if (strcmp(key, "path") == 0) {
		rc = once(&r->path_line, key, line, err, errlen);
		return rc == RG_OK ? route_path(r, value, err, errlen) : rc;
	}
	if (strcmp(key, "service") == 0 || strcmp(key, "action") == 0) {
		int svc = key[0] == 's';

		rc = once(svc ? &r->service_line : &r->action_line, key, line,
		          err, errlen);
		if (rc != RG_OK)
			return rc;
		if (!*value || strpbrk(value, " \t"))
			return fail(err, errlen, RG_ECONFIG,
			            "%s needs one %s id", key,
			            svc ? "service" : "action");
		return set_string(svc ? &r->service : &r->action,
		                  strdup(value));
	}
	if (strcmp(key, "attr") == 0)
		return route_attr(r, value, line, err, errlen);
	if (strcmp(key, "require") == 0)
		return route_require(r, value, line, err, errlen);
	return fail(err, errlen, RG_ECONFIG,
	            "unknown key '%s' in [route %s]: expected method, path, "
	            "service, action, attr or require",
	            key, r->name);
}

/* The route of section [route NAME], added at line when it is new. */
static int route_of(struct rgd_conf *c, const char *section, const char *file,
                    unsigned line, char *err, size_t errlen,
                    struct rgd_route **out)
{
	const char *name = section + strlen(SECTION_ROUTE);

	name += strspn(name, " \t");
	if (!id_valid(name, strlen(name)))
		return fail(err, errlen, RG_ECONFIG,
		            "[%s]: expected [route NAME] with a name of "
		            "letters, digits, '_', '-' or '.'",
		            section);
	*out = route_find(c, name);
	return *out ? RG_OK : route_add(c, name, file, line, out);
}

static int route_open(struct rgd_conf *c, const char *section, const char *file,
                      unsigned line, char *err, size_t errlen)
{
	struct rgd_route *r;

	return route_of(c, section, file, line, err, errlen, &r);
}

static int route_key(struct rgd_conf *c, const char *section, const char *key,
                     const char *value, const char *file, unsigned line,
                     char *err, size_t errlen)
{
	struct rgd_route *r;
	int rc;

	rc = route_of(c, section, file, line, err, errlen, &r);
	if (rc != RG_OK)
		return rc;
	rc = route_key_apply(r, key, value, line, err, errlen);
	/* A route with a bad line never matches (and rolegated refuses the
	 * whole configuration anyway). */
	if (rc != RG_OK)
		r->broken = 1;
	return rc;
}

/* ---- [sync SERVICE] ------------------------------------------------------ */

int rgd_url_allowed(const char *url)
{
	static const char *const local[] = {"http://127.0.0.1",
	                                    "http://localhost", "http://[::1]"};
	size_t i, host = strcspn(url, "/") + 2;

	/* user:password@ would be recorded in the audit trail. */
	if (strlen(url) > host &&
	    strcspn(url + host, "/@") < strcspn(url + host, "/"))
		return 0;
	if (strncmp(url, "https://", strlen("https://")) == 0)
		return url[strlen("https://")] != '\0';
	for (i = 0; i < RG_COUNTOF(local); i++) {
		size_t n = strlen(local[i]);

		if (strncmp(url, local[i], n) == 0 &&
		    (url[n] == '\0' || url[n] == ':' || url[n] == '/'))
			return 1;
	}
	return 0;
}

const struct rgd_sync *rgd_conf_sync(const struct rgd_conf *c,
                                     const char *service)
{
	size_t i;

	for (i = 0; i < c->nsyncs; i++)
		if (strcmp(c->syncs[i].service, service) == 0)
			return &c->syncs[i];
	return NULL;
}

/* The keys of [sync SERVICE], in the order of struct rgd_sync's seen[]. */
static const char *const sync_keys[] = {"from", "token_file", "map", "interval",
                                        "prune"};

_Static_assert(RG_COUNTOF(sync_keys) ==
                   RG_COUNTOF(((struct rgd_sync *)0)->seen),
               "struct rgd_sync: seen[] has a slot per key");

enum sync_key { SK_FROM, SK_TOKEN_FILE, SK_MAP, SK_INTERVAL, SK_PRUNE };

static int sync_number(struct rgd_sync *y, const char *value, char *err,
                       size_t errlen)
{
	unsigned long n;

	if (parse_ulong(value, &n) < 0 || n > RGD_SYNC_INTERVAL_MAX)
		return fail(err, errlen, RG_ECONFIG,
		            "interval = '%s': expected seconds from 0 (no "
		            "periodic sync) to %u",
		            value, RGD_SYNC_INTERVAL_MAX);
	y->interval = (unsigned)n;
	return RG_OK;
}

static int sync_key_apply(struct rgd_sync *y, enum sync_key k,
                          const char *value, const char *file, char *err,
                          size_t errlen)
{
	switch (k) {
	case SK_FROM:
		if (!rgd_url_allowed(value))
			return fail(err, errlen, RG_ECONFIG,
			            "from = '%s': expected an https:// URL "
			            "(http:// only to 127.0.0.1, localhost or "
			            "[::1]) without credentials in it",
			            value);
		return set_string(&y->from, strdup(value));
	case SK_TOKEN_FILE:
	case SK_MAP:
		if (!*value)
			return fail(err, errlen, RG_ECONFIG, "%s needs a path",
			            sync_keys[k]);
		return set_string(k == SK_MAP ? &y->map : &y->token_file,
		                  resolve_path(file, value));
	case SK_INTERVAL:
		return sync_number(y, value, err, errlen);
	case SK_PRUNE:
		if (parse_bool(value, &y->prune) < 0)
			return fail(err, errlen, RG_ECONFIG,
			            "prune = '%s': expected yes or no", value);
		return RG_OK;
	}
	return RG_EINTERNAL;
}

/* The [sync SERVICE] of section, added at line when it is new. */
static int sync_of(struct rgd_conf *c, const char *section, const char *file,
                   unsigned line, char *err, size_t errlen,
                   struct rgd_sync **out)
{
	const char *name = section + strlen(SECTION_SYNC);
	struct rgd_sync *y;

	*out = NULL;
	name += strspn(name, " \t");
	if (!id_valid(name, strlen(name)))
		return fail(err, errlen, RG_ECONFIG,
		            "[%s]: expected [sync SERVICE] with a service id",
		            section);
	*out = (struct rgd_sync *)rgd_conf_sync(c, name);
	if (*out)
		return RG_OK;
	if (RG_GROW(c->syncs, c->capsyncs, c->nsyncs + 1) != RG_OK)
		return RG_ENOMEM;
	y = &c->syncs[c->nsyncs];
	memset(y, 0, sizeof(*y));
	y->service = strdup(name);
	y->file = dup_str(file);
	y->line = line;
	if (!y->service || (file && !y->file)) {
		sync_free(y);
		return RG_ENOMEM;
	}
	c->nsyncs++;
	*out = y;
	return RG_OK;
}

static int sync_key(struct rgd_conf *c, const char *section, const char *key,
                    const char *value, const char *file, unsigned line,
                    char *err, size_t errlen)
{
	struct rgd_sync *y = NULL;
	size_t k;
	int rc = sync_of(c, section, file, line, err, errlen, &y);

	if (rc != RG_OK || !key)
		return rc;
	for (k = 0; k < RG_COUNTOF(sync_keys); k++)
		if (strcmp(key, sync_keys[k]) == 0)
			break;
	if (k == RG_COUNTOF(sync_keys))
		return fail(err, errlen, RG_ECONFIG,
		            "unknown key '%s' in [sync %s]: expected from, "
		            "token_file, map, interval or prune",
		            key, y->service);
	rc = once(&y->seen[k], key, line, err, errlen);
	return rc == RG_OK ? sync_key_apply(y, (enum sync_key)k, value, file,
	                                    err, errlen)
	                   : rc;
}

/* 1 when section's first word is word. */
static int section_is(const char *section, const char *word)
{
	size_t first = strcspn(section, " \t");

	return first == strlen(word) && strncmp(section, word, first) == 0;
}

int rgd_conf_key(void *user, const char *section, const char *key,
                 const char *value, const char *file, unsigned line, char *err,
                 size_t errlen)
{
	struct rgd_conf *c = user;
	int is_route = section_is(section, SECTION_ROUTE);

	if (!c->file && file) {
		c->file = strdup(file);
		if (!c->file)
			return RG_ENOMEM;
	}
	/* A [sync SERVICE] exists from its header on too. */
	if (section_is(section, SECTION_SYNC))
		return sync_key(c, section, key, value, file, line, err,
		                errlen);
	/* A section opens (RG_OPEN_APP_SECTION_OPEN): a route exists from
	 * its header on, so that rgd_conf_check() sees an empty one. */
	if (!key)
		return is_route
		           ? route_open(c, section, file, line, err, errlen)
		           : RG_OK;
	if (is_route)
		return route_key(c, section, key, value, file, line, err,
		                 errlen);
	return settings_key(c, section, key, value, file, line, err, errlen);
}

/* ---- Whole-file checks -------------------------------------------------- */

static void problem(rgd_problem_fn fn, void *user, int warning,
                    const char *file, unsigned line, const char *fmt, ...)
    RG_PRINTF(6, 7);

static void problem(rgd_problem_fn fn, void *user, int warning,
                    const char *file, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "%s:%u: ", file ? file : "?", line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	fn(user, warning, msg);
}

/* Whether r builds (attr) or requires (require) the attribute key. */
static int route_sets(const struct rgd_route *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nattrs; i++)
		if (strcmp(r->attrs[i].key, key) == 0)
			return 1;
	for (i = 0; i < r->nrequire; i++)
		if (strcmp(r->require[i], key) == 0)
			return 1;
	return 0;
}

static size_t route_check(const struct rgd_route *r, const rg_context *ctx,
                          rgd_problem_fn fn, void *user)
{
	const rg_service *svc;
	const char *scope;
	size_t n = 0;
	long priv;

	if (!r->path && !r->service && !r->action && !r->method_line &&
	    !r->nattrs && !r->nrequire && !r->broken) {
		problem(fn, user, 0, r->file, r->line,
		        "[route %s] is empty: a route needs a path, a service "
		        "and an action",
		        r->name);
		return 1;
	}
	if (!r->path) {
		problem(fn, user, 0, r->file, r->line, "[route %s] has no path",
		        r->name);
		n++;
	}
	if (!r->service || !r->action) {
		problem(fn, user, 0, r->file, r->line,
		        "[route %s] needs a service and an action", r->name);
		return n + 1;
	}
	if (!ctx)
		return n;
	svc = rg_service_find(ctx, r->service);
	if (!svc) {
		problem(fn, user, 0, r->file, r->service_line,
		        "[route %s]: unknown service '%s'", r->name,
		        r->service);
		return n + 1;
	}
	priv = rg_privilege_find(svc, r->action);
	if (priv < 0)
		problem(fn, user, 1, r->file, r->action_line,
		        "[route %s]: service %s has no action '%s': requests "
		        "the route matches are denied",
		        r->name, r->service, r->action);
	scope = priv < 0 ? NULL : rg_privilege_scope(svc, (size_t)priv);
	if (scope && !route_sets(r, scope))
		problem(fn, user, 1, r->file, r->action_line,
		        "[route %s]: %s is scoped by attribute %s, which the "
		        "route neither builds (attr) nor requires (require): "
		        "a request without it is decided unscoped",
		        r->name, r->action, scope);
	return n;
}

/* The line of a [rolegated] key the file gives, or 0. */
static unsigned setting_line(const struct rgd_conf *c, const char *key)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].key, key) == 0)
			return c->seen[i];
	return 0;
}

/* listen_socket replaces address and port; it is not the admin socket. */
static size_t listen_check(const struct rgd_conf *c, rgd_problem_fn fn,
                           void *user)
{
	const struct rgd_settings *s = &c->s;
	unsigned line = setting_line(c, "listen_socket");
	unsigned address = setting_line(c, "address");
	unsigned port = setting_line(c, "port");
	size_t n = 0;

	if (!s->listen_socket)
		return 0;
	if (address && port) {
		problem(fn, user, 0, c->file, line,
		        "listen_socket replaces address and port: remove "
		        "address (line %u) and port (line %u), or "
		        "listen_socket",
		        address, port);
		n++;
	} else if (address || port) {
		problem(fn, user, 0, c->file, line,
		        "listen_socket replaces address and port: remove %s "
		        "(line %u), or listen_socket",
		        address ? "address" : "port", address ? address : port);
		n++;
	}
	if (s->admin_socket && !s->admin_listen &&
	    strcmp(s->admin_socket, s->listen_socket) == 0) {
		problem(fn, user, 0, c->file, line,
		        "listen_socket is the admin socket's path%s: choose "
		        "another",
		        s->admin_socket_set ? ""
		                            : " (the default admin_socket)");
		n++;
	}
	return n;
}

/* Whether the host of "ADDR:PORT" or "[ADDR6]:PORT" is a loopback one:
 * 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
static int hostport_loopback(const char *hostport)
{
	static const unsigned char v4_net = 127;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
	                                         0, 0, 0, 0, 0xff, 0xff};
	char host[INET6_ADDRSTRLEN + 2];
	unsigned char a[sizeof(struct in6_addr)];

	if (hostport_host(hostport, host, sizeof(host)) < 0)
		return 0;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == v4_net;
	if (inet_pton(AF_INET6, host, a) != 1)
		return 0;
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return a[sizeof(mapped)] == v4_net;
	return memcmp(a, &in6addr_loopback, sizeof(a)) == 0;
}

/* The admin API on TCP: a token, not with a socket, and loopback only
 * (it is plain HTTP: the bearer token travels in clear). */
static size_t admin_check(const struct rgd_conf *c, rgd_problem_fn fn,
                          void *user)
{
	const struct rgd_settings *s = &c->s;
	unsigned line = setting_line(c, "admin_listen");
	size_t n = 0;

	if (!s->admin_listen)
		return 0;
	if (!s->admin_token_file) {
		problem(fn, user, 0, c->file, s->line,
		        "admin_listen needs admin_token_file: the admin API "
		        "is not served on TCP without a token");
		n++;
	}
	if (s->admin_socket && s->admin_socket_set) {
		problem(fn, user, 0, c->file, s->line,
		        "give admin_socket or admin_listen, not both");
		n++;
	}
	if (!hostport_loopback(s->admin_listen))
		problem(fn, user, 1, c->file, line,
		        "admin_listen = %s is not a loopback address: the "
		        "admin API is plain HTTP and its bearer token travels "
		        "in clear; listen on loopback behind a TLS proxy, or "
		        "use admin_socket",
		        s->admin_listen);
	return n;
}

int rgd_token_weak(const char *token, size_t len, char *why, size_t whylen)
{
	unsigned char seen[UCHAR_MAX + 1] = {0};
	size_t i, distinct = 0;

	if (len < TOKEN_MIN || len > RGD_TOKEN_MAX)
		return fail(why, whylen, RG_ECONFIG,
		            "the token has %zu characters on its first line; "
		            "it needs %d to %d",
		            len, TOKEN_MIN, RGD_TOKEN_MAX);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)token[i];

		if (ch < TOKEN_CHAR_FIRST || ch > TOKEN_CHAR_LAST)
			return fail(why, whylen, RG_ECONFIG,
			            "the token holds a blank, a control "
			            "character or a non-ASCII byte (at "
			            "character %zu): printable ASCII only",
			            i + 1);
		distinct += !seen[ch];
		seen[ch] = 1;
	}
	if (distinct < TOKEN_DISTINCT_MIN)
		return fail(why, whylen, RG_ECONFIG,
		            "the token has %zu different characters, fewer "
		            "than %d: too easy to guess (make one with "
		            "openssl rand -hex 32)",
		            distinct, TOKEN_DISTINCT_MIN);
	return RG_OK;
}

/* A sync needs its source and token (rolegated reads no token from its
 * environment), and a service the configuration has. */
static size_t sync_check(const struct rgd_sync *y, const rg_context *ctx,
                         rgd_problem_fn fn, void *user)
{
	if (!y->from || !y->token_file) {
		problem(fn, user, 0, y->file, y->line,
		        "[sync %s] needs from (the product's URL) and "
		        "token_file",
		        y->service);
		return 1;
	}
	if (ctx && !rg_service_find(ctx, y->service)) {
		problem(fn, user, 0, y->file, y->line,
		        "[sync %s]: unknown service '%s'", y->service,
		        y->service);
		return 1;
	}
	return 0;
}

/*
 * A warning when directory_max_age is no longer than the library's refresh
 * interval: the snapshot's age grows to that interval between two
 * confirmations, so /readyz would answer 503 now and then with the
 * directory reachable, and a load balancer drain a healthy replica.
 */
static void freshness_check(const struct rgd_conf *c, const rg_context *ctx,
                            rgd_problem_fn fn, void *user)
{
	long refresh = ctx ? rg_directory_refresh_ms(ctx) : -1;
	unsigned max_age = c->s.directory_max_age;

	if (refresh < 0 || !max_age || max_age * MS_PER_S > (long long)refresh)
		return;
	problem(fn, user, 1, c->file, setting_line(c, "directory_max_age"),
	        "directory_max_age = %u s is not longer than the directory's "
	        "directory_refresh_ms = %ld: /readyz would answer 503 between "
	        "two refreshes although the directory is reachable",
	        max_age, refresh);
}

size_t rgd_conf_check(const struct rgd_conf *c, const rg_context *ctx,
                      rgd_problem_fn fn, void *user)
{
	size_t i, n = 0;

	freshness_check(c, ctx, fn, user);

	for (i = 0; i < c->nroutes; i++)
		n += route_check(&c->routes[i], ctx, fn, user);
	for (i = 0; i < c->nsyncs; i++)
		n += sync_check(&c->syncs[i], ctx, fn, user);
	n += admin_check(c, fn, user);
	return n + listen_check(c, fn, user);
}
