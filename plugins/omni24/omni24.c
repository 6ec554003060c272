/*
 * omni24.c - the Omni24 role model.
 *
 * NAME
 *	omni24 - core and custom roles of the Omni24 customer-service platform
 *
 * SYNOPSIS
 *	stack = CONTROL omni24 policy=PATH
 *
 * ARGUMENTS
 *	policy=PATH	The policy file (required), in the common policy
 *			format of <rolegate/plugin.h>; a relative PATH
 *			resolves against the configuration file's directory.
 *			The shipped one is omni24.ini.
 *
 * POLICY KEYS
 *	The plugin adds two keys to [privilege ID] sections:
 *
 *	category = NAME	The privilege is a category permission, the stuff
 *			custom roles are made of.  NAME is one of
 *			conversation, knowledge, assets, task, reports,
 *			channels, and the id must start with "NAME.".
 *	scope = own	The privilege applies to the subject's own record
 *			only (profile.edit-own, availability.set-own).
 *
 *	Every role is flagged either "core protected" (a permanent core role:
 *	account-owner, admin, agent) or "custom" (deletable).  A custom role
 *	needs a name and a description, and may grant or include only
 *	category permissions.  Any other key, an unknown category, a custom
 *	role granting e.g. billing.manage, and everything the common policy
 *	reader rejects are errors naming file:line; the entry then fails and
 *	its service denies everything.
 *
 * DECISIONS
 *	A subject's privileges are the union of its roles' privileges; what no
 *	role grants is denied.  The reason names the granting role, and the
 *	category of a category permission.
 *
 *	For a privilege with scope = own, a request may name the record's
 *	owner with the attribute owner=USER.  It is allowed only when USER is
 *	the subject: the user id, or for an ad-hoc subject its attribute id
 *	(subject.id= on the command line).  An empty owner, a subject with no
 *	id, or any other owner is denied with a reason.  A request naming no
 *	owner asks whether the privilege is held at all.
 *
 * CUSTOM ROLES IN THE DIRECTORY
 *	Administrators create custom roles in the directory (rolegate role
 *	create).  The custom_role hook accepts one only when every privilege
 *	it grants is a category permission; otherwise it is refused with a
 *	reason naming the first privilege that is not.  Once created, a
 *	custom role grants through the core like any role, and the reason
 *	names it.  Deleting one that is still assigned is refused by the
 *	directory unless forced.
 *
 * COST
 *	declare() turns the policy into bitsets (struct omni24_tables), so
 *	that a decision is a few word operations and formats no reason
 *	when the caller wants none; doc/omni24.md says when the core's
 *	rg_effective() is asked instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

#include "private/rg_prim.h"

/* Omni24's permission categories, as custom-role editors show them. */
static const char *const omni24_categories[] = {
    "conversation", "knowledge", "assets", "task", "reports", "channels",
};
#define OMNI24_NCATEGORIES RG_COUNTOF(omni24_categories)

/* category[] value of a privilege that belongs to no category. */
#define OMNI24_NO_CATEGORY (-1)

/* The request attribute naming a record's owner, and the subject's id. */
#define OMNI24_ATTR_OWNER "owner"
#define OMNI24_SUBJECT_ID "id"

/* An INI section "role ID", as the second reading sees it. */
#define ROLE_PREFIX     "role"
#define ROLE_PREFIX_LEN (sizeof(ROLE_PREFIX) - 1)

/* What separates the words of a policy value. */
#define OMNI24_SPACE " \t"

/* Words of a role set (rg_roleset). */
#define OMNI24_ROLE_WORDS (RG_MAX_ROLES / RG_BITSET_WORD_BITS)

/* Words needed for n bits. */
#define OMNI24_WORDS_FOR(n)                                                    \
	(((n) + RG_BITSET_WORD_BITS - 1) / RG_BITSET_WORD_BITS)

/*
 * What decide() and subject_answers() need to answer from bitsets instead
 * of asking rg_effective() for every request.  Built by declare() from the
 * registry as it stands when omni24 has declared everything; read-only
 * afterwards.
 *
 * Omni24 roles are the ones this entry declared.  A privilege is "exact"
 * when every Omni24 role granting it is effective on its own (no
 * prerequisite role, no role the privilege requires besides it): then a
 * subject holds it through Omni24 roles exactly when it holds one of
 * those roles, and rg_effective() would name the lowest of them.  Any
 * other privilege, and any subject holding a role that is not an Omni24
 * role (a custom role of the directory), goes through rg_effective().
 */
struct omni24_tables {
	size_t nprivs;      /* privileges of the service when declared */
	size_t word_lo;     /* first role word holding an Omni24 role */
	size_t nwords;      /* role words from word_lo holding Omni24 roles */
	size_t npriv_words; /* OMNI24_WORDS_FOR(nprivs) */
	rg_roleset own;     /* the Omni24 roles */
	/* nprivs rows of nwords: the Omni24 roles granting privilege p. */
	uint64_t *granted_by;
	/* nwords * 64 rows of npriv_words: the exact privileges a role
	 * grants, row r - word_lo * 64. */
	uint64_t *grants;
	uint64_t inexact[RG_PRIV_WORDS]; /* privileges that are not exact */
	int any_inexact;                 /* inexact is not empty */
};

/*
 * The plugin's state, one per stack entry.  The tables are indexed by the
 * service's privilege index and filled once by declare(); decide() only
 * reads them.
 */
