# SPDX-License-Identifier: GPL-2.0-only
"""splittop --replay FILE on a terminal (tmux): the live view over a
recording.  At each frame the screen shows what the live view's model of
the recorded run holds (golden_replay view-json, which the golden tests hold
to the live view's model from the run's raw frames), every key moves in
time as the help says, a recording still being written is followed, and a
file it cannot read is one line on stderr and exit 2, the terminal given
back."""
import json
import os
import tempfile
import time

from harness import DIRTYVM, OUT, ROOT, SPLITTOP, mem, run, vm_test
from test_replay import EVIL_SHOWN, FORMULA_SHOWN, hostile_recording
from test_tui import Term, fmt_count, table

GOLDEN = os.path.join(ROOT, "tests", "golden")
GOLDEN_REPLAY = os.path.join(OUT, "tests", "golden_replay")
WIDE = 250      # every column of the table fits


def model(js):
    """The view's model of each frame of recording js: [(kind, {vm: [cells]})],
    the VM's row as the live view writes it (rates, or totals at the end)."""
    p = run([GOLDEN_REPLAY, "view-json", js], timeout=60)
    assert p.returncode == 0, p.stderr
    frames = []
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1:3] == ["frame,", "dt"]:
            frames.append((parts[0], {}))
        elif line.startswith("  |") or not parts or parts[0] == "NAME":
            continue
        else:
            cells = line.split()
            frames[-1][1][cells[0]] = cells
    return frames


def shown(frames, recorded, i):
    """Frame i's rows as the view shows them: a VM in its last interval
    ("exited") is not, as in the live view."""
    gone = {v["vm"] for v in recorded[i]["vms"] if v.get("exited")} if frames[i][0] == "interval" else set()
    return {k: v for k, v in frames[i][1].items() if k not in gone}


def recording(js):
    with open(js) as f:
        return [json.loads(l) for l in f][1:]


def head(screen):
    return screen.splitlines()[0] if screen else ""


def at(n, total, kind="interval"):
    """The header's position: 'interval 3/6', 'totals 6/6'."""
    return lambda s: ("%s %d/%d " % ("totals" if kind == "total" else "interval", n, total)) in head(s)


def rows_of(screen):
    rows, _ = table(screen)
    return {name: list(r.values()) for name, r in rows.items()}


def header_index(screen, col):
    for line in screen.splitlines():
        if line.lstrip("*").startswith("NAME"):
            return [c.lstrip("*") for c in line.split()].index(col)
    raise AssertionError("no table header:\n" + screen)


def replay_term(js, *args, width=WIDE, height=50):
    return Term("%s --replay %s %s" % (SPLITTOP, js, " ".join(args)), width=width, height=height)


