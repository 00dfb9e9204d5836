# SPDX-License-Identifier: GPL-2.0-only
"""splittop report FILE: a recording of splittop --json as a post-mortem
per VM and migration.  No VM runs here: the report of the golden recordings
is held to the recordings' own numbers (each round's pages, faults, splits
and lost time as the JSON has them; the verdict and the findings as its
total line has them); a file it cannot read is one line and exit 2, as
--replay's; a hostile name is printable, and Markdown-escaped."""
import json
import os
import re
import subprocess
import tempfile
import threading

from harness import ROOT, SPLITTOP, run

GOLDEN = os.path.join(ROOT, "tests", "golden")
ROUNDS = os.path.join(GOLDEN, "shadow-rounds-json.json")
MIB = 1 << 20
AT_LEAST = "\u2265"


def report(*args, timeout=60):
    return run([SPLITTOP, "report"] + [str(a) for a in args], timeout=timeout)


def lines_of(path):
    with open(path) as f:
        return [json.loads(l) for l in f]


def total_vms(path):
    return {(v["vm"], v["pid"]): v for v in lines_of(path)[-1]["vms"]}


def sections(text):
    """{heading: [lines under it]} of a text report (a heading is the line
    above a rule of =, - or ~)."""
    lines, out, cur = text.splitlines(), {}, None
    for i, l in enumerate(lines):
        if i + 1 < len(lines) and lines[i + 1] and set(lines[i + 1]) <= set("=-~") and \
                len(lines[i + 1]) == len(l):
            cur = l
            out[cur] = []
        elif cur is not None and not (l and set(l) <= set("=-~")):
            out[cur].append(l)
    for k in out:
        while out[k] and not out[k][-1]:
            out[k].pop()
    return out


def table(lines):
    """The rows of the first text table in lines (after its rule), split
    on runs of two spaces."""
    rows, inside = [], False
    for l in lines:
        if re.match(r"^  -+(  -+)*$", l):
            inside = True
            continue
        if inside:
            if not l.strip():
                break
            rows.append(re.split(r"\s{2,}", l.strip()))
    return rows


def findings_of(lines):
    """[(name, {field: value})] of a text report's Findings blocks."""
    out = []
    for l in lines:
        if re.match(r"^  \S", l):
            out.append((l.strip(), {}))
        m = re.match(r"^    (severity|message|setting|source): (.*)$", l)
        if m:
            out[-1][1][m.group(1)] = m.group(2)
    return out


def test_report_of_the_golden_rounds_equals_the_recording():
    """Each migration's table has each round the recording has (its interval
    lines' and its total line's, the same twelve), with the recording's
    start, length, pages (MiB), dirty rate, faults, splits and lost share;
    the latest migration's verdict and copy rate are the total line's
    convergence, the migration's lost time its migration_lost_share."""
    p = report(ROUNDS)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    recs = lines_of(ROUNDS)
    interval_rounds = [r for o in recs if o["type"] == "interval" for v in o["vms"] for r in v["rounds"]]
    vm = recs[-1]["vms"][0]
    assert interval_rounds == vm["rounds"] and len(vm["rounds"]) == 12
    s = sections(p.stdout)
    migrations = sorted({r["migration"] for r in vm["rounds"]})
    assert migrations == [1, 2]
    for m in migrations:
        want = [r for r in vm["rounds"] if r["migration"] == m]
        head = [h for h in s if h.startswith("Migration %d: " % m)]
        assert len(head) == 1, list(s)
        rows = table(s[head[0]])
        assert len(rows) == len(want) == 6, rows
        for row, r in zip(rows, want):
            dur = (r["end_ns"] - r["start_ns"]) / 1e9
            shown = [row[0], row[1], row[2], row[3], row[4], row[7], row[8], row[9], row[10], row[11]]
            assert shown == [str(r["round"]), "%.3f" % (r["start_ns"] / 1e9), "%.3f" % dur,
                             "%.1f" % (r["dirty_pages"] * 4096 / MIB),
                             "%.1f" % (r["dirty_rate_bytes_per_second"] / MIB),
                             str(r["faults_huge_wp"]), str(r["faults_nonpresent"]), str(r["faults_4k_wp"]),
                             str(r["splits"]),
                             (AT_LEAST if r["lost_kind"] == "lock-wait-lower-bound" else "") +
                             "%.2f%%" % (r["lost_share"] * 100)], (m, row, r)
        # The ratio after each round: its set over the one before.
        assert [row[6] for row in rows[1:]] == ["%.2f" % (b["dirty_pages"] / a["dirty_pages"])
                                                for a, b in zip(want, want[1:])]
    conv = vm["convergence"]
    last = s[[h for h in s if h.startswith("Migration %d: " % conv["migration"])][0]]
    verdict = [l for l in last if l.startswith("Verdict: ")]
    assert len(verdict) == 1 and verdict[0].startswith("Verdict: %s: " % conv["state"]), verdict
    assert "copy rate %.1f MiB/s" % (conv["copy_rate_bytes_per_second"] / MIB) in verdict[0], verdict
    assert "budget of %.1f MiB" % (conv["budget_bytes"] / MIB) in verdict[0], verdict
    lost = [l for l in last if l.startswith("Lost time: ")]
    assert lost == [lost[0]] and lost[0].startswith("Lost time: %s%.2f%% " % (
        AT_LEAST, conv["migration_lost_share"] * 100)), lost
    # What the total line counted, in the overview and the operations.
    vm_text = s['VM "rounds vm", pid 8024']
    assert any(l.startswith("Faults: %d huge_wp, %d nonpresent, %d 4k_wp, %d other; %d pages dirtied in %d rounds"
                            % (vm["faults_huge_wp"], vm["faults_nonpresent"], vm["faults_4k_wp"],
                               vm["faults_other"], vm["dirty_pages"], vm["dirty_rounds"])) for l in vm_text)
    ops = {r[0]: r for r in table(s["Dirty-log operations"])}
    for op, d in vm["detail"]["dirty_log"].items():
        assert ops[op][1] == str(d["count"]) and ops[op][5] == str(d["splits"]), (op, ops[op], d)
    # The run had no function probes: the holds are unavailable, and why.
    assert s["mmu_lock holds"] == ["Unavailable: function probes refused by this kernel (loading them: "
                                   "Operation not permitted)"], s["mmu_lock holds"]
    assert s["Findings"] == ["None: no rule fired (as the recording's total line has them)"]