struct omni24 {
	const char *policy; /* absolute; owned by the handle */
	int loaded;
	signed char category[RG_MAX_PRIVILEGES]; /* index or NO_CATEGORY */
	unsigned char own[RG_MAX_PRIVILEGES];    /* 1: scope = own */
	struct omni24_tables t;
};

/* ---- Growable arrays, for what declare() collects ---------------------- */

/* Appends one zeroed element of size `size`; NULL when out of memory. */
static void *vec_push(void **items, size_t *n, size_t *cap, size_t size)
{
	char *p;

	if (rg_grow(items, cap, *n + 1, size) != RG_OK)
		return NULL;
	p = (char *)*items + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

/* ---- What declare() collects while the policy is read ------------------ */

/* A privilege section's omni24 keys (from the key hook). */
struct priv_mark {
	char *id;
	unsigned
	    section_line; /* tells a repeated key from a repeated section */
	int category;
	unsigned category_line;
	int own;
	unsigned scope_line;
};

/* One word of a grant or include line of a role section. */
struct role_ref {
	char *id;
	unsigned line;
};

/*
 * A role section: its header line from the section hook, the rest from a
 * second reading with rg_ini_read().
 */
struct role_sec {
	char *id;
	unsigned line; /* of the [role ID] header */
	unsigned flags_line;
	unsigned flags; /* RG_ROLE_* */
	int has_name;
	int has_description;
	struct role_ref *grants;
	size_t ngrants, grants_cap;
	struct role_ref *includes;
	size_t nincludes, includes_cap;
};

struct omni24_load {
	struct omni24 *st;
	rg_plugin_handle *h;
	struct priv_mark *marks;
	size_t nmarks, marks_cap;
	struct role_sec *roles;
	size_t nroles, roles_cap;
};

static void load_free(struct omni24_load *ld)
{
	size_t i, j;

	for (i = 0; i < ld->nmarks; i++)
		free(ld->marks[i].id);
	free(ld->marks);
	for (i = 0; i < ld->nroles; i++) {
		struct role_sec *r = &ld->roles[i];

		for (j = 0; j < r->ngrants; j++)
			free(r->grants[j].id);
		for (j = 0; j < r->nincludes; j++)
			free(r->includes[j].id);
		free(r->grants);
		free(r->includes);
		free(r->id);
	}
	free(ld->roles);
}

/* Index of a category name, or NO_CATEGORY. */
static int category_find(const char *name)
{
	size_t i;

	for (i = 0; i < OMNI24_NCATEGORIES; i++)
		if (strcmp(omni24_categories[i], name) == 0)
			return (int)i;
	return OMNI24_NO_CATEGORY;
}

/* The mark of the privilege section at `line`, created when new. */
static struct priv_mark *mark_get(struct omni24_load *ld,
                                  const rg_policy_section *sec)
{
	struct priv_mark *m;
	size_t i;

	for (i = 0; i < ld->nmarks; i++)
		if (ld->marks[i].section_line == sec->line &&
		    strcmp(ld->marks[i].id, sec->id) == 0)
			return &ld->marks[i];
	m = vec_push((void **)&ld->marks, &ld->nmarks, &ld->marks_cap,
	             sizeof(*m));
	if (!m)
		return NULL;
	m->id = strdup(sec->id);
	if (!m->id) {
		ld->nmarks--;
		return NULL;
	}
	m->section_line = sec->line;
	m->category = OMNI24_NO_CATEGORY;
	return m;
}

/* category = NAME: a known category, matching the id's prefix, once. */
static int key_category(struct omni24_load *ld, const rg_policy_section *sec,
                        struct priv_mark *m, const char *value,
                        const rg_ini_pos *pos)
{
	size_t len = strlen(value);
	int cat = category_find(value);

	if (m->category_line) {
		rg_plugin_error(ld->h, pos->file, pos->line,
		                "duplicate key 'category' in [privilege %s] "
		                "(first at line %u)",
		                sec->id, m->category_line);
		return RG_EPOLICY;
	}
	if (cat == OMNI24_NO_CATEGORY) {
		rg_plugin_error(ld->h, pos->file, pos->line,
		                "unknown category '%s' for privilege '%s' "
		                "(known: conversation knowledge assets task "
		                "reports channels)",
		                value, sec->id);
		return RG_EPOLICY;
	}
	if (strncmp(sec->id, value, len) != 0 || sec->id[len] != '.') {
		rg_plugin_error(ld->h, pos->file, pos->line,
		                "privilege '%s' cannot be in category '%s': "
		                "its id must start with '%s.'",
		                sec->id, value, value);
		return RG_EPOLICY;
	}
	m->category = cat;
	m->category_line = pos->line;
	return RG_OK;
}

/* scope = own: the only scope there is. */
static int key_scope(struct omni24_load *ld, const rg_policy_section *sec,
                     struct priv_mark *m, const char *value,
                     const rg_ini_pos *pos)
{
	if (m->scope_line) {
		rg_plugin_error(ld->h, pos->file, pos->line,
		                "duplicate key 'scope' in [privilege %s] "
		                "(first at line %u)",
		                sec->id, m->scope_line);
		return RG_EPOLICY;
	}
	if (strcmp(value, "own") != 0) {
		rg_plugin_error(ld->h, pos->file, pos->line,
		                "unknown scope '%s' for privilege '%s' "
		                "(the only scope is 'own')",
		                value, sec->id);
		return RG_EPOLICY;
	}
	m->own = 1;
	m->scope_line = pos->line;
	return RG_OK;
}

static const char *section_kind_name(rg_policy_kind kind)
{
	switch (kind) {
	case RG_POLICY_HEADER:
		return "policy";
	case RG_POLICY_ROLE:
		return "role";
	case RG_POLICY_PRIVILEGE:
		return "privilege";
	}
	return "?";
}

/* The key hook: category and scope in privilege sections, nothing else. */
static int omni24_key(void *user, const rg_policy_section *sec, const char *key,
                      const char *value, const rg_ini_pos *pos)
{
	struct omni24_load *ld = user;
	int known = strcmp(key, "category") == 0 || strcmp(key, "scope") == 0;
	struct priv_mark *m;

	if (!known || sec->kind != RG_POLICY_PRIVILEGE) {
		rg_plugin_error(ld->h, pos->file, pos->line,
		                "unknown key '%s' in [%s%s%s]%s", key,
		                section_kind_name(sec->kind),
		                sec->id ? " " : "", sec->id ? sec->id : "",
		                known ? " (only privileges take it)" : "");
		return RG_EPOLICY;
	}
	m = mark_get(ld, sec);
	if (!m) {
		rg_plugin_error(ld->h, pos->file, pos->line, "out of memory");
		return RG_ENOMEM;
	}
	if (strcmp(key, "category") == 0)
		return key_category(ld, sec, m, value, pos);
	return key_scope(ld, sec, m, value, pos);
}

/* ---- The second reading: role sections --------------------------------- */

/* Appends every word of value (without a ":QUALIFIER") to refs. */
static int refs_add(struct role_ref **refs, size_t *n, size_t *cap,
                    const char *value, unsigned line)
{
	const char *p = value;

	while (*p) {
		size_t len = strcspn(p, OMNI24_SPACE);
		size_t idlen = strcspn(p, OMNI24_SPACE ":");
		struct role_ref *r;

		if (len == 0) {
			p++;
			continue;
		}
		r = vec_push((void **)refs, n, cap, sizeof(*r));
		if (!r)
			return RG_ENOMEM;
		r->id = strndup(p, idlen < len ? idlen : len);
		if (!r->id) {
			(*n)--;
			return RG_ENOMEM;
		}
		r->line = line;
		p += len;
	}
	return RG_OK;
}

/* The RG_ROLE_* flags of a flags = ... value; unknown words are ignored. */
static unsigned flags_parse(const char *value)
{
	static const struct {
		const char *word;
		unsigned flag;
	} words[] = {
	    {"protected", RG_ROLE_PROTECTED},
	    {"core", RG_ROLE_CORE},
	    {"custom", RG_ROLE_CUSTOM},
	};
	unsigned flags = 0;
	const char *p = value;
	size_t i;

	while (*p) {
		size_t len = strcspn(p, OMNI24_SPACE);

		for (i = 0; len && i < RG_COUNTOF(words); i++)
			if (strlen(words[i].word) == len &&
			    strncmp(words[i].word, p, len) == 0)
				flags |= words[i].flag;
		p += len ? len : 1;
	}
	return flags;
}

/* The role section with this id, or NULL. */
static struct role_sec *role_sec_find(struct omni24_load *ld, const char *id)
{
	size_t i;

	for (i = 0; i < ld->nroles; i++)
		if (strcmp(ld->roles[i].id, id) == 0)
			return &ld->roles[i];
	return NULL;
}

/*
 * The section hook: records each role section and its header line, which
 * the second reading cannot tell (it sees keys only).  A repeated section
 * is the common reader's error to report; it is recorded once.
 */
static int omni24_section(void *user, const rg_policy_section *sec)
{
	struct omni24_load *ld = user;
	struct role_sec *r;

	if (sec->kind != RG_POLICY_ROLE || !sec->id ||
	    role_sec_find(ld, sec->id))
		return RG_OK;
	r = vec_push((void **)&ld->roles, &ld->nroles, &ld->roles_cap,
	             sizeof(*r));
	if (r)
		r->id = strdup(sec->id);
	if (!r || !r->id) {
		if (r)
			ld->nroles--;
		rg_plugin_error(ld->h, sec->file, sec->line, "out of memory");
		return RG_ENOMEM;
	}
	r->line = sec->line;
	return RG_OK;
}

/*
 * rg_ini_read() callback.  The common reader declared everything already
 * and found the file sound; this reading only records, per role, what the
 * registry cannot tell: the flags, and the lines of grants and includes.
 */
static int omni24_role_key(void *user, const char *section, const char *key,
                           const char *value, const rg_ini_pos *pos)
{
	struct omni24_load *ld = user;
	struct role_sec *r;
	const char *id;
	int rc = RG_OK;

	if (strncmp(section, ROLE_PREFIX, ROLE_PREFIX_LEN) != 0 ||
	    !section[ROLE_PREFIX_LEN] ||
	    !strchr(OMNI24_SPACE, section[ROLE_PREFIX_LEN]))
		return RG_OK;
	id = section + ROLE_PREFIX_LEN;
	id += strspn(id, OMNI24_SPACE);
	r = role_sec_find(ld, id);
	if (!r) {
		/* Every role section went through the section hook. */
		rg_plugin_error(ld->h, pos->file, pos->line,
		                "role '%s' was not declared", id);
		return RG_EINTERNAL;
	}
	if (strcmp(key, "flags") == 0) {
		r->flags |= flags_parse(value);
		r->flags_line = pos->line;
	} else if (strcmp(key, "name") == 0) {
		r->has_name = *value != '\0';
	} else if (strcmp(key, "description") == 0) {
		r->has_description = *value != '\0';
	} else if (strcmp(key, "grant") == 0) {
		rc = refs_add(&r->grants, &r->ngrants, &r->grants_cap, value,
		              pos->line);
	} else if (strcmp(key, "include") == 0) {
		rc = refs_add(&r->includes, &r->nincludes, &r->includes_cap,
		              value, pos->line);
	}
	if (rc == RG_OK)
		return RG_OK;
	rg_plugin_error(ld->h, pos->file, pos->line, "out of memory");
	return RG_ENOMEM;
}

/* ---- Checks once everything is declared -------------------------------- */

/*
 * Copies the marks into the state's privilege-indexed tables, and declares
 * the owner as the scope of a scope = own privilege (asked without one, it
 * is only "held at all").
 */
static int marks_apply(struct omni24_load *ld)
{
	size_t i;
	int rc;

	for (i = 0; i < ld->nmarks; i++) {
		long p = rg_find_privilege(ld->h, ld->marks[i].id);

		/* A privilege the section hook skipped, or never declared. */
		if (p < 0 || p >= RG_MAX_PRIVILEGES)
			continue;
		ld->st->category[p] = (signed char)ld->marks[i].category;
		ld->st->own[p] = (unsigned char)ld->marks[i].own;
		if (!ld->marks[i].own)
			continue;
		rc = rg_declare_scope(ld->h, (uint32_t)p, OMNI24_ATTR_OWNER);
		if (rc != RG_OK) {
			rg_plugin_error(
			    ld->h, NULL, 0,
			    "privilege %s: cannot declare its scope: "
			    "%s",
			    ld->marks[i].id, rg_strerror(rc));
			return rc;
		}
	}
	return RG_OK;
}

static int is_category(const struct omni24 *st, long p)
{
	return p >= 0 && p < RG_MAX_PRIVILEGES &&
	       st->category[p] != OMNI24_NO_CATEGORY;
}

/* The first privilege `role` holds that is no category permission, or -1. */
static long first_non_category(const struct omni24_load *ld, long role)
{
	uint32_t p;

	for (p = 0; p < RG_MAX_PRIVILEGES && rg_privilege_id(ld->h, p); p++)
		if (rg_role_has_privilege(ld->h, (uint32_t)role, p) &&
		    !is_category(ld->st, p))
			return (long)p;
	return -1;
}

/* Core roles are permanent; custom roles are deletable, never both. */
static int check_role_kind(struct omni24_load *ld, const struct role_sec *r)
{
	const char *file = ld->st->policy;
	unsigned line = r->flags_line ? r->flags_line : r->line;
	unsigned kind = r->flags & (RG_ROLE_CORE | RG_ROLE_CUSTOM);

	if (kind == 0 || kind == (RG_ROLE_CORE | RG_ROLE_CUSTOM)) {
		rg_plugin_error(ld->h, file, line,
		                "role '%s' must be flagged either 'core "
		                "protected' or 'custom'",
		                r->id);
		return RG_EPOLICY;
	}
	if (kind == RG_ROLE_CORE && !(r->flags & RG_ROLE_PROTECTED)) {
		rg_plugin_error(ld->h, file, line,
		                "core role '%s' must be flagged 'protected': "
		                "core roles cannot be deleted",
		                r->id);
		return RG_EPOLICY;
	}
	if (kind == RG_ROLE_CUSTOM && (r->flags & RG_ROLE_PROTECTED)) {
		rg_plugin_error(ld->h, file, line,
		                "custom role '%s' cannot be 'protected': "
		                "custom roles are deletable",
		                r->id);
		return RG_EPOLICY;
	}
	if (kind == RG_ROLE_CUSTOM && (!r->has_name || !r->has_description)) {
		rg_plugin_error(ld->h, file, r->line,
		                "custom role '%s' needs a name and a "
		                "description",
		                r->id);
		return RG_EPOLICY;
	}
	return RG_OK;
}

/* A custom role grants category permissions only, and says where not. */
static int check_custom_grants(struct omni24_load *ld, const struct role_sec *r)
{
	const char *file = ld->st->policy;
	int rc = RG_OK;
	long role = rg_find_role(ld->h, r->id);
	long p;
	size_t i;

	for (i = 0; i < r->ngrants; i++) {
		p = rg_find_privilege(ld->h, r->grants[i].id);
		if (p < 0 || is_category(ld->st, p))
			continue;
		rg_plugin_error(ld->h, file, r->grants[i].line,
		                "custom role '%s' grants '%s', which is not a "
		                "category permission; custom roles may grant "
		                "only category permissions",
		                r->id, r->grants[i].id);
		rc = RG_EPOLICY;
	}
	for (i = 0; i < r->nincludes; i++) {
		long inc = rg_find_role(ld->h, r->includes[i].id);

		p = inc < 0 ? -1 : first_non_category(ld, inc);
		if (p < 0)
			continue;
		rg_plugin_error(ld->h, file, r->includes[i].line,
		                "custom role '%s' includes '%s', which grants "
		                "'%s', not a category permission",
		                r->id, r->includes[i].id,
		                rg_privilege_id(ld->h, (uint32_t)p));
		rc = RG_EPOLICY;
	}
	/* Whatever way the core gave the role a privilege, it is caught. */
	p = rc == RG_OK && role >= 0 ? first_non_category(ld, role) : -1;
	if (p >= 0) {
		rg_plugin_error(ld->h, file, r->line,
		                "custom role '%s' holds '%s', which is not a "
		                "category permission",
		                r->id, rg_privilege_id(ld->h, (uint32_t)p));
		rc = RG_EPOLICY;
	}
	return rc;
}

static int check_roles(struct omni24_load *ld)
{
	int rc = RG_OK;
	size_t i;

	for (i = 0; i < ld->nroles; i++) {
		const struct role_sec *r = &ld->roles[i];

		if (check_role_kind(ld, r) != RG_OK)
			rc = RG_EPOLICY;
		else if (r->flags & RG_ROLE_CUSTOM &&
		         check_custom_grants(ld, r) != RG_OK)
			rc = RG_EPOLICY;
	}
	return rc;
}

/* ---- Decision tables --------------------------------------------------- */

static int bit_has(const uint64_t *w, size_t i)
{
	return (w[i / RG_BITSET_WORD_BITS] >> (i % RG_BITSET_WORD_BITS)) & 1u;
}

static void bit_set(uint64_t *w, size_t i)
{
	w[i / RG_BITSET_WORD_BITS] |= (uint64_t)1 << (i % RG_BITSET_WORD_BITS);
}

/* The index of the lowest bit of word w of a set, m being that word. */
static size_t bit_index(size_t w, uint64_t m)
{
	return w * RG_BITSET_WORD_BITS + (size_t)__builtin_ctzll(m);
}

/* The role words that hold Omni24 roles: [word_lo, word_lo + nwords). */
static void tables_span(struct omni24_tables *t, const rg_roleset *own)
{
	size_t w, hi = 0;
	int any = 0;

	t->own = *own;
	for (w = 0; w < OMNI24_ROLE_WORDS; w++) {
		if (!own->w[w])
			continue;
		if (!any)
			t->word_lo = w;
		hi = w;
		any = 1;
	}
	t->nwords = any ? hi - t->word_lo + 1 : 0;
}

/*
 * 1 when `role` alone holds `priv`, as the role rg_effective() names: the
 * role has no prerequisite and the privilege requires no other role.
 */
static int effective_alone(rg_plugin_handle *h, uint32_t role, uint32_t priv)
{
	rg_plugin_request req;
	rg_roleset alone;
	rg_grant_info g;

	memset(&alone, 0, sizeof(alone));
	rg_roleset_add(&alone, role);
	memset(&req, 0, sizeof(req));
	req.handle = h;
	req.roles = &alone;
	req.action = (long)priv;
	return rg_effective(&req, &alone, priv, &g) && g.role == (long)role;
}

/* Fills granted_by, grants and inexact from the Omni24 role `role`. */
static void tables_add_role(struct omni24_tables *t, rg_plugin_handle *h,
                            uint32_t role)
{
	size_t row = role - t->word_lo * RG_BITSET_WORD_BITS;
	size_t col = row / RG_BITSET_WORD_BITS;
	uint64_t bit = (uint64_t)1 << (row % RG_BITSET_WORD_BITS);
	uint32_t p;

	for (p = 0; p < t->nprivs; p++) {
		if (!rg_role_has_privilege(h, role, p))
			continue;
		t->granted_by[p * t->nwords + col] |= bit;
		bit_set(t->grants + row * t->npriv_words, p);
		if (!effective_alone(h, role, p))
			bit_set(t->inexact, p);
	}
}

/* calloc of n elements, at least one, so that no table is NULL. */
static uint64_t *words_alloc(size_t n)
{
	return calloc(n ? n : 1, sizeof(uint64_t));
}

/*
 * Builds the tables from the registry once the policy is declared.  The
 * service's privileges are those declared so far: Omni24 roles can grant
 * no privilege declared after them.
 */
static int tables_build(struct omni24_tables *t, rg_plugin_handle *h)
{
	size_t row, w, w_end;

	while (t->nprivs < RG_MAX_PRIVILEGES &&
	       rg_privilege_id(h, (uint32_t)t->nprivs))
		t->nprivs++;
	t->npriv_words = OMNI24_WORDS_FOR(t->nprivs);
	tables_span(t, rg_own_roles(h));
	t->granted_by = words_alloc(t->nprivs * t->nwords);
	t->grants =
	    words_alloc(t->nwords * RG_BITSET_WORD_BITS * t->npriv_words);
	if (!t->granted_by || !t->grants)
		return RG_ENOMEM;
	w_end = t->word_lo + t->nwords;
	for (w = t->word_lo; w < w_end; w++) {
		uint64_t m;

		for (m = t->own.w[w]; m; m &= m - 1)
			tables_add_role(t, h, (uint32_t)bit_index(w, m));
	}
	for (w = 0; w < RG_PRIV_WORDS; w++)
		t->any_inexact |= t->inexact[w] != 0;
	/* A grant of an inexact privilege is rg_effective()'s to judge. */
	for (row = 0; row < t->nwords * RG_BITSET_WORD_BITS; row++)
		for (w = 0; w < t->npriv_words; w++)
			t->grants[row * t->npriv_words + w] &= ~t->inexact[w];
	return RG_OK;
}

static void tables_free(struct omni24_tables *t)
{
	free(t->granted_by);
	free(t->grants);
}

/* The lowest Omni24 role in roles granting exact privilege p, or -1. */
static long granting_role(const struct omni24_tables *t,
                          const rg_roleset *roles, size_t p)
{
	const uint64_t *g = t->granted_by + p * t->nwords;
	size_t w;

	for (w = 0; w < t->nwords; w++) {
		uint64_t m = roles->w[t->word_lo + w] & g[w];

		if (m)
			return (long)bit_index(t->word_lo + w, m);
	}
	return -1;
}

/* 1 when roles hold a role that is no Omni24 role: a custom role. */
static int has_other_roles(const struct omni24_tables *t,
                           const rg_roleset *roles)
{
	uint64_t other = 0;
	size_t w;

	for (w = 0; w < OMNI24_ROLE_WORDS; w++)
		other |= roles->w[w] & ~t->own.w[w];
	return other != 0;
}

/* ---- The plugin -------------------------------------------------------- */

/* policy=PATH, required; rg_args_parse() reports every bad argument. */
static int omni24_parse_args(rg_plugin_handle *h, int argc, char *const argv[],
                             struct omni24 *st)
{
	const rg_argspec specs[] = {
	    {
	        .name = "policy",
	        .type = RG_ARG_PATH,
	        .required = 1,
	        .dest = &st->policy,
	    },
	    {.name = NULL},
	};

	return rg_args_parse(h, argc, argv, specs);
}

static int omni24_open(rg_plugin_handle *h, int argc, char *const argv[],
                       void **state)
{
	struct omni24 *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		return RG_ENOMEM;
	}
	memset(st->category, OMNI24_NO_CATEGORY, sizeof(st->category));
	rc = omni24_parse_args(h, argc, argv, st);
	if (rc != RG_OK) {
		free(st);
		return rc;
	}
	*state = st;
	return RG_OK;
}

