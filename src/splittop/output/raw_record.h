/* SPDX-License-Identifier: GPL-2.0-only */
/* A recording of what the renderers were given in a real run, so that the
 * golden tests can render it again, without root or BPF, and compare the
 * bytes with what the run printed.  Enabled by SPLITTOP_RECORD=FILE. */
#ifndef SPLITTOP_RAW_RECORD_H
#define SPLITTOP_RAW_RECORD_H

#include <stdio.h>

#include "render.h"

/* A renderer like the others: it writes what it is given. */
extern const struct renderer record_renderer;

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
	struct vm_entry vm;	/* its vcpus rows are the reader's until taken (zeroed) */
};

int record_read_line(struct record_reader *r, char *line);

#endif
