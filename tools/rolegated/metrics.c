/*
 * metrics.c - counters, and their Prometheus text exposition (GET /metrics).
 *
 * Every counter is an atomic bumped with relaxed ordering: readers only
 * need each value, not an order between them.  Decisions are counted per
 * service slot; a slot is given to a service name the first time a loaded
 * configuration has it and keeps it for the life of the process, so that a
 * reload never resets or mixes up a series.  Names a client makes up (an
 * unknown service) all share one slot: clients cannot grow the table.
 */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rolegated.h"

#define NS_PER_S 1000000000.0
#define MS_PER_S 1000.0

/* Upper bounds of the latency buckets, in nanoseconds. */
static const uint64_t bucket_ns[RGD_LATENCY_BUCKETS] = {
    10000,   25000,   50000,    100000,   250000,   500000,    1000000,
    2500000, 5000000, 10000000, 25000000, 50000000, 100000000, 250000000,
};

static const unsigned code_values[RGD_NCODES] = {
    [RGD_C200] = 200, [RGD_C400] = 400, [RGD_C401] = 401, [RGD_C403] = 403,
    [RGD_C404] = 404, [RGD_C405] = 405, [RGD_C408] = 408, [RGD_C409] = 409,
    [RGD_C413] = 413, [RGD_C422] = 422, [RGD_C500] = 500, [RGD_C503] = 503,
    [RGD_COTHER] = 0,
};

#define RELAXED memory_order_relaxed

void rgd_metrics_init(struct rgd_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->start_time = (int64_t)time(NULL);
}

void rgd_metrics_free(struct rgd_metrics *m)
{
	size_t i;

	for (i = 0; i < m->nservices; i++)
		free(m->services[i]);
	pthread_mutex_destroy(&m->lock);
}

unsigned rgd_metrics_slot(struct rgd_metrics *m, const char *service)
{
	unsigned slot = RGD_SLOT_OTHER;
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nservices; i++)
		if (strcmp(m->services[i], service) == 0)
			break;
	if (i < m->nservices) {
		slot = (unsigned)i;
	} else if (m->nservices < RGD_METRIC_SERVICES) {
		m->services[m->nservices] = strdup(service);
		if (m->services[m->nservices])
			slot = (unsigned)m->nservices++;
	}
	pthread_mutex_unlock(&m->lock);
	return slot;
}

void rgd_metrics_decision(struct rgd_metrics *m, unsigned slot, int allow,
                          int error, uint64_t ns)
{
	size_t b = 0;

	if (slot > RGD_SLOT_OTHER)
		slot = RGD_SLOT_OTHER;
	atomic_fetch_add_explicit(&m->decisions[slot][allow ? 0 : 1], 1,
	                          RELAXED);
	if (error)
		atomic_fetch_add_explicit(&m->engine_errors, 1, RELAXED);
	while (b < RGD_LATENCY_BUCKETS && ns > bucket_ns[b])
		b++;
	atomic_fetch_add_explicit(&m->latency[b], 1, RELAXED);
	atomic_fetch_add_explicit(&m->latency_ns, ns, RELAXED);
}

void rgd_metrics_sync_configured(struct rgd_metrics *m, unsigned slot)
{
	pthread_mutex_lock(&m->lock);
	m->syncs[slot].configured = 1;
	pthread_mutex_unlock(&m->lock);
}

void rgd_metrics_sync(struct rgd_metrics *m, unsigned slot, int ok,
                      size_t changes, int64_t when)
{
	struct rgd_sync_stat *st;

	if (slot >= RGD_SLOT_OTHER)
		return;
	pthread_mutex_lock(&m->lock);
	st = &m->syncs[slot];
	st->configured = 1;
	st->runs++;
	st->failures += !ok;
	st->last_run = when;
	st->last_ok = ok;
	st->last_changes = ok ? changes : 0;
	if (ok)
		st->last_success = when;
	pthread_mutex_unlock(&m->lock);
}

void rgd_metrics_sync_get(struct rgd_metrics *m, unsigned slot,
                          struct rgd_sync_stat *out)
{
	memset(out, 0, sizeof(*out));
	if (slot >= RGD_SLOT_OTHER)
		return;
	pthread_mutex_lock(&m->lock);
	*out = m->syncs[slot];
	pthread_mutex_unlock(&m->lock);
}

