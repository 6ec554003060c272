/*
 * dirjson.c - exporting the directory as JSON and importing it back.
 *
 * The format (version 2):
 *
 *   {"format": "rolegate-directory", "version": 2, "services": [
 *     {"name": SERVICE,
 *      "settings": {KEY: VALUE, ...},
 *      "org": {KIND: [{"name": NAME, PARENT_ATTR: P, ATTR: V, ...}], ...},
 *      "custom_roles": [{"id", "name", "description", "privileges": []}],
 *      "users": [{"id", "name", "attrs": {KEY: VALUE, ...}, "roles": [],
 *                 "members": {KIND: [NAME, ...]}}]}]}
 *
 * Nothing in it names a product: what a service holds is what its plugins
 * declare (core/vocab.c).  "org" has a list per organisation kind the
 * service declares, in declaration order ([] when it has no entry); an
 * entry has its name, its parent attribute when the kind has a parent
 * kind, and each attribute declared for the kind, in declaration order
 * (null when unset).  A user has the attributes set ("attrs", by key) and
 * the entries it is a member of ("members", by kind, only the kinds it is
 * in).  Values of an INTEGER attribute are JSON numbers, the others and
 * settings strings.  Rows of a kind or an attribute the service no longer
 * declares (its plugin left the configuration) are exported all the same,
 * after the declared ones, sorted: an export never loses data; an import
 * refuses them, naming their path.
 *
 * An export is exact and stable: every list is sorted (by name, id, or
 * the item itself, in byte order), one item per line, so that two exports
 * of the same directory are byte-identical and diff well.
 *
 * Version 1, the first release's, is still read.  It had a section per
 * kind instead of "org": "units" for the kind unit, or the kind's noun
 * with '_' for blanks ("business_units" for the noun "business unit"),
 * always plural by an "s"; and a user's attributes and memberships as its
 * own keys ("bu", "status", "departments" for the kind department).  Every
 * such key is read through the service's declarations; one it does not
 * declare is accepted only when it holds nothing (null or []), since
 * version 1 listed every key for every service.
 *
 * An import is one transaction: all of it or nothing.  Everything is
 * validated against the configuration (services, roles, privileges, the
 * declarations, the product plugin's word on custom roles and values)
 * and against the directory, as the directory's operations validate it,
 * and every problem names the JSON path of the bad item.  With
 * RG_IMPORT_REPLACE the services' data is deleted first, so that an export
 * imported back gives the same export again; without it, an item that
 * already exists is an error (an import adds, it never silently merges).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirimpl.h"

#define FORMAT_NAME    "rolegate-directory"
#define FORMAT_VERSION 2 /* what an export writes */
#define FORMAT_V1      1 /* the first release's, still read */
#define PROGRESS_EVERY 1000
#define PATH_MAX_LEN   256
/* The mode of an export when no database exists to copy it from: the
 * directory lists who may do what, so not for everyone to read. */
#define EXPORT_MODE      0640
#define EXPORT_MODE_BITS 0666 /* of the database's mode, kept */
#define DECIMAL_MAX      32   /* a long in decimal, with room to spare */
/* What rg_dir_entry_json() is asked for a custom role rather than an
 * organisation entry. */
#define CUSTOM_ROLE_KIND "custom-role"
/* The export's indentation: a service's members, their items, and the
 * items of "org"'s lists, in spaces. */
#define INDENT_MEMBER   6
#define INDENT_ITEM     8
#define INDENT_ORG_ITEM 10

/* ---- values as the export writes them ----------------------------------- */

json_t *rg_dir_value_json(const struct rg_vocab_entry *decl, const char *text)
{
	long n;

	if (!text)
		return json_null();
	if (decl && decl->type == RG_ATTR_INTEGER && rg_vocab_integer(text, &n))
		return json_integer(n);
	return json_string(text);
}

const char *rg_dir_scalar_text(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		return buf;
	}
	return json_string_value(v);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted (byte order): allocated, NULL when out of
 * memory (or o has none). */
static const char **keys_sorted(json_t *o, size_t *n)
{
	const char **keys = calloc(json_object_size(o) + 1, sizeof(*keys));
	const char *key;
	json_t *v;

	*n = 0;
	if (!keys)
		return NULL;
	json_object_foreach(o, key, v)
	{
		keys[(*n)++] = key;
	}
	qsort(keys, *n, sizeof(*keys), str_cmp);
	return keys;
}

json_t *rg_dir_json_sorted(json_t *o)
{
	size_t i, n;
	const char **keys = keys_sorted(o, &n);
	json_t *out = keys ? json_object() : NULL;

	for (i = 0; out && i < n; i++)
		if (json_object_set(out, keys[i],
		                    json_object_get(o, keys[i]))) {
			json_decref(out);
			out = NULL;
		}
	free(keys);
	return out;
}

/* Sets key of entry o to v (text, a number, or NULL or null: unset) as
 * the export writes a value of decl, unless o has key already; an unset
 * value is null when keep_null, else left out.  0, or -1 when out of
 * memory. */
static int entry_put(json_t *o, const struct rg_vocab_entry *decl,
                     const char *key, json_t *v, int keep_null)
{
	char buf[DECIMAL_MAX];
	const char *text = rg_dir_scalar_text(v, buf, sizeof(buf));

	if (json_object_get(o, key) || (!text && !keep_null))
		return 0;
	return json_object_set_new(o, key, rg_dir_value_json(decl, text));
}

/* Entry o's attributes no declaration names, sorted, after the rest. */
static int entry_rest(json_t *o, json_t *attrs)
{
	size_t i, n;
	const char **keys = keys_sorted(attrs, &n);
	int rc = keys ? 0 : -1;

	for (i = 0; rc == 0 && i < n; i++)
		rc = entry_put(o, NULL, keys[i],
		               json_object_get(attrs, keys[i]), 0);
	free(keys);
	return rc;
}

json_t *rg_dir_entry_shape(const struct rg_service *svc, const char *kind,
                           const char *name, json_t *attrs)
{
	const struct rg_vocab_entry *k = rg_dir_kind(svc, kind);
	const char *pkey = k ? rg_dir_parent_key(k) : NULL;
	json_t *o = json_pack("{s:s}", "name", name);
	size_t i;
	int rc = o ? 0 : -1;

	if (rc == 0 && pkey)
		rc = entry_put(o, NULL, pkey, json_object_get(attrs, pkey), 1);
	for (i = 0; rc == 0 && k && i < svc->vocab.n; i++) {
		const struct rg_vocab_entry *a = &svc->vocab.v[i];

		if (a->what == RG_VOCAB_ORG_ATTR && strcmp(a->kind, kind) == 0)
			rc = entry_put(o, a, a->name,
			               json_object_get(attrs, a->name), 1);
	}
	/* Its name is set already: entry_put() keeps it. */
	if (rc == 0)
		rc = entry_rest(o, attrs);
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- export: reading ---------------------------------------------------- */

static const char SQL_X_SETTINGS[] =
    "SELECT key, value FROM setting WHERE service = ?1 ORDER BY key";
/* The organisation: rows of org with their attributes in org_attr (see
 * the schema in directory.c), all of a service or one entry's. */
static const char SQL_X_ORG[] = "SELECT kind, name FROM org WHERE "
                                "service = ?1 ORDER BY kind, name";
static const char SQL_X_ORG_ATTRS[] =
    "SELECT kind, name, key, value FROM org_attr WHERE service = ?1 "
    "ORDER BY kind, name, key";
static const char SQL_X_ENTRY[] = "SELECT kind, name FROM org WHERE "
                                  "service = ?1 AND kind = ?2 AND name = ?3";
static const char SQL_X_ENTRY_ATTRS[] =
    "SELECT kind, name, key, value FROM org_attr WHERE service = ?1 AND "
    "kind = ?2 AND name = ?3 ORDER BY key";
static const char SQL_X_CUSTOM[] =
    "SELECT id, name, description FROM custom_role WHERE service = ?1 "
    "ORDER BY id";
static const char SQL_X_GRANTS[] =
    "SELECT role, privilege FROM custom_grant WHERE service = ?1 "
    "ORDER BY role, privilege";

/* What one service exports, read under the directory's lock. */
struct xservice {
	const char *name;
	const struct rg_service *svc;
	json_t *settings;
	json_t *org; /* kind -> its entries, as the export writes them */
	json_t *customs;
	struct rg_dir_users users;
	int no_users; /* read everything but the users */
};

struct xrows {
	json_t *target;          /* an object (settings) or an array */
	const char *const *keys; /* column names for array items */
	int rc;
};

static json_t *cell_json(const rg_value *c)
{
	if (c->type == RG_VAL_TEXT)
		return json_string(c->s);
	if (c->type == RG_VAL_INT)
		return json_integer(c->i);
	return json_null();
}

/* A row as an object of keys[], appended to the array. */
static int xrow_item(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < n && x->keys[i]; i++)
		if (json_object_set_new(o, x->keys[i], cell_json(&c[i])))
			break;
	if (!o || i < n || json_array_append_new(x->target, o)) {
		x->rc = RG_ENOMEM;
		return 1;
	}
	return 0;
}

static int xrow_setting(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;

	if (json_object_set_new(x->target, c[0].s, json_string(c[1].s))) {
		x->rc = RG_ENOMEM;
		return 1;
	}
	return 0;
}

/* Appends each grant (role, privilege) to its role's "privileges". */
static int xrow_grant(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;
	size_t i;

	for (i = 0; i < json_array_size(x->target); i++) {
		json_t *r = json_array_get(x->target, i);
		if (strcmp(json_string_value(json_object_get(r, "id")),
		           c[0].s) != 0)
			continue;
		if (json_array_append_new(json_object_get(r, "privileges"),
		                          json_string(c[1].s)))
			x->rc = RG_ENOMEM;
		break;
	}
	return x->rc != RG_OK;
}

/* An org row (kind, name): an entry without attributes yet, in the
 * object target {kind: {name: {}}}. */
static int xrow_org(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;
	json_t *k = json_object_get(x->target, c[0].s);

	if (!k && json_object_set_new(x->target, c[0].s, json_object()))
		goto nomem;
	k = json_object_get(x->target, c[0].s);
	if (json_object_set_new(k, c[1].s, json_object()))
		goto nomem;
	return 0;
nomem:
	x->rc = RG_ENOMEM;
	return 1;
}

/* An org_attr row (kind, name, key, value), into its entry's object. */
static int xrow_org_attr(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;
	json_t *e = json_object_get(json_object_get(x->target, c[0].s), c[1].s);

	if (e && json_object_set_new(e, c[2].s, json_string(c[3].s))) {
		x->rc = RG_ENOMEM;
		return 1;
	}
	return 0;
}

static int xquery_p(struct rg_dir *d, const char *sql, const rg_value *p,
                    size_t np, rg_row_fn fn, json_t *target,
                    const char *const *keys, char *err, size_t errlen)
{
	struct xrows x = {target, keys, RG_OK};
	int rc;

	if (!target)
		return RG_ENOMEM;
	rc = rg_dir_query(d, sql, p, np, fn, &x, err, errlen);
	return rc == RG_OK ? x.rc : rc;
}

