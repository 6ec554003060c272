/*
 * rolegate.h - the application interface of librolegate.
 *
 * Applications (API gateways, the rolegate CLI, rolegated) open a context on
 * a configuration file and ask it "may this subject do this action in this
 * service?".  Plugin authors include <rolegate/plugin.h> instead, which
 * includes this header.
 *
 * Conventions:
 *  - Every function that can fail returns an int status from the one table
 *    below: RG_OK (0) or a negative RG_E* error.  rg_strerror() names it.
 *  - Handles are opaque.  Strings returned by the library are owned by the
 *    library and stay valid until the object they came from is closed,
 *    unless a comment says otherwise.
 *  - A context is immutable once rg_open() returns it: every query function
 *    taking a const rg_context * is safe to call from many threads at once,
 *    takes no lock and, on the decision path, allocates no memory.
 *  - Fail closed: whatever goes wrong, the decision is RG_DENY.
 *  - Each function's comment starts with the plugin ABI minor that added
 *    it, "(1.N)"; the library exports it with the symbol version
 *    ROLEGATE_1.N (core/librolegate.map).
 */
#ifndef ROLEGATE_ROLEGATE_H
#define ROLEGATE_ROLEGATE_H

#include <stddef.h>
#include <stdint.h>

#include <rolegate/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define RG_EXTERN            __attribute__((visibility("default")))
#define RG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RG_EXTERN
#define RG_PRINTF(fmt, args)
#endif

/*
 * The status table: name, value, message.  Append only; values never change.
 */
#define RG_STATUS_MAP(X)                                                       \
	X(OK, 0, "success")                                                    \
	X(ENOMEM, -1, "out of memory")                                         \
	X(EINVAL, -2, "invalid argument")                                      \
	X(ENOENT, -3, "no such file or object")                                \
	X(ECONFIG, -4, "configuration error")                                  \
	X(EPLUGIN, -5, "plugin failed")                                        \
	X(EABI, -6, "plugin ABI version mismatch")                             \
	X(EPERM, -7, "unsafe file ownership or permissions")                   \
	X(EPOLICY, -8, "policy file error")                                    \
	X(EEXIST, -9, "already exists")                                        \
	X(ENOSERVICE, -10, "unknown service")                                  \
	X(ENOROLE, -11, "unknown role")                                        \
	X(ENOACTION, -12, "unknown action")                                    \
	X(ENOUSER, -13, "unknown user")                                        \
	X(ELIMIT, -14, "limit exceeded")                                       \
	X(EIO, -15, "input/output error")                                      \
	X(ENOSYS, -16, "not supported")                                        \
	X(EBUSY, -17, "resource busy")                                         \
	X(EREFUSED, -18, "refused")                                            \
	X(EINTERNAL, -19, "internal error")

enum rg_status {
#define RG_STATUS_ENUM(name, value, msg) RG_##name = (value),
	RG_STATUS_MAP(RG_STATUS_ENUM)
#undef RG_STATUS_ENUM
};

/* (1.0) Returns a static message for a status; never NULL ("unknown
 * status"). */
RG_EXTERN const char *rg_strerror(int status);

/* (1.0) Returns the symbolic name of a status ("ENOROLE"); never NULL. */
RG_EXTERN const char *rg_status_name(int status);

/* (1.0) Runtime library version, "MAJOR.MINOR.PATCH"; static storage. */
RG_EXTERN const char *rg_version(void);

/*
 * The result of one plugin for one request, and of a whole stack.  A stack's
 * final answer is only ever RG_ALLOW or RG_DENY: ABSTAIN is never final and
 * ERROR becomes DENY.
 */
typedef enum rg_result {
	RG_ALLOW = 0,
	RG_DENY = 1,
	RG_ABSTAIN = 2,
	RG_ERROR = 3,
} rg_result;
#define RG_RESULT_COUNT 4

/* (1.0) "allow", "deny", "abstain", "error"; static storage. */
RG_EXTERN const char *rg_result_name(rg_result result);

/* Log levels, in syslog order. */
typedef enum rg_log_level {
	RG_LOG_ERR = 3,
	RG_LOG_WARNING = 4,
	RG_LOG_NOTICE = 5,
	RG_LOG_INFO = 6,
	RG_LOG_DEBUG = 7,
} rg_log_level;

/* (1.0) "err", "warning", ...; static storage. */
RG_EXTERN const char *rg_log_level_name(rg_log_level level);

/*
 * A log sink.  msg is one line without a trailing newline, valid only during
 * the call.  It may be called from any thread that uses the context.
 */
typedef void (*rg_log_fn)(void *user, rg_log_level level, const char *msg);

/* A key/value pair; both strings are owned by the caller. */
typedef struct rg_attr {
	const char *key;
	const char *value;
} rg_attr;

/*
 * Who asks.  Either user (an id in the service's directory) or roles (an
 * ad-hoc subject: comma-separated role ids and nothing else).  attrs are the
 * subject's own attributes for an ad-hoc subject (what a directory user
 * would have: the attributes its plugins declare, a kind's memberships as
 * KIND + "s"), given without the "subject." prefix.  All owned by
 * the caller, read only during the call.
 */
typedef struct rg_subject {
	const char *user;
	const char *roles;
	const rg_attr *attrs;
	size_t nattrs;
} rg_subject;

/* One question.  All members owned by the caller, read during the call. */
typedef struct rg_request {
	const char *service;
	rg_subject subject;
	const char *action;
	const rg_attr *attrs;
	size_t nattrs;
} rg_request;

/* Sizes of the fixed buffers in a decision, so that checks never allocate. */
#define RG_REASON_MAX 256
#define RG_TRACE_MAX  16
#define RG_ID_MAX     128

/* What one stack entry answered, for explanations and logs. */
typedef struct rg_trace_entry {
	const char *plugin;  /* plugin name; valid while the context is open */
	const char *control; /* control as written, e.g. "required" */
	unsigned line;       /* config line of the entry */
	rg_result result;
	int status;              /* RG_OK, or why the entry failed */
	char role[RG_ID_MAX];    /* role that granted or blocked, or "" */
	char missing[RG_ID_MAX]; /* role whose absence denied, or "" */
	char reason[RG_REASON_MAX];
} rg_trace_entry;

