/*
 * dirjson.c - exporting the directory as JSON and importing it back.
 *
 * The format (version 1):
 *
 *   {"format": "rolegate-directory", "version": 1, "services": [
 *     {"name": SERVICE,
 *      "settings": {KEY: VALUE, ...},
 *      "business_units": [{"name", "parent"}],
 *      "units": [{"name"}],
 *      "departments": [{"name", "unit", "max_chats"}],
 *      "custom_roles": [{"id", "name", "description", "privileges": []}],
 *      "users": [{"id", "name", "bu", "status", "max_chats",
 *                 "roles": [], "departments": [], "units": []}]}]}
 *
 * An export is exact and stable: every list is sorted (by name, id, or
 * the item itself, in byte order), one item per line, so that two exports
 * of the same directory are byte-identical and diff well.  Unset values
 * are null.
 *
 * An import is one transaction: all of it or nothing.  Everything is
 * validated against the configuration (services, roles, privileges, the
 * product plugin's word on custom roles) and against the directory, and
 * every problem names the JSON path of the bad item.  With
 * RG_IMPORT_REPLACE the services' data is deleted first, so that an export
 * imported back gives the same export again; without it, an item that
 * already exists is an error (an import adds, it never silently merges).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirimpl.h"

#define FORMAT_NAME    "rolegate-directory"
#define FORMAT_VERSION 1
#define PROGRESS_EVERY 1000
#define PATH_MAX_LEN   256
/* The mode of an export when no database exists to copy it from: the
 * directory lists who may do what, so not for everyone to read. */
#define EXPORT_MODE      0640
#define EXPORT_MODE_BITS 0666 /* of the database's mode, kept */
#define DECIMAL_MAX      32   /* a long in decimal, with room to spare */

/* ---- export ----------------------------------------------------------- */

static const char SQL_X_SETTINGS[] =
    "SELECT key, value FROM setting WHERE service = ?1 ORDER BY key";
/* The organisation is rows of org with their attributes in org_attr
 * (see the schema in directory.c); the format keeps the first release's
 * shape, so each attribute is a column here, NULL when the row is absent.
 * A department's max_chats is decimal text in org_attr and an integer in
 * the export. */
static const char SQL_X_BU[] =
    "SELECT o.name, p.value FROM org o LEFT JOIN org_attr p "
    "ON p.service = o.service AND p.kind = o.kind AND p.name = o.name "
    "AND p.key = 'parent' WHERE o.service = ?1 AND o.kind = 'bu' "
    "ORDER BY o.name";
static const char SQL_X_UNITS[] = "SELECT name FROM org WHERE service = ?1 "
                                  "AND kind = 'unit' ORDER BY name";
static const char SQL_X_DEPTS[] =
    "SELECT o.name, u.value, CAST(m.value AS INTEGER) FROM org o "
    "LEFT JOIN org_attr u ON u.service = o.service AND u.kind = o.kind "
    "AND u.name = o.name AND u.key = 'unit' "
    "LEFT JOIN org_attr m ON m.service = o.service AND m.kind = o.kind "
    "AND m.name = o.name AND m.key = 'max_chats' "
    "WHERE o.service = ?1 AND o.kind = 'department' ORDER BY o.name";
static const char SQL_X_CUSTOM[] =
    "SELECT id, name, description FROM custom_role WHERE service = ?1 "
    "ORDER BY id";
static const char SQL_X_GRANTS[] =
    "SELECT role, privilege FROM custom_grant WHERE service = ?1 "
    "ORDER BY role, privilege";

/* What one service exports, read under the directory's lock. */
struct xservice {
	const char *name;
	json_t *settings;
	json_t *bus, *units, *depts, *customs;
	struct rg_dir_users users;
	int no_users; /* read everything but the users */
};

struct xrows {
	json_t *target;          /* an object (settings) or an array */
	const char *const *keys; /* column names for array items */
	int rc;
};

static json_t *cell_json(const rg_value *c)
{
	if (c->type == RG_VAL_TEXT)
		return json_string(c->s);
	if (c->type == RG_VAL_INT)
		return json_integer(c->i);
	return json_null();
}

/* A row as an object of keys[], appended to the array. */
static int xrow_item(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < n && x->keys[i]; i++)
		if (json_object_set_new(o, x->keys[i], cell_json(&c[i])))
			break;
	if (!o || i < n || json_array_append_new(x->target, o)) {
		x->rc = RG_ENOMEM;
		return 1;
	}
	return 0;
}

static int xrow_setting(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;

	if (json_object_set_new(x->target, c[0].s, json_string(c[1].s))) {
		x->rc = RG_ENOMEM;
		return 1;
	}
	return 0;
}

/* Appends each grant (role, privilege) to its role's "privileges". */
static int xrow_grant(void *user, const rg_value *c, size_t n)
{
	struct xrows *x = user;
	size_t i;

	for (i = 0; i < json_array_size(x->target); i++) {
		json_t *r = json_array_get(x->target, i);
		if (strcmp(json_string_value(json_object_get(r, "id")),
		           c[0].s) != 0)
			continue;
		if (json_array_append_new(json_object_get(r, "privileges"),
		                          json_string(c[1].s)))
			x->rc = RG_ENOMEM;
		break;
	}
	return x->rc != RG_OK;
}

static int xquery(struct rg_dir *d, const char *service, const char *sql,
                  rg_row_fn fn, json_t *target, const char *const *keys,
                  char *err, size_t errlen)
{
	rg_value p[] = {RG_TEXT(service)};
	struct xrows x = {target, keys, RG_OK};
	int rc;

	if (!target)
		return RG_ENOMEM;
	rc = rg_dir_query(d, sql, p, RG_NITEMS(p), fn, &x, err, errlen);
	return rc == RG_OK ? x.rc : rc;
}

/* Gives every custom role an empty "privileges" list to fill. */
static int xcustom_lists(json_t *customs)
{
	size_t i;

	for (i = 0; i < json_array_size(customs); i++)
		if (json_object_set_new(json_array_get(customs, i),
		                        "privileges", json_array()))
			return RG_ENOMEM;
	return RG_OK;
}

static int xservice_read(struct rg_dir *d, struct xservice *xs, char *err,
                         size_t errlen)
{
	static const char *const bu_keys[] = {"name", "parent", NULL};
	static const char *const unit_keys[] = {"name", NULL};
	static const char *const dept_keys[] = {"name", "unit", "max_chats",
	                                        NULL};
	static const char *const custom_keys[] = {"id", "name", "description",
	                                          NULL};
	int rc;

	xs->settings = json_object();
	xs->bus = json_array();
	xs->units = json_array();
	xs->depts = json_array();
	xs->customs = json_array();
	rc = xquery(d, xs->name, SQL_X_SETTINGS, xrow_setting, xs->settings,
	            NULL, err, errlen);
	if (rc == RG_OK)
		rc = xquery(d, xs->name, SQL_X_BU, xrow_item, xs->bus, bu_keys,
		            err, errlen);
	if (rc == RG_OK)
		rc = xquery(d, xs->name, SQL_X_UNITS, xrow_item, xs->units,
		            unit_keys, err, errlen);
	if (rc == RG_OK)
		rc = xquery(d, xs->name, SQL_X_DEPTS, xrow_item, xs->depts,
		            dept_keys, err, errlen);
	if (rc == RG_OK)
		rc = xquery(d, xs->name, SQL_X_CUSTOM, xrow_item, xs->customs,
		            custom_keys, err, errlen);
	if (rc == RG_OK)
		rc = xcustom_lists(xs->customs);
	if (rc == RG_OK)
		rc = xquery(d, xs->name, SQL_X_GRANTS, xrow_grant, xs->customs,
		            NULL, err, errlen);
	if (rc == RG_OK && !xs->no_users)
		rc = rg_dir_users_read(d, xs->name, NULL, &xs->users, err,
		                       errlen);
	if (rc == RG_ENOMEM)
		rg_strlcpy(err, "out of memory", errlen);
	return rc;
}

static void xservice_free(struct xservice *xs)
{
	json_decref(xs->settings);
	json_decref(xs->bus);
	json_decref(xs->units);
	json_decref(xs->depts);
	json_decref(xs->customs);
	rg_dir_users_free(&xs->users);
}

