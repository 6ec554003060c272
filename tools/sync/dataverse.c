/*
 * dataverse.c - `rolegate sync` for Dynamics 365 (plugin dynamics365): the
 * business units and the enabled users of Dataverse's Web API v9.2, each
 * user with its business unit and security roles.
 *
 * Endpoints, below the organisation's Web API root (--from
 * https://ORG.crm.dynamics.com/api/data/v9.2), both paged by
 * @odata.nextLink:
 *   businessunits  value[]: businessunitid, name,
 *                           _parentbusinessunitid_value (null: the root)
 *   systemusers    value[]: systemuserid, domainname, fullname,
 *                           isdisabled, _businessunitid_value,
 *                           systemuserroles_association[]: name, roleid
 * A user's id is its domainname (the sign-in name), or its systemuserid
 * when that is empty (SYSTEM, INTEGRATION).  A disabled user is left out:
 * absent upstream, so kept, or removed by --prune.  A security role maps
 * to the plugin role of the same display name, ignoring case ("Omnichannel
 * Agent" is omnichannel-agent), unless the --map file names it; any other
 * name must be a role id of the service.  A user with more roles than the
 * expanded page holds comes with systemuserroles_association@odata.nextLink
 * (systemusers(ID)/systemuserroles_association?...): its pages are read
 * too, by the rules of every next link, and the roles merged.
 *
 * Owner teams, each with its business unit, members and security roles:
 *   teams          value[]: teamid, name, teamtype,
 *                           _businessunitid_value
 *   teams(ID)/teammembership_association   value[]: systemuserid
 *   teams(ID)/teamroles_association        value[]: roleid, name
 * all three paged by @odata.nextLink.  Only owner teams (teamtype 0) hold
 * roles their members get: access teams (1) share records and Microsoft
 * Entra group teams (2, 3) take their members from the group, neither of
 * which the plugin models, so they are left out with a notice.  A team's
 * roles map as a user's do; a disabled member is left out as the user is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define ENV_TOKEN "ROLEGATE_SYNC_AUTH_TOKEN"
#define HDR_AUTH  "Authorization"
#define BEARER    "Bearer "

/* Records asked for per page (Dataverse's default and most is 5,000). */
#define PAGE_SIZE "500"

#define PATH_BUS   "businessunits"
#define QUERY_BUS  "$select=businessunitid,name,_parentbusinessunitid_value"
#define PATH_USERS "systemusers"
#define QUERY_USERS                                                            \
	"$select=systemuserid,domainname,fullname,isdisabled,"                 \
	"_businessunitid_value"                                                \
	"&$expand=systemuserroles_association($select=name,roleid)"
#define ROLES "systemuserroles_association"
/* Where a user's roles go on when they did not all come inline. */
#define ROLES_NEXT    ROLES "@odata.nextLink"
#define PATH_TEAMS    "teams"
#define QUERY_TEAMS   "$select=teamid,name,teamtype,_businessunitid_value"
#define TEAM_MEMBERS  "teammembership_association"
#define QUERY_MEMBERS "$select=systemuserid"
#define TEAM_ROLES    "teamroles_association"
#define QUERY_ROLES   "$select=roleid,name"
/* The teamtype of an owner team, the only type the plugin models. */
#define TEAMTYPE_OWNER 0
/* What a systemuserid or teamid is made of. */
#define GUID_CHARS "0123456789abcdefABCDEF-"

/* What the dynamics365 plugin declares: the kind of the business units,
 * and the user attribute naming a user's. */
#define KIND_BU "bu"
#define ATTR_BU "bu"
/* The kind of the owner teams (their unit is their parent), and their
 * attribute of comma-separated role ids. */
#define KIND_TEAM  "team"
#define ATTR_ROLES "roles"
#define ROLES_SEP  ","

/* What the business units say, for the users. */
struct dv_state {
	json_t *bus;   /* businessunitid -> {name, parent (id), where} */
	json_t *names; /* name -> businessunitid: a name only once */
	json_t *uids;  /* systemuserid -> user id, null when disabled */
	json_t *teams; /* teamid -> name, of the owner teams */
};

/* The headers the Web API wants besides the token (and Accept, which
 * every request sends). */
