/*
 * rolegate.c - the rolegate command-line tool: options, commands, context.
 *
 *   rolegate [-c CONFIG] [--plugin-dir DIR] [-v|-q] COMMAND [ARGS]
 *
 * Global options come before the command (they are also accepted after it);
 * each command parses its own options.  Exit statuses are those of enum
 * cli_exit for every command.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef RG_SYSCONFDIR
#define RG_SYSCONFDIR "/etc/rolegate"
#endif
#define CLI_DEFAULT_CONFIG RG_SYSCONFDIR "/rolegate.conf"
#define CLI_ENV_CONFIG     "ROLEGATE_CONFIG"
#define CLI_ENV_PLUGIN_DIR "ROLEGATE_PLUGIN_DIR"

/* Long-only options get values above any character. */
enum {
	OPT_PLUGIN_DIR = UCHAR_MAX + 1,
	OPT_JSON,
	OPT_EXPLAIN,
};

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
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs(CLI_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
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
	vfprintf(stderr, fmt, ap);
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
	      "                        else the config's plugin_dir)\n"
	      "  -v, --verbose         log more (repeat for debug)\n"
	      "  -q, --quiet           log errors only\n"
	      "  -h, --help            show this help\n"
	      "  -V, --version         show the version\n",
	      stream);
}

static void print_help(FILE *stream)
{
	size_t i;

	fprintf(stream,
	        "Usage: %s [GLOBAL OPTIONS] COMMAND [--json] [ARGS]\n"
	        "       %s --help | --version | COMMAND --help\n\n"
	        "Asks a rolegate configuration who may do what.\n\n"
	        "Commands:\n",
	        CLI_NAME, CLI_NAME);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(stream, "  %-11s %s\n", commands[i].name,
		        commands[i].summary);
	fputc('\n', stream);
	print_global_options(stream);
	fputs("\nExit status: 0 allow/ok, 1 deny/problems found, "
	      "2 error.\n",
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

static void print_command_help(const struct cli_cmd *cmd)
{
	cli_usage(stdout, cmd);
	printf("\n%s %s: %s.\n\n", CLI_NAME, cmd->name, cmd->summary);
	if (cmd->help)
		printf("%s\n", cmd->help);
	fputs("Options:\n"
	      "      --json     print one JSON object\n",
	      stdout);
	if (cmd->opts & CLI_OPT_EXPLAIN)
		fputs("      --explain  print the trace and suggestions\n",
		      stdout);
	fputs("  -h, --help     show this help\n\n", stdout);
	print_global_options(stdout);
}

static void print_version(void)
{
	printf("%s %s (librolegate %s)\n", CLI_NAME, PACKAGE_VERSION,
	       rg_version());
}

static const struct cli_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * The build tree's plugins, when this executable is the one in the build
 * tree's tools/ (libtool runs it from tools/.libs/), so that an uninstalled
 * tree works without a plugin_dir in its config.  NULL otherwise.
 */
static const char *build_tree_plugin_dir(void)
{
#if defined(RG_BUILDDIR) && defined(RG_BUILD_PLUGINDIR)
	static const char tools[] = "/tools/";
	char exe[PATH_MAX];
	char top[PATH_MAX];
	size_t len;

	if (!realpath("/proc/self/exe", exe) || !realpath(RG_BUILDDIR, top))
		return NULL;
	len = strlen(top);
	if (strncmp(exe, top, len) != 0 ||
	    strncmp(exe + len, tools, sizeof(tools) - 1) != 0)
		return NULL;
	return RG_BUILD_PLUGINDIR;
#else
	return NULL;
#endif
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
	fprintf(stderr, "%s: %s\n", CLI_NAME, msg);
}

int cli_open(struct cli *cli, rg_context **ctx)
{
	char err[512] = "";
	rg_options opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.config_path = cli->config;
	opts.plugin_dir = cli->plugin_dir;
	opts.log = log_line;
	opts.log_user = cli;
	opts.log_level = log_level(cli);
	rc = rg_open(ctx, &opts, err, sizeof(err));
	if (rc == RG_OK && *ctx)
		return CLI_EXIT_OK;
	*ctx = NULL;
	if (err[0])
		cli_error("%s", err);
	else
		cli_error("%s: %s", cli->config, rg_strerror(rc));
	return CLI_EXIT_ERROR;
}

/*
 * One table for both parsers: global options are also accepted after the
 * command; each parser rejects the options that are not its own.
 */
static const struct option longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"json", no_argument, NULL, OPT_JSON},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {NULL, 0, NULL, 0},
};

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

