/*
 * dirimpl.h - what directory.c shares with dirjson.c and undo.c: the
 * directory handle, transactions, validation of values, and the users as
 * the database holds them.  Nothing here is seen outside core/directory/.
 */
#ifndef ROLEGATE_DIRIMPL_H
#define ROLEGATE_DIRIMPL_H

#include <pthread.h>

#include <jansson.h>

#include "directory.h"

/* Parameter values for rg_store_ops calls: text (NULL is SQL NULL). */
static inline rg_value rg_val_text(const char *s)
{
	rg_value v = {.type = s ? RG_VAL_TEXT : RG_VAL_NULL, .i = 0, .s = s};

	return v;
}

static inline rg_value rg_val_int(long long i)
{
	rg_value v = {.type = RG_VAL_INT, .i = i, .s = NULL};

	return v;
}

#define RG_TEXT(x)   rg_val_text(x)
#define RG_INT(x)    rg_val_int(x)
#define RG_NITEMS(a) RG_COUNTOF(a) /* the old name, in files being edited */

/* Longest display name and description, in bytes. */
#define RG_DIR_NAME_MAX 256
#define RG_DIR_TEXT_MAX 1024

struct rg_dir {
	struct rg_context *ctx;
	const struct rg_store_ops *ops;
	rg_store *store; /* NULL while the database does not exist */
	/* Recursive: a thread inside a transaction may read through it. */
	pthread_mutex_t lock;
	char *location; /* for messages: without a password */
	char *target;   /* what the store opens */
	long busy_ms;
	int in_txn; /* a write transaction is open (under lock) */
};

struct rg_txn {
	struct rg_context *ctx;
	struct rg_dir *dir;
	const struct rg_service *svc; /* the service operations act on */
	char *actor;
	char *command;
	int status;  /* RG_OK, or the first failure: then only abort */
	size_t nops; /* operations that changed something */
	char error[RG_MSG_MAX];
	char **warnings;
	size_t nwarnings, capwarnings;
};

/* ---- values ----------------------------------------------------------- */

/* A user id: no blank, comma or control character, < RG_ID_MAX bytes. */
int rg_dir_user_id_valid(const char *id);
/* A business unit, unit or department name: printable UTF-8 without ',',
 * no blank at either end, < RG_ID_MAX bytes. */
int rg_dir_org_name_valid(const char *name);
/* Free text: valid UTF-8 without control characters, < max bytes
 * (empty allowed when allow_empty). */
int rg_dir_text_valid(const char *s, size_t max, int allow_empty);
/* A decimal count >= 0; 1 when valid. */
int rg_dir_count_parse(const char *s, long *out);
/*
 * Checks a value of a setting, user attribute or organisation attribute
 * that svc's plugins declared (what, kind for an org attribute, name),
 * through its declaration: its type and the plugin's validate hook
 * (rg_vocab_value_check()).  RG_OK when the value passes or nothing is
 * declared under that name (the directory's own checks still apply);
 * RG_EINVAL with why in err.
 */
int rg_dir_declared_check(const struct rg_service *svc, rg_vocab_what what,
                          const char *kind, const char *name, const char *value,
                          char *err, size_t errlen);
/*
 * The service's vocabulary, as the directory reads it (org.c).  A kind the
 * service does not declare has no entry: the directory refuses it.
 */
/* The declaration of organisation kind `kind`, or NULL. */
const struct rg_vocab_entry *rg_dir_kind(const struct rg_service *svc,
                                         const char *kind);
/* The attribute an entry of kind e keeps its parent under ("parent",
 * "unit"), or NULL when the kind has no parent kind. */
const char *rg_dir_parent_key(const struct rg_vocab_entry *e);
/* 1 when kind e is a tree (its parent kind is itself). */
int rg_dir_kind_is_tree(const struct rg_vocab_entry *e);
/*
 * Checks value (not NULL) of the declared attribute or setting e as the
 * directory stores it: its type (an enum's values, an integer's minimum),
 * then the plugin's validate hook.  *stored gets the text to store: value,
 * or an integer's plain decimal text in buf ("007" is "7").  RG_EINVAL
 * with what was expected in err ("expected a whole number >= 0",
 * "expected available or unavailable", or the hook's message).  A
 * reference's target is the caller's to look up.
 */
