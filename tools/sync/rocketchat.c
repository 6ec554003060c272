/*
 * rocketchat.c - `rolegate sync` for Rocket.Chat: its REST API's users and
 * their roles, livechat agents (status, chat limit), units and their
 * monitors, departments (unit, chat limit) and their agents.
 *
 * Endpoints (https://developer.rocket.chat/apidocs), below /api/v1/:
 *   users.list                      paged  users[]: username, name, roles[]
 *   livechat/users/agent            paged  users[]: username,
 *                                          statusLivechat, livechat.
 *                                          maxNumberSimultaneousChat
 *   livechat/units                  paged  units[]: _id, name (Enterprise)
 *   livechat/units/ID/monitors             monitors[]: username
 *   livechat/department             paged  departments[]: _id, name,
 *                                          parentId (its unit),
 *                                          maxNumberSimultaneousChat
 *   livechat/department/ID/agents   paged  agents[]: username
 *   settings/ID                            value (the livechat settings)
 * Product role names are the plugin's role ids unless the --map file says
 * otherwise.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define ENV_TOKEN   "ROLEGATE_SYNC_AUTH_TOKEN"
#define ENV_USER_ID "ROLEGATE_SYNC_USER_ID"
#define HDR_TOKEN   "X-Auth-Token"
#define HDR_USER_ID "X-User-Id"

#define KIND_UNIT       "unit"
#define KIND_DEPARTMENT "department"
#define ATTR_MAX_CHATS  "max_chats"
#define ATTR_STATUS     "status"

/* Room for an API path with an id in it. */
#define PATH_MAX_LEN 256
/* Room for a count as text. */
#define COUNT_MAX 32

/* What the answers read so far say, for the later ones. */
struct rc_state {
	json_t *units; /* unit _id -> name */
	json_t *depts; /* department _id -> name */
};

static int rc_auth(struct sync *s, const char *token_file)
{
	const char *token = getenv(ENV_TOKEN);
	const char *user = getenv(ENV_USER_ID);
	int rc;

	if (token_file)
		return sync_token_file(s, token_file);
	if (!token || !*token || !user || !*user)
		return sync_fail(s, RG_EINVAL,
		                 "set " ENV_TOKEN " and " ENV_USER_ID
		                 " (a personal access token and its user's "
		                 "id), or give --token-file");
	rc = sync_header(s, HDR_TOKEN, token);
	if (rc == RG_OK)
		rc = sync_header(s, HDR_USER_ID, user);
	return rc;
}

/* An id that goes into a path or a file name: letters, digits, - and _. */
static const char *safe_id(struct sync *s, const json_t *obj, const char *where)
{
	const char *id = sync_str(s, obj, "_id", where);

	if (id && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
	                     "XYZ0123456789-_") != strlen(id)) {
		sync_fail(s, RG_EINVAL, "%s: _id '%s' is not a plain id", where,
		          id);
		return NULL;
	}
	return id;
}