def test_report_findings_are_the_total_lines():
    """Every VM of every golden recording: the findings the report lists are
    the total line's, name, severity, message, setting and source; and for
    the recording that predates findings (format 0), the rules run here on
    its totals give the findings its re-rendered twin's total line has."""
    for name in sorted(f for f in os.listdir(GOLDEN) if f.endswith(".json")):
        path = os.path.join(GOLDEN, name)
        p = report(path)
        assert p.returncode == 0 and p.stderr == "", (name, p.stderr)
        parts = p.stdout.split('\nVM "')[1:]
        vms = total_vms(path)
        assert len(parts) == len(vms), name
        for part, ((vm, pid), v) in zip(parts, vms.items()):
            assert part.startswith('%s", pid %d\n' % (vm, pid)), part[:80]
            got = findings_of(sections('VM "' + part)["Findings"])
            want = [(f["name"], {k: f[k] for k in ("severity", "message", "setting", "source")})
                    for f in v["findings"]]
            assert got == want, (name, vm, got, want)
    old = report(os.path.join(GOLDEN, "format0", "tdp-get-json.json"))
    new = report(os.path.join(GOLDEN, "tdp-get-json.json"))
    f_old, f_new = (sections(p.stdout)["Findings"] for p in (old, new))
    assert f_old[0].endswith("(evaluated here on the VM's totals and its latest migration's rounds)"), f_old
    assert f_new[0].endswith("(as the recording's total line has them)"), f_new
    assert findings_of(f_old) == findings_of(f_new) and findings_of(f_new), f_old


def test_report_downtime_judges_again():
    """--downtime 50: the same rounds no longer fit a budget of 50 ms at
    their copy rate; the rules run again with it (the recording's findings
    were judged at its own budget) and name not-converging."""
    p = report(ROUNDS, "--downtime", "50")
    assert p.returncode == 0, p.stderr
    s = sections(p.stdout)
    assert "Verdicts against a downtime budget of 50 ms (--downtime)" in p.stdout
    verdicts = [l for h, ls in s.items() if h.startswith("Migration ") for l in ls if l.startswith("Verdict")]
    assert len(verdicts) == 2 and all(v.startswith("Verdict: not-converging: ") for v in verdicts), verdicts
    assert [n for n, _ in findings_of(s["Findings"])] == ["not-converging"], s["Findings"]


def md_cells(line):
    """The cells of a Markdown table row: split at each | not escaped."""
    assert line.startswith("|") and line.endswith("|"), line
    return re.split(r"(?<!\\)\|", line[1:-1])


def md_tables(text):
    tables, cur = [], None
    for l in text.splitlines():
        if l.startswith("|"):
            if cur is None:
                cur = []
                tables.append(cur)
            cur.append(l)
        else:
            cur = None
    return tables


