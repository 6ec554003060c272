/*
 * users.c - rolegate user add, edit, remove, show and list; assign and
 * unassign.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

/* ---- user add, edit, remove -------------------------------------------- */

/* user add and user edit: the service's user attributes, and the
 * memberships no workflow edits, as options. */
struct user_change {
	const char *id;
	struct gen_verb g;
};

/* Opens the service, takes the attribute options and runs op. */
static int run_user_change(struct cli *cli, const struct cli_cmd *cmd,
                           const struct cli_args *args, admin_op op,
                           int need_one)
{
	struct user_change *c = calloc(1, sizeof(*c));
	char opts[GEN_WORD_MAX * GEN_OPTS_MAX];
	struct admin a;
	int ret, rc;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret != CLI_EXIT_OK || !c) {
		ret = c ? ret : admin_fail(&a, RG_ENOMEM);
		goto out;
	}
	c->id = args->argv[1];
	gen_user_opts(&c->g, a.svc);
	rc = gen_take(&a, &c->g, cmd->name);
	if (rc != RG_OK) {
		ret = admin_fail(&a, rc);
	} else if (need_one && !gen_any(&c->g) && !args->val[CLI_VAL_NAME]) {
		gen_options_text(&c->g, opts, sizeof(opts));
		ret = cli_usage_error(cmd, "nothing to change: give --name%s%s",
		                      *opts ? " or " : "", opts);
	} else {
		ret = admin_run(&a, op, c);
	}
out:
	free(c);
	admin_close(&a);
	return ret;
}

/* Copies the memberships of one kind out of a user's record. */
struct user_kind {
	const char *kind;
	char **names;
};

static int copy_members(void *user, const rg_user_info *info)
{
	struct user_kind *k = user;

	k->names = admin_split(rg_user_info_members(info, k->kind));
	return 0;
}

/* The user's memberships of kind now, into *out (free with
 * cli_split_free()). */
static int user_members(struct admin *a, const char *id, const char *kind,
                        char ***out)
{
	struct user_kind k = {kind, NULL};
	int rc = rg_user_get(a->ctx, a->service, id, copy_members, &k);

	*out = k.names;
	if (rc == RG_ENOUSER)
		return admin_refuse(a, rc, "unknown user '%s' in service '%s'",
		                    id, a->service);
	if (rc == RG_OK && !k.names)
		rc = RG_ENOMEM;
	return rc;
}

/*
 * The membership options given (user add; user edit with replace: the
 * entries given replace the user's memberships of their kind).
 */
static int user_set_members(struct admin *a, const struct user_change *c,
                            int replace)
{
	char **cur, **want;
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < c->g.nopt; i++) {
		const struct gen_opt *o = &c->g.opt[i];

		if (o->role != GEN_MEMBERS || !o->value)
			continue;
		cur = NULL;
		/* cli_split() says why a list does not split. */
		want = cli_split(o->value, o->option);
		if (!want)
			rc = admin_refuse(a, RG_EINVAL, "--%s: not changed",
			                  o->option);
		else if (replace)
			rc = user_members(a, c->id, o->decl.name, &cur);
		if (rc == RG_OK)
			rc = admin_set_members(a, c->id, o->decl.name, cur,
			                       want, replace);
		cli_split_free(cur);
		cli_split_free(want);
	}
	return rc;
}

static int user_add_op(struct admin *a, void *data)
{
	const struct user_change *c = data;
	const char *name = admin_value(a->args->val[CLI_VAL_NAME]);
	int rc = rg_user_add(a->txn, c->id, name);

	if (rc != RG_OK)
		return rc;
	admin_note(a, "added user %s", c->id);
	rc = admin_set_user_attrs(a, &c->g, c->id);
	return rc == RG_OK ? user_set_members(a, c, 0) : rc;
}

int admin_cmd_user_add(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args)
{
	return run_user_change(cli, cmd, args, user_add_op, 0);
}

