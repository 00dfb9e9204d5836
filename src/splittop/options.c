// SPDX-License-Identifier: GPL-2.0-only
#include "options.h"
#include "common/text.h"
#include "common/parse.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
"Usage: splittop [OPTIONS] [-- COMMAND [ARGS...]]\n"
"       splittop report [--markdown] [-o FILE] [--vm NAME] [-p PID] FILE\n"
"Show, per KVM virtual machine, what the MMU does while dirty logging splits\n"
"huge pages: splits, demotions, page faults by kind, kvm->mmu_lock waits and\n"
"dirty-log operations.  On a terminal: a live view (h lists its keys).\n"
"Otherwise, or with --csv, --json or -o: one row per VM per interval, then\n"
"one 'total' row per VM at exit.\n"
"\n"
"  --csv                 CSV output, even on a terminal\n"
"  --json                one JSON object per line: host, each interval, total\n"
"  -o, --output FILE     write to FILE instead of standard output: never\n"
"                        through a symbolic link, never into another user's\n"
"                        file; a new one is 0644 (see the man page)\n"
"      --listen [ADDR:]PORT  serve /metrics (OpenMetrics) over HTTP on ADDR\n"
"                        (default 127.0.0.1; [::1]:PORT for IPv6): no live\n"
"                        view; rows only with --csv, --json or -o\n"
"      --textfile DIR    write DIR/splittop.prom each interval (atomically,\n"
"                        0644) for node_exporter's textfile collector: no\n"
"                        live view; rows only with --csv, --json or -o\n"
"      --replay FILE     read a recording of splittop --json instead of the\n"
"                        kernel: on a terminal, the live view over it (keys\n"
"                        move in time: h); else write it out as CSV (the\n"
"                        default) or JSON; only the VMs of -p and --vm; no\n"
"                        root needed\n"
"  report FILE           a post-mortem of a recording of splittop --json, per\n"
"                        VM and migration: rounds, verdict, lost time, splits,\n"
"                        lock holds, findings; --markdown for Markdown\n"
"      --begin WHEN, --end WHEN  with --replay, only the frames from/to the\n"
"                        one nearest WHEN (the view opens at --begin): a\n"
"                        span from the recording's start (90, 5m, 1h30m) or\n"
"                        a time of day (14:05, 14:05:30)\n"
"      --web-config FILE TLS and basic auth for --listen, in the Prometheus\n"
"                        exporter-toolkit's format (node_exporter's\n"
"                        --web.config.file): see the man page\n"
"  -i, --interval SECS   seconds between rows, fractions allowed (default 1)\n"
"  -d, --duration SECS   stop after SECS\n"
"  -c, --count N         stop after N intervals\n"
"  -p, --pid PID[,PID]   only VMs of these processes (repeatable, up to 64 in\n"
"                        all); each must exist and hold a KVM VM\n"
"      --vm NAME         only VMs called NAME (as written out: a control\n"
"                        character is '?'), or whose uuid is NAME\n"
"  -a, --all             every VM on the host, also with a COMMAND\n"
"      --max-vms N       VMs tracked at once, 1..4096 (default 512)\n"
"      --max-vcpus N     vCPUs tracked at once, all VMs together, 1..65536\n"
"                        (default 4096)\n"
"      --list-sources    print where each metric comes from on this kernel\n"
"                        (or why it is unavailable) and exit\n"
"      --raw-tracepoints use raw tracepoints where a metric has them, not tp_btf\n"
"      --source METRIC=KIND  take METRIC from KIND (tracepoint, tp_btf, raw_tp,\n"
"                        fentry, kprobe, or a source's first event) or fail;\n"
"                        none turns it off: e.g. kvm_ioctls=tp_btf,\n"
"                        mmu_lock_wait=none, faults=kvm_mmu_spte_requested\n"
"                        (in mmu_lock, per fault) (repeatable)\n"
"      --exact-waits     time every mmu_lock wait where it ends (two more BPF\n"
"                        programs on mmu_lock's critical path per wait; the\n"
"                        TDP MMU's default); else a vCPU's wait ends at its\n"
"                        fault's mapping choice and other waits are counted,\n"
"                        not timed\n"
"      --wait-sample N   time a vCPU's first N mmu_lock waits, then one in N\n"
"                        at random for the waits since the last timed one\n"
"                        (an estimate: the clock read runs under the lock),\n"
"                        1..65536 (default 16; 1 times each one)\n"
"      --downtime MS     the downtime budget a migration's convergence is\n"
"                        judged by: the dirty set it may leave for the\n"
"                        switchover, at its copy rate (default 300, QEMU's)\n"
"      --no-color        live view without colors (also: NO_COLOR set)\n"
"  -v, --verbose         libbpf's messages on standard error (held back\n"
"                        while the live view is on the screen)\n"
"  -h, --help            show this help\n"
"\n"
"With '-- COMMAND', tracing starts before COMMAND runs and stops when it\n"
"exits, and only the VMs of COMMAND and its descendants are shown (-a: all).\n"
"Where splittop writes rows to standard output, COMMAND's standard output\n"
"goes to standard error.  -d and -c end COMMAND (SIGTERM) when they end the\n"
"run, as does q in the live view, which holds COMMAND's output back and\n"
"prints it when the view ends.  COMMAND gets SIGTERM if splittop dies.\n"
"\n"
"Examples:\n"
"  splittop                                 the live view of every VM\n"
"  splittop -i 0.5 --csv                    every VM, CSV on stdout\n"
"  splittop -o run.csv -- dirtyvm --mem 256M\n"
"  splittop -p $(pgrep -d, qemu-system) -d 60 -o migration.csv\n"
"  splittop --listen 9464                   Prometheus scrapes :9464/metrics\n"
"  splittop --textfile /var/lib/prometheus/node-exporter   node_exporter reads it\n"
"  splittop report --markdown run.json      its migrations, in Markdown\n"
"\n"
"Exit status: 0 ok (also when -d, -c or q ended COMMAND); COMMAND's own when\n"
"it ended first; 128+N when splittop was stopped by signal N; 1 runtime error\n"
"(or: no VM of COMMAND's was seen, --vm matched none); 2 usage error (or: -p\n"
"names no process, or one with no KVM VM).\n";

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("splittop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	return -1;
}

