#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""sysroot.py ARCH DIR: Debian's static libraries splittop links, for ARCH
(arm64), unpacked into DIR, for `make ARCH=arm64 STATIC=1` on this host.

The packages come from the same release as the host's cross compiler
(gcc-aarch64-linux-gnu and its libc), through a private apt configuration
in the kernel cache: the system's sources and its dpkg stay as they are
(../shared/BED.md).  DIR/.done names what was unpacked; a DIR that has it
is left alone."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernels  # noqa: E402

# What splittop's static link takes (Makefile: LIBS_BPF, LIBS_CURSES), with
# the headers the -dev packages carry.
PACKAGES = ["libbpf-dev", "libbpf1", "libelf-dev", "libelf1", "zlib1g-dev", "zlib1g", "libzstd-dev", "libzstd1",
            "libncurses-dev", "libncursesw6", "libncurses6", "libtinfo6"]


def host_release():
    """The host's Debian codename: its cross compiler's libc is that release's."""
    try:
        for line in open("/etc/os-release"):
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "bookworm"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sysroot.py ARCH DIR")
    arch, root = sys.argv[1], sys.argv[2]
    done = os.path.join(root, ".done")
    if os.path.exists(done):
        return
    apt = kernels.Apt(kernels.cache_dir(), arch=arch, suites=[host_release()])
    try:
        apt.update()
        debs = os.path.join(apt.dir, "sysroot-debs")
        shutil.rmtree(debs, ignore_errors=True)
        os.makedirs(debs)
        kernels._run("downloading %s packages" % arch,
                     ["apt-get"] + apt.opts + ["download", "-qq"] + PACKAGES, 1200, cwd=debs)
    except kernels.KernelError as e:
        sys.exit("sysroot: %s" % e)
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    names = sorted(os.listdir(debs))
    for deb in names:
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), tmp], check=True)
    with open(os.path.join(tmp, ".done"), "w") as f:
        f.write("\n".join(names) + "\n")
    shutil.rmtree(root, ignore_errors=True)
    os.rename(tmp, root)
    print("sysroot: %s packages for %s in %s" % (len(names), arch, root))


if __name__ == "__main__":
    main()
