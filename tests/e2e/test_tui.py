# SPDX-License-Identifier: GPL-2.0-only
"""The live view, driven for real: splittop on a tmux terminal, real dirtyvm
VMs, keys sent with send-keys, the screen read with capture-pane."""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time

from harness import DIRTYVM, OUT, ROOT, SPLITTOP, Skip, host_vms, kernel, mem, run, spawn, vm_test
from test_splittop import check_vm


def fmt_count(v):
    """The view's number format (view.c fmt_count), for integer counts."""
    if v < 10000:
        return "%d" % v
    v /= 1000.0
    units = "kMGTP"
    u = 0
    while v >= 999.5 and u < len(units) - 1:
        v /= 1000.0
        u += 1
    if v < 9.995:
        return "%.2f%s" % (v, units[u])
    if v < 99.95:
        return "%.1f%s" % (v, units[u])
    return "%.0f%s" % (v, units[u])


class Term:
    """One tmux session running a shell command line on its own server."""

    def __init__(self, command, width=80, height=24, env=None):
        if subprocess.run(["which", "tmux"], capture_output=True).returncode:
            raise Skip("needs tmux")
        self.dir = tempfile.mkdtemp(prefix="splittop-tui.")
        self.sock = os.path.join(self.dir, "tmux.sock")
        self.status = os.path.join(self.dir, "status")
        self.stderr = os.path.join(self.dir, "stderr")
        envs = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in (env or {}).items())
        line = "%s %s 2>%s; echo $? > %s; sleep 600" % (envs, command, self.stderr, self.status)
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), line)

    def tmux(self, *args):
        p = subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True, text=True)
        assert p.returncode == 0, "tmux %s: %s" % (args, p.stderr)
        return p.stdout

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "t")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def wait(self, pred, what, timeout=60):
        """Capture until pred(screen) holds; return that screen."""
        deadline = time.monotonic() + timeout
        s = ""
        while time.monotonic() < deadline:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.1)
        raise AssertionError("screen never showed %s; last screen:\n%s\nstderr: %s"
                             % (what, s, self.read(self.stderr)))

    def exit_status(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.read(self.status)
            if s.strip():
                return int(s)
            time.sleep(0.1)
        raise AssertionError("splittop did not exit; screen:\n" + self.screen())

    def alternate_screen(self):
        return self.tmux("display-message", "-p", "-t", "t", "#{alternate_on}").strip() == "1"

    @staticmethod
    def read(path):
        try:
            with open(path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def table(screen):
    """The VM table as {name: {column: cell}}, and the header's sort column."""
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("NAME") or line.startswith("*NAME"):
            break
    else:
        return {}, None
    cols = line.split()
    sort = next((c[1:] for c in cols if c.startswith("*")), None)
    cols = [c.lstrip("*") for c in cols]
    rows = {}
    for line in lines[i + 1:]:
        cells = line.split()
        if len(cells) != len(cols):
            break
        rows[cells[0]] = dict(zip(cols, cells))
    return rows, sort


def dirtyvms(tag):
    """Pids of running dirtyvm processes whose command line has tag."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"dirtyvm" and tag.encode() in argv:
            pids.append(int(pid))
    return pids


def header(screen):
    """The table's column names, sort marker removed."""
    for line in screen.splitlines():
        if line.lstrip("*").startswith("NAME"):
            return [c.lstrip("*") for c in line.split()]
    return []


def row_order(screen, names=None):
    """The table's VM names, top to bottom; only those in names if given
    (VMs the test did not start may run on the host beside it)."""
    rows, _ = table(screen)
    return [r for r in rows if names is None or r in names]


OURS = ("alpha", "beta")   # the looping VMs of test_tui_keys_layout_and_live_rates


@vm_test()
def test_tui_totals_agree_with_csv():
    """A whole dirtyvm run in the view: its last screen and its detail pane
    agree with the CSV total row of the same run's frames (recorded with
    SPLITTOP_RECORD, rendered by the CSV writer), and that row with the
    workload's arithmetic and KVM's own counters of the same run (two runs
    of the same configuration may differ where vCPUs race: the TDP MMU).
    Leaving the view prints nothing but the command's held-back output."""
    args = ["--vcpus", "2", "--mem", mem(64), "--rounds", "3"]
    rec = os.path.join(tempfile.mkdtemp(prefix="splittop-tui-rec."), "run.rec")
    t = Term("%s -i 0.3 -- %s --json --name tuitest %s" % (SPLITTOP, DIRTYVM, " ".join(args)),
             width=140, height=30, env={"SPLITTOP_RECORD": rec})
    try:
        s = t.wait(lambda s: "exited with status 0" in s, "the end-of-run banner")
        rows, _ = table(s)
        assert "tuitest" in rows, s
        r = rows["tuitest"]
        assert "[TOTALS]" in s, s

        t.keys("Enter")
        d = t.wait(lambda s: "Faults since start" in s, "the detail pane")
        classes = re.search(r"all vCPUs\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", d)
        assert classes, d
        vcpu = [int(x) for x in re.findall(r"vCPU \d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)", d)]
        splits = re.search(r"  2M\s+(\d+)\s+(\d+)\s+(\d+)", d)
        assert splits, d
        t.keys("End")
        d = t.wait(lambda s: "Dirty-log operations" in s, "the end of the detail pane")
        gets = re.search(r"  get\s+(\d+)", d)
        assert gets, d
        t.keys("Escape")
        t.wait(lambda s: "tuitest" in table(s)[0], "the table again")

        t.keys("q")
        assert t.exit_status() == 0, t.read(t.stderr)
        assert not t.alternate_screen(), "terminal left in the alternate screen"
        out = t.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "t")
        assert "time_unix_s," not in out and ",total," not in out, "rows printed after the view: %s" % out
        csv_out = run([os.path.join(OUT, "tests", "golden_replay"), "csv", rec]).stdout
        total = [l for l in csv_out.splitlines() if ",total," in l]
        assert len(total) == 1, csv_out
        header = next(l for l in csv_out.splitlines() if l.startswith("time_unix_s,")).split(",")
        row = dict(zip(header, total[0].split(",")))
        # The command's own output is held back, then shown after the view.
        err = t.read(t.stderr)
        summary_line = [l for l in err.splitlines() if l.startswith("{")]
        assert summary_line, err
        summary = json.loads(summary_line[-1])
        assert summary["status"] == "completed", err
    finally:
        t.close()
    check_vm(row, summary, summary["vms"][0])
    faults = int(row["faults"])
    assert r["DEMOTS"] == fmt_count(int(row["demotions_2m"])), (r, row)
    assert r["FAULTS"] == fmt_count(faults), (r, faults)
    assert r["HWP"] == fmt_count(int(row["faults_huge_wp"])), (r, row)
    # DLOG as the CSV says it, known on every kernel (6.1 has no
    # kvm->nr_memslots_dirty_logging: the memslots' flags tell).
    assert row["dirty_logging"] == "0" and r["VCPU"] == "2" and r["DLOG"] == "off", (r, row)
    assert r["SPLITS"] == fmt_count(int(row["splits_2m"]) + int(row["splits_1g"])), (r, row)
    assert [int(x) for x in classes.groups()[:4]] == [int(row["faults_huge_wp"]), int(row["faults_nonpresent"]),
                                                      int(row["faults_4k_wp"]), int(row["faults_other"])], (
        classes.groups(), row)
    assert len(vcpu) == 2 and sum(vcpu) == faults, (vcpu, faults)
    assert int(splits.group(3)) == int(row["demotions_2m"]), (splits.groups(), row)
    assert int(gets.group(1)) == int(row["dirty_log_gets"]) == summary["params"]["rounds"], (gets.groups(), row)


@vm_test()
def test_tui_hostile_vm_name_reaches_neither_view_nor_totals():
    """A VM named to set the terminal's title and clear its screen (issue
    35): the view shows '?' for each control character, nothing is printed
    after q (issue 34: the view leaves the terminal as it found it), and
    the title stays the terminal's own."""
    shown = "?]0;pwned??[2J=EVIL"
    t = Term("%s -i 0.3 -- %s --vcpus 1 --mem %s --rounds 2 --name \"$(printf '\\033]0;pwned\\007\\033[2J=EVIL')\""
             % (SPLITTOP, DIRTYVM, mem(16)), width=100, height=30)

    def title():
        return t.tmux("display-message", "-p", "-t", "t", "#{pane_title}")

    try:
        s = t.wait(lambda s: "exited with status 0" in s, "the end-of-run banner")
        # The name column is as wide as the layout gives it: the row starts
        # with as much of the sanitized name as fits.
        row = [l for l in s.splitlines() if "]0;pwned" in l]
        assert len(row) == 1 and shown.startswith(row[0].split()[0]) and "\x1b" not in s, s
        assert "pwned" not in title(), title()
        t.keys("q")
        assert t.exit_status() == 0, t.read(t.stderr)
        out = t.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "t")
        assert ",total," not in out and "time_unix_s," not in out, out
        assert "pwned" not in title(), title()
    finally:
        t.close()


