/*
 * rocketchat.h - internal interfaces of the rocketchat plugin, shared by
 * its source files only.  Nothing here is exported: the build hides every
 * symbol but the plugin's one export, rolegate_plugin (rocketchat.c).
 *
 *   rocketchat.c  arguments, open and close, decide() and the other hooks
 *   policy.c      reading the policy file, declaring (declare())
 *   attrs.c       the attributes a decision reads, slow or prepared
 *   prepare.c     prepared directory snapshots (view_prepare(), ABI 1.3)
 *   scope.c       the department rules and custom roles
 *   inquiry.c     take-inquiry: status and chat limits
 *   org.c         the organisation one decision sees (org.h)
 *   tenant.c      the tenant file (tenant.h)
 */
#ifndef ROLEGATE_ROCKETCHAT_H
#define ROLEGATE_ROCKETCHAT_H

#include <stddef.h>
#include <stdint.h>

#include <rolegate/plugin.h>

#include "org.h"
#include "tenant.h"

/* Request attributes. */
#define RC_ATTR_DEPARTMENT "department"
#define RC_ATTR_OPEN_CHATS "open_chats"
/* The department's open chats, for its limit (Rocket.Chat 7.x). */
#define RC_ATTR_DEPT_OPEN_CHATS "department_open_chats"
/* The agent's connection: online, away or offline. */
#define RC_ATTR_CONNECTION    "connection"
#define RC_CONNECTION_ONLINE  "online"
#define RC_CONNECTION_AWAY    "away"
#define RC_CONNECTION_OFFLINE "offline"
/* Subject attributes. */
#define RC_SUBJ_DEPARTMENTS   "departments"
#define RC_SUBJ_UNITS         "units"
#define RC_SUBJ_STATUS        "status"
#define RC_SUBJ_MAX_CHATS     "max_chats"
#define RC_STATUS_AVAILABLE   "available"
#define RC_STATUS_UNAVAILABLE "unavailable"

/* Edition names, in the order of enum rc_edition (policy.c). */
extern const char *const rc_editions[];

/* The chat_limits= argument's choices, in the order of enum rc_chat_rule. */
extern const char *const rc_chat_rules[];

/*
 * Which release's chat limit rule take-inquiry follows: Rocket.Chat 7.x
 * (the department's limit and the agent's both apply) or 6.x (the
 * department's limit if set, else the agent's, else the workspace's).
 */
enum rc_chat_rule {
	RC_CHAT_RULE_7 = 0, /* the default */
	RC_CHAT_RULE_6 = 1,
};

/* The agent's connection (request attribute connection). */
enum rc_connection {
	RC_CONN_UNKNOWN = 0, /* not given */
	RC_CONN_ONLINE,
	RC_CONN_AWAY,
	RC_CONN_OFFLINE,
};

enum rc_edition {
	RC_EDITION_ENTERPRISE = 0,
	RC_EDITION_COMMUNITY = 1,
	RC_EDITION_ANY = -1, /* a section without an edition key */
	RC_EDITION_BAD = -2, /* an edition key the key hook refuses */
};

/* The plugin's state, one per stack entry; read-only once declared. */
struct rocketchat {
	const char *policy;      /* absolute; owned by the handle */
	const char *tenant_path; /* absolute or NULL; owned by the handle */
	int edition;             /* enum rc_edition */
	int chat_rule;           /* enum rc_chat_rule */
	struct rc_tenant tenant;
	int loaded;
	/* Role indexes (monitor is -1 in Community), privilege indexes. */
	long admin, manager, monitor, agent;
	long bot; /* -1 when the policy has no bot role */
	long queue, take;
	/*
	 * The service's roles and privileges once this plugin declared its
	 * own, and for each of those privileges the plugin's roles granting
	 * it.  Neither changes later: only a role's owner grants through it,
	 * and roles declared later (other plugins', then custom roles) are
	 * indexed after these.
	 */
	size_t nroles, nprivs;
	size_t role_words;      /* words of a role set that nroles span */
	rg_roleset *granted_by; /* nprivs sets */
};

/* ---- Reading the policy (policy.c) ------------------------------------- */

/*
 * The declare() hook: reads the policy, finds the ids the rules need and
 * declares the scoped privileges.  Sets st->loaded when all went well.
 */
