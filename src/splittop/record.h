/* SPDX-License-Identifier: GPL-2.0-only */
/* A recording of what the renderers were given in a real run, so that the
 * golden tests can render it again, without root or BPF, and compare the
 * bytes with what the run printed.  Enabled by SPLITTOP_RECORD=FILE. */
#ifndef SPLITTOP_RECORD_H
#define SPLITTOP_RECORD_H

#include <stdio.h>

#include "render.h"
#include "vm_table.h"

void record_start(FILE *f, const struct host_info *h, const struct metric_source *m,
		  unsigned int nm, double interval);
void record_frame(FILE *f, const char *scope, double time_unix, double elapsed,
		  const struct self_stats *self, const struct avail *a);
/* One VM as the frame rendered it: its entry before the frame changed it. */
void record_vm(FILE *f, const struct vm_entry *e);

/* The reader: fills what the writer wrote, one call per line.  Returns the
 * line's kind ('H' host, 'S' source, 'F' frame, 'V' a VM complete), 0 for a
 * line that only added to the current item, -1 at a malformed line. */
struct record_reader {
	struct host_info host;
	struct metric_source src[32];
	char src_text[32][2][192];
	unsigned int nsrc;
	double interval;
	char scope[16];
	double time_unix, elapsed;
	struct self_stats self;
	struct avail avail;
	struct vm_entry vm;
};

int record_read_line(struct record_reader *r, char *line);

#endif
