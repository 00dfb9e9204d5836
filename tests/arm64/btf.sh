#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make vmlinux ARCH=arm64: the arm64 bed's kernel's BTF, in base64 (the
# share's results come back as text), for vmlinux/arm64/vmlinux.h.
base64 /sys/kernel/btf/vmlinux > "$1/out/vmlinux.b64"
