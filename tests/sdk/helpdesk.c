/*
 * helpdesk.c - a plugin written out of tree, against the installed headers
 * and pkg-config file only, the way the plugin guide says to
 * (tests/cli/plugin-sdk.sh builds and loads it).
 *
 *   stack = required helpdesk
 *
 * It declares the role "agent" and three privileges: ticket.view, which an
 * agent has; ticket.close, which no role has (deny); and report.export,
 * which always answers error with RG_EPOLICY and a reason of its own, so
 * that a test sees how the core passes a plugin's error on.
 */
#include <stdint.h>
#include <stdlib.h>

#include <rolegate/plugin.h>

/* What decide() needs: the indexes declare() was given. */
struct helpdesk_state {
	uint32_t agent, view, close, report;
};

static const rg_argspec helpdesk_args[] = {
    {.name = NULL},
};

static int helpdesk_open(rg_plugin_handle *h, int argc, char *const argv[],
                         void **state)
{
	struct helpdesk_state *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return RG_ENOMEM;
	rc = rg_args_parse(h, argc, argv, helpdesk_args);
	if (rc != RG_OK) {
		free(st); /* close() is not called after a failed open() */
		return rc;
	}
	*state = st;
	return RG_OK;
}

static void helpdesk_close(void *state)
{
	free(state);
}

static int helpdesk_declare(void *state, rg_plugin_handle *h)
{
	struct helpdesk_state *st = state;
	int rc;

	rc = rg_declare_privilege(h, "ticket.view", "Read tickets", &st->view);
	if (rc == RG_OK)
		rc = rg_declare_privilege(h, "ticket.close", "Close tickets",
		                          &st->close);
	if (rc == RG_OK)
		rc = rg_declare_privilege(h, "report.export", "Export reports",
		                          &st->report);
	if (rc == RG_OK)
		rc = rg_declare_role(h, "agent", "Agent", "Answers tickets", 0,
		                     &st->agent);
	if (rc == RG_OK)
		rc = rg_grant(h, st->agent, st->view);
	return rc;
}

static rg_result helpdesk_decide(const void *state,
                                 const rg_plugin_request *req,
                                 rg_plugin_answer *ans)
{
	const struct helpdesk_state *st = state;

	if (req->action == (long)st->report) {
		ans->status = RG_EPOLICY;
		rg_answer(ans, "reports are switched off in this test");
		return RG_ERROR;
	}
	if (req->action == (long)st->view &&
	    rg_roleset_has(req->roles, st->agent)) {
		ans->role = (long)st->agent;
		rg_answer(ans, "agent may view tickets");
		return RG_ALLOW;
	}
	rg_answer(ans, "no role of the subject grants %s", req->action_id);
	return RG_DENY;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "helpdesk",
    .version = "0.1",
    .description = "Out-of-tree test plugin",
    .open = helpdesk_open,
    .close = helpdesk_close,
    .declare = helpdesk_declare,
    .decide = helpdesk_decide,
};
