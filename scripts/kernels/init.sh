#!/bin/busybox sh
# /init of the harness's initramfs (busybox, PID 1 in the guest): load the modules Debian builds as modules (virtio
# PCI, 9p, overlay; their order is in /modules.order), mount the host's root read-only over 9p with a tmpfs overlay
# so the guest can write without touching the host, then run guest.sh (from the results share, next to the
# config it reads) chrooted into it. Always powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

fail() {
  echo "NULLSPAN-GUEST: FAIL $*"
  poweroff -f
}

for m in $(cat /modules.order); do insmod "/modules/$m.ko" || fail "insmod $m"; done

mkdir -p /lower /upper /merged
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower || fail "mount 9p hostroot"
mount -t tmpfs -o size=75% upper /upper || fail "mount tmpfs"
mkdir -p /upper/up /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/up,workdir=/upper/work overlay /merged || fail "mount overlay"
mkdir -p /merged/nullspan-results
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /merged/nullspan-results || fail "mount 9p results"
for fs in proc sys dev; do mount --move "/$fs" "/merged/$fs"; done

chroot /merged /bin/bash /nullspan-results/guest.sh
echo "NULLSPAN-GUEST: DONE"
poweroff -f
