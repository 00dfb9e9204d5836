#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fails when a source file includes a folder its own folder may not
(docs/architecture.md draws the layers).

usage: include_layers.py [--root DIR]   (default: the repository)

Each "..." include of each .c and .h under DIR/src is resolved to a
folder: "common/x.h" is src/common; "splittop/model/x.h" is
src/splittop/model; "splittop/x.h" is src/splittop itself (the command
line); a bare "x.h" is the including file's own folder when the file is
there; "splittop.h" is bpf/'s contract, which every folder may include;
"splittop.skel.h" is the generated BPF skeleton, only for kernel/.
Anything else is an error too: an include whose folder cannot be told
cannot be checked.  Prints one line per bad include; exits 1 if any.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Who may include whom, lowest layer first: each folder may include itself
# and what is listed.  The model knows no kernel, no terminal, no HTTP.
MAY_INCLUDE = {
    "common": set(),
    "splittop/model": {"common"},
    "splittop/kernel": {"common", "splittop/model", "skeleton"},
    "splittop/output": {"common", "splittop/model"},
    "splittop/replay": {"common", "splittop/model", "splittop/output"},
    "splittop/ui": {"common", "splittop/model", "splittop/output", "splittop/replay"},
    "splittop/http": {"common", "splittop/model", "splittop/output"},
    "splittop/report": {"common", "splittop/model", "splittop/output", "splittop/replay"},
    "splittop": {"common", "splittop/model", "splittop/kernel", "splittop/output", "splittop/replay",
                 "splittop/ui", "splittop/http", "splittop/report"},
    "dirtyvm": {"common"},
}
CONTRACT, SKELETON = "splittop.h", "splittop.skel.h"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(src, path):
    """The folder (relative to src) a file lives in."""
    return os.path.relpath(os.path.dirname(path), src).replace(os.sep, "/")


def resolve(src, here, name):
    """The folder an include names, or None when it cannot be told."""
    if name == CONTRACT:
        return "contract"
    if name == SKELETON:
        return "skeleton"
    if "/" not in name:
        return here if os.path.exists(os.path.join(src, here, name)) else None
    target = os.path.dirname(os.path.normpath(name)).replace(os.sep, "/")
    return target if target in MAY_INCLUDE and os.path.exists(os.path.join(src, name)) else None


def check(root):
    src, bad = os.path.join(root, "src"), []
    for d, _, files in sorted(os.walk(src)):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            here = folder_of(src, path)
            allowed = MAY_INCLUDE.get(here)
            text = open(path, encoding="utf-8", errors="replace").read()
            for m in INCLUDE.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                where = "%s:%d" % (os.path.relpath(path, root), line)
                if allowed is None:
                    bad.append("%s: src/%s is not a folder of docs/architecture.md's layers" % (where, here))
                    break
                target = resolve(src, here, m.group(1))
                if target is None:
                    bad.append('%s: "%s": cannot tell which folder it is in (write it as "FOLDER/file.h" '
                               'from src/)' % (where, m.group(1)))
                elif target not in (here, "contract") and target not in allowed:
                    bad.append('%s: src/%s may not include "%s" (src/%s): see docs/architecture.md'
                               % (where, here, m.group(1), target))
    return bad


def main(argv):
    root = argv[argv.index("--root") + 1] if "--root" in argv else ROOT
    bad = check(root)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
