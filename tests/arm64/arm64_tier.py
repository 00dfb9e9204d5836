#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The arm64 tier: splittop and dirtyvm cross-built static for arm64 (make
ARCH=arm64 STATIC=1) and run in the arm64 bed (tests/vm/arm64.py: Debian's
arm64 kernel under emulation, its own KVM) by tests/arm64/scenarios.sh.

As a library (tests/arm64/test_arm64.py) boot(KERNEL) returns the parsed
results; run directly (make test-arm64 KERNEL=SPEC) it boots once and
prints them."""
import fcntl
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "vm"))
import arm64  # noqa: E402
import scenario_results  # noqa: E402

ARM64_OUT = os.path.join(ROOT, os.environ.get("OUT", "build"), "arm64")


def static_arm64(path):
    """Whether path is an arm64 ELF program with no interpreter (static)."""
    with open(path, "rb") as f:
        elf = f.read()
    if elf[:4] != b"\x7fELF" or struct.unpack_from("<H", elf, 18)[0] != 183:	# EM_AARCH64
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    return all(struct.unpack_from("<I", elf, phoff + i * phentsize)[0] != 3 for i in range(phnum))  # PT_INTERP


def build():
    """The static arm64 binaries a user copies onto an arm64 host, built
    once however many kernels' tiers run at once."""
    os.makedirs(ARM64_OUT, exist_ok=True)
    with open(os.path.join(ARM64_OUT, ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        p = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "ARCH=arm64", "STATIC=1", "OUT=" + ARM64_OUT,
                            os.path.join(ARM64_OUT, "splittop"), os.path.join(ARM64_OUT, "dirtyvm")],
                           capture_output=True, text=True, timeout=1200)
    if p.returncode:
        raise AssertionError("make ARCH=arm64 STATIC=1 failed:\n%s" % (p.stdout + p.stderr)[-3000:])
    for b in ("splittop", "dirtyvm"):
        if not static_arm64(os.path.join(ARM64_OUT, b)):
            raise AssertionError("make ARCH=arm64 STATIC=1: %s is not a static arm64 program" % b)


def parse(results):
    """The @@ lines of scenarios.sh: with the kernel's release and /dev/kvm."""
    def extra(word, res):
        if word[0] == "KERNEL":
            res["kernel"] = word[1]
        elif word[0] == "KVM":
            res["kvm"] = True
    return scenario_results.parse(results, extra, kernel=None, kvm=False)


def boot(kernel=arm64.DEFAULT_KERNEL):
    build()
    try:
        r = arm64.run(ARM64_OUT, os.path.join(HERE, "scenarios.sh"), spec=kernel, timeout=900)
    except arm64.Arm64Error as e:
        raise AssertionError(str(e))
    res = parse(r.files.get("results", ""))
    if r.returncode or not res["done"] or res["fail"]:
        raise AssertionError("scenarios.sh: exit %d, %s; results:\n%s\nstderr: %s" % (
            r.returncode, res["fail"] or "not done", r.files.get("results", ""), r.stderr[-2000:]))
    res["files"], res["elapsed_s"], res["release"] = r.files, r.elapsed_s, r.release
    return res


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


if __name__ == "__main__":
    r = boot(sys.argv[1] if len(sys.argv) > 1 else arm64.DEFAULT_KERNEL)
    print("kernel %s, %.0f s, rc %s" % (r["release"], r["elapsed_s"], r["rc"]))
    for name, body in r["files"].items():
        print("==== %s\n%s" % (name, body[-2000:]))
