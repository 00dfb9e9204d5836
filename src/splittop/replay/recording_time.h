/* SPDX-License-Identifier: GPL-2.0-only */
/* A recording's times (splittop --json: each frame's time_unix_s and
 * elapsed_s, the host line's interval_s) read and checked, and written as
 * the replay labels them.  The one place that says what a recorded time may
 * be: a finite number of seconds from 0 to the end of year 9999, so that
 * every time the replay shows, slices by or turns into an integer is one.
 * No I/O: unit-tested and fuzzed. */
#ifndef SPLITTOP_RECORDING_TIME_H
#define SPLITTOP_RECORDING_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "json_reader.h"

/* 9999-12-31 23:59:59 UTC: the last second a four-digit year writes. */
#define REC_TIME_MAX	253402300799.0
/* What -i takes: a recording's interval_s. */
#define REC_INTERVAL_MIN	0.01
#define REC_INTERVAL_MAX	86400.0

/* Why seconds v cannot be a recorded time ("not a finite number",
 * "negative", "beyond year 9999"), or NULL. */
const char *rec_time_bad(double v);

/* A frame line's (object root's) time_unix_s and elapsed_s.  0, or -1 with
 * why in err ("time_unix_s: negative"). */
int rec_frame_times(const struct jr_doc *d, int root, double *time_unix, double *elapsed, char *err,
		    size_t errlen);

/* The host line's interval_s, 1 where absent (format 0 has it too).  0, or
 * -1 with why in err. */
int rec_interval(const struct jr_doc *d, int root, double *out, char *err, size_t errlen);

/* Seconds in whole milliseconds, halves rounded up: frames are stamped to
 * the millisecond, and times compared so are equal when they print equal.
 * Any number: beyond twice REC_TIME_MAX either way it is clamped there. */
int64_t rec_ms(double v);

/* The replay's labels of a good recorded time, each rounded: its time of
 * day (local, to the second), "2026-11-27 08:34:34"; its span since the
 * recorded start, "12.3s", "4m05s", "2h03m10s".  Anything else is "?". */
void rec_fmt_clock(char *buf, size_t n, double time_unix);
void rec_fmt_span(char *buf, size_t n, double s);

#endif
