/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Dirty-log rounds (see struct round_state in splittop.h): the pages each
 * harvest hands the VMM, and what the VM's vCPUs counted in between.  All
 * of it runs in the thread that enables logging or harvests (the VMM's
 * migration thread), once per memslot per round: never in a vCPU's fault.
 * Part of bpf/splittop.bpf.c, which includes the parts in order: each
 * uses what the parts before it define.
 */
#pragma once

/* The pages of memslot id (as_id << 16 | slot), or 0 when there is none. */
static __always_inline __u64 memslot_npages(__u64 kvm, __u32 id)
{
	struct kvm_memory_slot *ms = memslot_find(kvm, id);

	return ms ? BPF_CORE_READ(ms, npages) : 0;
}

/* Bits set in a bitmap the kernel just copied to the VMM, what
 * KVM_GET_DIRTY_LOG handed it: read POPCOUNT_WORDS words at a time into a
 * per-CPU buffer (the stack has no room), zero words skipped (a round's
 * bitmap is mostly zero). */
#define POPCOUNT_WORDS	128

struct popcount_chunk {
	__u64 w[POPCOUNT_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct popcount_chunk);
} popcount_buf SEC(".maps");

struct popcount_walk {
	__u64 addr;
	__u64 words;
	__u64 bits;
};

