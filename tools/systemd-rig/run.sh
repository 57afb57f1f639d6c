#!/usr/bin/env bash
# The package on a real systemd: two builds of the package (the second a newer version),
# a fresh Debian 12 (debootstrap, cached), booted in a qemu guest with systemd as PID 1, and
# the scenario of guest/rig-test.sh. Software emulation (TCG): this CI machine's KVM cannot boot
# a stock kernel. The kernel is the USB rig's (tools/rig/kernel.sh: the version Debian's
# linux-image-amd64 points at today, one cache for both rigs). The guest's RIG lines are
# printed as they come, with a line every minute while it boots.
#
#   tools/systemd-rig/run.sh            # exit 0 when every check passed; the log in build/systemd-rig
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
RIG=$REPO/tools/systemd-rig
WORK=$REPO/build/systemd-rig
# shellcheck source=tools/rig/kernel.sh
. "$REPO/tools/rig/kernel.sh"  # kernel_version, unpack_kernel, RIG_CACHE
CACHE=$RIG_CACHE
# Python with the test kit (make test's venv), for the job files.
PYTHON=${PRINTSTATION_RIG_PYTHON:-$REPO/.venv/bin/python}
PACKAGES=systemd-sysv,udev,python3,python3-venv,adduser,sqlite3,dbus,procps,libcups2
# The central office's peers (guest/central-rig.sh): the guest has no network, so what the
# admin's `apt install` would fetch is in the tree. Part of the cache key below.
CENTRAL_PACKAGES=postgresql,mosquitto,gammu-smsd,openssl
mkdir -p "$WORK" "$CACHE"
# The fleet update's repositories, and unattended-upgrades in the guest (fleet.sh).
# shellcheck source=tools/systemd-rig/fleet.sh
. "$RIG/fleet.sh"
PACKAGES+=",$FLEET_GUEST_PACKAGES"

need=()
for tool in qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap busybox:busybox-static \
    cpio:cpio modprobe:kmod mkfs.ext4:e2fsprogs; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${tool%%:*}" ] || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Two builds: this tree's version, and the same tree as the next version (the upgrade).
# PRINTSTATION_RIG_KEEP_DEBS=1 reuses the last run's (when only the rig changed).
version=$(sed -n "1s/^printstation (\(.*\)).*/\1/p" debian/changelog)
if [ -z "${PRINTSTATION_RIG_KEEP_DEBS:-}" ] || [ ! -e "$WORK/new.deb" ]; then
    tools/build-deb.sh >/dev/null
    cp "dist/printstation_${version}_amd64.deb" "$WORK/old.deb"
    cp "dist/printstation-central_${version}_amd64.deb" "$WORK/central-old.deb"
    PRINTSTATION_DEB_VERSION="${version}+rig1" tools/build-deb.sh >/dev/null
    cp "dist/printstation_${version}+rig1_amd64.deb" "$WORK/new.deb"
    cp "dist/printstation-central_${version}+rig1_amd64.deb" "$WORK/central-new.deb"
fi

# Debian's kernel, unpacked (not installed), and a busybox initramfs for virtio and ext4.
KVER=$(kernel_version)
[ -n "$KVER" ] || { echo "no linux-image-amd64 in apt's lists (run apt-get update)" >&2; exit 1; }
unpack_kernel "$KVER"
kern=$CACHE/$KVER/kern
"$RIG/mkinitrd.sh" "$kern" "$KVER" "$WORK/initrd.cpio.gz"

