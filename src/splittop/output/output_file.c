// SPDX-License-Identifier: GPL-2.0-only
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why an existing file (st) must not be written into, in why; false: it
 * may be.  Whoever could plant the name could make it a link to a file of
 * root's, or a file of theirs that root's output would fill. */
static bool refused(const struct stat *st, char *why, size_t n)
{
	if (S_ISLNK(st->st_mode))
		snprintf(why, n, "a symbolic link, not followed (name the file itself)");
	else if (S_ISDIR(st->st_mode))
		snprintf(why, n, "%s", strerror(EISDIR));
	else if (!S_ISREG(st->st_mode) && !S_ISFIFO(st->st_mode) && !S_ISCHR(st->st_mode))
		snprintf(why, n, "not a regular file, a FIFO or a character device");
	else if (st->st_uid != geteuid())
		snprintf(why, n, "owned by uid %u, not by splittop's user (uid %u): not written into",
			 (unsigned int)st->st_uid, (unsigned int)geteuid());
	else if (S_ISREG(st->st_mode) && st->st_nlink > 1)
		snprintf(why, n, "a file with %lu hard links: not written through one",
			 (unsigned long)st->st_nlink);
	else
		return false;
	return true;
}

/* An existing path, checked, then opened for writing and truncated: a file
 * descriptor, or -1 with why. */
static int open_existing(const char *path, char *why, size_t n)
{
	char proc[48];
	struct stat st;
	int pfd, fd = -1;

	/* O_PATH reads and writes nothing: a symlink is the link itself, and
	 * a FIFO does not wait for its reader before it is checked. */
	pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0 || fstat(pfd, &st)) {
		snprintf(why, n, "%s", strerror(errno));
		goto out;
	}
	if (refused(&st, why, n))
		goto out;
	/* The very inode checked, opened again for writing: looking the path
	 * up a second time would let a rename in between swap it. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || (S_ISREG(st.st_mode) && ftruncate(fd, 0))) {
		snprintf(why, n, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	if (pfd >= 0)
		close(pfd);
	return fd;
}

FILE *output_open(const char *path, char *why, size_t whylen)
{
	FILE *f;
	int fd;

	/* A new file is splittop's own: O_EXCL creates one or fails, and
	 * follows no symbolic link, dangling or not. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, OUTPUT_FILE_MODE);
	if (fd < 0 && errno == EEXIST)
		fd = open_existing(path, why, whylen);
	else if (fd < 0)
		snprintf(why, whylen, "%s", strerror(errno));
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
	}
	return f;
}
