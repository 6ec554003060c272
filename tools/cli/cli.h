/*
 * cli.h - shared pieces of the rolegate command-line tool.
 *
 * The tool uses the public application interface only (<rolegate/rolegate.h>):
 * everything it prints comes from what a context answers.  Each subcommand
 * lives in its own file and has the signature of cli_run_fn.
 */
#ifndef ROLEGATE_TOOLS_CLI_H
#define ROLEGATE_TOOLS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include <rolegate/rolegate.h>

#include "private/rg_prim.h"

#define CLI_NAME "rolegate"

/* Exit statuses, the same for every subcommand. */
enum cli_exit {
	CLI_EXIT_OK = 0,    /* allow; valid; success */
	CLI_EXIT_NO = 1,    /* deny; invalid; problems found; no such role */
	CLI_EXIT_ERROR = 2, /* usage error, unusable config, any error */
	CLI_EXIT_LOAD = 3,  /* test: the config or a policy does not load */
};

/* Settings from the global options and the environment. */
struct cli {
	const char *config;     /* configuration file to open */
	const char *plugin_dir; /* NULL: the config's, else the built-in */
	int plugin_dir_default; /* plugin_dir is the build tree's: the
	                           config's plugin_dir wins over it */
	const char *directory;  /* NULL: the config's directory */
	int verbose;            /* -v count */
	int quiet;              /* -q given */
	int silent;             /* drop every library log line (lint) */
	int quiet_open;         /* cli_open_quiet(): no message either */
	int argc;               /* the whole command line, for the audit */
	char **argv;
	/*
	 * While not NULL, library log lines are appended here (as strings)
	 * instead of printed: a directory command prints them itself, once,
	 * rather than a warning or an error twice.
	 */
	json_t *log_capture;
	/*
	 * While not NULL, cli_open() shows only the open-time problems of this
	 * service and of the whole file: a command about one service must not
	 * bury its answer under every other service's problems.  The
	 * directory's rows of other services are not loaded either
	 * (RG_OPEN_ONE_SERVICE).
	 */
	const char *only_service;
	/* With only_service, the directory user the command asks about:
	 * its row alone is loaded (RG_OPEN_ONE_USER); NULL: every user's. */
	const char *only_user;
	/*
	 * While not NULL, cli_open() appends here (as strings) the problems
	 * only the whole file shows in rolegated's sections (a route with no
	 * path, naming an unknown service, ...): lint reports them.
	 */
	json_t *app_problems;
	/* Likewise, its warnings (an admin API off loopback, ...). */
	json_t *app_warnings;
	/* RG_OPEN_* flags cli_open() adds (test: RG_OPEN_NO_DIRECTORY). */
	unsigned open_flags;
};

/*
 * Options that take a value, besides the global ones.  Each command says
 * which it accepts with CLI_OPT_VAL(); the values land in cli_args.val.
 */
enum cli_val {
	CLI_VAL_NAME,        /* --name */
	CLI_VAL_DESCRIPTION, /* --description */
	CLI_VAL_OUTPUT,      /* -o, --output */
	CLI_VAL_SERVICE,     /* --service */
	CLI_VAL_USER,        /* --user */
	CLI_VAL_SINCE,       /* --since */
	CLI_VAL_UNTIL,       /* --until */
	CLI_VAL_LIMIT,       /* --limit */
	CLI_VAL_JUNIT,       /* --junit */
	CLI_VAL_FROM,        /* --from (sync) */
	CLI_VAL_FROM_DIR,    /* --from-dir */
	CLI_VAL_MAP,         /* --map */
	CLI_VAL_TOKEN_FILE,  /* --token-file */
	CLI_VAL_UNDO,        /* --undo */
	CLI_VAL_COUNT
};

/* Subcommand options a command accepts besides --json and --help. */
#define CLI_OPT_EXPLAIN 0x1u
#define CLI_OPT_STRICT  0x2u /* --strict */
#define CLI_OPT_FORCE   0x4u /* --force */
#define CLI_OPT_REPLACE 0x8u /* --replace */
#define CLI_OPT_VAL(v)  (0x100u << (v))

/* --coverage */
#define CLI_OPT_COVER 0x10u
/* --dry-run and --prune (sync) */
#define CLI_OPT_DRY_RUN 0x20u
#define CLI_OPT_PRUNE   0x40u

/*
 * --NAME VALUE options that the service's plugins declare (a user
 * attribute, an organisation kind's parent or attribute, a workflow's
 * memberships): any long option that is not one of the tool's own lands
 * in cli_args.dyn, and the command checks it against the declarations.
 */
#define CLI_OPT_DYNAMIC 0x20u

/* One option of a CLI_OPT_DYNAMIC command: --name value. */
struct cli_dynopt {
	char *name;        /* without the dashes; owned */
	const char *value; /* as given ("" is a value) */
};

