/* SPDX-License-Identifier: GPL-2.0-only */
/* The live view's model: what each column shows, how numbers are written,
 * which columns fit a terminal width, sorting, filtering, sparklines and the
 * detail pane's text.  No curses and no BPF here: the terminal driver
 * (tui.c) draws what these functions compute, and the unit tests check them
 * without a terminal. */
#ifndef SPLITTOP_VIEW_H
#define SPLITTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

#define VIEW_HISTORY 60		/* intervals kept for the sparklines */

/* The table's columns are the metric table's entries with a view header
 * (struct metric: headers, width, priority, position), indexed by enum
 * column.  view_columns() lists them in display order. */
unsigned int view_columns(enum column out[NR_COLUMNS]);

/* One VM's numbers as the table shows them, from its snapshot row. */
struct view_row {
	unsigned int vm;		/* index into the VM table */
	uint32_t pid;
	bool alive, dirty_logging;
	char name[96];			/* the VM table's: printable (text_sanitize) */
	double rate[NR_COLUMNS];	/* counters per second over the interval; gauges */
	double total[NR_COLUMNS];	/* since splittop started; gauges */
	bool present[NR_COLUMNS];	/* false: unavailable on this kernel, shown as '-' */
};

/* Per-VM sparkline series. */
enum view_series { VS_SPLITS, VS_FAULTS, VS_PAGES_2M, NR_VIEW_SERIES };

struct view_history {
	double v[NR_VIEW_SERIES][VIEW_HISTORY];
	unsigned int len, head;		/* head: the next slot written */
	uint64_t seq;			/* the VM it is for */
};

void view_history_push(struct view_history *h, const double v[NR_VIEW_SERIES]);
/* The i-th oldest sample of series s, i < h->len. */
double view_history_get(const struct view_history *h, enum view_series s, unsigned int i);

/* The snapshot's interval row over dt seconds, and its total row. */
void view_row_build(const struct snap_vm *v, double dt, struct view_row *out);

/* Numbers in at most 6 characters: 999, 12.3k, 1.23M ... */
void fmt_count(char *buf, size_t n, double v);
/* Nanoseconds as 850ns, 12.3us, 1.23ms, 4.56s. */
void fmt_ns(char *buf, size_t n, double ns);
/* MiB as 512M, 1.5G, 64G. */
void fmt_mib(char *buf, size_t n, double mib);
/* One cell, right-aligned in the column's width (the name left-aligned). */
void view_cell(char *buf, size_t n, const struct view_row *r, enum column c, bool totals,
	       unsigned int width);
/* The number of terminal cells a UTF-8 string takes (wcwidth: 2 for a wide
 * character, 0 for a combining one; 1 for what the locale cannot tell). */
unsigned int view_text_width(const char *s);
/* The bytes of s's longest prefix that fits in width cells. */
size_t view_prefix_bytes(const char *s, unsigned int width);
/* At most width cells of s, then spaces up to width (left-aligned). */
void view_pad(char *buf, size_t n, const char *s, unsigned int width);

/* Which columns fit in width cells: on[c] set for each one shown, the name
 * column's width returned (0: not even the name fits). */
unsigned int view_fit(unsigned int width, bool on[NR_COLUMNS]);

/* Sort rows by column (name: alphabetical; others numeric, largest first
 * unless reversed); ties by name then pid, so the order is stable. */
void view_sort(struct view_row *rows, unsigned int n, enum column by, bool totals, bool reverse);
/* Does the row match a filter: a substring of the name, or the pid's digits. */
bool view_match(const struct view_row *r, const char *filter);

/* n samples scaled to 8 levels of the largest one (0 stays blank), written as
 * block characters (utf8) or ASCII; returns the largest sample. */
double view_sparkline(char *buf, size_t bufsz, const double *v, unsigned int n, bool utf8);

/* The detail pane as lines of text, each with a style. */
enum view_style { VS_TEXT, VS_TITLE, VS_HEAD, VS_WARN, VS_DIM };

struct view_line {
	enum view_style style;
	char text[320];
};

struct view_lines {
	struct view_line *line;
	unsigned int n, cap;
};

struct detail_input {
	const struct vm_entry *e;
	const struct vm_counters *delta;	/* the interval's counts */
	const struct vcpu_counts *vdelta;	/* and per vCPU (e->vcpus.n rows) */
	const struct view_row *row;
	const struct view_history *hist;
	const struct avail *avail;
	const char *hold_why;		/* NULL: lock hold time available */
	const char *latency_why;	/* NULL: fault latency available */
	double dt;
	bool totals;			/* faults as counts since start, not per second */
	bool utf8;
	unsigned int width;
};

/* Returns 0 or -ENOMEM. */
int view_detail(const struct detail_input *in, struct view_lines *out);
void view_lines_free(struct view_lines *l);

#endif
