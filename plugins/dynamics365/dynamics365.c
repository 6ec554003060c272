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
 * OWNER TEAMS
 *   The directory's kind "team" (team.c): an owner team in a business
 *   unit, with the policy's roles.  A directory user holds the roles of
 *   its teams (subject attribute "teams") besides its own: step 1 is
 *   decided on all of them, steps 2 and 3 per source, the user's own roles
 *   measured from its unit and each team's from the team's unit; the
 *   first source that reaches the target allows.  Reasons name the team
 *   ("ROLE (through team 'T') grants ...").  Ad-hoc subjects have no teams.
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
 *      bu must be the subject's unit.  owner_team=TEAM names a team as the
 *      owner instead: at depth user only a role held through that team
 *      reaches it (and a named bu must be the team's unit).
 *   4. Fail closed: an unknown business unit (bu or subject bu), a target
 *      unit with no subject unit, an owner that cannot be compared, an
 *      empty value, a directory tree too deep to walk: deny, with a reason
 *      naming the attribute or the unit.
 *
 * VALIDATION
 *   Every unmet role and privilege prerequisite declared by the policy,
 *   of the subject's roles and its teams' roles, judged on all of them.
 *
 * SUBJECT ANSWERS (ABI 1.2)
 *   For the core's decision table, a directory user's answers to every
 *   request without attributes: step 1 for every privilege at once
 *   (rg_effective_set()) of its roles and its teams', unless the user's
 *   own attributes deny (step 4), which they do whatever the privilege.
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
#define ATTR_OWNER_TEAM "owner_team"
#define SUBJECT_ATTR_BU "bu"
#define SUBJECT_ATTR_ID "id"

/*
 * What a request targets, each attribute read once, and its units looked up
 * once in the tree in use.  d365_read_attrs() sets every field.
 */
struct d365_target {
	struct d365_bus bus;       /* the tree: the directory's or the file's */
	const char *bu;            /* target unit name, or NULL */
	const char *subject_bu;    /* the subject's unit, or NULL */
	const char *owner;         /* record owner, or NULL */
	int owner_team;            /* owner is a team's name (owner_team=) */
	int two_owners;            /* both owner= and owner_team= given */
	const char *id;            /* subject attribute id, or NULL */
	const char *self;          /* the subject's user id, or NULL */
	struct d365_unit_ref unit; /* bu in the tree */
	struct d365_unit_ref subject_unit; /* subject_bu in the tree */
};

/* Who granted the privilege, for reasons; formatted only when wanted. */
struct d365_grant {
	const char *role; /* the granting role's id, and its team if any */
	const char *action;
};

/*
 * Where one source of the subject's roles measures depth from, and whose
 * records are its own: the subject's own roles from the subject's unit, an
 * owner team's from the team's unit.
 */
struct d365_origin {
	const char *team; /* NULL: the subject's own roles */
	const char *bu;   /* the unit depth is measured from, or NULL */
	const struct d365_unit_ref *unit; /* bu in the tree in use */
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
		rc = d365_depths_index(&st->depths, h);
	if (rc == RG_OK)
		rc = d365_declare_vocab(h);
	if (rc == RG_OK)
		rc = d365_declare_teams(h);
	if (rc == RG_OK)
		st->loaded = 1;
	return rc;
}

/* ---- decide ------------------------------------------------------------ */

/* The caller wants no reason: format none (rg_answer() would drop it). */
static int d365_quiet(const rg_plugin_answer *ans)
{
	return (ans->flags & RG_ANSWER_QUIET) != 0;
}

/* An attribute key; the first byte settles most keys without a call. */
static int d365_key_is(const char *key, const char *name)
{
	return key && key[0] == name[0] && strcmp(key, name) == 0;
}

/* A unit reference before any lookup: no unit named. */
static void d365_unit_none(struct d365_unit_ref *u)
{
	u->name = NULL;
	u->parent = NULL;
	u->index = -1;
}

/*
 * Reads the attributes this plugin uses in one pass over each list into
 * *t, and sets the rest to "not given" (units not looked up, no tree
 * chosen).  As with rg_attr_get(), the first attribute with a key is the
 * one that counts.  Field by field, not with memset(): the struct is large
 * enough that the compiler clears it with a string instruction, which
 * costs more than these stores on every check.
 */
static void d365_read_attrs(const rg_plugin_request *req, struct d365_target *t)
{
	int have_bu = 0, have_owner = 0, have_sbu = 0, have_id = 0;
	const char *team = NULL;
	size_t i;

	d365_bus_init(&t->bus, req, NULL, 0);
	t->bu = t->subject_bu = t->owner = t->id = NULL;
	t->owner_team = t->two_owners = 0;
	d365_unit_none(&t->unit);
	d365_unit_none(&t->subject_unit);
	for (i = 0; i < req->nattrs; i++) {
		const rg_attr *a = &req->attrs[i];

		if (!have_bu && d365_key_is(a->key, ATTR_BU)) {
			t->bu = a->value;
			have_bu = 1;
		} else if (!have_owner && d365_key_is(a->key, ATTR_OWNER)) {
			t->owner = a->value;
			have_owner = 1;
		} else if (!team && d365_key_is(a->key, ATTR_OWNER_TEAM)) {
			team = a->value;
		}
	}
	/* A record has one owner, a user or a team. */
	t->two_owners = have_owner && team;
	if (team && !have_owner) {
		t->owner = team;
		t->owner_team = 1;
	}
	for (i = 0; i < req->nsubject_attrs && !(have_sbu && have_id); i++) {
		const rg_attr *a = &req->subject_attrs[i];

		if (!have_sbu && d365_key_is(a->key, SUBJECT_ATTR_BU)) {
			t->subject_bu = a->value;
			have_sbu = 1;
		} else if (!have_id && d365_key_is(a->key, SUBJECT_ATTR_ID)) {
			t->id = a->value;
			have_id = 1;
		}
	}
	t->self = req->user ? req->user : t->id;
}

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

/* Looks one unit up; deny naming the attribute when it is unknown. */
static rg_result d365_unit(const struct d365_state *st, struct d365_bus *bus,
                           const char *what, const char *name,
                           struct d365_unit_ref *ref, rg_plugin_answer *ans)
{
	if (!name || d365_bus_find(bus, name, ref))
		return RG_ALLOW;
	if (d365_quiet(ans))
		return RG_DENY;
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

/* Present attributes must not be empty. */
static rg_result d365_check_values(const struct d365_target *t,
                                   rg_plugin_answer *ans)
{
	if (t->two_owners) {
		rg_answer(ans, "attributes owner and owner_team both name the "
		               "record's owner: give one");
		return RG_DENY;
	}
	if (d365_nonempty("subject.bu", t->subject_bu, ans) != RG_ALLOW ||
	    d365_nonempty("subject.id", t->id, ans) != RG_ALLOW ||
	    d365_nonempty(ATTR_BU, t->bu, ans) != RG_ALLOW ||
	    d365_nonempty(t->owner_team ? ATTR_OWNER_TEAM : ATTR_OWNER,
	                  t->owner, ans) != RG_ALLOW)
		return RG_DENY;
	return RG_ALLOW;
}

/* Named units must be units of the tree in use; each is looked up once. */
static rg_result d365_check_units(const struct d365_state *st,
                                  const rg_plugin_request *req,
                                  struct d365_target *t, rg_plugin_answer *ans)
{
	/* The tree is chosen only when a unit is named. */
	if (!t->subject_bu && !t->bu)
		return RG_ALLOW;
	d365_bus_init(&t->bus, req, st->have_tree ? &st->tree : NULL,
	              ans->flags);
	if (d365_unit(st, &t->bus, "subject.bu", t->subject_bu,
	              &t->subject_unit, ans) != RG_ALLOW)
		return RG_DENY;
	/* The subject's own unit (the usual target) was just looked up. */
	if (t->bu && t->subject_bu && strcmp(t->bu, t->subject_bu) == 0) {
		t->unit = t->subject_unit;
		return RG_ALLOW;
	}
	return d365_unit(st, &t->bus, ATTR_BU, t->bu, &t->unit, ans);
}

/* Reads the target attributes and checks their values and units. */
static rg_result d365_read_values(const struct d365_state *st,
                                  const rg_plugin_request *req,
                                  struct d365_target *t, rg_plugin_answer *ans)
{
	d365_read_attrs(req, t);
	if (d365_check_values(t, ans) != RG_ALLOW ||
	    d365_check_units(st, req, t, ans) != RG_ALLOW)
		return RG_DENY;
	return RG_ALLOW;
}

/* A target unit needs the subject's unit to be measured from. */
static rg_result d365_need_subject_bu(const struct d365_target *t,
                                      rg_plugin_answer *ans)
{
	if (t->bu && !t->subject_bu) {
		rg_answer(ans,
		          "attribute bu names unit '%s' but the subject has "
		          "no business unit (subject.bu) to measure it from",
		          t->bu);
		return RG_DENY;
	}
	return RG_ALLOW;
}

/* Reads and checks the target attributes; deny on any bad value. */
static rg_result d365_read_target(const struct d365_state *st,
                                  const rg_plugin_request *req,
                                  struct d365_target *t, rg_plugin_answer *ans)
{
	if (d365_read_values(st, req, t, ans) != RG_ALLOW)
		return RG_DENY;
	return d365_need_subject_bu(t, ans);
}

/* The origin of the subject's own roles: its unit. */
static struct d365_origin d365_own_origin(const struct d365_target *t)
{
	struct d365_origin o = {NULL, t->subject_bu, &t->subject_unit};

	return o;
}

static int d365_same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The record is the subject's own (owner=, the subject's id). */
static int d365_owns_self(const struct d365_target *t)
{
	return !t->owner_team && d365_same(t->owner, t->self);
}

/* The record is owned by the origin's team (owner_team=). */
static int d365_owns_team(const struct d365_target *t,
                          const struct d365_origin *o)
{
	return t->owner_team && d365_same(t->owner, o->team);
}

/* Whose record it is not, at user depth. */
static rg_result d365_scope_not_owner(const struct d365_target *t,
                                      const struct d365_origin *o,
                                      const struct d365_grant *g,
                                      rg_plugin_answer *ans)
{
	if (t->owner_team)
		rg_answer(ans,
		          "%s grants %s at user depth; team '%s' owns the "
		          "record, not %s%s%s",
		          g->role, g->action, t->owner,
		          o->team ? "the granting team '" : "the subject",
		          o->team ? o->team : "", o->team ? "'" : "");
	else if (!t->self)
		rg_answer(ans,
		          "%s grants %s at user depth: the subject has no user "
		          "id (subject.id) to compare with owner '%s'",
		          g->role, g->action, t->owner);
	else
		rg_answer(ans,
		          "%s grants %s at user depth; owner '%s' is not the "
		          "subject '%s'",
		          g->role, g->action, t->owner, t->self);
	return RG_DENY;
}

/*
 * Step 3's sentences that a request naming only a target unit (bu=) can
 * get, each with the granting role, the privilege and then as shown.
 * decide() formats them, and subject_scopes() hands the same text to the
 * core (rg_scope_reason()), which answers such checks from its table: one
 * copy, so the two cannot drift apart.
 */
/* Depth user, no owner named. */
static const char d365_fmt_no_owner[] =
    "%s grants %s at user depth: only the subject's own records; the "
    "request names no owner";
/* Depth, target unit, the origin's unit. */
static const char d365_fmt_within[] =
    "%s grants %s at %s depth; target unit '%s' is within '%s'";
static const char d365_fmt_outside[] =
    "%s grants %s at %s depth; target unit '%s' is outside '%s'";
/* Target unit. */
static const char d365_fmt_in_org[] =
    "%s grants %s at organization depth; target unit '%s' is in the "
    "organization";

/*
 * Depth user: only the subject's own records, in its own unit; through a
 * team, also the team's records, in the team's unit.
 */
static rg_result d365_scope_user(const struct d365_target *t,
                                 const struct d365_origin *o,
                                 const struct d365_grant *g,
                                 rg_plugin_answer *ans)
{
	int own = d365_owns_self(t);
	const char *unit = own ? t->subject_bu : o->bu;

	if (!t->owner) {
		rg_answer(ans, d365_fmt_no_owner, g->role, g->action);
		return RG_DENY;
	}
	if (!own && !d365_owns_team(t, o))
		return d365_scope_not_owner(t, o, g, ans);
	if (t->bu && !d365_same(t->bu, unit)) {
		rg_answer(ans,
		          "%s grants %s at user depth; target unit '%s' is not "
		          "the %s unit '%s'",
		          g->role, g->action, t->bu,
		          own ? "subject's" : "team's", unit ? unit : "");
		return RG_DENY;
	}
	rg_answer(ans, "%s grants %s at user depth; %s'%s' owns the record",
	          g->role, g->action, own ? "" : "team ", t->owner);
	return RG_ALLOW;
}

/* Is the target unit within depth (greater than user) of the origin's? */
static enum d365_within d365_unit_within(const struct d365_target *t,
                                         const struct d365_origin *o,
                                         enum d365_depth depth)
{
	switch (depth) {
	case D365_DEPTH_ORGANIZATION:
		return D365_WITHIN;
	case D365_DEPTH_PARENT_CHILD:
		return d365_bus_within(&t->bus, o->unit, &t->unit);
	case D365_DEPTH_BUSINESS_UNIT:
		return d365_same(t->bu, o->bu) ? D365_WITHIN : D365_OUTSIDE;
	default:
		return D365_OUTSIDE;
	}
}

/* Only an owner is named: a record of one's own, or anywhere. */
static rg_result d365_scope_owner(const struct d365_target *t,
                                  const struct d365_origin *o,
                                  enum d365_depth depth,
                                  const struct d365_grant *g,
                                  rg_plugin_answer *ans)
{
	if (d365_owns_self(t) || d365_owns_team(t, o)) {
		rg_answer(ans,
		          "%s grants %s at %s depth; %s'%s' owns the record",
		          g->role, g->action, d365_depth_name(depth),
		          t->owner_team ? "team " : "", t->owner);
		return RG_ALLOW;
	}
	if (depth == D365_DEPTH_ORGANIZATION) {
		rg_answer(ans, "%s grants %s at organization depth", g->role,
		          g->action);
		return RG_ALLOW;
	}
	rg_answer(ans,
	          "%s grants %s at %s depth; the unit of owner '%s' is not "
	          "given (bu=)",
	          g->role, g->action, d365_depth_name(depth), t->owner);
	return RG_DENY;
}

/* Step 3's answer at a depth above user, once the target unit's place is
 * known (within): the reason names the rule and both units. */
static rg_result
d365_unit_answer(const struct d365_target *t, const struct d365_origin *o,
                 enum d365_depth depth, enum d365_within within,
                 const struct d365_grant *g, rg_plugin_answer *ans)
{
	const char *dname = d365_depth_name(depth);
	const char *from = o->bu ? o->bu : "";

	if (within == D365_BROKEN) {
		rg_answer(ans,
		          "%s grants %s at %s depth; unit '%s' does not reach "
		          "the root of the directory's business-unit tree "
		          "within %d levels",
		          g->role, g->action, dname, t->bu, D365_BU_DEPTH_MAX);
		return RG_DENY;
	}
	if (within != D365_WITHIN) {
		rg_answer(ans, d365_fmt_outside, g->role, g->action, dname,
		          t->bu, from);
		return RG_DENY;
	}
	if (depth == D365_DEPTH_ORGANIZATION)
		rg_answer(ans, d365_fmt_in_org, g->role, g->action, t->bu);
	else
		rg_answer(ans, d365_fmt_within, g->role, g->action, dname,
		          t->bu, from);
	return RG_ALLOW;
}

static rg_result d365_scope_unit(const struct d365_target *t,
                                 const struct d365_origin *o,
                                 enum d365_depth depth,
                                 const struct d365_grant *g,
                                 rg_plugin_answer *ans)
{
	enum d365_within within;

	if (!t->bu)
		return d365_scope_owner(t, o, depth, g, ans);
	within = d365_unit_within(t, o, depth);
	if (d365_quiet(ans))
		return within == D365_WITHIN ? RG_ALLOW : RG_DENY;
	return d365_unit_answer(t, o, depth, within, g, ans);
}

/* Step 3 for one source held at depth: is the target within it? */
static rg_result d365_scope_at(const struct d365_target *t,
                               const struct d365_origin *o,
                               enum d365_depth depth,
                               const struct d365_grant *g,
                               rg_plugin_answer *ans)
{
	if (depth == D365_DEPTH_USER)
		return d365_scope_user(t, o, g, ans);
	return d365_scope_unit(t, o, depth, g, ans);
}

/*
 * Step 3: the privilege is held (held is the role rg_effective() found for
 * the whole set); is the target within its depth?
 */
static rg_result d365_scope(const struct d365_state *st,
                            const rg_plugin_request *req, long held,
                            const struct d365_target *t, rg_plugin_answer *ans)
{
	struct d365_origin o = d365_own_origin(t);
	enum d365_depth depth;
	/* The role's id costs a lookup: only for a reason. */
	struct d365_grant g = {"a role", req->action_id};
	const char *rid;
	long role = -1;

	if (!d365_held_depth(req, &st->depths, req->roles,
	                     (uint32_t)req->action, held, &depth, &role)) {
		/* rg_effective() said it is held: the two disagree. */
		ans->status = RG_EINTERNAL;
		rg_answer(ans, "%s: cannot find the depth it is held at",
		          req->action_id);
		return RG_ERROR;
	}
	ans->role = role;
	if (!d365_quiet(ans)) {
		/* A custom role's index is past the declared roles: ask the
		 * request. */
		rid = rg_request_role_id(req, role);
		if (rid)
			g.role = rid;
	}
	return d365_scope_at(t, &o, depth, &g, ans);
}

/* Steps 2 to 4, once rg_decide_rbac() allowed: attributes, then scope. */
static rg_result d365_target_decide(const struct d365_state *st,
                                    const rg_plugin_request *req,
                                    rg_plugin_answer *ans)
{
	struct d365_target t;
	rg_result res;

	/* Held: the reason of rg_decide_rbac() stands unless a target says
	 * otherwise.  Bad attributes deny even when nothing is targeted. */
	res = d365_read_target(st, req, &t, ans);
	if (res != RG_ALLOW || (!t.bu && !t.owner))
		return res;
	/* ans->role is the role rg_effective() found for the whole set. */
	return d365_scope(st, req, ans->role, &t, ans);
}

/*
 * What the target asks that needs no lookup in the tree, for a privilege
 * held at depth from origin o: 0 when the scope denies whatever the tree
 * says.  The rest (named units known, and at parent-child depth below the
 * origin's) is d365_quiet_decide()'s.  The same rules as d365_scope_user()
 * and d365_scope_unit().
 */
static int d365_scope_may_allow(const struct d365_target *t,
                                const struct d365_origin *o,
                                enum d365_depth depth)
{
	int own = d365_owns_self(t), team = d365_owns_team(t, o);

	if (depth == D365_DEPTH_USER)
		return (own && (!t->bu || d365_same(t->bu, t->subject_bu))) ||
		       (team && (!t->bu || d365_same(t->bu, o->bu)));
	if (!t->bu)
		return own || team || depth == D365_DEPTH_ORGANIZATION;
	if (depth == D365_DEPTH_BUSINESS_UNIT)
		return d365_same(t->bu, o->bu);
	return 1; /* organization: anywhere; parent-child: see the tree */
}

/*
 * The last step of d365_quiet_decide(), the lookups: a named unit must be
 * one of the tree in use, and at parent-child depth the target must lie
 * within the subject's unit.
 */
static rg_result d365_quiet_units(const struct d365_state *st,
                                  const rg_plugin_request *req,
                                  struct d365_target *t, enum d365_depth depth,
                                  rg_plugin_answer *ans)
{
	if (d365_check_units(st, req, t, ans) != RG_ALLOW)
		return RG_DENY;
	if (t->bu && depth == D365_DEPTH_PARENT_CHILD)
		return d365_bus_within(&t->bus, &t->subject_unit, &t->unit) ==
		               D365_WITHIN
		           ? RG_ALLOW
		           : RG_DENY;
	return RG_ALLOW;
}

/*
 * d365_target_decide() when no reason is wanted: the same result and
 * status, with the checks that need no lookup first, so that a target the
 * depth rules out (another unit at business-unit depth, someone else's
 * record at user depth) costs no lookup in the tree.  ans->role is then the
 * role that holds the privilege deepest, which the target denied.
 */
static rg_result d365_quiet_decide(const struct d365_state *st,
                                   const rg_plugin_request *req,
                                   rg_plugin_answer *ans)
{
	enum d365_depth depth = D365_DEPTH_ORGANIZATION;
	struct d365_target t;
	long role = -1;

	struct d365_origin o;

	d365_read_attrs(req, &t);
	if (d365_check_values(&t, ans) != RG_ALLOW || (t.bu && !t.subject_bu))
		return RG_DENY;
	if (t.bu || t.owner) {
		if (!d365_held_depth(req, &st->depths, req->roles,
		                     (uint32_t)req->action, ans->role, &depth,
		                     &role))
			return d365_target_decide(st, req, ans); /* its error */
		ans->role = role;
		o = d365_own_origin(&t);
		if (!d365_scope_may_allow(&t, &o, depth))
			return RG_DENY;
	}
	return d365_quiet_units(st, req, &t, depth, ans);
}

/* ---- decide for a member of owner teams -------------------------------- */

/*
 * A directory user in owner teams holds the teams' roles besides its own
 * (Dataverse: "A user's privileges can come from their individual security
 * roles, those of the teams that they're part of").  Each role keeps its
 * source: a privilege held through a team is measured from the team's
 * unit, and the target is allowed when any source reaches it.
 */
struct d365_subject {
	rg_plugin_request req; /* roles: all */
	const rg_roleset *own; /* the subject's own roles */
	const char *teams;     /* its teams, comma-separated */
	rg_roleset all;        /* own and every team's */
};

/* One source of the subject's roles: its own, or one team's. */
struct d365_source {
	struct d365_team team;     /* name "" for the subject's own roles */
	struct d365_unit_ref unit; /* the team's unit in the tree */
	enum d365_depth depth;     /* step 2's answer for the source */
	long role;
};

static void d365_subject_init(struct d365_subject *sub,
                              const rg_plugin_request *req, const char *teams)
{
	sub->req = *req;
	sub->own = req->roles;
	sub->teams = teams;
	d365_subject_roles(req, teams, &sub->all);
	sub->req.roles = &sub->all;
}

/* Names the team step 1's role came through, in its reason. */
static void d365_name_team(const struct d365_subject *sub, rg_result res,
                           rg_plugin_answer *ans)
{
	char was[RG_REASON_MAX];
	struct d365_team team;
	const char *rid;

	if (d365_quiet(ans) ||
	    !d365_team_of(&sub->req, sub->own, sub->teams, ans->role, &team))
		return;
	rid = rg_request_role_id(&sub->req, ans->role);
	if (res == RG_ALLOW) {
		rg_answer(ans, "%s (through team '%s') grants %s", rid,
		          team.name, sub->req.action_id);
		return;
	}
	snprintf(was, sizeof(was), "%s", ans->reason);
	rg_answer(ans, "%s (%s through team '%s')", was, rid, team.name);
}

/*
 * The roles of set that grant priv, or may: a custom role (only the core
 * knows what it grants) counts in.
 */
static void d365_granters(const rg_plugin_request *req,
                          const struct d365_depths *d, const rg_roleset *set,
                          uint32_t priv, rg_roleset *out)
{
	size_t w;

	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++) {
		uint64_t m = set->w[w] & d->declared.w[w];

		out->w[w] = set->w[w] & ~d->declared.w[w];
		for (; m; m &= m - 1) {
			uint32_t r = (uint32_t)(w * RG_BITSET_WORD_BITS +
			                        (size_t)__builtin_ctzll(m));

			if (rg_role_has_privilege(req->handle, r, priv))
				rg_roleset_add(out, r);
		}
	}
}

