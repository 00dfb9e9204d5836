/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Faults counted outside mmu_lock: the default (issue #39).
 *
 * A fault is counted where it begins, before KVM takes mmu_lock, and classed
 * by its error code: not present, a write to a present mapping
 * (write-protect), other.  A shadow-paging vCPU's fault begins with a walk
 * of the guest's page tables (kvm_mmu_pagetable_walk: the only per-fault
 * event outside the lock on a host with tracepoints alone); a TDP MMU's
 * enters kvm_mmu_page_fault (a kprobe, else fentry).  A write-protect fault
 * is counted as one on a 4 KiB mapping while nothing says otherwise.
 * Whether KVM then handled it (fixed, spurious, an MMIO SPTE made: what the
 * in-lock source counts) or gave it up (retried, emulated, a #PF injected
 * into the guest) KVM's own per-vCPU counters tell at the thread's next
 * fault or at the edge of its KVM_RUN: one given up is taken back.
 *
 * Huge or 4 KiB: a write fault that replaces a huge mapping makes a table
 * under it (kvm_mmu_get_page, in the lock but once per huge mapping, not per
 * fault), and the fast path's own event names the mapping it made writable.
 * A write-protected huge mapping a fault makes writable in place (outside
 * dirty logging) is still in KVM's rmap when the fault is settled.
 *
 * The fault in flight is the thread's (task_ctx): a vCPU without a slot is
 * settled as exactly as one with.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

#define SHADOW_HUGE_LEVELS	2	/* rmap levels above 4 KiB: 2 MiB, 1 GiB */
#define ROLE_LEVEL_MASK		0xfU		/* union kvm_mmu_page_role: level:4 */
#define ROLE_DIRECT		(1U << 7)	/* after has_4_byte_gpte:1, quadrant:2 */
#define GPTE_PS			(1ULL << 7)	/* a guest PDE/PDPTE that maps a large page */
#define GPTE_ADDR		0x000ffffffffff000ULL	/* PT64_BASE_ADDR_MASK */

/* KVM's count of the vCPU's faults it handled, as the in-lock source counts
 * faults: fixed, spurious, or an MMIO SPTE made. */
static __always_inline __u64 vcpu_handled(struct kvm_vcpu *v)
{
	__u64 n = BPF_CORE_READ(X86_VCPU_STAT(v), pf_fixed) + BPF_CORE_READ(X86_VCPU_STAT(v), pf_spurious);

	if (bpf_core_field_exists(X86_VCPU_STAT(v)->pf_mmio_spte_created))
		n += BPF_CORE_READ(X86_VCPU_STAT(v), pf_mmio_spte_created);
	return n;
}

/* d faults of class cls where tc counts its faults (see add_faults). */
static __always_inline void walk_add(struct task_ctx *tc, int cls, __s64 d, int demoted_level)
{
	add_faults(bpf_map_lookup_elem(&vcpu_stats, &tc->walk_vslot), tc->walk_idx, cls, d, demoted_level);
}

/* The fault in flight is of class cls after all (and demoted a mapping at
 * demoted_level, if not 0). */
static __always_inline void walk_reclass(struct task_ctx *tc, int cls, int demoted_level)
{
	if (!tc->walk_cls)
		return;
	if (tc->walk_cls != (__u32)cls + 1) {
		walk_add(tc, tc->walk_cls - 1, -1, 0);
		walk_add(tc, cls, 1, demoted_level);
	} else if (demoted_level) {
		walk_add(tc, cls, 0, demoted_level);
	}
	tc->walk_cls = cls + 1;
}

/* Whether KVM's rmap holds a 2 MiB or 1 GiB mapping of gfn now. */
static __always_inline bool walk_huge_mapped(struct kvm_vcpu *v, __u64 gfn)
{
	struct kvm_memory_slot *slot = memslot_by_gfn(BPF_CORE_READ(v, kvm), gfn);
	__u64 base;

	if (!slot)
		return false;
	base = BPF_CORE_READ(slot, base_gfn);
	return rmap_holds((__u64)BPF_CORE_READ(X86_SLOT_ARCH(slot), rmap[1]), base, gfn, 1) ||
	       rmap_holds((__u64)BPF_CORE_READ(X86_SLOT_ARCH(slot), rmap[2]), base, gfn, 2);
}

#define SPTE_PRESENT_BIT	(1ULL << 11)	/* SPTE_MMU_PRESENT_MASK */
#define SPTE_LARGE_BIT		(1ULL << 7)	/* PT_PAGE_SIZE_MASK */
#define SPTE_WRITABLE_BIT	(1ULL << 1)	/* PT_WRITABLE_MASK, VMX_EPT_WRITABLE_MASK */
#define DIRECT_MAP_BASE		0xffff888000000000ULL	/* without KASLR, 4 levels */

