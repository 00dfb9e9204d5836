# SPDX-License-Identifier: GPL-2.0-only
"""splittop --listen scraped by a real Prometheus (Debian's) during a real
dirtyvm migration: every series' last value equals splittop's CSV total
row of the same run, and promtool's linter passes on the exposition."""
import csv
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from harness import BED, DIRTYVM, SPLITTOP, mem, run, spawn, stop, vm_test

VM = "promvm"
# The alert of the man page (PROMETHEUS) and the README, as a rules file.
ALERT_RULES = """groups:
  - name: splittop
    rules:
      - alert: KvmMmuLockContention
        expr: sum by (instance, vm) (rate(splittop_mmu_lock_wait_seconds_total[1m])) > 0.1
        for: 2m
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, headers=None, timeout=10):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode(), r.headers.get("Content-Type", "")


def query(prom, expr):
    """An instant query's vector: {labels frozenset: float}."""
    body, _ = get("http://127.0.0.1:%d/api/v1/query?%s" % (prom, urllib.parse.urlencode({"query": expr})))
    r = json.loads(body)
    assert r["status"] == "success", r
    return [(s["metric"], float(s["value"][1])) for s in r["data"]["result"]]


def one(prom, expr):
    v = query(prom, expr)
    assert len(v) == 1, (expr, v)
    return v[0][1]


def wait(pred, what, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def last_scrape(prom):
    """Unix time of Prometheus' latest scrape of splittop."""
    body, _ = get("http://127.0.0.1:%d/api/v1/targets" % prom)
    t = json.loads(body)["data"]["activeTargets"]
    assert len(t) <= 1, t
    if not t or t[0]["health"] != "up":
        return 0.0
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", t[0]["lastScrape"])
    assert m, t[0]["lastScrape"]
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return base.timestamp() + float(m.group(2) or 0)


def prom_name(column, counters):
    """The series a CSV column is exported as (the metric table's rule)."""
    base = column[:-3] + "_seconds" if column.endswith("_ns") else column
    if column == "mem_mib":
        base = "mem_bytes"
    name = "splittop_" + base
    return (name + "_total", True) if name + "_total" in counters else (name, False)


def check_series_equal_totals(prom, text, t):
    """Every series' last value in Prometheus equals the CSV total row t
    (seconds back to ns), counters and gauges alike; the histogram's count
    and the per-vCPU series agree with it too.  text: a scrape's body."""
    counters = {l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ") and l.endswith(" counter")}
    sel = '{vm="%s"}' % VM
    compared = 0
    for col, v in t.items():
        if col in ("time_unix_s", "elapsed_s", "scope", "pid", "vm") or v == "":
            continue
        name, is_counter = prom_name(col, counters)
        got = one(prom, "last_over_time(%s%s[10m])" % (name, sel))
        want = int(v)
        if col.endswith("_ns"):
            assert round(got * 1e9) == want, (col, name, got, want)
        elif col == "mem_mib":
            assert got == want * 1048576, (col, got, want)
        else:
            assert got == want, (col, name, got, want)
        compared += is_counter
    assert compared >= 20, compared
    # A scrape during the run saw the VM logging; the last one, done.
    assert one(prom, "max_over_time(splittop_dirty_logging%s[10m])" % sel) == 1
    assert one(prom, "last_over_time(splittop_dirty_logging%s[10m])" % sel) == 0
    assert one(prom, "count_over_time(splittop_faults_total%s[10m])" % sel) >= 2
    # The wait histogram's count is the timed waits.
    assert one(prom, "last_over_time(splittop_mmu_lock_wait_duration_seconds_count%s[10m])" % sel) == \
        int(t["mmu_lock_waits_timed"])
    # Per-vCPU faults add up to the VM's.
    for cls in ("huge_wp", "nonpresent", "4k_wp", "other"):
        s = sum(v for _, v in query(prom, "last_over_time(splittop_vcpu_faults_%s_total%s[10m])" % (cls, sel)))
        assert s == int(t["faults_" + cls]), cls


@vm_test()
def test_prometheus_scrapes_a_migration():
    assert shutil.which("prometheus") and shutil.which("promtool"), "make deps installs prometheus"
    port, prom = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="splittop-prom.") as d:
        cfg, rules = os.path.join(d, "prometheus.yml"), os.path.join(d, "rules.yml")
        with open(rules, "w") as f:
            f.write(ALERT_RULES)
        lint = run(["promtool", "check", "rules", rules], timeout=60)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "rule_files: ['%s']\n"
                    "scrape_configs:\n  - job_name: splittop\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % (rules, port))
        p = spawn(["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(d, "data"),
                   "--web.listen-address=127.0.0.1:%d" % prom, "--log.level=warn"],
                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "prom.log"), "w"))
        out = os.path.join(d, "run.csv")
        sp = spawn([SPLITTOP, "--listen", str(port), "--csv", "-i", "0.2", "-o", out])
        wait(lambda: os.path.getsize(out) > 0, "splittop's CSV header", 60)
        wait(lambda: "splittop_self_vm_table_full_total" in get("http://127.0.0.1:%d/metrics" % port)[0],
             "/metrics", 30)
        wait(lambda: get("http://127.0.0.1:%d/-/ready" % prom)[0], "Prometheus ready", 180)
        wait(lambda: last_scrape(prom) > 0, "a first scrape", 60)

        # Logging must outlast a scrape or two: 20 rounds take seconds even on
        # a fast host; emulation in the bed is slow enough with 6.
        vm = spawn([DIRTYVM, "--json", "--name", VM, "--vcpus", "2", "--mem", mem(256),
                    "--rounds", "6" if BED else "20"])
        # While it runs: the older text format passes promtool's linter, and
        # Prometheus sees the VM dirty-logging.
        text = None
        deadline = time.monotonic() + 600
        while vm.poll() is None and time.monotonic() < deadline:
            body, ctype = get("http://127.0.0.1:%d/metrics" % port)
            if 'splittop_dirty_logging{vm="%s"' % VM in body and text is None:
                text = body
                assert ctype.startswith("text/plain; version=0.0.4"), ctype
            time.sleep(0.3)
        vout, verr = vm.communicate(timeout=600)
        assert vm.returncode == 0, verr
        ended = time.time()
        assert text, "no scrape of /metrics saw the VM"
        lint = run(["promtool", "check", "metrics"], input=text, timeout=60)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        om, ctype = get("http://127.0.0.1:%d/metrics" % port,
                        {"Accept": "application/openmetrics-text; version=1.0.0"})
        assert ctype.startswith("application/openmetrics-text; version=1.0.0"), ctype
        assert om.endswith("# EOF\n"), om[-200:]
        # The VM, ended, stays for one more scrape: wait for two after it ended.
        wait(lambda: last_scrape(prom) > ended + 1.5, "scrapes after the VM ended", 120)
        rc, _, err = stop(sp)
        assert rc == 0, err
        with open(out) as f:
            totals = [r for r in csv.DictReader(f) if r["scope"] == "total" and r["vm"] == VM]
        assert len(totals) == 1, totals
        t = totals[0]

        check_series_equal_totals(prom, text, t)
        body, _ = get("http://127.0.0.1:%d/api/v1/rules" % prom)
        loaded = [r["name"] for g in json.loads(body)["data"]["groups"] for r in g["rules"]]
        assert loaded == ["KvmMmuLockContention"], loaded
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=120)


