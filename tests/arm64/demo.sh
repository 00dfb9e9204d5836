#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make demo ARCH=arm64, inside the arm64 bed (tests/vm/arm64.py): a VM that
# migrates over and over, KVM's own eager splitting off (arm64's default),
# in splittop's live view on the console; q ends both.  Without a terminal,
# 10 s of CSV.
WORKLOAD="dirtyvm --loop --name demo --vcpus 2 --mem 16M"
if [ -e /share/tty ]; then
	exec splittop -i 1 -- $WORKLOAD
fi
splittop --csv -i 1 -d 10 -- $WORKLOAD 2>/dev/null
