// SPDX-License-Identifier: GPL-2.0-only
/* Convergence of a pre-copy migration from its dirty-log rounds, and the
 * guest's lost time in a round.  The model, in one paragraph (docs/insight.md
 * has the rest): in pre-copy the VMM harvests the dirty log, sends the pages
 * it found, and harvests again when done, so round k (from one harvest to the
 * next) is the time it took to send round k-1's dirty set; that set over that
 * time is the copy rate, and the ratio of consecutive dirty sets is the dirty
 * rate over the copy rate.  A migration converges when the dirty set shrinks
 * until it can be sent within the downtime budget. */
#include "converge.h"

#include <math.h>

/* A round 1 whose harvest holds at least this share of guest memory is the
 * VMM's first sync, made as logging starts, not the end of a pass over
 * memory: with KVM_DIRTY_LOG_INITIALLY_SET (QEMU's default where KVM offers
 * it, accel/kvm/kvm-all.c) that harvest holds every page of every logged
 * memslot.  Not 100%: memslots the VMM does not log (ROM, device memory)
 * count in the memory size but not in the harvest. */
#define CONV_ALL_SET_SHARE	0.9

static const char *const state_names[NR_CONV_STATES] = {
	[CONV_UNKNOWN] = "unknown",
	[CONV_CONVERGING] = "converging",
	[CONV_FITS] = "fits",
	[CONV_NOT_CONVERGING] = "not-converging",
};

static const char *const why_names[NR_CONV_WHYS] = {
	[CONV_WHY_NONE] = "",
	[CONV_WHY_TOO_FEW_ROUNDS] = "too-few-rounds",
	[CONV_WHY_RING] = "dirty-ring",
	[CONV_WHY_NO_COPY_RATE] = "no-copy-rate",
	[CONV_WHY_RATIO] = "ratio",
};

static const char *const lost_names[NR_LOST_KINDS] = {
	[LOST_UNAVAILABLE] = "unavailable",
	[LOST_FAULT_TIME] = "fault-time",
	[LOST_WAIT_BOUND] = "lock-wait-lower-bound",
};

const char *converge_state_name(enum converge_state s)
{
	return s < NR_CONV_STATES ? state_names[s] : "unknown";
}

const char *converge_why_name(enum converge_why w)
{
	return w < NR_CONV_WHYS ? why_names[w] : "";
}

const char *lost_kind_name(enum lost_kind k)
{
	return k < NR_LOST_KINDS ? lost_names[k] : "unavailable";
}

uint64_t round_duration_ns(const struct round_rec *r)
{
	if (r->flags & ROUND_START_UNKNOWN || r->end_ns <= r->start_ns)
		return 0;
	return r->end_ns - r->start_ns;
}

/* r[i-1] is the round just before r[i], of the same migration: the ring of
 * rounds user space keeps may have lost some. */
static bool follows(const struct round_rec *r, unsigned int i)
{
	return i > 0 && r[i].migration == r[i - 1].migration && r[i].round == r[i - 1].round + 1;
}

/* Round 1 of the array is the VMM's start sync (see CONV_ALL_SET_SHARE). */
static bool start_sync(const struct converge_in *in)
{
	unsigned int i;

	for (i = 0; i < in->n; i++)
		if (in->r[i].round == 1)
			return in->mem_bytes &&
			       (double)in->r[i].dirty_pages * CONV_PAGE_SIZE >=
				       CONV_ALL_SET_SHARE * (double)in->mem_bytes;
	return false;
}

/* Bytes the VMM sent during round i: the previous round's dirty set, or all
 * of memory in the round that carries the bulk pass (round 1, or round 2
 * after a start sync).  0: not known (*bulk says which case it was). */
static uint64_t sent_bytes(const struct converge_in *in, unsigned int i, bool sync, bool *bulk)
{
	const struct round_rec *r = in->r;

	*bulk = r[i].round == (sync ? 2u : 1u);
	if (*bulk && in->mem_bytes)
		return in->mem_bytes;
	if (r[i].round == 1 || !follows(r, i))
		return 0;
	return r[i - 1].dirty_pages * CONV_PAGE_SIZE;
}

/* Sums over the trend's window: the latest rounds back to the first one whose
 * copy or ratio cannot be known, at most `want` ratios. */
struct window {
	uint64_t sent, ns;
	double log_sum;
	unsigned int ratios;
	bool zero, bulk;
	double latest_ratio;
};

static void window_walk(const struct converge_in *in, unsigned int want, struct window *w)
{
	bool sync = start_sync(in), bulk;
	unsigned int i, k;

	*w = (struct window){ .latest_ratio = -1 };
	for (k = 0, i = in->n; i-- > 0 && k < want; k++) {
		const struct round_rec *r = &in->r[i];
		uint64_t ns = round_duration_ns(r), sent = sent_bytes(in, i, sync, &bulk);
		double ratio;

		if (!ns || !sent)
			break;
		w->sent += sent;
		w->ns += ns;
		w->bulk |= bulk;
		/* A ratio needs the round before and a set to divide by. */
		if (!follows(in->r, i) || !in->r[i - 1].dirty_pages)
			break;
		ratio = (double)r->dirty_pages / (double)in->r[i - 1].dirty_pages;
		if (i == in->n - 1)
			w->latest_ratio = ratio;
		if (ratio > 0)
			w->log_sum += log(ratio);
		else
			w->zero = true;
		w->ratios++;
	}
}

