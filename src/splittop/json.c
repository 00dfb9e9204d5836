// SPDX-License-Identifier: GPL-2.0-only
/* One JSON object per line: a "host" line, then one "interval" line per
 * interval, then one "total" line. */
#include "render.h"

#include <inttypes.h>
#include <string.h>

static const char *const fault_names[FAULT_CLASSES] = { "huge_wp", "nonpresent", "4k_wp", "other" };
static const char *const dlog_names[DLOG_OPS] = { "enable", "disable", "get", "clear" };
static const char *const holder_names[LOCK_HOLDERS] = { "vcpu_fault", "memslot", "dirty_log", "other" };
static const char *const mode_names[MMU_LOCK_MODES] = { "read", "write" };

/* A per-vCPU latency quantile: its buckets start at 256 ns. */
static uint64_t vcpu_lat_quantile(const uint64_t *h, double q)
{
	uint64_t v = hist_quantile_ns(h, ST_VCPU_LAT_BUCKETS, q);

	return v ? ((v + 1) << 8) - 1 : 0;
}

int utf8_seq_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		int n = utf8_seq_len(s);

		if (!n) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

static void json_start(FILE *f, const struct host_info *h, const struct metric_source *m,
		       unsigned int nm, double interval)
{
	unsigned int i;

	fputs("{\"type\":\"host\",\"kernel\":", f);
	json_string(f, h->kernel);
	fprintf(f, ",\"mmu\":\"%s\",\"eager_page_split\":\"%s\",\"interval_s\":%g,\"sources\":[",
		h->mmu, h->eager_split, interval);
	for (i = 0; i < nm; i++) {
		fprintf(f, "%s{\"metric\":\"%s\",\"source\":", i ? "," : "", m[i].metric);
		if (m[i].source) {
			json_string(f, m[i].source);
		} else {
			fputs("null,\"why\":", f);
			json_string(f, m[i].why);
		}
		fputc('}', f);
	}
	fputs("]}\n", f);
}

static void json_begin(FILE *f, const struct frame *fr)
{
	fprintf(f, "{\"type\":\"%s\",\"time_unix_s\":%.3f,\"elapsed_s\":%.3f,\"vms\":[",
		fr->scope, fr->time_unix, fr->elapsed);
}

