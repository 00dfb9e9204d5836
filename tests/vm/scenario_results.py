# SPDX-License-Identifier: GPL-2.0-only
"""The "@@" lines a tier's scenario script writes in the bed (tests/kernel,
tests/arm64): "@@RC NAME N" each scenario's exit status, "@@FAIL WHY", and
"@@DONE" at its end; a tier reads its own words with extra."""


def parse(results, extra=None, **init):
    """{"rc": {name: status}, "fail": [...], "done": bool, **init}, each other
    line's words (split in three at most) handed to extra(words, res)."""
    res = {"rc": {}, "fail": [], "done": False}
    res.update(init)
    for line in results.splitlines():
        if not line.startswith("@@"):
            continue
        word = line[2:].split(" ", 2)
        if word[0] == "RC":
            res["rc"][word[1]] = int(word[2])
        elif word[0] == "FAIL":
            res["fail"].append(" ".join(word[1:]))
        elif word[0] == "DONE":
            res["done"] = True
        elif extra:
            extra(word, res)
    return res
