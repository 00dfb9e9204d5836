# SPDX-License-Identifier: GPL-2.0-only
"""splittop-plot on real recordings (tests/golden: runs on this host's
shadow MMU and in the stock kernel's TDP MMU, as CSV and as JSON): the
picture is a valid SVG or PNG, and the points gnuplot plotted (its table
output) are the recording's interval rows divided by their length."""
import csv
import json
import os
import re
import struct
import tempfile
import xml.etree.ElementTree as ET

from harness import ROOT, run

PLOT = os.path.join(ROOT, "src", "plot", "splittop-plot")
GOLDEN = os.path.join(ROOT, "tests", "golden")


def recording_rows(path):
    """(elapsed_s, row) of each interval row, as the recording has them."""
    with open(path) as f:
        if path.endswith(".json"):
            return [(float(o["elapsed_s"]), vm) for o in map(json.loads, f) if o["type"] == "interval"
                    for vm in o["vms"]]
        return [(float(r["elapsed_s"]), r) for r in csv.DictReader(f) if r["scope"] == "interval"]


def expected_curves(path):
    """The curves splittop-plot should draw, computed here on their own."""
    rows = recording_rows(path)
    frames = sorted({t for t, _ in rows})
    start = {t: frames[i - 1] if i else 0.0 for i, t in enumerate(frames)}
    v = lambda r, k: None if r[k] in ("", None) else float(r[k])
    curves, vms = [], []
    for t, r in rows:
        if (r["vm"], str(r["pid"])) not in vms:
            vms.append((r["vm"], str(r["pid"])))
    for vm in vms:
        mine = [(t, r) for t, r in rows if (r["vm"], str(r["pid"])) == vm]
        dt = {t: t - start[t] for t, _ in mine}

        def curve(fn):
            return [(t, fn(r) / dt[t] if fn(r) is not None else None) for t, r in mine]

        for cls in ("huge_wp", "nonpresent", "4k_wp", "other"):
            curves.append(curve(lambda r, c=cls: v(r, "faults_" + c)))
        curves.append(curve(lambda r: v(r, "splits_2m") + v(r, "splits_1g")))
        curves.append(curve(lambda r: v(r, "demotions_2m") + v(r, "demotions_1g")))
        curves.append([(t, None if y is None else y / 1e6) for t, y in curve(lambda r: v(r, "mmu_lock_wait_ns"))])
        curves.append([(t, v(r, "pages_2m")) for t, r in mine])
    return curves


def table_curves(path):
    """The points of each curve of gnuplot's 'set table' output."""
    curves, cur = [], None
    with open(path) as f:
        for line in f:
            if re.match(r"# Curve \d+ of \d+", line):
                cur = []
                curves.append(cur)
            elif line.strip() and not line.startswith("#"):
                x, y, kind = line.split()
                cur.append((float(x), None if kind == "u" else float(y)))
    return curves


def close(a, b):
    return abs(a - b) <= 1e-5 * max(1.0, abs(b))


