// SPDX-License-Identifier: GPL-2.0-only
#include "view.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "splittop/model/hist.h"
#include "common/text.h"

const char *view_header(enum column c, bool totals)
{
	/* A column without a rate is not in the view at all. */
	if (!metrics[c].rate_header)
		return NULL;
	return totals ? metrics[c].total_header : metrics[c].rate_header;
}

/* The table's columns: the metric table's entries with a header, by
 * position.  Priorities there follow what an operator asks first during a
 * migration: which VM, is it logging, is it splitting, are its vCPUs
 * faulting and waiting. */
unsigned int view_columns(bool totals, enum column out[NR_COLUMNS])
{
	unsigned int n = 0, pos, c;

	for (pos = 0; pos < NR_COLUMNS; pos++)
		for (c = 0; c < NR_COLUMNS; c++)
			if (view_header(c, totals) && metrics[c].view_pos == pos)
				out[n++] = c;
	return n;
}

#define NAME_MAX_WIDTH 24

void view_history_push(struct view_history *h, const double v[NR_VIEW_SERIES])
{
	unsigned int s;

	for (s = 0; s < NR_VIEW_SERIES; s++)
		h->v[s][h->head] = v[s];
	h->head = (h->head + 1) % VIEW_HISTORY;
	if (h->len < VIEW_HISTORY)
		h->len++;
}

double view_history_get(const struct view_history *h, enum view_series s, unsigned int i)
{
	unsigned int oldest = (h->head + VIEW_HISTORY - h->len) % VIEW_HISTORY;

	return h->v[s][(oldest + i) % VIEW_HISTORY];
}

/* Cells of the code point at s (len bytes of valid UTF-8). */
static unsigned int char_width(const unsigned char *s, int len)
{
	wchar_t wc;
	int w;

	if (len == 1)
		wc = s[0];
	else if (len == 2)
		wc = (wchar_t)((s[0] & 0x1f) << 6 | (s[1] & 0x3f));
	else if (len == 3)
		wc = (wchar_t)((s[0] & 0x0f) << 12 | (s[1] & 0x3f) << 6 | (s[2] & 0x3f));
	else
		wc = (wchar_t)((s[0] & 0x07) << 18 | (s[1] & 0x3f) << 12 | (s[2] & 0x3f) << 6 | (s[3] & 0x3f));
	w = wcwidth(wc);
	return w < 0 ? 1 : (unsigned int)w;
}

unsigned int view_text_width(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned int w = 0;

	while (*s) {
		int len = utf8_seq_len(s);

		if (len <= 0)
			len = 1;
		w += len == 1 ? 1 : char_width(s, len);
		s += len;
	}
	return w;
}

size_t view_prefix_bytes(const char *str, unsigned int width)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned int w = 0;
	size_t o = 0;

	while (s[o]) {
		int len = utf8_seq_len(s + o);
		unsigned int cw;

		if (len <= 0)
			len = 1;
		cw = len == 1 ? 1 : char_width(s + o, len);
		if (w + cw > width)
			break;
		o += len;
		w += cw;
	}
	return o;
}

void view_pad(char *buf, size_t n, const char *str, unsigned int width)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned int w = 0;
	size_t o = 0;

	if (!n)
		return;
	while (*s) {
		int len = utf8_seq_len(s);
		unsigned int cw;

		if (len <= 0)
			len = 1;
		cw = len == 1 ? 1 : char_width(s, len);
		/* A wide character that would cross the edge is left out. */
		if (w + cw > width || o + len + 1 > n)
			break;
		memcpy(buf + o, s, len);
		o += len;
		w += cw;
		s += len;
	}
	while (w++ < width && o + 1 < n)
		buf[o++] = ' ';
	buf[o] = '\0';
}

void view_row_build(const struct snap_vm *v, double dt, struct view_row *o)
{
	const struct row *in = &v->row[SCOPE_INTERVAL], *run = &v->row[SCOPE_TOTAL];
	unsigned int c;

	memset(o, 0, sizeof(*o));
	o->vm = v->vm;
	o->pid = v->e->pid;
	o->alive = v->e->alive;
	o->dirty_logging = v->e->gauges.memslots_dirty > 0;
	/* Printable already: names are sanitized where they enter the VM table
	 * (text_sanitize), from a command line or a recording alike. */
	snprintf(o->name, sizeof(o->name), "%s", v->e->name);
	for (c = 0; c < NR_COLUMNS; c++) {
		double scale = metrics[c].unit == U_PPM ? 1e-4 : 1;	/* ppm to percent */

		o->present[c] = in->present[c];
		if (metrics[c].kind == COUNTER)
			o->rate[c] = dt > 0 ? (double)in->v[c] / dt : 0;
		else
			o->rate[c] = (double)in->v[c] * scale;
		o->total[c] = (double)run->v[c] * scale;
	}
}

/* The header's parts.  A part glued to another is one space after it
 * when both are shown (the flags after the name, the time after the day,
 * the kernel after the host); others are two spaces apart. */
enum hdr_part {
	HP_NAME, HP_FLAGS, HP_POSITION, HP_DATE, HP_CLOCK, HP_ELAPSED, HP_NOTE, HP_HOST, HP_KERNEL,
	HP_MMU, HP_EAGER, HP_EVERY, NR_HDR_PARTS
};

struct hdr {
	char full[NR_HDR_PARTS][80], brief[NR_HDR_PARTS][80];
	enum hdr_part glued_to[NR_HDR_PARTS];	/* itself: not glued */
	bool shown[NR_HDR_PARTS], short_on[NR_HDR_PARTS];
};

/* As the width shrinks, the first of these goes first: what tells least
 * about the MMU's work in the frame shown.  The host's domain, the day (the
 * time tells where in a run), the kernel's build (its version stays), the
 * interval (a replay's position and elapsed time say it), the host, the
 * time of day, the kernel, the program's name ("REPLAY" stays), a replay's
 * note, its elapsed time, then "eager_page_split=" is written "eager=".
 * Never left out: the flags ([PAUSED], [PLAY], [TOTALS]), the frame's
 * position, the MMU and eager_page_split; past them the screen cuts. */