static int xquery(struct rg_dir *d, const char *service, const char *sql,
                  rg_row_fn fn, json_t *target, const char *const *keys,
                  char *err, size_t errlen)
{
	rg_value p[] = {RG_TEXT(service)};

	return xquery_p(d, sql, p, RG_COUNTOF(p), fn, target, keys, err,
	                errlen);
}

/* The entries of one kind (raw: {name: {key: value}}) as the export
 * writes them, sorted by name as raw is. */
static json_t *kind_json(const struct rg_service *svc, const char *kind,
                         json_t *raw)
{
	json_t *arr = json_array(), *attrs;
	const char *name;

	json_object_foreach(raw, name, attrs)
	{
		if (!arr ||
		    json_array_append_new(
		        arr, rg_dir_entry_shape(svc, kind, name, attrs))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The organisation read (raw: {kind: {name: {key: value}}}) as the export
 * writes it: the kinds svc declares in declaration order, then any other
 * kind of the rows, sorted as raw is. */
static json_t *org_json(const struct rg_service *svc, json_t *raw)
{
	json_t *org = json_object(), *entries;
	const char *kind;
	size_t i;

	for (i = 0; org && svc && i < svc->vocab.n; i++) {
		const struct rg_vocab_entry *k = &svc->vocab.v[i];
		json_t *e = json_object_get(raw, k->name);

		if (k->what == RG_VOCAB_ORG_KIND &&
		    json_object_set_new(org, k->name,
		                        e ? kind_json(svc, k->name, e)
		                          : json_array()))
			goto nomem;
	}
	json_object_foreach(raw, kind, entries)
	{
		if (org && !json_object_get(org, kind) &&
		    json_object_set_new(org, kind,
		                        kind_json(svc, kind, entries)))
			goto nomem;
	}
	return org;
nomem:
	json_decref(org);
	return NULL;
}

/* Reads the organisation with sql and sql_attrs (parameters p) into
 * *out, as the export writes it. */
static int org_read(struct rg_dir *d, const struct rg_service *svc,
                    const char *sql, const char *sql_attrs, const rg_value *p,
                    size_t np, json_t **out, char *err, size_t errlen)
{
	json_t *raw = json_object();
	int rc;

	rc = xquery_p(d, sql, p, np, xrow_org, raw, NULL, err, errlen);
	if (rc == RG_OK)
		rc = xquery_p(d, sql_attrs, p, np, xrow_org_attr, raw, NULL,
		              err, errlen);
	*out = rc == RG_OK ? org_json(svc, raw) : NULL;
	if (rc == RG_OK && !*out)
		rc = RG_ENOMEM;
	json_decref(raw);
	return rc;
}

/* Gives every custom role an empty "privileges" list to fill. */
static int xcustom_lists(json_t *customs)
{
	size_t i;

	for (i = 0; i < json_array_size(customs); i++)
		if (json_object_set_new(json_array_get(customs, i),
		                        "privileges", json_array()))
			return RG_ENOMEM;
	return RG_OK;
}

/* The service's custom roles with their privileges. */
static int customs_read(struct rg_dir *d, struct xservice *xs, char *err,
                        size_t errlen)
{
	static const char *const custom_keys[] = {"id", "name", "description",
	                                          NULL};
	int rc;

	xs->customs = json_array();
	rc = xquery(d, xs->name, SQL_X_CUSTOM, xrow_item, xs->customs,
	            custom_keys, err, errlen);
	if (rc == RG_OK)
		rc = xcustom_lists(xs->customs);
	if (rc == RG_OK)
		rc = xquery(d, xs->name, SQL_X_GRANTS, xrow_grant, xs->customs,
		            NULL, err, errlen);
	return rc;
}

static int xservice_read(struct rg_dir *d, struct xservice *xs, char *err,
                         size_t errlen)
{
	rg_value p[] = {RG_TEXT(xs->name)};
	int rc;

	xs->svc = rg_service_find(d->ctx, xs->name);
	xs->settings = json_object();
	rc = xquery(d, xs->name, SQL_X_SETTINGS, xrow_setting, xs->settings,
	            NULL, err, errlen);
	if (rc == RG_OK)
		rc = org_read(d, xs->svc, SQL_X_ORG, SQL_X_ORG_ATTRS, p,
		              RG_COUNTOF(p), &xs->org, err, errlen);
	if (rc == RG_OK)
		rc = customs_read(d, xs, err, errlen);
	if (rc == RG_OK && !xs->no_users)
		rc = rg_dir_users_read(d, xs->name, NULL, &xs->users, err,
		                       errlen);
	if (rc == RG_ENOMEM)
		rg_strlcpy(err, "out of memory", errlen);
	return rc;
}

static void xservice_free(struct xservice *xs)
{
	json_decref(xs->settings);
	json_decref(xs->org);
	json_decref(xs->customs);
	rg_dir_users_free(&xs->users);
}

/* "a,b,c" as a JSON array of strings. */
static json_t *list_json(const char *list)
{
	json_t *a = json_array();
	const char *p = list;

	while (a && p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (json_array_append_new(a, json_stringn(p, len))) {
			json_decref(a);
			return NULL;
		}
		p = end ? end + 1 : NULL;
	}
	return a;
}

/*
 * A users row's copy as an object: its attributes (users.attrs, sorted by
 * key) as the export writes their values, a number for an INTEGER one the
 * service declares; or (members) its memberships (users.members, sorted
 * by kind, names sorted) as kind -> [names].
 */
static json_t *pairs_json(const struct rg_service *svc,
                          const struct rg_dir_pairs *p, int members)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < p->n; i++) {
		const struct rg_vocab_entry *a =
		    svc && !members
		        ? rg_vocab_lookup(&svc->vocab, RG_VOCAB_USER_ATTR, NULL,
		                          p->keys[i])
		        : NULL;
		json_t *v = members ? list_json(p->values[i])
		                    : rg_dir_value_json(a, p->values[i]);

		if (json_object_set_new(o, p->keys[i], v)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *user_json(const struct rg_service *svc,
                         const struct rg_dir_user *u)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", u->id, "name",
	                 u->name, "attrs", pairs_json(svc, &u->attrs, 0),
	                 "roles", list_json(u->roles.s), "members",
	                 pairs_json(svc, &u->members, 1));
}

/* ---- export: writing ---------------------------------------------------- */

/* Writes one item compactly on its own line, indented. */
static int emit_item(FILE *f, int indent, json_t *item, int last)
{
	char *s =
	    item ? json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	int rc;

	if (!s)
		return RG_ENOMEM;
	rc = fprintf(f, "%*s%s%s\n", indent, "", s, last ? "" : ",") < 0
	         ? RG_EIO
	         : RG_OK;
	free(s);
	return rc;
}

/* Writes `"key": ` indented, the key escaped (a kind read from the
 * database may be any text). */
static int emit_key(FILE *f, int indent, const char *key)
{
	json_t *j = json_string(key);
	char *s = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	int rc;

	json_decref(j);
	if (!s)
		return RG_ENOMEM;
	rc = fprintf(f, "%*s%s: ", indent, "", s) < 0 ? RG_EIO : RG_OK;
	free(s);
	return rc;
}

/* "key": [ items, one a line ], with the items indented by item. */
static int emit_array(FILE *f, int indent, int item, const char *key,
                      json_t *arr, int last)
{
	size_t i, n = json_array_size(arr);
	int rc = emit_key(f, indent, key);

	if (rc == RG_OK && n == 0)
		return fprintf(f, "[]%s\n", last ? "" : ",") < 0 ? RG_EIO
		                                                 : RG_OK;
	if (rc == RG_OK && fprintf(f, "[\n") < 0)
		rc = RG_EIO;
	for (i = 0; i < n && rc == RG_OK; i++)
		rc = emit_item(f, item, json_array_get(arr, i), i + 1 == n);
	if (rc == RG_OK &&
	    fprintf(f, "%*s]%s\n", indent, "", last ? "" : ",") < 0)
		rc = RG_EIO;
	return rc;
}

/* "org": {KIND: [entries], ...}, a kind a line and an entry a line. */
static int emit_org(FILE *f, json_t *org)
{
	size_t i = 0, n = json_object_size(org);
	const char *kind;
	json_t *entries;
	int rc = RG_OK;

	if (n == 0)
		return fprintf(f, "%*s\"org\": {},\n", INDENT_MEMBER, "") < 0
		           ? RG_EIO
		           : RG_OK;
	if (fprintf(f, "%*s\"org\": {\n", INDENT_MEMBER, "") < 0)
		return RG_EIO;
	json_object_foreach(org, kind, entries)
	{
		if (rc == RG_OK)
			rc = emit_array(f, INDENT_ITEM, INDENT_ORG_ITEM, kind,
			                entries, ++i == n);
	}
	if (rc == RG_OK && fprintf(f, "%*s},\n", INDENT_MEMBER, "") < 0)
		rc = RG_EIO;
	return rc;
}

/* The users, built and written one at a time: 50,000 of them are never
 * all JSON at once. */
static int emit_users(FILE *f, const struct xservice *xs)
{
	const struct rg_dir_users *us = &xs->users;
	size_t i;
	int rc = RG_OK;

	if (us->n == 0)
		return fprintf(f, "%*s\"users\": []\n", INDENT_MEMBER, "") < 0
		           ? RG_EIO
		           : RG_OK;
	if (fprintf(f, "%*s\"users\": [\n", INDENT_MEMBER, "") < 0)
		return RG_EIO;
	for (i = 0; i < us->n && rc == RG_OK; i++) {
		json_t *u = user_json(xs->svc, &us->v[i]);
		rc = emit_item(f, INDENT_ITEM, u, i + 1 == us->n);
		json_decref(u);
	}
	if (rc == RG_OK && fprintf(f, "%*s]\n", INDENT_MEMBER, "") < 0)
		rc = RG_EIO;
	return rc;
}

static int emit_service(FILE *f, struct xservice *xs, int last)
{
	json_t *jname = json_string(xs->name);
	char *name = jname ? json_dumps(jname, JSON_ENCODE_ANY) : NULL;
	char *settings = json_dumps(xs->settings, JSON_COMPACT);
	int rc = RG_OK;

	json_decref(jname);
	if (!name || !settings)
		rc = RG_ENOMEM;
	if (rc == RG_OK && fprintf(f,
	                           "    {\n      \"name\": %s,\n"
	                           "      \"settings\": %s,\n",
	                           name, settings) < 0)
		rc = RG_EIO;
	if (rc == RG_OK)
		rc = emit_org(f, xs->org);
	if (rc == RG_OK)
		rc = emit_array(f, INDENT_MEMBER, INDENT_ITEM, "custom_roles",
		                xs->customs, 0);
	if (rc == RG_OK)
		rc = emit_users(f, xs);
	if (rc == RG_OK && fprintf(f, "    }%s\n", last ? "" : ",") < 0)
		rc = RG_EIO;
	free(name);
	free(settings);
	return rc;
}

/* The users as an array of export user objects. */
static json_t *users_json(const struct xservice *xs)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < xs->users.n; i++)
		if (json_array_append_new(
		        a, user_json(xs->svc, &xs->users.v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int rg_dir_service_json(struct rg_dir *d, const char *service, json_t **out,
                        char *err, size_t errlen)
{
	struct xservice xs = {0};
	json_t *users = NULL;
	int rc;

	*out = NULL;
	xs.name = service;
	rc = xservice_read(d, &xs, err, errlen);
	if (rc == RG_OK) {
		users = users_json(&xs);
		*out = users ? json_pack("{s:s, s:O, s:O, s:O, s:o}", "name",
		                         service, "settings", xs.settings,
		                         "org", xs.org, "custom_roles",
		                         xs.customs, "users", users)
		             : NULL;
		if (!*out) {
			rc = RG_ENOMEM;
			rg_strlcpy(err, "out of memory", errlen);
		}
	}
	xservice_free(&xs);
	return rc;
}

/* The custom role id of txn->svc as the export writes it, or NULL. */
static json_t *custom_json(rg_txn *txn, const char *id)
{
	struct xservice xs = {0};
	char err[RG_MSG_MAX];
	json_t *item = NULL;
	size_t i;

	xs.name = txn->svc->name;
	if (customs_read(txn->dir, &xs, err, sizeof(err)) == RG_OK)
		for (i = 0; !item && i < json_array_size(xs.customs); i++) {
			json_t *o = json_array_get(xs.customs, i);
			const char *k =
			    json_string_value(json_object_get(o, "id"));

			if (k && strcmp(k, id) == 0)
				item = json_incref(o);
		}
	xservice_free(&xs);
	return item;
}

json_t *rg_dir_entry_json(rg_txn *txn, const char *kind, const char *name)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(kind), RG_TEXT(name)};
	char err[RG_MSG_MAX];
	json_t *org = NULL, *item;

	if (strcmp(kind, CUSTOM_ROLE_KIND) == 0)
		return custom_json(txn, name);
	if (org_read(txn->dir, txn->svc, SQL_X_ENTRY, SQL_X_ENTRY_ATTRS, p,
	             RG_COUNTOF(p), &org, err, sizeof(err)) != RG_OK)
		return NULL;
	item = json_incref(json_array_get(json_object_get(org, kind), 0));
	json_decref(org);
	return item;
}

static int emit_all(FILE *f, struct xservice *xs, size_t n)
{
	size_t i;
	int rc = RG_OK;

	if (fprintf(f,
	            "{\n  \"format\": \"" FORMAT_NAME "\",\n"
	            "  \"version\": %d,\n  \"services\": [\n",
	            FORMAT_VERSION) < 0)
		return RG_EIO;
	for (i = 0; i < n && rc == RG_OK; i++)
		rc = emit_service(f, &xs[i], i + 1 == n);
	if (rc == RG_OK && fprintf(f, "  ]\n}\n") < 0)
		rc = RG_EIO;
	return rc;
}
/* Says why path, when it exists, may not be replaced by an export. */
static int check_target(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return RG_OK;
		snprintf(err, errlen, "cannot write %s: %s", path,
		         strerror(errno));
		return RG_EIO;
	}
	/* Never turn a device, a FIFO or a link's target into a file. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
		         "cannot write %s: it is %s, not a "
		         "regular file",
		         path, rg_file_kind(st.st_mode));
		return RG_EREFUSED;
	}
	return RG_OK;
}

/* An export is as readable as the database it copies (EXPORT_MODE when
 * there is none yet). */
static mode_t export_mode(const char *database)
{
	struct stat st;

	if (database && stat(database, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & EXPORT_MODE_BITS;
	return EXPORT_MODE;
}

/* Makes the rename durable: fsync() the directory holding path. */
static int sync_parent(const char *path)
{
	char *dir = rg_dirname(path);
	int fd, rc;

	if (!dir)
		return RG_ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return RG_EIO;
	rc = fsync(fd) == 0 ? RG_OK : RG_EIO;
	close(fd);
	return rc;
}

/* Writes the export into a new, unique file beside path (O_EXCL, so
 * never through a link someone left there); *tmp gets its name. */
static int write_temp(const char *path, mode_t mode, struct xservice *xs,
                      size_t n, char **tmp)
{
	char *dir = rg_dirname(path);
	FILE *f;
	int fd, rc;

	*tmp = dir ? rg_asprintf("%s/.rolegate-export.XXXXXX", dir) : NULL;
	free(dir);
	if (!*tmp)
		return RG_ENOMEM;
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		free(*tmp);
		*tmp = NULL;
		return RG_EIO;
	}
	f = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		close(fd);
		return RG_EIO;
	}
	rc = emit_all(f, xs, n);
	if (rc == RG_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		rc = RG_EIO;
	if (fclose(f) != 0 && rc == RG_OK)
		rc = RG_EIO;
	return rc;
}

/* Writes to path through a temporary file renamed into place, so that a
 * failed export never leaves half a backup behind. */
static int write_file(const char *path, const char *database,
                      struct xservice *xs, size_t n, char *err, size_t errlen)
{
	char *tmp = NULL;
	int rc;

	if (strcmp(path, "-") == 0) {
		rc = emit_all(stdout, xs, n);
		if (rc == RG_OK && fflush(stdout) != 0)
			rc = RG_EIO;
		if (rc != RG_OK)
			snprintf(err, errlen, "cannot write the export: %s",
			         rc == RG_EIO ? strerror(errno)
			                      : rg_strerror(rc));
		return rc;
	}
	rc = check_target(path, err, errlen);
	if (rc != RG_OK)
		return rc;
	rc = write_temp(path, export_mode(database), xs, n, &tmp);
	if (rc == RG_OK && rename(tmp, path) != 0)
		rc = RG_EIO;
	if (rc == RG_OK) {
		free(tmp);
		tmp = NULL; /* it is path now */
		rc = sync_parent(path);
	}
	if (rc != RG_OK) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		         rc == RG_EIO ? strerror(errno) : rg_strerror(rc));
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

int rg_directory_export(rg_context *ctx, const char *service, const char *path,
                        char *errbuf, size_t errlen)
{
	char scratch[RG_MSG_MAX];
	struct xservice *xs;
	struct rg_dir *d;
	size_t n, i;
	int rc;

	if (!errbuf) {
		errbuf = scratch;
		errlen = sizeof(scratch);
	}
	if (errlen)
		errbuf[0] = '\0';
	if (!ctx || !path) {
		rg_strlcpy(errbuf, "no context or path", errlen);
		return RG_EINVAL;
	}
	if (service && !rg_service_find(ctx, service)) {
		snprintf(errbuf, errlen, "unknown service '%.*s'", RG_ID_MAX,
		         service);
		return RG_ENOSERVICE;
	}
	/* Services of the configuration, in its order. */
	n = service ? 1 : ctx->nservices;
	xs = calloc(n ? n : 1, sizeof(*xs));
	if (!xs)
		return RG_ENOMEM;
	for (i = 0; i < n; i++)
		xs[i].name = service ? service : ctx->services[i]->name;
	/* One read transaction: the export is one state of the directory. */
	rc = rg_dir_read_begin(ctx, &d, errbuf, errlen);
	for (i = 0; rc == RG_OK && i < n; i++)
		rc = xservice_read(d, &xs[i], errbuf, errlen);
	if (d)
		rg_dir_read_end(d);
	if (rc == RG_OK)
		rc = write_file(path, ctx->directory, xs, n, errbuf, errlen);
	for (i = 0; i < n; i++)
		xservice_free(&xs[i]);
	free(xs);
	return rc;
}

/* ---- import: sets of names -------------------------------------------- */

/* Names known in one service: those in the database and in the file. */
struct nameset {
	rg_intern ix;         /* keys borrowed from owned[] or the JSON */
	const char **names;   /* by index */
	const char **parents; /* an entry's parent per index, or NULL */
	size_t n, cap;
	char **owned; /* copies of names read from the database */
	size_t nowned, capowned;
	int nomem; /* a copy failed while reading the database */
};

static void set_init(struct nameset *s)
{
	memset(s, 0, sizeof(*s));
	rg_intern_init(&s->ix);
}

static void set_free(struct nameset *s)
{
	size_t i;

	for (i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	free(s->names);
	free(s->parents);
	rg_intern_free(&s->ix);
	memset(s, 0, sizeof(*s));
}

static int set_has(const struct nameset *s, const char *name)
{
	return rg_intern_get(&s->ix, name) >= 0;
}

/* Adds name (borrowed) with parent (borrowed, may be NULL). */
static int set_add(struct nameset *s, const char *name, const char *parent)
{
	/* Names and parents share one capacity, counted once both grew. */
	size_t cn = s->cap, cp = s->cap;
	int rc;

	if (RG_GROW(s->names, cn, s->n + 1) != RG_OK ||
	    RG_GROW(s->parents, cp, s->n + 1) != RG_OK)
		return RG_ENOMEM;
	s->cap = cn;
	rc = rg_intern_put(&s->ix, name, (uint32_t)s->n);
	if (rc != RG_OK)
		return rc;
	s->names[s->n] = name;
	s->parents[s->n++] = parent;
	return RG_OK;
}

/* Adds a copy of name (and parent) read from the database. */
static int set_add_copy(struct nameset *s, const char *name, const char *parent)
{
	char *n = rg_strdup(name), *p = parent ? rg_strdup(parent) : NULL;

	if (!n || (parent && !p) ||
	    rg_ptr_push((void ***)&s->owned, &s->nowned, &s->capowned, n) !=
	        RG_OK) {
		free(n);
		free(p);
		return RG_ENOMEM;
	}
	if (p && rg_ptr_push((void ***)&s->owned, &s->nowned, &s->capowned,
	                     p) != RG_OK) {
		free(p);
		return RG_ENOMEM;
	}
	return set_add(s, n, p);
}

/* ---- import: state and errors ----------------------------------------- */

/* The sets every service has; each organisation kind has its own. */
enum set_kind { SET_SETTING, SET_CUSTOM, SET_USER, SET_KINDS };

/* A user's list of roles or of the entries of one kind. */
struct ulist {
	const char *noun;    /* of an item: "role", or the kind's */
	struct nameset *set; /* the names it may hold (and declared roles) */
	const char **items;  /* sorted */
	size_t n;
	char *joined; /* the users row's copy */
};

/* An organisation kind the service declares, and the file's entries of
 * it. */
struct kindset {
	const struct rg_vocab_entry *decl;
	struct nameset names;    /* the database's, then the file's */
	json_t *arr;             /* the file's entries, or NULL */
	char path[PATH_MAX_LEN]; /* the JSON path of arr */
	size_t first;            /* the index in names of arr's first */
	struct ulist members;    /* of the user being read */
};

/* The user being read: its attributes, at most one per declaration. */
struct uattrs {
	const char **keys, **values; /* values borrowed, or in bufs */
	char (*bufs)[DECIMAL_MAX];
	size_t n;
};

struct imp {
	rg_context *ctx;
	rg_txn *txn;
	unsigned flags;
	int version; /* the file's */
	const struct rg_service *svc;
	rg_progress_fn progress;
	void *puser;
	size_t total, done;
	struct nameset sets[SET_KINDS];
	struct kindset *kinds; /* svc's, in declaration order */
	size_t nkinds;
	struct uattrs attrs;
	struct ulist roles;
	/* Counts for the audit row of the current service. */
	size_t nusers, nassign, nmembers;
	json_t *old; /* the current service's data before the import */
	int rc;
	char err[RG_MSG_MAX];
};

static int bad(struct imp *im, int status, const char *path, const char *fmt,
               ...) RG_PRINTF(4, 5);

/* Records the first failure, "PATH: message". */
static int bad(struct imp *im, int status, const char *path, const char *fmt,
               ...)
{
	char msg[RG_MSG_MAX];
	va_list ap;

	if (im->rc != RG_OK)
		return im->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		snprintf(im->err, sizeof(im->err), "%s: %s", path, msg);
	else
		rg_strlcpy(im->err, msg, sizeof(im->err));
	im->rc = status;
	return status;
}

static int nomem(struct imp *im)
{
	return bad(im, RG_ENOMEM, NULL, "out of memory");
}

/* Runs a statement of the import; a store failure ends it. */
static int imp_exec(struct imp *im, const char *sql, const rg_value *p,
                    size_t n)
{
	int rc = rg_txn_exec(im->txn, sql, p, n, NULL);

	return rc == RG_OK ? RG_OK
	                   : bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
}

/* The kind of the current service named kind, or NULL. */
static struct kindset *kind_find(struct imp *im, const char *kind)
{
	size_t i;

	for (i = 0; kind && i < im->nkinds; i++)
		if (strcmp(im->kinds[i].decl->name, kind) == 0)
			return &im->kinds[i];
	return NULL;
}

/* " (it declares a, b or c)" of what the service declares, in buf. */
static const char *declared_hint(const struct imp *im, rg_vocab_what what,
                                 const char *kind, char *buf, size_t len)
{
	char names[RG_MSG_MAX];

	rg_dir_vocab_names(im->svc, what, kind, NULL, names, sizeof(names));
	snprintf(buf, len, " (it declares %s)", *names ? names : "none");
	return buf;
}

/* ---- import: reading JSON values -------------------------------------- */

/* 1 when key is one of list (NULL-terminated). */
static int key_in(const char *key, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return 1;
	return 0;
}

/* Refuses keys of obj not in allowed (NULL-terminated). */
static int only_keys(struct imp *im, json_t *obj, const char *path,
                     const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		if (!key_in(key, allowed))
			return bad(im, RG_EINVAL, path, "unknown key '%s'",
			           key);
	}
	return RG_OK;
}

/* A string member: *out NULL when absent or null (unless required). */
static int get_str(struct imp *im, json_t *obj, const char *key,
                   const char *path, int required, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return bad(im, RG_EINVAL, path, "\"%s\" is required",
			           key);
		return RG_OK;
	}
	if (!json_is_string(v))
		return bad(im, RG_EINVAL, path, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return RG_OK;
}

/* An array or object member (NULL when absent or null). */
static int get_typed(struct imp *im, json_t *obj, const char *key,
                     const char *path, json_type type, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return RG_OK;
	if (json_typeof(v) != type)
		return bad(im, RG_EINVAL, path, "\"%s\" must be an %s", key,
		           type == JSON_ARRAY ? "array" : "object");
	*out = v;
	return RG_OK;
}

static int get_array(struct imp *im, json_t *obj, const char *key,
                     const char *path, json_t **out)
{
	return get_typed(im, obj, key, path, JSON_ARRAY, out);
}

/* What each_member() calls for a member key, v of an object at path. */
typedef int (*member_fn)(struct imp *im, const char *key, json_t *v,
                         const char *path);

/* Calls fn for each member of the object `key` of o (absent or null:
 * none), whose path is base.key.MEMBER. */
static int each_member(struct imp *im, json_t *o, const char *key,
                       const char *base, member_fn fn)
{
	char path[PATH_MAX_LEN];
	const char *k;
	json_t *obj, *v;

	if (get_typed(im, o, key, base, JSON_OBJECT, &obj))
		return im->rc;
	json_object_foreach(obj, k, v)
	{
		snprintf(path, sizeof(path), "%s.%s.%s", base, key, k);
		if (fn(im, k, v, path))
			return im->rc;
	}
	return RG_OK;
}

/* 1 when v holds nothing: null, [] or {}. */
static int empty(json_t *v)
{
	return !v || json_is_null(v) ||
	       (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

/* The i-th item of the array at arr_path as an object, with its path. */
static json_t *item_obj(struct imp *im, json_t *arr, size_t i,
                        const char *arr_path, char *path)
{
	json_t *o = json_array_get(arr, i);

	snprintf(path, PATH_MAX_LEN, "%s[%zu]", arr_path, i);
	if (!json_is_object(o)) {
		bad(im, RG_EINVAL, path, "expected an object");
		return NULL;
	}
	return o;
}

/*
 * The text to store of value v of the declared attribute a, at path:
 * INTEGER attributes are JSON numbers, the others strings, each checked
 * as the directory's operations check it (rg_dir_value_check()); a
 * reference names an entry of its kind, in the directory or the file.
 * *stored points into v or buf.
 */
static int value_text(struct imp *im, const struct rg_vocab_entry *a, json_t *v,
                      const char *path, char *buf, size_t len,
                      const char **stored)
{
	char number[DECIMAL_MAX], msg[RG_MSG_MAX];
	const char *text = json_string_value(v);
	struct kindset *k;

	if (a->type == RG_ATTR_INTEGER && !json_is_integer(v))
		return bad(im, RG_EINVAL, path, "expected a whole number");
	if (a->type == RG_ATTR_INTEGER)
		text = rg_dir_scalar_text(v, number, sizeof(number));
	if (!text)
		return bad(im, RG_EINVAL, path, "expected a string");
	if (rg_dir_value_check(a, text, buf, len, stored, msg, sizeof(msg)) !=
	    RG_OK)
		return bad(im, RG_EINVAL, path, "invalid %s '%s': %s", a->name,
		           text, msg);
	if (*stored == number) {
		rg_strlcpy(buf, number, len);
		*stored = buf;
	}
	k = a->type == RG_ATTR_REF ? kind_find(im, a->ref) : NULL;
	if (a->type == RG_ATTR_REF && (!k || !set_has(&k->names, text)))
		return bad(im, RG_ENOENT, path,
		           "unknown %s '%s' in service '%s'",
		           k ? k->decl->noun : a->ref, text, im->svc->name);
	return RG_OK;
}

/* ---- import: the service's data before ---------------------------------- */

/* Children before the rows their foreign keys name: a user's rows before
 * the user, memberships and attributes before the organisation. */
static const char *const SQL_I_DEL[] = {
    "DELETE FROM assignment WHERE service = ?1",
    "DELETE FROM member WHERE service = ?1",
    "DELETE FROM user_attr WHERE service = ?1",
    "DELETE FROM users WHERE service = ?1",
    "DELETE FROM org_attr WHERE service = ?1",
    "DELETE FROM org WHERE service = ?1",
    "DELETE FROM custom_grant WHERE service = ?1",
    "DELETE FROM custom_role WHERE service = ?1",
    "DELETE FROM setting WHERE service = ?1",
};

/* What the database already holds, per set: (name). */
static const char *const SQL_I_EXISTING[SET_KINDS] = {
    [SET_SETTING] = "SELECT key FROM setting WHERE service = ?1",
    [SET_CUSTOM] = "SELECT id FROM custom_role WHERE service = ?1",
    [SET_USER] = "SELECT id FROM users WHERE service = ?1",
};
/* The entries of kind ?2 with their parent (attribute ?3; NULL matches
 * none). */
static const char SQL_I_EXISTING_ORG[] =
    "SELECT o.name, p.value FROM org o LEFT JOIN org_attr p "
    "ON p.service = o.service AND p.kind = o.kind AND p.name = o.name "
    "AND p.key = ?3 WHERE o.service = ?1 AND o.kind = ?2";

static int existing_row(void *user, const rg_value *c, size_t n)
{
	struct nameset *s = user;

	if (set_add_copy(s, c[0].s,
	                 n > 1 && c[1].type == RG_VAL_TEXT ? c[1].s : NULL) ==
	    RG_OK)
		return 0;
	s->nomem = 1;
	return 1;
}

static void ulist_free(struct ulist *l)
{
	free(l->items);
	free(l->joined);
	l->items = NULL;
	l->joined = NULL;
	l->n = 0;
}

static void kinds_free(struct imp *im)
{
	size_t i;

	for (i = 0; i < im->nkinds; i++) {
		set_free(&im->kinds[i].names);
		ulist_free(&im->kinds[i].members);
	}
	free(im->kinds);
	im->kinds = NULL;
	im->nkinds = 0;
	free(im->attrs.keys);
	free(im->attrs.values);
	free(im->attrs.bufs);
	memset(&im->attrs, 0, sizeof(im->attrs));
}

/* The service's kinds, and room for a user's attributes: at most one per
 * declaration. */
static int kinds_init(struct imp *im)
{
	const rg_vocab *v = &im->svc->vocab;
	size_t i, n = v->n ? v->n : 1;

	kinds_free(im);
	im->kinds = calloc(n, sizeof(*im->kinds));
	im->attrs.keys = calloc(n, sizeof(*im->attrs.keys));
	im->attrs.values = calloc(n, sizeof(*im->attrs.values));
	im->attrs.bufs = calloc(n, sizeof(*im->attrs.bufs));
	if (!im->kinds || !im->attrs.keys || !im->attrs.values ||
	    !im->attrs.bufs)
		return nomem(im);
	for (i = 0; i < v->n; i++) {
		struct kindset *k = &im->kinds[im->nkinds];

		if (v->v[i].what != RG_VOCAB_ORG_KIND)
			continue;
		k->decl = &v->v[i];
		set_init(&k->names);
		k->members.noun = k->decl->noun;
		k->members.set = &k->names;
		im->nkinds++;
	}
	return RG_OK;
}

/* Learns what the service holds: names of each set, and each kind's
 * entries with their parents. */
static int existing_read(struct imp *im)
{
	size_t i;
	int rc = RG_OK, k;

	for (k = 0; k < SET_KINDS && rc == RG_OK; k++) {
		rg_value p[] = {RG_TEXT(im->svc->name)};

		rc = rg_txn_query(im->txn, SQL_I_EXISTING[k], p, RG_COUNTOF(p),
		                  existing_row, &im->sets[k]);
		if (rc == RG_OK && im->sets[k].nomem)
			return nomem(im);
	}
	for (i = 0; i < im->nkinds && rc == RG_OK; i++) {
		struct kindset *ks = &im->kinds[i];
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(ks->decl->name),
		                RG_TEXT(rg_dir_parent_key(ks->decl))};

		rc = rg_txn_query(im->txn, SQL_I_EXISTING_ORG, p, RG_COUNTOF(p),
		                  existing_row, &ks->names);
		if (rc == RG_OK && ks->names.nomem)
			return nomem(im);
	}
	return rc == RG_OK ? RG_OK
	                   : bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
}

/* Empties the service (replace), or learns what it holds (merge). */
static int service_prepare(struct imp *im)
{
	rg_value p[] = {RG_TEXT(im->svc->name)};
	size_t i;
	int rc = RG_OK, k;

	for (k = 0; k < SET_KINDS; k++) {
		set_free(&im->sets[k]);
		set_init(&im->sets[k]);
	}
	im->roles.noun = "role";
	im->roles.set = &im->sets[SET_CUSTOM];
	if (kinds_init(im) != RG_OK)
		return im->rc;
	if (!(im->flags & RG_IMPORT_REPLACE))
		return existing_read(im);
	for (i = 0; i < RG_COUNTOF(SQL_I_DEL) && rc == RG_OK; i++)
		rc = imp_exec(im, SQL_I_DEL[i], p, RG_COUNTOF(p));
	return rc;
}

/* A name not seen yet in set s: else RG_EEXIST at path. */
static int fresh(struct imp *im, const struct nameset *s, const char *name,
                 const char *path, const char *what)
{
	if (set_has(s, name))
		return bad(im, RG_EEXIST, path,
		           "%s '%s' already exists in service '%s'%s", what,
		           name, im->svc->name,
		           im->flags & RG_IMPORT_REPLACE
		               ? ""
		               : " (import --replace replaces the "
		                 "service's data)");
	return RG_OK;
}

/* ---- import: settings --------------------------------------------------- */

static const char SQL_I_SETTING[] =
    "INSERT INTO setting (service, key, value) VALUES (?1, ?2, ?3)";

/* A setting is text, checked as rg_setting_set() checks it. */
static int import_setting(struct imp *im, const char *key, json_t *v,
                          const char *path)
{
	rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(key),
	                RG_TEXT(json_string_value(v))};
	char msg[RG_MSG_MAX];

	if (!rg_id_valid(key))
		return bad(im, RG_EINVAL, path, "invalid setting name");
	if (!json_is_string(v) ||
	    !rg_dir_text_valid(json_string_value(v), RG_DIR_TEXT_MAX, 1))
		return bad(im, RG_EINVAL, path,
		           "expected a string of at most %d bytes",
		           RG_DIR_TEXT_MAX - 1);
	if (rg_dir_declared_check(im->svc, RG_VOCAB_SETTING, NULL, key,
	                          json_string_value(v), msg,
	                          sizeof(msg)) != RG_OK)
		return bad(im, RG_EINVAL, path, "%s", msg);
	if (fresh(im, &im->sets[SET_SETTING], key, path, "setting") != RG_OK)
		return im->rc;
	if (set_add(&im->sets[SET_SETTING], key, NULL) != RG_OK)
		return nomem(im);
	return imp_exec(im, SQL_I_SETTING, p, RG_COUNTOF(p));
}

static int import_settings(struct imp *im, json_t *so, const char *base)
{
	return each_member(im, so, "settings", base, import_setting);
}

/* ---- import: where each kind's entries are ------------------------------ */

/* Takes arr, at path, as the entries of kind k; a kind the service does
 * not declare (k NULL, word its name or version 1's section) only when it
 * holds nothing. */
static int section_take(struct imp *im, struct kindset *k, json_t *arr,
                        const char *path, const char *word)
{
	char hint[RG_MSG_MAX];

	if (!k && empty(arr))
		return RG_OK;
	if (!k)
		return bad(
		    im, RG_EINVAL, path,
		    "service '%s' declares no organisation kind %s'%s'%s",
		    im->svc->name,
		    im->version == FORMAT_V1 ? "whose section is " : "", word,
		    declared_hint(im, RG_VOCAB_ORG_KIND, NULL, hint,
		                  sizeof(hint)));
	if (!json_is_null(arr) && !json_is_array(arr))
		return bad(im, RG_EINVAL, path, "expected an array");
	if (k->arr)
		return bad(im, RG_EINVAL, path,
		           "the entries of kind '%s' are given twice (first "
		           "%s)",
		           k->decl->name, k->path);
	k->arr = json_is_array(arr) ? arr : NULL;
	rg_strlcpy(k->path, path, sizeof(k->path));
	return RG_OK;
}

/* Version 2: "org": {KIND: [entries]}. */
static int section_v2(struct imp *im, const char *kind, json_t *arr,
                      const char *path)
{
	return section_take(im, kind_find(im, kind), arr, path, kind);
}

/* 1 when key is version 1's section of kind k: the kind's name, or its
 * noun with '_' for blanks, and an "s" ("units", "business_units"). */
static int v1_section_of(const struct rg_vocab_entry *k, const char *key)
{
	char word[RG_MSG_MAX];
	size_t i;

	snprintf(word, sizeof(word), "%ss", k->name);
	if (strcmp(word, key) == 0)
		return 1;
	snprintf(word, sizeof(word), "%ss", k->noun);
	for (i = 0; word[i]; i++)
		if (word[i] == ' ')
			word[i] = '_';
	return strcmp(word, key) == 0;
}

/* Version 1: a section per kind, beside the service's other keys. */
static int sections_v1(struct imp *im, json_t *so, const char *base)
{
	static const char *const others[] = {"name", "settings", "custom_roles",
	                                     "users", NULL};
	char path[PATH_MAX_LEN];
	struct kindset *k;
	const char *key;
	json_t *arr;
	size_t i;

	json_object_foreach(so, key, arr)
	{
		if (key_in(key, others))
			continue;
		for (k = NULL, i = 0; !k && i < im->nkinds; i++)
			if (v1_section_of(im->kinds[i].decl, key))
				k = &im->kinds[i];
		snprintf(path, sizeof(path), "%s.%s", base, key);
		if (section_take(im, k, arr, path, key))
			return im->rc;
	}
	return RG_OK;
}

/* ---- import: organisation entries --------------------------------------- */

static const char SQL_I_ORG[] =
    "INSERT INTO org (service, kind, name) VALUES (?1, ?2, ?3)";
static const char SQL_I_ORG_ATTR[] =
    "INSERT INTO org_attr (service, kind, name, key, value) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

/* The first pass over a kind's entries: each name valid and new, its row
 * written, its parent noted (checked once every entry is known). */
static int org_names(struct imp *im, struct kindset *k)
{
	const char *pkey = rg_dir_parent_key(k->decl);
	char path[PATH_MAX_LEN];
	const char *name, *parent = NULL;
	json_t *o;
	size_t i;

	k->first = k->names.n;
	for (i = 0; i < json_array_size(k->arr); i++) {
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(k->decl->name),
		                RG_TEXT(NULL)};

		if (!(o = item_obj(im, k->arr, i, k->path, path)) ||
		    get_str(im, o, "name", path, 1, &name) ||
		    (pkey && get_str(im, o, pkey, path, 0, &parent)))
			return im->rc;
		if (!rg_dir_org_name_valid(name))
			return bad(im, RG_EINVAL, path, "invalid %s name '%s'",
			           k->decl->noun, name);
		if (fresh(im, &k->names, name, path, k->decl->noun))
			return im->rc;
		if (set_add(&k->names, name, pkey ? parent : NULL) != RG_OK)
			return nomem(im);
		p[2] = RG_TEXT(name);
		if (imp_exec(im, SQL_I_ORG, p, RG_COUNTOF(p)))
			return im->rc;
	}
	return RG_OK;
}

static int org_attr_write(struct imp *im, const struct kindset *k,
                          const char *name, const char *key, const char *value)
{
	rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(k->decl->name),
	                RG_TEXT(name), RG_TEXT(key), RG_TEXT(value)};

	return imp_exec(im, SQL_I_ORG_ATTR, p, RG_COUNTOF(p));
}

/* An entry's parent: an entry of the parent kind, where there must be
 * one; its row. */
static int org_parent(struct imp *im, const struct kindset *k, const char *name,
                      const char *parent, const char *path)
{
	const char *pkey = rg_dir_parent_key(k->decl);
	const struct kindset *of = kind_find(im, k->decl->parent);
	char ppath[PATH_MAX_LEN];

	if (!parent && (k->decl->flags & RG_ORG_PARENT_REQUIRED))
		return bad(im, RG_EINVAL, path, "%s '%s' needs a %s",
		           k->decl->noun, name, pkey);
	if (!parent)
		return RG_OK;
	snprintf(ppath, sizeof(ppath), "%s.%s", path, pkey);
	if (!of || !set_has(&of->names, parent))
		return bad(im, RG_ENOENT, ppath,
		           "unknown %s '%s' in service '%s'",
		           of ? of->decl->noun : k->decl->parent, parent,
		           im->svc->name);
	return org_attr_write(im, k, name, pkey, parent);
}

/* An attribute of an entry: declared for its kind and valid; its row. */
static int org_attr(struct imp *im, const struct kindset *k, const char *name,
                    const char *key, json_t *v, const char *path)
{
	const struct rg_vocab_entry *a = rg_vocab_lookup(
	    &im->svc->vocab, RG_VOCAB_ORG_ATTR, k->decl->name, key);
	char apath[PATH_MAX_LEN], buf[DECIMAL_MAX], hint[RG_MSG_MAX];
	const char *stored;

	snprintf(apath, sizeof(apath), "%s.%s", path, key);
	if (json_is_null(v))
		return RG_OK;
	if (!a)
		return bad(im, RG_EINVAL, apath,
		           "service '%s' declares no attribute '%s' of a %s%s",
		           im->svc->name, key, k->decl->noun,
		           declared_hint(im, RG_VOCAB_ORG_ATTR, k->decl->name,
		                         hint, sizeof(hint)));
	if (value_text(im, a, v, apath, buf, sizeof(buf), &stored))
		return im->rc;
	return org_attr_write(im, k, name, key, stored);
}

/* The second pass, once every entry of every kind is known: parents and
 * attributes. */
static int org_attrs(struct imp *im, const struct kindset *k)
{
	const char *pkey = rg_dir_parent_key(k->decl);
	char path[PATH_MAX_LEN];
	const char *key, *name;
	json_t *o, *v;
	size_t i;

	for (i = 0; i < json_array_size(k->arr); i++) {
		o = json_array_get(k->arr, i);
		name = k->names.names[k->first + i];
		snprintf(path, sizeof(path), "%s[%zu]", k->path, i);
		if (org_parent(im, k, name, k->names.parents[k->first + i],
		               path))
			return im->rc;
		json_object_foreach(o, key, v)
		{
			if (strcmp(key, "name") == 0 ||
			    (pkey && strcmp(key, pkey) == 0))
				continue;
			if (org_attr(im, k, name, key, v, path))
				return im->rc;
		}
	}
	return RG_OK;
}

/* Refuses a second root of a single-root tree, or a cycle; the entries
 * from the file are those from k->first. */
static int tree_check(struct imp *im, const struct kindset *k)
{
	const struct nameset *s = &k->names;
	char path[PATH_MAX_LEN];
	const char *root = NULL;
	size_t i, steps;

	/* Entries already in the directory come first (i < first). */
	for (i = 0; i < s->n; i++) {
		long cur = (long)i;

		snprintf(path, sizeof(path), "%s[%zu]", k->path,
		         i >= k->first ? i - k->first : 0);
		if (!s->parents[i] && root &&
		    (k->decl->flags & RG_ORG_SINGLE_ROOT))
			return bad(im, RG_EREFUSED, path,
			           "'%s' would be a second root %s ('%s' is "
			           "the root)",
			           s->names[i], k->decl->noun, root);
		if (!s->parents[i] && !root)
			root = s->names[i];
		/* Walk up: a chain longer than the set is a cycle. */
		for (steps = 0; cur >= 0 && steps <= s->n; steps++)
			cur = s->parents[cur]
			          ? rg_intern_get(&s->ix, s->parents[cur])
			          : -1;
		if (cur >= 0 && i >= k->first)
			return bad(im, RG_EREFUSED, path,
			           "%s '%s' is its own ancestor (a cycle)",
			           k->decl->noun, s->names[i]);
	}
	return RG_OK;
}

/* Every kind's entries, whichever order the file and the declarations
 * give: a parent or a reference may name an entry of a kind after it. */
static int import_org(struct imp *im, json_t *so, const char *base)
{
	size_t i;

	if (im->version == FORMAT_V1
	        ? sections_v1(im, so, base)
	        : each_member(im, so, "org", base, section_v2))
		return im->rc;
	for (i = 0; i < im->nkinds; i++)
		if (org_names(im, &im->kinds[i]))
			return im->rc;
	for (i = 0; i < im->nkinds; i++)
		if (org_attrs(im, &im->kinds[i]))
			return im->rc;
	/* A tree the file adds nothing to stays as the directory has it. */
	for (i = 0; i < im->nkinds; i++)
		if (im->kinds[i].arr &&
		    rg_dir_kind_is_tree(im->kinds[i].decl) &&
		    tree_check(im, &im->kinds[i]))
			return im->rc;
	return RG_OK;
}
/* ---- import: custom roles ---------------------------------------------- */

static const char SQL_I_CUSTOM[] =
    "INSERT INTO custom_role (service, id, name, description) "
    "VALUES (?1, ?2, ?3, ?4)";
static const char SQL_I_GRANT[] =
    "INSERT INTO custom_grant (service, role, privilege) "
    "VALUES (?1, ?2, ?3)";

/* The privileges of a custom role: declared, each once; then the plugin's
 * word on the whole set. */
static int custom_privs(struct imp *im, json_t *o, const char *id,
                        const char *path)
{
	char ipath[PATH_MAX_LEN], msg[RG_MSG_MAX];
	uint32_t idx[RG_MAX_PRIVILEGES];
	json_t *arr;
	size_t i, j, n;
	int rc;

	if (get_array(im, o, "privileges", path, &arr) != RG_OK)
		return im->rc;
	n = json_array_size(arr);
	if (n > RG_MAX_PRIVILEGES)
		return bad(im, RG_ELIMIT, path, "too many privileges");
	for (i = 0; i < n; i++) {
		const char *priv = json_string_value(json_array_get(arr, i));
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(id),
		                RG_TEXT(priv)};
		long pi = priv ? rg_privilege_find(im->svc, priv) : -1;

		snprintf(ipath, sizeof(ipath), "%s.privileges[%zu]", path, i);
		if (!priv)
			return bad(im, RG_EINVAL, ipath, "expected a string");
		if (pi < 0)
			return bad(im, RG_ENOACTION, ipath,
			           "unknown privilege '%s' in service '%s'",
			           priv, im->svc->name);
		for (j = 0; j < i; j++)
			if (idx[j] == (uint32_t)pi)
				return bad(im, RG_EINVAL, ipath,
				           "privilege '%s' is listed twice",
				           priv);
		idx[i] = (uint32_t)pi;
		if (imp_exec(im, SQL_I_GRANT, p, RG_NITEMS(p)))
			return im->rc;
	}
	rc = rg_custom_role_allowed(im->svc, id, idx, n, msg, sizeof(msg));
	return rc == RG_OK ? RG_OK : bad(im, rc, path, "%s", msg);
}