/*
 * Step 2 for one source: the depth at which its roles hold the privilege,
 * every prerequisite judged on all the subject's roles (a team's role may
 * need the user's own basic-user, and the other way round).  So the
 * other sources' roles that grant it are taken out and the rest stay.
 * 1 when the source holds it.  A role taken out that another source's
 * role needed as a prerequisite can only make the answer narrower, never
 * wider (as in d365_held_depth()).
 */
static int d365_source_held(const struct d365_state *st,
                            const struct d365_subject *sub,
                            struct d365_source *s)
{
	uint32_t priv = (uint32_t)sub->req.action;
	rg_roleset others, foreign, set;
	rg_grant_info gi;
	size_t w;

	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		others.w[w] = sub->all.w[w] & ~s->team.roles.w[w];
	d365_granters(&sub->req, &st->depths, &others, priv, &foreign);
	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		set.w[w] = sub->all.w[w] & ~foreign.w[w];
	if (!rg_effective(&sub->req, &set, priv, &gi))
		return 0;
	return d365_held_depth(&sub->req, &st->depths, &set, priv, gi.role,
	                       &s->depth, &s->role);
}

/* Step 3 for one source: from its origin, the subject's or the team's. */
static rg_result d365_source_scope(const struct d365_subject *sub,
                                   struct d365_target *t, struct d365_source *s,
                                   rg_plugin_answer *ans)
{
	char label[2 * RG_ID_MAX + sizeof(" (through team '')")];
	struct d365_grant g = {"a role", sub->req.action_id};
	struct d365_origin o = d365_own_origin(t);
	const char *rid;

	ans->role = s->role;
	if (s->team.name[0]) {
		o.team = s->team.name;
		o.bu = s->team.bu;
		o.unit = &s->unit;
		if (t->bu && s->depth == D365_DEPTH_PARENT_CHILD)
			d365_bus_find(&t->bus, o.bu, &s->unit);
	} else if (d365_need_subject_bu(t, ans) != RG_ALLOW) {
		return RG_DENY;
	}
	if (!d365_quiet(ans)) {
		rid = rg_request_role_id(&sub->req, s->role);
		if (rid)
			g.role = rid;
		if (o.team) {
			snprintf(label, sizeof(label), "%s (through team '%s')",
			         g.role, o.team);
			g.role = label;
		}
	}
	return d365_scope_at(t, &o, s->depth, &g, ans);
}

