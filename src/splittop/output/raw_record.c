// SPDX-License-Identifier: GPL-2.0-only
/*
 * Text, one item per line; strings hex-encoded (prefix "x") so that a VM
 * name with spaces or bytes that are not UTF-8 survives; doubles as C99 hex
 * floats so that times are replayed exactly.  Counters are written by name
 * and only where non-zero: a field added later reads as 0 from an older
 * recording, and a recording stays small.
 */
#include "raw_record.h"
#include "splittop/model/self_stats.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A recorded field: n values in struct vm_counters, or n per vCPU row
 * (per_vcpu), value k being element k % n of row k / n.  The names are the
 * recording format's: they stay when the structures change. */
#define FLAT(nm, f) { nm, offsetof(struct vm_counters, f), sizeof(((struct vm_counters *)0)->f) / 8, false }
#define PER_VCPU(nm, f) { nm, offsetof(struct vcpu_counts, f), sizeof(((struct vcpu_counts *)0)->f) / 8, true }

static const struct counter_field {
	const char *name;
	size_t off, n;
	bool per_vcpu;
} fields[] = {
	FLAT("splits", vm.splits), FLAT("split_errors", vm.split_errors),
	FLAT("split_errno", vm.split_errno), FLAT("demotions", demotions), FLAT("faults", faults),
	FLAT("lock_waits", vm.lock_waits), FLAT("lock_wait_ns", vm.lock_wait_ns),
	FLAT("lock_wait_hist", vm.lock_wait_hist), FLAT("dlog_count", vm.dlog_count),
	FLAT("dlog_ns", vm.dlog_ns), FLAT("dlog_splits", vm.dlog_splits),
	PER_VCPU("vcpu_faults", faults), FLAT("hold_count", vm.hold_count),
	FLAT("hold_ns", vm.hold_ns), FLAT("hold_hist", vm.hold_hist),
	FLAT("fault_lat_hist", vm.fault_lat_hist), FLAT("fault_lat_count", vm.fault_lat_count),
	FLAT("fault_lat_ns", vm.fault_lat_ns), PER_VCPU("vcpu_lat_count", lat_count),
	PER_VCPU("vcpu_lat_ns", lat_ns), PER_VCPU("vcpu_lat_hist", lat_hist),
	PER_VCPU("vcpu_demotions", demotions), FLAT("wait_end_to_fault_ns", vm.wait_end_to_fault_ns),
	FLAT("wait_end_to_fault_count", vm.wait_end_to_fault_count), FLAT("splits_mmu", vm.splits_mmu),
	FLAT("wait_sampled_ns", vm.wait_sampled_ns), FLAT("dirty_pages", vm.dirty_pages),
	FLAT("dirty_rounds", vm.dirty_rounds), FLAT("round_fault_ns", vm.round_fault_ns),
	FLAT("round_wait_ns", vm.round_wait_ns), FLAT("pml_full", vm.pml_full),
};

/* A VM's counters and its per-vCPU rows (now's or prev's). */
struct counters_of {
	struct vm_counters *c;
	struct vcpu_counts *rows;
	uint32_t nrows;
};

static __u64 *field_at(const struct counter_field *fd, const struct counters_of *in, size_t k)
{
	if (fd->per_vcpu)
		return (__u64 *)((char *)&in->rows[k / fd->n] + fd->off) + k % fd->n;
	return (__u64 *)((char *)in->c + fd->off) + k;
}

static void put_str(FILE *f, const char *s)
{
	fputc('x', f);
	for (; *s; s++)
		fprintf(f, "%02x", (unsigned char)*s);
}

