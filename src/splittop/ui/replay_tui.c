// SPDX-License-Identifier: GPL-2.0-only
#include "replay_tui.h"
#include "common/clock.h"
#include "common/parse.h"
#include "splittop/replay/recording_time.h"
#include "splittop/replay/replay_model.h"
#include "tui.h"
#include "view.h"

#include <stdio.h>
#include <string.h>

/* A move that reads more lines than this says so first (about a second
 * for 64 VMs of two vCPUs). */
#define RT_SLOW_LINES	1000
/* Bytes of the recording indexed between two looks at the keys. */
#define RT_INDEX_SLICE	(16 << 20)

struct rt {
	struct replay_model m;
	struct tui *ui;
	double shown_at;	/* monotonic time the frame went on screen (playing) */
};

static void set_where(struct rt *r)
{
	const struct rm_frame *f = &r->m.fr[r->m.cur];
	struct view_where w;
	char when[32], span[24], *sp;

	/* The time of day as the recording's checked labels write it, rounded
	 * to the second ("?" for a time no recording may hold). */
	rec_fmt_clock(when, sizeof(when), f->time_unix);
	sp = strchr(when, ' ');
	snprintf(w.position, sizeof(w.position), "%s %u/%u%s", f->total ? "totals" : "interval",
		 (unsigned int)r->m.cur + 1, r->m.nfr, r->m.indexed_all ? "" : "+");
	snprintf(w.date, sizeof(w.date), "%.*s", sp ? (int)(sp - when) : 0, when);
	snprintf(w.clock, sizeof(w.clock), "%.15s", sp ? sp + 1 : when);
	rec_fmt_span(span, sizeof(span), f->elapsed);
	snprintf(w.elapsed, sizeof(w.elapsed), "+%s", span);
	snprintf(w.note, sizeof(w.note), "%s",
		 r->m.cur + 1 == (int)r->m.nfr && !f->total ? (r->m.partial ? "(being written)" : "(the last)") : "");
	tui_set_where(r->ui, &w);
}

/* Frame i on screen.  A step forward adds one sample to the sparklines;
 * any other move feeds them the recording's intervals before i. */
static int show(struct rt *r, int i)
{
	int from = i == r->m.cur + 1 ? i : i - (VIEW_HISTORY - 1), f;

	char note[96];

	if (from < 0)
		from = 0;
	/* A first jump far into a long recording reads every interval before
	 * it (the totals are their sum): say so while it does. */
	if (replay_model_cost(&r->m, from) > RT_SLOW_LINES) {
		snprintf(note, sizeof(note), "reading %d intervals of the recording...", replay_model_cost(&r->m, from));
		tui_set_status(r->ui, note);
		tui_draw(r->ui);
		tui_set_status(r->ui, "");
	}
	if (from < i)
		tui_reset_history(r->ui);
	for (f = from; f <= i; f++) {
		if (replay_model_goto(&r->m, f))
			return -1;
		if (r->m.fr[f].total)
			tui_finish(r->ui, "the run's totals: the end of the recording");
		else
			tui_unfinish(r->ui);
		tui_update(r->ui, &r->m.snap);
	}
	set_where(r);
	r->shown_at = now_mono();
	return 0;
}

/* The whole file indexed, before a move that needs it (the end, a time,
 * a dirty-log enable past what is indexed). */
static int index_all(struct rt *r)
{
	if (r->m.indexed_all)
		return 0;
	tui_set_status(r->ui, "indexing the recording...");
	tui_draw(r->ui);
	tui_set_status(r->ui, "");
	return replay_model_refresh(&r->m) < 0 ? -1 : 0;
}

/* A move to frame i, clamped, with a note where it cannot go. */
static int go(struct rt *r, int i)
{
	if (i >= (int)r->m.nfr && index_all(r))
		return -1;
	if (i < 0) {
		tui_set_status(r->ui, "the first interval of the recording");
		i = 0;
	} else if (i >= (int)r->m.nfr) {
		tui_set_status(r->ui, "the end of the recording");
		i = (int)r->m.nfr - 1;
	}
	return i == r->m.cur ? 0 : show(r, i);
}

/* g's text: +SPAN / -SPAN from here, SPAN from the start, HH:MM[:SS]. */
static int jump(struct rt *r, const char *text)
{
	const struct rm_frame *f;
	double v;

	if (index_all(r))
		return -1;
	f = &r->m.fr[r->m.cur];
	while (*text == ' ')
		text++;
	if (!*text)
		return 0;
	if ((*text == '+' || *text == '-') && !parse_span(text + 1, 1e9, &v))
		return go(r, replay_model_find_time(&r->m, f->elapsed + (*text == '+' ? v : -v), true));
	if (!parse_clock(text, &v))
		return go(r, replay_model_find_time(&r->m, replay_clock_at(f->time_unix - f->elapsed, v), false));
	if (!parse_span(text, 1e9, &v))
		return go(r, replay_model_find_time(&r->m, v, true));
	tui_set_status(r->ui, "go to: expected +90s or -5m (from here), 1h5m (from the start), 14:03 (a time)");
	return 0;
}

static int enable(struct rt *r, int dir)
{
	int i = replay_model_find_enable(&r->m, r->m.cur, dir);

	if (i < 0 && dir > 0 && !r->m.indexed_all) {
		if (index_all(r))
			return -1;
		i = replay_model_find_enable(&r->m, r->m.cur, dir);
	}
	if (i < 0) {
		tui_set_status(r->ui, dir > 0 ? "no dirty-log enable after this interval"
					      : "no dirty-log enable before this interval");
		return 0;
	}
	return show(r, i);
}

/* Playing: the next frame when its recorded interval has passed (at the
 * speed asked); past the end of a recording still being written, what was
 * appended since. */
