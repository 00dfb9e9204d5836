// SPDX-License-Identifier: GPL-2.0-only
#include "report.h"

#include <inttypes.h>

/* The guest's two system pages (code, parameters), faulted in by the
 * warm-up: part of the workload's arithmetic for fault counts. */
#define SYSTEM_PAGES 2

uint64_t written_per_round(const struct dvm_options *o)
{
	uint64_t pages = o->mem / 4096;
	uint64_t tail = pages % 100 < o->writes_pct ? pages % 100 : o->writes_pct;

	return o->vcpus * ((pages / 100) * o->writes_pct + tail);
}

static uint64_t regions(const struct dvm_options *o)
{
	return o->vcpus * o->mem / (2ULL << 20);
}

static const char *eager_str(char e)
{
	return e == 'Y' ? "Y" : e == 'N' ? "N" : "unknown";
}

void report_text(FILE *f, const struct summary *s)
{
	const struct dvm_options *o = s->opt;
	unsigned int v, r;

	for (v = 0; v < o->vms; v++) {
		const struct vm_result *res = &s->results[v];

		fprintf(f, "summary vm=%u name=%s status=%s vcpus=%u mem_per_vcpu_mib=%" PRIu64
			" backing=%s writes_pct=%u passes=%u rounds=%u mode=%s eager_page_split=%s"
			" loop=%d nested=%d cycles=%u guest_page=%s regions_2m=%" PRIu64 " system_pages=%d"
			" pages_written_per_round=%" PRIu64 " populate_s=%.6f enable_s=%.6f disable_s=%.6f"
			" before_pages_4k=%" PRIu64 " before_pages_2m=%" PRIu64 " before_pages_1g=%" PRIu64
			" enabled_pages_4k=%" PRIu64 " enabled_pages_2m=%" PRIu64 " enabled_pages_1g=%" PRIu64,
			v, o->name, s->status, o->vcpus, o->mem >> 20, dvm_backing_name(o->backing),
			o->writes_pct, o->passes, o->rounds, dvm_mode_name(o->mode), eager_str(s->eager),
			o->loop, o->nested, res->cycles, s->guest_1g ? "1G" : "2M", regions(o), SYSTEM_PAGES,
			written_per_round(o),
			res->populate_s, res->enable_s, res->disable_s,
			res->pages_before[0], res->pages_before[1], res->pages_before[2],
			res->pages_enabled[0], res->pages_enabled[1], res->pages_enabled[2]);
		for (r = 0; r < res->rounds_done; r++) {
			const struct round_result *rr = &res->rounds[r];

			fprintf(f, " round%u_dirty_s=%.6f round%u_get_s=%.6f round%u_clear_s=%.6f"
				" round%u_dirty_pages=%" PRIu64 " round%u_missing_pages=%" PRIu64
				" round%u_pages_4k=%" PRIu64 " round%u_pages_2m=%" PRIu64
				" round%u_pages_1g=%" PRIu64,
				r + 1, rr->dirty_s, r + 1, rr->get_s, r + 1, rr->clear_s,
				r + 1, rr->dirty, r + 1, rr->missing,
				r + 1, rr->pages[0], r + 1, rr->pages[1], r + 1, rr->pages[2]);
		}
		fprintf(f, " rounds_done=%u end_pages_4k=%" PRIu64 " end_pages_2m=%" PRIu64
			" end_pages_1g=%" PRIu64 "\n",
			res->rounds_done, res->pages_end[0], res->pages_end[1], res->pages_end[2]);
	}
}

static void json_pages(FILE *f, const char *key, const uint64_t p[3])
{
	fprintf(f, "\"%s\":{\"pages_4k\":%" PRIu64 ",\"pages_2m\":%" PRIu64 ",\"pages_1g\":%" PRIu64 "}",
		key, p[0], p[1], p[2]);
}

/* KVM's fault counters, null where the kernel lacks one. */
static void json_faults(FILE *f, const uint64_t v[DVM_FAULT_STATS])
{
	unsigned int k;

	fprintf(f, "\"kvm_faults\":{");
	for (k = 0; k < DVM_FAULT_STATS; k++) {
		fprintf(f, "%s\"%s\":", k ? "," : "", dvm_fault_stat_names[k]);
		if (v[k] == DVM_STAT_MISSING)
			fprintf(f, "null");
		else
			fprintf(f, "%" PRIu64, v[k]);
	}
	fputc('}', f);
}

/* The name is the only free text: escape what JSON requires. */
static void json_string(FILE *f, const char *str)
{
	fputc('"', f);
	for (; *str; str++) {
		unsigned char c = (unsigned char)*str;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void report_json(FILE *f, const struct summary *s)
{
	const struct dvm_options *o = s->opt;
	unsigned int v, r;

	fprintf(f, "{\"status\":\"%s\",\"params\":{\"vcpus\":%u,\"mem_per_vcpu_mib\":%" PRIu64
		",\"backing\":\"%s\",\"writes_pct\":%u,\"passes\":%u,\"rounds\":%u,\"mode\":\"%s\""
		",\"eager_page_split\":\"%s\",\"loop\":%s,\"nested\":%s,\"vms\":%u,\"name\":",
		s->status, o->vcpus, o->mem >> 20, dvm_backing_name(o->backing), o->writes_pct,
		o->passes, o->rounds, dvm_mode_name(o->mode), eager_str(s->eager),
		o->loop ? "true" : "false", o->nested ? "true" : "false", o->vms);
	json_string(f, o->name);
	fprintf(f, "},\"guest_page\":\"%s\",\"regions_2m\":%" PRIu64 ",\"system_pages\":%d,"
		"\"pages_written_per_round\":%" PRIu64 ",\"vms\":[", s->guest_1g ? "1G" : "2M", regions(o),
		SYSTEM_PAGES, written_per_round(o));
	for (v = 0; v < o->vms; v++) {
		const struct vm_result *res = &s->results[v];

		fprintf(f, "%s{\"vm\":%u,\"cycles\":%u,\"populate_s\":%.6f,\"enable_s\":%.6f,"
			"\"disable_s\":%.6f,", v ? "," : "", v, res->cycles, res->populate_s,
			res->enable_s, res->disable_s);
		json_pages(f, "before", res->pages_before);
		fputc(',', f);
		json_pages(f, "enabled", res->pages_enabled);
		fputc(',', f);
		json_pages(f, "end", res->pages_end);
		if (res->have_faults) {
			fputc(',', f);
			json_faults(f, res->faults);
		}
		fprintf(f, ",\"rounds\":[");
		for (r = 0; r < res->rounds_done; r++) {
			const struct round_result *rr = &res->rounds[r];

			fprintf(f, "%s{\"round\":%u,\"dirty_s\":%.6f,\"get_s\":%.6f,\"clear_s\":%.6f,"
				"\"dirty_pages\":%" PRIu64 ",\"missing_pages\":%" PRIu64 ",",
				r ? "," : "", r + 1, rr->dirty_s, rr->get_s, rr->clear_s, rr->dirty,
				rr->missing);
			json_pages(f, "after", rr->pages);
			fputc(',', f);
			json_faults(f, rr->faults);
			fputc('}', f);
		}
		fprintf(f, "],\"total\":{\"enables\":%" PRIu64 ",\"disables\":%" PRIu64 ",\"gets\":%" PRIu64
			",\"clears\":%" PRIu64 ",\"lost_2m\":%" PRIu64 "}}", res->total.enables,
			res->total.disables, res->total.gets, res->total.clears, res->total.lost_2m);
	}
	fprintf(f, "]}\n");
}