static const char *const dv_headers[][2] = {
    {"OData-MaxVersion", "4.0"},
    {"OData-Version", "4.0"},
    {"Prefer", "odata.maxpagesize=" PAGE_SIZE},
};

/* Authorization: Bearer TOKEN from the environment. */
static int env_token(struct sync *s)
{
	const char *token = getenv(ENV_TOKEN);
	char *value;
	int rc;

	if (!token || !*token)
		return sync_fail(s, RG_EINVAL,
		                 "set " ENV_TOKEN " (an OAuth access token "
		                 "for the organisation), or give --token-file");
	value = malloc(strlen(BEARER) + strlen(token) + 1);
	if (!value)
		return sync_fail(s, RG_ENOMEM, "out of memory");
	strcpy(value, BEARER);
	strcat(value, token);
	rc = sync_header(s, HDR_AUTH, value);
	free(value);
	return rc;
}

static int dv_auth(struct sync *s, const char *token_file)
{
	size_t i;
	int rc = token_file ? sync_token_file(s, token_file) : env_token(s);

	for (i = 0; rc == RG_OK && i < RG_COUNTOF(dv_headers); i++)
		rc = sync_header(s, dv_headers[i][0], dv_headers[i][1]);
	return rc;
}

/* A member that is a string or null (NULL then); *rc set when neither. */
static const char *str_or_null(struct sync *s, const json_t *obj,
                               const char *key, const char *where, int *rc)
{
	const json_t *v = json_object_get(obj, key);

	*rc = RG_OK;
	if (json_is_string(v))
		return json_string_value(v);
	if (!json_is_null(v))
		*rc = sync_fail(s, RG_EINVAL,
		                "%s: %s is missing or not a string or null",
		                where, key);
	return NULL;
}

static int on_bu(struct sync *s, json_t *item, const char *where, void *data)
{
	struct dv_state *st = data;
	const char *id = sync_str(s, item, "businessunitid", where);
	const char *name = id ? sync_str(s, item, "name", where) : NULL;
	const char *parent;
	int rc;

	if (!name)
		return RG_EINVAL;
	parent =
	    str_or_null(s, item, "_parentbusinessunitid_value", where, &rc);
	if (rc != RG_OK)
		return rc;
	if (json_object_get(st->names, name))
		return sync_fail(s, RG_EINVAL,
		                 "%s: a second business unit named '%s' (the "
		                 "directory knows units by name)",
		                 where, name);
	if (json_object_get(st->bus, id))
		return sync_fail(s, RG_EINVAL,
		                 "%s: a second business unit with id %s", where,
		                 id);
	json_object_set_new(st->names, name, json_string(id));
	json_object_set_new(st->bus, id,
	                    json_pack("{s:s s:s? s:s}", "name", name, "parent",
	                              parent, "where", where));
	return RG_OK;
}

/* The units' parents by name, once every page is read (a child may come
 * before its parent). */
static int bu_parents(struct sync *s, struct dv_state *st)
{
	const char *id;
	json_t *bu;

	json_object_foreach(st->bus, id, bu)
	{
		const char *parent =
		    json_string_value(json_object_get(bu, "parent"));
		const json_t *p =
		    parent ? json_object_get(st->bus, parent) : NULL;
		json_t *e;

		if (parent && !p)
			return sync_fail(
			    s, RG_EINVAL,
			    "%s: _parentbusinessunitid_value %s is not a "
			    "business unit of " PATH_BUS,
			    json_string_value(json_object_get(bu, "where")),
			    parent);
		e = sync_org(s, KIND_BU,
		             json_string_value(json_object_get(bu, "name")));
		json_object_set_new(e, "parent",
		                    p ? json_copy(json_object_get(p, "name"))
		                      : json_null());
	}
	return RG_OK;
}

/* A user whose security roles are read, for on_role(). */
struct dv_user {
	json_t *u;
	const char *id;
};

/* One security role of a user, inline or from a page of its own. */
static int on_role(struct sync *s, json_t *item, const char *where, void *data)
{
	const struct dv_user *du = data;
	const char *role = sync_str(s, item, "name", where);

	return role ? sync_add_role(s, du->u, role, du->id, where) : RG_EINVAL;
}

