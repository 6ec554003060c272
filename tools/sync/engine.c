/*
 * engine.c - the sync engine (rgsync.h): the role map, the directory as
 * it is, the difference from what the product says, and applying it in one
 * transaction.  Fetching is fetch.c's, each product's fields its adapter's.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "adapter.h"
#include "jsontext.h"
#include "rgdconf.h"

/* The products the tool can sync from. */
static const struct sync_adapter *const sync_adapters[] = {
    &sync_rocketchat,
    &sync_dataverse,
};

/* The phases the changes are applied in, so that each finds what it
 * needs: entries before their members, a role before the memberships
 * that may need it, members out before an entry goes. */
enum phase {
	PH_ORG_ADD,
	PH_USER_ADD,
	PH_USER_SET,
	PH_MEMBER_REMOVE,
	PH_ASSIGN,
	PH_UNASSIGN,
	PH_MEMBER_ADD,
	PH_USER_REMOVE,
	PH_ORG_REMOVE,
	PH_COUNT
};

/* Room for one line of the plan, as the tool has always cut them. */
#define LINE_MAX_LEN 512

/* What to change: the lines to print and the operations by phase. */
struct plan {
	json_t *lines; /* one string per change */
	json_t *kept;  /* what --prune would remove, one string each */
	json_t *ops[PH_COUNT];
};

/* The number of strings of a NULL-terminated list. */
static size_t list_len(const char *const *items)
{
	size_t n = 0;

	while (items && items[n])
		n++;
	return n;
}

/* ---- helpers for adapters ------------------------------------------------ */

const char *sync_str(struct sync *s, const json_t *obj, const char *key,
                     const char *where)
{
	const char *v = json_string_value(json_object_get(obj, key));

	if (!v || !*v)
		sync_fail(s, RG_EINVAL, "%s: %s is missing or not a string",
		          where, key);
	return v && *v ? v : NULL;
}

static int custom_found(void *user, const rg_custom_role_info *r)
{
	(void)r;
	*(int *)user = 1;
	return 1;
}

/* 1 when the service knows role id: built in, or a custom role. */
static int role_known(struct sync *s, const char *id)
{
	int found = 0;

	if (rg_role_find(s->svc, id) >= 0)
		return 1;
	rg_custom_role_list(s->ctx, s->service, id, custom_found, &found);
	return found;
}

/* The built-in role whose display name is name, ignoring case, or NULL. */
static const char *role_by_name(const rg_service *svc, const char *name)
{
	size_t i;

	for (i = 0; i < rg_role_count(svc); i++) {
		rg_role_info r;

		if (rg_role_at(svc, i, &r) == RG_OK && r.name &&
		    strcasecmp(r.name, name) == 0)
			return r.id;
	}
	return NULL;
}

const char *sync_role_of(struct sync *s, const char *role, const char *holder,
                         const char *where, int *rc)
{
	json_t *mapped = json_object_get(s->map, role);
	const char *id = mapped ? json_string_value(mapped) : role;
	const char *named =
	    !mapped && s->ad->role_names ? role_by_name(s->svc, role) : NULL;

	*rc = RG_OK;
	if (named)
		return named;
	if (!*id)
		return NULL; /* the map says to leave it out */
	if (role_known(s, id))
		return id;
	*rc = sync_fail(s, RG_ENOROLE,
	                "%s: %s holds role '%s', which service '%s' does not "
	                "know (map it in a --map file's [roles])",
	                where, holder, role, s->service);
	return NULL;
}

const char *sync_role(struct sync *s, const char *role, const char *user,
                      const char *where, int *rc)
{
	char holder[SYNC_MSG_MAX];

	snprintf(holder, sizeof(holder), "user '%s'", user);
	return sync_role_of(s, role, holder, where, rc);
}

int sync_add_role(struct sync *s, json_t *u, const char *role, const char *user,
                  const char *where)
{
	int rc;
	const char *id = sync_role(s, role, user, where, &rc);

	if (id)
		sync_add_unique(u, "roles", id);
	return rc;
}

/* obj's member key, created as an empty object or array when absent. */
static json_t *member(json_t *obj, const char *key, int array)
{
	json_t *v = json_object_get(obj, key);

	if (!v) {
		v = array ? json_array() : json_object();
		json_object_set_new(obj, key, v);
	}
	return v;
}

