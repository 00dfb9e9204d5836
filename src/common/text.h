/* SPDX-License-Identifier: GPL-2.0-only */
/* Text that came from outside splittop (a VMM's command line, a recording):
 * UTF-8 checked strictly, and made safe to print before any output sees it.
 * No I/O: unit-tested and fuzzed. */
#ifndef SPLITTOP_TEXT_H
#define SPLITTOP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one:
 * overlong forms, UTF-16 surrogates and code points past U+10FFFF are not. */
int utf8_seq_len(const unsigned char *s);

/* A printable copy of src into dst (n bytes, always NUL-terminated): each
 * control character (C0, DEL, C1 such as U+009B, a terminal's CSI) becomes
 * one '?', and so does each byte that is not UTF-8; every other character
 * (accents, CJK, emoji) is kept whole, or left out with all after it when
 * it does not fit.  dst may be src.  Returns true when it changed anything
 * but the length. */
bool text_sanitize(char *dst, size_t n, const char *src);

#endif
