// SPDX-License-Identifier: GPL-2.0-only
/*
 * The real split and contention handlers, fed synthetic tracepoint arguments
 * with BPF_PROG_TEST_RUN on their raw_tp twins.  kvmmmu:kvm_mmu_split_huge_page
 * never fires on a shadow-MMU host, so this is how its accounting is proven
 * here: both causes, both sizes, errnos, and a split outside any KVM ioctl.
 * The handlers run in this process, so this process's task context (set
 * through a pidfd) says which VM and which ioctl it is "in".
 */
#include "splittop.h"		/* the contract: before the skeleton, which uses its types */
#include "splittop.skel.h"
#include "splittop/kernel/kernel_probe.h"
#include "unit.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SKIP 77
#define IDX 2
#define VSLOT 3		/* the vCPU slot of this process's "vCPU" */
#define KVM_ADDR 0xffff888012340000ULL	/* a made-up struct kvm *: never dereferenced here */

static struct splittop_bpf *skel;
static int pidfd;
static int ncpus;

static void set_kind_slot(enum ioctl_kind kind, __u32 vslot)
{
	struct task_ctx tc = { .kvm = KVM_ADDR, .idx = IDX, .kind = kind, .vslot = vslot };

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.task_ctx_map), &pidfd, &tc, BPF_ANY))
		printf("# task storage update: %s\n", strerror(errno));
}

static void set_kind(enum ioctl_kind kind)
{
	set_kind_slot(kind, VSLOT);
}

static struct task_ctx get_ctx(void)
{
	struct task_ctx tc = { 0 };

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.task_ctx_map), &pidfd, &tc);
	return tc;
}

static int run(struct bpf_program *prog, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	__u64 args[4] = { a0, a1, a2, a3 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	if (err)
		printf("# test run: %s\n", strerror(errno));
	return err;
}

static int split(__u64 gfn, int level, int errnum)
{
	return run(skel->progs.on_split_raw, gfn, 0, (__u64)(__s64)level, (__u64)(__s64)errnum);
}

static struct vm_stats vm_only(void)
{
	struct vm_stats st = { 0 };
	__u32 idx = IDX;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.vm_stats), &idx, &st);
	return st;
}

static struct vcpu_stats vcpu_only(void)
{
	struct vcpu_stats vs = { 0 };
	__u32 slot = VSLOT;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.vcpu_stats), &slot, &vs);
	return vs;
}

/* The VM's counters as user space sums them: its own entry plus its vCPU's. */
static struct vm_stats sum_stats(void)
{
	struct vm_stats sum = vm_only();
	struct vcpu_stats vs = vcpu_only();
	__u64 *d = (__u64 *)&sum.hot, *s = (__u64 *)&vs.hot;
	unsigned int i;

	for (i = 0; i < sizeof(sum.hot) / sizeof(__u64); i++)
		d[i] += s[i];
	return sum;
}

/* The skeleton with the programs these tests run, and one fake VM in its
 * maps.  0, SKIP, or -1 (a failed CHECK says why). */
static int setup(void)
{
	struct vm_slot slot = { .kvm = KVM_ADDR, .seq = 1 };
	__u64 kvm = KVM_ADDR;
	__u32 idx = IDX;

	if (geteuid()) {
		printf("# SKIP needs root to load BPF programs\n");
		return SKIP;
	}
	ncpus = libbpf_num_possible_cpus();
	/* A wait's begin and end meet in per-CPU storage, as on a real rwlock
	 * (its waiter spins on one CPU): run every handler on one CPU. */
	{
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
		CHECK(!sched_setaffinity(0, sizeof(one), &one), "pin to one CPU");
	}
	skel = splittop_bpf__open();
	CHECK(skel != NULL, "open the skeleton");
	if (!skel)
		return -1;
	bpf_map__set_max_entries(skel->maps.vm_index, 4);
	bpf_map__set_max_entries(skel->maps.vm_slots, 4);
	bpf_map__set_max_entries(skel->maps.vm_stats, 4);
	bpf_map__set_max_entries(skel->maps.vcpu_stats, 8);
	skel->rodata->max_vms = 4;
	/* --exact-waits with --wait-sample 4: every wait timed at its end, and
	 * beside it what the sampling would have made of the same waits. */
	skel->rodata->exact_waits = true;
	skel->rodata->wait_sample = 4;
	{
		struct bpf_program *p;

		/* Load only what is run: nothing attaches, nothing else fires. */
		bpf_object__for_each_program(p, skel->obj)
			bpf_program__set_autoload(p, false);
	}
	bpf_program__set_autoload(skel->progs.on_split_raw, true);
	bpf_program__set_autoload(skel->progs.on_guest_fault_raw, true);
	bpf_program__set_autoload(skel->progs.on_guest_mmio_raw, true);
	bpf_program__set_autoload(skel->progs.on_contention_begin_raw, true);
	bpf_program__set_autoload(skel->progs.on_contention_end_raw, true);
	CHECK(!splittop_bpf__load(skel), "load the raw twins");

	slot.tgid = getpid();
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.vm_slots), &idx, &slot, BPF_ANY), "fake VM slot");
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.vm_index), &kvm, &idx, BPF_ANY), "fake VM index");
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	CHECK(pidfd >= 0, "pidfd_open");
	return 0;
}

