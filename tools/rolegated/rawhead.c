/*
 * rawhead.c - the request headers as they came over the wire, before any
 * of rolegated reads one.
 *
 * libmicrohttpd hands header names and values over as C strings, but keeps
 * every byte of a line, NULs included: "X-Rolegate-User: boss\0alice" reads
 * as "boss" through a C string, while a gateway or an upstream may have
 * read "boss\0alice" or refused it.  So every header of a request is
 * checked once, with its length, before anything looks at it: a name or
 * value whose length differs from its C string (a NUL inside), or that
 * holds a control character (below 0x20 except the horizontal tab, or
 * DEL), refuses the whole request.  No byte of such a request is decided
 * on: what the sender meant cannot be known.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rolegated.h"

#define CHAR_TAB   0x09
#define CHAR_SPACE 0x20
#define CHAR_DEL   0x7f
/* How much of a refused header's name the reason shows. */
#define NAME_SHOWN 64

/*
 * libmicrohttpd before 0.9.77 measures every name and value it read with
 * strlen(), so the lengths it gives are those of the C strings: a NUL
 * inside cannot be seen through its interface.  What can be seen is the
 * header block itself: MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE bytes from
 * the method, which it split in place (each separator and line end became
 * a NUL; nothing was moved).  Every other byte of that block belongs to
 * one of the strings it handed over (method, URL, version, query
 * arguments, header names and values) or is the white space it skipped;
 * so when the block holds more bytes that are neither NUL nor white space
 * than those strings do, bytes were hidden behind a NUL.  Later versions
 * parse with the lengths of what they read and refuse bare NULs.
 */
#define MHD_MEASURES_WITH_STRLEN (MHD_VERSION < 0x00097700)

struct scan {
	char *why;
	size_t len;
	int bad;
	/* The header block, when it is checked; else both NULL. */
	const char *lo, *hi;
	size_t visible;  /* non-blank bytes of the strings handed over */
	int outside;     /* a string not in the block */
	size_t arg_nuls; /* the NULs the query's split leaves (query_nuls()) */
};

/* The NULs libmicrohttpd leaves after a value: its CR LF, and the empty
 * line's too after the last one. */
#define NUL_END_OF_LINE  2
#define NUL_END_OF_BLOCK 4
/* The NULs it writes over the request line's two spaces. */
#define REQUEST_LINE_NULS 2

static int is_blank(unsigned char ch)
{
	return ch == ' ' || ch == CHAR_TAB;
}

/* Counts a string's non-blank bytes, and whether it lies in the block. */
static void account(struct scan *sc, const char *s, size_t len)
{
	size_t i;

	if (!s || !sc->lo)
		return;
	if (s < sc->lo || s > sc->hi || len > (size_t)(sc->hi - s)) {
		sc->outside = 1;
		return;
	}
	for (i = 0; i < len; i++)
		sc->visible += !is_blank((unsigned char)s[i]);
}

static int is_control(unsigned char ch)
{
	return (ch < CHAR_SPACE && ch != CHAR_TAB) || ch == CHAR_DEL;
}

/* Why s (len bytes) cannot be read as a C string, or NULL when it can. */
static const char *flaw(const char *s, size_t len)
{
	size_t i;

	if (!s)
		return NULL;
	if (strnlen(s, len) != len)
		return "holds a NUL byte";
	for (i = 0; i < len; i++)
		if (is_control((unsigned char)s[i]))
			return "holds a control character";
	return NULL;
}

/*
 * libmicrohttpd ends a header's value where it finds a NUL, and writes a
 * NUL of its own over the line's CR and LF: "a: boss\0\0\r\n" is handed
 * over as "boss", and the NULs the client sent are neither in the value
 * nor counted as hidden bytes (hidden_bytes() skips NULs).  After a value
 * there are then more NULs than the two of its line end (four when the
 * empty line ending the block follows).  A blank after a NUL and before
 * another shows one too, whatever their count: the value's own blanks
 * come before its line end ("x \t\r\n"), so in "x\0 \t\n" (a bare line
 * feed, one NUL of its own) the first NUL is the client's.  1 when the
 * value is followed by a NUL of the client's.
 */
static int nul_tail(const struct scan *sc, const char *value, size_t len)
{
	const char *p;
	size_t run = 0;
	int blank_after_nul = 0;

	if (!value || !sc->lo || value < sc->lo || value > sc->hi ||
	    len > (size_t)(sc->hi - value))
		return 0;
	/* The run of NULs and blanks after the value: "x\0\0\t\n" holds
	 * three NULs, two of them the client's. */
	for (p = value + len;
	     p < sc->hi && (*p == '\0' || is_blank((unsigned char)*p)); p++) {
		if (*p != '\0') {
			blank_after_nul |= run > 0;
			continue;
		}
		if (blank_after_nul)
			return 1;
		run++;
	}
	return run > (p == sc->hi ? NUL_END_OF_BLOCK : NUL_END_OF_LINE);
}

