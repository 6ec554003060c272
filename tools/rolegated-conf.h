/*
 * rolegated-conf.h - the sections of rolegate.conf that rolegated reads:
 * [rolegated] (listener, limits, logs, admin API) and [route NAME] (how the
 * forward-auth endpoint turns a method and a URI into a service, an action
 * and attributes).
 *
 * The library hands these sections to the application (rg_options
 * app_sections/app_conf); rgd_conf_key() is that callback.  rolegated uses
 * what it parses; the rolegate tool passes the same callback so that
 * `rolegate lint` reports a bad line here as it reports any other, with
 * file:line.  Nothing in here needs anything but libc and the public API.
 *
 *   [rolegated]
 *   address = 127.0.0.1
 *   port = 8470                         ; or, instead of both:
 *   listen_socket = /run/rolegate/http.sock
 *   ...
 *
 *   [route queue-agents]
 *   method = POST                       ; or GET HEAD, or * (default)
 *   path = /api/queues/{queue}/agents   ; {NAME} captures a segment,
 *                                       ; a last segment * matches the rest
 *   service = dynamics365
 *   action = queue.add-agent
 *   attr = queue={queue}                ; repeatable
 *   require = department                ; attributes a request must have
 */
#ifndef ROLEGATE_TOOLS_ROLEGATED_CONF_H
#define ROLEGATE_TOOLS_ROLEGATED_CONF_H

#include <stddef.h>

#include <rolegate/rolegate.h>

#include "private/rg_prim.h"

/* The first words of the sections rgd_conf_key() reads (NULL-terminated). */
extern const char *const rgd_conf_sections[];

/* Limits of a route. */
#define RGD_ROUTE_SEGMENTS_MAX 32 /* segments of a path pattern */
#define RGD_ROUTE_ATTRS_MAX    16 /* attributes a route builds */
#define RGD_ROUTE_METHODS_MAX  8  /* methods a route names */
#define RGD_NAME_MAX           64 /* route, capture and attribute names */

/* The longest admin bearer token (rgd_token_weak()). */
#define RGD_TOKEN_MAX 4096

/* Limits of a request path the matcher accepts. */
#define RGD_PATH_SEGMENTS_MAX 64
#define RGD_MATCH_BUF_SIZE    4096 /* decoded path and attribute values */

/* Where a setting may come from, for the settings rolegated reads. */
enum rgd_log_target { RGD_LOG_STDERR, RGD_LOG_SYSLOG };

/* [rolegated]; every member has a default (rgd_conf_init()). */
struct rgd_settings {
	char *address;               /* numeric IPv4 or IPv6 address */
	unsigned port;               /* 0: any free port (logged) */
	char *listen_socket;         /* Unix socket instead, or NULL (TCP) */
	unsigned threads;            /* 0: one per online CPU */
	size_t max_body;             /* bytes of a request body */
	size_t max_header;           /* bytes of a connection's header memory */
	unsigned max_connections;    /* open connections */
	unsigned request_timeout;    /* seconds */
	unsigned max_batch;          /* checks in one POST /v1/checks */
	char *decision_log;          /* path, "-" (stdout) or NULL (off) */
	unsigned decision_log_queue; /* lines waiting to be written */
	enum rgd_log_target log;
	char *admin_socket;   /* path, or NULL (off) */
	int admin_socket_set; /* 1 when the config names it (or off) */
	char *admin_listen;   /* "ADDR:PORT", or NULL */
	char *admin_token_file;
	int authz_headers;         /* X-Rolegate-Service/Action/Attr-* read */
	int authz_roles_header;    /* X-Rolegate-Roles (ad-hoc subject) read */
	char *authz_user_header;   /* the header naming the user */
	unsigned shutdown_timeout; /* seconds to finish requests in flight */
	unsigned line;             /* line of the first [rolegated] key */
	unsigned header_timeout; /* seconds until a request's headers are in */
	unsigned body_timeout;   /* seconds from the headers to a full body */
	unsigned max_connections_per_address; /* 0: no limit */
};

/* One segment of a path pattern. */
enum rgd_seg_kind {
	RGD_SEG_LITERAL, /* text that must equal the segment */
	RGD_SEG_CAPTURE, /* {NAME}: any non-empty segment, kept as NAME */
};

struct rgd_seg {
	enum rgd_seg_kind kind;
	char *text; /* the literal, or the capture's name */
};

/* One attribute a route builds: key = template with {CAPTURE}s. */
struct rgd_route_attr {
	char *key;
	char *tmpl;
	unsigned line;
};

struct rgd_route {
	char *name;
	char *file;
	unsigned line; /* of its first key: sections themselves are not seen */
	char *methods[RGD_ROUTE_METHODS_MAX]; /* none: any method */
	size_t nmethods;
	char *path;
	struct rgd_seg segs[RGD_ROUTE_SEGMENTS_MAX];
	size_t nsegs;
	int rest; /* the last segment is *: the rest of the path matches */
	char *service;
	char *action;
	struct rgd_route_attr attrs[RGD_ROUTE_ATTRS_MAX];
	size_t nattrs;
	unsigned method_line, path_line, service_line, action_line;
	int broken; /* a key of it was refused: it never matches */
	/* Attributes a request must carry (from attr or headers). */
	char *require[RGD_ROUTE_ATTRS_MAX];
	size_t nrequire;
	unsigned require_line;
};

