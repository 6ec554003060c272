/*
 * directory.c - the directory: users, role assignments, organisation and
 * custom roles, per service, in a store (SQLite by default).
 *
 * What is here:
 *  - the schema and its forward migrations;
 *  - struct rg_dir, the context's handle: one store connection behind one
 *    mutex, and the database's location (it may not exist yet: then the
 *    directory is empty, and the first transaction creates it);
 *  - the rows of a snapshot: rg_dir_read_rows() reads everything in one
 *    read transaction and hands each row to the engine's sink, which
 *    builds the immutable view that checks use (core/snapload.c);
 *  - transactions: every change is validated against the context's
 *    registry and the database, and writes an audit row;
 *  - the reads behind rg_user_list() and friends.
 * Import and export are in dirjson.c.
 *
 * Locking: a transaction holds the directory's mutex from begin to commit
 * or abort, and the store's write lock (BEGIN IMMEDIATE) for as long.
 * The mutex is recursive so that the thread holding a transaction may read
 * the directory (and sees its own changes); snapshots are never built
 * inside a transaction, since they must hold committed data only.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dirimpl.h"

#define DIR_MODE     0750 /* directories created for the database */
#define NS_PER_MS    1000000L
#define MS_PER_S     1000L
#define NS_PER_S     1000000000L
#define DECIMAL_MAX  32 /* a long in decimal, with room to spare */
#define LIST_MIN_CAP 32
#define DECIMAL_BASE 10
/* How often a watcher tries a shared database it has not reached yet. */
#define ATTACH_RETRY_MS 1000

/* ---- the schema ------------------------------------------------------- */

/*
 * Every table is keyed by service.  Roles are not a table: built-in ones
 * come from the plugins' policies, so assignments name roles by id and
 * stay valid when a policy is reloaded.  The SQL is what SQLite and
 * PostgreSQL both accept.  Migrations 1 and 2 are SQLite's only: a
 * PostgreSQL directory starts at version 2 with the same tables in its
 * words (store_pg.c).  Every later migration runs on both, so its SQL
 * must be what both accept.
 *
 * The schema knows no product: an organisation entry is a row of org with
 * its kind (a plugin's word: "bu", "department", "site"), its attributes
 * (a parent, a limit) rows of org_attr; a user's attributes are rows of
 * user_attr, its memberships rows of member.  What a kind, an attribute or
 * a value may be is what the service's plugins declare (core/vocab.c).
 *
 * users.roles, users.attrs and users.members repeat the user's rows of
 * assignment, user_attr and member (see rg_dir_pairs_join()): roles sorted
 * and joined with commas; attributes as "key=value" pairs and memberships
 * as "kind=name,name" pairs, sorted by key or kind and joined with
 * RG_DIR_PAIR_SEP.  Every transaction that changes those rows rewrites
 * them (user_sync()), and rg_directory_verify() compares both.  They exist
 * for speed: a snapshot of 50,000 users is then one scan of one table
 * instead of four, which is most of its cost.
 */
static const char *const schema_v1[] = {
    "CREATE TABLE setting (service TEXT NOT NULL, key TEXT NOT NULL, "
    "value TEXT NOT NULL, PRIMARY KEY (service, key))",

    "CREATE TABLE bu (service TEXT NOT NULL, name TEXT NOT NULL, "
    "parent TEXT, PRIMARY KEY (service, name), "
    "FOREIGN KEY (service, parent) REFERENCES bu (service, name))",
    "CREATE INDEX bu_parent ON bu (service, parent)",

    "CREATE TABLE unit (service TEXT NOT NULL, name TEXT NOT NULL, "
    "PRIMARY KEY (service, name))",

    "CREATE TABLE department (service TEXT NOT NULL, name TEXT NOT NULL, "
    "unit TEXT, max_chats INTEGER CHECK (max_chats >= 0), "
    "PRIMARY KEY (service, name), "
    "FOREIGN KEY (service, unit) REFERENCES unit (service, name))",
    "CREATE INDEX department_unit ON department (service, unit)",

    "CREATE TABLE users (service TEXT NOT NULL, id TEXT NOT NULL, "
    "name TEXT NOT NULL, bu TEXT, "
    "status TEXT CHECK (status IN ('available', 'unavailable')), "
    "max_chats INTEGER CHECK (max_chats >= 0), "
    "roles TEXT NOT NULL DEFAULT '', "
    "departments TEXT NOT NULL DEFAULT '', "
    "units TEXT NOT NULL DEFAULT '', "
    "PRIMARY KEY (service, id), "
    "FOREIGN KEY (service, bu) REFERENCES bu (service, name))",
    "CREATE INDEX users_bu ON users (service, bu)",

    "CREATE TABLE custom_role (service TEXT NOT NULL, id TEXT NOT NULL, "
    "name TEXT NOT NULL, description TEXT NOT NULL, "
    "PRIMARY KEY (service, id))",
    "CREATE TABLE custom_grant (service TEXT NOT NULL, role TEXT NOT NULL, "
    "privilege TEXT NOT NULL, PRIMARY KEY (service, role, privilege), "
    "FOREIGN KEY (service, role) REFERENCES custom_role (service, id) "
    "ON DELETE CASCADE)",

    "CREATE TABLE assignment (service TEXT NOT NULL, "
    "user_id TEXT NOT NULL, role TEXT NOT NULL, "
    "PRIMARY KEY (service, user_id, role), "
    "FOREIGN KEY (service, user_id) REFERENCES users (service, id) "
    "ON DELETE CASCADE)",
    "CREATE INDEX assignment_role ON assignment (service, role)",

    "CREATE TABLE department_member (service TEXT NOT NULL, "
    "user_id TEXT NOT NULL, department TEXT NOT NULL, "
    "PRIMARY KEY (service, user_id, department), "
    "FOREIGN KEY (service, user_id) REFERENCES users (service, id) "
    "ON DELETE CASCADE, "
    "FOREIGN KEY (service, department) REFERENCES department "
    "(service, name))",
    "CREATE INDEX department_member_department ON department_member "
    "(service, department)",

    "CREATE TABLE unit_member (service TEXT NOT NULL, "
    "user_id TEXT NOT NULL, unit TEXT NOT NULL, "
    "PRIMARY KEY (service, user_id, unit), "
    "FOREIGN KEY (service, user_id) REFERENCES users (service, id) "
    "ON DELETE CASCADE, "
    "FOREIGN KEY (service, unit) REFERENCES unit (service, name))",
    "CREATE INDEX unit_member_unit ON unit_member (service, unit)",

    "CREATE TABLE audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, "
    "actor TEXT NOT NULL, command TEXT NOT NULL, service TEXT NOT NULL, "
    "user_id TEXT NOT NULL, what TEXT NOT NULL, before TEXT NOT NULL, "
    "after TEXT NOT NULL)",
    "CREATE INDEX audit_at ON audit (at)",
    "CREATE INDEX audit_user ON audit (service, user_id)",
    NULL,
};

/*
 * Version 2: the generic tables.  The first release's tables named the
 * shipped products' organisation (bu, unit, department and the users'
 * bu, status, max_chats columns); their rows become org, org_attr,
 * user_attr and member rows under the same words, which the plugins
 * declare.  users and assignment are rebuilt (SQLite cannot drop a column
 * that a foreign key names): the new tables are filled, the old ones
 * dropped children first (so no ON DELETE CASCADE reaches a row that is
 * kept), and the new ones renamed, which rewrites the references to them.
 * The tables of rows keyed by text alone are WITHOUT ROWID: smaller (146
 * MB against 153 for 50,000 agents of each product) and no slower.
 */
static const char *const schema_v2[] = {
    "CREATE TABLE org (service TEXT NOT NULL, kind TEXT NOT NULL, "
    "name TEXT NOT NULL, PRIMARY KEY (service, kind, name))",
    "CREATE TABLE org_attr (service TEXT NOT NULL, kind TEXT NOT NULL, "
    "name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "PRIMARY KEY (service, kind, name, key), "
    "FOREIGN KEY (service, kind, name) REFERENCES org (service, kind, name) "
    "ON DELETE CASCADE) WITHOUT ROWID",
    "CREATE INDEX org_attr_value ON org_attr (service, key, value)",

    "CREATE TABLE users_v2 (service TEXT NOT NULL, id TEXT NOT NULL, "
    "name TEXT NOT NULL, roles TEXT NOT NULL DEFAULT '', "
    "attrs TEXT NOT NULL DEFAULT '', members TEXT NOT NULL DEFAULT '', "
    "PRIMARY KEY (service, id))",
    "CREATE TABLE user_attr (service TEXT NOT NULL, user_id TEXT NOT NULL, "
    "key TEXT NOT NULL, value TEXT NOT NULL, "
    "PRIMARY KEY (service, user_id, key), "
    "FOREIGN KEY (service, user_id) REFERENCES users_v2 (service, id) "
    "ON DELETE CASCADE) WITHOUT ROWID",
    "CREATE INDEX user_attr_value ON user_attr (service, key, value)",
    "CREATE TABLE member (service TEXT NOT NULL, user_id TEXT NOT NULL, "
    "kind TEXT NOT NULL, name TEXT NOT NULL, "
    "PRIMARY KEY (service, user_id, kind, name), "
    "FOREIGN KEY (service, user_id) REFERENCES users_v2 (service, id) "
    "ON DELETE CASCADE, "
    "FOREIGN KEY (service, kind, name) REFERENCES org (service, kind, name)) "
    "WITHOUT ROWID",
    "CREATE INDEX member_org ON member (service, kind, name)",
    "CREATE TABLE assignment_v2 (service TEXT NOT NULL, "
    "user_id TEXT NOT NULL, role TEXT NOT NULL, "
    "PRIMARY KEY (service, user_id, role), "
    "FOREIGN KEY (service, user_id) REFERENCES users_v2 (service, id) "
    "ON DELETE CASCADE)",

    "INSERT INTO org SELECT service, 'bu', name FROM bu",
    "INSERT INTO org_attr SELECT service, 'bu', name, 'parent', parent "
    "FROM bu WHERE parent IS NOT NULL",
    "INSERT INTO org SELECT service, 'unit', name FROM unit",
    "INSERT INTO org SELECT service, 'department', name FROM department",
    "INSERT INTO org_attr SELECT service, 'department', name, 'unit', unit "
    "FROM department WHERE unit IS NOT NULL",
    "INSERT INTO org_attr SELECT service, 'department', name, 'max_chats', "
    "CAST(max_chats AS TEXT) FROM department WHERE max_chats IS NOT NULL",
    /* The pairs sorted by key (bu, max_chats, status; department, unit)
     * and joined with RG_DIR_PAIR_SEP, char(31). */
    "INSERT INTO users_v2 SELECT service, id, name, roles, "
    "substr(coalesce(char(31) || 'bu=' || bu, '') || "
    "coalesce(char(31) || 'max_chats=' || max_chats, '') || "
    "coalesce(char(31) || 'status=' || status, ''), 2), "
    "substr(CASE WHEN departments <> '' THEN char(31) || 'department=' || "
    "departments ELSE '' END || CASE WHEN units <> '' THEN char(31) || "
    "'unit=' || units ELSE '' END, 2) FROM users",
    "INSERT INTO user_attr SELECT service, id, 'bu', bu FROM users "
    "WHERE bu IS NOT NULL",
    "INSERT INTO user_attr SELECT service, id, 'max_chats', "
    "CAST(max_chats AS TEXT) FROM users WHERE max_chats IS NOT NULL",
    "INSERT INTO user_attr SELECT service, id, 'status', status FROM users "
    "WHERE status IS NOT NULL",
    "INSERT INTO member SELECT service, user_id, 'department', department "
    "FROM department_member",
    "INSERT INTO member SELECT service, user_id, 'unit', unit "
    "FROM unit_member",
    "INSERT INTO assignment_v2 SELECT service, user_id, role FROM assignment",

    "DROP TABLE department_member",
    "DROP TABLE unit_member",
    "DROP TABLE assignment",
    "DROP TABLE users",
    "DROP TABLE department",
    "DROP TABLE unit",
    "DROP TABLE bu",
    "ALTER TABLE users_v2 RENAME TO users",
    "ALTER TABLE assignment_v2 RENAME TO assignment",
    "CREATE INDEX assignment_role ON assignment (service, role)",
    NULL,
};

/* Forward migrations, oldest first: steps[] of `version` bring a database
 * of version - 1 to version.  Append only. */
static const struct migration {
	int version;
	const char *const *steps;
} migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
};

#define SCHEMA_VERSION 2

static const char SQL_META_TABLE[] = RG_STORE_MARKER_SQL;
static const char SQL_SCHEMA_READ[] =
    "SELECT value FROM meta WHERE key = 'schema_version'";
static const char SQL_SCHEMA_WRITE[] =
    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
static const char SQL_READ_BEGIN[] = "BEGIN";
static const char SQL_READ_END[] = "COMMIT";
/* Any read: it starts the read transaction's view of the database. */
static const char SQL_READ_START[] = "SELECT count(*) FROM meta";

/* ---- values ----------------------------------------------------------- */

/* Valid UTF-8 without control characters, and none of `banned`. */
static int text_ok(const char *s, const char *banned)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = rg_utf8_len(p);
		if (!n || *p < 0x20 || *p == 0x7f ||
		    (*p < 0x80 && strchr(banned, *p)))
			return 0;
		p += n;
	}
	return 1;
}

int rg_dir_text_valid(const char *s, size_t max, int allow_empty)
{
	size_t len;

	if (!s)
		return 0;
	len = strlen(s);
	return (len > 0 || allow_empty) && len < max && text_ok(s, "");
}

int rg_dir_user_id_valid(const char *id)
{
	return id && *id && strlen(id) < RG_ID_MAX && text_ok(id, " ,");
}

int rg_dir_org_name_valid(const char *name)
{
	size_t len;

	if (!name || !*name)
		return 0;
	len = strlen(name);
	return len < RG_ID_MAX && name[0] != ' ' && name[len - 1] != ' ' &&
	       text_ok(name, ",");
}

int rg_dir_count_parse(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0)
		return 0;
	*out = v;
	return 1;
}

int rg_dir_declared_check(const struct rg_service *svc, rg_vocab_what what,
                          const char *kind, const char *name, const char *value,
                          char *err, size_t errlen)
{
	const struct rg_vocab_entry *e =
	    svc ? rg_vocab_lookup(&svc->vocab, what, kind, name) : NULL;

	if (!e || !value)
		return RG_OK;
	return rg_vocab_value_check(e, value, err, errlen);
}

void rg_dir_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char secs[sizeof("YYYY-MM-DDTHH:MM:SS")];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", secs, ts.tv_nsec / NS_PER_MS);
}

/* ---- small query helpers ---------------------------------------------- */

static int row_count(void *user, const rg_value *cols, size_t n)
{
	long long *out = user;

	*out = n > 0 && cols[0].type == RG_VAL_INT ? cols[0].i : 0;
	return 1;
}

/* A text cell, copied; found tells a NULL cell from no row. */
struct text_cell {
	char *s;
	int found;
	int nomem;
};

static int row_text(void *user, const rg_value *cols, size_t n)
{
	struct text_cell *c = user;

	c->found = 1;
	if (n > 0 && cols[0].type == RG_VAL_TEXT) {
		c->s = rg_strdup(cols[0].s);
		c->nomem = c->s == NULL;
	}
	return 1;
}

/* Formats a failure naming the directory: "directory X is locked by
 * another writer", "directory X is read-only (...)", "directory X: ...". */
