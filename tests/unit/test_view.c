// SPDX-License-Identifier: GPL-2.0-only
/* The live view's pure parts: number formatting, column fitting, sparkline
 * scaling, rows, sorting, filtering and the detail pane's text. */
#include "splittop/keys.h"
#include "splittop/view.h"
#include "unit.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>

static const char *count(double v)
{
	static char buf[32];

	fmt_count(buf, sizeof(buf), v);
	return buf;
}

static const char *ns(double v)
{
	static char buf[32];

	fmt_ns(buf, sizeof(buf), v);
	return buf;
}

static const char *mib(double v)
{
	static char buf[32];

	fmt_mib(buf, sizeof(buf), v);
	return buf;
}

static unsigned int fitted_width(const bool on[NR_COLUMNS], unsigned int namew)
{
	unsigned int c, w = namew;

	for (c = 0; c < NR_COLUMNS; c++)
		if (on[c] && c != COL_NAME)
			w += 1 + metrics[c].width;
	return w;
}

/* Rows as the live view builds them: through a snapshot of a VM table. */
static void rows_of(struct vm_entry *e, unsigned int n, const struct avail *a, double dt,
		    struct snapshot *s, struct view_row *rows)
{
	struct vm_table t = { .e = e, .n = n, .cap = n };
	unsigned int i;

	s->avail = *a;
	s->dt = dt;
	if (snapshot_fill(s, &t, NULL, NULL) || s->n != n)
		abort();
	for (i = 0; i < n; i++)
		view_row_build(&s->vms[i], dt, &rows[i]);
}

static void test_format(void)
{
	CHECK_STR(count(0), "0", "zero");
	CHECK_STR(count(7), "7", "small integer");
	CHECK_STR(count(2.5), "2.5", "small rate keeps a decimal");
	CHECK_STR(count(999), "999", "three digits");
	CHECK_STR(count(9999), "9999", "four digits stay exact");
	CHECK_STR(count(12345), "12.3k", "tens of thousands");
	CHECK_STR(count(131074), "131k", "hundreds of thousands");
	CHECK_STR(count(393474), "393k", "the 256M run's faults");
	CHECK_STR(count(999999), "1.00M", "rounds up into the next unit");
	CHECK_STR(count(1234567), "1.23M", "millions");
	CHECK_STR(count(45.6e9), "45.6G", "billions");
	CHECK_STR(count(-3), "0", "negative clamps to 0");
	CHECK(strlen(count(1e30)) <= 6, "huge stays within 6 characters: %s", count(1e30));

	CHECK_STR(ns(0), "0", "0 ns");
	CHECK_STR(ns(850), "850ns", "ns");
	CHECK_STR(ns(12345), "12.3us", "us");
	CHECK_STR(ns(1234567), "1.23ms", "ms");
	CHECK_STR(ns(6.83e6), "6.83ms", "the 256M run's wait");
	CHECK_STR(ns(4.56e9), "4.56s", "s");
	CHECK_STR(ns(999.7), "1.00us", "rounds into us");

	CHECK_STR(mib(256), "256M", "MiB");
	CHECK_STR(mib(1536), "1.5G", "fractional GiB");
	CHECK_STR(mib(1024), "1G", "whole GiB");
	CHECK_STR(mib(65536), "64G", "large GiB");
}

static void test_fit(void)
{
	bool on[NR_COLUMNS];
	enum column cols[NR_COLUMNS];
	unsigned int w, namew, c, nc = view_columns(cols);

	namew = view_fit(80, on);
	CHECK(fitted_width(on, namew) <= 80, "80 columns: row is %u wide", fitted_width(on, namew));
	CHECK(on[COL_NAME] && on[COL_PID] && on[COL_DIRTY_LOGGING] && on[COL_SPLITS] && on[COL_DEMOTIONS] &&
	      on[COL_FAULTS] && on[COL_LOCK_WAIT_NS],
	      "80 columns show name, pid, dirty logging, splits, demotions, faults, wait");
	CHECK(!on[COL_PAGES_1G], "80 columns leave out the least important column");
	CHECK(namew >= metrics[COL_NAME].width, "name keeps its minimum width (%u)", namew);
	CHECK_EQ_U64(nc, 20, "the view shows 20 of the metric table's columns");
	CHECK(cols[0] == COL_NAME && cols[1] == COL_PID && cols[nc - 1] == COL_PAGES_1G,
	      "display order: name, pid first, pages_1g last");

	namew = view_fit(200, on);
	for (c = 0, w = 0; c < NR_COLUMNS; c++)
		w += on[c];
	CHECK_EQ_U64(w, nc, "200 columns show every column");
	CHECK_EQ_U64(namew, 24, "the name grows to 24 on a wide screen");

	/* A column is never shown while a more important one is hidden. */
	for (w = 20; w <= 200; w++) {
		bool ok = true;
		unsigned int a, b;

		namew = view_fit(w, on);
		for (a = 0; a < NR_COLUMNS; a++)
			for (b = 0; b < NR_COLUMNS; b++)
				if (on[a] && !on[b] && metrics[b].rate_header &&
				    metrics[b].priority < metrics[a].priority)
					ok = false;
		if (!ok || fitted_width(on, namew) > w) {
			CHECK(0, "width %u: priorities or width broken", w);
			break;
		}
		if (w == 200)
			CHECK(1, "widths 20..200: fit within the width, by priority");
	}
	namew = view_fit(5, on);
	CHECK(on[COL_NAME] && !on[COL_PID] && namew == 5, "a tiny width shows only the name, cut");
}

