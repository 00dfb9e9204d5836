/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between splittop's BPF programs and its user space: every key,
 * value, enum and limit both sides use.  Fixed-width fields only.
 */
#ifndef SPLITTOP_H
#define SPLITTOP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define ST_MAX_VMS_DEFAULT	512	/* --max-vms */
#define ST_MAX_VMS_LIMIT	4096
#define ST_MAX_VCPUS_DEFAULT	4096	/* --max-vcpus: vCPU slots, all VMs together */
#define ST_MAX_VCPUS_LIMIT	65536
#define ST_WAIT_SAMPLE_DEFAULT	16	/* --wait-sample: one vCPU mmu_lock wait in 16 timed */
#define ST_WAIT_SAMPLE_LIMIT	65536
/* A kernel stack is THREAD_SIZE (16 KiB or more, aligned to its size on
 * x86_64 and arm64): an address on it >> 14 names the task. */
#define ST_STACK_SHIFT		14
#define ST_MAX_CPUS		8192
#define ST_HIST_BUCKETS		32	/* log2(ns) buckets: up to ~2 s */
#define ST_SPLIT_ERRNOS		32	/* errno 1..31 by value (EBUSY 16, ENOSPC 28 among
					 * them); 0 holds the rest */
#define ST_CMDLINE_LEN		256	/* VMM command line kept per VM, for its name */

#define KVMIO_TYPE		0xAE	/* _IOC_TYPE of every KVM ioctl */

enum fault_class {
	FAULT_HUGE_WP,		/* write to a present, write-protected huge mapping */
	FAULT_NONPRESENT,	/* no mapping at all */
	FAULT_4K_WP,		/* write to a present, write-protected 4 KiB mapping */
	FAULT_OTHER,		/* present, not a write (exec, user, reserved bits) */
	FAULT_CLASSES,
};

enum split_size { SPLIT_2M, SPLIT_1G, SPLIT_SIZES };
enum split_cause { CAUSE_EAGER, CAUSE_FAULT, SPLIT_CAUSES };
enum split_mmu { MMU_SHADOW, MMU_TDP, SPLIT_MMUS };

/* Dirty-log operations: enabling and disabling logging (memslot updates),
 * collecting the bitmap (get, or clear with manual protect), and resetting
 * the dirty rings (KVM_RESET_DIRTY_RINGS: a ring VMM's "clear"). */
enum dlog_op { DLOG_ENABLE, DLOG_DISABLE, DLOG_GET, DLOG_CLEAR, DLOG_RESET, DLOG_OPS };

enum lock_mode { MMU_LOCK_READ, MMU_LOCK_WRITE, MMU_LOCK_MODES };

/* What the current task is doing inside a KVM ioctl (task_ctx.kind). */
/* What kvm_file_type() (bpf/vm_table.bpf.h) finds a struct file to be. */
enum kvm_file {
	KVM_FILE_NONE,		/* not KVM's, or not yet recognisable */
	KVM_FILE_VM,		/* a VM's fd: private_data is its struct kvm */
	KVM_FILE_VCPU,		/* a vCPU's fd: private_data is its struct kvm_vcpu */
};

enum ioctl_kind {
	KIND_NONE,		/* not in a KVM ioctl */
	KIND_RUN,		/* KVM_RUN: a vCPU, faults happen here */
	KIND_MEMSLOT,		/* KVM_SET_USER_MEMORY_REGION(2): may enable/disable logging */
	KIND_GET,		/* KVM_GET_DIRTY_LOG */
	KIND_CLEAR,		/* KVM_CLEAR_DIRTY_LOG */
	KIND_RESET,		/* KVM_RESET_DIRTY_RINGS */
	KIND_OTHER,		/* any other ioctl on a VM or vCPU */
};

/* Who holds kvm->mmu_lock, by what the holding thread is doing. */
enum lock_holder {
	HOLDER_FAULT,		/* a vCPU, in KVM_RUN */
	HOLDER_MEMSLOT,		/* a memslot ioctl: enabling dirty logging splits eagerly */
	HOLDER_DIRTY_LOG,	/* KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_RESET_DIRTY_RINGS */
	HOLDER_OTHER,		/* zaps (MMU notifiers), other ioctls, other threads */
	LOCK_HOLDERS,
};