int rc_declare(void *state, rg_plugin_handle *h);

/* The role ids of the livechat workflows. */
#define RC_ROLE_MANAGER "livechat-manager"
#define RC_ROLE_MONITOR "livechat-monitor"
#define RC_ROLE_AGENT   "livechat-agent"

/*
 * Declares what the directory keeps for Rocket.Chat (vocab.c, ABI 1.5):
 * units, departments, agents' status and limits, monitors, the workflows.
 */
int rc_declare_vocab(rg_plugin_handle *h);

/* ---- Prepared snapshots (prepare.c, ABI 1.3) --------------------------- */

/* What a department named in the snapshot is to the prepared path. */
enum rc_pdept_kind {
	RC_PDEPT_FOUND,  /* the source has it: unit and limit below */
	RC_PDEPT_MEMBER, /* the source has not: known to its agents only */
	RC_PDEPT_SLOW,   /* its limit is bad: the slow path reports it */
};

struct rc_pdept {
	enum rc_pdept_kind kind;
	long unit;      /* index in units, -1: in no unit */
	long max_chats; /* 0: not set */
};

/*
 * One directory user, in 8 bytes: a check reads one user's record among
 * many (tens of thousands), so that eight share a cache line and the
 * array stays small next to the directory the core reads in the same
 * check.  What the record leaves out comes from the request: its status
 * is one of two words, and its lists' text, for reasons only, is in the
 * subject's attributes (the user's, the core has just read them).
 *
 * bits holds the flags below and max_chats (at most RC_COUNT_MAX, which
 * fits the bits from RC_PU_MAX_SHIFT).  RC_PU_FAST is 0 when an attribute
 * is bad (or the user has no id): the slow path then answers, with its
 * reason.  A zeroed record is slow.
 *
 * Its departments then units are, with RC_PU_INLINE, at.ix[] (at most
 * two memberships in all, each index below 65,536: nearly every user),
 * their counts in bits; else pool[at.first] counts the departments,
 * pool[at.first + 1] the units, and the indexes follow.
 */
struct rc_puser {
	uint32_t bits;
	union {
		uint16_t ix[2];
		uint32_t first;
	} at;
};

#define RC_SHOWN_DEPTS     0x1u
#define RC_SHOWN_UNITS     0x2u
#define RC_PU_FAST         0x1u
#define RC_PU_STATUS       0x2u /* status is given */
#define RC_PU_AVAILABLE    0x4u /* and is available */
#define RC_PU_INLINE       0x8u
#define RC_PU_NDEPTS_SHIFT 4 /* inline counts, 0 to 2 */
#define RC_PU_NUNITS_SHIFT 6
#define RC_PU_COUNT_MASK   0x3u
#define RC_PU_INLINE_MAX   2
#define RC_PU_MAX_SHIFT    8
#define RC_PU_MAX_CHATS    (UINT32_MAX >> RC_PU_MAX_SHIFT)

struct rc_prepared {
	enum rc_org_source source;
	size_t org_units; /* what rc_org_has_units() counts */
	int default_ok;   /* the default limit is a count: below */
	long default_limit;
	int default_from_directory;
	/* The on/off settings, as rc_org_switch() reads them; ok is 0 when
	 * the directory's value is neither (the slow path quotes it). */
	struct {
		int ok, on;
	} sw[RC_SWITCH_COUNT];
	rg_names *depts;        /* the core's name tables (plugin.h) */
	struct rc_pdept *dinfo; /* one a department, once every name is in */
	rg_names *units;
	/* The departments the source has (RC_PDEPT_FOUND), ordered by unit
	 * (those in no unit last): found_dept[f] is found's name f's index
	 * in depts, dept_found[d] the other way (-1: not found), and the
	 * departments of unit u are found's [unit_first[u], unit_first[u +
	 * 1]).  For subject_scopes(): a unit is an interval.  NULL when it
	 * could not be made (no scope is compiled). */
	rg_names *found;
	long *found_dept, *dept_found;
	size_t *unit_first;
	size_t ndepts, nunits, nfound; /* the three tables' counts, then */
	struct rc_puser *users;
	/* Per user, whether its departments' and units' text is what its
	 * indexes say (RC_SHOWN_*): a compiled reason may then quote it. */
	unsigned char *shown;
#define RC_SHOWN_DEPTS 0x1u
#define RC_SHOWN_UNITS 0x2u
	size_t nusers;
	uint32_t *pool;
	size_t npool, cappool;
	/*
	 * Each user's role-set class (cls, RC_NO_CLASS: none; the Community
	 * edition's without its custom roles), and per class what
	 * rg_effective_set() holds (class_held, for the decision table).
	 * For subject_scopes(), made with found: the privileges it compiles
	 * (scoped, rc_dept_scoped() but take-inquiry), and per class and
	 * such privilege the roles rc_department_leads() finds, all -1 where
	 * rg_decide_rbac() denies: class_rules[cls * nscoped + k].  NULL:
	 * not made (worked out per user, or no scope compiled).
	 */
	uint32_t *scoped;
	size_t nscoped;
	uint32_t *cls;
	uint64_t (*class_held)[RG_PRIV_WORDS];
	struct rc_leads *class_rules;
};

