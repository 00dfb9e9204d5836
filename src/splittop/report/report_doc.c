// SPDX-License-Identifier: GPL-2.0-only
#include "report_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Columns a printable UTF-8 string takes: one per character (the report's
 * cells are numbers, words and the sign >=; a name is never in a table). */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Markdown: the characters that would make text into markup (a table's
 * column, code, emphasis, a link, an HTML tag) written as themselves.  An
 * underscore is left as it is: the report's words are full of them
 * (faults_huge_wp), and inside a word it is no emphasis. */
static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\|`*[]<", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void text_of(struct doc *d, const char *s)
{
	if (d->markdown)
		md_text(d->out, s);
	else
		fputs(s, d->out);
}

/* A blank line before a heading or a table, except at the start. */
static void block(struct doc *d)
{
	if (d->started)
		fputc('\n', d->out);
	d->started = true;
	d->after_block = false;
}

void doc_heading(struct doc *d, int level, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	size_t n;

	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap) < 0 ? 0 : 1;	/* whole: never cut inside a character */
	va_end(ap);
	if (!n) {
		d->nomem = true;
		return;
	}
	block(d);
	if (d->markdown) {
		fprintf(d->out, "%.*s ", level, "######");
		md_text(d->out, buf);
		fputc('\n', d->out);
	} else {
		fprintf(d->out, "%s\n", buf);
		for (n = width(buf); n; n--)
			fputc(level == 1 ? '=' : level == 2 ? '-' : '~', d->out);
		fputc('\n', d->out);
	}
	free(buf);
}

void doc_line(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (n < 0) {
		d->nomem = true;
		return;
	}
	if (d->after_block)
		fputc('\n', d->out);
	d->after_block = false;
	d->started = true;
	text_of(d, buf);
	/* Markdown: two spaces, a hard break between a paragraph's lines. */
	fputs(d->markdown ? "  \n" : "\n", d->out);
	free(buf);
}

void doc_table_init(struct doc_table *t, unsigned int ncols, unsigned int left, const char *const *head)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->left = left;
	t->head = head;
}

void doc_row(struct doc_table *t)
{
	char **p;

	t->col = 0;
	if (t->nomem)
		return;
	if (t->nrows == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 16;

		p = realloc(t->cell, (size_t)cap * t->ncols * sizeof(*p));
		if (!p) {
			t->nomem = true;
			return;
		}
		t->cell = p;
		t->cap = cap;
	}
	memset(&t->cell[(size_t)t->nrows * t->ncols], 0, t->ncols * sizeof(*t->cell));
	t->nrows++;
}

void doc_cell(struct doc_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (t->nomem || !t->nrows || t->col >= t->ncols)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		t->nomem = true;
	}
	va_end(ap);
	t->cell[(size_t)(t->nrows - 1) * t->ncols + t->col++] = s;
}

static const char *cell(const struct doc_table *t, unsigned int r, unsigned int c)
{
	const char *s = t->cell[(size_t)r * t->ncols + c];

	return s ? s : "";
}

/* One text row: each cell padded to its column's width. */
static void text_row(FILE *f, const struct doc_table *t, const size_t *w, const char *const *cells)
{
	unsigned int c;

	for (c = 0; c < t->ncols; c++) {
		size_t pad = w[c] - width(cells[c]);
		bool left = c < t->left;

		fprintf(f, "  %*s%s%*s", left ? 0 : (int)pad, "", cells[c],
			left && c + 1 < t->ncols ? (int)pad : 0, "");
	}
	fputc('\n', f);
}

static void text_table(FILE *f, const struct doc_table *t)
{
	const char *cells[32];
	size_t w[32], k;
	unsigned int r, c;

	for (c = 0; c < t->ncols; c++) {
		w[c] = width(t->head[c]);
		for (r = 0; r < t->nrows; r++)
			if (width(cell(t, r, c)) > w[c])
				w[c] = width(cell(t, r, c));
	}
	text_row(f, t, w, t->head);
	for (c = 0; c < t->ncols; c++)
		for (fputs("  ", f), k = 0; k < w[c]; k++)
			fputc('-', f);
	fputc('\n', f);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			cells[c] = cell(t, r, c);
		text_row(f, t, w, cells);
	}
}

/* Text, long cells: a block per row, its first cell, then "head: cell". */
static void text_blocks(FILE *f, const struct doc_table *t)
{
	unsigned int r, c;

	for (r = 0; r < t->nrows; r++) {
		fprintf(f, "  %s\n", cell(t, r, 0));
		for (c = 1; c < t->ncols; c++)
			fprintf(f, "    %s: %s\n", t->head[c], cell(t, r, c));
	}
}

static void md_table(FILE *f, const struct doc_table *t)
{
	unsigned int r, c;

	for (c = 0; c < t->ncols; c++) {
		fputs("| ", f);
		md_text(f, t->head[c]);
		fputc(' ', f);
	}
	fputs("|\n", f);
	for (c = 0; c < t->ncols; c++)
		fputs(c < t->left ? "|:---" : "|---:", f);
	fputs("|\n", f);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			fputs("| ", f);
			md_text(f, cell(t, r, c));
			fputc(' ', f);
		}
		fputs("|\n", f);
	}
}

int doc_table_end(struct doc *d, struct doc_table *t)
{
	unsigned int i;
	int err = t->nomem ? -ENOMEM : 0;

	if (!err && t->ncols <= 32) {
		block(d);
		if (d->markdown)
			md_table(d->out, t);
		else if (t->blocks)
			text_blocks(d->out, t);
		else
			text_table(d->out, t);
		d->after_block = true;
	}
	for (i = 0; t->cell && i < t->nrows * t->ncols; i++)
		free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof(*t));
	return err;
}
