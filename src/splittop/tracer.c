// SPDX-License-Identifier: GPL-2.0-only
#include "tracer.h"
#include "splittop.skel.h"
#include "sources.h"
#include "bpf_log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

static void *map_mmap(struct bpf_map *map, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The sources of each metric, best first.  A tp_btf source needs the
 * kernel's BTF for the tracepoint; a raw_tp source only the tracepoint.
 * Each metric's programs are all attached or none.
 */
struct source_choice {
	const char *kind;		/* "tracepoint", "tp_btf" or "raw_tp" */
	const char *tp[4];		/* tracepoints or functions, NULL-terminated */
	struct bpf_program **(*progs)(struct splittop_bpf *s, unsigned int i);
};

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
PROGS(progs_fast_tp, on_fast_page_fault_tp, NULL)
PROGS(progs_fast_btf, on_fast_page_fault, NULL)
PROGS(progs_split, on_split, NULL)
PROGS(progs_split_raw, on_split_raw, NULL)
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
#define MAX_CHOICES 3
static const struct source_choice choices[][MAX_CHOICES] = {
	/* Kprobes on KVM's ioctl handlers never miss one (their programs are
	 * not preempted: bpf/ioctls.bpf.h); the ioctl tracepoints cost
	 * nothing to other syscalls; raw_syscalls runs a program for every
	 * syscall of the host. */
	[M_ATTRIBUTION] = { { "kprobe", { "kvm_vcpu_ioctl", "kvm_vm_ioctl", "kvm_dev_ioctl" }, progs_ioctl_kprobe },
			    { "tracepoint", { "syscalls/sys_enter_ioctl", "syscalls/sys_exit_ioctl" },
			      progs_ioctl_tp },
			    { "tp_btf", { "sys_enter", "sys_exit" }, progs_syscalls } },
	[M_FAULTS] = { { "tp_btf", { "kvm_mmu_spte_requested" }, progs_faults } },
	/* Faults a TDP MMU fixes without its handler proper.  The perf event
	 * first: its program runs with preemption off, where a tp_btf program
	 * misses faults on kernels that preempt the fast path (bpf/faults.bpf.h,
	 * on_fast_page_fault_tp). */
	[M_FAST_FAULTS] = { { "tracepoint", { "kvmmmu/fast_page_fault" }, progs_fast_tp },
			    { "tp_btf", { "fast_page_fault" }, progs_fast_btf } },
	[M_SPLITS] = { { "tp_btf", { "kvm_mmu_split_huge_page" }, progs_split },
		       { "raw_tp", { "kvm_mmu_split_huge_page" }, progs_split_raw } },
	/* The perf events first: a BTF tracepoint's program can be preempted
	 * on a sleeping lock's contention and then miss an mmu_lock wait. */
	[M_LOCK_WAIT] = { { "tracepoint", { "lock/contention_begin", "lock/contention_end" }, progs_lock_tp },
			  { "tp_btf", { "contention_begin", "contention_end" }, progs_lock },
			  { "raw_tp", { "contention_begin", "contention_end" }, progs_lock_raw } },
	/* Function probes.  No kprobe twin for holds: a kprobe on the lock
	 * function would time the wait as well as the hold. */
	[M_LOCK_HOLD] = { { "fentry", { "_raw_read_lock", "_raw_write_lock", "_raw_read_unlock",
					"_raw_write_unlock" }, progs_hold } },
	[M_FAULT_LATENCY] = { { "fentry", { "kvm_mmu_page_fault" }, progs_lat_fentry },
			      { "kprobe", { "kvm_mmu_page_fault" }, progs_lat_kprobe } },
	[M_SPLIT_MMU] = { { "fentry", { "kvm_shadow_mmu_try_split_huge_pages", "kvm_tdp_mmu_try_split_huge_pages" },
			    progs_mmu_fentry },
			  { "kprobe", { "kvm_shadow_mmu_try_split_huge_pages", "kvm_tdp_mmu_try_split_huge_pages" },
			    progs_mmu_kprobe } },
};

static const char *const metric_names[NR_METRICS] = {
	[M_ATTRIBUTION] = "kvm_ioctls", [M_FAULTS] = "faults", [M_FAST_FAULTS] = "fast_faults", [M_SPLITS] = "splits",
	[M_LOCK_WAIT] = "mmu_lock_wait", [M_DLOG_TOGGLE] = "dirty_log_enable_disable",
	[M_CENSUS] = "census", [M_LOCK_HOLD] = "mmu_lock_hold", [M_FAULT_LATENCY] = "fault_latency",
	[M_SPLIT_MMU] = "split_mmu",
};

int tracer_metric_by_name(const char *name)
{
	unsigned int m;

	for (m = 0; m < NR_METRICS; m++)
		if (!strcmp(metric_names[m], name))
			return choices[m][0].kind ? (int)m : -EOPNOTSUPP;
	return -ENOENT;
}

static void set_autoload_all(struct splittop_bpf *s, bool on)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, on);
}