static void omni24_close(void *state)
{
	struct omni24 *st = state;

	if (!st)
		return;
	tables_free(&st->t);
	free(st);
}

/*
 * Reads the policy through the common reader (the key hook takes category
 * and scope), then once more for what only the file tells (role flags, the
 * lines of grants), and checks the custom roles against the categories.
 * The second reading happens only on a sound file, so that a syntax error
 * is reported once.
 */
static int omni24_declare(void *state, rg_plugin_handle *h)
{
	struct omni24 *st = state;
	struct omni24_load ld = {.st = st, .h = h};
	const rg_policy_hooks hooks = {
	    .product = "omni24",
	    .key = omni24_key,
	    .section = omni24_section,
	};
	int rc;

	rc = rg_policy_load(h, st->policy, &hooks, &ld);
	if (rc != RG_OK)
		goto out;
	rc = marks_apply(&ld);
	if (rc != RG_OK)
		goto out;
	rc = rg_ini_read(h, st->policy, omni24_role_key, &ld);
	if (rc != RG_OK)
		goto out;
	rc = check_roles(&ld);
	if (rc != RG_OK)
		goto out;
	rc = tables_build(&st->t, h);
	if (rc != RG_OK) {
		rg_plugin_error(h, NULL, 0, "out of memory");
		goto out;
	}
	st->loaded = 1;
out:
	load_free(&ld);
	return rc;
}

