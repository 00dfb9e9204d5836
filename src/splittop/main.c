// SPDX-License-Identifier: GPL-2.0-only
/*
 * splittop: per-VM huge page splits, page faults and kvm->mmu_lock
 * contention while KVM dirty-logs guest memory.
 */
#include "splittop/kernel/bpf_log.h"
#include "common/clock.h"
#include "command.h"
#include "splittop/http/exporter.h"
#include "options.h"
#include "splittop/output/textfile.h"
#include "splittop/output/output_file.h"
#include "splittop/output/raw_record.h"
#include "splittop/replay/replay.h"
#include "splittop/report/report.h"
#include "splittop/ui/replay_tui.h"
#include "splittop/output/render.h"
#include "selection.h"
#include "splittop/model/self_stats.h"
#include "splittop/kernel/tracer.h"
#include "splittop/ui/tui.h"

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

static double now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* How the run is shown: a live view, or frames on a stream. */
struct sink {
	struct tui *ui;			/* NULL: headless */
	FILE *out;
	const struct renderer *rd;
	FILE *rec;			/* SPLITTOP_RECORD: the frames' input, for golden tests */
	struct exporter *ex;		/* --listen */
	int textfile;			/* --textfile's directory; -1: none */
	const char *textfile_dir;
	int textfile_err;		/* its last write's, printed once */
};

/* The VMs an interval frame shows: selected, and not yet shown dead (a VM
 * that died gets its last interval, then only its total). */
static bool interval_wanted(const void *arg, const struct vm_entry *e)
{
	return selection_wants(arg, e) && !e->reported;
}

/* Fill the snapshot from the tracer: selected VMs (want), dt seconds after
 * the previous sample.  0 or -ENOMEM (printed). */
static int snapshot_take(struct snapshot *s, struct tracer *t, vm_filter want,
			 const struct vm_selection *o, double elapsed, double dt)
{
	int err;

	tracer_self(t, &s->self);
	s->avail = t->avail;
	s->time_unix = now_unix();
	s->elapsed = elapsed;
	s->dt = dt;
	err = snapshot_fill(s, t->vms, want, o);
	if (err)
		fprintf(stderr, "splittop: taking a snapshot: %s\n", strerror(-err));
	return err;
}

/* A write that fails is printed once (and again once it failed anew after
 * a success): the run goes on, the next interval tries again. */
static void textfile_frame(struct sink *k, const struct snapshot *s)
{
	int err = textfile_write(k->textfile, s);

	if (err && err != k->textfile_err)
		fprintf(stderr, "splittop: --textfile %s: cannot write %s: %s\n", k->textfile_dir, TEXTFILE_NAME,
			strerror(-err));
	k->textfile_err = err;
}

/* One headless frame: each selected VM's interval, or its total. */
static int emit(struct sink *k, struct snapshot *s, struct tracer *t, const struct vm_selection *o,
		enum scope sc, double elapsed, double dt)
{
	unsigned int i;
	int err;

	err = snapshot_take(s, t, sc == SCOPE_TOTAL ? selection_wants : interval_wanted, o, elapsed, dt);
	if (err)
		return err;
	if (k->rd)
		k->rd->frame(k->out, s, sc);
	if (k->rec)
		record_renderer.frame(k->rec, s, sc);
	if (k->ex && sc == SCOPE_INTERVAL)
		err = exporter_update(k->ex, s);
	if (k->textfile >= 0 && sc == SCOPE_INTERVAL)
		textfile_frame(k, s);
	for (i = 0; sc == SCOPE_INTERVAL && i < t->vms->n; i++)
		if (t->vms->e[i].seq && interval_wanted(o, &t->vms->e[i]))
			t->vms->e[i].reported = !t->vms->e[i].alive;
	return err;
}

static void list_sources(const struct tracer *t)
{
	unsigned int i;

	printf("kernel %s, mmu %s, eager_page_split %s\n", t->host.kernel, host_mmu_name(t->host.mmu),
	       t->host.eager_split);
	for (i = 0; i < NR_METRICS; i++)
		printf("%-26s %s\n", t->sources[i].metric,
		       t->sources[i].source ? t->sources[i].source : t->sources[i].why);
}

