// SPDX-License-Identifier: GPL-2.0-only
#include "recording_vm.h"
#include "splittop/output/recording_format.h"
#include "common/text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reading of one VM object: the first error wins. */
struct rd {
	const struct jr_doc *d;
	char *err;
	size_t errlen;
	bool bad;
};

static void fail(struct rd *r, const char *what, const char *key)
{
	if (!r->bad)
		snprintf(r->err, r->errlen, "%s%s%s", key ? key : "", key ? ": " : "", what);
	r->bad = true;
}

/* Member key of obj as a count.  Absent (a recording older than the key)
 * or null (unavailable): 0 and false. */
static bool count(struct rd *r, int obj, const char *key, __u64 *out)
{
	int t = obj >= 0 ? jr_get(r->d, obj, key) : -1;
	uint64_t v;

	*out = 0;
	if (t < 0 || r->d->t[t].type == JR_NULL)
		return false;
	if (!jr_u64(r->d, t, &v)) {
		fail(r, "not a count", key);
		return false;
	}
	*out = v;
	return true;
}

/* Member key of obj if it is an object, else -1 (absent: a group the
 * recorded kernel did not have). */
static int object(struct rd *r, int obj, const char *key)
{
	int t = obj >= 0 ? jr_get(r->d, obj, key) : -1;

	if (t < 0)
		return -1;
	if (r->d->t[t].type != JR_OBJECT) {
		fail(r, "not an object", key);
		return -1;
	}
	return t;
}

/* A log2 histogram of ST_HIST_BUCKETS counts. */
static void hist(struct rd *r, int obj, const char *key, __u64 *out)
{
	int t = obj >= 0 ? jr_get(r->d, obj, key) : -1, e;
	unsigned int i = 0;
	uint64_t v;

	memset(out, 0, ST_HIST_BUCKETS * sizeof(*out));
	if (t < 0)
		return;
	if (r->d->t[t].type != JR_ARRAY) {
		fail(r, "not an array", key);
		return;
	}
	for (e = r->d->t[t].child; e >= 0; e = r->d->t[e].next, i++) {
		if (i == ST_HIST_BUCKETS || !jr_u64(r->d, e, &v)) {
			fail(r, "not a histogram of splittop's", key);
			return;
		}
		out[i] = v;
	}
	if (i != ST_HIST_BUCKETS)
		fail(r, "not a histogram of splittop's", key);
}

static void read_splits(struct rd *r, int detail, struct rec_vm *o)
{
	int sp = object(r, detail, "splits"), er = object(r, detail, "split_errno"), t;
	unsigned int s;
	uint64_t v;

	for (s = 0; s < SPLIT_SIZES; s++) {
		int size = object(r, sp, rec_size_names[s]);

		count(r, size, "eager", &o->c.vm.splits[s][CAUSE_EAGER]);
		count(r, size, "fault", &o->c.vm.splits[s][CAUSE_FAULT]);
	}
	/* "1".."31" by value; ">=32" is bucket 0 (json.c). */
	for (t = er >= 0 ? r->d->t[er].child : -1; t >= 0; t = r->d->t[t].next) {
		char key[16], *end;
		unsigned long n;

		if (!jr_string(r->d, t, key, sizeof(key)) || !jr_u64(r->d, t + 1, &v)) {
			fail(r, "not a count by errno", "split_errno");
			return;
		}
		n = strtoul(key[0] == '>' && key[1] == '=' ? key + 2 : key, &end, 10);
		if (*end || (key[0] == '>' ? n != ST_SPLIT_ERRNOS : n == 0 || n >= ST_SPLIT_ERRNOS)) {
			fail(r, "not an errno splittop counts", "split_errno");
			return;
		}
		o->c.vm.split_errno[key[0] == '>' ? 0 : n] = v;
	}
}

