/*
 * tenant.c - reads the rocketchat plugin's tenant file and answers lookups.
 *
 * The file (format in doc/rocketchat.md and policies/rocketchat-tenant.ini):
 *
 *   [tenant]            max_chats = N, waiting_queue = on|off,
 *                       accept_when_idle = on|off
 *   [unit ID]           name = TEXT
 *   [department ID]     name = TEXT, unit = ID, max_chats = N
 *
 * The core's reader calls us once per key, with the section's name: a
 * section is "entered" when the name differs from the previous key's, and a
 * section entered twice is a repeated section.  Units may be named before
 * they are declared, so department units are resolved once the whole file
 * is read.  Lookups on the decision path are binary searches over arrays
 * sorted by id: no allocation, no lock.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"

#include "private/rg_prim.h"

#define SECTION_TENANT     "tenant"
#define SECTION_UNIT       "unit"
#define SECTION_DEPARTMENT "department"
#define KEY_NAME           "name"
#define KEY_UNIT           "unit"
#define KEY_MAX_CHATS      "max_chats"
#define KEY_WAITING_QUEUE  "waiting_queue"
#define KEY_ACCEPT_IDLE    "accept_when_idle"

/* Keys seen in one section, to refuse a repeated key. */
enum {
	KEY_SEEN_NAME = 1u << 0,
	KEY_SEEN_UNIT = 1u << 1,
	KEY_SEEN_MAX_CHATS = 1u << 2,
	KEY_SEEN_WAITING_QUEUE = 1u << 3,
	KEY_SEEN_ACCEPT_IDLE = 1u << 4,
};

/* What kind of section the current key belongs to. */
enum section_kind {
	SEC_NONE,
	SEC_BAD, /* already reported: its keys are refused quietly */
	SEC_TENANT,
	SEC_UNIT,
	SEC_DEPARTMENT,
};

struct parse {
	rg_plugin_handle *h;
	struct rc_tenant *t;
	size_t ucap, dcap;
	char *file;    /* the file as the reader names it, for late errors */
	char *section; /* the previous key's section */
	enum section_kind kind;
	size_t cur; /* index of the current unit or department */
	int tenant_seen;
	unsigned tenant_keys;
	unsigned unit_keys; /* of the current unit */
};

/* ---- Small helpers shared with the plugin ------------------------------ */

int rc_valid_id(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= RG_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != ':')
			return 0;
	}
	return 1;
}

int rc_parse_count(const char *s, long *out)
{
	long v = 0;

	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
		if (v > RC_COUNT_MAX)
			return 0;
	}
	*out = v;
	return 1;
}

int rc_parse_switch(const char *s, int *out)
{
	if (!s)
		return 0;
	if (!strcmp(s, RC_SETTING_ON)) {
		*out = 1;
		return 1;
	}
	if (!strcmp(s, RC_SETTING_OFF)) {
		*out = 0;
		return 1;
	}
	return 0;
}

/* ---- Lookups ----------------------------------------------------------- */

const char *rc_id_name(char buf[RG_ID_MAX], const char *id, size_t len)
{
	if (len >= RG_ID_MAX)
		return NULL;
	if (id[len] == '\0')
		return id;
	memcpy(buf, id, len);
	buf[len] = '\0';
	return buf;
}

/* The index of the len bytes at id in ix, or -1. */
static long find_id(const rg_names *ix, const char *id, size_t len)
{
	/* Where it lies in its list: no copy, no length measured again. */
	if (!ix || !id || len >= RG_ID_MAX)
		return -1;
	return rg_names_find_len(ix, id, len);
}

const struct rc_unit *rc_tenant_unit(const struct rc_tenant *t, const char *id,
                                     size_t len)
{
	long i = find_id(t->unit_ix, id, len);

	return i < 0 ? NULL : &t->units[i];
}

const struct rc_department *rc_tenant_department(const struct rc_tenant *t,
                                                 const char *id, size_t len)
{
	long i = find_id(t->dept_ix, id, len);

	return i < 0 ? NULL : &t->departments[i];
}

/* ---- Reading ----------------------------------------------------------- */

static int oom(struct parse *p)
{
	rg_plugin_error(p->h, NULL, 0, "out of memory");
	return RG_ENOMEM;
}

