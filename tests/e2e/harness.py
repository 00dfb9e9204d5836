# SPDX-License-Identifier: GPL-2.0-only
"""Helpers shared by the end-to-end tests: what the machine offers, running
dirtyvm and splittop, and killing whatever a failed test left running.

The same tests run on the host (when it has /dev/kvm) and in the bed
(tests/vm: the stock kernel under emulation, SPLITTOP_BED set): what they
expect follows the kernel they run on (kernel()), and memory sizes shrink
in the bed (mem()), where emulation is slow; the arithmetic stays exact."""
import fcntl
import functools
import json
import os
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, os.environ.get("OUT", "build"))
DIRTYVM = os.path.join(OUT, "dirtyvm")
SPLITTOP = os.path.join(OUT, "splittop")

_procs = []
# Inside the bed (tests/vm/bed.py), the MMU of the boot (tests/run.py's
# BOOTS): "tdp", "tdp-lazy", "legacy-tdp" or "tdp-1g"; empty on the host.
BED = os.environ.get("SPLITTOP_BED", "")


class Skip(Exception):
    """Raised by a test whose requirement is absent; the reason is printed."""


def host_has_kvm():
    """A working /dev/kvm: it opens and answers KVM_GET_API_VERSION (12).
    A PVM guest's kernel may have the node and no KVM behind it."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return fcntl.ioctl(fd, 0xAE00) == 12   # KVM_GET_API_VERSION
    except OSError:
        return False
    finally:
        os.close(fd)


def need_kvm():
    if os.geteuid() != 0:
        raise Skip("needs root")
    if not host_has_kvm():
        raise Skip("needs /dev/kvm")


# Which of the bed's boots run a VM test (tests/run.py, BOOTS): "core" tests
# run in every boot of every kernel of the matrix (what they check follows
# the kernel: its MMU, eager splitting on and off, its verifier); "mmu" tests
# also depend on the MMU, and run in every MMU boot of the kernels that run
# the whole suite; the rest ("all": the view, options, hardening, the fleet)
# in one boot of each of those kernels.
SCOPES = ("core", "mmu", "all")


def vm_test(huge_1g=False, scope="all"):
    """Marks a test that runs a real VM: tests/run.py runs it on the host
    (when it has /dev/kvm) and in the bed's boots that its scope (SCOPES)
    asks for.  huge_1g: a test of 1 GiB pages, which runs on the host and in
    the bed's boots that have them (reserved on the kernel command line)
    instead."""
    assert scope in SCOPES, scope

    def mark(fn):
        @functools.wraps(fn)
        def test():
            need_kvm()
            return fn()
        test.vm_test = True
        test.huge_1g = huge_1g
        test.scope = scope
        return test
    return mark


def mem(mib):
    """--mem for a test written with mib MiB per vCPU: the same on the
    host, an eighth in the bed (at least one 2 MiB region)."""
    if BED:
        mib = max(2, mib // 8 // 2 * 2)
    return "%dM" % mib


_kernel = None


def kernel():
    """What the running kernel's KVM is: {"mmu": "tdp"|"legacy-tdp"|"shadow",
    "eager": bool, "sources": {metric: source or None}} from KVM's
    parameters and splittop --list-sources (what splittop will use)."""
    global _kernel
    if _kernel is None:
        def param(name):
            try:
                with open("/sys/module/kvm/parameters/" + name) as f:
                    return f.read().strip()
            except OSError:
                return ""
        p = run([SPLITTOP, "--list-sources"], timeout=60)
        assert p.returncode == 0, "splittop --list-sources: %s" % p.stderr
        sources = {}
        for line in p.stdout.splitlines()[1:]:
            metric, src = line.split(None, 1)
            # A source starts with its kind (tp_btf/, fentry/, ...); a
            # reason why there is none does not.
            sources[metric] = src if "/" in src.split(" ")[0] or src.startswith(
                ("kvm->", "memslot")) else None
        # tdp_mmu=N with nested paging on is KVM's older TDP code.
        hw_tdp = "Y" in (param("../../kvm_amd/parameters/npt"), param("../../kvm_intel/parameters/ept"))
        _kernel = {"mmu": "tdp" if param("tdp_mmu") == "Y" else "legacy-tdp" if hw_tdp else "shadow",
                   "eager": param("eager_page_split") == "Y", "sources": sources}
    return _kernel


def forget_kernel():
    """The kernel's KVM changed under the tests (tests/run.py set
    eager_page_split): kernel() looks again."""
    global _kernel
    _kernel = None


_lazy_split = None


def prepare_vm_tests():
    """What the VM tests ask of the kernel, found before any of them runs:
    the lazy-split probe runs a VM, which a test's splittop must not see.
    A failure here fails each test that asks again, with its story."""
    try:
        kernel()
        lazy_faults_split()
    except Exception as e:  # noqa: BLE001 (reported by the tests that need it)
        print("VM tests: finding what the kernel does failed: %s" % str(e).splitlines()[0], flush=True)


def lazy_faults_split():
    """How this kernel's vCPU faults treat a write-protected huge mapping
    when KVM splits lazily (eager_page_split=N): split it in place (True) or
    drop it and map 4 KiB (False), told by KVM's own counters, not
    splittop's.  One vCPU, one 2 MiB region, one protected pass that writes
    one page in 100 and reads the others (dirtyvm --writes 1): a split
    leaves the region mapped, so only the pass's 6 writes fault (pf_fixed
    6); a drop makes each of its 512 pages fault in again (at least 512:
    the shadow MMU may fault on more)."""
    global _lazy_split
    if _lazy_split is None:
        k = kernel()
        # The shadow MMU does not split a guest's own memory eagerly, and
        # its kvm module may not let the parameter change: lazy as it is.
        eager = ("--eager-split", "N") if k["eager"] and k["mmu"] != "shadow" else ()
        s, _ = dirtyvm_json("--vcpus", 1, "--mem", "2M", "--rounds", 1, "--writes", 1, *eager)
        fixed = s["vms"][0]["rounds"][0]["kvm_faults"]["pf_fixed"]
        written = s["pages_written_per_round"]
        assert fixed == written or fixed >= 512, (
            "a protected pass of %d writes and %d reads over one 2 MiB region: KVM fixed %d faults, "
            "neither a split's %d nor a drop's 512" % (written, 512 - written, fixed, written))
        _lazy_split = fixed == written
    return _lazy_split


def contention_expected():
    """Whether vCPUs faulting at once wait for each other's mmu_lock: where
    faults take it for write (the shadow MMU, KVM's older TDP code with
    tdp_mmu=N), not on the TDP MMU, which fixes faults under the read lock.
    In the bed, emulation preempts vCPUs that hold the lock, and the others
    wait (tests/run.py)."""
    return kernel()["mmu"] != "tdp"


_preempts = None


def preempts_tracing():
    """Whether this kernel preempts the BPF programs of syscall tracepoints
    (full or lazy preemption selected: Debian's 6.18 and 7.x, as
    /sys/kernel/debug/sched/preempt says in parentheses).  There a program
    preempted in the middle makes the same program miss the next event on
    its CPU (docs/kernels.md), so a syscall source can miss a KVM ioctl, and
    says so in self.missed_events.  debugfs is mounted to read it if it is
    not, and unmounted again."""
    global _preempts
    if _preempts is None:
        path = "/sys/kernel/debug/sched/preempt"
        mounted = False
        if not os.path.exists("/sys/kernel/debug/sched") and run(
                ["mount", "-t", "debugfs", "none", "/sys/kernel/debug"], timeout=30).returncode == 0:
            mounted = True
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            text = ""
        if mounted:
            run(["umount", "/sys/kernel/debug"], timeout=30)
        _preempts = "(full)" in text or "(lazy)" in text
    return _preempts


def spawn(argv, **kw):
    """Popen that cleanup_all() will kill if the test forgets to."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def cleanup_all():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def run(argv, timeout=300, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def dirtyvm_json(*args, timeout=300):
    """Run dirtyvm --json; return (summary dict, completed process)."""
    p = run([DIRTYVM, "--json"] + [str(a) for a in args], timeout=timeout)
    assert p.returncode == 0, "dirtyvm %s failed (%d): %s" % (args, p.returncode, p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1]), p


