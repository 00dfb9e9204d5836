// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: a VM's name from its VMM's command line (any bytes, any
 * length), taken into the VM table as splittop takes it, and the same bytes
 * as the name in a recording's VM (the replay's reader); then every output
 * of it: CSV, JSON, OpenMetrics, and the replay's JSON text.  No control
 * character (C0, DEL, C1) and no byte that is not UTF-8 may reach any of
 * them, but the newline that ends a line. */
#include "splittop/output/csv.h"
#include "splittop/replay/json_reader.h"
#include "splittop/output/json_writer.h"
#include "splittop/output/openmetrics.h"
#include "splittop/replay/recording_vm.h"
#include "splittop/output/render.h"
#include "common/text.h"
#include "splittop/model/vm_table.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n bytes of output: UTF-8, no control character, newlines only where
 * allowed (at most lines of them, the last byte one if any); c0_ok: C0 as
 * it came (JSON text, whose only raw C0 is whitespace). */
static void check_clean(const char *s, size_t n, unsigned int lines, bool c0_ok)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned int nl = 0;

	while (p < end) {
		int len = utf8_seq_len(p);

		if (!len || p + len > end)
			abort();
		if (*p == '\n' && ++nl <= lines) {
			p++;
			continue;
		}
		if ((len == 1 && ((*p < 0x20 && !c0_ok) || *p == 0x7f)) || (len == 2 && p[0] == 0xc2 && p[1] < 0xa0))
			abort();
		p += len;
	}
	if (!c0_ok && nl && s[n - 1] != '\n')
		abort();
}

/* fn's output into a growing buffer; its length in *len. */
static char *capture(void (*fn)(FILE *, const void *), const void *arg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		abort();
	fn(f, arg);
	fclose(f);
	return text;
}

static void put_csv(FILE *f, const void *arg)
{
	const struct vm_entry *e = arg;
	struct row r = { 0 };

	csv_row(f, 0, 0, SCOPE_TOTAL, e, &r);
}

static void put_json(FILE *f, const void *arg)
{
	json_string(f, arg);
}

static void put_om(FILE *f, const void *arg)
{
	const struct om_vm *v = arg;
	struct self_stats self = { 0 };

	om_render(f, v, 1, &self, true);
}

static unsigned int om_lines(const char *name)
{
	struct om_vm v = { .pid = 1 };
	size_t len, nl = 0, i;
	char *text;

	snprintf(v.name, sizeof(v.name), "%s", name);
	text = capture(put_om, &v, &len);
	for (i = 0; i < len; i++)
		nl += text[i] == '\n';
	free(text);
	return (unsigned int)nl;
}

/* The live path: the VM table's name, and what CSV, JSON and OpenMetrics
 * write of it. */
static void live(const uint8_t *data, size_t size)
{
	struct vm_table t = { 0 };
	struct vm_entry *e = vm_table_get(&t, 1, 1, 0, 1);
	struct om_vm v = { .pid = 1 };
	size_t len;
	char *text;

	if (!e)
		return;
	vm_table_name(&t, e, (const char *)data, (long)size);
	if (strnlen(e->name, sizeof(e->name)) >= sizeof(e->name))
		abort();
	check_clean(e->name, strlen(e->name), 0, false);
	text = capture(put_csv, e, &len);
	check_clean(text, len, 1, false);
	/* A name a spreadsheet would take for a formula is text: its field
	 * (after time, elapsed, scope and pid) starts with a quote mark. */
	if (e->name[0] && strchr("=+-@", e->name[0])) {
		const char *field = strstr(text, ",total,1,") + 9;

		if (field[0] != '\'' && strncmp(field, "\"'", 2))
			abort();
	}
	free(text);
	text = capture(put_json, e->name, &len);
	check_clean(text, len, 0, false);
	free(text);
	snprintf(v.name, sizeof(v.name), "%s", e->name);
	text = capture(put_om, &v, &len);
	check_clean(text, len, om_lines("x"), false);
	free(text);
	vm_table_free(&t);
}

/* The replay's path: the same bytes as a recording's VM name (escaped as
 * JSON may write any of them), read back by rec_vm_name; the line as the
 * replay's JSON out writes it (json_text). */
static void recorded(const uint8_t *data, size_t size)
{
	char raw[256], name[96], err[64], *line;
	struct jr_token tok[8];
	struct jr_doc d = { .t = tok, .cap = 8 };
	size_t n = size < sizeof(raw) - 1 ? size : sizeof(raw) - 1, len;
	FILE *f;

	memcpy(raw, data, n);
	raw[n] = '\0';
	f = open_memstream(&line, &len);
	if (!f)
		abort();
	fputs("{\"pid\":1,\"vm\":", f);
	json_string(f, raw);
	fputs("}", f);
	fclose(f);
	if (jr_parse(&d, line, len, err, sizeof(err)) || !rec_vm_name(&d, 0, name, sizeof(name)))
		abort();
	check_clean(name, strlen(name), 0, false);
	free(line);
	/* Raw bytes of any kind inside a string: out again, escaped. */
	f = open_memstream(&line, &len);
	if (!f)
		abort();
	json_text(f, (const char *)data, size);
	fclose(f);
	check_clean(line, len, (unsigned int)size, true);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	live(data, size);
	recorded(data, size);
	return 0;
}
