// SPDX-License-Identifier: GPL-2.0-only
#include "vm.h"
#include "vm_arch.h"
#include "common/clock.h"
#include "kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << 26)
#endif

uint64_t *dvm_sys_ptr(struct dvm_vm *vm, uint64_t gpa)
{
	return (uint64_t *)((char *)vm->sys_mem + gpa);
}

static int map_data(struct dvm_vm *vm)
{
	size_t len = vm->data_size;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	char *p;

	if (vm->backing == BACKING_HUGETLB || vm->backing == BACKING_HUGETLB1G) {
		/* hugetlb mappings are aligned to their page size. */
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 (vm->backing == BACKING_HUGETLB ? MAP_HUGE_2MB : MAP_HUGE_1GB), -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		vm->data_map = vm->data = p;
		vm->data_map_len = len;
		return 0;
	}
	/* Over-allocate by 2 MiB so the data can start on a 2 MiB boundary. */
	vm->data_map_len = len + DVM_HUGE_SIZE;
	p = mmap(NULL, vm->data_map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	vm->data_map = p;
	vm->data = (void *)(((uintptr_t)p + DVM_HUGE_SIZE - 1) & ~(DVM_HUGE_SIZE - 1));
	if (madvise(vm->data, len, vm->backing == BACKING_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return -errno;
	return 0;
}

static int set_memslot(struct dvm_vm *vm, unsigned int slot, uint64_t gpa, uint64_t size,
		       void *host, unsigned int flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* What a KVM_RUN exit means for the pass: 0 done (the guest wrote the
 * "pass done" address), -EINTR run again, else why the pass failed. */
static int pass_exit(const struct dvm_vm *vm, const struct kvm_run *run)
{
	if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write && run->mmio.phys_addr == MMIO_GPA)
		return 0;
	if (vm->nested && run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO_GPA + 8)
		return -ENOTSUP;	/* L2 exited to L1 for another reason */
	if (run->exit_reason == KVM_EXIT_INTR)
		return -EINTR;
	if (run->exit_reason == KVM_EXIT_DIRTY_RING_FULL)
		return -ENOSPC;		/* sized to hold a round: never expected */
	return -EPROTO;
}

static void *vcpu_thread(void *arg)
{
	struct dvm_vcpu *v = arg;
	struct dvm_vm *vm = v->vm;
	uint64_t seen = 0;

	for (;;) {
		bool run;
		int err = 0;

		pthread_mutex_lock(&vm->lock);
		while (vm->pass_gen == seen && !vm->quit)
			pthread_cond_wait(&vm->cond, &vm->lock);
		if (vm->quit) {
			pthread_mutex_unlock(&vm->lock);
			return NULL;
		}
		/* Whether to run is read with the generation, under the lock: read
		 * after it, a thread that woke late for a pass it sat out could see
		 * the next pass's flag, run twice and count a pass it never ran
		 * (one vCPU then a pass behind for the rest of the run: KVM saw its
		 * writes after the VMM had collected the round). */
		seen = vm->pass_gen;
		run = v->run_now;
		pthread_mutex_unlock(&vm->lock);
		if (!run)
			continue;

		for (;;) {
			if (*vm->stop) {
				err = -EINTR;
				break;
			}
			if (ioctl(v->fd, KVM_RUN, NULL)) {
				err = -errno;
				if (err == -EINTR || err == -EAGAIN) {
					v->run->immediate_exit = 0;
					if (*vm->stop)
						break;
					continue;
				}
				break;
			}
			err = pass_exit(vm, v->run);
			if (err != -EINTR)
				break;
			err = 0;
		}
		v->pass_end = now_mono();
		v->err = err;

		pthread_mutex_lock(&vm->lock);
		v->done_gen = seen;
		vm->pass_done++;
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
	}
}

static void kick_handler(int sig)
{
	(void)sig;
}

static const char *backing_desc(enum dvm_backing b)
{
	return b == BACKING_HUGETLB ? "hugetlb" : b == BACKING_HUGETLB1G ? "hugetlb 1 GiB" :
	       b == BACKING_THP ? "thp" : "4k";
}

static void vm_init(struct dvm_vm *vm, int kvm_fd, const struct dvm_vm_params *p)
{
	unsigned int i;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = kvm_fd;
	vm->fd = vm->stats_fd = -1;
	vm->index = p->index;
	vm->nvcpus = p->nvcpus;
	vm->region_size = p->region_size;
	vm->backing = p->backing;
	vm->nested = p->nested;
	vm->eager_split = p->eager_split;
	vm->stop = p->stop;
	vm->data_size = (uint64_t)p->nvcpus * p->region_size;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	for (i = 0; i < DVM_MAX_VCPUS; i++)
		vm->vcpus[i].fd = vm->vcpus[i].stats_fd = -1;
}

/* The VM itself: its fd, manual dirty-log protection if asked, its stats. */
/* KVM's own bounds on a ring: the entries it keeps in reserve, and PML's
 * log (Intel) that a vCPU may flush into it at once. */
#define RING_RESERVED		(64 + 512)
#define RING_MAX_ENTRIES	65536U
#ifndef KVM_EXIT_DIRTY_RING_FULL
#define KVM_EXIT_DIRTY_RING_FULL 31
#endif
/* Where a vCPU's ring is mapped on its fd, in pages (x86; linux/kvm.h
 * leaves it to the architecture's header, which Debian 12's lacks). */
#define RING_PAGE_OFFSET	64

/* A ring per vCPU that holds a whole round of its pages: each vCPU writes
 * only its own region, and its writes land in its own ring. */
static int enable_dirty_ring(struct dvm_vm *vm)
{
	uint64_t need = vm->region_size / DVM_PAGE_SIZE + RING_RESERVED;
	struct kvm_enable_cap cap = { 0 };
	uint32_t entries = 4096 / sizeof(struct kvm_dirty_gfn);
	long max;

	while (entries < need && entries < RING_MAX_ENTRIES)
		entries <<= 1;
	cap.cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
	max = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap.cap);
	if (max <= 0) {
		cap.cap = KVM_CAP_DIRTY_LOG_RING;
		max = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap.cap);
	}
	if (max <= 0) {
		fprintf(stderr, "dirtyvm: --mode ring: this KVM has no dirty ring (KVM_CAP_DIRTY_LOG_RING)\n");
		return -ENOTSUP;
	}
	if (entries < need || (uint64_t)entries * sizeof(struct kvm_dirty_gfn) > (uint64_t)max) {
		fprintf(stderr, "dirtyvm: --mode ring: a round of %llu pages per vCPU does not fit in this KVM's "
			"dirty ring (%ld bytes at most)\n", (unsigned long long)(need - RING_RESERVED), max);
		return -E2BIG;
	}
	cap.args[0] = (uint64_t)entries * sizeof(struct kvm_dirty_gfn);
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap)) {
		int err = -errno;

		fprintf(stderr, "dirtyvm: enabling the dirty ring (%u entries): %s\n", entries, strerror(errno));
		return err;
	}
	vm->ring_entries = entries;
	return 0;
}

