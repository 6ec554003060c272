/*
 * suite-parse.c - reads `rolegate test` suite files and expands their cases.
 *
 * The public API has no INI reader of its own to lend (the core's stays
 * inside the library), so this is a small line reader with the same rules
 * as rolegate.conf: "[section]" headers, "key = value" lines, "#" and ";"
 * comments.  Every malformed line is reported as FILE:LINE: a suite that
 * does not say what it means must never pass silently.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "suite.h"

/* Separators of a list value: "a b", "a,b" and "a, b" all work. */
#define ST_SEPARATORS " \t,"
/* The prefix of a request (or subject) attribute key. */
#define ST_ATTR_PREFIX "attr."

/* Reports a malformed line; returns -1 for `return st_bad(...)`. */
static int st_bad(const char *file, unsigned line, const char *fmt, ...)
    RG_PRINTF(3, 4);

static int st_bad(const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("%s:%u: %s", file, line, msg);
	return -1;
}

static const struct {
	const char *word;
	enum st_kind kind;
} st_kinds[] = {
    {"suite", ST_SUITE},
    {"subject", ST_SUBJECT},
    {"test", ST_TEST},
    {"matrix", ST_MATRIX},
};

#define NKINDS RG_COUNTOF(st_kinds)

/* Starts a section from the text between the brackets. */
static int add_section(struct st_suite *s, char *text, const char *file,
                       unsigned line)
{
	struct st_section *sec;
	char *name = text + strcspn(text, " \t");
	size_t wlen = (size_t)(name - text), i, j;

	name = cli_trim(name);
	for (i = 0; i < NKINDS; i++)
		if (strlen(st_kinds[i].word) == wlen &&
		    strncmp(text, st_kinds[i].word, wlen) == 0)
			break;
	if (i == NKINDS)
		return st_bad(file, line,
		              "unknown section '[%s]' (suite, subject, test or "
		              "matrix)",
		              text);
	if ((st_kinds[i].kind == ST_SUITE) != (*name == '\0'))
		return st_bad(file, line, "[%s] %s", st_kinds[i].word,
		              *name ? "takes no name" : "needs a name");
	if (st_kinds[i].kind == ST_SUBJECT && name[strcspn(name, " \t,:")])
		return st_bad(file, line, "a subject name is one word: '%s'",
		              name);
	for (j = 0; j < s->nsecs; j++)
		if (s->secs[j].file == file &&
		    s->secs[j].kind == st_kinds[i].kind &&
		    strcmp(s->secs[j].name, name) == 0)
			return st_bad(file, line,
			              "[%s%s%s] given twice (line %u)",
			              st_kinds[i].word, *name ? " " : "", name,
			              s->secs[j].line);
	if (RG_GROW(s->secs, s->capsecs, s->nsecs + 1) != RG_OK)
		return st_bad(file, line, "out of memory");
	sec = &s->secs[s->nsecs];
	memset(sec, 0, sizeof(*sec));
	sec->kind = st_kinds[i].kind;
	sec->file = file;
	sec->line = line;
	sec->name = strdup(name);
	if (!sec->name)
		return st_bad(file, line, "out of memory");
	s->nsecs++;
	return 0;
}

/* Keys each kind of section takes besides attr.KEY (NULL-terminated). */
static const char *const suite_keys[] = {"service", "fixture", NULL};
static const char *const subject_keys[] = {"roles", "user", NULL};
static const char *const test_keys[] = {
    "service", "subject", "action", "expect", "reason", "plugin", NULL};
static const char *const matrix_keys[] = {"service", "subjects", "actions",
                                          "allow", NULL};

static const char *kind_word(enum st_kind kind)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (st_kinds[i].kind == kind)
			return st_kinds[i].word;
	return "?";
}

static const char *const *keys_of(enum st_kind kind)
{
	switch (kind) {
	case ST_SUITE:
		return suite_keys;
	case ST_SUBJECT:
		return subject_keys;
	case ST_TEST:
		return test_keys;
	case ST_MATRIX:
		return matrix_keys;
	}
	return suite_keys;
}

static const struct st_kv *find_kv(const struct st_section *sec,
                                   const char *key)
{
	size_t i;

	for (i = 0; i < sec->nkv; i++)
		if (strcmp(sec->kv[i].key, key) == 0)
			return &sec->kv[i];
	return NULL;
}

