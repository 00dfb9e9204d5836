#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench-lock: issue #14's measurement, on a machine with as many CPUs as vCPUs.

For 2, 8 and 16 vCPUs (those the machine has CPUs for, unless --vcpus says
otherwise) x 128 MiB thp, the first dirty round after enabling dirty
logging (dirtyvm's round 1: the slowest vCPU's time), under each observer in
turn, interleaved: none, splittop (the default), --wait-sample 1,
--exact-waits, --source mmu_lock_wait=none.  Prints the median of each and
its ratio to no observer from the same run, and checks each traced run's
totals against the workload's arithmetic (a huge write-protect fault and a
demotion per 2 MiB region where KVM splits lazily, a split per region where
it splits eagerly, every fault counted once as KVM's counters say).

Run it where many vCPUs can fight for one kvm->mmu_lock: a 16-core machine
(the device tool lends one to some tasks: carry a `make STATIC=1` build and
run `python3 tests/bench/lock_scale.py`); on 2 cores the lock is not the
bottleneck and the ratios say little.  Writes results.md to --out."""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, os.environ.get("OUT", "build"))
DIRTYVM = os.path.join(OUT, "dirtyvm")
SPLITTOP = os.path.join(OUT, "splittop")

OBSERVERS = [("none", None), ("splittop", ()), ("splittop --wait-sample 1", ("--wait-sample", "1")),
             ("splittop --exact-waits", ("--exact-waits",)),
             ("splittop --source mmu_lock_wait=none", ("--source", "mmu_lock_wait=none"))]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def traced_round(vcpus, mem, extra, tmp):
    """One dirtyvm run, under splittop with extra (None: no observer).
    Returns (round 1 seconds, problems with the totals)."""
    argv = [DIRTYVM, "--json", "--vcpus", str(vcpus), "--mem", mem, "--rounds", "1"]
    out = os.path.join(tmp, "splittop.json")
    p = None
    if extra is not None:
        if os.path.exists(out):
            os.unlink(out)
        p = subprocess.Popen([SPLITTOP, "--json", "-i", "1", "-o", out] + list(extra))
        deadline = time.monotonic() + 30
        while not (os.path.exists(out) and '"type":"host"' in open(out).read()):
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("splittop %s did not start" % " ".join(extra))
            time.sleep(0.02)
    try:
        d = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    finally:
        if p:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=120)
    if d.returncode:
        raise RuntimeError("dirtyvm: %s" % d.stderr[-500:])
    s = json.loads(d.stdout.strip().splitlines()[-1])
    vm = s["vms"][0]
    problems = []
    if p:
        with open(out) as f:
            rows = [v for line in f for v in json.loads(line).get("vms", [])
                    if json.loads(line)["type"] == "total"]
        problems = check(rows, s, vm, extra)
    return vm["rounds"][0]["dirty_s"], problems


def check(rows, s, vm, extra):
    """The totals of one traced run against the workload and KVM."""
    if len(rows) != 1:
        return ["%d total rows for 1 VM" % len(rows)]
    t, g = rows[0], s["regions_2m"]
    bad = []
    if t["faults"] is not None:
        if t["splits_2m"] + t["demotions_2m"] != g:
            bad.append("splits_2m %s + demotions_2m %s != %d regions" % (t["splits_2m"], t["demotions_2m"], g))
        if t["faults_huge_wp"] != t["demotions_2m"]:
            bad.append("faults_huge_wp %s != demotions_2m %s" % (t["faults_huge_wp"], t["demotions_2m"]))
        k = vm["kvm_faults"]
        handled = k.get("pf_fixed", 0) + k.get("pf_spurious", 0) + k.get("pf_mmio_spte_created", 0)
        if not handled <= t["faults"] <= k.get("pf_taken", handled):
            bad.append("faults %s outside KVM's %d handled .. %s taken" % (t["faults"], handled, k.get("pf_taken")))
    if t["mmu_lock_waits"] is not None and t["mmu_lock_waits_timed"] > t["mmu_lock_waits"]:
        bad.append("timed waits %s > waits %s" % (t["mmu_lock_waits_timed"], t["mmu_lock_waits"]))
    return ["%s: %s" % (" ".join(extra) or "default", b) for b in bad]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--mem", default="128M", help="per vCPU (default 128M, as issue #14)")
    ap.add_argument("--vcpus", default=None, help="comma-separated (default: 2,8,16 up to the CPUs here)")
    ap.add_argument("--out", default=os.path.join(OUT, "bench-lock"))
    a = ap.parse_args()
    if os.geteuid():
        sys.exit("make bench-lock: needs root (BPF and /dev/kvm)")
    ncpu = os.cpu_count()
    vcpus = [int(v) for v in a.vcpus.split(",")] if a.vcpus else [v for v in (2, 8, 16) if v <= ncpu] or [ncpu]
    os.makedirs(a.out, exist_ok=True)
    times = {(v, name): [] for v in vcpus for name, _ in OBSERVERS}
    problems = []
    with tempfile.TemporaryDirectory(prefix="splittop-lock.") as tmp:
        for v in vcpus:
            for rep in range(a.reps):
                for name, extra in OBSERVERS:
                    sec, bad = traced_round(v, a.mem, extra, tmp)
                    times[(v, name)].append(sec)
                    problems += ["%d vCPUs rep %d: %s" % (v, rep + 1, b) for b in bad]
                    log("  %2d vCPUs rep %d %-38s round 1 %.4f s%s" % (v, rep + 1, name, sec,
                                                                     "  " + "; ".join(bad) if bad else ""))
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    md = ["## mmu_lock at scale: the first dirty round, `dirtyvm --vcpus V --mem %s` (thp, get mode)" % a.mem, "",
          "%s; kernel %s; %s, %d CPUs. Reproduce: `make bench-lock` (`python3 tests/bench/lock_scale.py %s`)."
          % (time.strftime("%Y-%m-%d"), os.uname().release, cpu, ncpu, " ".join(sys.argv[1:])),
          "Medians of %d interleaved repetitions of the slowest vCPU's round; ratio = median / median with no "
          "observer, same run." % a.reps, "",
          "| observer | " + " | ".join("%d vCPUs | ratio" % v for v in vcpus) + " |",
          "|---|" + "---|---|" * len(vcpus)]
    for name, _ in OBSERVERS:
        cells = []
        for v in vcpus:
            m, base = statistics.median(times[(v, name)]), statistics.median(times[(v, "none")])
            cells += ["%.3f s" % m, "%.3f" % (m / base)]
        md.append("| %s | %s |" % (name, " | ".join(cells)))
    md += ["", "Totals checked in every traced run: %s." % ("all exact" if not problems else
                                                          "%d problems:" % len(problems))]
    md += ["- " + p for p in problems]
    text = "\n".join(md) + "\n"
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(text)
    print(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
