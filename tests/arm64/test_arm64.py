# SPDX-License-Identifier: GPL-2.0-only
"""The arm64 tier (issue #40): splittop cross-built for arm64, in the arm64
bed (Debian's arm64 kernel, its own KVM, under emulation), exact against
dirtyvm's arithmetic and the dirty bitmap it got, the kernel's count of KVM's stage-2 tables
(SecPageTables) and KVM's own mmio_exit_user, with eager splitting off
(arm64 KVM's default) and on (the VMM's chunk), with KVM_GET_DIRTY_LOG and
with manual protection's clears, two VMs, and attached to a running VM.
arm64 KVM keeps no fault or mapping counters (x86's pf_* and pages_*):
the workload's arithmetic and its bitmap are the ground truth here.

What the arithmetic says, per vCPU region of R 2 MiB blocks (P pages):
the first round whose writes meet write protection takes, with eager
splitting off, one permission fault on each block (a write-protected
block: KVM maps 4 KiB under an empty table, a demotion) and a translation
fault on each of its other 511 pages; with it on, the blocks were split
(one unlinked table each, at the enable, or at the first clear under
manual protection) and every write is a permission fault on a 4 KiB page;
every later round writes each page once after its protection, a 4 KiB
permission fault each.  With manual protection and initially-set bitmaps
the first round meets no protection at all (nothing is protected until
the first clear).  Each pass ends with one MMIO write (an abort KVM hands
to the VMM: other)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import arm64_tier   # noqa: E402

# The kernel this copy of the tier boots (tests/run.py sets it).
KERNEL = "6.12"
_result = None


def booted():
    global _result
    if _result is None:
        _result = arm64_tier.boot(KERNEL)
    return _result


def scenario(name):
    """splittop's total per VM, its JSON lines, and dirtyvm's summary."""
    r = booted()
    files = r["files"]
    assert r["rc"].get(name) == 0, "scenario %s: exit %s\n%s" % (name, r["rc"].get(name),
                                                                files.get(name + ".out", "")[-2000:])
    lines = arm64_tier.json_lines(files[name + ".json"])
    total = [vm for l in lines if l["type"] == "total" for vm in l["vms"]]
    summary = arm64_tier.json_lines(files[name + ".out"])[-1]
    return total, lines, summary


def expected_rounds(summary):
    """Per round: the classes the arithmetic gives it, from dirtyvm's own
    parameters (one VM's, all its vCPUs)."""
    p = summary["params"]
    regions, pages = summary["regions_2m"], summary["pages_written_per_round"]
    eager = p["eager_page_split"] == "Y"
    first = 2 if p["mode"] == "clear" else 1	# the first round that meets protection
    out = []
    for n in range(1, p["rounds"] + 1):
        if n < first:
            out.append({"faults_huge_wp": 0, "faults_nonpresent": 0, "faults_4k_wp": 0})
        elif n == first and not eager:
            out.append({"faults_huge_wp": regions, "faults_nonpresent": regions * 511, "faults_4k_wp": 0})
        else:
            out.append({"faults_huge_wp": 0, "faults_nonpresent": 0, "faults_4k_wp": pages})
    return out


def check_vm(t, vm, summary):
    """One VM of a whole run watched from its start: exact."""
    p = summary["params"]
    regions, eager = summary["regions_2m"], p["eager_page_split"] == "Y"
    got = [r for r in t["rounds"] if r["migration"] == 1]
    want = expected_rounds(summary)
    assert len(got) == p["rounds"], (len(got), t["rounds"])
    for n, (g, w, d) in enumerate(zip(got, want, vm["rounds"]), 1):
        assert {k: g[k] for k in w} == w, ("round %d" % n, g, w)
        # Each round's dirty pages are the bitmap dirtyvm got, page for page
        # in number, and what it wrote.
        assert g["dirty_pages"] == d["dirty_pages"] == summary["pages_written_per_round"], (n, g, d)
        assert d["missing_pages"] == 0, d
        # Time lost in faults (kvm_handle_guest_abort's, fentry/fexit): in
        # the pass alone, so within the vCPUs' time in it by dirtyvm's clock.
        if any(w.values()):
            assert g["lost_kind"] == "fault-time" and 0 < g["lost_ns"], (n, g)
            assert g["lost_ns"] <= p["vcpus"] * d["dirty_s"] * 1e9 * 1.01 + 1e6, (n, g, d)
        # One MMIO write per vCPU ends the round's pass: KVM's own count.
        assert g["faults_other"] == d["kvm_faults"]["mmio_exit_user"] == p["vcpus"], (n, g, d)
    # Splits: one per block, eager, where the VMM asked for it; else none,
    # and each block demoted once in the first protected round.
    assert t["splits_2m"] == t["splits_eager"] == (regions if eager else 0), t
    assert t["splits_fault"] == t["splits_1g"] == t["split_errors"] == 0, t
    assert t["demotions_2m"] == (0 if eager else regions) and t["demotions_1g"] == 0, t
    assert t["faults_huge_wp"] == sum(w["faults_huge_wp"] for w in want), t
    assert t["faults_4k_wp"] == sum(w["faults_4k_wp"] for w in want), t
    # Before logging: each block mapped by one translation fault, and the
    # two system pages (code, parameters); an abort KVM retried (its MMU
    # notifier ran meanwhile) fires again and counts again, so never fewer.
    populate = t["faults_nonpresent"] - sum(w["faults_nonpresent"] for w in want)
    assert populate >= regions + summary["system_pages"], (populate, t)
    assert populate <= regions + summary["system_pages"] + 2, ("retried aborts", populate, t)
    # MMIO: one per pass of each vCPU (the warm-up, the passes, the rounds),
    # as KVM counted them (its mmio_exit_user, over the whole run).
    assert t["faults_other"] == vm["kvm_faults"]["mmio_exit_user"] == p["vcpus"] * (1 + p["passes"] + p["rounds"]), \
        (t, vm["kvm_faults"])
    assert t["dirty_log_enables"] == t["dirty_log_disables"] == 1, t
    assert t["dirty_log_gets"] == p["rounds"], t
    assert t["dirty_log_clears"] == (p["rounds"] if p["mode"] == "clear" else 0), t
    # The kernel's own count of KVM's stage-2 tables (SecPageTables, read
    # by dirtyvm after folding the CPUs' deltas): one 4 KiB table per block
    # split (eager) or demoted (an empty table under the fault), all by the
    # end of the first protected round, none after.  Host-wide: with one
    # VM only (two VMs' tables mix).
    m = vm["migrations"][0]
    kb = [m["before"]["sec_pagetables_kb"]] + [r["after"]["sec_pagetables_kb"] for r in m["rounds"]]
    first = expected_rounds(summary).index(next(w for w in want if any(w.values()))) + 1
    if p["vms"] == 1:
        assert (kb[first] - kb[0]) == 4 * (t["splits_2m"] + t["demotions_2m"]), \
            ("SecPageTables", kb, t["splits_2m"], t["demotions_2m"])
        assert all(k == kb[first] for k in kb[first:]), ("SecPageTables after", kb)
    # arm64 KVM keeps no census of its mappings: unavailable, not zero.
    assert t["pages_4k"] is None and t["pages_2m"] is None and t["nested"] is None, t


def test_arm64_kvm_and_sources():
    r = booted()
    assert r["kvm"], r
    src = r["files"]["sources.out"]
    lines = dict(l.split(None, 1) for l in src.splitlines()[1:])
    print(src)
    # One MMU, and eager splitting each VM's own (no module parameter).
    assert "mmu arm64-stage2, eager_page_split per-vm" in src.splitlines()[0], src
    assert lines["faults"] == "tp_btf/kvm_guest_fault,kvm_mmio", lines
    assert lines["splits"] == "fentry/kvm_pgtable_stage2_create_unlinked", lines
    assert lines["kvm_ioctls"].startswith("kprobe/kvm_vcpu_ioctl"), lines
    assert lines["mmu_lock_wait"].startswith("tracepoint/lock/contention_begin"), lines
    assert lines["fault_latency"] in ("fentry/kvm_handle_guest_abort", "kprobe/kvm_handle_guest_abort"), lines
    assert lines["fast_faults"] == "kvm_guest_fault sees every fault: no fast path apart", lines
    assert "keeps no count of its mappings" in lines["census"], lines
    assert lines["pml_full"].startswith("no BTF for tracepoint kvm_pml_full"), lines


def test_arm64_get_eager_off():
    """And the finding: lazy splitting, with arm64's remedy (the VMM's
    chunk; x86's kvm.eager_page_split does not exist there)."""
    total, _, summary = scenario("get-lazy")
    check_vm(total[0], summary["vms"][0], summary)
    found = {f["name"]: f["message"] for f in total[0]["findings"]}
    print(found)
    assert "lazy-split" in found and "KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE" in found["lazy-split"], found
    assert "kvm.eager_page_split" not in found["lazy-split"], found


def test_arm64_get_eager_on():
    total, _, summary = scenario("get-eager")
    check_vm(total[0], summary["vms"][0], summary)
    assert "lazy-split" not in [f["name"] for f in total[0]["findings"]], total[0]["findings"]


def test_arm64_clear_eager_off():
    total, _, summary = scenario("clear-lazy")
    check_vm(total[0], summary["vms"][0], summary)


def test_arm64_clear_eager_on():
    total, _, summary = scenario("clear-eager")
    check_vm(total[0], summary["vms"][0], summary)


def check_life(t, vm, summary):
    """A cancelled migration, a second one, a pass with logging off after
    each: every round as the arithmetic says, and what KVM did to the
    blocks when logging stopped, from the faults of the passes after: a
    write permission fault per block (mapped back as a block: the next
    migration's first round meets blocks again) or one per page (left at
    4 KiB).  Returns which."""
    p = summary["params"]
    regions, pages = summary["regions_2m"], summary["pages_written_per_round"]
    eager = p["eager_page_split"] == "Y"
    first = {"faults_huge_wp": 0, "faults_nonpresent": 0, "faults_4k_wp": pages} if eager else \
        {"faults_huge_wp": regions, "faults_nonpresent": regions * 511, "faults_4k_wp": 0}
    later = {"faults_huge_wp": 0, "faults_nonpresent": 0, "faults_4k_wp": pages}
    want = {(1, 1): first, (2, 1): first, (2, 2): later}
    got = {(r["migration"], r["round"]): r for r in t["rounds"]}
    assert sorted(got) == sorted(want), sorted(got)
    for k, w in want.items():
        assert {f: got[k][f] for f in w} == w, (k, got[k], w)
        assert got[k]["dirty_pages"] == pages, got[k]
    assert [m["cancelled"] for m in vm["migrations"]] == [True, False], vm["migrations"]
    assert t["splits_eager"] == (2 * regions if eager else 0) and t["demotions_2m"] == (0 if eager else 2 * regions), t
    after = t["faults_4k_wp"] - sum(w["faults_4k_wp"] for w in want.values())
    assert after in (2 * regions, 2 * pages), ("the passes after logging", after, t)
    assert t["faults_huge_wp"] == sum(w["faults_huge_wp"] for w in want.values()), t
    return "rebuilt-at-write" if after == 2 * regions else "kept"


def test_arm64_whole_life():
    """With eager splitting off and on; both find the blocks rebuilt by the
    first write after logging stops (6.12 and 7.2 alike)."""
    for name in ("life-lazy", "life-eager"):
        total, _, summary = scenario(name)
        stopped = check_life(total[0], summary["vms"][0], summary)
        print("%s: when logging stops, blocks %s" % (name, stopped))
        assert stopped == "rebuilt-at-write", stopped


def test_arm64_two_vms():
    total, _, summary = scenario("two-vms")
    assert len(total) == 2 and total[0]["pid"] == total[1]["pid"], total
    for t, vm in zip(total, summary["vms"]):
        check_vm(t, vm, summary)


def test_arm64_attached_to_a_running_vm():
    """splittop started while dirtyvm loops: its VM found, and each round
    that began and ended in the window as exact as from the start."""
    total, lines, summary = scenario("attach")
    # dirtyvm stopped by SIGINT: 130, its summary so far printed.
    assert booted()["rc"].get("attach-dirtyvm") == 130, booted()["files"].get("attach.out", "")[-1000:]
    assert [t["vm"] for t in total] == ["looper"], total
    pages = summary["pages_written_per_round"]
    # A round after a migration's first began at a harvest splittop saw
    # (the first round seen may have begun before it started; a later
    # migration's first follows passes with logging off, whose mappings
    # KVM may or may not have rebuilt as blocks).
    whole = [r for r in total[0]["rounds"] if r["round"] > 1]
    for r in whole:
        assert r["faults_4k_wp"] == pages and r["faults_huge_wp"] == r["faults_nonpresent"] == 0, r
        assert r["dirty_pages"] == pages and r["faults_other"] == summary["params"]["vcpus"], r
    print("attach: %d rounds watched whole of %d" % (len(whole), len(total[0]["rounds"])))
    assert len(whole) >= 2, total[0]["rounds"]
