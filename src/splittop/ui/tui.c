// SPDX-License-Identifier: GPL-2.0-only
/* The live view: ncurses drawing and keys.  What to draw comes from view.c. */
#include "keys.h"
#include "splittop/model/self_stats.h"
#include "tui.h"
#include "view.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum pair { P_BAR = 1, P_DIRTY, P_WARN, P_TITLE, P_DIM };

/* What the screen shows below the header, what lies over it, and where
 * keys go: each one of a few, never two at once. */
enum tui_pane { PANE_TABLE, PANE_DETAIL };
enum tui_overlay { OVERLAY_NONE, OVERLAY_HELP, OVERLAY_SOURCES };
enum tui_input {
	INPUT_KEYS,			/* the key table's actions */
	INPUT_FILTER,			/* typing the / prompt's filter */
	INPUT_JUMP,			/* typing the g prompt's time (a replay's) */
};

struct tui {
	SCREEN *screen;
	bool color, utf8;
	bool paused, totals, reverse, finished;
	enum key_mode keys;		/* KM_LIVE, or KM_REPLAY: a recording's frames */
	enum tui_pane pane;
	enum tui_overlay overlay;
	enum tui_input input;
	double interval, dt, speed;
	struct view_where where;	/* a replay's frame */
	char jump[64];
	enum column sort;
	char filter[64];
	struct view_edit edit;		/* the / or g prompt's text */
	char banner[192], status[96];
	const char *selection;		/* -p/--vm, as the user typed them */
	time_t sampled;

	const struct snapshot *snap;	/* the last sample's, until the next one */
	struct view_row *rows;		/* the VMs of the last sample, sorted */
	unsigned int nrows, rows_cap;
	struct view_history *hist;	/* by tracer VM index */
	unsigned int hist_cap;
	unsigned int sel_vm;		/* tracer VM index of the selected row */
	bool have_sel;
	int top, detail_top;
	unsigned int detail_lines;	/* of the last detail pane drawn */
};

/* The one screen in use, for the atexit hook: exit() from anywhere must
 * still give the user their terminal back. */
static struct tui *active_ui;

static void restore_at_exit(void)
{
	if (active_ui)
		tui_stop(active_ui);
}

struct tui *tui_start(const struct tui_opts *o)
{
	static bool hooked;
	struct tui *ui;
	const char *cs;

	ui = calloc(1, sizeof(*ui));
	if (!ui) {
		fprintf(stderr, "splittop: out of memory for the live view\n");
		return NULL;
	}
	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	ui->utf8 = cs && !strcmp(cs, "UTF-8");
	ui->interval = o->interval;
	ui->keys = o->replay ? KM_REPLAY : KM_LIVE;
	ui->paused = o->replay;		/* a replay opens on its first frame, still */
	ui->speed = 1;
	ui->sort = COL_FAULTS;
	ui->selection = o->filter_pid_vm;
	ui->screen = newterm(NULL, stdout, stdin);
	if (!ui->screen) {
		fprintf(stderr, "splittop: cannot start the live view on terminal '%s'; use --csv or --json\n",
			getenv("TERM") ? getenv("TERM") : "(TERM unset)");
		free(ui);
		return NULL;
	}
	active_ui = ui;
	if (!hooked)
		atexit(restore_at_exit);
	hooked = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (o->color && has_colors()) {
		ui->color = true;
		start_color();
		use_default_colors();
		init_pair(P_BAR, COLOR_BLACK, COLOR_CYAN);
		init_pair(P_DIRTY, COLOR_YELLOW, -1);
		init_pair(P_WARN, COLOR_RED, -1);
		init_pair(P_TITLE, COLOR_GREEN, -1);
		init_pair(P_DIM, COLOR_BLUE, -1);
	}
	return ui;
}

void tui_stop(struct tui *ui)
{
	if (!ui || !ui->screen)
		return;
	endwin();
	delscreen(ui->screen);
	ui->screen = NULL;
	if (active_ui == ui)
		active_ui = NULL;
	free(ui->rows);
	free(ui->hist);
	free(ui);
}

double tui_interval(const struct tui *ui)
{
	return ui->interval;
}

bool tui_paused(const struct tui *ui)
{
	return ui->paused;
}

double tui_speed(const struct tui *ui)
{
	return ui->speed;
}

const char *tui_jump_text(const struct tui *ui)
{
	return ui->jump;
}

void tui_set_where(struct tui *ui, const struct view_where *where)
{
	ui->where = *where;
}

void tui_set_status(struct tui *ui, const char *status)
{
	snprintf(ui->status, sizeof(ui->status), "%s", status);
}