def test_replay_view_every_key_on_a_golden_recording():
    """The stock kernel's recording (TDP MMU, function probes: every pane
    filled): each frame's row equals the model's, stepping both ways, the
    first and the last, playing (at the recorded pace, then faster) to the
    totals, go to by offset, span and time of day, the dirty-log enable,
    totals, the detail pane, the help, quit."""
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    frames = model(js)
    n = len(frames)
    assert n == 6 and frames[-1][0] == "total", [f[0] for f in frames]
    recorded = recording(js)
    assert recorded[n - 2]["vms"][0].get("exited"), "the VM ends in the last interval"
    t = replay_term(js)
    try:
        s = t.wait(at(1, n), "the first interval, paused")
        assert "[PAUSED]" in head(s) and "REPLAY" in head(s), head(s)
        assert "space play" in s.splitlines()[-1] and "g go to" in s.splitlines()[-1], s.splitlines()[-1]
        # Forward through every interval, then back: the model's row each time.
        assert rows_of(s) == shown(frames, recorded, 0), (rows_of(s), frames[0][1])
        for key, i in [("Right", i) for i in range(1, n - 1)] + [("Left", i) for i in range(n - 3, -1, -1)]:
            t.keys(key)
            s = t.wait(at(i + 1, n), "interval %d" % (i + 1))
            assert rows_of(s) == shown(frames, recorded, i), (i, rows_of(s), frames[i][1])
        t.keys("Left")      # before the first: stays, and says so
        s = t.wait(lambda s: "the first interval of the recording" in s, "the note at the start")
        assert at(1, n)(s)
        t.keys("]")         # the run's totals: the last screen of the live run
        s = t.wait(at(n, n, "total"), "the totals")
        assert "[TOTALS]" in head(s) and rows_of(s) == frames[-1][1], (rows_of(s), frames[-1][1])
        t.keys("Right")
        t.wait(lambda s: "the end of the recording" in s, "the note at the end")
        t.keys("[")
        t.wait(at(1, n), "the first again")
        # Playing: the recorded pace (about a second per interval), then faster.
        t.keys("Space")
        t.wait(lambda s: "[PLAY]" in head(s) and at(2, n)(s), "playing", timeout=10)
        t.keys("+", "+")
        s = t.wait(lambda s: "[PLAY x4]" in head(s) or at(n, n, "total")(s), "four times faster", timeout=10)
        s = t.wait(at(n, n, "total"), "playing to the end", timeout=10)
        assert "[PAUSED]" in head(s), head(s)
        # Go to the frame nearest: from the first interval (1.061 s) by +2s,
        # 3.004 s; by -1s from there, 2.005 s; 4 s from the start, 4.004 s;
        # past the end, the last frame.
        t.keys("[")
        t.wait(at(1, n), "the first")
        for text, want in (("+2s", 3), ("-1s", 2), ("4", 4), ("1h", n)):
            t.keys("g")
            t.wait(lambda s: "go to (" in s.splitlines()[-1], "the go-to prompt")
            t.tmux("send-keys", "-t", "t", "-l", "--", text) if text[0] == "-" else t.keys(text)
            t.keys("Enter")
            t.wait(at(want, n, "total" if want == n else "interval"), "go to %s" % text)
        clock = time.strftime("%H:%M:%S", time.localtime(recorded[2]["time_unix_s"] - 0.0004))
        t.keys("g", clock, "Enter")
        t.wait(at(3, n), "go to %s (interval 3's second)" % clock)
        t.keys("g", "soon", "Enter")
        t.wait(lambda s: "go to: expected" in s.splitlines()[-1], "a go-to it cannot read")
        # The dirty-log enable is in interval 1 (its eager splits).
        assert recorded[0]["vms"][0]["dirty_log_enables"] == 1
        t.keys("M")
        t.wait(at(1, n), "the enable before")
        t.keys("m")
        t.wait(lambda s: "no dirty-log enable after this interval" in s, "none after it")
        # Totals so far: the recorded intervals' sum.
        t.keys("g", "4", "Enter")
        t.wait(at(4, n), "interval 4")
        t.keys("t")
        s = t.wait(lambda s: "[TOTALS]" in head(s), "totals at interval 4")
        assert rows_of(s)["dirtyvm"][header_index(s, "FAULTS")] == fmt_count(
            sum(f["vms"][0]["faults"] for f in recorded[:4])), s
        t.keys("t", "Enter")
        s = t.wait(lambda s: "Faults per second" in s, "the detail pane")
        assert "vCPU 0" in s and "vCPU 1" in s and "mmu_lock holds" in s and "Splits since start" in s, s
        t.keys("Escape", "h")
        s = t.wait(lambda s: "splittop keys (replay)" in s, "the help box")
        assert "go to:" in s and "the next dirty-log enable" in s and "longer interval" not in s, s
        t.keys("Escape", "q")
        assert t.exit_status() == 0 and not t.alternate_screen()
        assert t.read(t.stderr) == ""
    finally:
        t.close()


