/*
 * adminapi.c - the admin listener: reload, the directory's changes and reads.
 *
 * It is a listener of its own, never the public one: a Unix socket that
 * only its owner may use (mode 0600), or TCP with a bearer token read from
 * a file (rolegated refuses to serve TCP without one).  One thread per
 * connection: a transaction waiting for the database never holds up a
 * reload or a read.
 *
 *   POST /v1/admin/reload                     load the configuration again
 *   GET  /v1/admin/status                     what is serving, the syncs
 *   POST /v1/admin/txn                        operations in one transaction
 *   GET  /v1/admin/users?service=S[&id=U]     users with roles, memberships
 *   GET  /v1/admin/org?service=S[&kind=K]     organisation entries
 *   GET  /v1/admin/roles?service=S[&id=R]     custom roles
 *   GET  /v1/admin/audit?[service=S&user=U&since=T&until=T&limit=N]
 *   POST /v1/admin/audit/undo                 revert one audit record:
 *                                             {"seq": N, "force": false,
 *                                             "actor": "who"}
 *   POST /v1/admin/sync                       the directory from the
 *                                             product ([sync SERVICE]):
 *                                             {"service": S, "dry_run":
 *                                             false, "prune": false}
 *
 * A transaction is {"service": S, "actor": "who" (optional), "ops": [...]}
 * with operations named after the library's calls (user.add, assign, ...).
 * Every operation is checked for shape before the transaction starts; the
 * first one the directory refuses rolls everything back, and the answer
 * names it by index.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>

#include "dirview.h"
#include "jsontext.h"
#include "rgsync.h"
#include "rolegated.h"

#define ADMIN_PREFIX    "/v1/admin/"
#define ADMIN_BODY_MAX  (4 * 1024 * 1024)
#define ADMIN_OPS_MAX   10000
#define ADMIN_BACKLOG   16
#define MSG_MAX         1024
#define COMMAND_MAX     2048
#define ACTOR_MAX       256
#define AUDIT_LIMIT     100
#define AUDIT_LIMIT_MAX 100000
#define NUMBER_MAX      32
#define SOCKET_MODE     0600

enum admin_kind {
	A_RELOAD = 1,
	A_TXN,
	A_STATUS,
	A_USERS,
	A_ORG,
	A_ROLES,
	A_AUDIT,
	A_UNDO,
	A_SYNC,
};

static const struct {
	const char *name;
	enum admin_kind kind;
	int post;
} endpoints[] = {
    {"reload", A_RELOAD, 1}, {"txn", A_TXN, 1},         {"status", A_STATUS, 0},
    {"users", A_USERS, 0},   {"org", A_ORG, 0},         {"roles", A_ROLES, 0},
    {"audit", A_AUDIT, 0},   {"audit/undo", A_UNDO, 1}, {"sync", A_SYNC, 1},
};

#define NENDPOINTS RG_COUNTOF(endpoints)

/* ---- answers --------------------------------------------------------------
 */

static enum MHD_Result reply(struct rgd *d, struct MHD_Connection *c,
                             unsigned status, json_t *obj)
{
	struct MHD_Response *r = NULL;
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	if (text) {
		size_t len = strlen(text);
		char *nl = realloc(text, len + 2);

		if (nl) {
			text = nl;
			memcpy(text + len, "\n", 2);
			r = rgd_response("application/json", text, len + 1);
		}
	}
	free(text);
	json_decref(obj);
	return rgd_queue(d, c, status, r);
}

static enum MHD_Result fail(struct rgd *d, struct MHD_Connection *c,
                            unsigned status, const char *fmt, ...)
    RG_PRINTF(4, 5);

static enum MHD_Result fail(struct rgd *d, struct MHD_Connection *c,
                            unsigned status, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply(d, c, status,
	             json_pack("{s:b s:s}", "ok", 0, "error", msg));
}

/* The HTTP status of a directory error. */
static unsigned status_of(int rc)
{
	switch (rc) {
	case RG_ENOUSER:
	case RG_ENOROLE:
	case RG_ENOENT:
	case RG_ENOSERVICE:
	case RG_ENOACTION:
		return RGD_HTTP_NOT_FOUND;
	case RG_EEXIST:
	case RG_EBUSY:
	case RG_EREFUSED:
		return RGD_HTTP_CONFLICT;
	case RG_EINVAL:
	case RG_ECONFIG:
	case RG_ELIMIT:
		return RGD_HTTP_UNPROCESSABLE;
	case RG_ENOSYS:
		return RGD_HTTP_UNAVAILABLE;
	default:
		return RGD_HTTP_INTERNAL;
	}
}

/* ---- who asks --------------------------------------------------------------
 */

/* "name (uid N)" of the peer of a Unix socket, or "token@ADDR" on TCP. */
static void peer_name(struct rgd *d, struct MHD_Connection *c, char *out,
                      size_t len)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct passwd pw, *res = NULL;
	char pwbuf[1024];

	snprintf(out, len, "unknown");
	if (!info)
		return;
	if (d->boot.admin_listen) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[INET6_ADDRSTRLEN] = "?";

		if (getpeername(info->connect_fd, (struct sockaddr *)&ss,
		                &sl) == 0) {
			if (ss.ss_family == AF_INET)
				inet_ntop(
				    AF_INET,
				    &((struct sockaddr_in *)&ss)->sin_addr,
				    host, sizeof(host));
			else if (ss.ss_family == AF_INET6)
				inet_ntop(
				    AF_INET6,
				    &((struct sockaddr_in6 *)&ss)->sin6_addr,
				    host, sizeof(host));
		}
		snprintf(out, len, "token@%s", host);
		return;
	}
	if (getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred,
	               &clen) != 0)
		return;
	if (getpwuid_r(cred.uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		snprintf(out, len, "%s", res->pw_name);
	else
		snprintf(out, len, "uid %u", (unsigned)cred.uid);
}

/* Constant-time comparison of the bearer token. */
static int token_ok(struct rgd *d, struct MHD_Connection *c)
{
	static const char bearer[] = "Bearer ";
	const char *h = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t i, len;
	unsigned char diff = 0;

	if (!h || strncmp(h, bearer, sizeof(bearer) - 1) != 0)
		return 0;
	h += sizeof(bearer) - 1;
	len = strlen(h);
	if (len != d->admin_token_len)
		return 0;
	for (i = 0; i < len; i++)
		diff |= (unsigned char)(h[i] ^ d->admin_token[i]);
	return diff == 0;
}

/* ---- reload and status ------------------------------------------------------
 */

static json_t *lines(const char (*l)[RGD_REPORT_LINE], size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n && i < RGD_REPORT_MAX; i++)
		json_array_append_new(arr, json_string(l[i]));
	return arr;
}

