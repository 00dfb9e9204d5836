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
