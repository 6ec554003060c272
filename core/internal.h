/*
 * internal.h - librolegate's private structures, shared by the files of core/
 * only.
 *
 * Ownership in one place: a context owns its services; a service owns its
 * stack entries (plugin handles) and its registry; a handle owns its
 * plugin's state (through the plugin's close) and the strings it hands out.
 * Nothing here is mutated after rg_open() returns, which is what makes
 * checks lock-free.
 */
#ifndef ROLEGATE_INTERNAL_H
#define ROLEGATE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rolegate/plugin.h>

/*
 * An engine helper that librolegate-directory calls: exported, in the
 * ROLEGATE_PRIVATE node of core/librolegate.map, and declared in no public
 * header.  Only the store, built from the same tree, may use it.
 */
#define RG_PRIVATE RG_EXTERN
#include <rolegate/rolegate.h>

#include "private/rg_prim.h"
#include "private/rg_pub.h"

#define RG_ROLE_WORDS (RG_MAX_ROLES / RG_BITSET_WORD_BITS)
#define RG_MSG_MAX    1024 /* one log line or diagnostic */
#define RG_CACHE_LINE 64

/* ---- util.c ------------------------------------------------------------ */

char *rg_strdup(const char *s);
char *rg_strndup(const char *s, size_t n);
char *rg_asprintf(const char *fmt, ...) RG_PRINTF(1, 2);
/* Copies src into dst of size n, always terminated; returns strlen(src). */
size_t rg_strlcpy(char *dst, const char *src, size_t n);
/*
 * vsnprintf() for the reasons a check writes, several times cheaper: %s,
 * %.*s, %d, %u, %ld, %lu, %zu and %% are formatted here, byte for byte as
 * vsnprintf() would; any other conversion (or a NULL string) hands the
 * whole text to vsnprintf().  Allocates nothing; returns what vsnprintf()
 * returns.
 */
int rg_vformat(char *buf, size_t size, const char *fmt, va_list ap);
/* Where rg_vformat_marks() met a stand-in: its offset in the text and
 * which of the marks it was. */
struct rg_fmt_mark {
	size_t at;
	unsigned kind;
};
/*
 * rg_vformat(), but a %s whose argument is marks[k] (by address) writes
 * nothing: its offset and k are kept in at, which has room for *nat, and
 * *nat is set to how many there were.  -1 for a conversion rg_vformat()
 * leaves to vsnprintf(), a stand-in with a precision, or more stand-ins
 * than room (nothing of buf is then to be used).
 */
int rg_vformat_marks(char *buf, size_t size, const char *fmt, va_list ap,
                     const char *const *marks, size_t nmarks,
                     struct rg_fmt_mark *at, size_t *nat);
/* rg_vformat() with the arguments given here. */
int rg_format(char *buf, size_t size, const char *fmt, ...) RG_PRINTF(3, 4);
/*
 * The n strings of parts one after the other into buf (NULL: "(null)"),
 * exactly as rg_format(buf, size, "%s%s...") would write them, without a
 * format to parse: for the reasons every check with a reason writes.
 * Returns the length of the whole text, truncated or not.
 */
size_t rg_concat(char *buf, size_t size, const char *const *parts, size_t n);
/* Appends p to an array of pointers; returns RG_OK or RG_ENOMEM. */
int rg_ptr_push(void ***arr, size_t *n, size_t *cap, void *p);
/* Directory part of path ("." when none); allocated. */
char *rg_dirname(const char *path);
/* path if absolute, else dir/path; allocated. */
char *rg_path_join(const char *dir, const char *path);
/*
 * 1 when a directory location names a PostgreSQL database: a libpq URI
 * (postgresql:// or postgres://) or key=value pairs (it starts with a
 * word and '=').  Anything else is the path of an SQLite file.
 */
int rg_location_is_pg(const char *loc);
/*
 * loc as messages and listings show it: a PostgreSQL location's password
 * (the URI's user:password@, a password= pair or parameter) is replaced
 * by "***"; a path is itself.  Allocated (NULL: no memory).
 */
char *rg_location_redact(const char *loc);
/* 1 when id is a valid identifier: [A-Za-z0-9._:-]+, < RG_ID_MAX bytes. */
int rg_id_valid(const char *id);
/* 1 when s has only letters, digits, '-' and '_' and is non-empty. */
int rg_name_valid(const char *s, size_t max);
/* Splits s in place on blanks; returns count (<= max) or -1 when more. */
int rg_split_words(char *s, char **words, int max);
/* 1 when s is 1 to max - 1 bytes of valid UTF-8 with no control character
 * (C0, DEL or C1): text a terminal shows as it is. */
int rg_text_valid(const char *s, size_t max);
/* bytes of zeroed memory, aligned to a cache line, for a large table that
 * checks read at random: on huge pages when it fills one (so that its
 * reads cost no TLB miss), advice the kernel may ignore; mapped as
 * rg_grow_big() maps.  Free it with rg_free_big(p, bytes). */
void *rg_alloc_big(size_t bytes);
/* rg_alloc_big() without the zeroing: for a caller that writes every byte
 * (zeroing megabytes it then overwrites was a visible part of a load).
 * Free it with rg_free_big(p, bytes). */
void *rg_alloc_big_raw(size_t bytes);
/* rg_grow() for an array a snapshot build fills to megabytes: from
 * RG_MAP_BYTES on, mapped memory (from a huge page on, on huge pages).
 * Grow it only so, and free it with rg_free_big() of its capacity's bytes
 * (cap * elem), which tells how it was allocated. */
int rg_grow_big(void **p, size_t *cap, size_t need, size_t elem);
void rg_free_big(void *p, size_t bytes);
/* rg_alloc_big() of n elements of elem bytes (NULL when the product does
 * not fit): what a snapshot build needs for a while.  Free it with
 * rg_free_big() of n * elem. */
void *rg_calloc_big(size_t n, size_t elem);
#define RG_GROW_BIG(arr, cap, need)                                            \
	rg_grow_big((void **)&(arr), &(cap), (need), sizeof(*(arr)))
#define RG_FREE_BIG(arr, cap) rg_free_big((arr), (cap) * sizeof(*(arr)))

