#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the bed (tests/vm/bed.py builds the initramfs around it): the host's
# own root filesystem, read-only over 9p under a tmpfs overlay, then the job's
# command in it.  The host's temporary directory is exported as "bed": it holds
# the job (job, cmd.sh) and takes back stdout, stderr and rc.  Progress goes to
# the serial console as "@@" lines.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "@@STEP booted $(uname -r)"
fail() {
	echo "@@FAIL $*"
	poweroff -f
}
# In load order, as tests/vm/kernels.py found it in this kernel's modules.
for m in $(cat /modules/base.list); do
	insmod /modules/$m.ko || fail "insmod $m"
done
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $opts,ro,cache=loose hostroot /host || fail "mount hostroot"
mount -t 9p -o $opts bed /bed || fail "mount bed"
. /bed/job
# Never hang the host: power off before its own timeout.
( sleep "$BED_WATCHDOG"; echo "@@WATCHDOG"; poweroff -f ) &

if [ -n "$BED_LOAD_KVM" ]; then
	for m in $(cat /modules/kvm.list); do
		if [ "$m" = kvm ]; then
			insmod /modules/kvm.ko $BED_KVM_PARAMS || fail "insmod kvm $BED_KVM_PARAMS"
		else
			insmod /modules/$m.ko || fail "insmod $m"
		fi
	done
	[ -e /dev/kvm ] || fail "no /dev/kvm"
	echo "@@STEP kvm tdp_mmu=$(cat /sys/module/kvm/parameters/tdp_mmu) eager_page_split=$(cat /sys/module/kvm/parameters/eager_page_split)"
fi

# Loopback, as any machine has it (splittop --listen and Prometheus talk over it).
ip link set lo up || fail "ip link set lo up"

mount -t tmpfs -o size=75% ovl /ovl || fail "mount tmpfs"
mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work /newroot || fail "mount overlay"
# Fresh kernel filesystems: 9p's view of the host's /proc and /sys is the host's.
n=/newroot
mount -t proc proc $n/proc || fail "mount proc"
mount -t sysfs sys $n/sys || fail "mount sysfs"
mount -t devtmpfs dev $n/dev || fail "mount devtmpfs"
mkdir -p $n/dev/pts $n/dev/shm
# A devpts of its own (tmux needs one that works).
mount -t devpts -o newinstance,ptmxmode=0666 devpts $n/dev/pts || fail "mount devpts"
ln -sf pts/ptmx $n/dev/ptmx
mount -t tmpfs shm $n/dev/shm
mount -t tmpfs run $n/run
mount -t debugfs debugfs $n/sys/kernel/debug
mkdir -p $n/run/bed $n/run/bed-modules
mount --bind /bed $n/run/bed
mount --bind /modules $n/run/bed-modules
echo "@@STEP run"
if [ -n "$BED_TTY" ]; then
	set -- $BED_TTY
	stty -F /dev/ttyS0 cols "$1" rows "$2"
	chroot $n /usr/bin/setsid --ctty --wait /bin/sh /run/bed/cmd.sh </dev/ttyS0 >/dev/ttyS0 2>&1
else
	chroot $n /bin/sh /run/bed/cmd.sh </dev/null >/bed/stdout 2>/bed/stderr
fi
echo $? > /bed/rc
echo "@@STEP done $(cat /bed/rc)"
sync
poweroff -f
