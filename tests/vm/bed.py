# SPDX-License-Identifier: GPL-2.0-only
"""The bed: a real KVM on any machine.

Boots the stock Debian kernel (TDP MMU, eager page splitting, kprobes and
fentry; KVM as modules) under qemu-system-x86_64 software emulation, on the
host's own root filesystem: read-only 9p under a tmpfs overlay, so that every
host program (python3, tmux, bpftool, the normal dynamic builds of splittop
and dirtyvm) runs there unchanged and nothing it writes reaches the host's
disk.  One command runs inside, in the same working directory; its stdout,
stderr and exit status come back through a second, writable 9p export (a
temporary directory of the host's), streamed while it runs.

Used by tests/run.py (the e2e suite in the bed), tests/demo.sh (make demo
without /dev/kvm), and by hand: tests/vm/run -- COMMAND...

What worked, and the pitfalls (multidevs=remap, a fresh devpts), are in
../shared/BED.md; the steps below follow it."""
import glob
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import kernels  # noqa: E402  (tests/vm/kernels.py: which Debian kernel, and its modules)

DEFAULT_KERNEL = "stock"
PKGS = ["qemu-system-x86", "busybox-static", "cpio"]
INIT = os.path.join(HERE, "init.sh")
EXIT_BED = 125   # the bed itself failed (boot, watchdog, timeout): not the command's status


class BedError(Exception):
    """The bed could not run the command; the message says which step, with
    the console's tail."""