static void dir_message(const struct rg_dir *d, int rc, const char *reason,
                        char *err, size_t errlen)
{
	if (rc == RG_EBUSY)
		snprintf(err, errlen,
		         "directory %s is locked by another writer (waited "
		         "%ld ms: %s)",
		         d->location, d->busy_ms, reason);
	else if (strncmp(reason, "read-only", strlen("read-only")) == 0)
		snprintf(err, errlen, "directory %s is %s", d->location,
		         reason);
	else if (strncmp(reason, "is ", strlen("is ")) == 0)
		snprintf(err, errlen, "directory %s %s", d->location, reason);
	else
		snprintf(err, errlen, "directory %s: %s", d->location, reason);
}

static void store_message(const struct rg_dir *d, rg_store *s, int rc,
                          char *err, size_t errlen)
{
	dir_message(d, rc, d->ops->errmsg(s), err, errlen);
}

/* ---- opening: schema and migrations ----------------------------------- */

/* Reads the schema version; -1 when the database has none yet. */
static int schema_version(struct rg_dir *d, rg_store *s, long *out)
{
	struct text_cell c = {0};
	int rc;

	*out = -1;
	rc = d->ops->query(s, SQL_SCHEMA_READ, NULL, 0, row_text, &c);
	if (rc == RG_OK && c.s && !rg_dir_count_parse(c.s, out))
		rc = RG_EIO;
	if (rc == RG_OK && c.nomem)
		rc = RG_ENOMEM;
	free(c.s);
	return rc;
}

/* The reasons below are written without the location (see dir_attach). */
static int schema_too_new(long v, char *why, size_t len)
{
	snprintf(why, len,
	         "schema version %ld is newer than the %d this rolegate "
	         "knows (upgrade rolegate)",
	         v, SCHEMA_VERSION);
	return RG_ENOSYS;
}

/* Applies every migration above `from` inside the open transaction. */
static int migrate_steps(struct rg_dir *d, rg_store *s, long from)
{
	char ver[DECIMAL_MAX];
	size_t m, i;
	int rc = RG_OK;

	/* A store that creates its databases at a later version (with its
	 * own words for the tables) migrates from there. */
	if (from < d->ops->base_schema_version)
		from = d->ops->base_schema_version;
	for (m = 0; m < RG_NITEMS(migrations) && rc == RG_OK; m++) {
		if (migrations[m].version <= from)
			continue;
		for (i = 0; migrations[m].steps[i] && rc == RG_OK; i++)
			rc = d->ops->exec(s, migrations[m].steps[i], NULL, 0,
			                  NULL);
	}
	if (rc == RG_OK) {
		rg_value p[] = {RG_TEXT(ver)};
		snprintf(ver, sizeof(ver), "%d", SCHEMA_VERSION);
		rc = d->ops->exec(s, SQL_SCHEMA_WRITE, p, RG_NITEMS(p), NULL);
	}
	return rc;
}

/* Brings the schema up to date in one transaction. */
static int migrate(struct rg_dir *d, rg_store *s, char *why, size_t len)
{
	long v;
	int rc;

	rc = d->ops->begin(s);
	if (rc != RG_OK)
		goto fail;
	rc = d->ops->exec(s, SQL_META_TABLE, NULL, 0, NULL);
	/* Read again under the lock: another process may have migrated. */
	if (rc == RG_OK)
		rc = schema_version(d, s, &v);
	if (rc == RG_OK && v > SCHEMA_VERSION) {
		d->ops->rollback(s);
		return schema_too_new(v, why, len);
	}
	if (rc == RG_OK && v < SCHEMA_VERSION)
		rc = migrate_steps(d, s, v);
	if (rc == RG_OK)
		rc = d->ops->commit(s);
	if (rc == RG_OK) {
		if (v < SCHEMA_VERSION)
			rg_log(d->ctx, RG_LOG_NOTICE,
			       "directory %s: schema version %ld -> %d",
			       d->location, v < 0 ? 0 : v, SCHEMA_VERSION);
		return RG_OK;
	}
fail:
	rg_strlcpy(why, d->ops->errmsg(s), len);
	d->ops->rollback(s);
	return rc;
}

/* Checks the schema of a freshly opened store; migrates when older. */
static int schema_prepare(struct rg_dir *d, rg_store *s, char *why, size_t len)
{
	char first[RG_MSG_MAX];
	size_t used;
	long v = -1;
	int rc;

	/* Fails when the meta table does not exist yet: migrate then. */
	rc = schema_version(d, s, &v);
	if (rc == RG_OK && v == SCHEMA_VERSION)
		return RG_OK;
	if (rc == RG_OK && v > SCHEMA_VERSION)
		return schema_too_new(v, why, len);
	rg_strlcpy(first, rc == RG_OK ? "" : d->ops->errmsg(s), sizeof(first));
	rc = migrate(d, s, why, len);
	/* When reading failed too, that is the likelier story. */
	used = strlen(why);
	if (rc != RG_OK && first[0] && used < len)
		snprintf(why + used, len - used, "; reading it: %s", first);
	return rc;
}

/* Creates the missing directories of path's parent, mode DIR_MODE. */
static int make_parents(const struct rg_dir *d, char *why, size_t len)
{
	char *dir = rg_dirname(d->location), *p;
	int rc = RG_OK;

	if (!dir)
		return RG_ENOMEM;
	for (p = dir + 1;; p++) {
		char c = *p;
		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, DIR_MODE) != 0 && errno != EEXIST) {
			int ro =
			    errno == EACCES || errno == EROFS || errno == EPERM;
			snprintf(why, len, "%scannot create %s: %s%s",
			         ro ? "read-only (" : "", dir, strerror(errno),
			         ro ? ")" : "");
			rc = RG_EIO;
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(dir);
	return rc;
}

/*
 * Opens the store if it is not open yet.  Without create, a database that
 * does not exist is no error: d->store stays NULL (an empty directory).
 * On failure `why` gets the reason, without the location.
 */
static int dir_attach(struct rg_dir *d, int create, char *why, size_t len)
{
	rg_store *s = NULL;
	int rc;

	if (d->store)
		return RG_OK;
	if (create && d->ops == &rg_store_sqlite) {
		rc = make_parents(d, why, len);
		if (rc != RG_OK)
			return rc;
	}
	rc = d->ops->open(d->target, create ? RG_STORE_CREATE : 0, d->busy_ms,
	                  &s, why, len);
	if (rc == RG_ENOENT && !create)
		return RG_OK;
	if (rc != RG_OK)
		return rc;
	rc = schema_prepare(d, s, why, len);
	if (rc != RG_OK) {
		d->ops->close(s);
		return rc;
	}
	d->store = s;
	return RG_OK;
}

/* dir_attach() with the location in the message. */
static int dir_attach_named(struct rg_dir *d, int create, char *err,
                            size_t errlen)
{
	char why[RG_MSG_MAX];
	int rc = dir_attach(d, create, why, sizeof(why));

	if (rc != RG_OK)
		dir_message(d, rc, why, err, errlen);
	return rc;
}

/* ---- the handle ------------------------------------------------------- */

int rg_dir_open(struct rg_context *ctx, const char *location,
                struct rg_dir **out, char *err, size_t errlen)
{
	pthread_mutexattr_t attr;
	struct rg_dir *d;
	int rc;

	*out = NULL;
	if (!location || !*location) {
		rg_strlcpy(err, "no location", errlen);
		return RG_EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d || !(d->target = rg_strdup(location)) ||
	    !(d->location = rg_location_redact(location))) {
		if (d)
			free(d->target);
		free(d);
		rg_strlcpy(err, "out of memory", errlen);
		return RG_ENOMEM;
	}
	d->ctx = ctx;
	d->ops = rg_location_is_pg(location) ? &rg_store_pg : &rg_store_sqlite;
	d->busy_ms = ctx->busy_timeout_ms;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&d->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	rc = dir_attach_named(d, 0, err, errlen);
	/* A shared database that cannot be reached now may be soon (a
	 * replica started before its database): every use tries again,
	 * and until one succeeds there is no snapshot, so checks by user
	 * id deny and rg_directory_age_ms() says so. */
	if (rc == RG_EIO && d->ops->wait) {
		rg_log(ctx, RG_LOG_WARNING, "%s; trying again on every use",
		       err);
		rc = RG_OK;
	}
	if (rc != RG_OK) {
		rg_dir_close(d);
		return rc;
	}
	*out = d;
	return RG_OK;
}

void rg_dir_close(struct rg_dir *d)
{
	if (!d)
		return;
	if (d->store)
		d->ops->close(d->store);
	pthread_mutex_destroy(&d->lock);
	free(d->location);
	free(d->target);
	free(d);
}

/* Takes the mutex, waiting at most the busy timeout. */
static int dir_lock(struct rg_dir *d, char *err, size_t errlen)
{
	struct timespec until;
	int rc;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += d->busy_ms / MS_PER_S;
	until.tv_nsec += (d->busy_ms % MS_PER_S) * NS_PER_MS;
	if (until.tv_nsec >= NS_PER_S) {
		until.tv_sec++;
		until.tv_nsec -= NS_PER_S;
	}
	rc = pthread_mutex_timedlock(&d->lock, &until);
	if (rc == 0)
		return RG_OK;
	if (rc == ETIMEDOUT) {
		snprintf(err, errlen,
		         "directory %s is locked by another writer (a "
		         "transaction of this process)",
		         d->location);
		return RG_EBUSY;
	}
	snprintf(err, errlen, "directory %s: cannot lock: %s", d->location,
	         strerror(rc));
	return RG_EINTERNAL;
}

static void dir_unlock(struct rg_dir *d)
{
	pthread_mutex_unlock(&d->lock);
}

int rg_dir_version(struct rg_dir *d, uint64_t *out)
{
	char err[RG_MSG_MAX];
	int rc;

	*out = 0;
	rc = dir_lock(d, err, sizeof(err));
	if (rc != RG_OK)
		return rc;
	if (d->in_txn) {
		/* This thread is inside a transaction: nothing is committed
		 * yet, and the snapshot must not see it. */
		rc = RG_EBUSY;
		goto out;
	}
	rc = dir_attach(d, 0, err, sizeof(err));
	if (rc == RG_OK && d->store)
		rc = d->ops->version(d->store, out);
out:
	dir_unlock(d);
	return rc;
}

/* Locks d and opens a read transaction (see rg_dir_read_begin()). */
static int dir_read_begin(struct rg_dir *d, char *err, size_t errlen)
{
	long long n;
	int rc;

	rc = dir_lock(d, err, errlen);
	if (rc != RG_OK)
		return rc;
	rc = dir_attach_named(d, 0, err, errlen);
	/* Inside this thread's transaction, read what it wrote so far. */
	if (rc == RG_OK && d->store && !d->in_txn) {
		rc = d->ops->exec(d->store, SQL_READ_BEGIN, NULL, 0, NULL);
		if (rc == RG_OK)
			rc = d->ops->query(d->store, SQL_READ_START, NULL, 0,
			                   row_count, &n);
		if (rc != RG_OK) {
			store_message(d, d->store, rc, err, errlen);
			d->ops->rollback(d->store);
		}
	}
	if (rc != RG_OK)
		dir_unlock(d);
	return rc;
}

int rg_dir_read_begin(struct rg_context *ctx, struct rg_dir **out, char *err,
                      size_t errlen)
{
	int rc;

	*out = NULL;
	if (!ctx || !ctx->dir) {
		rg_strlcpy(err, "this context has no directory", errlen);
		return RG_ENOSYS;
	}
	rc = dir_read_begin(ctx->dir, err, errlen);
	if (rc == RG_OK)
		*out = ctx->dir;
	return rc;
}

void rg_dir_read_end(struct rg_dir *d)
{
	if (!d)
		return;
	if (d->store && !d->in_txn &&
	    d->ops->exec(d->store, SQL_READ_END, NULL, 0, NULL) != RG_OK)
		d->ops->rollback(d->store);
	dir_unlock(d);
}

int rg_dir_query(struct rg_dir *d, const char *sql, const rg_value *params,
                 size_t n, rg_row_fn fn, void *user, char *err, size_t errlen)
{
	int rc;

	if (!d->store)
		return RG_OK; /* no database yet: no rows */
	rc = d->ops->query(d->store, sql, params, n, fn, user);
	if (rc != RG_OK)
		store_message(d, d->store, rc, err, errlen);
	return rc;
}

/* ---- snapshots -------------------------------------------------------- */

/* What a snapshot reads of table, of every service or of service ?1. */
#define LOAD_STEP(table, columns, fn)                                          \
	{                                                                      \
		table, "SELECT " columns " FROM " table,                       \
		    "SELECT " columns " FROM " table " WHERE service = ?1", fn \
	}
/* A root of a tree kind (?2 of service ?1, its parent kept under ?3) has
 * its parent as a fact too: "" (plugin.h). */
static const char SQL_LOAD_ROOTS[] =
    "SELECT o.service, o.kind, o.name FROM org o WHERE o.service = ?1 AND "
    "o.kind = ?2 AND NOT EXISTS (SELECT 1 FROM org_attr a WHERE "
    "a.service = o.service AND a.kind = o.kind AND a.name = o.name AND "
    "a.key = ?3)";
static const char SQL_LOAD_STAMPS[] = "SELECT service, n FROM service_stamp";
/* The users step for one user (RG_OPEN_ONE_USER): id ?2 of service ?1. */
static const char SQL_LOAD_USER[] =
    "SELECT service, id, name, roles, attrs, members FROM users WHERE "
    "service = ?1 AND id = ?2";

/* Text of a column, or NULL. */
static const char *col_text(const rg_value *c)
{
	return c->type == RG_VAL_TEXT ? c->s : NULL;
}

/* A snapshot read in progress: the rows go to the engine's sink. */
struct load {
	const struct rg_dir_sink *sink;
	void *user;
	int stop;    /* the sink said to stop */
	int rc;      /* a failure of the store's own */
	char *buf;   /* a user's attributes and memberships, split in place */
	size_t cap;  /* of buf */
	char *names; /* the membership attributes' names ("departments") */
	size_t namecap;
	const char *root_key; /* the parent key of the roots being read */
};

/* Records the sink's answer: non-zero stops the read. */
static int load_sent(struct load *l, int stop)
{
	l->stop = l->stop || stop;
	return l->stop;
}

/*
 * Splits the pairs "key=value" of text (copied into l->buf at *used) into
 * attrs[*n...]; a membership's key becomes its kind's plural ("sites" of
 * kind "site"), the subject attribute plugins read.  RG_ELIMIT when they
 * do not fit.
 */
static int load_pairs(struct load *l, const char *text, int members,
                      size_t *used, size_t *nnames, rg_attr *attrs, size_t *n,
                      size_t max)
{
	char *p = l->buf + *used, *end;
	size_t len = strlen(text);

	memcpy(p, text, len + 1);
	*used += len + 1;
	while (*p) {
		char *eq;

		end = strchr(p, RG_DIR_PAIR_SEP);
		if (end)
			*end = '\0';
		eq = strchr(p, '=');
		if (!eq || *n >= max)
			return eq ? RG_ELIMIT : RG_EIO;
		*eq = '\0';
		attrs[*n].key = p;
		attrs[*n].value = eq + 1;
		if (members) {
			char *name = l->names + *nnames;
			size_t k = strlen(p);

			memcpy(name, p, k);
			memcpy(name + k, "s", 2);
			*nnames += k + 2;
			attrs[*n].key = name;
		}
		(*n)++;
		if (!end)
			break;
		p = end + 1;
	}
	return RG_OK;
}