static void test_split_causes(void)
{
	struct vm_stats st;

	/* A vCPU (in KVM_RUN) splitting in its fault path. */
	set_kind(KIND_RUN);
	split(0x1000, 2, 0);
	split(0x1200, 2, 0);
	split(0x1400, 2, 0);
	split(0x40000, 3, 0);
	st = sum_stats();
	CHECK_EQ_U64(st.splits[SPLIT_2M][CAUSE_FAULT], 3, "2M splits by a vCPU: cause fault");
	CHECK_EQ_U64(vcpu_only().hot.splits[SPLIT_2M][CAUSE_FAULT], 3, "in the vCPU's own slot");
	CHECK_EQ_U64(vm_only().splits[SPLIT_2M][CAUSE_FAULT], 0, "not in the VM's shared entry");
	CHECK_EQ_U64(st.splits[SPLIT_1G][CAUSE_FAULT], 1, "1G split by a vCPU: cause fault");
	CHECK_EQ_U64(st.splits[SPLIT_2M][CAUSE_EAGER] + st.splits[SPLIT_1G][CAUSE_EAGER], 0, "no eager split yet");
	CHECK_EQ_U64(get_ctx().splits_in_op, 0, "fault splits are not inside a dirty-log operation");

	/* The thread clearing the dirty log splits eagerly. */
	set_kind(KIND_CLEAR);
	split(0x2000, 2, 0);
	split(0x2200, 2, 0);
	split(0x80000, 3, 0);
	st = sum_stats();
	CHECK_EQ_U64(st.splits[SPLIT_2M][CAUSE_EAGER], 2, "2M splits in KVM_CLEAR_DIRTY_LOG: eager");
	CHECK_EQ_U64(st.splits[SPLIT_1G][CAUSE_EAGER], 1, "1G split in KVM_CLEAR_DIRTY_LOG: eager");
	CHECK_EQ_U64(get_ctx().splits_in_op, 3, "splits counted inside the operation");
	CHECK_EQ_U64(vm_only().splits[SPLIT_2M][CAUSE_EAGER], 2, "eager splits in the VM's shared entry");

	/* A vCPU refused a slot (--max-vcpus full): its VM still counts it. */
	set_kind_slot(KIND_RUN, ST_NO_SLOT);
	split(0x2400, 2, 0);
	CHECK_EQ_U64(vm_only().splits[SPLIT_2M][CAUSE_FAULT], 1, "a slotless vCPU's split: the VM's entry");

	/* Enabling dirty logging (a memslot update) is eager too. */
	set_kind(KIND_MEMSLOT);
	split(0x3000, 2, 0);
	st = sum_stats();
	CHECK_EQ_U64(st.splits[SPLIT_2M][CAUSE_EAGER], 3, "2M split in a memslot update: eager");

	/* Failed splits: counted by errno, not as splits. */
	set_kind(KIND_RUN);
	split(0x4000, 2, -ENOMEM);
	split(0x4200, 2, -ENOMEM);
	split(0x4400, 2, -200);
	st = sum_stats();
	CHECK_EQ_U64(st.split_errors, 3, "three failed splits");
	CHECK_EQ_U64(st.split_errno[ENOMEM], 2, "two with ENOMEM");
	CHECK_EQ_U64(st.split_errno[0], 1, "errno 200 lands in the 'other' bucket");
	CHECK_EQ_U64(st.splits[SPLIT_2M][CAUSE_FAULT], 4, "failed splits are not splits");
}

/* A vCPU's write fault is first counted at 4K (a TDP MMU keeps no rmaps
 * to tell), then moved to huge by the split in the same fault.  Its
 * cache entry forgotten in between (a binding clears a task's entries)
 * must not lose the fault's class: that once left a churn run's fault
 * counted at 4K. */
