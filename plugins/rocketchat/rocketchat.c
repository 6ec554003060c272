/*
 * rocketchat.c - the Rocket.Chat Omnichannel (livechat) role model.
 *
 * NAME
 *	rocketchat - roles, permissions and omnichannel scope rules of
 *	Rocket.Chat, in its Enterprise or Community edition
 *
 * SYNOPSIS
 *	stack = CONTROL rocketchat policy=PATH edition=enterprise|community
 *		[tenant=PATH] [chat_limits=7|6]
 *
 * ARGUMENTS
 *	policy=PATH	The policy file (required), in the common policy
 *			format of <rolegate/plugin.h>.  The shipped one is
 *			rocketchat.ini.  A relative PATH resolves against the
 *			configuration file's directory.
 *	edition=E	enterprise or community (required).  The Community
 *			edition leaves out every section marked
 *			"edition = enterprise" (livechat-monitor; units,
 *			monitors, tags, priorities, SLA, canned responses,
 *			reports, request-pdf-transcript) and every custom
 *			role: they are neither listed nor granted, and asking
 *			for one is an unknown role or action, hence a deny.
 *	tenant=PATH	The workspace's units, departments (with their unit
 *			and chat limit) and default chat limit (optional); the
 *			format is in rocketchat-tenant.ini and
 *			doc/rocketchat.md.  Without it (and without directory
 *			data) the tenant has no units, no known departments
 *			and no default limit.
 *	chat_limits=R	7 (the default) or 6: the Rocket.Chat release whose
 *			chat limit rule take-inquiry follows (DECISIONS).
 *
 * DIRECTORY
 *	Users, their roles, memberships and attributes, and the workspace's
 *	organisation may live in the directory instead (rolegate agent,
 *	monitor, department, unit and setting commands).  For a directory
 *	user the subject attributes below (departments, units, status,
 *	max_chats) are the directory's, and a department the user is an
 *	agent of is known even when the directory keeps no unit or limit for
 *	it.  Units and departments come from one source: the directory as
 *	soon as it holds a unit or a department of the service, else the
 *	tenant file.  The default chat limit is the directory's setting
 *	default_max_chats when set, else the tenant file's.
 *	Custom roles (Enterprise only: the Community edition refuses to
 *	create them, and ignores any it finds) may hold any declared
 *	permission; they are "any other role" for the department rules.
 *
 * POLICY KEYS
 *	Besides the common keys, [role] and [privilege] sections may say
 *	"edition = enterprise" (or community): the section exists only in
 *	that edition.  [role] sections may say "scope = global" or
 *	"scope = room".  Any other key is an error naming file:line.
 *
 * ATTRIBUTES
 *	Request: department=ID (the department acted on), open_chats=N (the
 *	agent's open chats, for take-inquiry).  Subject: departments=A,B
 *	(departments the subject is an agent of), units=U,V (units a monitor
 *	is assigned to), status=available|unavailable, max_chats=N.  A value
 *	that is malformed, or names a department or unit the directory or
 *	tenant file does not have, denies the request with a reason naming
 *	the attribute.
 *
 * DECISIONS
 *	A subject holds the union of its roles' permissions; what no role
 *	grants is denied.  A request naming a department is then allowed when
 *	one of the subject's granting roles may act on it:
 *	  - admin and livechat-manager: on every department;
 *	  - livechat-monitor: when the tenant has no units at all, or the
 *	    department belongs to a unit in the monitor's units, or the
 *	    monitor is an agent of the department (its departments);
 *	  - any other role, for view-livechat-queue: only when the subject is
 *	    an agent of the department (a department's queue is visible to its
 *	    agents only; the queue with no department is visible to all);
 *	  - any other role, for any other permission: on every department.
 *	take-inquiry (taking a waiting chat) also needs status available and
 *	connection online (or away while the setting accept_when_idle is on,
 *	its default).  Chat limits apply only in the Enterprise edition, while
 *	the setting waiting_queue is on (off by default), and not to a bot.
 *	Then, with chat_limits=7: the department's open chats
 *	(department_open_chats) below its max_chats when set (> 0), and the
 *	agent's (open_chats) below the agent's max_chats, else the tenant's;
 *	with chat_limits=6: open_chats below the department's max_chats when
 *	set, else the agent's, else the tenant's.  A count a limit needs and
 *	the request lacks denies.  The reason names the limit and where it
 *	came from.
 *
 * CUSTOM ROLES
 *	The custom_role hook refuses every custom role in the Community
 *	edition ("custom roles need the Enterprise edition") and accepts any
 *	set of declared permissions in the Enterprise edition.
 *
 * DECISION TABLE
 *	The subject_answers hook gives, for a directory user, what decide()
 *	answers for every permission without request attributes: deny for
 *	all when a subject attribute is bad, else the effective permissions
 *	(rg_effective_set()), take-inquiry only when the agent is available
 *	and no chat limit applies (no open_chats is given).  The core keeps
 *	them in its decision table for checks that want no reason.
 *
 * SOURCE
 *	This file holds the hooks and the vtable; rocketchat.h says which
 *	file holds the rest.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "rocketchat.h"

/* Why the Community edition has no custom role. */
#define RC_NO_CUSTOM "custom roles need the Enterprise edition"