/* Room in l for a user's two texts, split. */
static int load_room(struct load *l, const char *attrs, const char *members)
{
	size_t need = strlen(attrs) + strlen(members) + 2;
	size_t names = strlen(members) + (RG_USER_ATTR_MAX + 1) * 2 + 1;

	return RG_GROW(l->buf, l->cap, need) == RG_OK &&
	               RG_GROW(l->names, l->namecap, names) == RG_OK
	           ? RG_OK
	           : RG_ENOMEM;
}

/* A user with its attributes and roles.  Its attributes and memberships
 * are the users row's copies: one row per user. */
static int load_user(void *user, const rg_value *c, size_t n)
{
	struct load *l = user;
	const char *attrs = col_text(&c[4]), *members = col_text(&c[5]);
	rg_attr a[RG_USER_ATTR_MAX + 1]; /* one more: too many is refused */
	size_t na = 1, used = 0, nnames = 0;
	int rc;

	a[0].key = RG_USER_NAME;
	a[0].value = col_text(&c[2]);
	attrs = attrs ? attrs : "";
	members = members ? members : "";
	rc = load_room(l, attrs, members);
	if (rc == RG_OK)
		rc = load_pairs(l, attrs, 0, &used, &nnames, a, &na,
		                RG_NITEMS(a));
	if (rc == RG_OK)
		rc = load_pairs(l, members, 1, &used, &nnames, a, &na,
		                RG_NITEMS(a));
	/* Too many attributes are the engine's to refuse (RG_ELIMIT): it
	 * leaves the user out rather than decide on part of it. */
	if (rc != RG_OK && rc != RG_ELIMIT) {
		l->stop = 1;
		l->rc = rc;
		return 1;
	}
	return load_sent(
	    l, l->sink->user(l->user, c[0].s, c[1].s, a, na, col_text(&c[3])));
}

static int load_custom(void *user, const rg_value *c, size_t n)
{
	struct load *l = user;

	return load_sent(l, l->sink->custom_role(l->user, c[0].s, c[1].s));
}

static int load_grant(void *user, const rg_value *c, size_t n)
{
	struct load *l = user;

	return load_sent(l, l->sink->grant(l->user, c[0].s, c[1].s, c[2].s));
}

static int load_fact(struct load *l, const char *service, const char *kind,
                     const char *name, const char *attr, const char *value)
{
	return load_sent(
	    l, l->sink->fact(l->user, service, kind, name, attr, value));
}

/* Every entry exists as a fact: ("KIND", NAME, "name") = NAME. */
static int load_org(void *user, const rg_value *c, size_t n)
{
	return load_fact(user, c[0].s, c[1].s, c[2].s, RG_USER_NAME, c[2].s);
}

static int load_org_attr(void *user, const rg_value *c, size_t n)
{
	return load_fact(user, c[0].s, c[1].s, c[2].s, c[3].s, c[4].s);
}

static int load_root(void *user, const rg_value *c, size_t n)
{
	struct load *l = user;

	return load_fact(l, c[0].s, c[1].s, c[2].s, l->root_key, "");
}

static int load_setting(void *user, const rg_value *c, size_t n)
{
	return load_fact(user, c[0].s, "setting", c[1].s, "value", c[2].s);
}

/* Every query of a snapshot, in dependency order: custom roles before
 * the users who hold them. */
static const struct load_step {
	const char *table;
	const char *sql;    /* of every service */
	const char *sql_of; /* of one */
	rg_row_fn fn;
} load_steps[] = {
    LOAD_STEP("custom_role", "service, id", load_custom),
    LOAD_STEP("custom_grant", "service, role, privilege", load_grant),
    LOAD_STEP("users", "service, id, name, roles, attrs, members", load_user),
    LOAD_STEP("org", "service, kind, name", load_org),
    LOAD_STEP("org_attr", "service, kind, name, key, value", load_org_attr),
    LOAD_STEP("setting", "service, key, value", load_setting),
};

static int load_stamp(void *user, const rg_value *c, size_t n)
{
	struct load *l = user;

	if (n != 2 || c[0].type != RG_VAL_TEXT || c[1].type != RG_VAL_INT) {
		l->stop = 1;
		l->rc = RG_EIO;
		return 1;
	}
	return load_sent(l, l->sink->stamp(l->user, c[0].s, (uint64_t)c[1].i));
}

/*
 * Whether every table the steps read is one the stores stamp: a table
 * added to the steps but not to RG_STORE_STAMPED_TABLES would have its
 * changes missed, so then no service is ever shared (every reload reads
 * everything; the sharing tests fail and point here).
 */
static int steps_stamped(void)
{
#define STAMPED_NAME(t) t,
	static const char *const stamped[] = {
	    RG_STORE_STAMPED_TABLES(STAMPED_NAME) NULL};
#undef STAMPED_NAME
	size_t k, i;

	for (k = 0; k < RG_NITEMS(load_steps); k++) {
		for (i = 0;
		     stamped[i] && strcmp(stamped[i], load_steps[k].table); i++)
			;
		if (!stamped[i])
			return 0;
	}
	return 1;
}

/*
 * The stamps, to the sink, and which services it wants (want[i] for the
 * context's service i); *all when every one.  Every service when the
 * store keeps no stamps, or the sink does not ask.
 */
static int load_changed(struct rg_dir *d, struct load *l, unsigned char *want,
                        int *all, char *err, size_t errlen)
{
	const struct rg_context *ctx = d->ctx;
	long long exists = 0;
	size_t i;
	int rc = RG_OK;

	*all = 1;
	memset(want, 1, ctx->nservices);
	if (!l->sink->stamp || !l->sink->wants || !d->store || !steps_stamped())
		return RG_OK;
	rc = rg_dir_query(d, d->ops->stamps_exist, NULL, 0, row_count, &exists,
	                  err, errlen);
	if (rc == RG_OK && exists)
		rc = rg_dir_query(d, SQL_LOAD_STAMPS, NULL, 0, load_stamp, l,
		                  err, errlen);
	if (rc != RG_OK || !exists)
		return rc;
	for (i = 0; i < ctx->nservices && !l->stop; i++) {
		want[i] = l->sink->wants(l->user, ctx->services[i]->name) != 0;
		*all = *all && want[i];
	}
	return RG_OK;
}

/* load_changed(), but for the services whose rows the context does not
 * load at all (RG_OPEN_ONE_SERVICE): they stay empty. */
static int load_wanted(struct rg_dir *d, struct load *l, unsigned char *want,
                       int *all, char *err, size_t errlen)
{
	size_t i;
	int rc = load_changed(d, l, want, all, err, errlen);

	for (i = 0; rc == RG_OK && i < d->ctx->nservices; i++)
		if (!rg_dir_loads(d->ctx, i)) {
			want[i] = 0;
			*all = 0;
		}
	/* One user's row is read service by service (load_services()). */
	if (d->ctx->only_user)
		*all = 0;
	return rc;
}

/* Step k of service ?1: its users step reads ctx->only_user's row alone
 * when the context loads one user (RG_OPEN_ONE_USER). */
static int load_step(struct rg_dir *d, struct load *l, size_t k,
                     const char *service, char *err, size_t errlen)
{
	rg_value p[] = {RG_TEXT(service), RG_TEXT(d->ctx->only_user)};
	int one = d->ctx->only_user && load_steps[k].fn == load_user;

	return rg_dir_query(d, one ? SQL_LOAD_USER : load_steps[k].sql_of, p,
	                    one ? 2 : 1, load_steps[k].fn, l, err, errlen);
}

/* The rows of the services wanted: every table at once when all are. */
static int load_services(struct rg_dir *d, struct load *l,
                         const unsigned char *want, int all, char *err,
                         size_t errlen)
{
	const struct rg_context *ctx = d->ctx;
	size_t i, k;
	int rc = RG_OK;

	for (k = 0; all && k < RG_NITEMS(load_steps) && rc == RG_OK && !l->stop;
	     k++)
		rc = rg_dir_query(d, load_steps[k].sql, NULL, 0,
		                  load_steps[k].fn, l, err, errlen);
	for (i = 0; !all && i < ctx->nservices && rc == RG_OK; i++)
		for (k = 0; want[i] && k < RG_NITEMS(load_steps) &&
		            rc == RG_OK && !l->stop;
		     k++)
			rc = load_step(d, l, k, ctx->services[i]->name, err,
			               errlen);
	return rc;
}

/* The roots of every tree kind the services declare (the vocabulary says
 * which kinds are trees, and under which key their parent is kept). */
static int load_roots(struct rg_dir *d, struct load *l,
                      const unsigned char *want, char *err, size_t errlen)
{
	const struct rg_context *ctx = d->ctx;
	size_t i, k;
	int rc = RG_OK;

	for (i = 0; i < ctx->nservices && rc == RG_OK && !l->stop; i++) {
		const struct rg_service *svc = ctx->services[i];

		for (k = 0;
		     want[i] && k < svc->vocab.n && rc == RG_OK && !l->stop;
		     k++) {
			const struct rg_vocab_entry *e = &svc->vocab.v[k];
			rg_value p[] = {RG_TEXT(svc->name), RG_TEXT(e->name),
			                RG_TEXT(NULL)};

			if (e->what != RG_VOCAB_ORG_KIND ||
			    !rg_dir_kind_is_tree(e))
				continue;
			l->root_key = rg_dir_parent_key(e);
			p[2] = RG_TEXT(l->root_key);
			rc = rg_dir_query(d, SQL_LOAD_ROOTS, p, RG_COUNTOF(p),
			                  load_root, l, err, errlen);
		}
	}
	return rc;
}

int rg_dir_read_rows(struct rg_dir *d, const struct rg_dir_sink *sink,
                     void *user, uint64_t *version, char *err, size_t errlen)
{
	struct load l = {sink, user, 0, RG_OK, NULL, 0, NULL, 0, NULL};
	unsigned char *want = malloc(d->ctx->nservices + 1);
	int rc, all;

	*version = 0;
	if (!want) {
		rg_strlcpy(err, "out of memory", errlen);
		return RG_ENOMEM;
	}
	rc = dir_read_begin(d, err, errlen);
	if (rc != RG_OK) {
		free(want);
		return rc;
	}
	if (d->in_txn) {
		rg_strlcpy(err, "a transaction of this thread is open", errlen);
		rc = RG_EBUSY;
		goto out;
	}
	/* The version first, in the same read transaction as the data: a
	 * snapshot never claims a version newer than what it holds. */
	if (d->store) {
		rc = d->ops->version(d->store, version);
		if (rc != RG_OK) {
			store_message(d, d->store, rc, err, errlen);
			goto out;
		}
	}
	if (rc == RG_OK)
		rc = load_wanted(d, &l, want, &all, err, errlen);
	if (rc == RG_OK && !l.stop)
		rc = load_services(d, &l, want, all, err, errlen);
	if (rc == RG_OK && !l.stop)
		rc = load_roots(d, &l, want, err, errlen);
	if (rc == RG_OK && l.rc != RG_OK) {
		rc = l.rc;
		snprintf(err, errlen, "a user's attributes or a stamp: %s",
		         rc == RG_ENOMEM ? "out of memory"
		                         : "damaged (see directory verify)");
	} else if (rc == RG_OK && l.stop) {
		rg_strlcpy(err, "stopped by its reader", errlen);
		rc = RG_EINTERNAL;
	}
	free(l.buf);
	free(l.names);
out:
	rg_dir_read_end(d);
	free(want);
	return rc;
}

const char *rg_dir_location(const struct rg_dir *d)
{
	return d->location;
}

int rg_dir_wait(struct rg_dir *d, int wake_fd, long timeout_ms)
{
	/* Only the watching thread calls it, and a store's wait uses a
	 * connection of its own: no mutex, so that waiting never holds up
	 * a writer.  The store is attached once and stays. */
	struct pollfd wake = {.fd = wake_fd, .events = POLLIN, .revents = 0};
	rg_store *s;

	if (!d->ops->wait)
		return RG_ENOSYS;
	pthread_mutex_lock(&d->lock);
	s = d->store;
	pthread_mutex_unlock(&d->lock);
	if (s)
		return d->ops->wait(s, wake_fd, timeout_ms);
	/* Not reached or not created yet: try again soon. */
	if (timeout_ms > ATTACH_RETRY_MS)
		timeout_ms = ATTACH_RETRY_MS;
	if (poll(&wake, wake_fd >= 0 ? 1 : 0, (int)timeout_ms) < 0 &&
	    errno != EINTR)
		return RG_EIO;
	return 1;
}

/* What the engine calls (see struct rg_dir_ops): the one symbol of this
 * library's private version node. */
RG_EXTERN const struct rg_dir_ops rg_directory_ops = {
    RG_DIR_OPS_BUILD, rg_dir_open,     rg_dir_close, rg_dir_version,
    rg_dir_read_rows, rg_dir_location, rg_dir_wait,
};

/* ---- transactions ----------------------------------------------------- */

int rg_dir_txn_begin(struct rg_context *ctx, const struct rg_service *svc,
                     const char *actor, const char *command, rg_txn **out,
                     char *err, size_t errlen)
{
	struct rg_dir *d = ctx->dir;
	rg_txn *txn;
	int rc;

	if (!d) {
		snprintf(err, errlen,
		         "this context has no directory (%s could not be "
		         "opened)",
		         ctx->directory ? ctx->directory : "none configured");
		return RG_ENOSYS;
	}
	txn = calloc(1, sizeof(*txn));
	if (!txn || !(txn->actor = rg_strdup(actor ? actor : "unknown")) ||
	    !(txn->command = rg_strdup(command ? command : ""))) {
		if (txn)
			free(txn->actor);
		free(txn);
		rg_strlcpy(err, "out of memory", errlen);
		return RG_ENOMEM;
	}
	txn->ctx = ctx;
	txn->dir = d;
	txn->svc = svc;
	rc = dir_lock(d, err, errlen);
	if (rc != RG_OK)
		goto fail;
	if (d->in_txn) {
		snprintf(err, errlen,
		         "directory %s: this thread already has a transaction "
		         "open",
		         d->location);
		rc = RG_EBUSY;
		goto unlock;
	}
	rc = dir_attach_named(d, 1, err, errlen);
	if (rc != RG_OK)
		goto unlock;
	rc = d->ops->begin(d->store);
	if (rc != RG_OK) {
		store_message(d, d->store, rc, err, errlen);
		goto unlock;
	}
	d->in_txn = 1;
	*out = txn;
	return RG_OK;
unlock:
	dir_unlock(d);
fail:
	free(txn->actor);
	free(txn->command);
	free(txn);
	return rc;
}

int rg_txn_begin(rg_context *ctx, const char *service, const char *actor,
                 const char *command, rg_txn **out, char *errbuf, size_t errlen)
{
	char scratch[RG_MSG_MAX];
	const rg_service *svc;

	if (!errbuf) {
		errbuf = scratch;
		errlen = sizeof(scratch);
	}
	if (errlen)
		errbuf[0] = '\0';
	if (!out) {
		rg_strlcpy(errbuf, "no transaction pointer", errlen);
		return RG_EINVAL;
	}
	*out = NULL;
	if (!ctx || !service) {
		rg_strlcpy(errbuf, "no context or service", errlen);
		return RG_EINVAL;
	}
	svc = rg_service_find(ctx, service);
	if (!svc) {
		snprintf(errbuf, errlen, "unknown service '%.*s'", RG_ID_MAX,
		         service);
		return RG_ENOSERVICE;
	}
	return rg_dir_txn_begin(ctx, svc, actor, command, out, errbuf, errlen);
}