static enum MHD_Result reload(struct rgd *d, struct MHD_Connection *c)
{
	struct rgd_report *r = calloc(1, sizeof(*r));
	json_t *obj;
	int rc;

	if (!r)
		return rgd_queue(d, c, RGD_HTTP_INTERNAL, NULL);
	rc = rgd_engine_reload(&d->engine, "admin", r);
	if (rc == RG_OK)
		obj = json_pack("{s:b s:I s:o}", "ok", 1, "generation",
		                (json_int_t)r->generation, "warnings",
		                lines(r->warnings, r->nwarnings));
	else
		obj = json_pack(
		    "{s:b s:s s:I s:s s:o}", "ok", 0, "error",
		    rc == RG_ECONFIG ? "the configuration has problems"
		                     : "the configuration cannot be loaded",
		    "serving", (json_int_t)atomic_load(&d->metrics.generation),
		    "status", rg_status_name(rc), "problems",
		    lines(r->problems, r->nproblems));
	free(r);
	return reply(d, c,
	             rc == RG_OK       ? RGD_HTTP_OK
	             : rc == RG_ENOMEM ? RGD_HTTP_INTERNAL
	                               : RGD_HTTP_UNPROCESSABLE,
	             obj);
}

/* A Unix time, or null for 0 (never). */
static json_t *time_or_null(int64_t t)
{
	return t ? json_integer((json_int_t)t) : json_null();
}

/*
 * One [sync SERVICE] of g: where it reads from and how often, and its
 * last run as /metrics counts it.  The token file's path, never what it
 * holds: the status is for whoever may read the admin API, and the
 * product's credentials stay with the daemon.
 */
static json_t *sync_entry(struct rgd *d, const struct rgd_gen *g,
                          const struct rgd_sync *y)
{
	long i = rgd_gen_service(g, y->service);
	struct rgd_sync_stat st;

	rgd_metrics_sync_get(&d->metrics, i >= 0 ? g->slots[i] : RGD_SLOT_OTHER,
	                     &st);
	return json_pack(
	    "{s:s s:s s:s s:s? s:I s:b s:I s:I s:o s:o s:o s:I}", "service",
	    y->service, "from", y->from, "token_file", y->token_file, "map",
	    y->map, "interval", (json_int_t)y->interval, "prune", y->prune,
	    "runs", (json_int_t)st.runs, "failures", (json_int_t)st.failures,
	    "last_run", time_or_null(st.last_run), "last_success",
	    time_or_null(st.last_success), "last_ok",
	    st.last_run ? json_boolean(st.last_ok) : json_null(),
	    "last_changes", (json_int_t)st.last_changes);
}

/* The [sync SERVICE] sections of g, in configuration order. */
static json_t *sync_entries(struct rgd *d, const struct rgd_gen *g)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < g->conf.nsyncs; i++)
		json_array_append_new(arr, sync_entry(d, g, &g->conf.syncs[i]));
	return arr;
}

/*
 * Where the public listener is: "listen_socket" (a path) on a Unix socket,
 * with "address" and "port" null; on TCP "listen_socket" is null.
 */
static enum MHD_Result status(struct rgd *d, struct MHD_Connection *c,
                              struct rgd_gen *g)
{
	const char *sock = d->boot.listen_socket;
	json_t *services = json_array();
	size_t i;

	for (i = 0; services && i < g->nservices; i++)
		json_array_append_new(services, json_string(g->names[i]));
	return reply(
	    d, c, RGD_HTTP_OK,
	    json_pack("{s:s s:s s:s s:I s:I s:o s:I s:{s:b s:s} s:s? s:o s:s? "
	              "s:o}",
	              "version", PACKAGE_VERSION, "librolegate", rg_version(),
	              "config", rg_config_path(g->ctx), "generation",
	              (json_int_t)g->number, "loaded_at",
	              (json_int_t)g->loaded_at, "services", services, "routes",
	              (json_int_t)g->conf.nroutes, "directory", "available",
	              rg_directory_available(g->ctx), "location",
	              rg_directory_location(g->ctx)
	                  ? rg_directory_location(g->ctx)
	                  : "",
	              "address", sock ? NULL : d->boot.address, "port",
	              sock ? json_null()
	                   : json_integer((json_int_t)atomic_load(&d->port)),
	              "listen_socket", sock, "syncs", sync_entries(d, g)));
}

/* ---- transactions
 * -------------------------------------------------------------- */

/*
 * An operation: its fields, each "name:type" with type s (string), n
 * (string or null), v (value: string, integer or null), b (boolean), a
 * (array of strings); required ones first, then optional ones after '|'.
 */
struct op_def {
	const char *name;
	const char *fields;
	int (*apply)(rg_txn *t, json_t *op, json_t *result);
};

static const char *str(json_t *op, const char *key)
{
	return json_string_value(json_object_get(op, key));
}

/* A value field as text (integers written out); NULL for null. */
static const char *value(json_t *op, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(op, key);

	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		return buf;
	}
	return json_string_value(v);
}

static int op_user_add(rg_txn *t, json_t *op, json_t *res)
{
	return rg_user_add(t, str(op, "id"), str(op, "name"));
}

static int op_user_remove(rg_txn *t, json_t *op, json_t *res)
{
	return rg_user_remove(t, str(op, "id"));
}

