// SPDX-License-Identifier: GPL-2.0-only
#include "replay.h"
#include "splittop/output/recording_format.h"
#include "splittop/output/csv.h"
#include "json_reader.h"
#include "splittop/output/json_writer.h"
#include "splittop/model/metrics.h"
#include "recording_vm.h"
#include "recording_time.h"
#include "splittop/output/render.h"

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
	char **line;			/* the line read (its buffer swaps with held's) */
	size_t *cap;
	bool framed;			/* an interval was read: the bounds' times are known */
	int64_t begin_ms, end_ms;	/* --begin's and --end's times, each on its clock */
	/* --begin: the interval that may be the one nearest it, held until the
	 * next one tells (its text, length, line and distance to it). */
	char *held;
	size_t held_cap, held_len;
	unsigned long held_lineno;
	int64_t held_ms;
	bool held_set, begun, ended;
	int64_t end_prev_ms;		/* the last interval's distance to --end (-1: none) */
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

/* A frame's distance to bound w's time (target, ms): a span is compared
 * with its elapsed seconds, a time of day with its unix time (the two clocks
 * differ by a millisecond or so over a run: each with its own), to the
 * millisecond frames are stamped to. */
static int64_t distance(const struct when *w, int64_t target, double time_unix, double elapsed)
{
	int64_t d = rec_ms(w->clock ? time_unix : elapsed) - target;

	return d < 0 ? -d : d;
}

/* The bounds' times, from the first interval: when the recorded splittop
 * started fixes the day of a time of day. */
static void set_targets(struct replay *r, double time_unix, double elapsed)
{
	const struct replay_opts *o = r->o;
	double start = time_unix - elapsed;

	r->begin_ms = rec_ms(o->begin.clock ? replay_clock_at(start, o->begin.v) : o->begin.v);
	r->end_ms = rec_ms(o->end.clock ? replay_clock_at(start, o->end.v) : o->end.v);
	r->end_prev_ms = -1;
	r->framed = true;
}

/* Whether an interval is past --end.  The one nearest it is the last in:
 * the first interval farther from it than the one before is out, and so is
 * every one after; one as near as the one before is in (a tie goes to the
 * later frame). */
static bool past_end(struct replay *r, double time_unix, double elapsed)
{
	int64_t d;

	if (!r->o->end.set || r->ended)
		return r->ended;
	d = distance(&r->o->end, r->end_ms, time_unix, elapsed);
	if (r->end_prev_ms >= 0 && r->end_prev_ms < d)
		return r->ended = true;
	r->end_prev_ms = d;
	return false;
}

int recording_refuse(const char *what, const char *path, unsigned long lineno, const char *fmt,
		     const char *why)
{
	fprintf(stderr, "splittop: %s %s", what, path);
	if (lineno)
		fprintf(stderr, ":%lu", lineno);
	fputs(": ", stderr);
	fprintf(stderr, fmt, why);
	fputc('\n', stderr);
	return 2;
}

static int bad_file(const struct replay *r, const char *fmt, const char *why)
{
	return recording_refuse("--replay", r->o->path, r->lineno, fmt, why);
}

static bool vm_selected(const struct replay_opts *o, const struct vm_entry *e)
{
	uint32_t pid = e->pid;
	unsigned int i;

	if (o->vm_name && !vm_ident_matches(o->vm_name, e->name, &e->ident))
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
	    !rec_vm_name(d, v, e->name, sizeof(e->name)))
		return bad_file(r, "%s", "a VM without its pid and name");
	e->pid = (uint32_t)pid;
	rec_vm_ident(d, v, &e->ident);
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

/* A kept VM's object as the recording has it, but for its name: where the
 * reader made it printable (rec_vm_name), the printable one, so that JSON
 * out names every VM as CSV out does. */
static void write_vm(struct replay *r, int v)
{
	const struct jr_doc *d = &r->doc;
	const char *p = d->t[v].start, *end = p + d->t[v].len;
	int name = jr_get(d, v, "vm");
	char raw[512], clean[sizeof(((struct vm_entry *)0)->name)];

	if (jr_string(d, name, raw, sizeof(raw)) && rec_vm_name(d, v, clean, sizeof(clean)) &&
	    strcmp(raw, clean)) {
		json_text(r->o->out, p, (size_t)(d->t[name].start - 1 - p));	/* up to its quote */
		json_string(r->o->out, clean);
		p = d->t[name].start + d->t[name].len + 1;			/* past its quote */
	}
	json_text(r->o->out, p, (size_t)(end - p));
}

