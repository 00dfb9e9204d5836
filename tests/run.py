#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""splittop's test runner.

Runs the unit test binaries (build/tests/test_*), their ASan builds, the
fuzzers, every test_* function of tests/e2e/*.py, then the kernel matrix:
the bed's boots (BOOTS) and the tiers that boot it themselves (TIERS:
tests/kernel, the stock-kernel tier; tests/qemu, Debian's QEMU
live-migrating a guest), two at a time, and prints the boots' times, the
kernels that ran and one closing line: "N passed, N failed, N skipped".

Tests marked @vm_test run a real VM.  They run on the host when it has
/dev/kvm, and in the bed (tests/vm: a stock Debian kernel under QEMU
emulation, a real KVM on any machine), in each boot that their scope asks
for (harness.SCOPES): their names there start with the boot's (bed/,
bed-lazy/, bed-legacy/, bed-1g/ for Debian 12's kernel; bed-KERNEL/,
bed-KERNEL-lazy/, ... for the others).  On a host without /dev/kvm the
host copies are not run at all (the bed's are their twins), so they are
neither passed nor skipped.  Under CI (CI=true) any skip fails the run.

usage: run.py [-k SUBSTRING] [--no-bed]
       run.py --inner BOOT [-k SUBSTRING]   (inside the bed)
"""
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "e2e"))
sys.path.insert(0, os.path.join(HERE, "vm"))

import harness  # noqa: E402  (tests/e2e/harness.py)
ROOT = harness.ROOT
import bed  # noqa: E402  (tests/vm/bed.py)
import arm64  # noqa: E402  (tests/vm/arm64.py)

# The kernel matrix: each kernel booted in the bed (tests/vm: a stock Debian
# kernel under QEMU emulation, a real KVM on any machine), resolved at run
# time (tests/vm/kernels.py).  Debian 12's (6.1) and the newest build
# (trixie-backports) run every test whose numbers depend on the MMU, in
# each MMU boot, with 1 GiB pages and the real-QEMU tier; the newest runs
# the rest too (the view, options, hardening, the fleet), once; the others
# (Debian 13's 6.12, the long-term 6.18, sid's) run the tests whose numbers
# follow the kernel, with eager splitting on and off.
FULL_KERNELS = ("stock", "backports")
CORE_KERNELS = ("6.12", "6.18", "sid")


class Boot:
    """One boot of the bed running VM tests.  name: the tests' prefix;
    mode: the MMU (SPLITTOP_BED inside); scope: which tests (harness.SCOPES,
    or "1g": the 1 GiB tests); est_s: its time here, to schedule the
    longest first."""
    def __init__(self, name, kernel, mode, kvm_params, scope, est_s, lazy_too=False, **boot):
        self.name, self.kernel, self.mode, self.kvm_params = name, kernel, mode, kvm_params
        self.scope, self.est_s, self.boot = scope, est_s, boot
        self.prefix = name + "/"
        # Then the same tests again with eager splitting off (KVM reads
        # eager_page_split at each enable and clear, so setting it at run
        # time is what the parameter at load does), named NAME-lazy/: one
        # boot, not two (a boot costs about a minute here).
        self.lazy_too = lazy_too


# Each MMU KVM offers: the TDP MMU with eager splitting; the TDP MMU
# splitting lazily (eager_page_split=0: faults split or demote huge
# mappings); and KVM's older TDP code (tdp_mmu=N), whose faults take
# mmu_lock for write, so that vCPUs wait for each other.  All emulate one CPU
# at a time (-accel tcg,thread=single): a vCPU that emulation preempts while
# it holds mmu_lock makes the other wait, as a host that preempts a vCPU
# thread does, so waits are real.  Multi-threaded emulation hung 2 of 4
# boots here (while creating VMs), so it is not used.  The 1 GiB boots have
# 6 GiB of memory, two of them reserved as 1 GiB pages on the kernel command
# line (a 4 GiB bed cannot find one at run time).
LAZY, LEGACY = ("eager_page_split=0",), ("tdp_mmu=N",)
GIB = {"mem": "6G", "append": ("hugepagesz=1G", "hugepages=2")}


def boots():
    out = [Boot("bed", "stock", "tdp", (), "mmu", 360), Boot("bed-lazy", "stock", "tdp-lazy", LAZY, "mmu", 360),
           Boot("bed-legacy", "stock", "legacy-tdp", LEGACY, "mmu", 360),
           Boot("bed-1g", "stock", "tdp-1g", (), "1g", 120, **GIB)]
    for k in FULL_KERNELS[1:]:
        out += [Boot("bed-" + k, k, "tdp", (), "all", 750), Boot("bed-%s-lazy" % k, k, "tdp-lazy", LAZY, "mmu", 300),
                Boot("bed-%s-1g" % k, k, "tdp-1g", (), "1g", 120, **GIB)]
    for k in CORE_KERNELS:
        out += [Boot("bed-" + k, k, "tdp", (), "core", 230, lazy_too=True)]
    return out


BOOTS = {b.name: b for b in boots()}
# Tiers that boot the bed themselves (tests/kernel, tests/qemu; tests/arm64
# boots the arm64 bed, tests/vm/arm64.py), per kernel:
# their tests are named KERNEL/test_... except Debian 12's.
TIERS = [("kernel", "stock", 150), ("qemu", "stock", 360), ("qemu", "backports", 390),
         ("arm64", "6.12", 90), ("arm64", "sid", 90)]


def boot_tests(boot, tests):
    """The VM tests of one boot: the 1 GiB boots run the 1 GiB tests, the
    others the tests their scope takes (harness.SCOPES)."""
    if boot.scope == "1g":
        return [(n, fn) for n, fn in tests if getattr(fn, "vm_test", False) and getattr(fn, "huge_1g", False)]
    upto = harness.SCOPES.index(boot.scope)
    return [(n, fn) for n, fn in tests if getattr(fn, "vm_test", False) and not getattr(fn, "huge_1g", False)
            and harness.SCOPES.index(getattr(fn, "scope", "all")) <= upto]


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


def script_tests():
    """The checks of the sources themselves (tests/unit/test_*.py: function
    sizes, include directions), each a script that prints TAP lines and
    exits non-zero on a failure; they need no build."""
    d = os.path.join(HERE, "unit")
    for name in sorted(os.listdir(d)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        def run(path=os.path.join(d, name)):
            p = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=300)
            if p.returncode:
                bad = [l for l in p.stdout.splitlines() if l.startswith(("not ok", "# "))]
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
        if ext == ".json":
            def replay_view(stem=stem):
                """--replay's live view, rebuilt from what the run printed
                (its JSON), shows at every frame what the live view showed
                (its model from the raw recording), with the rates over
                the JSON's millisecond timestamps (view-ms)."""
                tool = os.path.join(out, "tests", "golden_replay")
                got = subprocess.run([tool, "view-json", os.path.join(d, stem + ".json")],
                                     capture_output=True, timeout=60)
                want = subprocess.run([tool, "view-ms", os.path.join(d, stem + ".rec")],
                                      capture_output=True, timeout=60)
                if got.returncode or want.returncode:
                    raise AssertionError((got.stderr + want.stderr).decode(errors="replace"))
                a, b = got.stdout.decode().splitlines(), want.stdout.decode().splitlines()
                assert len(a) == len(b) and len(a) > 100, (len(a), len(b))
                for i, (x, y) in enumerate(zip(a, b)):
                    assert x == y, "%s line %d:\n  replay    %s\n  live view %s" % (stem, i + 1, x, y)
            yield "golden/" + stem + ".replay-view", replay_view


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

        # Kept seeds (tests/fuzz/corpus/NAME: inputs that once got past a
        # check), read after the run's own corpus, where new inputs go.
        seeds = [s for s in [os.path.join(ROOT, "tests", "fuzz", "corpus", name)] if os.path.isdir(s)]

        def run(path=path, seeds=seeds):
            corpus = tempfile.mkdtemp(prefix="splittop-corpus.")
            try:
                # close_fd_mask: the target's own prints (usage errors) are
                # not the fuzzer's report.
                p = subprocess.run([path, "-max_total_time=" + secs, "-timeout=10", "-rss_limit_mb=1024",
                                    "-close_fd_mask=3", "-artifact_prefix=" + corpus + "/", corpus] + seeds,
                                   capture_output=True, text=True, timeout=int(secs) + 120)
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


def e2e_tests(sub, setup=None):
    """The test_* functions of tests/SUB/test_*.py, each module loaded
    afresh (setup(module) first, if given): a tier run for two kernels at
    once keeps two sets of its module's state."""
    d = os.path.join(HERE, sub)
    for fname in sorted(os.listdir(d)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(fname[:-3], os.path.join(d, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if setup:
            setup(mod)
        for attr, fn in list(vars(mod).items()):  # definition order
            if attr.startswith("test_") and callable(fn):
                yield "%s/%s" % (fname[:-3], attr), fn


class Tally:
    """Counts and skips, shared by the jobs that run at once; every line
    printed whole."""
    def __init__(self):
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}
        self.skips, self.kernels, self.times = [], {}, []
        self.lock = threading.Lock()

    def add(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def say(self, text):
        with bed.print_lock:
            print(text, flush=True)


def run_bed(boot, pattern, tally):
    """One boot of the bed running this boot's VM tests with this same
    script (--inner); their PASS/FAIL/SKIP lines stream through and count
    here.  A boot that fails counts as one failed test, prefix + "boot"."""
    argv = ["python3", "tests/run.py", "--inner", boot.name] + (["-k", pattern] if pattern else [])
    env = {k: os.environ[k] for k in ("CI", "OUT", "FUZZ_SECONDS") if k in os.environ}
    env["SPLITTOP_BED"] = boot.mode
    env["SPLITTOP_BED_KERNEL"] = boot.kernel
    limit = 1500 if boot.scope == "all" else 900
    t0 = time.monotonic()
    try:
        r = bed.run(argv, cwd=ROOT, timeout=limit, kvm_params=boot.kvm_params, env=env, echo=True,
                    kernel=boot.kernel, **boot.boot)
        inner = [l for l in r.stdout.splitlines() if l.startswith("inner: ")]
        if not inner:
            raise bed.BedError("the bed's run printed no counts (exit %d):\n%s" % (r.returncode, r.stderr[-3000:]))
    except bed.BedError as e:
        tally.add("failed")
        tally.say("FAIL %sboot (%.0f s)\n%s" % (boot.prefix, time.monotonic() - t0, "\n".join(
            "     " + line for line in str(e).rstrip().splitlines()[-40:])))
        return
    p, f, sk = (int(x) for x in inner[-1].split()[1:4])
    tally.add("passed", p)
    tally.add("failed", f)
    tally.add("skipped", sk)
    with tally.lock:
        tally.skips += [l.split()[1] for l in r.stdout.splitlines() if l.startswith("SKIP ")]
        tally.kernels[boot.kernel] = r.kernel.release
        tally.times.append("%s %.0f s" % (boot.name, r.elapsed_s))
    tally.say("%s: %d passed, %d failed, %d skipped in %.0f s (kernel %s, %d boot%s)" % (
        boot.name, p, f, sk, r.elapsed_s, r.kernel.release, r.boots, "s" if r.boots > 1 else ""))


def select(tests, pattern):
    return [(n, fn) for n, fn in tests if pattern in n]


def run_tests(tests, tally):
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
        except harness.Skip as e:
            tally.add("skipped")
            with tally.lock:
                tally.skips.append(name)
            tally.say("SKIP %s (%s)" % (name, e))
            continue
        except Exception as e:  # a test failure is any exception, with its story
            tally.add("failed")
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            tally.say("FAIL %s (%.1fs)\n%s" % (name, time.monotonic() - t0, "\n".join(
                "     " + line for line in detail.rstrip().splitlines()[-40:])))
            continue
        tally.add("passed")
        tally.say("PASS %s (%.1fs)" % (name, time.monotonic() - t0))


def tier_tests(sub, kernel):
    """A tier that boots the bed itself, on one kernel of the matrix."""
    prefix = "" if kernel == "stock" else kernel + "/"
    return [(prefix + n, fn) for n, fn in e2e_tests(sub, lambda mod: setattr(mod, "KERNEL", kernel))]


def run_tier(sub, kernel, tests, tally):
    t0 = time.monotonic()
    run_tests(tests, tally)
    with tally.lock:
        if sub == "arm64" and kernel in arm64.booted_kernels:
            tally.kernels["arm64 " + kernel] = arm64.booted_kernels[kernel]
        elif kernel in bed.booted_kernels:
            tally.kernels[kernel] = bed.booted_kernels[kernel]
        tally.times.append("%s%s %.0f s" % ("" if kernel == "stock" else kernel + "/", sub, time.monotonic() - t0))


def inner(name, pattern):
    """Inside the bed: this boot's VM tests, named with its prefix."""
    boot = BOOTS[name]
    tally = Tally()
    for lazy in (False, True) if boot.lazy_too else (False,):
        prefix = boot.name + "-lazy/" if lazy else boot.prefix
        tests = select([(prefix + n, fn) for n, fn in boot_tests(boot, e2e_tests("e2e"))], pattern)
        if not tests:
            continue
        if lazy:
            with open("/sys/module/kvm/parameters/eager_page_split", "w") as f:
                f.write("N")
            harness.forget_kernel()
        harness.prepare_vm_tests()
        run_tests(tests, tally)
    harness.cleanup_all()
    print("inner: %(passed)d %(failed)d %(skipped)d" % tally.counts)
    return 0


def bed_jobs():
    """Boots at once: each emulates one CPU at a time, so one per core
    (SPLITTOP_BED_JOBS to choose), and no more than memory holds (a boot
    takes up to 6 GiB)."""
    if os.environ.get("SPLITTOP_BED_JOBS"):
        return max(1, int(os.environ["SPLITTOP_BED_JOBS"]))
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return max(1, min(os.cpu_count() or 1, int(mem_gib // 7), 4))


STOPPING = threading.Event()   # told to stop: no job starts any more


def run_jobs(jobs, n):
    """jobs: (estimated seconds, function); the longest first, n at a time."""
    todo = sorted(jobs, key=lambda j: -j[0])
    lock = threading.Lock()

    def worker():
        while not STOPPING.is_set():
            with lock:
                if not todo:
                    return
                _, fn = todo.pop(0)
            fn()
    threads = [threading.Thread(target=worker) for _ in range(min(n, len(todo)))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except BaseException:   # Ctrl-C, or stop() above
        STOPPING.set()
        bed.kill_all()
        for t in threads:
            t.join()
        raise


def main():
    # SIGTERM and SIGHUP unwind like Ctrl-C: each boot's QEMU is killed, its
    # temporary directory removed (tests/vm/bed.py), nothing left running.
    def stop(n, frame):
        STOPPING.set()
        bed.kill_all()
        harness.cleanup_all()
        sys.exit(128 + n)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    args = sys.argv[1:]
    pattern = args[args.index("-k") + 1] if "-k" in args else ""
    if "--inner" in args:
        return inner(args[args.index("--inner") + 1], pattern)
    use_bed = "--no-bed" not in args
    out = os.environ.get("OUT", "build")
    tally = Tally()
    t_start = time.monotonic()
    e2e = list(e2e_tests("e2e"))
    vm = [(n, fn) for n, fn in e2e if getattr(fn, "vm_test", False)]
    if not harness.host_has_kvm():
        # Their twins run in the bed; here they would only skip.
        e2e = [(n, fn) for n, fn in e2e if not getattr(fn, "vm_test", False)]
        tally.say("no /dev/kvm on this host: its %d VM tests run in the bed only" % len(vm))
    # The host's own tests first, alone: some time what they watch.
    host = select(list(unit_tests(out)) + list(script_tests()) + list(golden_tests(out)) + list(sanitized_unit_tests(out))
                  + list(fuzz_tests(out)) + e2e, pattern)
    if any(getattr(fn, "vm_test", False) for _, fn in host):
        harness.prepare_vm_tests()
    run_tests(host, tally)
    jobs = []
    for boot in BOOTS.values() if use_bed else ():
        # Boot only if a test of this boot matches the pattern.
        prefixes = [boot.prefix] + ([boot.name + "-lazy/"] if boot.lazy_too else [])
        if any(select([(p + n, fn) for n, fn in boot_tests(boot, vm)], pattern) for p in prefixes):
            jobs.append((boot.est_s, lambda boot=boot: run_bed(boot, pattern, tally)))
    for sub, kernel, est in TIERS if use_bed else ():
        tests = select(tier_tests(sub, kernel), pattern)
        if tests:
            jobs.append((est, lambda sub=sub, kernel=kernel, tests=tests: run_tier(sub, kernel, tests, tally)))
    n = bed_jobs()
    if jobs:
        tally.say("the bed: %d boots and tiers, %d at a time" % (len(jobs), n))
    run_jobs(jobs, n)
    harness.cleanup_all()
    strict = False
    if os.environ.get("CI") == "true":
        if tally.counts["skipped"]:
            print("CI: these tests skipped, but every capability is present on CI: " + ", ".join(tally.skips))
            strict = True
        if not use_bed:
            print("CI: --no-bed leaves out the VM tests' runs in the bed")
            strict = True
    if tally.times:
        print("boots: " + ", ".join(sorted(tally.times)))
    if tally.kernels:
        print("kernels: %s; %.0f min in all" % (", ".join("%s %s" % kv for kv in sorted(tally.kernels.items())),
                                               (time.monotonic() - t_start) / 60))
    print("%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % tally.counts)
    return 1 if tally.counts["failed"] or strict else 0


if __name__ == "__main__":
    sys.exit(main())
