/*
 * store_sqlite.c - the directory's store over SQLite (see directory.h).
 *
 * One connection per store.  The directory serialises every use of it with
 * its own mutex, so the connection is opened without SQLite's (NOMUTEX):
 * reading a 50,000-user snapshot makes about a million column calls, and
 * an uncontended lock on each would cost more than the reading.
 *
 * Settings, and why:
 *  - WAL: readers (snapshot reloads in every process) never wait for a
 *    writer and a writer never waits for them.
 *  - synchronous=FULL: a committed change survives a power cut, not only a
 *    crash of the process.  Writes are rare administrative transactions
 *    (an import is one transaction), so one WAL fsync per commit is cheap.
 *  - foreign_keys=ON, so that ON DELETE CASCADE and references hold.
 *  - BEGIN IMMEDIATE for writes: the write lock is taken at once, waiting
 *    up to busy_ms, instead of failing half-way through a transaction.
 *
 * The version: PRAGMA data_version changes only for commits made by other
 * connections, and its value means nothing to another connection.  So the
 * store keeps its own counter row, bumped by every commit, plus a random
 * epoch chosen when the row is created (a database deleted and created
 * again does not repeat old versions).  data_version only tells whether
 * the counter must be read again.
 *
 * The stamps (struct rg_store_ops): a table service_stamp, with triggers
 * on every table a snapshot reads that give a changed row's service a new
 * random stamp.  A connection's first commit makes them when they are
 * missing (the directory's tables exist by then) and stamps every service
 * that has rows, since the rows before them were never stamped.
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

#include <sqlite3.h>

#include "directory.h"

/* Prepared statements kept per connection, keyed by the SQL's address. */
#define STMT_CACHE_SIZE  128 /* a power of two */
#define STMT_CACHE_PROBE 8
/* Columns a query may return. */
#define MAX_COLUMNS 32
/* integrity_check messages kept in an error. */
#define VERIFY_MAX_MESSAGES 5
#define WAL_RETRY_MS        10
#define DB_FILE_MODE        0640
#define WAL_SIZE_LIMIT      "4194304" /* bytes */

static const char SQL_DATA_VERSION[] = "PRAGMA data_version";
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_VERSION_TABLE[] =
    "CREATE TABLE IF NOT EXISTS store_version (id INTEGER PRIMARY KEY "
    "CHECK (id = 1), epoch INTEGER NOT NULL, n INTEGER NOT NULL)";
static const char SQL_VERSION_ROW[] =
    "INSERT OR IGNORE INTO store_version (id, epoch, n) "
    "VALUES (1, abs(random() % 2147483647) + 1, 0)";
static const char SQL_VERSION_BUMP[] =
    "UPDATE store_version SET n = n + 1 WHERE id = 1";
static const char SQL_VERSION_READ[] =
    "SELECT epoch, n FROM store_version WHERE id = 1";
