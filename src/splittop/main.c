// SPDX-License-Identifier: GPL-2.0-only
/*
 * splittop: per-VM huge page splits, page faults and kvm->mmu_lock
 * contention while KVM dirty-logs guest memory.
 */
#include "common/parse.h"
#include "render.h"
#include "tracer.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 16

struct options {
	double interval, duration;
	uint64_t count;
	uint32_t pids[MAX_PIDS];
	unsigned int npids;
	const char *vm_name;
	const char *output;
	unsigned int max_vms;
	bool verbose, json, list_sources, raw_tracepoints;
	char **command;		/* after "--" */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static const char usage[] =
"Usage: splittop [OPTIONS] [-- COMMAND [ARGS...]]\n"
"Show, per KVM virtual machine, what the MMU does while dirty logging splits\n"
"huge pages: splits, demotions, page faults by kind, kvm->mmu_lock waits and\n"
"dirty-log operations.  Writes CSV (or JSON lines): one row per VM per\n"
"interval, then one 'total' row per VM at exit.  (The live view is not part\n"
"of this version: without --json the output is CSV.)\n"
"\n"
"  --csv                 CSV output (the default)\n"
"  --json                one JSON object per line: host, each interval, total\n"
"  -o, --output FILE     write to FILE instead of standard output\n"
"  -i, --interval SECS   seconds between rows, fractions allowed (default 1)\n"
"  -d, --duration SECS   stop after SECS\n"
"  -c, --count N         stop after N intervals\n"
"  -p, --pid PID         only VMs of process PID (repeatable, up to 16)\n"
"      --vm NAME         only VMs called NAME\n"
"      --max-vms N       VMs tracked at once, 1..4096 (default 64)\n"
"      --list-sources    print where each metric comes from on this kernel\n"
"                        (or why it is unavailable) and exit\n"
"      --raw-tracepoints use raw tracepoints where a metric has them, not tp_btf\n"
"  -v, --verbose         libbpf's messages on standard error\n"
"  -h, --help            show this help\n"
"\n"
"With '-- COMMAND', tracing starts before COMMAND runs and stops when it\n"
"exits; splittop then exits with COMMAND's status.\n"
"\n"
"Examples:\n"
"  splittop -i 0.5                          watch every VM, CSV on stdout\n"
"  splittop -o run.csv -- dirtyvm --mem 256M\n"
"  splittop -p $(pidof qemu-system-x86_64) -d 60 -o migration.csv\n"
"\n"
"Exit status: 0 ok, 1 runtime error, 2 usage error; with a COMMAND, its status.\n";

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

/* 0: run, 1: help printed, -1: usage error printed. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_CSV = 256, OPT_VM, OPT_MAX_VMS, OPT_JSON, OPT_LIST, OPT_RAW };
	static const struct option longopts[] = {
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "list-sources", no_argument, NULL, OPT_LIST },
		{ "raw-tracepoints", no_argument, NULL, OPT_RAW },
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "max-vms", required_argument, NULL, OPT_MAX_VMS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .interval = 1, .max_vms = ST_MAX_VMS_DEFAULT };
	opterr = 0;
	/* '+': stop at the first non-option, so COMMAND's own options are its own. */
	while ((c = getopt_long(argc, argv, "+:o:i:d:c:p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CSV:
			o->json = false;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_LIST:
			o->list_sources = true;
			break;
		case OPT_RAW:
			o->raw_tracepoints = true;
			break;
		case 'o':
			if (!optarg[0])
				return usage_error("invalid --output ''");
			o->output = optarg;
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
		case 'p':
			if (o->npids == MAX_PIDS)
				return usage_error("too many --pid options (at most %d)", MAX_PIDS);
			if (parse_u32(optarg, 1, 4194304, &o->pids[o->npids]))
				return usage_error("invalid --pid '%s'", optarg);
			o->npids++;
			break;
		case OPT_VM:
			if (!optarg[0])
				return usage_error("invalid --vm ''");
			o->vm_name = optarg;
			break;
		case OPT_MAX_VMS:
			if (parse_u32(optarg, 1, ST_MAX_VMS_LIMIT, &o->max_vms))
				return usage_error("invalid --max-vms '%s': expected 1..%d", optarg, ST_MAX_VMS_LIMIT);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--"))
			return usage_error("unexpected argument '%s'", argv[optind]);
		o->command = &argv[optind];
	} else if (optind > 0 && !strcmp(argv[optind - 1], "--")) {
		return usage_error("'--' needs a command after it");
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

static bool selected(const struct options *o, const struct vm_entry *e)
{
	unsigned int i;

	if (o->vm_name && strcmp(o->vm_name, e->name))
		return false;
	if (!o->npids)
		return true;
	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == e->pid)
			return true;
	return false;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Render one frame: every selected VM's interval deltas, or its totals. */
static void render_frame(FILE *out, const struct renderer *rd, const struct options *o,
			 struct tracer *t, const char *scope, double elapsed)
{
	bool total = !strcmp(scope, "total");
	struct self_stats self;
	struct frame fr = { .scope = scope, .time_unix = now_unix(), .elapsed = elapsed, .self = &self };
	struct vm_counters d;
	struct row r;
	unsigned int i;

	tracer_self(t, &self);
	rd->begin(out, &fr);
	for (i = 0; i < t->nvms; i++) {
		struct vm_entry *e = &t->vms[i];
		const struct vm_counters *c = &e->now;

		if (!selected(o, e) || (!total && e->reported))
			continue;
		if (!total) {
			vm_counters_delta(&e->now, &e->prev, &d);
			c = &d;
			/* A VM that died gets its last interval, then only its total. */
			e->reported = !e->alive;
		}
		row_build(&e->gauges, c, total ? e->lock_wait_max_run_ns : e->gauges.lock_wait_max_ns,
			  &t->avail, &r);
		fr.count++;
		rd->vm(out, &fr, e, &r, c, &t->avail);
	}
	rd->end(out, &fr);
}

static void list_sources(const struct tracer *t)
{
	unsigned int i;

	printf("kernel %s, mmu %s, eager_page_split %s\n", t->host.kernel, t->host.mmu,
	       t->host.eager_split);
	for (i = 0; i < NR_METRICS; i++)
		printf("%-26s %s\n", t->sources[i].metric,
		       t->sources[i].source ? t->sources[i].source : t->sources[i].why);
}

/* splittop's own failures: never silent. */
static void report_self(const struct tracer *t, unsigned int max_vms)
{
	struct self_stats s;

	tracer_self(t, &s);
	if (s.vm_table_full)
		fprintf(stderr, "splittop: %llu VMs not tracked: more than --max-vms %u VMs at once\n",
			(unsigned long long)s.vm_table_full, max_vms);
	if (s.unattributed_faults)
		fprintf(stderr, "splittop: %llu faults outside any KVM_RUN splittop saw (vCPUs already in the guest when it started; not counted in any VM)\n",
			(unsigned long long)s.unattributed_faults);
	if (s.unattributed_splits)
		fprintf(stderr, "splittop: %llu splits outside any KVM ioctl splittop saw (not counted in any VM)\n",
			(unsigned long long)s.unattributed_splits);
	if (s.task_storage_fail || s.rmap_read_fail)
		fprintf(stderr, "splittop: internal misses: %llu task contexts not created, %llu rmap reads failed\n",
			(unsigned long long)s.task_storage_fail, (unsigned long long)s.rmap_read_fail);
}

/* Start COMMAND, tracing already attached; returns its pid or -errno. */
static pid_t start_command(char **argv)
{
	int pipefd[2];
	pid_t pid;
	int err = 0;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], argv);
		err = errno;
		n = write(pipefd[1], &err, sizeof(err));
		(void)n;
		_exit(127);
	}
	close(pipefd[1]);
	/* The pipe closes on a successful exec: an errno in it means it failed. */
	n = read(pipefd[0], &err, sizeof(err));
	close(pipefd[0]);
	if (n == sizeof(err)) {
		waitpid(pid, NULL, 0);
		fprintf(stderr, "splittop: cannot run '%s': %s\n", argv[0], strerror(err));
		return -err;
	}
	return pid;
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const struct renderer *rd;
	struct tracer_opts topts;
	struct options o;
	struct tracer t;
	FILE *out = stdout;
	double start, next;
	uint64_t ticks = 0;
	pid_t child = 0;
	int rc, status = 0, err;

	rc = parse_options(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (geteuid() != 0) {
		fprintf(stderr, "splittop: needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN) to load BPF programs\n");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "splittop: the kernel has no BTF (/sys/kernel/btf/vmlinux): CONFIG_DEBUG_INFO_BTF is needed\n");
		return 1;
	}
	if (access("/sys/module/kvm", F_OK)) {
		fprintf(stderr, "splittop: KVM is not in this kernel, or its module is not loaded\n");
		return 1;
	}
	if (o.output && !o.list_sources) {
		out = fopen(o.output, "w");
		if (!out) {
			fprintf(stderr, "splittop: cannot write %s: %s\n", o.output, strerror(errno));
			return 1;
		}
	}
	libbpf_set_print(o.verbose ? libbpf_print : libbpf_quiet);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	topts = (struct tracer_opts){ .max_vms = o.max_vms, .raw_tracepoints = o.raw_tracepoints };
	err = tracer_open(&t, &topts);
	if (err) {
		tracer_close(&t);
		return 1;
	}
	if (o.list_sources) {
		list_sources(&t);
		tracer_close(&t);
		return 0;
	}
	rd = o.json ? &json_renderer : &csv_renderer;
	start = now_mono();
	if (o.command) {
		child = start_command(o.command);
		if (child < 0) {
			tracer_close(&t);
			return child == -ENOENT ? 127 : 126;
		}
	}
	rd->start(out, &t.host, t.sources, NR_METRICS, o.interval);
	err = tracer_sample(&t);	/* VMs that already run, and the baseline */
	next = start + o.interval;
	while (!err) {
		bool last = false;
		double now;

		while ((now = now_mono()) < next && !stop_signal) {
			double left = next - now;
			struct timespec ts;

			if (left > 0.05)
				left = 0.05;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
			if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
				child = -1;
				break;
			}
		}
		if (stop_signal && child > 0) {
			/* Forward, then wait for the command: its status is ours. */
			kill(child, stop_signal);
			waitpid(child, &status, 0);
			child = -1;
		}
		if (stop_signal || child < 0)
			last = true;
		err = tracer_sample(&t);
		if (err)
			break;
		ticks++;
		render_frame(out, rd, &o, &t, "interval", now_mono() - start);
		if (fflush(out) || ferror(out)) {
			fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
			err = -EIO;
			break;
		}
		if ((o.count && ticks >= o.count) || (o.duration && now_mono() - start >= o.duration))
			last = true;
		if (last)
			break;
		next += o.interval;
		if (next < now_mono())
			next = now_mono();
	}
	render_frame(out, rd, &o, &t, "total", now_mono() - start);
	if (fflush(out) && !err) {
		fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
		err = -EIO;
	}
	if (out != stdout)
		fclose(out);
	report_self(&t, o.max_vms);
	tracer_close(&t);
	if (child > 0) {
		waitpid(child, &status, 0);
		child = -1;
	}
	if (err)
		return 1;
	if (o.command)
		return exit_status(status);
	return 0;
}