/*
 * The path of a row's collection, SET(ID)/NAV, ID the row's key member:
 * what its next link reads, and from a folder the name of its files,
 * which is why ID must be a GUID (no dots or slashes).
 */
static int nav_path(struct sync *s, const json_t *item, const char *key,
                    const char *set, const char *nav, const char *where,
                    char *buf, size_t len)
{
	const char *guid = sync_str(s, item, key, where);
	int n;

	if (!guid)
		return RG_EINVAL;
	if (!*guid || strspn(guid, GUID_CHARS) != strlen(guid))
		return sync_fail(s, RG_EINVAL, "%s: %s '%s' is not a GUID",
		                 where, key, guid);
	n = snprintf(buf, len, "%s(%s)/%s", set, guid, nav);
	if (n < 0 || (size_t)n >= len)
		return sync_fail(s, RG_ELIMIT, "%s: %s is too long", where,
		                 key);
	return RG_OK;
}

/*
 * Adds the user's security roles to u: those that came inline, then,
 * when the user has more than a page holds, the pages of ROLES_NEXT (all
 * of them: a partial list would take roles away).
 */
static int user_roles(struct sync *s, json_t *u, const json_t *item,
                      const char *id, const char *where)
{
	json_t *roles = json_object_get(item, ROLES);
	struct dv_user du = {u, id};
	char at[SYNC_MSG_MAX], path[SYNC_MSG_MAX];
	size_t i;
	int rc = RG_OK;

	if (!json_is_array(roles))
		return sync_fail(s, RG_EINVAL,
		                 "%s: " ROLES " is missing or not an array",
		                 where);
	for (i = 0; rc == RG_OK && i < json_array_size(roles); i++) {
		snprintf(at, sizeof(at), "%s." ROLES "[%zu]", where, i);
		rc = on_role(s, json_array_get(roles, i), at, &du);
	}
	if (rc != RG_OK || !json_object_get(item, ROLES_NEXT))
		return rc;
	rc = nav_path(s, item, "systemuserid", PATH_USERS, ROLES, where, path,
	              sizeof(path));
	return rc == RG_OK ? sync_each_expanded(s, item, where, ROLES, path,
	                                        on_role, &du)
	                   : rc;
}

/* The user's id: domainname, else systemuserid. */
static const char *user_id(struct sync *s, const json_t *item,
                           const char *where)
{
	int rc;
	const char *id = str_or_null(s, item, "domainname", where, &rc);

	if (rc != RG_OK)
		return NULL;
	return id && *id ? id : sync_str(s, item, "systemuserid", where);
}

/* The name of the business unit of a user or team, which businessunits
 * listed. */
static const char *row_bu(struct sync *s, const struct dv_state *st,
                          const json_t *item, const char *where)
{
	const char *id = sync_str(s, item, "_businessunitid_value", where);
	const json_t *bu = id ? json_object_get(st->bus, id) : NULL;

	if (id && !bu)
		sync_fail(s, RG_EINVAL,
		          "%s: _businessunitid_value %s is not a business "
		          "unit of " PATH_BUS,
		          where, id);
	return bu ? json_string_value(json_object_get(bu, "name")) : NULL;
}

/* Remembers which user a systemuserid is (null: disabled), for teams. */
static int known_uid(struct sync *s, struct dv_state *st, const json_t *item,
                     const char *id, const char *where)
{
	const char *guid = sync_str(s, item, "systemuserid", where);

	if (!guid)
		return RG_EINVAL;
	json_object_set_new(st->uids, guid, id ? json_string(id) : json_null());
	return RG_OK;
}

