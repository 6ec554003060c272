/*
 * scope.c - the department rules: which of the subject's granting roles
 * may act on the request's department, and why (see DECISIONS in
 * rocketchat.c).  Custom roles (past the declared ones) are "any other
 * role" to the rules; the Community edition takes them out.
 */
#include "config.h"

#include <string.h>

#include <rolegate/plugin.h>

#include "rocketchat.h"

static int rc_rule_allows(enum rc_rule rule)
{
	return rule != RC_RULE_OTHER_UNIT && rule != RC_RULE_NO_UNIT &&
	       rule != RC_RULE_QUEUE_HIDDEN;
}

/* A list attribute for a reason: "none" when empty or not given. */
static const char *rc_shown(const char *list)
{
	return rc_list_begin(list) ? list : "none";
}

static enum rc_rule rc_monitor_rule(struct rc_attrs *a)
{
	if (!rc_org_has_units(&a->org))
		return RC_RULE_NO_UNITS;
	if (rc_agent_of(a))
		return RC_RULE_MONITOR_AGENT;
	if (a->dept.unit && rc_monitor_of(a))
		return RC_RULE_MONITOR_UNIT;
	return a->dept.unit ? RC_RULE_OTHER_UNIT : RC_RULE_NO_UNIT;
}

/* What role r's grant allows on the request's department. */
static enum rc_rule rc_role_rule(const struct rocketchat *st,
                                 const rg_plugin_request *req,
                                 struct rc_attrs *a, uint32_t r)
{
	if ((long)r == st->admin || (long)r == st->manager)
		return RC_RULE_EVERY;
	if ((long)r == st->monitor)
		return rc_monitor_rule(a);
	if (req->action != st->queue)
		return RC_RULE_UNLIMITED;
	return rc_agent_of(a) ? RC_RULE_QUEUE_AGENT : RC_RULE_QUEUE_HIDDEN;
}

/* Says the reason of a rule, in the words w. */
static int rc_say_rule(const struct rc_say *s, enum rc_rule rule,
                       const struct rc_rule_words *w)
{
	switch (rule) {
	case RC_RULE_EVERY:
		return RC_SAY(s,
		              "%s grants %s on every department, '%s' included",
		              w->role, w->priv, w->department);
	case RC_RULE_NO_UNITS:
		return RC_SAY(s,
		              "livechat-monitor grants %s on department '%s': "
		              "the tenant has no units (%s), so monitors are "
		              "not restricted",
		              w->priv, w->department,
		              rc_org_source_name(w->org));
	case RC_RULE_MONITOR_AGENT:
		return RC_SAY(s,
		              "livechat-monitor grants %s on department '%s': "
		              "the monitor is one of its agents",
		              w->priv, w->department);
	case RC_RULE_MONITOR_UNIT:
		return RC_SAY(s,
		              "livechat-monitor grants %s on department '%s' "
		              "through the monitor's unit '%s'",
		              w->priv, w->department, w->unit);
	case RC_RULE_OTHER_UNIT:
		return RC_SAY(s,
		              "livechat-monitor grants %s, but department '%s' "
		              "is in unit '%s', not one of the monitor's units "
		              "(%s), and the monitor is not its agent",
		              w->priv, w->department, w->unit,
		              rc_shown(w->units));
	case RC_RULE_NO_UNIT:
		return RC_SAY(s,
		              "livechat-monitor grants %s, but department '%s' "
		              "is in no unit and the monitor is not its agent",
		              w->priv, w->department);
	case RC_RULE_UNLIMITED:
		return RC_SAY(s, "%s grants %s; no department rule limits it",
		              w->role, w->priv);
	case RC_RULE_QUEUE_AGENT:
		return RC_SAY(s,
		              "%s grants %s: the queue of department '%s' is "
		              "visible to its agents, the subject among them",
		              w->role, w->priv, w->department);
	case RC_RULE_QUEUE_HIDDEN:
		return RC_SAY(s,
		              "%s grants %s, but the queue of department '%s' "
		              "is visible only to its agents (subject "
		              "departments: %s)",
		              w->role, w->priv, w->department,
		              rc_shown(w->departments));
	}
	return RG_EINVAL;
}

/* Puts the reason of role r's rule into ans (not called when quiet). */
static void rc_rule_reason(const rg_plugin_request *req, struct rc_attrs *a,
                           uint32_t r, enum rc_rule rule, rg_plugin_answer *ans)
{
	const struct rc_say s = {.ans = ans};
	const struct rc_rule_words w = {
	    /* r may be a custom role, past the declared roles: ask the
	     * request. */
	    .role = rg_request_role_id(req, r),
	    .priv = req->action_id,
	    .department = a->department,
	    .unit = a->dept.unit,
	    .units = a->units,
	    .departments = a->departments,
	    .org = &a->org,
	};

	(void)rc_say_rule(&s, rule, &w);
}

