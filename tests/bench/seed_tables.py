#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make seed-tables: the tables of the KVM series "Extend Eager Page
Splitting to the shadow MMU", from real runs, each beside splittop's totals.

The series measured dirty_log_perf_test (-n: vCPUs in L2) with
eager_page_split N and Y and tabled, by vCPU count: iteration 1 dirty memory
time, enabling dirty logging time, iteration 1 and 2 clear dirty log time.
Here dirtyvm plays dirty_log_perf_test (--nested: the passes in L2) under
splittop, in the bed (the stock kernel: TDP MMU for L1, the shadow MMU for
L2), for 1, 2 and 4 vCPUs, L1 and L2, N and Y, get and clear modes.  Under
emulation the times are not the series' times: the N/Y comparison and the
counts are the point.

usage: tests/bench/seed_tables.py [--vcpus 1,2,4] [--mem 32M] [--rounds 2]
       [--out DIR]
       tests/bench/seed_tables.py --inner OUT VCPUS MEM ROUNDS   (in the bed)
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "vm"))

COLUMNS = [(nested, eager) for nested in (False, True) for eager in ("N", "Y")]
# splittop's totals shown beside each run.
TOTALS = ("splits_shadow", "splits_tdp", "split_errors", "demotions_2m", "faults_huge_wp",
          "mmu_lock_waits", "mmu_lock_wait_ns")


def inner(out, vcpus, mem, rounds):
    """In the bed: every run, one JSON line each ("seed: {...}")."""
    for v in vcpus:
        for nested, eager in COLUMNS:
            for mode in ("get", "clear"):
                with tempfile.TemporaryDirectory() as d:
                    path = os.path.join(d, "run.csv")
                    argv = [os.path.join(out, "splittop"), "-i", "1", "-o", path, "--",
                            os.path.join(out, "dirtyvm"), "--json", "--vcpus", str(v), "--mem", mem,
                            "--rounds", str(rounds), "--mode", mode, "--eager-split", eager] + \
                           (["--nested"] if nested else [])
                    p = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
                    rec = {"vcpus": v, "nested": nested, "eager": eager, "mode": mode}
                    if p.returncode:
                        rec["error"] = "exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
                    else:
                        s = json.loads(p.stdout.strip().splitlines()[-1])
                        vm = s["vms"][0]
                        with open(path, newline="") as f:
                            total = [r for r in csv.DictReader(f) if r["scope"] == "total"][0]
                        rec.update({"enable_s": vm["enable_s"],
                                    "dirty_s": [r["dirty_s"] for r in vm["rounds"]],
                                    "clear_s": [r["clear_s"] for r in vm["rounds"]],
                                    "get_s": [r["get_s"] for r in vm["rounds"]],
                                    "regions": s["regions_2m"],
                                    "totals": {k: total[k] for k in TOTALS}})
                    print("seed: " + json.dumps(rec), flush=True)


def fmt_s(x):
    return "%.4f s" % x if x is not None else "-"


def tables(runs, rounds):
    """The series' four tables (rows: vCPUs; columns: L1/L2 x N/Y), then
    every run's splittop totals."""
    by = {(r["vcpus"], r["nested"], r["eager"], r["mode"]): r for r in runs}
    vcpus = sorted({r["vcpus"] for r in runs})
    head = "| vCPUs | " + " | ".join("%s, eager_page_split=%s" % ("L2 (nested)" if n else "L1", e)
                                      for n, e in COLUMNS) + " |"
    sep = "|---|" + "---|" * len(COLUMNS)

    def table(title, mode, value):
        lines = ["%s (%s mode)" % (title, mode), "", head, sep]
        for v in vcpus:
            cells = []
            for n, e in COLUMNS:
                r = by.get((v, n, e, mode))
                cells.append("error" if r is None or "error" in r else fmt_s(value(r)))
            lines.append("| %d | %s |" % (v, " | ".join(cells)))
        return lines + [""]

    out = []
    out += table("Iteration 1 dirty memory time", "get", lambda r: r["dirty_s"][0])
    out += table("Enabling dirty logging time", "get", lambda r: r["enable_s"])
    out += table("Iteration 1 clear dirty log time", "clear", lambda r: r["clear_s"][0])
    if rounds >= 2:
        out += table("Iteration 2 clear dirty log time", "clear", lambda r: r["clear_s"][1])
    out += ["splittop's totals of each run (mmu_lock_wait_ns in ms)", "",
            "| vCPUs | guest | eager | mode | regions | " + " | ".join(TOTALS) + " |",
            "|---|---|---|---|---|" + "---|" * len(TOTALS)]
    for r in sorted(runs, key=lambda r: (r["vcpus"], r["nested"], r["eager"], r["mode"])):
        if "error" in r:
            out.append("| %d | %s | %s | %s | error: %s |" % (r["vcpus"], "L2" if r["nested"] else "L1",
                                                            r["eager"], r["mode"], r["error"]))
            continue
        t = dict(r["totals"])
        t["mmu_lock_wait_ns"] = "%.2f" % (int(t["mmu_lock_wait_ns"] or 0) / 1e6)
        out.append("| %d | %s | %s | %s | %d | %s |" % (r["vcpus"], "L2" if r["nested"] else "L1", r["eager"],
                                                      r["mode"], r["regions"],
                                                      " | ".join(str(t[k]) for k in TOTALS)))
    return "\n".join(out) + "\n"


def main():
    if "--inner" in sys.argv:
        i = sys.argv.index("--inner")
        out, vcpus, mem, rounds = sys.argv[i + 1:i + 5]
        inner(out, [int(x) for x in vcpus.split(",")], mem, int(rounds))
        return 0
    import bed  # tests/vm/bed.py
    ap = argparse.ArgumentParser()
    ap.add_argument("--vcpus", default="1,2,4")
    ap.add_argument("--mem", default="32M", help="per vCPU")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    build = os.environ.get("OUT", "build")
    outdir = a.out or os.path.join(build, "bench")
    os.makedirs(outdir, exist_ok=True)
    smp = max(2, max(int(x) for x in a.vcpus.split(",")))
    r = bed.run(["python3", "tests/bench/seed_tables.py", "--inner", os.path.abspath(build), a.vcpus, a.mem,
                 str(a.rounds)], cwd=ROOT, timeout=3600, smp=smp)
    runs = [json.loads(l[6:]) for l in r.stdout.splitlines() if l.startswith("seed: ")]
    if r.returncode or not runs:
        print("seed-tables: the bed run failed (%d): %s" % (r.returncode, r.stderr[-2000:]), file=sys.stderr)
        return 1
    text = tables(runs, a.rounds)
    with open(os.path.join(outdir, "seed-tables.json"), "w") as f:
        json.dump(runs, f, indent=1)
    with open(os.path.join(outdir, "seed-tables.md"), "w") as f:
        f.write(text)
    print(text)
    return 1 if any("error" in r for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
