// SPDX-License-Identifier: GPL-2.0-only
#include "replay.h"
#include "csv.h"
#include "json_reader.h"
#include "metrics.h"
#include "recording_time.h"
#include "render.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct replay {
	const struct replay_opts *o;
	struct jr_doc doc;
	unsigned long lineno;
	char err[160];
	bool framed;			/* a frame was read: the slice's bounds are known */
	double lo, hi;			/* the slice's times of day, as unix time */
};

/* Room for at least one more byte and the NUL: doubled, to max + 2. */
static int grow_line(char **line, size_t *cap, size_t max)
{
	size_t want = *cap ? *cap * 2 : 4096;
	char *p;

	if (want > max + 2)
		want = max + 2;
	p = realloc(*line, want);
	if (!p)
		return -ENOMEM;
	*line = p;
	*cap = want;
	return 0;
}

ssize_t replay_getline(char **line, size_t *cap, FILE *f, size_t max)
{
	size_t n = 0, got, room;
	int err;

	for (;;) {
		if (*cap < n + 2 && (err = grow_line(line, cap, max)))
			return err;
		room = *cap - n < INT_MAX ? *cap - n : INT_MAX;
		if (!fgets(*line + n, (int)room, f))
			return ferror(f) ? -EIO : (ssize_t)n;
		got = strlen(*line + n);
		n += got;
		if (n > max)
			return -E2BIG;
		if (got && (*line)[n - 1] == '\n')
			return (ssize_t)n;
		/* fgets stopped short of a full buffer with no newline: at the
		 * end of the file, or at a NUL it read as its own end. */
		if (got < room - 1 && (!feof(f) || !n))
			return ferror(f) ? -EIO : -EILSEQ;
	}
}

const char *replay_line_error(ssize_t err)
{
	if (err == -E2BIG)
		return "a line longer than any recording has";
	if (err == -EILSEQ)
		return "not JSON: a NUL byte in a line";
	return strerror((int)-err);
}

double replay_clock_at(double start, double since_midnight)
{
	time_t t = (time_t)start;
	struct tm tm;
	double at;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	at = (double)mktime(&tm) + since_midnight;
	if (at < (double)t)
		at += 86400;
	return at;
}

/* One bound: a span is compared with the frame's elapsed seconds, a time
 * of day with its unix time (the two clocks differ by a millisecond or so
 * over a run: each is compared with its own). */
static bool past(const struct when *w, double at_unix, double time_unix, double elapsed, int sign)
{
	double d = w->clock ? time_unix - at_unix : elapsed - w->v;

	/* Frames are stamped to the millisecond. */
	return sign * d > 0.0005;
}

/* Whether a frame (its unix time and elapsed seconds) is in the slice;
 * the first frame fixes the times of day. */
static bool in_slice(struct replay *r, double time_unix, double elapsed)
{
	const struct replay_opts *o = r->o;

	if (!r->framed) {
		double start = time_unix - elapsed;	/* when the recorded splittop started */

		r->lo = o->begin.clock ? replay_clock_at(start, o->begin.v) : 0;
		r->hi = o->end.clock ? replay_clock_at(start, o->end.v) : 0;
		r->framed = true;
	}
	return !(o->begin.set && past(&o->begin, r->lo, time_unix, elapsed, -1)) &&
	       !(o->end.set && past(&o->end, r->hi, time_unix, elapsed, 1));
}

static int bad_file(const struct replay *r, const char *fmt, const char *why)
{
	fprintf(stderr, "splittop: --replay %s", r->o->path);
	if (r->lineno)
		fprintf(stderr, ":%lu", r->lineno);
	fputs(": ", stderr);
	fprintf(stderr, fmt, why);
	fputc('\n', stderr);
	return 2;
}

static bool vm_selected(const struct replay_opts *o, uint32_t pid, const char *name)
{
	unsigned int i;

	if (o->vm_name && strcmp(o->vm_name, name))
		return false;
	if (!o->npids)
		return true;
	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return true;
	return false;
}

