/*
 * undo.c - rg_audit_undo(): reverting what one audit record changed.
 *
 * A record names one thing (a user, an organisation entry, a custom role,
 * a setting) and its state before and after.  An undo reads that thing's
 * state now, as the export writes it (rg_dir_service_json()), refuses when
 * it no longer equals the record's after (it changed since) unless forced,
 * and brings it back to the record's before through the public operations
 * (rg_user_add(), rg_role_assign(), rg_org_add(), ...), which validate and
 * audit each step as any change does.  So the undo knows the export's
 * format and the operations, never the tables.
 *
 * All of it runs in one transaction of the record's service, which ends
 * with a record of its own, what "undo":
 *   before {"undo": SEQ, "what": WHAT, "state": the record's after}
 *   after  {"undo": SEQ, "what": WHAT, "state": the record's before}
 * A record is undone at most once.  An undo record is undone like any
 * other (a redo): it is read as the record WHAT from its state after to
 * its state before.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirimpl.h"

#define UNDO_WHAT   "undo"
#define DECIMAL_MAX 32 /* a long long in decimal, with room to spare */

/* What a record is about. */
enum subject {
	SUBJ_USER,
	SUBJ_ORG, /* an organisation entry: the record says its kind */
	SUBJ_CUSTOM,
	SUBJ_SETTING,
};

/* How the record says it. */
enum shape {
	SHAPE_FULL,   /* before and after are whole states (or null) */
	SHAPE_ATTR,   /* one attribute: {ATTR: old} -> {ATTR: new} */
	SHAPE_MEMBER, /* one item of a user's list: {...} -> null or back */
};

#define IMPORT_PREFIX "import."

static const struct undo_kind {
	const char *what;
	enum subject subj;
	enum shape shape;
} undo_kinds[] = {
    {"user.add", SUBJ_USER, SHAPE_FULL},
    {"user.remove", SUBJ_USER, SHAPE_FULL},
    {"import.user", SUBJ_USER, SHAPE_FULL},
    {"user.set", SUBJ_USER, SHAPE_ATTR},
    {"assign", SUBJ_USER, SHAPE_MEMBER},
    {"unassign", SUBJ_USER, SHAPE_MEMBER},
    {"member.add", SUBJ_USER, SHAPE_MEMBER},
    {"member.remove", SUBJ_USER, SHAPE_MEMBER},
    {"org.add", SUBJ_ORG, SHAPE_FULL},
    {"org.remove", SUBJ_ORG, SHAPE_FULL},
    {"org.set", SUBJ_ORG, SHAPE_ATTR},
    {"import.org", SUBJ_ORG, SHAPE_FULL},
    {"custom-role.create", SUBJ_CUSTOM, SHAPE_FULL},
    {"custom-role.delete", SUBJ_CUSTOM, SHAPE_FULL},
    {"import.custom-role", SUBJ_CUSTOM, SHAPE_FULL},
    {"setting.set", SUBJ_SETTING, SHAPE_FULL},
    {"import.setting", SUBJ_SETTING, SHAPE_FULL},
};
/* The first release's import named an entry's kind in its what
 * ("import.department") and not in the entry. */
static const struct undo_kind import_kind = {IMPORT_PREFIX, SUBJ_ORG,
                                             SHAPE_FULL};

/* Where each subject's items are in a service object, and their key. */
static const struct subj_desc {
	const char *part; /* NULL: settings; SUBJ_ORG: in "org", by kind */
	const char *id;
} subj_desc[] = {
    [SUBJ_USER] = {"users", "id"},
    [SUBJ_ORG] = {"org", "name"},
    [SUBJ_CUSTOM] = {"custom_roles", "id"},
    [SUBJ_SETTING] = {NULL, "key"},
};

/* A user's own members in a state, beside its attributes. */
static const char *const user_own[] = {"id", "name", "roles", "attrs",
                                       "members"};

struct undo {
	rg_txn *txn;
	unsigned flags;
	long long seq;
	int found;
	int damaged; /* before or after is not JSON null or an object */
	/* the record, as read */
	char *what, *service, *user;
	json_t *before, *after;
	/* the record as undone: an undo record read as its WHAT */
	const char *ewhat;
	json_t *eb, *ea; /* borrowed from before/after */
	const struct undo_kind *kind;
	enum subject subj;
	const char *key;      /* the item's id or name (borrowed) */
	const char *org_kind; /* SUBJ_ORG: the entry's kind (borrowed) */
	json_t *state;        /* the service's data now */
	long long undone_by;
	char err[RG_MSG_MAX];
};

