#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""splittop's test runner.

Runs the unit test binaries (build/tests/test_*) and every test_* function of
tests/e2e/*.py and tests/kernel/test_*.py (the stock kernel under emulation,
booted once), then prints one closing line: "N passed, N failed, N skipped".
A test skips (with its reason) when what it needs is absent: root, /dev/kvm.
Under CI (CI=true) every capability is present, so any skip fails the run.

usage: run.py [-k SUBSTRING] [-v]
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

import harness  # noqa: E402  (tests/e2e/harness.py)


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


def main():
    args = sys.argv[1:]
    pattern = args[args.index("-k") + 1] if "-k" in args else ""
    verbose = "-v" in args
    out = os.environ.get("OUT", "build")
    passed = failed = skipped = 0
    skips = []
    tests = (list(unit_tests(out)) + list(sanitized_unit_tests(out)) + list(fuzz_tests(out)) +
             list(e2e_tests("e2e")) + list(e2e_tests("kernel")))
    for name, fn in tests:
        if pattern not in name:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except harness.Skip as e:
            skipped += 1
            skips.append(name)
            print("SKIP %s (%s)" % (name, e), flush=True)
            continue
        except Exception as e:  # a test failure is any exception, with its story
            failed += 1
            print("FAIL %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            for line in detail.rstrip().splitlines()[-40:]:
                print("     " + line)
            continue
        passed += 1
        print("PASS %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
    harness.cleanup_all()
    strict = os.environ.get("CI") == "true" and skipped
    if strict:
        print("CI: these tests skipped, but every capability is present on CI: " + ", ".join(skips))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or strict else 0


if __name__ == "__main__":
    sys.exit(main())
