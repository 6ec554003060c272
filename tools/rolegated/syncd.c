/*
 * syncd.c - the syncs rolegated runs: on request (POST /v1/admin/sync)
 * and periodically for each [sync SERVICE] with an interval.
 *
 * One sync runs at a time, whatever asked for it: two at once would only
 * wait for each other's transaction, and a periodic run never overlaps
 * the previous one.  The periodic thread wakes once a second and runs
 * each sync whose time has come, on the generation serving then; its first
 * run comes one interval after the daemon starts (or after the reload that
 * configures it), the next one interval after the previous ended.  A sync
 * pins its generation while it runs, like any admin request (engine.c):
 * a reload and a stop cancel a request to the product in flight, since
 * its configuration is going away.  The decision path never waits for a
 * sync.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "rgsync.h"
#include "rolegated.h"

/* How often the periodic thread looks for a sync whose time has come. */
#define TICK_S 1

/* Room for the command the audit trail records. */
#define COMMAND_MAX 256

/* The audit trail's actor of the periodic syncs. */
#define PERIODIC_ACTOR RGD_NAME " (periodic sync)"

void rgd_syncer_init(struct rgd_syncer *y)
{
	memset(y, 0, sizeof(*y));
	pthread_mutex_init(&y->run_lock, NULL);
	pthread_mutex_init(&y->wait_lock, NULL);
	pthread_cond_init(&y->wake, NULL);
}

void rgd_syncer_free(struct rgd_syncer *y)
{
	pthread_mutex_destroy(&y->run_lock);
	pthread_mutex_destroy(&y->wait_lock);
	pthread_cond_destroy(&y->wake);
}

/* What the product has that the directory does not model, left out. */
static void log_notices(struct rgd *d, const char *service,
                        const json_t *notices)
{
	size_t i;

	for (i = 0; i < json_array_size(notices); i++)
		rgd_log(&d->log, RG_LOG_NOTICE, "sync %s: %s", service,
		        json_string_value(json_array_get(notices, i)));
}

int rgd_sync_run(struct rgd *d, struct rgd_gen *g, const struct rgd_sync *y,
                 const struct rgd_sync_ask *ask, struct rgsync_result *res)
{
	const struct rgsync_req req = {
	    .ctx = g->ctx,
	    .service = y->service,
	    .url = y->from,
	    .token_file = y->token_file,
	    .map = y->map,
	    .url_word = "from",
	    .prune = ask->prune,
	    .dry_run = ask->dry_run,
	    .cancel = &g->cancel,
	};
	long i = rgd_gen_service(g, y->service);
	int rc;

	pthread_mutex_lock(&d->syncer.run_lock);
	rc = rgsync_run(&req, ask->actor, ask->command, res);
	pthread_mutex_unlock(&d->syncer.run_lock);
	log_notices(d, y->service, res->notices);
	if (!ask->dry_run && i >= 0)
		rgd_metrics_sync(&d->metrics, g->slots[i], rc == RG_OK,
		                 res->applied ? json_array_size(res->changes)
		                              : 0,
		                 (int64_t)time(NULL));
	if (rc != RG_OK)
		rgd_log(&d->log, RG_LOG_ERR, "sync %s: %s", y->service,
		        res->err);
	else if (!ask->dry_run)
		rgd_log(&d->log, RG_LOG_INFO, "sync %s: %s: %zu changes%s",
		        y->service, ask->actor, json_array_size(res->changes),
		        res->applied ? "" : " (the directory matches)");
	return rc;
}

/* Runs y's sync when its time has come (slot's due time in *due). */
static void maybe_run(struct rgd *d, struct rgd_gen *g,
                      const struct rgd_sync *y, int64_t *due)
{
	struct rgd_sync_ask ask = {0, y->prune, PERIODIC_ACTOR, NULL};
	char command[COMMAND_MAX];
	struct rgsync_result res;
	int64_t now = (int64_t)time(NULL);

	if (!*due) {
		*due = now + y->interval;
		return;
	}
	if (now < *due)
		return;
	snprintf(command, sizeof(command), RGD_NAME ": sync %s (every %u s)%s",
	         y->service, y->interval, y->prune ? " prune" : "");
	ask.command = command;
	rgd_sync_run(d, g, y, &ask, &res);
	rgsync_result_free(&res);
	*due = (int64_t)time(NULL) + y->interval;
}

/*
 * One look at the syncs of the generation serving.  A service whose
 * periodic sync a reload removed starts over: were it added again, its
 * first run would come one interval after that, not at once.
 */
static void tick(struct rgd *d)
{
	/* Pinned: a sync writes the directory and talks to a product. */
	struct rgd_gen *g = rgd_engine_pin(&d->engine);
	int periodic[RGD_METRIC_SERVICES] = {0};
	size_t i;

	for (i = 0; g && i < g->conf.nsyncs; i++) {
		const struct rgd_sync *y = &g->conf.syncs[i];
		long s = rgd_gen_service(g, y->service);

		if (!y->interval || s < 0 || g->slots[s] >= RGD_SLOT_OTHER)
			continue;
		periodic[g->slots[s]] = 1;
		maybe_run(d, g, y, &d->syncer.due[g->slots[s]]);
	}
	rgd_engine_unpin(&d->engine, g);
	for (i = 0; i < RGD_METRIC_SERVICES; i++)
		if (!periodic[i])
			d->syncer.due[i] = 0;
}

/* 1 when told to stop, after waiting up to a tick for it. */
static int wait_tick(struct rgd_syncer *y)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += TICK_S;
	pthread_mutex_lock(&y->wait_lock);
	while (!y->stop && pthread_cond_timedwait(&y->wake, &y->wait_lock,
	                                          &until) != ETIMEDOUT)
		;
	stop = y->stop;
	pthread_mutex_unlock(&y->wait_lock);
	return stop;
}

static void *periodic(void *arg)
{
	struct rgd *d = arg;

	while (!wait_tick(&d->syncer))
		tick(d);
	return NULL;
}

int rgd_syncer_start(struct rgd *d)
{
	if (pthread_create(&d->syncer.thread, NULL, periodic, d) != 0) {
		rgd_log(&d->log, RG_LOG_ERR,
		        "cannot start the periodic sync thread");
		return RG_EINTERNAL;
	}
	d->syncer.running = 1;
	return RG_OK;
}

void rgd_syncer_stop(struct rgd *d)
{
	struct rgd_syncer *y = &d->syncer;

	struct rgd_gen *g;

	if (!y->running)
		return;
	/* Older generations were cancelled when they were replaced. */
	g = rgd_engine_pin(&d->engine);
	if (g)
		atomic_store(&g->cancel, 1);
	rgd_engine_unpin(&d->engine, g);
	pthread_mutex_lock(&y->wait_lock);
	y->stop = 1;
	pthread_cond_signal(&y->wake);
	pthread_mutex_unlock(&y->wait_lock);
	pthread_join(y->thread, NULL);
	y->running = 0;
}
