// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirtyvm: a small VMM that behaves like a guest under live migration.
 * The built-in workload every splittop test and the demo run against.
 */
#include "common/clock.h"
#include "host_params.h"
#include "options.h"
#include "report.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

struct run_ctx {
	const struct dvm_options *opt;
	int kvm_fd;
	volatile int stop;		/* signal number that stopped us, or 0 */
	pthread_mutex_t out_lock;	/* one phase line at a time */
	struct dvm_vm *vms;
	struct vm_result *results;
	unsigned int nvms_created;	/* VMs the signal thread may kick */
};

struct vm_job {
	struct run_ctx *ctx;
	unsigned int index;
	pthread_t thread;
};

static void phase(struct run_ctx *ctx, unsigned int vm, const char *fmt, double secs)
{
	pthread_mutex_lock(&ctx->out_lock);
	if (ctx->opt->vms > 1)
		printf("vm %u: ", vm);
	printf(fmt, secs);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&ctx->out_lock);
}

/* Count the dirty bits, and the written pages whose bit KVM did not set. */
static void check_dirty_log(const struct dvm_options *o, const uint64_t *bitmap,
			    struct round_result *r)
{
	uint64_t pages = o->mem / DVM_PAGE_SIZE, v, i, dirty = 0, missing = 0;

	for (i = 0; i < o->vcpus * pages / 64; i++)
		dirty += __builtin_popcountll(bitmap[i]);
	for (v = 0; v < o->vcpus; v++) {
		for (i = 0; i < pages; i++) {
			uint64_t bit = v * pages + i;

			if (i % 100 < o->writes_pct && !(bitmap[bit / 64] >> (bit % 64) & 1))
				missing++;
		}
	}
	r->dirty = dirty;
	r->missing = missing;
}

static struct vm_result *res_of(struct run_ctx *ctx, struct dvm_vm *vm)
{
	return &ctx->results[vm->index];
}

/* KVM's fault counters over a pass: after minus before, kept as missing. */
static void fault_delta(uint64_t after[DVM_FAULT_STATS], const uint64_t before[DVM_FAULT_STATS])
{
	unsigned int k;

	for (k = 0; k < DVM_FAULT_STATS; k++)
		if (after[k] != DVM_STAT_MISSING)
			after[k] -= before[k];
}

static int run_round(struct run_ctx *ctx, struct dvm_vm *vm, struct round_result *r,
		     uint64_t *bitmap, unsigned int n)
{
	const struct dvm_options *o = ctx->opt;
	size_t words = vm->data_size / DVM_PAGE_SIZE / 64;
	uint64_t before[DVM_FAULT_STATS];
	char fmt[64];
	double t;
	int err;

	memset(r, 0, sizeof(*r));
	err = dvm_vm_fault_stats(vm, before);
	if (!err)
		err = dvm_vm_pass(vm, o->writes_pct, &r->dirty_s);
	if (!err)
		err = dvm_vm_fault_stats(vm, r->faults);
	if (err)
		return err;
	fault_delta(r->faults, before);
	snprintf(fmt, sizeof(fmt), "Iteration %u dirty memory time: %%.6fs", n);
	phase(ctx, vm->index, fmt, r->dirty_s);

	memset(bitmap, 0, words * sizeof(uint64_t));
	if (o->mode == MODE_RING) {
		t = now_mono();
		err = dvm_vm_harvest_rings(vm, bitmap);
		r->reset_s = now_mono() - t;
		if (err)
			return err;
		res_of(ctx, vm)->total.resets++;
		snprintf(fmt, sizeof(fmt), "Iteration %u harvest and reset dirty rings time: %%.6fs", n);
		phase(ctx, vm->index, fmt, r->reset_s);
		check_dirty_log(o, bitmap, r);
		return dvm_vm_page_stats(vm, r->pages);
	}
	t = now_mono();
	err = dvm_vm_get_dirty_log(vm, bitmap);
	r->get_s = now_mono() - t;
	if (err)
		return err;
	res_of(ctx, vm)->total.gets++;
	snprintf(fmt, sizeof(fmt), "Iteration %u get dirty log time: %%.6fs", n);
	phase(ctx, vm->index, fmt, r->get_s);
	check_dirty_log(o, bitmap, r);

	if (o->mode == MODE_CLEAR) {
		/* 64 MiB per call, as a VMM clears in chunks to bound mmu_lock hold times. */
		t = now_mono();
		err = dvm_vm_clear_dirty_log(vm, bitmap, (64ULL << 20) / DVM_PAGE_SIZE);
		r->clear_s = now_mono() - t;
		if (err)
			return err;
		res_of(ctx, vm)->total.clears += (vm->data_size + (64ULL << 20) - 1) / (64ULL << 20);
		snprintf(fmt, sizeof(fmt), "Iteration %u clear dirty log time: %%.6fs", n);
		phase(ctx, vm->index, fmt, r->clear_s);
	}
	return dvm_vm_page_stats(vm, r->pages);
}

