/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page faults: the vCPU of a fault from this CPU's cache, each fault's class
 * (huge or 4 KiB write-protect, non-present, other), demotions, and the
 * faults KVM fixes on its fast path.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

/* Whether KVM's rmap for one level (1: 2 MiB, 2: 1 GiB), at rmap, of a
 * memslot from base holds a mapping of gfn now: a non-empty head.  The index
 * is bounded to 32 bits: the verifier refuses unbounded pointer math. */
static __always_inline bool rmap_holds(__u64 rmap, __u64 base, __u64 gfn, int level)
{
	__u64 head = 0;
	int shift = 9 * level;

	if (!rmap)
		return false;
	if (bpf_probe_read_kernel(&head, sizeof(head),
				  (void *)(rmap + (((gfn >> shift) - (base >> shift)) & 0xffffffffULL) * 8))) {
		SELF_INC(rmap_read_fail);
		return false;
	}
	return head;
}

/* Level (2: 2 MiB, 3: 1 GiB) of the huge mapping KVM has for gfn, or 0.
 * KVM keeps one rmap per level per memslot: a non-empty head at 2 MiB means
 * a 2 MiB SPTE maps this gfn right now.  The TDP MMU keeps no rmaps. */
static __always_inline int huge_level(struct kvm_memory_slot *slot, __u64 gfn)
{
	__u64 base = slot->base_gfn;

	if (rmap_holds((__u64)X86_SLOT_ARCH(slot)->rmap[1], base, gfn, 1))
		return 2;
	if (rmap_holds((__u64)X86_SLOT_ARCH(slot)->rmap[2], base, gfn, 2))
		return 3;
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

/* d faults of class cls (d may be -1: one taken back; and a demotion at
 * level, if any).  A vCPU's slot has one writer, its own thread (KVM runs a
 * vCPU in one thread at a time): plain adds, no locked instruction in the
 * fault. */
static __always_inline void add_faults(struct vcpu_stats *vs, __u32 idx, int cls, __s64 d, int demoted_level)
{
	struct vm_stats *st;

	if (vs) {
		vs->faults[cls & 3] += d;
		if (demoted_level)
			vs->demotions[(demoted_level - 2) & 1]++;
		return;
	}
	/* No slot of its own: the VM's entry, which other vCPUs share. */
	st = vm_counters(idx);
	if (!st)
		return;
	__sync_fetch_and_add(&st->faults_unslotted[cls & 3], d);
	if (demoted_level)
		__sync_fetch_and_add(&st->demotions_unslotted[(demoted_level - 2) & 1], 1);
}

static __always_inline void count_fault(struct fault_cache *c, int cls, int demoted_level)
{
	c->fault_cls = cls;
	add_faults(vcpu_counters(c), c->idx, cls, 1, demoted_level);
}

/* The latest fault, counted as a write fault on a 4K mapping, turned out to
 * be on a huge one (a TDP MMU, which keeps no rmaps to tell beforehand).  It
 * runs in that fault, under mmu_lock, so on the CPU whose cache counted it. */
static __always_inline void outside_reclass(int cls, int demoted_level);

static __always_inline void reclassify_huge(int level, bool demoted)
{
	struct fault_cache *c;
	struct vcpu_stats *vs;
	struct vm_stats *st;

	if (faults_outside) {
		outside_reclass(FAULT_HUGE_WP, demoted ? level : 0);
		return;
	}
	c = vcpu_cache(NULL);

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

#define SPTE_PRESENT	(1ULL << 11)	/* SPTE_MMU_PRESENT_MASK */
#define SPTE_LARGE	(1ULL << 7)	/* PT_PAGE_SIZE_MASK */
#define SPTE_WRITABLE	(1ULL << 1)	/* PT_WRITABLE_MASK (EPT's W is bit 1 too) */

/* A fault KVM fixed on its fast path, without its handler proper (a TDP
 * MMU making a write-protected mapping writable again): it fires no
 * spte_requested.  ret is fast_page_fault()'s; old_spte the leaf it found,
 * whose size bit tells a huge mapping from a 4K one: from 6.14, disabling
 * dirty logging rebuilds huge mappings in place, write-protected as their
 * children were, and the first write to each is fixed here, no split. */
static __always_inline int count_fast_fault(struct fault_cache *c, int ret, bool write, __u64 old_spte)
{
	int cls = FAULT_OTHER;

	if (ret == ret_pf_fixed && write)
		cls = old_spte & SPTE_LARGE ? FAULT_HUGE_WP : FAULT_4K_WP;
	if (faults_outside) {
		/* Counted where it began: only its class is known here. */
		outside_reclass(cls, 0);
		return 0;
	}
	if (!c) {
		SELF_INC(unattributed_faults);
		return 0;
	}
	count_fault(c, cls, 0);
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
	return count_fast_fault(vcpu_cache(NULL), ret, ctx->error_code & PFERR_WRITE, ctx->old_spte);
}

/* Typed arguments, no tracefs; where the kernel preempts the fast path,
 * its misses are counted (self.missed_events).  fault: see on_spte_requested. */
SEC("tp_btf/fast_page_fault")
int BPF_PROG(on_fast_page_fault, struct kvm_vcpu *vcpu, struct kvm_page_fault *fault, __u64 *sptep,
	     __u64 old_spte, int ret)
{
	if ((ret != ret_pf_fixed && ret != ret_pf_spurious) || !fault)
		return 0;
	return count_fast_fault(vcpu_cache(fault), ret, fault->write, old_spte);
}

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

/* TDP MMU only (it keeps no rmaps, so its faults are first counted as 4K
 * ones): a vCPU's fault that zaps a huge leaf to map 4K in its place
 * (kernels that do not split in the fault path) is a demotion; one that
 * makes a write-protected huge leaf writable in place (logging off, where
 * the fast path could not) wrote to a huge mapping, nothing demoted. */
SEC("tp_btf/kvm_tdp_mmu_spte_changed")
int BPF_PROG(on_tdp_spte_changed, int as_id, __u64 gfn, int level, __u64 old_spte, __u64 new_spte)
{
	const __u64 huge = SPTE_PRESENT | SPTE_LARGE;

	if (level < 2 || level > 3 || (old_spte & huge) != huge)
		return 0;
	if (!(new_spte & SPTE_PRESENT)) {
		if (in_kvm_run())
			reclassify_huge(level, true);
	} else if ((new_spte & huge) == huge && !(old_spte & SPTE_WRITABLE) && (new_spte & SPTE_WRITABLE)) {
		if (in_kvm_run())
			reclassify_huge(level, false);
	}
	return 0;
}
