/*
 * dynopts.c - the options a command takes from the service's declarations.
 *
 * `rolegate department add --unit emea --max-chats 3 rc sales`: which
 * options exist depends on the service, and the service comes after them.
 * So getopt sees the tool's own options only; every other --NAME VALUE is
 * set aside here, in the order given, for the command to check against
 * the declarations once the configuration is open.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define LONG_PREFIX     "--"
#define LONG_PREFIX_LEN 2

/* The short options that take a value (getopt's "c:" and "o:"). */
static int short_has_value(const char *word)
{
	return (word[1] == 'c' || word[1] == 'o') && word[2] == '\0';
}

/* Appends --name (len bytes) with its value to args->dyn. */
static int add_dynamic(struct cli_args *args, const char *name, size_t len,
                       const char *value)
{
	struct cli_dynopt *o;
	char *copy = malloc(len + 1);

	if (!copy)
		return -1;
	memcpy(copy, name, len);
	copy[len] = '\0';
	o = realloc(args->dyn, (args->ndyn + 1) * sizeof(*o));
	if (!o) {
		free(copy);
		return -1;
	}
	args->dyn = o;
	o[args->ndyn].name = copy;
	o[args->ndyn].value = value;
	args->ndyn++;
	return 0;
}

/*
 * Sorts one word at argv[*i]: the tool's own (with its value) to words,
 * another --NAME VALUE to args->dyn.  Returns 0, 1 when the words after
 * are all positional ("--"), or -1 after a usage error.
 */
static int sort_word(const struct cli_cmd *cmd, int argc, char **argv, int *i,
                     char **words, int *n, struct cli_args *args)
{
	const char *w = argv[*i];
	const char *name = w + LONG_PREFIX_LEN, *eq;
	size_t len;
	int has_value;

	if (strcmp(w, LONG_PREFIX) == 0)
		return 1;
	if (strncmp(w, LONG_PREFIX, LONG_PREFIX_LEN) != 0 || !*name) {
		words[(*n)++] = argv[*i];
		if (w[0] == '-' && short_has_value(w) && *i + 1 < argc)
			words[(*n)++] = argv[++*i];
		return 0;
	}
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	if (cli_known_option(cmd, name, len, &has_value)) {
		words[(*n)++] = argv[*i];
		if (has_value && !eq && *i + 1 < argc)
			words[(*n)++] = argv[++*i];
		return 0;
	}
	if (!eq && *i + 1 >= argc) {
		cli_usage_error(cmd, "option '%s' needs a value", w);
		return -1;
	}
	if (add_dynamic(args, name, len, eq ? eq + 1 : argv[++*i]) != 0) {
		cli_error("out of memory");
		return -1;
	}
	return 0;
}

int cli_dynamic_split(const struct cli_cmd *cmd, int *argc, char ***argv,
                      struct cli_args *args)
{
	char **in = *argv;
	int i, n = 0, rc = 0;

	args->words = calloc((size_t)*argc + 1, sizeof(char *));
	if (!args->words) {
		cli_error("out of memory");
		return -1;
	}
	/* in[0] is the command's last word: getopt's program name. */
	args->words[n++] = in[0];
	for (i = 1; i < *argc && rc == 0; i++)
		rc = sort_word(cmd, *argc, in, &i, args->words, &n, args);
	if (rc < 0)
		return -1;
	/* After "--", the rest as it is, "--" included for getopt. */
	for (i = i - 1; rc == 1 && i < *argc; i++)
		args->words[n++] = in[i];
	*argc = n;
	*argv = args->words;
	return 0;
}

const char *cli_dynamic_get(const struct cli_args *args, const char *name)
{
	const char *value = NULL;
	size_t i;

	for (i = 0; i < args->ndyn; i++)
		if (strcmp(args->dyn[i].name, name) == 0)
			value = args->dyn[i].value;
	return value;
}

void cli_args_free(struct cli_args *args)
{
	size_t i;

	for (i = 0; i < args->ndyn; i++)
		free(args->dyn[i].name);
	free(args->dyn);
	free(args->words);
	args->dyn = NULL;
	args->ndyn = 0;
	args->words = NULL;
}
