/* SPDX-License-Identifier: GPL-2.0-only */
/* --replay FILE: a recording made by splittop --json, read back and written
 * again as CSV or JSON (the VMs that -p and --vm select), without root,
 * BPF or KVM.  The CSV equals what the recorded run would have printed with
 * --csv, byte for byte; the JSON is the recording's own lines. */
#ifndef SPLITTOP_REPLAY_H
#define SPLITTOP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* No line of a recording comes near this (4096 VMs with their vCPUs do
 * not); a longer one is not a recording's. */
#define REPLAY_LINE_MAX	(64u << 20)

/* One line of f into *line (NUL-terminated, its newline kept), *line grown
 * as it is read, to max + 2 bytes at most: a longer line is refused once
 * max + 1 bytes of it are in (a 1 GiB line from a pipe costs no more).
 * The line's length; 0 at the end of the file; -E2BIG for a longer line,
 * -EILSEQ for a NUL byte in it (never a recording's), -ENOMEM, -EIO.  A
 * last line without its newline is returned as it is. */
ssize_t replay_getline(char **line, size_t *cap, FILE *f, size_t max);
/* A recording opened for reading: a regular file or a pipe (never a
 * directory or a device).  NULL with why set (for "splittop: ... FILE:
 * why"). */
FILE *recording_open(const char *path, const char **why);

/* A recording refused: one line on stderr, "splittop: WHAT PATH[:LINE]:
 * " then fmt with why (WHAT: "--replay", "report"; lineno 0: none).
 * Returns 2, the exit status of a file splittop cannot read. */
int recording_refuse(const char *what, const char *path, unsigned long lineno, const char *fmt,
		     const char *why);

/* What a negative replay_getline() means, for a message. */
const char *replay_line_error(ssize_t err);

/* --begin/--end: a span from the recording's start (seconds since its
 * splittop started: elapsed_s), or a time of day (local). */
struct when {
	bool set, clock;
	double v;		/* seconds: since the start, or since midnight */
};

struct replay_opts {
	const char *path;
	FILE *out;
	bool json;			/* else CSV */
	const uint32_t *pids;		/* -p: only these (npids 0: all) */
	unsigned int npids;
	const char *vm_name;		/* --vm: only this one */
	struct when begin, end;		/* only the frames between; totals only without end */
};

/* A time of day (seconds since midnight, local) as unix time: on the day
 * the recording started (start, unix), or the day after if that is before
 * the start (a night's run). */
double replay_clock_at(double start, double since_midnight);

/* Write the recording out.  0; 2 for a file that is not a recording it can
 * read (one line printed: "splittop: --replay FILE[:LINE]: ..."); 1 if
 * the output failed. */
int replay_run(const struct replay_opts *o);

#endif
