#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""What splittop's ioctl programs cost per dirty-log harvest, per build.

The dirty-log rounds (bpf/rounds.bpf.h) run in the VMM's harvesting and
logging ioctls, never in a fault; their cost is the ioctl programs' run
time per KVM_GET_DIRTY_LOG.  For each splittop build given (NAME=PATH),
interleaved: splittop starts, a VM with one memslot of each --slots size
(dirty logging on, nothing written) is created, and KVM_GET_DIRTY_LOG is
called --calls times on it, then as many KVM_CHECK_EXTENSION (an ioctl
splittop looks at and does not time); the ioctl programs' run time
(kernel.bpf_stats_enabled) over each loop, per call, and the call's own
time (NAME=none: no tracer, the ioctls alone).  Medians of --reps.

  flock /tmp/splittop-vm.lock python3 tests/bench/harvest_ioctls.py \\
      now=build/splittop before=/tmp/old/build/splittop
"""
import argparse
import ctypes
import fcntl
import mmap
import os
import shlex
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpf_progs  # noqa: E402
from bench import wait_file  # noqa: E402

KVM_CREATE_VM = 0xAE01
KVM_CHECK_EXTENSION = 0xAE03
KVM_SET_USER_MEMORY_REGION = 0x4020AE46     # _IOW(KVMIO, 0x46, struct kvm_userspace_memory_region)
KVM_GET_DIRTY_LOG = 0x4010AE42              # _IOW(KVMIO, 0x42, struct kvm_dirty_log)
KVM_MEM_LOG_DIRTY_PAGES = 1
MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)    # Python < 3.13 lacks the name
IOCTL_PROGS = ("on_ioctl_enter", "on_ioctl_exit")


class LoggedVM:
    """A VM with no vCPU and one memslot, dirty logging on from the start."""

    def __init__(self, size):
        self.kvm = os.open("/dev/kvm", os.O_RDWR)
        self.vm = fcntl.ioctl(self.kvm, KVM_CREATE_VM, 0)
        self.mem = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(self.mem))
        region = struct.pack("=IIQQQ", 0, KVM_MEM_LOG_DIRTY_PAGES, 0, size, addr)
        fcntl.ioctl(self.vm, KVM_SET_USER_MEMORY_REGION, bytearray(region))
        self.bitmap = ctypes.create_string_buffer((size // 4096 + 63) // 64 * 8)
        self.log = bytearray(struct.pack("=IIQ", 0, 0, ctypes.addressof(self.bitmap)))

    def harvest(self):
        fcntl.ioctl(self.vm, KVM_GET_DIRTY_LOG, self.log)

    def other(self):
        fcntl.ioctl(self.vm, KVM_CHECK_EXTENSION, 0)

    def close(self):
        os.close(self.vm)
        os.close(self.kvm)
        self.bitmap = None
        self.mem = None     # the memslot's pages go with the VM: close it first


def ioctl_stats(pid):
    """(runs, ns) of the process's ioctl programs together, so far."""
    progs = [p for p in bpf_progs.process_progs(pid) if p["program"] in IOCTL_PROGS]
    return sum(p["events"] for p in progs), sum(p["run_time_ns"] for p in progs)


def per_call(pid, fn, calls):
    """Per call of fn: the ioctl programs' ns and runs (2 when only these
    calls ran: enter and exit; None without a tracer) and the call's own
    time, programs included."""
    runs0, ns0 = ioctl_stats(pid) if pid else (0, 0)
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    wall = (time.perf_counter() - t0) / calls * 1e9
    if not pid:
        return None, None, wall
    runs1, ns1 = ioctl_stats(pid)
    return (ns1 - ns0) / calls, (runs1 - runs0) / calls, wall


def one_run(binary, size, calls, tmp):
    """One build ("none": no tracer), one slot size: {harvest, other:
    per_call's triple}."""
    out = os.path.join(tmp, "st.csv")
    p = vm = None
    try:
        if binary != "none":
            with open(out, "w") as f:
                p = subprocess.Popen(shlex.split(binary) + ["--csv", "-i", "1"], stdout=f, stderr=subprocess.STDOUT)
            wait_file(out, "time_unix_s,", 30, p)
        vm = LoggedVM(size)
        pid = p.pid if p else None
        return {"harvest": per_call(pid, vm.harvest, calls), "other": per_call(pid, vm.other, calls)}
    finally:
        if vm:
            vm.close()
        if p:
            p.terminate()
            p.wait(timeout=60)


def report(res):
    print("| build | memslot | ioctl | programs' ns per call (enter + exit) | range | programs' runs per call "
          "| call's own time |")
    print("|---|---|---|---|---|---|---|")
    for (name, size, kind), v in res.items():
        ns = [x[0] for x in v if x[0] is not None]
        print("| %s | %s | %s | %s | %s | %s | %.1f us |" % (
            name, size, "KVM_GET_DIRTY_LOG" if kind == "harvest" else "KVM_CHECK_EXTENSION",
            "%.0f" % statistics.median(ns) if ns else "-", "%.0f-%.0f" % (min(ns), max(ns)) if ns else "-",
            "%.2f" % statistics.median(x[1] for x in v) if ns else "-", statistics.median(x[2] for x in v) / 1e3))


def parse_size(s):
    return int(s[:-1]) << {"M": 20, "G": 30}[s[-1]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("builds", nargs="+", metavar="NAME=PATH",
                    help="a splittop build (PATH may carry options: 'vc64=build/splittop --max-vcpus 64'); "
                         "NAME=none: no tracer")
    ap.add_argument("--slots", default="128M,1G", help="memslot sizes (default 128M,1G)")
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    builds = [b.split("=", 1) for b in a.builds]
    res = {}
    with tempfile.TemporaryDirectory(prefix="splittop-harvest.") as tmp, bpf_progs.bpf_stats():
        for _ in range(a.reps):
            for size in a.slots.split(","):
                for name, path in builds:
                    r = one_run(path, parse_size(size), a.calls, tmp)
                    for k, v in r.items():
                        res.setdefault((name, size, k), []).append(v)
    report(res)

if __name__ == "__main__":
    main()
