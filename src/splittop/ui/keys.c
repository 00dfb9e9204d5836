// SPDX-License-Identifier: GPL-2.0-only
#include "keys.h"

#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Designated fields: a binding names only what it has (most have no
 * footer text).  While paused, space names what it would do next.  keep,
 * the order a narrow footer drops texts in: the sort and the filter first
 * (the help lists them), then Enter and t; g, m, step, space, q and Esc
 * last.  80 columns keep g, m and h in a replay's. */
const struct key_binding key_bindings[] = {
	{ .label = "q", .codes = { 'q', 'Q' }, .action = KA_QUIT, .help = "quit (and stop COMMAND)",
	  .footer = "q quit", .detail_footer = "q quit", .keep = 8, .modes = KM_BOTH },
	{ .label = "Enter", .codes = { '\n', '\r', KEY_ENTER }, .action = KA_DETAIL,
	  .help = "details of the selected VM", .footer = "Enter detail", .keep = 2, .modes = KM_BOTH },
	{ .label = "Esc", .codes = { 27 }, .action = KA_BACK, .help = "back: close a pane, clear the filter",
	  .detail_footer = "Esc back", .keep = 8, .modes = KM_BOTH },
	{ .label = "s >", .codes = { 's', '>' }, .action = KA_SORT_NEXT, .help = "next sort column (* marks it)",
	  .footer = "< > sort", .keep = 0, .modes = KM_BOTH },
	{ .label = "<", .codes = { '<' }, .action = KA_SORT_PREV, .help = "previous sort column", .modes = KM_BOTH },
	{ .label = "r", .codes = { 'r' }, .action = KA_REVERSE, .help = "reverse the sort", .modes = KM_BOTH },
	{ .label = "/", .codes = { '/' }, .action = KA_FILTER,
	  .help = "filter by name or pid (typing replaces it); Enter applies", .footer = "/ filter",
	  .keep = 1, .modes = KM_BOTH },
	{ .label = "t", .codes = { 't' }, .action = KA_TOTALS, .help = "rates per second / totals since start",
	  .footer = "t totals", .detail_footer = "t rates/totals", .keep = 3, .modes = KM_BOTH },
	{ .label = "space", .codes = { ' ' }, .action = KA_PAUSE, .help = "pause / resume",
	  .footer = "space pause", .detail_footer = "space pause", .paused_footer = "space resume",
	  .keep = 7, .modes = KM_LIVE },
	{ .label = "space", .codes = { ' ' }, .action = KA_PAUSE, .help = "play / pause, at the recorded pace",
	  .footer = "space pause", .detail_footer = "space pause", .paused_footer = "space play",
	  .keep = 7, .modes = KM_REPLAY },
	{ .label = "+", .codes = { '+', '=' }, .action = KA_LONGER, .help = "longer interval", .modes = KM_LIVE },
	{ .label = "-", .codes = { '-', '_' }, .action = KA_SHORTER, .help = "shorter interval", .modes = KM_LIVE },
	{ .label = "+", .codes = { '+', '=' }, .action = KA_FASTER,
	  .help = "play faster (up to 64 times the recorded pace)", .modes = KM_REPLAY },
	{ .label = "-", .codes = { '-', '_' }, .action = KA_SLOWER, .help = "play slower (down to an eighth)",
	  .modes = KM_REPLAY },
	{ .label = "Right .", .codes = { KEY_RIGHT, '.' }, .action = KA_STEP_NEXT, .help = "the next interval",
	  .footer = "Left/Right step", .detail_footer = "Left/Right step", .keep = 6, .modes = KM_REPLAY },
	{ .label = "Left ,", .codes = { KEY_LEFT, ',' }, .action = KA_STEP_PREV, .help = "the interval before",
	  .modes = KM_REPLAY },
	{ .label = "[", .codes = { '[' }, .action = KA_FIRST, .help = "the first interval", .modes = KM_REPLAY },
	{ .label = "]", .codes = { ']' }, .action = KA_LAST, .help = "the last one: the run's totals, if it ended",
	  .modes = KM_REPLAY },
	{ .label = "g", .codes = { 'g' }, .action = KA_JUMP,
	  .help = "go to: +90s -5m (from here), 1h5m (from the start), 14:03", .footer = "g go to",
	  .keep = 4, .modes = KM_REPLAY },
	{ .label = "m", .codes = { 'm' }, .action = KA_NEXT_ENABLE,
	  .help = "the next dirty-log enable (a migration starts)", .footer = "m next migration",
	  .keep = 5, .modes = KM_REPLAY },
	{ .label = "M", .codes = { 'M' }, .action = KA_PREV_ENABLE, .help = "the dirty-log enable before",
	  .modes = KM_REPLAY },
	{ .label = "Up k", .codes = { KEY_UP, 'k' }, .action = KA_UP, .help = "select the VM above; scroll up",
	  .detail_footer = "Up/Down scroll", .keep = 5, .modes = KM_BOTH },
	{ .label = "Down j", .codes = { KEY_DOWN, 'j' }, .action = KA_DOWN,
	  .help = "select the VM below; scroll down", .modes = KM_BOTH },
	{ .label = "PgUp", .codes = { KEY_PPAGE }, .action = KA_PAGE_UP, .help = "a page up", .modes = KM_BOTH },
	{ .label = "PgDn", .codes = { KEY_NPAGE }, .action = KA_PAGE_DOWN, .help = "a page down", .modes = KM_BOTH },
	{ .label = "Home", .codes = { KEY_HOME }, .action = KA_HOME, .help = "the first VM", .modes = KM_BOTH },
	{ .label = "End", .codes = { KEY_END }, .action = KA_END, .help = "the last VM", .modes = KM_BOTH },
	{ .label = "u", .codes = { 'u' }, .action = KA_SOURCES, .help = "unavailable metrics, and why",
	  .modes = KM_BOTH },
	{ .label = "h ?", .codes = { 'h', '?' }, .action = KA_HELP, .help = "this help (any key closes it)",
	  .footer = "h help", .detail_footer = "h help", .keep = KEY_KEEP_ALWAYS, .modes = KM_BOTH },
	/* A prompt opens with its old text selected (the filter's): a
	 * printable key replaces it, these keep it to edit. */
	{ .label = "Enter", .codes = { '\n', '\r', KEY_ENTER }, .action = KA_EDIT_APPLY, .help = "apply",
	  .modes = KM_PROMPT },
	{ .label = "Esc", .codes = { 27 }, .action = KA_EDIT_CANCEL, .help = "leave, changing nothing",
	  .modes = KM_PROMPT },
	{ .label = "Backspace", .codes = { KEY_BACKSPACE, 127, 8 }, .action = KA_EDIT_BACKSPACE,
	  .help = "delete before the cursor", .modes = KM_PROMPT },
	{ .label = "Del", .codes = { KEY_DC }, .action = KA_EDIT_DELETE, .help = "delete at the cursor",
	  .modes = KM_PROMPT },
	{ .label = "Left", .codes = { KEY_LEFT }, .action = KA_EDIT_LEFT, .help = "cursor left", .modes = KM_PROMPT },
	{ .label = "Right", .codes = { KEY_RIGHT }, .action = KA_EDIT_RIGHT, .help = "cursor right",
	  .modes = KM_PROMPT },
	{ .label = "Home", .codes = { KEY_HOME, 1 }, .action = KA_EDIT_HOME, .help = "to the start",
	  .modes = KM_PROMPT },
	{ .label = "End", .codes = { KEY_END, 5 }, .action = KA_EDIT_END, .help = "to the end", .modes = KM_PROMPT },
	{ .label = "Ctrl-U", .codes = { 21 }, .action = KA_EDIT_CLEAR, .help = "clear the text", .modes = KM_PROMPT },
};