int rc_rule_scope_reason(rg_scopes *out, rg_result res, long role,
                         enum rc_rule rule, const struct rc_rule_words *w,
                         const uint64_t *key)
{
	const struct rc_say s = {
	    .out = out, .res = res, .role = role, .key = key};

	return rc_say_rule(&s, rule, w);
}

/*
 * Whether role r of the subject grants the action effectively (its
 * prerequisites met).  Asked with the other granting roles taken away, so
 * that rg_effective() can only answer with r; when that fails, r may still
 * need one of those roles as a prerequisite, so the subject's unmet
 * prerequisites decide.  Kept apart because its validation is large.
 */
static __attribute__((noinline)) int rc_blocked(const rg_plugin_request *req,
                                                uint32_t r)
{
	rg_validation v;
	const char *rid = rg_role_id(req->handle, r);
	size_t i;

	if (!rid)
		return 1; /* not a declared role: no prerequisite to excuse */
	memset(&v, 0, sizeof(v));
	if (rg_validate_prereqs(req, &v) != RG_OK ||
	    v.nmissing >= RG_VALIDATE_MAX)
		return 1;
	for (i = 0; i < v.nmissing; i++)
		if (!strcmp(v.missing[i].role, rid))
			return 1;
	return 0;
}

/* 1 when role r is a custom role (one past the declared roles). */
static int rc_is_custom(const rg_plugin_request *req, uint32_t r)
{
	return !rg_role_id(req->handle, r) && rg_request_role_id(req, r);
}

/* The first role of s at or after r, or RG_MAX_ROLES. */
static uint32_t rc_next(const rg_roleset *s, uint32_t r)
{
	while (r < RG_MAX_ROLES) {
		size_t w = r / RG_BITSET_WORD_BITS;
		uint64_t m = s->w[w] >> (r % RG_BITSET_WORD_BITS);
		if (m)
			return r + (uint32_t)__builtin_ctzll(m);
		r = (uint32_t)((w + 1) * RG_BITSET_WORD_BITS);
	}
	return RG_MAX_ROLES;
}

/*
 * 1 when roles hold a role past those declared when this plugin declared:
 * only such a role can be a custom role (roles declared before are indexed
 * first, custom roles after every declared one).  Most subjects hold none,
 * and one pass of ORs tells.
 */
