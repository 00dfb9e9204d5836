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
#include "bits.bpf.h"
#include "memslots.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* lock:contention_begin flags, from include/trace/events/lock.h */
#define LCB_F_READ	(1U << 1)
#define LCB_F_WRITE	(1U << 2)

/* arch/x86/include/asm/kvm_host.h: the page fault error code's write bit */
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
/* KVM's RET_PF_FIXED and RET_PF_SPURIOUS: an anonymous enum whose values
 * moved between kernel versions, so user space looks them up in BTF. */
const volatile int ret_pf_fixed = -1000;
const volatile int ret_pf_spurious = -1000;
/* mmu_lock waits: every one is counted; a vCPU's first wait_sample waits are
 * timed, then one in wait_sample, which stands for wait_sample waits (the
 * clock read it costs runs under the lock).  exact_waits: contention_end is
 * attached and times every wait. */
const volatile __u32 wait_sample = 1;
const volatile bool exact_waits = false;

/* Shared with user space through the skeleton's mmap of .bss. */
__u64 epoch;				/* interval number, bumped by user space */
__u64 next_seq;
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

/* ---- VM table ---------------------------------------------------------- */

struct claim_ctx {
	__u64 kvm;
	__u32 tgid;
	__u32 idx;
};

static long claim_slot(__u64 i, struct claim_ctx *c)
{
	__u32 key = (__u32)i;
	struct vm_slot *s;

	if (key >= max_vms)
		return 1;
	s = bpf_map_lookup_elem(&vm_slots, &key);
	if (!s)
		return 1;
	if (s->kvm || __sync_val_compare_and_swap(&s->kvm, 0, c->kvm) != 0)
		return 0;
	s->seq = __sync_fetch_and_add(&next_seq, 1) + 1;
	s->tgid = c->tgid;
	s->dead = 0;
	s->reg_ns = bpf_ktime_get_ns();
	c->idx = key;
	return 1;
}

/* The VMM's argv, read from its own memory while it is current: the name
 * survives a VMM that exits before user space looks at /proc. */
static __always_inline void read_cmdline(struct vm_slot *s)
{
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u32 len = end > start ? end - start : 0;

	s->cmdline_len = 0;
	if (len >= ST_CMDLINE_LEN) {
		if (!bpf_probe_read_user(s->cmdline, ST_CMDLINE_LEN, (void *)start))
			s->cmdline_len = ST_CMDLINE_LEN;
		return;
	}
	/* Keep the mask in the object: it is the bound the verifier needs. */
	asm volatile("%0 &= 255" : "+r"(len));
	if (len && !bpf_probe_read_user(s->cmdline, len, (void *)start))
		s->cmdline_len = len;
}

static __noinline __u32 vm_register(__u64 kvm, __u32 tgid, int own_process)
{
	struct claim_ctx c = { .kvm = kvm, .tgid = tgid, .idx = ST_NO_SLOT };
	__u32 *idx = bpf_map_lookup_elem(&vm_index, &kvm);
	struct vm_slot *s;

	if (idx)
		return *idx;
	bpf_loop(ST_MAX_VMS_LIMIT, claim_slot, &c, 0);
	if (c.idx == ST_NO_SLOT) {
		__u8 one = 1;

		if (!bpf_map_update_elem(&untracked_vms, &kvm, &one, BPF_NOEXIST))
			SELF_INC(vm_table_full);
		return ST_NO_SLOT;
	}
	if (bpf_map_update_elem(&vm_index, &kvm, &c.idx, BPF_NOEXIST)) {
		/* Another CPU registered the same VM first: give ours back. */
		s = bpf_map_lookup_elem(&vm_slots, &c.idx);
		if (s)
			s->kvm = 0;
		idx = bpf_map_lookup_elem(&vm_index, &kvm);
		return idx ? *idx : ST_NO_SLOT;
	}
	s = bpf_map_lookup_elem(&vm_slots, &c.idx);
	if (s) {
		s->snap.kvm = 0;
		s->cmdline_len = 0;
		if (own_process)
			read_cmdline(s);
		/* Last (no reordering on x86; the barrier keeps the compiler
		 * from it): user space reads a slot once it is live. */
		asm volatile("" ::: "memory");
		s->live = 1;
	}
	return c.idx;
}

/*
 * Giving a dead VM's slot back: run by user space (BPF_PROG_TEST_RUN, never
 * attached) rather than done with map syscalls of its own.  A map update
 * or delete from user space keeps every kprobe and perf-event program on
 * its CPU from running until it returns, and on a kernel that preempts
 * there it may be preempted in the middle: the faults, ioctls and waits of
 * that moment would be missed.  A test run holds its CPU and keeps nothing
 * else from running.  ctx[0]: the VM slot, whose vcpu_stats slots (those its
 * registration numbered, counters zeroed by user space) go back to the free
 * queue.
 */
struct reap_ctx {
	__u32 idx;
	__u64 seq;
	__u32 freed;
};

static long reap_vcpu_slot(__u64 i, struct reap_ctx *r)
{
	__u32 slot = (__u32)i;
	struct vcpu_stats *vs = bpf_map_lookup_elem(&vcpu_stats, &slot);
	__u64 key;

	if (!vs)
		return 1;	/* past max_vcpus */
	if (!vs->owner_seq || vs->owner_seq != r->seq || vs->owner_idx != r->idx)
		return 0;
	key = ((__u64)r->idx << 32) | vs->vcpu;
	bpf_map_delete_elem(&vcpu_index, &key);
	/* User space zeroed the counters, after their last read. */
	vs->owner_seq = 0;
	vs->owner_idx = 0;
	vs->vcpu = 0;
	if (!bpf_map_push_elem(&free_vcpu_slots, &slot, 0))
		r->freed++;
	return 0;
}

SEC("raw_tp")
int reap_vm(__u64 *ctx)
{
	struct reap_ctx r = { .idx = (__u32)ctx[0] };
	struct vm_slot *s = bpf_map_lookup_elem(&vm_slots, &r.idx);
	__u32 *cur;
	__u64 kvm;

	if (!s)
		return -1;
	kvm = s->kvm;
	r.seq = s->seq;
	bpf_loop(ST_MAX_VCPUS_LIMIT, reap_vcpu_slot, &r, 0);
	cur = bpf_map_lookup_elem(&vm_index, &kvm);
	if (cur && *cur == r.idx)
		bpf_map_delete_elem(&vm_index, &kvm);
	return r.freed;
}

/* A VM's own entry, for what no vCPU slot takes: its updates are atomic. */
static __always_inline struct vm_stats *vm_counters(__u32 idx)
{
	return bpf_map_lookup_elem(&vm_stats, &idx);
}

/* The vcpu_stats slot of vCPU vcpu of the VM in slot idx: its own from its
 * first KVM_RUN on, taken from the free queue; ST_NO_SLOT when none is free
 * (counted once per vCPU; its counts then go to the VM's own entry). */
static __noinline __u32 vcpu_slot(__u32 idx, __u32 vcpu)
{
	__u64 key = ((__u64)idx << 32) | vcpu;
	struct vcpu_stats *vs;
	struct vm_slot *vm;
	__u32 *p, slot;
	__u8 one = 1;

	p = bpf_map_lookup_elem(&vcpu_index, &key);
	if (p)
		return *p;
	vm = bpf_map_lookup_elem(&vm_slots, &idx);
	if (!vm)
		return ST_NO_SLOT;
	if (bpf_map_pop_elem(&free_vcpu_slots, &slot)) {
		if (!bpf_map_update_elem(&untracked_vcpus, &key, &one, BPF_NOEXIST))
			SELF_INC(vcpu_table_full);
		return ST_NO_SLOT;
	}
	vs = bpf_map_lookup_elem(&vcpu_stats, &slot);
	if (!vs || bpf_map_update_elem(&vcpu_index, &key, &slot, BPF_NOEXIST)) {
		/* Another thread of the same vCPU got there first (or the slot
		 * number was bad): give ours back. */
		bpf_map_push_elem(&free_vcpu_slots, &slot, 0);
		p = bpf_map_lookup_elem(&vcpu_index, &key);
		return p ? *p : ST_NO_SLOT;
	}
	vs->owner_idx = idx;
	vs->vcpu = vcpu;
	/* Last (stores are not reordered on x86; the barrier keeps the
	 * compiler from it): user space counts the slot as the VM's once
	 * owner_seq is set. */
	asm volatile("" ::: "memory");
	vs->owner_seq = vm->seq;
	return slot;
}

