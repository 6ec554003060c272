/*
 * dynamics365 - Dynamics 365 Omnichannel for Customer Service roles.
 *
 * SYNOPSIS
 *   stack = CONTROL dynamics365 policy=PATH [tenant=PATH]
 *
 * ARGUMENTS
 *   policy=PATH  The role model: dynamics365-2019.ini or dynamics365-2021.ini
 *                (required).  Its [policy] product must be dynamics365.
 *   tenant=PATH  The tenant's business-unit tree (optional; format in
 *                tenant.c and doc/dynamics365.md).  It is used only while
 *                the directory holds no business unit of the service.
 *                Without either, a request naming a business unit is
 *                denied: no unit is known.
 *   Relative paths resolve against the configuration file's directory.
 *
 * DIRECTORY
 *   Once an administrator adds business units to the directory, the tree
 *   is the directory's (facts ("bu", NAME, "parent")), read afresh for
 *   each request, and the tenant file is ignored.  A directory user's unit
 *   (subject attribute bu) is the one the directory gives the user.  A
 *   unit more than 256 levels below the root denies.  Custom roles created
 *   in the directory grant through the core; a custom role holds a
 *   privilege at the least depth at which the policy grants it to any role
 *   (so never further than the narrowest built-in grant), and the reason
 *   names it.
 *
 * DECISION
 *   1. A privilege is held when one of the subject's roles grants it (the
 *      policy's grant and include lines) and that role's prerequisites
 *      (requires = on the role) and the privilege's own (requires = on the
 *      privilege, e.g. user.edit-roles needs system-administrator in 2021)
 *      are held too.  Otherwise: deny, naming the missing role.
 *   2. Access depth.  A grant may be qualified with a Dataverse depth,
 *      "user.view:business-unit"; user < business-unit < parent-child <
 *      organization, and a grant without one is organization-wide.  The
 *      subject holds the privilege at the greatest depth among its
 *      effective roles that grant it.
 *   3. Target.  With no target attribute the question is whether the
 *      privilege is held at all (step 1).  Request attribute bu=UNIT names
 *      the target business unit: allowed when UNIT lies within the held
 *      depth from the subject's own unit (subject attribute bu):
 *        business-unit  UNIT is the subject's unit;
 *        parent-child   UNIT is the subject's unit or below it;
 *        organization   any unit of the tenant.
 *      Request attribute owner=USER names the record's owner; at depth user
 *      only one's own records are reachable: owner must be the requesting
 *      user (or, for an ad-hoc subject, subject attribute id), and a named
 *      bu must be the subject's unit.
 *   4. Fail closed: an unknown business unit (bu or subject bu), a target
 *      unit with no subject unit, an owner that cannot be compared, an
 *      empty value, a directory tree too deep to walk: deny, with a reason
 *      naming the attribute or the unit.
 *
 * VALIDATION
 *   The core reports every unmet role and privilege prerequisite declared
 *   by the policy (no plugin-specific rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "dynamics365.h"

#define D365_PRODUCT "dynamics365"

/* Attribute names, request side and subject side. */
#define ATTR_BU         "bu"
#define ATTR_OWNER      "owner"
#define SUBJECT_ATTR_BU "bu"
#define SUBJECT_ATTR_ID "id"

/* One stack entry's state; read-only once declare() returned. */
struct d365_state {
	rg_plugin_handle *h; /* valid from open to close */
	const char *policy;  /* absolute, owned by the handle */
	const char *tenant;  /* absolute or NULL, owned by the handle */
	int have_tree;
	struct d365_tree tree;
	struct d365_depths depths;
	int loaded; /* declare() succeeded */
};

/* What a request targets, checked against the tree in use. */
struct d365_target {
	struct d365_bus bus;    /* the tree: the directory's or the file's */
	const char *bu;         /* target unit name, or NULL */
	const char *subject_bu; /* the subject's unit, or NULL */
	const char *owner;      /* record owner, or NULL */
	const char *self;       /* the subject's user id, or NULL */
};

