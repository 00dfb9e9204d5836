#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make soak: splittop's live view for 10 minutes (SOAK_SECONDS) at 0.1 s
on a looping dirtyvm, in tmux, next to a headless splittop.  Checks that
its memory and its BPF map memory do not grow, and that at the end its
counts equal the headless instance's and dirtyvm's own (ioctls it made,
2M mappings KVM lost).  The view prints no rows when it ends (issue 34):
its totals are its own frames, recorded (SPLITTOP_RECORD) and rendered by
the CSV writer (tests/golden_replay), as test_tui does.  Not part of make
test: it takes 10 minutes."""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from harness import DIRTYVM, OUT, SPLITTOP, bpf_map_bytes, rss_kib  # noqa: E402
from test_tui import Term  # noqa: E402

COUNTS = ["splits_2m", "splits_eager", "splits_fault", "demotions_2m", "faults", "faults_huge_wp",
          "faults_nonpresent", "faults_4k_wp", "faults_other", "mmu_lock_waits",
          "dirty_log_enables", "dirty_log_disables", "dirty_log_gets", "dirty_log_clears"]
# Durations each instance times with its own clock reads, its programs
# running one after the other on the same events: close, not equal.
DURATIONS = ["mmu_lock_wait_ns", "dirty_log_get_ns"]


def main():
    secs = float(os.environ.get("SOAK_SECONDS", "600"))
    if os.geteuid():
        sys.exit("make soak: needs root")
    d = tempfile.mkdtemp(prefix="splittop-soak.")
    ref_out = os.path.join(d, "ref.csv")
    ref = subprocess.Popen([SPLITTOP, "-i", "1", "-o", ref_out])
    while not os.path.exists(ref_out) or not open(ref_out).read():
        time.sleep(0.05)
    rec = os.path.join(d, "view.rec")
    t = Term("%s -i 0.1 -- %s --json --loop --name soak --vcpus 2 --mem 64M" % (SPLITTOP, DIRTYVM),
             width=120, height=40, env={"SPLITTOP_RECORD": rec})
    samples = []
    try:
        pid = None
        while pid is None:
            out = subprocess.run(["pgrep", "-f", "^%s -i 0.1 --" % SPLITTOP], capture_output=True, text=True).stdout
            pid = int(out.split()[0]) if out.split() else None
            time.sleep(0.1)
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            time.sleep(min(30, secs / 10))
            samples.append((round(time.monotonic() - t0), rss_kib(pid), bpf_map_bytes(pid)))
            print("soak: %4d s  RSS %d KiB  BPF maps %d bytes" % samples[-1], flush=True)
        screen = t.screen()
        t.keys("q")
        status = t.exit_status(timeout=60)
        err = t.read(t.stderr)
    finally:
        t.close()
        ref.send_signal(signal.SIGINT)
        ref.wait(timeout=60)
    rendered = subprocess.run([os.path.join(OUT, "tests", "golden_replay"), "csv", rec], capture_output=True,
                              text=True, check=True).stdout
    tui_total = next(r for r in csv.DictReader(io.StringIO(rendered)) if r["scope"] == "total" and r["vm"] == "soak")
    with open(ref_out) as f:
        ref_total = next(r for r in csv.DictReader(f) if r["scope"] == "total" and r["vm"] == "soak")
    shutil.rmtree(d, ignore_errors=True)
    summary = json.loads([l for l in err.splitlines() if l.startswith("{")][-1])
    vm = summary["vms"][0]
    fails = []
    if status != 0:
        fails.append("exit status %d" % status)
    warm = [s for s in samples if s[0] >= 60] or samples
    if warm[-1][1] - warm[0][1] > 512:
        fails.append("RSS grew %d KiB after the first minute" % (warm[-1][1] - warm[0][1]))
    if len({s[2] for s in samples}) != 1:
        fails.append("BPF map memory changed: %s" % sorted({s[2] for s in samples}))
    for k in COUNTS:
        if tui_total[k] != ref_total[k]:
            fails.append("%s: view %s, headless %s" % (k, tui_total[k], ref_total[k]))
    for k in DURATIONS:
        a, b = int(tui_total[k]), int(ref_total[k])
        print("soak: %s: view %d, headless %d (%+.1f%%)" % (k, a, b, 100.0 * (a - b) / b if b else 0), flush=True)
        if abs(a - b) > 0.15 * max(a, b):
            fails.append("%s: view %d, headless %d: more than 15%% apart" % (k, a, b))
    for k, want in (("dirty_log_enables", vm["total"]["enables"]), ("dirty_log_disables", vm["total"]["disables"]),
                    ("dirty_log_gets", vm["total"]["gets"]), ("demotions_2m", vm["total"]["lost_2m"])):
        if int(tui_total[k]) != want:
            fails.append("%s: %s, dirtyvm says %d" % (k, tui_total[k], want))
    print("soak: %.0f s, %d cycles; RSS %d -> %d KiB; BPF maps %d bytes; faults %s, demotions %s, gets %s"
          % (secs, vm["cycles"], samples[0][1], samples[-1][1], samples[-1][2], tui_total["faults"],
             tui_total["demotions_2m"], tui_total["dirty_log_gets"]))
    print("soak: last screen:\n" + screen)
    for f in fails:
        print("soak: FAIL " + f)
    print("soak: %s" % ("FAILED" if fails else "passed"))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
