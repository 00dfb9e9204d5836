#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""One machine's share of make bench-scale (tests/bench/scale.py): splittop's
BPF map memory, RSS and CPU time per interval, with no VM, with many small
VMs and with one VM of many vCPUs, on whatever KVM runs here (this host's,
or the bed's at -smp N).  Prints one "@@SCALE {json}" line per case.

usage: scale_inner.py OUT CASE...   (OUT: the build directory; CASE: idle,
vms:N (N one-vCPU VMs, 64 per dirtyvm process), vcpus:N (one VM of N vCPUs),
vms:N:V (N VMs of V vCPUs))"""
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from harness import bpf_map_bytes, rss_kib  # noqa: E402

INTERVALS = 10          # measured intervals, at -i 1


def cpu_s(pid):
    """CPU seconds of process pid so far, all its threads (schedstat: ns,
    where /proc/PID/stat counts 10 ms ticks)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e9


def rows_per_interval(path):
    """VMs in the latest interval of splittop's CSV, and how many intervals."""
    last, n, seen = None, 0, 0
    with open(path) as f:
        for line in f:
            cols = line.split(",")
            if len(cols) < 3 or cols[2] != "interval":
                continue
            if cols[0] != last:
                last, n, seen = cols[0], n + 1, 0
            seen += 1
    return seen, n


def workload(out, case):
    """The dirtyvm processes of a case, looping until stopped; (VMs, vCPUs)."""
    dirtyvm = os.path.join(out, "dirtyvm")
    parts = case.split(":")
    if parts[0] == "idle":
        return [], 0, 0
    if parts[0] == "vcpus":
        vms, vcpus = 1, int(parts[1])
    else:
        vms, vcpus = int(parts[1]), int(parts[2]) if len(parts) > 2 else 1
    procs, left = [], vms
    while left:
        k = min(left, 64)
        procs.append(subprocess.Popen([dirtyvm, "--loop", "--vms", str(k), "--vcpus", str(vcpus), "--mem", "2M",
                                       "--name", "scale%d" % len(procs)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        left -= k
    return procs, vms, vcpus


def measure(out, case):
    splittop = os.path.join(out, "splittop")
    csv = "/tmp/scale-%d.csv" % os.getpid()
    procs, vms, vcpus = workload(out, case)
    st = subprocess.Popen([splittop, "--csv", "-i", "1", "-o", csv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    try:
        # Until every VM shows in an interval (or five minutes: the table
        # then says how many did).
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            time.sleep(1)
            assert st.poll() is None, st.stderr.read()
            if os.path.exists(csv) and os.path.getsize(csv) and rows_per_interval(csv)[0] >= vms:
                break
        # Intervals are 1 s: CPU time per interval is CPU time per second.
        c0, t0 = cpu_s(st.pid), time.monotonic()
        time.sleep(INTERVALS)
        c1, t1 = cpu_s(st.pid), time.monotonic()
        seen = rows_per_interval(csv)[0]
        res = {"case": case, "cpus": os.cpu_count(), "vms": vms, "vcpus_per_vm": vcpus, "vms_seen": seen,
               "wall_s": round(t1 - t0, 2), "cpu_ms_per_interval": round((c1 - c0) * 1000 / (t1 - t0), 2),
               "map_bytes": bpf_map_bytes(st.pid), "rss_kib": rss_kib(st.pid)}
    finally:
        st.send_signal(signal.SIGINT)
        st.wait(timeout=120)
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            p.wait(timeout=300)
        if os.path.exists(csv):
            os.unlink(csv)
    return res


def main():
    out = sys.argv[1]
    for case in sys.argv[2:]:
        try:
            res = measure(out, case)
        except Exception as e:   # one failed case is reported, the others still run
            res = {"case": case, "cpus": os.cpu_count(), "error": repr(e)[:300]}
        print("@@SCALE " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
