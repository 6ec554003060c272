/*
 * org.c - the organisation one decision sees (see org.h): the directory's
 * facts when it has any unit or department of the service, else the
 * tenant file.
 *
 * The directory hands its data to plugins as facts (<rolegate/plugin.h>):
 *   ("unit", ID, "name")             the unit exists
 *   ("department", ID, "unit")       its unit, when set
 *   ("department", ID, "max_chats")  its chat limit, when set
 *   ("department", ID, "name")       the department exists (when given)
 *   ("setting", "default_max_chats", "value")
 *   ("setting", "waiting_queue", "value"), ("setting", "accept_when_idle", ...)
 * Fact lookups take NUL-terminated names; ids are shorter than RG_ID_MAX
 * (rc_valid_id()), so a stack buffer holds a copy when one is needed.
 */
#include "config.h"

#include <string.h>

#include "org.h"

#define FACT_UNIT         "unit"
#define FACT_DEPARTMENT   "department"
#define FACT_SETTING      "setting"
#define FACT_NAME         "name"
#define FACT_MAX_CHATS    "max_chats"
#define FACT_VALUE        "value"
#define SETTING_MAX_CHATS "default_max_chats"

void rc_org_init(struct rc_org *org, const rg_plugin_request *req,
                 const struct rc_tenant *tenant, unsigned ans_flags)
{
	org->req = req;
	org->tenant = tenant;
	org->resolved = 0;
	org->no_facts = (ans_flags & RG_ANSWER_NO_FACTS) != 0;
	org->units = 0;
	org->source = RC_ORG_NONE;
}

void rc_org_init_resolved(struct rc_org *org, const rg_plugin_request *req,
                          const struct rc_tenant *tenant,
                          enum rc_org_source source, size_t units)
{
	rc_org_init(org, req, tenant, 0);
	org->source = source;
	org->units = units;
	org->resolved = 1;
}

/*
 * Works the source out, once per decision: the directory when it has a
 * unit (then its departments need no count) or a department.
 */
static void resolve(struct rc_org *org)
{
	if (org->resolved)
		return;
	org->resolved = 1;
	/* No fact at all (no directory, a check's usual case when the
	 * subject is named by its roles): both counts are 0, unasked. */
	org->units = org->no_facts ? 0 : rg_fact_count(org->req, FACT_UNIT);
	if (org->units ||
	    (!org->no_facts && rg_fact_count(org->req, FACT_DEPARTMENT))) {
		org->source = RC_ORG_DIRECTORY;
	} else if (org->tenant->loaded) {
		org->source = RC_ORG_TENANT;
		org->units = org->tenant->nunits;
	} else {
		org->source = RC_ORG_NONE;
	}
}

const char *rc_org_source_name(struct rc_org *org)
{
	resolve(org);
	switch (org->source) {
	case RC_ORG_DIRECTORY:
		return "the directory";
	case RC_ORG_TENANT:
		return "the tenant file";
	default:
		return "no tenant file";
	}
}

int rc_org_from_directory(struct rc_org *org)
{
	resolve(org);
	return org->source == RC_ORG_DIRECTORY;
}

int rc_org_checked(struct rc_org *org)
{
	resolve(org);
	return org->source != RC_ORG_NONE;
}

int rc_org_has_units(struct rc_org *org)
{
	resolve(org);
	return org->units > 0;
}

int rc_org_unit(struct rc_org *org, const char *id, size_t len)
{
	char buf[RG_ID_MAX];
	const char *name;

	resolve(org);
	switch (org->source) {
	case RC_ORG_DIRECTORY:
		name = rc_id_name(buf, id, len);
		return name && rg_fact(org->req, FACT_UNIT, name, FACT_NAME);
	case RC_ORG_TENANT:
		return rc_tenant_unit(org->tenant, id, len) != NULL;
	default:
		return 0;
	}
}

/*
 * A department exists when the directory has any fact of it.  Its unit
 * and limit are needed anyway; its name only when it has neither.
 */
static enum rc_dept_lookup directory_department(const struct rc_org *org,
                                                const char *id, size_t len,
                                                struct rc_dept *out,
                                                const char **bad)
{
	char buf[RG_ID_MAX];
	const char *name = rc_id_name(buf, id, len);
	const char *max;
	long node;

	if (!name)
		return RC_DEPT_UNKNOWN;
	/* One lookup for the department, then its facts. */
	node = rg_fact_node(org->req, FACT_DEPARTMENT, name);
	out->unit = rg_fact_node_get(org->req, node, FACT_UNIT);
	max = rg_fact_node_get(org->req, node, FACT_MAX_CHATS);
	if (!out->unit && !max && !rg_fact_node_get(org->req, node, FACT_NAME))
		return RC_DEPT_UNKNOWN;
	out->known = 1;
	if (max && !rc_parse_count(max, &out->max_chats)) {
		*bad = max;
		return RC_DEPT_BAD;
	}
	return RC_DEPT_FOUND;
}

enum rc_dept_lookup rc_org_department(struct rc_org *org, const char *id,
                                      size_t len, struct rc_dept *out,
                                      const char **bad)
{
	const struct rc_department *d;

	memset(out, 0, sizeof(*out));
	resolve(org);
	switch (org->source) {
	case RC_ORG_DIRECTORY:
		return directory_department(org, id, len, out, bad);
	case RC_ORG_TENANT:
		d = rc_tenant_department(org->tenant, id, len);
		if (!d)
			return RC_DEPT_UNKNOWN;
		out->known = 1;
		out->unit = d->unit ? d->unit->id : NULL;
		out->max_chats = d->max_chats;
		return RC_DEPT_FOUND;
	default:
		/* Nothing to check against: a department in no unit. */
		out->known = 1;
		return RC_DEPT_FOUND;
	}
}

int rc_org_default_limit(const struct rc_org *org, long *out,
                         int *from_directory, const char **bad)
{
	const char *v =
	    rg_fact(org->req, FACT_SETTING, SETTING_MAX_CHATS, FACT_VALUE);

	*from_directory = v != NULL;
	if (!v) {
		*out = org->tenant->max_chats;
		return 1;
	}
	if (rc_parse_count(v, out))
		return 1;
	*bad = v;
	return 0;
}

const char *rc_switch_key(enum rc_switch sw)
{
	return sw == RC_SWITCH_ACCEPT_IDLE ? RC_SETTING_ACCEPT_IDLE
	                                   : RC_SETTING_WAITING_QUEUE;
}

/* The tenant file's value of sw, or the product's default. */
static int tenant_switch(const struct rc_tenant *t, enum rc_switch sw)
{
	return sw == RC_SWITCH_ACCEPT_IDLE ? !t->idle_refused
	                                   : t->waiting_queue;
}

int rc_org_switch(const struct rc_org *org, enum rc_switch sw, int *on,
                  int *from_directory, const char **bad)
{
	const char *v =
	    rg_fact(org->req, FACT_SETTING, rc_switch_key(sw), FACT_VALUE);

	*from_directory = v != NULL;
	if (!v) {
		*on = tenant_switch(org->tenant, sw);
		return 1;
	}
	if (rc_parse_switch(v, on))
		return 1;
	*bad = v;
	return 0;
}