#define RG_LINE_BYTES 64         /* a cache line on x86-64 and arm64 */
#define RG_HUGE_BYTES (2u << 20) /* a huge page on x86-64 and arm64 */
#define RG_PAGE_BYTES 4096u      /* a page; mmap() rounds to the real one */
/* Where glibc maps a block instead of taking it from its heap (its
 * default M_MMAP_THRESHOLD): rg_grow_big() maps its arrays from there. */
#define RG_MAP_BYTES (128u << 10)

/* ---- file.c: opening what rolegate reads --------------------------------- */

/* "a FIFO", "a directory", ... for a file's st_mode. */
RG_PRIVATE const char *rg_file_kind(mode_t mode);
/* rg_file_open() as a stdio stream to fclose(); why must not be NULL. */
int rg_file_fopen(const char *path, size_t max, FILE **out, char *why,
                  size_t whylen);

/* ---- intern.c: string -> dense index, open addressing ------------------ */

/* One slot: tag and value beside the key pointer, one cache line away. */
struct rg_intern_slot {
	const char *key; /* borrowed: the owner keeps the string; NULL: empty */
	uint32_t tag;    /* high half of the key's hash */
	uint32_t val;
};

/* An entry of a table's word index, as rg_intern_get() compares it. */
struct rg_intern_word {
	uint64_t head;   /* its first bytes (up to 8) as one word */
	uint64_t tail;   /* its last bytes (up to 8) as one word */
	const char *key; /* the slot's; NULL: an empty entry */
	uint32_t len;
	uint32_t val;
};

typedef struct rg_intern {
	struct rg_intern_slot *slots;
	size_t cap;     /* power of two, at most 2^32 */
	unsigned shift; /* 64 - log2(cap): a key's home is its hash >> shift */
	size_t count;
	/* While count <= RG_INTERN_WORDS_MAX, every key again, by length and
	 * first and last words: up to RG_INTERN_SMALL_MAX keys a list in
	 * order of insertion (wcap 0), then hashed into wcap entries (a power
	 * of two, at least twice count); NULL once there are more keys: the
	 * slots alone. */
	struct rg_intern_word *words;
	size_t wcap;
	unsigned wshift; /* word_pos()'s: 64 - log2(wcap), set with wcap */
	/* Keys past which the word index is dropped: 0 for
	 * RG_INTERN_WORDS_MAX (rg_intern_keep_words() lifts it). */
	size_t words_max;
} rg_intern;

#define RG_INTERN_SMALL_MAX 8
/* A context's services, and a service's roles and privileges in the
 * shipped policies (94 at most); a larger table has the slots alone. */
#define RG_INTERN_WORDS_MAX 128

void rg_intern_init(rg_intern *t);
void rg_intern_free(rg_intern *t);
/* Keeps the word index of t (empty) whatever its size: for a table of
 * names a check looks up by text (a plugin's departments or business
 * units, a few thousand), where a probe of the index costs half of hashing
 * the key and comparing it with strncmp().  32 bytes a key, twice over. */
void rg_intern_keep_words(rg_intern *t);
/* RG_OK, RG_EEXIST (existing value left) or RG_ENOMEM. */
int rg_intern_put(rg_intern *t, const char *key, uint32_t val);
/* dst (not initialised) as a copy of src in which the key of each value val
 * is key_of(arg, val), a string equal to src's key (the copy is not
 * checked): keys moved without hashing them again.  RG_OK or RG_ENOMEM
 * (dst empty). */
int rg_intern_rekey(rg_intern *dst, const rg_intern *src,
                    const char *(*key_of)(void *arg, uint32_t val), void *arg);
/* rg_intern_put() of key (len bytes and a NUL), whose rg_hash_mem() is h:
 * for a caller that has both already. */
int rg_intern_put_hashed(rg_intern *t, const char *key, size_t len, uint64_t h,
                         uint32_t val);
/* The value, or -1.  Read-only, allocation-free. */
long rg_intern_get(const rg_intern *t, const char *key);
/* rg_intern_slot_get() of the len bytes at key (no NUL among them, no
 * terminator needed), whose rg_hash_mem() is h. */
const struct rg_intern_slot *rg_intern_slot_get_len(const rg_intern *t,
                                                    const char *key, size_t len,
                                                    uint64_t h);
/* rg_intern_get() of the len bytes at key (no NUL among them): a key cut
 * from a longer string, looked up where it lies. */
long rg_intern_get_len(const rg_intern *t, const char *key, size_t len);
/* Starts loading the slot where a lookup of a key of hash h begins. */
void rg_intern_prefetch(const rg_intern *t, uint64_t h);
/* The first slot whose tag matches hash h, without reading any key: for
 * prefetching only (it may be another key's). */
const struct rg_intern_slot *rg_intern_slot_peek(const rg_intern *t,
                                                 uint64_t h);
/* The slot holding key, whose rg_hash_str() is h (its key pointer is the
 * one put), or NULL. */
const struct rg_intern_slot *rg_intern_slot_get(const rg_intern *t,
                                                const char *key, uint64_t h);

/* ---- registry.c -------------------------------------------------------- */

struct rg_role {
	char *id;
	char *name;
	char *description;
	unsigned flags;
	struct rg_plugin_handle *owner;
	uint64_t grants[RG_PRIV_WORDS];
	rg_roleset prereqs;
	uint32_t *prereq_list; /* in declaration order, for listings */
	size_t nprereq, capprereq;
};

struct rg_priv {
	char *id;
	size_t id_len; /* strlen(id): for the reasons the table writes */
	char *description;
	struct rg_plugin_handle *owner; /* the first declarer */
	rg_roleset granted_by;          /* every role granting it */
	rg_roleset requires;            /* roles needed besides a grant */
	uint32_t *req_list;
	size_t nreq, capreq;
	char *scope;  /* the request attribute that scopes it, or NULL */
	char **notes; /* what the product checks besides roles (1.5) */
	size_t nnotes, capnotes;
};

typedef struct rg_registry {
	struct rg_role *roles;
	size_t nroles, caproles;
	struct rg_priv *privs;
	size_t nprivs, capprivs;
	rg_intern role_ix;
	rg_intern priv_ix;
	uint64_t with_requires[RG_PRIV_WORDS]; /* privileges with nreq > 0 */
} rg_registry;

void rg_registry_init(rg_registry *r);
void rg_registry_free(rg_registry *r);
/* Adds to *set the transitive prerequisites of every role in it. */
void rg_registry_close_prereqs(const rg_registry *r, rg_roleset *set);

/* ---- status.c ---------------------------------------------------------- */

