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
	SUBJ_BU,
	SUBJ_UNIT,
	SUBJ_DEPT,
	SUBJ_CUSTOM,
	SUBJ_SETTING,
};

/* How the record says it. */
enum shape {
	SHAPE_FULL,   /* before and after are whole states (or null) */
	SHAPE_ATTR,   /* one attribute: {ATTR: old} -> {ATTR: new} */
	SHAPE_MEMBER, /* one item of a user's list: {...} -> null or back */
};

static const struct undo_kind {
	const char *what;
	enum subject subj; /* SUBJ_BU: the record's "kind" says which */
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
    {"org.add", SUBJ_BU, SHAPE_FULL},
    {"org.remove", SUBJ_BU, SHAPE_FULL},
    {"org.set", SUBJ_BU, SHAPE_ATTR},
    {"import.bu", SUBJ_BU, SHAPE_FULL},
    {"import.unit", SUBJ_UNIT, SHAPE_FULL},
    {"import.department", SUBJ_DEPT, SHAPE_FULL},
    {"custom-role.create", SUBJ_CUSTOM, SHAPE_FULL},
    {"custom-role.delete", SUBJ_CUSTOM, SHAPE_FULL},
    {"import.custom-role", SUBJ_CUSTOM, SHAPE_FULL},
    {"setting.set", SUBJ_SETTING, SHAPE_FULL},
    {"import.setting", SUBJ_SETTING, SHAPE_FULL},
};

/* Where each subject's items are in a service object, and their key. */
static const struct subj_desc {
	const char *part; /* NULL: settings */
	const char *id;
	const char *kind; /* for rg_org_*() */
} subj_desc[] = {
    [SUBJ_USER] = {"users", "id", NULL},
    [SUBJ_BU] = {"business_units", "name", RG_ORG_BU},
    [SUBJ_UNIT] = {"units", "name", RG_ORG_UNIT},
    [SUBJ_DEPT] = {"departments", "name", RG_ORG_DEPARTMENT},
    [SUBJ_CUSTOM] = {"custom_roles", "id", NULL},
    [SUBJ_SETTING] = {NULL, "key", NULL},
};

/* A user's attributes, as rg_user_set() names them. */
static const char *const user_attrs[] = {RG_USER_NAME, RG_USER_BU,
                                         RG_USER_STATUS, RG_USER_MAX_CHATS};
/* A user's lists, and the membership kind behind each (NULL: roles). */
static const struct {
	const char *list;
	const char *kind;
} user_lists[] = {
    {"roles", NULL},
    {"departments", RG_ORG_DEPARTMENT},
    {"units", RG_ORG_UNIT},
};

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
	const char *key; /* the item's id or name (borrowed) */
	json_t *state;   /* the service's data now */
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

/* The record as undone: an undo record stands for the record it undid. */
static int effective(struct undo *u)
{
	size_t i;

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
	for (i = 0; i < RG_NITEMS(undo_kinds); i++)
		if (strcmp(u->ewhat, undo_kinds[i].what) == 0)
			u->kind = &undo_kinds[i];
	if (strcmp(u->ewhat, "import") == 0)
		return fail(u, RG_EREFUSED,
		            "audit record %lld is an import's summary: undo "
		            "its items (the import.* records before it) one "
		            "by one",
		            u->seq);
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
	const char *kind;

	u->subj = u->kind->subj;
	if (u->subj == SUBJ_USER) {
		u->key = u->user;
		return u->key && *u->key
		           ? RG_OK
		           : fail(u, RG_EIO, "audit record %lld names no user",
		                  u->seq);
	}
	if (u->subj == SUBJ_BU && strncmp(u->ewhat, "org.", 4) == 0) {
		kind = json_string_value(json_object_get(any, "kind"));
		if (kind && strcmp(kind, RG_ORG_UNIT) == 0)
			u->subj = SUBJ_UNIT;
		else if (kind && strcmp(kind, RG_ORG_DEPARTMENT) == 0)
			u->subj = SUBJ_DEPT;
		else if (!kind || strcmp(kind, RG_ORG_BU) != 0)
			return fail(u, RG_EIO,
			            "audit record %lld: unknown kind", u->seq);
	}
	u->key = json_string_value(json_object_get(any, subj_desc[u->subj].id));
	if (!u->key)
		return fail(u, RG_EIO, "audit record %lld names no %s", u->seq,
		            subj_desc[u->subj].id);
	return RG_OK;
}