void rgd_metrics_response(struct rgd_metrics *m, unsigned http_status)
{
	size_t i;

	for (i = 0; i < RGD_COTHER; i++)
		if (code_values[i] == http_status)
			break;
	atomic_fetch_add_explicit(&m->responses[i], 1, RELAXED);
}

static uint64_t get(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, RELAXED);
}

static void header(struct rgd_buf *b, const char *name, const char *type,
                   const char *help)
{
	rgd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	               type);
}

static void decisions(struct rgd_metrics *m, struct rgd_buf *b)
{
	static const char *const results[2] = {"allow", "deny"};
	size_t i, r, n;

	header(b, "rolegated_decisions_total", "counter",
	       "Decisions by service and result.");
	pthread_mutex_lock(&m->lock);
	n = m->nservices;
	for (i = 0; i <= n; i++) {
		const char *name = i < n ? m->services[i] : "";

		if (i == n && !get(&m->decisions[RGD_SLOT_OTHER][0]) &&
		    !get(&m->decisions[RGD_SLOT_OTHER][1]))
			break;
		for (r = 0; r < 2; r++)
			rgd_buf_printf(
			    b,
			    "rolegated_decisions_total{service=\"%s\","
			    "decision=\"%s\"} %" PRIu64 "\n",
			    name, results[r],
			    get(&m->decisions[i < n ? i : RGD_SLOT_OTHER][r]));
	}
	pthread_mutex_unlock(&m->lock);
}

static void latency(struct rgd_metrics *m, struct rgd_buf *b)
{
	uint64_t cumulative = 0;
	size_t i;

	header(b, "rolegated_decision_duration_seconds", "histogram",
	       "Time spent deciding, without HTTP.");
	for (i = 0; i < RGD_LATENCY_BUCKETS; i++) {
		cumulative += get(&m->latency[i]);
		rgd_buf_printf(b,
		               "rolegated_decision_duration_seconds_bucket{"
		               "le=\"%g\"} %" PRIu64 "\n",
		               (double)bucket_ns[i] / NS_PER_S, cumulative);
	}
	cumulative += get(&m->latency[RGD_LATENCY_BUCKETS]);
	rgd_buf_printf(
	    b,
	    "rolegated_decision_duration_seconds_bucket{le=\"+Inf\"}"
	    " %" PRIu64 "\n"
	    "rolegated_decision_duration_seconds_sum %.9f\n"
	    "rolegated_decision_duration_seconds_count %" PRIu64 "\n",
	    cumulative, (double)get(&m->latency_ns) / NS_PER_S, cumulative);
}

static void responses(struct rgd_metrics *m, struct rgd_buf *b)
{
	size_t i;

	header(b, "rolegated_http_responses_total", "counter",
	       "HTTP answers by status code.");
	for (i = 0; i < RGD_NCODES; i++) {
		uint64_t v = get(&m->responses[i]);

		if (!v && i == RGD_COTHER)
			continue;
		if (i == RGD_COTHER)
			rgd_buf_printf(b,
			               "rolegated_http_responses_total{code="
			               "\"other\"} %" PRIu64 "\n",
			               v);
		else
			rgd_buf_printf(b,
			               "rolegated_http_responses_total{code="
			               "\"%u\"} %" PRIu64 "\n",
			               code_values[i], v);
	}
}

