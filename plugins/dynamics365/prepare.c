/*
 * prepare.c - what a directory snapshot gives every check, worked out once
 * per snapshot (view_prepare(), ABI 1.3).
 *
 * On every scoped check the unprepared path looks the subject's unit and
 * the target unit up by name in the snapshot's facts, walks the tree from
 * one to the other, reads the subject's attributes and works the depth out
 * from the roles.  All of it depends on the snapshot alone, so here it is
 * done once: an index of the tree in use (name -> unit, with a pre-order
 * interval so that "within" is two compares), each directory user's
 * attributes checked and its unit found, and per distinct role set the
 * answers of rg_effective() and d365_held_depth() for every privilege.
 *
 * The directory's tree cannot be listed, only looked up, so the index holds
 * the units of the users and their ancestors.  A unit the walk could not
 * settle exactly (a parent that is no unit, or a root further than the
 * walk's bound) is kept but marked, and decide() asks the snapshot for it
 * as before.  Anything in doubt goes the unprepared way.
 */
#include <stdlib.h>
#include <string.h>

#include "dynamics365.h"

#include "private/rg_classes.h"
#include "private/rg_prim.h"

#define FACT_BU         "bu"
#define FACT_PARENT     "parent"
#define SUBJECT_ATTR_BU "bu"
#define SUBJECT_ATTR_ID "id"

#define PARENT_ROOT   (-1L)
#define PARENT_BROKEN (-2L)

long d365_prep_find(const struct d365_prep *p, const char *name)
{
	return name ? rg_names_find(p->names, name) : -1;
}

/* Appends a unit not in the index yet; *out gets its index. */
static int units_add(struct d365_prep *p, const char *name, const char *parent,
                     long *out)
{
	struct d365_prep_unit *u;
	long ix;

	/* A user's unit is an int32_t (struct d365_prep_user). */
	if (p->nunits >= INT32_MAX)
		return RG_ELIMIT;
	if (RG_GROW(p->units, p->capunits, p->nunits + 1) != RG_OK)
		return RG_ENOMEM;
	u = &p->units[p->nunits];
	memset(u, 0, sizeof(*u));
	u->parent_name = strdup(parent ? parent : "");
	if (!u->parent_name)
		return RG_ENOMEM;
	/* Not in the table yet: it gets the next index, the unit's. */
	ix = rg_names_add(p->names, name);
	if (ix != (long)p->nunits) {
		free(u->parent_name);
		return ix < 0 ? (int)ix : RG_EINTERNAL;
	}
	u->name = rg_names_name(p->names, (size_t)ix);
	u->parent = PARENT_BROKEN;
	*out = (long)p->nunits++;
	return RG_OK;
}

/*
 * The index of a directory unit, added (with its parent's name) when the
 * directory has it; -1 in *out when it is no unit, as d365_bus_find()
 * would find.
 */
static int directory_unit(struct d365_prep *p, const rg_plugin_request *req,
                          const char *name, long *out)
{
	const char *parent;

	*out = d365_prep_find(p, name);
	if (*out >= 0)
		return RG_OK;
	parent = rg_fact(req, FACT_BU, name, FACT_PARENT);
	if (!parent)
		return RG_OK;
	return units_add(p, name, parent, out);
}

/*
 * Every ancestor of the units found so far, and each unit's parent index;
 * the array grows as it goes.
 */
static int directory_ancestors(struct d365_prep *p,
                               const rg_plugin_request *req)
{
	size_t i;
	long parent;
	int rc;

	for (i = 0; i < p->nunits; i++) {
		/* Its own allocation: units_add() moves the array, not
		 * the name. */
		const char *pname = p->units[i].parent_name;

		if (!*pname) {
			p->units[i].parent = PARENT_ROOT;
			continue;
		}
		rc = directory_unit(p, req, pname, &parent);
		if (rc != RG_OK)
			return rc;
		p->units[i].parent = parent >= 0 ? parent : PARENT_BROKEN;
	}
	return RG_OK;
}

