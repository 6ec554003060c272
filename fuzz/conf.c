/*
 * conf.c - fuzz target: rolegate.conf, with rolegated's [rolegated] and
 * [route NAME] sections read by the rolegated-conf parser, the whole-file
 * checks, and the route matcher on paths taken from the input itself.
 *
 * The input is the configuration; its relative policy paths resolve
 * against the scratch directory, where the shipped policies are linked.
 * Each line of the input is also tried as a request path with each method:
 * a fuzzed path against fuzzed routes.  Oracle: a path an upstream may
 * read otherwise (risky()) never matches a route.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "rolegated-conf.h"

#define LINE_MAX_LEN 2048
#define PATHS_MAX    64

static void problem(void *user, int warning, const char *msg)
{
}

/* The value of hex digit c, or -1. */
static int hex(char c)
{
	if (!isxdigit((unsigned char)c))
		return -1;
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* 1 when a decoded segment is ".", ".." or empty (and not the last). */
static int dot_segment(const char *s, size_t n, int last)
{
	return (n == 1 && s[0] == '.') ||
	       (n == 2 && s[0] == '.' && s[1] == '.') || (n == 0 && !last);
}

/*
 * 1 when an upstream may read the path of uri otherwise than rolegated: a
 * '#' anywhere; once percent-decoded, a ';' (path parameters, "..;"), a
 * '\' or an encoded '/', a control character, or a ".", ".." or empty
 * segment.  Written apart from the matcher so that the two can disagree.
 */
static int risky(const char *uri)
{
	char seg[LINE_MAX_LEN];
	size_t n = strcspn(uri, "?"), i, len = 0;

	if (strchr(uri, '#'))
		return 1;
	if (*uri != '/')
		return 0;
	for (i = 1; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)uri[i] : '/';

		if (c == '/') {
			if (dot_segment(seg, len, i == n))
				return 1;
			len = 0;
			continue;
		}
		if (c == '%' && i + 2 < n && hex(uri[i + 1]) >= 0 &&
		    hex(uri[i + 2]) >= 0) {
			c = (unsigned char)(hex(uri[i + 1]) * 16 +
			                    hex(uri[i + 2]));
			i += 2;
			if (c == '/')
				return 1;
		}
		if (c == ';' || c == '\\' || c < 0x20 || c == 0x7f)
			return 1;
		if (len < sizeof(seg))
			seg[len++] = (char)c;
	}
	return 0;
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
		for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			const char *uri = strchr(line, '/');

			if (!uri)
				break;
			if (rgd_route_match(c, methods[k], uri, &m) ==
			        RGD_MATCH_OK &&
			    risky(uri))
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
