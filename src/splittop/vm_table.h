/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMs splittop has seen: cumulative counters per VM, from which each
 * interval's deltas are taken.  Pure data: no BPF, no I/O. */
#ifndef SPLITTOP_VM_TABLE_H
#define SPLITTOP_VM_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "splittop.h"

/* One VM's counters, summed over CPUs and vCPUs (monotonic while it lives). */
struct vm_counters {
	uint64_t splits[SPLIT_SIZES][SPLIT_CAUSES];
	uint64_t split_errors;
	uint64_t demotions[SPLIT_SIZES];
	uint64_t faults[FAULT_CLASSES];
	uint64_t lock_waits, lock_wait_ns;
	uint64_t dlog_count[DLOG_OPS], dlog_ns[DLOG_OPS];
};

/* Values at the end of an interval, not summed. */
struct vm_gauges {
	uint32_t vcpus;
	uint64_t mem_pages;
	int32_t memslots_dirty;
	uint64_t pages[3];
	uint64_t lock_wait_max_ns;	/* of the interval */
};

struct vm_entry {
	uint64_t kvm, seq;
	uint32_t idx, pid;
	char name[96];
	bool alive, pre_census, reported;
	struct vm_counters now, prev;	/* at this tick, at the previous one */
	struct vm_gauges gauges;
	uint64_t lock_wait_max_run_ns;
};

void vm_counters_delta(const struct vm_counters *now, const struct vm_counters *prev,
		       struct vm_counters *out);

#endif