static void test_fault_class_survives_a_forgotten_cache(void)
{
	int cpu = sched_getcpu(), fd = bpf_map__fd(skel->maps.cpu_state_map);
	size_t stride = (bpf_map__value_size(skel->maps.cpu_state_map) + 7) / 8 * 8;
	char *per = calloc(ncpus, stride);
	struct fault_cache *fc = (struct fault_cache *)(per + (size_t)cpu * stride);
	struct vcpu_stats vs;
	__u32 zero = 0, vkey = VSLOT;

	set_kind(KIND_RUN);
	split(0x6000, 2, 0);	/* fills this CPU's fault cache for this task */
	CHECK(!bpf_map_lookup_elem(fd, &zero, per), "read the fault cache");
	CHECK(fc->task != 0 && fc->idx == IDX, "the cache names this task's VM");
	CHECK(fc->stack != 0, "keyed by this task's kernel stack");
	fc->fault_cls = FAULT_4K_WP;	/* as on_spte_requested leaves it */
	vs = vcpu_only();
	vs.faults[FAULT_4K_WP] = 1;
	CHECK(!bpf_map_update_elem(fd, &zero, per, BPF_ANY), "a fault counted at 4K");
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.vcpu_stats), &vkey, &vs, BPF_ANY),
	      "its count");
	fc->stack = 0;	/* forgotten: the slow path fills it again */
	CHECK(!bpf_map_update_elem(fd, &zero, per, BPF_ANY), "forget the entry");
	split(0x6200, 2, 0);
	CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.vcpu_stats), &vkey, &vs), "read vCPU counts");
	CHECK_EQ_U64(vs.faults[FAULT_HUGE_WP], 1, "the fault moved to huge across a new generation");
	CHECK_EQ_U64(vs.faults[FAULT_4K_WP], 0, "and left 4K");
	/* Once per fault: a second split of the same fault moves nothing. */
	split(0x6400, 2, 0);
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.vcpu_stats), &vkey, &vs);
	CHECK_EQ_U64(vs.faults[FAULT_HUGE_WP], 1, "moved once");
	free(per);
}

static void test_unattributed_split(void)
{
	struct vm_stats st;

	/* Outside any KVM ioctl: no VM to charge, counted as unattributed. */
	set_kind(KIND_NONE);
	split(0x5000, 2, 0);
	st = sum_stats();
	CHECK_EQ_U64(skel->bss->self.unattributed_splits, 1, "split outside an ioctl: unattributed");
	CHECK_EQ_U64(st.splits[SPLIT_2M][CAUSE_FAULT] + st.splits[SPLIT_2M][CAUSE_EAGER], 10,
		     "and charged to no VM");
}

static void test_lock_waits(long lock_off)
{
	struct vm_stats st;

	set_kind(KIND_RUN);
	/* LCB_F_SPIN|LCB_F_WRITE, then the end */
	run(skel->progs.on_contention_begin_raw, KVM_ADDR + lock_off, 1 | 4, 0, 0);
	run(skel->progs.on_contention_end_raw, KVM_ADDR + lock_off, 0, 0, 0);
	/* LCB_F_SPIN|LCB_F_READ */
	run(skel->progs.on_contention_begin_raw, KVM_ADDR + lock_off, 1 | 2, 0, 0);
	run(skel->progs.on_contention_end_raw, KVM_ADDR + lock_off, 0, 0, 0);
	/* A plain spinlock (the rwlock's own queue lock): ignored. */
	run(skel->progs.on_contention_begin_raw, KVM_ADDR + lock_off + 4, 1, 0, 0);
	run(skel->progs.on_contention_end_raw, KVM_ADDR + lock_off + 4, 0, 0, 0);
	/* An rwlock of no known VM: ignored. */
	run(skel->progs.on_contention_begin_raw, KVM_ADDR + 0x100000 + lock_off, 4, 0, 0);
	run(skel->progs.on_contention_end_raw, KVM_ADDR + 0x100000 + lock_off, 0, 0, 0);
	/* An end without a begin: ignored. */
	run(skel->progs.on_contention_end_raw, KVM_ADDR + lock_off, 0, 0, 0);
	st = sum_stats();
	CHECK_EQ_U64(st.lock_waits[MMU_LOCK_WRITE], 1, "one write wait on mmu_lock");
	CHECK_EQ_U64(st.lock_waits[MMU_LOCK_READ], 1, "one read wait on mmu_lock");
	{
		__u64 n = 0;
		unsigned int b;

		for (b = 0; b < ST_HIST_BUCKETS; b++)
			n += st.lock_wait_hist[b];
		CHECK_EQ_U64(n, 2, "both waits in the histogram");
	}
	CHECK(st.lock_wait_ns[MMU_LOCK_WRITE] + st.lock_wait_ns[MMU_LOCK_READ] > 0, "wait time measured");
	/* A wait is counted where it begins: one that nothing ends (without
	 * --exact-waits, a non-fault waiter's) is counted and left untimed. */
	run(skel->progs.on_contention_begin_raw, KVM_ADDR + lock_off, 1 | 4, 0, 0);
	run(skel->progs.on_contention_begin_raw, KVM_ADDR + lock_off, 1 | 4, 0, 0);
	run(skel->progs.on_contention_end_raw, KVM_ADDR + lock_off, 0, 0, 0);
	st = sum_stats();
	CHECK_EQ_U64(st.lock_waits[MMU_LOCK_WRITE], 3, "every begin counts a wait");
	{
		__u64 n = 0;
		unsigned int b;

		for (b = 0; b < ST_HIST_BUCKETS; b++)
			n += st.lock_wait_hist[b];
		CHECK_EQ_U64(n, 3, "the wait no end closed is not timed");
	}
}

