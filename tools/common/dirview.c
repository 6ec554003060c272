/*
 * dirview.c - what a user and an organisation entry show (dirview.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirview.h"
#include "jsontext.h"

#define DECIMAL 10

/* ---- words ----------------------------------------------------------- */

static int ends_with(const char *word, const char *end)
{
	size_t n = strlen(word), m = strlen(end);

	return n >= m && strcmp(word + n - m, end) == 0;
}

void rg_tool_plural(const char *word, char *buf, size_t len)
{
	size_t n = strlen(word);

	if (n > 1 && word[n - 1] == 'y' && !strchr("aeiou", word[n - 2]))
		snprintf(buf, len, "%.*sies", (int)(n - 1), word);
	else if (ends_with(word, "s") || ends_with(word, "x") ||
	         ends_with(word, "ch") || ends_with(word, "sh"))
		snprintf(buf, len, "%ses", word);
	else
		snprintf(buf, len, "%ss", word);
}

/* ---- the view ---------------------------------------------------------- */

/* The entry of what and name (and kind, for an entry's attribute). */
static int find_decl(const rg_service *svc, rg_vocab_what what,
                     const char *kind, const char *name, rg_vocab_info *out)
{
	long i = svc ? rg_vocab_find(svc, what, kind, name) : -1;

	return i >= 0 &&
	       rg_vocab_at(svc, (size_t)i, out, sizeof(*out)) == RG_OK;
}

/* The field of name among f, or NULL. */
static const struct rg_tool_field *field_named(const struct rg_tool_field *f,
                                               size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].decl.name, name) == 0)
			return &f[i];
	return NULL;
}

/* Appends decl to f unless a field has its name; a kind's key is its
 * plural, an attribute's its name. */
static void add_field(struct rg_tool_field *f, size_t *n,
                      const rg_vocab_info *decl, int plural)
{
	if (*n >= RG_TOOL_VIEW_MAX || field_named(f, *n, decl->name))
		return;
	f[*n].decl = *decl;
	if (plural)
		rg_tool_plural(decl->name, f[*n].key, sizeof(f[*n].key));
	else
		snprintf(f[*n].key, sizeof(f[*n].key), "%s", decl->name);
	f[*n].seq = *n;
	(*n)++;
}

/* Adds what svc declares that v does not have yet. */
static void view_add(struct rg_tool_view *v, const rg_service *svc)
{
	size_t i, n = rg_vocab_count(svc);
	rg_vocab_info in, kind;

	for (i = 0; i < n; i++) {
		if (rg_vocab_at(svc, i, &in, sizeof(in)) != RG_OK)
			continue;
		if (in.what == RG_VOCAB_USER_ATTR)
			add_field(v->attr, &v->nattrs, &in, 0);
		else if (in.what == RG_VOCAB_ORG_ATTR)
			add_field(v->org_attr, &v->norg_attrs, &in, 0);
		else if (in.what == RG_VOCAB_WORKFLOW && in.kind &&
		         find_decl(svc, RG_VOCAB_ORG_KIND, NULL, in.kind,
		                   &kind))
			add_field(v->kind, &v->nkinds, &kind, 1);
	}
	/* The workflows' kinds came first, in the workflows' order. */
	for (i = 0; i < n; i++)
		if (rg_vocab_at(svc, i, &in, sizeof(in)) == RG_OK &&
		    in.what == RG_VOCAB_ORG_KIND && (in.flags & RG_ORG_MEMBERS))
			add_field(v->kind, &v->nkinds, &in, 1);
}

void rg_tool_view_service(struct rg_tool_view *v, const rg_service *svc)
{
	memset(v, 0, sizeof(*v));
	if (svc)
		view_add(v, svc);
}

