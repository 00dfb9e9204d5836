/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM table: a slot per VM (vm_index, vm_slots, vm_stats), a slot per
 * vCPU (vcpu_stats), taken when a VM or vCPU is first seen and given back
 * when it is gone (reap_vm).
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

struct claim_ctx {
	__u64 kvm;
	__u32 tgid;
	__u32 idx;
};

static long claim_slot(__u64 i, struct claim_ctx *c)
{
	__u32 key = (__u32)i;
	struct vm_slot *s;

	if (key >= max_vms)
		return 1;
	s = bpf_map_lookup_elem(&vm_slots, &key);
	if (!s)
		return 1;
	if (s->kvm || __sync_val_compare_and_swap(&s->kvm, 0, c->kvm) != 0)
		return 0;
	s->seq = __sync_fetch_and_add(&next_seq, 1) + 1;
	s->tgid = c->tgid;
	s->dead = 0;
	s->reg_ns = bpf_ktime_get_ns();
	c->idx = key;
	return 1;
}

/* The VMM's argv, read from its own memory while it is current: the name
 * survives a VMM that exits before user space looks at /proc. */
static __always_inline void read_cmdline(struct vm_slot *s)
{
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u32 len = end > start ? end - start : 0;

	s->cmdline_len = 0;
	if (len >= ST_CMDLINE_LEN) {
		if (!bpf_probe_read_user(s->cmdline, ST_CMDLINE_LEN, (void *)start))
			s->cmdline_len = ST_CMDLINE_LEN;
		return;
	}
	/* Keep the mask in the object: it is the bound the verifier needs. */
	asm volatile("%0 &= 255" : "+r"(len));
	if (len && !bpf_probe_read_user(s->cmdline, len, (void *)start))
		s->cmdline_len = len;
}

static __noinline __u32 vm_register(__u64 kvm, __u32 tgid, int own_process)
{
	struct claim_ctx c = { .kvm = kvm, .tgid = tgid, .idx = ST_NO_SLOT };
	__u32 *idx = bpf_map_lookup_elem(&vm_index, &kvm);
	struct vm_slot *s;

	if (idx)
		return *idx;
	bpf_loop(ST_MAX_VMS_LIMIT, claim_slot, &c, 0);
	if (c.idx == ST_NO_SLOT) {
		__u8 one = 1;

		if (!bpf_map_update_elem(&untracked_vms, &kvm, &one, BPF_NOEXIST))
			SELF_INC(vm_table_full);
		return ST_NO_SLOT;
	}
	if (bpf_map_update_elem(&vm_index, &kvm, &c.idx, BPF_NOEXIST)) {
		/* Another CPU registered the same VM first: give ours back. */
		s = bpf_map_lookup_elem(&vm_slots, &c.idx);
		if (s)
			s->kvm = 0;
		idx = bpf_map_lookup_elem(&vm_index, &kvm);
		return idx ? *idx : ST_NO_SLOT;
	}
	s = bpf_map_lookup_elem(&vm_slots, &c.idx);
	if (s) {
		s->snap.kvm = 0;
		s->cmdline_len = 0;
		s->ptgid = 0;
		if (own_process) {
			struct task_struct *task = bpf_get_current_task_btf();

			read_cmdline(s);
			s->ptgid = BPF_CORE_READ(task, real_parent, tgid);
		}
		/* Last (no reordering on x86; the barrier keeps the compiler
		 * from it): user space reads a slot once it is live. */
		asm volatile("" ::: "memory");
		s->live = 1;
	}
	return c.idx;
}

/*
 * Giving a dead VM's slot back: run by user space (BPF_PROG_TEST_RUN, never
 * attached) rather than done with map syscalls of its own.  A map update
 * or delete from user space keeps every kprobe and perf-event program on
 * its CPU from running until it returns, and on a kernel that preempts
 * there it may be preempted in the middle: the faults, ioctls and waits of
 * that moment would be missed.  A test run holds its CPU and keeps nothing
 * else from running.  ctx[0]: the VM slot, whose vcpu_stats slots (those its
 * registration numbered, counters zeroed by user space) go back to the free
 * queue.
 */
struct reap_ctx {
	__u32 idx;
	__u64 seq;
	__u32 freed;
};

static long reap_vcpu_slot(__u64 i, struct reap_ctx *r)
{
	__u32 slot = (__u32)i;
	struct vcpu_stats *vs = bpf_map_lookup_elem(&vcpu_stats, &slot);
	__u64 key;

	if (!vs)
		return 1;	/* past max_vcpus */
	if (!vs->owner_seq || vs->owner_seq != r->seq || vs->owner_idx != r->idx)
		return 0;
	key = ((__u64)r->idx << 32) | vs->vcpu;
	bpf_map_delete_elem(&vcpu_index, &key);
	/* User space zeroed the counters, after their last read. */
	vs->owner_seq = 0;
	vs->owner_idx = 0;
	vs->vcpu = 0;
	if (!bpf_map_push_elem(&free_vcpu_slots, &slot, 0))
		r->freed++;
	return 0;
}

SEC("raw_tp")
int reap_vm(__u64 *ctx)
{
	struct reap_ctx r = { .idx = (__u32)ctx[0] };
	struct vm_slot *s = bpf_map_lookup_elem(&vm_slots, &r.idx);
	__u32 *cur;
	__u64 kvm;

	if (!s)
		return -1;
	kvm = s->kvm;
	r.seq = s->seq;
	bpf_loop(ST_MAX_VCPUS_LIMIT, reap_vcpu_slot, &r, 0);
	cur = bpf_map_lookup_elem(&vm_index, &kvm);
	if (cur && *cur == r.idx)
		bpf_map_delete_elem(&vm_index, &kvm);
	return r.freed;
}