/* A header name for a message: printable ASCII, others as \xNN. */
static void show_name(const char *s, size_t len, char *out, size_t max)
{
	size_t i, o = 0;
	int n;

	for (i = 0; i < len && o + 1 < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch > CHAR_SPACE && ch < CHAR_DEL) {
			out[o++] = (char)ch;
			continue;
		}
		n = snprintf(out + o, max - o, "\\x%02x", ch);
		if (n < 0 || (size_t)n >= max - o)
			break;
		o += (size_t)n;
	}
	out[o] = '\0';
}

/*
 * Checks one name and value of the kind MHD hands over: a header, or a
 * query argument (a raw control character in the request line is as
 * meaningless there as in a header, and confuses logs the same way).
 */
static enum MHD_Result scan_one(void *cls, enum MHD_ValueKind kind,
                                const char *key, size_t key_size,
                                const char *value, size_t value_size)
{
	struct scan *sc = cls;
	const char *in_name = flaw(key, key_size);
	const char *in_value = flaw(value, value_size);
	char name[NAME_SHOWN * 4 + 1];

	account(sc, key, key_size);
	account(sc, value, value_size);
	/* Its '?' or '&', and its '=' when it has a value. */
	if (kind == MHD_GET_ARGUMENT_KIND)
		sc->arg_nuls += 1 + (value != NULL);
	if (!in_value && kind == MHD_HEADER_KIND &&
	    nul_tail(sc, value, value_size))
		in_value = "ends in a NUL byte";
	if (!in_name && !in_value)
		return MHD_YES;
	show_name(key, key_size, name, sizeof(name));
	snprintf(sc->why, sc->len, "%s %s: its %s %s",
	         kind == MHD_GET_ARGUMENT_KIND ? "query argument" : "header",
	         name, in_name ? "name" : "value",
	         in_name ? in_name : in_value);
	sc->bad = 1;
	return MHD_NO;
}

/* The header block as libmicrohttpd split it: sc->lo and sc->hi. */
static void find_block(struct scan *sc, struct MHD_Connection *c,
                       const char *method)
{
	const union MHD_ConnectionInfo *info;

	if (!MHD_MEASURES_WITH_STRLEN)
		return;
	info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (!info || !method)
		return;
	sc->lo = method;
	sc->hi = method + info->header_size;
}

/*
 * 1 when the request line holds more NULs than libmicrohttpd's split of it
 * leaves: one after the method, one before the version, and per query
 * argument one for its '?' or '&' and one for its '='.  A client's NULs
 * there hide no byte ("GET /readyz\0\0 HTTP/1.1" is read as /readyz) but
 * make a line other readers take otherwise.  An empty query ("/x?") or a
 * trailing '&' counts as a NUL too, and is refused with it: rare enough.
 */
static int line_nuls(const struct scan *sc, const char *method,
                     const char *version)
{
	size_t nuls = 0;
	const char *p;

	if (!version || version < sc->lo || version > sc->hi)
		return 0;
	for (p = method; p < version; p++)
		nuls += *p == '\0';
	return nuls > REQUEST_LINE_NULS + sc->arg_nuls;
}

/* 1 when the block holds bytes no string handed over covers. */
static int hidden_bytes(struct scan *sc, const char *url, const char *method,
                        const char *version)
{
	size_t block = 0;
	const char *p;

	if (!sc->lo)
		return 0;
	/*
	 * The URL follows the method and its one separator: NULs after the
	 * method ("GET\0\0 /x") hide no bytes but make a request line that
	 * other readers split otherwise.
	 */
	if (url >= sc->lo && url < sc->hi && url != method + strlen(method) + 1)
		return 1;
	if (line_nuls(sc, method, version))
		return 1;
	account(sc, method, strlen(method));
	account(sc, url, strlen(url));
	account(sc, version, strlen(version));
	for (p = sc->lo; p < sc->hi; p++)
		block += *p && !is_blank((unsigned char)*p);
	return sc->outside || block != sc->visible;
}

int rgd_headers_bad(struct MHD_Connection *c, const char *url,
                    const char *method, const char *version, char *why,
                    size_t len)
{
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	sc.why = why;
	sc.len = len;
	/* The method is in the request line too: "G\x01 /v1/authz" must not
	 * be decided as if it were a plain request. */
	if (method && flaw(method, strlen(method))) {
		snprintf(why, len, "the method holds a control character");
		return 1;
	}
	find_block(&sc, c, method);
	if (MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_one, &sc) <
	        0 ||
	    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, scan_one,
	                                &sc) < 0) {
		snprintf(why, len, "the request headers cannot be read");
		return 1;
	}
	if (sc.bad)
		return 1;
	if (hidden_bytes(&sc, url, method, version)) {
		snprintf(why, len,
		         "the request holds a NUL byte (or bytes that "
		         "cannot be read as sent)");
		return 1;
	}
	return 0;
}

enum MHD_Result rgd_refuse_headers(struct rgd *d, struct MHD_Connection *c,
                                   const char *url, const char *method,
                                   const char *version, int *refused)
{
	char why[RGD_REFUSAL_MAX];

	*refused = rgd_headers_bad(c, url, method, version, why, sizeof(why));
	if (!*refused)
		return MHD_YES;
	rgd_log(&d->log, RG_LOG_DEBUG, "request refused: %s", why);
	return rgd_respond_refusal(d, c, RGD_HTTP_BAD_REQUEST, why);
}
