#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make test-kernel: splittop on a stock Debian kernel with a TDP MMU.

Boots Debian's current linux-image-amd64 under qemu-system-x86_64 software
emulation (an emulated AMD CPU with SVM and nested paging), loads kvm and
kvm_amd, runs static builds of splittop and dirtyvm in it, and checks exact
numbers from what it prints on the serial console.  See ../shared VMTEST
notes in the README.  Every step has a timeout; a failure names the step and
shows the console's tail.

As a library (tests/e2e/test_kernel.py) boot() returns the parsed results;
run directly it boots once and prints them."""
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATIC_OUT = os.path.join(ROOT, os.environ.get("OUT", "build"), "static")
PKGS = ["qemu-system-x86", "busybox-static", "cpio"]
MODULES = ["virt/lib/irqbypass.ko", "arch/x86/kvm/kvm.ko", "drivers/crypto/ccp/ccp.ko",
           "arch/x86/kvm/kvm-amd.ko"]


class StepFailed(AssertionError):
    pass


def step(name, argv, timeout, **kw):
    """Run one setup step; on failure say which, with its output's tail."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise StepFailed("step '%s' timed out after %ss: %s" % (name, timeout, " ".join(argv)))
    if p.returncode:
        raise StepFailed("step '%s' failed (%d): %s\n%s" % (name, p.returncode, " ".join(argv),
                                                         (p.stdout + p.stderr)[-2000:]))
    return p.stdout


def cache_dir():
    """Outside the clone, kept between runs: downloads are slow."""
    d = os.environ.get("SPLITTOP_KERNEL_CACHE", "/var/cache/splittop-test-kernel")
    os.makedirs(d, exist_ok=True)
    return d


