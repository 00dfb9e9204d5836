// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: a VM's name from its VMM's command line (any bytes, any
 * length), then what the outputs do with it: the name fits its buffer, the
 * view's copy is printable UTF-8, CSV quoting round-trips and JSON escaping
 * yields valid UTF-8 with no raw control characters. */
#include "splittop/csv.h"
#include "splittop/json_writer.h"
#include "splittop/render.h"
#include "splittop/view.h"
#include "splittop/vm_name.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_utf8_printable(const char *s, bool allow_ctrl)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = utf8_seq_len(p);

		if (!n || (!allow_ctrl && n == 1 && (*p < 0x20 || *p == 0x7f)))
			abort();
		p += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[96], shown[96], out[4096];
	FILE *f;

	vm_name_from_cmdline((const char *)data, size, name, sizeof(name));
	if (strnlen(name, sizeof(name)) >= sizeof(name))
		abort();
	view_sanitize(shown, sizeof(shown), name);
	check_utf8_printable(shown, false);

	f = fmemopen(out, sizeof(out), "w");
	if (!f)
		return 0;
	json_string(f, name);
	fclose(f);
	out[sizeof(out) - 1] = '\0';
	check_utf8_printable(out, false);
	if (out[0] != '"')
		abort();

	memset(out, 0, sizeof(out));	/* an empty field writes nothing */
	f = fmemopen(out, sizeof(out), "w");
	if (!f)
		return 0;
	csv_field(f, name);
	fclose(f);
	out[sizeof(out) - 1] = '\0';
	/* Quoted exactly when it must be: a comma, quote or line break inside. */
	if (!!strpbrk(name, ",\"\r\n") != (out[0] == '"'))
		abort();
	return 0;
}