const unsigned int nr_key_bindings = sizeof(key_bindings) / sizeof(key_bindings[0]);

static bool in_mode(const struct key_binding *b, unsigned int mode)
{
	return (b->modes & mode) != 0;
}

enum key_action key_action_of(int code, unsigned int mode)
{
	unsigned int i, k;

	for (i = 0; i < nr_key_bindings; i++)
		for (k = 0; k < 4 && key_bindings[i].codes[k] && in_mode(&key_bindings[i], mode); k++)
			if (key_bindings[i].codes[k] == code)
				return key_bindings[i].action;
	return KA_NONE;
}

unsigned int key_help_lines(char lines[][96], unsigned int max, unsigned int mode)
{
	unsigned int i, n = 0;

	if (max < 2)
		return 0;
	snprintf(lines[n++], 96, mode == KM_REPLAY ? "splittop keys (replay)" : "splittop keys");
	lines[n++][0] = '\0';
	for (i = 0; i < nr_key_bindings && n < max; i++)
		if (in_mode(&key_bindings[i], mode))
			snprintf(lines[n++], 96, "%-14s %s", key_bindings[i].label, key_bindings[i].help);
	return n;
}

/* A footer's texts as the bindings give them, before any is dropped. */
struct footer_text {
	const char *text;
	size_t room;			/* bytes: at least its cells */
	unsigned int keep;
	bool shown, filtered;		/* filtered: the filter quoted after it */
};

static unsigned int footer_texts(const struct key_footer_state *st, struct footer_text *out)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr_key_bindings; i++) {
		const struct key_binding *b = &key_bindings[i];
		const char *text = st->detail ? b->detail_footer : b->footer;
		bool filtered = b->action == KA_FILTER && st->filter && *st->filter;

		if (!text || !in_mode(b, st->mode))
			continue;
		out[n] = (struct footer_text){ .text = text, .room = strlen(text), .keep = b->keep, .shown = true };
		if (b->paused_footer && strlen(b->paused_footer) > out[n].room)
			out[n].room = strlen(b->paused_footer);
		if (st->paused && b->paused_footer)
			out[n].text = b->paused_footer;
		if (filtered) {
			out[n].room += strlen(st->filter) + 3;
			out[n].keep = KEY_KEEP_ALWAYS;
			out[n].filtered = true;
		}
		n++;
	}
	return n;
}

static size_t footer_width(const struct footer_text *t, unsigned int n)
{
	size_t used = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i].shown)
			used += (used ? 2 : 0) + t[i].room;
	return used;
}

/* Drop texts, the lowest keep first, until the rest fit in width. */
static void footer_fit(struct footer_text *t, unsigned int n, unsigned int width)
{
	unsigned int i, low;

	while (width && footer_width(t, n) > width) {
		for (low = n, i = 0; i < n; i++)
			if (t[i].shown && t[i].keep < KEY_KEEP_ALWAYS && (low == n || t[i].keep <= t[low].keep))
				low = i;
		if (low == n)
			return;		/* the screen cuts what is left */
		t[low].shown = false;
	}
}

void key_footer(char *buf, size_t n, const struct key_footer_state *st)
{
	struct footer_text t[sizeof(key_bindings) / sizeof(key_bindings[0])];
	unsigned int i, nt;
	size_t o = 0;

	if (!n)
		return;
	buf[0] = '\0';
	nt = footer_texts(st, t);
	footer_fit(t, nt, st->width);
	for (i = 0; i < nt && o < n; i++) {
		if (!t[i].shown)
			continue;
		o += snprintf(buf + o, n - o, "%s%s", o ? "  " : "", t[i].text);
		if (t[i].filtered && o < n)
			o += snprintf(buf + o, n - o, " '%s'", st->filter);
	}
}
