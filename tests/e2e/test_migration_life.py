# SPDX-License-Identifier: GPL-2.0-only
"""A migration's whole life, exact on every kernel of the matrix: populate,
enable dirty logging, rounds, disable, a pass with logging off (huge
mappings rebuilt in place from 6.14, zapped and refaulted before), a second
migration of the same VM, a migration cancelled after a round and started
again, the dirty ring's rounds, and a destination VM that only populates.  Ground truth: the
workload's arithmetic per phase, checked against KVM's own counters
(test_splittop.check_migrations) before splittop's totals are."""
import json
import os
import tempfile

from harness import DIRTYVM, SPLITTOP, kernel, mem, run, vm_test
from test_splittop import check_migrations, check_vm, eager_splits, migrations, read_json


def traced_life(*args, interval="0.2", splittop_args=()):
    """splittop --json -- dirtyvm ARGS: (total row, the recording's lines,
    dirtyvm's summary)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.jsonl")
        p = run([SPLITTOP, "-i", interval, "--json", "-o", out] + list(splittop_args) +
                ["--", DIRTYVM, "--json"] + [str(a) for a in args], timeout=600)
        assert p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr[-2000:])
        lines = read_json(out)
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    totals = [dict(vm, scope="total", self=l["self"]) for l in lines if l["type"] == "total" for vm in l["vms"]]
    assert len(totals) == 1, totals
    return totals[0], lines, summary


def when_logging_stops(stopped):
    """One line for the matrix's log: what this kernel did to huge pages
    when logging stopped."""
    print("note: when logging stops, this kernel's huge mappings are %s (mmu %s, eager %s)" % (
        {"rebuilt": "rebuilt in place", "zapped": "zapped and refaulted"}.get(stopped, "not lost"),
        kernel()["mmu"], "Y" if eager_splits() else "N"), flush=True)


def check_recording(lines, summary):
    """The recording tells the phases apart: enables and disables per
    interval add up to the migrations, the VM is marked logging in the
    intervals where it was, and the last operations' pages_2m (KVM's
    gauges read by splittop as the ioctl returned) are dirtyvm's own."""
    vm = summary["vms"][0]
    migs = migrations(vm)
    rows = [v for l in lines if l["type"] == "interval" for v in l["vms"]]
    assert sum(r["dirty_log_enables"] for r in rows) == len(migs), rows
    assert sum(r["dirty_log_disables"] for r in rows) == len(migs), rows
    total = [v for l in lines if l["type"] == "total" for v in l["vms"]][0]
    dl = total["detail"]["dirty_log"]
    last = migs[-1]
    assert dl["enable"]["last_pages_2m_before"] == last["before"]["pages_2m"], (dl["enable"], last)
    assert dl["enable"]["last_pages_2m_after"] == last["enabled"]["pages_2m"], (dl["enable"], last)
    pages_at_disable = last["rounds"][-1]["after"]["pages_2m"] if last["rounds"] else last["enabled"]["pages_2m"]
    assert dl["disable"]["last_pages_2m_before"] == pages_at_disable, (dl["disable"], last)
    assert dl["disable"]["last_pages_2m_after"] == last["disabled"]["pages_2m"], (dl["disable"], last)


@vm_test(scope="core")
def test_whole_life_get_cancelled_then_twice_migrated():
    """get mode: a migration cancelled after one round, then two whole
    ones, each followed by a pass with logging off."""
    total, lines, s = traced_life("--vcpus", 2, "--mem", mem(32), "--rounds", 2, "--migrations", 3,
                                  "--cancel-after", 1, "--after-pass")
    vm = s["vms"][0]
    assert [len(m["rounds"]) for m in vm["migrations"]] == [1, 2, 2], vm["migrations"]
    assert [m["cancelled"] for m in vm["migrations"]] == [True, False, False]
    check_vm(total, s, vm)
    check_recording(lines, s)
    when_logging_stops(check_migrations(s, vm, "life get"))


@vm_test(scope="core")
def test_whole_life_clear_cancelled_and_restarted():
    """clear mode (initially-all-set): a migration cancelled after its first
    round (the clear after it protected every region, no write faulted
    yet), then a whole one, each followed by a pass with logging off."""
    total, lines, s = traced_life("--vcpus", 1, "--mem", mem(64), "--mode", "clear", "--rounds", 3,
                                  "--migrations", 2, "--cancel-after", 1, "--after-pass")
    vm = s["vms"][0]
    assert [len(m["rounds"]) for m in vm["migrations"]] == [1, 3], vm["migrations"]
    check_vm(total, s, vm)
    check_recording(lines, s)
    when_logging_stops(check_migrations(s, vm, "life clear"))


