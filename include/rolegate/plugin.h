/*
 * plugin.h - the interface between librolegate and its plugins.
 *
 * A plugin is a shared object in the configured plugin directory that exports
 * exactly one data symbol, RG_PLUGIN_SYMBOL, of type `const struct rg_plugin`.
 * Everything else in the plugin is static.  The core:
 *
 *   1. loads the object and checks abi_version against its own: the same
 *      major, and a minor no newer (else the plugin is refused);
 *   2. calls open() with the stack line's arguments;
 *   3. calls declare(), in which the plugin declares its product's roles and
 *      privileges (usually by reading a policy file with rg_policy_load());
 *      the core interns every id into a dense integer and keeps each role's
 *      privileges, and each role's prerequisites, as bitsets.  Every listing
 *      (`rolegate roles`, `privileges`, `whocan`, `diff`) is answered from
 *      what was declared;
 *   4. calls decide() for each request, from many threads at once, on the
 *      plugin's immutable state;
 *   5. calls close() when the context closes.
 *
 * Versioning follows sudo's plugin API: abi_version is (major << 16) | minor.
 * The struct is append-only; a member added in minor N is read only when the
 * plugin's minor is at least N; a NULL member means "not supported".
 *
 * Each helper's comment starts with the minor that added it, "(1.N)", and
 * the library exports it with the symbol version ROLEGATE_1.N: a plugin
 * records the newest version it calls, and a library older than that
 * refuses to load it ("version ROLEGATE_1.N not found").  A struct the
 * plugin allocates and the core fills is filled through a size the plugin
 * passes (rg_view_user_sized()), so that it can grow.
 */
#ifndef ROLEGATE_PLUGIN_H
#define ROLEGATE_PLUGIN_H

#include <stdint.h>
#include <stddef.h>

#include <rolegate/rolegate.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RG_PLUGIN_ABI_MAJOR          1
#define RG_PLUGIN_ABI_MINOR          9
#define RG_ABI_VERSION(major, minor) (((uint32_t)(major) << 16) | (minor))
#define RG_ABI_MAJOR(v)              ((uint32_t)(v) >> 16)
#define RG_ABI_MINOR(v)              ((uint32_t)(v)&0xffffu)
#define RG_PLUGIN_ABI_VERSION                                                  \
	RG_ABI_VERSION(RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR)

/* The one symbol every plugin exports. */
#define RG_PLUGIN_SYMBOL "rolegate_plugin"

/*
 * Marks the plugin's one exported symbol.  The build also hides everything
 * else (-fvisibility=hidden and -export-symbols-regex).
 */
#define RG_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Capacity of one service's registry.  Bitsets are sized by these. */
#define RG_MAX_ROLES        512
#define RG_MAX_PRIVILEGES   1024
#define RG_BITSET_WORD_BITS 64
#define RG_PRIV_WORDS       (RG_MAX_PRIVILEGES / RG_BITSET_WORD_BITS)

/* A set of role indexes of one service. */
typedef struct rg_roleset {
	uint64_t w[RG_MAX_ROLES / RG_BITSET_WORD_BITS];
} rg_roleset;

static inline int rg_roleset_has(const rg_roleset *s, uint32_t i)
{
	return i < RG_MAX_ROLES &&
	       ((s->w[i / RG_BITSET_WORD_BITS] >> (i % RG_BITSET_WORD_BITS)) &
	        1u);
}

static inline void rg_roleset_add(rg_roleset *s, uint32_t i)
{
	if (i < RG_MAX_ROLES)
		s->w[i / RG_BITSET_WORD_BITS] |= (uint64_t)1
		                                 << (i % RG_BITSET_WORD_BITS);
}

/* The core's side of one stack entry; opaque, valid from open to close. */
typedef struct rg_plugin_handle rg_plugin_handle;

/* (1.6) What subject_scopes() adds to (rg_scope_add()); core-owned, valid
 * during the call. */
typedef struct rg_scopes rg_scopes;

/*
 * One request as a plugin sees it.  Everything is owned by the core and valid
 * only during decide()/validate().
 */
typedef struct rg_plugin_request {
	const rg_plugin_handle *handle;
	const char *service;
	const char *user;        /* user id, or NULL for an ad-hoc subject */
	const rg_roleset *roles; /* the subject's roles */
	long action;             /* privilege index, -1 in validate() */
	const char *action_id;   /* NULL in validate() */
	const rg_attr *subject_attrs; /* bu, departments, units, status, ... */
	size_t nsubject_attrs;
	const rg_attr *attrs; /* request attributes: bu, department, ... */
	size_t nattrs;
	const void *view; /* core-private: the directory snapshot in use */
} rg_plugin_request;

/*
 * A plugin's answer; the core zeroes it and sets role/missing to -1.  Write
 * the reason with rg_answer(): when the caller asked for no reasons
 * (RG_ANSWER_QUIET in flags) it formats nothing, which keeps the decision
 * path cheap.
 */
typedef struct rg_plugin_answer {
	long role;    /* the role that granted, or whose grant was blocked */
	long missing; /* the missing role that blocked it */
	int status;   /* with RG_ERROR: the error (a negative RG_E* status;
	                 RG_OK becomes RG_EPLUGIN), else RG_OK.  A positive
	                 or unknown status, or an error status with an allow
	                 or abstain, makes the answer an error. */
	char reason[RG_REASON_MAX];
	unsigned flags; /* set by the core: RG_ANSWER_* */
} rg_plugin_answer;

