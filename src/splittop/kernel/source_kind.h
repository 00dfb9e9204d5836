/* SPDX-License-Identifier: GPL-2.0-only */
/* The kinds of source a metric can come from, and their names: one table
 * for --list-sources, --source METRIC=KIND and the source choice, so a
 * kind is compared as a number and spelt in one place. */
#ifndef SPLITTOP_SOURCE_KIND_H
#define SPLITTOP_SOURCE_KIND_H

/* X(enumerator, name as printed and as --source takes it) */
#define SOURCE_KINDS(X)					\
	X(SK_TRACEPOINT, "tracepoint")			\
	X(SK_TP_BTF, "tp_btf")				\
	X(SK_RAW_TP, "raw_tp")				\
	X(SK_FENTRY, "fentry")				\
	X(SK_KPROBE, "kprobe")				\
	X(SK_OFF, "none")	/* --source METRIC=none: turned off */

enum source_kind {
	SK_UNSET,	/* zero: the end of a metric's choices, or no --source */
#define SK_ENUM(e, name) e,
	SOURCE_KINDS(SK_ENUM)
#undef SK_ENUM
	NR_SOURCE_KINDS,
};

/* Its name, NULL for SK_UNSET or a value out of range. */
const char *source_kind_name(enum source_kind k);
/* The kind so named, SK_UNSET for none. */
enum source_kind source_kind_by_name(const char *name);

#endif
