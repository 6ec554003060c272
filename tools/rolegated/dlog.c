/*
 * dlog.c - the decision log: one JSON line per decision, written by a
 * thread of its own so that a slow disk never slows a decision.
 *
 * The queue is a bounded ring of cells with a sequence number each (the
 * multi-producer scheme of D. Vyukov's bounded queue): a request thread
 * claims the next cell with one compare-and-swap, writes its line into the
 * cell and publishes it by storing the cell's sequence.  When the ring is
 * full the line is dropped and counted; nothing ever waits.  The single
 * writer takes published cells in order, prefixes each with the time the
 * decision was made, and writes them in batches.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rolegated.h"

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release

/* How long the writer sleeps when the queue is empty. */
#define IDLE_SLEEP_NS 10000000L
/* Bytes the writer gathers before one write(). */
#define WRITE_BATCH (64 * 1024)
/* Room for {"ts":"2024-05-01T10:00:00.123Z", */
#define TS_PREFIX_MAX 64

static int open_log(struct rgd_dlog *q)
{
	int fd;

	if (strcmp(q->path, "-") == 0)
		return STDOUT_FILENO;
	fd = open(q->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		rgd_log(q->log, RG_LOG_ERR, "decision log %s: cannot open: %s",
		        q->path, strerror(errno));
	return fd;
}

static void reopen(struct rgd_dlog *q)
{
	int fd;

	if (q->fd == STDOUT_FILENO)
		return;
	fd = open_log(q);
	if (fd < 0)
		return; /* keep writing to the old file */
	close(q->fd);
	q->fd = fd;
	rgd_log(q->log, RG_LOG_INFO, "decision log %s reopened", q->path);
}

/* Writes all of buf; returns 0, or -1 with errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

struct batch {
	char buf[WRITE_BATCH];
	size_t len;
	size_t lines;
	int failing; /* the last write failed: say so once */
	time_t sec;  /* the second the cached date is of */
	char date[TS_PREFIX_MAX];
};

static void flush(struct rgd_dlog *q, struct batch *b)
{
	if (!b->len)
		return;
	if (write_all(q->fd, b->buf, b->len) < 0) {
		atomic_fetch_add_explicit(&q->metrics->log_write_errors,
		                          b->lines, RELAXED);
		if (!b->failing)
			rgd_log(q->log, RG_LOG_ERR,
			        "decision log %s: write failed: %s", q->path,
			        strerror(errno));
		b->failing = 1;
	} else {
		atomic_fetch_add_explicit(&q->metrics->log_written, b->lines,
		                          RELAXED);
		if (b->failing)
			rgd_log(q->log, RG_LOG_NOTICE,
			        "decision log %s: writing again", q->path);
		b->failing = 0;
	}
	b->len = b->lines = 0;
}

/* Appends one cell's line with its time. */
static void add_line(struct rgd_dlog *q, struct batch *b,
                     const struct rgd_dlog_cell *c)
{
	char prefix[TS_PREFIX_MAX];
	int n;

	if (c->ts.tv_sec != b->sec || !b->date[0]) {
		struct tm tm;

		b->sec = c->ts.tv_sec;
		gmtime_r(&b->sec, &tm);
		strftime(b->date, sizeof(b->date), "%Y-%m-%dT%H:%M:%S", &tm);
	}
	n = snprintf(prefix, sizeof(prefix), "{\"ts\":\"%s.%03ldZ\",", b->date,
	             c->ts.tv_nsec / 1000000L);
	if (n < 0)
		return;
	if (b->len + (size_t)n + c->len + 1 > sizeof(b->buf))
		flush(q, b);
	memcpy(b->buf + b->len, prefix, (size_t)n);
	memcpy(b->buf + b->len + (size_t)n, c->line, c->len);
	b->len += (size_t)n + c->len;
	b->buf[b->len++] = '\n';
	b->lines++;
}

