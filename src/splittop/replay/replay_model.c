// SPDX-License-Identifier: GPL-2.0-only
#include "replay_model.h"
#include "splittop/output/recording_format.h"
#include "recording_time.h"
#include "replay.h"
#include "splittop/model/self_stats.h"
#include "common/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* At most this many checkpoints: a long recording spaces them wider. */
#define RM_CHECKPOINTS	256
#define RM_CK_EVERY	32
/* Bytes indexed before the first frame is shown (a tenth of a second). */
#define RM_INDEX_AT_OPEN	(128 << 20)

static int bad(struct replay_model *m, long line, const char *fmt, ...)
{
	size_t o;
	va_list ap;

	o = (size_t)snprintf(m->err, sizeof(m->err), "--replay %s", m->path);
	if (line > 0 && o < sizeof(m->err))
		o += (size_t)snprintf(m->err + o, sizeof(m->err) - o, ":%ld", line);
	if (o < sizeof(m->err) - 2) {
		memcpy(m->err + o, ": ", 3);
		o += 2;
		va_start(ap, fmt);
		vsnprintf(m->err + o, sizeof(m->err) - o, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Line text into m->doc; room for its tokens (a value takes two bytes). */
static int parse(struct replay_model *m, long lineno, const char *text, size_t len)
{
	char why[120];

	if (m->doc.cap < (int)(len / 2 + 16)) {
		struct jr_token *t = realloc(m->doc.t, (len / 2 + 16) * sizeof(*t));

		if (!t)
			return bad(m, lineno, "%s", strerror(ENOMEM));
		m->doc.t = t;
		m->doc.cap = (int)(len / 2 + 16);
	}
	if (jr_parse(&m->doc, text, len, why, sizeof(why)))
		return bad(m, lineno, "not JSON: %s", why);
	if (m->doc.t[0].type != JR_OBJECT)
		return bad(m, lineno, "%s", "a line that is not a JSON object");
	return 0;
}

/* A string of the host line, made printable: the replay view shows the
 * recorded host, kernel and sources, and a recording may be hostile. */
static bool text_of(const struct jr_doc *d, int tok, char *out, size_t size)
{
	if (!jr_string(d, tok, out, size))
		return false;
	text_sanitize(out, size, out);
	return true;
}

static int host_line(struct replay_model *m, size_t len)
{
	const struct jr_doc *d = &m->doc;
	char why[120], mmu[16];
	int f, s, e;

	if (parse(m, 1, m->line, len))
		return -1;
	if (!jr_is(d, jr_get(d, 0, "type"), "host") || jr_get(d, 0, "kernel") < 0 ||
	    (s = jr_get(d, 0, "sources")) < 0 || d->t[s].type != JR_ARRAY)
		return bad(m, 1, "%s", "not a splittop recording (its first line is not the host line of "
			   "splittop --json)");
	f = jr_get(d, 0, "format");
	if (f >= 0 && !jr_u64(d, f, &m->format))
		return bad(m, 1, "%s", "its format is not a number");
	if (m->format > RECORDING_FORMAT)
		return bad(m, 0, "recording format %llu is newer than this splittop reads (0..%d): a newer "
			   "splittop wrote it", (unsigned long long)m->format, RECORDING_FORMAT);
	text_of(d, jr_get(d, 0, "kernel"), m->host.kernel, sizeof(m->host.kernel));
	if (!text_of(d, jr_get(d, 0, "hostname"), m->host.hostname, sizeof(m->host.hostname)))
		m->host.hostname[0] = '\0';
	m->host.mmu = text_of(d, jr_get(d, 0, "mmu"), mmu, sizeof(mmu)) ? host_mmu_by_name(mmu) : HOST_MMU_UNKNOWN;
	if (!text_of(d, jr_get(d, 0, "eager_page_split"), m->host.eager_split, sizeof(m->host.eager_split)))
		snprintf(m->host.eager_split, sizeof(m->host.eager_split), "unknown");
	if (rec_interval(d, 0, &m->interval, why, sizeof(why)))
		return bad(m, 1, "%s", why);
	for (e = d->t[s].child; e >= 0 && m->nsrc < 32; e = d->t[e].next) {
		struct metric_source *ms = &m->src[m->nsrc];
		char *metric = m->src_text[m->nsrc][0], *src = m->src_text[m->nsrc][1];

		if (!text_of(d, jr_get(d, e, "metric"), metric, 192))
			return bad(m, 1, "%s", "a source without its metric");
		ms->metric = metric;
		ms->source = text_of(d, jr_get(d, e, "source"), src, 192) ? src : NULL;
		if (!text_of(d, jr_get(d, e, "why"), ms->why, sizeof(ms->why)))
			ms->why[0] = '\0';
		m->nsrc++;
	}
	return 0;
}

/* A frame line's type and times, from its start as json.c writes it, else
 * from the whole line parsed. */
static int frame_head(struct replay_model *m, long lineno, size_t len, struct rm_frame *f)
{
	static const char key[] = "\"dirty_log_enables\":";
	char type[16], why[120];
	const char *p, *bad_time;
	int t;

	if (sscanf(m->line, "{\"type\":\"%15[a-z]\",\"time_unix_s\":%lf,\"elapsed_s\":%lf", type, &f->time_unix,
		   &f->elapsed) == 3) {
		/* As rec_frame_times checks them (sscanf also takes "nan"). */
		if ((bad_time = rec_time_bad(f->time_unix)))
			return bad(m, lineno, "time_unix_s: %s", bad_time);
		if ((bad_time = rec_time_bad(f->elapsed)))
			return bad(m, lineno, "elapsed_s: %s", bad_time);
	} else {
		const struct jr_doc *d = &m->doc;

		if (parse(m, lineno, m->line, len))
			return -1;
		t = jr_get(d, 0, "type");
		if (jr_is(d, t, "host"))
			return bad(m, lineno, "%s", "a second host line (two recordings in one file?)");
		if (!jr_string(d, t, type, sizeof(type)))
			return bad(m, lineno, "%s", "a frame without its time and VMs");
		if (rec_frame_times(d, 0, &f->time_unix, &f->elapsed, why, sizeof(why)))
			return bad(m, lineno, "%s", why);
	}
	if (!strcmp(type, "total"))
		f->total = true;
	else if (strcmp(type, "interval"))
		return bad(m, lineno, "%s", "a line of unknown type");
	for (p = m->line; !f->total && (p = memmem(p, len - (size_t)(p - m->line), key, sizeof(key) - 1));) {
		p += sizeof(key) - 1;
		if (*p >= '1' && *p <= '9') {
			f->enable = true;
			break;
		}
	}
	return 0;
}

int replay_model_index(struct replay_model *m, off_t budget)
{
	unsigned int before = m->nfr;
	off_t start = m->indexed;
	ssize_t n = 0;

	if (fseeko(m->f, m->indexed, SEEK_SET))
		return bad(m, 0, "%s", strerror(errno));
	m->partial = false;
	while (m->indexed - start < budget &&
	       (n = replay_getline(&m->line, &m->line_cap, m->f, REPLAY_LINE_MAX)) > 0) {
		struct rm_frame f = { .off = m->indexed, .len = (uint32_t)n };
		long lineno = (long)m->nfr + 2;

		if (m->line[n - 1] != '\n') {
			m->partial = true;	/* still being written: the next refresh takes it */
			break;
		}
		if (m->nfr && m->fr[m->nfr - 1].total)
			return bad(m, lineno, "%s", "a line after the run's totals");
		if (frame_head(m, lineno, (size_t)n, &f))
			return -1;
		if (m->nfr == m->frcap) {
			unsigned int cap = m->frcap ? m->frcap * 2 : 1024;
			struct rm_frame *p = realloc(m->fr, cap * sizeof(*p));

			if (!p)
				return bad(m, 0, "%s", strerror(ENOMEM));
			m->fr = p;
			m->frcap = cap;
		}
		m->fr[m->nfr++] = f;
		m->indexed += n;
	}
	if (n < 0)
		return bad(m, (long)m->nfr + 2, "%s", replay_line_error(n));
	/* At the end of what is written so far (more may come). */
	m->indexed_all = n <= 0 || m->partial;
	clearerr(m->f);
	/* Checkpoints spaced so that at most RM_CHECKPOINTS are kept. */
	while (m->ck_every * RM_CHECKPOINTS < m->nfr)
		m->ck_every *= 2;
	return (int)(m->nfr - before);
}

int replay_model_open(struct replay_model *m, const char *path)
{
	struct stat st;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	m->path = path;
	m->cur = -1;
	m->next_seq = 1;
	m->ck_every = RM_CK_EVERY;
	/* Before opening it: a pipe's open would wait for a writer. */
	if (stat(path, &st))
		return bad(m, 0, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bad(m, 0, "%s", S_ISFIFO(st.st_mode) ? "a pipe: the live view moves back and forth in a "
			   "file (a pipe converts with --csv or --json)" : "not a file");
	m->f = fopen(path, "re");
	if (!m->f)
		return bad(m, 0, "%s", strerror(errno));
	n = replay_getline(&m->line, &m->line_cap, m->f, REPLAY_LINE_MAX);
	if (n < 0)
		return bad(m, 1, "%s", replay_line_error(n));
	if (!n)
		return bad(m, 0, "%s", "empty: not a splittop recording");
	if (m->line[n - 1] != '\n')
		return bad(m, 1, "%s", "its first line is incomplete: not a recording yet");
	if (host_line(m, (size_t)n))
		return -1;
	m->indexed = n;
	/* The start now; the rest while the view waits for keys. */
	if (replay_model_index(m, RM_INDEX_AT_OPEN) < 0)
		return -1;
	if (!m->nfr)
		return bad(m, 0, "%s", "no frame recorded yet");
	return 0;
}

static struct vm_entry *entry_of(struct replay_model *m, const struct rec_vm *rv)
{
	struct vm_entry *e;
	unsigned int i;

	for (i = 0; i < m->table.n; i++)
		if (m->table.e[i].seq && m->table.e[i].pid == rv->pid && !strcmp(m->table.e[i].name, rv->name))
			return &m->table.e[i];
	e = vm_table_get(&m->table, m->next_seq++, 0, 0, rv->pid);
	if (!e)
		return NULL;
	snprintf(e->name, sizeof(e->name), "%s", rv->name);
	e->ident = rv->ident;
	return e;
}

static int mark_seen(struct replay_model *m, unsigned int idx, int frame)
{
	if (idx >= m->seen_cap) {
		unsigned int cap = m->seen_cap ? m->seen_cap * 2 : 64, i;
		int *p;

		while (cap <= idx)
			cap *= 2;
		p = realloc(m->seen, cap * sizeof(*p));
		if (!p)
			return -1;
		for (i = m->seen_cap; i < cap; i++)
			p[i] = -1;
		m->seen = p;
		m->seen_cap = cap;
	}
	m->seen[idx] = frame;
	return 0;
}

/* Frame i's line into m->doc (m->line holds its text). */
static int read_frame(struct replay_model *m, int i)
{
	const struct rm_frame *f = &m->fr[i];

	if (f->len > m->line_cap) {
		char *p = realloc(m->line, f->len);

		if (!p)
			return bad(m, 0, "%s", strerror(ENOMEM));
		m->line = p;
		m->line_cap = f->len;
	}
	if (fseeko(m->f, f->off, SEEK_SET) || fread(m->line, 1, f->len, m->f) != f->len)
		return bad(m, i + 2, "%s", ferror(m->f) ? strerror(EIO) : "shorter than when it was indexed");
	return parse(m, i + 2, m->line, f->len);
}

static int vms_of(struct replay_model *m, int i)
{
	int vms = jr_get(&m->doc, 0, "vms");

	if (vms < 0 || m->doc.t[vms].type != JR_ARRAY)
		return bad(m, i + 2, "%s", "a frame without its time and VMs");
	return vms;
}

/* A frame's rounds: an interval line's ended in it; a total line's are
 * every one kept, which the intervals before it brought already (a
 * recording of only a total line brings them here). */
static void take_rounds(struct vm_rounds *r, const struct rec_vm *rv, bool total)
{
	uint32_t k;

	r->fresh = 0;
	if (!total || !r->taken)
		for (k = 0; k < rv->nrounds; k++)
			vm_rounds_add(r, &rv->rounds[k]);
	r->migration = rv->open.open ? rv->open.migration : rv->nrounds ? rv->rounds[rv->nrounds - 1].migration
									 : r->migration;
	r->round = rv->open.open ? rv->open.round : rv->nrounds ? rv->rounds[rv->nrounds - 1].round : r->round;
	r->open = rv->open.open;
	r->open_start_ns = rv->open.start_ns;
	r->open_pages = rv->open.pages;
}

/* Apply frame i to the table: an interval adds its counts, the totals line
 * sets them. */
static int apply(struct replay_model *m, int i)
{
	bool total = m->fr[i].total;
	int vms, v;

	if (read_frame(m, i) || (vms = vms_of(m, i)) < 0)
		return -1;
	for (v = m->doc.t[vms].child; v >= 0; v = m->doc.t[v].next) {
		struct rec_vm *rv = &m->rv;
		struct vm_entry *e;
		char why[120];
		uint32_t k;

		if (rec_vm_read(&m->doc, v, rv, why, sizeof(why)))
			return bad(m, i + 2, "%s", why);
		e = entry_of(m, rv);
		if (!e || mark_seen(m, (unsigned int)(e - m->table.e), i) ||
		    vcpu_rows_reserve(&e->vcpus, rv->nvcpus))
			return bad(m, 0, "%s", strerror(ENOMEM));
		e->prev = e->now;
		if (e->vcpus.n)
			memcpy(e->vcpus.prev, e->vcpus.now, e->vcpus.n * sizeof(*e->vcpus.now));
		if (total) {
			e->now = rv->c;
			memset(e->vcpus.now, 0, e->vcpus.n * sizeof(*e->vcpus.now));
			e->lock_wait_max_run_ns = rv->g.lock_wait_max_ns;
		} else {
			add_u64s((__u64 *)&e->now, (const __u64 *)&rv->c, sizeof(rv->c) / sizeof(__u64));
			if (rv->g.lock_wait_max_ns > e->lock_wait_max_run_ns)
				e->lock_wait_max_run_ns = rv->g.lock_wait_max_ns;
		}
		for (k = 0; k < rv->nvcpus; k++)
			add_u64s((__u64 *)&e->vcpus.now[k], (const __u64 *)&rv->vcpus[k],
				 sizeof(rv->vcpus[k]) / sizeof(__u64));
		e->gauges = rv->g;
		take_rounds(&e->rounds, rv, total);
		memcpy(e->hold_max_run_ns, rv->hold_max_ns, sizeof(e->hold_max_run_ns));
		e->alive = !rv->exited;
	}
	return 0;
}

static void free_checkpoint(struct rm_checkpoint *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		vcpu_rows_free(&c->e[i].vcpus);
	free(c->e);
	free(c->seen);
	memset(c, 0, sizeof(*c));
}

static int copy_rows(struct vcpu_rows *to, const struct vcpu_rows *from)
{
	memset(to, 0, sizeof(*to));
	if (vcpu_rows_reserve(to, from->n))
		return -1;
	memcpy(to->now, from->now, from->n * sizeof(*from->now));
	memcpy(to->prev, from->prev, from->n * sizeof(*from->prev));
	return 0;
}

static int save_checkpoint(struct replay_model *m)
{
	struct rm_checkpoint c = { .frame = m->cur, .n = m->table.n };
	unsigned int i, at;

	if (m->nck == m->ckcap) {
		unsigned int cap = m->ckcap ? m->ckcap * 2 : 16;
		struct rm_checkpoint *p = realloc(m->ck, cap * sizeof(*p));

		if (!p)
			return -1;
		m->ck = p;
		m->ckcap = cap;
	}
	c.e = calloc(c.n ? c.n : 1, sizeof(*c.e));
	c.seen = calloc(c.n ? c.n : 1, sizeof(*c.seen));
	if (!c.e || !c.seen) {
		free_checkpoint(&c);
		return -1;
	}
	for (i = 0; i < c.n; i++) {
		c.e[i] = m->table.e[i];
		c.seen[i] = i < m->seen_cap ? m->seen[i] : -1;
		if (copy_rows(&c.e[i].vcpus, &m->table.e[i].vcpus)) {
			c.n = i;
			free_checkpoint(&c);
			return -1;
		}
	}
	/* Kept in frame order. */
	for (at = m->nck; at > 0 && m->ck[at - 1].frame > c.frame; at--)
		;
	memmove(&m->ck[at + 1], &m->ck[at], (m->nck - at) * sizeof(*m->ck));
	m->ck[at] = c;
	m->nck++;
	return 0;
}

static bool have_checkpoint(const struct replay_model *m, int frame)
{
	unsigned int i;

	for (i = 0; i < m->nck; i++)
		if (m->ck[i].frame == frame)
			return true;
	return false;
}

/* The table back to checkpoint c, or empty (c NULL). */
static int restore(struct replay_model *m, const struct rm_checkpoint *c)
{
	unsigned int i;

	vm_table_free(&m->table);
	for (i = 0; i < m->seen_cap; i++)
		m->seen[i] = -1;
	m->cur = -1;
	if (!c)
		return 0;
	for (i = 0; i < c->n; i++) {
		struct vm_entry *e = vm_table_get(&m->table, c->e[i].seq, 0, 0, c->e[i].pid);

		if (!e)
			return -1;
		*e = c->e[i];
		if (copy_rows(&e->vcpus, &c->e[i].vcpus) || mark_seen(m, i, c->seen[i]))
			return -1;
	}
	m->cur = c->frame;
	return 0;
}

/* A recording older than "exited" tells a VM's end only by its absence
 * from the next interval: a VM of frame i missing from frame i + 1 ended
 * in frame i (the live view showed it no more). */
static int mark_ended(struct replay_model *m, int i)
{
	unsigned int k;
	int vms, v;

	if (m->fr[i].total || i + 1 >= (int)m->nfr || m->fr[i + 1].total)
		return 0;	/* at the end: as its lines say */
	if (read_frame(m, i + 1) || (vms = vms_of(m, i + 1)) < 0)
		return -1;
	for (k = 0; k < m->table.n; k++) {
		struct vm_entry *e = &m->table.e[k];
		bool next = false;

		if (!e->alive || k >= m->seen_cap || m->seen[k] != i)
			continue;
		for (v = m->doc.t[vms].child; v >= 0 && !next; v = m->doc.t[v].next) {
			uint64_t pid;
			char name[96];

			if (!jr_u64(&m->doc, jr_get(&m->doc, v, "pid"), &pid) ||
			    !rec_vm_name(&m->doc, v, name, sizeof(name)))
				return bad(m, i + 3, "%s", "a VM without its pid and name");
			next = e->pid == pid && !strcmp(e->name, name);
		}
		e->alive = next;
	}
	return 0;
}

static bool in_frame(const void *arg, const struct vm_entry *e)
{
	const struct replay_model *m = arg;
	unsigned int idx = (unsigned int)(e - m->table.e);

	return idx < m->seen_cap && m->seen[idx] == m->cur && (!m->want || m->want(m->want_arg, e));
}

/* The snapshot of frame cur: its header from its line (in m->doc). */
static int fill(struct replay_model *m)
{
	const struct rm_frame *f = &m->fr[m->cur];
	struct snapshot *s = &m->snap;
	struct avail a = { 0 };
	unsigned int i;
	int self, vms;

	if (read_frame(m, m->cur) || (vms = vms_of(m, m->cur)) < 0)
		return -1;
	s->host = &m->host;
	s->sources = m->src;
	s->nsources = m->nsrc;
	s->time_unix = f->time_unix;
	s->elapsed = f->elapsed;
	s->dt = m->cur ? f->elapsed - m->fr[m->cur - 1].elapsed : f->elapsed;
	memset(&s->self, 0, sizeof(s->self));
	self = jr_get(&m->doc, 0, "self");
	for (i = 0; self >= 0 && i < NR_SELF_STATS; i++) {
		uint64_t v;

		if (jr_u64(&m->doc, jr_get(&m->doc, self, self_stat_defs[i].name), &v))
			self_stat_set(&s->self, i, v);
	}
	/* What the recorded kernel provided: what its VMs' lines carry (a
	 * frame without VMs keeps the last frame's). */
	if (m->doc.t[vms].child >= 0) {
		int v;

		for (v = m->doc.t[vms].child; v >= 0; v = m->doc.t[v].next) {
			char why[120];

			if (rec_vm_read(&m->doc, v, &m->rv, why, sizeof(why)))
				return bad(m, m->cur + 2, "%s", why);
			a.splits |= m->rv.avail.splits;
			a.faults |= m->rv.avail.faults;
			a.lock_wait |= m->rv.avail.lock_wait;
			a.dlog |= m->rv.avail.dlog;
			a.dlog_toggle |= m->rv.avail.dlog_toggle;
			a.lock_hold |= m->rv.avail.lock_hold;
			a.fault_latency |= m->rv.avail.fault_latency;
			a.split_mmu |= m->rv.avail.split_mmu;
			a.no_pages |= m->rv.avail.no_pages;
		}
		s->avail = a;
	}
	if (snapshot_fill(s, &m->table, in_frame, m))
		return bad(m, 0, "%s", strerror(ENOMEM));
	return 0;
}

int replay_model_refresh(struct replay_model *m)
{
	return replay_model_index(m, (off_t)1 << 62);
}

int replay_model_goto(struct replay_model *m, int i)
{
	const struct rm_checkpoint *c = NULL;
	unsigned int k;

	if (i < 0 || i >= (int)m->nfr)
		return bad(m, 0, "no frame %d", i + 1);
	for (k = 0; k < m->nck && m->ck[k].frame <= i; k++)
		c = &m->ck[k];
	/* The run's totals line holds every VM's counts itself: the end of a
	 * night without reading the night. */
	if (m->fr[i].total && m->cur < i - 1) {
		if (restore(m, NULL))
			return bad(m, 0, "%s", strerror(ENOMEM));
		m->cur = i - 1;
	}
	/* Forward from where the table is, unless a checkpoint is nearer. */
	else if (i < m->cur || (c && c->frame > m->cur)) {
		if (restore(m, c))
			return bad(m, 0, "%s", strerror(ENOMEM));
	}
	while (m->cur < i) {
		if (apply(m, m->cur + 1))
			return -1;
		m->cur++;
		if (m->cur % (int)m->ck_every == 0 && !have_checkpoint(m, m->cur) && save_checkpoint(m))
			return bad(m, 0, "%s", strerror(ENOMEM));
	}
	if (mark_ended(m, i))
		return -1;
	return fill(m);
}

int replay_model_cost(const struct replay_model *m, int i)
{
	int from = m->cur <= i ? m->cur : -1;
	unsigned int k;

	if (m->fr[i].total)
		return 1;
	for (k = 0; k < m->nck && m->ck[k].frame <= i; k++)
		if (m->ck[k].frame > from)
			from = m->ck[k].frame;
	return i - from;
}

int replay_model_find_enable(const struct replay_model *m, int i, int dir)
{
	for (i += dir; i >= 0 && i < (int)m->nfr; i += dir)
		if (m->fr[i].enable)
			return i;
	return -1;
}

/* Frame i's time on the clock asked, in ms. */
static int64_t frame_ms(const struct replay_model *m, int i, bool by_elapsed)
{
	return rec_ms(by_elapsed ? m->fr[i].elapsed : m->fr[i].time_unix);
}

int replay_model_find_time(const struct replay_model *m, double t, bool by_elapsed)
{
	int64_t want = rec_ms(t);
	int lo = 0, hi = (int)m->nfr;

	/* The first frame past t (frames are in time order). */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (frame_ms(m, mid, by_elapsed) <= want)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == (int)m->nfr)
		return lo - 1;
	/* The one before it if nearer; a tie goes to the later frame, and of
	 * frames at the same millisecond to the last. */
	if (lo > 0 && want - frame_ms(m, lo - 1, by_elapsed) < frame_ms(m, lo, by_elapsed) - want)
		return lo - 1;
	while (lo + 1 < (int)m->nfr && frame_ms(m, lo + 1, by_elapsed) == frame_ms(m, lo, by_elapsed))
		lo++;
	return lo;
}

void replay_model_close(struct replay_model *m)
{
	unsigned int i;

	for (i = 0; i < m->nck; i++)
		free_checkpoint(&m->ck[i]);
	free(m->ck);
	vm_table_free(&m->table);
	snapshot_free(&m->snap);
	rec_vm_free(&m->rv);
	free(m->seen);
	free(m->fr);
	free(m->doc.t);
	free(m->line);
	if (m->f)
		fclose(m->f);
	memset(m, 0, sizeof(*m));
}