void tui_unfinish(struct tui *ui)
{
	if (!ui->finished)
		return;
	ui->finished = ui->totals = false;
	ui->banner[0] = '\0';
}

void tui_reset_history(struct tui *ui)
{
	if (ui->hist)
		memset(ui->hist, 0, ui->hist_cap * sizeof(*ui->hist));
}

static int attr_of(const struct tui *ui, enum view_style st)
{
	switch (st) {
	case VS_TITLE:
		return A_BOLD | (ui->color ? COLOR_PAIR(P_TITLE) : 0);
	case VS_HEAD:
		return A_BOLD | A_UNDERLINE;
	case VS_WARN:
		return A_BOLD | (ui->color ? COLOR_PAIR(P_WARN) : 0);
	case VS_DIM:
		return ui->color ? COLOR_PAIR(P_DIM) : A_DIM;
	default:
		return A_NORMAL;
	}
}

/* Write s at (y, x), cut to the screen's width in cells. */
static void put(int y, int x, int attr, const char *s)
{
	int room = COLS - x;

	if (y < 0 || y >= LINES || room <= 0)
		return;
	attrset(attr);
	mvaddnstr(y, x, s, (int)view_prefix_bytes(s, (unsigned int)room));
	attrset(A_NORMAL);
}

/* Fill a whole line with attr (a bar), then write s on it. */
static void bar(int y, int attr, const char *s)
{
	attrset(attr);
	mvhline(y, 0, ' ', COLS);
	put(y, 0, attr, s);
}

void tui_update(struct tui *ui, const struct snapshot *s)
{
	unsigned int i, need = 0;

	ui->snap = s;
	ui->dt = s->dt;
	ui->sampled = time(NULL);
	/* History is kept by VM table index: room for the largest one. */
	for (i = 0; i < s->n; i++)
		if (s->vms[i].vm + 1 > need)
			need = s->vms[i].vm + 1;
	if (need > ui->hist_cap || s->n > ui->rows_cap) {
		unsigned int cap = (need > s->n ? need : s->n) * 2;
		struct view_row *r = realloc(ui->rows, cap * sizeof(*r));
		struct view_history *h = r ? realloc(ui->hist, cap * sizeof(*h)) : NULL;

		if (r)
			ui->rows = r;
		if (!h)
			return;		/* keep the last frame; try again next sample */
		memset(h + ui->hist_cap, 0, (cap - ui->hist_cap) * sizeof(*h));
		ui->hist = h;
		ui->rows_cap = ui->hist_cap = cap;
	}
	ui->nrows = 0;
	for (i = 0; i < s->n; i++) {
		const struct snap_vm *v = &s->vms[i];
		struct view_history *h = &ui->hist[v->vm];
		struct view_row *r;

		/* The live table shows running VMs; a finished run shows all. */
		if (!v->e->alive && !ui->finished)
			continue;
		/* An entry reused for another VM starts a new history. */
		if (h->seq != v->e->seq) {
			memset(h, 0, sizeof(*h));
			h->seq = v->e->seq;
		}
		r = &ui->rows[ui->nrows++];
		view_row_build(v, s->dt, r);
		if (v->e->alive && s->dt > 0) {
			double series[NR_VIEW_SERIES] = { r->rate[COL_SPLITS], r->rate[COL_FAULTS],
							  r->rate[COL_PAGES_2M] };

			view_history_push(h, series);
		}
	}
}

void tui_finish(struct tui *ui, const char *banner)
{
	ui->finished = true;
	ui->totals = true;
	ui->paused = ui->keys == KM_REPLAY;	/* a replay stays at its end */
	snprintf(ui->banner, sizeof(ui->banner), "%s", banner);
}

/* Columns shown at this width, and the name column's width. */
static unsigned int layout(const struct tui *ui, bool on[NR_COLUMNS])
{
	return view_fit(COLS > 0 ? (unsigned int)COLS : 0, ui->totals, on);
}

/* The header's first line, fitted to the terminal (view_header_line). */
static void draw_title(struct tui *ui, const struct snapshot *t, int y)
{
	char line[512], every[16], when[16];

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&ui->sampled));
	if (ui->interval < 1)
		snprintf(every, sizeof(every), "%.2gs", ui->interval);
	else
		snprintf(every, sizeof(every), "%gs", ui->interval);
	view_header_line(line, sizeof(line), &(struct view_header){
		.replay = ui->keys == KM_REPLAY, .paused = ui->paused, .totals = ui->totals, .speed = ui->speed,
		.host = t->host, .every = every, .clock = when, .where = &ui->where },
		COLS > 0 ? (unsigned int)COLS : 0);
	bar(y, ui->color ? COLOR_PAIR(P_BAR) : A_REVERSE, line);
}