static void test_sparkline(void)
{
	double v[8] = { 0, 1, 2, 4, 8, 0, 8, 0.01 };
	double all0[3] = { 0, 0, 0 };
	char buf[64];
	double max;

	max = view_sparkline(buf, sizeof(buf), v, 8, false);
	CHECK(max == 8, "largest sample returned (%g)", max);
	/* Level = ceil(8 * v / max): 1/8 of the largest is the lowest mark. */
	CHECK_STR(buf, " .,~# #.", "ASCII levels scale to the largest, 0 blank, tiny still visible");
	view_sparkline(buf, sizeof(buf), v, 8, true);
	CHECK_STR(buf, " ▁▂▄█ █▁", "block characters");
	CHECK_EQ_U64(view_text_width(buf), 8, "one cell per sample");
	max = view_sparkline(buf, sizeof(buf), all0, 3, true);
	CHECK(max == 0 && !strcmp(buf, "   "), "all zero: blank, max 0");
	view_sparkline(buf, 5, v, 8, true);
	CHECK(strlen(buf) < 5, "never overruns a short buffer ('%s')", buf);
}

static void test_history(void)
{
	struct view_history h = { 0 };
	double v[NR_VIEW_SERIES];
	unsigned int i;

	for (i = 0; i < VIEW_HISTORY + 5; i++) {
		v[VS_SPLITS] = i;
		v[VS_FAULTS] = 2 * i;
		v[VS_PAGES_2M] = 3 * i;
		view_history_push(&h, v);
	}
	CHECK_EQ_U64(h.len, VIEW_HISTORY, "history keeps the last 60");
	CHECK(view_history_get(&h, VS_SPLITS, 0) == 5, "oldest kept is sample 5");
	CHECK(view_history_get(&h, VS_PAGES_2M, VIEW_HISTORY - 1) == 3 * (VIEW_HISTORY + 4), "newest last");
}

static struct vm_entry entry(uint32_t pid, const char *name, uint64_t faults, uint64_t prev_faults)
{
	struct vm_entry e = { .pid = pid, .alive = true, .seq = pid };

	snprintf(e.name, sizeof(e.name), "%s", name);
	e.now.faults[FAULT_NONPRESENT] = faults;
	e.prev.faults[FAULT_NONPRESENT] = prev_faults;
	e.gauges.vcpus = 2;
	e.gauges.mem_pages = 65536;
	e.gauges.memslots_dirty = 1;
	e.gauges.pages[0] = 65536 - 512;
	e.gauges.pages[1] = 1;
	return e;
}

