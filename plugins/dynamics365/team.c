/*
 * team.c - Dataverse owner teams: their declaration in the directory, and
 * what a decision reads of them.
 *
 * An owner team belongs to one business unit and holds security roles; a
 * user holds the roles of the owner teams it is a member of besides its
 * own ("Manage teams", Power Platform admin documentation).  The directory
 * keeps a team as an entry of kind "team": its unit under the attribute
 * "bu" (required), its roles under "roles" (the policy's role ids,
 * comma-separated), and its members.  The snapshot hands them to the
 * plugin as facts ("team", NAME, "bu") and ("team", NAME, "roles"), and a
 * directory user's memberships as the subject attribute "teams".
 *
 * A team holds the policy's roles only, not custom roles: the check of a
 * value runs inside the directory's transaction and cannot see its custom
 * roles (a typo would be stored as one), nothing would stop a custom role
 * named by a team from being deleted, and a decision has no way to look a
 * custom role up by id.  Only this plugin's roles count: another plugin of
 * the stack knows nothing of teams.
 *
 * Everything read on the decision path is a lookup in the snapshot and
 * allocates nothing; a name the directory does not have, or a role the
 * policy in use does not declare (after a policy swap), grants nothing.
 */
#include <stdio.h>
#include <string.h>

#include "dynamics365.h"

#define FACT_TEAM          "team"
#define FACT_BU            "bu"
#define FACT_ROLES         "roles"
#define SUBJECT_ATTR_TEAMS "teams"
#define LIST_SEP           ","

/*
 * The next item of a comma-separated list into buf (empty when it does
 * not fit: no id or name is that long); returns the rest, or NULL when the
 * list is done.
 */
static const char *list_next(const char *list, char *buf, size_t len)
{
	size_t n;

	if (!list || !*list)
		return NULL;
	n = strcspn(list, LIST_SEP);
	if (n < len) {
		memcpy(buf, list, n);
		buf[n] = '\0';
	} else if (len) {
		buf[0] = '\0';
	}
	return list[n] ? list + n + 1 : list + n;
}

/* The index of role id when this plugin declared it, else -1. */
static long own_role(const rg_plugin_handle *h, const char *id)
{
	long r = rg_find_role(h, id);

	return r >= 0 && rg_roleset_has(rg_own_roles(h), (uint32_t)r) ? r : -1;
}

/*
 * The check of a team's roles before the directory stores them: each a
 * role of the policy in use.
 */
static int team_roles_ok(void *state, const char *value, char *err,
                         size_t errlen)
{
	const struct d365_state *st = state;
	const char *rest = value;
	char id[RG_ID_MAX];

	while ((rest = list_next(rest, id, sizeof(id))) != NULL) {
		if (!*id) {
			snprintf(err, errlen,
			         "expected role ids separated by commas");
			return 1;
		}
		if (own_role(st->h, id) < 0) {
			snprintf(
			    err, errlen,
			    "'%s' is not a role of the Dynamics 365 policy "
			    "in use (a team holds the policy's roles, not "
			    "custom roles)",
			    id);
			return 1;
		}
	}
	return 0;
}

int d365_declare_teams(rg_plugin_handle *h)
{
	const rg_org_kind_spec kind = {
	    .size = sizeof(kind),
	    .parent = FACT_BU,
	    .parent_attr = FACT_BU,
	    .flags = RG_ORG_PARENT_REQUIRED | RG_ORG_MEMBERS,
	    .summary = "an owner team: its members hold its security roles, "
	               "at depths measured from its business unit",
	    .noun = "team",
	};
	const rg_attr_spec roles = {
	    .size = sizeof(roles),
	    .type = RG_ATTR_TEXT,
	    .validate = team_roles_ok,
	    .help = "the team's security roles (role ids, comma-separated)",
	};
	int rc = rg_declare_org_kind(h, FACT_TEAM, &kind);

	if (rc == RG_OK)
		rc = rg_declare_org_attr(h, FACT_TEAM, FACT_ROLES, &roles);
	return rc;
}

const char *d365_subject_teams(const rg_plugin_request *req)
{
	const char *teams;

	if (!req->user)
		return NULL;
	teams = rg_attr_get(req->subject_attrs, req->nsubject_attrs,
	                    SUBJECT_ATTR_TEAMS);
	return teams && *teams ? teams : NULL;
}

int d365_team_next(const rg_plugin_request *req, const char **rest,
                   struct d365_team *team)
{
	const char *roles;
	char id[RG_ID_MAX];
	long node, r;

	*rest = list_next(*rest, team->name, sizeof(team->name));
	if (!*rest)
		return 0;
	memset(&team->roles, 0, sizeof(team->roles));
	team->bu = NULL;
	node = *team->name ? rg_fact_node(req, FACT_TEAM, team->name) : -1;
	if (node < 0)
		return 1;
	team->bu = rg_fact_node_get(req, node, FACT_BU);
	roles = rg_fact_node_get(req, node, FACT_ROLES);
	while ((roles = list_next(roles, id, sizeof(id))) != NULL) {
		r = own_role(req->handle, id);
		if (r >= 0)
			rg_roleset_add(&team->roles, (uint32_t)r);
	}
	return 1;
}

void d365_subject_roles(const rg_plugin_request *req, const char *teams,
                        rg_roleset *all)
{
	struct d365_team team;
	const char *rest = teams;
	size_t w;

	*all = *req->roles;
	while (d365_team_next(req, &rest, &team))
		for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
			all->w[w] |= team.roles.w[w];
}

int d365_team_of(const rg_plugin_request *req, const rg_roleset *own,
                 const char *teams, long role, struct d365_team *team)
{
	const char *rest = teams;

	if (role < 0 || rg_roleset_has(own, (uint32_t)role))
		return 0;
	while (d365_team_next(req, &rest, team))
		if (rg_roleset_has(&team->roles, (uint32_t)role))
			return 1;
	return 0;
}