/*
 * ok when the walk of directory_within() from the unit reaches a root
 * within its bound: at step s it compares unit s of the chain and reads
 * its parent, and stops at a root, so a root D steps up is seen when
 * D <= bound.
 */
static void directory_settle(struct d365_prep *p, size_t bound)
{
	size_t i, d;

	for (i = 0; i < p->nunits; i++) {
		long cur = (long)i;

		p->units[i].ok = 0;
		for (d = 0; d <= bound; d++) {
			long parent = p->units[cur].parent;

			if (parent == PARENT_ROOT) {
				p->units[i].ok = 1;
				break;
			}
			if (parent < 0)
				break;
			cur = parent;
		}
	}
}

/*
 * Pre-order intervals over the ok units.  A parent of an ok unit is ok (it
 * is one step nearer its root), so the ok units form a forest and every
 * ancestor of an ok unit has an interval.
 */
static int units_intervals(struct d365_prep *p)
{
	size_t n = p->nunits, i, top = 0;
	uint32_t *first = calloc(n + 1, sizeof(*first));
	uint32_t *kids = malloc((n ? n : 1) * sizeof(*kids));
	uint32_t *stack = malloc((n ? n : 1) * sizeof(*stack));
	uint32_t *next = malloc((n ? n : 1) * sizeof(*next));
	uint32_t counter = 0;
	int rc = RG_ENOMEM;

	if (!first || !kids || !stack || !next)
		goto out;
	/* Children by parent, counting sort: first[p]..first[p + 1]. */
	for (i = 0; i < n; i++)
		if (p->units[i].ok && p->units[i].parent >= 0)
			first[p->units[i].parent + 1]++;
	for (i = 0; i < n; i++)
		first[i + 1] += first[i];
	for (i = 0; i < n; i++)
		next[i] = first[i];
	for (i = 0; i < n; i++)
		if (p->units[i].ok && p->units[i].parent >= 0)
			kids[next[p->units[i].parent]++] = (uint32_t)i;
	for (i = 0; i < n; i++)
		next[i] = first[i];
	for (i = 0; i < n; i++) {
		if (!p->units[i].ok || p->units[i].parent != PARENT_ROOT)
			continue;
		p->units[i].pre = counter++;
		stack[top++] = (uint32_t)i;
		while (top) {
			uint32_t u = stack[top - 1];

			if (next[u] < first[u + 1]) {
				uint32_t k = kids[next[u]++];

				p->units[k].pre = counter++;
				stack[top++] = k;
			} else {
				p->units[u].end = counter;
				top--;
			}
		}
	}
	rc = RG_OK;
out:
	free(first);
	free(kids);
	free(stack);
	free(next);
	return rc;
}

/* The ok units' names in pre-order (p->by_pre), after units_intervals(). */
static int units_by_pre(struct d365_prep *p)
{
	size_t i, n = 0;
	long *order = malloc((p->nunits ? p->nunits : 1) * sizeof(*order));
	int rc = RG_ENOMEM;

	p->by_pre = rg_names_new();
	if (!order || !p->by_pre)
		goto out;
	for (i = 0; i < p->nunits; i++)
		order[i] = -1;
	for (i = 0; i < p->nunits; i++)
		if (p->units[i].ok) {
			order[p->units[i].pre] = (long)i;
			n++;
		}
	rc = RG_OK;
	for (i = 0; i < n; i++) {
		long ix = order[i] < 0 ? -1
		                       : rg_names_add(p->by_pre,
		                                      p->units[order[i]].name);

		if (ix == RG_ENOMEM) {
			rc = RG_ENOMEM;
			goto out;
		}
		/* Every pre below the count is one ok unit's: if not, no
		 * scope is compiled, and decide() answers as before. */
		if (ix != (long)i) {
			rg_names_free(p->by_pre);
			p->by_pre = NULL;
			break;
		}
	}
out:
	free(order);
	return rc;
}

