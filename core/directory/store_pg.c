/*
 * store_pg.c - the directory's store over PostgreSQL (see directory.h), for
 * deployments where several gateways on several hosts share one directory.
 *
 * The location is a libpq connection string: a URI (postgresql://...) or
 * key=value pairs.  libpq handles everything in it, multi-host lists and
 * target_session_attrs=read-write included, so a promoted standby takes
 * over when the connection is made again.  The directory lives in the
 * connection's current schema (the first of its search_path): several
 * directories, or several test runs, share one database in schemas of
 * their own.
 *
 * One connection for statements, used under the directory's mutex as
 * SQLite's is, and a second one that only LISTENs (store_wait()), used by
 * the thread that watches for changes, so that waiting never holds the
 * mutex.  A connection found broken is made again before the next
 * statement outside a transaction; within one the transaction fails, as
 * the server has rolled it back.
 *
 * Behaviour kept equal to SQLite's, and how:
 *  - one writer at a time, waiting at most busy_ms: every write
 *    transaction locks the marker table in SHARE ROW EXCLUSIVE mode (it
 *    conflicts with itself, not with readers) under lock_timeout;
 *  - a read transaction sees one state: "BEGIN" run through exec opens a
 *    REPEATABLE READ, READ ONLY transaction;
 *  - text sorts by bytes: every text column is COLLATE "C";
 *  - the version: a counter row bumped by every commit, with a random
 *    epoch chosen when the row is created, as store_sqlite.c keeps;
 *  - parameters are sent as text or bigint, as the directory gives them
 *    (a NULL as text: every column is text but the audit's sequence).
 * Every commit also sends a notification on RG_PG_CHANNEL whose payload is
 * the schema's name: the listeners of that schema re-read the version.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "directory.h"

/* Columns a query may return. */
#define MAX_COLUMNS 32
/* Prepared statements kept per connection, keyed by the SQL's address. */
#define STMT_CACHE_SIZE  128 /* a power of two */
#define STMT_CACHE_PROBE 8
#define STMT_PREFIX      "rg"
/* Statements sent in a pipeline before their answers are read. */
#define PIPELINE_MAX 4096
/* Parameters a statement may take. */
#define MAX_PARAMS   16
#define DECIMAL_MAX  24 /* a long long in decimal, with its sign */
#define DECIMAL_BASE 10
/* Seconds libpq may take to connect when the location does not say: the
 * default is to wait forever for a host that drops packets. */
#define CONNECT_TIMEOUT "5"
/* TCP keepalives, so that a server that vanished is noticed in seconds. */
#define KEEPALIVES_IDLE     "5"
#define KEEPALIVES_INTERVAL "2"
#define KEEPALIVES_COUNT    "3"

/* The column types the directory reads as integers (pg_type.h's OIDs,
 * which are fixed). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25

/* SQLSTATEs mapped to statuses. */
#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"
#define SQLSTATE_SERIALIZATION      "40001"
#define SQLSTATE_DEADLOCK           "40P01"
#define SQLSTATE_OUT_OF_MEMORY      "53200"
#define SQLSTATE_READ_ONLY_TXN      "25006"
#define SQLSTATE_CLASS_CONNECTION   "08"

/*
 * The schema of a new directory: the generic tables of directory.c's
 * schema version 2 (RG_PG_BASE_VERSION), in PostgreSQL's words.  SQLite
 * directories reached it through migrations; a PostgreSQL directory
 * starts there, and later migrations are shared.  instr() is SQLite's
 * name for strpos(), which some queries use.
 */
