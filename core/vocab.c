/*
 * vocab.c - a service's directory vocabulary: the organisation kinds, the
 * attributes, settings and role workflows its plugins declare.
 *
 * The directory keeps organisation entries and user attributes of any
 * kind and name; what a service may hold, and how each value is checked,
 * is only what its plugins declared here.  Declarations are kept in
 * declaration order (the CLI lists them so); a service's vocabulary is the
 * union of its entries' declarations, and a name declared twice must be
 * declared the same, or the second declaration fails its entry.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DECIMAL_BASE 10

/* The 1.5 size of each spec: the least a plugin may pass. */
#define ORG_KIND_SPEC_1_5                                                      \
	(offsetof(rg_org_kind_spec, summary) + sizeof(const char *))
#define ATTR_SPEC_1_5 (offsetof(rg_attr_spec, help) + sizeof(const char *))
#define FLOW_SPEC_1_5                                                          \
	(offsetof(rg_workflow_spec, summary) + sizeof(const char *))
#define ORG_KIND_FLAGS                                                         \
	(RG_ORG_SINGLE_ROOT | RG_ORG_PARENT_REQUIRED | RG_ORG_MEMBERS)
#define INFO_1_5 (offsetof(rg_vocab_info, attrs) + sizeof(const char *))

static const char *const what_names[] = {
    [RG_VOCAB_ORG_KIND] = "organisation kind",
    [RG_VOCAB_ORG_ATTR] = "organisation attribute",
    [RG_VOCAB_USER_ATTR] = "user attribute",
    [RG_VOCAB_SETTING] = "setting",
    [RG_VOCAB_WORKFLOW] = "workflow",
};

/* Names the core keeps itself: a user's id, name and roles, an entry's
 * name, parent and members. */
/* The keys the core writes beside declared attributes, in the admin API's
 * and export's JSON objects of a user or an entry: an attribute of that
 * name would collide with them. */
static const char *const reserved_user[] = {"id", "name", "roles", "members",
                                            "service"};
static const char *const reserved_org[] = {"id",      "name", "parent",
                                           "members", "kind", "service"};

static void entry_free(struct rg_vocab_entry *e)
{
	free(e->name);
	free(e->kind);
	free(e->help);
	free(e->parent);
	free(e->parent_attr);
	free(e->noun);
	free(e->values);
	free(e->ref);
	free(e->role);
	free(e->attrs);
}

void rg_vocab_free(rg_vocab *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		entry_free(&v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

const struct rg_vocab_entry *rg_vocab_lookup(const rg_vocab *v,
                                             rg_vocab_what what,
                                             const char *kind, const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < v->n; i++) {
		const struct rg_vocab_entry *e = &v->v[i];

		if (e->what == what && strcmp(e->name, name) == 0 &&
		    (what != RG_VOCAB_ORG_ATTR || same_text(e->kind, kind)))
			return e;
	}
	return NULL;
}

/* ---- declaring ------------------------------------------------------- */

static int building(const rg_plugin_handle *h)
{
	return h && h->svc && h->svc->ctx->building;
}

/* A refused declaration: a diagnostic at the entry's line, status back. */
static int refuse(rg_plugin_handle *h, int status, const char *what,
                  const char *name, const char *why)
{
	rg_diag(h->svc->ctx, h->file, h->line,
	        "plugin '%s' declares %s '%s': %s", h->name,
	        what ? what : "a name", name ? name : "(null)", why);
	return status;
}

/*
 * 1 when each comma-separated item of list is an id for which ok(v, item)
 * holds (v may be NULL: then being an id is enough).  An empty list is
 * fine; an empty item is not.
 */
static int list_all(const rg_vocab *v, const char *list,
                    int (*ok)(const rg_vocab *v, const char *item))
{
	char item[RG_ID_MAX];

	while (list && *list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);

		if (len == 0 || len >= sizeof(item))
			return 0;
		memcpy(item, list, len);
		item[len] = '\0';
		if (!rg_id_valid(item) || (ok && !ok(v, item)))
			return 0;
		list = end ? end + 1 : NULL;
	}
	return 1;
}

/* 1 when list holds at least one id, comma-separated. */
static int id_list_valid(const char *list)
{
	return list && *list && list_all(NULL, list, NULL);
}

