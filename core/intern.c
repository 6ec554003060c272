/*
 * intern.c - interning of ids into dense integers.
 *
 * Open addressing with linear probing over a power-of-two table kept at most
 * half full, FNV-1a hashing.  Each slot holds the key pointer, the value and
 * the high half of the key's hash: a probe that would miss is settled by the
 * tag, within the slot's cache line, without touching the key string.
 * Tables are built while a context (or a snapshot) is built and only read
 * afterwards, so lookups need no lock and allocate nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define INTERN_MIN_CAP 16
#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull

static uint64_t hash_str(const char *s)
{
	uint64_t h = FNV_OFFSET;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

static uint32_t hash_tag(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

void rg_intern_init(rg_intern *t)
{
	memset(t, 0, sizeof(*t));
}

void rg_intern_free(rg_intern *t)
{
	free(t->slots);
	rg_intern_init(t);
}

static void insert_slot(struct rg_intern_slot *slots, size_t cap,
			const char *key, uint32_t val)
{
	uint64_t h = hash_str(key);
	size_t i = h & (cap - 1);

	while (slots[i].key)
		i = (i + 1) & (cap - 1);
	slots[i].key = key;
	slots[i].tag = hash_tag(h);
	slots[i].val = val;
}

static int grow(rg_intern *t)
{
	size_t ncap = t->cap ? t->cap * 2 : INTERN_MIN_CAP;
	struct rg_intern_slot *ns = calloc(ncap, sizeof(*ns));
	size_t i;

	if (!ns)
		return RG_ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			insert_slot(ns, ncap, t->slots[i].key,
				    t->slots[i].val);
	free(t->slots);
	t->slots = ns;
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
	insert_slot(t->slots, t->cap, key, val);
	t->count++;
	return RG_OK;
}

long rg_intern_get(const rg_intern *t, const char *key)
{
	uint32_t tag;
	uint64_t h;
	size_t i;

	if (!t->cap || !key)
		return -1;
	h = hash_str(key);
	tag = hash_tag(h);
	i = h & (t->cap - 1);
	while (t->slots[i].key) {
		if (t->slots[i].tag == tag && strcmp(t->slots[i].key, key) == 0)
			return (long)t->slots[i].val;
		i = (i + 1) & (t->cap - 1);
	}
	return -1;
}