/* 1 when status is RG_OK or one of the RG_E* statuses (all negative). */
int rg_status_known(int status);

/* ---- log.c ------------------------------------------------------------- */

struct rg_context;
RG_PRIVATE void rg_log(const struct rg_context *ctx, rg_log_level level,
                       const char *fmt, ...) RG_PRINTF(3, 4);
void rg_vlog(const struct rg_context *ctx, rg_log_level level, const char *fmt,
             va_list ap) RG_PRINTF(3, 0);
/* Logs at ERR and keeps a diagnostic "file:line: message" (file may be
 * NULL, line 0 omits it).  Only while the context is being built. */
void rg_diag(struct rg_context *ctx, const char *file, unsigned line,
             const char *fmt, ...) RG_PRINTF(4, 5);
void rg_vdiag(struct rg_context *ctx, const char *file, unsigned line,
              const char *fmt, va_list ap) RG_PRINTF(4, 0);
/* Logs at WARNING and keeps a warning "file:line: message": something that
 * works, but probably not as its writer meant (rg_warning()). */
void rg_warn(struct rg_context *ctx, const char *file, unsigned line,
             const char *fmt, ...) RG_PRINTF(4, 5);
/* Parses "err", "warning", ... ; -1 when unknown. */
int rg_log_level_parse(const char *s);

/* ---- ini.c: the one inih wrapper --------------------------------------- */

/* Called for each key; line is the key's line.  Return RG_OK or an error
 * (the callback reports it). */
typedef int (*rg_ini_key_fn)(void *user, const char *section, const char *key,
                             const char *value, unsigned line);
/* Called for each syntax error, with the line and what was expected. */
typedef void (*rg_ini_error_fn)(void *user, unsigned line, const char *msg);

/* Called for each section header, with its trimmed name and line. */
typedef int (*rg_ini_section_fn)(void *user, const char *section,
                                 unsigned line);

/* Reads path (through rg_file_open(), at most RG_FILE_MAX_TEXT bytes);
 * section may be NULL.  RG_OK; RG_ECONFIG when any syntax error or
 * callback error occurred; any other status when the file could not be
 * read, and then why says why (without the path). */
int rg_ini_parse_path(const char *path, rg_ini_section_fn section,
                      rg_ini_key_fn key, rg_ini_error_fn err, void *user,
                      char *why, size_t whylen);

/* ---- stack.c ----------------------------------------------------------- */

typedef enum rg_action {
	RG_ACT_IGNORE = 0,
	RG_ACT_OK,
	RG_ACT_DONE,
	RG_ACT_BAD,
	RG_ACT_DIE,
	RG_ACT_RESET,
	RG_ACT_JUMP, /* ok, then skip `jump` entries */
} rg_action;

typedef struct rg_control {
	rg_action act[RG_RESULT_COUNT];
	unsigned jump[RG_RESULT_COUNT];
} rg_control;

/* Reports what a service's controls say that their writer may not mean:
 * jumps past the end of the stack (diagnostics), and tables that make a
 * non-allow the stack's answer or an allow a failure (warnings). */
void rg_stack_lint(struct rg_context *ctx, const struct rg_service *svc);

/* Parses a control word or table; on error writes a message into err. */
int rg_control_parse(const char *text, rg_control *out, char *err,
                     size_t errlen);
/* The control of a line that could not be parsed: every result is bad. */
void rg_control_broken(rg_control *out);

struct rg_service;
/* Runs the stack of svc on a resolved request; fills out (result, plugin,
 * reason, role, missing, trace when wanted).  Allocation-free.  preq is the
 * caller's scratch: each entry is asked with preq->handle set to its own,
 * so that no copy of the request is made per check. */
void rg_stack_run(const struct rg_service *svc, rg_plugin_request *preq,
                  unsigned flags, rg_decision *out);
/* rg_stack_run() of a stack of one entry, preq->handle, whose decide()
 * answers preq as rg_decide_rbac() does: that answer, without a call into
 * the plugin, through the same controls.  No trace. */
void rg_stack_rbac(const struct rg_service *svc, rg_plugin_request *preq,
                   unsigned flags, rg_decision *out);
struct rg_snap_service;
struct rg_scope_why;
/*
 * What the stack of svc's one entry makes of its answer res with the
 * reason why (text: its text) of a compiled scope, for the directory user
 * id of ss and the request attribute's value: rg_stack_run()'s decision,
 * written into out, when the entry's control keeps res and the reason is
 * not cut.  1 when it wrote it; 0 with out untouched (the stack decides).
 */
int rg_stack_scope(const struct rg_service *svc,
                   const struct rg_snap_service *ss, rg_result res,
                   const struct rg_scope_why *why, const char *text,
                   const char *id, const char *value, rg_decision *out);

/* ---- loader.c: every libltdl call ------------------------------------- */

typedef struct rg_module rg_module;
/* Loads NAME from dir and finds its RG_PLUGIN_SYMBOL.  On failure returns
 * an error and writes a message naming the plugin and the file into err. */
int rg_module_load(const char *dir, const char *name, rg_module **out,
                   char *err, size_t errlen);
void rg_module_unload(rg_module *m);
/* The plugin's RG_PLUGIN_SYMBOL, unread: for rg_vtable_init() only. */
const void *rg_module_symbol(const rg_module *m);
const char *rg_module_path(const rg_module *m);
/* Loads librolegate-directory, the store, and gives its table (struct
 * rg_dir_ops in directory/directory.h), checked to be of this build.  On
 * failure returns an error and writes why into err. */
struct rg_dir_ops;
/* 1 when the process has the store already: the program links it. */
int rg_store_linked(void);
int rg_store_load(rg_module **out, const struct rg_dir_ops **ops, char *err,
                  size_t errlen);

/* ---- snapshot.c: the immutable view of the directory -------------------- */

/* Attributes a user carries into decisions (see snapshot.c). */
#define RG_USER_ATTR_MAX 8

struct rg_snap_user {
	char *id;
	rg_roleset roles;
	rg_attr attrs[RG_USER_ATTR_MAX]; /* values owned here */
	size_t nattrs;
	char *block; /* after rg_snapshot_seal(): id and values, together,
	              * in the service's blocks */
};

struct rg_snap_custom {
	char *id;
	uint64_t grants[RG_PRIV_WORDS];
	const struct rg_plugin_handle *owner;
};