#define RC_NO_CLASS UINT32_MAX

/* The user's departments or units (indexes in depts, units). */
enum rc_plist { RC_PLIST_DEPTS, RC_PLIST_UNITS };

/* Where a user's list lies: n indexes from ix16 (kept in the user) or
 * from ix32 (in the pool); the other pointer is NULL. */
struct rc_pspan {
	const uint16_t *ix16;
	const uint32_t *ix32;
	size_t n;
};

/* The one reading of struct rc_puser's lists: inline, since every scoped
 * check of a prepared user asks it. */
static inline struct rc_pspan rc_puser_span(const struct rc_prepared *p,
                                            const struct rc_puser *pu,
                                            enum rc_plist which)
{
	struct rc_pspan s = {NULL, NULL, 0};
	const uint32_t *v;
	size_t nd;

	if (pu->bits & RC_PU_INLINE) {
		nd = (pu->bits >> RC_PU_NDEPTS_SHIFT) & RC_PU_COUNT_MASK;
		s.ix16 = pu->at.ix + (which == RC_PLIST_UNITS ? nd : 0);
		s.n = which == RC_PLIST_UNITS
		          ? (pu->bits >> RC_PU_NUNITS_SHIFT) & RC_PU_COUNT_MASK
		          : nd;
		return s;
	}
	/* In the pool: the two counts, then the departments, the units. */
	v = p->pool + pu->at.first;
	s.ix32 = v + 2 + (which == RC_PLIST_UNITS ? v[0] : 0);
	s.n = which == RC_PLIST_UNITS ? v[1] : v[0];
	return s;
}

/* The k-th index of a span (k < s.n). */
static inline long rc_pspan_at(struct rc_pspan s, size_t k)
{
	return s.ix16 ? (long)s.ix16[k] : (long)s.ix32[k];
}

/* The view_prepare() and view_release() hooks. */
int rc_view_prepare(const void *state, const rg_plugin_request *req,
                    void **prepared);
void rc_view_release(const void *state, void *prepared);

/* ---- Attributes (attrs.c) ---------------------------------------------- */

/* The attributes a decision may consult, read once and checked once;
 * rc_attrs_clear() (attrs.c) sets each field but org. */
struct rc_attrs {
	struct rc_org org;      /* where units and departments come from */
	const char *department; /* request department, or NULL */
	struct rc_dept dept;    /* what the organisation says of it */
	long open_chats;        /* -1 when not given */
	long dept_open_chats;   /* -1 when not given */
	enum rc_connection connection;
	const char *connection_text; /* as given, or NULL */
	/* From the plugin's state, for take-inquiry (rc_read_attrs()). */
	int community;
	int chat_rule;      /* enum rc_chat_rule */
	int bot;            /* the subject holds the bot role */
	const char *status; /* NULL when not given */
	int available;
	long max_chats;          /* 0 when not given */
	const char *units;       /* subject's units, or NULL */
	const char *departments; /* subject's departments, or NULL */
	/*
	 * Read from a prepared snapshot (pu not NULL): the subject's lists
	 * as indexes, so that membership tests compare integers.  dept_ix
	 * and unit_ix are the request department's and its unit's indexes
	 * in prep, -1 when prep has no such name (then no list names it).
	 */
	const struct rc_prepared *prep;
	const struct rc_puser *pu;
	long dept_ix, unit_ix;
};