/* Pick a source for metric m: the first whose tracepoints the kernel has. */
static const struct source_choice *choose(struct tracer *t, const struct kernel_btf *k,
					  enum metric m, bool prefer_raw, const char *force,
					  bool probes, const char *probes_why)
{
	const struct source_choice *c, *pick = NULL;
	struct metric_source *src = &t->sources[m];
	unsigned int i, j;

	if (force)
		snprintf(src->why, sizeof(src->why), "--source %s=%s: not a source of this metric",
			 metric_names[m], force);
	for (i = 0; i < MAX_CHOICES; i++) {
		bool ok = true;

		c = &choices[m][i];
		if (!c->kind)
			break;
		if (force && strcmp(c->kind, force))
			continue;
		if (force)
			src->why[0] = '\0';	/* the reason will be this source's */
		if (!strcmp(c->kind, "tp_btf"))
			for (j = 0; j < 2 && c->tp[j]; j++)
				ok &= kernel_has_btf_tracepoint(k, c->tp[j]);
		if (!ok) {
			snprintf(src->why, sizeof(src->why), "no BTF for tracepoint %s", c->tp[0]);
			continue;
		}
		if (!strcmp(c->kind, "fentry")) {
			for (j = 0; j < 4 && c->tp[j] && ok; j++)
				ok = kernel_has_btf_func(k, c->tp[j]);
			if (!ok) {
				snprintf(src->why, sizeof(src->why), "fentry: no BTF for function %s", c->tp[j - 1]);
				continue;
			}
			if (!probes) {
				snprintf(src->why, sizeof(src->why), "%s", probes_why);
				continue;
			}
		}
		if (!strcmp(c->kind, "kprobe")) {
			for (j = 0; j < 4 && c->tp[j] && ok; j++)
				ok = kernel_has_btf_func(k, c->tp[j]);
			if (!ok) {
				snprintf(src->why, sizeof(src->why), "kprobe: no function %s", c->tp[j - 1]);
				continue;
			}
			if (!kernel_has_kprobes()) {
				size_t n = strlen(src->why);

				/* Append to the fentry reason, if any. */
				snprintf(src->why + n, sizeof(src->why) - n, "%skprobes: not in this kernel",
					 n ? "; " : "");
				continue;
			}
			if (!probes) {
				snprintf(src->why, sizeof(src->why), "%s", probes_why);
				continue;
			}
		}
		if (!strcmp(c->kind, "tracepoint")) {
			for (j = 0; j < 2 && c->tp[j] && ok; j++) {
				long id = tracepoint_id(c->tp[j]);

				ok = id > 0;
				t->tp_ids[m][j] = id;
				if (!ok)
					snprintf(src->why, sizeof(src->why), "tracepoint %s: %s",
						 c->tp[j], strerror((int)-id));
			}
			if (!ok)
				continue;
		}
		if (!pick)
			pick = c;
		if (prefer_raw && !strcmp(c->kind, "raw_tp"))
			pick = c;
	}
	if (pick) {
		for (j = 0; pick->progs(t->skel, j); j++)
			bpf_program__set_autoload(*pick->progs(t->skel, j), true);
		int n = snprintf(t->source_names[m], sizeof(t->source_names[m]), "%s/%s", pick->kind,
				 pick->tp[0]);

		for (j = 1; j < 4 && pick->tp[j] && n < (int)sizeof(t->source_names[m]); j++)
			if (strcmp(pick->tp[j], pick->tp[j - 1]))
				n += snprintf(t->source_names[m] + n, sizeof(t->source_names[m]) - n, ",%s",
					      pick->tp[j]);
		src->source = t->source_names[m];
		src->why[0] = '\0';
	}
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

static int attach(struct tracer *t, enum metric m, const struct source_choice *c)
{
	unsigned int j;

	for (j = 0; c->progs(t->skel, j); j++) {
		struct bpf_program *p = *c->progs(t->skel, j);
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;	/* left out on purpose: the waits' ends by default */

		if (!strcmp(c->kind, "tracepoint"))
			l = attach_tracepoint(p, t->tp_ids[m][j]);
		else
			l = bpf_program__attach(p);
		if (l && t->nlinks == sizeof(t->links) / sizeof(t->links[0])) {
			bpf_link__destroy(l);
			l = NULL;
			errno = ENOSPC;	/* a programming error: links[] too small */
		}
		if (!l) {
			int err = -errno;

			snprintf(t->sources[m].why, sizeof(t->sources[m].why), "attaching %s: %s",
				 bpf_program__section_name(p), strerror(errno));
			t->sources[m].source = NULL;
			return err;
		}
		t->links[t->nlinks++] = l;
	}
	return 0;
}

/* Open the skeleton, pick each metric's source and load what was picked.
 * probes: whether function probes may be tried (a kernel that refuses them
 * fails the whole load: the caller retries without). */
static int open_and_load(struct tracer *t, const struct tracer_opts *o, const struct kernel_btf *k,
			 const struct source_choice **picked, bool probes, const char *probes_why)
{
	struct splittop_bpf *s;
	unsigned int m;
	int err, ncpus;

	s = splittop_bpf__open();
	if (!s) {
		err = -errno;
		fprintf(stderr, "splittop: opening the BPF object: %s\n", strerror(errno));
		return err;
	}
	t->skel = s;
	t->tdp_demotions = false;
	s->rodata->ioctl_nr = SYS_ioctl;
	s->rodata->max_vms = o->max_vms;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1 || ncpus > ST_MAX_CPUS) {
		fprintf(stderr, "splittop: %d possible CPUs: expected 1..%d\n", ncpus, ST_MAX_CPUS);
		return -EINVAL;
	}
	s->rodata->nr_cpus = ncpus;
	bpf_map__set_max_entries(s->maps.vm_index, o->max_vms);
	bpf_map__set_max_entries(s->maps.vm_slots, o->max_vms);
	bpf_map__set_max_entries(s->maps.vm_stats, o->max_vms);
	bpf_map__set_max_entries(s->maps.vcpu_stats, o->max_vcpus);
	bpf_map__set_max_entries(s->maps.vcpu_index, o->max_vcpus);
	bpf_map__set_max_entries(s->maps.free_vcpu_slots, o->max_vcpus);
	bpf_map__set_max_entries(s->maps.vcpu_threads, o->max_vcpus);
	/* Read without a syscall per entry each interval. */
	bpf_map__set_map_flags(s->maps.vm_slots, BPF_F_MMAPABLE);
	bpf_map__set_map_flags(s->maps.vm_stats, BPF_F_MMAPABLE);
	bpf_map__set_map_flags(s->maps.vcpu_stats, BPF_F_MMAPABLE);

	/* Only the chosen programs are loaded: a program for a tracepoint this
	 * kernel lacks would fail the whole load. */
	set_autoload_all(s, false);
	bpf_program__set_autoload(s->progs.census, true);
	bpf_program__set_autoload(s->progs.reap_vm, true);
	for (m = 0; m < NR_METRICS; m++) {
		t->sources[m].source = NULL;
		t->sources[m].why[0] = '\0';
		picked[m] = NULL;
		if (!choices[m][0].kind)
			continue;
		if (o->force[m] && !strcmp(o->force[m], "none")) {
			snprintf(t->sources[m].why, sizeof(t->sources[m].why), "turned off (--source %s=none)",
				 metric_names[m]);
			continue;
		}
		/* Fast faults are faults: counted with the others or not at all. */
		if (m == M_FAST_FAULTS && o->force[M_FAULTS] && !strcmp(o->force[M_FAULTS], "none")) {
			snprintf(t->sources[m].why, sizeof(t->sources[m].why), "turned off with faults (--source faults=none)");
			continue;
		}
		picked[m] = choose(t, k, m, o->raw_tracepoints, o->force[m], probes, probes_why);
		if (o->force[m] && !picked[m]) {
			/* Asked for by name: no silent fallback. */
			fprintf(stderr, "splittop: %s\n", t->sources[m].why);
			return -ENOENT;
		}
	}
	/* Faults may be turned off; what they need cannot be missing silently. */
	for (m = M_ATTRIBUTION; m <= M_FAST_FAULTS; m++) {
		if (picked[m] || (o->force[m] && !strcmp(o->force[m], "none")) ||
		    (m == M_FAST_FAULTS && !picked[M_FAULTS]))
			continue;
		fprintf(stderr, "splittop: the kernel lacks tracepoints splittop needs: %s\n",
			t->sources[m].why);
		return -ENOENT;
	}
	{
		long fixed, spurious;

		if (kernel_enum_value(k, "RET_PF_FIXED", &fixed) &&
		    kernel_enum_value(k, "RET_PF_SPURIOUS", &spurious)) {
			s->rodata->ret_pf_fixed = (int)fixed;
			s->rodata->ret_pf_spurious = (int)spurious;
		}
		/* On a TDP MMU, a fault that zaps a huge mapping to map 4K is a
		 * demotion the rmaps cannot foresee: watch the SPTE change. */
		if (!strcmp(t->host.mmu, "tdp") && kernel_has_btf_tracepoint(k, "kvm_tdp_mmu_spte_changed")) {
			bpf_program__set_autoload(s->progs.on_tdp_spte_changed, true);
			t->tdp_demotions = true;
			snprintf(t->source_names[M_FAULTS] + strlen(t->source_names[M_FAULTS]),
				 sizeof(t->source_names[M_FAULTS]) - strlen(t->source_names[M_FAULTS]),
				 ",kvm_tdp_mmu_spte_changed");
		}
	}
	/* contention_end runs with mmu_lock taken, on the critical path of every
	 * vCPU behind it: by default a vCPU's wait ends at its fault's
	 * spte_requested instead, which runs there anyway (bpf/mmu_lock.bpf.h,
	 * lock_pending).  Without fault programs nothing would end it. */
	t->exact_waits = o->exact_waits || !picked[M_FAULTS];
	s->rodata->exact_waits = t->exact_waits;
	s->rodata->wait_sample = o->wait_sample ? o->wait_sample : 1;
	if (picked[M_LOCK_WAIT] && !t->exact_waits) {
		bpf_program__set_autoload(*picked[M_LOCK_WAIT]->progs(s, 1), false);
		snprintf(t->source_names[M_LOCK_WAIT], sizeof(t->source_names[M_LOCK_WAIT]),
			 "%s/%s,kvm_mmu_spte_requested", picked[M_LOCK_WAIT]->kind, picked[M_LOCK_WAIT]->tp[0]);
	}
	if (kernel_has_member(k, "kvm", "nr_memslots_dirty_logging"))
		t->sources[M_DLOG_TOGGLE].source = "kvm->nr_memslots_dirty_logging around memslot ioctls";
	else
		t->sources[M_DLOG_TOGGLE].source = "memslot flags: KVM's before, the ioctl's argument after";
	t->sources[M_CENSUS].source = "iter/task_file";
	return splittop_bpf__load(s);
}

