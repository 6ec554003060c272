/*
 * engine.c - loaded configurations and how a new one replaces the old
 * while requests keep coming.
 *
 * A generation is one rg_context with the [rolegated] settings and routes
 * read along with it.  It is published as the library publishes its
 * snapshots (include/private/rg_pub.h): a request reads the current
 * generation inside a read, which costs no atomic operation, and a swap
 * replaces it and waits for a grace period.  What holds a generation for
 * long (an admin call that writes the directory, whose commit publishes a
 * snapshot and so waits for a grace period itself; a sync that talks to a
 * product) pins it instead: a reference taken inside a read.  The
 * publication holds one reference; the last to let go frees it.  Requests
 * in flight finish on the generation they started on.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rolegated.h"

#define RESTART_FMT "%s changed: restart rolegated to apply it"

void rgd_engine_init(struct rgd_engine *e, struct rgd *d)
{
	memset(e, 0, sizeof(*e));
	rg_pub_init(&e->pub, NULL);
	pthread_mutex_init(&e->lock, NULL);
	e->d = d;
}

void rgd_engine_free(struct rgd_engine *e)
{
	rgd_engine_unpin(e, rg_pub_peek(&e->pub));
	rg_pub_init(&e->pub, NULL);
	pthread_mutex_destroy(&e->lock);
}

void rgd_gen_free(struct rgd_gen *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; g->targets && i < g->conf.nroutes; i++)
		rg_target_free(g->targets[i]);
	free(g->targets);
	rg_close(g->ctx);
	rgd_conf_free(&g->conf);
	free(g->names);
	free(g->slots);
	free(g);
}

/* ---- reports --------------------------------------------------------------
 */

static void report_add(size_t *n, char lines[][RGD_REPORT_LINE],
                       const char *fmt, va_list ap)
{
	if (*n < RGD_REPORT_MAX)
		vsnprintf(lines[*n], RGD_REPORT_LINE, fmt, ap);
	(*n)++;
}

static void problem(struct rgd_report *r, const char *fmt, ...) RG_PRINTF(2, 3);

static void problem(struct rgd_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_add(&r->nproblems, r->problems, fmt, ap);
	va_end(ap);
}

static void warning(struct rgd_report *r, const char *fmt, ...) RG_PRINTF(2, 3);

static void warning(struct rgd_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_add(&r->nwarnings, r->warnings, fmt, ap);
	va_end(ap);
}

static void conf_problem(void *user, int is_warning, const char *msg)
{
	if (is_warning)
		warning(user, "%s", msg);
	else
		problem(user, "%s", msg);
}

/* ---- loading --------------------------------------------------------------
 */

static int index_services(struct rgd *d, struct rgd_gen *g)
{
	size_t i, n = rg_service_count(g->ctx);

	g->names = calloc(n ? n : 1, sizeof(*g->names));
	g->slots = calloc(n ? n : 1, sizeof(*g->slots));
	if (!g->names || !g->slots)
		return RG_ENOMEM;
	for (i = 0; i < n; i++) {
		const rg_service *svc = rg_service_at(g->ctx, i);

		g->names[i] = svc ? rg_service_name(svc) : "";
		g->slots[i] = rgd_metrics_slot(&d->metrics, g->names[i]);
		if (rgd_conf_sync(&g->conf, g->names[i]) &&
		    g->slots[i] < RGD_SLOT_OTHER)
			rgd_metrics_sync_configured(&d->metrics, g->slots[i]);
	}
	g->nservices = n;
	return RG_OK;
}

/* Resolves each route's service and action once, for every request it
 * matches.  One that does not resolve stays NULL: rg_check() then denies
 * its requests with the reason (an unknown service or action). */
static int resolve_routes(struct rgd_gen *g)
{
	size_t i;

	g->targets =
	    calloc(g->conf.nroutes ? g->conf.nroutes : 1, sizeof(*g->targets));
	if (!g->targets)
		return RG_ENOMEM;
	for (i = 0; i < g->conf.nroutes; i++) {
		const struct rgd_route *r = &g->conf.routes[i];
		int rc;

		if (r->broken || !r->service || !r->action)
			continue;
		rc = rg_target_resolve(g->ctx, r->service, r->action,
		                       &g->targets[i]);
		if (rc == RG_ENOMEM)
			return rc;
	}
	return RG_OK;
}

int rgd_engine_load(struct rgd_engine *e, struct rgd_gen **out,
                    struct rgd_report *r)
{
	struct rgd *d = e->d;
	char err[RGD_REPORT_LINE] = "";
	struct rgd_gen *g;
	rg_options opts;
	size_t i, n;
	int rc;