/*
 * Steps 2 and 3 over every source, the subject's own roles first: the
 * first that reaches the target allows.  Otherwise the deny is the one of
 * the deepest source.
 */
static rg_result d365_sources_decide(const struct d365_state *st,
                                     const struct d365_subject *sub,
                                     struct d365_target *t,
                                     rg_plugin_answer *ans)
{
	struct d365_source s, best;
	const char *rest = sub->teams;
	int have_best = 0, more = 1;
	rg_result res;

	memset(&s, 0, sizeof(s));
	memset(&best, 0, sizeof(best));
	s.team.roles = *sub->own;
	for (; more; more = d365_team_next(&sub->req, &rest, &s.team)) {
		if (!d365_source_held(st, sub, &s))
			continue;
		res = d365_source_scope(sub, t, &s, ans);
		if (res != RG_DENY)
			return res;
		if (!have_best || s.depth > best.depth) {
			best = s;
			have_best = 1;
		}
	}
	if (!have_best) {
		/* rg_effective() said it is held: no source says so. */
		ans->status = RG_EINTERNAL;
		rg_answer(ans, "%s: cannot find the depth it is held at",
		          sub->req.action_id);
		return RG_ERROR;
	}
	if (d365_quiet(ans)) {
		ans->role = best.role;
		return RG_DENY;
	}
	return d365_source_scope(sub, t, &best, ans);
}