static int fail(struct undo *u, int status, const char *fmt, ...)
    RG_PRINTF(3, 4);

static int fail(struct undo *u, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->err, sizeof(u->err), fmt, ap);
	va_end(ap);
	return status;
}

/* A failed operation of the transaction: its own message. */
static int op_fail(struct undo *u, int rc)
{
	return fail(u, rc, "%s", rg_txn_error(u->txn));
}

/* ---- reading the record ----------------------------------------------- */

/* A recorded state: NULL for JSON null; *bad set when text is neither
 * null nor an object (a damaged record must not read as "absent"). */
static json_t *parse(const char *text, int *bad)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	if (j && json_is_null(j)) {
		json_decref(j);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*bad = 1;
		return NULL;
	}
	return j;
}

static int got_record(void *user, const rg_audit_info *a)
{
	struct undo *u = user;

	u->found = 1;
	u->what = rg_strdup(a->what);
	u->service = rg_strdup(a->service);
	u->user = rg_strdup(a->user);
	u->before = parse(a->before, &u->damaged);
	u->after = parse(a->after, &u->damaged);
	return 1;
}

/* Notes the first undo record that names u->seq. */
static int got_undo(void *user, const rg_audit_info *a)
{
	struct undo *u = user;
	int bad = 0;
	json_t *b = parse(a->before, &bad);
	json_t *n = json_object_get(b, "undo");

	if (json_is_integer(n) && json_integer_value(n) == u->seq)
		u->undone_by = a->seq;
	json_decref(b);
	return u->undone_by != 0;
}

/* A custom role's recorded state is enough to create it again: it has
 * its privileges, and no holders were taken from it (not named). */
static int role_whole(json_t *state)
{
	json_t *n = json_object_get(state, "unassigned");

	return !state || (json_is_array(json_object_get(state, "privileges")) &&
	                  (!n || json_integer_value(n) == 0));
}

/* The kind of the record: its what, or the first release's import of an
 * entry, "import.KIND". */
static const struct undo_kind *kind_of(struct undo *u)
{
	size_t i, len = strlen(IMPORT_PREFIX);

	for (i = 0; i < RG_COUNTOF(undo_kinds); i++)
		if (strcmp(u->ewhat, undo_kinds[i].what) == 0)
			return &undo_kinds[i];
	if (strncmp(u->ewhat, IMPORT_PREFIX, len) == 0 && u->ewhat[len]) {
		u->org_kind = u->ewhat + len;
		return &import_kind;
	}
	return NULL;
}

/* The record as undone: an undo record stands for the record it undid. */
static int effective(struct undo *u)
{
	u->ewhat = u->what;
	u->eb = u->before;
	u->ea = u->after;
	if (strcmp(u->what, UNDO_WHAT) == 0) {
		u->ewhat = json_string_value(json_object_get(u->after, "what"));
		u->eb = json_object_get(u->before, "state");
		u->ea = json_object_get(u->after, "state");
		if (!u->ewhat || strcmp(u->ewhat, UNDO_WHAT) == 0)
			return fail(u, RG_EIO,
			            "audit record %lld: a malformed undo "
			            "record",
			            u->seq);
		if (json_is_null(u->eb))
			u->eb = NULL;
		if (json_is_null(u->ea))
			u->ea = NULL;
	}
	if (strcmp(u->ewhat, "import") == 0)
		return fail(u, RG_EREFUSED,
		            "audit record %lld is an import's summary: undo "
		            "its items (the import.* records before it) one "
		            "by one",
		            u->seq);
	u->kind = kind_of(u);
	if (u->kind && u->kind->subj == SUBJ_CUSTOM && !role_whole(u->eb))
		return fail(u, RG_EREFUSED,
		            "audit record %lld: the role's privileges or its "
		            "holders (a forced delete) are not recorded",
		            u->seq);
	if (!u->kind)
		return fail(u, RG_EREFUSED,
		            "audit record %lld (%s) records too little to "
		            "be undone",
		            u->seq, u->ewhat);
	return RG_OK;
}

