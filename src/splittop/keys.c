// SPDX-License-Identifier: GPL-2.0-only
#include "keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

const struct key_binding key_bindings[] = {
	{ "q", { 'q', 'Q' }, KA_QUIT, "quit (and stop COMMAND)", "q quit", "q quit" },
	{ "Enter", { '\n', '\r', KEY_ENTER }, KA_DETAIL, "details of the selected VM",
	  "Enter detail", NULL },
	{ "Esc", { 27 }, KA_BACK, "back: close a pane, clear the filter", NULL, "Esc back" },
	{ "s >", { 's', '>' }, KA_SORT_NEXT, "next sort column (* marks it)", "< > sort", NULL },
	{ "<", { '<' }, KA_SORT_PREV, "previous sort column", NULL, NULL },
	{ "r", { 'r' }, KA_REVERSE, "reverse the sort", NULL, NULL },
	{ "/", { '/' }, KA_FILTER, "filter by name or pid; Enter applies", "/ filter", NULL },
	{ "t", { 't' }, KA_TOTALS, "rates per second / totals since start", "t totals",
	  "t rates/totals" },
	{ "space", { ' ' }, KA_PAUSE, "pause / resume", "space pause", "space pause" },
	{ "+", { '+', '=' }, KA_LONGER, "longer interval", NULL, NULL },
	{ "-", { '-', '_' }, KA_SHORTER, "shorter interval", NULL, NULL },
	{ "Up k", { KEY_UP, 'k' }, KA_UP, "select the VM above; scroll up", NULL, "Up/Down scroll" },
	{ "Down j", { KEY_DOWN, 'j' }, KA_DOWN, "select the VM below; scroll down", NULL, NULL },
	{ "PgUp", { KEY_PPAGE }, KA_PAGE_UP, "a page up", NULL, NULL },
	{ "PgDn", { KEY_NPAGE }, KA_PAGE_DOWN, "a page down", NULL, NULL },
	{ "Home", { KEY_HOME }, KA_HOME, "the first VM", NULL, NULL },
	{ "End", { KEY_END }, KA_END, "the last VM", NULL, NULL },
	{ "u", { 'u' }, KA_SOURCES, "unavailable metrics, and why", NULL, NULL },
	{ "h ?", { 'h', '?' }, KA_HELP, "this help (any key closes it)", "h help", "h help" },
};

const unsigned int nr_key_bindings = sizeof(key_bindings) / sizeof(key_bindings[0]);

enum key_action key_action_of(int code)
{
	unsigned int i, k;

	for (i = 0; i < nr_key_bindings; i++)
		for (k = 0; k < 4 && key_bindings[i].codes[k]; k++)
			if (key_bindings[i].codes[k] == code)
				return key_bindings[i].action;
	return KA_NONE;
}

unsigned int key_help_lines(char lines[][96], unsigned int max)
{
	unsigned int i, n = 0;

	if (max < 2)
		return 0;
	snprintf(lines[n++], 96, "splittop keys");
	lines[n++][0] = '\0';
	for (i = 0; i < nr_key_bindings && n < max; i++)
		snprintf(lines[n++], 96, "%-14s %s", key_bindings[i].label, key_bindings[i].help);
	return n;
}

void key_footer(char *buf, size_t n, int detail, const char *filter)
{
	unsigned int i;
	size_t o = 0;

	if (!n)
		return;
	buf[0] = '\0';
	for (i = 0; i < nr_key_bindings && o < n; i++) {
		const struct key_binding *b = &key_bindings[i];
		const char *text = detail ? b->detail_footer : b->footer;

		if (!text)
			continue;
		o += snprintf(buf + o, n - o, "%s%s", o ? "  " : "", text);
		if (b->action == KA_FILTER && filter && *filter && o < n)
			o += snprintf(buf + o, n - o, " '%s'", filter);
	}
}
