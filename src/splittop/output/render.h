/* SPDX-License-Identifier: GPL-2.0-only */
/* Headless renderers: each gets the host and sources once, then whole
 * snapshots, one per frame ("interval" rows or the run's "total" rows). */
#ifndef SPLITTOP_RENDER_H
#define SPLITTOP_RENDER_H

#include <stdio.h>

#include "splittop/model/snapshot.h"

struct renderer {
	void (*start)(FILE *f, const struct snapshot *s, double interval);
	void (*frame)(FILE *f, const struct snapshot *s, enum scope sc);
};

extern const struct renderer csv_renderer, json_renderer;

static inline const char *scope_name(enum scope sc)
{
	return sc == SCOPE_TOTAL ? "total" : "interval";
}

#endif
