/* SPDX-License-Identifier: GPL-2.0-only */
/* The live view's keys, once: what each does, and the text the help box
 * and the footers show for it.  tui.c dispatches on the action. */
#ifndef SPLITTOP_KEYS_H
#define SPLITTOP_KEYS_H

#include <stdbool.h>
#include <stddef.h>

enum key_action {
	KA_NONE, KA_QUIT, KA_DETAIL, KA_BACK, KA_SORT_NEXT, KA_SORT_PREV, KA_REVERSE, KA_FILTER,
	KA_TOTALS, KA_PAUSE, KA_LONGER, KA_SHORTER, KA_UP, KA_DOWN, KA_PAGE_UP, KA_PAGE_DOWN,
	KA_HOME, KA_END, KA_SOURCES, KA_HELP,
	/* --replay's: moving in time. */
	KA_STEP_NEXT, KA_STEP_PREV, KA_FIRST, KA_LAST, KA_JUMP, KA_NEXT_ENABLE, KA_PREV_ENABLE,
	KA_FASTER, KA_SLOWER,
	/* Typing in a prompt (/ and g): any other printable key is text. */
	KA_EDIT_APPLY, KA_EDIT_CANCEL, KA_EDIT_BACKSPACE, KA_EDIT_DELETE, KA_EDIT_LEFT, KA_EDIT_RIGHT,
	KA_EDIT_HOME, KA_EDIT_END, KA_EDIT_CLEAR,
};

/* Where a key works: the live view of a run, the view over a recording, a
 * prompt of either (the help box lists the view's keys, not the prompt's). */
enum key_mode { KM_LIVE = 1, KM_REPLAY = 2, KM_BOTH = 3, KM_PROMPT = 4 };

#define KEY_KEEP_ALWAYS 100

struct key_binding {
	const char *label;		/* the keys as the help and the man page name them */
	int codes[4];			/* getch() codes; 0 ends the list */
	enum key_action action;
	const char *help;		/* its line in the help box */
	const char *footer;		/* "KEYS what" in the table's footer, or NULL */
	const char *detail_footer;	/* in the detail pane's footer, or NULL */
	/* In either footer while the view is paused, instead of the above:
	 * space says what it would do (resume, play); NULL: no change. */
	const char *paused_footer;
	/* A footer too narrow for every text drops the lowest first (the
	 * later of equals); KEY_KEEP_ALWAYS never (h help: it lists them all). */
	unsigned int keep;
	unsigned int modes;		/* enum key_mode bits */
};

extern const struct key_binding key_bindings[];
extern const unsigned int nr_key_bindings;

/* What a key does in mode (enum key_mode). */
enum key_action key_action_of(int code, unsigned int mode);
/* The help box's lines (title first) for mode; returns how many, at most max. */
unsigned int key_help_lines(char lines[][96], unsigned int max, unsigned int mode);
/* What a footer is for. */
struct key_footer_state {
	unsigned int mode;		/* enum key_mode */
	bool detail;			/* the detail pane's footer, else the table's */
	bool paused;			/* paused (a live view), not playing (a replay) */
	const char *filter;		/* when non-empty, quoted after the filter key's text */
	unsigned int width;		/* cells; 0: no limit */
};

/* A footer: the bindings' footer texts in order, two spaces apart, as
 * many as fit in the width by their keep.  A filter in use is never
 * dropped: it says that rows are hidden.  Space's texts take the room of
 * the longest, so the footer keeps its keys as a replay plays and pauses. */
void key_footer(char *buf, size_t n, const struct key_footer_state *st);

#endif
