// SPDX-License-Identifier: GPL-2.0-only
/* Render a SPLITTOP_RECORD recording again on stdout, as CSV, as JSON, or as
 * the live view's model (every table column and the detail pane's lines):
 * the golden tests compare it byte for byte with the expected files. */
#include "splittop/output/openmetrics.h"
#include "splittop/output/raw_record.h"
#include "splittop/replay/replay_model.h"
#include "splittop/output/render.h"
#include "splittop/ui/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The live view's table for one VM, every column at its width: rates for
 * an interval (over the time since the previous frame), else run totals. */
static void view_vm(const struct snap_vm *v, const struct avail *a, bool totals, double dt,
		    bool header)
{
	struct view_lines lines = { 0 };
	enum column cols[NR_COLUMNS];
	unsigned int i, nc = view_columns(totals, cols);
	struct view_row row;
	char cell[128];

	if (header) {
		for (i = 0; i < nc; i++)
			printf("%s%*s", i ? " " : "", (int)metrics[cols[i]].width,
			       view_header(cols[i], totals));
		putchar('\n');
	}
	view_row_build(v, dt, &row);
	for (i = 0; i < nc; i++) {
		view_cell(cell, sizeof(cell), &row, cols[i], totals, metrics[cols[i]].width);
		printf("%s%s", i ? " " : "", cell);
	}
	putchar('\n');
	/* Its detail pane, 100 cells wide, without the sparklines' history. */
	struct detail_input in = {
		.e = v->e, .ins = &v->ins, .delta = &v->delta, .vdelta = v->vdelta, .row = &row, .avail = a, .dt = dt, .totals = totals,
		.width = 100,
		.hold_why = a->lock_hold ? NULL : "(not in this recording)",
		.latency_why = a->fault_latency ? NULL : "(not in this recording)",
	};
	if (view_detail(&in, &lines))
		exit(1);
	for (i = 0; i < lines.n; i++)
		printf("  |%d|%s\n", lines.line[i].style, lines.line[i].text);
	view_lines_free(&lines);
}

/* /metrics of a total frame: every VM's run totals (what --listen serves). */
static void metrics_of(const struct snapshot *s)
{
	struct om_vm *vms = calloc(s->n ? s->n : 1, sizeof(*vms));
	unsigned int i;

	if (!vms)
		exit(1);
	for (i = 0; i < s->n; i++)
		om_vm_from(&vms[i], &s->vms[i], &s->avail);
	om_render(stdout, vms, s->n, &s->self, true);
	for (i = 0; i < s->n; i++)
		om_vm_release(&vms[i]);
	free(vms);
}

/* The frame read so far, rendered. */
static void flush(const char *mode, struct snapshot *s, struct vm_table *t, enum scope sc)
{
	unsigned int i;

	if (snapshot_fill(s, t, NULL, NULL))
		exit(1);
	if (!strcmp(mode, "metrics")) {
		if (sc == SCOPE_TOTAL)
			metrics_of(s);
	} else if (!strcmp(mode, "view")) {
		for (i = 0; i < s->n; i++)
			view_vm(&s->vms[i], &s->avail, sc == SCOPE_TOTAL, s->dt, i == 0);
	} else {
		(!strcmp(mode, "csv") ? &csv_renderer : &json_renderer)->frame(stdout, s, sc);
	}
	t->n = 0;
}

/* The same model from a recording of splittop --json (replay_model.c):
 * what the live view over a recording shows at each frame. */
