/*
 * intern.c - interning of ids into dense integers.
 *
 * Open addressing with linear probing over a power-of-two table kept at most
 * half full, a word-at-a-time hash.  Each slot holds the key pointer, the value
 * and the high half of the key's hash: a probe that would miss is settled by
 * the tag, within the slot's cache line, without touching the key string.
 * A table of a few keys also has a word index, which rg_intern_get()
 * searches without hashing the key or calling strcmp(); so has a table of
 * names of any size (rg_intern_keep_words()).  Tables are built while
 * a context (or a snapshot) is built and only read afterwards, so lookups need
 * no lock and allocate nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define INTERN_MIN_CAP 16
/* 64 - log2(INTERN_MIN_CAP) */
#define INTERN_MIN_SHIFT 60
/* The bits of a slot's tag: the top half of its key's hash. */
#define TAG_BITS   32
#define WORD_BYTES 8

_Static_assert((1ull << (64 - INTERN_MIN_SHIFT)) == INTERN_MIN_CAP,
               "INTERN_MIN_SHIFT is 64 - log2(INTERN_MIN_CAP)");
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
 * check.  A key longer than a word ends with its last eight bytes, which
 * overlap the word before unless the length is a multiple of eight: one
 * load, where the tail's few bytes took a chain of tests (a check by user
 * hashed an 11-byte id in 38 instructions, now 28).  The length is mixed
 * in first, which keeps apart the strings the overlapping loads could
 * otherwise confuse.
 */
static inline uint64_t hash_mem(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * MIX_K2, w;
	size_t i;

	if (n <= WORD_BYTES)
		return mix(h ^ load_tail(s, n));
	for (i = 0; i + WORD_BYTES < n; i += WORD_BYTES) {
		memcpy(&w, s + i, WORD_BYTES);
		h = (h ^ w) * MIX_K1;
		h ^= h >> MIX_SHIFT;
	}
	memcpy(&w, s + n - WORD_BYTES, WORD_BYTES);
	return mix(h ^ w);
}

uint64_t rg_hash_str(const char *s)
{
	return hash_mem(s, strlen(s));
}

uint64_t rg_hash_mem(const char *s, size_t n)
{
	return hash_mem(s, n);
}

uint64_t rg_hash_mix(uint64_t h)
{
	return mix(h);
}

static uint32_t hash_tag(uint64_t h)
{
	return (uint32_t)(h >> TAG_BITS);
}

void rg_intern_init(rg_intern *t)
{
	memset(t, 0, sizeof(*t));
}

void rg_intern_keep_words(rg_intern *t)
{
	t->words_max = SIZE_MAX;
}

