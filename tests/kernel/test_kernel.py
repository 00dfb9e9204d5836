# SPDX-License-Identifier: GPL-2.0-only
"""The stock-kernel tier: one boot of Debian's kernel (TDP MMU, eager page
splitting, KVM as a module) under emulation, the same splittop binary, exact
numbers.  Run by `make test-kernel` and, as part of `make test`, by
tests/run.py (it boots once, runs tests/kernel/scenarios.sh and checks
every scenario)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as kernel_tier   # noqa: E402

# The kernel of the matrix this tier boots (tests/run.py sets it).
KERNEL = "stock"
_result = None


def booted():
    """Boot once per test run; every test reads the same results."""
    global _result
    if _result is None:
        _result = kernel_tier.boot(kernel=KERNEL)
    return _result


def scenario(name):
    r = booted()
    assert r["rc"].get(name) == 0, "scenario %s: exit %s\n%s\n%s" % (
        name, r["rc"].get(name), r["files"].get(name + ".out", "")[-2000:], r["files"].get(name + ".json", "")[-500:])
    lines = kernel_tier.json_lines(r["files"][name + ".json"])
    host = lines[0]
    total = [vm for l in lines if l["type"] == "total" for vm in l["vms"]]
    out = [l for l in r["files"][name + ".out"].splitlines() if l.startswith("{")]
    summary = json.loads(out[-1])
    assert len(total) == len(summary["vms"]), (total, summary)
    return host, total, summary


def common(total, summary):
    """What holds in every scenario: the workload's own arithmetic."""
    g = summary["regions_2m"]
    rounds = summary["params"]["rounds"]
    for t, vm in zip(total, summary["vms"]):
        assert vm["before"]["pages_2m"] == g, vm
        assert t["faults_nonpresent"] >= g + summary["system_pages"], t
        assert t["dirty_log_enables"] == 1 and t["dirty_log_disables"] == 1, t
        assert t["dirty_log_gets"] == rounds, t
        assert t["split_errors"] == 0, t
        assert t["vcpus"] == summary["params"]["vcpus"], t


def test_kernel_boots_with_tdp_mmu_and_svm():
    r = booted()
    assert {"svm", "npt"} <= r["cpu"], r["cpu"]
    assert r["param"].get("tdp_mmu") == "Y" and r["param"].get("eager_page_split") == "Y", r["param"]
    assert r["rc"].get("sources") == 0, r["files"].get("sources.out")
    src = dict(l.split(None, 1) for l in r["files"]["sources.out"].splitlines()[1:])
    assert "mmu tdp" in r["files"]["sources.out"].splitlines()[0], r["files"]["sources.out"]
    # One binary, two kernels: the same CO-RE object loads against module BTF.
    # Nothing per fault in mmu_lock: faults at kvm_mmu_page_fault (a kprobe:
    # never preempted), new tables in it (bpf/faults_outside.bpf.h).
    assert src["faults"] == "kprobe/kvm_mmu_page_fault,kvm_mmu_get_page,kvm_userspace_exit", src
    assert src["splits"] == "tp_btf/kvm_mmu_split_huge_page", src
    assert src["kvm_ioctls"] == "kprobe/kvm_vcpu_ioctl,kvm_vm_ioctl,kvm_dev_ioctl", src
    assert src["fast_faults"] == "tracepoint/kvmmmu/fast_page_fault", src
    # Function probes are allowed here: the precision tier is on, but for
    # the lock holds, whose programs run inside every rwlock's critical
    # sections: those only when asked for (the scenarios that check them).
    assert src["mmu_lock_hold"].startswith("off by default: it runs inside every rwlock's critical sections"), src
    assert src["fault_latency"] == "fentry/kvm_mmu_page_fault", src


def test_kernel_without_kvm_loaded_says_so():
    r = booted()
    assert r["rc"].get("nokvm") == 1, r["rc"]
    assert "KVM is not in this kernel, or its module is not loaded" in r["files"]["nokvm.out"], r["files"]["nokvm.out"]


def check_eager(name):
    host, total, s = scenario(name)
    common(total, s)
    g = s["regions_2m"]
    for t, vm in zip(total, s["vms"]):
        d = t["detail"]
        # Every region split once, eagerly, by the thread enabling dirty logging.
        assert t["splits_2m"] == g and t["splits_eager"] == g and t["splits_fault"] == 0, t
        assert d["dirty_log"]["enable"]["splits"] == g, d["dirty_log"]
        assert vm["enabled"]["pages_2m"] == 0, vm["enabled"]
        assert t["demotions_2m"] == 0 and t["faults_huge_wp"] == 0, t
        # After the split every page is mapped 4K and write-protected: each
        # round's writes are 4K write faults, fixed on KVM's fast path.
        assert t["faults_4k_wp"] == g * 512 * s["params"]["rounds"], t
    return total, s


def test_kernel_eager_split_thp():
    check_eager("eager_thp")


def test_kernel_eager_split_hugetlb():
    total, _ = check_eager("eager_hugetlb")
    # The same faults as with thp: each region once, plus the guest's pages
    # NPT maps by themselves (its code, parameters and page tables).
    _, thp, _ = scenario("eager_thp")
    assert total[0]["faults_nonpresent"] == thp[0]["faults_nonpresent"], (total[0], thp[0])


def test_kernel_eager_split_2vcpus():
    total, s = check_eager("eager_2vcpus")
    t = total[0]
    assert sum(sum(v[k] for k in v if k.startswith("faults_")) for v in t["detail"]["vcpus"]) == t["faults"]