static int reserved(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Two declarations of one name are the same when everything but their
 * help text and owner is. */
static int same_entry(const struct rg_vocab_entry *a,
                      const struct rg_vocab_entry *b)
{
	return a->what == b->what && same_text(a->name, b->name) &&
	       same_text(a->kind, b->kind) && same_text(a->parent, b->parent) &&
	       same_text(a->parent_attr, b->parent_attr) &&
	       same_text(a->noun, b->noun) && a->flags == b->flags &&
	       a->type == b->type && same_text(a->values, b->values) &&
	       a->min == b->min && same_text(a->ref, b->ref) &&
	       same_text(a->role, b->role) && same_text(a->attrs, b->attrs) &&
	       a->validate == b->validate;
}

/* Keeps e (its strings are taken), or checks it against the one there. */
static int vocab_add(rg_plugin_handle *h, struct rg_vocab_entry *e)
{
	rg_vocab *v = &h->svc->vocab;
	const struct rg_vocab_entry *old =
	    rg_vocab_lookup(v, e->what, e->kind, e->name);
	char why[RG_MSG_MAX];
	int rc = RG_OK;

	if (old && same_entry(old, e))
		goto out;
	if (old) {
		snprintf(
		    why, sizeof(why),
		    "plugin '%s' (%s:%u) declared it otherwise; a service's "
		    "plugins must agree on its directory",
		    old->owner->name, old->owner->file, old->owner->line);
		rc = refuse(h, RG_EEXIST, what_names[e->what], e->name, why);
		goto out;
	}
	rc = RG_GROW(v->v, v->cap, v->n + 1);
	if (rc != RG_OK)
		goto out;
	e->owner = h;
	v->v[v->n++] = *e;
	return RG_OK;
out:
	entry_free(e);
	return rc;
}

/* Copies a spec of the plugin's size into a zeroed one of ours. */
static int spec_copy(void *dst, size_t dstsize, const void *src, size_t least)
{
	size_t size;

	memset(dst, 0, dstsize);
	if (!src)
		return RG_EINVAL;
	memcpy(&size, src, sizeof(size));
	if (size < least)
		return RG_EINVAL;
	memcpy(dst, src, size < dstsize ? size : dstsize);
	return RG_OK;
}

/* strdup() of each non-NULL string; 0 when one failed. */
static int dup_all(char **out[], const char *const in[], size_t n)
{
	size_t i;
	int ok = 1;

	for (i = 0; i < n; i++) {
		*out[i] = in[i] ? rg_strdup(in[i]) : NULL;
		if (in[i] && !*out[i])
			ok = 0;
	}
	return ok;
}

/* A parent's own name: an id that is not another of the core's names. */
static int parent_attr_valid(const char *name)
{
	return rg_id_valid(name) &&
	       (strcmp(name, "parent") == 0 ||
	        !reserved(reserved_org, RG_COUNTOF(reserved_org), name));
}

int rg_declare_org_kind(rg_plugin_handle *h, const char *kind,
                        const rg_org_kind_spec *spec)
{
	const char *what = what_names[RG_VOCAB_ORG_KIND];
	struct rg_vocab_entry e = {.what = RG_VOCAB_ORG_KIND};
	rg_org_kind_spec s;

	if (!building(h))
		return RG_EINVAL;
	if (!rg_id_valid(kind) || strcmp(kind, "setting") == 0)
		return refuse(h, RG_EINVAL, what, kind,
		              "not a valid kind name");
	if (spec_copy(&s, sizeof(s), spec, ORG_KIND_SPEC_1_5) != RG_OK)
		return refuse(h, RG_EINVAL, what, kind,
		              "no spec, or too small");
	if (s.flags & ~ORG_KIND_FLAGS)
		return refuse(h, RG_EINVAL, what, kind, "unknown flags");
	if (s.parent && strcmp(s.parent, kind) != 0 &&
	    !rg_vocab_lookup(&h->svc->vocab, RG_VOCAB_ORG_KIND, NULL, s.parent))
		return refuse(h, RG_EINVAL, what, kind,
		              "its parent kind is not declared (declare it "
		              "first)");
	if (!s.parent && (s.flags & RG_ORG_PARENT_REQUIRED))
		return refuse(h, RG_EINVAL, what, kind,
		              "a parent is required but no parent kind given");
	if ((s.flags & RG_ORG_SINGLE_ROOT) &&
	    (!s.parent || strcmp(s.parent, kind) != 0))
		return refuse(h, RG_EINVAL, what, kind,
		              "a single root needs a tree (parent = the kind)");
	if (s.parent_attr && !parent_attr_valid(s.parent_attr))
		return refuse(h, RG_EINVAL, what, kind, "bad parent_attr");
	e.flags = s.flags;
	{
		char **out[] = {&e.name, &e.parent, &e.parent_attr, &e.help,
		                &e.noun};
		const char *const in[] = {
		    kind, s.parent,
		    s.parent ? (s.parent_attr ? s.parent_attr : "parent")
		             : NULL,
		    s.summary ? s.summary : "", s.noun ? s.noun : kind};

		if (!dup_all(out, in, RG_COUNTOF(in))) {
			entry_free(&e);
			return RG_ENOMEM;
		}
	}
	return vocab_add(h, &e);
}

/* Checks an attribute spec and fills e from it. */
static int attr_entry(rg_plugin_handle *h, rg_vocab_what what, const char *kind,
                      const char *name, const rg_attr_spec *spec,
                      struct rg_vocab_entry *e)
{
	const char *w = what_names[what];
	rg_attr_spec s;

	memset(e, 0, sizeof(*e));
	e->what = what;
	if (!building(h))
		return RG_EINVAL;
	if (!rg_id_valid(name))
		return refuse(h, RG_EINVAL, w, name, "not a valid name");
	if (spec_copy(&s, sizeof(s), spec, ATTR_SPEC_1_5) != RG_OK)
		return refuse(h, RG_EINVAL, w, name, "no spec, or too small");
	switch (s.type) {
	case RG_ATTR_TEXT:
	case RG_ATTR_INTEGER:
		break;
	case RG_ATTR_ENUM:
		if (!id_list_valid(s.values))
			return refuse(
			    h, RG_EINVAL, w, name,
			    "an enum needs values, comma-separated ids");
		break;
	case RG_ATTR_REF:
		if (!s.ref || !rg_vocab_lookup(&h->svc->vocab,
		                               RG_VOCAB_ORG_KIND, NULL, s.ref))
			return refuse(
			    h, RG_EINVAL, w, name,
			    "it refers to an undeclared kind (declare "
			    "the kind first)");
		break;
	default:
		return refuse(h, RG_EINVAL, w, name, "unknown type");
	}
	e->type = s.type;
	e->min = s.type == RG_ATTR_INTEGER ? s.min : 0;
	e->validate = s.validate;
	{
		char **out[] = {&e->name, &e->kind, &e->values, &e->ref,
		                &e->help};
		const char *const in[] = {
		    name, kind, s.type == RG_ATTR_ENUM ? s.values : NULL,
		    s.type == RG_ATTR_REF ? s.ref : NULL, s.help ? s.help : ""};

		if (!dup_all(out, in, RG_COUNTOF(in))) {
			entry_free(e);
			return RG_ENOMEM;
		}
	}
	return RG_OK;
}

int rg_declare_org_attr(rg_plugin_handle *h, const char *kind, const char *name,
                        const rg_attr_spec *spec)
{
	struct rg_vocab_entry e;
	int rc;

	if (building(h) &&
	    !rg_vocab_lookup(&h->svc->vocab, RG_VOCAB_ORG_KIND, NULL, kind))
		return refuse(h, RG_EINVAL, what_names[RG_VOCAB_ORG_ATTR], name,
		              "its kind is not declared");
	if (building(h) && name &&
	    reserved(reserved_org, RG_COUNTOF(reserved_org), name))
		return refuse(h, RG_EINVAL, what_names[RG_VOCAB_ORG_ATTR], name,
		              "the name is the core's own");
	rc = attr_entry(h, RG_VOCAB_ORG_ATTR, kind, name, spec, &e);
	return rc == RG_OK ? vocab_add(h, &e) : rc;
}

int rg_declare_user_attr(rg_plugin_handle *h, const char *name,
                         const rg_attr_spec *spec)
{
	struct rg_vocab_entry e;
	int rc;

	if (building(h) && name &&
	    reserved(reserved_user, RG_COUNTOF(reserved_user), name))
		return refuse(h, RG_EINVAL, what_names[RG_VOCAB_USER_ATTR],
		              name, "the name is the core's own");
	rc = attr_entry(h, RG_VOCAB_USER_ATTR, NULL, name, spec, &e);
	return rc == RG_OK ? vocab_add(h, &e) : rc;
}

int rg_declare_setting(rg_plugin_handle *h, const char *key,
                       const rg_attr_spec *spec)
{
	struct rg_vocab_entry e;
	int rc = attr_entry(h, RG_VOCAB_SETTING, NULL, key, spec, &e);

	return rc == RG_OK ? vocab_add(h, &e) : rc;
}

static int user_attr_declared(const rg_vocab *v, const char *name)
{
	return rg_vocab_lookup(v, RG_VOCAB_USER_ATTR, NULL, name) != NULL;
}

int rg_declare_workflow(rg_plugin_handle *h, const char *noun,
                        const rg_workflow_spec *spec)
{
	const char *what = what_names[RG_VOCAB_WORKFLOW];
	struct rg_vocab_entry e = {.what = RG_VOCAB_WORKFLOW};
	const struct rg_vocab_entry *k;
	rg_workflow_spec s;

	if (!building(h))
		return RG_EINVAL;
	if (!rg_id_valid(noun))
		return refuse(h, RG_EINVAL, what, noun, "not a valid noun");
	if (spec_copy(&s, sizeof(s), spec, FLOW_SPEC_1_5) != RG_OK)
		return refuse(h, RG_EINVAL, what, noun,
		              "no spec, or too small");
	if (!rg_id_valid(s.role))
		return refuse(h, RG_EINVAL, what, noun, "no valid role id");
	k = s.kind ? rg_vocab_lookup(&h->svc->vocab, RG_VOCAB_ORG_KIND, NULL,
	                             s.kind)
	           : NULL;
	if (s.kind && (!k || !(k->flags & RG_ORG_MEMBERS)))
		return refuse(h, RG_EINVAL, what, noun,
		              "its kind is not declared with members");
	if (!list_all(&h->svc->vocab, s.attrs, user_attr_declared))
		return refuse(h, RG_EINVAL, what, noun,
		              "it edits an undeclared user attribute");
	{
		char **out[] = {&e.name, &e.role, &e.kind, &e.attrs, &e.help};
		const char *const in[] = {noun, s.role, s.kind,
		                          s.attrs ? s.attrs : "",
		                          s.summary ? s.summary : ""};

		if (!dup_all(out, in, RG_COUNTOF(in))) {
			entry_free(&e);
			return RG_ENOMEM;
		}
	}
	return vocab_add(h, &e);
}

/* ---- checking values ------------------------------------------------- */

/* 1 when value is one of the comma-separated ids of list. */
static int enum_has(const char *list, const char *value)
{
	size_t n = strlen(value);

	while (list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);

		if (len == n && strncmp(list, value, n) == 0)
			return 1;
		list = end ? end + 1 : NULL;
	}
	return 0;
}