def test_report_markdown_tables_are_whole():
    """--markdown: each table's rows have its header's number of cells, its
    second row aligns each; headings are #, ## and ###; the round tables
    are the text report's, cell for cell."""
    for name in sorted(f for f in os.listdir(GOLDEN) if f.endswith(".json")):
        p = report(os.path.join(GOLDEN, name), "--markdown")
        assert p.returncode == 0 and p.stderr == "", (name, p.stderr)
        tables = md_tables(p.stdout)
        assert len(tables) >= 2, name
        for t in tables:
            n = len(md_cells(t[0]))
            assert all(len(md_cells(r)) == n for r in t), (name, t)
            assert all(re.match(r"^:?---:?$", c) for c in md_cells(t[1])), t[1]
        assert p.stdout.startswith("# splittop report: "), p.stdout[:80]
        assert re.search(r"^## VM ", p.stdout, re.M) and re.search(r"^### Findings$", p.stdout, re.M)
    text = sections(report(ROUNDS).stdout)
    md = md_tables(report(ROUNDS, "--markdown").stdout)
    for m, t in zip((1, 2), md[:2]):
        rows = table(text[[h for h in text if h.startswith("Migration %d: " % m)][0]])
        assert [[c.strip() for c in md_cells(r)] for r in t[2:]] == rows, (m, t)


def test_report_output_file_is_stdout():
    """-o FILE holds what standard output gets, text and Markdown; an
    existing symbolic link is refused as -o refuses it elsewhere."""
    with tempfile.TemporaryDirectory(prefix="splittop-report.") as d:
        for extra in ([], ["--markdown"]):
            out = os.path.join(d, "r.txt")
            p = report(ROUNDS, "-o", out, *extra)
            assert p.returncode == 0 and p.stdout == "" and p.stderr == "", p.stderr
            with open(out) as f:
                assert f.read() == report(ROUNDS, *extra).stdout
        link = os.path.join(d, "link")
        os.symlink(out, link)
        p = report(ROUNDS, "-o", link)
        assert p.returncode == 1 and p.stderr.startswith("splittop: cannot write %s: " % link), p.stderr


def test_report_selects_vms():
    """The two-VM recording: --vm keeps one VM's sections, -p (their one
    process) both; a selection that matches nothing says so, exit 1."""
    path = os.path.join(GOLDEN, "shadow-clear2-json.json")
    vms = list(total_vms(path))
    full = report(path).stdout
    assert all('VM "%s", pid %d' % v in full for v in vms) and len(vms) == 2
    for vm, pid in vms:
        p = report(path, "--vm", vm)
        assert p.returncode == 0 and p.stdout.count('\nVM "') == 1 and 'VM "%s", pid %d' % (vm, pid) in p.stdout
        # Its sections are the full report's, word for word.
        assert p.stdout.split('\nVM "')[1] in full
    assert report(path, "-p", vms[0][1]).stdout == full
    assert run([SPLITTOP, "--vm", vms[1][0], "report", path]).stdout == report(path, "--vm", vms[1][0]).stdout
    for args, why in ((["--vm", "nope"], "--vm 'nope' matched no VM"), (["-p", "999999"], "-p matched no VM of "
                                                                         "the recording")):
        p = report(path, *args)
        assert (p.returncode, p.stderr) == (1, "splittop: report %s: %s\n" % (path, why)), p.stderr


def test_report_of_a_recording_without_rounds():
    """Recordings from before rounds (the stock kernel's, also as format 0):
    the report says there are none and why, and reports the rest: splits,
    operations, the holds the function probes measured, findings."""
    for path, why in ((os.path.join(GOLDEN, "tdp-get-json.json"), "No dirty-log rounds, though the dirty log "
                       "was harvested 3 times: the recording has none (its splittop predates them, or they "
                       "were lost)"),
                      (os.path.join(GOLDEN, "format0", "tdp-get-json.json"), "No dirty-log rounds: this "
                       "recording has none (its splittop predates them)")):
        p = report(path)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        s = sections(p.stdout)
        assert s["Migrations"] == [why], s["Migrations"]
        vm = list(total_vms(path).values())[0]
        holds = {r[0]: r for r in table(s["mmu_lock holds"])}
        hold = vm["detail"]["mmu_lock_hold"]
        assert holds["write"][1] == "%.2f ms" % (hold["write"]["max_ns"] / 1e6), holds
        assert holds["read"][3] == "%.2f ms (%d)" % (hold["read"]["holders"]["memslot"]["ns"] / 1e6,
                                                     hold["read"]["holders"]["memslot"]["count"]), holds
        splits = {r[0]: r for r in table(s["Splits"])}
        assert splits["2M"][1:3] == [str(vm["detail"]["splits"]["2m"]["eager"]),
                                     str(vm["detail"]["splits"]["2m"]["fault"])], splits


