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
#include "dirview.h"

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

/* ---- verbs generated from the declarations (genverbs.c) -------------- */

/* What an option of a generated verb sets. */
enum gen_role {
	GEN_PARENT,    /* --PARENT_ATTR P: the entry's parent */
	GEN_ORG_ATTR,  /* --ATTR V: an attribute of the entry */
	GEN_CHILDREN,  /* --KINDS A,B: entries of a child kind moved into it */
	GEN_MEMBERS,   /* --KINDS A,B: the user's memberships */
	GEN_USER_ATTR, /* --ATTR V: an attribute of the user */
};

/* Options of one generated verb at most. */
#define GEN_OPTS_MAX 32
/* Room for a word made of a declared name ("departments", "max-chats"). */
#define GEN_WORD_MAX (2 * RG_ID_MAX)

struct gen_opt {
	enum gen_role role;
	char option[GEN_WORD_MAX]; /* without the dashes: "max-chats" */
	/* The attribute's declaration, or the kind's (parent, children,
	 * memberships); its strings are the context's. */
	rg_vocab_info decl;
	/* The word for the entries it names ("unit", "business unit"). */
	char noun[GEN_WORD_MAX];
	const char *value; /* as given, or NULL */
};

/* A verb of a kind or a workflow as one service declares it. */
struct gen_verb {
	const char *verb;   /* "add", ..., or NULL (user add/edit) */
	rg_vocab_info what; /* the kind or the workflow */
	struct gen_opt opt[GEN_OPTS_MAX];
	size_t nopt;
};

/*
 * Resolves `noun verb` in svc's declarations into *g: RG_OK; RG_ENOENT
 * when svc declares no kind or workflow noun; RG_EINVAL when that has no
 * such verb (move: trees only; edit: something to edit).
 */
int gen_resolve(struct gen_verb *g, const rg_service *svc, const char *noun,
                const char *verb);

/* *g gets svc's user attributes as options (user add, user edit). */
void gen_user_opts(struct gen_verb *g, const rg_service *svc);

/*
 * Takes the values of a->args->dyn into g's options; an option g does not
 * have is refused (a->err names it, the command and the service, and the
 * options there are): RG_OK or RG_ENOENT.
 */
int gen_take(struct admin *a, struct gen_verb *g, const char *what);

/* The option of role and declared name (NULL: the first of role). */
const struct gen_opt *gen_find(const struct gen_verb *g, enum gen_role role,
                               const char *name);

/* 1 when any option was given. */
int gen_any(const struct gen_verb *g);

/* "--unit or --max-chats": g's options, for "nothing to change". */
void gen_options_text(const struct gen_verb *g, char *buf, size_t len);

/* A word for JSON keys and headings: "business units" -> "business_units"
 * (heading: "BUSINESS UNITS", with a space for "_"). */
void gen_key(const char *word, char *buf, size_t len);
void gen_heading(const char *word, char *buf, size_t len);

/* "a" or "an", for word. */
const char *gen_article(const char *word);

/* The declaration of kind in svc: 1 found, else 0. */
int gen_kind(const rg_service *svc, const char *kind, rg_vocab_info *out);

/* What a kind's members are called, singular: the noun of the workflow
 * whose memberships they are, else "member" (RG_ORG_MEMBERS) or "user". */
const char *gen_member_word(const rg_service *svc, const rg_vocab_info *kind);

/* Sets (option "": clears) one attribute of user id inside a->txn. */
int admin_set_user_attr(struct admin *a, const char *id, const char *attr,
                        const char *option);

/*
 * Adds user to each entry of kind in want it is not in (cur) yet; with
 * replace, first removes it from those of cur not in want, so that its
 * memberships of kind are exactly want.  Inside a->txn.
 */
int admin_set_members(struct admin *a, const char *user, const char *kind,
                      char **cur, char **want, int replace);

/* Applies the user attribute options of g given, in order, to user id
 * inside a->txn ("" clears). */
int admin_set_user_attrs(struct admin *a, const struct gen_verb *g,
                         const char *id);

/* The generated verbs at work (organisation.c, workflows.c). */
int admin_org_run(struct admin *a, const struct gen_verb *g);
int admin_workflow_run(struct admin *a, const struct gen_verb *g);

/*
 * A user as the directory has it: the library's view of it copied, every
 * string and array of info owned, so that rg_user_info_attr() and
 * rg_user_info_members() read the copy as they read the original.
 */
struct admin_user {
	rg_user_info info;
	char **roles;    /* info.roles split, NULL-terminated */
	char ***members; /* info.member_names[i] split, NULL-terminated */
};

/* Copies info into *u: RG_OK or RG_ENOMEM (then *u is empty). */
int admin_user_copy(struct admin_user *u, const rg_user_info *info);

/* The user's memberships of kind (NULL-terminated; NULL when none). */
char **admin_user_members(const struct admin_user *u, const char *kind);

/* The user's attribute, or NULL when unset. */
const char *admin_user_attr(const struct admin_user *u, const char *attr);

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
 * Checks that a->svc declares role; else refuses, saying that the workflow
 * called noun needs it.  Returns RG_OK or RG_ENOROLE.
 */
int admin_need_role(struct admin *a, const char *role, const char *noun);

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

int admin_cmd_setting_set(struct cli *cli, const struct cli_cmd *cmd,
                          const struct cli_args *args);
int admin_cmd_generated(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args);
int admin_help_generated(struct cli *cli, const struct cli_cmd *cmd,
                         const struct cli_args *args);
int admin_help_user(struct cli *cli, const struct cli_cmd *cmd,
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