def test_replay_view_two_vms_and_selection():
    """The two-VM recording: both rows each frame, -p/--vm keep one; the
    last interval, where both VMs ended, shows none (as the live view did),
    the totals both."""
    js = os.path.join(GOLDEN, "shadow-clear2-json.json")
    t = replay_term(js, "--vm", "'gold vm,\"x\"#1'")
    try:
        s = t.wait(at(1, 4), "the first interval")
        names = [l.split()[0] + " " + l.split()[1] for l in s.splitlines() if l.startswith("gold vm")]
        assert names == ['gold vm,"x"#1'], s
        t.keys("Right", "Right")
        s = t.wait(at(3, 4), "the last interval")
        assert "No VM selected ran at this point of the recording" in s, s
        t.keys("Right")
        s = t.wait(at(4, 4, "total"), "the totals")
        assert [l for l in s.splitlines() if l.startswith("gold vm")][0].startswith('gold vm,"x"#1'), s
        t.keys("q")
        assert t.exit_status() == 0
    finally:
        t.close()


def foot(screen):
    return screen.splitlines()[-1] if screen else ""


def test_replay_view_footer_says_what_space_does():
    """Paused, the footer offers to play; playing, to pause (issue 34)."""
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    t = replay_term(js)
    try:
        s = t.wait(at(1, 6), "the first interval, paused")
        assert "space play" in foot(s) and "space pause" not in foot(s), foot(s)
        t.keys("Space")
        s = t.wait(lambda s: "[PLAY]" in head(s), "playing")
        assert "space pause" in foot(s) and "space play" not in foot(s), foot(s)
        t.keys("Enter")
        s = t.wait(lambda s: "Faults per second" in s, "the detail pane, playing")
        assert "space pause" in foot(s) or "[PAUSED]" in head(s), (head(s), foot(s))
        s = t.wait(at(6, 6, "total"), "the end, where it stops", timeout=15)
        s = t.wait(lambda s: "space play" in foot(s), "space offering to play again")
        assert "[PAUSED]" in head(s), head(s)
        t.keys("q")
        assert t.exit_status() == 0
    finally:
        t.close()


def test_replay_view_narrow_terminals_keep_what_matters():
    """At 80 columns (and 100, 60) the header keeps the frame's position,
    the MMU and eager_page_split, the footer the keys that move in time
    and h; nothing runs past the edge, paused or playing (issue 34)."""
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    keys = {100: ("Enter detail", "t totals", "space play", "Left/Right step", "g go to", "m next migration",
                  "h help"),
            80: ("q quit", "space play", "Left/Right step", "g go to", "m next migration", "h help"),
            60: ("q quit", "space play", "Left/Right step", "h help")}
    for width, want in keys.items():
        t = replay_term(js, width=width, height=24)
        try:
            s = t.wait(at(1, 6), "the first interval at %d columns" % width)
            for part in ("[PAUSED]", "interval 1/6", "tdp MMU", "eager_page_split=Y"):
                assert part in head(s), (width, part, head(s))
            assert "6.1.0-56-amd64" not in head(s) and len(head(s).rstrip()) <= width, head(s)
            assert all(k in foot(s) for k in want), (width, foot(s))
            assert len(foot(s).rstrip()) <= width and foot(s).rstrip().endswith("h help"), foot(s)
            t.keys("Space")
            s = t.wait(lambda s: "[PLAY]" in head(s), "playing at %d columns" % width)
            assert "tdp MMU  eager_page_split=Y" in head(s), head(s)
            playing = [k.replace("space play", "space pause") for k in want]
            assert all(k in foot(s) for k in playing), (width, foot(s))
            t.keys("q")
            assert t.exit_status() == 0
        finally:
            t.close()


