#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the stock-kernel test machine (tests/kernel/run.py builds the
# initramfs around it).  Everything it learns goes to the serial console as
# "@@" lines the host parses; files are dumped between @@BEGIN and @@END.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug
# tracefs is left unmounted on purpose: splittop must cope without it.
mkdir -p /tmp /run
echo "@@STEP booted $(uname -r)"
# An in-guest watchdog: never hang the host's test run.
( sleep "${WATCHDOG:-900}"; echo "@@WATCHDOG"; poweroff -f ) &

dump() {	# dump FILE: its contents between markers
	echo "@@BEGIN $1"
	cat "$1" 2>/dev/null
	echo "@@END $1"
}

grep -qw svm /proc/cpuinfo && echo "@@CPU svm"
grep -qw npt /proc/cpuinfo && echo "@@CPU npt"

# Before KVM is loaded: splittop must say so, exit 1.
/splittop --csv -c 1 >/tmp/nokvm.out 2>&1
echo "@@RC nokvm $?"
dump /tmp/nokvm.out

for m in irqbypass kvm ccp kvm-amd; do
	insmod /modules/$m.ko || echo "@@FAIL insmod $m"
done
for p in tdp_mmu eager_page_split; do
	echo "@@PARAM $p $(cat /sys/module/kvm/parameters/$p 2>/dev/null)"
done
echo "@@PARAM npt $(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"
[ -e /dev/kvm ] && echo "@@STEP kvm-loaded"

grep -E " (_raw_(read|write)_(un)?lock|kvm_mmu_page_fault|queued_(read|write)_lock_slowpath)$" /proc/kallsyms > /tmp/syms.out
dump /tmp/syms.out
/splittop --list-sources >/tmp/sources.out 2>&1
echo "@@RC sources $?"
dump /tmp/sources.out

# scenario NAME DIRTYVM-ARGS...: one traced dirtyvm run, JSON lines out
# (SPLITTOP_ARGS, if set, adds splittop options).
scenario() {
	name=$1
	shift
	echo "@@STEP scenario $name"
	/splittop --json -i 0.5 $SPLITTOP_ARGS -o /tmp/$name.json -- /dirtyvm --json "$@" >/tmp/$name.out 2>&1
	echo "@@RC $name $?"
	dump /tmp/$name.json
	dump /tmp/$name.out
}
. /scenarios.sh

dmesg | tail -20 > /tmp/dmesg.out
dump /tmp/dmesg.out
echo "@@DONE"
poweroff -f