#define RG_ANSWER_QUIET 0x1u /* no reason is wanted */
/*
 * (1.9) The directory snapshot behind the request holds no facts: there is
 * no directory, or it has no organisation data.  Every rg_fact() of the
 * request is then NULL and every rg_fact_count() 0, so a plugin that
 * would count a kind to choose between the directory and a file of its
 * own may skip asking.  A core before 1.9 never sets it; a plugin that
 * does not read it asks, and gets the same answers.
 */
#define RG_ANSWER_NO_FACTS 0x2u

/*
 * The vtable.  Members marked (1.0) exist since ABI 1.0.  Append new ones at
 * the end only.
 */
struct rg_plugin {
	uint32_t abi_version;    /* RG_PLUGIN_ABI_VERSION when built */
	const char *name;        /* the module name: use the file's (NAME.so);
	                            logs and reasons use the stack line's */
	const char *version;     /* the plugin's own version */
	const char *description; /* one line */

	/*
	 * (1.0) Parses the stack line's arguments (argv[0] is the first
	 * argument, not the plugin name; strings valid during the call only)
	 * and allocates the plugin's state, returned in *state.  Errors go to
	 * rg_plugin_error(); return RG_OK or a negative status.  On error the
	 * core does not call close().  Required.
	 */
	int (*open)(rg_plugin_handle *h, int argc, char *const argv[],
	            void **state);

	/* (1.0) Frees the state.  May be NULL when open allocates nothing. */
	void (*close)(void *state);

	/*
	 * (1.0) Declares roles and privileges (rg_declare_*, rg_grant,
	 * rg_require_*, or rg_policy_load()).  Called once, after open.
	 * NULL: the plugin declares nothing (e.g. permit, deny).
	 */
	int (*declare)(void *state, rg_plugin_handle *h);

	/*
	 * (1.0) Decides one request: RG_ALLOW, RG_DENY, RG_ABSTAIN or RG_ERROR,
	 * with a reason in ans.  Called from many threads at once: treat state
	 * as read-only, take no lock, allocate nothing.  Required.  The answer
	 * follows from the state, the request (its subject included) and the
	 * service's directory facts (rg_fact()), never from another directory
	 * user's row: rg_view_user() is view_prepare()'s, and a context for
	 * one user's questions holds that user's row alone
	 * (RG_OPEN_ONE_USER).
	 */
	rg_result (*decide)(const void *state, const rg_plugin_request *req,
	                    rg_plugin_answer *ans);

	/*
	 * (1.0) Reports every unmet prerequisite of req->roles with
	 * rg_validation_add().  NULL: the core checks the declared
	 * prerequisites itself (rg_validate_prereqs()).
	 */
	int (*validate)(const void *state, const rg_plugin_request *req,
	                rg_validation *out);

	/*
	 * (1.1) May an administrator create custom role `id` granting these
	 * privileges (indexes) in this plugin's service?  Return RG_OK, or
	 * RG_EREFUSED with a reason in `reason` (e.g. the edition has no
	 * custom roles, or a privilege custom roles may not hold).  NULL:
	 * any custom role of declared privileges is accepted.
	 */
	int (*custom_role)(const void *state, const rg_plugin_handle *h,
	                   const char *id, const uint32_t *privs, size_t n,
	                   char *reason, size_t reason_size);

	/*
	 * (1.2) Answers, in one call, every request of one subject that
	 * carries no request attributes: for each privilege p declared in
	 * the service, set bit p of allow when decide() would answer ALLOW
	 * for (this subject, p, no request attributes), bit p of deny when it
	 * would answer DENY; a privilege in neither is ABSTAIN.  The arrays
	 * have RG_PRIV_WORDS words, zeroed by the core.  req is what decide()
	 * would get without the action: handle, service, user, roles,
	 * subject_attrs and view are set; action is -1, action_id NULL and
	 * there are no request attributes.
	 *
	 * The core calls it while it builds a directory snapshot, once per
	 * directory user, and keeps what the stack makes of the answers in a
	 * decision table: a later check of that user without request
	 * attributes and without a reason (RG_CHECK_NO_REASON) is then a bit
	 * test.  So the answers must be exactly decide()'s, and may depend
	 * on nothing but the plugin's state, req and the snapshot (rg_fact());
	 * a plugin whose decisions depend on anything else (the time, a
	 * remote service) leaves this NULL.  Return RG_OK, or an error (or a
	 * subject decide() would answer ERROR for): the core then has no
	 * table for that subject and asks decide() each time.  Same threading
	 * rules as decide().  NULL: not supported.
	 */
	int (*subject_answers)(const void *state, const rg_plugin_request *req,
	                       uint64_t *allow, uint64_t *deny);

	/*
	 * (1.3) Works out once per directory snapshot what decide() would
	 * otherwise work out from the snapshot on every check: its own index
	 * of the directory's units or departments, each user's attributes
	 * checked once.  The core calls it while it builds a snapshot, after
	 * the users are in place and before any check reads the snapshot,
	 * once per stack entry that opened, with handle, service and view set
	 * (no subject, action -1); rg_view_user_count() and rg_view_user()
	 * read the users.  Put what it made in *prepared (NULL: nothing).
	 * While that snapshot is in use, rg_request_prepared() gives it to
	 * decide() and subject_answers(), and rg_request_user_index() the
	 * subject's index among the users.
	 *
	 * It must follow from the plugin's state and the snapshot alone, and
	 * decide() must answer with it exactly as without it: ad-hoc subjects,
	 * an explain that tries other roles and a snapshot whose preparation
	 * failed have none.  Return RG_OK, or an error: the core logs it and
	 * decide() works without.  Called from one thread at a time, never
	 * during open() or close(); same state rules as decide().  NULL: not
	 * supported.
	 */
	int (*view_prepare)(const void *state, const rg_plugin_request *req,
	                    void **prepared);

