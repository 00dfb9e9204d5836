// SPDX-License-Identifier: GPL-2.0-only
/* The live view's pure parts: number formatting, column fitting, sparkline
 * scaling, rows, sorting, filtering and the detail pane's text. */
#include "splittop/ui/keys.h"
#include "splittop/ui/view.h"
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
	unsigned int w, namew, c, nc = view_columns(false, cols);

	namew = view_fit(80, false, on);
	CHECK(fitted_width(on, namew) <= 80, "80 columns: row is %u wide", fitted_width(on, namew));
	CHECK(on[COL_NAME] && on[COL_PID] && on[COL_DIRTY_LOGGING] && on[COL_SPLITS] && on[COL_DEMOTIONS] &&
	      on[COL_FAULTS] && on[COL_LOCK_WAIT_NS],
	      "80 columns show name, pid, dirty logging, splits, demotions, faults, wait");
	CHECK(!on[COL_PAGES_1G], "80 columns leave out the least important column");
	CHECK(namew >= metrics[COL_NAME].width, "name keeps its minimum width (%u)", namew);
	CHECK_EQ_U64(nc, 23, "the view shows 23 of the metric table's columns");
	CHECK(cols[0] == COL_NAME && cols[1] == COL_PID && cols[nc - 1] == COL_PAGES_1G && cols[5] == COL_CONVERGE,
	      "display order: name, pid first, the answers after DLOG, pages_1g last");

	namew = view_fit(200, false, on);
	for (c = 0, w = 0; c < NR_COLUMNS; c++)
		w += on[c];
	CHECK_EQ_U64(w, nc, "200 columns show every column");
	CHECK_EQ_U64(namew, 24, "the name grows to 24 on a wide screen");

	/* A column is never shown while a more important one is hidden. */
	for (w = 20; w <= 200; w++) {
		bool ok = true;
		unsigned int a, b;

		namew = view_fit(w, false, on);
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
	namew = view_fit(5, false, on);
	CHECK(on[COL_NAME] && !on[COL_PID] && namew == 5, "a tiny width shows only the name, cut");
}

static bool has_column(const enum column *cols, unsigned int n, enum column c)
{
	while (n--)
		if (cols[n] == c)
			return true;
	return false;
}

/* With t, SPLITS is the splits since start: SPL.TOT beside it would show
 * the same number under a second name. */
static void test_totals_columns(void)
{
	enum column rates[NR_COLUMNS], totals[NR_COLUMNS];
	unsigned int nr = view_columns(false, rates), nt = view_columns(true, totals), w, c;
	bool on[NR_COLUMNS], ok = true;

	CHECK(has_column(rates, nr, COL_SPLITS) && has_column(rates, nr, COL_SPLITS_RUN),
	      "the rates view: SPLIT/s and SPL.TOT");
	CHECK(has_column(totals, nt, COL_SPLITS) && !has_column(totals, nt, COL_SPLITS_RUN) && nt == nr - 1,
	      "the totals view: SPLITS once, every other column kept");
	CHECK(view_header(COL_SPLITS_RUN, true) == NULL && !strcmp(view_header(COL_SPLITS, true), "SPLITS"),
	      "no header for SPL.TOT with t");
	for (w = 20; w <= 200; w++) {
		view_fit(w, true, on);
		ok &= !on[COL_SPLITS_RUN];
	}
	CHECK(ok, "widths 20..200: SPL.TOT never fitted into the totals view");
	view_fit(200, true, on);
	for (c = 0, w = 0; c < NR_COLUMNS; c++)
		w += on[c];
	CHECK_EQ_U64(w, nt, "200 columns show every totals column");
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
				 entry(30, "gamma?bad?", 50, 0) };
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
	/* Names come printable from the VM table (test_vm_table, test_splittop_pure). */
	CHECK_STR(r[2].name, "gamma?bad?", "the VM table's name as it is");
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
	key_footer(footer, sizeof(footer), &(struct key_footer_state){ .mode = KM_LIVE, .filter = "web" });
	CHECK_STR(footer, "q quit  Enter detail  < > sort  / filter 'web'  t totals  space pause  h help",
		  "the table's footer, with the filter");
	key_footer(footer, sizeof(footer), &(struct key_footer_state){ .mode = KM_LIVE, .detail = true });
	CHECK_STR(footer, "q quit  Esc back  t rates/totals  space pause  Up/Down scroll  h help",
		  "the detail pane's footer");
	key_footer(footer, sizeof(footer), &(struct key_footer_state){ .mode = KM_LIVE, .paused = true });
	CHECK(strstr(footer, "  space resume  ") != NULL, "paused, space resumes: %s", footer);
	key_footer(footer, sizeof(footer), &(struct key_footer_state){ .mode = KM_REPLAY, .paused = true });
	CHECK_STR(footer, "q quit  Enter detail  < > sort  / filter  t totals  space play  Left/Right step  "
		  "g go to  m next migration  h help", "a replay's footer, paused: space plays");
	key_footer(footer, sizeof(footer), &(struct key_footer_state){ .mode = KM_REPLAY });
	CHECK(strstr(footer, "  space pause  ") && !strstr(footer, "play"), "playing, space pauses: %s", footer);
	key_footer(footer, sizeof(footer), &(struct key_footer_state){ .mode = KM_REPLAY, .detail = true });
	CHECK(strstr(footer, "  space pause  ") && !strstr(footer, "play"), "and in the detail pane: %s", footer);
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