/* The program the kernel refused in the last load, by libbpf's word. */
static const struct bpf_program *refused_program(const struct splittop_bpf *s)
{
	const char *name = bpf_log_refused();

	return s && name[0] ? bpf_object__find_program_by_name(s->obj, name) : NULL;
}

static bool is_function_probe(const struct bpf_program *p)
{
	static const char *const kinds[] = { "fentry/", "fexit/", "kprobe/", "kretprobe/" };
	const char *sec = bpf_program__section_name(p);
	unsigned int i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(sec, kinds[i], strlen(kinds[i])))
			return true;
	return false;
}

/* A kernel that does not allow function probes says EPERM (or that it does
 * not support them); anything else is its verifier rejecting our program,
 * which the user should hear about as such. */
static void probes_refused_why(char *why, size_t len, const struct bpf_program *p, int err)
{
	if (err == -EPERM || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */)
		snprintf(why, len, "function probes refused by this kernel (loading them: %s)", strerror(-err));
	else
		snprintf(why, len, "function probe %s rejected by this kernel's verifier (%s; -v shows why)",
			 bpf_program__name(p), strerror(-err));
}

static void adopt_running_vcpus(struct tracer *t);

int tracer_open(struct tracer *t, const struct tracer_opts *o)
{
	const struct source_choice *picked[NR_METRICS] = { 0 };
	const struct bpf_program *refused;
	struct kernel_btf k = { 0 };
	struct splittop_bpf *s;
	unsigned int m;
	int err;

	memset(t, 0, sizeof(*t));
	t->max_vms = o->max_vms;
	t->max_vcpus = o->max_vcpus;
	for (m = 0; m < NR_METRICS; m++)
		t->sources[m].metric = metric_names[m];
	host_info_read(&t->host);
	err = kernel_btf_load(&k);
	if (err) {
		fprintf(stderr, "splittop: reading the kernel's BTF: %s\n", strerror(-err));
		return err;
	}
	bpf_log_reset();
	err = open_and_load(t, o, &k, picked, true, "");
	refused = refused_program(t->skel);
	if (err && err != -ENOENT && refused && is_function_probe(refused)) {
		/* Go on without function probes, and say why they are missing. */
		char why[160];

		probes_refused_why(why, sizeof(why), refused, err);
		splittop_bpf__destroy(t->skel);
		t->skel = NULL;
		bpf_log_reset();
		err = open_and_load(t, o, &k, picked, false, why);
		refused = refused_program(t->skel);
	}
	if (err) {
		if (err != -ENOENT && refused)
			fprintf(stderr, "splittop: loading BPF program %s (%s): %s; -v shows the verifier's log\n",
				bpf_program__name(refused), bpf_program__section_name(refused), strerror(-err));
		else if (err != -ENOENT)
			fprintf(stderr, "splittop: loading BPF programs: %s\n", strerror(-err));
		goto out;
	}
	s = t->skel;
	/* Every vCPU slot starts free, before any program can take one. */
	for (m = 0; m < o->max_vcpus; m++) {
		uint32_t slot = m;

		if (bpf_map_update_elem(bpf_map__fd(s->maps.free_vcpu_slots), NULL, &slot, BPF_ANY)) {
			err = -errno;
			fprintf(stderr, "splittop: filling the free vCPU slots: %s\n", strerror(errno));
			goto out;
		}
	}
	for (m = 0; m < NR_METRICS; m++) {
		/* Before the first fault program, or in its place when faults are off:
		 * splits in a running vCPU's fault path need it too. */
		if (m == M_FAULTS)
			adopt_running_vcpus(t);
		if (!picked[m])
			continue;
		err = attach(t, m, picked[m]);
		if (err && m <= M_FAST_FAULTS) {
			fprintf(stderr, "splittop: %s\n", t->sources[m].why);
			goto out;
		}
		err = 0;
	}
	if (t->tdp_demotions) {
		struct bpf_link *l = bpf_program__attach(s->progs.on_tdp_spte_changed);

		if (!l) {
			err = -errno;
			fprintf(stderr, "splittop: attaching tp_btf/kvm_tdp_mmu_spte_changed: %s\n", strerror(errno));
			goto out;
		}
		t->links[t->nlinks++] = l;
	}
	t->avail = (struct avail){
		.faults = t->sources[M_FAULTS].source, .splits = t->sources[M_SPLITS].source,
		.lock_wait = t->sources[M_LOCK_WAIT].source, .dlog = t->sources[M_ATTRIBUTION].source,
		.dlog_toggle = t->sources[M_DLOG_TOGGLE].source,
		.lock_hold = t->sources[M_LOCK_HOLD].source, .fault_latency = t->sources[M_FAULT_LATENCY].source,
		.split_mmu = t->sources[M_SPLIT_MMU].source && t->sources[M_SPLITS].source,
	};

	t->slot_map_len = page_round(sizeof(struct vm_slot) * o->max_vms);
	t->vm_map_len = page_round(sizeof(struct vm_stats) * o->max_vms);
	t->vcpu_map_len = page_round(sizeof(struct vcpu_stats) * o->max_vcpus);
	t->slot_map = map_mmap(s->maps.vm_slots, t->slot_map_len);
	t->vm_map = map_mmap(s->maps.vm_stats, t->vm_map_len);
	t->vcpu_map = map_mmap(s->maps.vcpu_stats, t->vcpu_map_len);
	t->vslot_head = calloc(o->max_vms, sizeof(*t->vslot_head));
	t->vslot_next = calloc(o->max_vcpus, sizeof(*t->vslot_next));
	if (!t->slot_map || !t->vm_map || !t->vcpu_map || !t->vslot_head || !t->vslot_next) {
		fprintf(stderr, "splittop: mapping BPF maps: %s\n", strerror(errno));
		err = -ENOMEM;
		goto out;
	}

out:
	kernel_btf_free(&k);
	return err;
}