static long find_unit_linear(const struct parse *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->t->nunits; i++)
		if (!strcmp(p->t->units[i].id, id))
			return (long)i;
	return -1;
}

static long find_dept_linear(const struct parse *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->t->ndepartments; i++)
		if (!strcmp(p->t->departments[i].id, id))
			return (long)i;
	return -1;
}

static int add_unit(struct parse *p, const char *id)
{
	struct rc_tenant *t = p->t;

	if (RG_GROW(t->units, p->ucap, t->nunits + 1) != RG_OK)
		return oom(p);
	memset(&t->units[t->nunits], 0, sizeof(*t->units));
	t->units[t->nunits].id = strdup(id);
	if (!t->units[t->nunits].id)
		return oom(p);
	p->cur = t->nunits++;
	p->unit_keys = 0;
	return RG_OK;
}

static int add_department(struct parse *p, const char *id)
{
	struct rc_tenant *t = p->t;

	if (RG_GROW(t->departments, p->dcap, t->ndepartments + 1) != RG_OK)
		return oom(p);
	memset(&t->departments[t->ndepartments], 0, sizeof(*t->departments));
	t->departments[t->ndepartments].id = strdup(id);
	if (!t->departments[t->ndepartments].id)
		return oom(p);
	p->cur = t->ndepartments++;
	return RG_OK;
}

/*
 * A key arrived under a section other than the previous key's: work out
 * what the section is and start its entry.  Every problem is reported here,
 * once; the section's keys are then refused quietly (SEC_BAD).
 */
static int enter_section(struct parse *p, const char *section,
                         const rg_ini_pos *pos)
{
	const char *id;
	size_t kind_len;
	int rc;

	free(p->section);
	p->section = strdup(section);
	if (!p->section)
		return oom(p);
	p->kind = SEC_BAD;
	if (!strcmp(section, SECTION_TENANT)) {
		if (p->tenant_seen) {
			rg_plugin_error(p->h, pos->file, pos->line,
			                "section [%s] appears twice", section);
			return RG_EPOLICY;
		}
		p->tenant_seen = 1;
		p->kind = SEC_TENANT;
		return RG_OK;
	}
	kind_len = strcspn(section, " \t");
	id = section + kind_len;
	while (rc_list_blank(*id))
		id++;
	if (kind_len == strlen(SECTION_UNIT) &&
	    !strncmp(section, SECTION_UNIT, kind_len))
		p->kind = SEC_UNIT;
	else if (kind_len == strlen(SECTION_DEPARTMENT) &&
	         !strncmp(section, SECTION_DEPARTMENT, kind_len))
		p->kind = SEC_DEPARTMENT;
	if (p->kind == SEC_BAD) {
		rg_plugin_error(p->h, pos->file, pos->line,
		                "unknown section [%s]: expected [tenant], "
		                "[unit ID] or [department ID]",
		                section);
		return RG_EPOLICY;
	}
	if (!rc_valid_id(id, strlen(id))) {
		rg_plugin_error(p->h, pos->file, pos->line,
		                "bad id '%s' in section [%s]: use letters, "
		                "digits and \"._-:\"",
		                id, section);
		p->kind = SEC_BAD;
		return RG_EPOLICY;
	}
	if ((p->kind == SEC_UNIT && find_unit_linear(p, id) >= 0) ||
	    (p->kind == SEC_DEPARTMENT && find_dept_linear(p, id) >= 0)) {
		rg_plugin_error(p->h, pos->file, pos->line,
		                "section [%s] appears twice", section);
		p->kind = SEC_BAD;
		return RG_EPOLICY;
	}
	rc = p->kind == SEC_UNIT ? add_unit(p, id) : add_department(p, id);
	if (rc != RG_OK)
		p->kind = SEC_BAD;
	return rc;
}

/* Marks a key seen; reports and fails when it was seen before. */
static int once(struct parse *p, unsigned *seen, unsigned bit, const char *key,
                const rg_ini_pos *pos)
{
	if (*seen & bit) {
		rg_plugin_error(p->h, pos->file, pos->line,
		                "key '%s' repeated in [%s] (a section may "
		                "appear only once)",
		                key, p->section);
		return RG_EPOLICY;
	}
	*seen |= bit;
	return RG_OK;
}