/* What the Community edition adds to a deny of no role, given the reason
 * and the first custom role it dropped (rc_decide(), rc_scope_rbac()). */
#define RC_IGNORED "%s (custom role %s is ignored: " RC_NO_CUSTOM ")"

/* ---- Arguments --------------------------------------------------------- */

static int rc_parse_args(rg_plugin_handle *h, int argc, char *const argv[],
                         struct rocketchat *st)
{
	const rg_argspec specs[] = {
	    {
	        .name = "policy",
	        .type = RG_ARG_PATH,
	        .required = 1,
	        .dest = &st->policy,
	    },
	    {
	        .name = "edition",
	        .type = RG_ARG_ENUM,
	        .required = 1,
	        .choices = rc_editions,
	        .dest = &st->edition,
	    },
	    {
	        .name = "tenant",
	        .type = RG_ARG_PATH,
	        .dest = &st->tenant_path,
	    },
	    {
	        .name = "chat_limits",
	        .type = RG_ARG_ENUM,
	        .choices = rc_chat_rules,
	        .dest = &st->chat_rule,
	    },
	    {.name = NULL},
	};

	return rg_args_parse(h, argc, argv, specs);
}

static int rc_open(rg_plugin_handle *h, int argc, char *const argv[],
                   void **state)
{
	struct rocketchat *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	st->admin = st->manager = st->monitor = st->agent = st->bot = -1;
	st->chat_rule = RC_CHAT_RULE_7;
	st->queue = st->take = -1;
	rc = rc_parse_args(h, argc, argv, st);
	if (rc == RG_OK && st->tenant_path)
		rc = rc_tenant_load(h, st->tenant_path, &st->tenant);
	if (rc != RG_OK) {
		free(st);
		return rc;
	}
	*state = st;
	return RG_OK;
}

static void rc_close(void *state)
{
	struct rocketchat *st = state;

	if (!st)
		return;
	rc_tenant_free(&st->tenant);
	free(st->granted_by);
	free(st);
}

/* ---- Deciding ---------------------------------------------------------- */

/* rc_plain() but for the action: the user and the request attributes. */
static inline int rc_plain_user(const rg_plugin_request *req)
{
	const struct rc_prepared *p;
	long i;

	if (req->nattrs || !req->user)
		return 0;
	p = rg_request_prepared(req);
	i = rg_request_user_index(req);
	return p && i >= 0 && (size_t)i < p->nusers &&
	       (p->users[i].bits & RC_PU_FAST);
}

/*
 * 1 when rc_decide_roles() of req is rg_decide_rbac()'s answer, reason and
 * all: a prepared user whose attributes view_prepare() found good
 * (RC_PU_FAST: rc_read_attrs() then reads them without fail), no request
 * attribute (so no department to scope) and an action other than
 * take-inquiry (which looks at status and limits).  Such a check, with a
 * reason above all, then reads no attribute.
 */
static int rc_plain(const struct rocketchat *st, const rg_plugin_request *req)
{
	return req->action != st->take && rc_plain_user(req);
}

/* A step of rc_decide_roles(). */
typedef rg_result rc_step(const struct rocketchat *st,
                          const rg_plugin_request *req, struct rc_attrs *a,
                          rg_plugin_answer *ans);

static rg_result rc_step_rbac(const struct rocketchat *st,
                              const rg_plugin_request *req, struct rc_attrs *a,
                              rg_plugin_answer *ans)
{
	(void)st;
	(void)a;
	return rg_decide_rbac(req, ans);
}

/*
 * Runs step; when a later step follows an allow (replaced), that step's
 * reason replaces this one's, so this one is asked without a reason, and
 * again with it only when it does not allow (its answer is then the
 * last).  Each step gives the same result and role either way.
 */
