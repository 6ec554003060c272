/*
 * status.c - the one status table, result and level names.
 */
#include "config.h"

#include "internal.h"

#define RG_STATUS_ROW(name, value, msg) {(value), #name, (msg)},
static const struct {
	int value;
	const char *name;
	const char *msg;
} status_table[] = {RG_STATUS_MAP(RG_STATUS_ROW)};
#undef RG_STATUS_ROW

#define STATUS_COUNT RG_COUNTOF(status_table)

const char *rg_strerror(int status)
{
	size_t i;

	for (i = 0; i < STATUS_COUNT; i++)
		if (status_table[i].value == status)
			return status_table[i].msg;
	return "unknown status";
}

int rg_status_known(int status)
{
	size_t i;

	for (i = 0; i < STATUS_COUNT; i++)
		if (status_table[i].value == status)
			return 1;
	return 0;
}

const char *rg_status_name(int status)
{
	size_t i;

	for (i = 0; i < STATUS_COUNT; i++)
		if (status_table[i].value == status)
			return status_table[i].name;
	return "UNKNOWN";
}

const char *rg_version(void)
{
	return RG_VERSION_STRING;
}

const char *rg_result_name(rg_result result)
{
	static const char *const names[RG_RESULT_COUNT] = {
	    [RG_ALLOW] = "allow",
	    [RG_DENY] = "deny",
	    [RG_ABSTAIN] = "abstain",
	    [RG_ERROR] = "error",
	};

	if ((unsigned)result >= RG_RESULT_COUNT)
		return "invalid";
	return names[result];
}
