// SPDX-License-Identifier: GPL-2.0-only
#include "openmetrics.h"
#include "splittop/model/self_stats.h"
#include "common/text.h"

#include <stdlib.h>
#include <string.h>

void om_vm_from(struct om_vm *o, const struct snap_vm *v, const struct avail *a)
{
	const struct vm_entry *e = v->e;
	unsigned int i, n = e->gauges.vcpus > e->vcpus.n ? e->gauges.vcpus : e->vcpus.n;

	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", e->name);
	o->ident = e->ident;
	o->pid = e->pid;
	o->row = v->row[SCOPE_TOTAL];
	o->faults = a->faults;
	o->lock_wait = a->lock_wait;
	memcpy(o->wait_hist, e->now.vm.lock_wait_hist, sizeof(o->wait_hist));
	for (i = 0; i < v->ins.found.n; i++)
		o->findings |= 1u << v->ins.found.f[i].id;
	o->vcpu_faults = n ? calloc(n, sizeof(*o->vcpu_faults)) : NULL;
	if (!o->vcpu_faults)
		return;
	o->vcpu_rows = n;
	for (i = 0; i < e->vcpus.n; i++)
		memcpy(o->vcpu_faults[i], e->vcpus.now[i].faults, sizeof(o->vcpu_faults[i]));
}