def check_png(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    width, height = struct.unpack(">II", data[16:24])
    assert data[12:16] == b"IHDR" and width == 1100 and height > 1000, (width, height)
    assert data[-8:-4] == b"IEND", data[-12:]


def test_plot_golden_recordings():
    names = sorted(n for n in os.listdir(GOLDEN) if n.endswith((".csv", ".json")))
    assert len(names) >= 4, names
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            rec = os.path.join(GOLDEN, name)
            svg, png, tab = (os.path.join(d, name + ext) for ext in (".svg", ".png", ".tab"))
            p = run([PLOT, rec, "-o", svg, "--table", tab], timeout=120)
            assert p.returncode == 0, p.stderr
            root = ET.parse(svg).getroot()
            assert root.tag.endswith("svg"), root.tag
            texts = " ".join(t.strip() for t in root.itertext() if t.strip())
            for vm, pid in {(r["vm"], str(r["pid"])) for _, r in recording_rows(rec)}:
                assert "%s (pid %s)" % (vm, pid) in texts, (name, vm, texts[:300])
            assert "faults/s" in texts and "mmu_lock wait, ms/s" in texts, (name, texts[:300])
            p = run([PLOT, rec, "-o", png], timeout=120)
            assert p.returncode == 0, p.stderr
            check_png(png)
            want, got = expected_curves(rec), table_curves(tab)
            assert len(got) == len(want) and len(want) >= 8, (name, len(got), len(want))
            for i, (g, w) in enumerate(zip(got, want)):
                assert len(g) == len(w) > 0, (name, i, g, w)
                for (gx, gy), (wx, wy) in zip(g, w):
                    assert close(gx, wx), (name, i, gx, wx)
                    assert (gy is None and wy is None) or close(gy, wy), (name, i, gx, gy, wy)


def test_plot_bad_input():
    with tempfile.TemporaryDirectory() as d:
        junk = os.path.join(d, "junk.csv")
        with open(junk, "w") as f:
            f.write("a,b\n1,2\n")
        for argv, code, needle in (([junk, "-o", os.path.join(d, "x.svg")], 2, "not a splittop recording"),
                                   ([os.path.join(d, "none.csv"), "-o", os.path.join(d, "x.svg")], 2,
                                    "No such file"),
                                   ([os.path.join(GOLDEN, "shadow-get-csv.csv"), "-o", os.path.join(d, "x.gif")],
                                    2, "FILE.svg or FILE.png"),
                                   ([os.path.join(GOLDEN, "shadow-get-csv.csv"), "--vm", "nope", "-o",
                                     os.path.join(d, "x.svg")], 2, "no interval rows of VM nope")):
            p = run([PLOT] + argv, timeout=60)
            assert p.returncode == code and needle in p.stderr, (argv, p.returncode, p.stderr)


def table_points(path):
    """[(title, {x: y})] of each curve of gnuplot's 'set table' output (a
    point with no value is left out of the table)."""
    curves = []
    with open(path) as f:
        for line in f:
            m = re.match(r'# Curve title: "(.*)"', line)
            if m:
                curves.append((m.group(1), {}))
            elif line.strip() and not line.startswith("#"):
                x, y, kind = line.split()
                if kind != "u":
                    curves[-1][1][float(x)] = float(y)
    return curves


def test_plot_rounds_of_the_golden_recording():
    """--rounds: per migration of the golden recording with rounds, the dirty
    set of each round (MiB) and the dirty rate are the recording's; the
    inferred copy rate is the one splittop report prints for each round, the
    latest the total line's convergence; the budget is it x --downtime.  A
    recording without rounds, or CSV, is refused."""
    from test_report import report, sections, table
    rec = os.path.join(GOLDEN, "shadow-rounds-json.json")
    with open(rec) as f:
        vm = [json.loads(l) for l in f][-1]["vms"][0]
    text = sections(report(rec, "--downtime", "200").stdout)
    with tempfile.TemporaryDirectory() as d:
        svg, tab = os.path.join(d, "rounds.svg"), os.path.join(d, "rounds.tab")
        p = run([PLOT, "--rounds", rec, "-o", svg, "--table", tab, "--downtime", "200"], timeout=120)
        assert p.returncode == 0, p.stderr
        root = ET.parse(svg).getroot()
        texts = " ".join(t.strip() for t in root.itertext() if t.strip())
        for m in (1, 2):
            assert "rounds vm (pid 8024): migration %d" % m in texts, texts[:300]
        curves = table_points(tab)
        assert len(curves) == 8, [t for t, _ in curves]
        for m in (1, 2):
            (_, dirty), (budget_t, budget), (_, copy), (_, rate) = curves[4 * (m - 1):4 * m]
            want = [r for r in vm["rounds"] if r["migration"] == m]
            assert budget_t == "budget: copy rate x 200 ms, MiB", budget_t
            assert dirty == {float(r["round"]): r["dirty_pages"] * 4096 / (1 << 20) for r in want}
            for r in want:
                assert close(rate[r["round"]], r["dirty_rate_bytes_per_second"] / (1 << 20)), r
            rows = table(text[[h for h in text if h.startswith("Migration %d: " % m)][0]])
            assert {float(r[0]): r[5] for r in rows} == {x: "%.1f" % y for x, y in copy.items()} | \
                {float(r[0]): "-" for r in rows if float(r[0]) not in copy}, (rows, copy)
            for x, y in copy.items():
                assert abs(budget[x] - y * 0.2) <= 1e-4 * budget[x], (x, budget[x], y)
        conv = vm["convergence"]
        assert close(curves[6][1][6.0], conv["copy_rate_bytes_per_second"] / (1 << 20)), curves[6]
        p = run([PLOT, "--rounds", os.path.join(GOLDEN, "tdp-get-json.json"), "-o", svg], timeout=60)
        assert p.returncode == 2 and "no dirty-log rounds" in p.stderr, p.stderr
        p = run([PLOT, "--rounds", os.path.join(GOLDEN, "shadow-get-csv.csv"), "-o", svg], timeout=60)
        assert p.returncode == 2 and "--rounds needs a JSON recording" in p.stderr, p.stderr