	/*
	 * (1.3) Frees what view_prepare() put in *prepared (never NULL here)
	 * when its snapshot goes, which is always before close().  Required
	 * with view_prepare.
	 */
	void (*view_release)(const void *state, void *prepared);

	/*
	 * (1.5) Which privileges decide() answers for one subject exactly as
	 * rg_decide_rbac() does, when asked with a reason and without request
	 * attributes: the same result, status, role, missing role and reason,
	 * byte for byte.  Set bit p of rbac for each such privilege p (the
	 * array has RG_PRIV_WORDS words, zeroed by the core; bits of
	 * privileges the service does not declare are ignored).  req is what
	 * subject_answers() gets, and may be read the same way: a prepared
	 * directory user is the usual case (rg_request_prepared(),
	 * rg_request_user_index()).
	 *
	 * The core calls it while it builds a directory snapshot, once per
	 * directory user, when the service's stack is this one entry and it
	 * has subject_answers.  A later check of that user and a marked
	 * privilege, with a reason, no request attribute and no trace, is
	 * then answered from the decision table and rg_decide_rbac() run by
	 * the core, without decide(): so a bit may be set only where that is
	 * decide()'s own answer, and the same rules as for subject_answers()
	 * hold.  A bit left clear costs nothing but speed.  Return RG_OK, or
	 * an error: no privilege of that subject is taken this way.  NULL:
	 * none is.
	 */
	int (*subject_rbac)(const void *state, const rg_plugin_request *req,
	                    uint64_t *rbac);

	/*
	 * (1.6) How decide() answers one subject's requests that carry
	 * exactly one attribute, when no reason is wanted: for each
	 * privilege and attribute key it can say so for, one or more
	 * rg_scope_add() calls on out (see rg_scope_form).  req is what
	 * subject_answers() gets, and may be read the same way: a prepared
	 * directory user is the usual case.
	 *
	 * The core calls it while it builds a directory snapshot, once per
	 * directory user it tables, when the service's stack is this one
	 * entry.  A later check of that user, a privilege and one request
	 * attribute that a call describes, without a reason or trace, is
	 * then answered by the core from what was added here and the
	 * decision table, without decide(): so a scope may be added only
	 * where it is decide()'s own answer, by the same rules as for
	 * subject_answers().  What is not added costs nothing but speed.
	 * Return RG_OK, or an error: nothing added for that subject is used.
	 * NULL: no scope is compiled.
	 */
	int (*subject_scopes)(const void *state, const rg_plugin_request *req,
	                      rg_scopes *out);
};

/* ---- Helpers the core offers plugins ---------------------------------- */

/* (1.0) The plugin's name as configured, for messages; handle-owned. */
RG_EXTERN const char *rg_plugin_name(const rg_plugin_handle *h);

/* (1.0) The directory of the config file that named this plugin;
 * handle-owned. */
RG_EXTERN const char *rg_plugin_config_dir(const rg_plugin_handle *h);

/* (1.0) Logs one line, prefixed with the plugin's name. */
RG_EXTERN void rg_plugin_log(const rg_plugin_handle *h, rg_log_level level,
                             const char *fmt, ...) RG_PRINTF(3, 4);

/*
 * (1.0) Reports a problem found while opening: logs it and keeps it as a
 * context diagnostic "file:line: plugin: message".  file may be NULL (then the
 * stack line's position is used); line 0 omits the line.
 */
RG_EXTERN void rg_plugin_error(rg_plugin_handle *h, const char *file,
                               unsigned line, const char *fmt, ...)
    RG_PRINTF(4, 5);

/* (1.0) Fills ans->reason, truncating to RG_REASON_MAX. */
RG_EXTERN void rg_answer(rg_plugin_answer *ans, const char *fmt, ...)
    RG_PRINTF(2, 3);

/* (1.0) The value of key among attrs, or NULL.  Allocates nothing. */
RG_EXTERN const char *rg_attr_get(const rg_attr *attrs, size_t n,
                                  const char *key);

/* (1.0) 1 when item is one of the comma-separated values in list.  No
 * allocation. */
RG_EXTERN int rg_list_contains(const char *list, const char *item);

/*
 * (1.4) The plugin ABI version of the library the plugin is loaded into,
 * RG_ABI_VERSION(major, minor): RG_PLUGIN_ABI_VERSION as the core was built.
 * The core loads only plugins of its own major, so a plugin that can use
 * something newer than the oldest core it supports asks this before it
 * does.  (Calling it already needs a 1.4 library: the plugin's link records
 * ROLEGATE_1.4, and an older library refuses to load it.)
 */
RG_EXTERN uint32_t rg_core_abi_version(void);

/* ---- Arguments --------------------------------------------------------- */

typedef enum rg_arg_type {
	RG_ARG_STRING, /* NAME=VALUE; dest is const char ** */
	RG_ARG_PATH,   /* NAME=PATH, relative to the config's directory;
	                  dest is const char ** (absolute) */
	RG_ARG_BOOL,   /* NAME, NAME=yes|no|true|false|1|0; dest is int * */
	RG_ARG_INT,    /* NAME=N (decimal, >= 0); dest is long * */
	RG_ARG_ENUM,   /* NAME=one of choices; dest is int * (its index) */
} rg_arg_type;