/* After logging stops, the guest writes all of its memory once more: KVM
 * either rebuilt its huge mappings in place (from 6.14) or zapped the small
 * ones, and this pass shows which at what cost. */
static int run_after_pass(struct run_ctx *ctx, struct dvm_vm *vm, struct after_pass_result *a)
{
	uint64_t before[DVM_FAULT_STATS];
	int err;

	err = dvm_vm_fault_stats(vm, before);
	if (!err)
		err = dvm_vm_pass(vm, 100, &a->secs);
	if (!err)
		err = dvm_vm_fault_stats(vm, a->faults);
	if (!err)
		err = dvm_vm_page_stats(vm, a->pages);
	if (err)
		return err;
	fault_delta(a->faults, before);
	a->done = true;
	phase(ctx, vm->index, "Pass after dirty logging time: %.6fs", a->secs);
	return 0;
}

/* One migration: enable dirty logging, nrounds rounds, disable; then the
 * pass after it, if asked. */
static int run_migration(struct run_ctx *ctx, struct dvm_vm *vm, struct vm_result *res,
			 struct migration_result *m, unsigned int nrounds, uint64_t *bitmap)
{
	struct round_result *rounds = m->rounds;
	unsigned int i;
	double t;
	int err;

	memset(m, 0, sizeof(*m));
	m->rounds = rounds;
	m->cancelled = nrounds < ctx->opt->rounds;
	err = dvm_vm_page_stats(vm, m->pages_before);
	if (err)
		return err;

	t = now_mono();
	err = dvm_vm_set_dirty_logging(vm, true);
	m->enable_s = now_mono() - t;
	if (err)
		return err;
	res->logging = true;
	res->total.enables++;
	phase(ctx, vm->index, "Enabling dirty logging time: %.6fs", m->enable_s);
	err = dvm_vm_page_stats(vm, m->pages_enabled);
	if (err)
		return err;

	for (i = 0; i < nrounds; i++) {
		err = run_round(ctx, vm, &m->rounds[i], bitmap, i + 1);
		if (err)
			return err;
		m->rounds_done = i + 1;
	}

	t = now_mono();
	err = dvm_vm_set_dirty_logging(vm, false);
	m->disable_s = now_mono() - t;
	if (err)
		return err;
	res->logging = false;
	res->total.disables++;
	/* Logging never adds 2M mappings: the drop since enabling is what the
	 * migration split or demoted. */
	res->total.lost_2m += m->pages_before[1] -
			      (nrounds ? m->rounds[nrounds - 1].pages[1] : m->pages_enabled[1]);
	phase(ctx, vm->index, m->cancelled ? "Disabling dirty logging (cancelled) time: %.6fs" :
	      "Disabling dirty logging time: %.6fs", m->disable_s);
	err = dvm_vm_page_stats(vm, m->pages_disabled);
	if (err)
		return err;
	m->disabled = true;
	return ctx->opt->after_pass ? run_after_pass(ctx, vm, &m->after) : 0;
}

