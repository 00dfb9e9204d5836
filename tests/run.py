#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""splittop's test runner.

Runs the unit test binaries (build/tests/test_*), their ASan builds, the
fuzzers, every test_* function of tests/e2e/*.py, tests/kernel/test_*.py
(the stock-kernel tier, booted once) and tests/qemu/test_*.py (Debian's QEMU
live-migrating a guest in the bed, booted once), then prints one closing line:
"N passed, N failed, N skipped".

Tests marked @vm_test run a real VM.  They run on the host when it has
/dev/kvm, and always in the bed (tests/vm: the stock Debian kernel under
QEMU emulation, a real KVM on any machine), once per boot of BEDS: their
names there start with bed/, bed-lazy/ and bed-legacy/; those marked
huge_1g run in bed-1g/ (1 GiB pages reserved at boot) instead.  On a
host without /dev/kvm the host copies are not run at all (the bed's are
their twins), so they are neither passed nor skipped.  Under CI (CI=true)
any skip fails the run.

usage: run.py [-k SUBSTRING] [-v] [--no-bed]
       run.py --inner tdp|tdp-lazy|legacy-tdp|tdp-1g [-k SUBSTRING]   (inside the bed)
"""
import importlib.util
import os
import shutil
import subprocess
import tempfile
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "e2e"))
sys.path.insert(0, os.path.join(HERE, "vm"))

import harness  # noqa: E402  (tests/e2e/harness.py)
ROOT = harness.ROOT
import bed  # noqa: E402  (tests/vm/bed.py)

# The bed's boots: name prefix, kvm module parameters, wall-clock limit (a
# boot's tests take about 7 minutes here).  Each runs every VM test on a
# different MMU: the TDP MMU with eager splitting; the TDP MMU splitting
# lazily (eager_page_split=0: faults demote huge mappings, as on the shadow
# MMU); and KVM's older TDP code (tdp_mmu=N), whose faults take mmu_lock for
# write, so that vCPUs wait for each other.  All emulate one CPU at a time
# (-accel tcg,thread=single): a vCPU that emulation preempts while it holds
# mmu_lock makes the other wait, as a host that preempts a vCPU thread does,
# so waits are real.  Multi-threaded emulation hung 2 of 4 boots here (while
# creating VMs), so it is not used.
# A fourth boot has 1 GiB pages: 6 GiB of memory, two of them reserved as
# 1 GiB pages on the kernel command line (a 4 GiB bed cannot find one at
# run time); it runs the tests marked @vm_test(huge_1g=True), and only those.
BEDS = {"tdp": ("bed/", (), 1500, {}),
        "tdp-lazy": ("bed-lazy/", ("eager_page_split=0",), 1500, {}),
        "legacy-tdp": ("bed-legacy/", ("tdp_mmu=N",), 1500, {}),
        "tdp-1g": ("bed-1g/", (), 1500, {"mem": "6G", "append": ("hugepagesz=1G", "hugepages=2")})}


def boot_tests(mode, tests):
    """The VM tests of one boot: the 1 GiB boot runs the 1 GiB tests, the
    others the rest."""
    return [(n, fn) for n, fn in tests if getattr(fn, "vm_test", False)
            and getattr(fn, "huge_1g", False) == (mode == "tdp-1g")]


def unit_tests(out):
    d = os.path.join(out, "tests")
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        path = os.path.join(d, name)
        if name.startswith("test_") and os.access(path, os.X_OK):
            def run(path=path):
                p = subprocess.run([path], capture_output=True, text=True, timeout=300)
                if p.returncode == 77:  # the automake convention for "skipped"
                    raise harness.Skip(p.stdout.strip().splitlines()[-1].lstrip("# "))
                if p.returncode:
                    bad = [l for l in p.stdout.splitlines() if l.startswith("not ok")]
                    raise AssertionError("\n".join(bad) or p.stdout[-2000:] + p.stderr[-2000:])
            yield "unit/" + name, run


def golden_tests(out):
    """Recordings of real runs (SPLITTOP_RECORD, see tests/golden/README) rendered
    again: the bytes must equal what the run itself printed."""
    d = os.path.join(ROOT, "tests", "golden")
    for name in sorted(os.listdir(d)):
        stem, ext = os.path.splitext(name)
        if ext not in (".csv", ".json", ".view"):
            continue
        def run(stem=stem, ext=ext):
            want = open(os.path.join(d, stem + ext), "rb").read()
            p = subprocess.run([os.path.join(out, "tests", "golden_replay"), ext[1:],
                                os.path.join(d, stem + ".rec")], capture_output=True, timeout=60)
            if p.returncode:
                raise AssertionError(p.stderr.decode(errors="replace"))
            if p.stdout != want:
                got, exp = p.stdout.decode(errors="replace").splitlines(), want.decode(errors="replace").splitlines()
                for i, (a, b) in enumerate(zip(got, exp)):
                    if a != b:
                        k = next(j for j in range(min(len(a), len(b)) + 1) if a[j:j + 1] != b[j:j + 1])
                        raise AssertionError("%s%s line %d differs at byte %d:\n  got  ...%s\n  want ...%s"
                                             % (stem, ext, i + 1, k, a[max(0, k - 60):k + 60], b[max(0, k - 60):k + 60]))
                raise AssertionError("%s%s: %d lines, want %d" % (stem, ext, len(got), len(exp)))
        yield "golden/" + stem + ext, run


def sanitized_unit_tests(out):
    """The same unit tests built with ASan and UBSan (make asan)."""
    for name, fn in unit_tests(os.path.join(out, "asan")):
        yield "asan-" + name, fn


def fuzz_tests(out):
    """Each libFuzzer target for a bounded time (FUZZ_SECONDS, default 20)."""
    d = os.path.join(out, "fuzz")
    secs = os.environ.get("FUZZ_SECONDS", "20")
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        path = os.path.join(d, name)
        if not (name.startswith("fuzz_") and os.access(path, os.X_OK)):
            continue

        def run(path=path):
            corpus = tempfile.mkdtemp(prefix="splittop-corpus.")
            try:
                # close_fd_mask: the target's own prints (usage errors) are
                # not the fuzzer's report.
                p = subprocess.run([path, "-max_total_time=" + secs, "-timeout=10", "-rss_limit_mb=1024",
                                    "-close_fd_mask=3", "-artifact_prefix=" + corpus + "/", corpus], capture_output=True, text=True, timeout=int(secs) + 120)
                crashes = [os.path.join(corpus, f) for f in os.listdir(corpus) if f.startswith(("crash-", "leak-", "timeout-"))]
                if crashes:
                    with open(crashes[0], "rb") as f:
                        p.stderr += "\nreproducer %s: %r" % (os.path.basename(crashes[0]), f.read()[:300])
            finally:
                shutil.rmtree(corpus, ignore_errors=True)
            if p.returncode:
                raise AssertionError(p.stderr[-3000:])
            runs = [l for l in p.stderr.splitlines() if l.startswith("Done ")]
            if not runs:
                raise AssertionError("no 'Done N runs' from libFuzzer: " + p.stderr[-1000:])
        yield "fuzz/" + name, run


def e2e_tests(sub):
    d = os.path.join(HERE, sub)
    for fname in sorted(os.listdir(d)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(d, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for attr, fn in list(vars(mod).items()):  # definition order
            if attr.startswith("test_") and callable(fn):
                yield "%s/%s" % (fname[:-3], attr), fn


def run_bed(mode, pattern, counts, skips):
    """One boot of the bed running this boot's VM tests with this same
    script (--inner); their PASS/FAIL/SKIP lines stream through and count
    here.  A boot that fails counts as one failed test, prefix + "boot"."""
    prefix, kvm_params, limit, boot = BEDS[mode]
    argv = ["python3", "tests/run.py", "--inner", mode] + (["-k", pattern] if pattern else [])
    env = {k: os.environ[k] for k in ("CI", "OUT", "FUZZ_SECONDS") if k in os.environ}
    env["SPLITTOP_BED"] = mode
    try:
        r = bed.run(argv, cwd=ROOT, timeout=limit, kvm_params=kvm_params, env=env, echo=True, **boot)
        inner = [l for l in r.stdout.splitlines() if l.startswith("inner: ")]
        if not inner:
            raise bed.BedError("the bed's run printed no counts (exit %d):\n%s" % (r.returncode, r.stderr[-3000:]))
    except bed.BedError as e:
        counts["failed"] += 1
        print("FAIL %sboot" % prefix)
        for line in str(e).rstrip().splitlines()[-40:]:
            print("     " + line)
        return
    p, f, sk = (int(x) for x in inner[-1].split()[1:4])
    counts["passed"] += p
    counts["failed"] += f
    counts["skipped"] += sk
    skips += [l.split()[1] for l in r.stdout.splitlines() if l.startswith("SKIP ")]
    print("%s: %d passed, %d failed, %d skipped in %.0f s (%d boot%s)" % (
        prefix.rstrip("/"), p, f, sk, r.elapsed_s, r.boots, "s" if r.boots > 1 else ""), flush=True)


def select(tests, pattern):
    return [(n, fn) for n, fn in tests if pattern in n]


def run_tests(tests, counts, skips):
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
        except harness.Skip as e:
            counts["skipped"] += 1
            skips.append(name)
            print("SKIP %s (%s)" % (name, e), flush=True)
            continue
        except Exception as e:  # a test failure is any exception, with its story
            counts["failed"] += 1
            print("FAIL %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            for line in detail.rstrip().splitlines()[-40:]:
                print("     " + line)
            continue
        counts["passed"] += 1
        print("PASS %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)


def inner(mode, pattern):
    """Inside the bed: this boot's VM tests, named with its prefix."""
    prefix = BEDS[mode][0]
    tests = [(prefix + n, fn) for n, fn in boot_tests(mode, e2e_tests("e2e"))]
    counts, skips = {"passed": 0, "failed": 0, "skipped": 0}, []
    run_tests(select(tests, pattern), counts, skips)
    harness.cleanup_all()
    print("inner: %(passed)d %(failed)d %(skipped)d" % counts)
    return 0


def main():
    args = sys.argv[1:]
    pattern = args[args.index("-k") + 1] if "-k" in args else ""
    if "--inner" in args:
        return inner(args[args.index("--inner") + 1], pattern)
    use_bed = "--no-bed" not in args
    out = os.environ.get("OUT", "build")
    counts, skips = {"passed": 0, "failed": 0, "skipped": 0}, []
    e2e = list(e2e_tests("e2e"))
    vm = [(n, fn) for n, fn in e2e if getattr(fn, "vm_test", False)]
    if not harness.host_has_kvm():
        # Their twins run in the bed; here they would only skip.
        e2e = [(n, fn) for n, fn in e2e if not getattr(fn, "vm_test", False)]
        print("no /dev/kvm on this host: its %d VM tests run in the bed only" % len(vm), flush=True)
    run_tests(select(list(unit_tests(out)) + list(golden_tests(out)) + list(sanitized_unit_tests(out)) + list(fuzz_tests(out)) + e2e,
                     pattern), counts, skips)
    for mode in BEDS if use_bed else ():
        prefix = BEDS[mode][0]
        # Boot only if a test of this boot matches the pattern.
        if select([(prefix + n, fn) for n, fn in boot_tests(mode, vm)], pattern):
            run_bed(mode, pattern, counts, skips)
    run_tests(select(list(e2e_tests("kernel")), pattern), counts, skips)
    run_tests(select(list(e2e_tests("qemu")), pattern), counts, skips)
    harness.cleanup_all()
    strict = False
    if os.environ.get("CI") == "true":
        if counts["skipped"]:
            print("CI: these tests skipped, but every capability is present on CI: " + ", ".join(skips))
            strict = True
        if not use_bed:
            print("CI: --no-bed leaves out the VM tests' runs in the bed")
            strict = True
    print("%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
    return 1 if counts["failed"] or strict else 0


if __name__ == "__main__":
    sys.exit(main())
