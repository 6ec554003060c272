/*
 * organisation.c - the organisation verbs of every declared kind:
 * rolegate KIND add, edit, remove, list and (for a tree) move.
 *
 * What a kind is comes from its declaration (genverbs.c): its parent kind
 * and the option naming it, its attributes, the kinds whose parent it is,
 * and the word for its entries in messages ("business unit").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

/* How deep a tree is printed; deeper means a broken tree. */
#define TREE_DEPTH_MAX 64
/* Columns of a listing at most: name, parent, attributes, children,
 * members. */
#define LIST_COLS_MAX 16

static int is_tree(const rg_vocab_info *kind)
{
	return kind->parent && strcmp(kind->parent, kind->name) == 0;
}

/* Sets one attribute of an entry from an option ("" clears it). */
static int org_set(struct admin *a, const char *kind, const char *name,
                   const char *attr, const char *option)
{
	const char *value = admin_value(option);
	int rc = rg_org_set(a->txn, kind, name, attr, value);

	if (rc != RG_OK)
		return rc;
	if (value)
		admin_note(a, "set %s of %s %s to %s", attr, kind, name, value);
	else
		admin_note(a, "cleared %s of %s %s", attr, kind, name);
	return RG_OK;
}

/* Sets the attributes (and with parent, the parent) given in g. */
static int set_given(struct admin *a, const struct gen_verb *g,
                     const char *name, int parent)
{
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < g->nopt; i++) {
		const struct gen_opt *o = &g->opt[i];

		if (!o->value)
			continue;
		if (o->role == GEN_ORG_ATTR)
			rc = org_set(a, g->what.name, name, o->decl.name,
			             o->value);
		else if (o->role == GEN_PARENT && parent)
			rc = org_set(a, g->what.name, name, g->what.parent_attr,
			             o->value);
	}
	return rc;
}

/* Moves the entries of a child kind listed in o into name. */
static int adopt(struct admin *a, const struct gen_opt *o, const char *name)
{
	char **children = cli_split(o->value, o->option);
	size_t i;
	int rc = children ? RG_OK : RG_EINVAL;

	for (i = 0; children && rc == RG_OK && children[i]; i++)
		rc = org_set(a, o->decl.name, children[i], o->decl.parent_attr,
		             name);
	cli_split_free(children);
	return rc;
}

static void note_added(struct admin *a, const rg_vocab_info *k,
                       const char *name, const char *parent)
{
	rg_vocab_info pk;

	if (is_tree(k) && parent)
		admin_note(a, "added %s %s under %s", k->noun, name, parent);
	else if (is_tree(k))
		admin_note(a, "added %s %s (%s root)", k->noun, name,
		           k->flags & RG_ORG_SINGLE_ROOT ? "the" : "a");
	else if (parent)
		admin_note(a, "added %s %s in %s %s", k->noun, name,
		           gen_kind(a->svc, k->parent, &pk) ? pk.noun
		                                            : k->parent,
		           parent);
	else
		admin_note(a, "added %s %s", k->noun, name);
}

static int org_add_op(struct admin *a, void *data)
{
	const struct gen_verb *g = data;
	const char *name = a->args->argv[1];
	const struct gen_opt *p = gen_find(g, GEN_PARENT, NULL);
	const char *parent = p ? admin_value(p->value) : NULL;
	size_t i;
	int rc;

	rc = rg_org_add(a->txn, g->what.name, name, parent);
	if (rc != RG_OK)
		return rc;
	note_added(a, &g->what, name, parent);
	rc = set_given(a, g, name, 0);
	for (i = 0; rc == RG_OK && i < g->nopt; i++)
		if (g->opt[i].role == GEN_CHILDREN && g->opt[i].value)
			rc = adopt(a, &g->opt[i], name);
	return rc;
}

static int org_edit_op(struct admin *a, void *data)
{
	return set_given(a, data, a->args->argv[1], 1);
}

static int org_remove_op(struct admin *a, void *data)
{
	const struct gen_verb *g = data;
	const char *name = a->args->argv[1];
	int rc = rg_org_remove(a->txn, g->what.name, name);

	if (rc == RG_OK)
		admin_note(a, "removed %s %s", g->what.name, name);
	return rc;
}

static int org_move_op(struct admin *a, void *data)
{
	const struct gen_verb *g = data;
	const char *name = a->args->argv[1];
	const char *parent = a->args->argv[2];
	int rc;

	rc =
	    rg_org_set(a->txn, g->what.name, name, g->what.parent_attr, parent);
	if (rc == RG_OK)
		admin_note(a, "moved %s %s under %s", g->what.noun, name,
		           parent);
	return rc;
}

/* 1 when every list option given splits (else cli_split said why). */
static int lists_valid(const struct gen_verb *g)
{
	size_t i;

	for (i = 0; i < g->nopt; i++) {
		char **items;

		if (g->opt[i].role != GEN_CHILDREN || !g->opt[i].value)
			continue;
		items = cli_split(g->opt[i].value, g->opt[i].option);
		if (!items)
			return 0;
		cli_split_free(items);
	}
	return 1;
}

