/*
 * vocab.c - what Rocket.Chat keeps in the directory (ABI 1.5): units of
 * departments, departments with a chat limit, agents (members of
 * departments) with a status and a chat limit of their own, monitors
 * (members of units), the service's default chat limit, and the three
 * livechat workflows of the CLI.  The facts org.c and attrs.c read come
 * from these: ("unit", NAME, "name"), ("department", NAME, "unit" and
 * "max_chats"), ("setting", "default_max_chats", "value"), and the
 * subject's status, max_chats, departments and units.
 */
#include "config.h"

#include <string.h>

#include "private/rg_prim.h"
#include "rocketchat.h"

#define RC_KIND_UNIT       "unit"
#define RC_KIND_DEPARTMENT "department"
#define RC_ATTR_MAX_CHATS  "max_chats"
#define RC_ATTR_STATUS     "status"
#define RC_SETTING_MAX     "default_max_chats"
#define RC_STATUS_VALUES   "available,unavailable"

static int rc_declare_kinds(rg_plugin_handle *h)
{
	const rg_org_kind_spec unit = {
	    .size = sizeof(unit),
	    .flags = RG_ORG_MEMBERS,
	    .summary = "a unit of departments; its members are monitors",
	};
	const rg_org_kind_spec dept = {
	    .size = sizeof(dept),
	    .parent = RC_KIND_UNIT,
	    .parent_attr = RC_KIND_UNIT,
	    .flags = RG_ORG_MEMBERS,
	    .summary = "a department, in a unit or none; its members are "
	               "agents",
	};
	const rg_attr_spec limit = {
	    .size = sizeof(limit),
	    .type = RG_ATTR_INTEGER,
	    .min = 0,
	    .help = "chats an agent may hold in it at once (0: no limit)",
	};
	int rc = rg_declare_org_kind(h, RC_KIND_UNIT, &unit);

	if (rc == RG_OK)
		rc = rg_declare_org_kind(h, RC_KIND_DEPARTMENT, &dept);
	if (rc == RG_OK)
		rc = rg_declare_org_attr(h, RC_KIND_DEPARTMENT,
		                         RC_ATTR_MAX_CHATS, &limit);
	return rc;
}

/* The Rocket.Chat 7.x settings take-inquiry reads (doc/rocketchat.md):
 * Livechat_waiting_queue and Livechat_enabled_when_agent_idle. */
static int rc_declare_switches(rg_plugin_handle *h)
{
	const rg_attr_spec queue = {
	    .size = sizeof(queue),
	    .type = RG_ATTR_ENUM,
	    .values = RC_SETTING_ON "," RC_SETTING_OFF,
	    .help = "the waiting queue (Enterprise): chat limits apply only "
	            "while it is on",
	};
	const rg_attr_spec idle = {
	    .size = sizeof(idle),
	    .type = RG_ATTR_ENUM,
	    .values = RC_SETTING_ON "," RC_SETTING_OFF,
	    .help = "an agent who is away may still take chats",
	};
	int rc = rg_declare_setting(h, RC_SETTING_WAITING_QUEUE, &queue);

	if (rc == RG_OK)
		rc = rg_declare_setting(h, RC_SETTING_ACCEPT_IDLE, &idle);
	return rc;
}

static int rc_declare_user(rg_plugin_handle *h)
{
	const rg_attr_spec status = {
	    .size = sizeof(status),
	    .type = RG_ATTR_ENUM,
	    .values = RC_STATUS_VALUES,
	    .help = "an agent's status: available or unavailable",
	};
	const rg_attr_spec limit = {
	    .size = sizeof(limit),
	    .type = RG_ATTR_INTEGER,
	    .min = 0,
	    .help = "an agent's own chat limit (0: no limit of its own)",
	};
	const rg_attr_spec deflimit = {
	    .size = sizeof(deflimit),
	    .type = RG_ATTR_INTEGER,
	    .min = 0,
	    .help = "the chat limit of an agent without one of its own",
	};
	int rc = rg_declare_user_attr(h, RC_ATTR_STATUS, &status);

	if (rc == RG_OK)
		rc = rg_declare_user_attr(h, RC_ATTR_MAX_CHATS, &limit);
	if (rc == RG_OK)
		rc = rg_declare_setting(h, RC_SETTING_MAX, &deflimit);
	if (rc == RG_OK)
		rc = rc_declare_switches(h);
	return rc;
}

static int rc_declare_workflows(rg_plugin_handle *h)
{
	const rg_workflow_spec flows[] = {
	    {sizeof(rg_workflow_spec), RC_ROLE_AGENT, RC_KIND_DEPARTMENT,
	     RC_ATTR_STATUS "," RC_ATTR_MAX_CHATS,
	     "omnichannel agents (Administration > Omnichannel > Agents): "
	     "the departments they serve, their status and chat limit"},
	    {sizeof(rg_workflow_spec), RC_ROLE_MANAGER, NULL, NULL,
	     "omnichannel managers (Administration > Omnichannel > "
	     "Managers)"},
	    {sizeof(rg_workflow_spec), RC_ROLE_MONITOR, RC_KIND_UNIT, NULL,
	     "omnichannel monitors (Enterprise): they act only on the "
	     "departments of the units they monitor"},
	};
	const char *const nouns[] = {"agent", "manager", "monitor"};
	size_t i;
	int rc = RG_OK;

	for (i = 0; rc == RG_OK && i < RG_COUNTOF(nouns); i++)
		rc = rg_declare_workflow(h, nouns[i], &flows[i]);
	return rc;
}

int rc_declare_vocab(rg_plugin_handle *h)
{
	int rc = rc_declare_kinds(h);

	if (rc == RG_OK)
		rc = rc_declare_user(h);
	if (rc == RG_OK)
		rc = rc_declare_workflows(h);
	return rc;
}
