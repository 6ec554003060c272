/*
 * policy.c - reads the rocketchat plugin's policy file and declares what
 * it holds (the declare() hook).
 *
 * The file is read twice: a first reading notes each [role] and
 * [privilege] section's edition and custom flag (the section hook needs
 * both, and the core passes it neither), then rg_policy_load() reads it
 * with the key and section hooks below, leaving out what the edition does
 * not have.  The ids the rules name are then looked up, the plugin's grants
 * indexed and the department-scoped privileges declared.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "private/rg_prim.h"

#include "rocketchat.h"

#define RC_PRODUCT "rocketchat"

/* The ids the plugin's rules name; the policy file must declare them. */
#define RC_ROLE_ADMIN "admin"
#define RC_ROLE_BOT   "bot"
#define RC_PRIV_QUEUE "view-livechat-queue"
#define RC_PRIV_TAKE  "take-inquiry"

/* The policy keys this plugin adds. */
#define RC_KEY_EDITION "edition"
#define RC_KEY_SCOPE   "scope"
#define RC_KEY_FLAGS   "flags"
#define RC_FLAG_CUSTOM "custom"

/* Edition names, in the order of enum rc_edition. */
const char *const rc_editions[] = {"enterprise", "community", NULL};

static const char *const rc_scopes[] = {"global", "room", NULL};

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

	for (i = 0; i < RG_COUNTOF(kinds); i++) {
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

	if (RG_GROW(rd->marks, rd->cap, rd->nmarks + 1) != RG_OK)
		return NULL;
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
	st->bot = rg_find_role(h, RC_ROLE_BOT); /* optional: no bot, no skip */
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

int rc_dept_scoped(const struct rocketchat *st, size_t p)
{
	return (long)p == st->queue || (long)p == st->take ||
	       (st->monitor >= 0 && p < st->nprivs &&
	        rg_roleset_has(&st->granted_by[p], (uint32_t)st->monitor));
}

/* Declares which privileges the department scopes (rc_dept_scoped()). */
static int rc_declare_scopes(const struct rocketchat *st, rg_plugin_handle *h)
{
	size_t p;
	int rc = RG_OK;

	for (p = 0; rc == RG_OK && p < st->nprivs; p++)
		if (rc_dept_scoped(st, p))
			rc = rg_declare_scope(h, (uint32_t)p,
			                      RC_ATTR_DEPARTMENT);
	if (rc != RG_OK)
		rg_plugin_error(h, NULL, 0, "cannot declare scopes: %s",
		                rg_strerror(rc));
	return rc;
}

int rc_declare(void *state, rg_plugin_handle *h)
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
	if (rc == RG_OK)
		rc = rc_declare_vocab(h);
	for (i = 0; i < rd.nmarks; i++)
		free(rd.marks[i].id);
	free(rd.marks);
	if (rc == RG_OK)
		st->loaded = 1;
	return rc;
}