/* ---- list -------------------------------------------------------------- */

/* Each entry as {"name", "parent", "members", "attrs": {...}}: the
 * attributes of the kind's declaration, in its order. */
struct org_collect {
	json_t *arr;
	const rg_vocab_info *attrs;
	size_t nattrs;
};

static int collect_org(void *user, const rg_org_info *o)
{
	const struct org_collect *c = user;
	json_t *attrs = json_object();
	size_t i;

	for (i = 0; attrs && i < c->nattrs; i++)
		json_object_set_new(
		    attrs, c->attrs[i].name,
		    rg_tool_value_json(&c->attrs[i],
		                       rg_org_info_attr(o, c->attrs[i].name)));
	return json_array_append_new(
	           c->arr,
	           json_pack("{s:o s:o s:I s:o}", "name", cli_jstr(o->name, 0),
	                     "parent", cli_jstr(o->parent, 1), "members",
	                     (json_int_t)o->members, "attrs", attrs)) != 0;
}

/* The org attributes of kind, in declaration order. */
static size_t kind_attrs(const rg_service *svc, const char *kind,
                         rg_vocab_info *out, size_t max)
{
	size_t i, k = 0, n = rg_vocab_count(svc);

	for (i = 0; i < n && k < max; i++)
		if (rg_vocab_at(svc, i, &out[k], sizeof(out[k])) == RG_OK &&
		    out[k].what == RG_VOCAB_ORG_ATTR &&
		    strcmp(out[k].kind, kind) == 0)
			k++;
	return k;
}

/* The entries of kind in a->service, or NULL after saying why. */
static json_t *org_entries(struct admin *a, const char *kind, int *ret)
{
	rg_vocab_info attrs[LIST_COLS_MAX];
	struct org_collect c = {json_array(), attrs, 0};
	int rc;

	if (!c.arr) {
		cli_error("out of memory");
		*ret = CLI_EXIT_ERROR;
		return NULL;
	}
	c.nattrs = kind_attrs(a->svc, kind, attrs, LIST_COLS_MAX);
	rc = rg_org_list(a->ctx, a->service, kind, collect_org, &c);
	if (rc != RG_OK) {
		json_decref(c.arr);
		*ret = admin_fail(a, rc);
		return NULL;
	}
	return c.arr;
}

/* The names of the entries of arr whose parent is parent. */
static json_t *children_of(const json_t *arr, const char *parent)
{
	json_t *names = json_array();
	size_t i;

	for (i = 0; names && i < json_array_size(arr); i++) {
		const json_t *e = json_array_get(arr, i);
		const char *p = json_string_value(json_object_get(e, "parent"));

		if (p && strcmp(p, parent) == 0)
			json_array_append(names, json_object_get(e, "name"));
	}
	return names;
}

/* One listing: its columns (key and heading) and rows. */
struct listing {
	const char *keys[LIST_COLS_MAX];
	const char *heads[LIST_COLS_MAX];
	char text[LIST_COLS_MAX][2][GEN_WORD_MAX]; /* their storage */
	size_t ncols;
	json_t *rows;
};

static void add_col(struct listing *l, const char *key, const char *heading)
{
	if (l->ncols >= LIST_COLS_MAX)
		return;
	gen_key(key, l->text[l->ncols][0], sizeof(l->text[0][0]));
	gen_heading(heading, l->text[l->ncols][1], sizeof(l->text[0][1]));
	l->keys[l->ncols] = l->text[l->ncols][0];
	l->heads[l->ncols] = l->text[l->ncols][1];
	l->ncols++;
}

/* The kinds whose parent is kind (not kind itself), and their entries. */
struct child_kinds {
	rg_vocab_info kind[LIST_COLS_MAX];
	json_t *entries[LIST_COLS_MAX];
	size_t n;
};

static int read_children(struct admin *a, const rg_vocab_info *kind,
                         struct child_kinds *c, int *ret)
{
	size_t i, n = rg_vocab_count(a->svc);
	rg_vocab_info in;

	for (i = 0; i < n && c->n < LIST_COLS_MAX; i++) {
		if (rg_vocab_at(a->svc, i, &in, sizeof(in)) != RG_OK ||
		    in.what != RG_VOCAB_ORG_KIND || !in.parent ||
		    strcmp(in.parent, kind->name) != 0 ||
		    strcmp(in.name, kind->name) == 0)
			continue;
		c->kind[c->n] = in;
		c->entries[c->n] = org_entries(a, in.name, ret);
		if (!c->entries[c->n])
			return -1;
		c->n++;
	}
	return 0;
}

/* Builds the listing's columns and rows from the entries read. */
static void build_listing(struct admin *a, const rg_vocab_info *kind,
                          const json_t *entries, const struct child_kinds *c,
                          struct listing *l)
{
	rg_vocab_info attrs[LIST_COLS_MAX];
	char word[GEN_WORD_MAX];
	size_t i, j;
	size_t nattrs = kind_attrs(a->svc, kind->name, attrs, LIST_COLS_MAX);