/*
 * A decision.  Filled by rg_check(); the caller owns the storage (it is
 * large, but a stack variable is fine: nothing inside is allocated).
 */
typedef struct rg_decision {
	rg_result result;   /* RG_ALLOW or RG_DENY, nothing else */
	int status;         /* RG_OK, or the error that forced the deny */
	const char *plugin; /* the entry that decided, or NULL; context-owned */
	char role[RG_ID_MAX];    /* the role that granted or blocked, or "" */
	char missing[RG_ID_MAX]; /* a missing prerequisite role, or "" */
	char reason[RG_REASON_MAX];
	size_t ntrace; /* filled when RG_CHECK_TRACE is given */
	rg_trace_entry trace[RG_TRACE_MAX];
} rg_decision;

/* Flags for rg_check(). */
#define RG_CHECK_TRACE 0x1u /* fill decision->trace */
/*
 * Only the result and status are wanted, as on a gateway's hot path: reason
 * is left empty, and role, missing and plugin may be too.  The result and
 * status are those the same check gets with a reason.  A request itself
 * refused (an unknown service, user, role or action, an incomplete
 * request) still says why in reason: that costs nothing on the path that
 * decides.  Such a check of
 * a directory user without request attributes is answered from the
 * snapshot's decision table (see subject_answers in <rolegate/plugin.h>)
 * when the service's stack has one: the same answer, without running a
 * plugin.
 */
#define RG_CHECK_NO_REASON 0x2u

/* The context: one configuration, its services, plugins and policies. */
typedef struct rg_context rg_context;

/* A service inside a context; valid while the context is open. */
typedef struct rg_service rg_service;

/*
 * A key of a section the application reads itself (see rg_options).
 * section is the whole section name ("rolegated", "route api").  Return
 * RG_OK, or an error with a message in err: it becomes a diagnostic at
 * file:line.  Strings are valid during the call only.
 */
typedef int (*rg_conf_fn)(void *user, const char *section, const char *key,
                          const char *value, const char *file, unsigned line,
                          char *err, size_t errlen);

/* Options for rg_open(); zero-initialise, then set what you need. */
typedef struct rg_options {
	const char *config_path; /* required */
	const char *plugin_dir;  /* overrides the config's; NULL: config, else
	                            built-in */
	const char *directory;   /* overrides the config's directory location */
	unsigned flags;          /* RG_OPEN_* */
	/* Sections the application reads itself (NULL-terminated names; a
	 * name matches a section with that name or that first word), and the
	 * callback that gets their keys.  Other unknown sections are errors. */
	const char *const *app_sections;
	rg_conf_fn app_conf;
	void *app_user;
	rg_log_fn log; /* NULL: stderr */
	void *log_user;
	int log_level; /* 0: the config's level, else an rg_log_level */
	/* (1.9) Read only with RG_OPEN_ONE_SERVICE (so a caller built
	 * before it, whose struct ends above, is never read past its end):
	 * the one service whose directory rows the context loads. */
	const char *service;
	/* (1.9) Read only with RG_OPEN_ONE_USER: the one directory user of
	 * service whose row the context loads. */
	const char *user;
} rg_options;

/* rg_options.flags */
#define RG_OPEN_NO_WATCH                                                       \
	0x1u /* no thread refreshing the directory snapshot                    \
	      */
#define RG_OPEN_NO_DIRECTORY 0x2u /* do not open the directory at all */
/*
 * rg_options.plugin_dir is only a default: the config's plugin_dir wins when
 * the config sets one (an uninstalled tool's build-tree plugins, say).
 * Without it, rg_options.plugin_dir overrides the config's.
 */
#define RG_OPEN_PLUGIN_DIR_DEFAULT 0x4u
/*
 * rg_options.app_conf is also called once as each of the application's
 * sections opens, with key and value NULL and the section's line, so that
 * the application can refuse a section with no keys at all (an empty
 * [route NAME], say).  Without this flag it sees keys only.
 */
#define RG_OPEN_APP_SECTION_OPEN 0x8u
/*
 * (1.9) The directory snapshot holds the rows of rg_options.service only
 * (a command that asks about one service: `rolegate check`), which a large
 * directory loads in a fraction of the time and memory.  Every service
 * still opens with its plugins and policies; a check of a user of another
 * service is denied as for a user the directory does not hold
 * (RG_ENOUSER), and a name no service has loads no rows at all.  Answers
 * about the service are the same as with every row loaded: services share
 * no rows.  rg_options.service NULL: rg_open() fails with RG_EINVAL.  An
 * older library ignores the flag and loads every service.
 */
#define RG_OPEN_ONE_SERVICE 0x10u
/*
 * (1.9) The context answers a few checks and closes (a command, a test):
 * its directory snapshots get no decision table, which costs a large
 * directory a third of its load.  Every check then runs the stack, with
 * the same answers: the table only keeps what the stack would say.
 */
#define RG_OPEN_FEW_CHECKS 0x20u
/*
 * (1.9) With RG_OPEN_ONE_SERVICE: of the service's users, the snapshot
 * holds rg_options.user alone (its custom roles, organisation and settings
 * whole), for a command about one user.  A plugin decides a user from its
 * own row and the service's facts, never from another user's (plugin.h,
 * decide()), so the user's answers are unchanged; every other user is
 * unknown (RG_ENOUSER).
 * Without RG_OPEN_ONE_SERVICE, or rg_options.user NULL: rg_open() fails
 * with RG_EINVAL.
 */
#define RG_OPEN_ONE_USER 0x40u

/*
 * (1.0) Opens a context on a configuration file.
 *
 * A configuration with bad lines still opens: every bad line becomes a stack
 * entry that always fails, and every problem is logged and kept as a
 * diagnostic (rg_diagnostic()).  Only a file that cannot be read at all, or
 * out of memory, fails the open.
 *
 * On success *out is a new context the caller closes with rg_close().  On
 * failure *out is NULL and, when errbuf is not NULL, errbuf holds a message
 * naming the file.
 */
