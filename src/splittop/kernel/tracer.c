// SPDX-License-Identifier: GPL-2.0-only
#include "tracer.h"
#include "common/clock.h"
#include "splittop.skel.h"
#include "kernel_probe.h"
#include "bpf_log.h"
#include "census.h"
#include "source_choice.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

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

static void set_autoload_all(struct splittop_bpf *s, bool on)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, on);
}

static void size_maps(struct splittop_bpf *s, const struct tracer_opts *o)
{
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
}

/* Each metric's source (picked[m], NULL: none), or -ENOENT after one
 * message where a source asked for by name, or one splittop needs, is
 * missing. */
static int pick_sources(struct tracer *t, const struct tracer_opts *o, const struct kernel_btf *k,
			const struct source_choice **picked, bool probes, const char *probes_why)
{
	unsigned int m;

	for (m = 0; m < NR_METRICS; m++) {
		t->sources[m].source = NULL;
		t->sources[m].why[0] = '\0';
		picked[m] = NULL;
		if (choices[m][0].kind == SK_UNSET)
			continue;
		if (o->force[m] == SK_OFF) {
			snprintf(t->sources[m].why, sizeof(t->sources[m].why), "turned off (--source %s=none)",
				 metric_names[m]);
			continue;
		}
		/* Fast faults are faults: counted with the others or not at all. */
		if (m == M_FAST_FAULTS && o->force[M_FAULTS] == SK_OFF) {
			snprintf(t->sources[m].why, sizeof(t->sources[m].why), "turned off with faults (--source faults=none)");
			continue;
		}
		if (m == M_FAST_FAULTS && picked[M_FAULTS] && picked[M_FAULTS]->all_faults) {
			snprintf(t->sources[m].why, sizeof(t->sources[m].why), "%s sees every fault: no fast path apart",
				 picked[M_FAULTS]->tp[0]);
			continue;
		}
		picked[m] = source_choose(t, k, m, o->raw_tracepoints, o->force[m], o->force_tp[m], probes,
					  probes_why);
		if (picked[m] && metric_opt_in[m] && o->force[m] == SK_UNSET && !o->force_tp[m]) {
			snprintf(t->sources[m].why, sizeof(t->sources[m].why),
				 "off by default: %s (--source %s=%s)", metric_opt_in[m],
				 metric_names[m], source_kind_name(picked[m]->kind));
			source_unuse(t, m, picked[m]);
			picked[m] = NULL;
			continue;
		}
		if ((o->force[m] != SK_UNSET || o->force_tp[m]) && !picked[m]) {
			/* Asked for by name: no silent fallback. */
			fprintf(stderr, "splittop: %s\n", t->sources[m].why);
			return -ENOENT;
		}
	}
	/* Faults may be turned off; what they need cannot be missing silently. */
	for (m = M_ATTRIBUTION; m <= M_FAST_FAULTS; m++) {
		if (picked[m] || o->force[m] == SK_OFF ||
		    (m == M_FAST_FAULTS && (!picked[M_FAULTS] || picked[M_FAULTS]->all_faults)))
			continue;
		fprintf(stderr, "splittop: the kernel lacks tracepoints splittop needs: %s\n",
			t->sources[m].why);
		return -ENOENT;
	}
	return 0;
}

/* What the fault programs learn from this kernel: KVM's fault return codes,
 * and on a TDP MMU the SPTE changes that tell a demotion. */
static void set_fault_path(struct tracer *t, const struct kernel_btf *k, struct splittop_bpf *s)
{
	long fixed, spurious;

	if (kernel_enum_value(k, "RET_PF_FIXED", &fixed) &&
	    kernel_enum_value(k, "RET_PF_SPURIOUS", &spurious)) {
		s->rodata->ret_pf_fixed = (int)fixed;
		s->rodata->ret_pf_spurious = (int)spurious;
	}
	/* kvm_mmu_page_fault's sources take their new tables from this too. */
	if (bpf_program__autoload(s->progs.on_fault_enter) || bpf_program__autoload(s->progs.on_fault_enter_kp))
		snprintf(t->source_names[M_FAULTS] + strlen(t->source_names[M_FAULTS]),
			 sizeof(t->source_names[M_FAULTS]) - strlen(t->source_names[M_FAULTS]),
			 ",kvm_mmu_get_page,kvm_userspace_exit");
	/* On a TDP MMU, a fault that zaps a huge mapping to map 4K is a
	 * demotion the rmaps cannot foresee: watch the SPTE change (the
	 * in-lock source). */
	if (t->host.mmu == HOST_MMU_TDP && kernel_has_btf_tracepoint(k, "kvm_tdp_mmu_spte_changed") &&
	    bpf_program__autoload(s->progs.on_spte_requested)) {
		bpf_program__set_autoload(s->progs.on_tdp_spte_changed, true);
		t->tdp_demotions = true;
		snprintf(t->source_names[M_FAULTS] + strlen(t->source_names[M_FAULTS]),
			 sizeof(t->source_names[M_FAULTS]) - strlen(t->source_names[M_FAULTS]),
			 ",kvm_tdp_mmu_spte_changed");
	}
}

