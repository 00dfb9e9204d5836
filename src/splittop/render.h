/* SPDX-License-Identifier: GPL-2.0-only */
/* Renderers: each interval (and the final totals) is one begin, one vm call
 * per VM, one end.  The row and counters are computed once, by the caller. */
#ifndef SPLITTOP_RENDER_H
#define SPLITTOP_RENDER_H

#include <stdio.h>

#include "vm_table.h"

struct host_info {
	char kernel[65];
	char mmu[16];		/* "tdp", "shadow" or "unknown" */
	char eager_split[8];	/* "Y", "N" or "unknown" */
};

/* Where a metric comes from on this kernel, or why it is unavailable. */
struct metric_source {
	const char *metric;
	const char *source;	/* e.g. "tp_btf/kvm_mmu_spte_requested"; NULL: unavailable */
	char why[192];
};

struct frame {
	const char *scope;	/* "interval" or "total" */
	double time_unix, elapsed;
	const struct self_stats *self;
	unsigned int count;	/* VMs rendered so far in this frame, this one included */
};

struct renderer {
	void (*start)(FILE *f, const struct host_info *h, const struct metric_source *m,
		      unsigned int nm, double interval);
	void (*begin)(FILE *f, const struct frame *fr);
	void (*vm)(FILE *f, const struct frame *fr, const struct vm_entry *e, const struct row *r,
		   const struct vm_counters *c, const struct avail *a);
	void (*end)(FILE *f, const struct frame *fr);
};

extern const struct renderer csv_renderer, json_renderer;

/* JSON string with the escapes RFC 8259 requires; bytes that are not UTF-8
 * become U+FFFD so the output stays valid. */
void json_string(FILE *f, const char *s);
/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
int utf8_seq_len(const unsigned char *s);

#endif