def other_fault_source():
    """The fault source this MMU does not use by default: on the TDP MMU the
    one in mmu_lock (the default counts faults before it), on shadow paging
    the guest walk before it (the default counts them in it).  tdp_mmu=N
    offers only the in-lock one: None."""
    return {"tdp": "faults=kvm_mmu_spte_requested", "shadow": "faults=kvm_mmu_pagetable_walk"}.get(kernel()["mmu"])


@vm_test(scope="core")
def test_whole_life_with_the_other_fault_source():
    """Both lives above (cancelled and restarted in clear mode, then get mode
    migrated twice with passes after), faults counted by the source this MMU
    does not use by default: each source exact over a whole life, huge
    mappings made writable in place after a cancelled clear included (the
    in-lock source sees them change; the sources outside the lock read
    KVM's own rmap or table when the fault is settled)."""
    other = other_fault_source()
    if other is None:
        print("note: tdp_mmu=N: the fault source in mmu_lock is its only one", flush=True)
    args = ("--source", other) if other else ()
    for what, life in (("clear", ("--vcpus", 1, "--mem", mem(64), "--mode", "clear", "--rounds", 3,
                                  "--migrations", 2, "--cancel-after", 1, "--after-pass")),
                       ("get", ("--vcpus", 2, "--mem", mem(32), "--rounds", 2, "--migrations", 2,
                                "--cancel-after", 1, "--after-pass"))):
        total, lines, s = traced_life(*life, splittop_args=args)
        vm = s["vms"][0]
        check_vm(total, s, vm)
        check_recording(lines, s)
        check_migrations(s, vm, "life %s, %s" % (what, other))


@vm_test(scope="core")
def test_whole_life_dirty_ring():
    """The dirty ring (dirtyvm --mode ring): each round harvested from every
    vCPU's ring and handed back with KVM_RESET_DIRTY_RINGS, which protects
    the pages again; a cancelled migration, a whole one, a pass after each."""
    total, lines, s = traced_life("--vcpus", 2, "--mem", mem(32), "--mode", "ring", "--rounds", 2,
                                  "--migrations", 2, "--cancel-after", 1, "--after-pass")
    vm = s["vms"][0]
    assert vm["total"]["resets"] == 3 and vm["total"]["gets"] == 0, vm["total"]
    check_vm(total, s, vm)
    check_recording(lines, s)
    assert int(total["dirty_log_resets"]) == 3 and int(total["dirty_log_gets"]) == 0, total
    when_logging_stops(check_migrations(s, vm, "life ring"))


@vm_test(scope="core")
def test_whole_life_second_migration_without_a_pass_between():
    """Two migrations back to back, no guest write between them: the second
    starts from whatever the first left (huge mappings rebuilt and
    write-protected, or zapped), then the pass after it."""
    total, lines, s = traced_life("--vcpus", 1, "--mem", mem(32), "--rounds", 2, "--migrations", 2)
    vm = s["vms"][0]
    check_recording(lines, s)
    # KVM's mappings (sec_pagetables_kb, the host's page-table memory, may
    # fall as freed tables are reclaimed meanwhile).
    mappings = ("pages_4k", "pages_2m", "pages_1g")
    assert {k: vm["migrations"][1]["before"][k] for k in mappings} == \
        {k: vm["migrations"][0]["disabled"][k] for k in mappings}, vm["migrations"]
    check_vm(total, s, vm)
    when_logging_stops(check_migrations(s, vm, "back to back"))


@vm_test(scope="core")
def test_destination_vm_populates_only():
    """A migration's destination: memory written once, no dirty logging.
    Every region mapped huge by one non-present fault, nothing split,
    nothing write-protected."""
    # A VM's gauges (vCPUs, memory) come from the census at each interval:
    # it lives several of them here.
    total, lines, s = traced_life("--vcpus", 2, "--mem", mem(256), "--passes", 3, "--migrations", 0,
                                  interval="0.1")
    vm = s["vms"][0]
    assert vm["migrations"] == [] and vm["populated"]["pages_2m"] == s["regions_2m"], vm
    check_vm(total, s, vm)
    for key in ("dirty_log_enables", "dirty_log_disables", "dirty_log_gets", "splits_2m", "demotions_2m",
                "faults_huge_wp", "faults_4k_wp"):
        assert int(total[key]) == 0, (key, total)