void tracer_close(struct tracer *t)
{
	if (t->slot_map)
		munmap(t->slot_map, t->slot_map_len);
	if (t->vcpu_map)
		munmap(t->vcpu_map, t->vcpu_map_len);
	if (t->vm_map)
		munmap(t->vm_map, t->vm_map_len);
	free(t->vslot_head);
	free(t->vslot_next);
	while (t->nlinks)
		bpf_link__destroy(t->links[--t->nlinks]);
	/* Destroying the skeleton closes every program and map. */
	splittop_bpf__destroy(t->skel);
	vm_table_free(&t->vms);
	memset(t, 0, sizeof(*t));
}

void tracer_self(const struct tracer *t, struct self_stats *out)
{
	struct bpf_program *p;

	*out = t->skel->bss->self;
	out->missed_events = out->missed_probe_events = 0;
	bpf_object__for_each_program(p, t->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		if (is_function_probe(p))
			out->missed_probe_events += info.recursion_misses;
		else
			out->missed_events += info.recursion_misses;
	}
}

/* ---- census ------------------------------------------------------------- */

struct census {
	struct vm_census *recs;
	unsigned int n, cap;
};

static int census_add(struct census *c, const struct vm_census *r)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)	/* threads share files: one record per VM */
		if (c->recs[i].kvm == r->kvm)
			return 0;
	if (c->n == c->cap) {
		unsigned int cap = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->recs, cap * sizeof(*r));

		if (!p)
			return -ENOMEM;
		c->recs = p;
		c->cap = cap;
	}
	c->recs[c->n++] = *r;
	return 0;
}