int rg_dir_value_check(const struct rg_vocab_entry *e, const char *value,
                       char *buf, size_t buflen, const char **stored, char *err,
                       size_t errlen);
/* The names of svc's declarations of `what` (of kind, for organisation
 * attributes), after first (when not NULL), as "a, b or c" in buf; ""
 * when there is none. */
void rg_dir_vocab_names(const struct rg_service *svc, rg_vocab_what what,
                        const char *kind, const char *first, char *buf,
                        size_t len);

/* The current time, UTC ISO 8601 with milliseconds. */
void rg_dir_now(char *buf, size_t len);

/* ---- the handle ------------------------------------------------------- */

/*
 * Locks the directory for reading and opens a read transaction, so that
 * several queries see one state.  RG_OK with d->store NULL when the
 * database does not exist yet (an empty directory).  err gets the reason
 * of a failure.
 */
int rg_dir_read_begin(struct rg_context *ctx, struct rg_dir **out, char *err,
                      size_t errlen);
void rg_dir_read_end(struct rg_dir *d);
/* A query inside rg_dir_read_begin(); err gets a message naming the
 * directory. */
int rg_dir_query(struct rg_dir *d, const char *sql, const rg_value *params,
                 size_t n, rg_row_fn fn, void *user, char *err, size_t errlen);

/* ---- transactions ----------------------------------------------------- */

/* Begins a write transaction; svc may be NULL (set txn->svc later). */
int rg_dir_txn_begin(struct rg_context *ctx, const struct rg_service *svc,
                     const char *actor, const char *command, rg_txn **out,
                     char *err, size_t errlen);
/* Marks txn failed with status and a message; returns status. */
int rg_txn_fail(rg_txn *txn, int status, const char *fmt, ...) RG_PRINTF(3, 4);
/* Statements of the transaction; a failure marks it failed. */
int rg_txn_exec(rg_txn *txn, const char *sql, const rg_value *params, size_t n,
                long long *changes);
int rg_txn_query(rg_txn *txn, const char *sql, const rg_value *params, size_t n,
                 rg_row_fn fn, void *user);
/* Writes an audit row for txn->svc; before and after are stolen (NULL is
 * JSON null). */
int rg_txn_audit(rg_txn *txn, const char *user, const char *what,
                 json_t *before, json_t *after);
/* RG_OK when txn may take another operation: its status. */
int rg_dir_txn_usable(rg_txn *txn);
/* count(*) of sql with its n parameters p, into *out. */
int rg_dir_count(rg_txn *txn, const char *sql, const rg_value *p, size_t n,
                 long long *out);
/* The text of sql's first cell (*out, allocated; NULL for a NULL cell or
 * no row; *found, when not NULL, 0 when there is no row). */
int rg_dir_text(rg_txn *txn, const char *sql, const rg_value *p, size_t n,
                char **out, int *found);
/* RG_OK when user exists in txn->svc, else the txn fails (RG_ENOUSER). */
int rg_dir_need_user(rg_txn *txn, const char *user);
/* RG_OK when entry name of kind k exists, else the txn fails (RG_ENOENT)
 * naming it in the kind's words (org.c). */
int rg_dir_need_org(rg_txn *txn, const struct rg_vocab_entry *k,
                    const char *name);
/* An entry as the export writes it, with its kind (organisation entries),
 * for a record of its removal; failing that, its kind and name (or id). */
json_t *rg_dir_audit_entry(rg_txn *txn, const char *kind, const char *name);
/* What rg_txn_audit_read() reads. */
enum rg_audit_read {
	RG_AUDIT_READ_SEQ,   /* the record seq (any service) */
	RG_AUDIT_READ_UNDOS, /* every "undo" record of txn->svc, oldest first */
	RG_AUDIT_READ_LAST,  /* the newest record */
};
/* Audit records, read inside txn (it sees its own rows). */
int rg_txn_audit_read(rg_txn *txn, enum rg_audit_read which, long long seq,
                      rg_audit_fn fn, void *user);