static void txn_free(rg_txn *txn)
{
	size_t i;

	for (i = 0; i < txn->nwarnings; i++)
		free(txn->warnings[i]);
	free(txn->warnings);
	free(txn->actor);
	free(txn->command);
	free(txn);
}

/* Ends the store transaction and releases the directory. */
static void txn_release(rg_txn *txn)
{
	txn->dir->in_txn = 0;
	dir_unlock(txn->dir);
}

int rg_txn_commit(rg_txn *txn)
{
	struct rg_context *ctx;
	struct rg_dir *d;
	int rc, committed = 0;

	if (!txn)
		return RG_EINVAL;
	d = txn->dir;
	ctx = txn->ctx;
	rc = txn->status;
	if (rc != RG_OK || txn->nops == 0) {
		/* Failed: nothing of it stays.  Empty: nothing to write. */
		d->ops->rollback(d->store);
	} else {
		rc = d->ops->commit(d->store);
		if (rc != RG_OK) {
			char msg[RG_MSG_MAX];
			store_message(d, d->store, rc, msg, sizeof(msg));
			rg_log(ctx, RG_LOG_ERR, "%s: not committed: %s",
			       txn->command, msg);
			d->ops->rollback(d->store);
		}
		committed = rc == RG_OK;
	}
	txn_release(txn);
	txn_free(txn);
	/* Checks see the change at once, not at the next refresh. */
	if (committed)
		rg_directory_refresh(ctx);
	return rc;
}

void rg_txn_abort(rg_txn *txn)
{
	if (!txn)
		return;
	txn->dir->ops->rollback(txn->dir->store);
	txn_release(txn);
	txn_free(txn);
}

const char *rg_txn_error(const rg_txn *txn)
{
	return txn ? txn->error : "";
}

size_t rg_txn_warning_count(const rg_txn *txn)
{
	return txn ? txn->nwarnings : 0;
}

const char *rg_txn_warning(const rg_txn *txn, size_t i)
{
	return txn && i < txn->nwarnings ? txn->warnings[i] : NULL;
}

int rg_txn_fail(rg_txn *txn, int status, const char *fmt, ...)
{
	va_list ap;

	/* The first failure is the one to report. */
	if (txn->status != RG_OK)
		return txn->status;
	txn->status = status;
	va_start(ap, fmt);
	vsnprintf(txn->error, sizeof(txn->error), fmt, ap);
	va_end(ap);
	return status;
}

static int txn_warn(rg_txn *txn, const char *fmt, ...) RG_PRINTF(2, 3);

static int txn_warn(rg_txn *txn, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || rg_ptr_push((void ***)&txn->warnings, &txn->nwarnings,
	                         &txn->capwarnings, msg) != RG_OK) {
		free(n < 0 ? NULL : msg);
		return rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	}
	rg_log(txn->ctx, RG_LOG_WARNING, "%s", msg);
	return RG_OK;
}

static int txn_store_fail(rg_txn *txn, int rc)
{
	char msg[RG_MSG_MAX];

	store_message(txn->dir, txn->dir->store, rc, msg, sizeof(msg));
	return rg_txn_fail(txn, rc, "%s", msg);
}

int rg_txn_exec(rg_txn *txn, const char *sql, const rg_value *params, size_t n,
                long long *changes)
{
	struct rg_dir *d = txn->dir;
	int rc = d->ops->exec(d->store, sql, params, n, changes);

	return rc == RG_OK ? RG_OK : txn_store_fail(txn, rc);
}

int rg_txn_query(rg_txn *txn, const char *sql, const rg_value *params, size_t n,
                 rg_row_fn fn, void *user)
{
	struct rg_dir *d = txn->dir;
	int rc = d->ops->query(d->store, sql, params, n, fn, user);

	return rc == RG_OK ? RG_OK : txn_store_fail(txn, rc);
}

static const char SQL_AUDIT_INSERT[] =
    "INSERT INTO audit (at, actor, command, service, user_id, what, "
    "before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static char *json_text(json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY)
	         : rg_strdup("null");
}

int rg_txn_audit(rg_txn *txn, const char *user, const char *what,
                 json_t *before, json_t *after)
{
	char at[sizeof("YYYY-MM-DDTHH:MM:SS.mmmZ") + DECIMAL_MAX];
	char *b = json_text(before), *a = json_text(after);
	int rc;

	json_decref(before);
	json_decref(after);
	if (!b || !a) {
		rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	} else {
		rg_value p[] = {RG_TEXT(at),
		                RG_TEXT(txn->actor),
		                RG_TEXT(txn->command),
		                RG_TEXT(txn->svc->name),
		                RG_TEXT(user ? user : ""),
		                RG_TEXT(what),
		                RG_TEXT(b),
		                RG_TEXT(a)};
		rg_dir_now(at, sizeof(at));
		rc = rg_txn_exec(txn, SQL_AUDIT_INSERT, p, RG_NITEMS(p), NULL);
	}
	free(b);
	free(a);
	if (rc == RG_OK)
		txn->nops++;
	return rc;
}

json_t *rg_dir_audit_entry(rg_txn *txn, const char *kind, const char *name)
{
	int custom = strcmp(kind, "custom-role") == 0;
	json_t *e = rg_dir_entry_json(txn, kind, name);

	if (e && !custom)
		json_object_set_new(e, "kind", json_string(kind));
	return e ? e
	         : (custom
	                ? json_pack("{s:s}", "id", name)
	                : json_pack("{s:s, s:s}", "kind", kind, "name", name));
}

/* ---- operations: common checks ---------------------------------------- */

int rg_dir_txn_usable(rg_txn *txn)
{
	if (!txn)
		return RG_EINVAL;
	return txn->status;
}

int rg_dir_count(rg_txn *txn, const char *sql, const rg_value *p, size_t n,
                 long long *out)
{
	*out = 0;
	return rg_txn_query(txn, sql, p, n, row_count, out);
}

/* count(*) of sql with (service[, a[, b]]): as many as are not NULL. */
static int count_of(rg_txn *txn, const char *sql, const char *a, const char *b,
                    long long *out)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(a), RG_TEXT(b)};

	return rg_dir_count(txn, sql, p, b ? 3 : (a ? 2 : 1), out);
}

int rg_dir_text(rg_txn *txn, const char *sql, const rg_value *p, size_t n,
                char **out, int *found)
{
	struct text_cell c = {0};
	int rc;

	*out = NULL;
	rc = rg_txn_query(txn, sql, p, n, row_text, &c);
	if (rc == RG_OK && c.nomem)
		rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	if (rc != RG_OK) {
		free(c.s);
		return rc;
	}
	*out = c.s;
	if (found)
		*found = c.found;
	return RG_OK;
}

/* The text of sql with (service, a): *found 0 when there is no row. */
static int text_of(rg_txn *txn, const char *sql, const char *a, char **out,
                   int *found)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(a)};

	return rg_dir_text(txn, sql, p, RG_NITEMS(p), out, found);
}

/* Runs sql with (service, a[, b[, c]]) and counts the operation. */
static int change(rg_txn *txn, const char *sql, const char *a, const char *b,
                  const char *c, size_t n)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(a), RG_TEXT(b),
	                RG_TEXT(c)};

	return rg_txn_exec(txn, sql, p, n + 1, NULL);
}

static const char SQL_USER_EXISTS[] =
    "SELECT count(*) FROM users WHERE service = ?1 AND id = ?2";

int rg_dir_need_user(rg_txn *txn, const char *user)
{
	long long n;
	int rc;

	if (!user)
		return rg_txn_fail(txn, RG_EINVAL, "no user given");
	rc = count_of(txn, SQL_USER_EXISTS, user, NULL, &n);
	if (rc == RG_OK && n == 0)
		rc = rg_txn_fail(txn, RG_ENOUSER,
		                 "unknown user '%.*s' in service '%s'",
		                 RG_ID_MAX, user, txn->svc->name);
	return rc;
}

/* ---- users ------------------------------------------------------------ */

static const char SQL_USER_INSERT[] =
    "INSERT INTO users (service, id, name) VALUES (?1, ?2, ?3)";
static const char SQL_USER_DELETE[] =
    "DELETE FROM users WHERE service = ?1 AND id = ?2";

int rg_user_add(rg_txn *txn, const char *id, const char *name)
{
	long long n;
	int rc = rg_dir_txn_usable(txn);

	if (rc != RG_OK)
		return rc;
	if (!rg_dir_user_id_valid(id))
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid user id '%.*s': 1 to %d bytes "
		                   "without blanks, commas or control "
		                   "characters",
		                   RG_ID_MAX, id ? id : "", RG_ID_MAX - 1);
	if (!name)
		name = id;
	if (!rg_dir_text_valid(name, RG_DIR_NAME_MAX, 0))
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid name for user '%s': 1 to %d bytes "
		                   "of text without control characters",
		                   id, RG_DIR_NAME_MAX - 1);
	rc = count_of(txn, SQL_USER_EXISTS, id, NULL, &n);
	if (rc == RG_OK && n)
		rc = rg_txn_fail(txn, RG_EEXIST,
		                 "user '%s' already exists in service '%s'", id,
		                 txn->svc->name);
	if (rc == RG_OK)
		rc = change(txn, SQL_USER_INSERT, id, name, NULL, 2);
	if (rc == RG_OK)
		rc = rg_txn_audit(
		    txn, id, "user.add", NULL,
		    json_pack("{s:s, s:s}", "id", id, "name", name));
	return rc;
}

/* Pairs as a JSON object of strings, or NULL. */
static json_t *pairs_json(const struct rg_dir_pairs *p)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < p->n; i++)
		if (json_object_set_new(o, p->keys[i],
		                        json_string(p->values[i]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* A user's record as JSON (for the audit trail), or NULL: its id, name,
 * roles (comma-separated), attributes and memberships (per kind,
 * comma-separated). */
static json_t *user_json(rg_txn *txn, const char *id)
{
	struct rg_dir_users us = {0};
	struct rg_dir_user *u;
	char err[RG_MSG_MAX];
	json_t *j = NULL;

	if (rg_dir_users_read(txn->dir, txn->svc->name, id, &us, err,
	                      sizeof(err)) != RG_OK ||
	    us.n != 1)
		goto out;
	u = &us.v[0];
	j = json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", u->id, "name", u->name,
	              "roles", u->roles.s, "attrs", pairs_json(&u->attrs),
	              "members", pairs_json(&u->members));
out:
	rg_dir_users_free(&us);
	return j;
}

int rg_user_remove(rg_txn *txn, const char *id)
{
	json_t *before;
	int rc = rg_dir_txn_usable(txn);

	if (rc == RG_OK)
		rc = rg_dir_need_user(txn, id);
	if (rc != RG_OK)
		return rc;
	before = user_json(txn, id);
	if (!before)
		return rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	/* Assignments and memberships go with it (ON DELETE CASCADE). */
	rc = change(txn, SQL_USER_DELETE, id, NULL, NULL, 1);
	if (rc == RG_OK)
		return rg_txn_audit(txn, id, "user.remove", before, NULL);
	json_decref(before);
	return rc;
}

static const char SQL_USER_NAME_GET[] =
    "SELECT name FROM users WHERE service = ?1 AND id = ?2";
static const char SQL_USER_NAME_SET[] =
    "UPDATE users SET name = ?3 WHERE service = ?1 AND id = ?2";
static const char SQL_USER_ATTR_GET[] =
    "SELECT value FROM user_attr WHERE service = ?1 AND user_id = ?2 AND "
    "key = ?3";
static const char SQL_USER_ATTR_PUT[] =
    "INSERT INTO user_attr (service, user_id, key, value) VALUES "
    "(?1, ?2, ?3, ?4) ON CONFLICT (service, user_id, key) DO UPDATE SET "
    "value = excluded.value";
static const char SQL_USER_ATTR_DELETE[] =
    "DELETE FROM user_attr WHERE service = ?1 AND user_id = ?2 AND key = ?3";

/* Reads attribute attr of user id (*old, allocated, NULL when unset) and
 * sets it to value (NULL: unset), keeping the user's copy in step. */
static int user_attr_swap(rg_txn *txn, const char *id, const char *attr,
                          const char *value, char **old)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(id), RG_TEXT(attr),
	                RG_TEXT(value)};
	struct text_cell c = {0};
	int name = strcmp(attr, RG_USER_NAME) == 0;
	int rc;

	if (name) {
		p[2] = RG_TEXT(value);
		rc = rg_txn_query(txn, SQL_USER_NAME_GET, p, 2, row_text, &c);
	} else {
		rc = rg_txn_query(txn, SQL_USER_ATTR_GET, p, 3, row_text, &c);
	}
	if (rc == RG_OK && c.nomem)
		rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	*old = c.s;
	if (rc != RG_OK)
		return rc;
	if (name)
		return rg_txn_exec(txn, SQL_USER_NAME_SET, p, 3, NULL);
	rc = rg_txn_exec(txn, value ? SQL_USER_ATTR_PUT : SQL_USER_ATTR_DELETE,
	                 p, value ? 4 : 3, NULL);
	return rc == RG_OK ? rg_dir_user_sync(txn, id) : rc;
}

/* Validates a user attribute's new value (NULL clears, except name)
 * through its declaration; *stored gets the text to store. */
static int user_value_check(rg_txn *txn, const char *id,
                            const struct rg_vocab_entry *a, const char *value,
                            char *buf, size_t len, const char **stored)
{
	char msg[RG_MSG_MAX];

	*stored = value;
	if (!a) {
		if (value && !rg_dir_text_valid(value, RG_DIR_NAME_MAX, 0))
			return rg_txn_fail(txn, RG_EINVAL,
			                   "invalid name for user '%s': 1 to "
			                   "%d bytes of text",
			                   id, RG_DIR_NAME_MAX - 1);
		return RG_OK;
	}
	if (!value)
		return RG_OK;
	if (rg_dir_value_check(a, value, buf, len, stored, msg, sizeof(msg)) !=
	    RG_OK)
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid %s '%.*s' for user '%s': %s",
		                   a->name, RG_ID_MAX, value, id, msg);
	if (a->type == RG_ATTR_REF)
		return rg_dir_need_org(txn, rg_dir_kind(txn->svc, a->ref),
		                       value);
	return RG_OK;
}

/* The txn fails naming the attributes the service's users have. */
static int user_attr_unknown(rg_txn *txn, const char *attr)
{
	char names[RG_MSG_MAX];

	/* The name is the core's own: it leads the list. */
	rg_dir_vocab_names(txn->svc, RG_VOCAB_USER_ATTR, NULL, RG_USER_NAME,
	                   names, sizeof(names));
	return rg_txn_fail(txn, RG_EINVAL,
	                   "unknown user attribute '%.*s': expected %s",
	                   RG_ID_MAX, attr ? attr : "(none)", names);
}