def test_replay_view_totals_show_each_number_once():
    """With t, SPLITS is the splits since start: SPL.TOT, the same number,
    is a column of the rates only (issue 34)."""
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    t = replay_term(js)
    try:
        s = t.wait(at(1, 6), "the first interval")
        cols = [c.lstrip("*") for c in header_line(s).split()]
        assert "SPLIT/s" in cols and "SPL.TOT" in cols, cols
        total = rows_of(s)["dirtyvm"][cols.index("SPL.TOT")]
        t.keys("t")
        s = t.wait(lambda s: "[TOTALS]" in head(s), "the totals")
        cols = [c.lstrip("*") for c in header_line(s).split()]
        assert "SPLITS" in cols and "SPL.TOT" not in cols, cols
        assert rows_of(s)["dirtyvm"][cols.index("SPLITS")] == total, (rows_of(s), total)
        assert len(cols) == len(set(cols)), cols
        t.keys("q")
        assert t.exit_status() == 0
    finally:
        t.close()


def header_line(screen):
    return next(l for l in screen.splitlines() if l.lstrip("*").startswith("NAME"))


def test_replay_view_filter_prompt_opens_on_the_filter():
    """/ again shows the filter in use, selected: typing replaces it;
    Backspace and the arrows edit it instead (issue 34: typing appended)."""
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    t = replay_term(js, width=100, height=30)
    try:
        t.wait(at(1, 6), "the first interval")
        t.keys("/", "dirty", "Enter")
        t.wait(lambda s: "/ filter 'dirty'" in foot(s) and "dirtyvm" in rows_of(s), "the filter applied")
        t.keys("/")
        s = t.wait(lambda s: foot(s).startswith("filter: dirty"), "the prompt on the old filter")
        reversed_text = [l for l in t.screen(escapes=True).splitlines() if "filter: " in l][0]
        assert "\x1b[7mdirty" in reversed_text, repr(reversed_text)
        t.keys("xyz")
        t.wait(lambda s: foot(s).rstrip() == "filter: xyz", "typing replacing it")
        t.keys("Enter")
        t.wait(lambda s: "No VM matches the filter 'xyz'" in s, "the new filter alone")
        t.keys("/", "BSpace", "Left", "Q", "Enter")
        s = t.wait(lambda s: "No VM matches the filter 'xQy'" in s, "Backspace and Left editing it")
        assert at(1, 6)(s), head(s)     # Left in the prompt is no step back
        t.keys("/", "Home", "DC", "DC", "vm", "Escape")
        s = t.wait(lambda s: "/ filter 'xQy'" in foot(s), "Esc leaving it as it was")
        t.keys("/", "C-u", "vm", "Enter")
        t.wait(lambda s: "/ filter 'vm'" in foot(s) and "dirtyvm" in rows_of(s), "Ctrl-U clearing it")
        t.keys("q")
        assert t.exit_status() == 0
    finally:
        t.close()


def test_replay_view_sources_pane_wraps_to_the_terminal():
    """u on a narrow terminal: each metric's source, or why there is none,
    wrapped to the width and read whole (issue 34: cut at the edge)."""
    js = os.path.join(GOLDEN, "shadow-clear2-json.json")
    with open(js) as f:
        sources = json.loads(f.readline())["sources"]
    for width in (80, 60):
        t = replay_term(js, width=width, height=30)
        try:
            t.wait(at(1, 4), "the first interval")
            t.keys("u")
            s = t.wait(lambda s: "Where each metric comes from" in s, "the sources pane")
            assert all(len(l.rstrip()) <= width for l in s.splitlines()), s
            text, name = {}, None
            for line in s.splitlines():
                first = next((x["metric"] for x in sources if line.strip().startswith(x["metric"] + " ")), None)
                if first:
                    name = first
                    text[name] = line.strip()[len(name):]
                elif name and line.startswith(" " * 20) and line.strip():
                    text[name] += " " + line.strip()
                else:
                    name = None
            for x in sources:
                want = x["source"] or x["why"]
                assert text.get(x["metric"], "").replace(" ", "") == want.replace(" ", ""), (width, x, s)
            t.keys("q")
            t.keys("q")
            assert t.exit_status() == 0
        finally:
            t.close()


