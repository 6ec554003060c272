/*
 * commands.c - the table of the directory's commands.
 *
 * Every command that changes the directory runs as one transaction and is
 * recorded in the audit trail with the command line and who ran it
 * ($SUDO_USER, else $USER, else the uid).  Exit statuses: 0 done,
 * 1 refused (unknown, duplicate, in use, missing prerequisite with
 * --strict, invalid value), 2 usage error or system failure (locked or
 * read-only database, bad import file).
 */
#include "config.h"

#include "dirverbs.h"

#define V(x) CLI_OPT_VAL(CLI_VAL_##x)

/* The options of user add and user edit: --name and the service's user
 * attributes. */
#define USER_OPTS (V(NAME) | CLI_OPT_DYNAMIC)

const struct cli_cmd cli_admin_commands[] = {
    {
        .name = "user add",
        .usage = "[--json] [--name NAME] [--ATTR VALUE]... SERVICE USER",
        .summary = "add a user to a service's directory",
        .help = "--ATTR VALUE sets a user attribute the service's plugins "
                "declare (rolegate\nvocabulary SERVICE; `rolegate user "
                "add --help SERVICE` lists them).\n",
        .opts = USER_OPTS,
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_user_add,
        .help_fn = admin_help_user,
    },
    {
        .name = "user edit",
        .usage = "[--json] [--name NAME] [--ATTR VALUE]... SERVICE USER",
        .summary = "change a user's attributes",
        .help = "--ATTR VALUE sets a user attribute the service's plugins "
                "declare; an empty\nvalue ('') clears it.\n",
        .opts = USER_OPTS,
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_user_edit,
        .help_fn = admin_help_user,
    },
    {
        .name = "user remove",
        .usage = "[--json] SERVICE USER",
        .summary = "remove a user, its roles and memberships",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_user_remove,
    },
    {
        .name = "user show",
        .usage = "[--json] SERVICE USER",
        .summary = "show a user: roles, attributes, memberships",
        .help = "Also checks the user's roles against every prerequisite "
                "and prints a\nwarning line for each one missing.\n",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_user_show,
    },
    {
        .name = "user list",
        .usage = "[--json] SERVICE",
        .summary = "list a service's users",
        .min_args = 1,
        .max_args = 1,
        .run = admin_cmd_user_list,
    },
    {
        .name = "assign",
        .usage = "[--json] [--strict] SERVICE USER ROLE...",
        .summary = "assign roles to a user",
        .help = "All roles in one transaction.  A role whose "
                "prerequisites the user lacks\nis assigned with a warning, "
                "or refused with --strict.\n",
        .opts = CLI_OPT_STRICT,
        .min_args = 3,
        .max_args = -1,
        .run = admin_cmd_assign,
    },
    {
        .name = "unassign",
        .usage = "[--json] SERVICE USER ROLE...",
        .summary = "take roles from a user",
        .min_args = 3,
        .max_args = -1,
        .run = admin_cmd_unassign,
    },
    {
        .name = "setting set",
        .usage = "[--json] SERVICE KEY VALUE",
        .summary = "set a setting the service's plugins declare",
        .help = "An empty VALUE ('') clears the setting.  rolegate "
                "vocabulary SERVICE lists\nthe settings.\n",
        .min_args = 3,
        .max_args = 3,
        .run = admin_cmd_setting_set,
    },
    {
        .name = "role create",
        .usage = "[--json] --name NAME [--description TEXT] SERVICE ROLE "
                 "PRIVILEGE...",
        .summary = "create a custom role",
        .help = "The service's plugin may refuse custom roles, or some "
                "privileges in them.\n",
        .opts = V(NAME) | V(DESCRIPTION),
        .min_args = 3,
        .max_args = -1,
        .run = admin_cmd_role_create,
    },
    {
        .name = "role delete",
        .usage = "[--json] [--force] SERVICE ROLE",
        .summary = "delete a custom role",
        .help = "A role still assigned is refused unless --force, which "
                "unassigns it and\nsays from how many users.  Built-in "
                "roles cannot be deleted.\n",
        .opts = CLI_OPT_FORCE,
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_role_delete,
    },
    {
        .name = "role show",
        .usage = "[--json] SERVICE ROLE",
        .summary = "show a custom or built-in role and its holders",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_role_show,
    },
    {
        .name = "import",
        .usage = "[--json] [--replace] FILE",
        .summary = "apply a JSON export, all of it or nothing",
        .help = "With --replace the services in FILE are first emptied "
                "(a restore).  Progress\ngoes to standard error.  The "
                "audit trail gets one import.* record per\nuser, "
                "organisation entry, custom role and setting added, "
                "changed or\nremoved, before and after (rolegate audit "
                "--undo brings one back).\n",
        .opts = CLI_OPT_REPLACE,
        .min_args = 1,
        .max_args = 1,
        .run = admin_cmd_import,
    },
    {
        .name = "export",
        .usage = "[-o FILE] [SERVICE]",
        .summary = "write the directory (or one service's) as JSON",
        .opts = V(OUTPUT),
        .min_args = 0,
        .max_args = 1,
        .run = admin_cmd_export,
    },
    {
        .name = "audit",
        .usage = "[--json] [--service SERVICE] [--user USER] [--since TIME] "
                 "[--until TIME] [--limit N] | [--json] [--force] --undo "
                 "SEQ",
        .summary = "show the audit trail of directory changes, or undo one",
        .help = "TIME is UTC, YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z]; --since "
                "is inclusive,\n--until exclusive.  --limit shows the "
                "newest N records.\n--undo SEQ reverts what record SEQ "
                "changed, in a transaction audited\nas \"undo\"; refused "
                "(exit 1) when that changed since, unless --force,\nand "
                "when the record was undone already.  An import records "
                "one\nimport.* record per item it added, changed or "
                "removed: undo those.\n",
        .opts = V(SERVICE) | V(USER) | V(SINCE) | V(UNTIL) | V(LIMIT) |
                V(UNDO) | CLI_OPT_FORCE,
        .min_args = 0,
        .max_args = 0,
        .run = admin_cmd_audit,
    },
    {
        .name = "directory verify",
        .usage = "[--json]",
        .summary = "check the directory database's integrity",
        .help = "Exit 0 when sound, 1 when problems are found.\n",
        .min_args = 0,
        .max_args = 0,
        .run = admin_cmd_directory_verify,
    },
    {
        .name = "directory path",
        .usage = "[--json]",
        .summary = "print where the directory is",
        .min_args = 0,
        .max_args = 0,
        .run = admin_cmd_directory_path,
    },
};

const size_t cli_admin_ncommands = RG_COUNTOF(cli_admin_commands);
