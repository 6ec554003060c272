/*
 * sock.c - the Unix sockets rolegated listens on: the admin socket and, with
 * listen_socket, the public one.
 *
 * Both are bound here the same way: the missing directory made, a socket
 * left by a process that died replaced, a live one or a file that is not a
 * socket refused, the file created with its final mode (no moment when
 * others may connect), and removed again at a clean stop by its owner.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rolegated.h"

#define SOCKET_DIR_MODE 0750
#define MODE_BITS       0777

/* Creates the socket's directory when it is missing (one level). */
static void socket_dir(const char *path)
{
	char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;

	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, SOCKET_DIR_MODE) != 0 && errno != EEXIST)
			errno = 0;
	}
	free(dir);
}

/*
 * Makes room for a new socket at path: nothing there, or a socket nobody
 * listens on any more (removed).  Returns 0, or -1 after logging why not.
 */
static int clear_stale(struct rgd *d, const char *what, const char *path,
                       const struct sockaddr_un *sun)
{
	struct stat st;
	int probe, rc, err;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		rgd_log(&d->log, RG_LOG_ERR,
		        "%s %s: the file exists and is not a socket", what,
		        path);
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		rgd_log(&d->log, RG_LOG_ERR, "%s %s: %s", what, path,
		        strerror(errno));
		return -1;
	}
	rc = connect(probe, (const struct sockaddr *)sun, sizeof(*sun));
	err = errno;
	close(probe);
	if (rc == 0) {
		rgd_log(&d->log, RG_LOG_ERR,
		        "%s %s: another process listens on it", what, path);
		return -1;
	}
	/* Refused: the process that bound it is gone. */
	if (err != ECONNREFUSED && err != ENOENT) {
		rgd_log(&d->log, RG_LOG_ERR,
		        "%s %s: cannot tell whether another process listens "
		        "on it: %s",
		        what, path, strerror(err));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		rgd_log(&d->log, RG_LOG_ERR, "%s %s: stale socket: %s", what,
		        path, strerror(errno));
		return -1;
	}
	return 0;
}

int rgd_unix_listen(struct rgd *d, const char *what, const char *path,
                    unsigned mode, int backlog)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd = -1, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		rgd_log(&d->log, RG_LOG_ERR,
		        "%s %s: path too long for a Unix socket (at most %zu "
		        "bytes)",
		        what, path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	socket_dir(path);
	if (clear_stale(d, what, path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* Created with its mode from the start: no moment when others may
	 * connect.  The umask is the process's: bind before other threads
	 * start creating files. */
	old = umask((mode_t)(~mode & MODE_BITS));
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0)
		goto fail;
	if (chmod(path, (mode_t)mode) != 0 || listen(fd, backlog) != 0) {
		rc = errno;
		unlink(path);
		errno = rc;
		goto fail;
	}
	return fd;
fail:
	rgd_log(&d->log, RG_LOG_ERR, "%s %s: %s", what, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}
