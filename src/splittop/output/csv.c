// SPDX-License-Identifier: GPL-2.0-only
#include "csv.h"

#include <inttypes.h>
#include <string.h>

void csv_field(FILE *f, const char *s)
{
	/* A spreadsheet takes a cell that starts with one of these for a
	 * formula (=HYPERLINK(...), +cmd|...): a VM's owner chooses its name,
	 * so such a name is written as text, behind a quote, as OWASP's CSV
	 * injection advice has it.  Tab and CR never get here (text_sanitize). */
	const char *lead = *s && strchr("=+-@\t\r", *s) ? "'" : "";

	if (!strpbrk(s, ",\"\r\n")) {
		fputs(lead, f);
		fputs(s, f);
		return;
	}
	fputc('"', f);
	fputs(lead, f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_start(FILE *f, const struct snapshot *s, double interval)
{
	unsigned int i;

	(void)s; (void)interval;
	fputs("time_unix_s,elapsed_s,scope,pid,vm", f);
	for (i = 0; i < NR_COLUMNS; i++)
		if (metrics[i].name)
			fprintf(f, ",%s", metrics[i].name);
	/* The identities last, after every metric (columns are only ever
	 * appended: scripts read them by position too). */
	for (i = 0; i < NR_VM_IDENTS; i++)
		fprintf(f, ",%s", vm_ident_defs[i].key);
	fputc('\n', f);
}

void csv_row(FILE *f, double time_unix, double elapsed, enum scope sc, const struct vm_entry *e,
	     const struct row *r)
{
	unsigned int i;

	fprintf(f, "%.3f,%.3f,%s,%u,", time_unix, elapsed, scope_name(sc), e->pid);
	csv_field(f, e->name);
	/* An unavailable metric is an empty field, never 0. */
	for (i = 0; i < NR_COLUMNS; i++) {
		if (!metrics[i].name)
			continue;
		if (r->present[i])
			fprintf(f, ",%" PRIu64, r->v[i]);
		else
			fputc(',', f);
	}
	/* An identity the command line did not carry is an empty field. */
	for (i = 0; i < NR_VM_IDENTS; i++) {
		fputc(',', f);
		csv_field(f, e->ident.v[i]);
	}
	fputc('\n', f);
}

static void csv_frame(FILE *f, const struct snapshot *s, enum scope sc)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		csv_row(f, s->time_unix, s->elapsed, sc, s->vms[i].e, &s->vms[i].row[sc]);
}

const struct renderer csv_renderer = { .start = csv_start, .frame = csv_frame };
