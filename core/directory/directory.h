/*
 * directory.h - the directory's store, behind a small interface.
 *
 * The directory logic (directory.c: schema, migrations, transactions,
 * audit, reads, the rows of a snapshot; dirjson.c: import and export;
 * undo.c) speaks SQL through struct rg_store_ops only, so that a networked
 * database can be added later beside SQLite (store_sqlite.c) for deployments
 * where several gateways share one directory.  SQL is kept to what SQLite and
 * PostgreSQL both accept; parameters are written ?1, ?2, ... and a backend
 * rewrites them if it must.
 */
#ifndef ROLEGATE_DIRECTORY_H
#define ROLEGATE_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* A parameter or column value. */
typedef enum rg_value_type {
	RG_VAL_NULL,
	RG_VAL_INT,
	RG_VAL_TEXT
} rg_value_type;

typedef struct rg_value {
	rg_value_type type;
	long long i;
	const char *s; /* RG_VAL_TEXT; for columns valid during the callback */
} rg_value;

/* One result row; return non-zero to stop. */
typedef int (*rg_row_fn)(void *user, const rg_value *cols, size_t ncols);

typedef struct rg_store rg_store;

/* Open flags. */
#define RG_STORE_CREATE   0x1u /* create the database when missing */
#define RG_STORE_READONLY 0x2u /* never write */

/* The table every rolegate directory has, from its first schema on; a
 * store creates a new database with it, and the directory's schema and
 * migrations go in later (see directory.c). */
#define RG_STORE_MARKER "meta"
#define RG_STORE_MARKER_SQL                                                    \
	"CREATE TABLE IF NOT EXISTS " RG_STORE_MARKER                          \
	" (key TEXT PRIMARY KEY, value TEXT NOT NULL)"

struct rg_store_ops {
	const char *name; /* "sqlite" */
	/*
	 * Opens the store at location.  Without RG_STORE_CREATE a missing
	 * database is RG_ENOENT.  A database that exists but has no
	 * RG_STORE_MARKER table (an empty file, another application's
	 * database) is RG_ECONFIG, untouched.  A database it creates
	 * appears whole, with that table: never as an empty file.  busy_ms: how
	 * long a writer waits for another one before RG_EBUSY.  On error err
	 * says why, starting with "is " when it is about what the location is.
	 */
	int (*open)(const char *location, unsigned flags, long busy_ms,
	            rg_store **out, char *err, size_t errlen);
	void (*close)(rg_store *s);
	/* A write transaction: begin waits up to busy_ms for other writers. */
	int (*begin)(rg_store *s);
	int (*commit)(rg_store *s);
	int (*rollback)(rg_store *s);
	/* Runs a statement; *changes (may be NULL) gets the rows changed. */
	int (*exec)(rg_store *s, const char *sql, const rg_value *params,
	            size_t n, long long *changes);
	/* Runs a query, calling fn for each row. */
	int (*query)(rg_store *s, const char *sql, const rg_value *params,
	             size_t n, rg_row_fn fn, void *user);
	/* A number that changes whenever anyone commits a change. */
	int (*version)(rg_store *s, uint64_t *out);
	/* Structural checks (integrity, foreign keys); RG_OK when sound. */
	int (*verify)(rg_store *s, char *err, size_t errlen);
	/* The backend's message for the last error. */
	const char *(*errmsg)(rg_store *s);
	/*
	 * Waits up to timeout_ms for another process's commit, or for
	 * wake_fd (-1: none) to become readable.  1 when the version should
	 * be read again now (a change was announced, or the store could
	 * have missed announcements), 0 otherwise, a negative status when
	 * the store cannot be reached (the caller backs off).  Called by one
	 * thread, without the directory's mutex.  NULL: the store announces
	 * nothing, and its version is polled.
	 */
	int (*wait)(rg_store *s, int wake_fd, long timeout_ms);
	/*
	 * The stamps: a table service_stamp (service TEXT, n INT) that
	 * triggers of the database keep, giving the service of every row
	 * changed in a table a snapshot reads (RG_STORE_STAMPED_TABLES) a
	 * new random stamp, the same for a transaction's rows or not.
	 * Triggers, so that no change is missed, whoever makes it: the
	 * directory's verbs or SQL behind its back.  A query of one 0-or-1
	 * column: whether the table exists (not in a database of an older
	 * build that was not written since).
	 */
	const char *stamps_exist;
	/* A database this store creates starts at this schema version with
	 * the tables it gives (0: at none, through every migration). */
	int base_schema_version;
};

/*
 * The home slot of a statement cache of size entries (a power of two) for
 * the SQL at this address: the stores keep their prepared statements by
 * the address of the directory's constant SQL.  Fibonacci hashing; the
 * low bits of an address are alignment.
 */
static inline size_t rg_store_slot(const char *sql, size_t size)
{
	return (size_t)((((uintptr_t)sql >> 3) * 0x9e3779b97f4a7c15ull) >> 32) &
	       (size - 1);
}

/* A store's version: the random epoch of the database (below 2^31) above
 * its commit counter. */
#define RG_STORE_EPOCH_SHIFT  32
#define RG_STORE_COUNTER_MASK 0xffffffffull