@vm_test()
def test_replay_view_of_a_real_run_shows_its_frames():
    """A run recorded now (--json -o, and SPLITTOP_RECORD for the frames the
    live view was given): the replay's model equals the live view's model of
    those frames at every frame, and the screen shows it, stepped through."""
    with tempfile.TemporaryDirectory(prefix="splittop-replay.") as d:
        js, rec = os.path.join(d, "run.jsonl"), os.path.join(d, "run.rec")
        p = run([SPLITTOP, "--json", "-i", "0.2", "-o", js, "--", DIRTYVM, "--vcpus", "2", "--mem", mem(32),
                 "--rounds", "8", "--name", "rv"], env=dict(os.environ, SPLITTOP_RECORD=rec), timeout=600)
        assert p.returncode == 0, p.stderr
        live = run([GOLDEN_REPLAY, "view-ms", rec], timeout=60)
        replayed = run([GOLDEN_REPLAY, "view-json", js], timeout=60)
        assert live.returncode == 0 and replayed.returncode == 0, live.stderr + replayed.stderr
        assert live.stdout.count(" frame, dt ") >= 3, live.stdout
        for i, (a, b) in enumerate(zip(replayed.stdout.splitlines(), live.stdout.splitlines())):
            assert a == b, "line %d:\n  replay    %s\n  live view %s" % (i + 1, a, b)
        assert replayed.stdout == live.stdout
        frames, recorded = model(js), recording(js)
        n = len(frames)
        # The VM ends in one interval (the last, or one before intervals
        # with no VM left: in the bed, where the run's end is slow).
        ends = [i for i, f in enumerate(recorded[:n - 1]) if any(v.get("exited") for v in f["vms"])]
        assert len(ends) == 1 and not any(f["vms"] for f in recorded[ends[0] + 1:n - 1]), ends
        t = replay_term(js)
        try:
            for i in range(n):
                if i:
                    t.keys("Right")
                s = t.wait(at(i + 1, n, frames[i][0]), "frame %d" % (i + 1))
                assert rows_of(s) == shown(frames, recorded, i), (i, rows_of(s), frames[i][1])
                assert "  %s %s  " % (os.uname().nodename, os.uname().release) in head(s), head(s)
            t.keys("q")
            assert t.exit_status() == 0
        finally:
            t.close()


def test_replay_view_goes_to_the_nearest_frame():
    """g and --begin take the frame nearest the time asked, on frames a few
    ms late as real ones are (test_replay's late recording): --begin 6 is
    interval 6 (6.004 s), g -2s from it interval 4 (4.002 s, not 5), g +5s
    from interval 14 (14.006 s) interval 19 (19.001 s, not 20), each
    labelled with the time asked; a time of day, the frame the header
    labels with it (to the nearest second)."""
    from test_replay import late_recording
    with tempfile.TemporaryDirectory(prefix="splittop-late.") as d:
        js = os.path.join(d, "late.jsonl")
        n = len(late_recording(js)) + 1
        t = replay_term(js, "--begin", "6", width=120)
        try:
            s = t.wait(at(6, n), "--begin 6: interval 6")
            assert "  +6.0s" in head(s), head(s)
            for text, want, label in (("-2s", 4, "+4.0s"), ("14", 14, "+14.0s"), ("+5s", 19, "+19.0s")):
                t.keys("g")
                t.wait(lambda s: "go to (" in s.splitlines()[-1], "the go-to prompt")
                t.tmux("send-keys", "-t", "t", "-l", "--", text)
                t.keys("Enter")
                s = t.wait(at(want, n), "g %s: interval %d" % (text, want))
                assert "  %s" % label in head(s), head(s)
            clock = time.strftime("%H:%M:%S", time.localtime(1795768003))
            t.keys("g", clock, "Enter")
            s = t.wait(at(2, n), "g %s: interval 2 (0.395 s before it)" % clock)
            assert " %s  +2.0s" % clock in head(s), head(s)
            t.keys("q")
            assert t.exit_status() == 0
        finally:
            t.close()


def rec_hex(s):
    return "x" + s.encode().hex()