typedef struct rg_argspec {
	const char *name;
	rg_arg_type type;
	int required;
	const char *const *choices; /* RG_ARG_ENUM: NULL-terminated */
	void *dest;
} rg_argspec;

/*
 * (1.0) Parses argv against specs (terminated by a spec with name NULL).
 * Unknown, repeated, malformed or missing arguments are reported with
 * rg_plugin_error() and make it return RG_EINVAL.  Strings stored through dest
 * are owned by the handle and valid until close.
 */
RG_EXTERN int rg_args_parse(rg_plugin_handle *h, int argc, char *const argv[],
                            const rg_argspec *specs);

/* ---- The registry ------------------------------------------------------ */

/*
 * (1.0) Declares a privilege; *out (may be NULL) gets its index.  A privilege
 * id already declared by another plugin of the service is shared (RG_OK); one
 * this plugin declared already gives RG_EEXIST.  Ids: letters, digits and
 * "._-:", at most RG_ID_MAX - 1 bytes.
 */
RG_EXTERN int rg_declare_privilege(rg_plugin_handle *h, const char *id,
                                   const char *description, uint32_t *out);

/* (1.0) Declares a role owned by this plugin; RG_EEXIST if the id is taken. */
RG_EXTERN int rg_declare_role(rg_plugin_handle *h, const char *id,
                              const char *name, const char *description,
                              unsigned flags, uint32_t *out);

/* (1.0) Role `role` (this plugin's) grants privilege `priv`. */
RG_EXTERN int rg_grant(rg_plugin_handle *h, uint32_t role, uint32_t priv);

/* (1.0) Role `role` requires role `prereq` to be effective. */
RG_EXTERN int rg_require_role(rg_plugin_handle *h, uint32_t role,
                              uint32_t prereq);

/* (1.0) Privilege `priv` requires role `role` besides a grant.  Only the plugin
 * that declared the privilege first may (else RG_EREFUSED): a plugin may
 * work its decisions out ahead and must not have them changed under it. */
RG_EXTERN int rg_require_for_privilege(rg_plugin_handle *h, uint32_t priv,
                                       uint32_t role);

/* (1.0) Index of a role or privilege id in this service, or -1. */
RG_EXTERN long rg_find_role(const rg_plugin_handle *h, const char *id);
RG_EXTERN long rg_find_privilege(const rg_plugin_handle *h, const char *id);

/* (1.0) Id of an index; NULL when out of range.  Context-owned. */
RG_EXTERN const char *rg_role_id(const rg_plugin_handle *h, uint32_t role);
RG_EXTERN const char *rg_privilege_id(const rg_plugin_handle *h, uint32_t priv);

/* (1.0) The roles this plugin declared, as a set. */
RG_EXTERN const rg_roleset *rg_own_roles(const rg_plugin_handle *h);

/* (1.0) 1 when role `role` directly grants `priv`. */
RG_EXTERN int rg_role_has_privilege(const rg_plugin_handle *h, uint32_t role,
                                    uint32_t priv);

/* (1.1) The RG_ROLE_* flags of a declared role (0 when out of range). */
RG_EXTERN unsigned rg_role_flags(const rg_plugin_handle *h, uint32_t role);

/*
 * How a subject holds a privilege through this plugin's roles.
 *  role:    a role of the subject that grants it with every prerequisite
 *           met, or -1;
 *  blocked: when role is -1, a role of the subject that grants it but lacks
 *           a prerequisite, or -1;
 *  missing: the prerequisite `blocked` lacks (a role), or -1.
 * The plugin allocates it and rg_effective() fills it: these three (1.0)
 * members only.  A member appended in minor N will be written only for a
 * plugin whose minor (req->handle's) is at least N, so the struct can grow.
 */
typedef struct rg_grant_info {
	long role;
	long blocked;
	long missing;
} rg_grant_info;

/*
 * (1.0) Fills *out and returns 1 when `roles` (req->roles, or a set derived
 * from it) hold `priv` effectively through req->handle's roles, including the
 * custom roles an administrator created for the service, else 0.  Allocation-
 * and lock-free.
 */
RG_EXTERN int rg_effective(const rg_plugin_request *req,
                           const rg_roleset *roles, uint32_t priv,
                           rg_grant_info *out);

/* (1.1) Id of a role index of the request's service, custom roles included. */
RG_EXTERN const char *rg_request_role_id(const rg_plugin_request *req,
                                         long role);

/*
 * (1.4) Privilege `priv` is scoped by the request attribute `attribute`
 * (e.g. a Rocket.Chat monitor's view-livechat-analytics by "department"):
 * asked without it, the privilege reaches further than one scope.  Tools
 * read it (rg_privilege_scope()) to warn about questions that leave it out;
 * decisions do not change.  RG_OK when declared (or declared the same
 * already), RG_EEXIST when scoped by another attribute, RG_EINVAL for an
 * unknown privilege or a bad id.  Only while declaring (init/declare).
 */
RG_EXTERN int rg_declare_scope(rg_plugin_handle *h, uint32_t priv,
                               const char *attribute);

/*
 * (1.5) A note on privilege `priv`: something the product checks besides
 * roles, which rolegate cannot see (a licence, an app's role association,
 * an assignment to an app profile), so that `rolegate explain` does not let
 * an administrator think roles are all.  text is one line of UTF-8 without
 * control characters, shorter than RG_NOTE_MAX bytes; it is copied.  Notes
 * are listed in declaration order (rg_privilege_note()); the same text
 * again is RG_OK and kept once.  RG_EINVAL for an unknown privilege or bad
 * text.  Only while declaring (init/declare).  Decisions do not change.
 */
