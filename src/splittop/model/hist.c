// SPDX-License-Identifier: GPL-2.0-only
#include "hist.h"

uint64_t sum_u64(const __u64 *v, unsigned int n)
{
	uint64_t t = 0;

	while (n--)
		t += v[n];
	return t;
}

uint64_t hist_quantile_ns(const __u64 *hist, unsigned int buckets, double q)
{
	uint64_t total = 0, seen = 0, rank;
	unsigned int b;

	for (b = 0; b < buckets; b++)
		total += hist[b];
	if (!total || q <= 0)
		return 0;
	if (q > 1)
		q = 1;
	/* The rank of the quantile sample, 1-based, rounded up: p99 of 100
	 * samples is the 99th, of 1 sample the 1st. */
	rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++;
	if (!rank)
		rank = 1;
	for (b = 0; b < buckets; b++) {
		seen += hist[b];
		if (seen >= rank)
			break;
	}
	if (b >= buckets)
		b = buckets - 1;
	/* Bucket b holds [2^b, 2^(b+1)) ns (bucket 0 also holds 0). */
	return b >= 63 ? UINT64_MAX : (2ULL << b) - 1;
}
