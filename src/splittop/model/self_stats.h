/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * splittop's own failure counters (struct self_stats, bpf/splittop.h), once.
 * Everything that shows or stores them reads this list: JSON's "self"
 * object, --listen's splittop_self_*_total, the messages at exit, the live
 * view's header, SPLITTOP_RECORD's writer and reader and --replay's reader,
 * so that a new counter is a field, its BPF side and one line here.  Each
 * SELF_STAT() line gives, in order:
 *   field   the member of struct self_stats
 *   name    the JSON key under "self" (which --replay reads back) and
 *           splittop_self_<name>_total in --listen: never renamed
 *   rec     its place among the counters of SPLITTOP_RECORD's frame line
 *           (the golden recordings' format: a new counter takes the next)
 *   limit   the option whose value the exit message's %u prints (SL_NONE:
 *           none; the header names no value: a replay does not know it)
 *   help    what it counts, for --listen's HELP line
 *   exit    the message at exit where it is not zero ("splittop: " before
 *           it): %llu the count, then %u the limit where there is one
 *   view    the live view header's words for it, in red where it is not
 *           zero: %llu the count; NULL: not in the header
 * JSON and --listen write them in this order: append new ones at the end.
 */
#ifndef SPLITTOP_SELF_STATS_H
#define SPLITTOP_SELF_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "splittop.h"

#define SELF_STATS(SELF_STAT)										\
	SELF_STAT(vm_table_full, "vm_table_full", 0, SL_MAX_VMS,					\
		  "VMs not tracked: the VM table (--max-vms) was full",					\
		  "%llu VMs not tracked: more than --max-vms %u VMs at once",				\
		  "%llu VMs not tracked (over --max-vms)")						\
	SELF_STAT(vcpu_table_full, "vcpu_table_full", 7, SL_MAX_VCPUS,					\
		  "vCPUs without a per-vCPU row: the vCPU table (--max-vcpus) was full",		\
		  "%llu vCPUs without a row of their own: more than --max-vcpus %u vCPUs at once "	\
		  "(their VMs' totals still count them)",						\
		  "%llu vCPUs without a row (over --max-vcpus)")					\
	SELF_STAT(unattributed_faults, "unattributed_faults", 1, SL_NONE,				\
		  "faults outside any vCPU splittop knows (in no VM)",					\
		  "%llu faults outside any vCPU splittop knows (not counted in any VM)",		\
		  "%llu faults not attributed")								\
	SELF_STAT(unattributed_splits, "unattributed_splits", 2, SL_NONE,				\
		  "splits outside any KVM ioctl splittop saw (in no VM)",				\
		  "%llu splits outside any KVM ioctl splittop saw (not counted in any VM)",		\
		  "%llu splits not attributed")								\
	SELF_STAT(task_storage_fail, "task_storage_fail", 3, SL_NONE,					\
		  "task contexts splittop could not create",						\
		  "%llu task contexts not created (an internal miss: please report it)",		\
		  "%llu task contexts not created")							\
	SELF_STAT(rmap_read_fail, "rmap_read_fail", 4, SL_NONE,					\
		  "reads of KVM's rmap that failed",							\
		  "%llu rmap reads failed (an internal miss: please report it)",			\
		  "%llu rmap reads failed")								\
	SELF_STAT(missed_events, "missed_events", 5, SL_NONE,						\
		  "events the kernel ran no counting program of splittop's for (the same program was "	\
		  "still running on that CPU): counts are short by as many",				\
		  "%llu events missed: the kernel did not run a program of splittop's while the same "	\
		  "program was still running on that CPU (counts are short by as many)",		\
		  "%llu events missed")									\
	SELF_STAT(missed_probe_events, "missed_probe_events", 6, SL_NONE,				\
		  "function probe events the kernel ran no probe of splittop's for (the same program "	\
		  "was still running on that CPU): mmu_lock hold and fault latency times leave them out", \
		  "%llu function probe events missed (the same program still running on that CPU): "	\
		  "mmu_lock hold and fault latency times leave them out",				\
		  "%llu probe events missed")								\
	SELF_STAT(rounds_lost, "rounds_lost", 8, SL_NONE,						\
		  "dirty-log rounds that ended faster than splittop sampled them (more than 32 a VM "	\
		  "in one interval): their records are missing, the VM's dirty_pages still counts them", \
		  "%llu dirty-log rounds not recorded: more than 32 of a VM's ended in one interval "	\
		  "(a shorter -i keeps them; dirty_pages still counts them)",				\
		  "%llu rounds not recorded")

enum self_stat {
#define SELF_STAT_ID(field, ...) SELF_##field,
	SELF_STATS(SELF_STAT_ID)
#undef SELF_STAT_ID
	NR_SELF_STATS,
};

/* The options a message may name, with their values (struct self_limits). */
enum self_limit { SL_NONE, SL_MAX_VMS, SL_MAX_VCPUS };

struct self_limits {
	unsigned int max_vms, max_vcpus;
};

struct self_stat_def {
	const char *name, *help, *exit, *view;
	size_t off;		/* in struct self_stats */
	unsigned int rec;
	enum self_limit limit;
};

extern const struct self_stat_def self_stat_defs[NR_SELF_STATS];

__u64 self_stat_get(const struct self_stats *s, enum self_stat i);
void self_stat_set(struct self_stats *s, enum self_stat i, __u64 v);
/* Counter i's exit message (l: the limits) or, where l is NULL, its header
 * words, into buf ("" where it has none). */
void self_stat_text(char *buf, size_t n, enum self_stat i, const struct self_stats *s,
		    const struct self_limits *l);
/* The messages at exit: one line on f per counter that is not zero. */
void self_stats_report(FILE *f, const struct self_stats *s, const struct self_limits *l);
/* The live view's header line of them: "" where all are zero. */
void self_stats_view_line(char *buf, size_t n, const struct self_stats *s);

#endif