/* The value of key among attrs, or NULL: rg_attr_get(), without a call. */
static const char *attr_value(const rg_attr *attrs, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (attrs[i].key && strcmp(attrs[i].key, key) == 0)
			return attrs[i].value;
	return NULL;
}

static int quiet(const rg_plugin_answer *ans)
{
	return (ans->flags & RG_ANSWER_QUIET) != 0;
}

/* The id of the granting role, declared or custom, for a reason. */
static const char *role_name(const rg_plugin_request *req, long role)
{
	const char *id = rg_request_role_id(req, role);

	return id ? id : "a role of the subject";
}

/* What the owner a request names makes of a scope = own grant. */
enum own_verdict {
	OWN_UNNAMED, /* no owner: is the privilege held at all? allow */
	OWN_EMPTY,   /* owner= with no value: deny */
	OWN_NO_SELF, /* the subject has no id to compare: deny */
	OWN_OTHER,   /* someone else's record: deny */
	OWN_SELF,    /* the subject's own record: allow */
};

static enum own_verdict own_judge(const rg_plugin_request *req,
                                  const char **owner, const char **self)
{
	*owner = attr_value(req->attrs, req->nattrs, OMNI24_ATTR_OWNER);
	*self = NULL;
	if (!*owner)
		return OWN_UNNAMED;
	if (!**owner)
		return OWN_EMPTY;
	*self = req->user ? req->user
	                  : attr_value(req->subject_attrs, req->nsubject_attrs,
	                               OMNI24_SUBJECT_ID);
	if (!*self || !**self)
		return OWN_NO_SELF;
	return strcmp(*owner, *self) == 0 ? OWN_SELF : OWN_OTHER;
}