/* One VM object of a frame line: its pid, name and metric row. */
static int read_vm(struct replay *r, int v, struct vm_entry *e, struct row *row)
{
	const struct jr_doc *d = &r->doc;
	uint64_t pid;
	unsigned int i;

	if (d->t[v].type != JR_OBJECT || !jr_u64(d, jr_get(d, v, "pid"), &pid) || pid > UINT32_MAX ||
	    !jr_string(d, jr_get(d, v, "vm"), e->name, sizeof(e->name)))
		return bad_file(r, "%s", "a VM without its pid and name");
	e->pid = (uint32_t)pid;
	memset(row, 0, sizeof(*row));
	for (i = 0; i < NR_COLUMNS; i++) {
		int t;

		if (!metrics[i].name)
			continue;
		/* Absent (a recording older than the metric) or null: unavailable. */
		t = jr_get(d, v, metrics[i].name);
		if (t < 0 || d->t[t].type == JR_NULL)
			continue;
		if (!jr_u64(d, t, &row->v[i]))
			return bad_file(r, "%s is not a count", metrics[i].name);
		if (i == COL_VCPUS && row->v[i] > VCPU_ROWS_LIMIT)
			return bad_file(r, "%s", "vcpus: more than a VM can have");
		row->present[i] = true;
	}
	return 0;
}

/* The line's text with only the selected VMs in its array (JSON out). */
static void write_json(struct replay *r, const char *line, int vms, const bool *keep)
{
	const struct jr_doc *d = &r->doc;
	const char *p = line;
	bool first = true;
	int v, k;

	fwrite(p, 1, (size_t)(d->t[vms].start + 1 - p), r->o->out);
	for (v = d->t[vms].child, k = 0; v >= 0; v = d->t[v].next, k++) {
		if (!keep[k])
			continue;
		if (!first)
			fputc(',', r->o->out);
		fwrite(d->t[v].start, 1, d->t[v].len, r->o->out);
		first = false;
	}
	p = d->t[vms].start + d->t[vms].len - 1;	/* its ']' */
	fputs(p, r->o->out);
}

/* An "interval" or "total" line. */
static int frame(struct replay *r, char *line, int root, enum scope sc)
{
	const struct jr_doc *d = &r->doc;
	int vms = jr_get(d, root, "vms");
	struct vm_entry e;
	struct row row;
	bool keep[4096 * 2];
	double time_unix, elapsed;
	int v, k, err;

	if (vms < 0 || d->t[vms].type != JR_ARRAY)
		return bad_file(r, "%s", "a frame without its time and VMs");
	if (rec_frame_times(d, root, &time_unix, &elapsed, r->err, sizeof(r->err)))
		return bad_file(r, "%s", r->err);
	/* A slice has its frames; the run's totals only if it runs to the end. */
	if (sc == SCOPE_TOTAL ? r->o->end.set : !in_slice(r, time_unix, elapsed))
		return 0;
	for (v = d->t[vms].child, k = 0; v >= 0; v = d->t[v].next, k++) {
		if (k == (int)(sizeof(keep) / sizeof(keep[0])))
			return bad_file(r, "%s", "more VMs in a frame than splittop tracks");
		memset(&e, 0, sizeof(e));
		err = read_vm(r, v, &e, &row);
		if (err)
			return err;
		keep[k] = vm_selected(r->o, e.pid, e.name);
		if (keep[k] && !r->o->json)
			csv_row(r->o->out, time_unix, elapsed, sc, &e, &row);
	}
	if (r->o->json)
		write_json(r, line, vms, keep);
	return 0;
}

