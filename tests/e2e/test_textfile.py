# SPDX-License-Identifier: GPL-2.0-only
"""splittop --textfile DIR read by the real node_exporter (Debian's
prometheus-node-exporter, textfile collector only): the file is replaced
whole each interval, 0644, nothing else in DIR is touched, a symbolic link
is refused as DIR and never followed as the file; node_exporter serves
splittop's series (its self counters: no VM is started here)."""
import os
import shutil
import stat
import tempfile
import time
import urllib.request

from harness import SPLITTOP, Skip, run, spawn, stop

NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(path, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return
        time.sleep(0.1)
    raise AssertionError("no " + path)


def scrape(port, timeout=30):
    end = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                return r.read().decode()
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.2)


def test_textfile_read_by_node_exporter():
    if os.geteuid() != 0:
        raise Skip("needs root")
    if not NODE_EXPORTER:
        raise Skip("needs prometheus-node-exporter (make deps)")
    with tempfile.TemporaryDirectory() as d:
        other = os.path.join(d, "other.prom")
        with open(other, "w") as f:
            f.write("other_metric 1\n")
        target = os.path.join(d, "target")
        with open(target, "w") as f:
            f.write("untouched\n")
        os.symlink(target, os.path.join(d, "splittop.prom"))
        os.umask(0o077)     # the file is 0644 all the same
        sp = spawn([SPLITTOP, "--textfile", d, "-i", "0.3"])
        try:
            path = os.path.join(d, "splittop.prom")
            end = time.time() + 30
            while os.path.islink(path) and time.time() < end:
                time.sleep(0.1)
            assert not os.path.islink(path), "the symbolic link was replaced, not followed"
            with open(target) as f:
                assert f.read() == "untouched\n"
            st = os.stat(path)
            assert stat.S_IMODE(st.st_mode) == 0o644, oct(st.st_mode)
            first = st.st_ino
            time.sleep(1)
            assert os.stat(path).st_ino != first, "written again (a new file renamed over it)"
            with open(path) as f:
                text = f.read()
            assert "# TYPE splittop_self_vm_table_full_total counter" in text and "# EOF" not in text, text[:500]
            port = free_port()
            ne = spawn([NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port, "--collector.disable-defaults",
                        "--collector.textfile", "--collector.textfile.directory=" + d])
            try:
                body = scrape(port)
            finally:
                ne.kill()
                ne.wait()
            assert "\nsplittop_self_vm_table_full_total 0\n" in body, body[-2000:]
            assert "\nsplittop_self_missed_events_total " in body, body[-2000:]
            assert "\nother_metric 1\n" in body
            assert 'node_textfile_scrape_error 0' in body, [l for l in body.splitlines() if "textfile" in l]
            assert sorted(os.listdir(d)) == ["other.prom", "splittop.prom", "target"], os.listdir(d)
        finally:
            rc, _, err = stop(sp)
        # SIGINT: 128 + 2.  (A busy host may add a note of missed events.)
        assert rc == 130 and "textfile" not in err, (rc, err)
        with open(other) as f:
            assert f.read() == "other_metric 1\n"


def test_textfile_refuses_a_symlink_directory():
    with tempfile.TemporaryDirectory() as d:
        os.mkdir(os.path.join(d, "real"))
        os.symlink(os.path.join(d, "real"), os.path.join(d, "link"))
        p = run([SPLITTOP, "--textfile", os.path.join(d, "link"), "-i", "0.3", "--count", "1"], timeout=60)
        assert p.returncode == 1 and "--textfile %s: a symbolic link (refused)" % os.path.join(d, "link") in p.stderr, \
            (p.returncode, p.stderr)
        assert os.listdir(os.path.join(d, "real")) == []
        p = run([SPLITTOP, "--textfile", "", "-i", "1"], timeout=60)
        assert p.returncode == 2 and "invalid --textfile ''" in p.stderr, p.stderr
