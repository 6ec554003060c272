/*
 * roles.c - custom roles: rolegate role create, delete and show.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

/* ---- role create, delete, show ----------------------------------------- */

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static int role_create_op(struct admin *a, void *data)
{
	const char *id = a->args->argv[1];
	const char *desc = a->args->val[CLI_VAL_DESCRIPTION];
	size_t n = (size_t)a->args->argc - 2;
	int rc;

	(void)data;
	rc = rg_custom_role_create(a->txn, id, a->args->val[CLI_VAL_NAME],
	                           desc ? desc : "",
	                           (const char *const *)a->args->argv + 2, n);
	if (rc == RG_OK)
		admin_note(a, "created role %s (%s) with %zu %s", id,
		           a->args->val[CLI_VAL_NAME], n,
		           plural(n, "privilege", "privileges"));
	return rc;
}

int admin_cmd_role_create(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args)
{
	if (!args->val[CLI_VAL_NAME] || !*args->val[CLI_VAL_NAME])
		return cli_usage_error(cmd, "--name NAME is required");
	return admin_run_simple(cli, cmd, args, role_create_op);
}

static int role_delete_op(struct admin *a, void *data)
{
	const char *id = a->args->argv[1];
	size_t unassigned = 0;
	int rc;

	(void)data;
	rc = rg_custom_role_delete(a->txn, id, a->args->force, &unassigned);
	if (rc != RG_OK)
		return rc;
	admin_note(a, "deleted role %s", id);
	if (a->args->force)
		admin_note(a, "unassigned %s from %zu %s", id, unassigned,
		           plural(unassigned, "user", "users"));
	json_object_set_new(a->extra, "unassigned",
	                    json_integer((json_int_t)unassigned));
	return RG_OK;
}

int admin_cmd_role_delete(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args)
{
	return admin_run_simple(cli, cmd, args, role_delete_op);
}

static int copy_custom_role(void *user, const rg_custom_role_info *r)
{
	json_t **out = user;
	char **privs = admin_split(r->privileges);

	*out = json_pack(
	    "{s:o s:o s:o s:s s:o s:o s:o s:I}", "id", cli_jstr(r->id, 0),
	    "name", cli_jstr(r->name, 0), "description",
	    cli_jstr(r->description, 0), "kind", "custom", "flags",
	    json_pack("[s]", "custom"), "plugin", json_null(), "privileges",
	    admin_jlist(privs), "holders", (json_int_t)r->assigned);
	cli_split_free(privs);
	return 1;
}

/* A role the service's plugins declare, as the same JSON as a custom one. */
static json_t *builtin_role_json(struct admin *a, size_t i)
{
	size_t p, n = rg_privilege_count(a->svc);
	json_t *privs = json_array(), *flags = json_array();
	const char **prereqs = cli_role_prereqs(a->svc, i);
	long holders;
	rg_role_info ri;
	json_t *obj;

	if (rg_role_at(a->svc, i, &ri) != RG_OK || !privs || !flags ||
	    !prereqs) {
		json_decref(privs);
		json_decref(flags);
		free(prereqs);
		return NULL;
	}
	for (p = 0; p < n; p++)
		if (rg_role_grants(a->svc, i, p))
			json_array_append_new(
			    privs, cli_jstr(cli_privilege_id(a->svc, p), 0));
	if (ri.flags & RG_ROLE_PROTECTED)
		json_array_append_new(flags, json_string("protected"));
	if (ri.flags & RG_ROLE_CORE)
		json_array_append_new(flags, json_string("core"));
	if (ri.flags & RG_ROLE_CUSTOM)
		json_array_append_new(flags, json_string("custom"));
	holders = rg_role_assigned_count(a->ctx, a->service, ri.id);
	obj = json_pack("{s:o s:o s:o s:s s:o s:o s:o s:o s:o}", "id",
	                cli_jstr(ri.id, 0), "name", cli_jstr(ri.name, 0),
	                "description", cli_jstr(ri.description, 0), "kind",
	                "built-in", "flags", flags, "plugin",
	                cli_jstr(ri.plugin, 1), "requires", cli_jlist(prereqs),
	                "privileges", privs, "holders",
	                holders >= 0 ? json_integer(holders) : json_null());
	free(prereqs);
	return obj;
}

static void print_json_list(const char *label, const json_t *arr)
{
	size_t i;

	printf("%s: ", label);
	if (json_array_size(arr) == 0)
		putchar('-');
	for (i = 0; i < json_array_size(arr); i++)
		printf("%s%s", i ? ", " : "",
		       json_string_value(json_array_get(arr, i)));
	putchar('\n');
}

static const char *jget(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static void print_role(const json_t *r)
{
	const json_t *privs = json_object_get(r, "privileges");
	const json_t *holders = json_object_get(r, "holders");
	size_t i;

	printf("role: %s\nname: %s\n", jget(r, "id"), jget(r, "name"));
	if (*jget(r, "description"))
		printf("description: %s\n", jget(r, "description"));
	printf("kind: %s\n", jget(r, "kind"));
	print_json_list("flags", json_object_get(r, "flags"));
	if (*jget(r, "plugin"))
		printf("plugin: %s\n", jget(r, "plugin"));
	if (json_object_get(r, "requires"))
		print_json_list("requires", json_object_get(r, "requires"));
	if (json_is_integer(holders))
		printf("holders: %" JSON_INTEGER_FORMAT "\n",
		       json_integer_value(holders));
	else
		puts("holders: unknown");
	puts("privileges:");
	for (i = 0; i < json_array_size(privs); i++)
		printf("  %s\n", json_string_value(json_array_get(privs, i)));
}

int admin_cmd_role_show(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	const char *id = args->argv[1];
	json_t *role = NULL;
	struct admin a;
	long i;
	int ret, rc;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret != CLI_EXIT_OK)
		goto out;
	rc = rg_custom_role_list(a.ctx, a.service, id, copy_custom_role, &role);
	if (rc != RG_OK && rc != RG_ENOROLE && rc != RG_ENOENT) {
		ret = admin_fail(&a, rc);
		goto out;
	}
	i = rg_role_find(a.svc, id);
	if (!role && i >= 0)
		role = builtin_role_json(&a, (size_t)i);
	if (!role) {
		if (i >= 0)
			rc = RG_ENOMEM;
		else
			rc = admin_refuse(&a, RG_ENOROLE,
			                  "unknown role '%s' in service '%s'",
			                  id, a.service);
		ret = admin_fail(&a, rc);
		goto out;
	}
	json_object_set_new(role, "service", json_string(a.service));
	if (args->json) {
		ret = cli_json_print(role, CLI_EXIT_OK);
		role = NULL;
	} else {
		print_role(role);
	}
out:
	json_decref(role);
	admin_close(&a);
	return ret;
}
