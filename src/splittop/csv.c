// SPDX-License-Identifier: GPL-2.0-only
#include "csv.h"

#include <inttypes.h>
#include <string.h>

void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void csv_header(FILE *f)
{
	fputs("time_unix_s,elapsed_s,scope,pid,vm,vcpus,mem_mib,dirty_logging,"
	      "splits_2m,splits_1g,splits_eager,splits_fault,split_errors,demotions_2m,demotions_1g,"
	      "faults,faults_huge_wp,faults_nonpresent,faults_4k_wp,faults_other,"
	      "mmu_lock_waits,mmu_lock_wait_ns,mmu_lock_wait_max_ns,mmu_lock_hold_ns,fault_latency_p99_ns,"
	      "dirty_log_enables,dirty_log_enable_ns,dirty_log_disables,dirty_log_gets,dirty_log_get_ns,"
	      "dirty_log_clears,dirty_log_clear_ns,pages_4k,pages_2m,pages_1g\n", f);
}

/* An available metric prints its value; an unavailable one an empty field. */
static void num(FILE *f, int avail, uint64_t v)
{
	if (avail)
		fprintf(f, ",%" PRIu64, v);
	else
		fputc(',', f);
}

void csv_row(FILE *f, double time_unix, double elapsed, const char *scope,
	     const struct vm_entry *e, const struct vm_counters *c, uint64_t lock_wait_max_ns,
	     const struct csv_avail *a)
{
	const struct vm_gauges *g = &e->gauges;
	uint64_t faults = 0;
	unsigned int i;

	for (i = 0; i < FAULT_CLASSES; i++)
		faults += c->faults[i];
	fprintf(f, "%.3f,%.3f,%s,%u,", time_unix, elapsed, scope, e->pid);
	csv_field(f, e->name);
	fprintf(f, ",%u,%" PRIu64 ",", g->vcpus, g->mem_pages * 4096 >> 20);
	if (g->memslots_dirty >= 0)
		fprintf(f, "%d", g->memslots_dirty > 0);
	num(f, a->splits, c->splits[SPLIT_2M][CAUSE_EAGER] + c->splits[SPLIT_2M][CAUSE_FAULT]);
	num(f, a->splits, c->splits[SPLIT_1G][CAUSE_EAGER] + c->splits[SPLIT_1G][CAUSE_FAULT]);
	num(f, a->splits, c->splits[SPLIT_2M][CAUSE_EAGER] + c->splits[SPLIT_1G][CAUSE_EAGER]);
	num(f, a->splits, c->splits[SPLIT_2M][CAUSE_FAULT] + c->splits[SPLIT_1G][CAUSE_FAULT]);
	num(f, a->splits, c->split_errors);
	num(f, a->faults, c->demotions[SPLIT_2M]);
	num(f, a->faults, c->demotions[SPLIT_1G]);
	num(f, a->faults, faults);
	num(f, a->faults, c->faults[FAULT_HUGE_WP]);
	num(f, a->faults, c->faults[FAULT_NONPRESENT]);
	num(f, a->faults, c->faults[FAULT_4K_WP]);
	num(f, a->faults, c->faults[FAULT_OTHER]);
	num(f, a->lock_wait, c->lock_waits);
	num(f, a->lock_wait, c->lock_wait_ns);
	num(f, a->lock_wait, lock_wait_max_ns);
	num(f, a->lock_hold, 0);
	num(f, a->fault_latency, 0);
	num(f, a->dlog, c->dlog_count[DLOG_ENABLE]);
	num(f, a->dlog, c->dlog_ns[DLOG_ENABLE]);
	num(f, a->dlog, c->dlog_count[DLOG_DISABLE]);
	num(f, a->dlog, c->dlog_count[DLOG_GET]);
	num(f, a->dlog, c->dlog_ns[DLOG_GET]);
	num(f, a->dlog, c->dlog_count[DLOG_CLEAR]);
	num(f, a->dlog, c->dlog_ns[DLOG_CLEAR]);
	fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", g->pages[0], g->pages[1], g->pages[2]);
}