static inline uint64_t rg_store_version_pack(long long epoch, long long n)
{
	return ((uint64_t)epoch << RG_STORE_EPOCH_SHIFT) |
	       ((uint64_t)n & RG_STORE_COUNTER_MASK);
}

/* The tables a snapshot reads, which the stores' triggers stamp. */
#define RG_STORE_STAMPED_TABLES(X)                                             \
	X("users")                                                             \
	X("custom_role") X("custom_grant") X("org") X("org_attr") X("setting")

extern const struct rg_store_ops rg_store_sqlite;
/* Over PostgreSQL (store_pg.c), for a location rg_location_is_pg(). */
extern const struct rg_store_ops rg_store_pg;
/* The channel of a PostgreSQL directory's announcements of commits; the
 * payload is the directory's schema. */
#define RG_PG_CHANNEL "rolegate_directory"
/* The schema version a PostgreSQL directory starts at (directory.c's
 * version 2, the generic tables). */
#define RG_PG_BASE_VERSION 2

/* ---- what context.c uses --------------------------------------------- */

struct rg_dir;

/*
 * Opens the directory at location (nothing is created: a missing database
 * is an empty directory until the first transaction creates it).  Every
 * rg_dir function is thread-safe (one connection, one mutex).
 */
int rg_dir_open(struct rg_context *ctx, const char *location,
                struct rg_dir **out, char *err, size_t errlen);
void rg_dir_close(struct rg_dir *d);
/* A version that changes with every committed change; 0 when empty. */
int rg_dir_version(struct rg_dir *d, uint64_t *out);
/*
 * Where the rows of a snapshot go: the engine builds its snapshot from them
 * (core/snapload.c), so that the store never calls into the engine.  Each
 * callback returns 0 to go on, non-zero to stop reading.  The strings are
 * valid during the call only.  Custom roles and their privileges come
 * before the users who hold them.
 */
struct rg_dir_sink {
	int (*custom_role)(void *user, const char *service, const char *id);
	int (*grant)(void *user, const char *service, const char *role,
	             const char *privilege);
	/* A user's attributes (NULL values: unset) and its roles,
	 * comma-separated (NULL or "": none). */
	int (*user)(void *user, const char *service, const char *id,
	            const rg_attr *attrs, size_t n, const char *roles);
	/* A fact of an organisation entry or a setting (kind "setting"). */
	int (*fact)(void *user, const char *service, const char *kind,
	            const char *name, const char *attr, const char *value);
	/*
	 * Both optional (NULL: every row of every service is read).  Before
	 * any row, in the same read transaction: stamp() with each stamp the
	 * store keeps (a random mark of the last change to one of the
	 * service's rows, see struct rg_store_ops), then wants() for each
	 * service of the context: its rows are read only when it answers
	 * non-zero.  Neither is called when the store keeps no stamps: then
	 * every row is read.
	 */
	int (*stamp)(void *user, const char *service, uint64_t stamp);
	int (*wants)(void *user, const char *service);
};

/*
 * Reads every service's committed data in one read transaction, handing
 * each row to sink; *version is the directory's version of what was read.
 * RG_EINTERNAL when the sink stopped it.
 */
int rg_dir_read_rows(struct rg_dir *d, const struct rg_dir_sink *sink,
                     void *user, uint64_t *version, char *err, size_t errlen);
/* Where the directory is, for messages; owned by d. */
const char *rg_dir_location(const struct rg_dir *d);
/* The store's wait (see struct rg_store_ops); RG_ENOSYS when it announces
 * nothing. */
int rg_dir_wait(struct rg_dir *d, int wake_fd, long timeout_ms);

/*
 * What the engine calls of the store.  The store is its own library,
 * librolegate-directory, which links SQLite and jansson; librolegate does
 * not link it, so that a program that only decides needs neither.  A
 * context whose configuration names a directory loads it on demand
 * (core/loader.c) and calls it through this table only; programs that
 * administer the directory link it themselves.  The table is exported as
 * RG_DIR_OPS_SYMBOL, in the library's private version node.
 *
 * Both libraries read struct rg_context, so they must come from the same
 * build: build holds the package version and RG_DIR_OPS_LAYOUT, and the
 * engine refuses a table whose build is not its own.  Bump the layout when
 * this table or struct rg_context changes between releases of one version.
 */
#define RG_DIR_OPS_SYMBOL "rg_directory_ops"
#define RG_DIR_OPS_LAYOUT "3"
#define RG_DIR_OPS_BUILD  PACKAGE_VERSION "/" RG_DIR_OPS_LAYOUT

struct rg_dir_ops {
	const char *build; /* RG_DIR_OPS_BUILD of the store's build */
	int (*open)(struct rg_context *ctx, const char *location,
	            struct rg_dir **out, char *err, size_t errlen);
	void (*close)(struct rg_dir *d);
	int (*version)(struct rg_dir *d, uint64_t *out);
	int (*read_rows)(struct rg_dir *d, const struct rg_dir_sink *sink,
	                 void *user, uint64_t *version, char *err,
	                 size_t errlen);
	const char *(*location)(const struct rg_dir *d);
	int (*wait)(struct rg_dir *d, int wake_fd, long timeout_ms);
};

#endif /* ROLEGATE_DIRECTORY_H */
