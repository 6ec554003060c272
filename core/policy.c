/*
 * policy.c - the policy file format shared by role-based plugins.
 *
 * A policy file is read whole first (sections and their keys, with lines),
 * so that sections may refer to each other in any order and the plugin's
 * section hook can leave a section out before anything is declared.  Then
 * privileges are declared, then roles, then prerequisites, grants and
 * includes.  Every problem is reported with file:line and reading goes on,
 * so that `rolegate lint` shows them all at once.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_WORDS 256 /* ids on one requires/include/grant line */

struct pkey {
	char *key;
	char *value;
	unsigned line;
};

struct pgrant {
	uint32_t priv;
	char *qualifier; /* NULL when none; owned */
	unsigned line;
};

struct psection {
	rg_policy_kind kind;
	char *id;
	unsigned line;
	int bad;  /* header was wrong: keys are ignored */
	int skip; /* the plugin left it out */
	int declared;
	uint32_t idx;
	struct pkey *keys;
	size_t nkeys, capkeys;
	struct pgrant *grants;
	size_t ngrants, capgrants;
	int visiting; /* include cycle detection */
};

struct pload {
	rg_plugin_handle *h;
	const char *file;
	const rg_policy_hooks *hooks;
	void *user;
	struct psection *secs;
	size_t nsecs, capsecs;
	struct psection *cur;
	int failed;
};

static const char *const role_keys[] = {
    "name", "description", "flags", "requires", "include", "grant", NULL};
static const char *const priv_keys[] = {"description", "requires", "note",
                                        NULL};
static const char *const header_keys[] = {"product", "version", "description",
                                          NULL};
/* Keys that may appear more than once in a section (values accumulate). */
static const char *const repeatable_keys[] = {"requires", "include", "grant",
                                              "note", NULL};

static void perr(struct pload *pl, unsigned line, const char *fmt, ...)
    RG_PRINTF(3, 4);

static void perr(struct pload *pl, unsigned line, const char *fmt, ...)
{
	char msg[RG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pl->failed = 1;
	rg_plugin_error(pl->h, pl->file, line, "%s", msg);
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static const char *kind_name(rg_policy_kind kind)
{
	return kind == RG_POLICY_ROLE        ? "role"
	       : kind == RG_POLICY_PRIVILEGE ? "privilege"
	                                     : "policy";
}

static struct psection *find_section(struct pload *pl, rg_policy_kind kind,
                                     const char *id)
{
	size_t i;

	for (i = 0; i < pl->nsecs; i++) {
		struct psection *s = &pl->secs[i];
		if (s->kind == kind && !s->bad &&
		    ((!id && !s->id) || (id && s->id && !strcmp(s->id, id))))
			return s;
	}
	return NULL;
}

static const char *key_value(const struct psection *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].key, key) == 0)
			return s->keys[i].value;
	return NULL;
}

/* ---- reading ------------------------------------------------------------- */

static int parse_header(struct pload *pl, const char *name, unsigned line,
                        rg_policy_kind *kind, const char **id)
{
	const char *sp = strchr(name, ' ');
	size_t len = sp ? (size_t)(sp - name) : strlen(name);

	*id = NULL;
	if (!sp && strcmp(name, "policy") == 0) {
		*kind = RG_POLICY_HEADER;
		return RG_OK;
	}
	if (sp && len == strlen("role") && !strncmp(name, "role", len))
		*kind = RG_POLICY_ROLE;
	else if (sp && len == strlen("privilege") &&
	         !strncmp(name, "privilege", len))
		*kind = RG_POLICY_PRIVILEGE;
	else {
		perr(pl, line,
		     "unknown section [%s]: expected [policy], [role ID] or "
		     "[privilege ID]",
		     name);
		return RG_EPOLICY;
	}
	while (*sp == ' ')
		sp++;
	if (!rg_id_valid(sp)) {
		perr(pl, line,
		     "invalid %s id '%s': expected letters, digits and ._:-",
		     kind_name(*kind), sp);
		return RG_EPOLICY;
	}
	*id = sp;
	return RG_OK;
}

