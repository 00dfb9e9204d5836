# SPDX-License-Identifier: GPL-2.0-only
"""The shipped Prometheus rules (contrib/prometheus/splittop.rules.yml):
promtool checks them and runs their unit tests (each alert firing, and not
firing on a healthy VM), and every splittop series they name is one that
splittop's /metrics really has.  No VM, no root."""
import glob
import os
import re

from harness import OUT, ROOT, run

RULES = os.path.join(ROOT, "contrib", "prometheus", "splittop.rules.yml")
RULES_TEST = os.path.join(ROOT, "contrib", "prometheus", "splittop.rules.test.yml")
GOLDEN_REPLAY = os.path.join(OUT, "tests", "golden_replay")


def test_rules_pass_promtool_check():
    p = run(["promtool", "check", "rules", RULES], timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS: 13 rules found" in p.stdout, p.stdout


def test_rules_unit_tests_pass():
    p = run(["promtool", "test", "rules", os.path.basename(RULES_TEST)], timeout=120,
            cwd=os.path.dirname(RULES_TEST))
    assert p.returncode == 0 and "SUCCESS" in p.stdout, p.stdout + p.stderr


def families():
    """Every family splittop serves: the /metrics of each golden recording's
    run totals (golden_replay metrics), and each metric of the metric table
    named as openmetrics.c names it (a recording may lack a metric its
    kernel could not measure)."""
    names = set()
    for rec in glob.glob(os.path.join(ROOT, "tests", "golden", "*.rec")):
        p = run([GOLDEN_REPLAY, "metrics", rec], timeout=60)
        assert p.returncode == 0, p.stderr
        names |= set(re.findall(r"^# TYPE (\S+) ", p.stdout, re.M))
    with open(os.path.join(ROOT, "src", "splittop", "model", "metric_table.h")) as f:
        for name in re.findall(r'METRIC\(\w+, "(\w+)"', f.read()):
            name = re.sub(r"_ns$", "_seconds", re.sub(r"_mib$", "_bytes", name))
            names.add("splittop_" + name)
    return names


def test_rules_name_only_real_series():
    fam = families()
    assert "splittop_finding" in fam and "splittop_self_rounds_lost" in fam, sorted(fam)
    with open(RULES) as f:
        # Not the rules' own recordings (level:name:ops), nor the
        # annotations' "splittop_self_*_total".
        used = set(re.findall(r"(?<![:\w])splittop_[a-z0-9_]+(?![:*\w])", f.read()))
    missing = [n for n in used
               if n not in fam and re.sub(r"_total$", "", n) not in fam]
    assert not missing, ("series the rules name that splittop does not serve", missing)
