/*
 * util.c - small string and path helpers used across the core.
 */
#include "config.h"

#include <ctype.h>
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
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void **na = realloc(*arr, ncap * sizeof(*na));
		if (!na)
			return RG_ENOMEM;
		*arr = na;
		*cap = ncap;
	}
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

char *rg_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
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

void *rg_alloc_big(size_t bytes)
{
	size_t align = bytes >= RG_HUGE_BYTES ? RG_HUGE_BYTES : RG_LINE_BYTES;
	void *p = NULL;

	if (posix_memalign(&p, align, bytes ? bytes : 1) != 0)
		return NULL;
	/* Advice only: without huge pages the table still works. */
	if (align == RG_HUGE_BYTES)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	return p;
}