/* A sample of the waits timed (the source says so): the total is said to
 * be an estimate, with the bound measured, right under it. */
static void check_sampled_wait_line(struct detail_input in)
{
	struct view_lines l = { 0 };
	unsigned int i, total_at, est_at;

	in.wait_sampled = 16;
	CHECK(!view_detail(&in, &l), "detail builds with sampled waits");
	total_at = est_at = l.n;
	for (i = 0; i < l.n; i++) {
		if (strstr(l.line[i].text, " in all") && total_at == l.n)
			total_at = i;
		if (strstr(l.line[i].text, "an estimate: 1 wait in 16 timed; one short run's total was -30% to +21%"))
			est_at = i;
	}
	CHECK(total_at < l.n && est_at == total_at + 2, "the estimate said two lines under the total (%u, %u)",
	      total_at, est_at);
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
	{
		unsigned int said = 0;

		for (i = 0; i < l.n; i++)
			said += strstr(l.line[i].text, "an estimate") != NULL;
		CHECK(said == 0, "every wait timed: no estimate said (%u lines say one)", said);
	}
	view_lines_free(&l);

	check_sampled_wait_line(in);

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

static const char *header(const struct view_header *h, unsigned int width)
{
	static char buf[512];

	view_header_line(buf, sizeof(buf), h, width);
	return buf;
}

/* The header's first line keeps the MMU and eager_page_split at 80 columns,
 * live and over a recording, shortening the rest in a fixed order (issue
 * 34: the replay's lost them). */
static void test_header(void)
{
	struct host_info golden = { .hostname = "", .kernel = "6.1.0-56-amd64", .mmu = HOST_MMU_TDP, .eager_split = "Y" };
	struct host_info rhel = { .hostname = "kvm-host-17.rack4.example.com",
				  .kernel = "5.14.0-427.13.1.el9_4.x86_64", .mmu = HOST_MMU_SHADOW, .eager_split = "N" };
	struct view_where w = { "interval 1/6", "2026-11-27", "08:34:33", "+1.1s", "" };
	struct view_where far = { "interval 1234/3600+", "2026-11-27", "08:34:33", "+10h02m03s", "(being written)" };
	struct view_header live = { .paused = true, .totals = true, .host = &rhel, .every = "0.5s", .clock = "04:24:02" };
	struct view_header replay = { .replay = true, .paused = true, .host = &golden, .every = "1s", .where = &w };
	unsigned int width;
	bool ok = true;

	CHECK_STR(header(&replay, 250), "splittop REPLAY [PAUSED]  interval 1/6  2026-11-27 08:34:33  +1.1s  "
		  "6.1.0-56-amd64  tdp MMU  eager_page_split=Y  every 1s", "a wide replay header: all of it");
	CHECK_STR(header(&replay, 80), "splittop REPLAY [PAUSED]  interval 1/6  +1.1s  tdp MMU  eager_page_split=Y",
		  "80 columns: the day, the time, the kernel and the interval go first");
	CHECK_STR(header(&replay, 100), "splittop REPLAY [PAUSED]  interval 1/6  08:34:33  +1.1s  6.1.0  tdp MMU  "
		  "eager_page_split=Y", "100 columns: the kernel's version stays");
	CHECK_STR(header(&replay, 60), "REPLAY [PAUSED]  interval 1/6  tdp MMU  eager_page_split=Y",
		  "60 columns: REPLAY, where, the MMU and eager_page_split");
	CHECK_STR(header(&live, 200), "splittop [PAUSED] [TOTALS]  5.14.0-427.13.1.el9_4.x86_64  shadow MMU  "
		  "eager_page_split=N  every 0.5s  04:24:02", "a wide live header: all of it");
	CHECK_STR(header(&live, 80), "splittop [PAUSED] [TOTALS]  5.14.0  shadow MMU  eager_page_split=N  04:24:02",
		  "a live header at 80: the kernel's version, the interval left out");
	live.paused = live.totals = false;
	live.host = &golden;
	CHECK_STR(header(&live, 80), "splittop  6.1.0-56-amd64  tdp MMU  eager_page_split=Y  every 0.5s  04:24:02",
		  "what fits stays as it was");
	replay.host = &rhel;
	replay.where = &far;
	replay.paused = false;
	replay.totals = true;
	replay.speed = 64;
	CHECK_STR(header(&replay, 250), "splittop REPLAY [PLAY x64] [TOTALS]  interval 1234/3600+  2026-11-27 "
		  "08:34:33  +10h02m03s  (being written)  kvm-host-17.rack4.example.com 5.14.0-427.13.1.el9_4.x86_64  "
		  "shadow MMU  eager_page_split=N  every 1s", "the longest: playing fast, a host, a note");
	CHECK_STR(header(&replay, 150), "splittop REPLAY [PLAY x64] [TOTALS]  interval 1234/3600+  08:34:33  "
		  "+10h02m03s  (being written)  kvm-host-17 5.14.0  shadow MMU  eager_page_split=N",
		  "the host's first label, the kernel's version; the day and the interval gone");
	CHECK_STR(header(&replay, 80), "REPLAY [PLAY x64] [TOTALS]  interval 1234/3600+  shadow MMU  "
		  "eager_page_split=N", "80 columns keep eager_page_split even then");
	for (width = 40; width <= 250; width++) {
		const char *line = header(&replay, width);

		ok &= view_text_width(line) <= (width > 68 ? width : 68) && strstr(line, "shadow MMU") &&
		      strstr(line, "[PLAY x64] [TOTALS]") && strstr(line, "interval 1234/3600+") &&
		      strstr(line, width >= 79 ? "eager_page_split=N" : "eager=N");
	}
	CHECK(ok, "widths 40..250: within the width down to the shortest (68), the flags, where, the MMU "
		  "and eager_page_split kept");
}

/* Footers fit the width, dropping the least needed keys first (issue
 * 34: a replay's lost g, m and h at 80 columns). */
static void test_footer_width(void)
{
	char f[256];
	unsigned int width;
	bool ok = true;

	key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = KM_REPLAY, .paused = true, .width = 80 });
	CHECK_STR(f, "q quit  space play  Left/Right step  g go to  m next migration  h help",
		  "a replay's footer at 80: the sort, the filter, Enter and t go first");
	key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = KM_REPLAY, .width = 80 });
	CHECK_STR(f, "q quit  space pause  Left/Right step  g go to  m next migration  h help",
		  "the same keys while it plays");
	key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = KM_REPLAY, .paused = true, .width = 100 });
	CHECK_STR(f, "q quit  Enter detail  t totals  space play  Left/Right step  g go to  m next migration  h help",
		  "a replay's footer at 100");
	key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = KM_REPLAY, .paused = true, .width = 60 });
	CHECK_STR(f, "q quit  space play  Left/Right step  h help", "at 60");
	key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = KM_REPLAY, .detail = true, .width = 80 });
	CHECK_STR(f, "q quit  Esc back  space pause  Left/Right step  Up/Down scroll  h help",
		  "the detail pane's at 80");
	key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = KM_LIVE, .width = 80 });
	CHECK_STR(f, "q quit  Enter detail  < > sort  / filter  t totals  space pause  h help",
		  "a live footer fits 80 whole");
	key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = KM_LIVE, .filter = "web", .width = 60 });
	CHECK_STR(f, "q quit  / filter 'web'  t totals  space pause  h help",
		  "at 60 a filter in use stays: it says rows are hidden");
	for (width = 50; width <= 200; width++) {
		unsigned int m;

		for (m = KM_LIVE; m <= KM_REPLAY; m++) {
			key_footer(f, sizeof(f), &(struct key_footer_state){ .mode = m, .width = width });
			ok &= strlen(f) <= width && strstr(f, "h help") && strstr(f, "q quit");
		}
	}
	CHECK(ok, "widths 50..200: every footer fits, with q and h");
}