def _check_live_rates(t):
    """Faults every interval while logging, huge mappings lost, DLOG on."""
    # Live rates during dirty-log rounds: faults every interval while
    # logging, and each cycle's huge mappings lost: split eagerly (the
    # TDP MMU) or demoted by its first round's faults.  DLOG says "on"
    # on every kernel (KVM's counter, else the memslots' flags).
    lost = "SPLIT/s" if kernel()["mmu"] == "tdp" and kernel()["eager"] else "DEMOT/s"
    seen = {"FAULT/s": False, lost: False, "DLOG": False}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(seen.values()):
        r = table(t.screen())[0].get("alpha")
        if r:
            seen["FAULT/s"] |= r["FAULT/s"] not in ("0", "-")
            seen[lost] |= r[lost] not in ("0", "-")
            seen["DLOG"] |= r["DLOG"] == "on"
        time.sleep(0.15)
    assert all(seen.values()), seen


def _check_sort_and_filter(t, vms):
    """Sort by name both ways, then filter by name and by pid."""
    # Sort by name, both ways.
    for _ in range(25):
        if table(t.screen())[1] == "NAME":
            break
        t.keys("<")
        time.sleep(0.05)
    s = t.wait(lambda s: table(s)[1] == "NAME", "the name sort marker")
    assert row_order(s, OURS) == ["alpha", "beta"], s
    t.keys("r")
    s = t.wait(lambda s: row_order(s, OURS) == ["beta", "alpha"], "the reversed order")
    t.keys("r", "s")
    t.wait(lambda s: table(s)[1] not in (None, "NAME"), "the next sort column")

    # Filter by name, then by pid; Esc clears.
    t.keys("/", "bet", "Enter")
    s = t.wait(lambda s: row_order(s, OURS) == ["beta"], "the filtered table")
    t.keys("Escape")
    t.wait(lambda s: len(row_order(s, OURS)) == 2, "both rows again")
    t.keys("/", str(vms[0].pid), "Enter")
    t.wait(lambda s: row_order(s, OURS) == ["alpha"], "the pid filter")
    t.keys("Escape")
    t.wait(lambda s: len(row_order(s, OURS)) == 2, "both rows again")