def step(name, argv, timeout, **kw):
    """Run one setup step; on failure say which, with its output's tail."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise BedError("step '%s' timed out after %ss: %s" % (name, timeout, " ".join(argv)))
    if p.returncode:
        raise BedError("step '%s' failed (%d): %s\n%s" % (name, p.returncode, " ".join(argv),
                                                       (p.stdout + p.stderr)[-2000:]))
    return p.stdout


def installed(pkg):
    return "ok installed" in subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                                            capture_output=True, text=True).stdout


def ensure_packages(pkgs=PKGS):
    missing = [p for p in pkgs if not installed(p)]
    if missing:
        print("bed: installing %s" % " ".join(missing), file=sys.stderr, flush=True)
        step("apt-get update", ["apt-get", "update", "-qq"], 600)
        step("install " + " ".join(missing), ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
             + missing, 900, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def kernel(spec=DEFAULT_KERNEL):
    """The kernels.Kernel that SPEC names, downloaded and unpacked once."""
    try:
        return kernels.fetch(spec)
    except kernels.KernelError as e:
        raise BedError("bed: %s" % e)


def initramfs(k):
    """A small initramfs (busybox, the modules in load order, init.sh),
    built once per kernel package and init.sh version into the cache.
    /modules/base.list and kvm.list name the modules to insmod, in order."""
    try:
        base = k.load_order(kernels.BASE_TARGETS)
        kvm = k.load_order(kernels.KVM_TARGETS, have=base)
    except kernels.KernelError as e:
        raise BedError("bed: step 'initramfs': %s" % e)
    with open(INIT, "rb") as f:
        tag = hashlib.sha256(f.read() + repr((base, kvm)).encode()).hexdigest()[:12]
    cache = kernels.cache_dir()
    stem = os.path.basename(k.root)
    path = os.path.join(cache, "bed-%s-%s.cpio.gz" % (stem, tag))
    if os.path.exists(path):
        return path
    for old in glob.glob(os.path.join(cache, "bed-%s-*.cpio.gz" % stem)):
        os.unlink(old)
    with tempfile.TemporaryDirectory(prefix="splittop-bed-initramfs.") as root:
        for d in ("bin", "proc", "sys", "dev", "modules", "host", "bed", "ovl", "newroot"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
        os.symlink("busybox", os.path.join(root, "bin", "sh"))
        shutil.copy(INIT, os.path.join(root, "init"))
        os.chmod(os.path.join(root, "init"), 0o755)
        files = k.module_files()
        for name in base + kvm:
            # busybox insmod takes plain ELF only.
            with open(os.path.join(root, "modules", name + ".ko"), "wb") as f:
                f.write(kernels.module_bytes(files[name]))
        for name, order in (("base.list", base), ("kvm.list", kvm)):
            with open(os.path.join(root, "modules", name), "w") as f:
                f.write("".join(m + "\n" for m in order))
        tmp = "%s.%d.tmp" % (path, os.getpid())   # two runs at once build their own
        step("initramfs", ["sh", "-c", "find . | cpio -o -H newc --quiet | gzip -1 > '%s'" % tmp], 300,
             cwd=root)
        os.rename(tmp, path)
    return path


class Result:
    """returncode, stdout, stderr of the command; files: what it wrote
    under /run/bed/out (name -> text); the console; elapsed_s; boots;
    kernel (kernels.Kernel: its pkg and release)."""
    def __init__(self, rc, stdout, stderr, files, console, elapsed_s, boots, kernel):
        self.returncode, self.stdout, self.stderr, self.files = rc, stdout, stderr, files
        self.console, self.elapsed_s, self.boots, self.kernel = console, elapsed_s, boots, kernel


# Held while a whole line is written to the terminal: boots that run at
# once (tests/run.py) and the runner's own lines interleave by line.
print_lock = threading.Lock()
# The kernels booted so far, SPEC -> release (uname -r).
booted_kernels = {}
# Every QEMU running now, for kill_all().
_running = set()


def kill_all():
    """Kill every boot's QEMU (a runner that is told to stop): each boot
    then fails at once and cleans up after itself."""
    for p in list(_running):
        p.kill()


def _follow(path, sink, stop):
    """Copy what the guest appends to path onto sink until stop is set,
    whole lines at a time: boots that run at once interleave by line."""
    pos, partial = 0, b""
    while True:
        done = stop.is_set()
        try:
            with open(path, "rb") as f:
                f.seek(pos)
                data = f.read()
        except FileNotFoundError:
            data = b""
        pos += len(data)
        partial += data
        cut = len(partial) if done else partial.rfind(b"\n") + 1
        if cut:
            with print_lock:
                sink.write(partial[:cut])
                sink.flush()
            partial = partial[cut:]
        if done:
            return
        stop.wait(0.2)


def _write_job(share, argv, cwd, env, kvm_params, load_kvm, timeout, tty):
    """The job init.sh sources and the command it runs, in the share."""
    env = dict(env or {})
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env.setdefault("HOME", "/root")
    env.setdefault("LANG", os.environ.get("LANG", "C.UTF-8"))
    env.setdefault("SPLITTOP_BED", "tdp")
    if tty:
        try:
            cols, rows = os.get_terminal_size(sys.stdout.fileno())
        except OSError:
            rows, cols = 24, 80
        env.setdefault("TERM", os.environ.get("TERM", "xterm"))
    with open(os.path.join(share, "job"), "w") as f:
        # Sourced by init.sh (busybox sh) before it changes root.
        f.write("BED_KVM_PARAMS=%s\n" % shlex.quote(" ".join(kvm_params)))
        f.write("BED_LOAD_KVM=%s\n" % ("1" if load_kvm else ""))
        f.write("BED_WATCHDOG=%d\n" % max(timeout - 20, 30))
        f.write("BED_TTY=%s\n" % shlex.quote("%d %d" % (cols, rows) if tty else ""))
    with open(os.path.join(share, "cmd.sh"), "w") as f:
        # Run by the host's own sh inside the new root.
        f.write("cd %s || exit 125\n" % shlex.quote(cwd))
        for name, v in sorted(env.items()):
            f.write("export %s=%s\n" % (name, shlex.quote(v)))
        f.write("exec %s\n" % " ".join(shlex.quote(a) for a in argv))


def _qemu_argv(k, rd, share, smp, threads, mem, append):
    return ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=" + threads, "-cpu", "max",
            "-m", mem, "-smp", str(smp), "-kernel", k.vmlinuz, "-initrd", rd,
            "-append", " ".join(["console=ttyS0 panic=-1 quiet loglevel=3 transparent_hugepage=madvise"]
                                + list(append)),
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
            "-virtfs", "local,path=%s,mount_tag=bed,security_model=none,multidevs=remap" % share,
            "-nographic", "-no-reboot", "-monitor", "none", "-nic", "none"]


def _run_qemu(qemu, share, timeout, tty, echo):
    """QEMU until it ends or timeout (killed then); the command's output
    followed meanwhile with echo.  (process, timed out, seconds)."""
    console = os.path.join(share, "console")
    t0 = time.monotonic()
    if tty:
        p = subprocess.Popen(qemu + ["-serial", "stdio"])
    else:
        p = subprocess.Popen(qemu + ["-serial", "file:" + console], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _running.add(p)
    stop = threading.Event()
    followers = []
    if echo and not tty:
        for name, sink in (("stdout", sys.stdout.buffer), ("stderr", sys.stderr.buffer)):
            t = threading.Thread(target=_follow, args=(os.path.join(share, name), sink, stop), daemon=True)
            t.start()
            followers.append(t)
    timed_out = False
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        p.kill()
        p.wait()
    except BaseException:
        p.kill()
        p.wait()
        raise
    finally:
        _running.discard(p)
        stop.set()
        for t in followers:
            t.join()
    return p, timed_out, time.monotonic() - t0


def _result(share, p, timed_out, elapsed, timeout, k):
    """The command's Result, or BedError with the console's story."""
    def read(name):
        try:
            with open(os.path.join(share, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""
    text = read("console")
    rc = read("rc").strip()
    if not rc.lstrip("-").isdigit():
        tail = "\n".join(text.splitlines()[-40:])
        why = ("timed out after %d s" % timeout if timed_out else
               "in-guest watchdog" if "@@WATCHDOG" in text else
               "QEMU exited %s: %s" % (p.returncode, (p.stderr.read().decode(errors="replace")
                                                      if p.stderr else "")[-500:]))
        raise BedError("bed: the command did not finish (%s, %.0f s); last steps: %s; console tail:\n%s"
                       % (why, elapsed, ", ".join(re.findall(r"@@STEP (.*)", text)[-3:]) or "none", tail))
    files = {n: read(os.path.join("out", n)) for n in sorted(os.listdir(os.path.join(share, "out")))}
    return Result(int(rc), read("stdout"), read("stderr"), files, text, elapsed, 1, k)


def boot_once(argv, cwd, timeout, smp, threads, mem, kvm_params, load_kvm, env, tty, echo, append, kernel_spec):
    """One boot: returns Result, or raises BedError when the bed (not the
    command) failed."""
    ensure_packages()
    k = kernel(kernel_spec)
    booted_kernels[kernel_spec] = k.release
    rd = initramfs(k)
    share = tempfile.mkdtemp(prefix="splittop-bed.")
    os.mkdir(os.path.join(share, "out"))
    try:
        _write_job(share, argv, cwd, env, kvm_params, load_kvm, timeout, tty)
        p, timed_out, elapsed = _run_qemu(_qemu_argv(k, rd, share, smp, threads, mem, append), share, timeout,
                                          tty, echo)
        return _result(share, p, timed_out, elapsed, timeout, k)
    finally:
        shutil.rmtree(share, ignore_errors=True)


def run(argv, cwd=None, timeout=1800, smp=2, threads="single", mem="4G", kvm_params=(), load_kvm=True,
        env=None, tty=False, echo=False, retries=None, append=(), kernel=DEFAULT_KERNEL):
    """Run argv inside the bed; return Result.  kernel: a kernels.py SPEC
    (stock, 6.12, backports, sid, a package name).  load_kvm=False leaves
    KVM unloaded: the command finds its modules in /run/bed-modules, and
    their load order in /run/bed-modules/kvm.list.  append: more kernel
    parameters (hugepagesz=1G hugepages=2: 1 GiB pages cannot be had
    later).  A boot that hangs (multi-threaded TCG does) is retried once."""
    if os.geteuid():
        raise BedError("bed: needs root (QEMU's 9p export of / and KVM inside)")
    cwd = os.path.abspath(cwd or os.getcwd())
    if retries is None:
        retries = 1 if threads == "multi" else 0
    for attempt in range(retries + 1):
        try:
            r = boot_once(argv, cwd, timeout, smp, threads, mem, list(kvm_params), load_kvm, env, tty, echo,
                          append, kernel)
            r.boots = attempt + 1
            return r
        except BedError as e:
            if attempt == retries:
                raise
            print("bed: boot %d failed, retrying once: %s" % (attempt + 1, str(e).splitlines()[0]),
                  file=sys.stderr, flush=True)


USAGE = """usage: tests/vm/run [OPTIONS] -- COMMAND [ARG...]