/* The line's text with only the selected VMs in its array (JSON out); raw
 * bytes a terminal could obey escaped (json_text). */
static void write_json(struct replay *r, const char *line, int vms, const bool *keep)
{
	const struct jr_doc *d = &r->doc;
	const char *p = line;
	bool first = true;
	int v, k;

	json_text(r->o->out, p, (size_t)(d->t[vms].start + 1 - p));
	for (v = d->t[vms].child, k = 0; v >= 0; v = d->t[v].next, k++) {
		if (!keep[k])
			continue;
		if (!first)
			fputc(',', r->o->out);
		write_vm(r, v);
		first = false;
	}
	p = d->t[vms].start + d->t[vms].len - 1;	/* its ']' */
	json_text(r->o->out, p, strlen(p));
}

/* Write the frame r->doc holds (text: its line): its selected VMs, as CSV
 * rows or as its own line. */
static int emit(struct replay *r, const char *text, enum scope sc, double time_unix, double elapsed)
{
	const struct jr_doc *d = &r->doc;
	int vms = jr_get(d, 0, "vms");
	struct vm_entry e;
	struct row row;
	bool keep[4096 * 2];
	int v, k, err;

	for (v = d->t[vms].child, k = 0; v >= 0; v = d->t[v].next, k++) {
		if (k == (int)(sizeof(keep) / sizeof(keep[0])))
			return bad_file(r, "%s", "more VMs in a frame than splittop tracks");
		memset(&e, 0, sizeof(e));
		err = read_vm(r, v, &e, &row);
		if (err)
			return err;
		keep[k] = vm_selected(r->o, &e);
		if (keep[k] && !r->o->json)
			csv_row(r->o->out, time_unix, elapsed, sc, &e, &row);
	}
	if (r->o->json)
		write_json(r, text, vms, keep);
	return 0;
}

/* The interval just read (len bytes) may be --begin's: kept, its buffer
 * swapped with the held one's (the next line is read into that). */
static void hold(struct replay *r, size_t len, int64_t d)
{
	char *text = r->held;
	size_t cap = r->held_cap;

	r->held = *r->line;
	r->held_cap = *r->cap;
	*r->line = text;
	*r->cap = cap;
	r->held_len = len;
	r->held_lineno = r->lineno;
	r->held_ms = d;
	r->held_set = true;
}

/* The held interval is the one nearest --begin (the slice starts there):
 * written, under its own line number; then the line just read (len bytes,
 * 0: none) back in r->doc. */
static int release(struct replay *r, size_t len)
{
	unsigned long now = r->lineno;
	double time_unix, elapsed;
	int err = 0;

	if (!r->held_set)
		return 0;
	r->held_set = false;
	r->begun = true;
	r->lineno = r->held_lineno;
	/* Both read once already, so neither fails. */
	if (jr_parse(&r->doc, r->held, r->held_len, r->err, sizeof(r->err)) ||
	    rec_frame_times(&r->doc, 0, &time_unix, &elapsed, r->err, sizeof(r->err)))
		err = bad_file(r, "%s", r->err);
	else
		err = emit(r, r->held, SCOPE_INTERVAL, time_unix, elapsed);
	r->lineno = now;
	if (!err && len && jr_parse(&r->doc, *r->line, len, r->err, sizeof(r->err)))
		err = bad_file(r, "not JSON: %s", r->err);
	return err;
}

/* An interval (len bytes): written if in the slice.  Before --begin's is
 * known, each is held until the next is farther from --begin (it is the
 * nearest) or not (ties go to the later one). */
static int interval(struct replay *r, size_t len, double time_unix, double elapsed)
{
	const struct when *b = &r->o->begin;
	bool past;
	int64_t d;
	int err;

	if (!r->framed)
		set_targets(r, time_unix, elapsed);
	past = past_end(r, time_unix, elapsed);
	if (b->set && !r->begun) {
		d = distance(b, r->begin_ms, time_unix, elapsed);
		if (!r->held_set || r->held_ms >= d) {
			r->held_set = false;
			if (!past)
				hold(r, len, d);
			return 0;
		}
		err = release(r, len);
		if (err)
			return err;
	}
	return past ? 0 : emit(r, *r->line, SCOPE_INTERVAL, time_unix, elapsed);
}

