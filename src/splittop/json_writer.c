// SPDX-License-Identifier: GPL-2.0-only
#include "json_writer.h"

int utf8_seq_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
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
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
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
