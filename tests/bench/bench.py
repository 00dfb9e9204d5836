#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench: what watching a migration costs the guest.

Runs dirtyvm with fixed parameters under each observer in turn, interleaved
(none, splittop, bpftrace, perf stat, perf record, none, splittop, ...), and
reports medians and the ratio to "none" from the same run for the first
dirty round (fault-heavy), a later round and enabling dirty logging.  Then
measures splittop itself: CPU time per minute of tracing with 1 and 16 VMs,
peak RSS, BPF map memory, time to start, and each BPF program's run time per
event (kernel.bpf_stats_enabled) in a separate run.

Writes results.md and results.csv to --out (default build/bench)."""
import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import bpf_fdinfo, bpf_map_bytes, rss_kib  # noqa: E402
OUT = os.path.join(ROOT, os.environ.get("OUT", "build"))
DIRTYVM = os.path.join(OUT, "dirtyvm")
SPLITTOP = os.path.join(OUT, "splittop")
BT_SCRIPT = os.path.join(HERE, "splittop-equivalent.bt")
EVENTS = "kvmmmu:kvm_mmu_spte_requested,kvmmmu:kvm_mmu_split_huge_page,lock:contention_begin,lock:contention_end"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def wait_file(path, needle, timeout, proc):
    """Until path contains needle (the observer is attached)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("observer exited early (%d): %s" % (proc.returncode, open(path).read()[-500:]))
        try:
            with open(path) as f:
                if needle in f.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise RuntimeError("observer not ready after %ss" % timeout)


class Observer:
    """Start a tracer, wait until it is attached, stop it with SIGINT."""

    def __init__(self, name, argv_fn, ready, tool):
        self.name, self.argv_fn, self.ready, self.tool = name, argv_fn, ready, tool
        self.proc = None

    def available(self):
        return self.tool is None or shutil.which(self.tool) is not None

    def start(self, tmp):
        if self.argv_fn is None:
            return
        self.out = os.path.join(tmp, self.name + ".out")
        argv = self.argv_fn(tmp)
        self.f = open(self.out, "w")
        self.proc = subprocess.Popen(argv, stdout=self.f, stderr=subprocess.STDOUT, preexec_fn=os.setpgrp)
        if isinstance(self.ready, str):
            wait_file(self.out, self.ready, 30, self.proc)
        else:
            time.sleep(self.ready)   # perf prints nothing until it ends
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited early: %s" % (self.name, open(self.out).read()[-500:]))

    def stop(self):
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.f.close()
        self.proc = None


def observers():
    return [
        Observer("none", None, None, None),
        Observer("splittop", lambda tmp: [SPLITTOP, "--csv", "-i", "1"], "time_unix_s,", None),
        Observer("bpftrace", lambda tmp: ["bpftrace", BT_SCRIPT], "Attaching", "bpftrace"),
        Observer("perf stat", lambda tmp: ["perf", "stat", "-a", "-e", EVENTS, "-o", os.path.join(tmp, "stat.txt")],
                 1.0, "perf"),
        Observer("perf record", lambda tmp: ["perf", "record", "-q", "-a", "-e", EVENTS, "-o",
                                              os.path.join(tmp, "perf.data")], 1.5, "perf"),
    ]


def dirtyvm(args):
    p = subprocess.run([DIRTYVM, "--json"] + args, capture_output=True, text=True, timeout=600)
    if p.returncode:
        raise RuntimeError("dirtyvm %s: %s" % (args, p.stderr[-500:]))
    s = json.loads(p.stdout.strip().splitlines()[-1])
    vm = s["vms"][0]
    return {"round1_s": vm["rounds"][0]["dirty_s"], "round3_s": vm["rounds"][2]["dirty_s"],
            "enable_s": vm["enable_s"]}


def ab_runs(config, args, reps, obs, tmp, rows):
    for rep in range(reps):
        for o in obs:
            o.start(tmp)
            try:
                r = dirtyvm(args)
            finally:
                o.stop()
            r.update(config=config, observer=o.name, rep=rep + 1)
            rows.append(r)
            log("  %-6s rep %d %-12s round1 %.4f s  round3 %.4f s  enable %.6f s"
                % (config, rep + 1, o.name, r["round1_s"], r["round3_s"], r["enable_s"]))