def _check_overlays_detail_pause(t):
    """Help and sources overlays, the detail pane, pause, the interval keys."""
    # Help overlay; any key closes it.
    t.keys("h")
    t.wait(lambda s: "splittop keys" in s and "pause / resume" in s, "the help overlay")
    t.keys("x")
    t.wait(lambda s: "splittop keys" not in s, "the help closed")
    t.keys("u")
    t.wait(lambda s: "Where each metric comes from" in s, "the sources overlay")
    t.keys("Escape")

    # Detail pane of the selected VM, with its time series (one of ours:
    # filtered first, as other VMs may run on the host).
    t.keys("/", "alpha", "Enter")
    t.wait(lambda s: row_order(s) == ["alpha"], "alpha alone")
    t.keys("Home", "Enter")
    d = t.wait(lambda s: "Faults per second" in s and "faults/s" in s, "the detail pane")
    assert re.search(r"alpha  pid \d+  vCPUs 1", d), d
    t.keys("Escape")
    t.wait(lambda s: row_order(s) == ["alpha"], "the table after Esc")
    t.keys("Escape")
    t.wait(lambda s: len(row_order(s, OURS)) == 2, "both rows again")

    # Pause freezes the numbers; space resumes.
    t.keys("Space")
    a = t.wait(lambda s: "[PAUSED]" in s, "the paused marker")
    time.sleep(1.6)
    b = t.screen()
    assert table(a)[0] == table(b)[0], "numbers changed while paused"
    t.keys("Space")
    t.wait(lambda s: "[PAUSED]" not in s, "resumed")
    t.keys("+")
    t.wait(lambda s: "interval 1s" in s or "every 1s" in s, "the longer interval")