/* --source METRIC=KIND */
static int parse_source(char *arg, struct options *o)
{
	char *eq = strchr(arg, '=');
	enum source_kind kind;
	int m;

	if (!eq || eq == arg || !eq[1])
		return usage_error("invalid --source '%s': expected METRIC=KIND", arg);
	*eq = '\0';
	m = tracer_metric_by_name(arg);
	*eq = '=';
	if (m < 0)
		return usage_error("invalid --source '%s': %s", arg, m == -ENOENT ?
				   "no such metric; --list-sources names them" :
				   "that metric has a single source");
	kind = source_kind_by_name(eq + 1);
	if (kind == SK_UNSET && tracer_source_named(m, eq + 1)) {
		o->force[m] = SK_UNSET;
		o->force_tp[m] = eq + 1;	/* argv's: lives as long as the options */
		return 0;
	}
	if (kind == SK_UNSET)
		return usage_error("invalid --source '%s': KIND is tracepoint, tp_btf, raw_tp, fentry, kprobe, none "
				   "or the first event of a source --list-sources shows", arg);
	if (m == M_ATTRIBUTION && kind == SK_OFF)
		return usage_error("invalid --source '%s': every count is attributed to its VM through "
				   "KVM's ioctls; they cannot be turned off", arg);
	o->force[m] = kind;
	o->force_tp[m] = NULL;
	return 0;
}

