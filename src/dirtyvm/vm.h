/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal KVM VM: one system memslot (code, page tables), one data memslot
 * split into per-vCPU regions, vCPU threads that run one guest pass on demand. */
#ifndef DIRTYVM_VM_H
#define DIRTYVM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm_stats.h"

#define DVM_MAX_VCPUS		512	/* their parameters: 64 bytes each, 0x2000..0x10000 */
#define DVM_MAX_NESTED_VCPUS	64	/* a VMCB and a host-save page each, from 2 MiB */
#define DVM_PAGE_SIZE		4096ULL
#define DVM_HUGE_SIZE		(2ULL << 20)
#define DVM_GIB			(1ULL << 30)
#define DVM_DATA_SLOT		1
#define DVM_DATA_GPA		(4ULL << 30)

enum dvm_backing { BACKING_THP, BACKING_HUGETLB, BACKING_4K, BACKING_HUGETLB1G };


struct dvm_vm;

struct dvm_vcpu {
	struct dvm_vm *vm;
	unsigned int id;
	int fd;
	int stats_fd;		/* KVM_GET_STATS_FD of the vCPU */
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	double pass_end;	/* monotonic seconds at the end of the last pass */
	int err;		/* errno-style failure of the last pass, 0 if fine */
	bool run_now;		/* takes part in the current pass */
	uint64_t done_gen;	/* the pass it last finished */
	struct kvm_dirty_gfn *ring;	/* its dirty ring (--mode ring), else NULL */
	uint32_t ring_next;	/* the next entry to harvest */
};

struct dvm_vm {
	int kvm_fd;		/* /dev/kvm, borrowed */
	int fd;
	int stats_fd;
	unsigned int index;	/* position in the process, for messages */
	unsigned int nvcpus;
	uint64_t region_size;	/* per vCPU */
	enum dvm_backing backing;
	bool manual_protect;	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled */
	uint32_t ring_entries;	/* each vCPU's dirty ring, or 0: the bitmap */
	bool guest_1g;		/* the guest's page tables map data with 1 GiB pages */
	bool nested;		/* the pass runs in an L2 guest of an SVM L1 */
	bool eager_split;	/* arm64: an eager split chunk of 2 MiB */

	void *sys_mem;
	size_t sys_size;
	void *data_map;		/* what mmap returned */
	size_t data_map_len;
	void *data;		/* 2 MiB aligned start of guest data */
	uint64_t data_size;

	struct dvm_vcpu vcpus[DVM_MAX_VCPUS];

	/* Pass coordination between the controller and the vCPU threads. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t pass_gen;	/* bumped to start a pass */
	unsigned int pass_done;	/* vCPUs finished with the current pass */
	bool quit;		/* vCPU threads exit at the next wake-up */
	const volatile int *stop; /* set asynchronously by a signal */
};

struct dvm_vm_params {
	unsigned int nvcpus;
	uint64_t region_size;
	enum dvm_backing backing;
	bool manual_protect;
	bool dirty_ring;	/* KVM_CAP_DIRTY_LOG_RING: rings that hold a round */
	bool nested;
	bool eager_split;	/* arm64: split eagerly, in 2 MiB chunks (dvm_eager_per_vm) */
	unsigned int index;
	const volatile int *stop;
};

/* Whether eager splitting is the VM's own choice (arm64: the VMM sets
 * KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE, off by default) rather than KVM's
 * module parameter (x86's eager_page_split). */
bool dvm_eager_per_vm(void);

/* Whether KVM offers its vCPUs 1 GiB pages (pdpe1gb). */
bool dvm_kvm_has_1g_pages(int kvm_fd);
/* Whether KVM offers its vCPUs SVM with nested paging (--nested). */
bool dvm_kvm_has_nested_svm(int kvm_fd);
/* Each returns 0 or a negative errno and prints one message on failure. */
int dvm_vm_create(struct dvm_vm *vm, int kvm_fd, const struct dvm_vm_params *p);
void dvm_vm_destroy(struct dvm_vm *vm);
/* Run one pass on every vCPU with the given write percentage; *secs is the
 * time until the slowest vCPU finished. -EINTR when stopped by a signal. */
int dvm_vm_pass(struct dvm_vm *vm, unsigned int write_pct, double *secs);
/* Fault in the guest's code and parameter pages, one vCPU at a time, so
 * that the system memslot contributes exactly 2 faults, never more. */
int dvm_vm_warmup(struct dvm_vm *vm);
/* Kick every vCPU out of the guest (async-signal-safe). */
void dvm_vm_kick(struct dvm_vm *vm);
int dvm_vm_set_dirty_logging(struct dvm_vm *vm, bool on);
/* KVM_GET_DIRTY_LOG into bitmap (data_size / 4 KiB bits). */
int dvm_vm_get_dirty_log(struct dvm_vm *vm, uint64_t *bitmap);
/* Every vCPU's dirty ring harvested into bitmap (data slot pages), then
 * KVM_RESET_DIRTY_RINGS: the dirty ring's collection of a round. */
int dvm_vm_harvest_rings(struct dvm_vm *vm, uint64_t *bitmap);
/* The most guest memory per vCPU whose round fits in one dirty ring. */
#define DVM_MAX_RING_MEM	(192ULL << 20)
/* KVM_CLEAR_DIRTY_LOG of the bits set in bitmap, chunk_pages at a time. */
int dvm_vm_clear_dirty_log(struct dvm_vm *vm, uint64_t *bitmap, uint64_t chunk_pages);
/* KVM's own mapping counters for this VM, from its binary stats fd
 * (pages_4k, pages_2m, pages_1g: x86's), then the host's memory in KVM's
 * second-stage page tables, /proc/meminfo's SecPageTables in KiB (every
 * arch: on arm64 one 4 KiB table per block split or demoted); DVM_PAGE_STATS
 * of them (kvm_stats.h). */
int dvm_vm_page_stats(struct dvm_vm *vm, uint64_t pages[DVM_PAGE_STATS]);
/* KVM's fault counters summed over the VM's vCPUs; DVM_STAT_MISSING where
 * the kernel has no such statistic. */
int dvm_vm_fault_stats(struct dvm_vm *vm, uint64_t stats[DVM_FAULT_STATS]);

#endif