/* The subject and the key of the item the record is about. */
static int subject_of(struct undo *u)
{
	json_t *any = u->ea ? u->ea : u->eb;

	u->subj = u->kind->subj;
	if (u->subj == SUBJ_USER) {
		u->key = u->user;
		return u->key && *u->key
		           ? RG_OK
		           : fail(u, RG_EIO, "audit record %lld names no user",
		                  u->seq);
	}
	if (u->subj == SUBJ_ORG && !u->org_kind)
		u->org_kind = json_string_value(json_object_get(any, "kind"));
	if (u->subj == SUBJ_ORG && !u->org_kind)
		return fail(u, RG_EIO, "audit record %lld names no kind",
		            u->seq);
	u->key = json_string_value(json_object_get(any, subj_desc[u->subj].id));
	if (!u->key)
		return fail(u, RG_EIO, "audit record %lld names no %s", u->seq,
		            subj_desc[u->subj].id);
	return RG_OK;
}

/* ---- states: the export's objects ------------------------------------- */

/* The item of the subject in the service now (a new reference), or
 * NULL. */
static json_t *current(struct undo *u)
{
	const struct subj_desc *sd = &subj_desc[u->subj];
	json_t *arr, *value;
	size_t i;

	if (!sd->part) {
		value = json_object_get(json_object_get(u->state, "settings"),
		                        u->key);
		return value ? json_pack("{s:s, s:O}", "key", u->key, "value",
		                         value)
		             : NULL;
	}
	arr = json_object_get(u->state, sd->part);
	if (u->subj == SUBJ_ORG)
		arr = json_object_get(arr, u->org_kind);
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		const char *k = json_string_value(json_object_get(o, sd->id));
		if (k && strcmp(k, u->key) == 0)
			return json_incref(o);
	}
	return NULL;
}

/* "a,b" or ["b","a"] as a sorted array (a new reference). */
static json_t *list_norm(json_t *v)
{
	json_t *a = json_array();
	const char *p = json_string_value(v);
	size_t i, j;

	if (!a)
		return NULL;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, len));
		p = end ? end + 1 : NULL;
	}
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++)
		json_array_append(a, json_array_get(v, i));
	/* Insertion sort: a user's lists are short. */
	for (i = 1; i < json_array_size(a); i++)
		for (j = i; j > 0; j--) {
			json_t *x = json_array_get(a, j - 1);
			json_t *y = json_array_get(a, j);
			if (strcmp(json_string_value(x),
			           json_string_value(y)) <= 0)
				break;
			json_incref(x);
			json_array_set(a, j - 1, y);
			json_array_set_new(a, j, x);
		}
	return a;
}

/* A member of o, or JSON null (a new reference). */
static json_t *member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v ? json_incref(v) : json_null();
}

