/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which MMU splits eagerly (shadow or TDP): function probes on KVM's two
 * eager split functions.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

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
