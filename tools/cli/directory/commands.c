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

/* The options of user add and user edit. */
#define USER_OPTS (V(NAME) | V(BU) | V(STATUS) | V(MAX_CHATS))

const struct cli_cmd cli_admin_commands[] = {
    {
        .name = "user add",
        .usage = "[--json] [--name NAME] [--bu UNIT] [--status STATUS] "
                 "[--max-chats N] SERVICE USER",
        .summary = "add a user to a service's directory",
        .help = "STATUS is available or unavailable; N a number >= 0 "
                "(0: no limit of its\nown).  A business unit must exist "
                "(bu add).\n",
        .opts = USER_OPTS,
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_user_add,
    },
    {
        .name = "user edit",
        .usage = "[--json] [--name NAME] [--bu UNIT] [--status STATUS] "
                 "[--max-chats N] SERVICE USER",
        .summary = "change a user's attributes",
        .help = "An empty value ('') clears the attribute.\n",
        .opts = USER_OPTS,
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_user_edit,
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
        .summary = "show a user: roles, unit, status, memberships",
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
        .name = "manager add",
        .usage = "[--json] SERVICE USER",
        .summary = "make a user a Rocket.Chat omnichannel manager",
        .help = "Assigns livechat-manager, adding the user when the "
                "directory does not\nknow it yet.\n",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_manager_add,
    },
    {
        .name = "manager remove",
        .usage = "[--json] SERVICE USER",
        .summary = "take livechat-manager from a user",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_manager_remove,
    },
    {
        .name = "agent add",
        .usage = "[--json] [--departments A,B] [--status STATUS] "
                 "[--max-chats N] SERVICE USER",
        .summary = "make a user an omnichannel agent",
        .help = "Assigns livechat-agent (adding the user when needed) and "
                "adds it to the\ndepartments.\n",
        .opts = V(DEPARTMENTS) | V(STATUS) | V(MAX_CHATS),
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_agent_add,
    },
    {
        .name = "agent edit",
        .usage = "[--json] [--departments A,B] [--status STATUS] "
                 "[--max-chats N] SERVICE USER",
        .summary = "change an agent's departments, status or chat limit",
        .help = "--departments replaces the agent's departments ('' for "
                "none).\n",
        .opts = V(DEPARTMENTS) | V(STATUS) | V(MAX_CHATS),
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_agent_edit,
    },
    {
        .name = "agent remove",
        .usage = "[--json] SERVICE USER",
        .summary = "take livechat-agent and its departments from a user",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_agent_remove,
    },
    {
        .name = "monitor add",
        .usage = "[--json] [--units A,B] SERVICE USER",
        .summary = "make a user an omnichannel monitor of units",
        .help = "Assigns livechat-monitor (adding the user when needed) "
                "and adds it to the\nunits.  A monitor sees only the "
                "departments of its units.\n",
        .opts = V(UNITS),
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_monitor_add,
    },
    {
        .name = "monitor remove",
        .usage = "[--json] SERVICE USER",
        .summary = "take livechat-monitor and its units from a user",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_monitor_remove,
    },
    {
        .name = "department add",
        .usage = "[--json] [--unit UNIT] [--max-chats N] SERVICE NAME",
        .summary = "add an omnichannel department",
        .help = "--max-chats N > 0 limits its agents' simultaneous "
                "chats.\n",
        .opts = V(UNIT) | V(MAX_CHATS),
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_department_add,
    },
    {
        .name = "department edit",
        .usage = "[--json] [--unit UNIT] [--max-chats N] SERVICE NAME",
        .summary = "change a department's unit or chat limit",
        .help = "An empty value ('') clears it.\n",
        .opts = V(UNIT) | V(MAX_CHATS),
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_department_edit,
    },
    {
        .name = "department remove",
        .usage = "[--json] SERVICE NAME",
        .summary = "remove a department",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_department_remove,
    },
    {
        .name = "department list",
        .usage = "[--json] SERVICE",
        .summary = "list departments with unit, chat limit and agents",
        .min_args = 1,
        .max_args = 1,
        .run = admin_cmd_department_list,
    },
    {
        .name = "unit add",
        .usage = "[--json] [--departments A,B] SERVICE NAME",
        .summary = "add a unit, optionally moving departments into it",
        .opts = V(DEPARTMENTS),
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_unit_add,
    },
    {
        .name = "unit remove",
        .usage = "[--json] SERVICE NAME",
        .summary = "remove a unit",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_unit_remove,
    },
    {
        .name = "unit list",
        .usage = "[--json] SERVICE",
        .summary = "list units with their departments and monitors",
        .min_args = 1,
        .max_args = 1,
        .run = admin_cmd_unit_list,
    },
    {
        .name = "setting set",
        .usage = "[--json] SERVICE KEY VALUE",
        .summary = "set a service setting (default_max_chats)",
        .help = "An empty VALUE ('') clears the setting.\n",
        .min_args = 3,
        .max_args = 3,
        .run = admin_cmd_setting_set,
    },
    {
        .name = "bu add",
        .usage = "[--json] [--parent UNIT] SERVICE NAME",
        .summary = "add a business unit (the root without --parent)",
        .opts = V(PARENT),
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_bu_add,
    },
    {
        .name = "bu move",
        .usage = "[--json] SERVICE NAME PARENT",
        .summary = "move a business unit under another",
        .help = "A move that would make a cycle is refused.\n",
        .min_args = 3,
        .max_args = 3,
        .run = admin_cmd_bu_move,
    },
    {
        .name = "bu remove",
        .usage = "[--json] SERVICE NAME",
        .summary = "remove a business unit without children or users",
        .min_args = 2,
        .max_args = 2,
        .run = admin_cmd_bu_remove,
    },
    {
        .name = "bu list",
        .usage = "[--json] SERVICE",
        .summary = "print the business-unit tree",
        .min_args = 1,
        .max_args = 1,
        .run = admin_cmd_bu_list,
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
