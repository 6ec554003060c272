/*
 * buf.c - text buffers and JSON output.
 *
 * Answers and decision log lines are written straight into one buffer:
 * a heap buffer for an answer (handed to libmicrohttpd), or a fixed one
 * (a decision log cell).  Strings are escaped here; bytes that are not
 * valid UTF-8 (header values can hold anything) become U+FFFD, so that
 * every line is valid JSON.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rolegated.h"

#define BUF_MIN_CAP 256
#define REPLACEMENT "\\ufffd"

void rgd_buf_init(struct rgd_buf *b, char *fixed, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->first = 1;
	if (fixed) {
		b->p = fixed;
		b->cap = cap;
		b->fixed = 1;
		if (cap)
			fixed[0] = '\0';
	}
}

void rgd_buf_free(struct rgd_buf *b)
{
	if (!b->fixed)
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Room for n more bytes and a NUL; 0 when there is none. */
static int reserve(struct rgd_buf *b, size_t n)
{
	size_t need;

	if (b->failed)
		return 0;
	if (n > SIZE_MAX - 1 - b->len) {
		b->failed = 1;
		return 0;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 1;
	/* From BUF_MIN_CAP, where most answers fit whole. */
	if (need < BUF_MIN_CAP)
		need = BUF_MIN_CAP;
	if (b->fixed || RG_GROW(b->p, b->cap, need) != RG_OK) {
		b->failed = 1;
		return 0;
	}
	return 1;
}

void rgd_buf_put(struct rgd_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void rgd_buf_puts(struct rgd_buf *b, const char *s)
{
	rgd_buf_put(b, s, strlen(s));
}

void rgd_buf_printf(struct rgd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0,
	              fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (b->p && b->len + (size_t)n < b->cap) {
		b->len += (size_t)n;
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Before a value: the comma that separates it from the one before. */
static void separate(struct rgd_buf *b)
{
	uint32_t bit = 1u << (b->depth % RGD_JSON_DEPTH);

	if (b->after_key) {
		b->after_key = 0;
		return;
	}
	if (b->depth == 0)
		return;
	if (b->first & bit)
		b->first &= ~bit;
	else
		rgd_buf_put(b, ",", 1);
}

void rgd_json_open(struct rgd_buf *b, char bracket)
{
	separate(b);
	rgd_buf_put(b, &bracket, 1);
	b->depth++;
	b->first |= 1u << (b->depth % RGD_JSON_DEPTH);
}

void rgd_json_close(struct rgd_buf *b, char bracket)
{
	if (b->depth)
		b->depth--;
	rgd_buf_put(b, &bracket, 1);
}

/* The escaped form of the character at s into out; returns its length. */
static size_t escape_one(const unsigned char *s, size_t n, char out[8],
                         size_t *used)
{
	size_t len = rg_utf8_char(s, n);

	*used = len ? len : 1;
	if (!len) {
		memcpy(out, REPLACEMENT, sizeof(REPLACEMENT) - 1);
		return sizeof(REPLACEMENT) - 1;
	}
	if (len > 1) {
		memcpy(out, s, len);
		return len;
	}
	switch (s[0]) {
	case '"':
		memcpy(out, "\\\"", 2);
		return 2;
	case '\\':
		memcpy(out, "\\\\", 2);
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	default:
		break;
	}
	if (s[0] < 0x20 || s[0] == 0x7f) {
		snprintf(out, 8, "\\u%04x", s[0]);
		return 6;
	}
	out[0] = (char)s[0];
	return 1;
}

void rgd_json_strn(struct rgd_buf *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, written = 0;

	separate(b);
	if (!s) {
		rgd_buf_put(b, "null", 4);
		return;
	}
	n = strlen(s);
	rgd_buf_put(b, "\"", 1);
	while (n) {
		char out[8];
		size_t used, len = escape_one(p, n, out, &used);

		/* Plain runs are copied at once: the common case. */
		if (len == 1 && used == 1) {
			size_t run = 1;

			while (run < n && p[run] >= 0x20 && p[run] < 0x7f &&
			       p[run] != '"' && p[run] != '\\')
				run++;
			if (written + run > max)
				run = max - written;
			if (!run)
				break;
			rgd_buf_put(b, (const char *)p, run);
			written += run;
			p += run;
			n -= run;
			continue;
		}
		if (written + len > max)
			break;
		rgd_buf_put(b, out, len);
		written += len;
		p += used;
		n -= used;
	}
	rgd_buf_put(b, "\"", 1);
}

void rgd_json_str(struct rgd_buf *b, const char *s)
{
	rgd_json_strn(b, s, (size_t)-1);
}

void rgd_json_opt(struct rgd_buf *b, const char *s)
{
	rgd_json_str(b, s && *s ? s : NULL);
}

void rgd_json_key(struct rgd_buf *b, const char *key)
{
	rgd_json_str(b, key);
	rgd_buf_put(b, ":", 1);
	b->after_key = 1;
}

void rgd_json_int(struct rgd_buf *b, long long v)
{
	separate(b);
	rgd_buf_printf(b, "%lld", v);
}