RG_EXTERN int rg_open(rg_context **out, const rg_options *opts, char *errbuf,
                      size_t errlen);

/* (1.0) Closes a context and unloads its plugins.  NULL is a no-op. */
RG_EXTERN void rg_close(rg_context *ctx);

/* (1.0) The configuration file the context was opened on; context-owned. */
RG_EXTERN const char *rg_config_path(const rg_context *ctx);

/* (1.0) The plugin directory the context loaded from; context-owned. */
RG_EXTERN const char *rg_plugin_dir(const rg_context *ctx);

/*
 * (1.0) Problems found while opening, each "file:line: message".  Count, then
 * index 0..count-1; the string is context-owned.
 */
RG_EXTERN size_t rg_diagnostic_count(const rg_context *ctx);
RG_EXTERN const char *rg_diagnostic(const rg_context *ctx, size_t i);

/*
 * (1.4) Warnings found while opening, each "file:line: message": lines that
 * work, but probably not as their writer meant (a control table that makes a
 * deny or an error the stack's answer, an allow a failure).  Count, then index;
 * the string is context-owned.
 */
RG_EXTERN size_t rg_warning_count(const rg_context *ctx);
RG_EXTERN const char *rg_warning(const rg_context *ctx, size_t i);

/*
 * (1.4) The service diagnostic (or warning) i is about: a line of its section,
 * or a problem of one of its stack entries (loading, opening, its policy
 * files).  NULL for a problem of the whole file (the [rolegate] section, an
 * unknown section, the directory) and for i out of range.  A program that works
 * on one service shows the problems of that service and the NULL ones.
 * Context-owned.
 */
RG_EXTERN const char *rg_diagnostic_service(const rg_context *ctx, size_t i);
RG_EXTERN const char *rg_warning_service(const rg_context *ctx, size_t i);

/*
 * (1.0) Decides a request.  Always fills *out (when out is not NULL); the
 * result is RG_ALLOW or RG_DENY.  Returns RG_OK when the stack ran (whatever it
 * decided) or the error that forced a deny (unknown service, role, action,
 * user; plugin failure).  Safe from many threads; allocates nothing.
 */
RG_EXTERN int rg_check(const rg_context *ctx, const rg_request *req,
                       unsigned flags, rg_decision *out);

/*
 * (1.2) Writes the subject's roles (declared and custom ids, comma-separated)
 * into buf, as the current directory snapshot has them: what a gateway passes
 * upstream.  Lock- and allocation-free.  Returns RG_OK, RG_ELIMIT when buf is
 * too small (buf then ends at a whole role), or the error resolving the subject
 * (RG_ENOSERVICE, RG_ENOUSER, RG_ENOROLE, RG_EINVAL).
 */
RG_EXTERN int rg_subject_roles(const rg_context *ctx, const char *service,
                               const rg_subject *subject, char *buf,
                               size_t len);

/*
 * (1.3) Decides n requests in one call: results[i], and statuses[i] when
 * statuses is not NULL, are exactly what rg_check(ctx, &reqs[i], flags,
 * ...) would give (flags may not include RG_CHECK_TRACE: there is no
 * decision to hold one).  For callers with many questions at once (a batch
 * endpoint, a gateway's pipeline): while one request is decided, the
 * directory memory of the requests a few places behind it is already
 * being fetched, so with a large directory a batch costs less per request
 * than single calls, whose time is mostly waiting for memory.  Returns
 * RG_OK, or RG_EINVAL (and denies every request) when an argument is
 * missing.  Safe from many threads; allocates nothing.
 */
RG_EXTERN int rg_check_batch(const rg_context *ctx, const rg_request *reqs,
                             size_t n, unsigned flags, rg_result *results,
                             int *statuses);

/* (1.0) Shorthand: 1 when rg_check() allows, 0 otherwise. */
RG_EXTERN int rg_allowed(const rg_context *ctx, const rg_request *req);

/*
 * Asking many questions: resolved once.  A caller that asks the same
 * service and action again and again (a gateway's route, rolegated's)
 * resolves them once into a target, and then asks by user without the
 * lookups of names a check by rg_check() makes each time; the user may be
 * given by length (a slice of a header, no terminator needed) and with its
 * hash worked out once (rg_user_hash()).
 *
 * A service and an action belong to the configuration, which a context
 * never changes: a target stays right across every directory refresh (the
 * users, their roles and custom roles are read from the snapshot current
 * at each check).  A new configuration is a new context, whose checks need
 * targets of its own: a target names its context by address and by a
 * number drawn at rg_open(), compared on each check, and a check with a
 * target of another context is denied (RG_EINVAL), never answered.
 */
typedef struct rg_target rg_target;

/*
 * (1.5) Resolves service and action of ctx into *out, a new target the
 * caller owns: free it with rg_target_free() before rg_close(ctx).  The
 * strings are read during the call only.  A target is immutable: any
 * number of threads may check with one at once.  Returns RG_OK, RG_EINVAL
 * (a NULL argument), RG_ENOSERVICE, RG_ENOACTION (no plugin of the service
 * declares the action: every check of it would deny) or RG_ENOMEM; *out is
 * NULL on failure.
 */
RG_EXTERN int rg_target_resolve(const rg_context *ctx, const char *service,
                                const char *action, rg_target **out);

/* (1.5) Frees a target.  NULL is a no-op. */
RG_EXTERN void rg_target_free(rg_target *t);

/*
 * (1.5) The hash rg_check_target() wants for the len bytes at user: work
 * it out once for a user asked about many times.  The value is this
 * library's and may change with its version: never store it.  0 for a
 * NULL user.
 */
RG_EXTERN uint64_t rg_user_hash(const char *user, size_t len);

