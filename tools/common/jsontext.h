/*
 * jsontext.h - text into JSON, as the rolegate tool, rolegated and the sync
 * engine all make it (built into librgsync.la, which each links).
 */
#ifndef ROLEGATE_TOOLS_JSONTEXT_H
#define ROLEGATE_TOOLS_JSONTEXT_H

#include <jansson.h>

/*
 * A JSON string of s, or null for NULL (and for "" when empty_is_null).
 * Invalid UTF-8 is still text the reader must see: each stray byte
 * becomes U+FFFD.  Only out of memory gives null for a string.
 */
json_t *rg_tool_jstr(const char *s, int empty_is_null);

/* A JSON array of a comma-separated list from the library (empty items
 * skipped); NULL is an empty list. */
json_t *rg_tool_jsplit(const char *list);

#endif /* ROLEGATE_TOOLS_JSONTEXT_H */
