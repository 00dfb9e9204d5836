// SPDX-License-Identifier: GPL-2.0-only
#include "vm_table.h"

#include <string.h>

const char *const column_names[NR_COLUMNS] = {
	"vcpus", "mem_mib", "dirty_logging",
	"splits_2m", "splits_1g", "splits_eager", "splits_fault", "split_errors",
	"demotions_2m", "demotions_1g",
	"faults", "faults_huge_wp", "faults_nonpresent", "faults_4k_wp", "faults_other",
	"mmu_lock_waits", "mmu_lock_wait_ns", "mmu_lock_wait_max_ns", "mmu_lock_hold_ns",
	"fault_latency_p99_ns",
	"dirty_log_enables", "dirty_log_enable_ns", "dirty_log_disables", "dirty_log_gets",
	"dirty_log_get_ns", "dirty_log_clears", "dirty_log_clear_ns",
	"pages_4k", "pages_2m", "pages_1g",
};

/* Counters only grow while a VM lives; a smaller value would mean a reused
 * slot, which the caller never hands us, so clamp instead of wrapping. */
static uint64_t sub(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

void vm_counters_delta(const struct vm_counters *now, const struct vm_counters *prev,
		       struct vm_counters *out)
{
	const uint64_t *n = (const uint64_t *)now, *p = (const uint64_t *)prev;
	uint64_t *o = (uint64_t *)out;
	unsigned int i;

	for (i = 0; i < sizeof(*now) / sizeof(uint64_t); i++)
		o[i] = sub(n[i], p[i]);
}

static uint64_t sum_u64(const uint64_t *v, unsigned int n)
{
	uint64_t t = 0;

	while (n--)
		t += v[n];
	return t;
}

static void set(struct row *r, enum column c, bool present, uint64_t v)
{
	r->present[c] = present;
	r->v[c] = present ? v : 0;
}

void row_build(const struct vm_gauges *g, const struct vm_counters *c, uint64_t lock_wait_max_ns,
	       const struct avail *a, struct row *r)
{
	uint64_t faults = 0;
	unsigned int i;

	for (i = 0; i < FAULT_CLASSES; i++)
		faults += c->faults[i];
	set(r, COL_VCPUS, true, g->vcpus);
	set(r, COL_MEM_MIB, true, g->mem_pages * 4096 >> 20);
	set(r, COL_DIRTY_LOGGING, g->memslots_dirty >= 0, g->memslots_dirty > 0);
	set(r, COL_SPLITS_2M, a->splits, c->splits[SPLIT_2M][CAUSE_EAGER] + c->splits[SPLIT_2M][CAUSE_FAULT]);
	set(r, COL_SPLITS_1G, a->splits, c->splits[SPLIT_1G][CAUSE_EAGER] + c->splits[SPLIT_1G][CAUSE_FAULT]);
	set(r, COL_SPLITS_EAGER, a->splits, c->splits[SPLIT_2M][CAUSE_EAGER] + c->splits[SPLIT_1G][CAUSE_EAGER]);
	set(r, COL_SPLITS_FAULT, a->splits, c->splits[SPLIT_2M][CAUSE_FAULT] + c->splits[SPLIT_1G][CAUSE_FAULT]);
	set(r, COL_SPLIT_ERRORS, a->splits, c->split_errors);
	set(r, COL_DEMOTIONS_2M, a->faults, c->demotions[SPLIT_2M]);
	set(r, COL_DEMOTIONS_1G, a->faults, c->demotions[SPLIT_1G]);
	set(r, COL_FAULTS, a->faults, faults);
	set(r, COL_FAULTS_HUGE_WP, a->faults, c->faults[FAULT_HUGE_WP]);
	set(r, COL_FAULTS_NONPRESENT, a->faults, c->faults[FAULT_NONPRESENT]);
	set(r, COL_FAULTS_4K_WP, a->faults, c->faults[FAULT_4K_WP]);
	set(r, COL_FAULTS_OTHER, a->faults, c->faults[FAULT_OTHER]);
	set(r, COL_LOCK_WAITS, a->lock_wait, c->lock_waits[MMU_LOCK_READ] + c->lock_waits[MMU_LOCK_WRITE]);
	set(r, COL_LOCK_WAIT_NS, a->lock_wait, c->lock_wait_ns[MMU_LOCK_READ] + c->lock_wait_ns[MMU_LOCK_WRITE]);
	set(r, COL_LOCK_WAIT_MAX_NS, a->lock_wait, lock_wait_max_ns);
	set(r, COL_LOCK_HOLD_NS, a->lock_hold, sum_u64(&c->hold_ns[0][0], MMU_LOCK_MODES * LOCK_HOLDERS));
	set(r, COL_FAULT_LAT_P99_NS, a->fault_latency,
	    hist_quantile_ns(c->fault_lat_hist, ST_HIST_BUCKETS, 0.99));
	set(r, COL_DLOG_ENABLES, a->dlog_toggle, c->dlog_count[DLOG_ENABLE]);
	set(r, COL_DLOG_ENABLE_NS, a->dlog_toggle, c->dlog_ns[DLOG_ENABLE]);
	set(r, COL_DLOG_DISABLES, a->dlog_toggle, c->dlog_count[DLOG_DISABLE]);
	set(r, COL_DLOG_GETS, a->dlog, c->dlog_count[DLOG_GET]);
	set(r, COL_DLOG_GET_NS, a->dlog, c->dlog_ns[DLOG_GET]);
	set(r, COL_DLOG_CLEARS, a->dlog, c->dlog_count[DLOG_CLEAR]);
	set(r, COL_DLOG_CLEAR_NS, a->dlog, c->dlog_ns[DLOG_CLEAR]);
	set(r, COL_PAGES_4K, true, g->pages[0]);
	set(r, COL_PAGES_2M, true, g->pages[1]);
	set(r, COL_PAGES_1G, true, g->pages[2]);
}

uint64_t hist_quantile_ns(const uint64_t *hist, unsigned int buckets, double q)
{
	uint64_t total = 0, seen = 0, rank;
	unsigned int b;

	for (b = 0; b < buckets; b++)
		total += hist[b];
	if (!total || q <= 0)
		return 0;
	if (q > 1)
		q = 1;
	/* The rank of the quantile sample, 1-based, rounded up: p99 of 100
	 * samples is the 99th, of 1 sample the 1st. */
	rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++;
	if (!rank)
		rank = 1;
	for (b = 0; b < buckets; b++) {
		seen += hist[b];
		if (seen >= rank)
			break;
	}
	if (b >= buckets)
		b = buckets - 1;
	/* Bucket b holds [2^b, 2^(b+1)) ns (bucket 0 also holds 0). */
	return b >= 63 ? UINT64_MAX : (2ULL << b) - 1;
}
