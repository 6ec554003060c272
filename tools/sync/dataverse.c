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
 * too, by the rules of every next link, and the roles merged.  Teams, and
 * the roles users hold through them, are not read: the directory has no
 * teams yet.
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
#define ROLES_NEXT ROLES "@odata.nextLink"
/* What a systemuserid is made of. */
#define GUID_CHARS "0123456789abcdefABCDEF-"

/* What the dynamics365 plugin declares: the kind of the business units,
 * and the user attribute naming a user's. */
#define KIND_BU "bu"
#define ATTR_BU "bu"

/* What the business units say, for the users. */
struct dv_state {
	json_t *bus;   /* businessunitid -> {name, parent (id), where} */
	json_t *names; /* name -> businessunitid: a name only once */
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
 * The path of the user's roles collection, systemusers(ID)/ROLES: what
 * its next link reads, and from a folder the name of its files, which is
 * why ID must be a GUID (no dots or slashes).
 */
static int roles_path(struct sync *s, const json_t *item, const char *where,
                      char *buf, size_t len)
{
	const char *guid = sync_str(s, item, "systemuserid", where);
	int n;

	if (!guid)
		return RG_EINVAL;
	if (!*guid || strspn(guid, GUID_CHARS) != strlen(guid))
		return sync_fail(s, RG_EINVAL,
		                 "%s: systemuserid '%s' is not a GUID", where,
		                 guid);
	n = snprintf(buf, len, PATH_USERS "(%s)/" ROLES, guid);
	if (n < 0 || (size_t)n >= len)
		return sync_fail(s, RG_ELIMIT, "%s: systemuserid is too long",
		                 where);
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
	rc = roles_path(s, item, where, path, sizeof(path));
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

/* The name of the user's business unit, which businessunits listed. */
static const char *user_bu(struct sync *s, const struct dv_state *st,
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

static int on_user(struct sync *s, json_t *item, const char *where, void *data)
{
	const json_t *disabled = json_object_get(item, "isdisabled");
	const char *id, *bu, *name;
	json_t *u;
	int rc = RG_OK;

	if (!json_is_boolean(disabled))
		return sync_fail(s, RG_EINVAL,
		                 "%s: isdisabled is missing or not true or "
		                 "false",
		                 where);
	if (json_is_true(disabled))
		return RG_OK; /* absent upstream: kept, or --prune removes */
	id = user_id(s, item, where);
	bu = id ? user_bu(s, data, item, where) : NULL;
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
	return user_roles(s, u, item, id, where);
}

static int dv_fetch(struct sync *s)
{
	struct dv_state st = {json_object(), json_object()};
	int rc = st.bus && st.names ? RG_OK
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
	json_decref(st.bus);
	json_decref(st.names);
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
