// SPDX-License-Identifier: GPL-2.0-only
#include "textfile.h"
#include "openmetrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int textfile_open_dir(const char *dir, char *why, size_t whylen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int err = errno;

	if (fd >= 0)
		return fd;
	/* O_NOFOLLOW with O_DIRECTORY says ENOTDIR of a link: tell which. */
	if ((err == ENOTDIR || err == ELOOP) && !lstat(dir, &st) && S_ISLNK(st.st_mode))
		snprintf(why, whylen, "%s", "a symbolic link (refused)");
	else
		snprintf(why, whylen, "%s", strerror(err));
	return -1;
}

/* The text of the frame: every VM's run totals, as /metrics in the older
 * text format (node_exporter's textfile collector reads that one). */
static int render(FILE *f, const struct snapshot *s)
{
	struct om_vm *vms = s->n ? calloc(s->n, sizeof(*vms)) : NULL;
	unsigned int i;

	if (s->n && !vms)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		om_vm_from(&vms[i], &s->vms[i], &s->avail);
	om_render(f, vms, s->n, &s->self, false);
	for (i = 0; i < s->n; i++)
		om_vm_release(&vms[i]);
	free(vms);
	return 0;
}

int textfile_write(int dirfd, const struct snapshot *s)
{
	char tmp[64];
	FILE *f;
	int fd, err;

	/* node_exporter reads *.prom only: the temporary name is none. */
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", TEXTFILE_NAME, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fchmod(fd, 0644) ? NULL : fdopen(fd, "w");	/* 0644 whatever the umask */
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = render(f, s);
	if (fflush(f) || ferror(f) || fsync(fileno(f)))
		err = err ?: -(errno ? errno : EIO);
	if (fclose(f))
		err = err ?: -errno;
	if (!err && renameat(dirfd, tmp, dirfd, TEXTFILE_NAME))
		err = -errno;
out:
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}
