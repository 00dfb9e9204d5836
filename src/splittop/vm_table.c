// SPDX-License-Identifier: GPL-2.0-only
#include "vm_table.h"

/* Counters only grow while a VM lives; a smaller value would mean a reused
 * slot, which the caller never hands us, so clamp instead of wrapping. */
static uint64_t sub(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

void vm_counters_delta(const struct vm_counters *now, const struct vm_counters *prev,
		       struct vm_counters *out)
{
	const uint64_t *n = (const uint64_t *)now, *p = (const uint64_t *)prev;
	uint64_t *o = (uint64_t *)out;
	unsigned int i;

	for (i = 0; i < sizeof(*now) / sizeof(uint64_t); i++)
		o[i] = sub(n[i], p[i]);
}
