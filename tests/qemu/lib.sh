# SPDX-License-Identifier: GPL-2.0-only
# Shell helpers of the real-QEMU tier's scripts (migrate.sh, migrate1g.sh),
# sourced by them inside the bed.

# hmp MONITOR COMMAND: one HMP command over QEMU's unix monitor socket.
hmp() {
	echo "$2" | socat - "unix-connect:$1" 2>/dev/null
}

# wait_file PATH: until PATH is not empty (up to 100 tries of 0.1 s, which
# take longer under emulation).
wait_file() {
	for i in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_socket PATH: until the UNIX socket PATH exists (wait_file would wait
# out all its tries: a socket is never "not empty").
wait_socket() {
	for i in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# last_seen FILE: each VM of the last JSON line of FILE as name:pages_4k/pages_2m,
# and the free hugetlb pages, on one line, for a failure message.
last_seen() {
	{
		python3 - "$1" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
    line = json.loads(lines[-1])
    print(" ".join("%s:%s/%s" % (v["vm"], v["pages_4k"], v["pages_2m"]) for v in line.get("vms", [])) or "no VM",
          "(%d lines)" % len(lines))
except (OSError, ValueError, IndexError) as e:
    print("nothing readable: %s" % e)
PY
		grep -h -E '^(HugePages_Free|HugePages_Rsvd)' /proc/meminfo
	} | tr -s ' \n' ' '
}

# wait_mapped JSON VM FIELD MIN SECS: until one of the last interval rows of
# splittop's JSON lines shows VM with FIELD (pages_2m, pages_1g) >= MIN.
wait_mapped() {
	python3 - "$@" <<'PY'
import json, os, sys, time
path, vm, field, least, secs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
deadline = time.monotonic() + secs
while time.monotonic() < deadline:
    with open(path, "rb") as f:
        f.seek(max(0, os.fstat(f.fileno()).st_size - 65536))
        tail = f.read().decode(errors="replace").splitlines()[1:]
    for line in tail[-6:]:
        try:
            vms = json.loads(line)["vms"]
        except (ValueError, KeyError):
            continue
        if any(v["vm"] == vm and v[field] >= least for v in vms):
            sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
PY
}

# wait_verdict JSON VM SECS: until splittop's interval rows call VM's
# migration not converging (its "converging" column 0); prints
# "not-converging round=N", or what was last said when SECS ran out
# ("converging round=N", "unknown round=none").  Whatever stops a look at
# the file (an error reading it over the bed's 9p share, a line it cannot
# take) is said on stderr, with the line, and the next look goes on: the
# CI of 2cd50df got no verdict at all, the check having died 56 s in with
# its reason lost.  The errors seen, if any, end the printed verdict.
wait_verdict() {
	python3 - "$@" <<'PY'
import json, os, sys, time
path, vm, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline, last, errors = time.monotonic() + secs, "unknown round=none", []


def look():
    with open(path, "rb") as f:
        f.seek(max(0, os.fstat(f.fileno()).st_size - 262144))
        tail = f.read().decode(errors="replace").splitlines()[1:]
    for line in tail[-4:]:
        try:
            vms = json.loads(line)["vms"]
        except (ValueError, KeyError):
            continue	# the line splittop is still writing, or no VM's
        try:
            for v in vms:
                if v["vm"] == vm and v.get("converging") is not None:
                    yield v
        except Exception as e:
            raise RuntimeError("%r in the line %r" % (e, line[:2000]))


while time.monotonic() < deadline:
    try:
        for v in look():
            last = "%s round=%s" % ("converging" if v["converging"] else "not-converging",
                                    (v.get("convergence") or {}).get("round"))
            if not v["converging"]:
                print(last)
                sys.exit(0)
    except Exception as e:
        errors.append(repr(e))
        print("wait_verdict: %r" % e, file=sys.stderr)
    time.sleep(0.5)
print(last + (" errors=%d:%s" % (len(errors), errors[-1][:200].replace(" ", "_")) if errors else ""))
PY
}
