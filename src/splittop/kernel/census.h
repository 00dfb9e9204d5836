/* SPDX-License-Identifier: GPL-2.0-only */
/* The census of the VMs that exist (bpf/census.bpf.h). */
#ifndef SPLITTOP_CENSUS_H
#define SPLITTOP_CENSUS_H

#include <stdint.h>

#include "tracer.h"

/* The records of one census, one per VM. */
struct census {
	struct vm_census *recs;
	unsigned int n, cap;
};

/* Run the task_file iterator over one process (pid > 0) or all of them,
 * adding to c: 0 or a negative errno. */
int census_run(struct tracer *t, uint32_t pid, struct census *c);
/* Before faults are counted: register the VMs that already run and the
 * threads of their vCPUs (a message if it fails; counting goes on). */
void adopt_running_vcpus(struct tracer *t);

#endif
