# SPDX-License-Identifier: GPL-2.0-only
"""Which Debian kernel the bed boots: a SPEC resolved to a package at run
time, downloaded once into the cache, unpacked, and the modules the bed
needs in an order that loads.

SPEC is one of
  stock       Debian 12's linux-image-amd64 (bookworm, bookworm-security)
  X.Y         the newest package of Linux X.Y in any suite below (6.12: the
              line Debian 13 runs; 6.18: the current long-term one)
  backports   trixie-backports' linux-image-amd64 (the newest stable build)
  sid         sid's linux-image-amd64
  linux-image-VERSION-amd64   that exact package

The system's apt sources stay as they are: a private apt configuration in
the cache names Debian's own mirror (the one the system uses) with these
suites.  Old versions vanish from a suite as new ones arrive, so nothing is
pinned: the package is resolved anew each run (the index at most a few hours
old), and one already in the cache boots without the network.

Packaging differences met (../shared/BED.md): trixie's and later packages
keep modules under usr/lib/modules (usrmerge), sid's 7.x keeps vmlinuz there
too; in 7.x linux-image-V-amd64 is a small package that depends on
linux-binary-V-amd64 (the kernel) and linux-modules-V-amd64 (the modules);
modules are compressed (.ko.xz) from 6.12 on; and the module set changes
between versions, so the load order is the closure of what the bed needs,
from each module's own "depends=" (its .modinfo section: the packages ship
no modules.dep, and the host may have no depmod)."""
import functools
import fcntl
import glob
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
import time

SUITES = ["bookworm", "bookworm-security", "trixie", "trixie-security", "trixie-backports", "sid"]
SUITE_SPECS = {"stock": ("bookworm", "bookworm-security"), "backports": ("trixie-backports",),
               "sid": ("sid",)}
# What the bed loads at boot (the host's files over 9p, an overlay root) and
# what it loads for KVM (kvm gets the boot's module parameters).
BASE_TARGETS = ["virtio_pci", "9pnet_virtio", "9p", "overlay"]
KVM_TARGETS = ["kvm", "kvm_amd"]
INDEX_MAX_AGE_S = 6 * 3600
SPEC_HELP = "stock, X.Y (e.g. 6.12), backports, sid, or a package name linux-image-VERSION-amd64"


class KernelError(Exception):
    """The kernel asked for cannot be had; the message says why."""


def _run(what, argv, timeout, **kw):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise KernelError("%s: timed out after %d s: %s" % (what, timeout, " ".join(argv)))
    if p.returncode:
        raise KernelError("%s failed (%d): %s\n%s" % (what, p.returncode, " ".join(argv),
                                                     (p.stdout + p.stderr)[-1500:]))
    return p.stdout


def valid_spec(spec):
    return (spec in SUITE_SPECS or re.fullmatch(r"[0-9]+\.[0-9]+", spec) is not None
            or re.fullmatch(r"linux-image-[0-9][A-Za-z0-9.+~-]*-amd64", spec) is not None)