/* -p PID[,PID...]: commas (pgrep -d,) or blanks (pidof, quoted) between. */
static int parse_pids(const char *arg, struct options *o)
{
	char buf[512], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf))
		return usage_error("invalid --pid '%.32s...': too long", arg);
	strcpy(buf, arg);
	tok = strtok_r(buf, ", \t", &save);
	if (!tok)
		return usage_error("invalid --pid '%s'", arg);
	for (; tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (o->npids == MAX_PIDS)
			return usage_error("too many processes for --pid (at most %d)", MAX_PIDS);
		if (parse_u32(tok, 1, 4194304, &o->pids[o->npids]))
			return usage_error("invalid --pid '%s': '%s' is not a process id", arg, tok);
		o->npids++;
	}
	return 0;
}

/* --begin/--end: "90", "5m", "1h30m" or "14:05[:30]".  0 or -EINVAL. */
static int when_parse(const char *s, struct when *w)
{
	double v;

	if (!parse_clock(s, &v)) {
		*w = (struct when){ .set = true, .clock = true, .v = v };
		return 0;
	}
	if (parse_span(s, 1e9, &v))
		return -EINVAL;
	*w = (struct when){ .set = true, .v = v };
	return 0;
}

/* What a replay cannot do with: it reads a recording, not the kernel.
 * True after the usage error is printed. */
static bool replay_conflict(const struct options *o)
{
	const char *with = o->listening ? "--listen" : o->textfile ? "--textfile" :
			   o->list_sources ? "--list-sources" : o->duration ? "--duration" : o->count ? "--count" :
			   o->command ? "a COMMAND" : NULL;

	if (with)
		return usage_error("--replay reads a recording: it cannot be used with %s", with) < 0;
	return false;
}

/* What the report cannot do with, or needs.  True after the usage error
 * is printed. */
static bool report_conflict(const struct options *o)
{
	const char *with = o->replay ? "--replay" : o->listening ? "--listen" :
			   o->textfile ? "--textfile" : o->list_sources ? "--list-sources" :
			   o->duration ? "--duration" : o->count ? "--count" : o->json ? "--json" :
			   o->csv ? "--csv" : o->begin.set ? "--begin" : o->end.set ? "--end" :
			   o->command ? "a COMMAND" : NULL;

	if (!o->report)
		return o->markdown && usage_error("--markdown needs report FILE") < 0;
	if (!o->report[0])
		return usage_error("invalid report FILE ''") < 0;
	if (with)
		return usage_error("report reads a recording: it cannot be used with %s", with) < 0;
	return false;
}

/* Long options without a short one. */
enum { OPT_CSV = 256, OPT_VM, OPT_MAX_VMS,
	OPT_MAX_VCPUS, OPT_JSON, OPT_LIST, OPT_RAW, OPT_NO_COLOR, OPT_SOURCE,
       OPT_EXACT_WAITS, OPT_LISTEN, OPT_TEXTFILE, OPT_WAIT_SAMPLE, OPT_WEB_CONFIG, OPT_REPLAY, OPT_BEGIN, OPT_END,
       OPT_DOWNTIME, OPT_MARKDOWN };

/* An option with a number (optarg): 0, or -1 after a usage error. */
static int apply_number(int c, struct options *o, char **argv)
{
	switch (c) {
	case OPT_WAIT_SAMPLE:
		if (parse_u32(optarg, 1, ST_WAIT_SAMPLE_LIMIT, &o->wait_sample))
			return usage_error("invalid --wait-sample '%s': expected 1..%d", optarg,
					   ST_WAIT_SAMPLE_LIMIT);
		break;
	case OPT_DOWNTIME:
		if (parse_u32(optarg, 1, 3600000, &o->downtime_ms))
			return usage_error("invalid --downtime '%s': expected 1..3600000 ms", optarg);
		o->downtime_set = true;
		break;
	case 'i':
		if (parse_seconds(optarg, 0.01, 86400, &o->interval))
			return usage_error("invalid --interval '%s': expected 0.01..86400 seconds", optarg);
		break;
	case 'd':
		if (parse_seconds(optarg, 0.01, 1e9, &o->duration))
			return usage_error("invalid --duration '%s': expected seconds > 0", optarg);
		break;
	case 'c':
		if (parse_u64(optarg, 1, UINT64_MAX, &o->count))
			return usage_error("invalid --count '%s': expected a number > 0", optarg);
		break;
	case OPT_MAX_VMS:
		if (parse_u32(optarg, 1, ST_MAX_VMS_LIMIT, &o->max_vms))
			return usage_error("invalid --max-vms '%s': expected 1..%d", optarg, ST_MAX_VMS_LIMIT);
		break;
	case OPT_MAX_VCPUS:
		if (parse_u32(optarg, 1, ST_MAX_VCPUS_LIMIT, &o->max_vcpus))
			return usage_error("invalid --max-vcpus '%s': expected 1..%d", optarg, ST_MAX_VCPUS_LIMIT);
		break;
	default:
		return usage_error("unknown option '%s'", argv[optind - 1]);
	}
	return 0;
}