/* decide() for a directory user in owner teams, with a reason or not. */
static rg_result d365_teams_decide(const struct d365_state *st,
                                   const rg_plugin_request *req,
                                   const char *teams, rg_plugin_answer *ans)
{
	struct d365_subject sub;
	struct d365_target t;
	rg_result res;

	d365_subject_init(&sub, req, teams);
	res = rg_decide_rbac(&sub.req, ans);
	d365_name_team(&sub, res, ans);
	if (res != RG_ALLOW)
		return res;
	res = d365_read_values(st, &sub.req, &t, ans);
	if (res != RG_ALLOW || (!t.bu && !t.owner))
		return res;
	return d365_sources_decide(st, &sub, &t, ans);
}

/* ---- decide on a prepared snapshot (ABI 1.3) --------------------------- */

/* The class answer of a prepared user for req's privilege. */
static const struct d365_prep_answer *
d365_prep_answer(const struct d365_prep *p, const struct d365_prep_user *pu,
                 const rg_plugin_request *req)
{
	return &p->answers[(size_t)pu->cls * p->nprivs + (size_t)req->action];
}

/* Values that steps 2 and 4 refuse whatever the tree says: an empty one,
 * two owners, a target unit with no subject unit to measure from. */
static int d365_prep_bad_values(const struct d365_prep_user *pu,
                                const struct d365_target *t)
{
	return pu->empty || (t->bu && !*t->bu) || (t->owner && !*t->owner) ||
	       t->two_owners || (t->bu && !t->subject_bu);
}