/* Run the task_file iterator over one process (pid > 0) or all of them. */
static int census_run(struct tracer *t, uint32_t pid, struct census *c)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};
	struct bpf_link *link;
	struct vm_census rec;
	size_t have = 0;
	int fd, err = 0;
	ssize_t n;

	if (pid) {
		linfo.task.pid = pid;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
	}
	link = bpf_program__attach_iter(t->skel->progs.census, &opts);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		n = read(fd, (char *)&rec + have, sizeof(rec) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err = -errno;
			break;
		}
		have += n;
		if (have == sizeof(rec)) {
			err = census_add(c, &rec);
			if (err)
				break;
			have = 0;
		}
	}
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

/* Before faults are counted: a census registers the VMs that already run and
 * tells BPF which thread runs each of their vCPUs, so that a vCPU already in
 * the guest is counted from its first fault (there is no KVM_RUN to see). */
static void adopt_running_vcpus(struct tracer *t)
{
	struct census c = { 0 };
	int err = census_run(t, 0, &c);

	if (err)
		fprintf(stderr, "splittop: the first VM census: %s (running vCPUs are counted from their next KVM_RUN)\n",
			strerror(-err));
	free(c.recs);
}


/* ---- sampling --------------------------------------------------------------- */

/* Copy n u64 counters that BPF updates meanwhile. */
static void load_u64s(__u64 *dst, const __u64 *src, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		dst[k] = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
}

