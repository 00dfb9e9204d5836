// SPDX-License-Identifier: GPL-2.0-only
/* The live view's pure parts: number formatting, column fitting, sparkline
 * scaling, rows, sorting, filtering and the detail pane's text. */
#include "splittop/view.h"
#include "unit.h"

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

static unsigned int fitted_width(const bool on[NR_VIEW_COLS], unsigned int namew)
{
	unsigned int c, w = namew;

	for (c = 1; c < NR_VIEW_COLS; c++)
		if (on[c])
			w += 1 + view_cols[c].width;
	return w;
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
	bool on[NR_VIEW_COLS];
	unsigned int w, namew, c;

	namew = view_fit(80, on);
	CHECK(fitted_width(on, namew) <= 80, "80 columns: row is %u wide", fitted_width(on, namew));
	CHECK(on[VC_NAME] && on[VC_PID] && on[VC_DLOG] && on[VC_SPLITS] && on[VC_DEMOT] && on[VC_FAULTS] &&
	      on[VC_WAIT], "80 columns show name, pid, dirty logging, splits, demotions, faults, wait");
	CHECK(!on[VC_P1G], "80 columns leave out the least important column");
	CHECK(namew >= view_cols[VC_NAME].width, "name keeps its minimum width (%u)", namew);

	namew = view_fit(200, on);
	for (c = 0, w = 0; c < NR_VIEW_COLS; c++)
		w += on[c];
	CHECK_EQ_U64(w, NR_VIEW_COLS, "200 columns show every column");
	CHECK_EQ_U64(namew, 24, "the name grows to 24 on a wide screen");

	/* A column is never shown while a more important one is hidden. */
	for (w = 20; w <= 200; w++) {
		bool ok = true;
		unsigned int a, b;

		namew = view_fit(w, on);
		for (a = 0; a < NR_VIEW_COLS; a++)
			for (b = 0; b < NR_VIEW_COLS; b++)
				if (on[a] && !on[b] && view_cols[b].priority < view_cols[a].priority)
					ok = false;
		if (!ok || fitted_width(on, namew) > w) {
			CHECK(0, "width %u: priorities or width broken", w);
			break;
		}
		if (w == 200)
			CHECK(1, "widths 20..200: fit within the width, by priority");
	}
	namew = view_fit(5, on);
	CHECK(on[VC_NAME] && !on[VC_PID] && namew == 5, "a tiny width shows only the name, cut");
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
	struct vm_entry e = { .pid = pid, .alive = true };

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
	struct view_row r[3];
	char cell[64];
	unsigned int i;

	e[0].now.splits[SPLIT_2M][CAUSE_EAGER] = 64;
	e[0].now.lock_wait_ns[MMU_LOCK_WRITE] = 3000000;
	for (i = 0; i < 3; i++)
		view_row_build(&e[i], i, &a, 2.0, &r[i]);
	CHECK(r[0].rate[VC_FAULTS] == 100 && r[0].total[VC_FAULTS] == 300, "rate over dt, total since start");
	CHECK(r[0].rate[VC_SPLITS] == 32 && r[0].total[VC_SPLITS_RUN] == 64, "splits rate and run total");
	CHECK(r[0].rate[VC_WAIT] == 1.5e6, "wait: ns per second");
	CHECK(r[0].total[VC_HUGE_PCT] > 0.78 && r[0].total[VC_HUGE_PCT] < 0.79, "huge share of mapped memory");
	CHECK_STR(r[2].name, "gamma?bad?", "control and invalid bytes are not printed");
	view_cell(cell, sizeof(cell), &r[0], VC_FAULTS, false, 8);
	CHECK_STR(cell, "     100", "rate cell right-aligned");
	view_cell(cell, sizeof(cell), &r[0], VC_FAULTS, true, 8);
	CHECK_STR(cell, "     300", "total cell");
	view_cell(cell, sizeof(cell), &r[1], VC_NAME, false, 8);
	CHECK_STR(cell, "alpha   ", "name padded");
	view_cell(cell, sizeof(cell), &r[1], VC_DLOG, false, 4);
	CHECK_STR(cell, "  on", "dirty logging on");
	r[1].present[VC_WAIT] = false;
	view_cell(cell, sizeof(cell), &r[1], VC_WAIT, false, 7);
	CHECK_STR(cell, "      -", "unavailable is '-', never 0");

	view_sort(r, 3, VC_FAULTS, false, false);
	CHECK(r[0].pid == 10 && r[1].pid == 20 && r[2].pid == 30, "sort by fault rate, largest first");
	view_sort(r, 3, VC_FAULTS, true, false);
	CHECK(r[0].pid == 20 && r[1].pid == 10 && r[2].pid == 30, "sort by fault total");
	view_sort(r, 3, VC_FAULTS, true, true);
	CHECK(r[0].pid == 30 && r[2].pid == 20, "reversed");
	view_sort(r, 3, VC_NAME, false, false);
	CHECK(r[0].pid == 20 && r[1].pid == 10 && r[2].pid == 30, "by name, alphabetical");

	CHECK(view_match(&r[0], "") && view_match(&r[0], NULL), "empty filter matches");
	CHECK(view_match(&r[0], "ALP") && !view_match(&r[0], "bet"), "name substring, any case");
	CHECK(view_match(&r[0], "20") && !view_match(&r[0], "2"), "pid matches whole");
}

static bool has_line(const struct view_lines *l, const char *want)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (strstr(l->line[i].text, want))
			return true;
	return false;
}

