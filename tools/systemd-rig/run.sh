#!/usr/bin/env bash
# The package on a real systemd: a fresh Debian 12 (debootstrap, cached) booted in a qemu guest
# with systemd as PID 1, the package installed, and the scenario of guest/rig-test.sh. What
# differs by architecture is in amd64.sh (CI: two builds, the central office's package and the
# fleet update too) and arm64.sh (the Pi's package on an emulated arm64 machine). The kernel
# for amd64 is the USB rig's (tools/rig/kernel.sh: the version Debian's linux-image-amd64 points
# at today, one cache for both rigs). The guest's RIG lines are printed as they come, with a
# line every minute while it runs.
#
#   tools/systemd-rig/run.sh          # amd64: exit 0 when every check passed; log in build/systemd-rig
#   tools/systemd-rig/run.sh arm64    # the Pi's package; log in build/systemd-rig-arm64
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
RIG=$REPO/tools/systemd-rig
ARCH=${1:-amd64}
case $ARCH in
    amd64) WORK=$REPO/build/systemd-rig ;;
    arm64) WORK=$REPO/build/systemd-rig-arm64 ;;
    *) echo "tools/systemd-rig/run.sh: no guest for $ARCH (amd64 or arm64)" >&2; exit 2 ;;
esac
# shellcheck source=tools/rig/kernel.sh
. "$REPO/tools/rig/kernel.sh"  # kernel_version, unpack_kernel, RIG_CACHE
# shellcheck source=tools/apt-need.sh
. "$REPO/tools/apt-need.sh"  # apt_need
CACHE=$RIG_CACHE
# Python with the test kit (make test's venv), for the job files.
PYTHON=${PRINTSTATION_RIG_PYTHON:-$REPO/.venv/bin/python}
PACKAGES=systemd-sysv,udev,python3,python3-venv,adduser,sqlite3,dbus,procps,libcups2
version=$(sed -n "1s/^printstation (\(.*\)).*/\1/p" debian/changelog)
mkdir -p "$WORK" "$CACHE"
# rig_tools, rig_debs, rig_tree, rig_stage ROOT (sets KERNEL and INITRD), rig_qemu
# shellcheck source=tools/systemd-rig/amd64.sh
. "$RIG/$ARCH.sh"
rig_tools
rig_debs
tree=$(rig_tree)
root=$WORK/root
rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xf "$tree"

# What the scenario needs inside the guest.
lib=$root/usr/local/lib/rig
mkdir -p "$lib/debs" "$lib/jobs"
cp "$WORK/old.deb" "$lib/debs/old.deb"
cp "$WORK/new.deb" "$lib/debs/new.deb"
echo "${version}+rig1" >"$lib/new.version"
cp "$RIG/guest/rig-test.sh" "$RIG/station.toml" "$REPO/tests/daemon/hanging_daemon.py" "$lib/"
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
rig_stage "$root"
rm -f "$WORK/disk.img"
mkfs.ext4 -q -F -L rig -d "$root" "$WORK/disk.img" 3G
rm -rf "$root"

started=$(date +%s)
: >"$WORK/console.log"
rig_qemu </dev/null >>"$WORK/console.log" 2>&1 &
guest=$!
# shellcheck source=tools/systemd-rig/follow.sh
. "$RIG/follow.sh"
follow_guest "$guest" "$WORK/console.log"
wait "$guest" || true
echo "guest ran $(($(date +%s) - started)) s"
grep -aq 'RIG DONE failures=0' "$WORK/console.log"