/* 1 when v holds nothing: absent, null, "" or []. */
static int blank(json_t *v)
{
	return !v || json_is_null(v) ||
	       (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

/* Sets user attribute key of attrs to v as the export writes it; an
 * unset value (null) is left out.  0, or -1 when out of memory. */
static int user_attr_put(struct undo *u, json_t *attrs, const char *key,
                         json_t *v)
{
	const struct rg_vocab_entry *a =
	    rg_vocab_lookup(&u->txn->svc->vocab, RG_VOCAB_USER_ATTR, NULL, key);
	char buf[DECIMAL_MAX];
	const char *text = rg_dir_scalar_text(v, buf, sizeof(buf));

	if (!text)
		return 0;
	return json_object_set_new(attrs, key, rg_dir_value_json(a, text));
}

/* Sets the memberships of kind in members to the list v ("a,b" or an
 * array), left out when empty. */
static int user_members_put(json_t *members, const char *kind, json_t *v)
{
	json_t *l = list_norm(v);

	if (l && json_array_size(l) == 0) {
		json_decref(l);
		return 0;
	}
	return json_object_set_new(members, kind, l);
}

/* A key of the first release's user state, beside id, name and roles: a
 * declared attribute, KIND + "s" for memberships, or what it holds. */
static int user_legacy_key(struct undo *u, json_t *attrs, json_t *members,
                           const char *key, json_t *v)
{
	const struct rg_service *svc = u->txn->svc;
	char kind[RG_ID_MAX];
	size_t len = strlen(key);
	int plural = len > 1 && len < sizeof(kind) && key[len - 1] == 's';

	if (blank(v))
		return 0;
	if (plural) {
		memcpy(kind, key, len - 1);
		kind[len - 1] = '\0';
	}
	if (rg_vocab_lookup(&svc->vocab, RG_VOCAB_USER_ATTR, NULL, key) ||
	    (!json_is_array(v) && !(plural && rg_dir_kind(svc, kind))))
		return user_attr_put(u, attrs, key, v);
	return user_members_put(members, plural ? kind : key, v);
}

/* The attributes and memberships of a recorded user state, in either
 * shape: {"attrs": {}, "members": {}}, or the first release's own keys
 * ("bu", "max_chats", "departments"). */
static int user_parts(struct undo *u, json_t *o, json_t *attrs, json_t *members)
{
	const char *key;
	json_t *v;
	size_t i;
	int rc = 0;

	json_object_foreach(json_object_get(o, "attrs"), key, v)
	{
		if (rc == 0)
			rc = user_attr_put(u, attrs, key, v);
	}
	json_object_foreach(json_object_get(o, "members"), key, v)
	{
		if (rc == 0)
			rc = user_members_put(members, key, v);
	}
	json_object_foreach(o, key, v)
	{
		for (i = 0; i < RG_COUNTOF(user_own); i++)
			if (strcmp(key, user_own[i]) == 0)
				break;
		if (rc == 0 && i == RG_COUNTOF(user_own))
			rc = user_legacy_key(u, attrs, members, key, v);
	}
	return rc;
}

/* A recorded user as the export writes it: what older records left out
 * is unset (a user added has no roles yet), lists are sorted arrays. */
static json_t *user_norm(struct undo *u, json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *name = json_string_value(json_object_get(o, "name"));
	json_t *attrs = json_object(), *members = json_object(), *out = NULL;

	if (attrs && members && user_parts(u, o, attrs, members) == 0)
		out = json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", id, "name",
		                name ? name : id, "attrs",
		                rg_dir_json_sorted(attrs), "roles",
		                list_norm(json_object_get(o, "roles")),
		                "members", rg_dir_json_sorted(members));
	json_decref(attrs);
	json_decref(members);
	return out;
}

/* A recorded entry as the export writes it: its "kind" left out, and
 * org.add's "parent" under the attribute the kind keeps its parent
 * under ("unit"). */
static json_t *entry_norm(struct undo *u, json_t *o)
{
	const struct rg_vocab_entry *k = rg_dir_kind(u->txn->svc, u->org_kind);
	const char *pkey = k ? rg_dir_parent_key(k) : NULL;
	const char *name = json_string_value(json_object_get(o, "name"));
	json_t *attrs = name ? json_copy(o) : NULL, *out;

	if (!attrs)
		return NULL;
	json_object_del(attrs, "kind");
	if (pkey && strcmp(pkey, "parent") != 0) {
		if (!json_object_get(attrs, pkey))
			json_object_set(attrs, pkey,
			                json_object_get(attrs, "parent"));
		json_object_del(attrs, "parent");
	}
	out = rg_dir_entry_shape(u->txn->svc, u->org_kind, name, attrs);
	json_decref(attrs);
	return out;
}

/* A recorded state as the export writes the item.  NULL stays NULL. */
static json_t *norm(struct undo *u, json_t *o)
{
	if (!o)
		return NULL;
	switch (u->subj) {
	case SUBJ_USER:
		return user_norm(u, o);
	case SUBJ_ORG:
		return entry_norm(u, o);
	case SUBJ_CUSTOM:
		return json_pack("{s:O, s:o, s:o, s:o}", "id",
		                 json_object_get(o, "id"), "name",
		                 member(o, "name"), "description",
		                 member(o, "description"), "privileges",
		                 list_norm(json_object_get(o, "privileges")));
	case SUBJ_SETTING:
		return json_is_null(json_object_get(o, "value"))
		           ? NULL
		           : json_pack("{s:O, s:O}", "key",
		                       json_object_get(o, "key"), "value",
		                       json_object_get(o, "value"));
	}
	return NULL;
}

/* ---- what the record changed, and what it should be ------------------- */

/* Text of a scalar member (a number in decimal), or NULL. */
static const char *text_of(json_t *o, const char *key, char *buf, size_t len)
{
	return rg_dir_scalar_text(json_object_get(o, key), buf, len);
}

static int same_text(const char *a, const char *b)
{
	return a ? b && strcmp(a, b) == 0 : !b;
}

/* The one attribute of an {ATTR: value} record (org.set also has kind
 * and name). */
static const char *attr_of(json_t *o)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "kind") != 0 && strcmp(key, "name") != 0)
			return key;
	}
	return NULL;
}

/* The object of a state holding attribute attr: a user's "attrs" (its
 * name is its own), an entry itself. */