static void set_wait_timing(struct tracer *t, const struct tracer_opts *o, const struct source_choice **picked,
			    struct splittop_bpf *s)
{
	/* contention_end runs with mmu_lock taken, on the critical path of every
	 * vCPU behind it: by default a vCPU's wait ends at its fault's
	 * spte_requested instead, which runs there anyway (bpf/mmu_lock.bpf.h,
	 * lock_pending).  Without fault programs nothing would end it. */
	bool spte = picked[M_FAULTS] && *picked[M_FAULTS]->progs(s, 0) == s->progs.on_spte_requested;

	/* Faults counted outside the lock end no wait: contention_end times
	 * every one, exactly; it runs where a wait ends, not per fault. */
	t->exact_waits = o->exact_waits || !spte;
	s->rodata->exact_waits = t->exact_waits;
	s->rodata->faults_outside = picked[M_FAULTS] && !spte;
	s->rodata->wait_sample = o->wait_sample ? o->wait_sample : 1;
	if (picked[M_LOCK_WAIT] && !t->exact_waits) {
		char sampled[32] = "";

		bpf_program__set_autoload(*picked[M_LOCK_WAIT]->progs(s, 1), false);
		/* Said where the source is shown, and read back by the live view
		 * (wait_sampled_of): the total is then an estimate. */
		if (s->rodata->wait_sample > 1)
			snprintf(sampled, sizeof(sampled), WAIT_SAMPLED_FMT, s->rodata->wait_sample);
		snprintf(t->source_names[M_LOCK_WAIT], sizeof(t->source_names[M_LOCK_WAIT]),
			 "%s/%s,kvm_mmu_spte_requested%s", source_kind_name(picked[M_LOCK_WAIT]->kind),
			 picked[M_LOCK_WAIT]->tp[0], sampled);
	}
}

/* Open the skeleton, pick each metric's source and load what was picked.
 * probes: whether function probes may be tried (a kernel that refuses them
 * fails the whole load: the caller retries without). */
static int open_and_load(struct tracer *t, const struct tracer_opts *o, const struct kernel_btf *k,
			 const struct source_choice **picked, bool probes, const char *probes_why)
{
	struct splittop_bpf *s;
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
	s->rodata->max_vcpus = o->max_vcpus;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 1 || ncpus > ST_MAX_CPUS) {
		fprintf(stderr, "splittop: %d possible CPUs: expected 1..%d\n", ncpus, ST_MAX_CPUS);
		return -EINVAL;
	}
	s->rodata->nr_cpus = ncpus;
	size_maps(s, o);
	/* Only the chosen programs are loaded: a program for a tracepoint this
	 * kernel lacks would fail the whole load. */
	set_autoload_all(s, false);
	bpf_program__set_autoload(s->progs.census, true);
	bpf_program__set_autoload(s->progs.reap_vm, true);
	err = pick_sources(t, o, k, picked, probes, probes_why);
	if (err)
		return err;
	set_fault_path(t, k, s);
	set_wait_timing(t, o, picked, s);
	if (kernel_has_member(k, "kvm", "nr_memslots_dirty_logging"))
		t->sources[M_DLOG_TOGGLE].source = "kvm->nr_memslots_dirty_logging around memslot ioctls";
	else
		t->sources[M_DLOG_TOGGLE].source = "memslot flags: KVM's before, the ioctl's argument after";
	t->sources[M_CENSUS].source = kernel_has_member(k, "kvm_vm_stat", "pages_4k") ? "iter/task_file" :
		"iter/task_file; no pages_* or nested: this KVM keeps no count of its mappings (x86's alone)";
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

/* Load the BPF object with every source this kernel offers; where it
 * refuses function probes, again without them, saying why they are missing.
 * 0, or a negative errno after one message. */
static int load(struct tracer *t, const struct tracer_opts *o, const struct kernel_btf *k,
		const struct source_choice **picked)
{
	const struct bpf_program *refused;
	int err;

	bpf_log_reset();
	err = open_and_load(t, o, k, picked, true, "");
	refused = refused_program(t->skel);
	if (err && err != -ENOENT && refused && is_function_probe(refused)) {
		char why[160];

		probes_refused_why(why, sizeof(why), refused, err);
		splittop_bpf__destroy(t->skel);
		t->skel = NULL;
		bpf_log_reset();
		err = open_and_load(t, o, k, picked, false, why);
		refused = refused_program(t->skel);
	}
	if (err && err != -ENOENT && refused)
		fprintf(stderr, "splittop: loading BPF program %s (%s): %s; -v shows the verifier's log\n",
			bpf_program__name(refused), bpf_program__section_name(refused), strerror(-err));
	else if (err && err != -ENOENT)
		fprintf(stderr, "splittop: loading BPF programs: %s\n", strerror(-err));
	return err;
}

