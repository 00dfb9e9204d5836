/* SPDX-License-Identifier: GPL-2.0-only */
/* A recording (splittop --json) as frames the live view can show: the file
 * indexed by line (the frames' offsets, times and whether a dirty-log
 * enable happened in them), not loaded; any frame's VM table rebuilt from
 * the interval lines before it (the run's totals are the sum of its
 * intervals), from the nearest checkpoint, so that a step either way costs
 * a few lines' parsing.  No terminal here: tui.c draws the snapshot,
 * replay_tui.c drives it, golden_replay checks it against the live view's
 * model of the same run. */
#ifndef SPLITTOP_REPLAY_MODEL_H
#define SPLITTOP_REPLAY_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "json_reader.h"
#include "recording_vm.h"
#include "splittop/model/snapshot.h"

struct rm_frame {
	off_t off;
	uint32_t len;		/* with its newline */
	bool total;		/* the run's totals (the last line of a finished run) */
	bool enable;		/* a VM's dirty logging was turned on in it */
	double time_unix, elapsed;
};

struct rm_checkpoint {
	int frame;		/* the table as it was after this frame */
	struct vm_entry *e;	/* copies, their vCPU rows too */
	unsigned int n;
	int *seen;
};

struct replay_model {
	const char *path;
	FILE *f;
	struct host_info host;
	struct metric_source src[32];
	char src_text[32][2][192];
	unsigned int nsrc;
	double interval;
	uint64_t format;

	struct rm_frame *fr;
	unsigned int nfr, frcap;
	off_t indexed;		/* bytes of the file indexed: complete lines only */
	bool indexed_all;	/* up to the end of what is written */
	bool partial;		/* the file ends in a line still being written */

	/* The frame the table holds now (-1: before the first). */
	int cur;
	struct vm_table table;
	int *seen;		/* by table index: the last frame the VM was in */
	unsigned int seen_cap;
	uint64_t next_seq;
	struct rm_checkpoint *ck;
	unsigned int nck, ckcap, ck_every;

	struct snapshot snap;	/* of frame cur: its VMs, the selected ones */
	vm_filter want;		/* -p/--vm, or NULL */
	const void *want_arg;

	struct jr_doc doc;
	char *line;
	size_t line_cap;
	struct rec_vm rv;
	char err[200];		/* why the last call failed */
};

/* Open a recording and index its start (the rest: replay_model_index).
 * 0, or -1 with a one-line reason in m->err (not a file, not a recording,
 * a newer format, a malformed line). */
int replay_model_open(struct replay_model *m, const char *path);
/* Index about budget more bytes of it.  Returns the number of new frames,
 * or -1 (m->err); indexed_all tells whether the end was reached. */
int replay_model_index(struct replay_model *m, off_t budget);
/* Index all that is written, what was appended since too (a recording
 * still being written).  As replay_model_index. */
int replay_model_refresh(struct replay_model *m);
/* Rebuild frame i (0 <= i < nfr) into m->snap.  0, or -1 (m->err). */
int replay_model_goto(struct replay_model *m, int i);
/* How many lines replay_model_goto(m, i) reads to rebuild frame i. */
int replay_model_cost(const struct replay_model *m, int i);
/* The first frame after (dir 1) or before (-1) i in which dirty logging
 * was enabled, or -1. */
int replay_model_find_enable(const struct replay_model *m, int i, int dir);
/* The frame nearest a time (unix seconds; by_elapsed: seconds since the
 * recorded splittop started), to the millisecond frames are stamped to:
 * halfway between two, the later; of frames at the same millisecond, the
 * last.  Before the first frame, the first; after the last, the last. */
int replay_model_find_time(const struct replay_model *m, double t, bool by_elapsed);
void replay_model_close(struct replay_model *m);

#endif
