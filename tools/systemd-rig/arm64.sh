# The arm64 guest of the systemd rig (sourced by run.sh arm64; make systemd-rig-arm64, part of
# make test-arm64, not of CI): the Pi's package (make deb ARCH=arm64) on an emulated arm64
# machine: qemu-system-aarch64's `virt` board with a Cortex-A72 (the Pi 4's core), Debian 12
# arm64 from debootstrap with Debian's arm64 kernel and its own initramfs installed in the tree
# (the host's apt knows no arm64 package), systemd as PID 1. The station's checks only: the
# central office runs on the office's amd64 machine, and the fleet update's repository and
# unattended-upgrades do not depend on the architecture (the amd64 guest proves them).

# shellcheck source=tools/arm64/chroot.sh
. "$REPO/tools/arm64/chroot.sh"  # arm64_need_root, arm64_binfmt, arm64_make_tree
PACKAGES+=",linux-image-arm64"
# Software emulation of another architecture: the guest is several times slower than the amd64
# one, so the scenario's waits are longer by this factor (guest/rig-test.sh reads it).
RIG_SLOWDOWN=4

rig_tools() {
    arm64_need_root
    arm64_binfmt  # debootstrap runs the tree's arm64 maintainer scripts through qemu-user
    apt_need qemu-system-aarch64:qemu-system-arm mkfs.ext4:e2fsprogs
}

# rig_debs: WORK/old.deb, the Pi's package (PRINTSTATION_RIG_DEB, e.g. the one make test-arm64
# built from a clean clone; else built now with make deb ARCH=arm64), and WORK/new.deb, the
# same package as the next version (rig_next_version): a second build under emulation would
# cost another 7-25 minutes, and the upgrade's checks are of the maintainer scripts and the
# daemon's restart, not of changed code (the amd64 guest upgrades between two real builds).
rig_debs() {
    if [ -n "${PRINTSTATION_RIG_DEB:-}" ]; then
        cp "$PRINTSTATION_RIG_DEB" "$WORK/old.deb"
    else
        ARCH=arm64 tools/build-deb.sh >/dev/null
        cp "dist/printstation_${version}_arm64.deb" "$WORK/old.deb"
    fi
    rig_next_version "$WORK/old.deb" "${version}+rig1" "$WORK/new.deb"
}

# rig_next_version DEB VERSION OUT: DEB unpacked and packed again as VERSION: the control
# file's Version, the project's distributions' metadata (the daemon reports its version from
# them) and the md5sums of what changed.
rig_next_version() {
    local tree
    tree=$(mktemp -d)
    dpkg-deb -R "$1" "$tree"
    sed -i "s/^Version: .*/Version: $2/" "$tree/DEBIAN/control"
    find "$tree/opt/venvs/printstation" -path '*/site-packages/printstation*.dist-info/METADATA' \
        -exec sed -i "s/^Version: .*/Version: $2/" {} +
    (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
        | xargs -0 md5sum >DEBIAN/md5sums)
    dpkg-deb --build --root-owner-group "$tree" "$3" >/dev/null
    rm -rf "$tree"
}

# rig_tree: the path of the arm64 Debian 12 with the kernel, cached (tools/arm64/chroot.sh).
rig_tree() {
    arm64_make_tree "$PACKAGES" "$WORK"
}

# rig_stage ROOT: the kernel (KERNEL) and initramfs (INITRD) the tree's own kernel package
# installed, copied out before the tree becomes the disk.
rig_stage() {
    KERNEL=$WORK/vmlinuz
    INITRD=$WORK/initrd.img
    cp "$(ls "$1"/boot/vmlinuz-* | sort -V | tail -1)" "$KERNEL"
    cp "$(ls "$1"/boot/initrd.img-* | sort -V | tail -1)" "$INITRD"
    echo "$RIG_SLOWDOWN" >"$1/usr/local/lib/rig/slowdown"
}

# rig_qemu: the guest, its serial console (the PL011, ttyAMA0) on stdout; the kernel booted
# directly (no firmware), the root file system found by Debian's initramfs.
rig_qemu() {
    timeout 5400 qemu-system-aarch64 -machine virt -accel tcg,thread=multi -cpu cortex-a72 \
        -m 1536 -smp 2 -nodefaults -no-user-config -display none -no-reboot -serial stdio \
        -monitor none -kernel "$KERNEL" -initrd "$INITRD" \
        -append "console=ttyAMA0 root=/dev/vda rw panic=-1 loglevel=4 systemd.show_status=0" \
        -drive file="$WORK/disk.img",format=raw,if=virtio,cache=unsafe \
        -device virtio-rng-pci
}