static int on_user(struct sync *s, json_t *item, const char *where, void *data)
{
	struct dv_state *st = data;
	const json_t *disabled = json_object_get(item, "isdisabled");
	const char *id, *bu, *name;
	json_t *u;
	int rc = RG_OK;

	if (!json_is_boolean(disabled))
		return sync_fail(s, RG_EINVAL,
		                 "%s: isdisabled is missing or not true or "
		                 "false",
		                 where);
	if (json_is_true(disabled)) /* absent upstream: kept, or pruned */
		return known_uid(s, st, item, NULL, where);
	id = user_id(s, item, where);
	bu = id ? row_bu(s, st, item, where) : NULL;
	name = bu ? str_or_null(s, item, "fullname", where, &rc) : NULL;
	if (!bu || rc != RG_OK)
		return RG_EINVAL;
	if (json_object_get(json_object_get(s->desired, "users"), id))
		return sync_fail(s, RG_EINVAL, "%s: a second user '%s'", where,
		                 id);
	u = sync_user(s, id);
	if (name && *name)
		json_object_set_new(u, "name", json_string(name));
	json_object_set_new(json_object_get(u, "attrs"), ATTR_BU,
	                    json_string(bu));
	/* Teams are compared for every user: one left upstream goes. */
	json_object_set_new(json_object_get(u, "members"), KIND_TEAM,
	                    json_array());
	rc = known_uid(s, st, item, id, where);
	return rc == RG_OK ? user_roles(s, u, item, id, where) : rc;
}

/* A team being read: its name, and its roles as they are found. */
struct dv_team {
	const struct dv_state *st;
	const char *name;
	json_t *roles; /* the plugin's role ids */
};

/* A team's teamtype, or -1 after sync_fail(). */
static json_int_t team_type(struct sync *s, const json_t *item,
                            const char *where)
{
	const json_t *v = json_object_get(item, "teamtype");

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return json_integer_value(v);
	sync_fail(s, RG_EINVAL, "%s: teamtype is missing or not a number",
	          where);
	return -1;
}

static int on_team(struct sync *s, json_t *item, const char *where, void *data)
{
	struct dv_state *st = data;
	const char *name = sync_str(s, item, "name", where);
	json_int_t type = name ? team_type(s, item, where) : -1;
	const char *id = type >= 0 ? sync_str(s, item, "teamid", where) : NULL;
	const char *bu;
	json_t *teams;

	if (!id)
		return RG_EINVAL;
	if (type != TEAMTYPE_OWNER) {
		sync_notice(
		    s,
		    "%s: team '%s' left out: teamtype %" JSON_INTEGER_FORMAT
		    " is not an owner team (0), the only type "
		    "rolegate models",
		    where, name, type);
		return RG_OK;
	}
	bu = row_bu(s, st, item, where);
	if (!bu)
		return RG_EINVAL;
	teams = json_object_get(json_object_get(s->desired, "orgs"), KIND_TEAM);
	if (json_object_get(teams, name))
		return sync_fail(s, RG_EINVAL,
		                 "%s: a second team named '%s' (the directory "
		                 "knows teams by name)",
		                 where, name);
	json_object_set_new(sync_org(s, KIND_TEAM, name), "parent",
	                    json_string(bu));
	json_object_set_new(st->teams, id, json_string(name));
	return RG_OK;
}

/* One member of a team: an enabled user joins it, a disabled one is left
 * out as the user is. */
static int on_member(struct sync *s, json_t *item, const char *where,
                     void *data)
{
	const struct dv_team *t = data;
	const char *guid = sync_str(s, item, "systemuserid", where);
	const json_t *id = guid ? json_object_get(t->st->uids, guid) : NULL;

	if (!guid)
		return RG_EINVAL;
	if (!id)
		return sync_fail(
		    s, RG_EINVAL,
		    "%s: systemuserid %s is not a user of " PATH_USERS, where,
		    guid);
	if (json_is_string(id))
		sync_add_unique(
		    json_object_get(sync_user(s, json_string_value(id)),
		                    "members"),
		    KIND_TEAM, t->name);
	return RG_OK;
}