static json_t *holder(const struct undo *u, json_t *state, const char *attr)
{
	return u->subj == SUBJ_USER && strcmp(attr, RG_USER_NAME) != 0
	           ? json_object_get(state, "attrs")
	           : state;
}

/* now with attr set to v (null: unset), as the export writes it. */
static json_t *with_attr(struct undo *u, json_t *now, const char *attr,
                         json_t *v)
{
	json_t *copy = json_deep_copy(now), *h = holder(u, copy, attr), *t;

	if (h && (!v || json_is_null(v)))
		json_object_del(h, attr);
	else if (h)
		json_object_set(h, attr, v);
	t = h ? norm(u, copy) : NULL;
	json_decref(copy);
	return t;
}

/* SHAPE_ATTR: now's attribute must be the record's after; the target is
 * now with the record's before. */
static int plan_attr(struct undo *u, json_t *now, json_t **target)
{
	const char *attr = attr_of(u->ea ? u->ea : u->eb);
	char bn[DECIMAL_MAX], ba[DECIMAL_MAX];
	const char *is, *left;

	if (!attr || !now)
		return fail(u, RG_EREFUSED,
		            "audit record %lld: '%s' is gone since", u->seq,
		            u->key);
	is = text_of(holder(u, now, attr), attr, bn, sizeof(bn));
	left = text_of(u->ea, attr, ba, sizeof(ba));
	if (!(u->flags & RG_UNDO_FORCE) && !same_text(is, left))
		return fail(u, RG_EREFUSED,
		            "audit record %lld: %s of '%s' is '%s' now, not "
		            "'%s' as the record left it (changed since; "
		            "--force undoes it anyway)",
		            u->seq, attr, u->key, is ? is : "(unset)",
		            left ? left : "(unset)");
	*target = with_attr(u, now, attr, json_object_get(u->eb, attr));
	return *target ? RG_OK : fail(u, RG_ENOMEM, "out of memory");
}

/* A user's list in a state: its roles, or its memberships of kind. */
static json_t *user_list(json_t *state, const char *kind)
{
	return kind ? json_object_get(json_object_get(state, "members"), kind)
	            : json_object_get(state, "roles");
}

/* now with its list of kind (NULL: roles) set to l. */
static json_t *with_list(struct undo *u, json_t *now, const char *kind,
                         json_t *l)
{
	json_t *copy = json_deep_copy(now), *t = NULL;

	if (copy &&
	    !json_object_set(kind ? json_object_get(copy, "members") : copy,
	                     kind ? kind : "roles", l))
		t = norm(u, copy);
	json_decref(copy);
	return t;
}

static int in_list(json_t *list, const char *item)
{
	size_t i;

	for (i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), item) ==
		    0)
			return 1;
	return 0;
}

/* SHAPE_MEMBER: a role or membership the record gave (after) or took
 * (before); the target is now without or with it. */
static int plan_member(struct undo *u, json_t *now, json_t **target)
{
	json_t *rec = u->ea ? u->ea : u->eb, *list, *fresh;
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	const char *item =
	    json_string_value(json_object_get(rec, kind ? "name" : "role"));
	int has, gave = u->ea != NULL;
	size_t i;

	if (!item || !now)
		return fail(u, RG_EREFUSED,
		            "audit record %lld: user '%s' is gone since",
		            u->seq, u->key);
	list = user_list(now, kind);
	has = in_list(list, item);
	if (has != gave && !(u->flags & RG_UNDO_FORCE))
		return fail(u, RG_EREFUSED,
		            "audit record %lld: user '%s' %s '%s' now "
		            "(changed since; --force undoes it anyway)",
		            u->seq, u->key, has ? "has" : "no longer has",
		            item);
	fresh = json_array();
	for (i = 0; fresh && i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), item))
			json_array_append(fresh, json_array_get(list, i));
	if (fresh && !gave)
		json_array_append_new(fresh, json_string(item));
	*target = fresh ? with_list(u, now, kind, fresh) : NULL;
	json_decref(fresh);
	return *target ? RG_OK : fail(u, RG_ENOMEM, "out of memory");
}

/* SHAPE_FULL: now must equal the record's after; the target is its
 * before. */