/* One cycle: populate, then each migration. */
static int run_cycle(struct run_ctx *ctx, struct dvm_vm *vm, struct vm_result *res,
		     uint64_t *bitmap)
{
	const struct dvm_options *o = ctx->opt;
	unsigned int i;
	double secs;
	int err;

	res->migrations_done = 0;
	for (i = 0; i < o->passes; i++) {
		/* The first pass writes everything so that memory is allocated and
		 * KVM maps it huge; the others use the requested mix. */
		err = dvm_vm_pass(vm, i == 0 ? 100 : o->writes_pct, &secs);
		if (err)
			return err;
		if (i == 0) {
			res->populate_s = secs;
			phase(ctx, vm->index, "Populate memory time: %.6fs", secs);
		} else {
			char fmt[48];

			snprintf(fmt, sizeof(fmt), "Pass %u time: %%.6fs", i + 1);
			phase(ctx, vm->index, fmt, secs);
			res->base_pass_s = secs;
		}
	}
	err = dvm_vm_page_stats(vm, res->pages_populated);
	if (err)
		return err;
	for (i = 0; i < o->migrations; i++) {
		unsigned int nrounds = i == 0 && o->cancel_after >= 0 ? (unsigned int)o->cancel_after : o->rounds;

		res->migrations_done = i + 1;
		err = run_migration(ctx, vm, res, &res->migrations[i], nrounds, bitmap);
		if (err)
			return err;
	}
	res->cycles++;
	return 0;
}

static void *vm_main(void *arg)
{
	struct vm_job *job = arg;
	struct run_ctx *ctx = job->ctx;
	struct dvm_vm *vm = &ctx->vms[job->index];
	struct vm_result *res = &ctx->results[job->index];
	uint64_t *bitmap;
	int err;

	bitmap = calloc(vm->data_size / DVM_PAGE_SIZE / 64, sizeof(uint64_t));
	if (!bitmap) {
		res->err = -ENOMEM;
		return NULL;
	}
	err = dvm_vm_warmup(vm);
	while (!err) {
		err = run_cycle(ctx, vm, res, bitmap);
		if (!ctx->opt->loop || ctx->stop)
			break;
	}
	if (!dvm_vm_fault_stats(vm, res->faults))
		res->have_faults = true;
	if (!err)
		err = dvm_vm_page_stats(vm, res->pages_end);
	else if (!dvm_vm_page_stats(vm, res->pages_end) && res->logging) {
		/* Stopped inside a migration: count what it did up to here. */
		res->total.lost_2m += res->migrations[res->migrations_done - 1].pages_before[1] - res->pages_end[1];
		if (!dvm_vm_set_dirty_logging(vm, false))
			res->total.disables++;
	}
	res->err = err;
	free(bitmap);
	return NULL;
}

/* Signals are taken by this thread alone: it records which one and kicks
 * every vCPU out of the guest, so that all threads unwind normally and
 * host settings are put back on the main path. */
static void *signal_main(void *arg)
{
	struct run_ctx *ctx = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		unsigned int i;

		if (sigwait(&set, &sig))
			continue;
		if (!ctx->stop)
			ctx->stop = sig;
		for (i = 0; i < __atomic_load_n(&ctx->nvms_created, __ATOMIC_ACQUIRE); i++)
			dvm_vm_kick(&ctx->vms[i]);
	}
	return NULL;
}

static int check_memory(const struct dvm_options *o)
{
	uint64_t total = (uint64_t)o->vms * o->vcpus * o->mem;
	struct sysinfo si;

	if (!sysinfo(&si) && total > (uint64_t)si.totalram * si.mem_unit) {
		fprintf(stderr, "dirtyvm: %llu MiB of guest memory is more than this host's %llu MiB\n",
			(unsigned long long)(total >> 20),
			(unsigned long long)((uint64_t)si.totalram * si.mem_unit >> 20));
		return -ENOMEM;
	}
	return 0;
}

/* Two descriptors per vCPU (its fd and its stats fd): hundreds of vCPUs
 * need more than the usual soft limit of 1024. */
static void raise_fd_limit(const struct dvm_options *opt)
{
	uint64_t need = (uint64_t)opt->vms * opt->vcpus * 2 + opt->vms * 2 + 64;
	struct rlimit r;

	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < need) {
		r.rlim_cur = need < r.rlim_max ? need : r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* SIGINT, SIGTERM and SIGHUP go to a thread of their own (signal_main). */
static int start_signal_thread(struct run_ctx *ctx, pthread_t *thread)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(thread, NULL, signal_main, ctx)) {
		fprintf(stderr, "dirtyvm: cannot start the signal thread\n");
		return -1;
	}
	return 0;
}