/*
 * (1.5) rg_check() of the target's service and action for the directory
 * user of the len bytes at user (not NUL-terminated; a NUL among them is
 * refused), whose rg_user_hash() is hash, with the request attributes
 * attrs (nattrs of them; may be NULL when 0).  Fills *out (when not NULL)
 * and returns what rg_check() would for the same request: the same result,
 * status and reason, from the decision table when flags ask no reason and
 * there are no attributes.  A wrong hash may find no user (a deny,
 * RG_ENOUSER), never another user's answer.  Denies with RG_EINVAL a NULL
 * or foreign target and an empty user.  Everything is read during the call
 * only.  Safe from many threads; allocates nothing.
 */
RG_EXTERN int rg_check_target(const rg_context *ctx, const rg_target *t,
                              const char *user, size_t len, uint64_t hash,
                              const rg_attr *attrs, size_t nattrs,
                              unsigned flags, rg_decision *out);

/* (1.0) Services, in config order. */
RG_EXTERN size_t rg_service_count(const rg_context *ctx);
RG_EXTERN const rg_service *rg_service_at(const rg_context *ctx, size_t i);
/* (1.0) NULL when there is no such service. */
RG_EXTERN const rg_service *rg_service_find(const rg_context *ctx,
                                            const char *name);
RG_EXTERN const char *rg_service_name(const rg_service *svc);

/* Role flags. */
#define RG_ROLE_PROTECTED 0x1u /* cannot be deleted */
#define RG_ROLE_CORE      0x2u /* a permanent core role of its product */
#define RG_ROLE_CUSTOM    0x4u /* created by an administrator */

/* A role as the registry knows it; strings are context-owned. */
typedef struct rg_role_info {
	const char *id;
	const char *name;        /* display name */
	const char *description; /* may be "" */
	const char *plugin;      /* the plugin that declared it */
	unsigned flags;
	size_t nprereqs; /* see rg_role_prereq() */
} rg_role_info;

/* A privilege (an action id); strings are context-owned. */
typedef struct rg_privilege_info {
	const char *id;
	const char *description; /* may be "" */
	const char *plugin;
	size_t nrequires; /* roles the privilege needs besides a grant */
} rg_privilege_info;

/* (1.0) Roles of a service, in declaration order. */
RG_EXTERN size_t rg_role_count(const rg_service *svc);
RG_EXTERN int rg_role_at(const rg_service *svc, size_t i, rg_role_info *out);
/* (1.0) Index of a role id, or -1. */
RG_EXTERN long rg_role_find(const rg_service *svc, const char *id);
/* (1.0) The j-th prerequisite role id of role i; NULL past the end. */
RG_EXTERN const char *rg_role_prereq(const rg_service *svc, size_t i, size_t j);
/* (1.0) 1 when role i grants privilege p (directly), else 0. */
RG_EXTERN int rg_role_grants(const rg_service *svc, size_t i, size_t p);

/* (1.0) Privileges of a service, in declaration order. */
RG_EXTERN size_t rg_privilege_count(const rg_service *svc);
RG_EXTERN int rg_privilege_at(const rg_service *svc, size_t i,
                              rg_privilege_info *out);
/* (1.0) Index of a privilege id, or -1. */
RG_EXTERN long rg_privilege_find(const rg_service *svc, const char *id);
/* (1.0) The j-th role a privilege requires besides its grant; NULL past the
 * end. */
RG_EXTERN const char *rg_privilege_requires(const rg_service *svc, size_t i,
                                            size_t j);
/* (1.4) The request attribute privilege i is scoped by (rg_declare_scope()), or
 * NULL when none or i is out of range.  Context-owned. */
RG_EXTERN const char *rg_privilege_scope(const rg_service *svc, size_t i);
/* The longest note on a privilege, in bytes with its NUL. */
#define RG_NOTE_MAX 160
/* (1.5) The j-th note on privilege i (rg_declare_note(): what the product
 * checks besides roles), or NULL past the end or when i is out of range.
 * Context-owned, valid until rg_close() or a reload. */
RG_EXTERN const char *rg_privilege_note(const rg_service *svc, size_t i,
                                        size_t j);

/* A loaded stack entry, for `rolegate plugins`; strings context-owned. */
typedef struct rg_entry_info {
	const char *plugin;   /* name as configured */
	const char *control;  /* as written */
	const char *path;     /* object file loaded, or "" when it failed */
	const char *file;     /* config file */
	unsigned line;        /* config line */
	uint32_t abi_version; /* the plugin's, 0 when it did not load */
	const char *plugin_version;
	const char *description;
	int status;        /* RG_OK when loaded and opened */
	const char *error; /* why it failed, or "" */
} rg_entry_info;

/* (1.0) The stack entries of a service, in config order. */
RG_EXTERN size_t rg_entry_count(const rg_service *svc);
RG_EXTERN int rg_entry_at(const rg_service *svc, size_t i, rg_entry_info *out);

/*
 * Prerequisite validation of a subject's role set.  Each problem names a role
 * the subject holds (or a privilege) and a role it lacks.
 */
#define RG_VALIDATE_MAX 64
typedef struct rg_missing {
	char role[RG_ID_MAX];    /* the role (or privilege) that requires */
	char missing[RG_ID_MAX]; /* the role it lacks */
	char plugin[RG_ID_MAX];
} rg_missing;

typedef struct rg_validation {
	int ok;          /* 1 when every prerequisite is met */
	size_t nmissing; /* problems found (at most RG_VALIDATE_MAX kept) */
	rg_missing missing[RG_VALIDATE_MAX];
} rg_validation;

/*
 * (1.0) Validates a subject's roles against every prerequisite the service's
 * plugins know.  Returns RG_OK when the validation ran (see out->ok) or an
 * error (unknown service, role or user).
 */
RG_EXTERN int rg_validate(const rg_context *ctx, const char *service,
                          const rg_subject *subject, rg_validation *out);

/*
 * Explanation of a deny: the smallest sets of roles that, added to the
 * subject, would allow the request.  Each suggestion lists role ids,
 * prerequisites included, smallest first.
 */
#define RG_SUGGEST_MAX   8
#define RG_SUGGEST_ROLES 8
typedef struct rg_suggestion {
	size_t nroles;
	char roles[RG_SUGGEST_ROLES][RG_ID_MAX];
} rg_suggestion;