/* "a,b,c" as a JSON array of strings. */
static json_t *list_json(const char *list)
{
	json_t *a = json_array();
	const char *p = list;

	while (a && p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (json_array_append_new(a, json_stringn(p, len))) {
			json_decref(a);
			return NULL;
		}
		p = end ? end + 1 : NULL;
	}
	return a;
}

static json_t *user_json(const struct rg_dir_user *u)
{
	return json_pack(
	    "{s:s, s:s, s:s?, s:s?, s:o, s:o?, s:o?, s:o?}", "id", u->id,
	    "name", u->name, "bu", u->bu, "status", u->status, "max_chats",
	    u->max_chats < 0 ? json_null() : json_integer(u->max_chats),
	    "roles", list_json(u->roles.s), "departments",
	    list_json(u->departments.s), "units", list_json(u->units.s));
}

/* Writes one item compactly on its own line. */
static int emit_item(FILE *f, json_t *item, int last)
{
	char *s =
	    item ? json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	int rc;

	if (!s)
		return RG_ENOMEM;
	rc = fprintf(f, "        %s%s\n", s, last ? "" : ",") < 0 ? RG_EIO
	                                                          : RG_OK;
	free(s);
	return rc;
}

static int emit_array(FILE *f, const char *key, json_t *arr, int last)
{
	size_t i, n = json_array_size(arr);
	int rc = RG_OK;

	if (n == 0)
		return fprintf(f, "      \"%s\": []%s\n", key,
		               last ? "" : ",") < 0
		           ? RG_EIO
		           : RG_OK;
	if (fprintf(f, "      \"%s\": [\n", key) < 0)
		return RG_EIO;
	for (i = 0; i < n && rc == RG_OK; i++)
		rc = emit_item(f, json_array_get(arr, i), i + 1 == n);
	if (rc == RG_OK && fprintf(f, "      ]%s\n", last ? "" : ",") < 0)
		rc = RG_EIO;
	return rc;
}

static int emit_users(FILE *f, const struct rg_dir_users *us)
{
	size_t i;
	int rc = RG_OK;

	if (us->n == 0)
		return fprintf(f, "      \"users\": []\n") < 0 ? RG_EIO : RG_OK;
	if (fprintf(f, "      \"users\": [\n") < 0)
		return RG_EIO;
	for (i = 0; i < us->n && rc == RG_OK; i++) {
		json_t *u = user_json(&us->v[i]);
		rc = emit_item(f, u, i + 1 == us->n);
		json_decref(u);
	}
	if (rc == RG_OK && fprintf(f, "      ]\n") < 0)
		rc = RG_EIO;
	return rc;
}

static int emit_service(FILE *f, struct xservice *xs, int last)
{
	json_t *jname = json_string(xs->name);
	char *name = jname ? json_dumps(jname, JSON_ENCODE_ANY) : NULL;
	char *settings = json_dumps(xs->settings, JSON_COMPACT);
	int rc = RG_OK;

	json_decref(jname);
	if (!name || !settings)
		rc = RG_ENOMEM;
	if (rc == RG_OK && fprintf(f,
	                           "    {\n      \"name\": %s,\n"
	                           "      \"settings\": %s,\n",
	                           name, settings) < 0)
		rc = RG_EIO;
	if (rc == RG_OK)
		rc = emit_array(f, "business_units", xs->bus, 0);
	if (rc == RG_OK)
		rc = emit_array(f, "units", xs->units, 0);
	if (rc == RG_OK)
		rc = emit_array(f, "departments", xs->depts, 0);
	if (rc == RG_OK)
		rc = emit_array(f, "custom_roles", xs->customs, 0);
	if (rc == RG_OK)
		rc = emit_users(f, &xs->users);
	if (rc == RG_OK && fprintf(f, "    }%s\n", last ? "" : ",") < 0)
		rc = RG_EIO;
	free(name);
	free(settings);
	return rc;
}

