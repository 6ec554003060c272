/*
 * bu.c - where one decision reads the business-unit tree from, and its
 * declaration in the directory.
 *
 * An administrator keeps the tree in the directory (rolegate bu add ...);
 * the snapshot hands it to the plugin as facts ("bu", NAME, "parent"), the
 * root's parent being "".  As long as the directory holds no unit of the
 * service, the tenant file (tenant=PATH, tenant.c) is the tree, as it was
 * before there was a directory.  The choice is made per request, so that a
 * committed change applies to the next check, and only when a request
 * names a unit, by counting the directory's units (which a walk up its
 * tree needs anyway).
 *
 * Walking the directory's tree costs one hash lookup per level, allocates
 * nothing and is bounded: the directory refuses cycles, but a walk that
 * has not reached the root after D365_BU_DEPTH_MAX levels (or more levels
 * than there are units) is reported as broken, and the decision denies.
 */
#include <string.h>

#include "dynamics365.h"

#define FACT_BU     "bu"
#define FACT_PARENT "parent"

/* Chooses the tree: the directory's as soon as it holds any unit. */
static void bus_choose(struct d365_bus *b)
{
	/* No fact at all (no directory): the count is 0, unasked. */
	b->count = b->no_facts ? 0 : rg_fact_count(b->req, FACT_BU);
	if (b->count > 0)
		b->source = D365_BU_DIRECTORY;
	else if (b->tree)
		b->source = D365_BU_TENANT;
	else
		b->source = D365_BU_NONE;
}

int d365_bus_find(struct d365_bus *b, const char *name, struct d365_unit_ref *u)
{
	u->name = name;
	u->parent = NULL;
	u->index = -1;
	if (!name)
		return 0;
	/* Counted first: a subject named by its roles, with no directory,
	 * then asks the directory once, not twice; a directory's walk up
	 * the tree needs the count anyway (directory_within()). */
	if (b->source == D365_BU_UNDECIDED)
		bus_choose(b);
	switch (b->source) {
	case D365_BU_DIRECTORY:
		u->parent = rg_fact(b->req, FACT_BU, name, FACT_PARENT);
		return u->parent != NULL;
	case D365_BU_TENANT:
		u->index = d365_tree_find(b->tree, name);
		return u->index >= 0;
	default:
		return 0;
	}
}

/*
 * The walk up the directory's tree, from unit towards the root.  The first
 * step uses the parent d365_bus_find() read: the snapshot does not change
 * during a request, so looking it up again would give the same answer.
 */
static enum d365_within directory_within(const struct d365_bus *b,
                                         const struct d365_unit_ref *top,
                                         const struct d365_unit_ref *unit)
{
	/* Counted only when a lookup could not settle the tree. */
	size_t count = b->count ? b->count : rg_fact_count(b->req, FACT_BU);
	size_t bound = count < D365_BU_DEPTH_MAX ? count : D365_BU_DEPTH_MAX;
	const char *cur = unit->name;
	const char *parent = unit->parent;
	size_t steps;

	for (steps = 0; steps <= bound; steps++) {
		if (strcmp(cur, top->name) == 0)
			return D365_WITHIN;
		if (steps > 0)
			parent = rg_fact(b->req, FACT_BU, cur, FACT_PARENT);
		if (!parent)
			return D365_BROKEN; /* a parent that is no unit */
		if (!*parent)
			return D365_OUTSIDE; /* the root, and top not met */
		cur = parent;
	}
	return D365_BROKEN;
}

enum d365_within d365_bus_within(const struct d365_bus *b,
                                 const struct d365_unit_ref *top,
                                 const struct d365_unit_ref *unit)
{
	if (!top->name || !unit->name)
		return D365_OUTSIDE;
	switch (b->source) {
	case D365_BU_DIRECTORY:
		return directory_within(b, top, unit);
	case D365_BU_TENANT:
		if (top->index < 0 || unit->index < 0)
			return D365_OUTSIDE;
		return d365_tree_within(b->tree, top->index, unit->index)
		           ? D365_WITHIN
		           : D365_OUTSIDE;
	default:
		return D365_OUTSIDE;
	}
}

int d365_declare_vocab(rg_plugin_handle *h)
{
	const rg_org_kind_spec kind = {
	    .size = sizeof(kind),
	    .parent = FACT_BU,
	    .parent_attr = FACT_PARENT,
	    .flags = RG_ORG_SINGLE_ROOT,
	    .summary = "a business unit: a tree with one root",
	    .noun = "business unit",
	};
	const rg_attr_spec attr = {
	    .size = sizeof(attr),
	    .type = RG_ATTR_REF,
	    .ref = FACT_BU,
	    .help = "the user's business unit",
	};
	int rc = rg_declare_org_kind(h, FACT_BU, &kind);

	if (rc == RG_OK)
		rc = rg_declare_user_attr(h, FACT_BU, &attr);
	return rc;
}