/* splittop's own failure counters, in red, where any is not zero. */
static void draw_self(struct tui *ui, const struct snapshot *t, int *y)
{
	char line[512];

	self_stats_view_line(line, sizeof(line), &t->self);
	if (line[0])
		put((*y)++, 0, attr_of(ui, VS_WARN), line);
}

/* The findings line: which VM has which finding (model/findings.c), when
 * any fires; Enter on a VM tells the evidence and what to change. */
static void draw_findings(struct tui *ui, const struct snapshot *t, int *y)
{
	char line[512];
	size_t o = 0;
	unsigned int i, k, n = 0;

	for (i = 0; i < t->n && o < sizeof(line); i++) {
		const struct findings *f = &t->vms[i].ins.found;

		if (!f->n || !t->vms[i].e->alive)
			continue;
		o += snprintf(line + o, sizeof(line) - o, "%s%s ", n++ ? "; " : "findings: ", t->vms[i].e->name);
		for (k = 0; k < f->n && o < sizeof(line); k++)
			o += snprintf(line + o, sizeof(line) - o, "%s%s", k ? "," : "", finding_defs[f->f[k].id].name);
	}
	if (n)
		put((*y)++, 0, attr_of(ui, VS_WARN), line);
}

static void draw_header(struct tui *ui, const struct snapshot *t, int *y)
{
	unsigned int i, running = 0, dirty = 0, nun = 0;
	double splits = 0, demot = 0, faults = 0, wait = 0;
	char a[16], b[16], c[16], d[16], line[512];
	size_t o = 0;

	draw_title(ui, t, (*y)++);
	for (i = 0; i < ui->nrows; i++) {
		const struct view_row *r = &ui->rows[i];
		const double *v = ui->totals ? r->total : r->rate;

		running += r->alive;
		dirty += r->alive && r->dirty_logging;
		splits += v[COL_SPLITS];
		demot += v[COL_DEMOTIONS];
		faults += v[COL_FAULTS];
		wait += v[COL_LOCK_WAIT_NS];
	}
	fmt_count(a, sizeof(a), splits);
	fmt_count(b, sizeof(b), demot);
	fmt_count(c, sizeof(c), faults);
	fmt_ns(d, sizeof(d), wait);
	snprintf(line, sizeof(line), "VMs %u (%u logging)%s  splits %s%s  demot %s%s  faults %s%s  lock wait %s%s",
		 running, dirty, ui->selection ? " selected" : "",
		 a, ui->totals ? "" : "/s", b, ui->totals ? "" : "/s", c, ui->totals ? "" : "/s",
		 d, ui->totals ? "" : "/s");
	put((*y)++, 0, A_BOLD, line);

	line[0] = '\0';
	for (i = 0; i < t->nsources; i++) {
		if (t->sources[i].source)
			continue;
		o += snprintf(line + o, sizeof(line) - o, "%s%s", nun++ ? ", " : "unavailable: ",
			      t->sources[i].metric);
		if (o >= sizeof(line))
			break;
	}
	if (nun) {
		if (o < sizeof(line))
			snprintf(line + o, sizeof(line) - o, "  (u: why)");
		put((*y)++, 0, attr_of(ui, VS_DIM), line);
	}

	draw_findings(ui, t, y);
	draw_self(ui, t, y);
	if (ui->banner[0])
		bar((*y)++, attr_of(ui, VS_WARN) | A_REVERSE, ui->banner);
}


/* Indexes of the rows the filter lets through, in sorted order. */
static unsigned int visible(const struct tui *ui, unsigned int *out)
{
	unsigned int i, n = 0;

	for (i = 0; i < ui->nrows; i++)
		if (view_match(&ui->rows[i], ui->filter))
			out[n++] = i;
	return n;
}

static void row_text(const struct tui *ui, const struct view_row *r, const bool on[NR_COLUMNS],
		     unsigned int namew, char *line, size_t n)
{
	enum column cols[NR_COLUMNS];
	unsigned int i, nc = view_columns(ui->totals, cols);
	char cell[128];
	size_t o = 0;

	line[0] = '\0';
	for (i = 0; i < nc && o < n; i++) {
		enum column c = cols[i];

		if (!on[c])
			continue;
		view_cell(cell, sizeof(cell), r, c, ui->totals, c == COL_NAME ? namew : metrics[c].width);
		o += snprintf(line + o, n - o, "%s%s", o ? " " : "", cell);
	}
}