/* User space's per-vCPU latency rows: bucket i holds [2^(i+8), 2^(i+9)) ns,
 * folded from the vCPU's log2 histogram. */
#define ST_VCPU_LAT_BUCKETS	16

/*
 * Counters that both a VM's own threads (dirty-log ioctls, MMU notifiers)
 * and each of its vCPUs keep: a vCPU adds to its own vcpu_stats (one
 * writer, plain adds, memory that grows with vCPUs, not with CPUs), anything
 * else to the VM's vm_stats (atomic adds: those events are rare).  User
 * space sums them.  u64 only: summed as an array.
 */
#define VM_HOT_FIELDS										\
	__u64 splits[SPLIT_SIZES][SPLIT_CAUSES];						\
	__u64 lock_waits[MMU_LOCK_MODES];							\
	__u64 lock_wait_ns[MMU_LOCK_MODES];							\
	__u64 lock_wait_hist[ST_HIST_BUCKETS];							\
	/* Function probes only: mmu_lock holds and page fault latency. */			\
	__u64 hold_count[MMU_LOCK_MODES][LOCK_HOLDERS];						\
	__u64 hold_ns[MMU_LOCK_MODES][LOCK_HOLDERS];						\
	__u64 hold_hist[MMU_LOCK_MODES][ST_HIST_BUCKETS];					\
	__u64 fault_lat_hist[ST_HIST_BUCKETS];							\
	__u64 fault_lat_count;									\
	__u64 fault_lat_ns;									\
	/* --exact-waits: from each vCPU wait's end (contention_end) to its		\
	 * fault's kvm_mmu_spte_requested, where the default mode ends it: what		\
	 * the default mode adds to each such wait. */						\
	__u64 wait_end_to_fault_ns;								\
	__u64 wait_end_to_fault_count;								\
	/* --exact-waits: the same waits' time as the default mode's sampling		\
	 * estimates it (each sampled wait times its weight): its error, measured. */	\
	__u64 wait_sampled_ns;									\
	/* Intel PML: exits because a vCPU's page-modification log filled	\
	 * (kvm:kvm_pml_full), where KVM marks the pages the CPU logged. */	\
	__u64 pml_full;

struct vm_hot {
	VM_HOT_FIELDS
};

/* Maxima of a VM's waits and holds, kept apart from the counters (a sum of
 * maxima means nothing).  The wait max has two slots by epoch parity, so
 * that user space reads the closed interval's slot while BPF fills the other. */
struct lock_max {
	__u64 lock_wait_max_ns[2];
	__u64 lock_wait_max_epoch[2];
	__u64 hold_max_ns[MMU_LOCK_MODES];
};

/* Per-VM counters: array map, max_vms entries, shared by all CPUs. */
struct vm_stats {
	union {
		struct vm_hot hot;	/* the VM's threads that are not vCPUs */
		struct { VM_HOT_FIELDS };
	};
	__u64 split_errors;
	__u64 split_errno[ST_SPLIT_ERRNOS];
	/* Eager splits by the MMU whose try_split function made them (function
	 * probes): the shadow MMU's are nested guests' mappings. */
	__u64 splits_mmu[SPLIT_MMUS];
	__u64 dlog_count[DLOG_OPS];
	__u64 dlog_ns[DLOG_OPS];
	__u64 dlog_splits[DLOG_OPS];	/* splits done inside the operation */
	__u64 dirty_pages;		/* pages its rounds' harvests handed the VMM */
	__u64 dirty_rounds;		/* rounds ended (struct round_state) */
	__u64 round_fault_ns;		/* its vCPUs' time in faults in those rounds (timed faults) */
	__u64 round_wait_ns;		/* its vCPUs' mmu_lock waits in those rounds */
	/* Faults of vCPUs refused a slot (--max-vcpus full): the VM's totals
	 * stay exact, only their per-vCPU rows are missing. */
	__u64 faults_unslotted[FAULT_CLASSES];
	__u64 demotions_unslotted[SPLIT_SIZES];
	struct lock_max max;
};

