# SPDX-License-Identifier: GPL-2.0-only
"""Helpers shared by the end-to-end tests: what the machine offers, running
dirtyvm and splittop, and killing whatever a failed test left running."""
import json
import os
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, os.environ.get("OUT", "build"))
DIRTYVM = os.path.join(OUT, "dirtyvm")
SPLITTOP = os.path.join(OUT, "splittop")

_procs = []


class Skip(Exception):
    """Raised by a test whose requirement is absent; the reason is printed."""


def need_kvm():
    if os.geteuid() != 0:
        raise Skip("needs root")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Skip("needs /dev/kvm")


def spawn(argv, **kw):
    """Popen that cleanup_all() will kill if the test forgets to."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def cleanup_all():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def run(argv, timeout=300, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def dirtyvm_json(*args, timeout=300):
    """Run dirtyvm --json; return (summary dict, completed process)."""
    p = run([DIRTYVM, "--json"] + [str(a) for a in args], timeout=timeout)
    assert p.returncode == 0, "dirtyvm %s failed (%d): %s" % (args, p.returncode, p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1]), p


def wait_for_line(p, text, timeout=30):
    """Read p's stdout until a line containing text; return the lines read."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError("no line with %r within %ss; got %r" % (text, timeout, lines[-5:]))


def read_int(path):
    with open(path) as f:
        return int(f.read().split()[0])


def expect_usage_error(argv, needle, code=2):
    p = run(argv, timeout=30)
    assert p.returncode == code, "%s: exit %d, want %d; stderr %r" % (argv, p.returncode, code, p.stderr)
    assert needle in p.stderr, "%s: stderr %r lacks %r" % (argv, p.stderr, needle)
    assert len(p.stderr.strip().splitlines()) == 1, "%s: want one line, got %r" % (argv, p.stderr)
    return p


def stop(p, sig=signal.SIGINT, timeout=30):
    p.send_signal(sig)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def rss_kib(pid):
    """A process's resident memory, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def bpf_fdinfo(pid, kind):
    """The fdinfo fields of each BPF object of kind ("map" or "prog") the
    process holds open."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "anon_inode:bpf-" + kind:
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                out.append({k.strip(): v.strip() for k, v in
                            (l.split(":", 1) for l in f.read().splitlines() if ":" in l)})
        except OSError:
            pass
    return out


def bpf_map_bytes(pid):
    """Memory of the BPF maps the process holds (their memlock)."""
    return sum(int(m.get("memlock", 0)) for m in bpf_fdinfo(pid, "map"))
