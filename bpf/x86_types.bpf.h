/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 KVM's own types and fields, as splittop's x86 programs name them.
 *
 * One BPF source builds for every arch (issue #40): on x86 these names are
 * the kernel's types themselves (vmlinux/x86); elsewhere the types x86 alone
 * has are declared here, and the fields x86 adds to common structs (a
 * vCPU's pf_* counters, a memslot's rmaps, the VM's pages_* census) are read
 * through "___x86" flavors, which CO-RE matches to the kernel's own struct
 * by name.  The x86 programs are never loaded on another arch (their
 * tracepoints and functions do not exist there: the source table finds
 * none); what every arch loads checks with bpf_core_field_exists first.
 */
#ifndef SPLITTOP_X86_TYPES_BPF_H
#define SPLITTOP_X86_TYPES_BPF_H

#if defined(__TARGET_ARCH_x86)

#define X86_VCPU_STAT(v)	(&(v)->stat)
#define X86_VCPU_ARCH(v)	(&(v)->arch)
#define X86_SLOT_ARCH(s)	(&(s)->arch)
#define X86_VM_STAT(kvm)	(&(kvm)->stat)
#define X86_VM_ARCH(kvm)	(&(kvm)->arch)

#else

#define X86_VCPU_STAT(v)	((struct kvm_vcpu_stat___x86 *)&(v)->stat)
#define X86_VCPU_ARCH(v)	((struct kvm_vcpu_arch___x86 *)&(v)->arch)
#define X86_SLOT_ARCH(s)	((struct kvm_arch_memory_slot___x86 *)&(s)->arch)
#define X86_VM_STAT(kvm)	((struct kvm_vm_stat___x86 *)&(kvm)->stat)
#define X86_VM_ARCH(kvm)	((struct kvm_arch___x86 *)&(kvm)->arch)

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

union kvm_mmu_page_role {
	__u32 word;
};

struct kvm_mmu_root_info {
	__u64 pgd;
	__u64 hpa;
};

struct kvm_mmu {
	struct kvm_mmu_root_info root;
	union kvm_mmu_page_role root_role;
};

struct kvm_mmu_page {
	bool tdp_mmu_page;
	__u64 gfn;
	union kvm_mmu_page_role role;
	__u64 *ptep;
};

struct kvm_page_fault {
	__u64 gfn;
	bool present;
	bool write;
	__u8 goal_level;
	struct kvm_memory_slot *slot;
};

struct trace_event_raw_fast_page_fault {
	__u32 error_code;
	__u64 old_spte;
	int ret;
};

struct kvm_vcpu_stat___x86 {
	__u64 pf_taken;
	__u64 pf_fixed;
	__u64 pf_spurious;
	__u64 pf_mmio_spte_created;
};

struct kvm_vcpu_arch___x86 {
	struct kvm_mmu *mmu;
	struct kvm_mmu root_mmu;
};

struct kvm_arch_memory_slot___x86 {
	void *rmap[3];
};

struct kvm_vm_stat___x86 {
	atomic64_t pages_4k;
	atomic64_t pages_2m;
	atomic64_t pages_1g;
};

struct kvm_arch___x86 {
	unsigned int indirect_shadow_pages;
};

#pragma clang attribute pop

#endif

#endif