static const struct { enum hdr_part part; bool drop; } hdr_steps[] = {
	{ HP_HOST, false }, { HP_DATE, true }, { HP_KERNEL, false }, { HP_EVERY, true },
	{ HP_HOST, true }, { HP_CLOCK, true }, { HP_KERNEL, true }, { HP_NAME, false },
	{ HP_NOTE, true }, { HP_ELAPSED, true }, { HP_EAGER, false },
};

static const enum hdr_part live_order[] = { HP_NAME, HP_FLAGS, HP_KERNEL, HP_MMU, HP_EAGER, HP_EVERY,
					    HP_CLOCK };
static const enum hdr_part replay_order[] = { HP_NAME, HP_FLAGS, HP_POSITION, HP_DATE, HP_CLOCK, HP_ELAPSED,
					      HP_NOTE, HP_HOST, HP_KERNEL, HP_MMU, HP_EAGER, HP_EVERY };

static unsigned int hdr_render(const struct hdr *h, const enum hdr_part *order, unsigned int n, char *buf,
			       size_t size)
{
	enum hdr_part prev = NR_HDR_PARTS;
	unsigned int i;
	size_t o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < size; i++) {
		enum hdr_part p = order[i];
		const char *text = h->short_on[p] ? h->brief[p] : h->full[p];

		if (!h->shown[p] || !*text)
			continue;
		o += snprintf(buf + o, size - o, "%s%s", !o ? "" : h->glued_to[p] == prev ? " " : "  ", text);
		prev = p;
	}
	return view_text_width(buf);
}

/* s up to the first c: a host's first label, a kernel release's version. */
static void up_to(char *dst, size_t n, const char *s, char c)
{
	snprintf(dst, n, "%.*s", (int)strcspn(s, (char[]){ c, 0 }), s);
}

static void hdr_fill(struct hdr *h, const struct view_header *in)
{
	const struct host_info *host = in->host;
	const struct view_where *w = in->where;
	char play[24] = "";
	unsigned int p;

	memset(h, 0, sizeof(*h));
	if (in->replay && !in->paused)
		snprintf(play, sizeof(play), in->speed == 1 ? "[PLAY]" : "[PLAY x%g]", in->speed);
	snprintf(h->full[HP_NAME], sizeof(h->full[0]), in->replay ? "splittop REPLAY" : "splittop");
	snprintf(h->brief[HP_NAME], sizeof(h->brief[0]), in->replay ? "REPLAY" : "");
	snprintf(h->full[HP_FLAGS], sizeof(h->full[0]), "%s%s%s", in->paused ? "[PAUSED]" : play,
		 (in->paused || play[0]) && in->totals ? " " : "", in->totals ? "[TOTALS]" : "");
	if (in->replay && w) {
		snprintf(h->full[HP_POSITION], sizeof(h->full[0]), "%s", w->position);
		snprintf(h->full[HP_DATE], sizeof(h->full[0]), "%s", w->date);
		snprintf(h->full[HP_ELAPSED], sizeof(h->full[0]), "%s", w->elapsed);
		snprintf(h->full[HP_NOTE], sizeof(h->full[0]), "%s", w->note);
	}
	/* The host of a recording: the live view runs on it. */
	if (in->replay) {
		snprintf(h->full[HP_HOST], sizeof(h->full[0]), "%s", host->hostname);
		up_to(h->brief[HP_HOST], sizeof(h->brief[0]), host->hostname, '.');
	}
	snprintf(h->full[HP_CLOCK], sizeof(h->full[0]), "%s",
		 in->replay ? (w ? w->clock : "") : in->clock ? in->clock : "");
	snprintf(h->full[HP_KERNEL], sizeof(h->full[0]), "%s", host->kernel);
	up_to(h->brief[HP_KERNEL], sizeof(h->brief[0]), host->kernel, '-');
	snprintf(h->full[HP_MMU], sizeof(h->full[0]), "%s MMU", host_mmu_name(host->mmu));
	snprintf(h->full[HP_EAGER], sizeof(h->full[0]), "eager_page_split=%s", host->eager_split);
	snprintf(h->brief[HP_EAGER], sizeof(h->brief[0]), "eager=%s", host->eager_split);
	snprintf(h->full[HP_EVERY], sizeof(h->full[0]), "every %s", in->every);
	for (p = 0; p < NR_HDR_PARTS; p++) {
		h->shown[p] = true;
		h->glued_to[p] = p;
	}
	h->glued_to[HP_FLAGS] = HP_NAME;
	h->glued_to[HP_CLOCK] = HP_DATE;
	h->glued_to[HP_KERNEL] = HP_HOST;
}

void view_header_line(char *buf, size_t n, const struct view_header *in, unsigned int width)
{
	const enum hdr_part *order = in->replay ? replay_order : live_order;
	unsigned int nparts = in->replay ? sizeof(replay_order) / sizeof(replay_order[0])
					 : sizeof(live_order) / sizeof(live_order[0]);
	struct hdr h;
	unsigned int i;

	if (!n)
		return;
	hdr_fill(&h, in);
	for (i = 0; hdr_render(&h, order, nparts, buf, n) > width && i < sizeof(hdr_steps) / sizeof(hdr_steps[0]);
	     i++) {
		if (hdr_steps[i].drop)
			h.shown[hdr_steps[i].part] = false;
		else
			h.short_on[hdr_steps[i].part] = true;
	}
}

void fmt_count(char *buf, size_t n, double v)
{
	static const char unit[] = "kMGTP";
	unsigned int u = 0;

	if (v < 0)
		v = 0;
	if (v < 10 && v != (double)(uint64_t)v) {
		snprintf(buf, n, "%.1f", v);
		return;
	}
	if (v < 10000) {
		snprintf(buf, n, "%.0f", v);
		return;
	}
	v /= 1000;
	while (v >= 999.5 && u < sizeof(unit) - 2) {
		v /= 1000;
		u++;
	}
	if (v >= 999.5)
		snprintf(buf, n, ">999%c", unit[u]);
	else if (v < 9.995)
		snprintf(buf, n, "%.2f%c", v, unit[u]);
	else if (v < 99.95)
		snprintf(buf, n, "%.1f%c", v, unit[u]);
	else
		snprintf(buf, n, "%.0f%c", v, unit[u]);
}