#define T "TEXT COLLATE \"C\" NOT NULL"
static const char *const pg_schema[] = {
    "CREATE TABLE setting (service " T ", key " T ", value " T
    ", PRIMARY KEY (service, key))",

    "CREATE TABLE org (service " T ", kind " T ", name " T
    ", PRIMARY KEY (service, kind, name))",
    "CREATE TABLE org_attr (service " T ", kind " T ", name " T ", key " T
    ", value " T ", PRIMARY KEY (service, kind, name, key), "
    "FOREIGN KEY (service, kind, name) REFERENCES org (service, kind, name) "
    "ON DELETE CASCADE)",
    "CREATE INDEX org_attr_value ON org_attr (service, key, value)",

    "CREATE TABLE users (service " T ", id " T ", name " T ", roles " T
    " DEFAULT '', attrs " T " DEFAULT '', members " T
    " DEFAULT '', PRIMARY KEY (service, id))",
    "CREATE TABLE user_attr (service " T ", user_id " T ", key " T ", value " T
    ", PRIMARY KEY (service, user_id, key), "
    "FOREIGN KEY (service, user_id) REFERENCES users (service, id) "
    "ON DELETE CASCADE)",
    "CREATE INDEX user_attr_value ON user_attr (service, key, value)",
    "CREATE TABLE member (service " T ", user_id " T ", kind " T ", name " T
    ", PRIMARY KEY (service, user_id, kind, name), "
    "FOREIGN KEY (service, user_id) REFERENCES users (service, id) "
    "ON DELETE CASCADE, "
    "FOREIGN KEY (service, kind, name) REFERENCES org (service, kind, name))",
    "CREATE INDEX member_org ON member (service, kind, name)",

    "CREATE TABLE custom_role (service " T ", id " T ", name " T
    ", description " T ", PRIMARY KEY (service, id))",
    "CREATE TABLE custom_grant (service " T ", role " T ", privilege " T
    ", PRIMARY KEY (service, role, privilege), "
    "FOREIGN KEY (service, role) REFERENCES custom_role (service, id) "
    "ON DELETE CASCADE)",
    "CREATE TABLE assignment (service " T ", user_id " T ", role " T
    ", PRIMARY KEY (service, user_id, role), "
    "FOREIGN KEY (service, user_id) REFERENCES users (service, id) "
    "ON DELETE CASCADE)",
    "CREATE INDEX assignment_role ON assignment (service, role)",

    "CREATE TABLE audit (seq BIGINT GENERATED BY DEFAULT AS IDENTITY "
    "PRIMARY KEY, at " T ", actor " T ", command " T ", service " T
    ", user_id " T ", what " T ", before " T ", after " T ")",
    "CREATE INDEX audit_at ON audit (at)",
    "CREATE INDEX audit_user ON audit (service, user_id)",

    "CREATE FUNCTION instr(haystack text, needle text) RETURNS integer "
    "LANGUAGE sql IMMUTABLE STRICT AS 'SELECT strpos(haystack, needle)'",
    NULL,
};
#undef T

static const char SQL_MARKER[] =
    "CREATE TABLE " RG_STORE_MARKER " (key TEXT COLLATE \"C\" PRIMARY KEY, "
    "value TEXT COLLATE \"C\" NOT NULL)";
static const char SQL_VERSION_TABLE[] =
    "CREATE TABLE store_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "epoch BIGINT NOT NULL, n BIGINT NOT NULL)";
static const char SQL_VERSION_ROW[] =
    "INSERT INTO store_version (id, epoch, n) "
    "VALUES (1, floor(random() * 2147483646)::bigint + 1, 0)";
static const char SQL_VERSION_BUMP[] =
    "UPDATE store_version SET n = n + 1 WHERE id = 1";
static const char SQL_VERSION_READ[] =
    "SELECT epoch, n FROM store_version WHERE id = 1";
/*
 * The stamps (struct rg_store_ops): a row trigger on each table a snapshot
 * reads gives the changed row's service the transaction's stamp, random,
 * odd (0 means none) and drawn at its first changed row (kept in a
 * setting local to the transaction), so that an import of 50,000 users
 * writes its stamp once, not 50,000 times, and any transaction, even one
 * that does not move the version, leaves a stamp no snapshot was built at.
 */
static const char SQL_STAMP_TABLE[] =
    "CREATE TABLE service_stamp (service TEXT COLLATE \"C\" PRIMARY KEY, "
    "n BIGINT NOT NULL)";
#define STAMP_WITH(row)                                                        \
	"INSERT INTO service_stamp AS s (service, n) VALUES (" row             \
	".service, st) ON CONFLICT (service) DO UPDATE SET n = EXCLUDED.n "    \
	"WHERE s.n <> EXCLUDED.n; "
#define STAMP_OLD STAMP_WITH("OLD")
#define STAMP_NEW STAMP_WITH("NEW")
/* The setting holds "xid:stamp", and a stamp serves only its own
 * transaction: a value set for a whole session or role (SET, ALTER ROLE)
 * cannot make two transactions share one. */
static const char SQL_STAMP_FUNCTION[] =
    "CREATE FUNCTION stamp_service() RETURNS trigger LANGUAGE plpgsql AS $f$ "
    "DECLARE "
    "xid text := pg_current_xact_id()::text; "
    "cur text := current_setting('rolegate.stamp', true); "
    "st bigint; "
    "BEGIN "
    "IF cur LIKE xid || ':%' THEN "
    "st := substr(cur, length(xid) + 2)::bigint; "
    "ELSE "
    "st := ('x' || substr(md5(random()::text || clock_timestamp()::text || "
    "xid), 1, 15))::bit(60)::bigint * 2 + 1; "
    "PERFORM set_config('rolegate.stamp', xid || ':' || st, true); "
    "END IF; "
    "IF TG_OP <> 'INSERT' THEN " STAMP_OLD "END IF; "
    "IF TG_OP <> 'DELETE' THEN " STAMP_NEW "END IF; "
    "RETURN NULL; END $f$";