typedef struct rg_explanation {
	rg_decision decision; /* with its trace */
	size_t nsuggestions;
	rg_suggestion suggestions[RG_SUGGEST_MAX];
} rg_explanation;

/* (1.0) Decides with a trace and, on deny, computes suggestions. */
RG_EXTERN int rg_explain(const rg_context *ctx, const rg_request *req,
                         rg_explanation *out);

/*
 * (1.0) Calls fn once for each role of the service that grants the action (its
 * prerequisites are listed with rg_role_prereq(), and the action's own with
 * rg_privilege_requires()).  Stops early when fn returns non-zero.  Returns
 * RG_OK, RG_ENOSERVICE or RG_ENOACTION.
 */
typedef int (*rg_whocan_fn)(void *user, const rg_service *svc, size_t role);
RG_EXTERN int rg_whocan(const rg_context *ctx, const char *service,
                        const char *action, rg_whocan_fn fn, void *user);

/* ======================================================================
 * The directory: users, role assignments, organisation and custom roles.
 *
 * Each installation has one directory: an SQLite database by default (path
 * in rolegate.conf: [rolegate] directory = PATH, else
 * state_dir/directory.db), or a PostgreSQL database shared by several hosts
 * (directory = postgresql://... or a libpq key=value string).
 * Its data is per service.  Checks by user id read an immutable in-memory
 * snapshot of it; a change committed by anyone (this process or another)
 * replaces the snapshot atomically, so a check never blocks and never sees a
 * half-applied change.
 *
 * Every change runs in one transaction (rg_txn) that also writes the audit
 * trail: when, which command, the state before and after.  A failed
 * operation leaves the transaction usable for nothing but rg_txn_abort().
 * ====================================================================== */

/* (1.1) 1 when the context has a usable directory, else 0. */
RG_EXTERN int rg_directory_available(const rg_context *ctx);

/* (1.1) Where the directory lives (a path for SQLite, the connection string
 * for PostgreSQL with any password shown as ***); context-owned, may be
 * "". */
RG_EXTERN const char *rg_directory_location(const rg_context *ctx);

/*
 * (1.1) Reloads the snapshot if the directory changed since it was taken.
 * Contexts opened without RG_OPEN_NO_WATCH also do this by themselves every
 * [rolegate] directory_refresh_ms.  Returns RG_OK or an error (the old
 * snapshot stays in use).  Safe to call from any thread.
 */
RG_EXTERN int rg_directory_refresh(rg_context *ctx);

/*
 * (1.5) Milliseconds since the snapshot was last known to be current: since
 * the last refresh (the watcher's or rg_directory_refresh()) that reached
 * the directory and read its version.  Grows while the directory cannot
 * be reached (checks still answer from the last snapshot); a gateway
 * reports it and stops calling itself ready past a limit.  -1 without a
 * directory, or before the directory was ever read.
 */
RG_EXTERN long long rg_directory_age_ms(const rg_context *ctx);

/*
 * (1.6) [rolegate] directory_refresh_ms of ctx: how often the context
 * confirms its snapshot current by itself (unless opened with
 * RG_OPEN_NO_WATCH), and so how old rg_directory_age_ms() grows between
 * two confirmations.  -1 without a directory.
 */
RG_EXTERN long rg_directory_refresh_ms(const rg_context *ctx);

/*
 * (1.3) How many directory users of svc the current snapshot's decision table
 * holds: their checks without request attributes and with
 * RG_CHECK_NO_REASON are answered by a bit test, without running a plugin.
 * 0 when the service has no table (no directory, no user, or a stack entry
 * whose plugin cannot answer in bulk: see subject_answers in
 * <rolegate/plugin.h>).  For monitoring and tests.
 */
RG_EXTERN size_t rg_directory_tabled(const rg_context *ctx,
                                     const rg_service *svc);

/* A transaction on one service's directory data. */
typedef struct rg_txn rg_txn;

/*
 * (1.1) Starts a write transaction for `service`.  `command` is what the audit
 * trail records (e.g. "rolegate assign campus alice guard"),
 * `actor` who ran it (may be NULL: "unknown").  Waits for other writers up to
 * the busy timeout, then fails with RG_EBUSY.  On error *out is NULL and
 * errbuf says why.
 */
RG_EXTERN int rg_txn_begin(rg_context *ctx, const char *service,
                           const char *actor, const char *command, rg_txn **out,
                           char *errbuf, size_t errlen);

/* (1.1) Commits and refreshes the context's snapshot; frees txn either way. */
RG_EXTERN int rg_txn_commit(rg_txn *txn);

/* (1.1) Rolls back and frees txn.  NULL is a no-op. */
RG_EXTERN void rg_txn_abort(rg_txn *txn);

/* (1.1) The message of the last failed operation in txn ("" when none). */
RG_EXTERN const char *rg_txn_error(const rg_txn *txn);

/*
 * (1.1) Warnings collected by the transaction's operations (e.g. an assignment
 * whose prerequisites the user lacks); txn-owned, count then index.
 */
RG_EXTERN size_t rg_txn_warning_count(const rg_txn *txn);
RG_EXTERN const char *rg_txn_warning(const rg_txn *txn, size_t i);

/* The user attribute every user has, the core's own: its display name.
 * The others are what the service's plugins declare. */
#define RG_USER_NAME "name"

/* (1.1) Adds a user (RG_EEXIST if present).  name may be NULL (then the id). */
RG_EXTERN int rg_user_add(rg_txn *txn, const char *id, const char *name);

/* (1.1) Removes a user with its assignments and memberships (RG_ENOUSER). */
RG_EXTERN int rg_user_remove(rg_txn *txn, const char *id);

/* (1.1) Sets one attribute: RG_USER_NAME, or one the service's plugins
 * declare (rg_vocab_at(), RG_VOCAB_USER_ATTR); value NULL clears it.
 * Validates the value by its declaration (an enum's values, an integer's
 * minimum, a reference to an existing entry, the plugin's own check); an
 * integer is stored as its plain decimal text.  Undeclared: RG_EINVAL. */