void fmt_ns(char *buf, size_t n, double ns)
{
	static const char *const unit[] = { "ns", "us", "ms", "s" };
	unsigned int u = 0;

	if (ns <= 0) {
		snprintf(buf, n, "0");
		return;
	}
	while (ns >= 999.5 && u < 3) {
		ns /= 1000;
		u++;
	}
	if (u == 0 || ns >= 99.95)
		snprintf(buf, n, "%.0f%s", ns, unit[u]);
	else if (ns >= 9.995)
		snprintf(buf, n, "%.1f%s", ns, unit[u]);
	else
		snprintf(buf, n, "%.2f%s", ns, unit[u]);
}

void fmt_mib(char *buf, size_t n, double mib)
{
	double gib = mib / 1024;

	if (mib < 1024)
		snprintf(buf, n, "%.0fM", mib);
	else if (gib < 9.95 && gib != (double)(uint64_t)gib)
		snprintf(buf, n, "%.1fG", gib);
	else if (gib < 10240)
		snprintf(buf, n, "%.0fG", gib);
	else
		snprintf(buf, n, "%.0fT", gib / 1024);
}

/* A migration's convergence in the view's words (U_CONV). */
static void fmt_conv(char *buf, size_t n, double v)
{
	if (v < 1)
		snprintf(buf, n, "NO");
	else if (v < 2)
		snprintf(buf, n, "fits");
	else
		snprintf(buf, n, "%.0f rnd", v - 1);
}

void view_cell(char *buf, size_t n, const struct view_row *r, enum column c, bool totals,
	       unsigned int width)
{
	double v = totals ? r->total[c] : r->rate[c];
	char s[32];

	if (metrics[c].unit == U_NAME) {
		view_pad(buf, n, r->name, width);
		return;
	}
	if (!r->present[c]) {
		snprintf(s, sizeof(s), "-");
	} else {
		switch (metrics[c].unit) {
		case U_PLAIN:
			snprintf(s, sizeof(s), "%.0f", v);
			break;
		case U_MIB:
			fmt_mib(s, sizeof(s), v);
			break;
		case U_BOOL:
			snprintf(s, sizeof(s), "%s", v ? "on" : "off");
			break;
		case U_NS:
			fmt_ns(s, sizeof(s), v);
			break;
		case U_PPM:
			snprintf(s, sizeof(s), "%.0f%%", v);
			break;
		case U_BYTES_S:
			fmt_mib(s, sizeof(s), v / (1 << 20));
			break;
		case U_CONV:
			fmt_conv(s, sizeof(s), v);
			break;
		default:
			fmt_count(s, sizeof(s), v);
			break;
		}
	}
	snprintf(buf, n, "%*.*s", (int)width, (int)width, s);
}

unsigned int view_fit(unsigned int width, bool totals, bool on[NR_COLUMNS])
{
	unsigned int used, p, c, name;

	memset(on, 0, sizeof(bool) * NR_COLUMNS);
	on[COL_NAME] = true;
	if (width <= metrics[COL_NAME].width)
		return width;
	used = metrics[COL_NAME].width;
	/* Add columns by priority; stop at the first that does not fit, so a
	 * column is never shown while a more important one is hidden. */
	for (p = 1; p < NR_COLUMNS; p++) {
		for (c = 0; c < NR_COLUMNS; c++)
			if (view_header(c, totals) && metrics[c].priority == p)
				break;
		if (c == NR_COLUMNS)
			continue;
		if (used + 1 + metrics[c].width > width)
			break;
		on[c] = true;
		used += 1 + metrics[c].width;
	}
	name = metrics[COL_NAME].width + (width - used);
	return name > NAME_MAX_WIDTH ? NAME_MAX_WIDTH : name;
}

struct sort_key {
	enum column by;
	bool totals, reverse;
};

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct view_row *a = pa, *b = pb;
	const struct sort_key *k = arg;
	int r = 0;

	if (k->by != COL_NAME) {
		double va = !a->present[k->by] ? -1 : k->totals ? a->total[k->by] : a->rate[k->by];
		double vb = !b->present[k->by] ? -1 : k->totals ? b->total[k->by] : b->rate[k->by];

		r = va < vb ? 1 : va > vb ? -1 : 0;	/* largest first */
	}
	if (!r)
		r = strcmp(a->name, b->name);
	if (!r)
		r = a->pid < b->pid ? -1 : a->pid > b->pid;
	if (!r)
		r = a->vm < b->vm ? -1 : a->vm > b->vm;
	return k->reverse ? -r : r;
}

void view_sort(struct view_row *rows, unsigned int n, enum column by, bool totals, bool reverse)
{
	struct sort_key k = { by, totals, reverse };

	qsort_r(rows, n, sizeof(*rows), cmp_rows, &k);
}

bool view_match(const struct view_row *r, const char *filter)
{
	char pid[16];

	if (!filter || !*filter)
		return true;
	snprintf(pid, sizeof(pid), "%u", r->pid);
	return !strcmp(pid, filter) || strcasestr(r->name, filter);
}

void view_edit_start(struct view_edit *e, const char *text)
{
	snprintf(e->text, sizeof(e->text), "%s", text);
	e->cur = strlen(e->text);
	e->selected = e->cur > 0;
}

/* The start of the character before (dir < 0) or after the cursor. */
static size_t edit_step(const struct view_edit *e, int dir)
{
	size_t at = e->cur;

	if (dir < 0) {
		while (at > 0 && ((unsigned char)e->text[--at] & 0xc0) == 0x80)
			;
		return at;
	}
	if (e->text[at])
		at++;
	while (e->text[at] && ((unsigned char)e->text[at] & 0xc0) == 0x80)
		at++;
	return at;
}

static void edit_insert(struct view_edit *e, int ch)
{
	size_t len = strlen(e->text);

	if (len + 1 >= sizeof(e->text))
		return;
	memmove(e->text + e->cur + 1, e->text + e->cur, len - e->cur + 1);
	e->text[e->cur++] = (char)ch;
}

