/*
 * routes.c - matching a request to the routes of rgdconf.c: the first
 * [route NAME] (config order) whose method and path pattern a request's
 * method and URI hit, and the attributes its templates build.  See
 * routes.h.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rgdconf.h"
#include "routes.h"

/* A decoded path segment inside m->buf. */
struct segment {
	const char *s;
	size_t len;
};

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Why a path is refused: each names the upstreams that read it otherwise. */
static const char WHY_ESCAPE[] = "malformed percent-encoding in path";
static const char WHY_SEPARATOR[] =
    "encoded '/' or a '\\' in path (read as a separator by some upstreams)";
static const char WHY_PARAM[] =
    "';' in path (Tomcat, Jetty and Spring drop path parameters, so "
    "'..;' is '..' to them)";
static const char WHY_CONTROL[] =
    "control character in path (some upstreams cut at NUL or drop tabs and "
    "line breaks)";
static const char WHY_DOUBLE[] =
    "double percent-encoding in path (an upstream decoding twice reads "
    "another path)";
static const char WHY_UTF8[] =
    "invalid or overlong UTF-8 in path (old decoders read %c0%ae as '.')";
static const char WHY_DOTS[] =
    "'.' or '..' segment in path (also '...' or dots and blanks, which "
    "Windows servers trim to one)";
static const char WHY_FRAGMENT[] =
    "'#' in the URI (upstreams disagree whether it ends the path)";

/* A decoded byte no upstream may read differently from rolegated. */
static const char *byte_refused(unsigned char c)
{
	if (c == '/' || c == '\\')
		return WHY_SEPARATOR;
	if (c == ';')
		return WHY_PARAM;
	if (c < 0x20 || c == 0x7f)
		return WHY_CONTROL;
	return NULL;
}

/*
 * Why the decoded segment s (n bytes) is refused as a whole, or NULL: a
 * percent-escape left after decoding (double encoding), invalid UTF-8
 * (overlong forms included), or nothing but dots and blanks ('.', '..',
 * '...', '.. '), which Windows servers trim to a dot segment.
 */
static const char *segment_refused(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, len, dots = 0;

	for (i = 0; i < n; i += len) {
		len = rg_utf8_char(u + i, n - i);
		if (!len)
			return WHY_UTF8;
		if (s[i] == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 &&
		    hex_value(s[i + 2]) >= 0)
			return WHY_DOUBLE;
		dots += s[i] == '.' || s[i] == ' ';
	}
	if (n && dots == n)
		return WHY_DOTS;
	return NULL;
}

/*
 * Decodes one raw segment into out (room for len bytes: decoding never
 * grows).  Returns the decoded length, or -1 with *why set.
 */