/* The users as an array of export user objects. */
static json_t *users_json(const struct rg_dir_users *us)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < us->n; i++)
		if (json_array_append_new(a, user_json(&us->v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int rg_dir_service_json(struct rg_dir *d, const char *service, json_t **out,
                        char *err, size_t errlen)
{
	struct xservice xs = {0};
	json_t *users = NULL;
	int rc;

	*out = NULL;
	xs.name = service;
	rc = xservice_read(d, &xs, err, errlen);
	if (rc == RG_OK) {
		users = users_json(&xs.users);
		*out = users ? json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:o}",
		                         "name", service, "settings",
		                         xs.settings, "business_units", xs.bus,
		                         "units", xs.units, "departments",
		                         xs.depts, "custom_roles", xs.customs,
		                         "users", users)
		             : NULL;
		if (!*out) {
			rc = RG_ENOMEM;
			rg_strlcpy(err, "out of memory", errlen);
		}
	}
	xservice_free(&xs);
	return rc;
}

json_t *rg_dir_entry_json(rg_txn *txn, const char *kind, const char *name)
{
	struct xservice xs = {0};
	char err[RG_MSG_MAX];
	const char *key = "name";
	json_t *arr = NULL, *item = NULL;
	size_t i;

	xs.name = txn->svc->name;
	xs.no_users = 1;
	if (xservice_read(txn->dir, &xs, err, sizeof(err)) == RG_OK) {
		if (strcmp(kind, RG_ORG_BU) == 0)
			arr = xs.bus;
		else if (strcmp(kind, RG_ORG_UNIT) == 0)
			arr = xs.units;
		else if (strcmp(kind, RG_ORG_DEPARTMENT) == 0)
			arr = xs.depts;
		else
			arr = xs.customs, key = "id";
	}
	for (i = 0; !item && i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		const char *id = json_string_value(json_object_get(o, key));

		if (id && strcmp(id, name) == 0)
			item = json_deep_copy(o);
	}
	xservice_free(&xs);
	return item;
}

static int emit_all(FILE *f, struct xservice *xs, size_t n)
{
	size_t i;
	int rc = RG_OK;

	if (fprintf(f,
	            "{\n  \"format\": \"" FORMAT_NAME "\",\n"
	            "  \"version\": %d,\n  \"services\": [\n",
	            FORMAT_VERSION) < 0)
		return RG_EIO;
	for (i = 0; i < n && rc == RG_OK; i++)
		rc = emit_service(f, &xs[i], i + 1 == n);
	if (rc == RG_OK && fprintf(f, "  ]\n}\n") < 0)
		rc = RG_EIO;
	return rc;
}

/* Says why path, when it exists, may not be replaced by an export. */
static int check_target(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return RG_OK;
		snprintf(err, errlen, "cannot write %s: %s", path,
		         strerror(errno));
		return RG_EIO;
	}
	/* Never turn a device, a FIFO or a link's target into a file. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
		         "cannot write %s: it is %s, not a "
		         "regular file",
		         path, rg_file_kind(st.st_mode));
		return RG_EREFUSED;
	}
	return RG_OK;
}

/* An export is as readable as the database it copies (EXPORT_MODE when
 * there is none yet). */
static mode_t export_mode(const char *database)
{
	struct stat st;

	if (database && stat(database, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & EXPORT_MODE_BITS;
	return EXPORT_MODE;
}

/* Makes the rename durable: fsync() the directory holding path. */
static int sync_parent(const char *path)
{
	char *dir = rg_dirname(path);
	int fd, rc;

	if (!dir)
		return RG_ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return RG_EIO;
	rc = fsync(fd) == 0 ? RG_OK : RG_EIO;
	close(fd);
	return rc;
}

/* Writes the export into a new, unique file beside path (O_EXCL, so
 * never through a link someone left there); *tmp gets its name. */
static int write_temp(const char *path, mode_t mode, struct xservice *xs,
                      size_t n, char **tmp)
{
	char *dir = rg_dirname(path);
	FILE *f;
	int fd, rc;

	*tmp = dir ? rg_asprintf("%s/.rolegate-export.XXXXXX", dir) : NULL;
	free(dir);
	if (!*tmp)
		return RG_ENOMEM;
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		free(*tmp);
		*tmp = NULL;
		return RG_EIO;
	}
	f = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		close(fd);
		return RG_EIO;
	}
	rc = emit_all(f, xs, n);
	if (rc == RG_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		rc = RG_EIO;
	if (fclose(f) != 0 && rc == RG_OK)
		rc = RG_EIO;
	return rc;
}

/* Writes to path through a temporary file renamed into place, so that a
 * failed export never leaves half a backup behind. */
static int write_file(const char *path, const char *database,
                      struct xservice *xs, size_t n, char *err, size_t errlen)
{
	char *tmp = NULL;
	int rc;

	if (strcmp(path, "-") == 0) {
		rc = emit_all(stdout, xs, n);
		if (rc == RG_OK && fflush(stdout) != 0)
			rc = RG_EIO;
		if (rc != RG_OK)
			snprintf(err, errlen, "cannot write the export: %s",
			         rc == RG_EIO ? strerror(errno)
			                      : rg_strerror(rc));
		return rc;
	}
	rc = check_target(path, err, errlen);
	if (rc != RG_OK)
		return rc;
	rc = write_temp(path, export_mode(database), xs, n, &tmp);
	if (rc == RG_OK && rename(tmp, path) != 0)
		rc = RG_EIO;
	if (rc == RG_OK) {
		free(tmp);
		tmp = NULL; /* it is path now */
		rc = sync_parent(path);
	}
	if (rc != RG_OK) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		         rc == RG_EIO ? strerror(errno) : rg_strerror(rc));
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

int rg_directory_export(rg_context *ctx, const char *service, const char *path,
                        char *errbuf, size_t errlen)
{
	char scratch[RG_MSG_MAX];
	struct xservice *xs;
	struct rg_dir *d;
	size_t n, i;
	int rc;

	if (!errbuf) {
		errbuf = scratch;
		errlen = sizeof(scratch);
	}
	if (errlen)
		errbuf[0] = '\0';
	if (!ctx || !path) {
		rg_strlcpy(errbuf, "no context or path", errlen);
		return RG_EINVAL;
	}
	if (service && !rg_service_find(ctx, service)) {
		snprintf(errbuf, errlen, "unknown service '%.*s'", RG_ID_MAX,
		         service);
		return RG_ENOSERVICE;
	}
	/* Services of the configuration, in its order. */
	n = service ? 1 : ctx->nservices;
	xs = calloc(n ? n : 1, sizeof(*xs));
	if (!xs)
		return RG_ENOMEM;
	for (i = 0; i < n; i++)
		xs[i].name = service ? service : ctx->services[i]->name;
	/* One read transaction: the export is one state of the directory. */
	rc = rg_dir_read_begin(ctx, &d, errbuf, errlen);
	for (i = 0; rc == RG_OK && i < n; i++)
		rc = xservice_read(d, &xs[i], errbuf, errlen);
	if (d)
		rg_dir_read_end(d);
	if (rc == RG_OK)
		rc = write_file(path, ctx->directory, xs, n, errbuf, errlen);
	for (i = 0; i < n; i++)
		xservice_free(&xs[i]);
	free(xs);
	return rc;
}

/* ---- import: sets of names -------------------------------------------- */

/* Names known in one service: those in the database and in the file. */
struct nameset {
	rg_intern ix;         /* keys borrowed from owned[] or the JSON */
	const char **names;   /* by index */
	const char **parents; /* business units: parent per index, or NULL */
	size_t n, cap;
	char **owned; /* copies of names read from the database */
	size_t nowned, capowned;
	int nomem; /* a copy failed while reading the database */
};

static void set_init(struct nameset *s)
{
	memset(s, 0, sizeof(*s));
	rg_intern_init(&s->ix);
}

static void set_free(struct nameset *s)
{
	size_t i;

	for (i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	free(s->names);
	free(s->parents);
	rg_intern_free(&s->ix);
	memset(s, 0, sizeof(*s));
}

static int set_has(const struct nameset *s, const char *name)
{
	return rg_intern_get(&s->ix, name) >= 0;
}

/* Adds name (borrowed) with parent (borrowed, may be NULL). */
static int set_add(struct nameset *s, const char *name, const char *parent)
{
	/* Names and parents share one capacity, counted once both grew. */
	size_t cn = s->cap, cp = s->cap;
	int rc;

	if (RG_GROW(s->names, cn, s->n + 1) != RG_OK ||
	    RG_GROW(s->parents, cp, s->n + 1) != RG_OK)
		return RG_ENOMEM;
	s->cap = cn;
	rc = rg_intern_put(&s->ix, name, (uint32_t)s->n);
	if (rc != RG_OK)
		return rc;
	s->names[s->n] = name;
	s->parents[s->n++] = parent;
	return RG_OK;
}

/* Adds a copy of name (and parent) read from the database. */
static int set_add_copy(struct nameset *s, const char *name, const char *parent)
{
	char *n = rg_strdup(name), *p = parent ? rg_strdup(parent) : NULL;

	if (!n || (parent && !p) ||
	    rg_ptr_push((void ***)&s->owned, &s->nowned, &s->capowned, n) !=
	        RG_OK) {
		free(n);
		free(p);
		return RG_ENOMEM;
	}
	if (p && rg_ptr_push((void ***)&s->owned, &s->nowned, &s->capowned,
	                     p) != RG_OK) {
		free(p);
		return RG_ENOMEM;
	}
	return set_add(s, n, p);
}

/* ---- import: state and errors ----------------------------------------- */

enum set_kind {
	SET_SETTING,
	SET_BU,
	SET_UNIT,
	SET_DEPT,
	SET_CUSTOM,
	SET_USER,
	SET_KINDS
};

struct imp {
	rg_context *ctx;
	rg_txn *txn;
	unsigned flags;
	const struct rg_service *svc;
	rg_progress_fn progress;
	void *puser;
	size_t total, done;
	struct nameset sets[SET_KINDS];
	/* Counts for the audit row of the current service. */
	size_t nusers, nassign, nmembers;
	json_t *old; /* the current service's data before the import */
	int rc;
	char err[RG_MSG_MAX];
};

static int bad(struct imp *im, int status, const char *path, const char *fmt,
               ...) RG_PRINTF(4, 5);

/* Records the first failure, "PATH: message". */
static int bad(struct imp *im, int status, const char *path, const char *fmt,
               ...)
{
	char msg[RG_MSG_MAX];
	va_list ap;

	if (im->rc != RG_OK)
		return im->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		snprintf(im->err, sizeof(im->err), "%s: %s", path, msg);
	else
		rg_strlcpy(im->err, msg, sizeof(im->err));
	im->rc = status;
	return status;
}

static int nomem(struct imp *im)
{
	return bad(im, RG_ENOMEM, NULL, "out of memory");
}

/* Runs a statement of the import; a store failure ends it. */
static int imp_exec(struct imp *im, const char *sql, const rg_value *p,
                    size_t n)
{
	int rc = rg_txn_exec(im->txn, sql, p, n, NULL);

	return rc == RG_OK ? RG_OK
	                   : bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
}

/* ---- import: reading JSON values -------------------------------------- */

/* Refuses keys of obj not in allowed (NULL-terminated). */
static int only_keys(struct imp *im, json_t *obj, const char *path,
                     const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v)
	{
		for (i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (!allowed[i])
			return bad(im, RG_EINVAL, path, "unknown key '%s'",
			           key);
	}
	return RG_OK;
}

/* A string member: *out NULL when absent or null (unless required). */
static int get_str(struct imp *im, json_t *obj, const char *key,
                   const char *path, int required, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return bad(im, RG_EINVAL, path, "\"%s\" is required",
			           key);
		return RG_OK;
	}
	if (!json_is_string(v))
		return bad(im, RG_EINVAL, path, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return RG_OK;
}

/* A count member: -1 when absent or null. */
static int get_count(struct imp *im, json_t *obj, const char *key,
                     const char *path, long *out)
{
	json_t *v = json_object_get(obj, key);

	*out = -1;
	if (!v || json_is_null(v))
		return RG_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(im, RG_EINVAL, path,
		           "\"%s\" must be a whole number >= 0 or null", key);
	*out = (long)json_integer_value(v);
	return RG_OK;
}

/* An array member (NULL when absent). */
static int get_array(struct imp *im, json_t *obj, const char *key,
                     const char *path, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return RG_OK;
	if (!json_is_array(v))
		return bad(im, RG_EINVAL, path, "\"%s\" must be an array", key);
	*out = v;
	return RG_OK;
}

/* The i-th item of an array as an object, with its path. */
static json_t *item_obj(struct imp *im, json_t *arr, size_t i, const char *base,
                        const char *key, char *path)
{
	json_t *o = json_array_get(arr, i);

	snprintf(path, PATH_MAX_LEN, "%s.%s[%zu]", base, key, i);
	if (!json_is_object(o)) {
		bad(im, RG_EINVAL, path, "expected an object");
		return NULL;
	}
	return o;
}

/* ---- import: each part of a service ----------------------------------- */

static const char *const svc_keys[] = {"name",  "settings",    "business_units",
                                       "units", "departments", "custom_roles",
                                       "users", NULL};

/* Children before the rows their foreign keys name: a user's rows before
 * the user, memberships and attributes before the organisation. */
static const char *const SQL_I_DEL[] = {
    "DELETE FROM assignment WHERE service = ?1",
    "DELETE FROM member WHERE service = ?1",
    "DELETE FROM user_attr WHERE service = ?1",
    "DELETE FROM users WHERE service = ?1",
    "DELETE FROM org_attr WHERE service = ?1",
    "DELETE FROM org WHERE service = ?1",
    "DELETE FROM custom_grant WHERE service = ?1",
    "DELETE FROM custom_role WHERE service = ?1",
    "DELETE FROM setting WHERE service = ?1",
};

/* What the database already holds, per set: (name[, parent]). */
static const char *const SQL_I_EXISTING[SET_KINDS] = {
    [SET_SETTING] = "SELECT key FROM setting WHERE service = ?1",
    [SET_BU] = SQL_X_BU,
    [SET_UNIT] = SQL_X_UNITS,
    [SET_DEPT] = "SELECT name FROM org WHERE service = ?1 "
                 "AND kind = 'department'",
    [SET_CUSTOM] = "SELECT id FROM custom_role WHERE service = ?1",
    [SET_USER] = "SELECT id FROM users WHERE service = ?1",
};

static const char SQL_I_SETTING[] =
    "INSERT INTO setting (service, key, value) VALUES (?1, ?2, ?3)";
static const char SQL_I_BU[] =
    "INSERT INTO org (service, kind, name) VALUES (?1, 'bu', ?2)";
static const char SQL_I_BU_PARENT[] =
    "INSERT INTO org_attr (service, kind, name, key, value) "
    "VALUES (?1, 'bu', ?2, 'parent', ?3)";
static const char SQL_I_UNIT[] =
    "INSERT INTO org (service, kind, name) VALUES (?1, 'unit', ?2)";
static const char SQL_I_DEPT[] =
    "INSERT INTO org (service, kind, name) VALUES (?1, 'department', ?2)";
static const char SQL_I_DEPT_UNIT[] =
    "INSERT INTO org_attr (service, kind, name, key, value) "
    "VALUES (?1, 'department', ?2, 'unit', ?3)";
static const char SQL_I_DEPT_MAX[] =
    "INSERT INTO org_attr (service, kind, name, key, value) "
    "VALUES (?1, 'department', ?2, 'max_chats', ?3)";
static const char SQL_I_CUSTOM[] =
    "INSERT INTO custom_role (service, id, name, description) "
    "VALUES (?1, ?2, ?3, ?4)";
static const char SQL_I_GRANT[] =
    "INSERT INTO custom_grant (service, role, privilege) "
    "VALUES (?1, ?2, ?3)";
/* users.roles, attrs and members repeat the user's other rows, written
 * here rather than by rg_dir_user_sync(), which reads them back: an
 * import of 50,000 users would pay that read for each. */
static const char SQL_I_USER[] =
    "INSERT INTO users (service, id, name, roles, attrs, members) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_I_USER_BU[] =
    "INSERT INTO user_attr (service, user_id, key, value) "
    "VALUES (?1, ?2, 'bu', ?3)";
static const char SQL_I_USER_MAX[] =
    "INSERT INTO user_attr (service, user_id, key, value) "
    "VALUES (?1, ?2, 'max_chats', ?3)";
static const char SQL_I_USER_STATUS[] =
    "INSERT INTO user_attr (service, user_id, key, value) "
    "VALUES (?1, ?2, 'status', ?3)";
static const char SQL_I_ASSIGN[] =
    "INSERT INTO assignment (service, user_id, role) VALUES (?1, ?2, ?3)";
static const char SQL_I_DEPT_MEMBER[] =
    "INSERT INTO member (service, user_id, kind, name) "
    "VALUES (?1, ?2, 'department', ?3)";
static const char SQL_I_UNIT_MEMBER[] =
    "INSERT INTO member (service, user_id, kind, name) "
    "VALUES (?1, ?2, 'unit', ?3)";

static int existing_row(void *user, const rg_value *c, size_t n)
{
	struct nameset *s = user;

	if (set_add_copy(s, c[0].s,
	                 n > 1 && c[1].type == RG_VAL_TEXT ? c[1].s : NULL) ==
	    RG_OK)
		return 0;
	s->nomem = 1;
	return 1;
}

/* Empties the service (replace), or learns what it holds (merge). */
static int service_prepare(struct imp *im)
{
	rg_value p[] = {RG_TEXT(im->svc->name)};
	size_t i;
	int rc = RG_OK, k;

	for (k = 0; k < SET_KINDS; k++) {
		set_free(&im->sets[k]);
		set_init(&im->sets[k]);
	}
	if (im->flags & RG_IMPORT_REPLACE) {
		for (i = 0; i < RG_NITEMS(SQL_I_DEL) && rc == RG_OK; i++)
			rc = imp_exec(im, SQL_I_DEL[i], p, RG_NITEMS(p));
		return rc;
	}
	for (k = 0; k < SET_KINDS && rc == RG_OK; k++) {
		rc = rg_txn_query(im->txn, SQL_I_EXISTING[k], p, RG_NITEMS(p),
		                  existing_row, &im->sets[k]);
		if (rc != RG_OK)
			return bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
		if (im->sets[k].nomem)
			return nomem(im);
	}
	return rc;
}

/* A name not seen yet in set k: else RG_EEXIST at path. */
static int fresh(struct imp *im, enum set_kind k, const char *name,
                 const char *path, const char *what)
{
	if (set_has(&im->sets[k], name))
		return bad(im, RG_EEXIST, path,
		           "%s '%s' already exists in service '%s'%s", what,
		           name, im->svc->name,
		           im->flags & RG_IMPORT_REPLACE
		               ? ""
		               : " (import --replace replaces the "
		                 "service's data)");
	return RG_OK;
}

static int import_settings(struct imp *im, json_t *so, const char *base)
{
	char path[PATH_MAX_LEN];
	json_t *settings = json_object_get(so, "settings"), *v;
	char msg[RG_MSG_MAX];
	const char *key;
	long count;

	if (!settings || json_is_null(settings))
		return RG_OK;
	snprintf(path, sizeof(path), "%s.settings", base);
	if (!json_is_object(settings))
		return bad(im, RG_EINVAL, path, "expected an object");
	json_object_foreach(settings, key, v)
	{
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(key),
		                RG_TEXT(json_string_value(v))};
		snprintf(path, sizeof(path), "%s.settings.%s", base, key);
		if (!rg_id_valid(key))
			return bad(im, RG_EINVAL, path, "invalid setting name");
		if (!json_is_string(v) ||
		    !rg_dir_text_valid(json_string_value(v), RG_DIR_TEXT_MAX,
		                       1))
			return bad(im, RG_EINVAL, path,
			           "expected a string of at most %d bytes",
			           RG_DIR_TEXT_MAX - 1);
		if (strcmp(key, "default_max_chats") == 0 &&
		    !rg_dir_count_parse(json_string_value(v), &count))
			return bad(im, RG_EINVAL, path,
			           "expected a whole number >= 0");
		if (rg_dir_declared_check(im->svc, RG_VOCAB_SETTING, NULL, key,
		                          json_string_value(v), msg,
		                          sizeof(msg)) != RG_OK)
			return bad(im, RG_EINVAL, path, "%s", msg);
		if (fresh(im, SET_SETTING, key, path, "setting") != RG_OK ||
		    set_add(&im->sets[SET_SETTING], key, NULL) != RG_OK ||
		    imp_exec(im, SQL_I_SETTING, p, RG_NITEMS(p)) != RG_OK)
			return im->rc ? im->rc : nomem(im);
	}
	return RG_OK;
}

/* Refuses a second root or a cycle among the service's business units;
 * first is the index of the first unit from the file. */
static int bu_tree_check(struct imp *im, const char *base, size_t first)
{
	struct nameset *s = &im->sets[SET_BU];
	char path[PATH_MAX_LEN];
	const char *root = NULL;
	size_t i, steps;

	/* Units already in the directory come first (i < first). */
	for (i = 0; i < s->n; i++) {
		long cur = (long)i;

		snprintf(path, sizeof(path), "%s.business_units[%zu]", base,
		         i >= first ? i - first : 0);
		if (!s->parents[i] && root)
			return bad(im, RG_EREFUSED, path,
			           "'%s' would be a second root business unit "
			           "('%s' is the root)",
			           s->names[i], root);
		if (!s->parents[i])
			root = s->names[i];
		/* Walk up: a chain longer than the set is a cycle. */
		for (steps = 0; cur >= 0 && steps <= s->n; steps++)
			cur = s->parents[cur]
			          ? rg_intern_get(&s->ix, s->parents[cur])
			          : -1;
		if (cur >= 0 && i >= first)
			return bad(im, RG_EREFUSED, path,
			           "business unit '%s' is its own ancestor "
			           "(a cycle)",
			           s->names[i]);
	}
	return RG_OK;
}

static int import_bus(struct imp *im, json_t *so, const char *base)
{
	static const char *const keys[] = {"name", "parent", NULL};
	struct nameset *s = &im->sets[SET_BU];
	char path[PATH_MAX_LEN];
	const char *name = NULL, *parent = NULL;
	json_t *arr, *o;
	size_t i, first = s->n;

	if (get_array(im, so, "business_units", base, &arr) != RG_OK)
		return im->rc;
	/* Every unit first, then the parents: the file's order is free. */
	for (i = 0; i < json_array_size(arr); i++) {
		rg_value p[2];
		if (!(o = item_obj(im, arr, i, base, "business_units", path)) ||
		    only_keys(im, o, path, keys) ||
		    get_str(im, o, "name", path, 1, &name) ||
		    get_str(im, o, "parent", path, 0, &parent))
			return im->rc;
		if (!rg_dir_org_name_valid(name))
			return bad(im, RG_EINVAL, path,
			           "invalid business unit name '%s'", name);
		if (fresh(im, SET_BU, name, path, "business unit"))
			return im->rc;
		if (set_add(s, name, parent) != RG_OK)
			return nomem(im);
		p[0] = RG_TEXT(im->svc->name);
		p[1] = RG_TEXT(name);
		if (imp_exec(im, SQL_I_BU, p, RG_NITEMS(p)))
			return im->rc;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		o = json_array_get(arr, i);
		name = json_string_value(json_object_get(o, "name"));
		parent = s->parents[first + i];
		if (!parent)
			continue; /* set_add() kept the file's parent */
		snprintf(path, sizeof(path), "%s.business_units[%zu].parent",
		         base, i);
		if (!set_has(s, parent))
			return bad(im, RG_ENOENT, path,
			           "unknown business unit '%s' in service "
			           "'%s'",
			           parent, im->svc->name);
		{
			rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(name),
			                RG_TEXT(parent)};
			if (imp_exec(im, SQL_I_BU_PARENT, p, RG_NITEMS(p)))
				return im->rc;
		}
	}
	return bu_tree_check(im, base, first);
}

static int import_units(struct imp *im, json_t *so, const char *base)
{
	static const char *const keys[] = {"name", NULL};
	char path[PATH_MAX_LEN];
	const char *name = NULL;
	json_t *arr, *o;
	size_t i;

	if (get_array(im, so, "units", base, &arr) != RG_OK)
		return im->rc;
	for (i = 0; i < json_array_size(arr); i++) {
		rg_value p[2];
		if (!(o = item_obj(im, arr, i, base, "units", path)) ||
		    only_keys(im, o, path, keys) ||
		    get_str(im, o, "name", path, 1, &name))
			return im->rc;
		if (!rg_dir_org_name_valid(name))
			return bad(im, RG_EINVAL, path,
			           "invalid unit name '%s'", name);
		if (fresh(im, SET_UNIT, name, path, "unit") ||
		    set_add(&im->sets[SET_UNIT], name, NULL) != RG_OK)
			return im->rc ? im->rc : nomem(im);
		p[0] = RG_TEXT(im->svc->name);
		p[1] = RG_TEXT(name);
		if (imp_exec(im, SQL_I_UNIT, p, RG_NITEMS(p)))
			return im->rc;
	}
	return RG_OK;
}

/* A department's row of org, and of org_attr its unit and max_chats
 * (max < 0: none) when set. */
static int dept_write(struct imp *im, const char *name, const char *unit,
                      long max)
{
	char max_text[DECIMAL_MAX];
	rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(name), RG_TEXT(unit)};

	/* The entry binds service and name; each attribute its value too. */
	if (imp_exec(im, SQL_I_DEPT, p, RG_NITEMS(p) - 1))
		return im->rc;
	if (unit && imp_exec(im, SQL_I_DEPT_UNIT, p, RG_NITEMS(p)))
		return im->rc;
	if (max < 0)
		return RG_OK;
	snprintf(max_text, sizeof(max_text), "%ld", max);
	p[2] = RG_TEXT(max_text);
	return imp_exec(im, SQL_I_DEPT_MAX, p, RG_NITEMS(p));
}

