/* SPDX-License-Identifier: GPL-2.0-only */
/* splittop's BPF side from user space: load, attach, census, sample, detach. */
#ifndef SPLITTOP_TRACER_H
#define SPLITTOP_TRACER_H

#include <stdbool.h>
#include <stdint.h>

#include "link_list.h"
#include "splittop/model/snapshot.h"
#include "source_kind.h"
#include "splittop/model/vm_table.h"

struct splittop_bpf;
struct bpf_link;

enum metric {
	M_ATTRIBUTION,		/* KVM ioctls: which VM and vCPU; dirty-log get/clear */
	M_FAULTS,
	M_FAST_FAULTS,		/* faults fixed on KVM's fast path (a TDP MMU's 4K write faults) */
	M_SPLITS,
	M_LOCK_WAIT,
	M_DLOG_TOGGLE,		/* dirty logging enabled / disabled */
	M_CENSUS,
	M_LOCK_HOLD,
	M_FAULT_LATENCY,
	M_SPLIT_MMU,		/* which MMU split: the shadow MMU's or the TDP MMU's */
	M_PML,			/* Intel PML's log-full exits (kvm:kvm_pml_full) */
	NR_METRICS,
};

/* The most tracepoints or functions one source names, and so the most
 * perf ids a "tracepoint" source keeps: lock holds' four functions. */
#define SOURCE_MAX_TPS 4

struct tracer_opts {
	unsigned int max_vms;
	unsigned int max_vcpus;	/* vCPU slots, all VMs together */
	bool raw_tracepoints;	/* prefer raw_tp where a metric has one */
	enum source_kind force[NR_METRICS];	/* --source: this kind, SK_OFF none, SK_UNSET any */
	const char *force_tp[NR_METRICS];	/* --source: the source with this first event, NULL any */
	bool exact_waits;	/* time every mmu_lock wait at contention_end */
	unsigned int wait_sample;	/* time one vCPU wait in this many (bpf: wait_weight) */
	struct vm_table *vms;		/* the model each sample fills (the caller owns it) */
};

/* The metric --source can set by this name, -ENOENT for no such metric,
 * -EOPNOTSUPP for one without a choice of tracepoints. */
int tracer_metric_by_name(const char *name);
/* Whether a source of metric m is named by its first event name (where a
 * metric has two sources of one kind: --source faults=kvm_mmu_spte_requested). */
bool tracer_source_named(int m, const char *name);

struct tracer {
	struct splittop_bpf *skel;
	unsigned int max_vms, max_vcpus;
	struct vcpu_stats *vcpu_map;	/* mmap of the vcpu_stats array */
	size_t vcpu_map_len;
	struct vm_stats *vm_map;	/* mmap of the vm_stats array */
	size_t vm_map_len;
	struct vm_slot *slot_map;	/* mmap of the vm_slots array */
	size_t slot_map_len;
	/* Each VM slot's vCPU slots, as a list (ST_NO_SLOT ends it), rebuilt
	 * at each sample from the slots' owners. */
	uint32_t *vslot_head;		/* max_vms */
	uint32_t *vslot_next;		/* max_vcpus */
	struct avail avail;
	struct metric_source sources[NR_METRICS];
	char source_names[NR_METRICS][96];
	long tp_ids[NR_METRICS][SOURCE_MAX_TPS];	/* perf ids of "tracepoint" sources */
	struct link_list links;
	struct host_info host;
	bool scanned_all;		/* the first, all-process census is done */
	bool exact_waits;		/* contention_end attached */
	bool tdp_demotions;		/* kvm_tdp_mmu_spte_changed attached */
	uint64_t mono0_ns;		/* CLOCK_MONOTONIC (BPF's clock) as it started */
	uint64_t rounds_lost;		/* struct self_stats' */

	struct vm_table *vms;		/* the model the samples fill: the caller's */
};

/* Each returns 0 or a negative errno after printing one message. */
int tracer_open(struct tracer *t, const struct tracer_opts *o);
/* Read the maps and KVM's gauges; mark VMs that died and free their slots. */
int tracer_sample(struct tracer *t);
void tracer_close(struct tracer *t);
/* splittop's own failure counters (struct self_stats). */
void tracer_self(const struct tracer *t, struct self_stats *out);

#endif