/* The direct map's base, where KASLR moved it (a symbol only then); AMD
 * SME's C-bit, which KVM sets in every table entry it makes (a symbol where
 * the kernel supports SME). */
extern const void page_offset_base __ksym __weak;
extern const void sme_me_mask __ksym __weak;

/* The present huge leaf (2 MiB or 1 GiB) that maps gfn in v's TDP MMU
 * tables now, else 0.  Read outside the lock, as KVM's own lockless walks
 * read them (a TDP MMU table is freed only after an RCU grace period).  L1's
 * own TDP MMU only: a nested guest's faults run on a shadow MMU whose
 * tables are indexed by L2's addresses and freed without waiting.  Per
 * write fault on a present mapping on the TDP MMU: the MMU's root and role,
 * the two symbols, and one read per level from the root to 2 MiB; the cost
 * of making it exact where no event names a huge mapping made writable in
 * place (6.1's slow path).  A failed read is counted (rmap_read_fail): a
 * direct map not where the symbol said. */
static __always_inline __u64 tdp_huge_leaf(struct kvm_vcpu *v, __u64 gfn)
{
	struct kvm_mmu *mmu = BPF_CORE_READ(X86_VCPU_ARCH(v), mmu);
	__u64 table, base = DIRECT_MAP_BASE, addr = GPTE_ADDR, me = 0, spte = 0;
	__u32 role;
	int level, i;

	if (!mmu || mmu != __builtin_preserve_access_index(&X86_VCPU_ARCH(v)->root_mmu))
		return 0;
	role = BPF_CORE_READ(mmu, root_role.word);
	if (!(role & ROLE_DIRECT))
		return 0;
	table = BPF_CORE_READ(mmu, root.hpa);
	if (!table || table == ~0ULL)
		return 0;	/* INVALID_PAGE: the roots freed, one is made at the next entry */
	level = role & ROLE_LEVEL_MASK;
	if (&page_offset_base)
		bpf_probe_read_kernel(&base, sizeof(base), &page_offset_base);
	if (&sme_me_mask && !bpf_probe_read_kernel(&me, sizeof(me), &sme_me_mask))
		addr &= ~me;
	for (i = 0; i < 4; i++) {	/* a bounded loop: at most 5 levels, the root's not a leaf */
		if (level < 2)
			return 0;
		if (bpf_probe_read_kernel(&spte, sizeof(spte),
					  (void *)(base + (table & addr) + ((gfn >> (9 * (level - 1))) & 511) * 8))) {
			SELF_INC(rmap_read_fail);
			return 0;
		}
		if (!(spte & SPTE_PRESENT_BIT))
			return 0;
		if (spte & SPTE_LARGE_BIT)
			return level <= 3 ? spte : 0;
		table = spte;
		level--;
	}
	return 0;
}

/* The thread's fault in flight, if any, is over: kept if KVM's handled
 * count moved, else taken back.  A write fault on a present mapping that
 * replaced no huge mapping and leaves one at its gfn was on that huge
 * mapping, made writable in place.  Faults KVM handled that nothing
 * announced are counted as other, so that the total is KVM's own. */
static __always_inline void walk_settle(struct task_ctx *tc, struct kvm_vcpu *v)
{
	__u64 now = vcpu_handled(v), d = now - tc->walk_handled;

	if (tc->walk_cls) {
		if (!d) {
			walk_add(tc, tc->walk_cls - 1, -1, 0);
		} else {
			d--;
			if (tc->walk_cls == FAULT_4K_WP + 1 && tc->walk_gfn != ~0ULL &&
			    (tc->walk_tdp ? tdp_huge_leaf(v, tc->walk_gfn) & SPTE_WRITABLE_BIT :
			     walk_huge_mapped(v, tc->walk_gfn)))
				walk_reclass(tc, FAULT_HUGE_WP, 0);
		}
		tc->walk_cls = 0;
	}
	if (d)
		walk_add(tc, FAULT_OTHER, d, 0);
	tc->walk_handled = now;
}

/* The thread starts following vCPU v: nothing in flight. */
static __always_inline void walk_follow(struct task_ctx *tc, struct kvm_vcpu *v)
{
	tc->walk_vcpu = (__u64)v;
	tc->walk_cls = 0;
	tc->walk_taken = BPF_CORE_READ(X86_VCPU_STAT(v), pf_taken);
	tc->walk_handled = vcpu_handled(v);
}

