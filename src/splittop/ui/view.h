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

#include "keys.h"
#include "splittop/model/snapshot.h"

#define VIEW_HISTORY 60		/* intervals kept for the sparklines */

/* The table's columns are the metric table's entries with a view header
 * (struct metric: headers, width, priority, position), indexed by enum
 * column.  The rates and the totals (t) each have their own: a number
 * that both a rate column's total and another column show (splits since
 * start) has one column in the totals view. */
/* Column c's header in the rates or the totals view; NULL: not shown there. */
const char *view_header(enum column c, bool totals);
/* The columns of that view, in display order. */
unsigned int view_columns(bool totals, enum column out[NR_COLUMNS]);

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

/* Where a replay's frame is, as the header writes it. */
struct view_where {
	char position[48];	/* "interval 3/6", "totals 6/6"; '+' while the file is indexed */
	char date[16];		/* the frame's recorded day, YYYY-MM-DD */
	char clock[16];		/* and time of day, HH:MM:SS */
	char elapsed[32];	/* since the recorded start: "+4.2s", "+1h02m03s" */
	char note[32];		/* "(the last)", "(being written)" or "" */
};

/* What the header's first line says. */
struct view_header {
	bool replay, paused, totals;
	double speed;			/* a replay's pace, while it plays */
	const struct host_info *host;
	const char *every;		/* the interval: "1s", "0.2s" */
	const char *clock;		/* a live view's: its last sample's time of day */
	const struct view_where *where;	/* a replay's */
};

/* The header's first line in at most width cells where it can be: parts
 * are shortened, then left out, in a fixed order (view.c), the flags,
 * the frame's position, the MMU and eager_page_split last. */
void view_header_line(char *buf, size_t n, const struct view_header *h, unsigned int width);

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

/* Which columns of the rates or the totals view fit in width cells: on[c]
 * set for each one shown, the name column's width returned (0: not even
 * the name fits). */
unsigned int view_fit(unsigned int width, bool totals, bool on[NR_COLUMNS]);

/* Sort rows by column (name: alphabetical; others numeric, largest first
 * unless reversed); ties by name then pid, so the order is stable. */
void view_sort(struct view_row *rows, unsigned int n, enum column by, bool totals, bool reverse);
/* Does the row match a filter: a substring of the name, or the pid's digits. */
bool view_match(const struct view_row *r, const char *filter);

/* A prompt's line of text (the filter, g's time). */
struct view_edit {
	char text[64];
	size_t cur;		/* the cursor, a byte offset at a character's start */
	bool selected;		/* the whole text, as it opened: a printable key replaces it */
};

/* Open on text (the current filter), selected and the cursor at its end. */
void view_edit_start(struct view_edit *e, const char *text);
/* One key: a prompt's action (KA_EDIT_*, keys.h), else KA_NONE with ch, a
 * byte of text typed (one of a UTF-8 character's); others are ignored. */
void view_edit_key(struct view_edit *e, enum key_action a, int ch);

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
	const struct vm_insight *ins;		/* its answers (NULL: none) */
	const struct vm_counters *delta;	/* the interval's counts */
	const struct vcpu_counts *vdelta;	/* and per vCPU (e->vcpus.n rows) */
	const struct view_row *row;
	const struct view_history *hist;
	const struct avail *avail;
	const char *hold_why;		/* NULL: lock hold time available */
	const char *latency_why;	/* NULL: fault latency available */
	unsigned int wait_sampled;	/* 1 vCPU wait in this many timed (0: each) */
	double dt;
	bool totals;			/* faults as counts since start, not per second */
	bool utf8;
	unsigned int width;
};

/* Returns 0 or -ENOMEM. */
int view_detail(const struct detail_input *in, struct view_lines *out);
/* The u pane: a title, then each metric and where it comes from, or why it
 * is unavailable (VS_WARN), wrapped to width cells under its text.
 * Returns 0 or -ENOMEM. */
int view_sources(const struct metric_source *src, unsigned int n, unsigned int width,
		 struct view_lines *out);
void view_lines_free(struct view_lines *l);

#endif