static rg_result rc_run_step(rc_step *step, int replaced,
                             const struct rocketchat *st,
                             const rg_plugin_request *req, struct rc_attrs *a,
                             rg_plugin_answer *ans)
{
	const unsigned flags = ans->flags;
	rg_result res;

	if (!replaced || (flags & RG_ANSWER_QUIET))
		return step(st, req, a, ans);
	ans->flags = flags | RG_ANSWER_QUIET;
	res = step(st, req, a, ans);
	ans->flags = flags;
	if (res == RG_ALLOW)
		return res;
	return step(st, req, a, ans);
}

/*
 * Quiet, rg_effective() before the attributes are read: -1 when it must be
 * asked after them, as with a reason (whose first bad attribute is named
 * before any role); 0 when no role of the subject grants the action, not
 * even one a missing prerequisite blocks; else 1 with the granting role
 * in *role.  A quiet deny of the second kind is rg_decide_rbac()'s bare
 * one (no reason, no role, no missing role), field for field what a bad
 * attribute's deny is: so whatever the attributes hold, they are not read
 * (a gateway's check that names its roles pays for them only when they
 * can matter), as Dynamics 365 and Omni24 decide the roles first.
 */
static int rc_rbac_first(const rg_plugin_request *req,
                         const rg_plugin_answer *ans, long *role)
{
	rg_grant_info g;

	if (!(ans->flags & RG_ANSWER_QUIET) || req->action < 0)
		return -1;
	if (rg_effective(req, req->roles, (uint32_t)req->action, &g)) {
		*role = g.role;
		return 1;
	}
	return g.blocked < 0 ? 0 : -1;
}

static rg_result rc_decide_roles(const struct rocketchat *st,
                                 const rg_plugin_request *req,
                                 rg_plugin_answer *ans)
{
	struct rc_attrs a;
	rg_result res;
	int take = req->action == st->take;
	long role = -1;
	int first;

	if (rc_plain(st, req))
		return rg_decide_rbac(req, ans);
	first = rc_rbac_first(req, ans, &role);
	if (first == 0)
		return RG_DENY;
	if (!rc_read_attrs(st, req, &a, ans))
		return RG_DENY;
	if (first > 0) {
		/* rg_decide_rbac()'s quiet allow, not asked twice. */
		ans->role = role;
		res = RG_ALLOW;
	} else {
		res = rc_run_step(rc_step_rbac, a.department || take, st, req,
		                  &a, ans);
	}
	if (res != RG_ALLOW)
		return res;
	if (a.department) {
		res = rc_run_step(rc_decide_department, take, st, req, &a, ans);
		if (res != RG_ALLOW)
			return res;
	}
	if (take)
		return rc_decide_take(req, &a, ans);
	return RG_ALLOW;
}

static rg_result rc_decide(const void *state, const rg_plugin_request *req,
                           rg_plugin_answer *ans)
{
	const struct rocketchat *st = state;
	rg_plugin_request community;
	rg_roleset declared;
	rg_result res;
	long dropped;

	if (!st->loaded) {
		ans->status = RG_EPOLICY;
		rg_answer(ans, "policy %s was not loaded", st->policy);
		return RG_ERROR;
	}
	if (st->edition != RC_EDITION_COMMUNITY)
		return rc_decide_roles(st, req, ans);
	declared = *req->roles;
	dropped = rc_drop_custom(st, req, &declared);
	if (dropped < 0)
		return rc_decide_roles(st, req, ans);
	community = *req;
	community.roles = &declared;
	res = rc_decide_roles(st, &community, ans);
	if (res == RG_DENY && ans->role < 0 &&
	    !(ans->flags & RG_ANSWER_QUIET)) {
		char why[RG_REASON_MAX];

		memcpy(why, ans->reason, sizeof(why));
		rg_answer(ans, RC_IGNORED, why,
		          rg_request_role_id(req, dropped));
	}
	return res;
}

/* ---- A subject's answers, for the core's decision table ---------------- */

/*
 * What view_prepare() worked out as rg_effective_set() of req's roles (the
 * Community edition's without custom ones) for a user of its snapshot, or
 * NULL: work it out.
 */
static const uint64_t *rc_class_held(const rg_plugin_request *req)
{
	const struct rc_prepared *p = rg_request_prepared(req);
	long i = rg_request_user_index(req);

	if (!p || !p->class_held || i < 0 || (size_t)i >= p->nusers ||
	    p->cls[i] == RC_NO_CLASS)
		return NULL;
	return p->class_held[p->cls[i]];
}