static void test_rows(void)
{
	struct avail a = { .splits = 1, .faults = 1, .lock_wait = 1, .dlog = 1, .dlog_toggle = 1 };
	struct vm_entry e[3] = { entry(10, "beta", 300, 100), entry(20, "alpha", 1000, 900),
				 entry(30, "gamma\nbad\xff", 50, 0) };
	struct snapshot s = { 0 };
	struct view_row r[3];
	char cell[64];

	e[0].now.vm.splits[SPLIT_2M][CAUSE_EAGER] = 64;
	e[0].now.vm.lock_wait_ns[MMU_LOCK_WRITE] = 3000000;
	rows_of(e, 3, &a, 2.0, &s, r);
	CHECK(r[0].rate[COL_FAULTS] == 100 && r[0].total[COL_FAULTS] == 300, "rate over dt, total since start");
	CHECK(r[0].rate[COL_SPLITS] == 32 && r[0].total[COL_SPLITS_RUN] == 64, "splits rate and run total");
	CHECK(r[0].rate[COL_LOCK_WAIT_NS] == 1.5e6, "wait: ns per second");
	CHECK(r[0].total[COL_HUGE_PPM] > 0.78 && r[0].total[COL_HUGE_PPM] < 0.79, "huge share of mapped memory");
	CHECK_STR(r[2].name, "gamma?bad?", "control and invalid bytes are not printed");
	view_cell(cell, sizeof(cell), &r[0], COL_FAULTS, false, 8);
	CHECK_STR(cell, "     100", "rate cell right-aligned");
	view_cell(cell, sizeof(cell), &r[0], COL_FAULTS, true, 8);
	CHECK_STR(cell, "     300", "total cell");
	view_cell(cell, sizeof(cell), &r[1], COL_NAME, false, 8);
	CHECK_STR(cell, "alpha   ", "name padded");
	view_cell(cell, sizeof(cell), &r[1], COL_DIRTY_LOGGING, false, 4);
	CHECK_STR(cell, "  on", "dirty logging on");
	r[1].present[COL_LOCK_WAIT_NS] = false;
	view_cell(cell, sizeof(cell), &r[1], COL_LOCK_WAIT_NS, false, 7);
	CHECK_STR(cell, "      -", "unavailable is '-', never 0");

	view_sort(r, 3, COL_FAULTS, false, false);
	CHECK(r[0].pid == 10 && r[1].pid == 20 && r[2].pid == 30, "sort by fault rate, largest first");
	view_sort(r, 3, COL_FAULTS, true, false);
	CHECK(r[0].pid == 20 && r[1].pid == 10 && r[2].pid == 30, "sort by fault total");
	view_sort(r, 3, COL_FAULTS, true, true);
	CHECK(r[0].pid == 30 && r[2].pid == 20, "reversed");
	view_sort(r, 3, COL_NAME, false, false);
	CHECK(r[0].pid == 20 && r[1].pid == 10 && r[2].pid == 30, "by name, alphabetical");

	CHECK(view_match(&r[0], "") && view_match(&r[0], NULL), "empty filter matches");
	CHECK(view_match(&r[0], "ALP") && !view_match(&r[0], "bet"), "name substring, any case");
	CHECK(view_match(&r[0], "20") && !view_match(&r[0], "2"), "pid matches whole");
	snapshot_free(&s);
}

/* Names in scripts that take two cells a character line up by cells. */
static void test_wide(void)
{
	struct vm_entry e = entry(7, "\xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93-db", 0, 0);	/* 数据库-db */
	struct avail a = { .faults = 1 };
	struct snapshot s = { 0 };
	struct view_row r;
	char cell[64];

	CHECK_EQ_U64(view_text_width("\xe6\x95\xb0\xe6\x8d\xae"), 4, "two CJK characters: 4 cells");
	CHECK_EQ_U64(view_text_width("caf\xc3\xa9"), 4, "a narrow accented letter: 1 cell");
	CHECK_EQ_U64(view_text_width("e\xcc\x81"), 1, "a combining accent: 0 cells");
	rows_of(&e, 1, &a, 1.0, &s, &r);
	view_cell(cell, sizeof(cell), &r, COL_NAME, false, 10);
	CHECK(view_text_width(cell) == 10, "the name cell is 10 cells wide: '%s'", cell);
	CHECK_STR(cell, "\xe6\x95\xb0\xe6\x8d\xae\xe5\xba\x93-db ", "6 cells of CJK, 3 of ASCII, 1 space");
	view_cell(cell, sizeof(cell), &r, COL_NAME, false, 5);
	CHECK_STR(cell, "\xe6\x95\xb0\xe6\x8d\xae ", "a wide character that would cross the edge is left out");
	CHECK_EQ_U64(view_prefix_bytes("\xe6\x95\xb0\xe6\x8d\xae", 3), 3, "prefix by cells, in bytes");
	snapshot_free(&s);
}

/* One key table: the footer and the help come from it, and the man page
 * documents every key in it. */
