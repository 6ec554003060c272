/*
 * dynamics365.h - internal interfaces of the dynamics365 plugin, shared by
 * its source files only.  Nothing here is exported: the plugin's one
 * exported symbol is rolegate_plugin (dynamics365.c).
 */
#ifndef D365_DYNAMICS365_H
#define D365_DYNAMICS365_H

#include <stddef.h>
#include <stdint.h>

#include <rolegate/plugin.h>

/* ---- Business-unit tree (tenant.c) ------------------------------------ */

/* One business unit.  parent is an index into the tree, -1 for the root. */
struct d365_unit {
	char *name;
	char *parent_name; /* as read; resolved into parent after reading */
	long parent;
	unsigned line; /* where the unit was named, for diagnostics */
};

/*
 * A tenant's business units, one root.  Sorted by name once read, so that
 * lookups on the decision path are a binary search and allocate nothing.
 */
struct d365_tree {
	char *name;      /* display name, or NULL */
	char *root_name; /* as read from [tenant] root */
	unsigned root_line;
	struct d365_unit *units; /* sorted by name */
	size_t nunits, cap;
	long root;
	/* The units' names, each at its index in units: a request's unit is
	 * found by hash, not by bsearch() and its strcmp() calls. */
	rg_names *ix;
};

/*
 * Reads a tenant file (format at the top of tenant.c) into *t, reporting
 * every problem as "file:line: ...".  Returns RG_OK, or an error with *t
 * freed.
 */
int d365_tree_read(rg_plugin_handle *h, const char *path, struct d365_tree *t);

/* Frees what d365_tree_read() allocated; *t is empty afterwards. */
void d365_tree_free(struct d365_tree *t);

/* Index of a unit, or -1 (also for an empty tree or a NULL name). */
long d365_tree_find(const struct d365_tree *t, const char *name);

/* 1 when unit is top or one of top's descendants. */
int d365_tree_within(const struct d365_tree *t, long top, long unit);

/* ---- The tree a decision uses (bu.c) ----------------------------------- */

/*
 * The deepest a directory unit may lie below the root: a walk that goes
 * further denies (the directory refuses cycles; this bounds the cost).
 */
#define D365_BU_DEPTH_MAX 256

enum d365_bu_source {
	D365_BU_UNDECIDED, /* no unit looked up yet */
	D365_BU_NONE,      /* no directory units and no tenant file */
	D365_BU_TENANT,    /* the tenant file (tenant=PATH) */
	D365_BU_DIRECTORY, /* the directory's facts ("bu", NAME, "parent") */
};

/* One request's view of the tree; on the stack, allocation-free. */
struct d365_bus {
	enum d365_bu_source source;
	const rg_plugin_request *req;
	const struct d365_tree *tree; /* the tenant file's, or NULL */
	size_t count; /* units in the directory; 0 until counted */
	int no_facts; /* the core said the count is 0 (RG_ANSWER_NO_FACTS) */
};

/*
 * One unit named by a request, looked up once: the walk up the tree starts
 * from what the lookup found instead of looking the unit up again.
 */
struct d365_unit_ref {
	const char *name;   /* NULL: no unit named */
	const char *parent; /* directory: its parent's name, "" for the root */
	long index;         /* tenant file: its index in the tree, or -1 */
};

enum d365_within {
	D365_OUTSIDE = 0,
	D365_WITHIN = 1,
	D365_BROKEN = -1, /* the walk found no root within the bound */
};

/*
 * The tree in use is the directory's when it holds any unit of the
 * service, else tree (the tenant file's, NULL when there is none).  Which
 * one is settled by the first d365_bus_find(); source is meaningful after
 * it.
 */
/*
 * Declares what the directory keeps for Dynamics 365 (ABI 1.5): the
 * business-unit tree (kind "bu", one root) and each user's unit (user
 * attribute "bu", naming a unit of the tree).
 */
int d365_declare_vocab(rg_plugin_handle *h);

/*
 * No tree chosen yet: the first lookup chooses.  ans_flags are the
 * answer's: with RG_ANSWER_NO_FACTS it chooses without counting.  Inline:
 * every check that reads attributes starts here.
 */
static inline void d365_bus_init(struct d365_bus *b,
                                 const rg_plugin_request *req,
                                 const struct d365_tree *tree,
                                 unsigned ans_flags)
{
	b->req = req;
	b->tree = tree;
	b->count = 0;
	b->source = D365_BU_UNDECIDED;
	b->no_facts = (ans_flags & RG_ANSWER_NO_FACTS) != 0;
}

/*
 * Looks name up in the tree in use and fills *u; returns 1 when name (not
 * NULL) is a unit of that tree, else 0.
 */
