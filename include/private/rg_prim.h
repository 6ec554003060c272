/*
 * rg_prim.h - small primitives every part of the tree shares: array
 * growth, array counts, UTF-8 lengths and boolean words.
 *
 * Private: never installed, never part of the ABI.  Everything here is
 * static inline, so the library, the programs and the plugins each compile
 * their own copy from this one text, and nothing is exported or linked:
 * plugin.h and core/librolegate.map stay as they are.
 */
#ifndef RG_PRIVATE_PRIM_H
#define RG_PRIVATE_PRIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/rolegate.h>

/* s without the blanks around it (cut in place): the core's config and
 * policy lines and the tools' map and token files alike. */
static inline char *rg_trim(char *s)
{
	char *end;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	end = s + strlen(s);
	while (end > s &&
	       (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
		*--end = '\0';
	return s;
}

/* The number of elements of an array (not of a pointer). */
#define RG_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* The capacity an empty array grows to first. */
#define RG_GROW_MIN 8

/*
 * Makes room for `need` elements of `elem` bytes in the array *p of *cap
 * elements: the capacity doubles (at least RG_GROW_MIN, at least need).
 * Returns RG_OK (*p and *cap updated when it grew) or RG_ENOMEM, when
 * realloc fails or the new size would not fit a size_t; then *p and *cap
 * are unchanged and *p still owns the old elements.
 */
/*
 * The capacity an array of cap elements of elem bytes grows to for need
 * (see rg_grow()), into *ncap: RG_OK, or RG_ENOMEM when its size would not
 * fit a size_t.
 */
static inline int rg_grow_capacity(size_t cap, size_t need, size_t elem,
                                   size_t *ncap)
{
	size_t n = cap ? cap : RG_GROW_MIN;

	while (n < need) {
		if (n > SIZE_MAX / 2)
			return RG_ENOMEM;
		n *= 2;
	}
	if (elem && n > SIZE_MAX / elem)
		return RG_ENOMEM;
	*ncap = n;
	return RG_OK;
}

static inline int rg_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return RG_OK;
	if (rg_grow_capacity(*cap, need, elem, &ncap) != RG_OK)
		return RG_ENOMEM;
	np = realloc(*p, ncap * elem);
	if (!np)
		return RG_ENOMEM;
	*p = np;
	*cap = ncap;
	return RG_OK;
}

/* rg_grow() for an array pointer `arr` of capacity `cap` (lvalues). */
#define RG_GROW(arr, cap, need)                                                \
	rg_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/* The bounds of UTF-8 (RFC 3629): what the lead byte says, and what the
 * code point may be. */
#define RG_UTF8_ASCII_END  0x80u
#define RG_UTF8_CONT_MASK  0xc0u
#define RG_UTF8_CONT       0x80u
#define RG_UTF8_CONT_BITS  0x3fu
#define RG_UTF8_CONT_SHIFT 6
#define RG_UTF8_2_FIRST    0xc2u /* 0xc0 and 0xc1 only start overlongs */
#define RG_UTF8_2_LAST     0xdfu
#define RG_UTF8_3_FIRST    0xe0u
#define RG_UTF8_3_LAST     0xefu
#define RG_UTF8_4_FIRST    0xf0u
#define RG_UTF8_4_LAST     0xf4u /* past it: beyond U+10FFFF */
#define RG_UTF8_2_BITS     0x1fu
#define RG_UTF8_3_BITS     0x0fu
#define RG_UTF8_4_BITS     0x07u
#define RG_UTF8_3_MIN      0x800u   /* less: an overlong three-byte form */
#define RG_UTF8_4_MIN      0x10000u /* less: an overlong four-byte form */
#define RG_UTF8_SURR_FIRST 0xd800u
#define RG_UTF8_SURR_LAST  0xdfffu
#define RG_UTF8_MAX        0x10ffffu

/*
 * The length in bytes (1 to 4) of the UTF-8 character at s, of which at
 * most avail bytes may be read, or 0 when none starts there: a stray
 * continuation byte, an overlong form, a UTF-16 surrogate, a code point
 * past U+10FFFF, or a character cut by avail.  It reads the bytes in
 * order and stops at the first that is not a continuation, so a NUL ends a
 * character and nothing past it is read: pass SIZE_MAX for a string.
 * avail 0 is 0.  The one decoder for the library, the programs and the
 * plugins, so that what one accepts as text the others accept too.
 */
static inline size_t rg_utf8_char(const unsigned char *s, size_t avail)
{
	size_t len, i;
	uint32_t cp;

	if (avail == 0)
		return 0;
	if (s[0] < RG_UTF8_ASCII_END)
		return 1;
	if (s[0] >= RG_UTF8_2_FIRST && s[0] <= RG_UTF8_2_LAST) {
		len = 2;
		cp = s[0] & RG_UTF8_2_BITS;
	} else if (s[0] >= RG_UTF8_3_FIRST && s[0] <= RG_UTF8_3_LAST) {
		len = 3;
		cp = s[0] & RG_UTF8_3_BITS;
	} else if (s[0] >= RG_UTF8_4_FIRST && s[0] <= RG_UTF8_4_LAST) {
		len = 4;
		cp = s[0] & RG_UTF8_4_BITS;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if (i >= avail || (s[i] & RG_UTF8_CONT_MASK) != RG_UTF8_CONT)
			return 0;
		cp = (cp << RG_UTF8_CONT_SHIFT) | (s[i] & RG_UTF8_CONT_BITS);
	}
	if ((len == 3 && cp < RG_UTF8_3_MIN) ||
	    (len == 4 && cp < RG_UTF8_4_MIN) ||
	    (cp >= RG_UTF8_SURR_FIRST && cp <= RG_UTF8_SURR_LAST) ||
	    cp > RG_UTF8_MAX)
		return 0;
	return len;
}

/* rg_utf8_char() of a NUL-terminated string. */
static inline size_t rg_utf8_len(const unsigned char *s)
{
	return rg_utf8_char(s, SIZE_MAX);
}

/*
 * The words every boolean setting and argument accepts: 1 for yes, true,
 * on and 1; 0 for no, false, off and 0; -1 for anything else, NULL
 * included (case matters: "Yes" is -1).  One list, so that a config
 * file, a plugin argument and a query string all agree.
 */
static inline int rg_bool_word(const char *s)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; s && i < RG_COUNTOF(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

#endif
