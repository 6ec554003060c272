/*
 * authz.c - /v1/authz: the forward-auth endpoint of API gateways (nginx
 * auth_request, Traefik ForwardAuth, Envoy ext_authz over HTTP).
 *
 * Any method, any path under /v1/authz/, body ignored.  The question comes
 * from headers the gateway sets:
 *
 *   X-Rolegate-User            the authenticated user (directory id); the
 *                              header is authz_user_header, so that the
 *                              one an authenticating proxy sets can serve
 *   X-Rolegate-Roles           an ad-hoc subject's roles, when
 *                              authz_roles_header = yes
 *   X-Rolegate-Subject-NAME    that subject's attributes
 *   X-Rolegate-Service, X-Rolegate-Action, X-Rolegate-Attr-NAME
 *                              the question itself, when authz_headers = yes
 *
 * Without X-Rolegate-Action the route map decides, over the original
 * method and URI: X-Forwarded-Method/X-Forwarded-Uri (Traefik), else
 * X-Original-Method/X-Original-URI (nginx), else this request's own method
 * and its path under /v1/authz (Envoy appends the original path).
 *
 * Answers: 200 allow, 403 deny, 401 when no subject is named, 500 only when
 * the engine fails; never a redirect.  Every answer carries
 * X-Rolegate-Decision-Id and X-Rolegate-Reason; an allow also carries
 * X-Rolegate-User and X-Rolegate-Roles for the gateway to pass upstream.
 * Fail closed: a duplicated X-Rolegate-* header, a malformed path and a
 * path no route matches are denied.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rolegated.h"

#define HDR_PREFIX      "x-rolegate-"
#define HDR_ATTR        "attr-"
#define HDR_SUBJECT     "subject-"
#define TYPE_JSON       "application/json"
#define REASON_HDR_MAX  160
#define ROLES_HDR_MAX   1024
#define AUTHZ_ATTRS_MAX 16
#define ANSWER_MAX      1024
#define ANSWER_CAP      200
/*
 * The challenge of a 401 (RFC 9110 11.6.1 wants one): the gateway in
 * front authenticates; rolegated only says that nobody was named.
 */
#define AUTHZ_CHALLENGE "Bearer realm=\"rolegated\""

/* ---- the question, from headers -------------------------------------- */

struct authz {
	const struct rgd_settings *s;
	const char *service, *user, *roles, *action;
	const char *fwd_method, *fwd_uri, *orig_method, *orig_uri;
	const char *dup;    /* a header given twice */
	const char *excess; /* an attribute header past the limit */
	rg_attr attrs[AUTHZ_ATTRS_MAX];
	size_t nattrs;
	rg_attr sattrs[AUTHZ_ATTRS_MAX];
	size_t nsattrs;
	size_t nkeys;
	/* Last: not cleared per request, only written as used. */
	char keys[2 * AUTHZ_ATTRS_MAX][RGD_NAME_MAX];
};

/* Sets *dst once; a second value marks the header as duplicated. */
static void once(struct authz *a, const char **dst, const char *name,
                 const char *value)
{
	if (*dst)
		a->dup = name;
	else
		*dst = value;
}

/* An attribute from a header name: lower case, '-' as '_'. */
static void add_attr(struct authz *a, rg_attr *attrs, size_t *n,
                     const char *name, const char *header, const char *value)
{
	char *key;
	size_t i;

	if (*n == AUTHZ_ATTRS_MAX || a->nkeys == 2 * AUTHZ_ATTRS_MAX ||
	    !*name || strlen(name) >= RGD_NAME_MAX) {
		a->excess = header;
		return;
	}
	key = a->keys[a->nkeys++];
	for (i = 0; name[i]; i++)
		key[i] = name[i] == '-' ? '_'
		                        : (char)tolower((unsigned char)name[i]);
	key[i] = '\0';
	for (i = 0; i < *n; i++)
		if (strcmp(attrs[i].key, key) == 0) {
			a->dup = header;
			return;
		}
	attrs[*n].key = key;
	attrs[*n].value = value;
	(*n)++;
}

