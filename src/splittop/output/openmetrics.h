/* SPDX-License-Identifier: GPL-2.0-only */
/* --listen's exposition: the metric table's counters and gauges per VM, in
 * the OpenMetrics text format (or Prometheus' older text format, for a
 * client that does not ask for OpenMetrics).  No I/O beyond the FILE it is
 * given: unit-tested without root. */
#ifndef SPLITTOP_OPENMETRICS_H
#define SPLITTOP_OPENMETRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "splittop/model/snapshot.h"

/* One VM as it is exported: its run totals, copied, so that a VM that ended
 * can be served to one more scrape after the VM table let it go. */
struct om_vm {
	char name[96];
	struct vm_ident ident;		/* labels of those present */
	uint32_t pid;
	uint32_t vcpu_rows;		/* per-vCPU rows, one per vCPU */
	bool faults, lock_wait;		/* those groups available */
	struct row row;			/* SCOPE_TOTAL */
	__u64 wait_hist[ST_HIST_BUCKETS];
	__u64 (*vcpu_faults)[FAULT_CLASSES];	/* vcpu_rows of them: om_vm_release() */
	uint32_t findings;		/* bit k: finding k fires (enum finding_id) */
};

/* o becomes v's run totals; its per-vCPU rows are allocated (none when
 * there is no memory for them).  o's previous rows are the caller's. */
void om_vm_from(struct om_vm *o, const struct snap_vm *v, const struct avail *a);
void om_vm_release(struct om_vm *o);

/* How a column's value is written: as it is, ns as seconds, MiB as bytes. */
enum om_conv { OM_PLAIN, OM_NS_TO_SECONDS, OM_MIB_TO_BYTES };

/* The family name the metric of column c is exported under ("splittop_...",
 * from its CSV name: base units, counters' samples add "_total"), its unit
 * (NULL: none) and conversion.  false: not exported (the live view's own). */
bool om_family(unsigned int c, char *buf, size_t n, const char **unit, enum om_conv *conv);

/* The whole exposition: every exported family, then splittop's own failure
 * counters; openmetrics: OpenMetrics 1.0 (ends with "# EOF"), else the
 * Prometheus text format 0.0.4. */
void om_render(FILE *f, const struct om_vm *vms, unsigned int n, const struct self_stats *self,
	       bool openmetrics);

#define OM_CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
