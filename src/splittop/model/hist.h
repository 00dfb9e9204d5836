/* SPDX-License-Identifier: GPL-2.0-only */
/* Arithmetic on counter arrays and BPF's log2 histograms: plain functions of
 * their arguments, apart from the VM table, so that the metric table (and
 * what links it) needs no VM table to compute a sum or a quantile. */
#ifndef SPLITTOP_HIST_H
#define SPLITTOP_HIST_H

#include <stdint.h>

#include "splittop.h"

/* Upper bound, in ns, of the log2 bucket that holds quantile q (0 < q <= 1)
 * of the samples; 0 when there are none. */
uint64_t hist_quantile_ns(const __u64 *hist, unsigned int buckets, double q);
uint64_t sum_u64(const __u64 *v, unsigned int n);

#endif
