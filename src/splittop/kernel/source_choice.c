// SPDX-License-Identifier: GPL-2.0-only
/* Each metric's sources, best first, the one this kernel offers, and its
 * attachment. */
#include "source_choice.h"
#include "splittop.skel.h"
#include "kernel_probe.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#define PROGS(fn, a, b)								\
static struct bpf_program **fn(struct splittop_bpf *s, unsigned int i)	\
{										\
	struct bpf_program **p[2] = { &s->progs.a, b };			\
	return i < 2 ? p[i] : NULL;						\
}
PROGS(progs_ioctl_tp, on_ioctl_enter, &s->progs.on_ioctl_exit)

static struct bpf_program **progs_ioctl_kprobe(struct splittop_bpf *s, unsigned int i)
{
	struct bpf_program **p[5] = { &s->progs.on_vcpu_ioctl, &s->progs.on_vm_ioctl, &s->progs.on_vm_ioctl_ret,
				      &s->progs.on_dev_ioctl, &s->progs.on_dev_ioctl_ret };
	return i < 5 ? p[i] : NULL;
}
PROGS(progs_lat_fentry, on_fault_entry, &s->progs.on_fault_exit)
PROGS(progs_lat_kprobe, on_fault_entry_kp, &s->progs.on_fault_exit_kp)

static struct bpf_program **progs_hold(struct splittop_bpf *s, unsigned int i)
{
	struct bpf_program **p[4] = { &s->progs.on_read_locked, &s->progs.on_write_locked,
				      &s->progs.on_read_unlock, &s->progs.on_write_unlock };
	return i < 4 ? p[i] : NULL;
}
PROGS(progs_syscalls, on_sys_enter, &s->progs.on_sys_exit)
PROGS(progs_faults, on_spte_requested, NULL)
static struct bpf_program **progs_walk(struct splittop_bpf *s, unsigned int i)
{
	struct bpf_program **p[4] = { &s->progs.on_fault_walk, &s->progs.on_walk_element, &s->progs.on_new_table,
				      &s->progs.on_run_exit };
	return i < 4 ? p[i] : NULL;
}

/* kvm_mmu_page_fault's programs, then the tracepoints' (named apart:
 * set_fault_path). */
static struct bpf_program **progs_enter_kp(struct splittop_bpf *s, unsigned int i)
{
	struct bpf_program **p[3] = { &s->progs.on_fault_enter_kp, &s->progs.on_new_table, &s->progs.on_run_exit };
	return i < 3 ? p[i] : NULL;
}

static struct bpf_program **progs_enter(struct splittop_bpf *s, unsigned int i)
{
	struct bpf_program **p[3] = { &s->progs.on_fault_enter, &s->progs.on_new_table, &s->progs.on_run_exit };
	return i < 3 ? p[i] : NULL;
}
PROGS(progs_fast_tp, on_fast_page_fault_tp, NULL)
PROGS(progs_fast_btf, on_fast_page_fault, NULL)
PROGS(progs_split, on_split, NULL)
PROGS(progs_split_raw, on_split_raw, NULL)
PROGS(progs_pml, on_pml_full, NULL)
PROGS(progs_arm64_faults, on_guest_fault, &s->progs.on_guest_mmio)
PROGS(progs_arm64_faults_raw, on_guest_fault_raw, &s->progs.on_guest_mmio_raw)
PROGS(progs_arm64_split, on_stage2_split, NULL)
PROGS(progs_arm64_lat, on_abort_entry, &s->progs.on_abort_exit)
PROGS(progs_arm64_lat_kp, on_abort_entry_kp, &s->progs.on_abort_exit_kp)
PROGS(progs_lock_tp, on_contention_begin_tp, &s->progs.on_contention_end_tp)
PROGS(progs_lock, on_contention_begin, &s->progs.on_contention_end)
PROGS(progs_lock_raw, on_contention_begin_raw, &s->progs.on_contention_end_raw)

static struct bpf_program **progs_mmu_fentry(struct splittop_bpf *s, unsigned int i)
{
	struct bpf_program **p[4] = { &s->progs.on_shadow_split_entry, &s->progs.on_shadow_split_exit,
				      &s->progs.on_tdp_split_entry, &s->progs.on_tdp_split_exit };
	return i < 4 ? p[i] : NULL;
}