static void rolegate_header(struct authz *a, const char *name, const char *rest,
                            const char *value)
{
	if (strcasecmp(rest, "roles") == 0)
		once(a, &a->roles, name, value);
	else if (strcasecmp(rest, "service") == 0)
		once(a, &a->service, name, value);
	else if (strcasecmp(rest, "action") == 0)
		once(a, &a->action, name, value);
	else if (strncasecmp(rest, HDR_ATTR, strlen(HDR_ATTR)) == 0) {
		if (a->s->authz_headers)
			add_attr(a, a->attrs, &a->nattrs,
			         rest + strlen(HDR_ATTR), name, value);
	} else if (strncasecmp(rest, HDR_SUBJECT, strlen(HDR_SUBJECT)) == 0) {
		if (a->s->authz_roles_header)
			add_attr(a, a->sattrs, &a->nsattrs,
			         rest + strlen(HDR_SUBJECT), name, value);
	}
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind,
                                 const char *name, const char *value)
{
	struct authz *a = cls;
	size_t plen = strlen(HDR_PREFIX);

	if (!value)
		return MHD_YES;
	/* The user only from the header the configuration trusts. */
	if (strcasecmp(name, a->s->authz_user_header) == 0)
		once(a, &a->user, name, value);
	else if (strncasecmp(name, HDR_PREFIX, plen) == 0)
		rolegate_header(a, name, name + plen, value);
	else if (strcasecmp(name, "X-Forwarded-Method") == 0)
		once(a, &a->fwd_method, name, value);
	else if (strcasecmp(name, "X-Forwarded-Uri") == 0)
		once(a, &a->fwd_uri, name, value);
	else if (strcasecmp(name, "X-Original-Method") == 0)
		once(a, &a->orig_method, name, value);
	else if (strcasecmp(name, "X-Original-URI") == 0)
		once(a, &a->orig_uri, name, value);
	return MHD_YES;
}

/* ---- roles of a directory user ---------------------------------------- */

/*
 * The user's roles, comma-separated, from the directory snapshot the
 * decision used (lock-free), into the caller's buffer; NULL when unknown.
 */
static const char *user_roles(rg_context *ctx, const char *service,
                              const char *user, char *buf, size_t len)
{
	rg_subject subject = {.user = user};
	int rc = rg_subject_roles(ctx, service, &subject, buf, len);

	return rc == RG_OK || rc == RG_ELIMIT ? buf : NULL;
}

/* ---- the answer ---------------------------------------------------------- */

/* A header value: printable ASCII only, cut at max bytes. */
static const char *header_safe(const char *s, char *out, size_t max)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < max; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
	return out;
}

static int add_header(struct MHD_Response *r, const char *name,
                      const char *value, size_t max)
{
	char safe[ROLES_HDR_MAX];

	if (!value)
		return 0;
	if (max > sizeof(safe))
		max = sizeof(safe);
	return MHD_add_response_header(r, name,
	                               header_safe(value, safe, max)) == MHD_YES
	           ? 0
	           : -1;
}

struct answer {
	unsigned status;
	int rc; /* the decision's status (RG_OK, RG_ENOUSER, ...) */
	const rg_request *req;
	const rg_decision *dec;
	const char *reason;
	const char *route;
	const char *roles; /* for X-Rolegate-Roles, or NULL */
	char id[RGD_ID_LEN + 1];
};

/*
 * A deny's body: {"decision":"deny","decision_id","status"[,"reason",
 * "route"]} into out; the reason and route only when they may leave.
 */
