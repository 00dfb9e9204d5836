// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer: any bytes as one line of a --replay recording, through the
 * JSON reader: taken or refused with a reason, and every token it took
 * lies inside the text and reads back (strings unescaped, counts); every
 * object read as a recording's VM (the replay view's reader) is taken or
 * refused with a reason, its name printable; every object's times are
 * refused or good enough to label and turn into milliseconds (built with
 * float-cast-overflow: a time past what the casts hold is a crash).
 * Seeds: tests/fuzz/corpus/. */
#include "splittop/replay/json_reader.h"
#include "splittop/replay/recording_time.h"
#include "splittop/replay/recording_vm.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Object obj's times, if it has good ones: labelled and compared as the
 * replay does; refused with a reason otherwise. */
static void times(const struct jr_doc *d, int obj)
{
	double tu, el, iv;
	char err[128], buf[64];

	err[0] = '\0';
	if (rec_frame_times(d, obj, &tu, &el, err, sizeof(err))) {
		if (!err[0])
			abort();
	} else {
		rec_fmt_clock(buf, sizeof(buf), tu);
		rec_fmt_span(buf, sizeof(buf), el);
		if (rec_ms(tu) < 0 || rec_ms(el) < 0 || rec_ms(tu) > (int64_t)(REC_TIME_MAX * 1000 + 1))
			abort();
	}
	if (!rec_interval(d, obj, &iv, err, sizeof(err)) && !(iv >= REC_INTERVAL_MIN && iv <= REC_INTERVAL_MAX))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jr_token toks[4096];
	static struct rec_vm rv;
	struct jr_doc d = { .t = toks, .cap = 4096 };
	const char *text = (const char *)data;
	char err[128], out[64];
	uint64_t v;
	double x;
	int i, k;

	if (jr_parse(&d, text, size, err, sizeof(err))) {
		if (!err[0])
			abort();
		return 0;
	}
	for (i = 0; i < d.n; i++) {
		const struct jr_token *t = &d.t[i];

		if (t->start < text || t->start + t->len > text + size || t->next >= d.n || t->child >= d.n)
			abort();
		if (t->type == JR_STRING && !jr_string(&d, i, out, sizeof(out)))
			abort();
		if (t->type == JR_NUMBER) {
			if (jr_u64(&d, i, &v) && v > JR_COUNT_MAX)
				abort();
			if (jr_double(&d, i, &x) && !isfinite(x))
				abort();
		}
		if (t->type == JR_OBJECT) {
			times(&d, i);
			(void)jr_get(&d, i, "type");
			err[0] = '\0';
			if (rec_vm_read(&d, i, &rv, err, sizeof(err)) && !err[0])
				abort();
			/* A recording may be hostile: its names come out printable. */
			for (k = 0; rv.name[k]; k++)
				if ((unsigned char)rv.name[k] < 0x20 || rv.name[k] == 0x7f ||
				    ((unsigned char)rv.name[k] == 0xc2 && (unsigned char)rv.name[k + 1] < 0xa0))
					abort();
			if (rv.nvcpus > rv.vcap || rv.nvcpus > VCPU_ROWS_LIMIT)
				abort();
		}
	}
	return 0;
}
