#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: a VM that migrates over and over (dirtyvm --loop: enable dirty
# logging, dirty-log rounds, disable, again), watched in splittop's live view.
# q (or Ctrl-C) ends both.  Without a terminal, a few seconds of CSV instead.
set -u
OUT=${1:-build}
if [ "$(id -u)" != 0 ]; then echo "make demo: needs root (BPF and /dev/kvm)" >&2; exit 1; fi
VCPUS=$(nproc)
[ "$VCPUS" -gt 4 ] && VCPUS=4
[ "$VCPUS" -lt 2 ] && VCPUS=2
WORKLOAD=("$OUT/dirtyvm" --loop --name demo --vcpus "$VCPUS" --mem 256M)
if [ -t 0 ] && [ -t 1 ]; then
	exec "$OUT/splittop" -i 1 -- "${WORKLOAD[@]}"
fi
echo "make demo: no terminal for the live view; 10 s of CSV from: splittop --csv -- ${WORKLOAD[*]}" >&2
"$OUT/splittop" --csv -i 1 -d 10 -- "${WORKLOAD[@]}" 2>/dev/null