/* The text after typing each byte of s, or a prompt's keys, into e. */
static const char *typed(struct view_edit *e, const char *s)
{
	while (*s)
		view_edit_key(e, KA_NONE, (unsigned char)*s++);
	return e->text;
}

static const char *edited(struct view_edit *e, int code)
{
	view_edit_key(e, key_action_of(code, KM_PROMPT), code);
	return e->text;
}

/* The / prompt opens on the filter, selected: typing replaces it, an
 * editing key keeps it (issue 34: typing appended to it). */
static void test_prompt(void)
{
	struct view_edit e;
	unsigned int i;

	CHECK(key_action_of(KEY_LEFT, KM_PROMPT) == KA_EDIT_LEFT && key_action_of('q', KM_PROMPT) == KA_NONE &&
	      key_action_of(27, KM_PROMPT) == KA_EDIT_CANCEL && key_action_of('\r', KM_PROMPT) == KA_EDIT_APPLY,
	      "a prompt's keys: q is text there");
	view_edit_start(&e, "web");
	CHECK(e.selected && e.cur == 3, "opens on the old filter, selected, the cursor at its end");
	CHECK_STR(typed(&e, "db"), "db", "typing replaces it");
	CHECK(!e.selected, "then typing adds");
	view_edit_start(&e, "web");
	CHECK_STR(edited(&e, KEY_BACKSPACE), "we", "Backspace edits the old filter");
	view_edit_start(&e, "web");
	edited(&e, KEY_LEFT);
	CHECK_STR(typed(&e, "x"), "wexb", "Left keeps it, and the cursor moves");
	view_edit_start(&e, "web");
	edited(&e, KEY_HOME);
	CHECK_STR(edited(&e, KEY_DC), "eb", "Home, then Del at the cursor");
	edited(&e, KEY_END);
	CHECK_STR(typed(&e, "1"), "eb1", "End types at the end");
	CHECK_STR(edited(&e, 21), "", "Ctrl-U clears");
	view_edit_start(&e, "");
	CHECK(!e.selected, "an empty prompt has nothing selected");
	CHECK_STR(typed(&e, "a"), "a", "and types");
	view_edit_start(&e, "caf\xc3\xa9");
	CHECK_STR(edited(&e, KEY_BACKSPACE), "caf", "Backspace removes a character, not a byte");
	view_edit_start(&e, "\xc3\xa9t\xc3\xa9");
	edited(&e, KEY_LEFT);
	edited(&e, KEY_LEFT);
	CHECK(e.cur == 2, "Left moves by characters (%zu)", e.cur);
	CHECK_STR(typed(&e, "\xc3\xa0"), "\xc3\xa9\xc3\xa0t\xc3\xa9", "a character typed byte by byte, inside");
	view_edit_start(&e, "web");
	CHECK_STR(edited(&e, KEY_F(1)), "web", "other keys are not text");
	CHECK(e.selected, "nor do they drop the selection (a resize)");
	view_edit_start(&e, "");
	for (i = 0; i < 100; i++)
		typed(&e, "x");
	CHECK_EQ_U64(strlen(e.text), sizeof(e.text) - 1, "the text stops at its room");
}