/* An organisation kind (or "setting") of a snapshot's facts, and how many
 * names of it there are: kinds are whatever the directory holds, so that a
 * plugin's own kinds need nothing here. */
struct rg_snap_kind {
	char *name;
	size_t count;
};

/* User attribute keys a service may have: a sealed user's block names each
 * attribute by its index in one byte (snapshot.c). */
#define RG_SNAP_KEYS_MAX 255

/* A snapshot service's decision table (table.c). */
/* Compiled scopes (subject_scopes(), ABI 1.6): the limits per service, so
 * that a rule indexes them in a byte. */
#define RG_SCOPE_KEYS  8
#define RG_SCOPE_NAMES 8

/* One scope of a tabled user: privilege priv, attribute keys[key], an
 * rg_scope_form, and for RG_SCOPE_WITHIN names[names] and [lo, hi).  No
 * padding (pad is zero): users' lists are compared as bytes. */
struct rg_scope_rule {
	uint16_t priv;
	uint8_t key;
	uint8_t form;
	uint8_t names;
	uint8_t pad[3];
	uint32_t lo;
	uint32_t hi;
	/* The reasons of its ALLOW and DENY (rg_scope_reason(), ABI 1.7):
	 * an index of the table's whys plus one; 0: none. */
	uint32_t why[2];
};

/* A compiled scope's reason: role, and text with stand-ins taken out. */
struct rg_scope_why {
	int32_t role;  /* a role index; -1: none */
	uint32_t text; /* offset in the table's why_text */
	uint16_t len;  /* bytes of text */
	uint8_t nmarks;
	uint8_t kind[RG_SCOPE_MARKS_MAX]; /* rg_scope_mark of each stand-in */
	uint16_t at[RG_SCOPE_MARKS_MAX];  /* its offset in text, ascending */
};

/* A slot's scopes: rules[first .. first + n), sorted by privilege and key;
 * users with the same list share one. */
struct rg_scope_span {
	uint32_t first;
	uint32_t n;
};

struct rg_table {
	unsigned char *slots; /* cap slots of stride bytes; NULL: none */
	size_t cap;           /* a power of two */
	size_t stride;        /* bytes per slot: privilege words, then id */
	size_t words;         /* privilege words per slot */
	size_t tabled;        /* users in the table */
	/* Per slot, when the stack is one entry with subject_rbac (ABI
	 * 1.5), else NULL: the user's index among the snapshot's users, and
	 * words bits, set where the entry's decision with a reason is
	 * rg_decide_rbac()'s (rg_table_rbac()). */
	uint32_t *users;
	uint64_t *rbac;
	/* When the stack is one entry with subject_scopes (ABI 1.6), else
	 * NULL: per slot, the user's scopes (rg_table_scope()). */
	struct rg_scope_span *spans;
	struct rg_scope_rule *rules;
	size_t nrules, rules_cap;
	char *keys[RG_SCOPE_KEYS];             /* the attribute keys, copied */
	const rg_names *names[RG_SCOPE_NAMES]; /* the plugin's, snapshot-long */
	/* The rules' reasons, each kept once, and their texts. */
	struct rg_scope_why *whys;
	size_t nwhys, whys_cap;
	char *why_text;
	size_t why_len, why_text_cap;
	/* What the stack makes of the entry's ALLOW and of its DENY. */
	uint64_t fin_allow[RG_PRIV_WORDS];
	uint64_t fin_deny[RG_PRIV_WORDS];
};

/* Bump allocation of a snapshot's loose strings (snapshot.c). */
struct rg_arena_chunk;
struct rg_arena {
	struct rg_arena_chunk *head;
};
void rg_arena_free(struct rg_arena *a);

struct rg_snap_service {
	const struct rg_service *svc;
	struct rg_snap_user *users;
	size_t nusers, capusers;
	rg_intern user_ix;
	struct rg_snap_custom *custom; /* role index = svc->reg.nroles + i */
	size_t ncustom, capcustom;
	rg_intern custom_ix;
	char **fact_keys; /* "kind\x1fname\x1fattr" */
	char **fact_values;
	uint32_t *fact_next; /* a marker's first fact, a fact's next one */
	size_t nfacts, capfacts;
	rg_intern fact_ix;
	struct rg_snap_kind *kinds; /* in the order first seen */
	size_t nkinds, capkinds;
	char **attr_keys; /* the users' attribute keys, each once */
	size_t nattr_keys, capattr_keys;
	size_t attr_next; /* where attr_key() looks first, while building */
	struct rg_table table; /* see table.c */
	void **prepared;       /* per stack entry: view_prepare()'s, or NULL */
	size_t head_words;     /* role words in each sealed user's block */
	char *blocks;          /* the sealed users' blocks, one allocation */
	size_t blocks_len;     /* its bytes, for rg_free_big() */
	struct rg_arena strings; /* users' loose strings until sealed */
	/* The directory's stamp of the rows it was built from (0: none,
	 * snapload.c): a service whose rows did not change since is not read
	 * or built again, its parts are shared by the next snapshot. */
	uint64_t stamp;
	int sealed;
	/* The snapshots holding these parts (all but this struct, which
	 * each snapshot copies): the last one frees them. */
	_Atomic unsigned long *refs;
};

struct rg_snapshot {
	uint64_t version; /* the directory's, when it was read */
	size_t nservices; /* parallel to ctx->services */
	int stamped;      /* read from a store that keeps stamps */
	struct rg_snap_service *services;
	size_t dropped; /* assignments of roles no longer known */
};

/* Builder, used while reading the directory (not on the decision path).
 * Services unknown to the context are ignored (their data is kept in the
 * directory but decides nothing here). */
struct rg_snapshot *rg_snapshot_new(const struct rg_context *ctx,
                                    uint64_t version);
void rg_snapshot_free(struct rg_snapshot *snap);
/*
 * A user and the attributes decisions read: any keys, each once (at most
 * RG_USER_ATTR_MAX; RG_ELIMIT past it).  A NULL or empty value leaves the
 * attribute unset.  Lists (a user's memberships) are one attribute whose
 * value is comma-separated.  *index is where the user was put, for its
 * roles (SIZE_MAX when it was not: an error, or a service the snapshot
 * does not hold, which is RG_OK).
 */
int rg_snapshot_add_user(struct rg_snapshot *snap, const struct rg_service *svc,
                         const char *id, const rg_attr *attrs, size_t n,
                         size_t *index);