static int import_depts(struct imp *im, json_t *so, const char *base)
{
	static const char *const keys[] = {"name", "unit", "max_chats", NULL};
	char path[PATH_MAX_LEN];
	const char *name = NULL, *unit = NULL;
	json_t *arr, *o;
	long max = -1;
	size_t i;

	if (get_array(im, so, "departments", base, &arr) != RG_OK)
		return im->rc;
	for (i = 0; i < json_array_size(arr); i++) {
		if (!(o = item_obj(im, arr, i, base, "departments", path)) ||
		    only_keys(im, o, path, keys) ||
		    get_str(im, o, "name", path, 1, &name) ||
		    get_str(im, o, "unit", path, 0, &unit) ||
		    get_count(im, o, "max_chats", path, &max))
			return im->rc;
		if (!rg_dir_org_name_valid(name))
			return bad(im, RG_EINVAL, path,
			           "invalid department name '%s'", name);
		if (unit && !set_has(&im->sets[SET_UNIT], unit))
			return bad(im, RG_ENOENT, path,
			           "unknown unit '%s' in service '%s'", unit,
			           im->svc->name);
		if (fresh(im, SET_DEPT, name, path, "department") ||
		    set_add(&im->sets[SET_DEPT], name, NULL) != RG_OK)
			return im->rc ? im->rc : nomem(im);
		if (dept_write(im, name, unit, max))
			return im->rc;
	}
	return RG_OK;
}

