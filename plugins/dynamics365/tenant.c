/*
 * tenant.c - the business-unit tree of a Dataverse tenant.
 *
 * File format (read with the core's INI reader):
 *
 *   [tenant]
 *   name = TEXT        ; optional display name
 *   root = UNIT        ; the root business unit; required, exactly one
 *
 *   [business-units]
 *   UNIT = PARENT      ; every unit other than the root, with its parent
 *
 * Unit names are made of letters, digits, '-', '_' and '.'.  Lines may come
 * in any order.  Every problem is reported as "file:line: ...": unknown
 * sections or keys, bad or duplicate names, a parent that is not a unit, a
 * second root, or units whose parents never reach the root (a cycle).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dynamics365.h"

#include "private/rg_prim.h"

#define SECTION_TENANT "tenant"
#define SECTION_UNITS  "business-units"

/* What the INI callback needs besides the tree. */
struct tree_reader {
	rg_plugin_handle *h;
	struct d365_tree *t;
	int failed; /* an out-of-memory stops everything else */
};

static int unit_name_valid(const char *s)
{
	size_t n;

	if (!s || !*s)
		return 0;
	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (!isalnum(c) && !strchr("-_.", c))
			return 0;
	}
	return n < RG_ID_MAX;
}

static int set_string(char **dst, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return RG_ENOMEM;
	free(*dst);
	*dst = s;
	return RG_OK;
}

static int tree_push(struct d365_tree *t, const char *name, const char *parent,
                     unsigned line)
{
	struct d365_unit *u;

	if (RG_GROW(t->units, t->cap, t->nunits + 1) != RG_OK)
		return RG_ENOMEM;
	u = &t->units[t->nunits];
	memset(u, 0, sizeof(*u));
	u->name = strdup(name);
	u->parent_name = parent ? strdup(parent) : NULL;
	if (!u->name || (parent && !u->parent_name)) {
		free(u->name);
		free(u->parent_name);
		return RG_ENOMEM;
	}
	u->parent = -1;
	u->line = line;
	t->nunits++;
	return RG_OK;
}

static int read_tenant_key(struct tree_reader *r, const char *key,
                           const char *value, const rg_ini_pos *pos)
{
	struct d365_tree *t = r->t;

	if (strcmp(key, "name") == 0)
		return set_string(&t->name, value);
	if (strcmp(key, "root") != 0) {
		rg_plugin_error(r->h, pos->file, pos->line,
		                "[tenant]: unknown key '%s' (name, root)", key);
		return RG_EPOLICY;
	}
	if (t->root_name) {
		rg_plugin_error(r->h, pos->file, pos->line,
		                "a tenant has one root unit: '%s' already set "
		                "at line %u",
		                t->root_name, t->root_line);
		return RG_EPOLICY;
	}
	if (!unit_name_valid(value)) {
		rg_plugin_error(r->h, pos->file, pos->line,
		                "root: bad unit name '%s'", value);
		return RG_EPOLICY;
	}
	t->root_line = pos->line;
	return set_string(&t->root_name, value);
}

static int read_unit_key(struct tree_reader *r, const char *unit,
                         const char *parent, const rg_ini_pos *pos)
{
	if (!unit_name_valid(unit)) {
		rg_plugin_error(r->h, pos->file, pos->line,
		                "bad business-unit name '%s'", unit);
		return RG_EPOLICY;
	}
	if (!*parent) {
		rg_plugin_error(r->h, pos->file, pos->line,
		                "unit '%s' has no parent (only the [tenant] "
		                "root has none)",
		                unit);
		return RG_EPOLICY;
	}
	if (!unit_name_valid(parent)) {
		rg_plugin_error(r->h, pos->file, pos->line,
		                "unit '%s': bad parent name '%s'", unit,
		                parent);
		return RG_EPOLICY;
	}
	return tree_push(r->t, unit, parent, pos->line);
}

static int tree_ini_cb(void *user, const char *section, const char *key,
                       const char *value, const rg_ini_pos *pos)
{
	struct tree_reader *r = user;
	int rc;

	if (r->failed)
		return RG_ENOMEM;
	if (strcmp(section, SECTION_TENANT) == 0) {
		rc = read_tenant_key(r, key, value, pos);
	} else if (strcmp(section, SECTION_UNITS) == 0) {
		rc = read_unit_key(r, key, value, pos);
	} else {
		rg_plugin_error(r->h, pos->file, pos->line,
		                "unknown section [%s] (tenant, business-units)",
		                section);
		return RG_EPOLICY;
	}
	if (rc == RG_ENOMEM) {
		rg_plugin_error(r->h, pos->file, pos->line, "out of memory");
		r->failed = 1;
	}
	return rc;
}

static int unit_cmp(const void *a, const void *b)
{
	const struct d365_unit *x = a, *y = b;

	return strcmp(x->name, y->name);
}

long d365_tree_find(const struct d365_tree *t, const char *name)
{
	return name && t->ix ? rg_names_find(t->ix, name) : -1;
}