/* The table's header row: the columns shown, * at the sort column. */
static void draw_columns(struct tui *ui, const bool on[NR_COLUMNS], unsigned int namew, int y)
{
	enum column cols[NR_COLUMNS];
	unsigned int i, nc = view_columns(ui->totals, cols);
	char line[1024], cell[64];
	size_t o = 0;

	line[0] = '\0';
	for (i = 0; i < nc && o < sizeof(line); i++) {
		enum column c = cols[i];
		unsigned int w = c == COL_NAME ? namew : metrics[c].width;

		if (!on[c])
			continue;
		snprintf(cell, sizeof(cell), "%s%s", c == ui->sort ? "*" : "", view_header(c, ui->totals));
		o += snprintf(line + o, sizeof(line) - o, "%s%*s", o ? " " : "",
			      c == COL_NAME ? -(int)w : (int)w, cell);
	}
	bar(y, ui->color ? COLOR_PAIR(P_BAR) : A_REVERSE, line);
}

/* Why the table has no row. */
static void draw_no_rows(struct tui *ui, int y)
{
	char line[256];

	if (ui->filter[0])
		snprintf(line, sizeof(line), "No VM matches the filter '%s' (Esc clears it).", ui->filter);
	else if (ui->finished)
		snprintf(line, sizeof(line), "No KVM virtual machine ran.");
	else if (ui->keys == KM_REPLAY)
		snprintf(line, sizeof(line), "No VM%s ran at this point of the recording (one that ended in "
			 "this interval is in the next one's totals: t, or ]).", ui->selection ? " selected" : "");
	else
		snprintf(line, sizeof(line), "No KVM virtual machine is running%s. Watching for new ones...",
			 ui->selection ? " among the selected" : "");
	put(y, 2, A_NORMAL, line);
	ui->have_sel = false;
}

static void draw_table(struct tui *ui, int y)
{
	unsigned int namew, i, n, *idx;
	bool on[NR_COLUMNS];
	char line[1024];
	int rows_room, sel = 0;

	namew = layout(ui, on);
	if (!on[ui->sort])
		ui->sort = COL_NAME;
	view_sort(ui->rows, ui->nrows, ui->sort, ui->totals, ui->reverse);
	draw_columns(ui, on, namew, y++);
	idx = calloc(ui->nrows ? ui->nrows : 1, sizeof(*idx));
	if (!idx)
		return;
	n = visible(ui, idx);
	rows_room = LINES - 1 - y;
	if (!n) {
		draw_no_rows(ui, y + 1);
		free(idx);
		return;
	}
	/* Keep the selected VM selected as rows move; else take the first. */
	for (i = 0; i < n && ui->have_sel; i++)
		if (ui->rows[idx[i]].vm == ui->sel_vm)
			break;
	sel = ui->have_sel && i < n ? (int)i : 0;
	ui->sel_vm = ui->rows[idx[sel]].vm;
	ui->have_sel = true;
	if (sel < ui->top)
		ui->top = sel;
	if (rows_room > 0 && sel >= ui->top + rows_room)
		ui->top = sel - rows_room + 1;
	if (ui->top > (int)n - 1)
		ui->top = 0;
	for (i = ui->top; i < n && (int)(i - ui->top) < rows_room; i++) {
		const struct view_row *r = &ui->rows[idx[i]];
		int attr = A_NORMAL;

		if (r->dirty_logging && r->alive)
			attr = A_BOLD | (ui->color ? COLOR_PAIR(P_DIRTY) : 0);
		if ((int)i == sel)
			attr |= A_REVERSE;
		row_text(ui, r, on, namew, line, sizeof(line));
		if ((int)i == sel) {
			attrset(attr);
			mvhline(y, 0, ' ', COLS);
		}
		put(y++, 0, attr, line);
	}
	free(idx);
}

static const struct view_row *selected_row(const struct tui *ui)
{
	unsigned int i;

	if (!ui->have_sel)
		return NULL;
	for (i = 0; i < ui->nrows; i++)
		if (ui->rows[i].vm == ui->sel_vm && view_match(&ui->rows[i], ui->filter))
			return &ui->rows[i];
	return NULL;
}

/* The snapshot's data of a row's VM. */
static const struct snap_vm *snap_of(const struct tui *ui, const struct view_row *r)
{
	unsigned int i;

	for (i = 0; r && i < ui->snap->n; i++)
		if (ui->snap->vms[i].vm == r->vm)
			return &ui->snap->vms[i];
	return NULL;
}

/* The snapshot's entry for metric, or NULL. */
static const struct metric_source *source_entry(const struct snapshot *t, const char *metric)
{
	unsigned int i;

	for (i = 0; i < t->nsources; i++)
		if (!strcmp(t->sources[i].metric, metric))
			return &t->sources[i];
	return NULL;
}