#define STAMP_TRIGGER(t)                                                       \
	"CREATE TRIGGER stamp_" t " AFTER INSERT OR UPDATE OR DELETE ON " t    \
	" FOR EACH ROW EXECUTE FUNCTION stamp_service()",
static const char *const sql_stamps[] = {SQL_STAMP_TABLE, SQL_STAMP_FUNCTION,
                                         RG_STORE_STAMPED_TABLES(STAMP_TRIGGER)
                                             NULL};
static const char SQL_STAMP_EXISTS[] =
    "SELECT to_regclass('service_stamp') IS NOT NULL";
static const char SQL_NOTIFY[] =
    "SELECT pg_notify('" RG_PG_CHANNEL "', current_schema())";
static const char SQL_SCHEMA[] = "SELECT current_schema()";
/* What the current schema holds: its tables, and the marker among them. */
static const char SQL_TABLES[] =
    "SELECT count(*), count(*) FILTER (WHERE c.relname = '" RG_STORE_MARKER
    "') FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
    "n.oid = c.relnamespace WHERE n.nspname = current_schema() AND "
    "c.relkind IN ('r', 'p', 'v')";
static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_READ_BEGIN[] =
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_LOCK_TIMEOUT[] =
    "SELECT set_config('lock_timeout', ?1, true)";
static const char SQL_WRITE_LOCK[] =
    "LOCK TABLE " RG_STORE_MARKER " IN SHARE ROW EXCLUSIVE MODE";
static const char SQL_LISTEN[] = "LISTEN " RG_PG_CHANNEL;

struct stmt_slot {
	const char *key; /* the caller's SQL text: its address is the key */
	char *sql;       /* a copy, compared when the address matches */
	char *text;      /* rewritten for the server */
	int prepared;    /* the server has it (else it ran once, unnamed) */
};

struct rg_store {
	PGconn *conn;   /* statements */
	PGconn *listen; /* notifications (store_wait()), or NULL */
	char *location;
	char *schema; /* the current schema, the notifications' payload */
	long busy_ms;
	int readonly;
	int in_txn;
	int pipelined; /* in pipeline mode, answers unread */
	int stale;     /* the statement cache may name unprepared statements */
	size_t queued;
	struct stmt_slot cache[STMT_CACHE_SIZE];
	/* The types of the statement's parameters being sent. */
	Oid types[MAX_PARAMS];
	char err[RG_MSG_MAX];
};

/* ---- errors ----------------------------------------------------------- */

/* libpq's messages end with a newline: one line for ours. */
static void copy_message(char *dst, size_t len, const char *msg)
{
	size_t n;

	rg_strlcpy(dst, msg && *msg ? msg : "unknown error", len);
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
	for (n = 0; dst[n]; n++)
		if (dst[n] == '\n' || dst[n] == '\t')
			dst[n] = ' ';
}

/* Maps a failed result (or a connection failure) to a status, with the
 * server's message in s->err. */
static int fail(rg_store *s, const PGresult *res)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	    res ? PQresultErrorMessage(res) : PQerrorMessage(s->conn);

	copy_message(s->err, sizeof(s->err), msg);
	if (!state) /* no answer: the connection failed */
		return RG_EIO;
	if (strcmp(state, SQLSTATE_LOCK_NOT_AVAILABLE) == 0 ||
	    strcmp(state, SQLSTATE_SERIALIZATION) == 0 ||
	    strcmp(state, SQLSTATE_DEADLOCK) == 0)
		return RG_EBUSY;
	if (strcmp(state, SQLSTATE_OUT_OF_MEMORY) == 0)
		return RG_ENOMEM;
	if (strcmp(state, SQLSTATE_READ_ONLY_TXN) == 0) {
		char keep[sizeof(s->err)];
		rg_strlcpy(keep, s->err, sizeof(keep));
		rg_format(s->err, sizeof(s->err), "read-only (%s)", keep);
	}
	return RG_EIO;
}

/* ---- connections ------------------------------------------------------- */

/* The server's notices ("relation already exists, skipping") are not
 * the directory's to print on someone's terminal. */