static const char SQL_VERSION_EXISTS[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
    "name = 'store_version'";
static const char SQL_STAMP_EXISTS[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
    "name = 'service_stamp'";
static const char SQL_STAMP_TRIGGERS_EXIST[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
    "name LIKE 'stamp\\_%' ESCAPE '\\'";
/* A fresh random stamp at each changed row: whoever changes it, even in a
 * transaction that does not move the version, leaves a stamp no snapshot
 * was built at.  Odd, since 0 means none.  An upsert, not INSERT OR
 * REPLACE, whose conflict clause the statement that fires the trigger
 * would override with its own. */
#define STAMP_WITH(row)                                                        \
	"INSERT INTO service_stamp (service, n) VALUES (" row                  \
	".service, random() | 1) ON CONFLICT (service) DO UPDATE SET n = "     \
	"excluded.n;"
#define STAMP_TRIGGERS(t)                                                      \
	"CREATE TRIGGER IF NOT EXISTS stamp_" t "_insert AFTER INSERT ON " t   \
	" BEGIN " STAMP_WITH("NEW") " END",                                    \
	    "CREATE TRIGGER IF NOT EXISTS stamp_" t                            \
	    "_update AFTER UPDATE ON " t " BEGIN " STAMP_WITH("OLD")           \
	        STAMP_WITH("NEW") " END",                                      \
	    "CREATE TRIGGER IF NOT EXISTS stamp_" t                            \
	    "_delete AFTER DELETE ON " t " BEGIN " STAMP_WITH("OLD") " END",
/* Every service with rows, as of now (when the triggers are made). */
#define STAMP_ALL(t)                                                           \
	"INSERT OR REPLACE INTO service_stamp (service, n) SELECT DISTINCT "   \
	"service, random() | 1 FROM " t,
#define STAMP_COUNT3(t)      +3
#define STAMP_TRIGGERS_COUNT (0 RG_STORE_STAMPED_TABLES(STAMP_COUNT3))
static const char *const sql_stamps[] = {
    "CREATE TABLE IF NOT EXISTS service_stamp (service TEXT PRIMARY KEY, "
    "n INTEGER NOT NULL)",
    RG_STORE_STAMPED_TABLES(STAMP_TRIGGERS) RG_STORE_STAMPED_TABLES(STAMP_ALL)
        NULL};

struct stmt_slot {
	const char *key; /* the caller's SQL text: its address is the key */
	sqlite3_stmt *stmt;
};

struct rg_store {
	sqlite3 *db;
	char *path;
	int readonly;
	int version_table; /* store_version exists (checked in a write) */
	int stamped;       /* the stamps' triggers exist (checked at commit) */
	int version_valid; /* cached version is current */
	uint64_t version;
	long long data_version;
	struct stmt_slot cache[STMT_CACHE_SIZE];
	char err[RG_MSG_MAX];
};

/* ---- errors ----------------------------------------------------------- */

static void set_err(rg_store *s, const char *fmt, ...) RG_PRINTF(2, 3);

static void set_err(rg_store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

/* 1 when path (or, when it does not exist, its directory) is not writable. */
static int location_readonly(const char *path)
{
	char *dir;
	int ro;

	if (access(path, W_OK) == 0)
		goto dir;
	if (errno == EACCES || errno == EROFS || errno == EPERM)
		return 1;
dir:
	/* The WAL and shared-memory files are created beside the database. */
	dir = rg_dirname(path);
	ro = dir && access(dir, W_OK) != 0 &&
	     (errno == EACCES || errno == EROFS || errno == EPERM);
	free(dir);
	return ro;
}

/* Maps an SQLite result code to a status, with the message in s->err. */
static int fail(rg_store *s, int rc)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		set_err(s, "%s (SQLite code %d)", msg, rc);
		return RG_EBUSY;
	case SQLITE_READONLY:
		set_err(s, "read-only (%s)", msg);
		return RG_EIO;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		if (location_readonly(s->path)) {
			set_err(s, "read-only (%s)", msg);
			return RG_EIO;
		}
		set_err(s, "%s", msg);
		return RG_EIO;
	case SQLITE_NOMEM:
		set_err(s, "out of memory");
		return RG_ENOMEM;
	default:
		set_err(s, "%s", msg);
		return RG_EIO;
	}
}

/* ---- the statement cache ---------------------------------------------- */

/*
 * A statement for sql, ready to bind: cached when possible.  *owned is set
 * when the caller must finalize it (the cached one is in use by an outer
 * query of the same SQL, or the cache is full around its slot).
 */
static int stmt_get(rg_store *s, const char *sql, sqlite3_stmt **out,
                    int *owned)
{
	size_t home = rg_store_slot(sql, STMT_CACHE_SIZE), i;
	struct stmt_slot *slot = NULL;
	int nested = 0, rc;

	*owned = 0;
	for (i = 0; i < STMT_CACHE_PROBE && !nested; i++) {
		struct stmt_slot *sl =
		    &s->cache[(home + i) & (STMT_CACHE_SIZE - 1)];
		if (!sl->key) {
			if (!slot)
				slot = sl;
			continue;
		}
		/* The address is the key; the text guards against an address
		 * reused by another string. */
		if (sl->key == sql && strcmp(sqlite3_sql(sl->stmt), sql) == 0) {
			if (!sqlite3_stmt_busy(sl->stmt)) {
				*out = sl->stmt;
				return RG_OK;
			}
			nested = 1; /* an outer query runs it: a private one */
		}
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	                        NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	if (!slot && !nested && !sqlite3_stmt_busy(s->cache[home].stmt)) {
		/* Full around its home: the home slot's statement goes. */
		slot = &s->cache[home];
		sqlite3_finalize(slot->stmt);
	}
	if (slot && !nested) {
		slot->key = sql;
		slot->stmt = *out;
	} else {
		*owned = 1;
	}
	return RG_OK;
}

static void stmt_done(sqlite3_stmt *st, int owned)
{
	if (owned) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void cache_clear(rg_store *s)
{
	size_t i;

	for (i = 0; i < STMT_CACHE_SIZE; i++) {
		sqlite3_finalize(s->cache[i].stmt);
		s->cache[i].key = NULL;
		s->cache[i].stmt = NULL;
	}
}

static int bind_all(rg_store *s, sqlite3_stmt *st, const rg_value *params,
                    size_t n)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		int col = (int)i + 1;
		switch (params[i].type) {
		case RG_VAL_NULL:
			rc = sqlite3_bind_null(st, col);
			break;
		case RG_VAL_INT:
			rc = sqlite3_bind_int64(st, col, params[i].i);
			break;
		case RG_VAL_TEXT:
			/* Parameters live for the whole call: no copy. */
			rc = params[i].s
			         ? sqlite3_bind_text(st, col, params[i].s, -1,
			                             SQLITE_STATIC)
			         : sqlite3_bind_null(st, col);
			break;
		}
	}
	return rc == SQLITE_OK ? RG_OK : fail(s, rc);
}

/* ---- running statements ----------------------------------------------- */

static void row_values(sqlite3_stmt *st, rg_value *vals, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (sqlite3_column_type(st, (int)i)) {
		case SQLITE_NULL:
			vals[i].type = RG_VAL_NULL;
			vals[i].s = NULL;
			vals[i].i = 0;
			break;
		case SQLITE_INTEGER:
			vals[i].type = RG_VAL_INT;
			vals[i].i = sqlite3_column_int64(st, (int)i);
			vals[i].s = NULL;
			break;
		default:
			vals[i].type = RG_VAL_TEXT;
			vals[i].s =
			    (const char *)sqlite3_column_text(st, (int)i);
			vals[i].i = 0;
			if (!vals[i].s)
				vals[i].type = RG_VAL_NULL;
			break;
		}
	}
}

static int run(rg_store *s, const char *sql, const rg_value *params, size_t n,
               rg_row_fn fn, void *user, long long *changes)
{
	rg_value vals[MAX_COLUMNS];
	sqlite3_stmt *st;
	size_t ncols;
	int owned, rc, step;

	rc = stmt_get(s, sql, &st, &owned);
	if (rc != RG_OK)
		return rc;
	rc = bind_all(s, st, params, n);
	ncols = (size_t)sqlite3_column_count(st);
	if (rc == RG_OK && ncols > MAX_COLUMNS) {
		set_err(s, "query returns %zu columns (at most %d)", ncols,
		        MAX_COLUMNS);
		rc = RG_EINTERNAL;
	}
	while (rc == RG_OK) {
		step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = fail(s, step);
			break;
		}
		if (!fn)
			continue;
		row_values(st, vals, ncols);
		if (fn(user, vals, ncols))
			break;
	}
	if (rc == RG_OK && changes)
		*changes = sqlite3_changes(s->db);
	stmt_done(st, owned);
	return rc;
}

