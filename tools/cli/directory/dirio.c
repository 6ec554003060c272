/*
 * dirio.c - the directory as a whole: rolegate import, export, audit,
 * directory verify and directory path.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dirverbs.h"

#define MS_PER_S  1000L
#define NS_PER_MS 1000000L
/* A terminal's progress counter is redrawn at most this often. */
#define TTY_REDRAW_MS 100L
/* Non-terminal progress: one line per this many percent. */
#define PROGRESS_STEP_PCT 10
#define PCT               100

/* ---- import ------------------------------------------------------------ */

struct progress {
	int tty;           /* stderr is a terminal: redraw one line */
	int drawn;         /* something is on the terminal's line */
	int last_step;     /* the last percentage step printed */
	long start_ms;     /* when the import began */
	long last_draw_ms; /* when the terminal line was last drawn */
	size_t total;      /* users in the file, once the library said */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

static int percent(size_t done, size_t total)
{
	if (total == 0)
		return 0;
	if (done >= total)
		return PCT;
	return (int)((double)done * PCT / (double)total);
}

static void draw_tty(struct progress *p, size_t done, size_t total)
{
	long now = now_ms();

	if (p->drawn && done < total && now - p->last_draw_ms < TTY_REDRAW_MS)
		return;
	p->last_draw_ms = now;
	p->drawn = 1;
	if (total)
		fprintf(stderr, "\rimporting: %zu/%zu (%d%%)", done, total,
		        percent(done, total));
	else
		fprintf(stderr, "\rimporting: %zu", done);
	fflush(stderr);
}

/* Called by the library as the import goes; never cancels. */
static int import_progress(void *user, size_t done, size_t total)
{
	struct progress *p = user;
	int step;

	p->total = total;
	if (p->tty) {
		draw_tty(p, done, total);
		return 0;
	}
	if (total == 0)
		return 0;
	step = percent(done, total) / PROGRESS_STEP_PCT * PROGRESS_STEP_PCT;
	if (step > p->last_step) {
		p->last_step = step;
		fprintf(stderr, "import: %d%% (%zu/%zu)\n", step, done, total);
		fflush(stderr);
	}
	return 0;
}

int admin_cmd_import(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args)
{
	const char *path = args->argv[0];
	struct progress p = {0};
	char err[ADMIN_MSG_MAX] = "";
	char *actor = NULL, *command = NULL;
	struct admin a;
	long took_ms;
	int ret, rc;

	ret = admin_open(&a, cli, cmd, args, NULL);
	if (ret != CLI_EXIT_OK)
		goto out;
	actor = cli_actor();
	if (!actor) {
		ret = admin_fail(&a, RG_ENOMEM);
		goto out;
	}
	p.tty = isatty(STDERR_FILENO);
	p.start_ms = now_ms();
	if (!p.tty) {
		fprintf(stderr, "import: reading %s\n", path);
		fflush(stderr);
	}
	command = cli_command_line(cli);
	if (!command) {
		ret = admin_fail(&a, RG_ENOMEM);
		goto out;
	}
	rc = rg_directory_import_as(
	    a.ctx, path, args->replace ? RG_IMPORT_REPLACE : 0u, actor, command,
	    import_progress, &p, err, sizeof(err));
	took_ms = now_ms() - p.start_ms;
	if (p.drawn)
		fputc('\n', stderr);
	if (rc != RG_OK) {
		snprintf(a.err, sizeof(a.err), "%s",
		         err[0] ? err : rg_strerror(rc));
		/* Nothing was applied; a bad file is not a refusal. */
		admin_fail(&a, rc);
		ret = CLI_EXIT_ERROR;
		goto out;
	}
	if (args->json)
		ret = cli_json_print(json_pack("{s:b s:s s:I s:b s:I}", "ok", 1,
		                               "file", path, "users",
		                               (json_int_t)p.total, "replace",
		                               args->replace, "milliseconds",
		                               (json_int_t)took_ms),
		                     CLI_EXIT_OK);
	else
		printf("imported %zu user%s in %.1f s\n", p.total,
		       p.total == 1 ? "" : "s", (double)took_ms / MS_PER_S);
out:
	free(actor);
	free(command);
	admin_close(&a);
	return ret;
}

/* ---- export ------------------------------------------------------------ */

int admin_cmd_export(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args)
{
	const char *service = args->argc > 0 ? args->argv[0] : NULL;
	const char *out = args->val[CLI_VAL_OUTPUT];
	char err[ADMIN_MSG_MAX] = "";
	struct admin a;
	int ret, rc;

	if (out && !*out)
		return cli_usage_error(cmd, "empty output file name");
	ret = admin_open(&a, cli, cmd, args, service);
	if (ret != CLI_EXIT_OK)
		goto out;
	/* Whatever was buffered must not end up inside the export. */
	fflush(stdout);
	rc = rg_directory_export(a.ctx, service, out ? out : "-", err,
	                         sizeof(err));
	if (rc != RG_OK) {
		snprintf(a.err, sizeof(a.err), "%s",
		         err[0] ? err : rg_strerror(rc));
		admin_fail(&a, rc);
		ret = CLI_EXIT_ERROR;
		goto out;
	}
	if (!out)
		goto out;
	if (args->json)
		ret = cli_json_print(json_pack("{s:b s:o s:s}", "ok", 1,
		                               "service", cli_jstr(service, 0),
		                               "file", out),
		                     CLI_EXIT_OK);
	else
		printf("exported %s to %s\n",
		       service ? service : "every service", out);
out:
	admin_close(&a);
	return ret;
}

/* ---- audit ------------------------------------------------------------- */

/* n digits at *s; advances s. */
static int digits(const char **s, int n)
{
	for (; n > 0; n--, (*s)++)
		if (!isdigit((unsigned char)**s))
			return 0;
	return 1;
}

/* Skips c at *s when it is there; returns 1 when it was. */
static int skip(const char **s, char c)
{
	if (**s != c)
		return 0;
	(*s)++;
	return 1;
}

/*
 * 1 for the UTC times the audit trail compares with: YYYY-MM-DD, then
 * optionally THH:MM, :SS, .mmm (1 to 3 digits) and a final Z.
 */
static int valid_time(const char *t)
{
	static const int date[] = {4, 2, 2};
	const char *s = t;
	int i;

	for (i = 0; i < 3; i++)
		if (!digits(&s, date[i]) || (i < 2 && !skip(&s, '-')))
			return 0;
	if (skip(&s, 'T')) {
		if (!digits(&s, 2) || !skip(&s, ':') || !digits(&s, 2))
			return 0;
		if (skip(&s, ':') && !digits(&s, 2))
			return 0;
		if (skip(&s, '.')) {
			if (!digits(&s, 1))
				return 0;
			for (i = 0; i < 2 && isdigit((unsigned char)*s); i++)
				s++;
		}
	}
	skip(&s, 'Z');
	return *s == '\0';
}

/* A JSON text from the audit trail, parsed; kept as a string if not JSON. */
static json_t *audit_value(const char *text)
{
	json_t *v;

	if (!text)
		return json_null();
	v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v ? v : cli_jstr(text, 0);
}

static int collect_audit(void *user, const rg_audit_info *r)
{
	json_t *arr = user;

	return json_array_append_new(
	           arr,
	           json_pack("{s:I s:o s:o s:o s:o s:o s:o s:o s:o}", "seq",
	                     (json_int_t)r->seq, "at", cli_jstr(r->at, 0),
	                     "actor", cli_jstr(r->actor, 0), "command",
	                     cli_jstr(r->command, 0), "service",
	                     cli_jstr(r->service, 0), "user",
	                     cli_jstr(r->user, 1), "what", cli_jstr(r->what, 0),
	                     "before", audit_value(r->before), "after",
	                     audit_value(r->after))) != 0;
}

static void print_audit_value(const char *label, const json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	printf("  %s: %s\n", label, text ? text : "?");
	free(text);
}

static void print_audit(const json_t *records)
{
	size_t i;

	if (json_array_size(records) == 0)
		puts("no audit records");
	for (i = 0; i < json_array_size(records); i++) {
		const json_t *r = json_array_get(records, i);
		const char *user =
		    json_string_value(json_object_get(r, "user"));

		printf("%" JSON_INTEGER_FORMAT " %s %s %s %s%s%s\n",
		       json_integer_value(json_object_get(r, "seq")),
		       json_string_value(json_object_get(r, "at")),
		       json_string_value(json_object_get(r, "actor")),
		       json_string_value(json_object_get(r, "service")),
		       json_string_value(json_object_get(r, "what")),
		       user ? " " : "", user ? user : "");
		printf("  command: %s\n",
		       json_string_value(json_object_get(r, "command")));
		print_audit_value("before", json_object_get(r, "before"));
		print_audit_value("after", json_object_get(r, "after"));
	}
}

/* Fills the filter from the options; returns 0, or -1 after a usage error. */
static int audit_filter(const struct cli_cmd *cmd, const struct cli_args *args,
                        rg_audit_filter *f)
{
	const char *limit = args->val[CLI_VAL_LIMIT];
	char *end;
	long n;

	memset(f, 0, sizeof(*f));
	f->service = args->val[CLI_VAL_SERVICE];
	f->user = args->val[CLI_VAL_USER];
	f->since = args->val[CLI_VAL_SINCE];
	f->until = args->val[CLI_VAL_UNTIL];
	if ((f->since && !valid_time(f->since)) ||
	    (f->until && !valid_time(f->until))) {
		cli_usage_error(cmd,
		                "bad time '%s': expected UTC "
		                "YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z]",
		                f->since && !valid_time(f->since) ? f->since
		                                                  : f->until);
		return -1;
	}
	if (!limit)
		return 0;
	errno = 0;
	n = strtol(limit, &end, 10);
	if (errno || end == limit || *end || n <= 0) {
		cli_usage_error(cmd, "bad limit '%s': expected a number > 0",
		                limit);
		return -1;
	}
	f->limit = n;
	return 0;
}

/* The record number of --undo: a whole number > 0, else 0. */
static long long undo_seq(const char *s)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	return errno || end == s || *end || n <= 0 ? 0 : n;
}