int d365_bus_find(struct d365_bus *b, const char *name,
                  struct d365_unit_ref *u);

/* Whether unit is top or lies below it (both from d365_bus_find()). */
enum d365_within d365_bus_within(const struct d365_bus *b,
                                 const struct d365_unit_ref *top,
                                 const struct d365_unit_ref *unit);

/* ---- Access depths (depth.c) ------------------------------------------ */

/* Dataverse access depths, smallest first: each includes the ones before. */
enum d365_depth {
	D365_DEPTH_USER,          /* the user's own records */
	D365_DEPTH_BUSINESS_UNIT, /* records of the user's unit */
	D365_DEPTH_PARENT_CHILD,  /* the user's unit and every unit below it */
	D365_DEPTH_ORGANIZATION,  /* every record */
};

/* "user", "business-unit", "parent-child", "organization". */
const char *d365_depth_name(enum d365_depth depth);

/* Parses a depth name; RG_OK or RG_EINVAL. */
int d365_depth_parse(const char *s, enum d365_depth *out);

/* The depth one role's grant of one privilege was qualified with. */
struct d365_depth_grant {
	uint32_t role;
	uint32_t priv;
	enum d365_depth depth;
};

/*
 * Per privilege, built once after the policy is read (d365_depths_index()):
 * below[d] holds the roles that grant the privilege at a depth less than d,
 * custom the depth custom roles get, and granters the plugin's roles that
 * grant the privilege at all, so that the decision path only masks bitsets
 * and asks the core only about sets that can hold the privilege.
 */
struct d365_priv_depths {
	rg_roleset below[D365_DEPTH_ORGANIZATION + 1];
	rg_roleset granters;
	enum d365_depth custom;
};

/*
 * Every qualified grant of a policy (v), and the index built from them.  A
 * grant without a qualifier is not kept: it is organization-wide.
 */
struct d365_depths {
	struct d365_depth_grant *v;
	size_t n, cap;
	struct d365_priv_depths *priv; /* indexed by privilege, npriv long */
	uint32_t npriv;
	rg_roleset declared; /* the roles the policy declared (not custom) */
	/* The privileges some grant qualifies (the bits below npriv). */
	uint64_t qualified[RG_PRIV_WORDS];
};

/*
 * Builds the per-privilege index from the qualified grants and h's roles
 * and grants; call once, after the policy is read.  RG_OK or RG_ENOMEM.
 */
int d365_depths_index(struct d365_depths *d, const rg_plugin_handle *h);

/*
 * Records that role grants priv at depth.  A role given the privilege twice
 * (directly and through an include) keeps the greater depth.  RG_OK or
 * RG_ENOMEM.
 */
int d365_depths_add(struct d365_depths *d, uint32_t role, uint32_t priv,
                    enum d365_depth depth);

void d365_depths_free(struct d365_depths *d);

/*
 * The depth at which a custom role (one an administrator created in the
 * directory, which carries no depth) holds priv: the least depth at which
 * the policy grants priv to any role, so that a custom role never reaches
 * further than the narrowest built-in grant; organization when the policy
 * qualifies no grant of priv.
 */
enum d365_depth d365_depths_custom(const struct d365_depths *d, uint32_t priv);

/*
 * The greatest depth at which the subject's effective roles (prerequisites
 * met), custom roles included, grant priv, and a role that grants it
 * there.  held is the role rg_effective(req, roles, priv) answered (-1 when
 * it answered 0): the answer for the whole set, which the caller has
 * already.  Returns 1 when held, else 0.  Allocation-free.
 */
int d365_held_depth(const rg_plugin_request *req, const struct d365_depths *d,
                    const rg_roleset *roles, uint32_t priv, long held,
                    enum d365_depth *depth, long *role);

/* ---- The plugin's state (dynamics365.c) ------------------------------- */

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

/* ---- Owner teams (team.c) ---------------------------------------------- */

/*
 * One owner team as the directory has it: facts ("team", NAME, "bu") and
 * ("team", NAME, "roles").  roles holds the team's roles this plugin
 * declared; bu is NULL for a name the directory does not have.
 */
struct d365_team {
	char name[RG_ID_MAX];
	const char *bu;
	rg_roleset roles;
};

/*
 * Declares the kind "team" (in a business unit, with members) and its
 * attribute "roles" (the policy's role ids, comma-separated), ABI 1.5.
 * The core calls the attribute's check with the entry's state, a
 * struct d365_state.
 */
int d365_declare_teams(rg_plugin_handle *h);

/*
 * The subject's teams (subject attribute "teams", comma-separated), or
 * NULL: none, or an ad-hoc subject, which has no teams.
 */
const char *d365_subject_teams(const rg_plugin_request *req);

