// SPDX-License-Identifier: GPL-2.0-only
/* Source kinds to names and back. */
#include "source_kind.h"

#include <string.h>

static const char *const names[NR_SOURCE_KINDS] = {
#define SK_NAME(e, name) [e] = name,
	SOURCE_KINDS(SK_NAME)
#undef SK_NAME
};

const char *source_kind_name(enum source_kind k)
{
	return (unsigned int)k < NR_SOURCE_KINDS ? names[k] : NULL;
}

enum source_kind source_kind_by_name(const char *name)
{
	unsigned int k;

	for (k = SK_UNSET + 1; k < NR_SOURCE_KINDS; k++)
		if (!strcmp(names[k], name))
			return (enum source_kind)k;
	return SK_UNSET;
}