/* An "interval" or "total" line (len bytes). */
static int frame(struct replay *r, size_t len, int root, enum scope sc)
{
	const struct jr_doc *d = &r->doc;
	int vms = jr_get(d, root, "vms"), err;
	double time_unix, elapsed;

	if (vms < 0 || d->t[vms].type != JR_ARRAY)
		return bad_file(r, "%s", "a frame without its time and VMs");
	if (rec_frame_times(d, root, &time_unix, &elapsed, r->err, sizeof(r->err)))
		return bad_file(r, "%s", r->err);
	if (sc == SCOPE_INTERVAL)
		return interval(r, len, time_unix, elapsed);
	/* No interval after the one held: it is --begin's.  The run's totals
	 * only for a slice that runs to the end. */
	err = release(r, len);
	if (err || r->o->end.set)
		return err;
	return emit(r, *r->line, SCOPE_TOTAL, time_unix, elapsed);
}

/* The first line: splittop's host line, of a format this splittop reads. */
static int host_line(struct replay *r, const char *line, int root)
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
		json_text(r->o->out, line, strlen(line));
	else
		csv_renderer.start(r->o->out, NULL, 0);
	return 0;
}

static int one_line(struct replay *r, size_t len)
{
	char *line = *r->line;
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
		err = frame(r, len, root, SCOPE_INTERVAL);
	else if (jr_is(&r->doc, type, "total"))
		err = frame(r, len, root, SCOPE_TOTAL);
	else if (jr_is(&r->doc, type, "host"))
		return bad_file(r, "%s", "a second host line (two recordings in one file?)");
	else
		return bad_file(r, "%s", "a line of unknown type");
	return err;
}

/* Room in r->doc for a line of n bytes' tokens (a value takes two bytes
 * at least: its text and a comma). */
static int token_room(struct replay *r, size_t n)
{
	struct jr_token *t;

	if ((size_t)r->doc.cap >= n / 2 + 16)
		return 0;
	t = realloc(r->doc.t, (n / 2 + 16) * sizeof(*t));
	if (!t)
		return bad_file(r, "%s", strerror(ENOMEM));
	r->doc.t = t;
	r->doc.cap = (int)(n / 2 + 16);
	return 0;
}

/* Every line of in, then what is held for --begin. */
static int read_lines(struct replay *r, FILE *in)
{
	ssize_t n = 0;
	int err = 0;

	while (!err && (n = replay_getline(r->line, r->cap, in, REPLAY_LINE_MAX)) > 0) {
		r->lineno++;
		/* A last line without its newline is still being written (or was
		 * cut short): everything before it is replayed, and it is said. */
		if ((*r->line)[n - 1] != '\n') {
			fprintf(stderr, "splittop: --replay %s:%lu: the last line is incomplete (a recording still "
				"being written, or cut short): replayed up to line %lu\n", r->o->path, r->lineno,
				r->lineno - 1);
			break;
		}
		err = token_room(r, (size_t)n) ?: one_line(r, (size_t)n);
	}
	if (err)
		return err;
	if (n < 0) {
		r->lineno++;
		return bad_file(r, "%s", replay_line_error(n));
	}
	if (!r->lineno)
		return bad_file(r, "%s", "empty: not a splittop recording");
	/* No interval after the one held: it is --begin's. */
	return release(r, 0);
}

FILE *recording_open(const char *path, const char **why)
{
	struct stat st;
	FILE *in = fopen(path, "re");

	if (!in) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fileno(in), &st) || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
		fclose(in);
		*why = "not a file";
		return NULL;
	}
	return in;
}

int replay_run(const struct replay_opts *o)
{
	char *line = NULL;
	size_t cap = 0;
	struct replay r = { .o = o, .line = &line, .cap = &cap };
	const char *why;
	FILE *in;
	int err;

	in = recording_open(o->path, &why);
	if (!in)
		return bad_file(&r, "%s", why);
	err = read_lines(&r, in);
	free(line);
	free(r.held);
	free(r.doc.t);
	fclose(in);
	if (!err && (fflush(o->out) || ferror(o->out))) {
		fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
		err = 1;
	}
	return err;
}
