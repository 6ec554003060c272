/*
 * rocketchat.c - the Rocket.Chat Omnichannel (livechat) role model.
 *
 * NAME
 *	rocketchat - roles, permissions and omnichannel scope rules of
 *	Rocket.Chat, in its Enterprise or Community edition
 *
 * SYNOPSIS
 *	stack = CONTROL rocketchat policy=PATH edition=enterprise|community
 *		[tenant=PATH]
 *
 * ARGUMENTS
 *	policy=PATH	The policy file (required), in the common policy
 *			format of <rolegate/plugin.h>.  The shipped one is
 *			rocketchat.ini.  A relative PATH resolves against the
 *			configuration file's directory.
 *	edition=E	enterprise or community (required).  The Community
 *			edition leaves out every section marked
 *			"edition = enterprise" (livechat-monitor; units,
 *			monitors, tags, priorities, SLA, canned responses,
 *			reports, request-pdf-transcript) and every custom
 *			role: they are neither listed nor granted, and asking
 *			for one is an unknown role or action, hence a deny.
 *	tenant=PATH	The workspace's units, departments (with their unit
 *			and chat limit) and default chat limit (optional); the
 *			format is in rocketchat-tenant.ini and
 *			doc/rocketchat.md.  Without it (and without directory
 *			data) the tenant has no units, no known departments
 *			and no default limit.
 *
 * DIRECTORY
 *	Users, their roles, memberships and attributes, and the workspace's
 *	organisation may live in the directory instead (rolegate agent,
 *	monitor, department, unit and setting commands).  For a directory
 *	user the subject attributes below (departments, units, status,
 *	max_chats) are the directory's, and a department the user is an
 *	agent of is known even when the directory keeps no unit or limit for
 *	it.  Units and departments come from one source: the directory as
 *	soon as it holds a unit or a department of the service, else the
 *	tenant file.  The default chat limit is the directory's setting
 *	default_max_chats when set, else the tenant file's.
 *	Custom roles (Enterprise only: the Community edition refuses to
 *	create them, and ignores any it finds) may hold any declared
 *	permission; they are "any other role" for the department rules.
 *
 * POLICY KEYS
 *	Besides the common keys, [role] and [privilege] sections may say
 *	"edition = enterprise" (or community): the section exists only in
 *	that edition.  [role] sections may say "scope = global" or
 *	"scope = room".  Any other key is an error naming file:line.
 *
 * ATTRIBUTES
 *	Request: department=ID (the department acted on), open_chats=N (the
 *	agent's open chats, for take-inquiry).  Subject: departments=A,B
 *	(departments the subject is an agent of), units=U,V (units a monitor
 *	is assigned to), status=available|unavailable, max_chats=N.  A value
 *	that is malformed, or names a department or unit the directory or
 *	tenant file does not have, denies the request with a reason naming
 *	the attribute.
 *
 * DECISIONS
 *	A subject holds the union of its roles' permissions; what no role
 *	grants is denied.  A request naming a department is then allowed when
 *	one of the subject's granting roles may act on it:
 *	  - admin and livechat-manager: on every department;
 *	  - livechat-monitor: when the tenant has no units at all, or the
 *	    department belongs to a unit in the monitor's units, or the
 *	    monitor is an agent of the department (its departments);
 *	  - any other role, for view-livechat-queue: only when the subject is
 *	    an agent of the department (a department's queue is visible to its
 *	    agents only; the queue with no department is visible to all);
 *	  - any other role, for any other permission: on every department.
 *	take-inquiry (taking a waiting chat) also needs status available and
 *	open_chats below the limit: the department's max_chats when set
 *	(> 0), else the agent's max_chats, else the tenant's; 0 everywhere
 *	means no limit.  The reason names the limit and where it came from.
 *
 * CUSTOM ROLES
 *	The custom_role hook refuses every custom role in the Community
 *	edition ("custom roles need the Enterprise edition") and accepts any
 *	set of declared permissions in the Enterprise edition.
 *
 * DECISION TABLE
 *	The subject_answers hook gives, for a directory user, what decide()
 *	answers for every permission without request attributes: deny for
 *	all when a subject attribute is bad, else the effective permissions
 *	(rg_effective_set()), take-inquiry only when the agent is available
 *	and no chat limit applies (no open_chats is given).  The core keeps
 *	them in its decision table for checks that want no reason.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "org.h"
#include "tenant.h"

#define RC_PRODUCT "rocketchat"

/* The ids the plugin's rules name; the policy file must declare them. */
#define RC_ROLE_ADMIN   "admin"
#define RC_ROLE_MANAGER "livechat-manager"
#define RC_ROLE_MONITOR "livechat-monitor"
#define RC_ROLE_AGENT   "livechat-agent"
#define RC_PRIV_QUEUE   "view-livechat-queue"
#define RC_PRIV_TAKE    "take-inquiry"

/* Request attributes. */
#define RC_ATTR_DEPARTMENT "department"
#define RC_ATTR_OPEN_CHATS "open_chats"
/* Subject attributes. */
#define RC_SUBJ_DEPARTMENTS   "departments"
#define RC_SUBJ_UNITS         "units"
#define RC_SUBJ_STATUS        "status"
#define RC_SUBJ_MAX_CHATS     "max_chats"
#define RC_STATUS_AVAILABLE   "available"
#define RC_STATUS_UNAVAILABLE "unavailable"

/* Why the Community edition has no custom role. */
#define RC_NO_CUSTOM "custom roles need the Enterprise edition"

/* The policy keys this plugin adds. */
#define RC_KEY_EDITION "edition"
#define RC_KEY_SCOPE   "scope"
#define RC_KEY_FLAGS   "flags"
#define RC_FLAG_CUSTOM "custom"

/* Edition names, in the order of enum rc_edition. */
static const char *const rc_editions[] = {"enterprise", "community", NULL};

enum rc_edition {
	RC_EDITION_ENTERPRISE = 0,
	RC_EDITION_COMMUNITY = 1,
	RC_EDITION_ANY = -1, /* a section without an edition key */
	RC_EDITION_BAD = -2, /* an edition key the key hook refuses */
};

static const char *const rc_scopes[] = {"global", "room", NULL};

/* The plugin's state, one per stack entry; read-only once declared. */
struct rocketchat {
	const char *policy;      /* absolute; owned by the handle */
	const char *tenant_path; /* absolute or NULL; owned by the handle */
	int edition;             /* enum rc_edition */
	struct rc_tenant tenant;
	int loaded;
	/* Role indexes (monitor is -1 in Community), privilege indexes. */
	long admin, manager, monitor, agent;
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

/* ---- Arguments --------------------------------------------------------- */

static int rc_parse_args(rg_plugin_handle *h, int argc, char *const argv[],
                         struct rocketchat *st)
{
	const rg_argspec specs[] = {
	    {
	        .name = "policy",
	        .type = RG_ARG_PATH,
	        .required = 1,
	        .dest = &st->policy,
	    },
	    {
	        .name = "edition",
	        .type = RG_ARG_ENUM,
	        .required = 1,
	        .choices = rc_editions,
	        .dest = &st->edition,
	    },
	    {
	        .name = "tenant",
	        .type = RG_ARG_PATH,
	        .dest = &st->tenant_path,
	    },
	    {.name = NULL},
	};