static void add_u64s(__u64 *dst, const __u64 *src, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
}

/* The longest wait of the closed interval, and the longest holds so far. */
static void read_max(const struct lock_max *m, uint64_t epoch, uint64_t *wait_max, uint64_t *hold_max)
{
	unsigned int k;
	uint64_t v;

	if (__atomic_load_n(&m->lock_wait_max_epoch[epoch & 1], __ATOMIC_RELAXED) == epoch) {
		v = __atomic_load_n(&m->lock_wait_max_ns[epoch & 1], __ATOMIC_RELAXED);
		if (v > *wait_max)
			*wait_max = v;
	}
	for (k = 0; k < MMU_LOCK_MODES; k++) {
		v = __atomic_load_n(&m->hold_max_ns[k], __ATOMIC_RELAXED);
		if (v > hold_max[k])
			hold_max[k] = v;
	}
}

/* Which vCPU slots each VM slot owns now: one pass over the slots' owners. */
static void index_vcpu_slots(struct tracer *t)
{
	uint32_t i;

	for (i = 0; i < t->max_vms; i++)
		t->vslot_head[i] = ST_NO_SLOT;
	for (i = 0; i < t->max_vcpus; i++) {
		const struct vcpu_stats *v = &t->vcpu_map[i];
		uint32_t idx;

		if (!__atomic_load_n(&v->owner_seq, __ATOMIC_ACQUIRE))
			continue;
		idx = __atomic_load_n(&v->owner_idx, __ATOMIC_RELAXED);
		if (idx >= t->max_vms)
			continue;
		t->vslot_next[i] = t->vslot_head[idx];
		t->vslot_head[idx] = i;
	}
}

/* A VM's counters: its own entry (struct vm_stats as it is: a counter added
 * to the contract needs no code here) plus what each of its vCPUs counted in
 * its slot; per-vCPU rows from the slots; maxima apart. */
static void read_counters(struct tracer *t, uint32_t idx, struct vm_entry *e, uint64_t epoch,
			  uint64_t *wait_max)
{
	const struct vm_stats *st = &t->vm_map[idx];
	struct vm_counters *c = &e->now;
	struct vcpu_counts spare;
	unsigned int k, b;
	uint32_t i;

	memset(c, 0, sizeof(*c));
	*wait_max = 0;
	load_u64s((__u64 *)&c->vm, (const __u64 *)st, sizeof(*st) / sizeof(uint64_t));
	/* Maxima are not counters: keep them out of the deltas. */
	memset(&c->vm.max, 0, sizeof(c->vm.max));
	read_max(&st->max, epoch, wait_max, e->hold_max_run_ns);
	for (k = 0; k < FAULT_CLASSES; k++)
		c->faults[k] = c->vm.faults_unslotted[k];
	for (k = 0; k < SPLIT_SIZES; k++)
		c->demotions[k] = c->vm.demotions_unslotted[k];
	for (i = t->vslot_head[idx]; i != ST_NO_SLOT; i = t->vslot_next[i]) {
		const struct vcpu_stats *vs = &t->vcpu_map[i];
		uint32_t v = __atomic_load_n(&vs->vcpu, __ATOMIC_RELAXED);
		struct vcpu_counts *o;
		__u64 hist[ST_HIST_BUCKETS];

		if (__atomic_load_n(&vs->owner_seq, __ATOMIC_RELAXED) != e->seq)
			continue;	/* a slot taken and given back since the index */
		if (v >= VCPU_ROWS_LIMIT || vcpu_rows_reserve(&e->vcpus, v + 1)) {
			o = &spare;	/* no memory for its row: the VM's totals still count it */
			memset(o, 0, sizeof(*o));
		} else {
			o = &e->vcpus.now[v];
		}
		add_u64s(o->faults, vs->faults, FAULT_CLASSES);
		add_u64s(c->faults, vs->faults, FAULT_CLASSES);
		add_u64s(o->demotions, vs->demotions, SPLIT_SIZES);
		add_u64s(c->demotions, vs->demotions, SPLIT_SIZES);
		add_u64s((__u64 *)&c->vm.hot, (const __u64 *)&vs->hot, sizeof(vs->hot) / sizeof(uint64_t));
		read_max(&vs->max, epoch, wait_max, e->hold_max_run_ns);
		/* The row's latency: [2^(b+8), 2^(b+9)) in bucket b, the ends folded in. */
		load_u64s(hist, vs->hot.fault_lat_hist, ST_HIST_BUCKETS);
		for (b = 0; b < ST_HIST_BUCKETS; b++)
			o->lat_hist[b < 8 ? 0 : b - 8 < ST_VCPU_LAT_BUCKETS ? b - 8 : ST_VCPU_LAT_BUCKETS - 1] += hist[b];
		o->lat_count += __atomic_load_n(&vs->hot.fault_lat_count, __ATOMIC_RELAXED);
		o->lat_ns += __atomic_load_n(&vs->hot.fault_lat_ns, __ATOMIC_RELAXED);
	}
}

