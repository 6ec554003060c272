/*
 * checkapi.c - POST /v1/check and POST /v1/checks: decisions for applications,
 * JSON in and out.
 *
 *   {"service": "dynamics365", "user": "alice" | "roles": [...] | "a,b",
 *    "action": "queue.view", "attributes": {"bu": "sales"},
 *    "subject_attributes": {"bu": "sales"}}          (ad-hoc subjects only)
 *
 * /v1/checks takes an array of those, or {"checks": [...]}, and answers
 * {"results": [...]} in the same order.  ?explain=1 adds the trace and,
 * for a deny, the smallest sets of roles that would allow it.
 *
 * A decision (allow or deny, whatever the reason) is always 200 with the
 * decision in the body.  Input that is not a question gets 400 with a
 * message naming the problem: jansson's line and column for bad JSON, the
 * field (and the item of a batch) otherwise.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rolegated.h"

#define CHECK_ATTRS_MAX 64
#define ROLES_MAX       4096
#define ERR_MAX         512

/* One question's storage; its request points into the JSON document. */
struct item {
	rg_request req;
	rg_attr attrs[CHECK_ATTRS_MAX];
	rg_attr sattrs[CHECK_ATTRS_MAX];
	char roles[ROLES_MAX];
};

static int bad(char *err, const char *where, const char *fmt, ...)
    RG_PRINTF(3, 4);

static int bad(char *err, const char *where, const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, ERR_MAX, "%s%s%s", where, *where ? ": " : "", msg);
	return -1;
}

/* A required or optional non-empty string field. */
static int string_field(json_t *obj, const char *key, int required,
                        const char **out, char *err, const char *where)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v) {
		if (required)
			return bad(err, where, "missing field '%s'", key);
		return 0;
	}
	if (!json_is_string(v))
		return bad(err, where, "field '%s': expected a string", key);
	if (!*json_string_value(v))
		return bad(err, where, "field '%s' is empty", key);
	*out = json_string_value(v);
	return 0;
}

/* An object of string values into attrs. */
static int attrs_field(json_t *obj, const char *key, rg_attr *attrs, size_t *n,
                       char *err, const char *where)
{
	json_t *v = json_object_get(obj, key), *value;
	const char *name;

	*n = 0;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return bad(err, where,
		           "field '%s': expected an object of strings", key);
	json_object_foreach(v, name, value)
	{
		if (!json_is_string(value))
			return bad(err, where, "%s.%s: expected a string", key,
			           name);
		if (!*name)
			return bad(err, where, "%s: empty attribute name", key);
		if (*n == CHECK_ATTRS_MAX)
			return bad(err, where,
			           "%s: too many attributes (at most %d)", key,
			           CHECK_ATTRS_MAX);
		attrs[*n].key = name;
		attrs[*n].value = json_string_value(value);
		(*n)++;
	}
	return 0;
}

/* "roles": a comma-separated string, or an array of role ids. */
static int roles_field(json_t *v, struct item *it, char *err, const char *where)
{
	size_t i, len = 0;
	json_t *role;

	if (json_is_string(v)) {
		it->req.subject.roles = json_string_value(v);
		return 0;
	}
	if (!json_is_array(v))
		return bad(err, where,
		           "field 'roles': expected an array of role ids or "
		           "a comma-separated string");
	it->roles[0] = '\0';
	json_array_foreach(v, i, role)
	{
		const char *id = json_string_value(role);
		size_t n;

		if (!id || !*id || strchr(id, ','))
			return bad(err, where,
			           "roles[%zu]: expected a role id (a "
			           "non-empty string without commas)",
			           i);
		n = strlen(id);
		if (len + n + 2 > sizeof(it->roles))
			return bad(err, where,
			           "roles: too long (at most %d "
			           "bytes)",
			           ROLES_MAX);
		if (len)
			it->roles[len++] = ',';
		memcpy(it->roles + len, id, n + 1);
		len += n;
	}
	it->req.subject.roles = it->roles;
	return 0;
}

static int known_fields(json_t *obj, char *err, const char *where)
{
	static const char *const fields[] = {
	    "service", "user",       "roles",
	    "action",  "attributes", "subject_attributes"};
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v)
	{
		for (i = 0; i < RG_COUNTOF(fields); i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (i == RG_COUNTOF(fields))
			return bad(err, where,
			           "unknown field '%s' (expected service, "
			           "user, roles, action, attributes, "
			           "subject_attributes)",
			           key);
	}
	return 0;
}

/* Fills it from one question; -1 with err naming the problem. */
static int parse_item(json_t *obj, struct item *it, char *err,
                      const char *where)
{
	json_t *roles;

	memset(&it->req, 0, sizeof(it->req));
	if (!json_is_object(obj))
		return bad(err, where, "expected a JSON object");
	if (known_fields(obj, err, where) < 0 ||
	    string_field(obj, "service", 1, &it->req.service, err, where) < 0 ||
	    string_field(obj, "action", 1, &it->req.action, err, where) < 0 ||
	    string_field(obj, "user", 0, &it->req.subject.user, err, where) < 0)
		return -1;
	roles = json_object_get(obj, "roles");
	if (roles && it->req.subject.user)
		return bad(err, where, "give 'user' or 'roles', not both");
	if (!roles && !it->req.subject.user)
		return bad(err, where, "missing field 'user' or 'roles'");
	if (roles && roles_field(roles, it, err, where) < 0)
		return -1;
	if (attrs_field(obj, "attributes", it->attrs, &it->req.nattrs, err,
	                where) < 0 ||
	    attrs_field(obj, "subject_attributes", it->sattrs,
	                &it->req.subject.nattrs, err, where) < 0)
		return -1;
	if (it->req.subject.nattrs && it->req.subject.user)
		return bad(err, where,
		           "subject_attributes are for an ad-hoc subject "
		           "('roles'); a user's come from the directory");
	it->req.attrs = it->attrs;
	it->req.subject.attrs = it->sattrs;
	return 0;
}