Run COMMAND as root inside a stock Debian kernel (TDP MMU, eager page
splitting, kprobes, fentry; a real KVM) booted under QEMU software emulation
on this host's own files, in the current directory.  Its stdout and stderr
are streamed back and its exit status is returned; 125 means the bed itself
failed (the console's tail says why).  Writes inside go to a tmpfs overlay:
nothing reaches this host's disk.

  --kernel SPEC    which Debian kernel: stock (Debian 12's, the default), X.Y
                   (the newest package of that line, e.g. 6.12 or 6.18),
                   backports (trixie-backports' newest), sid, or a package
                   name linux-image-VERSION-amd64; resolved at run time,
                   downloaded once into /var/cache/splittop-test-kernel
                   (SPLITTOP_KERNEL_CACHE)
  --smp N          emulated CPUs (default 2)
  --threads MODE   single (default; no hangs seen) or multi (vCPUs really run
                   at once, so mmu_lock contends; retried once if it hangs)
  --mem SIZE       guest memory (default 4G)
  --kvm PARAM=VAL  a kvm module parameter, e.g. --kvm eager_page_split=0
  --append PARAM   a kernel parameter, e.g. --append hugepagesz=1G --append hugepages=2
  --no-kvm         leave KVM unloaded (its modules are in /run/bed-modules)
  --timeout SECS   wall-clock limit, an in-guest watchdog 20 s before it
                   (default 1800)
  --tty            COMMAND on this terminal (at its size), e.g. a live view
  -h, --help       this text
"""


def main(args):
    opts = {"smp": 2, "threads": "single", "mem": "4G", "kvm_params": [], "timeout": 1800, "tty": False,
            "load_kvm": True, "append": [], "kernel": DEFAULT_KERNEL}
    i = 0
    try:
        while i < len(args) and args[i] != "--":
            a = args[i]
            if a in ("-h", "--help"):
                print(USAGE, end="")
                return 0
            if a == "--tty":
                opts["tty"] = True
            elif a == "--no-kvm":
                opts["load_kvm"] = False
            elif a in ("--smp", "--threads", "--mem", "--kvm", "--timeout", "--append", "--kernel"):
                if i + 1 >= len(args):
                    raise ValueError("%s needs a value" % a)
                v = args[i + 1]
                i += 1
                if a == "--kernel":
                    if not kernels.valid_spec(v):
                        raise ValueError("--kernel: %s" % kernels.SPEC_HELP)
                    opts["kernel"] = v
                elif a == "--smp":
                    opts["smp"] = int(v)
                    if not 1 <= opts["smp"] <= 64:
                        raise ValueError("--smp: 1 to 64")
                elif a == "--threads":
                    if v not in ("single", "multi"):
                        raise ValueError("--threads: single or multi")
                    opts["threads"] = v
                elif a == "--mem":
                    if not re.fullmatch(r"[0-9]+[MG]", v):
                        raise ValueError("--mem: a size such as 4G or 2048M")
                    opts["mem"] = v
                elif a == "--append":
                    if not re.fullmatch(r"[a-z_]+=[A-Za-z0-9,]+", v):
                        raise ValueError("--append: PARAM=VALUE")
                    opts["append"].append(v)
                elif a == "--kvm":
                    if not re.fullmatch(r"[a-z_]+=[A-Za-z0-9]+", v):
                        raise ValueError("--kvm: PARAM=VALUE")
                    opts["kvm_params"].append(v)
                else:
                    opts["timeout"] = int(v)
                    if opts["timeout"] < 60:
                        raise ValueError("--timeout: at least 60")
            else:
                raise ValueError("unknown option %s" % a)
            i += 1
        cmd = args[i + 1:]
        if not cmd:
            raise ValueError("needs a command after --")
    except ValueError as e:
        print("tests/vm/run: %s (--help)" % e, file=sys.stderr)
        return 2
    # SIGTERM and SIGHUP unwind like Ctrl-C: QEMU is killed, the temporary
    # directory removed.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda n, f: sys.exit(128 + n))
    try:
        r = run(cmd, echo=not opts["tty"], **opts)
    except BedError as e:
        print(e, file=sys.stderr)
        return EXIT_BED
    except KeyboardInterrupt:
        return 130
    return r.returncode
