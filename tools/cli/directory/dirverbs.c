/*
 * dirverbs.c - what the directory commands share: the transaction runner,
 * messages and exit statuses, reading users, tables.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dirverbs.h"

#define DIRECTORY_WORD     "directory "
#define DIRECTORY_WORD_LEN ((ptrdiff_t)sizeof(DIRECTORY_WORD) - 1)

static int report_failure(struct admin *a, int rc, const char *msg, int status);
static int unavailable(struct admin *a);
static void log_print(struct admin *a);

/* ---- the runner -------------------------------------------------------- */

int admin_open(struct admin *a, struct cli *cli, const struct cli_cmd *cmd,
               const struct cli_args *args, const char *service)
{
	memset(a, 0, sizeof(*a));
	a->cli = cli;
	a->cmd = cmd;
	a->args = args;
	a->service = service;
	a->changes = json_array();
	a->extra = json_object();
	if (!a->changes || !a->extra) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	/* Kept until it is known which lines the command says itself. */
	cli->log_capture = json_array();
	if (cli_open(cli, &a->ctx) != CLI_EXIT_OK)
		return CLI_EXIT_ERROR;
	if (!rg_directory_available(a->ctx))
		return unavailable(a);
	log_print(a);
	if (service) {
		a->svc = rg_service_find(a->ctx, service);
		if (!a->svc) {
			admin_refuse(a, RG_ENOSERVICE,
			             "unknown service '%s' in %s", service,
			             rg_config_path(a->ctx));
			return report_failure(a, RG_ENOSERVICE, a->err,
			                      CLI_EXIT_ERROR);
		}
	}
	return CLI_EXIT_OK;
}

/* 1 when a library log line says msg (possibly after a "what: " prefix). */
static int says(const char *line, const char *msg)
{
	size_t len = strlen(line), mlen = strlen(msg);

	if (!mlen)
		return 0;
	if (strcmp(line, msg) == 0)
		return 1;
	return len > mlen + 1 && strcmp(line + len - mlen, msg) == 0 &&
	       line[len - mlen - 2] == ':' && line[len - mlen - 1] == ' ';
}

/* Forgets the captured log lines that say msg: the tool prints it itself. */
static void log_drop(struct admin *a, const char *msg)
{
	json_t *lines = a->cli ? a->cli->log_capture : NULL;
	size_t i = 0;

	while (msg && i < json_array_size(lines)) {
		if (says(json_string_value(json_array_get(lines, i)), msg))
			json_array_remove(lines, i);
		else
			i++;
	}
}

/* Forgets the captured lines that say any string of arr. */
static void log_drop_all(struct admin *a, const json_t *arr)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		log_drop(a, json_string_value(json_array_get(arr, i)));
}

/* The last line the library logged during the command, or NULL. */
static const char *log_last(const struct admin *a)
{
	json_t *lines = a->cli ? a->cli->log_capture : NULL;
	size_t n = json_array_size(lines);

	return n ? json_string_value(json_array_get(lines, n - 1)) : NULL;
}

/* Prints what the library logged that the tool did not say itself. */
static void log_flush(struct admin *a)
{
	json_t *lines = a->cli ? a->cli->log_capture : NULL;
	size_t i;

	if (!lines)
		return;
	a->cli->log_capture = NULL;
	for (i = 0; i < json_array_size(lines); i++)
		fprintf(stderr, "%s: %s\n", CLI_NAME,
		        json_string_value(json_array_get(lines, i)));
	json_decref(lines);
}

/* Prints the lines kept so far, and keeps capturing. */
static void log_print(struct admin *a)
{
	json_t *lines = a->cli->log_capture;

	log_flush(a);
	a->cli->log_capture = lines ? json_array() : NULL;
}

/*
 * The context has no directory: says why, from the diagnostic the library
 * made when the location was given (config or --directory), else from its
 * log with -v.
 */