def test_report_refuses_what_it_cannot_read():
    """As --replay: one line naming the file (and line) and why, exit 2."""
    with open(os.path.join(GOLDEN, "tdp-get-json.json")) as f:
        lines = f.read().splitlines(keepends=True)
    host = lines[0]
    cases = {
        "other.json": ('{"name":"x","version":"1.0"}\n', ":1: not a splittop recording (its first line is not the "
                       "host line of splittop --json)"),
        "text.txt": ("time,cpu\n1,2\n", ":1: not JSON: not a value at byte 0"),
        "newer.json": (host.replace('"format":1', '"format":2') + lines[1], ": recording format 2 is newer than "
                       "this splittop reads (0..1): a newer splittop wrote it"),
        "empty.json": ("", ": empty: not a splittop recording"),
        "two.json": (host + host, ":2: a second host line (two recordings in one file?)"),
        "unknown.json": (host + '{"type":"summary"}\n', ":2: a line of unknown type"),
        "after.json": (host + lines[-1] + lines[1], ":3: a line after the run's totals"),
        "notcount.json": (host + lines[1].replace('"faults":', '"faults":-', 1), ":2: faults: not a count"),
        "findings.json": (host + lines[-1].replace('"findings":[', '"findings":[7,', 1),
                          ":%d: findings: a finding without its name and message" % 2),
        "round.json": (host + lines[1].replace('"rounds":[]', '"rounds":[{"start_ns":5,"end_ns":1}]', 1),
                       ":2: rounds: ends before it starts"),
    }
    with tempfile.TemporaryDirectory(prefix="splittop-badreport.") as d:
        for name, (text, why) in cases.items():
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            p = report(path)
            assert (p.returncode, p.stderr) == (2, "splittop: report %s%s\n" % (path, why)), (name, p.stderr)
            assert p.stdout == "", (name, p.stdout)
        p = report(d)
        assert (p.returncode, p.stderr) == (2, "splittop: report %s: not a file\n" % d), p.stderr
        p = report(os.path.join(d, "none.json"))
        assert p.returncode == 2 and p.stderr.endswith(": No such file or directory\n"), p.stderr
        # Cut short: reported up to the line before, and said.
        path = os.path.join(d, "growing.json")
        with open(path, "w") as f:
            f.write("".join(lines[:3]) + lines[3][:100])
        p = report(path)
        assert p.returncode == 0 and "no total line" in p.stdout, p.stdout[:400]
        assert p.stderr == ("splittop: report %s:4: the last line is incomplete (a recording still being "
                            "written, or cut short): reported up to line 3\n" % path), p.stderr