/* One security role of a team, mapped as a user's are. */
static int on_team_role(struct sync *s, json_t *item, const char *where,
                        void *data)
{
	struct dv_team *t = data;
	const char *role = sync_str(s, item, "name", where);
	char holder[SYNC_MSG_MAX];
	const char *id;
	int rc;

	if (!role)
		return RG_EINVAL;
	snprintf(holder, sizeof(holder), "team '%s'", t->name);
	id = sync_role_of(s, role, holder, where, &rc);
	if (id)
		sync_add_unique(t->roles, ATTR_ROLES, id);
	return rc;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The team's roles as the directory keeps them: sorted, so that the
 * order upstream answers in changes nothing; null when it has none, NULL
 * when out of memory. */
static json_t *roles_text(const json_t *ids)
{
	size_t i, n = json_array_size(ids), len = 0;
	const char **v = n ? calloc(n, sizeof(*v)) : NULL;
	char *text = NULL;
	json_t *out = NULL;

	if (!n)
		return json_null();
	if (!v)
		goto out;
	for (i = 0; i < n; i++) {
		v[i] = json_string_value(json_array_get(ids, i));
		len += strlen(v[i]) + 1;
	}
	qsort(v, n, sizeof(*v), by_text);
	text = calloc(1, len);
	if (!text)
		goto out;
	for (i = 0; i < n; i++) {
		if (i)
			strcat(text, ROLES_SEP);
		strcat(text, v[i]);
	}
	out = json_string(text);
out:
	free(text);
	free(v);
	return out;
}

/* Calls fn for each row of the owner team's collection teams(ID)/NAV. */
static int team_each(struct sync *s, const json_t *row, const char *nav,
                     const char *query, sync_item_fn fn, struct dv_team *t)
{
	char path[SYNC_MSG_MAX];
	int rc = nav_path(s, row, "teamid", PATH_TEAMS, nav, PATH_TEAMS, path,
	                  sizeof(path));

	return rc == RG_OK ? sync_each_linked(s, path, query, "value", fn, t)
	                   : rc;
}

/* Reads the members and the roles of the owner team id called name. */
static int team_details(struct sync *s, const struct dv_state *st,
                        const char *id, const char *name)
{
	struct dv_team t = {st, name, json_object()};
	json_t *row = json_pack("{s:s}", "teamid", id), *text;
	int rc =
	    t.roles && row ? RG_OK : sync_fail(s, RG_ENOMEM, "out of memory");

	if (rc == RG_OK)
		rc = team_each(s, row, TEAM_MEMBERS, QUERY_MEMBERS, on_member,
		               &t);
	if (rc == RG_OK)
		rc = team_each(s, row, TEAM_ROLES, QUERY_ROLES, on_team_role,
		               &t);
	text = rc == RG_OK ? roles_text(json_object_get(t.roles, ATTR_ROLES))
	                   : NULL;
	if (text)
		json_object_set_new(
		    json_object_get(sync_org(s, KIND_TEAM, name), "attrs"),
		    ATTR_ROLES, text);
	else if (rc == RG_OK)
		rc = sync_fail(s, RG_ENOMEM, "out of memory");
	json_decref(row);
	json_decref(t.roles);
	return rc;
}

/* The owner teams, once the users are known (their members). */
static int dv_teams(struct sync *s, struct dv_state *st)
{
	const char *id;
	json_t *name;
	int rc;

	/* The teams are compared even when upstream has none. */
	sync_kind(s, KIND_TEAM);
	rc = sync_each_linked(s, PATH_TEAMS, QUERY_TEAMS, "value", on_team, st);
	json_object_foreach(st->teams, id, name)
	{
		if (rc == RG_OK)
			rc = team_details(s, st, id, json_string_value(name));
	}
	return rc;
}

static int dv_fetch(struct sync *s)
{
	struct dv_state st = {json_object(), json_object(), json_object(),
	                      json_object()};
	int rc = st.bus && st.names && st.uids && st.teams
	             ? RG_OK
	             : sync_fail(s, RG_ENOMEM, "out of memory");

	/* The units are compared even when upstream has none. */
	sync_kind(s, KIND_BU);
	if (rc == RG_OK)
		rc = sync_each_linked(s, PATH_BUS, QUERY_BUS, "value", on_bu,
		                      &st);
	if (rc == RG_OK)
		rc = bu_parents(s, &st);
	if (rc == RG_OK)
		rc = sync_each_linked(s, PATH_USERS, QUERY_USERS, "value",
		                      on_user, &st);
	if (rc == RG_OK)
		rc = dv_teams(s, &st);
	json_decref(st.bus);
	json_decref(st.names);
	json_decref(st.uids);
	json_decref(st.teams);
	return rc;
}

const struct sync_adapter sync_dataverse = {
    .plugin = "dynamics365",
    .doc = "https://learn.microsoft.com/power-apps/developer/data-platform/"
           "webapi/overview",
    .api = "/",
    .role_names = 1,
    .auth = dv_auth,
    .fetch = dv_fetch,
};
