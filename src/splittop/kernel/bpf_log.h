/* SPDX-License-Identifier: GPL-2.0-only */
/* libbpf's messages: on standard error with -v, else held back.  Either way
 * the name of a program the kernel refused is kept, so that the one error
 * line can say which program, not only that loading failed. */
#ifndef SPLITTOP_BPF_LOG_H
#define SPLITTOP_BPF_LOG_H

#include <stdbool.h>

void bpf_log_init(bool verbose);
/* Forget the last refused program (before a load). */
void bpf_log_reset(void);
/* The program libbpf last said the kernel refused, or "" if none. */
const char *bpf_log_refused(void);

#endif
