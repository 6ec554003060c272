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

static void keep(struct rg_context *ctx, rg_log_level level, char ***list,
                 size_t *n, size_t *cap, const char *file, unsigned line,
                 const char *fmt, va_list ap) RG_PRINTF(8, 0);

/* Formats "file:line: message", logs it at level and keeps it in a list of
 * the context while it is being built. */
static void keep(struct rg_context *ctx, rg_log_level level, char ***list,
                 size_t *n, size_t *cap, const char *file, unsigned line,
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
	if (!ctx->building || rg_ptr_push((void ***)list, n, cap, msg) != RG_OK)
		free(msg);
}

void rg_vdiag(struct rg_context *ctx, const char *file, unsigned line,
              const char *fmt, va_list ap)
{
	keep(ctx, RG_LOG_ERR, &ctx->diags, &ctx->ndiags, &ctx->capdiags, file,
	     line, fmt, ap);
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
	va_list ap;

	va_start(ap, fmt);
	keep(ctx, RG_LOG_WARNING, &ctx->warns, &ctx->nwarns, &ctx->capwarns,
	     file, line, fmt, ap);
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
