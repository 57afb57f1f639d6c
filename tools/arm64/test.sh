#!/usr/bin/env bash
# `make test-fast` inside the arm64 chroot (issue 29): the suite's fast part run by the arm64
# interpreter under qemu user emulation, with arm64 builds of its peers (mosquitto, cupsd,
# gammu-smsd, promtool, chromium) and of every wheel (make's venv, made in the chroot).
# PostgreSQL is the host's on 127.0.0.1:5432 (the chroot shares the host's network), as for
# make test. The tree: the build chroot of tools/arm64/chroot.sh with the test peers added,
# cached as a tarball of its own keyed on both package lists. Times: tools/arm64/README.md.
#
#   tools/arm64/test.sh          # exit status: make test-fast's; the log in build/arm64/test.log
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
WORK=$REPO/build/arm64
# shellcheck source=tools/arm64/chroot.sh
. "$REPO/tools/arm64/chroot.sh"
# What .ci/run installs for the suite, less the qemu rigs' tools and PostgreSQL (the host's).
TEST_PACKAGES="make git openssl mosquitto e2fsprogs systemd gammu-smsd prometheus cups-daemon \
cups-client cups-ipp-utils avahi-daemon dbus chromium chromium-driver fonts-dejavu-core reprepro gnupg"
arm64_need_root
arm64_binfmt
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not accepting on 127.0.0.1:5432" >&2; exit 1; }
mkdir -p "$WORK"
base=$(arm64_make_tree "$ARM64_BUILD_PACKAGES" "$WORK")
root=$WORK/test-root
tree=$(arm64_tarball "$ARM64_BUILD_PACKAGES $TEST_PACKAGES")
if [ ! -e "$tree" ]; then
    started=$(date +%s)
    arm64_unpack "$base" "$root"
    # No service starts in the chroot (mosquitto, cupsd, avahi, dbus): the tests start their own.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    # shellcheck disable=SC2086  # the list, word by word
    arm64_run "$root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends $TEST_PACKAGES && apt-get clean" \
        >"$WORK/test-tree.log" 2>&1 || {
        tail -20 "$WORK/test-tree.log" >&2
        exit 1
    }
    tar -C "$root" -cf "$tree.tmp" . && mv "$tree.tmp" "$tree"
    echo "[arm64] test tree made in $(($(date +%s) - started)) s" >&2
fi
arm64_unpack "$tree" "$root"
mkdir -p "$root/build/src"
git ls-files -z | xargs -0 cp --parents -t "$root/build/src"

: >"$WORK/test.log"
arm64_step "$root" "$WORK/test.log" "venv made" 'cd /build/src && make .venv/bin/.installed'
started=$(date +%s)
status=0
arm64_run "$root" /bin/sh -c 'cd /build/src && make test-fast' >>"$WORK/test.log" 2>&1 || status=$?
echo "[arm64] make test-fast ran $(($(date +%s) - started)) s, exit status $status" >&2
grep -E '^(FAILED|ERROR) |^=+ .* in [0-9.]+s' "$WORK/test.log" >&2 || true
rm -rf "$root"
exit "$status"
