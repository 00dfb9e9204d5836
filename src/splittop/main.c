// SPDX-License-Identifier: GPL-2.0-only
/*
 * splittop: per-VM huge page splits, page faults and kvm->mmu_lock
 * contention while KVM dirty-logs guest memory.
 */
#include "common/parse.h"
#include "csv.h"
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
	bool verbose;
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
"dirty-log operations.  Writes CSV: one row per VM per interval, then one\n"
"'total' row per VM at exit.  (The live view is not part of this version.)\n"
"\n"
"  --csv                 CSV output (the default in this version)\n"
"  -o, --output FILE     write to FILE instead of standard output\n"
"  -i, --interval SECS   seconds between rows, fractions allowed (default 1)\n"
"  -d, --duration SECS   stop after SECS\n"
"  -c, --count N         stop after N intervals\n"
"  -p, --pid PID         only VMs of process PID (repeatable, up to 16)\n"
"      --vm NAME         only VMs called NAME\n"
"      --max-vms N       VMs tracked at once, 1..4096 (default 64)\n"
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
	enum { OPT_CSV = 256, OPT_VM, OPT_MAX_VMS };
	static const struct option longopts[] = {
		{ "csv", no_argument, NULL, OPT_CSV },
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

static void write_intervals(FILE *out, const struct options *o, struct tracer *t, double elapsed)
{
	double tu = now_unix();
	unsigned int i;

	for (i = 0; i < t->nvms; i++) {
		struct vm_entry *e = &t->vms[i];
		struct vm_counters d;

		if (e->reported || !selected(o, e))
			continue;
		vm_counters_delta(&e->now, &e->prev, &d);
		csv_row(out, tu, elapsed, "interval", e, &d, e->gauges.lock_wait_max_ns, &t->avail);
		/* A VM that died gets its last interval, then only its total. */
		e->reported = !e->alive;
	}
}

static void write_totals(FILE *out, const struct options *o, struct tracer *t, double elapsed)
{
	double tu = now_unix();
	unsigned int i;

	for (i = 0; i < t->nvms; i++) {
		struct vm_entry *e = &t->vms[i];

		if (selected(o, e))
			csv_row(out, tu, elapsed, "total", e, &e->now, e->lock_wait_max_run_ns, &t->avail);
	}
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
	if (o.output) {
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

	err = tracer_open(&t, o.max_vms);
	if (err) {
		tracer_close(&t);
		return 1;
	}
	start = now_mono();
	if (o.command) {
		child = start_command(o.command);
		if (child < 0) {
			tracer_close(&t);
			return child == -ENOENT ? 127 : 126;
		}
	}
	csv_header(out);
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
		write_intervals(out, &o, &t, now_mono() - start);
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
	write_totals(out, &o, &t, now_mono() - start);
	if (fflush(out) && !err) {
		fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
		err = -EIO;
	}
	if (out != stdout)
		fclose(out);
	{
		struct self_stats s;

		tracer_self(&t, &s);
		if (s.vm_table_full)
			fprintf(stderr, "splittop: %llu VM registrations refused: more than --max-vms %u VMs\n",
				(unsigned long long)s.vm_table_full, o.max_vms);
	}
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
