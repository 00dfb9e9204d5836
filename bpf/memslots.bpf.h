/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading KVM's memslots from BPF (CO-RE). */
#ifndef SPLITTOP_MEMSLOTS_BPF_H
#define SPLITTOP_MEMSLOTS_BPF_H

#define MEMSLOT_ID_BUCKETS	128	/* kvm_memslots.id_hash: 1 << 7 */
#define MEMSLOT_BUCKET_MAX	16	/* memslots walked per bucket, for the verifier */

/*
 * KVM keeps two sets of memslot nodes and swaps them on each update (the
 * "memslot overhaul", 5.17): a memslot's id_node is an array of two
 * hlist_nodes and slots->node_idx says which one this set links.  Returns the
 * offset, from a struct kvm_memory_slot, of the node linked in slots.
 */
static __always_inline __u64 memslot_id_node_off(struct kvm_memslots *slots)
{
	int node = BPF_CORE_READ(slots, node_idx);

	return bpf_core_field_offset(struct kvm_memory_slot, id_node) +
	       (node & 1) * bpf_core_type_size(struct hlist_node);
}

/* The first node of bucket b of the id hash. */
static __always_inline struct hlist_node *memslot_bucket(struct kvm_memslots *slots, __u32 b)
{
	return BPF_CORE_READ(slots, id_hash[b & (MEMSLOT_ID_BUCKETS - 1)].first);
}

/* The memslot a node of the id hash belongs to. */
static __always_inline struct kvm_memory_slot *memslot_of(struct hlist_node *n, __u64 off)
{
	return (void *)n - off;
}

/* The bucket of memslot id: hash_min(id, 7), the kernel's hash_32. */
static __always_inline __u32 memslot_id_bucket(__u32 id)
{
	return (id * 0x61C88647u) >> 25;
}

/* Memslot id (as_id << 16 | slot) as KVM has it now, or NULL: a walk of
 * its bucket of the id hash. */
static __always_inline struct kvm_memory_slot *memslot_find(__u64 kvm, __u32 id)
{
	struct kvm_memslots *slots;
	struct hlist_node *n;
	__u64 off;
	int i;

	slots = BPF_CORE_READ((struct kvm *)kvm, memslots[(id >> 16) & 1]);
	if (!slots)
		return NULL;
	off = memslot_id_node_off(slots);
	id &= 0xffff;
	n = memslot_bucket(slots, memslot_id_bucket(id));
	for (i = 0; i < MEMSLOT_BUCKET_MAX && n; i++) {
		struct kvm_memory_slot *ms = memslot_of(n, off);

		if ((__u32)BPF_CORE_READ(ms, id) == id)
			return ms;
		n = BPF_CORE_READ(n, next);
	}
	return NULL;
}

#define MEMSLOT_TREE_DEPTH	32	/* a red-black tree of 32K memslots is at most 30 deep */

/* The memslot of address space 0 that holds gfn, or NULL: KVM's own search
 * (search_memslots) of the set's tree by gfn (5.17 on; NULL before). */
static __always_inline struct kvm_memory_slot *memslot_by_gfn(struct kvm *kvm, __u64 gfn)
{
	struct kvm_memslots *slots = BPF_CORE_READ(kvm, memslots[0]);
	struct rb_node *n;
	__u64 off;
	int i;

	if (!slots || !bpf_core_field_exists(slots->gfn_tree))
		return NULL;
	off = bpf_core_field_offset(struct kvm_memory_slot, gfn_node) +
	      (BPF_CORE_READ(slots, node_idx) & 1) * bpf_core_type_size(struct rb_node);
	n = BPF_CORE_READ(slots, gfn_tree.rb_node);
	for (i = 0; i < MEMSLOT_TREE_DEPTH && n; i++) {
		struct kvm_memory_slot *ms = (void *)n - off;
		__u64 base = BPF_CORE_READ(ms, base_gfn);

		if (gfn < base)
			n = BPF_CORE_READ(n, rb_left);
		else if (gfn - base < BPF_CORE_READ(ms, npages))
			return ms;
		else
			n = BPF_CORE_READ(n, rb_right);
	}
	return NULL;
}

/* kvm->nr_memslots_dirty_logging, or -1 where the kernel has no such
 * counter (x86 since the eager page splitting work, 6.2). */
static __always_inline int memslots_dirty(__u64 kvm)
{
	struct kvm *k = (struct kvm *)kvm;

	if (!bpf_core_field_exists(k->nr_memslots_dirty_logging))
		return -1;
	return BPF_CORE_READ(k, nr_memslots_dirty_logging.counter);
}

#endif
