/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which VM and vCPU a task works for, from KVM's ioctls: kprobes on KVM's
 * ioctl handlers, the ioctl syscall tracepoints or raw_syscalls; the
 * dirty-log operations' counts and times.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

/* An ioctl(fd, cmd) starts: remember which VM (and vCPU) it is for. */
/* The flags of memslot id (as_id << 16 | slot) as KVM has them now, or -1
 * when there is no such memslot: a walk of its bucket of the id hash. */
static __always_inline int memslot_flags(__u64 kvm, __u32 id)
{
	struct kvm_memory_slot *ms = memslot_find(kvm, id);

	return ms ? BPF_CORE_READ(ms, flags) : -1;
}

/* Dirty logging of the memslot this memslot ioctl sets: before (from KVM)
 * and as asked (from the ioctl's argument).  For kernels without
 * kvm->nr_memslots_dirty_logging. */
static __always_inline void memslot_logging(struct task_ctx *tc, unsigned long arg)
{
	struct { __u32 slot, flags; } r;
	int old;

	tc->logging_before = -1;
	if (bpf_probe_read_user(&r, sizeof(r), (void *)arg))
		return;
	old = memslot_flags(tc->kvm, r.slot);
	tc->logging_before = old > 0 && (old & 1);	/* KVM_MEM_LOG_DIRTY_PAGES */
	tc->logging_asked = r.flags & 1;
}

/* A KVM ioctl cmd on file starts (fd: its descriptor, or -1 where the
 * source hands over the file itself): remember which VM (and vCPU) it is for. */
static __always_inline void walk_run_edge(struct task_ctx *tc);

/* A vCPU's ioctl: KVM_RUN binds the task to its vCPU slot. */
static __always_inline void vcpu_ioctl_begin(struct task_struct *task, struct task_ctx *tc, unsigned int nr)
{
	tc->kind = nr == NR_RUN ? KIND_RUN : KIND_OTHER;
	if (tc->kind == KIND_RUN) {
		__u32 vslot = vcpu_slot(tc->idx, tc->vcpu);

		if (tc->bound_idx != tc->idx + 1 || tc->bound_vcpu != tc->vcpu + 1 ||
		    tc->vslot != vslot) {
			tc->bound_idx = tc->idx + 1;
			tc->bound_vcpu = tc->vcpu + 1;
			tc->vslot = vslot;
			forget_binding(task);
		}
		walk_run_edge(tc);
	}
}

/* KVM_GET_DIRTY_LOG's struct kvm_dirty_log: the memslot and the bitmap
 * KVM fills, whose bits are counted when it returns. */
static __always_inline void dirty_log_arg(struct task_ctx *tc, unsigned long arg)
{
	struct { __u32 slot, pad; __u64 bitmap; } d;

	tc->dl_npages = 0;
	if (bpf_probe_read_user(&d, sizeof(d), (void *)arg))
		return;
	tc->dl_bitmap = d.bitmap;
	tc->dl_npages = memslot_npages(tc->kvm, d.slot);
	round_harvest_begin(tc, d.slot, bpf_ktime_get_ns());
}

/* A VM's ioctl: the dirty-log operations and memslot changes splittop
 * times (false: another one, not timed). */
static __always_inline bool vm_ioctl_begin(struct task_ctx *tc, unsigned int nr, unsigned long arg)
{
	switch (nr) {
	case NR_GET_DIRTY_LOG:
		tc->kind = KIND_GET;
		dirty_log_arg(tc, arg);
		break;
	case NR_CLEAR_DIRTY_LOG:
		tc->kind = KIND_CLEAR;
		break;
	case NR_RESET_DIRTY_RINGS:
		tc->kind = KIND_RESET;
		round_harvest_begin(tc, ~0u, bpf_ktime_get_ns());
		break;
	case NR_SET_MEMORY_REGION:
	case NR_SET_MEMORY_REGION2:
		tc->kind = KIND_MEMSLOT;
		if (bpf_core_field_exists(((struct kvm *)0)->nr_memslots_dirty_logging))
			tc->logging_before = memslots_dirty(tc->kvm);
		else
			memslot_logging(tc, arg);
		break;
	default:
		tc->kind = KIND_OTHER;
		return false;
	}
	return true;
}

/* The VM and the vCPU (if any) of file, a KVM fd's, into tc, and its VM's
 * slot (ST_NO_SLOT: none free).  false for a file that is not KVM's. */
static __always_inline bool file_lookup(struct task_ctx *tc, struct file *file, int fd, unsigned int nr)
{
	enum kvm_file type;

	type = kvm_file_type(file);
	if (type == KVM_FILE_NONE) {
		tc->file = 0;
		tc->kind = nr == NR_CREATE_VM ? KIND_CREATE : KIND_NONE;
		tc->start_ns = bpf_ktime_get_ns();
		return false;
	}
	if (type == KVM_FILE_VM) {
		tc->kvm = (__u64)BPF_CORE_READ(file, private_data);
		tc->vcpu = 0;
		tc->vcpu_ptr = 0;
	} else {
		struct kvm_vcpu *vcpu = BPF_CORE_READ(file, private_data);

		tc->kvm = (__u64)BPF_CORE_READ(vcpu, kvm);
		tc->vcpu = BPF_CORE_READ(vcpu, vcpu_idx);
		tc->vcpu_ptr = (__u64)vcpu;
	}
	tc->vcpu_file = type == KVM_FILE_VCPU;
	tc->file = (__u64)file;
	tc->fd = fd;
	tc->idx = vm_register(tc->kvm, bpf_get_current_pid_tgid() >> 32, 1);
	return true;
}

