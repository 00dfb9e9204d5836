// SPDX-License-Identifier: GPL-2.0-only
/* --replay's pure parts: what a recorded time may be, how the replay
 * labels it, its bounded line reader, and the frame nearest a time. */
#include "splittop/replay/recording_time.h"
#include "splittop/replay/replay.h"
#include "splittop/replay/replay_model.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct jr_token toks[64];
static struct jr_doc doc = { .t = toks, .cap = 64 };

/* A frame line with these times: its times' reading, or why not. */
static const char *frame_times(const char *tu, const char *el, double *t, double *e)
{
	static char err[128], line[256];

	snprintf(line, sizeof(line), "{\"type\":\"interval\",\"time_unix_s\":%s,\"elapsed_s\":%s,\"vms\":[]}", tu, el);
	if (jr_parse(&doc, line, strlen(line), err, sizeof(err)))
		return err;
	return rec_frame_times(&doc, 0, t, e, err, sizeof(err)) ? err : "";
}

static const char *interval(const char *host)
{
	static char err[128];
	double v;

	if (jr_parse(&doc, host, strlen(host), err, sizeof(err)))
		return err;
	if (rec_interval(&doc, 0, &v, err, sizeof(err)))
		return err;
	snprintf(err, sizeof(err), "%g", v);
	return err;
}

static void test_times(void)
{
	double t, e;

	CHECK_STR(frame_times("1795768473.072", "1.061", &t, &e), "", "a real frame's times");
	CHECK(t == 1795768473.072 && e == 1.061, "read");
	CHECK_STR(frame_times("1e400", "1", &t, &e), "time_unix_s: not a finite number", "1e400");
	CHECK_STR(frame_times("18446744073709551616", "1", &t, &e), "time_unix_s: beyond year 9999", "2^64");
	CHECK_STR(frame_times("-1", "1", &t, &e), "time_unix_s: negative", "-1");
	CHECK_STR(frame_times("253402300799", "253402300799", &t, &e), "", "the last second of 9999");
	CHECK_STR(frame_times("253402300800", "1", &t, &e), "time_unix_s: beyond year 9999", "10000-01-01");
	CHECK_STR(frame_times("1", "-0.001", &t, &e), "elapsed_s: negative", "elapsed before the start");
	CHECK_STR(frame_times("1", "1e400", &t, &e), "elapsed_s: not a finite number", "elapsed 1e400");
	CHECK_STR(frame_times("1", "\"1\"", &t, &e), "a frame without its time and VMs", "a string");
	CHECK_STR(interval("{\"interval_s\":0.2}"), "0.2", "interval_s");
	CHECK_STR(interval("{}"), "1", "no interval_s: 1");
	CHECK_STR(interval("{\"interval_s\":0}"), "interval_s: not an interval splittop takes (0.01..86400 s)", "0");
	CHECK_STR(interval("{\"interval_s\":1e400}"),
		  "interval_s: not an interval splittop takes (0.01..86400 s)", "1e400");
	CHECK(rec_ms(2.004) == 2004 && rec_ms(1795768473.072) == 1795768473072LL && rec_ms(-1) == -1000,
	      "milliseconds, exactly");
	CHECK(rec_ms(0.0025) == 3 && rec_ms(-0.0025) == -2 && rec_ms(-0.0004) == 0, "halves round up");
	CHECK(rec_ms(strtod("1e400", NULL)) == rec_ms(1e300) && rec_ms(-1e300) == -rec_ms(1e300) &&
	      rec_ms(strtod("nan", NULL)) == 0,
	      "clamped");
}

static void test_labels(void)
{
	char buf[64];

	setenv("TZ", "UTC", 1);
	rec_fmt_clock(buf, sizeof(buf), 1795768474.016);
	CHECK_STR(buf, "2026-11-27 08:34:34", "a time of day");
	rec_fmt_clock(buf, sizeof(buf), 253402300799);
	CHECK_STR(buf, "9999-12-31 23:59:59", "the last one");
	rec_fmt_clock(buf, sizeof(buf), 1e300);
	CHECK_STR(buf, "?", "an invalid time is not formatted");
	rec_fmt_span(buf, sizeof(buf), 2.004);
	CHECK_STR(buf, "2.0s", "a span");
	rec_fmt_span(buf, sizeof(buf), 245);
	CHECK_STR(buf, "4m05s", "minutes");
	rec_fmt_span(buf, sizeof(buf), 7390.4);
	CHECK_STR(buf, "2h03m10s", "hours");
	rec_fmt_span(buf, sizeof(buf), -1);
	CHECK_STR(buf, "?", "an invalid span is not formatted");
}

/* Each line replay_getline reads of text (len bytes), at most max each:
 * the lengths, or the error that ended it, joined by commas. */
static const char *lines_of(const char *text, size_t len, size_t max, size_t *peak)
{
	static char out[256];
	FILE *f = fmemopen((void *)text, len, "r");
	char *line = NULL;
	size_t cap = 0, o = 0;
	ssize_t n;

	out[0] = '\0';
	while (f && (n = replay_getline(&line, &cap, f, max)) != 0 && o < sizeof(out) - 32) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%zd", o ? "," : "", n);
		if (n < 0)
			break;
		if ((size_t)n != strlen(line))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "(not NUL-terminated)");
	}
	*peak = cap;
	free(line);
	if (f)
		fclose(f);
	return out;
}