static long decode_segment(const char *raw, size_t len, char *out,
                           const char **why)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = raw[i];

		if (c == '%') {
			int hi = i + 2 < len ? hex_value(raw[i + 1]) : -1;
			int lo = i + 2 < len ? hex_value(raw[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				*why = WHY_ESCAPE;
				return -1;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		*why = byte_refused((unsigned char)c);
		if (*why)
			return -1;
		out[n++] = c;
	}
	*why = segment_refused(out, n);
	return *why ? -1 : (long)n;
}

/*
 * Splits the path of uri into decoded segments in m->buf.  Returns the
 * number of segments, or -1 with m->why set; *used gets the bytes of m->buf
 * taken.
 */
static long split_path(const char *uri, struct rgd_match *m,
                       struct segment *segs, size_t *used)
{
	size_t end = strcspn(uri, "?");
	size_t pos = 0, n = 0;
	const char *p = uri;

	/* A client never sends a fragment; one that arrives is a trick. */
	if (strchr(uri, '#')) {
		m->why = WHY_FRAGMENT;
		return -1;
	}
	if (end == 0 || uri[0] != '/') {
		m->why = "the path does not start with '/'";
		return -1;
	}
	if (end >= sizeof(m->buf)) {
		m->why = "path too long";
		return -1;
	}
	/* "/" alone has no segment; a trailing "/" is an empty last one. */
	if (end == 1)
		p = uri + end;
	while (p < uri + end) {
		const char *seg = p + 1;
		size_t len = 0;
		long dec;

		while (seg + len < uri + end && seg[len] != '/')
			len++;
		if (len == 0 && seg < uri + end) {
			m->why = "empty segment ('//') in path";
			return -1;
		}
		if (n == RGD_PATH_SEGMENTS_MAX) {
			m->why = "too many segments in path";
			return -1;
		}
		dec = decode_segment(seg, len, m->buf + pos, &m->why);
		if (dec < 0)
			return -1;
		segs[n].s = m->buf + pos;
		segs[n].len = (size_t)dec;
		pos += (size_t)dec;
		n++;
		p = seg + len;
	}
	*used = pos;
	return (long)n;
}

static int method_matches(const struct rgd_route *r, const char *method)
{
	size_t i;

	if (!r->nmethods)
		return 1;
	for (i = 0; method && i < r->nmethods; i++)
		if (strcmp(r->methods[i], method) == 0)
			return 1;
	return 0;
}

static int route_matches(const struct rgd_route *r, const struct segment *segs,
                         size_t n)
{
	size_t i;

	if (n < r->nsegs || (n > r->nsegs && !r->rest))
		return 0;
	for (i = 0; i < r->nsegs; i++) {
		const struct rgd_seg *p = &r->segs[i];

		if (p->kind == RGD_SEG_CAPTURE) {
			if (segs[i].len == 0)
				return 0;
			continue;
		}
		if (strlen(p->text) != segs[i].len ||
		    memcmp(p->text, segs[i].s, segs[i].len) != 0)
			return 0;
	}
	return 1;
}

/* Expands a template into m->buf at *pos; -1 when it does not fit. */
static int expand(const struct rgd_route *r, const char *tmpl,
                  const struct segment *segs, struct rgd_match *m, size_t *pos)
{
	const char *p = tmpl;
	char *out = m->buf + *pos;
	size_t room = sizeof(m->buf) - *pos, n = 0;

	while (*p) {
		const char *src = p;
		size_t len = 1;

		if (*p == '{') {
			const char *close = strchr(p, '}');
			long i = close ? rgd_capture_index(
			                     r, p + 1, (size_t)(close - p - 1))
			               : -1;

			if (i < 0)
				return -1;
			src = segs[i].s;
			len = segs[i].len;
			p = close + 1;
		} else {
			p++;
		}
		if (n + len >= room)
			return -1;
		memcpy(out + n, src, len);
		n += len;
	}
	out[n] = '\0';
	*pos += n + 1;
	return 0;
}

enum rgd_match_result rgd_route_match(const struct rgd_conf *c,
                                      const char *method, const char *uri,
                                      struct rgd_match *m)
{
	struct segment segs[RGD_PATH_SEGMENTS_MAX];
	size_t i, pos = 0;
	long n;

	m->route = NULL;
	m->nattrs = 0;
	m->why = NULL;
	n = split_path(uri ? uri : "", m, segs, &pos);
	if (n < 0)
		return RGD_MATCH_BAD_PATH;
	for (i = 0; i < c->nroutes; i++) {
		const struct rgd_route *r = &c->routes[i];
		size_t a;

		if (r->broken || !r->path || !r->service || !r->action ||
		    !method_matches(r, method) ||
		    !route_matches(r, segs, (size_t)n))
			continue;
		m->route = r;
		for (a = 0; a < r->nattrs; a++) {
			m->attrs[a].key = r->attrs[a].key;
			m->attrs[a].value = m->buf + pos;
			if (expand(r, r->attrs[a].tmpl, segs, m, &pos) < 0) {
				m->route = NULL;
				m->why = "path too long";
				return RGD_MATCH_BAD_PATH;
			}
		}
		m->nattrs = r->nattrs;
		return RGD_MATCH_OK;
	}
	return RGD_MATCH_NONE;
}

const char *rgd_route_missing(const struct rgd_route *r, const rg_attr *attrs,
                              size_t nattrs, struct rgd_match *m)
{
	size_t i, j;

	for (i = 0; i < r->nrequire; i++) {
		for (j = 0; j < nattrs; j++)
			if (attrs[j].key && attrs[j].value && *attrs[j].value &&
			    strcmp(attrs[j].key, r->require[i]) == 0)
				break;
		if (j == nattrs) {
			snprintf(m->reason, sizeof(m->reason),
			         "route %s requires attribute %s", r->name,
			         r->require[i]);
			return m->reason;
		}
	}
	return NULL;
}