/* Why a metric is unavailable, or NULL. */
static const char *why_unavailable(const struct snapshot *t, const char *metric)
{
	const struct metric_source *m = source_entry(t, metric);

	if (!m)
		return "unknown metric";
	return m->source ? NULL : m->why;
}

/* Where a metric comes from, or NULL (unavailable, or unknown). */
static const char *source_of(const struct snapshot *t, const char *metric)
{
	const struct metric_source *m = source_entry(t, metric);

	return m ? m->source : NULL;
}

static void draw_detail(struct tui *ui, const struct snapshot *t, int y)
{
	const struct view_row *r = selected_row(ui);
	const struct snap_vm *v = snap_of(ui, r);
	struct view_lines l = { 0 };
	struct detail_input in;
	int room = LINES - 1 - y;
	unsigned int i;

	if (!r || !v) {
		put(y + 1, 2, A_NORMAL, "The selected VM is gone. Esc goes back to the list.");
		return;
	}
	in = (struct detail_input){
		.e = v->e, .ins = &v->ins, .delta = &v->delta, .vdelta = v->vdelta, .row = r, .hist = &ui->hist[r->vm], .avail = &t->avail,
		.hold_why = why_unavailable(t, "mmu_lock_hold"),
		.latency_why = why_unavailable(t, "fault_latency"),
		.wait_sampled = wait_sampled_of(source_of(t, "mmu_lock_wait")),
		.dt = ui->dt, .totals = ui->totals, .utf8 = ui->utf8,
		.width = COLS > 0 ? (unsigned int)COLS : 80,
	};
	if (view_detail(&in, &l)) {
		put(y + 1, 2, attr_of(ui, VS_WARN), "out of memory drawing the detail pane");
		view_lines_free(&l);
		return;
	}
	ui->detail_lines = l.n;
	if (ui->detail_top > (int)l.n - room)
		ui->detail_top = (int)l.n - room;
	if (ui->detail_top < 0)
		ui->detail_top = 0;
	for (i = ui->detail_top; i < l.n && (int)(i - ui->detail_top) < room; i++)
		put(y++, 0, attr_of(ui, l.line[i].style), l.line[i].text);
	view_lines_free(&l);
}

static void draw_box(struct tui *ui, const char *const *lines, unsigned int n)
{
	unsigned int i, w = 0;
	int top, left;

	for (i = 0; i < n; i++)
		if (view_text_width(lines[i]) > w)
			w = view_text_width(lines[i]);
	w += 4;
	if ((int)w > COLS)
		w = COLS;
	top = (LINES - (int)n - 2) / 2;
	left = (COLS - (int)w) / 2;
	if (top < 0)
		top = 0;
	if (left < 0)
		left = 0;
	attrset(ui->color ? COLOR_PAIR(P_BAR) : A_REVERSE);
	for (i = 0; i < n + 2 && top + (int)i < LINES; i++)
		mvhline(top + i, left, ' ', w);
	for (i = 0; i < n; i++) {
		int y = top + 1 + i;

		if (y >= LINES)
			break;
		attrset(ui->color ? COLOR_PAIR(P_BAR) : A_REVERSE);
		mvaddnstr(y, left + 2, lines[i],
			  (int)view_prefix_bytes(lines[i], (int)w - 3 > 0 ? (unsigned int)w - 3 : 0));
	}
	attrset(A_NORMAL);
}

static void draw_help(struct tui *ui)
{
	char text[32][96];
	const char *lines[32];
	unsigned int i, n = key_help_lines(text, 32, ui->keys);

	for (i = 0; i < n; i++)
		lines[i] = text[i];
	draw_box(ui, lines, n);
}

/* The u pane, its lines wrapped to fit inside the box (2 cells of margin
 * each side): a reason why a metric is missing is read whole. */
static void draw_sources(struct tui *ui, const struct snapshot *t)
{
	struct view_lines l = { 0 };
	const char **lines;
	unsigned int i;

	if (view_sources(t->sources, t->nsources, COLS > 4 ? (unsigned int)COLS - 4 : 1, &l) ||
	    !(lines = calloc(l.n, sizeof(*lines)))) {
		view_lines_free(&l);
		put(LINES - 2, 0, attr_of(ui, VS_WARN), "out of memory drawing the sources");
		return;
	}
	for (i = 0; i < l.n; i++)
		lines[i] = l.line[i].text;
	draw_box(ui, lines, l.n);
	free(lines);
	view_lines_free(&l);
}

/* A prompt: its text after the label, selected (reversed) as it opened
 * on the old filter, the cursor where the next key types. */