static int get_str(const char *tok, char *out, size_t n)
{
	size_t i, len;

	if (!tok || tok[0] != 'x' || (strlen(tok) - 1) % 2 || (strlen(tok) - 1) / 2 >= n)
		return -1;
	len = (strlen(tok) - 1) / 2;
	for (i = 0; i < len; i++) {
		unsigned int b;

		if (sscanf(tok + 1 + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (char)b;
	}
	out[len] = '\0';
	return 0;
}

static void record_start(FILE *f, const struct snapshot *s, double interval)
{
	const struct host_info *h = s->host;
	const struct metric_source *m = s->sources;
	unsigned int i, nm = s->nsources;

	fprintf(f, "host %a ", interval);
	put_str(f, h->kernel);
	fputc(' ', f);
	put_str(f, host_mmu_name(h->mmu));
	fputc(' ', f);
	put_str(f, h->eager_split);
	/* Last: recordings from before it end here (hostname unknown). */
	if (h->hostname[0]) {
		fputc(' ', f);
		put_str(f, h->hostname);
	}
	fputc('\n', f);
	for (i = 0; i < nm; i++) {
		fputs("source ", f);
		put_str(f, m[i].metric);
		fprintf(f, " %d ", m[i].source != NULL);
		put_str(f, m[i].source ? m[i].source : "");
		fputc(' ', f);
		put_str(f, m[i].why);
		fputc('\n', f);
	}
}

static void record_vm(FILE *f, const struct vm_entry *e);

/* The frame line's counters of struct self_stats, in their places (rec);
 * the availability flags come after the first REC_SELF_BEFORE_FLAGS of
 * them, the rest were added after the flags, each at the end. */
#define REC_SELF_BEFORE_FLAGS 5

static void record_frame(FILE *f, const struct snapshot *snap, enum scope sc)
{
	const struct avail *a = &snap->avail;
	__u64 self[NR_SELF_STATS];
	unsigned int i;

	for (i = 0; i < NR_SELF_STATS; i++)
		self[self_stat_defs[i].rec] = self_stat_get(&snap->self, i);
	fprintf(f, "frame %s %a %a", scope_name(sc), snap->time_unix, snap->elapsed);
	for (i = 0; i < NR_SELF_STATS; i++) {
		if (i == REC_SELF_BEFORE_FLAGS)
			fprintf(f, " %d%d%d%d%d%d%d%d%d%s", a->splits, a->faults, a->lock_wait, a->dlog,
				a->dlog_toggle, a->lock_hold, a->fault_latency, a->split_mmu, a->pml,
				a->no_pages ? "1" : "");	/* arm64's: x86's recordings unchanged */
		fprintf(f, " %llu", (unsigned long long)self[i]);
	}
	fputc('\n', f);
	for (i = 0; i < snap->n; i++)
		record_vm(f, snap->vms[i].e);
}

static void put_counters(FILE *f, const char *which, const struct counters_of *in)
{
	unsigned int i, k;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		bool any = false;

		for (k = 0; k < fields[i].n * (fields[i].per_vcpu ? in->nrows : 1); k++) {
			uint64_t v = *field_at(&fields[i], in, k);

			if (!v)
				continue;
			if (!any)
				fprintf(f, "%s %s", which, fields[i].name);
			any = true;
			fprintf(f, " %u=%" PRIu64, k, v);
		}
		if (any)
			fputc('\n', f);
	}
}

/* The VM's dirty-log rounds as it keeps them: a "rounds" line, then a
 * "round" line for each one kept (k: its number in taking order). */
static void record_rounds(FILE *f, const struct vm_rounds *r)
{
	uint64_t k = r->taken > ROUNDS_KEPT ? r->taken - ROUNDS_KEPT : 0;

	if (!r->taken && !r->open)
		return;
	fprintf(f, "rounds %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %u %d %" PRIu64 " %" PRIu64 "\n", r->taken,
		r->fresh, r->lost, r->migration, r->round, r->open, r->open_start_ns, r->open_pages);
	for (; k < r->taken; k++) {
		const struct round_rec *x = vm_round(r, k);

		fprintf(f, "round %" PRIu64 " %u %u %llu %llu %llu %llu %u %u %llu %llu %llu %llu %llu %llu %llu %llu\n",
			k, x->migration, x->round, x->start_ns, x->end_ns, x->harvest_ns, x->dirty_pages, x->harvests,
			x->flags, x->c.faults[0], x->c.faults[1], x->c.faults[2], x->c.faults[3], x->c.splits,
			x->c.lock_wait_ns, x->c.fault_ns, x->c.fault_count);
	}
}

static int read_rounds_line(struct vm_rounds *r, const char *save)
{
	int open;

	if (sscanf(save, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %u %u %d %" SCNu64 " %" SCNu64, &r->taken, &r->fresh,
		   &r->lost, &r->migration, &r->round, &open, &r->open_start_ns, &r->open_pages) != 8 ||
	    r->fresh > r->taken)
		return -1;
	r->open = open;
	return 0;
}

static int read_round_line(struct vm_rounds *r, const char *save)
{
	struct round_rec x = { 0 };
	uint64_t k;

	if (sscanf(save, "%" SCNu64 " %u %u %llu %llu %llu %llu %u %u %llu %llu %llu %llu %llu %llu %llu %llu", &k,
		   &x.migration, &x.round, &x.start_ns, &x.end_ns, &x.harvest_ns, &x.dirty_pages, &x.harvests,
		   &x.flags, &x.c.faults[0], &x.c.faults[1], &x.c.faults[2], &x.c.faults[3], &x.c.splits,
		   &x.c.lock_wait_ns, &x.c.fault_ns, &x.c.fault_count) != 17 ||
	    k >= r->taken || r->taken - k > ROUNDS_KEPT)
		return -1;
	r->r[k % ROUNDS_KEPT] = x;
	return 0;
}

static void record_vm(FILE *f, const struct vm_entry *e)
{
	const struct vm_gauges *g = &e->gauges;
	unsigned int i;

	fprintf(f, "vm %u %d ", e->pid, e->alive);
	put_str(f, e->name);
	/* Then " KEY xHEX" for each identity the VM has: optional, so that
	 * recordings from before them read as VMs without. */
	for (i = 0; i < NR_VM_IDENTS; i++) {
		if (!vm_ident_has(&e->ident, i))
			continue;
		fprintf(f, " %s ", vm_ident_defs[i].key);
		put_str(f, e->ident.v[i]);
	}
	fputc('\n', f);
	put_counters(f, "now", &(struct counters_of){ (struct vm_counters *)&e->now, e->vcpus.now, e->vcpus.n });
	put_counters(f, "prev", &(struct counters_of){ (struct vm_counters *)&e->prev, e->vcpus.prev, e->vcpus.n });
	fprintf(f, "gauges %u %" PRIu64 " %d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64, g->vcpus,
		g->mem_pages, g->memslots_dirty, g->pages[0], g->pages[1], g->pages[2],
		g->lock_wait_max_ns);
	for (i = 0; i < DLOG_OPS; i++)
		fprintf(f, " %" PRIu64 " %" PRIu64, g->dlog_last_ns[i], g->dlog_last_splits[i]);
	fprintf(f, " %d", g->nested);
	for (i = 0; i < DLOG_OPS; i++)
		fprintf(f, " %" PRIu64 " %" PRIu64, g->dlog_last_pages_2m[i][0], g->dlog_last_pages_2m[i][1]);
	fprintf(f, "\nmax %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", e->lock_wait_max_run_ns,
		e->hold_max_run_ns[0], e->hold_max_run_ns[1]);
	record_rounds(f, &e->rounds);
	fputs("end\n", f);
}

/* One "now" or "prev" line into e (now: prev false). */
static int read_counters_line(struct vm_entry *e, bool prev, char *save)
{
	struct counters_of in;
	const char *name = strtok_r(NULL, " \n", &save);
	char *tok;
	unsigned int i;

	for (i = 0; name && i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].name, name))
			break;
	if (!name || i == sizeof(fields) / sizeof(fields[0]))
		return -1;
	while ((tok = strtok_r(NULL, " \n", &save))) {
		unsigned long k;
		unsigned long long v;

		if (sscanf(tok, "%lu=%llu", &k, &v) != 2)
			return -1;
		if (fields[i].per_vcpu &&
		    (k / fields[i].n >= VCPU_ROWS_LIMIT || vcpu_rows_reserve(&e->vcpus, k / fields[i].n + 1)))
			return -1;
		if (!fields[i].per_vcpu && k >= fields[i].n)
			return -1;
		in = (struct counters_of){ prev ? &e->prev : &e->now, prev ? e->vcpus.prev : e->vcpus.now,
					   e->vcpus.n };
		*field_at(&fields[i], &in, k) = v;
	}
	return 0;
}

