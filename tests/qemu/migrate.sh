#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The real-QEMU tier, run inside the bed (tests/vm): Debian's QEMU live-
# migrates a busy guest (tests/qemu/guest.S, hugetlbfs-backed) to a second
# QEMU on loopback while splittop watches, started before QEMU or 4 s after
# it (its vCPUs already in the guest), with QEMU's dirty bitmap (manual
# protect, initially set) and with its dirty ring.  BIN ($1) holds splittop
# and qemu-guest.elf.  Results go to /run/bed/out: "@@" lines in results,
# each run's JSON lines and the live view's screens; tests/qemu/test_qemu.py
# checks them.
BIN=${1:?usage: migrate.sh BIN-DIR}
OUT=/run/bed/out
R=$OUT/results
say() { echo "@@$*" >> $R; }

ip link set lo up
mkdir -p /dev/hugepages
mount -t hugetlbfs none /dev/hugepages
# Two 160 MiB guests in 2 MiB pages.
echo 200 > /proc/sys/vm/nr_hugepages
say "HUGEPAGES $(cat /proc/sys/vm/nr_hugepages)"

# qemu NAME MONITOR ACCEL [ARG...]: one QEMU in the background: Debian's
# build for the microvm machine (QEMU 7.2 all the same: KVM, dirty logging
# and live migration are its common code), booting the guest's PVH entry
# with qboot.  Not the pc/q35 machines with SeaBIOS: under this double
# emulation SeaBIOS did not reach the guest in 1 of 16 starts (a vCPU
# left looping in real mode, 2 vCPUs; 2026-12-01), the guest then never
# wrote, and CI waited 600 s for its huge mappings.  One vCPU: the guest
# runs on one.
# Every QEMU here has one fixed -uuid (libvirt gives a migration's source and
# destination the domain's uuid alike) and a libvirt-style -name guest=...:
# test_qemu_identities_in_the_json wants both in splittop's JSON.
QEMU_UUID=6b0f3c52-9d1e-4c7a-8f25-3e9a1d7b4c60
qemu() {
	name=$1 mon=$2 accel=$3
	shift 3
	qemu-system-x86_64-microvm -M microvm -accel "$accel" -cpu host -m 160M -smp 1 -nographic -nodefaults \
		-kernel "$BIN/qemu-guest.elf" -mem-path /dev/hugepages \
		-name "guest=$name,debug-threads=on" -uuid "$QEMU_UUID" -monitor "unix:$mon,server,nowait" "$@" \
		> "$OUT/$name.$run.qemu" 2>&1 &
}

. "$(dirname "$0")/lib.sh"

# splittop_start WHEN: JSON lines to $run-WHEN.json.
splittop_start() {
	"$BIN/splittop" --json -i 0.5 -o "$OUT/$run-$1.json" 2> "$OUT/$run-$1.err" &
	eval "sp_$1=\$!"
	wait_file "$OUT/$run-$1.json" || say "FAIL $run-$1: no header from splittop"
}

