# SPDX-License-Identifier: GPL-2.0-only
"""Scripted use, the way perf users script: a clean stdout, the command's
own VMs, exit codes a script can trust (man page, EXIT STATUS), -p and --vm
that match nothing, and a command that dies with splittop."""
import csv
import io
import json
import os
import signal
import subprocess
import tempfile
import time

from harness import DIRTYVM, SPLITTOP, mem, run, spawn, vm_test
from test_splittop import check_vm, read_csv

# A VM that keeps dirtying memory until it is stopped.
LOOP = [DIRTYVM, "--loop", "--vcpus", "1", "--mem", mem(16)]


def wait_for_vm(name, timeout=30):
    """The pid of the dirtyvm called name, once its VM exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in run(["pgrep", "-f", "--", "--name %s" % name]).stdout.split():
            try:
                links = [os.readlink("/proc/%s/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%s/fd" % pid)]
            except OSError:
                continue
            if "anon_inode:kvm-vm" in links:
                return int(pid)
        time.sleep(0.1)
    raise AssertionError("no VM called %s within %ss" % (name, timeout))


def foreign_vm(name):
    """A VM this test did not start through splittop: a dirtyvm --loop."""
    p = spawn(LOOP + ["--name", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_vm(name)
    return p


@vm_test()
def test_csv_on_stdout_is_pure_and_the_command_output_goes_to_stderr():
    """splittop --csv -- CMD > out.csv: every line of stdout is CSV (Python's
    csv module reads it whole, every row as wide as the header), and the
    command's own output (its phase lines, its summary) is on stderr."""
    p = run([SPLITTOP, "--csv", "-i", "0.2", "--", DIRTYVM, "--json", "--vcpus", "1", "--mem", mem(16),
             "--rounds", "2", "--name", "pure"], timeout=300)
    assert p.returncode == 0, p.stderr
    rows = list(csv.reader(io.StringIO(p.stdout)))
    assert rows[0][:3] == ["time_unix_s", "elapsed_s", "scope"], rows[0]
    assert all(len(r) == len(rows[0]) for r in rows), [r for r in rows if len(r) != len(rows[0])][:2]
    assert [r[2] for r in rows[1:]].count("total") == 1, rows
    assert "Populate memory time" in p.stderr and "Populate memory time" not in p.stdout, p.stderr
    summary = json.loads([l for l in p.stderr.splitlines() if l.startswith("{")][-1])
    total = dict(zip(rows[0], [r for r in rows if r[2] == "total"][0]))
    check_vm(total, summary, summary["vms"][0])


@vm_test()
def test_the_command_vms_only_unless_all():
    """-- CMD counts the VMs of CMD and its descendants: a foreign VM
    running beside it is left out of its rows, and -a takes it in."""
    foreign = foreign_vm("foreign1")
    try:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.csv")
            script = "%s --vcpus 1 --mem %s --rounds 2 --name child1 >/dev/null" % (DIRTYVM, mem(16))
            p = run([SPLITTOP, "-i", "0.2", "-o", out, "--", "sh", "-c", script], timeout=300)
            assert p.returncode == 0, p.stderr
            names = {r["vm"] for r in read_csv(out)}
            assert names == {"child1"}, names
            p = run([SPLITTOP, "-a", "-i", "0.2", "-o", out, "--", "sh", "-c", script], timeout=300)
            assert p.returncode == 0, p.stderr
            names = {r["vm"] for r in read_csv(out)}
            assert {"child1", "foreign1"} <= names, names
    finally:
        foreign.terminate()
        foreign.wait(timeout=60)


