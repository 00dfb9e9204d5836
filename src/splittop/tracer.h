/* SPDX-License-Identifier: GPL-2.0-only */
/* splittop's BPF side from user space: load, attach, census, sample, detach. */
#ifndef SPLITTOP_TRACER_H
#define SPLITTOP_TRACER_H

#include <stdbool.h>
#include <stdint.h>

#include "csv.h"
#include "vm_table.h"

struct splittop_bpf;

struct tracer {
	struct splittop_bpf *skel;
	unsigned int max_vms;
	int ncpus;
	struct vcpu_stats *vcpu_map;	/* mmap of the vcpu_stats array */
	size_t vcpu_map_len;
	struct vm_slot *slot_map;	/* mmap of the vm_slots array */
	size_t slot_map_len;
	void *percpu_buf;
	struct csv_avail avail;
	bool scanned_all;		/* the first, all-process census is done */
	char unavailable[512];		/* why, for each unavailable metric */

	/* Every VM seen during the run, in registration order. */
	struct vm_entry *vms;
	unsigned int nvms, cap;
};

/* Each returns 0 or a negative errno after printing one message. */
int tracer_open(struct tracer *t, unsigned int max_vms);
/* Read the maps and KVM's gauges; mark VMs that died and free their slots. */
int tracer_sample(struct tracer *t);
void tracer_close(struct tracer *t);
/* splittop's own failure counters (struct self_stats). */
void tracer_self(const struct tracer *t, struct self_stats *out);

#endif