static struct bpf_program **progs_mmu_kprobe(struct splittop_bpf *s, unsigned int i)
{
	struct bpf_program **p[4] = { &s->progs.on_shadow_split_entry_kp, &s->progs.on_shadow_split_exit_kp,
				      &s->progs.on_tdp_split_entry_kp, &s->progs.on_tdp_split_exit_kp };
	return i < 4 ? p[i] : NULL;
}

/* Each program names its attachment in its section, but for the perf
 * events of "tracepoint" sources, attached by the ids of tp[]. */
const struct source_choice choices[][MAX_CHOICES] = {
	/* Kprobes on KVM's ioctl handlers never miss one (their programs are
	 * not preempted: bpf/ioctls.bpf.h); the ioctl tracepoints cost
	 * nothing to other syscalls; raw_syscalls runs a program for every
	 * syscall of the host. */
	[M_ATTRIBUTION] = { { SK_KPROBE, { "kvm_vcpu_ioctl", "kvm_vm_ioctl", "kvm_dev_ioctl" }, progs_ioctl_kprobe },
			    { SK_TRACEPOINT, { "syscalls/sys_enter_ioctl", "syscalls/sys_exit_ioctl" },
			      progs_ioctl_tp },
			    { SK_TP_BTF, { "sys_enter", "sys_exit" }, progs_syscalls } },
	/* The TDP MMU: nothing per fault in mmu_lock (bpf/faults_outside.bpf.h):
	 * kvm_mmu_page_fault (a kprobe, never preempted, else fentry) before
	 * the lock, a new table (kvm_mmu_get_page: one per huge mapping
	 * replaced) in it, KVM's own table read outside it where a huge mapping
	 * may be made writable in place, and KVM_RUN's return
	 * (kvm_userspace_exit) that settles the last fault.  Else the fault in
	 * the lock, per fault: kvm_mmu_spte_requested, which also ends the
	 * sampled waits.  Shadow paging keeps it (issue #39): its faults take
	 * the lock for write, and a wait can be timed only in the lock, where
	 * contention_end's program (twice per fault when every fault waits)
	 * costs more than the fault program's clock read (docs/performance.md).
	 * Its guest walk, outside the lock, is there by name
	 * (--source faults=kvm_mmu_pagetable_walk). */
	[M_FAULTS] = { { SK_KPROBE, { "kvm_mmu_page_fault" }, progs_enter_kp, HOST_MMU_TDP },
		       { SK_FENTRY, { "kvm_mmu_page_fault" }, progs_enter, HOST_MMU_TDP },
		       { SK_TP_BTF, { "kvm_mmu_spte_requested" }, progs_faults },
		       { SK_TP_BTF, { "kvm_mmu_pagetable_walk", "kvm_mmu_paging_element", "kvm_mmu_get_page",
				     "kvm_userspace_exit" }, progs_walk, HOST_MMU_SHADOW },
		       /* arm64: every stage-2 abort, before mmu_lock, classed by its
			* ESR; kvm_mmio takes back those KVM hands to the VMM
			* (bpf/arm64.bpf.h).  It sees every fault: no fast path apart. */
		       { SK_TP_BTF, { "kvm_guest_fault", "kvm_mmio" }, progs_arm64_faults, 0, true, true },
		       { SK_RAW_TP, { "kvm_guest_fault", "kvm_mmio" }, progs_arm64_faults_raw, 0, true, true } },
	/* Faults a TDP MMU fixes without its handler proper.  The perf event
	 * first: its program runs with preemption off, where a tp_btf program
	 * misses faults on kernels that preempt the fast path (bpf/faults.bpf.h,
	 * on_fast_page_fault_tp). */
	[M_FAST_FAULTS] = { { SK_TRACEPOINT, { "kvmmmu/fast_page_fault" }, progs_fast_tp },
			    { SK_TP_BTF, { "fast_page_fault" }, progs_fast_btf } },
	[M_SPLITS] = { { SK_TP_BTF, { "kvm_mmu_split_huge_page" }, progs_split },
		       { SK_RAW_TP, { "kvm_mmu_split_huge_page" }, progs_split_raw },
		       /* arm64 has no split tracepoint: the split walker's one table
			* per block (bpf/arm64.bpf.h). */
		       { SK_FENTRY, { "kvm_pgtable_stage2_create_unlinked" }, progs_arm64_split, .arm64 = true } },
	/* The perf events first: a BTF tracepoint's program can be preempted
	 * on a sleeping lock's contention and then miss an mmu_lock wait. */
	[M_LOCK_WAIT] = { { SK_TRACEPOINT, { "lock/contention_begin", "lock/contention_end" }, progs_lock_tp },
			  { SK_TP_BTF, { "contention_begin", "contention_end" }, progs_lock },
			  { SK_RAW_TP, { "contention_begin", "contention_end" }, progs_lock_raw } },
	/* Function probes.  No kprobe twin for holds: a kprobe on the lock
	 * function would time the wait as well as the hold. */
	[M_LOCK_HOLD] = { { SK_FENTRY, { "_raw_read_lock", "_raw_write_lock", "_raw_read_unlock",
					"_raw_write_unlock" }, progs_hold } },
	[M_FAULT_LATENCY] = { { SK_FENTRY, { "kvm_mmu_page_fault" }, progs_lat_fentry },
			      { SK_KPROBE, { "kvm_mmu_page_fault" }, progs_lat_kprobe },
			      /* arm64: the handler of every stage-2 abort. */
			      { SK_FENTRY, { "kvm_handle_guest_abort" }, progs_arm64_lat, .arm64 = true },
			      { SK_KPROBE, { "kvm_handle_guest_abort" }, progs_arm64_lat_kp, .arm64 = true } },
	/* VMX's: where kvm_intel is not loaded (AMD, other arches) there is no
	 * such tracepoint, and the metric is unavailable. */
	[M_PML] = { { SK_TP_BTF, { "kvm_pml_full" }, progs_pml } },
	[M_SPLIT_MMU] = { { SK_FENTRY, { "kvm_shadow_mmu_try_split_huge_pages", "kvm_tdp_mmu_try_split_huge_pages" },
			    progs_mmu_fentry },
			  { SK_KPROBE, { "kvm_shadow_mmu_try_split_huge_pages", "kvm_tdp_mmu_try_split_huge_pages" },
			    progs_mmu_kprobe } },
};

