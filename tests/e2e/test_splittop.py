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


def read_json(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def traced_dirtyvm(*args, interval="0.2", splittop_args=()):
    """splittop -- dirtyvm ...: (total rows, all rows, dirtyvm summary).
    With --json among splittop_args, rows are the JSON lines' VM objects."""
    as_json = "--json" in splittop_args
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        p = run([SPLITTOP, "-i", interval, "-o", out] + list(splittop_args) +
                ["--", DIRTYVM, "--json"] + [str(a) for a in args], timeout=600)
        assert p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr[-2000:])
        if as_json:
            lines = read_json(out)
            rows = [dict(vm, scope=l["type"], self=l["self"]) for l in lines if l["type"] != "host"
                    for vm in l["vms"]]
            rows.insert(0, lines[0])
        else:
            rows = read_csv(out)
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    totals = [r for r in rows if r.get("scope") == "total"]
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
    # No function probes on this kernel: unavailable (empty in CSV, null in
    # JSON), never zero.
    assert total["mmu_lock_hold_ns"] in ("", None) and total["fault_latency_p99_ns"] in ("", None), what


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
                         (["stray"], "unexpected argument"),
                         (["--source", "kvm_ioctls"], "METRIC=KIND"),
                         (["--source", "bogus=tp_btf"], "no such metric"),
                         (["--source", "census=tp_btf"], "single source"),
                         (["--source", "splits=uprobe"], "KIND is")):
        expect_usage_error([SPLITTOP] + args, needle)
    p = run([SPLITTOP, "--help"], timeout=10)
    assert p.returncode == 0 and "Usage: splittop" in p.stdout


def test_unwritable_output():
    need_kvm()
    p = run([SPLITTOP, "-c", "1", "-o", "/nonexistent/dir/x.csv"], timeout=30)
    assert p.returncode == 1 and "cannot write /nonexistent/dir/x.csv" in p.stderr, p.stderr
    p = run([SPLITTOP, "-c", "1", "-o", "/dev/full"], timeout=30)
    assert p.returncode == 1 and "writing output" in p.stderr, (p.returncode, p.stderr)


def test_json_same_exact_counts_and_detail():
    need_kvm()
    totals, rows, s = traced_dirtyvm("--vcpus", 2, "--mem", "64M", "--rounds", 3,
                                     splittop_args=("--json",))
    host = rows[0]
    assert host["type"] == "host" and host["mmu"] in ("shadow", "tdp", "legacy-tdp"), host
    sources = {m["metric"]: m for m in host["sources"]}
    assert sources["faults"]["source"] == "tp_btf/kvm_mmu_spte_requested,fast_page_fault", sources
    assert sources["mmu_lock_hold"]["source"] is None and sources["mmu_lock_hold"]["why"], sources
    assert len(totals) == 1
    t = totals[0]
    check_vm(t, s, s["vms"][0])
    d = t["detail"]
    # Per-vCPU faults add up to the VM's, class by class; vCPU 0 took the 2 system pages.
    for cls in ("huge_wp", "nonpresent", "4k_wp", "other"):
        assert sum(v["faults_" + cls] for v in d["vcpus"]) == t["faults_" + cls], cls
    g = s["regions_2m"] // 2
    assert [v["faults_huge_wp"] for v in d["vcpus"]] == [g, g], d["vcpus"]
    assert [v["faults_nonpresent"] for v in d["vcpus"]] == [g + 2 + 511 * g, g + 511 * g]
    lock = d["mmu_lock"]
    assert lock["read_waits"] + lock["write_waits"] == t["mmu_lock_waits"] > 0
    assert sum(lock["wait_hist_log2_ns"]) == t["mmu_lock_waits"]
    assert 0 < lock["wait_p50_ns"] <= lock["wait_p99_ns"]
    assert d["dirty_log"]["get"]["count"] == 3 and d["dirty_log"]["enable"]["count"] == 1
    assert 0 < d["dirty_log"]["get"]["last_ns"] <= d["dirty_log"]["get"]["ns"]
    assert t["self"] == {"vm_table_full": 0, "unattributed_faults": 0, "unattributed_splits": 0,
                         "task_storage_fail": 0, "rmap_read_fail": 0}, t["self"]


def test_raw_tracepoints_same_exact_counts():
    need_kvm()
    totals, rows, s = traced_dirtyvm("--vcpus", 2, "--mem", "64M", "--rounds", 2,
                                     splittop_args=("--json", "--raw-tracepoints"))
    sources = {m["metric"]: m["source"] for m in rows[0]["sources"]}
    assert sources["mmu_lock_wait"] == "raw_tp/contention_begin,contention_end", sources
    assert sources["splits"] == "raw_tp/kvm_mmu_split_huge_page", sources
    check_vm(totals[0], s, s["vms"][0])
    assert totals[0]["mmu_lock_waits"] > 0


