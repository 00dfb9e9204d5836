# SPDX-License-Identifier: GPL-2.0-only
"""Guests backed by 1 GiB pages (dirtyvm --backing hugetlb1g), on the host
and in the bed's boot that reserves two of them on its kernel command line
(bed-1g/, tests/run.py).  Exact counts from KVM's own page counts and the
workload's arithmetic, per phase.

Where KVM offers its guests 1 GiB pages (pdpe1gb: the bed), dirtyvm's
page tables map the data with them and the TDP MMU maps each GiB with one
1 GiB SPTE (pages_1g = G).  Then, for G GiB and R rounds (one vCPU):
- eager splitting (get: inside the enable ioctl; clear: inside the first
  round's clears): each 1 GiB SPTE is split into 512 2 MiB ones, and each
  of those into 512 4 KiB ones: splits_1g = G, splits_2m = 512 G,
  splits_eager = 513 G (kvm_mmu_split_huge_page at level 3, then 2); no
  demotion; every write of a protected round a 4 KiB write-protect fault:
  faults_4k_wp = 262144 G x R (x (R - 1) in clear mode);
- lazily (eager_page_split=N), where the kernel's faults drop a protected
  huge mapping (6.1): the first write faults on the write-protected 1 GiB
  SPTE, which the fault zaps to map 4 KiB (faults_huge_wp = demotions_1g =
  G, no split), and the GiB's other 262143 pages fault in at 4 KiB, not
  present; faults_4k_wp = 262144 G x (R - 1);
- lazily where they split it in place (newer kernels, harness.
  lazy_faults_split): that first fault splits the 1 GiB SPTE into 512
  write-protected 2 MiB ones and the one it hit into 4 KiB ones; the first
  write to each other 2 MiB region splits that one: splits_1g = G,
  splits_2m = 512 G, all by fault, faults_huge_wp = 512 G, no demotion, and
  every other write of the round a 4 KiB write-protect fault: faults_4k_wp
  = 511 x 512 G + 262144 G x (R - 1);
- faults_nonpresent also has G populate faults (one per GiB), the guest's
  page tables (pages_4k before logging) and 2 MMIO SPTEs, as with 2 MiB.
Where KVM offers no 1 GiB pages (this project's shadow-MMU host), the guest
maps 2 MiB pages, the shadow MMU maps no more than the guest does, and the
2 MiB arithmetic of test_splittop holds with 512 regions per GiB."""
from harness import kernel, lazy_faults_split, vm_test
from test_splittop import check_vm, mmio_sptes, traced_dirtyvm

GIB_4K = 512 * 512      # 4 KiB pages in 1 GiB


def run_1g(*args):
    totals, rows, s = traced_dirtyvm("--backing", "hugetlb1g", "--vcpus", 1, "--mem", "1G", *args,
                                     splittop_args=("--json",))
    assert len(totals) == 1, totals
    return totals[0], s, s["vms"][0]


def check_1g(t, s, vm, lazy):
    """The arithmetic above, for 1 GiB guest pages on the TDP MMU."""
    g = s["params"]["vcpus"] * s["params"]["mem_per_vcpu_mib"] // 1024
    rounds = s["params"]["rounds"]
    clear = s["params"]["mode"] == "clear"
    assert s["guest_page"] == "1G" and kernel()["mmu"] == "tdp", (s["guest_page"], kernel())
    before = vm["before"]
    assert before["pages_1g"] == g and before["pages_2m"] == 0, vm
    base = g + before["pages_4k"] + mmio_sptes(s)
    if lazy and lazy_faults_split():
        want = {"splits_1g": g, "splits_2m": 512 * g, "splits_eager": 0, "splits_fault": 513 * g,
                "demotions_1g": 0, "demotions_2m": 0, "faults_huge_wp": 512 * g, "faults_nonpresent": base,
                "faults_4k_wp": 511 * 512 * g + GIB_4K * g * (rounds - 1)}
        assert vm["enabled"]["pages_1g"] == g, vm
    elif lazy:
        want = {"splits_1g": 0, "splits_2m": 0, "splits_eager": 0, "splits_fault": 0, "demotions_1g": g,
                "demotions_2m": 0, "faults_huge_wp": g, "faults_nonpresent": base + (GIB_4K - 1) * g,
                "faults_4k_wp": GIB_4K * g * (rounds - 1)}
        # Logging on keeps the 1 GiB SPTE (write-protected); the first round
        # drops it.
        assert vm["enabled"]["pages_1g"] == g, vm
    else:
        want = {"splits_1g": g, "splits_2m": 512 * g, "splits_eager": 513 * g, "splits_fault": 0, "demotions_1g": 0,
                "demotions_2m": 0, "faults_huge_wp": 0, "faults_nonpresent": base,
                "faults_4k_wp": GIB_4K * g * (rounds - 1 if clear else rounds)}
        op = "clear" if clear else "enable"
        assert t["detail"]["dirty_log"][op]["splits"] == 513 * g, t["detail"]["dirty_log"]
        if not clear:
            # Split inside the enable ioctl: every page at 4 KiB already.
            assert vm["enabled"]["pages_1g"] == 0, vm
            assert vm["enabled"]["pages_4k"] == before["pages_4k"] + GIB_4K * g, vm
    want.update(split_errors=0, faults_other=0)
    for k, n in want.items():
        assert t[k] == n, (k, t[k], n, t)
    # After the first protected round every page is a 4 KiB mapping.
    for r in vm["rounds"][1 if clear else 0:]:
        assert {k: r["after"][k] for k in ("pages_4k", "pages_2m", "pages_1g")} == \
            {"pages_4k": before["pages_4k"] + GIB_4K * g, "pages_2m": 0, "pages_1g": 0}, r
    k = vm["kvm_faults"]
    assert t["faults"] == k["pf_fixed"] + k["pf_spurious"] + k["pf_mmio_spte_created"], (t, k)
    assert t["faults"] == sum(t["faults_" + c] for c in ("huge_wp", "nonpresent", "4k_wp", "other")), t


def check(t, s, vm, lazy):
    if s["guest_page"] == "2M":
        # No 1 GiB pages offered (this host): 2 MiB all through.
        assert vm["before"]["pages_1g"] == 0 and vm["before"]["pages_2m"] == s["regions_2m"] == 512, vm
        assert t["splits_1g"] == t["demotions_1g"] == 0, t
        check_vm(t, s, vm)
        return
    check_1g(t, s, vm, lazy)


# One protected round where one shows what splits and what faults (each
# round of 1 GiB is 262144 faults, about 45 s under the bed's emulation);
# clear mode needs two, its first round being unprotected.
@vm_test(huge_1g=True)
def test_1g_backed_vm_eager_get():
    t, s, vm = run_1g("--rounds", 1)
    check(t, s, vm, lazy=not kernel()["eager"])


@vm_test(huge_1g=True)
def test_1g_backed_vm_lazy_demotion():
    # The shadow MMU splits nothing eagerly for a guest's own memory (and its
    # kvm module may not let eager_page_split change): lazy as it is.  Two
    # rounds: the second one's writes all fault on 4 KiB mappings, whatever
    # the first did to the 1 GiB one.
    t, s, vm = run_1g("--rounds", 2, *(("--eager-split", "N") if kernel()["mmu"] != "shadow" else ()))
    check(t, s, vm, lazy=True)


@vm_test(huge_1g=True)
def test_1g_backed_vm_eager_clear():
    t, s, vm = run_1g("--rounds", 2, "--mode", "clear")
    check(t, s, vm, lazy=not kernel()["eager"])
