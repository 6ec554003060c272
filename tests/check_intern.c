/*
 * check_intern.c - the id tables of the core (core/intern.c), built into
 * this test from their source: they are internal to the library.
 *
 * A table of up to RG_INTERN_WORDS_MAX keys is searched by an index of
 * lengths and first and last words (a list up to RG_INTERN_SMALL_MAX,
 * then hashed by them), a larger one by a hash of the whole key; both must
 * find exactly the keys put, whatever they share.  The keys here are made
 * to share as much as the index compares: one length, the first 8 bytes,
 * the last 8 bytes, everything but one byte in the middle.  The name tables
 * plugins get (rg_names_*(), plugin.h, through the library) are these
 * tables over copies of their own, which keep the word index at any size
 * (rg_intern_keep_words()): the same keys, the same answers.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <rolegate/plugin.h>
#include "testutil.h"

#define KEY_MAX 48  /* bytes of the longest key, terminator included */
#define NKEYS   220 /* keys of the universe below */
/* Keys enough that the slots fill a huge page (allocated apart). */
#define BIG_KEYS (RG_HUGE_BYTES / sizeof(struct rg_intern_slot) / 2 + 1)
#define BIG_KEY  16 /* bytes of "u-" and a number, terminated */

/* Every key of the tests, and strings no table holds (the misses). */
static char keys[NKEYS][KEY_MAX];
static size_t nkeys;

static void add_key(const char *fmt, size_t len, char fill, size_t at,
                    char mark)
{
	char *k = keys[nkeys];

	ck_assert_uint_lt(nkeys, NKEYS);
	ck_assert_uint_lt(len, KEY_MAX);
	memset(k, fill, len);
	k[len] = '\0';
	if (fmt)
		memcpy(k, fmt, strlen(fmt) < len ? strlen(fmt) : len);
	if (at < len)
		k[at] = mark;
	nkeys++;
}

/*
 * The universe: for every length from 0 to 40, a key of that length;
 * keys that differ in one byte only, at the start, in the middle (beyond
 * both words when longer than 16, and there just after the first word and
 * just before the last) and at the end; and a prefix of each (which is
 * another length).
 */
static void make_keys(void)
{
	size_t len;

	nkeys = 0;
	for (len = 0; len <= 40; len++) {
		add_key("dynamics365", len, 'x', KEY_MAX, 0);
		if (len >= 1)
			add_key("dynamics365", len, 'x', 0, 'D');
		if (len >= 3)
			add_key("dynamics365", len, 'x', len / 2, '#');
		if (len >= 2)
			add_key("dynamics365", len, 'x', len - 1, 'z');
		/* Beyond two words: the first byte after the first word,
		 * and the last before the last word. */
		if (len > 16)
			add_key("dynamics365", len, 'x', 8, '@');
		if (len > 17)
			add_key("dynamics365", len, 'x', len - 9, '%');
	}
	ck_assert_uint_le(nkeys, NKEYS);
	/* Enough that tables of both kinds are built from them. */
	ck_assert_uint_gt(nkeys, RG_INTERN_WORDS_MAX);
}

/* The index of k among the first n keys put, or -1. */
static long expected(size_t n, const char *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i], k) == 0)
			return (long)i;
	return -1;
}

/* Puts keys in the order given by step (coprime with nkeys) until n. */
static size_t order(size_t i)
{
	return (i * 37) % nkeys;
}

/* The value of key k in a table of the first n keys put in order(): the
 * j with keys[order(j)] equal to k, or -1. */
static long ordered_index(size_t n, const char *k)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (strcmp(keys[order(j)], k) == 0)
			return (long)j;
	return -1;
}

/*
 * For every size from 0 to all the keys: the table of the first keys
 * (taken in a mixed order, so that neighbours are not alike) finds each
 * of them at its value, and none of the others, by rg_intern_get() and by
 * rg_intern_slot_get(); each key looked up through a copy of its own
 * (another pointer), which finds the slot the key itself finds.
 */
