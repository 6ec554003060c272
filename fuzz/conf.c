/*
 * conf.c - fuzz target: rolegate.conf, with rolegated's [rolegated] and
 * [route NAME] sections read by rolegated's parser (rgdconf.c), the whole-file
 * checks, and the route matcher on paths taken from the input itself.
 *
 * The input is the configuration; its relative policy paths resolve
 * against the scratch directory, where the shipped policies are linked.
 * Each line of the input is also tried as a request path with each method:
 * a fuzzed path against fuzzed routes.  Oracle: a path an upstream may
 * read otherwise (fuzz_risky()) never matches a route.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "rgdconf.h"
#include "routes.h"

#define LINE_MAX_LEN 2048
#define PATHS_MAX    64

static void problem(void *user, int warning, const char *msg)
{
}

static void match_paths(const struct rgd_conf *c, const uint8_t *data,
                        size_t size)
{
	static const char *const methods[] = {"GET", "POST", "DELETE", "X"};
	static struct rgd_match m;
	char line[LINE_MAX_LEN];
	size_t i = 0, k, paths = 0;

	while (i < size && paths++ < PATHS_MAX) {
		size_t len = 0;

		while (i < size && data[i] != '\n') {
			if (len + 1 < sizeof(line))
				line[len++] = (char)data[i];
			i++;
		}
		i++;
		line[len] = '\0';
		/* A path as a request line carries it: "= /x" also tried. */
		for (k = 0; k < RG_COUNTOF(methods); k++) {
			const char *uri = strchr(line, '/');

			if (!uri)
				break;
			if (rgd_route_match(c, methods[k], uri, &m) ==
			        RGD_MATCH_OK &&
			    fuzz_risky(uri))
				fuzz_fail("route %s matched the risky path %s",
				          m.route ? m.route->name : "?", uri);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rgd_conf c;
	rg_context *ctx;
	const char *path;

	fuzz_link_policies();
	path = fuzz_file("rolegate.conf", data, size);
	if (rgd_conf_init(&c) != RG_OK)
		return 0;
	ctx = fuzz_open(path, NULL, rgd_conf_sections, rgd_conf_key, &c);
	rgd_conf_check(&c, ctx, problem, NULL);
	rgd_conf_check(&c, NULL, problem, NULL);
	match_paths(&c, data, size);
	if (ctx)
		fuzz_exercise(ctx);
	rg_close(ctx);
	rgd_conf_free(&c);
	return 0;
}
