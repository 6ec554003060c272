/*
 * daemonlog.c - rolegated's own log: one line per event on stderr or to syslog.
 *
 * Under systemd, stderr goes to the journal ($JOURNAL_STREAM is set): each
 * line then starts with the "<N>" priority prefix the journal understands,
 * so that levels survive without syslog.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "rolegated.h"

#define LOG_LINE_MAX 2048

void rgd_log_init(struct rgd_log *l, int level)
{
	const char *journal = getenv("JOURNAL_STREAM");

	l->target = RGD_LOG_STDERR;
	l->level = level;
	l->journal = journal && *journal;
}

void rgd_log_use(struct rgd_log *l, enum rgd_log_target target)
{
	if (target == l->target)
		return;
	if (target == RGD_LOG_SYSLOG)
		openlog(RGD_NAME, LOG_PID, LOG_DAEMON);
	else
		closelog();
	l->target = target;
}

static void emit(const struct rgd_log *l, rg_log_level level, const char *msg)
{
	if (l->target == RGD_LOG_SYSLOG) {
		syslog((int)level, "%s", msg);
		return;
	}
	/* One fprintf per line: stdio keeps lines of threads apart. */
	if (l->journal)
		fprintf(stderr, "<%d>%s\n", (int)level, msg);
	else
		fprintf(stderr, RGD_NAME ": %s: %s\n", rg_log_level_name(level),
		        msg);
}

void rgd_log(struct rgd_log *l, rg_log_level level, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	if ((int)level > l->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(l, level, msg);
}

void rgd_log_lib(void *user, rg_log_level level, const char *msg)
{
	/* The library filters by the configuration's log_level itself. */
	emit(user, level, msg);
}
