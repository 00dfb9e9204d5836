#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The real-QEMU tier's 1 GiB case, inside the bed booted with two 1 GiB pages
# (hugepagesz=1G hugepages=2): Debian's QEMU runs a 2 GiB guest backed by a
# 1 GiB hugetlbfs, whose vCPU writes 96 MiB from 1 GiB up (qemu-guest-1g.elf)
# so that KVM maps that GiB with one 1 GiB page, and live-migrates it (dirty
# bitmap) to a second QEMU on loopback, with anonymous memory, while
# splittop watches from before QEMU starts.  BIN ($1) holds splittop and the
# guest.  Results go to /run/bed/out (tests/qemu/test_qemu.py checks them).
BIN=${1:?usage: migrate1g.sh BIN-DIR}
OUT=/run/bed/out
R=$OUT/results
say() { echo "@@$*" >> $R; }

mkdir -p /dev/hugepages1G
mount -t hugetlbfs -o pagesize=1G none /dev/hugepages1G
say "HUGEPAGES_1G $(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages)"

. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
"$BIN/splittop" --json -i 0.5 -o "$OUT/1g.json" 2> "$OUT/1g.err" &
sp=$!
wait_file "$OUT/1g.json" || say "FAIL 1g: no header from splittop"
qemu-system-x86_64-microvm -M microvm -accel kvm -cpu host -m 2G -smp 1 -nographic -nodefaults \
	-kernel "$BIN/qemu-guest-1g.elf" -mem-path /dev/hugepages1G \
	-name "guest=migrant1g,debug-threads=on" -monitor "unix:/run/src1g.mon,server,nowait" \
	> "$OUT/migrant1g.qemu" 2>&1 &
src=$!
qemu-system-x86_64-microvm -M microvm -accel kvm -cpu host -m 2G -smp 1 -nographic -nodefaults \
	-kernel "$BIN/qemu-guest-1g.elf" \
	-name "guest=migrant1g-dst,debug-threads=on" -monitor "unix:/run/dst1g.mon,server,nowait" \
	-incoming tcp:127.0.0.1:4445 > "$OUT/migrant1g-dst.qemu" 2>&1 &
dst=$!
wait_mapped "$OUT/1g.json" migrant1g pages_1g 1 180 || say "FAIL 1g: the source never showed a 1 GiB mapping"
sleep 2
wait_socket /run/src1g.mon
hmp /run/src1g.mon "migrate_set_parameter downtime-limit 2000" > /dev/null
hmp /run/src1g.mon "migrate -d tcp:127.0.0.1:4445" > /dev/null
st=none
for i in $(seq 360); do
	st=$(hmp /run/src1g.mon "info migrate" | sed -n 's/^Migration status: *\([a-z-]*\).*/\1/p' | tr -d '\r')
	case "$st" in completed|failed|cancelled) break ;; esac
	sleep 0.5
done
say "MIGRATION 1g $st $(( $(date +%s) - t0 ))"
sleep 1.5
hmp /run/src1g.mon cont > /dev/null
sleep 2
hmp /run/src1g.mon quit > /dev/null
hmp /run/dst1g.mon quit > /dev/null
wait $src $dst
kill -INT $sp
wait $sp
say "RC 1g $?"
say DONE