int rg_user_set(rg_txn *txn, const char *id, const char *attr,
                const char *value)
{
	const struct rg_vocab_entry *a = NULL;
	const char *stored = NULL;
	char *old = NULL, buf[DECIMAL_MAX];
	int rc = rg_dir_txn_usable(txn), name;

	if (rc != RG_OK)
		return rc;
	name = attr && strcmp(attr, RG_USER_NAME) == 0;
	if (!name)
		a = rg_vocab_lookup(&txn->svc->vocab, RG_VOCAB_USER_ATTR, NULL,
		                    attr);
	if (!name && !a)
		return user_attr_unknown(txn, attr);
	rc = rg_dir_need_user(txn, id);
	if (rc == RG_OK)
		rc = user_value_check(txn, id, a, value, buf, sizeof(buf),
		                      &stored);
	/* Clearing the display name makes it the id again. */
	if (rc == RG_OK && !value && name)
		stored = id;
	if (rc == RG_OK)
		rc = user_attr_swap(txn, id, name ? RG_USER_NAME : a->name,
		                    stored, &old);
	if (rc == RG_OK)
		rc = rg_txn_audit(txn, id, "user.set",
		                  json_pack("{s:s?}", attr, old),
		                  json_pack("{s:s?}", attr, stored));
	free(old);
	return rc;
}

/* ---- role assignments ------------------------------------------------- */

static const char SQL_ASSIGN_EXISTS[] =
    "SELECT count(*) FROM assignment WHERE service = ?1 AND user_id = ?2 "
    "AND role = ?3";
static const char SQL_ASSIGN_INSERT[] =
    "INSERT INTO assignment (service, user_id, role) VALUES (?1, ?2, ?3)";
static const char SQL_ASSIGN_DELETE[] =
    "DELETE FROM assignment WHERE service = ?1 AND user_id = ?2 AND "
    "role = ?3";
static const char SQL_USER_ROLES[] =
    "SELECT role FROM assignment WHERE service = ?1 AND user_id = ?2 "
    "ORDER BY role";
static const char SQL_CUSTOM_EXISTS[] =
    "SELECT count(*) FROM custom_role WHERE service = ?1 AND id = ?2";

struct role_rows {
	char **ids;
	size_t n, cap;
	int nomem;
};

static int row_collect(void *user, const rg_value *cols, size_t n)
{
	struct role_rows *r = user;
	char *s = rg_strdup(cols[0].s);

	if (!s || rg_ptr_push((void ***)&r->ids, &r->n, &r->cap, s) != RG_OK) {
		free(s);
		r->nomem = 1;
		return 1;
	}
	return 0;
}

static void rows_free(struct role_rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->ids[i]);
	free(r->ids);
}

/* ---- the users' copies of their rows ----------------------------------- */

static int pair_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(x[0], y[0]);
}

char *rg_dir_pairs_join(const char *const *keys, const char *const *values,
                        size_t n)
{
	const char **pairs = calloc(n ? 2 * n : 1, sizeof(*pairs));
	size_t i, m = 0, len = 0;
	char *s = NULL, *p;

	if (!pairs)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!values[i])
			continue;
		pairs[2 * m] = keys[i];
		pairs[2 * m + 1] = values[i];
		len += strlen(keys[i]) + strlen(values[i]) + 2;
		m++;
	}
	qsort(pairs, m, 2 * sizeof(*pairs), pair_cmp);
	s = malloc(len + 1);
	for (p = s, i = 0; s && i < m; i++) {
		size_t k = strlen(pairs[2 * i]), v = strlen(pairs[2 * i + 1]);

		if (i)
			*p++ = RG_DIR_PAIR_SEP;
		memcpy(p, pairs[2 * i], k);
		p[k] = '=';
		memcpy(p + k + 1, pairs[2 * i + 1], v);
		p += k + 1 + v;
	}
	if (s)
		*p = '\0';
	free(pairs);
	return s;
}

int rg_dir_pairs_split(const char *text, struct rg_dir_pairs *out)
{
	size_t n = 1, i;
	char *p;

	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return RG_OK;
	for (p = strchr(text, RG_DIR_PAIR_SEP); p;
	     p = strchr(p + 1, RG_DIR_PAIR_SEP))
		n++;
	out->buf = rg_strdup(text);
	out->keys = calloc(n, sizeof(*out->keys));
	out->values = calloc(n, sizeof(*out->values));
	if (!out->buf || !out->keys || !out->values) {
		rg_dir_pairs_free(out);
		return RG_ENOMEM;
	}
	for (p = out->buf, i = 0; p && i < n; i++) {
		char *end = strchr(p, RG_DIR_PAIR_SEP), *eq;

		if (end)
			*end = '\0';
		eq = strchr(p, '=');
		/* A pair without '=' is damage verify reports: left out. */
		if (eq) {
			*eq = '\0';
			out->keys[out->n] = p;
			out->values[out->n++] = eq + 1;
		}
		p = end ? end + 1 : NULL;
	}
	return RG_OK;
}

void rg_dir_pairs_free(struct rg_dir_pairs *p)
{
	free(p->buf);
	free(p->keys);
	free(p->values);
	memset(p, 0, sizeof(*p));
}

const char *rg_dir_pairs_find(const char *const *keys,
                              const char *const *values, size_t n,
                              const char *key)
{
	size_t i;

	for (i = 0; key && i < n; i++)
		if (strcmp(keys[i], key) == 0)
			return values[i];
	return NULL;
}

const char *rg_user_info_attr(const rg_user_info *u, const char *key)
{
	return u ? rg_dir_pairs_find(u->attr_keys, u->attr_values, u->nattrs,
	                             key)
	         : NULL;
}

const char *rg_user_info_members(const rg_user_info *u, const char *kind)
{
	const char *v = u ? rg_dir_pairs_find(u->member_kinds, u->member_names,
	                                      u->nmembers, kind)
	                  : NULL;

	return v ? v : "";
}

const char *rg_org_info_attr(const rg_org_info *o, const char *key)
{
	return o ? rg_dir_pairs_find(o->attr_keys, o->attr_values, o->nattrs,
	                             key)
	         : NULL;
}

/* Rows (key, value) collected in order. */
struct pair_rows {
	struct role_rows keys, values;
};

static int row_pair(void *user, const rg_value *cols, size_t n)
{
	struct pair_rows *r = user;

	return row_collect(&r->keys, cols, 1) ||
	       row_collect(&r->values, cols + 1, 1);
}

/* Joins rows with commas; "" when there is none.  Allocated. */
static char *rows_join(char *const *ids, size_t n)
{
	size_t i, len = 0;
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(ids[i]) + 1;
	s = calloc(1, len + 1);
	for (i = 0; s && i < n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, ids[i]);
	}
	return s;
}

static const char SQL_USER_ATTRS[] =
    "SELECT key, value FROM user_attr WHERE service = ?1 AND user_id = ?2 "
    "ORDER BY key";
static const char SQL_USER_MEMBERS[] =
    "SELECT kind, name FROM member WHERE service = ?1 AND user_id = ?2 "
    "ORDER BY kind, name";
static const char SQL_USER_COPIES[] =
    "UPDATE users SET roles = ?3, attrs = ?4, members = ?5 WHERE "
    "service = ?1 AND id = ?2";

/* users.members of the rows (kind, name), sorted by kind then name:
 * "kind=a,b" per kind.  Allocated. */
static char *members_join(const struct pair_rows *m)
{
	const char **kinds = calloc(m->keys.n + 1, sizeof(*kinds));
	char **lists = calloc(m->keys.n + 1, sizeof(*lists));
	size_t i, first, nk = 0;
	char *s = NULL;

	if (!kinds || !lists)
		goto out;
	for (first = 0; first < m->keys.n; first = i) {
		for (i = first; i < m->keys.n &&
		                strcmp(m->keys.ids[i], m->keys.ids[first]) == 0;
		     i++)
			;
		kinds[nk] = m->keys.ids[first];
		lists[nk] = rows_join(m->values.ids + first, i - first);
		if (!lists[nk++])
			goto out;
	}
	s = rg_dir_pairs_join(kinds, (const char *const *)lists, nk);
out:
	for (i = 0; lists && i < nk; i++)
		free(lists[i]);
	free(lists);
	free(kinds);
	return s;
}

int rg_dir_user_sync(rg_txn *txn, const char *user)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(user), RG_TEXT(NULL),
	                RG_TEXT(NULL), RG_TEXT(NULL)};
	struct role_rows roles = {0};
	struct pair_rows attrs = {{0}, {0}}, members = {{0}, {0}};
	char *r = NULL, *a = NULL, *m = NULL;
	int rc;

	rc = rg_txn_query(txn, SQL_USER_ROLES, p, 2, row_collect, &roles);
	if (rc == RG_OK)
		rc = rg_txn_query(txn, SQL_USER_ATTRS, p, 2, row_pair, &attrs);
	if (rc == RG_OK)
		rc = rg_txn_query(txn, SQL_USER_MEMBERS, p, 2, row_pair,
		                  &members);
	if (rc == RG_OK &&
	    (roles.nomem || attrs.keys.nomem || attrs.values.nomem ||
	     members.keys.nomem || members.values.nomem ||
	     !(r = rows_join(roles.ids, roles.n)) ||
	     !(a = rg_dir_pairs_join((const char *const *)attrs.keys.ids,
	                             (const char *const *)attrs.values.ids,
	                             attrs.keys.n)) ||
	     !(m = members_join(&members))))
		rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	if (rc == RG_OK) {
		p[2] = RG_TEXT(r);
		p[3] = RG_TEXT(a);
		p[4] = RG_TEXT(m);
		rc = rg_txn_exec(txn, SQL_USER_COPIES, p, RG_NITEMS(p), NULL);
	}
	free(r);
	free(a);
	free(m);
	rows_free(&roles);
	rows_free(&attrs.keys);
	rows_free(&attrs.values);
	rows_free(&members.keys);
	rows_free(&members.values);
	return rc;
}

/* 1 when role is declared by the service's plugins or a custom role. */
static int role_known(rg_txn *txn, const char *role, int *known)
{
	long long n = 0;
	int rc = RG_OK;

	*known = rg_role_find(txn->svc, role) >= 0;
	if (!*known) {
		rc = count_of(txn, SQL_CUSTOM_EXISTS, role, NULL, &n);
		*known = n > 0;
	}
	return rc;
}

static int holds(rg_txn *txn, const char *user, const char *role, int *yes)
{
	long long n;
	int rc = count_of(txn, SQL_ASSIGN_EXISTS, user, role, &n);

	*yes = n > 0;
	return rc;
}

/* Reports the prerequisites of role that user lacks: warnings, or with
 * RG_ASSIGN_STRICT a refusal naming the first. */
static int check_prereqs(rg_txn *txn, const char *user, const char *role,
                         unsigned flags)
{
	long r = rg_role_find(txn->svc, role);
	const char *pre;
	size_t j;
	int rc = RG_OK, held;

	if (r < 0)
		return RG_OK; /* custom roles have no prerequisites */
	for (j = 0; rc == RG_OK &&
	            (pre = rg_role_prereq(txn->svc, (size_t)r, j)) != NULL;
	     j++) {
		rc = holds(txn, user, pre, &held);
		if (rc != RG_OK || held)
			continue;
		if (flags & RG_ASSIGN_STRICT)
			return rg_txn_fail(txn, RG_EREFUSED,
			                   "%s lacks %s, required by %s "
			                   "(strict assignment)",
			                   user, pre, role);
		rc = txn_warn(txn, "%s lacks %s, required by %s", user, pre,
		              role);
	}
	return rc;
}

int rg_role_assign(rg_txn *txn, const char *user, const char *role,
                   unsigned flags)
{
	int rc = rg_dir_txn_usable(txn), known, held;

	if (rc == RG_OK)
		rc = rg_dir_need_user(txn, user);
	if (rc != RG_OK)
		return rc;
	if (!role || !rg_id_valid(role))
		return rg_txn_fail(txn, RG_ENOROLE, "invalid role id '%.*s'",
		                   RG_ID_MAX, role ? role : "");
	rc = role_known(txn, role, &known);
	if (rc == RG_OK && !known)
		rc = rg_txn_fail(txn, RG_ENOROLE,
		                 "unknown role '%s' in service '%s'", role,
		                 txn->svc->name);
	if (rc == RG_OK)
		rc = holds(txn, user, role, &held);
	if (rc == RG_OK && held)
		rc = rg_txn_fail(txn, RG_EEXIST, "%s already holds %s", user,
		                 role);
	if (rc == RG_OK)
		rc = check_prereqs(txn, user, role, flags);
	if (rc == RG_OK)
		rc = change(txn, SQL_ASSIGN_INSERT, user, role, NULL, 2);
	if (rc == RG_OK)
		rc = rg_dir_user_sync(txn, user);
	if (rc == RG_OK)
		rc = rg_txn_audit(txn, user, "assign", NULL,
		                  json_pack("{s:s}", "role", role));
	return rc;
}

/* Warns about roles user keeps that need the role just removed. */
static int warn_dependents(rg_txn *txn, const char *user, const char *role)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(user)};
	struct role_rows rows = {0};
	const char *pre;
	size_t i, j;
	int rc;

	rc = rg_txn_query(txn, SQL_USER_ROLES, p, RG_NITEMS(p), row_collect,
	                  &rows);
	if (rc == RG_OK && rows.nomem)
		rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	for (i = 0; rc == RG_OK && i < rows.n; i++) {
		long r = rg_role_find(txn->svc, rows.ids[i]);
		for (j = 0; r >= 0 && rc == RG_OK &&
		            (pre = rg_role_prereq(txn->svc, (size_t)r, j));
		     j++)
			if (strcmp(pre, role) == 0)
				rc = txn_warn(txn,
				              "%s still holds %s, which "
				              "requires %s",
				              user, rows.ids[i], role);
	}
	rows_free(&rows);
	return rc;
}

int rg_role_unassign(rg_txn *txn, const char *user, const char *role)
{
	int rc = rg_dir_txn_usable(txn), held = 0, known;

	if (rc == RG_OK)
		rc = rg_dir_need_user(txn, user);
	if (rc == RG_OK && !role)
		rc = rg_txn_fail(txn, RG_ENOROLE, "no role given");
	if (rc == RG_OK)
		rc = holds(txn, user, role, &held);
	if (rc == RG_OK && !held) {
		/* An unknown role is the likelier mistake: say so. */
		rc = role_known(txn, role, &known);
		if (rc == RG_OK && !known)
			return rg_txn_fail(txn, RG_ENOROLE,
			                   "unknown role '%.*s' in service "
			                   "'%s'",
			                   RG_ID_MAX, role, txn->svc->name);
		if (rc == RG_OK)
			return rg_txn_fail(txn, RG_ENOENT,
			                   "%s does not hold %s", user, role);
	}
	if (rc == RG_OK)
		rc = change(txn, SQL_ASSIGN_DELETE, user, role, NULL, 2);
	if (rc == RG_OK)
		rc = rg_dir_user_sync(txn, user);
	if (rc == RG_OK)
		rc = warn_dependents(txn, user, role);
	if (rc == RG_OK)
		rc = rg_txn_audit(txn, user, "unassign",
		                  json_pack("{s:s}", "role", role), NULL);
	return rc;
}

/* ---- settings --------------------------------------------------------- */

static const char SQL_SETTING_GET[] =
    "SELECT value FROM setting WHERE service = ?1 AND key = ?2";
static const char SQL_SETTING_PUT[] =
    "INSERT INTO setting (service, key, value) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (service, key) DO UPDATE SET value = excluded.value";
static const char SQL_SETTING_DELETE[] =
    "DELETE FROM setting WHERE service = ?1 AND key = ?2";

