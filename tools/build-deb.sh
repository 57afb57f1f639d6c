#!/usr/bin/env bash
# Build the Debian packages from the committed tree: `make deb` (or this script) leaves
# dist/printstation_<version>_<arch>.deb (the station) and
# dist/printstation-central_<version>_<arch>.deb (the central office; one source, one version).
# A copy of the tree is built under build/deb so that dpkg-buildpackage writes nothing outside
# the repository. ARCH=arm64 on an amd64 machine (`make deb ARCH=arm64`, the Pi's packages)
# builds that copy in an arm64 Debian 12 chroot under qemu user emulation, as root
# (tools/arm64/build.sh); on a Pi with Raspberry Pi OS Bookworm plain `make deb` builds arm64.
set -euo pipefail
cd "$(dirname "$0")/.."
host=$(dpkg --print-architecture)
ARCH=${ARCH:-$host}
case $ARCH in
    "$host") ;;
    arm64) ;;
    *) echo "ARCH=$ARCH: this machine ($host) builds for $host and arm64 only" >&2; exit 2 ;;
esac
if [ "$ARCH" = "$host" ]; then  # arm64's are the build chroot's (tools/arm64/chroot.sh)
    # shellcheck source=tools/apt-need.sh
    . tools/apt-need.sh
    # pycups builds against libcups; dh-virtualenv makes its environment with Debian's venv
    apt_need dpkg-buildpackage:dpkg-dev dh:debhelper dh_virtualenv:dh-virtualenv :python3-venv \
        /usr/include/python3.11/Python.h:python3-dev /usr/include/cups/cups.h:libcups2-dev
fi
rm -rf build/deb && mkdir -p build/deb/src dist
git ls-files -z | xargs -0 cp --parents -t build/deb/src
# PRINTSTATION_DEB_VERSION=V builds the same tree as version V (the systemd rig's upgrade test).
if [ -n "${PRINTSTATION_DEB_VERSION:-}" ]; then
    log=build/deb/src/debian/changelog
    { printf 'printstation (%s) bookworm; urgency=medium\n\n  * Rebuilt as %s.\n\n -- %s  %s\n\n' \
        "$PRINTSTATION_DEB_VERSION" "$PRINTSTATION_DEB_VERSION" \
        "printstation maintainers <printstation@localhost>" "$(date -uR)"; cat "$log"; } >"$log.new"
    mv "$log.new" "$log"
    # The Python distributions too: the daemon reports this version in its status.
    find build/deb/src -name VERSION -exec sh -c 'echo "$0" >"$1"' "$PRINTSTATION_DEB_VERSION" {} \;
fi
if [ "$ARCH" = "$host" ]; then
    (cd build/deb/src && dpkg-buildpackage -us -uc -b >../build.log 2>&1) || {
        tail -40 build/deb/build.log >&2
        exit 1
    }
else
    tools/arm64/build.sh build/deb/src
fi
mv build/deb/printstation_*.deb build/deb/printstation-central_*.deb dist/
ls dist/printstation_*_"$ARCH".deb dist/printstation-central_*_"$ARCH".deb
