// SPDX-License-Identifier: GPL-2.0-only
/* splittop's pure parts: CSV quoting and rows, JSON strings, counter deltas,
 * histogram quantiles, VM names. */
#include "splittop/output/csv.h"
#include "splittop/model/hist.h"
#include "splittop/output/json_writer.h"
#include "splittop/kernel/link_list.h"
#include "splittop/http/listen_addr.h"
#include "splittop/output/openmetrics.h"
#include "splittop/output/render.h"
#include "splittop/model/snapshot.h"
#include "splittop/kernel/source_kind.h"
#include "common/text.h"
#include "splittop/model/vm_name.h"
#include "splittop/model/vm_table.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static char *render(void (*fn)(FILE *, const char *), const char *s)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	fn(f, s);
	fclose(f);
	return buf;
}

static void name_of(const char *cmdline, size_t len, const char *want, const char *what)
{
	char out[64];

	vm_name_from_cmdline(cmdline, len, out, sizeof(out));
	CHECK_STR(out, want, what);
}

static void listen_cases(void)
{
	struct listen_addr a;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a.ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.ss;
	const char *bad[] = { "", "0", "65536", "x", ":80", "1.2.3:80", "1.2.3.4:", "[::1]80", "[::1]:", "[]:80",
			      "::1:80", "localhost:80", "1.2.3.4:80x", NULL };
	unsigned int i;

	CHECK(!listen_addr_parse("9464", &a) && in4->sin_family == AF_INET &&
	      in4->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(in4->sin_port) == 9464 &&
	      !strcmp(a.text, "127.0.0.1:9464"), "PORT alone: 127.0.0.1");
	CHECK(!listen_addr_parse("0.0.0.0:1", &a) && in4->sin_addr.s_addr == 0 && ntohs(in4->sin_port) == 1,
	      "ADDR:PORT");
	CHECK(!listen_addr_parse("[::1]:65535", &a) && in6->sin6_family == AF_INET6 &&
	      ntohs(in6->sin6_port) == 65535 && in6->sin6_addr.s6_addr[15] == 1, "[IPv6]:PORT");
	for (i = 0; bad[i]; i++)
		CHECK(listen_addr_parse(bad[i], &a) == -EINVAL, "--listen '%s' refused", bad[i]);
	/* Where the warning of a remote listen is printed. */
	CHECK(!listen_addr_parse("9464", &a) && listen_addr_is_loopback(&a), "127.0.0.1 is loopback");
	CHECK(!listen_addr_parse("127.3.2.1:80", &a) && listen_addr_is_loopback(&a), "127/8 is loopback");
	CHECK(!listen_addr_parse("[::1]:80", &a) && listen_addr_is_loopback(&a), "::1 is loopback");
	CHECK(!listen_addr_parse("0.0.0.0:80", &a) && !listen_addr_is_loopback(&a), "0.0.0.0 is not");
	CHECK(!listen_addr_parse("128.0.0.1:80", &a) && !listen_addr_is_loopback(&a), "128.0.0.1 is not");
	CHECK(!listen_addr_parse("[::]:80", &a) && !listen_addr_is_loopback(&a), ":: is not");
	CHECK(!listen_addr_parse("[::ffff:127.0.0.1]:80", &a) && !listen_addr_is_loopback(&a),
	      "a v4-mapped address is not taken for loopback (dual-stack sockets differ)");
}

