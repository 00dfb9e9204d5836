/* SPDX-License-Identifier: GPL-2.0-only */
/* Host-wide settings dirtyvm changes for a run, and puts back afterwards. */
#ifndef DIRTYVM_HOST_PARAMS_H
#define DIRTYVM_HOST_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#define EAGER_SPLIT_PATH "/sys/module/kvm/parameters/eager_page_split"
#define NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"
#define HUGE_1G_DIR "/sys/kernel/mm/hugepages/hugepages-1048576kB"

struct host_params {
	bool eager_changed;
	char eager_old;		/* 'Y' or 'N' as read before the change */
	uint64_t huge_reserved;	/* 2 MiB pool pages this process added */
	uint64_t huge_1g_reserved;	/* 1 GiB pool pages this process added */
};

/* Each prints one message on failure and returns a negative errno. */
int host_read_eager_split(char *val);
int host_set_eager_split(struct host_params *hp, bool on);
/* Grow the 2 MiB hugetlb pool by n pages; fails (and undoes) if the kernel
 * cannot fill it. */
int host_reserve_hugepages(struct host_params *hp, uint64_t n);
/* Have n free 1 GiB pages: those free in the pool (reserved at boot, say)
 * first, then grow it; fails (and undoes) if the kernel cannot. */
int host_reserve_1g_pages(struct host_params *hp, uint64_t n);
/* Undo whatever the two above did; safe to call more than once. */
void host_params_restore(struct host_params *hp);

#endif
