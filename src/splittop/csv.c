// SPDX-License-Identifier: GPL-2.0-only
#include "csv.h"

#include <inttypes.h>
#include <string.h>

void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void csv_header(FILE *f)
{
	unsigned int i;

	fputs("time_unix_s,elapsed_s,scope,pid,vm", f);
	for (i = 0; i < NR_COLUMNS; i++)
		fprintf(f, ",%s", column_names[i]);
	fputc('\n', f);
}

void csv_row(FILE *f, double time_unix, double elapsed, const char *scope,
	     const struct vm_entry *e, const struct row *r)
{
	unsigned int i;

	fprintf(f, "%.3f,%.3f,%s,%u,", time_unix, elapsed, scope, e->pid);
	csv_field(f, e->name);
	/* An unavailable metric is an empty field, never 0. */
	for (i = 0; i < NR_COLUMNS; i++) {
		if (r->present[i])
			fprintf(f, ",%" PRIu64, r->v[i]);
		else
			fputc(',', f);
	}
	fputc('\n', f);
}

static void csv_start(FILE *f, const struct host_info *h, const struct metric_source *m,
		      unsigned int nm, double interval)
{
	(void)h; (void)m; (void)nm; (void)interval;
	csv_header(f);
}

static void csv_nothing(FILE *f, const struct frame *fr)
{
	(void)f; (void)fr;
}

static void csv_vm(FILE *f, const struct frame *fr, const struct vm_entry *e, const struct row *r,
		   const struct vm_counters *c, const struct avail *a)
{
	(void)c; (void)a;
	csv_row(f, fr->time_unix, fr->elapsed, fr->scope, e, r);
}

const struct renderer csv_renderer = {
	.start = csv_start, .begin = csv_nothing, .vm = csv_vm, .end = csv_nothing,
};
