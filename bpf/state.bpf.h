/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every part shares: the settings user space sets before load, the
 * globals it reads through .bss, the maps, this CPU's fault cache and lock
 * wait (struct cpu_state) and the clearing of a task's cache entries.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once


/* lock:contention_begin flags, from include/trace/events/lock.h */
#define LCB_F_READ	(1U << 1)
#define LCB_F_WRITE	(1U << 2)

/* arch/x86/include/asm/kvm_host.h: the page fault error code's write bit */
#define PFERR_PRESENT		(1ULL << 0)
#define PFERR_WRITE		(1ULL << 1)

/* include/uapi/linux/kvm.h */
#define KVM_MEM_LOG_DIRTY_PAGES	(1UL << 0)

/* ioctl numbers (_IOC_NR) within KVMIO, from include/uapi/linux/kvm.h */
#define NR_CREATE_VM		0x01
#define NR_GET_DIRTY_LOG	0x42
#define NR_SET_MEMORY_REGION	0x46
#define NR_SET_MEMORY_REGION2	0x49
#define NR_RUN			0x80
#define NR_CLEAR_DIRTY_LOG	0xc0
#define NR_RESET_DIRTY_RINGS	0xc7

enum { KIND_CREATE = 100 };	/* KVM_CREATE_VM on /dev/kvm: only for sys_exit */

/* Set by user space before load. */
const volatile __u32 ioctl_nr = 16;
const volatile __u32 max_vms = ST_MAX_VMS_DEFAULT;
const volatile __u32 max_vcpus = ST_MAX_VCPUS_DEFAULT;
/* KVM's RET_PF_FIXED and RET_PF_SPURIOUS: an anonymous enum whose values
 * moved between kernel versions, so user space looks them up in BTF. */
const volatile int ret_pf_fixed = -1000;
const volatile int ret_pf_spurious = -1000;
/* mmu_lock waits: every one is counted; a vCPU's first wait_sample waits are
 * timed, then one in wait_sample on average, at random, which stands for the
 * waits since the previous timed one (the clock read it costs runs under the
 * lock).  exact_waits: contention_end is
 * attached and times every wait. */
const volatile __u32 wait_sample = 1;
const volatile bool exact_waits = false;
/* Faults are counted outside mmu_lock (the guest walk, or KVM's fault entry)
 * (bpf/faults_outside.bpf.h): a vCPU's KVM_RUN settles its fault in flight. */
const volatile bool faults_outside = false;

/* Shared with user space through the skeleton's mmap of .bss. */
__u64 epoch;				/* interval number, bumped by user space */
__u64 next_seq;
/* One more than the highest vcpu_stats slot ever handed out: a walk of a
 * VM's vCPU slots (a round's edge) stops there, not at --max-vcpus.  The
 * free queue hands out the lowest slots first, so it follows the vCPUs
 * that ever ran at once, not the table's size. */
__u64 vslot_hi;
struct self_stats self;
/* KVM's file_operations, learned from the first file named kvm-vm /
 * kvm-vcpu:N: data symbols are not in every kallsyms (no __ksym). */
__u64 vm_fops, vcpu_fops;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctx_map SEC(".maps");


/*
 * A wait for a tracked mmu_lock in progress on this CPU.  mmu_lock is an
 * rwlock_t: a waiter spins with preemption off and holds the lock with
 * preemption off, so the wait begins, ends and the lock is held on one CPU.
 *
 * Whatever runs once the lock is taken runs on the critical path of every
 * vCPU queued behind it, and so does contention_end of the rwlock's own
 * wait_lock (its queue head waits for the rwlock holding it).  By default
 * no program is attached to contention_end: the wait is counted at
 * contention_begin, where the waiter spins anyway, and a vCPU's wait ends
 * at its fault's kvm_mmu_spte_requested, which runs under the lock
 * regardless (the only event that says which mapping KVM chose).  pf_seq
 * (the vCPU's pf_taken, bumped before each fault takes the lock) pairs the
 * wait with that fault: a fault that gave up before choosing a mapping
 * leaves its wait untimed rather than timed to a later fault.
 */
enum { WAIT_NONE, WAIT_WAITING, WAIT_ENDED };

