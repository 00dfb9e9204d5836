/* SPDX-License-Identifier: GPL-2.0-only */
/* One frame of data, handed to every renderer (CSV, JSON, the live view):
 * the host, where each metric comes from, splittop's own failure counters,
 * and each VM's metrics for the interval and for the run, computed once. */
#ifndef SPLITTOP_SNAPSHOT_H
#define SPLITTOP_SNAPSHOT_H

#include "host.h"
#include "insight.h"
#include "metrics.h"
#include "vm_table.h"

/* The end of mmu_lock_wait's source where only a sample of the waits is
 * timed (--wait-sample N, N > 1): the live view reads N back from it, in a
 * live run and in a replay alike. */
#define WAIT_SAMPLED_FMT " (1 wait in %u timed)"

/* N of WAIT_SAMPLED_FMT at the end of source, or 0 (every wait timed, or no source). */
unsigned int wait_sampled_of(const char *source);

/* Where a metric comes from on this kernel, or why it is unavailable. */
struct metric_source {
	const char *metric;
	const char *source;	/* e.g. "tp_btf/kvm_mmu_spte_requested"; NULL: unavailable */
	char why[192];
};

struct snap_vm {
	const struct vm_entry *e;	/* valid until the VM table changes */
	unsigned int vm;		/* its index in the VM table */
	struct vm_counters delta;	/* the interval's counts */
	struct vcpu_counts *vdelta;	/* the interval's per-vCPU rows (e->vcpus.n) */
	uint32_t vdelta_cap;
	struct vm_insight ins;		/* rounds, convergence, lost time, findings */
	struct row row[NR_SCOPES];
};

struct snapshot {
	const struct host_info *host;
	const struct metric_source *sources;
	unsigned int nsources;
	struct self_stats self;
	struct avail avail;
	double time_unix, elapsed;	/* when it was taken; seconds since the start */
	double dt;			/* seconds since the previous sample */
	uint64_t downtime_ns;		/* --downtime: the budget convergence is judged by */
	struct snap_vm *vms;
	unsigned int n, cap;
};

/* Which VMs of the table a snapshot holds. */
typedef bool (*vm_filter)(const void *arg, const struct vm_entry *e);

/* Refill s->vms from the table (s's header is the caller's).  0 or -ENOMEM. */
int snapshot_fill(struct snapshot *s, const struct vm_table *t, vm_filter want, const void *arg);
void snapshot_free(struct snapshot *s);

#endif
