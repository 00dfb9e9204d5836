// SPDX-License-Identifier: GPL-2.0-only
#include "text.h"

#include <string.h>

int utf8_seq_len(const unsigned char *s)
{
	unsigned int cp;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	cp = s[0] & (0x7f >> n);	/* the lead byte's payload bits */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* An overlong form could smuggle ESC past a check of bytes (E0 80 9B);
	 * surrogates and what is past U+10FFFF are no characters at all. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* C0, DEL, and C1 (U+0080..U+009F: C2 80..C2 9F), which some terminals
 * obey as the 8-bit forms of ESC sequences. */
static bool is_control(const unsigned char *s, int len)
{
	if (len == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

bool text_sanitize(char *dst, size_t n, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	bool changed = false;
	size_t o = 0;

	if (!n)
		return false;
	/* o never passes s: one '?' stands for one byte or more. */
	while (*s && o + 1 < n) {
		int len = utf8_seq_len(s);

		if (len == 0 || is_control(s, len)) {
			dst[o++] = '?';
			s += len ? len : 1;
			changed = true;
			continue;
		}
		if (o + len >= n)
			break;
		memmove(dst + o, s, len);
		o += len;
		s += len;
	}
	dst[o] = '\0';
	return changed;
}