/*
 * One service's data as the export's service object (dirjson.c): "name",
 * "settings", "org", "custom_roles" and "users", each list sorted as an
 * export sorts it.  Inside a transaction it sees the transaction's
 * changes.  *out is the caller's (json_decref).
 */
int rg_dir_service_json(struct rg_dir *d, const char *service, json_t **out,
                        char *err, size_t errlen);
/* An organisation entry of kind or, for kind "custom-role", a custom role
 * of txn->svc as the export writes it (a new reference), for the audit
 * trail; NULL when absent or out of memory. */
json_t *rg_dir_entry_json(rg_txn *txn, const char *kind, const char *name);

/* ---- values as the export writes them (dirjson.c) ---------------------- */

/* The text of a value as the export writes it, for decl (may be NULL: an
 * attribute no plugin declares): a number for an INTEGER declaration, a
 * string otherwise, null for NULL.  A new reference (NULL: no memory). */
json_t *rg_dir_value_json(const struct rg_vocab_entry *decl, const char *text);
/* A string's text, or a number's in buf; NULL for anything else. */
const char *rg_dir_scalar_text(json_t *v, char *buf, size_t len);
/* A copy of object o with its keys sorted (byte order), or NULL. */
json_t *rg_dir_json_sorted(json_t *o);
/*
 * An organisation entry of kind as the export writes it, from its name
 * and attrs (key -> text or number; null or absent: unset): "name", the
 * parent attribute when svc declares kind with a parent kind, each
 * attribute svc declares for kind (null when unset), then any other of
 * attrs that is set, sorted.  A new reference, NULL when out of memory.
 */
json_t *rg_dir_entry_shape(const struct rg_service *svc, const char *kind,
                           const char *name, json_t *attrs);

/* ---- the users' copies of their rows (see the schema) ------------------ */

/* Between the pairs of users.attrs ("key=value") and users.members
 * ("kind=name,name"): a control character, which no key, name or value
 * may hold (rg_dir_text_valid()). */
#define RG_DIR_PAIR_SEP '\x1f'

/*
 * The pairs "keys[i]=values[i]" (a NULL value is left out), sorted by key
 * and joined with RG_DIR_PAIR_SEP: allocated, "" when there is none; NULL
 * when out of memory.
 */
char *rg_dir_pairs_join(const char *const *keys, const char *const *values,
                        size_t n);
/* Rewrites users.roles, users.attrs and users.members of user from its
 * rows of assignment, user_attr and member. */
int rg_dir_user_sync(rg_txn *txn, const char *user);

/* ---- users as the database holds them --------------------------------- */

struct rg_dir_list {
	char *s; /* comma-separated, "" when empty; never NULL once read */
	size_t len, cap;
};

/* Pairs of a users row's copy, split: keys[i] has values[i]; both point
 * into buf. */
struct rg_dir_pairs {
	char *buf;
	const char **keys, **values;
	size_t n;
};

/* Splits a pairs text (rg_dir_pairs_join()) into *out; RG_ENOMEM. */
int rg_dir_pairs_split(const char *text, struct rg_dir_pairs *out);
void rg_dir_pairs_free(struct rg_dir_pairs *p);
/* The value of key among p, or NULL (p's keys are sorted). */
const char *rg_dir_pairs_find(const char *const *keys,
                              const char *const *values, size_t n,
                              const char *key);

struct rg_dir_user {
	char *service;
	char *id;
	char *name;
	struct rg_dir_list roles;           /* sorted */
	struct rg_dir_pairs attrs, members; /* users.attrs, users.members */
	struct rg_dir_list memtext;         /* users.members as text */
};

struct rg_dir_users {
	struct rg_dir_user *v;
	size_t n, cap;
};

/* Reads the users of service (all when NULL), or only user id (when not
 * NULL), sorted by service and id, inside rg_dir_read_begin(). */
int rg_dir_users_read(struct rg_dir *d, const char *service, const char *id,
                      struct rg_dir_users *out, char *err, size_t errlen);
void rg_dir_users_free(struct rg_dir_users *u);

#endif /* ROLEGATE_DIRIMPL_H */