struct lock_pending {
	__u64 lock;
	__u64 start_ns;
	__u64 end_ns;		/* --exact-waits: contention_end's time */
	__u64 task;		/* struct task_struct * of the waiter */
	__u64 pf_seq;		/* the waiting vCPU's pf_taken, or NO_PF_SEQ */
	__u32 idx, mode;
	__u32 vslot;		/* the waiting vCPU's slot, or ST_NO_SLOT */
	__u32 state;		/* WAIT_* */
	__u32 weight;		/* waits this one stands for when timed; 0: not sampled */
};

#define NO_PF_SEQ	(~0ULL)

/* Per CPU, one lookup for both: a fault ends the wait of its CPU's pending
 * lock_pending, under the lock. */
struct cpu_state {
	struct fault_cache fc;	/* first: vcpu_cache() hands out &fc */
	struct lock_pending wait;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_state);
} cpu_state_map SEC(".maps");

/* CPUs whose fault cache a binding must clear (user space: possible CPUs). */
const volatile __u32 nr_cpus = 1;

struct forget_ctx {
	__u64 stack;
};

static long forget_on_cpu(__u64 cpu, struct forget_ctx *f)
{
	__u32 zero = 0;
	struct cpu_state *cs = bpf_map_lookup_percpu_elem(&cpu_state_map, &zero, cpu);

	if (cs && cs->fc.stack == f->stack)
		cs->fc.stack = 0;
	return 0;
}

/* The task (its stack key) now runs a different vCPU: every CPU's fault
 * cache entry for it is stale.  Rare (a vCPU thread's first KVM_RUN), so the
 * fault path need not check a generation.  Only this task can match its own
 * entries, and it is here: no other CPU is using them. */
static __always_inline void forget_binding(struct task_struct *task)
{
	struct forget_ctx f = { .stack = (__u64)task->stack >> ST_STACK_SHIFT };

	bpf_loop(nr_cpus < ST_MAX_CPUS ? nr_cpus : ST_MAX_CPUS, forget_on_cpu, &f, 0);
}

/* A task's first KVM_RUN, tracked or not: a dead task's entries may carry
 * the stack this task was given, and its faults must not find them.  Once
 * per task (tc NULL: every time, a rare failure). */
static __always_inline void first_run(struct task_ctx *tc, struct task_struct *task, unsigned int nr)
{
	if (nr != NR_RUN || (tc && tc->forgot))
		return;
	forget_binding(task);
	if (tc)
		tc->forgot = 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_VMS_DEFAULT);	/* resized to max_vms */
	__type(key, __u64);
	__type(value, __u32);
} vm_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_MAX_VMS_DEFAULT);
	__type(key, __u32);
	__type(value, struct vm_slot);
} vm_slots SEC(".maps");

/* Not per CPU: what a VM's vCPUs count goes to their own slots, so the
 * VM's own entry takes only rare events (atomic adds). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_MAX_VMS_DEFAULT);	/* resized to max_vms */
	__type(key, __u32);
	__type(value, struct vm_stats);
} vm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_MAX_VCPUS_DEFAULT);	/* resized to max_vcpus */
	__type(key, __u32);
	__type(value, struct vcpu_stats);
} vcpu_stats SEC(".maps");

/* The vcpu_stats slot of each (VM slot << 32 | vcpu_idx) that ran. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_VCPUS_DEFAULT);
	__type(key, __u64);
	__type(value, __u32);
} vcpu_index SEC(".maps");

/* Free vcpu_stats slots: filled by user space at start, popped at a vCPU's
 * first KVM_RUN, pushed back by user space when the VM is gone. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, ST_MAX_VCPUS_DEFAULT);
	__type(value, __u32);
} free_vcpu_slots SEC(".maps");

/* vCPUs refused a slot, so that vcpu_table_full counts vCPUs, not KVM_RUNs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} untracked_vcpus SEC(".maps");

/* The thread that runs each vCPU, as the census found them (kvm_vcpu.pid):
 * a vCPU that was already in KVM_RUN when splittop started makes no ioctl
 * for us to see, and is known by its thread from its first fault on. */
struct vcpu_thread {
	__u64 kvm;
	__u64 vcpu_ptr;		/* struct kvm_vcpu * */
	__u32 vcpu;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ST_MAX_VCPUS_DEFAULT);	/* resized to max_vcpus */
	__type(key, __u32);		/* thread id */
	__type(value, struct vcpu_thread);
} vcpu_threads SEC(".maps");

/* VMs refused a slot, so that vm_table_full counts VMs, not their ioctls. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} untracked_vms SEC(".maps");

#define SELF_INC(field) __sync_fetch_and_add(&self.field, 1)
