/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Huge page splits: by size, eager or in a vCPU's fault, and failed ones by
 * errno.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

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

/* Intel PML: a vCPU's page-modification log filled (handle_pml_full()),
 * in the vCPU's thread, in KVM_RUN; one per 512 logged writes at most. */
SEC("tp_btf/kvm_pml_full")
int BPF_PROG(on_pml_full, unsigned int vcpu_id)
{
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	struct vcpu_stats *vs;
	struct vm_stats *st;

	if (!tc || tc->kind != KIND_RUN || tc->idx == ST_NO_SLOT)
		return 0;
	vs = bpf_map_lookup_elem(&vcpu_stats, &tc->vslot);
	if (vs) {
		vs->hot.pml_full++;
		return 0;
	}
	st = vm_counters(tc->idx);
	if (st)
		__sync_fetch_and_add(&st->pml_full, 1);
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
