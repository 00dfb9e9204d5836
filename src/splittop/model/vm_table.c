// SPDX-License-Identifier: GPL-2.0-only
#include "vm_table.h"
#include "common/text.h"
#include "vm_name.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A free entry (seq 0), else a new one at the end. */
static struct vm_entry *entry_alloc(struct vm_table *t)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (!t->e[i].seq)
			return &t->e[i];
	if (t->n == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 16;
		void *p = realloc(t->e, cap * sizeof(*t->e));

		if (!p)
			return NULL;
		t->e = p;
		t->cap = cap;
	}
	return &t->e[t->n++];
}

struct vm_entry *vm_table_get(struct vm_table *t, uint64_t seq, uint64_t kvm, uint32_t idx,
			      uint32_t pid)
{
	struct vm_entry *e;
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].seq == seq && t->e[i].alive)
			return &t->e[i];
	e = entry_alloc(t);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->kvm = kvm;
	e->seq = seq;
	e->idx = idx;
	e->pid = pid;
	e->alive = true;
	e->gauges.memslots_dirty = -1;
	e->gauges.nested = -1;
	return e;
}

/* The number of VMs process pid registered before this one. */
static unsigned int pid_next_vm(struct vm_table *t, uint32_t pid)
{
	unsigned int i;

	for (i = 0; i < t->npidv; i++)
		if (t->pidv[i].pid == pid)
			return t->pidv[i].n++;
	if (t->npidv == t->pidv_cap) {
		unsigned int cap = t->pidv_cap ? t->pidv_cap * 2 : 16;
		void *p = realloc(t->pidv, cap * sizeof(*t->pidv));

		if (!p)
			return 0;
		t->pidv = p;
		t->pidv_cap = cap;
	}
	t->pidv[t->npidv].pid = pid;
	t->pidv[t->npidv++].n = 1;
	return 0;
}

/*
 * A VM's name, fixed when it is first seen and never changed after: the
 * process's name for the first VM splittop sees in it, NAME#k for the k-th
 * after it (k = 1, 2, ...).  A name that changed when a second VM came
 * (x, later x#0) would differ between runs with the timing of that second
 * VM, and a script could not join runs by it.
 */
void vm_table_name(struct vm_table *t, struct vm_entry *e, const char *cmdline, long len)
{
	unsigned int k;

	/* 8 bytes stay free for the "#k".  The VM's owner chose the name: it
	 * is made printable here, once, so that no output (a terminal, CSV,
	 * JSON, /metrics) ever sees its control characters. */
	if (len > 0) {
		char raw[sizeof(e->name) * 2];

		vm_name_from_cmdline(cmdline, len, raw, sizeof(raw));
		text_sanitize(e->name, sizeof(e->name) - 8, raw);
		vm_ident_from_cmdline(cmdline, len, &e->ident);
		vm_ident_sanitize(&e->ident);
	} else {
		snprintf(e->name, sizeof(e->name) - 8, "pid%u", e->pid);
	}
	k = pid_next_vm(t, e->pid);
	e->vm_no = k;
	if (k) {
		/* "#" and six digits fit the 8 bytes kept free. */
		snprintf(e->name + strlen(e->name), 8, "#%u", k % 1000000);
		e->numbered = true;
	}
}

/* Forget the counts of processes that are gone and have no VM left here. */
static void pid_prune(struct vm_table *t, bool (*alive)(uint32_t pid))
{
	unsigned int i, j;

	for (i = 0; i < t->npidv;) {
		for (j = 0; j < t->n; j++)
			if (t->e[j].seq && t->e[j].pid == t->pidv[i].pid)
				break;
		if (j == t->n && !alive(t->pidv[i].pid))
			t->pidv[i] = t->pidv[--t->npidv];
		else
			i++;
	}
}

int vm_table_spill(struct vm_table *t, bool (*alive)(uint32_t pid))
{
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		struct vm_entry *e = &t->e[i];

		if (!e->seq || e->alive)
			continue;
		if (!t->finished) {
			t->finished = tmpfile();
			if (!t->finished)
				return -errno;
		}
		if (fwrite(e, sizeof(*e), 1, t->finished) != 1 ||
		    (e->vcpus.n &&
		     fwrite(e->vcpus.now, sizeof(*e->vcpus.now), e->vcpus.n, t->finished) != e->vcpus.n))
			return -EIO;
		t->nfinished++;
		vcpu_rows_free(&e->vcpus);
		memset(e, 0, sizeof(*e));	/* seq 0: free */
	}
	pid_prune(t, alive);
	return 0;
}

