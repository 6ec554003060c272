/*
 * inquiry.c - take-inquiry (taking a waiting chat): the agent's status and
 * connection, whether chat limits apply at all (edition, waiting queue,
 * bots), the limits of the configured rule and where they come from
 * (department, agent, tenant default), and the reason that names them.
 *
 * Two rules, chosen by the stack argument chat_limits= (enum rc_chat_rule):
 *   7 (Rocket.Chat 7.x, the default): the department's open chats below
 *     its limit when set AND the agent's open chats below the agent's own
 *     limit, else the workspace's (isAgentWithinChatLimits in the
 *     livechat-enterprise Helper);
 *   6 (Rocket.Chat 6.x): the agent's open chats below the department's
 *     limit if set, else the agent's, else the workspace's.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "rocketchat.h"

const char *const rc_chat_rules[] = {"7", "6", NULL};

/* Where a chat limit comes from. */
enum rc_limit_source {
	RC_LIMIT_DEPARTMENT,  /* the department's max_chats */
	RC_LIMIT_AGENT,       /* the agent's max_chats */
	RC_LIMIT_BAD_DEFAULT, /* the directory's default is not a count */
	RC_LIMIT_DEFAULT,     /* the tenant default */
	RC_LIMIT_NONE,        /* no limit anywhere */
};

struct rc_limit {
	long limit; /* 0: none; -1 with RC_LIMIT_BAD_DEFAULT */
	enum rc_limit_source source;
	int from_directory; /* RC_LIMIT_DEFAULT: the directory's setting */
	const char *bad;    /* RC_LIMIT_BAD_DEFAULT: its text */
};

/* What a take-inquiry decision found, first failing check first. */
enum rc_take_verdict {
	RC_TAKE_NO_STATUS,
	RC_TAKE_UNAVAILABLE,
	RC_TAKE_NO_CONNECTION,
	RC_TAKE_OFFLINE,
	RC_TAKE_AWAY,        /* away, and chats are not accepted when idle */
	RC_TAKE_BAD_SETTING, /* a directory setting is neither on nor off */
	RC_TAKE_NO_LIMITS,   /* allowed: no chat limit applies */
	RC_TAKE_BAD_DEFAULT,
	RC_TAKE_DEPT_MISSING, /* department_open_chats is needed, not given */
	RC_TAKE_DEPT_REACHED,
	RC_TAKE_AGENT_MISSING, /* open_chats is needed, not given */
	RC_TAKE_AGENT_REACHED,
	RC_TAKE_WITHIN, /* allowed: below every limit that applies */
};

struct rc_take {
	enum rc_take_verdict verdict;
	const char *why_none; /* RC_TAKE_NO_LIMITS */
	const char *setting;  /* RC_TAKE_BAD_SETTING: its name and text */
	const char *bad;
	struct rc_limit dept;  /* rule 7: the department's; 0: none */
	struct rc_limit agent; /* the agent's (rule 6: the one limit) */
};

/*
 * The default limit as prepared, into *out: 1, or 0 when the slow path
 * must tell (nothing prepared, or the directory's setting is not a count,
 * whose text the reason quotes).
 */
static int rc_prepared_default(const struct rc_attrs *a, struct rc_limit *out)
{
	if (!a->prep || !a->prep->default_ok)
		return 0;
	out->limit = a->prep->default_limit;
	out->from_directory = a->prep->default_from_directory;
	out->source = out->limit > 0 ? RC_LIMIT_DEFAULT : RC_LIMIT_NONE;
	return 1;
}

/* The agent's own limit, else the tenant default. */
static void rc_agent_limit(const struct rc_attrs *a, struct rc_limit *out)
{
	memset(out, 0, sizeof(*out));
	if (a->max_chats > 0) {
		out->source = RC_LIMIT_AGENT;
		out->limit = a->max_chats;
		return;
	}
	if (rc_prepared_default(a, out))
		return;
	if (!rc_org_default_limit(&a->org, &out->limit, &out->from_directory,
	                          &out->bad)) {
		out->source = RC_LIMIT_BAD_DEFAULT;
		out->limit = -1;
		return;
	}
	out->source = out->limit > 0 ? RC_LIMIT_DEFAULT : RC_LIMIT_NONE;
}