/* The privileges of a custom role: declared, each once; then the plugin's
 * word on the whole set. */
static int custom_privs(struct imp *im, json_t *o, const char *id,
                        const char *path)
{
	char ipath[PATH_MAX_LEN], msg[RG_MSG_MAX];
	uint32_t idx[RG_MAX_PRIVILEGES];
	json_t *arr;
	size_t i, j, n;
	int rc;

	if (get_array(im, o, "privileges", path, &arr) != RG_OK)
		return im->rc;
	n = json_array_size(arr);
	if (n > RG_MAX_PRIVILEGES)
		return bad(im, RG_ELIMIT, path, "too many privileges");
	for (i = 0; i < n; i++) {
		const char *priv = json_string_value(json_array_get(arr, i));
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(id),
		                RG_TEXT(priv)};
		long pi = priv ? rg_privilege_find(im->svc, priv) : -1;

		snprintf(ipath, sizeof(ipath), "%s.privileges[%zu]", path, i);
		if (!priv)
			return bad(im, RG_EINVAL, ipath, "expected a string");
		if (pi < 0)
			return bad(im, RG_ENOACTION, ipath,
			           "unknown privilege '%s' in service '%s'",
			           priv, im->svc->name);
		for (j = 0; j < i; j++)
			if (idx[j] == (uint32_t)pi)
				return bad(im, RG_EINVAL, ipath,
				           "privilege '%s' is listed twice",
				           priv);
		idx[i] = (uint32_t)pi;
		if (imp_exec(im, SQL_I_GRANT, p, RG_NITEMS(p)))
			return im->rc;
	}
	rc = rg_custom_role_allowed(im->svc, id, idx, n, msg, sizeof(msg));
	return rc == RG_OK ? RG_OK : bad(im, rc, path, "%s", msg);
}