const struct renderer record_renderer = { .start = record_start, .frame = record_frame };

static int read_host_line(struct record_reader *r, char *save)
{
	char *iv = strtok_r(NULL, " ", &save), *host;
	char mmu[16];

	if (!iv || sscanf(iv, "%la", &r->interval) != 1 ||
	    get_str(strtok_r(NULL, " ", &save), r->host.kernel, sizeof(r->host.kernel)) ||
	    get_str(strtok_r(NULL, " ", &save), mmu, sizeof(mmu)) ||
	    get_str(strtok_r(NULL, " \n", &save), r->host.eager_split, sizeof(r->host.eager_split)))
		return -1;
	host = strtok_r(NULL, " \n", &save);
	if (host && get_str(host, r->host.hostname, sizeof(r->host.hostname)))
		return -1;
	r->host.mmu = host_mmu_by_name(mmu);
	return 'H';
}

static int read_source_line(struct record_reader *r, char *save)
{
	struct metric_source *m = &r->src[r->nsrc];
	char *has;

	if (r->nsrc >= sizeof(r->src) / sizeof(r->src[0]) ||
	    get_str(strtok_r(NULL, " ", &save), r->src_text[r->nsrc][0], sizeof(r->src_text[0][0])) ||
	    !(has = strtok_r(NULL, " ", &save)) ||
	    get_str(strtok_r(NULL, " ", &save), r->src_text[r->nsrc][1], sizeof(r->src_text[0][1])) ||
	    get_str(strtok_r(NULL, " \n", &save), m->why, sizeof(m->why)))
		return -1;
	m->metric = r->src_text[r->nsrc][0];
	m->source = *has == '1' ? r->src_text[r->nsrc][1] : NULL;
	r->nsrc++;
	return 'S';
}