/* Indexes the units' names, each at its place in the sorted array.  They
 * are distinct (tree_check_duplicates()), so only memory can fail. */
static int tree_index(rg_plugin_handle *h, const char *path,
                      struct d365_tree *t)
{
	size_t i;

	t->ix = rg_names_new();
	for (i = 0; t->ix && i < t->nunits; i++)
		if (rg_names_add(t->ix, t->units[i].name) != (long)i)
			break;
	if (t->ix && i == t->nunits)
		return RG_OK;
	rg_plugin_error(h, path, 0, "out of memory");
	return RG_ENOMEM;
}

/* Sorted, so duplicates are neighbours; each is reported at its line. */
static int tree_check_duplicates(rg_plugin_handle *h, const char *path,
                                 const struct d365_tree *t)
{
	int rc = RG_OK;
	size_t i;

	for (i = 1; i < t->nunits; i++) {
		const struct d365_unit *a = &t->units[i - 1];
		const struct d365_unit *b = &t->units[i];

		if (strcmp(a->name, b->name) != 0)
			continue;
		if (!a->parent_name || !b->parent_name)
			rg_plugin_error(h, path,
			                a->parent_name ? a->line : b->line,
			                "unit '%s' is the root and cannot have "
			                "a parent",
			                a->name);
		else
			rg_plugin_error(
			    h, path, a->line > b->line ? a->line : b->line,
			    "duplicate unit '%s' (also at line %u)", a->name,
			    a->line > b->line ? b->line : a->line);
		rc = RG_EPOLICY;
	}
	return rc;
}

static int tree_resolve_parents(rg_plugin_handle *h, const char *path,
                                struct d365_tree *t)
{
	int rc = RG_OK;
	size_t i;

	for (i = 0; i < t->nunits; i++) {
		struct d365_unit *u = &t->units[i];

		if (!u->parent_name) {
			t->root = (long)i;
			continue;
		}
		u->parent = d365_tree_find(t, u->parent_name);
		if (u->parent < 0) {
			rg_plugin_error(h, path, u->line,
			                "unit '%s': unknown parent unit '%s'",
			                u->name, u->parent_name);
			rc = RG_EPOLICY;
		}
	}
	return rc;
}

/* Every unit must reach the root in fewer steps than there are units. */
static int tree_check_cycles(rg_plugin_handle *h, const char *path,
                             const struct d365_tree *t)
{
	int rc = RG_OK;
	size_t i, steps;

	for (i = 0; i < t->nunits; i++) {
		long u = (long)i;

		for (steps = 0; u >= 0 && u != t->root && steps < t->nunits;
		     steps++)
			u = t->units[u].parent;
		if (u != t->root) {
			rg_plugin_error(h, path, t->units[i].line,
			                "unit '%s' does not reach the root "
			                "'%s': its parents form a cycle",
			                t->units[i].name, t->root_name);
			rc = RG_EPOLICY;
		}
	}
	return rc;
}

static int tree_finish(rg_plugin_handle *h, const char *path,
                       struct d365_tree *t)
{
	int rc;

	if (!t->root_name) {
		rg_plugin_error(h, path, 0,
		                "no root business unit: set root = UNIT in "
		                "[tenant]");
		return RG_EPOLICY;
	}
	rc = tree_push(t, t->root_name, NULL, t->root_line);
	if (rc != RG_OK) {
		rg_plugin_error(h, path, 0, "out of memory");
		return rc;
	}
	qsort(t->units, t->nunits, sizeof(*t->units), unit_cmp);
	rc = tree_check_duplicates(h, path, t);
	if (rc == RG_OK)
		rc = tree_index(h, path, t);
	if (rc == RG_OK)
		rc = tree_resolve_parents(h, path, t);
	if (rc == RG_OK)
		rc = tree_check_cycles(h, path, t);
	return rc;
}

int d365_tree_read(rg_plugin_handle *h, const char *path, struct d365_tree *t)
{
	struct tree_reader r = {.h = h, .t = t};
	int rc;

	memset(t, 0, sizeof(*t));
	t->root = -1;
	/* rg_ini_read() reports a file it cannot read itself. */
	rc = rg_ini_read(h, path, tree_ini_cb, &r);
	if (rc == RG_OK)
		rc = tree_finish(h, path, t);
	if (rc != RG_OK)
		d365_tree_free(t);
	return rc;
}

void d365_tree_free(struct d365_tree *t)
{
	size_t i;

	for (i = 0; i < t->nunits; i++) {
		free(t->units[i].name);
		free(t->units[i].parent_name);
	}
	free(t->units);
	free(t->name);
	free(t->root_name);
	rg_names_free(t->ix);
	memset(t, 0, sizeof(*t));
	t->root = -1;
}

int d365_tree_within(const struct d365_tree *t, long top, long unit)
{
	size_t steps;

	for (steps = 0; unit >= 0 && steps <= t->nunits; steps++) {
		if (unit == top)
			return 1;
		unit = t->units[unit].parent;
	}
	return 0;
}
