/*
 * lint.c - fuzz target: `rolegate -c FILE lint --json` on a fuzzed
 * configuration, run in process (rolegate-main.c is the command's source
 * with its main() renamed).  Oracle: the output parses as a JSON object
 * with the lint report's members, and every problem and warning is a
 * string (a problem printed as null once hid a crash).
 *
 * The input's relative policy paths resolve against the scratch directory;
 * the CLI finds the build tree's plugins as tools/rolegate does.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"

int rolegate_main(int argc, char **argv);

/* Each element of doc's array `key` (when there is one) is a string. */
static void check_strings(json_t *doc, const char *key)
{
	json_t *a = json_object_get(doc, key), *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			fuzz_fail("lint --json: %s[%zu] is not a string", key,
			          i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[4096];
	const char *conf;
	char *argv[6] = {"rolegate", "-c", NULL, "lint", "--json", NULL};
	json_error_t jerr;
	json_t *doc;
	int fd, saved, rc;

	fuzz_link_policies();
	conf = fuzz_file("rolegate.conf", data, size);
	argv[2] = (char *)conf;
	snprintf(out, sizeof(out), "%s/lint.out", fuzz_dir());
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDOUT_FILENO);
	if (fd < 0 || saved < 0)
		fuzz_fail("cannot redirect stdout to %s", out);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	optind = 0; /* glibc: a new argv, start over */
	rc = rolegate_main(5, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	doc = json_load_file(out, 0, &jerr);
	if (!doc)
		fuzz_fail("lint --json (exit %d) printed no JSON: %s (line %d)",
		          rc, jerr.text, jerr.line);
	if (!json_is_object(doc) ||
	    !json_is_array(json_object_get(doc, "problems")) ||
	    !json_is_boolean(json_object_get(doc, "ok")))
		fuzz_fail("lint --json: not a lint report");
	check_strings(doc, "problems");
	check_strings(doc, "warnings");
	json_decref(doc);
	return 0;
}
