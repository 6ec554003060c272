/*
 * list.c - rolegate roles, privileges, whocan, services and plugins: what a
 * context's registry and stacks hold.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Long enough for every role flag name joined. */
#define FLAGS_MAX 64

/* A plugin's abi_version is (major << 16) | minor, as in plugin.h. */
#define ABI_MAJOR(v) ((unsigned)((v) >> 16))
#define ABI_MINOR(v) ((unsigned)((v)&0xffffu))

/* Opens the context and finds the service named by argv[0]. */
static int open_service(struct cli *cli, const char *name, rg_context **ctx,
                        const rg_service **svc)
{
	*svc = NULL;
	if (cli_open(cli, ctx) != CLI_EXIT_OK)
		return CLI_EXIT_ERROR;
	*svc = cli_service(*ctx, name);
	return *svc ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

/* ---- roles ------------------------------------------------------------- */

static json_t *flags_json(unsigned flags)
{
	char buf[FLAGS_MAX];
	json_t *arr = json_array();
	char *word, *save = NULL;

	cli_role_flags(flags, " ", buf, sizeof(buf));
	for (word = strtok_r(buf, " ", &save); arr && word;
	     word = strtok_r(NULL, " ", &save))
		json_array_append_new(arr, json_string(word));
	return arr;
}

static json_t *role_json(const rg_service *svc, size_t i,
                         const rg_role_info *ri)
{
	const char **prereqs = cli_role_prereqs(svc, i);
	json_t *obj = NULL;

	if (prereqs)
		obj = json_pack(
		    "{s:o s:o s:o s:o s:o s:o}", "id", cli_jstr(ri->id, 0),
		    "name", cli_jstr(ri->name, 0), "description",
		    cli_jstr(ri->description, 0), "flags",
		    flags_json(ri->flags), "requires", cli_jlist(prereqs),
		    "plugin", cli_jstr(ri->plugin, 1));
	free(prereqs);
	return obj;
}

static json_t *role_privileges_json(const rg_service *svc, size_t i)
{
	size_t p, n = rg_privilege_count(svc);
	json_t *arr = json_array();

	for (p = 0; arr && p < n; p++)
		if (rg_role_grants(svc, i, p))
			json_array_append_new(
			    arr, cli_jstr(cli_privilege_id(svc, p), 0));
	return arr;
}

struct role_widths {
	int id, name, flags, plugin;
};

static int max_int(int a, size_t b)
{
	return (size_t)a > b ? a : (int)b;
}

static struct role_widths role_widths(const rg_service *svc)
{
	struct role_widths w = {
	    .id = sizeof("ROLE") - 1,
	    .name = sizeof("NAME") - 1,
	    .flags = sizeof("FLAGS") - 1,
	    .plugin = sizeof("PLUGIN") - 1,
	};
	size_t i, n = rg_role_count(svc);
	char flags[FLAGS_MAX];
	rg_role_info ri;

	for (i = 0; i < n; i++) {
		if (rg_role_at(svc, i, &ri) != RG_OK)
			continue;
		w.id = max_int(w.id, strlen(ri.id));
		w.name = max_int(w.name, strlen(ri.name));
		w.flags =
		    max_int(w.flags, strlen(cli_role_flags(ri.flags, ",", flags,
		                                           sizeof(flags))));
		w.plugin = max_int(w.plugin, strlen(ri.plugin));
	}
	return w;
}

static int print_roles(const rg_service *svc)
{
	struct role_widths w = role_widths(svc);
	size_t i, n = rg_role_count(svc);
	char flags[FLAGS_MAX];
	rg_role_info ri;

	printf("%-*s  %-*s  %-*s  %-*s  %s\n", w.id, "ROLE", w.name, "NAME",
	       w.flags, "FLAGS", w.plugin, "PLUGIN", "REQUIRES");
	for (i = 0; i < n; i++) {
		const char **prereqs;

		if (rg_role_at(svc, i, &ri) != RG_OK)
			continue;
		cli_role_flags(ri.flags, ",", flags, sizeof(flags));
		prereqs = cli_role_prereqs(svc, i);
		if (!prereqs) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
		printf("%-*s  %-*s  %-*s  %-*s  ", w.id, ri.id, w.name, ri.name,
		       w.flags, flags[0] ? flags : "-", w.plugin, ri.plugin);
		cli_print_list(prereqs, "-");
		putchar('\n');
		free(prereqs);
	}
	return CLI_EXIT_OK;
}

static int print_role(const rg_service *svc, size_t i, const rg_role_info *ri)
{
	const char **prereqs = cli_role_prereqs(svc, i);
	size_t p, n = rg_privilege_count(svc);
	char flags[FLAGS_MAX];

	if (!prereqs) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	cli_role_flags(ri->flags, ", ", flags, sizeof(flags));
	printf("role: %s\nname: %s\n", ri->id, ri->name);
	if (ri->description && *ri->description)
		printf("description: %s\n", ri->description);
	printf("flags: %s\nplugin: %s\nrequires: ", flags[0] ? flags : "-",
	       ri->plugin);
	cli_print_list(prereqs, "-");
	puts("\nprivileges:");
	for (p = 0; p < n; p++)
		if (rg_role_grants(svc, i, p))
			printf("  %s\n", cli_privilege_id(svc, p));
	free(prereqs);
	return CLI_EXIT_OK;
}

static json_t *roles_json(const rg_service *svc)
{
	size_t i, n = rg_role_count(svc);
	json_t *arr = json_array();
	rg_role_info ri;

	for (i = 0; arr && i < n; i++)
		if (rg_role_at(svc, i, &ri) == RG_OK)
			json_array_append_new(arr, role_json(svc, i, &ri));
	return json_pack("{s:s s:o}", "service", rg_service_name(svc), "roles",
	                 arr);
}

static int show_role(const rg_service *svc, const char *id, int json)
{
	long i = rg_role_find(svc, id);
	rg_role_info ri;
	json_t *obj;

	if (i < 0 || rg_role_at(svc, (size_t)i, &ri) != RG_OK) {
		cli_error("unknown role '%s' in service '%s'", id,
		          rg_service_name(svc));
		return CLI_EXIT_NO;
	}
	if (!json)
		return print_role(svc, (size_t)i, &ri);
	obj = role_json(svc, (size_t)i, &ri);
	if (obj) {
		json_object_set_new(obj, "service",
		                    cli_jstr(rg_service_name(svc), 0));
		json_object_set_new(obj, "privileges",
		                    role_privileges_json(svc, (size_t)i));
	}
	return cli_json_print(obj, CLI_EXIT_OK);
}

int cli_cmd_roles(struct cli *cli, const struct cli_cmd *cmd,
                  const struct cli_args *args)
{
	const rg_service *svc;
	rg_context *ctx = NULL;
	int ret;

	ret = open_service(cli, args->argv[0], &ctx, &svc);
	if (ret != CLI_EXIT_OK)
		goto out;
	if (args->argc > 1)
		ret = show_role(svc, args->argv[1], args->json);
	else if (args->json)
		ret = cli_json_print(roles_json(svc), CLI_EXIT_OK);
	else
		ret = print_roles(svc);
out:
	rg_close(ctx);
	return ret;
}

/* ---- privileges -------------------------------------------------------- */

/* The roles a privilege requires besides a grant, NULL-terminated. */
static const char **privilege_requires(const rg_service *svc, size_t p)
{
	const char **list;
	size_t n = 0, j;

	while (rg_privilege_requires(svc, p, n))
		n++;
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return NULL;
	for (j = 0; j < n; j++)
		list[j] = rg_privilege_requires(svc, p, j);
	return list;
}

static json_t *privilege_json(const rg_privilege_info *pi, const char **granted,
                              const char **requires)
{
	return json_pack("{s:o s:o s:o s:o s:o}", "id", cli_jstr(pi->id, 0),
	                 "description", cli_jstr(pi->description, 0), "plugin",
	                 cli_jstr(pi->plugin, 1), "roles", cli_jlist(granted),
	                 "requires", cli_jlist(requires));
}

static void print_privilege(const rg_privilege_info *pi, int width,
                            const char **granted, const char **requires)
{
	printf("%-*s  granted by: ", width, pi->id);
	cli_print_list(granted, "no role");
	if (requires[0]) {
		fputs("; requires: ", stdout);
		cli_print_list(requires, "-");
	}
	if (pi->description && *pi->description)
		printf("; %s", pi->description);
	putchar('\n');
}

static int privilege_width(const rg_service *svc)
{
	size_t p, n = rg_privilege_count(svc);
	int width = 0;

	for (p = 0; p < n; p++)
		width = max_int(width, strlen(cli_privilege_id(svc, p)));
	return width;
}

static int list_privileges(const rg_service *svc, json_t *arr)
{
	size_t p, n = rg_privilege_count(svc);
	int width = privilege_width(svc);
	rg_privilege_info pi;

	for (p = 0; p < n; p++) {
		const char **granted, **requires;

		if (rg_privilege_at(svc, p, &pi) != RG_OK)
			continue;
		granted = cli_granting_roles(svc, p);
		requires = privilege_requires(svc, p);
		if (granted && requires && arr)
			json_array_append_new(
			    arr, privilege_json(&pi, granted, requires));
		else if (granted && requires)
			print_privilege(&pi, width, granted, requires);
		free(granted);
		free(requires);
		if (!granted || !requires) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
	}
	return CLI_EXIT_OK;
}

int cli_cmd_privileges(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args)
{
	const rg_service *svc;
	rg_context *ctx = NULL;
	json_t *arr = NULL;
	int ret;

	ret = open_service(cli, args->argv[0], &ctx, &svc);
	if (ret != CLI_EXIT_OK)
		goto out;
	if (args->json) {
		arr = json_array();
		if (!arr) {
			ret = cli_json_print(NULL, CLI_EXIT_ERROR);
			goto out;
		}
	}
	ret = list_privileges(svc, arr);
	if (args->json && ret == CLI_EXIT_OK)
		ret = cli_json_print(json_pack("{s:s s:O}", "service",
		                               rg_service_name(svc),
		                               "privileges", arr),
		                     ret);
out:
	json_decref(arr);
	rg_close(ctx);
	return ret;
}

/* ---- whocan ------------------------------------------------------------ */

struct role_list {
	size_t n, cap;
	size_t *roles;
};

static int collect_role(void *user, const rg_service *svc, size_t role)
{
	struct role_list *list = user;

	if (list->n < list->cap)
		list->roles[list->n++] = role;
	return 0;
}

/*
 * What a holder of role needs besides it: the role's prerequisites, then
 * the roles the action requires besides a grant.  NULL-terminated, to free.
 */
static const char **role_needs(const rg_service *svc, size_t role,
                               const char *const *action_requires)
{
	const char **prereqs = cli_role_prereqs(svc, role);
	const char *id = cli_role_id(svc, role);
	size_t n = cli_list_len(prereqs), cap = n + 1, i;
	const char **all = prereqs;

	if (!prereqs)
		return NULL;
	if (RG_GROW(all, cap, n + cli_list_len(action_requires) + 1) != RG_OK) {
		free(prereqs);
		return NULL;
	}
	all[n] = NULL;
	for (i = 0; action_requires[i]; i++) {
		if (strcmp(action_requires[i], id) == 0 ||
		    cli_list_has(all, action_requires[i]))
			continue;
		all[n++] = action_requires[i];
		all[n] = NULL;
	}
	return all;
}

static void print_whocan_role(const char *id, const char *const *needs)
{
	printf("%s", id);
	if (needs[0]) {
		fputs(" (requires ", stdout);
		cli_print_list(needs, "");
		putchar(')');
	}
	putchar('\n');
}

static int whocan_output(const rg_service *svc, const char *action,
                         const struct role_list *list, int json)
{
	const char **action_requires =
	    privilege_requires(svc, (size_t)rg_privilege_find(svc, action));
	json_t *arr = json_array();
	size_t i;

	if (!json && list->n == 0)
		printf("no role grants %s\n", action);
	for (i = 0; action_requires && arr && i < list->n; i++) {
		const char **needs =
		    role_needs(svc, list->roles[i], action_requires);
		const char *id = cli_role_id(svc, list->roles[i]);

		if (!needs)
			break;
		if (json)
			json_array_append_new(
			    arr, json_pack("{s:o s:o}", "role", cli_jstr(id, 0),
			                   "requires", cli_jlist(needs)));
		else
			print_whocan_role(id, needs);
		free(needs);
	}
	if (!action_requires || !arr || i < list->n) {
		free(action_requires);
		json_decref(arr);
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	if (json)
		arr = json_pack("{s:s s:o s:o s:o}", "service",
		                rg_service_name(svc), "action",
		                cli_jstr(action, 0), "action_requires",
		                cli_jlist(action_requires), "roles", arr);
	free(action_requires);
	if (!json) {
		json_decref(arr);
		return CLI_EXIT_OK;
	}
	return cli_json_print(arr, CLI_EXIT_OK);
}

int cli_cmd_whocan(struct cli *cli, const struct cli_cmd *cmd,
                   const struct cli_args *args)
{
	const char *action = args->argv[1];
	struct role_list list = {0, 0, NULL};
	const rg_service *svc;
	rg_context *ctx = NULL;
	int ret, rc;

	ret = open_service(cli, args->argv[0], &ctx, &svc);
	if (ret != CLI_EXIT_OK)
		goto out;
	ret = CLI_EXIT_ERROR;
	if (rg_privilege_find(svc, action) < 0) {
		cli_error("unknown action '%s' in service '%s'", action,
		          rg_service_name(svc));
		goto out;
	}
	list.cap = rg_role_count(svc);
	list.roles = calloc(list.cap + 1, sizeof(*list.roles));
	if (!list.roles) {
		cli_error("out of memory");
		goto out;
	}
	rc = rg_whocan(ctx, rg_service_name(svc), action, collect_role, &list);
	if (rc != RG_OK) {
		cli_error("whocan %s %s: %s", rg_service_name(svc), action,
		          rg_strerror(rc));
		goto out;
	}
	ret = whocan_output(svc, action, &list, args->json);
out:
	free(list.roles);
	rg_close(ctx);
	return ret;
}

/* ---- services ---------------------------------------------------------- */

int cli_cmd_services(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args)
{
	rg_context *ctx = NULL;
	json_t *arr = NULL;
	size_t i, n;
	int ret;

	ret = cli_open(cli, &ctx);
	if (ret != CLI_EXIT_OK)
		return ret;
	n = rg_service_count(ctx);
	if (args->json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		const rg_service *svc = rg_service_at(ctx, i);

		if (!svc)
			continue;
		if (!args->json) {
			puts(rg_service_name(svc));
			continue;
		}
		json_array_append_new(
		    arr, json_pack("{s:s s:I s:I s:I}", "name",
		                   rg_service_name(svc), "entries",
		                   (json_int_t)rg_entry_count(svc), "roles",
		                   (json_int_t)rg_role_count(svc), "privileges",
		                   (json_int_t)rg_privilege_count(svc)));
	}
	if (args->json)
		ret = cli_json_print(json_pack("{s:o s:o}", "config",
		                               cli_jstr(rg_config_path(ctx), 0),
		                               "services", arr),
		                     CLI_EXIT_OK);
	rg_close(ctx);
	return ret;
}

/* ---- plugins ----------------------------------------------------------- */

static void print_entry(const rg_entry_info *e)
{
	printf("  %s %s", e->control, e->plugin);
	if (e->status == RG_OK)
		printf("  %s  abi %u.%u  version %s  ok", e->path,
		       ABI_MAJOR(e->abi_version), ABI_MINOR(e->abi_version),
		       e->plugin_version && *e->plugin_version
		           ? e->plugin_version
		           : "-");
	else
		printf("  failed: %s", e->error && *e->error
		                           ? e->error
		                           : rg_strerror(e->status));
	printf("  (%s:%u)\n", e->file, e->line);
}

static json_t *entry_json(const rg_entry_info *e)
{
	char abi[32];

	snprintf(abi, sizeof(abi), "%u.%u", ABI_MAJOR(e->abi_version),
	         ABI_MINOR(e->abi_version));
	return json_pack(
	    "{s:o s:o s:o s:s s:o s:o s:s s:o s:o s:I}", "control",
	    cli_jstr(e->control, 0), "plugin", cli_jstr(e->plugin, 0), "path",
	    cli_jstr(e->path, 1), "abi_version", abi, "plugin_version",
	    cli_jstr(e->plugin_version, 1), "description",
	    cli_jstr(e->description, 1), "status", rg_status_name(e->status),
	    "error", cli_jstr(e->error, 1), "file", cli_jstr(e->file, 0),
	    "line", (json_int_t)e->line);
}

/* Prints one service's stack, or appends it to arr when arr is not NULL. */
static void service_entries(const rg_service *svc, json_t *arr)
{
	size_t i, n = rg_entry_count(svc);
	json_t *entries = NULL;
	rg_entry_info e;

	if (arr)
		entries = json_array();
	else
		printf("%s:\n", rg_service_name(svc));
	if (!arr && n == 0)
		puts("  (empty stack: every request is denied)");
	for (i = 0; i < n; i++) {
		if (rg_entry_at(svc, i, &e) != RG_OK)
			continue;
		if (arr)
			json_array_append_new(entries, entry_json(&e));
		else
			print_entry(&e);
	}
	if (arr)
		json_array_append_new(arr, json_pack("{s:s s:o}", "service",
		                                     rg_service_name(svc),
		                                     "entries", entries));
}

int cli_cmd_plugins(struct cli *cli, const struct cli_cmd *cmd,
                    const struct cli_args *args)
{
	const rg_service *one = NULL;
	rg_context *ctx = NULL;
	json_t *arr = NULL;
	size_t i, n;
	int ret;

	if (args->argc > 0)
		ret = open_service(cli, args->argv[0], &ctx, &one);
	else
		ret = cli_open(cli, &ctx);
	if (ret != CLI_EXIT_OK)
		goto out;
	if (args->json)
		arr = json_array();
	else
		printf("plugin_dir: %s\n",
		       rg_plugin_dir(ctx) ? rg_plugin_dir(ctx) : "-");
	n = one ? 1 : rg_service_count(ctx);
	for (i = 0; i < n; i++) {
		const rg_service *svc = one ? one : rg_service_at(ctx, i);

		if (svc)
			service_entries(svc, arr);
	}
	if (args->json)
		ret = cli_json_print(
		    json_pack("{s:o s:o s:o}", "config",
		              cli_jstr(rg_config_path(ctx), 0), "plugin_dir",
		              cli_jstr(rg_plugin_dir(ctx), 1), "services", arr),
		    CLI_EXIT_OK);
out:
	rg_close(ctx);
	return ret;
}
