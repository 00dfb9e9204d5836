// SPDX-License-Identifier: GPL-2.0-only
#include "vm_name.h"

#include <string.h>

static void copy(char *out, size_t outlen, const char *s, size_t n)
{
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* QEMU: "-name guest=foo,debug-threads=on", "-name foo", "-name foo,process=bar" */
static void qemu_name(const char *val, char *out, size_t outlen)
{
	const char *g = strstr(val, "guest=");
	const char *s = g && (g == val || g[-1] == ',') ? g + 6 : val;
	const char *comma = strchr(s, ',');

	copy(out, outlen, s, comma ? (size_t)(comma - s) : strlen(s));
}

void vm_name_from_cmdline(const char *cmdline, size_t len, char *out, size_t outlen)
{
	const char *arg = cmdline, *end = cmdline + len, *base;
	const char *prev = NULL;

	if (!outlen)
		return;
	out[0] = '\0';
	while (arg < end) {
		size_t n = strnlen(arg, end - arg);

		if (arg + n >= end)	/* unterminated last word: not trusted */
			break;
		if (prev && (!strcmp(prev, "-name") || !strcmp(prev, "--name"))) {
			if (!strcmp(prev, "-name"))
				qemu_name(arg, out, outlen);
			else
				copy(out, outlen, arg, n);
			return;
		}
		if (!strncmp(arg, "--name=", 7)) {
			copy(out, outlen, arg + 7, n - 7);
			return;
		}
		prev = arg;
		arg += n + 1;
	}
	if (len && cmdline[0]) {
		/* argv[0]'s basename, within len: the buffer may lack a NUL. */
		size_t n0 = strnlen(cmdline, len);
		const char *slash = memrchr(cmdline, '/', n0);

		base = slash ? slash + 1 : cmdline;
		copy(out, outlen, base, n0 - (size_t)(base - cmdline));
	}
}
