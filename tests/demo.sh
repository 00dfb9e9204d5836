#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: a VM that migrates over and over (dirtyvm --loop), watched by
# splittop, a few key columns per second.  Ctrl-C ends both; splittop then
# writes the run's total row.
set -u
OUT=${1:-build}
if [ "$(id -u)" != 0 ]; then echo "make demo: needs root (BPF and /dev/kvm)" >&2; exit 1; fi
echo "splittop watching 'dirtyvm --loop --name demo --vcpus 2 --mem 256M' (Ctrl-C to stop)" >&2
# splittop's CSV goes to fd 3; dirtyvm's own chatter is dropped.
"$OUT/splittop" -i 1 -o /dev/fd/3 -- "$OUT/dirtyvm" --loop --name demo --vcpus 2 --mem 256M \
	3>&1 >/dev/null | awk -F, '{ printf "%-8s %-6s %-5s %10s %8s %10s %10s %10s %8s %8s\n",
		$3, $5, $8, $14, $17, $18, $19, $21, $29, $34; fflush() }'