static void test_keys(void)
{
	const char *man = getenv("SPLITTOP_MAN") ? getenv("SPLITTOP_MAN") : "man/splittop.8";
	char text[32][96], footer[256], line[512], keys[8192] = "";
	unsigned int i, n;
	bool in_keys = false;
	FILE *f = fopen(man, "r");

	unsigned int live = 0, replay = 0;

	CHECK(key_action_of('q', KM_LIVE) == KA_QUIT && key_action_of(' ', KM_LIVE) == KA_PAUSE &&
	      key_action_of('\n', KM_LIVE) == KA_DETAIL && key_action_of('x', KM_LIVE) == KA_NONE,
	      "keys map to actions");
	CHECK(key_action_of('+', KM_LIVE) == KA_LONGER && key_action_of('+', KM_REPLAY) == KA_FASTER &&
	      key_action_of(KEY_RIGHT, KM_LIVE) == KA_NONE && key_action_of(KEY_RIGHT, KM_REPLAY) == KA_STEP_NEXT &&
	      key_action_of('g', KM_LIVE) == KA_NONE && key_action_of('g', KM_REPLAY) == KA_JUMP &&
	      key_action_of('q', KM_REPLAY) == KA_QUIT && key_action_of(' ', KM_REPLAY) == KA_PAUSE,
	      "a replay's keys move in time; the live view's change the interval");
	key_footer(footer, sizeof(footer), 0, "web", KM_LIVE);
	CHECK_STR(footer, "q quit  Enter detail  < > sort  / filter 'web'  t totals  space pause  h help",
		  "the table's footer, with the filter");
	key_footer(footer, sizeof(footer), 1, NULL, KM_LIVE);
	CHECK_STR(footer, "q quit  Esc back  t rates/totals  space pause  Up/Down scroll  h help",
		  "the detail pane's footer");
	key_footer(footer, sizeof(footer), 0, NULL, KM_REPLAY);
	CHECK_STR(footer, "q quit  Enter detail  < > sort  / filter  t totals  space play  Left/Right step  "
		  "g go to  m next migration  h help", "a replay's footer");
	for (i = 0; i < nr_key_bindings; i++) {
		live += !key_bindings[i].modes || (key_bindings[i].modes & KM_LIVE);
		replay += !key_bindings[i].modes || (key_bindings[i].modes & KM_REPLAY);
	}
	n = key_help_lines(text, 32, KM_LIVE);
	CHECK(n == live + 2 && !strcmp(text[0], "splittop keys"), "a help line per key");
	n = key_help_lines(text, 32, KM_REPLAY);
	CHECK(n == replay + 2 && n < 32 && !strcmp(text[0], "splittop keys (replay)"), "a help line per replay key");
	CHECK(f != NULL, "the man page %s is readable", man);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, ".SH", 3))
			in_keys = !strncmp(line, ".SH KEYS", 8);
		else if (in_keys && !strncmp(line, ".B ", 3) && strlen(keys) + strlen(line) < sizeof(keys)) {
			char *p;

			/* roff's \- is a minus sign. */
			while ((p = strstr(line, "\\-")))
				memmove(p, p + 1, strlen(p));
			strcat(keys, line + 3);
		}
	}
	if (f)
		fclose(f);
	for (i = 0; i < nr_key_bindings; i++)
		CHECK(strstr(keys, key_bindings[i].label) != NULL, "the man page's KEYS name '%s'",
		      key_bindings[i].label);
}

static bool has_line(const struct view_lines *l, const char *want)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (strstr(l->line[i].text, want))
			return true;
	return false;
}

/* The VM of the detail pane's tests: two vCPUs, splits, errors, waits,
 * clears. */
static void fill_detail_entry(struct vm_entry *ep)
{
	ep->vcpus.now[0].faults[FAULT_4K_WP] = 20;
	ep->vcpus.now[1].faults[FAULT_4K_WP] = 40;
	ep->now.faults[FAULT_4K_WP] = 60;
	ep->now.vm.splits[SPLIT_2M][CAUSE_FAULT] = 5;
	ep->now.demotions[SPLIT_2M] = 7;
	ep->now.vm.split_errors = 2;
	ep->now.vm.split_errno[12] = 2;
	ep->now.vm.lock_waits[MMU_LOCK_WRITE] = 3;
	ep->now.vm.lock_waits[MMU_LOCK_READ] = 0;
	ep->now.vm.lock_wait_hist[10] = 2;
	ep->now.vm.lock_wait_hist[12] = 1;
	ep->now.vm.dlog_count[DLOG_CLEAR] = 4;
	ep->now.vm.dlog_ns[DLOG_CLEAR] = 4000;
	ep->gauges.dlog_last_ns[DLOG_CLEAR] = 1500;
	ep->gauges.dlog_last_splits[DLOG_CLEAR] = 3;
	/* One migration that lost every huge mapping, given back when it stopped. */
	ep->now.vm.dlog_count[DLOG_ENABLE] = 1;
	ep->now.vm.dlog_count[DLOG_DISABLE] = 1;
	ep->gauges.dlog_last_pages_2m[DLOG_ENABLE][0] = 64;
	ep->gauges.dlog_last_pages_2m[DLOG_ENABLE][1] = 0;
	ep->gauges.dlog_last_pages_2m[DLOG_DISABLE][0] = 0;
	ep->gauges.dlog_last_pages_2m[DLOG_DISABLE][1] = 64;
	ep->lock_wait_max_run_ns = 5000;
}