static int view_json(const char *path)
{
	struct replay_model m;
	unsigned int i, k;

	if (replay_model_open(&m, path) || replay_model_refresh(&m) < 0) {
		fprintf(stderr, "splittop: %s\n", m.err);
		replay_model_close(&m);
		return 2;
	}
	for (i = 0; i < m.nfr; i++) {
		bool total = m.fr[i].total;

		if (replay_model_goto(&m, (int)i)) {
			fprintf(stderr, "splittop: %s\n", m.err);
			replay_model_close(&m);
			return 2;
		}
		printf("%s frame, dt %.3f\n", total ? "total" : "interval", m.snap.dt);
		for (k = 0; k < m.snap.n; k++)
			view_vm(&m.snap.vms[k], &m.snap.avail, total, m.snap.dt, k == 0);
	}
	replay_model_close(&m);
	return 0;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* make bench-replay: what the replay view's moves cost on a big recording,
 * in the order a user makes them. */
static int seek_bench(const char *path)
{
	struct replay_model m;
	double t0 = mono(), t;
	unsigned int i;
	int last;

	if (replay_model_open(&m, path)) {
		fprintf(stderr, "splittop: %s\n", m.err);
		return 2;
	}
	printf("open (its start indexed: %u frames)\t%.3f s\n", m.nfr, mono() - t0);
	t = mono();
	if (replay_model_refresh(&m) < 0) {
		fprintf(stderr, "splittop: %s\n", m.err);
		return 2;
	}
	printf("the rest indexed, while the view waits for keys (%u frames)\t%.3f s\n", m.nfr, mono() - t);
	last = (int)m.nfr - 1;
	const struct { const char *what; int frame; } moves[] = {
		{ "the first frame", 0 }, { "a step forward", 1 }, { "a step back", 0 },
		{ "the end: the run's totals", last },
		{ "the last interval, first time (every line before it read)", last - 1 },
		{ "a step back", last - 2 }, { "a step back again", last - 3 }, { "the middle", last / 2 },
		{ "a step back there", last / 2 - 1 }, { "the first again", 0 }, { "the last interval again", last - 1 },
	};
	for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		t = mono();
		if (replay_model_goto(&m, moves[i].frame)) {
			fprintf(stderr, "splittop: %s\n", m.err);
			return 2;
		}
		printf("%s\t%.3f s\n", moves[i].what, mono() - t);
	}
	printf("checkpoints\t%u (every %u frames)\n", m.nck, m.ck_every);
	replay_model_close(&m);
	return 0;
}

int main(int argc, char **argv)
{
	struct vm_table t = { 0 };
	struct snapshot s = { 0 };
	struct record_reader *r;
	char line[1 << 16];
	unsigned int lineno = 0;
	enum scope sc = SCOPE_INTERVAL;
	bool open = false, started = false, ms = false;
	char num[64];
	uint64_t seq = 1;
	FILE *in;

	if (argc == 3 && !strcmp(argv[1], "seek-bench"))
		return seek_bench(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "view-json"))
		return view_json(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "view-ms")) {
		ms = true;
		argv[1] = "view";
	}
	if (argc != 3 || (strcmp(argv[1], "csv") && strcmp(argv[1], "json") && strcmp(argv[1], "view") &&
			  strcmp(argv[1], "metrics"))) {
		fprintf(stderr, "usage: golden_replay csv|json|view|view-ms|metrics RECORDING, or view-json FILE.json\n");
		return 2;
	}
	in = fopen(argv[2], "r");
	r = calloc(1, sizeof(*r));
	if (!in || !r) {
		perror(argv[2]);
		return 1;
	}
	s.host = &r->host;
	s.sources = r->src;
	while (fgets(line, sizeof(line), in)) {
		int kind = record_read_line(r, line);
		struct vm_entry *e;

		lineno++;
		if (kind < 0) {
			fprintf(stderr, "%s:%u: malformed line\n", argv[2], lineno);
			return 1;
		}
		if (kind == 'F') {
			if (open)
				flush(argv[1], &s, &t, sc);
			if (!started && strcmp(argv[1], "view")) {
				s.nsources = r->nsrc;
				(!strcmp(argv[1], "csv") ? &csv_renderer : &json_renderer)->start(stdout, &s,
												 r->interval);
			}
			started = open = true;
			sc = strcmp(r->scope, "total") ? SCOPE_INTERVAL : SCOPE_TOTAL;
			/* view-ms: elapsed as the JSON recording has it, to the
			 * millisecond, so that its rates are the replay's. */
			if (ms)
				r->elapsed = strtod((snprintf(num, sizeof(num), "%.3f", r->elapsed), num), NULL);
			s.dt = r->elapsed - s.elapsed;
			s.time_unix = r->time_unix;
			s.elapsed = r->elapsed;
			s.self = r->self;
			s.avail = r->avail;
			if (!strcmp(argv[1], "view"))
				printf("%s frame, dt %.3f\n", r->scope, s.dt);
		} else if (kind == 'V') {
			e = vm_table_get(&t, seq, 0, 0, r->vm.pid);
			if (!e)
				return 1;
			vcpu_rows_free(&e->vcpus);
			*e = r->vm;
			memset(&r->vm.vcpus, 0, sizeof(r->vm.vcpus));	/* e owns them now */
			e->seq = seq++;
		}
	}
	if (open)
		flush(argv[1], &s, &t, sc);
	fclose(in);
	snapshot_free(&s);
	vm_table_free(&t);
	vcpu_rows_free(&r->vm.vcpus);
	free(r);
	return 0;
}