/* The department's limit when the request names a department that has one. */
static void rc_dept_limit(const struct rc_attrs *a, struct rc_limit *out)
{
	memset(out, 0, sizeof(*out));
	out->source = RC_LIMIT_NONE;
	if (a->department && a->dept.max_chats > 0) {
		out->source = RC_LIMIT_DEPARTMENT;
		out->limit = a->dept.max_chats;
	}
}

/* Where a limit comes from, for reasons: three pieces of text, so that
 * rg_answer() writes it with the rest ("%s%s%s") and no text is formatted
 * twice on the way. */
#define RC_SOURCE_PARTS 3

struct rc_source {
	const char *part[RC_SOURCE_PARTS];
	char bad[RG_REASON_MAX]; /* RC_LIMIT_BAD_DEFAULT's text */
};

static void rc_source_set(struct rc_source *s, const char *a, const char *b,
                          const char *c)
{
	s->part[0] = a;
	s->part[1] = b;
	s->part[2] = c;
}

static void rc_limit_source(const rg_plugin_request *req, struct rc_attrs *a,
                            const struct rc_limit *lim, struct rc_source *s)
{
	switch (lim->source) {
	case RC_LIMIT_DEPARTMENT:
		rc_source_set(s, "department '", a->department,
		              rc_org_from_directory(&a->org)
		                  ? "' (directory max_chats)"
		                  : "' (tenant file max_chats)");
		break;
	case RC_LIMIT_AGENT:
		if (req->user)
			rc_source_set(s, "the agent '", req->user,
			              "' (directory max_chats)");
		else
			rc_source_set(s,
			              "the agent (subject attribute max_chats)",
			              "", "");
		break;
	case RC_LIMIT_BAD_DEFAULT:
		/* An error's reason: the one with a number to print. */
		snprintf(s->bad, sizeof(s->bad),
		         "the directory's setting default_max_chats '%s' is "
		         "not a whole number from 0 to %ld",
		         lim->bad, RC_COUNT_MAX);
		rc_source_set(s, s->bad, "", "");
		break;
	case RC_LIMIT_DEFAULT:
		rc_source_set(s, "the tenant default (",
		              lim->from_directory
		                  ? "directory setting default_max_chats"
		                  : "[tenant] max_chats",
		              ")");
		break;
	case RC_LIMIT_NONE:
		rc_source_set(s, "no one", "", "");
		break;
	}
}

/*
 * An on/off setting into *on; 0 (with t's verdict and what to quote set)
 * when the directory's value is neither.
 */
static int rc_take_switch(const struct rc_attrs *a, enum rc_switch sw, int *on,
                          struct rc_take *t)
{
	int from_directory;

	/* Prepared with the snapshot, unless bad (its text is quoted). */
	if (a->prep && a->prep->sw[sw].ok) {
		*on = a->prep->sw[sw].on;
		return 1;
	}
	if (rc_org_switch(&a->org, sw, on, &from_directory, &t->bad))
		return 1;
	t->verdict = RC_TAKE_BAD_SETTING;
	t->setting = rc_switch_key(sw);
	return 0;
}

/*
 * The agent may take a chat at all: available, and online or away while
 * the workspace accepts chats when idle (Livechat_enabled_when_agent_idle,
 * on by default).  0 with t's verdict set when not.
 */
static int rc_take_agent_ready(const struct rc_attrs *a, struct rc_take *t)
{
	int idle_ok = 1;

	if (!a->status)
		t->verdict = RC_TAKE_NO_STATUS;
	else if (!a->available)
		t->verdict = RC_TAKE_UNAVAILABLE;
	else if (a->connection == RC_CONN_UNKNOWN)
		t->verdict = RC_TAKE_NO_CONNECTION;
	else if (a->connection == RC_CONN_OFFLINE)
		t->verdict = RC_TAKE_OFFLINE;
	else if (a->connection == RC_CONN_AWAY &&
	         rc_take_switch(a, RC_SWITCH_ACCEPT_IDLE, &idle_ok, t) &&
	         !idle_ok)
		t->verdict = RC_TAKE_AWAY;
	else if (t->verdict != RC_TAKE_BAD_SETTING)
		return 1;
	return 0;
}

/*
 * Whether chat limits apply: only in the Enterprise edition (the check is
 * an Enterprise hook), only while the waiting queue is on, and not to a
 * bot.  0 with t's verdict set when they do not (or a setting is bad).
 */