def test_report_refuses_a_long_line_from_a_pipe_in_bounded_memory():
    """100 MB without a newline from a pipe: refused (exit 2, line 1) once
    the 64 MiB a line may have are read, in bounded memory."""
    p = subprocess.Popen([SPLITTOP, "report", "/dev/stdin"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    chunk = b"x" * (1 << 20)

    def writer():
        try:
            for _ in range(100):
                p.stdin.write(chunk)
            p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
    w = threading.Thread(target=writer)
    watchdog = threading.Timer(60, p.kill)
    w.start()
    watchdog.start()
    try:
        _, status, usage = os.wait4(p.pid, 0)
    finally:
        watchdog.cancel()
    w.join()
    err = p.stderr.read().decode()
    assert (os.waitstatus_to_exitcode(status), err) == (2, "splittop: report /dev/stdin:1: a line longer than "
                                                           "any recording has\n"), err
    assert usage.ru_maxrss < 96 * 1024, "peak RSS %d KiB" % usage.ru_maxrss


def clean_text(out, what):
    """UTF-8 with no control character but the newline."""
    text = out.decode("utf-8")
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
    assert not bad, (what, bad[:5])
    return text


def test_report_of_a_hostile_recording_writes_no_control_character():
    """Names and strings of a recording a VM's owner could have chosen (escape
    sequences, C1 controls, a byte that is not UTF-8, Markdown's | and `):
    printable in text, escaped in Markdown, never a crash or a broken table."""
    evil = "\x1b]0;pwned\x07\x1b[2J|`x`"
    with open(os.path.join(GOLDEN, "shadow-clear2-json.json"), "rb") as f:
        text = f.read()
    text = text.replace(b'"vm":"gold vm,\\"x\\"#0"', b'"vm":' + json.dumps(evil).encode())
    text = text.replace(b'"vm":"gold vm,\\"x\\"#1"', b'"vm":"b\xc2\x9b31m\x7f\xff#1"')
    text = text.replace(b'"kernel":', b'"hostname":"h\xc2\x9b2J","kernel":', 1)
    text = text.replace(b'"message":"lazy splitting', b'"message":"a|b`\\u001b[31m lazy splitting')
    with tempfile.TemporaryDirectory(prefix="splittop-hostile.") as d:
        path = os.path.join(d, "hostile\x1b[2J.json")
        with open(path, "wb") as f:
            f.write(text)
        p = subprocess.run([SPLITTOP, "report", path], capture_output=True, timeout=60)
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        out = clean_text(p.stdout, "text")
        assert 'VM "?]0;pwned??[2J|`x`", pid' in out and "Host h?2J," in out, out[:600]
        assert "hostile?[2J.json" in out
        p = subprocess.run([SPLITTOP, "report", "--markdown", path], capture_output=True, timeout=60)
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        md = clean_text(p.stdout, "Markdown")
        assert '## VM "?\\]0;pwned??\\[2J\\|\\`x\\`", pid' in md, md[:600]
        for t in md_tables(md):
            assert all(len(md_cells(r)) == len(md_cells(t[0])) for r in t), t
        assert "| a\\|b\\`?\\[31m lazy splitting" in md, md
        # --vm: the name as written selects as the VMM's own does.
        one = subprocess.run([SPLITTOP, "report", path, "--vm", evil], capture_output=True, timeout=60)
        assert one.returncode == 0 and one.stdout.count(b'\nVM "') == 1, one.stderr


def test_report_usage_errors():
    js = os.path.join(GOLDEN, "tdp-get-json.json")
    for args, why in ((["report"], "report needs a FILE: splittop report FILE"),
                      (["report", "--", js], "report needs a FILE: splittop report FILE"),
                      (["--markdown", "--replay", js], "--markdown needs report FILE"),
                      (["report", js, "--json"], "report reads a recording: it cannot be used with --json"),
                      (["report", js, "--replay", js], "report reads a recording: it cannot be used with --replay"),
                      (["report", js, "-d", "1"], "report reads a recording: it cannot be used with --duration"),
                      (["report", js, "--", "true"], "report reads a recording: it cannot be used with a COMMAND"),
                      (["report", js, js], "unexpected argument '%s'" % js),
                      (["report", js, "--downtime", "0"], "invalid --downtime '0': expected 1..3600000 ms")):
        p = run([SPLITTOP] + args, timeout=60)
        assert (p.returncode, p.stderr) == (2, "splittop: %s (see --help)\n" % why), (args, p.stderr)
    p = run([SPLITTOP, "--help"], timeout=10)
    assert "splittop report [--markdown]" in p.stdout and "  report FILE " in p.stdout, p.stdout[:400]


def test_report_failed_splits_by_errno():
    """A total line with failed splits (the golden recordings have none):
    each errno with its count and what it means, retries told apart, the
    bucket of errnos from 32 on last."""
    with open(os.path.join(GOLDEN, "tdp-get-json.json")) as f:
        lines = f.read().splitlines(keepends=True)
    total = json.loads(lines[-1])
    vm = total["vms"][0]
    vm["split_errors"] = 3 + 5 + 2 + 1
    vm["detail"]["split_errno"] = {"11": 5, "12": 3, "28": 2, ">=32": 1}
    with tempfile.TemporaryDirectory(prefix="splittop-errno.") as d:
        path = os.path.join(d, "errno.json")
        with open(path, "w") as f:
            f.write("".join(lines[:-1]) + json.dumps(total, separators=(",", ":")) + "\n")
        p = report(path, "--downtime", "300")
        assert p.returncode == 0 and p.stderr == "", p.stderr
        s = sections(p.stdout)["Splits"]
        assert "Failed splits: 11, by errno:" in s, s
        rows = table(s[s.index("Failed splits: 11, by errno:"):])
        assert rows == [["EAGAIN (11)", "5", "a retry: the shadow MMU topped up its caches with mmu_lock dropped"],
                        ["ENOMEM (12)", "3", "host memory or the VMM's memory cgroup: the rest split in vCPU faults"],
                        ["ENOSPC (28)", "2", "the shadow MMU's page limit (KVM_SET_NR_MMU_PAGES)"],
                        [">=32", "1", "see the kvm_mmu_split_huge_page tracepoint"]], rows
        # The rules run again (--downtime given) and see them too.
        assert "split-failed" in [n for n, _ in findings_of(sections(p.stdout)["Findings"])], p.stdout[-1500:]
