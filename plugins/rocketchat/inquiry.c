/*
 * inquiry.c - take-inquiry (taking a waiting chat): the agent's status,
 * the chat limit that applies and where it comes from (department, agent,
 * tenant default), and the reason that names them.
 */
#include <stdio.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "rocketchat.h"

/* Where the applicable chat limit comes from. */
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

static void rc_chat_limit(const struct rc_attrs *a, struct rc_limit *out)
{
	memset(out, 0, sizeof(*out));
	if (a->department && a->dept.max_chats > 0) {
		out->source = RC_LIMIT_DEPARTMENT;
		out->limit = a->dept.max_chats;
		return;
	}
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

/* Where the limit comes from, for reasons. */
static void rc_limit_source(const rg_plugin_request *req, struct rc_attrs *a,
                            const struct rc_limit *lim, char *src, size_t n)
{
	switch (lim->source) {
	case RC_LIMIT_DEPARTMENT:
		snprintf(src, n, "department '%s' (%s max_chats)",
		         a->department,
		         rc_org_from_directory(&a->org) ? "directory"
		                                        : "tenant file");
		break;
	case RC_LIMIT_AGENT:
		if (req->user)
			snprintf(src, n, "the agent '%s' (directory max_chats)",
			         req->user);
		else
			snprintf(src, n,
			         "the agent (subject attribute max_chats)");
		break;
	case RC_LIMIT_BAD_DEFAULT:
		snprintf(src, n,
		         "the directory's setting default_max_chats '%s' is "
		         "not a whole number from 0 to %ld",
		         lim->bad, RC_COUNT_MAX);
		break;
	case RC_LIMIT_DEFAULT:
		snprintf(src, n, "the tenant default (%s)",
		         lim->from_directory
		             ? "directory setting default_max_chats"
		             : "[tenant] max_chats");
		break;
	case RC_LIMIT_NONE:
		snprintf(src, n, "no one");
		break;
	}
}

/* The reason of a take-inquiry decision (not called when quiet). */
static void rc_take_reason(const rg_plugin_request *req, struct rc_attrs *a,
                           const struct rc_limit *lim, rg_plugin_answer *ans)
{
	const char *rid = rg_request_role_id(req, ans->role);
	char src[RG_REASON_MAX];

	if (!rid)
		rid = "a role";
	if (!a->status) {
		rg_answer(ans,
		          "%s grants take-inquiry, but it needs the agent's "
		          "status: subject attribute status is not given",
		          rid);
		return;
	}
	if (!a->available) {
		rg_answer(ans,
		          "%s grants take-inquiry, but the agent's status is "
		          "%s; taking a chat needs status available",
		          rid, a->status);
		return;
	}
	rc_limit_source(req, a, lim, src, sizeof(src));
	if (lim->limit < 0)
		rg_answer(ans, "%s grants take-inquiry, but %s", rid, src);
	else if (lim->limit == 0)
		rg_answer(ans,
		          "%s grants take-inquiry; the agent is available and "
		          "no chat limit is set (department, agent and tenant "
		          "set none)",
		          rid);
	else if (a->open_chats < 0)
		rg_answer(ans,
		          "%s grants take-inquiry, but request attribute "
		          "open_chats is not given; the limit is %ld, set by "
		          "%s",
		          rid, lim->limit, src);
	else if (a->open_chats >= lim->limit)
		rg_answer(ans,
		          "%s grants take-inquiry, but %ld open chats reach "
		          "the limit of %ld set by %s",
		          rid, a->open_chats, lim->limit, src);
	else
		rg_answer(ans,
		          "%s grants take-inquiry: the agent is available and "
		          "%ld open chats are below the limit of %ld set by %s",
		          rid, a->open_chats, lim->limit, src);
}

/* take-inquiry needs status available and open chats below the limit. */
static rg_result rc_take_result(const struct rc_attrs *a,
                                const struct rc_limit *lim)
{
	if (!a->status || !a->available || lim->limit < 0)
		return RG_DENY;
	if (lim->limit == 0)
		return RG_ALLOW;
	return a->open_chats >= 0 && a->open_chats < lim->limit ? RG_ALLOW
	                                                        : RG_DENY;
}

rg_result rc_decide_take(const rg_plugin_request *req, struct rc_attrs *a,
                         rg_plugin_answer *ans)
{
	struct rc_limit lim;

	memset(&lim, 0, sizeof(lim));
	/* Without status available the limit is never consulted. */
	if (a->status && a->available)
		rc_chat_limit(a, &lim);
	if (!(ans->flags & RG_ANSWER_QUIET))
		rc_take_reason(req, a, &lim, ans);
	return rc_take_result(a, &lim);
}

/*
 * take-inquiry without request attributes: rc_decide_take() with no
 * department and no open_chats, so allowed only when no limit applies.
 */
int rc_take_allowed(struct rc_attrs *a)
{
	struct rc_limit lim;

	if (!a->status || !a->available)
		return 0;
	rc_chat_limit(a, &lim);
	return rc_take_result(a, &lim) == RG_ALLOW;
}