static int import_customs(struct imp *im, json_t *so, const char *base)
{
	static const char *const keys[] = {"id", "name", "description",
	                                   "privileges", NULL};
	char path[PATH_MAX_LEN];
	const char *id = NULL, *name = NULL, *desc = NULL;
	json_t *arr, *o;
	size_t i;

	if (get_array(im, so, "custom_roles", base, &arr) != RG_OK)
		return im->rc;
	for (i = 0; i < json_array_size(arr); i++) {
		rg_value p[4];
		if (!(o = item_obj(im, arr, i, base, "custom_roles", path)) ||
		    only_keys(im, o, path, keys) ||
		    get_str(im, o, "id", path, 1, &id) ||
		    get_str(im, o, "name", path, 0, &name) ||
		    get_str(im, o, "description", path, 0, &desc))
			return im->rc;
		name = name ? name : id;
		desc = desc ? desc : "";
		if (!rg_id_valid(id))
			return bad(im, RG_EINVAL, path, "invalid role id '%s'",
			           id);
		if (!rg_dir_text_valid(name, RG_DIR_NAME_MAX, 0) ||
		    !rg_dir_text_valid(desc, RG_DIR_TEXT_MAX, 1))
			return bad(im, RG_EINVAL, path,
			           "invalid name or description");
		if (rg_role_find(im->svc, id) >= 0)
			return bad(im, RG_EEXIST, path,
			           "role '%s' is a built-in role of service "
			           "'%s'",
			           id, im->svc->name);
		if (fresh(im, SET_CUSTOM, id, path, "custom role") ||
		    set_add(&im->sets[SET_CUSTOM], id, NULL) != RG_OK)
			return im->rc ? im->rc : nomem(im);
		if (im->svc->reg.nroles + im->sets[SET_CUSTOM].n >
		    RG_MAX_ROLES - 1)
			return bad(im, RG_ELIMIT, path,
			           "too many roles in service '%s' (at most "
			           "%d)",
			           im->svc->name, RG_MAX_ROLES);
		p[0] = RG_TEXT(im->svc->name);
		p[1] = RG_TEXT(id);
		p[2] = RG_TEXT(name);
		p[3] = RG_TEXT(desc);
		if (imp_exec(im, SQL_I_CUSTOM, p, RG_NITEMS(p)) ||
		    custom_privs(im, o, id, path))
			return im->rc;
	}
	return RG_OK;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One of a user's lists (roles, departments or units). */
struct ulist {
	const char *key;
	enum set_kind set;  /* SET_CUSTOM: roles (declared ones too) */
	const char *sql;    /* inserts one row */
	const char **items; /* sorted */
	size_t n;
	char *joined; /* the users row's copy */
};

/* Validates a user's list: each item known (in its set, or a declared
 * role), each once; sorts it and joins it for the users row. */
static int ulist_read(struct imp *im, json_t *o, const char *path,
                      struct ulist *l)
{
	char ipath[PATH_MAX_LEN];
	json_t *arr;
	size_t i, len = 0;

	l->n = 0;
	if (get_array(im, o, l->key, path, &arr) != RG_OK)
		return im->rc;
	l->n = json_array_size(arr);
	l->items = l->n ? calloc(l->n, sizeof(*l->items)) : NULL;
	if (l->n && !l->items)
		return nomem(im);
	for (i = 0; i < l->n; i++) {
		const char *item = json_string_value(json_array_get(arr, i));
		int known;

		snprintf(ipath, sizeof(ipath), "%s.%s[%zu]", path, l->key, i);
		if (!item)
			return bad(im, RG_EINVAL, ipath, "expected a string");
		known =
		    set_has(&im->sets[l->set], item) ||
		    (l->set == SET_CUSTOM && rg_role_find(im->svc, item) >= 0);
		if (!known)
			return bad(
			    im, l->set == SET_CUSTOM ? RG_ENOROLE : RG_ENOENT,
			    ipath, "unknown %s '%s' in service '%s'",
			    l->set == SET_CUSTOM
			        ? "role"
			        : (l->set == SET_DEPT ? "department" : "unit"),
			    item, im->svc->name);
		l->items[i] = item;
		len += strlen(item) + 1;
	}
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), str_cmp);
	for (i = 1; i < l->n; i++)
		if (strcmp(l->items[i - 1], l->items[i]) == 0)
			return bad(im, RG_EINVAL, path,
			           "'%s' is listed twice in \"%s\"",
			           l->items[i], l->key);
	l->joined = calloc(1, len + 1);
	if (!l->joined)
		return nomem(im);
	for (i = 0; i < l->n; i++) {
		if (i)
			strcat(l->joined, ",");
		strcat(l->joined, l->items[i]);
	}
	return RG_OK;
}

/* Inserts a user's list rows. */
static int ulist_write(struct imp *im, const char *id, struct ulist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(id),
		                RG_TEXT(l->items[i])};
		if (imp_exec(im, l->sql, p, RG_NITEMS(p)))
			return im->rc;
	}
	if (l->set == SET_CUSTOM)
		im->nassign += l->n;
	else
		im->nmembers += l->n;
	return RG_OK;
}

static void ulist_free(struct ulist *l)
{
	free(l->items);
	free(l->joined);
	l->items = NULL;
	l->joined = NULL;
	l->n = 0;
}

static int user_fields(struct imp *im, json_t *o, const char *path,
                       const char **id, const char **name, const char **bu,
                       const char **status, long *max)
{
	static const char *const keys[] = {"id",          "name",      "bu",
	                                   "status",      "max_chats", "roles",
	                                   "departments", "units",     NULL};

	if (only_keys(im, o, path, keys) || get_str(im, o, "id", path, 1, id) ||
	    get_str(im, o, "name", path, 0, name) ||
	    get_str(im, o, "bu", path, 0, bu) ||
	    get_str(im, o, "status", path, 0, status) ||
	    get_count(im, o, "max_chats", path, max))
		return im->rc;
	if (!*name)
		*name = *id;
	if (!rg_dir_user_id_valid(*id))
		return bad(im, RG_EINVAL, path, "invalid user id '%s'", *id);
	if (!rg_dir_text_valid(*name, RG_DIR_NAME_MAX, 0))
		return bad(im, RG_EINVAL, path, "invalid name for user '%s'",
		           *id);
	if (*bu && !set_has(&im->sets[SET_BU], *bu))
		return bad(im, RG_ENOENT, path,
		           "unknown business unit '%s' in service '%s'", *bu,
		           im->svc->name);
	if (*status && !rg_dir_status_valid(*status))
		return bad(im, RG_EINVAL, path,
		           "invalid status '%s': expected available or "
		           "unavailable",
		           *status);
	return fresh(im, SET_USER, *id, path, "user");
}

static int progress(struct imp *im, int last)
{
	if (!im->progress || (!last && im->done % PROGRESS_EVERY != 0))
		return RG_OK;
	if (im->progress(im->puser, im->done, im->total))
		return bad(im, RG_EREFUSED, NULL,
		           "import cancelled after %zu of %zu users", im->done,
		           im->total);
	return RG_OK;
}

/* A user's attributes: their keys in users.attrs and the statements
 * writing their rows, by index. */
enum uattr { UATTR_BU, UATTR_MAX, UATTR_STATUS, UATTRS };
static const char *const uattr_keys[UATTRS] = {
    [UATTR_BU] = RG_USER_BU,
    [UATTR_MAX] = RG_USER_MAX_CHATS,
    [UATTR_STATUS] = RG_USER_STATUS,
};
static const char *const uattr_sql[UATTRS] = {
    [UATTR_BU] = SQL_I_USER_BU,
    [UATTR_MAX] = SQL_I_USER_MAX,
    [UATTR_STATUS] = SQL_I_USER_STATUS,
};

