// SPDX-License-Identifier: GPL-2.0-only
/* --replay's pure parts: what a recorded time may be, how the replay
 * labels it, and its bounded line reader. */
#include "splittop/recording_time.h"
#include "splittop/replay.h"
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
	CHECK(rec_ms(2.004) == 2004 && rec_ms(1795768473.072) == 1795768473072LL && rec_ms(-1) == -1,
	      "milliseconds, exactly");
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

int main(void)
{
	test_times();
	test_labels();
	test_getline();
	return unit_done();
}
