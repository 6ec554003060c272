/*
 * organisation.c - organisation entries: rolegate department and unit
 * (Rocket.Chat) and bu (Dynamics 365 business units).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

/* How deep a business-unit tree is printed; deeper means a broken tree. */
#define BU_DEPTH_MAX 64

/* Sets one attribute of an entry from an option ("" clears it). */
static int org_set(struct admin *a, const char *kind, const char *name,
                   const char *attr, const char *option)
{
	const char *value = admin_value(option);
	int rc = rg_org_set(a->txn, kind, name, attr, value);

	if (rc != RG_OK)
		return rc;
	if (value)
		admin_note(a, "set %s of %s %s to %s", attr, kind, name, value);
	else
		admin_note(a, "cleared %s of %s %s", attr, kind, name);
	return RG_OK;
}

static int org_remove_op(struct admin *a, void *data)
{
	const char *kind = data;
	const char *name = a->args->argv[1];
	int rc = rg_org_remove(a->txn, kind, name);

	if (rc == RG_OK)
		admin_note(a, "removed %s %s", kind, name);
	return rc;
}

/* Runs op on the service named by the first argument. */
static int run_org(struct cli *cli, const struct cli_cmd *cmd,
                   const struct cli_args *args, admin_op op, void *data)
{
	struct admin a;
	int ret;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret == CLI_EXIT_OK)
		ret = admin_run(&a, op, data);
	admin_close(&a);
	return ret;
}

/* Collects every entry of a kind as JSON objects. */
static int collect_org(void *user, const rg_org_info *o)
{
	json_t *arr = user;

	return json_array_append_new(
	           arr,
	           json_pack("{s:o s:o s:o s:I}", "name", cli_jstr(o->name, 0),
	                     "parent", cli_jstr(o->parent, 1), "max_chats",
	                     o->max_chats >= 0 ? json_integer(o->max_chats)
	                                       : json_null(),
	                     "members", (json_int_t)o->members)) != 0;
}

/* The entries of one kind of a->service, or NULL after saying why. */
static json_t *org_entries(struct admin *a, const char *kind, int *ret)
{
	json_t *arr = json_array();
	int rc;

	if (!arr) {
		cli_error("out of memory");
		*ret = CLI_EXIT_ERROR;
		return NULL;
	}
	rc = rg_org_list(a->ctx, a->service, kind, collect_org, arr);
	if (rc != RG_OK) {
		json_decref(arr);
		*ret = admin_fail(a, rc);
		return NULL;
	}
	return arr;
}

/* ---- department -------------------------------------------------------- */

static int department_add_op(struct admin *a, void *data)
{
	const char *name = a->args->argv[1];
	const char *unit = admin_value(a->args->val[CLI_VAL_UNIT]);
	const char *max_chats = a->args->val[CLI_VAL_MAX_CHATS];
	int rc;

	(void)data;
	rc = rg_org_add(a->txn, RG_ORG_DEPARTMENT, name, unit);
	if (rc != RG_OK)
		return rc;
	if (unit)
		admin_note(a, "added department %s in unit %s", name, unit);
	else
		admin_note(a, "added department %s", name);
	if (max_chats)
		return org_set(a, RG_ORG_DEPARTMENT, name, "max_chats",
		               max_chats);
	return RG_OK;
}

int admin_cmd_department_add(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args)
{
	return run_org(cli, cmd, args, department_add_op, NULL);
}

static int department_edit_op(struct admin *a, void *data)
{
	const char *name = a->args->argv[1];
	const char *unit = a->args->val[CLI_VAL_UNIT];
	const char *max_chats = a->args->val[CLI_VAL_MAX_CHATS];
	int rc = RG_OK;

	(void)data;
	if (unit)
		rc = org_set(a, RG_ORG_DEPARTMENT, name, "unit", unit);
	if (rc == RG_OK && max_chats)
		rc =
		    org_set(a, RG_ORG_DEPARTMENT, name, "max_chats", max_chats);
	return rc;
}

int admin_cmd_department_edit(struct cli *cli, const struct cli_cmd *cmd,
                              const struct cli_args *args)
{
	if (!args->val[CLI_VAL_UNIT] && !args->val[CLI_VAL_MAX_CHATS])
		return cli_usage_error(cmd, "nothing to change: give --unit "
		                            "or --max-chats");
	return run_org(cli, cmd, args, department_edit_op, NULL);
}