	*out = NULL;
	r->ok = 0;
	r->status = RG_ENOMEM;
	g = calloc(1, sizeof(*g));
	if (!g || rgd_conf_init(&g->conf) != RG_OK) {
		free(g);
		problem(r, "out of memory");
		return RG_ENOMEM;
	}
	if (d->admin_socket_default &&
	    rgd_conf_default_admin_socket(&g->conf, d->admin_socket_default) !=
	        RG_OK) {
		problem(r, "out of memory");
		rgd_gen_free(g);
		return RG_ENOMEM;
	}
	memset(&opts, 0, sizeof(opts));
	opts.config_path = d->config_path;
	opts.plugin_dir = d->plugin_dir;
	if (d->plugin_dir_default)
		opts.flags |= RG_OPEN_PLUGIN_DIR_DEFAULT;
	opts.directory = d->directory;
	opts.app_sections = rgd_conf_sections;
	opts.app_conf = rgd_conf_key;
	opts.app_user = &g->conf;
	/* An empty [route NAME] is an error, not a route that never was. */
	opts.flags |= RG_OPEN_APP_SECTION_OPEN;
	opts.log = rgd_log_lib;
	opts.log_user = &d->log;
	rc = rg_open(&g->ctx, &opts, err, sizeof(err));
	if (rc != RG_OK) {
		problem(r, "%s", err[0] ? err : rg_strerror(rc));
		r->status = rc;
		rgd_gen_free(g);
		return rc;
	}
	n = rg_diagnostic_count(g->ctx);
	for (i = 0; i < n; i++)
		problem(r, "%s", rg_diagnostic(g->ctx, i));
	r->nlogged = r->nproblems; /* the library logged each as found */
	rgd_conf_check(&g->conf, g->ctx, conf_problem, r);
	if (r->nproblems) {
		r->status = RG_ECONFIG;
		rgd_gen_free(g);
		return RG_ECONFIG;
	}
	rc = index_services(d, g);
	if (rc == RG_OK)
		rc = resolve_routes(g);
	if (rc != RG_OK) {
		problem(r, "out of memory");
		r->status = rc;
		rgd_gen_free(g);
		return rc;
	}
	g->number = ++e->loaded;
	g->loaded_at = (int64_t)time(NULL);
	r->ok = 1;
	r->status = RG_OK;
	r->generation = g->number;
	*out = g;
	return RG_OK;
}

void rgd_report_log(struct rgd *d, const struct rgd_report *r)
{
	size_t i;

	for (i = r->nlogged; i < r->nproblems && i < RGD_REPORT_MAX; i++)
		rgd_log(&d->log, RG_LOG_ERR, "%s", r->problems[i]);
	if (r->nproblems > RGD_REPORT_MAX)
		rgd_log(&d->log, RG_LOG_ERR, "(%zu more problems)",
		        r->nproblems - RGD_REPORT_MAX);
}

/* ---- publishing ------------------------------------------------------------
 */

struct rgd_gen *rgd_engine_acquire(struct rgd_engine *e, unsigned *token)
{
	*token = 1;
	return rg_pub_enter(&e->pub);
}

void rgd_engine_release(struct rgd_engine *e, unsigned token)
{
	if (token)
		rg_pub_leave(&e->pub);
}

struct rgd_gen *rgd_engine_pin(struct rgd_engine *e)
{
	struct rgd_gen *g = rg_pub_enter(&e->pub);

	/* Inside the read, the publication's reference is still held. */
	if (g)
		atomic_fetch_add(&g->pins, 1);
	rg_pub_leave(&e->pub);
	return g;
}

void rgd_engine_unpin(struct rgd_engine *e, struct rgd_gen *g)
{
	(void)e;
	if (g && atomic_fetch_sub(&g->pins, 1) == 1)
		rgd_gen_free(g);
}

void rgd_engine_swap(struct rgd_engine *e, struct rgd_gen *g)
{
	struct rgd_metrics *m = &e->d->metrics;
	struct rgd_gen *prev;

	atomic_init(&g->pins, 1); /* the publication's */
	prev = rg_pub_swap(&e->pub, g);
	atomic_store(&m->generation, g->number);
	atomic_store(&m->reload_time, g->loaded_at);
	/* No request reads prev any more: only pins may still hold it.  A
	 * sync on it gives up its request to the product: its
	 * configuration is replaced. */
	if (prev)
		atomic_store(&prev->cancel, 1);
	rgd_engine_unpin(e, prev);
}

long rgd_gen_service(const struct rgd_gen *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nservices; i++)
		if (strcmp(g->names[i], name) == 0)
			return (long)i;
	return -1;
}