def wait_for_line(p, text, timeout=30):
    """Read p's stdout until a line containing text; return the lines read."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError("no line with %r within %ss; got %r" % (text, timeout, lines[-5:]))


def host_vms(prefix="anon_inode:kvm-vm"):
    """KVM VMs alive on this host now, by their files in every process
    (VMs the tests did not start count too: the suite must pass beside them);
    with prefix "anon_inode:kvm-vcpu:", their vCPUs."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
                n += link == prefix or (prefix.endswith(":") and link.startswith(prefix))
            except OSError:
                pass
    return n


def read_int(path):
    with open(path) as f:
        return int(f.read().split()[0])


def expect_usage_error(argv, needle, code=2):
    p = run(argv, timeout=30)
    assert p.returncode == code, "%s: exit %d, want %d; stderr %r" % (argv, p.returncode, code, p.stderr)
    assert needle in p.stderr, "%s: stderr %r lacks %r" % (argv, p.stderr, needle)
    assert len(p.stderr.strip().splitlines()) == 1, "%s: want one line, got %r" % (argv, p.stderr)
    return p


def stop(p, sig=signal.SIGINT, timeout=30):
    p.send_signal(sig)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def rss_kib(pid):
    """A process's resident memory, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def bpf_fdinfo(pid, kind):
    """The fdinfo fields of each BPF object of kind ("map" or "prog") the
    process holds open."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "anon_inode:bpf-" + kind:
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                out.append({k.strip(): v.strip() for k, v in
                            (l.split(":", 1) for l in f.read().splitlines() if ":" in l)})
        except OSError:
            pass
    return out


def bpf_map_bytes(pid):
    """Memory of the BPF maps the process holds (their memlock)."""
    return sum(int(m.get("memlock", 0)) for m in bpf_fdinfo(pid, "map"))