static int rc_take_limits_apply(const struct rc_attrs *a, struct rc_take *t)
{
	int queue = 0;

	t->verdict = RC_TAKE_NO_LIMITS;
	if (a->community) {
		t->why_none = "the Community edition has no chat limits";
		return 0;
	}
	if (a->bot) {
		t->why_none = "a bot skips the chat limits";
		return 0;
	}
	if (!rc_take_switch(a, RC_SWITCH_WAITING_QUEUE, &queue, t))
		return 0;
	if (!queue) {
		t->why_none = "chat limits apply only while the waiting queue "
		              "(setting waiting_queue) is on";
		return 0;
	}
	return 1;
}

/* The limits of the configured rule, against the request's counts. */
static void rc_take_limits(const struct rc_attrs *a, struct rc_take *t)
{
	if (a->chat_rule == RC_CHAT_RULE_6) {
		/* 6.x: one limit, the department's first. */
		rc_dept_limit(a, &t->agent);
		if (t->agent.limit == 0)
			rc_agent_limit(a, &t->agent);
	} else {
		rc_dept_limit(a, &t->dept);
		rc_agent_limit(a, &t->agent);
	}
	t->verdict = RC_TAKE_WITHIN;
	if (t->dept.limit > 0 && a->dept_open_chats < 0)
		t->verdict = RC_TAKE_DEPT_MISSING;
	else if (t->dept.limit > 0 && a->dept_open_chats >= t->dept.limit)
		t->verdict = RC_TAKE_DEPT_REACHED;
	else if (t->agent.limit < 0)
		t->verdict = RC_TAKE_BAD_DEFAULT;
	else if (t->agent.limit > 0 && a->open_chats < 0)
		t->verdict = RC_TAKE_AGENT_MISSING;
	else if (t->agent.limit > 0 && a->open_chats >= t->agent.limit)
		t->verdict = RC_TAKE_AGENT_REACHED;
}

static void rc_take_eval(const struct rc_attrs *a, struct rc_take *t)
{
	memset(t, 0, sizeof(*t));
	if (!rc_take_agent_ready(a, t) || !rc_take_limits_apply(a, t))
		return;
	rc_take_limits(a, t);
}

static int rc_take_allows(const struct rc_take *t)
{
	return t->verdict == RC_TAKE_NO_LIMITS || t->verdict == RC_TAKE_WITHIN;
}

/* The reason when every check passed: the limits that applied. */
static void rc_take_within_reason(const rg_plugin_request *req,
                                  struct rc_attrs *a, const struct rc_take *t,
                                  const char *rid, rg_plugin_answer *ans)
{
	struct rc_source src;

	if (t->agent.limit == 0 && t->dept.limit <= 0) {
		rg_answer(ans,
		          "%s grants take-inquiry; the agent is available and "
		          "no chat limit is set (department, agent and tenant "
		          "set none)",
		          rid);
		return;
	}
	if (t->agent.limit == 0) {
		rg_answer(
		    ans,
		    "%s grants take-inquiry: the agent is available; the "
		    "department's %ld open chats are below its limit of "
		    "%ld, and no agent limit is set (agent and tenant set "
		    "none)",
		    rid, a->dept_open_chats, t->dept.limit);
		return;
	}
	rc_limit_source(req, a, &t->agent, &src);
	if (t->dept.limit > 0)
		rg_answer(ans,
		          "%s grants take-inquiry: the agent is available and "
		          "%ld open chats are below the limit of %ld set by "
		          "%s%s%s; the department's %ld open chats are below "
		          "its limit of %ld",
		          rid, a->open_chats, t->agent.limit, src.part[0],
		          src.part[1], src.part[2], a->dept_open_chats,
		          t->dept.limit);
	else
		rg_answer(ans,
		          "%s grants take-inquiry: the agent is available and "
		          "%ld open chats are below the limit of %ld set by "
		          "%s%s%s",
		          rid, a->open_chats, t->agent.limit, src.part[0],
		          src.part[1], src.part[2]);
}

