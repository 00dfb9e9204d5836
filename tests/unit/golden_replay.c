// SPDX-License-Identifier: GPL-2.0-only
/* Render a SPLITTOP_RECORD recording again, as CSV or JSON, on stdout:
 * the golden tests compare it byte for byte with what the real run printed. */
#include "splittop/record.h"
#include "splittop/render.h"
#include "splittop/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The live view's table for one VM, every column at its width: rates for
 * an interval (over the time since the previous frame), else run totals. */
static void view_vm(const struct vm_entry *e, const struct avail *a, bool totals, double dt,
		    bool header)
{
	struct view_lines lines = { 0 };
	struct view_row row;
	char cell[128];
	unsigned int c;

	if (header) {
		for (c = 0; c < NR_VIEW_COLS; c++)
			printf("%s%*s", c ? " " : "", (int)view_cols[c].width,
			       totals ? view_cols[c].total_header : view_cols[c].rate_header);
		putchar('\n');
	}
	view_row_build(e, 0, a, dt, &row);
	for (c = 0; c < NR_VIEW_COLS; c++) {
		view_cell(cell, sizeof(cell), &row, c, totals, view_cols[c].width);
		printf("%s%s", c ? " " : "", cell);
	}
	putchar('\n');
	/* Its detail pane, 100 cells wide, without the sparklines' history. */
	struct detail_input in = {
		.e = e, .row = &row, .avail = a, .dt = dt, .totals = totals, .width = 100,
		.hold_why = a->lock_hold ? NULL : "(not in this recording)",
		.latency_why = a->fault_latency ? NULL : "(not in this recording)",
	};
	if (view_detail(&in, &lines))
		exit(1);
	for (c = 0; c < lines.n; c++)
		printf("  |%d|%s\n", lines.line[c].style, lines.line[c].text);
	view_lines_free(&lines);
}

int main(int argc, char **argv)
{
	const struct renderer *rd;
	struct record_reader *r;
	struct frame fr = { 0 };
	struct vm_counters d;
	struct row row;
	char line[1 << 16];
	unsigned int lineno = 0;
	bool open = false;
	FILE *in;

	bool view = argc == 3 && !strcmp(argv[1], "view");
	double last_elapsed = 0, dt = 0;

	if (argc != 3 || (strcmp(argv[1], "csv") && strcmp(argv[1], "json") && !view)) {
		fprintf(stderr, "usage: golden_replay csv|json|view RECORDING\n");
		return 2;
	}
	rd = !strcmp(argv[1], "csv") ? &csv_renderer : &json_renderer;
	in = fopen(argv[2], "r");
	r = calloc(1, sizeof(*r));
	if (!in || !r) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		int kind = record_read_line(r, line);

		lineno++;
		if (kind < 0) {
			fprintf(stderr, "%s:%u: malformed line\n", argv[2], lineno);
			return 1;
		}
		if (kind == 'F' && view) {
			dt = r->elapsed - last_elapsed;
			last_elapsed = r->elapsed;
			printf("%s frame, dt %.3f\n", r->scope, dt);
			fr.count = 0;
		} else if (kind == 'V' && view) {
			view_vm(&r->vm, &r->avail, !strcmp(r->scope, "total"), dt, !fr.count++);
		} else if (kind == 'F') {
			if (open)
				rd->end(stdout, &fr);
			else
				rd->start(stdout, &r->host, r->src, r->nsrc, r->interval);
			fr = (struct frame){ .scope = r->scope, .time_unix = r->time_unix,
					     .elapsed = r->elapsed, .self = &r->self };
			rd->begin(stdout, &fr);
			open = true;
		} else if (kind == 'V') {
			const struct vm_counters *c = &r->vm.now;
			bool total = !strcmp(r->scope, "total");

			if (!total) {
				vm_counters_delta(&r->vm.now, &r->vm.prev, &d);
				c = &d;
			}
			row_build(&r->vm.gauges, c, total ? r->vm.lock_wait_max_run_ns :
				  r->vm.gauges.lock_wait_max_ns, &r->avail, &row);
			fr.count++;
			rd->vm(stdout, &fr, &r->vm, &row, c, &r->avail);
		}
	}
	if (open && !view)
		rd->end(stdout, &fr);
	fclose(in);
	free(r);
	return 0;
}