static void draw_prompt(struct tui *ui)
{
	const char *label = ui->input == INPUT_JUMP ? "go to (+90s, -5m, 1h5m, 14:03): " : "filter: ";
	unsigned int x = view_text_width(label);
	char before[sizeof(ui->edit.text)];

	bar(LINES - 1, A_NORMAL, label);
	put(LINES - 1, (int)x, ui->edit.selected ? A_REVERSE : A_NORMAL, ui->edit.text);
	snprintf(before, sizeof(before), "%.*s", (int)ui->edit.cur, ui->edit.text);
	x += view_text_width(before);
	curs_set(1);
	move(LINES - 1, (int)x < COLS ? (int)x : COLS - 1);
}

static void draw_keys(struct tui *ui)
{
	char line[256];

	if (ui->input != INPUT_KEYS) {
		draw_prompt(ui);
		return;
	}
	curs_set(0);
	if (ui->status[0])
		snprintf(line, sizeof(line), "%s", ui->status);
	else
		key_footer(line, sizeof(line), &(struct key_footer_state){
			.mode = ui->keys, .detail = ui->pane == PANE_DETAIL, .paused = ui->paused,
			.filter = ui->pane == PANE_DETAIL ? NULL : ui->filter, .width = COLS > 0 ? (unsigned int)COLS : 0 });
	bar(LINES - 1, ui->color ? COLOR_PAIR(P_BAR) : A_REVERSE, line);
}

void tui_draw(struct tui *ui)
{
	const struct snapshot *t = ui->snap;
	int y = 0;

	if (!ui->screen || !t)
		return;
	erase();
	if (LINES < 8 || COLS < 40) {
		put(0, 0, A_BOLD, "splittop: the terminal is too small (40x8 at least)");
		refresh();
		return;
	}
	draw_header(ui, t, &y);
	if (ui->pane == PANE_DETAIL)
		draw_detail(ui, t, y);
	else
		draw_table(ui, y);
	if (ui->overlay == OVERLAY_HELP)
		draw_help(ui);
	else if (ui->overlay == OVERLAY_SOURCES)
		draw_sources(ui, t);
	draw_keys(ui);
	refresh();
}

static const double steps[] = { 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60 };
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static void change_interval(struct tui *ui, int dir)
{
	unsigned int i;

	if (dir > 0) {
		for (i = 0; i < NSTEPS && steps[i] <= ui->interval + 1e-9; i++)
			;
		if (i < NSTEPS)
			ui->interval = steps[i];
	} else {
		for (i = NSTEPS; i > 0 && steps[i - 1] >= ui->interval - 1e-9; i--)
			;
		if (i > 0)
			ui->interval = steps[i - 1];
	}
	snprintf(ui->status, sizeof(ui->status), "interval %gs", ui->interval);
}

/* Next (dir 1) or previous (-1) column on screen to sort by. */
static void change_sort(struct tui *ui, int dir)
{
	enum column cols[NR_COLUMNS];
	unsigned int nc = view_columns(ui->totals, cols), i, pos = 0;
	bool on[NR_COLUMNS];

	layout(ui, on);
	for (i = 0; i < nc; i++)
		if (cols[i] == ui->sort)
			pos = i;
	for (i = 0; i < nc; i++) {
		pos = (pos + dir + nc) % nc;
		if (on[cols[pos]])
			break;
	}
	ui->sort = cols[pos];
}

static void move_sel(struct tui *ui, int by)
{
	unsigned int *idx, n, i;
	int pos;

	if (ui->pane == PANE_DETAIL) {
		ui->detail_top += by;
		if (ui->detail_top < 0)
			ui->detail_top = 0;
		return;
	}
	idx = calloc(ui->nrows ? ui->nrows : 1, sizeof(*idx));
	if (!idx)
		return;
	view_sort(ui->rows, ui->nrows, ui->sort, ui->totals, ui->reverse);
	n = visible(ui, idx);
	if (n) {
		for (i = 0; i < n; i++)
			if (ui->rows[idx[i]].vm == ui->sel_vm)
				break;
		pos = i < n ? (int)i + by : 0;
		if (pos < 0)
			pos = 0;
		if (pos >= (int)n)
			pos = n - 1;
		ui->sel_vm = ui->rows[idx[pos]].vm;
		ui->have_sel = true;
	}
	free(idx);
}

/* What an action changed, and so what to draw again (htop's Htop_Reaction):
 * bits.  tui_draw() draws the whole screen for any of them (ncurses sends
 * the terminal only the cells that changed). */
enum redraw {
	REDRAW_NONE = 0,
	REDRAW_FOOTER = 1 << 0,		/* the footer: the status, a prompt's text */
	REDRAW_BODY = 1 << 1,		/* the header and the table or the detail pane */
	REDRAW_OVERLAY = 1 << 2,	/* the help or the sources box, opened or closed */
	REDRAW_ALL = REDRAW_FOOTER | REDRAW_BODY | REDRAW_OVERLAY,
};