/* The sampling estimate: a vCPU's first 4 waits stand for one each; after
 * them one wait at a random distance (1 to 7 waits) from the previous timed
 * one stands for the waits since it, the others for none.  Each wait's own
 * time is read back from lock_wait_ns, so every wait's share is checked to
 * the ns; over 400 waits the timed ones are about one in 4 and fall in no
 * fixed phase (the bounds are loose enough never to fail by chance:
 * binomial, 100 expected, standard deviation under 10). */
static void test_wait_sampling(long lock_off)
{
	struct vcpu_stats before = vcpu_only(), now = before;
	__u64 prev_est = before.hot.wait_sampled_ns, prev_ns = before.hot.lock_wait_ns[MMU_LOCK_WRITE];
	__u64 n = before.hot.lock_waits[MMU_LOCK_WRITE] + before.hot.lock_waits[MMU_LOCK_READ];
	__u64 last = before.wait_last_timed, timed = 0, weights = last, phase[4] = { 0 };
	int i, bad = 0;

	for (i = 0; i < 400; i++) {
		__u64 d, est;

		run(skel->progs.on_contention_begin_raw, KVM_ADDR + lock_off, 1 | 4, 0, 0);
		usleep(20 * (i % 3 + 1));
		run(skel->progs.on_contention_end_raw, KVM_ADDR + lock_off, 0, 0, 0);
		now = vcpu_only();
		d = now.hot.lock_wait_ns[MMU_LOCK_WRITE] - prev_ns;
		est = now.hot.wait_sampled_ns - prev_est;
		prev_ns = now.hot.lock_wait_ns[MMU_LOCK_WRITE];
		prev_est = now.hot.wait_sampled_ns;
		n++;
		if (n <= 4) {
			bad += est != d;
			last = n;
			weights = n;
			continue;
		}
		if (!est)
			continue;
		bad += est != d * (n - last) || n - last > 7;
		weights += n - last;
		last = n;
		timed++;
		phase[n % 4]++;
	}
	CHECK_EQ_U64(bad, 0, "each wait's share of the estimate: its time, times the waits since the last timed one");
	CHECK(weights <= n, "the weights (%llu) never exceed the waits (%llu)", (unsigned long long)weights,
	      (unsigned long long)n);
	CHECK(timed >= 50 && timed <= 200, "about one wait in 4 timed: %llu of 396", (unsigned long long)timed);
	CHECK(phase[0] < timed && phase[1] < timed && phase[2] < timed && phase[3] < timed,
	      "the timed waits fall in no fixed phase: %llu %llu %llu %llu", (unsigned long long)phase[0],
	      (unsigned long long)phase[1], (unsigned long long)phase[2], (unsigned long long)phase[3]);
	CHECK(now.hot.wait_sampled_ns > 0, "the estimate holds time");
}

/* arm64's faults, classed by each abort's ESR alone (bpf/arm64.bpf.h): the
 * handler fed the syndromes of arm64's architecture (EC, FSC, WnR, S1PTW). */
#define ESR(ec, fsc)	(((__u64)(ec) << 26) | (fsc))
#define DABT	0x24
#define IABT	0x20
#define WNR	(1ULL << 6)
#define S1PTW	(1ULL << 7)

