/* SPDX-License-Identifier: GPL-2.0-only */
/* The CSV renderer: one header, one row per VM per interval, total rows. */
#ifndef SPLITTOP_CSV_H
#define SPLITTOP_CSV_H

#include <stdio.h>

#include "render.h"

/* Write s as one RFC 4180 field: quoted (with "" for ") when it holds a
 * comma, quote, CR or LF; behind a single quote when it starts with
 * = + - @ (or tab, CR), which a spreadsheet would take for a formula. */
void csv_field(FILE *f, const char *s);
/* One VM's row of the metric table, in scope sc. */
void csv_row(FILE *f, double time_unix, double elapsed, enum scope sc, const struct vm_entry *e,
	     const struct row *r);

#endif
