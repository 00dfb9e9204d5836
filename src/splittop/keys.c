// SPDX-License-Identifier: GPL-2.0-only
#include "keys.h"

#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const struct key_binding key_bindings[] = {
	{ "q", { 'q', 'Q' }, KA_QUIT, "quit (and stop COMMAND)", "q quit", "q quit", KM_BOTH },
	{ "Enter", { '\n', '\r', KEY_ENTER }, KA_DETAIL, "details of the selected VM",
	  "Enter detail", NULL, KM_BOTH },
	{ "Esc", { 27 }, KA_BACK, "back: close a pane, clear the filter", NULL, "Esc back", KM_BOTH },
	{ "s >", { 's', '>' }, KA_SORT_NEXT, "next sort column (* marks it)", "< > sort", NULL, KM_BOTH },
	{ "<", { '<' }, KA_SORT_PREV, "previous sort column", NULL, NULL, KM_BOTH },
	{ "r", { 'r' }, KA_REVERSE, "reverse the sort", NULL, NULL, KM_BOTH },
	{ "/", { '/' }, KA_FILTER, "filter by name or pid; Enter applies", "/ filter", NULL, KM_BOTH },
	{ "t", { 't' }, KA_TOTALS, "rates per second / totals since start", "t totals",
	  "t rates/totals", KM_BOTH },
	{ "space", { ' ' }, KA_PAUSE, "pause / resume", "space pause", "space pause", KM_LIVE },
	{ "space", { ' ' }, KA_PAUSE, "play / pause, at the recorded pace", "space play", "space play",
	  KM_REPLAY },
	{ "+", { '+', '=' }, KA_LONGER, "longer interval", NULL, NULL, KM_LIVE },
	{ "-", { '-', '_' }, KA_SHORTER, "shorter interval", NULL, NULL, KM_LIVE },
	{ "+", { '+', '=' }, KA_FASTER, "play faster (up to 64 times the recorded pace)", NULL, NULL, KM_REPLAY },
	{ "-", { '-', '_' }, KA_SLOWER, "play slower (down to an eighth)", NULL, NULL, KM_REPLAY },
	{ "Right .", { KEY_RIGHT, '.' }, KA_STEP_NEXT, "the next interval", "Left/Right step",
	  "Left/Right step", KM_REPLAY },
	{ "Left ,", { KEY_LEFT, ',' }, KA_STEP_PREV, "the interval before", NULL, NULL, KM_REPLAY },
	{ "[", { '[' }, KA_FIRST, "the first interval", NULL, NULL, KM_REPLAY },
	{ "]", { ']' }, KA_LAST, "the last one: the run's totals, if it ended", NULL, NULL, KM_REPLAY },
	{ "g", { 'g' }, KA_JUMP, "go to: +90s -5m (from here), 1h5m (from the start), 14:03", "g go to",
	  NULL, KM_REPLAY },
	{ "m", { 'm' }, KA_NEXT_ENABLE, "the next dirty-log enable (a migration starts)", "m next migration",
	  NULL, KM_REPLAY },
	{ "M", { 'M' }, KA_PREV_ENABLE, "the dirty-log enable before", NULL, NULL, KM_REPLAY },
	{ "Up k", { KEY_UP, 'k' }, KA_UP, "select the VM above; scroll up", NULL, "Up/Down scroll", KM_BOTH },
	{ "Down j", { KEY_DOWN, 'j' }, KA_DOWN, "select the VM below; scroll down", NULL, NULL, KM_BOTH },
	{ "PgUp", { KEY_PPAGE }, KA_PAGE_UP, "a page up", NULL, NULL, KM_BOTH },
	{ "PgDn", { KEY_NPAGE }, KA_PAGE_DOWN, "a page down", NULL, NULL, KM_BOTH },
	{ "Home", { KEY_HOME }, KA_HOME, "the first VM", NULL, NULL, KM_BOTH },
	{ "End", { KEY_END }, KA_END, "the last VM", NULL, NULL, KM_BOTH },
	{ "u", { 'u' }, KA_SOURCES, "unavailable metrics, and why", NULL, NULL, KM_BOTH },
	{ "h ?", { 'h', '?' }, KA_HELP, "this help (any key closes it)", "h help", "h help", KM_BOTH },
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

void key_footer(char *buf, size_t n, int detail, const char *filter, unsigned int mode)
{
	unsigned int i;
	size_t o = 0;

	if (!n)
		return;
	buf[0] = '\0';
	for (i = 0; i < nr_key_bindings && o < n; i++) {
		const struct key_binding *b = &key_bindings[i];
		const char *text = detail ? b->detail_footer : b->footer;

		if (!text || !in_mode(b, mode))
			continue;
		o += snprintf(buf + o, n - o, "%s%s", o ? "  " : "", text);
		if (b->action == KA_FILTER && filter && *filter && o < n)
			o += snprintf(buf + o, n - o, " '%s'", filter);
	}
}