/* ?explain=1: 1, 0, or -1 when the value is neither. */
static int explain_arg(struct MHD_Connection *c)
{
	const char *v =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "explain");

	if (!v || strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
		return 0;
	if (!*v || strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
		return 1;
	return -1;
}

/* Decides one item and writes its answer object. */
static int answer_item(struct rgd *d, const struct rgd_gen *g,
                       const struct item *it, int explain, rg_explanation *ex,
                       struct rgd_buf *b)
{
	const struct rgd_origin o = {"check", NULL, NULL, NULL};
	char id[RGD_ID_LEN + 1];
	int rc = rgd_decide(d, g, &it->req, NULL, explain, ex, &o, id);

	rgd_json_open(b, '{');
	rgd_json_key(b, "decision_id");
	rgd_json_str(b, id);
	rgd_json_key(b, "service");
	rgd_json_str(b, it->req.service);
	rgd_json_key(b, "action");
	rgd_json_str(b, it->req.action);
	rgd_json_decision(b, ex, rc, explain);
	rgd_json_close(b, '}');
	return rc;
}

/* The items of a batch: an array, or {"checks": [...]}. */
static json_t *batch_items(json_t *doc, char *err)
{
	json_t *checks;

	if (json_is_array(doc))
		checks = doc;
	else if (json_is_object(doc) && json_object_size(doc) == 1 &&
	         (checks = json_object_get(doc, "checks")) != NULL &&
	         json_is_array(checks))
		;
	else {
		bad(err, "",
		    "expected an array of checks, or {\"checks\": [...]}");
		return NULL;
	}
	if (json_array_size(checks) == 0) {
		bad(err, "", "no checks given");
		return NULL;
	}
	return checks;
}

static enum MHD_Result answer(struct rgd *d, struct MHD_Connection *c,
                              const struct rgd_gen *g, json_t *doc, int batch,
                              int explain)
{
	char err[ERR_MAX], where[32];
	rg_explanation ex;
	struct rgd_buf b;
	struct item it;
	json_t *items = NULL;
	size_t i, n = 1;
	unsigned max = g->conf.s.max_batch;

	if (batch) {
		items = batch_items(doc, err);
		if (!items)
			return rgd_respond_error(d, c, RGD_HTTP_BAD_REQUEST,
			                         "%s", err);
		n = json_array_size(items);
		if (n > max)
			return rgd_respond_error(d, c, RGD_HTTP_TOO_LARGE,
			                         "too many checks: %zu (at "
			                         "most %u)",
			                         n, max);
		/* Every item is checked before any is decided. */
		for (i = 0; i < n; i++) {
			snprintf(where, sizeof(where), "checks[%zu]", i);
			if (parse_item(json_array_get(items, i), &it, err,
			               where) < 0)
				return rgd_respond_error(
				    d, c, RGD_HTTP_BAD_REQUEST, "%s", err);
		}
	} else if (parse_item(doc, &it, err, "") < 0) {
		return rgd_respond_error(d, c, RGD_HTTP_BAD_REQUEST, "%s", err);
	}
	rgd_buf_init(&b, NULL, 0);
	if (batch) {
		rgd_json_open(&b, '{');
		rgd_json_key(&b, "results");
		rgd_json_open(&b, '[');
		for (i = 0; i < n; i++) {
			snprintf(where, sizeof(where), "checks[%zu]", i);
			parse_item(json_array_get(items, i), &it, err, where);
			answer_item(d, g, &it, explain, &ex, &b);
		}
		rgd_json_close(&b, ']');
		rgd_json_close(&b, '}');
	} else {
		answer_item(d, g, &it, explain, &ex, &b);
	}
	rgd_buf_put(&b, "\n", 1);
	return rgd_respond_json(d, c, RGD_HTTP_OK, &b);
}

enum MHD_Result rgd_check_answer(struct rgd *d, struct MHD_Connection *c,
                                 const struct rgd_body *body, int batch)
{
	int explain = explain_arg(c);
	enum MHD_Result ret;
	json_error_t jerr;
	struct rgd_gen *g;
	unsigned slot;
	json_t *doc;

	if (explain < 0)
		return rgd_respond_error(d, c, RGD_HTTP_BAD_REQUEST,
		                         "explain: expected 1 or 0");
	if (!body->len)
		return rgd_respond_error(d, c, RGD_HTTP_BAD_REQUEST,
		                         "empty body: expected a JSON %s",
		                         batch ? "array of checks" : "object");
	doc = json_loadb(body->data, body->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return rgd_respond_error(d, c, RGD_HTTP_BAD_REQUEST,
		                         "invalid JSON at line %d, column %d: "
		                         "%s",
		                         jerr.line, jerr.column, jerr.text);
	g = rgd_engine_acquire(&d->engine, &slot);
	if (g)
		ret = answer(d, c, g, doc, batch, explain);
	else
		ret = rgd_respond_error(d, c, RGD_HTTP_UNAVAILABLE,
		                        "no configuration loaded yet");
	rgd_engine_release(&d->engine, slot);
	json_decref(doc);
	return ret;
}
