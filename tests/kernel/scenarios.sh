#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The stock-kernel tier, run inside the bed (tests/vm) with KVM not yet
# loaded: static builds of splittop and dirtyvm (BIN, $1) on Debian's kernel.
# Everything it learns goes to /run/bed/out: "@@" lines in out/results, and
# each scenario's JSON and output.  tests/kernel/test_kernel.py checks them.
BIN=${1:?usage: scenarios.sh BIN-DIR}
OUT=/run/bed/out
R=$OUT/results
say() { echo "@@$*" >> $R; }

grep -qw svm /proc/cpuinfo && say "CPU svm"
grep -qw npt /proc/cpuinfo && say "CPU npt"

# Before KVM is loaded: splittop must say so, exit 1.
$BIN/splittop --csv -c 1 > $OUT/nokvm.out 2>&1
say "RC nokvm $?"

for m in $(cat /run/bed-modules/kvm.list); do
	# busybox-static (the bed needs it): the host may have no kmod.
	busybox insmod /run/bed-modules/$m.ko || say "FAIL insmod $m"
done
for p in tdp_mmu eager_page_split; do
	say "PARAM $p $(cat /sys/module/kvm/parameters/$p 2>/dev/null)"
done
say "PARAM npt $(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"

$BIN/splittop --list-sources > $OUT/sources.out 2>&1
say "RC sources $?"

# scenario NAME DIRTYVM-ARGS...: one traced dirtyvm run, JSON lines out
# (SPLITTOP_ARGS, if set, adds splittop options).
scenario() {
	name=$1
	shift
	$BIN/splittop --json -i 0.5 $SPLITTOP_ARGS -o $OUT/$name.json -- $BIN/dirtyvm --json "$@" \
		> $OUT/$name.out 2>&1
	say "RC $name $?"
}
# 16 regions of 2 MiB per vCPU: emulation is slow.  Lock holds are opt-in:
# asked for where test_kernel.py checks them.
HOLD="--source mmu_lock_hold=fentry"
SPLITTOP_ARGS=$HOLD scenario eager_thp --vcpus 1 --mem 32M --rounds 2
scenario eager_hugetlb --vcpus 1 --mem 32M --rounds 2 --backing hugetlb
SPLITTOP_ARGS=$HOLD scenario eager_2vcpus --vcpus 2 --mem 32M --rounds 2
scenario clear --vcpus 1 --mem 32M --rounds 2 --mode clear
SPLITTOP_ARGS=$HOLD scenario lazy --vcpus 1 --mem 32M --rounds 2 --eager-split n
SPLITTOP_ARGS="$HOLD --source fault_latency=kprobe" scenario kprobe --vcpus 1 --mem 32M --rounds 2
SPLITTOP_ARGS="--source mmu_lock_hold=none --source fault_latency=none" scenario basic --vcpus 1 --mem 32M --rounds 2
say DONE