static int op_user_set(rg_txn *t, json_t *op, json_t *res)
{
	char num[NUMBER_MAX];

	return rg_user_set(t, str(op, "id"), str(op, "attr"),
	                   value(op, "value", num, sizeof(num)));
}

static int op_assign(rg_txn *t, json_t *op, json_t *res)
{
	return rg_role_assign(
	    t, str(op, "user"), str(op, "role"),
	    json_is_true(json_object_get(op, "strict")) ? RG_ASSIGN_STRICT : 0);
}

static int op_unassign(rg_txn *t, json_t *op, json_t *res)
{
	return rg_role_unassign(t, str(op, "user"), str(op, "role"));
}

static int op_org_add(rg_txn *t, json_t *op, json_t *res)
{
	return rg_org_add(t, str(op, "kind"), str(op, "name"),
	                  str(op, "parent"));
}

static int op_org_remove(rg_txn *t, json_t *op, json_t *res)
{
	return rg_org_remove(t, str(op, "kind"), str(op, "name"));
}

static int op_org_set(rg_txn *t, json_t *op, json_t *res)
{
	char num[NUMBER_MAX];

	return rg_org_set(t, str(op, "kind"), str(op, "name"), str(op, "attr"),
	                  value(op, "value", num, sizeof(num)));
}

static int op_member_add(rg_txn *t, json_t *op, json_t *res)
{
	return rg_member_add(t, str(op, "user"), str(op, "kind"),
	                     str(op, "name"));
}

static int op_member_remove(rg_txn *t, json_t *op, json_t *res)
{
	return rg_member_remove(t, str(op, "user"), str(op, "kind"),
	                        str(op, "name"));
}

static int op_setting_set(rg_txn *t, json_t *op, json_t *res)
{
	char num[NUMBER_MAX];

	return rg_setting_set(t, str(op, "key"),
	                      value(op, "value", num, sizeof(num)));
}

static int op_role_create(rg_txn *t, json_t *op, json_t *res)
{
	json_t *privs = json_object_get(op, "privileges");
	size_t i, n = json_array_size(privs);
	const char **ids = calloc(n + 1, sizeof(*ids));
	int rc;

	if (!ids)
		return RG_ENOMEM;
	for (i = 0; i < n; i++)
		ids[i] = json_string_value(json_array_get(privs, i));
	rc = rg_custom_role_create(t, str(op, "id"), str(op, "name"),
	                           str(op, "description"), ids, n);
	free(ids);
	return rc;
}

static int op_role_delete(rg_txn *t, json_t *op, json_t *res)
{
	size_t unassigned = 0;
	int rc = rg_custom_role_delete(
	    t, str(op, "id"), json_is_true(json_object_get(op, "force")),
	    &unassigned);

	if (rc == RG_OK)
		json_object_set_new(res, "unassigned",
		                    json_integer((json_int_t)unassigned));
	return rc;
}

static const struct op_def ops[] = {
    {"user.add", "id:s|name:n", op_user_add},
    {"user.remove", "id:s", op_user_remove},
    {"user.set", "id:s attr:s value:v", op_user_set},
    {"assign", "user:s role:s|strict:b", op_assign},
    {"unassign", "user:s role:s", op_unassign},
    {"org.add", "kind:s name:s|parent:n", op_org_add},
    {"org.remove", "kind:s name:s", op_org_remove},
    {"org.set", "kind:s name:s attr:s value:v", op_org_set},
    {"member.add", "user:s kind:s name:s", op_member_add},
    {"member.remove", "user:s kind:s name:s", op_member_remove},
    {"setting.set", "key:s value:v", op_setting_set},
    {"role.create", "id:s privileges:a|name:n description:n", op_role_create},
    {"role.delete", "id:s|force:b", op_role_delete},
};

#define NOPS RG_COUNTOF(ops)

static const struct op_def *find_op(const char *name)
{
	size_t i;

	for (i = 0; name && i < NOPS; i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

static int type_ok(json_t *v, char type)
{
	size_t i;

	switch (type) {
	case 's':
		return json_is_string(v) && *json_string_value(v);
	case 'n':
		return json_is_null(v) || json_is_string(v);
	case 'v':
		return json_is_null(v) || json_is_string(v) ||
		       json_is_integer(v);
	case 'b':
		return json_is_boolean(v);
	case 'a':
		if (!json_is_array(v))
			return 0;
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)) ||
			    !*json_string_value(json_array_get(v, i)))
				return 0;
		return 1;
	}
	return 0;
}

static const char *type_name(char type)
{
	switch (type) {
	case 's':
		return "a non-empty string";
	case 'n':
		return "a string or null";
	case 'v':
		return "a string, an integer or null";
	case 'b':
		return "true or false";
	default:
		return "an array of non-empty strings";
	}
}

/*
 * Looks up a field of def's list ("name:t"); returns its type, or 0 when
 * key is not a field; *required tells which part it is in.
 */
static char field_type(const struct op_def *def, const char *key, int *required)
{
	const char *p = def->fields;
	size_t klen = strlen(key);

	*required = 1;
	while (*p) {
		size_t len = strcspn(p, ":");

		if (len == klen && strncmp(p, key, klen) == 0)
			return p[len + 1];
		p += len + 2;
		if (*p == '|')
			*required = 0;
		if (*p)
			p++;
	}
	return 0;
}