static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A connection to location: its own settings win over our defaults. */
static PGconn *connect_to(const char *location)
{
	PGconn *conn;
	static const char *const keys[] = {
	    "connect_timeout",
	    "keepalives_idle",
	    "keepalives_interval",
	    "keepalives_count",
	    "client_encoding",
	    "fallback_application_name",
	    "dbname",
	    NULL,
	};
	const char *values[] = {
	    CONNECT_TIMEOUT,
	    KEEPALIVES_IDLE,
	    KEEPALIVES_INTERVAL,
	    KEEPALIVES_COUNT,
	    "UTF8",
	    "rolegate",
	    location,
	    NULL,
	};

	conn = PQconnectdbParams(keys, values, 1);
	if (conn)
		PQsetNoticeProcessor(conn, no_notice, NULL);
	return conn;
}

static void cache_clear(rg_store *s);

/* The connection, made again if it broke; RG_EIO when it cannot be. */
static int conn_ready(rg_store *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return RG_OK;
	if (s->in_txn) {
		/* The server rolled the transaction back with the
		 * connection: it must fail as a whole. */
		rg_format(s->err, sizeof(s->err),
		          "connection to the server lost in a transaction");
		return RG_EIO;
	}
	/* The session's prepared statements and pipeline went with it. */
	cache_clear(s);
	s->pipelined = 0;
	s->queued = 0;
	PQreset(s->conn);
	if (PQstatus(s->conn) == CONNECTION_OK)
		return RG_OK;
	copy_message(s->err, sizeof(s->err), PQerrorMessage(s->conn));
	return RG_EIO;
}

/* ---- running statements ----------------------------------------------- */

