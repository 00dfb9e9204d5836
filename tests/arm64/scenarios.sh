#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The arm64 tier's scenarios, run inside the arm64 bed (tests/vm/arm64.py):
# splittop and dirtyvm, built static for arm64, over Debian's arm64 KVM.
# Each scenario leaves NAME.json (splittop's JSON lines) and NAME.out
# (dirtyvm's summary, its own arithmetic) in /share/out, and an "@@RC NAME
# N" line in results; tests/arm64/test_arm64.py checks them.
OUT=$1/out
R=$OUT/results
say() { echo "@@$*" >> $R; }

say "KERNEL $(uname -r)"
[ -c /dev/kvm ] && say "KVM yes"
splittop --list-sources > $OUT/sources.out 2>&1
say "RC sources $?"

# watched NAME DIRTYVM-ARGS...: dirtyvm under splittop, from its start.
watched() {
	name=$1
	shift
	splittop --json -i 1 -o $OUT/$name.json -- dirtyvm --json "$@" > $OUT/$name.out 2>&1
	say "RC $name $?"
}

# Eager splitting off (KVM's default on arm64) and on (the VMM's chunk of
# 2 MiB), with KVM_GET_DIRTY_LOG and with manual protection's clears.
# 64 blocks each: enough for the lazy-split finding (64 huge faults).
watched get-lazy --vcpus 2 --mem 64M --rounds 3
watched get-eager --vcpus 2 --mem 64M --rounds 3 --eager-split y
watched clear-lazy --vcpus 2 --mem 16M --rounds 3 --mode clear
watched clear-eager --vcpus 2 --mem 16M --rounds 3 --mode clear --eager-split y
# A whole life: a migration cancelled after a round, a second one, each
# followed by a pass writing all memory with logging off.
watched life-lazy --vcpus 1 --mem 16M --rounds 2 --migrations 2 --cancel-after 1 --after-pass
watched life-eager --vcpus 1 --mem 16M --rounds 2 --migrations 2 --cancel-after 1 --after-pass --eager-split y
# Two VMs in one process, each its own.
watched two-vms --vms 2 --vcpus 1 --mem 16M --rounds 2

# Attach: splittop started while dirtyvm loops (its VM made, its vCPU
# threads known only from the census), stopped after some cycles.
dirtyvm --json --loop --vcpus 2 --mem 16M --rounds 3 --name looper > $OUT/attach.out 2>&1 &
dvm=$!
sleep 3
splittop --json -i 1 -d 12 -o $OUT/attach.json -p $dvm
say "RC attach $?"
kill -INT $dvm
wait $dvm
say "RC attach-dirtyvm $?"
say DONE
