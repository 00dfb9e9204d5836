// SPDX-License-Identifier: GPL-2.0-only
#include "json_reader.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jr_parser {
	struct jr_doc *d;
	const char *s, *end, *p;
	char *err;
	size_t errlen;
};

static int fail(struct jr_parser *ps, const char *why)
{
	snprintf(ps->err, ps->errlen, "%s at byte %zu", why, (size_t)(ps->p - ps->s));
	return -1;
}

static void skip_ws(struct jr_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int new_token(struct jr_parser *ps, enum jr_type type)
{
	struct jr_doc *d = ps->d;

	if (d->n == d->cap)
		return fail(ps, "too many values");
	d->t[d->n] = (struct jr_token){ .type = type, .start = ps->p, .next = -1, .child = -1 };
	return d->n++;
}

/* A string: the token spans what is between the quotes, escapes checked. */
static int parse_string(struct jr_parser *ps)
{
	int t;

	ps->p++;	/* the quote */
	t = new_token(ps, JR_STRING);
	if (t < 0)
		return -1;
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;

		if (c < 0x20)
			return fail(ps, "a control character in a string");
		if (c == '\\') {
			ps->p++;
			if (ps->p >= ps->end || !strchr("\"\\/bfnrtu", *ps->p))
				return fail(ps, "a bad escape");
			if (*ps->p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (ps->p + i >= ps->end || !strchr("0123456789abcdefABCDEF", ps->p[i]) ||
					    !ps->p[i])
						return fail(ps, "a bad \\u escape");
				ps->p += 4;
			}
		}
		ps->p++;
	}
	if (ps->p >= ps->end)
		return fail(ps, "an unterminated string");
	ps->d->t[t].len = (size_t)(ps->p - ps->d->t[t].start);
	ps->p++;
	return t;
}

static int parse_number(struct jr_parser *ps)
{
	const char *q = ps->p;
	int t;

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "not a value");
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.') {
		if (++q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "a bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "a bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	t = new_token(ps, JR_NUMBER);
	if (t < 0)
		return -1;
	ps->d->t[t].len = (size_t)(q - ps->p);
	ps->p = q;
	return t;
}

static int parse_word(struct jr_parser *ps, const char *w, enum jr_type type)
{
	size_t n = strlen(w);
	int t;

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n))
		return fail(ps, "not a value");
	t = new_token(ps, type);
	if (t < 0)
		return -1;
	ps->d->t[t].len = n;
	ps->p += n;
	return t;
}

static int parse_value(struct jr_parser *ps, int depth);

/* An array or an object: its members chained by next, the first in child. */
static int parse_container(struct jr_parser *ps, int depth, bool object)
{
	int t = new_token(ps, object ? JR_OBJECT : JR_ARRAY), last = -1;
	char close = object ? '}' : ']';

	if (t < 0)
		return -1;
	if (depth >= JR_MAX_DEPTH)
		return fail(ps, "nested too deep");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->d->t[t].len = (size_t)(ps->p - ps->d->t[t].start);
		return t;
	}
	for (;;) {
		int m;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "a key must be a string");
			m = parse_string(ps);
			if (m < 0)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "':' expected");
			ps->p++;
			if (parse_value(ps, depth + 1) < 0)
				return -1;
		} else {
			m = parse_value(ps, depth + 1);
			if (m < 0)
				return -1;
		}
		if (last < 0)
			ps->d->t[t].child = m;
		else
			ps->d->t[last].next = m;
		last = m;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			ps->d->t[t].len = (size_t)(ps->p - ps->d->t[t].start);
			return t;
		}
		return fail(ps, object ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static int parse_value(struct jr_parser *ps, int depth)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "a value expected");
	switch (*ps->p) {
	case '{':
		return parse_container(ps, depth, true);
	case '[':
		return parse_container(ps, depth, false);
	case '"':
		return parse_string(ps);
	case 't':
		return parse_word(ps, "true", JR_BOOL);
	case 'f':
		return parse_word(ps, "false", JR_BOOL);
	case 'n':
		return parse_word(ps, "null", JR_NULL);
	default:
		return parse_number(ps);
	}
}