static void test_detail(void)
{
	struct avail a = { .splits = 1, .faults = 1, .lock_wait = 1, .dlog = 1, .dlog_toggle = 1 };
	struct vm_entry e = entry(42, "db", 0, 0);
	struct view_history h = { 0 };
	struct view_lines l = { 0 };
	struct view_row r;
	struct detail_input in;
	double v[NR_VIEW_SERIES] = { 0, 0, 0 };
	unsigned int i;

	e.now.vcpu_faults[0][FAULT_4K_WP] = 20;
	e.now.vcpu_faults[1][FAULT_4K_WP] = 40;
	e.now.faults[FAULT_4K_WP] = 60;
	e.now.splits[SPLIT_2M][CAUSE_FAULT] = 5;
	e.now.demotions[SPLIT_2M] = 7;
	e.now.split_errors = 2;
	e.now.split_errno[12] = 2;
	e.now.lock_waits[MMU_LOCK_WRITE] = 3;
	e.now.lock_waits[MMU_LOCK_READ] = 0;
	e.now.lock_wait_hist[10] = 2;
	e.now.lock_wait_hist[12] = 1;
	e.now.dlog_count[DLOG_CLEAR] = 4;
	e.now.dlog_ns[DLOG_CLEAR] = 4000;
	e.gauges.dlog_last_ns[DLOG_CLEAR] = 1500;
	e.gauges.dlog_last_splits[DLOG_CLEAR] = 3;
	e.lock_wait_max_run_ns = 5000;
	for (i = 0; i < 10; i++) {
		v[VS_FAULTS] = i;
		view_history_push(&h, v);
	}
	view_row_build(&e, 0, &a, 2.0, &r);
	in = (struct detail_input){ .e = &e, .row = &r, .hist = &h, .avail = &a,
				    .hold_why = "kprobes absent",
				    .latency_why = "needs function probes (fentry or kprobe), not used by this version; kprobes on this kernel: no",
				    .dt = 2.0, .totals = false, .utf8 = false, .width = 80 };
	CHECK(!view_detail(&in, &l), "detail builds");
	if (getenv("SHOW"))
		for (i = 0; i < l.n; i++)
			printf("# |%s|\n", l.line[i].text);
	CHECK(has_line(&l, "db  pid 42  vCPUs 2"), "title names the VM");
	CHECK(has_line(&l, "Faults per second"), "rates by default");
	CHECK(has_line(&l, "vCPU 1"), "a line per vCPU");
	CHECK(has_line(&l, "failed splits: 2: ENOMEM 2"), "errno by name");
	CHECK(has_line(&l, "3 waits (read 0, write 3), 0 in all") &&
	      has_line(&l, "p50 <=2.05us  p99 <=8.19us  max 5.00us"), "lock wait summary");
	CHECK(has_line(&l, "mmu_lock hold time: unavailable: kprobes absent"), "unavailable with the reason");
	CHECK(has_line(&l, "fault latency: unavailable: needs function probes") &&
	      has_line(&l, "    by this version; kprobes on this kernel: no"), "a long reason wraps");
	CHECK(has_line(&l, "1.02us .. 2.05us           2 |#"), "histogram bucket 10");
	CHECK(has_line(&l, "4.10us .. 8.19us           1 |#"), "histogram bucket 12");
	CHECK(has_line(&l, "  clear                    4    1.50us    1.00us              3            0"),
	      "dirty-log op: count, last, mean, splits in last");
	for (i = 0; i < l.n; i++)
		if (view_text_width(l.line[i].text) > 80 && i > 0)
			break;
	CHECK(i == l.n, "every line fits 80 columns (line %u)", i);
	view_lines_free(&l);

	/* The widest numbers still fit 80 columns. */
	e.now.lock_waits[MMU_LOCK_WRITE] = 1234567890123ULL;
	e.now.lock_waits[MMU_LOCK_READ] = 1234567890123ULL;
	e.now.lock_wait_ns[MMU_LOCK_WRITE] = 123456789012345ULL;
	e.now.faults[FAULT_4K_WP] = 123456789012345ULL;
	e.now.dlog_count[DLOG_GET] = 123456789;
	e.now.dlog_ns[DLOG_GET] = 123456789012345ULL;
	e.now.dlog_splits[DLOG_GET] = 123456789012ULL;
	e.gauges.dlog_last_splits[DLOG_GET] = 1234567890;
	in.totals = true;
	CHECK(!view_detail(&in, &l), "detail builds with large numbers");
	for (i = 0; i < l.n; i++)
		if (view_text_width(l.line[i].text) > 80 && i > 0)
			break;
	CHECK(i == l.n, "large numbers: every line fits 80 columns (line %u: %s)", i,
	      i < l.n ? l.line[i].text : "");
	view_lines_free(&l);
	e.now.lock_waits[MMU_LOCK_WRITE] = 3;
	e.now.lock_waits[MMU_LOCK_READ] = 0;
	e.now.faults[FAULT_4K_WP] = 60;
	CHECK(!view_detail(&in, &l), "detail builds with totals");
	CHECK(has_line(&l, "Faults since start") && has_line(&l, "vCPU 1                    0          0         40"),
	      "totals are exact counts");
	view_lines_free(&l);
}

int main(void)
{
	test_format();
	test_fit();
	test_sparkline();
	test_history();
	test_rows();
	test_detail();
	return unit_done();
}