static int user_edit_op(struct admin *a, void *data)
{
	const struct user_change *c = data;
	const char *name = a->args->val[CLI_VAL_NAME];
	int rc = RG_OK;

	if (name)
		rc = admin_set_user_attr(a, c->id, RG_USER_NAME, name);
	if (rc == RG_OK)
		rc = admin_set_user_attrs(a, &c->g, c->id);
	return rc == RG_OK ? user_set_members(a, c, 1) : rc;
}

int admin_cmd_user_edit(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	return run_user_change(cli, cmd, args, user_edit_op, 1);
}

static int user_remove_op(struct admin *a, void *data)
{
	int rc = rg_user_remove(a->txn, data);

	if (rc == RG_OK)
		admin_note(a, "removed user %s", (const char *)data);
	return rc;
}

int admin_cmd_user_remove(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args)
{
	struct admin a;
	int ret;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret == CLI_EXIT_OK)
		ret = admin_run(&a, user_remove_op, args->argv[1]);
	admin_close(&a);
	return ret;
}

/* ---- user show, list --------------------------------------------------- */

/*
 * id, name and roles (service: when not NULL, first), then the attributes
 * and memberships of view: rg_tool_view_context()'s, so that every user
 * has the same members whatever its service; typed as svc declares them.
 */
