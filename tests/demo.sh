#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: a VM that migrates over and over (dirtyvm --loop: enable dirty
# logging, dirty-log rounds, disable, again), watched in splittop's live view.
# q (or Ctrl-C) ends both.  Without a terminal, a few seconds of CSV instead.
# On a host without /dev/kvm (or with DEMO_IN_BED=1, or KERNEL=SPEC: a
# Debian kernel to try splittop on first, tests/vm/kernels.py) the same
# script runs inside the bed (tests/vm/run: that kernel, Debian 12's by
# default, under emulation, a real KVM), on this terminal at its size.
set -u
OUT=${1:-build}
if [ "$(id -u)" != 0 ]; then echo "make demo: needs root (BPF and /dev/kvm)" >&2; exit 1; fi
# A working KVM answers KVM_GET_API_VERSION; a PVM guest's kernel may have the
# node and nothing behind it.
have_kvm() {
	python3 -c 'import fcntl, os; fcntl.ioctl(os.open("/dev/kvm", os.O_RDWR), 0xAE00)' 2>/dev/null
}
KERNEL=${KERNEL:-}
if [ -z "${SPLITTOP_BED:-}" ] && { [ -n "${DEMO_IN_BED:-}" ] || [ -n "$KERNEL" ] || ! have_kvm; }; then
	if [ -n "$KERNEL" ]; then
		echo "make demo: in the bed, on Debian's kernel '$KERNEL' under QEMU emulation (a real KVM" \
		     "with a TDP MMU); it boots in about 20 s, after a download the first time" >&2
	else
		echo "make demo: no /dev/kvm here; running it in the bed (the stock Debian kernel under QEMU" \
		     "emulation, a real KVM with a TDP MMU); it boots in about 15 s" >&2
	fi
	TTY=()
	[ -t 0 ] && [ -t 1 ] && TTY=(--tty)
	exec python3 "$(dirname "$0")/vm/run" "${TTY[@]}" --kernel "${KERNEL:-stock}" -- bash tests/demo.sh "$OUT"
fi
VCPUS=$(nproc)
[ "$VCPUS" -gt 4 ] && VCPUS=4
[ "$VCPUS" -lt 2 ] && VCPUS=2
MEM=256M
# Emulation is slow: a smaller VM keeps a cycle within a few seconds.
[ -n "${SPLITTOP_BED:-}" ] && MEM=16M
WORKLOAD=("$OUT/dirtyvm" --loop --name demo --vcpus "$VCPUS" --mem "$MEM")
if [ -t 0 ] && [ -t 1 ]; then
	exec "$OUT/splittop" -i 1 -- "${WORKLOAD[@]}"
fi
echo "make demo: no terminal for the live view; 10 s of CSV from: splittop --csv -- ${WORKLOAD[*]}" >&2
"$OUT/splittop" --csv -i 1 -d 10 -- "${WORKLOAD[@]}" 2>/dev/null
