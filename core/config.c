/*
 * config.c - rolegate.conf: settings and services' stacks.
 *
 *   [rolegate]
 *   plugin_dir = PATH
 *   log_level = err|warning|notice|info|debug
 *
 *   [service NAME]
 *   description = TEXT
 *   stack = CONTROL PLUGIN [ARG ...]
 *
 * Every problem is a diagnostic naming file:line and what was expected.  A
 * problem inside a service becomes an entry of that service that always
 * fails, so the service denies instead of running a stack that is not the
 * one the administrator wrote.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_ARGS         64
#define REFRESH_MS_MIN   10
#define REFRESH_MS_MAX   3600000
#define BUSY_MS_MAX      600000
#define SERVICE_NAME_MAX 64
#define STACK_WORDS      (MAX_ARGS + 2)

enum section_kind {
	SEC_NONE,     /* before any section */
	SEC_SETTINGS, /* [rolegate] */
	SEC_SERVICE,  /* [service NAME] */
	SEC_IGNORED,  /* a bad section whose keys are not read */
	SEC_APP,      /* a section the application reads */
};

struct conf_read {
	struct rg_context *ctx;
	const char *file;
	enum section_kind kind;
	struct rg_service *svc;
	char app_section[RG_MSG_MAX];
	unsigned settings_line;
	unsigned log_level_line;
	unsigned state_dir_line;
	unsigned refresh_line;
	unsigned busy_line;
	int failed_alloc;
};