static int rc_past_declared(const struct rocketchat *st,
                            const rg_roleset *roles)
{
	size_t w = st->nroles / RG_BITSET_WORD_BITS;
	uint64_t any;

	if (w >= RG_MAX_ROLES / RG_BITSET_WORD_BITS)
		return 0;
	any = roles->w[w] >> (st->nroles % RG_BITSET_WORD_BITS);
	for (w++; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		any |= roles->w[w];
	return any != 0;
}

/* rc_add_custom() for a subject holding roles past the declared ones. */
static __attribute__((noinline)) unsigned
rc_collect_custom(const struct rocketchat *st, const rg_plugin_request *req,
                  const rg_roleset *roles, rg_roleset *out)
{
	unsigned n = 0;
	uint32_t r;

	for (r = rc_next(roles, (uint32_t)st->nroles); r < RG_MAX_ROLES;
	     r = rc_next(roles, r + 1)) {
		if (!rc_is_custom(req, r))
			continue;
		rg_roleset_add(out, r);
		n++;
	}
	return n;
}

/* Adds to out the custom roles of roles, and returns how many. */
static unsigned rc_add_custom(const struct rocketchat *st,
                              const rg_plugin_request *req,
                              const rg_roleset *roles, rg_roleset *out)
{
	if (!rc_past_declared(st, roles))
		return 0;
	return rc_collect_custom(st, req, roles, out);
}

/*
 * A custom role has no prerequisites of its own, so rg_effective() alone
 * says whether it grants the action; a declared role may need another
 * granting role as a prerequisite (rc_blocked()).
 */
static int rc_effective(const rg_plugin_request *req,
                        const rg_roleset *granting, uint32_t r)
{
	rg_roleset alone = *req->roles;
	rg_grant_info gi;
	size_t w;

	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		alone.w[w] &= ~granting->w[w];
	rg_roleset_add(&alone, r);
	if (rg_effective(req, &alone, (uint32_t)req->action, &gi))
		return gi.role == (long)r;
	if (rc_is_custom(req, r))
		return 0;
	return !rc_blocked(req, r);
}

/*
 * The candidates of the department rules: the subject's roles of this
 * plugin that grant the action, and all its custom roles (rc_effective()
 * sorts them).  Returns 1 when there is more than one.
 */
static int rc_granting(const struct rocketchat *st,
                       const rg_plugin_request *req, rg_roleset *out)
{
	const rg_roleset *gb;
	unsigned n = 0;
	size_t w;

	memset(out, 0, sizeof(*out));
	if (req->action >= 0 && (size_t)req->action < st->nprivs) {
		gb = &st->granted_by[req->action];
		/* The plugin's roles are all in the first role_words. */
		for (w = 0; w < st->role_words; w++) {
			uint64_t m = req->roles->w[w] & gb->w[w];

			out->w[w] = m;
			/* One or two: enough to tell one from many. */
			if (m)
				n += (m & (m - 1)) ? 2 : 1;
		}
	}
	n += rc_add_custom(st, req, req->roles, out);
	return n > 1;
}

/*
 * A request names a department: allowed when one of the subject's
 * effectively granting roles may act on it.  The reason is the allowing
 * role's, else the first refusing role's.
 */
rg_result rc_decide_department(const struct rocketchat *st,
                               const rg_plugin_request *req, struct rc_attrs *a,
                               rg_plugin_answer *ans)
{
	int quiet = (ans->flags & RG_ANSWER_QUIET) != 0;
	enum rc_rule refused_rule = RC_RULE_EVERY;
	rg_roleset granting;
	long refused = -1;
	int many;
	uint32_t r;

	many = rc_granting(st, req, &granting);
	for (r = rc_next(&granting, 0); r < RG_MAX_ROLES;
	     r = rc_next(&granting, r + 1)) {
		enum rc_rule rule;

		/*
		 * rg_decide_rbac() allowed, through a candidate: when it is
		 * the only one, that is r, and r is effective.
		 */
		if (many && !rc_effective(req, &granting, r))
			continue;
		rule = rc_role_rule(st, req, a, r);
		if (rc_rule_allows(rule)) {
			ans->role = (long)r;
			if (!quiet)
				rc_rule_reason(req, a, r, rule, ans);
			return RG_ALLOW;
		}
		if (refused < 0) {
			refused = (long)r;
			refused_rule = rule;
		}
	}
	if (refused < 0) {
		/* rg_decide_rbac() allowed, so some role granted: be safe. */
		rg_answer(ans,
		          "no role of the subject grants %s on department '%s'",
		          req->action_id, a->department);
		return RG_DENY;
	}
	ans->role = refused;
	if (!quiet)
		rc_rule_reason(req, a, (uint32_t)refused, refused_rule, ans);
	return RG_DENY;
}

void rc_department_leads(const struct rocketchat *st,
                         const rg_plugin_request *req, int has_units,
                         struct rc_leads *out)
{
	rg_roleset granting;
	int many = rc_granting(st, req, &granting);
	uint32_t r;

	out->every = out->monitor = out->queue = -1;
	/* rc_decide_department()'s loop, each role's rule (rc_role_rule())
	 * for every department: no role after one allowing every
	 * department is reached, and a queue role after the first allows
	 * and refuses the departments that one does. */
	for (r = rc_next(&granting, 0); r < RG_MAX_ROLES;
	     r = rc_next(&granting, r + 1)) {
		if (many && !rc_effective(req, &granting, r))
			continue;
		if ((long)r == st->admin || (long)r == st->manager ||
		    ((long)r == st->monitor && !has_units) ||
		    ((long)r != st->monitor && req->action != st->queue)) {
			out->every = (int32_t)r;
			return;
		}
		if ((long)r == st->monitor)
			out->monitor = (int32_t)r;
		else if (out->queue < 0)
			out->queue = (int32_t)r;
	}
}

enum rc_rule rc_every_rule(const struct rocketchat *st, long r)
{
	if (r == st->admin || r == st->manager)
		return RC_RULE_EVERY;
	return r == st->monitor ? RC_RULE_NO_UNITS : RC_RULE_UNLIMITED;
}

void rc_class_rules(const struct rocketchat *st, const rg_plugin_request *req,
                    const rg_roleset *roles, int has_units,
                    const uint32_t *scoped, size_t n, uint64_t *held,
                    struct rc_leads *out)
{
	rg_plugin_request sub = *req;
	size_t k;

	sub.roles = roles;
	/* rg_decide_rbac() allows exactly what rg_effective() holds. */
	memset(held, 0, RG_PRIV_WORDS * sizeof(*held));
	rg_effective_set(&sub, roles, held);
	for (k = 0; out && k < n; k++) {
		uint32_t priv = scoped[k];

		out[k].every = out[k].monitor = out[k].queue = -1;
		if (!((held[priv / RG_BITSET_WORD_BITS] >>
		       (priv % RG_BITSET_WORD_BITS)) &
		      1u))
			continue;
		sub.action = (long)priv;
		sub.action_id = rg_privilege_id(req->handle, priv);
		rc_department_leads(st, &sub, has_units, &out[k]);
	}
}

/*
 * The Community edition has no custom roles: it refuses to create them,
 * and takes out any it finds on a subject (say, created while the service
 * was Enterprise).  Returns the first one taken out, or -1.
 */
long rc_drop_custom(const struct rocketchat *st, const rg_plugin_request *req,
                    rg_roleset *roles)
{
	rg_roleset custom;
	size_t w;

	memset(&custom, 0, sizeof(custom));
	if (!rc_add_custom(st, req, roles, &custom))
		return -1;
	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		roles->w[w] &= ~custom.w[w];
	return (long)rc_next(&custom, 0);
}
