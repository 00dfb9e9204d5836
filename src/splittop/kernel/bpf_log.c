// SPDX-License-Identifier: GPL-2.0-only
#include "bpf_log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* libbpf's print callback takes no context of ours: one log per process. */
static bool log_verbose;
static char refused[64];

/* libbpf says "prog 'NAME': BPF program load failed: ..." when the kernel
 * refuses a program (libbpf.c, bpf_object_load_prog). */
static void note_refused(const char *fmt, va_list ap)
{
	static const char tag[] = "prog '";
	char line[256];
	const char *p, *end;

	if (!strstr(fmt, "BPF program load failed"))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	p = strstr(line, tag);
	if (!p)
		return;
	p += sizeof(tag) - 1;
	end = strchr(p, '\'');
	if (end && (size_t)(end - p) < sizeof(refused))
		snprintf(refused, sizeof(refused), "%.*s", (int)(end - p), p);
}

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	int n = 0;

	if (level == LIBBPF_WARN) {
		va_copy(copy, ap);
		note_refused(fmt, copy);
		va_end(copy);
	}
	if (log_verbose)
		n = vfprintf(stderr, fmt, ap);
	return n;
}

void bpf_log_init(bool verbose)
{
	log_verbose = verbose;
	libbpf_set_print(print);
}

void bpf_log_reset(void)
{
	refused[0] = '\0';
}

const char *bpf_log_refused(void)
{
	return refused;
}
