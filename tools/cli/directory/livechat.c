/*
 * livechat.c - the Rocket.Chat omnichannel workflows: rolegate
 * manager, agent, monitor and setting.
 *
 * As in Rocket.Chat's Administration > Omnichannel screens, adding a user
 * as a manager, agent or monitor assigns the livechat-manager,
 * livechat-agent or livechat-monitor role (creating the user when the
 * directory does not know it yet), and removing them takes the role away
 * with the department (agents) or unit (monitors) memberships that came
 * with it.  Each command is one transaction.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

/* One of the three workflows. */
struct workflow {
	const char *noun; /* "agent" */
	const char *role;
	const char *kind; /* membership kind, or NULL */
	int list;         /* the enum cli_val of the membership list, or -1 */
};

static const struct workflow manager_wf = {"manager", ADMIN_ROLE_MANAGER, NULL,
                                           -1};
static const struct workflow agent_wf = {
    "agent", ADMIN_ROLE_AGENT, RG_ORG_DEPARTMENT, CLI_VAL_DEPARTMENTS};
static const struct workflow monitor_wf = {"monitor", ADMIN_ROLE_MONITOR,
                                           RG_ORG_UNIT, CLI_VAL_UNITS};

enum wf_action { WF_ADD, WF_EDIT, WF_REMOVE };

/* A workflow command, and what it read inside its transaction. */
struct wf_state {
	const struct workflow *wf;
	enum wf_action action;
	const char *user;
	int exists;          /* the directory knows the user */
	struct admin_user u; /* when it exists */
	char **want;         /* the membership list given, or NULL */
};

/* The user's current memberships of the workflow's kind. */
static char **current_members(const struct wf_state *st)
{
	if (!st->exists || !st->wf->kind)
		return NULL;
	return strcmp(st->wf->kind, RG_ORG_UNIT) == 0 ? st->u.units
	                                              : st->u.departments;
}

static int has(char **list, const char *item)
{
	return cli_list_has((const char *const *)list, item);
}

static int member_add(struct admin *a, const struct wf_state *st,
                      const char *name)
{
	int rc = rg_member_add(a->txn, st->user, st->wf->kind, name);

	if (rc == RG_OK)
		admin_note(a, "added %s to %s %s", st->user, st->wf->kind,
		           name);
	return rc;
}

static int member_remove(struct admin *a, const struct wf_state *st,
                         const char *name)
{
	int rc = rg_member_remove(a->txn, st->user, st->wf->kind, name);

	if (rc == RG_OK)
		admin_note(a, "removed %s from %s %s", st->user, st->wf->kind,
		           name);
	return rc;
}

/*
 * Adds the user to each of st->want it is not in yet; with replace, first
 * removes it from the others, so that its memberships are exactly st->want.
 */
static int set_members(struct admin *a, const struct wf_state *st, int replace)
{
	char **cur = current_members(st);
	size_t i;
	int rc;

	for (i = 0; replace && cur && cur[i]; i++)
		if (!has(st->want, cur[i])) {
			rc = member_remove(a, st, cur[i]);
			if (rc != RG_OK)
				return rc;
		}
	for (i = 0; st->want && st->want[i]; i++)
		if (!has(cur, st->want[i])) {
			rc = member_add(a, st, st->want[i]);
			if (rc != RG_OK)
				return rc;
		}
	return RG_OK;
}

static int wf_add_op(struct admin *a, void *data)
{
	struct wf_state *st = data;
	int rc;

	if (!st->exists) {
		rc = rg_user_add(a->txn, st->user, NULL);
		if (rc != RG_OK)
			return rc;
		admin_note(a, "added user %s", st->user);
	}
	rc = rg_role_assign(a->txn, st->user, st->wf->role, 0);
	if (rc != RG_OK)
		return rc;
	admin_note(a, "assigned %s to %s", st->wf->role, st->user);
	if (st->want) {
		rc = set_members(a, st, 0);
		if (rc != RG_OK)
			return rc;
	}
	return admin_set_user_attrs(a, st->user, 1);
}

static int wf_edit_op(struct admin *a, void *data)
{
	struct wf_state *st = data;
	int rc;

	if (st->want) {
		rc = set_members(a, st, 1);
		if (rc != RG_OK)
			return rc;
	}
	return admin_set_user_attrs(a, st->user, 1);
}

static int wf_remove_op(struct admin *a, void *data)
{
	struct wf_state *st = data;
	char **cur = current_members(st);
	size_t i;
	int rc;

	rc = rg_role_unassign(a->txn, st->user, st->wf->role);
	if (rc != RG_OK)
		return rc;
	admin_note(a, "unassigned %s from %s", st->wf->role, st->user);
	for (i = 0; cur && cur[i]; i++) {
		rc = member_remove(a, st, cur[i]);
		if (rc != RG_OK)
			return rc;
	}
	return RG_OK;
}

