# SPDX-License-Identifier: GPL-2.0-only
"""A process's BPF programs and what each costs per event
(kernel.bpf_stats_enabled), and make bench's table of them: splittop's
programs beside the bpftrace equivalent's on the same tracepoints and an
empty program on the fault tracepoint.

bpf_stats counts, per program, its runs and the ns between two clock
reads around each run: the program's own body, plus the reads' share.
What the kernel does before a program runs is not in it: a perf-event
tracepoint (bpftrace's, splittop's `_tp` ones) first writes the event's
record, a tp_btf or raw_tp program gets the arguments as they are."""
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
from harness import bpf_fdinfo  # noqa: E402

STATS = "/proc/sys/kernel/bpf_stats_enabled"
FAULT_TP = "kvm_mmu_spte_requested"     # the in-lock fault program's tracepoint, under kvm->mmu_lock
# The fault programs' tracepoints: in the lock, or (shadow paging's default,
# issue #39) at the guest walk before it: one run of either per fault.
FAULT_TPS = (FAULT_TP, "kvm_mmu_pagetable_walk")
EMPTY = "empty program"                  # the observer whose fault program returns at once
# (program type, attachment) as bpftool names them: the section a user would write.
ATTACH = {("tracing", "raw_tracepoint"): "tp_btf", ("raw_tracepoint", "raw_tracepoint"): "raw_tp",
          ("tracepoint", "tracepoint"): "tracepoint", ("tracing", None): "iter"}


@contextlib.contextmanager
def bpf_stats():
    """kernel.bpf_stats_enabled on for the block, then as it was."""
    with open(STATS) as f:
        old = f.read().strip()
    with open(STATS, "w") as f:
        f.write("1")
    try:
        yield
    finally:
        with open(STATS, "w") as f:
            f.write(old)


def bpftool_json(*args):
    p = subprocess.run(["bpftool", "-j"] + list(args), capture_output=True, text=True)
    if p.returncode or not p.stdout.strip():
        return []
    return json.loads(p.stdout)


def hooks(pid):
    """{prog id: bpftool's perf show entry} for the tracepoints the process
    attached (perf-event tracepoints and raw tracepoints alike)."""
    return {int(h["prog_id"]): h for h in bpftool_json("perf", "show")
            if h.get("pid") == pid and "tracepoint" in h}


def process_progs(pid):
    """Each BPF program the process holds, once: its name, the tracepoint
    it is attached to and how, its runs and run time since it loaded."""
    info = {p["id"]: p for p in bpftool_json("prog", "show")}
    hook = hooks(pid)
    out = {}
    for fd in bpf_fdinfo(pid, "prog"):
        pid_ = int(fd["prog_id"])
        p, h = info.get(pid_, {}), hook.get(pid_, {})
        kind = ATTACH.get((p.get("type"), h.get("fd_type")), p.get("type", "?"))
        out[pid_] = {"program": p.get("name", "?"), "tracepoint": h.get("tracepoint", ""), "attach": kind,
                     "events": int(fd.get("run_cnt", 0)), "run_time_ns": int(fd.get("run_time_ns", 0))}
    return list(out.values())