/* Checks the shape of operation i; -1 with msg naming the problem. */
static int check_op(json_t *op, size_t i, const struct op_def **out, char *msg)
{
	const struct op_def *def;
	const char *key, *p;
	json_t *v;
	int required;

	if (!json_is_object(op))
		return snprintf(msg, MSG_MAX, "ops[%zu]: expected an object",
		                i),
		       -1;
	def = find_op(str(op, "op"));
	if (!def)
		return snprintf(msg, MSG_MAX,
		                "ops[%zu]: unknown or missing 'op' (user.add, "
		                "user.remove, user.set, assign, unassign, "
		                "org.add, org.remove, org.set, member.add, "
		                "member.remove, setting.set, role.create, "
		                "role.delete)",
		                i),
		       -1;
	json_object_foreach(op, key, v)
	{
		char type;

		if (strcmp(key, "op") == 0)
			continue;
		type = field_type(def, key, &required);
		if (!type)
			return snprintf(msg, MSG_MAX,
			                "ops[%zu] (%s): unknown field '%s'", i,
			                def->name, key),
			       -1;
		if (!type_ok(v, type))
			return snprintf(msg, MSG_MAX,
			                "ops[%zu] (%s): field '%s': expected "
			                "%s",
			                i, def->name, key, type_name(type)),
			       -1;
	}
	/* Every required field is there. */
	for (p = def->fields; *p && *p != '|';) {
		size_t len = strcspn(p, ":");
		char name[RGD_NAME_MAX];

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (!json_object_get(op, name))
			return snprintf(msg, MSG_MAX,
			                "ops[%zu] (%s): missing field '%s'", i,
			                def->name, name),
			       -1;
		p += len + 2;
		if (*p == ' ')
			p++;
	}
	*out = def;
	return 0;
}

/* "rolegated admin: user.add alice; assign alice basic-user" */
static void command_line(json_t *list, char *out, size_t len)
{
	size_t i, used;
	json_t *op;

	used = (size_t)snprintf(out, len, RGD_NAME " admin:");
	json_array_foreach(list, i, op)
	{
		const char *key;
		json_t *v;

		if (used >= len)
			break;
		used += (size_t)snprintf(out + used, len - used, "%s %s",
		                         i ? ";" : "", str(op, "op"));
		json_object_foreach(op, key, v)
		{
			if (used >= len)
				break;
			if (strcmp(key, "op") == 0 || !json_is_string(v))
				continue;
			used += (size_t)snprintf(out + used, len - used, " %s",
			                         json_string_value(v));
		}
	}
}

static enum MHD_Result txn_fail(struct rgd *d, struct MHD_Connection *c, int rc,
                                long index, const char *op, const char *msg)
{
	json_t *obj = json_pack("{s:b s:s s:s}", "ok", 0, "status",
	                        rg_status_name(rc), "error", msg);

	if (obj && index >= 0) {
		json_object_set_new(obj, "index", json_integer(index));
		json_object_set_new(obj, "op", json_string(op));
	}
	return reply(d, c, status_of(rc), obj);
}

/* Runs the checked operations in one transaction of g's context. */
static enum MHD_Result run_txn(struct rgd *d, struct MHD_Connection *c,
                               struct rgd_gen *g, const char *service,
                               const char *actor, json_t *list,
                               const struct op_def **defs)
{
	char err[MSG_MAX] = "", command[COMMAND_MAX];
	json_t *results = json_array(), *warnings = json_array();
	size_t i, n = json_array_size(list);
	rg_txn *t = NULL;
	int rc;

	command_line(list, command, sizeof(command));
	rc =
	    rg_txn_begin(g->ctx, service, actor, command, &t, err, sizeof(err));
	if (rc != RG_OK || !t) {
		json_decref(results);
		json_decref(warnings);
		return txn_fail(d, c, rc != RG_OK ? rc : RG_EINTERNAL, -1, NULL,
		                err[0] ? err : rg_strerror(rc));
	}
	for (i = 0; i < n; i++) {
		json_t *op = json_array_get(list, i);
		json_t *res = json_pack("{s:s}", "op", defs[i]->name);

		rc = defs[i]->apply(t, op, res);
		if (rc != RG_OK) {
			const char *why = rg_txn_error(t);

			snprintf(err, sizeof(err), "%s",
			         why && *why ? why : rg_strerror(rc));
			json_decref(res);
			rg_txn_abort(t);
			json_decref(results);
			json_decref(warnings);
			return txn_fail(d, c, rc, (long)i, defs[i]->name, err);
		}
		json_array_append_new(results, res);
	}
	n = rg_txn_warning_count(t);
	for (i = 0; i < n; i++)
		json_array_append_new(warnings,
		                      json_string(rg_txn_warning(t, i)));
	rc = rg_txn_commit(t);
	if (rc != RG_OK) {
		json_decref(results);
		json_decref(warnings);
		return txn_fail(d, c, rc, -1, NULL,
		                "the transaction could not be committed");
	}
	rgd_log(&d->log, RG_LOG_INFO, "admin: %s: %s (%zu operations)", actor,
	        command, json_array_size(list));
	return reply(d, c, RGD_HTTP_OK,
	             json_pack("{s:b s:s s:I s:o s:o}", "ok", 1, "service",
	                       service, "operations",
	                       (json_int_t)json_array_size(list), "results",
	                       results, "warnings", warnings));
}

/* The first member of doc not in allowed (NULL-terminated), or NULL. */
static const char *unknown_field(json_t *doc, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(doc, key, v)
	{
		for (i = 0; allowed[i] && strcmp(key, allowed[i]); i++)
			;
		if (!allowed[i])
			return key;
	}
	return NULL;
}

/* Who the audit trail names: the request's "actor", and the peer. */
static void actor_of(struct rgd *d, struct MHD_Connection *c, const char *who,
                     char *actor, size_t len)
{
	char peer[ACTOR_MAX];

	peer_name(d, c, peer, sizeof(peer));
	if (who && *who)
		snprintf(actor, len, "%s (via " RGD_NAME ", %s)", who, peer);
	else
		snprintf(actor, len, "%s (via " RGD_NAME ")", peer);
}

/*
 * The request's "service" (required) and "actor" (optional, into *who):
 * the service, or NULL after answering why not (*ret).
 */
static const char *service_field(struct rgd *d, struct MHD_Connection *c,
                                 json_t *doc, const char **who,
                                 enum MHD_Result *ret)
{
	const char *service = str(doc, "service");

