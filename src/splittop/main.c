// SPDX-License-Identifier: GPL-2.0-only
/*
 * splittop: per-VM huge page splits, page faults and kvm->mmu_lock
 * contention while KVM dirty-logs guest memory.
 */
#include "command.h"
#include "options.h"
#include "record.h"
#include "render.h"
#include "tracer.h"
#include "tui.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
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

static bool selected(const void *arg, const struct vm_entry *e)
{
	const struct options *o = arg;
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
			 struct tracer *t, const char *scope, double elapsed, FILE *rec)
{
	bool total = !strcmp(scope, "total");
	struct self_stats self;
	struct frame fr = { .scope = scope, .time_unix = now_unix(), .elapsed = elapsed, .self = &self };
	struct vm_counters d;
	struct row r;
	unsigned int i;

	tracer_self(t, &self);
	if (rec)
		record_frame(rec, scope, fr.time_unix, elapsed, &self, &t->avail);
	rd->begin(out, &fr);
	for (i = 0; i < t->nvms; i++) {
		struct vm_entry *e = &t->vms[i];
		const struct vm_counters *c = &e->now;

		if (!e->seq || !selected(o, e) || (!total && e->reported))
			continue;
		if (rec)
			record_vm(rec, e);
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

/* While the live view owns the terminal, anything written to stderr (ours,
 * libbpf's) goes to an unlinked file instead, and is replayed after. */
static int stderr_hold(FILE **held)
{
	int saved;

	*held = tmpfile();
	if (!*held)
		return -1;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(fileno(*held), STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		fclose(*held);
		*held = NULL;
		return -1;
	}
	return saved;
}

static void stderr_release(FILE *held, int saved)
{
	char buf[4096];
	size_t n;

	if (!held)
		return;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(held);
	while ((n = fread(buf, 1, sizeof(buf), held)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(held);
}

/* How the run is shown: a live view, or rows on a stream. */
struct sink {
	struct tui *ui;			/* NULL: headless */
	FILE *out;
	const struct renderer *rd;
	FILE *rec;			/* SPLITTOP_RECORD: the frames' input, for golden tests */
};

/* Wait until the next sample is due, handling keys in the live view.
 * Returns true when the run should end (a key, a signal, the command). */
static bool wait_tick(struct sink *k, struct tracer *t, struct command *cmd, double *interval,
		      double last_sample, double *next, bool *quit, bool *out_gone)
{
	double now;

	while ((now = now_mono()) < *next && !stop_signal) {
		int ms = (int)((*next - now) * 1000) + 1;

		if (ms > 50)
			ms = 50;	/* the command's exit is polled this often */
		if (k->ui) {
			enum tui_event ev = tui_poll(k->ui, t, ms, cmd->out_fd);

			if (ev == TUI_QUIT) {
				*quit = true;
				return true;
			}
			if (ev == TUI_INTERVAL) {
				*interval = tui_interval(k->ui);
				*next = last_sample + *interval;
			}
			command_drain(cmd);
		} else {
			/* Sleep, but wake when the reader of a pipe goes away: with
			 * no VM there is nothing to write that would tell us. */
			struct pollfd p = { .fd = fileno(k->out), .events = 0 };

			if (poll(&p, 1, ms) > 0 && (p.revents & (POLLERR | POLLHUP))) {
				*out_gone = true;
				return true;
			}
		}
		if (cmd->pid > 0 && command_reap(cmd))
			return true;
	}
	return stop_signal != 0;
}

/* The live view after COMMAND ended: the run's totals stay until q. */
static void hold_last_screen(struct sink *k, struct tracer *t, const struct options *o,
			     const struct command *cmd)
{
	char banner[192];

	snprintf(banner, sizeof(banner), "%s exited with status %d: totals since splittop started. q quits.",
		 o->command[0], command_exit_status(cmd));
	tracer_restore_finished(t);
	tui_finish(k->ui, banner);
	tui_update(k->ui, t, 0, selected, o);
	tui_draw(k->ui, t);
	while (!stop_signal && tui_poll(k->ui, t, 200, -1) != TUI_QUIT)
		;
}

/* Sample until the run ends; returns 0 or a negative errno (printed). */
static int run(struct sink *k, struct tracer *t, struct options *o, struct command *cmd,
	       bool *user_quit)
{
	double start = now_mono(), last_sample, interval = o->interval, next;
	uint64_t ticks = 0;
	int err;

	err = tracer_sample(t);		/* VMs that already run, and the baseline */
	last_sample = start;
	if (err)
		return err;
	if (k->ui) {
		tui_update(k->ui, t, 0, selected, o);
		tui_draw(k->ui, t);
	}
	next = start + interval;
	for (;;) {
		bool out_gone = false;
		bool last = wait_tick(k, t, cmd, &interval, last_sample, &next, user_quit, &out_gone);
		double now;

		if (out_gone)
			return -EPIPE;	/* nobody reads: no totals to write either */
		if (cmd->pid > 0 && (stop_signal || *user_quit)) {
			/* Forward, then wait for the command: its status is ours. */
			command_stop(cmd, *user_quit ? SIGTERM : stop_signal);
		}
		if (k->ui && tui_paused(k->ui) && !last) {
			next += interval;
			continue;
		}
		err = tracer_sample(t);
		if (err)
			return err;
		now = now_mono();
		ticks++;
		if (k->ui) {
			tui_update(k->ui, t, now - last_sample, selected, o);
			tui_draw(k->ui, t);
		} else {
			render_frame(k->out, k->rd, o, t, "interval", now - start, k->rec);
			if (fflush(k->out) || ferror(k->out)) {
				/* The reader is gone (splittop | head): stop quietly. */
				if (errno == EPIPE)
					return -EPIPE;
				fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
				return -EIO;
			}
		}
		last_sample = now;
		if ((o->count && ticks >= o->count) || (o->duration && now - start >= o->duration))
			last = true;
		if (last)
			break;
		next += interval;
		if (next < now_mono())
			next = now_mono();
	}
	if (k->ui && o->command && !*user_quit && !stop_signal && cmd->pid == 0)
		hold_last_screen(k, t, o, cmd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct command cmd = { .out_fd = -1 };
	struct tracer_opts topts;
	struct sink k = { .out = stdout };
	struct options o;
	struct tracer t;
	FILE *held = NULL;
	double start;
	bool live, user_quit = false;
	int rc, err, saved_stderr = -1;
	sigset_t stops;

	/* First of all: a stop request at any moment ends the run cleanly,
	 * even one that came before we could take it (a parent may have left
	 * it blocked, and pending). */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &stops, NULL);

	rc = options_parse(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	options_describe_selection(&o);
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
	live = !o.json && !o.csv && !o.output && !o.list_sources && isatty(STDOUT_FILENO) &&
	       isatty(STDIN_FILENO);
	if (o.output && !o.list_sources) {
		k.out = fopen(o.output, "w");
		if (!k.out) {
			fprintf(stderr, "splittop: cannot write %s: %s\n", o.output, strerror(errno));
			return 1;
		}
	}
	libbpf_set_print(o.verbose ? libbpf_print : libbpf_quiet);

	topts = (struct tracer_opts){ .max_vms = o.max_vms, .raw_tracepoints = o.raw_tracepoints };
	memcpy(topts.force, o.force, sizeof(topts.force));
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
	/* The live view prints the totals as CSV when it ends; JSON only when asked. */
	k.rd = o.json ? &json_renderer : &csv_renderer;
	if (live) {
		struct tui_opts uo = {
			.color = !o.no_color && !getenv("NO_COLOR"), .interval = o.interval,
			.filter_pid_vm = o.selection[0] ? o.selection : NULL,
			.command = o.command ? o.command[0] : NULL,
		};

		k.ui = tui_start(&uo);
		if (!k.ui) {
			tracer_close(&t);
			return 1;
		}
		/* Nothing may write over the screen: messages wait until it ends. */
		saved_stderr = stderr_hold(&held);
	}
	start = now_mono();
	if (o.command) {
		err = command_start(&cmd, o.command, live);
		if (err) {
			tui_stop(k.ui);
			stderr_release(held, saved_stderr);
			tracer_close(&t);
			return err == -ENOENT ? 127 : 126;
		}
	}
	if (!live) {
		/* Flushed now: a script waiting for the header knows tracing is on. */
		k.rd->start(k.out, &t.host, t.sources, NR_METRICS, o.interval);
		fflush(k.out);
	}
	if (getenv("SPLITTOP_RECORD")) {
		k.rec = fopen(getenv("SPLITTOP_RECORD"), "w");
		if (k.rec)
			record_start(k.rec, &t.host, t.sources, NR_METRICS, o.interval);
		else
			fprintf(stderr, "splittop: cannot write SPLITTOP_RECORD %s: %s\n",
				getenv("SPLITTOP_RECORD"), strerror(errno));
	}
	err = run(&k, &t, &o, &cmd, &user_quit);
	if (live) {
		tui_stop(k.ui);
		k.ui = NULL;
		stderr_release(held, saved_stderr);
		k.rd->start(k.out, &t.host, t.sources, NR_METRICS, o.interval);
	}
	if (err != -EPIPE) {
		if (tracer_restore_finished(&t) && !err) {
			fprintf(stderr, "splittop: reading back finished VMs: %s\n", strerror(errno));
			err = -EIO;
		}
		render_frame(k.out, k.rd, &o, &t, "total", now_mono() - start, k.rec);
		if (fflush(k.out) && !err) {
			if (errno == EPIPE) {
				err = -EPIPE;
			} else {
				fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
				err = -EIO;
			}
		}
	}
	if (k.out != stdout)
		fclose(k.out);
	if (k.rec)
		fclose(k.rec);
	report_self(&t, o.max_vms);
	tracer_close(&t);
	command_stop(&cmd, SIGTERM);
	if (o.command)
		command_flush(&cmd, o.command[0]);
	if (err == -EPIPE)
		return 0;
	if (err)
		return 1;
	if (o.command && !user_quit)
		return command_exit_status(&cmd);
	return 0;
}