int jr_parse(struct jr_doc *d, const char *text, size_t len, char *err, size_t errlen)
{
	struct jr_parser ps = { .d = d, .s = text, .end = text + len, .p = text, .err = err, .errlen = errlen };

	d->n = 0;
	err[0] = 0;
	if (parse_value(&ps, 0) < 0)
		return -1;
	skip_ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, "text after the value");
	return 0;
}

int jr_get(const struct jr_doc *d, int obj, const char *key)
{
	size_t n = strlen(key);
	int k;

	if (obj < 0 || d->t[obj].type != JR_OBJECT)
		return -1;
	/* A member's value is the token after its key; the next key is its next. */
	for (k = d->t[obj].child; k >= 0; k = d->t[k].next)
		if (d->t[k].len == n && !memcmp(d->t[k].start, key, n))
			return k + 1;
	return -1;
}

bool jr_u64(const struct jr_doc *d, int tok, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (tok < 0 || d->t[tok].type != JR_NUMBER || !d->t[tok].len)
		return false;
	for (i = 0; i < d->t[tok].len; i++) {
		unsigned int c = (unsigned char)d->t[tok].start[i] - '0';

		if (c > 9 || v > (JR_COUNT_MAX - c) / 10)
			return false;
		v = v * 10 + c;
	}
	*out = v;
	return true;
}

bool jr_double(const struct jr_doc *d, int tok, double *out)
{
	/* The view runs under the user's locale (a decimal comma in some):
	 * JSON's numbers are the C locale's. */
	static locale_t c_numeric;
	char text[128], *end;
	double v;

	if (tok < 0 || d->t[tok].type != JR_NUMBER || d->t[tok].len >= sizeof(text))
		return false;
	if (!c_numeric && !(c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)))
		return false;
	memcpy(text, d->t[tok].start, d->t[tok].len);
	text[d->t[tok].len] = '\0';
	v = strtod_l(text, &end, c_numeric);
	if (*end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static unsigned int hex4(const char *p)
{
	unsigned int v = 0, i;

	for (i = 0; i < 4; i++)
		v = v * 16 + (unsigned int)(p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
	return v;
}

/* c as UTF-8 into out[*k..size-1), if it fits. */
static void put_utf8(char *out, size_t size, size_t *k, unsigned int c)
{
	char b[4];
	size_t n, i;

	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (*k + n >= size)
		return;
	for (i = 0; i < n; i++)
		out[(*k)++] = b[i];
}

bool jr_string(const struct jr_doc *d, int tok, char *out, size_t size)
{
	const char *p, *end;
	size_t k = 0;

	if (tok < 0 || d->t[tok].type != JR_STRING || !size)
		return false;
	p = d->t[tok].start;
	end = p + d->t[tok].len;
	while (p < end) {
		unsigned int c = (unsigned char)*p++;

		if (c == '\\') {
			/* jr_parse checked every escape. */
			c = (unsigned char)*p++;
			switch (c) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				c = hex4(p);
				p += 4;
				/* A surrogate pair is one character; a lone half, U+FFFD. */
				if (c >= 0xd800 && c < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
				    hex4(p + 2) >= 0xdc00 && hex4(p + 2) < 0xe000) {
					c = 0x10000 + ((c - 0xd800) << 10) + (hex4(p + 2) - 0xdc00);
					p += 6;
				} else if (c >= 0xd800 && c < 0xe000) {
					c = 0xfffd;
				}
				if (!c)
					c = 0xfffd;	/* no NUL inside a C string */
				put_utf8(out, size, &k, c);
				continue;
			}
		}
		if (k + 1 < size)
			out[k++] = (char)c;
	}
	out[k] = 0;
	return true;
}

bool jr_is(const struct jr_doc *d, int tok, const char *s)
{
	return tok >= 0 && d->t[tok].type == JR_STRING && d->t[tok].len == strlen(s) &&
	       !memcmp(d->t[tok].start, s, d->t[tok].len);
}
