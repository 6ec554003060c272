/*
 * deadline.c - absolute deadlines for the public listener's connections.
 *
 * libmicrohttpd's connection timeout (request_timeout) restarts at every
 * byte, so a client that trickles a header byte every few seconds holds
 * its connection for ever, and enough of them take every slot.  Here a
 * connection gets a deadline when it is accepted (header_timeout to send
 * its headers), another once its headers are in (body_timeout to send its
 * body), none while it is answered, and a header deadline again when its
 * request is done and it waits for the next one on the same connection.
 *
 * One thread looks at the deadlines a few times a second and shuts down
 * the socket of a connection past its deadline: the library then sees the
 * connection end and closes it in its own thread, as if the client had
 * gone.  The list of connections is under a mutex, and a connection leaves
 * it (MHD_CONNECTION_NOTIFY_CLOSED) before the library closes its socket,
 * so that a socket number is never shut down after reuse.  Deadlines are
 * atomics: the library's threads set them without the lock.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "rolegated.h"

/* How often the deadlines are looked at. */
#define SWEEP_NS    200000000L
#define NS_PER_S    1000000000L
#define MS_PER_S    1000LL
#define NS_PER_MS   1000000L
#define NO_DEADLINE 0

/* One open connection (the library's socket context). */
struct rgd_conn {
	struct rgd_conn *prev, *next;
	int fd;
	atomic_llong deadline_ms; /* CLOCK_MONOTONIC; NO_DEADLINE: none */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

static void set_deadline(struct rgd_conn *conn, unsigned seconds)
{
	atomic_store_explicit(&conn->deadline_ms,
	                      seconds ? now_ms() + seconds * MS_PER_S
	                              : NO_DEADLINE,
	                      memory_order_relaxed);
}

/* Shuts down every connection past its deadline; returns how many. */
static unsigned sweep(struct rgd_deadlines *dl)
{
	long long now = now_ms();
	struct rgd_conn *conn;
	unsigned n = 0;

	pthread_mutex_lock(&dl->lock);
	for (conn = dl->head; conn; conn = conn->next) {
		long long due = atomic_load_explicit(&conn->deadline_ms,
		                                     memory_order_relaxed);

		if (due == NO_DEADLINE || now < due)
			continue;
		/* Once: the library closes it on its next look. */
		atomic_store_explicit(&conn->deadline_ms, NO_DEADLINE,
		                      memory_order_relaxed);
		shutdown(conn->fd, SHUT_RDWR);
		n++;
	}
	pthread_mutex_unlock(&dl->lock);
	return n;
}

static void *sweeper(void *arg)
{
	struct rgd_deadlines *dl = arg;
	const struct timespec pause = {0, SWEEP_NS};
	unsigned n;

	while (!atomic_load(&dl->stop)) {
		nanosleep(&pause, NULL);
		n = sweep(dl);
		if (n)
			atomic_fetch_add_explicit(&dl->expired, n,
			                          memory_order_relaxed);
	}
	return NULL;
}

int rgd_deadlines_start(struct rgd_deadlines *dl, unsigned header_s,
                        unsigned body_s)
{
	memset(dl, 0, sizeof(*dl));
	dl->header_s = header_s;
	dl->body_s = body_s;
	if (pthread_mutex_init(&dl->lock, NULL) != 0)
		return RG_EINTERNAL;
	if (pthread_create(&dl->thread, NULL, sweeper, dl) != 0) {
		pthread_mutex_destroy(&dl->lock);
		return RG_EINTERNAL;
	}
	dl->running = 1;
	return RG_OK;
}

void rgd_deadlines_stop(struct rgd_deadlines *dl)
{
	struct rgd_conn *conn, *next;

	if (!dl->running)
		return;
	atomic_store(&dl->stop, 1);
	pthread_join(dl->thread, NULL);
	/* The library is stopped: what is left was never closed. */
	for (conn = dl->head; conn; conn = next) {
		next = conn->next;
		free(conn);
	}
	dl->head = NULL;
	pthread_mutex_destroy(&dl->lock);
	dl->running = 0;
}

void rgd_deadlines_notify(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct rgd_deadlines *dl = cls;
	struct rgd_conn *conn = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(
		    c, MHD_CONNECTION_INFO_CONNECTION_FD);
		conn = info ? calloc(1, sizeof(*conn)) : NULL;
		/* Out of memory: the connection lives without a deadline,
		 * as before, bounded by request_timeout. */
		if (!conn)
			return;
		conn->fd = info->connect_fd;
		set_deadline(conn, dl->header_s);
		pthread_mutex_lock(&dl->lock);
		conn->next = dl->head;
		if (dl->head)
			dl->head->prev = conn;
		dl->head = conn;
		pthread_mutex_unlock(&dl->lock);
		*socket_context = conn;
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !conn)
		return;
	pthread_mutex_lock(&dl->lock);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		dl->head = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	pthread_mutex_unlock(&dl->lock);
	free(conn);
	*socket_context = NULL;
}

void rgd_deadline(struct rgd_deadlines *dl, struct MHD_Connection *c,
                  enum rgd_phase phase)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct rgd_conn *conn = info ? info->socket_context : NULL;

	if (!conn)
		return;
	set_deadline(conn, phase == RGD_PHASE_HEADERS ? dl->header_s
	                   : phase == RGD_PHASE_BODY  ? dl->body_s
	                                              : 0);
}
