/*
 * query.c - rolegate check, explain and validate.
 *
 * Fail closed: when the library reports an error the tool still prints a
 * deny, and exits 2 so that scripts can tell an error from a plain deny.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What a decision command prints. */
enum detail {
	DETAIL_LINE,    /* check: the decision line */
	DETAIL_TRACE,   /* check --explain: plus trace and suggestions */
	DETAIL_EXPLAIN, /* explain: plus deciding plugin, role, missing */
};

static const char *or_none(const char *s)
{
	return s && *s ? s : "(none)";
}

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "?";
}

/*
 * Decides the request, with a trace and suggestions when asked.  Returns
 * RG_OK or the error that forced a deny; forces the deny itself too.
 */
static int decide(const rg_context *ctx, const rg_request *req, int explain,
                  rg_explanation *ex)
{
	int rc;

	memset(ex, 0, sizeof(*ex));
	if (explain)
		rc = rg_explain(ctx, req, ex);
	else
		rc = rg_check(ctx, req, 0, &ex->decision);
	if (rc == RG_OK)
		rc = ex->decision.status;
	if (rc != RG_OK || ex->decision.result != RG_ALLOW)
		ex->decision.result = RG_DENY;
	if (ex->decision.ntrace > RG_TRACE_MAX)
		ex->decision.ntrace = RG_TRACE_MAX;
	if (ex->nsuggestions > RG_SUGGEST_MAX)
		ex->nsuggestions = RG_SUGGEST_MAX;
	return rc;
}

static size_t suggestion_size(const rg_suggestion *s)
{
	return s->nroles > RG_SUGGEST_ROLES ? RG_SUGGEST_ROLES : s->nroles;
}

/* ---- Plain output ------------------------------------------------------ */

static void print_decision(const rg_decision *d, int status)
{
	char safe[RG_ESCAPE_MAX(RG_REASON_MAX)];
	const char *reason = d->reason;

	if (!*reason)
		reason =
		    status != RG_OK ? rg_strerror(status) : "no reason given";
	/* Reasons quote the request: a user id may hold anything. */
	rg_escape(reason, 0, safe, sizeof(safe));
	printf("%s: %s\n", rg_result_name(d->result), safe);
}

static void print_trace(const rg_decision *d)
{
	size_t i;

	for (i = 0; i < d->ntrace; i++) {
		const rg_trace_entry *t = &d->trace[i];

		printf("  %s (%s, line %u): %s", or_unknown(t->plugin),
		       or_unknown(t->control), t->line,
		       rg_result_name(t->result));
		if (t->reason[0]) {
			char safe[RG_ESCAPE_MAX(sizeof(t->reason))];

			rg_escape(t->reason, 0, safe, sizeof(safe));
			printf(": %s", safe);
		}
		putchar('\n');
	}
}

static void print_suggestions(const rg_explanation *ex)
{
	size_t i, j;

	if (ex->decision.result == RG_ALLOW)
		return;
	if (ex->nsuggestions == 0) {
		puts("  no added role would allow it");
		return;
	}
	for (i = 0; i < ex->nsuggestions; i++) {
		const rg_suggestion *s = &ex->suggestions[i];

		fputs("  would allow: add ", stdout);
		for (j = 0; j < suggestion_size(s); j++)
			printf("%s%s", j ? ", " : "", s->roles[j]);
		putchar('\n');
	}
}

/*
 * What the product checks besides roles for the action (the plugins'
 * rg_declare_note()): shown with every explanation, allowed or denied,
 * since roles that allow do not make the product allow.  NULL-safe: a
 * service or action rolegate does not know has no notes.
 */
struct notes {
	const rg_service *svc;
	long priv; /* -1: no notes */
};

/* The service and privilege of the request, found once for its notes. */
static struct notes notes_of(const rg_context *ctx, const rg_request *req)
{
	struct notes n;

	n.svc = ctx ? rg_service_find(ctx, req->service) : NULL;
	n.priv = n.svc ? rg_privilege_find(n.svc, req->action) : -1;
	return n;
}

static const char *note_at(const struct notes *n, size_t j)
{
	return n->priv < 0 ? NULL
	                   : rg_privilege_note(n->svc, (size_t)n->priv, j);
}

static void print_notes(const rg_context *ctx, const rg_request *req)
{
	struct notes n = notes_of(ctx, req);
	const char *note;
	size_t j;

	for (j = 0; (note = note_at(&n, j)) != NULL; j++)
		printf("  note: %s\n", note);
}