static int plan_full(struct undo *u, json_t *now, json_t **target)
{
	json_t *want = norm(u, u->ea);
	int same = want ? now && json_equal(now, want) : !now;
	char *text;

	json_decref(want);
	if (!same && !(u->flags & RG_UNDO_FORCE)) {
		text = now ? json_dumps(now, JSON_COMPACT) : NULL;
		fail(u, RG_EREFUSED,
		     "audit record %lld: '%s' %s%s, not as the record left "
		     "it (changed since; --force undoes it anyway)",
		     u->seq, u->key, now ? "is " : "does not exist",
		     text ? text : "");
		free(text);
		return RG_EREFUSED;
	}
	*target = norm(u, u->eb);
	if (u->eb && !*target)
		return fail(u, RG_ENOMEM, "out of memory");
	return RG_OK;
}

/* ---- getting there through the operations ------------------------------ */

/* Sets each attribute of have to want's (have's own first, then those
 * only want has), through set(u, key, value). */
static int attrs_apply(struct undo *u, json_t *have, json_t *want,
                       int (*set)(struct undo *u, const char *key,
                                  const char *value))
{
	char b1[DECIMAL_MAX], b2[DECIMAL_MAX];
	const char *key;
	json_t *v;
	int rc = RG_OK;

	json_object_foreach(have, key, v)
	{
		const char *to = text_of(want, key, b1, sizeof(b1));

		if (rc == RG_OK &&
		    !same_text(text_of(have, key, b2, sizeof(b2)), to))
			rc = set(u, key, to);
	}
	json_object_foreach(want, key, v)
	{
		const char *to = text_of(want, key, b1, sizeof(b1));

		if (rc == RG_OK && !json_object_get(have, key) && to)
			rc = set(u, key, to);
	}
	return rc;
}

static int user_attr_set(struct undo *u, const char *key, const char *value)
{
	return rg_user_set(u->txn, u->key, key, value);
}

/* Removes what want lacks from have, then adds what it has: roles (kind
 * NULL) or memberships of kind. */
static int list_apply(struct undo *u, json_t *have, json_t *want,
                      const char *kind)
{
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < json_array_size(have); i++) {
		const char *x = json_string_value(json_array_get(have, i));
		if (in_list(want, x))
			continue;
		rc = kind ? rg_member_remove(u->txn, u->key, kind, x)
		          : rg_role_unassign(u->txn, u->key, x);
	}
	for (i = 0; rc == RG_OK && i < json_array_size(want); i++) {
		const char *x = json_string_value(json_array_get(want, i));
		if (in_list(have, x))
			continue;
		rc = kind ? rg_member_add(u->txn, u->key, kind, x)
		          : rg_role_assign(u->txn, u->key, x, 0);
	}
	return rc;
}

/* The roles, then the memberships of each kind now has or t has. */
static int user_lists_apply(struct undo *u, json_t *now, json_t *t)
{
	json_t *have = json_object_get(now, "members");
	json_t *want = json_object_get(t, "members"), *v;
	const char *kind;
	int rc = list_apply(u, json_object_get(now, "roles"),
	                    json_object_get(t, "roles"), NULL);

	json_object_foreach(have, kind, v)
	{
		if (rc == RG_OK)
			rc =
			    list_apply(u, v, json_object_get(want, kind), kind);
	}
	json_object_foreach(want, kind, v)
	{
		if (rc == RG_OK && !json_object_get(have, kind))
			rc = list_apply(u, NULL, v, kind);
	}
	return rc;
}

/* Brings the user's name, attributes and lists from now to t. */
static int user_change(struct undo *u, json_t *now, json_t *t)
{
	const char *name = json_string_value(json_object_get(t, "name"));
	int rc = RG_OK;

	if (!same_text(json_string_value(json_object_get(now, "name")), name))
		rc = rg_user_set(u->txn, u->key, RG_USER_NAME, name);
	if (rc == RG_OK)
		rc = attrs_apply(u, json_object_get(now, "attrs"),
		                 json_object_get(t, "attrs"), user_attr_set);
	return rc == RG_OK ? user_lists_apply(u, now, t) : rc;
}

static int user_apply(struct undo *u, json_t *now, json_t *t)
{
	json_t *bare, *start;
	int rc;

	if (!t)
		return now ? rg_user_remove(u->txn, u->key) : RG_OK;
	if (now)
		return user_change(u, now, t);
	rc = rg_user_add(u->txn, u->key,
	                 json_string_value(json_object_get(t, "name")));
	if (rc != RG_OK)
		return rc;
	/* A new user: only id and name, nothing else yet. */
	bare = json_pack("{s:s, s:O}", "id", u->key, "name",
	                 json_object_get(t, "name"));
	start = bare ? norm(u, bare) : NULL;
	rc = start ? user_change(u, start, t)
	           : fail(u, RG_ENOMEM, "out of memory");
	json_decref(bare);
	json_decref(start);
	return rc;
}

