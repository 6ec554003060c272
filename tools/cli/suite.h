/*
 * suite.h - policy test suites for `rolegate test`: the parsed form.
 *
 * A suite file is INI, like rolegate.conf and the policies: sections
 * "[subject NAME]", "[test NAME]", "[matrix NAME]" and "[suite]", each
 * with "key = value" lines.  suite-parse.c reads the files into sections
 * and expands them into cases; suite.c runs the cases against a context.
 */
#ifndef ROLEGATE_TOOLS_SUITE_H
#define ROLEGATE_TOOLS_SUITE_H

#include <stddef.h>

#include <rolegate/rolegate.h>

enum st_kind { ST_SUITE, ST_SUBJECT, ST_TEST, ST_MATRIX };

/* One "key = value" line; both strings owned by the section. */
struct st_kv {
	char *key;
	char *value;
	unsigned line;
};

/* One section of a suite file; file points into st_suite.files. */
struct st_section {
	enum st_kind kind;
	char *name; /* "" for [suite] */
	const char *file;
	unsigned line;
	struct st_kv *kv;
	size_t nkv, capkv;
};

/* A named subject: roles (comma-separated, owned) or a directory user. */
struct st_subject {
	const struct st_section *sec;
	char *roles;      /* NULL for a user */
	const char *user; /* NULL for roles; points into sec */
	rg_attr *attrs;   /* "attr.KEY" lines, pointing into sec; owned array */
	size_t nattrs;
};

/* One question and its expected answer; strings point into sections. */
struct st_case {
	char *name; /* owned: the test's name, or MATRIX/SUBJECT/ACTION */
	const char *file;
	unsigned line;
	const char *service;
	const struct st_subject *subject;
	char *action;   /* owned */
	rg_attr *attrs; /* owned array */
	size_t nattrs;
	int expect_allow;
	const char *reason; /* a substring the reason must hold, or NULL */
	const char *plugin; /* the deciding plugin, or NULL */
};

/* Every file named, read in order, and the cases they make. */
struct st_suite {
	char **files; /* owned */
	size_t nfiles;
	struct st_section *secs;
	size_t nsecs, capsecs;
	struct st_subject *subjects;
	size_t nsubjects, capsubjects;
	struct st_case *cases;
	size_t ncases, capcases;
	int skipping; /* while reading the lines of a malformed section */
};

/*
 * Reads the files into suite (zeroed first) and expands the cases.  Prints
 * "FILE:LINE: message" on stderr for each malformed line and returns -1
 * then (suite still to free); 0 on success.
 */
int st_load(struct st_suite *suite, char *const *files, size_t nfiles);
void st_free(struct st_suite *suite);

/* The [suite] section's key of file (a pointer of suite->files), or NULL. */
const struct st_kv *st_suite_key(const struct st_suite *suite, const char *file,
                                 const char *key);

#endif /* ROLEGATE_TOOLS_SUITE_H */
