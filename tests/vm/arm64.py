#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The arm64 bed: Debian's own arm64 kernel under QEMU's emulation on this
x86 host, with a working /dev/kvm (VHE, GICv3) inside (../shared/BED.md).

Unlike the x86 bed (bed.py: the host's own files over 9p), nothing of the
host runs inside: an initramfs holds arm64 busybox and the 9p modules; the
job (a shell script) and the static arm64 binaries it runs (make ARCH=arm64
STATIC=1) come in over a writable 9p share, where the job leaves its
results.  Kernels and busybox come from Debian's arm64 archive through a
private apt configuration in the kernel cache (kernels.py).

usage: arm64.py [--kernel SPEC] [--timeout S] [--out DIR] [--tty] BIN-DIR SCRIPT [ARG...]
  SPEC: 6.12 (trixie's), sid, or X.Y (the newest of that line); BIN-DIR is
  copied to /share/bin; SCRIPT runs as `sh SCRIPT /share`, its output
  printed, its results left in /share/out (copied to DIR with --out);
  --tty: on this terminal (the serial console), for the live view.
"""
import glob
import gzip
import io
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernels  # noqa: E402

SUITES = ["trixie", "sid"]
DEFAULT_KERNEL = "6.12"
# The 9p share: virtio-pci is built into Debian's arm64 kernels.
TARGETS = ["9pnet_virtio", "9p"]
INIT_VERSION = "2"

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs tmp /tmp
for m in $(cat /modules/order); do
	insmod /modules/$m.ko || echo "@@FAIL insmod $m"
done
mkdir -p /share
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 share /share || echo "@@FAIL mount share"
export PATH=/share/bin:/bin
cd /share
if [ -e /share/tty ]; then
	# The live view on this console (make demo ARCH=arm64): a controlling
	# terminal of its own, the host terminal's type and size.
	setsid cttyhack sh /share/job.sh /share
else
	sh /share/job.sh /share > /share/stdout 2> /share/stderr
fi
echo $? > /share/rc
sync
echo o > /proc/sysrq-trigger
sleep 10
"""


# Each kernel spec booted in this process, with its release (tests/run.py's
# closing "kernels:" line).
booted_kernels = {}


class Arm64Error(Exception):
    """The arm64 bed could not run the job; the message says why."""


class Result:
    def __init__(self, rc, stdout, stderr, files, console, elapsed_s, release):
        self.returncode, self.stdout, self.stderr, self.files = rc, stdout, stderr, files
        self.console, self.elapsed_s, self.release = console, elapsed_s, release


def _busybox(apt, cache):
    """arm64 busybox-static, downloaded once into the cache."""
    path = os.path.join(cache, "arm64-busybox")
    if os.path.exists(path):
        return path
    tmp = tempfile.mkdtemp(dir=cache)
    try:
        kernels._run("downloading arm64 busybox-static", ["apt-get"] + apt.opts + ["download", "-qq",
                     "busybox-static"], 600, cwd=tmp)
        deb = glob.glob(os.path.join(tmp, "busybox-static_*.deb"))
        if not deb:
            raise Arm64Error("apt-get download busybox-static (arm64) left no .deb")
        kernels._run("unpacking busybox", ["dpkg-deb", "-x", deb[0], os.path.join(tmp, "root")], 120)
        found = [p for p in (os.path.join(tmp, "root", "bin", "busybox"),
                             os.path.join(tmp, "root", "usr", "bin", "busybox")) if os.path.exists(p)]
        if not found:
            raise Arm64Error("busybox-static (arm64) has no bin/busybox")
        shutil.copy(found[0], path + ".tmp")
        os.rename(path + ".tmp", path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _cpio(entries):
    """A newc cpio archive, gzipped, of entries: (name, mode, data or None for a dir)."""
    out = io.BytesIO()
    ino = 1
    for name, mode, data in entries + [("TRAILER!!!", 0, b"")]:
        data = data or b""
        nm = name.encode() + b"\0"
        hdr = "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X" % (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nm), 0)
        out.write(hdr.encode() + nm)
        out.write(b"\0" * ((4 - (110 + len(nm)) % 4) % 4))
        out.write(data)
        out.write(b"\0" * ((4 - len(data) % 4) % 4))
        ino += 1
    return gzip.compress(out.getvalue(), 6)


def initramfs(k, busybox, cache):
    """The kernel's initramfs (busybox, the 9p modules, /init), built once."""
    path = os.path.join(cache, "arm64-bed-%s-%s.cpio.gz" % (k.release, INIT_VERSION))
    if os.path.exists(path):
        return path
    order = k.load_order(TARGETS)
    files = k.module_files()
    entries = [("bin", 0o40755, None), ("proc", 0o40755, None), ("sys", 0o40755, None), ("dev", 0o40755, None),
               ("tmp", 0o40755, None), ("modules", 0o40755, None),
               ("bin/busybox", 0o100755, open(busybox, "rb").read()), ("init", 0o100755, INIT.encode()),
               ("modules/order", 0o100644, ("\n".join(order) + "\n").encode())]
    for m in order:
        entries.append(("modules/%s.ko" % m, 0o100644, kernels.module_bytes(files[m])))
    with open(path + ".tmp", "wb") as f:
        f.write(_cpio(entries))
    os.rename(path + ".tmp", path)
    return path


def prepare(spec=DEFAULT_KERNEL):
    """(Kernel, initramfs path) for SPEC, fetched once."""
    cache = kernels.cache_dir()
    try:
        k = kernels.fetch(spec, arch="arm64", suites=SUITES)
        apt = kernels.Apt(cache, arch="arm64", suites=SUITES)
        bb = _busybox(apt, cache)
    except kernels.KernelError as e:
        raise Arm64Error(str(e))
    return k, initramfs(k, bb, cache)


def _terminal(share):
    """The job on this terminal: its type (with the host's terminfo entry:
    the initramfs has none) and size."""
    term = os.environ.get("TERM", "vt100")
    for base in ("/usr/share/terminfo", "/lib/terminfo", "/etc/terminfo"):
        entry = os.path.join(base, term[0], term)
        if os.path.exists(entry):
            os.makedirs(os.path.join(share, "terminfo", term[0]), exist_ok=True)
            shutil.copy(entry, os.path.join(share, "terminfo", term[0], term))
            break
    cols, rows = shutil.get_terminal_size()
    open(os.path.join(share, "tty"), "w").close()
    return "export TERM=%s TERMINFO=/share/terminfo\nstty rows %d cols %d\n" % (shlex.quote(term), rows, cols)


def run(bindir, script, args=(), spec=DEFAULT_KERNEL, timeout=900, mem="2G", smp=2, tty=False):
    """Boot the arm64 bed on SPEC, run script (with the binaries of bindir
    in /share/bin) and return its Result; tty: on this terminal (its
    output not kept)."""
    k, rd = prepare(spec)
    share = tempfile.mkdtemp(prefix="splittop-arm64-")
    try:
        os.makedirs(os.path.join(share, "out"))
        os.makedirs(os.path.join(share, "bin"))
        for n in os.listdir(bindir):	# its programs, not the build's folders
            if os.path.isfile(os.path.join(bindir, n)) and os.access(os.path.join(bindir, n), os.X_OK):
                shutil.copy(os.path.join(bindir, n), os.path.join(share, "bin", n))
        with open(os.path.join(share, "job.sh"), "w") as f:
            if tty:
                f.write(_terminal(share))
            f.write("exec sh /share/script.sh /share %s\n" % " ".join(shlex.quote(a) for a in args))
        shutil.copy(script, os.path.join(share, "script.sh"))
        console = os.path.join(share, "console")
        argv = ["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3",
                "-cpu", "max,pauth-impdef=on", "-smp", str(smp), "-m", mem, "-nographic", "-no-reboot",
                "-kernel", k.vmlinuz, "-initrd", rd,
                "-append", "console=ttyAMA0 panic=-1 quiet loglevel=3 transparent_hugepage=madvise",
                "-virtfs", "local,path=%s,mount_tag=share,security_model=none" % share,
                "-monitor", "none", "-display", "none"]
        t0 = time.monotonic()
        try:
            if tty:	# Ctrl-C goes to the guest (the job), not to QEMU
                p = subprocess.run(argv + ["-serial", "stdio"], timeout=timeout)
                p.stderr = b""
            else:
                p = subprocess.run(argv + ["-serial", "file:" + console], stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Arm64Error("arm64 bed (%s): timed out after %d s; console tail:\n%s"
                             % (k.release, timeout, _tail(console)))
        elapsed = time.monotonic() - t0
        booted_kernels[spec] = k.release

        def read(name):
            try:
                with open(os.path.join(share, name), errors="replace") as f:
                    return f.read()
            except OSError:
                return ""
        rc = read("rc").strip()
        if not rc.lstrip("-").isdigit():
            raise Arm64Error("arm64 bed (%s): the job did not finish (QEMU exit %d: %s); console tail:\n%s"
                             % (k.release, p.returncode, p.stderr.decode(errors="replace")[-300:], _tail(console)))
        files = {n: read(os.path.join("out", n)) for n in sorted(os.listdir(os.path.join(share, "out")))}
        return Result(int(rc), read("stdout"), read("stderr"), files, read("console"), elapsed, k.release)
    finally:
        shutil.rmtree(share, ignore_errors=True)


def _tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "\n".join(f.read().splitlines()[-n:])
    except OSError:
        return "(no console)"


def main():
    args, spec, timeout, out, tty = sys.argv[1:], DEFAULT_KERNEL, 900, None, False
    while args and args[0].startswith("--"):
        if args[0] == "--kernel" and len(args) > 1:
            spec, args = args[1], args[2:]
        elif args[0] == "--out" and len(args) > 1:
            out, args = args[1], args[2:]
        elif args[0] == "--tty":
            tty, args = True, args[1:]
        elif args[0] == "--timeout" and len(args) > 1:
            timeout, args = int(args[1]), args[2:]
        else:
            sys.exit(__doc__)
    if len(args) < 2:
        sys.exit(__doc__)
    try:
        r = run(args[0], args[1], args[2:], spec=spec, timeout=timeout, tty=tty)
    except Arm64Error as e:
        sys.exit(str(e))
    if out:
        os.makedirs(out, exist_ok=True)
        for name, text in r.files.items():
            with open(os.path.join(out, name), "w") as f:
                f.write(text)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    print("arm64 bed: kernel %s, exit %d, %.0f s; files: %s" % (r.release, r.returncode, r.elapsed_s,
                                                               " ".join(r.files) or "none"), file=sys.stderr)
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
