// SPDX-License-Identifier: GPL-2.0-only
#include "host_params.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Several dirtyvm processes may resize the pool at once (tests run VMs in
 * parallel): each read-modify-write of nr_hugepages happens under this lock. */
#define HUGETLB_LOCK_PATH "/run/dirtyvm-hugetlb.lock"

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

int host_read_eager_split(char *val)
{
	char buf[8];
	int err = read_file(EAGER_SPLIT_PATH, buf, sizeof(buf));

	if (err)
		return err;
	*val = buf[0] == 'Y' ? 'Y' : 'N';
	return 0;
}

int host_set_eager_split(struct host_params *hp, bool on)
{
	char old;
	int err = host_read_eager_split(&old);

	/* Asking for what is already set needs no write (nor write access). */
	if (!err && old == (on ? 'Y' : 'N'))
		return 0;
	if (!err)
		err = write_file(EAGER_SPLIT_PATH, on ? "Y" : "N");
	if (err) {
		fprintf(stderr, "dirtyvm: cannot set %s: %s\n", EAGER_SPLIT_PATH, strerror(-err));
		return err;
	}
	if (!hp->eager_changed) {
		hp->eager_changed = true;
		hp->eager_old = old;
	}
	return 0;
}

static int lock_pool(void)
{
	int fd = open(HUGETLB_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int read_u64(const char *path, uint64_t *n)
{
	char buf[32];
	int err = read_file(path, buf, sizeof(buf));

	if (!err)
		*n = strtoull(buf, NULL, 10);
	return err;
}

static int write_u64(const char *path, uint64_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, n);
	return write_file(path, buf);
}

static int read_pool(uint64_t *n)
{
	return read_u64(NR_HUGEPAGES_PATH, n);
}

static int write_pool(uint64_t n)
{
	return write_u64(NR_HUGEPAGES_PATH, n);
}

int host_reserve_1g_pages(struct host_params *hp, uint64_t n)
{
	uint64_t total, free_pages, grow, after = 0;
	int lock, err;

	lock = lock_pool();
	if (lock < 0) {
		fprintf(stderr, "dirtyvm: locking %s: %s\n", HUGETLB_LOCK_PATH, strerror(-lock));
		return lock;
	}
	err = read_u64(HUGE_1G_DIR "/nr_hugepages", &total);
	if (!err)
		err = read_u64(HUGE_1G_DIR "/free_hugepages", &free_pages);
	if (err) {
		fprintf(stderr, "dirtyvm: reading the 1 GiB hugetlb pool (%s): %s\n", HUGE_1G_DIR, strerror(-err));
		close(lock);
		return err;
	}
	grow = n > free_pages ? n - free_pages : 0;
	if (grow) {
		err = write_u64(HUGE_1G_DIR "/nr_hugepages", total + grow);
		if (!err)
			err = read_u64(HUGE_1G_DIR "/nr_hugepages", &after);
		if (err) {
			fprintf(stderr, "dirtyvm: resizing the 1 GiB hugetlb pool: %s\n", strerror(-err));
		} else if (after < total + grow) {
			fprintf(stderr, "dirtyvm: 1 GiB hugetlb pool cannot be filled: needed %" PRIu64
				" 1 GiB pages, %" PRIu64 " free, the kernel found %" PRIu64
				" more (reserve them at boot: hugepagesz=1G hugepages=N)\n",
				n, free_pages, after > total ? after - total : 0);
			write_u64(HUGE_1G_DIR "/nr_hugepages", total);
			err = -ENOMEM;
		} else {
			hp->huge_1g_reserved += grow;
		}
	}
	close(lock);
	return err;
}

int host_reserve_hugepages(struct host_params *hp, uint64_t n)
{
	uint64_t before, after = 0;
	int lock, err;

	lock = lock_pool();
	if (lock < 0) {
		fprintf(stderr, "dirtyvm: locking %s: %s\n", HUGETLB_LOCK_PATH, strerror(-lock));
		return lock;
	}
	err = read_pool(&before);
	if (!err)
		err = write_pool(before + n);
	if (!err)
		err = read_pool(&after);
	if (err) {
		fprintf(stderr, "dirtyvm: resizing the hugetlb pool (%s): %s\n", NR_HUGEPAGES_PATH,
			strerror(-err));
	} else if (after < before + n) {
		/* The kernel gives what it can find: a short pool is not our pool. */
		fprintf(stderr,
			"dirtyvm: hugetlb pool cannot be filled: needed %" PRIu64 " more 2 MiB pages, the kernel found %" PRIu64 "\n",
			n, after > before ? after - before : 0);
		write_pool(before);
		err = -ENOMEM;
	} else {
		hp->huge_reserved += n;
	}
	close(lock);
	return err;
}

/* Shrink the pool at path by the *n pages this process added to it. */
static void return_pool(const char *path, const char *size, uint64_t *n)
{
	uint64_t cur;
	int lock;

	if (!*n)
		return;
	lock = lock_pool();
	if (!read_u64(path, &cur))
		write_u64(path, cur > *n ? cur - *n : 0);
	else
		fprintf(stderr, "dirtyvm: could not return %" PRIu64 " %s hugetlb pages\n", *n, size);
	if (lock >= 0)
		close(lock);
	*n = 0;
}

void host_params_restore(struct host_params *hp)
{
	if (hp->eager_changed) {
		char val[2] = { hp->eager_old, '\0' };

		if (write_file(EAGER_SPLIT_PATH, val))
			fprintf(stderr, "dirtyvm: could not restore %s to %s\n", EAGER_SPLIT_PATH, val);
		hp->eager_changed = false;
	}
	return_pool(NR_HUGEPAGES_PATH, "2 MiB", &hp->huge_reserved);
	return_pool(HUGE_1G_DIR "/nr_hugepages", "1 GiB", &hp->huge_1g_reserved);
}