	return rg_args_parse(h, argc, argv, specs);
}

static int rc_open(rg_plugin_handle *h, int argc, char *const argv[],
                   void **state)
{
	struct rocketchat *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	st->admin = st->manager = st->monitor = st->agent = -1;
	st->queue = st->take = -1;
	rc = rc_parse_args(h, argc, argv, st);
	if (rc == RG_OK && st->tenant_path)
		rc = rc_tenant_load(h, st->tenant_path, &st->tenant);
	if (rc != RG_OK) {
		free(st);
		return rc;
	}
	*state = st;
	return RG_OK;
}

static void rc_close(void *state)
{
	struct rocketchat *st = state;

	if (!st)
		return;
	rc_tenant_free(&st->tenant);
	free(st->granted_by);
	free(st);
}

/* ---- Reading the policy ------------------------------------------------ */

/*
 * What a first reading of the policy file found about one [role] or
 * [privilege] section: its edition, and whether it is a custom role.  The
 * section hook needs both, and the core passes neither (flags is a key of
 * its own, and edition goes to the key hook one key at a time), so the
 * file is read once more with rg_ini_read() before rg_policy_load().
 */
struct rc_mark {
	rg_policy_kind kind;
	char *id;
	int edition; /* enum rc_edition */
	int custom;
};

struct rc_reading {
	struct rocketchat *st;
	rg_plugin_handle *h;
	struct rc_mark *marks;
	size_t nmarks, cap;
	int oom;
};

static int rc_index(const char *const *list, const char *s)
{
	int i;

	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return i;
	return -1;
}

/* 1 when word is one of the blank-separated words of text. */
static int rc_has_word(const char *text, const char *word)
{
	size_t len = strlen(word);
	const char *p = text;

	while ((p = strstr(p, word))) {
		int starts = p == text || p[-1] == ' ' || p[-1] == '\t';
		int ends = p[len] == '\0' || p[len] == ' ' || p[len] == '\t';

		if (starts && ends)
			return 1;
		p += len;
	}
	return 0;
}

/* Splits "role ID" / "privilege ID"; 0 for any other section. */
static int rc_section_kind(const char *section, rg_policy_kind *kind,
                           const char **id)
{
	static const struct {
		const char *word;
		rg_policy_kind kind;
	} kinds[] = {
	    {"role ", RG_POLICY_ROLE},
	    {"privilege ", RG_POLICY_PRIVILEGE},
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = strlen(kinds[i].word);

		if (!strncmp(section, kinds[i].word, len)) {
			*kind = kinds[i].kind;
			*id = section + len;
			while (**id == ' ')
				(*id)++;
			return 1;
		}
	}
	return 0;
}

static struct rc_mark *rc_find_mark(const struct rc_reading *rd,
                                    rg_policy_kind kind, const char *id)
{
	size_t i;

	for (i = 0; i < rd->nmarks; i++)
		if (rd->marks[i].kind == kind && !strcmp(rd->marks[i].id, id))
			return &rd->marks[i];
	return NULL;
}

static struct rc_mark *rc_add_mark(struct rc_reading *rd, rg_policy_kind kind,
                                   const char *id)
{
	struct rc_mark *m;

	if (rd->nmarks == rd->cap) {
		size_t ncap = rd->cap ? rd->cap * 2 : 32;
		struct rc_mark *n = realloc(rd->marks, ncap * sizeof(*n));

		if (!n)
			return NULL;
		rd->marks = n;
		rd->cap = ncap;
	}
	m = &rd->marks[rd->nmarks];
	m->kind = kind;
	m->edition = RC_EDITION_ANY;
	m->custom = 0;
	m->id = strdup(id);
	if (!m->id)
		return NULL;
	rd->nmarks++;
	return m;
}

/* The first reading: notes edition and custom flags, judges nothing. */
static int rc_mark_key(void *user, const char *section, const char *key,
                       const char *value, const rg_ini_pos *pos)
{
	struct rc_reading *rd = user;
	rg_policy_kind kind;
	struct rc_mark *m;
	const char *id;

	(void)pos;
	if (!rc_section_kind(section, &kind, &id))
		return RG_OK; /* [policy], or a bad section the core reports */
	if (strcmp(key, RC_KEY_EDITION) && strcmp(key, RC_KEY_FLAGS))
		return RG_OK;
	m = rc_find_mark(rd, kind, id);
	if (!m)
		m = rc_add_mark(rd, kind, id);
	if (!m) {
		rd->oom = 1;
		return RG_ENOMEM;
	}
	if (!strcmp(key, RC_KEY_EDITION)) {
		m->edition = rc_index(rc_editions, value);
		if (m->edition < 0)
			m->edition = RC_EDITION_BAD;
	} else if (kind == RG_POLICY_ROLE) {
		m->custom = rc_has_word(value, RC_FLAG_CUSTOM);
	}
	return RG_OK;
}

static const char *rc_kind_name(rg_policy_kind kind)
{
	return kind == RG_POLICY_ROLE ? "role" : "privilege";
}

/* The key hook: checks the values of the keys this plugin adds. */
static int rc_policy_key(void *user, const rg_policy_section *sec,
                         const char *key, const char *value,
                         const rg_ini_pos *pos)
{
	struct rc_reading *rd = user;

	if (sec->kind != RG_POLICY_HEADER && !strcmp(key, RC_KEY_EDITION)) {
		if (rc_index(rc_editions, value) >= 0)
			return RG_OK;
		rg_plugin_error(rd->h, pos->file, pos->line,
		                "edition = '%s' in [%s %s]: expected "
		                "enterprise or community",
		                value, rc_kind_name(sec->kind), sec->id);
		return RG_EPOLICY;
	}
	if (sec->kind == RG_POLICY_ROLE && !strcmp(key, RC_KEY_SCOPE)) {
		if (rc_index(rc_scopes, value) >= 0)
			return RG_OK;
		rg_plugin_error(rd->h, pos->file, pos->line,
		                "scope = '%s' in [role %s]: expected global "
		                "or room",
		                value, sec->id);
		return RG_EPOLICY;
	}
	if (sec->kind == RG_POLICY_HEADER)
		rg_plugin_error(rd->h, pos->file, pos->line,
		                "unknown key '%s' in [policy]", key);
	else
		rg_plugin_error(rd->h, pos->file, pos->line,
		                "unknown key '%s' in [%s %s] (the plugin adds "
		                "edition%s)",
		                key, rc_kind_name(sec->kind), sec->id,
		                sec->kind == RG_POLICY_ROLE ? " and scope"
		                                            : "");
	return RG_EPOLICY;
}

/* The section hook: leaves out what the edition does not have. */
static int rc_policy_section(void *user, const rg_policy_section *sec)
{
	struct rc_reading *rd = user;
	const struct rc_mark *m;

	if (sec->kind == RG_POLICY_HEADER)
		return RG_OK;
	m = rc_find_mark(rd, sec->kind, sec->id);
	if (!m)
		return RG_OK;
	if (m->edition >= 0 && m->edition != rd->st->edition) {
		rg_plugin_log(rd->h, RG_LOG_DEBUG,
		              "%s:%u: %s %s left out: %s edition only",
		              sec->file, sec->line, rc_kind_name(sec->kind),
		              sec->id, rc_editions[m->edition]);
		return RG_POLICY_SKIP;
	}
	if (m->custom && rd->st->edition == RC_EDITION_COMMUNITY) {
		rg_plugin_log(rd->h, RG_LOG_NOTICE,
		              "%s:%u: custom role %s left out: custom roles "
		              "need the Enterprise edition",
		              sec->file, sec->line, sec->id);
		return RG_POLICY_SKIP;
	}
	return RG_OK;
}

/* Finds an id the plugin's rules need; reports it when missing. */
static int rc_need(rg_plugin_handle *h, const char *policy, const char *kind,
                   const char *id, long idx)
{
	if (idx >= 0)
		return RG_OK;
	rg_plugin_error(h, policy, 0,
	                "the policy declares no %s '%s', which the rocketchat "
	                "plugin's rules need",
	                kind, id);
	return RG_EPOLICY;
}

static int rc_resolve_ids(struct rocketchat *st, rg_plugin_handle *h)
{
	int rc = RG_OK;

	st->admin = rg_find_role(h, RC_ROLE_ADMIN);
	st->manager = rg_find_role(h, RC_ROLE_MANAGER);
	st->agent = rg_find_role(h, RC_ROLE_AGENT);
	st->monitor = rg_find_role(h, RC_ROLE_MONITOR);
	st->queue = rg_find_privilege(h, RC_PRIV_QUEUE);
	st->take = rg_find_privilege(h, RC_PRIV_TAKE);
	if (rc_need(h, st->policy, "role", RC_ROLE_ADMIN, st->admin) ||
	    rc_need(h, st->policy, "role", RC_ROLE_MANAGER, st->manager) ||
	    rc_need(h, st->policy, "role", RC_ROLE_AGENT, st->agent) ||
	    rc_need(h, st->policy, "privilege", RC_PRIV_QUEUE, st->queue) ||
	    rc_need(h, st->policy, "privilege", RC_PRIV_TAKE, st->take))
		rc = RG_EPOLICY;
	/* The monitor is an Enterprise role: the Community edition has none. */
	if (st->edition == RC_EDITION_ENTERPRISE &&
	    rc_need(h, st->policy, "role", RC_ROLE_MONITOR, st->monitor))
		rc = RG_EPOLICY;
	return rc;
}

/*
 * Counts the service's roles and privileges as they stand, and notes which
 * of this plugin's roles grant each privilege: decisions then read one set
 * where they would ask the registry role by role.
 */
static int rc_index_grants(struct rocketchat *st, rg_plugin_handle *h)
{
	const rg_roleset *own = rg_own_roles(h);
	size_t p;
	uint32_t r;

	while (rg_role_id(h, (uint32_t)st->nroles))
		st->nroles++;
	while (rg_privilege_id(h, (uint32_t)st->nprivs))
		st->nprivs++;
	st->role_words =
	    (st->nroles + RG_BITSET_WORD_BITS - 1) / RG_BITSET_WORD_BITS;
	if (st->role_words > RG_MAX_ROLES / RG_BITSET_WORD_BITS)
		st->role_words = RG_MAX_ROLES / RG_BITSET_WORD_BITS;
	st->granted_by =
	    calloc(st->nprivs ? st->nprivs : 1, sizeof(*st->granted_by));
	if (!st->granted_by) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	for (r = 0; r < st->nroles && r < RG_MAX_ROLES; r++) {
		if (!rg_roleset_has(own, r))
			continue;
		for (p = 0; p < st->nprivs; p++)
			if (rg_role_has_privilege(h, r, (uint32_t)p))
				rg_roleset_add(&st->granted_by[p], r);
	}
	return RG_OK;
}

/*
 * Declares which privileges the department scopes: every one a monitor
 * holds (a monitor asked without a department is not held to its units),
 * and the queue and taking a chat (agents see their departments' only).
 */
static int rc_declare_scopes(const struct rocketchat *st, rg_plugin_handle *h)
{
	size_t p;
	int rc = RG_OK;

	for (p = 0; rc == RG_OK && p < st->nprivs; p++)
		if ((long)p == st->queue || (long)p == st->take ||
		    (st->monitor >= 0 &&
		     rg_roleset_has(&st->granted_by[p], (uint32_t)st->monitor)))
			rc = rg_declare_scope(h, (uint32_t)p,
			                      RC_ATTR_DEPARTMENT);
	if (rc != RG_OK)
		rg_plugin_error(h, NULL, 0, "cannot declare scopes: %s",
		                rg_strerror(rc));
	return rc;
}

static int rc_declare(void *state, rg_plugin_handle *h)
{
	struct rocketchat *st = state;
	const rg_policy_hooks hooks = {
	    .product = RC_PRODUCT,
	    .key = rc_policy_key,
	    .section = rc_policy_section,
	    .grant = NULL, /* no grant qualifiers: scope rules are in C */
	};
	struct rc_reading rd;
	size_t i;
	int rc;

	memset(&rd, 0, sizeof(rd));
	rd.st = st;
	rd.h = h;
	/*
	 * A file the first reading cannot parse is not read a second time:
	 * its problems are reported once, by the reading that found them.
	 */
	rc = rg_ini_read(h, st->policy, rc_mark_key, &rd);
	if (rd.oom)
		rg_plugin_error(h, NULL, 0, "out of memory");
	if (rc == RG_OK)
		rc = rg_policy_load(h, st->policy, &hooks, &rd);
	if (rc == RG_OK)
		rc = rc_resolve_ids(st, h);
	if (rc == RG_OK)
		rc = rc_index_grants(st, h);
	if (rc == RG_OK)
		rc = rc_declare_scopes(st, h);
	for (i = 0; i < rd.nmarks; i++)
		free(rd.marks[i].id);
	free(rd.marks);
	if (rc == RG_OK)
		st->loaded = 1;
	return rc;
}

/* ---- Attributes -------------------------------------------------------- */

struct rc_prepared;
struct rc_puser;

/* The attributes a decision may consult, read once and checked once. */
struct rc_attrs {
	struct rc_org org;      /* where units and departments come from */
	const char *department; /* request department, or NULL */
	struct rc_dept dept;    /* what the organisation says of it */
	long open_chats;        /* -1 when not given */
	const char *status;     /* NULL when not given */
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

/* The attributes the plugin reads, request and subject. */
enum { RQ_DEPARTMENT, RQ_OPEN_CHATS, RQ_COUNT };
enum { SJ_STATUS, SJ_MAX_CHATS, SJ_UNITS, SJ_DEPARTMENTS, SJ_COUNT };

static const char *const rc_request_keys[RQ_COUNT] = {
    [RQ_DEPARTMENT] = RC_ATTR_DEPARTMENT,
    [RQ_OPEN_CHATS] = RC_ATTR_OPEN_CHATS,
};

static const char *const rc_subject_keys[SJ_COUNT] = {
    [SJ_STATUS] = RC_SUBJ_STATUS,
    [SJ_MAX_CHATS] = RC_SUBJ_MAX_CHATS,
    [SJ_UNITS] = RC_SUBJ_UNITS,
    [SJ_DEPARTMENTS] = RC_SUBJ_DEPARTMENTS,
};

/* No key of a list: its slot functions answer this. */
#define RC_NO_SLOT (-1)

/* The slot of a request attribute key; its first letter picks it. */
static int rc_request_slot(const char *key)
{
	switch (key[0]) {
	case 'd':
		return RQ_DEPARTMENT;
	case 'o':
		return RQ_OPEN_CHATS;
	default:
		return RC_NO_SLOT;
	}
}

static int rc_subject_slot(const char *key)
{
	switch (key[0]) {
	case 's':
		return SJ_STATUS;
	case 'm':
		return SJ_MAX_CHATS;
	case 'u':
		return SJ_UNITS;
	case 'd':
		return SJ_DEPARTMENTS;
	default:
		return RC_NO_SLOT;
	}
}

/*
 * Reads nkeys keys in one pass over attrs, where rg_attr_get() would walk
 * them once per key; the result is the same: the first attribute with a
 * key gives its value (even a NULL one).  slot() names the only key an
 * attribute may be, so that each attribute costs at most one strcmp;
 * inlined, so that slot() is too.
 */
static inline __attribute__((always_inline)) void
rc_gather(const rg_attr *attrs, size_t n, const char *const *keys, int nkeys,
          int (*slot)(const char *), const char **out)
{
	unsigned todo = (1u << nkeys) - 1;
	size_t i;
	int k;

	for (k = 0; k < nkeys; k++)
		out[k] = NULL;
	for (i = 0; i < n && todo; i++) {
		const char *key = attrs[i].key;

		if (!key)
			continue;
		k = slot(key);
		if (k == RC_NO_SLOT || !((todo >> k) & 1u) ||
		    strcmp(key, keys[k]))
			continue;
		out[k] = attrs[i].value;
		todo &= ~(1u << k);
	}
}

static int rc_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * 1 when the comma-separated list holds the id (of length idlen): an item
 * as rc_list_begin() and rc_list_next() give it (blanks trimmed; a blank
 * list has none), compared in one pass over the text.
 */
static int rc_list_has_n(const char *list, const char *id, size_t idlen)
{
	const char *s = list;

	if (!s)
		return 0;
	while (rc_is_blank(*s))
		s++;
	if (*s == '\0')
		return 0;
	for (;;) {
		const char *item, *end;

		while (rc_is_blank(*s))
			s++;
		item = s;
		while (*s && *s != ',')
			s++;
		end = s;
		while (end > item && rc_is_blank(end[-1]))
			end--;
		if ((size_t)(end - item) == idlen && !memcmp(item, id, idlen))
			return 1;
		if (*s == '\0')
			return 0;
		s++;
	}
}

static int rc_list_has(const char *list, const char *id)
{
	return list && rc_list_has_n(list, id, strlen(id));
}

/*
 * The characters of an id, as rc_valid_id() says (isalnum() or "._-:"):
 * 1 for ASCII letters, digits and "._-:", which every locale agrees on,
 * 2 for bytes past ASCII, which only the locale's isalnum() can judge.
 */
static const unsigned char rc_id_chars[256] = {
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1,   ['a' ... 'z'] = 1,
    ['-'] = 1,         ['.'] = 1,           ['_'] = 1,
    [':'] = 1,         [0x80 ... 0xff] = 2,
};

static int rc_id_char(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (__builtin_expect(rc_id_chars[c] == 1, 1))
		return 1;
	return rc_id_chars[c] == 2 && isalnum(c);
}

/* The length of s when it is an id (rc_valid_id()), else 0; one pass. */
static size_t rc_id_len(const char *s)
{
	const char *p = s;

	while (rc_id_char(*p))
		p++;
	if (*p != '\0' || (size_t)(p - s) >= RG_ID_MAX)
		return 0;
	return (size_t)(p - s);
}

/*
 * 1 when every item of the list is an id: what rc_list_begin(),
 * rc_list_next() and rc_valid_id() say item by item, in one pass over the
 * text.
 */
static int rc_list_ids_valid(const char *list)
{
	const char *s = list;

	while (rc_is_blank(*s))
		s++;
	if (*s == '\0')
		return 1; /* blank: no item at all */
	for (;;) {
		const char *item;

		while (rc_is_blank(*s))
			s++;
		item = s;
		while (rc_id_char(*s))
			s++;
		if (s == item || (size_t)(s - item) >= RG_ID_MAX)
			return 0;
		while (rc_is_blank(*s))
			s++;
		if (*s == '\0')
			return 1;
		if (*s != ',')
			return 0;
		s++;
	}
}

/*
 * Checks a subject list attribute: every item must be an id and, when the
 * directory or a tenant file has the organisation, one of its units or
 * departments.  A directory user's lists are the directory's own
 * memberships, which name what it has: only an ad-hoc subject's are
 * looked up.
 */
static int rc_check_list(const rg_plugin_request *req, struct rc_org *org,
                         const char *attr, const char *list, int units,
                         rg_plugin_answer *ans)
{
	const char *what = units ? "unit" : "department";
	const char *cur, *item;
	size_t len;

	if (req->user || !rc_org_checked(org)) {
		if (rc_list_ids_valid(list))
			return 1;
		rg_answer(ans,
		          "subject attribute %s='%s' is not a "
		          "comma-separated list of %s ids",
		          attr, list, what);
		return 0;
	}
	/* Item by item, so that the first bad item is the one reported. */
	cur = rc_list_begin(list);
	while (rc_list_next(&cur, &item, &len)) {
		int known;

		if (!rc_valid_id(item, len)) {
			rg_answer(ans,
			          "subject attribute %s='%s' is not a "
			          "comma-separated list of %s ids",
			          attr, list, what);
			return 0;
		}
		if (units) {
			known = rc_org_unit(org, item, len);
		} else {
			struct rc_dept d;
			const char *bad = NULL;

			known = rc_org_department(org, item, len, &d, &bad) !=
			        RC_DEPT_UNKNOWN;
		}
		if (!known) {
			rg_answer(ans,
			          "subject attribute %s names %s '%.*s', "
			          "which the tenant does not have (%s)",
			          attr, what, (int)len, item,
			          rc_org_source_name(org));
			return 0;
		}
	}
	return 1;
}

static int rc_check_count(const char *kind, const char *attr, const char *value,
                          long *out, rg_plugin_answer *ans)
{
	if (rc_parse_count(value, out))
		return 1;
	rg_answer(ans,
	          "%s attribute %s='%s' is not a whole number from 0 to %ld",
	          kind, attr, value, RC_COUNT_MAX);
	return 0;
}

/*
 * Reads the request's department d.  A directory user's department
 * memberships are departments of the directory, even those it keeps no
 * unit or limit for (and so no fact).
 */
static int rc_read_department(const rg_plugin_request *req, struct rc_attrs *a,
                              const char *d, rg_plugin_answer *ans)
{
	size_t len = rc_id_len(d);
	const char *bad = NULL;

	if (!len) {
		rg_answer(ans,
		          "request attribute department='%s' is not a "
		          "department id",
		          d);
		return 0;
	}
	a->department = d;
	switch (rc_org_department(&a->org, d, len, &a->dept, &bad)) {
	case RC_DEPT_FOUND:
		return 1;
	case RC_DEPT_UNKNOWN:
		if (req->user && rc_list_has_n(a->departments, d, len))
			return 1; /* in no unit and with no limit */
		break;
	case RC_DEPT_BAD:
		rg_answer(ans,
		          "department '%s': the directory's max_chats '%s' is "
		          "not a whole number from 0 to %ld",
		          d, bad, RC_COUNT_MAX);
		return 0;
	}
	rg_answer(ans,
	          "request attribute department='%s' names a department the "
	          "tenant does not have (%s)",
	          d, rc_org_source_name(&a->org));
	return 0;
}

static int rc_read_status(struct rc_attrs *a, const char *status,
                          rg_plugin_answer *ans)
{
	a->status = status;
	if (!status)
		return 1;
	if (!strcmp(status, RC_STATUS_AVAILABLE)) {
		a->available = 1;
		return 1;
	}
	if (!strcmp(status, RC_STATUS_UNAVAILABLE))
		return 1;
	rg_answer(ans,
	          "subject attribute status='%s': expected available or "
	          "unavailable",
	          status);
	return 0;
}

/*
 * Reads every attribute the plugin knows, in one pass over each list, and
 * checks them whatever the action: a value that cannot be trusted denies
 * (fail closed) with a reason naming it.  They are checked in a fixed
 * order, so that the reason names the first bad one.  Attributes the
 * plugin does not know are left to other plugins.
 */
static int rc_read_attrs_slow(const struct rocketchat *st,
                              const rg_plugin_request *req, struct rc_attrs *a,
                              rg_plugin_answer *ans)
{
	const char *rq[RQ_COUNT], *sj[SJ_COUNT];

	memset(a, 0, sizeof(*a));
	a->open_chats = -1;
	rc_org_init(&a->org, req, &st->tenant);
	rc_gather(req->attrs, req->nattrs, rc_request_keys, RQ_COUNT,
	          rc_request_slot, rq);
	rc_gather(req->subject_attrs, req->nsubject_attrs, rc_subject_keys,
	          SJ_COUNT, rc_subject_slot, sj);
	a->departments = sj[SJ_DEPARTMENTS];
	a->units = sj[SJ_UNITS];
	if (rq[RQ_DEPARTMENT] &&
	    !rc_read_department(req, a, rq[RQ_DEPARTMENT], ans))
		return 0;
	if (rq[RQ_OPEN_CHATS] &&
	    !rc_check_count("request", RC_ATTR_OPEN_CHATS, rq[RQ_OPEN_CHATS],
	                    &a->open_chats, ans))
		return 0;
	if (!rc_read_status(a, sj[SJ_STATUS], ans))
		return 0;
	if (sj[SJ_MAX_CHATS] &&
	    !rc_check_count("subject", RC_SUBJ_MAX_CHATS, sj[SJ_MAX_CHATS],
	                    &a->max_chats, ans))
		return 0;
	if (a->units &&
	    !rc_check_list(req, &a->org, RC_SUBJ_UNITS, a->units, 1, ans))
		return 0;
	if (a->departments && !rc_check_list(req, &a->org, RC_SUBJ_DEPARTMENTS,
	                                     a->departments, 0, ans))
		return 0;
	return 1;
}

/* ---- Prepared snapshots (ABI 1.3) -------------------------------------- */

/*
 * rc_read_attrs_slow() works out on every check what depends only on the
 * snapshot: where the organisation comes from, the department's unit and
 * limit (string-keyed fact lookups), and the directory user's own
 * attributes, checked anew each time.  view_prepare() works them out once
 * per snapshot:
 *   - the names of the departments the users are agents of (and, with a
 *     tenant file, all of its departments), each looked up in the source
 *     once, in a table of our own keyed by the name;
 *   - the units those departments belong to and the users' units, so that
 *     a department's unit and a monitor's units compare as indexes;
 *   - each user's attributes, checked as the slow path checks them, with
 *     its lists as indexes.
 * Anything the prepared data does not answer outright (a bad attribute, a
 * department no user names, a bad limit) goes to the slow path, which then
 * gives the answer and the reason it always gave: the prepared path only
 * ever answers what the slow path would have found valid.
 */

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

/* The user's departments or units, for rc_puser_has(). */
enum rc_plist { RC_PLIST_DEPTS, RC_PLIST_UNITS };

struct rc_prepared {
	enum rc_org_source source;
	size_t org_units; /* what rc_org_has_units() counts */
	int default_ok;   /* the default limit is a count: below */
	long default_limit;
	int default_from_directory;
	rg_names *depts;        /* the core's name tables (plugin.h) */
	struct rc_pdept *dinfo; /* one a department, once every name is in */
	rg_names *units;
	struct rc_puser *users;
	size_t nusers;
	uint32_t *pool;
	size_t npool, cappool;
};

#define RC_POOL_MIN 64

/* Adds the len bytes at id, an id (shorter than RG_ID_MAX, as lists hold
 * them), to ns: *ix gets its index.  RG_OK or an error. */
static int rc_names_add(rg_names *ns, const char *id, size_t len, long *ix)
{
	char buf[RG_ID_MAX];

	if (len >= sizeof(buf))
		return RG_ELIMIT;
	memcpy(buf, id, len);
	buf[len] = '\0';
	*ix = rg_names_add(ns, buf);
	return *ix < 0 ? (int)*ix : RG_OK;
}

static int rc_pool_add(struct rc_prepared *p, long ix)
{
	if (p->npool == p->cappool) {
		size_t cap = p->cappool ? p->cappool * 2 : RC_POOL_MIN;
		uint32_t *pool = realloc(p->pool, cap * sizeof(*pool));

		if (!pool)
			return RG_ENOMEM;
		p->pool = pool;
		p->cappool = cap;
	}
	p->pool[p->npool++] = (uint32_t)ix;
	return RG_OK;
}

/* 1 when the user's list (departments or units) holds index ix. */
static int rc_puser_has(const struct rc_prepared *p, const struct rc_puser *pu,
                        enum rc_plist which, long ix)
{
	const uint32_t *v;
	size_t nd, i, from, n;