static int on_section(void *user, const char *name, unsigned line)
{
	struct pload *pl = user;
	struct psection *s, *dup;
	rg_policy_kind kind = RG_POLICY_HEADER;
	const char *id = NULL;
	int bad;

	bad = parse_header(pl, name, line, &kind, &id) != RG_OK;
	dup = bad ? NULL : find_section(pl, kind, id);
	if (dup) {
		perr(pl, line, "duplicate [%s%s%s] (first at line %u)",
		     kind_name(kind), id ? " " : "", id ? id : "", dup->line);
		bad = 1;
	}
	if (RG_GROW(pl->secs, pl->capsecs, pl->nsecs + 1) != RG_OK)
		return RG_ENOMEM;
	s = &pl->secs[pl->nsecs++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->id = id ? rg_strdup(id) : NULL;
	s->line = line;
	s->bad = bad;
	pl->cur = s;
	return RG_OK;
}

static int known_key(const struct psection *s, const char *key)
{
	switch (s->kind) {
	case RG_POLICY_ROLE:
		return in_list(role_keys, key);
	case RG_POLICY_PRIVILEGE:
		return in_list(priv_keys, key);
	default:
		return in_list(header_keys, key);
	}
}

static int store_key(struct pload *pl, struct psection *s, const char *key,
                     const char *value, unsigned line)
{
	struct pkey *k;

	if (RG_GROW(s->keys, s->capkeys, s->nkeys + 1) != RG_OK)
		return RG_ENOMEM;
	k = &s->keys[s->nkeys];
	k->key = rg_strdup(key);
	k->value = rg_strdup(value);
	k->line = line;
	if (!k->key || !k->value) {
		free(k->key);
		free(k->value);
		return RG_ENOMEM;
	}
	s->nkeys++;
	return RG_OK;
}

static int on_key(void *user, const char *section, const char *key,
                  const char *value, unsigned line)
{
	struct pload *pl = user;
	struct psection *s = pl->cur;

	if (!s) {
		perr(pl, line, "'%s' outside any section", key);
		return RG_EPOLICY;
	}
	if (s->bad)
		return RG_OK; /* already reported at the header */
	if (!known_key(s, key)) {
		rg_policy_section sec = {s->kind, s->id, pl->file, s->line};
		rg_ini_pos pos = {pl->file, line};
		int rc;

		if (!pl->hooks || !pl->hooks->key) {
			perr(pl, line, "unknown key '%s' in [%s]", key,
			     section);
			return RG_EPOLICY;
		}
		rc = pl->hooks->key(pl->user, &sec, key, value, &pos);
		if (rc != RG_OK)
			pl->failed = 1;
		return rc;
	}
	if (!in_list(repeatable_keys, key) && key_value(s, key)) {
		perr(pl, line, "duplicate key '%s' in [%s]", key, section);
		return RG_EPOLICY;
	}
	return store_key(pl, s, key, value, line);
}

static void on_syntax(void *user, unsigned line, const char *msg)
{
	perr(user, line, "%s", msg);
}

/* ---- declaring ----------------------------------------------------------- */

static void check_header(struct pload *pl)
{
	struct psection *s = find_section(pl, RG_POLICY_HEADER, NULL);
	const char *product;

	if (!pl->hooks || !pl->hooks->product)
		return;
	if (!s) {
		perr(pl, 0, "no [policy] section: expected product = %s",
		     pl->hooks->product);
		return;
	}
	product = key_value(s, "product");
	if (!product || strcmp(product, pl->hooks->product) != 0)
		perr(pl, s->line,
		     "policy is for product '%s', expected product = %s",
		     product ? product : "(none)", pl->hooks->product);
}

static void run_section_hooks(struct pload *pl)
{
	size_t i;

	if (!pl->hooks || !pl->hooks->section)
		return;
	for (i = 0; i < pl->nsecs; i++) {
		struct psection *s = &pl->secs[i];
		rg_policy_section sec = {s->kind, s->id, pl->file, s->line};
		int rc;

		if (s->bad)
			continue;
		rc = pl->hooks->section(pl->user, &sec);
		if (rc == RG_POLICY_SKIP)
			s->skip = 1;
		else if (rc != RG_OK)
			pl->failed = 1;
	}
}

static unsigned key_line(const struct psection *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].key, key) == 0)
			return s->keys[i].line;
	return s->line;
}