void view_edit_key(struct view_edit *e, enum key_action a, int ch)
{
	size_t to;

	/* Control bytes, DEL and other keys (F1, a resize) are never text. */
	if (a == KA_NONE && (ch < 0x20 || ch >= 0x100 || ch == 0x7f))
		return;
	/* Typing replaces the selected text; an editing key keeps it. */
	if (e->selected && a == KA_NONE) {
		e->text[0] = '\0';
		e->cur = 0;
	}
	e->selected = false;
	switch (a) {
	case KA_NONE:
		edit_insert(e, ch);
		break;
	case KA_EDIT_BACKSPACE:
	case KA_EDIT_DELETE:
		to = a == KA_EDIT_DELETE ? edit_step(e, 1) : e->cur;
		if (a == KA_EDIT_BACKSPACE)
			e->cur = edit_step(e, -1);
		memmove(e->text + e->cur, e->text + to, strlen(e->text + to) + 1);
		break;
	case KA_EDIT_LEFT:
	case KA_EDIT_RIGHT:
		e->cur = edit_step(e, a == KA_EDIT_LEFT ? -1 : 1);
		break;
	case KA_EDIT_HOME:
		e->cur = 0;
		break;
	case KA_EDIT_END:
		e->cur = strlen(e->text);
		break;
	case KA_EDIT_CLEAR:
		e->text[0] = '\0';
		e->cur = 0;
		break;
	default:
		break;
	}
}

