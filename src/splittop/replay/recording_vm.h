/* SPDX-License-Identifier: GPL-2.0-only */
/* One VM of a recording's frame line (splittop --json), read back into the
 * counters it was written from: json.c's inverse, so that the live view's
 * model can be rebuilt from a recording.  No I/O: unit-tested and fuzzed. */
#ifndef SPLITTOP_RECORDING_VM_H
#define SPLITTOP_RECORDING_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json_reader.h"
#include "splittop/model/metrics.h"
#include "splittop/model/vm_table.h"

struct rec_vm {
	uint32_t pid;
	char name[96];
	struct vm_ident ident;
	struct vm_counters c;		/* the line's counts: an interval's, or the run's */
	struct vm_gauges g;		/* lock_wait_max_ns: the line's mmu_lock_wait_max_ns */
	uint64_t hold_max_ns[MMU_LOCK_MODES];	/* the longest holds of the run so far */
	struct vcpu_counts *vcpus;	/* by vCPU index: nvcpus rows (the ones not listed zero) */
	uint32_t nvcpus, vcap;
	struct avail avail;		/* the groups the line carries (a null column: unavailable) */
	bool exited;			/* "exited": the VM ended in this interval */
	/* "rounds" (those of an interval line, or the kept ones of a total
	 * line) and "round", the open one: as struct vm_rounds keeps them. */
	struct round_rec rounds[ROUNDS_KEPT];
	uint32_t nrounds;
	struct {
		bool open;
		uint32_t migration, round;	/* round: those of it ended */
		__u64 start_ns, pages;
	} open;
};

/* VM object v of d into out (its vcpus buffer reused).  0, or -1 with why
 * in err: a key of the wrong type, a histogram of the wrong length, a vCPU
 * index past VCPU_ROWS_LIMIT, no memory. */
int rec_vm_read(const struct jr_doc *d, int v, struct rec_vm *out, char *err, size_t errlen);
void rec_vm_free(struct rec_vm *r);
/* VM object v's name ("vm") into out, as the VM table would hold it:
 * printable (text_sanitize), for a recording may be hostile too.  Every
 * reader of a recording's names takes them from here.  false: no name. */
bool rec_vm_name(const struct jr_doc *d, int v, char *out, size_t size);
/* Its identities (uuid, domain, ...: vm_ident.h), made printable; the keys
 * a recording lacks (one from before them, a VM without) are absent. */
void rec_vm_ident(const struct jr_doc *d, int v, struct vm_ident *out);

#endif