/* ---- reloading -------------------------------------------------------------
 */

static int same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Settings the listeners and the log were started with: a restart applies
 * a change to them, a reload only says so. */
static void restart_warnings(const struct rgd_settings *boot,
                             const struct rgd_settings *s, struct rgd_report *r)
{
	if (!same(boot->address, s->address) || boot->port != s->port)
		warning(r, RESTART_FMT, "address or port");
	if (!same(boot->listen_socket, s->listen_socket))
		warning(r, RESTART_FMT, "listen_socket");
	if (boot->threads != s->threads)
		warning(r, RESTART_FMT, "threads");
	if (boot->max_header != s->max_header ||
	    boot->max_connections != s->max_connections ||
	    boot->request_timeout != s->request_timeout)
		warning(r, RESTART_FMT,
		        "max_header, max_connections or request_timeout");
	if (boot->header_timeout != s->header_timeout ||
	    boot->body_timeout != s->body_timeout ||
	    boot->max_connections_per_address != s->max_connections_per_address)
		warning(r, RESTART_FMT,
		        "header_timeout, body_timeout or "
		        "max_connections_per_address");
	if (!same(boot->decision_log, s->decision_log) ||
	    boot->decision_log_queue != s->decision_log_queue)
		warning(r, RESTART_FMT, "decision_log or decision_log_queue");
	if (boot->log != s->log)
		warning(r, RESTART_FMT, "log");
	if (!same(boot->admin_socket, s->admin_socket) ||
	    !same(boot->admin_listen, s->admin_listen) ||
	    !same(boot->admin_token_file, s->admin_token_file))
		warning(r, RESTART_FMT, "the admin listener");
}

int rgd_engine_reload(struct rgd_engine *e, const char *why,
                      struct rgd_report *r)
{
	struct rgd *d = e->d;
	struct rgd_gen *g = NULL;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	pthread_mutex_lock(&e->lock);
	rc = rgd_engine_load(e, &g, r);
	if (rc != RG_OK) {
		atomic_fetch_add(&d->metrics.reloads_failed, 1);
		rgd_log(
		    &d->log, RG_LOG_ERR,
		    "reload (%s) of %s failed with %zu problem%s; "
		    "generation %llu keeps serving",
		    why, d->config_path, r->nproblems,
		    r->nproblems == 1 ? "" : "s",
		    (unsigned long long)atomic_load(&d->metrics.generation));
		rgd_report_log(d, r);
		pthread_mutex_unlock(&e->lock);
		return rc;
	}
	restart_warnings(&d->boot, &g->conf.s, r);
	rgd_engine_swap(e, g);
	atomic_fetch_add(&d->metrics.reloads_ok, 1);
	rgd_log(&d->log, RG_LOG_NOTICE,
	        "reload (%s): generation %llu serving (%zu services, %zu "
	        "routes)",
	        why, (unsigned long long)r->generation, g->nservices,
	        g->conf.nroutes);
	for (i = 0; i < r->nwarnings && i < RGD_REPORT_MAX; i++)
		rgd_log(&d->log, RG_LOG_WARNING, "%s", r->warnings[i]);
	pthread_mutex_unlock(&e->lock);
	return RG_OK;
}

/* ---- settings
 * ---------------------------------------------------------------- */

static int copy_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst ? 0 : -1;
}

int rgd_settings_copy(struct rgd_settings *dst, const struct rgd_settings *src)
{
	*dst = *src;
	dst->address = dst->listen_socket = NULL;
	dst->decision_log = dst->admin_socket = NULL;
	dst->admin_listen = dst->admin_token_file = NULL;
	dst->authz_user_header = NULL;
	if (copy_str(&dst->address, src->address) < 0 ||
	    copy_str(&dst->listen_socket, src->listen_socket) < 0 ||
	    copy_str(&dst->decision_log, src->decision_log) < 0 ||
	    copy_str(&dst->admin_socket, src->admin_socket) < 0 ||
	    copy_str(&dst->admin_listen, src->admin_listen) < 0 ||
	    copy_str(&dst->admin_token_file, src->admin_token_file) < 0 ||
	    copy_str(&dst->authz_user_header, src->authz_user_header) < 0) {
		rgd_settings_free(dst);
		return RG_ENOMEM;
	}
	return RG_OK;
}

void rgd_settings_free(struct rgd_settings *s)
{
	free(s->address);
	free(s->listen_socket);
	free(s->decision_log);
	free(s->admin_socket);
	free(s->admin_listen);
	free(s->admin_token_file);
	free(s->authz_user_header);
	memset(s, 0, sizeof(*s));
}
