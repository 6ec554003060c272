/*
 * routes.h - rolegated's route matcher: the first [route NAME] of a parsed
 * configuration (rgdconf.h) that a method and a URI hit, and the attributes
 * it builds.  Nothing in here needs anything but libc and the public API.
 */
#ifndef ROLEGATE_TOOLS_ROUTES_H
#define ROLEGATE_TOOLS_ROUTES_H

#include <stddef.h>

#include <rolegate/rolegate.h>

#include "rgdconf.h"

/* Limits of a request path the matcher accepts. */
#define RGD_PATH_SEGMENTS_MAX 64
#define RGD_MATCH_BUF_SIZE    4096 /* decoded path and attribute values */

enum rgd_match_result {
	RGD_MATCH_OK,       /* m->route and m->attrs are set */
	RGD_MATCH_NONE,     /* no route matches: deny */
	RGD_MATCH_BAD_PATH, /* the path is malformed or ambiguous: deny */
};

/* The result of a match; a caller-owned buffer, nothing allocated. */
struct rgd_match {
	const struct rgd_route *route;
	rg_attr attrs[RGD_ROUTE_ATTRS_MAX];
	size_t nattrs;
	const char *why; /* for RGD_MATCH_BAD_PATH: a static message */
	char reason[RGD_NAME_MAX * 2 + 32]; /* rgd_route_missing()'s */
	/* Decoded segments, then attribute values; attrs point in here. */
	char buf[RGD_MATCH_BUF_SIZE];
};

/*
 * Finds the first route (config order) for method and uri (a path with an
 * optional query, as a client sent it).  The path is split at '/', each
 * segment percent-decoded and matched decoded, so that an encoded path
 * cannot slip past a route its decoded form would hit.  A path an upstream
 * might read as another path is refused (RGD_MATCH_BAD_PATH, m->why says
 * why): an empty segment ("//"); a segment of only dots and blanks (".",
 * "..", "...", ".. "); a segment that decodes to something holding '/',
 * '\', ';' (a path parameter), a control character, a percent-escape
 * (double encoding) or invalid UTF-8 (overlong forms); a '#' anywhere.
 */
enum rgd_match_result rgd_route_match(const struct rgd_conf *c,
                                      const char *method, const char *uri,
                                      struct rgd_match *m);

/*
 * Whether a request the route r matched lacks an attribute r requires
 * (require = ...): attrs are all of its attributes (the route's and those
 * from headers); an empty value is missing.  Returns NULL when none is
 * missing, else "route NAME requires attribute KEY" in m->reason.
 */
const char *rgd_route_missing(const struct rgd_route *r, const rg_attr *attrs,
                              size_t nattrs, struct rgd_match *m);

#endif /* ROLEGATE_TOOLS_ROUTES_H */
