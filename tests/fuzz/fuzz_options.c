// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: splittop's option parser.  The input is argv, NUL-separated.
 * Whatever it is, the parser returns run/help/usage error, never crashes,
 * and a "run" result is within the documented bounds.  Run it with
 * -close_fd_mask=3: usage errors and --help print. */
#include "splittop/options.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	struct options o;
	int argc = 1, rc;
	size_t i, start = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "splittop";
	for (i = 0; i <= size && argc < MAX_ARGS + 1; i++) {
		if (i == size || buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	rc = options_parse(argc, argv, &o);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == 0) {
		if (!(o.interval >= 0.01 && o.interval <= 86400) || o.npids > MAX_PIDS ||
		    o.max_vms < 1 || o.max_vms > ST_MAX_VMS_LIMIT || (o.duration && o.duration < 0.01))
			abort();
		for (i = 0; i < o.npids; i++)
			if (!o.pids[i])
				abort();
		/* COMMAND is the rest of argv, after a "--". */
		if (o.command && (o.command < argv + 1 || o.command >= argv + argc || !o.command[0] ||
				  strcmp(o.command[-1], "--")))
			abort();
		if (o.vm_name && !o.vm_name[0])
			abort();
		options_describe_selection(&o);
		if (strlen(o.selection) >= sizeof(o.selection))
			abort();
	}
	free(buf);
	return 0;
}