static int service_name_valid(const char *s)
{
	size_t n;

	if (!s || !*s)
		return 0;
	for (n = 0; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return n <= SERVICE_NAME_MAX;
}

/* Adds an always-failing entry to svc and reports the problem. */
static void break_service(struct conf_read *cr, struct rg_service *svc,
                          unsigned line, const char *text, const char *fmt, ...)
    RG_PRINTF(5, 6);

static void break_service(struct conf_read *cr, struct rg_service *svc,
                          unsigned line, const char *text, const char *fmt, ...)
{
	char msg[RG_MSG_MAX];
	rg_control broken;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rg_diag(cr->ctx, cr->file, line, "%s", msg);
	rg_control_broken(&broken);
	if (rg_service_add_entry(svc, text, &broken, "(invalid)", 0, NULL, line,
	                         RG_ECONFIG, msg) != RG_OK) {
		cr->failed_alloc = 1;
		return;
	}
	svc->entries[svc->nentries - 1]->refused = 1;
	if (!svc->refused)
		svc->refused = svc->entries[svc->nentries - 1];
}

/* 1 when the application reads this section itself. */
static int app_section(const struct conf_read *cr, const char *name)
{
	const rg_options *o = cr->ctx->opts;
	const char *const *n;
	size_t first = strcspn(name, " \t");

	if (!o || !o->app_sections || !o->app_conf)
		return 0;
	for (n = o->app_sections; *n; n++)
		if (strlen(*n) == first && strncmp(name, *n, first) == 0)
			return 1;
	return 0;
}

static int app_key(struct conf_read *cr, const char *key, const char *value,
                   unsigned line)
{
	const rg_options *o = cr->ctx->opts;
	char err[RG_MSG_MAX] = "";
	int rc;

	rc = o->app_conf(o->app_user, cr->app_section, key, value, cr->file,
	                 line, err, sizeof(err));
	if (rc != RG_OK)
		rg_diag(cr->ctx, cr->file, line, "%s",
		        err[0] ? err : rg_strerror(rc));
	return rc;
}

static int on_section(void *user, const char *name, unsigned line)
{
	struct conf_read *cr = user;
	const char *id;
	int rc;

	cr->svc = NULL;
	cr->kind = SEC_IGNORED;
	cr->ctx->diag_service = NULL; /* until a service's section opens */
	if (strcmp(name, "rolegate") == 0) {
		if (cr->settings_line)
			rg_diag(cr->ctx, cr->file, line,
			        "duplicate [rolegate] section (first at line "
			        "%u)",
			        cr->settings_line);
		else
			cr->settings_line = line;
		cr->kind = SEC_SETTINGS;
		return RG_OK;
	}
	if (app_section(cr, name)) {
		rg_strlcpy(cr->app_section, name, sizeof(cr->app_section));
		cr->kind = SEC_APP;
		if (cr->ctx->opts->flags & RG_OPEN_APP_SECTION_OPEN)
			return app_key(cr, NULL, NULL, line);
		return RG_OK;
	}
	if (strncmp(name, "service", strlen("service")) != 0 ||
	    (name[strlen("service")] != ' ' &&
	     name[strlen("service")] != '\t')) {
		rg_diag(cr->ctx, cr->file, line,
		        "unknown section [%s]: expected [rolegate] or "
		        "[service NAME]",
		        name);
		return RG_ECONFIG;
	}
	id = rg_trim((char *)name + strlen("service"));
	if (!service_name_valid(id)) {
		rg_diag(cr->ctx, cr->file, line,
		        "invalid service name '%s': expected letters, digits, "
		        "'-', '_' or '.' (at most %d)",
		        id, SERVICE_NAME_MAX);
		return RG_ECONFIG;
	}
	rc = rg_service_new(cr->ctx, id, cr->file, line, &cr->svc);
	if (rc == RG_OK || rc == RG_EEXIST)
		cr->ctx->diag_service = cr->svc->name;
	if (rc == RG_EEXIST) {
		/* Two definitions: neither is trusted. */
		break_service(cr, cr->svc, line, "(duplicate service)",
		              "duplicate [service %s] (first at line %u): the "
		              "service denies everything",
		              id, cr->svc->line);
		cr->svc = NULL;
		return RG_ECONFIG;
	}
	if (rc != RG_OK) {
		cr->failed_alloc = 1;
		return rc;
	}
	cr->kind = SEC_SERVICE;
	return RG_OK;
}

/* A path setting: resolved against the config's directory. */
static int path_setting(struct conf_read *cr, const char *key,
                        const char *value, unsigned line, char **dst,
                        unsigned *seen)
{
	if (*seen) {
		rg_diag(cr->ctx, cr->file, line,
		        "duplicate key '%s' (first at line %u)", key, *seen);
		return RG_ECONFIG;
	}
	if (!*value) {
		rg_diag(cr->ctx, cr->file, line, "%s needs a path", key);
		return RG_ECONFIG;
	}
	*seen = line;
	free(*dst);
	/* A PostgreSQL directory is a connection string, not a path. */
	if (dst == &cr->ctx->directory && rg_location_is_pg(value))
		*dst = rg_strdup(value);
	else
		*dst = rg_path_join(cr->ctx->config_dir, value);
	return *dst ? RG_OK : RG_ENOMEM;
}

/* A number setting in [min, max]. */
static int number_setting(struct conf_read *cr, const char *key,
                          const char *value, unsigned line, long min, long max,
                          long *dst, unsigned *seen)
{
	char *end;
	long n;

	if (*seen) {
		rg_diag(cr->ctx, cr->file, line,
		        "duplicate key '%s' (first at line %u)", key, *seen);
		return RG_ECONFIG;
	}
	n = strtol(value, &end, 10);
	if (!*value || *end || n < min || n > max) {
		rg_diag(cr->ctx, cr->file, line,
		        "%s = '%s': expected a whole number from %ld to %ld",
		        key, value, min, max);
		return RG_ECONFIG;
	}
	*seen = line;
	*dst = n;
	return RG_OK;
}

static int settings_key(struct conf_read *cr, const char *key,
                        const char *value, unsigned line)
{
	struct rg_context *ctx = cr->ctx;

	if (strcmp(key, "plugin_dir") == 0)
		return path_setting(cr, key, value, line, &ctx->plugin_dir,
		                    &ctx->plugin_dir_line);
	if (strcmp(key, "directory") == 0)
		return path_setting(cr, key, value, line, &ctx->directory,
		                    &ctx->directory_line);
	if (strcmp(key, "state_dir") == 0)
		return path_setting(cr, key, value, line, &ctx->state_dir,
		                    &cr->state_dir_line);
	if (strcmp(key, "directory_refresh_ms") == 0)
		return number_setting(cr, key, value, line, REFRESH_MS_MIN,
		                      REFRESH_MS_MAX, &ctx->refresh_ms,
		                      &cr->refresh_line);
	if (strcmp(key, "directory_busy_timeout_ms") == 0)
		return number_setting(cr, key, value, line, 0, BUSY_MS_MAX,
		                      &ctx->busy_timeout_ms, &cr->busy_line);
	if (strcmp(key, "log_level") == 0) {
		int level = rg_log_level_parse(value);
		if (level < 0) {
			rg_diag(ctx, cr->file, line,
			        "log_level '%s': expected err, warning, "
			        "notice, info or debug",
			        value);
			return RG_ECONFIG;
		}
		if (cr->log_level_line) {
			rg_diag(ctx, cr->file, line,
			        "duplicate key 'log_level' (first at line %u)",
			        cr->log_level_line);
			return RG_ECONFIG;
		}
		cr->log_level_line = line;
		ctx->log_level = level;
		return RG_OK;
	}
	rg_diag(ctx, cr->file, line,
	        "unknown key '%s' in [rolegate]: expected plugin_dir, "
	        "log_level, state_dir, directory, directory_refresh_ms or "
	        "directory_busy_timeout_ms",
	        key);
	return RG_ECONFIG;
}

/* Splits "CONTROL PLUGIN ARGS": the control may be a [table] with blanks. */
static int split_control(char *value, char **control, char **rest)
{
	char *s = rg_trim(value);

	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close)
			return RG_ECONFIG;
		*control = s;
		if (close[1] && close[1] != ' ' && close[1] != '\t')
			return RG_ECONFIG;
		*rest = close[1] ? close + 2 : close + 1;
		close[1] = '\0';
		return RG_OK;
	}
	*control = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*rest = s;
	return RG_OK;
}

