// SPDX-License-Identifier: GPL-2.0-only
#include "report_vm.h"
#include "splittop/model/converge.h"
#include "splittop/model/findings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIB		(1024.0 * 1024.0)
/* The sign of a lower bound: lost time known from mmu_lock waits alone. */
#define AT_LEAST	"\u2265"

/* ns as the report writes a duration: "840 ns", "12.3 us", "4.56 ms", "1.23 s". */
static void fmt_ns(char *buf, size_t n, double ns)
{
	if (ns < 1e3)
		snprintf(buf, n, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, n, "%.1f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, n, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, n, "%.2f s", ns / 1e9);
}

/* A rate in MiB/s, or "-" where it is unknown (< 0). */
static void fmt_rate(char *buf, size_t n, double bytes_per_s)
{
	if (bytes_per_s < 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.1f", bytes_per_s / MIB);
}

static void fmt_lost(char *buf, size_t n, const struct lost_time *l)
{
	if (l->share < 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%s%.2f%%", l->kind == LOST_WAIT_BOUND ? AT_LEAST : "", l->share * 100);
}

/* One migration's round k as the live view saw it when the round ended:
 * the rates over the rounds up to it. */
static void round_row(struct doc_table *t, const struct report_round *rr, const struct round_rec *prefix,
		      unsigned int k, const struct converge_in *base)
{
	const struct round_rec *r = &prefix[k];
	struct converge_in in = *base;
	uint64_t dur = round_duration_ns(r);
	struct converge c;
	struct lost_time l;
	char s[32];

	in.r = prefix;
	in.n = k + 1;
	converge_rounds(&in, &c);
	round_lost_time(r, rr->vcpus, rr->waits, &l);
	doc_row(t);
	doc_cell(t, "%u", r->round);
	if (r->flags & ROUND_START_UNKNOWN)
		doc_cell(t, "?");
	else
		doc_cell(t, "%.3f", r->start_ns / 1e9);
	doc_cell(t, dur ? "%.3f" : "-", dur / 1e9);
	doc_cell(t, "%.1f", r->dirty_pages * (double)CONV_PAGE_SIZE / MIB);
	fmt_rate(s, sizeof(s), dur ? r->dirty_pages * (double)CONV_PAGE_SIZE * 1e9 / dur : -1);
	doc_cell(t, "%s", s);
	fmt_rate(s, sizeof(s), c.copy_rate);
	doc_cell(t, "%s", s);
	doc_cell(t, c.ratio < 0 ? "-" : "%.2f", c.ratio);
	doc_cell(t, "%llu", (unsigned long long)r->c.faults[FAULT_HUGE_WP]);
	doc_cell(t, "%llu", (unsigned long long)r->c.faults[FAULT_NONPRESENT]);
	doc_cell(t, "%llu", (unsigned long long)r->c.faults[FAULT_4K_WP]);
	doc_cell(t, "%llu", (unsigned long long)r->c.splits);
	fmt_lost(s, sizeof(s), &l);
	doc_cell(t, "%s", s);
}

static const char *const round_head[] = { "round", "start s", "length s", "dirty MiB", "dirty MiB/s",
					  "copy MiB/s", "ratio", "huge_wp", "nonpresent", "4k_wp", "splits",
					  "lost" };

/* What the latest rounds say: the state and the numbers that make it. */
static void verdict(struct doc *d, const struct converge *c, uint64_t downtime_ns)
{
	const char *name = converge_state_name(c->state);
	char dirty[16], copy[16];
	double ms = downtime_ns / 1e6, budget = c->budget_bytes / MIB, set = c->dirty_bytes / MIB;

	fmt_rate(dirty, sizeof(dirty), c->dirty_rate);
	fmt_rate(copy, sizeof(copy), c->copy_rate);
	switch (c->state) {
	case CONV_FITS:
		doc_line(d, "Verdict: %s: round %u's dirty set, %.1f MiB, fits the budget of %.1f MiB (the "
			 "inferred copy rate %s MiB/s x %.0f ms): the VMM can switch over", name, c->round, set, budget,
			 copy, ms);
		break;
	case CONV_CONVERGING:
		doc_line(d, "Verdict: %s: the dirty set shrinks (trend %.2f over %u rounds; dirty %s MiB/s, "
			 "copy %s MiB/s): %u more rounds, %.1f s, until its %.1f MiB fit the budget of %.1f MiB "
			 "(%.0f ms)", name, c->trend, c->trend_n, dirty, copy, c->rounds_left, c->seconds_left, set,
			 budget, ms);
		break;
	case CONV_NOT_CONVERGING:
		doc_line(d, "Verdict: %s: the dirty set does not shrink (trend %.2f over %u rounds, "
			 ">= %.2f): round %u dirtied %.1f MiB at %s MiB/s against an inferred copy rate of %s MiB/s; "
			 "the budget is %.1f MiB (%.0f ms)", name, c->trend, c->trend_n, CONV_RATIO_STALL, c->round, set,
			 dirty, copy, budget, ms);
		break;
	default:
		doc_line(d, "Verdict: %s (%s): %s", name, converge_why_name(c->why),
			 c->why == CONV_WHY_RING ? "the dirty ring's rounds are resets, not passes: no copy rate "
			 "follows" : c->why == CONV_WHY_TOO_FEW_ROUNDS ? "fewer than 3 rounds of known length" :
			 "the latest rounds give no copy rate (a start before splittop, a gap, an empty set)");
		break;
	}
}

/* The guest's time lost over the migration's rounds, each with its own
 * vCPUs: a lower bound where any round's is. */
static void migration_lost(struct doc *d, const struct report_round *rr, unsigned int n)
{
	uint64_t lost = 0, vcpu = 0;
	bool bound = false, any = false;
	struct lost_time l;
	char a[32], b[32];
	unsigned int k;

	for (k = 0; k < n; k++) {
		round_lost_time(&rr[k].r, rr[k].vcpus, rr[k].waits, &l);
		if (l.share < 0)
			continue;
		any = true;
		bound |= l.kind == LOST_WAIT_BOUND;
		lost += l.lost_ns;
		vcpu += l.vcpu_ns;
	}
	if (!any || !vcpu) {
		doc_line(d, "Lost time: unavailable (faults not timed, mmu_lock waits not counted, or no round "
			 "of known length)");
		return;
	}
	fmt_ns(a, sizeof(a), (double)lost);
	fmt_ns(b, sizeof(b), (double)vcpu);
	doc_line(d, "Lost time: %s%.2f%% of the guest's vCPU time over the migration's rounds (%s of %s): %s",
		 bound ? AT_LEAST : "", 100.0 * lost / vcpu, a, b,
		 bound ? "its vCPUs' mmu_lock waits, a lower bound (faults were not timed)" :
		 "its vCPUs' time in page faults");
}

/* Migration rr[0..n) (one migration's rounds, in order). */
static int migration(struct doc *d, const struct report_vm *v, const struct report_round *rr, unsigned int n,
		     uint64_t downtime_ns)
{
	struct converge_in in = { .downtime_ns = downtime_ns, .mem_bytes = v->g.mem_pages * CONV_PAGE_SIZE };
	struct round_rec *r = calloc(n, sizeof(*r));
	struct doc_table t;
	struct converge c;
	unsigned int k;
	int err;

	if (!r)
		return -ENOMEM;
	for (k = 0; k < n; k++)
		r[k] = rr[k].r;
	doc_heading(d, 3, "Migration %u: %u round%s, %.3f s to %.3f s", r[0].migration, n, n == 1 ? "" : "s",
		    r[0].start_ns / 1e9, r[n - 1].end_ns / 1e9);
	doc_table_init(&t, 12, 0, round_head);
	for (k = 0; k < n; k++)
		round_row(&t, &rr[k], r, k, &in);
	err = doc_table_end(d, &t);
	in.r = r;
	in.n = n;
	converge_rounds(&in, &c);
	free(r);
	verdict(d, &c, downtime_ns ? downtime_ns : CONV_DOWNTIME_DEFAULT_NS);
	migration_lost(d, rr, n);
	if (v->round_open && v->open_migration == rr[0].r.migration)
		doc_line(d, "Still going when the recording ended: round %u open", v->open_round + 1);
	return err;
}

static int migrations(struct doc *d, const struct report_vm *v, uint64_t downtime_ns)
{
	unsigned int i = 0, j;
	int err = 0;

	if (!v->nr) {
		uint64_t harvests = v->c.vm.dlog_count[DLOG_GET] + v->c.vm.dlog_count[DLOG_RESET];

		doc_heading(d, 3, "Migrations");
		if (!v->rounds_known)
			doc_line(d, "No dirty-log rounds: this recording has none (its splittop predates them)");
		else if (harvests)
			doc_line(d, "No dirty-log rounds, though the dirty log was harvested %llu times: the recording "
				 "has none (its splittop predates them, or they were lost)", (unsigned long long)harvests);
		else
			doc_line(d, "No dirty-log rounds: the dirty log was never harvested");
		return 0;
	}
	while (!err && i < v->nr) {
		for (j = i + 1; j < v->nr && v->r[j].r.migration == v->r[i].r.migration; j++)
			;
		err = migration(d, v, &v->r[i], j - i, downtime_ns);
		i = j;
	}
	if (v->rounds_cut)
		doc_line(d, "More rounds than the report keeps (%u): the later ones are left out", REPORT_ROUNDS_MAX);
	return err;
}

static const char *const split_head[] = { "size", "eager", "in faults", "dropped in faults" };
static const char *const errno_head[] = { "errno", "failed splits", "what it means" };

/* What a failed split's errno says (docs/insight.md, split-failed). */
static const char *errno_means(unsigned int e)
{
	switch (e) {
	case EAGAIN:
		return "a retry: the shadow MMU topped up its caches with mmu_lock dropped";
	case EBUSY:
		return "a retry: the TDP MMU lost a compare-and-swap";
	case ENOMEM:
		return "host memory or the VMM's memory cgroup: the rest split in vCPU faults";
	case ENOSPC:
		return "the shadow MMU's page limit (KVM_SET_NR_MMU_PAGES)";
	default:
		return "see the kvm_mmu_split_huge_page tracepoint";
	}
}

static int failed_splits(struct doc *d, const struct report_vm *v)
{
	struct doc_table t;
	unsigned int e;

	if (!v->c.vm.split_errors) {
		doc_line(d, "Failed splits: none");
		return 0;
	}
	doc_line(d, "Failed splits: %llu, by errno:", (unsigned long long)v->c.vm.split_errors);
	doc_table_init(&t, 3, 1, errno_head);
	for (e = 1; e <= ST_SPLIT_ERRNOS; e++) {
		unsigned int i = e % ST_SPLIT_ERRNOS;	/* bucket 0 (>= 32) last */
		const char *name = i ? strerrorname_np((int)i) : NULL;

		if (!v->c.vm.split_errno[i])
			continue;
		doc_row(&t);
		if (i)
			doc_cell(&t, "%s (%u)", name ? name : "?", i);
		else
			doc_cell(&t, ">=%u", ST_SPLIT_ERRNOS);
		doc_cell(&t, "%llu", (unsigned long long)v->c.vm.split_errno[i]);
		doc_cell(&t, "%s", i ? errno_means(i) : "see the kvm_mmu_split_huge_page tracepoint");
	}
	return doc_table_end(d, &t);
}

static int splits(struct doc *d, const struct report_vm *v)
{
	static const char *const size[SPLIT_SIZES] = { "2M", "1G" };
	struct doc_table t;
	unsigned int s;
	int err;

	doc_heading(d, 3, "Splits");
	if (!v->avail.splits) {
		doc_line(d, "Splits: unavailable (this recording's kernel gave splittop no split tracepoint)");
		return 0;
	}
	doc_line(d, "Huge mappings split, by cause and size (in faults: where a vCPU wrote to one; dropped: "
		 "broken to 4 KiB by the fault instead of split)");
	doc_table_init(&t, 4, 1, split_head);
	for (s = 0; s < SPLIT_SIZES; s++) {
		doc_row(&t);
		doc_cell(&t, "%s", size[s]);
		doc_cell(&t, "%llu", (unsigned long long)v->c.vm.splits[s][CAUSE_EAGER]);
		doc_cell(&t, "%llu", (unsigned long long)v->c.vm.splits[s][CAUSE_FAULT]);
		doc_cell(&t, "%llu", (unsigned long long)v->c.demotions[s]);
	}
	err = doc_table_end(d, &t);
	if (v->avail.split_mmu)
		doc_line(d, "Eager splits by MMU: shadow %llu, TDP %llu",
			 (unsigned long long)v->c.vm.splits_mmu[MMU_SHADOW],
			 (unsigned long long)v->c.vm.splits_mmu[MMU_TDP]);
	return err ?: failed_splits(d, v);
}

static const char *const dlog_head[] = { "operation", "count", "total", "mean", "latest", "splits in them" };
static const char *const dlog_name[DLOG_OPS] = { "enable", "disable", "get", "clear", "reset" };

static int dirty_log(struct doc *d, const struct report_vm *v)
{
	struct doc_table t;
	unsigned int i;
	char a[24], b[24], c[24];

	doc_heading(d, 3, "Dirty-log operations");
	if (!v->avail.dlog) {
		doc_line(d, "Unavailable: the recording has no dirty-log ioctls");
		return 0;
	}
	doc_line(d, "Over the %s (latest: the last one of each kind)", v->total ? "run" : "intervals recorded");
	doc_table_init(&t, 6, 1, dlog_head);
	for (i = 0; i < DLOG_OPS; i++) {
		uint64_t n = v->c.vm.dlog_count[i];

		fmt_ns(a, sizeof(a), (double)v->c.vm.dlog_ns[i]);
		fmt_ns(b, sizeof(b), n ? (double)v->c.vm.dlog_ns[i] / n : 0);
		fmt_ns(c, sizeof(c), (double)v->g.dlog_last_ns[i]);
		doc_row(&t);
		doc_cell(&t, "%s", dlog_name[i]);
		doc_cell(&t, "%llu", (unsigned long long)n);
		doc_cell(&t, "%s", n ? a : "-");
		doc_cell(&t, "%s", n ? b : "-");
		doc_cell(&t, "%s", n ? c : "-");
		doc_cell(&t, "%llu", (unsigned long long)v->c.vm.dlog_splits[i]);
	}
	return doc_table_end(d, &t);
}

static const char *const hold_head[] = { "mode", "longest", "vcpu_fault", "memslot", "dirty_log", "other" };

static int holds(struct doc *d, const struct report_rec *rec, const struct report_vm *v)
{
	static const char *const mode[MMU_LOCK_MODES] = { "read", "write" };
	struct doc_table t;
	unsigned int m, k;
	char s[24];

	doc_heading(d, 3, "mmu_lock holds");
	if (!v->avail.lock_hold) {
		doc_line(d, "Unavailable: %s", rec->hold_why[0] ? rec->hold_why :
			 "the recording has no mmu_lock hold times (function probes)");
		return 0;
	}
	doc_line(d, "The longest hold by mode, and each holder's time held (and holds) over the %s",
		 v->total ? "run" : "intervals recorded");
	doc_table_init(&t, 6, 1, hold_head);
	for (m = 0; m < MMU_LOCK_MODES; m++) {
		doc_row(&t);
		doc_cell(&t, "%s", mode[m]);
		fmt_ns(s, sizeof(s), (double)v->hold_max_ns[m]);
		doc_cell(&t, "%s", s);
		for (k = 0; k < LOCK_HOLDERS; k++) {
			fmt_ns(s, sizeof(s), (double)v->c.vm.hold_ns[m][k]);
			doc_cell(&t, "%s (%llu)", s, (unsigned long long)v->c.vm.hold_count[m][k]);
		}
	}
	return doc_table_end(d, &t);
}

static const char *const finding_head[] = { "finding", "severity", "message", "setting", "source" };

/* The rules run here on the VM's totals and its latest migration's rounds
 * (the ROUNDS_KEPT latest, as the live view has them): for a recording
 * whose total line has no "findings". */
static void evaluate(const struct report_rec *rec, const struct report_vm *v, uint64_t downtime_ns,
		     struct findings *out)
{
	struct round_rec r[ROUNDS_KEPT];
	struct converge c;
	uint32_t k = v->nr > ROUNDS_KEPT ? v->nr - ROUNDS_KEPT : 0;
	unsigned int n = 0;

	for (; k < v->nr; k++)
		if (v->r[k].r.migration == v->r[v->nr - 1].r.migration)
			r[n++] = v->r[k].r;
	converge_rounds(&(struct converge_in){ .r = r, .n = n, .downtime_ns = downtime_ns,
					       .mem_bytes = v->g.mem_pages * CONV_PAGE_SIZE }, &c);
	findings_eval(&(struct insight_in){ .run = &v->c, .g = &v->g, .rounds = r, .nrounds = n, .conv = &c,
					    .mmu = rec->host.mmu, .eager_split = rec->host.eager_split,
					    .avail = &v->avail }, out);
}

static int findings(struct doc *d, const struct report_rec *rec, const struct report_vm *v, uint64_t downtime_ns,
		    bool here)
{
	static struct findings found;	/* one VM at a time */
	bool recorded = v->findings_known && !here;
	struct doc_table t;
	unsigned int i, n;

	doc_heading(d, 3, "Findings");
	if (!recorded)
		evaluate(rec, v, downtime_ns, &found);
	n = recorded ? v->nf : found.n;
	doc_line(d, "%s %s", n ? "The rules that fired" : "None: no rule fired", recorded ?
		 "(as the recording's total line has them)" :
		 "(evaluated here on the VM's totals and its latest migration's rounds)");
	if (!n)
		return 0;
	doc_table_init(&t, 5, 5, finding_head);
	t.blocks = true;
	for (i = 0; i < n; i++) {
		const struct finding_def *def = recorded ? NULL : &finding_defs[found.f[i].id];

		doc_row(&t);
		doc_cell(&t, "%s", def ? def->name : v->f[i].name);
		doc_cell(&t, "%s", def ? finding_severity_name(def->severity) : v->f[i].severity);
		doc_cell(&t, "%s", def ? found.f[i].msg : v->f[i].message);
		doc_cell(&t, "%s", def ? def->setting : v->f[i].setting);
		doc_cell(&t, "%s", def ? def->source : v->f[i].source);
	}
	return doc_table_end(d, &t);
}

/* The VM's heading and what it did over the run, in two lines. */
static void overview(struct doc *d, const struct report_vm *v)
{
	const struct vm_counters *c = &v->c;

	doc_heading(d, 2, "VM \"%s\", pid %u", v->name, v->pid);
	doc_line(d, "%u vCPU%s, %llu MiB of memory; in the recording from %.1f s to %.1f s%s", v->g.vcpus, v->g.vcpus == 1 ? "" : "s",
		 (unsigned long long)(v->g.mem_pages >> 8), v->first_s, v->last_s,
		 v->exited ? "; it exited" : "");
	if (v->avail.faults)
		doc_line(d, "Faults: %llu huge_wp, %llu nonpresent, %llu 4k_wp, %llu other; %llu pages dirtied in "
			 "%llu rounds (%.1f MiB)", (unsigned long long)c->faults[FAULT_HUGE_WP],
			 (unsigned long long)c->faults[FAULT_NONPRESENT], (unsigned long long)c->faults[FAULT_4K_WP],
			 (unsigned long long)c->faults[FAULT_OTHER], (unsigned long long)c->vm.dirty_pages,
			 (unsigned long long)c->vm.dirty_rounds, c->vm.dirty_pages * (double)CONV_PAGE_SIZE / MIB);
	if (!v->total)
		doc_line(d, "No total line for it: the run's counts are the sum of its intervals");
}

int report_vm(struct doc *d, const struct report_rec *rec, const struct report_vm *v, uint64_t downtime_ns,
	      bool evaluate)
{
	overview(d, v);
	return migrations(d, v, downtime_ns) ?: splits(d, v) ?: dirty_log(d, v) ?: holds(d, rec, v) ?:
	       findings(d, rec, v, downtime_ns, evaluate);
}