START_TEST(test_find_exactly_the_keys_put)
{
	char copy[KEY_MAX], cut[KEY_MAX + sizeof("xz,role")];
	size_t n, i;

	make_keys();
	for (n = 0; n <= nkeys; n++) {
		const char *put[NKEYS];
		rg_intern t;

		rg_intern_init(&t);
		for (i = 0; i < n; i++) {
			put[i] = keys[order(i)];
			ck_assert_int_eq(rg_intern_put(&t, put[i], (uint32_t)i),
			                 RG_OK);
		}
		ck_assert_uint_eq(t.count, n);
		/* The index is kept while the table is small, and only then:
		 * a list up to RG_INTERN_SMALL_MAX keys, then hashed. */
		if (n && n <= RG_INTERN_WORDS_MAX)
			ck_assert_ptr_nonnull(t.words);
		else
			ck_assert_ptr_null(t.words);
		if (n > RG_INTERN_SMALL_MAX && n <= RG_INTERN_WORDS_MAX) {
			ck_assert_uint_ge(t.wcap, 2 * n);
			/* A key's place is the top log2(wcap) bits. */
			ck_assert_uint_eq((size_t)1 << (64 - t.wshift), t.wcap);
		} else {
			ck_assert_uint_eq(t.wcap, 0);
		}
		for (i = 0; i < nkeys; i++) {
			const struct rg_intern_slot *slot;
			long want = ordered_index(n, keys[i]);

			strcpy(copy, keys[i]);
			ck_assert_msg(
			    rg_intern_get(&t, copy) == want,
			    "table of %zu: '%s' found at %ld, not %ld", n,
			    keys[i], rg_intern_get(&t, copy), want);
			/* By length, cut from a longer string: what follows
			 * the key (a byte any key may have) is not read. */
			strcpy(cut, keys[i]);
			strcat(cut, "xz,role");
			ck_assert_msg(
			    rg_intern_get_len(&t, cut, strlen(keys[i])) == want,
			    "table of %zu: '%s' by length found at %ld, not "
			    "%ld",
			    n, keys[i],
			    rg_intern_get_len(&t, cut, strlen(keys[i])), want);
			slot = rg_intern_slot_get(&t, copy, rg_hash_str(copy));
			if (want < 0) {
				ck_assert_ptr_null(slot);
				continue;
			}
			ck_assert_ptr_nonnull(slot);
			ck_assert_uint_eq(slot->val, (uint32_t)want);
			ck_assert_ptr_eq(slot->key, put[want]);
			ck_assert_ptr_eq(
			    rg_intern_slot_get(&t, put[want],
			                       rg_hash_str(put[want])),
			    slot);
		}
		rg_intern_free(&t);
	}
}
END_TEST

/* A key put twice (the same text at another address) is refused, and the
 * first value stays; in a small table and in a large one. */
START_TEST(test_duplicate_refused)
{
	static const size_t sizes[] = {
	    1,  RG_INTERN_SMALL_MAX, RG_INTERN_SMALL_MAX + 1,
	    64, RG_INTERN_WORDS_MAX, RG_INTERN_WORDS_MAX + 1};
	char copy[KEY_MAX];
	size_t s, i;

	make_keys();
	for (s = 0; s < RG_COUNTOF(sizes); s++) {
		rg_intern t;

		rg_intern_init(&t);
		for (i = 0; i < sizes[s]; i++)
			ck_assert_int_eq(
			    rg_intern_put(&t, keys[i], (uint32_t)i), RG_OK);
		for (i = 0; i < sizes[s]; i++) {
			strcpy(copy, keys[i]);
			ck_assert_int_eq(rg_intern_put(&t, copy, 999u),
			                 RG_EEXIST);
			ck_assert_int_eq(rg_intern_get(&t, keys[i]), (long)i);
			ck_assert_int_eq(expected(sizes[s], copy), (long)i);
		}
		ck_assert_uint_eq(t.count, sizes[s]);
		rg_intern_free(&t);
	}
}
END_TEST

/* rg_intern_rekey()'s key_of: the copy of key val in the array at arg. */
static const char *copied_key(void *arg, uint32_t val)
{
	char(*copies)[KEY_MAX] = arg;

	return copies[val];
}

/*
 * A table moved to copies of its keys (rg_intern_rekey(), as a sealed
 * snapshot does): at every size (a list of words, hashed words, slots
 * alone) the copy finds each key at its value, its slot holding the
 * copy's pointer, and nothing else; and it grows on like any table.
 */
START_TEST(test_rekey_finds_the_copies)
{
	static char copies[NKEYS][KEY_MAX];
	char probe[KEY_MAX];
	size_t n, i;

	make_keys();
	for (n = 0; n <= nkeys; n++) {
		rg_intern t, r;

		rg_intern_init(&t);
		for (i = 0; i < n; i++) {
			strcpy(copies[i], keys[order(i)]);
			ck_assert_int_eq(
			    rg_intern_put(&t, keys[order(i)], (uint32_t)i),
			    RG_OK);
		}
		ck_assert_int_eq(rg_intern_rekey(&r, &t, copied_key, copies),
		                 RG_OK);
		rg_intern_free(&t); /* the copy owns nothing of t's */
		ck_assert_uint_eq(r.count, n);
		for (i = 0; i < nkeys; i++) {
			const struct rg_intern_slot *slot;
			long want = ordered_index(n, keys[i]);

			strcpy(probe, keys[i]);
			ck_assert_int_eq(rg_intern_get(&r, probe), want);
			slot =
			    rg_intern_slot_get(&r, probe, rg_hash_str(probe));
			if (want < 0) {
				ck_assert_ptr_null(slot);
				continue;
			}
			ck_assert_ptr_nonnull(slot);
			ck_assert_ptr_eq(slot->key, copies[want]);
			ck_assert_int_eq(rg_intern_put(&r, probe, 0),
			                 RG_EEXIST);
		}
		/* It grows on: the keys not in it yet go in and are found. */
		for (i = 0; i < nkeys; i++)
			if (rg_intern_get(&r, keys[i]) < 0)
				ck_assert_int_eq(
				    rg_intern_put(&r, keys[i], 999u), RG_OK);
		ck_assert_uint_eq(r.count, nkeys);
		for (i = 0; i < nkeys; i++)
			ck_assert_int_ge(rg_intern_get(&r, keys[i]), 0);
		rg_intern_free(&r);
	}
}
END_TEST