static void read_lock(struct rd *r, int detail, struct rec_vm *o)
{
	int l = object(r, detail, "mmu_lock"), h = object(r, detail, "mmu_lock_hold");
	int lat = object(r, detail, "fault_latency");
	unsigned int m, k;

	count(r, l, "read_waits", &o->c.vm.lock_waits[MMU_LOCK_READ]);
	count(r, l, "write_waits", &o->c.vm.lock_waits[MMU_LOCK_WRITE]);
	count(r, l, "read_wait_ns", &o->c.vm.lock_wait_ns[MMU_LOCK_READ]);
	count(r, l, "write_wait_ns", &o->c.vm.lock_wait_ns[MMU_LOCK_WRITE]);
	hist(r, l, "wait_hist_log2_ns", o->c.vm.lock_wait_hist);
	count(r, l, "wait_end_to_fault_ns", &o->c.vm.wait_end_to_fault_ns);
	count(r, l, "wait_end_to_fault_count", &o->c.vm.wait_end_to_fault_count);
	count(r, l, "wait_sampled_ns", &o->c.vm.wait_sampled_ns);
	for (m = 0; m < MMU_LOCK_MODES; m++) {
		int mode = object(r, h, rec_mode_names[m]), holders = object(r, mode, "holders");
		__u64 mx;

		count(r, mode, "max_ns", &mx);
		o->hold_max_ns[m] = mx;
		for (k = 0; k < LOCK_HOLDERS; k++) {
			int one = object(r, holders, rec_holder_names[k]);

			count(r, one, "count", &o->c.vm.hold_count[m][k]);
			count(r, one, "ns", &o->c.vm.hold_ns[m][k]);
		}
		hist(r, mode, "hist_log2_ns", o->c.vm.hold_hist[m]);
	}
	count(r, lat, "count", &o->c.vm.fault_lat_count);
	count(r, lat, "ns", &o->c.vm.fault_lat_ns);
	hist(r, lat, "hist_log2_ns", o->c.vm.fault_lat_hist);
}

static void read_dlog(struct rd *r, int detail, struct rec_vm *o)
{
	int dl = object(r, detail, "dirty_log");
	unsigned int i;
	__u64 v, after;

	/* Format 0 before KVM_RESET_DIRTY_RINGS was counted: no "reset". */
	for (i = 0; i < DLOG_OPS; i++) {
		int op = object(r, dl, rec_dlog_names[i]);

		count(r, op, "count", &o->c.vm.dlog_count[i]);
		count(r, op, "ns", &o->c.vm.dlog_ns[i]);
		count(r, op, "splits", &o->c.vm.dlog_splits[i]);
		count(r, op, "last_ns", &v);
		o->g.dlog_last_ns[i] = v;
		count(r, op, "last_splits", &v);
		o->g.dlog_last_splits[i] = v;
		/* Absent or null: a recording from before splittop read them. */
		if (count(r, op, "last_pages_2m_before", &v) && count(r, op, "last_pages_2m_after", &after)) {
			o->g.dlog_last_pages_2m[i][0] = v;
			o->g.dlog_last_pages_2m[i][1] = after;
		} else {
			o->g.dlog_last_pages_2m[i][0] = o->g.dlog_last_pages_2m[i][1] = PAGES_UNKNOWN;
		}
	}
}

static int grow_vcpus(struct rec_vm *o, uint32_t n)
{
	struct vcpu_counts *p;

	if (n <= o->vcap)
		return 0;
	p = realloc(o->vcpus, n * sizeof(*p));
	if (!p)
		return -1;
	o->vcpus = p;
	o->vcap = n;
	return 0;
}

static void read_vcpus(struct rd *r, int detail, struct rec_vm *o)
{
	int a = detail >= 0 ? jr_get(r->d, detail, "vcpus") : -1, e;
	unsigned int k;

	o->nvcpus = 0;
	if (a < 0)
		return;
	if (r->d->t[a].type != JR_ARRAY) {
		fail(r, "not an array", "vcpus");
		return;
	}
	for (e = r->d->t[a].child; e >= 0 && !r->bad; e = r->d->t[e].next) {
		int lat = object(r, e, "fault_latency");
		struct vcpu_counts *v;
		__u64 idx;

		if (!count(r, e, "vcpu", &idx) || idx >= VCPU_ROWS_LIMIT) {
			fail(r, "a vCPU row without its index", "vcpus");
			return;
		}
		if (idx >= o->nvcpus) {
			if (grow_vcpus(o, (uint32_t)idx + 1)) {
				fail(r, "out of memory", NULL);
				return;
			}
			memset(&o->vcpus[o->nvcpus], 0, (idx + 1 - o->nvcpus) * sizeof(*o->vcpus));
			o->nvcpus = (uint32_t)idx + 1;
		}
		v = &o->vcpus[idx];
		for (k = 0; k < FAULT_CLASSES; k++)
			count(r, e, rec_fault_keys[k], &v->faults[k]);
		/* Only the count and time: its histogram is not recorded. */
		count(r, lat, "count", &v->lat_count);
		count(r, lat, "ns", &v->lat_ns);
	}
}