/* Parsed subcommand arguments. */
struct cli_args {
	int json;    /* --json */
	int explain; /* --explain */
	int strict;  /* --strict */
	int force;   /* --force */
	int replace; /* --replace */
	int cover;   /* --coverage */
	int dry_run; /* --dry-run */
	int prune;   /* --prune */
	/* Option values as given ("" is a value); NULL when not given. */
	const char *val[CLI_VAL_COUNT];
	int argc; /* positional arguments */
	char **argv;
	/* CLI_OPT_DYNAMIC: the options the tool does not know itself, in
	 * the order given. */
	struct cli_dynopt *dyn;
	size_t ndyn;
	char **words; /* the words getopt saw, when rebuilt; owned */
	int help;     /* --help given */
};

struct cli_cmd;

typedef int (*cli_run_fn)(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);

/* One subcommand.  A name of two words ("user add") is a command of a group. */
struct cli_cmd {
	const char *name;
	const char *usage;   /* what follows the name in a usage line */
	const char *summary; /* one line for --help */
	const char *help;    /* more lines for `rolegate COMMAND --help` */
	unsigned opts;       /* CLI_OPT_* */
	int min_args;
	int max_args; /* -1: unlimited */
	cli_run_fn run;
	/* Prints `COMMAND --help` itself, from the declarations of the
	 * service named (or of the first that has the command); NULL: the
	 * table's texts. */
	cli_run_fn help_fn;
};

/* ---- rolegate.c -------------------------------------------------------- */

/* Prints "rolegate: message" on stderr. */
void cli_error(const char *fmt, ...) RG_PRINTF(1, 2);

/* Prints a command's usage line on stream. */
void cli_usage(FILE *stream, const struct cli_cmd *cmd);

/*
 * Prints "rolegate: COMMAND: message" and the command's usage on stderr;
 * returns CLI_EXIT_ERROR so that callers can `return cli_usage_error(...)`.
 */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
    RG_PRINTF(2, 3);

/* Prints one line of a command's option help. */
void cli_print_option(const char *short_name, const char *name, const char *arg,
                      const char *help);

/* What cli_print_command_help() prints after the command's own options. */
typedef void (*cli_help_extra_fn)(void *user);

/*
 * Prints `COMMAND --help`: usage, summary, help, the options (with extra's
 * lines after the table's, when extra is not NULL) and the global options.
 */
void cli_print_command_help(const struct cli_cmd *cmd, cli_help_extra_fn extra,
                            void *user);

/*
 * Opens the context the global options name for a help text: no
 * directory, no log line.  CLI_EXIT_OK with *ctx set, else CLI_EXIT_ERROR
 * (nothing printed).
 */
int cli_open_quiet(struct cli *cli, rg_context **ctx);

/*
 * Opens the context the global options name.  Returns CLI_EXIT_OK with *ctx
 * set, or prints why it could not and returns CLI_EXIT_ERROR.  The tool
 * runs one command and exits, so no thread watches the directory.
 */
int cli_open(struct cli *cli, rg_context **ctx);

/*
 * 1 when --name (len bytes of it) is an option the tool handles itself for
 * cmd: a global one, --json, --help, one of cmd's, or a flag (refused as
 * unknown where cmd does not take it); *has_value says whether it takes a
 * value.
 */
int cli_known_option(const struct cli_cmd *cmd, const char *name, size_t len,
                     int *has_value);

/* ---- dynopts.c --------------------------------------------------------- */

/*
 * For a CLI_OPT_DYNAMIC command: moves every --NAME VALUE (or
 * --NAME=VALUE) that is not cli_known_option() from *argv into args->dyn,
 * and points *argv at the words left (args->words).  Returns 0, or -1
 * after a usage error (an option without its value, out of memory).
 */
int cli_dynamic_split(const struct cli_cmd *cmd, int *argc, char ***argv,
                      struct cli_args *args);

/* The value of --name in args->dyn (the last given), or NULL. */
const char *cli_dynamic_get(const struct cli_args *args, const char *name);

/* Frees what cli_dynamic_split() allocated. */
void cli_args_free(struct cli_args *args);

/* ---- cliutil.c --------------------------------------------------------- */

/* A request built from command-line words; owns its attribute arrays. */
struct cli_request {
	rg_request req;
	const char *subject_arg; /* the SUBJECT word as given */
	rg_attr *attrs;          /* request attributes */
	rg_attr *subject_attrs;  /* "subject.*" attributes, prefix stripped */
	char **keys;             /* copies of every key; freed at the end */
	size_t nkeys;
};

/*
 * Fills a subject from a SUBJECT word: a user id, or "@ROLE1,ROLE2" for an
 * ad-hoc subject.  The subject points into word.  Returns 0, or -1 (with a
 * message) when the word is empty.
 */
int cli_subject_parse(rg_subject *subject, const char *word);

/*
 * Builds a request from SERVICE SUBJECT ACTION [ATTR=VALUE ...].  Returns 0,
 * or -1 with a message naming the malformed word (or on out of memory).
 * Free with cli_request_free() either way.
 */
int cli_request_parse(struct cli_request *r, const struct cli_cmd *cmd,
                      int argc, char **argv);