static void counter(struct rgd_buf *b, const char *name, const char *help,
                    uint64_t v)
{
	header(b, name, "counter", help);
	rgd_buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void gauge(struct rgd_buf *b, const char *name, const char *help,
                  int64_t v)
{
	header(b, name, "gauge", help);
	rgd_buf_printf(b, "%s %" PRId64 "\n", name, v);
}

/* One value per service with a sync configured: the member at offset of
 * its struct rgd_sync_stat (uint64_t, or int64_t/int when is). */
enum stat_type { STAT_U64, STAT_I64, STAT_INT };

struct sync_series {
	const char *name;
	const char *type;
	const char *help;
	size_t offset;
	enum stat_type is;
};

static const struct sync_series sync_series[] = {
    {"rolegated_sync_runs_total", "counter",
     "Syncs applied (periodic and POST /v1/admin/sync), by service.",
     offsetof(struct rgd_sync_stat, runs), STAT_U64},
    {"rolegated_sync_failures_total", "counter",
     "Syncs that failed and changed nothing, by service.",
     offsetof(struct rgd_sync_stat, failures), STAT_U64},
    {"rolegated_sync_last_run_timestamp_seconds", "gauge",
     "When the last sync ended (0: none yet).",
     offsetof(struct rgd_sync_stat, last_run), STAT_I64},
    {"rolegated_sync_last_success_timestamp_seconds", "gauge",
     "When the last successful sync ended (0: none yet).",
     offsetof(struct rgd_sync_stat, last_success), STAT_I64},
    {"rolegated_sync_last_result", "gauge",
     "1 when the last sync succeeded, else 0.",
     offsetof(struct rgd_sync_stat, last_ok), STAT_INT},
    {"rolegated_sync_last_changes", "gauge", "Changes the last sync applied.",
     offsetof(struct rgd_sync_stat, last_changes), STAT_U64},
};

static int64_t stat_value(const struct rgd_sync_stat *st,
                          const struct sync_series *s)
{
	const char *p = (const char *)st + s->offset;

	if (s->is == STAT_INT)
		return *(const int *)p;
	if (s->is == STAT_I64)
		return *(const int64_t *)p;
	return (int64_t) * (const uint64_t *)p;
}

static void syncs(struct rgd_metrics *m, struct rgd_buf *b)
{
	size_t i, k;

	pthread_mutex_lock(&m->lock);
	for (k = 0; k < RG_COUNTOF(sync_series); k++) {
		int any = 0;

		for (i = 0; i < m->nservices; i++) {
			if (!m->syncs[i].configured)
				continue;
			if (!any++)
				header(b, sync_series[k].name,
				       sync_series[k].type,
				       sync_series[k].help);
			rgd_buf_printf(
			    b, "%s{service=\"%s\"} %" PRId64 "\n",
			    sync_series[k].name, m->services[i],
			    stat_value(&m->syncs[i], &sync_series[k]));
		}
	}
	pthread_mutex_unlock(&m->lock);
}

void rgd_metrics_render(struct rgd_metrics *m, int ready, long long dir_age_ms,
                        struct rgd_buf *b)
{
	header(b, "rolegated_build_info", "gauge", "Versions, as labels.");
	rgd_buf_printf(b,
	               "rolegated_build_info{version=\"%s\","
	               "librolegate=\"%s\"} 1\n",
	               PACKAGE_VERSION, rg_version());
	decisions(m, b);
	latency(m, b);
	counter(b, "rolegated_decision_errors_total",
	        "Denies forced by an error (unknown service, role, action or "
	        "user; plugin failure).",
	        get(&m->engine_errors));
	counter(b, "rolegated_bad_requests_total",
	        "Requests refused before any decision (malformed input).",
	        get(&m->bad_requests));
	responses(m, b);
	header(b, "rolegated_reloads_total", "counter",
	       "Configuration loads after the first, by result.");
	rgd_buf_printf(b,
	               "rolegated_reloads_total{result=\"ok\"} %" PRIu64 "\n"
	               "rolegated_reloads_total{result=\"failed\"} %" PRIu64
	               "\n",
	               get(&m->reloads_ok), get(&m->reloads_failed));
	gauge(b, "rolegated_config_generation",
	      "Number of the configuration serving (1 at start).",
	      (int64_t)get(&m->generation));
	gauge(b, "rolegated_config_last_reload_success_timestamp_seconds",
	      "When the configuration serving was loaded.",
	      atomic_load_explicit(&m->reload_time, RELAXED));
	counter(b, "rolegated_decision_log_lines_total",
	        "Decision log lines written.", get(&m->log_written));
	counter(b, "rolegated_decision_log_dropped_total",
	        "Decision log lines dropped because the queue was full.",
	        get(&m->log_dropped));
	counter(b, "rolegated_decision_log_write_errors_total",
	        "Decision log lines lost to write errors.",
	        get(&m->log_write_errors));
	gauge(b, "rolegated_requests_in_flight", "Requests being answered.",
	      atomic_load_explicit(&m->in_flight, RELAXED));
	gauge(b, "rolegated_ready",
	      "1 when a configuration is serving and its directory snapshot "
	      "is within directory_max_age.",
	      ready);
	/* Absent without a directory, or before its first read. */
	if (dir_age_ms >= 0) {
		header(b, "rolegated_directory_age_seconds", "gauge",
		       "Seconds since the directory snapshot was last known "
		       "current.");
		rgd_buf_printf(b, "rolegated_directory_age_seconds %.3f\n",
		               (double)dir_age_ms / MS_PER_S);
	}
	gauge(b, "rolegated_start_time_seconds", "When the process started.",
	      m->start_time);
	syncs(m, b);
}
