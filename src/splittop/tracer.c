// SPDX-License-Identifier: GPL-2.0-only
#include "tracer.h"
#include "splittop.skel.h"
#include "vm_name.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int tracer_open(struct tracer *t, unsigned int max_vms)
{
	struct splittop_bpf *s;
	int err;

	memset(t, 0, sizeof(*t));
	t->max_vms = max_vms;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		fprintf(stderr, "splittop: cannot count CPUs: %s\n", strerror(-t->ncpus));
		return t->ncpus ? t->ncpus : -EINVAL;
	}
	s = splittop_bpf__open();
	if (!s) {
		err = -errno;
		fprintf(stderr, "splittop: opening the BPF object: %s\n", strerror(errno));
		return err;
	}
	t->skel = s;
	s->rodata->ioctl_nr = SYS_ioctl;
	s->rodata->max_vms = max_vms;
	bpf_map__set_max_entries(s->maps.vm_index, max_vms);
	bpf_map__set_max_entries(s->maps.vm_slots, max_vms);
	bpf_map__set_max_entries(s->maps.vm_stats, max_vms);
	bpf_map__set_max_entries(s->maps.vcpu_stats, max_vms * ST_MAX_VCPUS);
	/* Read without a syscall per entry each interval. */
	bpf_map__set_map_flags(s->maps.vm_slots, BPF_F_MMAPABLE);
	bpf_map__set_map_flags(s->maps.vcpu_stats, BPF_F_MMAPABLE);
	/* The raw twin of the split handler is for tests (and kernels without
	 * tp_btf for it); the tp_btf program is the one attached here. */
	bpf_program__set_autoload(s->progs.on_split_raw, false);

	err = splittop_bpf__load(s);
	if (err) {
		fprintf(stderr, "splittop: loading BPF programs: %s\n", strerror(-err));
		return err;
	}
	err = splittop_bpf__attach(s);
	if (err) {
		fprintf(stderr, "splittop: attaching BPF programs: %s\n", strerror(-err));
		return err;
	}
	t->slot_map_len = page_round(sizeof(struct vm_slot) * max_vms);
	t->vcpu_map_len = page_round(sizeof(struct vcpu_stats) * max_vms * ST_MAX_VCPUS);
	t->slot_map = map_mmap(s->maps.vm_slots, t->slot_map_len);
	t->vcpu_map = map_mmap(s->maps.vcpu_stats, t->vcpu_map_len);
	t->percpu_buf = calloc(t->ncpus, sizeof(struct vm_stats));
	if (!t->slot_map || !t->vcpu_map || !t->percpu_buf) {
		fprintf(stderr, "splittop: mapping BPF maps: %s\n", strerror(errno));
		return -ENOMEM;
	}
	/* Function probes (lock hold time, fault latency) are not used by this
	 * version: report them as unavailable, never as zero. */
	t->avail = (struct csv_avail){ .splits = 1, .faults = 1, .lock_wait = 1, .dlog = 1 };
	snprintf(t->unavailable, sizeof(t->unavailable),
		 "mmu_lock_hold_ns, fault_latency_p99_ns: need function probes, not used by this version");
	return 0;
}

void tracer_close(struct tracer *t)
{
	if (t->slot_map)
		munmap(t->slot_map, t->slot_map_len);
	if (t->vcpu_map)
		munmap(t->vcpu_map, t->vcpu_map_len);
	free(t->percpu_buf);
	/* Destroying the skeleton detaches every link and closes every map. */
	splittop_bpf__destroy(t->skel);
	free(t->vms);
	memset(t, 0, sizeof(*t));
}

