# The amd64 guest of the systemd rig (sourced by run.sh; CI runs it): two builds of the
# package (the second a newer version), the central office's package and the fleet update
# beside the station's checks, Debian's amd64 kernel unpacked (tools/rig/kernel.sh, the USB
# rig's cache) with a busybox initramfs (mkinitrd.sh), qemu-system-x86_64.

# The central office's peers (guest/central-rig.sh): the guest has no network, so what the
# admin's `apt install` would fetch is in the tree. Part of the tree's cache key.
CENTRAL_PACKAGES=postgresql,mosquitto,gammu-smsd,openssl
# shellcheck source=tools/systemd-rig/fleet.sh
. "$RIG/fleet.sh"  # the fleet update's repositories, unattended-upgrades in the guest
PACKAGES+=",$FLEET_GUEST_PACKAGES"

rig_tools() {
    apt_need qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap busybox:busybox-static \
        cpio:cpio modprobe:kmod mkfs.ext4:e2fsprogs
}

# rig_debs: WORK/old.deb, WORK/new.deb (the same tree built as the next version) and the
# central office's two. PRINTSTATION_RIG_KEEP_DEBS=1 reuses the last run's.
rig_debs() {
    if [ -n "${PRINTSTATION_RIG_KEEP_DEBS:-}" ] && [ -e "$WORK/new.deb" ]; then return 0; fi
    tools/build-deb.sh >/dev/null
    cp "dist/printstation_${version}_amd64.deb" "$WORK/old.deb"
    cp "dist/printstation-central_${version}_amd64.deb" "$WORK/central-old.deb"
    PRINTSTATION_DEB_VERSION="${version}+rig1" tools/build-deb.sh >/dev/null
    cp "dist/printstation_${version}+rig1_amd64.deb" "$WORK/new.deb"
    cp "dist/printstation-central_${version}+rig1_amd64.deb" "$WORK/central-new.deb"
}

# debootstrap can leave its /proc (and /sys) mounted in the tree (seen once on a loaded
# machine): unmounted before the tree is packed or removed.
unmount_tree() {
    for fs in dev/pts dev sys proc; do
        if mountpoint -q "$1/$fs" 2>/dev/null; then umount -l "$1/$fs"; fi
    done
}

# rig_tree: the path of the fresh Debian 12, cached as a tarball keyed on its package list.
rig_tree() {
    local tree
    tree=$CACHE/bookworm-$(echo "$PACKAGES,$CENTRAL_PACKAGES" | md5sum | cut -c1-8).tar
    if [ ! -e "$tree" ]; then
        unmount_tree "$WORK/bootstrap"
        rm -rf "$WORK/bootstrap"
        debootstrap --variant=minbase --include="$PACKAGES,$CENTRAL_PACKAGES" bookworm \
            "$WORK/bootstrap" >"$WORK/debootstrap.log"  # debootstrap's own default mirror
        unmount_tree "$WORK/bootstrap"
        rm -f "$WORK/bootstrap"/var/cache/apt/archives/*.deb  # installed: 125 MB less to copy
        tar -C "$WORK/bootstrap" -cf "$tree.tmp" . && mv "$tree.tmp" "$tree"
        rm -rf "$WORK/bootstrap"
    fi
    echo "$tree"
}

# rig_stage ROOT: the central office's part and the fleet update's into the guest's tree;
# the kernel (KERNEL) and initramfs (INITRD) it boots.
rig_stage() {
    local root=$1 lib=$1/usr/local/lib/rig kver
    # The central office's part: its two builds, its config, a station's publisher. mosquitto
    # and gammu-smsd do not start at boot: the station's part has no broker on 1883 (Debian's
    # default mosquitto would be one), and the admin's steps enable mosquitto with the office's
    # config.
    cp "$WORK/central-old.deb" "$lib/debs/central-old.deb"
    cp "$WORK/central-new.deb" "$lib/debs/central-new.deb"
    cp "$RIG/guest/central-rig.sh" "$RIG/guest/station_event.py" "$RIG/central.toml" "$lib/"
    # PostgreSQL waits too, so that the station's checks run on a guest as quiet as before.
    rm -f "$root"/etc/systemd/system/multi-user.target.wants/{mosquitto,gammu-smsd,postgresql}.service
    # debootstrap made the cluster beside the host's own PostgreSQL (one network namespace), so
    # pg_createcluster took the next free port, 5433; the guest's is alone: Debian's 5432.
    sed -i 's/^port = [0-9]*/port = 5432/' "$root"/etc/postgresql/*/main/postgresql.conf
    cp "$RIG/guest/fleet-update.sh" "$lib/" && fleet_stage "$root" "$WORK/new.deb"
    # Debian's kernel, unpacked (not installed), and a busybox initramfs for virtio and ext4.
    kver=$(kernel_version)
    [ -n "$kver" ] || { echo "no linux-image-amd64 in apt's lists (run apt-get update)" >&2; exit 1; }
    unpack_kernel "$kver"
    KERNEL=$CACHE/$kver/kern/boot/vmlinuz-$kver
    INITRD=$WORK/initrd.cpio.gz
    "$RIG/mkinitrd.sh" "$CACHE/$kver/kern" "$kver" "$INITRD"
}

# rig_qemu: the guest, its serial console on stdout. Software emulation (TCG): this CI
# machine's KVM cannot boot a stock kernel.
rig_qemu() {
    timeout 2400 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 1536 -smp 2 \
        -nodefaults -no-user-config -display none -no-reboot -serial stdio -monitor none \
        -kernel "$KERNEL" -initrd "$INITRD" \
        -append "console=ttyS0 panic=-1 loglevel=4 systemd.show_status=0" \
        -drive file="$WORK/disk.img",format=raw,if=virtio,cache=unsafe
}