enum d365_within d365_prep_within(const struct d365_prep *p, long top,
                                  long unit)
{
	const struct d365_prep_unit *t, *u;

	if (top < 0 || unit < 0 || (size_t)top >= p->nunits ||
	    (size_t)unit >= p->nunits)
		return D365_BROKEN;
	t = &p->units[top];
	u = &p->units[unit];
	if (!u->ok)
		return D365_BROKEN;
	/* An ancestor of an ok unit is ok: a top that is not lies outside. */
	if (t->ok && t->pre <= u->pre && u->pre < t->end)
		return D365_WITHIN;
	return D365_OUTSIDE;
}

/* The tenant file's tree: complete and checked when it was read. */
static int tenant_units(struct d365_prep *p, const struct d365_tree *tree)
{
	size_t i;
	long idx;
	int rc;

	for (i = 0; i < tree->nunits; i++) {
		rc = units_add(p, tree->units[i].name,
		               tree->units[i].parent_name, &idx);
		if (rc != RG_OK)
			return rc;
	}
	/* Added in the tree's order: the indexes are the tree's. */
	for (i = 0; i < tree->nunits; i++) {
		p->units[i].parent = tree->units[i].parent >= 0
		                         ? tree->units[i].parent
		                         : PARENT_ROOT;
		/* d365_tree_within() walks more steps than the tree is
		 * deep, and the tree reaches its root (tree_check_cycles). */
		p->units[i].ok = 1;
	}
	return RG_OK;
}

/*
 * The most distinct role sets answered ahead.  Answers take classes x
 * privileges x 20 bytes: a tenant has a few dozen sets, and a directory
 * where nearly every user holds a set of its own (up to one per user) would
 * otherwise cost tens of MiB and a long load.  Past it preparing fails, and
 * checks are decided without (the core logs it).
 */
#define D365_PREP_CLASSES_MAX 4096

/* A class index fits struct d365_prep_user's 24-bit cls. */
typedef char
    d365_prep_classes_fit[D365_PREP_CLASSES_MAX <= (1L << 24) ? 1 : -1];

/* Each user's attributes, unit and class. */
static int prep_users(struct d365_prep *p, const rg_plugin_request *req)
{
	struct rg_classes c;
	rg_plugin_request u;
	size_t i;
	int rc = rg_classes_init(&c, p->nusers, D365_PREP_CLASSES_MAX);

	if (rc != RG_OK)
		return rc;
	/* Its sets are the classes, whatever happens below. */
	p->classes = c.sets;
	for (i = 0; i < p->nusers; i++) {
		struct d365_prep_user *pu = &p->users[i];
		const char *bu, *id, *teams;
		rg_roleset all;
		long unit = -1;
		uint32_t cls;
		int fresh;

		rc = rg_view_user(req, i, &u);
		if (rc != RG_OK)
			goto out;
		/* As d365_read_attrs() reads them: the first of a key. */
		bu = rg_attr_get(u.subject_attrs, u.nsubject_attrs,
		                 SUBJECT_ATTR_BU);
		id = rg_attr_get(u.subject_attrs, u.nsubject_attrs,
		                 SUBJECT_ATTR_ID);
		pu->empty = (bu && !*bu) || (id && !*id);
		if (bu && *bu) {
			if (p->source == D365_BU_DIRECTORY)
				rc = directory_unit(p, req, bu, &unit);
			else
				unit = d365_prep_find(p, bu);
			if (rc != RG_OK)
				goto out;
			pu->unknown = unit < 0;
		}
		pu->unit = (int32_t)unit;
		/* Step 1 holds the teams' roles as the user's own. */
		teams = d365_subject_teams(&u);
		pu->teams = teams != NULL;
		if (teams)
			d365_subject_roles(&u, teams, &all);
		rc = rg_class_of(&c, teams ? &all : u.roles, &cls, &fresh);
		if (rc != RG_OK)
			goto out;
		p->nclasses = c.n;
		pu->cls = cls;
	}
	rc = RG_OK;
out:
	rg_classes_done(&c);
	return rc;
}