/* A VM's own entry, for what no vCPU slot takes: its updates are atomic. */
static __always_inline struct vm_stats *vm_counters(__u32 idx)
{
	return bpf_map_lookup_elem(&vm_stats, &idx);
}

/* vslot_hi = max(vslot_hi, hi), against other CPUs raising it too. */
static __always_inline void vslot_hi_raise(__u64 hi)
{
	__u64 cur = vslot_hi;
	int i;

	for (i = 0; i < 8 && cur < hi; i++)
		cur = __sync_val_compare_and_swap(&vslot_hi, cur, hi);
}

/* The vcpu_stats slot of vCPU vcpu of the VM in slot idx: its own from its
 * first KVM_RUN on, taken from the free queue; ST_NO_SLOT when none is free
 * (counted once per vCPU; its counts then go to the VM's own entry). */
static __noinline __u32 vcpu_slot(__u32 idx, __u32 vcpu)
{
	__u64 key = ((__u64)idx << 32) | vcpu;
	struct vcpu_stats *vs;
	struct vm_slot *vm;
	__u32 *p, slot;
	__u8 one = 1;

	p = bpf_map_lookup_elem(&vcpu_index, &key);
	if (p)
		return *p;
	vm = bpf_map_lookup_elem(&vm_slots, &idx);
	if (!vm)
		return ST_NO_SLOT;
	if (bpf_map_pop_elem(&free_vcpu_slots, &slot)) {
		if (!bpf_map_update_elem(&untracked_vcpus, &key, &one, BPF_NOEXIST))
			SELF_INC(vcpu_table_full);
		return ST_NO_SLOT;
	}
	vs = bpf_map_lookup_elem(&vcpu_stats, &slot);
	if (!vs || bpf_map_update_elem(&vcpu_index, &key, &slot, BPF_NOEXIST)) {
		/* Another thread of the same vCPU got there first (or the slot
		 * number was bad): give ours back. */
		bpf_map_push_elem(&free_vcpu_slots, &slot, 0);
		p = bpf_map_lookup_elem(&vcpu_index, &key);
		return p ? *p : ST_NO_SLOT;
	}
	vs->owner_idx = idx;
	vs->vcpu = vcpu;
	vslot_hi_raise(slot + 1);
	/* Last (stores are not reordered on x86; the barrier keeps the
	 * compiler from it): user space counts the slot as the VM's once
	 * owner_seq is set. */
	asm volatile("" ::: "memory");
	vs->owner_seq = vm->seq;
	return slot;
}

/* A new VM at the address of one that died: retire the old slot so that its
 * counts end with it and the new VM starts from zero. */
static __always_inline void vm_retire(__u64 kvm)
{
	__u32 *idx = bpf_map_lookup_elem(&vm_index, &kvm);
	struct vm_slot *s;

	if (!idx)
		return;
	s = bpf_map_lookup_elem(&vm_slots, idx);
	if (s && s->kvm == kvm)
		s->dead = 1;
	bpf_map_delete_elem(&vm_index, &kvm);
}

/* The census may find a new VM's file between its fd_install and the end of
 * KVM_CREATE_VM, and register it: that slot is this VM's, not one that died
 * at the same address before (that one was registered before the ioctl
 * began), so keep it and give it the VMM's command line. */
static __always_inline bool created_meanwhile(__u64 kvm, __u64 since)
{
	__u32 *idx = bpf_map_lookup_elem(&vm_index, &kvm);
	struct vm_slot *s;

	if (!idx)
		return false;
	s = bpf_map_lookup_elem(&vm_slots, idx);
	if (!s || s->kvm != kvm || s->dead || s->reg_ns < since)
		return false;
	if (!s->cmdline_len)
		read_cmdline(s);
	return true;
}

static __always_inline bool slot_owned(__u32 idx, __u64 kvm)
{
	struct vm_slot *s;

	if (idx == ST_NO_SLOT)
		return false;
	s = bpf_map_lookup_elem(&vm_slots, &idx);
	return s && s->kvm == kvm && !s->dead;
}

/* Whether f is a VM's file, a vCPU's or neither. */
static __always_inline enum kvm_file kvm_file_type(struct file *f)
{
	__u64 fop = (__u64)BPF_CORE_READ(f, f_op);
	const unsigned char *np;
	char name[12] = {};

	if (!fop)
		return KVM_FILE_NONE;
	if (fop == vm_fops)
		return KVM_FILE_VM;
	if (fop == vcpu_fops)
		return KVM_FILE_VCPU;
	np = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), np) < 0)
		return KVM_FILE_NONE;
	/* anon_inode_getfd() names: "kvm-vm" (not "kvm-vm-stats"), "kvm-vcpu:N" */
	if (name[0] != 'k' || name[1] != 'v' || name[2] != 'm' || name[3] != '-')
		return KVM_FILE_NONE;
	if (name[4] == 'v' && name[5] == 'm' && name[6] == '\0') {
		vm_fops = fop;
		return KVM_FILE_VM;
	}
	if (name[4] == 'v' && name[5] == 'c' && name[6] == 'p' && name[7] == 'u' && name[8] == ':') {
		vcpu_fops = fop;
		return KVM_FILE_VCPU;
	}
	return KVM_FILE_NONE;
}

static __always_inline struct file *fd_to_file(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}
