# SPDX-License-Identifier: GPL-2.0-only
"""splittop end to end: the real BPF programs on the real kernel, real
dirtyvm VMs, exact counts from the CSV 'total' rows against the workload's
arithmetic and KVM's own statistics."""
import csv
import io
import json
import os
import tempfile

from harness import (DIRTYVM, SPLITTOP, expect_usage_error, need_kvm, run, spawn, stop,
                     wait_for_line)

CHUNK_PAGES = (64 << 20) // 4096   # dirtyvm clears the dirty log 64 MiB at a time


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def traced_dirtyvm(*args, interval="0.2"):
    """splittop -- dirtyvm ...: (total rows, all rows, dirtyvm summary)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.csv")
        p = run([SPLITTOP, "-i", interval, "-o", out, "--", DIRTYVM, "--json"] +
                [str(a) for a in args], timeout=600)
        assert p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr[-2000:])
        rows = read_csv(out)
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    totals = [r for r in rows if r["scope"] == "total"]
    return totals, rows, summary


def expected(summary, vm):
    """The workload's arithmetic (100% writes) for one VM."""
    g = summary["regions_2m"]
    rounds = summary["params"]["rounds"]
    clear = summary["params"]["mode"] == "clear"
    # get: enabling dirty logging write-protects everything, round 1 demotes.
    # clear (initially-all-set): the first KVM_CLEAR_DIRTY_LOG protects, round 2 demotes.
    first = 2 if clear else 1
    pages = g * 512
    return {
        "demotions_2m": g,
        "faults_huge_wp": g,
        # populate maps each region with one 2M fault; the guest's 2 system
        # pages; then the 511 other 4K pages of each demoted region.
        "faults_nonpresent": g + summary["system_pages"] + 511 * g,
        "faults_4k_wp": 512 * g * (rounds - first),
        "faults_other": 0,
        "dirty_log_enables": 1,
        "dirty_log_disables": 1,
        "dirty_log_gets": rounds,
        "dirty_log_clears": rounds * -(-pages // CHUNK_PAGES) if clear else 0,
        "splits_2m": 0, "splits_1g": 0, "split_errors": 0,   # shadow MMU: no eager splits
        "vcpus": summary["params"]["vcpus"],
        "mem_mib": summary["params"]["vcpus"] * summary["params"]["mem_per_vcpu_mib"] + 4,
    }


def check_vm(total, summary, vm):
    what = "%s vm %d" % (summary["params"], vm["vm"])
    assert vm["before"]["pages_2m"] == summary["regions_2m"], what
    for key, want in expected(summary, vm).items():
        assert int(total[key]) == want, "%s: %s = %s, want %d" % (what, key, total[key], want)
    # KVM's own count of 2M mappings dropped equals our demotions.
    assert int(total["demotions_2m"]) == vm["before"]["pages_2m"] - vm["rounds"][-1]["after"]["pages_2m"]
    assert int(total["faults"]) == sum(int(total[k]) for k in
                                       ("faults_huge_wp", "faults_nonpresent", "faults_4k_wp", "faults_other"))
    # Durations measured in the kernel fit inside dirtyvm's own timing of the same ioctls.
    assert 0 < int(total["dirty_log_get_ns"]) <= sum(r["get_s"] for r in vm["rounds"]) * 1e9 + 1e5, what
    assert 0 < int(total["dirty_log_enable_ns"]) <= vm["enable_s"] * 1e9 + 1e5, what
    if summary["params"]["mode"] == "clear":
        assert 0 < int(total["dirty_log_clear_ns"]) <= sum(r["clear_s"] for r in vm["rounds"]) * 1e9 + 1e5
    # No function probes on this kernel: unavailable, never zero.
    assert total["mmu_lock_hold_ns"] == "" and total["fault_latency_p99_ns"] == "", what


def test_exact_counts_2vcpus_thp_get():
    need_kvm()
    totals, rows, s = traced_dirtyvm("--vcpus", 2, "--mem", "256M", "--rounds", 3)
    assert len(totals) == 1, totals
    check_vm(totals[0], s, s["vms"][0])
    assert int(totals[0]["mmu_lock_waits"]) > 0, "2 vCPUs faulting contend on mmu_lock"
    assert int(totals[0]["mmu_lock_wait_ns"]) >= int(totals[0]["mmu_lock_wait_max_ns"]) > 0
    # Interval rows add up to the total row.
    for key in ("faults", "demotions_2m", "mmu_lock_waits", "dirty_log_gets"):
        assert sum(int(r[key]) for r in rows if r["scope"] == "interval") == int(totals[0][key]), key


def test_exact_counts_1vcpu_hugetlb_clear():
    need_kvm()
    totals, _, s = traced_dirtyvm("--vcpus", 1, "--mem", "128M", "--backing", "hugetlb",
                                  "--mode", "clear", "--rounds", 3)
    assert len(totals) == 1, totals
    check_vm(totals[0], s, s["vms"][0])


def test_exact_counts_4vcpus_thp_get_more_rounds():
    need_kvm()
    totals, _, s = traced_dirtyvm("--vcpus", 4, "--mem", "32M", "--rounds", 5)
    check_vm(totals[0], s, s["vms"][0])
    assert int(totals[0]["mmu_lock_waits"]) > 0


def test_two_vms_in_one_process_attributed_separately():
    need_kvm()
    totals, _, s = traced_dirtyvm("--vms", 2, "--vcpus", 1, "--mem", "64M", "--rounds", 2,
                                  "--name", "pair")
    assert sorted(r["vm"] for r in totals) == ["pair#0", "pair#1"], totals
    for t, vm in zip(sorted(totals, key=lambda r: r["vm"]), s["vms"]):
        check_vm(t, s, vm)


def test_two_processes_attributed_separately():
    need_kvm()
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.csv")
        script = ("%s --json --vcpus 1 --mem 32M --rounds 2 --name a > %s/a.json & "
                  "%s --json --vcpus 2 --mem 64M --rounds 3 --name b > %s/b.json & wait"
                  % (DIRTYVM, d, DIRTYVM, d))
        p = run([SPLITTOP, "-i", "0.2", "-o", out, "--", "sh", "-c", script], timeout=600)
        assert p.returncode == 0, p.stderr
        totals = {r["vm"]: r for r in read_csv(out) if r["scope"] == "total"}
        for name in ("a", "b"):
            with open(os.path.join(d, name + ".json")) as f:
                s = json.loads(f.read().strip().splitlines()[-1])
            check_vm(totals[name], s, s["vms"][0])
        assert totals["a"]["pid"] != totals["b"]["pid"]


def test_vm_started_before_splittop_is_seen():
    need_kvm()
    vm = spawn([DIRTYVM, "--loop", "--vcpus", "2", "--mem", "32M", "--name", "early"])
    try:
        wait_for_line(vm, "Disabling dirty logging time")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.csv")
            p = run([SPLITTOP, "-i", "0.3", "-c", "4", "-p", str(vm.pid), "-o", out], timeout=60)
            assert p.returncode == 0, p.stderr
            rows = read_csv(out)
    finally:
        stop(vm)
    totals = [r for r in rows if r["scope"] == "total"]
    assert [r["vm"] for r in totals] == ["early"], totals
    t = totals[0]
    assert int(t["vcpus"]) == 2 and int(t["mem_mib"]) == 68, t
    # It keeps cycling: faults and dirty-log operations were seen while we watched.
    assert int(t["faults"]) > 0 and int(t["dirty_log_gets"]) > 0, t
    assert len([r for r in rows if r["scope"] == "interval"]) == 4


def test_command_status_and_missing_command():
    need_kvm()
    p = run([SPLITTOP, "-c", "1", "-o", "/dev/null", "--", "sh", "-c", "exit 7"], timeout=60)
    assert p.returncode == 7, (p.returncode, p.stderr)
    p = run([SPLITTOP, "-o", "/dev/null", "--", "/nonexistent/cmd"], timeout=60)
    assert p.returncode == 127 and "cannot run '/nonexistent/cmd'" in p.stderr, (p.returncode, p.stderr)


def test_cli_bad_input():
    for args, needle in ((["-i", "0"], "--interval"), (["-i", "abc"], "--interval"),
                         (["-i", "-1"], "--interval"), (["-d", "0"], "--duration"),
                         (["-c", "0"], "--count"), (["-c", "x"], "--count"),
                         (["-p", "0"], "--pid"), (["-p", "abc"], "--pid"),
                         (["--max-vms", "0"], "--max-vms"), (["--max-vms", "99999"], "--max-vms"),
                         (["--vm", ""], "--vm"), (["--bogus"], "unknown option"),
                         (["-i"], "needs a value"), (["--"], "needs a command"),
                         (["stray"], "unexpected argument")):
        expect_usage_error([SPLITTOP] + args, needle)
    p = run([SPLITTOP, "--help"], timeout=10)
    assert p.returncode == 0 and "Usage: splittop" in p.stdout


def test_unwritable_output():
    need_kvm()
    p = run([SPLITTOP, "-c", "1", "-o", "/nonexistent/dir/x.csv"], timeout=30)
    assert p.returncode == 1 and "cannot write /nonexistent/dir/x.csv" in p.stderr, p.stderr
    p = run([SPLITTOP, "-c", "1", "-o", "/dev/full"], timeout=30)
    assert p.returncode == 1 and "writing output" in p.stderr, (p.returncode, p.stderr)