static json_t *notes_json(const rg_context *ctx, const rg_request *req)
{
	struct notes n = notes_of(ctx, req);
	json_t *arr = json_array();
	const char *note;
	size_t j;

	for (j = 0; arr && (note = note_at(&n, j)) != NULL; j++)
		json_array_append_new(arr, cli_jstr(note, 0));
	return arr;
}

static void print_plain(const rg_explanation *ex, int status,
                        enum detail detail)
{
	const rg_decision *d = &ex->decision;

	print_decision(d, status);
	if (detail == DETAIL_EXPLAIN) {
		printf("  decided by: %s\n", or_none(d->plugin));
		printf("  role: %s\n", or_none(d->role));
		printf("  missing prerequisite: %s\n", or_none(d->missing));
	}
	if (detail == DETAIL_LINE)
		return;
	print_trace(d);
	print_suggestions(ex);
}

/* ---- JSON output ------------------------------------------------------- */

static json_t *trace_json(const rg_decision *d)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < d->ntrace; i++) {
		const rg_trace_entry *t = &d->trace[i];

		json_array_append_new(
		    arr, json_pack("{s:o s:o s:I s:s s:s s:o s:o s:o}",
		                   "plugin", cli_jstr(t->plugin, 0), "control",
		                   cli_jstr(t->control, 0), "line",
		                   (json_int_t)t->line, "result",
		                   rg_result_name(t->result), "status",
		                   rg_status_name(t->status), "reason",
		                   cli_jstr(t->reason, 0), "role",
		                   cli_jstr(t->role, 1), "missing",
		                   cli_jstr(t->missing, 1)));
	}
	return arr;
}

static json_t *suggestions_json(const rg_explanation *ex)
{
	json_t *arr = json_array();
	size_t i, j;

	for (i = 0; arr && i < ex->nsuggestions; i++) {
		const rg_suggestion *s = &ex->suggestions[i];
		json_t *roles = json_array();

		for (j = 0; roles && j < suggestion_size(s); j++)
			json_array_append_new(roles, cli_jstr(s->roles[j], 0));
		json_array_append_new(arr, roles);
	}
	return arr;
}

static json_t *attrs_json(const rg_attr *attrs, size_t n)
{
	json_t *obj = json_object();
	size_t i;

	for (i = 0; obj && i < n; i++)
		json_object_set_new(obj, attrs[i].key,
		                    cli_jstr(attrs[i].value, 0));
	return obj;
}

static json_t *decision_json(const rg_context *ctx, const struct cli_request *r,
                             const rg_explanation *ex, int status,
                             enum detail detail)
{
	const rg_decision *d = &ex->decision;
	json_t *obj;

	obj = json_pack(
	    "{s:s s:o s:o s:o s:o s:s s:o s:o s:o s:o s:o}", "decision",
	    rg_result_name(d->result), "reason",
	    cli_jstr(d->reason[0] ? d->reason : rg_strerror(status), 0),
	    "service", cli_jstr(r->req.service, 0), "subject",
	    cli_jstr(r->subject_arg, 0), "action", cli_jstr(r->req.action, 0),
	    "status", rg_status_name(status), "plugin", cli_jstr(d->plugin, 1),
	    "role", cli_jstr(d->role, 1), "missing", cli_jstr(d->missing, 1),
	    "attributes", attrs_json(r->req.attrs, r->req.nattrs),
	    "subject_attributes",
	    attrs_json(r->req.subject.attrs, r->req.subject.nattrs));
	if (obj && status != RG_OK)
		json_object_set_new(obj, "error",
		                    json_string(rg_strerror(status)));
	if (obj && detail != DETAIL_LINE) {
		json_object_set_new(obj, "trace", trace_json(d));
		json_object_set_new(obj, "suggestions", suggestions_json(ex));
		json_object_set_new(obj, "notes", notes_json(ctx, &r->req));
	}
	return obj;
}

/* ---- check and explain ------------------------------------------------- */

static int exit_status(const rg_decision *d, int status)
{
	if (status != RG_OK)
		return CLI_EXIT_ERROR;
	return d->result == RG_ALLOW ? CLI_EXIT_OK : CLI_EXIT_NO;
}