const char *const metric_names[NR_METRICS] = {
	[M_ATTRIBUTION] = "kvm_ioctls", [M_FAULTS] = "faults", [M_FAST_FAULTS] = "fast_faults", [M_SPLITS] = "splits",
	[M_LOCK_WAIT] = "mmu_lock_wait", [M_DLOG_TOGGLE] = "dirty_log_enable_disable",
	[M_CENSUS] = "census", [M_LOCK_HOLD] = "mmu_lock_hold", [M_FAULT_LATENCY] = "fault_latency",
	[M_SPLIT_MMU] = "split_mmu", [M_PML] = "pml_full",
};

/* The hold programs run at every lock and unlock of every rwlock of the
 * host, with the lock held: twice inside each of KVM's faults, and in every
 * other rwlock's critical section (issue #39). */
const char *const metric_opt_in[NR_METRICS] = {
	[M_LOCK_HOLD] = "it runs inside every rwlock's critical sections",
};

int tracer_metric_by_name(const char *name)
{
	unsigned int m;

	for (m = 0; m < NR_METRICS; m++)
		if (!strcmp(metric_names[m], name))
			return choices[m][0].kind != SK_UNSET ? (int)m : -EOPNOTSUPP;
	return -ENOENT;
}

/* Whether the host's MMU is the one source c needs; if not, why. */
static bool mmu_fits(struct tracer *t, enum metric m, const struct source_choice *c)
{
	if (!c->mmu || t->host.mmu == (enum host_mmu)c->mmu)
		return true;
	snprintf(t->sources[m].why, sizeof(t->sources[m].why), "%s: %s", c->tp[0],
		 c->mmu == HOST_MMU_SHADOW ? "the host does not use shadow paging (its faults walk no guest page tables)" :
		 "the host's MMU is not the TDP MMU");
	return false;
}

/* Whether the tracepoints of a tp_btf or raw_tp source c are there; if not,
 * why, in src->why. */