void rg_intern_free(rg_intern *t)
{
	RG_FREE_BIG(t->slots, t->cap);
	free(t->words);
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
 * Keys of n bytes, more than two words, equal in their first and last
 * words: equal when the bytes between are, compared here a word at a
 * time.  Both keys hold n bytes, so no load reads past either; the last
 * load overlaps the one before it.
 */
static int mid_equal(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	size_t i;

	for (i = WORD_BYTES; i + 2 * WORD_BYTES < n; i += WORD_BYTES) {
		memcpy(&x, a + i, WORD_BYTES);
		memcpy(&y, b + i, WORD_BYTES);
		if (x != y)
			return 0;
	}
	memcpy(&x, a + n - 2 * WORD_BYTES, WORD_BYTES);
	memcpy(&y, b + n - 2 * WORD_BYTES, WORD_BYTES);
	return x == y;
}

/*
 * Where the n bytes at key, whose first and last words these are, start
 * in a hashed word index (shift: word_shift() of its size): from the
 * words, with the second word of a key longer than two (ids such as
 * "region-03-team-01" differ there), and not from a hash of the whole key,
 * which would cost more than the comparison it saves (ids are short).
 * The words are rotated apart and multiplied once: the top bits of a
 * product depend on every bit of what was multiplied, and they are the
 * index.  A second multiplication mixed better and cost every lookup of
 * a role named in a request its instructions; a worse place costs only a
 * probe more, as the comparison tells keys apart.  Keys that share all
 * three words share a place; a word index holds at most
 * RG_INTERN_WORDS_MAX.
 */
static size_t word_pos(const char *key, size_t n, uint64_t head, uint64_t tail,
                       unsigned shift)
{
	uint64_t h, mid = 0;

	if (n > 2 * WORD_BYTES)
		memcpy(&mid, key + WORD_BYTES, WORD_BYTES);
	h = (head ^ (tail << 1 | tail >> 63) ^ (mid << 29 | mid >> 35) ^ n) *
	    MIX_K1;
	return (size_t)(h >> shift);
}

/* word_pos()'s shift for a hashed index of cap entries: log2(cap) bits. */
static unsigned word_shift(size_t cap)
{
	return 8 * sizeof(uint64_t) - (unsigned)__builtin_ctzll(cap);
}

/* Whether entry e holds the n bytes at key, whose words these are. */
static int word_is(const struct rg_intern_word *e, const char *key, size_t n,
                   uint64_t head, uint64_t tail)
{
	/* Up to two words, the words are the whole key. */
	return e->len == n && e->head == head && e->tail == tail &&
	       (n <= 2 * WORD_BYTES || mid_equal(e->key, key, n));
}

/*
 * A table of few keys (a context's services, a service's roles and
 * privileges) is searched by its word index: an entry holds a key's
 * length and its first and last words, which settle a comparison without
 * calling strcmp() (ids are short, and every check looks up its action and
 * service here, and each role that a request names).  Up to
 * RG_INTERN_SMALL_MAX keys, the index is a list in order of insertion
 * (wcap 0): comparing a handful of entries costs less than finding where
 * one would be; beyond, word_pos() places a key.
 */
static long words_get(const rg_intern *t, const char *key, size_t n)
{
	uint64_t head, tail;
	size_t i;

	head_tail(key, n, &head, &tail);
	if (!t->wcap) {
		for (i = 0; i < t->count; i++)
			if (word_is(&t->words[i], key, n, head, tail))
				return (long)t->words[i].val;
		return -1;
	}
	for (i = word_pos(key, n, head, tail, t->wshift); t->words[i].key;
	     i = (i + 1) & (t->wcap - 1))
		if (word_is(&t->words[i], key, n, head, tail))
			return (long)t->words[i].val;
	return -1;
}

/* Sets *e to the key of len bytes and its value. */
static void word_set(struct rg_intern_word *e, const char *key, uint32_t len,
                     uint32_t val)
{
	head_tail(key, len, &e->head, &e->tail);
	e->key = key;
	e->len = len;
	e->val = val;
}

/* Puts e into the hashed index words of cap entries. */
static void word_insert(struct rg_intern_word *words, size_t cap,
                        const struct rg_intern_word *e)
{
	size_t i = word_pos(e->key, e->len, e->head, e->tail, word_shift(cap));

	while (words[i].key)
		i = (i + 1) & (cap - 1);
	words[i] = *e;
}

/* Makes the index of t a hashed one of ncap entries (from a list, or a
 * smaller hashed index). */
static int words_rehash(rg_intern *t, size_t ncap)
{
	size_t n = t->wcap ? t->wcap : t->count, i;
	struct rg_intern_word *nw = calloc(ncap, sizeof(*nw));

	if (!nw)
		return RG_ENOMEM;
	for (i = 0; i < n; i++)
		if (t->words[i].key)
			word_insert(nw, ncap, &t->words[i]);
	free(t->words);
	t->words = nw;
	t->wcap = ncap;
	t->wshift = word_shift(ncap);
	return RG_OK;
}

/*
 * Keeps the word index of t as it is to be with key added (before): a
 * list while it is small, then hashed and at most half full, and dropped
 * once the table has more keys than RG_INTERN_WORDS_MAX (a directory's
 * users: the slots alone, which take half the memory).
 */
static int words_add(rg_intern *t, const char *key, size_t len, uint32_t val)
{
	size_t n = t->count + 1;
	size_t max = t->words_max ? t->words_max : RG_INTERN_WORDS_MAX;
	struct rg_intern_word e;
	int rc;

	if (n > max || len > UINT32_MAX) {
		free(t->words);
		t->words = NULL;
		t->wcap = 0;
		t->wshift = 0;
		return RG_OK;
	}
	if (!t->words && t->count)
		return RG_OK; /* dropped already: the slots */
	word_set(&e, key, (uint32_t)len, val);
	if (n <= RG_INTERN_SMALL_MAX) {
		if (!t->words) {
			t->words = calloc(RG_INTERN_SMALL_MAX, sizeof(e));
			if (!t->words)
				return RG_ENOMEM;
		}
		t->words[t->count] = e;
		return RG_OK;
	}
	if (n * 2 > t->wcap) {
		size_t ncap = t->wcap ? t->wcap * 2 : INTERN_MIN_CAP;

		while (ncap < n * 2)
			ncap *= 2; /* from a list of RG_INTERN_SMALL_MAX */
		rc = words_rehash(t, ncap);
		if (rc != RG_OK)
			return rc;
	}
	word_insert(t->words, t->wcap, &e);
	return RG_OK;
}

/* Where a key of hash h starts its probe: the top bits of the hash, so
 * that a slot's tag (the top half) alone places it again when the table
 * grows, without reading or hashing its key. */
static inline size_t home(const rg_intern *t, uint64_t h)
{
	return (size_t)(h >> t->shift);
}

static int grow(rg_intern *t)
{
	size_t ncap = t->cap ? t->cap * 2 : INTERN_MIN_CAP;
	struct rg_intern_slot *ns;
	unsigned nshift = t->cap ? t->shift - 1 : INTERN_MIN_SHIFT;
	size_t i, j;

	/* A large table (a directory's users) is probed at random by every
	 * check: rg_alloc_big() puts it on huge pages, where its slots cost no
	 * TLB miss (a small one is just aligned to a cache line).  A home
	 * past the tag's 32 bits could not be found from the tag. */
	if (nshift < TAG_BITS || ncap > SIZE_MAX / sizeof(*ns))
		return RG_ENOMEM;
	ns = rg_alloc_big(ncap * sizeof(*ns));
	if (!ns)
		return RG_ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->slots[i].key)
			continue;
		j = (size_t)(((uint64_t)t->slots[i].tag << TAG_BITS) >> nshift);
		while (ns[j].key)
			j = (j + 1) & (ncap - 1);
		ns[j] = t->slots[i];
	}
	RG_FREE_BIG(t->slots, t->cap);
	t->slots = ns;
	t->cap = ncap;
	t->shift = nshift;
	return RG_OK;
}

