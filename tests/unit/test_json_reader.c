// SPDX-License-Identifier: GPL-2.0-only
/* The recording reader's JSON: what it takes, what it refuses, strings. */
#include "splittop/replay/json_reader.h"
#include "unit.h"

#include <locale.h>
#include <string.h>

static struct jr_token toks[64];
static struct jr_doc doc = { .t = toks, .cap = 64 };

static int parse(const char *s, char *err)
{
	return jr_parse(&doc, s, strlen(s), err, 128);
}

static void refused(const char *s, const char *want)
{
	char err[128];

	CHECK(parse(s, err) == -1, "refused: %s", s);
	CHECK_STR(err, want, "its reason");
}

/* Numbers as doubles: JSON's text in any locale, nothing past a double. */
static void numbers(void)
{
	char err[128];
	double x;

	CHECK(!parse("[1795768473.072,-1,2.5e-3,1e308,1e400,-1e400,1e-400]", err), "numbers: %s", err);
	CHECK(jr_double(&doc, 1, &x) && x == 1795768473.072, "a time");
	CHECK(jr_double(&doc, 2, &x) && x == -1, "negative");
	CHECK(jr_double(&doc, 3, &x) && x == 2.5e-3, "an exponent");
	CHECK(jr_double(&doc, 4, &x) && x == 1e308, "near a double's largest");
	CHECK(!jr_double(&doc, 5, &x) && !jr_double(&doc, 6, &x), "1e400 is not a finite number");
	CHECK(jr_double(&doc, 7, &x) && x == 0, "1e-400 is 0");
	CHECK(!jr_double(&doc, 0, &x), "an array is no number");
	/* The view runs under the user's locale: a decimal comma changes nothing. */
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
		CHECK(jr_double(&doc, 1, &x) && x == 1795768473.072, "a time, under a decimal comma");
		setlocale(LC_NUMERIC, "C");
	}
}

int main(void)
{
	char err[128], out[64];
	uint64_t v;
	int root, vms;

	CHECK(!parse(" {\"type\":\"interval\",\"time_unix_s\":1795768473.072,\"vms\":[{\"pid\":7,\"vm\":"
		     "\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\",\"x\":null,\"y\":18446744073709551615}],\"ok\":true}\n", err),
	      "a frame: %s", err);
	root = 0;
	CHECK(jr_is(&doc, jr_get(&doc, root, "type"), "interval"), "type");
	CHECK(jr_get(&doc, root, "nope") == -1, "an absent key");
	vms = jr_get(&doc, root, "vms");
	CHECK(vms > 0 && doc.t[vms].type == JR_ARRAY, "vms");
	CHECK(jr_u64(&doc, jr_get(&doc, doc.t[vms].child, "pid"), &v) && v == 7, "pid");
	CHECK(jr_string(&doc, jr_get(&doc, doc.t[vms].child, "vm"), out, sizeof(out)), "name");
	CHECK_STR(out, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80", "escapes, \\u, a surrogate pair");
	CHECK(doc.t[jr_get(&doc, doc.t[vms].child, "x")].type == JR_NULL, "null");
	CHECK(!jr_u64(&doc, jr_get(&doc, doc.t[vms].child, "y"), &v), "UINT64_MAX is no count");
	CHECK(!jr_u64(&doc, jr_get(&doc, root, "time_unix_s"), &v), "a fraction is no count");
	CHECK(doc.t[jr_get(&doc, root, "ok")].type == JR_BOOL, "true");

	CHECK(!parse("{\"y\":18446744073709551616}", err) && !jr_u64(&doc, jr_get(&doc, 0, "y"), &v),
	      "2^64 is no count");
	CHECK(!parse("[9223372036854775807,9223372036854775808]", err) && jr_u64(&doc, 1, &v) &&
	      v == 9223372036854775807ULL && !jr_u64(&doc, 2, &v), "2^63 - 1 is the largest count");
	numbers();
	CHECK(!parse("\"\\u0000x\\udc00\"", err) && jr_string(&doc, 0, out, sizeof(out)), "NUL, lone half");
	CHECK_STR(out, "\xef\xbf\xbdx\xef\xbf\xbd", "both U+FFFD");
	CHECK(!parse("\"abcdefgh\"", err) && jr_string(&doc, 0, out, 4), "cut");
	CHECK_STR(out, "abc", "at the size");

	refused("{\"a\":1,}", "a key must be a string at byte 7");
	refused("{\"a\" 1}", "':' expected at byte 5");
	refused("[1 2]", "',' or ']' expected at byte 3");
	refused("{\"a\":1", "',' or '}' expected at byte 6");
	refused("\"abc", "an unterminated string at byte 4");
	refused("\"a\tb\"", "a control character in a string at byte 2");
	refused("\"\\x\"", "a bad escape at byte 2");
	refused("\"\\u12g4\"", "a bad \\u escape at byte 2");
	refused("01", "text after the value at byte 1");
	refused("1.", "a bad number at byte 0");
	refused("-", "not a value at byte 0");
	refused("nul", "not a value at byte 0");
	refused("", "a value expected at byte 0");
	refused("{} {}", "text after the value at byte 3");
	refused("[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "nested too deep at byte 16");
	{
		char many[400];
		int i;

		for (i = 0; i < 100; i++)
			memcpy(many + 2 * i, i ? ",1" : "[1", 2);
		strcpy(many + 200, "]");
		refused(many, "too many values at byte 127");
	}
	return unit_done();
}