/* An action's answer: what to draw, and the event for the caller. */
struct reaction {
	unsigned int redraw;		/* enum redraw bits */
	enum tui_event event;
};

#define DRAWN(bits) ((struct reaction){ .redraw = (bits), .event = TUI_NONE })
#define EVENT(ev) ((struct reaction){ .redraw = REDRAW_ALL, .event = (ev) })

/* A prompt's key: its text edited, or the prompt closed (Enter applies
 * the filter, or asks the caller to jump to the time typed). */
static struct reaction prompt_key(struct tui *ui, int ch)
{
	enum key_action a = key_action_of(ch, KM_PROMPT);
	enum tui_input was = ui->input;

	if (a != KA_EDIT_CANCEL && a != KA_EDIT_APPLY) {
		view_edit_key(&ui->edit, a, ch);
		return DRAWN(REDRAW_FOOTER);
	}
	ui->input = INPUT_KEYS;
	if (a == KA_EDIT_CANCEL)
		return DRAWN(REDRAW_FOOTER);
	ui->top = 0;
	if (was == INPUT_JUMP) {
		snprintf(ui->jump, sizeof(ui->jump), "%s", ui->edit.text);
		return EVENT(TUI_JUMP);
	}
	snprintf(ui->filter, sizeof(ui->filter), "%s", ui->edit.text);
	return DRAWN(REDRAW_ALL);
}

static struct reaction act_quit(struct tui *ui, enum key_action a)
{
	(void)ui, (void)a;
	return (struct reaction){ .redraw = REDRAW_NONE, .event = TUI_QUIT };
}

/* Move the selection as a navigation key asks (a page: the screen's rows). */
static struct reaction act_move(struct tui *ui, enum key_action a)
{
	int page = LINES > 10 ? LINES - 8 : 1;

	switch (a) {
	case KA_UP:
		move_sel(ui, -1);
		break;
	case KA_DOWN:
		move_sel(ui, 1);
		break;
	case KA_PAGE_UP:
		move_sel(ui, -page);
		break;
	case KA_PAGE_DOWN:
		move_sel(ui, page);
		break;
	case KA_HOME:
		move_sel(ui, -1000000);
		break;
	default:
		move_sel(ui, 1000000);
		break;
	}
	return DRAWN(REDRAW_BODY);
}

/* Space: a replay plays or pauses (the caller times the frames); a live
 * view freezes its screen, unless the run is over. */
static struct reaction act_pause(struct tui *ui, enum key_action a)
{
	(void)a;
	ui->paused = !ui->paused && (ui->keys == KM_REPLAY || !ui->finished);
	if (ui->keys == KM_REPLAY)
		return EVENT(TUI_PLAY);
	snprintf(ui->status, sizeof(ui->status), "%s", ui->paused ? "paused: space resumes" : "");
	return DRAWN(REDRAW_ALL);
}

static struct reaction act_speed(struct tui *ui, enum key_action a)
{
	if (a == KA_FASTER ? ui->speed < 64 : ui->speed > 0.125)
		ui->speed *= a == KA_FASTER ? 2 : 0.5;
	snprintf(ui->status, sizeof(ui->status), "playing at %gx the recorded pace", ui->speed);
	return EVENT(TUI_PLAY);
}

static struct reaction act_interval(struct tui *ui, enum key_action a)
{
	change_interval(ui, a == KA_LONGER ? 1 : -1);
	return EVENT(TUI_INTERVAL);
}

/* A replay's moves in time: the caller moves, then draws. */
static struct reaction act_time(struct tui *ui, enum key_action a)
{
	static const enum tui_event event_of[] = {
		[KA_STEP_NEXT] = TUI_STEP_NEXT, [KA_STEP_PREV] = TUI_STEP_PREV, [KA_FIRST] = TUI_FIRST,
		[KA_LAST] = TUI_LAST, [KA_NEXT_ENABLE] = TUI_NEXT_ENABLE, [KA_PREV_ENABLE] = TUI_PREV_ENABLE,
	};

	(void)ui;
	return EVENT(event_of[a]);
}

/* / and g open a prompt: the filter's on the old filter, selected (typing
 * replaces it); g's empty. */
static struct reaction act_prompt(struct tui *ui, enum key_action a)
{
	ui->input = a == KA_JUMP ? INPUT_JUMP : INPUT_FILTER;
	view_edit_start(&ui->edit, a == KA_JUMP ? "" : ui->filter);
	return DRAWN(REDRAW_FOOTER);
}

