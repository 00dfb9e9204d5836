/* SPDX-License-Identifier: GPL-2.0-only */
/* The report's document: headings, lines and tables, written as plain text
 * (tables aligned in columns) or as Markdown (| tables, # headings, text
 * escaped), so that what the report says is written once and how it looks
 * is decided here.  Text given to it must be printable already (names from
 * rec_vm_name, strings of a recording through text_sanitize): Markdown's
 * own characters are escaped here. */
#ifndef SPLITTOP_REPORT_DOC_H
#define SPLITTOP_REPORT_DOC_H

#include <stdbool.h>
#include <stdio.h>

struct doc {
	FILE *out;
	bool markdown;
	bool started;		/* something written: a block gets a blank line before it */
	bool after_block;	/* a table was the last thing: a line gets a blank line first */
	bool nomem;		/* a heading or line could not be made: the report is short */
};

/* A table: ncols columns, the first `left` of them aligned left (text). */
struct doc_table {
	unsigned int ncols, left;
	const char *const *head;
	char **cell;		/* nrows x ncols, each allocated */
	unsigned int nrows, cap, col;	/* col: cells in the row being filled */
	bool blocks;		/* text: a block of "head: cell" lines per row (long cells) */
	bool nomem;
};

void doc_heading(struct doc *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One line of text (Markdown: a line of a paragraph). */
void doc_line(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void doc_table_init(struct doc_table *t, unsigned int ncols, unsigned int left, const char *const *head);
/* A new row; its cells follow (doc_cell), ncols of them. */
void doc_row(struct doc_table *t);
void doc_cell(struct doc_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write the table and free it.  -ENOMEM if a cell could not be kept. */
int doc_table_end(struct doc *d, struct doc_table *t);

#endif