double view_sparkline(char *buf, size_t bufsz, const double *v, unsigned int n, bool utf8)
{
	static const char *const blocks[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[8] = { '.', ',', '-', '~', '=', '+', '*', '#' };
	double max = 0;
	unsigned int i;
	size_t o = 0;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (i = 0; i < n; i++) {
		int level = -1;
		const char *s;
		char one[2] = { 0 };

		if (v[i] > 0 && max > 0) {
			level = (int)(v[i] / max * 8 + 0.999999) - 1;
			if (level < 0)
				level = 0;
			if (level > 7)
				level = 7;
		}
		if (level < 0) {
			s = " ";
		} else if (utf8) {
			s = blocks[level];
		} else {
			one[0] = ascii[level];
			s = one;
		}
		if (o + strlen(s) + 1 > bufsz)
			break;
		memcpy(buf + o, s, strlen(s));
		o += strlen(s);
	}
	if (bufsz)
		buf[o] = '\0';
	return max;
}

/* Detail pane text. */

static int add(struct view_lines *l, enum view_style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add(struct view_lines *l, enum view_style st, const char *fmt, ...)
{
	va_list ap;

	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 64;
		struct view_line *nl = realloc(l->line, cap * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		l->line = nl;
		l->cap = cap;
	}
	l->line[l->n].style = st;
	va_start(ap, fmt);
	vsnprintf(l->line[l->n].text, sizeof(l->line[l->n].text), fmt, ap);
	va_end(ap);
	l->n++;
	return 0;
}

/* Where a line of text breaks to fit room cells: at the last space that
 * fits, else after the last comma or slash (a source's list of probes has
 * no space), else where the cells run out.  Returns the bytes kept on this
 * line. */
static size_t wrap_cut(const char *p, unsigned int room)
{
	size_t fit = view_prefix_bytes(p, room), cut;

	if (!p[fit])
		return fit;
	for (cut = fit; cut > 0 && p[cut] != ' '; cut--)
		;
	if (!cut)
		for (cut = fit; cut > 0 && p[cut - 1] != ',' && p[cut - 1] != '/'; cut--)
			;
	return cut ? cut : fit ? fit : 1;
}

/* lead then text, broken into lines of at most width cells; the lines
 * after the first start with indent spaces. */
static int add_wrapped_at(struct view_lines *l, enum view_style st, const char *lead, unsigned int indent,
			  const char *text, unsigned int width)
{
	unsigned int lead_w = view_text_width(lead), room;
	const char *p = text;
	int err = 0;
	bool first = true;

	/* Too narrow to wrap usefully: the screen cuts what does not fit. */
	if (width < lead_w + 10 || width < indent + 10)
		return add(l, st, "%s%s", lead, text);
	while (!err && (*p || first)) {
		size_t cut;

		room = first ? width - lead_w : width - indent;
		cut = wrap_cut(p, room);
		err = add(l, st, "%*s%s%.*s", first ? 0 : (int)indent, "", first ? lead : "", (int)cut, p);
		first = false;
		p += cut;
		while (*p == ' ')
			p++;
	}
	return err;
}

/* prefix then text, as one run of words; continuation lines indented. */
static int add_wrapped(struct view_lines *l, enum view_style st, const char *prefix,
		       const char *text, unsigned int width)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", prefix, text);
	return add_wrapped_at(l, st, "", 4, buf, width < 20 ? 20 : width);
}

#define SOURCE_NAME_MAX 24

int view_sources(const struct metric_source *src, unsigned int n, unsigned int width,
		 struct view_lines *out)
{
	unsigned int i, namew = 0;
	char lead[SOURCE_NAME_MAX + 2];
	int err;

	/* The names' column fits the longest one, so the texts line up. */
	for (i = 0; i < n; i++)
		if (view_text_width(src[i].metric) > namew)
			namew = view_text_width(src[i].metric);
	if (namew > SOURCE_NAME_MAX)
		namew = SOURCE_NAME_MAX;
	err = add(out, VS_TITLE, "Where each metric comes from on this kernel");
	err = err ?: add(out, VS_TEXT, "%s", "");
	for (i = 0; i < n && !err; i++) {
		view_pad(lead, sizeof(lead) - 1, src[i].metric, namew);
		strcat(lead, " ");
		err = add_wrapped_at(out, src[i].source ? VS_TEXT : VS_WARN, lead, namew + 1,
				     src[i].source ? src[i].source : src[i].why, width);
	}
	return err;
}

void view_lines_free(struct view_lines *l)
{
	free(l->line);
	*l = (struct view_lines){ 0 };
}

static const char *const dlog_label[DLOG_OPS] = { "enable", "disable", "get", "clear",
						   "ring reset" };

static int detail_history(const struct detail_input *in, struct view_lines *l)
{
	static const char *const label[NR_VIEW_SERIES] = { "splits/s", "faults/s", "pages_2m" };
	const struct view_history *h = in->hist;
	unsigned int n = h ? h->len : 0, w, s, i, first = 0;
	double v[VIEW_HISTORY];
	char spark[VIEW_HISTORY * 3 + 1], padded[VIEW_HISTORY * 3 + 320], now[16], max[16];
	int err;

	/* Room for the label (12) and the two numbers (16). */
	w = in->width > 30 ? in->width - 30 : 1;
	if (n > w)
		first = n - w;
	err = add(l, VS_HEAD, "Last %u intervals (oldest left)%*s%8s %8s", n - first,
		  (int)(w > 18 ? w - 18 : 1), "", "now", "max");
	for (s = 0; s < NR_VIEW_SERIES && !err; s++) {
		double m;

		for (i = first; i < n; i++)
			v[i - first] = view_history_get(h, s, i);
		m = view_sparkline(spark, sizeof(spark), v, n - first, in->utf8);
		fmt_count(now, sizeof(now), n ? v[n - first - 1] : 0);
		fmt_count(max, sizeof(max), m);
		/* Padded by cells: block characters take 3 bytes each. */
		view_pad(padded, sizeof(padded), spark, w);
		err = add(l, VS_TEXT, "  %-10s%s %8s %8s", label[s], padded, now, max);
	}
	return err;
}

/* A count as a rate over dt, or exactly when totals are shown. */
static void fmt_fault(char *buf, size_t n, uint64_t v, const struct detail_input *in)
{
	/* Exact while it fits the column's 10 digits. */
	if (in->totals && v < 10000000000ULL)
		snprintf(buf, n, "%" PRIu64, v);
	else if (in->totals)
		fmt_count(buf, n, (double)v);
	else
		fmt_count(buf, n, in->dt > 0 ? (double)v / in->dt : 0);
}

static int detail_faults(const struct detail_input *in, const struct vm_counters *d,
			 struct view_lines *l)
{
	const struct vm_counters *c = in->totals ? &in->e->now : d;
	const struct vcpu_counts *rows = in->totals ? in->e->vcpus.now : in->vdelta;
	unsigned int v, k, nv = in->e->gauges.vcpus, nrows = in->e->vcpus.n;
	static const __u64 none[FAULT_CLASSES];
	char cell[FAULT_CLASSES + 1][24], label[16];
	uint64_t tot;
	int err;

	err = add(l, VS_HEAD, "%-18s %10s %10s %10s %10s %10s",
		  in->totals ? "Faults since start" : "Faults per second", "huge_wp", "nonpresent",
		  "4k_wp", "other", "all");
	if (!in->avail->faults)
		return err ?: add(l, VS_DIM, "  unavailable on this kernel (see --list-sources)");
	/* A row for every online vCPU, zeros for one with no row yet (no slot,
	 * or nothing counted), as JSON and OpenMetrics write it: what a replay
	 * of the JSON shows too. */
	for (v = 0; v <= (nrows > nv ? nrows : nv) && !err; v++) {
		const __u64 *f = v == 0 ? c->faults : v <= nrows ? rows[v - 1].faults : none;
		bool any;

		if (v > 0) {
			for (any = false, k = 0; k < FAULT_CLASSES; k++)
				any |= f[k] != 0;
			if (v - 1 >= nv && !any)
				continue;
			snprintf(label, sizeof(label), "vCPU %u", v - 1);
		} else {
			snprintf(label, sizeof(label), "all vCPUs");
		}
		for (tot = 0, k = 0; k < FAULT_CLASSES; k++) {
			fmt_fault(cell[k], sizeof(cell[k]), f[k], in);
			tot += f[k];
		}
		fmt_fault(cell[FAULT_CLASSES], sizeof(cell[0]), tot, in);
		err = add(l, VS_TEXT, "  %-16s %10s %10s %10s %10s %10s", label, cell[0], cell[1],
			  cell[2], cell[3], cell[4]);
	}
	return err;
}

static int detail_splits(const struct detail_input *in, struct view_lines *l)
{
	const struct vm_counters *n = &in->e->now;
	static const char *const size[SPLIT_SIZES] = { "2M", "1G" };
	unsigned int s, i;
	char buf[256];
	size_t o = 0;
	int err;

	err = add(l, VS_HEAD, "Splits since start %10s %10s %10s", "eager", "by fault", "demoted");
	if (!in->avail->splits)
		return err ?: add(l, VS_DIM, "  unavailable on this kernel (see --list-sources)");
	for (s = 0; s < SPLIT_SIZES && !err; s++)
		err = add(l, VS_TEXT, "  %-16s %10" PRIc " %10" PRIc " %10" PRIc, size[s],
			  n->vm.splits[s][CAUSE_EAGER], n->vm.splits[s][CAUSE_FAULT], n->demotions[s]);
	/* Which MMU split eagerly: the shadow MMU's are nested guests' mappings. */
	if (!err && in->avail->split_mmu)
		err = add(l, VS_TEXT, "  eager, by MMU: shadow %" PRIc ", TDP %" PRIc,
			  n->vm.splits_mmu[MMU_SHADOW], n->vm.splits_mmu[MMU_TDP]);
	if (err)
		return err;
	if (!n->vm.split_errors)
		return add(l, VS_TEXT, "  failed splits: 0");
	/* Bucket 0 holds the errnos too large for a bucket of their own. */
	for (i = 1; i <= ST_SPLIT_ERRNOS; i++) {
		unsigned int b = i % ST_SPLIT_ERRNOS;
		const char *name = b ? strerrorname_np(b) : NULL;

		if (!n->vm.split_errno[b])
			continue;
		/* Where the errno says which MMU failed. */
		if (b)
			o += snprintf(buf + o, sizeof(buf) - o, " %s %" PRIc "%s",
				      name ? name : "errno", n->vm.split_errno[b],
				      b == EAGAIN || b == ENOSPC ? " (shadow MMU)" : b == EBUSY ? " (TDP MMU)" : "");
		else
			o += snprintf(buf + o, sizeof(buf) - o, " errno>=%u %" PRIc,
				      ST_SPLIT_ERRNOS, n->vm.split_errno[b]);
		if (o >= sizeof(buf))
			break;
	}
	buf[sizeof(buf) - 1] = '\0';
	return add(l, VS_WARN, "  failed splits: %" PRIc ":%s", n->vm.split_errors, o ? buf : "");
}

/* A log2(ns) histogram, one line per bucket from the first to the last
 * non-empty one, bars scaled to the largest. */
static int detail_hist(const struct detail_input *in, const __u64 *h, struct view_lines *l)
{
	unsigned int b, lo = ST_HIST_BUCKETS, hi = 0, barw;
	char from[16], to[16], bar[64];
	uint64_t hmax = 0;
	int err = 0;

	for (b = 0; b < ST_HIST_BUCKETS; b++) {
		if (!h[b])
			continue;
		if (b < lo)
			lo = b;
		hi = b;
		if (h[b] > hmax)
			hmax = h[b];
	}
	barw = in->width > 50 ? in->width - 40 : 10;
	if (barw > sizeof(bar) - 1)
		barw = sizeof(bar) - 1;
	for (b = lo; b <= hi && b < ST_HIST_BUCKETS && !err; b++) {
		unsigned int len = (unsigned int)((double)h[b] / (double)hmax * barw + 0.5);

		if (h[b] && !len)
			len = 1;
		memset(bar, '#', len);
		bar[len] = '\0';
		fmt_ns(from, sizeof(from), b ? (double)(1ULL << b) : 0);
		fmt_ns(to, sizeof(to), (double)(2ULL << b));
		err = add(l, VS_TEXT, "  %7s .. %-7s %10" PRIc " |%s", from, to, h[b], bar);
	}
	return err;
}

static int detail_holds(const struct detail_input *in, struct view_lines *l)
{
	static const char *const holder[LOCK_HOLDERS] = { "vCPU faults", "memslot (enable)",
							  "dirty log get/clear", "zap/other" };
	static const char *const mode[MMU_LOCK_MODES] = { "read", "write" };
	const struct vm_counters *n = &in->e->now;
	char ns[16], mx[16], p99[16];
	unsigned int m, h;
	int err;

	err = add(l, VS_HEAD, "mmu_lock holds since start %8s %10s", "count", "held");
	for (m = 0; m < MMU_LOCK_MODES && !err; m++) {
		for (h = 0; h < LOCK_HOLDERS && !err; h++) {
			if (!n->vm.hold_count[m][h])
				continue;
			fmt_ns(ns, sizeof(ns), (double)n->vm.hold_ns[m][h]);
			err = add(l, VS_TEXT, "  %-5s %-20s %8" PRIc " %10s", mode[m], holder[h],
				  n->vm.hold_count[m][h], ns);
		}
	}
	for (m = 0; m < MMU_LOCK_MODES && !err; m++) {
		fmt_ns(mx, sizeof(mx), (double)in->e->hold_max_run_ns[m]);
		fmt_ns(p99, sizeof(p99), (double)hist_quantile_ns(n->vm.hold_hist[m], ST_HIST_BUCKETS, 0.99));
		err = add(l, VS_TEXT, "  %s holds: p99 <=%s  max %s", mode[m], p99, mx);
		err = err ?: detail_hist(in, n->vm.hold_hist[m], l);
	}
	return err;
}

static int detail_latency(const struct detail_input *in, struct view_lines *l)
{
	const struct vm_counters *n = &in->e->now;
	char p50[16], p99[16], mean[16];
	int err;

	fmt_ns(p50, sizeof(p50), (double)hist_quantile_ns(n->vm.fault_lat_hist, ST_HIST_BUCKETS, 0.5));
	fmt_ns(p99, sizeof(p99), (double)hist_quantile_ns(n->vm.fault_lat_hist, ST_HIST_BUCKETS, 0.99));
	fmt_ns(mean, sizeof(mean), n->vm.fault_lat_count ? (double)n->vm.fault_lat_ns / (double)n->vm.fault_lat_count : 0);
	err = add(l, VS_HEAD, "KVM page fault latency since start");
	err = err ?: add(l, VS_TEXT, "  %" PRIc " faults, mean %s, p50 <=%s, p99 <=%s", n->vm.fault_lat_count,
			 mean, p50, p99);
	return err ?: detail_hist(in, n->vm.fault_lat_hist, l);
}

static int detail_lock(const struct detail_input *in, struct view_lines *l)
{
	const struct vm_counters *n = &in->e->now;
	const __u64 *h = n->vm.lock_wait_hist;
	uint64_t waits;
	char p50[16], p99[16], tot[16], mx[16];
	int err;

	if (!in->avail->lock_wait)
		return add(l, VS_HEAD, "mmu_lock waits: unavailable on this kernel (see --list-sources)");
	waits = n->vm.lock_waits[MMU_LOCK_READ] + n->vm.lock_waits[MMU_LOCK_WRITE];
	fmt_ns(tot, sizeof(tot), (double)(n->vm.lock_wait_ns[MMU_LOCK_READ] + n->vm.lock_wait_ns[MMU_LOCK_WRITE]));
	fmt_ns(p50, sizeof(p50), (double)hist_quantile_ns(h, ST_HIST_BUCKETS, 0.5));
	fmt_ns(p99, sizeof(p99), (double)hist_quantile_ns(h, ST_HIST_BUCKETS, 0.99));
	fmt_ns(mx, sizeof(mx), (double)in->e->lock_wait_max_run_ns);
	err = add(l, VS_HEAD, "mmu_lock waits since start");
	err = err ?: add(l, VS_TEXT, "  %" PRIu64 " waits (read %" PRIc ", write %" PRIc "), %s in all",
			 waits, n->vm.lock_waits[MMU_LOCK_READ], n->vm.lock_waits[MMU_LOCK_WRITE], tot);
	err = err ?: add(l, VS_TEXT, "  p50 <=%s  p99 <=%s  max %s", p50, p99, mx);
	/* The bound measured on this project's host (docs/sources.md): a few
	 * long waits make most of the time, and a sample misses or catches them. */
	if (!err && in->wait_sampled) {
		char why[192];

		snprintf(why, sizeof(why), "1 wait in %u timed; one short run's total was -30%% to +21%% off "
			 "the exact time (docs/sources.md); --exact-waits times each", in->wait_sampled);
		err = add_wrapped(l, VS_DIM, "  an estimate: ", why, in->width);
	}
	err = err ?: detail_hist(in, h, l);
	if (!err && in->hold_why)
		err = add_wrapped(l, VS_DIM, "mmu_lock hold time: unavailable: ", in->hold_why, in->width);
	else if (!err)
		err = detail_holds(in, l);
	if (!err && in->latency_why)
		err = add_wrapped(l, VS_DIM, "fault latency: unavailable: ", in->latency_why, in->width);
	else if (!err)
		err = detail_latency(in, l);
	return err;
}

/* KVM's 2M mappings around the latest enable and disable: what a
 * migration split, and what stopping it gave back (rebuilt in place from
 * 6.13, or zapped to be faulted in again). */
static int detail_dlog_pages(const struct detail_input *in, struct view_lines *l)
{
	const struct vm_counters *n = &in->e->now;
	const uint64_t (*p)[2] = in->e->gauges.dlog_last_pages_2m;
	char on[48] = "", off[48] = "";

	if (!in->avail->dlog_toggle)
		return 0;
	if (n->vm.dlog_count[DLOG_ENABLE] && p[DLOG_ENABLE][0] != PAGES_UNKNOWN)
		snprintf(on, sizeof(on), "enable %" PRIu64 " -> %" PRIu64, p[DLOG_ENABLE][0], p[DLOG_ENABLE][1]);
	if (n->vm.dlog_count[DLOG_DISABLE] && p[DLOG_DISABLE][0] != PAGES_UNKNOWN)
		snprintf(off, sizeof(off), "disable %" PRIu64 " -> %" PRIu64, p[DLOG_DISABLE][0], p[DLOG_DISABLE][1]);
	if (!on[0] && !off[0])
		return 0;
	return add(l, VS_TEXT, "  pages_2m at the latest %s%s%s", on, on[0] && off[0] ? ", " : "", off);
}

static int detail_dlog(const struct detail_input *in, struct view_lines *l)
{
	const struct vm_counters *n = &in->e->now;
	const struct vm_gauges *g = &in->e->gauges;
	char last[16], mean[16];
	unsigned int op;
	int err;

	err = add(l, VS_HEAD, "Dirty-log operations %7s %9s %9s %14s %12s", "count", "last", "mean",
		  "splits (last)", "splits (all)");
	if (!in->avail->dlog)
		return err ?: add(l, VS_DIM, "  unavailable on this kernel (see --list-sources)");
	for (op = 0; op < DLOG_OPS && !err; op++) {
		/* Only a VMM that uses the dirty ring resets it. */
		if (op == DLOG_RESET && !n->vm.dlog_count[op])
			continue;
		if ((op == DLOG_ENABLE || op == DLOG_DISABLE) && !in->avail->dlog_toggle) {
			err = add(l, VS_DIM, "  %-18s unavailable on this kernel", dlog_label[op]);
			continue;
		}
		fmt_ns(last, sizeof(last), n->vm.dlog_count[op] ? (double)g->dlog_last_ns[op] : 0);
		fmt_ns(mean, sizeof(mean), n->vm.dlog_count[op] ?
		       (double)n->vm.dlog_ns[op] / (double)n->vm.dlog_count[op] : 0);
		err = add(l, VS_TEXT, "  %-18s %7" PRIc " %9s %9s %14" PRIu64 " %12" PRIc,
			  dlog_label[op], n->vm.dlog_count[op], n->vm.dlog_count[op] ? last : "-",
			  n->vm.dlog_count[op] ? mean : "-", g->dlog_last_splits[op], n->vm.dlog_splits[op]);
	}
	return err ?: detail_dlog_pages(in, l);
}

static const char *severity_word(enum finding_severity s)
{
	return s == FINDING_INFO ? "info" : s == FINDING_WARN ? "WARNING" : "CRITICAL";
}

/* What the VM's counts say to change (model/findings.c), first, one line
 * each: the answer before the evidence, which detail_findings_full gives
 * at the end of the pane. */
static int detail_findings(const struct detail_input *in, struct view_lines *l)
{
	const struct findings *f = &in->ins->found;
	unsigned int i;
	int err = 0;

	for (i = 0; i < f->n && !err; i++) {
		const struct finding_def *d = &finding_defs[f->f[i].id];
		char lead[64];

		snprintf(lead, sizeof(lead), "%s %s -> ", severity_word(d->severity), d->name);
		err = add_wrapped_at(l, d->severity == FINDING_INFO ? VS_TEXT : VS_WARN, lead, 4, d->setting,
				     in->width);
	}
	return err || !f->n ? err : add(l, VS_TEXT, "%s", "");
}

/* Each finding in full: its evidence and its source. */
static int detail_findings_full(const struct detail_input *in, struct view_lines *l)
{
	const struct findings *f = &in->ins->found;
	unsigned int i;
	int err = 0;

	if (!f->n)
		return 0;
	err = add(l, VS_TEXT, "%s", "");
	err = err ?: add(l, VS_HEAD, "Findings");
	for (i = 0; i < f->n && !err; i++) {
		const struct finding_def *d = &finding_defs[f->f[i].id];
		char lead[48];

		snprintf(lead, sizeof(lead), "  %s %s: ", severity_word(d->severity), d->name);
		err = add_wrapped_at(l, d->severity == FINDING_INFO ? VS_TEXT : VS_WARN, lead, 4, f->f[i].msg,
				     in->width);
		err = err ?: add_wrapped_at(l, VS_DIM, "    source: ", 4, d->source, in->width);
	}
	return err;
}

/* The verdict on the latest migration, in words. */
static void conv_words(char *buf, size_t n, const struct converge *c)
{
	char left[16];

	switch (c->state) {
	case CONV_FITS:
		snprintf(buf, n, "the dirty set fits the downtime budget");
		break;
	case CONV_CONVERGING:
		fmt_ns(left, sizeof(left), c->seconds_left * 1e9);
		snprintf(buf, n, "converging: %u rounds (~%s) to fit the downtime budget", c->rounds_left, left);
		break;
	case CONV_NOT_CONVERGING:
		snprintf(buf, n, "NOT converging: each dirty set %.2fx the one before", c->trend);
		break;
	default:
		snprintf(buf, n, "convergence unknown (%s)", converge_why_name(c->why));
		break;
	}
}

static void fmt_rate(char *buf, size_t n, double bytes_s)
{
	if (bytes_s < 0)
		snprintf(buf, n, "-");
	else
		fmt_mib(buf, n, bytes_s / (1 << 20));
}

#define DETAIL_ROUNDS	8	/* the latest rounds the pane lists */

static int detail_round_rows(const struct detail_input *in, struct view_lines *l)
{
	const struct vm_rounds *rr = &in->e->rounds;
	uint64_t k = rr->taken > DETAIL_ROUNDS ? rr->taken - DETAIL_ROUNDS : 0;
	int err = add(l, VS_HEAD, "  %5s %9s %9s %9s %8s %7s %7s %7s %7s", "round", "length", "dirty", "rate/s",
		      "HWP", "NP", "4KWP", "splits", "lost");

	for (; k < rr->taken && !err; k++) {
		const struct round_rec *r = vm_round(rr, k);
		uint64_t dur = r ? round_duration_ns(r) : 0;
		char len[16], dirty[16], rate[16], lost[16];
		struct lost_time lt;

		if (!r || r->migration != in->ins->migration)
			continue;
		fmt_ns(len, sizeof(len), (double)dur);
		fmt_mib(dirty, sizeof(dirty), (double)r->dirty_pages / 256);
		fmt_rate(rate, sizeof(rate), dur ? (double)r->dirty_pages * CONV_PAGE_SIZE * 1e9 / (double)dur : -1);
		round_lost_time(r, in->e->gauges.vcpus, in->avail->lock_wait, &lt);
		snprintf(lost, sizeof(lost), lt.share < 0 ? "-" : "%s%.1f%%",
			 lt.kind == LOST_WAIT_BOUND ? ">" : "", lt.share * 100);
		err = add(l, VS_TEXT, "  %5u %9s %9s %9s %8" PRIc " %7" PRIc " %7" PRIc " %7" PRIc " %7s",
			  r->round, dur ? len : "-", dirty, rate, r->c.faults[FAULT_HUGE_WP],
			  r->c.faults[FAULT_NONPRESENT], r->c.faults[FAULT_4K_WP], r->c.splits, lost);
	}
	return err;
}

/* The latest migration: its verdict, rates, lost time, and its rounds. */
static int detail_migration(const struct detail_input *in, struct view_lines *l)
{
	const struct vm_insight *ins = in->ins;
	const struct converge *c = &ins->conv;
	char words[96], dirty[16], copy[16];
	int err;

	if (!in->avail->dlog || !ins->nrounds)
		return 0;
	conv_words(words, sizeof(words), c);
	fmt_rate(dirty, sizeof(dirty), c->dirty_rate);
	fmt_rate(copy, sizeof(copy), c->copy_rate);
	err = add(l, VS_HEAD, "Migration %u, round %u: %s", ins->migration, c->round, words);
	err = err ?: add(l, c->state == CONV_NOT_CONVERGING ? VS_WARN : VS_TEXT,
			 "  dirty %s/s  copy ~%s/s (inferred)  lost %s%.1f%% of vCPU time in its rounds (%s)", dirty, copy,
			 ins->lost_all.kind == LOST_WAIT_BOUND ? ">=" : "", ins->lost_all.share < 0 ? 0 :
			 ins->lost_all.share * 100, lost_kind_name(ins->lost_all.kind));
	return err ?: add(l, VS_TEXT, "%s", "");
}

/* The latest migration's rounds, near the end: the evidence of its verdict. */
static int detail_rounds(const struct detail_input *in, struct view_lines *l)
{
	int err;

	if (!in->avail->dlog || !in->ins->nrounds)
		return 0;
	err = add(l, VS_TEXT, "%s", "");
	err = err ?: add(l, VS_HEAD, "Rounds of migration %u (the latest %u)", in->ins->migration, DETAIL_ROUNDS);
	return err ?: detail_round_rows(in, l);
}

/* "  uuid U  domain D ...": the identities the VM has, by their labels. */
static void fmt_idents(char *buf, size_t n, const struct vm_ident *id)
{
	size_t o = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < NR_VM_IDENTS && o < n; i++) {
		int k;

		if (!vm_ident_has(id, i))
			continue;
		k = snprintf(buf + o, n - o, "  %s %s", vm_ident_defs[i].label, id->v[i]);
		o = k < 0 ? n : o + (size_t)k;
	}
}