void om_vm_release(struct om_vm *o)
{
	free(o->vcpu_faults);
	o->vcpu_faults = NULL;
	o->vcpu_rows = 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

bool om_family(unsigned int c, char *buf, size_t n, const char **unit, enum om_conv *conv)
{
	const struct metric_def *m = &metrics[c];
	size_t len;

	if (!m->name)
		return false;
	len = strlen(m->name);
	*unit = NULL;
	*conv = OM_PLAIN;
	if (m->unit == U_NS && ends_with(m->name, "_ns")) {
		snprintf(buf, n, "splittop_%.*s_seconds", (int)(len - 3), m->name);
		*unit = "seconds";
		*conv = OM_NS_TO_SECONDS;
	} else if (m->unit == U_MIB && ends_with(m->name, "_mib")) {
		snprintf(buf, n, "splittop_%.*s_bytes", (int)(len - 4), m->name);
		*unit = "bytes";
		*conv = OM_MIB_TO_BYTES;
	} else if (!strcmp(m->name, "dirty_rounds")) {
		/* The family says what a round is of, where CSV's column is short. */
		snprintf(buf, n, "splittop_dirty_log_rounds");
	} else {
		snprintf(buf, n, "splittop_%s", m->name);
	}
	return true;
}

static void put_value(FILE *f, uint64_t v, enum om_conv conv)
{
	switch (conv) {
	case OM_NS_TO_SECONDS:
		fprintf(f, "%llu.%09llu\n", (unsigned long long)(v / 1000000000),
			(unsigned long long)(v % 1000000000));
		break;
	case OM_MIB_TO_BYTES:
		fprintf(f, "%llu\n", (unsigned long long)v << 20);
		break;
	default:
		fprintf(f, "%llu\n", (unsigned long long)v);
	}
}

/* A label value: backslash, double quote and newline escaped; a byte that
 * is not UTF-8 (VM names come from command lines), or another control
 * character, as U+FFFD: one bad name must not make a scraper drop them all. */
static void put_label(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		int n = utf8_seq_len(s);

		if (*s == '\\' || *s == '"') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (!n || *s < 0x20 || *s == 0x7f) {
			fputs("\xef\xbf\xbd", f);
			s++;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
}

/* name{vm="...",pid="..."[,uuid="...",...][,extra]}: each identity the VM
 * has (vm_ident.h), so that a fleet joins these series with libvirt's and
 * KubeVirt's; one it lacks is no label at all, never an empty one. */
static void put_sample(FILE *f, const char *name, const char *suffix, const struct om_vm *v, const char *extra)
{
	unsigned int i;

	fprintf(f, "%s%s{vm=\"", name, suffix);
	put_label(f, v->name);
	fprintf(f, "\",pid=\"%u\"", v->pid);
	for (i = 0; i < NR_VM_IDENTS; i++) {
		if (!vm_ident_has(&v->ident, i))
			continue;
		fprintf(f, ",%s=\"", vm_ident_defs[i].label);
		put_label(f, v->ident.v[i]);
		fputc('"', f);
	}
	fprintf(f, "%s%s} ", extra ? "," : "", extra ? extra : "");
}

/* TYPE, UNIT and HELP of a family; sample: its samples' name in the older
 * format, where TYPE and HELP name the sample, not the family. */
static void put_header(FILE *f, const char *family, const char *type, const char *unit, const char *help,
		       const char *sample, bool openmetrics)
{
	if (openmetrics) {
		fprintf(f, "# TYPE %s %s\n", family, type);
		if (unit)
			fprintf(f, "# UNIT %s %s\n", family, unit);
		fprintf(f, "# HELP %s %s\n", family, help);
	} else {
		fprintf(f, "# HELP %s %s\n", sample, help);
		fprintf(f, "# TYPE %s %s\n", sample, type);
	}
}

static void put_columns(FILE *f, const struct om_vm *vms, unsigned int n, bool openmetrics)
{
	unsigned int c, i;

	for (c = 0; c < NR_COLUMNS; c++) {
		const struct metric_def *m = &metrics[c];
		char family[96], sample[104];
		enum om_conv conv;
		const char *unit;
		bool any = false;

		if (!om_family(c, family, sizeof(family), &unit, &conv))
			continue;
		for (i = 0; i < n && !any; i++)
			any = vms[i].row.present[c];
		if (!any)
			continue;	/* unavailable here: no empty family */
		snprintf(sample, sizeof(sample), "%s%s", family, m->kind == COUNTER ? "_total" : "");
		put_header(f, family, m->kind == COUNTER ? "counter" : "gauge", unit, m->help, sample,
			   openmetrics);
		for (i = 0; i < n; i++) {
			if (!vms[i].row.present[c])
				continue;
			put_sample(f, sample, "", &vms[i], NULL);
			put_value(f, vms[i].row.v[c], conv);
		}
	}
}

/* The mmu_lock wait histogram: bucket b of splittop's log2 histogram holds
 * waits of [2^b, 2^(b+1)) ns, so le is 2^(b+1) - 1 ns; the last is +Inf. */
static void put_wait_histogram(FILE *f, const struct om_vm *vms, unsigned int n, bool openmetrics)
{
	static const char family[] = "splittop_mmu_lock_wait_duration_seconds";
	unsigned int i, b;
	bool any = false;

	for (i = 0; i < n; i++)
		any |= vms[i].lock_wait;
	if (!any)
		return;
	put_header(f, family, "histogram", "seconds",
		   "kvm->mmu_lock waits by duration (the timed ones: mmu_lock_waits_timed)", family, openmetrics);
	for (i = 0; i < n; i++) {
		const struct om_vm *v = &vms[i];
		uint64_t cum = 0;
		char le[48];

		if (!v->lock_wait)
			continue;
		for (b = 0; b < ST_HIST_BUCKETS; b++) {
			uint64_t hi = (1ULL << (b + 1)) - 1;

			cum += v->wait_hist[b];
			if (b == ST_HIST_BUCKETS - 1)
				snprintf(le, sizeof(le), "le=\"+Inf\"");
			else
				snprintf(le, sizeof(le), "le=\"%llu.%09llu\"", (unsigned long long)(hi / 1000000000),
					 (unsigned long long)(hi % 1000000000));
			put_sample(f, family, "_bucket", v, le);
			fprintf(f, "%llu\n", (unsigned long long)cum);
		}
		put_sample(f, family, "_count", v, NULL);
		fprintf(f, "%llu\n", (unsigned long long)cum);
		put_sample(f, family, "_sum", v, NULL);
		put_value(f, v->row.v[COL_LOCK_WAIT_NS], OM_NS_TO_SECONDS);
	}
}

static const char *const fault_class[FAULT_CLASSES] = {
	[FAULT_HUGE_WP] = "huge_wp", [FAULT_NONPRESENT] = "nonpresent", [FAULT_4K_WP] = "4k_wp",
	[FAULT_OTHER] = "other",
};

static void put_vcpu_faults(FILE *f, const struct om_vm *vms, unsigned int n, bool openmetrics)
{
	unsigned int i, k, cls;
	bool any = false;

	for (i = 0; i < n; i++)
		any |= vms[i].faults && vms[i].vcpu_rows;
	if (!any)
		return;
	for (cls = 0; cls < FAULT_CLASSES; cls++) {
		char family[64], sample[72], help[128];

		snprintf(family, sizeof(family), "splittop_vcpu_faults_%s", fault_class[cls]);
		snprintf(sample, sizeof(sample), "%s_total", family);
		snprintf(help, sizeof(help), "faults_%s of one vCPU", fault_class[cls]);
		put_header(f, family, "counter", NULL, help, sample, openmetrics);
		for (i = 0; i < n; i++) {
			const struct om_vm *v = &vms[i];

			if (!v->faults)
				continue;
			for (k = 0; k < v->vcpu_rows; k++) {
				char label[24];

				snprintf(label, sizeof(label), "vcpu=\"%u\"", k);
				put_sample(f, sample, "", v, label);
				fprintf(f, "%llu\n", (unsigned long long)v->vcpu_faults[k][cls]);
			}
		}
	}
}

/* One gauge per VM and finding, 1 while it fires: an alert on a finding
 * is `splittop_finding{finding="not-converging"} == 1`. */
static void put_findings(FILE *f, const struct om_vm *vms, unsigned int n, bool openmetrics)
{
	static const char family[] = "splittop_finding";
	unsigned int i, k;

	if (!n)
		return;
	put_header(f, family, "gauge", NULL, "1 while the finding fires for the VM (docs/insight.md)", family,
		   openmetrics);
	for (i = 0; i < n; i++) {
		for (k = 0; k < NR_FINDINGS; k++) {
			char label[96];

			snprintf(label, sizeof(label), "finding=\"%s\",severity=\"%s\"", finding_defs[k].name,
				 finding_severity_name(finding_defs[k].severity));
			put_sample(f, family, "", &vms[i], label);
			fprintf(f, "%u\n", vms[i].findings >> k & 1);
		}
	}
}

static void put_self(FILE *f, const struct self_stats *s, bool openmetrics)
{
	unsigned int i;

	for (i = 0; i < NR_SELF_STATS; i++) {
		char family[64], sample[72];

		snprintf(family, sizeof(family), "splittop_self_%s", self_stat_defs[i].name);
		snprintf(sample, sizeof(sample), "%s_total", family);
		put_header(f, family, "counter", NULL, self_stat_defs[i].help, sample, openmetrics);
		fprintf(f, "%s %llu\n", sample, (unsigned long long)self_stat_get(s, i));
	}
}

void om_render(FILE *f, const struct om_vm *vms, unsigned int n, const struct self_stats *self,
	       bool openmetrics)
{
	put_columns(f, vms, n, openmetrics);
	put_wait_histogram(f, vms, n, openmetrics);
	put_vcpu_faults(f, vms, n, openmetrics);
	put_findings(f, vms, n, openmetrics);
	put_self(f, self, openmetrics);
	if (openmetrics)
		fputs("# EOF\n", f);
}
