/*
 * decide.c - one decision: the library's answer, forced to a deny on any
 * error, timed, counted, given an id and queued for the decision log.
 *
 * Decision ids are 16 hex digits: a per-process random seed plus a counter,
 * passed through a bijective mixer (the splitmix64 finalizer), so they are
 * unique within the process, unpredictable across processes, and cost one
 * atomic increment.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "rolegated.h"

#define NS_PER_S  1000000000ull
#define NS_PER_US 1000ull

/* Caps (in output bytes) of the decision log's strings: a line always
 * fits its cell. */
#define CAP_SERVICE 64
#define CAP_SUBJECT 320
#define CAP_ACTION  96
#define CAP_REASON  256
#define CAP_PLUGIN  48
#define CAP_ROUTE   48
#define CAP_METHOD  16
#define CAP_URI     256
#define CAP_KEY     48
#define CAP_VALUE   96
/* Attributes stop being logged past this much of the line. */
#define ATTRS_UNTIL (RGD_DLOG_LINE - 160)

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void rgd_decision_id(struct rgd *d, char out[RGD_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t n =
	    atomic_fetch_add_explicit(&d->id_next, 1, memory_order_relaxed);
	uint64_t x = mix(d->id_seed + n);
	int i;

	for (i = RGD_ID_LEN - 1; i >= 0; i--) {
		out[i] = hex[x & 0xf];
		x >>= 4;
	}
	out[RGD_ID_LEN] = '\0';
}

int rgd_engine_failure(int status)
{
	switch (status) {
	case RG_ENOMEM:
	case RG_EPLUGIN:
	case RG_EABI:
	case RG_EIO:
	case RG_EINTERNAL:
		return 1;
	default:
		return 0;
	}
}

static const char *reason_of(const rg_decision *dec, int status)
{
	if (dec->reason[0])
		return dec->reason;
	return status != RG_OK ? rg_strerror(status) : "no reason given";
}

static uint64_t elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (uint64_t)(b->tv_sec - a->tv_sec) * NS_PER_S +
	       (uint64_t)b->tv_nsec - (uint64_t)a->tv_nsec;
}

static void log_attrs(struct rgd_buf *b, const char *key, const rg_attr *a,
                      size_t n)
{
	size_t i;

	if (!n)
		return;
	rgd_json_key(b, key);
	rgd_json_open(b, '{');
	for (i = 0; i < n && b->len < ATTRS_UNTIL; i++) {
		rgd_json_strn(b, a[i].key ? a[i].key : "", CAP_KEY);
		rgd_buf_put(b, ":", 1);
		b->after_key = 1;
		rgd_json_strn(b, a[i].value, CAP_VALUE);
	}
	rgd_json_close(b, '}');
}

/* The line of one decision, into a decision log cell. */
static void log_decision(struct rgd *d, const rg_request *req,
                         const rg_decision *dec, int status,
                         const struct rgd_origin *o, const char *id,
                         uint64_t ns)
{
	struct rgd_dlog_cell *cell;
	struct rgd_buf b;
	size_t pos;

	cell = rgd_dlog_claim(&d->dlog, &pos);
	if (!cell)
		return;
	clock_gettime(CLOCK_REALTIME, &cell->ts);
	/* The writer adds {"ts":...,; the line starts inside the object. */
	rgd_buf_init(&b, cell->line, sizeof(cell->line));
	b.depth = 1;
	b.first |= 1u << 1;
	rgd_json_key(&b, "id");
	rgd_json_str(&b, id);
	rgd_json_key(&b, "endpoint");
	rgd_json_str(&b, o->endpoint);
	rgd_json_key(&b, "service");
	rgd_json_strn(&b, req->service, CAP_SERVICE);
	rgd_json_key(&b, req->subject.user ? "user" : "roles");
	rgd_json_strn(
	    &b, req->subject.user ? req->subject.user : req->subject.roles,
	    CAP_SUBJECT);
	rgd_json_key(&b, "action");
	rgd_json_strn(&b, req->action, CAP_ACTION);
	rgd_json_key(&b, "decision");
	rgd_json_str(&b, rg_result_name(dec->result));
	rgd_json_key(&b, "status");
	rgd_json_str(&b, rg_status_name(status));
	rgd_json_key(&b, "reason");
	rgd_json_strn(&b, reason_of(dec, status), CAP_REASON);
	if (dec->plugin) {
		rgd_json_key(&b, "plugin");
		rgd_json_strn(&b, dec->plugin, CAP_PLUGIN);
	}
	if (o->route) {
		rgd_json_key(&b, "route");
		rgd_json_strn(&b, o->route, CAP_ROUTE);
	}
	if (o->method) {
		rgd_json_key(&b, "method");
		rgd_json_strn(&b, o->method, CAP_METHOD);
	}
	if (o->uri) {
		rgd_json_key(&b, "uri");
		rgd_json_strn(&b, o->uri, CAP_URI);
	}
	log_attrs(&b, "attributes", req->attrs, req->nattrs);
	log_attrs(&b, "subject_attributes", req->subject.attrs,
	          req->subject.nattrs);
	rgd_json_key(&b, "latency_us");
	rgd_json_int(&b, (long long)(ns / NS_PER_US));
	rgd_json_close(&b, '}');
	/* The caps make this impossible; a cut line would not be JSON. */
	rgd_dlog_commit(&d->dlog, cell, pos, b.failed ? 0 : b.len);
	if (b.failed)
		atomic_fetch_add(&d->metrics.log_dropped, 1);
}