int view_detail(const struct detail_input *in, struct view_lines *out)
{
	const struct vm_entry *e = in->e;
	char mem[16], ids[NR_VM_IDENTS * (VM_IDENT_LEN + 16)];
	int err;

	fmt_mib(mem, sizeof(mem), in->row->total[COL_MEM_MIB]);
	fmt_idents(ids, sizeof(ids), &e->ident);
	/* A nested guest: KVM's shadow MMU maps its memory (and splits it). */
	err = add(out, VS_TITLE, "%s  pid %u  vCPUs %u  memory %s  dirty logging %s%s%s%s", in->row->name,
		  e->pid, e->gauges.vcpus, mem,
		  e->gauges.memslots_dirty < 0 ? "unknown" : e->gauges.memslots_dirty ? "ON" : "off",
		  e->gauges.nested > 0 ? "  nested guest" : "", e->alive ? "" : "  (exited)", ids);
	err = err ?: add(out, VS_TEXT, "%s", "");
	if (in->ins) {
		err = err ?: detail_findings(in, out);
		err = err ?: detail_migration(in, out);
	}
	err = err ?: detail_history(in, out);
	err = err ?: add(out, VS_TEXT, "%s", "");
	err = err ?: detail_faults(in, in->delta, out);
	err = err ?: add(out, VS_TEXT, "%s", "");
	err = err ?: detail_splits(in, out);
	err = err ?: add(out, VS_TEXT, "%s", "");
	err = err ?: detail_lock(in, out);
	err = err ?: add(out, VS_TEXT, "%s", "");
	err = err ?: detail_dlog(in, out);
	if (in->ins) {
		err = err ?: detail_rounds(in, out);
		err = err ?: detail_findings_full(in, out);
	}
	return err;
}