/* An empty table finds nothing; NULL keys find nothing, in either form. */
START_TEST(test_empty_and_null)
{
	rg_intern t;

	rg_intern_init(&t);
	ck_assert_int_eq(rg_intern_get(&t, "a"), -1);
	ck_assert_int_eq(rg_intern_get(&t, ""), -1);
	ck_assert_ptr_null(rg_intern_slot_get(&t, "a", rg_hash_str("a")));
	ck_assert_int_eq(rg_intern_put(&t, "", 7), RG_OK);
	ck_assert_int_eq(rg_intern_get(&t, ""), 7);
	ck_assert_int_eq(rg_intern_get(&t, NULL), -1);
	ck_assert_ptr_null(rg_intern_slot_get(&t, NULL, 0));
	rg_intern_free(&t);
	/* Freed, it is empty again and can be used anew. */
	ck_assert_int_eq(rg_intern_get(&t, ""), -1);
	ck_assert_int_eq(rg_intern_put(&t, "b", 1), RG_OK);
	ck_assert_int_eq(rg_intern_get(&t, "b"), 1);
	rg_intern_free(&t);
}
END_TEST

/*
 * A table as large as a directory's users (its slots on their own huge
 * page, or pages): every key found at its value through a copy, by name
 * and by slot, one step past the keys not found, and the table as good
 * after it grew through every size.
 */
START_TEST(test_big_table)
{
	char(*big)[BIG_KEY] = calloc(BIG_KEYS, sizeof(*big));
	char copy[BIG_KEY];
	const struct rg_intern_slot *slot;
	rg_intern t;
	size_t i;

	ck_assert_ptr_nonnull(big);
	rg_intern_init(&t);
	for (i = 0; i < BIG_KEYS; i++) {
		snprintf(big[i], sizeof(big[i]), "u-%zu", i);
		ck_assert_int_eq(rg_intern_put(&t, big[i], (uint32_t)i), RG_OK);
	}
	ck_assert_uint_ge(t.cap * sizeof(struct rg_intern_slot), RG_HUGE_BYTES);
	for (i = 0; i < BIG_KEYS; i++) {
		snprintf(copy, sizeof(copy), "u-%zu", i);
		ck_assert_int_eq(rg_intern_get(&t, copy), (long)i);
		slot = rg_intern_slot_get(&t, copy, rg_hash_str(copy));
		ck_assert_ptr_nonnull(slot);
		ck_assert_ptr_eq(slot->key, big[i]);
	}
	snprintf(copy, sizeof(copy), "u-%zu", (size_t)BIG_KEYS);
	ck_assert_int_eq(rg_intern_get(&t, copy), -1);
	ck_assert_int_eq(rg_intern_put(&t, big[0], 0), RG_EEXIST);
	/* Grown from slots' tags alone: a copy of every key is still refused
	 * (found where a lookup finds it), by name and by its hash. */
	for (i = 0; i < BIG_KEYS; i++) {
		snprintf(copy, sizeof(copy), "u-%zu", i);
		ck_assert_int_eq(rg_intern_put(&t, copy, 0), RG_EEXIST);
		ck_assert_int_eq(rg_intern_put_hashed(&t, copy, strlen(copy),
		                                      rg_hash_str(copy), 0),
		                 RG_EEXIST);
	}
	ck_assert_uint_eq(t.count, BIG_KEYS);
	snprintf(copy, sizeof(copy), "u-%zu", (size_t)BIG_KEYS);
	ck_assert_int_eq(
	    rg_intern_put_hashed(&t, copy, strlen(copy), rg_hash_str(copy), 7),
	    RG_OK);
	ck_assert_int_eq(rg_intern_get(&t, copy), 7);
	rg_intern_free(&t);
	free(big);
}
END_TEST

/*
 * rg_intern_keep_words(): past RG_INTERN_WORDS_MAX keys a table keeps its
 * word index (a default one drops it), at most half full, and finds every
 * key put and none of the others through it; a copy (rg_intern_rekey())
 * keeps it too as it grows on.
 */
