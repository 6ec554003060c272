/*
 * dirverbs.h - what the directory commands of the rolegate tool share.
 *
 * A command that changes the directory runs one operation function inside
 * one transaction (admin_run): what it reads (rg_user_get() from inside the
 * transaction sees the database as the transaction left it, and no other
 * writer can change it meanwhile) and every change it makes commit
 * together or not at all, and the audit trail records the command line as
 * typed and who ran it.
 */
#ifndef ROLEGATE_TOOLS_DIRVERBS_H
#define ROLEGATE_TOOLS_DIRVERBS_H

#include "cli.h"

/* The Rocket.Chat roles that the manager, agent and monitor workflows use. */
#define ADMIN_ROLE_MANAGER "livechat-manager"
#define ADMIN_ROLE_AGENT   "livechat-agent"
#define ADMIN_ROLE_MONITOR "livechat-monitor"

/* Room for a message the tool makes up itself. */
#define ADMIN_MSG_MAX 512

/* One directory command at work. */
struct admin {
	struct cli *cli;
	const struct cli_cmd *cmd;
	const struct cli_args *args;
	rg_context *ctx;
	const rg_service *svc;   /* the service named, or NULL */
	const char *service;     /* its name, or NULL for every service */
	rg_txn *txn;             /* while admin_run() runs the operation */
	json_t *changes;         /* what was done, one string each, in order */
	json_t *extra;           /* more members for the JSON result */
	char err[ADMIN_MSG_MAX]; /* a failure the tool itself found */
};

/* An operation inside the transaction; returns RG_OK or the failure. */
typedef int (*admin_op)(struct admin *a, void *data);

/*
 * Opens the context for a directory command (no watcher thread) and, when
 * service is not NULL, finds it.  Returns CLI_EXIT_OK, or CLI_EXIT_ERROR
 * after saying why.  Call admin_close() either way.
 */
int admin_open(struct admin *a, struct cli *cli, const struct cli_cmd *cmd,
               const struct cli_args *args, const char *service);
void admin_close(struct admin *a);

/*
 * Runs op in one transaction of a->service and commits it.  Prints what was
 * done (or the result object with --json) and the transaction's warnings,
 * or why it failed.  Returns the exit status.
 */
int admin_run(struct admin *a, admin_op op, void *data);

/* Records one change for the output ("assigned x to alice"). */
void admin_note(struct admin *a, const char *fmt, ...) RG_PRINTF(2, 3);

/*
 * Fails a command with a message of the tool's own (before or inside the
 * transaction); returns rc so that callers can `return admin_refuse(...)`.
 */
int admin_refuse(struct admin *a, int rc, const char *fmt, ...) RG_PRINTF(3, 4);

/*
 * Prints a failure found outside a transaction (by a read, or by the tool:
 * a->err) and returns the exit status for rc.
 */
int admin_fail(struct admin *a, int rc);

/*
 * The exit status of a library status: 0 done; 1 refused (unknown,
 * duplicate, in use, prerequisites, invalid value); 2 anything else.
 */
int admin_exit(int rc);

/*
 * Prints rows (JSON objects) as a table of the members keys under the
 * headings, each column as wide as its widest cell: strings as they are,
 * integers in decimal, arrays joined by ",", null and "" as "-".
 */
void admin_print_table(const json_t *rows, const char *const *keys,
                       const char *const *headings, size_t ncols);

/*
 * Applies the user attribute options given (--name unless skip_name,
 * --bu, --status, --max-chats; "" clears) to user id inside a->txn.
 */
int admin_set_user_attrs(struct admin *a, const char *id, int skip_name);

/* A user as the directory has it; every string owned. */
struct admin_user {
	char *id;
	char *name;
	char *bu;       /* or NULL */
	char *status;   /* or NULL */
	long max_chats; /* -1 when unset */
	char **roles;   /* NULL-terminated, possibly empty */
	char **departments;
	char **units;
};

/* Splits a comma-separated list from the library (never with empty items). */
char **admin_split(const char *list);

/* A JSON array of the strings of a NULL-terminated list. */
json_t *admin_jlist(char **items);

/* Opens the service named by the first argument and runs op once. */
int admin_run_simple(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args, admin_op op);

/* Reads a user of a->service: RG_OK, RG_ENOUSER or another error. */
int admin_user_get(struct admin *a, const char *id, struct admin_user *u);
void admin_user_free(struct admin_user *u);

/* 1 when the user holds role. */
int admin_user_has(const struct admin_user *u, const char *role);

/*
 * Checks that a->svc declares role; else refuses, saying that the command
 * is for services that have it.  Returns RG_OK or RG_ENOROLE.
 */
int admin_need_role(struct admin *a, const char *role);

/* A user's or an entry's attribute value from an option: "" clears it. */
const char *admin_value(const char *option);

/* ---- commands ---------------------------------------------------------- */

int admin_cmd_user_add(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args);
int admin_cmd_user_edit(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);
int admin_cmd_user_remove(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);
int admin_cmd_user_show(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);
int admin_cmd_user_list(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);
int admin_cmd_assign(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args);
int admin_cmd_unassign(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args);
int admin_cmd_role_create(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);
int admin_cmd_role_delete(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);
int admin_cmd_role_show(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);

int admin_cmd_manager_add(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);
int admin_cmd_manager_remove(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args);
int admin_cmd_agent_add(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);
int admin_cmd_agent_edit(struct cli *cli, const struct cli_cmd *cmd,
                         const struct cli_args *args);
int admin_cmd_agent_remove(struct cli *cli, const struct cli_cmd *cmd,
                           const struct cli_args *args);
int admin_cmd_monitor_add(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);
int admin_cmd_monitor_remove(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args);
int admin_cmd_setting_set(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);

int admin_cmd_department_add(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args);
int admin_cmd_department_edit(struct cli *cli, const struct cli_cmd *cmd,
                              const struct cli_args *args);
int admin_cmd_department_remove(struct cli *cli, const struct cli_cmd *cmd,
                                const struct cli_args *args);
int admin_cmd_department_list(struct cli *cli, const struct cli_cmd *cmd,
                              const struct cli_args *args);
int admin_cmd_unit_add(struct cli *cli, const struct cli_cmd *cmd,
                       const struct cli_args *args);
int admin_cmd_unit_remove(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);
int admin_cmd_unit_list(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);
int admin_cmd_bu_add(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args);
int admin_cmd_bu_move(struct cli *cli, const struct cli_cmd *cmd,
                      const struct cli_args *args);
int admin_cmd_bu_remove(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);
int admin_cmd_bu_list(struct cli *cli, const struct cli_cmd *cmd,
                      const struct cli_args *args);

int admin_cmd_import(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args);
int admin_cmd_export(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args);
int admin_cmd_audit(struct cli *cli, const struct cli_cmd *cmd,
                    const struct cli_args *args);
int admin_cmd_directory_verify(struct cli *cli, const struct cli_cmd *cmd,
                               const struct cli_args *args);
int admin_cmd_directory_path(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args);

#endif /* ROLEGATE_TOOLS_DIRVERBS_H */