static int parse_flags(struct pload *pl, struct psection *s, unsigned *flags)
{
	const char *v = key_value(s, "flags");
	char *copy, *words[MAX_WORDS];
	int n, i, rc = RG_OK;

	*flags = 0;
	if (!v)
		return RG_OK;
	copy = rg_strdup(v);
	if (!copy)
		return RG_ENOMEM;
	n = rg_split_words(copy, words, MAX_WORDS);
	for (i = 0; i < n; i++) {
		if (!strcmp(words[i], "protected"))
			*flags |= RG_ROLE_PROTECTED;
		else if (!strcmp(words[i], "core"))
			*flags |= RG_ROLE_CORE;
		else if (!strcmp(words[i], "custom"))
			*flags |= RG_ROLE_CUSTOM;
		else {
			perr(pl, key_line(s, "flags"),
			     "unknown flag '%s' in [role %s]: expected "
			     "protected, core or custom",
			     words[i], s->id);
			rc = RG_EPOLICY;
		}
	}
	free(copy);
	return rc;
}

static void declare_all(struct pload *pl, rg_policy_kind kind)
{
	size_t i;

	for (i = 0; i < pl->nsecs; i++) {
		struct psection *s = &pl->secs[i];
		int rc;

		if (s->bad || s->skip || s->kind != kind)
			continue;
		if (kind == RG_POLICY_PRIVILEGE) {
			rc = rg_declare_privilege(
			    pl->h, s->id, key_value(s, "description"), &s->idx);
		} else {
			unsigned flags;
			if (parse_flags(pl, s, &flags) != RG_OK)
				continue;
			rc = rg_declare_role(pl->h, s->id, key_value(s, "name"),
			                     key_value(s, "description"), flags,
			                     &s->idx);
		}
		if (rc == RG_OK)
			s->declared = 1;
		else
			perr(pl, s->line, "cannot declare %s '%s': %s",
			     kind_name(kind), s->id, rg_strerror(rc));
	}
}

/*
 * Resolves a role id named on a line: 1 with *idx set, 0 when the role was
 * left out by the plugin (drop silently), -1 after reporting an error.
 */
static int resolve_role(struct pload *pl, const char *id, unsigned line,
                        const char *what, uint32_t *idx)
{
	struct psection *t = find_section(pl, RG_POLICY_ROLE, id);
	long found;

	if (t && t->skip)
		return 0;
	if (t && t->declared) {
		*idx = t->idx;
		return 1;
	}
	/* A role declared by another plugin of the same service. */
	found = rg_find_role(pl->h, id);
	if (!t && found >= 0) {
		*idx = (uint32_t)found;
		return 1;
	}
	perr(pl, line, "%s names undeclared role '%s'", what, id);
	return -1;
}

/* Calls fn for every word of every value of key in s. */
static void for_each_word(struct pload *pl, struct psection *s, const char *key,
                          void (*fn)(struct pload *, struct psection *, char *,
                                     unsigned))
{
	size_t i;

	for (i = 0; i < s->nkeys; i++) {
		char *copy, *words[MAX_WORDS];
		int n, j;

		if (strcmp(s->keys[i].key, key) != 0)
			continue;
		copy = rg_strdup(s->keys[i].value);
		if (!copy) {
			pl->failed = 1;
			return;
		}
		n = rg_split_words(copy, words, MAX_WORDS);
		if (n < 0)
			perr(pl, s->keys[i].line,
			     "too many ids on one line (at most %d)",
			     MAX_WORDS);
		else if (n == 0)
			perr(pl, s->keys[i].line, "'%s' lists nothing", key);
		for (j = 0; j < n; j++)
			fn(pl, s, words[j], s->keys[i].line);
		free(copy);
	}
}

static void add_role_prereq(struct pload *pl, struct psection *s, char *id,
                            unsigned line)
{
	uint32_t r;
	char what[RG_MSG_MAX];
	int rc;

	snprintf(what, sizeof(what), "[role %s] requires", s->id);
	if (resolve_role(pl, id, line, what, &r) <= 0)
		return;
	rc = rg_require_role(pl->h, s->idx, r);
	if (rc == RG_EEXIST)
		perr(pl, line, "[role %s] requires '%s' twice", s->id, id);
	else if (rc != RG_OK)
		perr(pl, line, "[role %s] cannot require '%s': %s", s->id, id,
		     rg_strerror(rc));
}