/* The exposition of one VM with a quote and a newline in its name. */
static void openmetrics_cases(void)
{
	__u64 rows[2][FAULT_CLASSES] = { [1][FAULT_4K_WP] = 9 };
	struct om_vm v = { .name = "a\"b\nc", .pid = 7, .vcpu_rows = 2, .vcpu_faults = rows, .faults = true,
			   .lock_wait = true };
	struct self_stats self = { .unattributed_faults = 3 };
	char *text;
	size_t len;
	FILE *f;

	v.row.present[COL_FAULTS] = v.row.present[COL_LOCK_WAIT_NS] = v.row.present[COL_MEM_MIB] = true;
	v.row.v[COL_FAULTS] = 12;
	v.row.v[COL_LOCK_WAIT_NS] = 1500000001;
	v.row.v[COL_MEM_MIB] = 3;
	v.wait_hist[0] = 1;
	v.wait_hist[3] = 2;
	v.wait_hist[ST_HIST_BUCKETS - 1] = 4;


	f = open_memstream(&text, &len);
	om_render(f, &v, 1, &self, true);
	fclose(f);
	CHECK(strstr(text, "# TYPE splittop_faults counter\n# HELP splittop_faults ") &&
	      strstr(text, "splittop_faults_total{vm=\"a\\\"b\\nc\",pid=\"7\"} 12\n"),
	      "a counter: family, then _total, label escaped: %s", text);
	CHECK(strstr(text, "# TYPE splittop_mmu_lock_wait_seconds counter\n# UNIT splittop_mmu_lock_wait_seconds seconds\n") &&
	      strstr(text, "splittop_mmu_lock_wait_seconds_total{vm=\"a\\\"b\\nc\",pid=\"7\"} 1.500000001\n"),
	      "ns as seconds, exactly");
	CHECK(strstr(text, "splittop_mem_bytes{vm=\"a\\\"b\\nc\",pid=\"7\"} 3145728\n"), "MiB as bytes, a gauge");
	CHECK(!strstr(text, "splittop_pages_4k"), "an unavailable metric: no family");
	CHECK(strstr(text, "le=\"0.000000001\"} 1\n") && strstr(text, "le=\"0.000000015\"} 3\n") &&
	      strstr(text, "le=\"+Inf\"} 7\n") && strstr(text, "splittop_mmu_lock_wait_duration_seconds_count{vm=") &&
	      strstr(text, "_sum{vm=\"a\\\"b\\nc\",pid=\"7\"} 1.500000001\n"),
	      "the wait histogram: cumulative, le = 2^(b+1) - 1 ns, +Inf = count");
	CHECK(strstr(text, "splittop_vcpu_faults_4k_wp_total{vm=\"a\\\"b\\nc\",pid=\"7\",vcpu=\"1\"} 9\n"),
	      "per-vCPU faults");
	CHECK(strstr(text, "splittop_self_unattributed_faults_total 3\n"), "self counters");
	CHECK(len > 6 && !strcmp(text + len - 6, "# EOF\n"), "ends with # EOF");
	free(text);

	snprintf(v.name, sizeof(v.name), "bad\xff\t\xc3\xa9");
	f = open_memstream(&text, &len);
	om_render(f, &v, 1, &self, true);
	fclose(f);
	CHECK(strstr(text, "{vm=\"bad\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9\",pid=\"7\"}"),
	      "a byte that is not UTF-8 and a tab as U+FFFD, UTF-8 kept");
	free(text);

	f = open_memstream(&text, &len);
	om_render(f, &v, 1, &self, false);
	fclose(f);
	CHECK(strstr(text, "# HELP splittop_faults_total ") && strstr(text, "# TYPE splittop_faults_total counter\n") &&
	      !strstr(text, "# EOF") && !strstr(text, "# UNIT"), "the older text format names samples");
	free(text);
}

