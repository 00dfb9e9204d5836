#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fails when a C function's body is longer than the limit (60 lines).

usage: func_size.py [--max N] PATH...   (files, or folders searched for
*.c and *.h)

A function definition is found by brace matching: a '{' at nesting depth 0
whose text before it (since the last ';', '}' or preprocessor line) ends in
a parameter list ')', and is not a struct, union, enum or initializer.  Its
body lines are the lines strictly between the line of its '{' and the line
of its matching '}'.  Comments, strings and character literals are blanked
first so that braces in them do not count.  Prints one line per offender
and exits 1 if there is any.
"""
import os
import re
import sys

MAX = 60


def blank(text):
    """text with comments, strings and char literals replaced by spaces
    (newlines kept, so line numbers stay right)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_preprocessor(text):
    """Preprocessor lines (with their continuations) blanked: a macro's
    braces are not a function's."""
    lines, cont = text.split("\n"), False
    for k, line in enumerate(lines):
        if cont or line.lstrip().startswith("#"):
            cont = line.rstrip().endswith("\\")
            lines[k] = ""
    return "\n".join(lines)


NAME = re.compile(r"([A-Za-z_]\w*)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:__\w+(?:\(\([^)]*\)\))?\s*)*$", re.S)
NOT_FUNC = re.compile(r"\b(struct|union|enum)\b[^()]*$|=\s*$", re.S)


def functions(path):
    """(name, first body line, body lines) of each function defined in path."""
    text = strip_preprocessor(blank(open(path, encoding="utf-8", errors="replace").read()))
    depth, start, head_from = 0, None, 0
    for i, c in enumerate(text):
        if c == "{":
            if depth == 0:
                head = text[head_from:i]
                m = NAME.search(head)
                start = (m.group(1), i) if m and not NOT_FUNC.search(head) and m.group(1) not in (
                    "if", "for", "while", "switch", "sizeof", "return") else None
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if start:
                    name, at = start
                    first, last = text.count("\n", 0, at) + 1, text.count("\n", 0, i) + 1
                    yield name, first, max(0, last - first - 1)
                start, head_from = None, i + 1
        elif c == ";" and depth == 0:
            head_from = i + 1
    return


def sources(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, _, files in sorted(os.walk(p)):
                for f in sorted(files):
                    if f.endswith((".c", ".h")):
                        yield os.path.join(d, f)
        else:
            yield p


def main(argv):
    limit = MAX
    if argv[:1] == ["--max"]:
        limit, argv = int(argv[1]), argv[2:]
    bad = 0
    for path in sources(argv or ["src", "bpf"]):
        for name, line, n in functions(path):
            if n > limit:
                print("%s:%d: %s() is %d lines long (at most %d)" % (path, line, name, n, limit))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