static void check_detail_lines(const struct view_lines *lp)
{
	unsigned int i;

	CHECK(has_line(lp, "db  pid 42  vCPUs 2"), "title names the VM");
	CHECK(has_line(lp, "Faults per second"), "rates by default");
	CHECK(has_line(lp, "vCPU 1"), "a line per vCPU");
	CHECK(has_line(lp, "failed splits: 2: ENOMEM 2"), "errno by name");
	CHECK(has_line(lp, "3 waits (read 0, write 3), 0 in all") &&
	      has_line(lp, "p50 <=2.05us  p99 <=8.19us  max 5.00us"), "lock wait summary");
	CHECK(has_line(lp, "mmu_lock hold time: unavailable: kprobes absent"), "unavailable with the reason");
	CHECK(has_line(lp, "fault latency: unavailable: needs function probes") &&
	      has_line(lp, "    by this version; kprobes on this kernel: no"), "a long reason wraps");
	CHECK(has_line(lp, "1.02us .. 2.05us           2 |#"), "histogram bucket 10");
	CHECK(has_line(lp, "4.10us .. 8.19us           1 |#"), "histogram bucket 12");
	CHECK(has_line(lp, "  clear                    4    1.50us    1.00us              3            0"),
	      "dirty-log op: count, last, mean, splits in last");
	CHECK(has_line(lp, "  pages_2m at the latest enable 64 -> 0, disable 0 -> 64"),
	      "KVM's 2M mappings around the latest enable and disable");
	for (i = 0; i < lp->n; i++)
		if (view_text_width(lp->line[i].text) > 80 && i > 0)
			break;
	CHECK(i == lp->n, "every line fits 80 columns (line %u)", i);
}

/* A nested guest: flagged, its eager splits by MMU, the MMU named by errno. */
static void test_detail_nested(struct detail_input *in, struct avail *a, struct vm_entry *ep)
{
	struct view_lines l = { 0 };

	a->split_mmu = 1;
	ep->gauges.nested = 1;
	ep->now.vm.splits_mmu[MMU_SHADOW] = 8;
	ep->now.vm.split_errno[12] = 0;
	ep->now.vm.split_errno[EAGAIN] = 1;
	ep->now.vm.split_errno[EBUSY] = 1;
	CHECK(!view_detail(in, &l), "detail builds for a nested guest");
	CHECK(has_line(&l, "db  pid 42  vCPUs 2") && has_line(&l, "nested guest"), "the title flags a nested guest");
	CHECK(has_line(&l, "  eager, by MMU: shadow 8, TDP 0"), "eager splits by MMU");
	CHECK(has_line(&l, "failed splits: 2: EAGAIN 1 (shadow MMU) EBUSY 1 (TDP MMU)"), "the errno names the MMU");
	view_lines_free(&l);
}