static int unavailable(struct admin *a)
{
	const char *where = rg_directory_location(a->ctx);
	size_t i, n = rg_diagnostic_count(a->ctx);
	const char *why = NULL;

	/* The library's message names the location: "directory LOC is
	 * ..." or "directory LOC: ...", after the config's file:line. */
	for (i = 0; i < n && !why; i++) {
		const char *d = rg_diagnostic(a->ctx, i);
		const char *at = d && *where ? strstr(d, where) : NULL;

		if (at && at - d >= DIRECTORY_WORD_LEN &&
		    strncmp(at - DIRECTORY_WORD_LEN, DIRECTORY_WORD,
		            DIRECTORY_WORD_LEN) == 0)
			why = at - DIRECTORY_WORD_LEN;
	}
	if (why)
		admin_refuse(a, RG_EIO, "%s", why);
	else
		admin_refuse(a, RG_EIO,
		             "the directory %s cannot be opened (rolegate -v "
		             "says why)",
		             where);
	return report_failure(a, RG_EIO, a->err, CLI_EXIT_ERROR);
}

void admin_close(struct admin *a)
{
	log_flush(a);
	rg_txn_abort(a->txn);
	rg_close(a->ctx);
	json_decref(a->changes);
	json_decref(a->extra);
	memset(a, 0, sizeof(*a));
}

int admin_exit(int rc)
{
	switch (rc) {
	case RG_OK:
		return CLI_EXIT_OK;
	case RG_ENOUSER:
	case RG_ENOROLE:
	case RG_ENOACTION:
	case RG_ENOENT:
	case RG_EEXIST:
	case RG_EBUSY: /* in use; a locked database fails in begin */
	case RG_EREFUSED:
	case RG_EINVAL:
	case RG_ELIMIT:
		return CLI_EXIT_NO;
	default:
		return CLI_EXIT_ERROR;
	}
}

