/* SPDX-License-Identifier: GPL-2.0-only */
/* A recording (splittop --json) read whole for the report: per VM its run
 * totals (the total line's, or the sum of its intervals where the run has
 * no total line), its latest gauges, every dirty-log round it had (the
 * interval lines' and the total line's, one each, in order) and the total
 * line's findings.  Lines read with replay_getline (bounded); a line that
 * is not the recording's is refused with its number, as --replay does. */
#ifndef SPLITTOP_REPORT_READ_H
#define SPLITTOP_REPORT_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "splittop/model/findings.h"
#include "splittop/model/host.h"
#include "splittop/model/metrics.h"
#include "splittop/model/vm_table.h"

/* Rounds kept per VM: a migration of 64 rounds a minute for 17 hours. */
#define REPORT_ROUNDS_MAX	65536

/* A round, with the VM's vCPUs and whether mmu_lock waits were counted in
 * the line it came in: what its lost time is worked out with. */
struct report_round {
	struct round_rec r;
	uint32_t vcpus;
	bool waits;
};

/* A finding as the total line wrote it: strings made printable. */
struct report_finding {
	char name[32], severity[16];
	char message[FINDING_MSG_LEN + 64];
	char setting[192], source[192];
};

struct report_vm {
	uint32_t pid;
	char name[96];
	struct vm_counters c;		/* the run's: the total line's, else the intervals' sum */
	struct vm_gauges g;		/* the latest line's */
	uint64_t hold_max_ns[MMU_LOCK_MODES];	/* the run's longest holds (the latest line's) */
	struct avail avail;		/* the latest line's groups */
	bool total, exited;
	bool rounds_known;		/* a line of it had "rounds": the recording knows rounds */
	bool round_open;		/* its latest line had a round open */
	uint32_t open_migration, open_round;	/* open_round: those of it ended */
	struct report_round *r;		/* every round, oldest first (migration, round) */
	uint32_t nr, rcap;
	bool rounds_cut;		/* more than REPORT_ROUNDS_MAX: the later ones left out */
	bool findings_known;		/* the total line had "findings" */
	struct report_finding *f;
	unsigned int nf;
	double first_s, last_s;		/* elapsed_s of the first and the latest line with it */
};

struct report_rec {
	const char *path;
	struct host_info host;
	double interval, start_unix, end_s;	/* end_s: the last line's elapsed_s */
	char hold_why[192], lat_why[192];	/* the host line's why for mmu_lock_hold, fault_latency */
	bool total_line;		/* the run's totals were written */
	bool partial;			/* its last line was incomplete: left out */
	unsigned long lines;
	/* -p and --vm: only these VMs are kept (npids 0: all pids). */
	const uint32_t *pids;
	unsigned int npids;
	const char *vm_name;
	struct report_vm *vm;
	unsigned int nvm, vcap;
};

/* Read rec->path (its selection set) into rec.  0; 2 after one line on
 * stderr ("splittop: report FILE[:LINE]: ...") for a file that is not a
 * recording it can read. */
int report_read(struct report_rec *rec);
void report_free(struct report_rec *rec);

#endif
