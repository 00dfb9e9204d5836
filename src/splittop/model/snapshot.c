// SPDX-License-Identifier: GPL-2.0-only
#include "snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mmu_names[NR_HOST_MMUS] = {
	[HOST_MMU_UNKNOWN] = "unknown", [HOST_MMU_TDP] = "tdp", [HOST_MMU_LEGACY_TDP] = "legacy-tdp",
	[HOST_MMU_SHADOW] = "shadow", [HOST_MMU_ARM64] = "arm64-stage2",
};

const char *host_mmu_name(enum host_mmu m)
{
	return mmu_names[(unsigned int)m < NR_HOST_MMUS ? m : HOST_MMU_UNKNOWN];
}

enum host_mmu host_mmu_by_name(const char *name)
{
	unsigned int m;

	for (m = 0; m < NR_HOST_MMUS; m++)
		if (!strcmp(mmu_names[m], name))
			return (enum host_mmu)m;
	return HOST_MMU_UNKNOWN;
}

int snapshot_fill(struct snapshot *s, const struct vm_table *t, vm_filter want, const void *arg)
{
	unsigned int i;

	s->n = 0;
	for (i = 0; i < t->n; i++) {
		const struct vm_entry *e = &t->e[i];
		struct snap_vm *v;

		if (!e->seq || (want && !want(arg, e)))
			continue;
		if (s->n == s->cap) {
			unsigned int cap = s->cap ? s->cap * 2 : 8;
			void *p = realloc(s->vms, cap * sizeof(*s->vms));

			if (!p)
				return -ENOMEM;
			s->vms = p;
			memset(&s->vms[s->cap], 0, (cap - s->cap) * sizeof(*s->vms));
			s->cap = cap;
		}
		v = &s->vms[s->n];
		if (e->vcpus.n > v->vdelta_cap) {
			void *p = realloc(v->vdelta, e->vcpus.n * sizeof(*v->vdelta));

			if (!p)
				return -ENOMEM;
			v->vdelta = p;
			v->vdelta_cap = e->vcpus.n;
		}
		s->n++;
		v->e = e;
		v->vm = i;
		vm_insight(e, s->host, &s->avail, s->downtime_ns, &v->ins);
		vm_counters_delta(&e->now, &e->prev, &v->delta);
		vcpu_counts_delta(e->vcpus.now, e->vcpus.prev, e->vcpus.n, v->vdelta);
		metrics_row(&(struct metric_in){ .c = &v->delta, .run = &e->now, .g = &e->gauges,
						 .wmax = e->gauges.lock_wait_max_ns, .pid = e->pid,
						 .ins = &v->ins },
			    &s->avail, &v->row[SCOPE_INTERVAL]);
		metrics_row(&(struct metric_in){ .c = &e->now, .run = &e->now, .g = &e->gauges,
						 .wmax = e->lock_wait_max_run_ns, .pid = e->pid,
						 .ins = &v->ins },
			    &s->avail, &v->row[SCOPE_TOTAL]);
	}
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	unsigned int i;

	for (i = 0; i < s->cap; i++)
		free(s->vms[i].vdelta);
	free(s->vms);
	s->vms = NULL;
	s->n = s->cap = 0;
}

unsigned int wait_sampled_of(const char *source)
{
	const char *p = source ? strstr(source, " (1 wait in ") : NULL;
	unsigned int n;

	if (!p || sscanf(p, WAIT_SAMPLED_FMT, &n) != 1)
		return 0;
	return n > 1 ? n : 0;
}