/* Custom roles: declare every custom role before assigning any. */
int rg_snapshot_add_custom_role(struct rg_snapshot *snap, const char *service,
                                const char *id);
int rg_snapshot_add_custom_grant(struct rg_snapshot *snap, const char *service,
                                 const char *role, const char *privilege);
/* Assigns the role of len bytes at role (no NUL needed: cut from a list)
 * to the user that rg_snapshot_add_user() put at index user.  An unknown
 * role is counted in snap->dropped and otherwise ignored: forgetting a
 * role can only take privileges away. */
int rg_snapshot_add_assignment(struct rg_snapshot *snap,
                               const struct rg_service *svc, size_t user,
                               const char *role, size_t len);
/* A fact of an organisation entry: kind is any word ("setting" too). */
int rg_snapshot_add_fact(struct rg_snapshot *snap, const char *service,
                         const char *kind, const char *name, const char *attr,
                         const char *value);

/*
 * Builds a snapshot of every service's data from the directory d
 * (snapload.c); err says why not.  base (may be NULL) is the snapshot it
 * replaces: a service whose rows are what base's was built from is shared
 * with base instead of being built again.  The caller must be the only
 * one publishing (base stays alive throughout).
 */
struct rg_dir;
int rg_snapshot_load(const struct rg_context *ctx, struct rg_dir *d,
                     const struct rg_snapshot *base, struct rg_snapshot **out,
                     char *err, size_t errlen);
/* Makes service i of snap (built empty) the one of from: its parts are
 * shared, and freed with the last snapshot that holds them. */
void rg_snapshot_share(struct rg_snapshot *snap, size_t i,
                       const struct rg_snapshot *from);

/* Packs each user's id and attribute values into one block and rebuilds
 * the user index on them, so that a lookup's key compare brings the
 * attributes into cache too, lets the plugins prepare, and, with tables,
 * builds each service's decision table.  Each service is packed all or
 * nothing: on RG_ENOMEM the snapshot stays usable, partly packed. */
int rg_snapshot_seal(struct rg_snapshot *snap, int tables);

/* The roles and attributes of user, whose rg_hash_str() is h (values
 * snapshot-owned; attrs has room for RG_USER_ATTR_MAX): its index among
 * ss's users, or -1 when ss has no such user. */
long rg_snapshot_user(const struct rg_snap_service *ss, const char *user,
                      uint64_t h, rg_roleset *roles, rg_attr *attrs,
                      size_t *nattrs);
/* rg_snapshot_user() of the user whose index slot (in ss->user_ix) the
 * caller found already. */
long rg_snapshot_user_at(const struct rg_snap_service *ss,
                         const struct rg_intern_slot *slot, rg_roleset *roles,
                         rg_attr *attrs, size_t *nattrs);

/* ---- table.c: the decision table of a snapshot -------------------------- */

/* Builds ss->table from ss's sealed users; leaves it empty when the stack
 * cannot be tabled or memory is short.  Cannot fail. */
void rg_table_build(struct rg_snap_service *ss);
void rg_table_free(struct rg_table *t);
/* 1 and *result when the table decides (user, action) (no request
 * attributes, no reason); 0: decide the slow way.  Allocation-free. */
int rg_table_check(const struct rg_snap_service *ss, const char *user,
                   const char *action, rg_result *result);
/* Starts loading the memory a check of user reads (id, roles, attributes)
 * once its index slot is in the cache (rg_check_batch()). */
void rg_snapshot_prefetch_user(const struct rg_snap_service *ss, uint64_t h);
/* The debug log line of a decision the table made (check.c). */
void rg_table_log(const rg_context *ctx, const rg_request *req,
                  rg_result result);
/* Whether flags ask for a quiet check: no reason and no trace, what the
 * decision table answers (a gateway's hot path). */
static inline int rg_flags_quiet(unsigned flags)
{
	return (flags & (RG_CHECK_NO_REASON | RG_CHECK_TRACE)) ==
	       RG_CHECK_NO_REASON;
}

/* 1 when a check of req with flags is one a table answers (a directory
 * user, no request attributes, no reason, no trace). */
int rg_table_wants(const rg_request *req, unsigned flags);
/* 1 when the table of ss may answer req (asked with flags). */
int rg_table_usable(const struct rg_snap_service *ss, const rg_request *req,
                    unsigned flags);
/* Starts loading the slot of the user of hash h (rg_check_batch()). */
void rg_table_prefetch(const struct rg_snap_service *ss, uint64_t h);
/* rg_table_check() for a user of len bytes whose rg_hash_mem() is h. */
int rg_table_check_hashed(const struct rg_snap_service *ss, const char *user,
                          size_t len, uint64_t h, const char *action,
                          rg_result *result);
/* The table's answer for privilege priv (-1: none) and the user of the len
 * bytes at user, whose rg_hash_mem() is h: its slot's copy of the id
 * (NUL-terminated, snapshot-owned) and *result, or NULL when the table does
 * not hold the user (decide the slow way).  Bytes with a NUL among them
 * are never an id: NULL (the caller need not look for one first). */
const char *rg_table_lookup(const struct rg_snap_service *ss, const char *user,
                            size_t len, uint64_t h, long priv,
                            rg_result *result);
/* rg_table_lookup(), and in *user the index among ss's users of one whose
 * decision of priv with a reason is rg_decide_rbac()'s of its one stack
 * entry (rg_stack_rbac()), else -1. */
const char *rg_table_rbac(const struct rg_snap_service *ss, const char *user,
                          size_t len, uint64_t h, long priv, rg_result *result,
                          long *index);
/* The table's answer for privilege priv of the user (as rg_table_lookup())
 * asked with the one request attribute attr and no reason, from the scopes
 * its plugin compiled (ABI 1.6): the slot's id and *result, or NULL when
 * none says (decide the slow way). */
const char *rg_table_scope(const struct rg_snap_service *ss, const char *user,
                           size_t len, uint64_t h, long priv,
                           const rg_attr *attr, rg_result *result);
/* 1 when a check of req with flags is one rg_table_scope() may answer (a
 * directory user, one request attribute, no reason, no trace). */
int rg_table_scope_wants(const rg_request *req, unsigned flags);
/*
 * rg_table_scope() for a check with a reason (ABI 1.7): the one entry's own
 * answer in *result (the stack's may differ: rg_stack_scope() tells), and
 * the reason the plugin gave for it in *why, its text in *text.  The
 * user's id in the table, or NULL: no scope, or no reason for the answer
 * (an empty value has none).
 */
