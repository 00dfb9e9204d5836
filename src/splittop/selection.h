/* SPDX-License-Identifier: GPL-2.0-only */
/* Which VMs a run shows: -p's processes, --vm's name, and with
 * '-- COMMAND' (without -a) the VMs of COMMAND and its descendants, as
 * perf stat counts its command's.  A vm_filter (snapshot.h) over it. */
#ifndef SPLITTOP_SELECTION_H
#define SPLITTOP_SELECTION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "splittop/model/vm_table.h"

#define SELECTION_MEMO 256	/* VMM processes whose verdict is kept */

/* What was decided of each VMM process, and what ever matched: mutable
 * while the selection itself is read through a const pointer. */
struct selection_memo {
	struct { uint32_t pid; bool mine; } v[SELECTION_MEMO];
	unsigned int n;
	bool name_matched;		/* --vm matched a VM */
	bool command_matched;		/* a VM of COMMAND's was seen */
};

struct vm_selection {
	const uint32_t *pids;		/* -p */
	unsigned int npids;
	const char *vm_name;		/* --vm */
	pid_t command;			/* > 0: only VMs of this process tree */
	struct selection_memo *memo;
};

/* The vm_filter: arg is a struct vm_selection. */
bool selection_wants(const void *arg, const struct vm_entry *e);
/* Whether pid is ancestor or one of its descendants, from /proc, walking
 * up at most 64 parents; false once the chain is gone. */
bool pid_descends_from(uint32_t pid, uint32_t ancestor);
/* -p's processes exist and hold a KVM VM: 0, or 2 after one line saying
 * which does not (a usage error, before anything is loaded). */
int selection_check_pids(const uint32_t *pids, unsigned int n);

#endif
