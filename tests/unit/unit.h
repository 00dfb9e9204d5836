/* SPDX-License-Identifier: GPL-2.0-only */
/* A tiny assertion kit for the unit tests: each test binary prints one
 * "ok"/"not ok" line per check (TAP) and exits non-zero on any failure. */
#ifndef SPLITTOP_UNIT_H
#define SPLITTOP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_checks, unit_failures;

#define CHECK(cond, ...) do {						\
	unit_checks++;							\
	if (cond) {							\
		printf("ok %d - ", unit_checks);			\
	} else {							\
		unit_failures++;					\
		printf("not ok %d - %s:%d: ", unit_checks, __FILE__, __LINE__); \
	}								\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
} while (0)

#define CHECK_EQ_U64(a, b, what) do {					\
	unsigned long long a_ = (a), b_ = (b);				\
	CHECK(a_ == b_, "%s: got %llu, want %llu", what, a_, b_);	\
} while (0)

#define CHECK_STR(a, b, what) do {					\
	const char *a_ = (a), *b_ = (b);				\
	CHECK(a_ && b_ && !strcmp(a_, b_), "%s: got '%s', want '%s'", what, a_ ? a_ : "(null)", b_); \
} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_checks);
	return unit_failures ? 1 : 0;
}

#endif