static int vm_open(struct dvm_vm *vm, int kvm_fd, bool manual_protect, bool dirty_ring)
{
	int err;

	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_CREATE_VM: %s\n", strerror(errno));
		return err;
	}
	if (manual_protect) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
		};
		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap)) {
			err = -errno;
			fprintf(stderr, "dirtyvm: enabling KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: %s\n",
				strerror(errno));
			return err;
		}
		vm->manual_protect = true;
	}
	if (dirty_ring) {
		err = enable_dirty_ring(vm);
		if (err)
			return err;
	}
	vm->stats_fd = ioctl(vm->fd, KVM_GET_STATS_FD, NULL);
	if (vm->stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_GET_STATS_FD: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

/* Its memory: the system pages (code, page tables) and the data, in two
 * memslots. */
static int vm_memory(struct dvm_vm *vm)
{
	int err;

	vm->sys_size = SYS_SIZE;
	vm->sys_mem = mmap(NULL, SYS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->sys_mem == MAP_FAILED) {
		vm->sys_mem = NULL;
		err = -errno;
		fprintf(stderr, "dirtyvm: mapping system memory: %s\n", strerror(errno));
		return err;
	}
	err = map_data(vm);
	if (err) {
		fprintf(stderr, "dirtyvm: mapping %llu MiB of %s guest memory: %s\n",
			(unsigned long long)(vm->data_size >> 20), backing_desc(vm->backing),
			strerror(-err));
		return err;
	}
	dvm_arch_load_guest(vm);

	err = set_memslot(vm, SYS_SLOT, 0, SYS_SIZE, vm->sys_mem, 0);
	if (!err)
		err = set_memslot(vm, DVM_DATA_SLOT, DVM_DATA_GPA, vm->data_size, vm->data, 0);
	if (err) {
		fprintf(stderr, "dirtyvm: KVM_SET_USER_MEMORY_REGION: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/* vCPU i: its fd, stats, run area, CPUID and registers, and its thread. */
static int vcpu_create(struct dvm_vm *vm, unsigned int i, int mmap_size)
{
	struct dvm_vcpu *v = &vm->vcpus[i];
	int err;

	v->vm = vm;
	v->id = i;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
	if (v->fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_CREATE_VCPU %u: %s\n", i, strerror(errno));
		return err;
	}
	v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	if (v->stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_GET_STATS_FD of vCPU %u: %s\n", i, strerror(errno));
		return err;
	}
	v->run_size = mmap_size;
	v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		err = -errno;
		fprintf(stderr, "dirtyvm: mapping vCPU %u run area: %s\n", i, strerror(errno));
		return err;
	}
	if (vm->ring_entries) {
		v->ring = mmap(NULL, (size_t)vm->ring_entries * sizeof(*v->ring), PROT_READ | PROT_WRITE, MAP_SHARED,
			       v->fd, RING_PAGE_OFFSET * getpagesize());
		if (v->ring == MAP_FAILED) {
			v->ring = NULL;
			err = -errno;
			fprintf(stderr, "dirtyvm: mapping vCPU %u dirty ring: %s\n", i, strerror(errno));
			return err;
		}
	}
	err = dvm_arch_vcpu_setup(vm, v);
	if (err) {
		fprintf(stderr, "dirtyvm: setting up vCPU %u: %s\n", i, strerror(-err));
		return err;
	}
	err = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (err) {
		fprintf(stderr, "dirtyvm: starting vCPU %u thread: %s\n", i, strerror(err));
		return -err;
	}
	v->thread_started = true;
	return 0;
}

int dvm_vm_create(struct dvm_vm *vm, int kvm_fd, const struct dvm_vm_params *p)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	int mmap_size, err;
	unsigned int i;

	vm_init(vm, kvm_fd, p);
	if (vm->data_size > dvm_arch_max_data_gib(vm) << 30) {
		fprintf(stderr, "dirtyvm: %llu GiB of guest memory is more than the %llu GiB supported%s\n",
			(unsigned long long)(vm->data_size >> 30),
			(unsigned long long)dvm_arch_max_data_gib(vm),
			vm->nested ? " with --nested" : "");
		return -E2BIG;
	}
	/* vCPU threads are kicked out of KVM_RUN with SIGUSR1 (see dvm_vm_kick). */
	sigaction(SIGUSR1, &sa, NULL);
	err = vm_open(vm, kvm_fd, p->manual_protect, p->dirty_ring);
	if (!err)
		err = dvm_arch_vm_setup(vm);
	if (!err)
		err = vm_memory(vm);
	if (err)
		return err;
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_GET_VCPU_MMAP_SIZE: %s\n", strerror(errno));
		return err;
	}
	for (i = 0; i < vm->nvcpus; i++) {
		err = vcpu_create(vm, i, mmap_size);
		if (err)
			return err;
	}
	return 0;
}

void dvm_vm_destroy(struct dvm_vm *vm)
{
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	vm->quit = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < DVM_MAX_VCPUS; i++) {
		struct dvm_vcpu *v = &vm->vcpus[i];

		if (v->thread_started)
			pthread_join(v->thread, NULL);
		if (v->run)
			munmap(v->run, v->run_size);
		if (v->ring)
			munmap(v->ring, (size_t)vm->ring_entries * sizeof(*v->ring));
		v->ring = NULL;
		if (v->stats_fd >= 0)
			close(v->stats_fd);
		if (v->fd >= 0)
			close(v->fd);
		v->fd = v->stats_fd = -1;
	}
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->data_map)
		munmap(vm->data_map, vm->data_map_len);
	if (vm->sys_mem)
		munmap(vm->sys_mem, vm->sys_size);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	vm->fd = vm->stats_fd = -1;
	vm->data_map = vm->sys_mem = NULL;
}

