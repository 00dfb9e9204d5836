# SPDX-License-Identifier: GPL-2.0-only
"""-o FILE opened as a tool run by root must open it: no symbolic link
followed, no file of another user's written into, a new file 0644 whatever
the umask, an own file truncated as before.  --replay's -o opens it the same
way (output_file.c) and needs neither root nor KVM; one test runs splittop
itself, without a VM."""
import os
import shutil
import stat
import subprocess
import tempfile
import threading

from harness import ROOT, SPLITTOP, Skip

GOLDEN_JS = os.path.join(ROOT, "tests", "golden", "tdp-get-json.json")


def convert(out, umask=None):
    """The golden recording as CSV into -o out."""
    return subprocess.run([SPLITTOP, "--replay", GOLDEN_JS, "--csv", "-o", out], capture_output=True, text=True,
                          timeout=60, preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def expected_csv():
    p = subprocess.run([SPLITTOP, "--replay", GOLDEN_JS, "--csv"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("time_unix_s,"), p.stderr
    return p.stdout


def refused(p, path, why):
    assert (p.returncode, p.stderr) == (1, "splittop: cannot write %s: %s\n" % (path, why)), (p.returncode, p.stderr)


def shared_dir():
    """A directory like /tmp: anyone may plant a name in it."""
    d = tempfile.mkdtemp(prefix="splittop-out.")
    os.chmod(d, 0o1777)
    return d


def test_output_refuses_a_planted_symlink():
    """A link someone planted where -o will write (fs.protected_symlinks=0
    lets root follow it): refused, one line, exit 1, its target untouched;
    a dangling one creates nothing; /dev/stdout is a link too."""
    d = shared_dir()
    try:
        victim, link = os.path.join(d, "victim"), os.path.join(d, "out.csv")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.symlink(victim, link)
        refused(convert(link), link, "a symbolic link, not followed (name the file itself)")
        with open(victim) as f:
            assert f.read() == "precious\n", "the link's target was written"
        dangling = os.path.join(d, "new.csv")
        os.symlink(os.path.join(d, "created"), dangling)
        refused(convert(dangling), dangling, "a symbolic link, not followed (name the file itself)")
        assert not os.path.lexists(os.path.join(d, "created")), "a dangling link's target was created"
        refused(convert("/dev/stdout"), "/dev/stdout", "a symbolic link, not followed (name the file itself)")
    finally:
        shutil.rmtree(d)


def test_output_refuses_a_file_of_another_user():
    """A file pre-created 0666 by another user (nobody): not written into,
    still theirs; a second hard link to a file, and a directory: refused."""
    if os.geteuid() != 0:
        raise Skip("needs root (to give a file to nobody)")
    d = shared_dir()
    try:
        theirs = os.path.join(d, "out.csv")
        with open(theirs, "w") as f:
            f.write("theirs\n")
        os.chmod(theirs, 0o666)
        os.chown(theirs, 65534, 65534)
        refused(convert(theirs), theirs, "owned by uid 65534, not by splittop's user (uid 0): not written into")
        st = os.stat(theirs)
        with open(theirs) as f:
            assert f.read() == "theirs\n" and st.st_uid == 65534, "written into, or taken over"
        own, alias = os.path.join(d, "own.csv"), os.path.join(d, "alias.csv")
        with open(own, "w") as f:
            f.write("own\n")
        os.link(own, alias)
        refused(convert(alias), alias, "a file with 2 hard links: not written through one")
        with open(own) as f:
            assert f.read() == "own\n"
        refused(convert(d), d, "Is a directory")
    finally:
        shutil.rmtree(d)


def test_output_new_file_mode_and_own_file_truncated():
    """A new file: 0644 under umask 000, 0600 under 077.  An own file of
    more bytes: truncated, its mode kept.  /dev/null and a FIFO still take
    the output."""
    want = expected_csv()
    d = tempfile.mkdtemp(prefix="splittop-out.")
    try:
        for umask, mode in ((0o000, 0o644), (0o077, 0o600), (0o022, 0o644)):
            path = os.path.join(d, "new-%03o.csv" % umask)
            p = convert(path, umask=umask)
            assert p.returncode == 0 and p.stderr == "", p.stderr
            assert stat.S_IMODE(os.stat(path).st_mode) == mode, (oct(umask), oct(os.stat(path).st_mode))
            with open(path) as f:
                assert f.read() == want
        own = os.path.join(d, "own.csv")
        with open(own, "w") as f:
            f.write("x" * (len(want) * 2))
        os.chmod(own, 0o640)
        p = convert(own)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        with open(own) as f:
            assert f.read() == want, "not truncated"
        assert stat.S_IMODE(os.stat(own).st_mode) == 0o640, oct(os.stat(own).st_mode)
        p = convert("/dev/null")
        assert p.returncode == 0 and p.stderr == "", p.stderr
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
        reader.start()
        p = convert(fifo)
        reader.join(timeout=60)
        assert p.returncode == 0 and got == [want], (p.stderr, got[:1])
    finally:
        shutil.rmtree(d)


def test_output_of_a_live_run():
    """splittop itself, no VM: -o through a planted link is refused before
    anything is loaded; a new file under umask 000 is 0644 and has the
    header."""
    if os.geteuid() != 0:
        raise Skip("needs root")
    if not os.path.exists("/sys/kernel/btf/vmlinux") or not os.path.exists("/sys/module/kvm"):
        raise Skip("needs the kernel's BTF and KVM")
    d = shared_dir()
    try:
        victim, link = os.path.join(d, "victim"), os.path.join(d, "out.csv")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.symlink(victim, link)
        p = subprocess.run([SPLITTOP, "-d", "1", "-o", link], capture_output=True, text=True, timeout=60)
        refused(p, link, "a symbolic link, not followed (name the file itself)")
        with open(victim) as f:
            assert f.read() == "precious\n"
        new = os.path.join(d, "new.csv")
        p = subprocess.run([SPLITTOP, "-d", "1", "-i", "0.2", "-o", new], capture_output=True, text=True,
                           timeout=120, preexec_fn=lambda: os.umask(0))
        assert p.returncode == 0, p.stderr
        assert stat.S_IMODE(os.stat(new).st_mode) == 0o644, oct(os.stat(new).st_mode)
        with open(new) as f:
            assert f.readline().startswith("time_unix_s,elapsed_s,scope,pid,vm,")
    finally:
        shutil.rmtree(d)
