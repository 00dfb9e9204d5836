/* SPDX-License-Identifier: GPL-2.0-only */
/* --replay FILE on a terminal: the live view over a recording, moved in
 * time by its keys (step, play at the recorded pace or faster, the start,
 * the end, a time, the next dirty-log enable), and following a recording
 * still being written when it plays past the end. */
#ifndef SPLITTOP_REPLAY_TUI_H
#define SPLITTOP_REPLAY_TUI_H

#include <signal.h>
#include <stdbool.h>

#include "splittop/replay/replay.h"
#include "splittop/model/snapshot.h"

struct replay_tui_opts {
	const char *path;
	bool color;
	vm_filter want;			/* -p/--vm; NULL: every VM */
	const void *want_arg;
	const char *selection;		/* -p/--vm as typed, for the header; may be NULL */
	struct when begin;		/* --begin: the first frame shown */
	uint64_t downtime_ns;		/* --downtime: the budget convergence is judged by */
};

/* 0 after q or a stop signal (*stop set); 2 for a recording it cannot read
 * (one line, after the terminal is given back); 1 without a terminal. */
int replay_tui_run(const struct replay_tui_opts *o, volatile sig_atomic_t *stop);

#endif