/* A new VM at the address of one that died: retire the old slot so that its
 * counts end with it and the new VM starts from zero. */
static __always_inline void vm_retire(__u64 kvm)
{
	__u32 *idx = bpf_map_lookup_elem(&vm_index, &kvm);
	struct vm_slot *s;

	if (!idx)
		return;
	s = bpf_map_lookup_elem(&vm_slots, idx);
	if (s && s->kvm == kvm)
		s->dead = 1;
	bpf_map_delete_elem(&vm_index, &kvm);
}

/* The census may find a new VM's file between its fd_install and the end of
 * KVM_CREATE_VM, and register it: that slot is this VM's, not one that died
 * at the same address before (that one was registered before the ioctl
 * began), so keep it and give it the VMM's command line. */
static __always_inline bool created_meanwhile(__u64 kvm, __u64 since)
{
	__u32 *idx = bpf_map_lookup_elem(&vm_index, &kvm);
	struct vm_slot *s;

	if (!idx)
		return false;
	s = bpf_map_lookup_elem(&vm_slots, idx);
	if (!s || s->kvm != kvm || s->dead || s->reg_ns < since)
		return false;
	if (!s->cmdline_len)
		read_cmdline(s);
	return true;
}

static __always_inline bool slot_owned(__u32 idx, __u64 kvm)
{
	struct vm_slot *s;

	if (idx == ST_NO_SLOT)
		return false;
	s = bpf_map_lookup_elem(&vm_slots, &idx);
	return s && s->kvm == kvm && !s->dead;
}

/* 1: a VM file, 2: a vCPU file, 0: anything else. */
static __always_inline int kvm_file_type(struct file *f)
{
	__u64 fop = (__u64)BPF_CORE_READ(f, f_op);
	const unsigned char *np;
	char name[12] = {};

	if (!fop)
		return 0;
	if (fop == vm_fops)
		return 1;
	if (fop == vcpu_fops)
		return 2;
	np = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), np) < 0)
		return 0;
	/* anon_inode_getfd() names: "kvm-vm" (not "kvm-vm-stats"), "kvm-vcpu:N" */
	if (name[0] != 'k' || name[1] != 'v' || name[2] != 'm' || name[3] != '-')
		return 0;
	if (name[4] == 'v' && name[5] == 'm' && name[6] == '\0') {
		vm_fops = fop;
		return 1;
	}
	if (name[4] == 'v' && name[5] == 'c' && name[6] == 'p' && name[7] == 'u' && name[8] == ':') {
		vcpu_fops = fop;
		return 2;
	}
	return 0;
}

