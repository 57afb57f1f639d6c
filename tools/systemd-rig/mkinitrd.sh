#!/usr/bin/env bash
# mkinitrd.sh KERNEL_TREE VERSION OUT.cpio.gz: a busybox initramfs that loads virtio and ext4
# from Debian's unpacked kernel package, mounts /dev/vda and hands over to systemd (/sbin/init).
set -euo pipefail
kern=$1 version=$2 out=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,newroot,mods}
cp /bin/busybox "$work/bin/busybox"
modules=()
for module in virtio_pci virtio_blk ext4; do
    while read -r verb path _; do
        [ "$verb" = insmod ] || continue
        name=$(basename "$path")
        if ! printf '%s\n' "${modules[@]}" | grep -qx "$name"; then
            modules+=("$name")
            cp "$path" "$work/mods/$name"
        fi
    done < <(modprobe -d "$kern" -S "$version" --show-depends "$module")
done
printf '%s\n' "${modules[@]}" >"$work/mods/load.list"
cat >"$work/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /mods/load.list); do insmod /mods/$m; done
for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
mount -t ext4 -o rw /dev/vda /newroot || { echo "rig: no root"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
INIT
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