/* ---- open, close, declare --------------------------------------------- */

static int d365_parse_args(rg_plugin_handle *h, int argc, char *const argv[],
                           struct d365_state *st)
{
	const rg_argspec specs[] = {
	    {
	        .name = "policy",
	        .type = RG_ARG_PATH,
	        .required = 1,
	        .dest = &st->policy,
	    },
	    {
	        .name = "tenant",
	        .type = RG_ARG_PATH,
	        .required = 0,
	        .dest = &st->tenant,
	    },
	    {.name = NULL},
	};

	return rg_args_parse(h, argc, argv, specs);
}

static void d365_free(struct d365_state *st)
{
	d365_tree_free(&st->tree);
	d365_depths_free(&st->depths);
	free(st);
}

static int d365_open(rg_plugin_handle *h, int argc, char *const argv[],
                     void **state)
{
	struct d365_state *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	st->h = h;
	st->tree.root = -1;
	rc = d365_parse_args(h, argc, argv, st);
	if (rc != RG_OK)
		goto fail;
	if (st->tenant) {
		rc = d365_tree_read(h, st->tenant, &st->tree);
		if (rc != RG_OK)
			goto fail;
		st->have_tree = 1;
	}
	*state = st;
	return RG_OK;
fail:
	d365_free(st);
	return rc;
}

static void d365_close(void *state)
{
	if (state)
		d365_free(state);
}

/*
 * The grant hook: a qualifier is an access depth.  Called for direct and
 * included grants alike, after the role and the privilege are declared.
 */
static int d365_grant_hook(void *user, uint32_t role, uint32_t priv,
                           const char *qualifier, const rg_ini_pos *pos)
{
	struct d365_state *st = user;
	enum d365_depth depth;
	int rc;

	if (d365_depth_parse(qualifier, &depth) != RG_OK) {
		rg_plugin_error(st->h, pos->file, pos->line,
		                "grant %s:%s: unknown access depth '%s' (user, "
		                "business-unit, parent-child or organization)",
		                rg_privilege_id(st->h, priv), qualifier,
		                qualifier);
		return RG_EPOLICY;
	}
	rc = d365_depths_add(&st->depths, role, priv, depth);
	if (rc != RG_OK)
		rg_plugin_error(st->h, pos->file, pos->line, "out of memory");
	return rc;
}

static int d365_declare(void *state, rg_plugin_handle *h)
{
	struct d365_state *st = state;
	const rg_policy_hooks hooks = {
	    .product = D365_PRODUCT,
	    .grant = d365_grant_hook,
	};
	int rc;

	rc = rg_policy_load(h, st->policy, &hooks, st);
	if (rc == RG_OK)
		rc = d365_depths_index(&st->depths, rg_own_roles(h));
	if (rc == RG_OK)
		st->loaded = 1;
	return rc;
}

/* ---- decide ------------------------------------------------------------ */

/* An attribute that is present must not be empty. */
static rg_result d365_nonempty(const char *what, const char *value,
                               rg_plugin_answer *ans)
{
	if (value && !*value) {
		rg_answer(ans, "attribute %s is empty", what);
		return RG_DENY;
	}
	return RG_ALLOW;
}

/* Checks one unit name; deny naming the attribute when it is unknown. */
static rg_result d365_unit(const struct d365_state *st,
                           const struct d365_bus *bus, const char *what,
                           const char *name, rg_plugin_answer *ans)
{
	if (!name || d365_bus_known(bus, name))
		return RG_ALLOW;
	switch (bus->source) {
	case D365_BU_DIRECTORY:
		rg_answer(ans,
		          "attribute %s: unknown business unit '%s' (not in "
		          "the directory's business-unit tree)",
		          what, name);
		break;
	case D365_BU_TENANT:
		rg_answer(ans,
		          "attribute %s: unknown business unit '%s' (not in "
		          "the tenant's tree, root '%s')",
		          what, name, st->tree.root_name);
		break;
	default:
		rg_answer(ans,
		          "attribute %s: unknown business unit '%s' (no "
		          "tenant business-unit tree is configured and the "
		          "directory has none)",
		          what, name);
		break;
	}
	return RG_DENY;
}

