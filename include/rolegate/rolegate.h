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
#define RG_EXTERN __attribute__((visibility("default")))
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

/* Returns a static message for a status; never NULL ("unknown status"). */
RG_EXTERN const char *rg_strerror(int status);

/* Returns the symbolic name of a status ("ENOROLE"); never NULL. */
RG_EXTERN const char *rg_status_name(int status);

/* Runtime library version, "MAJOR.MINOR.PATCH"; static storage. */
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

/* "allow", "deny", "abstain", "error"; static storage. */
RG_EXTERN const char *rg_result_name(rg_result result);

/* Log levels, in syslog order. */
typedef enum rg_log_level {
	RG_LOG_ERR = 3,
	RG_LOG_WARNING = 4,
	RG_LOG_NOTICE = 5,
	RG_LOG_INFO = 6,
	RG_LOG_DEBUG = 7,
} rg_log_level;

/* "err", "warning", ...; static storage. */
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
 * subject's own attributes for an ad-hoc subject (bu, departments, units,
 * status, max_chats), given without the "subject." prefix.  All owned by
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
#define RG_TRACE_MAX 16
#define RG_ID_MAX 128

/* What one stack entry answered, for explanations and logs. */
typedef struct rg_trace_entry {
	const char *plugin;  /* plugin name; valid while the context is open */
	const char *control; /* control as written, e.g. "required" */
	unsigned line;       /* config line of the entry */
	rg_result result;
	int status;                /* RG_OK, or why the entry failed */
	char role[RG_ID_MAX];      /* role that granted or blocked, or "" */
	char missing[RG_ID_MAX];   /* role whose absence denied, or "" */
	char reason[RG_REASON_MAX];
} rg_trace_entry;

/*
 * A decision.  Filled by rg_check(); the caller owns the storage (it is
 * large, but a stack variable is fine: nothing inside is allocated).
 */
typedef struct rg_decision {
	rg_result result; /* RG_ALLOW or RG_DENY, nothing else */
	int status;       /* RG_OK, or the error that forced the deny */
	const char *plugin; /* the entry that decided, or NULL; context-owned */
	char role[RG_ID_MAX];    /* the role that granted or blocked, or "" */
	char missing[RG_ID_MAX]; /* a missing prerequisite role, or "" */
	char reason[RG_REASON_MAX];
	size_t ntrace; /* filled when RG_CHECK_TRACE is given */
	rg_trace_entry trace[RG_TRACE_MAX];
} rg_decision;

/* Flags for rg_check(). */
#define RG_CHECK_TRACE 0x1u /* fill decision->trace */

/* The context: one configuration, its services, plugins and policies. */
typedef struct rg_context rg_context;

/* A service inside a context; valid while the context is open. */
typedef struct rg_service rg_service;

/* Options for rg_open(); zero-initialise, then set what you need. */
typedef struct rg_options {
	const char *config_path; /* required */
	const char *plugin_dir;  /* overrides the config's; NULL: config, else built-in */
	rg_log_fn log;           /* NULL: stderr */
	void *log_user;
	int log_level;           /* 0: the config's level, else an rg_log_level */
} rg_options;

/*
 * Opens a context on a configuration file.
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

/* Closes a context and unloads its plugins.  NULL is a no-op. */
RG_EXTERN void rg_close(rg_context *ctx);

/* The configuration file the context was opened on; context-owned. */
RG_EXTERN const char *rg_config_path(const rg_context *ctx);

/* The plugin directory the context loaded from; context-owned. */
RG_EXTERN const char *rg_plugin_dir(const rg_context *ctx);

/*
 * Problems found while opening, each "file:line: message".  Count, then
 * index 0..count-1; the string is context-owned.
 */
RG_EXTERN size_t rg_diagnostic_count(const rg_context *ctx);
RG_EXTERN const char *rg_diagnostic(const rg_context *ctx, size_t i);

/*
 * Decides a request.  Always fills *out (when out is not NULL); the result is
 * RG_ALLOW or RG_DENY.  Returns RG_OK when the stack ran (whatever it
 * decided) or the error that forced a deny (unknown service, role, action,
 * user; plugin failure).  Safe from many threads; allocates nothing.
 */
RG_EXTERN int rg_check(const rg_context *ctx, const rg_request *req,
		       unsigned flags, rg_decision *out);

/* Shorthand: 1 when rg_check() allows, 0 otherwise. */
RG_EXTERN int rg_allowed(const rg_context *ctx, const rg_request *req);

/* Services, in config order. */
RG_EXTERN size_t rg_service_count(const rg_context *ctx);
RG_EXTERN const rg_service *rg_service_at(const rg_context *ctx, size_t i);
/* NULL when there is no such service. */
RG_EXTERN const rg_service *rg_service_find(const rg_context *ctx,
					    const char *name);
RG_EXTERN const char *rg_service_name(const rg_service *svc);

/* Role flags. */
#define RG_ROLE_PROTECTED 0x1u /* cannot be deleted */
#define RG_ROLE_CORE 0x2u      /* a permanent core role of its product */
#define RG_ROLE_CUSTOM 0x4u    /* created by an administrator */

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

/* Roles of a service, in declaration order. */
RG_EXTERN size_t rg_role_count(const rg_service *svc);
RG_EXTERN int rg_role_at(const rg_service *svc, size_t i, rg_role_info *out);
/* Index of a role id, or -1. */
RG_EXTERN long rg_role_find(const rg_service *svc, const char *id);
/* The j-th prerequisite role id of role i; NULL past the end. */
RG_EXTERN const char *rg_role_prereq(const rg_service *svc, size_t i,
				     size_t j);
/* 1 when role i grants privilege p (directly), else 0. */
RG_EXTERN int rg_role_grants(const rg_service *svc, size_t i, size_t p);

/* Privileges of a service, in declaration order. */
RG_EXTERN size_t rg_privilege_count(const rg_service *svc);
RG_EXTERN int rg_privilege_at(const rg_service *svc, size_t i,
			      rg_privilege_info *out);
/* Index of a privilege id, or -1. */
RG_EXTERN long rg_privilege_find(const rg_service *svc, const char *id);
/* The j-th role a privilege requires besides its grant; NULL past the end. */
RG_EXTERN const char *rg_privilege_requires(const rg_service *svc, size_t i,
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
	int status; /* RG_OK when loaded and opened */
	const char *error; /* why it failed, or "" */
} rg_entry_info;

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
 * Validates a subject's roles against every prerequisite the service's
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
#define RG_SUGGEST_MAX 8
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

/* Decides with a trace and, on deny, computes suggestions. */
RG_EXTERN int rg_explain(const rg_context *ctx, const rg_request *req,
			 rg_explanation *out);

/*
 * Calls fn once for each role of the service that grants the action (its
 * prerequisites are listed with rg_role_prereq(), and the action's own with
 * rg_privilege_requires()).  Stops early when fn returns non-zero.  Returns
 * RG_OK, RG_ENOSERVICE or RG_ENOACTION.
 */
typedef int (*rg_whocan_fn)(void *user, const rg_service *svc, size_t role);
RG_EXTERN int rg_whocan(const rg_context *ctx, const char *service,
			const char *action, rg_whocan_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif /* ROLEGATE_ROLEGATE_H */