/*
 * The answers decide() gives this subject for every privilege without
 * request attributes, following rc_decide() and rc_decide_roles() with no
 * department: the attributes are read and checked once (a bad one denies
 * everything), rg_effective_set() is rg_decide_rbac() for every privilege
 * at once, and only take-inquiry looks at the agent's status and limits.
 */
static int rc_subject_answers(const void *state, const rg_plugin_request *req,
                              uint64_t *allow, uint64_t *deny)
{
	const struct rocketchat *st = state;
	rg_plugin_request sub = *req;
	rg_plugin_answer ans;
	struct rc_attrs a;
	rg_roleset roles = *req->roles;
	size_t w;

	if (!st->loaded)
		return RG_EPOLICY;
	if (st->edition == RC_EDITION_COMMUNITY)
		rc_drop_custom(st, req, &roles);
	sub.roles = &roles;
	sub.action = -1;
	sub.action_id = NULL;
	sub.attrs = NULL;
	sub.nattrs = 0;
	/* rc_read_attrs() only answers, and quiet answers write nothing. */
	ans.role = ans.missing = -1;
	ans.status = RG_OK;
	ans.reason[0] = '\0';
	ans.flags = RG_ANSWER_QUIET;
	if (rc_read_attrs(st, &sub, &a, &ans)) {
		const uint64_t *held = rc_class_held(req);

		if (held)
			memcpy(allow, held, RG_PRIV_WORDS * sizeof(*allow));
		else
			rg_effective_set(&sub, sub.roles, allow);
		if (st->take >= 0 &&
		    ((allow[st->take / RG_BITSET_WORD_BITS] >>
		      (st->take % RG_BITSET_WORD_BITS)) &
		     1u) &&
		    !rc_take_allowed(&a))
			allow[st->take / RG_BITSET_WORD_BITS] &=
			    ~((uint64_t)1 << (st->take % RG_BITSET_WORD_BITS));
	} else {
		memset(allow, 0, RG_PRIV_WORDS * sizeof(*allow));
	}
	/* decide() never abstains: what it does not allow it denies. */
	for (w = 0; w < RG_PRIV_WORDS; w++)
		deny[w] = ~allow[w];
	return RG_OK;
}

/*
 * May an administrator create a custom role?  Not in the Community
 * edition; in the Enterprise edition, of any declared permission.
 */
static int rc_custom_role(const void *state, const rg_plugin_handle *h,
                          const char *id, const uint32_t *privs, size_t n,
                          char *reason, size_t reason_size)
{
	const struct rocketchat *st = state;
	size_t i;

	(void)id;
	if (!st || !st->loaded) {
		snprintf(reason, reason_size,
		         "the rocketchat policy was not "
		         "loaded");
		return RG_EREFUSED;
	}
	if (st->edition != RC_EDITION_ENTERPRISE) {
		snprintf(reason, reason_size, RC_NO_CUSTOM);
		return RG_EREFUSED;
	}
	for (i = 0; i < n; i++) {
		if (!rg_privilege_id(h, privs[i])) {
			snprintf(reason, reason_size,
			         "privilege #%u is not declared", privs[i]);
			return RG_EREFUSED;
		}
	}
	return RG_OK;
}

/*
 * The privileges whose decide() with a reason is rg_decide_rbac()'s (ABI
 * 1.5), for the core to answer itself, for a user rc_plain() lets through
 * (unless the Community edition drops a custom role of the user:
 * rc_decide() then decides on fewer roles, and may say so): every one but
 * take-inquiry, and take-inquiry too when the user does not hold it
 * (rc_decide_roles() then returns rg_decide_rbac()'s deny before it looks
 * at status and limits, which it reads without fail for such a user).
 */
static int rc_subject_rbac(const void *state, const rg_plugin_request *req,
                           uint64_t *rbac)
{
	const struct rocketchat *st = state;
	rg_roleset declared = *req->roles;
	uint64_t held[RG_PRIV_WORDS];
	const uint64_t *h;

	if (!st->loaded)
		return RG_EPOLICY;
	if (!rc_plain_user(req) || (st->edition == RC_EDITION_COMMUNITY &&
	                            rc_drop_custom(st, req, &declared) >= 0))
		return RG_OK;
	memset(rbac, 0xff, RG_PRIV_WORDS * sizeof(*rbac));
	if (st->take < 0)
		return RG_OK;
	/* No custom role was dropped: the class's roles are req's. */
	h = rc_class_held(req);
	if (!h) {
		rg_effective_set(req, req->roles, held);
		h = held;
	}
	rbac[st->take / RG_BITSET_WORD_BITS] &=
	    ~(h[st->take / RG_BITSET_WORD_BITS] &
	      ((uint64_t)1 << (st->take % RG_BITSET_WORD_BITS)));
	return RG_OK;
}

