/*
 * log.c - logging and open-time diagnostics.
 *
 * Messages are formatted into a stack buffer, so logging from the decision
 * path allocates nothing.  Diagnostics are kept only while a context is
 * being built; afterwards the context is immutable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const level_names[] = {
    [RG_LOG_ERR] = "err",       [RG_LOG_WARNING] = "warning",
    [RG_LOG_NOTICE] = "notice", [RG_LOG_INFO] = "info",
    [RG_LOG_DEBUG] = "debug",
};

const char *rg_log_level_name(rg_log_level level)
{
	if (level < RG_LOG_ERR || level > RG_LOG_DEBUG)
		return "unknown";
	return level_names[level];
}

int rg_log_level_parse(const char *s)
{
	int l;

	for (l = RG_LOG_ERR; l <= RG_LOG_DEBUG; l++)
		if (strcmp(s, level_names[l]) == 0)
			return l;
	return -1;
}

void rg_vlog(const struct rg_context *ctx, rg_log_level level, const char *fmt,
             va_list ap)
{
	char raw[RG_MSG_MAX], msg[RG_MSG_MAX];

	if (!ctx || (int)level > ctx->log_level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* Messages quote input (file lines, ids): no control character of
	 * it may reach a terminal or a log viewer. */
	rg_escape(raw, 0, msg, sizeof(msg));
	if (ctx->log)
		ctx->log(ctx->log_user, level, msg);
	else
		fprintf(stderr, "rolegate: %s: %s\n", rg_log_level_name(level),
		        msg);
}

void rg_log(const struct rg_context *ctx, rg_log_level level, const char *fmt,
            ...)
{
	va_list ap;

	va_start(ap, fmt);
	rg_vlog(ctx, level, fmt, ap);
	va_end(ap);
}

/* A list of kept messages: the strings, and the service of each. */
struct kept {
	char ***msgs, ***svcs;
	size_t *n, *cap, *capsvcs;
};

static void keep(struct rg_context *ctx, rg_log_level level,
                 const struct kept *k, const char *file, unsigned line,
                 const char *fmt, va_list ap) RG_PRINTF(6, 0);

/* Stores msg and the service being read or opened now (NULL: none). */
static int keep_push(struct rg_context *ctx, const struct kept *k, char *msg)
{
	char *svc = NULL;
	size_t nsvcs = *k->n;

	if (ctx->diag_service) {
		svc = rg_strdup(ctx->diag_service);
		if (!svc)
			return RG_ENOMEM;
	}
	if (rg_ptr_push((void ***)k->svcs, &nsvcs, k->capsvcs, svc) != RG_OK ||
	    rg_ptr_push((void ***)k->msgs, k->n, k->cap, msg) != RG_OK) {
		free(svc);
		return RG_ENOMEM;
	}
	return RG_OK;
}

/* Formats "file:line: message", logs it at level and keeps it in a list of
 * the context while it is being built. */
static void keep(struct rg_context *ctx, rg_log_level level,
                 const struct kept *k, const char *file, unsigned line,
                 const char *fmt, va_list ap)
{
	char body[RG_MSG_MAX];
	char *raw, *msg;

	vsnprintf(body, sizeof(body), fmt, ap);
	if (file && line)
		raw = rg_asprintf("%s:%u: %s", file, line, body);
	else if (file)
		raw = rg_asprintf("%s: %s", file, body);
	else
		raw = rg_strdup(body);
	/* Kept escaped (see rg_vlog()): every reader prints them. */
	msg = raw ? rg_escape_dup(raw, 0) : NULL;
	free(raw);
	if (!msg)
		return;
	rg_log(ctx, level, "%s", msg);
	if (!ctx->building || keep_push(ctx, k, msg) != RG_OK)
		free(msg);
}

void rg_vdiag(struct rg_context *ctx, const char *file, unsigned line,
              const char *fmt, va_list ap)
{
	const struct kept k = {&ctx->diags, &ctx->diag_svcs, &ctx->ndiags,
	                       &ctx->capdiags, &ctx->capdiag_svcs};

	keep(ctx, RG_LOG_ERR, &k, file, line, fmt, ap);
}

void rg_diag(struct rg_context *ctx, const char *file, unsigned line,
             const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rg_vdiag(ctx, file, line, fmt, ap);
	va_end(ap);
}

void rg_warn(struct rg_context *ctx, const char *file, unsigned line,
             const char *fmt, ...)
{
	const struct kept k = {&ctx->warns, &ctx->warn_svcs, &ctx->nwarns,
	                       &ctx->capwarns, &ctx->capwarn_svcs};
	va_list ap;

	va_start(ap, fmt);
	keep(ctx, RG_LOG_WARNING, &k, file, line, fmt, ap);
	va_end(ap);
}

size_t rg_diagnostic_count(const rg_context *ctx)
{
	return ctx ? ctx->ndiags : 0;
}

const char *rg_diagnostic(const rg_context *ctx, size_t i)
{
	return ctx && i < ctx->ndiags ? ctx->diags[i] : NULL;
}

size_t rg_warning_count(const rg_context *ctx)
{
	return ctx ? ctx->nwarns : 0;
}

const char *rg_warning(const rg_context *ctx, size_t i)
{
	return ctx && i < ctx->nwarns ? ctx->warns[i] : NULL;
}

const char *rg_diagnostic_service(const rg_context *ctx, size_t i)
{
	return ctx && i < ctx->ndiags ? ctx->diag_svcs[i] : NULL;
}

const char *rg_warning_service(const rg_context *ctx, size_t i)
{
	return ctx && i < ctx->nwarns ? ctx->warn_svcs[i] : NULL;
}