/* "?N" becomes "$N"; a '?' inside a quoted literal stays. */
static int rewrite(rg_store *s, const char *sql, char **out)
{
	char *buf = malloc(strlen(sql) + 1), *w;
	char quote = '\0';
	const char *r;

	if (!buf) {
		rg_format(s->err, sizeof(s->err), "out of memory");
		return RG_ENOMEM;
	}
	for (r = sql, w = buf; *r; r++) {
		if (quote) {
			if (*r == quote)
				quote = '\0';
		} else if (*r == '\'' || *r == '"') {
			quote = *r;
		} else if (*r == '?' && r[1] >= '0' && r[1] <= '9') {
			*w++ = '$';
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	*out = buf;
	return RG_OK;
}

static int column_values(rg_store *s, const PGresult *res, int row,
                         rg_value *vals, int ncols)
{
	int c;

	for (c = 0; c < ncols; c++) {
		const char *text = PQgetvalue(res, row, c);
		rg_value *v = &vals[c];

		v->s = NULL;
		v->i = 0;
		if (PQgetisnull(res, row, c)) {
			v->type = RG_VAL_NULL;
			continue;
		}
		switch (PQftype(res, c)) {
		case OID_BOOL:
			v->type = RG_VAL_INT;
			v->i = text[0] == 't';
			break;
		case OID_INT2:
		case OID_INT4:
		case OID_INT8:
			v->type = RG_VAL_INT;
			errno = 0;
			v->i = strtoll(text, NULL, DECIMAL_BASE);
			if (errno) {
				rg_format(s->err, sizeof(s->err),
				          "integer out of range: %s", text);
				return RG_EIO;
			}
			break;
		default:
			v->type = RG_VAL_TEXT;
			v->s = text;
			break;
		}
	}
	return RG_OK;
}

static int rows(rg_store *s, const PGresult *res, rg_row_fn fn, void *user)
{
	rg_value vals[MAX_COLUMNS];
	int ncols = PQnfields(res), nrows = PQntuples(res), r, rc = RG_OK;

	if (ncols > MAX_COLUMNS) {
		rg_format(s->err, sizeof(s->err),
		          "query returns %d columns (at most %d)", ncols,
		          MAX_COLUMNS);
		return RG_EINTERNAL;
	}
	for (r = 0; r < nrows && rc == RG_OK; r++) {
		rc = column_values(s, res, r, vals, ncols);
		if (rc == RG_OK && fn(user, vals, (size_t)ncols))
			break;
	}
	return rc;
}

/* ---- prepared statements ------------------------------------------- */

/* Forgets every prepared statement (the session's are gone, or some may
 * never have been made). */
static void cache_clear(rg_store *s)
{
	size_t i;

	for (i = 0; i < STMT_CACHE_SIZE; i++) {
		free(s->cache[i].sql);
		free(s->cache[i].text);
		s->cache[i].key = NULL;
		s->cache[i].sql = NULL;
		s->cache[i].text = NULL;
		s->cache[i].prepared = 0;
	}
	s->stale = 0;
}

/*
 * The name of the server's prepared statement for sql, in *name; *fresh is
 * set when it must be prepared first.  *text holds the rewritten SQL,
 * owned by the cache.  "" in *name: run it unnamed (the cache has no room,
 * or this is its first use).
 */
static int stmt_find(rg_store *s, const char *sql, char *name, size_t len,
                     const char **text, int *fresh)
{
	size_t home = rg_store_slot(sql, STMT_CACHE_SIZE), i;
	struct stmt_slot *slot;

	*fresh = 0;
	name[0] = '\0';
	for (i = 0; i < STMT_CACHE_PROBE; i++) {
		size_t k = (home + i) & (STMT_CACHE_SIZE - 1);
		slot = &s->cache[k];
		/* The address is the key; the text guards against an address
		 * reused by another string. */
		if (slot->key == sql && strcmp(slot->sql, sql) == 0) {
			snprintf(name, len, STMT_PREFIX "%zu", k);
			*text = slot->text;
			*fresh = !slot->prepared;
			slot->prepared = 1;
			return RG_OK;
		}
		if (!slot->key)
			break;
	}
	if (i == STMT_CACHE_PROBE)
		return RG_OK;
	slot->sql = rg_strdup(sql);
	if (!slot->sql || rewrite(s, sql, &slot->text) != RG_OK) {
		free(slot->sql);
		slot->sql = NULL;
		rg_format(s->err, sizeof(s->err), "out of memory");
		return RG_ENOMEM;
	}
	slot->key = sql;
	slot->prepared = 0;
	/* Prepared at its second use: a short run (the CLI) uses most of
	 * its statements once, and preparing would double the round trips
	 * of each.  Until then it runs unnamed. */
	*text = slot->text;
	return RG_OK;
}

/* Drops the session's prepared statements, after a failure that may have
 * left the cache naming some that were never made. */
static int forget_prepared(rg_store *s)
{
	PGresult *res = PQexec(s->conn, "DEALLOCATE ALL");
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? RG_OK : fail(s, res);

	PQclear(res);
	if (rc == RG_OK)
		cache_clear(s);
	return rc;
}

/* ---- pipelined writes -------------------------------------------------- */

/*
 * Inside a write transaction, a statement whose caller wants neither rows
 * nor a count is sent without waiting for its answer: an import of 50,000
 * users is then not 300,000 round trips.  The answers are read (drain())
 * before anything that needs one; the first failure fails that, and so
 * the transaction, which the server has aborted anyway.
 */
static int drain(rg_store *s)
{
	PGresult *res;
	int rc = RG_OK;

	if (!s->pipelined)
		return RG_OK;
	if (!PQpipelineSync(s->conn)) {
		rc = fail(s, NULL);
		goto out;
	}
	for (;;) {
		ExecStatusType st;
		res = PQgetResult(s->conn);
		if (!res) {
			if (PQstatus(s->conn) != CONNECTION_OK) {
				rc = rc == RG_OK ? fail(s, NULL) : rc;
				break;
			}
			continue; /* the end of one statement's answer */
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (rc == RG_OK && st != PGRES_COMMAND_OK &&
		    st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED)
			rc = fail(s, res);
		PQclear(res);
	}
out:
	PQexitPipelineMode(s->conn);
	s->pipelined = 0;
	/* A statement whose PREPARE was aborted does not exist. */
	if (rc != RG_OK)
		s->stale = 1;
	return rc;
}

static int send_pipelined(rg_store *s, const char *name, const char *text,
                          int fresh, int n, const char *const *values)
{
	int ok;

	if (!s->pipelined && !PQenterPipelineMode(s->conn))
		return fail(s, NULL);
	s->pipelined = 1;
	if (fresh && !PQsendPrepare(s->conn, name, text, n, s->types))
		return fail(s, NULL);
	ok = name[0]
	         ? PQsendQueryPrepared(s->conn, name, n, values, NULL, NULL, 0)
	         : PQsendQueryParams(s->conn, text, n, s->types, values, NULL,
	                             NULL, 0);
	if (!ok)
		return fail(s, NULL);
	if (++s->queued >= PIPELINE_MAX) {
		s->queued = 0;
		return drain(s);
	}
	return RG_OK;
}

/* ---- running statements ------------------------------------------------ */

/* A statement answered now: rows to fn, or the count of changed rows. */
static int send_now(rg_store *s, const char *name, const char *text, int fresh,
                    int n, const char *const *values, rg_row_fn fn, void *user,
                    long long *changes)
{
	PGresult *res;
	ExecStatusType st;
	int rc = RG_OK;

	if (fresh) {
		res = PQprepare(s->conn, name, text, n, s->types);
		st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK) {
			rc = fail(s, res);
			PQclear(res);
			s->stale = 1;
			return rc;
		}
		PQclear(res);
	}
	res = name[0] ? PQexecPrepared(s->conn, name, n, values, NULL, NULL, 0)
	              : PQexecParams(s->conn, text, n, s->types, values, NULL,
	                             NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK) {
		if (fn)
			rc = rows(s, res, fn, user);
	} else if (st == PGRES_COMMAND_OK) {
		if (changes) {
			const char *t = PQcmdTuples(res);
			*changes = *t ? strtoll(t, NULL, DECIMAL_BASE) : 0;
		}
	} else {
		rc = fail(s, res);
	}
	PQclear(res);
	return rc;
}

static int run(rg_store *s, const char *sql, const rg_value *params, size_t n,
               rg_row_fn fn, void *user, long long *changes)
{
	char digits[MAX_PARAMS][DECIMAL_MAX];
	const char *values[MAX_PARAMS];
	char name[sizeof(STMT_PREFIX) + DECIMAL_MAX];
	const char *text = NULL;
	char *own = NULL;
	size_t i;
	int rc, fresh;

	if (n > MAX_PARAMS) {
		rg_format(s->err, sizeof(s->err),
		          "statement takes %zu parameters (at most %d)", n,
		          MAX_PARAMS);
		return RG_EINTERNAL;
	}
	rc = conn_ready(s);
	if (rc == RG_OK && s->stale && !s->in_txn &&
	    PQtransactionStatus(s->conn) == PQTRANS_IDLE)
		rc = forget_prepared(s);
	if (rc == RG_OK)
		rc = stmt_find(s, sql, name, sizeof(name), &text, &fresh);
	if (rc == RG_OK && !text) {
		rc = rewrite(s, sql, &own);
		text = own;
	}
	if (rc != RG_OK)
		return rc;
	/* Typed: "?1 IS NULL OR service = ?1" leaves an untyped parameter
	 * nothing to be inferred from at its first use.  A NULL is text,
	 * which every column it is compared with or stored in is. */
	for (i = 0; i < n; i++) {
		s->types[i] = OID_TEXT;
		switch (params[i].type) {
		case RG_VAL_NULL:
			values[i] = NULL;
			break;
		case RG_VAL_INT:
			snprintf(digits[i], sizeof(digits[i]), "%lld",
			         params[i].i);
			values[i] = digits[i];
			s->types[i] = OID_INT8;
			break;
		case RG_VAL_TEXT:
			values[i] = params[i].s;
			break;
		}
	}
	if (s->in_txn && !fn && !changes)
		rc = send_pipelined(s, name, text, fresh, (int)n, values);
	else {
		rc = drain(s);
		if (rc == RG_OK)
			rc = send_now(s, name, text, fresh, (int)n, values, fn,
			              user, changes);
	}
	free(own);
	return rc;
}

/* Runs SQL without parameters or rows (the store's own statements). */
static int simple(rg_store *s, const char *sql)
{
	return run(s, sql, NULL, 0, NULL, NULL, NULL);
}

static int store_exec(rg_store *s, const char *sql, const rg_value *params,
                      size_t n, long long *changes)
{
	/* The directory's read transactions (a write one is store_begin()):
	 * one state for all their queries, as SQLite's. */
	if (strcmp(sql, SQL_BEGIN) == 0 && n == 0)
		sql = SQL_READ_BEGIN;
	return run(s, sql, params, n, NULL, NULL, changes);
}

static int store_query(rg_store *s, const char *sql, const rg_value *params,
                       size_t n, rg_row_fn fn, void *user)
{
	return run(s, sql, params, n, fn, user, NULL);
}

/* ---- opening and closing ---------------------------------------------- */

static int first_text(void *user, const rg_value *cols, size_t n)
{
	char **out = user;

	if (n > 0 && cols[0].s)
		*out = rg_strdup(cols[0].s);
	return 1;
}

static int two_ints(void *user, const rg_value *cols, size_t n)
{
	long long *out = user;

	if (n == 2) {
		out[0] = cols[0].i;
		out[1] = cols[1].i;
	}
	return 1;
}

/* The schema's tables and the version row, in one transaction. */
static int create_schema(rg_store *s)
{
	size_t i;
	int rc = simple(s, SQL_BEGIN);

	if (rc == RG_OK)
		rc = simple(s, SQL_MARKER);
	if (rc == RG_OK)
		rc = simple(s, SQL_VERSION_TABLE);
	if (rc == RG_OK)
		rc = simple(s, SQL_VERSION_ROW);
	for (i = 0; pg_schema[i] && rc == RG_OK; i++)
		rc = simple(s, pg_schema[i]);
	for (i = 0; sql_stamps[i] && rc == RG_OK; i++)
		rc = simple(s, sql_stamps[i]);
	if (rc == RG_OK)
		return simple(s, SQL_COMMIT);
	{
		char keep[sizeof(s->err)];
		rg_strlcpy(keep, s->err, sizeof(keep));
		simple(s, SQL_ROLLBACK);
		rg_strlcpy(s->err, keep, sizeof(s->err));
	}
	return rc;
}

/*
 * What the current schema is: RG_OK when it holds a directory, RG_ENOENT
 * when it is empty (the directory does not exist yet), RG_ECONFIG when it
 * holds something else, which is never written to.
 */
static int schema_state(rg_store *s, char *err, size_t errlen)
{
	long long counts[2] = {0, 0};
	int rc;

	free(s->schema);
	s->schema = NULL;
	rc = store_query(s, SQL_SCHEMA, NULL, 0, first_text, &s->schema);
	if (rc == RG_OK && !s->schema) {
		snprintf(err, errlen,
		         "has no schema to use: the first schema of the "
		         "search_path does not exist");
		return RG_ECONFIG;
	}
	if (rc == RG_OK)
		rc = store_query(s, SQL_TABLES, NULL, 0, two_ints, counts);
	if (rc != RG_OK) {
		rg_strlcpy(err, s->err, errlen);
		return rc;
	}
	if (counts[1])
		return RG_OK;
	if (counts[0]) {
		snprintf(err, errlen,
		         "is not a rolegate directory (no schema): schema "
		         "%s holds tables of another application?",
		         s->schema);
		return RG_ECONFIG;
	}
	rg_strlcpy(err, "no directory in schema", errlen);
	return RG_ENOENT;
}

static void store_close(rg_store *s)
{
	if (!s)
		return;
	cache_clear(s);
	PQfinish(s->conn);
	PQfinish(s->listen);
	free(s->location);
	free(s->schema);
	free(s);
}

static int store_open(const char *location, unsigned flags, long busy_ms,
                      rg_store **out, char *err, size_t errlen)
{
	rg_store *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->location = rg_strdup(location))) {
		free(s);
		rg_strlcpy(err, "out of memory", errlen);
		return RG_ENOMEM;
	}
	s->busy_ms = busy_ms;
	s->readonly = (flags & RG_STORE_READONLY) != 0;
	s->conn = connect_to(location);
	if (!s->conn) {
		rg_strlcpy(err, "out of memory", errlen);
		rc = RG_ENOMEM;
		goto out;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char msg[RG_MSG_MAX];
		copy_message(msg, sizeof(msg), PQerrorMessage(s->conn));
		snprintf(err, errlen, "unreachable: %s", msg);
		rc = RG_EIO;
		goto out;
	}
	rc = schema_state(s, err, errlen);
	if (rc == RG_ENOENT && (flags & RG_STORE_CREATE) && !s->readonly) {
		rc = create_schema(s);
		/* Another process created it at the same moment: its
		 * directory serves. */
		if (rc != RG_OK && schema_state(s, err, errlen) == RG_OK)
			rc = RG_OK;
		else if (rc != RG_OK)
			rg_strlcpy(err, s->err, errlen);
	}
out:
	if (rc != RG_OK) {
		store_close(s);
		return rc;
	}
	*out = s;
	return RG_OK;
}