void cli_request_free(struct cli_request *r);

/*
 * The service called name, or NULL after printing "unknown service".
 */
const rg_service *cli_service(const rg_context *ctx, const char *name);

/* Role flag names, e.g. "protected, core", into buf; "" when none. */
const char *cli_role_flags(unsigned flags, const char *sep, char *buf,
                           size_t len);

/* The prerequisites of role i as a NULL-terminated array to free(). */
const char **cli_role_prereqs(const rg_service *svc, size_t i);

/* The roles granting privilege p as a NULL-terminated array to free(). */
const char **cli_granting_roles(const rg_service *svc, size_t p);

/* The id of role i, or "?" when the service cannot say. */
const char *cli_role_id(const rg_service *svc, size_t i);

/* The id of privilege p, or "?". */
const char *cli_privilege_id(const rg_service *svc, size_t p);

/* Prints items joined by ", ", or empty when there are none. */
void cli_print_list(const char *const *items, const char *empty);

/* 1 when id is one of a NULL-terminated list of strings. */
int cli_list_has(const char *const *items, const char *id);

/* Number of strings in a NULL-terminated list (0 for NULL). */
size_t cli_list_len(const char *const *items);

/*
 * Splits a comma-separated list ("a,b") into a NULL-terminated array to
 * free() with cli_split_free(); "" is the empty list.  Returns NULL after
 * printing why: out of memory, or an empty item ("a,,b") when what names
 * the option (e.g. "--departments").
 */
char **cli_split(const char *list, const char *what);
void cli_split_free(char **items);

/*
 * The command line as typed, for the audit trail: "rolegate" and every
 * argument after the program name, joined by spaces and quoted for a POSIX
 * shell where needed.  To free(); NULL when out of memory.
 */
char *cli_command_line(const struct cli *cli);

/* s without leading and trailing white space, in place. */
char *cli_trim(char *s);

/* Who runs the command: $SUDO_USER, else $USER, else the uid.  To free(). */
char *cli_actor(void);

/* ---- JSON -------------------------------------------------------------- */

/*
 * A JSON string, or null for NULL (and for "" when empty_is_null).  Bytes
 * that are not valid UTF-8 become U+FFFD; null only when out of memory.
 */
json_t *cli_jstr(const char *s, int empty_is_null);

/* A JSON array of strings from a NULL-terminated list (NULL: empty). */
json_t *cli_jlist(const char *const *items);

/*
 * Prints obj on stdout, one object, indented, and drops the reference.
 * Returns status unless printing failed (NULL obj: out of memory), then
 * CLI_EXIT_ERROR.
 */
int cli_json_print(json_t *obj, int status);

/* ---- Commands of the directory (directory/) ---------------------------- */

/* The directory's commands, for rolegate.c's command lookup and help. */
extern const struct cli_cmd cli_admin_commands[];
extern const size_t cli_admin_ncommands;

/* Room for the name of a generated command ("department add"). */
#define CLI_GEN_NAME_MAX 160

/*
 * The verbs made of the services' declarations: `KIND add|edit|remove|list|
 * move` for an organisation kind, `NOUN add|edit|remove|list` for a role
 * workflow.  When verb is one of them, fills *cmd (its name in name, of
 * len bytes) with a command that looks noun up in the declarations of the
 * service it names, and returns 1; else 0.
 */
int cli_generated_command(const char *noun, const char *verb,
                          struct cli_cmd *cmd, char *name, size_t len);

/*
 * Prints the usage line of each verb the configuration's services have for
 * noun (as the first service with that verb declares it) on stream.
 * Returns 1 when there was one, else 0 (nothing printed).
 */
int cli_noun_help(struct cli *cli, const char *noun, FILE *stream);

/*
 * Prints the generated verbs of the configuration's services for
 * `rolegate --help` (one line each, the first service's texts), or how to
 * find them when the configuration does not open.
 */
void cli_print_generated(struct cli *cli, FILE *stream, int width);

/* ---- Subcommands ------------------------------------------------------- */

int cli_cmd_check(struct cli *cli, const struct cli_cmd *cmd,
                  const struct cli_args *args);
int cli_cmd_explain(struct cli *cli, const struct cli_cmd *cmd,
                    const struct cli_args *args);
int cli_cmd_validate(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args);
int cli_cmd_roles(struct cli *cli, const struct cli_cmd *cmd,
                  const struct cli_args *args);
int cli_cmd_privileges(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args);
int cli_cmd_vocabulary(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args);
int cli_cmd_whocan(struct cli *cli, const struct cli_cmd *cmd,
                   const struct cli_args *args);
int cli_cmd_diff(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args);
int cli_cmd_plugins(struct cli *cli, const struct cli_cmd *cmd,
                    const struct cli_args *args);
int cli_cmd_lint(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args);
int cli_cmd_services(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args);
int cli_cmd_test(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args);
/* sync/sync.c */
int cli_cmd_sync(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args);

#endif /* ROLEGATE_TOOLS_CLI_H */