void rgd_record(struct rgd *d, const struct rgd_gen *g, const rg_request *req,
                const rg_decision *dec, int status, int error,
                const struct rgd_origin *o, uint64_t ns,
                char id[RGD_ID_LEN + 1])
{
	long svc = req->service ? rgd_gen_service(g, req->service) : -1;

	rgd_metrics_decision(&d->metrics,
	                     svc >= 0 ? g->slots[svc] : RGD_SLOT_OTHER,
	                     dec->result == RG_ALLOW, error, ns);
	rgd_decision_id(d, id);
	log_decision(d, req, dec, status, o, id, ns);
}

/* rg_check() of req, or rg_check_target() when t resolved its service and
 * action and req names a user: the same answer without their lookups. */
static int check(const struct rgd_gen *g, const rg_request *req,
                 const rg_target *t, rg_decision *dec)
{
	const char *user = req->subject.user;
	size_t len;

	if (!t || !user || !*user)
		return rg_check(g->ctx, req, 0, dec);
	len = strlen(user);
	return rg_check_target(g->ctx, t, user, len, rg_user_hash(user, len),
	                       req->attrs, req->nattrs, 0, dec);
}

int rgd_decide(struct rgd *d, const struct rgd_gen *g, const rg_request *req,
               const rg_target *t, int explain, rg_explanation *ex,
               const struct rgd_origin *o, char id[RGD_ID_LEN + 1])
{
	rg_decision *dec = &ex->decision;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ex->nsuggestions = 0;
	if (explain)
		rc = rg_explain(g->ctx, req, ex);
	else
		rc = check(g, req, t, dec);
	if (rc == RG_OK)
		rc = dec->status;
	if (rc != RG_OK || dec->result != RG_ALLOW)
		dec->result = RG_DENY;
	if (dec->ntrace > RG_TRACE_MAX)
		dec->ntrace = RG_TRACE_MAX;
	if (ex->nsuggestions > RG_SUGGEST_MAX)
		ex->nsuggestions = RG_SUGGEST_MAX;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rgd_record(d, g, req, dec, rc, rc != RG_OK, o, elapsed_ns(&t0, &t1),
	           id);
	return rc;
}

/* ---- JSON answers -----------------------------------------------------------
 */

static void trace_json(struct rgd_buf *b, const rg_decision *dec)
{
	size_t i;

	rgd_json_key(b, "trace");
	rgd_json_open(b, '[');
	for (i = 0; i < dec->ntrace; i++) {
		const rg_trace_entry *t = &dec->trace[i];

		rgd_json_open(b, '{');
		rgd_json_key(b, "plugin");
		rgd_json_str(b, t->plugin);
		rgd_json_key(b, "control");
		rgd_json_str(b, t->control);
		rgd_json_key(b, "line");
		rgd_json_int(b, t->line);
		rgd_json_key(b, "result");
		rgd_json_str(b, rg_result_name(t->result));
		rgd_json_key(b, "status");
		rgd_json_str(b, rg_status_name(t->status));
		rgd_json_key(b, "reason");
		rgd_json_str(b, t->reason);
		rgd_json_key(b, "role");
		rgd_json_opt(b, t->role);
		rgd_json_key(b, "missing");
		rgd_json_opt(b, t->missing);
		rgd_json_close(b, '}');
	}
	rgd_json_close(b, ']');
}

static void suggestions_json(struct rgd_buf *b, const rg_explanation *ex)
{
	size_t i, j;

	rgd_json_key(b, "suggestions");
	rgd_json_open(b, '[');
	for (i = 0; i < ex->nsuggestions; i++) {
		const rg_suggestion *s = &ex->suggestions[i];
		size_t n =
		    s->nroles > RG_SUGGEST_ROLES ? RG_SUGGEST_ROLES : s->nroles;

		rgd_json_open(b, '[');
		for (j = 0; j < n; j++)
			rgd_json_str(b, s->roles[j]);
		rgd_json_close(b, ']');
	}
	rgd_json_close(b, ']');
}

void rgd_json_decision(struct rgd_buf *b, const rg_explanation *ex, int status,
                       int explain)
{
	const rg_decision *dec = &ex->decision;

	rgd_json_key(b, "decision");
	rgd_json_str(b, rg_result_name(dec->result));
	rgd_json_key(b, "reason");
	rgd_json_str(b, reason_of(dec, status));
	rgd_json_key(b, "status");
	rgd_json_str(b, rg_status_name(status));
	if (status != RG_OK) {
		rgd_json_key(b, "error");
		rgd_json_str(b, rg_strerror(status));
	}
	rgd_json_key(b, "plugin");
	rgd_json_opt(b, dec->plugin);
	rgd_json_key(b, "role");
	rgd_json_opt(b, dec->role);
	rgd_json_key(b, "missing");
	rgd_json_opt(b, dec->missing);
	if (!explain)
		return;
	trace_json(b, dec);
	suggestions_json(b, ex);
}
