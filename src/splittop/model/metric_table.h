/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The metric table: every number splittop shows, once.  Each METRIC() line
 * gives, in order:
 *   id          COL_<id> in enum column
 *   name        the CSV column and JSON key; NULL: the live view only
 *   help        what it counts, for --listen's HELP lines
 *   rate, total the live view's headers (rates; totals, with t); NULL: not
 *               shown in that view (rate NULL: in neither)
 *   width       view cells (the name column's minimum)
 *   prio        0 first: which view columns stay on a narrow screen
 *   pos         the view's column order
 *   unit, kind  how it is written; counter (per second in the view, summed
 *               by the interval) or gauge (a value at the end of it)
 *   group       the sources it needs (enum metric_group)
 *   present     whether there is a value, given the group is available
 *   value       the value, from: c (the scope's counts: an interval's deltas
 *               or the run's totals), run (the run's totals), g (gauges),
 *               wmax (the longest mmu_lock wait of the scope), pid
 * CSV and JSON take the named ones in this order: append new ones at the end.
 */
#define METRIC_TABLE(METRIC)										\
	METRIC(VCPUS, "vcpus", "vCPUs the VM has (KVM's online_vcpus)", "VCPU", "VCPU", 4, 8, 2, U_PLAIN, GAUGE, G_ALWAYS, 1, g->vcpus)		\
	METRIC(MEM_MIB, "mem_mib", "guest memory in the VM's memslots", "MEM", "MEM", 5, 9, 3, U_MIB, GAUGE, G_ALWAYS, 1,			\
	       g->mem_pages * 4096 >> 20)								\
	METRIC(DIRTY_LOGGING, "dirty_logging", "1 while any memslot of the VM is dirty-logged", "DLOG", "DLOG", 4, 2, 4, U_BOOL, GAUGE, G_ALWAYS,	\
	       g->memslots_dirty >= 0, g->memslots_dirty > 0)						\
	METRIC(SPLITS_2M, "splits_2m", "2 MiB mappings KVM split into 4 KiB ones (kvm_mmu_split_huge_page)", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_SPLITS, 1,		\
	       c->vm.splits[SPLIT_2M][CAUSE_EAGER] + c->vm.splits[SPLIT_2M][CAUSE_FAULT])		\
	METRIC(SPLITS_1G, "splits_1g", "1 GiB mappings KVM split", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_SPLITS, 1,		\
	       c->vm.splits[SPLIT_1G][CAUSE_EAGER] + c->vm.splits[SPLIT_1G][CAUSE_FAULT])		\
	METRIC(SPLITS_EAGER, "splits_eager", "huge mappings split eagerly, by the thread that enables dirty logging or clears the dirty log", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_SPLITS, 1,	\
	       c->vm.splits[SPLIT_2M][CAUSE_EAGER] + c->vm.splits[SPLIT_1G][CAUSE_EAGER])		\
	METRIC(SPLITS_FAULT, "splits_fault", "huge mappings split lazily, in a vCPU's page fault", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_SPLITS, 1,	\
	       c->vm.splits[SPLIT_2M][CAUSE_FAULT] + c->vm.splits[SPLIT_1G][CAUSE_FAULT])		\
	METRIC(SPLIT_ERRORS, "split_errors", "huge page splits that failed", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_SPLITS, 1,	\
	       c->vm.split_errors)									\
	METRIC(DEMOTIONS_2M, "demotions_2m", "2 MiB mappings a vCPU fault dropped to map 4 KiB in their place", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_FAULTS, 1,	\
	       c->demotions[SPLIT_2M])									\
	METRIC(DEMOTIONS_1G, "demotions_1g", "1 GiB mappings a vCPU fault dropped to map smaller pages", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_FAULTS, 1,	\
	       c->demotions[SPLIT_1G])									\
	METRIC(FAULTS, "faults", "page faults that reached KVM's mapping step", "FAULT/s", "FAULTS", 8, 6, 11, U_COUNT, COUNTER, G_FAULTS, 1,		\
	       sum_u64(c->faults, FAULT_CLASSES))							\
	METRIC(FAULTS_HUGE_WP, "faults_huge_wp", "write faults on a write-protected huge mapping", "HWP/s", "HWP", 7, 14, 12, U_COUNT, COUNTER,		\
	       G_FAULTS, 1, c->faults[FAULT_HUGE_WP])							\
	METRIC(FAULTS_NONPRESENT, "faults_nonpresent", "faults on guest memory with no mapping", "NP/s", "NP", 7, 15, 13, U_COUNT, COUNTER,	\
	       G_FAULTS, 1, c->faults[FAULT_NONPRESENT])						\
	METRIC(FAULTS_4K_WP, "faults_4k_wp", "write faults on a write-protected 4 KiB mapping", "4KWP/s", "4KWP", 7, 16, 14, U_COUNT, COUNTER,		\
	       G_FAULTS, 1, c->faults[FAULT_4K_WP])							\
	METRIC(FAULTS_OTHER, "faults_other", "faults of any other kind", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_FAULTS, 1,	\
	       c->faults[FAULT_OTHER])									\
	METRIC(LOCK_WAITS, "mmu_lock_waits", "waits for kvm->mmu_lock, read or write", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_LOCK_WAIT, 1,	\
	       sum_u64(c->vm.lock_waits, MMU_LOCK_MODES))						\
	METRIC(LOCK_WAIT_NS, "mmu_lock_wait_ns", "time spent waiting for kvm->mmu_lock, over mmu_lock_waits_timed waits", "WAIT/s", "WAIT", 7, 7, 15, U_NS, COUNTER,		\
	       G_LOCK_WAIT, 1, sum_u64(c->vm.lock_wait_ns, MMU_LOCK_MODES))				\
	METRIC(LOCK_WAIT_MAX_NS, "mmu_lock_wait_max_ns", "longest kvm->mmu_lock wait", "WMAX", "WMAX", 7, 17, 16, U_NS, GAUGE,	\
	       G_LOCK_WAIT, 1, wmax)									\
	METRIC(LOCK_HOLD_NS, "mmu_lock_hold_ns", "time kvm->mmu_lock was held (function probes)", NULL, NULL, 0, 0, 0, U_NS, COUNTER, G_LOCK_HOLD, 1,	\
	       sum_u64(&c->vm.hold_ns[0][0], MMU_LOCK_MODES * LOCK_HOLDERS))				\
	METRIC(FAULT_LAT_P99_NS, "fault_latency_p99_ns", "99th percentile of KVM's page fault handling time (upper bound of its log2 bucket)", NULL, NULL, 0, 0, 0, U_NS, GAUGE,		\
	       G_FAULT_LATENCY, 1, hist_quantile_ns(c->vm.fault_lat_hist, ST_HIST_BUCKETS, 0.99))	\
	METRIC(DLOG_ENABLES, "dirty_log_enables", "memslot updates that turned dirty logging on", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,		\
	       G_DLOG_TOGGLE, 1, c->vm.dlog_count[DLOG_ENABLE])						\
	METRIC(DLOG_ENABLE_NS, "dirty_log_enable_ns", "time spent in memslot updates that turned dirty logging on", NULL, NULL, 0, 0, 0, U_NS, COUNTER,		\
	       G_DLOG_TOGGLE, 1, c->vm.dlog_ns[DLOG_ENABLE])						\
	METRIC(DLOG_DISABLES, "dirty_log_disables", "memslot updates that turned dirty logging off", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,		\
	       G_DLOG_TOGGLE, 1, c->vm.dlog_count[DLOG_DISABLE])					\
	METRIC(DLOG_GETS, "dirty_log_gets", "successful KVM_GET_DIRTY_LOG calls", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_DLOG, 1,		\
	       c->vm.dlog_count[DLOG_GET])								\
	METRIC(DLOG_GET_NS, "dirty_log_get_ns", "time spent in KVM_GET_DIRTY_LOG", NULL, NULL, 0, 0, 0, U_NS, COUNTER, G_DLOG, 1,		\
	       c->vm.dlog_ns[DLOG_GET])									\
	METRIC(DLOG_CLEARS, "dirty_log_clears", "successful KVM_CLEAR_DIRTY_LOG calls", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_DLOG, 1,	\
	       c->vm.dlog_count[DLOG_CLEAR])								\
	METRIC(DLOG_CLEAR_NS, "dirty_log_clear_ns", "time spent in KVM_CLEAR_DIRTY_LOG", NULL, NULL, 0, 0, 0, U_NS, COUNTER, G_DLOG, 1,	\
	       c->vm.dlog_ns[DLOG_CLEAR])								\
	METRIC(PAGES_4K, "pages_4k", "guest memory KVM maps with 4 KiB pages (KVM's own count)", "4K", "4K", 7, 20, 20, U_COUNT, GAUGE, G_PAGES, 1, g->pages[0])	\
	METRIC(PAGES_2M, "pages_2m", "guest memory KVM maps with 2 MiB pages (KVM's own count)", "2M", "2M", 6, 21, 21, U_COUNT, GAUGE, G_PAGES, 1, g->pages[1])	\
	METRIC(PAGES_1G, "pages_1g", "guest memory KVM maps with 1 GiB pages (KVM's own count)", "1G", "1G", 5, 22, 22, U_COUNT, GAUGE, G_PAGES, 1, g->pages[2])	\
	/* The live view only. */									\
	METRIC(NAME, NULL, NULL, "NAME", "NAME", 10, 0, 0, U_NAME, GAUGE, G_ALWAYS, 1, 0)			\
	METRIC(PID, NULL, NULL, "PID", "PID", 7, 1, 1, U_PLAIN, GAUGE, G_ALWAYS, 1, pid)			\
	METRIC(SPLITS, NULL, NULL, "SPLIT/s", "SPLITS", 8, 3, 8, U_COUNT, COUNTER, G_SPLITS, 1,		\
	       sum_u64(&c->vm.splits[0][0], SPLIT_SIZES * SPLIT_CAUSES))				\
	/* Beside the rates only: the totals view's SPLITS is the same number. */		\
	METRIC(SPLITS_RUN, NULL, NULL, "SPL.TOT", NULL, 8, 13, 9, U_COUNT, GAUGE, G_SPLITS, 1,		\
	       sum_u64(&run->vm.splits[0][0], SPLIT_SIZES * SPLIT_CAUSES))				\
	METRIC(DEMOTIONS, NULL, NULL, "DEMOT/s", "DEMOTS", 8, 5, 10, U_COUNT, COUNTER, G_FAULTS, 1,		\
	       sum_u64(c->demotions, SPLIT_SIZES))							\
	METRIC(ENABLE_LAST_NS, NULL, NULL, "ENABLE", "ENABLE", 7, 18, 17, U_NS, GAUGE, G_DLOG_TOGGLE,	\
	       run->vm.dlog_count[DLOG_ENABLE] > 0, g->dlog_last_ns[DLOG_ENABLE])			\
	/* A VMM gets (and clears) the log in one call, clears it in chunks, or		\
	 * resets its dirty rings: whichever this VM does. */						\
	METRIC(CLEAR_LAST_NS, NULL, NULL, "CLEAR", "CLEAR", 7, 19, 18, U_NS, GAUGE, G_DLOG,			\
	       run->vm.dlog_count[clear_op(run)] > 0, g->dlog_last_ns[clear_op(run)])			\
	METRIC(HUGE_PPM, NULL, NULL, "HUGE%", "HUGE%", 6, 12, 19, U_PPM, GAUGE, G_PAGES,			\
	       mapped_4k(g) > 0, huge_ppm(g))								\
	/* mmu_lock held, read or write, by what the holder was doing (enum lock_holder). */	\
	METRIC(LOCK_HOLD_FAULT_NS, "mmu_lock_hold_fault_ns", "kvm->mmu_lock hold time of vCPUs in KVM_RUN", NULL, NULL, 0, 0, 0, U_NS, COUNTER,	\
	       G_LOCK_HOLD, 1, c->vm.hold_ns[0][HOLDER_FAULT] + c->vm.hold_ns[1][HOLDER_FAULT])	\
	METRIC(LOCK_HOLD_MEMSLOT_NS, "mmu_lock_hold_memslot_ns", "kvm->mmu_lock hold time of memslot updates", NULL, NULL, 0, 0, 0, U_NS, COUNTER,	\
	       G_LOCK_HOLD, 1, c->vm.hold_ns[0][HOLDER_MEMSLOT] + c->vm.hold_ns[1][HOLDER_MEMSLOT])	\
	METRIC(LOCK_HOLD_DIRTY_LOG_NS, "mmu_lock_hold_dirty_log_ns", "kvm->mmu_lock hold time of KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG", NULL, NULL, 0, 0, 0, U_NS,	\
	       COUNTER, G_LOCK_HOLD, 1,								\
	       c->vm.hold_ns[0][HOLDER_DIRTY_LOG] + c->vm.hold_ns[1][HOLDER_DIRTY_LOG])		\
	METRIC(LOCK_HOLD_OTHER_NS, "mmu_lock_hold_other_ns", "kvm->mmu_lock hold time of anything else (MMU notifiers, other threads)", NULL, NULL, 0, 0, 0, U_NS, COUNTER,	\
	       G_LOCK_HOLD, 1, c->vm.hold_ns[0][HOLDER_OTHER] + c->vm.hold_ns[1][HOLDER_OTHER])	\
	METRIC(DLOG_RESETS, "dirty_log_resets", "successful KVM_RESET_DIRTY_RINGS calls", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER, G_DLOG, 1,	\
	       c->vm.dlog_count[DLOG_RESET])								\
	METRIC(DLOG_RESET_NS, "dirty_log_reset_ns", "time spent in KVM_RESET_DIRTY_RINGS", NULL, NULL, 0, 0, 0, U_NS, COUNTER, G_DLOG, 1,	\
	       c->vm.dlog_ns[DLOG_RESET])								\
	/* The waits mmu_lock_wait_ns covers: all with --exact-waits, else those	\
	 * of vCPU faults that went on to choose a mapping (each timed wait is	\
	 * one entry of the histogram). */						\
	METRIC(LOCK_WAITS_TIMED, "mmu_lock_waits_timed", "kvm->mmu_lock waits that mmu_lock_wait_ns covers", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,	\
	       G_LOCK_WAIT, 1, sum_u64(c->vm.lock_wait_hist, ST_HIST_BUCKETS))			\
	/* Eager splits by MMU (function probes on the two try_split functions):	\
	 * the shadow MMU's split the mappings of nested guests. */			\
	METRIC(SPLITS_SHADOW, "splits_shadow", "huge mappings the shadow MMU split eagerly (kvm_shadow_mmu_try_split_huge_pages: nested guests' memory)", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,	\
	       G_SPLIT_MMU, 1, c->vm.splits_mmu[MMU_SHADOW])					\
	METRIC(SPLITS_TDP, "splits_tdp", "huge mappings the TDP MMU split eagerly (kvm_tdp_mmu_try_split_huge_pages)", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,	\
	       G_SPLIT_MMU, 1, c->vm.splits_mmu[MMU_TDP])					\
	METRIC(NESTED, "nested", "1 while KVM shadows a nested guest's page tables for the VM (its indirect shadow pages, on a host with EPT/NPT)", NULL, NULL, 0, 0, 0, U_BOOL, GAUGE, G_PAGES,	\
	       g->nested >= 0, g->nested > 0)								\
	/* Dirty-log rounds (bpf/rounds.bpf.h): a round's pages count when its	\
	 * harvest is complete, in the interval the next harvest begins in. */	\
	METRIC(DIRTY_PAGES, "dirty_pages", "4 KiB pages the VM's dirty-log harvests handed its VMM (rounds ended)", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,	\
	       G_DLOG, 1, c->vm.dirty_pages)							\
	METRIC(DIRTY_ROUNDS, "dirty_rounds", "dirty-log rounds ended (one harvest of the dirty log each)", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,	\
	       G_DLOG, 1, c->vm.dirty_rounds)							\
	/* Answers (model/insight.c, docs/insight.md): the latest migration's. */	\
	METRIC(DIRTY_RATE, "dirty_rate_bytes_per_second", "bytes the VM dirtied per second in its latest dirty-log round", "DIRTY/s", "DIRTY/s", 8, 11, 7, U_BYTES_S, GAUGE,	\
	       G_DLOG, ins && ins->conv.dirty_rate >= 0, ins ? ins->conv.dirty_rate : 0)		\
	METRIC(COPY_RATE, "copy_rate_bytes_per_second", "the VMM's copy rate as the latest rounds imply it (what each round sent: the round before's dirty set)", NULL, NULL, 0, 0, 0, U_BYTES_S, GAUGE,	\
	       G_DLOG, ins && ins->conv.copy_rate >= 0, ins ? ins->conv.copy_rate : 0)		\
	METRIC(ROUNDS_LEFT, "rounds_left", "rounds until the dirty set fits the downtime budget (0: it fits now); empty when not converging or not known", NULL, NULL, 0, 0, 0, U_PLAIN, GAUGE,	\
	       G_DLOG, ins && (ins->conv.state == CONV_CONVERGING || ins->conv.state == CONV_FITS),	\
	       ins && ins->conv.state == CONV_CONVERGING ? ins->conv.rounds_left : 0)		\
	METRIC(CONVERGE, "converging", "1 while the latest migration converges (or its dirty set fits the downtime budget), 0 when it does not; empty when not known", "CONV", "CONV", 6, 4, 5, U_CONV, GAUGE,	\
	       G_DLOG, ins && ins->conv.state != CONV_UNKNOWN, conv_value(ins))			\
	METRIC(LOST_FAULT_NS, "lost_fault_ns", "vCPU time in page faults during dirty-log rounds (timed faults: function probes)", NULL, NULL, 0, 0, 0, U_NS, COUNTER,	\
	       G_FAULT_LATENCY, 1, c->vm.round_fault_ns)						\
	METRIC(LOST_WAIT_NS, "lost_wait_ns", "vCPU time waiting for kvm->mmu_lock during dirty-log rounds (a lower bound of lost_fault_ns)", NULL, NULL, 0, 0, 0, U_NS, COUNTER,	\
	       G_LOCK_WAIT, 1, c->vm.round_wait_ns)						\
	METRIC(LOST_PPM, "lost_ppm", "share of vCPU time the latest dirty-log round lost to page faults, in parts per million (a lower bound from mmu_lock waits where faults are not timed)", "LOST%", "LOST%", 6, 10, 6, U_PPM, GAUGE,	\
	       G_DLOG, ins && ins->lost.share >= 0, ins ? ins->lost.share * 1e6 : 0)		\
	METRIC(PML_FULL, "pml_full_exits", "exits because a vCPU's page-modification log filled (Intel PML): KVM then marks the pages the CPU logged dirty", NULL, NULL, 0, 0, 0, U_COUNT, COUNTER,	\
	       G_PML, 1, c->vm.pml_full)								\
	METRIC(FINDINGS, "findings_firing", "findings about the VM that fire now (docs/insight.md; JSON lists them under findings)", NULL, NULL, 0, 0, 0, U_PLAIN, GAUGE,	\
	       G_ALWAYS, ins != NULL, ins ? ins->found.n : 0)