/*
 * One vCPU's counters: array map of --max-vcpus slots, taken from a queue of
 * free slots at the vCPU's first KVM_RUN and given back by user space when
 * its VM is gone.  A vCPU runs in one thread at a time: one writer per slot.
 */
struct vcpu_stats {
	/* Whose slot this is (seq 0: free).  Written once, when taken. */
	__u64 owner_seq;		/* vm_slot.seq of the VM */
	__u32 owner_idx;		/* VM slot */
	__u32 vcpu;			/* vcpu_idx */
	__u64 faults[FAULT_CLASSES];
	__u64 demotions[SPLIT_SIZES];	/* huge mappings dropped for 4 KiB by a fault */
	struct vm_hot hot;
	struct lock_max max;
	/* Which of its mmu_lock waits the next timed one is (see wait_weight):
	 * state, not counters. */
	__u64 wait_last_timed;		/* the latest timed wait's number */
	__u64 wait_next_timed;		/* the next wait to time */
};

/* One VM as the census iterator sees it (written with bpf_seq_write). */
struct vm_census {
	__u64 kvm;
	__u32 tgid;
	__s32 fd;
	__u32 online_vcpus;
	__s32 memslots_dirty;		/* memslots with dirty logging on (KVM's counter,
					 * else their KVM_MEM_LOG_DIRTY_PAGES flags) */
	__u64 mem_pages;		/* sum of address space 0 memslots */
	__u64 pages[3];			/* KVM's pages_4k, pages_2m, pages_1g */
	__u32 idx;			/* VM slot, or ~0 if it could not be tracked */
	__u32 indirect_sps;		/* kvm->arch.indirect_shadow_pages: with
					 * hardware TDP, a nested guest's */
};

/*
 * Dirty-log rounds.  A round runs from dirty logging being enabled (or the
 * previous harvest) to the harvest that hands its dirty pages to the VMM: a
 * burst of KVM_GET_DIRTY_LOG over the VM's memslots (the burst ends at a GET
 * of a memslot it harvested already), or one KVM_RESET_DIRTY_RINGS.  Its
 * record is written when the next harvest begins, or logging is disabled.
 */
#define ST_ROUND_RING		32	/* rounds kept per VM for user space to read */

/* What a VM's vCPUs (and its own threads, for splits) had counted at a
 * round's edge: a round's share is the difference of its two edges. */
struct round_counts {
	__u64 faults[FAULT_CLASSES];
	__u64 splits;			/* huge mappings split, every cause and size */
	__u64 lock_wait_ns;		/* the vCPUs' mmu_lock waits (as mmu_lock_wait_ns) */
	__u64 fault_ns;			/* the vCPUs' time in faults (function probes) */
	__u64 fault_count;		/* faults timed into fault_ns */
};

struct round_rec {
	__u32 migration;		/* the VM's nth time dirty logging went on (1-based) */
	__u32 round;			/* 1-based within the migration */
	__u64 start_ns;			/* bpf_ktime_get_ns: logging on, or the previous harvest began */
	__u64 end_ns;			/* this round's harvest began */
	__u64 harvest_ns;		/* time in its harvest's ioctls */
	__u64 dirty_pages;		/* 4 KiB pages the harvest handed the VMM */
	__u32 harvests;			/* its harvest's ioctls (GETs: one per memslot) */
	__u32 flags;			/* ROUND_* */
	struct round_counts c;		/* counted in the round */
};

enum {
	ROUND_START_UNKNOWN = 1,	/* logging went on before splittop started */
	ROUND_RING = 2,			/* harvested from the dirty ring */
};

