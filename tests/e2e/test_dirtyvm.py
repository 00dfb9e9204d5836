# SPDX-License-Identifier: GPL-2.0-only
"""dirtyvm against KVM's own ground truth (pages_4k/2m from the VM's binary
stats, the dirty bitmap) on real VMs."""
import os
import shutil
import signal
import subprocess
import tempfile

from harness import (DIRTYVM, ROOT, Skip, dirtyvm_json, expect_usage_error, kernel, mem, read_int,
                     run, spawn, stop, vm_test, wait_for_line)

PAGES_PER_REGION = 512


def first_demoting_round(mode):
    # get: enabling dirty logging write-protects every mapping, so round 1
    # takes the huge write faults.  clear with initially-all-set: enabling
    # protects nothing; the first KVM_CLEAR_DIRTY_LOG (after round 1) does.
    return 1 if mode == "get" else 2


def check_ground_truth(vcpus, backing, mode, mib=32, rounds=3):
    size = mem(mib)
    s, _ = dirtyvm_json("--vcpus", vcpus, "--mem", size, "--backing", backing, "--mode", mode,
                        "--rounds", rounds)
    regions = s["regions_2m"]
    vm = s["vms"][0]
    what = "%d vCPUs %s %s" % (vcpus, backing, mode)
    assert s["status"] == "completed", what
    assert regions == vcpus * int(size[:-1]) // 2, what
    assert vm["before"]["pages_2m"] == regions, "%s: pages_2m before dirty logging %d, want %d" % (
        what, vm["before"]["pages_2m"], regions)
    assert len(vm["rounds"]) == rounds, what
    k = first_demoting_round(mode)
    if kernel()["mmu"] == "tdp" and kernel()["eager"]:
        # Split eagerly: by enabling dirty logging (get), or by round 1's
        # first KVM_CLEAR_DIRTY_LOG (clear), so no round ends with a 2M mapping.
        k = 1
    before4k = vm["before"]["pages_4k"]
    for r in vm["rounds"]:
        after = r["after"]
        if r["round"] < k:
            assert after["pages_2m"] == regions, "%s round %d: %r" % (what, r["round"], after)
        else:
            assert after["pages_2m"] == 0, "%s round %d: pages_2m %d" % (what, r["round"], after["pages_2m"])
            assert after["pages_4k"] == before4k + PAGES_PER_REGION * regions, \
                "%s round %d: pages_4k %d, want %d + 512 x %d" % (what, r["round"], after["pages_4k"],
                                                                  before4k, regions)
        # 100% writes: every page written, every bit set, none missing.
        assert r["dirty_pages"] == s["pages_written_per_round"] == regions * PAGES_PER_REGION, \
            "%s round %d: dirty %d, written %d" % (what, r["round"], r["dirty_pages"],
                                                   s["pages_written_per_round"])
        assert r["missing_pages"] == 0, what


@vm_test(scope="core")
def test_ground_truth_1vcpu_thp_get():
    check_ground_truth(1, "thp", "get")


@vm_test(scope="core")
def test_ground_truth_2vcpus_hugetlb_get():
    check_ground_truth(2, "hugetlb", "get")


@vm_test(scope="core")
def test_ground_truth_4vcpus_thp_clear():
    check_ground_truth(4, "thp", "clear")


@vm_test(scope="core")
def test_ground_truth_2vcpus_hugetlb_clear():
    check_ground_truth(2, "hugetlb", "clear")


@vm_test(scope="core")
def test_no_writes_no_dirty_pages():
    s, _ = dirtyvm_json("--vcpus", 2, "--mem", mem(16), "--writes", 0, "--rounds", 2)
    assert s["pages_written_per_round"] == 0
    for r in s["vms"][0]["rounds"]:
        assert r["dirty_pages"] == 0, r
        # Reads of write-protected huge mappings do not fault: nothing
        # demoted; but the TDP MMU with eager_page_split=Y splits every
        # region when dirty logging is enabled.
        eager = kernel()["mmu"] == "tdp" and kernel()["eager"]
        assert r["after"]["pages_2m"] == (0 if eager else s["regions_2m"]), r


@vm_test(scope="core")
def test_zero_rounds_enable_and_disable_only():
    """--rounds 0: dirty logging enabled and disabled, nothing in between
    (it used to read round -1's page counts and crash)."""
    s, _ = dirtyvm_json("--vcpus", "1", "--mem", mem(16), "--rounds", "0")
    vm = s["vms"][0]
    assert s["status"] == "completed" and vm["rounds"] == [], s
    assert vm["before"]["pages_2m"] == s["regions_2m"], vm


@vm_test(scope="core")
def test_partial_writes_every_written_page_is_dirty():
    s, _ = dirtyvm_json("--vcpus", 1, "--mem", mem(16), "--writes", 30, "--rounds", 2)
    written = s["pages_written_per_round"]
    pages = s["regions_2m"] * 512
    assert written == pages // 100 * 30 + min(pages % 100, 30)
    for r in s["vms"][0]["rounds"]:
        assert r["missing_pages"] == 0, r
        # KVM may also log pages that were only read: a read fault on a
        # dirty-logged slot can install a writable SPTE and mark it dirty.
        assert written <= r["dirty_pages"] <= pages, r


