/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The census: the VMs that exist and the threads of their vCPUs, from an
 * iterator over every task's files, run by user space at start and each
 * interval.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

SEC("iter/task_file")
int census(struct bpf_iter__task_file *it)
{
	struct seq_file *seq = it->meta->seq;
	struct task_struct *task = it->task;
	struct file *file = it->file;
	struct vm_census rec = {};
	enum kvm_file type;

	if (!task || !file)
		return 0;
	type = kvm_file_type(file);
	if (type == KVM_FILE_VCPU) {
		/* A vCPU: remember the thread that runs it (its latest KVM_RUN). */
		struct kvm_vcpu *vcpu = BPF_CORE_READ(file, private_data);
		struct vcpu_thread vt = { .kvm = (__u64)BPF_CORE_READ(vcpu, kvm), .vcpu_ptr = (__u64)vcpu,
					  .vcpu = BPF_CORE_READ(vcpu, vcpu_idx) };
		__u32 tid = BPF_CORE_READ(vcpu, pid, numbers[0].nr);

		if (tid)
			bpf_map_update_elem(&vcpu_threads, &tid, &vt, BPF_ANY);
		return 0;
	}
	if (type != KVM_FILE_VM)
		return 0;
	read_gauges(BPF_CORE_READ(file, private_data), &rec);
	rec.tgid = task->tgid;
	rec.fd = it->fd;
	/* VMs that were running before splittop started are registered here. */
	rec.idx = vm_register(rec.kvm, rec.tgid, 0);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