/*
 * Where the len bytes at key (no NUL among them), of hash h, are in a table
 * with slots: their slot, or else the first empty one of their probe, which
 * is where they go (no key is ever removed, so a key not met before it is
 * not in the table).  strncmp, not memcmp: it stops at the end of a shorter
 * slot key, and key holds no NUL, so equal bytes and a terminator after
 * them are the same string.
 */
static inline size_t probe_len(const rg_intern *t, const char *key, size_t len,
                               uint64_t h)
{
	uint32_t tag = hash_tag(h);
	size_t i;

	for (i = home(t, h); t->slots[i].key; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].tag == tag &&
		    strncmp(t->slots[i].key, key, len) == 0 &&
		    t->slots[i].key[len] == '\0')
			break;
	return i;
}

int rg_intern_put_hashed(rg_intern *t, const char *key, size_t len, uint64_t h,
                         uint32_t val)
{
	size_t i;
	int rc;

	/* Keep the load factor at or below one half: probes stay short.
	 * (A key already in grows the table a step early: harmless.) */
	if ((t->count + 1) * 2 > t->cap) {
		rc = grow(t);
		if (rc != RG_OK)
			return rc;
	}
	i = probe_len(t, key, len, h);
	if (t->slots[i].key)
		return RG_EEXIST;
	rc = words_add(t, key, len, val);
	if (rc != RG_OK)
		return rc;
	t->slots[i].key = key;
	t->slots[i].tag = hash_tag(h);
	t->slots[i].val = val;
	t->count++;
	return RG_OK;
}

