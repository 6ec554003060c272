/*
 * intern.c - interning of ids into dense integers.
 *
 * Open addressing with linear probing over a power-of-two table kept at most
 * half full, FNV-1a hashing.  Tables are built while a context opens and only
 * read afterwards, so lookups need no lock and allocate nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define INTERN_MIN_CAP 16
#define FNV_OFFSET     14695981039346656037ull
#define FNV_PRIME      1099511628211ull

static uint64_t hash_str(const char *s)
{
	uint64_t h = FNV_OFFSET;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

void rg_intern_init(rg_intern *t)
{
	memset(t, 0, sizeof(*t));
}

void rg_intern_free(rg_intern *t)
{
	free(t->keys);
	free(t->vals);
	free(t->tags);
	rg_intern_init(t);
}

/* The high half of a hash, kept per slot: most probes that would miss are
 * settled without touching the key string (a cache miss of its own). */
static uint32_t hash_tag(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

static void insert_slot(const char **keys, uint32_t *vals, uint32_t *tags,
                        size_t cap, const char *key, uint32_t val)
{
	uint64_t h = hash_str(key);
	size_t i = h & (cap - 1);

	while (keys[i])
		i = (i + 1) & (cap - 1);
	keys[i] = key;
	vals[i] = val;
	tags[i] = hash_tag(h);
}

static int grow(rg_intern *t)
{
	size_t ncap = t->cap ? t->cap * 2 : INTERN_MIN_CAP;
	const char **nkeys = calloc(ncap, sizeof(*nkeys));
	uint32_t *nvals = calloc(ncap, sizeof(*nvals));
	uint32_t *ntags = calloc(ncap, sizeof(*ntags));
	size_t i;

	if (!nkeys || !nvals || !ntags) {
		free(nkeys);
		free(nvals);
		free(ntags);
		return RG_ENOMEM;
	}
	for (i = 0; i < t->cap; i++)
		if (t->keys[i])
			insert_slot(nkeys, nvals, ntags, ncap, t->keys[i],
			            t->vals[i]);
	free(t->keys);
	free(t->vals);
	free(t->tags);
	t->keys = nkeys;
	t->vals = nvals;
	t->tags = ntags;
	t->cap = ncap;
	return RG_OK;
}

int rg_intern_put(rg_intern *t, const char *key, uint32_t val)
{
	int rc;

	if (rg_intern_get(t, key) >= 0)
		return RG_EEXIST;
	/* Keep the load factor at or below one half: probes stay short. */
	if ((t->count + 1) * 2 > t->cap) {
		rc = grow(t);
		if (rc != RG_OK)
			return rc;
	}
	insert_slot(t->keys, t->vals, t->tags, t->cap, key, val);
	t->count++;
	return RG_OK;
}

long rg_intern_get(const rg_intern *t, const char *key)
{
	uint64_t h;
	size_t i;

	if (!t->cap || !key)
		return -1;
	h = hash_str(key);
	i = h & (t->cap - 1);
	while (t->keys[i]) {
		if (t->tags[i] == hash_tag(h) && strcmp(t->keys[i], key) == 0)
			return (long)t->vals[i];
		i = (i + 1) & (t->cap - 1);
	}
	return -1;
}