void dvm_vm_kick(struct dvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nvcpus; i++) {
		struct dvm_vcpu *v = &vm->vcpus[i];

		/* immediate_exit closes the race with a vCPU about to enter. */
		if (v->run)
			v->run->immediate_exit = 1;
		if (v->thread_started)
			pthread_kill(v->thread, SIGUSR1);
	}
}

static int run_pass(struct dvm_vm *vm, int only_vcpu, unsigned int write_pct, uint64_t pages,
		    double *secs)
{
	double start, end = 0;
	unsigned int i;
	int err = 0;

	for (i = 0; i < vm->nvcpus; i++) {
		dvm_sys_ptr(vm, PARAM_GPA + 64ULL * i)[0] = write_pct;
		dvm_sys_ptr(vm, PARAM_GPA + 64ULL * i)[1] = pages;
	}

	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i].run_now = only_vcpu < 0 || (unsigned int)only_vcpu == i;
		vm->vcpus[i].err = 0;
	}
	vm->pass_done = 0;
	start = now_mono();
	vm->pass_gen++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->pass_done < (only_vcpu < 0 ? vm->nvcpus : 1))
		pthread_cond_wait(&vm->cond, &vm->lock);

	for (i = 0; i < vm->nvcpus; i++) {
		struct dvm_vcpu *v = &vm->vcpus[i];

		/* A pass is over only when each of its vCPUs finished this one:
		 * a round's dirty log is collected next. */
		if (v->run_now && v->done_gen != vm->pass_gen && !err) {
			fprintf(stderr, "dirtyvm: vm %u vCPU %u: pass %llu counted done, the vCPU still in pass %llu\n",
				vm->index, i, (unsigned long long)vm->pass_gen, (unsigned long long)v->done_gen);
			err = -EPROTO;
		}
		if (v->err && !err) {
			err = v->err;
			if (err != -EINTR) {
				if (err == -EPROTO)
					fprintf(stderr, "dirtyvm: vm %u vCPU %u: unexpected exit reason %u\n",
						vm->index, i, v->run->exit_reason);
				else if (err == -ENOTSUP)
					fprintf(stderr, "dirtyvm: vm %u vCPU %u: L2 exited to L1 with SVM exit code 0x%llx\n",
						vm->index, i, (unsigned long long)dvm_arch_nested_exit_code(vm, i));
				else
					fprintf(stderr, "dirtyvm: vm %u vCPU %u: KVM_RUN: %s\n",
						vm->index, i, strerror(-err));
			}
		}
		if (v->run_now && v->pass_end > end)
			end = v->pass_end;
	}
	pthread_mutex_unlock(&vm->lock);
	*secs = end - start;
	return err;
}

