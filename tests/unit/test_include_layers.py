#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""src/ includes only along docs/architecture.md's arrows
(tests/lint/include_layers.py, make check-includes), and the check itself:
in a made-up tree, a model file that includes ui/ fails it, an include
whose folder cannot be told fails it, and allowed ones pass.  Run by
tests/run.py as unit/test_include_layers.py; prints TAP lines."""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "tests", "lint", "include_layers.py")


def check(*args):
    return subprocess.run([sys.executable, CHECK] + list(args), capture_output=True, text=True)


def tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


def main():
    failed = 0

    def ok(cond, what, detail=""):
        nonlocal failed
        print("%s - %s" % ("ok" if cond else "not ok", what))
        if not cond:
            failed += 1
            for line in detail.splitlines():
                print("# " + line)

    p = check()
    ok(p.returncode == 0, "src/ includes only along the arrows", p.stdout + p.stderr)
    good = {
        "src/common/text.h": "",
        "src/splittop/model/vm_table.h": '#include "common/text.h"\n#include "splittop.h"\n',
        "src/splittop/model/snapshot.c": '#include "vm_table.h"\n',
        "src/splittop/ui/view.h": '#include "splittop/model/vm_table.h"\n',
        "src/splittop/kernel/tracer.c": '#include "splittop.skel.h"\n#include "splittop/model/vm_table.h"\n',
        "src/splittop/main.c": '#include "splittop/ui/view.h"\n#include "splittop/kernel/tracer.c"\n',
    }
    with tempfile.TemporaryDirectory() as d:
        tree(d, good)
        p = check("--root", d)
        ok(p.returncode == 0, "allowed includes pass", p.stdout + p.stderr)
        tree(d, {"src/splittop/model/bad.c": '#include "vm_table.h"\n#include "splittop/ui/view.h"\n'})
        p = check("--root", d)
        ok(p.returncode == 1 and 'src/splittop/model/bad.c:2: src/splittop/model may not include '
           '"splittop/ui/view.h"' in p.stdout and p.stdout.count("\n") == 1,
           "a model file that includes ui/ fails, on that line alone", p.stdout + p.stderr)
    with tempfile.TemporaryDirectory() as d:
        tree(d, dict(good, **{"src/splittop/output/csv.c": '#include "splittop.skel.h"\n'}))
        p = check("--root", d)
        ok(p.returncode == 1 and "may not include \"splittop.skel.h\"" in p.stdout,
           "the skeleton outside kernel/ fails", p.stdout + p.stderr)
    with tempfile.TemporaryDirectory() as d:
        tree(d, dict(good, **{"src/splittop/model/hist.c": '#include "view.h"\n'}))
        p = check("--root", d)
        ok(p.returncode == 1 and "cannot tell which folder" in p.stdout,
           "a bare include of another folder's file fails", p.stdout + p.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