static int org_attr_set(struct undo *u, const char *key, const char *value)
{
	return rg_org_set(u->txn, u->org_kind, u->key, key, value);
}

/* Adds the entry with t's parent; *now gets it as it is then. */
static int org_add_bare(struct undo *u, json_t *t, json_t **now)
{
	const struct rg_vocab_entry *k = rg_dir_kind(u->txn->svc, u->org_kind);
	const char *pkey = k ? rg_dir_parent_key(k) : NULL;
	const char *parent =
	    pkey ? json_string_value(json_object_get(t, pkey)) : NULL;
	json_t *bare;
	int rc = rg_org_add(u->txn, u->org_kind, u->key, parent);

	if (rc != RG_OK)
		return rc;
	bare = json_pack("{s:s, s:s?}", "name", u->key, pkey ? pkey : "parent",
	                 parent);
	*now = bare ? norm(u, bare) : NULL;
	json_decref(bare);
	return *now ? RG_OK : fail(u, RG_ENOMEM, "out of memory");
}

/* Added with its parent, then given its attributes. */
static int org_apply(struct undo *u, json_t *now, json_t *t)
{
	int rc = RG_OK;

	if (!t)
		return now ? rg_org_remove(u->txn, u->org_kind, u->key) : RG_OK;
	if (now)
		json_incref(now);
	else
		rc = org_add_bare(u, t, &now);
	if (rc == RG_OK)
		rc = attrs_apply(u, now, t, org_attr_set);
	json_decref(now);
	return rc;
}

static int custom_apply(struct undo *u, json_t *now, json_t *t)
{
	json_t *privs = json_object_get(t, "privileges");
	const char **v = NULL;
	size_t i, n = json_array_size(privs);
	int rc = RG_OK;

	if (now && t && json_equal(now, t))
		return RG_OK;
	/* Changed or gone: deleted (refused while assigned, unless forced),
	 * then created as the target says. */
	if (now)
		rc = rg_custom_role_delete(
		    u->txn, u->key, (u->flags & RG_UNDO_FORCE) != 0, NULL);
	if (rc != RG_OK || !t)
		return rc;
	v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v)
		return fail(u, RG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(privs, i));
	rc = rg_custom_role_create(
	    u->txn, u->key, json_string_value(json_object_get(t, "name")),
	    json_string_value(json_object_get(t, "description")), v, n);
	free(v);
	return rc;
}

static int setting_apply(struct undo *u, json_t *now, json_t *t)
{
	const char *want = json_string_value(json_object_get(t, "value"));

	if (same_text(json_string_value(json_object_get(now, "value")), want))
		return RG_OK;
	return rg_setting_set(u->txn, u->key, want);
}

/* Brings the item from now to target. */
static int apply(struct undo *u, json_t *now, json_t *t)
{
	int rc;

	switch (u->subj) {
	case SUBJ_USER:
		rc = user_apply(u, now, t);
		break;
	case SUBJ_ORG:
		rc = org_apply(u, now, t);
		break;
	case SUBJ_CUSTOM:
		rc = custom_apply(u, now, t);
		break;
	default:
		rc = setting_apply(u, now, t);
		break;
	}
	if (rc != RG_OK && !u->err[0])
		op_fail(u, rc);
	return rc;
}

/* ---- the undo ---------------------------------------------------------- */

static int undo_record(struct undo *u)
{
	json_t *b = json_pack("{s:I, s:s, s:O?}", "undo", (json_int_t)u->seq,
	                      "what", u->ewhat, "state", u->ea);
	json_t *a = json_pack("{s:I, s:s, s:O?}", "undo", (json_int_t)u->seq,
	                      "what", u->ewhat, "state", u->eb);
	int rc;

	if (!a || !b) {
		json_decref(a);
		json_decref(b);
		return fail(u, RG_ENOMEM, "out of memory");
	}
	rc = rg_txn_audit(u->txn, *u->user ? u->user : NULL, UNDO_WHAT, b, a);
	return rc == RG_OK ? RG_OK : op_fail(u, rc);
}

static int got_last(void *user, const rg_audit_info *a)
{
	*(long long *)user = a->seq;
	return 1;
}

