/* SPDX-License-Identifier: GPL-2.0-only */
/* One VM of a recording as the report's sections: its migrations (rounds,
 * verdict, lost time), splits, dirty-log operations, mmu_lock holds and
 * findings. */
#ifndef SPLITTOP_REPORT_VM_H
#define SPLITTOP_REPORT_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "report_doc.h"
#include "report_read.h"

/* 0, or -ENOMEM.  evaluate: the rules run here, not the total line's findings. */
int report_vm(struct doc *d, const struct report_rec *rec, const struct report_vm *v, uint64_t downtime_ns,
	      bool evaluate);

#endif