/* ---- Compiled scopes (ABI 1.6) and their reasons (1.7) ----------------- */

/*
 * One user's scopes of one privilege in the making (rc_scope_depts()).
 * Each scope's ALLOW reason is its role's rule's, in the words w (the
 * department a stand-in); the DENY of every department outside the
 * privilege's intervals goes with its first scope, as plugin.h says,
 * deny_role -1 when there is none to give.
 */
struct rc_scoping {
	const rg_plugin_request *req; /* the user, for role ids */
	const struct rc_prepared *p;
	const struct rc_puser *pu;
	rg_scopes *out;
	long priv;
	struct rc_rule_words w;
	int depts_shown, units_shown; /* p->shown's bits of the user */
	size_t added;                 /* scopes added for priv */
	long deny_role;
	enum rc_rule deny_rule;
	long deny_unit; /* its index in p->units, -1: none */
};

/*
 * The reason res of role's rule for the scope just added, unit the index
 * of the unit it names (-1: none).  The rule, the privilege and the unit
 * are all its sentence depends on besides the role, but where it quotes
 * the subject's own list text (its units or departments as given): the
 * key that lets the users of a build share it (rg_scope_reason_keyed()).
 */
static int rc_scope_reason(struct rc_scoping *sc, rg_result res, long role,
                           enum rc_rule rule, long unit)
{
	struct rc_rule_words w = sc->w;
	uint64_t key = (uint64_t)rule |
	               (uint64_t)sc->priv << RC_KEY_PRIV_SHIFT |
	               (uint64_t)(unit + 1) << RC_KEY_UNIT_SHIFT;
	int keyed = rule != RC_RULE_OTHER_UNIT && rule != RC_RULE_QUEUE_HIDDEN;
	int rc;

	if (keyed) {
		/* Made by an earlier kind of user: no words to put together. */
		rc = rg_scope_reason_again(sc->out, res, role, key);
		if (rc != 0)
			return rc < 0 ? rc : RG_OK;
	}
	w.role = rg_request_role_id(sc->req, role);
	w.unit = unit >= 0 ? rg_names_name(sc->p->units, (size_t)unit) : NULL;
	return rc_rule_scope_reason(sc->out, res, role, rule, &w,
	                            keyed ? &key : NULL);
}

/*
 * Adds one interval [lo, hi) of priv's departments, allowed by role's
 * rule (role -1: no reason; unit: the interval's unit, for the rule that
 * names it), and with the first one the DENY reason.
 */
static int rc_scope_add(struct rc_scoping *sc, size_t lo, size_t hi, long role,
                        enum rc_rule rule, long unit)
{
	int rc = rg_scope_add(sc->out, sc->priv, RC_ATTR_DEPARTMENT,
	                      RG_SCOPE_WITHIN, sc->p->found, lo, hi);

	if (rc == RG_OK && sc->added++ == 0 && sc->deny_role >= 0)
		rc = rc_scope_reason(sc, RG_DENY, sc->deny_role, sc->deny_rule,
		                     sc->deny_unit);
	if (rc == RG_OK && lo < hi && role >= 0)
		rc = rc_scope_reason(sc, RG_ALLOW, role, rule, unit);
	return rc;
}

/* The found index of the user's k-th department, or -1 (not found). */
static long rc_agent_found(const struct rc_prepared *p, struct rc_pspan s,
                           size_t k)
{
	long ix = rc_pspan_at(s, k);

	if (ix < 0 || (size_t)ix >= p->ndepts)
		return -1;
	return p->dept_found[ix];
}

/* The departments the user is an agent of, one scope each, allowed by
 * role's rule. */
static int rc_scope_agent(struct rc_scoping *sc, long role, enum rc_rule rule)
{
	struct rc_pspan s = rc_puser_span(sc->p, sc->pu, RC_PLIST_DEPTS);
	size_t k;
	int rc = RG_OK;
	long f;

	for (k = 0; k < s.n && rc == RG_OK; k++) {
		f = rc_agent_found(sc->p, s, k);
		if (f >= 0)
			rc = rc_scope_add(sc, (size_t)f, (size_t)f + 1, role,
			                  rule, -1);
	}
	return rc;
}