static int read_frame_line(struct record_reader *r, const char *save)
{
	unsigned long long self[NR_SELF_STATS] = { 0 };
	char bits[16] = "";
	unsigned int i;
	int n = 0;

	if (sscanf(save, "%15s %la %la%n", r->scope, &r->time_unix, &r->elapsed, &n) != 3)
		return -1;
	save += n;
	/* 7 flags before splits by MMU came: those recordings have none.  A
	 * counter after the flags is missing (zero) from recordings older than
	 * it, and one this reader does not know is left unread. */
	for (i = 0; i < NR_SELF_STATS; i++, save += n) {
		if (i == REC_SELF_BEFORE_FLAGS) {
			if (sscanf(save, " %15s%n", bits, &n) != 1 || strlen(bits) < 7 || strlen(bits) > 10)
				return -1;
			save += n;
		}
		if (sscanf(save, " %llu%n", &self[i], &n) != 1) {
			if (i < REC_SELF_BEFORE_FLAGS)
				return -1;
			break;
		}
	}
	for (i = 0; i < NR_SELF_STATS; i++)
		self_stat_set(&r->self, i, self[self_stat_defs[i].rec]);
	r->avail = (struct avail){ bits[0] == '1', bits[1] == '1', bits[2] == '1', bits[3] == '1',
				   bits[4] == '1', bits[5] == '1', bits[6] == '1', bits[7] == '1', bits[8] == '1',
				   bits[9] == '1' };
	return 'F';
}

