/* SPDX-License-Identifier: GPL-2.0-only */
/* The live view on a terminal (ncurses).  main.c owns the sampling loop and
 * calls in here to wait for keys, take each new sample and draw. */
#ifndef SPLITTOP_TUI_H
#define SPLITTOP_TUI_H

#include <stdbool.h>

#include "snapshot.h"

struct tui;

struct tui_opts {
	bool color;
	double interval;
	const char *filter_pid_vm;	/* what -p/--vm selected, shown in the header; may be NULL */
	const char *command;		/* COMMAND's name in '-- COMMAND' mode, else NULL */
};

enum tui_event {
	TUI_NONE,		/* timeout or a key handled inside the view */
	TUI_QUIT,
	TUI_INTERVAL,		/* the interval changed: tui_interval() */
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
void tui_draw(struct tui *ui);

#endif
