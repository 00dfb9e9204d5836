/* SPDX-License-Identifier: GPL-2.0-only */
/* splittop report FILE: a recording made with --json turned into a
 * post-mortem per VM and per migration: each migration's rounds as a
 * table (rates, the inferred copy rate and the ratio as the live view had
 * them after each round), its verdict and the guest's lost time; splits by
 * cause and size, failed splits by errno, the dirty-log operations, the
 * longest mmu_lock holds and the findings.  Plain text or Markdown.  No
 * root, BPF or KVM. */
#ifndef SPLITTOP_REPORT_H
#define SPLITTOP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct report_opts {
	const char *path;
	FILE *out;
	bool markdown;
	const uint32_t *pids;		/* -p: only these (npids 0: all) */
	unsigned int npids;
	const char *vm_name;		/* --vm: only this one */
	uint64_t downtime_ns;		/* --downtime; 0: QEMU's 300 ms */
	/* Run the rules here even where the total line has its findings (the
	 * recorded run judged convergence by its own budget, which may not be
	 * downtime_ns). */
	bool evaluate;
};

/* Write the report.  0; 1 when the output failed or -p/--vm matched no VM
 * (said); 2 for a file that is not a recording it can read (one line:
 * "splittop: report FILE[:LINE]: ..."). */
int report_run(const struct report_opts *o);

#endif
