/*
 * lint.c - rolegate lint: offline check of a configuration, its plugins and
 * their policy files, like `visudo -c`.
 *
 * A configuration with bad lines still opens (each bad line becomes an entry
 * that always fails), so lint opens it and reports what the context
 * collected: every diagnostic, and every stack entry that failed without one.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Room for "file:line:" of an entry. */
#define POSITION_MAX 4096

/* 1 when some diagnostic is about the line at position ("file:line:"). */
static int has_diagnostic(const rg_context *ctx, const char *position)
{
	size_t i, n = rg_diagnostic_count(ctx);
	size_t len = strlen(position);

	for (i = 0; i < n; i++) {
		const char *d = rg_diagnostic(ctx, i);

		if (d && strncmp(d, position, len) == 0)
			return 1;
	}
	return 0;
}

/* Adds each failed entry of svc that no diagnostic reports. */
static void entry_problems(const rg_context *ctx, const rg_service *svc,
                           json_t *problems, json_t *plugins)
{
	size_t i, n = rg_entry_count(svc);
	char position[POSITION_MAX];
	rg_entry_info e;

	for (i = 0; i < n; i++) {
		if (rg_entry_at(svc, i, &e) != RG_OK)
			continue;
		if (e.plugin && *e.plugin)
			json_object_set_new(plugins, e.plugin, json_true());
		if (e.status == RG_OK)
			continue;
		snprintf(position, sizeof(position), "%s:%u:", e.file, e.line);
		if (has_diagnostic(ctx, position))
			continue;
		json_array_append_new(
		    problems,
		    json_sprintf("%s service %s: plugin %s: %s", position,
		                 rg_service_name(svc), e.plugin,
		                 e.error && *e.error ? e.error
		                                     : rg_strerror(e.status)));
	}
}

/* The context's warnings: lines that work, but maybe not as meant; then
 * those of rolegated's sections (app_warnings, may be NULL). */
static json_t *warnings(const rg_context *ctx, json_t *app_warnings)
{
	json_t *list = json_array();
	size_t i, n = rg_warning_count(ctx);

	for (i = 0; list && i < n; i++)
		json_array_append_new(list, cli_jstr(rg_warning(ctx, i), 0));
	if (list && app_warnings)
		json_array_extend(list, app_warnings);
	return list;
}

static json_t *collect(const rg_context *ctx, json_t *app_problems,
                       json_t *app_warnings)
{
	json_t *problems = json_array();
	json_t *plugins = json_object();
	size_t i, n = rg_diagnostic_count(ctx);
	json_t *obj;

	for (i = 0; problems && i < n; i++)
		json_array_append_new(problems,
		                      cli_jstr(rg_diagnostic(ctx, i), 0));
	n = rg_service_count(ctx);
	for (i = 0; problems && plugins && i < n; i++) {
		const rg_service *svc = rg_service_at(ctx, i);

		if (svc)
			entry_problems(ctx, svc, problems, plugins);
	}
	if (problems && app_problems)
		json_array_extend(problems, app_problems);
	obj = json_pack("{s:o s:b s:I s:I s:o s:o}", "config",
	                cli_jstr(rg_config_path(ctx), 0), "ok",
	                json_array_size(problems) == 0, "services",
	                (json_int_t)n, "plugins",
	                (json_int_t)json_object_size(plugins), "problems",
	                problems, "warnings", warnings(ctx, app_warnings));
	json_decref(plugins);
	return obj;
}

/* The length of the "file:line: " a message starts with, or 0. */
static size_t position_end(const char *s)
{
	const char *p;

	for (p = strchr(s, ':'); p; p = strchr(p + 1, ':')) {
		size_t digits = strspn(p + 1, "0123456789");

		if (digits && p[1 + digits] == ':' && p[2 + digits] == ' ')
			return (size_t)(p - s) + digits + 3;
	}
	return 0;
}

/* The string v holds, or fallback when it is not one. */
static const char *text_or(const json_t *v, const char *fallback)
{
	const char *s = json_string_value(v);

	return s ? s : fallback;
}

/* Problems first, then warnings ("file:line: warning: ..."), then a
 * summary line; warnings alone leave the configuration ok. */
static void print_lint(const json_t *r)
{
	const char *config = text_or(json_object_get(r, "config"), "?");
	const json_t *problems = json_object_get(r, "problems");
	const json_t *warns = json_object_get(r, "warnings");
	size_t i, n = json_array_size(problems), w = json_array_size(warns);

	/* cli_jstr() gives null only when memory ran out. */
	for (i = 0; i < n; i++)
		puts(text_or(json_array_get(problems, i), "(out of memory)"));
	for (i = 0; i < w; i++) {
		const char *s =
		    text_or(json_array_get(warns, i), "(out of memory)");
		size_t at = position_end(s);

		/* "file:line: warning: message" */
		printf("%.*swarning: %s\n", (int)at, s, s + at);
	}
	if (n == 0)
		printf("%s: ok (%" JSON_INTEGER_FORMAT
		       " services, %" JSON_INTEGER_FORMAT " plugins",
		       config,
		       json_integer_value(json_object_get(r, "services")),
		       json_integer_value(json_object_get(r, "plugins")));
	else
		printf("%s: %zu problem%s", config, n, n == 1 ? "" : "s");
	if (w)
		printf(", %zu warning%s", w, w == 1 ? "" : "s");
	puts(n == 0 ? ")" : "");
}

/* Ends the collection of rolegated's problems and warnings. */
static void app_lists_drop(struct cli *cli)
{
	json_decref(cli->app_problems);
	json_decref(cli->app_warnings);
	cli->app_problems = cli->app_warnings = NULL;
}

int cli_cmd_lint(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args)
{
	rg_context *ctx = NULL;
	json_t *r;
	int ret;

	/* Every problem is printed below; logging it too says it twice. */
	cli->silent = !cli->verbose;
	cli->app_problems = json_array();
	cli->app_warnings = json_array();
	if (cli_open(cli, &ctx) != CLI_EXIT_OK) {
		app_lists_drop(cli);
		return CLI_EXIT_ERROR;
	}
	r = collect(ctx, cli->app_problems, cli->app_warnings);
	rg_close(ctx);
	app_lists_drop(cli);
	if (!r) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	ret = json_array_size(json_object_get(r, "problems")) ? CLI_EXIT_NO
	                                                      : CLI_EXIT_OK;
	if (args->json)
		return cli_json_print(r, ret);
	print_lint(r);
	json_decref(r);
	return ret;
}
