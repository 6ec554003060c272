/*
 * names.c - name tables for plugins (rg_names_*(), plugin.h): an intern
 * table over copies the table owns, in order of addition.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rg_names {
	rg_intern ix;
	char **v; /* v[i]: the copy of name i, the index's key */
	size_t n, cap;
};

rg_names *rg_names_new(void)
{
	rg_names *t = calloc(1, sizeof(*t));

	if (t) {
		rg_intern_init(&t->ix);
		rg_intern_keep_words(&t->ix);
	}
	return t;
}

long rg_names_add(rg_names *t, const char *name)
{
	long i;
	char *copy;

	if (!t || !name)
		return RG_EINVAL;
	i = rg_intern_get(&t->ix, name);
	if (i >= 0)
		return i;
	if (RG_GROW(t->v, t->cap, t->n + 1) != RG_OK)
		return RG_ENOMEM;
	copy = rg_strdup(name);
	if (!copy)
		return RG_ENOMEM;
	if (rg_intern_put(&t->ix, copy, (uint32_t)t->n) != RG_OK) {
		free(copy);
		return RG_ENOMEM;
	}
	t->v[t->n] = copy;
	return (long)t->n++;
}

long rg_names_find(const rg_names *t, const char *name)
{
	return t ? rg_intern_get(&t->ix, name) : -1;
}

long rg_names_find_len(const rg_names *t, const char *name, size_t len)
{
	if (!t || !name)
		return -1;
	/* No name holds a NUL.  The word index (rg_intern_keep_words())
	 * compares every byte, so a NUL fails to match there on its own;
	 * strncmp(), over the slots, would stop at one. */
	if (!t->ix.words && memchr(name, '\0', len))
		return -1;
	return rg_intern_get_len(&t->ix, name, len);
}

const char *rg_names_name(const rg_names *t, size_t i)
{
	return t && i < t->n ? t->v[i] : NULL;
}

size_t rg_names_count(const rg_names *t)
{
	return t ? t->n : 0;
}

void rg_names_free(rg_names *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	rg_intern_free(&t->ix);
	free(t);
}
