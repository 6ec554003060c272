/*
 * tenant.h - the rocketchat plugin's view of one workspace: its units, its
 * departments (with their unit and chat limit) and its default chat limit.
 *
 * Internal to the plugin: the build hides every symbol but the plugin's
 * one export, so the rc_ prefix only keeps the names apart from the core's.
 */
#ifndef ROLEGATE_ROCKETCHAT_TENANT_H
#define ROLEGATE_ROCKETCHAT_TENANT_H

#include <stddef.h>
#include <string.h> /* strchrnul(): config.h comes first */

#include <rolegate/plugin.h>

/* The largest chat count or limit accepted anywhere (file or attribute). */
#define RC_COUNT_MAX 1000000L

struct rc_unit {
	char *id;
	char *name;
};

struct rc_department {
	char *id;
	char *name;
	const struct rc_unit *unit; /* NULL: in no unit */
	long max_chats;             /* 0: not set */
	/* Only while reading: the unit as written and where. */
	char *unit_ref;
	unsigned unit_line;
	unsigned keys; /* RC_DKEY_* seen, to refuse a repeated key */
};

/*
 * A tenant.  Zero-initialised it is the empty tenant: no units, no
 * departments, no default limit (what a plugin without tenant= sees).
 * Both arrays are sorted by id once loaded.
 */
struct rc_tenant {
	int loaded;     /* a tenant file was read */
	long max_chats; /* the default per-agent limit; 0: none */
	/*
	 * Rocket.Chat's Livechat_waiting_queue (off unless the file turns
	 * it on) and Livechat_enabled_when_agent_idle (on unless the file
	 * turns it off): zero is the product's default for both.
	 */
	int waiting_queue;
	int idle_refused;
	struct rc_unit *units;
	size_t nunits;
	struct rc_department *departments;
	size_t ndepartments;
	/* The ids' indexes: name i is units[i]'s (departments[i]'s) id.  A
	 * check looks up each department of a subject's list. */
	rg_names *unit_ix;
	rg_names *dept_ix;
};

/*
 * Reads a tenant file into *t (zeroed first).  Every problem is reported
 * with rg_plugin_error() as "file:line"; returns RG_OK, or an error after
 * which *t is empty again.
 */
int rc_tenant_load(rg_plugin_handle *h, const char *path, struct rc_tenant *t);

/* Frees what rc_tenant_load() allocated; leaves the empty tenant. */
void rc_tenant_free(struct rc_tenant *t);

/* The unit or department whose id is the len bytes at id, or NULL. */
const struct rc_unit *rc_tenant_unit(const struct rc_tenant *t, const char *id,
                                     size_t len);
const struct rc_department *rc_tenant_department(const struct rc_tenant *t,
                                                 const char *id, size_t len);

/*
 * The len bytes at id (a piece of a longer string) as a NUL-terminated
 * name: id itself when it ends there (a request's department), else a copy
 * in buf; NULL when it does not fit.
 */
const char *rc_id_name(char buf[RG_ID_MAX], const char *id, size_t len);

/* 1 when the len bytes at s are a valid id (letters, digits, "._-:"). */
int rc_valid_id(const char *s, size_t len);

/* The words of an on/off setting, in a tenant file or the directory. */
#define RC_SETTING_ON  "on"
#define RC_SETTING_OFF "off"

/* Parses "on" (1) or "off" (0) into *out; returns 0 for anything else. */
int rc_parse_switch(const char *s, int *out);

/*
 * Parses a count: decimal digits only, at most RC_COUNT_MAX.  Returns 1
 * and sets *out, or 0 for anything else (empty, sign, blank, overflow).
 */
int rc_parse_count(const char *s, long *out);

/*
 * Walks a comma-separated list of ids, as subject attributes carry them
 * ("sales,support").  rc_list_begin() returns the cursor for a list, NULL
 * when it is NULL or blank (no items).  rc_list_next() then returns 1 and
 * sets *item and *len to the next item, blanks around it trimmed, or 0 at the
 * end.  An empty item (",," or a trailing ",") comes back with len 0 so
 * that callers can refuse it.  Nothing is allocated.  Inline, with one
 * strchrnul() per item: every check of an ad-hoc subject walks its lists,
 * and a strchr() and a strlen() per item, or a loop over the bytes, were a
 * visible part of such a check.  rc_list_blank() is what is trimmed.
 */
static inline int rc_list_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline const char *rc_list_begin(const char *list)
{
	const char *s = list;

	if (!s)
		return NULL;
	while (rc_list_blank(*s))
		s++;
	return *s ? list : NULL;
}

static inline int rc_list_next(const char **cursor, const char **item,
                               size_t *len)
{
	const char *s = *cursor, *end;

	if (!s)
		return 0;
	while (rc_list_blank(*s))
		s++;
	*item = s;
	s = strchrnul(s, ',');
	end = s;
	while (end > *item && rc_list_blank(end[-1]))
		end--;
	*len = (size_t)(end - *item);
	*cursor = *s == ',' ? s + 1 : NULL;
	return 1;
}

#endif /* ROLEGATE_ROCKETCHAT_TENANT_H */
