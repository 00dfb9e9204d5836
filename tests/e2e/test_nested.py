# SPDX-License-Identifier: GPL-2.0-only
"""Nested guests (dirtyvm --nested): the passes run in an L2 guest of a
minimal SVM hypervisor, so KVM maps their memory with its shadow MMU (the
nested MMU) even where L1 runs on the TDP MMU: the path of the series
"Extend Eager Page Splitting to the shadow MMU".  Exact counts against the
workload's arithmetic and KVM's own statistics, in get and clear modes.

On a host whose KVM offers no nested SVM (this project's shadow-MMU hosts
are Intel) dirtyvm --nested must say so and exit 1: that is what the host
copy of each test checks; the bed's boots (kvm_amd nested=1) run them."""
import errno
import os

from harness import DIRTYVM, kernel, mem, run, vm_test
from test_splittop import CHUNK_PAGES, check_faults_against_kvm, eager_splits, traced_dirtyvm


def nested_svm():
    """Whether this KVM runs dirtyvm --nested: KVM_GET_SUPPORTED_CPUID
    offers SVM with nested paging.  Asked of dirtyvm itself, which checks
    before making a VM."""
    p = run([DIRTYVM, "--nested", "--vcpus", "1", "--mem", "2M", "--passes", "0", "--rounds", "0"], timeout=120)
    if p.returncode == 1 and "needs nested SVM" in p.stderr:
        return False
    assert p.returncode == 0, (p.returncode, p.stderr)
    return True


def expected_nested(summary, vm):
    """The arithmetic of one nested VM (100% writes).  L2 writes through
    L1's 2 MiB nested page tables, so KVM's nested MMU maps each region of
    L2 memory with one 2 MiB SPTE, as the TDP MMU does for L1 memory.  With
    eager splitting (TDP MMU, eager_page_split=Y) the shadow MMU splits
    each of them inside the enable ioctl (get) or the first clear (clear);
    otherwise (eager_page_split=N, or tdp_mmu=N: 6.1 splits eagerly only
    with the TDP MMU) the first protected write to each region faults on the
    write-protected 2 MiB SPTE, which KVM drops, and the region's other 511
    pages fault in at 4K.  The system pages (L1's and L2's code, page
    tables, VMCB) are KVM's to count: see check_nested."""
    g = summary["regions_2m"]
    rounds = summary["params"]["rounds"]
    clear = summary["params"]["mode"] == "clear"
    first = 2 if clear else 1
    pages = g * 512
    want = {
        "faults_other": 0, "splits_1g": 0, "demotions_1g": 0,
        "dirty_log_enables": 1, "dirty_log_disables": 1, "dirty_log_gets": rounds,
        "dirty_log_clears": rounds * -(-pages // CHUNK_PAGES) if clear else 0,
        "vcpus": summary["params"]["vcpus"],
    }
    if eager_splits():
        want.update({"splits_2m": g, "splits_eager": g, "splits_fault": 0, "demotions_2m": 0,
                     "faults_huge_wp": 0, "faults_4k_wp": pages * (rounds - first + 1)})
    else:
        want.update({"splits_2m": 0, "splits_eager": 0, "split_errors": 0, "demotions_2m": g,
                     "faults_huge_wp": g, "faults_4k_wp": pages * (rounds - first)})
    return want


def check_nested(total, summary, vm):
    what = "%s vm %d" % (summary["params"], vm["vm"])
    g = summary["regions_2m"]
    assert summary["params"]["nested"] is True, summary["params"]
    # L2's regions are mapped huge before logging (KVM's own count).
    assert vm["before"]["pages_2m"] == g, (what, vm["before"])
    want = expected_nested(summary, vm)
    for key, n in want.items():
        assert int(total[key]) == n, "%s: %s = %s, want %d" % (what, key, total[key], n)
    # Every fault KVM's MMUs handled (L1's through the TDP MMU, L2's through
    # the nested MMU) was counted once, in one class.
    check_faults_against_kvm(total, summary, vm, what)
    assert int(total["faults"]) == sum(int(total[c]) for c in
                                       ("faults_huge_wp", "faults_nonpresent", "faults_4k_wp", "faults_other"))
    # Non-present: one per region to populate, 511 per demoted region, and
    # the system pages, no more than each vCPU's share of KVM's 4K mappings
    # before logging and the MMIO SPTEs.
    extra = int(total["faults_nonpresent"]) - g - 511 * int(total["demotions_2m"])
    assert 0 < extra <= summary["params"]["vcpus"] * (vm["before"]["pages_4k"] + 2), (what, total)
    # KVM's 2 MiB mappings of L2 memory: all gone by the end of the last round.
    assert vm["rounds"][-1]["after"]["pages_2m"] == 0, (what, vm)
    # Which MMU split (function probes): the shadow MMU, every split; the
    # TDP MMU maps none of L2's memory, so it splits none of it.
    if kernel()["sources"]["split_mmu"]:
        assert (int(total["splits_shadow"]), int(total["splits_tdp"])) == (want["splits_eager"], 0), (what, total)
    # Flagged: KVM shadows this VM's nested page tables.
    assert int(total["nested"]) == 1, (what, total["nested"])
    if eager_splits():
        # The split is inside the enable ioctl in get mode (512 4K SPTEs
        # per region at once), inside the first clears in clear mode.
        grew = vm["enabled"]["pages_4k"] - vm["before"]["pages_4k"]
        assert grew == (0 if summary["params"]["mode"] == "clear" else 512 * g), (what, vm)
        # The shadow MMU's split starts with empty split caches: it tops them
        # up with mmu_lock dropped and says so with -EAGAIN (traced as a failed
        # split), then retries; a retry is also what yielding the lock costs.
        # Nothing else fails.
        errs = total["detail"]["split_errno"]
        assert int(total["split_errors"]) >= 1, (what, total["split_errors"])
        assert errs == {str(errno.EAGAIN): int(total["split_errors"])}, (what, errs)


def nested_run(*args, splittop_args=("--json",)):
    if not nested_svm():
        # This host's KVM: said plainly, exit 1, no VM made.
        p = run([DIRTYVM, "--nested"] + [str(a) for a in args], timeout=120)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert "--nested needs nested SVM" in p.stderr and "summary" not in p.stdout, p.stderr
        return
    totals, _, s = traced_dirtyvm("--nested", *args, splittop_args=splittop_args)
    assert len(totals) == 1, totals
    check_nested(totals[0], s, s["vms"][0])


@vm_test(scope="mmu")
def test_nested_l2_get_exact():
    """Two vCPUs, each an L1 running its L2; get mode."""
    nested_run("--vcpus", 2, "--mem", mem(128), "--rounds", 2)


@vm_test(scope="mmu")
def test_nested_l2_clear_exact():
    """One vCPU; manual protect with initially-set: the split (or the
    demotions) move to the first clear's round.  Splits by MMU from the
    kprobe twins here, where the kernel has kprobes and allows probes."""
    args = ("--json",)
    if kernel()["sources"]["split_mmu"] and os.path.exists("/sys/bus/event_source/devices/kprobe"):
        args += ("--source", "split_mmu=kprobe")
    nested_run("--vcpus", 1, "--mem", mem(128), "--rounds", 3, "--mode", "clear", splittop_args=args)