static int is_attr_key(const char *key)
{
	return strncmp(key, ST_ATTR_PREFIX, strlen(ST_ATTR_PREFIX)) == 0 &&
	       key[strlen(ST_ATTR_PREFIX)] != '\0';
}

/* Adds "key = value" to the open section, checking the key. */
static int add_kv(struct st_suite *s, char *text, const char *file,
                  unsigned line)
{
	struct st_section *sec = s->nsecs ? &s->secs[s->nsecs - 1] : NULL;
	char *eq = strchr(text, '=');
	char *key, *value;
	struct st_kv *kv;

	if (!eq)
		return st_bad(file, line,
		              "expected 'key = value' or "
		              "'[section]'");
	if (!sec || sec->file != file)
		return st_bad(file, line, "a key before any section");
	*eq = '\0';
	key = cli_trim(text);
	value = cli_trim(eq + 1);
	if (!is_attr_key(key) && !cli_list_has(keys_of(sec->kind), key))
		return st_bad(file, line, "unknown key '%s' in [%s%s%s]", key,
		              kind_word(sec->kind), *sec->name ? " " : "",
		              sec->name);
	if (strcmp(key, "allow") != 0 && find_kv(sec, key))
		return st_bad(file, line, "'%s' given twice", key);
	/* "roles =" is a subject holding no role. */
	if (!*value && strcmp(key, "allow") != 0 && strcmp(key, "roles") != 0 &&
	    !is_attr_key(key))
		return st_bad(file, line, "'%s' needs a value", key);
	if (RG_GROW(sec->kv, sec->capkv, sec->nkv + 1) != RG_OK)
		return st_bad(file, line, "out of memory");
	kv = &sec->kv[sec->nkv];
	kv->line = line;
	kv->key = strdup(key);
	kv->value = strdup(value);
	sec->nkv++;
	if (!kv->key || !kv->value)
		return st_bad(file, line, "out of memory");
	return 0;
}

static int read_line(struct st_suite *s, char *raw, const char *file,
                     unsigned line)
{
	char *text = cli_trim(raw);
	size_t len = strlen(text);

	if (!*text || *text == '#' || *text == ';')
		return 0;
	if (*text != '[')
		return s->skipping ? -1 : add_kv(s, text, file, line);
	if (text[len - 1] != ']')
		return st_bad(file, line, "a section header must end with ']'");
	text[len - 1] = '\0';
	/* The keys of a bad section are not checked against another's. */
	s->skipping = add_section(s, cli_trim(text + 1), file, line) != 0;
	return s->skipping ? -1 : 0;
}

/*
 * Opens a suite as rolegate opens every file it reads (a regular file of
 * a bounded size: a FIFO or a device would block or never end).  NULL
 * after a message.
 */
static FILE *open_suite(const char *file)
{
	char why[256] = "";
	FILE *fp;
	int fd;
	int rc = rg_file_open(file, RG_FILE_MAX_TEXT, &fd, why, sizeof(why));

	if (rc != RG_OK) {
		cli_error("%s: cannot read: %s", file,
		          why[0] ? why : rg_strerror(rc));
		return NULL;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		cli_error("%s: cannot read: %s", file, strerror(errno));
		close(fd);
	}
	return fp;
}

/* Reads one file; every bad line is reported, then -1. */
static int read_file(struct st_suite *s, const char *file)
{
	FILE *fp = open_suite(file);
	char *buf = NULL;
	size_t cap = 0;
	unsigned line = 0;
	int ret = 0;

	if (!fp)
		return -1;
	while (getline(&buf, &cap, fp) != -1)
		if (read_line(s, buf, file, ++line) != 0)
			ret = -1;
	if (ferror(fp)) {
		cli_error("%s: read error", file);
		ret = -1;
	}
	free(buf);
	fclose(fp);
	return ret;
}

/*
 * Splits a list value into a NULL-terminated array of words to free with
 * cli_split_free(); NULL when out of memory.
 */