int rg_setting_set(rg_txn *txn, const char *key, const char *value)
{
	char msg[RG_MSG_MAX];
	char *old = NULL;
	int rc = rg_dir_txn_usable(txn);

	if (rc != RG_OK)
		return rc;
	if (!key || !rg_id_valid(key))
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid setting name '%.*s'", RG_ID_MAX,
		                   key ? key : "");
	if (value && !rg_dir_text_valid(value, RG_DIR_TEXT_MAX, 1))
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid value for setting '%s': at most "
		                   "%d bytes of text",
		                   key, RG_DIR_TEXT_MAX - 1);
	if (rg_dir_declared_check(txn->svc, RG_VOCAB_SETTING, NULL, key, value,
	                          msg, sizeof(msg)) != RG_OK)
		return rg_txn_fail(txn, RG_EINVAL, "invalid setting %s: %s",
		                   key, msg);
	rc = text_of(txn, SQL_SETTING_GET, key, &old, NULL);
	if (rc == RG_OK)
		rc = change(txn, value ? SQL_SETTING_PUT : SQL_SETTING_DELETE,
		            key, value, NULL, value ? 2 : 1);
	if (rc == RG_OK)
		rc = rg_txn_audit(
		    txn, NULL, "setting.set",
		    json_pack("{s:s, s:s?}", "key", key, "value", old),
		    json_pack("{s:s, s:s?}", "key", key, "value", value));
	free(old);
	return rc;
}

/* ---- custom roles ----------------------------------------------------- */

static const char SQL_CUSTOM_INSERT[] =
    "INSERT INTO custom_role (service, id, name, description) "
    "VALUES (?1, ?2, ?3, ?4)";
static const char SQL_GRANT_INSERT[] =
    "INSERT INTO custom_grant (service, role, privilege) "
    "VALUES (?1, ?2, ?3)";
static const char SQL_CUSTOM_DELETE[] =
    "DELETE FROM custom_role WHERE service = ?1 AND id = ?2";
static const char SQL_CUSTOM_COUNT[] =
    "SELECT count(*) FROM custom_role WHERE service = ?1";
static const char SQL_ROLE_ASSIGNED[] =
    "SELECT count(*) FROM assignment WHERE service = ?1 AND role = ?2";
static const char SQL_ROLE_HOLDERS[] =
    "SELECT user_id FROM assignment WHERE service = ?1 AND role = ?2";
static const char SQL_ROLE_UNASSIGN_ALL[] =
    "DELETE FROM assignment WHERE service = ?1 AND role = ?2";

/* Removes role from everyone holding it; *removed gets how many. */
static int unassign_all(rg_txn *txn, const char *role, long long *removed)
{
	rg_value p[] = {RG_TEXT(txn->svc->name), RG_TEXT(role)};
	struct role_rows holders = {0};
	size_t i;
	int rc;

	rc = rg_txn_query(txn, SQL_ROLE_HOLDERS, p, RG_NITEMS(p), row_collect,
	                  &holders);
	if (rc == RG_OK && holders.nomem)
		rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	if (rc == RG_OK)
		rc = rg_txn_exec(txn, SQL_ROLE_UNASSIGN_ALL, p, RG_NITEMS(p),
		                 removed);
	for (i = 0; rc == RG_OK && i < holders.n; i++)
		rc = rg_dir_user_sync(txn, holders.ids[i]);
	rows_free(&holders);
	return rc;
}

/* Validates a new custom role's id, texts and privileges into idx[]. */
static int custom_check(rg_txn *txn, const char *id, const char *name,
                        const char *description, const char *const *privs,
                        size_t n, uint32_t *idx)
{
	long long count = 0;
	size_t i, j;
	int rc;

	if (!id || !rg_id_valid(id))
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid role id '%.*s': letters, digits "
		                   "and '._:-', at most %d bytes",
		                   RG_ID_MAX, id ? id : "", RG_ID_MAX - 1);
	if (!rg_dir_text_valid(name, RG_DIR_NAME_MAX, 0) ||
	    !rg_dir_text_valid(description, RG_DIR_TEXT_MAX, 1))
		return rg_txn_fail(txn, RG_EINVAL,
		                   "invalid name or description for role '%s'",
		                   id);
	if (rg_role_find(txn->svc, id) >= 0)
		return rg_txn_fail(txn, RG_EEXIST,
		                   "role '%s' is a built-in role of service "
		                   "'%s'",
		                   id, txn->svc->name);
	rc = count_of(txn, SQL_CUSTOM_EXISTS, id, NULL, &count);
	if (rc == RG_OK && count)
		return rg_txn_fail(txn, RG_EEXIST,
		                   "custom role '%s' already exists in service "
		                   "'%s'",
		                   id, txn->svc->name);
	for (i = 0; rc == RG_OK && i < n; i++) {
		long p = privs[i] ? rg_privilege_find(txn->svc, privs[i]) : -1;
		if (p < 0)
			return rg_txn_fail(txn, RG_ENOACTION,
			                   "unknown privilege '%.*s' in "
			                   "service '%s'",
			                   RG_ID_MAX, privs[i] ? privs[i] : "",
			                   txn->svc->name);
		for (j = 0; j < i; j++)
			if (idx[j] == (uint32_t)p)
				return rg_txn_fail(txn, RG_EINVAL,
				                   "privilege '%s' is listed "
				                   "twice",
				                   privs[i]);
		idx[i] = (uint32_t)p;
	}
	if (rc == RG_OK)
		rc = count_of(txn, SQL_CUSTOM_COUNT, NULL, NULL, &count);
	if (rc == RG_OK && txn->svc->reg.nroles + (size_t)count >= RG_MAX_ROLES)
		rc = rg_txn_fail(txn, RG_ELIMIT,
		                 "service '%s' has %zu roles already (at most "
		                 "%d)",
		                 txn->svc->name,
		                 txn->svc->reg.nroles + (size_t)count,
		                 RG_MAX_ROLES);
	return rc;
}

int rg_custom_role_create(rg_txn *txn, const char *id, const char *name,
                          const char *description,
                          const char *const *privileges, size_t n)
{
	char msg[RG_MSG_MAX];
	uint32_t *idx = NULL;
	json_t *list = NULL;
	size_t i;
	int rc = rg_dir_txn_usable(txn);

	if (rc != RG_OK)
		return rc;
	if (n && !privileges)
		return rg_txn_fail(txn, RG_EINVAL, "no privilege list given");
	if (n > RG_MAX_PRIVILEGES)
		return rg_txn_fail(txn, RG_ELIMIT, "too many privileges");
	idx = calloc(n ? n : 1, sizeof(*idx));
	list = json_array();
	if (!idx || !list) {
		rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
		goto out;
	}
	name = name ? name : id;
	description = description ? description : "";
	rc = custom_check(txn, id, name, description, privileges, n, idx);
	if (rc == RG_OK && rg_custom_role_allowed(txn->svc, id, idx, n, msg,
	                                          sizeof(msg)) != RG_OK)
		rc = rg_txn_fail(txn, RG_EREFUSED, "%s", msg);
	if (rc == RG_OK)
		rc = change(txn, SQL_CUSTOM_INSERT, id, name, description, 3);
	for (i = 0; rc == RG_OK && i < n; i++) {
		rc = change(txn, SQL_GRANT_INSERT, id, privileges[i], NULL, 2);
		if (rc == RG_OK &&
		    json_array_append_new(list, json_string(privileges[i])))
			rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	}
	if (rc == RG_OK) {
		rc = rg_txn_audit(txn, NULL, "custom-role.create", NULL,
		                  json_pack("{s:s, s:s, s:s, s:O}", "id", id,
		                            "name", name, "description",
		                            description, "privileges", list));
	}
out:
	json_decref(list);
	free(idx);
	return rc;
}

int rg_custom_role_delete(rg_txn *txn, const char *id, int force,
                          size_t *unassigned)
{
	long long assigned = 0, exists = 0, removed = 0;
	json_t *before = NULL;
	long r;
	int rc = rg_dir_txn_usable(txn);

	if (unassigned)
		*unassigned = 0;
	if (rc == RG_OK && !id)
		rc = rg_txn_fail(txn, RG_EINVAL, "no role given");
	if (rc != RG_OK)
		return rc;
	r = rg_role_find(txn->svc, id);
	if (r >= 0) {
		rg_role_info info;
		rg_role_at(txn->svc, (size_t)r, &info);
		return rg_txn_fail(
		    txn, RG_EREFUSED,
		    "role '%s' is a built-in role of service "
		    "'%s'%s: it cannot be deleted",
		    id, txn->svc->name,
		    info.flags & RG_ROLE_PROTECTED
		        ? " (protected)"
		        : (info.flags & RG_ROLE_CORE ? " (core)" : ""));
	}
	rc = count_of(txn, SQL_CUSTOM_EXISTS, id, NULL, &exists);
	if (rc == RG_OK && !exists)
		return rg_txn_fail(txn, RG_ENOROLE,
		                   "unknown custom role '%.*s' in service '%s'",
		                   RG_ID_MAX, id, txn->svc->name);
	if (rc == RG_OK)
		rc = count_of(txn, SQL_ROLE_ASSIGNED, id, NULL, &assigned);
	if (rc == RG_OK && assigned && !force)
		return rg_txn_fail(txn, RG_EBUSY,
		                   "custom role '%s' is still assigned to %lld "
		                   "user%s; use --force",
		                   id, assigned, assigned == 1 ? "" : "s");
	if (rc == RG_OK) {
		before = rg_dir_audit_entry(txn, "custom-role", id);
		if (!before)
			rc = rg_txn_fail(txn, RG_ENOMEM, "out of memory");
	}
	if (rc == RG_OK && assigned)
		rc = unassign_all(txn, id, &removed);
	/* Its privileges go with it (ON DELETE CASCADE). */
	if (rc == RG_OK)
		rc = change(txn, SQL_CUSTOM_DELETE, id, NULL, NULL, 1);
	if (rc == RG_OK) {
		json_object_set_new(before, "unassigned",
		                    json_integer((json_int_t)removed));
		rc =
		    rg_txn_audit(txn, NULL, "custom-role.delete", before, NULL);
		before = NULL;
	}
	json_decref(before);
	if (rc == RG_OK && unassigned)
		*unassigned = (size_t)removed;
	return rc;
}

/* ---- reading users ---------------------------------------------------- */

/* The user queries in three variants: every service, one, one user. */
struct user_sql {
	const char *all, *service, *one;
};

static const struct user_sql users_sql = {
    "SELECT service, id, name, roles, attrs, members FROM users "
    "ORDER BY service, id",
    "SELECT service, id, name, roles, attrs, members FROM users "
    "WHERE service = ?1 ORDER BY service, id",
    "SELECT service, id, name, roles, attrs, members FROM users "
    "WHERE service = ?1 AND id = ?2",
};

/* The lists from their own tables (for rg_directory_verify()), each
 * sorted by (service, user, item) like the users. */
static const struct user_sql list_sql[2] = {
    {"SELECT service, user_id, role FROM assignment "
     "ORDER BY service, user_id, role",
     "SELECT service, user_id, role FROM assignment WHERE service = ?1 "
     "ORDER BY service, user_id, role",
     "SELECT service, user_id, role FROM assignment WHERE service = ?1 "
     "AND user_id = ?2 ORDER BY role"},
    {"SELECT service, user_id, name, kind FROM member "
     "ORDER BY service, user_id, kind, name",
     "SELECT service, user_id, name, kind FROM member WHERE service = ?1 "
     "ORDER BY service, user_id, kind, name",
     "SELECT service, user_id, name, kind FROM member WHERE service = ?1 "
     "AND user_id = ?2 ORDER BY kind, name"},
};

/* The users' attributes from user_attr (for rg_directory_verify()), in
 * the users' order, each user's sorted by key as their copy is. */
static const char SQL_VERIFY_ATTRS[] =
    "SELECT u.service, u.id, u.attrs, a.key, a.value FROM users u "
    "LEFT JOIN user_attr a ON a.service = u.service AND a.user_id = u.id "
    "ORDER BY u.service, u.id, a.key";

struct users_acc {
	struct rg_dir_users *out;
	int from_tables; /* lists from their tables, not the users' copy */
	size_t list;     /* which list the rows go to */
	size_t pos;      /* merge cursor into out->v */
	int rc;
	char *scratch; /* a membership list, while it is copied */
	size_t scratchcap;
	const struct rg_dir_user *last; /* the last membership's user */
	char lastkind[RG_ID_MAX];       /* and kind */
};

static int list_append(struct rg_dir_list *l, const char *item)
{
	size_t n = strlen(item), need = l->len + n + 2;

	if (n > SIZE_MAX - 2 - l->len)
		return RG_ENOMEM;
	if (need < LIST_MIN_CAP)
		need = LIST_MIN_CAP;
	if (RG_GROW(l->s, l->cap, need) != RG_OK)
		return RG_ENOMEM;
	if (l->len)
		l->s[l->len++] = ',';
	memcpy(l->s + l->len, item, n + 1);
	l->len += n;
	return RG_OK;
}

/* A list copied whole from a users row. */
static int list_set(struct rg_dir_list *l, const char *text)
{
	l->s = rg_strdup(text ? text : "");
	l->len = l->s ? strlen(l->s) : 0;
	l->cap = l->len + 1;
	return l->s ? RG_OK : RG_ENOMEM;
}

static int user_row(void *user, const rg_value *c, size_t n)
{
	struct users_acc *a = user;
	struct rg_dir_users *us = a->out;
	struct rg_dir_user *u;

	if (RG_GROW(us->v, us->cap, us->n + 1) != RG_OK)
		goto nomem;
	u = &us->v[us->n];
	memset(u, 0, sizeof(*u));
	u->service = rg_strdup(c[0].s);
	u->id = rg_strdup(c[1].s);
	u->name = rg_strdup(c[2].s);
	us->n++; /* counted now so that a failure frees it */
	if (!u->service || !u->id || !u->name ||
	    rg_dir_pairs_split(col_text(&c[4]), &u->attrs) != RG_OK ||
	    rg_dir_pairs_split(col_text(&c[5]), &u->members) != RG_OK)
		goto nomem;
	if (!a->from_tables && (list_set(&u->roles, col_text(&c[3])) ||
	                        list_set(&u->memtext, col_text(&c[5]))))
		goto nomem;
	return 0;
nomem:
	a->rc = RG_ENOMEM;
	return 1;
}

static int user_cmp(const struct rg_dir_user *u, const char *service,
                    const char *id)
{
	int c = strcmp(u->service, service);

	return c ? c : strcmp(u->id, id);
}

/* A membership row of u, appended to its text as users.members has it:
 * "kind=a,b" per kind, the kinds apart by RG_DIR_PAIR_SEP. */
static int members_append(struct users_acc *a, struct rg_dir_user *u,
                          const char *kind, const char *name)
{
	struct rg_dir_list *l = &u->memtext;
	char sep[] = {RG_DIR_PAIR_SEP, '\0'};
	size_t n = strlen(kind) + strlen(name) + 2;

	if (a->last == u && strcmp(a->lastkind, kind) == 0)
		return list_append(l, name);
	if (RG_GROW(l->s, l->cap, l->len + n + 1) != RG_OK)
		return RG_ENOMEM;
	/* list_append() joins with commas: a new kind starts its own run. */
	l->len += (size_t)snprintf(l->s + l->len, l->cap - l->len, "%s%s=%s",
	                           l->len ? sep : "", kind, name);
	a->last = u;
	rg_strlcpy(a->lastkind, kind, sizeof(a->lastkind));
	return RG_OK;
}

/* A list row (service, user, item[, kind]): merged into the sorted
 * users. */
