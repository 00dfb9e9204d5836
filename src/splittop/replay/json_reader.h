/* SPDX-License-Identifier: GPL-2.0-only */
/* A JSON text (one line of a recording) as a tree of tokens over the text
 * itself: nothing copied, strings unescaped only when asked.  Bounded: at
 * most JR_MAX_DEPTH levels, and as many tokens as the caller gives room
 * for.  No I/O: unit-tested and fuzzed. */
#ifndef SPLITTOP_JSON_READER_H
#define SPLITTOP_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JR_MAX_DEPTH 16

enum jr_type { JR_NULL, JR_BOOL, JR_NUMBER, JR_STRING, JR_ARRAY, JR_OBJECT };

struct jr_token {
	enum jr_type type;
	const char *start;	/* strings: after the quote; the rest: the value's text */
	size_t len;
	int next;		/* the next sibling (an object's next key), -1 after the last */
	int child;		/* arrays: the first element; objects: the first key; -1 if empty */
};			/* an object's key is a JR_STRING whose value is the token after it */

struct jr_doc {
	struct jr_token *t;
	int n, cap;
};

/* Parse text[0..len) (one value, whitespace around it allowed) into d's
 * cap tokens.  0, or -1 with why in err (and the byte offset). */
int jr_parse(struct jr_doc *d, const char *text, size_t len, char *err, size_t errlen);

/* Object obj's member key, or -1. */
int jr_get(const struct jr_doc *d, int obj, const char *key);

/* What a count may be: 2^63 - 1, what readers that keep integers signed
 * (most JSON libraries) read exactly.  A recording's counts never near it. */
#define JR_COUNT_MAX	((uint64_t)INT64_MAX)

/* A number token as a count: digits only, at most JR_COUNT_MAX; or false. */
bool jr_u64(const struct jr_doc *d, int tok, uint64_t *out);

/* A number token as a double, read the same in every locale; false for one
 * beyond a double's range (1e400) or longer than any splittop writes. */
bool jr_double(const struct jr_doc *d, int tok, double *out);

/* A string token unescaped into out (NUL-terminated, cut at size); false
 * if tok is not a string. */
bool jr_string(const struct jr_doc *d, int tok, char *out, size_t size);

/* tok is a string equal to s (no escapes in it). */
bool jr_is(const struct jr_doc *d, int tok, const char *s);

#endif
