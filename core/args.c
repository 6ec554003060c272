/*
 * args.c - parsing of a stack line's plugin arguments.
 *
 * Arguments are NAME=VALUE words, or a bare NAME for a boolean.  Every
 * problem (unknown, repeated, malformed or missing argument) is reported
 * against the stack line, and the plugin then fails to open: a typo never
 * silently changes a policy.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_SPECS 64

static int word_index(const char *const *list, const char *s)
{
	int i;

	for (i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* Keeps s for the handle's lifetime; NULL when out of memory. */
static const char *keep(rg_plugin_handle *h, char *s)
{
	if (!s)
		return NULL;
	if (rg_ptr_push(&h->strings, &h->nstrings, &h->capstrings, s) !=
	    RG_OK) {
		free(s);
		return NULL;
	}
	return s;
}

static int set_value(rg_plugin_handle *h, const rg_argspec *spec,
                     const char *value)
{
	int b;
	const char *kept;
	char *end;
	long n;
	int i;

	switch (spec->type) {
	case RG_ARG_STRING:
	case RG_ARG_PATH:
		if (!value || !*value)
			goto needs_value;
		kept = keep(h, spec->type == RG_ARG_PATH
		                   ? rg_path_join(h->config_dir, value)
		                   : rg_strdup(value));
		if (!kept)
			return RG_ENOMEM;
		*(const char **)spec->dest = kept;
		return RG_OK;
	case RG_ARG_BOOL:
		/* A bare flag (no value) means yes. */
		b = value ? rg_bool_word(value) : 1;
		if (b >= 0) {
			*(int *)spec->dest = b;
			return RG_OK;
		}
		rg_plugin_error(h, NULL, 0,
		                "argument %s=%s: expected yes or no",
		                spec->name, value);
		return RG_EINVAL;
	case RG_ARG_INT:
		if (!value || !*value)
			goto needs_value;
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || *end || n < 0) {
			rg_plugin_error(h, NULL, 0,
			                "argument %s=%s: expected a whole "
			                "number >= 0",
			                spec->name, value);
			return RG_EINVAL;
		}
		*(long *)spec->dest = n;
		return RG_OK;
	case RG_ARG_ENUM:
		if (!value || !*value)
			goto needs_value;
		i = spec->choices ? word_index(spec->choices, value) : -1;
		if (i < 0) {
			char list[RG_MSG_MAX] = "";
			const char *const *c;
			for (c = spec->choices; c && *c; c++) {
				if (c != spec->choices)
					strncat(list, "|",
					        sizeof(list) - strlen(list) -
					            1);
				strncat(list, *c,
				        sizeof(list) - strlen(list) - 1);
			}
			rg_plugin_error(h, NULL, 0,
			                "argument %s=%s: expected one of %s",
			                spec->name, value, list);
			return RG_EINVAL;
		}
		*(int *)spec->dest = i;
		return RG_OK;
	}
	return RG_EINVAL;
needs_value:
	rg_plugin_error(h, NULL, 0, "argument %s needs a value (%s=...)",
	                spec->name, spec->name);
	return RG_EINVAL;
}

static const rg_argspec *find_spec(const rg_argspec *specs, const char *name,
                                   size_t len, size_t *index)
{
	size_t i;

	for (i = 0; i < MAX_SPECS && specs[i].name; i++)
		if (strlen(specs[i].name) == len &&
		    strncmp(specs[i].name, name, len) == 0) {
			*index = i;
			return &specs[i];
		}
	return NULL;
}

int rg_args_parse(rg_plugin_handle *h, int argc, char *const argv[],
                  const rg_argspec *specs)
{
	unsigned char seen[MAX_SPECS] = {0};
	int i, rc = RG_OK;
	size_t k;

	if (!h || !specs || argc < 0)
		return RG_EINVAL;
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		const rg_argspec *spec = find_spec(specs, argv[i], len, &k);
		int r;

		if (!spec) {
			rg_plugin_error(h, NULL, 0, "unknown argument '%s'",
			                argv[i]);
			rc = RG_EINVAL;
			continue;
		}
		if (seen[k]++) {
			rg_plugin_error(h, NULL, 0, "argument '%s' given twice",
			                spec->name);
			rc = RG_EINVAL;
			continue;
		}
		r = set_value(h, spec, eq ? eq + 1 : NULL);
		if (r != RG_OK)
			rc = r;
	}
	for (k = 0; k < MAX_SPECS && specs[k].name; k++)
		if (specs[k].required && !seen[k]) {
			rg_plugin_error(h, NULL, 0,
			                "missing required argument %s=...",
			                specs[k].name);
			rc = RG_EINVAL;
		}
	return rc;
}