def self_cost(nvms, seconds, tmp):
    """splittop --csv -i 1 for `seconds` while nvms looping VMs run."""
    p = None
    vm = subprocess.Popen([DIRTYVM, "--loop", "--vms", str(nvms), "--vcpus", "1", "--mem", "32M",
                           "--name", "bench"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        out = os.path.join(tmp, "self-%d.csv" % nvms)
        if os.path.exists(out):
            os.unlink(out)      # a stale file would look like an instant start
        t0 = time.monotonic()
        p = subprocess.Popen([SPLITTOP, "--csv", "-i", "1", "-o", out])
        wait_file(out, "time_unix_s,", 30, p)
        ready = time.monotonic() - t0
        wait_file(out, ",interval,", 30, p)
        first_row = time.monotonic() - t0
        time.sleep(3)
        rss_early = rss_kib(p.pid)
        time.sleep(max(0, seconds - (time.monotonic() - t0) - 1))
        rss_late = rss_kib(p.pid)
        maps = bpf_map_bytes(p.pid)
        elapsed = time.monotonic() - t0
        p.send_signal(signal.SIGINT)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode:
            raise RuntimeError("splittop exited %d" % p.returncode)
        with open(out) as f:
            rows = [r for r in csv.DictReader(f) if r["scope"] == "total"]
        if len(rows) != nvms:
            raise RuntimeError("%d total rows for %d VMs" % (len(rows), nvms))
    finally:
        if p and p.poll() is None:
            p.kill()    # failed part way: leave no tracer behind
            p.wait()
        vm.send_signal(signal.SIGINT)
        vm.wait(timeout=60)
    cpu = ru.ru_utime + ru.ru_stime
    return {"vms": nvms, "seconds": elapsed, "cpu_s": cpu, "cpu_s_per_min": cpu / elapsed * 60,
            "cpu_pct_of_core": cpu / elapsed * 100, "maxrss_kib": ru.ru_maxrss,
            "rss_kib_at_5s": rss_early, "rss_kib_at_end": rss_late, "bpf_map_bytes": maps,
            "ready_s": ready, "first_row_s": first_row}


def prog_stats(args, tmp):
    """Per-program run time per event, from kernel.bpf_stats_enabled."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    out = os.path.join(tmp, "prof.csv")
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    p = None
    try:
        p = subprocess.Popen([SPLITTOP, "--csv", "-i", "1", "-o", out])
        wait_file(out, "time_unix_s,", 30, p)
        dirtyvm(args)
        mine = []
        for i in bpf_fdinfo(p.pid, "prog"):
            show = subprocess.run(["bpftool", "-j", "prog", "show", "id", i["prog_id"]],
                                  capture_output=True, text=True).stdout
            mine.append({"name": json.loads(show).get("name", "?") if show else "?",
                         "run_cnt": int(i.get("run_cnt", 0)), "run_time_ns": int(i.get("run_time_ns", 0))})
    finally:
        if p and p.poll() is None:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=60)
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    return [{"program": q.get("name", "?"), "events": q.get("run_cnt", 0),
             "ns_per_event": q["run_time_ns"] / q["run_cnt"] if q.get("run_cnt") else 0,
             "total_ms": q.get("run_time_ns", 0) / 1e6} for q in mine]


def syscall_cost(reps, tmp):
    """Host-wide cost of splittop's syscall filter: dd moving 1 byte at a
    time makes 2 syscalls per byte; timed alone and under splittop."""
    n = 1000000
    out = {"none": [], "splittop": []}
    obs = {o.name: o for o in observers()}
    for _ in range(reps):
        for name in ("none", "splittop"):
            obs[name].start(tmp)
            try:
                t0 = time.monotonic()
                subprocess.run(["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=%d" % n],
                               capture_output=True, check=True)
                out[name].append((time.monotonic() - t0) / (2 * n) * 1e9)
            finally:
                obs[name].stop()
    return {k: statistics.median(v) for k, v in out.items()}


def median(rows, config, obs, key):
    v = [r[key] for r in rows if r["config"] == config and r["observer"] == obs]
    return statistics.median(v) if v else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--self-seconds", type=float, default=60)
    ap.add_argument("--configs", default="light,heavy")
    ap.add_argument("--out", default=os.path.join(OUT, "bench"))
    a = ap.parse_args()
    if os.geteuid():
        sys.exit("make bench: needs root (BPF and /dev/kvm)")
    os.makedirs(a.out, exist_ok=True)
    ncpu = os.cpu_count()
    configs = {
        "light": ["--vcpus", "2", "--mem", "256M", "--rounds", "3"],
        "heavy": ["--vcpus", str(ncpu), "--mem", "1G", "--rounds", "3"],
    }
    obs = observers()
    notes = []
    for o in obs:
        if not o.available():
            notes.append("%s: not installed, skipped" % o.name)
    obs = [o for o in obs if o.available()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="splittop-bench.") as tmp:
        for config in a.configs.split(","):
            log("A/B: %s: dirtyvm %s, %d interleaved repetitions" % (config, " ".join(configs[config]), a.reps))
            ab_runs(config, configs[config], a.reps, obs, tmp, rows)
        log("splittop's own cost: 1 VM, then 16 VMs, %g s each" % a.self_seconds)
        selfc = [self_cost(1, a.self_seconds, tmp), self_cost(16, a.self_seconds, tmp)]
        log("syscall cost: dd bs=1, alone and under splittop")
        sysc = syscall_cost(a.reps, tmp)
        log("per-program run time (kernel.bpf_stats_enabled), light configuration")
        progs = prog_stats(configs["light"], tmp)

    with open(os.path.join(a.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["config", "observer", "rep", "round1_s", "round3_s", "enable_s"])
        w.writeheader()
        w.writerows(rows)
    kernel = platform.release()
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    md = ["## splittop overhead benchmark", "",
          "%s; kernel %s; %s, %d CPUs. Reproduce: `make bench` (`%s`)."
          % (datetime.date.today().isoformat(), kernel, cpu, ncpu, " ".join(["python3", "tests/bench/bench.py"] + sys.argv[1:])),
          "Medians of %d interleaved repetitions; ratio = median / median with no observer, same run." % a.reps, ""]
    for config in a.configs.split(","):
        md += ["### %s: `dirtyvm %s` (thp, get mode)" % (config, " ".join(configs[config])), "",
               "| observer | first dirty round | ratio | round 3 | ratio | enable dirty log | ratio |",
               "|---|---|---|---|---|---|---|"]
        base = {k: median(rows, config, "none", k) for k in ("round1_s", "round3_s", "enable_s")}
        for o in obs:
            cells = [o.name]
            for k in ("round1_s", "round3_s", "enable_s"):
                m = median(rows, config, o.name, k)
                cells += ["%.4f s" % m if k != "enable_s" else "%.1f us" % (m * 1e6), "%.3f" % (m / base[k])]
            md.append("| " + " | ".join(cells) + " |")
        md.append("")
    md += ["### splittop itself (`splittop --csv -i 1`, looping `dirtyvm --vcpus 1 --mem 32M` VMs)", "",
           "| VMs | traced for | CPU (user+sys) per minute | % of one core | peak RSS | RSS at 5 s / at end | BPF map memory | attached after | first row after |",
           "|---|---|---|---|---|---|---|---|---|"]
    for s in selfc:
        md.append("| %d | %.0f s | %.3f s | %.2f%% | %d KiB | %d / %d KiB | %d KiB | %.3f s | %.3f s |"
                  % (s["vms"], s["seconds"], s["cpu_s_per_min"], s["cpu_pct_of_core"], s["maxrss_kib"],
                     s["rss_kib_at_5s"], s["rss_kib_at_end"], s["bpf_map_bytes"] // 1024, s["ready_s"],
                     s["first_row_s"]))
    md += ["", "### Every other process's syscalls", "",
           "splittop filters every system call of the host for KVM ioctls. `dd if=/dev/zero of=/dev/null bs=1 count=1000000`"
           " (2 syscalls per byte), median of %d: %.0f ns per syscall alone, %.0f ns under splittop (+%.0f ns)."
           % (a.reps, sysc["none"], sysc["splittop"], sysc["splittop"] - sysc["none"])]
    md += ["", "### BPF programs, light configuration (kernel.bpf_stats_enabled, one run)", "",
           "| program | events | ns per event | total |", "|---|---|---|---|"]
    for p in sorted(progs, key=lambda p: -p["total_ms"]):
        md.append("| %s | %d | %.0f | %.2f ms |" % (p["program"], p["events"], p["ns_per_event"], p["total_ms"]))
    if notes:
        md += [""] + ["Note: " + n for n in notes]
    text = "\n".join(md) + "\n"
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "self.json"), "w") as f:
        json.dump({"self": selfc, "programs": progs, "syscall_ns": sysc}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
