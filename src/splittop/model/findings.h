/* SPDX-License-Identifier: GPL-2.0-only */
/* Findings: rules that turn one VM's counts into what to change, each with
 * its evidence and a documented source.  The rules are one table (FINDINGS),
 * so that a renderer (the live view's findings pane, JSON, OpenMetrics'
 * gauge per VM and finding, the report) lists them from it.  Pure: no BPF,
 * no I/O, unit-tested without root (tests/unit/test_insight.c).  Each rule's
 * signature, threshold, setting and source: docs/insight.md. */
#ifndef SPLITTOP_FINDINGS_H
#define SPLITTOP_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "converge.h"
#include "host.h"
#include "metrics.h"
#include "vm_table.h"

enum finding_severity {
	FINDING_INFO,		/* worth knowing; no cost measured */
	FINDING_WARN,		/* costs the guest or the migration measurably */
	FINDING_CRIT,		/* the migration will not finish as it goes */
	NR_FINDING_SEVERITIES,
};

/*
 * FINDING(id, name, severity, setting, source): every rule.  name is the
 * stable key of output (JSON, OpenMetrics' label); setting what to change;
 * source where the behaviour is documented (links in docs/insight.md).
 * Append new ones at the end: outputs may index by position.
 */
#define FINDINGS(FINDING)											\
	FINDING(LAZY_SPLIT, "lazy-split", FINDING_WARN, "kvm.eager_page_split=Y",				\
		"kernel-parameters.txt kvm.eager_page_split; commits a3fe5dbda0a4, ada51a9de737")		\
	FINDING(ENABLE_SPLIT, "long-enable", FINDING_WARN,							\
		"manual protect with KVM_DIRTY_LOG_INITIALLY_SET (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)",		\
		"api.rst KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2; commit cb00a70bd4b7; QEMU accel/kvm/kvm-all.c")	\
	FINDING(LONG_CLEAR, "long-clear", FINDING_WARN,								\
		"smaller clear chunks: QEMU -global migration.x-clear-bitmap-shift=N (default 18: 1 GiB)",	\
		"api.rst KVM_CLEAR_DIRTY_LOG; QEMU migration/migration.h CLEAR_BITMAP_SHIFT_*")			\
	FINDING(BITMAP_SCAN, "bitmap-scan", FINDING_INFO,							\
		"the dirty ring: KVM_CAP_DIRTY_LOG_RING (QEMU -accel kvm,dirty-ring-size=4096)",		\
		"api.rst KVM_CAP_DIRTY_LOG_RING")								\
	FINDING(NOT_CONVERGING, "not-converging", FINDING_CRIT,							\
		"QEMU dirty-limit (with the dirty ring) or auto-converge; more bandwidth; a higher downtime-limit", \
		"QEMU docs/devel/migration/dirty-limit.rst, qapi/migration.json")				\
	FINDING(NO_HUGE_BACKING, "no-huge-backing", FINDING_INFO,						\
		"back guest RAM with hugetlbfs or THP (QEMU memory-backend-memfd,hugetlb=on)",			\
		"admin-guide/mm/transhuge.rst; arch/x86/kvm/mmu/mmu.c host_pfn_mapping_level()")		\
	FINDING(SPLIT_FAILED, "split-failed", FINDING_WARN,							\
		"by errno: ENOMEM host memory or the VMM's memory cgroup; ENOSPC the shadow MMU's page limit",	\
		"arch/x86/kvm/mmu/tdp_mmu.c tdp_mmu_split_huge_pages_root(); mmu.c shadow_mmu_try_split_huge_page()") \
	FINDING(SHADOW_CONTENTION, "shadow-lock-contention", FINDING_WARN,					\
		"the TDP MMU: kvm.tdp_mmu=Y with EPT/NPT",							\
		"commit a2855afc7ee8; Documentation/virt/kvm/locking.rst")					\
	FINDING(DLOG_LOCK_WAITS, "waits-behind-dirty-log", FINDING_WARN,					\
		"smaller clear chunks (QEMU -global migration.x-clear-bitmap-shift=N), or the dirty ring",	\
		"virt/kvm/kvm_main.c kvm_clear_dirty_log_protect(), kvm_get_dirty_log_protect(): KVM_MMU_LOCK "	\
		"(write) around kvm_arch_mmu_enable_log_dirty_pt_masked(); api.rst KVM_CLEAR_DIRTY_LOG")

enum finding_id {
#define FINDING_ID(id, ...) FINDING_##id,
	FINDINGS(FINDING_ID)
#undef FINDING_ID
	NR_FINDINGS,
};

struct finding_def {
	const char *name;
	enum finding_severity severity;
	const char *setting;
	const char *source;
};

extern const struct finding_def finding_defs[NR_FINDINGS];

/* "info", "warning", "critical". */
const char *finding_severity_name(enum finding_severity s);

/* What one VM's counts say, as the rules read them.  Pointers may be NULL
 * where the caller has nothing (no rounds, no convergence, no host). */
struct insight_in {
	const struct vm_counters *run;	/* the VM's totals over the run */
	const struct vm_gauges *g;	/* its gauges now */
	const struct round_rec *rounds;	/* its latest migration's rounds, oldest first */
	unsigned int nrounds;
	const struct converge *conv;	/* converge_rounds() over those rounds */
	enum host_mmu mmu;
	const char *eager_split;	/* host_info.eager_split: "Y", "N", "unknown" */
	const struct avail *avail;	/* the metric groups this run has */
	/* Longest mmu_lock hold by holder, write mode (function probes); 0:
	 * unknown, the rules fall back to the mean hold. */
	uint64_t hold_max_ns[LOCK_HOLDERS];
};

#define FINDING_MSG_LEN	320

struct finding {
	enum finding_id id;
	char msg[FINDING_MSG_LEN];	/* one line: the evidence, then "-> " what to do */
};

struct findings {
	struct finding f[NR_FINDINGS];
	unsigned int n;
};

/* Run every rule over in; out holds those that fire, in table order.
 * Returns out->n.  A healthy VM yields none. */
unsigned int findings_eval(const struct insight_in *in, struct findings *out);

#endif
