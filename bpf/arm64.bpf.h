/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 KVM (issue #40): faults and splits from arm64's own events.
 * Part of bpf/splittop.bpf.c; builds for every arch, loads on arm64 alone
 * (the tracepoint and function below exist nowhere else).
 *
 * Faults: every stage-2 abort of a vCPU passes kvm_handle_guest_abort()'s
 * tracepoint kvm_guest_fault(pc, esr, far, ipa), once per abort and before
 * mmu_lock is taken: nothing per fault in the lock.  Its ESR says what the
 * fault is (arch/arm64/include/asm/esr.h):
 *   EC (bits 31:26): 0x24 a data abort from the guest, 0x20 an instruction one
 *   FSC (bits 5:0): type FSC & 0x3c, 0x04 translation (nothing mapped),
 *     0x08 access flag, 0x0c permission; FSC & 3 the level of the table
 *     entry that faulted (3: a 4 KiB page, 2: a 2 MiB block, 1: 1 GiB)
 *   WnR (bit 6): a write; S1PTW (bit 7): the guest's own table walk, a
 *     write where it is a permission fault (kvm_is_write_fault()).
 * So the classes, with no table read: a translation fault is non-present;
 * a write permission fault at level 3 a write to a write-protected 4 KiB
 * page, at level 1 or 2 one to a write-protected block (logging broke it:
 * user_mem_abort maps 4 KiB under an empty table, a demotion, and the
 * block's other pages take translation faults); anything else (access
 * flag, reads, fetches) other.  An abort KVM hands to the VMM as MMIO
 * (no memslot there, or a read-only one) fires kvm_mmio next, in the same
 * thread: it is taken back from its class and counted other.
 *
 * Splits: an eager split (kvm_mmu_split_huge_pages: only where the VMM set
 * KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE) makes one unlinked table per block,
 * kvm_pgtable_stage2_create_unlinked(pgt, phys, level, prot, mc,
 * force_pte), its only caller the split walker: one call, one split of the
 * block at level.  No tracepoint marks it: fexit, where the kernel allows
 * function probes.
 *
 * Fault latency: kvm_handle_guest_abort(), the whole handler of every
 * stage-2 abort (fentry/fexit, else a kprobe pair), as x86's
 * kvm_mmu_page_fault (bpf/probes.bpf.h).
 */
#pragma once

#define ARM64_EC_DABT_LOW	0x24
#define ARM64_EC_IABT_LOW	0x20
#define ARM64_FSC_TRANS		0x04
#define ARM64_FSC_PERM		0x0c
#define ARM64_ESR_WNR		(1UL << 6)
#define ARM64_ESR_S1PTW		(1UL << 7)

/* The fault class of an ESR, and the level of a write-protected block it
 * hit (x86's numbering: 2 for 2 MiB, 3 for 1 GiB), else 0. */
static __always_inline int arm64_fault_class(__u64 esr, int *block_level)
{
	__u32 ec = (esr >> 26) & 0x3f, fsc = esr & 0x3f, level = fsc & 3;
	bool write;

	*block_level = 0;
	if (ec != ARM64_EC_DABT_LOW && ec != ARM64_EC_IABT_LOW)
		return FAULT_OTHER;
	if ((fsc & 0x3c) == ARM64_FSC_TRANS)
		return FAULT_NONPRESENT;
	if ((fsc & 0x3c) != ARM64_FSC_PERM || ec == ARM64_EC_IABT_LOW)
		return FAULT_OTHER;
	write = (esr & ARM64_ESR_WNR) || (esr & ARM64_ESR_S1PTW);
	if (!write)
		return FAULT_OTHER;
	if (level == 3)
		return FAULT_4K_WP;
	*block_level = level == 2 ? 2 : 3;
	return FAULT_HUGE_WP;
}

static __always_inline int arm64_fault(__u64 esr)
{
	struct fault_cache *c = vcpu_cache(NULL);
	int cls, level;

	if (!c)
		return 0;
	cls = arm64_fault_class(esr, &level);
	/* Broken to 4 KiB (a demotion) only while the VM logs dirty pages:
	 * else KVM relaxes the block's permissions in place.  A kernel
	 * without kvm->nr_memslots_dirty_logging (before 6.2) cannot say:
	 * a write to a write-protected block is then taken as logging's. */
	if (level && c->vcpu_ptr) {
		struct kvm_vcpu *v = (struct kvm_vcpu *)c->vcpu_ptr;

		if (memslots_dirty((__u64)BPF_CORE_READ(v, kvm)) == 0)
			level = 0;
	}
	count_fault(c, cls, level);
	return 0;
}

SEC("tp_btf/kvm_guest_fault")
int BPF_PROG(on_guest_fault, unsigned long vcpu_pc, unsigned long esr, unsigned long far, unsigned long long ipa)
{
	return arm64_fault(esr);
}

/* The same handlers as raw tracepoints: where tp_btf is not offered, and
 * for the tests, which feed them synthetic ESRs on any host
 * (BPF_PROG_TEST_RUN: tests/bpf/test_bpf_handlers.c). */
SEC("raw_tp/kvm_guest_fault")
int BPF_PROG(on_guest_fault_raw, unsigned long vcpu_pc, unsigned long esr, unsigned long far, unsigned long long ipa)
{
	return arm64_fault(esr);
}

/* KVM_TRACE_MMIO_READ_UNSATISFIED and KVM_TRACE_MMIO_WRITE: io_mem_abort(),
 * in the abort just counted (KVM_TRACE_MMIO_READ is the VMM's answer, at
 * the next KVM_RUN: no abort of its own). */
#define KVM_TRACE_MMIO_READ_UNSATISFIED	0
#define KVM_TRACE_MMIO_WRITE		2

static __always_inline int arm64_mmio(int type)
{
	struct fault_cache *c;
	struct vcpu_stats *vs;

	if (type != KVM_TRACE_MMIO_READ_UNSATISFIED && type != KVM_TRACE_MMIO_WRITE)
		return 0;
	c = vcpu_cache(NULL);
	if (!c || c->fault_cls == FAULT_OTHER)
		return 0;
	vs = vcpu_counters(c);
	add_faults(vs, c->idx, c->fault_cls, -1, 0);
	add_faults(vs, c->idx, FAULT_OTHER, 1, 0);
	c->fault_cls = FAULT_OTHER;
	return 0;
}

SEC("tp_btf/kvm_mmio")
int BPF_PROG(on_guest_mmio, int type, int len, __u64 gpa, void *val)
{
	return arm64_mmio(type);
}

SEC("raw_tp/kvm_mmio")
int BPF_PROG(on_guest_mmio_raw, int type, int len, __u64 gpa, void *val)
{
	return arm64_mmio(type);
}

SEC("fexit/kvm_pgtable_stage2_create_unlinked")
int BPF_PROG(on_stage2_split, void *pgt, __u64 phys, __s8 level, int prot, void *mc, bool force_pte, void *ret)
{
	/* IS_ERR(ret): the split did not happen (-ENOMEM from the cache). */
	long err = (unsigned long)ret >= (unsigned long)-4095L ? (long)ret : 0;

	return account_split(level == 1 ? 3 : 2, (int)err);
}

SEC("fentry/kvm_handle_guest_abort")
int BPF_PROG(on_abort_entry, struct kvm_vcpu *vcpu)
{
	return fault_begin();
}

SEC("fexit/kvm_handle_guest_abort")
int BPF_PROG(on_abort_exit, struct kvm_vcpu *vcpu)
{
	return fault_end();
}

SEC("kprobe/kvm_handle_guest_abort")
int BPF_KPROBE(on_abort_entry_kp)
{
	return fault_begin();
}

SEC("kretprobe/kvm_handle_guest_abort")
int BPF_KRETPROBE(on_abort_exit_kp)
{
	return fault_end();
}
