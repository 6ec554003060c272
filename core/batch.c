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
 * the cache.  Each request is then decided by
 * rg_check() itself, so a batch answers exactly what single calls would.
 */
#include "config.h"

#include <string.h>

#include "internal.h"

/* How far ahead the memory is fetched: enough requests to cover a memory
 * latency with the work of deciding the ones in between. */
#define BATCH_AHEAD 8

/* The snapshot's part for req's service, when req names a user. */
static const struct rg_snap_service *
user_service(const rg_context *ctx, const struct rg_snapshot *snap,
             const rg_request *req)
{
	const struct rg_service *svc;

	if (!req->service || !req->subject.user || !req->action)
		return NULL;
	svc = rg_service_find(ctx, req->service);
	return svc ? rg_snapshot_service(snap, svc) : NULL;
}

/* Stage 1: the line req's check reads first (its table or index slot). */
static void fetch_slot(const rg_context *ctx, const struct rg_snapshot *snap,
                       const rg_request *req, unsigned flags)
{
	const struct rg_snap_service *ss = user_service(ctx, snap, req);

	if (!ss)
		return;
	if (rg_table_usable(ss, req, flags))
		rg_table_prefetch(ss, req->subject.user);
	else
		rg_intern_prefetch(&ss->user_ix, req->subject.user);
}

/* Stage 2, for a check the stack decides: with the index slot in the cache
 * by now, the user's id, roles and attributes it points at. */
static void fetch_user(const rg_context *ctx, const struct rg_snapshot *snap,
                       const rg_request *req, unsigned flags)
{
	const struct rg_snap_service *ss = user_service(ctx, snap, req);

	if (ss && !rg_table_usable(ss, req, flags))
		rg_snapshot_prefetch_user(ss, req->subject.user);
}

int rg_check_batch(const rg_context *ctx, const rg_request *reqs, size_t n,
                   unsigned flags, rg_result *results, int *statuses)
{
	const struct rg_snapshot *snap;
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
	/* Held for the batch: the prefetched addresses stay valid (a newer
	 * snapshot published meanwhile only makes a prefetch useless). */
	snap = rg_snapshot_acquire(ctx, &slot);
	for (i = 0; snap && i < n && i < BATCH_AHEAD; i++)
		fetch_slot(ctx, snap, &reqs[i], flags);
	for (i = 0; snap && i < n && i < BATCH_AHEAD / 2; i++)
		fetch_user(ctx, snap, &reqs[i], flags);
	for (i = 0; i < n; i++) {
		int st;

		if (snap && i + BATCH_AHEAD < n)
			fetch_slot(ctx, snap, &reqs[i + BATCH_AHEAD], flags);
		if (snap && i + BATCH_AHEAD / 2 < n)
			fetch_user(ctx, snap, &reqs[i + BATCH_AHEAD / 2],
			           flags);
		st = rg_check(ctx, &reqs[i], flags, &d);
		results[i] =
		    st == RG_OK && d.result == RG_ALLOW ? RG_ALLOW : RG_DENY;
		if (statuses)
			statuses[i] = st;
	}
	if (ctx->dir)
		rg_snapshot_release(ctx, slot);
	return RG_OK;
}