/* Every vCPU slot starts free, before any program can take one. */
static int fill_free_vcpu_slots(struct splittop_bpf *s, unsigned int max_vcpus)
{
	uint32_t slot;

	for (slot = 0; slot < max_vcpus; slot++) {
		if (bpf_map_update_elem(bpf_map__fd(s->maps.free_vcpu_slots), NULL, &slot, BPF_ANY)) {
			int err = -errno;

			fprintf(stderr, "splittop: filling the free vCPU slots: %s\n", strerror(errno));
			return err;
		}
	}
	return 0;
}

/* Attach each picked source (a metric that fails to attach is unavailable,
 * with the reason, unless splittop cannot do without it). */
static int attach_all(struct tracer *t, const struct source_choice **picked)
{
	unsigned int m;
	int err;

	for (m = 0; m < NR_METRICS; m++) {
		/* Before the first fault program, or in its place when faults are off:
		 * splits in a running vCPU's fault path need it too. */
		if (m == M_FAULTS)
			adopt_running_vcpus(t);
		if (!picked[m])
			continue;
		err = source_attach(t, m, picked[m]);
		if (err && m <= M_FAST_FAULTS) {
			fprintf(stderr, "splittop: %s\n", t->sources[m].why);
			return err;
		}
	}
	if (t->tdp_demotions) {
		struct bpf_link *l = bpf_program__attach(t->skel->progs.on_tdp_spte_changed);

		err = l ? link_list_add(&t->links, l) : -errno;
		if (err) {
			const char *full = l ? " (more links than MAX_LINKS)" : "";

			if (l)	/* a programming error: MAX_LINKS too small */
				bpf_link__destroy(l);
			fprintf(stderr, "splittop: attaching tp_btf/kvm_tdp_mmu_spte_changed: %s%s\n", strerror(-err),
				full);
			return err;
		}
	}
	return 0;
}

/* The counters' maps, mapped for reading without a syscall per entry. */
static int map_counters(struct tracer *t)
{
	struct splittop_bpf *s = t->skel;

	t->slot_map_len = page_round(sizeof(struct vm_slot) * t->max_vms);
	t->vm_map_len = page_round(sizeof(struct vm_stats) * t->max_vms);
	t->vcpu_map_len = page_round(sizeof(struct vcpu_stats) * t->max_vcpus);
	t->slot_map = map_mmap(s->maps.vm_slots, t->slot_map_len);
	t->vm_map = map_mmap(s->maps.vm_stats, t->vm_map_len);
	t->vcpu_map = map_mmap(s->maps.vcpu_stats, t->vcpu_map_len);
	t->vslot_head = calloc(t->max_vms, sizeof(*t->vslot_head));
	t->vslot_next = calloc(t->max_vcpus, sizeof(*t->vslot_next));
	if (!t->slot_map || !t->vm_map || !t->vcpu_map || !t->vslot_head || !t->vslot_next) {
		fprintf(stderr, "splittop: mapping BPF maps: %s\n", strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

int tracer_open(struct tracer *t, const struct tracer_opts *o)
{
	const struct source_choice *picked[NR_METRICS] = { 0 };
	struct kernel_btf k = { 0 };
	unsigned int m;
	int err;

	memset(t, 0, sizeof(*t));
	t->mono0_ns = (uint64_t)(now_mono() * 1e9);
	t->vms = o->vms;
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
	err = load(t, o, &k, picked);
	if (!err)
		err = fill_free_vcpu_slots(t->skel, o->max_vcpus);
	if (!err)
		err = attach_all(t, picked);
	if (!err) {
		t->avail = (struct avail){
			.faults = t->sources[M_FAULTS].source, .splits = t->sources[M_SPLITS].source,
			.lock_wait = t->sources[M_LOCK_WAIT].source, .dlog = t->sources[M_ATTRIBUTION].source,
			.dlog_toggle = t->sources[M_DLOG_TOGGLE].source,
			.lock_hold = t->sources[M_LOCK_HOLD].source,
			.fault_latency = t->sources[M_FAULT_LATENCY].source,
			.split_mmu = t->sources[M_SPLIT_MMU].source && t->sources[M_SPLITS].source,
			.pml = t->sources[M_PML].source,
			.no_pages = !kernel_has_member(&k, "kvm_vm_stat", "pages_4k"),
		};
		err = map_counters(t);
	}
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
	while (t->links.n)
		bpf_link__destroy(t->links.l[--t->links.n]);
	/* Destroying the skeleton closes every program and map. */
	splittop_bpf__destroy(t->skel);
	memset(t, 0, sizeof(*t));
}

void tracer_self(const struct tracer *t, struct self_stats *out)
{
	struct bpf_program *p;

	*out = t->skel->bss->self;
	out->missed_events = out->missed_probe_events = 0;
	out->rounds_lost = t->rounds_lost;
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
