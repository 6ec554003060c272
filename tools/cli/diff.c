/*
 * diff.c - rolegate diff: how the role model changes from one service to
 * another (say, the 2019 policy to the 2021 one).
 *
 * Roles and privileges are matched by id.  The differences are collected as
 * JSON first; the plain output is a rendering of the same object, so both
 * forms always say the same thing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* 1 when role index `role` of svc grants the privilege whose id is priv. */
static int grants_by_id(const rg_service *svc, long role, const char *priv)
{
	long p = rg_privilege_find(svc, priv);

	return role >= 0 && p >= 0 &&
	       rg_role_grants(svc, (size_t)role, (size_t)p);
}

/* Privileges role `ra` of a grants that role `rb` of b does not. */
static json_t *grants_minus(const rg_service *a, long ra, const rg_service *b,
                            long rb)
{
	size_t p, n = rg_privilege_count(a);
	json_t *arr = json_array();

	for (p = 0; arr && p < n; p++) {
		const char *id = cli_privilege_id(a, p);

		if (rg_role_grants(a, (size_t)ra, p) &&
		    !grants_by_id(b, rb, id))
			json_array_append_new(arr, cli_jstr(id, 0));
	}
	return arr;
}

/* Ids in x that are not in y. */
static json_t *list_minus(const char *const *x, const char *const *y)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && x[i]; i++)
		if (!cli_list_has(y, x[i]))
			json_array_append_new(arr, cli_jstr(x[i], 0));
	return arr;
}

/* The changes of one role present in both; NULL when there are none. */
static json_t *role_change(const rg_service *a, long ra, const rg_service *b,
                           long rb, int *oom)
{
	const char **pa = cli_role_prereqs(a, (size_t)ra);
	const char **pb = cli_role_prereqs(b, (size_t)rb);
	json_t *obj = NULL;

	if (!pa || !pb) {
		*oom = 1;
		goto out;
	}
	obj = json_pack(
	    "{s:s s:o s:o s:o s:o}", "role", cli_role_id(a, (size_t)ra),
	    "privileges_added", grants_minus(b, rb, a, ra),
	    "privileges_removed", grants_minus(a, ra, b, rb), "requires_added",
	    list_minus(pb, pa), "requires_removed", list_minus(pa, pb));
	if (!obj) {
		*oom = 1;
		goto out;
	}
	if (!json_array_size(json_object_get(obj, "privileges_added")) &&
	    !json_array_size(json_object_get(obj, "privileges_removed")) &&
	    !json_array_size(json_object_get(obj, "requires_added")) &&
	    !json_array_size(json_object_get(obj, "requires_removed"))) {
		json_decref(obj);
		obj = NULL;
	}
out:
	free(pa);
	free(pb);
	return obj;
}

/* Role ids of a that b does not have. */
static json_t *roles_only(const rg_service *a, const rg_service *b)
{
	size_t i, n = rg_role_count(a);
	json_t *arr = json_array();

	for (i = 0; arr && i < n; i++) {
		const char *id = cli_role_id(a, i);

		if (rg_role_find(b, id) < 0)
			json_array_append_new(arr, cli_jstr(id, 0));
	}
	return arr;
}

/* Privilege ids of a that b does not have. */
static json_t *privileges_only(const rg_service *a, const rg_service *b)
{
	size_t p, n = rg_privilege_count(a);
	json_t *arr = json_array();

	for (p = 0; arr && p < n; p++) {
		const char *id = cli_privilege_id(a, p);

		if (rg_privilege_find(b, id) < 0)
			json_array_append_new(arr, cli_jstr(id, 0));
	}
	return arr;
}

static json_t *changed_roles(const rg_service *a, const rg_service *b)
{
	size_t i, n = rg_role_count(a);
	json_t *arr = json_array();
	int oom = 0;

	for (i = 0; arr && !oom && i < n; i++) {
		long rb = rg_role_find(b, cli_role_id(a, i));
		json_t *change;

		if (rb < 0)
			continue;
		change = role_change(a, (long)i, b, rb, &oom);
		if (change)
			json_array_append_new(arr, change);
	}
	if (oom) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *diff_json(const rg_service *a, const rg_service *b)
{
	return json_pack("{s:s s:s s:o s:o s:o s:o s:o}", "a",
	                 rg_service_name(a), "b", rg_service_name(b),
	                 "roles_only_in_a", roles_only(a, b), "roles_only_in_b",
	                 roles_only(b, a), "privileges_only_in_a",
	                 privileges_only(a, b), "privileges_only_in_b",
	                 privileges_only(b, a), "changed", changed_roles(a, b));
}

/* Prints "MARK WHAT ID" for each id of obj[key]; returns how many. */
static size_t print_ids(const json_t *obj, const char *key, const char *prefix)
{
	const json_t *arr = json_object_get(obj, key);
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		printf("%s%s\n", prefix,
		       json_string_value(json_array_get(arr, i)));
	return json_array_size(arr);
}

static size_t print_changes(const json_t *changed)
{
	size_t i;

	for (i = 0; i < json_array_size(changed); i++) {
		const json_t *c = json_array_get(changed, i);

		printf("~ role %s\n",
		       json_string_value(json_object_get(c, "role")));
		print_ids(c, "requires_added", "    + requires ");
		print_ids(c, "requires_removed", "    - requires ");
		print_ids(c, "privileges_added", "    + grants ");
		print_ids(c, "privileges_removed", "    - grants ");
	}
	return json_array_size(changed);
}

static void print_diff(const json_t *d)
{
	size_t n = 0;

	printf("--- %s\n+++ %s\n", json_string_value(json_object_get(d, "a")),
	       json_string_value(json_object_get(d, "b")));
	n += print_ids(d, "roles_only_in_a", "- role ");
	n += print_ids(d, "roles_only_in_b", "+ role ");
	n += print_ids(d, "privileges_only_in_a", "- privilege ");
	n += print_ids(d, "privileges_only_in_b", "+ privilege ");
	n += print_changes(json_object_get(d, "changed"));
	if (n == 0)
		puts("no differences");
}

int cli_cmd_diff(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args)
{
	const rg_service *a, *b;
	rg_context *ctx = NULL;
	json_t *d;
	int ret = CLI_EXIT_ERROR;

	if (cli_open(cli, &ctx) != CLI_EXIT_OK)
		return CLI_EXIT_ERROR;
	a = cli_service(ctx, args->argv[0]);
	b = cli_service(ctx, args->argv[1]);
	if (!a || !b)
		goto out;
	d = diff_json(a, b);
	if (args->json) {
		ret = cli_json_print(d, CLI_EXIT_OK);
	} else if (d) {
		print_diff(d);
		json_decref(d);
		ret = CLI_EXIT_OK;
	} else {
		cli_error("out of memory");
	}
out:
	rg_close(ctx);
	return ret;
}
