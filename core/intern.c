/*
 * intern.c - interning of ids into dense integers.
 *
 * Open addressing with linear probing over a power-of-two table kept at most
 * half full, a word-at-a-time hash.  Each slot holds the key pointer, the value
 * and the high half of the key's hash: a probe that would miss is settled by
 * the tag, within the slot's cache line, without touching the key string.
 * A table of a few keys is also kept as a list, which rg_intern_get()
 * searches without hashing.  Tables are built while a context (or a snapshot)
 * is built and only read afterwards, so lookups need no lock and allocate
 * nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define INTERN_MIN_CAP 16
#define WORD_BYTES     8
/* Multipliers of MurmurHash3's 64-bit finalizer: good avalanche, cheap. */
#define MIX_K1    0xff51afd7ed558ccdull
#define MIX_K2    0xc4ceb9fe1a85ec53ull
#define MIX_SHIFT 33

static uint64_t mix(uint64_t h)
{
	h ^= h >> MIX_SHIFT;
	h *= MIX_K1;
	h ^= h >> MIX_SHIFT;
	h *= MIX_K2;
	h ^= h >> MIX_SHIFT;
	return h;
}

/* The little-endian value of n (<= 8) bytes at p, read in at most two
 * loads: no byte-by-byte loop, and nothing read past p + n. */
static uint64_t load_tail(const char *p, size_t n)
{
	uint32_t a, b;
	uint16_t c;

	if (n >= 4) {
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4); /* overlaps a when n < 8 */
		return (uint64_t)a | (uint64_t)b << 32;
	}
	if (n >= 2) {
		memcpy(&c, p, 2);
		return (uint64_t)c | (uint64_t)(unsigned char)p[n - 1] << 16;
	}
	return n ? (unsigned char)p[0] : 0;
}

/*
 * Eight bytes at a time, one multiply each, and one full mix at the end:
 * ids are short ("agent-11313", "conversation.view") and every check
 * hashes three of them, so a byte-wise hash (FNV) was a visible part of a
 * check.  The length is mixed in first, which keeps apart the strings the
 * overlapping tail loads could otherwise confuse.
 */
static inline uint64_t hash_mem(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * MIX_K2, w;
	size_t i = 0;

	for (; i + WORD_BYTES < n; i += WORD_BYTES) {
		memcpy(&w, s + i, WORD_BYTES);
		h = (h ^ w) * MIX_K1;
		h ^= h >> MIX_SHIFT;
	}
	return mix(h ^ load_tail(s + i, n - i));
}

uint64_t rg_hash_str(const char *s)
{
	return hash_mem(s, strlen(s));
}

uint64_t rg_hash_mem(const char *s, size_t n)
{
	return hash_mem(s, n);
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
	free(t->small);
	rg_intern_init(t);
}

/* The first and the last (up to) 8 bytes of the n at s, each as a word. */
static void head_tail(const char *s, size_t n, uint64_t *head, uint64_t *tail)
{
	if (n >= WORD_BYTES) {
		memcpy(head, s, WORD_BYTES);
		memcpy(tail, s + n - WORD_BYTES, WORD_BYTES);
	} else {
		*head = *tail = load_tail(s, n);
	}
}

/*
 * A small table (a context's few services, say) is searched without a
 * hash: a hash costs more than comparing a handful of lengths and words.
 * Equal lengths, first words and last words are equal keys up to 16 bytes;
 * a longer key also compares what lies between.
 */
static long small_get(const rg_intern *t, const char *key)
{
	size_t n = strlen(key), i;
	uint64_t head, tail;

	head_tail(key, n, &head, &tail);
	for (i = 0; i < t->count; i++) {
		const struct rg_intern_small *e = &t->small[i];

		if (e->len == n && e->head == head && e->tail == tail &&
		    (n <= 2 * WORD_BYTES ||
		     memcmp(e->key + WORD_BYTES, key + WORD_BYTES,
		            n - 2 * WORD_BYTES) == 0))
			return (long)e->val;
	}
	return -1;
}