static int import_customs(struct imp *im, json_t *so, const char *base)
{
	static const char *const keys[] = {"id", "name", "description",
	                                   "privileges", NULL};
	char path[PATH_MAX_LEN], apath[PATH_MAX_LEN];
	const char *id = NULL, *name = NULL, *desc = NULL;
	json_t *arr, *o;
	size_t i;

	if (get_array(im, so, "custom_roles", base, &arr) != RG_OK)
		return im->rc;
	snprintf(apath, sizeof(apath), "%s.custom_roles", base);
	for (i = 0; i < json_array_size(arr); i++) {
		rg_value p[4];
		if (!(o = item_obj(im, arr, i, apath, path)) ||
		    only_keys(im, o, path, keys) ||
		    get_str(im, o, "id", path, 1, &id) ||
		    get_str(im, o, "name", path, 0, &name) ||
		    get_str(im, o, "description", path, 0, &desc))
			return im->rc;
		name = name ? name : id;
		desc = desc ? desc : "";
		if (!rg_id_valid(id))
			return bad(im, RG_EINVAL, path, "invalid role id '%s'",
			           id);
		if (!rg_dir_text_valid(name, RG_DIR_NAME_MAX, 0) ||
		    !rg_dir_text_valid(desc, RG_DIR_TEXT_MAX, 1))
			return bad(im, RG_EINVAL, path,
			           "invalid name or description");
		if (rg_role_find(im->svc, id) >= 0)
			return bad(im, RG_EEXIST, path,
			           "role '%s' is a built-in role of service "
			           "'%s'",
			           id, im->svc->name);
		if (fresh(im, &im->sets[SET_CUSTOM], id, path, "custom role") ||
		    set_add(&im->sets[SET_CUSTOM], id, NULL) != RG_OK)
			return im->rc ? im->rc : nomem(im);
		if (im->svc->reg.nroles + im->sets[SET_CUSTOM].n >
		    RG_MAX_ROLES - 1)
			return bad(im, RG_ELIMIT, path,
			           "too many roles in service '%s' (at most "
			           "%d)",
			           im->svc->name, RG_MAX_ROLES);
		p[0] = RG_TEXT(im->svc->name);
		p[1] = RG_TEXT(id);
		p[2] = RG_TEXT(name);
		p[3] = RG_TEXT(desc);
		if (imp_exec(im, SQL_I_CUSTOM, p, RG_NITEMS(p)) ||
		    custom_privs(im, o, id, path))
			return im->rc;
	}
	return RG_OK;
}

