/* SPDX-License-Identifier: GPL-2.0-only */
/* Monotonic time as seconds, shared by the tick loop, the replay view and
 * the exporter: one definition, so all three measure the same way. */
#ifndef SPLITTOP_CLOCK_H
#define SPLITTOP_CLOCK_H

/* CLOCK_MONOTONIC seconds: intervals that a wall-clock step cannot bend. */
double now_mono(void);

#endif