static __always_inline int ioctl_begin(struct task_struct *task, struct file *file, int fd, unsigned int cmd,
				       unsigned long arg)
{
	struct task_ctx *tc;
	unsigned int nr;

	if (((cmd >> 8) & 0xff) != KVMIO_TYPE)
		return 0;
	nr = cmd & 0xff;
	tc = bpf_task_storage_get(&task_ctx_map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	first_run(tc, task, nr);
	if (!tc) {
		SELF_INC(task_storage_fail);
		return 0;
	}
	if (!file) {
		tc->kind = KIND_NONE;
		return 0;
	}
	/* vCPU threads call KVM_RUN on the same fd over and over: reuse the
	 * lookup, as long as the slot still belongs to that VM (a VMM may close
	 * a VM and get the same fd and a recycled struct file for a new one). */
	if ((tc->file != (__u64)file || tc->fd != fd || !slot_owned(tc->idx, tc->kvm)) &&
	    !file_lookup(tc, file, fd, nr))
		return 0;
	if (tc->idx == ST_NO_SLOT) {
		tc->kind = KIND_NONE;
		return 0;
	}
	if (tc->vcpu_file) {
		vcpu_ioctl_begin(task, tc, nr);
		return 0;
	}
	if (!vm_ioctl_begin(tc, nr, arg))
		return 0;
	tc->splits_in_op = 0;
	{
		/* Out of BPF_CORE_READ: tc is our type, not the kernel's. */
		struct kvm *kvm = (struct kvm *)tc->kvm;

		if (bpf_core_field_exists(X86_VM_STAT(kvm)->pages_2m))
			tc->pages_2m_before = BPF_CORE_READ(X86_VM_STAT(kvm), pages_2m.counter);
	}
	tc->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* The syscall tracepoints' view: a descriptor to look the file up by. */
static __always_inline int ioctl_enter(int fd, unsigned int cmd, unsigned long arg)
{
	struct task_struct *task;

	if (((cmd >> 8) & 0xff) != KVMIO_TYPE)
		return 0;
	task = bpf_get_current_task_btf();
	return ioctl_begin(task, fd_to_file(task, fd), fd, cmd, arg);
}

/* A dirty-log operation's share in its VM's rounds (bpf/rounds.bpf.h). */
static __always_inline void account_round(struct task_ctx *tc, int op, long ret, __u64 dur)
{
	struct vm_census g = {};

	if (op == DLOG_GET && tc->dl_npages)
		round_harvest_end(tc, popcount_user(tc->dl_bitmap, tc->dl_npages), dur);
	else if (op == DLOG_RESET)
		round_harvest_end(tc, ret, dur);
	else if (op == DLOG_ENABLE || op == DLOG_DISABLE) {
		read_gauges((struct kvm *)tc->kvm, &g);
		round_logging(tc, op == DLOG_ENABLE, g.memslots_dirty, bpf_ktime_get_ns());
	}
}

static __always_inline void account_dlog(struct task_ctx *tc, long ret)
{
	__u64 dur = bpf_ktime_get_ns() - tc->start_ns;
	struct vm_slot *slot;
	struct vm_stats *st;
	int op, after;

	if (ret < 0)
		return;
	if (tc->kind == KIND_GET) {
		op = DLOG_GET;
	} else if (tc->kind == KIND_CLEAR) {
		op = DLOG_CLEAR;
	} else if (tc->kind == KIND_RESET) {
		op = DLOG_RESET;
	} else {
		if (bpf_core_field_exists(((struct kvm *)0)->nr_memslots_dirty_logging))
			after = memslots_dirty(tc->kvm);
		else
			after = tc->logging_asked;	/* the ioctl succeeded */
		if (after < 0 || tc->logging_before < 0 || after == tc->logging_before)
			return;
		op = after > tc->logging_before ? DLOG_ENABLE : DLOG_DISABLE;
	}
	account_round(tc, op, ret, dur);
	st = vm_counters(tc->idx);
	if (!st)
		return;
	__sync_fetch_and_add(&st->dlog_count[op], 1);
	__sync_fetch_and_add(&st->dlog_ns[op], dur);
	__sync_fetch_and_add(&st->dlog_splits[op], tc->splits_in_op);
	slot = bpf_map_lookup_elem(&vm_slots, &tc->idx);
	if (slot && slot->kvm == tc->kvm) {
		/* Shared, not per-CPU: "the latest" has one answer. */
		slot->dlog_last_ns[op] = dur;
		slot->dlog_last_splits[op] = tc->splits_in_op;
		read_gauges((struct kvm *)tc->kvm, &slot->snap);
		slot->dlog_last_pages_2m[op][0] = tc->pages_2m_before;
		slot->dlog_last_pages_2m[op][1] = slot->snap.pages[1];
		slot->snap.tgid = slot->tgid;
		slot->snap.idx = tc->idx;
	}
}

/* After the memslot update is complete: a vCPU's cached "no huge page
 * here" may be stale from now on (even a failed ioctl may have changed
 * something: never trust the cache across one). */
static __always_inline void memslot_changed(struct task_ctx *tc)
{
	struct vm_slot *slot = bpf_map_lookup_elem(&vm_slots, &tc->idx);

	if (slot && slot->kvm == tc->kvm)
		__sync_fetch_and_add(&slot->memslot_gen, 1);
}

/* The ioctl returns ret: account the dirty-log operation it was, or
 * register the VM it created. */
static __always_inline int ioctl_exit(long ret)
{
	struct task_struct *task;
	struct task_ctx *tc;

	task = bpf_get_current_task_btf();
	tc = bpf_task_storage_get(&task_ctx_map, task, 0, 0);
	if (!tc || tc->kind == KIND_NONE)
		return 0;
	if (tc->kind == KIND_CREATE) {
		struct file *f = ret >= 0 ? fd_to_file(task, (int)ret) : NULL;

		if (f && kvm_file_type(f) == KVM_FILE_VM) {
			__u64 kvm = (__u64)BPF_CORE_READ(f, private_data);

			if (!created_meanwhile(kvm, tc->start_ns)) {
				vm_retire(kvm);
				vm_register(kvm, bpf_get_current_pid_tgid() >> 32, 1);
			}
		}
		tc->file = 0;	/* the next ioctl looks its file up afresh */
	} else if (tc->kind >= KIND_MEMSLOT && tc->kind <= KIND_RESET) {
		if (tc->kind == KIND_MEMSLOT)
			memslot_changed(tc);
		account_dlog(tc, ret);
	} else if (tc->kind == KIND_RUN) {
		walk_run_edge(tc);
	}
	tc->kind = KIND_NONE;
	return 0;
}

/*
 * Three ways to see KVM ioctls.  Kprobes on KVM's own ioctl handlers come
 * first: they run for KVM's ioctls only, with preemption off.  A kernel
 * that preempts tracing programs (full or lazy preemption: Debian's 6.18
 * and 7.x) runs the syscall tracepoints' programs preemptibly, and one
 * preempted in the middle keeps the same program (raw_syscalls) or every
 * perf-event program (the ioctl tracepoints) on that CPU from running for
 * another thread's ioctl, which is then missed: a KVM_RUN whose faults
 * belong to no vCPU, a dirty-log operation not counted.  A kprobe program
 * is never preempted, so nothing is missed.  The vCPU's KVM_RUN needs no
 * return probe (a vCPU thread takes KVM's faults only inside it; the next
 * ioctl starts afresh), which spares one per exit to user space.
 * The ioctl syscall tracepoints run a program for ioctls only; raw_syscalls'
 * sys_enter/sys_exit run one for every system call of the host (about
 * 130 ns more per syscall here), so they come last.
 */
SEC("kprobe/kvm_vcpu_ioctl")
int BPF_KPROBE(on_vcpu_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return ioctl_begin(bpf_get_current_task_btf(), file, -1, cmd, arg);
}

SEC("kprobe/kvm_vm_ioctl")
int BPF_KPROBE(on_vm_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return ioctl_begin(bpf_get_current_task_btf(), file, -1, cmd, arg);
}

SEC("kretprobe/kvm_vm_ioctl")
int BPF_KRETPROBE(on_vm_ioctl_ret, long ret)
{
	return ioctl_exit(ret);
}

/* KVM_CREATE_VM, on /dev/kvm. */
SEC("kprobe/kvm_dev_ioctl")
int BPF_KPROBE(on_dev_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return ioctl_begin(bpf_get_current_task_btf(), file, -1, cmd, arg);
}

SEC("kretprobe/kvm_dev_ioctl")
int BPF_KRETPROBE(on_dev_ioctl_ret, long ret)
{
	return ioctl_exit(ret);
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int on_ioctl_enter(struct trace_event_raw_sys_enter *ctx)
{
	return ioctl_enter((int)ctx->args[0], (unsigned int)ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int on_ioctl_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ioctl_exit(ctx->ret);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	if (id != ioctl_nr)
		return 0;
	return ioctl_enter((int)PT_REGS_PARM1_CORE_SYSCALL(regs),
			   (unsigned int)PT_REGS_PARM2_CORE_SYSCALL(regs),
			   (unsigned long)PT_REGS_PARM3_CORE_SYSCALL(regs));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
#ifdef __TARGET_ARCH_x86
	/* Cheap filter before the storage lookup: this runs for every syscall,
	 * so a direct (BTF) load, not a probe-read helper call. */
	if (regs->orig_ax != ioctl_nr)
		return 0;
#endif
	return ioctl_exit(ret);
}
