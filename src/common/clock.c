// SPDX-License-Identifier: GPL-2.0-only
#include "clock.h"

#include <time.h>

double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