/* The subject attributes the plugin reads (rc_gather_subject()). */
enum { SJ_STATUS, SJ_MAX_CHATS, SJ_UNITS, SJ_DEPARTMENTS, SJ_COUNT };

/*
 * Reads and checks the attributes: from the prepared snapshot when the
 * subject is one of its users with its own roles, else the slow way.
 * Returns 1, or 0 with the reason in ans (a bad value denies).
 */
int rc_read_attrs(const struct rocketchat *st, const rg_plugin_request *req,
                  struct rc_attrs *a, rg_plugin_answer *ans);

/* The subject attributes of attrs, in one pass: out[SJ_*], NULL if absent. */
void rc_gather_subject(const rg_attr *attrs, size_t n,
                       const char *out[SJ_COUNT]);

/* Reads subject attribute status (NULL: not given) into *a; 0 if bad. */
int rc_read_status(struct rc_attrs *a, const char *status,
                   rg_plugin_answer *ans);

/* 1 when every item of the comma-separated list is an id. */
int rc_list_ids_valid(const char *list);

/* 1 when the subject is an agent of the request's department. */
int rc_agent_of(const struct rc_attrs *a);

/* 1 when the subject monitors the unit of the request's department. */
int rc_monitor_of(const struct rc_attrs *a);

/* ---- Department scope and custom roles (scope.c) ----------------------- */

/* What a granting role's rule says of the request's department. */
enum rc_rule {
	RC_RULE_EVERY,         /* admin, manager: every department */
	RC_RULE_NO_UNITS,      /* a monitor, in a tenant with no units */
	RC_RULE_MONITOR_AGENT, /* a monitor who is an agent of it */
	RC_RULE_MONITOR_UNIT,  /* a monitor of its unit */
	RC_RULE_OTHER_UNIT,    /* a monitor of other units: refused */
	RC_RULE_NO_UNIT,       /* a monitor, the department in no unit:
	                          refused */
	RC_RULE_UNLIMITED,     /* another role, another permission */
	RC_RULE_QUEUE_AGENT,   /* the queue, to one of its agents */
	RC_RULE_QUEUE_HIDDEN,  /* the queue, to anyone else: refused */
};

/*
 * What a rule's reason names.  decide() fills it from the request, and
 * subject_scopes() with rg_scope_marker() for the department: one
 * sentence serves both, so that a compiled scope's reason is decide()'s.
 */
struct rc_rule_words {
	const char *role;        /* the granting role's id */
	const char *priv;        /* the privilege's */
	const char *department;  /* the request's */
	const char *unit;        /* the department's unit, or NULL */
	const char *units;       /* the subject's units as given, or NULL */
	const char *departments; /* its departments as given, or NULL */
	struct rc_org *org;      /* where they come from */
};

/*
 * Where a rule's reason goes: ans, or, ans NULL, the compiled scope just
 * added to out, as the reason of its res and role.  A macro, so that each
 * sentence is one literal that the compiler checks against its arguments
 * for both, and decide() and subject_scopes() cannot say it differently.
 * With a key, a compiled scope's reason is rg_scope_reason_keyed()'s.
 */
struct rc_say {
	rg_plugin_answer *ans;
	rg_scopes *out;
	rg_result res;
	long role;
	const uint64_t *key; /* rg_scope_reason_keyed()'s, or NULL */
};

#define RC_SAY(s, ...)                                                         \
	((s)->ans ? (rg_answer((s)->ans, __VA_ARGS__), RG_OK)                  \
	 : (s)->key                                                            \
	     ? rg_scope_reason_keyed((s)->out, (s)->res, (s)->role, *(s)->key, \
	                             __VA_ARGS__)                              \
	     : rg_scope_reason((s)->out, (s)->res, (s)->role, __VA_ARGS__))

/*
 * rg_scope_reason() of rule's reason in the words w, for the scope just
 * added to out: RG_OK or its status.  With a key, rg_scope_reason_keyed()
 * of it: *key must tell apart every text the rule's sentence can have in
 * this build but for role's.
 */
int rc_rule_scope_reason(rg_scopes *out, rg_result res, long role,
                         enum rc_rule rule, const struct rc_rule_words *w,
                         const uint64_t *key);