static void deny_body(const struct answer *an, int tell, struct rgd_buf *b)
{
	rgd_json_open(b, '{');
	rgd_json_key(b, "decision");
	rgd_json_str(b, "deny");
	rgd_json_key(b, "decision_id");
	rgd_json_str(b, an->id);
	rgd_json_key(b, "status");
	rgd_json_str(b, rg_status_name(an->rc));
	if (tell) {
		rgd_json_key(b, "reason");
		rgd_json_strn(b, an->reason, ANSWER_MAX / 2);
		rgd_json_key(b, "route");
		rgd_json_opt(b, an->route);
	}
	rgd_json_close(b, '}');
}

static enum MHD_Result respond(struct rgd *d, struct MHD_Connection *c,
                               const struct answer *an, int tell)
{
	struct MHD_Response *r;
	int allow = an->status == RGD_HTTP_OK;
	char body[ANSWER_MAX];
	struct rgd_buf b;

	/*
	 * An allow is all in the headers and the status, with no body, so
	 * that nginx keeps its connection to us alive (it drops auth_request
	 * connections whose answers carry a body).  A deny goes back to the
	 * client, and says why in JSON too, for gateways that pass bodies.
	 * Without authz_reasons, a deny's reason and route stay in the
	 * decision log.
	 */
	tell = tell || allow;
	rgd_buf_init(&b, body, sizeof(body));
	if (!allow)
		deny_body(an, tell, &b);
	r = b.failed ? NULL : rgd_response(TYPE_JSON, b.p ? b.p : "", b.len);
	if (r &&
	    (add_header(r, "X-Rolegate-Decision", allow ? "allow" : "deny",
	                sizeof("allow")) < 0 ||
	     add_header(r, "X-Rolegate-Decision-Id", an->id, sizeof(an->id)) <
	         0 ||
	     (tell && add_header(r, "X-Rolegate-Reason", an->reason,
	                         REASON_HDR_MAX) < 0) ||
	     (tell && an->route &&
	      add_header(r, "X-Rolegate-Route", an->route, ANSWER_CAP) < 0) ||
	     (an->status == RGD_HTTP_UNAUTHORIZED &&
	      add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, AUTHZ_CHALLENGE,
	                 sizeof(AUTHZ_CHALLENGE)) < 0) ||
	     (allow && an->req && an->req->subject.user &&
	      add_header(r, "X-Rolegate-User", an->req->subject.user,
	                 RG_ID_MAX) < 0) ||
	     (allow && add_header(r, "X-Rolegate-Roles", an->roles,
	                          ROLES_HDR_MAX) < 0))) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return rgd_queue(d, c, an->status, r);
}

/*
 * A deny without running the stack (no subject, no route, bad input): an
 * id, a decision log line and a count like any other decision.
 */
static enum MHD_Result early_deny(struct rgd *d, struct MHD_Connection *c,
                                  const struct rgd_gen *g, rg_request *req,
                                  unsigned status, int rg_status,
                                  const char *reason,
                                  const struct rgd_origin *o)
{
	struct answer an;
	rg_decision dec;

	memset(&an, 0, sizeof(an));
	dec.result = RG_DENY;
	dec.status = rg_status;
	dec.plugin = NULL;
	dec.role[0] = dec.missing[0] = '\0';
	dec.ntrace = 0;
	snprintf(dec.reason, sizeof(dec.reason), "%s", reason);
	if (!req->service)
		req->service = "";
	if (!req->action)
		req->action = "";
	if (!req->subject.user && !req->subject.roles)
		req->subject.roles = "";
	rgd_record(d, g, req, &dec, rg_status, 0, o, 0, an.id);
	an.status = status;
	an.rc = rg_status;
	an.req = req;
	an.dec = &dec;
	an.reason = dec.reason;
	an.route = o->route;
	return respond(d, c, &an, g->conf.s.authz_reasons);
}

/* ---- the original method and URI -------------------------------------- */

/* One place a gateway says what the client asked for. */
struct source {
	const char *method; /* NULL: this request's own method */
	const char *uri;    /* NULL: not given */
};