/* ---- states: the export's objects ------------------------------------- */

/* The item of the subject in the service now (borrowed), or NULL. */
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

/* A count given as a number or a decimal string, or null. */
static json_t *count_norm(json_t *v)
{
	long n;

	if (json_is_string(v) && rg_dir_count_parse(json_string_value(v), &n))
		return json_integer(n);
	return json_is_integer(v) ? json_incref(v) : json_null();
}

/*
 * A recorded state as the export writes the item: what older records
 * left out is unset (a user added has no roles yet), lists are sorted
 * arrays.  NULL stays NULL.
 */
static json_t *norm(enum subject s, json_t *o)
{
	const char *name;

	if (!o)
		return NULL;
	switch (s) {
	case SUBJ_USER:
		name = json_string_value(json_object_get(o, "name"));
		return json_pack(
		    "{s:O, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
		    json_object_get(o, "id"), "name",
		    name ? name : json_string_value(json_object_get(o, "id")),
		    "bu", member(o, "bu"), "status", member(o, "status"),
		    "max_chats", count_norm(json_object_get(o, "max_chats")),
		    "roles", list_norm(json_object_get(o, "roles")),
		    "departments", list_norm(json_object_get(o, "departments")),
		    "units", list_norm(json_object_get(o, "units")));
	case SUBJ_BU:
		return json_pack("{s:O, s:o}", "name",
		                 json_object_get(o, "name"), "parent",
		                 member(o, "parent"));
	case SUBJ_UNIT:
		return json_pack("{s:O}", "name", json_object_get(o, "name"));
	case SUBJ_DEPT:
		/* org.add records a department's unit as its parent. */
		return json_pack(
		    "{s:O, s:o, s:o}", "name", json_object_get(o, "name"),
		    "unit",
		    json_object_get(o, "unit") ? member(o, "unit")
		                               : member(o, "parent"),
		    "max_chats", count_norm(json_object_get(o, "max_chats")));
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

/* Text of a scalar member (a count in decimal), or NULL. */
static const char *text_of(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		return buf;
	}
	return json_string_value(v);
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
	is = text_of(now, attr, bn, sizeof(bn));
	left = text_of(u->ea, attr, ba, sizeof(ba));
	if (!(u->flags & RG_UNDO_FORCE) && !same_text(is, left))
		return fail(u, RG_EREFUSED,
		            "audit record %lld: %s of '%s' is '%s' now, not "
		            "'%s' as the record left it (changed since; "
		            "--force undoes it anyway)",
		            u->seq, attr, u->key, is ? is : "(unset)",
		            left ? left : "(unset)");
	*target = json_deep_copy(now);
	if (!*target)
		return fail(u, RG_ENOMEM, "out of memory");
	json_object_set_new(*target, attr,
	                    strcmp(attr, "max_chats") == 0
	                        ? count_norm(json_object_get(u->eb, attr))
	                        : member(u->eb, attr));
	return RG_OK;
}

/* SHAPE_MEMBER: a role or membership the record gave (after) or took
 * (before); the target is now without or with it. */
static int plan_member(struct undo *u, json_t *now, json_t **target)
{
	json_t *rec = u->ea ? u->ea : u->eb, *list, *fresh;
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	const char *item =
	    json_string_value(json_object_get(rec, kind ? "name" : "role"));
	const char *lkey = !kind                            ? "roles"
	                   : strcmp(kind, RG_ORG_UNIT) == 0 ? "units"
	                                                    : "departments";
	int has = 0, gave = u->ea != NULL;
	size_t i;

	if (!item || !now)
		return fail(u, RG_EREFUSED,
		            "audit record %lld: user '%s' is gone since",
		            u->seq, u->key);
	list = json_object_get(now, lkey);
	for (i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), item) ==
		    0)
			has = 1;
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
	*target = fresh ? json_deep_copy(now) : NULL;
	if (!*target) {
		json_decref(fresh);
		return fail(u, RG_ENOMEM, "out of memory");
	}
	json_object_set_new(*target, lkey, list_norm(fresh));
	json_decref(fresh);
	return RG_OK;
}

/* SHAPE_FULL: now must equal the record's after; the target is its
 * before. */
