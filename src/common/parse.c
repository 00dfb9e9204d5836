// SPDX-License-Identifier: GPL-2.0-only
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* strtoull accepts leading blanks and a minus sign; a value from a user must not. */
static int digits_only_prefix(const char *s)
{
	return s && isdigit((unsigned char)s[0]);
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!digits_only_prefix(s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err = parse_u64(s, min, max, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!digits_only_prefix(s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	/* Accept "64M", "64MB", "64MiB" alike. */
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	v <<= shift;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0')
		return -EINVAL;
	/* strtod also takes "inf", "nan" and hex floats; the first check rules out the first two. */
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_span(const char *s, double max, double *out)
{
	static const char units[] = "hms";
	static const double unit_s[] = { 3600, 60, 1 };
	double total = 0;
	int next = 0;	/* the first unit still allowed */

	int r;

	if (!s || !s[0])
		return -EINVAL;
	r = parse_seconds(s, 0, max, out);
	if (r != -EINVAL)
		return r;
	while (*s) {
		char *end;
		const char *u;
		double v;

		if (!isdigit((unsigned char)s[0]))
			return -EINVAL;
		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno == ERANGE || !isfinite(v) || !*end)
			return -EINVAL;
		u = strchr(units, *end);
		if (!u || !*u || u - units < next)
			return -EINVAL;
		next = (int)(u - units) + 1;
		total += v * unit_s[u - units];
		s = end + 1;
	}
	if (total > max)
		return -ERANGE;
	*out = total;
	return 0;
}

int parse_clock(const char *s, double *out)
{
	unsigned int v[3] = { 0, 0, 0 };
	int parts = 0;

	if (!s)
		return -EINVAL;
	while (parts < 3) {
		unsigned int x = 0;
		int digits = 0;

		while (isdigit((unsigned char)*s) && digits < 2) {
			x = x * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		/* The hour may have one digit; minutes and seconds have two. */
		if (!digits || (parts && digits != 2))
			return -EINVAL;
		v[parts++] = x;
		if (*s != ':')
			break;
		s++;
	}
	if (*s || parts < 2 || v[0] > 23 || v[1] > 59 || v[2] > 59)
		return -EINVAL;
	*out = v[0] * 3600.0 + v[1] * 60.0 + v[2];
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "y", "yes", "1", "on", "true" };
	static const char *const no[] = { "n", "no", "0", "off", "false" };
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}