	if (ix < 0)
		return 0;
	if (pu->bits & RC_PU_INLINE) {
		nd = (pu->bits >> RC_PU_NDEPTS_SHIFT) & RC_PU_COUNT_MASK;
		from = which == RC_PLIST_UNITS ? nd : 0;
		n = which == RC_PLIST_UNITS
		        ? (pu->bits >> RC_PU_NUNITS_SHIFT) & RC_PU_COUNT_MASK
		        : nd;
		for (i = from; i < from + n; i++)
			if (pu->at.ix[i] == ix)
				return 1;
		return 0;
	}
	v = p->pool + pu->at.first;
	from = 2 + (which == RC_PLIST_UNITS ? v[0] : 0);
	n = which == RC_PLIST_UNITS ? v[1] : v[0];
	for (i = from; i < from + n; i++)
		if (v[i] == (uint32_t)ix)
			return 1;
	return 0;
}

static void rc_prepared_free(struct rc_prepared *p)
{
	if (!p)
		return;
	rg_names_free(p->depts);
	rg_names_free(p->units);
	free(p->dinfo);
	free(p->users);
	free(p->pool);
	free(p);
}

/*
 * The source and default limit, as rc_org_init() and resolve() find them
 * on every decision: they depend on the snapshot and the tenant alone.
 */
static void rc_prepare_org(const struct rocketchat *st,
                           const rg_plugin_request *req, struct rc_prepared *p)
{
	struct rc_org org;
	const char *bad = NULL;

	rc_org_init(&org, req, &st->tenant);
	rc_org_checked(&org); /* resolves source and units */
	p->source = org.source;
	p->org_units = org.units;
	p->default_ok = rc_org_default_limit(&org, &p->default_limit,
	                                     &p->default_from_directory, &bad);
}

/*
 * Interns the items of a list rc_list_ids_valid() accepted and appends
 * their indexes to the pool; *count gets how many.
 */
static int rc_prepare_list(struct rc_prepared *p, rg_names *ns,
                           const char *list, uint32_t *count)
{
	const char *cur = rc_list_begin(list), *item;
	size_t len;
	long ix;
	int rc;

	*count = 0;
	while (rc_list_next(&cur, &item, &len)) {
		rc = rc_names_add(ns, item, len, &ix);
		if (rc == RG_OK)
			rc = rc_pool_add(p, ix);
		if (rc != RG_OK)
			return rc;
		(*count)++;
	}
	return RG_OK;
}

/*
 * Moves the user's lists, pool[first ..] as rc_prepare_user() put them,
 * into its record when they fit, and gives their room back: 1 when it
 * did.
 */
static int rc_prepare_inline(struct rc_prepared *p, struct rc_puser *pu,
                             size_t first)
{
	uint32_t nd = p->pool[first], nu = p->pool[first + 1], i;

	if (nd + nu > RC_PU_INLINE_MAX)
		return 0;
	for (i = 0; i < nd + nu; i++)
		if (p->pool[first + 2 + i] > UINT16_MAX)
			return 0;
	for (i = 0; i < nd + nu; i++)
		pu->at.ix[i] = (uint16_t)p->pool[first + 2 + i];
	pu->bits |=
	    RC_PU_INLINE | nd << RC_PU_NDEPTS_SHIFT | nu << RC_PU_NUNITS_SHIFT;
	p->npool = first;
	return 1;
}

/*
 * Checks user u's attributes as rc_read_attrs_slow() checks a directory
 * user's (its lists are ids; the directory's memberships need no lookup),
 * and keeps them.  A user with a bad one stays slow, so that the slow
 * path reports it with its reason.  RG_OK, or an allocation error.
 */
static int rc_prepare_user(struct rc_prepared *p, const rg_plugin_request *u,
                           struct rc_puser *pu)
{
	rg_plugin_answer quiet = {
	    .role = -1, .missing = -1, .flags = RG_ANSWER_QUIET};
	const char *sj[SJ_COUNT];
	struct rc_attrs a;
	long max_chats = 0;
	size_t first = p->npool;
	uint32_t nd, nu;
	int rc;