static char **words(const char *value)
{
	char **out = calloc(strlen(value) / 2 + 2, sizeof(*out));
	size_t n = 0;

	if (!out)
		return NULL;
	while (*value) {
		size_t len;

		value += strspn(value, ST_SEPARATORS);
		len = strcspn(value, ST_SEPARATORS);
		if (!len)
			break;
		out[n] = strndup(value, len);
		if (!out[n++]) {
			cli_split_free(out);
			return NULL;
		}
		value += len;
	}
	return out;
}

/* The words joined by sep, to free(); NULL when out of memory. */
static char *join(char **list, char sep)
{
	size_t i, len = 1, at = 0;
	char *out;

	for (i = 0; list[i]; i++)
		len += strlen(list[i]) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	for (i = 0; list[i]; i++) {
		size_t n = strlen(list[i]);

		if (i)
			out[at++] = sep;
		memcpy(out + at, list[i], n);
		at += n;
	}
	out[at] = '\0';
	return out;
}

/* The attr.KEY lines of a section as an array (pointing into it). */
static int section_attrs(const struct st_section *sec, rg_attr **out, size_t *n)
{
	size_t i, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < sec->nkv; i++) {
		if (!is_attr_key(sec->kv[i].key))
			continue;
		if (RG_GROW(*out, cap, *n + 1) != RG_OK)
			return st_bad(sec->file, sec->kv[i].line,
			              "out of memory");
		(*out)[*n].key = sec->kv[i].key + strlen(ST_ATTR_PREFIX);
		(*out)[(*n)++].value = sec->kv[i].value;
	}
	return 0;
}

/* Subjects are named per file: suites of different services may each
 * have their own "agent". */
static const struct st_subject *find_subject(const struct st_suite *s,
                                             const char *file, const char *name)
{
	size_t i;

	for (i = 0; i < s->nsubjects; i++)
		if (s->subjects[i].sec->file == file &&
		    strcmp(s->subjects[i].sec->name, name) == 0)
			return &s->subjects[i];
	return NULL;
}

/* A [subject] section into s->subjects. */
static int add_subject(struct st_suite *s, const struct st_section *sec)
{
	const struct st_kv *roles = find_kv(sec, "roles");
	const struct st_kv *user = find_kv(sec, "user");
	struct st_subject *subj;
	char **list;

	if (find_subject(s, sec->file, sec->name))
		return st_bad(sec->file, sec->line,
		              "subject '%s' defined twice", sec->name);
	if (!roles == !user)
		return st_bad(sec->file, sec->line,
		              "subject '%s' needs either 'roles' or 'user'",
		              sec->name);
	if (RG_GROW(s->subjects, s->capsubjects, s->nsubjects + 1))
		return st_bad(sec->file, sec->line, "out of memory");
	subj = &s->subjects[s->nsubjects++];
	memset(subj, 0, sizeof(*subj));
	subj->sec = sec;
	subj->user = user ? user->value : NULL;
	if (roles) {
		/* The API's ad-hoc subject takes "a,b". */
		list = words(roles->value);
		subj->roles = list ? join(list, ',') : NULL;
		cli_split_free(list);
		if (!subj->roles)
			return st_bad(sec->file, sec->line, "out of memory");
	}
	if (section_attrs(sec, &subj->attrs, &subj->nattrs) != 0)
		return -1;
	/* A directory user's attributes are the directory's: the API reads
	 * a subject's own attributes only for an ad-hoc subject. */
	if (user && subj->nattrs)
		return st_bad(sec->file, sec->line,
		              "subject '%s': attr.* lines are for 'roles' "
		              "subjects; a user's come from the directory",
		              sec->name);
	return 0;
}

const struct st_kv *st_suite_key(const struct st_suite *s, const char *file,
                                 const char *key)
{
	size_t i;
	const struct st_kv *kv;

	for (i = 0; i < s->nsecs; i++)
		if (s->secs[i].kind == ST_SUITE && s->secs[i].file == file &&
		    (kv = find_kv(&s->secs[i], key)) != NULL)
			return kv;
	return NULL;
}

/* The file's [suite] service, or NULL. */
static const char *default_service(const struct st_suite *s, const char *file)
{
	const struct st_kv *kv = st_suite_key(s, file, "service");

	return kv ? kv->value : NULL;
}

