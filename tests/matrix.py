#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make matrix: the kernel matrix's table (README, docs/kernels.md).

Boots each kernel of tests/run.py's matrix in the bed once and, inside it
(--inner), asks splittop where each metric comes from, finds how the
kernel's faults treat a write-protected huge mapping under lazy splitting
(harness.lazy_faults_split: KVM's own counters), and runs one traced
dirtyvm migration with eager splitting on and one with it off, checked
exactly against the workload's arithmetic and KVM's counters (the e2e
suite's check_vm), then a whole life with each (a migration cancelled after
a round, a second one, each followed by a pass with logging off:
check_migrations says what KVM did to huge pages when logging stopped).
Prints a Markdown table, one row per kernel.

The arm64 rows come from the arm64 tier's boot (tests/arm64: Debian's arm64
kernels in the arm64 bed), checked by its own tests' functions.

usage: tests/matrix.py [KERNEL...]    (default: every kernel of the matrix;
                                       arm64:SPEC an arm64 one)"""
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "e2e"))
sys.path.insert(0, os.path.join(HERE, "vm"))

METRICS = ("kvm_ioctls", "faults", "fast_faults", "splits", "mmu_lock_wait", "mmu_lock_hold", "fault_latency",
           "split_mmu")
# Off unless --source names them (src/splittop/kernel/source_choice.c, metric_opt_in): the kind to ask for.
OPT_IN = {"mmu_lock_hold": "fentry"}


def inner():
    import harness
    from test_splittop import check_migrations, check_vm, traced_dirtyvm
    k = harness.kernel()
    row = {"release": os.uname().release, "mmu": k["mmu"], "sources": {m: k["sources"].get(m) for m in METRICS},
           "lazy": "split" if harness.lazy_faults_split() else "drop", "exact": {}, "life": {}}
    for m, kind in OPT_IN.items():
        p = harness.run([harness.SPLITTOP, "--list-sources", "--source", "%s=%s" % (m, kind)], timeout=60)
        got = dict(l.split(None, 1) for l in p.stdout.splitlines()[1:]).get(m, "")
        if p.returncode == 0 and got.startswith(kind + "/"):
            row["sources"][m] = got + " (opt-in)"
    for eager in ("Y", "N"):
        try:
            totals, _, s = traced_dirtyvm("--vcpus", 2, "--mem", "16M", "--rounds", 3, "--eager-split", eager,
                                          splittop_args=("--json",))
            check_vm(totals[0], s, s["vms"][0])
            t = totals[0]
            row["exact"][eager] = {"ok": True, "splits_2m": t["splits_2m"], "splits_eager": t["splits_eager"],
                                   "demotions_2m": t["demotions_2m"], "faults": t["faults"],
                                   "missed_probe_events": t["self"]["missed_probe_events"]}
        except Exception as e:  # noqa: BLE001 (the table says what failed)
            row["exact"][eager] = {"ok": False, "why": (str(e) or traceback.format_exc()).splitlines()[0][:300]}
        try:
            totals, _, s = traced_dirtyvm("--vcpus", 1, "--mem", "16M", "--rounds", 2, "--migrations", 2,
                                          "--cancel-after", 1, "--after-pass", "--eager-split", eager,
                                          splittop_args=("--json",))
            check_vm(totals[0], s, s["vms"][0])
            stopped = check_migrations(s, s["vms"][0], "life")
            after = [m["after"]["kvm_faults"]["pf_fixed"] for m in s["vms"][0]["migrations"]]
            row["life"][eager] = {"ok": True, "stopped": stopped, "after_faults": after,
                                  "faults_huge_wp": totals[0]["faults_huge_wp"]}
        except Exception as e:  # noqa: BLE001
            row["life"][eager] = {"ok": False, "why": (str(e) or traceback.format_exc()).splitlines()[0][:300]}
    print("@@ROW " + json.dumps(row), flush=True)
    return 0


def arm64_row(spec):
    """An arm64 kernel's row, from one boot of the arm64 tier."""
    sys.path.insert(0, os.path.join(HERE, "arm64"))
    import arm64_tier
    import test_arm64
    test_arm64.KERNEL, test_arm64._result = spec, None
    r = test_arm64.booted()
    src = dict(l.split(None, 1) for l in r["files"]["sources.out"].splitlines()[1:])
    row = {"release": r["release"], "spec": "arm64:" + spec, "pkg": r["release"],
           "mmu": r["files"]["sources.out"].split("mmu ")[1].split(",")[0],
           "sources": {m: (src.get(m) if "/" in (src.get(m) or "").split(" ")[0] else None) for m in METRICS},
           "lazy": "drop", "exact": {}, "life": {}}
    for eager, name in (("Y", "get-eager"), ("N", "get-lazy")):
        try:
            total, _, s = test_arm64.scenario(name)
            test_arm64.check_vm(total[0], s["vms"][0], s)
            row["exact"][eager] = {"ok": True}
        except AssertionError as e:
            row["exact"][eager] = {"ok": False, "why": str(e).splitlines()[0][:300]}
    for eager, name in (("Y", "life-eager"), ("N", "life-lazy")):
        try:
            total, _, s = test_arm64.scenario(name)
            row["life"][eager] = {"ok": True, "stopped": test_arm64.check_life(total[0], s["vms"][0], s)}
        except AssertionError as e:
            row["life"][eager] = {"ok": False, "why": str(e).splitlines()[0][:300]}
    del arm64_tier
    return row


