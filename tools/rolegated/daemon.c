/*
 * daemon.c - a daemon's pieces made, started, stopped and freed: what
 * main.c does around its options, detaching and signals, kept apart so
 * that a program other than rolegated's main (the raw HTTP fuzz target)
 * can serve in process exactly as rolegated does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "rolegated.h"

struct rgd *rgd_new(const char *config_path, int log_level)
{
	struct rgd *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->config_path = config_path;
	d->http_fd = -1;
	rgd_log_init(&d->log, log_level);
	rgd_metrics_init(&d->metrics);
	rgd_engine_init(&d->engine, d);
	rgd_syncer_init(&d->syncer);
	return d;
}

/*
 * What -t says of each [sync SERVICE] beyond "ok": where it reads from and
 * how often, so that a check before a deploy shows what the daemon would
 * sync (the token file's path only: its content is the secret).
 */
static void print_syncs(const struct rgd_conf *c)
{
	size_t i;

	for (i = 0; i < c->nsyncs; i++) {
		const struct rgd_sync *y = &c->syncs[i];

		printf("[sync %s] from = %s, token_file = %s, map = %s, "
		       "interval = %u%s, prune = %s\n",
		       y->service, y->from, y->token_file,
		       y->map ? y->map : "(none)", y->interval,
		       y->interval ? "" : " (on request only)",
		       y->prune ? "yes" : "no");
	}
}

int rgd_first_load(struct rgd *d, int test)
{
	struct rgd_report *r = calloc(1, sizeof(*r));
	struct rgd_gen *g = NULL;
	int rc;

	if (!r) {
		rgd_log(&d->log, RG_LOG_ERR, "out of memory");
		return -1;
	}
	rc = rgd_engine_load(&d->engine, &g, r);
	if (rc != RG_OK) {
		rgd_report_log(d, r);
		rgd_log(&d->log, RG_LOG_ERR, "%s: %zu problem%s: not starting",
		        d->config_path, r->nproblems,
		        r->nproblems == 1 ? "" : "s");
		free(r);
		return -1;
	}
	for (size_t i = 0; i < r->nwarnings && i < RGD_REPORT_MAX; i++)
		rgd_log(&d->log, RG_LOG_WARNING, "%s", r->warnings[i]);
	free(r);
	if (test) {
		printf("%s: ok (%zu services, %zu routes)\n", d->config_path,
		       g->nservices, g->conf.nroutes);
		print_syncs(&g->conf);
		rgd_gen_free(g);
		return 1;
	}
	if (rgd_settings_copy(&d->boot, &g->conf.s) != RG_OK) {
		rgd_log(&d->log, RG_LOG_ERR, "out of memory");
		rgd_gen_free(g);
		return -1;
	}
	rgd_engine_swap(&d->engine, g);
	return 0;
}

int rgd_start(struct rgd *d, int detached)
{
	if (detached && d->boot.log == RGD_LOG_STDERR) {
		rgd_log(&d->log, RG_LOG_NOTICE,
		        "detached: logging to syslog instead of stderr");
		rgd_log_use(&d->log, RGD_LOG_SYSLOG);
	} else {
		rgd_log_use(&d->log, d->boot.log);
	}
	/* Unix sockets first, before any listener's thread: they are bound
	 * under a temporary umask. */
	if (rgd_http_bind(d) != RG_OK)
		return -1;
	if (rgd_admin_start(d) != RG_OK)
		return -1;
	if (rgd_dlog_start(&d->dlog, d->boot.decision_log,
	                   d->boot.decision_log_queue, &d->metrics,
	                   &d->log) != RG_OK)
		return -1;
	if (rgd_http_start(d) != RG_OK)
		return -1;
	if (rgd_syncer_start(d) != RG_OK)
		return -1;
	return 0;
}

/* The shutdown timeout of the configuration serving now. */
static unsigned shutdown_timeout(struct rgd *d)
{
	struct rgd_gen *g;
	unsigned slot, t;

	g = rgd_engine_acquire(&d->engine, &slot);
	t = g ? g->conf.s.shutdown_timeout : d->boot.shutdown_timeout;
	rgd_engine_release(&d->engine, slot);
	return t;
}

void rgd_stop(struct rgd *d)
{
	/* First: a sync in progress pins a generation until it ends. */
	rgd_syncer_stop(d);
	rgd_http_stop(d, shutdown_timeout(d));
	rgd_admin_stop(d);
	rgd_dlog_stop(&d->dlog);
	rgd_engine_free(&d->engine);
}

void rgd_free(struct rgd *d)
{
	if (!d)
		return;
	rgd_settings_free(&d->boot);
	rgd_metrics_free(&d->metrics);
	rgd_syncer_free(&d->syncer);
	free(d);
}
