// SPDX-License-Identifier: GPL-2.0-only
/*
 * splittop's kernel side.  Everything is aggregated here; user space reads
 * the maps once per interval.  Per page fault: one tracepoint, one task
 * storage lookup, one array lookup and (for write faults on present
 * mappings only) one or two reads of KVM's rmap.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "splittop.h"
#include "x86_types.bpf.h"
#include "bits.bpf.h"
#include "memslots.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The parts, in the order they need each other. */
#include "state.bpf.h"
#include "vm_table.bpf.h"
#include "kvm_gauges.bpf.h"
#include "rounds.bpf.h"
#include "ioctls.bpf.h"
#include "faults.bpf.h"
#include "faults_outside.bpf.h"
#include "splits.bpf.h"
#include "mmu_lock.bpf.h"
#include "probes.bpf.h"
#include "arm64.bpf.h"
#include "split_mmu.bpf.h"
#include "census.bpf.h"