/* The reasons of a named owner, which subject_scopes() gives the core too
 * (role, action, owner, and the subject's id for another's record). */
static const char own_other_fmt[] = "%s grants %s on the subject's own record "
                                    "only; owner '%s' is not the subject '%s'";
static const char own_self_fmt[] =
    "%s grants %s on the subject's own record ('%s')";

static void own_reason(const rg_plugin_request *req, enum own_verdict v,
                       const char *owner, const char *self,
                       rg_plugin_answer *ans)
{
	const char *role = role_name(req, ans->role);

	switch (v) {
	case OWN_UNNAMED:
		rg_answer(ans, "%s grants %s (own record only; no owner named)",
		          role, req->action_id);
		break;
	case OWN_EMPTY:
		rg_answer(ans,
		          "attribute 'owner' is empty; %s grants %s on the "
		          "subject's own record only",
		          role, req->action_id);
		break;
	case OWN_NO_SELF:
		rg_answer(ans,
		          "%s grants %s on the subject's own record only; "
		          "owner '%s' cannot be compared: the subject has no "
		          "id (subject attribute 'id')",
		          role, req->action_id, owner);
		break;
	case OWN_OTHER:
		rg_answer(ans, own_other_fmt, role, req->action_id, owner,
		          self);
		break;
	case OWN_SELF:
		rg_answer(ans, own_self_fmt, role, req->action_id, self);
		break;
	}
}

