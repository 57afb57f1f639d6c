# The arm64 Debian 12 chroot on an amd64 machine (sourced by tools/arm64/build.sh and
# tools/arm64/test.sh): qemu user emulation through binfmt_misc, a debootstrap tree cached as a
# tarball keyed on its package list, unpacked fresh for each run and entered in a private
# mount namespace (its /proc, /dev, /sys and /dev/shm vanish with the run; nothing to unmount).
# Needs root, the Debian mirror (debootstrap) and, for the package's build, the Python package
# index. Cache: $PRINTSTATION_RIG_CACHE (default ~/.cache/printstation-rig), shared with the
# qemu rigs.

ARM64_CACHE="${PRINTSTATION_RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/printstation-rig}"
ARM64_SUITE=bookworm
# What debian/control's Build-Depends names, the compiler pycups' sdist needs, and the
# libraries the station's environment loads at run time (libusb for pyusb, libcups for pycups).
ARM64_BUILD_PACKAGES=build-essential,debhelper,dh-virtualenv,dpkg-dev,python3,python3-venv,python3-dev,libcups2-dev,libcups2,libusb-1.0-0,adduser,ca-certificates

# shellcheck source=tools/apt-need.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt-need.sh"  # apt_need

# arm64_need_root: one line saying why, then exit, when not root.
arm64_need_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    echo "tools/arm64: needs root (debootstrap, chroot, binfmt_misc); run with sudo" >&2
    exit 1
}

# arm64_binfmt: qemu-user-static and debootstrap installed, binfmt_misc mounted and Debian's
# qemu-aarch64 entry enabled (its F flag: the kernel opens the interpreter once, so the chroot
# needs no copy of it).
arm64_binfmt() {
    apt_need /usr/bin/qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support \
        debootstrap:debootstrap
    [ -e /proc/sys/fs/binfmt_misc/register ] \
        || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
    grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 || {
        echo "tools/arm64: binfmt_misc's qemu-aarch64 entry is disabled" >&2
        exit 1
    }
}

# arm64_tarball PACKAGES: the path of the cached tree holding PACKAGES (comma-separated).
arm64_tarball() {
    echo "$ARM64_CACHE/$ARM64_SUITE-arm64-$(echo "$1" | md5sum | cut -c1-8).tar"
}

# arm64_make_tree PACKAGES WORK: debootstrap the tree into a cached tarball unless it is there;
# prints the tarball's path. Its log: WORK/debootstrap.log.
arm64_make_tree() {
    local packages=$1 work=$2 tree started
    tree=$(arm64_tarball "$packages")
    if [ ! -e "$tree" ]; then
        mkdir -p "$ARM64_CACHE" "$work"
        rm -rf "$work/bootstrap"
        started=$(date +%s)
        echo "[arm64] debootstrap $ARM64_SUITE arm64 into $tree (first run: tens of minutes)" >&2
        debootstrap --arch=arm64 --variant=minbase --include="$packages" "$ARM64_SUITE" \
            "$work/bootstrap" >"$work/debootstrap.log" 2>&1 || {
            tail -20 "$work/debootstrap.log" >&2
            exit 1
        }
        tar -C "$work/bootstrap" -cf "$tree.tmp" . && mv "$tree.tmp" "$tree"
        rm -rf "$work/bootstrap"
        echo "[arm64] tree made in $(($(date +%s) - started)) s" >&2
    fi
    echo "$tree"
}

# arm64_unpack TARBALL ROOT: a fresh copy of the tree at ROOT, with the host's resolver and hosts
# file (the chroot shares the host's network; debootstrap writes no /etc/hosts, and without one
# `localhost` did not resolve in the chroot) and the host's CA bundle (the chroot trusts what the
# host trusts: a host behind a TLS-inspecting proxy has its CA there, and pip in the chroot goes
# through the same proxy).
arm64_unpack() {
    rm -rf "$2" && mkdir -p "$2" && tar -C "$2" -xf "$1"
    cp -L /etc/resolv.conf "$2/etc/resolv.conf"
    cp -L /etc/hosts "$2/etc/hosts"
    cp -L /etc/ssl/certs/ca-certificates.crt "$2/etc/ssl/certs/ca-certificates.crt"
}

# arm64_run ROOT COMMAND...: COMMAND as root in the chroot, in a mount namespace of its own,
# with a clean environment but the host's proxy settings.
arm64_run() {
    local root=$1 name pass=()
    shift
    for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
        if [ -n "${!name:-}" ]; then pass+=("$name=${!name}"); fi
    done
    unshare --mount --propagation private -- /bin/sh -euc '
        root=$1; shift
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --bind /dev "$root/dev"
        mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
        exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
    ' sh "$root" "${pass[@]}" "$@"
}

# arm64_step ROOT LOG WHAT COMMAND: the shell command COMMAND in the chroot, its output appended
# to LOG; the time it took printed as "[arm64] WHAT in N s"; on failure LOG's tail and exit.
arm64_step() {
    local root=$1 log=$2 what=$3 command=$4 started
    started=$(date +%s)
    arm64_run "$root" /bin/sh -euc "$command" >>"$log" 2>&1 || {
        tail -40 "$log" >&2
        exit 1
    }
    echo "[arm64] $what in $(($(date +%s) - started)) s" >&2
}