int vm_table_restore(struct vm_table *t)
{
	struct vm_entry tmp;
	unsigned int i;

	if (!t->finished)
		return 0;
	rewind(t->finished);
	for (i = 0; i < t->nfinished; i++) {
		struct vm_entry *e;

		uint32_t n;

		if (fread(&tmp, sizeof(tmp), 1, t->finished) != 1)
			return -EIO;
		n = tmp.vcpus.n;
		memset(&tmp.vcpus, 0, sizeof(tmp.vcpus));	/* its pointers were freed */
		if (n > VCPU_ROWS_LIMIT)
			return -EIO;
		if (vcpu_rows_reserve(&tmp.vcpus, n))
			return -ENOMEM;
		if (n && fread(tmp.vcpus.now, sizeof(*tmp.vcpus.now), n, t->finished) != n) {
			vcpu_rows_free(&tmp.vcpus);
			return -EIO;
		}
		e = entry_alloc(t);
		if (!e) {
			vcpu_rows_free(&tmp.vcpus);
			return -ENOMEM;
		}
		*e = tmp;
	}
	fclose(t->finished);
	t->finished = NULL;
	t->nfinished = 0;
	return 0;
}

void vm_table_free(struct vm_table *t)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		vcpu_rows_free(&t->e[i].vcpus);
	if (t->finished)
		fclose(t->finished);
	free(t->e);
	free(t->pidv);
	memset(t, 0, sizeof(*t));
}

/* Counters only grow while a VM lives; a smaller value would mean a reused
 * slot, which the caller never hands us, so clamp instead of wrapping. */
static uint64_t sub(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

void vm_counters_delta(const struct vm_counters *now, const struct vm_counters *prev,
		       struct vm_counters *out)
{
	const __u64 *n = (const __u64 *)now, *p = (const __u64 *)prev;
	__u64 *o = (__u64 *)out;
	unsigned int i;

	for (i = 0; i < sizeof(*now) / sizeof(__u64); i++)
		o[i] = sub(n[i], p[i]);
}

void vcpu_counts_delta(const struct vcpu_counts *now, const struct vcpu_counts *prev, uint32_t n,
		       struct vcpu_counts *out)
{
	const __u64 *a = (const __u64 *)now, *b = (const __u64 *)prev;
	__u64 *o = (__u64 *)out;
	size_t i;

	for (i = 0; i < n * sizeof(*now) / sizeof(__u64); i++)
		o[i] = sub(a[i], b[i]);
}

int vcpu_rows_reserve(struct vcpu_rows *r, uint32_t n)
{
	uint32_t cap;
	void *p, *q;

	if (n <= r->n)
		return 0;
	if (n > r->cap) {
		cap = r->cap ? r->cap : 4;
		while (cap < n)
			cap *= 2;
		p = realloc(r->now, cap * sizeof(*r->now));
		if (p)
			r->now = p;
		q = p ? realloc(r->prev, cap * sizeof(*r->prev)) : NULL;
		if (q)
			r->prev = q;
		if (!p || !q)
			return -ENOMEM;
		r->cap = cap;
	}
	memset(&r->now[r->n], 0, (n - r->n) * sizeof(*r->now));
	memset(&r->prev[r->n], 0, (n - r->n) * sizeof(*r->prev));
	r->n = n;
	return 0;
}

/* dst = max(dst, src), element by element. */
static void keep_max(__u64 *dst, const __u64 *src, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (src[i] > dst[i])
			dst[i] = src[i];
}

/* The next interval starts from this sample.  Faults are the one count that
 * can step back: one counted at its walk, outside mmu_lock, and taken back
 * after the sample (KVM gave it up: bpf/faults_outside.bpf.h).  Their previous
 * values keep the highest seen, so that the step back is taken from the
 * next interval's faults instead of vanishing in a clamp. */
void vm_entry_advance(struct vm_entry *e)
{
	struct vm_counters old = e->prev;
	uint32_t i;

	e->prev = e->now;
	keep_max(e->prev.faults, old.faults, FAULT_CLASSES);
	keep_max(e->prev.demotions, old.demotions, SPLIT_SIZES);
	if (e->vcpus.n) {
		for (i = 0; i < e->vcpus.n; i++) {
			struct vcpu_counts was = e->vcpus.prev[i];

			e->vcpus.prev[i] = e->vcpus.now[i];
			keep_max(e->vcpus.prev[i].faults, was.faults, FAULT_CLASSES);
			keep_max(e->vcpus.prev[i].demotions, was.demotions, SPLIT_SIZES);
		}
		memset(e->vcpus.now, 0, e->vcpus.n * sizeof(*e->vcpus.now));
	}
}

void vcpu_rows_free(struct vcpu_rows *r)
{
	free(r->now);
	free(r->prev);
	memset(r, 0, sizeof(*r));
}

void add_u64s(__u64 *dst, const __u64 *src, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
}

const struct round_rec *vm_round(const struct vm_rounds *r, uint64_t k)
{
	if (k >= r->taken || r->taken - k > ROUNDS_KEPT)
		return NULL;
	return &r->r[k % ROUNDS_KEPT];
}

void vm_rounds_add(struct vm_rounds *r, const struct round_rec *rec)
{
	r->r[r->taken % ROUNDS_KEPT] = *rec;
	r->taken++;
	r->fresh++;
}