int dvm_vm_pass(struct dvm_vm *vm, unsigned int write_pct, double *secs)
{
	return run_pass(vm, -1, write_pct, vm->region_size / DVM_PAGE_SIZE, secs);
}

int dvm_vm_warmup(struct dvm_vm *vm)
{
	unsigned int i;
	double secs;
	int err = 0;

	/* One vCPU after the other, touching no data: the code and parameter
	 * pages are faulted in exactly once (by vCPU 0), never concurrently. */
	for (i = 0; i < vm->nvcpus && !err; i++)
		err = run_pass(vm, (int)i, 0, 0, &secs);
	return err;
}

int dvm_vm_set_dirty_logging(struct dvm_vm *vm, bool on)
{
	int err = set_memslot(vm, DVM_DATA_SLOT, DVM_DATA_GPA, vm->data_size, vm->data,
			      on ? KVM_MEM_LOG_DIRTY_PAGES : 0);

	if (err)
		fprintf(stderr, "dirtyvm: %s dirty logging: %s\n", on ? "enabling" : "disabling",
			strerror(-err));
	return err;
}

int dvm_vm_get_dirty_log(struct dvm_vm *vm, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = DVM_DATA_SLOT, .dirty_bitmap = bitmap };

	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log)) {
		int err = -errno;

		fprintf(stderr, "dirtyvm: KVM_GET_DIRTY_LOG: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

/* One vCPU's ring: each entry KVM published (flags DIRTY, read with
 * acquire) is a page of the data slot, handed back with RESET (release). */
static void harvest_ring(struct dvm_vm *vm, struct dvm_vcpu *v, uint64_t *bitmap)
{
	uint64_t npages = vm->data_size / DVM_PAGE_SIZE;

	for (;;) {
		struct kvm_dirty_gfn *e = &v->ring[v->ring_next & (vm->ring_entries - 1)];

		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == DVM_DATA_SLOT && e->offset < npages)
			bitmap[e->offset / 64] |= 1ULL << (e->offset % 64);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		v->ring_next++;
	}
}

int dvm_vm_harvest_rings(struct dvm_vm *vm, uint64_t *bitmap)
{
	unsigned int i;

	for (i = 0; i < vm->nvcpus; i++)
		harvest_ring(vm, &vm->vcpus[i], bitmap);
	if (ioctl(vm->fd, KVM_RESET_DIRTY_RINGS, 0) < 0) {
		int err = -errno;

		fprintf(stderr, "dirtyvm: KVM_RESET_DIRTY_RINGS: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

int dvm_vm_clear_dirty_log(struct dvm_vm *vm, uint64_t *bitmap, uint64_t chunk_pages)
{
	uint64_t npages = vm->data_size / DVM_PAGE_SIZE, first;

	/* KVM wants first_page and num_pages in multiples of 64 (bitmap words). */
	for (first = 0; first < npages; first += chunk_pages) {
		struct kvm_clear_dirty_log c = {
			.slot = DVM_DATA_SLOT,
			.first_page = first,
			.num_pages = (uint32_t)(npages - first < chunk_pages ? npages - first : chunk_pages),
			.dirty_bitmap = bitmap + first / 64,
		};

		if (ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &c)) {
			int err = -errno;

			fprintf(stderr, "dirtyvm: KVM_CLEAR_DIRTY_LOG: %s\n", strerror(errno));
			return err;
		}
	}
	return 0;
}

/* /proc/meminfo's SecPageTables (KiB): KVM's second-stage tables, host-wide
 * (Linux 6.0 on); DVM_STAT_MISSING where the kernel has no such line.  The
 * CPUs' pending deltas are folded in first (vm.stat_refresh): without it
 * the count lagged a second behind (an eager split's tables showed up only
 * a round later, in the arm64 bed). */
static uint64_t sec_pagetables_kb(void)
{
	unsigned long long kb;
	uint64_t v = DVM_STAT_MISSING;
	char line[128];
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SecPageTables: %llu kB", &kb) == 1)
			v = kb;
	fclose(f);
	return v;
}

int dvm_vm_page_stats(struct dvm_vm *vm, uint64_t pages[DVM_PAGE_STATS])
{
	static const char *const names[] = { "pages_4k", "pages_2m", "pages_1g" };
	int err = kvm_stats_read(vm->stats_fd, names, pages, 3);

	pages[3] = sec_pagetables_kb();
	if (err == -ENOENT) {
		/* x86 alone counts its mappings (arm64 keeps no such census). */
		pages[0] = pages[1] = pages[2] = DVM_STAT_MISSING;
		return 0;
	}
	if (err)
		fprintf(stderr, "dirtyvm: reading KVM statistics: %s\n", strerror(-err));
	return err;
}

int dvm_vm_fault_stats(struct dvm_vm *vm, uint64_t stats[DVM_FAULT_STATS])
{
	unsigned int i, k;

	for (k = 0; k < DVM_FAULT_STATS; k++) {
		stats[k] = 0;
		for (i = 0; i < vm->nvcpus && stats[k] != DVM_STAT_MISSING; i++) {
			uint64_t v;
			int err = kvm_stats_read(vm->vcpus[i].stats_fd, &dvm_fault_stat_names[k], &v, 1);

			if (err == -ENOENT) {
				stats[k] = DVM_STAT_MISSING;
			} else if (err) {
				fprintf(stderr, "dirtyvm: reading vCPU %u statistics: %s\n", i, strerror(-err));
				return err;
			} else {
				stats[k] += v;
			}
		}
	}
	return 0;
}