enum parse_result { PARSE_RUN, PARSE_EXIT_OK, PARSE_EXIT_ERROR };

static enum parse_result parse_command(struct cli *cli,
                                       const struct cli_cmd *cmd, int argc,
                                       char **argv, struct cli_args *args)
{
	int opt;

	memset(args, 0, sizeof(*args));
	optind = 0; /* glibc: start over on a new argv */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:vqh", longopts, NULL)) !=
	       -1) {
		if (global_option(cli, opt) == 0)
			continue;
		switch (opt) {
		case 'h':
			print_command_help(cmd);
			return PARSE_EXIT_OK;
		case OPT_JSON:
			args->json = 1;
			break;
		case OPT_EXPLAIN:
			if (!(cmd->opts & CLI_OPT_EXPLAIN)) {
				cli_usage_error(cmd, "unknown option '%s'",
				                bad_option(argv));
				return PARSE_EXIT_ERROR;
			}
			args->explain = 1;
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
	int opt;

	opterr = 0;
	/* '+': stop at the command, whose options are its own. */
	while ((opt = getopt_long(argc, argv, "+:c:vqhV", longopts, NULL)) !=
	       -1) {
		if (global_option(cli, opt) == 0)
			continue;
		switch (opt) {
		case 'h':
			print_help(stdout);
			return PARSE_EXIT_OK;
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
	return PARSE_RUN;
}

/* `rolegate help [COMMAND]`, for those who type it. */
static int help_command(int argc, char **argv)
{
	const struct cli_cmd *cmd;

	if (argc < 2) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		cli_error("unknown command '%s'", argv[1]);
		return CLI_EXIT_ERROR;
	}
	print_command_help(cmd);
	return CLI_EXIT_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	struct cli_args args;
	int index = 0;

	switch (parse_global(cli, argc, argv, &index)) {
	case PARSE_EXIT_OK:
		return CLI_EXIT_OK;
	case PARSE_EXIT_ERROR:
		return CLI_EXIT_ERROR;
	case PARSE_RUN:
		break;
	}
	if (index >= argc) {
		cli_error("no command given");
		print_short_usage();
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[index], "help") == 0)
		return help_command(argc - index, argv + index);
	cmd = find_command(argv[index]);
	if (!cmd) {
		cli_error("unknown command '%s'", argv[index]);
		print_short_usage();
		return CLI_EXIT_ERROR;
	}
	switch (parse_command(cli, cmd, argc - index, argv + index, &args)) {
	case PARSE_EXIT_OK:
		return CLI_EXIT_OK;
	case PARSE_EXIT_ERROR:
		return CLI_EXIT_ERROR;
	case PARSE_RUN:
		break;
	}
	if (!cli->config)
		cli->config = env(CLI_ENV_CONFIG);
	if (!cli->config)
		cli->config = CLI_DEFAULT_CONFIG;
	if (!cli->plugin_dir)
		cli->plugin_dir = env(CLI_ENV_PLUGIN_DIR);
	if (!cli->plugin_dir)
		cli->plugin_dir = build_tree_plugin_dir();
	return cmd->run(cli, cmd, &args);
}

int main(int argc, char **argv)
{
	struct cli cli;
	int status;

	memset(&cli, 0, sizeof(cli));
	status = run(&cli, argc, argv);
	/* A full disk must not pass for an answer. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write output");
		return CLI_EXIT_ERROR;
	}
	return status;
}