/* A new case at the end of s->cases, named name; NULL after a message. */
static struct st_case *new_case(struct st_suite *s,
                                const struct st_section *sec, unsigned line,
                                char *name)
{
	struct st_case *c;

	if (!name || RG_GROW(s->cases, s->capcases, s->ncases + 1)) {
		free(name);
		st_bad(sec->file, line, "out of memory");
		return NULL;
	}
	c = &s->cases[s->ncases++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->file = sec->file;
	c->line = line;
	c->service = find_kv(sec, "service") ? find_kv(sec, "service")->value
	                                     : default_service(s, sec->file);
	if (section_attrs(sec, &c->attrs, &c->nattrs) != 0)
		return NULL;
	return c;
}

/* The value of a required key, or NULL after a message. */
static const char *required(const struct st_section *sec, const char *key)
{
	const struct st_kv *kv = find_kv(sec, key);

	if (!kv)
		st_bad(sec->file, sec->line, "'%s' needs '%s'", sec->name, key);
	return kv ? kv->value : NULL;
}

static int add_test(struct st_suite *s, const struct st_section *sec)
{
	const char *subject = required(sec, "subject");
	const char *action = required(sec, "action");
	const char *expect = required(sec, "expect");
	const struct st_kv *kv = find_kv(sec, "expect");
	struct st_case *c;

	if (!subject || !action || !expect)
		return -1;
	if (strcmp(expect, "allow") != 0 && strcmp(expect, "deny") != 0)
		return st_bad(sec->file, kv->line,
		              "expect is 'allow' or 'deny', not '%s'", expect);
	c = new_case(s, sec, sec->line, strdup(sec->name));
	if (!c)
		return -1;
	c->subject = find_subject(s, sec->file, subject);
	if (!c->subject)
		return st_bad(sec->file, find_kv(sec, "subject")->line,
		              "unknown subject '%s'", subject);
	c->action = strdup(action);
	if (!c->action)
		return st_bad(sec->file, sec->line, "out of memory");
	c->expect_allow = strcmp(expect, "allow") == 0;
	c->reason =
	    find_kv(sec, "reason") ? find_kv(sec, "reason")->value : NULL;
	c->plugin =
	    find_kv(sec, "plugin") ? find_kv(sec, "plugin")->value : NULL;
	if (!c->service)
		return st_bad(sec->file, sec->line,
		              "'%s' needs 'service' (or a [suite] service)",
		              sec->name);
	return 0;
}

/* The line of the allow key listing pair "SUBJ:ACTION", or 0. */
static unsigned allowed_at(const struct st_section *sec, const char *subj,
                           const char *action)
{
	size_t i, j;
	unsigned at = 0;

	for (i = 0; i < sec->nkv && !at; i++) {
		char **list;

		if (strcmp(sec->kv[i].key, "allow") != 0)
			continue;
		list = words(sec->kv[i].value);
		for (j = 0; list && list[j] && !at; j++) {
			size_t slen = strlen(subj);

			if (strncmp(list[j], subj, slen) == 0 &&
			    list[j][slen] == ':' &&
			    strcmp(list[j] + slen + 1, action) == 0)
				at = sec->kv[i].line;
		}
		cli_split_free(list);
	}
	return at;
}

/* Every allow pair must name a listed subject and action. */
static int check_allow_pairs(const struct st_section *sec, char **subjects,
                             char **actions)
{
	size_t i, j;
	int ret = 0;

	for (i = 0; i < sec->nkv; i++) {
		char **list;

		if (strcmp(sec->kv[i].key, "allow") != 0)
			continue;
		list = words(sec->kv[i].value);
		if (!list)
			return st_bad(sec->file, sec->kv[i].line,
			              "out of memory");
		for (j = 0; list[j]; j++) {
			char *colon = strchr(list[j], ':');

			if (colon)
				*colon = '\0';
			if (!colon ||
			    !cli_list_has((const char *const *)subjects,
			                  list[j]) ||
			    !cli_list_has((const char *const *)actions,
			                  colon + 1))
				ret = st_bad(
				    sec->file, sec->kv[i].line,
				    "allow '%s%s%s' is not SUBJECT:ACTION "
				    "of this matrix's subjects and "
				    "actions",
				    list[j], colon ? ":" : "",
				    colon ? colon + 1 : "");
		}
		cli_split_free(list);
	}
	return ret;
}

/* One case per subject x action of a matrix. */
static int expand_matrix(struct st_suite *s, const struct st_section *sec,
                         char **subjects, char **actions)
{
	size_t i, j;

	for (i = 0; subjects[i]; i++) {
		const struct st_subject *subj =
		    find_subject(s, sec->file, subjects[i]);

		if (!subj)
			return st_bad(sec->file, find_kv(sec, "subjects")->line,
			              "unknown subject '%s'", subjects[i]);
		for (j = 0; actions[j]; j++) {
			unsigned at = allowed_at(sec, subjects[i], actions[j]);
			size_t len = strlen(sec->name) + strlen(subjects[i]) +
			             strlen(actions[j]) + 3;
			char *name = malloc(len);
			struct st_case *c;

			if (name)
				snprintf(name, len, "%s/%s/%s", sec->name,
				         subjects[i], actions[j]);
			c = new_case(s, sec, at ? at : sec->line, name);
			if (!c)
				return -1;
			c->subject = subj;
			c->action = strdup(actions[j]);
			if (!c->action)
				return st_bad(sec->file, sec->line,
				              "out of memory");
			c->expect_allow = at != 0;
			if (!c->service)
				return st_bad(sec->file, sec->line,
				              "'%s' needs 'service' (or a "
				              "[suite] service)",
				              sec->name);
		}
	}
	return 0;
}

static int add_matrix(struct st_suite *s, const struct st_section *sec)
{
	const char *sv = required(sec, "subjects");
	const char *av = required(sec, "actions");
	char **subjects = NULL, **actions = NULL;
	int ret = -1;

	if (!sv || !av)
		return -1;
	subjects = words(sv);
	actions = words(av);
	if (!subjects || !actions)
		st_bad(sec->file, sec->line, "out of memory");
	else if (check_allow_pairs(sec, subjects, actions) == 0)
		ret = expand_matrix(s, sec, subjects, actions);
	cli_split_free(subjects);
	cli_split_free(actions);
	return ret;
}

/* Subjects first: a test or matrix may name one defined below it. */
static int expand(struct st_suite *s)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < s->nsecs; i++)
		if (s->secs[i].kind == ST_SUBJECT &&
		    add_subject(s, &s->secs[i]) != 0)
			ret = -1;
	if (ret != 0)
		return ret;
	for (i = 0; i < s->nsecs; i++) {
		if (s->secs[i].kind == ST_TEST && add_test(s, &s->secs[i]) != 0)
			ret = -1;
		if (s->secs[i].kind == ST_MATRIX &&
		    add_matrix(s, &s->secs[i]) != 0)
			ret = -1;
	}
	return ret;
}

