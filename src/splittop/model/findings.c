// SPDX-License-Identifier: GPL-2.0-only
/* The rules behind findings.h's table.  Each reads one signature in a VM's
 * counts, compares it with a named threshold (why that value: beside it),
 * and writes one line: the evidence, then "-> " what to change and why.
 * Where the host decides the advice (the MMU, eager_page_split, a nested
 * guest, the dirty ring), the line says which case it is. */
#include "findings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MS		1000000ull
#define MIB_PAGES	256ull		/* 4 KiB pages in a MiB */

/* (a) Write faults on write-protected huge mappings: each breaks a 2 MiB
 * mapping inside a vCPU's fault (split or dropped).  64 of them are 128 MiB
 * of guest memory; fewer cost the guest milliseconds in all, not worth a
 * kernel parameter. */
#define LAZY_HUGE_WP_MIN	64
/* (b) An enable as long as a third of QEMU's default 300 ms downtime budget,
 * while the VMM holds its memory-update path (QEMU: the BQL, which every
 * vCPU exit to user space waits for), splitting at least 1 GiB of 2 MiB
 * mappings: that is the cost INITIALLY_SET spreads over the clears. */
#define ENABLE_LONG_NS		(100 * MS)
#define ENABLE_SPLITS_MIN	512
/* (c) A clear (or a dirty-log mmu_lock write hold) of 10 ms stalls every
 * vCPU that faults meanwhile for up to as long: 1/30 of the downtime budget
 * per clear, repeated for every chunk of every round. */
#define CLEAR_LONG_NS		(10 * MS)
#define DLOG_HOLD_LONG_NS	(10 * MS)
/* (d) Harvests of 2 ms a round or more that return under 1% of memory: the
 * bitmap's cost follows memory size (a bit per page, copied and scanned)
 * while the ring's follows the pages dirtied.  Two rounds past the first at
 * least: round 1 is the bulk pass or the all-set first harvest. */
#define SCAN_HARVEST_MIN_NS	(2 * MS)
#define SCAN_SPARSE_SHARE	0.01
#define SCAN_MIN_ROUNDS		2
/* (f) Under 10% of guest memory mapped with 2 MiB pages as logging began,
 * in a guest of 256 MiB or more (smaller ones have too few aligned 2 MiB
 * regions to judge): the host does not back the guest with huge pages. */
#define HUGE_SHARE_MIN		0.10
#define HUGE_MIN_MEM_PAGES	(256 * MIB_PAGES)
/* (g) Any failed split but the retries: KVM stops eager splitting at the
 * first one (tdp_mmu_split_huge_pages_root breaks out of its walk). */
#define SPLIT_FAIL_MIN		1
/* (h) vCPUs waiting 1% of their time for mmu_lock during dirty logging:
 * on the TDP MMU the same faults take the lock for read and wait ~never. */
/* 5% of vCPU time waiting behind the dirty log on the TDP MMU: its faults
 * wait next to never otherwise (read lock); 5% is a guest visibly slower
 * for the whole migration, well above sampling noise. */
#define DLOG_WAIT_SHARE_MIN	0.05
#define CONTENTION_SHARE_MIN	0.01

const struct finding_def finding_defs[NR_FINDINGS] = {
#define FINDING_DEF(id, nm, sev, set, src) [FINDING_##id] = { .name = nm, .severity = sev, .setting = set, .source = src },
	FINDINGS(FINDING_DEF)
#undef FINDING_DEF
};

static const char *const severity_names[NR_FINDING_SEVERITIES] = {
	[FINDING_INFO] = "info",
	[FINDING_WARN] = "warning",
	[FINDING_CRIT] = "critical",
};

const char *finding_severity_name(enum finding_severity s)
{
	return s < NR_FINDING_SEVERITIES ? severity_names[s] : "info";
}

