/* SPDX-License-Identifier: GPL-2.0-only */
/* '-- COMMAND': run it under tracing, pass its status on, and in the live
 * view keep its output off the screen (the tail is printed afterwards). */
#ifndef SPLITTOP_COMMAND_H
#define SPLITTOP_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define COMMAND_TAIL 8192	/* bytes of a captured command's output kept */

/* Where the command's output goes. */
enum command_output {
	COMMAND_INHERIT,	/* splittop's own stdout and stderr */
	COMMAND_STDOUT_TO_STDERR, /* splittop's stdout carries its rows: the command's goes to stderr */
	COMMAND_CAPTURE,	/* the live view owns the terminal: kept, printed after */
};

struct command {
	pid_t pid;		/* > 0 while it runs */
	int status;		/* wait status, once it ended */
	int out_fd;		/* captured stdout+stderr, or -1 */
	char tail[COMMAND_TAIL];
	size_t tail_len;
	bool truncated;
};

/* Start argv, its output where out says (captured: with /dev/null as
 * stdin).  It is sent SIGTERM if splittop dies, even of SIGKILL.
 * Returns 0, or -errno after printing why. */
int command_start(struct command *c, char **argv, enum command_output out);
/* Read what the command wrote so far into the tail; never blocks. */
void command_drain(struct command *c);
/* Has it exited?  Reaps it without waiting. */
bool command_reap(struct command *c);
/* Send sig and wait for it to end. */
void command_stop(struct command *c, int sig);
/* Print the captured tail to stderr and close the pipe. */
void command_flush(struct command *c, const char *name);
/* The status as a shell would report it. */
int command_exit_status(const struct command *c);

#endif
