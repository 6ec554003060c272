/*
 * batch.c - many checks in one call (rg_check_batch()).
 *
 * With a large directory a single check mostly waits for memory: the slot
 * of the user in the decision table, or in the user index, is a cache miss
 * nothing else in the check can overlap.  A batch knows what comes next,
 * so it runs a short software pipeline: before request i is decided, the
 * slot of request i + AHEAD is prefetched, and for request i + AHEAD/2
 * (whose slot has arrived meanwhile) the user's id, roles and attributes
 * the slot points at; by the time a request's turn comes its memory is in
 * the cache.  Each request is then decided by the table (the user's hash
 * reused) or by the stack as rg_check() decides it, given the service, the
 * snapshot and the hash found ahead (rg_check_known()): a batch answers
 * exactly what single calls would, without looking anything up twice.
 */
#include "config.h"

#include <string.h>

#include "internal.h"

/* How far ahead the memory is fetched: enough requests to cover a memory
 * latency with the work of deciding the ones in between (a power of two:
 * the ring below). */
#define BATCH_AHEAD 8

/* What stage 1 worked out for a request, kept until its turn. */
struct ahead {
	const struct rg_service *svc;
	const struct rg_snap_service *ss; /* NULL: not a directory user's */
	size_t len;                       /* strlen() of the user */
	uint64_t h;                       /* rg_hash_str() of the user */
	int tabled;                       /* the table may answer it */
	int scoped; /* the table's compiled scopes may (rg_table_scope()) */
};

/* Stage 1: the line req's check reads first (its table or index slot). */
static void fetch_slot(const rg_context *ctx, const struct rg_snapshot *snap,
                       const rg_request *req, unsigned flags, struct ahead *a)
{
	a->ss = NULL;
	if (!snap || !req->service || !req->subject.user || !req->action)
		return;
	a->svc = rg_service_find(ctx, req->service);
	a->ss = a->svc ? rg_snapshot_service(snap, a->svc) : NULL;
	if (!a->ss)
		return;
	a->len = strlen(req->subject.user);
	a->h = rg_hash_mem(req->subject.user, a->len);
	a->tabled = rg_table_usable(a->ss, req, flags);
	a->scoped = !a->tabled && a->ss->table.spans &&
	            rg_table_scope_wants(req, flags);
	if (a->tabled || a->scoped)
		rg_table_prefetch(a->ss, a->h);
	/* A scoped check its rules do not answer goes to the stack, whose
	 * user block stage 2 fetches through the index slot. */
	if (!a->tabled)
		rg_intern_prefetch(&a->ss->user_ix, a->h);
}

/* Stage 2, for a check the stack decides: with the index slot in the cache
 * by now, the user's id, roles and attributes it points at. */
static void fetch_user(const struct ahead *a)
{
	if (a->ss && !a->tabled)
		rg_snapshot_prefetch_user(a->ss, a->h);
}

/* Stage 3: the decision, from the table when it can (with the hash already
 * worked out), else by the stack as rg_check() has it made, with the
 * service, snapshot and hash stage 1 found (a request stage 1 did not
 * resolve goes to rg_check() whole). */
static int decide(const rg_context *ctx, const struct rg_snapshot *snap,
                  const rg_request *req, unsigned flags, const struct ahead *a,
                  rg_decision *d, rg_result *res)
{
	struct rg_check_known known;
	long priv = -1; /* looked up once, for the scopes and the stack */
	int st;

	if (a->ss && a->tabled &&
	    rg_table_check_hashed(a->ss, req->subject.user, a->len, a->h,
	                          req->action, res)) {
		rg_table_log(ctx, req, *res); /* as rg_check() logs it */
		return RG_OK;
	}
	if (a->ss && a->scoped) {
		priv = rg_intern_get(&a->svc->reg.priv_ix, req->action);
		if (rg_table_scope(a->ss, req->subject.user, a->len, a->h, priv,
		                   req->attrs, res)) {
			rg_table_log(ctx, req, *res);
			return RG_OK;
		}
	}
	if (a->ss) {
		/* rg_check() would ask the table again, for the same miss. */
		known.snap = snap;
		known.user_hash = a->h;
		known.slot = NULL;
		known.priv = priv;
		st = rg_check_known(ctx, a->svc, req, flags, &known, d);
	} else {
		st = rg_check(ctx, req, flags, d);
	}
	*res = st == RG_OK && d->result == RG_ALLOW ? RG_ALLOW : RG_DENY;
	return st;
}

int rg_check_batch(const rg_context *ctx, const rg_request *reqs, size_t n,
                   unsigned flags, rg_result *results, int *statuses)
{
	struct ahead ring[BATCH_AHEAD];
	const struct rg_snapshot *snap = NULL;
	rg_decision d;
	unsigned slot = 0;
	size_t i;

	if (!results)
		return RG_EINVAL;
	if (!ctx || (n && !reqs) || (flags & RG_CHECK_TRACE)) {
		for (i = 0; i < n; i++) {
			results[i] = RG_DENY;
			if (statuses)
				statuses[i] = RG_EINVAL;
		}
		return RG_EINVAL;
	}
	/* Held for the batch: what stage 1 found stays valid (a newer
	 * snapshot published meanwhile is for the next batch). */
	if (ctx->dir)
		snap = rg_snapshot_acquire(ctx, &slot);
	for (i = 0; i < n && i < BATCH_AHEAD; i++)
		fetch_slot(ctx, snap, &reqs[i], flags, &ring[i]);
	for (i = 0; i < n && i < BATCH_AHEAD / 2; i++)
		fetch_user(&ring[i]);
	for (i = 0; i < n; i++) {
		struct ahead cur = ring[i % BATCH_AHEAD];
		int st;

		if (i + BATCH_AHEAD < n)
			fetch_slot(ctx, snap, &reqs[i + BATCH_AHEAD], flags,
			           &ring[i % BATCH_AHEAD]);
		if (i + BATCH_AHEAD / 2 < n)
			fetch_user(&ring[(i + BATCH_AHEAD / 2) % BATCH_AHEAD]);
		st = decide(ctx, snap, &reqs[i], flags, &cur, &d, &results[i]);
		if (statuses)
			statuses[i] = st;
	}
	if (ctx->dir)
		rg_snapshot_release(ctx, slot);
	return RG_OK;
}