def test_ioctls_from_raw_syscalls_same_exact_counts():
    """The fallback for KVM ioctls (raw_syscalls via tp_btf) counts the same."""
    need_kvm()
    totals, rows, s = traced_dirtyvm("--vcpus", 2, "--mem", "64M", "--rounds", 2,
                                     splittop_args=("--json", "--source", "kvm_ioctls=tp_btf"))
    sources = {m["metric"]: m["source"] for m in rows[0]["sources"]}
    assert sources["kvm_ioctls"] == "tp_btf/sys_enter,sys_exit", sources
    check_vm(totals[0], s, s["vms"][0])


def test_source_not_offered_is_an_error():
    need_kvm()
    p = run([SPLITTOP, "--source", "faults=raw_tp", "--list-sources"], timeout=60)
    assert p.returncode == 1 and "faults=raw_tp: not a source of this metric" in p.stderr, p


def test_works_without_tracefs_and_mounts_nothing():
    """tracefs unmounted (in a private mount namespace, so the host keeps
    its own): the ioctl tracepoints are still used, counts stay exact, and
    splittop leaves no tracefs mount behind."""
    need_kvm()
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.csv")
        script = ("umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null;"
                  " grep -c tracefs /proc/self/mounts;"
                  " %s --list-sources | grep kvm_ioctls;"
                  " %s -i 0.2 -o %s -- %s --json --vcpus 1 --mem 64M --rounds 2 || exit 9;"
                  " grep -c tracefs /proc/self/mounts") % (SPLITTOP, SPLITTOP, out, DIRTYVM)
        p = run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], timeout=300)
        assert p.returncode == 1, (p.returncode, p.stderr)   # the last grep -c finds none
        lines = p.stdout.splitlines()
        assert lines[0] == "0" and lines[-1] == "0", lines
        assert "tracepoint/syscalls/sys_enter_ioctl" in lines[1], lines
        summary = json.loads(lines[-2])
        totals = [r for r in read_csv(out) if r["scope"] == "total"]
    check_vm(totals[0], summary, summary["vms"][0])


def test_list_sources():
    need_kvm()
    p = run([SPLITTOP, "--list-sources"], timeout=60)
    assert p.returncode == 0, p.stderr
    lines = dict(l.split(None, 1) for l in p.stdout.splitlines()[1:])
    assert lines["faults"] == "tp_btf/kvm_mmu_spte_requested,fast_page_fault", lines
    assert lines["kvm_ioctls"] == "tracepoint/syscalls/sys_enter_ioctl,syscalls/sys_exit_ioctl", lines
    assert lines["census"] == "iter/task_file"
    assert lines["mmu_lock_hold"].startswith("function probes refused by this kernel"), lines
    assert lines["fault_latency"].endswith("kprobes: not in this kernel"), lines


def test_max_vms_overflow_is_counted_and_tracked_vm_stays_exact():
    need_kvm()
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.json")
        p = run([SPLITTOP, "--json", "--max-vms", "1", "-i", "0.2", "-o", out, "--", DIRTYVM,
                 "--json", "--vms", "3", "--vcpus", "1", "--mem", "16M", "--rounds", "2",
                 "--name", "many"], timeout=300)
        assert p.returncode == 0, p.stderr
        lines = read_json(out)
    s = json.loads(p.stdout.strip().splitlines()[-1])
    total = lines[-1]
    assert "2 VMs not tracked: more than --max-vms 1" in p.stderr, p.stderr
    assert total["self"]["vm_table_full"] == 2, total["self"]
    assert [v["vm"] for v in total["vms"]] == ["many"], total["vms"]
    check_vm(total["vms"][0], s, s["vms"][0])


def test_vm_filter():
    need_kvm()
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.csv")
        script = ("%s --vcpus 1 --mem 16M --rounds 1 --name keep >/dev/null & "
                  "%s --vcpus 1 --mem 16M --rounds 1 --name drop >/dev/null & wait" % (DIRTYVM, DIRTYVM))
        p = run([SPLITTOP, "-i", "0.2", "--vm", "keep", "-o", out, "--", "sh", "-c", script], timeout=300)
        assert p.returncode == 0, p.stderr
        rows = read_csv(out)
    assert {r["vm"] for r in rows} == {"keep"}, rows
    total = [r for r in rows if r["scope"] == "total"]
    assert len(total) == 1 and int(total[0]["faults_huge_wp"]) == 8, total


def test_odd_vm_name_keeps_csv_and_json_valid():
    need_kvm()
    name = 'we,ird "vm"\nline2'
    for fmt in ("--csv", "--json"):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            p = run([SPLITTOP, fmt, "-i", "0.2", "-o", out, "--", DIRTYVM, "--vcpus", "1",
                     "--mem", "8M", "--rounds", "1", "--name", name], timeout=120)
            assert p.returncode == 0, p.stderr
            if fmt == "--csv":
                names = [r["vm"] for r in read_csv(out) if r["scope"] == "total"]
            else:
                names = [v["vm"] for v in read_json(out)[-1]["vms"]]
        assert names == [name], (fmt, names)


def test_not_root_says_which_capabilities():
    need_kvm()
    import shutil
    if not shutil.which("setpriv"):
        from harness import Skip
        raise Skip("needs setpriv (util-linux)")
    p = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SPLITTOP, "-c", "1"],
            timeout=30)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)" in p.stderr, p.stderr
