/*
 * rolegate.c - the rolegate command-line tool: options, commands, context.
 *
 *   rolegate [-c CONFIG] [--plugin-dir DIR] [--directory PATH] [-v|-q]
 *            COMMAND [ARGS]
 *
 * Global options come before the command (they are also accepted after it);
 * each command accepts the options its table entry names.  A command may be
 * two words ("user add"): the first names a group.  Exit statuses are those
 * of enum cli_exit for every command.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildtree.h"
#include "cli.h"
#include "rgdconf.h"

#ifndef RG_SYSCONFDIR
#define RG_SYSCONFDIR "/etc/rolegate"
#endif
#define CLI_DEFAULT_CONFIG RG_SYSCONFDIR "/rolegate.conf"
#define CLI_ENV_CONFIG     "ROLEGATE_CONFIG"
#define CLI_ENV_PLUGIN_DIR "ROLEGATE_PLUGIN_DIR"
#define CLI_ENV_DIRECTORY  "ROLEGATE_DIRECTORY"

/* Width of the command column in --help. */
#define HELP_NAME_WIDTH 18
/* One message on stderr; longer ones are cut. */
#define CLI_MSG_MAX 4096

/*
 * Long-only options get values above any character; the options of
 * cmd_options[] get OPT_CMD + their index.
 */
enum {
	OPT_PLUGIN_DIR = UCHAR_MAX + 1,
	OPT_DIRECTORY,
	OPT_JSON,
	OPT_CMD,
};

/* An option a command may accept (cli_cmd.opts), with its help line. */
struct cmd_option {
	const char *name;
	int short_name; /* 0: none */
	unsigned bit;   /* CLI_OPT_* */
	int val;        /* enum cli_val, or -1 for a flag */
	const char *arg;
	const char *help;
};

static const struct cmd_option cmd_options[] = {
    {"explain", 0, CLI_OPT_EXPLAIN, -1, NULL,
     "print the trace and suggestions"},
    {"strict", 0, CLI_OPT_STRICT, -1, NULL,
     "refuse a role whose prerequisites the user lacks"},
    {"force", 0, CLI_OPT_FORCE, -1, NULL,
     "role delete: unassign the role from its holders first; audit "
     "--undo: undo though changed since"},
    {"replace", 0, CLI_OPT_REPLACE, -1, NULL,
     "first delete the data of the file's services"},
    {"name", 0, CLI_OPT_VAL(CLI_VAL_NAME), CLI_VAL_NAME, "NAME",
     "display name"},
    {"description", 0, CLI_OPT_VAL(CLI_VAL_DESCRIPTION), CLI_VAL_DESCRIPTION,
     "TEXT", "description"},
    {"output", 'o', CLI_OPT_VAL(CLI_VAL_OUTPUT), CLI_VAL_OUTPUT, "FILE",
     "write to FILE instead of standard output"},
    {"service", 0, CLI_OPT_VAL(CLI_VAL_SERVICE), CLI_VAL_SERVICE, "SERVICE",
     "only records of this service"},
    {"user", 0, CLI_OPT_VAL(CLI_VAL_USER), CLI_VAL_USER, "USER",
     "only records about this user"},
    {"since", 0, CLI_OPT_VAL(CLI_VAL_SINCE), CLI_VAL_SINCE, "TIME",
     "from TIME on (UTC, ISO 8601: 2024-05-01[T10:00[:00]])"},
    {"until", 0, CLI_OPT_VAL(CLI_VAL_UNTIL), CLI_VAL_UNTIL, "TIME",
     "before TIME"},
    {"limit", 0, CLI_OPT_VAL(CLI_VAL_LIMIT), CLI_VAL_LIMIT, "N",
     "the newest N records"},
    {"coverage", 0, CLI_OPT_COVER, -1, NULL,
     "list the grants and stack entries no test exercised"},
    {"junit", 0, CLI_OPT_VAL(CLI_VAL_JUNIT), CLI_VAL_JUNIT, "FILE",
     "also write a JUnit XML report to FILE"},
    {"from", 0, CLI_OPT_VAL(CLI_VAL_FROM), CLI_VAL_FROM, "URL",
     "read the product's API at URL"},
    {"from-dir", 0, CLI_OPT_VAL(CLI_VAL_FROM_DIR), CLI_VAL_FROM_DIR, "DIR",
     "read the API's answers saved in DIR"},
    {"dry-run", 0, CLI_OPT_DRY_RUN, -1, NULL,
     "print what would change, change nothing"},
    {"prune", 0, CLI_OPT_PRUNE, -1, NULL,
     "also remove what is absent upstream"},
    {"map", 0, CLI_OPT_VAL(CLI_VAL_MAP), CLI_VAL_MAP, "FILE",
     "product role names to role ids ([roles] in FILE)"},
    {"token-file", 0, CLI_OPT_VAL(CLI_VAL_TOKEN_FILE), CLI_VAL_TOKEN_FILE,
     "FILE", "authentication headers, one 'Name: value' a line"},
    {"undo", 0, CLI_OPT_VAL(CLI_VAL_UNDO), CLI_VAL_UNDO, "SEQ",
     "revert the change record SEQ recorded (itself audited)"},
};

