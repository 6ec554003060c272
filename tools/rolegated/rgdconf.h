/*
 * rgdconf.h - the sections of rolegate.conf that rolegated reads:
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
 *
 *   [sync rc]                           ; the directory of service rc
 *   from = https://chat.example.com     ; from the product's API
 *   token_file = /etc/rolegate/rc.token ; its "Name: value" headers
 *   map = rc-roles.ini                  ; product roles -> role ids
 *   interval = 3600                     ; seconds; 0 (default): on request
 *   prune = no                          ; remove what upstream lost
 */
#ifndef ROLEGATE_TOOLS_RGDCONF_H
#define ROLEGATE_TOOLS_RGDCONF_H

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

/* Where a setting may come from, for the settings rolegated reads. */
enum rgd_log_target { RGD_LOG_STDERR, RGD_LOG_SYSLOG };

/*
 * Where /v1/authz reads the original method and URI for the route map
 * (authz_uri_from): one source only, so that a header a client adds
 * beside the gateway's cannot choose the route.
 */
enum rgd_uri_from {
	RGD_URI_ORIGINAL,  /* X-Original-Method, X-Original-URI (nginx) */
	RGD_URI_FORWARDED, /* X-Forwarded-Method, X-Forwarded-Uri (Traefik,
	                      Caddy) */
	RGD_URI_PATH,      /* the method and the path under /v1/authz (Envoy) */
	RGD_URI_COUNT
};

/* The word authz_uri_from takes for k ("X-Original-URI", ...). */
const char *rgd_uri_from_word(enum rgd_uri_from k);

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
	enum rgd_uri_from authz_uri_from;     /* default RGD_URI_ORIGINAL */
	int authz_reasons; /* a deny tells its reason and route (default) */
	/* Seconds the directory snapshot may go unconfirmed before /readyz
	 * says 503 (rg_directory_age_ms()); 0: never. */
	unsigned directory_max_age;
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
	unsigned line; /* of its section (RG_OPEN_APP_SECTION_OPEN), else of
	                 its first key */
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

/* [sync SERVICE]: where POST /v1/admin/sync and the periodic sync read
 * the service's directory from. */
struct rgd_sync {
	char *service;
	char *file;
	unsigned line;     /* of its section, else of its first key */
	char *from;        /* the product's base URL */
	char *token_file;  /* absolute */
	char *map;         /* absolute, or NULL */
	unsigned interval; /* seconds between periodic syncs; 0: none */
	int prune;
	/* Lines of its keys, to refuse duplicates: from, token_file, map,
	 * interval, prune. */
	unsigned seen[5];
};

/* The longest interval between periodic syncs: a week. */
#define RGD_SYNC_INTERVAL_MAX (7u * 24 * 3600)

/* Everything read from the sections, for one rg_open(). */
struct rgd_conf {
	struct rgd_settings s;
	char *file;               /* the configuration file (first seen) */
	struct rgd_route *routes; /* in config order */
	size_t nroutes;
	size_t caproutes;
	struct rgd_sync *syncs; /* in config order */
	size_t nsyncs;
	size_t capsyncs;
	/* Lines of the [rolegated] keys seen, to refuse duplicates. */
	unsigned seen[32];
};

/* Sets the defaults.  Returns RG_OK or RG_ENOMEM. */
int rgd_conf_init(struct rgd_conf *c);

/*
 * Replaces the built-in admin_socket default with path (copied), as the
 * uninstalled programs of a build tree do (rg_tool_build_admin_socket()).
 * Call it after rgd_conf_init() and before the configuration is read, so
 * that a configured admin_socket still wins.  Returns RG_OK or RG_ENOMEM.
 */
int rgd_conf_default_admin_socket(struct rgd_conf *c, const char *path);

/* Frees what c owns (not c).  Safe on a zeroed or half-filled c. */
void rgd_conf_free(struct rgd_conf *c);

/*
 * The rg_conf_fn callback: user is a struct rgd_conf.  Returns RG_OK, or an
 * error with a message in err (the library makes it a file:line diagnostic).
 * Open the context with RG_OPEN_APP_SECTION_OPEN: key NULL (a section
 * opening) makes a [route NAME] exist even when it has no keys, which
 * rgd_conf_check() then refuses.
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
 * What only the whole file can tell.  Errors: an empty route, a route
 * without a path, service or action, a route naming a service the context does
 * not have, an admin listener without its token, listen_socket given with
 * address or port, listen_socket on the admin socket's path, a [sync
 * SERVICE] without from or token_file or naming a service the context
 * does not have.  Warnings: a route
 * naming an action its service does not know (requests it matches are denied;
 * policies of another version may lack actions), an admin listener on an
 * address that is not loopback (plain HTTP: the token travels in clear).  ctx
 * may be NULL (then services and actions are not checked).  Calls fn once per
 * problem and returns how many errors there were.
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

/* The [sync SERVICE] of service, or NULL. */
const struct rgd_sync *rgd_conf_sync(const struct rgd_conf *c,
                                     const char *service);

/*
 * 1 when url may be synced from: https, or http to this machine only (a
 * test server, or a tunnel the administrator set up), without credentials
 * in it: a token never crosses a network in the clear.  The sync engine
 * (rgsync.h) and [sync SERVICE]'s from share the rule.
 */
int rgd_url_allowed(const char *url);

/*
 * The index of the capture named name (len bytes) in r's path, or -1.
 * For the matcher (routes.c), which expands a route's templates.
 */
long rgd_capture_index(const struct rgd_route *r, const char *name, size_t len);

#endif /* ROLEGATE_TOOLS_RGDCONF_H */
