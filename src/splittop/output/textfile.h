/* SPDX-License-Identifier: GPL-2.0-only */
/* --textfile DIR: DIR/splittop.prom for node_exporter's textfile collector,
 * the Prometheus text format (0.0.4) of the run totals, written again each
 * interval, whole or not at all. */
#ifndef SPLITTOP_TEXTFILE_H
#define SPLITTOP_TEXTFILE_H

#include <stddef.h>

#include "splittop/model/snapshot.h"

#define TEXTFILE_NAME	"splittop.prom"

/* Open DIR (a directory, not a symbolic link to one): its descriptor, or -1
 * with why (strerror or what is wrong). */
int textfile_open_dir(const char *dir, char *why, size_t whylen);

/* Write the frame's VMs and self counters to a new file in dirfd, 0644, then
 * rename it over splittop.prom: a reader sees the old file or the new one,
 * never a part (rename(2) replaces a symbolic link of that name, follows none).
 * Nothing else in DIR is touched; the temporary file is removed on failure.
 * 0 or a negative errno (the caller prints it). */
int textfile_write(int dirfd, const struct snapshot *s);

#endif