static void add_priv_prereq(struct pload *pl, struct psection *s, char *id,
                            unsigned line)
{
	uint32_t r;
	char what[RG_MSG_MAX];
	int rc;

	snprintf(what, sizeof(what), "[privilege %s] requires", s->id);
	if (resolve_role(pl, id, line, what, &r) <= 0)
		return;
	rc = rg_require_for_privilege(pl->h, s->idx, r);
	if (rc == RG_EEXIST)
		perr(pl, line, "[privilege %s] requires '%s' twice", s->id, id);
	else if (rc != RG_OK)
		perr(pl, line, "[privilege %s] cannot require '%s': %s", s->id,
		     id, rg_strerror(rc));
}

/* Each `note = TEXT` of a [privilege] section, whole lines in order. */
static void add_priv_notes(struct pload *pl, struct psection *s)
{
	size_t i;
	int rc;

	for (i = 0; i < s->nkeys; i++) {
		if (strcmp(s->keys[i].key, "note") != 0)
			continue;
		rc = rg_declare_note(pl->h, s->idx, s->keys[i].value);
		if (rc == RG_EINVAL)
			perr(pl, s->keys[i].line,
			     "[privilege %s] note: expected one line of text "
			     "(UTF-8, no control character, under %d bytes)",
			     s->id, RG_NOTE_MAX);
		else if (rc != RG_OK)
			perr(pl, s->keys[i].line, "[privilege %s] note: %s",
			     s->id, rg_strerror(rc));
	}
}

static int apply_grant(struct pload *pl, struct psection *s, uint32_t priv,
                       const char *qualifier, unsigned line)
{
	int rc = rg_grant(pl->h, s->idx, priv);

	if (rc != RG_OK) {
		perr(pl, line, "[role %s] cannot grant: %s", s->id,
		     rg_strerror(rc));
		return rc;
	}
	if (!qualifier)
		return RG_OK;
	if (!pl->hooks || !pl->hooks->grant) {
		perr(pl, line,
		     "[role %s] grant qualifier ':%s' is not supported", s->id,
		     qualifier);
		return RG_EPOLICY;
	}
	{
		rg_ini_pos pos = {pl->file, line};
		rc = pl->hooks->grant(pl->user, s->idx, priv, qualifier, &pos);
	}
	if (rc != RG_OK)
		pl->failed = 1;
	return rc;
}

static void add_grant(struct pload *pl, struct psection *s, char *word,
                      unsigned line)
{
	char *colon = strchr(word, ':');
	struct psection *t;
	struct pgrant *ng;
	long priv;
	size_t i;

	if (colon) {
		*colon = '\0';
		if (!colon[1]) {
			perr(pl, line,
			     "[role %s] grant '%s:' has an empty "
			     "qualifier",
			     s->id, word);
			return;
		}
	}
	t = find_section(pl, RG_POLICY_PRIVILEGE, word);
	if (t && t->skip)
		return;
	priv = t && t->declared ? (long)t->idx : rg_find_privilege(pl->h, word);
	if (priv < 0) {
		perr(pl, line, "[role %s] grants undeclared privilege '%s'",
		     s->id, word);
		return;
	}
	for (i = 0; i < s->ngrants; i++)
		if (s->grants[i].priv == (uint32_t)priv) {
			perr(pl, line,
			     "[role %s] grants '%s' twice (also at "
			     "line %u)",
			     s->id, word, s->grants[i].line);
			return;
		}
	if (RG_GROW(s->grants, s->capgrants, s->ngrants + 1) != RG_OK) {
		pl->failed = 1;
		return;
	}
	ng = s->grants;
	ng[s->ngrants].priv = (uint32_t)priv;
	ng[s->ngrants].qualifier = colon ? rg_strdup(colon + 1) : NULL;
	ng[s->ngrants].line = line;
	if (colon && !ng[s->ngrants].qualifier) {
		pl->failed = 1;
		return;
	}
	if (apply_grant(pl, s, (uint32_t)priv, colon ? colon + 1 : NULL,
	                line) == RG_OK)
		s->ngrants++;
	else
		free(ng[s->ngrants].qualifier);
}

/* Grants to `to` every grant of `from` and of what `from` includes. */
static void include_role(struct pload *pl, struct psection *to,
                         struct psection *from, unsigned line);

static void add_include(struct pload *pl, struct psection *s, char *id,
                        unsigned line)
{
	struct psection *t = find_section(pl, RG_POLICY_ROLE, id);

	if (t && t->skip)
		return;
	if (!t || !t->declared) {
		perr(pl, line, "[role %s] includes undeclared role '%s'", s->id,
		     id);
		return;
	}
	if (t == s) {
		perr(pl, line, "[role %s] includes itself", s->id);
		return;
	}
	include_role(pl, s, t, line);
}