/* rolegate audit --undo SEQ [--force]. */
static int audit_undo(struct cli *cli, const struct cli_cmd *cmd,
                      const struct cli_args *args)
{
	long long seq = undo_seq(args->val[CLI_VAL_UNDO]), done = 0;
	char *actor = NULL, *command = NULL;
	struct admin a;
	int ret, rc;

	if (!seq)
		return cli_usage_error(cmd,
		                       "bad record '%s': expected a number > 0",
		                       args->val[CLI_VAL_UNDO]);
	if (args->val[CLI_VAL_SERVICE] || args->val[CLI_VAL_USER] ||
	    args->val[CLI_VAL_SINCE] || args->val[CLI_VAL_UNTIL] ||
	    args->val[CLI_VAL_LIMIT])
		return cli_usage_error(cmd, "--undo takes no filter option");
	ret = admin_open(&a, cli, cmd, args, NULL);
	if (ret != CLI_EXIT_OK)
		goto out;
	actor = cli_actor();
	command = cli_command_line(cli);
	rc = actor && command
	         ? rg_audit_undo(a.ctx, seq, args->force ? RG_UNDO_FORCE : 0u,
	                         actor, command, &done, a.err, sizeof(a.err))
	         : RG_ENOMEM;
	if (rc != RG_OK) {
		ret = admin_fail(&a, rc);
		goto out;
	}
	if (args->json)
		ret = cli_json_print(json_pack("{s:b s:I s:I}", "ok", 1,
		                               "undone", (json_int_t)seq,
		                               "record", (json_int_t)done),
		                     CLI_EXIT_OK);
	else
		printf("undid audit record %lld (record %lld)\n", seq, done);
out:
	free(actor);
	free(command);
	admin_close(&a);
	return ret;
}