static int list_row(void *user, const rg_value *c, size_t n)
{
	struct users_acc *a = user;
	struct rg_dir_users *us = a->out;
	struct rg_dir_user *u;
	struct rg_dir_list *l;

	while (a->pos < us->n && user_cmp(&us->v[a->pos], c[0].s, c[1].s) < 0)
		a->pos++;
	if (a->pos == us->n || user_cmp(&us->v[a->pos], c[0].s, c[1].s) != 0)
		return 0; /* no such user: cannot happen with the keys */
	u = &us->v[a->pos];
	if (a->list == 0) {
		l = &u->roles;
		a->rc = list_append(l, c[2].s);
	} else {
		a->rc = members_append(a, u, c[3].s, c[2].s);
	}
	return a->rc != RG_OK;
}

/* Gives every list a string, "" when empty. */
static int lists_finish(struct rg_dir_users *us)
{
	struct rg_dir_list *l;
	size_t i, k;

	for (i = 0; i < us->n; i++)
		for (k = 0; k < 2; k++) {
			l = k == 0 ? &us->v[i].roles : &us->v[i].memtext;
			if (!l->s && !(l->s = calloc(1, 1)))
				return RG_ENOMEM;
		}
	return RG_OK;
}

static const char *variant(const struct user_sql *q, const char *service,
                           const char *id)
{
	return id ? q->one : (service ? q->service : q->all);
}

/* Reads users; their lists from the users' copy, or from_tables. */
static int users_read(struct rg_dir *d, const char *service, const char *id,
                      int from_tables, struct rg_dir_users *out, char *err,
                      size_t errlen)
{
	rg_value p[] = {RG_TEXT(service), RG_TEXT(id)};
	size_t np = id ? 2 : (service ? 1 : 0), k;
	struct users_acc a = {out, from_tables, 0, 0, RG_OK, NULL, 0, NULL, ""};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rg_dir_query(d, variant(&users_sql, service, id), p, np, user_row,
	                  &a, err, errlen);
	for (k = 0; from_tables && k < RG_NITEMS(list_sql) && rc == RG_OK &&
	            a.rc == RG_OK;
	     k++) {
		a.list = k;
		a.pos = 0;
		rc = rg_dir_query(d, variant(&list_sql[k], service, id), p, np,
		                  list_row, &a, err, errlen);
	}
	if (rc == RG_OK)
		rc = a.rc;
	if (rc == RG_OK)
		rc = lists_finish(out);
	free(a.scratch);
	if (rc == RG_ENOMEM)
		rg_strlcpy(err, "out of memory", errlen);
	if (rc != RG_OK)
		rg_dir_users_free(out);
	return rc;
}

int rg_dir_users_read(struct rg_dir *d, const char *service, const char *id,
                      struct rg_dir_users *out, char *err, size_t errlen)
{
	return users_read(d, service, id, 0, out, err, errlen);
}

void rg_dir_users_free(struct rg_dir_users *us)
{
	size_t i;

	for (i = 0; i < us->n; i++) {
		struct rg_dir_user *u = &us->v[i];
		free(u->service);
		free(u->id);
		free(u->name);
		free(u->roles.s);
		free(u->memtext.s);
		rg_dir_pairs_free(&u->attrs);
		rg_dir_pairs_free(&u->members);
	}
	free(us->v);
	memset(us, 0, sizeof(*us));
}

/* ---- the public reads ------------------------------------------------- */

/* Logs a failed read: the API returns only a status. */
static int read_failed(struct rg_context *ctx, int rc, const char *err)
{
	if (rc != RG_OK && ctx)
		rg_log(ctx, RG_LOG_ERR, "%s", err);
	return rc;
}

static int service_known(const rg_context *ctx, const char *service)
{
	return !service || rg_service_find(ctx, service) != NULL;
}

static int users_call(const struct rg_dir_users *us, rg_user_fn fn, void *user)
{
	size_t i;

	for (i = 0; i < us->n; i++) {
		const struct rg_dir_user *u = &us->v[i];
		rg_user_info info = {
		    .service = u->service,
		    .id = u->id,
		    .name = u->name,
		    .roles = u->roles.s,
		    .nattrs = u->attrs.n,
		    .attr_keys = u->attrs.keys,
		    .attr_values = u->attrs.values,
		    .nmembers = u->members.n,
		    .member_kinds = u->members.keys,
		    .member_names = u->members.values,
		};
		if (fn(user, &info))
			break;
	}
	return RG_OK;
}

/* Reads users under the lock, then calls fn without it. */
static int users_get(rg_context *ctx, const char *service, const char *id,
                     rg_user_fn fn, void *user, size_t *count)
{
	struct rg_dir_users us;
	char err[RG_MSG_MAX];
	struct rg_dir *d;
	int rc;

	if (!ctx || !fn)
		return RG_EINVAL;
	if (!service_known(ctx, service))
		return RG_ENOSERVICE;
	rc = rg_dir_read_begin(ctx, &d, err, sizeof(err));
	if (rc != RG_OK)
		return read_failed(ctx, rc, err);
	rc = rg_dir_users_read(d, service, id, &us, err, sizeof(err));
	rg_dir_read_end(d);
	if (rc != RG_OK)
		return read_failed(ctx, rc, err);
	*count = us.n;
	users_call(&us, fn, user);
	rg_dir_users_free(&us);
	return RG_OK;
}

int rg_user_list(rg_context *ctx, const char *service, rg_user_fn fn,
                 void *user)
{
	size_t n;

	return users_get(ctx, service, NULL, fn, user, &n);
}

int rg_user_get(rg_context *ctx, const char *service, const char *id,
                rg_user_fn fn, void *user)
{
	size_t n = 0;
	int rc;

	if (!service || !id)
		return RG_EINVAL;
	rc = users_get(ctx, service, id, fn, user, &n);
	return rc == RG_OK && n == 0 ? RG_ENOUSER : rc;
}

/* Rows of a list read, kept until the lock is released. */
struct rows {
	json_t *v; /* an array of arrays: simple and owned in one place */
	int rc;
};

static int rows_add(void *user, const rg_value *c, size_t n)
{
	struct rows *r = user;
	json_t *row = json_array();
	size_t i;

	for (i = 0; row && i < n; i++) {
		json_t *cell =
		    c[i].type == RG_VAL_TEXT
		        ? json_string(c[i].s)
		        : (c[i].type == RG_VAL_INT ? json_integer(c[i].i)
		                                   : json_null());
		if (json_array_append_new(row, cell))
			break;
	}
	if (!row || i < n || json_array_append_new(r->v, row)) {
		r->rc = RG_ENOMEM;
		return 1;
	}
	return 0;
}

/* Runs one query of rows under the read lock. */
static int rows_read(rg_context *ctx, const char *sql, const rg_value *p,
                     size_t np, struct rows *r)
{
	char err[RG_MSG_MAX];
	struct rg_dir *d;
	int rc;

	r->rc = RG_OK;
	r->v = json_array();
	if (!r->v)
		return RG_ENOMEM;
	rc = rg_dir_read_begin(ctx, &d, err, sizeof(err));
	if (rc == RG_OK) {
		rc = rg_dir_query(d, sql, p, np, rows_add, r, err, sizeof(err));
		rg_dir_read_end(d);
	}
	if (rc == RG_OK)
		rc = r->rc;
	if (rc != RG_OK) {
		json_decref(r->v);
		r->v = NULL;
	}
	return read_failed(ctx, rc, err);
}

static const char *cell_s(json_t *row, size_t i)
{
	return json_string_value(json_array_get(row, i));
}

static long cell_i(json_t *row, size_t i)
{
	json_t *c = json_array_get(row, i);

	return json_is_integer(c) ? (long)json_integer_value(c) : -1;
}

/* A kind's entries with the users in them, each once: members, and
 * users whose attribute (one of the keys ",a,b," of ?3) names the entry. */
static const char SQL_ORG_LIST[] =
    "SELECT o.name, (SELECT count(*) FROM (SELECT m.user_id FROM member m "
    "WHERE m.service = o.service AND m.kind = o.kind AND m.name = o.name "
    "UNION SELECT u.user_id FROM user_attr u WHERE u.service = o.service "
    "AND u.value = o.name AND instr(?3, ',' || u.key || ',') > 0) AS holders) "
    "FROM org o WHERE o.service = ?1 AND o.kind = ?2 ORDER BY o.name";
static const char SQL_ORG_LIST_ATTRS[] =
    "SELECT name, key, value FROM org_attr WHERE service = ?1 AND kind = ?2 "
    "ORDER BY name, key";

/* The user attributes of svc that reference kind, as ",a,b,". */
static void ref_keys(const struct rg_service *svc, const char *kind, char *buf,
                     size_t len)
{
	size_t i, used;

	rg_strlcpy(buf, ",", len);
	for (i = 0; i < svc->vocab.n; i++) {
		const struct rg_vocab_entry *e = &svc->vocab.v[i];

		used = strlen(buf);
		if (e->what == RG_VOCAB_USER_ATTR && e->type == RG_ATTR_REF &&
		    e->ref && strcmp(e->ref, kind) == 0 && used < len)
			snprintf(buf + used, len - used, "%s,", e->name);
	}
}

/* One kind's entries and their attributes, read in one read
 * transaction. */
struct org_rows {
	struct rows entries, attrs;
	const char **keys, **values; /* of the entry being called */
};

static int org_rows_read(rg_context *ctx, const struct rg_service *svc,
                         const char *kind, struct org_rows *r)
{
	char refs[RG_MSG_MAX], err[RG_MSG_MAX] = "";
	rg_value p[] = {RG_TEXT(svc->name), RG_TEXT(kind), RG_TEXT(refs)};
	struct rg_dir *d;
	int rc;

	ref_keys(svc, kind, refs, sizeof(refs));
	r->entries.rc = r->attrs.rc = RG_OK;
	r->entries.v = json_array();
	r->attrs.v = json_array();
	if (!r->entries.v || !r->attrs.v)
		return RG_ENOMEM;
	rc = rg_dir_read_begin(ctx, &d, err, sizeof(err));
	if (rc != RG_OK)
		return read_failed(ctx, rc, err);
	rc = rg_dir_query(d, SQL_ORG_LIST, p, RG_COUNTOF(p), rows_add,
	                  &r->entries, err, sizeof(err));
	if (rc == RG_OK)
		rc = rg_dir_query(d, SQL_ORG_LIST_ATTRS, p, 2, rows_add,
		                  &r->attrs, err, sizeof(err));
	rg_dir_read_end(d);
	if (rc == RG_OK)
		rc = r->entries.rc != RG_OK ? r->entries.rc : r->attrs.rc;
	return read_failed(ctx, rc, err);
}

static void org_rows_free(struct org_rows *r)
{
	json_decref(r->entries.v);
	json_decref(r->attrs.v);
	free(r->keys);
	free(r->values);
}

/* Calls fn for each entry of r; *stop when fn asked to. */
static int org_rows_call(const struct rg_service *svc,
                         const struct rg_vocab_entry *k, struct org_rows *r,
                         rg_org_fn fn, void *user, int *stop)
{
	size_t na = json_array_size(r->attrs.v), at = 0, i;
	const char *pkey = rg_dir_parent_key(k);

	r->keys = calloc(na + 1, sizeof(*r->keys));
	r->values = calloc(na + 1, sizeof(*r->values));
	if (!r->keys || !r->values)
		return RG_ENOMEM;
	for (i = 0; !*stop && i < json_array_size(r->entries.v); i++) {
		json_t *row = json_array_get(r->entries.v, i);
		rg_org_info o = {.service = svc->name,
		                 .kind = k->name,
		                 .name = cell_s(row, 0),
		                 .members = cell_i(row, 1)};

		/* Both lists are sorted by name: the entry's attributes are
		 * the run of rows with its name. */
		while (at < na &&
		       strcmp(cell_s(json_array_get(r->attrs.v, at), 0),
		              o.name) < 0)
			at++;
		for (; at < na &&
		       strcmp(cell_s(json_array_get(r->attrs.v, at), 0),
		              o.name) == 0;
		     at++, o.nattrs++) {
			r->keys[o.nattrs] =
			    cell_s(json_array_get(r->attrs.v, at), 1);
			r->values[o.nattrs] =
			    cell_s(json_array_get(r->attrs.v, at), 2);
		}
		o.attr_keys = r->keys;
		o.attr_values = r->values;
		o.parent = pkey ? rg_org_info_attr(&o, pkey) : NULL;
		*stop = fn(user, &o);
	}
	return RG_OK;
}

/* The kind of svc after `after` (NULL: the first) by name, or NULL. */
static const struct rg_vocab_entry *kind_next(const struct rg_service *svc,
                                              const char *after)
{
	const struct rg_vocab_entry *best = NULL;
	size_t i;

	for (i = 0; i < svc->vocab.n; i++) {
		const struct rg_vocab_entry *e = &svc->vocab.v[i];

		if (e->what == RG_VOCAB_ORG_KIND &&
		    (!after || strcmp(e->name, after) > 0) &&
		    (!best || strcmp(e->name, best->name) < 0))
			best = e;
	}
	return best;
}

/* Lists the entries of the kinds of svc (only `kind` when not NULL), the
 * kinds by name as the entries are. */
static int org_list_service(rg_context *ctx, const struct rg_service *svc,
                            const char *kind, rg_org_fn fn, void *user,
                            int *stop)
{
	const struct rg_vocab_entry *k;
	int rc = RG_OK;

	for (k = kind_next(svc, NULL); k && rc == RG_OK && !*stop;
	     k = kind_next(svc, k->name)) {
		struct org_rows r = {{NULL, RG_OK}, {NULL, RG_OK}, NULL, NULL};

		if (kind && strcmp(kind, k->name) != 0)
			continue;
		rc = org_rows_read(ctx, svc, k->name, &r);
		if (rc == RG_OK)
			rc = org_rows_call(svc, k, &r, fn, user, stop);
		org_rows_free(&r);
	}
	return rc;
}

int rg_org_list(rg_context *ctx, const char *service, const char *kind,
                rg_org_fn fn, void *user)
{
	const struct rg_service *one = NULL;
	size_t i;
	int stop = 0, rc = RG_OK, declared = 0;

	if (!ctx || !fn)
		return RG_EINVAL;
	if (service && !(one = rg_service_find(ctx, service)))
		return RG_ENOSERVICE;
	for (i = 0; i < ctx->nservices; i++) {
		const struct rg_service *svc = ctx->services[i];

		if ((one && svc != one) || (kind && !rg_dir_kind(svc, kind)))
			continue;
		declared = 1;
		if (rc == RG_OK && !stop)
			rc = org_list_service(ctx, svc, kind, fn, user, &stop);
	}
	/* A kind no service declares is not a kind. */
	return kind && !declared ? RG_EINVAL : rc;
}

static const char SQL_CUSTOM_LIST[] =
    "SELECT c.service, c.id, c.name, c.description, "
    "(SELECT count(*) FROM assignment a WHERE a.service = c.service AND "
    "a.role = c.id), "
    "(SELECT count(*) FROM custom_grant g WHERE g.service = c.service AND "
    "g.role = c.id) "
    "FROM custom_role c WHERE (?1 IS NULL OR c.service = ?1) AND "
    "(?2 IS NULL OR c.id = ?2) ORDER BY c.service, c.id";
static const char SQL_CUSTOM_GRANTS[] =
    "SELECT g.service, g.role, g.privilege FROM custom_grant g WHERE "
    "(?1 IS NULL OR g.service = ?1) AND (?2 IS NULL OR g.role = ?2) "
    "ORDER BY g.service, g.role, g.privilege";

