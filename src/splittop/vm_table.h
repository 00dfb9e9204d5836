/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMs splittop has seen: cumulative counters per VM, from which each
 * interval's deltas are taken, and the pure arithmetic on them.  No BPF, no
 * I/O: unit-tested without root. */
#ifndef SPLITTOP_VM_TABLE_H
#define SPLITTOP_VM_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "splittop.h"

/* One VM's counters, summed over CPUs (monotonic while it lives).  Only
 * uint64_t members: vm_counters_delta() walks it as an array. */
struct vm_counters {
	uint64_t splits[SPLIT_SIZES][SPLIT_CAUSES];
	uint64_t split_errors;
	uint64_t split_errno[ST_SPLIT_ERRNOS];
	uint64_t demotions[SPLIT_SIZES];
	uint64_t faults[FAULT_CLASSES];
	uint64_t lock_waits[MMU_LOCK_MODES];
	uint64_t lock_wait_ns[MMU_LOCK_MODES];
	uint64_t lock_wait_hist[ST_HIST_BUCKETS];
	uint64_t dlog_count[DLOG_OPS];
	uint64_t dlog_ns[DLOG_OPS];
	uint64_t dlog_splits[DLOG_OPS];
	uint64_t vcpu_faults[ST_MAX_VCPUS][FAULT_CLASSES];
	/* Function probes (zero where unavailable). */
	uint64_t hold_count[MMU_LOCK_MODES][LOCK_HOLDERS];
	uint64_t hold_ns[MMU_LOCK_MODES][LOCK_HOLDERS];
	uint64_t hold_hist[MMU_LOCK_MODES][ST_HIST_BUCKETS];
	uint64_t fault_lat_hist[ST_HIST_BUCKETS];
	uint64_t fault_lat_count, fault_lat_ns;
	uint64_t vcpu_lat_count[ST_MAX_VCPUS];
	uint64_t vcpu_lat_ns[ST_MAX_VCPUS];
	uint64_t vcpu_lat_hist[ST_MAX_VCPUS][ST_VCPU_LAT_BUCKETS];
};

/* Values at the end of an interval, not summed. */
struct vm_gauges {
	uint32_t vcpus;
	uint64_t mem_pages;
	int32_t memslots_dirty;		/* -1: unknown on this kernel */
	uint64_t pages[3];
	uint64_t lock_wait_max_ns;	/* of the interval */
	uint64_t dlog_last_ns[DLOG_OPS];
	uint64_t dlog_last_splits[DLOG_OPS];
};

struct vm_entry {
	uint64_t kvm, seq;
	uint32_t idx, pid;
	char name[96];
	bool alive, pre_census, reported;
	bool numbered;			/* the name carries its "#k" */
	uint32_t vm_no;			/* k: VMs its process registered before it */
	struct vm_counters now, prev;	/* at this tick, at the previous one */
	struct vm_gauges gauges;
	uint64_t lock_wait_max_run_ns;
	uint64_t hold_max_run_ns[MMU_LOCK_MODES];	/* longest hold seen, by mode */
};

/* Which metric groups this kernel and run provide. */
struct avail {
	bool splits, faults, lock_wait, dlog, dlog_toggle, lock_hold, fault_latency;
};

/* The numeric columns of a row, shared by every renderer, in CSV order. */
enum column {
	COL_VCPUS, COL_MEM_MIB, COL_DIRTY_LOGGING,
	COL_SPLITS_2M, COL_SPLITS_1G, COL_SPLITS_EAGER, COL_SPLITS_FAULT, COL_SPLIT_ERRORS,
	COL_DEMOTIONS_2M, COL_DEMOTIONS_1G,
	COL_FAULTS, COL_FAULTS_HUGE_WP, COL_FAULTS_NONPRESENT, COL_FAULTS_4K_WP, COL_FAULTS_OTHER,
	COL_LOCK_WAITS, COL_LOCK_WAIT_NS, COL_LOCK_WAIT_MAX_NS, COL_LOCK_HOLD_NS, COL_FAULT_LAT_P99_NS,
	COL_DLOG_ENABLES, COL_DLOG_ENABLE_NS, COL_DLOG_DISABLES, COL_DLOG_GETS, COL_DLOG_GET_NS,
	COL_DLOG_CLEARS, COL_DLOG_CLEAR_NS,
	COL_PAGES_4K, COL_PAGES_2M, COL_PAGES_1G,
	NR_COLUMNS,
};

extern const char *const column_names[NR_COLUMNS];

struct row {
	uint64_t v[NR_COLUMNS];
	bool present[NR_COLUMNS];	/* false: unavailable, an empty field / null */
};

void vm_counters_delta(const struct vm_counters *now, const struct vm_counters *prev,
		       struct vm_counters *out);
/* c: the row's counts (an interval's deltas or the run's totals). */
void row_build(const struct vm_gauges *g, const struct vm_counters *c, uint64_t lock_wait_max_ns,
	       const struct avail *a, struct row *r);
/* Upper bound, in ns, of the log2 bucket that holds quantile q (0 < q <= 1)
 * of the samples; 0 when there are none. */
uint64_t hist_quantile_ns(const uint64_t *hist, unsigned int buckets, double q);

#endif
