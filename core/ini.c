/*
 * ini.c - the one wrapper around inih.  Every inih call is in this file.
 *
 * inih tells a handler the section, key and value but not the line; it
 * returns only the first error's line.  We feed it through our own line
 * reader, which counts lines (so every callback knows its line), refuses
 * over-long lines instead of letting them be split, and notices content lines
 * that inih skipped without calling the handler: those are syntax errors,
 * and each is reported with its own line number.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A comment line handed to inih in place of a line we refused. */
#define REFUSED_LINE ";\n"

struct ini_reader {
	FILE *f;
	char *buf;
	size_t cap;
	unsigned line; /* line number of the line inih is processing */
	int pending;   /* that line needs a handler call */
	int failed;    /* any error so far */
	rg_ini_key_fn key;
	rg_ini_section_fn section;
	rg_ini_error_fn err;
	void *user;
};

static void syntax_error(struct ini_reader *r, unsigned line, const char *msg)
{
	r->failed = 1;
	if (r->err)
		r->err(r->user, line, msg);
}

/* The line inih just processed was content, yet no handler ran for it. */
static void settle_previous(struct ini_reader *r)
{
	if (r->pending)
		syntax_error(r, r->line, "expected KEY = VALUE");
	r->pending = 0;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

/* Classifies a raw line: what must happen for it to be valid. */
static void classify(struct ini_reader *r, const char *raw)
{
	const char *s = skip_blanks(raw);

	if (*s == '\0' || *s == '\n' || *s == ';' || *s == '#')
		return; /* blank or comment */
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close) {
			syntax_error(r, r->line,
			             "expected ']' to close the section name");
			return;
		}
		/* inih calls no handler for a section without keys, so
		 * sections are announced from here. */
		if (r->section) {
			char name[RG_MSG_MAX];
			size_t len = (size_t)(close - s - 1);
			if (len >= sizeof(name))
				len = sizeof(name) - 1;
			memcpy(name, s + 1, len);
			name[len] = '\0';
			if (r->section(r->user, rg_trim(name), r->line) !=
			    RG_OK)
				r->failed = 1;
		}
		return;
	}
	r->pending = 1;
}

static char *reader(char *str, int num, void *stream)
{
	struct ini_reader *r = stream;
	ssize_t len;

	settle_previous(r);
	len = getline(&r->buf, &r->cap, r->f);
	if (len < 0)
		return NULL;
	r->line++;
	/* inih needs room for the newline and the terminator. */
	if (len > num - 2 && !(len == num - 1 && r->buf[len - 1] == '\n')) {
		char msg[RG_MSG_MAX];
		snprintf(msg, sizeof(msg),
		         "line too long (at most %d characters)", num - 2);
		syntax_error(r, r->line, msg);
		rg_strlcpy(str, REFUSED_LINE, (size_t)num);
		return str;
	}
	classify(r, r->buf);
	rg_strlcpy(str, r->buf, (size_t)num);
	return str;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
	struct ini_reader *r = user;

	r->pending = 0;
	if (r->key(r->user, section, name, value ? value : "", r->line) !=
	    RG_OK)
		r->failed = 1;
	/* Always go on: every problem in the file should be reported. */
	return 1;
}

int rg_ini_parse_path(const char *path, rg_ini_section_fn section,
                      rg_ini_key_fn key, rg_ini_error_fn err, void *user,
                      char *why, size_t whylen)
{
	struct ini_reader r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.section = section;
	r.key = key;
	r.err = err;
	r.user = user;
	rc = rg_file_fopen(path, RG_FILE_MAX_TEXT, &r.f, why, whylen);
	if (rc != RG_OK)
		return rc;
	rc = ini_parse_stream(reader, &r, handler, &r);
	settle_previous(&r);
	if (rc > 0 && !r.failed)
		syntax_error(&r, (unsigned)rc, "syntax error");
	if (rc == -1 || ferror(r.f)) {
		rg_strlcpy(why, "input/output error", whylen);
		rc = RG_EIO;
	} else if (rc != 0 || r.failed)
		rc = RG_ECONFIG;
	fclose(r.f);
	free(r.buf);
	return rc;
}

/* ---- rg_ini_read(): the same reader, offered to plugins ----------------- */

struct plugin_ini {
	rg_plugin_handle *h;
	const char *file;
	rg_ini_fn fn;
	void *user;
	char section[RG_MSG_MAX];
};

static int plugin_section(void *user, const char *section, unsigned line)
{
	struct plugin_ini *p = user;

	rg_strlcpy(p->section, section, sizeof(p->section));
	return RG_OK;
}

static int plugin_key(void *user, const char *section, const char *key,
                      const char *value, unsigned line)
{
	struct plugin_ini *p = user;
	rg_ini_pos pos = {p->file, line};

	return p->fn(p->user, p->section, key, value, &pos);
}

static void plugin_error(void *user, unsigned line, const char *msg)
{
	struct plugin_ini *p = user;

	rg_plugin_error(p->h, p->file, line, "%s", msg);
}

int rg_ini_read(rg_plugin_handle *h, const char *path, rg_ini_fn fn, void *user)
{
	char why[RG_MSG_MAX];
	struct plugin_ini p;
	char *full;
	int rc;

	if (!h || !path || !fn)
		return RG_EINVAL;
	full = rg_path_join(rg_plugin_config_dir(h), path);
	if (!full)
		return RG_ENOMEM;
	memset(&p, 0, sizeof(p));
	p.h = h;
	p.file = full;
	p.fn = fn;
	p.user = user;
	rc = rg_ini_parse_path(full, plugin_section, plugin_key, plugin_error,
	                       &p, why, sizeof(why));
	if (rc != RG_OK && rc != RG_ECONFIG)
		rg_plugin_error(h, NULL, 0, "cannot read %s: %s", full, why);
	else if (rc == RG_ECONFIG)
		rc = RG_EPOLICY;
	free(full);
	return rc;
}
