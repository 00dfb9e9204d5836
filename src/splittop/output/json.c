// SPDX-License-Identifier: GPL-2.0-only
/* One JSON object per line: a "host" line, then one "interval" line per
 * interval, then one "total" line. */
#include "splittop/model/hist.h"
#include "json_writer.h"
#include "render.h"
#include "recording_format.h"
#include "splittop/model/self_stats.h"

#include <stdio.h>

/* A per-vCPU latency quantile: its buckets start at 256 ns. */
static uint64_t vcpu_lat_quantile(const __u64 *h, double q)
{
	uint64_t v = hist_quantile_ns(h, ST_VCPU_LAT_BUCKETS, q);

	return v ? ((v + 1) << 8) - 1 : 0;
}

static void json_start(FILE *f, const struct snapshot *s, double interval)
{
	struct jw w;
	unsigned int i;

	jw_begin(&w, f);
	jw_object(&w, NULL);
	jw_str(&w, "type", "host");
	jw_u64(&w, "format", RECORDING_FORMAT);
	/* Which machine, for a replay's header (absent: not known). */
	if (s->host->hostname[0])
		jw_str(&w, "hostname", s->host->hostname);
	jw_str(&w, "kernel", s->host->kernel);
	jw_str(&w, "mmu", host_mmu_name(s->host->mmu));
	jw_str(&w, "eager_page_split", s->host->eager_split);
	jw_num(&w, "interval_s", "%g", interval);
	jw_array(&w, "sources");
	for (i = 0; i < s->nsources; i++) {
		const struct metric_source *m = &s->sources[i];

		jw_object(&w, NULL);
		jw_str(&w, "metric", m->metric);
		if (m->source) {
			jw_str(&w, "source", m->source);
		} else {
			jw_null(&w, "source");
			jw_str(&w, "why", m->why);
		}
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_close(&w, '}');
	jw_end(&w);
}

static void json_splits(struct jw *w, const struct vm_counters *c)
{
	char key[16];
	unsigned int s, i;

	jw_object(w, "splits");
	for (s = 0; s < SPLIT_SIZES; s++) {
		jw_object(w, rec_size_names[s]);
		jw_u64(w, "eager", c->vm.splits[s][CAUSE_EAGER]);
		jw_u64(w, "fault", c->vm.splits[s][CAUSE_FAULT]);
		jw_close(w, '}');
	}
	jw_close(w, '}');
	/* errno 0 is the bucket of errnos >= ST_SPLIT_ERRNOS. */
	jw_object(w, "split_errno");
	for (i = 0; i < ST_SPLIT_ERRNOS; i++) {
		if (!c->vm.split_errno[i])
			continue;
		snprintf(key, sizeof(key), "%s%u", i ? "" : ">=", i ? i : ST_SPLIT_ERRNOS);
		jw_u64(w, key, c->vm.split_errno[i]);
	}
	jw_close(w, '}');
}

static void json_lock(struct jw *w, const struct vm_counters *c)
{
	jw_object(w, "mmu_lock");
	jw_u64(w, "read_waits", c->vm.lock_waits[MMU_LOCK_READ]);
	jw_u64(w, "write_waits", c->vm.lock_waits[MMU_LOCK_WRITE]);
	jw_u64(w, "read_wait_ns", c->vm.lock_wait_ns[MMU_LOCK_READ]);
	jw_u64(w, "write_wait_ns", c->vm.lock_wait_ns[MMU_LOCK_WRITE]);
	jw_u64(w, "wait_p50_ns", hist_quantile_ns(c->vm.lock_wait_hist, ST_HIST_BUCKETS, 0.5));
	jw_u64(w, "wait_p99_ns", hist_quantile_ns(c->vm.lock_wait_hist, ST_HIST_BUCKETS, 0.99));
	jw_u64s(w, "wait_hist_log2_ns", c->vm.lock_wait_hist, ST_HIST_BUCKETS);
	/* --exact-waits: what the default timing adds to a vCPU fault's wait. */
	jw_u64(w, "wait_end_to_fault_ns", c->vm.wait_end_to_fault_ns);
	jw_u64(w, "wait_end_to_fault_count", c->vm.wait_end_to_fault_count);
	jw_u64(w, "wait_sampled_ns", c->vm.wait_sampled_ns);
	jw_close(w, '}');
}

static void json_holds(struct jw *w, const struct vm_entry *e, const struct vm_counters *c)
{
	unsigned int m, h;

	jw_object(w, "mmu_lock_hold");
	for (m = 0; m < MMU_LOCK_MODES; m++) {
		jw_object(w, rec_mode_names[m]);
		jw_u64(w, "max_ns", e->hold_max_run_ns[m]);
		jw_u64(w, "p99_ns", hist_quantile_ns(c->vm.hold_hist[m], ST_HIST_BUCKETS, 0.99));
		jw_object(w, "holders");
		for (h = 0; h < LOCK_HOLDERS; h++) {
			jw_object(w, rec_holder_names[h]);
			jw_u64(w, "count", c->vm.hold_count[m][h]);
			jw_u64(w, "ns", c->vm.hold_ns[m][h]);
			jw_close(w, '}');
		}
		jw_close(w, '}');
		jw_u64s(w, "hist_log2_ns", c->vm.hold_hist[m], ST_HIST_BUCKETS);
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

static void json_latency(struct jw *w, const struct vm_counters *c)
{
	jw_object(w, "fault_latency");
	jw_u64(w, "count", c->vm.fault_lat_count);
	jw_u64(w, "ns", c->vm.fault_lat_ns);
	jw_u64(w, "p50_ns", hist_quantile_ns(c->vm.fault_lat_hist, ST_HIST_BUCKETS, 0.5));
	jw_u64(w, "p99_ns", hist_quantile_ns(c->vm.fault_lat_hist, ST_HIST_BUCKETS, 0.99));
	jw_u64s(w, "hist_log2_ns", c->vm.fault_lat_hist, ST_HIST_BUCKETS);
	jw_close(w, '}');
}

static void json_dlog(struct jw *w, const struct vm_entry *e, const struct vm_counters *c)
{
	unsigned int i;

	jw_object(w, "dirty_log");
	for (i = 0; i < DLOG_OPS; i++) {
		jw_object(w, rec_dlog_names[i]);
		jw_u64(w, "count", c->vm.dlog_count[i]);
		jw_u64(w, "ns", c->vm.dlog_ns[i]);
		jw_u64(w, "splits", c->vm.dlog_splits[i]);
		jw_u64(w, "last_ns", e->gauges.dlog_last_ns[i]);
		jw_u64(w, "last_splits", e->gauges.dlog_last_splits[i]);
		if (e->gauges.dlog_last_pages_2m[i][0] == PAGES_UNKNOWN) {
			jw_null(w, "last_pages_2m_before");
			jw_null(w, "last_pages_2m_after");
		} else {
			jw_u64(w, "last_pages_2m_before", e->gauges.dlog_last_pages_2m[i][0]);
			jw_u64(w, "last_pages_2m_after", e->gauges.dlog_last_pages_2m[i][1]);
		}
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

static void json_vcpus(struct jw *w, const struct vm_entry *e, const struct vcpu_counts *rows,
		       const struct avail *a)
{
	/* Rows of vCPUs that counted nothing, up to the VM's vCPU count. */
	unsigned int n = e->vcpus.n > e->gauges.vcpus ? e->vcpus.n : e->gauges.vcpus;
	static const struct vcpu_counts none;
	unsigned int i, k;

	jw_array(w, "vcpus");
	for (i = 0; i < n; i++) {
		const struct vcpu_counts *v = i < e->vcpus.n ? &rows[i] : &none;

		if (i >= e->gauges.vcpus && !sum_u64(v->faults, FAULT_CLASSES))
			continue;
		jw_object(w, NULL);
		jw_u64(w, "vcpu", i);
		for (k = 0; k < FAULT_CLASSES; k++)
			jw_u64(w, rec_fault_keys[k], v->faults[k]);
		if (a->fault_latency) {
			jw_object(w, "fault_latency");
			jw_u64(w, "count", v->lat_count);
			jw_u64(w, "ns", v->lat_ns);
			jw_u64(w, "p50_ns", vcpu_lat_quantile(v->lat_hist, 0.5));
			jw_u64(w, "p99_ns", vcpu_lat_quantile(v->lat_hist, 0.99));
			jw_close(w, '}');
		}
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* A rate or ratio that may be unknown (negative): null then. */
static void jw_known(struct jw *w, const char *key, const char *fmt, double v)
{
	if (v < 0)
		jw_null(w, key);
	else
		jw_num(w, key, fmt, v);
}

static void json_lost(struct jw *w, const char *prefix, const struct lost_time *l)
{
	char key[48];

	snprintf(key, sizeof(key), "%slost_kind", prefix);
	jw_str(w, key, lost_kind_name(l->kind));
	snprintf(key, sizeof(key), "%slost_share", prefix);
	jw_known(w, key, "%.6f", l->share);
	snprintf(key, sizeof(key), "%slost_ns", prefix);
	if (l->kind == LOST_UNAVAILABLE)
		jw_null(w, key);
	else
		jw_u64(w, key, l->lost_ns);
}

/* One dirty-log round (struct round_rec); times in ns since the run began.
 * fault_ns only where faults are timed (function probes). */
static void json_round(struct jw *w, const struct round_rec *r, const struct avail *a, uint32_t vcpus)
{
	uint64_t dur = round_duration_ns(r);
	struct lost_time l;
	unsigned int k;

	jw_object(w, NULL);
	jw_u64(w, "migration", r->migration);
	jw_u64(w, "round", r->round);
	jw_u64(w, "start_ns", r->start_ns);
	jw_u64(w, "end_ns", r->end_ns);
	if (r->flags & ROUND_START_UNKNOWN)
		jw_true(w, "start_unknown");
	if (r->flags & ROUND_RING)
		jw_true(w, "ring");
	jw_u64(w, "harvests", r->harvests);
	jw_u64(w, "harvest_ns", r->harvest_ns);
	jw_u64(w, "dirty_pages", r->dirty_pages);
	/* What was not counted is null, as in the rows, not 0. */
	for (k = 0; k < FAULT_CLASSES; k++)
		if (a->faults)
			jw_u64(w, rec_fault_keys[k], r->c.faults[k]);
		else
			jw_null(w, rec_fault_keys[k]);
	if (a->splits)
		jw_u64(w, "splits", r->c.splits);
	else
		jw_null(w, "splits");
	if (a->lock_wait)
		jw_u64(w, "mmu_lock_wait_ns", r->c.lock_wait_ns);
	else
		jw_null(w, "mmu_lock_wait_ns");
	if (a->fault_latency) {
		jw_u64(w, "fault_ns", r->c.fault_ns);
		jw_u64(w, "fault_count", r->c.fault_count);
	}
	jw_known(w, "dirty_rate_bytes_per_second", "%.0f",
		 dur ? (double)r->dirty_pages * CONV_PAGE_SIZE * 1e9 / (double)dur : -1);
	round_lost_time(r, vcpus, a->lock_wait, &l);
	json_lost(w, "", &l);
	jw_close(w, '}');
}

/* The latest migration's convergence (docs/insight.md); null before any
 * round ended. */
static void json_convergence(struct jw *w, const struct vm_insight *ins)
{
	const struct converge *c = &ins->conv;

	if (!ins->nrounds) {
		jw_null(w, "convergence");
		return;
	}
	jw_object(w, "convergence");
	jw_u64(w, "migration", ins->migration);
	jw_u64(w, "round", c->round);
	jw_str(w, "state", converge_state_name(c->state));
	if (c->why != CONV_WHY_NONE)
		jw_str(w, "why", converge_why_name(c->why));
	jw_u64(w, "dirty_bytes", c->dirty_bytes);
	jw_known(w, "dirty_rate_bytes_per_second", "%.0f", c->dirty_rate);
	jw_known(w, "copy_rate_bytes_per_second", "%.0f", c->copy_rate);
	jw_known(w, "ratio", "%.4f", c->ratio);
	jw_known(w, "trend", "%.4f", c->trend);
	jw_u64(w, "budget_bytes", c->budget_bytes);
	if (c->state == CONV_CONVERGING) {
		jw_u64(w, "rounds_left", c->rounds_left);
		jw_num(w, "seconds_left", "%.3f", c->seconds_left);
	}
	json_lost(w, "latest_", &ins->lost);
	json_lost(w, "migration_", &ins->lost_all);
	jw_close(w, '}');
}

static void json_findings(struct jw *w, const struct findings *f)
{
	unsigned int i;

	jw_array(w, "findings");
	for (i = 0; i < f->n; i++) {
		const struct finding_def *d = &finding_defs[f->f[i].id];

		jw_object(w, NULL);
		jw_str(w, "name", d->name);
		jw_str(w, "severity", finding_severity_name(d->severity));
		jw_str(w, "message", f->f[i].msg);
		jw_str(w, "setting", d->setting);
		jw_str(w, "source", d->source);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* The rounds that ended in the interval (the total line: every round kept),
 * and the open one ("round": null while logging is off). */
static void json_rounds(struct jw *w, const struct vm_rounds *rr, enum scope sc, const struct avail *a,
			uint32_t vcpus)
{
	uint64_t k = sc == SCOPE_TOTAL ? 0 : rr->taken - rr->fresh;
	const struct round_rec *r;

	jw_array(w, "rounds");
	for (; k < rr->taken; k++)
		if ((r = vm_round(rr, k)))
			json_round(w, r, a, vcpus);
	jw_close(w, ']');
	if (!rr->open) {
		jw_null(w, "round");
		return;
	}
	jw_object(w, "round");
	jw_u64(w, "migration", rr->migration);
	jw_u64(w, "round", rr->round + 1);
	jw_u64(w, "start_ns", rr->open_start_ns);
	jw_u64(w, "harvested_pages", rr->open_pages);
	jw_close(w, '}');
}

static void json_vm(struct jw *w, const struct snap_vm *v, enum scope sc, const struct avail *a)
{
	const struct vm_counters *c = sc == SCOPE_TOTAL ? &v->e->now : &v->delta;
	const struct row *r = &v->row[sc];
	unsigned int i;

	jw_object(w, NULL);
	jw_u64(w, "pid", v->e->pid);
	jw_str(w, "vm", v->e->name);
	/* Only the identities the VM has: absent, never "" or null. */
	for (i = 0; i < NR_VM_IDENTS; i++)
		if (vm_ident_has(&v->e->ident, i))
			jw_str(w, vm_ident_defs[i].key, v->e->ident.v[i]);
	for (i = 0; i < NR_COLUMNS; i++) {
		if (!metrics[i].name)
			continue;
		if (r->present[i])
			jw_u64(w, metrics[i].name, r->v[i]);
		else
			jw_null(w, metrics[i].name);
	}
	jw_object(w, "detail");
	if (a->splits)
		json_splits(w, c);
	if (a->lock_wait)
		json_lock(w, c);
	if (a->lock_hold)
		json_holds(w, v->e, c);
	if (a->fault_latency)
		json_latency(w, c);
	json_dlog(w, v->e, c);
	json_vcpus(w, v->e, sc == SCOPE_TOTAL ? v->e->vcpus.now : v->vdelta, a);
	jw_close(w, '}');
	if (a->dlog) {
		json_rounds(w, &v->e->rounds, sc, a, v->e->gauges.vcpus);
		json_convergence(w, &v->ins);
	}
	json_findings(w, &v->ins.found);
	/* Only where it is so: the VM ended in this interval (its last one),
	 * as the live view marks it.  A replay reads it back. */
	if (!v->e->alive)
		jw_true(w, "exited");
	jw_close(w, '}');
}

static void json_frame(FILE *f, const struct snapshot *s, enum scope sc)
{
	struct jw w;
	unsigned int i;

	jw_begin(&w, f);
	jw_object(&w, NULL);
	jw_str(&w, "type", scope_name(sc));
	jw_num(&w, "time_unix_s", "%.3f", s->time_unix);
	jw_num(&w, "elapsed_s", "%.3f", s->elapsed);
	jw_array(&w, "vms");
	for (i = 0; i < s->n; i++)
		json_vm(&w, &s->vms[i], sc, &s->avail);
	jw_close(&w, ']');
	jw_object(&w, "self");
	for (i = 0; i < NR_SELF_STATS; i++)
		jw_u64(&w, self_stat_defs[i].name, self_stat_get(&s->self, i));
	jw_close(&w, '}');
	jw_close(&w, '}');
	jw_end(&w);
}

const struct renderer json_renderer = { .start = json_start, .frame = json_frame };
