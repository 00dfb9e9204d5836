/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm->mmu_lock contention: waits counted at contention_begin, a vCPU's
 * ended (and sampled) at its fault, or every one at contention_end.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

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
	if (!bpf_core_field_exists(X86_VCPU_STAT(v)->pf_taken))
		return 0;	/* older kernels: paired by task alone */
	return BPF_CORE_READ(X86_VCPU_STAT(v), pf_taken);
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

/* The distance to a vCPU's next timed wait: 1 to 2 * wait_sample - 1
 * waits, wait_sample on average. */
static __always_inline __u64 wait_gap(__u32 k)
{
	return 1 + bpf_get_prandom_u32() % (2 * k - 1);
}

/*
 * How many waits the n-th wait of vCPU vs stands for if it is timed (0: not
 * timed): its first wait_sample waits one each; after them, one at a random
 * distance from the previous timed wait stands for every wait since that
 * one.  At random, because a vCPU's waits can come in a pattern (vCPUs in
 * a convoy on few CPUs) that a fixed one-in-N meets in the same phase every
 * time: a fixed one in 16 was -27.8% to +8.7% off the exact time in the
 * bench, and two instances' figures for one run 33% apart in the soak.
 * The weights of a vCPU's timed waits add up to the waits up to the latest
 * timed one: never more than its waits; a VM's estimate is the sum of its
 * vCPUs'.  Runs at contention_begin, outside the lock.
 */
static __always_inline __u32 wait_weight(struct vcpu_stats *vs, __u64 n)
{
	__u32 k = wait_sample;
	__u64 w;

	if (k <= 1)
		return 1;
	if (n <= k) {
		vs->wait_last_timed = n;
		vs->wait_next_timed = n + wait_gap(k);
		return 1;
	}
	if (n < vs->wait_next_timed)
		return 0;
	w = n - vs->wait_last_timed;
	vs->wait_last_timed = n;
	vs->wait_next_timed = n + wait_gap(k);
	return w;
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
		weight = wait_weight(vs, vs->hot.lock_waits[MMU_LOCK_READ] + vs->hot.lock_waits[MMU_LOCK_WRITE]);
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
