/* SPDX-License-Identifier: GPL-2.0-only */
/* The tracer's attached links: a fixed array whose bound is checked on
 * every append, so a source with more programs than foreseen fails with a
 * message instead of writing past the end. */
#ifndef SPLITTOP_LINK_LIST_H
#define SPLITTOP_LINK_LIST_H

#include <errno.h>

struct bpf_link;

/* Every program attached at once: 21 at most today (each metric's largest
 * source, and kvm_tdp_mmu_spte_changed), with room for a few more. */
#define MAX_LINKS 24

struct link_list {
	struct bpf_link *l[MAX_LINKS];
	unsigned int n;
};

/* 0, or -ENOSPC with the list unchanged: the caller still owns l. */
static inline int link_list_add(struct link_list *ls, struct bpf_link *l)
{
	if (ls->n >= MAX_LINKS)
		return -ENOSPC;
	ls->l[ls->n++] = l;
	return 0;
}

#endif