def mirror():
    """Debian's mirror as the system's own sources name it."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")) + ["/etc/apt/sources.list"]:
        try:
            text = open(path).read()
        except OSError:
            continue
        m = re.search(r"^URIs:\s*(\S*/debian)/?\s*$", text, re.M) or \
            re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S*/debian)/?\s", text, re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


class Apt:
    """apt-get and apt-cache over a private configuration in cache/apt."""

    def __init__(self, cache, arch=None, suites=SUITES):
        """arch: another Debian architecture's packages (arm64), in an
        index of their own; suites: the suites it names."""
        self.dir = os.path.join(cache, "apt-" + arch if arch else "apt")
        for d in ("lists/partial", "archives/partial"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        self.sources = os.path.join(self.dir, "sources.list")
        m, key = mirror(), "/usr/share/keyrings/debian-archive-keyring.gpg"
        lines = []
        for s in suites:
            base = m + "-security" if s.endswith("-security") else m
            lines.append("deb [%ssigned-by=%s] %s %s main\n" % ("arch=%s " % arch if arch else "", key, base, s))
        text = "".join(lines)
        if not os.path.exists(self.sources) or open(self.sources).read() != text:
            with open(self.sources + ".tmp", "w") as f:
                f.write(text)
            os.rename(self.sources + ".tmp", self.sources)
            self._stamp(0)
        self.opts = ["-o", "Dir::Etc::sourcelist=" + self.sources, "-o", "Dir::Etc::sourceparts=/dev/null",
                     "-o", "Dir::State::Lists=" + os.path.join(self.dir, "lists"),
                     "-o", "Dir::Cache=" + self.dir, "-o", "Dir::Cache::archives=" + os.path.join(self.dir, "archives"),
                     "-o", "Debug::NoLocking=1"]
        if arch:
            self.opts += ["-o", "APT::Architecture=" + arch, "-o", "APT::Architectures=" + arch]

    def _stamp(self, t=None):
        path = os.path.join(self.dir, "updated")
        if t is None:
            try:
                return os.path.getmtime(path)
            except OSError:
                return 0
        with open(path, "w"):
            pass
        os.utime(path, (t, t))

    def update(self):
        """Refresh the index when it is older than a few hours.  Offline
        with an index already here: go on with it (what is cached boots)."""
        if time.time() - self._stamp() < INDEX_MAX_AGE_S:
            return
        try:
            _run("apt-get update (private sources %s)" % self.sources,
                 ["apt-get"] + self.opts + ["update", "-qq"], 600)
        except KernelError:
            if not self._stamp():
                raise
            print("bed: could not refresh Debian's index; using the one from %s"
                  % time.ctime(self._stamp()), file=sys.stderr, flush=True)
            return
        self._stamp(time.time())

    def cache(self, *args, timeout=120):
        return _run("apt-cache " + " ".join(args), ["apt-cache"] + self.opts + list(args), timeout)

    def download(self, pkg, version, into):
        _run("downloading %s %s" % (pkg, version), ["apt-get"] + self.opts + ["download", "-qq",
             "%s=%s" % (pkg, version)], 1200, cwd=into)


def _compare(a, b):
    if a == b:
        return 0
    lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0
    return -1 if lt else 1


def newest(versions):
    return max(versions, key=functools.cmp_to_key(_compare))


def madison(apt, names):
    """[(package, version, suite)] for the names, from every suite."""
    out = []
    for line in apt.cache("madison", *names).splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3:
            suite = parts[2].split()[1].split("/")[0] if len(parts[2].split()) > 1 else ""
            out.append((parts[0], parts[1], suite))
    return out


def resolve(apt, spec, arch="amd64", suites=SUITES):
    """SPEC -> (linux-image package, its version), of Debian's flavour arch."""
    if spec in SUITE_SPECS:
        meta_pkg = "linux-image-" + arch
        rows = [r for r in madison(apt, [meta_pkg]) if r[2] in SUITE_SPECS[spec]]
        if not rows:
            raise KernelError("kernel %s: no %s in %s" % (spec, meta_pkg, ", ".join(SUITE_SPECS[spec])))
        meta = newest([v for _, v, _ in rows])
        deps = apt.cache("depends", meta_pkg + "=" + meta)
        m = re.search(r"Depends: (linux-image-[0-9]\S*-%s)\b" % arch, deps)
        if not m:
            raise KernelError("kernel %s: %s %s names no kernel package:\n%s" % (spec, meta_pkg, meta, deps))
        pkg = m.group(1)
    elif re.fullmatch(r"[0-9]+\.[0-9]+", spec):
        # 6.12.118+deb13, 6.1.0-57 (the older naming), not -cloud or -rt.
        pat = re.compile(r"linux-image-%s(\.[0-9]+)*(\+deb[0-9.]+)?(-[0-9]+)?-%s" % (re.escape(spec), arch))
        names = [n for n in apt.cache("pkgnames", "linux-image-" + spec).split() if pat.fullmatch(n)]
        rows = madison(apt, names) if names else []
        if not rows:
            raise KernelError("kernel %s: no Debian package of Linux %s in %s" % (spec, spec, ", ".join(suites)))
        best = newest([v for _, v, _ in rows])
        # One source version builds one package of each flavour.
        pkg = sorted(p for p, v, _ in rows if v == best)[-1]
    else:
        pkg = spec
    rows = [r for r in madison(apt, [pkg]) if r[0] == pkg]
    if not rows:
        raise KernelError("kernel %s: package %s is not in %s (old versions leave the archive; "
                          "`tests/vm/run --kernel X.Y` takes the newest of a line)" % (spec, pkg, ", ".join(suites)))
    return pkg, newest([v for _, v, _ in rows])