/* Reads and checks the target attributes; deny on any bad value. */
static rg_result d365_read_target(const struct d365_state *st,
                                  const rg_plugin_request *req,
                                  struct d365_target *t, rg_plugin_answer *ans)
{
	const char *id;

	memset(t, 0, sizeof(*t));
	d365_bus_init(&t->bus, req, st->have_tree ? &st->tree : NULL);
	t->bu = rg_attr_get(req->attrs, req->nattrs, ATTR_BU);
	t->owner = rg_attr_get(req->attrs, req->nattrs, ATTR_OWNER);
	t->subject_bu = rg_attr_get(req->subject_attrs, req->nsubject_attrs,
	                            SUBJECT_ATTR_BU);
	id = rg_attr_get(req->subject_attrs, req->nsubject_attrs,
	                 SUBJECT_ATTR_ID);
	t->self = req->user ? req->user : id;
	if (d365_nonempty("subject.bu", t->subject_bu, ans) != RG_ALLOW ||
	    d365_nonempty("subject.id", id, ans) != RG_ALLOW ||
	    d365_nonempty(ATTR_BU, t->bu, ans) != RG_ALLOW ||
	    d365_nonempty(ATTR_OWNER, t->owner, ans) != RG_ALLOW)
		return RG_DENY;
	if (d365_unit(st, &t->bus, "subject.bu", t->subject_bu, ans) !=
	        RG_ALLOW ||
	    d365_unit(st, &t->bus, ATTR_BU, t->bu, ans) != RG_ALLOW)
		return RG_DENY;
	if (t->bu && !t->subject_bu) {
		rg_answer(ans,
		          "attribute bu names unit '%s' but the subject has "
		          "no business unit (subject.bu) to measure it from",
		          t->bu);
		return RG_DENY;
	}
	return RG_ALLOW;
}

/* Depth user: only the subject's own records, in its own unit. */
static rg_result d365_scope_user(const struct d365_target *t, const char *grant,
                                 rg_plugin_answer *ans)
{
	if (!t->owner) {
		rg_answer(ans,
		          "%s at user depth: only the subject's own records; "
		          "the request names no owner",
		          grant);
		return RG_DENY;
	}
	if (!t->self) {
		rg_answer(ans,
		          "%s at user depth: the subject has no user id "
		          "(subject.id) to compare with owner '%s'",
		          grant, t->owner);
		return RG_DENY;
	}
	if (strcmp(t->owner, t->self) != 0) {
		rg_answer(ans,
		          "%s at user depth; owner '%s' is not the subject "
		          "'%s'",
		          grant, t->owner, t->self);
		return RG_DENY;
	}
	if (t->bu && strcmp(t->bu, t->subject_bu) != 0) {
		rg_answer(ans,
		          "%s at user depth; target unit '%s' is not the "
		          "subject's unit '%s'",
		          grant, t->bu, t->subject_bu);
		return RG_DENY;
	}
	rg_answer(ans, "%s at user depth; '%s' owns the record", grant,
	          t->self);
	return RG_ALLOW;
}

/* Is the target unit within depth (greater than user) of the subject's? */
static enum d365_within d365_unit_within(const struct d365_target *t,
                                         enum d365_depth depth)
{
	switch (depth) {
	case D365_DEPTH_ORGANIZATION:
		return D365_WITHIN;
	case D365_DEPTH_PARENT_CHILD:
		return d365_bus_within(&t->bus, t->subject_bu, t->bu);
	case D365_DEPTH_BUSINESS_UNIT:
		return strcmp(t->bu, t->subject_bu) == 0 ? D365_WITHIN
		                                         : D365_OUTSIDE;
	default:
		return D365_OUTSIDE;
	}
}