static int count_value(struct parse *p, const char *key, const char *value,
                       const rg_ini_pos *pos, long *out)
{
	if (rc_parse_count(value, out))
		return RG_OK;
	rg_plugin_error(p->h, pos->file, pos->line,
	                "%s = '%s': expected a whole number from 0 to %ld", key,
	                value, RC_COUNT_MAX);
	return RG_EPOLICY;
}

static int unknown_key(struct parse *p, const char *key, const char *allowed,
                       const rg_ini_pos *pos)
{
	rg_plugin_error(p->h, pos->file, pos->line,
	                "unknown key '%s' in [%s] (expected %s)", key,
	                p->section, allowed);
	return RG_EPOLICY;
}

static int name_value(struct parse *p, char **dest, const char *value,
                      const rg_ini_pos *pos)
{
	if (!*value) {
		rg_plugin_error(p->h, pos->file, pos->line,
		                "empty name in [%s]", p->section);
		return RG_EPOLICY;
	}
	*dest = strdup(value);
	return *dest ? RG_OK : oom(p);
}

static int switch_value(struct parse *p, const char *key, const char *value,
                        const rg_ini_pos *pos, int *out)
{
	if (rc_parse_switch(value, out))
		return RG_OK;
	rg_plugin_error(p->h, pos->file, pos->line,
	                "%s = '%s': expected " RC_SETTING_ON
	                " or " RC_SETTING_OFF,
	                key, value);
	return RG_EPOLICY;
}

static int tenant_key(struct parse *p, const char *key, const char *value,
                      const rg_ini_pos *pos)
{
	int on = 0;
	int rc;

	if (!strcmp(key, KEY_WAITING_QUEUE)) {
		rc = once(p, &p->tenant_keys, KEY_SEEN_WAITING_QUEUE, key, pos);
		return rc == RG_OK ? switch_value(p, key, value, pos,
		                                  &p->t->waiting_queue)
		                   : rc;
	}
	if (!strcmp(key, KEY_ACCEPT_IDLE)) {
		rc = once(p, &p->tenant_keys, KEY_SEEN_ACCEPT_IDLE, key, pos);
		if (rc == RG_OK)
			rc = switch_value(p, key, value, pos, &on);
		p->t->idle_refused = !on;
		return rc;
	}
	if (strcmp(key, KEY_MAX_CHATS))
		return unknown_key(p, key,
		                   "max_chats, waiting_queue or "
		                   "accept_when_idle",
		                   pos);
	rc = once(p, &p->tenant_keys, KEY_SEEN_MAX_CHATS, key, pos);
	if (rc == RG_OK)
		rc = count_value(p, key, value, pos, &p->t->max_chats);
	return rc;
}

static int unit_key(struct parse *p, const char *key, const char *value,
                    const rg_ini_pos *pos)
{
	struct rc_unit *u = &p->t->units[p->cur];
	int rc;

	if (strcmp(key, KEY_NAME))
		return unknown_key(p, key, KEY_NAME, pos);
	rc = once(p, &p->unit_keys, KEY_SEEN_NAME, key, pos);
	if (rc == RG_OK)
		rc = name_value(p, &u->name, value, pos);
	return rc;
}

static int department_key(struct parse *p, const char *key, const char *value,
                          const rg_ini_pos *pos)
{
	struct rc_department *d = &p->t->departments[p->cur];
	int rc;

	if (!strcmp(key, KEY_NAME)) {
		rc = once(p, &d->keys, KEY_SEEN_NAME, key, pos);
		return rc == RG_OK ? name_value(p, &d->name, value, pos) : rc;
	}
	if (!strcmp(key, KEY_MAX_CHATS)) {
		rc = once(p, &d->keys, KEY_SEEN_MAX_CHATS, key, pos);
		return rc == RG_OK
		           ? count_value(p, key, value, pos, &d->max_chats)
		           : rc;
	}
	if (strcmp(key, KEY_UNIT))
		return unknown_key(p, key, "name, unit or max_chats", pos);
	rc = once(p, &d->keys, KEY_SEEN_UNIT, key, pos);
	if (rc != RG_OK)
		return rc;
	if (!rc_valid_id(value, strlen(value))) {
		rg_plugin_error(p->h, pos->file, pos->line,
		                "unit = '%s': not a unit id", value);
		return RG_EPOLICY;
	}
	d->unit_ref = strdup(value);
	if (!d->unit_ref)
		return oom(p);
	d->unit_line = pos->line;
	return RG_OK;
}