/* ---- import: users ------------------------------------------------------ */

/* users.roles, attrs and members repeat the user's other rows, written
 * here rather than by rg_dir_user_sync(), which reads them back: an
 * import of 50,000 users would pay that read for each. */
static const char SQL_I_USER[] =
    "INSERT INTO users (service, id, name, roles, attrs, members) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_I_USER_ATTR[] =
    "INSERT INTO user_attr (service, user_id, key, value) "
    "VALUES (?1, ?2, ?3, ?4)";
static const char SQL_I_ASSIGN[] =
    "INSERT INTO assignment (service, user_id, role) VALUES (?1, ?2, ?3)";
static const char SQL_I_MEMBER[] =
    "INSERT INTO member (service, user_id, kind, name) "
    "VALUES (?1, ?2, ?3, ?4)";

/* 1 when item of list l is known: in its set, or a declared role. */
static int ulist_known(struct imp *im, const struct ulist *l, const char *item)
{
	return set_has(l->set, item) ||
	       (l == &im->roles && rg_role_find(im->svc, item) >= 0);
}

/* Joins a sorted list with commas for the users row. */
static int ulist_join(struct imp *im, struct ulist *l)
{
	size_t i, len = 0;

	for (i = 0; i < l->n; i++)
		len += strlen(l->items[i]) + 1;
	l->joined = calloc(1, len + 1);
	if (!l->joined)
		return nomem(im);
	for (i = 0; i < l->n; i++) {
		if (i)
			strcat(l->joined, ",");
		strcat(l->joined, l->items[i]);
	}
	return RG_OK;
}