int admin_cmd_department_remove(struct cli *cli, const struct cli_cmd *cmd,
                                const struct cli_args *args)
{
	return run_org(cli, cmd, args, org_remove_op, RG_ORG_DEPARTMENT);
}

int admin_cmd_department_list(struct cli *cli, const struct cli_cmd *cmd,
                              const struct cli_args *args)
{
	static const char *const keys[] = {"name", "unit", "max_chats",
	                                   "agents"};
	static const char *const headings[] = {"DEPARTMENT", "UNIT",
	                                       "MAX CHATS", "AGENTS"};
	json_t *arr = NULL, *rows = NULL;
	struct admin a;
	size_t i;
	int ret;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret == CLI_EXIT_OK)
		arr = org_entries(&a, RG_ORG_DEPARTMENT, &ret);
	if (!arr)
		goto out;
	rows = json_array();
	for (i = 0; rows && i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);

		json_array_append_new(
		    rows, json_pack("{s:O s:O s:O s:O}", "name",
		                    json_object_get(o, "name"), "unit",
		                    json_object_get(o, "parent"), "max_chats",
		                    json_object_get(o, "max_chats"), "agents",
		                    json_object_get(o, "members")));
	}
	if (args->json)
		ret = cli_json_print(json_pack("{s:s s:O}", "service",
		                               a.service, "departments", rows),
		                     CLI_EXIT_OK);
	else if (rows)
		admin_print_table(rows, keys, headings, RG_COUNTOF(keys));
out:
	json_decref(arr);
	json_decref(rows);
	admin_close(&a);
	return ret;
}

/* ---- unit -------------------------------------------------------------- */

static int unit_add_op(struct admin *a, void *data)
{
	char **departments = data;
	const char *name = a->args->argv[1];
	size_t i;
	int rc;

	rc = rg_org_add(a->txn, RG_ORG_UNIT, name, NULL);
	if (rc != RG_OK)
		return rc;
	admin_note(a, "added unit %s", name);
	for (i = 0; departments && departments[i]; i++) {
		rc =
		    org_set(a, RG_ORG_DEPARTMENT, departments[i], "unit", name);
		if (rc != RG_OK)
			return rc;
	}
	return RG_OK;
}

int admin_cmd_unit_add(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args)
{
	char **departments = NULL;
	int ret;

	if (args->val[CLI_VAL_DEPARTMENTS]) {
		departments =
		    cli_split(args->val[CLI_VAL_DEPARTMENTS], "--departments");
		if (!departments)
			return CLI_EXIT_ERROR;
	}
	ret = run_org(cli, cmd, args, unit_add_op, departments);
	cli_split_free(departments);
	return ret;
}

int admin_cmd_unit_remove(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args)
{
	return run_org(cli, cmd, args, org_remove_op, RG_ORG_UNIT);
}

/* The names of the departments in unit, as a JSON array. */
static json_t *unit_departments(const json_t *departments, const char *unit)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < json_array_size(departments); i++) {
		const json_t *d = json_array_get(departments, i);
		const char *parent =
		    json_string_value(json_object_get(d, "parent"));

		if (parent && strcmp(parent, unit) == 0)
			json_array_append(arr, json_object_get(d, "name"));
	}
	return arr;
}

int admin_cmd_unit_list(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	static const char *const keys[] = {"name", "departments", "monitors"};
	static const char *const headings[] = {"UNIT", "DEPARTMENTS",
	                                       "MONITORS"};
	json_t *units = NULL, *departments = NULL, *rows = NULL;
	struct admin a;
	size_t i;
	int ret;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret == CLI_EXIT_OK)
		units = org_entries(&a, RG_ORG_UNIT, &ret);
	if (units)
		departments = org_entries(&a, RG_ORG_DEPARTMENT, &ret);
	if (!departments)
		goto out;
	rows = json_array();
	for (i = 0; rows && i < json_array_size(units); i++) {
		const json_t *u = json_array_get(units, i);
		const char *name =
		    json_string_value(json_object_get(u, "name"));

		json_array_append_new(
		    rows, json_pack("{s:O s:o s:O}", "name",
		                    json_object_get(u, "name"), "departments",
		                    unit_departments(departments, name),
		                    "monitors", json_object_get(u, "members")));
	}
	if (args->json)
		ret = cli_json_print(
		    json_pack("{s:s s:O}", "service", a.service, "units", rows),
		    CLI_EXIT_OK);
	else if (rows)
		admin_print_table(rows, keys, headings, RG_COUNTOF(keys));
