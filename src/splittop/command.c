// SPDX-License-Identifier: GPL-2.0-only
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child, before exec: its output as asked, and its death tied to
 * splittop's.  parent: splittop's pid, to close the race of a parent that
 * died before the death signal was armed. */
static void child_setup(enum command_output out, int outpipe, pid_t parent)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != parent)
		_exit(128 + SIGTERM);
	if (out == COMMAND_STDOUT_TO_STDERR) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
	} else if (out == COMMAND_CAPTURE) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(outpipe, STDOUT_FILENO);
		dup2(outpipe, STDERR_FILENO);
	}
}

int command_start(struct command *c, char **argv, enum command_output out)
{
	bool capture = out == COMMAND_CAPTURE;
	pid_t parent = getpid();
	int errpipe[2], outpipe[2] = { -1, -1 };
	int err = 0;
	ssize_t n;

	*c = (struct command){ .out_fd = -1 };
	if (pipe2(errpipe, O_CLOEXEC))
		return -errno;
	if (capture && pipe2(outpipe, O_CLOEXEC)) {
		err = -errno;
		goto close_err;
	}
	c->pid = fork();
	if (c->pid < 0) {
		err = -errno;
		goto close_out;
	}
	if (c->pid == 0) {
		child_setup(out, outpipe[1], parent);
		execvp(argv[0], argv);
		err = errno;
		n = write(errpipe[1], &err, sizeof(err));
		(void)n;
		_exit(127);
	}
	close(errpipe[1]);
	errpipe[1] = -1;
	/* The pipe closes on a successful exec: an errno in it means it failed. */
	n = read(errpipe[0], &err, sizeof(err));
	if (n == sizeof(err)) {
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
		fprintf(stderr, "splittop: cannot run '%s': %s\n", argv[0], strerror(err));
		err = -err;
		goto close_out;
	}
	err = 0;
	if (capture) {
		close(outpipe[1]);
		c->out_fd = outpipe[0];
		fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
		outpipe[0] = -1;
	}
close_out:
	if (outpipe[0] >= 0) {
		close(outpipe[0]);
		close(outpipe[1]);
	}
close_err:
	close(errpipe[0]);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	return err;
}

void command_drain(struct command *c)
{
	char buf[COMMAND_TAIL / 2];
	ssize_t n;

	while (c->out_fd >= 0 && (n = read(c->out_fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				close(c->out_fd), c->out_fd = -1;
			return;
		}
		/* Keep the last COMMAND_TAIL bytes (buf is smaller than that). */
		if (c->tail_len + n > COMMAND_TAIL) {
			size_t drop = c->tail_len + n - COMMAND_TAIL;

			memmove(c->tail, c->tail + drop, c->tail_len - drop);
			c->tail_len -= drop;
			c->truncated = true;
		}
		memcpy(c->tail + c->tail_len, buf, n);
		c->tail_len += n;
	}
	/* End of file: every writer is gone. */
	if (c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
}

bool command_reap(struct command *c)
{
	if (c->pid <= 0)
		return true;
	if (waitpid(c->pid, &c->status, WNOHANG) != c->pid)
		return false;
	c->pid = 0;
	return true;
}

void command_stop(struct command *c, int sig)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, sig);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

void command_flush(struct command *c, const char *name)
{
	command_drain(c);
	if (c->tail_len) {
		fprintf(stderr, "splittop: output of %s%s:\n", name,
			c->truncated ? " (its last 8 KiB)" : "");
		fwrite(c->tail, 1, c->tail_len, stderr);
		if (c->tail[c->tail_len - 1] != '\n')
			fputc('\n', stderr);
	}
	c->tail_len = 0;
	if (c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
}

int command_exit_status(const struct command *c)
{
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status);
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return 1;
}