/* Reads a user's list arr (at path): each item known, each once; sorts
 * it and joins it for the users row. */
static int ulist_read(struct imp *im, json_t *arr, const char *path,
                      struct ulist *l)
{
	char ipath[PATH_MAX_LEN];
	size_t i;

	ulist_free(l);
	l->n = json_array_size(arr);
	l->items = l->n ? calloc(l->n, sizeof(*l->items)) : NULL;
	if (l->n && !l->items)
		return nomem(im);
	for (i = 0; i < l->n; i++) {
		const char *item = json_string_value(json_array_get(arr, i));

		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (!item)
			return bad(im, RG_EINVAL, ipath, "expected a string");
		if (!ulist_known(im, l, item))
			return bad(im, l == &im->roles ? RG_ENOROLE : RG_ENOENT,
			           ipath, "unknown %s '%s' in service '%s'",
			           l->noun, item, im->svc->name);
		l->items[i] = item;
	}
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), str_cmp);
	for (i = 1; i < l->n; i++)
		if (strcmp(l->items[i - 1], l->items[i]) == 0)
			return bad(im, RG_EINVAL, path, "'%s' is listed twice",
			           l->items[i]);
	return ulist_join(im, l);
}

/* A user attribute the service declares (at path): noted to be written;
 * null leaves it unset. */