# The fresh Debian 12, cached as a tarball keyed on its package list.
tree=$CACHE/bookworm-$(echo "$PACKAGES,$CENTRAL_PACKAGES" | md5sum | cut -c1-8).tar
# debootstrap can leave its /proc (and /sys) mounted in the tree (seen once on a loaded
# machine): unmounted before the tree is packed or removed.
unmount_tree() {
    for fs in dev/pts dev sys proc; do
        if mountpoint -q "$1/$fs" 2>/dev/null; then umount -l "$1/$fs"; fi
    done
}
if [ ! -e "$tree" ]; then
    unmount_tree "$WORK/bootstrap"
    rm -rf "$WORK/bootstrap"
    debootstrap --variant=minbase --include="$PACKAGES,$CENTRAL_PACKAGES" bookworm "$WORK/bootstrap" \
        >"$WORK/debootstrap.log"  # debootstrap's own default mirror
    unmount_tree "$WORK/bootstrap"
    rm -f "$WORK/bootstrap"/var/cache/apt/archives/*.deb  # installed: 125 MB less to copy
    tar -C "$WORK/bootstrap" -cf "$tree.tmp" . && mv "$tree.tmp" "$tree"
    rm -rf "$WORK/bootstrap"
fi
root=$WORK/root
rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xf "$tree"

# What the scenario needs inside the guest.
lib=$root/usr/local/lib/rig
mkdir -p "$lib/debs" "$lib/jobs"
cp "$WORK/old.deb" "$lib/debs/old.deb"
cp "$WORK/new.deb" "$lib/debs/new.deb"
echo "${version}+rig1" >"$lib/new.version"
# The central office's part: its two builds, its config, a station's publisher. mosquitto and
# gammu-smsd do not start at boot: the station's part has no broker on 1883 (Debian's default
# mosquitto would be one), and the admin's steps enable mosquitto with the office's config.
cp "$WORK/central-old.deb" "$lib/debs/central-old.deb"
cp "$WORK/central-new.deb" "$lib/debs/central-new.deb"
cp "$RIG/guest/central-rig.sh" "$RIG/guest/station_event.py" "$RIG/central.toml" "$lib/"
# PostgreSQL waits too, so that the station's checks run on a guest as quiet as before.
rm -f "$root"/etc/systemd/system/multi-user.target.wants/{mosquitto,gammu-smsd,postgresql}.service
# debootstrap made the cluster beside the host's own PostgreSQL (one network namespace), so
# pg_createcluster took the next free port, 5433; the guest's is alone: Debian's 5432.
sed -i 's/^port = [0-9]*/port = 5432/' "$root"/etc/postgresql/*/main/postgresql.conf
cp "$RIG/guest/rig-test.sh" "$RIG/station.toml" "$REPO/tests/daemon/hanging_daemon.py" "$lib/"
cp "$RIG/guest/fleet-update.sh" "$lib/" && fleet_stage "$root" "$WORK/new.deb"
"$PYTHON" - "$lib/jobs" <<'PY'
import sys
from pathlib import Path
from testkit.jobs import make_job, payload
for n in range(1, 6):
    (Path(sys.argv[1]) / f"{n}.json").write_bytes(payload(make_job(n)))
PY
cp "$RIG/guest/rig-test.service" "$root/etc/systemd/system/"
ln -sf /etc/systemd/system/rig-test.service "$root/etc/systemd/system/multi-user.target.wants/rig-test.service"
echo "rig" >"$root/etc/hostname"
# Nothing to wait for on this guest's network; the console is the serial port.
ln -sf /dev/null "$root/etc/systemd/system/systemd-networkd-wait-online.service"
rm -f "$WORK/disk.img"
mkfs.ext4 -q -F -L rig -d "$root" "$WORK/disk.img" 3G
rm -rf "$root"

started=$(date +%s)
: >"$WORK/console.log"
timeout 2400 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 1536 -smp 2 \
    -nodefaults -no-user-config -display none -no-reboot -serial stdio -monitor none \
    -kernel "$kern/boot/vmlinuz-$KVER" -initrd "$WORK/initrd.cpio.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 systemd.show_status=0" \
    -drive file="$WORK/disk.img",format=raw,if=virtio,cache=unsafe \
    </dev/null >>"$WORK/console.log" 2>&1 &
guest=$!
# The guest's progress as it comes (CI shows it live): each RIG line, and a line a minute.
(while sleep 60; do echo "guest running $(($(date +%s) - started)) s"; done) &
ticker=$!
tail --pid="$guest" -n +1 -f "$WORK/console.log" \
    | grep -a --line-buffered 'RIG ' | sed -u 's/^.*\(RIG \)/\1/' || true
wait "$guest" || true
kill "$ticker" 2>/dev/null || true
echo "guest ran $(($(date +%s) - started)) s"
grep -aq 'RIG DONE failures=0' "$WORK/console.log"