/* An option with a value (optarg): 0, or -1 after a usage error. */
static int apply_value(int c, struct options *o, char **argv)
{
	switch (c) {
	case OPT_SOURCE:
		if (parse_source(optarg, o))
			return -1;
		break;
	case OPT_LISTEN:
		if (listen_addr_parse(optarg, &o->listen))
			return usage_error("invalid --listen '%s': expected [ADDR:]PORT, PORT 1..65535, "
					   "ADDR IPv4 or [IPv6]", optarg);
		o->listening = true;
		break;
	case OPT_TEXTFILE:
		if (!optarg[0])
			return usage_error("invalid --textfile ''");
		o->textfile = optarg;
		break;
	case OPT_REPLAY:
		if (!optarg[0])
			return usage_error("invalid --replay ''");
		o->replay = optarg;
		break;
	case OPT_BEGIN:
	case OPT_END:
		if (when_parse(optarg, c == OPT_BEGIN ? &o->begin : &o->end))
			return usage_error("invalid --%s '%s': expected a span (90, 5m, 1h30m) or a time of day "
					   "(14:05, 14:05:30)", c == OPT_BEGIN ? "begin" : "end", optarg);
		break;
	case OPT_WEB_CONFIG:
		if (!optarg[0])
			return usage_error("invalid --web-config ''");
		o->web_config = optarg;
		break;
	case 'o':
		if (!optarg[0])
			return usage_error("invalid --output ''");
		o->output = optarg;
		break;
	case 'p':
		return parse_pids(optarg, o);
	case OPT_VM:
		if (!optarg[0])
			return usage_error("invalid --vm ''");
		/* Names are matched as the VM table holds them (text_sanitize):
		 * the name as the VMM has it, control characters and all, or as
		 * the outputs print it, with '?' for them, both select it. */
		text_sanitize(optarg, strlen(optarg) + 1, optarg);
		o->vm_name = optarg;
		break;
	default:
		return apply_number(c, o, argv);
	}
	return 0;
}

/* One option (getopt's c, its optarg) into o: 0, 1 after --help, -1 after
 * a usage error (printed). */
static int apply_option(int c, struct options *o, char **argv)
{
	switch (c) {
	case OPT_CSV:
		o->json = false;
		o->csv = true;
		break;
	case OPT_JSON:
		o->json = true;
		o->csv = false;
		break;
	case OPT_NO_COLOR:
		o->no_color = true;
		break;
	case OPT_LIST:
		o->list_sources = true;
		break;
	case OPT_RAW:
		o->raw_tracepoints = true;
		break;
	case OPT_EXACT_WAITS:
		o->exact_waits = true;
		break;
	case OPT_MARKDOWN:
		o->markdown = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case 'a':
		o->all = true;
		break;
	case 'h':
		fputs(usage, stdout);
		return 1;
	case ':':
		return usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		return apply_value(c, o, argv);
	}
	return 0;
}

