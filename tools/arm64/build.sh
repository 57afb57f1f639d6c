#!/usr/bin/env bash
# The Debian packages for the Pi (arm64) on an amd64 machine: `make deb ARCH=arm64`
# (tools/build-deb.sh copies the tree to build/deb/src and calls this). The source is built
# with dpkg-buildpackage in a Debian 12 arm64 chroot under qemu user emulation
# (tools/arm64/chroot.sh: debootstrap, cached), so dh-virtualenv's pip fetches the arm64
# wheels (Pillow, lgpio, cryptography, psycopg) and compiles pycups against arm64 libcups.
# Then, still in the chroot, both packages are installed with dpkg and their environments
# load their compiled modules on arm64 (tools/arm64/imports.py), and tools/debcheck.py checks
# the architecture of every ELF file in them. Leaves the .debs in SRC/.. as dpkg-buildpackage
# does; the log is build/arm64/build.log. Times on the 2-core CI machine: tools/arm64/README.md.
#
#   tools/arm64/build.sh build/deb/src
set -euo pipefail
src=$(realpath "$1")
cd "$(dirname "$0")/../.."
REPO=$PWD
WORK=$REPO/build/arm64
# shellcheck source=tools/arm64/chroot.sh
. "$REPO/tools/arm64/chroot.sh"
arm64_need_root
arm64_binfmt
mkdir -p "$WORK"
tree=$(arm64_make_tree "$ARM64_BUILD_PACKAGES" "$WORK")
root=$WORK/root
arm64_unpack "$tree" "$root"
mkdir -p "$root/build"
cp -a "$src" "$root/build/src"
cp "$REPO/tools/arm64/imports.py" "$root/build/"
: >"$WORK/build.log"

arm64_step "$root" "$WORK/build.log" "packages built" 'cd /build/src && dpkg-buildpackage -us -uc -b'
# Installed as on a kiosk, and every compiled module loaded by the arm64 interpreter.
arm64_step "$root" "$WORK/build.log" "installed and imported" '
    dpkg -i /build/printstation_*_arm64.deb /build/printstation-central_*_arm64.deb
    /opt/venvs/printstation/bin/python /build/imports.py printstation
    /opt/venvs/printstation-central/bin/python /build/imports.py printstation-central'
python3 -m tools.debcheck --arch arm64 "$root"/build/printstation_*_arm64.deb \
    "$root"/build/printstation-central_*_arm64.deb
mv "$root"/build/printstation_*_arm64.deb "$root"/build/printstation-central_*_arm64.deb \
    "$src/.."
rm -rf "$root"