RG_EXTERN int rg_declare_note(rg_plugin_handle *h, uint32_t priv,
                              const char *text);

/*
 * ---- The directory's vocabulary (1.5) ----
 *
 * What the directory keeps for the plugin's product, declared while
 * declaring (init/declare) and read back by the core's directory, its CLI
 * and daemon (rg_vocab_at() in <rolegate/rolegate.h>): the directory
 * validates every value against these declarations, builds its facts
 * (rg_fact()) from them, and the CLI makes its verbs of them.  Each spec
 * starts with its size (sizeof as the plugin was built), so that it can
 * grow; zero-initialise it.  Declaring what the service already holds, the
 * same, is RG_OK (a plugin stacked twice); another plugin's different
 * declaration of a name is RG_EEXIST, with a diagnostic naming both, and
 * fails the entry (fail closed).  Names are ids (no blank, comma or
 * control character, < RG_ID_MAX bytes).  RG_EINVAL for a bad name or
 * spec, named in a diagnostic.
 */

/*
 * Checks a value the directory is about to store, after the core checked
 * its type: 0 to accept it, else non-zero with a message in err.  Called
 * with the declaring entry's state, from the writing thread, inside its
 * transaction: it must not call back into the directory.
 */
typedef int (*rg_value_check_fn)(void *state, const char *value, char *err,
                                 size_t errlen);

/* A kind of organisation entry. */
typedef struct rg_org_kind_spec {
	size_t size; /* sizeof(rg_org_kind_spec) */
	/* The parent kind; NULL: none; the kind itself: a tree. */
	const char *parent;
	/* The parent as a fact and a CLI option ("unit" for a department in
	 * a unit); NULL: "parent". */
	const char *parent_attr;
	unsigned flags;      /* RG_ORG_* of <rolegate/rolegate.h> */
	const char *summary; /* one line for help texts */
	/* (1.5) An entry's name in words, for messages ("business unit");
	 * NULL: the kind itself. */
	const char *noun;
} rg_org_kind_spec;

/* An attribute of an organisation entry or a user, or a setting. */
typedef struct rg_attr_spec {
	size_t size; /* sizeof(rg_attr_spec) */
	rg_attr_type type;
	const char *values;         /* RG_ATTR_ENUM: comma-separated */
	long min;                   /* RG_ATTR_INTEGER */
	const char *ref;            /* RG_ATTR_REF: the organisation kind */
	rg_value_check_fn validate; /* may be NULL */
	const char *help;           /* one line for help texts */
} rg_attr_spec;

/* A role workflow: `rolegate NOUN add|edit|remove SERVICE USER`. */
typedef struct rg_workflow_spec {
	size_t size;      /* sizeof(rg_workflow_spec) */
	const char *role; /* the role it assigns and removes */
	/* The membership kind it edits (RG_ORG_MEMBERS), or NULL. */
	const char *kind;
	const char *attrs;   /* user attributes it edits, comma-separated */
	const char *summary; /* one line for help texts */
} rg_workflow_spec;

/* (1.5) Declares an organisation kind. */
RG_EXTERN int rg_declare_org_kind(rg_plugin_handle *h, const char *kind,
                                  const rg_org_kind_spec *spec);

/* (1.5) Declares an attribute of the entries of kind (declared before).
 * id, name, parent, members, kind and service are the core's own. */
RG_EXTERN int rg_declare_org_attr(rg_plugin_handle *h, const char *kind,
                                  const char *name, const rg_attr_spec *spec);

/* (1.5) Declares a user attribute (id, name, roles, members and service
 * are the core's own). */
RG_EXTERN int rg_declare_user_attr(rg_plugin_handle *h, const char *name,
                                   const rg_attr_spec *spec);

/* (1.5) Declares a service-wide setting (a fact ("setting", key, "value")). */
RG_EXTERN int rg_declare_setting(rg_plugin_handle *h, const char *key,
                                 const rg_attr_spec *spec);

/* (1.5) Declares a role workflow; its kind and attrs declared before. */
RG_EXTERN int rg_declare_workflow(rg_plugin_handle *h, const char *noun,
                                  const rg_workflow_spec *spec);

/* ---- Directory facts ---------------------------------------------------- */

/*
 * (1.1) Organisation data an administrator keeps in the directory, as facts
 * (kind, name, attribute) -> value, for every kind the service's plugins
 * declare (rg_declare_org_kind()):
 *   (KIND, NAME, "name")              NAME: every entry has it (it exists)
 *   (KIND, NAME, ATTR)                each attribute the entry has, or
 *                                     absent (a department's "unit",
 *                                     "max_chats"; a site's "region")
 *   (KIND, NAME, PARENT_ATTR)         of a tree kind (its parent is itself):
 *                                     the parent, "" for a root ("bu" and
 *                                     "parent": a business unit's)
 *   ("setting", KEY, "value")         e.g. KEY default_max_chats
 * A directory user's memberships reach the request as one subject
 * attribute per kind, named the kind followed by "s" ("departments",
 * "units", "sites"): the names, comma-separated.
 * rg_fact() returns the value (snapshot-owned, valid during the call) or
 * NULL.  rg_fact_count() counts the names of a kind; 0 means the directory
 * holds none (a plugin may then use a tenant file of its own).
 * Allocation- and lock-free.
 */
RG_EXTERN const char *rg_fact(const rg_plugin_request *req, const char *kind,
                              const char *name, const char *attr);
