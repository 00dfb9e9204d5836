#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""No function in src/ and bpf/ over 60 lines (tests/lint/func_size.py, make
lint-size), and the check itself: a 61-line function fails it, a 60-line
one, braces in strings and comments, and a struct's do not.  Run by
tests/run.py as unit/test_func_size.py; prints TAP lines."""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "tests", "lint", "func_size.py")


def check(*paths):
    return subprocess.run([sys.executable, CHECK] + list(paths), capture_output=True, text=True, cwd=ROOT)


def function(name, lines):
    return "static int %s(void)\n{\n%s\treturn 0;\n}\n" % (name, "\tx++;\n" * (lines - 1))


def main():
    failed = 0

    def ok(cond, what, detail=""):
        nonlocal failed
        print("%s - %s" % ("ok" if cond else "not ok", what))
        if not cond:
            failed += 1
            for line in detail.splitlines():
                print("# " + line)

    p = check("src", "bpf")
    ok(p.returncode == 0, "no function in src/ and bpf/ over 60 lines", p.stdout + p.stderr)
    with tempfile.TemporaryDirectory() as d:
        long_c, fine_c = os.path.join(d, "long.c"), os.path.join(d, "fine.c")
        with open(long_c, "w") as f:
            f.write("int x;\n" + function("too_long", 61))
        with open(fine_c, "w") as f:
            f.write("/* { not a brace */\nstatic const char *s = \"}{\";\n"
                    "struct big {\n" + "\tint a;\n" * 80 + "};\n"
                    "#define M(x) { \\\n x \\\n }\n" + function("just_fits", 60))
        p = check(long_c)
        ok(p.returncode == 1 and "too_long() is 61 lines long" in p.stdout, "a 61-line function fails",
           p.stdout + p.stderr)
        p = check(fine_c)
        ok(p.returncode == 0, "a 60-line function, a long struct, braces in text pass", p.stdout + p.stderr)
        p = check("--max", "59", fine_c)
        ok(p.returncode == 1 and "just_fits() is 60 lines long" in p.stdout, "--max sets the limit",
           p.stdout + p.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