static rg_result d365_scope_unit(const struct d365_target *t,
                                 enum d365_depth depth, const char *grant,
                                 rg_plugin_answer *ans)
{
	enum d365_within within;
	const char *dname = d365_depth_name(depth);

	if (!t->bu) {
		/* Only an owner: a record of one's own, or anywhere. */
		if (t->self && strcmp(t->owner, t->self) == 0) {
			rg_answer(ans, "%s at %s depth; '%s' owns the record",
			          grant, dname, t->self);
			return RG_ALLOW;
		}
		if (depth == D365_DEPTH_ORGANIZATION) {
			rg_answer(ans, "%s at organization depth", grant);
			return RG_ALLOW;
		}
		rg_answer(ans,
		          "%s at %s depth; the unit of owner '%s' is not "
		          "given (bu=)",
		          grant, dname, t->owner);
		return RG_DENY;
	}
	within = d365_unit_within(t, depth);
	if (within == D365_BROKEN) {
		rg_answer(ans,
		          "%s at %s depth; unit '%s' does not reach the root "
		          "of the directory's business-unit tree within %d "
		          "levels",
		          grant, dname, t->bu, D365_BU_DEPTH_MAX);
		return RG_DENY;
	}
	if (within != D365_WITHIN) {
		rg_answer(ans,
		          "%s at %s depth; target unit '%s' is outside '%s'",
		          grant, dname, t->bu, t->subject_bu);
		return RG_DENY;
	}
	if (depth == D365_DEPTH_ORGANIZATION)
		rg_answer(ans,
		          "%s at organization depth; target unit '%s' is in "
		          "the organization",
		          grant, t->bu);
	else
		rg_answer(ans,
		          "%s at %s depth; target unit '%s' is within '%s'",
		          grant, dname, t->bu, t->subject_bu);
	return RG_ALLOW;
}

/* Step 3: the privilege is held; is the target within its depth? */
static rg_result d365_scope(const struct d365_state *st,
                            const rg_plugin_request *req,
                            const struct d365_target *t, rg_plugin_answer *ans)
{
	enum d365_depth depth;
	char grant[RG_REASON_MAX];
	const char *rid;
	long role = -1;

	if (!d365_held_depth(req, &st->depths, req->roles,
	                     (uint32_t)req->action, &depth, &role)) {
		/* rg_decide_rbac() said it is held: the two disagree. */
		ans->status = RG_EINTERNAL;
		rg_answer(ans, "%s: cannot find the depth it is held at",
		          req->action_id);
		return RG_ERROR;
	}
	ans->role = role;
	/* A custom role's index is past the declared roles: ask the request. */
	rid = rg_request_role_id(req, role);
	snprintf(grant, sizeof(grant), "%s grants %s", rid ? rid : "a role",
	         req->action_id);
	if (depth == D365_DEPTH_USER)
		return d365_scope_user(t, grant, ans);
	return d365_scope_unit(t, depth, grant, ans);
}

static rg_result d365_decide(const void *state, const rg_plugin_request *req,
                             rg_plugin_answer *ans)
{
	const struct d365_state *st = state;
	struct d365_target t;
	rg_result res;

	if (!st || !st->loaded) {
		ans->status = RG_EPOLICY;
		rg_answer(ans, "policy %s was not loaded",
		          st ? st->policy : "(none)");
		return RG_ERROR;
	}
	res = rg_decide_rbac(req, ans);
	if (res != RG_ALLOW)
		return res;
	/* Held: the reason of rg_decide_rbac() stands unless a target says
	 * otherwise.  Bad attributes deny even when nothing is targeted. */
	res = d365_read_target(st, req, &t, ans);
	if (res != RG_ALLOW || (!t.bu && !t.owner))
		return res;
	return d365_scope(st, req, &t, ans);
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = D365_PRODUCT,
    .version = RG_VERSION_STRING,
    .description = "Dynamics 365 Omnichannel for Customer Service roles, "
                   "prerequisites and business-unit access depths",
    .open = d365_open,
    .close = d365_close,
    .declare = d365_declare,
    .decide = d365_decide,
    .validate = NULL,
};