/* ---- transactions ----------------------------------------------------- */

static int store_rollback(rg_store *s);

static int store_begin(rg_store *s)
{
	char ms[DECIMAL_MAX];
	rg_value p[] = {{RG_VAL_TEXT, 0, ms}};
	int rc;

	if (s->readonly) {
		rg_format(s->err, sizeof(s->err),
		          "read-only (opened read-only)");
		return RG_EIO;
	}
	rc = simple(s, SQL_BEGIN);
	if (rc != RG_OK)
		return rc;
	s->in_txn = 1;
	/* 0 would wait forever: wait at least a millisecond. */
	snprintf(ms, sizeof(ms), "%ld", s->busy_ms > 0 ? s->busy_ms : 1);
	rc = run(s, SQL_LOCK_TIMEOUT, p, RG_COUNTOF(p), NULL, NULL, NULL);
	if (rc == RG_OK)
		rc = simple(s, SQL_WRITE_LOCK);
	/* Waiting for the lock is the answer begin owes: read it now. */
	if (rc == RG_OK)
		rc = drain(s);
	if (rc != RG_OK) {
		char keep[sizeof(s->err)];
		rg_strlcpy(keep, s->err, sizeof(keep));
		store_rollback(s);
		rg_strlcpy(s->err, keep, sizeof(s->err));
	}
	return rc;
}