/* The departments of the monitor's units, one scope a unit. */
static int rc_scope_units(struct rc_scoping *sc, long monitor)
{
	const struct rc_prepared *p = sc->p;
	struct rc_pspan s = rc_puser_span(p, sc->pu, RC_PLIST_UNITS);
	size_t k;
	int rc = RG_OK;
	long ix;

	for (k = 0; k < s.n && rc == RG_OK; k++) {
		ix = rc_pspan_at(s, k);
		if (ix < 0 || (size_t)ix >= p->nunits)
			continue;
		rc = rc_scope_add(sc, p->unit_first[ix], p->unit_first[ix + 1],
		                  monitor, RC_RULE_MONITOR_UNIT, ix);
	}
	return rc;
}

/* 1 when found index f is one of the user's departments. */
static int rc_agent_has(const struct rc_prepared *p, struct rc_pspan s, long f)
{
	size_t k;

	for (k = 0; k < s.n; k++)
		if (rc_agent_found(p, s, k) == f)
			return 1;
	return 0;
}

/*
 * The unit of the departments a monitor with units refuses: those of
 * neither its departments nor its units.  0 when there is none, 1 when
 * all are in one unit (*unit its index, -1: in no unit, the last
 * interval of found), 2 when they are in more than one.
 */
static int rc_refused_unit(const struct rc_prepared *p,
                           const struct rc_puser *pu, long *unit)
{
	struct rc_pspan d = rc_puser_span(p, pu, RC_PLIST_DEPTS);
	struct rc_pspan u = rc_puser_span(p, pu, RC_PLIST_UNITS);
	size_t b, f, k;
	int n = 0;

	/* Bucket b: unit b, or b == nunits, the departments in no unit. */
	for (b = 0; b <= p->nunits && n < 2; b++) {
		for (k = 0; k < u.n && rc_pspan_at(u, k) != (long)b; k++)
			;
		if (b < p->nunits && k < u.n)
			continue; /* one of the monitor's units */
		for (f = p->unit_first[b]; f < p->unit_first[b + 1]; f++)
			if (!rc_agent_has(p, d, (long)f))
				break;
		if (f == p->unit_first[b + 1])
			continue;
		*unit = b < p->nunits ? (long)b : -1;
		n++;
	}
	return n;
}

/*
 * The DENY reason of priv's departments outside its intervals: the
 * first refusing role's, which leads names (no role allows every one).
 * None when it would depend on the department (a monitor refusing
 * departments of several units names each one's), or on a list whose
 * text the memo does not hold (p->shown).
 */
static void rc_scope_deny(struct rc_scoping *sc, const struct rc_leads *l)
{
	long unit = -1;

	sc->deny_role = -1;
	if (l->every >= 0 || (l->monitor < 0 && l->queue < 0))
		return;
	if (l->queue >= 0 && (l->monitor < 0 || l->queue < l->monitor)) {
		if (!sc->depts_shown)
			return;
		sc->deny_rule = RC_RULE_QUEUE_HIDDEN;
		sc->deny_role = l->queue;
		return;
	}
	if (rc_refused_unit(sc->p, sc->pu, &unit) != 1)
		return;
	if (unit < 0) {
		sc->deny_rule = RC_RULE_NO_UNIT;
	} else {
		if (!sc->units_shown)
			return;
		sc->deny_rule = RC_RULE_OTHER_UNIT;
		sc->deny_unit = unit;
	}
	sc->deny_role = l->monitor;
}

/*
 * Adds privilege priv's departments for the prepared user, its action
 * held: the roles of leads in role order, so that the first interval
 * holding a department is that of the role rc_decide_department() allows
 * it through, whose reason it gives (plugin.h): a queue role and the
 * monitor allow the user's departments (the first of the two gives the
 * reason), the monitor then its units', and the role allowing every
 * department the rest.  An empty interval when none, so that every
 * department the source has is denied.
 */
