#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench: what watching a migration costs the guest.

Runs dirtyvm with fixed parameters under each observer in turn, interleaved
(none, splittop, bpftrace, perf stat, perf record, none, splittop, ...), and
reports medians and the ratio to "none" from the same run for the first
dirty round (fault-heavy), a later round and enabling dirty logging.  Then
one table of ns per event (kernel.bpf_stats_enabled) of splittop's programs,
the bpftrace equivalent's on the same tracepoints and an empty program on
the fault tracepoint, interleaved on one workload (--only progs: that table
alone; whole-round ratios are noise where faults are slow, these are not).
Then measures splittop itself: CPU time per minute of tracing with 1 and 16
VMs, peak RSS, BPF map memory, time to start, and each BPF program's run
time per event in a separate run.

Writes results.md and results.csv to --out (default build/bench)."""
import argparse
import csv
import datetime
import json
import os
import platform
import re
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
from harness import bpf_map_bytes, rss_kib  # noqa: E402
import bpf_progs  # noqa: E402
OUT = os.path.join(ROOT, os.environ.get("OUT", "build"))
DIRTYVM = os.path.join(OUT, "dirtyvm")
SPLITTOP = os.path.join(OUT, "splittop")
FLOOR = os.path.join(OUT, "floor", "splittop")   # fault program returns at once (make bench builds it)

# The 16-vCPU round the contention configuration predicts (issue #14, measured
# on a 16-core machine with the same kind of kernel, shadow MMU): 16 vCPUs x
# 128 MiB thp, the first dirty round after enabling dirty logging, no observer.
REF_ROUND_S = 0.522
REF_FAULTS = 16 * 128 * 256          # every 4 KiB page faults once: 1024 huge wp + 1024 x 511 non-present
REF_WAITS = 1037939                  # mmu_lock waits counted in that round

# Where each event runs, from docs/sources.md ("Where each event runs"):
# the events whose programs run with a kvm->mmu_lock held (taken for write
# by every shadow-MMU and tdp_mmu=N fault, for read by TDP MMU faults), so
# that each of their ns is paid in series by every vCPU queued behind it.
# contention_end also runs for the rwlock's queue spinlock, whose holder is
# the next in line; fexit on a lock function runs once it is taken, fentry
# on an unlock before it is given back; the try_split functions run under
# the lock their callers took.  Every other attachment runs outside it.
LOCKED_EVENTS = {"kvm_mmu_spte_requested", "contention_end", "kvm_mmu_split_huge_page", "kvm_tdp_mmu_spte_changed",
                 "kvm_mmu_get_page",
                 "fexit/_raw_read_lock", "fexit/_raw_write_lock", "fentry/_raw_read_unlock",
                 "fentry/_raw_write_unlock", "kvm_shadow_mmu_try_split_huge_pages",
                 "kvm_tdp_mmu_try_split_huge_pages"}


def in_lock_programs(bpf_dir=os.path.join(ROOT, "bpf")):
    """The programs of bpf/*.h whose attachment (their SEC) is a locked
    event: read from the code, so a new program on a locked event is
    marked without anyone keeping a list of names."""
    progs = set()
    for name in sorted(os.listdir(bpf_dir)):
        with open(os.path.join(bpf_dir, name)) as f:
            text = f.read()
        for sec, prog in re.findall(r'SEC\("([^"]+)"\)\s*\n\s*int\s+(?:BPF_\w+\()?(\w+)', text):
            kind, _, event = sec.partition("/")
            event = event.split("/")[-1]
            if event in LOCKED_EVENTS or "%s/%s" % (kind, event) in LOCKED_EVENTS:
                progs.add(prog)
    return progs


IN_LOCK = in_lock_programs()
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


TRACEFS = "/sys/kernel/tracing"


def mount_tracefs():
    """bpftrace and perf find tracepoints in tracefs, which a fresh machine
    may not have mounted (splittop needs none).  Mount it if it is not:
    True if this run mounted it (and unmounts it at the end: the machine is
    left as it was), False if it was there; None if it cannot be had."""
    if os.path.isdir(os.path.join(TRACEFS, "events")):
        return False
    p = subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], capture_output=True, text=True)
    if p.returncode or not os.path.isdir(os.path.join(TRACEFS, "events")):
        return None
    return True


def observers():
    return [
        Observer("none", None, None, None),
        Observer("splittop", lambda tmp: [SPLITTOP, "--csv", "-i", "1"], "time_unix_s,", None),
        Observer("splittop --wait-sample 1", lambda tmp: [SPLITTOP, "--csv", "-i", "1", "--wait-sample", "1"],
                 "time_unix_s,", None),
        Observer("splittop --exact-waits", lambda tmp: [SPLITTOP, "--csv", "-i", "1", "--exact-waits"],
                 "time_unix_s,", None),
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
    return {"round1_s": vm["rounds"][0]["dirty_s"],
            "round3_s": vm["rounds"][2]["dirty_s"] if len(vm["rounds"]) > 2 else None,
            "enable_s": vm["enable_s"],
            "kvm_faults": sum(v.get("kvm_faults", {}).get("pf_fixed", 0) for v in s["vms"])}


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


def prog_stats(args, tmp, splittop=SPLITTOP, extra=(), totals=None):
    """Per-program run time per event, from kernel.bpf_stats_enabled.
    totals: a dict to fill with splittop's total row of the run (JSON)."""
    out = os.path.join(tmp, "prof.json")
    if os.path.exists(out):
        os.unlink(out)
    p = None
    with bpf_progs.bpf_stats():
        try:
            p = subprocess.Popen([splittop, "--json", "-i", "1", "-o", out] + list(extra))
            wait_file(out, '"type":"host"', 30, p)
            run = dirtyvm(args)
            mine = bpf_progs.process_progs(p.pid)
        finally:
            if p and p.poll() is None:
                p.send_signal(signal.SIGINT)
                p.wait(timeout=60)
    if totals is not None:
        with open(out) as f:
            vms = [vm for line in f for vm in json.loads(line).get("vms", [])
                   if json.loads(line)["type"] == "total"]
        if len(vms) != 1:
            raise RuntimeError("%d total rows for 1 VM" % len(vms))
        totals.update(vms[0], round1_s=run["round1_s"])
    return [{"program": q["program"], "events": q["events"],
             "ns_per_event": q["run_time_ns"] / q["events"] if q["events"] else 0,
             "total_ms": q["run_time_ns"] / 1e6} for q in mine]


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


def contention_runs(first, tmp, reps, modes):
    """Each mode's bpf_stats runs of the first dirty round, interleaved:
    {mode: [(programs, totals)]}."""
    runs = {name: [] for name, _, _ in modes}
    for rep in range(reps):
        for name, binary, extra in modes:
            t = {}
            progs = prog_stats(first, tmp, binary, extra, t)
            runs[name].append((progs, t))
            fault = next((p for p in progs if p["program"] in ("on_spte_requested", "on_fault_walk")), None)
            log("  contention rep %d %-26s %s %.0f ns, %s waits" % (
                rep + 1, name, fault["program"] if fault else "no fault program",
                fault["ns_per_event"] if fault else 0, t.get("mmu_lock_waits")))
    return runs


# The in-lock fault source, by name: the TDP MMU's default, shadow paging's
# opt-in (issue #39); its sampled waits end at its fault.
SPTE = ("--source", "faults=kvm_mmu_spte_requested")
IN_LOCK_TIER = "splittop " + " ".join(SPTE)
WALK = ("--source", "faults=kvm_mmu_pagetable_walk")
WALK_TIER = "splittop " + " ".join(WALK)


def default_costs(name, prog_ns, per_fault, w16, waits_per_fault):
    """The default's programs per fault from what ran: in the lock (each
    program's ns times its events per fault; contention_end's at the 16-vCPU
    round's waits per fault, scaled from this run's) and outside it (paid by
    each vCPU in parallel, before it queues)."""
    inside, outside, progs = 0.0, 0.0, {}
    for prog in prog_ns.progs(name):
        ns, rate = prog_ns(name, prog) or 0.0, per_fault(name, prog)
        if prog.startswith("on_contention_end") and waits_per_fault:
            rate *= w16 / waits_per_fault
        if prog in IN_LOCK:
            inside += ns * rate
            progs[prog] = ns * rate
        else:
            outside += ns * rate
    return inside, outside, progs


def predict(prog_ns, wait_ends, floor_ns, sample):
    """The in-lock tier's fault program's cost without a timed wait (base)
    and per timed wait (c), from its default sampling and --wait-sample 1,
    and each mode's in-lock ns per fault at the 16-vCPU round's waits per
    fault (see contention)."""
    ns_d, ns_1 = prog_ns(IN_LOCK_TIER, "on_spte_requested"), prog_ns(IN_LOCK_TIER + " --wait-sample 1", "on_spte_requested")
    r_d, r_1 = wait_ends(IN_LOCK_TIER, False), wait_ends(IN_LOCK_TIER + " --wait-sample 1", True)
    c = (ns_1 - ns_d) / (r_1 - r_d) if r_1 > r_d else 0.0
    base = ns_d - r_d * c
    w16 = REF_WAITS / REF_FAULTS
    ref_ns = REF_ROUND_S * 1e9 / REF_FAULTS
    fl = floor_ns or 0.0
    end_ns = (prog_ns(IN_LOCK_TIER + " --exact-waits", "on_contention_end_tp") or
              prog_ns(IN_LOCK_TIER + " --exact-waits", "on_contention_end") or 0.0)
    spte_x = prog_ns(IN_LOCK_TIER + " --exact-waits", "on_spte_requested") or 0.0
    preds = []
    for mode, raw, above in (
            (IN_LOCK_TIER + " (1 wait in %d timed)" % sample, base + w16 / sample * c, base - fl + w16 / sample * c),
            (IN_LOCK_TIER + " --wait-sample 1", base + w16 * c, base - fl + w16 * c),
            (IN_LOCK_TIER + " --exact-waits", spte_x + w16 * end_ns, spte_x - fl + w16 * max(0.0, end_ns - fl))):
        preds.append({"mode": mode, "in_lock_ns_per_fault": raw, "share_16": raw / ref_ns,
                      "in_lock_ns_per_fault_above_floor": above if floor_ns else None,
                      "share_16_above_floor": above / ref_ns if floor_ns else None})
    return base, c, r_d, r_1, w16, ref_ns, preds


def contention(args, tmp, reps):
    """Each program's cost per event in the first dirty round of the
    contention configuration (its faults are those of the 16-vCPU round the
    reference measured: one huge write-protect fault and 511 non-present
    per 2 MiB region), which of them run under mmu_lock, and the share of a
    16-vCPU round (REF_*) their in-lock time would take if that round were
    bound by mmu_lock: its critical sections back to back, each lengthened
    by the programs in it.  Medians of reps runs per mode, interleaved.

    The fault program's cost depends on how many of its faults end a timed
    wait, and this machine's waits per fault are not the 16-vCPU round's
    (REF_WAITS / REF_FAULTS): the default (1 wait in --wait-sample timed)
    and --wait-sample 1 (every vCPU wait timed) give two equations for the
    program's cost without a timed wait (base) and per timed wait (c).
    contention_end runs once per wait (--exact-waits), counted at the
    16-vCPU rate.  Two bounds: bpf_stats' ns (with its own clock reads), and
    that less the floor (an empty program on the same tracepoint)."""
    first = list(args)
    first[first.index("--rounds") + 1] = "1"
    modes = [("floor", FLOOR, SPTE), ("splittop", SPLITTOP, ()), (IN_LOCK_TIER, SPLITTOP, SPTE),
             (IN_LOCK_TIER + " --wait-sample 1", SPLITTOP, SPTE + ("--wait-sample", "1")),
             (IN_LOCK_TIER + " --exact-waits", SPLITTOP, SPTE + ("--exact-waits",))]
    # Shadow paging's walk, outside the lock, where the host offers it.
    if subprocess.run([SPLITTOP, "--list-sources"] + list(WALK), capture_output=True).returncode == 0:
        modes.append((WALK_TIER, SPLITTOP, WALK))
    if not os.path.exists(FLOOR):
        modes = modes[1:]
    runs = contention_runs(first, tmp, reps, modes)

    def prog_ns(name, prog):
        v = [p["ns_per_event"] for progs, _ in runs[name] for p in progs if p["program"] == prog and p["events"]]
        return statistics.median(v) if v else None
    prog_ns.progs = lambda name: sorted({p["program"] for ps, _ in runs[name] for p in ps if p["events"]})

    def per_fault(name, prog):
        v = [p["events"] / t["faults"] for progs, t in runs[name] for p in progs
             if p["program"] == prog and t.get("faults")]
        return statistics.median(v) if v else 0

    def total(name, key):
        return statistics.median([t[key] or 0 for _, t in runs[name]])

    sample = 16     # ST_WAIT_SAMPLE_DEFAULT
    floor_ns = prog_ns("floor", "on_spte_requested") if "floor" in runs else None

    def wait_ends(name, every):
        """Timed wait ends at the fault, per fault: the weighted count less
        what the weights added (a vCPU's first `sample` waits count 1)."""
        out = []
        for _, t in runs[name]:
            timed, vcpus = t["mmu_lock_waits_timed"] or 0, t["vcpus"]
            if not every:
                head = min(timed, sample * vcpus)
                timed = head + (timed - head) / sample
            out.append(timed / t["faults"])
        return statistics.median(out)

    base, c, r_d, r_1, w16, ref_ns, preds = predict(prog_ns, wait_ends, floor_ns, sample)
    waits_pf = statistics.median([t["mmu_lock_waits"] / t["faults"] for _, t in runs["splittop"] if t.get("faults")]
                                 or [0])
    for name in [n for n in (WALK_TIER, "splittop") if n in runs]:
        waits_pf = statistics.median([t["mmu_lock_waits"] / t["faults"] for _, t in runs[name] if t.get("faults")]
                                     or [0])
        inside, outside, inside_progs = default_costs(name, prog_ns, per_fault, w16, waits_pf)
        preds.insert(0, {"mode": name + (" (the default)" if name == "splittop" else ""),
                         "in_lock_ns_per_fault": inside, "share_16": inside / ref_ns,
                         "in_lock_ns_per_fault_above_floor": None, "share_16_above_floor": None,
                         "in_lock_programs": inside_progs, "out_of_lock_ns_per_fault": outside})
    # The sampling's error, measured: --exact-waits times every wait and
    # adds beside it what the default's sampling would have estimated.
    errors = []
    for _, t in runs[IN_LOCK_TIER + " --exact-waits"]:
        exact = t["mmu_lock_wait_ns"] or 0
        if exact:
            errors.append(t["detail"]["mmu_lock"]["wait_sampled_ns"] / exact - 1)
    table = [{"mode": name, "programs": {prog: {"in_lock": prog in IN_LOCK, "per_fault": per_fault(name, prog),
                                                "ns_per_event": prog_ns(name, prog)}
                                         for prog in sorted({p["program"] for ps, _ in runs[name] for p in ps
                                                             if p["events"]})},
              "faults": total(name, "faults"), "waits": total(name, "mmu_lock_waits"),
              "timed": total(name, "mmu_lock_waits_timed"), "round1_s": total(name, "round1_s")}
             for name in runs if name != "floor"]
    return {"args": first, "reps": reps, "floor_ns": floor_ns, "modes": table, "base_ns": base,
            "timed_wait_ns": c, "wait_ends_per_fault": {"default": r_d, "every": r_1},
            "predictions": preds, "ref_ns_per_fault": ref_ns, "ref_waits_per_fault": w16,
            "sample_errors": errors}


def prog_observers(compare):
    """The progs table's observers, in the order each rep runs them: an
    empty program (the floor build), splittop, the bpftrace equivalent,
    then any other splittop builds given as NAME=PATH."""
    obs = [Observer(bpf_progs.EMPTY, lambda tmp: [FLOOR, "--csv", "-i", "1"] + list(SPTE), "time_unix_s,", None),
           Observer("splittop", lambda tmp: [SPLITTOP, "--csv", "-i", "1"], "time_unix_s,", None),
           Observer("bpftrace", lambda tmp: ["bpftrace", BT_SCRIPT], "Attaching", "bpftrace")]
    for spec in compare:
        name, path = spec.split("=", 1)
        obs.append(Observer(name, lambda tmp, path=path: [path, "--csv", "-i", "1"], "time_unix_s,", None))
    notes = []
    if not os.path.exists(FLOOR):
        notes.append("progs: %s not built (make bench builds it), no empty program" % FLOOR)
    if not shutil.which("bpftrace"):
        notes.append("progs: bpftrace not installed, not in the table")
    return [o for o in obs if o.available() and (o.name != bpf_progs.EMPTY or os.path.exists(FLOOR))], notes


def progs_runs(args, reps, tmp, obs):
    """Each observer in turn on the same workload, reps times, with
    kernel.bpf_stats_enabled: a row per program per run."""
    rows = []
    with bpf_progs.bpf_stats():
        for rep in range(1, reps + 1):
            for o in obs:
                o.start(tmp)
                try:
                    bpf_progs.wait_attached(o.proc)
                    run = dirtyvm(args)
                    progs = bpf_progs.process_progs(o.proc.pid)
                finally:
                    o.stop()
                mine = bpf_progs.run_rows(o.name, rep, progs, run)
                log_progs_run(rep, o.name, mine)
                rows += mine
    return rows


def log_progs_run(rep, name, rows):
    fault = next((r for r in rows if r["tracepoint"] in bpf_progs.FAULT_TPS and r["events"]), None)
    other = rows and bpf_progs.foreign(rows[0])
    log("  progs rep %d %-24s %d programs, fault program %s%s" % (
        rep, name, len(rows), "%.0f ns per event" % fault["ns_per_event"] if fault else "did not run",
        ", %d faults of other VMs: left out" % rows[0]["other_faults"] if other else ""))


def median(rows, config, obs, key):
    v = [r[key] for r in rows if r["config"] == config and r["observer"] == obs]
    return statistics.median(v) if v else None


# Why each program that runs under mmu_lock is there: the report says it
# beside each in-lock program of a mode (issue #39: which remains, why).
IN_LOCK_WHY = [
    ("on_spte_requested", "per fault: the in-lock fault source, shadow paging's default because a wait can be "
     "timed only in the lock there, and it ends a sample of them in a program that runs anyway; a program at "
     "contention_end would run twice per fault in a lock-bound round (docs/sources.md)"),
    ("on_tdp_spte_changed", "per SPTE change of the in-lock source on a TDP MMU: its demotions"),
    ("on_contention_end", "once per contended acquisition, not per fault: times every wait"),
    ("on_new_table", "once per new page table (a huge mapping replaced), not per fault"),
    ("on_split", "once per split"),
    ("on_", "function probes (mmu_lock holds, which MMU split): by name or where the kernel offers them"),
]


def in_lock_why(prog):
    return next(why for prefix, why in IN_LOCK_WHY if prog.startswith(prefix))


def contention_md(cont):
    ref = cont["ref_ns_per_fault"]
    md = ["", "### mmu_lock contention: `dirtyvm %s` (its first dirty round), per program "
          "(kernel.bpf_stats_enabled, medians of %d runs per mode, interleaved)" % (" ".join(cont["args"]), cont["reps"]), "",
          "Floor (an empty program on kvm_mmu_spte_requested, same run): %s ns per event."
          % ("%.0f" % cont["floor_ns"] if cont["floor_ns"] is not None else "not built"), "",
          "| mode | program | under mmu_lock | per fault | ns per event |", "|---|---|---|---|---|"]
    for m in cont["modes"]:
        for prog, p in sorted(m["programs"].items(), key=lambda kv: -kv[1]["per_fault"] * (kv[1]["ns_per_event"] or 0)):
            md.append("| %s | %s | %s | %.3f | %.0f |" % (m["mode"], prog, "yes" if p["in_lock"] else "no",
                                                          p["per_fault"], p["ns_per_event"] or 0))
    md += ["", "Faults %s, mmu_lock waits per fault here: %s." % (
               ", ".join("%d" % m["faults"] for m in cont["modes"][:1]),
               ", ".join("%s %.2f" % (m["mode"], m["waits"] / m["faults"]) for m in cont["modes"] if m["faults"])),
           "The fault program: %.0f ns per event without a timed wait, %.0f ns more per wait it ends "
           "(timed wait ends per fault: %.4f by default, %.4f with --wait-sample 1)."
           % (cont["base_ns"], cont["timed_wait_ns"], cont["wait_ends_per_fault"]["default"],
              cont["wait_ends_per_fault"]["every"]), ""]
    if cont["sample_errors"]:
        md += ["The default's sampled wait time against the exact time of the same waits (--exact-waits runs): "
               + ", ".join("%+.1f%%" % (100 * e) for e in cont["sample_errors"]) + ".", ""]
    md += ["#### Predicted share of a 16-vCPU round (%d faults in %.3f s: %.0f ns per fault if mmu_lock-bound; "
           "%.2f waits per fault)" % (REF_FAULTS, REF_ROUND_S, ref, cont["ref_waits_per_fault"]), "",
           "| mode | in-lock ns per fault | share | above the floor: ns | share |", "|---|---|---|---|---|"]
    for m in cont["predictions"]:
        af = m["share_16_above_floor"]
        md.append("| %s | %.0f | %.1f%% | %s | %s |"
                  % (m["mode"], m["in_lock_ns_per_fault"], 100 * m["share_16"],
                     "%.0f" % m["in_lock_ns_per_fault_above_floor"] if af is not None else "-",
                     "%.1f%%" % (100 * af) if af is not None else "-"))
    for d in cont["predictions"]:
        if "in_lock_programs" not in d:
            continue
        md += ["", "%s: programs under mmu_lock, ns per fault at that round's waits: %s. Outside the lock "
               "(each vCPU pays them before it queues, in parallel with the others): %.0f ns per fault."
               % (d["mode"], ", ".join("%s %.1f" % kv for kv in sorted(d["in_lock_programs"].items())) or "none",
                  d["out_of_lock_ns_per_fault"])]
        md += ["- %s: %s" % (prog, in_lock_why(prog)) for prog in sorted(d["in_lock_programs"])]
    return md


AB_CONFIGS = ("light", "heavy", "contention")
SECTIONS = AB_CONFIGS + ("progs", "self")


def workloads():
    ncpu = os.cpu_count()
    return {
        "light": ["--vcpus", "2", "--mem", "256M", "--rounds", "3"],
        "heavy": ["--vcpus", str(ncpu), "--mem", "1G", "--rounds", "3"],
        # More vCPUs than CPUs, all faulting at once: mmu_lock contended.
        "contention": ["--vcpus", str(2 * ncpu), "--mem", "128M", "--rounds", "3"],
        # The per-program table: every kind of fault (the first round's huge
        # write-protect and non-present ones, the second's 4K write-protect
        # ones) and two harvests, in about a second of faults here.
        "progs": ["--vcpus", "2", "--mem", "64M", "--rounds", "2"],
    }


def ab_configs(a):
    return [c for c in a.configs.split(",") if c in AB_CONFIGS]


def run_all(a, configs, peers):
    """Every measurement of the run: the A/B rows, the contention
    configuration, the per-program table, splittop's own cost, the
    syscall cost, the programs' in the light configuration."""
    rows, res = [], {"cont": None, "self": [], "syscall_ns": None, "programs": [], "progs_rows": []}
    with tempfile.TemporaryDirectory(prefix="splittop-bench.") as tmp:
        for config in ab_configs(a):
            log("A/B: %s: dirtyvm %s, %d interleaved repetitions" % (config, " ".join(configs[config]), a.reps))
            names = peers["config_obs"].get(config, peers["default_obs"])
            ab_runs(config, configs[config], a.reps, [o for o in peers["obs"] if o.name in names], tmp, rows)
        if "contention" in a.configs.split(","):
            log("contention: per-program cost (kernel.bpf_stats_enabled), floor, default, --wait-sample 1, --exact-waits")
            res["cont"] = contention(configs["contention"], tmp, a.contention_reps)
        if "progs" in a.configs.split(","):
            log("progs: ns per event of %s, dirtyvm %s, %d interleaved repetitions"
                % (", ".join(o.name for o in peers["progs_obs"]), " ".join(configs["progs"]), a.reps))
            res["progs_rows"] = progs_runs(configs["progs"], a.reps, tmp, peers["progs_obs"])
        if not a.no_self:
            log("splittop's own cost: 1 VM, then 16 VMs, %g s each" % a.self_seconds)
            res["self"] = [self_cost(1, a.self_seconds, tmp), self_cost(16, a.self_seconds, tmp)]
            log("syscall cost: dd bs=1, alone and under splittop")
            res["syscall_ns"] = syscall_cost(a.reps, tmp)
            log("per-program run time (kernel.bpf_stats_enabled), light configuration")
            res["programs"] = prog_stats(configs["light"], tmp)
    return rows, res


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--contention-reps", type=int, default=5,
                    help="bpf_stats runs per mode in the contention configuration")
    ap.add_argument("--self-seconds", type=float, default=60)
    ap.add_argument("--configs", default="light,heavy,contention,progs")
    ap.add_argument("--no-self", action="store_true",
                    help="skip splittop's own cost, the syscall cost and the light per-program run")
    ap.add_argument("--only", metavar="SECTIONS",
                    help="comma list of %s: only these (e.g. --only progs --reps 3: the per-program table "
                         "alone, in about a minute)" % ",".join(SECTIONS))
    ap.add_argument("--progs-compare", metavar="NAME=PATH", action="append", default=[],
                    help="another splittop build in the per-program table (e.g. an older commit's)")
    ap.add_argument("--out", default=os.path.join(OUT, "bench"))
    a = ap.parse_args()
    if a.only:
        bad = [s for s in a.only.split(",") if s not in SECTIONS]
        if bad:
            ap.error("--only: unknown %s (one of %s)" % (",".join(bad), ",".join(SECTIONS)))
        a.configs = ",".join(s for s in a.only.split(",") if s != "self")
        a.no_self = "self" not in a.only.split(",")
    return a


def peers_available(a):
    """The observers this machine has, and a note for each one it lacks;
    tracefs mounted for bpftrace and perf (True: by this run)."""
    obs = observers()
    notes = ["%s: not installed, skipped" % o.name for o in obs if not o.available()]
    progs_obs, pnotes = prog_observers(a.progs_compare)
    notes += pnotes if "progs" in a.configs.split(",") else []
    obs = [o for o in obs if o.available()]
    mounted = mount_tracefs()
    if mounted is None:
        notes.append("bpftrace, perf stat, perf record: tracefs is not mounted at %s and could not be, skipped" % TRACEFS)
        log(notes[-1])
        obs = [o for o in obs if o.tool not in ("bpftrace", "perf")]
        progs_obs = [o for o in progs_obs if o.tool != "bpftrace"]
    elif mounted:
        log("tracefs mounted at %s for bpftrace and perf (unmounted at the end)" % TRACEFS)
    # The peers are compared in light and heavy; contention compares
    # splittop's two ways of timing mmu_lock waits.
    return {"obs": obs, "progs_obs": progs_obs,
            "default_obs": ("none", "splittop", "bpftrace", "perf stat", "perf record"),
            "config_obs": {"contention": ("none", "splittop", "splittop --wait-sample 1", "splittop --exact-waits")},
            "notes": notes, "mounted": mounted}


def main():
    a = parse_args()
    if os.geteuid():
        sys.exit("make bench: needs root (BPF and /dev/kvm)")
    os.makedirs(a.out, exist_ok=True)
    configs = workloads()
    peers = peers_available(a)
    try:
        rows, res = run_all(a, configs, peers)
    finally:
        if peers["mounted"]:
            subprocess.run(["umount", TRACEFS])
    write_results(a, configs, peers, rows, res)


CSV_FIELDS = ["config", "observer", "rep", "round1_s", "round3_s", "enable_s",
              "program", "tracepoint", "attach", "events", "run_time_ns", "ns_per_event", "faults", "other_faults"]


def write_results(a, configs, peers, rows, res):
    """results.csv (a row per A/B run, and per program per run of the
    per-program table), results.md, self.json; results.md to stdout."""
    with open(os.path.join(a.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, restval="", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows + res["progs_rows"])
    md = head_md(a)
    if res["progs_rows"]:
        order = [o.name for o in peers["progs_obs"]]
        res["progs"] = bpf_progs.summarize(res["progs_rows"], order)
        md += bpf_progs.progs_md(res["progs"], configs["progs"], a.reps, res["progs_rows"]) + [""]
    md += ab_md(a, configs, peers, rows)
    if not a.no_self:
        md += self_md(res["self"], res["syscall_ns"], res["programs"], a.reps)
    if res["cont"]:
        md += contention_md(res["cont"])
    if peers["notes"]:
        md += [""] + ["Note: " + n for n in peers["notes"]]
    text = "\n".join(md) + "\n"
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "self.json"), "w") as f:
        json.dump({"self": res["self"], "programs": res["programs"], "syscall_ns": res["syscall_ns"],
                   "contention": res["cont"], "progs": res.get("progs")}, f, indent=1)
    print(text)


def head_md(a):
    """The report's head: when, where, how to run it again."""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return ["## splittop overhead benchmark", "",
            "%s; kernel %s; %s, %d CPUs. Reproduce: `make bench` (`%s`)."
            % (datetime.date.today().isoformat(), platform.release(), cpu, os.cpu_count(),
               " ".join(["python3", "tests/bench/bench.py"] + sys.argv[1:])),
            "Medians of %d interleaved repetitions%s." % (
                a.reps, "; ratio = median / median with no observer, same run" if ab_configs(a) else ""), ""]


def ab_md(a, configs, peers, rows):
    """The A/B tables, one per configuration."""
    md = []
    for config in ab_configs(a):
        md += ["### %s: `dirtyvm %s` (thp, get mode)" % (config, " ".join(configs[config])), "",
               "| observer | first dirty round | ratio | round 3 | ratio | enable dirty log | ratio |",
               "|---|---|---|---|---|---|---|"]
        base = {k: median(rows, config, "none", k) for k in ("round1_s", "round3_s", "enable_s")}
        for o in peers["obs"]:
            if o.name not in peers["config_obs"].get(config, peers["default_obs"]):
                continue
            cells = [o.name]
            for k in ("round1_s", "round3_s", "enable_s"):
                m = median(rows, config, o.name, k)
                cells += ["%.4f s" % m if k != "enable_s" else "%.1f us" % (m * 1e6), "%.3f" % (m / base[k])]
            md.append("| " + " | ".join(cells) + " |")
        md.append("")
    return md


def self_md(selfc, sysc, progs, reps):
    md = ["### splittop itself (`splittop --csv -i 1`, looping `dirtyvm --vcpus 1 --mem 32M` VMs)", "",
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
           % (reps, sysc["none"], sysc["splittop"], sysc["splittop"] - sysc["none"])]
    md += ["", "### BPF programs, light configuration (kernel.bpf_stats_enabled, one run)", "",
           "| program | events | ns per event | total |", "|---|---|---|---|"]
    for p in sorted(progs, key=lambda p: -p["total_ms"]):
        md.append("| %s | %d | %.0f | %.2f ms |" % (p["program"], p["events"], p["ns_per_event"], p["total_ms"]))
    return md


if __name__ == "__main__":
    main()
