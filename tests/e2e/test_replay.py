# SPDX-License-Identifier: GPL-2.0-only
"""splittop --replay: a recording of splittop --json written out again.
Its CSV must equal the CSV the recorded run would have printed, byte for
byte (the run's own frames, as SPLITTOP_RECORD kept them, rendered by
golden_replay: the golden tests hold that to what runs print), its JSON the
recording's own lines; -p and --vm select VMs as in a live run; a file it
cannot read is one line and exit 2."""
import csv
import io
import json
import os
import subprocess
import tempfile
import threading

from harness import DIRTYVM, OUT, ROOT, SPLITTOP, mem, run, vm_test

GOLDEN = os.path.join(ROOT, "tests", "golden")
GOLDEN_REPLAY = os.path.join(OUT, "tests", "golden_replay")


def replay(*args, timeout=60):
    return run([SPLITTOP, "--replay"] + [str(a) for a in args], timeout=timeout)


def rendered(rec, fmt="csv"):
    p = run([GOLDEN_REPLAY, fmt, rec], timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_replay_of_the_golden_recordings():
    """Each golden JSON recording (real runs: this host's shadow MMU, the
    stock kernel's TDP MMU, 1 GiB pages, two VMs with a name to escape)
    converts to the CSV its run would have printed, and to itself; and the
    one kept from before recordings had a format (format 0) reads too."""
    names = [f[:-5] for f in sorted(os.listdir(GOLDEN)) if f.endswith(".json")]
    assert len(names) >= 3, names
    for name in names:
        rec, js = os.path.join(GOLDEN, name + ".rec"), os.path.join(GOLDEN, name + ".json")
        p = replay(js)      # not a terminal: CSV
        assert p.returncode == 0 and p.stderr == "", (name, p.stderr)
        assert p.stdout == rendered(rec), name
        p = replay(js, "--json")
        with open(js) as f:
            assert p.returncode == 0 and p.stdout == f.read(), name
    old = os.path.join(GOLDEN, "format0", "tdp-get-json.json")
    with open(old) as f:
        assert '"format"' not in f.readline()
    p = replay(old, "--csv")
    assert p.returncode == 0, p.stderr
    # It predates dirty-log rounds and the answers: the columns it has no key
    # for are unknown (empty) there, where the text recording of the same run
    # reads them as 0 or works them out from its counts.
    got, want = list(csv.reader(io.StringIO(p.stdout))), list(csv.reader(io.StringIO(
        rendered(os.path.join(GOLDEN, "tdp-get-json.rec")))))
    with open(old) as f:
        keys = set(k for l in f if l.startswith('{"type":"interval"') for k in json.loads(l)["vms"][0])
    new = [k for k, name in enumerate(got[0]) if k >= 5 and name not in keys]
    assert {"dirty_pages", "dirty_rounds", "findings_firing"} <= {got[0][k] for k in new}, got[0]
    assert all(r[k] == "" for r in got[1:] for k in new), got[1]
    assert [[c for k, c in enumerate(r) if k not in new] for r in got[1:]] == \
        [[c for k, c in enumerate(r) if k not in new] for r in want[1:]] and got[0] == want[0]


def test_replay_selects_vms_like_a_live_run():
    """The two-VM recording: --vm and -p keep that VM's rows, in JSON and CSV."""
    js = os.path.join(GOLDEN, "shadow-clear2-json.json")
    full = replay(js, "--csv").stdout.splitlines()
    rows = list(csv.reader(full))
    names = sorted({r[4] for r in rows[1:]})
    assert len(names) == 2 and 'gold vm,"x"#0' in names, names
    for name in names:
        want = [full[0]] + [l for l, r in zip(full[1:], rows[1:]) if r[4] == name]
        got = replay(js, "--csv", "--vm", name).stdout.splitlines()
        assert got == want and len(want) > 2, (name, got[:3])
    # Both VMs are one process's: its pid keeps the whole recording.
    assert {r[3] for r in rows[1:]} == {rows[1][3]}, rows[1:3]
    with open(js) as f:
        assert replay(js, "--json", "-p", rows[1][3]).stdout == f.read()
    # --vm in JSON: each line with that VM's object alone.
    one = replay(js, "--json", "--vm", names[0]).stdout.splitlines()
    assert all(l.count('"pid":') == 1 and json.dumps(names[0])[1:-1] in l for l in one[1:]), one[1][:200]
    got = replay(js, "--json", "-p", "999999").stdout.splitlines()
    assert all('"vms":[]' in l for l in got[1:]) and len(got) > 2, got[:2]


@vm_test()
def test_replay_of_a_real_run_equals_its_frames():
    """A run recorded now (--json -o, SPLITTOP_RECORD for its frames) of two
    VMs in one process: the replay's CSV is the CSV of those frames, byte
    for byte, and its JSON the recording."""
    with tempfile.TemporaryDirectory(prefix="splittop-replay.") as d:
        js, rec = os.path.join(d, "run.jsonl"), os.path.join(d, "run.rec")
        p = run([SPLITTOP, "--json", "-i", "0.2", "-o", js, "--", DIRTYVM, "--vms", "2", "--vcpus", "1",
                 "--mem", mem(32), "--rounds", "3", "--name", "rp"], env=dict(os.environ, SPLITTOP_RECORD=rec),
                timeout=600)
        assert p.returncode == 0, p.stderr
        frames = rendered(rec)
        assert frames.count(",total,") == 2, frames[-500:]
        p = replay(js, "-o", os.path.join(d, "out.csv"))
        with open(os.path.join(d, "out.csv")) as f:
            assert p.returncode == 0 and f.read() == frames, p.stderr
        with open(js) as f:
            assert replay(js, "--json").stdout == f.read()


def test_replay_refuses_what_it_cannot_read():
    """One line naming the file (and line) and why, exit 2, nothing on
    stdout past what came before; a last line still being written is left
    out with a note, the rest converted."""
    with open(os.path.join(GOLDEN, "tdp-get-json.json")) as f:
        lines = f.read().splitlines(keepends=True)
    host = lines[0]

    def at(line, t):
        """line with its time_unix_s written t."""
        i, j = line.index('"time_unix_s":') + 14, line.index(',"elapsed_s"')
        return line[:i] + t + line[j:]
    newer = host.replace('"format":1', '"format":2')
    assert newer != host
    cases = {
        "other.json": ('{"name":"x","version":"1.0"}\n', ":1: not a splittop recording (its first line is not the "
                       "host line of splittop --json)"),
        "text.txt": ("time,cpu\n1,2\n", ":1: not JSON: not a value at byte 0"),
        "cut.json": (host + lines[1][:200] + "\n" + lines[2], None),
        "newer.json": (newer + lines[1], ": recording format 2 is newer than this splittop reads (0..1): a newer "
                       "splittop wrote it"),
        "empty.json": ("", ": empty: not a splittop recording"),
        "two.json": (host + host, ":2: a second host line (two recordings in one file?)"),
        "unknown.json": (host + '{"type":"summary"}\n', ":2: a line of unknown type"),
        "notcount.json": (host + lines[1].replace('"faults":', '"faults":-', 1), ":2: faults is not a count"),
        # Numbers past what they mean: never a time shown or written.
        "inf.json": (host + lines[1] + at(lines[2], "1e400"), ":3: time_unix_s: not a finite number"),
        "2pow64.json": (host + at(lines[1], "18446744073709551616"), ":2: time_unix_s: beyond year 9999"),
        "negative.json": (host + at(lines[1], "-1"), ":2: time_unix_s: negative"),
        "elapsed.json": (host + lines[1].replace('"elapsed_s":1.061', '"elapsed_s":-1.061'),
                         ":2: elapsed_s: negative"),
        "2pow63.json": (host + lines[1].replace('"faults":', '"faults":9223372036854775808,"was":', 1),
                        ":2: faults is not a count"),
        "vcpus.json": (host + lines[1].replace('"vcpus":2', '"vcpus":65537', 1),
                       ":2: vcpus: more than a VM can have"),
        "interval.json": (host.replace('"interval_s":1', '"interval_s":1e400') + lines[1],
                          ":1: interval_s: not an interval splittop takes (0.01..86400 s)"),
    }
    with tempfile.TemporaryDirectory(prefix="splittop-badrec.") as d:
        for name, (text, why) in cases.items():
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            p = replay(path, "--csv")
            assert p.returncode == 2, (name, p.returncode, p.stderr)
            if why:
                assert p.stderr == "splittop: --replay %s%s\n" % (path, why), (name, p.stderr)
            else:
                assert p.stderr.startswith("splittop: --replay %s:2: not JSON: " % path), (name, p.stderr)
            assert p.stderr.count("\n") == 1, p.stderr
        p = replay(d, "--csv")
        assert (p.returncode, p.stderr) == (2, "splittop: --replay %s: not a file\n" % d), p.stderr
        p = replay(os.path.join(d, "none.json"), "--csv")
        assert p.returncode == 2 and p.stderr.endswith(": No such file or directory\n"), p.stderr
        # Still being written: its last line has no newline yet.
        path = os.path.join(d, "growing.json")
        with open(path, "w") as f:
            f.write("".join(lines[:3]) + lines[3][:100])
        p = replay(path, "--csv")
        assert p.returncode == 0, p.stderr
        assert p.stderr == ("splittop: --replay %s:4: the last line is incomplete (a recording still being "
                            "written, or cut short): replayed up to line 3\n" % path), p.stderr
        assert p.stdout.count("\n") == 1 + sum(l.count('"pid":') for l in lines[1:3]), p.stdout


def test_replay_refuses_a_long_line_from_a_pipe_in_bounded_memory():
    """1 GiB without a newline from a pipe: refused (exit 2, line 1) as soon
    as the 64 MiB a line may have are read, not after the whole line: the
    child's peak RSS stays near 64 MiB (it was 1 GiB: getline() read the
    line whole before the check)."""
    p = subprocess.Popen([SPLITTOP, "--replay", "/dev/stdin", "--csv"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    chunk = b"x" * (1 << 20)

    def writer():
        try:
            for _ in range(1024):
                p.stdin.write(chunk)
            p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass    # splittop stopped reading: what is tested
    w = threading.Thread(target=writer)
    watchdog = threading.Timer(60, p.kill)
    w.start()
    watchdog.start()
    try:
        _, status, usage = os.wait4(p.pid, 0)
    finally:
        watchdog.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    w.join()
    err = p.stderr.read().decode()
    assert (p.returncode, err) == (2, "splittop: --replay /dev/stdin:1: a line longer than any recording "
                                      "has\n"), (p.returncode, err)
    assert usage.ru_maxrss < 96 * 1024, "peak RSS %d KiB" % usage.ru_maxrss
    # The view's index (its model, as golden_replay drives it) reads a file
    # so too: 80 MiB without a newline after the host line.
    with open(os.path.join(GOLDEN, "tdp-get-json.json")) as f:
        host = f.readline()
    with tempfile.NamedTemporaryFile("w", prefix="splittop-longline.", suffix=".json") as f:
        # In pieces: a child's peak RSS counts this process's until its exec.
        f.write(host)
        for _ in range(80):
            f.write("x" * (1 << 20))
        f.flush()
        q = subprocess.Popen([GOLDEN_REPLAY, "view-json", f.name], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(q.pid, 0)
        err = q.stderr.read().decode()
        assert (os.waitstatus_to_exitcode(status), err) == (2, "splittop: --replay %s:2: a line longer than any "
                                                               "recording has\n" % f.name), err
        assert usage.ru_maxrss < 96 * 1024, "view: peak RSS %d KiB" % usage.ru_maxrss


# Real frames come a few ms after each whole second, by a few ms more or
# less each time (tests/unit/test_replay.c's late[]).
LATE = (4, 5, 3, 2, 6, 4, 5, 3, 4, 6, 5, 4, 3, 6, 5, 4, 3, 2, 1, 4)
LATE_START = 1795768000.6


def late_recording(path):
    """A recording of len(LATE) intervals, interval k at k s + LATE[k-1] ms
    (unix time LATE_START + that), then the run's totals: the golden
    stock-kernel recording's host line, its second interval's VM in each,
    its totals line."""
    with open(os.path.join(GOLDEN, "tdp-get-json.json")) as f:
        lines = f.read().splitlines()

    def at(line, elapsed):
        o = json.loads(line)
        o["time_unix_s"], o["elapsed_s"] = round(LATE_START + elapsed, 3), round(elapsed, 3)
        return json.dumps(o, separators=(",", ":"))
    frames = [at(lines[2], k + 1 + ms / 1000) for k, ms in enumerate(LATE)]
    frames.append(at(lines[-1], len(LATE) + LATE[-1] / 1000 + 0.005))
    with open(path, "w") as f:
        f.write("\n".join([lines[0]] + frames) + "\n")
    return [json.loads(l)["elapsed_s"] for l in frames[:-1]]


def test_replay_slices_at_the_nearest_frame():
    """--begin and --end take the frame nearest the time asked (to the
    millisecond; a tie, the later), on frames a few ms late as real ones
    are: --end 2 keeps the frame labelled +2.0s (2.005 s), --begin 4.004
    starts at 4.002 s; a time of day keeps the frame the view labels with
    it (rounded); past the end, the last interval.  JSON alike, the
    frames held for --begin included."""
    import time as _time
    with tempfile.TemporaryDirectory(prefix="splittop-late.") as d:
        js = os.path.join(d, "late.jsonl")
        elapsed = late_recording(js)

        def frames(*args):
            p = replay(js, "--csv", *args)
            assert p.returncode == 0 and p.stderr == "", p.stderr
            rows = [l.split(",") for l in p.stdout.splitlines()[1:]]
            return [float(r[1]) for r in rows if r[2] == "interval"], sum(r[2] == "total" for r in rows)
        assert frames("--end", "2") == (elapsed[:2], 0), frames("--end", "2")
        assert frames("--begin", "4.004", "--end", "6")[0] == elapsed[3:6]
        # Halfway between 4.002 and 5.006: the later, for either bound.
        assert frames("--begin", "4.504")[0][0] == elapsed[4] == 5.006
        assert frames("--end", "4.504")[0][-1] == elapsed[4]
        assert frames("--begin", "4.503", "--end", "4.503")[0] == [elapsed[3]]
        # Before the first frame, the first; past the last, the last interval
        # (and the run's totals, without --end).
        assert frames("--end", "0.2") == ([elapsed[0]], 0)
        assert frames("--begin", "1h") == ([elapsed[-1]], 1)
        # A time of day: 1795768003 is 0.395 s after interval 2 (its unix
        # time ...002.605) and 0.603 s before interval 3: interval 2, which
        # the view labels with that second.
        clock = _time.strftime("%H:%M:%S", _time.localtime(1795768003))
        assert frames("--begin", clock, "--end", clock)[0] == [elapsed[1]], clock
        # JSON: the lines themselves, the first held until the next told.
        with open(js) as f:
            lines = f.read().splitlines(keepends=True)
        p = replay(js, "--json", "--begin", "4.004", "--end", "6")
        assert p.returncode == 0 and p.stdout == "".join([lines[0]] + lines[4:7]), p.stdout[:300]
        p = replay(js, "--json", "--begin", "18.6")
        assert p.stdout == "".join([lines[0]] + lines[19:]), p.stdout[:300]


def test_replay_usage_errors():
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    for args, why in ((["--listen", "9999"], "--listen"), (["-c", "3"], "--count"), (["-d", "1"], "--duration"),
                      (["--list-sources"], "--list-sources"), (["--", "true"], "a COMMAND")):
        p = run([SPLITTOP, "--replay", js] + args, timeout=60)
        assert (p.returncode, p.stderr) == (2, "splittop: --replay reads a recording: it cannot be used with %s "
                                               "(see --help)\n" % why), (args, p.stderr)
    p = run([SPLITTOP, "--replay", ""], timeout=60)
    assert (p.returncode, p.stderr) == (2, "splittop: invalid --replay '' (see --help)\n"), p.stderr


def test_replay_slices_by_time():
    """--begin/--end by a span from the start and by a time of day: the
    frames between, as the full conversion has them; the run's totals only
    for a slice that runs to the end."""
    import time as _time
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    full = replay(js, "--csv").stdout.splitlines()
    header, rows = full[0], [l.split(",") for l in full[1:]]
    frames = sorted({float(r[1]) for r in rows if r[2] == "interval"})
    assert len(frames) >= 4, frames

    def between(lo, hi, totals):
        return [header] + [",".join(r) for r in rows if (r[2] == "interval" and lo <= float(r[1]) <= hi)
                           or (r[2] == "total" and totals)]
    lo, hi = frames[1], frames[-2]
    p = replay(js, "--csv", "--begin", "%.3f" % lo, "--end", "%.3f" % hi)
    assert p.returncode == 0 and p.stdout.splitlines() == between(lo, hi, False), p.stdout
    p = replay(js, "--csv", "--begin", "%.3f" % lo)
    assert p.stdout.splitlines() == between(lo, 1e9, True), p.stdout
    # A time of day: the second frame's, to the second (frames are 1 s apart).
    t1 = next(float(r[0]) for r in rows if float(r[1]) == frames[1])
    clock = _time.strftime("%H:%M:%S", _time.localtime(int(t1)))
    p = replay(js, "--csv", "--begin", clock)
    want = [header] + [",".join(r) for r in rows if r[2] == "total" or float(r[0]) >= int(t1)]
    assert p.returncode == 0 and p.stdout.splitlines() == want, (clock, p.stdout)
    # The frame nearest 0.5 s is the first (1.061 s): the host line and it.
    p = replay(js, "--json", "--end", "0.5")
    assert p.stdout.count("\n") == 2 and '"elapsed_s":1.061,' in p.stdout.splitlines()[1], p.stdout
    for args, why in ((["--begin", "5m1h"], "invalid --begin '5m1h': expected a span (90, 5m, 1h30m) or a time "
                                            "of day (14:05, 14:05:30)"),
                      (["--begin", "60", "--end", "30"], "--begin is after --end")):
        p = replay(js, *args)
        assert (p.returncode, p.stderr) == (2, "splittop: %s (see --help)\n" % why), p.stderr
    p = run([SPLITTOP, "--begin", "5m"], timeout=60)
    assert (p.returncode, p.stderr) == (2, "splittop: --begin needs --replay (see --help)\n"), p.stderr


# A name a VM's owner could choose: it would set the terminal's title and
# clear the screen, and a spreadsheet would take the rest for a formula.
EVIL = "\x1b]0;pwned\x07\x1b[2J=EVIL"
EVIL_SHOWN = "?]0;pwned??[2J=EVIL"
FORMULA_SHOWN = '=HYPERLINK("http://x")?31m??#1'


def clean_text(out, what):
    """Output bytes that a terminal shows as they are: UTF-8, no control
    character (C0 but the newline, DEL, C1)."""
    text = out.decode("utf-8")      # a byte that is not UTF-8 raises here
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
    assert not bad, (what, bad[:5])
    return text


def hostile_recording(d):
    """The two-VM golden recording with names its VMs' owners could have
    chosen: one escaped as splittop's JSON writes it, one with raw bytes no
    splittop writes (C1 CSI, DEL, a byte that is not UTF-8), and a raw C1
    control in the host line's hostname."""
    with open(os.path.join(GOLDEN, "shadow-clear2-json.json"), "rb") as f:
        text = f.read()
    text = text.replace(b'"vm":"gold vm,\\"x\\"#0"', b'"vm":' + json.dumps(EVIL).encode())
    text = text.replace(b'"vm":"gold vm,\\"x\\"#1"', b'"vm":"=HYPERLINK(\\"http://x\\")\xc2\x9b31m\x7f\xff#1"')
    text = text.replace(b'"kernel":', b'"hostname":"h\xc2\x9b2J","kernel":', 1)
    path = os.path.join(d, "hostile.json")
    with open(path, "wb") as f:
        f.write(text)
    return path, text


def replay_bytes(*args):
    return subprocess.run([SPLITTOP, "--replay"] + [str(a) for a in args], capture_output=True, timeout=60)


def test_replay_of_a_hostile_recording_writes_no_control_character():
    """Names read back from a recording are made printable as a live run's
    are: CSV and JSON out carry '?' for each control character, CSV puts a
    name that starts with '=' behind a quote, every other value is the
    recording's; --vm selects by the name as written or as the VMM had it."""
    with tempfile.TemporaryDirectory(prefix="splittop-hostile.") as d:
        js, raw = hostile_recording(d)
        p = replay_bytes(js, "--csv")
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        out = clean_text(p.stdout, "CSV")
        rows = list(csv.reader(out.splitlines()))
        gold = list(csv.reader(replay(os.path.join(GOLDEN, "shadow-clear2-json.json"), "--csv").stdout.splitlines()))
        assert {r[4] for r in rows[1:]} == {EVIL_SHOWN, "'" + FORMULA_SHOWN}, {r[4] for r in rows[1:]}
        assert [r[:4] + r[5:] for r in rows] == [r[:4] + r[5:] for r in gold], "only the names differ"
        outfile = os.path.join(d, "out.csv")
        p = replay_bytes(js, "--csv", "-o", outfile)
        with open(outfile, "rb") as f:
            assert p.returncode == 0 and f.read() == out.encode(), "-o writes what stdout gets"

        p = replay_bytes(js, "--json")
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        got = [json.loads(l) for l in clean_text(p.stdout, "JSON").splitlines()]
        want = [json.loads(l) for l in raw.decode("utf-8", errors="replace").splitlines()]
        assert got[0] == want[0] and got[0]["hostname"] == "h\x9b2J", "the host line: the same JSON, escaped"
        for line in want[1:]:
            for vm in line["vms"]:
                vm["vm"] = EVIL_SHOWN if vm["vm"] == EVIL else FORMULA_SHOWN
        assert got[1:] == want[1:], "the frames: the same JSON but for the names"

        by_name = replay_bytes(js, "--csv", "--vm", EVIL)
        assert by_name.returncode == 0 and by_name.stdout.count(b"\n") > 2, by_name.stderr
        assert {r[4] for r in list(csv.reader(by_name.stdout.decode().splitlines()))[1:]} == {EVIL_SHOWN}
        assert replay_bytes(js, "--csv", "--vm", EVIL_SHOWN).stdout == by_name.stdout, \
            "--vm: the name as written selects as the VMM's own does"
