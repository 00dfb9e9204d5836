/* SPDX-License-Identifier: GPL-2.0-only */
/* One migration's dirty-log rounds turned into answers: the dirty rate, the
 * VMM's copy rate as the rounds imply it, whether the dirty set shrinks, and
 * how many rounds and seconds are left until it fits the downtime budget;
 * and the guest's lost time in a round.  Pure arithmetic over struct
 * round_rec: no BPF, no I/O, unit-tested without root (tests/unit/
 * test_insight.c).  Each figure's formula, assumptions and failure modes:
 * docs/insight.md. */
#ifndef SPLITTOP_CONVERGE_H
#define SPLITTOP_CONVERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "splittop.h"

/* The unit of round_rec.dirty_pages: KVM's dirty log has a bit (or a ring
 * entry) per 4 KiB guest page on every architecture splittop runs on. */
#define CONV_PAGE_SIZE		4096ull

/* QEMU's downtime-limit default (qapi/migration.json: 300 ms): the budget
 * when the user gives none. */
#define CONV_DOWNTIME_DEFAULT_NS	(300ull * 1000 * 1000)

/* Ratios the trend averages: enough to smooth one odd round (a guest that
 * paused, a round cut short), few enough to follow a workload that changes
 * phase.  QEMU's auto-converge also waits for two bad syncs in a row
 * (dirty_rate_high_cnt) before it acts on one. */
#define CONV_TREND_ROUNDS	3

/* Rounds needed before a verdict: two ratios at least, since one is noise
 * (a guest that paused, a round cut short). */
#define CONV_MIN_ROUNDS		3

/* A dirty set that shrinks by less than 5% a round is not converging in any
 * useful sense: a set 10x over the budget would need 45 more rounds. */
#define CONV_RATIO_STALL	0.95

enum converge_state {
	CONV_UNKNOWN,		/* too few rounds, or rounds that imply no copy rate */
	CONV_CONVERGING,	/* the dirty set shrinks: rounds_left and seconds_left hold */
	CONV_FITS,		/* the latest dirty set fits the budget already */
	CONV_NOT_CONVERGING,	/* the dirty set does not shrink (trend >= CONV_RATIO_STALL) */
	NR_CONV_STATES,
};

/* Why a state is what it is, beyond the numbers. */
enum converge_why {
	CONV_WHY_NONE,
	CONV_WHY_TOO_FEW_ROUNDS,	/* fewer than CONV_MIN_ROUNDS timed rounds */
	CONV_WHY_RING,			/* dirty ring: rounds are resets, not passes */
	CONV_WHY_NO_COPY_RATE,		/* the latest round implies none (start unknown,
					 * a gap in the rounds, a zero duration) */
	CONV_WHY_RATIO,			/* the dirty set does not shrink */
	NR_CONV_WHYS,
};

/* "unknown", "converging", "fits", "not-converging": as written in output. */
const char *converge_state_name(enum converge_state s);
/* "", "too-few-rounds", "dirty-ring", "no-copy-rate", "ratio". */
const char *converge_why_name(enum converge_why w);

struct converge_in {
	const struct round_rec *r;	/* one migration's rounds, oldest first */
	unsigned int n;
	uint64_t downtime_ns;		/* the budget; 0: CONV_DOWNTIME_DEFAULT_NS */
	uint64_t mem_bytes;		/* guest memory: what round 1 sends; 0 unknown */
	unsigned int trend_rounds;	/* ratios in the trend; 0: CONV_TREND_ROUNDS */
};

struct converge {
	enum converge_state state;
	enum converge_why why;
	uint32_t round;			/* the latest round's number (0: none) */
	uint64_t dirty_bytes;		/* the latest round's dirty set */
	double dirty_rate;		/* its bytes dirtied per second; < 0 unknown */
	double copy_rate;		/* bytes per second the VMM sent in it; < 0 unknown */
	bool copy_rate_bulk;		/* from round 1: mem_bytes over its duration */
	double ratio;			/* latest dirty set / the one before; < 0 unknown */
	double trend;			/* geometric mean of the latest trend_n ratios; < 0 unknown */
	unsigned int trend_n;
	uint64_t budget_bytes;		/* copy_rate x downtime: what may be left at switchover */
	uint32_t rounds_left;		/* CONV_CONVERGING: rounds until the set fits */
	double seconds_left;		/* and the time those rounds take */
};

/* Fill out from in's rounds.  Never fails: what cannot be known says so
 * (negative rates and ratios, CONV_UNKNOWN with its why). */
void converge_rounds(const struct converge_in *in, struct converge *out);

/* A round's duration in ns; 0 when it cannot be known (its start came before
 * splittop saw logging go on, or no time passed). */
uint64_t round_duration_ns(const struct round_rec *r);

/* Seconds k rounds take starting from a dirty set of d bytes that shrinks by
 * ratio r a round, at copy rate c: each round sends the previous round's set,
 * d + d r + ... + d r^(k-1), over c.  Exposed for the tests' arithmetic. */
double converge_seconds(double d, double r, double c, uint32_t k);

/* How a round's lost time is known. */
enum lost_kind {
	LOST_UNAVAILABLE,	/* neither fault time nor lock waits (or no vCPU time) */
	LOST_FAULT_TIME,	/* vCPU time in KVM's page fault handler (function probes) */
	LOST_WAIT_BOUND,	/* a lower bound: vCPU time waiting for mmu_lock alone */
	NR_LOST_KINDS,
};

/* "unavailable", "fault-time", "lock-wait-lower-bound". */
const char *lost_kind_name(enum lost_kind k);

struct lost_time {
	enum lost_kind kind;
	uint64_t lost_ns;	/* vCPU time lost in the round */
	uint64_t vcpu_ns;	/* vcpus x the round's duration */
	double share;		/* lost_ns / vcpu_ns; < 0 unavailable */
};

/* The share of the round's vCPU time (vcpus x duration) its vCPUs spent in
 * page faults, where faults were timed (c.fault_count > 0), else the lower
 * bound from their mmu_lock waits when waits are counted (waits_counted). */
void round_lost_time(const struct round_rec *r, uint32_t vcpus, bool waits_counted,
		     struct lost_time *out);

#endif
