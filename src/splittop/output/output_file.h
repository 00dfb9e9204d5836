/* SPDX-License-Identifier: GPL-2.0-only */
/* -o FILE opened as a tool that runs as root must open it: in a directory
 * others can write to (/tmp), the name may already be theirs. */
#ifndef SPLITTOP_OUTPUT_FILE_H
#define SPLITTOP_OUTPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

/* New files get this mode, less the umask (see the man page, -o). */
#define OUTPUT_FILE_MODE 0644

/* path for writing, truncated: created (OUTPUT_FILE_MODE) if absent; an
 * existing one only if it is not a symbolic link, belongs to this user, and
 * is a regular file with one link, a FIFO or a character device (/dev/null).
 * NULL with why (a line without "splittop: " or the path) when refused. */
FILE *output_open(const char *path, char *why, size_t whylen);

#endif