def ensure_packages():
    missing = [p for p in PKGS
               if "ok installed" not in subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                                                       capture_output=True, text=True).stdout]
    if missing:
        step("apt-get update", ["apt-get", "update", "-qq"], 600)
        step("install " + " ".join(missing), ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
             + missing, 900, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def kernel(cache):
    """(vmlinuz, modules dir) of the kernel linux-image-amd64 depends on."""
    out = step("resolve kernel", ["apt-cache", "depends", "linux-image-amd64"], 60)
    m = re.search(r"Depends: (linux-image-[0-9][^\s]*-amd64)\b", out)
    if not m:
        raise StepFailed("step 'resolve kernel': no linux-image-*-amd64 in:\n" + out)
    pkg = m.group(1)
    extract = os.path.join(cache, pkg)
    if not glob.glob(os.path.join(extract, "boot", "vmlinuz-*")):
        debs = glob.glob(os.path.join(cache, pkg + "_*.deb"))
        if not debs:
            step("download " + pkg, ["apt-get", "download", pkg], 900, cwd=cache)
            debs = glob.glob(os.path.join(cache, pkg + "_*.deb"))
        tmp = extract + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        step("unpack " + pkg, ["dpkg-deb", "-x", debs[0], tmp], 300)
        os.rename(tmp, extract)
    vmlinuz = glob.glob(os.path.join(extract, "boot", "vmlinuz-*"))[0]
    mods = glob.glob(os.path.join(extract, "lib", "modules", "*", "kernel"))[0]
    return pkg, vmlinuz, mods


def static_build():
    step("make STATIC=1", ["make", "-C", ROOT, "--no-print-directory", "STATIC=1", "OUT=" + STATIC_OUT,
                           os.path.join(STATIC_OUT, "splittop"), os.path.join(STATIC_OUT, "dirtyvm")], 900)
    for b in ("splittop", "dirtyvm"):
        p = subprocess.run(["ldd", os.path.join(STATIC_OUT, b)], capture_output=True, text=True)
        if "not a dynamic executable" not in p.stdout + p.stderr:
            raise StepFailed("step 'make STATIC=1': %s is not static: %s" % (b, p.stdout))


def initramfs(path, mods, scenarios):
    with tempfile.TemporaryDirectory(prefix="splittop-initramfs.") as root:
        for d in ("bin", "proc", "sys", "dev", "tmp", "modules", "sys/kernel/debug"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
        os.symlink("busybox", os.path.join(root, "bin", "sh"))
        shutil.copy(os.path.join(HERE, "init.sh"), os.path.join(root, "init"))
        os.chmod(os.path.join(root, "init"), 0o755)
        with open(os.path.join(root, "scenarios.sh"), "w") as f:
            f.write(scenarios)
        for b in ("splittop", "dirtyvm"):
            shutil.copy(os.path.join(STATIC_OUT, b), os.path.join(root, b))
        for m in MODULES:
            src = os.path.join(mods, m)
            for ext in ("", ".xz", ".zst"):
                if os.path.exists(src + ext):
                    break
            else:
                raise StepFailed("step 'initramfs': module %s not in the kernel package" % m)
            dst = os.path.join(root, "modules", os.path.basename(m))
            if ext == ".xz":
                step("unxz " + m, ["sh", "-c", "xz -dc '%s' > '%s'" % (src + ext, dst)], 60)
            elif ext == ".zst":
                step("unzstd " + m, ["sh", "-c", "zstd -dc '%s' > '%s'" % (src + ext, dst)], 60)
            else:
                shutil.copy(src, dst)
        files = step("initramfs list", ["find", "."], 60, cwd=root)
        cpio = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=files.encode(), cwd=root,
                              capture_output=True, timeout=300)
        if cpio.returncode:
            raise StepFailed("step 'initramfs cpio': " + cpio.stderr.decode()[-1000:])
        with gzip.open(path, "wb", compresslevel=1) as f:
            f.write(cpio.stdout)


def parse(console):
    """@@ lines and dumped files from the console text."""
    res = {"rc": {}, "param": {}, "cpu": set(), "steps": [], "files": {}, "fail": [], "done": False,
           "watchdog": False}
    cur, buf = None, []
    for line in console.splitlines():
        line = line.rstrip("\r")
        if cur is not None:
            if line == "@@END " + cur:
                res["files"][os.path.basename(cur)] = "\n".join(buf)
                cur, buf = None, []
            else:
                buf.append(line)
            continue
        if not line.startswith("@@"):
            continue
        word = line[2:].split(" ", 2)
        if word[0] == "BEGIN":
            cur = word[1]
        elif word[0] == "RC":
            res["rc"][word[1]] = int(word[2])
        elif word[0] == "PARAM":
            res["param"][word[1]] = word[2] if len(word) > 2 else ""
        elif word[0] == "CPU":
            res["cpu"].add(word[1])
        elif word[0] == "STEP":
            res["steps"].append(" ".join(word[1:]))
        elif word[0] == "FAIL":
            res["fail"].append(" ".join(word[1:]))
        elif word[0] == "DONE":
            res["done"] = True
        elif word[0] == "WATCHDOG":
            res["watchdog"] = True
    return res


def boot(scenarios, timeout=1500, mem="2G"):
    """Boot the stock kernel, run scenarios (shell lines calling
    'scenario NAME DIRTYVM-ARGS'), return the parsed console."""
    if os.geteuid():
        raise StepFailed("step 'start': needs root")
    ensure_packages()
    cache = cache_dir()
    pkg, vmlinuz, mods = kernel(cache)
    static_build()
    with tempfile.TemporaryDirectory(prefix="splittop-kernel.") as tmp:
        rd = os.path.join(tmp, "initrd.gz")
        initramfs(rd, mods, scenarios)
        console = os.path.join(tmp, "console.txt")
        argv = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=single", "-cpu", "max",
                "-m", mem, "-smp", "2", "-kernel", vmlinuz, "-initrd", rd,
                "-append", "console=ttyS0 panic=-1 quiet transparent_hugepage=always WATCHDOG=%d" % (timeout - 60),
                "-nographic", "-no-reboot", "-serial", "file:" + console, "-monitor", "none"]
        t0 = time.monotonic()
        try:
            subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - t0
        with open(console, errors="replace") as f:
            text = f.read()
    res = parse(text)
    res["kernel_pkg"], res["elapsed_s"], res["console"] = pkg, elapsed, text
    if not res["done"]:
        tail = "\n".join(text.splitlines()[-40:])
        raise StepFailed("step 'boot and run' did not finish (%s after %.0f s; last step: %s); console tail:\n%s"
                         % ("watchdog" if res["watchdog"] else "timeout or crash", elapsed,
                            res["steps"][-1] if res["steps"] else "none", tail))
    return res


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


if __name__ == "__main__":
    r = boot(open(sys.argv[1]).read() if len(sys.argv) > 1 else
             "scenario eager --vcpus 1 --mem 32M --rounds 2\n")
    print("kernel %s, %.0f s, rc %s, params %s, cpu %s" % (r["kernel_pkg"], r["elapsed_s"], r["rc"],
                                                            r["param"], sorted(r["cpu"])))
    for name, body in r["files"].items():
        print("==== %s\n%s" % (name, body[-3000:]))