/* Steps 1 and 2 for every class and privilege, as decide() asks them. */
static int prep_answers(struct d365_prep *p, const rg_plugin_request *req,
                        const struct d365_depths *depths)
{
	size_t c;
	uint32_t priv;

	while (p->nprivs < RG_MAX_PRIVILEGES &&
	       rg_privilege_id(req->handle, p->nprivs))
		p->nprivs++;
	if (!p->nclasses || !p->nprivs)
		return RG_OK;
	p->answers = calloc(p->nclasses * p->nprivs, sizeof(*p->answers));
	if (!p->answers)
		return RG_ENOMEM;
	for (c = 0; c < p->nclasses; c++) {
		const rg_roleset *roles = &p->classes[c];

		for (priv = 0; priv < p->nprivs; priv++) {
			struct d365_prep_answer *a =
			    &p->answers[c * p->nprivs + priv];
			enum d365_depth depth = D365_DEPTH_USER;
			rg_grant_info g;
			long role = -1;

			a->held = (uint8_t)rg_effective(req, roles, priv, &g);
			a->role = (int32_t)g.role;
			a->blocked = (int32_t)g.blocked;
			a->missing = (int32_t)g.missing;
			if (!a->held)
				continue;
			a->has_depth = (uint8_t)d365_held_depth(
			    req, depths, roles, priv, g.role, &depth, &role);
			a->depth = (uint8_t)depth;
			a->depth_role = (int32_t)role;
		}
	}
	return RG_OK;
}

/* Which tree d365_bus_find() would use: the directory's if it has units. */
static void prep_source(struct d365_prep *p, const rg_plugin_request *req,
                        const struct d365_tree *tree)
{
	if (rg_fact_count(req, FACT_BU) > 0)
		p->source = D365_BU_DIRECTORY;
	else if (tree)
		p->source = D365_BU_TENANT;
	else
		p->source = D365_BU_NONE;
}

int d365_prep_build(const rg_plugin_request *req, const struct d365_tree *tree,
                    const struct d365_depths *depths, struct d365_prep **out)
{
	struct d365_prep *p = calloc(1, sizeof(*p));
	size_t count, bound;
	int rc = RG_ENOMEM;

	*out = NULL;
	if (!p)
		return RG_ENOMEM;
	p->names = rg_names_new();
	if (!p->names)
		goto out;
	prep_source(p, req, tree);
	p->complete = p->source != D365_BU_DIRECTORY;
	if (p->source == D365_BU_TENANT) {
		rc = tenant_units(p, tree);
		if (rc != RG_OK)
			goto out;
	}
	p->nusers = rg_view_user_count(req);
	p->users = calloc(p->nusers ? p->nusers : 1, sizeof(*p->users));
	rc = p->users ? prep_users(p, req) : RG_ENOMEM;
	if (rc != RG_OK)
		goto out;
	if (p->source == D365_BU_DIRECTORY) {
		rc = directory_ancestors(p, req);
		if (rc != RG_OK)
			goto out;
		/* directory_within()'s bound. */
		count = rg_fact_count(req, FACT_BU);
		bound = count < D365_BU_DEPTH_MAX ? count : D365_BU_DEPTH_MAX;
		directory_settle(p, bound);
	}
	rc = units_intervals(p);
	if (rc == RG_OK)
		rc = units_by_pre(p);
	if (rc == RG_OK)
		rc = prep_answers(p, req, depths);
out:
	if (rc != RG_OK) {
		d365_prep_free(p);
		return rc;
	}
	*out = p;
	return RG_OK;
}

void d365_prep_free(struct d365_prep *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nunits; i++)
		free(p->units[i].parent_name);
	free(p->units);
	rg_names_free(p->names);
	rg_names_free(p->by_pre);
	free(p->users);
	free(p->answers);
	free(p->classes);
	free(p);
}