/* Reads the record and checks that it may be undone, in the transaction. */
static int prepare(struct undo *u)
{
	char err[RG_MSG_MAX];
	int rc;

	rc =
	    rg_txn_audit_read(u->txn, RG_AUDIT_READ_SEQ, u->seq, got_record, u);
	if (rc != RG_OK)
		return op_fail(u, rc);
	if (!u->found)
		return fail(u, RG_ENOENT, "no audit record %lld", u->seq);
	if (!u->what || !u->service || !u->user)
		return fail(u, RG_ENOMEM, "out of memory");
	if (u->damaged)
		return fail(u, RG_EIO,
		            "audit record %lld: its before or after is not a "
		            "JSON object or null",
		            u->seq);
	u->txn->svc = rg_service_find(u->txn->ctx, u->service);
	if (!u->txn->svc)
		return fail(u, RG_ENOSERVICE,
		            "audit record %lld is of service '%s', which the "
		            "configuration no longer has",
		            u->seq, u->service);
	rc = rg_txn_audit_read(u->txn, RG_AUDIT_READ_UNDOS, 0, got_undo, u);
	if (rc != RG_OK)
		return op_fail(u, rc);
	if (u->undone_by)
		return fail(u, RG_EREFUSED,
		            "audit record %lld was undone already (record "
		            "%lld)",
		            u->seq, u->undone_by);
	rc = effective(u);
	if (rc == RG_OK)
		rc = subject_of(u);
	if (rc != RG_OK)
		return rc;
	rc = rg_dir_service_json(u->txn->dir, u->service, &u->state, err,
	                         sizeof(err));
	return rc == RG_OK ? RG_OK : fail(u, rc, "%s", err);
}

static int run(struct undo *u, long long *undo_seq)
{
	json_t *now = NULL, *target = NULL, *cur;
	int rc = prepare(u);

	if (rc != RG_OK)
		return rc;
	cur = current(u);
	now = norm(u, cur);
	json_decref(cur);
	switch (u->kind->shape) {
	case SHAPE_ATTR:
		rc = plan_attr(u, now, &target);
		break;
	case SHAPE_MEMBER:
		rc = plan_member(u, now, &target);
		break;
	default:
		rc = plan_full(u, now, &target);
		break;
	}
	if (rc == RG_OK)
		rc = apply(u, now, target);
	if (rc == RG_OK)
		rc = undo_record(u);
	if (rc == RG_OK && undo_seq) {
		rc = rg_txn_audit_read(u->txn, RG_AUDIT_READ_LAST, 0, got_last,
		                       undo_seq);
		if (rc != RG_OK)
			op_fail(u, rc);
	}
	json_decref(now);
	json_decref(target);
	return rc;
}

int rg_audit_undo(rg_context *ctx, long long seq, unsigned flags,
                  const char *actor, const char *command, long long *undo_seq,
                  char *errbuf, size_t errlen)
{
	struct undo u;
	char *cmd = NULL;
	int rc;

	memset(&u, 0, sizeof(u));
	if (undo_seq)
		*undo_seq = 0;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!ctx || seq <= 0 || (flags & ~RG_UNDO_FORCE)) {
		if (errbuf)
			rg_strlcpy(errbuf,
			           !ctx ? "no context"
			                : "bad record number or flags",
			           errlen);
		return RG_EINVAL;
	}
	u.seq = seq;
	u.flags = flags;
	cmd = command ? rg_strdup(command)
	              : rg_asprintf("audit --undo %lld", seq);
	rc = cmd ? rg_dir_txn_begin(ctx, NULL, actor, cmd, &u.txn, u.err,
	                            sizeof(u.err))
	         : fail(&u, RG_ENOMEM, "out of memory");
	free(cmd);
	if (rc == RG_OK)
		rc = run(&u, undo_seq);
	if (u.txn && rc != RG_OK)
		rg_txn_abort(u.txn);
	else if (u.txn) {
		rc = rg_txn_commit(u.txn);
		if (rc != RG_OK)
			fail(&u, rc,
			     "the undo was not committed (see the log)");
	}
	if (rc != RG_OK && undo_seq)
		*undo_seq = 0;
	if (errbuf && rc != RG_OK)
		rg_strlcpy(errbuf, u.err, errlen);
	free(u.what);
	free(u.service);
	free(u.user);
	json_decref(u.before);
	json_decref(u.after);
	json_decref(u.state);
	return rc;
}
