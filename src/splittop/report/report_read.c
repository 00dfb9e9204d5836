// SPDX-License-Identifier: GPL-2.0-only
#include "report_read.h"
#include "common/text.h"
#include "splittop/output/recording_format.h"
#include "splittop/replay/json_reader.h"
#include "splittop/replay/recording_time.h"
#include "splittop/replay/recording_vm.h"
#include "splittop/replay/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Findings a total line may list per VM: each rule once, and room to spare. */
#define REPORT_FINDINGS_MAX	32

struct reader {
	struct report_rec *rec;
	struct jr_doc doc;
	struct rec_vm rv;
	unsigned long lineno;
	char err[160];
};

/* One line on stderr, as --replay words it; the exit status. */
static int bad(const struct reader *r, const char *fmt, const char *why)
{
	return recording_refuse("report", r->rec->path, r->lineno, fmt, why);
}

/* A string of the recording, printable (a recording may be hostile). */
static bool text_of(const struct jr_doc *d, int tok, char *out, size_t size)
{
	if (tok < 0 || !jr_string(d, tok, out, size))
		return false;
	text_sanitize(out, size, out);
	return true;
}

/* The host line's sources: why mmu_lock holds and fault latency were not
 * measured, where they were not. */
static void host_sources(struct reader *r, int s)
{
	const struct jr_doc *d = &r->doc;
	char metric[64];
	int e;

	for (e = d->t[s].child; e >= 0; e = d->t[e].next) {
		char *why = NULL;

		if (d->t[e].type != JR_OBJECT || !text_of(d, jr_get(d, e, "metric"), metric, sizeof(metric)))
			continue;
		if (!strcmp(metric, "mmu_lock_hold"))
			why = r->rec->hold_why;
		else if (!strcmp(metric, "fault_latency"))
			why = r->rec->lat_why;
		if (why && !text_of(d, jr_get(d, e, "why"), why, sizeof(r->rec->hold_why)))
			why[0] = '\0';
	}
}

static int host_line(struct reader *r)
{
	const struct jr_doc *d = &r->doc;
	struct host_info *h = &r->rec->host;
	uint64_t format = 0;
	char mmu[16];
	int f, s;

	if (!jr_is(d, jr_get(d, 0, "type"), "host") || jr_get(d, 0, "kernel") < 0 ||
	    (s = jr_get(d, 0, "sources")) < 0 || d->t[s].type != JR_ARRAY)
		return bad(r, "%s", "not a splittop recording (its first line is not the host line of "
			   "splittop --json)");
	f = jr_get(d, 0, "format");
	if (f >= 0 && !jr_u64(d, f, &format))
		return bad(r, "%s", "its format is not a number");
	if (format > RECORDING_FORMAT) {
		snprintf(r->err, sizeof(r->err), "recording format %llu is newer than this splittop reads "
			 "(0..%d): a newer splittop wrote it", (unsigned long long)format, RECORDING_FORMAT);
		r->lineno = 0;
		return bad(r, "%s", r->err);
	}
	if (rec_interval(d, 0, &r->rec->interval, r->err, sizeof(r->err)))
		return bad(r, "%s", r->err);
	text_of(d, jr_get(d, 0, "kernel"), h->kernel, sizeof(h->kernel));
	if (!text_of(d, jr_get(d, 0, "hostname"), h->hostname, sizeof(h->hostname)))
		h->hostname[0] = '\0';
	h->mmu = text_of(d, jr_get(d, 0, "mmu"), mmu, sizeof(mmu)) ? host_mmu_by_name(mmu) : HOST_MMU_UNKNOWN;
	if (!text_of(d, jr_get(d, 0, "eager_page_split"), h->eager_split, sizeof(h->eager_split)))
		snprintf(h->eager_split, sizeof(h->eager_split), "unknown");
	host_sources(r, s);
	return 0;
}

static bool selected(const struct report_rec *rec, uint32_t pid, const char *name, const struct vm_ident *id)
{
	unsigned int i;

	if (rec->vm_name && !vm_ident_matches(rec->vm_name, name, id))
		return false;
	for (i = 0; i < rec->npids; i++)
		if (rec->pids[i] == pid)
			return true;
	return !rec->npids;
}

/* The VM of pid and name, added the first time it is seen; NULL: no memory. */
static struct report_vm *vm_of(struct report_rec *rec, uint32_t pid, const char *name, double elapsed)
{
	struct report_vm *v;
	unsigned int i;

