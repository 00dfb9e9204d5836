/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Function probes, where the kernel allows them: mmu_lock hold time by
 * holder, page fault latency.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

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