RG_EXTERN int rg_user_set(rg_txn *txn, const char *id, const char *attr,
                          const char *value);

/* Assignment flags. */
#define RG_ASSIGN_STRICT 0x1u /* refuse when prerequisites are missing */

/*
 * (1.1) Assigns a role (built-in or custom) to a user.  A role the user already
 * holds is RG_EEXIST.  When the user lacks a prerequisite of the role, a
 * warning naming it is added to the transaction, or with RG_ASSIGN_STRICT
 * the assignment is refused (RG_EREFUSED).
 */
RG_EXTERN int rg_role_assign(rg_txn *txn, const char *user, const char *role,
                             unsigned flags);

/* (1.1) Removes an assignment (RG_ENOENT when the user does not hold the
 * role). */
RG_EXTERN int rg_role_unassign(rg_txn *txn, const char *user, const char *role);

/*
 * (1.1) Adds an organisation entry of a kind the service's plugins declare
 * (RG_VOCAB_ORG_KIND).  parent names an entry of the kind's parent kind
 * (NULL: none; refused where the kind has no parent kind, or requires one
 * (RG_ORG_PARENT_REQUIRED), or is a tree with a single root that has one
 * already (RG_ORG_SINGLE_ROOT)).
 */
RG_EXTERN int rg_org_add(rg_txn *txn, const char *kind, const char *name,
                         const char *parent);

/* (1.1) Removes an entry; refused (RG_EBUSY) while entries (its children,
 * references to it), users' attributes or members use it, with the counts. */
RG_EXTERN int rg_org_remove(rg_txn *txn, const char *kind, const char *name);

/*
 * (1.1) Sets an attribute of an entry: its parent, under the kind's parent
 * attribute (rg_vocab_info.parent_attr: a move; a cycle in a tree, or a
 * second root of a single-root kind, refused), or an attribute the
 * service's plugins declare for the kind, validated as rg_user_set()
 * validates.  value NULL clears it.
 */
RG_EXTERN int rg_org_set(rg_txn *txn, const char *kind, const char *name,
                         const char *attr, const char *value);

/* (1.1) Memberships: a user in an entry of a kind whose declaration lets
 * users be members (RG_ORG_MEMBERS). */
RG_EXTERN int rg_member_add(rg_txn *txn, const char *user, const char *kind,
                            const char *name);
RG_EXTERN int rg_member_remove(rg_txn *txn, const char *user, const char *kind,
                               const char *name);

/* (1.1) Service-wide settings; one the service's plugins declare
 * (RG_VOCAB_SETTING) is validated by its declaration. */
RG_EXTERN int rg_setting_set(rg_txn *txn, const char *key, const char *value);

/*
 * (1.1) Creates a custom role granting the given privileges (ids of the
 * service).  The service's plugins may refuse it (e.g. Community edition, a
 * privilege that custom roles may not hold): RG_EREFUSED with the plugin's
 * reason.
 */
RG_EXTERN int rg_custom_role_create(rg_txn *txn, const char *id,
                                    const char *name, const char *description,
                                    const char *const *privileges, size_t n);

/*
 * (1.1) Deletes a custom role.  Protected and built-in roles are refused
 * (RG_EREFUSED).  A role still assigned is refused (RG_EBUSY, the message
 * gives the count) unless force is set; then *unassigned (may be NULL) gets
 * how many assignments were removed.
 */
RG_EXTERN int rg_custom_role_delete(rg_txn *txn, const char *id, int force,
                                    size_t *unassigned);

/* ---- reading the directory (from the database, not the snapshot) ----- */

/* One user; strings valid during the callback only; lists comma-separated. */
typedef struct rg_user_info {
	const char *service;
	const char *id;
	const char *name;
	const char *roles; /* "" when none */
	/* (1.5) Its attributes but the name, as the service's plugins
	 * declare them (rg_vocab_at()), sorted by key: attr_keys[i] has
	 * the value attr_values[i].  (Before 1.5 the struct had members
	 * for the shipped products' attributes instead.) */
	size_t nattrs;
	const char *const *attr_keys;
	const char *const *attr_values;
	/* (1.5) Its memberships, sorted by kind: it is a member of the
	 * entries member_names[i] (comma-separated, sorted) of the
	 * organisation kind member_kinds[i]; kinds without one are left
	 * out. */
	size_t nmembers;
	const char *const *member_kinds;
	const char *const *member_names;
} rg_user_info;
typedef int (*rg_user_fn)(void *user, const rg_user_info *u);

/* (1.5) The value of u's attribute key (u-owned), or NULL when unset. */
RG_EXTERN const char *rg_user_info_attr(const rg_user_info *u, const char *key);
/* (1.5) The entries of kind u is a member of, comma-separated (u-owned);
 * "" when none. */
RG_EXTERN const char *rg_user_info_members(const rg_user_info *u,
                                           const char *kind);

/* (1.1) Calls fn for each user of the service (all services when NULL), by id;
 * stops when fn returns non-zero. */
RG_EXTERN int rg_user_list(rg_context *ctx, const char *service, rg_user_fn fn,
                           void *user);
/* (1.1) Calls fn once for that user; RG_ENOUSER when unknown. */
RG_EXTERN int rg_user_get(rg_context *ctx, const char *service, const char *id,
                          rg_user_fn fn, void *user);

typedef struct rg_org_info {
	const char *service;
	const char *kind;
	const char *name;
	const char *parent; /* its parent (the kind's parent_attr), or NULL */
	/* (1.1) Users in it: its members, and users whose attribute
	 * references it (a user's site). */
	long members;
	/* (1.5) Its attributes, its parent's included (under the kind's
	 * parent attribute), sorted by key: attr_keys[i] has the value
	 * attr_values[i]. */
	size_t nattrs;
	const char *const *attr_keys;
	const char *const *attr_values;
} rg_org_info;
typedef int (*rg_org_fn)(void *user, const rg_org_info *o);