static int store_commit(rg_store *s)
{
	int rc = simple(s, SQL_VERSION_BUMP);

	if (rc == RG_OK)
		rc = simple(s, SQL_NOTIFY);
	/* Every answer first, then COMMIT's own: a commit that did not
	 * happen is never reported as one (on a new connection, COMMIT
	 * would only warn that no transaction is open). */
	if (rc == RG_OK)
		rc = drain(s);
	if (rc == RG_OK)
		rc = send_now(s, "", SQL_COMMIT, 0, 0, NULL, NULL, NULL, NULL);
	if (rc == RG_OK)
		s->in_txn = 0;
	return rc;
}

static int store_rollback(rg_store *s)
{
	int keep = drain(s); /* the answers are read; their failure is known */

	int rc = RG_OK;

	(void)keep;
	s->in_txn = 0;
	if (PQstatus(s->conn) != CONNECTION_OK)
		return RG_OK; /* gone with the connection */
	/* Unprepared, and before anything else: in an aborted transaction
	 * the server refuses every other statement. */
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		rc =
		    send_now(s, "", SQL_ROLLBACK, 0, 0, NULL, NULL, NULL, NULL);
	if (rc == RG_OK && s->stale)
		rc = forget_prepared(s);
	return rc;
}

/* ---- version, checks and waiting --------------------------------------- */