/* By the declaring plugin's name, then in the order found. */
static int cmp_field(const void *x, const void *y)
{
	const struct rg_tool_field *a = x, *b = y;
	int c = strcmp(a->decl.plugin ? a->decl.plugin : "",
	               b->decl.plugin ? b->decl.plugin : "");

	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

void rg_tool_view_context(struct rg_tool_view *v, const rg_context *ctx)
{
	size_t i, n = rg_service_count(ctx);

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++)
		if (rg_service_at(ctx, i))
			view_add(v, rg_service_at(ctx, i));
	qsort(v->attr, v->nattrs, sizeof(v->attr[0]), cmp_field);
	qsort(v->kind, v->nkinds, sizeof(v->kind[0]), cmp_field);
	qsort(v->org_attr, v->norg_attrs, sizeof(v->org_attr[0]), cmp_field);
}

/* ---- the values -------------------------------------------------------- */

json_t *rg_tool_value_json(const rg_vocab_info *decl, const char *value)
{
	char *end = NULL;
	long long n;

	if (value && *value && decl && decl->type == RG_ATTR_INTEGER) {
		errno = 0;
		n = strtoll(value, &end, DECIMAL);
		if (!errno && !*end)
			return json_integer((json_int_t)n);
	}
	return rg_tool_jstr(value, 1);
}

/* The declaration typing f's values: svc's own (of kind, for an entry's
 * attribute) when it declares f, else the one f was found with. */
static const rg_vocab_info *typing(const rg_service *svc, rg_vocab_what what,
                                   const char *kind,
                                   const struct rg_tool_field *f,
                                   rg_vocab_info *own)
{
	return find_decl(svc, what, kind, f->decl.name, own) ? own : &f->decl;
}

int rg_tool_user_attrs(json_t *obj, const struct rg_tool_view *v,
                       const rg_service *svc, const rg_user_info *u)
{
	const struct rg_tool_field *f;
	rg_vocab_info own;
	size_t i;
	int bad = 0;

	for (i = 0; i < v->nattrs; i++) {
		f = &v->attr[i];
		bad |= json_object_set_new(
		    obj, f->key,
		    rg_tool_value_json(
		        typing(svc, RG_VOCAB_USER_ATTR, NULL, f, &own),
		        rg_user_info_attr(u, f->decl.name)));
	}
	/* Kept from a configuration that declared it: shown all the same. */
	for (i = 0; i < u->nattrs; i++)
		if (!field_named(v->attr, v->nattrs, u->attr_keys[i]))
			bad |= json_object_set_new(
			    obj, u->attr_keys[i],
			    rg_tool_jstr(u->attr_values[i], 1));
	return bad ? RG_ENOMEM : RG_OK;
}

int rg_tool_user_members(json_t *obj, const struct rg_tool_view *v,
                         const rg_user_info *u)
{
	char key[RG_TOOL_WORD_MAX];
	size_t i;
	int bad = 0;

	for (i = 0; i < v->nkinds; i++)
		bad |= json_object_set_new(obj, v->kind[i].key,
		                           rg_tool_jsplit(rg_user_info_members(
		                               u, v->kind[i].decl.name)));
	for (i = 0; i < u->nmembers; i++) {
		if (field_named(v->kind, v->nkinds, u->member_kinds[i]))
			continue;
		rg_tool_plural(u->member_kinds[i], key, sizeof(key));
		bad |= json_object_set_new(obj, key,
		                           rg_tool_jsplit(u->member_names[i]));
	}
	return bad ? RG_ENOMEM : RG_OK;
}

int rg_tool_org_attrs(json_t *obj, const struct rg_tool_view *v,
                      const rg_service *svc, const rg_org_info *o)
{
	const struct rg_tool_field *f;
	rg_vocab_info own;
	size_t i;
	int bad = 0;

	for (i = 0; i < v->norg_attrs; i++) {
		f = &v->org_attr[i];
		bad |= json_object_set_new(
		    obj, f->key,
		    rg_tool_value_json(
		        typing(svc, RG_VOCAB_ORG_ATTR, o->kind, f, &own),
		        rg_org_info_attr(o, f->decl.name)));
	}
	return bad ? RG_ENOMEM : RG_OK;
}
