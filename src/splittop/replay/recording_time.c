// SPDX-License-Identifier: GPL-2.0-only
#include "recording_time.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

const char *rec_time_bad(double v)
{
	if (!isfinite(v))
		return "not a finite number";
	if (v < 0)
		return "negative";
	if (v > REC_TIME_MAX)
		return "beyond year 9999";
	return NULL;
}

/* Member key of root as a recorded time into *out.  0, or -1 with why. */
static int time_of(const struct jr_doc *d, int root, const char *key, double *out, char *err, size_t errlen)
{
	int t = jr_get(d, root, key);
	const char *why = "not a finite number";

	if (t < 0 || d->t[t].type != JR_NUMBER) {
		snprintf(err, errlen, "a frame without its time and VMs");
		return -1;
	}
	if (!jr_double(d, t, out) || (why = rec_time_bad(*out))) {
		snprintf(err, errlen, "%s: %s", key, why);
		return -1;
	}
	return 0;
}

int rec_frame_times(const struct jr_doc *d, int root, double *time_unix, double *elapsed, char *err,
		    size_t errlen)
{
	if (time_of(d, root, "time_unix_s", time_unix, err, errlen) ||
	    time_of(d, root, "elapsed_s", elapsed, err, errlen))
		return -1;
	return 0;
}

int rec_interval(const struct jr_doc *d, int root, double *out, char *err, size_t errlen)
{
	int t = jr_get(d, root, "interval_s");

	*out = 1;
	if (t < 0)
		return 0;
	/* Written by -i: 0.01..86400 s (NaN fails both comparisons). */
	if (!jr_double(d, t, out) || !(*out >= REC_INTERVAL_MIN && *out <= REC_INTERVAL_MAX)) {
		snprintf(err, errlen, "interval_s: not an interval splittop takes (%g..%g s)", REC_INTERVAL_MIN,
			 REC_INTERVAL_MAX);
		return -1;
	}
	return 0;
}

int64_t rec_ms(double v)
{
	double x;
	int64_t ms;

	/* An asked time may lie before 0 or past year 9999 (-5m from the
	 * start); far past either, it is as far as anything compared. */
	if (!(v > -2 * REC_TIME_MAX))
		v = isnan(v) ? 0 : -2 * REC_TIME_MAX;
	if (v > 2 * REC_TIME_MAX)
		v = 2 * REC_TIME_MAX;
	x = v * 1000 + 0.5;
	ms = (int64_t)x;
	return ms > x ? ms - 1 : ms;	/* floor: halves round up */
}

void rec_fmt_clock(char *buf, size_t n, double time_unix)
{
	time_t t;
	struct tm tm;

	if (rec_time_bad(time_unix)) {
		snprintf(buf, n, "?");
		return;
	}
	/* To the nearest second, as a time of day asked is matched with the
	 * nearest frame: the frame labelled 14:05:30 is the one g 14:05:30
	 * and --end 14:05:30 take (with frames a second or more apart). */
	t = (time_t)(time_unix + 0.5);
	if (!localtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "?");
}

void rec_fmt_span(char *buf, size_t n, double s)
{
	unsigned long long t;

	if (rec_time_bad(s)) {
		snprintf(buf, n, "?");
		return;
	}
	t = (unsigned long long)(s + 0.5);
	if (s < 60)
		snprintf(buf, n, "%.1fs", s);
	else if (t < 3600)
		snprintf(buf, n, "%llum%02llus", t / 60, t % 60);
	else
		snprintf(buf, n, "%lluh%02llum%02llus", t / 3600, t / 60 % 60, t % 60);
}