/* (1.5) The value of o's attribute key (o-owned), or NULL when unset. */
RG_EXTERN const char *rg_org_info_attr(const rg_org_info *o, const char *key);
RG_EXTERN int rg_org_list(rg_context *ctx, const char *service,
                          const char *kind, rg_org_fn fn, void *user);

typedef struct rg_custom_role_info {
	const char *service;
	const char *id;
	const char *name;
	const char *description;
	const char *privileges; /* comma-separated */
	long assigned;          /* users holding it */
} rg_custom_role_info;
typedef int (*rg_custom_role_fn)(void *user, const rg_custom_role_info *r);
/* (1.1) id NULL: every custom role of the service. */
RG_EXTERN int rg_custom_role_list(rg_context *ctx, const char *service,
                                  const char *id, rg_custom_role_fn fn,
                                  void *user);

/* (1.1) Number of users holding a role (built-in or custom), or a negative
 * error. */
RG_EXTERN long rg_role_assigned_count(rg_context *ctx, const char *service,
                                      const char *role);

/* One audit record; strings valid during the callback only. */
typedef struct rg_audit_info {
	long long seq;
	const char *at; /* UTC, ISO 8601 */
	const char *actor;
	const char *command;
	const char *service;
	const char *user;   /* the user changed, or "" */
	const char *what;   /* e.g. "assign", "user.add" */
	const char *before; /* JSON, or "null" */
	const char *after;  /* JSON, or "null" */
} rg_audit_info;
typedef int (*rg_audit_fn)(void *user, const rg_audit_info *a);

/* Filter for rg_audit_list(); NULL/0 members do not filter. */
typedef struct rg_audit_filter {
	const char *service;
	const char *user;
	const char *since; /* ISO 8601, inclusive */
	const char *until; /* ISO 8601, exclusive */
	long limit;        /* (1.1) newest first when set */
} rg_audit_filter;
RG_EXTERN int rg_audit_list(rg_context *ctx, const rg_audit_filter *filter,
                            rg_audit_fn fn, void *user);

/* rg_audit_undo() flag: undo even when the state changed since. */
#define RG_UNDO_FORCE 0x1u

/*
 * (1.5) Reverts the change audit record seq recorded, in a transaction of
 * its own on the record's service, through the operations above (which
 * validate and audit each step as any change), ending with a record of
 * its own: what "undo", before {"undo": seq, "what", "state": the record's
 * after}, after the same with the record's before.  That record is undone
 * like any other (a redo).  Refused, with nothing changed and why in
 * errbuf: no such record (RG_ENOENT); a record undone already, or whose
 * user, entry, role or setting is no longer as the record left it
 * (RG_EREFUSED; RG_UNDO_FORCE undoes it anyway); a record that holds too
 * little to be undone, as an import's summary (RG_EREFUSED: its items,
 * the "import.*" records, are undone one by one); an operation's refusal
 * (its status).
 * `command` is what the audit trail records (NULL: "audit --undo SEQ"),
 * `actor` who ran it (may be NULL).  *undo_seq (may be NULL) gets the new
 * record's seq, 0 on failure.
 */
RG_EXTERN int rg_audit_undo(rg_context *ctx, long long seq, unsigned flags,
                            const char *actor, const char *command,
                            long long *undo_seq, char *errbuf, size_t errlen);

/* ---- import and export ------------------------------------------------- */

/*
 * Progress of a long operation: done out of total items (total 0 when not
 * known yet).  Return non-zero to cancel (the transaction rolls back).
 */
typedef int (*rg_progress_fn)(void *user, size_t done, size_t total);

/*
 * (1.1) Writes the directory of one service (all when NULL) as JSON to path
 * ("-" for stdout).  The format is the one rg_directory_import() reads.
 */
RG_EXTERN int rg_directory_export(rg_context *ctx, const char *service,
                                  const char *path, char *errbuf,
                                  size_t errlen);

/* Import flags. */
#define RG_IMPORT_REPLACE 0x1u /* first delete the services' data */

/*
 * (1.1) Reads a JSON export and applies it in one transaction: all of it or
 * nothing.  Every problem names the JSON path of the bad item
 * (services[0].users[12].roles[1]).  A restored backup (with
 * RG_IMPORT_REPLACE) equals the exported directory exactly.
 */
RG_EXTERN int rg_directory_import(rg_context *ctx, const char *path,
                                  unsigned flags, const char *actor,
                                  rg_progress_fn progress, void *puser,
                                  char *errbuf, size_t errlen);

/*
 * (1.1) Runs the database's integrity checks (SQLite: integrity_check and
 * foreign_key_check).  RG_OK when sound; else errbuf says what is wrong.
 */
RG_EXTERN int rg_directory_verify(rg_context *ctx, char *errbuf, size_t errlen);

/*
 * (1.5) rg_directory_import() with the command the audit trail records
 * (e.g. the command line that ran it; NULL: "import PATH [--replace]").
 * Every import records, besides a summary (what "import": the counts),
 * one audit record per setting, organisation entry, custom role and user
 * it added, changed or removed ("import.setting", "import.org" with
 * the entry's kind in the item, "import.custom-role", "import.user";
 * records of an earlier release, "import.bu" and the like, still undo), before
 * and after as the export writes the item (null: absent), so that
 * rg_audit_undo() can bring each back.
 */
RG_EXTERN int rg_directory_import_as(rg_context *ctx, const char *path,
                                     unsigned flags, const char *actor,
                                     const char *command,
                                     rg_progress_fn progress, void *puser,
                                     char *errbuf, size_t errlen);

/* ---- the directory's vocabulary ---------------------------------------- */

/*
 * What a service's directory holds besides users and roles is declared by
 * its plugins (<rolegate/plugin.h>, rg_declare_org_kind() and the rest): the
 * kinds of organisation entries (a tree of sites, teams in a site),
 * their attributes, the users' attributes, the
 * service's settings and the role workflows of its CLI ("guard add").  A
 * service's vocabulary is the union of its stacked plugins' declarations;
 * a second entry declaring a name otherwise fails, as any entry whose
 * declare() fails (a required one denies everything).
 */