static int play(struct rt *r)
{
	int n;

	if (r->m.cur + 1 < (int)r->m.nfr)
		return show(r, r->m.cur + 1);
	if (r->m.fr[r->m.cur].total)
		return 0;
	n = replay_model_refresh(&r->m);
	if (n < 0)
		return -1;
	if (n > 0)
		return show(r, r->m.cur + 1);
	set_where(r);
	r->shown_at = now_mono();
	return 0;
}

static int wait_ms(const struct rt *r)
{
	double next, due;

	if (!r->m.indexed_all)
		return 0;	/* indexing goes on between keys */
	if (tui_paused(r->ui))
		return 1000;
	next = r->m.cur + 1 < (int)r->m.nfr ? r->m.fr[r->m.cur + 1].elapsed - r->m.fr[r->m.cur].elapsed
					     : r->m.interval;
	due = r->shown_at + next / tui_speed(r->ui) - now_mono();
	return due > 0 ? (int)(due * 1000) + 1 : 0;
}

static bool at_end(const struct rt *r)
{
	return r->m.fr[r->m.cur].total;
}

/* The recording opened, and the frame --begin names (the one nearest it;
 * 0 without it) into *first.  0, or -1 (said). */
static int open_at_begin(struct rt *r, const struct replay_tui_opts *o, int *first)
{
	const struct rm_frame *f;

	/* --begin's frame may lie past what is indexed at open. */
	if (replay_model_open(&r->m, o->path) || (o->begin.set && replay_model_refresh(&r->m) < 0)) {
		fprintf(stderr, "splittop: %s\n", r->m.err);
		replay_model_close(&r->m);
		return -1;
	}
	r->m.want = o->want;
	r->m.want_arg = o->want_arg;
	r->m.snap.downtime_ns = o->downtime_ns;
	f = &r->m.fr[0];
	*first = !o->begin.set ? 0
		 : o->begin.clock ? replay_model_find_time(&r->m, replay_clock_at(f->time_unix - f->elapsed,
										 o->begin.v), false)
				  : replay_model_find_time(&r->m, o->begin.v, true);
	return 0;
}

/* No key: index a slice more, or play on.  Whether the screen changed. */
static bool idle(struct rt *r, int *err)
{
	if (!r->m.indexed_all) {
		/* A slice at a time: keys still answer within ~20 ms. */
		*err = replay_model_index(&r->m, RT_INDEX_SLICE) < 0;
		set_where(r);
		if (!tui_paused(r->ui) && r->m.cur + 1 < (int)r->m.nfr &&
		    now_mono() >= r->shown_at + (r->m.fr[r->m.cur + 1].elapsed -
						 r->m.fr[r->m.cur].elapsed) / tui_speed(r->ui))
			*err = *err ?: play(r);
		return true;
	}
	if (!tui_paused(r->ui) && !at_end(r) && wait_ms(r) == 0) {
		*err = play(r);
		return true;
	}
	return false;
}

static int move_next(struct rt *r)
{
	return go(r, r->m.cur + 1);
}

static int move_prev(struct rt *r)
{
	return go(r, r->m.cur - 1);
}

static int move_first(struct rt *r)
{
	return go(r, 0);
}

static int move_last(struct rt *r)
{
	return index_all(r) ? -1 : go(r, (int)r->m.nfr - 1);
}

static int move_jump(struct rt *r)
{
	return jump(r, tui_jump_text(r->ui));
}

static int move_next_enable(struct rt *r)
{
	return enable(r, 1);
}

static int move_prev_enable(struct rt *r)
{
	return enable(r, -1);
}

/* Play or pause (the view says which), or a new speed: the frame's time
 * counts from now. */
static int move_play(struct rt *r)
{
	r->shown_at = now_mono();
	return 0;
}

/* Each of the view's events (tui.h) that moves in the recording; the
 * others (none, q, the interval) move nothing. */
static int (*const moves[])(struct rt *r) = {
	[TUI_STEP_NEXT] = move_next, [TUI_STEP_PREV] = move_prev,
	[TUI_FIRST] = move_first, [TUI_LAST] = move_last, [TUI_JUMP] = move_jump,
	[TUI_NEXT_ENABLE] = move_next_enable, [TUI_PREV_ENABLE] = move_prev_enable,
	[TUI_PLAY] = move_play,
};

/* Keys and playing until q, a stop signal or an error (-1). */
static int run_keys(struct rt *r, volatile sig_atomic_t *stop)
{
	int err = 0;

	while (!err && !*stop) {
		enum tui_event ev = tui_poll(r->ui, wait_ms(r), -1);

		if (ev == TUI_QUIT)
			return 0;
		if (ev < sizeof(moves) / sizeof(moves[0]) && moves[ev])
			err = moves[ev](r);
		else if (!idle(r, &err))
			continue;
		if (!err)
			tui_draw(r->ui);
	}
	return err;
}

int replay_tui_run(const struct replay_tui_opts *o, volatile sig_atomic_t *stop)
{
	struct rt r;
	int err = 0, first;

	if (open_at_begin(&r, o, &first))
		return 2;
	r.ui = tui_start(&(struct tui_opts){ .color = o->color, .interval = r.m.interval,
					    .filter_pid_vm = o->selection, .replay = true });
	if (!r.ui) {
		replay_model_close(&r.m);
		return 1;
	}
	err = show(&r, first);
	if (!err) {
		tui_draw(r.ui);
		err = run_keys(&r, stop);
	}
	tui_stop(r.ui);
	if (err)
		fprintf(stderr, "splittop: %s\n", r.m.err);
	replay_model_close(&r.m);
	return err ? 2 : 0;
}