static json_t *user_json(const struct admin_user *u, const char *service,
                         const rg_service *svc, const struct rg_tool_view *view)
{
	json_t *obj = service
	                  ? json_pack("{s:o}", "service", cli_jstr(service, 0))
	                  : json_object();

	if (!obj)
		return NULL;
	if (json_object_set_new(obj, "id", cli_jstr(u->info.id, 0)) ||
	    json_object_set_new(obj, "name", cli_jstr(u->info.name, 0)) ||
	    json_object_set_new(obj, "roles", admin_jlist(u->roles)) ||
	    rg_tool_user_attrs(obj, view, svc, &u->info) != RG_OK ||
	    rg_tool_user_members(obj, view, &u->info) != RG_OK) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* The view of every service of a->ctx, or NULL after saying why. */
static struct rg_tool_view *context_view(struct admin *a, int *ret)
{
	struct rg_tool_view *view = calloc(1, sizeof(*view));

	if (view)
		rg_tool_view_context(view, a->ctx);
	else
		*ret = admin_fail(a, RG_ENOMEM);
	return view;
}

/* What a user of a service has besides its roles, as its plugins
 * declare it (rg_tool_view_service()), with the words the text shows:
 * an attribute's label, a kind's noun in the plural. */
struct user_view {
	struct rg_tool_view fields;
	char attr_label[RG_TOOL_VIEW_MAX][GEN_WORD_MAX];
	char kind_label[RG_TOOL_VIEW_MAX][GEN_WORD_MAX];
};

/* An attribute's label: the noun of the kind it names, else its name. */
static void attr_label(char *label, const rg_service *svc,
                       const rg_vocab_info *attr)
{
	rg_vocab_info ref;

	if (attr->type == RG_ATTR_REF && gen_kind(svc, attr->ref, &ref))
		snprintf(label, GEN_WORD_MAX, "%s", ref.noun);
	else
		gen_key(attr->name, label, GEN_WORD_MAX);
	/* "max_chats" reads "max chats" */
	for (; *label; label++)
		if (*label == '_')
			*label = ' ';
}

static void user_view(struct user_view *v, const rg_service *svc)
{
	size_t i;

	rg_tool_view_service(&v->fields, svc);
	for (i = 0; i < v->fields.nattrs; i++)
		attr_label(v->attr_label[i], svc, &v->fields.attr[i].decl);
	for (i = 0; i < v->fields.nkinds; i++)
		rg_tool_plural(v->fields.kind[i].decl.noun, v->kind_label[i],
		               sizeof(v->kind_label[i]));
}

static void print_field_list(const char *label, char **items)
{
	printf("%s: ", label);
	cli_print_list((const char *const *)items, "-");
	putchar('\n');
}

static void print_user(const struct admin_user *u, const char *service,
                       const struct user_view *v)
{
	size_t i;

	printf("user: %s\nname: %s\nservice: %s\n", u->info.id, u->info.name,
	       service);
	print_field_list("roles", u->roles);
	for (i = 0; i < v->fields.nattrs; i++) {
		const char *value =
		    admin_user_attr(u, v->fields.attr[i].decl.name);

		printf("%s: %s\n", v->attr_label[i],
		       value && *value ? value : "-");
	}
	for (i = 0; i < v->fields.nkinds; i++)
		print_field_list(
		    v->kind_label[i],
		    admin_user_members(u, v->fields.kind[i].decl.name));
}

/* The user's unmet prerequisites, as a JSON array; NULL on error. */
static json_t *prerequisites(struct admin *a, const char *id, int *status)
{
	rg_validation *v = calloc(1, sizeof(*v));
	rg_subject subject = {.user = id};
	json_t *arr = json_array();
	size_t i, n;

	*status =
	    v && arr ? rg_validate(a->ctx, a->service, &subject, v) : RG_ENOMEM;
	n = v && v->nmissing < RG_VALIDATE_MAX ? v->nmissing : RG_VALIDATE_MAX;
	for (i = 0; *status == RG_OK && arr && i < n; i++)
		json_array_append_new(
		    arr, json_pack("{s:o s:o s:o}", "role",
		                   cli_jstr(v->missing[i].role, 0), "requires",
		                   cli_jstr(v->missing[i].missing, 0), "plugin",
		                   cli_jstr(v->missing[i].plugin, 1)));
	free(v);
	return arr;
}

static void print_prerequisites(const char *id, const json_t *missing,
                                int status)
{
	size_t i;

	if (status != RG_OK) {
		printf("prerequisites: not checked (%s)\n",
		       rg_strerror(status));
		return;
	}
	if (json_array_size(missing) == 0) {
		puts("prerequisites: ok");
		return;
	}
	for (i = 0; i < json_array_size(missing); i++) {
		const json_t *m = json_array_get(missing, i);

		printf("warning: %s lacks %s, required by %s\n", id,
		       json_string_value(json_object_get(m, "requires")),
		       json_string_value(json_object_get(m, "role")));
	}
}

/* user show --json: the user with its prerequisites. */
static int show_json(struct admin *a, const struct admin_user *u,
                     json_t *missing, int status)
{
	int ret = CLI_EXIT_OK;
	struct rg_tool_view *view = context_view(a, &ret);
	json_t *obj;

	if (!view)
		return ret;
	obj = user_json(u, a->service, a->svc, view);
	free(view);
	if (obj)
		json_object_set_new(
		    obj, "prerequisites",
		    json_pack("{s:b s:s s:O}", "ok",
		              status == RG_OK && json_array_size(missing) == 0,
		              "status", rg_status_name(status), "missing",
		              missing));
	return cli_json_print(obj, CLI_EXIT_OK);
}

int admin_cmd_user_show(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	const char *id = args->argv[1];
	struct admin_user u;
	struct admin a;
	json_t *missing = NULL;
	int ret, rc, status;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret != CLI_EXIT_OK)
		goto out;
	rc = admin_user_get(&a, id, &u);
	if (rc != RG_OK) {
		ret = admin_fail(&a, rc);
		goto out;
	}
	missing = prerequisites(&a, id, &status);
	if (args->json) {
		ret = show_json(&a, &u, missing, status);
	} else {
		struct user_view *v = calloc(1, sizeof(*v));

		if (v)
			user_view(v, a.svc);
		if (v)
			print_user(&u, a.service, v);
		free(v);
		print_prerequisites(id, missing, status);
	}
	admin_user_free(&u);
out:
	json_decref(missing);
	admin_close(&a);
	return ret;
}

/* user list: each user as JSON, with every user's members (view). */
struct user_rows {
	json_t *arr;
	const rg_service *svc;
	const struct rg_tool_view *view;
};

static int collect_user(void *user, const rg_user_info *info)
{
	const struct user_rows *rows = user;
	struct admin_user u;
	int rc = admin_user_copy(&u, info);

	if (rc != RG_OK)
		return 1;
	rc = json_array_append_new(rows->arr,
	                           user_json(&u, NULL, rows->svc, rows->view));
	admin_user_free(&u);
	return rc != 0;
}