/* A vCPU's KVM_RUN begins or ends: its fault in flight is over. */
static __always_inline void walk_run_edge(struct task_ctx *tc)
{
	struct kvm_vcpu *v = (void *)tc->vcpu_ptr;

	/* x86's counters settle a fault; arm64's source counts each abort. */
	if (!faults_outside || !v || !bpf_core_field_exists(X86_VCPU_STAT(v)->pf_taken))
		return;
	if (tc->walk_vcpu != (__u64)v)
		walk_follow(tc, v);
	else
		walk_settle(tc, v);
}

/* KVM_RUN returns to the VMM: the vCPU's last fault is over (with kprobes
 * on KVM's ioctls, the only sign of it: they have no return probe for
 * KVM_RUN).  Per exit to user space, not per fault.  The perf event: it
 * fires where the kernel may preempt, and a BTF tracepoint's program
 * preempted there keeps another vCPU's from running on that CPU (seen with
 * 128 vCPUs on 7.3); a perf event's program runs with preemption off. */
SEC("tracepoint/kvm/kvm_userspace_exit")
int on_run_exit(void *ctx)
{
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);

	if (tc && tc->walk_vcpu && tc->walk_cls)
		walk_settle(tc, (struct kvm_vcpu *)tc->walk_vcpu);
	return 0;
}

/* A fault begins (error code pferr, KVM's format): the one before it is
 * settled, and it is counted.  walk: the shadow MMU's walk, which KVM's
 * emulator makes too, with no fault taken. */
static __always_inline int fault_start(struct kvm_vcpu *v, __u64 pferr, __u64 addr, bool walk)
{
	struct fault_cache *c = vcpu_cache(NULL);
	struct task_ctx *tc;
	__u64 taken;
	int cls;

	if (!c || !c->vcpu_ptr || (v && (__u64)v != c->vcpu_ptr))
		return 0;	/* not a vCPU splittop knows: nothing to pair its faults with */
	tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	if (!tc)
		return 0;
	v = (void *)c->vcpu_ptr;
	taken = BPF_CORE_READ(X86_VCPU_STAT(v), pf_taken);
	if (tc->walk_vcpu != (__u64)v) {
		walk_follow(tc, v);
	} else {
		/* KVM counts a fault taken before its walk; the emulator's walks
		 * (of an instruction, or of a fault KVM chose to emulate) move
		 * nothing: they settle the fault before them, if any. */
		if (walk && taken == tc->walk_taken) {
			if (tc->walk_cls)
				walk_settle(tc, v);
			return 0;
		}
		walk_settle(tc, v);
	}
	if (!(pferr & PFERR_PRESENT))
		cls = FAULT_NONPRESENT;
	else if (pferr & PFERR_WRITE)
		cls = FAULT_4K_WP;
	else
		cls = FAULT_OTHER;
	tc->walk_taken = taken;
	tc->walk_addr = addr;
	tc->walk_gfn = ~0ULL;
	tc->walk_tdp = !walk;
	/* The TDP MMU's entry has the guest frame: a write fault that finds a
	 * write-protected huge leaf there was on it if KVM keeps it, writable
	 * now (made writable in place), until the fault is settled. */
	if (!walk && cls == FAULT_4K_WP) {
		__u64 leaf = tdp_huge_leaf(v, addr >> 12);

		if (leaf && !(leaf & SPTE_WRITABLE_BIT))
			tc->walk_gfn = addr >> 12;
	}
	tc->walk_vslot = c->vslot;
	tc->walk_idx = c->idx;
	tc->walk_cls = cls + 1;
	walk_add(tc, cls, 1, 0);
	return 0;
}

SEC("tp_btf/kvm_mmu_pagetable_walk")
int BPF_PROG(on_fault_walk, __u64 addr, __u32 pferr)
{
	return fault_start(NULL, pferr, addr, true);
}

/* A level of a write fault's walk: the leaf (a 4 KiB PTE, or a PDE or PDPTE
 * that maps a large page) gives its guest frame, for walk_settle. */
SEC("tp_btf/kvm_mmu_paging_element")
int BPF_PROG(on_walk_element, __u64 pte, int level)
{
	struct task_ctx *tc;
	__u64 span;

	if (level > 1 && !(pte & GPTE_PS))
		return 0;
	tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	if (!tc || tc->walk_cls != FAULT_4K_WP + 1)
		return 0;
	/* A large page's frame number: its base (bits below the level's
	 * alignment hold PAT) plus the address's offset in it. */
	span = level > 1 ? (1ULL << (9 * (level - 1) + 12)) - 1 : 0xfffULL;
	tc->walk_gfn = ((pte & GPTE_ADDR & ~span) | (tc->walk_addr & span)) >> 12;
	return 0;
}

/* The TDP MMU's faults (and a nested guest's): kvm_mmu_page_fault, whose
 * error code is KVM's own on either vendor.  A kprobe first: its program is
 * never preempted, where an fentry program preempted on one vCPU's fault
 * keeps another's on that CPU from being seen. */