/* The first line: splittop's host line, of a format this splittop reads. */
static int host_line(struct replay *r, char *line, int root)
{
	const struct jr_doc *d = &r->doc;
	int f = jr_get(d, root, "format");
	uint64_t format = 0;
	double interval;
	char n[24];

	if (!jr_is(d, jr_get(d, root, "type"), "host") || jr_get(d, root, "kernel") < 0 ||
	    jr_get(d, root, "sources") < 0)
		return bad_file(r, "%s", "not a splittop recording (its first line is not the host line of "
			       "splittop --json)");
	if (f >= 0 && !jr_u64(d, f, &format))
		return bad_file(r, "%s", "its format is not a number");
	if (format > RECORDING_FORMAT) {
		snprintf(n, sizeof(n), "%llu", (unsigned long long)format);
		fprintf(stderr, "splittop: --replay %s: recording format %s is newer than this splittop "
			"reads (0..%d): a newer splittop wrote it\n", r->o->path, n, RECORDING_FORMAT);
		return 2;
	}
	if (rec_interval(d, root, &interval, r->err, sizeof(r->err)))
		return bad_file(r, "%s", r->err);
	if (r->o->json)
		fputs(line, r->o->out);
	else
		csv_renderer.start(r->o->out, NULL, 0);
	return 0;
}

static int one_line(struct replay *r, char *line, size_t len)
{
	int root, type, err;

	if (jr_parse(&r->doc, line, len, r->err, sizeof(r->err)))
		return bad_file(r, "not JSON: %s", r->err);
	root = 0;
	if (r->doc.t[root].type != JR_OBJECT)
		return bad_file(r, "%s", "a line that is not a JSON object");
	if (r->lineno == 1)
		return host_line(r, line, root);
	type = jr_get(&r->doc, root, "type");
	if (jr_is(&r->doc, type, "interval"))
		err = frame(r, line, root, SCOPE_INTERVAL);
	else if (jr_is(&r->doc, type, "total"))
		err = frame(r, line, root, SCOPE_TOTAL);
	else if (jr_is(&r->doc, type, "host"))
		return bad_file(r, "%s", "a second host line (two recordings in one file?)");
	else
		return bad_file(r, "%s", "a line of unknown type");
	return err;
}

int replay_run(const struct replay_opts *o)
{
	struct replay r = { .o = o };
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = 0;
	FILE *in;
	int err = 0;

	in = fopen(o->path, "re");
	if (!in)
		return bad_file(&r, "%s", strerror(errno));
	if (fstat(fileno(in), &st) || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
		fclose(in);
		return bad_file(&r, "%s", "not a file");
	}
	r.doc.cap = 1 << 16;
	r.doc.t = malloc(r.doc.cap * sizeof(*r.doc.t));
	if (!r.doc.t) {
		fclose(in);
		return bad_file(&r, "%s", strerror(ENOMEM));
	}
	while (!err && (n = replay_getline(&line, &cap, in, REPLAY_LINE_MAX)) > 0) {
		r.lineno++;
		/* A last line without its newline is still being written (or was
		 * cut short): everything before it is replayed, and it is said. */
		if (line[n - 1] != '\n') {
			fprintf(stderr, "splittop: --replay %s:%lu: the last line is incomplete (a recording still "
				"being written, or cut short): replayed up to line %lu\n", o->path, r.lineno,
				r.lineno - 1);
			break;
		}
		/* A value takes two bytes at least (its text and a comma). */
		if (r.doc.cap < n / 2 + 16) {
			struct jr_token *t = realloc(r.doc.t, (n / 2 + 16) * sizeof(*t));

			if (!t) {
				err = bad_file(&r, "%s", strerror(ENOMEM));
				break;
			}
			r.doc.t = t;
			r.doc.cap = n / 2 + 16;
		}
		err = one_line(&r, line, (size_t)n);
	}
	if (!err && n < 0) {
		r.lineno++;
		err = bad_file(&r, "%s", replay_line_error(n));
	}
	if (!err && !r.lineno)
		err = bad_file(&r, "%s", "empty: not a splittop recording");
	free(line);
	free(r.doc.t);
	fclose(in);
	if (!err && (fflush(o->out) || ferror(o->out))) {
		fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
		err = 1;
	}
	return err;
}
