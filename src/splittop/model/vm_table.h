/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMs splittop has seen: their counters, gauges and names; allocation,
 * numbering of several VMs in one process, and finished VMs kept aside in a
 * file so that memory does not grow with the VMs a long run sees.  No BPF,
 * no I/O beyond that file: unit-tested without root. */
#ifndef SPLITTOP_VM_TABLE_H
#define SPLITTOP_VM_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "splittop.h"
#include "vm_ident.h"

/* printf's conversion for a counter (__u64 is unsigned long long). */
#define PRIc "llu"

/* One vCPU's counters (struct vcpu_stats, widened). */
struct vcpu_counts {
	__u64 faults[FAULT_CLASSES];
	__u64 demotions[SPLIT_SIZES];
	__u64 lat_count, lat_ns;
	__u64 lat_hist[ST_VCPU_LAT_BUCKETS];
};

/* One VM's counters (monotonic while it lives).  Only __u64 members:
 * vm_counters_delta() walks it as an array.  vm is the VM's struct vm_stats
 * as it is, its vCPUs' shares added, so that a counter added to it in the
 * contract is here without a line of user space code; its maxima (max) are
 * not counters and are read into vm_entry instead. */
struct vm_counters {
	struct vm_stats vm;
	__u64 faults[FAULT_CLASSES];		/* all its vCPUs' */
	__u64 demotions[SPLIT_SIZES];
};

/* A VM's per-vCPU rows, by vcpu_idx: as many as its highest vCPU seen + 1,
 * at this sample and at the previous one. */
struct vcpu_rows {
	struct vcpu_counts *now, *prev;
	uint32_t n, cap;
};

/* Rows no VM can have more of (KVM's vcpu_idx is below KVM_MAX_VCPUS). */
#define VCPU_ROWS_LIMIT		ST_MAX_VCPUS_LIMIT

#define PAGES_UNKNOWN UINT64_MAX

/* Values at the end of an interval, not summed. */
struct vm_gauges {
	uint32_t vcpus;
	uint64_t mem_pages;
	int32_t memslots_dirty;		/* -1: unknown on this kernel */
	uint64_t pages[3];
	uint64_t lock_wait_max_ns;	/* of the interval */
	uint64_t dlog_last_ns[DLOG_OPS];
	uint64_t dlog_last_splits[DLOG_OPS];
	/* KVM's pages_2m as the latest operation of each kind began and ended;
	 * PAGES_UNKNOWN in recordings from before splittop read them. */
	uint64_t dlog_last_pages_2m[DLOG_OPS][2];
	int32_t nested;			/* KVM shadows a nested guest's page tables
					 * for it: 1/0; -1 unknown (no hardware TDP) */
};

/* A VM's dirty-log rounds (struct round_rec), times in ns since the run
 * started: the latest ROUNDS_KEPT, and where the open one stands. */
#define ROUNDS_KEPT	64

struct vm_rounds {
	struct round_rec r[ROUNDS_KEPT];	/* round k taken (0-based) in r[k % ROUNDS_KEPT] */
	uint64_t taken;			/* rounds taken so far */
	uint64_t fresh;			/* of them, the latest sample's */
	uint64_t lost;			/* rounds BPF overwrote before a sample took them */
	uint64_t bpf_seen;		/* BPF's records read (round_state.written) */
	uint32_t migration;		/* the VM's latest migration (0: none seen) */
	uint32_t round;			/* its rounds ended */
	bool open;			/* a round is open: logging is on */
	uint64_t open_start_ns;		/* its start */
	uint64_t open_pages;		/* pages its harvest handed over so far (0: not begun) */
};

struct vm_entry {
	uint64_t kvm, seq;		/* seq 0: a free entry */
	uint32_t idx, pid;
	uint32_t ppid;			/* the VMM's parent when it made the VM; 0 unknown */
	char name[96];
	struct vm_ident ident;		/* uuid, libvirt domain, ...: "" absent */
	bool alive, pre_census, reported;
	bool numbered;			/* the name carries its "#k" */
	uint32_t vm_no;			/* k: VMs its process registered before it */
	struct vm_counters now, prev;	/* at this tick, at the previous one */
	struct vcpu_rows vcpus;		/* the file keeps now's n rows after the entry */
	struct vm_gauges gauges;
	uint64_t lock_wait_max_run_ns;
	uint64_t hold_max_run_ns[MMU_LOCK_MODES];	/* longest hold seen, by mode */
	struct vm_rounds rounds;
};

/* Round k (0-based, in taking order) of a VM, or NULL when it is no longer
 * (or not yet) kept. */
const struct round_rec *vm_round(const struct vm_rounds *r, uint64_t k);
/* Take a round that ended: the oldest kept one makes room. */
void vm_rounds_add(struct vm_rounds *r, const struct round_rec *rec);

struct vm_table {
	/* The VMs alive now or at the last sample.  A finished VM moves to the
	 * unlinked file `finished` one sample after it died (its last interval
	 * rendered); vm_table_restore() brings them back for the run's totals. */
	struct vm_entry *e;
	unsigned int n, cap;
	FILE *finished;
	unsigned int nfinished;
	/* VMs registered per VMM process so far, to number them stably. */
	struct pid_vms { uint32_t pid, n; } *pidv;
	unsigned int npidv, pidv_cap;
};

/* The live entry of VM seq, else a new one (zeroed, alive); NULL: no memory. */
struct vm_entry *vm_table_get(struct vm_table *t, uint64_t seq, uint64_t kvm, uint32_t idx,
			      uint32_t pid);
/* Name a new entry from its VMM's command line (NUL-separated argv, len
 * bytes; len <= 0: unknown, named pidN), made printable (text_sanitize:
 * control characters and bytes that are not UTF-8 as '?').  A process's
 * second VM numbers itself and the first: "name#0", "name#1", in creation
 * order. */
void vm_table_name(struct vm_table *t, struct vm_entry *e, const char *cmdline, long len);
/* Move the VMs that died before the last sample to the finished file, and
 * forget the per-process numbering of processes that are gone (alive(pid)
 * says whether one still runs).  0 or a negative errno. */
int vm_table_spill(struct vm_table *t, bool (*alive)(uint32_t pid));
/* Bring the finished VMs back (for the run's totals). 0 or a negative errno. */
int vm_table_restore(struct vm_table *t);
void vm_table_free(struct vm_table *t);

void vm_counters_delta(const struct vm_counters *now, const struct vm_counters *prev,
		       struct vm_counters *out);
void vcpu_counts_delta(const struct vcpu_counts *now, const struct vcpu_counts *prev, uint32_t n,
		       struct vcpu_counts *out);
/* Room for rows 0..n-1 in both now and prev (new ones zero).  0 or -ENOMEM. */
int vcpu_rows_reserve(struct vcpu_rows *r, uint32_t n);
/* A new sample: now's rows become prev's, now's start from zero. */
void vm_entry_advance(struct vm_entry *e);
/* dst[k] += src[k] for n counters: a sample summing BPF's maps (which BPF
 * updates meanwhile, hence each read relaxed-atomic) and a replay summing a
 * recording's intervals add the same way. */
void add_u64s(__u64 *dst, const __u64 *src, size_t n);
void vcpu_rows_free(struct vcpu_rows *r);

#endif