@vm_test()
def test_listen_port_in_use_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = run([SPLITTOP, "--listen", str(port), "-c", "1"], timeout=60)
    assert p.returncode == 1, p
    assert p.stderr == "splittop: --listen 127.0.0.1:%d: Address already in use\n" % port, p.stderr


@vm_test()
def test_remote_listen_warns_that_it_is_in_clear():
    """Loopback listens say nothing more (the test above: stderr is one
    line); any other address warns once, before the port is even taken."""
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = run([SPLITTOP, "--listen", "0.0.0.0:%d" % port, "-c", "1"], timeout=60)
    assert p.returncode == 1, p
    assert p.stderr == ("splittop: warning: --listen 0.0.0.0:%d serves every VM's name, pid and counts in clear "
                        "text, without authentication, to whoever can reach it\n"
                        "splittop: --listen 0.0.0.0:%d: Address already in use\n" % (port, port)), p.stderr


def test_one_client_cannot_starve_the_scrapes():
    """One client (127.0.0.2) holds hundreds of requests open that it never
    finishes, and opens new ones as the server closes them, for a minute;
    meanwhile every scrape from another (127.0.0.1) gets its 200.  Before
    the per-client limit, 16 such connections blinded every scraper."""
    port = free_port()
    sp = spawn([SPLITTOP, "--listen", "127.0.0.1:%d" % port], stdout=subprocess.DEVNULL)
    try:
        url = "http://127.0.0.1:%d/metrics" % port
        wait(lambda: _scrape(url), "the endpoint to answer", 60)
        held, opened, refused = [], 0, 0
        deadline = time.monotonic() + 60
        ok = bad = 0
        while time.monotonic() < deadline:
            # Keep 300 unfinished requests from 127.0.0.2: the server may
            # close any of them; open new ones in their place.
            held = [s for s in held if _alive(s) or s.close()]
            for _ in range(min(300 - len(held), 30)):   # 150 a second at most: ports to spare
                s = socket.socket()
                s.setblocking(True)
                s.settimeout(2)
                try:
                    s.bind(("127.0.0.2", 0))
                    s.connect(("127.0.0.1", port))
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")   # never ends its headers
                    s.setblocking(False)
                    held.append(s)
                    opened += 1
                except OSError:
                    s.close()
                    refused += 1
                    break
            if _scrape(url):
                ok += 1
            else:
                bad += 1
            time.sleep(0.2)
        for s in held:
            s.close()
        assert opened >= 300 and bad == 0 and ok > 100, (opened, refused, ok, bad)
    finally:
        rc, _, err = stop(sp)
    assert rc == 0, err


def _scrape(url):
    try:
        body, _ = get(url, timeout=5)
    except OSError:
        return False
    return "splittop_self_" in body


def _alive(s):
    """Whether the server keeps this connection (a closed one reads EOF)."""
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