static void json_u64s(FILE *f, const char *key, const uint64_t *v, unsigned int n)
{
	unsigned int i;

	fprintf(f, "\"%s\":[", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%" PRIu64, i ? "," : "", v[i]);
	fputc(']', f);
}

static void json_vm(FILE *f, const struct frame *fr, const struct vm_entry *e, const struct row *r,
		    const struct vm_counters *c, const struct avail *a)
{
	unsigned int i, k, nv;
	bool first = true;

	fprintf(f, "%s{\"pid\":%u,\"vm\":", fr->count > 1 ? "," : "", e->pid);
	json_string(f, e->name);
	for (i = 0; i < NR_COLUMNS; i++) {
		if (r->present[i])
			fprintf(f, ",\"%s\":%" PRIu64, column_names[i], r->v[i]);
		else
			fprintf(f, ",\"%s\":null", column_names[i]);
	}
	fputs(",\"detail\":{", f);
	if (a->splits) {
		fprintf(f, "\"splits\":{\"2m\":{\"eager\":%" PRIu64 ",\"fault\":%" PRIu64 "},"
			"\"1g\":{\"eager\":%" PRIu64 ",\"fault\":%" PRIu64 "}},\"split_errno\":{",
			c->splits[SPLIT_2M][CAUSE_EAGER], c->splits[SPLIT_2M][CAUSE_FAULT],
			c->splits[SPLIT_1G][CAUSE_EAGER], c->splits[SPLIT_1G][CAUSE_FAULT]);
		/* errno 0 is the bucket of errnos >= ST_SPLIT_ERRNOS. */
		for (i = 0; i < ST_SPLIT_ERRNOS; i++) {
			if (!c->split_errno[i])
				continue;
			fprintf(f, "%s\"%s%u\":%" PRIu64, first ? "" : ",", i ? "" : ">=",
				i ? i : ST_SPLIT_ERRNOS, c->split_errno[i]);
			first = false;
		}
		fputs("},", f);
	}
	if (a->lock_wait) {
		fprintf(f, "\"mmu_lock\":{\"read_waits\":%" PRIu64 ",\"write_waits\":%" PRIu64
			",\"read_wait_ns\":%" PRIu64 ",\"write_wait_ns\":%" PRIu64
			",\"wait_p50_ns\":%" PRIu64 ",\"wait_p99_ns\":%" PRIu64 ",",
			c->lock_waits[MMU_LOCK_READ], c->lock_waits[MMU_LOCK_WRITE],
			c->lock_wait_ns[MMU_LOCK_READ], c->lock_wait_ns[MMU_LOCK_WRITE],
			hist_quantile_ns(c->lock_wait_hist, ST_HIST_BUCKETS, 0.5),
			hist_quantile_ns(c->lock_wait_hist, ST_HIST_BUCKETS, 0.99));
		json_u64s(f, "wait_hist_log2_ns", c->lock_wait_hist, ST_HIST_BUCKETS);
		fputs("},", f);
	}
	if (a->lock_hold) {
		unsigned int m, h;

		fputs("\"mmu_lock_hold\":{", f);
		for (m = 0; m < MMU_LOCK_MODES; m++) {
			fprintf(f, "%s\"%s\":{\"max_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"holders\":{",
				m ? "," : "", mode_names[m], e->hold_max_run_ns[m],
				hist_quantile_ns(c->hold_hist[m], ST_HIST_BUCKETS, 0.99));
			for (h = 0; h < LOCK_HOLDERS; h++)
				fprintf(f, "%s\"%s\":{\"count\":%" PRIu64 ",\"ns\":%" PRIu64 "}", h ? "," : "",
					holder_names[h], c->hold_count[m][h], c->hold_ns[m][h]);
			fputs("},", f);
			json_u64s(f, "hist_log2_ns", c->hold_hist[m], ST_HIST_BUCKETS);
			fputc('}', f);
		}
		fputs("},", f);
	}
	if (a->fault_latency) {
		fprintf(f, "\"fault_latency\":{\"count\":%" PRIu64 ",\"ns\":%" PRIu64 ",\"p50_ns\":%" PRIu64
			",\"p99_ns\":%" PRIu64 ",", c->fault_lat_count, c->fault_lat_ns,
			hist_quantile_ns(c->fault_lat_hist, ST_HIST_BUCKETS, 0.5),
			hist_quantile_ns(c->fault_lat_hist, ST_HIST_BUCKETS, 0.99));
		json_u64s(f, "hist_log2_ns", c->fault_lat_hist, ST_HIST_BUCKETS);
		fputs("},", f);
	}
	fputs("\"dirty_log\":{", f);
	for (i = 0; i < DLOG_OPS; i++)
		fprintf(f, "%s\"%s\":{\"count\":%" PRIu64 ",\"ns\":%" PRIu64 ",\"splits\":%" PRIu64
			",\"last_ns\":%" PRIu64 ",\"last_splits\":%" PRIu64 "}", i ? "," : "",
			dlog_names[i], c->dlog_count[i], c->dlog_ns[i], c->dlog_splits[i],
			e->gauges.dlog_last_ns[i], e->gauges.dlog_last_splits[i]);
	fputs("},\"vcpus\":[", f);
	/* vCPUs at or past the last slot share it: label it as a range. */
	nv = e->gauges.vcpus < ST_MAX_VCPUS ? e->gauges.vcpus : ST_MAX_VCPUS;
	first = true;
	for (i = 0; i < ST_MAX_VCPUS; i++) {
		bool any = false;

		for (k = 0; k < FAULT_CLASSES; k++)
			any |= c->vcpu_faults[i][k] != 0;
		if (i >= nv && !any)
			continue;
		fprintf(f, "%s{\"vcpu\":", first ? "" : ",");
		first = false;
		if (i == ST_MAX_VCPUS - 1)
			fprintf(f, "\">=%u\"", i);
		else
			fprintf(f, "%u", i);
		for (k = 0; k < FAULT_CLASSES; k++)
			fprintf(f, ",\"faults_%s\":%" PRIu64, fault_names[k], c->vcpu_faults[i][k]);
		if (a->fault_latency)
			fprintf(f, ",\"fault_latency\":{\"count\":%" PRIu64 ",\"ns\":%" PRIu64
				",\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 "}", c->vcpu_lat_count[i],
				c->vcpu_lat_ns[i], vcpu_lat_quantile(c->vcpu_lat_hist[i], 0.5),
				vcpu_lat_quantile(c->vcpu_lat_hist[i], 0.99));
		fputc('}', f);
	}
	fputs("]}}", f);
}

static void json_end(FILE *f, const struct frame *fr)
{
	const struct self_stats *s = fr->self;

	fprintf(f, "],\"self\":{\"vm_table_full\":%" PRIu64 ",\"unattributed_faults\":%" PRIu64
		",\"unattributed_splits\":%" PRIu64 ",\"task_storage_fail\":%" PRIu64
		",\"rmap_read_fail\":%" PRIu64 "}}\n",
		(uint64_t)s->vm_table_full, (uint64_t)s->unattributed_faults,
		(uint64_t)s->unattributed_splits, (uint64_t)s->task_storage_fail,
		(uint64_t)s->rmap_read_fail);
}

const struct renderer json_renderer = {
	.start = json_start, .begin = json_begin, .vm = json_vm, .end = json_end,
};
