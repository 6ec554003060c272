/*
 * sync.c - `rolegate sync SERVICE`: the sync engine (rgsync.h) run by the
 * tool, its plan printed, its changes applied by the directory commands'
 * runner (the audit trail records the command line and who typed it).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory/dirverbs.h"
#include "rgsync.h"

/* One `rolegate sync` at work. */
struct sync_cmd {
	struct admin *a;
	struct sync *s;
	struct rgsync_result res;
};

/* The transaction's operation: the engine plans again inside it and
 * applies every change; each is a line of the output. */
static int apply_all(struct admin *a, void *data)
{
	struct sync_cmd *c = data;
	size_t i;
	int rc = rgsync_apply(c->s, a->txn, &c->res);

	for (i = 0; rc == RG_OK && i < json_array_size(c->res.changes); i++)
		admin_note(
		    a, "%s",
		    json_string_value(json_array_get(c->res.changes, i)));
	if (rc == RG_OK)
		json_object_set(a->extra, "kept", c->res.kept);
	return rc;
}

/* What upstream has that the directory does not model: on stderr, so
 * that the plan on stdout stays the list of changes. */
static void print_notices(const json_t *notices)
{
	size_t i;

	for (i = 0; i < json_array_size(notices); i++)
		fprintf(stderr, "rolegate: sync: notice: %s\n",
		        json_string_value(json_array_get(notices, i)));
}

static void print_kept(const json_t *kept)
{
	size_t i;

	for (i = 0; i < json_array_size(kept); i++)
		puts(json_string_value(json_array_get(kept, i)));
}

/* Prints a plan without applying it (--dry-run, or nothing to change). */
static int print_plan(struct sync_cmd *c)
{
	struct admin *a = c->a;
	size_t i;

	if (a->args->json)
		return cli_json_print(
		    json_pack("{s:b s:s s:s s:b s:O s:O s:[] s:O}", "ok", 1,
		              "command", a->cmd->name, "service", a->service,
		              "dry_run", a->args->dry_run, "changes",
		              c->res.changes, "kept", c->res.kept, "warnings",
		              "notices", c->res.notices),
		    CLI_EXIT_OK);
	for (i = 0; i < json_array_size(c->res.changes); i++)
		puts(json_string_value(json_array_get(c->res.changes, i)));
	if (!json_array_size(c->res.changes))
		puts("nothing to change: the directory matches upstream");
	if (!a->args->dry_run)
		return CLI_EXIT_OK; /* run_sync() prints what was kept */
	print_kept(c->res.kept);
	return CLI_EXIT_OK;
}

static int run_sync(struct sync_cmd *c)
{
	const struct cli_args *args = c->a->args;
	const struct rgsync_req req = {
	    .ctx = c->a->ctx,
	    .service = c->a->service,
	    .url = args->val[CLI_VAL_FROM],
	    .dir = args->val[CLI_VAL_FROM_DIR],
	    .token_file = args->val[CLI_VAL_TOKEN_FILE],
	    .map = args->val[CLI_VAL_MAP],
	    .url_word = "--from",
	    .prune = args->prune,
	};
	int rc, ret;

	rc = rgsync_open(&c->s, &req, &c->res);
	if (rc != RG_OK) {
		admin_refuse(c->a, rc, "%s", c->res.err);
		ret = admin_fail(c->a, rc);
		/* Only a role the service does not know is "refused" (1):
		 * an unreadable source or option is an error (2). */
		return rc == RG_ENOROLE ? ret : CLI_EXIT_ERROR;
	}
	json_object_set(c->a->extra, "notices", c->res.notices);
	if (!args->json)
		print_notices(c->res.notices);
	rc = rgsync_plan(c->s, &c->res);
	if (rc != RG_OK)
		ret = admin_fail(c->a, rc);
	else if (args->dry_run || !json_array_size(c->res.changes)) {
		json_object_set(c->a->extra, "kept", c->res.kept);
		ret = print_plan(c);
	} else
		ret = admin_run(c->a, apply_all, c);
	if (ret == CLI_EXIT_OK && !args->dry_run && !args->json)
		print_kept(json_object_get(c->a->extra, "kept"));
	return ret;
}

int cli_cmd_sync(struct cli *cli, const struct cli_cmd *cmd,
                 const struct cli_args *args)
{
	struct admin a;
	struct sync_cmd c;
	int ret;

	if (!args->val[CLI_VAL_FROM] == !args->val[CLI_VAL_FROM_DIR])
		return cli_usage_error(cmd, "give either --from URL or "
		                            "--from-dir DIR");
	if (args->val[CLI_VAL_TOKEN_FILE] && !args->val[CLI_VAL_FROM])
		return cli_usage_error(cmd, "--token-file goes with --from");
	memset(&c, 0, sizeof(c));
	rgsync_result_init(&c.res);
	ret = admin_open(&a, cli, cmd, args, args->argv[0]);
	c.a = &a;
	if (ret == CLI_EXIT_OK)
		ret = run_sync(&c);
	rgsync_close(c.s);
	rgsync_result_free(&c.res);
	admin_close(&a);
	return ret;
}
