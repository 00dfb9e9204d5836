/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SPLITTOP_CSV_H
#define SPLITTOP_CSV_H

#include <stdio.h>

#include "vm_table.h"

/* Write s as one RFC 4180 field: quoted (with "" for ") when it holds a
 * comma, quote, CR or LF. */
void csv_field(FILE *f, const char *s);
void csv_header(FILE *f);
/* One row; scope is "interval" or "total".  c holds the counts of the row
 * (an interval's deltas, or the run's totals); avail says which metric
 * groups exist on this kernel (unavailable ones are empty fields). */
struct csv_avail { int splits, faults, lock_wait, dlog, lock_hold, fault_latency; };
void csv_row(FILE *f, double time_unix, double elapsed, const char *scope,
	     const struct vm_entry *e, const struct vm_counters *c, uint64_t lock_wait_max_ns,
	     const struct csv_avail *a);

#endif