START_TEST(test_keep_words)
{
	static char copies[NKEYS][KEY_MAX];
	rg_intern t, d, r;
	size_t i;

	make_keys();
	rg_intern_init(&t);
	rg_intern_keep_words(&t);
	rg_intern_init(&d);
	for (i = 0; i < nkeys; i++) {
		strcpy(copies[i], keys[order(i)]);
		ck_assert_int_eq(rg_intern_put(&t, keys[order(i)], (uint32_t)i),
		                 RG_OK);
		ck_assert_int_eq(rg_intern_put(&d, keys[order(i)], (uint32_t)i),
		                 RG_OK);
	}
	ck_assert_ptr_null(d.words);
	ck_assert_ptr_nonnull(t.words);
	ck_assert_uint_ge(t.wcap, 2 * nkeys);
	ck_assert_int_eq(rg_intern_rekey(&r, &t, copied_key, copies), RG_OK);
	ck_assert_uint_eq(r.wshift, t.wshift);
	for (i = 0; i < nkeys; i++) {
		ck_assert_int_eq(rg_intern_get(&t, keys[i]),
		                 ordered_index(nkeys, keys[i]));
		ck_assert_int_eq(rg_intern_get(&r, keys[i]),
		                 ordered_index(nkeys, keys[i]));
	}
	ck_assert_int_eq(rg_intern_get(&t, "dynamics365xx?"), -1);
	/* The copy grows on, its index with it. */
	ck_assert_int_eq(rg_intern_put(&r, "dynamics365xx?", 999u), RG_OK);
	ck_assert_ptr_nonnull(r.words);
	ck_assert_int_eq(rg_intern_get(&r, "dynamics365xx?"), 999);
	rg_intern_free(&t);
	rg_intern_free(&d);
	rg_intern_free(&r);
}
END_TEST

/*
 * rg_names: every key of the universe added in a mixed order gets the
 * next index (and the same one again when added twice, from a copy), is
 * found at it through another pointer, and reads back as an equal copy of
 * its own; strings no table holds are not found; bad arguments are refused.
 */
START_TEST(test_plugin_names)
{
	char copy[KEY_MAX];
	rg_names *t;
	size_t i;

	make_keys();
	t = rg_names_new();
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < nkeys; i++) {
		const char *k = keys[order(i)];

		ck_assert_int_eq(rg_names_find(t, k), -1);
		ck_assert_int_eq(rg_names_add(t, k), (long)i);
		strcpy(copy, k);
		ck_assert_int_eq(rg_names_add(t, copy), (long)i);
		ck_assert_uint_eq(rg_names_count(t), i + 1);
	}
	for (i = 0; i < nkeys; i++) {
		const char *k = keys[order(i)];

		strcpy(copy, k);
		ck_assert_int_eq(rg_names_find(t, copy), (long)i);
		ck_assert_str_eq(rg_names_name(t, i), k);
		ck_assert_ptr_ne(rg_names_name(t, i), k);
	}
	ck_assert_int_eq(rg_names_find(t, "dynamics365xx?"), -1);
	ck_assert_ptr_null(rg_names_name(t, nkeys));
	ck_assert_int_eq(rg_names_add(t, NULL), RG_EINVAL);
	ck_assert_int_eq(rg_names_find(t, NULL), -1);
	rg_names_free(t);
	ck_assert_int_eq(rg_names_add(NULL, "a"), RG_EINVAL);
	ck_assert_int_eq(rg_names_find(NULL, "a"), -1);
	ck_assert_ptr_null(rg_names_name(NULL, 0));
	ck_assert_uint_eq(rg_names_count(NULL), 0);
	rg_names_free(NULL);
}
END_TEST

/*
 * rg_names_find_len(): each key, cut from a longer text (no terminator
 * where it ends), is found at its index, in a table of each size (a short
 * list, the word index, and one past RG_INTERN_WORDS_MAX, which keeps its
 * word index); the same bytes and the next name what that longer string
 * names; bytes holding a NUL name nothing (the word index compares them).
 */
START_TEST(test_names_find_len)
{
	static const size_t sizes[] = {RG_INTERN_SMALL_MAX, RG_INTERN_WORDS_MAX,
	                               NKEYS};
	char text[KEY_MAX + 2];
	rg_names *t;
	size_t i, n = 0, s;

	make_keys();
	t = rg_names_new();
	ck_assert_ptr_nonnull(t);
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (; n < sizes[s] && n < nkeys; n++)
			ck_assert_int_eq(rg_names_add(t, keys[n]),
			                 expected(n + 1, keys[n]));
		for (i = 0; i < nkeys; i++) {
			size_t len = strlen(keys[i]);

			memcpy(text, keys[i], len);
			text[len] = 'D';
			text[len + 1] = '\0';
			ck_assert_int_eq(rg_names_find_len(t, text, len),
			                 expected(n, keys[i]));
			ck_assert_int_eq(rg_names_find_len(t, text, len + 1),
			                 expected(n, text));
			/* The key and a NUL, then a byte: the key is a name,
			 * and its bytes compare equal up to the NUL. */
			text[len] = '\0';
			text[len + 1] = 'D';
			ck_assert_int_eq(rg_names_find_len(t, text, len + 1),
			                 -1);
			ck_assert_int_eq(rg_names_find_len(t, text, len + 2),
			                 -1);
		}
	}
	ck_assert_int_eq(rg_names_find_len(t, NULL, 0), -1);
	rg_names_free(t);
	ck_assert_int_eq(rg_names_find_len(NULL, "a", 1), -1);
}
END_TEST

/* ---- rg_grow() (include/private/rg_prim.h) ----------------------------- */