struct round_state {
	__u32 migration;		/* migrations so far; 0: none seen */
	__u32 round;			/* rounds of it recorded */
	__u64 start_ns;			/* the open round's start; 0: logging off */
	__u32 start_flags;		/* ROUND_* of the open round */
	__u32 burst_harvests;
	__u64 burst_ns;			/* the open harvest's first ioctl began; 0: none */
	__u64 burst_pages;
	__u64 burst_time_ns;
	__u64 burst_seen[2];		/* memslots it harvested: bit (as_id << 6 | id) & 127 */
	__u64 written;			/* records ever written: ring[written % ST_ROUND_RING] next */
	struct round_counts at_start;	/* the open round's start edge */
	struct round_counts at_burst;	/* the open harvest's start edge */
	struct round_rec ring[ST_ROUND_RING];
};

/* One VM slot (array map, max_vms entries).  kvm == 0: free.  BPF takes a
 * slot with a compare-and-swap on kvm; user space frees it when the VM is gone. */
struct vm_slot {
	__u64 kvm;		/* struct kvm *: the VM's identity while it lives */
	__u64 seq;		/* registration order, unique for the run */
	__u32 tgid;		/* VMM process that first used it */
	__u32 dead;		/* set when a new VM reused this kvm address */
	/* KVM's gauges at the VM's latest dirty-log operation: what a VM that
	 * lived less than one interval is shown with. */
	struct vm_census snap;
	__u64 dlog_last_ns[DLOG_OPS];	/* the latest operation of each kind */
	__u64 dlog_last_splits[DLOG_OPS];
	/* KVM's pages_2m as the latest operation of each kind began and as it
	 * ended: a migration's huge pages before, once logging is on, before
	 * it stops and after (rebuilt in place, or zapped), exactly, not at a
	 * tick. */
	__u64 dlog_last_pages_2m[DLOG_OPS][2];
	__u32 cmdline_len;	/* bytes of cmdline read at registration */
	__u32 memslot_gen;	/* bumped after each memslot ioctl of the VM */
	/* Set once the VM's vm_index entry is in: a slot claimed by a CPU that
	 * then lost the race to register the same VM is given back unseen. */
	__u32 live;
	__u32 ptgid;		/* the VMM's parent as it registered the VM (0: unknown),
				 * for -- COMMAND's VMs when the VMM is gone */
	__u64 reg_ns;		/* when it was registered (bpf_ktime_get_ns) */
	char cmdline[ST_CMDLINE_LEN];	/* NUL-separated argv, as /proc/PID/cmdline */
	struct round_state rounds;	/* written by the VM's harvesting thread only */
};

/* Where a task is in a KVM ioctl, and which lock it waits for: task storage. */
struct task_ctx {
	__u64 kvm;
	__u64 file;		/* struct file * of the fd, to reuse the lookup */
	__u64 start_ns;
	__u64 splits_in_op;
	__u64 pages_2m_before;	/* KVM's pages_2m as a dirty-log operation began */
	__u64 dl_bitmap;	/* KVM_GET_DIRTY_LOG: the VMM's bitmap (user address) */
	__u64 dl_npages;	/* its memslot's pages: the bitmap's bits */
	__s32 fd;
	__u32 idx;		/* VM slot */
	__u32 vcpu;		/* vCPU index (vcpu_idx) for KIND_RUN */
	__u32 vslot;		/* its vcpu_stats slot, or ST_NO_SLOT */
	__u32 hold_vslot;	/* the vCPU slot a fault's hold is charged to */
	__u32 kind;		/* enum ioctl_kind */
	__u32 vcpu_file;	/* the fd is a vCPU, not the VM */
	__s32 logging_before;	/* nr_memslots_dirty_logging at a memslot ioctl,
				 * or the memslot's own logging flag */
	__s32 logging_asked;	/* the flag the ioctl sets (when no such counter) */
	__u32 bound_idx;	/* the VM slot and vCPU of its latest KVM_RUN, */
	__u32 bound_vcpu;	/* + 1 (0: none yet) */
	/* Function probes: the mmu_lock this task holds, and its fault. */
	__u64 hold_lock;	/* rwlock_t *, 0 if none */
	__u64 hold_start_ns;
	__u32 hold_idx;
	__u16 hold_mode;
	__u16 hold_holder;
	__u64 fault_start_ns;
	__u64 vcpu_ptr;		/* struct kvm_vcpu * of a vCPU file, else 0 */
	/* Function probes: inside kvm_{shadow,tdp}_mmu_try_split_huge_pages
	 * (enum split_mmu + 1), 0 outside both. */
	__u32 split_mmu;
	__u32 forgot;		/* its stack's fault cache entries cleared (first KVM_RUN) */
	/* The walk source's fault in flight (bpf/faults_outside.bpf.h). */
	__u64 walk_vcpu;	/* the struct kvm_vcpu the three below are of */
	__u64 walk_taken;	/* its pf_taken at its latest fault's walk */
	__u64 walk_handled;	/* its faults KVM handled before that fault */
	__u32 walk_cls;		/* that fault's class + 1 until settled; 0: none */
	__u32 walk_vslot;	/* the vCPU slot (or ST_NO_SLOT) and VM slot */
	__u32 walk_idx;		/* it was counted in */
	__u32 walk_tdp;		/* it entered kvm_mmu_page_fault (not a walk) */
	__u64 walk_addr;	/* that fault's guest virtual address */
	__u64 walk_gfn;		/* and frame: its walk's leaf, or a TDP huge leaf's (~0: none) */
};

