/*
 * rgsync.h - the sync engine: the directory of a service from the product
 * itself (Rocket.Chat, Dataverse), for `rolegate sync` and rolegated.
 *
 * It reads the product's REST API (or the same JSON saved in a folder),
 * builds the state the directory should have, compares it with the
 * directory and applies the difference in one transaction.  Nothing in
 * here prints: the callers say what the result holds, each in its own
 * way.  Built once (librgsync.la) for both.
 *
 *   struct rgsync_req req = {ctx, "rc", .url = "https://chat.example.com",
 *                            .token_file = "/etc/rolegate/rc.token"};
 *   struct rgsync_result res;
 *   rgsync_run(&req, actor, command, &res);   plan, then apply it
 *   ... res.changes, res.kept, res.err ...
 *   rgsync_result_free(&res);
 */
#ifndef ROLEGATE_TOOLS_RGSYNC_H
#define ROLEGATE_TOOLS_RGSYNC_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>
#include <rolegate/rolegate.h>

/* Room for a message naming an endpoint or file and a field. */
#define SYNC_MSG_MAX 1024

/* What to sync from, and how. */
struct rgsync_req {
	rg_context *ctx;
	const char *service;
	const char *url;        /* the product's base URL, or NULL */
	const char *dir;        /* a folder of saved answers, or NULL */
	const char *token_file; /* "Name: value" lines; NULL: the adapter's
	                           environment variables */
	const char *map;        /* the role map file, or NULL */
	const char *url_word;   /* what the URL is called in messages
	                           ("--from"); NULL: "the URL" */
	int prune;              /* remove what upstream no longer has */
	int dry_run;            /* rgsync_run(): plan only */
	/* Set non-zero (by another thread) to abort a request to the
	 * product in flight: the sync then fails, changing nothing.  NULL:
	 * never. */
	const atomic_int *cancel;
};

/* How far a sync got: where a failure comes from. */
enum rgsync_stage {
	RGSYNC_PREPARE,   /* the service, the map, the token file */
	RGSYNC_FETCH,     /* the product's API or folder */
	RGSYNC_DIRECTORY, /* reading or changing the directory */
};

/* What a sync found or did. */
struct rgsync_result {
	enum rgsync_stage stage;
	json_t *changes;        /* one line per change ("+ user bob (Bob)") */
	json_t *kept;           /* what prune would remove, one line each */
	json_t *warnings;       /* the transaction's, when one committed */
	json_t *notices;        /* what upstream has that was left out */
	int applied;            /* 1 when the changes were committed */
	char err[SYNC_MSG_MAX]; /* why it failed: the endpoint, file, field */
};

/* One sync at work (adapter.h). */
struct sync;

/*
 * Checks the request, finds the service and its product, reads the map
 * and the authentication, and reads the product's state into a new *out
 * (rgsync_close() it, even on failure).  RG_OK, else the failure with
 * res->err set: RG_ENOSERVICE, RG_ENOROLE (a role the service does not
 * know), RG_EINVAL, RG_EIO (an endpoint or file failed)...
 */
int rgsync_open(struct sync **out, const struct rgsync_req *req,
                struct rgsync_result *res);

/* The plan without applying it: res->changes and res->kept (replaced). */
int rgsync_plan(struct sync *s, struct rgsync_result *res);

/*
 * Inside txn (of the sync's service): plans again (no other writer can
 * change the directory meanwhile) and applies every change; res->changes
 * and res->kept say what.  RG_OK or the first refusal (rg_txn_error()).
 */
int rgsync_apply(struct sync *s, rg_txn *txn, struct rgsync_result *res);

void rgsync_close(struct sync *s);

/*
 * The whole sync: open, plan, and unless req->dry_run (or nothing
 * changes) apply in one transaction recorded in the audit trail as by
 * actor with command.  res is set (rgsync_result_free() it either way);
 * on failure nothing changed and res->err says why.
 */
int rgsync_run(const struct rgsync_req *req, const char *actor,
               const char *command, struct rgsync_result *res);

void rgsync_result_init(struct rgsync_result *res);
void rgsync_result_free(struct rgsync_result *res);

/* The product a service stacks the plugin of and the engine can sync
 * from ("rocketchat", "dynamics365"), or NULL. */
const char *rgsync_product(const rg_service *svc);

#endif /* ROLEGATE_TOOLS_RGSYNC_H */