static int store_exec(rg_store *s, const char *sql, const rg_value *params,
                      size_t n, long long *changes)
{
	return run(s, sql, params, n, NULL, NULL, changes);
}

static int store_query(rg_store *s, const char *sql, const rg_value *params,
                       size_t n, rg_row_fn fn, void *user)
{
	return run(s, sql, params, n, fn, user, NULL);
}

/* ---- opening and closing ---------------------------------------------- */

/* Runs a PRAGMA that answers one text row; copies the answer into out. */
static int pragma_text(rg_store *s, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	out[0] = '\0';
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		rg_strlcpy(out, t ? t : "", len);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? RG_OK : fail(s, rc);
}

/*
 * Puts the database in WAL mode unless it is already.  The switch needs an
 * exclusive lock and SQLite answers BUSY at once, without its busy handler,
 * when another connection (one creating the database at the same moment)
 * holds one: so retry until the busy timeout.
 */
static int wal_mode(rg_store *s, long busy_ms)
{
	char mode[32];
	long waited = 0;
	int rc;

	rc = pragma_text(s, "PRAGMA journal_mode", mode, sizeof(mode));
	if (rc != RG_OK || strcmp(mode, "wal") == 0)
		return rc;
	for (;;) {
		rc = pragma_text(s, "PRAGMA journal_mode = WAL", mode,
		                 sizeof(mode));
		if (rc != RG_EBUSY || waited >= busy_ms)
			return rc;
		sqlite3_sleep(WAL_RETRY_MS);
		waited += WAL_RETRY_MS;
	}
}