	add_col(l, "name", kind->noun);
	if (kind->parent)
		add_col(l, kind->parent_attr, kind->parent_attr);
	for (j = 0; j < nattrs; j++)
		add_col(l, attrs[j].name, attrs[j].name);
	for (j = 0; j < c->n; j++) {
		rg_tool_plural(c->kind[j].noun, word, sizeof(word));
		add_col(l, word, word);
	}
	rg_tool_plural(gen_member_word(a->svc, kind), word, sizeof(word));
	add_col(l, word, word);
	for (i = 0; l->rows && i < json_array_size(entries); i++) {
		const json_t *e = json_array_get(entries, i);
		const char *name =
		    json_string_value(json_object_get(e, "name"));
		const json_t *values = json_object_get(e, "attrs");
		json_t *row = json_object();
		size_t col = 0;

		json_object_set(row, l->keys[col++],
		                json_object_get(e, "name"));
		if (kind->parent)
			json_object_set(row, l->keys[col++],
			                json_object_get(e, "parent"));
		for (j = 0; j < nattrs; j++)
			json_object_set(row, l->keys[col++],
			                json_object_get(values, attrs[j].name));
		for (j = 0; j < c->n; j++)
			json_object_set_new(row, l->keys[col++],
			                    children_of(c->entries[j], name));
		json_object_set(row, l->keys[col],
		                json_object_get(e, "members"));
		json_array_append_new(l->rows, row);
	}
}

/* 1 when entry's parent is parent (NULL: a root). */
static int child_of(const json_t *entry, const char *key, const char *parent)
{
	const char *p = json_string_value(json_object_get(entry, key));

	if (!parent)
		return p == NULL;
	return p && strcmp(p, parent) == 0;
}

/* Prints a tree's entries under parent, indented by depth. */
static void print_tree(const struct listing *l, const char *member,
                       const char *parent, int depth)
{
	const char *count_key = l->keys[l->ncols - 1];
	size_t i;

	if (depth >= TREE_DEPTH_MAX)
		return;
	for (i = 0; i < json_array_size(l->rows); i++) {
		const json_t *u = json_array_get(l->rows, i);
		const char *name =
		    json_string_value(json_object_get(u, "name"));
		json_int_t n =
		    json_integer_value(json_object_get(u, count_key));

		if (!child_of(u, l->keys[1], parent))
			continue;
		printf("%*s%s", depth * 2, "", name);
		if (n)
			printf(" (%" JSON_INTEGER_FORMAT " %s%s)", n, member,
			       n == 1 ? "" : "s");
		putchar('\n');
		print_tree(l, member, name, depth + 1);
	}
}

static int org_list(struct admin *a, const rg_vocab_info *kind)
{
	struct child_kinds c;
	struct listing *l = calloc(1, sizeof(*l));
	char plural[GEN_WORD_MAX], key[GEN_WORD_MAX];
	json_t *entries = NULL;
	size_t i;
	int ret = CLI_EXIT_OK;

	memset(&c, 0, sizeof(c));
	if (!l)
		return admin_fail(a, RG_ENOMEM);
	entries = org_entries(a, kind->name, &ret);
	if (!entries || read_children(a, kind, &c, &ret) != 0)
		goto out;
	l->rows = json_array();
	build_listing(a, kind, entries, &c, l);
	rg_tool_plural(kind->noun, plural, sizeof(plural));
	gen_key(plural, key, sizeof(key));
	if (a->args->json) {
		ret = cli_json_print(
		    json_pack("{s:s s:O}", "service", a->service, key, l->rows),
		    CLI_EXIT_OK);
	} else if (is_tree(kind)) {
		if (json_array_size(l->rows) == 0)
			printf("no %s\n", plural);
		print_tree(l, gen_member_word(a->svc, kind), NULL, 0);
	} else {
		admin_print_table(l->rows, l->keys, l->heads, l->ncols);
	}
out:
	for (i = 0; i < c.n; i++)
		json_decref(c.entries[i]);
	json_decref(entries);
	json_decref(l->rows);
	free(l);
	return ret;
}

/* ---- the verbs ----------------------------------------------------------- */

int admin_org_run(struct admin *a, const struct gen_verb *g)
{
	const char *verb = g->verb;
	char opts[GEN_WORD_MAX * GEN_OPTS_MAX];

	if (strcmp(verb, "list") == 0)
		return org_list(a, &g->what);
	if (strcmp(verb, "remove") == 0)
		return admin_run(a, org_remove_op, (void *)g);
	if (strcmp(verb, "move") == 0) {
		if (!*a->args->argv[2])
			return cli_usage_error(
			    a->cmd,
			    "empty parent: %s %s moves under "
			    "another one",
			    gen_article(g->what.noun), g->what.noun);
		return admin_run(a, org_move_op, (void *)g);
	}
	if (strcmp(verb, "edit") == 0) {
		if (!gen_any(g)) {
			gen_options_text(g, opts, sizeof(opts));
			return cli_usage_error(
			    a->cmd, "nothing to change: give %s", opts);
		}
		return admin_run(a, org_edit_op, (void *)g);
	}
	if (!lists_valid(g))
		return CLI_EXIT_ERROR;
	return admin_run(a, org_add_op, (void *)g);
}