	for (i = 0; i < rec->nvm; i++)
		if (rec->vm[i].pid == pid && !strcmp(rec->vm[i].name, name))
			return &rec->vm[i];
	if (rec->nvm == rec->vcap) {
		unsigned int cap = rec->vcap ? rec->vcap * 2 : 8;

		v = realloc(rec->vm, cap * sizeof(*v));
		if (!v)
			return NULL;
		rec->vm = v;
		rec->vcap = cap;
	}
	v = &rec->vm[rec->nvm++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->first_s = elapsed;
	return v;
}

static int round_cmp(const void *a, const void *b)
{
	const struct round_rec *x = &((const struct report_round *)a)->r, *y = &((const struct report_round *)b)->r;

	if (x->migration != y->migration)
		return x->migration < y->migration ? -1 : 1;
	return x->round < y->round ? -1 : x->round > y->round;
}

static bool have_round(const struct report_vm *v, const struct round_rec *x, bool all)
{
	uint32_t k = all || !v->nr ? 0 : v->nr - 1;

	for (; k < v->nr; k++)
		if (v->r[k].r.migration == x->migration && v->r[k].r.round == x->round)
			return true;
	return false;
}

/* The line's rounds into v: an interval's ended in it; a total line's are
 * the latest kept, which its intervals brought already, but for a
 * recording cut to its totals.  -ENOMEM. */
static int take_rounds(struct report_vm *v, const struct rec_vm *rv, bool total)
{
	bool added = false;
	uint32_t k;

	for (k = 0; k < rv->nrounds; k++) {
		if (have_round(v, &rv->rounds[k], total))
			continue;
		if (v->nr == REPORT_ROUNDS_MAX) {
			v->rounds_cut = true;
			break;
		}
		if (v->nr == v->rcap) {
			uint32_t cap = v->rcap ? v->rcap * 2 : 64;
			struct report_round *p = realloc(v->r, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			v->r = p;
			v->rcap = cap;
		}
		v->r[v->nr++] = (struct report_round){ .r = rv->rounds[k], .vcpus = rv->g.vcpus,
						       .waits = rv->avail.lock_wait };
		added = true;
	}
	if (total && added)
		qsort(v->r, v->nr, sizeof(*v->r), round_cmp);
	return 0;
}

/* The total line's "findings" of VM object o, printable. */
static int take_findings(struct reader *r, int o, struct report_vm *v)
{
	const struct jr_doc *d = &r->doc;
	int a = jr_get(d, o, "findings"), e;

	if (a < 0 || d->t[a].type == JR_NULL)
		return 0;
	if (d->t[a].type != JR_ARRAY)
		return bad(r, "%s", "findings: not an array");
	free(v->f);
	v->f = calloc(REPORT_FINDINGS_MAX, sizeof(*v->f));
	if (!v->f)
		return bad(r, "%s", strerror(ENOMEM));
	v->nf = 0;
	v->findings_known = true;
	for (e = d->t[a].child; e >= 0 && v->nf < REPORT_FINDINGS_MAX; e = d->t[e].next) {
		struct report_finding *f = &v->f[v->nf++];

		if (d->t[e].type != JR_OBJECT || !text_of(d, jr_get(d, e, "name"), f->name, sizeof(f->name)) ||
		    !text_of(d, jr_get(d, e, "message"), f->message, sizeof(f->message)))
			return bad(r, "%s", "findings: a finding without its name and message");
		text_of(d, jr_get(d, e, "severity"), f->severity, sizeof(f->severity));
		text_of(d, jr_get(d, e, "setting"), f->setting, sizeof(f->setting));
		text_of(d, jr_get(d, e, "source"), f->source, sizeof(f->source));
	}
	return 0;
}

/* VM object o of a frame line (total: the run's totals). */
static int take_vm(struct reader *r, int o, bool total, double elapsed)
{
	struct rec_vm *rv = &r->rv;
	struct report_vm *v;

	if (rec_vm_read(&r->doc, o, rv, r->err, sizeof(r->err)))
		return bad(r, "%s", r->err);
	if (!selected(r->rec, rv->pid, rv->name, &rv->ident))
		return 0;
	v = vm_of(r->rec, rv->pid, rv->name, elapsed);
	if (!v || take_rounds(v, rv, total))
		return bad(r, "%s", strerror(ENOMEM));
	if (total)
		v->c = rv->c;
	else
		add_u64s((__u64 *)&v->c, (const __u64 *)&rv->c, sizeof(rv->c) / sizeof(__u64));
	v->total |= total;
	v->g = rv->g;
	memcpy(v->hold_max_ns, rv->hold_max_ns, sizeof(v->hold_max_ns));
	v->avail = rv->avail;
	v->exited |= rv->exited;
	v->rounds_known |= jr_get(&r->doc, o, "rounds") >= 0;
	v->round_open = rv->open.open;
	v->open_migration = rv->open.migration;
	v->open_round = rv->open.round;
	v->last_s = elapsed;
	return total ? take_findings(r, o, v) : 0;
}

/* An "interval" or "total" line. */
static int frame(struct reader *r, bool total)
{
	const struct jr_doc *d = &r->doc;
	int vms = jr_get(d, 0, "vms"), v, err;
	double time_unix, elapsed;

	if (vms < 0 || d->t[vms].type != JR_ARRAY)
		return bad(r, "%s", "a frame without its time and VMs");
	if (rec_frame_times(d, 0, &time_unix, &elapsed, r->err, sizeof(r->err)))
		return bad(r, "%s", r->err);
	if (!r->rec->start_unix)
		r->rec->start_unix = time_unix - elapsed;
	r->rec->end_s = elapsed;
	r->rec->total_line |= total;
	for (v = d->t[vms].child; v >= 0; v = d->t[v].next)
		if ((err = take_vm(r, v, total, elapsed)))
			return err;
	return 0;
}

static int one_line(struct reader *r, const char *line, size_t len)
{
	int type;

	if ((size_t)r->doc.cap < len / 2 + 16) {
		struct jr_token *t = realloc(r->doc.t, (len / 2 + 16) * sizeof(*t));

		if (!t)
			return bad(r, "%s", strerror(ENOMEM));
		r->doc.t = t;
		r->doc.cap = (int)(len / 2 + 16);
	}
	if (jr_parse(&r->doc, line, len, r->err, sizeof(r->err)))
		return bad(r, "not JSON: %s", r->err);
	if (r->doc.t[0].type != JR_OBJECT)
		return bad(r, "%s", "a line that is not a JSON object");
	if (r->lineno == 1)
		return host_line(r);
	if (r->rec->total_line)
		return bad(r, "%s", "a line after the run's totals");
	type = jr_get(&r->doc, 0, "type");
	if (jr_is(&r->doc, type, "interval") || jr_is(&r->doc, type, "total"))
		return frame(r, jr_is(&r->doc, type, "total"));
	if (jr_is(&r->doc, type, "host"))
		return bad(r, "%s", "a second host line (two recordings in one file?)");
	return bad(r, "%s", "a line of unknown type");
}

static int read_lines(struct reader *r, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	while (!err && (n = replay_getline(&line, &cap, in, REPLAY_LINE_MAX)) > 0) {
		r->lineno++;
		/* Still being written, or cut short: what came before is reported. */
		if (line[n - 1] != '\n') {
			fprintf(stderr, "splittop: report %s:%lu: the last line is incomplete (a recording still "
				"being written, or cut short): reported up to line %lu\n", r->rec->path, r->lineno,
				r->lineno - 1);
			r->rec->partial = true;
			n = 0;
			break;
		}
		err = one_line(r, line, (size_t)n);
	}
	free(line);
	if (!err && n < 0) {
		r->lineno++;
		err = bad(r, "%s", replay_line_error(n));
	}
	if (!err && !r->lineno)
		err = bad(r, "%s", "empty: not a splittop recording");
	r->rec->lines = r->lineno;
	return err;
}

int report_read(struct report_rec *rec)
{
	struct reader r = { .rec = rec };
	const char *why;
	FILE *in;
	int err;

	in = recording_open(rec->path, &why);
	if (!in)
		return bad(&r, "%s", why);
	err = read_lines(&r, in);
	fclose(in);
	free(r.doc.t);
	rec_vm_free(&r.rv);
	return err;
}

void report_free(struct report_rec *rec)
{
	unsigned int i;

	for (i = 0; i < rec->nvm; i++) {
		free(rec->vm[i].r);
		free(rec->vm[i].f);
	}
	free(rec->vm);
	rec->vm = NULL;
	rec->nvm = rec->vcap = 0;
}
