/*
 * util.c - small string and path helpers used across the core.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

char *rg_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *rg_strndup(const char *s, size_t n)
{
	return strndup(s, n);
}

char *rg_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

size_t rg_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n > 0) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return len;
}

int rg_ptr_push(void ***arr, size_t *n, size_t *cap, void *p)
{
	if (RG_GROW(*arr, *cap, *n + 1) != RG_OK)
		return RG_ENOMEM;
	(*arr)[(*n)++] = p;
	return RG_OK;
}

char *rg_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return rg_strdup(".");
	if (slash == path)
		return rg_strdup("/");
	return rg_strndup(path, (size_t)(slash - path));
}

char *rg_path_join(const char *dir, const char *path)
{
	if (path[0] == '/' || !dir)
		return rg_strdup(path);
	return rg_asprintf("%s/%s", dir, path);
}

#define PG_URI       "postgresql://"
#define PG_URI_SHORT "postgres://"
#define PG_PASSWORD  "password"
#define REDACTED     "***"

int rg_location_is_pg(const char *loc)
{
	size_t n;

	if (!loc)
		return 0;
	if (strncmp(loc, PG_URI, strlen(PG_URI)) == 0 ||
	    strncmp(loc, PG_URI_SHORT, strlen(PG_URI_SHORT)) == 0)
		return 1;
	for (n = 0; isalnum((unsigned char)loc[n]) || loc[n] == '_'; n++)
		;
	while (n > 0 && (loc[n] == ' ' || loc[n] == '\t'))
		n++;
	return n > 0 && loc[n] == '=';
}

/* Appends n bytes of s to the buffer at *w (room is the caller's). */
static void emit(char **w, const char *s, size_t n)
{
	memcpy(*w, s, n);
	*w += n;
}

/*
 * The end of the value starting at v in a key=value string: a quoted one
 * ends after its closing quote (backslash escapes), a bare one at a blank.
 */
static const char *kv_value_end(const char *v)
{
	if (*v != '\'')
		return v + strcspn(v, " \t");
	for (v++; *v && *v != '\''; v++)
		if (*v == '\\' && v[1])
			v++;
	return *v ? v + 1 : v;
}

/* A URI's userinfo password (user:password@host) redacted into *w;
 * returns where copying goes on. */
static const char *uri_userinfo(const char *loc, char **w)
{
	const char *start = strstr(loc, "://") + strlen("://");
	size_t auth = strcspn(start, "/?");
	const char *at = memchr(start, '@', auth), *colon;

	emit(w, loc, (size_t)(start - loc));
	if (!at)
		return start;
	colon = memchr(start, ':', (size_t)(at - start));
	if (!colon)
		return start;
	emit(w, start, (size_t)(colon + 1 - start));
	emit(w, REDACTED, strlen(REDACTED));
	return at;
}

