/* SPDX-License-Identifier: GPL-2.0-only */
/* The live view on a terminal (ncurses).  main.c owns the sampling loop and
 * calls in here to wait for keys, take each new sample and draw. */
#ifndef SPLITTOP_TUI_H
#define SPLITTOP_TUI_H

#include <stdbool.h>

#include "splittop/model/snapshot.h"

struct tui;
struct view_where;

struct tui_opts {
	bool color;
	double interval;
	const char *filter_pid_vm;	/* what -p/--vm selected, shown in the header; may be NULL */
	const char *command;		/* COMMAND's name in '-- COMMAND' mode, else NULL */
	bool replay;			/* a recording's frames (--replay): its keys move in time */
};

enum tui_event {
	TUI_NONE,		/* timeout or a key handled inside the view */
	TUI_QUIT,
	TUI_INTERVAL,		/* the interval changed: tui_interval() */
	/* A replay's: where to go in the recording. */
	TUI_PLAY,		/* play or pause: tui_paused(), at tui_speed() */
	TUI_STEP_NEXT, TUI_STEP_PREV, TUI_FIRST, TUI_LAST,
	TUI_JUMP,		/* to tui_jump_text() */
	TUI_NEXT_ENABLE, TUI_PREV_ENABLE,
};

/* Returns NULL after printing why (no terminal, or out of memory). */
struct tui *tui_start(const struct tui_opts *o);
/* Restore the terminal and free ui (NULL is a no-op). */
void tui_stop(struct tui *ui);

/* Wait up to timeout_ms for one key (or a resize) and act on it.
 * extra_fd, when >= 0, also ends the wait when readable. */
enum tui_event tui_poll(struct tui *ui, int timeout_ms, int extra_fd);
double tui_interval(const struct tui *ui);
bool tui_paused(const struct tui *ui);

/* A new sample: the VMs -p/--vm let through.  s must stay valid until the
 * next call: the view draws from it as keys come. */
void tui_update(struct tui *ui, const struct snapshot *s);
/* The run is over (COMMAND exited): show every VM's totals and say so. */
void tui_finish(struct tui *ui, const char *banner);

/* A replay's: the frame shown (the header's "where": frame, recorded time),
 * a one-line note in the footer, the run's end left again (a step back from
 * the totals), sparklines started over (before a jump's frames are fed),
 * the playback speed (1: the recorded pace), the text typed after g. */
void tui_set_where(struct tui *ui, const struct view_where *where);
void tui_set_status(struct tui *ui, const char *status);
void tui_unfinish(struct tui *ui);
void tui_reset_history(struct tui *ui);
double tui_speed(const struct tui *ui);
const char *tui_jump_text(const struct tui *ui);
void tui_draw(struct tui *ui);

#endif