RG_EXTERN size_t rg_fact_count(const rg_plugin_request *req, const char *kind);

/*
 * (1.3) Several attributes of one (kind, name) with one lookup: rg_fact_node()
 * returns a handle for the name (-1 when the directory has no fact of it),
 * valid during the call; rg_fact_node_get(req, node, attr) then gives what
 * rg_fact(req, kind, name, attr) would.  Allocation- and lock-free.
 */
RG_EXTERN long rg_fact_node(const rg_plugin_request *req, const char *kind,
                            const char *name);
RG_EXTERN const char *rg_fact_node_get(const rg_plugin_request *req, long node,
                                       const char *attr);

/*
 * (1.3) Every privilege `roles` hold effectively through req->handle's roles
 * (custom roles included), as a set of RG_PRIV_WORDS words in out: bit p is
 * set exactly when rg_effective(req, roles, p, ...) returns 1.  For
 * subject_answers().  Allocation- and lock-free.
 */
RG_EXTERN void rg_effective_set(const rg_plugin_request *req,
                                const rg_roleset *roles, uint64_t *out);

/*
 * (1.0) The generic decision of a role-based plugin: ALLOW when rg_effective(),
 * else DENY, with a reason naming the granting role, or the missing
 * prerequisite, or "no role grants".  Plugins with scope rules call it
 * first and refine.  With RG_ANSWER_QUIET it sets the same role and missing
 * role but formats no reason (no role id is looked up).
 */
RG_EXTERN rg_result rg_decide_rbac(const rg_plugin_request *req,
                                   rg_plugin_answer *ans);

/*
 * (1.3) rg_decide_rbac() for every privilege at once: the subject_answers() of
 * a plugin whose decide() is rg_decide_rbac().  Always RG_OK.
 */
RG_EXTERN int rg_answers_rbac(const rg_plugin_request *req, uint64_t *allow,
                              uint64_t *deny);

/* ---- Prepared snapshots (1.3) ------------------------------------------- */

/*
 * (1.3) What req->handle's view_prepare() made for the snapshot req reads, or
 * NULL (no directory, no view_prepare, or its preparation failed).  Owned by
 * the plugin; valid during the call.  Allocation- and lock-free.
 */
RG_EXTERN const void *rg_request_prepared(const rg_plugin_request *req);

/*
 * (1.3) The subject's index among the snapshot's users (0 to
 * rg_view_user_count() - 1) when req's subject is that directory user with its
 * own roles and attributes, else -1 (an ad-hoc subject; explain trying other
 * roles).  Allocation- and lock-free.
 */
RG_EXTERN long rg_request_user_index(const rg_plugin_request *req);

/* (1.3) The number of users of req's service in the snapshot req reads. */
RG_EXTERN size_t rg_view_user_count(const rg_plugin_request *req);

/*
 * (1.3) For view_prepare(): fills *out as decide() would get user i (< the
 * count) without an action: req's handle, service and view; the user's id,
 * roles and attributes (snapshot-owned, valid while the snapshot is); action
 * -1.  RG_OK, or RG_EINVAL when i is out of range.
 */
RG_EXTERN int rg_view_user(const rg_plugin_request *req, size_t i,
                           rg_plugin_request *out);

/*
 * (1.4: added inside 1.3, before symbols had versions.)  Names to dense
 * indexes, for what a plugin prepares (units, departments):
 * the core's own id tables, so that a plugin need not write a hash table.
 * rg_names_add() copies a name (the table owns the copy) and returns its
 * index, 0, 1, ... in order of first addition (the same index when the
 * name is there already), or a negative status (RG_ENOMEM, RG_EINVAL for a
 * NULL name).  rg_names_find() returns a name's index or -1; with
 * rg_names_name() (the copy, valid until rg_names_free()) and
 * rg_names_count() it is allocation- and lock-free, and a table no longer
 * added to may be read by any number of threads.  rg_names_free(NULL) is
 * a no-op.
 */
typedef struct rg_names rg_names;

RG_EXTERN rg_names *rg_names_new(void);
RG_EXTERN long rg_names_add(rg_names *t, const char *name);
RG_EXTERN long rg_names_find(const rg_names *t, const char *name);
RG_EXTERN const char *rg_names_name(const rg_names *t, size_t i);
RG_EXTERN size_t rg_names_count(const rg_names *t);
RG_EXTERN void rg_names_free(rg_names *t);

/*
 * (1.7) rg_names_find() of the len bytes at name, which need no
 * terminator: an item cut from a list, looked up where it lies, without a
 * copy.  Bytes holding a NUL name nothing (-1).  Allocation- and lock-free.
 */
RG_EXTERN long rg_names_find_len(const rg_names *t, const char *name,
                                 size_t len);

/* ---- Scoped answers (1.6) ---------------------------------------------- */

/*
 * (1.6) What decide() answers for privilege priv when the request's only
 * attribute is key, with a value v (not NULL), no reason is wanted, and
 * the subject is the one subject_scopes() was asked about:
 */
typedef enum rg_scope_form {
	/* Whatever v: the answer without the attribute, which
	 * subject_answers() gave. */
	RG_SCOPE_AS_WITHOUT,
	/* ALLOW when v is the subject's user id, byte for byte; else DENY
	 * (the empty string and every other value included). */
	RG_SCOPE_SELF,
	/* When v is name i of names (rg_names_find()): ALLOW when lo <= i <
	 * hi for one of the WITHIN scopes added for (priv, key), else DENY.
	 * A value names does not hold is left to decide(). */
	RG_SCOPE_WITHIN,
} rg_scope_form;

