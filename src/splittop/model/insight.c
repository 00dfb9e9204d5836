// SPDX-License-Identifier: GPL-2.0-only
#include "insight.h"

#include <string.h>

unsigned int vm_latest_rounds(const struct vm_rounds *r, struct round_rec *out, uint32_t *migration)
{
	const struct round_rec *last = r->taken ? vm_round(r, r->taken - 1) : NULL;
	uint64_t k, first = r->taken > ROUNDS_KEPT ? r->taken - ROUNDS_KEPT : 0;
	unsigned int n = 0;

	*migration = last ? last->migration : 0;
	if (!last)
		return 0;
	for (k = first; k < r->taken; k++) {
		const struct round_rec *x = vm_round(r, k);

		if (x && x->migration == last->migration)
			out[n++] = *x;
	}
	return n;
}

/* The rounds' time lost, summed as one long round would be. */
static void lost_over(const struct round_rec *r, unsigned int n, uint32_t vcpus, bool waits,
		      struct lost_time *out)
{
	struct round_rec all;
	unsigned int k;

	memset(&all, 0, sizeof(all));
	if (!n) {
		round_lost_time(&all, vcpus, waits, out);
		return;
	}
	all = r[0];
	for (k = 1; k < n; k++) {
		all.end_ns += r[k].end_ns - r[k].start_ns;
		all.c.fault_ns += r[k].c.fault_ns;
		all.c.fault_count += r[k].c.fault_count;
		all.c.lock_wait_ns += r[k].c.lock_wait_ns;
		all.flags |= r[k].flags;
	}
	round_lost_time(&all, vcpus, waits, out);
}

void vm_insight(const struct vm_entry *e, const struct host_info *h, const struct avail *a,
		uint64_t downtime_ns, struct vm_insight *out)
{
	static struct round_rec rounds[ROUNDS_KEPT];	/* one frame at a time */
	struct converge_in in = { .downtime_ns = downtime_ns };
	uint32_t vcpus = e->gauges.vcpus;

	memset(out, 0, sizeof(*out));
	out->nrounds = vm_latest_rounds(&e->rounds, rounds, &out->migration);
	in.r = rounds;
	in.n = out->nrounds;
	in.mem_bytes = e->gauges.mem_pages * CONV_PAGE_SIZE;
	converge_rounds(&in, &out->conv);
	if (out->nrounds)
		round_lost_time(&rounds[out->nrounds - 1], vcpus, a->lock_wait, &out->lost);
	else
		lost_over(rounds, 0, vcpus, a->lock_wait, &out->lost);
	lost_over(rounds, out->nrounds, vcpus, a->lock_wait, &out->lost_all);
	findings_eval(&(struct insight_in){ .run = &e->now, .g = &e->gauges, .rounds = rounds,
					    .nrounds = out->nrounds, .conv = &out->conv,
					    .mmu = h ? h->mmu : HOST_MMU_UNKNOWN,
					    .eager_split = h ? h->eager_split : "unknown", .avail = a },
		      &out->found);
}