static int rc_scope_depts(const struct rocketchat *st, struct rc_scoping *sc,
                          const struct rc_leads *l)
{
	long agent = l->monitor;
	int rc = RG_OK;

	rc_scope_deny(sc, l);
	if (l->queue >= 0 && (agent < 0 || l->queue < agent))
		agent = l->queue;
	if (agent >= 0)
		rc = rc_scope_agent(sc, agent,
		                    agent == l->queue ? RC_RULE_QUEUE_AGENT
		                                      : RC_RULE_MONITOR_AGENT);
	if (rc == RG_OK && l->monitor >= 0)
		rc = rc_scope_units(sc, l->monitor);
	if (rc == RG_OK && l->every >= 0)
		rc = rc_scope_add(sc, 0, sc->p->nfound, l->every,
		                  rc_every_rule(st, l->every), -1);
	if (rc == RG_OK && !sc->added)
		rc = rc_scope_add(sc, 0, 0, -1, RC_RULE_EVERY, -1);
	return rc;
}

/*
 * A privilege rg_decide_rbac() denies: every department, with its reason
 * (and the Community edition's note of a dropped custom role, as
 * rc_decide() adds it) unless it names a missing role, which a scope's
 * reason cannot.  roles: those rc_decide_roles() decides on.
 */
static int rc_scope_rbac(struct rc_scoping *sc, const rg_roleset *roles,
                         uint32_t cls, long dropped)
{
	rg_plugin_request sub = *sc->req;
	rg_plugin_answer ans;
	struct rc_say say = {.out = sc->out, .res = RG_DENY};
	/*
	 * rg_decide_rbac()'s deny of the user's role-set class cls: decided
	 * by the class's roles, the privilege and the dropped custom role
	 * that its reason names, so that the kinds of user of one class share
	 * one, made by the first (a deny naming no role: role -1).  A class
	 * past the key's bits is decided user by user.
	 */
	uint64_t key = RC_KEY_RBAC | (uint64_t)sc->priv << RC_KEY_PRIV_SHIFT |
	               (uint64_t)(dropped + 1) << RC_KEY_UNIT_SHIFT |
	               (uint64_t)cls << RC_KEY_CLASS_SHIFT;
	int keyed = cls < RC_KEY_CLASSES;
	int rc = rc_scope_add(sc, 0, 0, -1, RC_RULE_EVERY, -1);

	if (rc != RG_OK)
		return rc;
	if (keyed) {
		rc = rg_scope_reason_again(sc->out, RG_DENY, -1, key);
		if (rc != 0)
			return rc < 0 ? rc : RG_OK;
	}
	sub.roles = roles;
	sub.action = sc->priv;
	sub.action_id = sc->w.priv;
	sub.attrs = NULL;
	sub.nattrs = 0;
	memset(&ans, 0, sizeof(ans));
	ans.role = ans.missing = -1;
	if (rg_decide_rbac(&sub, &ans) != RG_DENY || ans.missing != -1 ||
	    ans.status != RG_OK)
		return RG_OK;
	/* A deny that named a role (none does without a missing role) would
	 * say more than the key holds: unkeyed. */
	say.role = ans.role;
	say.key = keyed && ans.role < 0 ? &key : NULL;
	if (ans.role < 0 && dropped >= 0)
		return RC_SAY(&say, RC_IGNORED, ans.reason,
		              rg_request_role_id(sc->req, dropped));
	return RC_SAY(&say, "%s", ans.reason);
}

/* The most indexes a memo holds: a user with more adds its own rules. */
#define RC_MEMO_IX ((RG_SCOPE_MEMO_MAX / sizeof(uint32_t)) - 5)

/*
 * rg_scope_memo() of what a user's rules and their reasons depend on
 * besides the snapshot: its class, the custom role the Community edition
 * dropped (named by a deny), whether its lists' text is what their
 * indexes say (p->shown), its departments and units.  1: an
 * earlier user's rules are its own; 0: add them; negative: a status.
 */
static int rc_scopes_memo(const struct rc_scoping *sc, uint32_t cls,
                          long dropped, rg_scopes *out)
{
	struct rc_pspan d = rc_puser_span(sc->p, sc->pu, RC_PLIST_DEPTS);
	struct rc_pspan u = rc_puser_span(sc->p, sc->pu, RC_PLIST_UNITS);
	uint32_t memo[RG_SCOPE_MEMO_MAX / sizeof(uint32_t)];
	size_t n = 0, k;

	if (d.n + u.n > RC_MEMO_IX)
		return 0;
	memo[n++] = cls;
	memo[n++] = dropped < 0 ? UINT32_MAX : (uint32_t)dropped;
	memo[n++] = (uint32_t)(sc->depts_shown | sc->units_shown << 1);
	memo[n++] = (uint32_t)d.n;
	for (k = 0; k < d.n; k++)
		memo[n++] = (uint32_t)rc_pspan_at(d, k);
	memo[n++] = (uint32_t)u.n;
	for (k = 0; k < u.n; k++)
		memo[n++] = (uint32_t)rc_pspan_at(u, k);
	return rg_scope_memo(out, memo, n * sizeof(*memo));
}