/* splittop's own failures: never silent. */
static void report_self(const struct tracer *t, unsigned int max_vms, unsigned int max_vcpus)
{
	struct self_stats s;

	tracer_self(t, &s);
	self_stats_report(stderr, &s, &(struct self_limits){ .max_vms = max_vms, .max_vcpus = max_vcpus });
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

/* Everything one run holds, released in one place (app_close). */
struct app {
	struct options o;
	struct tracer t;
	struct vm_table vms;		/* the model: the tracer fills it, the sinks read it */
	struct snapshot snap;
	struct sink k;
	struct command cmd;
	struct vm_selection sel;	/* which VMs: -p, --vm, COMMAND's (not -a) */
	struct selection_memo memo;
	bool stopped_command;		/* -d, -c, q or a signal ended COMMAND, not COMMAND itself */
	FILE *held;			/* stderr while the live view owns the screen */
	int saved_stderr;
	double start;
	bool user_quit;
	bool ran;			/* sampling began: its failure counters mean something */
	struct web_config wc;		/* --web-config: all zero without one */
};

/* Wait until the next sample is due, handling keys in the live view.
 * Returns true when the run should end (a key, a signal, the command). */
static bool wait_tick(struct app *a, double *interval, double last_sample, double *next,
		      bool *out_gone)
{
	struct sink *k = &a->k;
	double now;

	while ((now = now_mono()) < *next && !stop_signal) {
		int ms = (int)((*next - now) * 1000) + 1;

		if (ms > 50)
			ms = 50;	/* the command's exit is polled this often */
		if (k->ui) {
			enum tui_event ev = tui_poll(k->ui, ms, a->cmd.out_fd);

			if (ev == TUI_QUIT) {
				a->user_quit = true;
				return true;
			}
			if (ev == TUI_INTERVAL) {
				*interval = tui_interval(k->ui);
				*next = last_sample + *interval;
			}
			command_drain(&a->cmd);
		} else {
			/* Sleep, but wake when the reader of a pipe goes away: with
			 * no VM there is nothing to write that would tell us. */
			struct pollfd p = { .fd = fileno(k->out), .events = 0 };

			if (poll(&p, 1, ms) > 0 && (p.revents & (POLLERR | POLLHUP))) {
				*out_gone = true;
				return true;
			}
		}
		if (a->cmd.pid > 0 && command_reap(&a->cmd))
			return true;
	}
	return stop_signal != 0;
}

/* The live view's new frame: every selected VM. */
static int show(struct app *a, double elapsed, double dt)
{
	int err = snapshot_take(&a->snap, &a->t, selection_wants, &a->sel, elapsed, dt);

	if (err)
		return err;
	tui_update(a->k.ui, &a->snap);
	tui_draw(a->k.ui);
	return 0;
}

/* The live view after COMMAND ended: the run's totals stay until q. */
static void hold_last_screen(struct app *a)
{
	char banner[192];

	snprintf(banner, sizeof(banner), "%s exited with status %d: totals since splittop started. q quits.",
		 a->o.command[0], command_exit_status(&a->cmd));
	vm_table_restore(&a->vms);
	tui_finish(a->k.ui, banner);
	if (show(a, now_mono() - a->start, 0))
		return;
	while (!stop_signal && tui_poll(a->k.ui, 200, -1) != TUI_QUIT)
		;
}

/* Write out what is buffered; the reader may be gone (splittop | head). */
static int flush_out(FILE *out)
{
	if (!fflush(out) && !ferror(out))
		return 0;
	if (errno == EPIPE)
		return -EPIPE;
	fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
	return -EIO;
}

/* Sample until the run ends; returns 0 or a negative errno (printed). */
static int run(struct app *a)
{
	struct sink *k = &a->k;
	double last_sample, interval = a->o.interval, next;
	uint64_t ticks = 0;
	int err;

	err = tracer_sample(&a->t);	/* VMs that already run, and the baseline */
	last_sample = a->start;
	if (!err && k->ui)
		err = show(a, 0, 0);
	if (err)
		return err;
	next = a->start + interval;
	for (;;) {
		bool out_gone = false;
		bool last = wait_tick(a, &interval, last_sample, &next, &out_gone);
		double now;

		if (out_gone)
			return -EPIPE;	/* nobody reads: no totals to write either */
		if (a->cmd.pid > 0 && (stop_signal || a->user_quit)) {
			/* Forward, then wait for the command. */
			command_stop(&a->cmd, a->user_quit ? SIGTERM : stop_signal);
			a->stopped_command = true;
		}
		if (k->ui && tui_paused(k->ui) && !last) {
			next += interval;
			continue;
		}
		err = tracer_sample(&a->t);
		if (err)
			return err;
		now = now_mono();
		ticks++;
		if (k->ui)
			err = show(a, now - a->start, now - last_sample);
		else
			err = emit(k, &a->snap, &a->t, &a->sel, SCOPE_INTERVAL, now - a->start,
				   now - last_sample) ?: flush_out(k->out);
		if (err)
			return err;
		if (ticks == 1 && a->o.vm_name && !a->memo.name_matched)
			fprintf(stderr, "splittop: warning: --vm '%s' matches no VM (yet)\n", a->o.vm_name);
		last_sample = now;
		if ((a->o.count && ticks >= a->o.count) || (a->o.duration && now - a->start >= a->o.duration))
			last = true;
		if (last)
			break;
		next += interval;
		if (next < now_mono())
			next = now_mono();
	}
	if (k->ui && a->o.command && !a->user_quit && !stop_signal && a->cmd.pid == 0)
		hold_last_screen(a);
	return 0;
}

/* Before anything is loaded: what splittop cannot run without.  0 or the
 * exit status (printed). */
static int check_host(void)
{
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
	return 0;
}

/* The live view, with stderr held off the screen.  0 or -1 (printed). */
static int live_start(struct app *a)
{
	struct tui_opts uo = {
		.color = !a->o.no_color && !getenv("NO_COLOR"), .interval = a->o.interval,
		.filter_pid_vm = a->o.selection[0] ? a->o.selection : NULL,
		.command = a->o.command ? a->o.command[0] : NULL,
	};

	a->k.ui = tui_start(&uo);
	if (!a->k.ui)
		return -1;
	/* Nothing may write over the screen: messages wait until it ends. */
	a->saved_stderr = stderr_hold(&a->held);
	return 0;
}

static void live_stop(struct app *a)
{
	tui_stop(a->k.ui);
	a->k.ui = NULL;
	stderr_release(a->held, a->saved_stderr);
	a->held = NULL;
}

static void record_open(struct app *a)
{
	const char *path = getenv("SPLITTOP_RECORD");
	char why[128];

	if (!path)
		return;
	a->k.rec = output_open(path, why, sizeof(why));
	if (a->k.rec)
		record_renderer.start(a->k.rec, &a->snap, a->o.interval);
	else
		fprintf(stderr, "splittop: cannot write SPLITTOP_RECORD %s: %s\n", path, why);
}

/* Where others than this host's users can reach the endpoint, say what
 * it gives away: without TLS everything, passwords too, is in clear text;
 * without users or client certificates anyone may scrape. */
static void warn_listen(const struct listen_addr *l, const struct web_config *wc)
{
	bool authed = wc->nusers || wc->client_auth == CLIENT_AUTH_REQUIRE;

	if (listen_addr_is_loopback(l))
		return;
	if (!wc->tls && !authed)
		fprintf(stderr, "splittop: warning: --listen %s serves every VM's name, pid and counts in clear "
			"text, without authentication, to whoever can reach it\n", l->text);
	else if (!wc->tls)
		fprintf(stderr, "splittop: warning: --listen %s has no TLS: the basic auth passwords and every "
			"VM's name, pid and counts cross the network in clear text\n", l->text);
	else if (!authed)
		fprintf(stderr, "splittop: warning: --listen %s serves every VM's name, pid and counts, without "
			"authentication, to whoever can reach it (no basic_auth_users, no required client "
			"certificate)\n", l->text);
}

/* How a run that went as far as its totals ends (man page, EXIT STATUS):
 * a signal's 128+N; COMMAND's failure when it ended first; 1 when what
 * was asked for never showed up; else 0. */
static int exit_status(struct app *a)
{
	const struct options *o = &a->o;
	int cmd = o->command ? command_exit_status(&a->cmd) : 0;

	if (stop_signal)
		return 128 + stop_signal;
	if (o->command && !a->stopped_command && cmd)
		return cmd;
	if (a->sel.command > 0 && !a->memo.command_matched) {
		fprintf(stderr, "splittop: no VM of %s or its descendants was seen (-a shows every VM on the host)\n",
			o->command[0]);
		return 1;
	}
	if (o->vm_name && !a->memo.name_matched) {
		fprintf(stderr, "splittop: --vm '%s' matched no VM\n", o->vm_name);
		return 1;
	}
	return 0;
}

/* -o's file and --listen's server, before anything is loaded (a refused
 * file or a port in use fails first).  0, or -1 (printed). */
static int app_open_sinks(struct app *a)
{
	const struct options *o = &a->o;
	char why[128];

	if (o->output) {
		a->k.out = output_open(o->output, why, sizeof(why));
		if (!a->k.out) {
			fprintf(stderr, "splittop: cannot write %s: %s\n", o->output, why);
			a->k.out = stdout;
			return -1;
		}
	}
	if (o->textfile) {
		a->k.textfile_dir = o->textfile;
		a->k.textfile = textfile_open_dir(o->textfile, why, sizeof(why));
		if (a->k.textfile < 0) {
			fprintf(stderr, "splittop: --textfile %s: %s\n", o->textfile, why);
			return -1;
		}
	}
	if (o->listening) {
		warn_listen(&o->listen, &a->wc);
		a->k.ex = exporter_start(&o->listen, &a->snap.self, &a->wc);
		if (!a->k.ex)
			return -1;
	}
	return 0;
}

/* -- COMMAND, traced from its first instruction: 0, or a shell's 127/126
 * (printed).  stdout is splittop's where its rows go there. */
static int app_command_start(struct app *a, bool live)
{
	int err = command_start(&a->cmd, a->o.command, live ? COMMAND_CAPTURE :
				a->k.rd && a->k.out == stdout ? COMMAND_STDOUT_TO_STDERR : COMMAND_INHERIT);

	if (err)
		return err == -ENOENT ? 127 : 126;
	a->sel.command = a->o.all ? 0 : a->cmd.pid;
	return 0;
}

/* The run is over (err: how, 0 or -errno): finished VMs read back, and
 * the totals written.  Returns err, else the first error of these. */
static int app_totals(struct app *a, int err)
{
	int rc = vm_table_restore(&a->vms);

	if (rc && !err) {
		fprintf(stderr, "splittop: reading back finished VMs: %s\n", strerror(-rc));
		err = -EIO;
	}
	rc = emit(&a->k, &a->snap, &a->t, &a->sel, SCOPE_TOTAL, now_mono() - a->start, 0) ?:
	     flush_out(a->k.out);
	return err ?: rc;
}

/* Load, attach, run, and write the totals.  Returns the exit status. */
static int app_main(struct app *a)
{
	struct options *o = &a->o;
	struct tracer_opts topts = { .max_vms = o->max_vms, .max_vcpus = o->max_vcpus,
				     .raw_tracepoints = o->raw_tracepoints,
				     .exact_waits = o->exact_waits, .wait_sample = o->wait_sample,
				     .vms = &a->vms };
	bool headless = o->listening || o->textfile;
	bool live = !o->json && !o->csv && !o->output && !o->list_sources && !headless &&
		    isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	int err;

	if (!o->list_sources && app_open_sinks(a))
		return 1;
	bpf_log_init(o->verbose);
	memcpy(topts.force, o->force, sizeof(topts.force));
	memcpy(topts.force_tp, o->force_tp, sizeof(topts.force_tp));
	if (tracer_open(&a->t, &topts))
		return 1;
	if (o->list_sources) {
		list_sources(&a->t);
		return 0;
	}
	a->snap = (struct snapshot){ .host = &a->t.host, .sources = a->t.sources,
				     .nsources = NR_METRICS, .downtime_ns = (uint64_t)o->downtime_ms * 1000000 };
	/* Rows where asked for: not from the live view (it leaves the terminal
	 * as it found it), nor from --listen alone. */
	a->k.rd = o->json ? &json_renderer : &csv_renderer;
	if (live || (headless && !o->json && !o->csv && !o->output))
		a->k.rd = NULL;
	if (live && live_start(a))
		return 1;
	a->start = now_mono();
	if (o->command) {
		err = app_command_start(a, live);
		if (err)
			return err;
	}
	if (!live && a->k.rd) {
		/* Flushed now: a script waiting for the header knows tracing is on. */
		a->k.rd->start(a->k.out, &a->snap, o->interval);
		fflush(a->k.out);
	}
	record_open(a);
	a->ran = true;
	err = run(a);
	if (live)
		live_stop(a);
	if (err != -EPIPE)
		err = app_totals(a, err);
	if (a->cmd.pid > 0) {
		/* -d or -c ended the run: so ends COMMAND, as documented. */
		command_stop(&a->cmd, SIGTERM);
		a->stopped_command = true;
	}
	if (err == -EPIPE)
		return 0;
	return err ? 1 : exit_status(a);
}

/* --replay: a recording out again, as CSV or JSON; no kernel involved. */
static int replay_main(const struct options *o, const struct vm_selection *sel)
{
	struct replay_opts r = { .path = o->replay, .out = stdout, .json = o->json, .pids = o->pids,
				 .npids = o->npids, .vm_name = o->vm_name, .begin = o->begin, .end = o->end };
	char why[128];
	int rc;

	if (!o->json && !o->csv && !o->output && isatty(STDOUT_FILENO)) {
		if (o->end.set) {
			fprintf(stderr, "splittop: --end slices what --replay writes (--csv, --json, -o); the "
				"live view goes to the recording's end\n");
			return 2;
		}
		return replay_tui_run(&(struct replay_tui_opts){
			.path = o->replay, .color = !o->no_color && !getenv("NO_COLOR"), .want = selection_wants,
			.want_arg = sel, .selection = o->selection[0] ? o->selection : NULL, .begin = o->begin,
			.downtime_ns = (uint64_t)o->downtime_ms * 1000000 },
			&stop_signal);
	}
	if (o->output) {
		r.out = output_open(o->output, why, sizeof(why));
		if (!r.out) {
			fprintf(stderr, "splittop: cannot write %s: %s\n", o->output, why);
			return 1;
		}
	}
	rc = replay_run(&r);
	if (r.out != stdout && fclose(r.out) && !rc) {
		fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}

/* report FILE: a recording's post-mortem; no kernel involved. */
static int report_main(const struct options *o)
{
	struct report_opts r = { .path = o->report, .out = stdout, .markdown = o->markdown, .pids = o->pids,
				 .npids = o->npids, .vm_name = o->vm_name,
				 .downtime_ns = (uint64_t)o->downtime_ms * 1000000, .evaluate = o->downtime_set };
	char why[128];
	int rc;

	if (o->output) {
		r.out = output_open(o->output, why, sizeof(why));
		if (!r.out) {
			fprintf(stderr, "splittop: cannot write %s: %s\n", o->output, why);
			return 1;
		}
	}
	rc = report_run(&r);
	if (r.out != stdout && fclose(r.out) && !rc) {
		fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}

/* The one cleanup path: whatever app_main got to, in reverse order. */
static void app_close(struct app *a)
{
	if (a->k.ui)
		live_stop(a);
	if (a->k.out && a->k.out != stdout)
		fclose(a->k.out);
	if (a->k.rec)
		fclose(a->k.rec);
	exporter_stop(a->k.ex);
	if (a->k.textfile >= 0)
		close(a->k.textfile);
	a->k.ex = NULL;
	web_config_free(&a->wc);
	if (a->ran)
		report_self(&a->t, a->o.max_vms, a->o.max_vcpus);
	tracer_close(&a->t);
	vm_table_free(&a->vms);
	snapshot_free(&a->snap);
	command_stop(&a->cmd, SIGTERM);
	if (a->o.command)
		command_flush(&a->cmd, a->o.command[0]);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct app a = { .cmd = { .out_fd = -1 }, .k = { .out = stdout, .textfile = -1 }, .saved_stderr = -1 };
	sigset_t stops;
	int rc;

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

	rc = options_parse(argc, argv, &a.o);
	if (rc)
		return rc > 0 ? 0 : 2;
	options_describe_selection(&a.o);
	a.sel = (struct vm_selection){ .pids = a.o.pids, .npids = a.o.npids, .vm_name = a.o.vm_name,
				       .memo = &a.memo };
	if (a.o.report)
		return report_main(&a.o);
	if (a.o.replay)
		return replay_main(&a.o, &a.sel);
	/* -p names processes that must hold a VM now: a usage error, exit 2. */
	rc = selection_check_pids(a.o.pids, a.o.npids);
	if (rc)
		return rc;
	/* A bad web config is the command line's fault: exit 2, before anything is loaded. */
	if (a.o.web_config && web_config_load(a.o.web_config, &a.wc))
		return 2;
	rc = check_host();
	if (!rc)
		rc = app_main(&a);
	app_close(&a);
	return rc;
}