out:
	json_decref(units);
	json_decref(departments);
	json_decref(rows);
	admin_close(&a);
	return ret;
}

/* ---- bu ---------------------------------------------------------------- */

static int bu_add_op(struct admin *a, void *data)
{
	const char *name = a->args->argv[1];
	const char *parent = admin_value(a->args->val[CLI_VAL_PARENT]);
	int rc;

	(void)data;
	rc = rg_org_add(a->txn, RG_ORG_BU, name, parent);
	if (rc != RG_OK)
		return rc;
	if (parent)
		admin_note(a, "added business unit %s under %s", name, parent);
	else
		admin_note(a, "added business unit %s (the root)", name);
	return RG_OK;
}

int admin_cmd_bu_add(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args)
{
	return run_org(cli, cmd, args, bu_add_op, NULL);
}

static int bu_move_op(struct admin *a, void *data)
{
	const char *name = a->args->argv[1];
	const char *parent = a->args->argv[2];
	int rc;

	(void)data;
	rc = rg_org_set(a->txn, RG_ORG_BU, name, "parent", parent);
	if (rc == RG_OK)
		admin_note(a, "moved business unit %s under %s", name, parent);
	return rc;
}

int admin_cmd_bu_move(struct cli *cli, const struct cli_cmd *cmd,
                      const struct cli_args *args)
{
	if (!*args->argv[2])
		return cli_usage_error(cmd, "empty parent: a business unit "
		                            "moves under another one");
	return run_org(cli, cmd, args, bu_move_op, NULL);
}

int admin_cmd_bu_remove(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	return run_org(cli, cmd, args, org_remove_op, RG_ORG_BU);
}

/* 1 when entry's parent is parent (NULL: a root). */
static int child_of(const json_t *entry, const char *parent)
{
	const char *p = json_string_value(json_object_get(entry, "parent"));

	if (!parent)
		return p == NULL;
	return p && strcmp(p, parent) == 0;
}

/* Prints the units under parent, indented by depth. */
static void print_bu_tree(const json_t *units, const char *parent, int depth)
{
	size_t i;

	if (depth >= BU_DEPTH_MAX)
		return;
	for (i = 0; i < json_array_size(units); i++) {
		const json_t *u = json_array_get(units, i);
		const char *name =
		    json_string_value(json_object_get(u, "name"));
		json_int_t users =
		    json_integer_value(json_object_get(u, "members"));

		if (!child_of(u, parent))
			continue;
		printf("%*s%s", depth * 2, "", name);
		if (users)
			printf(" (%" JSON_INTEGER_FORMAT " user%s)", users,
			       users == 1 ? "" : "s");
		putchar('\n');
		print_bu_tree(units, name, depth + 1);
	}
}

int admin_cmd_bu_list(struct cli *cli, const struct cli_cmd *cmd,
                      const struct cli_args *args)
{
	json_t *units = NULL, *rows = NULL;
	struct admin a;
	size_t i;
	int ret;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret == CLI_EXIT_OK)
		units = org_entries(&a, RG_ORG_BU, &ret);
	if (!units)
		goto out;
	if (!args->json) {
		if (json_array_size(units) == 0)
			puts("no business units");
		print_bu_tree(units, NULL, 0);
		goto out;
	}
	rows = json_array();
	for (i = 0; rows && i < json_array_size(units); i++) {
		const json_t *u = json_array_get(units, i);

		json_array_append_new(
		    rows, json_pack("{s:O s:O s:O}", "name",
		                    json_object_get(u, "name"), "parent",
		                    json_object_get(u, "parent"), "users",
		                    json_object_get(u, "members")));
	}
	ret = cli_json_print(json_pack("{s:s s:O}", "service", a.service,
	                               "business_units", rows),
	                     CLI_EXIT_OK);
out:
	json_decref(units);
	json_decref(rows);
	admin_close(&a);
	return ret;
}
