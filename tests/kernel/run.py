#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make test-kernel: static builds of splittop and dirtyvm on the stock
Debian kernel (TDP MMU, eager page splitting, KVM as modules, function
probes), booted in the bed (tests/vm) with KVM left unloaded so that
tests/kernel/scenarios.sh can check splittop without it first.

As a library (tests/kernel/test_kernel.py) boot() returns the parsed
results; run directly it boots once and prints them."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "vm"))
import bed  # noqa: E402
import scenario_results  # noqa: E402

STATIC_OUT = os.path.join(ROOT, os.environ.get("OUT", "build"), "static")


def static_build():
    """The static binaries a user copies onto a migration host: the tier
    runs them, so that they are tested too."""
    bed.step("make STATIC=1", ["make", "-C", ROOT, "--no-print-directory", "STATIC=1", "OUT=" + STATIC_OUT,
                               os.path.join(STATIC_OUT, "splittop"), os.path.join(STATIC_OUT, "dirtyvm")], 900)
    for b in ("splittop", "dirtyvm"):
        p = subprocess.run(["ldd", os.path.join(STATIC_OUT, b)], capture_output=True, text=True)
        if "not a dynamic executable" not in p.stdout + p.stderr:
            raise AssertionError("make STATIC=1: %s is not static: %s" % (b, p.stdout))


def parse(results):
    """The @@ lines of scenarios.sh: with KVM's parameters and the CPU's flags."""
    def extra(word, res):
        if word[0] == "PARAM":
            res["param"][word[1]] = word[2] if len(word) > 2 else ""
        elif word[0] == "CPU":
            res["cpu"].add(word[1])
    return scenario_results.parse(results, extra, param={}, cpu=set())


def boot(timeout=900, kernel=bed.DEFAULT_KERNEL):
    """Boot the bed on kernel (a tests/vm/kernels.py spec), run every
    scenario; return the parsed results, with "files" (each scenario's JSON
    and output), "elapsed_s" and "release"."""
    static_build()
    try:
        r = bed.run(["sh", "tests/kernel/scenarios.sh", STATIC_OUT], cwd=ROOT, timeout=timeout, load_kvm=False,
                    kernel=kernel)
    except bed.BedError as e:
        raise AssertionError(str(e))
    res = parse(r.files.get("results", ""))
    if r.returncode or not res["done"] or res["fail"]:
        raise AssertionError("scenarios.sh: exit %d, %s; results:\n%s\nstderr: %s" % (
            r.returncode, res["fail"] or "not done", r.files.get("results", ""), r.stderr[-2000:]))
    res["files"], res["elapsed_s"], res["release"] = r.files, r.elapsed_s, r.kernel.release
    return res


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


if __name__ == "__main__":
    r = boot()
    print("%.0f s, rc %s, params %s, cpu %s" % (r["elapsed_s"], r["rc"], r["param"], sorted(r["cpu"])))
    for name, body in r["files"].items():
        print("==== %s\n%s" % (name, body[-3000:]))