static void include_word(struct pload *pl, struct psection *to, char *id,
                         unsigned line);

static void include_role(struct pload *pl, struct psection *to,
                         struct psection *from, unsigned line)
{
	size_t i, k;

	if (from->visiting) {
		perr(pl, line, "[role %s] includes '%s' in a cycle", to->id,
		     from->id);
		return;
	}
	from->visiting = 1;
	for (i = 0; i < from->ngrants; i++) {
		const struct pgrant *g = &from->grants[i];
		if (!rg_role_has_privilege(pl->h, to->idx, g->priv))
			apply_grant(pl, to, g->priv, g->qualifier, line);
	}
	/* Includes of the included role, recursively. */
	for (k = 0; k < from->nkeys; k++) {
		char *copy, *words[MAX_WORDS];
		int n, j;

		if (strcmp(from->keys[k].key, "include") != 0)
			continue;
		copy = rg_strdup(from->keys[k].value);
		if (!copy)
			break;
		n = rg_split_words(copy, words, MAX_WORDS);
		for (j = 0; j < n; j++)
			include_word(pl, to, words[j], line);
		free(copy);
	}
	from->visiting = 0;
}

static void include_word(struct pload *pl, struct psection *to, char *id,
                         unsigned line)
{
	struct psection *t = find_section(pl, RG_POLICY_ROLE, id);

	/* Unknown ids are reported where they are written. */
	if (!t || t->skip || !t->declared)
		return;
	if (t == to) {
		perr(pl, line, "[role %s] includes itself through another role",
		     to->id);
		return;
	}
	include_role(pl, to, t, line);
}

static void link_all(struct pload *pl)
{
	size_t i;

	for (i = 0; i < pl->nsecs; i++) {
		struct psection *s = &pl->secs[i];
		if (!s->declared)
			continue;
		if (s->kind == RG_POLICY_ROLE) {
			for_each_word(pl, s, "requires", add_role_prereq);
			for_each_word(pl, s, "grant", add_grant);
		} else if (s->kind == RG_POLICY_PRIVILEGE) {
			for_each_word(pl, s, "requires", add_priv_prereq);
			add_priv_notes(pl, s);
		}
	}
	/* Includes last: they copy the grants made above. */
	for (i = 0; i < pl->nsecs; i++) {
		struct psection *s = &pl->secs[i];
		if (s->declared && s->kind == RG_POLICY_ROLE) {
			s->visiting = 1;
			for_each_word(pl, s, "include", add_include);
			s->visiting = 0;
		}
	}
}

static void pload_free(struct pload *pl)
{
	size_t i, k;

	for (i = 0; i < pl->nsecs; i++) {
		struct psection *s = &pl->secs[i];
		for (k = 0; k < s->nkeys; k++) {
			free(s->keys[k].key);
			free(s->keys[k].value);
		}
		free(s->keys);
		for (k = 0; k < s->ngrants; k++)
			free(s->grants[k].qualifier);
		free(s->grants);
		free(s->id);
	}
	free(pl->secs);
}

int rg_policy_load(rg_plugin_handle *h, const char *path,
                   const rg_policy_hooks *hooks, void *user)
{
	char why[RG_MSG_MAX];
	struct pload pl;
	char *full;
	int rc;

	if (!h || !path)
		return RG_EINVAL;
	full = rg_path_join(rg_plugin_config_dir(h), path);
	if (!full)
		return RG_ENOMEM;
	memset(&pl, 0, sizeof(pl));
	pl.h = h;
	pl.file = full;
	pl.hooks = hooks;
	pl.user = user;
	rc = rg_ini_parse_path(full, on_section, on_key, on_syntax, &pl, why,
	                       sizeof(why));
	if (rc != RG_OK && rc != RG_ECONFIG) {
		/* Reported at the stack line that named the file. */
		rg_plugin_error(h, NULL, 0, "cannot read policy %s: %s", full,
		                why);
		goto out;
	}
	check_header(&pl);
	run_section_hooks(&pl);
	declare_all(&pl, RG_POLICY_PRIVILEGE);
	declare_all(&pl, RG_POLICY_ROLE);
	link_all(&pl);
	rc = pl.failed || rc != RG_OK ? RG_EPOLICY : RG_OK;
out:
	pload_free(&pl);
	free(full);
	return rc;
}