/* s without its spaces, in a static buffer (one of two). */
static const char *squeezed(const char *s, int which)
{
	static char buf[2][512];
	size_t o = 0;

	for (; *s && o + 1 < sizeof(buf[0]); s++)
		if (*s != ' ')
			buf[which][o++] = *s;
	buf[which][o] = '\0';
	return buf[which];
}

/* The u pane: every reason read whole, wrapped to the width under its
 * text, however narrow (issue 34: lines were cut at the screen's edge). */
static void test_sources_wrap(void)
{
	static const struct metric_source src[] = {
		{ .metric = "faults", .source = "tp_btf/kvm_mmu_spte_requested,fast_page_fault" },
		{ .metric = "dirty_log_enable_disable", .source = "kvm->nr_memslots_dirty_logging around memslot ioctls" },
		{ .metric = "fault_latency", .why = "function probes refused by this kernel (loading them: "
						    "Operation not permitted); kprobes: not in this kernel" },
	};
	static const unsigned int widths[] = { 200, 120, 76, 56, 40 };
	unsigned int k, i;

	for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
		struct view_lines l = { 0 };
		char joined[3][512] = { "", "", "" };
		bool fits = true, aligned = true, same = true;
		int m = -1;

		CHECK(!view_sources(src, 3, widths[k], &l) && l.n >= 5, "width %u: the pane builds", widths[k]);
		CHECK_STR(l.line[0].text, "Where each metric comes from on this kernel", "its title");
		for (i = 2; i < l.n; i++) {
			const char *t = l.line[i].text;

			fits &= view_text_width(t) <= widths[k];
			/* The names' column: the longest name, and a space. */
			if (t[0] != ' ') {
				aligned &= t[24] == ' ' && t[25] != ' ';
				m++;
				same &= m > 2 || (l.line[i].style == VS_WARN) == (src[m].source == NULL);
			} else {
				aligned &= strspn(t, " ") == 25;
			}
			if (m >= 0 && m < 3 && strlen(t) > 25)
				strncat(joined[m], t + 25, sizeof(joined[m]) - strlen(joined[m]) - 1);
		}
		CHECK(fits, "width %u: every line fits", widths[k]);
		CHECK(aligned, "width %u: texts and their continuations line up after the names", widths[k]);
		CHECK(same, "width %u: an unavailable metric's lines stand out", widths[k]);
		for (i = 0, same = m == 2; i < 3 && same; i++)
			same = !strcmp(squeezed(joined[i], 0), squeezed(src[i].source ?: src[i].why, 1));
		CHECK(same, "width %u: nothing lost (%s)", widths[k], joined[2]);
		view_lines_free(&l);
	}
}

int main(void)
{
	/* As the live view runs: wide characters are told by the locale. */
	setlocale(LC_CTYPE, "C.UTF-8");
	test_format();
	test_fit();
	test_totals_columns();
	test_sparkline();
	test_history();
	test_rows();
	test_detail();
	test_detail_idle_vcpu();
	test_wide();
	test_keys();
	test_sources_wrap();
	test_prompt();
	test_header();
	test_footer_width();
	return unit_done();
}