/*
 * Per CPU: which vCPU the task last seen faulting on this CPU runs, so that
 * a fault costs a per-CPU array lookup instead of a task storage lookup.
 * Keyed by the task's kernel stack; a task's entries on every CPU are
 * cleared when it starts running a different vCPU.  What a fault reads
 * under mmu_lock comes first, in one cache line.
 */
struct fault_cache {
	__u64 stack;		/* the task's kernel stack >> ST_STACK_SHIFT: the key */
	__u64 scratch;		/* a pointer stored here reads back as a number */
	__u32 vslot;		/* vcpu_stats slot, or ST_NO_SLOT */
	__u32 fault_cls;	/* class given to this task's latest fault */
	__u32 wait_pending;	/* a sampled mmu_lock wait on this CPU awaits its fault */
	__u32 idx;
	/* The last 2 MiB region the task found mapped without a huge page in a
	 * dirty-logged memslot: KVM maps nothing huge there until the memslot
	 * changes, so the region's other write faults skip the rmap reads. */
	__u64 nohuge_slot;	/* struct kvm_memory_slot * */
	__u64 nohuge_region;	/* gfn >> 9 */
	__u32 nohuge_gen;	/* vm_slot.memslot_gen when it was found */
	__u32 vcpu;
	__u64 task;		/* struct task_struct * */
	__u64 vcpu_ptr;		/* struct kvm_vcpu * */
};

/* splittop's own failures, kept in BPF and shown to the user: never silent. */
struct self_stats {
	__u64 vm_table_full;		/* distinct VMs refused a slot (--max-vms) */
	__u64 vcpu_table_full;		/* vCPUs refused a slot (--max-vcpus), by KVM_RUN */
	__u64 unattributed_faults;	/* fault outside a known vCPU's KVM_RUN */
	__u64 unattributed_splits;	/* split outside a known KVM ioctl */
	__u64 task_storage_fail;	/* could not create a task's context */
	__u64 rmap_read_fail;		/* could not read KVM's rmap for a fault */
	/* Filled by user space, not BPF: events the kernel ran none of our
	 * programs for, because the same program was still running on that CPU
	 * (preempted in the middle, where the kernel preempts there, or
	 * interrupted by an event of its own): the programs' recursion_misses
	 * (bpf_prog_info).  Of the programs that count (faults, splits, waits,
	 * KVM's ioctls): counts are short by as many... */
	__u64 missed_events;
	/* ...and of the function probes (every rwlock of the host: mmu_lock
	 * holds, fault latency, which MMU split): timings left out. */
	__u64 missed_probe_events;
	/* Filled by user space: dirty-log rounds BPF recorded that were
	 * overwritten (ST_ROUND_RING per VM) before a sample read them. */
	__u64 rounds_lost;
};

#define ST_NO_SLOT	0xffffffffu

#endif