json_t *sync_user(struct sync *s, const char *id)
{
	json_t *users = member(s->desired, "users", 0);
	json_t *u = json_object_get(users, id);

	if (!u) {
		u = json_pack("{s:s s:{} s:[] s:{}}", "name", id, "attrs",
		              "roles", "members");
		json_object_set_new(users, id, u);
	}
	return u;
}

void sync_kind(struct sync *s, const char *kind)
{
	member(member(s->desired, "orgs", 0), kind, 0);
}

json_t *sync_org(struct sync *s, const char *kind, const char *name)
{
	json_t *kinds = member(member(s->desired, "orgs", 0), kind, 0);
	json_t *o = json_object_get(kinds, name);

	if (!o) {
		o = json_pack("{s:n s:{}}", "parent", "attrs");
		json_object_set_new(kinds, name, o);
	}
	return o;
}

void sync_setting(struct sync *s, const char *key, const char *value)
{
	json_object_set_new(member(s->desired, "settings", 0), key,
	                    json_string(value));
}

void sync_notice(struct sync *s, const char *fmt, ...)
{
	char line[SYNC_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(s->notices, json_string(line));
}

void sync_add_unique(json_t *obj, const char *key, const char *value)
{
	json_t *arr = member(obj, key, 1);
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		if (strcmp(json_string_value(json_array_get(arr, i)), value) ==
		    0)
			return;
	json_array_append_new(arr, json_string(value));
}

/* ---- the role map ---------------------------------------------------------
 */

/* One line of the map file: a [roles] entry, a comment or the header. */
static int map_line(struct sync *s, char *line, unsigned lineno, int *in_roles)
{
	char *eq, *key, *value;

	line = rg_trim(line);
	if (!*line || *line == '#' || *line == ';')
		return RG_OK;
	if (*line == '[') {
		*in_roles = strcmp(line, "[roles]") == 0;
		if (!*in_roles)
			return sync_fail(
			    s, RG_EINVAL,
			    "%s:%u: unknown section %s (only [roles])",
			    s->map_path, lineno, line);
		return RG_OK;
	}
	eq = strchr(line, '=');
	if (!*in_roles || !eq)
		return sync_fail(s, RG_EINVAL,
		                 "%s:%u: expected 'product-role = role-id' "
		                 "in [roles]",
		                 s->map_path, lineno);
	*eq = '\0';
	key = rg_trim(line);
	value = rg_trim(eq + 1);
	if (!*key || json_object_get(s->map, key))
		return sync_fail(s, RG_EINVAL, "%s:%u: %s '%s'", s->map_path,
		                 lineno,
		                 *key ? "a second entry for" : "no name", key);
	if (*value && !role_known(s, value))
		return sync_fail(s, RG_ENOROLE,
		                 "%s:%u: service '%s' has no role '%s'",
		                 s->map_path, lineno, s->service, value);
	json_object_set_new(s->map, key, json_string(value));
	return RG_OK;
}

/* Room for one line of the map file. */
#define MAP_LINE_MAX 1024

static int map_load(struct sync *s, const char *path)
{
	char line[MAP_LINE_MAX];
	unsigned lineno = 0;
	int in_roles = 0, rc = RG_OK;
	FILE *f;

	s->map_path = strdup(path);
	f = s->map_path ? fopen(path, "re") : NULL;
	if (!f)
		return sync_fail(s, RG_ENOENT, "%s: cannot be read", path);
	while (rc == RG_OK && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			rc = sync_fail(s, RG_EINVAL, "%s:%u: line too long",
			               path, lineno);
		else
			rc = map_line(s, line, lineno, &in_roles);
	}
	fclose(f);
	return rc;
}

/* ---- the directory as it is ---------------------------------------------- */

/*
 * The directory's state has every attribute of a user or an entry as its
 * text, and every membership: the adapters' wants name those they sync,
 * and only those are compared.
 */
static json_t *pairs_json(const char *const *keys, const char *const *values,
                          size_t n, int split)
{
	json_t *obj = json_object();
	size_t i;

	for (i = 0; obj && i < n; i++)
		if (json_object_set_new(obj, keys[i],
		                        split ? rg_tool_jsplit(values[i])
		                              : rg_tool_jstr(values[i], 1))) {
			json_decref(obj);
			return NULL;
		}
	return obj;
}

static int read_user(void *user, const rg_user_info *info)
{
	json_t *users = user;
	json_t *u = json_pack(
	    "{s:s s:o s:o s:o}", "name", info->name ? info->name : info->id,
	    "attrs",
	    pairs_json(info->attr_keys, info->attr_values, info->nattrs, 0),
	    "roles", rg_tool_jsplit(info->roles), "members",
	    pairs_json(info->member_kinds, info->member_names, info->nmembers,
	               1));

	return !u || json_object_set_new(users, info->id, u) != 0;
}

static int read_org(void *user, const rg_org_info *o)
{
	json_t *kind = user;
	json_t *e = json_pack(
	    "{s:o s:o}", "parent", rg_tool_jstr(o->parent, 1), "attrs",
	    pairs_json(o->attr_keys, o->attr_values, o->nattrs, 0));

	return !e || json_object_set_new(kind, o->name, e) != 0;
}

/* The directory's state in the shape of s->desired, for the kinds it has. */
static int read_current(struct sync *s, json_t **out)
{
	json_t *cur = json_pack("{s:{} s:{}}", "users", "orgs");
	json_t *kinds = json_object_get(s->desired, "orgs");
	const char *kind;
	json_t *v;
	int rc;

	if (!cur)
		return RG_ENOMEM;
	rc = rg_user_list(s->ctx, s->service, read_user,
	                  json_object_get(cur, "users"));
	json_object_foreach(kinds, kind, v)
	{
		json_t *k = member(json_object_get(cur, "orgs"), kind, 0);

		if (rc == RG_OK)
			rc = rg_org_list(s->ctx, s->service, kind, read_org, k);
	}
	if (rc != RG_OK)
		json_decref(cur);
	*out = rc == RG_OK ? cur : NULL;
	return rc;
}

/* Room for the name of the temporary export. */
#define TMP_NAME_MAX 4096

/*
 * The service's settings as the directory has them.  The public interface
 * reads them only in an export: written to a private temporary file and
 * read back, before the transaction (an export inside it would wait for
 * it).
 */
static int read_settings(struct sync *s)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[TMP_NAME_MAX], err[LINE_MAX_LEN] = "";
	json_t *all = NULL;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/rolegate-sync.XXXXXX",
	         tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return sync_fail(s, RG_EIO,
		                 "%s: cannot create a temporary file", path);
	close(fd);
	rc = rg_directory_export(s->ctx, s->service, path, err, sizeof(err));
	if (rc == RG_OK)
		all = json_load_file(path, 0, NULL);
	unlink(path);
	if (rc != RG_OK)
		return sync_fail(
		    s, rc, "cannot read the directory's settings: %s", err);
	s->settings = json_incref(json_object_get(
	    json_array_get(json_object_get(all, "services"), 0), "settings"));
	json_decref(all);
	if (!s->settings)
		s->settings = json_object();
	return s->settings ? RG_OK : sync_fail(s, RG_ENOMEM, "out of memory");
}

