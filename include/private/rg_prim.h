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
static inline int rg_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return RG_OK;
	ncap = *cap ? *cap : RG_GROW_MIN;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return RG_ENOMEM;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
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

#endif