START_TEST(test_grow_doubles_and_keeps)
{
	int *v = NULL;
	size_t cap = 0, i;

	ck_assert_int_eq(RG_GROW(v, cap, 1), RG_OK);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(cap, RG_GROW_MIN);
	for (i = 0; i < cap; i++)
		v[i] = (int)i;
	/* Room enough already: nothing moves. */
	ck_assert_int_eq(RG_GROW(v, cap, RG_GROW_MIN), RG_OK);
	ck_assert_uint_eq(cap, RG_GROW_MIN);
	ck_assert_int_eq(RG_GROW(v, cap, RG_GROW_MIN + 1), RG_OK);
	ck_assert_uint_eq(cap, 2 * RG_GROW_MIN);
	/* Far past the double: the first power of two times the start. */
	ck_assert_int_eq(RG_GROW(v, cap, 100 * RG_GROW_MIN), RG_OK);
	ck_assert_uint_eq(cap, 128 * RG_GROW_MIN);
	for (i = 0; i < RG_GROW_MIN; i++)
		ck_assert_int_eq(v[i], (int)i);
	v[cap - 1] = 1; /* all of it is ours (ASan) */
	free(v);
}
END_TEST

START_TEST(test_grow_refuses_overflow)
{
	char *p = malloc(1);
	void *was = p;
	size_t cap = 1;

	ck_assert_ptr_nonnull(p);
	/* The element count fits, its bytes do not. */
	ck_assert_int_eq(rg_grow((void **)&p, &cap, SIZE_MAX / 4, 8),
	                 RG_ENOMEM);
	ck_assert_ptr_eq(p, was);
	ck_assert_uint_eq(cap, 1);
	/* Doubling the capacity itself would wrap. */
	cap = SIZE_MAX / 2 + 1;
	ck_assert_int_eq(rg_grow((void **)&p, &cap, cap + 1, 1), RG_ENOMEM);
	ck_assert_uint_eq(cap, SIZE_MAX / 2 + 1);
	cap = 1;
	ck_assert_int_eq(rg_grow((void **)&p, &cap, SIZE_MAX, 1), RG_ENOMEM);
	ck_assert_ptr_eq(p, was);
	ck_assert_uint_eq(cap, 1);
	free(p);
}
END_TEST

/* ---- rg_grow_big(), rg_calloc_big() (core/util.c) ---------------------- */

/* Grown one element at a time past RG_MAP_BYTES and a huge page: every
 * element kept at each move, the capacity the doubling's, and (outside a
 * sanitizer build, which keeps malloc()) the huge array on a huge page's
 * boundary, which is what makes it a few faults. */
/* The first of v[0, n) that is not i * 7 at i, or n (checked in a plain
 * loop: a passing ck_assert() per element costs a call into Check). */
static size_t first_unlike(const uint32_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n && v[i] == (uint32_t)i * 7u; i++)
		;
	return i;
}

START_TEST(test_grow_big_keeps)
{
	const size_t n = 3 * RG_HUGE_BYTES / sizeof(uint32_t);
	uint32_t *v = NULL;
	size_t cap = 0, i, moves = 0;
	void *was = NULL;
	int rc = RG_OK;

	for (i = 0; i < n && rc == RG_OK; i++) {
		rc = RG_GROW_BIG(v, cap, i + 1);
		if (rc == RG_OK && v != was) {
			ck_assert_uint_eq(first_unlike(v, i), i);
			was = v;
			moves++;
		}
		if (rc == RG_OK)
			v[i] = (uint32_t)i * 7u;
	}
	ck_assert_int_eq(rc, RG_OK);
	ck_assert_uint_ge(moves, 2);
	ck_assert_uint_eq(cap, 4 * RG_HUGE_BYTES / sizeof(uint32_t));
	ck_assert_uint_eq(first_unlike(v, n), n);
#ifndef RG_SANITIZED
	ck_assert_uint_eq((uintptr_t)v % RG_HUGE_BYTES, 0);
#endif
	v[cap - 1] = 1; /* the whole capacity is ours */
	RG_FREE_BIG(v, cap);
	rg_free_big(NULL, RG_HUGE_BYTES); /* NULL: nothing */
}
END_TEST

/* Zeroed at each size, by both: from malloc(), mapped, on huge pages (and
 * rg_alloc_big()'s aligned to a cache line, or a huge page from one). */
START_TEST(test_calloc_big_zeroed)
{
	const size_t sizes[] = {24, RG_MAP_BYTES, RG_HUGE_BYTES + 8};
	size_t k, i;

	for (k = 0; k < 2 * RG_COUNTOF(sizes); k++) {
		size_t n = sizes[k % RG_COUNTOF(sizes)];
		int alloc = k >= RG_COUNTOF(sizes);
		unsigned char *p =
		    alloc ? rg_alloc_big(n) : rg_calloc_big(n, 1);

		ck_assert_ptr_nonnull(p);
		if (alloc)
			ck_assert_uint_eq((uintptr_t)p % (n >= RG_HUGE_BYTES
			                                      ? RG_HUGE_BYTES
			                                      : RG_LINE_BYTES),
			                  0);
		for (i = 0; i < n && !p[i]; i++)
			;
		ck_assert_uint_eq(i, n);
		memset(p, 0xa5, n);
		rg_free_big(p, n);
	}
	/* Bytes that do not fit a size_t: refused. */
	ck_assert_ptr_null(rg_calloc_big(SIZE_MAX / 2, 4));
}
END_TEST