static int alloc_results(struct run_ctx *ctx, struct vm_job **jobs)
{
	const struct dvm_options *opt = ctx->opt;
	unsigned int i;

	ctx->vms = calloc(opt->vms, sizeof(*ctx->vms));
	ctx->results = calloc(opt->vms, sizeof(*ctx->results));
	*jobs = calloc(opt->vms, sizeof(**jobs));
	if (!ctx->vms || !ctx->results || !*jobs) {
		fprintf(stderr, "dirtyvm: out of memory\n");
		return -ENOMEM;
	}
	for (i = 0; i < opt->vms; i++) {
		unsigned int n = opt->migrations ? opt->migrations : 1, m;
		struct vm_result *res = &ctx->results[i];

		res->migrations = calloc(n, sizeof(*res->migrations));
		if (!res->migrations)
			return -ENOMEM;
		for (m = 0; m < n; m++) {
			res->migrations[m].rounds = calloc(opt->rounds ? opt->rounds : 1, sizeof(struct round_result));
			if (!res->migrations[m].rounds)
				return -ENOMEM;
		}
	}
	return 0;
}

/* What the run asks of the host: eager_page_split (eager: its value then),
 * nested SVM, huge pages reserved; restored from hp at exit. */
static int prepare_host(struct run_ctx *ctx, struct host_params *hp, char *eager)
{
	const struct dvm_options *opt = ctx->opt;
	int err;

	if (dvm_eager_per_vm()) {
		*eager = opt->eager == EAGER_ON ? 'Y' : 'N';	/* each VM's, set when it is made */
	} else {
		if (opt->eager != EAGER_UNCHANGED) {
			err = host_set_eager_split(hp, opt->eager == EAGER_ON);
			if (err)
				return err;
		}
		host_read_eager_split(eager);
	}
	if (opt->nested && !dvm_kvm_has_nested_svm(ctx->kvm_fd)) {
		fprintf(stderr, "dirtyvm: --nested needs nested SVM with nested paging (AMD, kvm_amd nested=1 npt=1): "
			"this KVM offers its guests none\n");
		return -ENOTSUP;
	}
	if (opt->backing == BACKING_HUGETLB)
		return host_reserve_hugepages(hp, (uint64_t)opt->vms * opt->vcpus * opt->mem / DVM_HUGE_SIZE);
	if (opt->backing == BACKING_HUGETLB1G)
		return host_reserve_1g_pages(hp, (uint64_t)opt->vms * opt->vcpus * opt->mem / DVM_GIB);
	return 0;
}

static void print_banner(const struct run_ctx *ctx, char eager)
{
	const struct dvm_options *opt = ctx->opt;

	printf("dirtyvm: %u VM%s, %u vCPU%s x %llu MiB (%s), %llu 2 MiB regions per VM, writes %u%%, mode %s, eager_page_split %c\n",
	       opt->vms, opt->vms > 1 ? "s" : "", opt->vcpus, opt->vcpus > 1 ? "s" : "",
	       (unsigned long long)(opt->mem >> 20), dvm_backing_name(opt->backing),
	       (unsigned long long)(opt->vcpus * opt->mem / DVM_HUGE_SIZE), opt->writes_pct,
	       dvm_mode_name(opt->mode), eager);
	if (opt->nested)
		printf("dirtyvm: nested: each vCPU runs an SVM hypervisor (L1) whose guest (L2) makes the passes\n");
	if (opt->backing == BACKING_HUGETLB1G)
		printf("dirtyvm: guest page tables map its memory with %s pages\n",
		       dvm_kvm_has_1g_pages(ctx->kvm_fd) ? "1 GiB" : "2 MiB (KVM offers no 1 GiB pages: pdpe1gb)");
	fflush(stdout);
}

/* Create every VM, then run each in a thread of its own until all end:
 * the first error of a VM, 0, or -EINTR's stop. */