const char *rg_table_scope_why(const struct rg_snap_service *ss,
                               const char *user, size_t len, uint64_t h,
                               long priv, const rg_attr *attr,
                               rg_result *result,
                               const struct rg_scope_why **why,
                               const char **text);
/* 1 when a check of req with flags is one rg_table_scope_why() may
 * answer (a directory user, one request attribute, a reason, no trace). */
int rg_table_scope_why_wants(const rg_request *req, unsigned flags);
/* A 64-bit hash of s (intern.c's). */
uint64_t rg_hash_str(const char *s);
/* The same hash of the n bytes at s: rg_hash_mem(s, strlen(s)) is
 * rg_hash_str(s). */
uint64_t rg_hash_mem(const char *s, size_t n);
/* A hash of one word, every bit of it (MurmurHash3's finalizer). */
uint64_t rg_hash_mix(uint64_t h);

/* Lock-free readers: rg_snapshot_acquire() and rg_snapshot_release(),
 * inline below struct rg_context. */
/* Installs snap as current and frees the one it retires once no reader
 * holds it.  Writers only, never inside a read. */
void rg_snapshot_publish(struct rg_context *ctx, struct rg_snapshot *snap);
/* Frees the current snapshot (at close, when no reader is left). */
void rg_snapshot_clear(struct rg_context *ctx);
/* The service's part of a snapshot, or NULL. */
const struct rg_snap_service *rg_snapshot_service(const struct rg_snapshot *s,
                                                  const struct rg_service *svc);
/* The id of role index role of service svc: a declared role's, else a
 * custom role's of ss (which may be NULL); NULL when there is none. */
const char *rg_snapshot_role_id(const struct rg_service *svc,
                                const struct rg_snap_service *ss, long role);
/* A custom role in roles that grants priv for req's plugin, or -1. */
long rg_snapshot_custom_grant(const rg_plugin_request *req,
                              const rg_roleset *roles, uint32_t priv);
/* Resolves a role id in a service: base registry, then custom roles. */
long rg_snapshot_role(const struct rg_snap_service *ss,
                      const struct rg_service *svc, const char *id);
/* rg_snapshot_role() of the len bytes at id (no NUL among them), hashed
 * once for both tables. */
long rg_snapshot_role_len(const struct rg_snap_service *ss,
                          const struct rg_service *svc, const char *id,
                          size_t len);

/* ---- context.c ---------------------------------------------------------- */

/* Where a context's plugin directory came from (errors name it). */
enum rg_plugin_dir_from {
	RG_PLUGIN_DIR_BUILTIN, /* the installed plugins: no one set one */
	RG_PLUGIN_DIR_CONFIG,  /* the config's plugin_dir */
	RG_PLUGIN_DIR_OPTION,  /* rg_options.plugin_dir, over the config's */
	RG_PLUGIN_DIR_DEFAULT, /* rg_options.plugin_dir as a default */
};

struct rg_plugin_handle {
	struct rg_service *svc;
	size_t entry; /* index in svc->entries, and in a snapshot's prepared */
	char *name;
	size_t name_len; /* strlen(name): for the reasons the table writes */
	char *control_text;
	rg_control control;
	char *file;
	unsigned line;
	char *config_dir;
	rg_module *module;
	/* The core's full-size copy of the plugin's vtable (vtable.c): read
	 * only through the rg_call_* functions, but for the data members
	 * (abi_version, name, version, description).  All NULL until the
	 * plugin loaded. */
	struct rg_plugin vt;
	void *state;
	int opened;
	char **argv; /* the line's arguments, until open */
	int argc;
	int status;  /* RG_OK, or why this entry always fails */
	int refused; /* the line was refused: its service denies everything */
	char *error; /* message when status != RG_OK */
	rg_roleset own;
	void **strings; /* handed out by rg_args_parse, freed at close */
	size_t nstrings, capstrings;
};

/* ---- vocab.c: the directory vocabulary plugins declare ------------------ */

/* One declaration; which members are set depends on what (rg_vocab_info). */
struct rg_vocab_entry {
	rg_vocab_what what;
	char *name, *kind, *help;
	char *parent, *parent_attr; /* RG_VOCAB_ORG_KIND */
	char *noun;                 /* RG_VOCAB_ORG_KIND, never NULL */
	unsigned flags;
	rg_attr_type type;
	char *values, *ref;
	long min;
	rg_value_check_fn validate;
	char *role, *attrs; /* RG_VOCAB_WORKFLOW */
	const struct rg_plugin_handle *owner;
};

typedef struct rg_vocab {
	struct rg_vocab_entry *v;
	size_t n, cap;
} rg_vocab;

void rg_vocab_free(rg_vocab *v);
/* The entry of what, name (and kind for RG_VOCAB_ORG_ATTR), or NULL. */
RG_PRIVATE const struct rg_vocab_entry *rg_vocab_lookup(const rg_vocab *v,
                                                        rg_vocab_what what,
                                                        const char *kind,
                                                        const char *name);
/*
 * Checks value against e's type (enum, integer minimum) and then its
 * plugin's validate hook, the one place a hook is called from: RG_OK, or
 * RG_EINVAL with a message naming e in err.  A reference's target is the
 * directory's to check.
 */
RG_PRIVATE int rg_vocab_value_check(const struct rg_vocab_entry *e,
                                    const char *value, char *err,
                                    size_t errlen);
/* A decimal long (a leading '-' allowed); 1 when s is one. */
RG_PRIVATE int rg_vocab_integer(const char *s, long *out);

struct rg_service {
	struct rg_context *ctx;
	size_t index; /* in ctx->services, and in each snapshot's services */
	char *name;
	char *description;
	char *file;
	unsigned line;
	struct rg_plugin_handle **entries;
	size_t nentries, capentries;
	/* The first line of the service that was refused, or NULL: such a
	 * service denies everything (see stack.c). */
	const struct rg_plugin_handle *refused;
	rg_registry reg;
	rg_vocab vocab; /* what its directory holds (vocab.c) */
};