void tracer_self(const struct tracer *t, struct self_stats *out)
{
	*out = t->skel->bss->self;
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

/* ---- sampling --------------------------------------------------------------- */

static struct vm_entry *entry_for(struct tracer *t, const struct vm_slot *s, uint32_t idx)
{
	struct vm_entry *e;
	unsigned int i;

	for (i = 0; i < t->nvms; i++)
		if (t->vms[i].seq == s->seq && t->vms[i].alive)
			return &t->vms[i];
	if (t->nvms == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 16;
		void *p = realloc(t->vms, cap * sizeof(*e));

		if (!p)
			return NULL;
		t->vms = p;
		t->cap = cap;
	}
	e = &t->vms[t->nvms++];
	memset(e, 0, sizeof(*e));
	e->kvm = s->kvm;
	e->seq = s->seq;
	e->idx = idx;
	e->pid = s->tgid;
	e->alive = true;
	e->gauges.memslots_dirty = -1;
	return e;
}

static void read_counters(struct tracer *t, uint32_t idx, struct vm_counters *c, uint64_t epoch,
			  uint64_t *wait_max)
{
	const struct vm_stats *per = t->percpu_buf;
	const struct vcpu_stats *vs = &t->vcpu_map[(size_t)idx * ST_MAX_VCPUS];
	unsigned int cpu, v, k;

	memset(c, 0, sizeof(*c));
	*wait_max = 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.vm_stats), &idx, t->percpu_buf)) {
		for (cpu = 0; cpu < (unsigned int)t->ncpus; cpu++) {
			const struct vm_stats *p = &per[cpu];

			for (k = 0; k < SPLIT_CAUSES; k++) {
				c->splits[SPLIT_2M][k] += p->splits[SPLIT_2M][k];
				c->splits[SPLIT_1G][k] += p->splits[SPLIT_1G][k];
			}
			c->split_errors += p->split_errors;
			c->lock_waits += p->lock_waits[MMU_LOCK_READ] + p->lock_waits[MMU_LOCK_WRITE];
			c->lock_wait_ns += p->lock_wait_ns[MMU_LOCK_READ] + p->lock_wait_ns[MMU_LOCK_WRITE];
			for (k = 0; k < DLOG_OPS; k++) {
				c->dlog_count[k] += p->dlog_count[k];
				c->dlog_ns[k] += p->dlog_ns[k];
			}
			/* The closed interval's slot, if it was written in it. */
			if (p->lock_wait_max_epoch[epoch & 1] == epoch &&
			    p->lock_wait_max_ns[epoch & 1] > *wait_max)
				*wait_max = p->lock_wait_max_ns[epoch & 1];
		}
	}
	for (v = 0; v < ST_MAX_VCPUS; v++) {
		for (k = 0; k < FAULT_CLASSES; k++)
			c->faults[k] += __atomic_load_n(&vs[v].faults[k], __ATOMIC_RELAXED);
		for (k = 0; k < SPLIT_SIZES; k++)
			c->demotions[k] += __atomic_load_n(&vs[v].demotions[k], __ATOMIC_RELAXED);
	}
}

/* The VM is gone and its last counts are read: give its slot back. */
static void free_slot(struct tracer *t, uint32_t idx)
{
	struct vm_slot *s = &t->slot_map[idx];
	int index_fd = bpf_map__fd(t->skel->maps.vm_index);
	uint64_t kvm = s->kvm;
	uint32_t cur;

	if (!bpf_map_lookup_elem(index_fd, &kvm, &cur) && cur == idx)
		bpf_map_delete_elem(index_fd, &kvm);
	memset(t->percpu_buf, 0, t->ncpus * sizeof(struct vm_stats));
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.vm_stats), &idx, t->percpu_buf, BPF_ANY);
	memset(&t->vcpu_map[(size_t)idx * ST_MAX_VCPUS], 0, ST_MAX_VCPUS * sizeof(struct vcpu_stats));
	__atomic_store_n(&s->kvm, 0, __ATOMIC_RELEASE);
}