static void test_detail(void)
{
	struct avail a = { .splits = 1, .faults = 1, .lock_wait = 1, .dlog = 1, .dlog_toggle = 1 };
	struct vm_entry e = entry(42, "db", 0, 0);
	struct view_history h = { 0 };
	struct view_lines l = { 0 };
	struct view_row r;
	struct snapshot s = { 0 };
	struct detail_input in;
	double v[NR_VIEW_SERIES] = { 0, 0, 0 };
	unsigned int i;

	CHECK(!vcpu_rows_reserve(&e.vcpus, 2), "two vCPU rows");
	fill_detail_entry(&e);
	for (i = 0; i < 10; i++) {
		v[VS_FAULTS] = i;
		view_history_push(&h, v);
	}
	rows_of(&e, 1, &a, 2.0, &s, &r);
	in = (struct detail_input){ .e = &e, .delta = &s.vms[0].delta, .vdelta = s.vms[0].vdelta, .row = &r, .hist = &h, .avail = &a,
				    .hold_why = "kprobes absent",
				    .latency_why = "needs function probes (fentry or kprobe), not used by this version; kprobes on this kernel: no",
				    .dt = 2.0, .totals = false, .utf8 = false, .width = 80 };
	CHECK(!view_detail(&in, &l), "detail builds");
	if (getenv("SHOW"))
		for (i = 0; i < l.n; i++)
			printf("# |%s|\n", l.line[i].text);
	check_detail_lines(&l);
	view_lines_free(&l);

	/* The widest numbers still fit 80 columns. */
	e.now.vm.lock_waits[MMU_LOCK_WRITE] = 1234567890123ULL;
	e.now.vm.lock_waits[MMU_LOCK_READ] = 1234567890123ULL;
	e.now.vm.lock_wait_ns[MMU_LOCK_WRITE] = 123456789012345ULL;
	e.now.faults[FAULT_4K_WP] = 123456789012345ULL;
	e.now.vm.dlog_count[DLOG_GET] = 123456789;
	e.now.vm.dlog_ns[DLOG_GET] = 123456789012345ULL;
	e.now.vm.dlog_splits[DLOG_GET] = 123456789012ULL;
	e.gauges.dlog_last_splits[DLOG_GET] = 1234567890;
	in.totals = true;
	CHECK(!view_detail(&in, &l), "detail builds with large numbers");
	for (i = 0; i < l.n; i++)
		if (view_text_width(l.line[i].text) > 80 && i > 0)
			break;
	CHECK(i == l.n, "large numbers: every line fits 80 columns (line %u: %s)", i,
	      i < l.n ? l.line[i].text : "");
	view_lines_free(&l);
	e.now.vm.lock_waits[MMU_LOCK_WRITE] = 3;
	e.now.vm.lock_waits[MMU_LOCK_READ] = 0;
	e.now.faults[FAULT_4K_WP] = 60;
	CHECK(!view_detail(&in, &l), "detail builds with totals");
	CHECK(has_line(&l, "Faults since start") && has_line(&l, "vCPU 1                    0          0         40"),
	      "totals are exact counts");
	CHECK(!has_line(&l, "by MMU") && !has_line(&l, "nested guest"), "no MMU line, no flag, where unknown");
	view_lines_free(&l);

	test_detail_nested(&in, &a, &e);
	snapshot_free(&s);
	vcpu_rows_free(&e.vcpus);
}

/* Two online vCPUs, the second with no row of its own yet (no slot, or
 * nothing counted: JSON writes it as zeros, and a replay reads that back
 * as a row): the pane shows it all the same, zeros, rates and totals. */
static void test_detail_idle_vcpu(void)
{
	struct avail a = { .faults = 1 };
	struct vm_entry e = entry(7, "idle", 30, 10);
	struct view_lines l = { 0 };
	struct snapshot s = { 0 };
	struct view_row r;
	struct detail_input in;

	CHECK(!vcpu_rows_reserve(&e.vcpus, 1), "one vCPU row");
	e.vcpus.now[0].faults[FAULT_NONPRESENT] = 30;
	e.vcpus.prev[0].faults[FAULT_NONPRESENT] = 10;
	rows_of(&e, 1, &a, 1.0, &s, &r);
	in = (struct detail_input){ .e = &e, .delta = &s.vms[0].delta, .vdelta = s.vms[0].vdelta, .row = &r,
				    .avail = &a, .dt = 1.0, .width = 80 };
	CHECK(!view_detail(&in, &l), "detail builds");
	CHECK(has_line(&l, "  vCPU 0                    0         20          0          0         20") &&
	      has_line(&l, "  vCPU 1                    0          0          0          0          0"),
	      "the idle vCPU's row: zeros");
	view_lines_free(&l);
	in.totals = true;
	CHECK(!view_detail(&in, &l), "detail builds with totals");
	CHECK(has_line(&l, "  vCPU 1                    0          0          0          0          0") &&
	      !has_line(&l, "vCPU 2"), "its totals: zeros; no row past the VM's vCPUs");
	view_lines_free(&l);
	snapshot_free(&s);
	vcpu_rows_free(&e.vcpus);
}

int main(void)
{
	/* As the live view runs: wide characters are told by the locale. */
	setlocale(LC_CTYPE, "C.UTF-8");
	test_format();
	test_fit();
	test_sparkline();
	test_history();
	test_rows();
	test_detail();
	test_detail_idle_vcpu();
	test_wide();
	test_keys();
	return unit_done();
}