/*
 * Reads the user and checks what the action needs: for edit and remove the
 * user exists and holds the role; for add it does not hold it yet.
 * Returns RG_OK or the refusal (a->err says why).
 */
static int wf_prepare(struct admin *a, struct wf_state *st)
{
	enum wf_action action = st->action;
	const char *noun = st->wf->noun;
	int rc;

	rc = admin_user_get(a, st->user, &st->u);
	if (rc == RG_ENOUSER && action == WF_ADD) {
		a->err[0] = '\0';
		return RG_OK;
	}
	if (rc != RG_OK)
		return rc;
	st->exists = 1;
	if (action == WF_ADD && admin_user_has(&st->u, st->wf->role))
		return admin_refuse(a, RG_EEXIST,
		                    "%s is already a%s %s of %s (holds %s)",
		                    st->user, noun[0] == 'a' ? "n" : "", noun,
		                    a->service, st->wf->role);
	if (action != WF_ADD && !admin_user_has(&st->u, st->wf->role))
		return admin_refuse(a, RG_ENOENT,
		                    "%s is not a%s %s of %s (does not hold %s)",
		                    st->user, noun[0] == 'a' ? "n" : "", noun,
		                    a->service, st->wf->role);
	return RG_OK;
}

static const admin_op wf_ops[] = {
    [WF_ADD] = wf_add_op,
    [WF_EDIT] = wf_edit_op,
    [WF_REMOVE] = wf_remove_op,
};

/* The transaction: what the directory holds now, then the change. */
static int wf_op(struct admin *a, void *data)
{
	struct wf_state *st = data;
	int rc = wf_prepare(a, st);

	return rc == RG_OK ? wf_ops[st->action](a, st) : rc;
}

static int run_workflow(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args, const struct workflow *wf,
                        enum wf_action action)
{
	struct wf_state st;
	struct admin a;
	int ret, rc;

	memset(&st, 0, sizeof(st));
	st.wf = wf;
	st.action = action;
	st.user = args->argv[1];
	if (wf->list >= 0 && args->val[wf->list]) {
		st.want = cli_split(
		    args->val[wf->list],
		    wf->list == CLI_VAL_UNITS ? "--units" : "--departments");
		if (!st.want)
			return CLI_EXIT_ERROR;
	}
	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret != CLI_EXIT_OK)
		goto out;
	/* The registry says whether the service has the role at all. */
	rc = admin_need_role(&a, wf->role);
	if (rc != RG_OK)
		ret = admin_fail(&a, rc);
	else
		ret = admin_run(&a, wf_op, &st);
out:
	admin_user_free(&st.u);
	cli_split_free(st.want);
	admin_close(&a);
	return ret;
}

int admin_cmd_manager_add(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args)
{
	return run_workflow(cli, cmd, args, &manager_wf, WF_ADD);
}

int admin_cmd_manager_remove(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args)
{
	return run_workflow(cli, cmd, args, &manager_wf, WF_REMOVE);
}

int admin_cmd_agent_add(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	return run_workflow(cli, cmd, args, &agent_wf, WF_ADD);
}

int admin_cmd_agent_edit(struct cli *cli, const struct cli_cmd *cmd,
                         const struct cli_args *args)
{
	if (!args->val[CLI_VAL_DEPARTMENTS] && !args->val[CLI_VAL_STATUS] &&
	    !args->val[CLI_VAL_MAX_CHATS])
		return cli_usage_error(cmd, "nothing to change: give "
		                            "--departments, --status or "
		                            "--max-chats");
	return run_workflow(cli, cmd, args, &agent_wf, WF_EDIT);
}

int admin_cmd_agent_remove(struct cli *cli, const struct cli_cmd *cmd,
                           const struct cli_args *args)
{
	return run_workflow(cli, cmd, args, &agent_wf, WF_REMOVE);
}

int admin_cmd_monitor_add(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args)
{
	return run_workflow(cli, cmd, args, &monitor_wf, WF_ADD);
}

int admin_cmd_monitor_remove(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args)
{
	return run_workflow(cli, cmd, args, &monitor_wf, WF_REMOVE);
}

/* ---- setting set ------------------------------------------------------- */

static int setting_op(struct admin *a, void *data)
{
	const char *key = a->args->argv[1];
	const char *value = admin_value(a->args->argv[2]);
	int rc;

	(void)data;
	rc = rg_setting_set(a->txn, key, value);
	if (rc != RG_OK)
		return rc;
	if (value)
		admin_note(a, "set %s to %s", key, value);
	else
		admin_note(a, "cleared %s", key);
	return RG_OK;
}

int admin_cmd_setting_set(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args)
{
	struct admin a;
	int ret;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret == CLI_EXIT_OK)
		ret = admin_run(&a, setting_op, NULL);
	admin_close(&a);
	return ret;
}
