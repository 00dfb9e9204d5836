// SPDX-License-Identifier: GPL-2.0-only
/* Render a SPLITTOP_RECORD recording again, as CSV or JSON, on stdout:
 * the golden tests compare it byte for byte with what the real run printed. */
#include "splittop/record.h"
#include "splittop/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	if (argc != 3 || (strcmp(argv[1], "csv") && strcmp(argv[1], "json"))) {
		fprintf(stderr, "usage: golden_replay csv|json RECORDING\n");
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
		if (kind == 'F') {
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
	if (open)
		rd->end(stdout, &fr);
	fclose(in);
	free(r);
	return 0;
}