/* scope = own: the named owner, if any, must be the subject. */
static rg_result decide_own(const rg_plugin_request *req, rg_plugin_answer *ans)
{
	const char *owner, *self;
	enum own_verdict v = own_judge(req, &owner, &self);

	if (!quiet(ans))
		own_reason(req, v, owner, self, ans);
	return v == OWN_UNNAMED || v == OWN_SELF ? RG_ALLOW : RG_DENY;
}

/*
 * A role of the subject (ans->role) grants privilege p: an own-scope
 * privilege checks the owner, and every reason names the granting role
 * (declared or custom).
 */
static rg_result decide_granted(const struct omni24 *st,
                                const rg_plugin_request *req, size_t p,
                                rg_plugin_answer *ans)
{
	const char *role;

	if (st->own[p])
		return decide_own(req, ans);
	if (quiet(ans))
		return RG_ALLOW;
	role = role_name(req, ans->role);
	if (is_category(st, (long)p))
		rg_answer(ans, "%s grants %s (%s category permission)", role,
		          req->action_id, omni24_categories[st->category[p]]);
	else
		rg_answer(ans, "%s grants %s", role, req->action_id);
	return RG_ALLOW;
}

/* What the tables cannot tell: the generic role decision, then refined. */
static rg_result decide_general(const struct omni24 *st,
                                const rg_plugin_request *req,
                                rg_plugin_answer *ans)
{
	rg_result res = rg_decide_rbac(req, ans);
	long p = req->action;

	if (res != RG_ALLOW || p < 0 || p >= RG_MAX_PRIVILEGES)
		return res;
	return decide_granted(st, req, (size_t)p, ans);
}

