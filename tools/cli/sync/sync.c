/*
 * sync.c - `rolegate sync SERVICE`: the role map, the directory as it is,
 * the difference from what the product says, and applying it in one
 * transaction.  Fetching is fetch.c's, each product's fields its adapter's.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sync.h"

/* The products the tool can sync from. */
static const struct sync_adapter *const sync_adapters[] = {
    &sync_rocketchat,
    &sync_dataverse,
};

/* Organisation and member kinds rg_user_info reports memberships of. */
#define KIND_DEPARTMENT "department"
#define KIND_UNIT       "unit"

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

/* What to change: the lines to print and the operations by phase. */
struct plan {
	json_t *lines; /* one string per change */
	json_t *kept;  /* what --prune would remove, one string each */
	json_t *ops[PH_COUNT];
};

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

	if (rg_role_find(s->a->svc, id) >= 0)
		return 1;
	rg_custom_role_list(s->a->ctx, s->a->service, id, custom_found, &found);
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

const char *sync_role(struct sync *s, const char *role, const char *user,
                      const char *where, int *rc)
{
	json_t *mapped = json_object_get(s->map, role);
	const char *id = mapped ? json_string_value(mapped) : role;
	const char *named =
	    !mapped && s->ad->role_names ? role_by_name(s->a->svc, role) : NULL;

	*rc = RG_OK;
	if (named)
		return named;
	if (!*id)
		return NULL; /* the map says to leave it out */
	if (role_known(s, id))
		return id;
	*rc = sync_fail(s, RG_ENOROLE,
	                "%s: user '%s' holds role '%s', which service '%s' "
	                "does not know (map it in a --map file's [roles])",
	                where, user, role, s->a->service);
	return NULL;
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

	line = cli_trim(line);
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
	key = cli_trim(line);
	value = cli_trim(eq + 1);
	if (!*key || json_object_get(s->map, key))
		return sync_fail(s, RG_EINVAL, "%s:%u: %s '%s'", s->map_path,
		                 lineno,
		                 *key ? "a second entry for" : "no name", key);
	if (*value && !role_known(s, value))
		return sync_fail(s, RG_ENOROLE,
		                 "%s:%u: service '%s' has no role '%s'",
		                 s->map_path, lineno, s->a->service, value);
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

/* A JSON array of a comma-separated list. */
static json_t *split_json(const char *list)
{
	char **items = admin_split(list);
	json_t *arr = admin_jlist(items);

	cli_split_free(items);
	return arr;
}

/* A count as the text rg_user_set() takes, or null when unset (-1). */
static json_t *count_json(long n)
{
	char buf[32];

	if (n < 0)
		return json_null();
	snprintf(buf, sizeof(buf), "%ld", n);
	return json_string(buf);
}

static int read_user(void *user, const rg_user_info *info)
{
	json_t *users = user;
	json_t *u = json_pack(
	    "{s:s s:{s:o s:o s:o} s:o s:{s:o s:o}}", "name",
	    info->name ? info->name : info->id, "attrs", RG_USER_STATUS,
	    cli_jstr(info->status, 1), RG_USER_MAX_CHATS,
	    count_json(info->max_chats), RG_USER_BU, cli_jstr(info->bu, 1),
	    "roles", split_json(info->roles), "members", KIND_DEPARTMENT,
	    split_json(info->departments), KIND_UNIT, split_json(info->units));

	return !u || json_object_set_new(users, info->id, u) != 0;
}

static int read_org(void *user, const rg_org_info *o)
{
	json_t *kind = user;
	json_t *e = json_pack("{s:o s:{s:o}}", "parent", cli_jstr(o->parent, 1),
	                      "attrs", "max_chats", count_json(o->max_chats));

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
	rc = rg_user_list(s->a->ctx, s->a->service, read_user,
	                  json_object_get(cur, "users"));
	json_object_foreach(kinds, kind, v)
	{
		json_t *k = member(json_object_get(cur, "orgs"), kind, 0);

		if (rc == RG_OK)
			rc = rg_org_list(s->a->ctx, s->a->service, kind,
			                 read_org, k);
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
	char path[TMP_NAME_MAX], err[ADMIN_MSG_MAX] = "";
	json_t *all = NULL;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/rolegate-sync.XXXXXX",
	         tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return sync_fail(s, RG_EIO,
		                 "%s: cannot create a temporary file", path);
	close(fd);
	rc = rg_directory_export(s->a->ctx, s->a->service, path, err,
	                         sizeof(err));
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
	char line[ADMIN_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(p->lines, cli_jstr(line, 0));
}

/* 1 with kind's declaration in *vi, else 0 (a kind no plugin declares). */
static int kind_info(struct sync *s, const char *kind, rg_vocab_info *vi)
{
	long i = rg_vocab_find(s->a->svc, RG_VOCAB_ORG_KIND, NULL, kind);

	return i >= 0 &&
	       rg_vocab_at(s->a->svc, (size_t)i, vi, sizeof(*vi)) == RG_OK;
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
	char what[ADMIN_MSG_MAX];
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
	char line[ADMIN_MSG_MAX];
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
	size_t i, n = cli_list_len(names);
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
		if (!s->a->args->prune) {
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
	for (k = kindv ? cli_list_len(kindv) : 0; k-- > 0;) {
		json_t *kind = json_object_get(kinds, kindv[k]);
		const char **names = entry_order(s, kindv[k], kind, 1);

		for (i = 0; names && names[i]; i++) {
			if (json_object_get(
			        json_object_get(json_object_get(want, "orgs"),
			                        kindv[k]),
			        names[i]))
				continue;
			if (!s->a->args->prune)
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

/* The transaction's operation: plan again (inside it, no other writer
 * can change the directory meanwhile) and apply every change. */
static int apply_all(struct admin *a, void *data)
{
	struct sync *s = data;
	struct plan p;
	size_t ph, i;
	int rc = plan_make(s, &p);

	for (ph = 0; rc == RG_OK && ph < PH_COUNT; ph++)
		for (i = 0; rc == RG_OK && i < json_array_size(p.ops[ph]); i++)
			rc = apply_op(a->txn, json_array_get(p.ops[ph], i));
	for (i = 0; rc == RG_OK && i < json_array_size(p.lines); i++)
		admin_note(a, "%s",
		           json_string_value(json_array_get(p.lines, i)));
	if (rc == RG_OK)
		json_object_set(a->extra, "kept", p.kept);
	plan_free(&p);
	return rc;
}

/* ---- the command ------------------------------------------------------ */

static void print_kept(const json_t *kept)
{
	size_t i;

	for (i = 0; i < json_array_size(kept); i++)
		puts(json_string_value(json_array_get(kept, i)));
}

/* Prints a plan without applying it (--dry-run, or nothing to change). */
static int print_plan(struct sync *s, struct plan *p)
{
	struct admin *a = s->a;
	size_t i;

	if (a->args->json)
		return cli_json_print(
		    json_pack("{s:b s:s s:s s:b s:O s:O s:[]}", "ok", 1,
		              "command", a->cmd->name, "service", a->service,
		              "dry_run", a->args->dry_run, "changes", p->lines,
		              "kept", p->kept, "warnings"),
		    CLI_EXIT_OK);
	for (i = 0; i < json_array_size(p->lines); i++)
		puts(json_string_value(json_array_get(p->lines, i)));
	if (!json_array_size(p->lines))
		puts("nothing to change: the directory matches upstream");
	if (!a->args->dry_run)
		return CLI_EXIT_OK; /* run_sync() prints what was kept */
	print_kept(p->kept);
	return CLI_EXIT_OK;
}

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

/* 1 when url is https, or http to this machine only (a test server, or a
 * tunnel the administrator set up): a token never crosses a network in
 * the clear. */
static int url_allowed(const char *url)
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

/* Checks the options, the service and the source; reads the map and the
 * authentication.  RG_OK, else the failure in s->src.err. */
static int prepare(struct sync *s, const struct sync_adapter **ad)
{
	const struct cli_args *args = s->a->args;
	const char *url = args->val[CLI_VAL_FROM];
	char *end;
	int rc;

	*ad = s->ad = find_adapter(s->a->svc);
	if (!*ad)
		return sync_fail(s, RG_EINVAL,
		                 "service '%s' stacks no plugin rolegate can "
		                 "sync from (rocketchat, dynamics365)",
		                 s->a->service);
	if (url && !url_allowed(url))
		return sync_fail(
		    s, RG_EINVAL,
		    "--from %s: only https:// URLs (http:// only to "
		    "127.0.0.1, localhost or [::1]), without credentials "
		    "in them",
		    url);
	if (url) {
		s->src.url = end = strdup(url);
		if (!end)
			return sync_fail(s, RG_ENOMEM, "out of memory");
		for (end += strlen(end); end > s->src.url && end[-1] == '/';)
			*--end = '\0';
	}
	s->src.api = (*ad)->api;
	s->src.dir = args->val[CLI_VAL_FROM_DIR];
	s->map = json_object();
	s->desired = json_object();
	if (!s->map || !s->desired)
		return sync_fail(s, RG_ENOMEM, "out of memory");
	rc = args->val[CLI_VAL_MAP] ? map_load(s, args->val[CLI_VAL_MAP])
	                            : RG_OK;
	if (rc == RG_OK && url)
		rc = (*ad)->auth(s, args->val[CLI_VAL_TOKEN_FILE]);
	return rc;
}

static int run_sync(struct sync *s)
{
	const struct sync_adapter *ad;
	struct plan p;
	int rc, ret;

	rc = prepare(s, &ad);
	if (rc == RG_OK)
		rc = ad->fetch(s);
	if (rc == RG_OK && json_object_get(s->desired, "settings"))
		rc = read_settings(s);
	if (rc != RG_OK) {
		admin_refuse(s->a, rc, "%s", s->src.err);
		ret = admin_fail(s->a, rc);
		/* Only a role the service does not know is "refused" (1):
		 * an unreadable source or option is an error (2). */
		return rc == RG_ENOROLE ? ret : CLI_EXIT_ERROR;
	}
	rc = plan_make(s, &p);
	if (rc != RG_OK)
		ret = admin_fail(s->a, rc);
	else if (s->a->args->dry_run || !json_array_size(p.lines)) {
		json_object_set(s->a->extra, "kept", p.kept);
		ret = print_plan(s, &p);
	} else
		ret = admin_run(s->a, apply_all, s);
	plan_free(&p);
	if (ret == CLI_EXIT_OK && !s->a->args->dry_run && !s->a->args->json)
		print_kept(json_object_get(s->a->extra, "kept"));
	return ret;
}

int cli_cmd_sync(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args)
{
	struct admin a;
	struct sync s;
	int ret;

	if (!args->val[CLI_VAL_FROM] == !args->val[CLI_VAL_FROM_DIR])
		return cli_usage_error(cmd, "give either --from URL or "
		                            "--from-dir DIR");
	if (args->val[CLI_VAL_TOKEN_FILE] && !args->val[CLI_VAL_FROM])
		return cli_usage_error(cmd, "--token-file goes with --from");
	memset(&s, 0, sizeof(s));
	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	s.a = &a;
	if (ret == CLI_EXIT_OK)
		ret = run_sync(&s);
	free((char *)s.src.url);
	sync_src_free(&s.src);
	json_decref(s.map);
	json_decref(s.desired);
	json_decref(s.settings);
	free(s.map_path);
	admin_close(&a);
	return ret;
}
