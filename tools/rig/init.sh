#!/bin/busybox sh
# /init of the rig's initramfs: load the USB modules, mount the host's root (read-only) and /tmp
# (read-write) over 9p, and chroot into it to run guest.sh. Built into the initramfs by rig.sh.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /mods/load.list); do insmod "/mods/$m" || echo "[rig] insmod $m failed"; done
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        rig.job=*) JOB="${arg#rig.job=}" ;;
        rig.guest=*) GUEST="${arg#rig.guest=}" ;;
    esac
done
O="trans=virtio,version=9p2000.L,msize=262144"
mount -t 9p -o "$O,ro,cache=loose" hostroot /newroot
mount -t 9p -o "$O,cache=mmap" hosttmp /newroot/tmp
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t configfs configfs /newroot/sys/kernel/config
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs tmpfs /newroot/run
mount -t tmpfs tmpfs /newroot/var/tmp
chroot /newroot /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root \
    /bin/bash "$GUEST" "$JOB"
sync
umount /newroot/tmp
poweroff -f
echo o > /proc/sysrq-trigger
