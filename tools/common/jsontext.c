/*
 * jsontext.c - text into JSON for the tools (jsontext.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

#include "jsontext.h"

json_t *rg_tool_jstr(const char *s, int empty_is_null)
{
	char *valid;
	json_t *j;

	if (!s || (empty_is_null && !*s))
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	valid = rg_escape_dup(s, RG_ESCAPE_UTF8);
	j = valid ? json_string(valid) : NULL;
	free(valid);
	return j ? j : json_null();
}

json_t *rg_tool_jsplit(const char *list)
{
	json_t *arr = json_array();

	while (arr && list && *list) {
		size_t len = strcspn(list, ",");

		if (len)
			json_array_append_new(arr, json_stringn(list, len));
		list += len + (list[len] == ',');
	}
	return arr;
}