/* The VM is gone and its last counts are read: give its vCPU slots and its
 * slot back.  The maps' entries go from BPF (reap_vm, run once here): no
 * map syscall of ours while programs are attached (bpf/vm_table.bpf.h). */
static void free_slot(struct tracer *t, uint32_t idx)
{
	struct vm_slot *s = &t->slot_map[idx];
	__u64 args[1] = { idx };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = args, .ctx_size_in = sizeof(args));
	uint32_t i, want = 0;

	for (i = t->vslot_head[idx]; i != ST_NO_SLOT; i = t->vslot_next[i]) {
		struct vcpu_stats *vs = &t->vcpu_map[i];

		if (vs->owner_seq != s->seq)
			continue;
		/* Its owner stays for reap_vm to find; the counters start afresh. */
		memset(&vs->faults, 0, sizeof(*vs) - offsetof(struct vcpu_stats, faults));
		want++;
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.reap_vm), &run))
		fprintf(stderr, "splittop: giving VM slot %u back: %s\n", idx, strerror(errno));
	else if (run.retval != want)
		fprintf(stderr, "splittop: giving VM slot %u back: %u of its %u vCPU slots freed\n", idx,
			run.retval, want);
	t->vslot_head[idx] = ST_NO_SLOT;
	memset(&t->vm_map[idx], 0, sizeof(t->vm_map[idx]));
	/* Everything but kvm first: the slot is free once kvm is 0. */
	memset((char *)s + sizeof(s->kvm), 0, sizeof(*s) - sizeof(s->kvm));
	__atomic_store_n(&s->kvm, 0, __ATOMIC_RELEASE);
}

/* A registered VM's slot: claimed (kvm) and published (live) by BPF. */
static bool slot_in_use(const struct vm_slot *s)
{
	return __atomic_load_n(&s->live, __ATOMIC_ACQUIRE) && __atomic_load_n(&s->kvm, __ATOMIC_ACQUIRE);
}

static bool process_alive(uint32_t pid)
{
	return !(kill((pid_t)pid, 0) && errno == ESRCH);
}

/* Name a new VM from its VMM's whole command line while the process lives
 * (libvirt's run to several KB); from BPF's copy of its first 256 bytes
 * (taken when the VM was registered) for a VMM already gone. */
static void name_vm(struct tracer *t, struct vm_entry *e, const struct vm_slot *s)
{
	static char buf[65536];
	char path[64];
	ssize_t len = -1, n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		for (len = 0; len < (ssize_t)sizeof(buf); len += n) {
			n = read(fd, buf + len, sizeof(buf) - len);
			if (n <= 0)
				break;
		}
		close(fd);
	}
	/* A process that is not the VMM BPF saw (its pid reused) does not
	 * start with the same bytes. */
	if (s->cmdline_len && s->cmdline_len <= sizeof(s->cmdline) &&
	    (len < (ssize_t)s->cmdline_len || memcmp(buf, s->cmdline, s->cmdline_len))) {
		len = s->cmdline_len;
		memcpy(buf, s->cmdline, len);
	}
	vm_table_name(&t->vms, e, buf, len);
}

/* hw_tdp: KVM uses EPT/NPT, so that its only indirect shadow pages are those
 * that shadow a nested guest's page tables (on a shadow-paging host every
 * VM has them: there it cannot tell). */