def _check_resize(t):
    """Wider shows every column; 80x24 again fits."""
    # Resize: wider shows every column, 80x24 again fits.
    t.tmux("resize-window", "-t", "t", "-x", "200", "-y", "60")
    s = t.wait(lambda s: "1G" in header(s), "all columns at 200x60")
    assert all(len(l) <= 200 for l in s.splitlines()) and len(s.splitlines()) <= 60
    assert {"alpha", "beta"} <= set(table(s)[0]), s
    t.tmux("resize-window", "-t", "t", "-x", "80", "-y", "24")
    s = t.wait(lambda s: header(s) and "1G" not in header(s) and
               {"alpha", "beta"} <= set(table(s)[0]), "the 80x24 layout")
    assert all(len(l) <= 80 for l in s.splitlines()) and len(s.splitlines()) <= 24


@vm_test()
def test_tui_keys_layout_and_live_rates():
    """Watching two looping VMs: the view appears, rates are live, and every
    key does what the help says; resizes keep the layout."""
    t = Term("%s -i 0.5" % SPLITTOP)
    vms = []
    try:
        # The no-VM message, where no VM runs on the host (other VMs may).
        if not host_vms():
            t.wait(lambda s: "No KVM virtual machine is running" in s, "the no-VM message")
        else:
            t.wait(lambda s: "splittop" in s, "the view")
        for name in ("alpha", "beta"):
            vms.append(spawn([DIRTYVM, "--loop", "--name", name, "--vcpus", "1", "--mem", mem(64)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        t.wait(lambda s: {"alpha", "beta"} <= set(table(s)[0]), "both VMs' rows")

        _check_live_rates(t)

        s = t.screen()
        assert table(s)[1] == "FAULT/s", "default sort is faults per second"
        assert all(len(l) <= 80 for l in s.splitlines()), s
        assert len(s.splitlines()) <= 24
        colored = t.screen(escapes=True)
        assert re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7])[;m]", colored), "no colors on a color terminal"

        _check_sort_and_filter(t, vms)
        _check_overlays_detail_pause(t)
        _check_resize(t)

        # A VM that exits leaves the table.
        vms[1].terminate()
        vms[1].wait(timeout=30)
        t.wait(lambda s: row_order(s, OURS) == ["alpha"], "the exited VM gone")

        t.keys("q")
        assert t.exit_status() == 0
        assert not t.alternate_screen()
        assert vms[0].poll() is None, "q stopped a VM splittop did not start"
    finally:
        t.close()
        for p in vms:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)


