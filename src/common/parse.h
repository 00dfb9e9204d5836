/* SPDX-License-Identifier: GPL-2.0-only */
/* Strict parsers for command-line values, shared by splittop and dirtyvm. */
#ifndef SPLITTOP_PARSE_H
#define SPLITTOP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Each parser returns 0 on success, or -EINVAL (malformed) / -ERANGE (outside
 * [min, max]) and leaves *out untouched.  None of them prints: the caller knows
 * which option it was and says so once.
 */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* "64M", "1G", "4096", "2m", "512K"; binary units. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Seconds as a decimal with optional fraction: "1", "0.25", "2.5". */
int parse_seconds(const char *s, double min, double max, double *out);
/* A span of time: seconds ("90", "2.5"), or hours, minutes and seconds in
 * that order, each at most once ("1h30m", "5m", "90s", "2h5m10s"), at most
 * max seconds. */
int parse_span(const char *s, double max, double *out);
/* A time of day, "HH:MM" or "HH:MM:SS" (24 h), as seconds since midnight. */
int parse_clock(const char *s, double *out);
/* "y", "yes", "1", "on" / "n", "no", "0", "off". */
int parse_bool(const char *s, bool *out);

#endif
