/*
 * users.c - rolegate user add, edit, remove, show and list; assign and
 * unassign.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

/* ---- user add, edit, remove -------------------------------------------- */

/* user add and user edit: the service's user attributes as options. */
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

static int user_add_op(struct admin *a, void *data)
{
	const struct user_change *c = data;
	const char *name = admin_value(a->args->val[CLI_VAL_NAME]);
	int rc = rg_user_add(a->txn, c->id, name);

	if (rc != RG_OK)
		return rc;
	admin_note(a, "added user %s", c->id);
	return admin_set_user_attrs(a, &c->g, c->id);
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
	return rc == RG_OK ? admin_set_user_attrs(a, &c->g, c->id) : rc;
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

static json_t *user_json(const struct admin_user *u, const char *service)
{
	return json_pack(
	    "{s:o s:o s:o s:o s:o s:o s:o s:o s:o}", "service",
	    cli_jstr(service, 0), "id", cli_jstr(u->id, 0), "name",
	    cli_jstr(u->name, 0), "roles", admin_jlist(u->roles), "bu",
	    cli_jstr(u->bu, 1), "status", cli_jstr(u->status, 1), "max_chats",
	    u->max_chats >= 0 ? json_integer(u->max_chats) : json_null(),
	    "departments", admin_jlist(u->departments), "units",
	    admin_jlist(u->units));
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void print_field_list(const char *label, char **items)
{
	printf("%s: ", label);
	cli_print_list((const char *const *)items, "-");
	putchar('\n');
}

static void print_user(const struct admin_user *u, const char *service)
{
	printf("user: %s\nname: %s\nservice: %s\n", u->id, u->name, service);
	print_field_list("roles", u->roles);
	printf("business unit: %s\nstatus: %s\n", or_dash(u->bu),
	       or_dash(u->status));
	if (u->max_chats >= 0)
		printf("max chats: %ld\n", u->max_chats);
	else
		puts("max chats: -");
	print_field_list("departments", u->departments);
	print_field_list("units", u->units);
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

int admin_cmd_user_show(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	const char *id = args->argv[1];
	struct admin_user u;
	struct admin a;
	json_t *missing = NULL, *obj;
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
		obj = user_json(&u, a.service);
		if (obj)
			json_object_set_new(
			    obj, "prerequisites",
			    json_pack("{s:b s:s s:O}", "ok",
			              status == RG_OK &&
			                  json_array_size(missing) == 0,
			              "status", rg_status_name(status),
			              "missing", missing));
		ret = cli_json_print(obj, CLI_EXIT_OK);
	} else {
		print_user(&u, a.service);
		print_prerequisites(id, missing, status);
	}
	admin_user_free(&u);
out:
	json_decref(missing);
	admin_close(&a);
	return ret;
}

static int collect_user(void *user, const rg_user_info *info)
{
	json_t *arr = user;
	json_t *roles, *departments, *units;
	char **r = admin_split(info->roles);
	char **d = admin_split(info->departments);
	char **n = admin_split(info->units);

	roles = admin_jlist(r);
	departments = admin_jlist(d);
	units = admin_jlist(n);
	cli_split_free(r);
	cli_split_free(d);
	cli_split_free(n);
	return json_array_append_new(
	           arr,
	           json_pack(
	               "{s:o s:o s:o s:o s:o s:o s:o s:o}", "id",
	               cli_jstr(info->id, 0), "name", cli_jstr(info->name, 0),
	               "roles", roles, "bu", cli_jstr(info->bu, 1), "status",
	               cli_jstr(info->status, 1), "max_chats",
	               info->max_chats >= 0 ? json_integer(info->max_chats)
	                                    : json_null(),
	               "departments", departments, "units", units)) != 0;
}

int admin_cmd_user_list(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	static const char *const keys[] = {"id",          "name",      "bu",
	                                   "status",      "max_chats", "roles",
	                                   "departments", "units"};
	static const char *const headings[] = {"USER",        "NAME", "BU",
	                                       "STATUS",      "MAX",  "ROLES",
	                                       "DEPARTMENTS", "UNITS"};
	struct admin a;
	json_t *arr = json_array();
	int ret, rc;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret != CLI_EXIT_OK || !arr)
		goto out;
	rc = rg_user_list(a.ctx, a.service, collect_user, arr);
	if (rc != RG_OK) {
		ret = admin_fail(&a, rc);
		goto out;
	}
	if (args->json) {
		ret = cli_json_print(
		    json_pack("{s:s s:O}", "service", a.service, "users", arr),
		    CLI_EXIT_OK);
		goto out;
	}
	admin_print_table(arr, keys, headings, RG_COUNTOF(keys));
out:
	json_decref(arr);
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