/* ---- the difference --------------------------------------------------- */

/* A value for a line: the text, or "-" for none. */
static const char *shown(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

static int same(const json_t *a, const json_t *b)
{
	return json_equal(a ? a : json_null(), b ? b : json_null());
}

static void plan_op(struct plan *p, enum phase ph, json_t *op)
{
	json_array_append_new(p->ops[ph], op);
}

static void plan_line(struct plan *p, const char *fmt, ...) RG_PRINTF(2, 3);

static void plan_line(struct plan *p, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(p->lines, rg_tool_jstr(line, 0));
}

/* 1 with kind's declaration in *vi, else 0 (a kind no plugin declares). */
static int kind_info(struct sync *s, const char *kind, rg_vocab_info *vi)
{
	long i = rg_vocab_find(s->svc, RG_VOCAB_ORG_KIND, NULL, kind);

	return i >= 0 &&
	       rg_vocab_at(s->svc, (size_t)i, vi, sizeof(*vi)) == RG_OK;
}

/* The attribute naming an entry's parent ("unit" of a department). */
static const char *parent_attr(struct sync *s, const char *kind)
{
	rg_vocab_info vi;

	if (!kind_info(s, kind, &vi) || !vi.parent_attr)
		return "parent";
	return vi.parent_attr;
}

/* 1 when kind's entries have parents of the same kind: a tree (bu). */
static int is_tree(struct sync *s, const char *kind)
{
	rg_vocab_info vi;

	return kind_info(s, kind, &vi) && vi.parent &&
	       strcmp(vi.parent, kind) == 0;
}

/* The changes of attrs from cur to want, of an entry or a user (what). */
static void diff_attrs(struct plan *p, enum phase ph, const char *opname,
                       json_t *op_head, const char *what, json_t *want,
                       json_t *cur)
{
	const char *attr;
	json_t *v;

	json_object_foreach(want, attr, v)
	{
		json_t *old = json_object_get(cur, attr);

		if (same(old, v))
			continue;
		plan_line(p, "~ %s %s: %s -> %s", what, attr, shown(old),
		          shown(v));
		plan_op(p, ph,
		        json_pack("[s O s O]", opname, op_head, attr, v));
	}
}

static void diff_org(struct sync *s, struct plan *p, const char *kind,
                     const char *name, json_t *want, json_t *cur)
{
	char what[LINE_MAX_LEN];
	json_t *parent = json_object_get(want, "parent");
	json_t *head = json_pack("[s s]", kind, name);

	snprintf(what, sizeof(what), "%s %s", kind, name);
	if (!cur) {
		if (json_is_string(parent))
			plan_line(p, "+ %s (%s %s)", what, parent_attr(s, kind),
			          json_string_value(parent));
		else
			plan_line(p, "+ %s", what);
		plan_op(p, PH_ORG_ADD,
		        json_pack("[s s s O]", "org.add", kind, name, parent));
	} else if (!same(json_object_get(cur, "parent"), parent)) {
		plan_line(p, "~ %s %s: %s -> %s", what, parent_attr(s, kind),
		          shown(json_object_get(cur, "parent")), shown(parent));
		plan_op(p, PH_ORG_ADD,
		        json_pack("[s O s O]", "org.set", head,
		                  parent_attr(s, kind), parent));
	}
	diff_attrs(p, PH_ORG_ADD, "org.set", head, what,
	           json_object_get(want, "attrs"),
	           json_object_get(cur, "attrs"));
	json_decref(head);
}

/* The items of want not in have, as "+x" words; and ops. */
static void diff_set(struct plan *p, const char *id, const char *what,
                     json_t *want, json_t *have, const char *kind)
{
	char line[LINE_MAX_LEN];
	size_t i, used = 0;
	int pass;

	line[0] = '\0';
	for (pass = 0; pass < 2; pass++) {
		json_t *from = pass ? have : want, *other = pass ? want : have;

		for (i = 0; i < json_array_size(from); i++) {
			const char *item =
			    json_string_value(json_array_get(from, i));
			size_t j;
			int found = 0;
			int n;

			for (j = 0; j < json_array_size(other); j++)
				if (strcmp(item,
				           json_string_value(
				               json_array_get(other, j))) == 0)
					found = 1;
			if (found)
				continue;
			n = snprintf(line + used, sizeof(line) - used, " %c%s",
			             pass ? '-' : '+', item);
			if (n > 0 && (size_t)n < sizeof(line) - used)
				used += (size_t)n;
			if (kind)
				plan_op(p,
				        pass ? PH_MEMBER_REMOVE : PH_MEMBER_ADD,
				        json_pack("[s s s s]",
				                  pass ? "member.remove"
				                       : "member.add",
				                  id, kind, item));
			else
				plan_op(p, pass ? PH_UNASSIGN : PH_ASSIGN,
				        json_pack("[s s s]",
				                  pass ? "unassign" : "assign",
				                  id, item));
		}
	}
	if (used)
		plan_line(p, "~ %s %s:%s", id, what, line);
}

static void diff_user(struct plan *p, const char *id, json_t *want, json_t *cur)
{
	json_t *name = json_object_get(want, "name");
	json_t *head = json_pack("[s]", id);
	json_t *members = json_object_get(want, "members");
	const char *kind;
	json_t *v;

	if (!cur) {
		plan_line(p, "+ user %s (%s)", id, shown(name));
		plan_op(p, PH_USER_ADD,
		        json_pack("[s s O]", "user.add", id, name));
	} else if (!same(json_object_get(cur, "name"), name)) {
		plan_line(p, "~ %s name: %s -> %s", id,
		          shown(json_object_get(cur, "name")), shown(name));
		plan_op(p, PH_USER_SET,
		        json_pack("[s O s O]", "user.set", head, RG_USER_NAME,
		                  name));
	}
	diff_attrs(p, PH_USER_SET, "user.set", head, id,
	           json_object_get(want, "attrs"),
	           cur ? json_object_get(cur, "attrs") : NULL);
	diff_set(p, id, "roles", json_object_get(want, "roles"),
	         json_object_get(cur, "roles"), NULL);
	json_object_foreach(members, kind, v)
	{
		char what[64];

		snprintf(what, sizeof(what), "%ss", kind);
		diff_set(p, id, what, v,
		         json_object_get(json_object_get(cur, "members"), kind),
		         kind);
	}
	json_decref(head);
}

/* The object's keys, NULL-terminated, to free(): sorted (the lines come in
 * a stable order) or in insertion order. */
static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static const char **keys_of(json_t *obj, int sorted)
{
	const char **keys = calloc(json_object_size(obj) + 1, sizeof(*keys));
	const char *k;
	json_t *v;
	size_t n = 0;

	if (!keys)
		return NULL;
	json_object_foreach(obj, k, v) keys[n++] = k;
	if (sorted)
		qsort(keys, n, sizeof(*keys), cmp_str);
	return keys;
}

static const char **sorted_keys(json_t *obj)
{
	return keys_of(obj, 1);
}

/* A name of a tree's entries with its depth, for tree_sort(). */
struct ranked {
	const char *name;
	size_t depth;
	int reverse;
};

/* Shallow first (deep first when reverse), then by name. */
static int cmp_ranked(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;

	if (a->depth != b->depth)
		return (a->depth < b->depth) == !a->reverse ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* How many of name's ancestors entries holds ({NAME: {"parent": ...}});
 * a cycle stops at the number of entries. */
static size_t depth_in(json_t *entries, const char *name)
{
	size_t depth = 0, max = json_object_size(entries);
	const char *p = name;

	while (depth < max) {
		p = json_string_value(
		    json_object_get(json_object_get(entries, p), "parent"));
		if (!p || !json_object_get(entries, p))
			break;
		depth++;
	}
	return depth;
}

/*
 * Orders the names of a tree's entries so that a parent comes before its
 * children (reverse: after them): an entry is added under a parent that
 * exists, and removed before its parent.  Left in name order when out of
 * memory.
 */
static void tree_sort(const char **names, json_t *entries, int reverse)
{
	size_t i, n = list_len(names);
	struct ranked *r = calloc(n + 1, sizeof(*r));

	if (!r)
		return;
	for (i = 0; i < n; i++)
		r[i] = (struct ranked){names[i], depth_in(entries, names[i]),
		                       reverse};
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (i = 0; i < n; i++)
		names[i] = r[i].name;
	free(r);
}

/* The names of a kind's entries in the order to add them (reverse: to
 * remove them), NULL-terminated, to free(). */
static const char **entry_order(struct sync *s, const char *kind,
                                json_t *entries, int reverse)
{
	const char **names = sorted_keys(entries);

	if (names && is_tree(s, kind))
		tree_sort(names, entries, reverse);
	return names;
}

/* Users and entries the directory has and upstream has not. */
static void diff_absent(struct sync *s, struct plan *p, json_t *want,
                        json_t *cur)
{
	json_t *kinds = json_object_get(cur, "orgs");
	const char **users = sorted_keys(json_object_get(cur, "users"));
	/* In the adapter's order, parents first (units, then departments). */
	const char **kindv = keys_of(json_object_get(want, "orgs"), 0);
	size_t i, k;

	for (i = 0; users && users[i]; i++) {
		if (json_object_get(json_object_get(want, "users"), users[i]))
			continue;
		if (!s->prune) {
			json_array_append_new(
			    p->kept,
			    json_sprintf("kept user %s (absent upstream; "
			                 "--prune removes)",
			                 users[i]));
			continue;
		}
		plan_line(p, "- user %s", users[i]);
		plan_op(p, PH_USER_REMOVE,
		        json_pack("[s s]", "user.remove", users[i]));
	}
	/* Children before their parents: departments before units. */
	for (k = kindv ? list_len(kindv) : 0; k-- > 0;) {
		json_t *kind = json_object_get(kinds, kindv[k]);
		const char **names = entry_order(s, kindv[k], kind, 1);

		for (i = 0; names && names[i]; i++) {
			if (json_object_get(
			        json_object_get(json_object_get(want, "orgs"),
			                        kindv[k]),
			        names[i]))
				continue;
			if (!s->prune)
				json_array_append_new(
				    p->kept,
				    json_sprintf("kept %s %s (absent upstream; "
				                 "--prune removes)",
				                 kindv[k], names[i]));
			else {
				plan_line(p, "- %s %s", kindv[k], names[i]);
				plan_op(p, PH_ORG_REMOVE,
				        json_pack("[s s s]", "org.remove",
				                  kindv[k], names[i]));
			}
		}
		free(names);
	}
	free(users);
	free(kindv);
}

static void plan_free(struct plan *p)
{
	size_t i;

	json_decref(p->lines);
	json_decref(p->kept);
	for (i = 0; i < PH_COUNT; i++)
		json_decref(p->ops[i]);
	memset(p, 0, sizeof(*p));
}

/* What would make the directory match s->desired. */
static int plan_make(struct sync *s, struct plan *p)
{
	json_t *cur = NULL, *kinds = json_object_get(s->desired, "orgs");
	const char **ids = NULL, *kind;
	json_t *v;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	p->lines = json_array();
	p->kept = json_array();
	for (i = 0; i < PH_COUNT; i++)
		p->ops[i] = json_array();
	rc = read_current(s, &cur);
	if (rc != RG_OK)
		return rc;
	json_object_foreach(kinds, kind, v)
	{
		const char **names = entry_order(s, kind, v, 0);

		for (i = 0; names && names[i]; i++)
			diff_org(s, p, kind, names[i],
			         json_object_get(v, names[i]),
			         json_object_get(
			             json_object_get(
			                 json_object_get(cur, "orgs"), kind),
			             names[i]));
		free(names);
	}
	json_object_foreach(json_object_get(s->desired, "settings"), kind, v)
	{
		json_t *old = json_object_get(s->settings, kind);

		if (same(old, v))
			continue;
		plan_line(p, "~ setting %s: %s -> %s", kind, shown(old),
		          shown(v));
		plan_op(p, PH_ORG_ADD,
		        json_pack("[s s O]", "setting", kind, v));
	}
	ids = sorted_keys(json_object_get(s->desired, "users"));
	for (i = 0; ids && ids[i]; i++)
		diff_user(
		    p, ids[i],
		    json_object_get(json_object_get(s->desired, "users"),
		                    ids[i]),
		    json_object_get(json_object_get(cur, "users"), ids[i]));
	diff_absent(s, p, s->desired, cur);
	free(ids);
	json_decref(cur);
	return RG_OK;
}

/* ---- applying it ------------------------------------------------------ */

/* Member i of an op, as a string or NULL. */
static const char *arg(const json_t *op, size_t i)
{
	return json_string_value(json_array_get(op, i));
}

/* The id or entry an op's head names (["alice"] or [kind, name]). */
static const char *head(const json_t *op, size_t i)
{
	return json_string_value(json_array_get(json_array_get(op, 1), i));
}

static int apply_op(rg_txn *txn, const json_t *op)
{
	const char *name = arg(op, 0);

	if (strcmp(name, "org.add") == 0)
		return rg_org_add(txn, arg(op, 1), arg(op, 2), arg(op, 3));
	if (strcmp(name, "org.set") == 0)
		return rg_org_set(txn, head(op, 0), head(op, 1), arg(op, 2),
		                  arg(op, 3));
	if (strcmp(name, "org.remove") == 0)
		return rg_org_remove(txn, arg(op, 1), arg(op, 2));
	if (strcmp(name, "setting") == 0)
		return rg_setting_set(txn, arg(op, 1), arg(op, 2));
	if (strcmp(name, "user.add") == 0)
		return rg_user_add(txn, arg(op, 1), arg(op, 2));
	if (strcmp(name, "user.set") == 0)
		return rg_user_set(txn, head(op, 0), arg(op, 2), arg(op, 3));
	if (strcmp(name, "user.remove") == 0)
		return rg_user_remove(txn, arg(op, 1));
	if (strcmp(name, "assign") == 0)
		return rg_role_assign(txn, arg(op, 1), arg(op, 2), 0);
	if (strcmp(name, "unassign") == 0)
		return rg_role_unassign(txn, arg(op, 1), arg(op, 2));
	if (strcmp(name, "member.add") == 0)
		return rg_member_add(txn, arg(op, 1), arg(op, 2), arg(op, 3));
	if (strcmp(name, "member.remove") == 0)
		return rg_member_remove(txn, arg(op, 1), arg(op, 2),
		                        arg(op, 3));
	return RG_EINVAL;
}

/* Sets res's lists to the plan's (what would change, what is kept). */
static void take_plan(struct rgsync_result *res, const struct plan *p)
{
	json_decref(res->changes);
	json_decref(res->kept);
	res->changes = json_incref(p->lines);
	res->kept = json_incref(p->kept);
}

int rgsync_plan(struct sync *s, struct rgsync_result *res)
{
	struct plan p;
	int rc = plan_make(s, &p);

	if (rc == RG_OK)
		take_plan(res, &p);
	plan_free(&p);
	return rc;
}

int rgsync_apply(struct sync *s, rg_txn *txn, struct rgsync_result *res)
{
	struct plan p;
	size_t ph, i;
	int rc = plan_make(s, &p);

	for (ph = 0; rc == RG_OK && ph < PH_COUNT; ph++)
		for (i = 0; rc == RG_OK && i < json_array_size(p.ops[ph]); i++)
			rc = apply_op(txn, json_array_get(p.ops[ph], i));
	if (rc == RG_OK)
		take_plan(res, &p);
	plan_free(&p);
	return rc;
}

/* ---- opening a sync --------------------------------------------------- */

/* The adapter for the product whose plugin the service stacks. */
static const struct sync_adapter *find_adapter(const rg_service *svc)
{
	size_t i, j;

	for (i = 0; i < rg_entry_count(svc); i++) {
		rg_entry_info e;

		if (rg_entry_at(svc, i, &e) != RG_OK)
			continue;
		for (j = 0; j < RG_COUNTOF(sync_adapters); j++)
			if (strcmp(e.plugin, sync_adapters[j]->plugin) == 0)
				return sync_adapters[j];
	}
	return NULL;
}

/* The base URL without its trailing slashes, into s->src.url. */
static int take_url(struct sync *s, const struct rgsync_req *req)
{
	char *end;

	if (!rgd_url_allowed(req->url))
		return sync_fail(
		    s, RG_EINVAL,
		    "%s %s: only https:// URLs (http:// only to "
		    "127.0.0.1, localhost or [::1]), without credentials "
		    "in them",
		    req->url_word ? req->url_word : "the URL", req->url);
	s->src.url = end = strdup(req->url);
	if (!end)
		return sync_fail(s, RG_ENOMEM, "out of memory");
	for (end += strlen(end); end > s->src.url && end[-1] == '/';)
		*--end = '\0';
	return RG_OK;
}

/* Checks the service and the source; reads the map and the
 * authentication.  RG_OK, else the failure in s->src.err. */
static int prepare(struct sync *s, const struct rgsync_req *req)
{
	int rc;

	s->svc = rg_service_find(s->ctx, s->service);
	if (!s->svc)
		return sync_fail(s, RG_ENOSERVICE, "unknown service '%s'",
		                 s->service);
	s->ad = find_adapter(s->svc);
	if (!s->ad)
		return sync_fail(s, RG_EINVAL,
		                 "service '%s' stacks no plugin rolegate can "
		                 "sync from (rocketchat, dynamics365)",
		                 s->service);
	if (!req->url == !req->dir)
		return sync_fail(s, RG_EINVAL,
		                 "give either a URL or a folder to sync from");
	rc = req->url ? take_url(s, req) : RG_OK;
	if (rc != RG_OK)
		return rc;
	s->src.api = s->ad->api;
	s->src.dir = req->dir;
	s->src.cancel = req->cancel;
	s->map = json_object();
	s->desired = json_object();
	if (!s->map || !s->desired)
		return sync_fail(s, RG_ENOMEM, "out of memory");
	rc = req->map ? map_load(s, req->map) : RG_OK;
	if (rc == RG_OK && req->url)
		rc = s->ad->auth(s, req->token_file);
	return rc;
}

int rgsync_open(struct sync **out, const struct rgsync_req *req,
                struct rgsync_result *res)
{
	struct sync *s = calloc(1, sizeof(*s));
	int rc;

	*out = s;
	if (!s) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		return RG_ENOMEM;
	}
	s->ctx = req->ctx;
	s->service = req->service;
	s->prune = req->prune;
	s->notices = res->notices;
	res->stage = RGSYNC_PREPARE;
	rc = prepare(s, req);
	if (rc == RG_OK) {
		res->stage = RGSYNC_FETCH;
		rc = s->ad->fetch(s);
	}
	if (rc == RG_OK && json_object_get(s->desired, "settings")) {
		res->stage = RGSYNC_DIRECTORY;
		rc = read_settings(s);
	}
	if (rc != RG_OK)
		snprintf(res->err, sizeof(res->err), "%s",
		         s->src.err[0] ? s->src.err : rg_strerror(rc));
	return rc;
}

void rgsync_close(struct sync *s)
{
	if (!s)
		return;
	free((char *)s->src.url);
	sync_src_free(&s->src);
	json_decref(s->map);
	json_decref(s->desired);
	json_decref(s->settings);
	free(s->map_path);
	free(s);
}

/* ---- the whole sync ---------------------------------------------------- */

void rgsync_result_init(struct rgsync_result *res)
{
	memset(res, 0, sizeof(*res));
	res->changes = json_array();
	res->kept = json_array();
	res->warnings = json_array();
	res->notices = json_array();
}

void rgsync_result_free(struct rgsync_result *res)
{
	json_decref(res->changes);
	json_decref(res->kept);
	json_decref(res->warnings);
	json_decref(res->notices);
	memset(res, 0, sizeof(*res));
}

/* The failure of a transaction: its own message, else the status'. */
static int txn_failed(struct rgsync_result *res, rg_txn *txn, int rc)
{
	const char *why = txn ? rg_txn_error(txn) : NULL;

	snprintf(res->err, sizeof(res->err), "%s",
	         why && *why ? why : rg_strerror(rc));
	return rc;
}

/* Applies s's plan in one transaction, committed when all went in. */
static int apply_txn(struct sync *s, const char *actor, const char *command,
                     struct rgsync_result *res)
{
	rg_txn *txn = NULL;
	size_t i, n;
	int rc;

	rc = rg_txn_begin(s->ctx, s->service, actor, command, &txn, res->err,
	                  sizeof(res->err));
	if (rc != RG_OK) {
		if (!res->err[0])
			snprintf(res->err, sizeof(res->err), "%s",
			         rg_strerror(rc));
		return rc;
	}
	rc = rgsync_apply(s, txn, res);
	if (rc != RG_OK) {
		txn_failed(res, txn, rc);
		rg_txn_abort(txn);
		return rc;
	}
	n = rg_txn_warning_count(txn);
	for (i = 0; i < n; i++)
		json_array_append_new(res->warnings,
		                      rg_tool_jstr(rg_txn_warning(txn, i), 0));
	rc = rg_txn_commit(txn);
	if (rc != RG_OK) {
		json_array_clear(res->warnings);
		snprintf(res->err, sizeof(res->err),
		         "cannot commit to the directory %s: %s",
		         rg_directory_location(s->ctx), rg_strerror(rc));
		return rc;
	}
	res->applied = 1;
	return RG_OK;
}

int rgsync_run(const struct rgsync_req *req, const char *actor,
               const char *command, struct rgsync_result *res)
{
	struct sync *s = NULL;
	int rc;

	rgsync_result_init(res);
	if (!res->changes || !res->kept || !res->warnings || !res->notices) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		return RG_ENOMEM;
	}
	rc = rgsync_open(&s, req, res);
	if (rc == RG_OK) {
		res->stage = RGSYNC_DIRECTORY;
		rc = rgsync_plan(s, res);
	}
	if (rc != RG_OK && !res->err[0])
		snprintf(res->err, sizeof(res->err), "%s", rg_strerror(rc));
	if (rc == RG_OK && !req->dry_run && json_array_size(res->changes))
		rc = apply_txn(s, actor, command, res);
	rgsync_close(s);
	if (rc != RG_OK) {
		json_array_clear(res->changes);
		json_array_clear(res->kept);
	}
	return rc;
}

const char *rgsync_product(const rg_service *svc)
{
	const struct sync_adapter *ad = find_adapter(svc);

	return ad ? ad->plugin : NULL;
}
