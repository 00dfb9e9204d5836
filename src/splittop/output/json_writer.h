/* SPDX-License-Identifier: GPL-2.0-only */
/* A small streaming JSON writer: it places the commas and escapes strings,
 * so that printers say what they write, not how to punctuate it.  Compact
 * output (no spaces), one document per jw_begin/jw_end. */
#ifndef SPLITTOP_JSON_WRITER_H
#define SPLITTOP_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#define JW_DEPTH 16

struct jw {
	FILE *f;
	unsigned int depth;
	bool first[JW_DEPTH];		/* no member written yet at this depth */
};

void jw_begin(struct jw *w, FILE *f);
/* key: the member's name inside an object, NULL inside an array. */
void jw_object(struct jw *w, const char *key);
void jw_array(struct jw *w, const char *key);
void jw_close(struct jw *w, char bracket);	/* '}' or ']' */
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_null(struct jw *w, const char *key);
void jw_true(struct jw *w, const char *key);
/* A number in a given printf format (e.g. "%.3f"). */
void jw_num(struct jw *w, const char *key, const char *fmt, double v);
void jw_u64s(struct jw *w, const char *key, const __u64 *v, unsigned int n);
/* Ends the document with a newline. */
void jw_end(struct jw *w);

/* JSON string with the escapes RFC 8259 requires, and DEL and C1 controls
 * escaped too (raw, a terminal may obey them); bytes that are not UTF-8
 * become U+FFFD so the output stays valid. */
void json_string(FILE *f, const char *s);
/* n bytes of JSON text (a recording's line, checked by jr_parse) as they
 * are, but for the raw bytes a terminal could obey, which valid JSON holds
 * only inside strings: DEL and C1 controls as \u escapes, a byte that is
 * not UTF-8 as \ufffd.  The same JSON, safe to print. */
void json_text(FILE *f, const char *s, size_t n);

#endif