int rg_vocab_integer(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return 0;
	v = strtol(s, &end, DECIMAL_BASE);
	if (*end || (v == LONG_MAX || v == LONG_MIN))
		return 0;
	*out = v;
	return 1;
}

int rg_vocab_value_check(const struct rg_vocab_entry *e, const char *value,
                         char *err, size_t errlen)
{
	long n;

	switch (e->type) {
	case RG_ATTR_ENUM:
		if (!enum_has(e->values, value)) {
			snprintf(err, errlen, "%s must be one of %s, not '%s'",
			         e->name, e->values, value);
			return RG_EINVAL;
		}
		break;
	case RG_ATTR_INTEGER:
		if (!rg_vocab_integer(value, &n) || n < e->min) {
			snprintf(err, errlen,
			         "%s must be an integer of at least %ld, not "
			         "'%s'",
			         e->name, e->min, value);
			return RG_EINVAL;
		}
		break;
	default:
		break;
	}
	if (e->validate &&
	    rg_call_value_check(e->owner, e->validate, value, err, errlen) != 0)
		return RG_EINVAL;
	return RG_OK;
}

/* ---- reading, for programs ------------------------------------------- */

size_t rg_vocab_count(const rg_service *svc)
{
	return svc ? svc->vocab.n : 0;
}

int rg_vocab_at(const rg_service *svc, size_t i, rg_vocab_info *out,
                size_t size)
{
	const struct rg_vocab_entry *e;
	rg_vocab_info info;

	if (!svc || !out || i >= svc->vocab.n || size < INFO_1_5)
		return RG_EINVAL;
	e = &svc->vocab.v[i];
	memset(&info, 0, sizeof(info));
	info.what = e->what;
	info.name = e->name;
	info.kind = e->kind;
	info.plugin = e->owner->name;
	info.help = e->help;
	info.parent = e->parent;
	info.parent_attr = e->parent_attr;
	info.flags = e->flags;
	info.type = e->type;
	info.values = e->values;
	info.min = e->min;
	info.ref = e->ref;
	info.role = e->role;
	info.attrs = e->attrs;
	info.noun = e->noun;
	memcpy(out, &info, size < sizeof(info) ? size : sizeof(info));
	return RG_OK;
}

long rg_vocab_find(const rg_service *svc, rg_vocab_what what, const char *kind,
                   const char *name)
{
	const struct rg_vocab_entry *e;

	if (!svc)
		return -1;
	e = rg_vocab_lookup(&svc->vocab, what, kind, name);
	return e ? (long)(e - svc->vocab.v) : -1;
}
