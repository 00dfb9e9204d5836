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
