// SPDX-License-Identifier: GPL-2.0-only
#include "common/parse.h"
#include "unit.h"

#include <errno.h>
#include <stdint.h>

int main(void)
{
	uint64_t v = 7;
	uint32_t u = 7;
	double d = 0;
	bool b = false;

	CHECK(!parse_size("64M", 1, UINT64_MAX, &v) && v == 64ULL << 20, "64M");
	CHECK(!parse_size("1G", 1, UINT64_MAX, &v) && v == 1ULL << 30, "1G");
	CHECK(!parse_size("2m", 1, UINT64_MAX, &v) && v == 2ULL << 20, "2m");
	CHECK(!parse_size("512KiB", 1, UINT64_MAX, &v) && v == 512ULL << 10, "512KiB");
	CHECK(!parse_size("4096", 1, UINT64_MAX, &v) && v == 4096, "plain bytes");
	v = 7;
	CHECK(parse_size("0", 1, UINT64_MAX, &v) == -ERANGE && v == 7, "size 0 is out of range and leaves the output");
	CHECK(parse_size("", 1, UINT64_MAX, &v) == -EINVAL, "empty size");
	CHECK(parse_size("-1M", 1, UINT64_MAX, &v) == -EINVAL, "negative size");
	CHECK(parse_size(" 1M", 1, UINT64_MAX, &v) == -EINVAL, "leading blank");
	CHECK(parse_size("1X", 1, UINT64_MAX, &v) == -EINVAL, "unknown unit");
	CHECK(parse_size("1MM", 1, UINT64_MAX, &v) == -EINVAL, "trailing junk");
	CHECK(parse_size("99999999999999999999", 1, UINT64_MAX, &v) == -ERANGE, "overflowing number");
	CHECK(parse_size("20000000000T", 1, UINT64_MAX, &v) == -ERANGE, "overflowing shift");
	CHECK(parse_size(NULL, 1, UINT64_MAX, &v) == -EINVAL, "NULL");

	CHECK(!parse_u32("64", 1, 64, &u) && u == 64, "u32 at max");
	CHECK(parse_u32("65", 1, 64, &u) == -ERANGE, "u32 above max");
	CHECK(parse_u32("0", 1, 64, &u) == -ERANGE, "u32 below min");
	CHECK(parse_u32("4294967296", 0, UINT32_MAX, &u) == -ERANGE, "u32 overflow");
	CHECK(parse_u32("abc", 0, 10, &u) == -EINVAL, "u32 not a number");
	CHECK(parse_u32("1e3", 0, 10000, &u) == -EINVAL, "u32 exponent");
	CHECK(parse_u32("+3", 0, 10, &u) == -EINVAL, "u32 with sign");

	CHECK(!parse_span("90", 1e9, &d) && d == 90, "a span in seconds");
	CHECK(!parse_span("2.5", 1e9, &d) && d == 2.5, "a fraction");
	CHECK(!parse_span("1h30m", 1e9, &d) && d == 5400, "1h30m");
	CHECK(!parse_span("5m", 1e9, &d) && d == 300, "5m");
	CHECK(!parse_span("90s", 1e9, &d) && d == 90, "90s");
	CHECK(!parse_span("2h5m10s", 1e9, &d) && d == 7510, "2h5m10s");
	CHECK(!parse_span("1.5h", 1e9, &d) && d == 5400, "1.5h");
	CHECK(parse_span("5m1h", 1e9, &d) == -EINVAL, "units out of order");
	CHECK(parse_span("5m5m", 1e9, &d) == -EINVAL, "a unit twice");
	CHECK(parse_span("1h30", 1e9, &d) == -EINVAL, "a number without its unit");
	CHECK(parse_span("5x", 1e9, &d) == -EINVAL, "an unknown unit");
	CHECK(parse_span("-5m", 1e9, &d) == -EINVAL, "a sign");
	CHECK(parse_span("", 1e9, &d) == -EINVAL, "empty");
	CHECK(parse_span("h", 1e9, &d) == -EINVAL, "a unit alone");
	CHECK(parse_span("2h", 3600, &d) == -ERANGE && parse_span("7200", 3600, &d) == -ERANGE, "past max");
	CHECK(!parse_clock("14:05", &d) && d == 50700, "HH:MM");
	CHECK(!parse_clock("9:05:30", &d) && d == 32730, "H:MM:SS");
	CHECK(!parse_clock("00:00", &d) && d == 0, "midnight");
	CHECK(!parse_clock("23:59:59", &d) && d == 86399, "the last second");
	CHECK(parse_clock("24:00", &d) == -EINVAL, "hour 24");
	CHECK(parse_clock("12:60", &d) == -EINVAL, "minute 60");
	CHECK(parse_clock("12:5", &d) == -EINVAL, "one minute digit");
	CHECK(parse_clock("12", &d) == -EINVAL, "no minutes");
	CHECK(parse_clock("12:05:", &d) == -EINVAL, "a colon without seconds");
	CHECK(parse_clock("12:05:07:01", &d) == -EINVAL, "four parts");
	CHECK(parse_clock("123:05", &d) == -EINVAL, "three hour digits");
	CHECK(parse_clock(" 1:05", &d) == -EINVAL, "a space");
	CHECK(!parse_seconds("0.25", 0.001, 3600, &d) && d == 0.25, "fractional seconds");
	CHECK(!parse_seconds("2", 0.001, 3600, &d) && d == 2, "whole seconds");
	CHECK(parse_seconds("0", 0.001, 3600, &d) == -ERANGE, "zero seconds");
	CHECK(parse_seconds("-1", 0.001, 3600, &d) == -EINVAL, "negative seconds");
	CHECK(parse_seconds("inf", 0.001, 3600, &d) == -EINVAL, "inf");
	CHECK(parse_seconds("nan", 0.001, 3600, &d) == -EINVAL, "nan");
	CHECK(parse_seconds("1s", 0.001, 3600, &d) == -EINVAL, "unit suffix");
	CHECK(parse_seconds("1e400", 0.001, 1e300, &d) == -ERANGE, "huge");

	CHECK(!parse_bool("Y", &b) && b, "Y");
	CHECK(!parse_bool("no", &b) && !b, "no");
	CHECK(parse_bool("maybe", &b) == -EINVAL, "maybe");
	return unit_done();
}
