#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench-scale: splittop's own memory and CPU time against CPUs, VMs
and vCPUs (issue #18).

Runs tests/bench/scale_inner.py on this host's KVM, if it has one (real
time: many VMs, VMs of many vCPUs), and in the bed (tests/vm) booted with
each --smp (the CPU dimension: TCG runs that many CPUs on this host's, so
its CPU times are emulated and only its memory figures compare).  Fits
BPF map memory = a + b x CPUs, and writes the table to --out/scale.md.

usage: tests/bench/scale.py [--smp 2,8,32] [--no-host] [--no-bed] [--out DIR]"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "vm"))
import bed  # noqa: E402

OUT = os.path.join(ROOT, os.environ.get("OUT", "build"))
HOST_CASES = ["idle", "vms:64", "vms:512", "vcpus:128", "vms:4:96"]
BED_CASES = ["idle", "vms:64", "vcpus:128"]


def parse(text):
    return [json.loads(l.split(" ", 1)[1]) for l in text.splitlines() if l.startswith("@@SCALE ")]


def fit(points):
    """Least squares y = a + b x over (x, y) points."""
    n = len(points)
    sx = sum(x for x, _ in points)
    sy = sum(y for _, y in points)
    sxx = sum(x * x for x, _ in points)
    sxy = sum(x * y for x, y in points)
    d = n * sxx - sx * sx
    if n < 2 or not d:
        return (sy / n if n else 0), 0.0
    b = (n * sxy - sx * sy) / d
    return (sy - b * sx) / n, b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smp", default="2,8,32")
    ap.add_argument("--no-host", action="store_true")
    ap.add_argument("--no-bed", action="store_true")
    ap.add_argument("--out", default=os.path.join(OUT, "bench"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    results = []
    if not a.no_host and os.path.exists("/dev/kvm"):
        p = subprocess.run([sys.executable, os.path.join(HERE, "scale_inner.py"), OUT] + HOST_CASES,
                           capture_output=True, text=True, timeout=3600)
        for r in parse(p.stdout):
            r["where"] = "host"
            results.append(r)
            print(json.dumps(r), flush=True)
    if not a.no_bed:
        for smp in [int(x) for x in a.smp.split(",")]:
            try:
                r = bed.run(["python3", "tests/bench/scale_inner.py", OUT] + BED_CASES, cwd=ROOT,
                            timeout=3600, smp=smp, mem="6G")
                out = r.stdout
            except bed.BedError as e:
                out = ""
                print("bed --smp %d: %s" % (smp, e), file=sys.stderr)
            for res in parse(out):
                res["where"] = "bed -smp %d" % smp
                results.append(res)
                print(json.dumps(res), flush=True)
    with open(os.path.join(a.out, "scale.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = ["| where | CPUs | case | VMs seen | BPF map memory | RSS | CPU per 1 s interval |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append("| %s | %s | %s | error: %s | | | |" % (r["where"], r["cpus"], r["case"], r["error"]))
            continue
        lines.append("| %s | %d | %s | %d | %d KiB | %d KiB | %.2f ms |" % (
            r["where"], r["cpus"], r["case"], r["vms_seen"], r["map_bytes"] // 1024, r["rss_kib"],
            r["cpu_ms_per_interval"]))
    idle = [(r["cpus"], r["map_bytes"]) for r in results if r.get("case") == "idle" and "map_bytes" in r]
    if idle:
        base, per_cpu = fit(idle)
        lines.append("")
        lines.append("BPF map memory at the defaults (--max-vms 512, --max-vcpus 4096), fitted over the "
                     "idle runs: %.0f KiB + %.2f KiB x CPUs; at 384 CPUs: %.1f MiB." % (
                         base / 1024, per_cpu / 1024, (base + 384 * per_cpu) / 2 ** 20))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "scale.md"), "w") as f:
        f.write(text)
    print(text)
    return 0 if results and not any("error" in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