	*who = str(doc, "actor");
	if (!service || !*service) {
		*ret = fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "missing field 'service' (a string)");
		return NULL;
	}
	if (json_object_get(doc, "actor") && !*who) {
		*ret = fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "field 'actor': expected a string");
		return NULL;
	}
	return service;
}

static enum MHD_Result txn(struct rgd *d, struct MHD_Connection *c,
                           struct rgd_gen *g, json_t *doc)
{
	static const char *const txn_fields[] = {"service", "ops", "actor",
	                                         NULL};
	char msg[MSG_MAX], actor[2 * ACTOR_MAX];
	const struct op_def **defs;
	const char *service, *who, *key;
	enum MHD_Result ret;
	json_t *list;
	size_t i, n;

	if (!json_is_object(doc))
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "expected {\"service\": ..., \"ops\": [...]}");
	key = unknown_field(doc, txn_fields);
	if (key)
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "unknown field '%s' (expected service, actor, ops)",
		            key);
	list = json_object_get(doc, "ops");
	service = service_field(d, c, doc, &who, &ret);
	if (!service)
		return ret;
	if (!json_is_array(list) || json_array_size(list) == 0)
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "field 'ops': expected a non-empty array of "
		            "operations");
	n = json_array_size(list);
	if (n > ADMIN_OPS_MAX)
		return fail(d, c, RGD_HTTP_TOO_LARGE,
		            "too many operations: %zu (at most %d)", n,
		            ADMIN_OPS_MAX);
	if (rgd_gen_service(g, service) < 0)
		return fail(d, c, RGD_HTTP_NOT_FOUND, "unknown service '%s'",
		            service);
	defs = calloc(n, sizeof(*defs));
	if (!defs)
		return rgd_queue(d, c, RGD_HTTP_INTERNAL, NULL);
	for (i = 0; i < n; i++)
		if (check_op(json_array_get(list, i), i, &defs[i], msg) < 0) {
			free(defs);
			return reply(d, c, RGD_HTTP_BAD_REQUEST,
			             json_pack("{s:b s:s s:I}", "ok", 0,
			                       "error", msg, "index",
			                       (json_int_t)i));
		}
	actor_of(d, c, who, actor, sizeof(actor));
	ret = run_txn(d, c, g, service, actor, list, defs);
	free(defs);
	return ret;
}

/* POST /v1/admin/audit/undo: rg_audit_undo(), refused as the CLI's. */
static enum MHD_Result undo(struct rgd *d, struct MHD_Connection *c,
                            struct rgd_gen *g, json_t *doc)
{
	static const char *const undo_fields[] = {"seq", "force", "actor",
	                                          NULL};
	char err[MSG_MAX] = "", actor[2 * ACTOR_MAX], command[COMMAND_MAX];
	json_t *seq = json_object_get(doc, "seq");
	json_t *force = json_object_get(doc, "force");
	const char *who = str(doc, "actor"), *key;
	long long done = 0;
	int rc;

	if (!json_is_object(doc))
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "expected {\"seq\": N, \"force\": false}");
	key = unknown_field(doc, undo_fields);
	if (key)
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "unknown field '%s' (expected seq, force, actor)",
		            key);
	if (!json_is_integer(seq) || json_integer_value(seq) <= 0)
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "field 'seq': expected a record number > 0");
	if (force && !json_is_boolean(force))
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "field 'force': expected true or false");
	if (json_object_get(doc, "actor") && !who)
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "field 'actor': expected a string");
	actor_of(d, c, who, actor, sizeof(actor));
	snprintf(command, sizeof(command),
	         RGD_NAME " admin: audit undo %" JSON_INTEGER_FORMAT "%s",
	         json_integer_value(seq), json_is_true(force) ? " force" : "");
	rc = rg_audit_undo(g->ctx, (long long)json_integer_value(seq),
	                   json_is_true(force) ? RG_UNDO_FORCE : 0u, actor,
	                   command, &done, err, sizeof(err));
	if (rc != RG_OK)
		return txn_fail(d, c, rc, -1, NULL,
		                err[0] ? err : rg_strerror(rc));
	rgd_log(&d->log, RG_LOG_INFO, "admin: %s: %s", actor, command);
	return reply(d, c, RGD_HTTP_OK,
	             json_pack("{s:b s:I s:I}", "ok", 1, "undone",
	                       json_integer_value(seq), "record",
	                       (json_int_t)done));
}

/* ---- sync ---------------------------------------------------------------- */

/* A boolean member of doc, *out unchanged when absent; -1 when not one. */
static int bool_field(json_t *doc, const char *key, int *out)
{
	json_t *v = json_object_get(doc, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

/* The HTTP status of a failed sync: the product's API failing (or
 * answering what cannot be used) is a bad gateway; the directory's own
 * refusals are as for a transaction; this side's files (the map, the
 * token file) failing is an internal error. */
static unsigned sync_status(int rc, const struct rgsync_result *res)
{
	if (res->stage == RGSYNC_FETCH)
		return RGD_HTTP_BAD_GATEWAY;
	if (res->stage == RGSYNC_DIRECTORY && rc != RG_ENOMEM)
		return status_of(rc);
	return RGD_HTTP_INTERNAL;
}

/* The [sync SERVICE] a request names, or NULL after answering why not. */
static const struct rgd_sync *sync_of(struct rgd *d, struct MHD_Connection *c,
                                      struct rgd_gen *g, const char *service,
                                      enum MHD_Result *ret)
{
	const struct rgd_sync *y;
	long i = rgd_gen_service(g, service);

	if (i < 0) {
		*ret = fail(d, c, RGD_HTTP_NOT_FOUND, "unknown service '%s'",
		            service);
		return NULL;
	}
	y = rgd_conf_sync(&g->conf, service);
	if (!y)
		*ret = fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "service '%s' has no [sync %s] section in %s",
		            service, service, d->config_path);
	else if (!rgsync_product(rg_service_find(g->ctx, service))) {
		*ret = fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "service '%s' stacks no plugin rolegate can sync "
		            "from (rocketchat, dynamics365)",
		            service);
		y = NULL;
	}
	return y;
}

