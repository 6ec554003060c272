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
 * Fact lookups take NUL-terminated names; ids are shorter than RG_ID_MAX
 * (rc_valid_id()), so a stack buffer holds a copy.
 */
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
                 const struct rc_tenant *tenant)
{
	org->req = req;
	org->tenant = tenant;
	if (rg_fact_count(req, FACT_UNIT) + rg_fact_count(req, FACT_DEPARTMENT))
		org->source = RC_ORG_DIRECTORY;
	else if (tenant->loaded)
		org->source = RC_ORG_TENANT;
	else
		org->source = RC_ORG_NONE;
}

const char *rc_org_source_name(const struct rc_org *org)
{
	switch (org->source) {
	case RC_ORG_DIRECTORY:
		return "the directory";
	case RC_ORG_TENANT:
		return "the tenant file";
	default:
		return "no tenant file";
	}
}

int rc_org_checked(const struct rc_org *org)
{
	return org->source != RC_ORG_NONE;
}

int rc_org_has_units(const struct rc_org *org)
{
	switch (org->source) {
	case RC_ORG_DIRECTORY:
		return rg_fact_count(org->req, FACT_UNIT) > 0;
	case RC_ORG_TENANT:
		return org->tenant->nunits > 0;
	default:
		return 0;
	}
}

/* Copies the len bytes at id into buf; 0 when they do not fit. */
static int id_copy(char buf[RG_ID_MAX], const char *id, size_t len)
{
	if (len >= RG_ID_MAX)
		return 0;
	memcpy(buf, id, len);
	buf[len] = '\0';
	return 1;
}

int rc_org_unit(const struct rc_org *org, const char *id, size_t len)
{
	char name[RG_ID_MAX];

	switch (org->source) {
	case RC_ORG_DIRECTORY:
		return id_copy(name, id, len) &&
		       rg_fact(org->req, FACT_UNIT, name, FACT_NAME) != NULL;
	case RC_ORG_TENANT:
		return rc_tenant_unit(org->tenant, id, len) != NULL;
	default:
		return 0;
	}
}

static enum rc_dept_lookup directory_department(const struct rc_org *org,
                                                const char *id, size_t len,
                                                struct rc_dept *out,
                                                const char **bad)
{
	char name[RG_ID_MAX];
	const char *max, *label;

	if (!id_copy(name, id, len))
		return RC_DEPT_UNKNOWN;
	label = rg_fact(org->req, FACT_DEPARTMENT, name, FACT_NAME);
	out->unit = rg_fact(org->req, FACT_DEPARTMENT, name, FACT_UNIT);
	max = rg_fact(org->req, FACT_DEPARTMENT, name, FACT_MAX_CHATS);
	if (!label && !out->unit && !max)
		return RC_DEPT_UNKNOWN;
	out->known = 1;
	if (max && !rc_parse_count(max, &out->max_chats)) {
		*bad = max;
		return RC_DEPT_BAD;
	}
	return RC_DEPT_FOUND;
}

enum rc_dept_lookup rc_org_department(const struct rc_org *org, const char *id,
                                      size_t len, struct rc_dept *out,
                                      const char **bad)
{
	const struct rc_department *d;

	memset(out, 0, sizeof(*out));
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