/* A user's lists, in the order import_user() reads them. */
enum { ULIST_ROLES, ULIST_DEPTS, ULIST_UNITS, ULISTS };

/* The users row, with its copies of the attributes (vals by enum uattr,
 * NULL when unset) and of the lists, joined as rg_dir_user_sync() would. */
static int user_row(struct imp *im, const char *id, const char *name,
                    const char *const *vals, const struct ulist *lists)
{
	static const char *const kinds[] = {RG_ORG_DEPARTMENT, RG_ORG_UNIT};
	/* A kind with no names is left out of the pairs. */
	const char *names[] = {
	    lists[ULIST_DEPTS].n ? lists[ULIST_DEPTS].joined : NULL,
	    lists[ULIST_UNITS].n ? lists[ULIST_UNITS].joined : NULL,
	};
	char *attrs = rg_dir_pairs_join(uattr_keys, vals, UATTRS);
	char *members = rg_dir_pairs_join(kinds, names, RG_NITEMS(names));

	if (!attrs || !members) {
		nomem(im);
		goto out;
	}
	{
		rg_value p[] = {
		    RG_TEXT(im->svc->name), RG_TEXT(id),
		    RG_TEXT(name),          RG_TEXT(lists[ULIST_ROLES].joined),
		    RG_TEXT(attrs),         RG_TEXT(members)};
		imp_exec(im, SQL_I_USER, p, RG_NITEMS(p));
	}
out:
	free(attrs);
	free(members);
	return im->rc;
}

/* The rows of user_attr of the attributes set. */
static int user_attrs_write(struct imp *im, const char *id,
                            const char *const *vals)
{
	size_t i;

	for (i = 0; i < UATTRS; i++) {
		rg_value p[] = {RG_TEXT(im->svc->name), RG_TEXT(id),
		                RG_TEXT(vals[i])};
		if (vals[i] && imp_exec(im, uattr_sql[i], p, RG_NITEMS(p)))
			return im->rc;
	}
	return RG_OK;
}

/* One user: validated whole, then written. */
static int import_user(struct imp *im, json_t *o, const char *path)
{
	struct ulist lists[ULISTS] = {
	    [ULIST_ROLES] = {"roles", SET_CUSTOM, SQL_I_ASSIGN, NULL, 0, NULL},
	    [ULIST_DEPTS] = {"departments", SET_DEPT, SQL_I_DEPT_MEMBER, NULL,
	                     0, NULL},
	    [ULIST_UNITS] = {"units", SET_UNIT, SQL_I_UNIT_MEMBER, NULL, 0,
	                     NULL},
	};
	const char *id = NULL, *name = NULL, *vals[UATTRS] = {NULL};
	char max_text[DECIMAL_MAX];
	long max = -1;
	size_t k;

	if (user_fields(im, o, path, &id, &name, &vals[UATTR_BU],
	                &vals[UATTR_STATUS], &max))
		goto out;
	for (k = 0; k < ULISTS; k++)
		if (ulist_read(im, o, path, &lists[k]))
			goto out;
	if (max >= 0) {
		snprintf(max_text, sizeof(max_text), "%ld", max);
		vals[UATTR_MAX] = max_text;
	}
	if (set_add(&im->sets[SET_USER], id, NULL) != RG_OK) {
		nomem(im);
		goto out;
	}
	if (user_row(im, id, name, vals, lists) ||
	    user_attrs_write(im, id, vals))
		goto out;
	for (k = 0; k < ULISTS && im->rc == RG_OK; k++)
		ulist_write(im, id, &lists[k]);
out:
	for (k = 0; k < ULISTS; k++)
		ulist_free(&lists[k]);
	return im->rc;
}

static int import_users(struct imp *im, json_t *so, const char *base)
{
	char path[PATH_MAX_LEN];
	json_t *arr, *o;
	size_t i;

	if (get_array(im, so, "users", base, &arr) != RG_OK)
		return im->rc;
	for (i = 0; i < json_array_size(arr); i++) {
		if (!(o = item_obj(im, arr, i, base, "users", path)) ||
		    import_user(im, o, path))
			return im->rc;
		im->nusers++;
		im->done++;
		if (progress(im, 0))
			return im->rc;
	}
	return RG_OK;
}

/* The current service's data as the transaction sees it. */
static int service_state(struct imp *im, json_t **out)
{
	char err[RG_MSG_MAX];
	int rc;

	json_decref(*out);
	rc = rg_dir_service_json(im->txn->dir, im->svc->name, out, err,
	                         sizeof(err));
	return rc == RG_OK ? RG_OK : bad(im, rc, NULL, "%s", err);
}

/* One audit row of an item the import added, changed or removed. */
static int item_audit(struct imp *im, const char *what, const char *user,
                      json_t *before, json_t *after)
{
	int rc;

	if (before && after && json_equal(before, after))
		return RG_OK;
	rc = rg_txn_audit(im->txn, user, what, json_incref(before),
	                  json_incref(after));
	return rc == RG_OK ? RG_OK
	                   : bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
}

/* The parts of a service object, with their items' audit names. */
static const struct part {
	const char *key;  /* in the service object */
	const char *id;   /* the item's key member */
	const char *what; /* its audit rows */
} parts[] = {
    {"business_units", "name", "import.bu"},
    {"units", "name", "import.unit"},
    {"departments", "name", "import.department"},
    {"custom_roles", "id", "import.custom-role"},
    {"users", "id", "import.user"},
};

/* Both lists are sorted by their items' ids (byte order): one merge. */
static int part_audit(struct imp *im, const struct part *pt, json_t *old,
                      json_t *cur)
{
	size_t i = 0, j = 0, n = json_array_size(old), m = json_array_size(cur);
	int rc = RG_OK;

	while (rc == RG_OK && (i < n || j < m)) {
		json_t *a = json_array_get(old, i), *b = json_array_get(cur, j);
		const char *ka = json_string_value(json_object_get(a, pt->id));
		const char *kb = json_string_value(json_object_get(b, pt->id));
		int c = !ka ? 1 : (!kb ? -1 : strcmp(ka, kb));
		int is_user = strcmp(pt->key, "users") == 0;

		if (c < 0)
			b = NULL, i++;
		else if (c > 0)
			a = NULL, j++;
		else
			i++, j++;
		rc = item_audit(im, pt->what,
		                is_user ? (c > 0 ? kb : ka) : NULL, a, b);
	}
	return rc;
}

/* A setting as an item: {"key", "value"} (value NULL: none). */
static json_t *setting_item(const char *key, json_t *value)
{
	return value ? json_pack("{s:s, s:O}", "key", key, "value", value)
	             : NULL;
}

static int setting_audit(struct imp *im, const char *key, json_t *old,
                         json_t *cur)
{
	json_t *a = setting_item(key, json_object_get(old, key));
	json_t *b = setting_item(key, json_object_get(cur, key));
	int rc = item_audit(im, "import.setting", NULL, a, b);

	json_decref(a);
	json_decref(b);
	return rc;
}

/*
 * An audit row per item the import added, changed or removed, before
 * and after as the export writes it, so that each can be seen and undone
 * (rg_audit_undo()).  Unchanged items (a backup restored over itself)
 * write none.
 */
static int changes_audit(struct imp *im)
{
	json_t *cur = NULL, *os, *cs, *v;
	const char *key;
	size_t k;
	int rc;

	if (service_state(im, &cur) != RG_OK)
		return im->rc;
	os = json_object_get(im->old, "settings");
	cs = json_object_get(cur, "settings");
	rc = RG_OK;
	json_object_foreach(os, key, v)
	{
		if (rc == RG_OK)
			rc = setting_audit(im, key, os, cs);
	}
	json_object_foreach(cs, key, v)
	{
		if (rc == RG_OK && !json_object_get(os, key))
			rc = setting_audit(im, key, os, cs);
	}
	for (k = 0; rc == RG_OK && k < RG_NITEMS(parts); k++)
		rc = part_audit(im, &parts[k],
		                json_object_get(im->old, parts[k].key),
		                json_object_get(cur, parts[k].key));
	json_decref(cur);
	return rc;
}