/* Calls fn for each role row with its privileges joined (both sorted). */
static void custom_call(json_t *roles, json_t *grants, rg_custom_role_fn fn,
                        void *user)
{
	struct rg_dir_list privs = {0};
	size_t i, g = 0;

	for (i = 0; i < json_array_size(roles); i++) {
		json_t *row = json_array_get(roles, i);
		long n = cell_i(row, 5);
		rg_custom_role_info r;

		privs.len = 0;
		if (privs.s)
			privs.s[0] = '\0';
		for (; n > 0 && g < json_array_size(grants); g++, n--)
			if (list_append(&privs,
			                cell_s(json_array_get(grants, g), 2)))
				break;
		r.service = cell_s(row, 0);
		r.id = cell_s(row, 1);
		r.name = cell_s(row, 2);
		r.description = cell_s(row, 3);
		r.privileges = privs.s ? privs.s : "";
		r.assigned = cell_i(row, 4);
		if (fn(user, &r))
			break;
	}
	free(privs.s);
}

int rg_custom_role_list(rg_context *ctx, const char *service, const char *id,
                        rg_custom_role_fn fn, void *user)
{
	rg_value p[] = {RG_TEXT(service), RG_TEXT(id)};
	struct rows roles = {0}, grants = {0};
	int rc;

	if (!ctx || !fn)
		return RG_EINVAL;
	if (!service_known(ctx, service))
		return RG_ENOSERVICE;
	/* Two reads: a role deleted in between only loses its privileges
	 * from this listing.  Read the grants first for that reason. */
	rc = rows_read(ctx, SQL_CUSTOM_GRANTS, p, RG_NITEMS(p), &grants);
	if (rc == RG_OK)
		rc = rows_read(ctx, SQL_CUSTOM_LIST, p, RG_NITEMS(p), &roles);
	if (rc == RG_OK && id && json_array_size(roles.v) == 0)
		rc = RG_ENOROLE;
	if (rc == RG_OK)
		custom_call(roles.v, grants.v, fn, user);
	json_decref(roles.v);
	json_decref(grants.v);
	return rc;
}

long rg_role_assigned_count(rg_context *ctx, const char *service,
                            const char *role)
{
	rg_value p[] = {RG_TEXT(service), RG_TEXT(role)};
	const rg_service *svc;
	struct rows r;
	long n;
	int rc;

	if (!ctx || !service || !role)
		return RG_EINVAL;
	svc = rg_service_find(ctx, service);
	if (!svc)
		return RG_ENOSERVICE;
	rc = rows_read(ctx,
	               "SELECT count(*), (SELECT count(*) FROM custom_role "
	               "WHERE service = ?1 AND id = ?2) FROM assignment WHERE "
	               "service = ?1 AND role = ?2",
	               p, RG_NITEMS(p), &r);
	if (rc != RG_OK)
		return rc;
	/* No database yet: no row at all. */
	n = json_array_size(r.v) ? cell_i(json_array_get(r.v, 0), 0) : 0;
	if (rg_role_find(svc, role) < 0 &&
	    !(json_array_size(r.v) && cell_i(json_array_get(r.v, 0), 1) > 0))
		n = RG_ENOROLE;
	json_decref(r.v);
	return n;
}

/* ---- the audit trail -------------------------------------------------- */

static const char SQL_AUDIT_OLDEST[] =
    "SELECT seq, at, actor, command, service, user_id, what, before, "
    "after FROM audit WHERE (?1 IS NULL OR service = ?1) AND "
    "(?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR at >= ?3) AND "
    "(?4 IS NULL OR at < ?4) ORDER BY seq";
static const char SQL_AUDIT_NEWEST[] =
    "SELECT seq, at, actor, command, service, user_id, what, before, "
    "after FROM audit WHERE (?1 IS NULL OR service = ?1) AND "
    "(?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR at >= ?3) AND "
    "(?4 IS NULL OR at < ?4) ORDER BY seq DESC LIMIT ?5";

int rg_audit_list(rg_context *ctx, const rg_audit_filter *filter,
                  rg_audit_fn fn, void *user)
{
	rg_audit_filter none = {0};
	struct rows r;
	size_t i;
	int rc;

	if (!ctx || !fn)
		return RG_EINVAL;
	if (!filter)
		filter = &none;
	if (filter->limit < 0)
		return RG_EINVAL;
	{
		rg_value p[] = {RG_TEXT(filter->service), RG_TEXT(filter->user),
		                RG_TEXT(filter->since), RG_TEXT(filter->until),
		                RG_INT(filter->limit)};
		rc = rows_read(
		    ctx, filter->limit ? SQL_AUDIT_NEWEST : SQL_AUDIT_OLDEST, p,
		    filter->limit ? 5 : 4, &r);
	}
	if (rc != RG_OK)
		return rc;
	for (i = 0; i < json_array_size(r.v); i++) {
		json_t *row = json_array_get(r.v, i);
		rg_audit_info a = {
		    .seq = json_integer_value(json_array_get(row, 0)),
		    .at = cell_s(row, 1),
		    .actor = cell_s(row, 2),
		    .command = cell_s(row, 3),
		    .service = cell_s(row, 4),
		    .user = cell_s(row, 5),
		    .what = cell_s(row, 6),
		    .before = cell_s(row, 7),
		    .after = cell_s(row, 8),
		};
		if (fn(user, &a))
			break;
	}
	json_decref(r.v);
	return RG_OK;
}

static const char *const SQL_AUDIT_READ[] = {
    [RG_AUDIT_READ_SEQ] = "SELECT seq, at, actor, command, service, user_id, "
                          "what, before, after FROM audit WHERE seq = ?1",
    [RG_AUDIT_READ_UNDOS] = "SELECT seq, at, actor, command, service, "
                            "user_id, what, before, after FROM audit WHERE "
                            "what = 'undo' AND service = ?1 ORDER BY seq",
    [RG_AUDIT_READ_LAST] = "SELECT seq, at, actor, command, service, "
                           "user_id, what, before, after FROM audit ORDER "
                           "BY seq DESC LIMIT 1",
};

struct audit_rows {
	rg_audit_fn fn;
	void *user;
};

static const char *audit_cell(const rg_value *c)
{
	return c->type == RG_VAL_TEXT && c->s ? c->s : "";
}

static int audit_row(void *user, const rg_value *c, size_t n)
{
	struct audit_rows *ar = user;
	rg_audit_info a;

	(void)n;
	a.seq = c[0].type == RG_VAL_INT ? c[0].i : -1;
	a.at = audit_cell(&c[1]);
	a.actor = audit_cell(&c[2]);
	a.command = audit_cell(&c[3]);
	a.service = audit_cell(&c[4]);
	a.user = audit_cell(&c[5]);
	a.what = audit_cell(&c[6]);
	a.before = audit_cell(&c[7]);
	a.after = audit_cell(&c[8]);
	return ar->fn(ar->user, &a);
}

int rg_txn_audit_read(rg_txn *txn, enum rg_audit_read which, long long seq,
                      rg_audit_fn fn, void *user)
{
	struct audit_rows ar = {fn, user};
	rg_value p[1];

	p[0] = which == RG_AUDIT_READ_UNDOS
	           ? RG_TEXT(txn->svc ? txn->svc->name : "")
	           : RG_INT(seq);
	return rg_txn_query(txn, SQL_AUDIT_READ[which], p,
	                    which == RG_AUDIT_READ_LAST ? 0 : 1, audit_row,
	                    &ar);
}

/* ---- checks ----------------------------------------------------------- */

/* Compares every user's copy of its lists with their tables. */
/* Pairs text shown in a message: the separators as ';' (in place). */
static const char *pairs_shown(char *text)
{
	char *p;

	for (p = text; (p = strchr(p, RG_DIR_PAIR_SEP)); p++)
		*p = ';';
	return text;
}

static int lists_check(struct rg_dir *d, char *err, size_t errlen)
{
	struct rg_dir_users copy, tables;
	size_t i;
	int rc;

	rc = users_read(d, NULL, NULL, 0, &copy, err, errlen);
	if (rc != RG_OK)
		return rc;
	rc = users_read(d, NULL, NULL, 1, &tables, err, errlen);
	if (rc != RG_OK) {
		rg_dir_users_free(&copy);
		return rc;
	}
	for (i = 0; i < copy.n && i < tables.n && rc == RG_OK; i++) {
		const struct rg_dir_user *a = &copy.v[i], *b = &tables.v[i];
		if (strcmp(a->roles.s, b->roles.s) ||
		    strcmp(a->memtext.s, b->memtext.s)) {
			snprintf(err, errlen,
			         "directory %s: user '%s' of service '%s' "
			         "lists roles '%s' and memberships '%s', but "
			         "the assignments and memberships say '%s' and "
			         "'%s'",
			         d->location, a->id, a->service, a->roles.s,
			         pairs_shown(a->memtext.s), b->roles.s,
			         pairs_shown(b->memtext.s));
			rc = RG_EIO;
		}
	}
	rg_dir_users_free(&copy);
	rg_dir_users_free(&tables);
	return rc;
}

/* A user's attributes as user_attr holds them, against its copy. */
struct attrs_acc {
	struct rg_dir *d;
	char *service, *id, *copy; /* the user being gathered */
	const char **keys, **values;
	char **owned; /* the row texts, 2 per row */
	size_t n, cap, ncap, ocap;
	int rc;
	char *err;
	size_t errlen;
};

static void attrs_reset(struct attrs_acc *a)
{
	size_t i;

	for (i = 0; i < 2 * a->n; i++)
		free(a->owned[i]);
	free(a->service);
	free(a->id);
	free(a->copy);
	a->service = a->id = a->copy = NULL;
	a->n = 0;
}

/* Compares the user gathered so far with its copy. */
static int attrs_compare(struct attrs_acc *a)
{
	char *want;

	if (!a->id)
		return 0;
	want = rg_dir_pairs_join(a->keys, a->values, a->n);
	if (!want) {
		a->rc = RG_ENOMEM;
		return 1;
	}
	if (strcmp(want, a->copy) != 0) {
		snprintf(a->err, a->errlen,
		         "directory %s: user '%s' of service '%s' lists "
		         "attributes other than its rows of user_attr",
		         a->d->location, a->id, a->service);
		a->rc = RG_EIO;
	}
	free(want);
	return a->rc != RG_OK;
}

static int attrs_row(void *user, const rg_value *c, size_t n)
{
	struct attrs_acc *a = user;

	if (!a->id || strcmp(a->service, c[0].s) || strcmp(a->id, c[1].s)) {
		if (attrs_compare(a))
			return 1;
		attrs_reset(a);
		a->service = rg_strdup(c[0].s);
		a->id = rg_strdup(c[1].s);
		a->copy = rg_strdup(c[2].s ? c[2].s : "");
		if (!a->service || !a->id || !a->copy)
			goto nomem;
	}
	if (c[3].type != RG_VAL_TEXT)
		return 0; /* a user without attributes */
	if (RG_GROW(a->keys, a->cap, a->n + 1) != RG_OK ||
	    RG_GROW(a->values, a->ncap, a->n + 1) != RG_OK ||
	    RG_GROW(a->owned, a->ocap, 2 * a->n + 2) != RG_OK)
		goto nomem;
	a->owned[2 * a->n] = rg_strdup(c[3].s);
	a->owned[2 * a->n + 1] = rg_strdup(c[4].s);
	a->keys[a->n] = a->owned[2 * a->n];
	a->values[a->n] = a->owned[2 * a->n + 1];
	a->n++;
	if (!a->keys[a->n - 1] || !a->values[a->n - 1])
		goto nomem;
	return 0;
nomem:
	a->rc = RG_ENOMEM;
	return 1;
}

/* Compares every user's copy of its attributes with user_attr. */
static int attrs_check(struct rg_dir *d, char *err, size_t errlen)
{
	struct attrs_acc a = {0};
	int rc;

	a.d = d;
	a.rc = RG_OK;
	a.err = err;
	a.errlen = errlen;
	rc = rg_dir_query(d, SQL_VERIFY_ATTRS, NULL, 0, attrs_row, &a, err,
	                  errlen);
	if (rc == RG_OK && a.rc == RG_OK)
		attrs_compare(&a);
	if (rc == RG_OK)
		rc = a.rc;
	if (rc == RG_ENOMEM)
		rg_strlcpy(err, "out of memory", errlen);
	attrs_reset(&a);
	free(a.keys);
	free(a.values);
	free(a.owned);
	return rc;
}

/* References the schema cannot hold as foreign keys, for they are values:
 * a parent, a department's unit, a user's business unit. */
static const char SQL_VERIFY_REFS[] =
    "SELECT a.service, a.kind, a.name, a.key, a.value FROM org_attr a "
    "WHERE (a.key = 'parent' AND NOT EXISTS (SELECT 1 FROM org o WHERE "
    "o.service = a.service AND o.kind = a.kind AND o.name = a.value)) OR "
    "(a.kind = 'department' AND a.key = 'unit' AND NOT EXISTS (SELECT 1 "
    "FROM org o WHERE o.service = a.service AND o.kind = 'unit' AND "
    "o.name = a.value)) UNION ALL "
    "SELECT u.service, 'user', u.user_id, u.key, u.value FROM user_attr u "
    "WHERE u.key = 'bu' AND NOT EXISTS (SELECT 1 FROM org o WHERE "
    "o.service = u.service AND o.kind = 'bu' AND o.name = u.value) LIMIT 1";

struct ref_acc {
	struct rg_dir *d;
	char *err;
	size_t errlen;
	int found;
};

static int ref_row(void *user, const rg_value *c, size_t n)
{
	struct ref_acc *r = user;

	snprintf(r->err, r->errlen,
	         "directory %s: a broken reference (no foreign key holds "
	         "it): %s '%s' of service '%s' names %s '%s', which does not "
	         "exist",
	         r->d->location, c[1].s, c[2].s, c[0].s, c[3].s, c[4].s);
	r->found = 1;
	return 1;
}

static int refs_check(struct rg_dir *d, char *err, size_t errlen)
{
	struct ref_acc r = {d, err, errlen, 0};
	int rc =
	    rg_dir_query(d, SQL_VERIFY_REFS, NULL, 0, ref_row, &r, err, errlen);

	return rc == RG_OK && r.found ? RG_EIO : rc;
}

int rg_directory_verify(rg_context *ctx, char *errbuf, size_t errlen)
{
	char scratch[RG_MSG_MAX], msg[RG_MSG_MAX];
	struct rg_dir *d;
	int rc;

	if (!errbuf) {
		errbuf = scratch;
		errlen = sizeof(scratch);
	}
	if (errlen)
		errbuf[0] = '\0';
	if (!ctx)
		return RG_EINVAL;
	rc = rg_dir_read_begin(ctx, &d, errbuf, errlen);
	if (rc != RG_OK)
		return rc;
	if (d->store) {
		rc = d->ops->verify(d->store, msg, sizeof(msg));
		if (rc != RG_OK)
			snprintf(errbuf, errlen, "directory %s: %s",
			         d->location, msg);
		if (rc == RG_OK)
			rc = lists_check(d, errbuf, errlen);
		if (rc == RG_OK)
			rc = attrs_check(d, errbuf, errlen);
		if (rc == RG_OK)
			rc = refs_check(d, errbuf, errlen);
	}
	rg_dir_read_end(d);
	return rc;
}