#define NCMD_OPTIONS RG_COUNTOF(cmd_options)

static const struct cli_cmd commands[] = {
    {
        .name = "check",
        .usage = "[--json] [--explain] SERVICE SUBJECT ACTION "
                 "[ATTR=VALUE ...]",
        .summary = "decide whether SUBJECT may do ACTION",
        .help = "SUBJECT is a user id or @ROLE1,ROLE2 (an ad-hoc "
                "subject holding exactly\n"
                "those roles).  ATTR=VALUE are request attributes; "
                "subject.ATTR=VALUE are\n"
                "the ad-hoc subject's own.  Exit 0 allow, 1 deny, "
                "2 error (also a deny).\n",
        .opts = CLI_OPT_EXPLAIN,
        .min_args = 3,
        .max_args = -1,
        .run = cli_cmd_check,
    },
    {
        .name = "explain",
        .usage = "[--json] SERVICE SUBJECT ACTION [ATTR=VALUE ...]",
        .summary = "explain a decision and how to change a deny",
        .help = "Prints the decision, the deciding plugin and role, "
                "the missing prerequisite,\n"
                "the trace and, for a deny, the smallest sets of roles "
                "that would allow it.\n"
                "Exit statuses as for check.\n",
        .min_args = 3,
        .max_args = -1,
        .run = cli_cmd_explain,
    },
    {
        .name = "validate",
        .usage = "[--json] SERVICE SUBJECT",
        .summary = "check a subject's roles against every prerequisite",
        .help = "Exit 0 when every prerequisite is met, 1 when not "
                "(one line per missing\n"
                "role), 2 on error.\n",
        .min_args = 2,
        .max_args = 2,
        .run = cli_cmd_validate,
    },
    {
        .name = "roles",
        .usage = "[--json] SERVICE [ROLE]",
        .summary = "list a service's roles, or one role's privileges",
        .help = "Exit 1 when ROLE is not a role of SERVICE.\n",
        .min_args = 1,
        .max_args = 2,
        .run = cli_cmd_roles,
    },
    {
        .name = "privileges",
        .usage = "[--json] SERVICE",
        .summary = "list a service's privileges and the roles granting "
                   "them",
        .min_args = 1,
        .max_args = 1,
        .run = cli_cmd_privileges,
    },
    {
        .name = "vocabulary",
        .usage = "[--json] SERVICE",
        .summary = "list what the service's directory holds, as its "
                   "plugins declare it",
        .help = "Organisation kinds and their attributes, user "
                "attributes, settings and\n"
                "role workflows, each with the plugin that declared "
                "it.\n",
        .min_args = 1,
        .max_args = 1,
        .run = cli_cmd_vocabulary,
    },
    {
        .name = "whocan",
        .usage = "[--json] SERVICE ACTION",
        .summary = "list the roles whose holders may do ACTION",
        .help = "Each role is listed with the prerequisites its "
                "holder needs too.\n",
        .min_args = 2,
        .max_args = 2,
        .run = cli_cmd_whocan,
    },
    {
        .name = "diff",
        .usage = "[--json] SERVICE_A SERVICE_B",
        .summary = "compare the role models of two services",
        .help = "Lists roles and privileges only in one service, and "
                "for every role in\n"
                "both the privileges and prerequisites added or "
                "removed going from A to B.\n",
        .min_args = 2,
        .max_args = 2,
        .run = cli_cmd_diff,
    },
    {
        .name = "plugins",
        .usage = "[--json] [SERVICE]",
        .summary = "show every stack entry and the plugin it loaded",
        .min_args = 0,
        .max_args = 1,
        .run = cli_cmd_plugins,
    },
    {
        .name = "lint",
        .usage = "[--json]",
        .summary = "check the configuration and its policies",
        .help = "Exit 0 when there is no problem, 1 when there is "
                "(each printed as\n"
                "FILE:LINE: message), 2 when the file cannot be read.\n",
        .min_args = 0,
        .max_args = 0,
        .run = cli_cmd_lint,
    },
    {
        .name = "services",
        .usage = "[--json]",
        .summary = "list the configured services",
        .min_args = 0,
        .max_args = 0,
        .run = cli_cmd_services,
    },
    {
        .name = "test",
        .usage = "[--json] [--coverage] [--junit FILE] [SUITE.ini ...]",
        .summary = "run policy test suites against the configuration",
        .help = "Without SUITE files, runs tests/*.ini beside the "
                "configuration file.  Each\n"
                "failing case is printed as FILE:LINE: FAIL NAME: why.  "
                "Exit 0 when every\n"
                "case passed, 1 when a case failed, 2 on a usage error "
                "or a malformed suite\n"
                "(an unknown subject, service, role, user or action "
                "too), 3 when the\n"
                "configuration or one of its policies does not load.  "
                "See rolegate(1).\n",
        .opts = CLI_OPT_COVER | CLI_OPT_VAL(CLI_VAL_JUNIT),
        .min_args = 0,
        .max_args = -1,
        .run = cli_cmd_test,
    },
    {
        .name = "sync",
        .usage = "[--json] [--dry-run] [--prune] [--map FILE] "
                 "(--from URL | --from-dir DIR) SERVICE",
        .summary = "make the directory match the product's users and "
                   "roles",
        .help = "Reads the product's REST API (or its answers saved "
                "in DIR), prints what\n"
                "would change and, unless --dry-run, applies it in one "
                "transaction: all\n"
                "or nothing.  Products: Rocket.Chat (plugin rocketchat; "
                "URL the server) and\n"
                "Dynamics 365 (plugin dynamics365; URL the Web API "
                "root, .../api/data/v9.2).\n"
                "Users absent upstream (or disabled) are kept unless "
                "--prune.  With --from,\n"
                "the credentials come from ROLEGATE_SYNC_AUTH_TOKEN "
                "(and, for Rocket.Chat,\n"
                "ROLEGATE_SYNC_USER_ID) or --token-file.  Exit 0 done, "
                "1 refused (an unknown\n"
                "role upstream), 2 on any other error.  See "
                "rolegate(1).\n",
        .opts = CLI_OPT_DRY_RUN | CLI_OPT_PRUNE | CLI_OPT_VAL(CLI_VAL_FROM) |
                CLI_OPT_VAL(CLI_VAL_FROM_DIR) | CLI_OPT_VAL(CLI_VAL_MAP) |
                CLI_OPT_VAL(CLI_VAL_TOKEN_FILE),
        .min_args = 1,
        .max_args = 1,
        .run = cli_cmd_sync,
    },
};

