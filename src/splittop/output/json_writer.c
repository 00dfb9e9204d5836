// SPDX-License-Identifier: GPL-2.0-only
#include "json_writer.h"
#include "common/text.h"

#include <string.h>

/* DEL or a C1 control (U+0080..U+009F), len bytes at s: JSON lets them
 * be raw, but some terminals obey C1 as ESC sequences; an escape is the
 * same string. */
static bool raw_control(const unsigned char *s, int len)
{
	return (len == 1 && *s == 0x7f) || (len == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		int n = utf8_seq_len(s);

		if (!n) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20 || raw_control(s, n)) {
			fprintf(f, "\\u%04x", n == 1 ? *s : s[1]);
			s += n;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

void json_text(FILE *f, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text, *end = s + n;

	while (s < end) {
		/* Never read past the n bytes, even for a sequence cut short. */
		unsigned char b[5] = { 0 };
		int len;

		memcpy(b, s, end - s < 4 ? (size_t)(end - s) : 4);
		len = utf8_seq_len(b);
		if (!len) {
			fputs("\\ufffd", f);
			s++;
		} else if (raw_control(s, len)) {
			fprintf(f, "\\u%04x", len == 1 ? *s : s[1]);
			s += len;
		} else {
			fwrite(s, 1, len, f);
			s += len;
		}
	}
}

void jw_begin(struct jw *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->first[0] = true;
}

/* The comma and the key before a value. */
static void member(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (key) {
		json_string(w->f, key);
		fputc(':', w->f);
	}
}

static void open_(struct jw *w, const char *key, char bracket)
{
	member(w, key);
	fputc(bracket, w->f);
	/* Deeper than JW_DEPTH is a bug in a printer: stay in bounds. */
	if (w->depth + 1 < JW_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

void jw_object(struct jw *w, const char *key)
{
	open_(w, key, '{');
}

void jw_array(struct jw *w, const char *key)
{
	open_(w, key, '[');
}

void jw_close(struct jw *w, char bracket)
{
	fputc(bracket, w->f);
	if (w->depth)
		w->depth--;
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	member(w, key);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	member(w, key);
	json_string(w->f, s);
}

void jw_null(struct jw *w, const char *key)
{
	member(w, key);
	fputs("null", w->f);
}

void jw_true(struct jw *w, const char *key)
{
	member(w, key);
	fputs("true", w->f);
}

void jw_num(struct jw *w, const char *key, const char *fmt, double v)
{
	member(w, key);
	fprintf(w->f, fmt, v);
}

void jw_u64s(struct jw *w, const char *key, const __u64 *v, unsigned int n)
{
	unsigned int i;

	jw_array(w, key);
	for (i = 0; i < n; i++)
		jw_u64(w, NULL, v[i]);
	jw_close(w, ']');
}

void jw_end(struct jw *w)
{
	fputc('\n', w->f);
}