# migration RUN ACCEL LIVE(0|1) KILL(0|1): one live migration watched by two splittops,
# one started before QEMU and one 4 s after it (its vCPUs then already in the
# guest, with no KVM_RUN left to see); with LIVE, also the live view in tmux,
# whose screens are kept while the migration runs.  The source is resumed
# after it: QEMU stops logging only once the source runs again.  With KILL,
# the source ends by SIGKILL instead of quit.
migration() {
	run=$1 accel=$2 live=$3 kill=$4
	t0=$(date +%s)
	rm -f /run/src.mon /run/dst.mon
	splittop_start before
	if [ "$live" = 1 ]; then
		tmux new-session -d -s view -x 120 -y 30 "$BIN/splittop -i 0.5 --no-color"
	fi
	qemu migrant /run/src.mon "$accel"
	src=$!
	qemu migrant-dst /run/dst.mon "$accel" -incoming tcp:127.0.0.1:4444
	dst=$!
	# The guest writes its memory, which KVM maps with 2 MiB pages: wait
	# until splittop shows it (emulation makes the start slow, and uneven:
	# CI runs took over 120 s, and once over 300 s, for the second guest of
	# the boot).  If it never does, say what splittop showed instead.
	if ! wait_mapped "$OUT/$run-before.json" migrant pages_2m 40 600; then
		say "FAIL $run: the guest never showed 40 pages of 2 MiB; last seen: $(last_seen "$OUT/$run-before.json")"
	fi
	sleep 2
	splittop_start after
	sleep 1
	wait_socket /run/src.mon
	hmp /run/src.mon "migrate_set_parameter downtime-limit 2000" > /dev/null
	hmp /run/src.mon "migrate -d tcp:127.0.0.1:4444" > /dev/null
	st=none
	for i in $(seq 240); do
		st=$(hmp /run/src.mon "info migrate" | sed -n 's/^Migration status: *\([a-z-]*\).*/\1/p' | tr -d '\r')
		if [ "$live" = 1 ]; then
			{ echo "=== screen $i"; tmux capture-pane -p -t view; } >> "$OUT/$run.screens"
		fi
		case "$st" in completed|failed|cancelled) break ;; esac
		sleep 0.5
	done
	say "MIGRATION $run $st $(( $(date +%s) - t0 ))"
	# QEMU's own figures of it (dirty sync count, pages sent), for the test
	# to hold splittop's rounds against.
	hmp /run/src.mon "info migrate" > "$OUT/$run.info"
	sleep 1.5	# samples of the source paused after the migration
	# QEMU stops logging only once the paused source runs again.
	hmp /run/src.mon cont > /dev/null
	sleep 2
	[ "$live" = 1 ] && tmux kill-server
	# The source quits, or (KILL) is killed as an operator or the OOM
	# killer does: the VM's mappings then go in the exit of QEMU's last
	# thread, most often its vCPU's, whose zaps are no fault's.
	if [ "$kill" = 1 ]; then
		kill -9 $src
	else
		hmp /run/src.mon quit > /dev/null
	fi
	hmp /run/dst.mon quit > /dev/null
	wait $src $dst
	kill -INT $sp_before $sp_after
	wait $sp_before
	say "RC $run-before $?"
	wait $sp_after
	say "RC $run-after $?"
	say "TIME $run $(( $(date +%s) - t0 ))"
}

# slow: a migration that cannot converge.  The copy is capped at 8 MiB/s
# while the guest dirties its 96 MiB faster (each round's dirty set about
# all of it), so no round's set fits a downtime of 300 ms at that rate.
# (HMP reads a bare number as MiB/s: "8388608" set no cap at all, and on
# 6.1 the copy, bound by the bed's emulation only, kept about even with the
# guest: splittop rightly said converging, 15 rounds in, 2026-12-07.)  splittop, watching, must call it not converging while it runs;
# then the migration is cancelled (the source runs on, logging off).
slow_migration() {
	run=slow
	t0=$(date +%s)
	rm -f /run/src.mon
	splittop_start before
	qemu migrant /run/src.mon kvm
	src=$!
	if ! wait_mapped "$OUT/$run-before.json" migrant pages_2m 40 600; then
		say "FAIL $run: the guest never showed 40 pages of 2 MiB; last seen: $(last_seen "$OUT/$run-before.json")"
	fi
	wait_socket /run/src.mon
	hmp /run/src.mon "migrate_set_parameter max-bandwidth 8M" > /dev/null
	hmp /run/src.mon "migrate_set_parameter downtime-limit 300" > /dev/null
	# Nobody listens: QEMU's exec: target takes what it sends and drops it.
	hmp /run/src.mon "migrate -d exec:cat>/dev/null" > /dev/null
	verdict=$(wait_verdict "$OUT/$run-before.json" migrant 240)
	say "VERDICT $run $verdict $(( $(date +%s) - t0 ))"
	hmp /run/src.mon "info migrate" > "$OUT/$run.info"
	hmp /run/src.mon "migrate_cancel" > /dev/null
	for i in $(seq 60); do
		st=$(hmp /run/src.mon "info migrate" | sed -n 's/^Migration status: *\([a-z-]*\).*/\1/p' | tr -d '\r')
		case "$st" in cancelled|failed|completed) break ;; esac
		sleep 0.5
	done
	say "MIGRATION $run $st $(( $(date +%s) - t0 ))"
	sleep 2		# a sample with logging off
	hmp /run/src.mon quit > /dev/null
	wait $src
	kill -INT $sp_before
	wait $sp_before
	say "RC $run-before $?"
}

migration bitmap kvm 1 0
migration ring kvm,dirty-ring-size=4096 0 1
slow_migration
say DONE