SEC("kprobe/kvm_mmu_page_fault")
int BPF_KPROBE(on_fault_enter_kp, struct kvm_vcpu *vcpu, __u64 gpa, __u64 error_code)
{
	return fault_start(vcpu, error_code, gpa, false);
}

SEC("fentry/kvm_mmu_page_fault")
int BPF_PROG(on_fault_enter, struct kvm_vcpu *vcpu, __u64 gpa, __u64 error_code)
{
	return fault_start(vcpu, error_code, gpa, false);
}

/* Whether the TDP MMU's new table at sp replaces a huge leaf, and how: 0
 * not at all (its entry was empty), 1 split in place (the leaf is still
 * there: the split follows, kernels from 6.2), 2 demoted (a fault that
 * zapped the leaf first, 6.1; a present write fault finds no table under a
 * 4 KiB mapping to replace). */
static __always_inline int tdp_replaces(struct kvm_mmu_page *sp)
{
	__u64 *ptep = (__u64 *)BPF_CORE_READ(sp, ptep), old = 0;

	if (!ptep || bpf_probe_read_kernel(&old, sizeof(old), ptep)) {
		SELF_INC(rmap_read_fail);
		return 0;
	}
	return (old & (SPTE_PRESENT_BIT | SPTE_LARGE_BIT)) == (SPTE_PRESENT_BIT | SPTE_LARGE_BIT) ? 1 : 2;
}

/* Whether the shadow MMU's new direct table at level replaces a huge
 * mapping of gfn: KVM's rmap still holds it one level up (the table is
 * linked, and the huge SPTE dropped, right after this event).  The memslot:
 * the vCPU's last used one where it holds the gfn, else KVM's tree. */
static __always_inline bool shadow_replaces(struct kvm_vcpu *v, __u64 gfn, int level)
{
	struct kvm_memory_slot *slot;
	__u64 base;

	slot = BPF_CORE_READ(v, last_used_slot);
	base = slot ? BPF_CORE_READ(slot, base_gfn) : 0;
	if (!slot || gfn < base || gfn - base >= BPF_CORE_READ(slot, npages)) {
		/* The fault read guest page tables in another slot since. */
		slot = memslot_by_gfn(BPF_CORE_READ(v, kvm), gfn);
		if (!slot) {
			SELF_INC(rmap_read_fail);
			return false;
		}
		base = BPF_CORE_READ(slot, base_gfn);
	}
	return rmap_holds((__u64)BPF_CORE_READ(X86_SLOT_ARCH(slot), rmap[level & 3]), base, gfn, level);
}

/*
 * A table a fault makes (level 1: of 4 KiB entries, 2: of 2 MiB ones) that
 * maps guest memory directly: when it replaces a huge mapping in a write
 * fault on a present mapping, that fault was on the huge mapping, demoted
 * unless split in place.  Once per new table: rare, though in the lock.
 */
SEC("tp_btf/kvm_mmu_get_page")
int BPF_PROG(on_new_table, struct kvm_mmu_page *sp, bool created)
{
	struct task_ctx *tc;
	__u32 role;
	int level, how;

	if (!sp)
		return 0;
	/* The role's word, decoded by hand: libbpf's bitfield read of the
	 * union's anonymous struct gave 0 here (6.18).  level and direct have
	 * kept their bits since the role became a union (3.x). */
	role = BPF_CORE_READ(sp, role.word);
	level = role & ROLE_LEVEL_MASK;
	if (!(role & ROLE_DIRECT) || level < 1 || level > SHADOW_HUGE_LEVELS)
		return 0;
	tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);
	if (!tc || tc->walk_cls != FAULT_4K_WP + 1 || !tc->walk_vcpu)
		return 0;
	if (BPF_CORE_READ(sp, tdp_mmu_page))
		how = tdp_replaces(sp);
	else
		how = shadow_replaces((struct kvm_vcpu *)tc->walk_vcpu, BPF_CORE_READ(sp, gfn), level) ? 2 : 0;
	if (how)
		walk_reclass(tc, FAULT_HUGE_WP, how == 2 ? level + 1 : 0);
	return 0;
}

/* The in-lock source's reclassifications, where faults are counted here:
 * a split in the fault path (level), and the fast path's class. */
static __always_inline void outside_reclass(int cls, int demoted_level)
{
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx_map, bpf_get_current_task_btf(), 0, 0);

	if (!tc)
		return;
	if (cls == FAULT_HUGE_WP && tc->walk_cls != FAULT_4K_WP + 1)
		return;		/* a split reclassifies a 4 KiB write fault only */
	walk_reclass(tc, cls, demoted_level);
}
