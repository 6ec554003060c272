/*
 * rg_classes.h - role-set classes: the distinct role sets of a directory's
 * users, each numbered once.  A tenant of tens of thousands of users holds
 * a few dozen sets, so a plugin's view_prepare() works out per class what
 * would otherwise be worked out per user (Dynamics 365's answers,
 * Rocket.Chat's department rules).
 *
 * Private, static inline and never installed, like rg_prim.h: each plugin
 * compiles its own copy from this one text, and plugin.h stays as it is.
 */
#ifndef RG_PRIVATE_CLASSES_H
#define RG_PRIVATE_CLASSES_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rolegate/plugin.h>

/* The fewest slots of the lookup table. */
#define RG_CLASSES_SLOTS_MIN 16

struct rg_classes {
	rg_roleset *sets; /* n sets, numbered in the order first seen */
	size_t n, max;
	uint32_t *slots; /* open addressing: 0 empty, else class + 1 */
	size_t mask;
};

static inline uint64_t rg_classes_hash(const rg_roleset *r)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the words */
	size_t w;

	for (w = 0; w < RG_MAX_ROLES / RG_BITSET_WORD_BITS; w++)
		h = (h ^ r->w[w]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/*
 * Makes room for at most max classes (max <= UINT32_MAX - 1), for a table
 * of nusers lookups: the slots keep the load at most 1/2.  RG_OK or
 * RG_ENOMEM (c then holds nothing to free).
 */
static inline int rg_classes_init(struct rg_classes *c, size_t nusers,
                                  size_t max)
{
	size_t nslots = RG_CLASSES_SLOTS_MIN;

	memset(c, 0, sizeof(*c));
	if (max > UINT32_MAX - 1)
		max = UINT32_MAX - 1;
	if (max > nusers)
		max = nusers;
	while (nslots < 2 * max)
		nslots *= 2;
	c->sets = malloc((max ? max : 1) * sizeof(*c->sets));
	c->slots = calloc(nslots, sizeof(*c->slots));
	if (!c->sets || !c->slots) {
		free(c->sets);
		free(c->slots);
		memset(c, 0, sizeof(*c));
		return RG_ENOMEM;
	}
	c->max = max;
	c->mask = nslots - 1;
	return RG_OK;
}

/*
 * The class of roles into *out, added when new (*fresh 1 then, else 0).
 * RG_ELIMIT when it is new and max classes are kept.
 */
static inline int rg_class_of(struct rg_classes *c, const rg_roleset *roles,
                              uint32_t *out, int *fresh)
{
	size_t i;

	*fresh = 0;
	for (i = (size_t)rg_classes_hash(roles) & c->mask; c->slots[i];
	     i = (i + 1) & c->mask) {
		if (memcmp(&c->sets[c->slots[i] - 1], roles, sizeof(*roles)) ==
		    0) {
			*out = c->slots[i] - 1;
			return RG_OK;
		}
	}
	if (c->n >= c->max)
		return RG_ELIMIT;
	c->sets[c->n] = *roles;
	c->slots[i] = (uint32_t)++c->n;
	*out = c->slots[i] - 1;
	*fresh = 1;
	return RG_OK;
}

/* Frees the lookup table only: the n sets stay, the caller's to free(). */
static inline void rg_classes_done(struct rg_classes *c)
{
	free(c->slots);
	c->slots = NULL;
	c->mask = 0;
}

#endif /* RG_PRIVATE_CLASSES_H */