/* The type of an attribute's or setting's value. */
typedef enum rg_attr_type {
	RG_ATTR_TEXT = 1,    /* free text (valid UTF-8, no control character) */
	RG_ATTR_ENUM = 2,    /* one of a list of values */
	RG_ATTR_INTEGER = 3, /* a decimal integer no less than a minimum */
	RG_ATTR_REF = 4,     /* the name of an organisation entry of a kind */
} rg_attr_type;

/* What a vocabulary entry declares. */
typedef enum rg_vocab_what {
	RG_VOCAB_ORG_KIND = 1,  /* a kind of organisation entry */
	RG_VOCAB_ORG_ATTR = 2,  /* an attribute of the entries of one kind */
	RG_VOCAB_USER_ATTR = 3, /* an attribute of a user */
	RG_VOCAB_SETTING = 4,   /* a service-wide setting */
	RG_VOCAB_WORKFLOW = 5,  /* a role workflow (noun add/edit/remove) */
} rg_vocab_what;

/* Flags of an organisation kind. */
#define RG_ORG_SINGLE_ROOT     0x1u /* a tree with exactly one root */
#define RG_ORG_PARENT_REQUIRED 0x2u /* every entry names a parent */
#define RG_ORG_MEMBERS         0x4u /* users can be members */

/* One vocabulary entry; strings are context-owned, NULL when not set. */
typedef struct rg_vocab_info {
	rg_vocab_what what;
	const char *name;   /* the kind, attribute, setting key or noun */
	const char *kind;   /* ORG_ATTR: its kind; WORKFLOW: membership kind */
	const char *plugin; /* the plugin that declared it first */
	const char *help;   /* one line for help texts, may be "" */
	/* RG_VOCAB_ORG_KIND */
	const char *parent;      /* the parent kind (itself: a tree) */
	const char *parent_attr; /* its name as a fact and an option */
	unsigned flags;          /* RG_ORG_* */
	/* attributes and settings */
	rg_attr_type type;
	const char *values; /* RG_ATTR_ENUM: comma-separated */
	long min;           /* RG_ATTR_INTEGER */
	const char *ref;    /* RG_ATTR_REF: the kind it names */
	/* RG_VOCAB_WORKFLOW */
	const char *role;  /* the role the workflow assigns */
	const char *attrs; /* user attributes it edits, comma-separated */
	/* RG_VOCAB_ORG_KIND: an entry's name in words ("site office"),
	 * the kind itself when its plugin gave none */
	const char *noun;
} rg_vocab_info;

/* (1.5) The number of entries of svc's vocabulary, in declaration order. */
RG_EXTERN size_t rg_vocab_count(const rg_service *svc);

/*
 * (1.5) Fills entry i of svc's vocabulary into *out, of size bytes (the
 * caller's sizeof(rg_vocab_info): a newer library writes no more).
 * RG_OK, or RG_EINVAL when i is out of range or size too small.
 */
RG_EXTERN int rg_vocab_at(const rg_service *svc, size_t i, rg_vocab_info *out,
                          size_t size);

/*
 * (1.5) The index of an entry: what it is, its name, and for RG_VOCAB_ORG_ATTR
 * its kind (else kind is ignored).  -1 when svc declares none.
 */
RG_EXTERN long rg_vocab_find(const rg_service *svc, rg_vocab_what what,
                             const char *kind, const char *name);

/* ---- printing what came from outside --------------------------------- */

/*
 * rg_escape() flag: only make s valid UTF-8, for a JSON encoder (which
 * escapes control characters itself): each byte that is not part of a
 * valid UTF-8 sequence becomes U+FFFD, everything else stays.
 */
#define RG_ESCAPE_UTF8 0x1u

/* The most bytes rg_escape() writes for n bytes of input, with the NUL. */
#define RG_ESCAPE_MAX(n) (4 * (n) + 1)

/*
 * (1.4) Copies s (NULL: "") into buf of len bytes, always NUL-terminated when
 * len > 0, in a form safe to print on a terminal or in a log line: each
 * byte of a control character (C0, DEL, and the C1 controls U+0080 to
 * U+009F) and each byte that is not part of valid UTF-8 becomes the four
 * characters \xHH; printable UTF-8 stays as it is.  With RG_ESCAPE_UTF8,
 * see above.  A result too long for buf is cut before a whole character.
 * Returns the length of the whole result (as snprintf() does), at most
 * RG_ESCAPE_MAX(strlen(s)) - 1.  Thread-safe, allocation-free.
 */
RG_EXTERN size_t rg_escape(const char *s, unsigned flags, char *buf,
                           size_t len);

/* (1.4) rg_escape() into a string of its own, to free(); NULL: out of
 * memory. */
RG_EXTERN char *rg_escape_dup(const char *s, unsigned flags);

/* ---- reading files ----------------------------------------------------- */

/* The largest configuration, policy, tenant or token file read. */
#define RG_FILE_MAX_TEXT ((size_t)64 << 20)
/* The largest directory export rg_directory_import() reads. */
#define RG_FILE_MAX_IMPORT ((size_t)1 << 30)

/*
 * (1.4) Opens path for reading as rolegate opens every file it reads: only a
 * regular file of at most max bytes, so that a FIFO (which would block
 * the reader until a writer comes) or a device such as /dev/zero (which
 * never ends) is refused at once.  The open itself never blocks and never
 * takes a controlling terminal; the descriptor is close-on-exec and
 * blocking again.  Returns RG_OK with *fd to close(); else *fd is -1 and
 * RG_ENOENT (no such file), RG_EREFUSED (not a regular file), RG_ELIMIT
 * (larger than max) or RG_EIO, and why (may be NULL) says what, without
 * the path: "is a FIFO, not a regular file", "Permission denied", ...
 */
RG_EXTERN int rg_file_open(const char *path, size_t max, int *fd, char *why,
                           size_t whylen);

#ifdef __cplusplus
}
#endif

#endif /* ROLEGATE_ROLEGATE_H */
