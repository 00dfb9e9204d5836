/* SPDX-License-Identifier: GPL-2.0-only */
/* dirtyvm's machine-readable summary: key=value lines or one JSON object. */
#ifndef DIRTYVM_REPORT_H
#define DIRTYVM_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "kvm_stats.h"

struct round_result {
	double dirty_s, get_s, clear_s, reset_s;
	uint64_t dirty;		/* bits KVM set in the dirty log */
	uint64_t missing;	/* pages the guest wrote whose bit was not set */
	uint64_t pages[DVM_PAGE_STATS];	/* KVM's pages_4k/2m/1g after the round */
	/* KVM's fault counters over the round's pass (DVM_STAT_MISSING where
	 * the kernel lacks one): how this kernel's faults treat a protected
	 * huge mapping shows in them (tests/e2e/harness.py, splits_in_fault). */
	uint64_t faults[DVM_FAULT_STATS];
};

/* A pass over all memory after dirty logging was disabled (--after-pass). */
struct after_pass_result {
	bool done;
	double secs;
	uint64_t pages[DVM_PAGE_STATS];		/* KVM's pages_4k/2m/1g after the pass */
	uint64_t faults[DVM_FAULT_STATS]; /* KVM's fault counters over the pass */
};

/* One migration: enable dirty logging, rounds, disable (or a cancelled one:
 * fewer rounds, --cancel-after), then the pass after it, if asked. */
struct migration_result {
	bool cancelled;
	double enable_s, disable_s;
	uint64_t pages_before[DVM_PAGE_STATS];	/* before enabling dirty logging */
	uint64_t pages_enabled[DVM_PAGE_STATS];	/* right after enabling it */
	uint64_t pages_disabled[DVM_PAGE_STATS];	/* right after disabling it */
	bool disabled;
	unsigned int rounds_done;
	struct round_result *rounds;	/* opt->rounds of them */
	struct after_pass_result after;
};

struct vm_result {
	bool created, started, logging;
	int err;
	unsigned int cycles;		/* complete cycles (--loop) */
	double populate_s;
	double base_pass_s;		/* the last pass after populate: all memory
					 * mapped, no logging (0: --passes 1) */
	uint64_t pages_populated[DVM_PAGE_STATS];	/* after the passes, before any migration */
	uint64_t pages_end[DVM_PAGE_STATS];
	bool have_faults;
	uint64_t faults[DVM_FAULT_STATS]; /* KVM's fault counters at the end */
	unsigned int migrations_done;	/* begun in the last cycle */
	struct migration_result *migrations; /* opt->migrations of them (at least 1) */
	/* Over every cycle (--loop), ioctls that succeeded, and KVM's own count
	 * of 2M mappings lost (split or demoted) while dirty logging was on. */
	struct {
		uint64_t enables, disables, gets, clears, resets, lost_2m;
	} total;
};

struct summary {
	const struct dvm_options *opt;
	const struct vm_result *results;
	char eager;
	const char *status;
	bool guest_1g;		/* guest page tables map data with 1 GiB pages */
};

/* Pages the guest writes in one round, from the write pattern (guest.S). */
uint64_t written_per_round(const struct dvm_options *o);
void report_text(FILE *f, const struct summary *s);
void report_json(FILE *f, const struct summary *s);

#endif