static int user_attr(struct imp *im, const struct rg_vocab_entry *a, json_t *v,
                     const char *path)
{
	struct uattrs *at = &im->attrs;

	if (json_is_null(v))
		return RG_OK;
	if (value_text(im, a, v, path, at->bufs[at->n], sizeof(at->bufs[0]),
	               &at->values[at->n]))
		return im->rc;
	at->keys[at->n++] = a->name;
	return RG_OK;
}

/* The user's memberships of kind k (the array v, at path). */
static int user_members(struct imp *im, struct kindset *k, json_t *v,
                        const char *path)
{
	if (json_is_null(v))
		return RG_OK;
	if (!json_is_array(v))
		return bad(im, RG_EINVAL, path, "expected an array");
	if (!(k->decl->flags & RG_ORG_MEMBERS) && json_array_size(v))
		return bad(im, RG_EINVAL, path,
		           "a user is not a member of a %s", k->decl->noun);
	return ulist_read(im, v, path, &k->members);
}

/* A key of a version 1 user (at path) other than id, name and roles: a
 * declared user attribute, or KIND + "s" for the memberships of a kind;
 * any other only when it holds nothing. */
static int user_v1_key(struct imp *im, const char *key, json_t *v,
                       const char *path)
{
	const struct rg_vocab_entry *a =
	    rg_vocab_lookup(&im->svc->vocab, RG_VOCAB_USER_ATTR, NULL, key);
	char kind[RG_ID_MAX];
	size_t len = strlen(key);
	struct kindset *k = NULL;

	if (a)
		return user_attr(im, a, v, path);
	if (len > 1 && len < sizeof(kind) && key[len - 1] == 's') {
		memcpy(kind, key, len - 1);
		kind[len - 1] = '\0';
		k = kind_find(im, kind);
	}
	if (k)
		return user_members(im, k, v, path);
	if (empty(v))
		return RG_OK;
	return bad(im, RG_EINVAL, path,
	           json_is_array(v) ? "service '%s' declares no user attribute "
	                              "or organisation kind for '%s'"
	                            : "service '%s' declares no user "
	                              "attribute '%s'",
	           im->svc->name, key);
}