def synthetic_rec(frames, vcpus=2):
    """A SPLITTOP_RECORD recording (output/raw_record.c's format) of one VM: frames is
    [(scope, elapsed, {vcpu: nonpresent faults so far})]; the VM's totals
    are its vCPUs' sum, a vCPU missing from the dict has no row yet."""
    out = ["host %s %s %s %s" % ((1.0).hex(), rec_hex("6.1.0-synthetic"), rec_hex("tdp"), rec_hex("Y"))]
    prev = {}
    for scope, elapsed, now in frames:
        out.append("frame %s %s %s 0 0 0 0 0 11111000 0 0" % (scope, (1795768000.0 + elapsed).hex(),
                                                              elapsed.hex()))
        out.append("vm 4242 1 %s" % rec_hex("idle"))
        for which, counts in (("now", now), ("prev", prev)):
            if counts:
                out.append("%s faults 1=%d" % (which, sum(counts.values())))
                out.append("%s vcpu_faults %s" % (which, " ".join("%d=%d" % (4 * v + 1, n)
                                                                  for v, n in sorted(counts.items()))))
        out.append("gauges %d 16384 0 16384 0 0 0" % vcpus + " 0 0" * 5 + " -1" + " 0 0" * 5)
        out += ["max 0 0 0", "end"]
        prev = now
    return "\n".join(out) + "\n"


def test_replay_view_model_of_an_idle_vcpu():
    """An interval in which a VM's second vCPU has no row yet (no slot, or
    nothing counted): its JSON has a row of zeros for it, as for any online
    vCPU, and the replay's model of each frame (detail pane included) is the
    live view's, the idle vCPU's row of zeros on both sides."""
    rec = synthetic_rec([("interval", 1.004, {0: 10}), ("interval", 2.005, {0: 25, 1: 5}),
                         ("interval", 3.003, {0: 35, 1: 5}), ("total", 3.01, {0: 35, 1: 5})])
    with tempfile.TemporaryDirectory(prefix="splittop-idle.") as d:
        path, js = os.path.join(d, "idle.rec"), os.path.join(d, "idle.jsonl")
        with open(path, "w") as f:
            f.write(rec)
        p = run([GOLDEN_REPLAY, "json", path], timeout=60)
        assert p.returncode == 0, p.stderr
        with open(js, "w") as f:
            f.write(p.stdout)
        first = json.loads(p.stdout.splitlines()[1])["vms"][0]["detail"]["vcpus"]
        assert [v["vcpu"] for v in first] == [0, 1] and first[1]["faults_nonpresent"] == 0, first
        live = run([GOLDEN_REPLAY, "view-ms", path], timeout=60)
        replayed = run([GOLDEN_REPLAY, "view-json", js], timeout=60)
        assert live.returncode == 0 and replayed.returncode == 0, live.stderr + replayed.stderr
        for i, (a, b) in enumerate(zip(replayed.stdout.splitlines(), live.stdout.splitlines())):
            assert a == b, "line %d:\n  replay    %s\n  live view %s" % (i + 1, a, b)
        assert replayed.stdout == live.stdout
        frame1 = live.stdout.split(" frame, dt ")[1]
        assert "|  vCPU 1                    0          0          0          0          0" in frame1, frame1


def test_replay_view_follows_a_recording_being_written():
    """A recording cut in its third line (still being written): the view
    has its two frames, plays past the end into what is appended."""
    with open(os.path.join(GOLDEN, "tdp-get-json.json")) as f:
        lines = f.read().splitlines(keepends=True)
    with tempfile.TemporaryDirectory(prefix="splittop-follow.") as d:
        js = os.path.join(d, "run.jsonl")
        with open(js, "w") as f:
            f.write("".join(lines[:3]) + lines[3][:100])
        t = replay_term(js)
        try:
            t.keys("]")
            s = t.wait(at(2, 2), "the last complete frame")
            assert "(being written)" in head(s), head(s)
            t.keys("Space")
            t.wait(lambda s: "[PLAY]" in head(s), "playing")
            with open(js, "a") as f:
                f.write(lines[3][100:] + lines[4])
            t.wait(at(3, 4), "the frame written since", timeout=10)
            t.wait(at(4, 4), "and the next", timeout=10)
            t.keys("q")
            assert t.exit_status() == 0
        finally:
            t.close()