/* POST /v1/admin/sync: the directory of a service from its product, as
 * [sync SERVICE] says where from (never the request: an admin API must
 * not send the daemon's token to a URL a client chooses). */
static enum MHD_Result sync_req(struct rgd *d, struct MHD_Connection *c,
                                struct rgd_gen *g, json_t *doc)
{
	static const char *const sync_fields[] = {"service", "dry_run", "prune",
	                                          "actor", NULL};
	char actor[2 * ACTOR_MAX], command[COMMAND_MAX];
	struct rgd_sync_ask ask = {0, 0, actor, command};
	const char *service, *who;
	const struct rgd_sync *y;
	struct rgsync_result res;
	enum MHD_Result ret = MHD_NO;
	const char *key;
	int rc;

	if (!json_is_object(doc))
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "expected {\"service\": ..., \"dry_run\": false, "
		            "\"prune\": false}");
	key = unknown_field(doc, sync_fields);
	if (key)
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "unknown field '%s' (expected service, dry_run, "
		            "prune, actor)",
		            key);
	service = service_field(d, c, doc, &who, &ret);
	if (!service)
		return ret;
	y = sync_of(d, c, g, service, &ret);
	if (!y)
		return ret;
	ask.prune = y->prune;
	if (bool_field(doc, "dry_run", &ask.dry_run) < 0 ||
	    bool_field(doc, "prune", &ask.prune) < 0)
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "fields 'dry_run' and 'prune': expected true or "
		            "false");
	actor_of(d, c, who, actor, sizeof(actor));
	snprintf(command, sizeof(command), RGD_NAME " admin: sync %s%s%s",
	         service, ask.dry_run ? " dry-run" : "",
	         ask.prune ? " prune" : "");
	rc = rgd_sync_run(d, g, y, &ask, &res);
	if (rc != RG_OK)
		ret = reply(d, c, sync_status(rc, &res),
		            json_pack("{s:b s:s s:s s:s}", "ok", 0, "service",
		                      service, "status", rg_status_name(rc),
		                      "error", res.err));
	else
		ret = reply(d, c, RGD_HTTP_OK,
		            json_pack("{s:b s:s s:s s:b s:O s:O s:O}", "ok", 1,
		                      "command", "sync", "service", service,
		                      "dry_run", ask.dry_run, "changes",
		                      res.changes, "kept", res.kept, "warnings",
		                      res.warnings));
	rgsync_result_free(&res);
	return ret;
}

/* ---- reads
 * ---------------------------------------------------------------------- */