def short(src):
    return "-" if not src else src.split("/")[0] + (" (opt-in)" if src.endswith("(opt-in)") else "")


def main(args):
    if args[:1] == ["--inner"]:
        return inner()
    import bed
    import run as runner   # tests/run.py: the matrix
    specs = args or list(runner.FULL_KERNELS + runner.CORE_KERNELS) + \
        ["arm64:" + k for s, k, _ in runner.TIERS if s == "arm64"]
    rows = []
    for spec in specs:
        if spec.startswith("arm64:"):
            try:
                row = arm64_row(spec[6:])
            except AssertionError as e:
                row = {"spec": spec, "error": str(e).splitlines()[0]}
            rows.append(row)
            print("%s: %s" % (spec, json.dumps(row)), file=sys.stderr, flush=True)
            continue
        try:
            r = bed.run(["python3", "tests/matrix.py", "--inner"], cwd=ROOT, timeout=900, kernel=spec,
                        env={"OUT": os.environ.get("OUT", "build"), "SPLITTOP_BED": "tdp"})
            line = [l for l in r.stdout.splitlines() if l.startswith("@@ROW ")]
            if not line:
                raise bed.BedError("no result (exit %d): %s" % (r.returncode, r.stderr[-1500:]))
            row = json.loads(line[-1][6:])
            row["spec"], row["pkg"] = spec, r.kernel.pkg
        except bed.BedError as e:
            row = {"spec": spec, "error": str(e).splitlines()[0]}
        rows.append(row)
        print("%s: %s" % (spec, json.dumps(row)), file=sys.stderr, flush=True)
    print("| kernel (Debian package) | MMU | lazy faults | " + " | ".join(METRICS) +
          " | exact, eager Y | exact, eager N | when logging stops | whole life exact, Y / N |")
    print("|" + "---|" * (len(METRICS) + 7))
    for row in rows:
        if "error" in row:
            print("| %s | %s |" % (row["spec"], row["error"]))
            continue
        ex = ["yes" if row["exact"][e]["ok"] else "**no**: " + row["exact"][e]["why"] for e in ("Y", "N")]
        life = ["yes" if row["life"][e]["ok"] else "**no**: " + row["life"][e]["why"] for e in ("Y", "N")]
        stops = sorted({STOPPED.get(row["life"][e].get("stopped"), "?") for e in ("Y", "N") if row["life"][e]["ok"]})
        print("| %s (`%s`) | %s | %s | %s | %s | %s | %s |" % (
            row["release"], row["spec"], row["mmu"], row["lazy"],
            " | ".join(short(row["sources"][m]) for m in METRICS), " | ".join(ex),
            " / ".join(stops) or "?", " / ".join(life)))
    return 0 if all("error" not in r and all(r[t][e]["ok"] for t in ("exact", "life") for e in ("Y", "N"))
                    for r in rows) else 1


STOPPED = {"rebuilt": "huge mappings rebuilt in place", "zapped": "zapped and refaulted",
           "rebuilt-at-write": "each block mapped back at its first write fault", "kept": "left at 4 KiB"}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