/* A version 1 user's attributes and memberships, its own keys. */
static int user_v1(struct imp *im, json_t *o, const char *upath)
{
	static const char *const own[] = {"id", "name", "roles", NULL};
	char path[PATH_MAX_LEN];
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		if (key_in(key, own))
			continue;
		snprintf(path, sizeof(path), "%s.%s", upath, key);
		if (user_v1_key(im, key, v, path))
			return im->rc;
	}
	return RG_OK;
}

/* A member of a version 2 user's "attrs": a declared attribute. */
static int user_attr_v2(struct imp *im, const char *key, json_t *v,
                        const char *path)
{
	const struct rg_vocab_entry *a =
	    rg_vocab_lookup(&im->svc->vocab, RG_VOCAB_USER_ATTR, NULL, key);
	char hint[RG_MSG_MAX];

	if (a)
		return user_attr(im, a, v, path);
	if (json_is_null(v))
		return RG_OK;
	return bad(
	    im, RG_EINVAL, path,
	    "service '%s' declares no user attribute '%s'%s", im->svc->name,
	    key,
	    declared_hint(im, RG_VOCAB_USER_ATTR, NULL, hint, sizeof(hint)));
}

/* A member of a version 2 user's "members": a declared kind's. */
static int user_members_v2(struct imp *im, const char *kind, json_t *v,
                           const char *path)
{
	struct kindset *k = kind_find(im, kind);

	return k ? user_members(im, k, v, path)
	         : section_take(im, NULL, v, path, kind);
}

/* A version 2 user's "attrs" and "members". */
static int user_v2(struct imp *im, json_t *o, const char *upath)
{
	static const char *const keys[] = {"id",    "name",    "attrs",
	                                   "roles", "members", NULL};

	if (only_keys(im, o, upath, keys) ||
	    each_member(im, o, "attrs", upath, user_attr_v2) ||
	    each_member(im, o, "members", upath, user_members_v2))
		return im->rc;
	return RG_OK;
}

/* Forgets the previous user's attributes and lists. */
static void user_reset(struct imp *im)
{
	size_t i;

	im->attrs.n = 0;
	ulist_free(&im->roles);
	for (i = 0; i < im->nkinds; i++)
		ulist_free(&im->kinds[i].members);
}

/* The users row, with its copies of the attributes and lists, joined as
 * rg_dir_user_sync() would. */
static int user_row(struct imp *im, const char *id, const char *name)
{
	const char **kinds = calloc(im->nkinds + 1, sizeof(*kinds));
	const char **names = calloc(im->nkinds + 1, sizeof(*names));
	char *attrs = NULL, *members = NULL;
	size_t i;

	if (!kinds || !names)
		goto nomem;
	/* A kind with no names is left out of the pairs. */
	for (i = 0; i < im->nkinds; i++) {
		kinds[i] = im->kinds[i].decl->name;
		names[i] =
		    im->kinds[i].members.n ? im->kinds[i].members.joined : NULL;
	}
	attrs =
	    rg_dir_pairs_join(im->attrs.keys, im->attrs.values, im->attrs.n);
	members = rg_dir_pairs_join(kinds, names, im->nkinds);
	if (!attrs || !members)
		goto nomem;
	{
		rg_value p[] = {
		    RG_TEXT(im->svc->name), RG_TEXT(id),
		    RG_TEXT(name),          RG_TEXT(im->roles.joined),
		    RG_TEXT(attrs),         RG_TEXT(members)};
		imp_exec(im, SQL_I_USER, p, RG_COUNTOF(p));
	}
	goto out;
nomem:
	nomem(im);
out:
	free(kinds);
	free(names);
	free(attrs);
	free(members);
	return im->rc;
}

/* Inserts the rows of list l with sql: (service, user[, kind], item). */
static int ulist_write(struct imp *im, const char *id, const char *kind,
                       const struct ulist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(id),
		                RG_TEXT(kind ? kind : l->items[i]),
		                RG_TEXT(l->items[i])};

		if (imp_exec(im, kind ? SQL_I_MEMBER : SQL_I_ASSIGN, p,
		             kind ? RG_COUNTOF(p) : RG_COUNTOF(p) - 1))
			return im->rc;
	}
	return RG_OK;
}

/* The user's rows: users, user_attr, assignment and member. */
static int user_write(struct imp *im, const char *id, const char *name)
{
	size_t i;

	if (user_row(im, id, name))
		return im->rc;
	for (i = 0; i < im->attrs.n; i++) {
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(id),
		                RG_TEXT(im->attrs.keys[i]),
		                RG_TEXT(im->attrs.values[i])};

		if (imp_exec(im, SQL_I_USER_ATTR, p, RG_COUNTOF(p)))
			return im->rc;
	}
	if (ulist_write(im, id, NULL, &im->roles))
		return im->rc;
	im->nassign += im->roles.n;
	for (i = 0; i < im->nkinds; i++) {
		if (ulist_write(im, id, im->kinds[i].decl->name,
		                &im->kinds[i].members))
			return im->rc;
		im->nmembers += im->kinds[i].members.n;
	}
	return RG_OK;
}

static int user_fields(struct imp *im, json_t *o, const char *path,
                       const char **id, const char **name)
{
	if (get_str(im, o, "id", path, 1, id) ||
	    get_str(im, o, "name", path, 0, name))
		return im->rc;
	if (!*name)
		*name = *id;
	if (!rg_dir_user_id_valid(*id))
		return bad(im, RG_EINVAL, path, "invalid user id '%s'", *id);
	if (!rg_dir_text_valid(*name, RG_DIR_NAME_MAX, 0))
		return bad(im, RG_EINVAL, path, "invalid name for user '%s'",
		           *id);
	return fresh(im, &im->sets[SET_USER], *id, path, "user");
}

/* One user: validated whole, then written. */
static int import_user(struct imp *im, json_t *o, const char *path)
{
	char lpath[PATH_MAX_LEN];
	const char *id = NULL, *name = NULL;
	json_t *roles;

	user_reset(im);
	if (user_fields(im, o, path, &id, &name) ||
	    (im->version == FORMAT_V1 ? user_v1(im, o, path)
	                              : user_v2(im, o, path)) ||
	    get_array(im, o, "roles", path, &roles))
		return im->rc;
	snprintf(lpath, sizeof(lpath), "%s.roles", path);
	if (ulist_read(im, roles, lpath, &im->roles))
		return im->rc;
	if (set_add(&im->sets[SET_USER], id, NULL) != RG_OK)
		return nomem(im);
	return user_write(im, id, name);
}

static int progress(struct imp *im, int last)
{
	if (!im->progress || (!last && im->done % PROGRESS_EVERY != 0))
		return RG_OK;
	if (im->progress(im->puser, im->done, im->total))
		return bad(im, RG_EREFUSED, NULL,
		           "import cancelled after %zu of %zu users", im->done,
		           im->total);
	return RG_OK;
}

static int import_users(struct imp *im, json_t *so, const char *base)
{
	char path[PATH_MAX_LEN], apath[PATH_MAX_LEN];
	json_t *arr, *o;
	size_t i;

	if (get_array(im, so, "users", base, &arr) != RG_OK)
		return im->rc;
	snprintf(apath, sizeof(apath), "%s.users", base);
	for (i = 0; i < json_array_size(arr); i++) {
		if (!(o = item_obj(im, arr, i, apath, path)) ||
		    import_user(im, o, path))
			return im->rc;
		im->nusers++;
		im->done++;
		if (progress(im, 0))
			return im->rc;
	}
	return RG_OK;
}

/* ---- import: the audit trail -------------------------------------------- */

/* The current service's data as the transaction sees it. */
static int service_state(struct imp *im, json_t **out)
{
	char err[RG_MSG_MAX];
	int rc;

	json_decref(*out);
	rc = rg_dir_service_json(im->txn->dir, im->svc->name, out, err,
	                         sizeof(err));
	return rc == RG_OK ? RG_OK : bad(im, rc, NULL, "%s", err);
}

/* One audit row of an item the import added, changed or removed. */
static int item_audit(struct imp *im, const char *what, const char *user,
                      json_t *before, json_t *after)
{
	int rc;

	if (before && after && json_equal(before, after))
		return RG_OK;
	rc = rg_txn_audit(im->txn, user, what, json_incref(before),
	                  json_incref(after));
	return rc == RG_OK ? RG_OK
	                   : bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
}

/* A part of a service object, its items' key member and audit name, and
 * the kind an organisation entry's record names (as org.remove's does). */
struct part {
	const char *id;
	const char *what;
	const char *kind;
};

/* An item as its record holds it: an entry with its kind (a new
 * reference; NULL stays NULL). */