static bool btf_tracepoints_offered(struct metric_source *src, const struct kernel_btf *k,
				    const struct source_choice *c)
{
	unsigned int j;
	bool ok = true;

	if (c->kind == SK_TP_BTF)
		for (j = 0; j < SOURCE_MAX_TPS && c->tp[j]; j++)
			ok &= kernel_has_btf_tracepoint(k, c->tp[j]);
	if (!ok) {
		snprintf(src->why, sizeof(src->why), "no BTF for tracepoint %s", c->tp[0]);
		return false;
	}
	/* A raw tracepoint needs no BTF, but where KVM's BTF is there (its
	 * generic kvm_userspace_exit) it names each of KVM's tracepoints: one
	 * it lacks is not there (arm64 has no kvm_mmu_split_huge_page). */
	if (c->kind == SK_RAW_TP && kernel_has_btf_tracepoint(k, "kvm_userspace_exit") &&
	    !kernel_has_btf_tracepoint(k, c->tp[0])) {
		snprintf(src->why, sizeof(src->why), "no tracepoint %s", c->tp[0]);
		return false;
	}
	return true;
}

/* Whether this kernel offers source c of metric m; if not, why, in
 * t->sources[m].why (a kprobe's reason follows an fentry's). */
static bool offered(struct tracer *t, const struct kernel_btf *k, enum metric m, const struct source_choice *c,
		    bool probes, const char *probes_why)
{
	struct metric_source *src = &t->sources[m];
	unsigned int j;
	bool ok = true;

	if (!btf_tracepoints_offered(src, k, c) || !mmu_fits(t, m, c))
		return false;
	if (c->kind == SK_FENTRY) {
		for (j = 0; j < SOURCE_MAX_TPS && c->tp[j] && ok; j++)
			ok = kernel_has_btf_func(k, c->tp[j]);
		if (!ok) {
			snprintf(src->why, sizeof(src->why), "fentry: no BTF for function %s", c->tp[j - 1]);
			return false;
		}
		if (!probes) {
			snprintf(src->why, sizeof(src->why), "%s", probes_why);
			return false;
		}
	}
	if (c->kind == SK_KPROBE) {
		for (j = 0; j < SOURCE_MAX_TPS && c->tp[j] && ok; j++)
			ok = kernel_has_btf_func(k, c->tp[j]);
		if (!ok) {
			snprintf(src->why, sizeof(src->why), "kprobe: no function %s", c->tp[j - 1]);
			return false;
		}
		if (!kernel_has_kprobes()) {
			size_t n = strlen(src->why);

			/* Append to the fentry reason, if any. */
			snprintf(src->why + n, sizeof(src->why) - n, "%skprobes: not in this kernel", n ? "; " : "");
			return false;
		}
		if (!probes) {
			snprintf(src->why, sizeof(src->why), "%s", probes_why);
			return false;
		}
	}
	if (c->kind == SK_TRACEPOINT) {
		for (j = 0; j < SOURCE_MAX_TPS && c->tp[j] && ok; j++) {
			long id = tracepoint_id(c->tp[j]);

			ok = id > 0;
			t->tp_ids[m][j] = id;
			if (!ok)
				snprintf(src->why, sizeof(src->why), "tracepoint %s: %s", c->tp[j], strerror((int)-id));
		}
	}
	return ok;
}

/* Metric m comes from pick: its programs load, and its name is KIND/TP,TP... */
static void use(struct tracer *t, enum metric m, const struct source_choice *pick)
{
	unsigned int j;
	int n;

	for (j = 0; pick->progs(t->skel, j); j++)
		bpf_program__set_autoload(*pick->progs(t->skel, j), true);
	n = snprintf(t->source_names[m], sizeof(t->source_names[m]), "%s/%s", source_kind_name(pick->kind),
		     pick->tp[0]);
	for (j = 1; j < SOURCE_MAX_TPS && pick->tp[j] && n < (int)sizeof(t->source_names[m]); j++)
		if (strcmp(pick->tp[j], pick->tp[j - 1]))
			n += snprintf(t->source_names[m] + n, sizeof(t->source_names[m]) - n, ",%s", pick->tp[j]);
	t->sources[m].source = t->source_names[m];
	t->sources[m].why[0] = '\0';
}

void source_unuse(struct tracer *t, enum metric m, const struct source_choice *c)
{
	unsigned int j;

	for (j = 0; c->progs(t->skel, j); j++)
		bpf_program__set_autoload(*c->progs(t->skel, j), false);
	t->sources[m].source = NULL;
	t->source_names[m][0] = '\0';
}

bool tracer_source_named(int m, const char *name)
{
	return m >= 0 && m < NR_METRICS && source_named((enum metric)m, name);
}