int admin_cmd_audit(struct cli *cli, const struct cli_cmd *cmd,
                    const struct cli_args *args)
{
	json_t *records = NULL;
	rg_audit_filter f;
	struct admin a;
	int ret, rc;

	if (args->val[CLI_VAL_UNDO])
		return audit_undo(cli, cmd, args);
	if (args->force)
		return cli_usage_error(cmd, "--force goes with --undo");
	if (audit_filter(cmd, args, &f) < 0)
		return CLI_EXIT_ERROR;
	ret = admin_open(&a, cli, cmd, args, f.service);
	if (ret != CLI_EXIT_OK)
		goto out;
	records = json_array();
	rc = records ? rg_audit_list(a.ctx, &f, collect_audit, records)
	             : RG_ENOMEM;
	if (rc != RG_OK) {
		ret = admin_fail(&a, rc);
		goto out;
	}
	if (args->json)
		ret = cli_json_print(json_pack("{s:O}", "records", records),
		                     CLI_EXIT_OK);
	else
		print_audit(records);
out:
	json_decref(records);
	admin_close(&a);
	return ret;
}

/* ---- directory verify, path -------------------------------------------- */

int admin_cmd_directory_verify(struct cli *cli, const struct cli_cmd *cmd,
                               const struct cli_args *args)
{
	char err[ADMIN_MSG_MAX] = "";
	const char *where;
	struct admin a;
	int ret, rc;

	ret = admin_open(&a, cli, cmd, args, NULL);
	if (ret != CLI_EXIT_OK)
		goto out;
	where = rg_directory_location(a.ctx);
	rc = rg_directory_verify(a.ctx, err, sizeof(err));
	switch (rc) {
	case RG_OK:
		ret = CLI_EXIT_OK;
		break;
	case RG_ENOMEM:
	case RG_ENOSYS:
	case RG_EBUSY:
	case RG_EPERM:
		/* Could not look: not a verdict on the database. */
		ret = CLI_EXIT_ERROR;
		break;
	default:
		ret = CLI_EXIT_NO;
		break;
	}
	if (!err[0] && rc != RG_OK)
		snprintf(err, sizeof(err), "%s", rg_strerror(rc));
	if (args->json) {
		ret = cli_json_print(json_pack("{s:b s:s s:s s:o}", "ok",
		                               rc == RG_OK, "directory", where,
		                               "status", rg_status_name(rc),
		                               "problems", cli_jstr(err, 1)),
		                     ret);
	} else if (rc == RG_OK) {
		printf("%s: ok\n", where);
	} else if (ret == CLI_EXIT_NO) {
		printf("%s: %s\n", where, err);
	} else {
		cli_error("%s: %s: %s", cmd->name, where, err);
	}
out:
	admin_close(&a);
	return ret;
}

int admin_cmd_directory_path(struct cli *cli, const struct cli_cmd *cmd,
                             const struct cli_args *args)
{
	rg_context *ctx = NULL;
	int ret;

	(void)cmd;
	ret = cli_open(cli, &ctx);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (args->json)
		ret = cli_json_print(
		    json_pack("{s:o s:b}", "directory",
		              cli_jstr(rg_directory_location(ctx), 1),
		              "available", rg_directory_available(ctx)),
		    CLI_EXIT_OK);
	else
		puts(rg_directory_location(ctx));
	rg_close(ctx);
	return ret;
}