/* The columns of user list: id, name, the declared attributes, roles,
 * the memberships. */
static size_t user_columns(const struct user_view *v, const char **keys,
                           char (*heads)[GEN_WORD_MAX], size_t max)
{
	size_t i, n = 0;

	keys[n] = "id";
	gen_heading("user", heads[n++], GEN_WORD_MAX);
	keys[n] = "name";
	gen_heading("name", heads[n++], GEN_WORD_MAX);
	for (i = 0; i < v->fields.nattrs && n + 1 < max; i++) {
		keys[n] = v->fields.attr[i].key;
		gen_heading(keys[n], heads[n], GEN_WORD_MAX);
		n++;
	}
	keys[n] = "roles";
	gen_heading("roles", heads[n++], GEN_WORD_MAX);
	for (i = 0; i < v->fields.nkinds && n < max; i++) {
		keys[n] = v->fields.kind[i].key;
		gen_heading(keys[n], heads[n], GEN_WORD_MAX);
		n++;
	}
	return n;
}

static void print_users(const json_t *arr, const rg_service *svc)
{
	struct user_view *v = calloc(1, sizeof(*v));
	const char *keys[2 * RG_TOOL_VIEW_MAX + 3];
	const char *headp[RG_COUNTOF(keys)];
	char(*heads)[GEN_WORD_MAX] = calloc(RG_COUNTOF(keys), GEN_WORD_MAX);
	size_t i, n = 0;

	if (v && heads) {
		user_view(v, svc);
		n = user_columns(v, keys, heads, RG_COUNTOF(keys));
		for (i = 0; i < n; i++)
			headp[i] = heads[i];
		admin_print_table(arr, keys, headp, n);
	}
	free(heads);
	free(v);
}

int admin_cmd_user_list(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	struct user_rows rows = {json_array(), NULL, NULL};
	struct rg_tool_view *view = NULL;
	struct admin a;
	int ret, rc;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret != CLI_EXIT_OK || !rows.arr)
		goto out;
	view = context_view(&a, &ret);
	if (!view)
		goto out;
	rows.svc = a.svc;
	rows.view = view;
	rc = rg_user_list(a.ctx, a.service, collect_user, &rows);
	if (rc != RG_OK) {
		ret = admin_fail(&a, rc);
		goto out;
	}
	if (args->json) {
		ret = cli_json_print(json_pack("{s:s s:O}", "service",
		                               a.service, "users", rows.arr),
		                     CLI_EXIT_OK);
		goto out;
	}
	print_users(rows.arr, a.svc);
out:
	free(view);
	json_decref(rows.arr);
	admin_close(&a);
	return ret;
}

/* ---- assign, unassign -------------------------------------------------- */

static int assign_op(struct admin *a, void *data)
{
	const char *user = a->args->argv[1];
	unsigned flags = a->args->strict ? RG_ASSIGN_STRICT : 0;
	int i, rc;

	(void)data;
	for (i = 2; i < a->args->argc; i++) {
		rc = rg_role_assign(a->txn, user, a->args->argv[i], flags);
		if (rc != RG_OK)
			return rc;
		admin_note(a, "assigned %s to %s", a->args->argv[i], user);
	}
	return RG_OK;
}

static int unassign_op(struct admin *a, void *data)
{
	const char *user = a->args->argv[1];
	int i, rc;

	(void)data;
	for (i = 2; i < a->args->argc; i++) {
		rc = rg_role_unassign(a->txn, user, a->args->argv[i]);
		if (rc != RG_OK)
			return rc;
		admin_note(a, "unassigned %s from %s", a->args->argv[i], user);
	}
	return RG_OK;
}

int admin_cmd_assign(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args)
{
	return admin_run_simple(cli, cmd, args, assign_op);
}

int admin_cmd_unassign(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args)
{
	return admin_run_simple(cli, cmd, args, unassign_op);
}