/* The parts of a key of rg_scope_reason_keyed(): the rule (RC_KEY_RBAC
 * for rg_decide_rbac()'s deny) in the low bits, then the privilege's
 * index, then the index plus one of the unit named (or of the custom
 * role dropped, then the user's role-set class). */
#define RC_KEY_RBAC        0xffu
#define RC_KEY_PRIV_SHIFT  8
#define RC_KEY_UNIT_SHIFT  24
#define RC_KEY_CLASS_SHIFT 40
#define RC_KEY_CLASSES     ((uint32_t)1 << (64 - RC_KEY_CLASS_SHIFT))
_Static_assert(RG_MAX_PRIVILEGES <=
                   1 << (RC_KEY_UNIT_SHIFT - RC_KEY_PRIV_SHIFT),
               "a privilege index fits its bits of a key");
_Static_assert(RG_MAX_ROLES < 1 << (RC_KEY_CLASS_SHIFT - RC_KEY_UNIT_SHIFT),
               "a dropped role's index plus one fits its bits of a key");

/*
 * A request names a department: allowed when one of the subject's
 * effectively granting roles may act on it (after rg_decide_rbac()
 * allowed).
 */
/*
 * 1 when the department scopes privilege p: every one a monitor holds (a
 * monitor asked without a department is not held to its units), the queue
 * and taking a chat (agents see their departments' only).  For any other
 * a department changes no answer of a declared role.
 */
int rc_dept_scoped(const struct rocketchat *st, size_t p);

/*
 * The roles whose rules rc_decide_department() reaches for req's subject
 * (its action held, as rg_decide_rbac() says) on the departments the
 * source has, as role indexes, -1 for none: every, the first role that
 * allows every department (no role after it is reached); monitor, the
 * monitor when reached, in an organisation with units (it allows the
 * departments it is an agent of, then those of its units); queue, the
 * first other role reached for the queue (it allows the departments the
 * subject is an agent of; a later one allows and refuses the same).
 * Asked in role order, the first of them to allow a department gives
 * decide()'s allow and its reason, the first of them gives its deny.
 * All -1: none is effective (decide() then denies every department,
 * with no role of its own).
 */
struct rc_leads {
	int32_t every, monitor, queue;
};

/* rc_leads of req (its action held).  has_units: the organisation has
 * units. */
void rc_department_leads(const struct rocketchat *st,
                         const rg_plugin_request *req, int has_units,
                         struct rc_leads *out);

/* The rule of role r when it is struct rc_leads's every. */
enum rc_rule rc_every_rule(const struct rocketchat *st, long r);

/*
 * Per class (struct rc_prepared), for a subject holding roles, asked as
 * req (a user of the snapshot): rg_effective_set() into held
 * (RG_PRIV_WORDS words), and unless out is NULL, for each of the n
 * privileges scoped, rc_department_leads() into out[k]; all -1 where
 * rg_decide_rbac() denies.  has_units: the organisation has units.
 */
void rc_class_rules(const struct rocketchat *st, const rg_plugin_request *req,
                    const rg_roleset *roles, int has_units,
                    const uint32_t *scoped, size_t n, uint64_t *held,
                    struct rc_leads *out);

rg_result rc_decide_department(const struct rocketchat *st,
                               const rg_plugin_request *req, struct rc_attrs *a,
                               rg_plugin_answer *ans);

/*
 * Takes the custom roles out of roles (the Community edition has none).
 * Returns the first one taken out, or -1.
 */
long rc_drop_custom(const struct rocketchat *st, const rg_plugin_request *req,
                    rg_roleset *roles);

/* ---- take-inquiry (inquiry.c) ------------------------------------------ */

/*
 * take-inquiry needs status available, the agent online (or away while
 * the workspace accepts chats when idle), and, in the Enterprise edition
 * with the waiting queue on and for an agent who is not a bot, open chats
 * below the limits of the configured rule (enum rc_chat_rule).
 */
rg_result rc_decide_take(const rg_plugin_request *req, struct rc_attrs *a,
                         rg_plugin_answer *ans);

/* take-inquiry without request attributes: allowed only when no limit
 * applies (for the decision table). */
int rc_take_allowed(struct rc_attrs *a);

#endif /* ROLEGATE_ROCKETCHAT_H */
