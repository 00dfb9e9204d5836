/* SPDX-License-Identifier: GPL-2.0-only */
/* What a VM's counts answer (docs/insight.md): its latest migration's
 * convergence, the guest time its latest round lost, and the findings, once
 * per frame for every output. */
#ifndef SPLITTOP_INSIGHT_H
#define SPLITTOP_INSIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include "converge.h"
#include "findings.h"
#include "host.h"
#include "vm_table.h"

struct vm_insight {
	uint32_t migration;		/* the migration the rounds below are of (0: none) */
	unsigned int nrounds;		/* its rounds kept */
	struct converge conv;		/* over them */
	struct lost_time lost;		/* its latest round's */
	struct lost_time lost_all;	/* over its rounds kept */
	struct findings found;
};

/* The latest migration's rounds of e, oldest first, into out (ROUNDS_KEPT
 * of room); their number. */
unsigned int vm_latest_rounds(const struct vm_rounds *r, struct round_rec *out, uint32_t *migration);

void vm_insight(const struct vm_entry *e, const struct host_info *h, const struct avail *a,
		uint64_t downtime_ns, struct vm_insight *out);

#endif
