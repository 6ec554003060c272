/*
 * workflows.c - the role workflows the service's plugins declare
 * (rolegate NOUN add, edit, remove, list), and rolegate setting set.
 *
 * A workflow is a role with what comes with it: adding a user assigns the
 * role (adding the user when the directory does not know it yet) and the
 * memberships and attributes given; removing takes the role away with the
 * memberships of the workflow's kind.  Each command is one transaction.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

enum wf_action { WF_ADD, WF_EDIT, WF_REMOVE };

/* A workflow command, and what it read inside its transaction. */
struct wf_state {
	const struct gen_verb *g;
	const rg_vocab_info *wf; /* g->what */
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
	return admin_user_members(&st->u, st->wf->kind);
}

/*
 * Adds the user to each of st->want it is not in yet; with replace, first
 * removes it from the others, so that its memberships are exactly st->want.
 */
static int set_members(struct admin *a, const struct wf_state *st, int replace)
{
	return admin_set_members(a, st->user, st->wf->kind, current_members(st),
	                         st->want, replace);
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
	return admin_set_user_attrs(a, st->g, st->user);
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
	return admin_set_user_attrs(a, st->g, st->user);
}

static int wf_remove_op(struct admin *a, void *data)
{
	struct wf_state *st = data;
	int rc;

	rc = rg_role_unassign(a->txn, st->user, st->wf->role);
	if (rc != RG_OK)
		return rc;
	admin_note(a, "unassigned %s from %s", st->wf->role, st->user);
	/* Every membership of the kind goes: none is wanted. */
	return admin_set_members(a, st->user, st->wf->kind, current_members(st),
	                         NULL, 1);
}

/*
 * Reads the user and checks what the action needs: for edit and remove the
 * user exists and holds the role; for add it does not hold it yet.
 * Returns RG_OK or the refusal (a->err says why).
 */
static int wf_prepare(struct admin *a, struct wf_state *st)
{
	enum wf_action action = st->action;
	const char *noun = st->wf->name;
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

/* The users holding the workflow's role, with its memberships and
 * attributes. */
struct wf_list {
	struct admin *a;
	const struct gen_verb *g;
	json_t *rows;
	int rc;
};

/* One row: id, name, the memberships, the attributes. */
static json_t *wf_row(const struct wf_list *l, const struct admin_user *u)
{
	json_t *row = json_pack("{s:o s:o}", "id", cli_jstr(u->info.id, 0),
	                        "name", cli_jstr(u->info.name, 0));
	size_t i;

	for (i = 0; row && i < l->g->nopt; i++) {
		const struct gen_opt *o = &l->g->opt[i];

		if (o->role == GEN_MEMBERS)
			json_object_set_new(
			    row, o->option,
			    admin_jlist(admin_user_members(u, o->decl.name)));
		else
			json_object_set_new(
			    row, o->decl.name,
			    rg_tool_value_json(
			        &o->decl, admin_user_attr(u, o->decl.name)));
	}
	return row;
}

static int wf_list_user(void *user, const rg_user_info *info)
{
	struct wf_list *l = user;
	struct admin_user u;

	memset(&u, 0, sizeof(u));
	l->rc = admin_user_get(l->a, info->id, &u);
	if (l->rc != RG_OK)
		return 1;
	if (admin_user_has(&u, l->g->what.role))
		json_array_append_new(l->rows, wf_row(l, &u));
	admin_user_free(&u);
	return 0;
}

static int wf_list_columns(struct admin *a, const struct gen_verb *g)
{
	const char *keys[GEN_OPTS_MAX + 2] = {"id", "name"};
	char heads[GEN_OPTS_MAX + 2][GEN_WORD_MAX], plural[GEN_WORD_MAX];
	const char *headp[GEN_OPTS_MAX + 2];
	struct wf_list l = {a, g, json_array(), RG_OK};
	size_t i, n = 2;
	int ret = CLI_EXIT_OK, rc;

	rc = l.rows ? rg_user_list(a->ctx, a->service, wf_list_user, &l)
	            : RG_ENOMEM;
	if (rc == RG_OK)
		rc = l.rc;
	if (rc != RG_OK) {
		json_decref(l.rows);
		return admin_fail(a, rc);
	}
	rg_tool_plural(g->what.name, plural, sizeof(plural));
	if (a->args->json) {
		gen_key(plural, heads[0], sizeof(heads[0]));
		ret = cli_json_print(json_pack("{s:s s:s s:O}", "service",
		                               a->service, "role", g->what.role,
		                               heads[0], l.rows),
		                     CLI_EXIT_OK);
		json_decref(l.rows);
		return ret;
	}
	gen_heading("user", heads[0], sizeof(heads[0]));
	gen_heading("name", heads[1], sizeof(heads[1]));
	for (i = 0; i < g->nopt && n < RG_COUNTOF(keys); i++, n++) {
		const struct gen_opt *o = &g->opt[i];

		keys[n] = o->role == GEN_MEMBERS ? o->option : o->decl.name;
		gen_heading(keys[n], heads[n], sizeof(heads[n]));
	}
	for (i = 0; i < n; i++)
		headp[i] = heads[i];
	admin_print_table(l.rows, keys, headp, n);
	json_decref(l.rows);
	return ret;
}

/* The columns of a workflow's list: what its add and edit set. */
static int wf_list(struct admin *a, const struct gen_verb *verb)
{
	struct gen_verb *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return admin_fail(a, RG_ENOMEM);
	/* Resolved for its options only: a workflow may have no edit. */
	gen_resolve(g, a->svc, verb->what.name, "edit");
	ret = wf_list_columns(a, g);
	free(g);
	return ret;
}

/* 1 when the membership list given splits (else cli_split said why). */
static int split_want(struct wf_state *st)
{
	const struct gen_opt *o = gen_find(st->g, GEN_MEMBERS, NULL);

	if (!o || !o->value)
		return 1;
	st->want = cli_split(o->value, o->option);
	return st->want != NULL;
}

int admin_workflow_run(struct admin *a, const struct gen_verb *g)
{
	char opts[GEN_WORD_MAX * GEN_OPTS_MAX];
	struct wf_state st;
	int ret, rc;

	if (strcmp(g->verb, "list") == 0)
		return wf_list(a, g);
	memset(&st, 0, sizeof(st));
	st.g = g;
	st.wf = &g->what;
	st.user = a->args->argv[1];
	st.action = strcmp(g->verb, "add") == 0    ? WF_ADD
	            : strcmp(g->verb, "edit") == 0 ? WF_EDIT
	                                           : WF_REMOVE;
	if (st.action == WF_EDIT && !gen_any(g)) {
		gen_options_text(g, opts, sizeof(opts));
		return cli_usage_error(a->cmd, "nothing to change: give %s",
		                       opts);
	}
	if (!split_want(&st))
		return CLI_EXIT_ERROR;
	/* The registry says whether the service has the role at all. */
	rc = admin_need_role(a, st.wf->role, st.wf->name);
	if (rc != RG_OK)
		ret = admin_fail(a, rc);
	else
		ret = admin_run(a, wf_op, &st);
	admin_user_free(&st.u);
	cli_split_free(st.want);
	return ret;
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
