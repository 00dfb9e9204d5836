/* SPDX-License-Identifier: GPL-2.0-only */
/* What this kernel offers, probed at run time: tracepoints with BTF (for
 * tp_btf), struct members (for CO-RE paths), the host's KVM settings. */
#ifndef SPLITTOP_KERNEL_PROBE_H
#define SPLITTOP_KERNEL_PROBE_H

#include <stdbool.h>

#include "splittop/model/snapshot.h"

struct btf;

struct kernel_btf {
	struct btf *vmlinux;
	struct btf *kvm;	/* KVM's module BTF, when KVM is a module */
};

int kernel_btf_load(struct kernel_btf *k);
void kernel_btf_free(struct kernel_btf *k);
/* The kernel has BTF for tracepoint tp (btf_trace_<tp>): tp_btf can attach. */
bool kernel_has_btf_tracepoint(const struct kernel_btf *k, const char *tp);
/* The kernel has BTF for function fn: fentry/fexit can attach to it. */
bool kernel_has_btf_func(const struct kernel_btf *k, const char *fn);
/* The value of enumerator name (in any enum, named or not). */
bool kernel_enum_value(const struct kernel_btf *k, const char *name, long *value);
/* struct sname has a member mname; its byte offset, or -1. */
bool kernel_has_member(const struct kernel_btf *k, const char *sname, const char *mname);
long kernel_member_offset(const struct kernel_btf *k, const char *sname, const char *mname);
/* The perf id of tracepoint "category/name", or -errno.  When tracefs is not
 * mounted, it is mounted in a short-lived child's private mount namespace,
 * so the host's mounts stay as they were. */
long tracepoint_id(const char *tp);
/* kprobes exist: the kprobe PMU is registered. */
bool kernel_has_kprobes(void);
void host_info_read(struct host_info *h);

#endif