static struct reaction act_sort(struct tui *ui, enum key_action a)
{
	if (a == KA_REVERSE)
		ui->reverse = !ui->reverse;
	else
		change_sort(ui, a == KA_SORT_NEXT ? 1 : -1);
	return DRAWN(REDRAW_BODY);
}

static struct reaction act_totals(struct tui *ui, enum key_action a)
{
	(void)a;
	ui->totals = !ui->totals;
	return DRAWN(REDRAW_BODY);
}

/* Esc closes the detail pane, else clears the filter; Enter opens the
 * selected VM's details, or closes them. */
static struct reaction act_pane(struct tui *ui, enum key_action a)
{
	if (a == KA_DETAIL) {
		ui->pane = ui->pane == PANE_TABLE && ui->have_sel ? PANE_DETAIL : PANE_TABLE;
		ui->detail_top = 0;
	} else if (ui->pane == PANE_DETAIL) {
		ui->pane = PANE_TABLE;
	} else {
		ui->filter[0] = '\0';
	}
	return DRAWN(REDRAW_ALL);
}

static struct reaction act_overlay(struct tui *ui, enum key_action a)
{
	ui->overlay = a == KA_HELP ? OVERLAY_HELP : OVERLAY_SOURCES;
	return DRAWN(REDRAW_OVERLAY);
}

/* The one dispatch: each action of the key table (keys.c) to what does it.
 * A key the table does not bind (KA_NONE) does nothing. */
static struct reaction (*const actions[])(struct tui *ui, enum key_action a) = {
	[KA_QUIT] = act_quit,
	[KA_DETAIL] = act_pane, [KA_BACK] = act_pane,
	[KA_SORT_NEXT] = act_sort, [KA_SORT_PREV] = act_sort, [KA_REVERSE] = act_sort,
	[KA_FILTER] = act_prompt, [KA_JUMP] = act_prompt,
	[KA_TOTALS] = act_totals,
	[KA_PAUSE] = act_pause,
	[KA_LONGER] = act_interval, [KA_SHORTER] = act_interval,
	[KA_FASTER] = act_speed, [KA_SLOWER] = act_speed,
	[KA_UP] = act_move, [KA_DOWN] = act_move, [KA_PAGE_UP] = act_move, [KA_PAGE_DOWN] = act_move,
	[KA_HOME] = act_move, [KA_END] = act_move,
	[KA_STEP_NEXT] = act_time, [KA_STEP_PREV] = act_time, [KA_FIRST] = act_time, [KA_LAST] = act_time,
	[KA_NEXT_ENABLE] = act_time, [KA_PREV_ENABLE] = act_time,
	[KA_SOURCES] = act_overlay, [KA_HELP] = act_overlay,
};

/* One key: a prompt takes every key; q quits; any other key closes an
 * overlay; else the key table's action for the view's keys. */
static struct reaction key(struct tui *ui, int ch)
{
	enum key_action a;
	bool had_status = ui->status[0] != '\0';

	if (ui->input != INPUT_KEYS)
		return prompt_key(ui, ch);
	if (ch == KEY_RESIZE)
		return DRAWN(REDRAW_ALL);
	ui->status[0] = '\0';
	a = key_action_of(ch, ui->keys);
	if (a == KA_QUIT)
		return act_quit(ui, a);
	if (ui->overlay != OVERLAY_NONE) {
		ui->overlay = OVERLAY_NONE;
		return DRAWN(REDRAW_ALL);
	}
	if (a < sizeof(actions) / sizeof(actions[0]) && actions[a])
		return actions[a](ui, a);
	return DRAWN(had_status ? REDRAW_FOOTER : REDRAW_NONE);
}

enum tui_event tui_poll(struct tui *ui, int timeout_ms, int extra_fd)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = extra_fd, .events = POLLIN } };
	enum tui_event ev = TUI_NONE;
	unsigned int redraw = REDRAW_NONE;
	int ch;

	if (!ui->screen)
		return TUI_NONE;
	/* EINTR (a resize or a signal) falls through: getch reports a resize,
	 * main looks at its signal flag. */
	if (poll(p, extra_fd >= 0 ? 2 : 1, timeout_ms) < 0 && errno != EINTR)
		return TUI_NONE;
	/* One event at a time: keys typed ahead (three steps) wait for
	 * the caller to act on the first. */
	while (ev == TUI_NONE && (ch = getch()) != ERR) {
		struct reaction r = key(ui, ch);

		if (r.event == TUI_QUIT)
			return TUI_QUIT;
		ev = r.event;
		redraw |= r.redraw;
	}
	if (redraw)
		tui_draw(ui);
	return ev;
}