/* Writes every published cell; returns how many there were. */
static size_t drain(struct rgd_dlog *q, struct batch *b)
{
	size_t n = 0;

	for (;;) {
		struct rgd_dlog_cell *c = &q->cells[q->tail & q->mask];
		size_t seq = atomic_load_explicit(&c->seq, ACQUIRE);

		if (seq != q->tail + 1)
			break;
		if (c->len)
			add_line(q, b, c);
		atomic_store_explicit(&c->seq, q->tail + q->mask + 1, RELEASE);
		q->tail++;
		n++;
	}
	flush(q, b);
	return n;
}

static void *writer_main(void *arg)
{
	struct rgd_dlog *q = arg;
	struct batch *b = calloc(1, sizeof(*b));
	const struct timespec idle = {0, IDLE_SLEEP_NS};

	if (!b) {
		rgd_log(q->log, RG_LOG_ERR,
		        "decision log: out of memory; lines are dropped");
		return NULL;
	}
	for (;;) {
		int stopping = atomic_load(&q->stop);

		if (atomic_exchange(&q->reopen, 0))
			reopen(q);
		/* Stop only after a drain that began after the stop; sleep
		 * only when there was nothing to write. */
		if (drain(q, b) == 0) {
			if (stopping)
				break;
			nanosleep(&idle, NULL);
		}
	}
	free(b);
	return NULL;
}

static size_t power_of_two(unsigned n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int rgd_dlog_start(struct rgd_dlog *q, const char *path, unsigned size,
                   struct rgd_metrics *m, struct rgd_log *log)
{
	size_t i, n = power_of_two(size);
	int rc;

	memset(q, 0, sizeof(*q));
	q->metrics = m;
	q->log = log;
	q->fd = -1;
	if (!path)
		return RG_OK;
	q->path = strdup(path);
	q->cells = calloc(n, sizeof(*q->cells));
	if (!q->path || !q->cells) {
		rgd_log(log, RG_LOG_ERR, "decision log: out of memory");
		goto fail;
	}
	q->mask = n - 1;
	for (i = 0; i < n; i++)
		atomic_init(&q->cells[i].seq, i);
	q->fd = open_log(q);
	if (q->fd < 0)
		goto fail;
	rc = pthread_create(&q->thread, NULL, writer_main, q);
	if (rc != 0) {
		rgd_log(log, RG_LOG_ERR, "decision log: cannot start: %s",
		        strerror(rc));
		goto fail;
	}
	q->running = 1;
	return RG_OK;
fail:
	if (q->fd > STDOUT_FILENO)
		close(q->fd);
	free(q->cells);
	free(q->path);
	q->cells = NULL;
	q->path = NULL;
	return RG_EIO;
}

struct rgd_dlog_cell *rgd_dlog_claim(struct rgd_dlog *q, size_t *pos)
{
	size_t p;

	if (!q->cells)
		return NULL;
	p = atomic_load_explicit(&q->head, RELAXED);
	for (;;) {
		struct rgd_dlog_cell *c = &q->cells[p & q->mask];
		size_t seq = atomic_load_explicit(&c->seq, ACQUIRE);
		intptr_t diff = (intptr_t)seq - (intptr_t)p;

		if (diff == 0) {
			if (atomic_compare_exchange_weak_explicit(
			        &q->head, &p, p + 1, RELAXED, RELAXED)) {
				*pos = p;
				return c;
			}
		} else if (diff < 0) {
			atomic_fetch_add_explicit(&q->metrics->log_dropped, 1,
			                          RELAXED);
			return NULL;
		} else {
			p = atomic_load_explicit(&q->head, RELAXED);
		}
	}
}

void rgd_dlog_commit(struct rgd_dlog *q, struct rgd_dlog_cell *cell, size_t pos,
                     size_t len)
{
	cell->len = len;
	atomic_store_explicit(&cell->seq, pos + 1, RELEASE);
}

void rgd_dlog_reopen(struct rgd_dlog *q)
{
	atomic_store(&q->reopen, 1);
}

void rgd_dlog_stop(struct rgd_dlog *q)
{
	if (q->running) {
		atomic_store(&q->stop, 1);
		pthread_join(q->thread, NULL);
		q->running = 0;
	}
	if (q->fd > STDOUT_FILENO)
		close(q->fd);
	q->fd = -1;
	free(q->cells);
	free(q->path);
	q->cells = NULL;
	q->path = NULL;
}