#define NCOMMANDS RG_COUNTOF(commands)

/* Both tables as one sequence: the query commands, then the directory's. */
static size_t command_count(void)
{
	return NCOMMANDS + cli_admin_ncommands;
}

static const struct cli_cmd *command_at(size_t i)
{
	return i < NCOMMANDS ? &commands[i]
	                     : &cli_admin_commands[i - NCOMMANDS];
}

/* The length of a command's group word ("user" of "user add"), else 0. */
static size_t group_len(const struct cli_cmd *cmd)
{
	const char *space = strchr(cmd->name, ' ');

	return space ? (size_t)(space - cmd->name) : 0;
}

/* 1 when cmd belongs to the group called word. */
static int in_group(const struct cli_cmd *cmd, const char *word)
{
	size_t len = group_len(cmd);

	return len && strlen(word) == len && strncmp(cmd->name, word, len) == 0;
}

/* 1 when word names a group of commands. */
static int is_group(const char *word)
{
	size_t i;

	for (i = 0; i < command_count(); i++)
		if (in_group(command_at(i), word))
			return 1;
	return 0;
}

/* Prints a message that may quote input with its control characters
 * escaped (rg_escape()), so that none reaches the terminal. */
static void print_escaped(FILE *stream, const char *fmt, va_list ap)
    RG_PRINTF(2, 0);