/* A chat limit (a count or a string of digits) as text; "" when absent. */
static int count_text(struct sync *s, const json_t *v, const char *where,
                      const char *field, char *buf)
{
	const char *str = json_string_value(v);

	buf[0] = '\0';
	if (!v || json_is_null(v) || (str && !*str))
		return RG_OK;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		snprintf(buf, COUNT_MAX, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
	else if (str && strlen(str) < COUNT_MAX &&
	         strspn(str, "0123456789") == strlen(str))
		snprintf(buf, COUNT_MAX, "%s", str);
	else
		return sync_fail(s, RG_EINVAL, "%s: %s is not a count", where,
		                 field);
	return RG_OK;
}

/* The desired user called by the username of item, which users.list
 * must have listed. */
static json_t *known_user(struct sync *s, const json_t *item, const char *where)
{
	const char *name = sync_str(s, item, "username", where);
	json_t *u =
	    name ? json_object_get(json_object_get(s->desired, "users"), name)
	         : NULL;

	if (name && !u)
		sync_fail(s, RG_EINVAL,
		          "%s: username '%s' is not a user of users.list",
		          where, name);
	return u;
}

static int on_user(struct sync *s, json_t *item, const char *where, void *data)
{
	const char *id = sync_str(s, item, "username", where);
	const char *name = json_string_value(json_object_get(item, "name"));
	json_t *roles = json_object_get(item, "roles");
	json_t *u, *v;
	size_t i;
	int rc = RG_OK;

	(void)data;
	if (!id)
		return RG_EINVAL;
	if (!json_is_array(roles))
		return sync_fail(s, RG_EINVAL,
		                 "%s: roles is missing (the token's user needs "
		                 "view-full-other-user-info)",
		                 where);
	u = sync_user(s, id);
	if (name && *name)
		json_object_set_new(u, "name", json_string(name));
	json_object_set_new(json_object_get(u, "attrs"), ATTR_STATUS,
	                    json_null());
	json_object_set_new(json_object_get(u, "attrs"), ATTR_MAX_CHATS,
	                    json_null());
	json_object_set_new(json_object_get(u, "members"), KIND_DEPARTMENT,
	                    json_array());
	json_object_set_new(json_object_get(u, "members"), KIND_UNIT,
	                    json_array());
	json_array_foreach(roles, i, v)
	{
		char at[SYNC_MSG_MAX];
		const char *role = json_string_value(v);

		snprintf(at, sizeof(at), "%s.roles[%zu]", where, i);
		if (!role)
			return sync_fail(s, RG_EINVAL, "%s: not a string", at);
		rc = sync_add_role(s, u, role, id, at);
		if (rc != RG_OK)
			return rc;
	}
	return RG_OK;
}

/* "available" stays, Rocket.Chat's "not-available" is "unavailable". */
static const char *agent_status(const char *s)
{
	if (strcmp(s, "available") == 0)
		return "available";
	if (strcmp(s, "not-available") == 0 || strcmp(s, "unavailable") == 0)
		return "unavailable";
	return NULL;
}

static int on_agent(struct sync *s, json_t *item, const char *where, void *data)
{
	json_t *u = known_user(s, item, where);
	const char *st =
	    json_string_value(json_object_get(item, "statusLivechat"));
	char limit[COUNT_MAX];
	int rc;

	(void)data;
	if (!u)
		return RG_EINVAL;
	if (st && !agent_status(st))
		return sync_fail(s, RG_EINVAL,
		                 "%s: statusLivechat '%s' is neither available "
		                 "nor not-available",
		                 where, st);
	rc = count_text(s,
	                json_object_get(json_object_get(item, "livechat"),
	                                "maxNumberSimultaneousChat"),
	                where, "livechat.maxNumberSimultaneousChat", limit);
	if (rc != RG_OK)
		return rc;
	json_object_set_new(json_object_get(u, "attrs"), ATTR_STATUS,
	                    st ? json_string(agent_status(st)) : json_null());
	json_object_set_new(json_object_get(u, "attrs"), ATTR_MAX_CHATS,
	                    *limit ? json_string(limit) : json_null());
	return RG_OK;
}

static int on_unit(struct sync *s, json_t *item, const char *where, void *data)
{
	struct rc_state *st = data;
	const char *id = safe_id(s, item, where);
	const char *name = id ? sync_str(s, item, "name", where) : NULL;

	if (!name)
		return RG_EINVAL;
	json_object_set_new(st->units, id, json_string(name));
	sync_org(s, KIND_UNIT, name);
	return RG_OK;
}

/* The entry whose members a list names. */
struct entry {
	const char *kind;
	const char *name;
};

/* Adds the user of item to the entry data. */
static int on_member(struct sync *s, json_t *item, const char *where,
                     void *data)
{
	const struct entry *e = data;
	json_t *u = known_user(s, item, where);

	if (!u)
		return RG_EINVAL;
	sync_add_unique(json_object_get(u, "members"), e->kind, e->name);
	return RG_OK;
}

static int on_department(struct sync *s, json_t *item, const char *where,
                         void *data)
{
	struct rc_state *st = data;
	const char *id = safe_id(s, item, where);
	const char *name = id ? sync_str(s, item, "name", where) : NULL;
	const char *unit_id =
	    json_string_value(json_object_get(item, "parentId"));
	const char *unit = NULL;
	char limit[COUNT_MAX];
	json_t *d;
	int rc;

	if (!name)
		return RG_EINVAL;
	if (unit_id && *unit_id) {
		unit = json_string_value(json_object_get(st->units, unit_id));
		if (!unit)
			return sync_fail(s, RG_EINVAL,
			                 "%s: parentId '%s' is not a unit of "
			                 "livechat/units",
			                 where, unit_id);
	}
	rc = count_text(s, json_object_get(item, "maxNumberSimultaneousChat"),
	                where, "maxNumberSimultaneousChat", limit);
	if (rc != RG_OK)
		return rc;
	json_object_set_new(st->depts, id, json_string(name));
	d = sync_org(s, KIND_DEPARTMENT, name);
	json_object_set_new(d, "parent",
	                    unit ? json_string(unit) : json_null());
	json_object_set_new(json_object_get(d, "attrs"), ATTR_MAX_CHATS,
	                    *limit ? json_string(limit) : json_null());
	return RG_OK;
}

/* Reads the members of each entry of ids (_id -> name) from PATH/ID/sub. */
static int each_members(struct sync *s, json_t *ids, const char *base,
                        const char *sub, const char *key, int paged,
                        const char *kind)
{
	const char *id;
	json_t *v;
	int rc = RG_OK;

	json_object_foreach(ids, id, v)
	{
		char path[PATH_MAX_LEN];
		struct entry e = {kind, json_string_value(v)};

		snprintf(path, sizeof(path), "%s/%s/%s", base, id, sub);
		if (rc == RG_OK)
			rc = sync_each(s, path, key, paged, on_member, &e);
	}
	return rc;
}

/* The livechat settings the plugin declares, and Rocket.Chat's ids. */
static const struct rc_setting {
	const char *key; /* the directory's */
	const char *id;  /* Rocket.Chat's */
	int boolean;     /* true/false is on/off; else a count */
} rc_settings[] = {
    {"default_max_chats", "Livechat_maximum_chats_per_agent", 0},
    {"waiting_queue", "Livechat_waiting_queue", 1},
    {"accept_when_idle", "Livechat_enabled_when_agent_idle", 1},
};

/* Reads one setting (GET settings/ID) when the service declares it. */
static int read_setting(struct sync *s, const struct rc_setting *set)
{
	char path[PATH_MAX_LEN], limit[COUNT_MAX];
	json_t *ans = NULL, *v;
	int rc;

	if (rg_vocab_find(s->svc, RG_VOCAB_SETTING, NULL, set->key) < 0)
		return RG_OK;
	snprintf(path, sizeof(path), "settings/%s", set->id);
	rc = sync_get(s, path, &ans);
	v = json_object_get(ans, "value");
	if (rc == RG_OK && set->boolean && json_is_boolean(v))
		sync_setting(s, set->key, json_is_true(v) ? "on" : "off");
	else if (rc == RG_OK && set->boolean)
		rc = sync_fail(s, RG_EINVAL, "%s: value is not true or false",
		               path);
	else if (rc == RG_OK &&
	         (rc = count_text(s, v, path, "value", limit)) == RG_OK)
		sync_setting(s, set->key, *limit ? limit : "0");
	json_decref(ans);
	return rc;
}

static int rc_fetch(struct sync *s)
{
	struct rc_state st = {json_object(), json_object()};
	size_t i;
	int rc = st.units && st.depts
	             ? RG_OK
	             : sync_fail(s, RG_ENOMEM, "out of memory");

	/* Both kinds are compared, even when upstream has none. */
	sync_kind(s, KIND_UNIT);
	sync_kind(s, KIND_DEPARTMENT);
	if (rc == RG_OK)
		rc = sync_each(s, "users.list", "users", 1, on_user, &st);
	if (rc == RG_OK)
		rc = sync_each(s, "livechat/users/agent", "users", 1, on_agent,
		               &st);
	if (rc == RG_OK)
		rc = sync_each(s, "livechat/units", "units", 1, on_unit, &st);
	if (rc == RG_OK)
		rc = each_members(s, st.units, "livechat/units", "monitors",
		                  "monitors", 0, KIND_UNIT);
	if (rc == RG_OK)
		rc = sync_each(s, "livechat/department", "departments", 1,
		               on_department, &st);
	if (rc == RG_OK)
		rc = each_members(s, st.depts, "livechat/department", "agents",
		                  "agents", 1, KIND_DEPARTMENT);
	for (i = 0; rc == RG_OK && i < RG_COUNTOF(rc_settings); i++)
		rc = read_setting(s, &rc_settings[i]);
	json_decref(st.units);
	json_decref(st.depts);
	return rc;
}

const struct sync_adapter sync_rocketchat = {
    .plugin = "rocketchat",
    .doc = "https://developer.rocket.chat/apidocs",
    .api = "/api/v1/",
    .auth = rc_auth,
    .fetch = rc_fetch,
};