static __always_inline __u64 popcount64(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

static long popcount_step(__u64 i, struct popcount_walk *w)
{
	__u32 zero = 0, sz, k;
	struct popcount_chunk *b = bpf_map_lookup_elem(&popcount_buf, &zero);
	__u64 first = i * POPCOUNT_WORDS, n;

	if (!b || first >= w->words)
		return 1;
	n = w->words - first;
	if (n > POPCOUNT_WORDS)
		n = POPCOUNT_WORDS;
	sz = n * 8;
	if (sz > sizeof(b->w))
		sz = sizeof(b->w);
	if (bpf_probe_read_user(b->w, sz, (void *)(w->addr + first * 8)))
		return 1;
	for (k = 0; k < POPCOUNT_WORDS && k < n; k++)
		if (b->w[k])
			w->bits += popcount64(b->w[k]);
	return 0;
}

static __always_inline __u64 popcount_user(__u64 addr, __u64 npages)
{
	struct popcount_walk w = { .addr = addr, .words = (npages + 63) / 64 };

	bpf_loop((w.words + POPCOUNT_WORDS - 1) / POPCOUNT_WORDS, popcount_step, &w, 0);
	return w.bits;
}

/* A VM's counts at a round's edge: its vCPUs' slots and its own entry. */
struct round_sum {
	__u32 idx;
	__u64 seq;
	struct round_counts c;
};

static __always_inline void add_hot(struct round_counts *c, const struct vm_hot *h)
{
	c->splits += h->splits[SPLIT_2M][CAUSE_EAGER] + h->splits[SPLIT_2M][CAUSE_FAULT] +
		     h->splits[SPLIT_1G][CAUSE_EAGER] + h->splits[SPLIT_1G][CAUSE_FAULT];
	c->lock_wait_ns += h->lock_wait_ns[MMU_LOCK_READ] + h->lock_wait_ns[MMU_LOCK_WRITE];
	c->fault_ns += h->fault_lat_ns;
	c->fault_count += h->fault_lat_count;
}

static long round_sum_vcpu(__u64 i, struct round_sum *r)
{
	__u32 slot = i;
	struct vcpu_stats *vs = bpf_map_lookup_elem(&vcpu_stats, &slot);
	int k;

	if (!vs)
		return 1;
	if (vs->owner_seq != r->seq || vs->owner_idx != r->idx)
		return 0;
	for (k = 0; k < FAULT_CLASSES; k++)
		r->c.faults[k] += vs->faults[k];
	add_hot(&r->c, &vs->hot);
	return 0;
}

/* Once per round edge: a walk of the vCPU slots ever handed out. */
static __noinline void round_edge(__u32 idx, __u64 seq, struct round_counts *out)
{
	struct round_sum r = { .idx = idx, .seq = seq };
	struct vm_stats *st = bpf_map_lookup_elem(&vm_stats, &idx);
	__u64 n;
	int k;

	if (!st || !out)
		return;
	for (k = 0; k < FAULT_CLASSES; k++)
		r.c.faults[k] = st->faults_unslotted[k];
	add_hot(&r.c, &st->hot);
	n = vslot_hi;
	if (n > max_vcpus)
		n = max_vcpus;
	if (n > ST_MAX_VCPUS_LIMIT)
		n = ST_MAX_VCPUS_LIMIT;
	bpf_loop(n, round_sum_vcpu, &r, 0);
	*out = r.c;
}

static __always_inline void counts_sub(struct round_counts *d, const struct round_counts *a,
				       const struct round_counts *b)
{
	int k;

	/* A fault counted at its walk and taken back after the edge (KVM gave
	 * it up: bpf/faults_outside.bpf.h) stays in the round before: no wrap. */
	for (k = 0; k < FAULT_CLASSES; k++)
		d->faults[k] = a->faults[k] > b->faults[k] ? a->faults[k] - b->faults[k] : 0;
	d->splits = a->splits - b->splits;
	d->lock_wait_ns = a->lock_wait_ns - b->lock_wait_ns;
	d->fault_ns = a->fault_ns - b->fault_ns;
	d->fault_count = a->fault_count - b->fault_count;
}

/* The open harvest is complete: its round's record goes out, and the
 * next round starts where the harvest began. */
static __always_inline void round_close(__u32 idx, struct round_state *rs)
{
	struct vm_stats *st = bpf_map_lookup_elem(&vm_stats, &idx);
	struct round_rec *rec;
	__u32 at = rs->written % ST_ROUND_RING;

	if (!rs->burst_ns)
		return;
	if (st) {
		__sync_fetch_and_add(&st->dirty_pages, rs->burst_pages);
		__sync_fetch_and_add(&st->dirty_rounds, 1);
		__sync_fetch_and_add(&st->round_fault_ns, rs->at_burst.fault_ns - rs->at_start.fault_ns);
		__sync_fetch_and_add(&st->round_wait_ns, rs->at_burst.lock_wait_ns - rs->at_start.lock_wait_ns);
	}
	rec = &rs->ring[at & (ST_ROUND_RING - 1)];
	rec->migration = rs->migration;
	rec->round = ++rs->round;
	rec->start_ns = rs->start_ns;
	rec->end_ns = rs->burst_ns;
	rec->harvest_ns = rs->burst_time_ns;
	rec->dirty_pages = rs->burst_pages;
	rec->harvests = rs->burst_harvests;
	rec->flags = rs->start_flags;
	counts_sub(&rec->c, &rs->at_burst, &rs->at_start);
	/* Last: user space takes the records below written. */
	asm volatile("" ::: "memory");
	rs->written++;
	rs->start_ns = rs->burst_ns;
	rs->start_flags &= ROUND_RING;
	rs->at_start = rs->at_burst;
	rs->burst_ns = 0;
}

static __always_inline struct round_state *round_state_of(struct task_ctx *tc, struct vm_slot **out)
{
	struct vm_slot *slot = bpf_map_lookup_elem(&vm_slots, &tc->idx);

	if (!slot || slot->kvm != tc->kvm)
		return NULL;
	*out = slot;
	return &slot->rounds;
}

/* A harvest ioctl begins: memslot (as_id << 16 | id), or ~0 for the
 * rings.  A memslot the open harvest took already, or the rings, end it. */
static __always_inline void round_harvest_begin(struct task_ctx *tc, __u32 memslot, __u64 now)
{
	struct vm_slot *slot;
	struct round_state *rs = round_state_of(tc, &slot);
	__u32 bit = ((memslot >> 16) << 6 | (memslot & 0xffff)) & 127;

	if (!rs)
		return;
	if (rs->burst_ns && (memslot == ~0u || (rs->burst_seen[bit >> 6 & 1] >> (bit & 63) & 1)))
		round_close(tc->idx, rs);
	if (!rs->start_ns) {
		/* Logging went on before splittop looked, or without a
		 * memslot update it saw: the round's start is not known. */
		rs->migration++;
		rs->round = 0;
		rs->start_ns = now;
		rs->start_flags = ROUND_START_UNKNOWN;
		round_edge(tc->idx, slot->seq, &rs->at_start);
	}
	if (!rs->burst_ns) {
		rs->burst_ns = now;
		rs->burst_pages = 0;
		rs->burst_time_ns = 0;
		rs->burst_harvests = 0;
		rs->burst_seen[0] = rs->burst_seen[1] = 0;
		round_edge(tc->idx, slot->seq, &rs->at_burst);
	}
	if (memslot == ~0u)
		rs->start_flags |= ROUND_RING;
	else
		rs->burst_seen[bit >> 6 & 1] |= 1ULL << (bit & 63);
}

/* The harvest ioctl succeeded, handing the VMM pages. */
static __always_inline void round_harvest_end(struct task_ctx *tc, __u64 pages, __u64 dur)
{
	struct vm_slot *slot;
	struct round_state *rs = round_state_of(tc, &slot);

	if (!rs || !rs->burst_ns)
		return;
	rs->burst_pages += pages;
	rs->burst_time_ns += dur;
	rs->burst_harvests++;
}

/* A memslot update turned logging on or off: a migration starts with the
 * first memslot logged (QEMU turns them on one by one) and ends with the
 * last one off (its last harvest was its last round; what was dirtied
 * after it is never harvested).  logged: memslots logging now. */
static __always_inline void round_logging(struct task_ctx *tc, bool on, int logged, __u64 now)
{
	struct vm_slot *slot;
	struct round_state *rs = round_state_of(tc, &slot);

	if (!rs || (on && rs->start_ns && !(rs->start_flags & ROUND_START_UNKNOWN)) || (!on && logged > 0))
		return;
	round_close(tc->idx, rs);
	if (on) {
		rs->migration++;
		rs->round = 0;
		rs->start_ns = now;
		rs->start_flags = 0;
		round_edge(tc->idx, slot->seq, &rs->at_start);
	} else {
		rs->start_ns = 0;
	}
}