static const struct option longopts[] = {
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "list-sources", no_argument, NULL, OPT_LIST },
	{ "raw-tracepoints", no_argument, NULL, OPT_RAW },
	{ "exact-waits", no_argument, NULL, OPT_EXACT_WAITS },
	{ "wait-sample", required_argument, NULL, OPT_WAIT_SAMPLE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "begin", required_argument, NULL, OPT_BEGIN },
	{ "end", required_argument, NULL, OPT_END },
	{ "downtime", required_argument, NULL, OPT_DOWNTIME },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "markdown", no_argument, NULL, OPT_MARKDOWN },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'c' },
	{ "pid", required_argument, NULL, 'p' },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "max-vms", required_argument, NULL, OPT_MAX_VMS },
	{ "max-vcpus", required_argument, NULL, OPT_MAX_VCPUS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "all", no_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What the options leave after them (COMMAND after --), and the options
 * that need or exclude others: 0, or -1 after a usage error. */
static int check_operands(int argc, char **argv, struct options *o)
{
	if (o->web_config && !o->listening)
		return usage_error("--web-config needs --listen");
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--")) {
			if (o->npids && strspn(argv[optind], "0123456789") == strlen(argv[optind]))
				return usage_error("unexpected argument '%s': several processes go in one -p, "
						   "comma-separated (-p $(pgrep -d, NAME))", argv[optind]);
			return usage_error("unexpected argument '%s'", argv[optind]);
		}
		o->command = &argv[optind];
	} else if (optind > 0 && !strcmp(argv[optind - 1], "--")) {
		return usage_error("'--' needs a command after it");
	}
	if (report_conflict(o) || (o->replay && replay_conflict(o)))
		return -1;
	if ((o->begin.set || o->end.set) && !o->replay)
		return usage_error("--%s needs --replay", o->begin.set ? "begin" : "end");
	/* Two times of day may span midnight; two spans cannot. */
	if (o->begin.set && o->end.set && !o->begin.clock && !o->end.clock && o->begin.v > o->end.v)
		return usage_error("--begin is after --end");
	return 0;
}

/* At the end of the options (getopt said -1): "report", then its FILE, each
 * with options after it.  1: go on parsing; 0: done; -1: usage error. */
static int take_operand(int argc, char **argv, struct options *o, bool *wants_file)
{
	if (optind >= argc || !strcmp(argv[optind - 1], "--"))
		return *wants_file ? usage_error("report needs a FILE: splittop report FILE") : 0;
	if (*wants_file) {
		o->report = argv[optind++];
		*wants_file = false;
		return 1;
	}
	if (o->report || strcmp(argv[optind], "report"))
		return 0;
	optind++;
	*wants_file = true;
	return 1;
}

int options_parse(int argc, char **argv, struct options *o)
{
	bool wants_file = false;
	int c, r;

	*o = (struct options){ .interval = 1, .max_vms = ST_MAX_VMS_DEFAULT,
				     .max_vcpus = ST_MAX_VCPUS_DEFAULT, .wait_sample = ST_WAIT_SAMPLE_DEFAULT,
				     .downtime_ms = 300 };
	opterr = 0;
	optind = 0;	/* a full reset of GNU getopt: the parser may run more than once */
	/* '+': stop at the first non-option, so COMMAND's own options are its own. */
	do {
		while ((c = getopt_long(argc, argv, "+:o:i:d:c:p:vah", longopts, NULL)) != -1) {
			r = apply_option(c, o, argv);
			if (r)
				return r;
		}
	} while ((r = take_operand(argc, argv, o, &wants_file)) > 0);
	if (r < 0)
		return r;
	return check_operands(argc, argv, o);
}

void options_describe_selection(struct options *o)
{
	size_t n = 0, cap = sizeof(o->selection);
	unsigned int i;

	for (i = 0; i < o->npids && n < cap; i++)
		n += snprintf(o->selection + n, cap - n, "%s%u", i ? "," : "pid ", o->pids[i]);
	if (o->vm_name && n < cap)
		snprintf(o->selection + n, cap - n, "%svm %s", n ? " " : "", o->vm_name);
}