double converge_seconds(double d, double r, double c, uint32_t k)
{
	double sum = 0, set = d;
	uint32_t j;

	if (c <= 0)
		return -1;
	/* Summed rather than the closed form d (1 - r^k) / (1 - r): exact at r = 1. */
	for (j = 0; j < k; j++, set *= r)
		sum += set;
	return sum / c;
}

/* The verdict once the rates and the trend are known. */
static void verdict(struct converge *o, const struct converge_in *in)
{
	uint64_t downtime = in->downtime_ns ? in->downtime_ns : CONV_DOWNTIME_DEFAULT_NS;
	double budget = o->copy_rate * (double)downtime / 1e9, set = (double)o->dirty_bytes;

	o->budget_bytes = (uint64_t)budget;
	if (set <= budget) {
		o->state = CONV_FITS;
		return;
	}
	if (o->trend >= CONV_RATIO_STALL) {
		o->state = CONV_NOT_CONVERGING;
		o->why = CONV_WHY_RATIO;
		return;
	}
	o->state = CONV_CONVERGING;
	/* The smallest k with set x trend^k <= budget; a trend of 0 empties the
	 * set in one round.  The set exceeds a positive budget here, so the
	 * logarithm's argument is in (0, 1). */
	if (o->trend <= 0 || budget <= 0)
		o->rounds_left = 1;
	else
		o->rounds_left = (uint32_t)ceil(log(budget / set) / log(o->trend) - 1e-9);
	if (!o->rounds_left)
		o->rounds_left = 1;
	o->seconds_left = converge_seconds(set, o->trend, o->copy_rate, o->rounds_left);
}

/* The latest round's own figures, whatever the verdict. */
static void latest_round(const struct converge_in *in, struct converge *o)
{
	const struct round_rec *r = &in->r[in->n - 1];
	uint64_t ns = round_duration_ns(r);

	o->round = r->round;
	o->dirty_bytes = r->dirty_pages * CONV_PAGE_SIZE;
	if (ns)
		o->dirty_rate = (double)o->dirty_bytes * 1e9 / (double)ns;
}

static bool any_ring(const struct converge_in *in)
{
	unsigned int i;

	for (i = 0; i < in->n; i++)
		if (in->r[i].flags & ROUND_RING)
			return true;
	return false;
}

void converge_rounds(const struct converge_in *in, struct converge *out)
{
	unsigned int want = in->trend_rounds ? in->trend_rounds : CONV_TREND_ROUNDS;
	struct window w;

	*out = (struct converge){ .dirty_rate = -1, .copy_rate = -1, .ratio = -1, .trend = -1 };
	if (!in->n) {
		out->why = CONV_WHY_TOO_FEW_ROUNDS;
		return;
	}
	latest_round(in, out);
	window_walk(in, want, &w);
	out->ratio = w.latest_ratio;
	out->copy_rate_bulk = w.bulk;
	if (w.ns && w.sent)
		out->copy_rate = (double)w.sent * 1e9 / (double)w.ns;
	out->trend_n = w.ratios;
	if (w.ratios)
		out->trend = w.zero ? 0 : exp(w.log_sum / w.ratios);
	/* The dirty ring's rounds are resets, which a VMM's reaper makes on its
	 * own clock, not once per pass over memory: no copy rate follows. */
	if (any_ring(in)) {
		out->copy_rate = -1;
		out->why = CONV_WHY_RING;
	} else if (in->n < CONV_MIN_ROUNDS || out->round < CONV_MIN_ROUNDS) {
		out->why = CONV_WHY_TOO_FEW_ROUNDS;
	} else if (w.ratios + 1 < CONV_MIN_ROUNDS || out->copy_rate <= 0) {
		/* Rounds enough, but a gap, an unknown start or an empty set
		 * among the latest leaves too few that say something. */
		out->why = CONV_WHY_NO_COPY_RATE;
	} else {
		verdict(out, in);
	}
}

void round_lost_time(const struct round_rec *r, uint32_t vcpus, bool waits_counted,
		     struct lost_time *out)
{
	*out = (struct lost_time){ .kind = LOST_UNAVAILABLE, .share = -1 };
	out->vcpu_ns = (uint64_t)vcpus * round_duration_ns(r);
	if (!out->vcpu_ns)
		return;
	if (r->c.fault_count) {
		out->kind = LOST_FAULT_TIME;
		out->lost_ns = r->c.fault_ns;
	} else if (waits_counted) {
		/* A vCPU waits for mmu_lock inside its fault, so the waits are
		 * part of the fault time and bound it from below. */
		out->kind = LOST_WAIT_BOUND;
		out->lost_ns = r->c.lock_wait_ns;
	} else {
		return;
	}
	out->share = (double)out->lost_ns / (double)out->vcpu_ns;
}