/* Everything read from the sections, for one rg_open(). */
struct rgd_conf {
	struct rgd_settings s;
	char *file;               /* the configuration file (first seen) */
	struct rgd_route *routes; /* in config order */
	size_t nroutes;
	size_t caproutes;
	/* Lines of the [rolegated] keys seen, to refuse duplicates. */
	unsigned seen[32];
};

/* Sets the defaults.  Returns RG_OK or RG_ENOMEM. */
int rgd_conf_init(struct rgd_conf *c);

/* Frees what c owns (not c).  Safe on a zeroed or half-filled c. */
void rgd_conf_free(struct rgd_conf *c);

/*
 * The rg_conf_fn callback: user is a struct rgd_conf.  Returns RG_OK, or an
 * error with a message in err (the library makes it a file:line diagnostic).
 */
int rgd_conf_key(void *user, const char *section, const char *key,
                 const char *value, const char *file, unsigned line, char *err,
                 size_t errlen);

/*
 * A problem found by rgd_conf_check(): "file:line: message".  A warning
 * does not make the configuration unusable (what it concerns is denied).
 */
typedef void (*rgd_problem_fn)(void *user, int warning, const char *msg);

/*
 * What only the whole file can tell.  Errors: a route without a path,
 * service or action, a route naming a service the context does not have,
 * an admin listener without its token, listen_socket given with address or
 * port, listen_socket on the admin socket's path.  Warnings: a route naming an
 * action its service does not know (requests it matches are denied; policies of
 * another version may lack actions), an admin listener on an address that is
 * not loopback (plain HTTP: the token travels in clear).  ctx may be NULL (then
 * services and actions are not checked).  Calls fn once per problem and returns
 * how many errors there were.
 */
size_t rgd_conf_check(const struct rgd_conf *c, const rg_context *ctx,
                      rgd_problem_fn fn, void *user);

/*
 * Whether an admin bearer token (len bytes, its file's first line) is too
 * weak to use: too short or long, a byte outside printable ASCII (blanks and
 * control characters), or too few different characters.  Returns RG_OK, or
 * RG_ECONFIG with what is wrong in why (never the token itself).
 */
int rgd_token_weak(const char *token, size_t len, char *why, size_t whylen);

/* ---- Matching ------------------------------------------------------------ */

enum rgd_match_result {
	RGD_MATCH_OK,       /* m->route and m->attrs are set */
	RGD_MATCH_NONE,     /* no route matches: deny */
	RGD_MATCH_BAD_PATH, /* the path is malformed or ambiguous: deny */
};

/* The result of a match; a caller-owned buffer, nothing allocated. */
struct rgd_match {
	const struct rgd_route *route;
	rg_attr attrs[RGD_ROUTE_ATTRS_MAX];
	size_t nattrs;
	const char *why; /* for RGD_MATCH_BAD_PATH: a static message */
	char reason[RGD_NAME_MAX * 2 + 32]; /* rgd_route_missing()'s */
	/* Decoded segments, then attribute values; attrs point in here. */
	char buf[RGD_MATCH_BUF_SIZE];
};

/*
 * Finds the first route (config order) for method and uri (a path with an
 * optional query, as a client sent it).  The path is split at '/', each
 * segment percent-decoded and matched decoded, so that an encoded path
 * cannot slip past a route its decoded form would hit.  A path an upstream
 * might read as another path is refused (RGD_MATCH_BAD_PATH, m->why says
 * why): an empty segment ("//"); a segment of only dots and blanks (".",
 * "..", "...", ".. "); a segment that decodes to something holding '/',
 * '\', ';' (a path parameter), a control character, a percent-escape
 * (double encoding) or invalid UTF-8 (overlong forms); a '#' anywhere.
 */
enum rgd_match_result rgd_route_match(const struct rgd_conf *c,
                                      const char *method, const char *uri,
                                      struct rgd_match *m);

/*
 * Whether a request the route r matched lacks an attribute r requires
 * (require = ...): attrs are all of its attributes (the route's and those
 * from headers); an empty value is missing.  Returns NULL when none is
 * missing, else "route NAME requires attribute KEY" in m->reason.
 */
const char *rgd_route_missing(const struct rgd_route *r, const rg_attr *attrs,
                              size_t nattrs, struct rgd_match *m);

/*
 * Length of the valid UTF-8 sequence at s (n > 0 bytes left), or 0 when the
 * bytes there are not one (overlong forms, surrogates and values past
 * U+10FFFF are not).
 */
size_t rgd_utf8_len(const unsigned char *s, size_t n);

#endif /* ROLEGATE_TOOLS_ROLEGATED_CONF_H */