	memset(pu, 0, sizeof(*pu));
	memset(&a, 0, sizeof(a));
	rc_gather(u->subject_attrs, u->nsubject_attrs, rc_subject_keys,
	          SJ_COUNT, rc_subject_slot, sj);
	if (!u->user || !rc_read_status(&a, sj[SJ_STATUS], &quiet))
		return RG_OK;
	/* A count fits its bits (RC_COUNT_MAX does); should it not, slow. */
	if (sj[SJ_MAX_CHATS] &&
	    (!rc_parse_count(sj[SJ_MAX_CHATS], &max_chats) ||
	     max_chats > (long)RC_PU_MAX_CHATS))
		return RG_OK;
	if ((sj[SJ_UNITS] && !rc_list_ids_valid(sj[SJ_UNITS])) ||
	    (sj[SJ_DEPARTMENTS] && !rc_list_ids_valid(sj[SJ_DEPARTMENTS])))
		return RG_OK;
	/* at.first is 32 bits: a pool beyond them leaves the user slow. */
	if ((uint64_t)first > UINT32_MAX)
		return RG_OK;
	/* The two counts first, filled in once the lists are in. */
	rc = rc_pool_add(p, 0);
	if (rc == RG_OK)
		rc = rc_pool_add(p, 0);
	if (rc == RG_OK)
		rc = rc_prepare_list(p, p->depts, sj[SJ_DEPARTMENTS], &nd);
	if (rc == RG_OK)
		rc = rc_prepare_list(p, p->units, sj[SJ_UNITS], &nu);
	if (rc != RG_OK)
		return rc;
	p->pool[first] = nd;
	p->pool[first + 1] = nu;
	if (!rc_prepare_inline(p, pu, first))
		pu->at.first = (uint32_t)first;
	pu->bits |= (uint32_t)max_chats << RC_PU_MAX_SHIFT | RC_PU_FAST;
	if (a.status)
		pu->bits |= RC_PU_STATUS;
	if (a.available)
		pu->bits |= RC_PU_AVAILABLE;
	return RG_OK;
}

static int rc_prepare_users(const struct rocketchat *st,
                            const rg_plugin_request *req, struct rc_prepared *p)
{
	size_t i, n = rg_view_user_count(req);
	long ix;
	int rc;

	/* A tenant file's departments can all be listed: a request naming
	 * one no user is an agent of then needs no slow lookup. */
	for (i = 0; p->source == RC_ORG_TENANT && i < st->tenant.ndepartments;
	     i++) {
		const char *id = st->tenant.departments[i].id;

		rc = rc_names_add(p->depts, id, strlen(id), &ix);
		if (rc != RG_OK)
			return rc;
	}
	p->users = calloc(n ? n : 1, sizeof(*p->users));
	if (!p->users)
		return RG_ENOMEM;
	p->nusers = n;
	for (i = 0; i < n; i++) {
		rg_plugin_request u;

		/* A user the core cannot give stays slow (zeroed). */
		if (rg_view_user(req, i, &u) != RG_OK)
			continue;
		rc = rc_prepare_user(p, &u, &p->users[i]);
		if (rc != RG_OK)
			return rc;
	}
	return RG_OK;
}

/*
 * Looks every interned department up in the source, as
 * rc_read_department() would on each request naming it, and interns
 * their units.
 */
static int rc_prepare_depts(const struct rocketchat *st,
                            const rg_plugin_request *req, struct rc_prepared *p)
{
	size_t n = rg_names_count(p->depts), i;
	struct rc_org org;
	int rc;

	p->dinfo = calloc(n ? n : 1, sizeof(*p->dinfo));
	if (!p->dinfo)
		return RG_ENOMEM;
	/* The source rc_prepare_org() found: no fact counted again. */
	rc_org_init_resolved(&org, req, &st->tenant, p->source, p->org_units);
	for (i = 0; i < n; i++) {
		const char *id = rg_names_name(p->depts, i);
		struct rc_pdept *pd = &p->dinfo[i];
		const char *bad = NULL;
		struct rc_dept d;

		pd->unit = -1;
		switch (rc_org_department(&org, id, strlen(id), &d, &bad)) {
		case RC_DEPT_FOUND:
			pd->kind = RC_PDEPT_FOUND;
			pd->max_chats = d.max_chats;
			if (!d.unit)
				break;
			rc = rc_names_add(p->units, d.unit, strlen(d.unit),
			                  &pd->unit);
			if (rc != RG_OK)
				return rc;
			break;
		case RC_DEPT_UNKNOWN:
			pd->kind = RC_PDEPT_MEMBER;
			break;
		case RC_DEPT_BAD:
			pd->kind = RC_PDEPT_SLOW;
			break;
		}
	}
	return RG_OK;
}

static int rc_view_prepare(const void *state, const rg_plugin_request *req,
                           void **prepared)
{
	const struct rocketchat *st = state;
	struct rc_prepared *p;
	int rc;

	*prepared = NULL;
	/* Without its policy decide() only errs: nothing to prepare. */
	if (!st->loaded)
		return RG_OK;
	p = calloc(1, sizeof(*p));
	if (!p)
		return RG_ENOMEM;
	p->depts = rg_names_new();
	p->units = rg_names_new();
	if (!p->depts || !p->units) {
		rc = RG_ENOMEM;
		goto out;
	}
	rc_prepare_org(st, req, p);
	rc = rc_prepare_users(st, req, p);
	if (rc != RG_OK)
		goto out;
	/* Last: the users named the departments to look up. */
	rc = rc_prepare_depts(st, req, p);
out:
	if (rc != RG_OK) {
		rc_prepared_free(p);
		return rc;
	}
	*prepared = p;
	return RG_OK;
}

static void rc_view_release(const void *state, void *prepared)
{
	(void)state;
	rc_prepared_free(prepared);
}

/*
 * The request's department from the prepared table, as
 * rc_read_department() finds it.  0 when the slow path must tell: a bad
 * id, a department no user names (the source is then asked), a bad
 * limit, or one the source does not have and the subject is no agent of
 * (an error, whose reason the slow path gives).
 */
static int rc_prepared_department(const struct rc_prepared *p,
                                  const struct rc_puser *pu, const char *d,
                                  struct rc_attrs *a)
{
	size_t len = rc_id_len(d);
	const struct rc_pdept *pd;