static json_t *nullable(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A read of users or entries: the array of them, and the members every
 * one of them has (rg_tool_view_context()). */
struct dir_read {
	json_t *arr;
	const rg_context *ctx;
	struct rg_tool_view *view;
};

/* Appends obj to r's array; 0, as a listing goes on. */
static int add_read(const struct dir_read *r, json_t *obj, int ok)
{
	if (ok)
		json_array_append_new(r->arr, obj);
	else
		json_decref(obj);
	return 0;
}

static int add_user(void *user, const rg_user_info *u)
{
	const struct dir_read *r = user;
	const rg_service *svc = rg_service_find(r->ctx, u->service);
	json_t *obj = json_pack("{s:s s:s s:s}", "service", u->service, "id",
	                        u->id, "name", u->name ? u->name : u->id);
	int ok =
	    obj && rg_tool_user_attrs(obj, r->view, svc, u) == RG_OK &&
	    json_object_set_new(obj, "roles", rg_tool_jsplit(u->roles)) == 0 &&
	    rg_tool_user_members(obj, r->view, u) == RG_OK;

	return add_read(r, obj, ok);
}

static int add_org(void *user, const rg_org_info *o)
{
	const struct dir_read *r = user;
	const rg_service *svc = rg_service_find(r->ctx, o->service);
	json_t *obj =
	    json_pack("{s:s s:s s:s s:o}", "service", o->service, "kind",
	              o->kind, "name", o->name, "parent", nullable(o->parent));
	int ok = obj && rg_tool_org_attrs(obj, r->view, svc, o) == RG_OK &&
	         json_object_set_new(obj, "members",
	                             json_integer((json_int_t)o->members)) == 0;

	return add_read(r, obj, ok);
}

static int add_role(void *user, const rg_custom_role_info *r)
{
	json_array_append_new(
	    user, json_pack("{s:s s:s s:s s:s s:o s:I}", "service", r->service,
	                    "id", r->id, "name", r->name ? r->name : r->id,
	                    "description", r->description ? r->description : "",
	                    "privileges", rg_tool_jsplit(r->privileges),
	                    "assigned", (json_int_t)r->assigned));
	return 0;
}

static int add_audit(void *user, const rg_audit_info *a)
{
	json_t *before =
	    json_loads(a->before ? a->before : "null", JSON_DECODE_ANY, NULL);
	json_t *after =
	    json_loads(a->after ? a->after : "null", JSON_DECODE_ANY, NULL);

	json_array_append_new(
	    user, json_pack("{s:I s:s s:s s:s s:s s:s s:s s:o s:o}", "seq",
	                    (json_int_t)a->seq, "at", a->at, "actor", a->actor,
	                    "command", a->command, "service", a->service,
	                    "user", a->user ? a->user : "", "what", a->what,
	                    "before", before ? before : json_null(), "after",
	                    after ? after : json_null()));
	return 0;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	const char *v =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

/* GET users (one, with id) or org entries (of org_kind, or every kind)
 * into arr. */
static int read_dir(struct rgd_gen *g, enum admin_kind kind,
                    const char *service, const char *id, const char *org_kind,
                    json_t *arr)
{
	struct dir_read r = {arr, g->ctx, calloc(1, sizeof(*r.view))};
	int rc;

	if (!r.view)
		return RG_ENOMEM;
	rg_tool_view_context(r.view, g->ctx);
	if (kind == A_ORG)
		rc = rg_org_list(g->ctx, service, org_kind, add_org, &r);
	else if (id)
		rc = rg_user_get(g->ctx, service, id, add_user, &r);
	else
		rc = rg_user_list(g->ctx, service, add_user, &r);
	free(r.view);
	return rc;
}

static enum MHD_Result read_list(struct rgd *d, struct MHD_Connection *c,
                                 struct rgd_gen *g, enum admin_kind kind)
{
	const char *service = arg(c, "service"), *id = arg(c, "id");
	const char *names[] = {[A_USERS] = "users",
	                       [A_ORG] = "org",
	                       [A_ROLES] = "roles",
	                       [A_AUDIT] = "audit"};
	json_t *arr = json_array();
	rg_audit_filter f;
	int rc;

	if (!arr)
		return rgd_queue(d, c, RGD_HTTP_INTERNAL, NULL);
	if (kind != A_AUDIT && !service) {
		json_decref(arr);
		return fail(d, c, RGD_HTTP_BAD_REQUEST,
		            "missing query argument 'service'");
	}
	if (service && rgd_gen_service(g, service) < 0) {
		json_decref(arr);
		return fail(d, c, RGD_HTTP_NOT_FOUND, "unknown service '%s'",
		            service);
	}
	switch (kind) {
	case A_USERS:
	case A_ORG:
		rc = read_dir(g, kind, service, id, arg(c, "kind"), arr);
		break;
	case A_ROLES:
		rc = rg_custom_role_list(g->ctx, service, id, add_role, arr);
		break;
	default:
		memset(&f, 0, sizeof(f));
		f.service = service;
		f.user = arg(c, "user");
		f.since = arg(c, "since");
		f.until = arg(c, "until");
		f.limit = arg(c, "limit") ? strtol(arg(c, "limit"), NULL, 10)
		                          : AUDIT_LIMIT;
		if (f.limit <= 0 || f.limit > AUDIT_LIMIT_MAX) {
			json_decref(arr);
			return fail(d, c, RGD_HTTP_BAD_REQUEST,
			            "limit: expected 1 to %d", AUDIT_LIMIT_MAX);
		}
		rc = rg_audit_list(g->ctx, &f, add_audit, arr);
		break;
	}
	if (rc != RG_OK) {
		json_decref(arr);
		return fail(d, c, status_of(rc), "%s", rg_strerror(rc));
	}
	return reply(d, c, RGD_HTTP_OK,
	             json_pack("{s:b s:o}", "ok", 1, names[kind], arr));
}

/* ---- the listener
 * ---------------------------------------------------------------- */

static int find_endpoint(const char *url)
{
	size_t i, plen = strlen(ADMIN_PREFIX);

	if (strncmp(url, ADMIN_PREFIX, plen) != 0)
		return -1;
	for (i = 0; i < NENDPOINTS; i++)
		if (strcmp(url + plen, endpoints[i].name) == 0)
			return (int)i;
	return -1;
}

/* Runs an endpoint with the current generation pinned. */
static enum MHD_Result dispatch(struct rgd *d, struct MHD_Connection *c,
                                enum admin_kind kind,
                                const struct rgd_body *body)
{
	enum MHD_Result ret;
	struct rgd_gen *g;
	json_error_t jerr;
	json_t *doc;

	/* A reload waits for every read: never read or pin one here. */
	if (kind == A_RELOAD)
		return reload(d, c);
	/* Pinned, not read: a write's commit waits for every read. */
	g = rgd_engine_pin(&d->engine);
	if (!g)
		return fail(d, c, RGD_HTTP_UNAVAILABLE,
		            "no configuration loaded yet");
	switch (kind) {
	case A_STATUS:
		ret = status(d, c, g);
		break;
	case A_TXN:
	case A_UNDO:
	case A_SYNC:
		doc = body && body->len
		          ? json_loadb(body->data, body->len,
		                       JSON_REJECT_DUPLICATES, &jerr)
		          : NULL;
		if (!doc)
			ret =
			    fail(d, c, RGD_HTTP_BAD_REQUEST,
			         "invalid JSON at line %d, column %d: %s",
			         body && body->len ? jerr.line : 1,
			         body && body->len ? jerr.column : 0,
			         body && body->len ? jerr.text : "empty body");
		else if (kind == A_UNDO)
			ret = undo(d, c, g, doc);
		else if (kind == A_SYNC)
			ret = sync_req(d, c, g, doc);
		else
			ret = txn(d, c, g, doc);
		json_decref(doc);
		break;
	default:
		ret = read_list(d, c, g, kind);
		break;
	}
	rgd_engine_unpin(&d->engine, g);
	return ret;
}

static enum MHD_Result on_admin(void *cls, struct MHD_Connection *c,
                                const char *url, const char *method,
                                const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	struct rgd *d = cls;
	struct rgd_body *b = *con_cls;
	enum MHD_Result ret;
	int e, refused;

	if (b) {
		if (*upload_size) {
			rgd_body_append(b, upload, *upload_size);
			*upload_size = 0;
			return MHD_YES;
		}
		if (b->too_large)
			return fail(d, c, RGD_HTTP_TOO_LARGE,
			            "request body too large (at most %d "
			            "bytes)",
			            ADMIN_BODY_MAX);
		return dispatch(d, c, (enum admin_kind)b->kind, b);
	}
	/* Before anything reads a header, the token's included. */
	ret = rgd_refuse_headers(d, c, url, method, version, &refused);
	if (refused)
		return ret;
	if (d->boot.admin_listen && !token_ok(d, c)) {
		struct MHD_Response *r = rgd_response(
		    "application/json", "{\"error\":\"bearer token needed\"}",
		    strlen("{\"error\":\"bearer token needed\"}"));

		if (r)
			MHD_add_response_header(
			    r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
		return rgd_queue(d, c, RGD_HTTP_UNAUTHORIZED, r);
	}
	e = find_endpoint(url);
	if (e < 0)
		return fail(d, c, RGD_HTTP_NOT_FOUND, "no such endpoint");
	if (endpoints[e].post && strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return rgd_respond_method(d, c, MHD_HTTP_METHOD_POST);
	if (!endpoints[e].post && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return rgd_respond_method(d, c, MHD_HTTP_METHOD_GET);
	if (!endpoints[e].post)
		return dispatch(d, c, endpoints[e].kind, NULL);
	b = rgd_body_new(endpoints[e].kind, ADMIN_BODY_MAX);
	if (!b)
		return rgd_queue(d, c, RGD_HTTP_INTERNAL, NULL);
	*con_cls = b;
	return MHD_YES;
}

static void on_admin_completed(void *cls, struct MHD_Connection *c,
                               void **con_cls,
                               enum MHD_RequestTerminationCode toe)
{
	rgd_body_free(*con_cls);
	*con_cls = NULL;
}

static void admin_log(void *cls, const char *fmt, va_list ap)
{
	struct rgd *d = cls;
	char msg[MSG_MAX];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	rgd_log(&d->log, RG_LOG_WARNING, "admin: %s", msg);
}

/*
 * Reads the bearer token: the file's first line, not readable by others,
 * and not weak (rgd_token_weak()).  A NUL inside the line counts as a
 * control character, not as its end.
 */
static int read_token(struct rgd *d, const char *path)
{
	char buf[RGD_TOKEN_MAX + 2], why[MSG_MAX];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int rc, fd = -1;

	/* A regular file only: a FIFO would block the daemon's start. */
	rc = rg_file_open(path, RG_FILE_MAX_TEXT, &fd, why, sizeof(why));
	if (rc != RG_OK || fstat(fd, &st) != 0) {
		rgd_log(&d->log, RG_LOG_ERR, "admin_token_file %s: %s", path,
		        rc != RG_OK ? why : strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc != RG_OK ? rc : RG_EIO;
	}
	if (st.st_mode & S_IROTH) {
		close(fd);
		rgd_log(&d->log, RG_LOG_ERR,
		        "admin_token_file %s is readable by others: chmod "
		        "o-r it",
		        path);
		return RG_EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	while (len < (size_t)n && buf[len] != '\n' && buf[len] != '\r')
		len++;
	rc = rgd_token_weak(buf, len, why, sizeof(why));
	if (rc != RG_OK) {
		memset(buf, 0, sizeof(buf));
		rgd_log(&d->log, RG_LOG_ERR, "admin_token_file %s: %s", path,
		        why);
		return rc;
	}
	d->admin_token = strndup(buf, len);
	d->admin_token_len = len;
	memset(buf, 0, sizeof(buf));
	return d->admin_token ? RG_OK : RG_ENOMEM;
}

static struct MHD_Daemon *start_unix(struct rgd *d, const char *path)
{
	struct MHD_Daemon *daemon;
	int fd = rgd_unix_listen(d, "admin_socket", path, SOCKET_MODE,
	                         ADMIN_BACKLOG);

	if (fd < 0)
		return NULL;
	daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	        MHD_USE_ERROR_LOG | MHD_USE_ITC,
	    0, NULL, NULL, on_admin, d, MHD_OPTION_EXTERNAL_LOGGER, admin_log,
	    d, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
	    on_admin_completed, d, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)d->boot.request_timeout, MHD_OPTION_END);
	if (!daemon) {
		close(fd);
		unlink(path);
		rgd_log(&d->log, RG_LOG_ERR, "admin_socket %s: cannot serve",
		        path);
	}
	return daemon;
}

static struct MHD_Daemon *start_tcp(struct rgd *d, const char *hostport)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
	                 MHD_USE_ITC;
	size_t len = (size_t)(colon - hostport);
	unsigned port = (unsigned)strtoul(colon + 1, NULL, 10);
	struct MHD_Daemon *daemon;

	if (len >= 2 && hostport[0] == '[') {
		hostport++;
		len -= 2;
	}
	snprintf(host, sizeof(host), "%.*s", (int)len, hostport);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		return NULL;
	}
	daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_admin, d, MHD_OPTION_EXTERNAL_LOGGER,
	    admin_log, d, MHD_OPTION_SOCK_ADDR, &ss,
	    MHD_OPTION_NOTIFY_COMPLETED, on_admin_completed, d,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)d->boot.request_timeout, MHD_OPTION_END);
	if (!daemon)
		rgd_log(&d->log, RG_LOG_ERR, "admin_listen %s: cannot listen",
		        hostport);
	return daemon;
}

int rgd_admin_start(struct rgd *d)
{
	const struct rgd_settings *s = &d->boot;
	int rc;

	if (s->admin_listen) {
		rc = read_token(d, s->admin_token_file);
		if (rc != RG_OK)
			return rc;
		d->admin = start_tcp(d, s->admin_listen);
		if (!d->admin)
			return RG_EIO;
		rgd_log(&d->log, RG_LOG_NOTICE,
		        "admin API on %s (bearer token)", s->admin_listen);
		return RG_OK;
	}
	if (!s->admin_socket) {
		rgd_log(&d->log, RG_LOG_INFO,
		        "no admin API (admin_socket = "
		        "off)");
		return RG_OK;
	}
	d->admin = start_unix(d, s->admin_socket);
	if (d->admin) {
		rgd_log(&d->log, RG_LOG_NOTICE, "admin API on %s (mode 0600)",
		        s->admin_socket);
		return RG_OK;
	}
	/* The built-in default is best effort; a configured one is not. */
	if (!s->admin_socket_set) {
		rgd_log(&d->log, RG_LOG_WARNING,
		        "no admin API: set admin_socket (or off) in "
		        "[rolegated]");
		return RG_OK;
	}
	return RG_EIO;
}

void rgd_admin_stop(struct rgd *d)
{
	if (d->admin) {
		MHD_stop_daemon(d->admin);
		d->admin = NULL;
		if (!d->boot.admin_listen && d->boot.admin_socket)
			unlink(d->boot.admin_socket);
	}
	if (d->admin_token)
		memset(d->admin_token, 0, d->admin_token_len);
	free(d->admin_token);
	d->admin_token = NULL;
}