def wait_attached(proc, timeout=30):
    """Until the process has a program on the fault tracepoint (bpftrace
    says it is attaching before it has)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("observer exited early (%d)" % proc.returncode)
        if any(h["tracepoint"] in FAULT_TPS for h in hooks(proc.pid).values()):
            return
        time.sleep(0.05)
    raise RuntimeError("no program on %s after %ss" % (FAULT_TP, timeout))


def run_rows(observer, rep, progs, run):
    """One observer's run: a row per program, with the run's faults (the
    runs of its own fault program), those of other VMs (more than KVM
    counted for the workload's VM: another user's VMs ran meanwhile) and
    the first dirty round."""
    faults = sum(p["events"] for p in progs if p["tracepoint"] in FAULT_TPS)
    other = max(0, faults - run["kvm_faults"]) if run.get("kvm_faults") else 0
    return [dict(p, config="progs", observer=observer, rep=rep, faults=faults, other_faults=other,
                 round1_s=run["round1_s"], ns_per_event=p["run_time_ns"] / p["events"] if p["events"] else None)
            for p in progs]


def foreign(row):
    """A run in which other VMs faulted too (over 1% of its faults): their
    events, of other workloads, are mixed in; left out of the medians."""
    return row["other_faults"] > 0.01 * row["faults"]


def _line(rows):
    """Medians over the reps of one observer's program (ns: over the runs
    it ran in; None where it never ran)."""
    ns = [r["ns_per_event"] for r in rows if r["events"]]
    per_fault = statistics.median(r["events"] / r["faults"] if r["faults"] else 0 for r in rows)
    med = statistics.median(ns) if ns else None
    return {"observer": rows[0]["observer"], "program": rows[0]["program"], "tracepoint": rows[0]["tracepoint"],
            "attach": rows[0]["attach"], "runs": len(ns), "per_fault": per_fault, "ns_per_event": med,
            "ns_min": min(ns) if ns else None, "ns_max": max(ns) if ns else None,
            "us_per_run": statistics.median(r["run_time_ns"] for r in rows) / 1e3,
            "ns_per_fault": per_fault * med if med is not None else 0.0}


def summarize(rows, observers):
    """The table's lines: per tracepoint (those run most per fault first),
    each observer's program on it (the empty program's fault program
    only), then the programs on no tracepoint.  A program that never ran
    in any run is a line too: attached, and not in the workload's path."""
    groups = {}
    for r in rows:
        if foreign(r) or (r["observer"] == EMPTY and r["tracepoint"] != FAULT_TP):
            continue     # the floor build's other programs are splittop's
        groups.setdefault((r["observer"], r["program"]), []).append(r)
    lines = [_line(g) for g in groups.values()]
    weight = {}
    for ln in lines:
        w = ln["per_fault"] if ln["tracepoint"] else -1     # no tracepoint (census, a timer): last
        weight[ln["tracepoint"]] = max(weight.get(ln["tracepoint"], -1), w)
    order = {o: i for i, o in enumerate(observers)}
    lines.sort(key=lambda ln: (-weight[ln["tracepoint"]], ln["tracepoint"], order.get(ln["observer"], 99),
                               ln["program"]))
    return lines


def progs_md(lines, args, reps, rows):
    """results.md's table, with each observer's ns per fault summed."""
    floor = next((ln["ns_per_event"] for ln in lines if ln["observer"] == EMPTY), None)
    left_out = sorted({(r["observer"], r["rep"]) for r in rows if foreign(r)})
    md = ["### BPF programs per event: splittop, the bpftrace equivalent, an empty program "
          "(`dirtyvm %s`, kernel.bpf_stats_enabled, medians of %d interleaved runs each)" % (" ".join(args), reps), "",
          "Empty program: splittop built with its fault program returning at once (%s ns per event). "
          "Per fault: the program's runs per `%s` run in the same process." % (
              "%.0f" % floor if floor is not None else "not built", FAULT_TP), "",
          "| tracepoint | observer | program | attach | per fault | ns per event | range | less empty | ns per fault "
          "| total per run |", "|---|---|---|---|---|---|---|---|---|---|"]
    for ln in lines:
        ns = ln["ns_per_event"]
        less = "%+.0f" % (ns - floor) if floor is not None and ns is not None and ln["tracepoint"] else "-"
        md.append("| %s | %s | %s | %s | %.4f | %s | %s | %s | %.1f | %.0f us |" % (
            ln["tracepoint"] or "-", ln["observer"], ln["program"], ln["attach"], ln["per_fault"],
            "%.0f" % ns if ns is not None else "never ran",
            "%.0f-%.0f" % (ln["ns_min"], ln["ns_max"]) if ns is not None else "-", less, ln["ns_per_fault"],
            ln["us_per_run"]))
    totals = {}
    for ln in lines:
        if ln["tracepoint"]:
            totals[ln["observer"]] = totals.get(ln["observer"], 0.0) + ln["ns_per_fault"]
    md += ["", "Sum of ns per fault over each observer's tracepoint programs: " +
           ", ".join("%s %.0f" % kv for kv in totals.items()) + ".",
           "Under kvm->mmu_lock (shadow MMU, tdp_mmu=N): the %s programs (the walk's run before it). "
           "bpf_stats times a program's body "
           "between two clock reads (the empty program is that much); the record a perf-event tracepoint "
           "writes before its program runs is not in it." % FAULT_TP]
    if left_out:
        md.append("Left out, other VMs faulting in the same run: %s." % ", ".join("%s rep %d" % o for o in left_out))
    return md