class Kernel:
    """A kernel package unpacked in the cache: name, version (uname -r),
    vmlinuz, the modules directory, and the bed's module load orders."""

    def __init__(self, pkg, root):
        self.pkg, self.root = pkg, root
        mods = sorted(glob.glob(os.path.join(root, "lib", "modules", "*")) +
                      glob.glob(os.path.join(root, "usr", "lib", "modules", "*")))
        mods = [m for m in mods if os.path.isdir(os.path.join(m, "kernel"))]
        if not mods:
            raise KernelError("kernel %s: no lib/modules/*/kernel in the package" % pkg)
        self.modules = mods[0]
        self.release = os.path.basename(self.modules)
        cands = glob.glob(os.path.join(root, "boot", "vmlinuz-*")) + [os.path.join(self.modules, "vmlinuz")]
        cands = [c for c in cands if os.path.isfile(c)]
        if not cands:
            raise KernelError("kernel %s: no vmlinuz in boot/ or %s" % (pkg, self.modules))
        self.vmlinuz = cands[0]
        self._files = None

    def module_files(self):
        """module name (dashes as underscores) -> its file."""
        if self._files is None:
            self._files = {}
            for dirpath, _, names in os.walk(os.path.join(self.modules, "kernel")):
                for n in names:
                    m = re.fullmatch(r"(.+)\.ko(\.xz|\.zst|\.gz)?", n)
                    if m:
                        self._files[m.group(1).replace("-", "_")] = os.path.join(dirpath, n)
        return self._files

    def builtin(self):
        """The modules built into the kernel, or None where the package does
        not say (7.x packages ship no modules.builtin)."""
        try:
            with open(os.path.join(self.modules, "modules.builtin")) as f:
                return {os.path.basename(l.strip())[:-3].replace("-", "_") for l in f if l.strip()}
        except OSError:
            return None

    def load_order(self, targets, have=()):
        """The modules to insmod, dependencies first, for targets, leaving
        out what is built in and what `have` already loads."""
        files, builtin, order, seen = self.module_files(), self.builtin(), [], set(have)

        def visit(name, chain):
            name = name.replace("-", "_")
            if name in seen or name in (builtin or ()):
                return
            if name in chain:
                raise KernelError("kernel %s: module dependency loop %s" % (self.pkg, " -> ".join(chain + [name])))
            if name not in files and builtin is None and not chain:
                # Asked for, not a module, and no list of what is built in:
                # built in (a module's depends= names only modules).  If it
                # is not, the boot stops at the mount that needs it.
                seen.add(name)
                return
            if name not in files:
                raise KernelError("kernel %s: module %s (needed by %s) is not in the package"
                                  % (self.pkg, name, " <- ".join(reversed(chain)) or "the bed"))
            for dep in modinfo(files[name]).get("depends", "").split(","):
                if dep:
                    visit(dep, chain + [name])
            seen.add(name)
            order.append(name)
        for t in targets:
            visit(t, [])
        return order


def module_bytes(path):
    """A module file's ELF, decompressed."""
    if path.endswith(".xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
    if path.endswith(".gz"):
        import gzip
        with gzip.open(path) as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def modinfo(path):
    """The key=value strings of a module's .modinfo section (ELF64 LE)."""
    elf = module_bytes(path)
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise KernelError("%s: not a 64-bit little-endian ELF module" % path)
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def section(i):
        name, _, _, _, off, size = struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
        return name, off, size
    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        if elf[stroff + name:elf.index(b"\0", stroff + name)] == b".modinfo":
            info = {}
            for item in elf[off:off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode(errors="replace").split("=", 1)
                    info.setdefault(k, v)
            return info
    return {}


def cache_dir():
    """Outside the clone, kept between runs: downloads are slow."""
    d = os.environ.get("SPLITTOP_KERNEL_CACHE", "/var/cache/splittop-test-kernel")
    os.makedirs(d, exist_ok=True)
    return d


def fetch(spec, cache=None, arch="amd64", suites=SUITES):
    """The Kernel for SPEC, downloaded and unpacked once into the cache
    (arch: Debian's flavour, arm64 for tests/vm/arm64.py, from suites)."""
    if arch == "amd64" and not valid_spec(spec):
        raise KernelError("kernel %r: not a kernel spec (%s)" % (spec, SPEC_HELP))
    cache = cache or cache_dir()
    # One fetch at a time: the test runner boots two at once, and on a cold
    # cache two jobs of one kernel (its bed boot and its QEMU tier) downloaded
    # the same .deb together; one unpacked the other's half-written file
    # ("no lib/modules/*/kernel in the package", CI of 2026-12-02).
    with open(os.path.join(cache, "fetch.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _fetch_locked(spec, cache, arch, suites)


def _fetch_locked(spec, cache, arch, suites):
    apt = Apt(cache) if arch == "amd64" else Apt(cache, arch=arch, suites=suites)
    apt.update()
    pkg, version = resolve(apt, spec, arch, suites)
    extract = os.path.join(cache, "%s_%s" % (pkg, version.replace(":", "%3a")))
    if os.path.isdir(extract):
        return Kernel(pkg, extract)
    # In 7.x the image package only depends on the kernel and its modules.
    want = [pkg] + [d for d in re.findall(r"Depends: (linux-(?:binary|modules)-[0-9]\S*-%s)\b" % arch,
                                          apt.cache("depends", "%s=%s" % (pkg, version)))]
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    tmp = "%s.%d.tmp" % (extract, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for p in want:
            found = glob.glob(os.path.join(debs, "%s_*.deb" % p))
            if not [f for f in found if _deb_version(f) == version]:
                print("bed: downloading %s %s (once, into %s)" % (p, version, debs), file=sys.stderr, flush=True)
                apt.download(p, version, debs)
                found = glob.glob(os.path.join(debs, "%s_*.deb" % p))
            deb = [f for f in found if _deb_version(f) == version]
            if not deb:
                raise KernelError("kernel %s: apt-get download %s=%s left no .deb" % (spec, p, version))
            _run("unpacking " + deb[0], ["dpkg-deb", "-x", deb[0], tmp], 600)
        Kernel(pkg, tmp)   # refuse a tree the bed cannot boot before it is cached
        try:
            os.rename(tmp, extract)
        except OSError:   # another run unpacked it first
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Kernel(pkg, extract)


def _deb_version(path):
    out = subprocess.run(["dpkg-deb", "-f", path, "Version"], capture_output=True, text=True)
    return out.stdout.strip()