@vm_test()
def test_tui_quit_stops_command_and_signals_restore():
    """q before COMMAND ends stops it (exit 0); SIGTERM and SIGHUP restore
    the terminal; --no-color and NO_COLOR draw without colors."""
    cmd = "%s -i 0.5 %%s -- %s --loop --name quitme --vcpus 1 --mem %s" % (SPLITTOP, DIRTYVM, mem(64))
    t = Term(cmd % "--no-color")
    try:
        t.wait(lambda s: "quitme" in table(s)[0], "the VM row")
        plain = t.screen(escapes=True)
        assert not re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7])[;m]", plain), "colors despite --no-color"
        t.keys("q")
        assert t.exit_status() == 0
        assert not t.alternate_screen()
        assert not dirtyvms("quitme"), "dirtyvm still runs after q"
    finally:
        t.close()
    for sig in ("TERM", "HUP"):
        t = Term(cmd % "", env={"NO_COLOR": "1"})
        try:
            t.wait(lambda s: "quitme" in table(s)[0], "the VM row")
            assert not re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7])[;m]", t.screen(escapes=True)), "NO_COLOR ignored"
            # This terminal's splittop: a child of the pane's shell.
            shell = t.tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip()
            pid = run(["pgrep", "-P", shell, "-x", "splittop"]).stdout.split()
            assert len(pid) == 1, pid
            os.kill(int(pid[0]), getattr(__import__("signal"), "SIG" + sig))
            status = t.exit_status()
            # The signal is forwarded to dirtyvm; splittop's status says it was stopped by it.
            assert status == 128 + getattr(__import__("signal"), "SIG" + sig), status
            assert not t.alternate_screen(), "SIG%s left the alternate screen on" % sig
            assert not dirtyvms("quitme"), "dirtyvm still runs after SIG" + sig
        finally:
            t.close()


def cells(text):
    """Terminal cells of text: East Asian wide and fullwidth characters take two."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@vm_test()
def test_tui_wide_name_lines_up():
    """A VM name in a script of wide characters (each two cells) is padded
    and cut by cells: every column after it lines up with its header."""
    name = "\u6570\u636e\u5e93-db"     # 3 wide characters, then 3 narrow: 9 cells
    cmd = "%s -i 0.5 -- %s --loop --name %s --vcpus 1 --mem %s" % (SPLITTOP, DIRTYVM, name, mem(64))
    t = Term(cmd, env={"LC_ALL": "C.UTF-8"})
    try:
        s = t.wait(lambda s: name in s, "the VM row with its wide name")
        lines = s.splitlines()
        head = next(l for l in lines if l.lstrip("*").startswith("NAME"))
        row = next(l for l in lines if l.startswith(name))
        # Right-aligned columns: each header ends where its cell ends.
        ends_head = [cells(head[:m.end()]) for m in re.finditer(r"\S+", head)][1:]
        ends_row = [cells(row[:m.end()]) for m in re.finditer(r"\S+", row)][1:]
        assert ends_head == ends_row, "columns misaligned:\n%s\n%s" % (head, row)
        assert cells(row.split("  ")[0].rstrip()) == 9, row
        t.keys("q")
        assert t.exit_status() == 0
    finally:
        t.close()


def test_demo_in_the_bed_on_this_terminal():
    """make demo where the host has no /dev/kvm (forced with DEMO_IN_BED=1):
    the live view of a looping dirtyvm runs inside the bed, on this
    terminal at its size; q quits, the bed powers off, the terminal is
    restored.  Not a @vm_test: it is the host's own path into the bed."""
    if os.geteuid():
        raise Skip("needs root")
    import bed
    release = bed.kernel().release
    t = Term("cd %s && DEMO_IN_BED=1 bash tests/demo.sh %s" % (shlex.quote(ROOT), shlex.quote(OUT)),
             width=90, height=26)
    try:
        s = t.wait(lambda s: "demo" in table(s)[0], "the demo VM's row, from the bed", timeout=240)
        # The bed's kernel, its TDP MMU, and the view sized to this terminal.
        assert release in s.splitlines()[0] and "tdp" in s.splitlines()[0].lower(), s
        assert all(len(l) <= 90 for l in s.splitlines()) and len(s.splitlines()) <= 26, s
        s = t.wait(lambda s: table(s)[0].get("demo", {}).get("FAULT/s") not in (None, "0", "-"),
                   "live faults in the bed", timeout=120)
        t.keys("q")
        assert t.exit_status(timeout=120) == 0, t.read(t.stderr)
        assert not t.alternate_screen(), "terminal left in the alternate screen"
    finally:
        t.close()
