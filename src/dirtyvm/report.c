// SPDX-License-Identifier: GPL-2.0-only
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

static const uint64_t no_pages[DVM_PAGE_STATS];

/* The first migration, whose figures the summary's flat keys carry (as
 * before migrations were counted); NULL where none began. */
static const struct migration_result *first_migration(const struct vm_result *res)
{
	return res->migrations_done ? &res->migrations[0] : NULL;
}

static void text_rounds(FILE *f, const char *pre, const struct migration_result *m)
{
	unsigned int r;

	for (r = 0; m && r < m->rounds_done; r++) {
		const struct round_result *rr = &m->rounds[r];

		fprintf(f, " %sround%u_dirty_s=%.6f %sround%u_get_s=%.6f %sround%u_clear_s=%.6f"
			" %sround%u_dirty_pages=%" PRIu64 " %sround%u_missing_pages=%" PRIu64
			" %sround%u_pages_4k=%" PRIu64 " %sround%u_pages_2m=%" PRIu64
			" %sround%u_pages_1g=%" PRIu64,
			pre, r + 1, rr->dirty_s, pre, r + 1, rr->get_s, pre, r + 1, rr->clear_s,
			pre, r + 1, rr->dirty, pre, r + 1, rr->missing,
			pre, r + 1, rr->pages[0], pre, r + 1, rr->pages[1], pre, r + 1, rr->pages[2]);
	}
}

/* The migrations after the first, and what each left: prefixed keys. */
static void text_migrations(FILE *f, const struct vm_result *res)
{
	unsigned int n;

	for (n = 0; n < res->migrations_done; n++) {
		const struct migration_result *m = &res->migrations[n];
		char pre[32];

		snprintf(pre, sizeof(pre), "migration%u_", n + 1);
		if (n)
			text_rounds(f, pre, m);
		fprintf(f, " %scancelled=%d %sdisabled_pages_4k=%" PRIu64 " %sdisabled_pages_2m=%" PRIu64,
			pre, m->cancelled, pre, m->pages_disabled[0], pre, m->pages_disabled[1]);
		if (m->after.done)
			fprintf(f, " %safter_s=%.6f %safter_pages_4k=%" PRIu64 " %safter_pages_2m=%" PRIu64,
				pre, m->after.secs, pre, m->after.pages[0], pre, m->after.pages[1]);
	}
}

static void text_lines(FILE *f, const struct summary *s);

/* The summary's key=value lines, with "none" for a statistic the kernel
 * lacks (arm64's pages_*) instead of its marker's digits. */
void report_text(FILE *f, const struct summary *s)
{
	static const char missing[] = "=18446744073709551615";	/* DVM_STAT_MISSING */
	char *buf = NULL, *p, *at;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m) {
		text_lines(f, s);
		return;
	}
	text_lines(m, s);
	fclose(m);
	for (p = buf; (at = strstr(p, missing)); p = at + sizeof(missing) - 1)
		fprintf(f, "%.*s=none", (int)(at - p), p);
	fputs(p, f);
	free(buf);
}

static void text_lines(FILE *f, const struct summary *s)
{
	const struct dvm_options *o = s->opt;
	unsigned int v;

	for (v = 0; v < o->vms; v++) {
		const struct vm_result *res = &s->results[v];
		const struct migration_result *m = first_migration(res);
		const uint64_t *before = m ? m->pages_before : res->pages_populated;
		const uint64_t *enabled = m ? m->pages_enabled : no_pages;

		fprintf(f, "summary vm=%u name=%s status=%s vcpus=%u mem_per_vcpu_mib=%" PRIu64
			" backing=%s writes_pct=%u passes=%u rounds=%u migrations=%u cancel_after=%d after_pass=%d"
			" mode=%s eager_page_split=%s"
			" loop=%d nested=%d cycles=%u guest_page=%s regions_2m=%" PRIu64 " system_pages=%d"
			" pages_written_per_round=%" PRIu64 " populate_s=%.6f enable_s=%.6f disable_s=%.6f"
			" before_pages_4k=%" PRIu64 " before_pages_2m=%" PRIu64 " before_pages_1g=%" PRIu64
			" enabled_pages_4k=%" PRIu64 " enabled_pages_2m=%" PRIu64 " enabled_pages_1g=%" PRIu64,
			v, o->name, s->status, o->vcpus, o->mem >> 20, dvm_backing_name(o->backing),
			o->writes_pct, o->passes, o->rounds, o->migrations, o->cancel_after, o->after_pass,
			dvm_mode_name(o->mode), eager_str(s->eager),
			o->loop, o->nested, res->cycles, s->guest_1g ? "1G" : "2M", regions(o), SYSTEM_PAGES,
			written_per_round(o),
			res->populate_s, m ? m->enable_s : 0, m ? m->disable_s : 0,
			before[0], before[1], before[2], enabled[0], enabled[1], enabled[2]);
		text_rounds(f, "", m);
		text_migrations(f, res);
		fprintf(f, " rounds_done=%u migrations_done=%u end_pages_4k=%" PRIu64 " end_pages_2m=%" PRIu64
			" end_pages_1g=%" PRIu64 "\n",
			m ? m->rounds_done : 0, res->migrations_done, res->pages_end[0], res->pages_end[1],
			res->pages_end[2]);
	}
}