static int configure(rg_store *s, long busy_ms)
{
	int rc;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, busy_ms > 0 ? (int)busy_ms : 0);
	rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	/* Keep the WAL and shared-memory files when the last connection
	 * closes: a reader who may not create files beside the database
	 * (the CLI run by an auditor) can then still read it. */
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL,
	                     &(int){1});
	s->readonly = sqlite3_db_readonly(s->db, "main") == 1;
	if (!s->readonly) {
		rc = wal_mode(s, busy_ms);
		if (rc != RG_OK)
			return rc;
	}
	rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	/* A big import grows the WAL: keep it small once checkpointed, and
	 * empty once the last connection closes. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db,
		                  "PRAGMA journal_size_limit = " WAL_SIZE_LIMIT,
		                  NULL, NULL, NULL);
	return rc == SQLITE_OK ? RG_OK : fail(s, rc);
}

/* Creates a database holding only the marker table in the file at tmp. */
static int marker_db(const char *tmp)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(
	    tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, RG_STORE_MARKER_SQL, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Creates a missing database readable by its owner and group only (it
 * lists who may do what); SQLite gives the WAL files the database file's
 * mode.  The database is made beside path with the marker table and then
 * linked into place: nobody ever sees an empty file of ours, so an empty
 * file is always a directory that lost its content (schema_present()).
 * link() fails when another process created path first: its database
 * serves.  A failure is left for SQLite to report.
 */
static void precreate(const char *path)
{
	char *tmp = rg_asprintf("%s.new.XXXXXX", path);
	int fd = tmp ? mkostemp(tmp, O_CLOEXEC) : -1;

	if (fd < 0) {
		free(tmp);
		return;
	}
	if (fchmod(fd, DB_FILE_MODE) != 0) {
		close(fd);
	} else if (close(fd) == 0 && marker_db(tmp) == 0) {
		/* EEXIST: another process's database serves; any other
		 * failure is left for SQLite to report. */
		int linked = link(tmp, path);

		(void)linked;
	}
	unlink(tmp);
	free(tmp);
}

static int first_int(void *user, const rg_value *cols, size_t n);

/*
 * Refuses a database that exists but is no rolegate directory, before
 * anything writes to it (switching to WAL would): an emptied file would
 * otherwise be given a new, empty schema, and every user would vanish.
 * Reading the schema reads the WAL too, so a new database whose pages
 * are all still in the WAL is seen whole.
 */
static int schema_present(rg_store *s, off_t size, char *err, size_t errlen)
{
	static const char objects[] = "SELECT count(*) FROM sqlite_master";
	static const char marker[] =
	    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	    "name = '" RG_STORE_MARKER "'";
	long long nobjects = 0, nmarker = 0;
	int rc;

	rc = store_query(s, objects, NULL, 0, first_int, &nobjects);
	if (rc == RG_OK)
		rc = store_query(s, marker, NULL, 0, first_int, &nmarker);
	/* A statement left open keeps a shared lock: before the switch to
	 * WAL, that would stop every other connection's writes. */
	cache_clear(s);
	if (rc != RG_OK) {
		rg_strlcpy(err, s->err, errlen);
		return rc;
	}
	if (nmarker)
		return RG_OK;
	snprintf(err, errlen, "is not a rolegate directory (no schema): %s",
	         size == 0  ? "empty file?"
	         : nobjects ? "a database of another application?"
	                    : "an empty database?");
	return RG_ECONFIG;
}

static int store_open(const char *location, unsigned flags, long busy_ms,
                      rg_store **out, char *err, size_t errlen)
{
	struct stat st;
	rg_store *s;
	int oflags = SQLITE_OPEN_NOMUTEX, rc, existed = 1;

	*out = NULL;
	if (stat(location, &st) != 0) {
		existed = 0;
		if (errno == ENOENT && !(flags & RG_STORE_CREATE)) {
			rg_strlcpy(err, "no such file", errlen);
			return RG_ENOENT;
		}
	} else if (!S_ISREG(st.st_mode)) {
		/* SQLite would block on a FIFO and misread a device. */
		snprintf(err, errlen, "is %s, not a regular file",
		         rg_file_kind(st.st_mode));
		return RG_EREFUSED;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = rg_strdup(location))) {
		free(s);
		rg_strlcpy(err, "out of memory", errlen);
		return RG_ENOMEM;
	}
	if (flags & RG_STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE; /* precreate() creates */
	if ((flags & RG_STORE_CREATE) && !existed)
		precreate(location);
	rc = sqlite3_open_v2(location, &s->db, oflags, NULL);
	rc = rc == SQLITE_OK ? RG_OK : fail(s, rc);
	if (rc == RG_OK) {
		/* Reading waits for writers as every other use does. */
		sqlite3_busy_timeout(s->db, busy_ms > 0 ? (int)busy_ms : 0);
		rc = schema_present(s, existed ? st.st_size : 0, s->err,
		                    sizeof(s->err));
	}
	if (rc == RG_OK)
		rc = configure(s, busy_ms);
	if (rc != RG_OK) {
		rg_strlcpy(err, s->err, errlen);
		cache_clear(s); /* statements a check prepared */
		sqlite3_close(s->db);
		free(s->path);
		free(s);
		return rc;
	}
	if (flags & RG_STORE_READONLY)
		s->readonly = 1;
	*out = s;
	return RG_OK;
}

static void store_close(rg_store *s)
{
	if (!s)
		return;
	cache_clear(s);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* ---- transactions ----------------------------------------------------- */

static int store_begin(rg_store *s)
{
	int rc;

	if (s->readonly) {
		set_err(s, "read-only (opened read-only)");
		return RG_EIO;
	}
	rc = store_exec(s, SQL_BEGIN, NULL, 0, NULL);
	if (rc != RG_OK || s->version_table)
		return rc;
	rc = store_exec(s, SQL_VERSION_TABLE, NULL, 0, NULL);
	if (rc == RG_OK)
		rc = store_exec(s, SQL_VERSION_ROW, NULL, 0, NULL);
	if (rc != RG_OK) {
		char keep[sizeof(s->err)];
		rg_strlcpy(keep, s->err, sizeof(keep));
		store_exec(s, SQL_ROLLBACK, NULL, 0, NULL);
		rg_strlcpy(s->err, keep, sizeof(s->err));
		return rc;
	}
	s->version_table = 1;
	return RG_OK;
}

/* Makes the stamps' table and triggers when any is missing. */
static int stamps_ready(rg_store *s)
{
	long long n = 0;
	size_t i;
	int rc;

	if (s->stamped)
		return RG_OK;
	rc = store_query(s, SQL_STAMP_TRIGGERS_EXIST, NULL, 0, first_int, &n);
	for (i = 0; rc == RG_OK && n != STAMP_TRIGGERS_COUNT && sql_stamps[i];
	     i++)
		rc = store_exec(s, sql_stamps[i], NULL, 0, NULL);
	s->stamped = rc == RG_OK;
	return rc;
}

static int store_commit(rg_store *s)
{
	int rc = stamps_ready(s);

	if (rc == RG_OK)
		rc = store_exec(s, SQL_VERSION_BUMP, NULL, 0, NULL);

	if (rc == RG_OK)
		rc = store_exec(s, SQL_COMMIT, NULL, 0, NULL);
	/* Our own commits do not move data_version: read the counter again. */
	s->version_valid = 0;
	return rc;
}

static int store_rollback(rg_store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return RG_OK; /* nothing open (SQLite may have rolled back) */
	s->version_valid = 0;
	return store_exec(s, SQL_ROLLBACK, NULL, 0, NULL);
}

/* ---- version and checks ----------------------------------------------- */

static int first_int(void *user, const rg_value *cols, size_t n)
{
	long long *out = user;

	*out = n > 0 && cols[0].type == RG_VAL_INT ? cols[0].i : 0;
	return 1;
}

static int version_row(void *user, const rg_value *cols, size_t n)
{
	uint64_t *out = user;

	if (n == 2)
		*out = rg_store_version_pack(cols[0].i, cols[1].i);
	return 1;
}

static int store_version(rg_store *s, uint64_t *out)
{
	long long dv = 0, exists = 0;
	uint64_t v = 0;
	int rc;

	rc = store_query(s, SQL_DATA_VERSION, NULL, 0, first_int, &dv);
	if (rc != RG_OK)
		return rc;
	if (s->version_valid && dv == s->data_version) {
		*out = s->version;
		return RG_OK;
	}
	/* A database no transaction has written yet has no counter. */
	rc = store_query(s, SQL_VERSION_EXISTS, NULL, 0, first_int, &exists);
	if (rc == RG_OK && exists)
		rc = store_query(s, SQL_VERSION_READ, NULL, 0, version_row, &v);
	if (rc != RG_OK)
		return rc;
	s->data_version = dv;
	s->version = v;
	s->version_valid = 1;
	*out = v;
	return RG_OK;
}

struct verify_acc {
	char *buf;
	size_t len;
	size_t count;
};

static void acc_add(struct verify_acc *a, const char *msg)
{
	size_t used = strlen(a->buf);

	if (a->count++ < VERIFY_MAX_MESSAGES && used < a->len)
		snprintf(a->buf + used, a->len - used, "%s%s", used ? "; " : "",
		         msg);
}

static int integrity_row(void *user, const rg_value *cols, size_t n)
{
	struct verify_acc *a = user;

	if (n > 0 && cols[0].s && strcmp(cols[0].s, "ok") != 0)
		acc_add(a, cols[0].s);
	return 0;
}

static int fk_row(void *user, const rg_value *cols, size_t n)
{
	struct verify_acc *a = user;
	char msg[RG_MSG_MAX];

	/* table, rowid, parent table, constraint index */
	snprintf(msg, sizeof(msg),
	         "table %s row %lld refers to a missing row of %s",
	         n > 0 && cols[0].s ? cols[0].s : "?", n > 1 ? cols[1].i : 0,
	         n > 2 && cols[2].s ? cols[2].s : "?");
	acc_add(a, msg);
	return 0;
}

static int store_verify(rg_store *s, char *err, size_t errlen)
{
	struct verify_acc a = {err, errlen, 0};
	int rc;

	if (errlen)
		err[0] = '\0';
	rc = store_query(s, "PRAGMA integrity_check", NULL, 0, integrity_row,
	                 &a);
	if (rc == RG_OK)
		rc = store_query(s, "PRAGMA foreign_key_check", NULL, 0, fk_row,
		                 &a);
	if (rc != RG_OK) {
		rg_strlcpy(err, s->err, errlen);
		return rc;
	}
	return a.count ? RG_EIO : RG_OK;
}

static const char *store_errmsg(rg_store *s)
{
	return s ? s->err : "no store";
}

const struct rg_store_ops rg_store_sqlite = {
    .name = "sqlite",
    .open = store_open,
    .close = store_close,
    .begin = store_begin,
    .commit = store_commit,
    .rollback = store_rollback,
    .exec = store_exec,
    .query = store_query,
    .version = store_version,
    .verify = store_verify,
    .errmsg = store_errmsg,
    .stamps_exist = SQL_STAMP_EXISTS,
};