static void test_getline(void)
{
	static char big[20000];
	size_t peak;
	char want[64];

	CHECK_STR(lines_of("ab\ncde\n\nf", 10, 100, &peak), "3,4,1,1", "lines, the last without its newline");
	CHECK_STR(lines_of("123456789\n", 10, 10, &peak), "10", "a line of max bytes, its newline in");
	CHECK_STR(lines_of("1234567890\n", 11, 10, &peak), "-7", "one byte more: -E2BIG");
	CHECK(peak <= 12, "the buffer never past max + 2: %zu", peak);
	CHECK_STR(lines_of("ab\0cd\nef\n", 9, 100, &peak), "-84", "a NUL byte: -EILSEQ");
	CHECK_STR(lines_of("\0", 1, 100, &peak), "-84", "a NUL byte alone");
	memset(big, 'x', sizeof(big));
	snprintf(want, sizeof(want), "%zu", sizeof(big));
	CHECK_STR(lines_of(big, sizeof(big), 1 << 20, &peak), want, "a line longer than the first buffer");
	CHECK_STR(lines_of(big, sizeof(big), 5000, &peak), "-7", "a long line without a newline: -E2BIG");
	CHECK(peak <= 5002, "read no further than the limit: %zu", peak);
	CHECK(E2BIG == 7 && EILSEQ == 84, "errno values as written above");
}

/* Real frames come a few ms after each whole second, by a few ms more or
 * less each time: interval k (index k - 1) at k s and late[k - 1] ms. */
static const int late[] = { 4, 5, 3, 2, 6, 4, 5, 3, 4, 6, 5, 4, 3, 6, 5, 4, 3, 2, 1, 4 };
#define NLATE (int)(sizeof(late) / sizeof(late[0]))

static void late_frames(struct rm_frame *fr)
{
	int i;

	for (i = 0; i < NLATE; i++) {
		fr[i].elapsed = (i + 1) + late[i] / 1000.0;
		fr[i].time_unix = 1795768000.6 + fr[i].elapsed;
	}
	/* The run's totals, at the last interval's unix time (shadow-clear2's
	 * is so), 5 ms later by elapsed. */
	fr[NLATE] = fr[NLATE - 1];
	fr[NLATE].elapsed += 0.005;
	fr[NLATE].total = true;
}

static void test_nearest(void)
{
	struct rm_frame fr[NLATE + 1] = { 0 };
	struct replay_model m = { .fr = fr, .nfr = NLATE + 1 };
	char label[32];

	late_frames(fr);
	/* g -2s from interval 6 (6.004 s): 4.004, nearest interval 4 (4.002),
	 * not the first at or after it (interval 5, 5.006). */
	CHECK_EQ_U64(replay_model_find_time(&m, fr[5].elapsed - 2, true) + 1, 4, "g -2s from 6.004 s");
	/* g +5s from interval 14 (14.006 s): 19.006, interval 19 (19.001). */
	CHECK_EQ_U64(replay_model_find_time(&m, fr[13].elapsed + 5, true) + 1, 19, "g +5s from 14.006 s");
	/* The frame labelled +2.0s is the one nearest 2. */
	rec_fmt_span(label, sizeof(label), fr[replay_model_find_time(&m, 2, true)].elapsed);
	CHECK_STR(label, "2.0s", "2 s: the frame labelled +2.0s");
	/* Halfway between 4.002 and 5.006: 4.504, a tie, the later. */
	CHECK_EQ_U64(replay_model_find_time(&m, 4.504, true) + 1, 5, "a tie goes to the later frame");
	CHECK_EQ_U64(replay_model_find_time(&m, 4.5035, true) + 1, 5, "to the millisecond: 4.504");
	CHECK_EQ_U64(replay_model_find_time(&m, 4.503, true) + 1, 4, "a millisecond nearer the earlier");
	CHECK_EQ_U64(replay_model_find_time(&m, -300, true), 0, "before the first: the first");
	CHECK_EQ_U64(replay_model_find_time(&m, 1e9, true), NLATE, "past the last: the last (the totals)");
	CHECK_EQ_U64(replay_model_find_time(&m, fr[NLATE - 1].elapsed + 0.002, true), NLATE - 1,
		     "the last interval, 3 ms before the totals");
	/* By unix time: interval 20 and the totals share theirs: the later. */
	CHECK_EQ_U64(replay_model_find_time(&m, fr[NLATE - 1].time_unix, false), NLATE,
		     "of frames at the same millisecond, the last");
	/* A time of day, to the second: 1795768003 is nearest interval 2
	 * (0.395 s before it), which the header labels so, rounded. */
	CHECK_EQ_U64(replay_model_find_time(&m, 1795768003, false) + 1, 2, "a whole second: the nearest frame");
	setenv("TZ", "UTC", 1);
	rec_fmt_clock(label, sizeof(label), fr[1].time_unix);
	CHECK_STR(label, "2026-11-27 08:26:43", "labelled with that second");
}

int main(void)
{
	test_times();
	test_nearest();
	test_labels();
	test_getline();
	return unit_done();
}
