/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef SPLITTOP_VM_NAME_H
#define SPLITTOP_VM_NAME_H

#include <stddef.h>

/* The VM's name from a process command line (NUL-separated argv, len bytes):
 * QEMU's "-name guest=NAME,..." or "-name NAME", dirtyvm's "--name NAME" or
 * "--name=NAME"; else the basename of argv[0].  Always NUL-terminates out. */
void vm_name_from_cmdline(const char *cmdline, size_t len, char *out, size_t outlen);

#endif
