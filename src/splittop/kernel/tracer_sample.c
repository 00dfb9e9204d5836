// SPDX-License-Identifier: GPL-2.0-only
/* Each interval: the maps' counters summed into the VM table, KVM's gauges
 * from the census, dead VMs' slots given back. */
#include "tracer.h"
#include "census.h"
#include "splittop.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copy n u64 counters that BPF updates meanwhile. */
static void load_u64s(__u64 *dst, const __u64 *src, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		dst[k] = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
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
	vm_table_name(t->vms, e, buf, len);
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
		e = vm_table_get(t->vms, s->seq, s->kvm, i, s->tgid);
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

/* BPF's clock as time since the run started (0 for anything before). */
static uint64_t run_ns(const struct tracer *t, uint64_t ns)
{
	return ns > t->mono0_ns ? ns - t->mono0_ns : 0;
}

/* The rounds BPF recorded since the last sample, and the open one. */
static void take_rounds(struct tracer *t, struct vm_rounds *r, const struct round_state *rs)
{
	uint64_t written = __atomic_load_n(&rs->written, __ATOMIC_ACQUIRE);

	r->fresh = 0;
	if (written - r->bpf_seen > ST_ROUND_RING) {
		t->rounds_lost += written - r->bpf_seen - ST_ROUND_RING;
		r->bpf_seen = written - ST_ROUND_RING;
	}
	for (; r->bpf_seen < written; r->bpf_seen++) {
		struct round_rec rec = rs->ring[r->bpf_seen % ST_ROUND_RING];

		rec.start_ns = run_ns(t, rec.start_ns);
		rec.end_ns = run_ns(t, rec.end_ns);
		vm_rounds_add(r, &rec);
	}
	r->migration = rs->migration;
	r->round = rs->round;
	r->open = rs->start_ns != 0;
	r->open_start_ns = run_ns(t, rs->start_ns);
	r->open_pages = rs->burst_ns ? rs->burst_pages : 0;
}

/* One VM slot's sample: gauges from the census (or the VM's last dirty-log
 * operation), counters from the maps; a VM that is gone gives its slot back. */
static int sample_slot(struct tracer *t, uint32_t i, const struct census *c, uint64_t epoch)
{
	struct vm_slot *s = &t->slot_map[i];
	struct vm_entry *e;
	uint64_t wait_max;
	bool in_census = false;
	bool hw_tdp = t->host.mmu == HOST_MMU_TDP || t->host.mmu == HOST_MMU_LEGACY_TDP;
	unsigned int j;

	e = vm_table_get(t->vms, s->seq, s->kvm, i, s->tgid);
	if (!e)
		return -ENOMEM;
	if (!e->name[0]) {
		name_vm(t, e, s);
		e->ppid = s->ptgid;
	}
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
	take_rounds(t, &e->rounds, &s->rounds);
	memcpy(e->gauges.dlog_last_ns, s->dlog_last_ns, sizeof(e->gauges.dlog_last_ns));
	memcpy(e->gauges.dlog_last_splits, s->dlog_last_splits, sizeof(e->gauges.dlog_last_splits));
	memcpy(e->gauges.dlog_last_pages_2m, s->dlog_last_pages_2m, sizeof(e->gauges.dlog_last_pages_2m));
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

/* A slot in use and its registration number. */
struct slot_seq {
	uint64_t seq;
	uint32_t idx;
};

static int by_seq(const void *a, const void *b)
{
	const struct slot_seq *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The slots in use, in the order their VMs were registered: a process's
 * VMs are numbered (NAME#k) as they are first seen in a sample, and a slot
 * given back and claimed again puts a later VM at a lower index, so index
 * order could number a process's VMs out of their creation order (two VMs
 * created while a sample ran, swapped: seen in the churn test as a VM with
 * another's dirty-log times).  Only VMs registered before the list is made:
 * one registered meanwhile waits for the next sample, with every VM after
 * it.  *n: how many; NULL if out of memory. */
static struct slot_seq *slots_by_seq(struct tracer *t, unsigned int *n)
{
	struct slot_seq *v = calloc(t->max_vms ? t->max_vms : 1, sizeof(*v));
	uint64_t last = __atomic_load_n(&t->skel->bss->next_seq, __ATOMIC_ACQUIRE);
	unsigned int i;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < t->max_vms; i++) {
		uint64_t seq = __atomic_load_n(&t->slot_map[i].seq, __ATOMIC_RELAXED);

		if (slot_in_use(&t->slot_map[i]) && seq <= last)
			v[(*n)++] = (struct slot_seq){ seq, i };
	}
	qsort(v, *n, sizeof(*v), by_seq);
	return v;
}

int tracer_sample(struct tracer *t)
{
	struct census c = { 0 };
	struct slot_seq *order;
	uint64_t epoch;
	unsigned int i, n;
	int err;

	err = vm_table_spill(t->vms, process_alive);
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
	order = slots_by_seq(t, &n);
	if (!order) {
		free(c.recs);
		return -ENOMEM;
	}
	for (i = 0; i < n && !err; i++)
		err = sample_slot(t, order[i].idx, &c, epoch);
	if (err)
		fprintf(stderr, "splittop: sampling VM slot %u: %s\n", order[i - 1].idx, strerror(-err));
	free(order);
	free(c.recs);
	return err;
}