/*
 * (1.6) Adds one scope in subject_scopes(): privilege priv (an index of the
 * service), request attribute key (copied), form, and for RG_SCOPE_WITHIN
 * the interval [lo, hi) of names' indexes (names: the plugin's, as long as
 * the snapshot: what view_prepare() made; ignored by the other forms).
 * Every scope of one (priv, key) must have the same form, and WITHIN ones
 * the same names (else none of the subject's scopes is used); the answers
 * it stands for have status RG_OK.  RG_OK; RG_EINVAL for a bad argument,
 * RG_ELIMIT past the core's limits (eight keys and eight name tables per
 * service), RG_ENOMEM: return it from subject_scopes(), and nothing of
 * that subject is used.
 */
RG_EXTERN int rg_scope_add(rg_scopes *out, long priv, const char *key,
                           rg_scope_form form, const rg_names *names, size_t lo,
                           size_t hi);

/* The longest memo rg_scope_memo() takes, in bytes. */
#define RG_SCOPE_MEMO_MAX 256

/*
 * (1.6) In subject_scopes(), before any rg_scope_add() for the subject:
 * says that its scopes depend on nothing but the len bytes at memo (1 to
 * RG_SCOPE_MEMO_MAX, compared byte for byte, copied), so that every
 * subject of the same build (one service's table of one snapshot) giving
 * the same memo has the same scopes.  A tenant's users fall in a few
 * thousand such kinds (role set, unit), and the core then keeps one list
 * per kind while the plugin works out each kind once.
 *
 * Returns 1 when an earlier subject of the build gave that memo and
 * subject_scopes() returned RG_OK for it: this subject gets its scopes,
 * and subject_scopes() returns RG_OK adding none (rg_scope_add() is
 * refused, RG_EINVAL).  0 when none did: add the subject's scopes; they
 * are kept under the memo when subject_scopes() returns RG_OK.  RG_EINVAL
 * for a bad argument, a second call for one subject, or a call after
 * rg_scope_add(); RG_ENOMEM: return it, and nothing of the subject is
 * used.  A memo that leaves out something the scopes depend on gives a
 * subject another's scopes: as wrong as a wrong rg_scope_add().
 */
RG_EXTERN int rg_scope_memo(rg_scopes *out, const void *memo, size_t len);

/* (1.7) What a stand-in of rg_scope_marker() stands for in a reason. */
typedef enum rg_scope_mark {
	RG_SCOPE_MARK_VALUE, /* the request attribute's value */
	RG_SCOPE_MARK_USER,  /* the subject's user id */
} rg_scope_mark;

/*
 * (1.7) The stand-in to pass rg_scope_reason() for a %s where decide()
 * passes rg_answer() the request attribute's value or the subject's user
 * id: a string of the core's (the same pointer on every call, recognised
 * by its address).  NULL for another m.
 */
RG_EXTERN const char *rg_scope_marker(rg_scope_mark m);

/* At most this many stand-ins in one reason. */
#define RG_SCOPE_MARKS_MAX 4

/*
 * (1.7) Right after an rg_scope_add() of RG_SCOPE_SELF or RG_SCOPE_WITHIN
 * in subject_scopes(): how decide() answers, asked with a reason, the
 * checks for which that scope stands for res (RG_ALLOW or RG_DENY): ans->role
 * set to role (a role index; -1: none), ans->missing left -1, status
 * RG_OK, and rg_answer(ans, fmt, ...) called with these arguments, but for
 * rg_scope_marker() in place of the attribute's value and the user's id.
 * A later check of that user, privilege and attribute with a reason and no
 * trace, whose answer the scope gives as res, is then answered by the core
 * from the table, without decide(): its reason "plugin: " and the text,
 * each stand-in replaced by the request's value or the user's id.  So give
 * one only where that is decide()'s own answer for every value the scope
 * answers res, byte for byte, and depend on nothing the memo leaves out
 * (rg_scope_memo()); what is not given costs nothing but speed.
 *
 * Which values (the empty string is never one: decide() answers it): for
 * RG_SCOPE_SELF, ALLOW is the user's id and DENY every other value.  For
 * RG_SCOPE_WITHIN, ALLOW is
 * a value in this scope's interval when no scope of the same (priv, key)
 * added before it holds the value too, and DENY a value names holds
 * outside every interval of (priv, key): the DENY of the first scope of
 * (priv, key) counts, a later one's is ignored.  A second reason for the
 * same res of one scope replaces the first.
 *
 * fmt takes %s (a stand-in only as a plain %s), %.*s, %d, %u, %ld, %lu, %zu
 * and %%, at most RG_SCOPE_MARKS_MAX stand-ins.  RG_OK; RG_EINVAL for a bad
 * argument, no scope just added, an RG_SCOPE_AS_WITHOUT scope or another
 * conversion; RG_ENOMEM: return it, and nothing of the subject is used.
 */
RG_EXTERN int rg_scope_reason(rg_scopes *out, rg_result res, long role,
                              const char *fmt, ...) RG_PRINTF(4, 5);

/*
 * (1.8) rg_scope_reason(), for a reason many scopes of a build share (a
 * tenant's thousands of kinds of user give the same few sentences): key
 * names the text that fmt and its arguments make, say the sentence's rule
 * and the indexes of the privilege and unit it names packed in one word.
 * The first call of a build with a key, res and role formats it; a later
 * one with the same three gives its scope that reason and reads neither
 * fmt nor its arguments.  So a key must tell apart everything the text
 * depends on but role: equal keys for different texts give a check
 * another's reason, as wrong as a wrong rg_scope_reason().  Returns as
 * rg_scope_reason() does.
 */