static int on_key(void *user, const char *section, const char *key,
                  const char *value, const rg_ini_pos *pos)
{
	struct parse *p = user;
	int rc;

	if (!p->file) {
		p->file = strdup(pos->file);
		if (!p->file)
			return oom(p);
	}
	if (!p->section || strcmp(section, p->section)) {
		rc = enter_section(p, section, pos);
		if (rc != RG_OK)
			return rc;
	}
	switch (p->kind) {
	case SEC_TENANT:
		return tenant_key(p, key, value, pos);
	case SEC_UNIT:
		return unit_key(p, key, value, pos);
	case SEC_DEPARTMENT:
		return department_key(p, key, value, pos);
	default:
		return RG_EPOLICY; /* reported when the section was entered */
	}
}

static int unit_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rc_unit *)a)->id,
	              ((const struct rc_unit *)b)->id);
}

static int dept_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rc_department *)a)->id,
	              ((const struct rc_department *)b)->id);
}

/* Adds id, the i-th of its array, to the index *ix (made on first use).
 * The ids are distinct (a section appears once), so its name is i. */
static int index_id(rg_names **ix, const char *id, size_t i)
{
	long got;

	if (!*ix)
		*ix = rg_names_new();
	if (!*ix)
		return RG_ENOMEM;
	got = rg_names_add(*ix, id);
	if (got < 0)
		return (int)got;
	return got == (long)i ? RG_OK : RG_EINTERNAL;
}

/* Sorts both arrays, indexes them and points each department at its
 * unit. */
static int resolve(struct parse *p)
{
	struct rc_tenant *t = p->t;
	int rc;
	size_t i;

	if (t->nunits)
		qsort(t->units, t->nunits, sizeof(*t->units), unit_cmp);
	if (t->ndepartments)
		qsort(t->departments, t->ndepartments, sizeof(*t->departments),
		      dept_cmp);
	for (i = 0, rc = RG_OK; i < t->nunits && rc == RG_OK; i++)
		rc = index_id(&t->unit_ix, t->units[i].id, i);
	for (i = 0; i < t->ndepartments && rc == RG_OK; i++)
		rc = index_id(&t->dept_ix, t->departments[i].id, i);
	if (rc != RG_OK)
		return rc == RG_ENOMEM ? oom(p) : rc;
	for (i = 0; i < t->ndepartments; i++) {
		struct rc_department *d = &t->departments[i];

		if (!d->unit_ref)
			continue;
		d->unit = rc_tenant_unit(t, d->unit_ref, strlen(d->unit_ref));
		if (!d->unit) {
			rg_plugin_error(p->h, p->file, d->unit_line,
			                "department '%s' names unit '%s', "
			                "which has no [unit %s] section",
			                d->id, d->unit_ref, d->unit_ref);
			rc = RG_EPOLICY;
		}
		free(d->unit_ref);
		d->unit_ref = NULL;
	}
	return rc;
}

void rc_tenant_free(struct rc_tenant *t)
{
	size_t i;

	for (i = 0; i < t->nunits; i++) {
		free(t->units[i].id);
		free(t->units[i].name);
	}
	for (i = 0; i < t->ndepartments; i++) {
		free(t->departments[i].id);
		free(t->departments[i].name);
		free(t->departments[i].unit_ref);
	}
	free(t->units);
	free(t->departments);
	rg_names_free(t->unit_ix);
	rg_names_free(t->dept_ix);
	memset(t, 0, sizeof(*t));
}

int rc_tenant_load(rg_plugin_handle *h, const char *path, struct rc_tenant *t)
{
	struct parse p;
	int rc;

	memset(t, 0, sizeof(*t));
	memset(&p, 0, sizeof(p));
	p.h = h;
	p.t = t;
	rc = rg_ini_read(h, path, on_key, &p);
	if (rc == RG_OK)
		rc = resolve(&p);
	free(p.file);
	free(p.section);
	if (rc != RG_OK) {
		rc_tenant_free(t);
		return rc;
	}
	t->loaded = 1;
	return RG_OK;
}