/* The target unit (t->bu, with t->subject_bu set) in the index, or -1 when
 * the index does not hold it. */
static long d365_prep_unit(const struct d365_prep *p,
                           const struct d365_prep_user *pu,
                           const struct d365_target *t)
{
	if (strcmp(t->bu, t->subject_bu) == 0)
		return (long)pu->unit;
	return d365_prep_find(p, t->bu);
}

/*
 * The target unit and, at parent-child depth, whether it lies within the
 * subject's, from the prepared tree.  A unit the index does not hold, or
 * cannot place exactly, is looked up in the snapshot as before: the index
 * holds only the directory units its users lie under.
 */
static rg_result d365_prep_units(const struct d365_state *st,
                                 const struct d365_prep *p,
                                 const struct d365_prep_user *pu,
                                 const rg_plugin_request *req,
                                 struct d365_target *t, enum d365_depth depth,
                                 rg_plugin_answer *ans)
{
	enum d365_within within;
	long unit;

	if (t->subject_bu && pu->unknown)
		return RG_DENY;
	if (!t->bu)
		return RG_ALLOW;
	/* Here t->subject_bu is set: d365_prep_quiet() denied without. */
	unit = d365_prep_unit(p, pu, t);
	if (unit < 0)
		return p->complete ? RG_DENY
		                   : d365_quiet_units(st, req, t, depth, ans);
	if (depth != D365_DEPTH_PARENT_CHILD)
		return RG_ALLOW;
	within = d365_prep_within(p, pu->unit, unit);
	if (within == D365_BROKEN)
		return d365_quiet_units(st, req, t, depth, ans);
	return within == D365_WITHIN ? RG_ALLOW : RG_DENY;
}

/*
 * rg_decide_rbac() and d365_quiet_decide() for a directory user of a prepared
 * snapshot: the same steps in the same order, so the same result, status,
 * role and missing role, with what depends on the snapshot alone read from
 * what was prepared (the class's answers, the user's unit, the index).
 */