RG_EXTERN int rg_scope_reason_keyed(rg_scopes *out, rg_result res, long role,
                                    uint64_t key, const char *fmt, ...)
    RG_PRINTF(5, 6);

/*
 * (1.8) For a reason that costs work to put into words: gives the scope
 * just added the reason an earlier rg_scope_reason_keyed() of this build
 * made with key, res and role, and returns 1; 0 when none did (the scope
 * is left alone: call rg_scope_reason_keyed() with the text).  RG_EINVAL
 * as rg_scope_reason().
 */
RG_EXTERN int rg_scope_reason_again(rg_scopes *out, rg_result res, long role,
                                    uint64_t key);

/*
 * (1.4) rg_view_user() for a struct that may grow: size is sizeof(*out) as
 * the plugin was built.  The core writes exactly size bytes: the members it
 * knows that fit, and zeroes for the members of a newer minor than its own
 * (which mean "not set").  So rg_plugin_request can gain members in a later
 * minor without the core writing past a plugin's smaller struct, or a plugin
 * reading garbage from an older core.  RG_OK, or RG_EINVAL when i is out of
 * range or size is less than the 1.3 layout (out is then left alone).
 * rg_view_user() itself keeps filling the 1.3 layout only.
 */
RG_EXTERN int rg_view_user_sized(const rg_plugin_request *req, size_t i,
                                 rg_plugin_request *out, size_t size);

/* (1.0) Appends one problem to a validation (ids are copied). */
RG_EXTERN void rg_validation_add(rg_validation *v, const char *plugin,
                                 const char *role, const char *missing);

/* (1.0) Reports every unmet role and privilege prerequisite of req->roles. */
RG_EXTERN int rg_validate_prereqs(const rg_plugin_request *req,
                                  rg_validation *out);

/* ---- INI files and policies ------------------------------------------- */

/* A position in a file being read; valid during the callback only. */
typedef struct rg_ini_pos {
	const char *file;
	unsigned line;
} rg_ini_pos;

/*
 * Called for each key = value of an INI file.  Return RG_OK to go on, or
 * report with rg_plugin_error() and return an error; reading goes on to
 * find every problem.  Strings are valid during the call only.
 */
typedef int (*rg_ini_fn)(void *user, const char *section, const char *key,
                         const char *value, const rg_ini_pos *pos);

/*
 * (1.0) Reads an INI file through the core's one parser.  path is relative to
 * the config's directory unless absolute.  Syntax errors are reported as
 * "file:line: ...".  Returns RG_OK when the file was read and every callback
 * succeeded, RG_ENOENT/RG_EIO when it could not be read, else RG_EPOLICY.
 */
RG_EXTERN int rg_ini_read(rg_plugin_handle *h, const char *path, rg_ini_fn fn,
                          void *user);

/*
 * The policy file format shared by all role-based plugins:
 *
 *   [policy]
 *   product = NAME            ; checked against rg_policy_hooks.product
 *   version = TEXT
 *
 *   [privilege ID]
 *   description = TEXT
 *   requires = ROLE ...       ; roles needed besides a grant
 *
 *   [role ID]
 *   name = Display Name
 *   description = TEXT
 *   flags = protected core custom
 *   requires = ROLE ...       ; prerequisite roles
 *   include = ROLE ...        ; every privilege of these roles too
 *   grant = PRIV[:QUALIFIER] ...   (may repeat)
 *
 * Unknown sections, unknown keys (unless the key hook accepts them),
 * unknown or duplicate ids, and grants to undeclared privileges are errors
 * naming file:line.
 */
typedef enum rg_policy_kind {
	RG_POLICY_HEADER,
	RG_POLICY_ROLE,
	RG_POLICY_PRIVILEGE,
} rg_policy_kind;

/* A section being read; valid during the callback only. */
typedef struct rg_policy_section {
	rg_policy_kind kind;
	const char *id; /* NULL for [policy] */
	const char *file;
	unsigned line; /* of the section header */
} rg_policy_section;

/* Returned by the section hook to leave a section out (e.g. by edition). */
#define RG_POLICY_SKIP 1

typedef struct rg_policy_hooks {
	/* Expected [policy] product, or NULL to accept any. */
	const char *product;
	/* A key the core does not know: RG_OK accepts it, else an error. */
	int (*key)(void *user, const rg_policy_section *sec, const char *key,
	           const char *value, const rg_ini_pos *pos);
	/* A whole section was read: RG_OK, RG_POLICY_SKIP, or an error. */
	int (*section)(void *user, const rg_policy_section *sec);
	/*
	 * A grant with a qualifier ("user.view:business-unit").  NULL makes
	 * every qualifier an error.  Called after the role and privilege are
	 * declared, for direct and included grants alike.
	 */
	int (*grant)(void *user, uint32_t role, uint32_t priv,
	             const char *qualifier, const rg_ini_pos *pos);
} rg_policy_hooks;

/*
 * (1.0) Reads a policy file and declares what it says.  hooks may be NULL.
 * Every problem is reported; returns RG_OK or the first error's status.
 */
RG_EXTERN int rg_policy_load(rg_plugin_handle *h, const char *path,
                             const rg_policy_hooks *hooks, void *user);

#ifdef __cplusplus
}
#endif

#endif /* ROLEGATE_PLUGIN_H */