static void csv_field_cases(void)
{
	CHECK_STR(render(csv_field, "plain"), "plain", "plain field unquoted");
	CHECK_STR(render(csv_field, "a,b"), "\"a,b\"", "comma quoted");
	CHECK_STR(render(csv_field, "say \"hi\""), "\"say \"\"hi\"\"\"", "quotes doubled");
	CHECK_STR(render(csv_field, "two\nlines"), "\"two\nlines\"", "newline quoted");
	/* What a spreadsheet would run: text behind a quote (OWASP). */
	CHECK_STR(render(csv_field, "=1+2"), "'=1+2", "= as text");
	CHECK_STR(render(csv_field, "+x"), "'+x", "+ as text");
	CHECK_STR(render(csv_field, "-x"), "'-x", "- as text");
	CHECK_STR(render(csv_field, "@SUM(A1)"), "'@SUM(A1)", "@ as text");
	CHECK_STR(render(csv_field, "=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
		  "quoted, the quote mark inside");
	CHECK_STR(render(csv_field, "a=b-c"), "a=b-c", "= and - past the first character: as they are");
}

static const char *sanitized(const char *s)
{
	static char buf[128];

	text_sanitize(buf, sizeof(buf), s);
	return buf;
}

/* The one sanitizer every name passes (text.c). */
static void text_cases(void)
{
	char buf[16];

	CHECK_STR(sanitized("web-01 db"), "web-01 db", "printable ASCII kept");
	CHECK_STR(sanitized("\x1b]0;pwned\x07\x1b[2J=EVIL"), "?]0;pwned??[2J=EVIL", "ESC and BEL");
	CHECK_STR(sanitized("a\tb\nc\rd\x01\x1f"), "a?b?c?d??", "every C0 control");
	CHECK_STR(sanitized("del\x7f"), "del?", "DEL");
	CHECK_STR(sanitized("c1\xc2\x9b" "2J\xc2\x80\xc2\x9f"), "c1?2J??", "C1 in UTF-8 (CSI, U+0080, U+009F): one '?' each");
	CHECK_STR(sanitized("nbsp\xc2\xa0\xc3\xa9"), "nbsp\xc2\xa0\xc3\xa9", "U+00A0 and é are no controls");
	CHECK_STR(sanitized("\xe6\x95\xb0\xe6\x8d\xae-\xf0\x9f\x90\xa7"), "\xe6\x95\xb0\xe6\x8d\xae-\xf0\x9f\x90\xa7",
		  "wide characters (CJK, an emoji) kept");
	CHECK_STR(sanitized("x\xff\xfe\x80y"), "x???y", "bytes that are not UTF-8: one '?' each");
	CHECK_STR(sanitized("\xc3"), "?", "a sequence cut short");
	CHECK_STR(sanitized("\xe0\x80\x9b[2J"), "???[2J", "an overlong ESC (E0 80 9B) is no ESC");
	CHECK_STR(sanitized("\xc0\x9b\xc1\xbf"), "????", "C0 and C1 lead bytes: overlong");
	CHECK_STR(sanitized("\xed\xa0\x80"), "???", "a UTF-16 surrogate");
	CHECK_STR(sanitized("\xf4\x90\x80\x80\xf5"), "?????", "past U+10FFFF");
	CHECK(!text_sanitize(buf, sizeof(buf), "plain") && text_sanitize(buf, sizeof(buf), "a\x1b"),
	      "it says whether it changed anything");
	text_sanitize(buf, 6, "ab\xe6\x95\xb0\xe6\x8d\xae");
	CHECK_STR(buf, "ab\xe6\x95\xb0", "cut at a whole character");
	snprintf(buf, sizeof(buf), "in\x1bplace\xc2\x9b!");
	text_sanitize(buf, sizeof(buf), buf);
	CHECK_STR(buf, "in?place?!", "dst may be src");
	CHECK_EQ_U64(utf8_seq_len((const unsigned char *)"\xf4\x8f\xbf\xbf"), 4, "U+10FFFF is UTF-8");
	CHECK_EQ_U64(utf8_seq_len((const unsigned char *)"\xef\xbf\xbd"), 3, "U+FFFD is UTF-8");
}

/* Counter deltas, and a VM's CSV row from them. */
static void row_cases(void)
{
	struct vm_counters a = { 0 }, b = { 0 }, d;
	struct vm_entry e = { .pid = 42, .name = "web,1", .gauges = { .vcpus = 2, .mem_pages = 512,
								     .memslots_dirty = 1, .pages = { 3, 4, 0 } } };
	struct avail av = { .splits = 1, .faults = 1, .lock_wait = 1, .dlog = 1, .dlog_toggle = 1 };
	struct row r;
	char row[1024];
	FILE *f;

	a.faults[FAULT_HUGE_WP] = 10;
	a.faults[FAULT_NONPRESENT] = 5110;
	b.faults[FAULT_HUGE_WP] = 4;
	a.vm.lock_waits[MMU_LOCK_WRITE] = 3;
	a.demotions[SPLIT_SIZES - 1] = 9;
	vm_counters_delta(&a, &b, &d);
	CHECK_EQ_U64(d.demotions[SPLIT_SIZES - 1], 9, "delta reaches the last member");
	a.demotions[SPLIT_SIZES - 1] = 0;
	{
		/* Per-vCPU rows: any number, each row's last member too. */
		struct vcpu_rows rows = { 0 };
		struct vcpu_counts out[300];

		CHECK(!vcpu_rows_reserve(&rows, 300), "300 vCPU rows");
		rows.now[299].lat_hist[ST_VCPU_LAT_BUCKETS - 1] = 7;
		rows.now[299].faults[FAULT_4K_WP] = 12;
		rows.prev[299].faults[FAULT_4K_WP] = 2;
		vcpu_counts_delta(rows.now, rows.prev, rows.n, out);
		CHECK_EQ_U64(out[299].faults[FAULT_4K_WP], 10, "row 299's delta");
		CHECK_EQ_U64(out[299].lat_hist[ST_VCPU_LAT_BUCKETS - 1], 7, "the last row's last member");
		CHECK(!vcpu_rows_reserve(&rows, 10) && rows.n == 300, "reserving fewer keeps the rows");
		vcpu_rows_free(&rows);
	}
	CHECK_EQ_U64(d.faults[FAULT_HUGE_WP], 6, "delta of a counter");
	CHECK_EQ_U64(d.faults[FAULT_NONPRESENT], 5110, "delta from zero");
	b.vm.lock_waits[MMU_LOCK_WRITE] = 5;
	vm_counters_delta(&a, &b, &d);
	CHECK_EQ_U64(d.vm.lock_waits[MMU_LOCK_WRITE], 0, "a counter that went backwards clamps to 0, never wraps");

	a.vm.lock_wait_hist[3] = 2;	/* 2 of the 3 waits timed */
	a.vm.splits_mmu[MMU_SHADOW] = 8;	/* a nested guest's, split by the shadow MMU */
	av.split_mmu = true;
	e.gauges.nested = 1;
	a.vm.dirty_pages = 4096;	/* one round's harvest */
	a.vm.dirty_rounds = 1;
	f = fmemopen(row, sizeof(row), "w");
	metrics_row(&(struct metric_in){ .c = &a, .run = &a, .g = &e.gauges, .wmax = 77, .pid = e.pid },
		    &av, &r);
	csv_row(f, 1000.5, 2.25, SCOPE_TOTAL, &e, &r);
	fclose(f);
	CHECK_STR(row, "1000.500,2.250,total,42,\"web,1\",2,2,1,0,0,0,0,0,0,0,5120,10,5110,0,0,3,0,77,,,0,0,0,0,0,0,0,3,4,0,,,,,0,0,2,8,0,1,4096,1,,,,,,0,,,,,,,,\n",
		  "a row: quoted name, unavailable hold/latency empty, gauges, holds by holder empty, resets, "
		  "timed waits, splits by MMU, nested, dirty pages and rounds; no rounds: no answers (rates, convergence, "
		  "lost share, findings) but the waits in rounds (0)");
	av.lock_wait = 0;
	av.split_mmu = false;
	e.gauges.memslots_dirty = -1;
	e.gauges.nested = -1;
	f = fmemopen(row, sizeof(row), "w");
	metrics_row(&(struct metric_in){ .c = &a, .run = &a, .g = &e.gauges, .pid = e.pid }, &av, &r);
	csv_row(f, 1, 1, SCOPE_INTERVAL, &e, &r);
	fclose(f);
	CHECK(strstr(row, ",2,2,,0,") && strstr(row, ",0,,,,,,0,") && strstr(row, ",0,0,,,,,4096,1,,,,,,,,,,,,,,\n"),
	      "unknown and unavailable (waits, timed waits, splits by MMU, nested) are empty, not 0; "
	      "no identities: five empty fields last: %s", row);
	snprintf(e.ident.v[IDENT_UUID], VM_IDENT_LEN, "5a2c4f10-8b1e-4f3a-9d77-0c3e1b2a4d5f");
	snprintf(e.ident.v[IDENT_KV_NAME], VM_IDENT_LEN, "=cmd");
	f = fmemopen(row, sizeof(row), "w");
	csv_row(f, 1, 1, SCOPE_INTERVAL, &e, &r);
	fclose(f);
	CHECK(strstr(row, ",,,,,,,,5a2c4f10-8b1e-4f3a-9d77-0c3e1b2a4d5f,,,'=cmd,\n") != NULL,
	      "identities last, in their order, a formula-like one behind a quote: %s", row);
}

static void quantile_cases(void)
{
	__u64 h[ST_HIST_BUCKETS] = { 0 };

	CHECK_EQ_U64(hist_quantile_ns(h, ST_HIST_BUCKETS, 0.99), 0, "no samples: 0");
	h[10] = 99;	/* [1024, 2048) ns */
	h[20] = 1;	/* [1 Mi, 2 Mi) ns */
	CHECK_EQ_U64(hist_quantile_ns(h, ST_HIST_BUCKETS, 0.5), 2047, "p50 in bucket 10");
	CHECK_EQ_U64(hist_quantile_ns(h, ST_HIST_BUCKETS, 0.99), 2047, "p99 of 100: the 99th sample");
	CHECK_EQ_U64(hist_quantile_ns(h, ST_HIST_BUCKETS, 1.0), (2ULL << 20) - 1, "p100: the slowest");
	h[20] = 2;
	CHECK_EQ_U64(hist_quantile_ns(h, ST_HIST_BUCKETS, 0.99), (2ULL << 20) - 1, "p99 of 101 with 2 slow");
	memset(h, 0, sizeof(h));
	h[0] = 1;
	CHECK_EQ_U64(hist_quantile_ns(h, ST_HIST_BUCKETS, 0.5), 1, "bucket 0: below 2 ns");
}

/* The live view reads --wait-sample's N back from mmu_lock_wait's source. */
static void wait_sampled_cases(void)
{
	char src[96];

	snprintf(src, sizeof(src), "tracepoint/lock/contention_begin,kvm_mmu_spte_requested" WAIT_SAMPLED_FMT, 16u);
	CHECK_EQ_U64(wait_sampled_of(src), 16, "the default's sample");
	snprintf(src, sizeof(src), "raw_tp/contention_begin,kvm_mmu_spte_requested" WAIT_SAMPLED_FMT, 65536u);
	CHECK_EQ_U64(wait_sampled_of(src), 65536, "the largest --wait-sample");
	CHECK_EQ_U64(wait_sampled_of("tracepoint/lock/contention_begin,kvm_mmu_spte_requested"), 0,
		     "--wait-sample 1: each timed");
	CHECK_EQ_U64(wait_sampled_of("tracepoint/lock/contention_begin,lock/contention_end"), 0, "--exact-waits");
	CHECK_EQ_U64(wait_sampled_of(NULL), 0, "unavailable");
	CHECK_EQ_U64(wait_sampled_of("x (1 wait in junk timed)"), 0, "not a number");
}

static void json_string_cases(void)
{
	CHECK_STR(render(json_string, "a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\u000a\\u0001\"", "JSON escapes");
	CHECK_STR(render(json_string, "caf\xc3\xa9"), "\"caf\xc3\xa9\"", "valid UTF-8 kept");
	CHECK_STR(render(json_string, "bad\xff\xc3"), "\"bad\\ufffd\\ufffd\"", "invalid bytes become U+FFFD");
	CHECK_STR(render(json_string, "d\x7f\xc2\x9b"), "\"d\\u007f\\u009b\"", "DEL and C1 escaped, never raw");
}

static char *text_of(const char *s, size_t n)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json_text(f, s, n);
	fclose(f);
	return buf;
}

/* A recording's JSON written out again: valid JSON stays itself, raw bytes
 * a terminal could obey become escapes. */
static void json_text_cases(void)
{
	const char *ok = "{\"vm\":\"caf\xc3\xa9 \\u001b\",\"n\":1}\n";

	CHECK_STR(text_of(ok, strlen(ok)), ok, "splittop's own JSON: byte for byte");
	CHECK_STR(text_of("\"a\x7f\xc2\x9b\xff\"", 7), "\"a\\u007f\\u009b\\ufffd\"", "DEL, C1, a stray byte");
	CHECK_STR(text_of("\"\xc3\xa9\"", 2), "\"\\ufffd", "a character cut by n is not read past n");
}

static void vm_name_cases(void)
{
	name_of("qemu-system-x86_64\0-name\0guest=db01,debug-threads=on\0-m\0" "4096\0", 56, "db01", "QEMU guest=");
	name_of("/usr/bin/qemu\0-name\0web\0", 24, "web", "QEMU plain -name");
	name_of("qemu\0-name\0process=x,guest=g2\0", 31, "g2", "guest= not first");
	name_of("./build/dirtyvm\0--loop\0--name\0demo\0", 35, "demo", "dirtyvm --name");
	/* A command line cut at the buffer's end has no NUL: stay inside it. */
	{
		char cut[8] = { '/', 'a', '/', 'b', 'c', 'd', 'e', 'f' };
		char out[16];

		vm_name_from_cmdline(cut, sizeof(cut), out, sizeof(out));
		CHECK_STR(out, "bcdef", "unterminated argv[0]: basename within the buffer");
	}
	name_of("dirtyvm\0--name=alpha\0", 21, "alpha", "--name=");
	{
		/* libvirt: several KB of arguments, -name near the start. */
		static char lv[6000];
		char out[32];
		size_t n = 0;

		n += snprintf(lv + n, sizeof(lv) - n, "/usr/bin/qemu-system-x86_64%c-name%cguest=db-07,debug-threads=on%c-S", 0, 0, 0) + 1;
		while (n + 40 < sizeof(lv))
			n += snprintf(lv + n, sizeof(lv) - n, "-device%cvirtio-net-pci,id=net%zu", 0, n) + 1;
		vm_name_from_cmdline(lv, n, out, sizeof(out));
		CHECK_STR(out, "db-07", "a libvirt command line of several KB");
	}
	name_of("/usr/sbin/vmm\0--fast\0", 21, "vmm", "no name: argv[0] basename");
	name_of("qemu\0-name\0", 11, "qemu", "-name without a value");
	name_of("abc", 3, "abc", "a command line cut short still names by argv[0]");
	name_of("", 0, "", "empty command line");
	{
		char big[300], out[16];

		memset(big, 'x', sizeof(big));
		memcpy(big, "v\0--name\0", 9);
		big[sizeof(big) - 1] = '\0';
		vm_name_from_cmdline(big, sizeof(big), out, sizeof(out));
		CHECK(strlen(out) == 15, "a long name is cut to the buffer");
	}
}

/* Every kind's name reads back as that kind: --source takes what
 * --list-sources prints. */
static void source_kind_cases(void)
{
	unsigned int k;

	for (k = SK_UNSET + 1; k < NR_SOURCE_KINDS; k++)
		CHECK(source_kind_by_name(source_kind_name((enum source_kind)k)) == k, "kind name round trip");
	CHECK_STR(source_kind_name(SK_TP_BTF), "tp_btf", "tp_btf's name");
	CHECK_STR(source_kind_name(SK_OFF), "none", "--source METRIC=none");
	CHECK(source_kind_name(SK_UNSET) == NULL, "no name for no kind");
	CHECK(source_kind_name(NR_SOURCE_KINDS) == NULL, "no name past the table");
	CHECK(source_kind_by_name("bogus") == SK_UNSET, "an unknown kind");
	CHECK(source_kind_by_name("") == SK_UNSET, "an empty kind");
	CHECK(source_kind_by_name("TP_BTF") == SK_UNSET, "kinds are lowercase");
}

/* The MMU's names are what recordings hold: each reads back as itself. */
static void host_mmu_cases(void)
{
	unsigned int m;

	for (m = 0; m < NR_HOST_MMUS; m++)
		CHECK(host_mmu_by_name(host_mmu_name((enum host_mmu)m)) == m, "mmu name round trip");
	CHECK_STR(host_mmu_name(HOST_MMU_LEGACY_TDP), "legacy-tdp", "legacy TDP's name");
	CHECK(host_mmu_by_name("ept") == HOST_MMU_UNKNOWN, "an unknown mmu");
	CHECK_STR(host_mmu_name(NR_HOST_MMUS), "unknown", "past the table");
}

/* An append past MAX_LINKS is refused and leaves the list as it was. */
static void link_list_cases(void)
{
	struct link_list ls = { .n = 0 };
	struct bpf_link *fake = (struct bpf_link *)&ls;
	unsigned int i;
	int err = 0;

	for (i = 0; i < MAX_LINKS; i++)
		err |= link_list_add(&ls, fake);
	CHECK(!err && ls.n == MAX_LINKS, "the list fills to its bound");
	CHECK(link_list_add(&ls, NULL) == -ENOSPC, "one past the bound is refused");
	CHECK(ls.n == MAX_LINKS && ls.l[MAX_LINKS - 1] == fake, "a refused append changes nothing");
}

int main(void)
{
	csv_field_cases();
	text_cases();
	json_text_cases();
	row_cases();
	quantile_cases();
	wait_sampled_cases();
	json_string_cases();
	vm_name_cases();
	listen_cases();
	openmetrics_cases();
	source_kind_cases();
	link_list_cases();
	host_mmu_cases();
	return unit_done();
}