def test_replay_view_of_a_hostile_recording():
    """Names and a hostname that would set the terminal's title and clear
    the screen: shown with '?' (the reader made them printable), the title
    the terminal's own."""
    with tempfile.TemporaryDirectory(prefix="splittop-hostile.") as d:
        js, _ = hostile_recording(d)
        t = replay_term(js)
        try:
            s = t.wait(at(1, 4), "the first interval")
            assert EVIL_SHOWN in s and FORMULA_SHOWN[:24] in s, s     # the view cuts names at 24
            assert " h?2J " in head(s), head(s)
            assert "pwned" not in t.tmux("display-message", "-p", "-t", "t", "#{pane_title}"), "title set"
            t.keys("]")
            s = t.wait(at(4, 4, "total"), "the totals")
            assert EVIL_SHOWN in s, s
            t.keys("q")
            assert t.exit_status() == 0
            assert "pwned" not in t.tmux("display-message", "-p", "-t", "t", "#{pane_title}"), "title set"
        finally:
            t.close()


def test_replay_view_refuses_what_it_cannot_read():
    """One line naming the file (and line) and why, exit 2, the terminal
    back: before the view starts (not a recording, a newer format, empty,
    a directory, a pipe), or at the frame found bad (cut in its middle, a
    key of the wrong type)."""
    with open(os.path.join(GOLDEN, "tdp-get-json.json")) as f:
        lines = f.read().splitlines(keepends=True)
    host = lines[0]
    cases = {
        "other.json": ('{"name":"x","version":"1.0"}\n', ":1: not a splittop recording"),
        "newer.json": (host.replace('"format":1', '"format":2') + lines[1],
                       ": recording format 2 is newer than this splittop reads (0..1)"),
        "empty.json": ("", ": empty: not a splittop recording"),
        "cut.json": (host + lines[1][:200] + "\n" + lines[2], ":2: not JSON: "),
        "notcount.json": (host + lines[1] + lines[2].replace('"faults":', '"faults":-', 1), ":3: faults: not a count"),
        # Never a time the header cannot show: refused as the file is indexed.
        "inf.json": (host + lines[1] + lines[2].replace('"time_unix_s":1795768474.016', '"time_unix_s":1e400'),
                     ":3: time_unix_s: not a finite number"),
        "2pow64.json": (host + lines[1].replace('"time_unix_s":1795768473.072', '"time_unix_s":18446744073709551616'),
                        ":2: time_unix_s: beyond year 9999"),
        "negative.json": (host + lines[1].replace('"time_unix_s":1795768473.072', '"time_unix_s":-1'),
                          ":2: time_unix_s: negative"),
        "vcpus.json": (host + lines[1].replace('"vcpus":2', '"vcpus":4294967296', 1) + lines[2],
                       ":2: vcpus: more than a VM can have"),
        "dir": (None, ": not a file"),
        "fifo": (None, ": a pipe: the live view moves back and forth in a file"),
    }
    with tempfile.TemporaryDirectory(prefix="splittop-badview.") as d:
        for name, (text, want) in cases.items():
            path = os.path.join(d, name)
            if name == "dir":
                os.mkdir(path)
            elif name == "fifo":
                os.mkfifo(path)
            else:
                with open(path, "w") as f:
                    f.write(text)
            t = replay_term(path, width=100, height=30)
            try:
                if name == "notcount.json":
                    t.wait(at(1, 2), "the first frame, good")
                    t.keys("Right")
                rc = t.exit_status()
                err = t.read(t.stderr)
                assert rc == 2 and err.count("\n") == 1, (name, rc, err)
                assert err.startswith("splittop: --replay %s" % path) and want in err, (name, err)
                assert not t.alternate_screen(), name
            finally:
                t.close()
