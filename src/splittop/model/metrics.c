// SPDX-License-Identifier: GPL-2.0-only
#include "metrics.h"
#include "hist.h"
#include "insight.h"

#include <string.h>

const struct metric_def metrics[NR_COLUMNS] = {
#define METRIC_DEF(ID, NAME, HELP, RATE, TOTAL, WIDTH, PRIO, POS, UNIT, KIND, GROUP, PRESENT, VALUE)	\
	[COL_##ID] = { .name = NAME, .help = HELP, .rate_header = RATE, .total_header = TOTAL, .width = WIDTH,	\
		       .priority = PRIO, .view_pos = POS, .unit = UNIT, .kind = KIND, .group = GROUP },
	METRIC_TABLE(METRIC_DEF)
#undef METRIC_DEF
};

bool metric_group_avail(const struct avail *a, enum metric_group g)
{
	switch (g) {
	case G_ALWAYS:		return true;
	case G_SPLITS:		return a->splits;
	case G_FAULTS:		return a->faults;
	case G_LOCK_WAIT:	return a->lock_wait;
	case G_DLOG:		return a->dlog;
	case G_DLOG_TOGGLE:	return a->dlog_toggle;
	case G_LOCK_HOLD:	return a->lock_hold;
	case G_FAULT_LATENCY:	return a->fault_latency;
	case G_SPLIT_MMU:	return a->split_mmu;
	case G_PML:		return a->pml;
	case G_PAGES:		return !a->no_pages;
	}
	return false;
}

static enum dlog_op clear_op(const struct vm_counters *run)
{
	if (run->vm.dlog_count[DLOG_CLEAR])
		return DLOG_CLEAR;
	return run->vm.dlog_count[DLOG_RESET] ? DLOG_RESET : DLOG_GET;
}

/* Guest memory KVM maps, in 4 KiB pages, and the share of it in huge pages. */
static double mapped_4k(const struct vm_gauges *g)
{
	return (double)g->pages[0] + (double)g->pages[1] * 512 + (double)g->pages[2] * 512 * 512;
}

static uint64_t huge_ppm(const struct vm_gauges *g)
{
	double huge = (double)g->pages[1] * 512 + (double)g->pages[2] * 512 * 512;

	return (uint64_t)(1e6 * huge / mapped_4k(g) + 0.5);
}

/* U_CONV's value (see enum metric_unit). */
static uint64_t conv_value(const struct vm_insight *ins)
{
	if (!ins || ins->conv.state == CONV_NOT_CONVERGING)
		return 0;
	return ins->conv.state == CONV_FITS ? 1 : (uint64_t)ins->conv.rounds_left + 1;
}

void metrics_row(const struct metric_in *in, const struct avail *a, struct row *r)
{
	const struct vm_counters *c = in->c, *run = in->run;
	const struct vm_gauges *g = in->g;
	uint64_t wmax = in->wmax;
	uint32_t pid = in->pid;
	const struct vm_insight *ins = in->ins;

	(void)c; (void)run; (void)g; (void)wmax; (void)pid; (void)ins;
#define METRIC_GET(ID, NAME, HELP, RATE, TOTAL, WIDTH, PRIO, POS, UNIT, KIND, GROUP, PRESENT, VALUE)	\
	r->present[COL_##ID] = metric_group_avail(a, GROUP) && (PRESENT);			\
	r->v[COL_##ID] = r->present[COL_##ID] ? (uint64_t)(VALUE) : 0;
	METRIC_TABLE(METRIC_GET)
#undef METRIC_GET
}