static void set_gauges(struct vm_entry *e, const struct vm_census *r, bool hw_tdp)
{
	e->gauges.vcpus = r->online_vcpus;
	e->gauges.mem_pages = r->mem_pages;
	e->gauges.memslots_dirty = r->memslots_dirty;
	memcpy(e->gauges.pages, r->pages, sizeof(e->gauges.pages));
	e->gauges.nested = hw_tdp ? r->indirect_sps > 0 : -1;
}

/* Census of the processes that own a VM slot now (every process the first
 * time: VMs that ran before splittop started).  Marks the entries whose slot
 * existed before it: only they can be found missing from it.  0 or -errno. */
static int census_of_slots(struct tracer *t, struct census *c)
{
	uint64_t pids[64];
	unsigned int npids = 0, i, j;
	bool full = !t->scanned_all;
	int err = 0;

	for (i = 0; i < t->max_vms; i++) {
		struct vm_slot *s = &t->slot_map[i];
		struct vm_entry *e;

		if (!slot_in_use(s))
			continue;
		e = vm_table_get(&t->vms, s->seq, s->kvm, i, s->tgid);
		if (!e)
			return -ENOMEM;
		e->pre_census = true;
		for (j = 0; j < npids && pids[j] != s->tgid; j++)
			;
		if (j < npids)
			continue;
		if (npids < sizeof(pids) / sizeof(pids[0]))
			pids[npids++] = s->tgid;
		else
			full = true;	/* more VMMs than one scan each: scan all at once */
	}
	if (full) {
		err = census_run(t, 0, c);
		t->scanned_all = !err;
		return err;
	}
	for (j = 0; j < npids && !err; j++) {
		err = census_run(t, pids[j], c);
		if (err == -ESRCH || err == -ENOENT)	/* the process is gone */
			err = 0;
	}
	return err;
}

/* One VM slot's sample: gauges from the census (or the VM's last dirty-log
 * operation), counters from the maps; a VM that is gone gives its slot back. */
static int sample_slot(struct tracer *t, uint32_t i, const struct census *c, uint64_t epoch)
{
	struct vm_slot *s = &t->slot_map[i];
	struct vm_entry *e;
	uint64_t wait_max;
	bool in_census = false;
	bool hw_tdp = !strcmp(t->host.mmu, "tdp") || !strcmp(t->host.mmu, "legacy-tdp");
	unsigned int j;

	e = vm_table_get(&t->vms, s->seq, s->kvm, i, s->tgid);
	if (!e)
		return -ENOMEM;
	if (!e->name[0])
		name_vm(t, e, s);
	e->reported = false;
	/* A retired slot's address now belongs to a new VM: a census record
	 * for it is the new VM's, not this one's. */
	for (j = 0; j < c->n && !s->dead; j++) {
		if (c->recs[j].kvm != s->kvm)
			continue;
		in_census = true;
		set_gauges(e, &c->recs[j], hw_tdp);
	}
	/* Not seen alive by any census: its last dirty-log operation's view. */
	if (!in_census && s->snap.kvm == s->kvm)
		set_gauges(e, &s->snap, hw_tdp);
	vm_entry_advance(e);
	read_counters(t, i, e, epoch, &wait_max);
	e->gauges.lock_wait_max_ns = wait_max;
	memcpy(e->gauges.dlog_last_ns, s->dlog_last_ns, sizeof(e->gauges.dlog_last_ns));
	memcpy(e->gauges.dlog_last_splits, s->dlog_last_splits, sizeof(e->gauges.dlog_last_splits));
	if (wait_max > e->lock_wait_max_run_ns)
		e->lock_wait_max_run_ns = wait_max;
	/* Only a VM whose slot existed before the census ran can be missing
	 * from it: one registered meanwhile may simply not have been seen. */
	if (s->dead || (!in_census && e->pre_census)) {
		e->alive = false;
		free_slot(t, i);
	}
	return 0;
}

int tracer_sample(struct tracer *t)
{
	struct census c = { 0 };
	uint64_t epoch;
	unsigned int i;
	int err;

	err = vm_table_spill(&t->vms, process_alive);
	if (err) {
		fprintf(stderr, "splittop: keeping finished VMs aside: %s\n", strerror(-err));
		return err;
	}
	/* Close the interval: BPF starts the next max-wait slot now. */
	epoch = __atomic_fetch_add(&t->skel->bss->epoch, 1, __ATOMIC_SEQ_CST);
	err = census_of_slots(t, &c);
	if (err) {
		fprintf(stderr, "splittop: reading the VM census: %s\n", strerror(-err));
		free(c.recs);
		return err;
	}
	index_vcpu_slots(t);
	for (i = 0; i < t->max_vms && !err; i++)
		if (slot_in_use(&t->slot_map[i]))
			err = sample_slot(t, i, &c, epoch);
	if (err)
		fprintf(stderr, "splittop: sampling VM slot %u: %s\n", i - 1, strerror(-err));
	free(c.recs);
	return err;
}
