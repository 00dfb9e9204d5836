// SPDX-License-Identifier: GPL-2.0-only
#include "self_stats.h"

#include <string.h>

/* A field of struct self_stats without a line in SELF_STATS would be shown
 * nowhere: refuse to build instead. */
_Static_assert(sizeof(struct self_stats) == NR_SELF_STATS * sizeof(__u64),
	       "every field of struct self_stats needs a SELF_STAT() line in self_stats.h");

const struct self_stat_def self_stat_defs[NR_SELF_STATS] = {
#define SELF_STAT_DEF(field, NAME, REC, LIMIT, HELP, EXIT, VIEW)				\
	[SELF_##field] = { .name = NAME, .help = HELP, .exit = EXIT, .view = VIEW,		\
			   .off = offsetof(struct self_stats, field), .rec = REC, .limit = LIMIT },
	SELF_STATS(SELF_STAT_DEF)
#undef SELF_STAT_DEF
};

__u64 self_stat_get(const struct self_stats *s, enum self_stat i)
{
	__u64 v;

	memcpy(&v, (const char *)s + self_stat_defs[i].off, sizeof(v));
	return v;
}

void self_stat_set(struct self_stats *s, enum self_stat i, __u64 v)
{
	memcpy((char *)s + self_stat_defs[i].off, &v, sizeof(v));
}

/* The formats are the table's, not literals, so the compiler cannot check
 * them: the unit test does (%llu, then %u exactly where an exit message has
 * a limit).  A format without %u leaves the limit unread, which C allows. */
void self_stat_text(char *buf, size_t n, enum self_stat i, const struct self_stats *s,
		    const struct self_limits *l)
{
	const struct self_stat_def *d = &self_stat_defs[i];
	const char *fmt = l ? d->exit : d->view;
	unsigned int limit = 0;

	if (!n)
		return;
	buf[0] = '\0';
	if (l)
		limit = d->limit == SL_MAX_VMS ? l->max_vms : d->limit == SL_MAX_VCPUS ? l->max_vcpus : 0;
	if (fmt)
		snprintf(buf, n, fmt, (unsigned long long)self_stat_get(s, i), limit);
}

void self_stats_report(FILE *f, const struct self_stats *s, const struct self_limits *l)
{
	unsigned int i;
	char text[256];

	for (i = 0; i < NR_SELF_STATS; i++) {
		if (!self_stat_get(s, i))
			continue;
		self_stat_text(text, sizeof(text), i, s, l);
		fprintf(f, "splittop: %s\n", text);
	}
}

void self_stats_view_line(char *buf, size_t n, const struct self_stats *s)
{
	unsigned int i;
	size_t o = 0;

	if (!n)
		return;
	buf[0] = '\0';
	for (i = 0; i < NR_SELF_STATS && o < n; i++) {
		char text[128];

		if (!self_stat_get(s, i) || !self_stat_defs[i].view)
			continue;
		self_stat_text(text, sizeof(text), i, s, NULL);
		o += snprintf(buf + o, n - o, "%s%s", o ? "  " : "", text);
	}
}