static rg_result d365_prep_quiet(const struct d365_state *st,
                                 const struct d365_prep *p,
                                 const struct d365_prep_user *pu,
                                 const rg_plugin_request *req,
                                 rg_plugin_answer *ans)
{
	const struct d365_prep_answer *a = d365_prep_answer(p, pu, req);
	enum d365_depth depth = D365_DEPTH_ORGANIZATION;
	struct d365_target t;
	struct d365_origin o;

	if (!a->held) {
		if (a->blocked >= 0) {
			ans->role = a->blocked;
			ans->missing = a->missing;
		}
		return RG_DENY;
	}
	ans->role = a->role;
	/* pu->empty and pu->unknown speak of the same subject values: for a
	 * user with an index (rg_request_user_index()) the subject attributes
	 * are the directory's, which the core has just read. */
	d365_read_attrs(req, &t);
	/* A team's roles measure from the team's unit: not prepared. */
	if (pu->teams && (t.bu || t.owner || t.two_owners))
		return d365_teams_decide(st, req, d365_subject_teams(req), ans);
	if (d365_prep_bad_values(pu, &t))
		return RG_DENY;
	if (t.bu || t.owner) {
		if (!a->has_depth)
			return d365_target_decide(st, req, ans); /* its error */
		depth = (enum d365_depth)a->depth;
		ans->role = a->depth_role;
		o = d365_own_origin(&t);
		if (!d365_scope_may_allow(&t, &o, depth))
			return RG_DENY;
	}
	return d365_prep_units(st, p, pu, req, &t, depth, ans);
}

/*
 * The prepared record of req's subject, or NULL: only a directory user
 * checked with its own roles and attributes has one.
 */
static const struct d365_prep_user *d365_prep_user(const struct d365_prep *p,
                                                   const rg_plugin_request *req)
{
	long i;

	if (!p)
		return NULL;
	i = rg_request_user_index(req);
	if (i < 0 || (size_t)i >= p->nusers)
		return NULL;
	return &p->users[i];
}

/*
 * 1 when decide() of req is rg_decide_rbac()'s answer, reason and all: no
 * request attribute (so no target: steps 2 to 4 deny only for a bad subject
 * value, and say nothing otherwise), no owner team (whose roles step 1 would
 * hold), and subject values that view_prepare() found good (the test of
 * d365_read_target() without request attributes, which
 * d365_subject_answers() counts on too).  Such a check with a reason then
 * costs no attribute read and no unit lookup.
 */
static int d365_prep_plain(const struct d365_prep_user *pu,
                           const rg_plugin_request *req)
{
	return !req->nattrs && !pu->teams && !pu->empty && !pu->unknown;
}

/*
 * The grant a prepared answer with a target cites: role, the one
 * d365_held_depth() found (its id; "a role" when the request cannot name
 * it), and action, the privilege's id.  d365_prep_reason() and
 * d365_scope_reasons() both ask it here, so that a table's reason names
 * the role decide()'s does.
 */
static struct d365_grant d365_prep_grant(const rg_plugin_request *req,
                                         long role, const char *action)
{
	const char *rid = rg_request_role_id(req, role);
	struct d365_grant g = {rid ? rid : "a role", action};

	return g;
}

/*
 * d365_decide() with a reason, for a directory user of a prepared snapshot
 * and a target: rg_decide_rbac() allowed (its reason is always replaced)
 * and d365_target_decide()'s steps 2 to 4 as they go when every value is
 * good, with the units, the depth and its role read from what was prepared
 * and no lookup in the snapshot's facts.  1 with the answer in *res and
 * ans, the same result, role and reason; 0 with ans untouched for anything
 * else (a refused privilege, a bad or unknown value, a team), which the
 * unprepared way decides and names.  test_prepared_matches_adhoc compares
 * every such answer with the unprepared one.
 */
static int d365_prep_reason(const struct d365_prep *p,
                            const struct d365_prep_user *pu,
                            const rg_plugin_request *req, rg_plugin_answer *ans,
                            rg_result *res)
{
	const struct d365_prep_answer *a;
	enum d365_within within = D365_WITHIN;
	struct d365_target t;
	struct d365_origin o;
	struct d365_grant g;
	enum d365_depth depth;
	long unit;

	if ((size_t)req->action >= p->nprivs || pu->teams || pu->unknown)
		return 0;
	a = d365_prep_answer(p, pu, req);
	if (!a->held || !a->has_depth)
		return 0;
	d365_read_attrs(req, &t);
	if ((!t.bu && !t.owner) || d365_prep_bad_values(pu, &t))
		return 0;
	depth = (enum d365_depth)a->depth;
	o = d365_own_origin(&t);
	if (t.bu) {
		/* A known unit, placed as d365_unit_within() would. */
		unit = pu->unit < 0 ? -1 : d365_prep_unit(p, pu, &t);
		if (unit < 0)
			return 0;
		if (depth == D365_DEPTH_PARENT_CHILD)
			within = d365_prep_within(p, pu->unit, unit);
		else if (depth != D365_DEPTH_USER)
			within = d365_unit_within(&t, &o, depth);
		if (within == D365_BROKEN)
			return 0;
	}
	ans->role = a->depth_role;
	g = d365_prep_grant(req, a->depth_role, req->action_id);
	if (depth == D365_DEPTH_USER)
		*res = d365_scope_user(&t, &o, &g, ans);
	else if (!t.bu)
		*res = d365_scope_owner(&t, &o, depth, &g, ans);
	else
		*res = d365_unit_answer(&t, &o, depth, within, &g, ans);
	return 1;
}

static rg_result d365_decide(const void *state, const rg_plugin_request *req,
                             rg_plugin_answer *ans)
{
	const struct d365_state *st = state;
	const struct d365_prep *p;
	const struct d365_prep_user *pu;
	const char *teams;
	rg_result res;

	if (!st || !st->loaded) {
		ans->status = RG_EPOLICY;
		rg_answer(ans, "policy %s was not loaded",
		          st ? st->policy : "(none)");
		return RG_ERROR;
	}
	/* The prepared snapshot serves quiet checks of a privilege the class
	 * answers were worked out for, checks with a reason that name no
	 * target (d365_prep_plain()), and those with a target whose values
	 * are all good (d365_prep_reason()).  Only a directory user has a
	 * prepared record (d365_prep_user()): a subject given by its roles
	 * does not ask for the snapshot's. */
	if (req->action >= 0 && req->user) {
		p = rg_request_prepared(req);
		pu = d365_prep_user(p, req);
		if (pu && d365_quiet(ans) && (size_t)req->action < p->nprivs)
			return d365_prep_quiet(st, p, pu, req, ans);
		if (pu && !d365_quiet(ans) && d365_prep_plain(pu, req))
			return rg_decide_rbac(req, ans);
		if (pu && !d365_quiet(ans) &&
		    d365_prep_reason(p, pu, req, ans, &res))
			return res;
	}
	teams = d365_subject_teams(req);
	if (teams)
		return d365_teams_decide(st, req, teams, ans);
	res = rg_decide_rbac(req, ans);
	if (res != RG_ALLOW)
		return res;
	if (d365_quiet(ans))
		return d365_quiet_decide(st, req, ans);
	return d365_target_decide(st, req, ans);
}