static bool flag(const struct jr_doc *d, int obj, const char *key)
{
	int t = jr_get(d, obj, key);

	return t >= 0 && d->t[t].type == JR_BOOL && d->t[t].len == 4;	/* true */
}

static void read_round(struct rd *r, int obj, struct round_rec *o)
{
	__u64 x;
	unsigned int k;

	memset(o, 0, sizeof(*o));
	count(r, obj, "migration", &x);
	o->migration = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	count(r, obj, "round", &x);
	o->round = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	count(r, obj, "start_ns", &o->start_ns);
	count(r, obj, "end_ns", &o->end_ns);
	if (o->end_ns < o->start_ns)
		fail(r, "ends before it starts", "rounds");
	count(r, obj, "harvests", &x);
	o->harvests = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	count(r, obj, "harvest_ns", &o->harvest_ns);
	count(r, obj, "dirty_pages", &o->dirty_pages);
	o->flags = (flag(r->d, obj, "start_unknown") ? ROUND_START_UNKNOWN : 0) |
		   (flag(r->d, obj, "ring") ? ROUND_RING : 0);
	for (k = 0; k < FAULT_CLASSES; k++)
		count(r, obj, rec_fault_keys[k], &o->c.faults[k]);
	count(r, obj, "splits", &o->c.splits);
	count(r, obj, "mmu_lock_wait_ns", &o->c.lock_wait_ns);
	count(r, obj, "fault_ns", &o->c.fault_ns);
	count(r, obj, "fault_count", &o->c.fault_count);
}

/* "rounds": at most ROUNDS_KEPT (the latest, where a line has more);
 * "round": the open one, or null. */
static void read_rounds(struct rd *r, int v, struct rec_vm *o)
{
	int arr = jr_get(r->d, v, "rounds"), t, cur = jr_get(r->d, v, "round");
	uint32_t n = 0;
	__u64 x;

	if (arr >= 0 && r->d->t[arr].type != JR_ARRAY)
		fail(r, "not an array", "rounds");
	else if (arr >= 0)
		for (t = r->d->t[arr].child; t >= 0; t = r->d->t[t].next, n++) {
			if (r->d->t[t].type != JR_OBJECT)
				fail(r, "not an object", "rounds");
			else
				read_round(r, t, &o->rounds[n % ROUNDS_KEPT]);
		}
	o->nrounds = n < ROUNDS_KEPT ? n : ROUNDS_KEPT;
	if (n > ROUNDS_KEPT) {
		/* Oldest first, as they were written. */
		struct round_rec tmp[ROUNDS_KEPT];
		uint32_t k;

		for (k = 0; k < ROUNDS_KEPT; k++)
			tmp[k] = o->rounds[(n + k) % ROUNDS_KEPT];
		memcpy(o->rounds, tmp, sizeof(tmp));
	}
	if (cur < 0 || r->d->t[cur].type == JR_NULL)
		return;
	if (r->d->t[cur].type != JR_OBJECT) {
		fail(r, "not an object", "round");
		return;
	}
	o->open.open = true;
	count(r, cur, "migration", &x);
	o->open.migration = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	count(r, cur, "round", &x);
	o->open.round = x ? (x - 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(x - 1)) : 0;
	count(r, cur, "start_ns", &o->open.start_ns);
	count(r, cur, "harvested_pages", &o->open.pages);
}

bool rec_vm_name(const struct jr_doc *d, int v, char *out, size_t size)
{
	/* Room for more than out takes: text_sanitize cuts at a character. */
	char raw[512];

	if (!jr_string(d, jr_get(d, v, "vm"), raw, sizeof(raw)))
		return false;
	text_sanitize(out, size, raw);
	return true;
}