bool source_named(enum metric m, const char *name)
{
	unsigned int i;

	for (i = 0; i < MAX_CHOICES && choices[m][i].kind != SK_UNSET; i++)
		if (!strcmp(choices[m][i].tp[0], name))
			return true;
	return false;
}

#if defined(__aarch64__)
#define BUILT_FOR_ARM64 true
#else
#define BUILT_FOR_ARM64 false
#endif

/* Pick a source for metric m: the first whose tracepoints the kernel has. */
const struct source_choice *source_choose(struct tracer *t, const struct kernel_btf *k, enum metric m,
					  bool prefer_raw, enum source_kind force, const char *force_tp, bool probes,
					  const char *probes_why)
{
	const struct source_choice *c, *pick = NULL;
	struct metric_source *src = &t->sources[m];
	bool forced = force != SK_UNSET || force_tp;
	unsigned int i;

	if (forced)
		snprintf(src->why, sizeof(src->why), "--source %s=%s: not a source of this metric",
			 metric_names[m], force_tp ? force_tp : source_kind_name(force));
	for (i = 0; i < MAX_CHOICES; i++) {
		c = &choices[m][i];
		if (c->kind == SK_UNSET)
			break;
		if (c->arm64 && !BUILT_FOR_ARM64)
			continue;
		if (force != SK_UNSET && c->kind != force)
			continue;
		if (force_tp && strcmp(c->tp[0], force_tp))
			continue;
		if (forced)
			src->why[0] = '\0';	/* the reason will be this source's */
		if (!offered(t, k, m, c, probes, probes_why))
			continue;
		if (!pick)
			pick = c;
		if (prefer_raw && c->kind == SK_RAW_TP)
			pick = c;
	}
	if (pick)
		use(t, m, pick);
	return pick;
}

/* By perf id: libbpf would look the id up in tracefs, which may be mounted
 * only in the private namespace tracepoint_id() used. */
static struct bpf_link *attach_tracepoint(struct bpf_program *p, long id)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr), .config = (__u64)id,
		.sample_period = 1, .wakeup_events = 1,
	};
	struct bpf_link *l;
	int pfd, err;

	/* One event on CPU 0 is enough: the program runs for the tracepoint on
	 * every CPU. */
	pfd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	l = bpf_program__attach_perf_event(p, pfd);
	if (!l) {
		err = errno;
		close(pfd);
		errno = err;
	}
	return l;
}

/* Program j of source c, attached: a perf event for a "tracepoint" source
 * (by the id offered() found), else the attachment its section names. */
static struct bpf_link *attach_one(struct tracer *t, enum metric m, const struct source_choice *c,
				   struct bpf_program *p, unsigned int j)
{
	const char *sec = bpf_program__section_name(p);

	/* A perf event among another kind's programs (faults' KVM_RUN return):
	 * by the id of the tracepoint its section names. */
	if (c->kind != SK_TRACEPOINT && !strncmp(sec, "tracepoint/", 11)) {
		long id = tracepoint_id(sec + 11);

		if (id < 0) {
			errno = (int)-id;
			return NULL;
		}
		return attach_tracepoint(p, id);
	}
	if (c->kind != SK_TRACEPOINT)
		return bpf_program__attach(p);
	if (j >= SOURCE_MAX_TPS) {
		errno = E2BIG;	/* more programs than tracepoint ids: a table error */
		return NULL;
	}
	return attach_tracepoint(p, t->tp_ids[m][j]);
}

int source_attach(struct tracer *t, enum metric m, const struct source_choice *c)
{
	unsigned int j;

	for (j = 0; c->progs(t->skel, j); j++) {
		struct bpf_program *p = *c->progs(t->skel, j);
		struct bpf_link *l;
		int err;

		if (!bpf_program__autoload(p))
			continue;	/* left out on purpose: the waits' ends by default */

		l = attach_one(t, m, c, p, j);
		err = l ? link_list_add(&t->links, l) : -errno;
		if (err) {
			const char *full = l ? " (more links than MAX_LINKS)" : "";

			if (l)	/* a programming error: MAX_LINKS too small */
				bpf_link__destroy(l);
			snprintf(t->sources[m].why, sizeof(t->sources[m].why), "attaching %s: %s%s",
				 bpf_program__section_name(p), strerror(-err), full);
			t->sources[m].source = NULL;
			return err;
		}
	}
	return 0;
}
