/* SPDX-License-Identifier: GPL-2.0-only */
/* --listen: /metrics over HTTP (libmicrohttpd, its own thread), from the
 * same snapshots as every other output. */
#ifndef SPLITTOP_EXPORTER_H
#define SPLITTOP_EXPORTER_H

#include "listen_addr.h"
#include "splittop/model/snapshot.h"
#include "web_config.h"

struct exporter;

/* Listen and serve, with wc's TLS and users if wc is not NULL (it must
 * outlive the exporter).  NULL on failure (printed: address in use, and so on). */
struct exporter *exporter_start(const struct listen_addr *a, const struct self_stats *self,
				const struct web_config *wc);

/* Publish a frame: the VMs of s (an interval frame: the live ones, and those
 * that ended in this interval).  A VM that ended stays in what is served
 * until a scrape has seen it and for 30 s at least.  0 or -ENOMEM (printed). */
int exporter_update(struct exporter *x, const struct snapshot *s);

void exporter_stop(struct exporter *x);

#endif