struct rg_context {
	char *config_path;
	char *config_dir;
	char *plugin_dir;
	unsigned plugin_dir_line; /* where the config set it, or 0 */
	int plugin_dir_from;      /* an enum rg_plugin_dir_from */
	rg_log_fn log;
	void *log_user;
	int log_level;
	int building; /* diagnostics are accepted only while building */
	const rg_options *opts; /* only while building */
	struct rg_service **services;
	size_t nservices, capservices;
	rg_intern service_ix;
	char **diags;
	size_t ndiags, capdiags;
	char **warns;
	size_t nwarns, capwarns;
	/* The service each diagnostic and warning is about (NULL: the whole
	 * file), parallel to diags and warns, and while building the one
	 * being read or opened now. */
	char **diag_svcs, **warn_svcs;
	size_t capdiag_svcs, capwarn_svcs;
	const char *diag_service;

	/* The directory and its snapshots (see snapshot.c for the protocol). */
	char *directory;         /* location, or NULL when none is configured */
	char *directory_shown;   /* directory without a password (messages) */
	unsigned directory_line; /* where the config set it, or 0 */
	char *state_dir;
	long refresh_ms;
	long busy_timeout_ms;
	struct rg_dir *dir; /* NULL when there is no directory */
	/* RG_OPEN_ONE_SERVICE: only this service's rows are loaded (NULL:
	 * none, for a name no service has); one_service 0: every one's. */
	int one_service;
	const struct rg_service *only;
	/* RG_OPEN_ONE_USER: of only's users, this one alone; else NULL. */
	char *only_user;
	/* RG_OPEN_FEW_CHECKS: snapshots get no decision table. */
	int few_checks;
	/* The store library dir comes from, and its table (with dir). */
	rg_module *store;
	const struct rg_dir_ops *dirops;
	/* Random at rg_open(): an rg_target names its context by address and
	 * this, so that a context opened later at the same address refuses
	 * the targets of the one closed before. */
	uint64_t id;
	pthread_mutex_t publish_lock;
	pthread_mutex_t refresh_lock;
	/* The current snapshot (a struct rg_snapshot), read lock-free. */
	struct rg_pub snap;
	/* The refresh thread. */
	pthread_t watcher;
	int watching;
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_cond;
	int stopping;
	/* Wakes a watcher waiting in the store's wait (an eventfd), or -1. */
	int watch_wake;
	/* CLOCK_MONOTONIC ms when the snapshot was last known current: the
	 * last refresh that read the directory's version (0: never). */
	_Atomic long long fresh_ms;
};

/* Whether the directory's rows of ctx's service i are loaded (see
 * RG_OPEN_ONE_SERVICE). */
static inline int rg_dir_loads(const struct rg_context *ctx, size_t i)
{
	return !ctx->one_service || (ctx->only && ctx->only->index == i);
}

/*
 * Lock-free readers (rg_pub.h): acquire returns the current snapshot (never
 * NULL while a directory is open, NULL when there is none) and a token for
 * release; a read is short (a publish waits for it).  Inline: every check
 * takes one, and a call cost a check more than the read itself.  The casts
 * are rg_pub's signature: a reader writes nothing of the context, only its
 * own thread's counter inside liburcu.
 */
static inline const struct rg_snapshot *
rg_snapshot_acquire(const struct rg_context *ctx, unsigned *token)
{
	*token = ctx->dir != NULL;
	return *token ? rg_pub_enter((struct rg_pub *)&ctx->snap) : NULL;
}

static inline void rg_snapshot_release(const struct rg_context *ctx,
                                       unsigned token)
{
	if (token)
		rg_pub_leave((struct rg_pub *)&ctx->snap);
}

/* ---- vtable.c: the one door into every plugin --------------------------- */

/*
 * Checks the ABI version of the plugin's symbol (RG_EABI for another major
 * or a newer minor, both versions named in err; RG_EPLUGIN without open or
 * decide) and copies its table into h->vt, NULL for every member newer
 * than the plugin's minor.  Nothing else reads the plugin's own table.
 */
int rg_vtable_init(struct rg_plugin_handle *h, const void *symbol, char *err,
                   size_t errlen);

/*
 * The calls.  Each says what a NULL member means; an entry whose status is
 * not RG_OK has an all-NULL table, so callers test the status first.
 */

/* open() with the line's arguments; NULL (never loaded): RG_EPLUGIN. */
int rg_call_open(struct rg_plugin_handle *h);
/* close(); NULL: open allocated nothing, nothing to free. */
void rg_call_close(struct rg_plugin_handle *h);
/* declare(); NULL: the plugin declares nothing (permit, deny), RG_OK. */
int rg_call_declare(struct rg_plugin_handle *h);
/* A validate hook h declared (rg_attr_spec): 0 accepts value; never NULL. */
int rg_call_value_check(const struct rg_plugin_handle *h, rg_value_check_fn fn,
                        const char *value, char *err, size_t errlen);

/* decide(); NULL (never loaded, or a table emptied by mistake): RG_ERROR
 * with RG_EPLUGIN, which the stack counts as a failure.  Inline: a check
 * pays no call for it, allocates nothing and takes no lock. */
static inline rg_result rg_call_decide(const struct rg_plugin_handle *h,
                                       const rg_plugin_request *req,
                                       rg_plugin_answer *ans)
{
	if (!h->vt.decide) {
		ans->status = RG_EPLUGIN;
		return RG_ERROR;
	}
	return h->vt.decide(h->state, req, ans);
}

/* validate(); NULL: the core checks the declared prerequisites itself
 * (rg_validate_prereqs()). */
int rg_call_validate(const struct rg_plugin_handle *h,
                     const rg_plugin_request *req, rg_validation *out);
/* custom_role() (ABI 1.1); NULL: RG_OK, any custom role of declared
 * privileges is accepted, as plugin.h says (the caller has checked that
 * they are declared). */
int rg_call_custom_role(const struct rg_plugin_handle *h, const char *id,
                        const uint32_t *privs, size_t n, char *reason,
                        size_t reason_size);
/*
 * Asks the service's product plugin (its first entry that declares roles)
 * whether custom role id may grant privs (indexes): RG_OK, else
 * RG_EREFUSED with the reason in msg.
 */
RG_PRIVATE int rg_custom_role_allowed(const struct rg_service *svc,
                                      const char *id, const uint32_t *privs,
                                      size_t n, char *msg, size_t len);
/* 1 when the plugin has subject_answers() (ABI 1.2). */
int rg_has_subject_answers(const struct rg_plugin_handle *h);
/* subject_answers(); NULL: RG_ENOSYS, so the subject has no decision
 * table and decide() answers each check. */