/* The vm line's optional " KEY xHEX" pairs (record_vm). */
static int read_idents(struct vm_ident *id, char *save)
{
	const char *key;
	unsigned int i;

	while ((key = strtok_r(NULL, " \n", &save))) {
		for (i = 0; i < NR_VM_IDENTS && strcmp(key, vm_ident_defs[i].key); i++)
			;
		if (i == NR_VM_IDENTS || get_str(strtok_r(NULL, " \n", &save), id->v[i], sizeof(id->v[i])))
			return -1;
	}
	return 0;
}

static int read_vm_line(struct record_reader *r, char *save)
{
	int alive, n = 0;

	vcpu_rows_free(&r->vm.vcpus);	/* rows not handed on (see raw_record.h) */
	memset(&r->vm, 0, sizeof(r->vm));
	r->vm.seq = 1;
	if (sscanf(save, "%u %d %n", &r->vm.pid, &alive, &n) != 2 || !n)
		return -1;
	r->vm.alive = alive;
	if (get_str(strtok_r(save + n, " \n", &save), r->vm.name, sizeof(r->vm.name)))
		return -1;
	return read_idents(&r->vm.ident, save);
}

static int read_gauges_line(struct vm_gauges *g, const char *save)
{
	unsigned int i;
	int n = 0;

	g->nested = -1;		/* recordings from before it: unknown */
	for (i = 0; i < DLOG_OPS; i++)
		g->dlog_last_pages_2m[i][0] = g->dlog_last_pages_2m[i][1] = PAGES_UNKNOWN;
	if (sscanf(save, "%u %" SCNu64 " %d %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 "%n",
		   &g->vcpus, &g->mem_pages, &g->memslots_dirty, &g->pages[0], &g->pages[1],
		   &g->pages[2], &g->lock_wait_max_ns, &n) != 7)
		return -1;
	save += n;
	/* A recording from before an operation was added has fewer pairs. */
	for (i = 0; i < DLOG_OPS; i++) {
		if (sscanf(save, " %" SCNu64 " %" SCNu64 "%n", &g->dlog_last_ns[i],
			   &g->dlog_last_splits[i], &n) != 2)
			return i >= DLOG_RESET ? 0 : -1;
		save += n;
	}
	if (sscanf(save, " %d%n", &g->nested, &n) != 1) {
		g->nested = -1;
		n = 0;
	}
	save += n;
	/* Recordings from before the pages at each operation were read. */
	for (i = 0; i < DLOG_OPS; i++) {
		uint64_t p[2];

		if (sscanf(save, " %" SCNu64 " %" SCNu64 "%n", &p[0], &p[1], &n) != 2)
			break;
		g->dlog_last_pages_2m[i][0] = p[0];
		g->dlog_last_pages_2m[i][1] = p[1];
		save += n;
	}
	return 0;
}

int record_read_line(struct record_reader *r, char *line)
{
	char *save = NULL, *kind = strtok_r(line, " \n", &save);

	if (!kind)
		return 0;
	if (!strcmp(kind, "host"))
		return read_host_line(r, save);
	if (!strcmp(kind, "source"))
		return read_source_line(r, save);
	if (!strcmp(kind, "frame"))
		return read_frame_line(r, save);
	if (!strcmp(kind, "vm"))
		return read_vm_line(r, save);
	if (!strcmp(kind, "now"))
		return read_counters_line(&r->vm, false, save);
	if (!strcmp(kind, "prev"))
		return read_counters_line(&r->vm, true, save);
	if (!strcmp(kind, "gauges"))
		return read_gauges_line(&r->vm.gauges, save);
	if (!strcmp(kind, "max"))
		return sscanf(save, "%" SCNu64 " %" SCNu64 " %" SCNu64, &r->vm.lock_wait_max_run_ns,
			      &r->vm.hold_max_run_ns[0], &r->vm.hold_max_run_ns[1]) == 3 ? 0 : -1;
	if (!strcmp(kind, "rounds"))
		return read_rounds_line(&r->vm.rounds, save);
	if (!strcmp(kind, "round"))
		return read_round_line(&r->vm.rounds, save);
	if (!strcmp(kind, "end"))
		return 'V';
	return -1;
}