void admin_note(struct admin *a, const char *fmt, ...)
{
	char line[ADMIN_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(a->changes, cli_jstr(line, 0));
}

int admin_refuse(struct admin *a, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * The failure's message: the tool's own, the transaction's, what the
 * library logged (a read returns a status only), else the status'.
 */
static const char *failure_message(const struct admin *a, int rc)
{
	if (a->err[0])
		return a->err;
	if (a->txn && rg_txn_error(a->txn)[0])
		return rg_txn_error(a->txn);
	if (log_last(a))
		return log_last(a);
	return rg_strerror(rc);
}

static json_t *result_json(const struct admin *a, int rc, const char *msg,
                           json_t *warnings)
{
	json_t *obj;

	obj = json_pack("{s:b s:s s:o s:O s:o}", "ok", rc == RG_OK, "command",
	                a->cmd->name, "service", cli_jstr(a->service, 0),
	                "changes", a->changes, "warnings",
	                warnings ? warnings : json_array());
	if (obj && rc != RG_OK) {
		json_object_set_new(obj, "status",
		                    json_string(rg_status_name(rc)));
		json_object_set_new(obj, "error", cli_jstr(msg, 0));
	}
	if (obj)
		json_object_update(obj, a->extra);
	return obj;
}

/* Prints a failure: the message on stderr, and the result with --json. */
static int report_failure(struct admin *a, int rc, const char *msg, int status)
{
	char copy[ADMIN_MSG_MAX];

	/* msg may be a captured line: copy it before dropping that. */
	snprintf(copy, sizeof(copy), "%s", msg);
	msg = copy;
	log_drop(a, msg);
	/* Nothing of a failed command was done. */
	json_array_clear(a->changes);
	cli_error("%s: %s", a->cmd->name, msg);
	if (a->args->json)
		return cli_json_print(result_json(a, rc, msg, NULL), status);
	return status;
}

int admin_fail(struct admin *a, int rc)
{
	return report_failure(a, rc, failure_message(a, rc), admin_exit(rc));
}

static json_t *txn_warnings(const rg_txn *txn)
{
	size_t i, n = rg_txn_warning_count(txn);
	json_t *arr = json_array();

	for (i = 0; arr && i < n; i++)
		json_array_append_new(arr, cli_jstr(rg_txn_warning(txn, i), 0));
	return arr;
}

static int report_success(struct admin *a, json_t *warnings)
{
	size_t i;

	log_drop_all(a, warnings);
	if (a->args->json)
		return cli_json_print(result_json(a, RG_OK, NULL, warnings),
		                      CLI_EXIT_OK);
	for (i = 0; i < json_array_size(warnings); i++)
		fprintf(stderr, "warning: %s\n",
		        json_string_value(json_array_get(warnings, i)));
	json_decref(warnings);
	for (i = 0; i < json_array_size(a->changes); i++)
		puts(json_string_value(json_array_get(a->changes, i)));
	return CLI_EXIT_OK;
}

/* Starts the transaction; on failure prints why and returns the exit. */
static int begin(struct admin *a)
{
	char err[ADMIN_MSG_MAX] = "";
	char *command = cli_command_line(a->cli);
	char *actor = cli_actor();
	int rc = RG_ENOMEM;

	if (command && actor)
		rc = rg_txn_begin(a->ctx, a->service, actor, command, &a->txn,
		                  err, sizeof(err));
	free(command);
	free(actor);
	if (rc == RG_OK)
		return CLI_EXIT_OK;
	a->txn = NULL;
	/* Locked, read-only, unusable: a system failure, never "refused". */
	return report_failure(a, rc, err[0] ? err : rg_strerror(rc),
	                      CLI_EXIT_ERROR);
}

int admin_run(struct admin *a, admin_op op, void *data)
{
	char msg[ADMIN_MSG_MAX];
	json_t *warnings;
	int rc, ret;

	if (begin(a) != CLI_EXIT_OK)
		return CLI_EXIT_ERROR;
	rc = op(a, data);
	if (rc != RG_OK) {
		snprintf(msg, sizeof(msg), "%s", failure_message(a, rc));
		/* Rolled back: its warnings no longer apply. */
		warnings = txn_warnings(a->txn);
		log_drop_all(a, warnings);
		json_decref(warnings);
		rg_txn_abort(a->txn);
		a->txn = NULL;
		return report_failure(a, rc, msg, admin_exit(rc));
	}
	warnings = txn_warnings(a->txn);
	rc = rg_txn_commit(a->txn);
	a->txn = NULL;
	if (rc != RG_OK) {
		json_decref(warnings);
		snprintf(msg, sizeof(msg),
		         "cannot commit to the directory %s: %s",
		         rg_directory_location(a->ctx), rg_strerror(rc));
		return report_failure(a, rc, msg, CLI_EXIT_ERROR);
	}
	ret = report_success(a, warnings);
	return ret;
}

const char *admin_value(const char *option)
{
	return option && *option ? option : NULL;
}

int admin_need_role(struct admin *a, const char *role, const char *noun)
{
	if (rg_role_find(a->svc, role) >= 0)
		return RG_OK;
	return admin_refuse(a, RG_ENOROLE,
	                    "service '%s' has no role %s (the %s workflow "
	                    "needs it)",
	                    a->service, role, noun);
}

/* ---- reading users ----------------------------------------------------- */

struct user_copy {
	struct admin_user *u;
	int rc;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

char **admin_split(const char *list)
{
	return cli_split(list ? list : "", "list");
}

static int copy_user(void *user, const rg_user_info *info)
{
	struct user_copy *c = user;

	c->rc = admin_user_copy(c->u, info);
	return 1;
}

/* The n strings of v copied into *out (NULL when n is 0); on RG_ENOMEM
 * those not copied are NULL, for strv_free(). */
static int strv_copy(const char *const *v, size_t n, const char *const **out)
{
	char **c = n ? calloc(n, sizeof(*c)) : NULL;
	size_t i;

	*out = (const char *const *)c;
	if (n && !c)
		return RG_ENOMEM;
	for (i = 0; i < n; i++)
		if (!(c[i] = strdup(v[i])))
			return RG_ENOMEM;
	return RG_OK;
}

static void strv_free(const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free((void *)v[i]);
	free((void *)v);
}

/* The copy's attribute and membership arrays, the memberships split. */
static int copy_pairs(struct admin_user *u, const rg_user_info *info)
{
	rg_user_info *c = &u->info;
	size_t i;
	int rc;

	c->nattrs = info->nattrs;
	c->nmembers = info->nmembers;
	rc = strv_copy(info->attr_keys, info->nattrs, &c->attr_keys);
	if (rc == RG_OK)
		rc =
		    strv_copy(info->attr_values, info->nattrs, &c->attr_values);
	if (rc == RG_OK)
		rc = strv_copy(info->member_kinds, info->nmembers,
		               &c->member_kinds);
	if (rc == RG_OK)
		rc = strv_copy(info->member_names, info->nmembers,
		               &c->member_names);
	if (rc == RG_OK && info->nmembers &&
	    !(u->members = calloc(info->nmembers, sizeof(*u->members))))
		rc = RG_ENOMEM;
	for (i = 0; rc == RG_OK && i < info->nmembers; i++)
		if (!(u->members[i] = admin_split(c->member_names[i])))
			rc = RG_ENOMEM;
	return rc;
}

int admin_user_copy(struct admin_user *u, const rg_user_info *info)
{
	rg_user_info *c = &u->info;
	char *service = dup_or_null(info->service);
	char *id = strdup(info->id);
	char *name = strdup(info->name ? info->name : info->id);
	char *roles = strdup(info->roles ? info->roles : "");
	int rc;

	memset(u, 0, sizeof(*u));
	c->service = service;
	c->id = id;
	c->name = name;
	c->roles = roles;
	u->roles = admin_split(roles);
	rc = (info->service && !service) || !id || !name || !roles || !u->roles
	         ? RG_ENOMEM
	         : copy_pairs(u, info);
	if (rc != RG_OK)
		admin_user_free(u);
	return rc;
}

int admin_user_get(struct admin *a, const char *id, struct admin_user *u)
{
	struct user_copy c = {u, RG_OK};
	int rc;

	memset(u, 0, sizeof(*u));
	rc = rg_user_get(a->ctx, a->service, id, copy_user, &c);
	if (rc == RG_OK && !u->info.id && c.rc == RG_OK)
		rc = RG_ENOUSER;
	if (rc == RG_OK)
		rc = c.rc;
	if (rc == RG_ENOUSER)
		admin_refuse(a, rc, "unknown user '%s' in service '%s'", id,
		             a->service);
	if (rc != RG_OK)
		admin_user_free(u);
	return rc;
}

void admin_user_free(struct admin_user *u)
{
	rg_user_info *c = &u->info;
	size_t i;

	free((void *)c->service);
	free((void *)c->id);
	free((void *)c->name);
	free((void *)c->roles);
	strv_free(c->attr_keys, c->nattrs);
	strv_free(c->attr_values, c->nattrs);
	strv_free(c->member_kinds, c->nmembers);
	strv_free(c->member_names, c->nmembers);
	for (i = 0; u->members && i < c->nmembers; i++)
		cli_split_free(u->members[i]);
	free(u->members);
	cli_split_free(u->roles);
	memset(u, 0, sizeof(*u));
}

char **admin_user_members(const struct admin_user *u, const char *kind)
{
	size_t i;

	for (i = 0; u->members && i < u->info.nmembers; i++)
		if (strcmp(u->info.member_kinds[i], kind) == 0)
			return u->members[i];
	return NULL;
}

const char *admin_user_attr(const struct admin_user *u, const char *attr)
{
	return rg_user_info_attr(&u->info, attr);
}

int admin_user_has(const struct admin_user *u, const char *role)
{
	return cli_list_has((const char *const *)u->roles, role);
}

json_t *admin_jlist(char **items)
{
	return cli_jlist((const char *const *)items);
}

int admin_run_simple(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args, admin_op op)
{
	struct admin a;
	int ret;

	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	if (ret == CLI_EXIT_OK)
		ret = admin_run(&a, op, NULL);
	admin_close(&a);
	return ret;
}

/* ---- tables ------------------------------------------------------------ */

/* A list member as text: the strings joined by ",", else "-". */
static void join_member(const json_t *v, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "",
		                 json_string_value(json_array_get(v, i)));

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* Room for one cell of a table. */
#define CELL_MAX 1024

/* Columns of a table at most. */
#define TABLE_COLS_MAX 16

void admin_print_table(const json_t *rows, const char *const *keys,
                       const char *const *headings, size_t ncols)
{
	char cell[CELL_MAX];
	size_t i, c, width[TABLE_COLS_MAX] = {0};

	if (ncols > RG_COUNTOF(width))
		ncols = RG_COUNTOF(width);
	for (c = 0; c < ncols; c++)
		width[c] = strlen(headings[c]);
	for (i = 0; i < json_array_size(rows); i++)
		for (c = 0; c < ncols; c++) {
			join_member(
			    json_object_get(json_array_get(rows, i), keys[c]),
			    cell, sizeof(cell));
			if (strlen(cell) > width[c])
				width[c] = strlen(cell);
		}
	for (c = 0; c < ncols; c++)
		printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0, headings[c],
		       c + 1 < ncols ? "  " : "\n");
	for (i = 0; i < json_array_size(rows); i++)
		for (c = 0; c < ncols; c++) {
			join_member(
			    json_object_get(json_array_get(rows, i), keys[c]),
			    cell, sizeof(cell));
			printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0,
			       cell, c + 1 < ncols ? "  " : "\n");
		}
}
