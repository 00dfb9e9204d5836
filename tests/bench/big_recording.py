#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench-replay: a night's recording, made up from a real one, and what
--replay's view costs on it.  The frames are the stock kernel's golden
recording (tests/golden/tdp-get-json.json: its third interval, a VM with
two vCPUs, function probes: the biggest VM object splittop writes) for
VMS VMs, one line a second for HOURS hours; then golden_replay seek-bench
times opening it and the moves of the view, and the sizes compressed are
printed (zstd and gzip at their default levels, as a user would).

usage: big_recording.py [VMS [HOURS [DIR]]]   (default 64 1 /tmp)"""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("OUT", os.path.join(ROOT, "build"))


def main():
    vms = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    hours = float(sys.argv[2]) if len(sys.argv) > 2 else 1
    d = sys.argv[3] if len(sys.argv) > 3 else "/tmp"
    with open(os.path.join(ROOT, "tests", "golden", "tdp-get-json.json")) as f:
        lines = f.read().splitlines()
    host, frame = lines[0], json.loads(lines[3])
    vm = frame["vms"][0]
    path = os.path.join(d, "splittop-night-%dvms-%gh.jsonl" % (vms, hours))
    t0 = time.monotonic()
    with open(path, "w") as out:
        out.write(host + "\n")
        start = frame["time_unix_s"]
        frames = int(hours * 3600)
        objs = [dict(vm, pid=1000 + k, vm="vm%03d" % k) for k in range(vms)]
        for i in range(frames):
            # An enable in one VM every 10 minutes: a migration starting.
            enable = i % 600 == 0
            body = ",".join(json.dumps(dict(o, dirty_log_enables=1 if enable and k == 0 else 0),
                                       separators=(",", ":")) for k, o in enumerate(objs))
            out.write('{"type":"interval","time_unix_s":%.3f,"elapsed_s":%.3f,"vms":[%s],"self":%s}\n'
                      % (start + i, i + 1.0, body, json.dumps(frame["self"], separators=(",", ":"))))
        # The run's totals (the same objects: any counts will do here).
        out.write('{"type":"total","time_unix_s":%.3f,"elapsed_s":%.3f,"vms":[%s],"self":%s}\n'
                  % (start + frames, frames + 0.5, body, json.dumps(frame["self"], separators=(",", ":"))))
    size = os.path.getsize(path)
    print("recording\t%s: %d VMs x %d frames, %.0f MB (%.2f KB per VM per interval), made in %.0f s"
          % (path, vms, frames, size / 1e6, size / vms / frames / 1e3, time.monotonic() - t0))
    subprocess.run(["sync"])
    p = subprocess.run([os.path.join(OUT, "tests", "golden_replay"), "seek-bench", path], capture_output=True,
                       text=True)
    sys.stdout.write(p.stdout)
    if p.returncode:
        sys.exit(p.stderr)
    # Copies compress far better than a real run: the golden real
    # recordings are what compression would save.
    for name in ("shadow-clear2-json.json", "tdp-get-json.json"):
        real = os.path.join(ROOT, "tests", "golden", name)
        for tool in (["zstd", "-q", "-c"], ["gzip", "-c"]):
            c = subprocess.run(tool + [real], capture_output=True).stdout
            print("%s of a real recording\t%.1f%% (%s)" % (tool[0], 100.0 * len(c) / os.path.getsize(real), name))
    os.unlink(path) if not os.environ.get("KEEP") else None


if __name__ == "__main__":
    main()