char *rg_location_redact(const char *loc)
{
	size_t plen = strlen(PG_PASSWORD);
	const char *r;
	char *out, *w;
	int uri;

	if (!rg_location_is_pg(loc))
		return rg_strdup(loc);
	/* A redacted text is never longer than the original plus the
	 * marks that replace empty passwords. */
	out = malloc(strlen(loc) * 2 + sizeof(REDACTED) * 4 + 1);
	if (!out)
		return NULL;
	w = out;
	uri = strstr(loc, "://") != NULL;
	r = uri ? uri_userinfo(loc, &w) : loc;
	while (*r) {
		/* password= at a boundary: the start, a blank, ? or &. */
		int boundary = r == loc || strchr(" \t?&", r[-1]);
		const char *eq = r + plen;

		if (boundary && strncmp(r, PG_PASSWORD, plen) == 0) {
			while (*eq == ' ' || *eq == '\t')
				eq++;
			if (*eq == '=') {
				const char *v = eq + 1, *end;
				while (!uri && (*v == ' ' || *v == '\t'))
					v++;
				end = uri ? v + strcspn(v, "&#")
				          : kv_value_end(v);
				emit(&w, r, (size_t)(v - r));
				emit(&w, REDACTED, strlen(REDACTED));
				r = end;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	return out;
}

int rg_id_valid(const char *id)
{
	size_t n = 0;

	if (!id || !*id)
		return 0;
	for (; id[n]; n++) {
		unsigned char c = (unsigned char)id[n];
		if (!isalnum(c) && !strchr("._:-", c))
			return 0;
	}
	return n < RG_ID_MAX;
}

int rg_name_valid(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (!isalnum(c) && c != '-' && c != '_')
			return 0;
	}
	return n <= max;
}

int rg_split_words(char *s, char **words, int max)
{
	int n = 0;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		words[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

/* Where rg_grow_big() starts to map: sanitizer builds keep the arrays on
 * malloc(), where AddressSanitizer sees a write past their end. */
#ifdef RG_SANITIZED
#define MAP_FROM SIZE_MAX
#else
#define MAP_FROM RG_MAP_BYTES
#endif

/* n rounded up to a multiple of unit, a power of two (0 on overflow). */
static size_t round_to(size_t n, size_t unit)
{
	return n > SIZE_MAX - (unit - 1) ? 0 : (n + unit - 1) & ~(unit - 1);
}

/* The bytes mapped for an array of bytes that rg_grow_big() maps: whole
 * huge pages from a huge page on, else whole pages. */
static size_t map_len(size_t bytes)
{
	return round_to(bytes,
	                bytes >= RG_HUGE_BYTES ? RG_HUGE_BYTES : RG_PAGE_BYTES);
}

/*
 * map_len(bytes) of new anonymous memory; from a huge page on, aligned to
 * one and advised onto huge pages.  Mapped rather than from malloc(), so
 * that the copy a grown array leaves behind goes back to the system at
 * once: glibc raises its mmap threshold to the largest mapped block freed
 * so far and serves smaller ones from its heap, where the pages of freed
 * copies stay resident (5 MiB more of a 50,000-agent load, measured).
 */
static void *big_map(size_t bytes)
{
	size_t len = map_len(bytes), head;
	char *p, *at;

	if (!len || (bytes >= RG_HUGE_BYTES && len > SIZE_MAX - RG_HUGE_BYTES))
		return NULL;
	/* Faulted in whole by the one call: cheaper than page by page, and
	 * at most twice what a grown array uses. */
	if (bytes < RG_HUGE_BYTES) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	/* A huge page more than needed, then the ends trimmed: aligned. */
	p = mmap(NULL, len + RG_HUGE_BYTES, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	at = (char *)(uintptr_t)round_to((uintptr_t)p, RG_HUGE_BYTES);
	head = (size_t)(at - p);
	if (head)
		(void)munmap(p, head);
	(void)munmap(at + len, RG_HUGE_BYTES - head);
	/* Advice only: without huge pages the array still works. */
	(void)madvise(at, len, MADV_HUGEPAGE);
	return at;
}

void rg_free_big(void *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes < MAP_FROM)
		free(p);
	else
		(void)munmap(p, map_len(bytes));
}

/*
 * Below RG_MAP_BYTES (in a sanitizer build, always), rg_grow().  From
 * there each larger capacity is new mapped memory (big_map()), the
 * elements copied over, and from a huge page on, on huge pages.  realloc()
 * gave the users of a 50,000-agent load and their scope rules thousands of
 * 4 KiB pages, each faulted in on its first write: in a virtual machine,
 * where a fault costs microseconds, a quarter of the load.  On huge pages
 * the same bytes are a few faults.
 */
int rg_grow_big(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	/* Room already, a size that does not fit, or a small array: as
	 * rg_grow() does it. */
	if (need <= *cap ||
	    rg_grow_capacity(*cap, need, elem, &ncap) != RG_OK ||
	    ncap * elem < MAP_FROM)
		return rg_grow(p, cap, need, elem);
	np = big_map(ncap * elem);
	if (!np)
		return RG_ENOMEM;
	if (*cap)
		memcpy(np, *p, *cap * elem);
	rg_free_big(*p, *cap * elem);
	*p = np;
	*cap = ncap;
	return RG_OK;
}

void *rg_alloc_big_raw(size_t bytes)
{
	size_t align = bytes >= RG_HUGE_BYTES ? RG_HUGE_BYTES : RG_LINE_BYTES;
	void *p = NULL;

	if (bytes >= MAP_FROM)
		return big_map(bytes);
	/* A sanitizer build's, or a small one. */
	if (posix_memalign(&p, align, bytes ? bytes : 1) != 0)
		return NULL;
	/* Advice only: without huge pages the table still works. */
	if (align == RG_HUGE_BYTES)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

void *rg_alloc_big(size_t bytes)
{
	void *p = rg_alloc_big_raw(bytes);

	/* Mapped memory comes zeroed: no page is touched before its use. */
	if (p && bytes < MAP_FROM)
		memset(p, 0, bytes);
	return p;
}

void *rg_calloc_big(size_t n, size_t elem)
{
	if (elem && n > SIZE_MAX / elem)
		return NULL;
	return rg_alloc_big(n * elem);
}

/* U+FFFD, the replacement character, in UTF-8. */
#define REPLACEMENT     "\xef\xbf\xbd"
#define REPLACEMENT_LEN (sizeof(REPLACEMENT) - 1)
/* The two bytes of C1 controls (U+0080..U+009F) start with this one. */
#define C1_LEAD 0xc2
#define C1_LAST 0x9f
#define DEL     0x7f

/* 1 when the character of n bytes at p is one a terminal acts on. */
static int is_control(const unsigned char *p, size_t n)
{
	if (n == 1)
		return p[0] < 0x20 || p[0] == DEL;
	return n == 2 && p[0] == C1_LEAD && p[1] <= C1_LAST;
}

int rg_text_valid(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s || !*s)
		return 0;
	for (; *p; p += n) {
		n = rg_utf8_len(p);
		if (!n || is_control(p, n))
			return 0;
	}
	return (size_t)(p - (const unsigned char *)s) < max;
}

/* Appends the n bytes at p to buf (of len) at *used when they fit whole;
 * counts them in *total either way.  Returns 0 once something did not fit,
 * so that the output is cut at a character, never inside one. */
static int put(char *buf, size_t len, size_t *used, size_t *total,
               const char *p, size_t n, int room)
{
	*total += n;
	if (!room || *used + n >= len)
		return 0;
	memcpy(buf + *used, p, n);
	*used += n;
	return 1;
}

size_t rg_escape(const char *s, unsigned flags, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t used = 0, total = 0;
	int room = len > 0;

	while (*p) {
		size_t n = rg_utf8_len(p);
		char hex[sizeof("\\xff")];
		unsigned i;

		if (n && ((flags & RG_ESCAPE_UTF8) || !is_control(p, n))) {
			room = put(buf, len, &used, &total, (const char *)p, n,
			           room);
			p += n;
			continue;
		}
		if (!n && (flags & RG_ESCAPE_UTF8)) {
			room = put(buf, len, &used, &total, REPLACEMENT,
			           REPLACEMENT_LEN, room);
			p++;
			continue;
		}
		/* A control (each of its bytes) or a stray byte. */
		for (i = 0; i < (n ? n : 1); i++, p++) {
			snprintf(hex, sizeof(hex), "\\x%02x", *p);
			room = put(buf, len, &used, &total, hex, strlen(hex),
			           room);
		}
	}
	if (len > 0)
		buf[used] = '\0';
	return total;
}

char *rg_escape_dup(const char *s, unsigned flags)
{
	size_t len = rg_escape(s, flags, NULL, 0) + 1;
	char *out = malloc(len);

	if (out)
		rg_escape(s, flags, out, len);
	return out;
}

/* ---- rg_vformat ---------------------------------------------------------- */

/* Room for a 64-bit number in decimal, its sign included. */
#define FORMAT_DIGITS 24
#define DECIMAL       10

/* The text written so far; len counts what vsnprintf() would have written,
 * even past the end of the buffer. */
struct fmt_out {
	char *buf;
	size_t size;
	size_t len;
	/* rg_vformat_marks() only (else nmarks 0): the stand-ins, and where
	 * each one met was (nat of room for maxat). */
	const char *const *marks;
	size_t nmarks;
	struct rg_fmt_mark *at;
	size_t nat, maxat;
};

static void fmt_put(struct fmt_out *o, const char *s, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void fmt_number(struct fmt_out *o, unsigned long long mag, int neg)
{
	char digits[FORMAT_DIGITS];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + mag % DECIMAL);
		mag /= DECIMAL;
	} while (mag);
	if (neg)
		digits[--i] = '-';
	fmt_put(o, digits + i, sizeof(digits) - i);
}

static void fmt_signed(struct fmt_out *o, long long v)
{
	/* The magnitude in unsigned arithmetic: LLONG_MIN has no positive. */
	unsigned long long mag = (unsigned long long)v;

	fmt_number(o, v < 0 ? 0 - mag : mag, v < 0);
}

/* 1 when s is a stand-in of o: its place is kept, and nothing written.
 * -1 when it is one that cannot be kept (a precision, no room left). */
static int fmt_mark(struct fmt_out *o, const char *s, int prec)
{
	size_t k;

	for (k = 0; k < o->nmarks; k++)
		if (s == o->marks[k])
			break;
	if (k == o->nmarks)
		return 0;
	if (prec >= 0 || o->nat == o->maxat)
		return -1;
	o->at[o->nat].at = o->len;
	o->at[o->nat].kind = (unsigned)k;
	o->nat++;
	return 1;
}

/* Formats the conversion at *fmt (after its '%'); 0 when it is none of
 * ours and vsnprintf() must do the whole text. */
static inline __attribute__((always_inline)) int
fmt_conversion(struct fmt_out *o, const char **fmt, va_list *ap)
{
	int mark;

	const char *f = *fmt, *s;
	int prec = -1;

	if (f[0] == '.' && f[1] == '*') {
		prec = va_arg(*ap, int);
		f += 2;
		if (*f != 's')
			return 0;
	}
	switch (*f) {
	case '%':
		fmt_put(o, "%", 1);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		if (!s)
			return 0; /* glibc's "(null)" and its rules */
		mark = o->nmarks ? fmt_mark(o, s, prec) : 0;
		if (mark < 0)
			return 0;
		if (!mark)
			fmt_put(o, s,
			        prec < 0 ? strlen(s)
			                 : strnlen(s, (size_t)prec));
		break;
	case 'd':
		fmt_signed(o, va_arg(*ap, int));
		break;
	case 'u':
		fmt_number(o, va_arg(*ap, unsigned), 0);
		break;
	case 'l':
		if (f[1] == 'd')
			fmt_signed(o, va_arg(*ap, long));
		else if (f[1] == 'u')
			fmt_number(o, va_arg(*ap, unsigned long), 0);
		else
			return 0;
		f++;
		break;
	case 'z':
		if (f[1] != 'u')
			return 0;
		fmt_number(o, va_arg(*ap, size_t), 0);
		f++;
		break;
	default:
		return 0;
	}
	*fmt = f + 1;
	return 1;
}

/*
 * Formats fmt into o, its arguments read from *ap (terminated when it has
 * room); 0 at a conversion that is none of ours.  Inlined, with
 * fmt_conversion(), into each caller: rg_vformat() runs on most checks that
 * run a plugin, and its copy keeps o in registers and drops the stand-ins'
 * test (out of line, its reasons cost 5 % more).  A va_list by pointer: a
 * function given one by value is never inlined.
 */
static inline __attribute__((always_inline)) int
fmt_run(struct fmt_out *o, const char *fmt, va_list *ap)
{
	const char *f = fmt;

	while (*f) {
		const char *pct = strchr(f, '%');
		size_t n = pct ? (size_t)(pct - f) : strlen(f);

		fmt_put(o, f, n);
		if (!pct)
			break;
		f = pct + 1;
		if (!fmt_conversion(o, &f, ap))
			return 0;
	}
	if (o->size)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
	return 1;
}

int rg_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = {buf, size, 0, NULL, 0, NULL, 0, 0};
	va_list mine;
	int ok;

	va_copy(mine, ap);
	ok = fmt_run(&o, fmt, &mine);
	va_end(mine);
	if (!ok)
		return vsnprintf(buf, size, fmt, ap);
	/* vsnprintf() returns an int: so do we, for a text that fits one. */
	return o.len > (size_t)INT_MAX ? -1 : (int)o.len;
}

int rg_vformat_marks(char *buf, size_t size, const char *fmt, va_list ap,
                     const char *const *marks, size_t nmarks,
                     struct rg_fmt_mark *at, size_t *nat)
{
	struct fmt_out o = {buf, size, 0, marks, nmarks, at, 0, *nat};
	va_list mine;
	int ok;

	va_copy(mine, ap);
	ok = fmt_run(&o, fmt, &mine);
	va_end(mine);
	if (!ok || o.len > (size_t)INT_MAX)
		return -1;
	*nat = o.nat;
	return (int)o.len;
}

size_t rg_concat(char *buf, size_t size, const char *const *parts, size_t n)
{
	struct fmt_out o = {buf, size, 0, NULL, 0, NULL, 0, 0};
	size_t i;

	for (i = 0; i < n; i++) {
		/* What vsnprintf() prints for a NULL %s, as rg_vformat()
		 * would have it printed. */
		const char *s = parts[i] ? parts[i] : "(null)";

		fmt_put(&o, s, strlen(s));
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int rg_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rg_vformat(buf, size, fmt, ap);
	va_end(ap);
	return rc;
}