START_TEST(test_grow_big_refuses_overflow)
{
	char *p = NULL;
	size_t cap = 0;

	ck_assert_int_eq(RG_GROW_BIG(p, cap, 1), RG_OK);
	ck_assert_int_eq(rg_grow_big((void **)&p, &cap, SIZE_MAX / 4, 8),
	                 RG_ENOMEM);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(cap, RG_GROW_MIN);
	RG_FREE_BIG(p, cap);
}
END_TEST

/* A growth site of the core: a full array whose doubled size in bytes
 * wraps is refused, not shrunk and written past. */
START_TEST(test_ptr_push_refuses_overflow)
{
	void **arr = malloc(sizeof(*arr));
	void *was = arr;
	size_t n = SIZE_MAX / sizeof(*arr) / 2 + 1, cap = n;

	ck_assert_ptr_nonnull(arr);
	ck_assert_int_eq(rg_ptr_push(&arr, &n, &cap, NULL), RG_ENOMEM);
	ck_assert_ptr_eq(arr, was);
	ck_assert_uint_eq(n, cap);
	free(arr);
}
END_TEST

/* ---- rg_utf8_char(), rg_bool_word() (include/private/rg_prim.h) -------- */

/* RFC 3629, section 4 (the syntax of UTF-8) and its overlong and
 * surrogate exclusions; avail is the bytes the caller lets it read. */