static void test_arm64_fault_classes(void)
{
	static const struct {
		__u64 esr;
		int cls;
		int demoted;	/* 2: a 2 MiB block, 3: 1 GiB */
		const char *what;
	} cases[] = {
		{ ESR(DABT, 0x07), FAULT_NONPRESENT, 0, "data, translation, level 3" },
		{ ESR(DABT, 0x06) | WNR, FAULT_NONPRESENT, 0, "write, translation, level 2" },
		{ ESR(DABT, 0x0f) | WNR, FAULT_4K_WP, 0, "write, permission, level 3" },
		{ ESR(DABT, 0x0e) | WNR, FAULT_HUGE_WP, 2, "write, permission, level 2 (a 2 MiB block)" },
		{ ESR(DABT, 0x0d) | WNR, FAULT_HUGE_WP, 3, "write, permission, level 1 (a 1 GiB block)" },
		{ ESR(DABT, 0x0f) | S1PTW, FAULT_4K_WP, 0, "the guest's table walk, permission: a write" },
		{ ESR(DABT, 0x0f), FAULT_OTHER, 0, "read, permission" },
		{ ESR(DABT, 0x0b) | WNR, FAULT_OTHER, 0, "write, access flag" },
		{ ESR(IABT, 0x07), FAULT_NONPRESENT, 0, "fetch, translation" },
		{ ESR(IABT, 0x0f), FAULT_OTHER, 0, "fetch, permission" },
		{ ESR(0x16, 0), FAULT_OTHER, 0, "not an abort (HVC)" },
	};
	unsigned int i;

	/* The fake vCPU has no struct kvm_vcpu to find its VM by: a write to a
	 * write-protected block counts as demoted without asking whether the
	 * VM logs (the bed's tier checks that part). */
	set_kind(KIND_RUN);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vcpu_stats before = vcpu_only(), after;
		int k;

		CHECK(!run(skel->progs.on_guest_fault_raw, 0x1000, cases[i].esr, 0, 0x40000000), "run: %s", cases[i].what);
		after = vcpu_only();
		for (k = 0; k < FAULT_CLASSES; k++)
			CHECK(after.faults[k] - before.faults[k] == (k == cases[i].cls), "%s: class %d counted %llu",
			      cases[i].what, k, (unsigned long long)(after.faults[k] - before.faults[k]));
		CHECK(after.demotions[0] - before.demotions[0] == (cases[i].demoted == 2) &&
		      after.demotions[1] - before.demotions[1] == (cases[i].demoted == 3),
		      "%s: demotions 2M +%llu, 1G +%llu", cases[i].what,
		      (unsigned long long)(after.demotions[0] - before.demotions[0]),
		      (unsigned long long)(after.demotions[1] - before.demotions[1]));
	}
	/* An abort KVM hands to the VMM: kvm_mmio (a write) takes it back from
	 * its class, as other; the VMM's answer at the next entry (a read
	 * satisfied, type 1) changes nothing. */
	{
		struct vcpu_stats before = vcpu_only(), after;

		CHECK(!run(skel->progs.on_guest_fault_raw, 0x1000, ESR(DABT, 0x07) | WNR, 0, 0xfffff000), "MMIO abort");
		CHECK(!run(skel->progs.on_guest_mmio_raw, 2, 8, 0xfffff000, 0), "kvm_mmio, a write");
		CHECK(!run(skel->progs.on_guest_mmio_raw, 1, 8, 0xfffff000, 0), "kvm_mmio, the VMM's answer");
		after = vcpu_only();
		CHECK_EQ_U64(after.faults[FAULT_NONPRESENT] - before.faults[FAULT_NONPRESENT], 0, "MMIO: not non-present");
		CHECK_EQ_U64(after.faults[FAULT_OTHER] - before.faults[FAULT_OTHER], 1, "MMIO: other");
	}
}

int main(void)
{
	struct kernel_btf k = { 0 };
	long lock_off;
	int err = setup();

	if (err == SKIP)
		return SKIP;
	if (err)
		return unit_done();
	test_split_causes();
	test_fault_class_survives_a_forgotten_cache();
	test_unattributed_split();
	test_arm64_fault_classes();
	/* mmu_lock contention: the lock is &kvm->mmu_lock of a known VM. */
	CHECK(!kernel_btf_load(&k), "kernel BTF");
	lock_off = kernel_member_offset(&k, "kvm", "mmu_lock");
	CHECK(lock_off >= 0, "offset of kvm->mmu_lock from BTF: %ld", lock_off);
	test_lock_waits(lock_off);
	test_wait_sampling(lock_off);
	kernel_btf_free(&k);
	close(pidfd);
	splittop_bpf__destroy(skel);
	return unit_done();
}