/* How a reason names each source (enum rgd_uri_from's order). */
static const char *const source_names[RGD_URI_COUNT] = {
    "X-Original-URI", "X-Forwarded-Uri", "a path under " RGD_AUTHZ_PREFIX};
static const char *const method_names[RGD_URI_COUNT] = {
    "X-Original-Method", "X-Forwarded-Method", NULL};

static struct source source_of(const struct authz *a, enum rgd_uri_from k,
                               const char *path)
{
	struct source src = {NULL, NULL};

	if (k == RGD_URI_ORIGINAL) {
		src.method = a->orig_method;
		src.uri = a->orig_uri;
	} else if (k == RGD_URI_FORWARDED) {
		src.method = a->fwd_method;
		src.uri = a->fwd_uri;
	} else if (*path) {
		src.uri = path;
	}
	return src;
}

static int differs(const char *other, const char *pinned)
{
	return other && (!pinned || strcmp(other, pinned) != 0);
}

/*
 * The method and URI from the source authz_uri_from pins.  Another source
 * that says something else is refused (-1, the reason in buf): a client
 * that adds X-Forwarded-Uri beside the gateway's X-Original-URI must not
 * choose the route, and a gateway set up for another source is found out
 * at its first request.
 */
static int original(const struct authz *a, const char *url, const char *method,
                    struct source *out, char *buf, size_t len)
{
	static const size_t plen = sizeof(RGD_AUTHZ_PREFIX) - 1;
	enum rgd_uri_from pin = a->s->authz_uri_from, k;
	struct source other;

	*out = source_of(a, pin, url + plen);
	if (!out->method)
		out->method = method;
	for (k = 0; k < RGD_URI_COUNT; k++) {
		if (k == pin)
			continue;
		other = source_of(a, k, url + plen);
		if (differs(other.uri, out->uri) ||
		    differs(other.method, out->method)) {
			snprintf(buf, len,
			         "%s conflicts with %s (authz_uri_from = %s)",
			         differs(other.uri, out->uri) ? source_names[k]
			                                      : method_names[k],
			         source_names[pin], rgd_uri_from_word(pin));
			return -1;
		}
	}
	return 0;
}

/* Sets service, action and attributes from the route map. */
static int route(const struct rgd_gen *g, struct authz *a, const char *url,
                 const char *method, struct rgd_match *m, rg_request *req,
                 rg_attr *attrs, struct rgd_origin *o, const char **why)
{
	struct source src;
	const char *uri, *how;
	size_t i;

	if (original(a, url, method, &src, m->reason, sizeof(m->reason)) < 0) {
		*why = m->reason;
		return -1;
	}
	uri = src.uri;
	how = src.method;
	o->method = how;
	o->uri = uri;
	if (!uri) {
		*why = "no route: no original URI given";
		return -1;
	}
	switch (rgd_route_match(&g->conf, how, uri, m)) {
	case RGD_MATCH_OK:
		break;
	case RGD_MATCH_BAD_PATH:
		*why = m->why;
		return -1;
	case RGD_MATCH_NONE:
		*why = "no route";
		return -1;
	}
	o->route = m->route->name;
	req->service = m->route->service;
	req->action = m->route->action;
	/* The route's attributes first: a header cannot override them. */
	for (i = 0; i < m->nattrs; i++)
		attrs[i] = m->attrs[i];
	for (i = 0; i < a->nattrs; i++)
		attrs[m->nattrs + i] = a->attrs[i];
	req->attrs = attrs;
	req->nattrs = m->nattrs + a->nattrs;
	/* A route to a scoped privilege must not be asked unscoped. */
	*why = rgd_route_missing(m->route, attrs, req->nattrs, m);
	return *why ? -1 : 0;
}