static int stack_key(struct conf_read *cr, const char *value, unsigned line)
{
	char err[RG_MSG_MAX];
	char *copy = rg_strdup(value);
	char *control = NULL, *rest = NULL, *words[STACK_WORDS];
	rg_control ctl;
	int n, rc = RG_OK;

	if (!copy)
		return RG_ENOMEM;
	if (!*rg_trim(copy)) {
		break_service(cr, cr->svc, line, value,
		              "stack needs CONTROL PLUGIN [ARG ...]");
		goto out;
	}
	if (split_control(copy, &control, &rest) != RG_OK) {
		break_service(cr, cr->svc, line, value,
		              "control table '%s' is not closed with ']' "
		              "followed by a blank",
		              value);
		goto out;
	}
	if (rg_control_parse(control, &ctl, err, sizeof(err)) != RG_OK) {
		break_service(cr, cr->svc, line, value, "%s", err);
		goto out;
	}
	n = rg_split_words(rest, words, STACK_WORDS);
	if (n < 0) {
		break_service(cr, cr->svc, line, value,
		              "too many plugin arguments (at most %d)",
		              MAX_ARGS);
		goto out;
	}
	if (n == 0) {
		break_service(cr, cr->svc, line, value,
		              "stack line names no plugin: expected CONTROL "
		              "PLUGIN [ARG ...]");
		goto out;
	}
	if (!rg_name_valid(words[0], RG_ID_MAX - 1)) {
		break_service(cr, cr->svc, line, value,
		              "invalid plugin name '%s': expected letters, "
		              "digits, '-' or '_'",
		              words[0]);
		goto out;
	}
	rc = rg_service_add_entry(cr->svc, control, &ctl, words[0], n - 1,
	                          words + 1, line, RG_OK, NULL);
out:
	free(copy);
	return rc;
}

static int service_key(struct conf_read *cr, const char *key, const char *value,
                       unsigned line)
{
	struct rg_service *svc = cr->svc;

	if (strcmp(key, "stack") == 0)
		return stack_key(cr, value, line);
	if (strcmp(key, "description") == 0) {
		if (svc->description) {
			rg_diag(cr->ctx, cr->file, line,
			        "duplicate key 'description'");
			return RG_ECONFIG;
		}
		svc->description = rg_strdup(value);
		return svc->description ? RG_OK : RG_ENOMEM;
	}
	break_service(cr, svc, line, key,
	              "unknown key '%s' in [service %s]: expected stack or "
	              "description; the service denies everything",
	              key, svc->name);
	return RG_ECONFIG;
}

static int on_key(void *user, const char *section, const char *key,
                  const char *value, unsigned line)
{
	struct conf_read *cr = user;

	switch (cr->kind) {
	case SEC_NONE:
		rg_diag(cr->ctx, cr->file, line,
		        "'%s' outside any section: expected [rolegate] or "
		        "[service NAME] first",
		        key);
		return RG_ECONFIG;
	case SEC_SETTINGS:
		return settings_key(cr, key, value, line);
	case SEC_SERVICE:
		return service_key(cr, key, value, line);
	case SEC_APP:
		return app_key(cr, key, value, line);
	case SEC_IGNORED:
		break;
	}
	return RG_OK;
}

static void on_syntax(void *user, unsigned line, const char *msg)
{
	struct conf_read *cr = user;

	/* A garbled line inside a service may have been a stack line. */
	if (cr->kind == SEC_SERVICE && cr->svc)
		break_service(cr, cr->svc, line, "(unreadable line)",
		              "%s; [service %s] denies everything", msg,
		              cr->svc->name);
	else
		rg_diag(cr->ctx, cr->file, line, "%s", msg);
}

int rg_config_read(struct rg_context *ctx, char *errbuf, size_t errlen)
{
	char why[RG_MSG_MAX];
	struct conf_read cr;
	size_t i;
	int rc;

	memset(&cr, 0, sizeof(cr));
	cr.ctx = ctx;
	cr.file = ctx->config_path;
	cr.kind = SEC_NONE;
	rc = rg_ini_parse_path(ctx->config_path, on_section, on_key, on_syntax,
	                       &cr, why, sizeof(why));
	if (rc != RG_OK && rc != RG_ECONFIG) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s: cannot read: %s",
			         ctx->config_path, why);
		return rc;
	}
	ctx->diag_service = NULL;
	if (cr.failed_alloc)
		return RG_ENOMEM;
	for (i = 0; i < ctx->nservices; i++) {
		ctx->diag_service = ctx->services[i]->name;
		rg_stack_lint(ctx, ctx->services[i]);
	}
	ctx->diag_service = NULL;
	return RG_OK;
}