@vm_test(scope="core")
def test_hugetlb_pool_returned():
    before = read_int("/proc/sys/vm/nr_hugepages")
    dirtyvm_json("--vcpus", 1, "--mem", mem(8), "--backing", "hugetlb", "--rounds", 1)
    assert read_int("/proc/sys/vm/nr_hugepages") == before


@vm_test(scope="core")
def test_two_vms_in_one_process():
    s, p = dirtyvm_json("--vms", 2, "--vcpus", 1, "--mem", mem(16), "--rounds", 1)
    assert len(s["vms"]) == 2
    for vm in s["vms"]:
        assert vm["before"]["pages_2m"] == s["regions_2m"] and vm["rounds"][0]["after"]["pages_2m"] == 0, vm
    assert "vm 1: Enabling dirty logging time" in p.stdout


@vm_test(scope="core")
def test_phase_lines():
    _, p = dirtyvm_json("--vcpus", 1, "--mem", mem(8), "--rounds", 2, "--mode", "clear")
    for line in ("Populate memory time:", "Enabling dirty logging time:",
                 "Iteration 1 dirty memory time:", "Iteration 2 get dirty log time:",
                 "Iteration 2 clear dirty log time:", "Disabling dirty logging time:"):
        assert line in p.stdout, line


@vm_test(scope="core")
def test_sigterm_and_sigint_stop_cleanly():
    before = read_int("/proc/sys/vm/nr_hugepages")
    for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        p = spawn([DIRTYVM, "--loop", "--vcpus", "2", "--mem", mem(16), "--backing", "hugetlb", "--json"])
        wait_for_line(p, "Enabling dirty logging time")
        rc, out, err = stop(p, sig)
        assert rc == code, "%s: exit %d, want %d (%s)" % (sig, rc, code, err)
        assert '"status":"interrupted"' in out.strip().splitlines()[-1], out[-300:]
        assert read_int("/proc/sys/vm/nr_hugepages") == before


def test_bad_input():
    for args, needle in ((["--vcpus", "513"], "--vcpus"), (["--vcpus", "0"], "--vcpus"),
                         (["--mem", "0"], "--mem"), (["--mem", "1.5G"], "--mem"),
                         (["--mem", mem(3)], "--mem"), (["--backing", "huge"], "--backing"),
                         (["--writes", "200"], "--writes"), (["--mode", "x"], "--mode"),
                         (["--vms", "-1"], "--vms"), (["--nope"], "unknown option"),
                         (["--rounds"], "needs a value")):
        expect_usage_error([DIRTYVM] + args, needle)


def _in_private_mounts(script):
    """Run a shell script in a private mount namespace: what it hides or
    makes read-only there is untouched for the rest of the machine."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise Skip("needs root and unshare")
    return run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], timeout=60)


def test_no_dev_kvm():
    p = _in_private_mounts("mount -t tmpfs none /dev && exec %s --mem 2M" % DIRTYVM)
    assert p.returncode == 1 and "cannot open /dev/kvm" in p.stderr, (p.returncode, p.stderr)


@vm_test(scope="core")
def test_eager_split_not_writable():
    path = "/sys/module/kvm/parameters/eager_page_split"
    old = open(path).read().strip()
    want = "n" if old == "Y" else "y"
    p = _in_private_mounts("mount --bind -o ro %s %s 2>/dev/null; mount -o remount,bind,ro %s; "
                           "exec %s --mem 2M --eager-split %s" % (path, path, path, DIRTYVM, want))
    assert p.returncode == 1 and "cannot set %s" % path in p.stderr, (p.returncode, p.stderr)
    assert open(path).read().strip() == old


@vm_test(scope="core")
def test_hugetlb_pool_cannot_be_filled():
    path = "/proc/sys/vm/nr_hugepages"
    before = read_int(path)
    p = _in_private_mounts("mount --bind %s %s && mount -o remount,bind,ro %s && "
                           "exec %s --mem 4M --backing hugetlb" % (path, path, path, DIRTYVM))
    assert p.returncode == 1 and "hugetlb pool" in p.stderr, (p.returncode, p.stderr)
    assert read_int(path) == before


def test_make_names_missing_build_packages():
    """make on a machine without the build packages says which are missing
    and what installs them, before any compiler error."""
    if not shutil.which("dpkg-query"):
        raise Skip("needs dpkg-query (Debian)")
    p = run(["make", "-C", ROOT, "--no-print-directory", "check-deps",
             "BUILD_PKGS=gcc splittop-no-such-package"], timeout=60)
    assert p.returncode != 0, p.stdout + p.stderr
    assert ("error: missing build packages: splittop-no-such-package; 'make deps' (as root) installs them"
            in p.stderr), p.stderr
    p = run(["make", "-C", ROOT, "--no-print-directory", "check-deps"], timeout=60)
    assert p.returncode == 0, p.stderr


def test_fresh_clone_builds():
    if not shutil.which("git"):
        raise Skip("needs git")
    with tempfile.TemporaryDirectory() as d:
        clone = os.path.join(d, "clone")
        p = run(["git", "clone", "-q", ROOT, clone], timeout=120)
        assert p.returncode == 0, p.stderr
        # Uncommitted work is not in the clone: build what would be submitted.
        p = run(["make", "-C", clone, "-j2", "all"], timeout=600)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        for binary in ("dirtyvm", "splittop"):
            assert os.access(os.path.join(clone, "build", binary), os.X_OK), binary