/* Append to a finding's line; a line that would not fit is cut, never overrun. */
__attribute__((format(printf, 3, 4)))
static void add(char *m, size_t len, const char *fmt, ...)
{
	size_t o = strnlen(m, len);
	va_list ap;

	if (o + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(m + o, len - o, fmt, ap);
	va_end(ap);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static double msecs(uint64_t ns)
{
	return (double)ns / 1e6;
}

static double mib(double bytes)
{
	return bytes / (1024.0 * 1024.0);
}

static uint64_t splits_by(const struct vm_counters *c, enum split_cause cause)
{
	return c->vm.splits[SPLIT_2M][cause] + c->vm.splits[SPLIT_1G][cause];
}

/* The metric groups the run has; none when the caller gave none. */
static const struct avail *av(const struct insight_in *in)
{
	static const struct avail none;

	return in->avail ? in->avail : &none;
}

/* The VM ran a nested guest: its memory goes through the shadow MMU. */
static bool nested(const struct insight_in *in)
{
	return in->g && in->g->nested > 0;
}

static bool eager_is(const struct insight_in *in, const char *v)
{
	return in->eager_split && !strcmp(in->eager_split, v);
}

/* What the vCPUs' faults cost, as well as it is known. */
static void fault_cost(const struct insight_in *in, char *m, size_t len)
{
	const struct vm_counters *c = in->run;

	if (c->vm.fault_lat_count)
		add(m, len, ", %.3f s of vCPU time in page faults", secs(c->vm.fault_lat_ns));
	else if (av(in)->lock_wait)
		add(m, len, ", at least %.1f ms of vCPU time waiting for mmu_lock in them",
		    msecs(c->vm.lock_wait_ns[MMU_LOCK_READ] + c->vm.lock_wait_ns[MMU_LOCK_WRITE]));
}

/* Why KVM split these lazily, and what changes it, by host. */
static void lazy_advice(const struct insight_in *in, char *m, size_t len)
{
	if (in->mmu == HOST_MMU_ARM64)
		add(m, len, "; -> arm64 splits eagerly only where the VMM asks, before the VM's first "
			    "memslot: QEMU -accel kvm,eager-split-size=2097152 (KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE)");
	else if (in->mmu == HOST_MMU_SHADOW)
		add(m, len, "; -> shadow paging (no EPT/NPT) splits only in faults: eager splitting "
			    "needs the TDP MMU (EPT/NPT, kvm.tdp_mmu=Y)");
	else if (in->mmu == HOST_MMU_LEGACY_TDP)
		add(m, len, "; -> kvm.tdp_mmu=N splits only in faults: set kvm.tdp_mmu=Y, "
			    "then kvm.eager_page_split=Y applies");
	else if (nested(in))
		add(m, len, "; -> a nested guest's memory is the shadow MMU's, which splits eagerly "
			    "only from Linux 6.0 on (ada51a9de737) and with kvm.eager_page_split=Y");
	else if (eager_is(in, "Y"))
		add(m, len, "; -> kvm.eager_page_split is Y: eager splitting failed or missed "
			    "these (see split-failed)");
	else
		add(m, len, "; -> set kvm.eager_page_split=Y: the thread enabling logging "
			    "splits them, off the vCPUs");
}

static bool rule_LAZY_SPLIT(const struct insight_in *in, char *m, size_t len)
{
	const struct vm_counters *c = in->run;
	uint64_t hwp;

	if (!c || !av(in)->faults)
		return false;
	hwp = c->faults[FAULT_HUGE_WP];
	if (hwp < LAZY_HUGE_WP_MIN)
		return false;
	add(m, len, "lazy splitting: %llu huge pages write-protected in vCPU faults "
		    "(%llu split there, %llu dropped for 4 KiB)",
	    (unsigned long long)hwp, (unsigned long long)splits_by(c, CAUSE_FAULT),
	    (unsigned long long)(c->demotions[SPLIT_2M] + c->demotions[SPLIT_1G]));
	fault_cost(in, m, len);
	lazy_advice(in, m, len);
	return true;
}

/* The dirty ring: the VMM resets rings, or the rounds say so. */
static bool ring_in_use(const struct insight_in *in)
{
	unsigned int i;

	if (in->run && in->run->vm.dlog_count[DLOG_RESET])
		return true;
	for (i = 0; in->rounds && i < in->nrounds; i++)
		if (in->rounds[i].flags & ROUND_RING)
			return true;
	return false;
}

static bool rule_ENABLE_SPLIT(const struct insight_in *in, char *m, size_t len)
{
	const struct vm_gauges *g = in->g;

	if (!g || !in->run || !av(in)->dlog_toggle)
		return false;
	if (g->dlog_last_ns[DLOG_ENABLE] < ENABLE_LONG_NS ||
	    g->dlog_last_splits[DLOG_ENABLE] < ENABLE_SPLITS_MIN)
		return false;
	add(m, len, "one long enable: turning dirty logging on took %.0f ms and split %llu huge pages",
	    msecs(g->dlog_last_ns[DLOG_ENABLE]), (unsigned long long)g->dlog_last_splits[DLOG_ENABLE]);
	if (in->hold_max_ns[HOLDER_MEMSLOT])
		add(m, len, ", mmu_lock held up to %.0f ms", msecs(in->hold_max_ns[HOLDER_MEMSLOT]));
	/* KVM splits at enable only without INITIALLY_SET (a3fe5dbda0a4). */
	if (ring_in_use(in))
		add(m, len, "; -> the dirty ring rules out KVM_DIRTY_LOG_INITIALLY_SET (QEMU "
			    "kvm-all.c), so this is the ring's price; with the bitmap, INITIALLY_SET "
			    "moves splitting into the clears");
	else if (in->run->vm.dlog_count[DLOG_CLEAR])
		add(m, len, "; -> the VMM clears (manual protect) without KVM_DIRTY_LOG_INITIALLY_SET: "
			    "with it KVM splits in each KVM_CLEAR_DIRTY_LOG, chunk by chunk");
	else
		add(m, len, "; -> manual protect with KVM_DIRTY_LOG_INITIALLY_SET "
			    "(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): KVM then splits in each "
			    "KVM_CLEAR_DIRTY_LOG, chunk by chunk (QEMU does where KVM offers it)");
	return true;
}

/* The dirty log's longest (or, without maxima, mean) mmu_lock write hold. */
static uint64_t dlog_hold_ns(const struct insight_in *in)
{
	const struct vm_stats *v = &in->run->vm;
	uint64_t n = v->hold_count[MMU_LOCK_WRITE][HOLDER_DIRTY_LOG];

	if (in->hold_max_ns[HOLDER_DIRTY_LOG])
		return in->hold_max_ns[HOLDER_DIRTY_LOG];
	if (!av(in)->lock_hold || !n)
		return 0;
	return v->hold_ns[MMU_LOCK_WRITE][HOLDER_DIRTY_LOG] / n;
}

/* Without clears and without timed holds (function probes are opt-in for
 * holds, refused by some kernels): the GETs' own time, mean or latest.  A
 * GET write-protects under mmu_lock as it returns the bitmap, so its hold
 * is within that time. */
static uint64_t dlog_get_ns(const struct insight_in *in, uint64_t clears, uint64_t gets)
{
	const struct vm_stats *v = &in->run->vm;
	uint64_t mean, last;

	if (clears || !gets || av(in)->lock_hold)
		return 0;
	mean = v->dlog_ns[DLOG_GET] / gets;
	last = in->g ? in->g->dlog_last_ns[DLOG_GET] : 0;
	return mean > last ? mean : last;
}

static bool rule_LONG_CLEAR(const struct insight_in *in, char *m, size_t len)
{
	const struct vm_stats *v;
	uint64_t clears, gets, mean, last, hold, get;

	if (!in->run || !av(in)->dlog)
		return false;
	v = &in->run->vm;
	clears = v->dlog_count[DLOG_CLEAR];
	gets = v->dlog_count[DLOG_GET];
	mean = clears ? v->dlog_ns[DLOG_CLEAR] / clears : 0;
	last = in->g ? in->g->dlog_last_ns[DLOG_CLEAR] : 0;
	hold = dlog_hold_ns(in);
	get = dlog_get_ns(in, clears, gets);
	if (mean < CLEAR_LONG_NS && last < CLEAR_LONG_NS && hold < DLOG_HOLD_LONG_NS && get < DLOG_HOLD_LONG_NS)
		return false;
	if (clears)
		add(m, len, "long clears: KVM_CLEAR_DIRTY_LOG took %.1f ms on average over %llu, "
			    "the latest %.1f ms", msecs(mean), (unsigned long long)clears, msecs(last));
	else if (gets)
		add(m, len, "long gets: KVM_GET_DIRTY_LOG write-protects under mmu_lock as it returns "
			    "the bitmap (%llu gets)", (unsigned long long)gets);
	else
		return false;	/* holds by resets: the ring's, not a chunk size's */
	if (hold)
		add(m, len, ", mmu_lock write-held by the dirty log %.1f ms", msecs(hold));
	else if (get)
		add(m, len, ", %.1f ms a get (its mmu_lock hold within it: holds not timed)", msecs(get));
	if (clears)
		add(m, len, "; -> smaller clear chunks: QEMU -global migration.x-clear-bitmap-shift=N "
			    "(default 18, 1 GiB; each step down halves a chunk, 6 is 256 KiB)");
	else
		add(m, len, "; -> manual protect (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): the VMM then "
			    "write-protects in chunks with KVM_CLEAR_DIRTY_LOG");
	return true;
}

static bool rule_BITMAP_SCAN(const struct insight_in *in, char *m, size_t len)
{
	uint64_t ns = 0, pages = 0, k = 0, mem;
	unsigned int i;

	if (!in->rounds || !in->g || !in->g->mem_pages || ring_in_use(in))
		return false;
	mem = in->g->mem_pages;
	/* Round 1 is the bulk pass or the all-set first harvest: not a scan. */
	for (i = 0; i < in->nrounds; i++) {
		if (in->rounds[i].round <= 1)
			continue;
		ns += in->rounds[i].harvest_ns;
		pages += in->rounds[i].dirty_pages;
		k++;
	}
	if (k < SCAN_MIN_ROUNDS || ns / k < SCAN_HARVEST_MIN_NS ||
	    (double)pages / (double)k >= SCAN_SPARSE_SHARE * (double)mem)
		return false;
	add(m, len, "bitmap scans: harvests took %.1f ms a round for %.0f dirty pages on average "
		    "(%.2f%% of %.0f MiB) over %llu rounds",
	    msecs(ns / k), (double)pages / (double)k, 100.0 * (double)pages / (double)k / (double)mem,
	    (double)mem / MIB_PAGES, (unsigned long long)k);
	add(m, len, "; -> the dirty ring (KVM_CAP_DIRTY_LOG_RING): its harvest follows the pages "
		    "dirtied, the bitmap's the memory size");
	return true;
}

static bool rule_NOT_CONVERGING(const struct insight_in *in, char *m, size_t len)
{
	const struct converge *c = in->conv;

	if (!c || c->state != CONV_NOT_CONVERGING)
		return false;
	add(m, len, "not converging: round %u dirtied %.0f MiB at %.1f MiB/s, the copy ran at "
		    "%.1f MiB/s; dirty set ratio %.2f, trend %.2f over %u rounds; the downtime "
		    "budget allows %.0f MiB",
	    c->round, mib((double)c->dirty_bytes), mib(c->dirty_rate), mib(c->copy_rate), c->ratio,
	    c->trend, c->trend_n, mib((double)c->budget_bytes));
	add(m, len, "; -> throttle the guest's dirtying (QEMU dirty-limit with the dirty ring, "
		    "or auto-converge), give the copy more bandwidth, or allow more downtime");
	return true;
}

static bool rule_NO_HUGE_BACKING(const struct insight_in *in, char *m, size_t len)
{
	const struct vm_gauges *g = in->g;
	const struct vm_counters *c = in->run;
	uint64_t before;
	double share;

	if (!g || !c || !av(in)->dlog_toggle || av(in)->no_pages || !c->vm.dlog_count[DLOG_ENABLE])
		return false;
	before = g->dlog_last_pages_2m[DLOG_ENABLE][0];
	if (before == PAGES_UNKNOWN || g->mem_pages < HUGE_MIN_MEM_PAGES)
		return false;
	/* 1 GiB mappings were there: backed by huge pages after all. */
	if (c->vm.splits[SPLIT_1G][CAUSE_EAGER] + c->vm.splits[SPLIT_1G][CAUSE_FAULT] +
	    c->demotions[SPLIT_1G])
		return false;
	share = (double)before * 512 / (double)g->mem_pages;
	if (share >= HUGE_SHARE_MIN)
		return false;
	add(m, len, "few huge pages: %.2f%% of guest memory (%.0f of %.0f MiB) was mapped with "
		    "2 MiB pages as logging began",
	    100 * share, (double)before * 2, (double)g->mem_pages / MIB_PAGES);
	add(m, len, "; -> THP or hugetlbfs is not backing the guest (or it had not touched its "
		    "memory%s): splitting is not what costs here",
	    in->mmu == HOST_MMU_SHADOW ? "; the shadow MMU maps no larger than the guest does" : "");
	return true;
}

/* Failed splits' causes, by errno; EAGAIN and EBUSY are retries. */
static bool rule_SPLIT_FAILED(const struct insight_in *in, char *m, size_t len)
{
	const struct vm_stats *v;
	uint64_t retries, nomem, nospc, other;

	if (!in->run || !av(in)->splits)
		return false;
	v = &in->run->vm;
	/* The shadow MMU's EAGAIN: caches topped up with mmu_lock dropped, then
	 * retried; the TDP MMU's EBUSY: a lost compare-and-swap, retried. */
	retries = v->split_errno[EAGAIN] + v->split_errno[EBUSY];
	if (v->split_errors < retries + SPLIT_FAIL_MIN)
		return false;
	nomem = v->split_errno[ENOMEM];
	nospc = v->split_errno[ENOSPC];
	other = v->split_errors - retries - nomem - nospc;
	add(m, len, "failed splits: %llu (ENOMEM %llu, ENOSPC %llu, other %llu; %llu retries "
		    "not counted)", (unsigned long long)(v->split_errors - retries),
	    (unsigned long long)nomem, (unsigned long long)nospc, (unsigned long long)other,
	    (unsigned long long)retries);
	if (nomem)
		add(m, len, "; -> ENOMEM: KVM could not allocate page-table pages (host memory, or "
			    "the VMM's memory cgroup limit); eager splitting stopped and the rest split "
			    "in vCPU faults");
	if (nospc)
		add(m, len, "; -> ENOSPC: the shadow MMU hit its page limit: raise it "
			    "(KVM_SET_NR_MMU_PAGES)");
	if (other)
		add(m, len, "; -> other errnos: see the kvm_mmu_split_huge_page tracepoint");
	return true;
}

/* vCPU mmu_lock waits over vCPU time, across the rounds; -1: unknown. */
static double wait_share(const struct insight_in *in, uint64_t *wait_ns)
{
	uint64_t ns = 0;
	unsigned int i;

	*wait_ns = 0;
	for (i = 0; i < in->nrounds; i++) {
		ns += round_duration_ns(&in->rounds[i]);
		*wait_ns += in->rounds[i].c.lock_wait_ns;
	}
	if (!ns || !in->g->vcpus)
		return -1;
	return (double)*wait_ns / ((double)ns * in->g->vcpus);
}

static bool rule_SHADOW_CONTENTION(const struct insight_in *in, char *m, size_t len)
{
	bool shadow = in->mmu == HOST_MMU_SHADOW || in->mmu == HOST_MMU_LEGACY_TDP;
	uint64_t wait;
	double share;

	if (!in->rounds || !in->g || !av(in)->lock_wait || !(shadow || nested(in)))
		return false;
	share = wait_share(in, &wait);
	if (share < CONTENTION_SHARE_MIN)
		return false;
	add(m, len, "mmu_lock contention: vCPUs waited %.1f%% of their time (%.2f s) for mmu_lock "
		    "over %u rounds of dirty logging, on the shadow MMU, whose faults take it for write",
	    100 * share, secs(wait), in->nrounds);
	if (in->mmu == HOST_MMU_SHADOW)
		add(m, len, "; -> enable EPT/NPT (kvm_intel.ept=Y, kvm_amd.npt=Y) with kvm.tdp_mmu=Y, "
			    "where the hardware has it");
	else if (in->mmu == HOST_MMU_LEGACY_TDP)
		add(m, len, "; -> set kvm.tdp_mmu=Y: the TDP MMU's faults take mmu_lock for read");
	else
		add(m, len, "; -> a nested guest's faults take the shadow MMU's path on any host: "
			    "nothing to switch in KVM");
	return true;
}

/* On the TDP MMU a vCPU's fault takes mmu_lock for read: what it waits for
 * is a writer, and during dirty logging that is the dirty log, which
 * write-protects (and splits) each harvested or cleared range under the
 * lock for write.  Real QEMU in the bed (7.3, 2026-12-07): a 1-vCPU guest
 * waited 21.5% of its time in its rounds behind 316 dirty-log write holds
 * of 0.22 ms on average, no one of them long enough for long-clear. */
static bool rule_DLOG_LOCK_WAITS(const struct insight_in *in, char *m, size_t len)
{
	const struct vm_stats *v = &in->run->vm;
	uint64_t wait, holds = v->hold_count[MMU_LOCK_WRITE][HOLDER_DIRTY_LOG];
	double share;

	if (!in->rounds || !in->g || !av(in)->lock_wait || in->mmu != HOST_MMU_TDP || nested(in))
		return false;
	share = wait_share(in, &wait);
	if (share < DLOG_WAIT_SHARE_MIN)
		return false;
	add(m, len, "vCPUs waited %.1f%% of their time (%.2f s) for mmu_lock over %u rounds, on the TDP MMU, "
		    "whose faults take it for read: behind its writers, the dirty log first", 100 * share,
	    secs(wait), in->nrounds);
	if (av(in)->lock_hold && holds)
		add(m, len, " (%llu dirty-log write holds, %.2f ms on average)", (unsigned long long)holds,
		    msecs(v->hold_ns[MMU_LOCK_WRITE][HOLDER_DIRTY_LOG] / holds));
	add(m, len, "; -> shorter write holds: smaller clear chunks (QEMU x-clear-bitmap-shift), or the "
		    "dirty ring, whose reset re-protects only the pages harvested");
	return true;
}

typedef bool rule_fn(const struct insight_in *in, char *msg, size_t len);

static rule_fn *const rules[NR_FINDINGS] = {
#define FINDING_RULE(id, ...) [FINDING_##id] = rule_##id,
	FINDINGS(FINDING_RULE)
#undef FINDING_RULE
};

unsigned int findings_eval(const struct insight_in *in, struct findings *out)
{
	unsigned int id;

	out->n = 0;
	for (id = 0; id < NR_FINDINGS; id++) {
		struct finding *f = &out->f[out->n];

		f->id = id;
		f->msg[0] = '\0';
		if (rules[id](in, f->msg, sizeof(f->msg)))
			out->n++;
	}
	return out->n;
}
