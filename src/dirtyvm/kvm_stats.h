/* SPDX-License-Identifier: GPL-2.0-only */
/* KVM's binary statistics (KVM_GET_STATS_FD): read named u64 counters. */
#ifndef DIRTYVM_KVM_STATS_H
#define DIRTYVM_KVM_STATS_H

#include <stdint.h>

/* Fill values[i] with the first u64 of the statistic called names[i].
 * Returns 0, -ENOENT if a name is missing, or another negative errno. */
int kvm_stats_read(int stats_fd, const char *const *names, uint64_t *values, unsigned int n);

/* KVM's own per-vCPU page fault counters (arch/x86/kvm/x86.c), summed over
 * a VM's vCPUs: the ground truth for the faults splittop counts.  arm64
 * keeps none of x86's; its mmio_exit_user (arch/arm64/kvm/guest.c) counts
 * the aborts KVM hands to the VMM as MMIO. */
enum dvm_fault_stat {
	DVM_PF_TAKEN,		/* every fault KVM's MMU handled */
	DVM_PF_FIXED,		/* ... that installed a mapping */
	DVM_PF_SPURIOUS,	/* ... that found it installed already */
	DVM_PF_FAST,		/* ... fixed without mmu_lock (fast_page_fault) */
	DVM_PF_EMULATE,		/* ... sent to the instruction emulator */
	DVM_PF_MMIO_SPTE_CREATED, /* ... that installed an MMIO SPTE */
	DVM_MMIO_EXIT_USER,	/* arm64: aborts that exited to the VMM as MMIO */
	DVM_FAULT_STATS,
};
extern const char *const dvm_fault_stat_names[DVM_FAULT_STATS];
#define DVM_STAT_MISSING UINT64_MAX	/* the kernel lacks that statistic */
/* A VM's mapping counters: KVM's pages_4k, pages_2m, pages_1g (x86's), and
 * the host's SecPageTables in KiB (dvm_vm_page_stats). */
#define DVM_PAGE_STATS	4

#endif