static int service_audit(struct imp *im)
{
	json_t *after = json_pack(
	    "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "replace",
	    (im->flags & RG_IMPORT_REPLACE) != 0, "settings",
	    (json_int_t)im->sets[SET_SETTING].n, "business_units",
	    (json_int_t)im->sets[SET_BU].n, "units",
	    (json_int_t)im->sets[SET_UNIT].n, "departments",
	    (json_int_t)im->sets[SET_DEPT].n, "custom_roles",
	    (json_int_t)im->sets[SET_CUSTOM].n, "users", (json_int_t)im->nusers,
	    "assignments", (json_int_t)im->nassign, "memberships",
	    (json_int_t)im->nmembers);
	int rc;

	if (!after)
		return nomem(im);
	rc = rg_txn_audit(im->txn, NULL, "import", NULL, after);
	return rc == RG_OK ? RG_OK
	                   : bad(im, rc, NULL, "%s", rg_txn_error(im->txn));
}

static int import_service(struct imp *im, json_t *so, size_t si)
{
	char base[PATH_MAX_LEN];

	snprintf(base, sizeof(base), "services[%zu]", si);
	im->svc = rg_service_find(
	    im->ctx, json_string_value(json_object_get(so, "name")));
	im->txn->svc = im->svc;
	im->nusers = im->nassign = im->nmembers = 0;
	if (only_keys(im, so, base, svc_keys) || service_state(im, &im->old) ||
	    service_prepare(im) || import_settings(im, so, base) ||
	    import_bus(im, so, base) || import_units(im, so, base) ||
	    import_depts(im, so, base) || import_customs(im, so, base) ||
	    import_users(im, so, base) || changes_audit(im))
		return im->rc;
	return service_audit(im);
}

/* ---- import: the file ------------------------------------------------- */

static int load_file(struct imp *im, const char *path, json_t **out)
{
	char why[RG_MSG_MAX];
	json_error_t jerr;
	size_t flags = JSON_REJECT_DUPLICATES;
	FILE *f;
	int fd, rc;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		*out = json_loadf(stdin, flags, &jerr);
	} else {
		/* Only a regular file, of a bounded size (see file.c). */
		rc = rg_file_open(path, RG_FILE_MAX_IMPORT, &fd, why,
		                  sizeof(why));
		/* RG_EIO, as for any file that cannot be read. */
		if (rc != RG_OK)
			return bad(im, RG_EIO, NULL, "cannot read %s: %s", path,
			           why);
		/* Buffered: json_loadfd() reads one byte per read(2), which
		 * for a 50,000-user file is seconds of system time. */
		f = fdopen(fd, "r");
		if (!f) {
			close(fd);
			return bad(im, RG_EIO, NULL, "cannot read %s: %s", path,
			           strerror(errno));
		}
		*out = json_loadf(f, flags, &jerr);
		fclose(f);
	}
	if (*out)
		return RG_OK;
	return bad(im, RG_EIO, NULL, "%s:%d:%d: %s",
	           strcmp(path, "-") == 0 ? "(stdin)" : path, jerr.line,
	           jerr.column, jerr.text);
}

/* The header; then every service named must be configured. */
static int check_header(struct imp *im, json_t *root, json_t **services)
{
	static const char *const keys[] = {"format", "version", "services",
	                                   NULL};
	json_t *v = json_object_get(root, "version");
	char unknown[RG_MSG_MAX] = "", path[PATH_MAX_LEN];
	const char *name;
	size_t i, j, len = 0;

	if (!json_is_object(root))
		return bad(im, RG_EIO, NULL,
		           "not a rolegate directory export: expected an "
		           "object");
	if (!json_is_string(json_object_get(root, "format")) ||
	    strcmp(json_string_value(json_object_get(root, "format")),
	           FORMAT_NAME) != 0)
		return bad(
		    im, RG_EIO, "format",
		    "not a rolegate directory export (expected \"" FORMAT_NAME
		    "\")");
	if (!json_is_integer(v) || json_integer_value(v) != FORMAT_VERSION)
		return bad(im, RG_ENOSYS, "version",
		           "unsupported version (this rolegate reads %d)",
		           FORMAT_VERSION);
	*services = json_object_get(root, "services");
	if (only_keys(im, root, "", keys))
		return im->rc;
	if (!json_is_array(*services))
		return bad(im, RG_EINVAL, "services", "expected an array");
	for (i = 0; i < json_array_size(*services); i++) {
		json_t *so = json_array_get(*services, i);
		snprintf(path, sizeof(path), "services[%zu]", i);
		if (!json_is_object(so))
			return bad(im, RG_EINVAL, path, "expected an object");
		if (get_str(im, so, "name", path, 1, &name))
			return im->rc;
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(
			               json_array_get(*services, j), "name")),
			           name) == 0)
				return bad(im, RG_EINVAL, path,
				           "service '%s' appears twice (first "
				           "services[%zu])",
				           name, j);
		if (!rg_service_find(im->ctx, name) && len < sizeof(unknown))
			len += (size_t)snprintf(
			    unknown + len, sizeof(unknown) - len,
			    "%s'%s' (services[%zu])", len ? ", " : "", name, i);
		im->total += json_array_size(json_object_get(so, "users"));
	}
	if (len)
		return bad(im, RG_ENOSERVICE, NULL,
		           "services unknown to the configuration: %s",
		           unknown);
	return RG_OK;
}

static int import_all(struct imp *im, json_t *services, const char *path,
                      const char *actor, const char *as)
{
	char err[RG_MSG_MAX];
	char *command;
	size_t i;
	int rc;

	command =
	    as ? rg_strdup(as)
	       : rg_asprintf("import %s%s", path,
	                     im->flags & RG_IMPORT_REPLACE ? " --replace" : "");
	if (!command)
		return nomem(im);
	rc = rg_dir_txn_begin(im->ctx, NULL, actor, command, &im->txn, err,
	                      sizeof(err));
	free(command);
	if (rc != RG_OK)
		return bad(im, rc, NULL, "%s", err);
	for (i = 0; i < json_array_size(services) && im->rc == RG_OK; i++)
		import_service(im, json_array_get(services, i), i);
	if (im->rc == RG_OK)
		progress(im, 1);
	if (im->rc != RG_OK) {
		rg_txn_abort(im->txn);
		return im->rc;
	}
	rc = rg_txn_commit(im->txn);
	if (rc != RG_OK)
		return bad(im, rc, NULL,
		           "the import was not committed (see the log)");
	return RG_OK;
}

int rg_directory_import(rg_context *ctx, const char *path, unsigned flags,
                        const char *actor, rg_progress_fn progress_fn,
                        void *puser, char *errbuf, size_t errlen)
{
	return rg_directory_import_as(ctx, path, flags, actor, NULL,
	                              progress_fn, puser, errbuf, errlen);
}

int rg_directory_import_as(rg_context *ctx, const char *path, unsigned flags,
                           const char *actor, const char *command,
                           rg_progress_fn progress_fn, void *puser,
                           char *errbuf, size_t errlen)
{
	struct imp im;
	json_t *root = NULL, *services = NULL;
	int k;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!ctx || !path) {
		if (errbuf)
			rg_strlcpy(errbuf, "no context or path", errlen);
		return RG_EINVAL;
	}
	memset(&im, 0, sizeof(im));
	im.ctx = ctx;
	im.flags = flags;
	im.progress = progress_fn;
	im.puser = puser;
	for (k = 0; k < SET_KINDS; k++)
		set_init(&im.sets[k]);
	if (load_file(&im, path, &root) == RG_OK &&
	    check_header(&im, root, &services) == RG_OK)
		import_all(&im, services, path, actor, command);
	for (k = 0; k < SET_KINDS; k++)
		set_free(&im.sets[k]);
	json_decref(im.old);
	json_decref(root);
	if (errbuf && im.rc != RG_OK)
		rg_strlcpy(errbuf, im.err, errlen);
	if (im.rc != RG_OK)
		rg_log(ctx, RG_LOG_ERR, "import %s: %s", path, im.err);
	return im.rc;
}
