/* SPDX-License-Identifier: GPL-2.0-only */
/* KVM's binary statistics (KVM_GET_STATS_FD): read named u64 counters. */
#ifndef DIRTYVM_KVM_STATS_H
#define DIRTYVM_KVM_STATS_H

#include <stdint.h>

/* Fill values[i] with the first u64 of the statistic called names[i].
 * Returns 0, -ENOENT if a name is missing, or another negative errno. */
int kvm_stats_read(int stats_fd, const char *const *names, uint64_t *values, unsigned int n);

#endif