@vm_test()
def test_exit_status_table():
    """Each row of the man page's EXIT STATUS, case by case."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.csv")
        # -d and -c end a command that still runs: SIGTERM, and exit 0.
        for limit in (["-d", "1"], ["-c", "2"]):
            p = run([SPLITTOP, "-i", "0.3", "-o", out] + limit + ["--"] + LOOP + ["--name", "limited"],
                    timeout=120)
            assert p.returncode == 0, (limit, p.returncode, p.stderr)
            assert any(r["vm"] == "limited" and r["scope"] == "total" for r in read_csv(out)), limit
        # The command ended first: its own status, a failure included.
        script = "%s --vcpus 1 --mem %s --rounds 1 --name failing >/dev/null; exit 3" % (DIRTYVM, mem(16))
        p = run([SPLITTOP, "-i", "0.3", "-o", out, "--", "sh", "-c", script], timeout=120)
        assert p.returncode == 3, (p.returncode, p.stderr)
        # A signal to splittop: 128+N, the command stopped too.
        for sig in (signal.SIGINT, signal.SIGTERM):
            sp = spawn([SPLITTOP, "-i", "0.3", "-o", out, "--"] + LOOP + ["--name", "signalled"])
            wait_for_vm("signalled")
            sp.send_signal(sig)
            sp.communicate(timeout=60)
            assert sp.returncode == 128 + sig, (sig, sp.returncode)
        # No VM of the command's: one line, exit 1.
        p = run([SPLITTOP, "-i", "0.2", "-o", out, "--", "sleep", "0.5"], timeout=60)
        assert p.returncode == 1 and "no VM of sleep" in p.stderr and "-a" in p.stderr, (p.returncode, p.stderr)
        # A runtime error: 1; a usage error: 2; a command that cannot run: 127.
        p = run([SPLITTOP, "-c", "1", "-o", os.path.join(d, "no", "such", "dir.csv")], timeout=60)
        assert p.returncode == 1, p.returncode
        p = run([SPLITTOP, "--interval", "0"], timeout=60)
        assert p.returncode == 2, p.returncode
        p = run([SPLITTOP, "-c", "1", "-o", out, "--", "/no/such/command"], timeout=60)
        assert p.returncode == 127, (p.returncode, p.stderr)


@vm_test()
def test_selections_that_match_nothing():
    """-p of no process, or of one without a VM: one line, exit 2 at start.
    -p takes a comma-separated list (pgrep -d,).  --vm that matches no VM:
    a warning once, exit 1 at the end."""
    p = run([SPLITTOP, "-p", "4194303", "-c", "1"], timeout=60)
    assert p.returncode == 2 and p.stderr.strip() == "splittop: -p 4194303: no such process", p.stderr
    p = run([SPLITTOP, "-p", str(os.getpid()), "-c", "1"], timeout=60)
    assert p.returncode == 2 and "no KVM VM in this process" in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    a, b = foreign_vm("listed1"), foreign_vm("listed2")
    try:
        pids = "%d,%d" % (a.pid, b.pid)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.csv")
            p = run([SPLITTOP, "-p", pids, "-i", "0.3", "-c", "3", "-o", out], timeout=120)
            assert p.returncode == 0, p.stderr
            assert {r["vm"] for r in read_csv(out)} == {"listed1", "listed2"}
            # pidof's blank-separated list, quoted, is taken too.
            p = run([SPLITTOP, "-p", "%d %d" % (a.pid, b.pid), "-i", "0.3", "-c", "1", "-o", out], timeout=120)
            assert p.returncode == 0, p.stderr
            p = run([SPLITTOP, "--vm", "nosuch", "-i", "0.2", "-c", "3", "-o", out], timeout=120)
            assert p.returncode == 1, (p.returncode, p.stderr)
            assert p.stderr.count("matches no VM (yet)") == 1 and "'nosuch' matched no VM" in p.stderr, p.stderr
    finally:
        for v in (a, b):
            v.terminate()
            v.wait(timeout=60)


@vm_test()
def test_the_command_dies_with_splittop():
    """kill -9 of splittop: the command gets SIGTERM (PR_SET_PDEATHSIG) and
    ends, not re-parented to init."""
    sp = spawn([SPLITTOP, "-i", "0.3", "-o", "/dev/null", "--"] + LOOP + ["--name", "orphan"])
    child = wait_for_vm("orphan")
    sp.kill()
    sp.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and os.path.exists("/proc/%d" % child):
        time.sleep(0.1)
    assert not os.path.exists("/proc/%d" % child), "dirtyvm %d outlived splittop's kill -9" % child


def test_help_example_with_many_processes():
    """--help's -p example is the comma-separated form, and a blank-separated
    list in two arguments (pidof unquoted) gets a hint, not a bare error."""
    p = run([SPLITTOP, "--help"], timeout=10)
    assert "-p $(pgrep -d, qemu-system)" in p.stdout, p.stdout
    p = run([SPLITTOP, "-p", "1", "2"], timeout=10)
    assert p.returncode == 2 and "comma-separated" in p.stderr, p.stderr


def test_make_help_lists_every_target():
    """make help: one line per target the Makefile declares (but its own
    checks), and README points at it."""
    import re
    from harness import ROOT
    with open(os.path.join(ROOT, "Makefile")) as f:
        phony = re.search(r"^\.PHONY:(.*)$", f.read(), re.M).group(1).split()
    p = run(["make", "-s", "-C", ROOT, "help"], timeout=60)
    assert p.returncode == 0, p.stderr
    listed = {l.split()[1] for l in p.stdout.splitlines() if len(l.split()) > 1 and l.startswith("make ")}
    missing = {t for t in phony if not t.startswith("check-")} - listed - {"all"}
    assert not missing, "make help lacks %s" % sorted(missing)
    with open(os.path.join(ROOT, "README.md")) as f:
        assert "make help" in f.read()
