#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench-auth: what a flood of wrong passwords does to the scrapes of a
scraper that knows its own, over --listen with a --web-config (TLS, one
bcrypt user at cost 10, as htpasswd -B makes).

For each splittop given (default: $OUT/splittop; --compare BIN adds another,
e.g. one built with EXTRA_CFLAGS=-DAUTH_BCRYPT_RATE=1000000, which has no
bcrypt budget), first without a flood and then with one: 8 keep-alive
connections from 127.0.0.2 (the per-address limit) send wrong passwords as
fast as the answers come, while a scraper on 127.0.0.1 with the right
password (checked once, then known) scrapes every 0.2 s for --seconds.
Prints each scrape's latency (median, 90th percentile, max) and how many
wrong passwords were answered and how.  A figure, not a test: latency on a
shared 2-core machine varies."""
import argparse
import base64
import collections
import http.client
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings


def bcrypt(password):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))


def certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for args in (["req", "-x509", *ec, "-days", "1", "-subj", "/CN=ca", "-keyout", "ca.key", "-out", "ca.crt"],
                 ["req", *ec, "-subj", "/CN=server", "-keyout", "server.key", "-out", "server.csr"],
                 ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                  "-days", "1", "-extfile", "ext", "-out", "server.crt"]):
        with open(os.path.join(d, "ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        subprocess.run(["openssl"] + args, cwd=d, check=True, capture_output=True)


def auth(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(binary, d, ctx, flood, seconds):
    port = free_port()
    sp = subprocess.Popen([binary, "--listen", str(port), "--web-config", os.path.join(d, "web.yml")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    answers = collections.Counter()

    def flooder():
        while not stop.is_set():
            try:
                raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.2", 0))
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
                c.sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
                while not stop.is_set():
                    c.request("GET", "/metrics", headers=auth("prometheus", "guess%d" % sum(answers.values())))
                    r = c.getresponse()
                    r.read()
                    answers[r.status] += 1
            except OSError:
                time.sleep(0.01)

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
                c.request("GET", "/metrics", headers=auth("prometheus", "right"))
                if c.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        threads = [threading.Thread(target=flooder) for _ in range(8 if flood else 0)]
        for t in threads:
            t.start()
        lat = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.monotonic()
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
            c.request("GET", "/metrics", headers=auth("prometheus", "right"))
            r = c.getresponse()
            r.read()
            c.close()
            assert r.status == 200, r.status
            lat.append((time.monotonic() - t0) * 1e3)
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
    finally:
        sp.terminate()
        sp.wait()
    lat.sort()
    return lat, answers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--compare", action="append", default=[], help="another splittop binary")
    a = ap.parse_args()
    binaries = [os.path.join(os.environ.get("OUT", "build"), "splittop")] + a.compare
    with tempfile.TemporaryDirectory(prefix="splittop-auth.") as d:
        certs(d)
        with open(os.path.join(d, "web.yml"), "w") as f:
            f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                    "basic_auth_users:\n  prometheus: %s\n" % bcrypt("right"))
        ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.crt"))
        print("| splittop | flood | scrapes | median ms | p90 ms | max ms | wrong passwords answered |")
        print("|---|---|---|---|---|---|---|")
        for b in binaries:
            for flood in (False, True):
                lat, answers = one_run(b, d, ctx, flood, a.seconds)
                print("| %s | %s | %d | %.1f | %.1f | %.1f | %s |" % (
                    b, "8 connections" if flood else "none", len(lat), lat[len(lat) // 2],
                    lat[int(len(lat) * 0.9)], lat[-1],
                    ", ".join("%d x %d" % (n, s) for s, n in sorted(answers.items())) or "-"), flush=True)


if __name__ == "__main__":
    sys.exit(main())