/* The reason when a limit denies, or a count it needs is missing. */
static void rc_take_limit_reason(const rg_plugin_request *req,
                                 struct rc_attrs *a, const struct rc_take *t,
                                 const char *rid, rg_plugin_answer *ans)
{
	struct rc_source src;
	const struct rc_limit *lim = t->verdict == RC_TAKE_DEPT_MISSING ||
	                                     t->verdict == RC_TAKE_DEPT_REACHED
	                                 ? &t->dept
	                                 : &t->agent;

	rc_limit_source(req, a, lim, &src);
	switch (t->verdict) {
	case RC_TAKE_BAD_DEFAULT:
		rg_answer(ans, "%s grants take-inquiry, but %s%s%s", rid,
		          src.part[0], src.part[1], src.part[2]);
		break;
	case RC_TAKE_DEPT_MISSING:
		rg_answer(ans,
		          "%s grants take-inquiry, but request attribute "
		          "department_open_chats is not given; the "
		          "department's limit is %ld, set by %s%s%s",
		          rid, lim->limit, src.part[0], src.part[1],
		          src.part[2]);
		break;
	case RC_TAKE_DEPT_REACHED:
		rg_answer(ans,
		          "%s grants take-inquiry, but the department's %ld "
		          "open chats reach the limit of %ld set by %s%s%s",
		          rid, a->dept_open_chats, lim->limit, src.part[0],
		          src.part[1], src.part[2]);
		break;
	case RC_TAKE_AGENT_MISSING:
		rg_answer(ans,
		          "%s grants take-inquiry, but request attribute "
		          "open_chats is not given; the limit is %ld, set by "
		          "%s%s%s",
		          rid, lim->limit, src.part[0], src.part[1],
		          src.part[2]);
		break;
	default:
		rg_answer(ans,
		          "%s grants take-inquiry, but %ld open chats reach "
		          "the limit of %ld set by %s%s%s",
		          rid, a->open_chats, lim->limit, src.part[0],
		          src.part[1], src.part[2]);
		break;
	}
}

/* The reason of a take-inquiry decision (not called when quiet). */
static void rc_take_reason(const rg_plugin_request *req, struct rc_attrs *a,
                           const struct rc_take *t, rg_plugin_answer *ans)
{
	const char *rid = rg_request_role_id(req, ans->role);

	if (!rid)
		rid = "a role";
	switch (t->verdict) {
	case RC_TAKE_NO_STATUS:
		rg_answer(ans,
		          "%s grants take-inquiry, but it needs the agent's "
		          "status: subject attribute status is not given",
		          rid);
		break;
	case RC_TAKE_UNAVAILABLE:
		rg_answer(ans,
		          "%s grants take-inquiry, but the agent's status is "
		          "%s; taking a chat needs status available",
		          rid, a->status);
		break;
	case RC_TAKE_NO_CONNECTION:
		rg_answer(ans,
		          "%s grants take-inquiry, but it needs the agent's "
		          "connection: request attribute connection (online, "
		          "away or offline) is not given",
		          rid);
		break;
	case RC_TAKE_OFFLINE:
		rg_answer(ans,
		          "%s grants take-inquiry, but the agent is offline; "
		          "taking a chat needs the agent online",
		          rid);
		break;
	case RC_TAKE_AWAY:
		rg_answer(ans,
		          "%s grants take-inquiry, but the agent is away and "
		          "the workspace does not accept chats when idle "
		          "(setting accept_when_idle is off)",
		          rid);
		break;
	case RC_TAKE_BAD_SETTING:
		rg_answer(ans,
		          "%s grants take-inquiry, but the directory's setting "
		          "%s '%s' is neither " RC_SETTING_ON
		          " nor " RC_SETTING_OFF,
		          rid, t->setting, t->bad);
		break;
	case RC_TAKE_NO_LIMITS:
		rg_answer(ans,
		          "%s grants take-inquiry: the agent is available and "
		          "%s; no chat limit applies: %s",
		          rid,
		          a->connection == RC_CONN_AWAY ? "away (accepting "
		                                          "chats when idle)"
		                                        : "online",
		          t->why_none);
		break;
	case RC_TAKE_WITHIN:
		rc_take_within_reason(req, a, t, rid, ans);
		break;
	default:
		rc_take_limit_reason(req, a, t, rid, ans);
		break;
	}
}

rg_result rc_decide_take(const rg_plugin_request *req, struct rc_attrs *a,
                         rg_plugin_answer *ans)
{
	struct rc_take t;

	rc_take_eval(a, &t);
	if (!(ans->flags & RG_ANSWER_QUIET))
		rc_take_reason(req, a, &t, ans);
	return rc_take_allows(&t) ? RG_ALLOW : RG_DENY;
}

/*
 * take-inquiry without request attributes: rc_decide_take() with no
 * department, no counts and no connection, which the agent's readiness
 * needs: never allowed (the decision table says so too).
 */
int rc_take_allowed(struct rc_attrs *a)
{
	struct rc_take t;

	rc_take_eval(a, &t);
	return rc_take_allows(&t);
}