	if (!len)
		return 0;
	a->department = d;
	a->dept_ix = rg_names_find(p->depts, d);
	if (p->source == RC_ORG_NONE) {
		/* Nothing to check against: in no unit (rc_org_department()).
		 */
		a->dept.known = 1;
		return 1;
	}
	if (a->dept_ix < 0)
		return 0;
	pd = &p->dinfo[a->dept_ix];
	switch (pd->kind) {
	case RC_PDEPT_FOUND:
		a->dept.known = 1;
		a->dept.max_chats = pd->max_chats;
		a->unit_ix = pd->unit;
		if (pd->unit >= 0)
			a->dept.unit =
			    rg_names_name(p->units, (size_t)pd->unit);
		return 1;
	case RC_PDEPT_MEMBER:
		/* Known to its agents only, in no unit and with no limit. */
		return rc_puser_has(p, pu, RC_PLIST_DEPTS, a->dept_ix);
	default:
		return 0;
	}
}

/*
 * rc_read_attrs_slow() for a directory user of a prepared snapshot: the
 * request's attributes are read as there, the subject's come checked.
 * Returns 1, or 0 when the slow path must read them (it then answers as
 * it always did).
 */
static int rc_read_prepared(const struct rocketchat *st,
                            const rg_plugin_request *req,
                            const struct rc_prepared *p,
                            const struct rc_puser *pu, struct rc_attrs *a,
                            const rg_plugin_answer *ans)
{
	const char *rq[RQ_COUNT], *sj[SJ_COUNT];

	memset(a, 0, sizeof(*a));
	a->open_chats = -1;
	a->dept_ix = a->unit_ix = -1;
	rc_org_init_resolved(&a->org, req, &st->tenant, p->source,
	                     p->org_units);
	rc_gather(req->attrs, req->nattrs, rc_request_keys, RQ_COUNT,
	          rc_request_slot, rq);
	if (rq[RQ_DEPARTMENT] &&
	    !rc_prepared_department(p, pu, rq[RQ_DEPARTMENT], a))
		return 0;
	if (rq[RQ_OPEN_CHATS] &&
	    !rc_parse_count(rq[RQ_OPEN_CHATS], &a->open_chats))
		return 0;
	/* A fast user's status was one of the two words, as its bits say. */
	if (pu->bits & RC_PU_STATUS)
		a->status = pu->bits & RC_PU_AVAILABLE ? RC_STATUS_AVAILABLE
		                                       : RC_STATUS_UNAVAILABLE;
	a->available = !!(pu->bits & RC_PU_AVAILABLE);
	a->max_chats = (long)(pu->bits >> RC_PU_MAX_SHIFT);
	/* The lists' text only shows in reasons: the subject's attributes
	 * are the user's, which view_prepare() read. */
	if (!(ans->flags & RG_ANSWER_QUIET)) {
		rc_gather(req->subject_attrs, req->nsubject_attrs,
		          rc_subject_keys, SJ_COUNT, rc_subject_slot, sj);
		a->units = sj[SJ_UNITS];
		a->departments = sj[SJ_DEPARTMENTS];
	}
	a->prep = p;
	a->pu = pu;
	return 1;
}

/*
 * Reads and checks the attributes: from the prepared snapshot when the
 * subject is one of its users with its own roles (the core says so with
 * the user's index), else, or when in doubt, the slow way.
 */
static int rc_read_attrs(const struct rocketchat *st,
                         const rg_plugin_request *req, struct rc_attrs *a,
                         rg_plugin_answer *ans)
{
	const struct rc_prepared *p = rg_request_prepared(req);
	long i;

	if (p && req->user) {
		i = rg_request_user_index(req);
		if (i >= 0 && (size_t)i < p->nusers &&
		    (p->users[i].bits & RC_PU_FAST) &&
		    rc_read_prepared(st, req, p, &p->users[i], a, ans))
			return 1;
	}
	return rc_read_attrs_slow(st, req, a, ans);
}

/* 1 when the subject is an agent of the request's department. */
static int rc_agent_of(const struct rc_attrs *a)
{
	if (a->pu)
		return rc_puser_has(a->prep, a->pu, RC_PLIST_DEPTS, a->dept_ix);
	return rc_list_has(a->departments, a->department);
}

/* 1 when the subject monitors the unit of the request's department. */
static int rc_monitor_of(const struct rc_attrs *a)
{
	if (a->pu)
		return rc_puser_has(a->prep, a->pu, RC_PLIST_UNITS, a->unit_ix);
	return rc_list_has(a->units, a->dept.unit);
}

/* ---- Department scope -------------------------------------------------- */

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

static int rc_rule_allows(enum rc_rule rule)
{
	return rule != RC_RULE_OTHER_UNIT && rule != RC_RULE_NO_UNIT &&
	       rule != RC_RULE_QUEUE_HIDDEN;
}

/* A list attribute for a reason: "none" when empty or not given. */
static const char *rc_shown(const char *list)
{
	return rc_list_begin(list) ? list : "none";
}

static enum rc_rule rc_monitor_rule(struct rc_attrs *a)
{
	if (!rc_org_has_units(&a->org))
		return RC_RULE_NO_UNITS;
	if (rc_agent_of(a))
		return RC_RULE_MONITOR_AGENT;
	if (a->dept.unit && rc_monitor_of(a))
		return RC_RULE_MONITOR_UNIT;
	return a->dept.unit ? RC_RULE_OTHER_UNIT : RC_RULE_NO_UNIT;
}

/* What role r's grant allows on the request's department. */
static enum rc_rule rc_role_rule(const struct rocketchat *st,
                                 const rg_plugin_request *req,
                                 struct rc_attrs *a, uint32_t r)
{
	if ((long)r == st->admin || (long)r == st->manager)
		return RC_RULE_EVERY;
	if ((long)r == st->monitor)
		return rc_monitor_rule(a);
	if (req->action != st->queue)
		return RC_RULE_UNLIMITED;
	return rc_agent_of(a) ? RC_RULE_QUEUE_AGENT : RC_RULE_QUEUE_HIDDEN;
}

/* Puts the reason of role r's rule into ans (not called when quiet). */
static void rc_rule_reason(const rg_plugin_request *req, struct rc_attrs *a,
                           uint32_t r, enum rc_rule rule, rg_plugin_answer *ans)
{
	/* r may be a custom role, past the declared roles: ask the request. */
	const char *rid = rg_request_role_id(req, r);
	const char *pid = req->action_id;
	const char *dep = a->department;

	switch (rule) {
	case RC_RULE_EVERY:
		rg_answer(ans,
		          "%s grants %s on every department, '%s' included",
		          rid, pid, dep);
		break;
	case RC_RULE_NO_UNITS:
		rg_answer(ans,
		          "livechat-monitor grants %s on department '%s': the "
		          "tenant has no units (%s), so monitors are not "
		          "restricted",
		          pid, dep, rc_org_source_name(&a->org));
		break;
	case RC_RULE_MONITOR_AGENT:
		rg_answer(ans,
		          "livechat-monitor grants %s on department '%s': the "
		          "monitor is one of its agents",
		          pid, dep);
		break;
	case RC_RULE_MONITOR_UNIT:
		rg_answer(ans,
		          "livechat-monitor grants %s on department '%s' "
		          "through the monitor's unit '%s'",
		          pid, dep, a->dept.unit);
		break;
	case RC_RULE_OTHER_UNIT:
		rg_answer(ans,
		          "livechat-monitor grants %s, but department '%s' is "
		          "in unit '%s', not one of the monitor's units (%s), "
		          "and the monitor is not its agent",
		          pid, dep, a->dept.unit, rc_shown(a->units));
		break;
	case RC_RULE_NO_UNIT:
		rg_answer(ans,
		          "livechat-monitor grants %s, but department '%s' is "
		          "in no unit and the monitor is not its agent",
		          pid, dep);
		break;
	case RC_RULE_UNLIMITED:
		rg_answer(ans, "%s grants %s; no department rule limits it",
		          rid, pid);
		break;
	case RC_RULE_QUEUE_AGENT:
		rg_answer(ans,
		          "%s grants %s: the queue of department '%s' is "
		          "visible to its agents, the subject among them",
		          rid, pid, dep);
		break;
	case RC_RULE_QUEUE_HIDDEN:
		rg_answer(
		    ans,
		    "%s grants %s, but the queue of department '%s' is "
		    "visible only to its agents (subject departments: %s)",
		    rid, pid, dep, rc_shown(a->departments));
		break;
	}
}

/*
 * Whether role r of the subject grants the action effectively (its
 * prerequisites met).  Asked with the other granting roles taken away, so
 * that rg_effective() can only answer with r; when that fails, r may still
 * need one of those roles as a prerequisite, so the subject's unmet
 * prerequisites decide.  Kept apart because its validation is large.
 */
static __attribute__((noinline)) int rc_blocked(const rg_plugin_request *req,
                                                uint32_t r)
{
	rg_validation v;
	const char *rid = rg_role_id(req->handle, r);
	size_t i;

	if (!rid)
		return 1; /* not a declared role: no prerequisite to excuse */
	memset(&v, 0, sizeof(v));
	if (rg_validate_prereqs(req, &v) != RG_OK ||
	    v.nmissing >= RG_VALIDATE_MAX)
		return 1;
	for (i = 0; i < v.nmissing; i++)
		if (!strcmp(v.missing[i].role, rid))
			return 1;
	return 0;
}

/* 1 when role r is a custom role (one past the declared roles). */
static int rc_is_custom(const rg_plugin_request *req, uint32_t r)
{
	return !rg_role_id(req->handle, r) && rg_request_role_id(req, r);
}

/* The first role of s at or after r, or RG_MAX_ROLES. */
static uint32_t rc_next(const rg_roleset *s, uint32_t r)
{
	while (r < RG_MAX_ROLES) {
		size_t w = r / RG_BITSET_WORD_BITS;
		uint64_t m = s->w[w] >> (r % RG_BITSET_WORD_BITS);
		if (m)
			return r + (uint32_t)__builtin_ctzll(m);
		r = (uint32_t)((w + 1) * RG_BITSET_WORD_BITS);
	}
	return RG_MAX_ROLES;
}

/*
 * 1 when roles hold a role past those declared when this plugin declared:
 * only such a role can be a custom role (roles declared before are indexed
 * first, custom roles after every declared one).  Most subjects hold none,
 * and one pass of ORs tells.
 */
static int rc_past_declared(const struct rocketchat *st,
                            const rg_roleset *roles)
{
	size_t w = st->nroles / RG_BITSET_WORD_BITS;
	uint64_t any;

	if (w >= RG_MAX_ROLES / RG_BITSET_WORD_BITS)
		return 0;
	any = roles->w[w] >> (st->nroles % RG_BITSET_WORD_BITS);
	for (w++; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		any |= roles->w[w];
	return any != 0;
}

/* rc_add_custom() for a subject holding roles past the declared ones. */
static __attribute__((noinline)) unsigned
rc_collect_custom(const struct rocketchat *st, const rg_plugin_request *req,
                  const rg_roleset *roles, rg_roleset *out)
{
	unsigned n = 0;
	uint32_t r;

	for (r = rc_next(roles, (uint32_t)st->nroles); r < RG_MAX_ROLES;
	     r = rc_next(roles, r + 1)) {
		if (!rc_is_custom(req, r))
			continue;
		rg_roleset_add(out, r);
		n++;
	}
	return n;
}

/* Adds to out the custom roles of roles, and returns how many. */
static unsigned rc_add_custom(const struct rocketchat *st,
                              const rg_plugin_request *req,
                              const rg_roleset *roles, rg_roleset *out)
{
	if (!rc_past_declared(st, roles))
		return 0;
	return rc_collect_custom(st, req, roles, out);
}

/*
 * A custom role has no prerequisites of its own, so rg_effective() alone
 * says whether it grants the action; a declared role may need another
 * granting role as a prerequisite (rc_blocked()).
 */
static int rc_effective(const rg_plugin_request *req,
                        const rg_roleset *granting, uint32_t r)
{
	rg_roleset alone = *req->roles;
	rg_grant_info gi;
	size_t w;

	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		alone.w[w] &= ~granting->w[w];
	rg_roleset_add(&alone, r);
	if (rg_effective(req, &alone, (uint32_t)req->action, &gi))
		return gi.role == (long)r;
	if (rc_is_custom(req, r))
		return 0;
	return !rc_blocked(req, r);
}

/*
 * The candidates of the department rules: the subject's roles of this
 * plugin that grant the action, and all its custom roles (rc_effective()
 * sorts them).  Returns 1 when there is more than one.
 */
static int rc_granting(const struct rocketchat *st,
                       const rg_plugin_request *req, rg_roleset *out)
{
	const rg_roleset *gb;
	unsigned n = 0;
	size_t w;

	memset(out, 0, sizeof(*out));
	if (req->action >= 0 && (size_t)req->action < st->nprivs) {
		gb = &st->granted_by[req->action];
		/* The plugin's roles are all in the first role_words. */
		for (w = 0; w < st->role_words; w++) {
			uint64_t m = req->roles->w[w] & gb->w[w];

			out->w[w] = m;
			/* One or two: enough to tell one from many. */
			if (m)
				n += (m & (m - 1)) ? 2 : 1;
		}
	}
	n += rc_add_custom(st, req, req->roles, out);
	return n > 1;
}

/*
 * A request names a department: allowed when one of the subject's
 * effectively granting roles may act on it.  The reason is the allowing
 * role's, else the first refusing role's.
 */
static rg_result rc_decide_department(const struct rocketchat *st,
                                      const rg_plugin_request *req,
                                      struct rc_attrs *a, rg_plugin_answer *ans)
{
	int quiet = (ans->flags & RG_ANSWER_QUIET) != 0;
	enum rc_rule refused_rule = RC_RULE_EVERY;
	rg_roleset granting;
	long refused = -1;
	int many;
	uint32_t r;

	many = rc_granting(st, req, &granting);
	for (r = rc_next(&granting, 0); r < RG_MAX_ROLES;
	     r = rc_next(&granting, r + 1)) {
		enum rc_rule rule;

		/*
		 * rg_decide_rbac() allowed, through a candidate: when it is
		 * the only one, that is r, and r is effective.
		 */
		if (many && !rc_effective(req, &granting, r))
			continue;
		rule = rc_role_rule(st, req, a, r);
		if (rc_rule_allows(rule)) {
			ans->role = (long)r;
			if (!quiet)
				rc_rule_reason(req, a, r, rule, ans);
			return RG_ALLOW;
		}
		if (refused < 0) {
			refused = (long)r;
			refused_rule = rule;
		}
	}
	if (refused < 0) {
		/* rg_decide_rbac() allowed, so some role granted: be safe. */
		rg_answer(ans,
		          "no role of the subject grants %s on department '%s'",
		          req->action_id, a->department);
		return RG_DENY;
	}
	ans->role = refused;
	if (!quiet)
		rc_rule_reason(req, a, (uint32_t)refused, refused_rule, ans);
	return RG_DENY;
}

/* ---- take-inquiry ------------------------------------------------------ */

/* Where the applicable chat limit comes from. */
enum rc_limit_source {
	RC_LIMIT_DEPARTMENT,  /* the department's max_chats */
	RC_LIMIT_AGENT,       /* the agent's max_chats */
	RC_LIMIT_BAD_DEFAULT, /* the directory's default is not a count */
	RC_LIMIT_DEFAULT,     /* the tenant default */
	RC_LIMIT_NONE,        /* no limit anywhere */
};

struct rc_limit {
	long limit; /* 0: none; -1 with RC_LIMIT_BAD_DEFAULT */
	enum rc_limit_source source;
	int from_directory; /* RC_LIMIT_DEFAULT: the directory's setting */
	const char *bad;    /* RC_LIMIT_BAD_DEFAULT: its text */
};

/*
 * The default limit as prepared, into *out: 1, or 0 when the slow path
 * must tell (nothing prepared, or the directory's setting is not a count,
 * whose text the reason quotes).
 */
static int rc_prepared_default(const struct rc_attrs *a, struct rc_limit *out)
{
	if (!a->prep || !a->prep->default_ok)
		return 0;
	out->limit = a->prep->default_limit;
	out->from_directory = a->prep->default_from_directory;
	out->source = out->limit > 0 ? RC_LIMIT_DEFAULT : RC_LIMIT_NONE;
	return 1;
}

static void rc_chat_limit(const struct rc_attrs *a, struct rc_limit *out)
{
	memset(out, 0, sizeof(*out));
	if (a->department && a->dept.max_chats > 0) {
		out->source = RC_LIMIT_DEPARTMENT;
		out->limit = a->dept.max_chats;
		return;
	}
	if (a->max_chats > 0) {
		out->source = RC_LIMIT_AGENT;
		out->limit = a->max_chats;
		return;
	}
	if (rc_prepared_default(a, out))
		return;
	if (!rc_org_default_limit(&a->org, &out->limit, &out->from_directory,
	                          &out->bad)) {
		out->source = RC_LIMIT_BAD_DEFAULT;
		out->limit = -1;
		return;
	}
	out->source = out->limit > 0 ? RC_LIMIT_DEFAULT : RC_LIMIT_NONE;
}

/* Where the limit comes from, for reasons. */
static void rc_limit_source(const rg_plugin_request *req, struct rc_attrs *a,
                            const struct rc_limit *lim, char *src, size_t n)
{
	switch (lim->source) {
	case RC_LIMIT_DEPARTMENT:
		snprintf(src, n, "department '%s' (%s max_chats)",
		         a->department,
		         rc_org_from_directory(&a->org) ? "directory"
		                                        : "tenant file");
		break;
	case RC_LIMIT_AGENT:
		if (req->user)
			snprintf(src, n, "the agent '%s' (directory max_chats)",
			         req->user);
		else
			snprintf(src, n,
			         "the agent (subject attribute max_chats)");
		break;
	case RC_LIMIT_BAD_DEFAULT:
		snprintf(src, n,
		         "the directory's setting default_max_chats '%s' is "
		         "not a whole number from 0 to %ld",
		         lim->bad, RC_COUNT_MAX);
		break;
	case RC_LIMIT_DEFAULT:
		snprintf(src, n, "the tenant default (%s)",
		         lim->from_directory
		             ? "directory setting default_max_chats"
		             : "[tenant] max_chats");
		break;
	case RC_LIMIT_NONE:
		snprintf(src, n, "no one");
		break;
	}
}

/* The reason of a take-inquiry decision (not called when quiet). */
static void rc_take_reason(const rg_plugin_request *req, struct rc_attrs *a,
                           const struct rc_limit *lim, rg_plugin_answer *ans)
{
	const char *rid = rg_request_role_id(req, ans->role);
	char src[RG_REASON_MAX];

	if (!rid)
		rid = "a role";
	if (!a->status) {
		rg_answer(ans,
		          "%s grants take-inquiry, but it needs the agent's "
		          "status: subject attribute status is not given",
		          rid);
		return;
	}
	if (!a->available) {
		rg_answer(ans,
		          "%s grants take-inquiry, but the agent's status is "
		          "%s; taking a chat needs status available",
		          rid, a->status);
		return;
	}
	rc_limit_source(req, a, lim, src, sizeof(src));
	if (lim->limit < 0)
		rg_answer(ans, "%s grants take-inquiry, but %s", rid, src);
	else if (lim->limit == 0)
		rg_answer(ans,
		          "%s grants take-inquiry; the agent is available and "
		          "no chat limit is set (department, agent and tenant "
		          "set none)",
		          rid);
	else if (a->open_chats < 0)
		rg_answer(ans,
		          "%s grants take-inquiry, but request attribute "
		          "open_chats is not given; the limit is %ld, set by "
		          "%s",
		          rid, lim->limit, src);
	else if (a->open_chats >= lim->limit)
		rg_answer(ans,
		          "%s grants take-inquiry, but %ld open chats reach "
		          "the limit of %ld set by %s",
		          rid, a->open_chats, lim->limit, src);
	else
		rg_answer(ans,
		          "%s grants take-inquiry: the agent is available and "
		          "%ld open chats are below the limit of %ld set by %s",
		          rid, a->open_chats, lim->limit, src);
}

/* take-inquiry needs status available and open chats below the limit. */
static rg_result rc_take_result(const struct rc_attrs *a,
                                const struct rc_limit *lim)
{
	if (!a->status || !a->available || lim->limit < 0)
		return RG_DENY;
	if (lim->limit == 0)
		return RG_ALLOW;
	return a->open_chats >= 0 && a->open_chats < lim->limit ? RG_ALLOW
	                                                        : RG_DENY;
}

static rg_result rc_decide_take(const rg_plugin_request *req,
                                struct rc_attrs *a, rg_plugin_answer *ans)
{
	struct rc_limit lim;

	memset(&lim, 0, sizeof(lim));
	/* Without status available the limit is never consulted. */
	if (a->status && a->available)
		rc_chat_limit(a, &lim);
	if (!(ans->flags & RG_ANSWER_QUIET))
		rc_take_reason(req, a, &lim, ans);
	return rc_take_result(a, &lim);
}

/* ---- Deciding ---------------------------------------------------------- */

/*
 * The Community edition has no custom roles: it refuses to create them,
 * and takes out any it finds on a subject (say, created while the service
 * was Enterprise).  Returns the first one taken out, or -1.
 */
static long rc_drop_custom(const struct rocketchat *st,
                           const rg_plugin_request *req, rg_roleset *roles)
{
	rg_roleset custom;
	size_t w;

	memset(&custom, 0, sizeof(custom));
	if (!rc_add_custom(st, req, roles, &custom))
		return -1;
	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		roles->w[w] &= ~custom.w[w];
	return (long)rc_next(&custom, 0);
}

static rg_result rc_decide_roles(const struct rocketchat *st,
                                 const rg_plugin_request *req,
                                 rg_plugin_answer *ans)
{
	struct rc_attrs a;
	rg_result res;

	if (!rc_read_attrs(st, req, &a, ans))
		return RG_DENY;
	res = rg_decide_rbac(req, ans);
	if (res != RG_ALLOW)
		return res;
	if (a.department) {
		res = rc_decide_department(st, req, &a, ans);
		if (res != RG_ALLOW)
			return res;
	}
	if (req->action == st->take)
		return rc_decide_take(req, &a, ans);
	return RG_ALLOW;
}

static rg_result rc_decide(const void *state, const rg_plugin_request *req,
                           rg_plugin_answer *ans)
{
	const struct rocketchat *st = state;
	rg_plugin_request community;
	rg_roleset declared;
	rg_result res;
	long dropped;

	if (!st->loaded) {
		ans->status = RG_EPOLICY;
		rg_answer(ans, "policy %s was not loaded", st->policy);
		return RG_ERROR;
	}
	if (st->edition != RC_EDITION_COMMUNITY)
		return rc_decide_roles(st, req, ans);
	declared = *req->roles;
	dropped = rc_drop_custom(st, req, &declared);
	if (dropped < 0)
		return rc_decide_roles(st, req, ans);
	community = *req;
	community.roles = &declared;
	res = rc_decide_roles(st, &community, ans);
	if (res == RG_DENY && ans->role < 0 &&
	    !(ans->flags & RG_ANSWER_QUIET)) {
		char why[RG_REASON_MAX];

		memcpy(why, ans->reason, sizeof(why));
		rg_answer(ans,
		          "%s (custom role %s is ignored: " RC_NO_CUSTOM ")",
		          why, rg_request_role_id(req, dropped));
	}
	return res;
}

/* ---- A subject's answers, for the core's decision table ---------------- */

/*
 * take-inquiry without request attributes: rc_decide_take() with no
 * department and no open_chats, so allowed only when no limit applies.
 */
static int rc_take_allowed(struct rc_attrs *a)
{
	struct rc_limit lim;

	if (!a->status || !a->available)
		return 0;
	rc_chat_limit(a, &lim);
	return rc_take_result(a, &lim) == RG_ALLOW;
}

/*
 * The answers decide() gives this subject for every privilege without
 * request attributes, following rc_decide() and rc_decide_roles() with no
 * department: the attributes are read and checked once (a bad one denies
 * everything), rg_effective_set() is rg_decide_rbac() for every privilege
 * at once, and only take-inquiry looks at the agent's status and limits.
 */
static int rc_subject_answers(const void *state, const rg_plugin_request *req,
                              uint64_t *allow, uint64_t *deny)
{
	const struct rocketchat *st = state;
	rg_plugin_request sub = *req;
	rg_plugin_answer ans;
	struct rc_attrs a;
	rg_roleset roles = *req->roles;
	size_t w;

	if (!st->loaded)
		return RG_EPOLICY;
	if (st->edition == RC_EDITION_COMMUNITY)
		rc_drop_custom(st, req, &roles);
	sub.roles = &roles;
	sub.action = -1;
	sub.action_id = NULL;
	sub.attrs = NULL;
	sub.nattrs = 0;
	/* rc_read_attrs() only answers, and quiet answers write nothing. */
	ans.role = ans.missing = -1;
	ans.status = RG_OK;
	ans.reason[0] = '\0';
	ans.flags = RG_ANSWER_QUIET;
	if (rc_read_attrs(st, &sub, &a, &ans)) {
		rg_effective_set(&sub, sub.roles, allow);
		if (st->take >= 0 &&
		    ((allow[st->take / RG_BITSET_WORD_BITS] >>
		      (st->take % RG_BITSET_WORD_BITS)) &
		     1u) &&
		    !rc_take_allowed(&a))
			allow[st->take / RG_BITSET_WORD_BITS] &=
			    ~((uint64_t)1 << (st->take % RG_BITSET_WORD_BITS));
	} else {
		memset(allow, 0, RG_PRIV_WORDS * sizeof(*allow));
	}
	/* decide() never abstains: what it does not allow it denies. */
	for (w = 0; w < RG_PRIV_WORDS; w++)
		deny[w] = ~allow[w];
	return RG_OK;
}

/*
 * May an administrator create a custom role?  Not in the Community
 * edition; in the Enterprise edition, of any declared permission.
 */
static int rc_custom_role(const void *state, const rg_plugin_handle *h,
                          const char *id, const uint32_t *privs, size_t n,
                          char *reason, size_t reason_size)
{
	const struct rocketchat *st = state;
	size_t i;

	(void)id;
	if (!st || !st->loaded) {
		snprintf(reason, reason_size,
		         "the rocketchat policy was not "
		         "loaded");
		return RG_EREFUSED;
	}
	if (st->edition != RC_EDITION_ENTERPRISE) {
		snprintf(reason, reason_size, RC_NO_CUSTOM);
		return RG_EREFUSED;
	}
	for (i = 0; i < n; i++) {
		if (!rg_privilege_id(h, privs[i])) {
			snprintf(reason, reason_size,
			         "privilege #%u is not declared", privs[i]);
			return RG_EREFUSED;
		}
	}
	return RG_OK;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "rocketchat",
    .version = RG_VERSION_STRING,
    .description = "Rocket.Chat Omnichannel roles, editions, departments, "
                   "units and chat limits",
    .open = rc_open,
    .close = rc_close,
    .declare = rc_declare,
    .decide = rc_decide,
    .validate = NULL,
    .custom_role = rc_custom_role,
    .subject_answers = rc_subject_answers,
    .view_prepare = rc_view_prepare,
    .view_release = rc_view_release,
};