static json_t *part_item(const struct part *pt, json_t *item)
{
	json_t *o;

	if (!item || !pt->kind)
		return json_incref(item);
	o = json_copy(item);
	if (o && json_object_set_new(o, "kind", json_string(pt->kind))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Two items with the same key (either NULL: added or removed). */
static int pair_audit(struct imp *im, const struct part *pt, json_t *a,
                      json_t *b, const char *user)
{
	json_t *ia = part_item(pt, a), *ib = part_item(pt, b);
	int rc = (a && !ia) || (b && !ib)
	             ? nomem(im)
	             : item_audit(im, pt->what, user, ia, ib);

	json_decref(ia);
	json_decref(ib);
	return rc;
}

/* Both lists are sorted by their items' ids (byte order): one merge. */
static int part_audit(struct imp *im, const struct part *pt, json_t *old,
                      json_t *cur)
{
	size_t i = 0, j = 0, n = json_array_size(old), m = json_array_size(cur);
	int is_user = strcmp(pt->what, "import.user") == 0, rc = RG_OK;

	while (rc == RG_OK && (i < n || j < m)) {
		json_t *a = json_array_get(old, i), *b = json_array_get(cur, j);
		const char *ka = json_string_value(json_object_get(a, pt->id));
		const char *kb = json_string_value(json_object_get(b, pt->id));
		int c = !ka ? 1 : (!kb ? -1 : strcmp(ka, kb));

		if (c < 0)
			b = NULL, i++;
		else if (c > 0)
			a = NULL, j++;
		else
			i++, j++;
		rc = pair_audit(im, pt, a, b,
		                is_user ? (c > 0 ? kb : ka) : NULL);
	}
	return rc;
}

/* A setting as an item: {"key", "value"} (value NULL: none). */
static json_t *setting_item(const char *key, json_t *value)
{
	return value ? json_pack("{s:s, s:O}", "key", key, "value", value)
	             : NULL;
}

static int setting_audit(struct imp *im, const char *key, json_t *old,
                         json_t *cur)
{
	json_t *a = setting_item(key, json_object_get(old, key));
	json_t *b = setting_item(key, json_object_get(cur, key));
	int rc = item_audit(im, "import.setting", NULL, a, b);

	json_decref(a);
	json_decref(b);
	return rc;
}

static int settings_audit(struct imp *im, json_t *os, json_t *cs)
{
	const char *key;
	json_t *v;
	int rc = RG_OK;

	json_object_foreach(os, key, v)
	{
		if (rc == RG_OK)
			rc = setting_audit(im, key, os, cs);
	}
	json_object_foreach(cs, key, v)
	{
		if (rc == RG_OK && !json_object_get(os, key))
			rc = setting_audit(im, key, os, cs);
	}
	return rc;
}

/* Each kind's entries: the kinds now, then those only before. */
static int org_audit(struct imp *im, json_t *oo, json_t *co)
{
	struct part pt = {"name", "import.org", NULL};
	const char *kind;
	json_t *v;
	int rc = RG_OK;

	json_object_foreach(co, kind, v)
	{
		pt.kind = kind;
		if (rc == RG_OK)
			rc = part_audit(im, &pt, json_object_get(oo, kind), v);
	}
	json_object_foreach(oo, kind, v)
	{
		pt.kind = kind;
		if (rc == RG_OK && !json_object_get(co, kind))
			rc = part_audit(im, &pt, v, NULL);
	}
	return rc;
}

/*
 * An audit row per item the import added, changed or removed, before
 * and after as the export writes it (an organisation entry with its
 * "kind"), so that each can be seen and undone (rg_audit_undo()).
 * Unchanged items (a backup restored over itself) write none.
 */
static int changes_audit(struct imp *im)
{
	static const struct part customs = {"id", "import.custom-role", NULL};
	static const struct part users = {"id", "import.user", NULL};
	json_t *cur = NULL, *old = im->old;
	int rc;

	if (service_state(im, &cur) != RG_OK)
		return im->rc;
	rc = settings_audit(im, json_object_get(old, "settings"),
	                    json_object_get(cur, "settings"));
	if (rc == RG_OK)
		rc = org_audit(im, json_object_get(old, "org"),
		               json_object_get(cur, "org"));
	if (rc == RG_OK)
		rc = part_audit(im, &customs,
		                json_object_get(old, "custom_roles"),
		                json_object_get(cur, "custom_roles"));
	if (rc == RG_OK)
		rc = part_audit(im, &users, json_object_get(old, "users"),
		                json_object_get(cur, "users"));
	json_decref(cur);
	return rc;
}

/* The summary: how many of each the service holds after the import. */
static int service_audit(struct imp *im)
{
	json_t *org = json_object(), *after;
	size_t i;
	int rc;

	for (i = 0; org && i < im->nkinds; i++)
		if (json_object_set_new(
		        org, im->kinds[i].decl->name,
		        json_integer((json_int_t)im->kinds[i].names.n))) {
			json_decref(org);
			org = NULL;
		}
	after =
	    org ? json_pack("{s:b, s:I, s:o, s:I, s:I, s:I, s:I}", "replace",
	                    (im->flags & RG_IMPORT_REPLACE) != 0, "settings",
	                    (json_int_t)im->sets[SET_SETTING].n, "org", org,
	                    "custom_roles", (json_int_t)im->sets[SET_CUSTOM].n,
	                    "users", (json_int_t)im->nusers, "assignments",
	                    (json_int_t)im->nassign, "memberships",
	                    (json_int_t)im->nmembers)
	        : NULL;
	if (!after)
		return nomem(im);
	rc = rg_txn_audit(im->txn, NULL, "import", NULL, after);
	return rc == RG_OK ? RG_OK
	                   : bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
}

static int import_service(struct imp *im, json_t *so, size_t si)
{
	static const char *const keys_v2[] = {"name",         "settings", "org",
	                                      "custom_roles", "users",    NULL};
	char base[PATH_MAX_LEN];

	snprintf(base, sizeof(base), "services[%zu]", si);
	im->svc = rg_service_find(
	    im->ctx, json_string_value(json_object_get(so, "name")));
	im->txn->svc = im->svc;
	im->nusers = im->nassign = im->nmembers = 0;
	if ((im->version != FORMAT_V1 && only_keys(im, so, base, keys_v2)) ||
	    service_state(im, &im->old) || service_prepare(im) ||
	    import_settings(im, so, base) || import_org(im, so, base) ||
	    import_customs(im, so, base) || import_users(im, so, base) ||
	    changes_audit(im))
		return im->rc;
	return service_audit(im);
}

/* ---- import: the file ------------------------------------------------- */

static int load_file(struct imp *im, const char *path, json_t **out)
{
	char why[RG_MSG_MAX];
	json_error_t jerr;
	size_t flags = JSON_REJECT_DUPLICATES;
	FILE *f;
	int fd, rc;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		*out = json_loadf(stdin, flags, &jerr);
	} else {
		/* Only a regular file, of a bounded size (see file.c). */
		rc = rg_file_open(path, RG_FILE_MAX_IMPORT, &fd, why,
		                  sizeof(why));
		/* RG_EIO, as for any file that cannot be read. */
		if (rc != RG_OK)
			return bad(im, RG_EIO, NULL, "cannot read %s: %s", path,
			           why);
		/* Buffered: json_loadfd() reads one byte per read(2), which
		 * for a 50,000-user file is seconds of system time. */
		f = fdopen(fd, "r");
		if (!f) {
			close(fd);
			return bad(im, RG_EIO, NULL, "cannot read %s: %s", path,
			           strerror(errno));
		}
		*out = json_loadf(f, flags, &jerr);
		fclose(f);
	}
	if (*out)
		return RG_OK;
	return bad(im, RG_EIO, NULL, "%s:%d:%d: %s",
	           strcmp(path, "-") == 0 ? "(stdin)" : path, jerr.line,
	           jerr.column, jerr.text);
}

/* The header; then every service named must be configured. */
static int check_header(struct imp *im, json_t *root, json_t **services)
{
	static const char *const keys[] = {"format", "version", "services",
	                                   NULL};
	json_t *v = json_object_get(root, "version");
	char unknown[RG_MSG_MAX] = "", path[PATH_MAX_LEN];
	const char *name;
	size_t i, j, len = 0;

	if (!json_is_object(root))
		return bad(im, RG_EIO, NULL,
		           "not a rolegate directory export: expected an "
		           "object");
	if (!json_is_string(json_object_get(root, "format")) ||
	    strcmp(json_string_value(json_object_get(root, "format")),
	           FORMAT_NAME) != 0)
		return bad(
		    im, RG_EIO, "format",
		    "not a rolegate directory export (expected \"" FORMAT_NAME
		    "\")");
	if (!json_is_integer(v) || (json_integer_value(v) != FORMAT_VERSION &&
	                            json_integer_value(v) != FORMAT_V1))
		return bad(im, RG_ENOSYS, "version",
		           "unsupported version (this rolegate reads %d and "
		           "%d)",
		           FORMAT_V1, FORMAT_VERSION);
	im->version = (int)json_integer_value(v);
	*services = json_object_get(root, "services");
	if (only_keys(im, root, "", keys))
		return im->rc;
	if (!json_is_array(*services))
		return bad(im, RG_EINVAL, "services", "expected an array");
	for (i = 0; i < json_array_size(*services); i++) {
		json_t *so = json_array_get(*services, i);
		snprintf(path, sizeof(path), "services[%zu]", i);
		if (!json_is_object(so))
			return bad(im, RG_EINVAL, path, "expected an object");
		if (get_str(im, so, "name", path, 1, &name))
			return im->rc;
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(
			               json_array_get(*services, j), "name")),
			           name) == 0)
				return bad(im, RG_EINVAL, path,
				           "service '%s' appears twice (first "
				           "services[%zu])",
				           name, j);
		if (!rg_service_find(im->ctx, name) && len < sizeof(unknown))
			len += (size_t)snprintf(
			    unknown + len, sizeof(unknown) - len,
			    "%s'%s' (services[%zu])", len ? ", " : "", name, i);
		im->total += json_array_size(json_object_get(so, "users"));
	}
	if (len)
		return bad(im, RG_ENOSERVICE, NULL,
		           "services unknown to the configuration: %s",
		           unknown);
	return RG_OK;
}

static int import_all(struct imp *im, json_t *services, const char *path,
                      const char *actor, const char *as)
{
	char err[RG_MSG_MAX];
	char *command;
	size_t i;
	int rc;

	command =
	    as ? rg_strdup(as)
	       : rg_asprintf("import %s%s", path,
	                     im->flags & RG_IMPORT_REPLACE ? " --replace" : "");
	if (!command)
		return nomem(im);
	rc = rg_dir_txn_begin(im->ctx, NULL, actor, command, &im->txn, err,
	                      sizeof(err));
	free(command);
	if (rc != RG_OK)
		return bad(im, rc, NULL, "%s", err);
	for (i = 0; i < json_array_size(services) && im->rc == RG_OK; i++)
		import_service(im, json_array_get(services, i), i);
	if (im->rc == RG_OK)
		progress(im, 1);
	if (im->rc != RG_OK) {
		rg_txn_abort(im->txn);
		return im->rc;
	}
	rc = rg_txn_commit(im->txn);
	if (rc != RG_OK)
		return bad(im, rc, NULL,
		           "the import was not committed (see the log)");
	return RG_OK;
}

int rg_directory_import(rg_context *ctx, const char *path, unsigned flags,
                        const char *actor, rg_progress_fn progress_fn,
                        void *puser, char *errbuf, size_t errlen)
{
	return rg_directory_import_as(ctx, path, flags, actor, NULL,
	                              progress_fn, puser, errbuf, errlen);
}

int rg_directory_import_as(rg_context *ctx, const char *path, unsigned flags,
                           const char *actor, const char *command,
                           rg_progress_fn progress_fn, void *puser,
                           char *errbuf, size_t errlen)
{
	struct imp im;
	json_t *root = NULL, *services = NULL;
	int k;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!ctx || !path) {
		if (errbuf)
			rg_strlcpy(errbuf, "no context or path", errlen);
		return RG_EINVAL;
	}
	memset(&im, 0, sizeof(im));
	im.ctx = ctx;
	im.flags = flags;
	im.progress = progress_fn;
	im.puser = puser;
	for (k = 0; k < SET_KINDS; k++)
		set_init(&im.sets[k]);
	if (load_file(&im, path, &root) == RG_OK &&
	    check_header(&im, root, &services) == RG_OK)
		import_all(&im, services, path, actor, command);
	for (k = 0; k < SET_KINDS; k++)
		set_free(&im.sets[k]);
	kinds_free(&im);
	ulist_free(&im.roles);
	json_decref(im.old);
	json_decref(root);
	if (errbuf && im.rc != RG_OK)
		rg_strlcpy(errbuf, im.err, errlen);
	if (im.rc != RG_OK)
		rg_log(ctx, RG_LOG_ERR, "import %s: %s", path, im.err);
	return im.rc;
}