/* KVM's mapping counters, null where the kernel keeps none (arm64). */
static void json_pages(FILE *f, const char *key, const uint64_t p[DVM_PAGE_STATS])
{
	if (p[0] == DVM_STAT_MISSING)
		fprintf(f, "\"%s\":{\"pages_4k\":null,\"pages_2m\":null,\"pages_1g\":null", key);
	else
		fprintf(f, "\"%s\":{\"pages_4k\":%" PRIu64 ",\"pages_2m\":%" PRIu64 ",\"pages_1g\":%" PRIu64,
			key, p[0], p[1], p[2]);
	if (p[3] == DVM_STAT_MISSING)
		fprintf(f, ",\"sec_pagetables_kb\":null}");
	else
		fprintf(f, ",\"sec_pagetables_kb\":%" PRIu64 "}", p[3]);
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

static void json_rounds(FILE *f, const struct migration_result *m)
{
	unsigned int r;

	fprintf(f, "\"rounds\":[");
	for (r = 0; m && r < m->rounds_done; r++) {
		const struct round_result *rr = &m->rounds[r];

		fprintf(f, "%s{\"round\":%u,\"dirty_s\":%.6f,\"get_s\":%.6f,\"clear_s\":%.6f,\"reset_s\":%.6f,"
			"\"dirty_pages\":%" PRIu64 ",\"missing_pages\":%" PRIu64 ",",
			r ? "," : "", r + 1, rr->dirty_s, rr->get_s, rr->clear_s, rr->reset_s, rr->dirty,
			rr->missing);
		json_pages(f, "after", rr->pages);
		fputc(',', f);
		json_faults(f, rr->faults);
		fputc('}', f);
	}
	fputc(']', f);
}

/* Every migration of the last cycle: its pages before, once enabled, once
 * disabled, its rounds, and the pass after it (null without --after-pass). */
static void json_migrations(FILE *f, const struct vm_result *res)
{
	unsigned int n;

	fprintf(f, ",\"migrations\":[");
	for (n = 0; n < res->migrations_done; n++) {
		const struct migration_result *m = &res->migrations[n];

		fprintf(f, "%s{\"migration\":%u,\"cancelled\":%s,\"enable_s\":%.6f,\"disable_s\":%.6f,",
			n ? "," : "", n + 1, m->cancelled ? "true" : "false", m->enable_s, m->disable_s);
		json_pages(f, "before", m->pages_before);
		fputc(',', f);
		json_pages(f, "enabled", m->pages_enabled);
		fputc(',', f);
		if (m->disabled)
			json_pages(f, "disabled", m->pages_disabled);
		else
			fprintf(f, "\"disabled\":null");
		fputc(',', f);
		json_rounds(f, m);
		fprintf(f, ",\"after\":");
		if (m->after.done) {
			fprintf(f, "{\"secs\":%.6f,", m->after.secs);
			json_pages(f, "pages", m->after.pages);
			fputc(',', f);
			json_faults(f, m->after.faults);
			fputc('}', f);
		} else {
			fprintf(f, "null");
		}
		fputc('}', f);
	}
	fputc(']', f);
}

void report_json(FILE *f, const struct summary *s)
{
	const struct dvm_options *o = s->opt;
	unsigned int v;

	fprintf(f, "{\"status\":\"%s\",\"params\":{\"vcpus\":%u,\"mem_per_vcpu_mib\":%" PRIu64
		",\"backing\":\"%s\",\"writes_pct\":%u,\"passes\":%u,\"rounds\":%u,\"migrations\":%u,"
		"\"cancel_after\":%d,\"after_pass\":%s,\"mode\":\"%s\""
		",\"eager_page_split\":\"%s\",\"loop\":%s,\"nested\":%s,\"vms\":%u,\"name\":",
		s->status, o->vcpus, o->mem >> 20, dvm_backing_name(o->backing), o->writes_pct,
		o->passes, o->rounds, o->migrations, o->cancel_after, o->after_pass ? "true" : "false",
		dvm_mode_name(o->mode), eager_str(s->eager),
		o->loop ? "true" : "false", o->nested ? "true" : "false", o->vms);
	json_string(f, o->name);
	fprintf(f, "},\"guest_page\":\"%s\",\"regions_2m\":%" PRIu64 ",\"system_pages\":%d,"
		"\"pages_written_per_round\":%" PRIu64 ",\"vms\":[", s->guest_1g ? "1G" : "2M", regions(o),
		SYSTEM_PAGES, written_per_round(o));
	for (v = 0; v < o->vms; v++) {
		const struct vm_result *res = &s->results[v];
		const struct migration_result *m = first_migration(res);

		/* The flat keys are the first migration's (before: the populated
		 * VM's where there was none). */
		fprintf(f, "%s{\"vm\":%u,\"cycles\":%u,\"populate_s\":%.6f,\"base_pass_s\":%.6f,\"enable_s\":%.6f,"
			"\"disable_s\":%.6f,", v ? "," : "", v, res->cycles, res->populate_s, res->base_pass_s,
			m ? m->enable_s : 0, m ? m->disable_s : 0);
		json_pages(f, "populated", res->pages_populated);
		fputc(',', f);
		json_pages(f, "before", m ? m->pages_before : res->pages_populated);
		fputc(',', f);
		json_pages(f, "enabled", m ? m->pages_enabled : no_pages);
		fputc(',', f);
		json_pages(f, "end", res->pages_end);
		if (res->have_faults) {
			fputc(',', f);
			json_faults(f, res->faults);
		}
		fputc(',', f);
		json_rounds(f, m);
		json_migrations(f, res);
		fprintf(f, ",\"total\":{\"enables\":%" PRIu64 ",\"disables\":%" PRIu64 ",\"gets\":%" PRIu64
			",\"clears\":%" PRIu64 ",\"resets\":%" PRIu64 ",\"lost_2m\":%" PRIu64 "}}", res->total.enables,
			res->total.disables, res->total.gets, res->total.clears, res->total.resets, res->total.lost_2m);
	}
	fprintf(f, "]}\n");
}
