/* SPDX-License-Identifier: GPL-2.0-only */
/* The metric table (metric_table.h) as data, and the one place where a VM's
 * counters become the values every renderer shows. */
#ifndef SPLITTOP_METRICS_H
#define SPLITTOP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "metric_table.h"
#include "vm_table.h"

enum column {
#define METRIC_ID(id, ...) COL_##id,
	METRIC_TABLE(METRIC_ID)
#undef METRIC_ID
	NR_COLUMNS,
};

enum metric_unit {
	U_COUNT,	/* events or pages */
	U_NS,		/* nanoseconds */
	U_MIB,
	U_BOOL,
	U_PPM,		/* parts per million of a whole, shown as a percentage */
	U_PLAIN,	/* a number written as it is (pid, vCPUs) */
	U_NAME,		/* the VM's name, not a number */
	U_BYTES_S,	/* bytes per second */
	U_CONV,		/* a migration's convergence: 0 not converging, 1 the dirty set fits
			 * the downtime budget, k + 1 k rounds left (the view's words) */
};

enum metric_kind { COUNTER, GAUGE };

/* Which metric groups this kernel and run provide: the tracer's choice of
 * sources, or the columns a recording carries. */
struct avail {
	bool splits, faults, lock_wait, dlog, dlog_toggle, lock_hold, fault_latency, split_mmu, pml;
	/* KVM keeps no census of its mappings (pages_*, its indirect shadow
	 * pages: x86's alone, none on arm64).  Negative, so that a zeroed
	 * struct and a recording older than arm64 have them. */
	bool no_pages;
};

/* The sources a metric needs: struct avail's groups. */
enum metric_group {
	G_ALWAYS, G_SPLITS, G_FAULTS, G_LOCK_WAIT, G_DLOG, G_DLOG_TOGGLE, G_LOCK_HOLD,
	G_FAULT_LATENCY, G_SPLIT_MMU, G_PML, G_PAGES,
};

struct metric_def {
	const char *name;		/* CSV column, JSON key; NULL: the view only */
	const char *help;		/* what it counts (--listen's HELP) */
	const char *rate_header;	/* the live view's; NULL: not shown there */
	const char *total_header;	/* with t; NULL: not shown in the totals view */
	unsigned int width, priority, view_pos;
	enum metric_unit unit;
	enum metric_kind kind;
	enum metric_group group;
};

extern const struct metric_def metrics[NR_COLUMNS];

/* A scope: one interval, or the run so far. */
enum scope { SCOPE_INTERVAL, SCOPE_TOTAL, NR_SCOPES };

/* Every metric of one VM in one scope. */
struct row {
	uint64_t v[NR_COLUMNS];
	bool present[NR_COLUMNS];	/* false: unavailable, an empty field / null / '-' */
};

struct vm_insight;

struct metric_in {
	const struct vm_counters *c;	/* the scope's counts */
	const struct vm_counters *run;	/* the run's totals */
	const struct vm_gauges *g;
	uint64_t wmax;			/* the longest mmu_lock wait of the scope */
	uint32_t pid;
	const struct vm_insight *ins;	/* NULL: none (no rounds) */
};

void metrics_row(const struct metric_in *in, const struct avail *a, struct row *r);
bool metric_group_avail(const struct avail *a, enum metric_group g);

#endif