static int run_decision(struct cli *cli, const struct cli_cmd *cmd,
                        const struct cli_args *args, enum detail detail)
{
	struct cli_request r;
	rg_context *ctx = NULL;
	rg_explanation *ex = NULL;
	int status, ret = CLI_EXIT_ERROR;

	if (cli_request_parse(&r, cmd, args->argc, args->argv) < 0)
		goto out;
	ex = malloc(sizeof(*ex));
	if (!ex) {
		cli_error("out of memory");
		goto out;
	}
	cli->only_service = r.req.service;
	cli->only_user = r.req.subject.user;
	if (cli_open(cli, &ctx) != CLI_EXIT_OK)
		goto out;
	status = decide(ctx, &r.req, detail != DETAIL_LINE, ex);
	ret = exit_status(&ex->decision, status);
	/* The reason says what failed (the loader's or the plugin's own
	 * message for an entry that did not load); the status alone does
	 * not. */
	if (status != RG_OK)
		cli_error("%s: %s (%s)", cmd->name,
		          ex->decision.reason[0] ? ex->decision.reason
		                                 : rg_strerror(status),
		          rg_status_name(status));
	if (args->json)
		ret = cli_json_print(decision_json(ctx, &r, ex, status, detail),
		                     ret);
	else
		print_plain(ex, status, detail);
	if (!args->json && detail != DETAIL_LINE)
		print_notes(ctx, &r.req);
out:
	rg_close(ctx);
	free(ex);
	cli_request_free(&r);
	return ret;
}

int cli_cmd_check(struct cli *cli, const struct cli_cmd *cmd,
                  const struct cli_args *args)
{
	return run_decision(cli, cmd, args,
	                    args->explain ? DETAIL_TRACE : DETAIL_LINE);
}

int cli_cmd_explain(struct cli *cli, const struct cli_cmd *cmd,
                    const struct cli_args *args)
{
	return run_decision(cli, cmd, args, DETAIL_EXPLAIN);
}

/* ---- validate ---------------------------------------------------------- */

static size_t nproblems(const rg_validation *v)
{
	return v->nmissing > RG_VALIDATE_MAX ? RG_VALIDATE_MAX : v->nmissing;
}

static json_t *validation_json(const char *service, const char *subject,
                               const rg_validation *v, int status)
{
	json_t *missing = json_array();
	json_t *obj;
	size_t i;

	for (i = 0; missing && i < nproblems(v); i++)
		json_array_append_new(
		    missing,
		    json_pack("{s:o s:o s:o}", "role",
		              cli_jstr(v->missing[i].role, 0), "requires",
		              cli_jstr(v->missing[i].missing, 0), "plugin",
		              cli_jstr(v->missing[i].plugin, 1)));
	obj = json_pack("{s:b s:o s:o s:s s:o}", "valid",
	                status == RG_OK && v->ok, "service",
	                cli_jstr(service, 0), "subject", cli_jstr(subject, 0),
	                "status", rg_status_name(status), "missing", missing);
	if (obj && status != RG_OK)
		json_object_set_new(obj, "error",
		                    json_string(rg_strerror(status)));
	return obj;
}

static void print_validation(const rg_validation *v)
{
	size_t i;

	if (v->ok) {
		puts("ok: every prerequisite is met");
		return;
	}
	for (i = 0; i < nproblems(v); i++)
		printf("%s requires %s\n", v->missing[i].role,
		       v->missing[i].missing);
	if (v->nmissing > RG_VALIDATE_MAX)
		printf("(%zu more not shown)\n", v->nmissing - RG_VALIDATE_MAX);
}

int cli_cmd_validate(struct cli *cli, const struct cli_cmd *cmd,
                     const struct cli_args *args)
{
	const char *service = args->argv[0], *word = args->argv[1];
	rg_context *ctx = NULL;
	rg_validation *v;
	rg_subject subject;
	int status, ret = CLI_EXIT_ERROR;

	v = calloc(1, sizeof(*v));
	if (!v) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	cli->only_service = service;
	if (cli_subject_parse(&subject, word) < 0)
		goto out;
	cli->only_user = subject.user;
	if (cli_open(cli, &ctx) != CLI_EXIT_OK)
		goto out;
	status = rg_validate(ctx, service, &subject, v);
	if (status != RG_OK) {
		cli_error("%s: %s %s: %s (%s)", cmd->name, service, word,
		          rg_strerror(status), rg_status_name(status));
		ret = CLI_EXIT_ERROR;
	} else {
		ret = v->ok ? CLI_EXIT_OK : CLI_EXIT_NO;
	}
	if (args->json)
		ret = cli_json_print(validation_json(service, word, v, status),
		                     ret);
	else if (status == RG_OK)
		print_validation(v);
out:
	rg_close(ctx);
	free(v);
	return ret;
}