/* Keeps the small list of t as it is to be with key added (before). */
static int small_add(rg_intern *t, const char *key, uint32_t val)
{
	struct rg_intern_small *e;

	if (t->count + 1 > RG_INTERN_SMALL_MAX) {
		free(t->small);
		t->small = NULL;
		return RG_OK;
	}
	if (!t->small) {
		if (t->count)
			return RG_OK; /* not kept from the start: the slots */
		t->small = calloc(RG_INTERN_SMALL_MAX, sizeof(*t->small));
		if (!t->small)
			return RG_ENOMEM;
	}
	e = &t->small[t->count];
	e->key = key;
	e->len = (uint32_t)strlen(key);
	e->val = val;
	head_tail(key, e->len, &e->head, &e->tail);
	return RG_OK;
}

static void insert_slot(struct rg_intern_slot *slots, size_t cap,
                        const char *key, uint32_t val)
{
	uint64_t h = rg_hash_str(key);
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
	struct rg_intern_slot *ns;
	size_t i;

	/* A large table (a directory's users) is probed at random by every
	 * check: rg_alloc_big() puts it on huge pages, where its slots cost no
	 * TLB miss (a small one is just aligned to a cache line). */
	if (ncap > SIZE_MAX / sizeof(*ns))
		return RG_ENOMEM;
	ns = rg_alloc_big(ncap * sizeof(*ns));
	if (!ns)
		return RG_ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			insert_slot(ns, ncap, t->slots[i].key, t->slots[i].val);
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
	rc = small_add(t, key, val);
	if (rc != RG_OK)
		return rc;
	insert_slot(t->slots, t->cap, key, val);
	t->count++;
	return RG_OK;
}

/* The slot of key, whose hash is h, in a table with slots. */
static inline const struct rg_intern_slot *probe(const rg_intern *t,
                                                 const char *key, uint64_t h)
{
	uint32_t tag = hash_tag(h);
	size_t i = h & (t->cap - 1);

	while (t->slots[i].key) {
		if (t->slots[i].tag == tag && strcmp(t->slots[i].key, key) == 0)
			return &t->slots[i];
		i = (i + 1) & (t->cap - 1);
	}
	return NULL;
}

const struct rg_intern_slot *rg_intern_slot_get(const rg_intern *t,
                                                const char *key, uint64_t h)
{
	return t->cap && key ? probe(t, key, h) : NULL;
}

const struct rg_intern_slot *rg_intern_slot_get_len(const rg_intern *t,
                                                    const char *key, size_t len,
                                                    uint64_t h)
{
	uint32_t tag = hash_tag(h);
	size_t i;

	if (!t->cap || !key)
		return NULL;
	/* strncmp, not memcmp: it stops at the end of a shorter slot key,
	 * and key holds no NUL (the caller's promise), so equal bytes and a
	 * terminator after them are the same string. */
	for (i = h & (t->cap - 1); t->slots[i].key; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].tag == tag &&
		    strncmp(t->slots[i].key, key, len) == 0 &&
		    t->slots[i].key[len] == '\0')
			return &t->slots[i];
	return NULL;
}

long rg_intern_get_len(const rg_intern *t, const char *key, size_t len,
                       uint64_t h)
{
	const struct rg_intern_slot *slot =
	    rg_intern_slot_get_len(t, key, len, h);

	return slot ? (long)slot->val : -1;
}

void rg_intern_prefetch(const rg_intern *t, uint64_t h)
{
	if (t->cap)
		__builtin_prefetch(&t->slots[h & (t->cap - 1)]);
}

const struct rg_intern_slot *rg_intern_slot_peek(const rg_intern *t, uint64_t h)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = h & (t->cap - 1); t->slots[i].key; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].tag == hash_tag(h))
			return &t->slots[i];
	return NULL;
}

long rg_intern_get(const rg_intern *t, const char *key)
{
	const struct rg_intern_slot *slot;

	if (!t->cap || !key)
		return -1;
	if (t->small)
		return small_get(t, key);
	/* Hashed in place: every check looks its action up here. */
	slot = probe(t, key, hash_mem(key, strlen(key)));
	return slot ? (long)slot->val : -1;
}