/* ---- subject_answers --------------------------------------------------- */

/*
 * Every attribute-free request of one subject at once (ABI 1.2), for the
 * core's decision table.  Without request attributes decide() is
 * rg_decide_rbac() (step 1) refined only by the subject's own attributes:
 * an empty subject.bu or subject.id, or a subject.bu the tree in use does
 * not know, denies whatever the privilege, and nothing else can (depth
 * plays no part without a target).  So the answer is the core's set of
 * effective privileges, or nothing, read once per subject instead of once
 * per check.
 */
static int d365_subject_answers(const void *state, const rg_plugin_request *req,
                                uint64_t *allow, uint64_t *deny)
{
	const struct d365_state *st = state;
	const struct d365_prep_user *pu;
	const char *teams = d365_subject_teams(req);
	rg_plugin_answer ans;
	struct d365_target t;
	rg_roleset all;
	size_t w;
	int ok;

	/* decide() would answer ERROR: no table for this subject. */
	if (!st || !st->loaded)
		return RG_EPOLICY;
	/* Not a request this call answers: let decide() see it. */
	if (req->nattrs)
		return RG_EINVAL;
	/* Quiet: nothing is formatted, so the reason is never written. */
	ans.role = ans.missing = -1;
	ans.status = RG_OK;
	ans.reason[0] = '\0';
	ans.flags = RG_ANSWER_QUIET;
	pu = d365_prep_user(rg_request_prepared(req), req);
	if (pu)
		/* Checked once already: the same test as d365_read_target()
		 * without request attributes. */
		ok = !pu->empty && !pu->unknown;
	else
		ok = d365_read_target(st, req, &t, &ans) == RG_ALLOW;
	/* A team's roles count as the subject's own without a target. */
	if (ok && teams) {
		d365_subject_roles(req, teams, &all);
		rg_effective_set(req, &all, allow);
	} else if (ok) {
		rg_effective_set(req, req->roles, allow);
	} else
		memset(allow, 0, RG_PRIV_WORDS * sizeof(*allow));
	/* What decide() does not allow it denies: it never abstains. */
	for (w = 0; w < RG_PRIV_WORDS; w++)
		deny[w] = ~allow[w];
	return RG_OK;
}

/*
 * The privileges whose decide() with a reason is rg_decide_rbac()'s (ABI
 * 1.5): all of them, for a prepared user d365_prep_plain() lets through
 * without request attributes (d365_decide() then returns rg_decide_rbac()
 * at once); none for anyone else.
 */
static int d365_subject_rbac(const void *state, const rg_plugin_request *req,
                             uint64_t *rbac)
{
	const struct d365_state *st = state;
	const struct d365_prep_user *pu;

	if (!st || !st->loaded)
		return RG_EPOLICY;
	pu = d365_prep_user(rg_request_prepared(req), req);
	if (pu && d365_prep_plain(pu, req))
		memset(rbac, 0xff, RG_PRIV_WORDS * sizeof(*rbac));
	return RG_OK;
}

/* ---- subject_scopes (ABI 1.6) ------------------------------------------ */

/*
 * The units of the pre-order index (d365_prep.by_pre) within depth of the
 * subject's unit (index unit, which is ok), as [*lo, *hi): what
 * d365_prep_quiet() allows of a target unit that index holds.  User depth
 * needs an owner, so it allows none; business-unit depth the subject's
 * unit; parent-child its subtree; organization every unit.
 */
static void d365_scope_span(const struct d365_prep *p, long unit,
                            enum d365_depth depth, size_t *lo, size_t *hi)
{
	const struct d365_prep_unit *u = &p->units[unit];

	*lo = *hi = 0;
	switch (depth) {
	case D365_DEPTH_BUSINESS_UNIT:
		*lo = u->pre;
		*hi = (size_t)u->pre + 1;
		break;
	case D365_DEPTH_PARENT_CHILD:
		*lo = u->pre;
		*hi = u->end;
		break;
	case D365_DEPTH_ORGANIZATION:
		*hi = rg_names_count(p->by_pre);
		break;
	default:
		break;
	}
}

/*
 * The reason of a privilege the subject does not hold (ABI 1.7): decide()
 * asked with a reason goes past d365_prep_reason() (not held) to
 * rg_decide_rbac(), which denies whatever the unit.  So it is asked here,
 * for the subject's roles (its class) and the privilege.  None when it
 * names a missing prerequisite (it sets ans->missing, which a scope's
 * reason leaves -1) or answers otherwise than a plain deny.
 */
static int d365_scope_refused(const rg_plugin_request *req, uint32_t priv,
                              rg_scopes *out)
{
	rg_plugin_request preq = *req;
	rg_plugin_answer ans;

	preq.action = (long)priv;
	/* The id the core interned the request's action under: the same
	 * bytes as decide()'s req->action_id. */
	preq.action_id = rg_privilege_id(req->handle, priv);
	if (!preq.action_id)
		return RG_OK;
	ans.role = ans.missing = -1;
	ans.status = RG_OK;
	ans.reason[0] = '\0';
	ans.flags = 0;
	if (rg_decide_rbac(&preq, &ans) != RG_DENY || ans.status != RG_OK ||
	    ans.missing >= 0 || !ans.reason[0])
		return RG_OK;
	return rg_scope_reason(out, RG_DENY, ans.role, "%s", ans.reason);
}