static __always_inline struct file *fd_to_file(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* ---- KVM's own gauges for one VM ----------------------------------------- */

struct slot_walk {
	__u64 slots;		/* struct kvm_memslots * */
	__u64 id_node_off;
	__u64 pages;
	__u32 logging;		/* memslots with KVM_MEM_LOG_DIRTY_PAGES */
};

/*
 * Bucket b of the id hash, summed into w.  A global function: the verifier
 * checks it once, for any w, not once per state of its caller.  As part of
 * the bpf_loop callback, the running count of logging memslots was a
 * constant the verifier tracked exactly in the caller's stack, a new state
 * at every iteration, and 7.2's verifier stopped the census at its limit
 * of 1M instructions.
 */
__noinline int memslot_bucket_sum(struct slot_walk *w, __u32 b)
{
	struct hlist_node *n;
	int i;

	if (!w)
		return 0;
	n = memslot_bucket((void *)w->slots, b);
	for (i = 0; i < MEMSLOT_BUCKET_MAX && n; i++) {
		/* Out of BPF_CORE_READ: w is our type, not the kernel's. */
		struct kvm_memory_slot *ms = memslot_of(n, w->id_node_off);

		w->pages += BPF_CORE_READ(ms, npages);
		if (BPF_CORE_READ(ms, flags) & KVM_MEM_LOG_DIRTY_PAGES)
			w->logging++;
		n = BPF_CORE_READ(n, next);
	}
	return 0;
}

static long sum_bucket(__u64 b, struct slot_walk *w)
{
	memslot_bucket_sum(w, b);
	return 0;
}

static __always_inline void read_gauges(struct kvm *kvm, struct vm_census *rec)
{
	struct slot_walk w = {};
	struct kvm_memslots *slots;

	rec->kvm = (__u64)kvm;
	rec->online_vcpus = BPF_CORE_READ(kvm, online_vcpus.counter);
	rec->memslots_dirty = memslots_dirty(rec->kvm);
	rec->pages[0] = BPF_CORE_READ(kvm, stat.pages_4k.counter);
	rec->pages[1] = BPF_CORE_READ(kvm, stat.pages_2m.counter);
	rec->pages[2] = BPF_CORE_READ(kvm, stat.pages_1g.counter);
	rec->indirect_sps = BPF_CORE_READ(kvm, arch.indirect_shadow_pages);

	/* Guest memory: every memslot of address space 0, by the id hash. */
	slots = BPF_CORE_READ(kvm, memslots[0]);
	if (slots) {
		w.slots = (__u64)slots;
		w.id_node_off = memslot_id_node_off(slots);
		bpf_loop(MEMSLOT_ID_BUCKETS, sum_bucket, &w, 0);
		/* No counter before 6.2: the memslots' own flags tell (address
		 * space 0 only; KVM's counter also counts SMM's). */
		if (rec->memslots_dirty < 0)
			rec->memslots_dirty = w.logging;
	}
	rec->mem_pages = w.pages;
}

/* ---- syscalls: which VM and vCPU a task works for ------------------------ */

/* An ioctl(fd, cmd) starts: remember which VM (and vCPU) it is for. */
/* The flags of memslot id (as_id << 16 | slot) as KVM has them now, or -1
 * when there is no such memslot: a walk of its bucket of the id hash. */
static __always_inline int memslot_flags(__u64 kvm, __u32 id)
{
	struct kvm_memslots *slots;
	struct hlist_node *n;
	__u64 off;
	int i;

	slots = BPF_CORE_READ((struct kvm *)kvm, memslots[(id >> 16) & 1]);
	if (!slots)
		return -1;
	off = memslot_id_node_off(slots);
	id &= 0xffff;
	n = memslot_bucket(slots, memslot_id_bucket(id));
	for (i = 0; i < MEMSLOT_BUCKET_MAX && n; i++) {
		struct kvm_memory_slot *ms = memslot_of(n, off);

		if ((__u32)BPF_CORE_READ(ms, id) == id)
			return BPF_CORE_READ(ms, flags);
		n = BPF_CORE_READ(n, next);
	}
	return -1;
}

/* Dirty logging of the memslot this memslot ioctl sets: before (from KVM)
 * and as asked (from the ioctl's argument).  For kernels without
 * kvm->nr_memslots_dirty_logging. */
static __always_inline void memslot_logging(struct task_ctx *tc, unsigned long arg)
{
	struct { __u32 slot, flags; } r;
	int old;

	tc->logging_before = -1;
	if (bpf_probe_read_user(&r, sizeof(r), (void *)arg))
		return;
	old = memslot_flags(tc->kvm, r.slot);
	tc->logging_before = old > 0 && (old & 1);	/* KVM_MEM_LOG_DIRTY_PAGES */
	tc->logging_asked = r.flags & 1;
}

/* A KVM ioctl cmd on file starts (fd: its descriptor, or -1 where the
 * source hands over the file itself): remember which VM (and vCPU) it is for. */
static __always_inline int ioctl_begin(struct task_struct *task, struct file *file, int fd, unsigned int cmd,
				       unsigned long arg)
{
	struct task_ctx *tc;
	unsigned int nr;
	int type;

	if (((cmd >> 8) & 0xff) != KVMIO_TYPE)
		return 0;
	nr = cmd & 0xff;
	tc = bpf_task_storage_get(&task_ctx_map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	first_run(tc, task, nr);
	if (!tc) {
		SELF_INC(task_storage_fail);
		return 0;
	}
	if (!file) {
		tc->kind = KIND_NONE;
		return 0;
	}
	/* vCPU threads call KVM_RUN on the same fd over and over: reuse the
	 * lookup, as long as the slot still belongs to that VM (a VMM may close
	 * a VM and get the same fd and a recycled struct file for a new one). */
	if (tc->file != (__u64)file || tc->fd != fd || !slot_owned(tc->idx, tc->kvm)) {
		type = kvm_file_type(file);
		if (!type) {
			tc->file = 0;
			tc->kind = nr == NR_CREATE_VM ? KIND_CREATE : KIND_NONE;
			tc->start_ns = bpf_ktime_get_ns();
			return 0;
		}
		if (type == 1) {
			tc->kvm = (__u64)BPF_CORE_READ(file, private_data);
			tc->vcpu = 0;
			tc->vcpu_ptr = 0;
		} else {
			struct kvm_vcpu *vcpu = BPF_CORE_READ(file, private_data);

			tc->kvm = (__u64)BPF_CORE_READ(vcpu, kvm);
			tc->vcpu = BPF_CORE_READ(vcpu, vcpu_idx);
			tc->vcpu_ptr = (__u64)vcpu;
		}
		tc->vcpu_file = type == 2;
		tc->file = (__u64)file;
		tc->fd = fd;
		tc->idx = vm_register(tc->kvm, bpf_get_current_pid_tgid() >> 32, 1);
	}
	if (tc->idx == ST_NO_SLOT) {
		tc->kind = KIND_NONE;
		return 0;
	}
	if (tc->vcpu_file) {
		tc->kind = nr == NR_RUN ? KIND_RUN : KIND_OTHER;
		if (tc->kind == KIND_RUN) {
			__u32 vslot = vcpu_slot(tc->idx, tc->vcpu);

			if (tc->bound_idx != tc->idx + 1 || tc->bound_vcpu != tc->vcpu + 1 ||
			    tc->vslot != vslot) {
				tc->bound_idx = tc->idx + 1;
				tc->bound_vcpu = tc->vcpu + 1;
				tc->vslot = vslot;
				forget_binding(task);
			}
		}
		return 0;
	}
	switch (nr) {
	case NR_GET_DIRTY_LOG:
		tc->kind = KIND_GET;
		break;
	case NR_CLEAR_DIRTY_LOG:
		tc->kind = KIND_CLEAR;
		break;
	case NR_RESET_DIRTY_RINGS:
		tc->kind = KIND_RESET;
		break;
	case NR_SET_MEMORY_REGION:
	case NR_SET_MEMORY_REGION2:
		tc->kind = KIND_MEMSLOT;
		if (bpf_core_field_exists(((struct kvm *)0)->nr_memslots_dirty_logging))
			tc->logging_before = memslots_dirty(tc->kvm);
		else
			memslot_logging(tc, arg);
		break;
	default:
		tc->kind = KIND_OTHER;
		return 0;
	}
	tc->splits_in_op = 0;
	tc->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* The syscall tracepoints' view: a descriptor to look the file up by. */
static __always_inline int ioctl_enter(int fd, unsigned int cmd, unsigned long arg)
{
	struct task_struct *task;

	if (((cmd >> 8) & 0xff) != KVMIO_TYPE)
		return 0;
	task = bpf_get_current_task_btf();
	return ioctl_begin(task, fd_to_file(task, fd), fd, cmd, arg);
}

static __always_inline void account_dlog(struct task_ctx *tc, long ret)
{
	__u64 dur = bpf_ktime_get_ns() - tc->start_ns;
	struct vm_slot *slot;
	struct vm_stats *st;
	int op, after;

	if (ret < 0)
		return;
	if (tc->kind == KIND_GET) {
		op = DLOG_GET;
	} else if (tc->kind == KIND_CLEAR) {
		op = DLOG_CLEAR;
	} else if (tc->kind == KIND_RESET) {
		op = DLOG_RESET;
	} else {
		if (bpf_core_field_exists(((struct kvm *)0)->nr_memslots_dirty_logging))
			after = memslots_dirty(tc->kvm);
		else
			after = tc->logging_asked;	/* the ioctl succeeded */
		if (after < 0 || tc->logging_before < 0 || after == tc->logging_before)
			return;
		op = after > tc->logging_before ? DLOG_ENABLE : DLOG_DISABLE;
	}
	st = vm_counters(tc->idx);
	if (!st)
		return;
	__sync_fetch_and_add(&st->dlog_count[op], 1);
	__sync_fetch_and_add(&st->dlog_ns[op], dur);
	__sync_fetch_and_add(&st->dlog_splits[op], tc->splits_in_op);
	slot = bpf_map_lookup_elem(&vm_slots, &tc->idx);
	if (slot && slot->kvm == tc->kvm) {
		/* Shared, not per-CPU: "the latest" has one answer. */
		slot->dlog_last_ns[op] = dur;
		slot->dlog_last_splits[op] = tc->splits_in_op;
		read_gauges((struct kvm *)tc->kvm, &slot->snap);
		slot->snap.tgid = slot->tgid;
		slot->snap.idx = tc->idx;
	}
}

/* After the memslot update is complete: a vCPU's cached "no huge page
 * here" may be stale from now on (even a failed ioctl may have changed
 * something: never trust the cache across one). */
static __always_inline void memslot_changed(struct task_ctx *tc)
{
	struct vm_slot *slot = bpf_map_lookup_elem(&vm_slots, &tc->idx);

	if (slot && slot->kvm == tc->kvm)
		__sync_fetch_and_add(&slot->memslot_gen, 1);
}

/* The ioctl returns ret: account the dirty-log operation it was, or
 * register the VM it created. */
static __always_inline int ioctl_exit(long ret)
{
	struct task_struct *task;
	struct task_ctx *tc;

	task = bpf_get_current_task_btf();
	tc = bpf_task_storage_get(&task_ctx_map, task, 0, 0);
	if (!tc || tc->kind == KIND_NONE)
		return 0;
	if (tc->kind == KIND_CREATE) {
		struct file *f = ret >= 0 ? fd_to_file(task, (int)ret) : NULL;

		if (f && kvm_file_type(f) == 1) {
			__u64 kvm = (__u64)BPF_CORE_READ(f, private_data);

			if (!created_meanwhile(kvm, tc->start_ns)) {
				vm_retire(kvm);
				vm_register(kvm, bpf_get_current_pid_tgid() >> 32, 1);
			}
		}
		tc->file = 0;	/* the next ioctl looks its file up afresh */
	} else if (tc->kind >= KIND_MEMSLOT && tc->kind <= KIND_RESET) {
		if (tc->kind == KIND_MEMSLOT)
			memslot_changed(tc);
		account_dlog(tc, ret);
	}
	tc->kind = KIND_NONE;
	return 0;
}

/*
 * Three ways to see KVM ioctls.  Kprobes on KVM's own ioctl handlers come
 * first: they run for KVM's ioctls only, with preemption off.  A kernel
 * that preempts tracing programs (full or lazy preemption: Debian's 6.18
 * and 7.x) runs the syscall tracepoints' programs preemptibly, and one
 * preempted in the middle keeps the same program (raw_syscalls) or every
 * perf-event program (the ioctl tracepoints) on that CPU from running for
 * another thread's ioctl, which is then missed: a KVM_RUN whose faults
 * belong to no vCPU, a dirty-log operation not counted.  A kprobe program
 * is never preempted, so nothing is missed.  The vCPU's KVM_RUN needs no
 * return probe (a vCPU thread takes KVM's faults only inside it; the next
 * ioctl starts afresh), which spares one per exit to user space.
 * The ioctl syscall tracepoints run a program for ioctls only; raw_syscalls'
 * sys_enter/sys_exit run one for every system call of the host (about
 * 130 ns more per syscall here), so they come last.
 */
SEC("kprobe/kvm_vcpu_ioctl")
int BPF_KPROBE(on_vcpu_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return ioctl_begin(bpf_get_current_task_btf(), file, -1, cmd, arg);
}

SEC("kprobe/kvm_vm_ioctl")
int BPF_KPROBE(on_vm_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return ioctl_begin(bpf_get_current_task_btf(), file, -1, cmd, arg);
}

SEC("kretprobe/kvm_vm_ioctl")
int BPF_KRETPROBE(on_vm_ioctl_ret, long ret)
{
	return ioctl_exit(ret);
}

/* KVM_CREATE_VM, on /dev/kvm. */
SEC("kprobe/kvm_dev_ioctl")
int BPF_KPROBE(on_dev_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return ioctl_begin(bpf_get_current_task_btf(), file, -1, cmd, arg);
}

SEC("kretprobe/kvm_dev_ioctl")
int BPF_KRETPROBE(on_dev_ioctl_ret, long ret)
{
	return ioctl_exit(ret);
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int on_ioctl_enter(struct trace_event_raw_sys_enter *ctx)
{
	return ioctl_enter((int)ctx->args[0], (unsigned int)ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int on_ioctl_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ioctl_exit(ctx->ret);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	if (id != ioctl_nr)
		return 0;
	return ioctl_enter((int)PT_REGS_PARM1_CORE_SYSCALL(regs),
			   (unsigned int)PT_REGS_PARM2_CORE_SYSCALL(regs),
			   (unsigned long)PT_REGS_PARM3_CORE_SYSCALL(regs));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
#ifdef __TARGET_ARCH_x86
	/* Cheap filter before the storage lookup: this runs for every syscall,
	 * so a direct (BTF) load, not a probe-read helper call. */
	if (regs->orig_ax != ioctl_nr)
		return 0;
#endif
	return ioctl_exit(ret);
}

/* ---- page faults ---------------------------------------------------------- */

/* Level (2: 2 MiB, 3: 1 GiB) of the huge mapping KVM has for gfn, or 0.
 * KVM keeps one rmap per level per memslot: a non-empty head at 2 MiB means
 * a 2 MiB SPTE maps this gfn right now.  The TDP MMU keeps no rmaps. */
static __always_inline int huge_level(struct kvm_memory_slot *slot, __u64 gfn)
{
	__u64 base = slot->base_gfn, val = 0, rmap;

	/* The index is bounded to 32 bits: the verifier refuses unbounded pointer math. */
	rmap = (__u64)slot->arch.rmap[1];
	if (rmap) {
		if (bpf_probe_read_kernel(&val, sizeof(val),
					  (void *)(rmap + (((gfn >> 9) - (base >> 9)) & 0xffffffffULL) * 8)))
			SELF_INC(rmap_read_fail);
		if (val)
			return 2;
	}
	rmap = (__u64)slot->arch.rmap[2];
	if (rmap) {
		if (bpf_probe_read_kernel(&val, sizeof(val),
					  (void *)(rmap + (((gfn >> 18) - (base >> 18)) & 0xffffffffULL) * 8)))
			SELF_INC(rmap_read_fail);
		if (val)
			return 3;
	}
	return 0;
}

/* The vCPU the current task runs, from this CPU's cache, else from the
 * task's context (which fills the cache); NULL outside a known KVM_RUN. */
/* A thread that faults outside any KVM_RUN splittop saw: a vCPU that was
 * already in the guest when splittop started, if the census found it.  It
 * becomes that vCPU, in KVM_RUN, until its ioctl returns.  Runs once per
 * such thread: its next faults hit the fault cache. */
static __noinline struct task_ctx *adopt_vcpu(struct task_struct *task)
{
	struct vcpu_thread *vt;
	struct task_ctx *tc;
	__u32 tid = task->pid, *pidx;
	__u64 kvm;

	vt = bpf_map_lookup_elem(&vcpu_threads, &tid);
	if (!vt)
		return NULL;
	kvm = vt->kvm;
	pidx = bpf_map_lookup_elem(&vm_index, &kvm);
	if (!pidx)
		return NULL;
	tc = bpf_task_storage_get(&task_ctx_map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tc) {
		SELF_INC(task_storage_fail);
		return NULL;
	}
	tc->kvm = kvm;
	tc->idx = *pidx;
	tc->vcpu = vt->vcpu;
	tc->vcpu_ptr = vt->vcpu_ptr;
	tc->vcpu_file = 1;
	tc->file = 0;		/* its next ioctl looks its file up */
	tc->kind = KIND_RUN;
	tc->bound_idx = tc->idx + 1;
	tc->bound_vcpu = tc->vcpu + 1;
	tc->vslot = vcpu_slot(tc->idx, tc->vcpu);
	forget_binding(task);
	return tc;
}

/* The slow path of vcpu_cache(), out of line: the fault path's code stays
 * short.  key: the stack key the caller computed, 0 for the task's own. */
static __noinline struct fault_cache *vcpu_cache_fill(struct fault_cache *c, __u64 key)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 own = (__u64)task->stack >> ST_STACK_SHIFT;
	struct task_ctx *tc;

	if (!c)
		return NULL;
	if (!key) {
		key = own;
		if (key && c->stack == key)
			return c;
	}
	tc = bpf_task_storage_get(&task_ctx_map, task, 0, 0);
	if (!tc || tc->kind == KIND_NONE)
		tc = adopt_vcpu(task);
	if (!tc || tc->kind != KIND_RUN)
		return NULL;
	/* The same task on the same vCPU keeps its fault's class (a split or
	 * zap later in the same fault reclassifies it) and its region cache. */
	if (c->task != (__u64)task || c->idx != tc->idx || c->vcpu != tc->vcpu || c->vslot != tc->vslot) {
		c->task = (__u64)task;
		c->idx = tc->idx;
		c->vcpu = tc->vcpu;
		c->vslot = tc->vslot;
		c->fault_cls = FAULT_OTHER;
		c->nohuge_slot = 0;
	}
	c->stack = key == own ? own : 0;
	c->vcpu_ptr = tc->vcpu_ptr;
	return c;
}

/*
 * The vCPU of the task on this CPU, from this CPU's cache.  The cache is
 * keyed by the task's kernel stack, and a fault's struct kvm_page_fault is
 * on it (a local of KVM's fault path): under mmu_lock the key costs a store
 * and a load instead of a helper call (which pays a return thunk).  on: an
 * address on the current task's stack, or NULL (then the task's own).  The
 * key is checked against task->stack when the entry is filled: where on is
 * not on that stack, nothing is cached and every event takes the slow path.
 */
static __always_inline struct fault_cache *vcpu_cache(const void *on)
{
	struct fault_cache *c;
	__u32 zero = 0;
	__u64 key = 0;

	c = bpf_map_lookup_elem(&cpu_state_map, &zero);
	if (c && on) {
		/* A pointer stored in a map reads back as a plain number. */
		c->scratch = (__u64)on;
		key = *(volatile __u64 *)&c->scratch >> ST_STACK_SHIFT;
		if (key && c->stack == key)
			return c;
	}
	return vcpu_cache_fill(c, key);
}

static __always_inline struct vcpu_stats *vcpu_counters(struct fault_cache *c)
{
	return bpf_map_lookup_elem(&vcpu_stats, &c->vslot);
}

/* Count one fault of class cls (and a demotion at level, if any).  A vCPU's
 * slot has one writer, its own thread (KVM runs a vCPU in one thread at a
 * time): plain adds, no locked instruction in the fault. */
static __always_inline void count_fault(struct fault_cache *c, int cls, int demoted_level)
{
	struct vcpu_stats *vs = vcpu_counters(c);
	struct vm_stats *st;

	c->fault_cls = cls;
	if (vs) {
		vs->faults[cls & 3]++;
		if (demoted_level)
			vs->demotions[(demoted_level - 2) & 1]++;
		return;
	}
	st = vm_counters(c->idx);
	if (!st)
		return;
	__sync_fetch_and_add(&st->faults_unslotted[cls & 3], 1);
	if (demoted_level)
		__sync_fetch_and_add(&st->demotions_unslotted[(demoted_level - 2) & 1], 1);
}

/* The latest fault, counted as a write fault on a 4K mapping, turned out to
 * be on a huge one (a TDP MMU, which keeps no rmaps to tell beforehand).  It
 * runs in that fault, under mmu_lock, so on the CPU whose cache counted it. */
static __always_inline void reclassify_huge(int level, bool demoted)
{
	struct fault_cache *c = vcpu_cache(NULL);
	struct vcpu_stats *vs;
	struct vm_stats *st;

	/* Once per fault, and never for one already known to be huge. */
	if (!c || c->fault_cls != FAULT_4K_WP)
		return;
	c->fault_cls = FAULT_HUGE_WP;
	vs = vcpu_counters(c);
	if (vs) {
		vs->faults[FAULT_4K_WP]--;
		vs->faults[FAULT_HUGE_WP]++;
		if (demoted)
			vs->demotions[(level - 2) & 1]++;
		return;
	}
	st = vm_counters(c->idx);
	if (!st)
		return;
	__sync_fetch_and_add(&st->faults_unslotted[FAULT_4K_WP], -1);
	__sync_fetch_and_add(&st->faults_unslotted[FAULT_HUGE_WP], 1);
	if (demoted)
		__sync_fetch_and_add(&st->demotions_unslotted[(level - 2) & 1], 1);
}

static __always_inline void end_wait_at_fault(struct fault_cache *c);

/* Every fault that reaches KVM's page fault handler proper. */
SEC("tp_btf/kvm_mmu_spte_requested")
int BPF_PROG(on_spte_requested, struct kvm_page_fault *fault)
{
	struct fault_cache *c;
	int cls, level = 0;

#ifdef ST_EXPERIMENT_FLOOR
	return 0;	/* benchmark only: the cost of the attachment itself */
#endif
	/* From 6.12 on, the verifier takes a pointer argument of a module's
	 * tracepoint (KVM's, where KVM is a module) as possibly NULL. */
	if (!fault)
		return 0;
	c = vcpu_cache(fault);
	if (!c) {
		SELF_INC(unattributed_faults);
		return 0;
	}
	end_wait_at_fault(c);
	if (!fault->present) {
		cls = FAULT_NONPRESENT;
	} else if (!fault->write || !fault->slot) {
		cls = FAULT_OTHER;
	} else {
		struct kvm_memory_slot *ms = fault->slot;
		struct vm_slot *vsl = bpf_map_lookup_elem(&vm_slots, &c->idx);
		__u64 region = fault->gfn >> 9;
		bool logged = ms->dirty_bitmap && vsl;

		if (logged && c->nohuge_slot == (__u64)ms && c->nohuge_region == region &&
		    c->nohuge_gen == vsl->memslot_gen) {
			level = 0;
		} else {
			level = huge_level(ms, fault->gfn);
			if (!level && logged) {
				c->nohuge_slot = (__u64)ms;
				c->nohuge_region = region;
				c->nohuge_gen = vsl->memslot_gen;
			}
		}
		cls = level ? FAULT_HUGE_WP : FAULT_4K_WP;
	}
	/* The fault maps below the huge level: the huge mapping is dropped. */
	count_fault(c, cls, level && fault->goal_level < level ? level : 0);
	return 0;
}

/* A fault KVM fixed on its fast path, without its handler proper (a TDP
 * MMU making a write-protected 4K mapping writable again): it fires no
 * spte_requested.  ret is fast_page_fault()'s. */
static __always_inline int count_fast_fault(struct fault_cache *c, int ret, bool write)
{
	if (!c) {
		SELF_INC(unattributed_faults);
		return 0;
	}
	count_fault(c, ret == ret_pf_fixed && write ? FAULT_4K_WP : FAULT_OTHER, 0);
	return 0;
}

/*
 * The fast path runs under RCU alone, not under mmu_lock: where the kernel
 * preempts there (full or lazy preemption, the default from 7.x on), a
 * program on the tracepoint can be preempted in the middle, and the same
 * program on the same CPU, for another vCPU, is then not run at all (the
 * kernel's guard against a program's recursion; bpf_prog_info's
 * recursion_misses).  The perf event of the tracepoint runs its program
 * with preemption off, so it sees every fault: it comes first.
 */
SEC("tracepoint/kvmmmu/fast_page_fault")
int on_fast_page_fault_tp(struct trace_event_raw_fast_page_fault *ctx)
{
	int ret = ctx->ret;

	if (ret != ret_pf_fixed && ret != ret_pf_spurious)
		return 0;	/* not fixed here: the handler proper follows */
	return count_fast_fault(vcpu_cache(NULL), ret, ctx->error_code & PFERR_WRITE);
}

/* Typed arguments, no tracefs; where the kernel preempts the fast path,
 * its misses are counted (self.missed_events).  fault: see on_spte_requested. */
SEC("tp_btf/fast_page_fault")
int BPF_PROG(on_fast_page_fault, struct kvm_vcpu *vcpu, struct kvm_page_fault *fault, __u64 *sptep,
	     __u64 old_spte, int ret)
{
	if ((ret != ret_pf_fixed && ret != ret_pf_spurious) || !fault)
		return 0;
	return count_fast_fault(vcpu_cache(fault), ret, fault->write);
}

#define SPTE_PRESENT	(1ULL << 11)	/* SPTE_MMU_PRESENT_MASK */
#define SPTE_LARGE	(1ULL << 7)	/* PT_PAGE_SIZE_MASK */

#define PF_EXITING	0x00000004	/* include/linux/sched.h */

/*
 * Whether the current task is inside a KVM_RUN of its own.  A vCPU thread's
 * fault cache names its latest fault after KVM_RUN returns (the kprobe on
 * kvm_vcpu_ioctl has no return twin, and the cache is keyed by the stack
 * alone), so a zap the thread makes outside a fault would pass for that
 * fault's: its exit tearing down the VM's mappings (the exit_mmap of the
 * VMM's last thread: one demotion counted where none was, seen with QEMU), a
 * munmap or madvise of guest memory.  The syscall the thread is in tells:
 * the ioctl KVM_RUN, and not on its way out.  Rare: a huge leaf zapped.
 */
static __always_inline bool in_kvm_run(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->flags & PF_EXITING)
		return false;
#ifdef __TARGET_ARCH_x86
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	unsigned int cmd = (unsigned int)regs->si;

	return regs->orig_ax == ioctl_nr && ((cmd >> 8) & 0xff) == KVMIO_TYPE && (cmd & 0xff) == NR_RUN;
#else
	return true;
#endif
}

/* TDP MMU only: a vCPU's fault zapping a huge leaf to map 4K in its place
 * (kernels that do not split in the fault path) is a demotion. */
SEC("tp_btf/kvm_tdp_mmu_spte_changed")
int BPF_PROG(on_tdp_spte_changed, int as_id, __u64 gfn, int level, __u64 old_spte, __u64 new_spte)
{
	if (level < 2 || level > 3 || (old_spte & (SPTE_PRESENT | SPTE_LARGE)) != (SPTE_PRESENT | SPTE_LARGE) ||
	    (new_spte & SPTE_PRESENT) || !in_kvm_run())
		return 0;
	reclassify_huge(level, true);
	return 0;
}

/* ---- huge page splits ------------------------------------------------------ */

static __always_inline int account_split(int level, int err)
{
	struct vcpu_stats *vs;
	struct task_ctx *tc;
	struct vm_stats *st;
	int cause, size;

	tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	if (!tc || tc->kind == KIND_NONE || tc->kind == KIND_CREATE || tc->idx == ST_NO_SLOT) {
		SELF_INC(unattributed_splits);
		return 0;
	}
	/* A vCPU splits in its fault path; the thread that enables dirty logging
	 * or clears the dirty log splits eagerly. */
	cause = tc->kind == KIND_RUN ? CAUSE_FAULT : CAUSE_EAGER;
	size = level >= 3 ? SPLIT_1G : SPLIT_2M;
	/* In a vCPU's fault, under mmu_lock: one lookup, its own slot. */
	if (!err && cause == CAUSE_FAULT && (vs = bpf_map_lookup_elem(&vcpu_stats, &tc->vslot))) {
		vs->hot.splits[size][CAUSE_FAULT]++;
		reclassify_huge(level, false);	/* split in the fault path */
		return 0;
	}
	st = vm_counters(tc->idx);
	if (!st)
		return 0;
	if (err) {
		__u32 e = err < 0 ? -err : err;

		if (e >= ST_SPLIT_ERRNOS)
			e = 0;
		__sync_fetch_and_add(&st->split_errors, 1);
		/* The mask proves the bound to the verifier (ST_SPLIT_ERRNOS is 2^n). */
		__sync_fetch_and_add(&st->split_errno[e & (ST_SPLIT_ERRNOS - 1)], 1);
		return 0;
	}
	__sync_fetch_and_add(&st->splits[size][cause], 1);
	if (tc->split_mmu)
		__sync_fetch_and_add(&st->splits_mmu[(tc->split_mmu - 1) & 1], 1);
	if (cause == CAUSE_EAGER)
		tc->splits_in_op++;
	else
		reclassify_huge(level, false);	/* split in the fault path */
	return 0;
}

SEC("tp_btf/kvm_mmu_split_huge_page")
int BPF_PROG(on_split, __u64 gfn, __u64 spte, int level, int err)
{
	return account_split(level, err);
}

/* The same handler as a raw tracepoint: used where tp_btf is not offered,
 * and by the tests, which feed it synthetic arguments (BPF_PROG_TEST_RUN). */
SEC("raw_tp/kvm_mmu_split_huge_page")
int BPF_PROG(on_split_raw, __u64 gfn, __u64 spte, int level, int err)
{
	return account_split(level, err);
}

/* ---- kvm->mmu_lock contention ---------------------------------------------- */

/* The VM slot of the kvm whose mmu_lock the current task takes: from its
 * ioctl context when it works for that VM, else (an MMU notifier, another
 * VMM thread) by the kvm's address.  false: not a VM splittop tracks. */
static __always_inline bool lock_vm(__u64 kvm, struct task_ctx *tc, __u32 *idx)
{
	__u32 *pidx;

	if (tc && tc->kvm == kvm && tc->idx != ST_NO_SLOT) {
		*idx = tc->idx;
		return true;
	}
	pidx = bpf_map_lookup_elem(&vm_index, &kvm);
	if (!pidx)
		return false;
	*idx = *pidx;
	return true;
}

/* The vCPU's count of faults taken, bumped before its fault takes mmu_lock. */
static __always_inline __u64 vcpu_pf_seq(__u64 vcpu_ptr)
{
	struct kvm_vcpu *v = (void *)vcpu_ptr;

	if (!vcpu_ptr)
		return NO_PF_SEQ;
	if (!bpf_core_field_exists(v->stat.pf_taken))
		return 0;	/* older kernels: paired by task alone */
	return BPF_CORE_READ(v, stat.pf_taken);
}

/* *p = max(*p, v) where several CPUs may write *p. */
static __always_inline void max_shared(__u64 *p, __u64 v)
{
	__u64 old = *p, seen;
	int i;

	for (i = 0; i < 4 && v > old; i++) {
		seen = __sync_val_compare_and_swap(p, old, v);
		if (seen == old)
			break;
		old = seen;
	}
}

/* The interval's longest wait, in the slot of the current epoch. */
static __always_inline void wait_max(struct lock_max *m, __u64 d, bool shared)
{
	__u64 e = epoch;
	__u32 slot = e & 1;

	if (!shared) {
		if (m->lock_wait_max_epoch[slot] != e) {
			m->lock_wait_max_epoch[slot] = e;
			m->lock_wait_max_ns[slot] = d;
		} else if (d > m->lock_wait_max_ns[slot]) {
			m->lock_wait_max_ns[slot] = d;
		}
		return;
	}
	if (m->lock_wait_max_epoch[slot] != e) {
		__u64 old = m->lock_wait_max_epoch[slot];

		/* Whoever moves the slot to this epoch resets its value. */
		if (__sync_val_compare_and_swap(&m->lock_wait_max_epoch[slot], old, e) == old)
			m->lock_wait_max_ns[slot] = 0;
	}
	max_shared(&m->lock_wait_max_ns[slot], d);
}

/* One timed wait of length d, standing for w waits (see wait_sample): a
 * vCPU's into its own slot, any other into the VM's.  --exact-waits times
 * each wait once (w 1) and adds what the sampling would have made of it. */
static __always_inline void account_wait(struct lock_pending *lp, __u64 d, __u64 w, __u64 sampled)
{
	__u32 mode = lp->mode & 1;	/* MMU_LOCK_READ or MMU_LOCK_WRITE, bounded */
	__u32 b = log2_bucket(d) & (ST_HIST_BUCKETS - 1);
	struct vcpu_stats *vs;
	struct vm_stats *st;

	vs = bpf_map_lookup_elem(&vcpu_stats, &lp->vslot);
	if (vs) {
		vs->hot.lock_wait_ns[mode] += d * w;
		vs->hot.lock_wait_hist[b] += w;
		vs->hot.wait_sampled_ns += sampled;
		wait_max(&vs->max, d, false);
		return;
	}
	st = vm_counters(lp->idx);
	if (!st)
		return;
	__sync_fetch_and_add(&st->lock_wait_ns[mode], d * w);
	__sync_fetch_and_add(&st->lock_wait_hist[b], w);
	if (sampled)
		__sync_fetch_and_add(&st->wait_sampled_ns, sampled);
	wait_max(&st->max, d, true);
}

/* How many waits the n-th wait of a vCPU stands for if it is timed: its
 * first wait_sample waits one each, then every wait_sample-th wait_sample
 * (0: not timed).  Every vCPU's timed waits then never exceed its waits,
 * and a VM's estimate is the sum of its vCPUs'. */
static __always_inline __u32 wait_weight(__u64 n)
{
	__u32 k = wait_sample;

	if (k <= 1 || n <= k)
		return 1;
	return n % k ? 0 : k;
}

/* Runs before the waiter queues: its cost is spent waiting anyway. */
static __always_inline int contention_begin(void *lock, unsigned int flags)
{
	struct task_struct *task;
	struct vcpu_stats *vs;
	struct lock_pending *lp;
	struct cpu_state *cs;
	struct task_ctx *tc;
	struct vm_stats *st;
	__u32 idx, zero = 0, mode, vslot, weight = 1;
	bool vcpu;
	__u64 kvm;

	/* mmu_lock is an rwlock (x86): its slow paths say READ or WRITE.  This
	 * drops spinlocks and mutexes, and the rwlock's own queue spinlock. */
	if (!(flags & (LCB_F_READ | LCB_F_WRITE)))
		return 0;
	kvm = (__u64)lock - bpf_core_field_offset(struct kvm, mmu_lock);
	task = bpf_get_current_task_btf();
	tc = bpf_task_storage_get(&task_ctx_map, task, 0, 0);
	if (!lock_vm(kvm, tc, &idx))
		return 0;
	mode = flags & LCB_F_WRITE ? MMU_LOCK_WRITE : MMU_LOCK_READ;
	vcpu = tc && tc->kind == KIND_RUN && tc->kvm == kvm;
	vslot = vcpu ? tc->vslot : ST_NO_SLOT;
	/* Every wait is counted here, timed or not: a vCPU's in its own slot. */
	vs = bpf_map_lookup_elem(&vcpu_stats, &vslot);
	if (vs) {
		vs->hot.lock_waits[mode]++;
		weight = wait_weight(vs->hot.lock_waits[MMU_LOCK_READ] + vs->hot.lock_waits[MMU_LOCK_WRITE]);
	} else if ((st = vm_counters(idx))) {
		__sync_fetch_and_add(&st->lock_waits[mode], 1);
	}
	/* Without contention_end only a vCPU's fault ends a wait: another
	 * thread's is counted, and left pending nowhere. */
	if (!vcpu && !exact_waits)
		weight = 0;
	cs = bpf_map_lookup_elem(&cpu_state_map, &zero);
	if (!cs)
		return 0;
	lp = &cs->wait;
	/* Not sampled: its fault finds nothing to end (no clock read in the lock). */
	if (!weight && !exact_waits) {
		cs->fc.wait_pending = 0;
		lp->state = WAIT_NONE;
		return 0;
	}
	lp->weight = weight;
	lp->lock = (__u64)lock;
	lp->idx = idx;
	lp->mode = mode;
	lp->vslot = vs ? vslot : ST_NO_SLOT;
	lp->task = (__u64)task;
	lp->pf_seq = vcpu ? vcpu_pf_seq(tc->vcpu_ptr) : NO_PF_SEQ;
	lp->state = WAIT_WAITING;
	cs->fc.wait_pending = 1;
	lp->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* --exact-waits only: every wait timed where it ends, in the lock. */
static __always_inline int contention_end(void *lock)
{
	struct lock_pending *lp;
	struct cpu_state *cs;
	__u32 zero = 0;
	__u64 now;

	cs = bpf_map_lookup_elem(&cpu_state_map, &zero);
	if (!cs)
		return 0;
	lp = &cs->wait;
	if (lp->lock != (__u64)lock || lp->state != WAIT_WAITING)
		return 0;
	now = bpf_ktime_get_ns();
	account_wait(lp, now - lp->start_ns, 1, (now - lp->start_ns) * lp->weight);
	lp->end_ns = now;
	lp->state = WAIT_ENDED;	/* its fault, if any, measures the default mode's error */
	return 0;
}

/* The fault of the task on this CPU has taken mmu_lock and chosen its
 * mapping: end the wait it began for that lock, if any (see lock_pending). */
static __always_inline void end_wait_at_fault(struct fault_cache *c)
{
	struct lock_pending *lp = &((struct cpu_state *)c)->wait;
	struct vcpu_stats *vs;
	__u64 now;

	/* The fault path's usual case, read from the cache's own line. */
	if (!c->wait_pending)
		return;
	/* c->task is the current task: vcpu_cache() just checked it. */
	if (lp->state == WAIT_NONE || lp->task != c->task)
		return;
	if (lp->pf_seq == vcpu_pf_seq(c->vcpu_ptr)) {
		now = bpf_ktime_get_ns();
		if (lp->state == WAIT_WAITING) {
			account_wait(lp, now - lp->start_ns, lp->weight, 0);
		} else if ((vs = bpf_map_lookup_elem(&vcpu_stats, &lp->vslot))) {
			vs->hot.wait_end_to_fault_ns += now - lp->end_ns;
			vs->hot.wait_end_to_fault_count++;
		}
	}
	c->wait_pending = 0;
	lp->state = WAIT_NONE;
}

/* The perf events first: their programs run with preemption off.  This one
 * runs for every contended lock of the host, sleeping ones too (rwsems, in
 * preemptible code): a BTF tracepoint's program preempted there, on a
 * kernel that preempts tracing programs, keeps itself from running for an
 * mmu_lock wait on that CPU. */
SEC("tracepoint/lock/contention_begin")
int on_contention_begin_tp(struct trace_event_raw_contention_begin *ctx)
{
	return contention_begin(ctx->lock_addr, ctx->flags);
}

SEC("tracepoint/lock/contention_end")
int on_contention_end_tp(struct trace_event_raw_contention_end *ctx)
{
	return contention_end(ctx->lock_addr);
}

SEC("tp_btf/contention_begin")
int BPF_PROG(on_contention_begin, void *lock, unsigned int flags)
{
	return contention_begin(lock, flags);
}

SEC("tp_btf/contention_end")
int BPF_PROG(on_contention_end, void *lock, int ret)
{
	return contention_end(lock);
}

/* Raw twins, for kernels (or a user) that cannot use tp_btf. */
SEC("raw_tp/contention_begin")
int BPF_PROG(on_contention_begin_raw, void *lock, unsigned int flags)
{
	return contention_begin(lock, flags);
}

SEC("raw_tp/contention_end")
int BPF_PROG(on_contention_end_raw, void *lock, int ret)
{
	return contention_end(lock);
}

/* ---- function probes: mmu_lock hold time, page fault latency ------------- */

/*
 * Only where the kernel allows fentry/fexit (a stock kernel; not the
 * development machine's).  A hold starts when _raw_{read,write}_lock
 * returns with the lock taken and ends at the unlock: every rwlock of the
 * host passes here, so the filter (is it a tracked VM's mmu_lock?) comes
 * first.  Read holds are per holder: concurrent readers each add theirs.
 */
static __always_inline int holder_of(__u32 kind)
{
	switch (kind) {
	case KIND_RUN:
		return HOLDER_FAULT;
	case KIND_MEMSLOT:
		return HOLDER_MEMSLOT;
	case KIND_GET:
	case KIND_CLEAR:
	case KIND_RESET:
		return HOLDER_DIRTY_LOG;
	default:
		return HOLDER_OTHER;
	}
}

static __always_inline int hold_begin(void *lock, int mode)
{
	__u64 kvm = (__u64)lock - bpf_core_field_offset(struct kvm, mmu_lock);
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_ctx *tc;
	__u32 idx;
	int holder;

	tc = bpf_task_storage_get(&task_ctx_map, task, 0, 0);
	if (tc && tc->kvm == kvm && tc->idx != ST_NO_SLOT) {
		idx = tc->idx;
		holder = holder_of(tc->kind);
		tc->hold_vslot = holder == HOLDER_FAULT ? tc->vslot : ST_NO_SLOT;
	} else {
		if (!lock_vm(kvm, NULL, &idx))
			return 0;
		holder = HOLDER_OTHER;
		tc = bpf_task_storage_get(&task_ctx_map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!tc) {
			SELF_INC(task_storage_fail);
			return 0;
		}
		tc->hold_vslot = ST_NO_SLOT;
	}
	tc->hold_lock = (__u64)lock;
	tc->hold_idx = idx;
	tc->hold_mode = mode;
	tc->hold_holder = holder;
	tc->hold_start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int hold_end(void *lock)
{
	struct vcpu_stats *vs;
	struct task_ctx *tc;
	struct vm_stats *st;
	__u32 mode, holder, b;
	__u64 d;

	tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	if (!tc || tc->hold_lock != (__u64)lock)
		return 0;
	tc->hold_lock = 0;
	d = bpf_ktime_get_ns() - tc->hold_start_ns;
	mode = tc->hold_mode & 1;
	holder = tc->hold_holder & 3;
	b = log2_bucket(d) & (ST_HIST_BUCKETS - 1);
	/* Still under the lock (fentry of the unlock): a fault's hold goes to
	 * its vCPU's own slot, no locked instruction. */
	vs = bpf_map_lookup_elem(&vcpu_stats, &tc->hold_vslot);
	if (vs) {
		vs->hot.hold_count[mode][holder]++;
		vs->hot.hold_ns[mode][holder] += d;
		vs->hot.hold_hist[mode][b]++;
		if (d > vs->max.hold_max_ns[mode])
			vs->max.hold_max_ns[mode] = d;
		return 0;
	}
	st = vm_counters(tc->hold_idx);
	if (!st)
		return 0;
	__sync_fetch_and_add(&st->hold_count[mode][holder], 1);
	__sync_fetch_and_add(&st->hold_ns[mode][holder], d);
	__sync_fetch_and_add(&st->hold_hist[mode][b], 1);
	max_shared(&st->max.hold_max_ns[mode], d);
	return 0;
}

SEC("fexit/_raw_read_lock")
int BPF_PROG(on_read_locked, rwlock_t *lock)
{
	return hold_begin(lock, MMU_LOCK_READ);
}

SEC("fexit/_raw_write_lock")
int BPF_PROG(on_write_locked, rwlock_t *lock)
{
	return hold_begin(lock, MMU_LOCK_WRITE);
}

SEC("fentry/_raw_read_unlock")
int BPF_PROG(on_read_unlock, rwlock_t *lock)
{
	return hold_end(lock);
}

SEC("fentry/_raw_write_unlock")
int BPF_PROG(on_write_unlock, rwlock_t *lock)
{
	return hold_end(lock);
}

/* Page fault latency: KVM's whole handler, per vCPU.  A fault may sleep
 * and move to another CPU: its start lives in the task's context. */
static __always_inline int fault_begin(void)
{
	struct task_ctx *tc;

	tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	if (tc && tc->kind == KIND_RUN)
		tc->fault_start_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int fault_end(void)
{
	struct vcpu_stats *vs;
	struct vm_stats *st;
	struct task_ctx *tc;
	__u32 b;
	__u64 d;

	tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	if (!tc || !tc->fault_start_ns)
		return 0;
	d = bpf_ktime_get_ns() - tc->fault_start_ns;
	tc->fault_start_ns = 0;
	b = log2_bucket(d) & (ST_HIST_BUCKETS - 1);
	vs = tc->kind == KIND_RUN ? bpf_map_lookup_elem(&vcpu_stats, &tc->vslot) : NULL;
	if (vs) {
		vs->hot.fault_lat_hist[b]++;
		vs->hot.fault_lat_count++;
		vs->hot.fault_lat_ns += d;
		return 0;
	}
	st = vm_counters(tc->idx);
	if (!st)
		return 0;
	__sync_fetch_and_add(&st->fault_lat_hist[b], 1);
	__sync_fetch_and_add(&st->fault_lat_count, 1);
	__sync_fetch_and_add(&st->fault_lat_ns, d);
	return 0;
}

SEC("fentry/kvm_mmu_page_fault")
int BPF_PROG(on_fault_entry, struct kvm_vcpu *vcpu)
{
	return fault_begin();
}

SEC("fexit/kvm_mmu_page_fault")
int BPF_PROG(on_fault_exit, struct kvm_vcpu *vcpu)
{
	return fault_end();
}

SEC("kprobe/kvm_mmu_page_fault")
int BPF_KPROBE(on_fault_entry_kp)
{
	return fault_begin();
}

SEC("kretprobe/kvm_mmu_page_fault")
int BPF_KRETPROBE(on_fault_exit_kp)
{
	return fault_end();
}

/* ---- which MMU splits: function probes on the two eager split functions ---- */

/*
 * kvm_mmu_slot_try_split_huge_pages() and kvm_mmu_try_split_huge_pages()
 * run the shadow MMU's split (write lock) and then the TDP MMU's (read
 * lock), each of which traces every split it makes.  Which of the two a
 * task is in says which MMU split.  Where these probes are refused, the
 * columns are unavailable; the errno of a failed split still tells
 * (JSON's split_errno: -EAGAIN and -ENOSPC come only from the shadow MMU,
 * -EBUSY only from the TDP MMU).
 */
static __always_inline int split_mmu_enter(__u32 mmu)
{
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);

	/* Only tasks in a KVM ioctl splittop saw: no context, nothing to charge. */
	if (tc)
		tc->split_mmu = mmu + 1;
	return 0;
}

static __always_inline int split_mmu_exit(void)
{
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);

	if (tc)
		tc->split_mmu = 0;
	return 0;
}

SEC("fentry/kvm_shadow_mmu_try_split_huge_pages")
int BPF_PROG(on_shadow_split_entry)
{
	return split_mmu_enter(MMU_SHADOW);
}

SEC("fexit/kvm_shadow_mmu_try_split_huge_pages")
int BPF_PROG(on_shadow_split_exit)
{
	return split_mmu_exit();
}

SEC("fentry/kvm_tdp_mmu_try_split_huge_pages")
int BPF_PROG(on_tdp_split_entry)
{
	return split_mmu_enter(MMU_TDP);
}

SEC("fexit/kvm_tdp_mmu_try_split_huge_pages")
int BPF_PROG(on_tdp_split_exit)
{
	return split_mmu_exit();
}

SEC("kprobe/kvm_shadow_mmu_try_split_huge_pages")
int BPF_KPROBE(on_shadow_split_entry_kp)
{
	return split_mmu_enter(MMU_SHADOW);
}

SEC("kretprobe/kvm_shadow_mmu_try_split_huge_pages")
int BPF_KRETPROBE(on_shadow_split_exit_kp)
{
	return split_mmu_exit();
}

SEC("kprobe/kvm_tdp_mmu_try_split_huge_pages")
int BPF_KPROBE(on_tdp_split_entry_kp)
{
	return split_mmu_enter(MMU_TDP);
}

SEC("kretprobe/kvm_tdp_mmu_try_split_huge_pages")
int BPF_KRETPROBE(on_tdp_split_exit_kp)
{
	return split_mmu_exit();
}

/* ---- census: the VMs that exist, and KVM's own gauges ------------------------ */

SEC("iter/task_file")
int census(struct bpf_iter__task_file *it)
{
	struct seq_file *seq = it->meta->seq;
	struct task_struct *task = it->task;
	struct file *file = it->file;
	struct vm_census rec = {};
	int type;

	if (!task || !file)
		return 0;
	type = kvm_file_type(file);
	if (type == 2) {
		/* A vCPU: remember the thread that runs it (its latest KVM_RUN). */
		struct kvm_vcpu *vcpu = BPF_CORE_READ(file, private_data);
		struct vcpu_thread vt = { .kvm = (__u64)BPF_CORE_READ(vcpu, kvm), .vcpu_ptr = (__u64)vcpu,
					  .vcpu = BPF_CORE_READ(vcpu, vcpu_idx) };
		__u32 tid = BPF_CORE_READ(vcpu, pid, numbers[0].nr);

		if (tid)
			bpf_map_update_elem(&vcpu_threads, &tid, &vt, BPF_ANY);
		return 0;
	}
	if (type != 1)
		return 0;
	read_gauges(BPF_CORE_READ(file, private_data), &rec);
	rec.tgid = task->tgid;
	rec.fd = it->fd;
	/* VMs that were running before splittop started are registered here. */
	rec.idx = vm_register(rec.kvm, rec.tgid, 0);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
