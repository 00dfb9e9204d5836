# SPDX-License-Identifier: GPL-2.0-only
"""The shipped systemd unit (contrib/systemd/splittop.service): systemd
accepts it (systemd-analyze verify), and splittop with only the capabilities
its CapabilityBoundingSet grants (setpriv: bounding set, nothing
inheritable, as the unit's uid 0) loads and attaches its BPF programs and
serves /metrics; SIGTERM, systemctl stop's signal, ends it with a status
the unit's SuccessExitStatus counts as success.  No VM is started."""
import os
import re
import signal
import socket
import tempfile
import time
import urllib.request

from harness import SPLITTOP, Skip, run, spawn, stop

UNIT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "contrib", "systemd", "splittop.service")


def unit():
    with open(UNIT) as f:
        return f.read()


def setting(text, key):
    v = re.findall(r"^%s=(.*)$" % key, text, re.M)
    assert len(v) == 1, (key, v)
    return v[0].strip()


def test_unit_verifies():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "splittop.service")
        with open(path, "w") as f:   # the unit as installed, splittop where it was built
            f.write(unit().replace("/usr/local/bin/splittop", SPLITTOP))
        p = run(["systemd-analyze", "verify", "--man=no", path], timeout=60)
        assert p.returncode == 0 and not p.stderr.strip(), p.stdout + p.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cap_mask(names):
    """The kernel's mask of capability names (CAP_BPF ...), by capsh."""
    mask = 0
    for n in names:
        p = run(["capsh", "--supports=" + n.lower()], timeout=10)
        assert p.returncode == 0, (n, p.stderr)
        mask |= 1 << {"cap_bpf": 39, "cap_perfmon": 38, "cap_sys_resource": 24,
                      "cap_sys_ptrace": 19, "cap_dac_read_search": 2, "cap_sys_admin": 21}[n.lower()]
    return mask


def test_splittop_with_only_the_units_capabilities_serves_metrics():
    if os.geteuid() != 0:
        raise Skip("needs root")
    text = unit()
    caps = setting(text, "CapabilityBoundingSet").split()
    assert set(caps) == {"CAP_BPF", "CAP_PERFMON"}, caps
    assert "143" in setting(text, "SuccessExitStatus").split()
    bset = "-all," + ",".join("+" + c[4:].lower() for c in caps)
    port = free_port()
    sp = spawn(["setpriv", "--bounding-set=" + bset, "--inh-caps=-all", "--", SPLITTOP,
                "--listen", "127.0.0.1:%d" % port, "-i", "0.3"])
    try:
        end, body = time.time() + 60, None
        while body is None:
            assert sp.poll() is None, sp.communicate()
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                    body = r.read().decode()
            except OSError:
                assert time.time() < end, "no scrape"
                time.sleep(0.2)
        with open("/proc/%d/status" % sp.pid) as f:
            eff = int(re.search(r"^CapEff:\s*(\w+)", f.read(), re.M).group(1), 16)
        assert eff == cap_mask(caps), "CapEff %x: only the unit's capabilities" % eff
        assert "\nsplittop_self_missed_events_total " in body and "\nsplittop_self_vm_table_full_total 0\n" in body, \
            body[-1500:]
    finally:
        rc, _, err = stop(sp, signal.SIGTERM)
    assert rc == 143, (rc, err)     # 128 + SIGTERM: SuccessExitStatus=143
    assert "libbpf" not in err and "permission" not in err.lower(), err