void rec_vm_ident(const struct jr_doc *d, int v, struct vm_ident *out)
{
	char raw[512];
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < NR_VM_IDENTS; i++)
		if (jr_string(d, jr_get(d, v, vm_ident_defs[i].key), raw, sizeof(raw)))
			text_sanitize(out->v[i], sizeof(out->v[i]), raw);
}

int rec_vm_read(const struct jr_doc *d, int v, struct rec_vm *o, char *err, size_t errlen)
{
	struct rd r = { .d = d, .err = err, .errlen = errlen };
	struct vcpu_counts *keep = o->vcpus;
	uint32_t cap = o->vcap;
	__u64 pid, x;
	int detail, ex;
	unsigned int k;

	memset(o, 0, sizeof(*o));
	o->vcpus = keep;
	o->vcap = cap;
	if (d->t[v].type != JR_OBJECT || !count(&r, v, "pid", &pid) || pid > UINT32_MAX ||
	    !rec_vm_name(d, v, o->name, sizeof(o->name))) {
		snprintf(err, errlen, "a VM without its pid and name");
		return -1;
	}
	o->pid = (uint32_t)pid;
	rec_vm_ident(d, v, &o->ident);
	/* The view's detail pane has a row for each: no more than KVM allows. */
	if (count(&r, v, "vcpus", &x) && x > VCPU_ROWS_LIMIT)
		fail(&r, "more than a VM can have", "vcpus");
	o->g.vcpus = (uint32_t)x;
	count(&r, v, "mem_mib", &x);
	o->g.mem_pages = x << 8;
	o->g.memslots_dirty = count(&r, v, "dirty_logging", &x) ? (int32_t)x : -1;
	o->g.nested = count(&r, v, "nested", &x) ? (int32_t)x : -1;
	o->avail.no_pages = !count(&r, v, "pages_4k", &x);
	o->g.pages[0] = x;
	count(&r, v, "pages_2m", &x);
	o->g.pages[1] = x;
	count(&r, v, "pages_1g", &x);
	o->g.pages[2] = x;
	o->avail.lock_wait = count(&r, v, "mmu_lock_wait_max_ns", &x);
	o->g.lock_wait_max_ns = x;
	o->avail.splits = count(&r, v, "splits_2m", &x);
	count(&r, v, "split_errors", &o->c.vm.split_errors);
	o->avail.split_mmu = count(&r, v, "splits_shadow", &o->c.vm.splits_mmu[MMU_SHADOW]);
	count(&r, v, "splits_tdp", &o->c.vm.splits_mmu[MMU_TDP]);
	o->avail.faults = count(&r, v, "faults", &x);
	for (k = 0; k < FAULT_CLASSES; k++)
		count(&r, v, rec_fault_keys[k], &o->c.faults[k]);
	count(&r, v, "demotions_2m", &o->c.demotions[SPLIT_2M]);
	count(&r, v, "demotions_1g", &o->c.demotions[SPLIT_1G]);
	o->avail.dlog = count(&r, v, "dirty_log_gets", &x);
	o->avail.dlog_toggle = count(&r, v, "dirty_log_enables", &x);
	o->avail.lock_hold = count(&r, v, "mmu_lock_hold_ns", &x);
	o->avail.fault_latency = count(&r, v, "fault_latency_p99_ns", &x);
	o->avail.pml = count(&r, v, "pml_full_exits", &o->c.vm.pml_full);
	count(&r, v, "dirty_pages", &o->c.vm.dirty_pages);
	count(&r, v, "dirty_rounds", &o->c.vm.dirty_rounds);
	ex = jr_get(d, v, "exited");
	o->exited = ex >= 0 && d->t[ex].type == JR_BOOL && d->t[ex].len == 4;	/* true */
	detail = object(&r, v, "detail");
	read_splits(&r, detail, o);
	read_lock(&r, detail, o);
	read_dlog(&r, detail, o);
	read_vcpus(&r, detail, o);
	read_rounds(&r, v, o);
	return r.bad ? -1 : 0;
}

void rec_vm_free(struct rec_vm *r)
{
	free(r->vcpus);
	r->vcpus = NULL;
	r->nvcpus = r->vcap = 0;
}