/*
 * Requests whose only attribute is a department the source has, compiled
 * for a prepared user whose attributes view_prepare() found good (ABI
 * 1.6): rc_decide() step by step, with what view_prepare() worked out
 * for the user's role-set class (rc_class_rules()): a privilege
 * rg_decide_rbac() does not allow is denied on every department, one it
 * allows is allowed where the roles rc_department_leads() finds say.
 * Only the privileges the department scopes are compiled
 * (rc_dept_scoped()): one rule a user for each, not for all, and once
 * for all the users of one class, departments and units
 * (rc_scopes_memo()).  take-inquiry (status and limits), a department
 * the source lacks, and an organisation with no source are left to
 * decide().  Each scope comes with decide()'s reasons (ABI 1.7) where
 * they are the same for every department it stands for.
 */
static int rc_subject_scopes(const void *state, const rg_plugin_request *req,
                             rg_scopes *out)
{
	const struct rocketchat *st = state;
	const struct rc_prepared *p;
	const struct rc_leads *leads;
	const char *sj[SJ_COUNT];
	struct rc_scoping sc;
	struct rc_org org;
	rg_roleset roles = *req->roles;
	long i, dropped = -1;
	size_t k;
	int rc = RG_OK;

	if (!st->loaded)
		return RG_EPOLICY;
	if (!rc_plain_user(req))
		return RG_OK;
	p = rg_request_prepared(req);
	i = rg_request_user_index(req);
	if (!p->found || p->source == RC_ORG_NONE || !p->class_rules ||
	    !p->class_held || p->cls[i] == RC_NO_CLASS)
		return RG_OK;
	if (st->edition == RC_EDITION_COMMUNITY)
		dropped = rc_drop_custom(st, req, &roles);
	rc_org_init_resolved(&org, req, &st->tenant, p->source, p->org_units);
	memset(&sc, 0, sizeof(sc));
	sc.req = req;
	sc.p = p;
	sc.pu = &p->users[i];
	sc.out = out;
	sc.w.department = rg_scope_marker(RG_SCOPE_MARK_VALUE);
	sc.w.org = &org;
	sc.depts_shown = (p->shown[i] & RC_SHOWN_DEPTS) != 0;
	sc.units_shown = (p->shown[i] & RC_SHOWN_UNITS) != 0;
	rc = rc_scopes_memo(&sc, p->cls[i], dropped, out);
	if (rc != 0)
		return rc < 0 ? rc : RG_OK;
	/* The lists' text, for the reasons that quote it: a new kind of
	 * user only. */
	rc_gather_subject(req->subject_attrs, req->nsubject_attrs, sj);
	sc.w.units = sj[SJ_UNITS];
	sc.w.departments = sj[SJ_DEPARTMENTS];
	leads = p->class_rules + (size_t)p->cls[i] * p->nscoped;
	for (k = 0; k < p->nscoped && rc == RG_OK; k++) {
		sc.priv = (long)p->scoped[k];
		sc.w.priv = rg_privilege_id(req->handle, p->scoped[k]);
		sc.added = 0;
		sc.deny_role = -1;
		if ((p->class_held[p->cls[i]][sc.priv / RG_BITSET_WORD_BITS] >>
		     (sc.priv % RG_BITSET_WORD_BITS)) &
		    1u)
			rc = rc_scope_depts(st, &sc, &leads[k]);
		else
			rc = rc_scope_rbac(&sc, &roles, p->cls[i], dropped);
	}
	return rc;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "rocketchat",
    .version = RG_VERSION_STRING,
    .description = "Rocket.Chat Omnichannel roles, editions, departments, "
                   "units and chat limits",
    .open = rc_open,
    .close = rc_close,
    .declare = rc_declare,
    .decide = rc_decide,
    .validate = NULL,
    .custom_role = rc_custom_role,
    .subject_answers = rc_subject_answers,
    .subject_rbac = rc_subject_rbac,
    .subject_scopes = rc_subject_scopes,
    .view_prepare = rc_view_prepare,
    .view_release = rc_view_release,
};