static int store_version(rg_store *s, uint64_t *out)
{
	long long v[2] = {0, 0};
	int rc = store_query(s, SQL_VERSION_READ, NULL, 0, two_ints, v);

	if (rc == RG_OK)
		*out = rg_store_version_pack(v[0], v[1]);
	return rc;
}

static int store_verify(rg_store *s, char *err, size_t errlen)
{
	char *schema = NULL;
	int rc;

	/* The server keeps its own structures and enforces every foreign
	 * key: what is left to check is that the directory is reachable. */
	if (errlen)
		err[0] = '\0';
	rc = store_query(s, SQL_SCHEMA, NULL, 0, first_text, &schema);
	free(schema);
	if (rc != RG_OK)
		rg_strlcpy(err, s->err, errlen);
	return rc;
}

static const char *store_errmsg(rg_store *s)
{
	return s ? s->err : "no store";
}

/* The listening connection, made (again) when needed.  1 when it was
 * made now: changes may have been missed meanwhile. */
static int listen_ready(rg_store *s)
{
	PGresult *res;
	int ok;

	if (s->listen && PQstatus(s->listen) == CONNECTION_OK)
		return 0;
	PQfinish(s->listen);
	s->listen = connect_to(s->location);
	if (!s->listen || PQstatus(s->listen) != CONNECTION_OK)
		return -1;
	res = PQexec(s->listen, SQL_LISTEN);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 1 : -1;
}

/* 1 when a notification for our schema is pending (all are consumed). */
static int notified(rg_store *s)
{
	PGnotify *note;
	int ours = 0;

	while ((note = PQnotifies(s->listen)) != NULL) {
		if (s->schema && strcmp(note->extra, s->schema) == 0)
			ours = 1;
		PQfreemem(note);
	}
	return ours;
}

static int store_wait(rg_store *s, int wake_fd, long timeout_ms)
{
	struct pollfd fds[2];
	int r = listen_ready(s);

	if (r < 0)
		return RG_EIO;
	if (r > 0)
		return 1; /* (re)connected: catch up */
	fds[0].fd = PQsocket(s->listen);
	fds[0].events = POLLIN;
	fds[1].fd = wake_fd;
	fds[1].events = POLLIN;
	if (notified(s))
		return 1;
	r = poll(fds, wake_fd >= 0 ? 2 : 1, (int)timeout_ms);
	if (r <= 0)
		return 0;
	if (fds[0].revents) {
		if (!PQconsumeInput(s->listen))
			return RG_EIO; /* the next call connects again */
		return notified(s);
	}
	return 0;
}

const struct rg_store_ops rg_store_pg = {
    .name = "postgresql",
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
    .wait = store_wait,
    .stamps_exist = SQL_STAMP_EXISTS,
    .base_schema_version = RG_PG_BASE_VERSION,
};
