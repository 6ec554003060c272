/*
 * bu.c - where one decision reads the business-unit tree from.
 *
 * An administrator keeps the tree in the directory (rolegate bu add ...);
 * the snapshot hands it to the plugin as facts ("bu", NAME, "parent"), the
 * root's parent being "".  As long as the directory holds no unit of the
 * service, the tenant file (tenant=PATH, tenant.c) is the tree, as it was
 * before there was a directory.  The choice is made per request, so that a
 * committed change applies to the next check.
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

void d365_bus_init(struct d365_bus *b, const rg_plugin_request *req,
                   const struct d365_tree *tree)
{
	b->req = req;
	b->tree = tree;
	b->count = rg_fact_count(req, FACT_BU);
	if (b->count > 0)
		b->source = D365_BU_DIRECTORY;
	else if (tree)
		b->source = D365_BU_TENANT;
	else
		b->source = D365_BU_NONE;
}

int d365_bus_known(const struct d365_bus *b, const char *unit)
{
	if (!unit)
		return 0;
	switch (b->source) {
	case D365_BU_DIRECTORY:
		return rg_fact(b->req, FACT_BU, unit, FACT_PARENT) != NULL;
	case D365_BU_TENANT:
		return d365_tree_find(b->tree, unit) >= 0;
	default:
		return 0;
	}
}

/* The walk up the directory's tree, from unit towards the root. */
static enum d365_within directory_within(const struct d365_bus *b,
                                         const char *top, const char *unit)
{
	size_t bound =
	    b->count < D365_BU_DEPTH_MAX ? b->count : D365_BU_DEPTH_MAX;
	const char *cur = unit;
	size_t steps;

	for (steps = 0; steps <= bound; steps++) {
		const char *parent;

		if (strcmp(cur, top) == 0)
			return D365_WITHIN;
		parent = rg_fact(b->req, FACT_BU, cur, FACT_PARENT);
		if (!parent)
			return D365_BROKEN; /* a parent that is no unit */
		if (!*parent)
			return D365_OUTSIDE; /* the root, and top not met */
		cur = parent;
	}
	return D365_BROKEN;
}

enum d365_within d365_bus_within(const struct d365_bus *b, const char *top,
                                 const char *unit)
{
	long t, u;

	if (!top || !unit)
		return D365_OUTSIDE;
	switch (b->source) {
	case D365_BU_DIRECTORY:
		return directory_within(b, top, unit);
	case D365_BU_TENANT:
		t = d365_tree_find(b->tree, top);
		u = d365_tree_find(b->tree, unit);
		if (t < 0 || u < 0)
			return D365_OUTSIDE;
		return d365_tree_within(b->tree, t, u) ? D365_WITHIN
		                                       : D365_OUTSIDE;
	default:
		return D365_OUTSIDE;
	}
}