int rg_intern_put(rg_intern *t, const char *key, uint32_t val)
{
	size_t len = strlen(key);

	return rg_intern_put_hashed(t, key, len, hash_mem(key, len), val);
}

/* The slot of key, whose hash is h, in a table with slots. */
static inline const struct rg_intern_slot *probe(const rg_intern *t,
                                                 const char *key, uint64_t h)
{
	uint32_t tag = hash_tag(h);
	size_t i = home(t, h);

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
	size_t i;

	if (!t->cap || !key)
		return NULL;
	i = probe_len(t, key, len, h);
	return t->slots[i].key ? &t->slots[i] : NULL;
}

/*
 * rg_intern_get_len() of a hashed table (no word index), in one frame: a
 * scoped check looks its request's unit or department up here
 * (rg_names_find()), and through rg_intern_slot_get_len() that lookup cost
 * more than the rest of the check's table work.  Out of line, so that the
 * word index's lookups (a check's action and service) keep their short
 * frame.
 */
static __attribute__((noinline)) long get_hashed(const rg_intern *t,
                                                 const char *key, size_t len)
{
	size_t i = probe_len(t, key, len, hash_mem(key, len));

	return t->slots[i].key ? (long)t->slots[i].val : -1;
}

long rg_intern_get_len(const rg_intern *t, const char *key, size_t len)
{
	if (!t->cap || !key)
		return -1;
	return t->words ? words_get(t, key, len) : get_hashed(t, key, len);
}

int rg_intern_rekey(rg_intern *dst, const rg_intern *src,
                    const char *(*key_of)(void *arg, uint32_t val), void *arg)
{
	size_t i, wn = src->wcap ? src->wcap : src->count;

	rg_intern_init(dst);
	if (!src->cap)
		return RG_OK;
	/* Equal strings hash alike: every key keeps its place. */
	dst->slots = rg_alloc_big(src->cap * sizeof(*dst->slots));
	/* The slots' capacity goes with them: rg_intern_free() needs it. */
	dst->cap = dst->slots ? src->cap : 0;
	if (src->words)
		dst->words = calloc(src->wcap ? src->wcap : RG_INTERN_SMALL_MAX,
		                    sizeof(*dst->words));
	if (!dst->slots || (src->words && !dst->words)) {
		rg_intern_free(dst);
		return RG_ENOMEM;
	}
	for (i = 0; i < src->cap; i++) {
		dst->slots[i] = src->slots[i];
		if (src->slots[i].key)
			dst->slots[i].key = key_of(arg, src->slots[i].val);
	}
	for (i = 0; src->words && i < wn; i++) {
		dst->words[i] = src->words[i];
		if (src->words[i].key)
			dst->words[i].key = key_of(arg, src->words[i].val);
	}
	dst->shift = src->shift;
	dst->count = src->count;
	dst->wcap = src->wcap;
	dst->wshift = src->wshift;
	dst->words_max = src->words_max;
	return RG_OK;
}

void rg_intern_prefetch(const rg_intern *t, uint64_t h)
{
	if (t->cap)
		__builtin_prefetch(&t->slots[home(t, h)]);
}

const struct rg_intern_slot *rg_intern_slot_peek(const rg_intern *t, uint64_t h)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = home(t, h); t->slots[i].key; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].tag == hash_tag(h))
			return &t->slots[i];
	return NULL;
}

long rg_intern_get(const rg_intern *t, const char *key)
{
	return key ? rg_intern_get_len(t, key, strlen(key)) : -1;
}