static void print_escaped(FILE *stream, const char *fmt, va_list ap)
{
	char raw[CLI_MSG_MAX], msg[CLI_MSG_MAX];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	rg_escape(raw, 0, msg, sizeof(msg));
	fputs(msg, stream);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs(CLI_NAME ": ", stderr);
	va_start(ap, fmt);
	print_escaped(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_usage(FILE *stream, const struct cli_cmd *cmd)
{
	fprintf(stream, "Usage: %s [GLOBAL OPTIONS] %s %s\n", CLI_NAME,
	        cmd->name, cmd->usage);
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", CLI_NAME, cmd->name);
	va_start(ap, fmt);
	print_escaped(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(stderr, cmd);
	return CLI_EXIT_ERROR;
}

static void print_global_options(FILE *stream)
{
	fputs("Global options:\n"
	      "  -c, --config FILE     configuration file (default: "
	      "$" CLI_ENV_CONFIG ",\n"
	      "                        else " CLI_DEFAULT_CONFIG ")\n"
	      "      --plugin-dir DIR  load plugins from DIR (default: "
	      "$" CLI_ENV_PLUGIN_DIR ",\n"
	      "                        else the config's plugin_dir, else\n"
	      "                        the build tree's or installed plugins)\n"
	      "      --directory PATH  the directory database (default: "
	      "$" CLI_ENV_DIRECTORY ",\n"
	      "                        else the config's directory)\n"
	      "  -v, --verbose         log more (repeat for debug)\n"
	      "  -q, --quiet           log errors only\n"
	      "  -h, --help            show this help\n"
	      "  -V, --version         show the version\n",
	      stream);
}

static void print_help(struct cli *cli, FILE *stream)
{
	size_t i;

	fprintf(stream,
	        "Usage: %s [GLOBAL OPTIONS] COMMAND [--json] [ARGS]\n"
	        "       %s --help | --version | COMMAND --help\n\n"
	        "Asks a rolegate configuration who may do what, and manages "
	        "its directory\nof users, role assignments and organisation."
	        "\n\nCommands:\n",
	        CLI_NAME, CLI_NAME);
	for (i = 0; i < command_count(); i++) {
		if (i == NCOMMANDS)
			fputs("\nDirectory commands:\n", stream);
		fprintf(stream, "  %-*s %s\n", HELP_NAME_WIDTH,
		        command_at(i)->name, command_at(i)->summary);
	}
	cli_print_generated(cli, stream, HELP_NAME_WIDTH);
	fputc('\n', stream);
	print_global_options(stream);
	fputs("\nExit status: 0 allow/ok/done, 1 deny/problems found/"
	      "refused, 2 error;\n"
	      "test: 3 when the configuration or a policy does not load.\n",
	      stream);
}

/* After a usage error: the usage line only, on stderr. */
static void print_short_usage(void)
{
	fprintf(stderr,
	        "Usage: %s [GLOBAL OPTIONS] COMMAND [--json] [ARGS]\n"
	        "Try '%s --help' for the commands and options.\n",
	        CLI_NAME, CLI_NAME);
}

void cli_print_option(const char *short_name, const char *name, const char *arg,
                      const char *help)
{
	char left[64];

	snprintf(left, sizeof(left), "%s%s--%s%s%s",
	         short_name ? short_name : "", short_name ? ", " : "    ", name,
	         arg ? " " : "", arg ? arg : "");
	printf("  %-22s %s\n", left, help);
}

void cli_print_command_help(const struct cli_cmd *cmd, cli_help_extra_fn extra,
                            void *user)
{
	size_t i;

	cli_usage(stdout, cmd);
	printf("\n%s %s: %s.\n\n", CLI_NAME, cmd->name, cmd->summary);
	if (cmd->help)
		printf("%s\n", cmd->help);
	fputs("Options:\n", stdout);
	cli_print_option(NULL, "json", NULL, "print one JSON object");
	for (i = 0; i < NCMD_OPTIONS; i++) {
		const struct cmd_option *o = &cmd_options[i];
		char s[] = {'-', (char)o->short_name, '\0'};

		if (cmd->opts & o->bit)
			cli_print_option(o->short_name ? s : NULL, o->name,
			                 o->arg, o->help);
	}
	if (extra)
		extra(user);
	cli_print_option("-h", "help", NULL, "show this help");
	putchar('\n');
	print_global_options(stdout);
}

/* The usage lines of every command of a group, for `GROUP --help`. */
static void print_group_help(FILE *stream, const char *group)
{
	size_t i;

	for (i = 0; i < command_count(); i++)
		if (in_group(command_at(i), group))
			cli_usage(stream, command_at(i));
}

static void print_version(void)
{
	printf("%s %s (librolegate %s)\n", CLI_NAME, PACKAGE_VERSION,
	       rg_version());
}

/*
 * The command named by the words at argv (one word, or a group and a
 * second word); *nwords gets how many words it took.  NULL when there is
 * no such command.
 */
static const struct cli_cmd *find_command(int argc, char **argv, int *nwords)
{
	size_t i;

	for (i = 0; i < command_count(); i++) {
		const struct cli_cmd *cmd = command_at(i);

		if (!group_len(cmd) && strcmp(cmd->name, argv[0]) == 0) {
			*nwords = 1;
			return cmd;
		}
		if (argc > 1 && in_group(cmd, argv[0]) &&
		    strcmp(cmd->name + group_len(cmd) + 1, argv[1]) == 0) {
			*nwords = 2;
			return cmd;
		}
	}
	return NULL;
}

/* After a group word without a known second word: say what there is. */
static int group_error(const char *group, const char *word)
{
	if (word && strcmp(word, "--help") != 0 && strcmp(word, "-h") != 0)
		cli_error("unknown command '%s %s'", group, word);
	else if (!word)
		cli_error("%s: missing subcommand", group);
	print_group_help(word ? stdout : stderr, group);
	return word && (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
	           ? CLI_EXIT_OK
	           : CLI_EXIT_ERROR;
}

/* A variable's value, or NULL when unset or empty. */
static const char *env(const char *name)
{
	const char *value = getenv(name);

	return value && *value ? value : NULL;
}

static rg_log_level log_level(const struct cli *cli)
{
	if (cli->quiet)
		return RG_LOG_ERR;
	if (cli->verbose >= 2)
		return RG_LOG_DEBUG;
	if (cli->verbose == 1)
		return RG_LOG_INFO;
	return RG_LOG_WARNING;
}

static void log_line(void *user, rg_log_level level, const char *msg)
{
	const struct cli *cli = user;

	if (cli->silent || level > log_level(cli))
		return;
	if (cli->log_capture &&
	    json_array_append_new(cli->log_capture, json_string(msg)) == 0)
		return;
	fprintf(stderr, "%s: %s\n", CLI_NAME, msg);
}

/* An error in rolegated's sections, for lint (warnings are not problems). */
static void add_app_problem(void *user, int warning, const char *msg)
{
	struct cli *cli = user;
	json_t *list = warning ? cli->app_warnings : cli->app_problems;

	if (list)
		json_array_append_new(list, json_string(msg));
}

/* 1 when msg is a problem (or warning) that ctx says is about a service
 * other than only. */
static int other_service_problem(const rg_context *ctx, const char *only,
                                 const char *msg)
{
	size_t i;

	for (i = 0; i < rg_diagnostic_count(ctx); i++)
		if (strcmp(rg_diagnostic(ctx, i), msg) == 0)
			return rg_diagnostic_service(ctx, i) &&
			       strcmp(rg_diagnostic_service(ctx, i), only) != 0;
	for (i = 0; i < rg_warning_count(ctx); i++)
		if (strcmp(rg_warning(ctx, i), msg) == 0)
			return rg_warning_service(ctx, i) &&
			       strcmp(rg_warning_service(ctx, i), only) != 0;
	return 0;
}

/* Prints the log lines kept while opening, but those about other services
 * than cli->only_service (all of them when ctx is NULL). */
static void print_open_log(const struct cli *cli, const rg_context *ctx,
                           json_t *lines)
{
	size_t i;
	json_t *line;

	json_array_foreach(lines, i, line)
	{
		const char *msg = json_string_value(line);

		if (ctx && other_service_problem(ctx, cli->only_service, msg))
			continue;
		fprintf(stderr, "%s: %s\n", CLI_NAME, msg);
	}
}

/* Opens the context, every open-time line to the log. */
static int cli_open_all(struct cli *cli, rg_context **ctx)
{
	char err[512] = "";
	/* lint checks the admin socket the uninstalled rolegated would use. */
	const char *build_sock = rg_tool_build_admin_socket();
	struct rgd_conf daemon_conf;
	rg_options opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.config_path = cli->config;
	opts.plugin_dir = cli->plugin_dir;
	opts.directory = cli->directory;
	/* One command, then exit: nothing to watch for, and too few
	 * checks to pay for decision tables. */
	opts.flags = RG_OPEN_NO_WATCH | RG_OPEN_FEW_CHECKS | cli->open_flags;
	if (cli->plugin_dir_default)
		opts.flags |= RG_OPEN_PLUGIN_DIR_DEFAULT;
	/* A command about one service reads that service's rows only: a
	 * check against a large directory need not load the others. */
	if (cli->only_service) {
		opts.flags |= RG_OPEN_ONE_SERVICE;
		opts.service = cli->only_service;
		if (cli->only_user) {
			opts.flags |= RG_OPEN_ONE_USER;
			opts.user = cli->only_user;
		}
	}
	opts.log = log_line;
	opts.log_user = cli;
	opts.log_level = log_level(cli);
	/* rolegated's sections: checked (lint reports them), then dropped. */
	if (rgd_conf_init(&daemon_conf) != RG_OK ||
	    (build_sock && rgd_conf_default_admin_socket(
	                       &daemon_conf, build_sock) != RG_OK)) {
		rgd_conf_free(&daemon_conf);
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	opts.app_sections = rgd_conf_sections;
	opts.app_conf = rgd_conf_key;
	opts.app_user = &daemon_conf;
	opts.flags |= RG_OPEN_APP_SECTION_OPEN;
	rc = rg_open(ctx, &opts, err, sizeof(err));
	if (rc == RG_OK && *ctx && cli->app_problems)
		rgd_conf_check(&daemon_conf, *ctx, add_app_problem, cli);
	rgd_conf_free(&daemon_conf);
	if (rc == RG_OK && *ctx)
		return CLI_EXIT_OK;
	*ctx = NULL;
	if (cli->quiet_open)
		return CLI_EXIT_ERROR;
	if (err[0])
		cli_error("%s", err);
	else
		cli_error("%s: %s", cli->config, rg_strerror(rc));
	return CLI_EXIT_ERROR;
}

int cli_open_quiet(struct cli *cli, rg_context **ctx)
{
	struct cli saved = *cli;
	int ret;

	cli->silent = 1;
	cli->quiet_open = 1;
	cli->app_problems = NULL;
	cli->app_warnings = NULL;
	cli->open_flags |= RG_OPEN_NO_DIRECTORY;
	ret = cli_open_all(cli, ctx);
	*cli = saved;
	return ret;
}

int cli_open(struct cli *cli, rg_context **ctx)
{
	json_t *kept = cli->log_capture;
	int ret;

	/* Open-time lines are kept, then shown filtered. */
	if (!cli->only_service || kept)
		return cli_open_all(cli, ctx);
	cli->log_capture = json_array();
	ret = cli_open_all(cli, ctx);
	if (cli->log_capture)
		print_open_log(cli, *ctx, cli->log_capture);
	json_decref(cli->log_capture);
	cli->log_capture = NULL;
	return ret;
}

/*
 * One table for both parsers: global options are also accepted after the
 * command; each parser rejects the options that are not its own.  The
 * commands' options follow, from cmd_options[].
 */
static const struct option global_longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"directory", required_argument, NULL, OPT_DIRECTORY},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"json", no_argument, NULL, OPT_JSON},
};

#define NGLOBAL_OPTIONS RG_COUNTOF(global_longopts)

/* getopt's table: the global options, the commands' and the end mark. */
struct longopts {
	struct option o[NGLOBAL_OPTIONS + NCMD_OPTIONS + 1];
};

static void build_longopts(struct longopts *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	memcpy(l->o, global_longopts, sizeof(global_longopts));
	for (i = 0; i < NCMD_OPTIONS; i++) {
		struct option *o = &l->o[NGLOBAL_OPTIONS + i];

		o->name = cmd_options[i].name;
		o->has_arg =
		    cmd_options[i].val >= 0 ? required_argument : no_argument;
		o->val = OPT_CMD + (int)i;
	}
}

/* Applies a global option; returns 0, or -1 when opt is not one. */
static int global_option(struct cli *cli, int opt)
{
	switch (opt) {
	case 'c':
		cli->config = optarg;
		return 0;
	case OPT_PLUGIN_DIR:
		cli->plugin_dir = optarg;
		return 0;
	case OPT_DIRECTORY:
		cli->directory = optarg;
		return 0;
	case 'v':
		cli->verbose++;
		return 0;
	case 'q':
		cli->quiet = 1;
		return 0;
	default:
		return -1;
	}
}

/* The word getopt stopped at, for "unknown option" messages. */
static const char *bad_option(char **argv)
{
	static const char *const unknown = "?";
	const char *word = argv[optind - 1];

	return word ? word : unknown;
}

enum parse_result { PARSE_RUN, PARSE_EXIT_OK, PARSE_EXIT_ERROR, PARSE_HELP };

int cli_known_option(const struct cli_cmd *cmd, const char *name, size_t len,
                     int *has_value)
{
	size_t i;

	for (i = 0; i < NGLOBAL_OPTIONS; i++)
		if (strlen(global_longopts[i].name) == len &&
		    strncmp(global_longopts[i].name, name, len) == 0) {
			*has_value = global_longopts[i].has_arg != no_argument;
			return 1;
		}
	for (i = 0; i < NCMD_OPTIONS; i++) {
		const struct cmd_option *o = &cmd_options[i];

		if (strlen(o->name) != len || strncmp(o->name, name, len) != 0)
			continue;
		*has_value = o->val >= 0;
		/* A flag is the tool's even where cmd does not take it: it
		 * is refused as the unknown option it is. */
		return (cmd->opts & o->bit) || o->val < 0;
	}
	return 0;
}

/*
 * Applies a command option: returns 0, -1 when opt is none of cmd_options[],
 * or -2 (after a usage error) when cmd does not take it.
 */
static int command_option(const struct cli_cmd *cmd, int opt,
                          struct cli_args *args)
{
	const struct cmd_option *o = NULL;
	size_t i;

	for (i = 0; i < NCMD_OPTIONS; i++)
		if (opt == OPT_CMD + (int)i ||
		    (opt < OPT_CMD && opt == cmd_options[i].short_name))
			o = &cmd_options[i];
	if (!o)
		return -1;
	if (!(cmd->opts & o->bit)) {
		cli_usage_error(cmd, "unknown option '--%s'", o->name);
		return -2;
	}
	if (o->val >= 0)
		args->val[o->val] = optarg;
	else if (o->bit == CLI_OPT_EXPLAIN)
		args->explain = 1;
	else if (o->bit == CLI_OPT_STRICT)
		args->strict = 1;
	else if (o->bit == CLI_OPT_FORCE)
		args->force = 1;
	else if (o->bit == CLI_OPT_REPLACE)
		args->replace = 1;
	else if (o->bit == CLI_OPT_COVER)
		args->cover = 1;
	else if (o->bit == CLI_OPT_DRY_RUN)
		args->dry_run = 1;
	else if (o->bit == CLI_OPT_PRUNE)
		args->prune = 1;
	return 0;
}

static enum parse_result parse_command(struct cli *cli,
                                       const struct cli_cmd *cmd, int argc,
                                       char **argv, struct cli_args *args)
{
	struct longopts longopts;
	int opt;

	build_longopts(&longopts);
	memset(args, 0, sizeof(*args));
	if ((cmd->opts & CLI_OPT_DYNAMIC) &&
	    cli_dynamic_split(cmd, &argc, &argv, args) != 0)
		return PARSE_EXIT_ERROR;
	optind = 0; /* glibc: start over on a new argv */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:vqho:", longopts.o, NULL)) !=
	       -1) {
		int rc;

		if (global_option(cli, opt) == 0)
			continue;
		rc = command_option(cmd, opt, args);
		if (rc == 0)
			continue;
		if (rc == -2)
			return PARSE_EXIT_ERROR;
		switch (opt) {
		case 'h':
			/* After the other words: a generated verb's help
			 * needs the service named. */
			args->help = 1;
			break;
		case OPT_JSON:
			args->json = 1;
			break;
		case ':':
			cli_usage_error(cmd, "option '%s' needs a value",
			                bad_option(argv));
			return PARSE_EXIT_ERROR;
		default:
			cli_usage_error(cmd, "unknown option '%s'",
			                bad_option(argv));
			return PARSE_EXIT_ERROR;
		}
	}
	args->argc = argc - optind;
	args->argv = argv + optind;
	if (args->help)
		return PARSE_HELP;
	if (args->argc < cmd->min_args) {
		cli_usage_error(cmd, "missing arguments");
		return PARSE_EXIT_ERROR;
	}
	if (cmd->max_args >= 0 && args->argc > cmd->max_args) {
		cli_usage_error(cmd, "unexpected argument '%s'",
		                args->argv[cmd->max_args]);
		return PARSE_EXIT_ERROR;
	}
	return PARSE_RUN;
}

/* Parses the global options; *index gets the command's position. */
static enum parse_result parse_global(struct cli *cli, int argc, char **argv,
                                      int *index)
{
	struct longopts longopts;
	int opt, help = 0;

	build_longopts(&longopts);
	opterr = 0;
	/* '+': stop at the command, whose options are its own. */
	while ((opt = getopt_long(argc, argv, "+:c:vqhV", longopts.o, NULL)) !=
	       -1) {
		if (global_option(cli, opt) == 0)
			continue;
		switch (opt) {
		case 'h':
			/* After -c and the rest: the help lists the verbs
			 * of the configuration's services. */
			help = 1;
			continue;
		case 'V':
			print_version();
			return PARSE_EXIT_OK;
		case ':':
			cli_error("option '%s' needs a value",
			          bad_option(argv));
			break;
		default:
			cli_error("unknown option '%s'", bad_option(argv));
			break;
		}
		print_short_usage();
		return PARSE_EXIT_ERROR;
	}
	*index = optind;
	return help ? PARSE_HELP : PARSE_RUN;
}

/* Where the configuration, plugins and directory come from, unless the
 * options said. */
static void apply_defaults(struct cli *cli)
{
	if (!cli->config)
		cli->config = env(CLI_ENV_CONFIG);
	if (!cli->config)
		cli->config = CLI_DEFAULT_CONFIG;
	if (!cli->plugin_dir)
		cli->plugin_dir = env(CLI_ENV_PLUGIN_DIR);
	if (!cli->plugin_dir) {
		cli->plugin_dir = rg_tool_build_plugin_dir();
		cli->plugin_dir_default = cli->plugin_dir != NULL;
	}
	if (!cli->directory)
		cli->directory = env(CLI_ENV_DIRECTORY);
}

/* `COMMAND --help`: a generated verb's from the declarations. */
static int command_help(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args)
{
	if (cmd->help_fn)
		return cmd->help_fn(cli, cmd, args);
	cli_print_command_help(cmd, NULL, NULL);
	return CLI_EXIT_OK;
}

/* A generated verb: the words at argv, when they make one. */
struct generated {
	struct cli_cmd cmd;
	char name[CLI_GEN_NAME_MAX];
};

/*
 * The command named by the words at argv: one of the tables', else a verb
 * generated from the declarations (in *gen).  NULL when there is none.
 */
static const struct cli_cmd *lookup(int argc, char **argv, int *nwords,
                                    struct generated *gen)
{
	const struct cli_cmd *cmd = find_command(argc, argv, nwords);

	if (cmd || is_group(argv[0]) || argc < 2)
		return cmd;
	if (!cli_generated_command(argv[0], argv[1], &gen->cmd, gen->name,
	                           sizeof(gen->name)))
		return NULL;
	*nwords = 2;
	return &gen->cmd;
}

/* `rolegate help [COMMAND [SERVICE]]`, for those who type it. */
static int help_command(struct cli *cli, int argc, char **argv)
{
	struct cli_args args;
	struct generated gen;
	const struct cli_cmd *cmd;
	int nwords;

	apply_defaults(cli);
	if (argc < 2) {
		print_help(cli, stdout);
		return CLI_EXIT_OK;
	}
	cmd = lookup(argc - 1, argv + 1, &nwords, &gen);
	if (!cmd && is_group(argv[1]) && argc == 2) {
		print_group_help(stdout, argv[1]);
		return CLI_EXIT_OK;
	}
	if (!cmd) {
		cli_error("unknown command '%s'", argv[1]);
		return CLI_EXIT_ERROR;
	}
	memset(&args, 0, sizeof(args));
	args.argc = argc - 1 - nwords;
	args.argv = argv + 1 + nwords;
	return command_help(cli, cmd, &args);
}

/* Parses the command's words and runs it (or prints its help). */
static int run_command(struct cli *cli, const struct cli_cmd *cmd, int argc,
                       char **argv)
{
	struct cli_args args;
	enum parse_result r = parse_command(cli, cmd, argc, argv, &args);
	int ret = r == PARSE_EXIT_OK ? CLI_EXIT_OK : CLI_EXIT_ERROR;

	if (r == PARSE_RUN || r == PARSE_HELP) {
		apply_defaults(cli);
		ret = r == PARSE_HELP ? command_help(cli, cmd, &args)
		                      : cmd->run(cli, cmd, &args);
	}
	cli_args_free(&args);
	return ret;
}

/*
 * After a word the services declare (a kind or a workflow) without one of
 * its verbs: says what there is, as group_error() does, and returns 1 with
 * the exit status in *ret; 0 when no service declares word.
 */
static int noun_error(struct cli *cli, const char *noun, const char *word,
                      int *ret)
{
	int help =
	    word && (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0);

	char *usage = NULL;
	size_t len = 0;
	FILE *mem;
	int found;

	if (word && !help)
		return 0;
	apply_defaults(cli);
	/* Kept until it is known whether there is anything to say. */
	mem = open_memstream(&usage, &len);
	found = mem && cli_noun_help(cli, noun, mem);
	if (mem)
		fclose(mem);
	if (found && !help)
		cli_error("%s: missing verb", noun);
	if (found)
		fputs(usage, help ? stdout : stderr);
	free(usage);
	*ret = help ? CLI_EXIT_OK : CLI_EXIT_ERROR;
	return found;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	struct generated gen;
	int index = 0, nwords = 0, ret;

	switch (parse_global(cli, argc, argv, &index)) {
	case PARSE_EXIT_OK:
		return CLI_EXIT_OK;
	case PARSE_EXIT_ERROR:
		return CLI_EXIT_ERROR;
	case PARSE_HELP:
		apply_defaults(cli);
		print_help(cli, stdout);
		return CLI_EXIT_OK;
	case PARSE_RUN:
		break;
	}
	if (index >= argc) {
		cli_error("no command given");
		print_short_usage();
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[index], "help") == 0)
		return help_command(cli, argc - index, argv + index);
	cmd = lookup(argc - index, argv + index, &nwords, &gen);
	if (!cmd && is_group(argv[index]))
		return group_error(argv[index],
		                   index + 1 < argc ? argv[index + 1] : NULL);
	if (!cmd && noun_error(cli, argv[index],
	                       index + 1 < argc ? argv[index + 1] : NULL, &ret))
		return ret;
	if (!cmd) {
		cli_error("unknown command '%s'", argv[index]);
		print_short_usage();
		return CLI_EXIT_ERROR;
	}
	/* getopt sees the command's last word as the program name. */
	index += nwords - 1;
	return run_command(cli, cmd, argc - index, argv + index);
}

int main(int argc, char **argv)
{
	struct cli cli;
	int status;

	memset(&cli, 0, sizeof(cli));
	cli.argc = argc;
	cli.argv = argv;
	status = run(&cli, argc, argv);
	/* A full disk must not pass for an answer. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write output");
		return CLI_EXIT_ERROR;
	}
	return status;
}