static int plan_full(struct undo *u, json_t *now, json_t **target)
{
	json_t *want = norm(u->subj, u->ea);
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
	*target = norm(u->subj, u->eb);
	if (u->eb && !*target)
		return fail(u, RG_ENOMEM, "out of memory");
	return RG_OK;
}

/* ---- getting there through the operations ------------------------------ */

/* Sets now's scalar attributes to the target's. */
static int user_attrs_apply(struct undo *u, json_t *now, json_t *t)
{
	char b1[DECIMAL_MAX], b2[DECIMAL_MAX];
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < RG_NITEMS(user_attrs); i++) {
		const char *want = text_of(t, user_attrs[i], b1, sizeof(b1));
		if (!same_text(text_of(now, user_attrs[i], b2, sizeof(b2)),
		               want))
			rc = rg_user_set(u->txn, u->key, user_attrs[i], want);
	}
	return rc;
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

/* Removes what the target lacks, then adds what it has. */
static int user_lists_apply(struct undo *u, json_t *now, json_t *t)
{
	size_t k, i;
	int rc = RG_OK;

	for (k = 0; rc == RG_OK && k < RG_NITEMS(user_lists); k++) {
		json_t *have = json_object_get(now, user_lists[k].list);
		json_t *want = json_object_get(t, user_lists[k].list);
		const char *kind = user_lists[k].kind;

		for (i = 0; rc == RG_OK && i < json_array_size(have); i++) {
			const char *x =
			    json_string_value(json_array_get(have, i));
			if (in_list(want, x))
				continue;
			rc = kind ? rg_member_remove(u->txn, u->key, kind, x)
			          : rg_role_unassign(u->txn, u->key, x);
		}
		for (i = 0; rc == RG_OK && i < json_array_size(want); i++) {
			const char *x =
			    json_string_value(json_array_get(want, i));
			if (in_list(have, x))
				continue;
			rc = kind ? rg_member_add(u->txn, u->key, kind, x)
			          : rg_role_assign(u->txn, u->key, x, 0);
		}
	}
	return rc;
}

/* Brings the user's attributes and lists from now to t. */
static int user_change(struct undo *u, json_t *now, json_t *t)
{
	int rc = user_attrs_apply(u, now, t);

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
	start = norm(SUBJ_USER, bare);
	rc = start ? user_change(u, start, t)
	           : fail(u, RG_ENOMEM, "out of memory");
	json_decref(bare);
	json_decref(start);
	return rc;
}

/* An organisation entry's attribute: parent (bu), unit and max_chats
 * (department). */
static int org_attr_apply(struct undo *u, const char *kind, json_t *now,
                          json_t *t, const char *attr)
{
	char b1[DECIMAL_MAX], b2[DECIMAL_MAX];
	const char *want = text_of(t, attr, b1, sizeof(b1));

	if (same_text(text_of(now, attr, b2, sizeof(b2)), want))
		return RG_OK;
	return rg_org_set(u->txn, kind, u->key, attr, want);
}

static int org_apply(struct undo *u, json_t *now, json_t *t)
{
	const char *kind = subj_desc[u->subj].kind;
	int rc = RG_OK;

	if (!t)
		return now ? rg_org_remove(u->txn, kind, u->key) : RG_OK;
	if (!now) {
		/* Added bare, then given its attributes below. */
		rc = rg_org_add(
		    u->txn, kind, u->key,
		    u->subj == SUBJ_BU
		        ? json_string_value(json_object_get(t, "parent"))
		        : NULL);
		now = json_pack("{s:s}", "name", u->key);
		if (!now)
			return fail(u, RG_ENOMEM, "out of memory");
		if (u->subj == SUBJ_BU)
			json_object_set(now, "parent",
			                json_object_get(t, "parent"));
	} else {
		json_incref(now);
	}
	if (rc == RG_OK && u->subj == SUBJ_BU)
		rc = org_attr_apply(u, kind, now, t, "parent");
	if (rc == RG_OK && u->subj == SUBJ_DEPT)
		rc = org_attr_apply(u, kind, now, t, "unit");
	if (rc == RG_OK && u->subj == SUBJ_DEPT)
		rc = org_attr_apply(u, kind, now, t, "max_chats");
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
	case SUBJ_BU:
	case SUBJ_UNIT:
	case SUBJ_DEPT:
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
	now = norm(u->subj, cur);
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