/*
 * The custom_role hook: a custom role is made of category permissions
 * only, as Omni24's role editor allows.
 */
static int omni24_custom_role(const void *state, const rg_plugin_handle *h,
                              const char *id, const uint32_t *privs, size_t n,
                              char *reason, size_t reason_size)
{
	const struct omni24 *st = state;
	size_t i;

	(void)id; /* the core names the role in its message */
	if (!st || !st->loaded) {
		snprintf(reason, reason_size,
		         "the omni24 policy was not loaded");
		return RG_EREFUSED;
	}
	for (i = 0; i < n; i++) {
		const char *pid = rg_privilege_id(h, privs[i]);

		if (!pid) {
			snprintf(reason, reason_size,
			         "privilege #%u is not declared", privs[i]);
			return RG_EREFUSED;
		}
		if (!is_category(st, (long)privs[i])) {
			snprintf(reason, reason_size,
			         "'%s' is not a category permission; custom "
			         "roles may hold only category permissions",
			         pid);
			return RG_EREFUSED;
		}
	}
	return RG_OK;
}

/*
 * An exact privilege (see struct omni24_tables) is answered from the
 * tables, as rg_decide_rbac() would: the lowest Omni24 role of the subject
 * granting it, else "no role grants" unless a custom role of the subject
 * might.  Everything else goes through rg_decide_rbac().
 */
static rg_result omni24_decide(const void *state, const rg_plugin_request *req,
                               rg_plugin_answer *ans)
{
	const struct omni24 *st = state;
	const struct omni24_tables *t = &st->t;
	long p = req->action;

	if (!st->loaded) {
		ans->status = RG_EPOLICY;
		rg_answer(ans, "policy %s was not loaded", st->policy);
		return RG_ERROR;
	}
	if (p < 0 || (size_t)p >= t->nprivs || bit_has(t->inexact, (size_t)p))
		return decide_general(st, req, ans);
	ans->role = granting_role(t, req->roles, (size_t)p);
	if (ans->role >= 0)
		return decide_granted(st, req, (size_t)p, ans);
	if (has_other_roles(t, req->roles))
		return decide_general(st, req, ans);
	if (!quiet(ans))
		rg_answer(ans, "no role of the subject grants %s",
		          req->action_id);
	return RG_DENY;
}

/* ORs into allow the exact privileges the subject's Omni24 roles grant. */
static void answers_exact(const struct omni24_tables *t,
                          const rg_roleset *roles, uint64_t *allow)
{
	size_t w, k;

	for (w = 0; w < t->nwords; w++) {
		uint64_t m =
		    roles->w[t->word_lo + w] & t->own.w[t->word_lo + w];

		for (; m; m &= m - 1) {
			const uint64_t *g =
			    t->grants + bit_index(w, m) * t->npriv_words;

			for (k = 0; k < t->npriv_words; k++)
				allow[k] |= g[k];
		}
	}
}

/* ORs into held every privilege the subject holds: the tables' when every
 * privilege is exact and the subject holds Omni24 roles only, else the
 * core's rg_effective_set(). */
static void held_set(const struct omni24 *st, const rg_plugin_request *req,
                     uint64_t *held)
{
	const struct omni24_tables *t = &st->t;

	if (t->any_inexact || has_other_roles(t, req->roles))
		rg_effective_set(req, req->roles, held);
	else
		answers_exact(t, req->roles, held);
}

/*
 * The subject_answers hook: decide() without request attributes, for
 * every privilege at once.  Without an owner, a scope = own privilege is
 * allowed when held, so the answer is whether the subject holds each
 * privilege: the tables' when every privilege is exact and the subject
 * holds Omni24 roles only, else the core's rg_effective_set().
 */