/*
 * The reasons of the scope d365_subject_scopes() just added for priv (ABI
 * 1.7), a = the class's answer for it.  A unit of by_pre is one
 * d365_prep_reason() answers, whatever the unit: the subject passed every
 * test it makes (no teams, its unit known and ok, its values good), and a
 * by_pre unit is a prepared, ok unit, so it is found and placed without
 * D365_BROKEN.  Its answer cites a->depth_role at a->depth, and the text
 * differs by the unit only where the target unit is printed: the value's
 * stand-in.  The origin is the subject's unit, by name (the memo's unit).
 * User depth denies every unit for want of an owner; organization depth
 * allows all of them, so it has no deny to explain.
 */
static int d365_scope_reasons(const struct d365_prep *p,
                              const struct d365_prep_user *pu,
                              const rg_plugin_request *req,
                              const struct d365_prep_answer *a, uint32_t priv,
                              rg_scopes *out)
{
	const char *value = rg_scope_marker(RG_SCOPE_MARK_VALUE);
	const char *from = p->units[pu->unit].name;
	enum d365_depth depth = (enum d365_depth)a->depth;
	const char *dname = d365_depth_name(depth);
	struct d365_grant g;
	long role = a->depth_role;
	int rc;

	if (!a->held)
		return d365_scope_refused(req, priv, out);
	g = d365_prep_grant(req, role, rg_privilege_id(req->handle, priv));
	if (!value || !g.action)
		return RG_OK;
	switch (depth) {
	case D365_DEPTH_USER:
		return rg_scope_reason(out, RG_DENY, role, d365_fmt_no_owner,
		                       g.role, g.action);
	case D365_DEPTH_ORGANIZATION:
		return rg_scope_reason(out, RG_ALLOW, role, d365_fmt_in_org,
		                       g.role, g.action, value);
	default:
		rc = rg_scope_reason(out, RG_ALLOW, role, d365_fmt_within,
		                     g.role, g.action, dname, value, from);
		if (rc != RG_OK)
			return rc;
		return rg_scope_reason(out, RG_DENY, role, d365_fmt_outside,
		                       g.role, g.action, dname, value, from);
	}
}

/*
 * Requests naming a target unit (bu=) and nothing else, compiled for a
 * prepared directory user (ABI 1.6), for the privileges some role holds at
 * a depth: d365_prep_quiet() step by step.  A
 * privilege not held is denied whatever the unit; one held at a depth
 * allows the units d365_scope_span() gives and denies every other unit
 * of the index.  A unit the index lacks, a user in owner teams or with
 * subject values decide() refuses, and a held privilege without a depth
 * (an error) are left to decide().  Each scope comes with decide()'s
 * reasons (d365_scope_reasons(), ABI 1.7), so that checks with a reason
 * are answered from the table too.
 */
static int d365_subject_scopes(const void *state, const rg_plugin_request *req,
                               rg_scopes *out)
{
	const struct d365_state *st = state;
	const struct d365_prep *p;
	const struct d365_prep_user *pu;
	struct d365_target t;
	uint32_t memo[2];
	size_t priv, lo, hi;
	int rc = RG_OK;

	if (!st || !st->loaded)
		return RG_EPOLICY;
	p = rg_request_prepared(req);
	pu = d365_prep_user(p, req);
	if (!pu || !p->by_pre || pu->teams || pu->empty || pu->unknown ||
	    pu->unit < 0 || !p->units[pu->unit].ok || d365_subject_teams(req))
		return RG_OK;
	d365_read_attrs(req, &t);
	if (!t.subject_bu)
		return RG_OK;
	/* The rules depend on the class and the unit alone. */
	memo[0] = pu->cls;
	memo[1] = (uint32_t)pu->unit;
	rc = rg_scope_memo(out, memo, sizeof(memo));
	if (rc != 0)
		return rc < 0 ? rc : RG_OK;
	for (priv = 0; priv < p->nprivs && rc == RG_OK; priv++) {
		const struct d365_prep_answer *a =
		    &p->answers[(size_t)pu->cls * p->nprivs + priv];

		/* Only privileges some role holds at a depth: a rule a
		 * user for each (the rest, organization-wide, are left to
		 * decide()). */
		if (priv >= st->depths.npriv ||
		    !((st->depths.qualified[priv / RG_BITSET_WORD_BITS] >>
		       (priv % RG_BITSET_WORD_BITS)) &
		      1u))
			continue;

		if (a->held && !a->has_depth)
			continue;
		if (a->held)
			d365_scope_span(p, pu->unit, (enum d365_depth)a->depth,
			                &lo, &hi);
		else
			lo = hi = 0;
		rc = rg_scope_add(out, (long)priv, ATTR_BU, RG_SCOPE_WITHIN,
		                  p->by_pre, lo, hi);
		if (rc == RG_OK)
			rc = d365_scope_reasons(p, pu, req, a, (uint32_t)priv,
			                        out);
	}
	return rc;
}

/* ---- validate ----------------------------------------------------------- */

/*
 * Every unmet prerequisite of the subject's roles and its teams' roles,
 * judged on all of them: a prerequisite is met by a role held either way.
 */
static int d365_validate(const void *state, const rg_plugin_request *req,
                         rg_validation *out)
{
	const char *teams = d365_subject_teams(req);
	rg_plugin_request all_req;
	rg_roleset all;

	(void)state;
	if (!teams)
		return rg_validate_prereqs(req, out);
	all_req = *req;
	d365_subject_roles(req, teams, &all);
	all_req.roles = &all;
	return rg_validate_prereqs(&all_req, out);
}

/* ---- view_prepare, view_release (ABI 1.3) -------------------------------- */

static int d365_view_prepare(const void *state, const rg_plugin_request *req,
                             void **prepared)
{
	const struct d365_state *st = state;
	struct d365_prep *p = NULL;
	int rc;

	*prepared = NULL;
	/* decide() answers ERROR without a policy: nothing to prepare. */
	if (!st || !st->loaded)
		return RG_OK;
	rc = d365_prep_build(req, st->have_tree ? &st->tree : NULL, &st->depths,
	                     &p);
	if (rc == RG_OK)
		*prepared = p;
	return rc;
}

static void d365_view_release(const void *state, void *prepared)
{
	(void)state;
	d365_prep_free(prepared);
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
    .validate = d365_validate,
    .custom_role = NULL,
    .subject_answers = d365_subject_answers,
    .view_prepare = d365_view_prepare,
    .view_release = d365_view_release,
    .subject_rbac = d365_subject_rbac,
    .subject_scopes = d365_subject_scopes,
};