/*
 * Reads the next team of the list *rest into *team and advances *rest:
 * 1, or 0 at the end.  Allocation-free.
 */
int d365_team_next(const rg_plugin_request *req, const char **rest,
                   struct d365_team *team);

/* *all: the subject's own roles and those of each of its teams. */
void d365_subject_roles(const rg_plugin_request *req, const char *teams,
                        rg_roleset *all);

/*
 * The first of teams holding role, into *team: 1, or 0 when none does or
 * the subject holds the role itself (own: its own roles).
 */
int d365_team_of(const rg_plugin_request *req, const rg_roleset *own,
                 const char *teams, long role, struct d365_team *team);

/* ---- A prepared directory snapshot (prepare.c, ABI 1.3) ----------------- */

/*
 * One business unit of the tree in use, as prepared.  The directory's tree
 * is known only from the units its users belong to and their ancestors
 * (a plugin cannot list facts), so a unit missing here may still be one of
 * the directory's: the caller then asks the snapshot as before.
 */
struct d365_prep_unit {
	const char *name;  /* the copy in the prep's names */
	char *parent_name; /* "" for a root; read while preparing */
	long parent; /* index, -1 for a root, -2 for a parent that is no unit */
	/* Reaches a root within the walk's bound (directory_within()): only
	 * then does the interval answer exactly what the walk would. */
	int ok;
	/* Pre-order interval among the ok units: u lies within t exactly
	 * when t.pre <= u.pre < t.end. */
	uint32_t pre, end;
};

/*
 * What decide() reads of one directory user, worked out once: the user's
 * unit, its role-set class and whether its subject attributes deny on their
 * own.  Every check of a prepared user reads its record and nothing else
 * reads this array, so it is kept to eight bytes a user (400 KiB for 50,000
 * users) to stay in a shared cache.  The attribute values are not kept:
 * decide() reads them from req->subject_attrs, which for a user with an
 * index (rg_request_user_index()) are the directory's, as read here, and
 * which the core has just read itself.
 */
struct d365_prep_user {
	int32_t unit;      /* index among the prepared units, or -1 */
	uint32_t cls : 24; /* index among the role-set classes */
	/* subject.bu or subject.id is empty: step 4 denies */
	uint32_t empty : 1;
	/* subject.bu is no unit of the tree in use */
	uint32_t unknown : 1;
	/* a member of owner teams: cls is the class of its roles with the
	 * teams' roles, and a target is decided unprepared */
	uint32_t teams : 1;
};

/*
 * Step 1 and 2 for one role-set class and one privilege: rg_effective()'s
 * answer for the whole set, and d365_held_depth()'s when it is held.
 */
struct d365_prep_answer {
	int32_t role, blocked, missing; /* as rg_grant_info */
	int32_t depth_role;             /* d365_held_depth()'s role */
	uint8_t held;                   /* rg_effective() answered 1 */
	uint8_t has_depth;              /* d365_held_depth() answered 1 */
	uint8_t depth;                  /* enum d365_depth, when has_depth */
};

struct d365_prep {
	enum d365_bu_source source; /* the tree d365_bus_find() would use */
	struct d365_prep_unit *units;
	size_t nunits, capunits;
	rg_names *names; /* the units' names: name i is units[i]'s */
	/* The ok units' names in pre-order: name i is the unit whose pre is
	 * i, so that "within" is an interval of indexes (subject_scopes()). */
	rg_names *by_pre;
	/* Every unit of the tree in use is in units (tenant file, or none):
	 * a name not found is no unit. */
	int complete;
	struct d365_prep_user *users;
	size_t nusers;
	/* Per class, per privilege below nprivs: answers[cls * nprivs + p]. */
	struct d365_prep_answer *answers;
	rg_roleset *classes;
	size_t nclasses;
	uint32_t nprivs;
};

/*
 * Builds *out for the snapshot req reads (view_prepare()).  RG_OK, or an
 * error with nothing allocated.
 */
int d365_prep_build(const rg_plugin_request *req, const struct d365_tree *tree,
                    const struct d365_depths *depths, struct d365_prep **out);

void d365_prep_free(struct d365_prep *p);

/* Index of the unit named name among p's units, or -1. */
long d365_prep_find(const struct d365_prep *p, const char *name);

/*
 * Whether unit lies within top (both indexes from d365_prep_find()), when
 * the prepared tree can tell exactly: D365_WITHIN or D365_OUTSIDE.
 * D365_BROKEN: it cannot (unit does not reach a root within the bound);
 * ask d365_bus_within().
 */
enum d365_within d365_prep_within(const struct d365_prep *p, long top,
                                  long unit);

#endif /* D365_DYNAMICS365_H */
