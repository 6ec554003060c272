/*
 * replay.c - a fuzz target without libFuzzer: feeds every file of its seed
 * corpus (fuzz/corpus/NAME) and of its regressions (fuzz/regress/NAME) to
 * LLVMFuzzerTestOneInput(), so that `make check` replays them on every
 * build.  With arguments, replays those files instead (a crash to debug).
 * Prints one "ok - NAME: FILE" line per input; a crash is the failure.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME: the target's corpus name"
#endif

#define PATH_LEN 4096

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		printf("not ok - %s: %s: cannot read\n", FUZZ_NAME, path);
		if (f)
			fclose(f);
		return 1;
	}
	/* libFuzzer's inputs are heap copies: overreads show under ASan. */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		printf("not ok - %s: %s: cannot read\n", FUZZ_NAME, path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok - %s: %s\n", FUZZ_NAME, path);
	return 0;
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; a missing dir is empty. */
static int replay_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[PATH_LEN];
	size_t n = 0, cap = 0, i;
	int failed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				abort();
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (!names[n++])
			abort();
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), compare);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		failed |= replay_file(path);
		free(names[i]);
	}
	free(names);
	*count += n;
	return failed;
}

int main(int argc, char **argv)
{
	const char *src = getenv("top_srcdir");
	char dir[PATH_LEN];
	size_t count = 0;
	int i, failed = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			failed |= replay_file(argv[i]);
		return failed;
	}
	if (!src || !*src)
		src = RG_FUZZ_SRCDIR;
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s", src, FUZZ_NAME);
	failed |= replay_dir(dir, &count);
	snprintf(dir, sizeof(dir), "%s/fuzz/regress/%s", src, FUZZ_NAME);
	failed |= replay_dir(dir, &count);
	if (count == 0) {
		printf("not ok - %s: no corpus in %s/fuzz\n", FUZZ_NAME, src);
		return 1;
	}
	printf("# %s: %zu inputs replayed\n", FUZZ_NAME, count);
	return failed;
}