static void name_vm(struct vm_entry *e, const struct tracer *t, const struct vm_slot *s)
{
	char path[64], buf[4096];
	unsigned int i, k = 0, n = 0;
	ssize_t len = -1;
	int fd;

	/* BPF copied the VMM's argv when it registered the VM from an ioctl;
	 * VMs found by the census (already running) are named from /proc. */
	if (s->cmdline_len && s->cmdline_len <= sizeof(s->cmdline)) {
		len = s->cmdline_len;
		memcpy(buf, s->cmdline, len);
	} else {
		snprintf(path, sizeof(path), "/proc/%u/cmdline", e->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			len = read(fd, buf, sizeof(buf));
			close(fd);
		}
	}
	if (len > 0)
		vm_name_from_cmdline(buf, len, e->name, sizeof(e->name) - 8);
	else
		snprintf(e->name, sizeof(e->name) - 8, "pid%u", e->pid);
	/* Several VMs in one process: number them in creation order. */
	for (i = 0; i < t->nvms; i++) {
		if (t->vms[i].pid != e->pid)
			continue;
		n++;
		if (t->vms[i].seq < e->seq)
			k++;
	}
	if (n > 1 || k)
		snprintf(e->name + strlen(e->name), 8, "#%u", k);
}

static void set_gauges(struct vm_entry *e, const struct vm_census *r)
{
	e->gauges.vcpus = r->online_vcpus;
	e->gauges.mem_pages = r->mem_pages;
	e->gauges.memslots_dirty = r->memslots_dirty;
	memcpy(e->gauges.pages, r->pages, sizeof(e->gauges.pages));
}

int tracer_sample(struct tracer *t)
{
	struct census c = { 0 };
	uint64_t epoch, pids[64];
	unsigned int npids = 0, i, j;
	/* The first census scans every process: VMs that ran before we started. */
	bool full = !t->scanned_all;
	int err = 0;

	/* Close the interval: BPF starts the next max-wait slot now. */
	epoch = __atomic_fetch_add(&t->skel->bss->epoch, 1, __ATOMIC_SEQ_CST);

	/* Slots that exist before the census: one missing from it is gone. */
	for (i = 0; i < t->max_vms; i++) {
		struct vm_slot *s = &t->slot_map[i];
		struct vm_entry *e;

		if (!__atomic_load_n(&s->kvm, __ATOMIC_ACQUIRE))
			continue;
		e = entry_for(t, s, i);
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
		err = census_run(t, 0, &c);
		t->scanned_all = !err;
	} else {
		for (j = 0; j < npids && !err; j++) {
			err = census_run(t, pids[j], &c);
			if (err == -ESRCH || err == -ENOENT)	/* the process is gone */
				err = 0;
		}
	}
	if (err) {
		fprintf(stderr, "splittop: reading the VM census: %s\n", strerror(-err));
		free(c.recs);
		return err;
	}
	for (i = 0; i < t->max_vms; i++) {
		struct vm_slot *s = &t->slot_map[i];
		struct vm_entry *e;
		uint64_t wait_max;
		bool in_census = false;

		if (!__atomic_load_n(&s->kvm, __ATOMIC_ACQUIRE))
			continue;
		e = entry_for(t, s, i);
		if (!e) {
			free(c.recs);
			return -ENOMEM;
		}
		if (!e->name[0])
			name_vm(e, t, s);
		e->reported = false;
		for (j = 0; j < c.n; j++) {
			if (c.recs[j].kvm != s->kvm)
				continue;
			in_census = true;
			set_gauges(e, &c.recs[j]);
		}
		/* Not seen alive by any census: its last dirty-log operation's view. */
		if (!in_census && s->snap.kvm == s->kvm)
			set_gauges(e, &s->snap);
		e->prev = e->now;
		read_counters(t, i, &e->now, epoch, &wait_max);
		e->gauges.lock_wait_max_ns = wait_max;
		if (wait_max > e->lock_wait_max_run_ns)
			e->lock_wait_max_run_ns = wait_max;
		/* Only a VM whose slot existed before the census ran can be missing
		 * from it: one registered meanwhile may simply not have been seen. */
		if (s->dead || (!in_census && e->pre_census)) {
			e->alive = false;
			free_slot(t, i);
		}
	}
	free(c.recs);
	return 0;
}
