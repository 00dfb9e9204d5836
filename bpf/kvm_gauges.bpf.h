/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM's own gauges of one VM (its page counts, memslots logging dirty
 * pages), read from struct kvm.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

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
	/* x86's census of its mappings (no other arch keeps one). */
	if (bpf_core_field_exists(X86_VM_STAT(kvm)->pages_4k)) {
		rec->pages[0] = BPF_CORE_READ(X86_VM_STAT(kvm), pages_4k.counter);
		rec->pages[1] = BPF_CORE_READ(X86_VM_STAT(kvm), pages_2m.counter);
		rec->pages[2] = BPF_CORE_READ(X86_VM_STAT(kvm), pages_1g.counter);
	}
	if (bpf_core_field_exists(X86_VM_ARCH(kvm)->indirect_shadow_pages))
		rec->indirect_sps = BPF_CORE_READ(X86_VM_ARCH(kvm), indirect_shadow_pages);

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
