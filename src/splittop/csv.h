/* SPDX-License-Identifier: GPL-2.0-only */
/* The CSV renderer: one header, one row per VM per interval, total rows. */
#ifndef SPLITTOP_CSV_H
#define SPLITTOP_CSV_H

#include <stdio.h>

#include "render.h"
#include "vm_table.h"

/* Write s as one RFC 4180 field: quoted (with "" for ") when it holds a
 * comma, quote, CR or LF. */
void csv_field(FILE *f, const char *s);
void csv_header(FILE *f);
/* scope: "interval" or "total"; r from row_build(). */
void csv_row(FILE *f, double time_unix, double elapsed, const char *scope,
	     const struct vm_entry *e, const struct row *r);

#endif