static const struct utf8_case {
	const char *bytes;
	size_t avail;
	size_t want;
} utf8_cases[] = {
    {"a", 1, 1},
    {"", 1, 1}, /* NUL is a character of one byte */
    {"\x7f", 1, 1},
    {"\xc3\xa9", 2, 2},         /* U+00E9 */
    {"\xdf\xbf", 2, 2},         /* U+07FF */
    {"\xe0\xa0\x80", 3, 3},     /* U+0800, the first of three */
    {"\xef\xbf\xbd", 3, 3},     /* U+FFFD */
    {"\xf0\x90\x80\x80", 4, 4}, /* U+10000 */
    {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF, the last */
    {"\x80", 1, 0},             /* a stray continuation */
    {"\xc0\xae", 2, 0},         /* overlong '.' */
    {"\xc1\xbf", 2, 0},         /* overlong DEL */
    {"\xe0\x80\xae", 3, 0},     /* overlong three-byte '.' */
    {"\xf0\x80\x80\xae", 4, 0}, /* overlong four-byte '.' */
    {"\xed\xa0\x80", 3, 0},     /* U+D800, a surrogate */
    {"\xed\xbf\xbf", 3, 0},     /* U+DFFF */
    {"\xf4\x90\x80\x80", 4, 0}, /* U+110000, past the last */
    {"\xf5\x80\x80\x80", 4, 0}, /* a lead byte past 0xf4 */
    {"\xff", 1, 0},
    {"\xc3", 1, 0},            /* cut by the end of a string */
    {"\xe2\x82", SIZE_MAX, 0}, /* cut by a NUL: nothing past it */
    {"\xe2\x82\xac", 2, 0},    /* cut by avail */
    {"\xe2\x82\xac", 3, 3},    /* the euro sign, whole */
    {"a", 0, 0},               /* nothing to read */
};

START_TEST(test_utf8_char)
{
	const struct utf8_case *c = &utf8_cases[_i];

	ck_assert_msg(rg_utf8_char((const unsigned char *)c->bytes, c->avail) ==
	                  c->want,
	              "case %d: want %zu", _i, c->want);
	if (c->avail == strlen(c->bytes) || c->avail == SIZE_MAX)
		ck_assert_uint_eq(rg_utf8_len((const unsigned char *)c->bytes),
		                  c->want);
}
END_TEST

static const struct bool_case {
	const char *word;
	int want;
} bool_cases[] = {
    {"yes", 1},   {"true", 1},  {"on", 1}, {"1", 1},    {"no", 0},
    {"false", 0}, {"off", 0},   {"0", 0},  {"Yes", -1}, {"", -1},
    {"2", -1},    {"yes ", -1}, {"y", -1}, {NULL, -1},
};

START_TEST(test_bool_word)
{
	ck_assert_int_eq(rg_bool_word(bool_cases[_i].word),
	                 bool_cases[_i].want);
}
END_TEST

/*
 * rg_concat() writes what snprintf() of "%s%s%s" writes, NULL parts as
 * glibc's "(null)", at every buffer size from none to more than enough:
 * the reasons of rg_decide_rbac() must stay byte for byte what they were.
 */
START_TEST(test_concat_is_snprintf)
{
	const char *parts[] = {"omnichannel-agent", " grants ", NULL};
	const char *want_full = "omnichannel-agent grants (null)";
	char got[64], want[64];
	size_t size, n;

	for (size = 0; size <= strlen(want_full) + 2; size++) {
		memset(got, 'x', sizeof(got));
		memset(want, 'x', sizeof(want));
		n = rg_concat(size ? got : NULL, size, parts,
		              RG_COUNTOF(parts));
		snprintf(size ? want : NULL, size, "%s", want_full);
		ck_assert_uint_eq(n, strlen(want_full));
		ck_assert_msg(memcmp(got, want, sizeof(got)) == 0,
		              "size %zu: '%.*s'", size, (int)size, got);
	}
	/* No part: the empty string. */
	memset(got, 'x', sizeof(got));
	ck_assert_uint_eq(rg_concat(got, sizeof(got), parts, 0), 0);
	ck_assert_str_eq(got, "");
	/* Empty parts add nothing. */
	parts[0] = "";
	parts[2] = "deny";
	ck_assert_uint_eq(rg_concat(got, sizeof(got), parts, RG_COUNTOF(parts)),
	                  strlen(" grants deny"));
	ck_assert_str_eq(got, " grants deny");
}
END_TEST

/*
 * rg_format() writes what snprintf() writes, at every buffer size from
 * none to more than enough: pieces of every length around the word
 * sizes its short copies use (0 to 17 bytes and longer), strings with a
 * precision, numbers, and a conversion of glibc's alone ("%x").
 */
#define FORMAT_BUF 160

static void format_matches(const char *fmt, ...) RG_PRINTF(1, 2);
static void format_matches(const char *fmt, ...)
{
	char got[FORMAT_BUF], want[FORMAT_BUF];
	va_list ap, aq;
	size_t size;
	int n, m;

	for (size = 0; size <= sizeof(got); size++) {
		memset(got, 'x', sizeof(got));
		memset(want, 'x', sizeof(want));
		va_start(ap, fmt);
		va_copy(aq, ap);
		n = rg_vformat(size ? got : NULL, size, fmt, ap);
		m = vsnprintf(size ? want : NULL, size, fmt, aq);
		va_end(aq);
		va_end(ap);
		ck_assert_int_eq(n, m);
		ck_assert_msg(memcmp(got, want, sizeof(got)) == 0,
		              "'%s' at size %zu: '%.*s', not '%.*s'", fmt, size,
		              (int)size, got, (int)size, want);
	}
}

START_TEST(test_format_is_snprintf)
{
	static const char *const words[] = {
	    "",
	    "a",
	    "ab",
	    "abc",
	    "abcd",
	    "abcde",
	    "abcdefg",
	    "abcdefgh",
	    "abcdefghi",
	    "abcdefghijklmno",
	    "abcdefghijklmnop",
	    "abcdefghijklmnopq",
	    "a much longer piece of text than a word"};
	size_t i, j;

	for (i = 0; i < RG_COUNTOF(words); i++) {
		for (j = 0; j < RG_COUNTOF(words); j++)
			format_matches("%s grants %s on '%s'", words[i],
			               words[j],
			               words[(i + j) % RG_COUNTOF(words)]);
		format_matches("%s", words[i]);
		format_matches("%.*s|%.*s", 3, words[i], 20, words[i]);
	}
	format_matches("plain text with no conversion at all");
	format_matches("%s", "");
	format_matches("%d %u %ld %lu %zu %% %s", -42, 7u, -1234567890123L,
	               18446744073709551615UL, (size_t)99, "end");
	format_matches("%d", INT_MIN);
	format_matches("hex %x and %s", 255u, "after");
}
END_TEST

/* rg_vformat_marks() of fmt with the marks below: its count (-1 refused),
 * the text in buf and the marks met in at (*nat: room, then count). */
static const char mark_a[] = "A", mark_b[] = "B";
static const char *const marks[] = {mark_a, mark_b};

static int format_marks(char *buf, size_t size, struct rg_fmt_mark *at,
                        size_t *nat, const char *fmt, ...) RG_PRINTF(5, 6);
static int format_marks(char *buf, size_t size, struct rg_fmt_mark *at,
                        size_t *nat, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rg_vformat_marks(buf, size, fmt, ap, marks, RG_COUNTOF(marks), at,
	                     nat);
	va_end(ap);
	return n;
}

/*
 * rg_vformat_marks() writes what rg_format() writes, but for the stand-ins
 * (compiled scopes' reasons, ABI 1.7): each is left out, and its place and
 * kind kept, in order.  A string equal to a stand-in but another pointer
 * is text.  Refused: a stand-in with a precision, more stand-ins than
 * room, and a conversion rg_format() leaves to vsnprintf().
 */
START_TEST(test_format_marks)
{
	struct rg_fmt_mark at[3];
	char buf[FORMAT_BUF], want[FORMAT_BUF];
	char copy_a[] = "A";
	size_t nat = RG_COUNTOF(at);
	int n;

	n = format_marks(buf, sizeof(buf), at, &nat,
	                 "%s grants %s on '%s' (%s)", "role", mark_b, mark_a,
	                 copy_a);
	ck_assert_int_eq(n, (int)strlen("role grants  on '' (A)"));
	ck_assert_str_eq(buf, "role grants  on '' (A)");
	ck_assert_uint_eq(nat, 2);
	ck_assert_uint_eq(at[0].at, strlen("role grants "));
	ck_assert_uint_eq(at[0].kind, 1);
	ck_assert_uint_eq(at[1].at, strlen("role grants  on '"));
	ck_assert_uint_eq(at[1].kind, 0);

	/* No stand-in: rg_format()'s text. */
	nat = RG_COUNTOF(at);
	n = format_marks(buf, sizeof(buf), at, &nat, "%d %zu %.*s %% %s", -3,
	                 (size_t)4, 2, "abc", "end");
	rg_format(want, sizeof(want), "%d %zu %.*s %% %s", -3, (size_t)4, 2,
	          "abc", "end");
	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(nat, 0);

	nat = RG_COUNTOF(at);
	ck_assert_int_eq(
	    format_marks(buf, sizeof(buf), at, &nat, "%.*s", 1, mark_a), -1);
	nat = 1;
	ck_assert_int_eq(
	    format_marks(buf, sizeof(buf), at, &nat, "%s%s", mark_a, mark_b),
	    -1);
	nat = RG_COUNTOF(at);
	ck_assert_int_eq(
	    format_marks(buf, sizeof(buf), at, &nat, "%x %s", 1u, mark_a), -1);
}
END_TEST

/* Which directory locations are PostgreSQL's, and what messages show of
 * them: never the password. */
static const struct {
	const char *loc;
	int pg;
	const char *shown;
} location_cases[] = {
    {"/var/lib/rolegate/directory.db", 0, "/var/lib/rolegate/directory.db"},
    {"state/directory.db", 0, "state/directory.db"},
    /* A file may have '=' in its name, but not after a first word. */
    {"./a=b.db", 0, "./a=b.db"},
    {"/srv/password=x.db", 0, "/srv/password=x.db"},
    {"", 0, ""},
    {"postgresql://rg@db1/rolegate", 1, "postgresql://rg@db1/rolegate"},
    {"postgres://db1/rolegate", 1, "postgres://db1/rolegate"},
    {"postgresql://rg:s3cret@db1:5432/rolegate?sslmode=require", 1,
     "postgresql://rg:***@db1:5432/rolegate?sslmode=require"},
    {"postgresql://rg@db1/rolegate?password=s3cret&sslmode=verify-full", 1,
     "postgresql://rg@db1/rolegate?password=***&sslmode=verify-full"},
    {"host=db1,db2 dbname=rolegate target_session_attrs=read-write", 1,
     "host=db1,db2 dbname=rolegate target_session_attrs=read-write"},
    {"host=db1 password=s3cret user=rg", 1, "host=db1 password=*** user=rg"},
    {"dbname = rolegate password = 'a b\\' c' user=rg", 1,
     "dbname = rolegate password = *** user=rg"},
    {"password=", 1, "password=***"},
    /* A key that ends in "password" is not one. */
    {"host=x oldpassword=y", 1, "host=x oldpassword=y"},
};

START_TEST(test_location)
{
	char *shown;

	ck_assert_int_eq(rg_location_is_pg(location_cases[_i].loc),
	                 location_cases[_i].pg);
	shown = rg_location_redact(location_cases[_i].loc);
	ck_assert_ptr_nonnull(shown);
	ck_assert_str_eq(shown, location_cases[_i].shown);
	free(shown);
}
END_TEST

static Suite *intern_suite(void)
{
	Suite *s = suite_create("intern");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_find_exactly_the_keys_put);
	tcase_add_test(tc, test_duplicate_refused);
	tcase_add_test(tc, test_rekey_finds_the_copies);
	tcase_add_test(tc, test_empty_and_null);
	tcase_add_test(tc, test_keep_words);
	tcase_add_test(tc, test_plugin_names);
	tcase_add_test(tc, test_names_find_len);
	tcase_add_test(tc, test_big_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("grow");
	tcase_add_test(tc, test_grow_doubles_and_keeps);
	tcase_add_test(tc, test_grow_refuses_overflow);
	tcase_add_test(tc, test_ptr_push_refuses_overflow);
	tcase_add_test(tc, test_grow_big_keeps);
	tcase_add_test(tc, test_calloc_big_zeroed);
	tcase_add_test(tc, test_grow_big_refuses_overflow);
	suite_add_tcase(s, tc);
	tc = tcase_create("words");
	tcase_add_loop_test(tc, test_utf8_char, 0, (int)RG_COUNTOF(utf8_cases));
	tcase_add_loop_test(tc, test_bool_word, 0, (int)RG_COUNTOF(bool_cases));
	tcase_add_test(tc, test_concat_is_snprintf);
	tcase_add_test(tc, test_format_is_snprintf);
	tcase_add_test(tc, test_format_marks);
	tcase_add_loop_test(tc, test_location, 0,
	                    (int)RG_COUNTOF(location_cases));
	suite_add_tcase(s, tc);
	return s;
}

RG_CHECK_MAIN(intern_suite)
