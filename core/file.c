/*
 * file.c - opening the files rolegate reads, safely.
 *
 * Every configuration, policy, tenant, import and token file is opened
 * here.  A path can name anything: a FIFO blocks the reader until a writer
 * comes (rolegated's reload thread, and with it SIGTERM, would wait
 * forever), a device such as /dev/zero never ends and grows the reader's
 * memory without bound, a directory or a socket is a mistake.  So the open
 * itself never blocks (O_NONBLOCK: a FIFO opens at once, with no writer),
 * the file is looked at with fstat() on the descriptor (no race with a
 * rename between a stat() and the open), only a regular file of at most
 * the caller's size is kept, and O_NONBLOCK is cleared for the reading.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

const char *rg_file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

/* Says why path could not be opened (errno from open()). */
static int open_failed(const char *path, char *why, size_t whylen)
{
	int err = errno;
	struct stat st;

	/* A socket cannot be open()ed at all: say what it is. */
	if (err == ENXIO && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "is %s, not a regular file",
		         rg_file_kind(st.st_mode));
		return RG_EREFUSED;
	}
	snprintf(why, whylen, "%s",
	         err == ENOENT ? "no such file" : strerror(err));
	return err == ENOENT ? RG_ENOENT : RG_EIO;
}

int rg_file_open(const char *path, size_t max, int *fd, char *why,
                 size_t whylen)
{
	char scratch[RG_MSG_MAX];
	struct stat st;
	int f, flags, rc;

	if (!why) {
		why = scratch;
		whylen = sizeof(scratch);
	}
	if (whylen)
		why[0] = '\0';
	if (!fd || !path)
		return RG_EINVAL;
	*fd = -1;
	f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (f < 0)
		return open_failed(path, why, whylen);
	if (fstat(f, &st) != 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		rc = RG_EIO;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "is %s, not a regular file",
		         rg_file_kind(st.st_mode));
		rc = RG_EREFUSED;
		goto fail;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)max) {
		snprintf(why, whylen,
		         "is too large (%lld bytes, at most %zu allowed)",
		         (long long)st.st_size, max);
		rc = RG_ELIMIT;
		goto fail;
	}
	flags = fcntl(f, F_GETFL);
	if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		rc = RG_EIO;
		goto fail;
	}
	*fd = f;
	return RG_OK;
fail:
	close(f);
	return rc;
}

int rg_file_fopen(const char *path, size_t max, FILE **out, char *why,
                  size_t whylen)
{
	int fd, rc;

	*out = NULL;
	rc = rg_file_open(path, max, &fd, why, whylen);
	if (rc != RG_OK)
		return rc;
	*out = fdopen(fd, "r");
	if (*out)
		return RG_OK;
	snprintf(why, whylen, "%s", strerror(errno));
	close(fd);
	return RG_EIO;
}