static int omni24_subject_answers(const void *state,
                                  const rg_plugin_request *req,
                                  uint64_t *restrict allow,
                                  uint64_t *restrict deny)
{
	const struct omni24 *st = state;
	size_t w;

	if (!st->loaded)
		return RG_EPOLICY;
	held_set(st, req, allow);
	/* decide() never abstains: what it does not allow, it denies. */
	for (w = 0; w < RG_PRIV_WORDS; w++)
		deny[w] = ~allow[w];
	return RG_OK;
}

/*
 * The subject_rbac hook (ABI 1.5): the privileges whose decide() with a
 * reason is rg_decide_rbac()'s for this subject.  An exact one is answered
 * from the tables as rg_decide_rbac() would answer it (see
 * omni24_decide()), any other through rg_decide_rbac() itself; only a
 * grant of a scope = own privilege or of a category permission says more
 * (decide_granted()).  So every privilege the subject does not hold is
 * one, and every held one that is neither.
 */
static int omni24_subject_rbac(const void *state, const rg_plugin_request *req,
                               uint64_t *rbac)
{
	const struct omni24 *st = state;
	uint64_t held[RG_PRIV_WORDS];
	size_t p;

	if (!st->loaded)
		return RG_EPOLICY;
	rg_effective_set(req, req->roles, held);
	for (p = 0; p < st->t.nprivs; p++)
		if (!((held[p / RG_BITSET_WORD_BITS] >>
		       (p % RG_BITSET_WORD_BITS)) &
		      1u) ||
		    (!st->own[p] && !is_category(st, (long)p)))
			rbac[p / RG_BITSET_WORD_BITS] |=
			    (uint64_t)1 << (p % RG_BITSET_WORD_BITS);
	return RG_OK;
}

/*
 * The subject_scopes hook (ABI 1.6): a request naming an owner of a scope =
 * own privilege.  decide() allows a held one exactly when the owner is the
 * subject's id (decide_own(): an empty owner, or anyone else's, is
 * denied), and denies one not held whatever the owner, as it does without
 * one.  Every other attribute and privilege is left to decide().
 */
/*
 * The role decide() names (ans->role) for held privilege p of a directory
 * user: granting_role()'s for an exact privilege it finds one for, else
 * rg_decide_rbac()'s (decide_general()), which is rg_effective()'s.  -1
 * when neither has one.
 */
static long own_granting(const struct omni24 *st, const rg_plugin_request *req,
                         size_t p)
{
	rg_grant_info g;
	long role = -1;

	if (p < st->t.nprivs && !bit_has(st->t.inexact, p))
		role = granting_role(&st->t, req->roles, p);
	if (role >= 0)
		return role;
	return rg_effective(req, req->roles, (uint32_t)p, &g) ? g.role : -1;
}

/*
 * The reasons of a held own-scope privilege p's SELF scope (ABI 1.7), as
 * decide_own() gives them: own_self_fmt for the subject's id, own_other_fmt
 * for anyone else's (an empty owner the core leaves to decide()).
 */
static int own_scope_reasons(const struct omni24 *st,
                             const rg_plugin_request *req, size_t p,
                             rg_scopes *out)
{
	const char *value = rg_scope_marker(RG_SCOPE_MARK_VALUE);
	const char *self = rg_scope_marker(RG_SCOPE_MARK_USER);
	const char *action = rg_privilege_id(req->handle, (uint32_t)p);
	long role = own_granting(st, req, p);
	const char *name;
	int rc;

	if (role < 0 || !action)
		return RG_OK;
	name = role_name(req, role);
	rc = rg_scope_reason(out, RG_ALLOW, role, own_self_fmt, name, action,
	                     self);
	if (rc == RG_OK)
		rc = rg_scope_reason(out, RG_DENY, role, own_other_fmt, name,
		                     action, value, self);
	return rc;
}

static int omni24_subject_scopes(const void *state,
                                 const rg_plugin_request *req, rg_scopes *out)
{
	const struct omni24 *st = state;
	uint64_t held[RG_PRIV_WORDS];
	size_t p;
	int rc = RG_OK;

	if (!st->loaded)
		return RG_EPOLICY;
	/* The owner is compared with the user's id: a directory user. */
	if (!req->user)
		return RG_OK;
	/* The rules and reasons follow from the roles alone (the id is the
	 * core's to compare): a tenant's 50,000 users are a few hundred
	 * role sets, and reasons made per user cost its load 40 %. */
	rc = rg_scope_memo(out, req->roles->w, sizeof(req->roles->w));
	if (rc != 0)
		return rc < 0 ? rc : RG_OK;
	memset(held, 0, sizeof(held));
	held_set(st, req, held);
	for (p = 0; p < st->t.nprivs && rc == RG_OK; p++) {
		if (!st->own[p])
			continue;
		rc = rg_scope_add(out, (long)p, OMNI24_ATTR_OWNER,
		                  bit_has(held, p) ? RG_SCOPE_SELF
		                                   : RG_SCOPE_AS_WITHOUT,
		                  NULL, 0, 0);
		if (rc == RG_OK && bit_has(held, p))
			rc = own_scope_reasons(st, req, p, out);
	}
	return rc;
}

RG_PLUGIN_EXPORT const struct rg_plugin rolegate_plugin = {
    .abi_version = RG_PLUGIN_ABI_VERSION,
    .name = "omni24",
    .version = RG_VERSION_STRING,
    .description = "Omni24 core roles and category-permission custom roles",
    .open = omni24_open,
    .close = omni24_close,
    .declare = omni24_declare,
    .decide = omni24_decide,
    .validate = NULL,
    .custom_role = omni24_custom_role,
    .subject_answers = omni24_subject_answers,
    .subject_rbac = omni24_subject_rbac,
    .subject_scopes = omni24_subject_scopes,
};