int st_load(struct st_suite *s, char *const *files, size_t nfiles)
{
	size_t i;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->files = calloc(nfiles + 1, sizeof(*s->files));
	if (!s->files) {
		cli_error("out of memory");
		return -1;
	}
	for (i = 0; i < nfiles; i++) {
		s->files[i] = strdup(files[i]);
		if (!s->files[i]) {
			cli_error("out of memory");
			return -1;
		}
		s->nfiles++;
		s->skipping = 0;
		if (read_file(s, s->files[i]) != 0)
			ret = -1;
	}
	if (ret == 0)
		ret = expand(s);
	if (ret == 0 && s->ncases == 0) {
		cli_error("the suites hold no test");
		ret = -1;
	}
	return ret;
}

void st_free(struct st_suite *s)
{
	size_t i, j;

	for (i = 0; i < s->ncases; i++) {
		free(s->cases[i].name);
		free(s->cases[i].action);
		free(s->cases[i].attrs);
	}
	for (i = 0; i < s->nsubjects; i++) {
		free(s->subjects[i].roles);
		free(s->subjects[i].attrs);
	}
	for (i = 0; i < s->nsecs; i++) {
		for (j = 0; j < s->secs[i].nkv; j++) {
			free(s->secs[i].kv[j].key);
			free(s->secs[i].kv[j].value);
		}
		free(s->secs[i].kv);
		free(s->secs[i].name);
	}
	for (i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	free(s->cases);
	free(s->subjects);
	free(s->secs);
	memset(s, 0, sizeof(*s));
}