def test_kernel_clear_mode_splits_in_first_clear():
    host, total, s = scenario("clear")
    common(total, s)
    g = s["regions_2m"]
    t = total[0]
    d = t["detail"]["dirty_log"]
    # initially-all-set: enabling protects nothing; the first clear splits.
    assert d["enable"]["splits"] == 0, d
    assert t["splits_eager"] == g and d["clear"]["splits"] == g, (t, d)
    assert t["splits_fault"] == 0 and t["demotions_2m"] == 0, t


def test_kernel_lazy_split_by_faults():
    host, total, s = scenario("lazy")
    common(total, s)
    g = s["regions_2m"]
    t = total[0]
    assert s["params"]["eager_page_split"] == "N", s["params"]
    assert t["splits_eager"] == 0, t
    # This kernel zaps the huge mapping in the fault path (a demotion);
    # newer ones split it there (the tracepoint, from the vCPU): either way
    # every region is counted once.
    assert t["splits_fault"] + t["demotions_2m"] == g, t
    assert t["faults_huge_wp"] == g, t
    assert t["faults_4k_wp"] == g * 512 * (s["params"]["rounds"] - 1), t
    # The 511 other 4K pages of each demoted region fault in, on top of what
    # the same VM faults in without a demotion (the eager run: populate,
    # and the guest's system pages, which NPT maps by themselves).
    _, eager, _ = scenario("eager_thp")
    assert t["faults_nonpresent"] == eager[0]["faults_nonpresent"] + 511 * g, (t, eager[0])
    assert t["dirty_log_enables"] == 1 and t["detail"]["dirty_log"]["enable"]["splits"] == 0, t


def check_precision(t, s, elapsed_s):
    """Lock holds and fault latency: filled, and consistent with what else
    is measured of the same run."""
    d = t["detail"]
    hold, lat = d["mmu_lock_hold"], d["fault_latency"]
    assert t["mmu_lock_hold_ns"] > 0, t
    assert t["mmu_lock_hold_ns"] == sum(h["ns"] for m in hold.values() for h in m["holders"].values())
    # The columns by holder (the metric table) agree with the detail's
    # holders (written from the raw counters), and add up to the whole.
    by_holder = {h: t["mmu_lock_hold_%s_ns" % c] for h, c in
                 (("vcpu_fault", "fault"), ("memslot", "memslot"), ("dirty_log", "dirty_log"), ("other", "other"))}
    assert by_holder == {h: sum(m["holders"][h]["ns"] for m in hold.values()) for h in by_holder}, (by_holder, hold)
    assert sum(by_holder.values()) == t["mmu_lock_hold_ns"], (by_holder, t["mmu_lock_hold_ns"])
    assert by_holder["vcpu_fault"] > 0 and by_holder["memslot"] > 0, by_holder
    # Enabling dirty logging splits and write-protects under mmu_lock, and
    # disabling it zaps collapsible mappings, all for read on the TDP MMU:
    # those holds fit in the two ioctls.  The memslot ioctls that create the
    # VM's memslots (not dirty-log operations, so not timed) hold it for
    # write: a run once had them tip the sum of both modes over.
    memslot = hold["read"]["holders"]["memslot"]["ns"]
    ops = d["dirty_log"]["enable"]["ns"] + d["dirty_log"]["disable"]["ns"]
    assert 0 < memslot <= ops, (memslot, ops, hold)
    assert sum(m["holders"]["memslot"]["count"] for m in hold.values()) >= 1
    for m in hold.values():
        assert sum(m["hist_log2_ns"]) == sum(h["count"] for h in m["holders"].values()), m
    # Every fault splittop counts went through KVM's handler (plus the
    # guest's MMIO exits, which are page faults too); their time fits in
    # the time the vCPUs existed.
    assert lat["count"] >= t["faults"], (lat, t["faults"])
    assert sum(lat["hist_log2_ns"]) == lat["count"]
    assert 0 < lat["ns"] <= elapsed_s * 1e9 * t["vcpus"], (lat, elapsed_s)
    assert 0 < lat["p50_ns"] <= lat["p99_ns"]
    assert t["fault_latency_p99_ns"] == lat["p99_ns"]
    assert sum(v["fault_latency"]["count"] for v in d["vcpus"]) == lat["count"]


def total_line(name):
    lines = kernel_tier.json_lines(booted()["files"][name + ".json"])
    return [l for l in lines if l["type"] == "total"][0]


def test_kernel_lock_hold_and_fault_latency_fentry():
    for name in ("eager_thp", "eager_2vcpus", "lazy"):
        _, total, s = scenario(name)
        check_precision(total[0], s, total_line(name)["elapsed_s"])


def test_kernel_fault_latency_kprobe_same_count():
    _, total, s = scenario("kprobe")
    _, eager, _ = scenario("eager_thp")
    t = total[0]
    assert t["detail"]["fault_latency"]["count"] == eager[0]["detail"]["fault_latency"]["count"], (
        t["detail"]["fault_latency"], eager[0]["detail"]["fault_latency"])
    check_precision(t, s, total_line("kprobe")["elapsed_s"])


def test_kernel_precision_tier_can_be_turned_off():
    host, total, s = scenario("basic")
    src = {m["metric"]: m for m in host["sources"]}
    assert src["mmu_lock_hold"]["source"] is None and "turned off" in src["mmu_lock_hold"]["why"], src
    t = total[0]
    assert t["mmu_lock_hold_ns"] is None and t["fault_latency_p99_ns"] is None, t
    assert all(t["mmu_lock_hold_%s_ns" % h] is None for h in ("fault", "memslot", "dirty_log", "other")), t
    _, eager, _ = scenario("eager_thp")
    assert t["faults"] == eager[0]["faults"] and t["splits_eager"] == eager[0]["splits_eager"]