int rg_call_subject_answers(const struct rg_plugin_handle *h,
                            const rg_plugin_request *req, uint64_t *allow,
                            uint64_t *deny);
/* 1 when the plugin has subject_rbac() (ABI 1.5). */
int rg_has_subject_rbac(const struct rg_plugin_handle *h);
/* subject_rbac(); NULL: RG_ENOSYS, so no privilege of the subject is
 * answered with a reason from the decision table: decide() answers. */
int rg_call_subject_rbac(const struct rg_plugin_handle *h,
                         const rg_plugin_request *req, uint64_t *rbac);
/* 1 when the plugin has subject_scopes() (ABI 1.6). */
int rg_has_subject_scopes(const struct rg_plugin_handle *h);
/* subject_scopes(); NULL: RG_ENOSYS, so the subject has no compiled scope
 * and decide() answers every check with a request attribute. */
int rg_call_subject_scopes(const struct rg_plugin_handle *h,
                           const rg_plugin_request *req, rg_scopes *out);
/* 1 when the plugin prepares snapshots: view_prepare() and view_release()
 * (ABI 1.3; one without the other counts as neither). */
int rg_has_view_prepare(const struct rg_plugin_handle *h);
/* view_prepare(); *prepared is NULL unless it made something.  NULL: RG_OK
 * and nothing prepared, decide() works without. */
int rg_call_view_prepare(const struct rg_plugin_handle *h,
                         const rg_plugin_request *req, void **prepared);
/* view_release() of what view_prepare() made; a NULL prepared is nothing
 * to free (and a NULL member never comes with something prepared). */
void rg_call_view_release(const struct rg_plugin_handle *h, void *prepared);

/* ---- config.c ----------------------------------------------------------- */

/* Reads the configuration into ctx: settings, services and their stack lines
 * (entries not loaded yet: status/error set for bad lines).  Returns RG_OK,
 * or RG_ENOENT/RG_EIO/RG_ENOMEM when the file cannot be used at all. */
int rg_config_read(struct rg_context *ctx, char *errbuf, size_t errlen);

/* Frees a handle that was never opened (or after close). */
void rg_handle_free(struct rg_plugin_handle *h);
/* Creates a service; RG_EEXIST when the name is taken. */
int rg_service_new(struct rg_context *ctx, const char *name, const char *file,
                   unsigned line, struct rg_service **out);
/* Appends a stack entry; argv is copied.  status != RG_OK makes the entry
 * always fail with message err. */
int rg_service_add_entry(struct rg_service *svc, const char *control_text,
                         const rg_control *control, const char *plugin,
                         int argc, char *const argv[], unsigned line,
                         int status, const char *err);

/* ---- the directory's store (see core/directory/directory.h) ------------ */
struct rg_dir;

/* ---- check.c ------------------------------------------------------------ */

/*
 * What rg_plugin_request.view points to: the snapshot's part for the
 * service and the subject's index among its users (-1: not one of them, or
 * not with its own roles and attributes).
 */
struct rg_req_view {
	const struct rg_snap_service *ss;
	long user;
};

/* The snapshot's part behind req (req may be NULL), or NULL: what the
 * helpers plugins call read. */
static inline const struct rg_snap_service *
rg_request_ss(const rg_plugin_request *req)
{
	const struct rg_req_view *rv = req ? req->view : NULL;

	return rv ? rv->ss : NULL;
}

/*
 * Whether the snapshot behind req holds a fact.  When it does not, every
 * rg_fact() of req is NULL and every rg_fact_count() 0 (a kind's count
 * grows only with a fact, its name's marker): the stack tells plugins so
 * with RG_ANSWER_NO_FACTS.
 */
static inline int rg_request_has_facts(const rg_plugin_request *req)
{
	const struct rg_snap_service *ss = rg_request_ss(req);

	return ss && ss->nfacts;
}

/*
 * A resolved subject: its roles and attributes, and the directory snapshot
 * they come from (held until rg_subject_release()).
 */
struct rg_subject_view {
	const struct rg_snapshot *snap;
	unsigned slot;
	int held; /* acquired by the caller, who releases it: not ours */
	const struct rg_snap_service *ss; /* the service's part, or NULL */
	long user; /* the directory user's index in ss, or -1 */
	rg_roleset roles;
	const rg_attr *attrs; /* the user's (directory) or the request's */
	size_t nattrs;
	rg_attr user_attrs[RG_USER_ATTR_MAX]; /* a directory user's */
};

/* Resolves the subject (acquiring the snapshot); on failure fills out with
 * a deny, releases everything and returns the status. */
int rg_subject_resolve(const struct rg_context *ctx,
                       const struct rg_service *svc, const rg_subject *subject,
                       struct rg_subject_view *sv, rg_decision *out);
void rg_subject_release(const struct rg_context *ctx,
                        struct rg_subject_view *sv);

/* What rg_check_batch() already holds for a request when it has it decided:
 * the snapshot (acquired for the whole batch) and the user's hash. */
struct rg_check_known {
	const struct rg_snapshot *snap;
	uint64_t user_hash; /* rg_hash_str(subject.user) */
	/* The user's slot in the service's user index (NULL: look it up). */
	const struct rg_intern_slot *slot;
	long priv; /* the action's privilege index (-1: look it up) */
};

/* rg_check() of a request of service svc whose user (not NULL) is a
 * directory user's id to resolve, the decision table having been asked
 * already: with the snapshot and hash of known, nothing is looked up or
 * acquired twice.  The same decision, status and log line as rg_check(). */
int rg_check_known(const struct rg_context *ctx, const struct rg_service *svc,
                   const rg_request *req, unsigned flags,
                   const struct rg_check_known *known, rg_decision *out);
/* Runs a request for a resolved subject, with `roles` in place of its own
 * (explain adds roles).  Allocation-free. */
int rg_check_view(const struct rg_context *ctx, const struct rg_service *svc,
                  const rg_request *req, const struct rg_subject_view *sv,
                  const rg_roleset *roles, unsigned flags, rg_decision *out);
/* Sets a deny decision with a status and reason. */
void rg_decision_deny(rg_decision *out, int status, const char *fmt, ...)
    RG_PRINTF(3, 4);

#endif /* ROLEGATE_INTERNAL_H */