static enum MHD_Result decide(struct rgd *d, struct MHD_Connection *c,
                              struct rgd_gen *g, struct authz *a,
                              const char *url, const char *method)
{
	char roles_buf[ROLES_HDR_MAX];
	rg_attr attrs[RGD_ROUTE_ATTRS_MAX + AUTHZ_ATTRS_MAX];
	struct rgd_origin o = {"authz", NULL, NULL, NULL};
	const rg_target *target = NULL;
	struct rgd_match m;
	rg_explanation ex;
	struct answer an;
	rg_request req;
	const char *why = NULL;
	int rc;

	memset(&req, 0, sizeof(req));
	req.subject.attrs = a->sattrs;
	req.subject.nattrs = a->nsattrs;
	if (a->user && *a->user)
		req.subject.user = a->user;
	else if (a->s->authz_roles_header && a->roles)
		req.subject.roles = a->roles;
	req.attrs = a->attrs;
	req.nattrs = a->nattrs;
	if (a->dup) {
		snprintf(ex.decision.reason, sizeof(ex.decision.reason),
		         "header %s given more than once", a->dup);
		return early_deny(d, c, g, &req, RGD_HTTP_FORBIDDEN, RG_EINVAL,
		                  ex.decision.reason, &o);
	}
	if (a->excess) {
		snprintf(ex.decision.reason, sizeof(ex.decision.reason),
		         "too many attribute headers (at most %d), or a bad "
		         "name: %s",
		         AUTHZ_ATTRS_MAX, a->excess);
		return early_deny(d, c, g, &req, RGD_HTTP_FORBIDDEN, RG_EINVAL,
		                  ex.decision.reason, &o);
	}
	if (a->s->authz_headers && a->action) {
		req.service = a->service;
		req.action = a->action;
		if (!req.service || !*req.service)
			why = "no service: X-Rolegate-Action needs "
			      "X-Rolegate-Service";
	} else if (route(g, a, url, method, &m, &req, attrs, &o, &why) < 0) {
		req.service = req.action = NULL;
	} else {
		target = g->targets[m.route - g->conf.routes];
	}
	if (!req.subject.user && !req.subject.roles)
		return early_deny(d, c, g, &req, RGD_HTTP_UNAUTHORIZED,
		                  RG_ENOUSER, "no user", &o);
	if (why)
		return early_deny(d, c, g, &req, RGD_HTTP_FORBIDDEN,
		                  RG_ENOACTION, why, &o);
	memset(&an, 0, sizeof(an));
	rc = rgd_decide(d, g, &req, target, 0, &ex, &o, an.id);
	an.rc = rc;
	an.req = &req;
	an.dec = &ex.decision;
	an.route = o.route;
	an.reason = ex.decision.reason[0] ? ex.decision.reason
	            : rc != RG_OK         ? rg_strerror(rc)
	                                  : "no reason given";
	if (ex.decision.result == RG_ALLOW) {
		an.status = RGD_HTTP_OK;
		an.roles =
		    req.subject.user
		        ? user_roles(g->ctx, req.service, req.subject.user,
		                     roles_buf, sizeof(roles_buf))
		        : req.subject.roles;
	} else {
		an.status = rgd_engine_failure(rc) ? RGD_HTTP_INTERNAL
		                                   : RGD_HTTP_FORBIDDEN;
	}
	return respond(d, c, &an, g->conf.s.authz_reasons);
}

enum MHD_Result rgd_authz_answer(struct rgd *d, struct MHD_Connection *c,
                                 const char *url, const char *method)
{
	struct rgd_gen *g;
	enum MHD_Result ret;
	struct authz a;
	unsigned slot;

	g = rgd_engine_acquire(&d->engine, &slot);
	if (!g) {
		rgd_engine_release(&d->engine, slot);
		return rgd_respond_error(d, c, RGD_HTTP_UNAVAILABLE,
		                         "no configuration loaded yet");
	}
	memset(&a, 0, offsetof(struct authz, keys));
	a.s = &g->conf.s;
	MHD_get_connection_values(c, MHD_HEADER_KIND, on_header, &a);
	ret = decide(d, c, g, &a, url, method);
	rgd_engine_release(&d->engine, slot);
	return ret;
}