static int run_vms(struct run_ctx *ctx, struct vm_job *jobs)
{
	const struct dvm_options *opt = ctx->opt;
	unsigned int i;
	int err = 0;

	for (i = 0; i < opt->vms && !ctx->stop; i++) {
		struct dvm_vm_params p = {
			.nvcpus = opt->vcpus, .region_size = opt->mem, .backing = opt->backing,
			.manual_protect = opt->mode == MODE_CLEAR, .dirty_ring = opt->mode == MODE_RING,
			.nested = opt->nested, .eager_split = opt->eager == EAGER_ON, .index = i,
			.stop = &ctx->stop,
		};

		err = dvm_vm_create(&ctx->vms[i], ctx->kvm_fd, &p);
		__atomic_store_n(&ctx->nvms_created, i + 1, __ATOMIC_RELEASE);
		if (err)
			return err;
		ctx->results[i].created = true;
	}
	for (i = 0; i < opt->vms && !ctx->stop; i++) {
		jobs[i].ctx = ctx;
		jobs[i].index = i;
		if (pthread_create(&jobs[i].thread, NULL, vm_main, &jobs[i])) {
			fprintf(stderr, "dirtyvm: cannot start VM thread %u\n", i);
			err = -EAGAIN;
			break;
		}
		ctx->results[i].started = true;
	}
	for (i = 0; i < opt->vms; i++) {
		if (!ctx->results[i].started)
			continue;
		pthread_join(jobs[i].thread, NULL);
		if (ctx->results[i].err && ctx->results[i].err != -EINTR && !err)
			err = ctx->results[i].err;
	}
	return err;
}

/* The VMs destroyed, the host as it was, the summary printed. */
static void finish(struct run_ctx *ctx, struct host_params *hp, char eager, int err)
{
	unsigned int i;

	for (i = 0; ctx->vms && i < ctx->nvms_created; i++)
		dvm_vm_destroy(&ctx->vms[i]);
	host_params_restore(hp);
	if (ctx->results && (ctx->nvms_created || ctx->stop)) {
		struct summary s = {
			.opt = ctx->opt, .results = ctx->results, .eager = eager,
			.status = ctx->stop ? "interrupted" : err ? "failed" : "completed",
			.guest_1g = ctx->nvms_created && ctx->vms[0].guest_1g,
		};

		if (ctx->opt->json)
			report_json(stdout, &s);
		else
			report_text(stdout, &s);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct run_ctx ctx = { .kvm_fd = -1 };
	struct host_params hp = { 0 };
	struct dvm_options opt;
	struct vm_job *jobs = NULL;
	pthread_t sig_thread;
	char eager = '?';
	unsigned int i;
	int err, rc;

	rc = dvm_parse_options(argc, argv, &opt, stdout, stderr);
	if (rc == OPTS_HELP)
		return 0;
	if (rc != OPTS_OK)
		return 2;
	ctx.opt = &opt;
	pthread_mutex_init(&ctx.out_lock, NULL);

	if (check_memory(&opt))
		return 1;
	raise_fd_limit(&opt);
	ctx.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (ctx.kvm_fd < 0) {
		fprintf(stderr, "dirtyvm: cannot open /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	if (start_signal_thread(&ctx, &sig_thread))
		return 1;
	err = alloc_results(&ctx, &jobs);
	if (!err)
		err = prepare_host(&ctx, &hp, &eager);
	if (!err) {
		print_banner(&ctx, eager);
		err = run_vms(&ctx, jobs);
	}
	finish(&ctx, &hp, eager, err);
	pthread_cancel(sig_thread);	/* sigwait() is a cancellation point */
	pthread_join(sig_thread, NULL);
	for (i = 0; ctx.results && i < opt.vms; i++) {
		unsigned int m;

		for (m = 0; ctx.results[i].migrations && m < (opt.migrations ? opt.migrations : 1); m++)
			free(ctx.results[i].migrations[m].rounds);
		free(ctx.results[i].migrations);
	}
	free(ctx.results);
	free(ctx.vms);
	free(jobs);
	close(ctx.kvm_fd);
	if (ctx.stop)
		return 128 + ctx.stop;
	return err ? 1 : 0;
}
