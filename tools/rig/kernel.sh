# Debian's kernel for both qemu rigs (sourced by tools/rig/rig.sh, the USB rig, and by
# tools/systemd-rig/run.sh): the version linux-image-amd64 points at in apt's lists today
# (a pinned version ages out of the mirror), unpacked once into one cache the two share,
# $PRINTSTATION_RIG_CACHE (default ~/.cache/printstation-rig), one directory per version.
# PRINTSTATION_RIG_KERNEL pins a version.

RIG_CACHE="${PRINTSTATION_RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/printstation-rig}"

kernel_version() {
    # e.g. 6.1.0-57-amd64; empty when apt knows no linux-image-amd64 (run apt-get update).
    if [ -n "${PRINTSTATION_RIG_KERNEL:-}" ]; then echo "$PRINTSTATION_RIG_KERNEL"; return; fi
    apt-cache depends linux-image-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1
}

# unpack_kernel VERSION: fetch and unpack linux-image-VERSION into $RIG_CACHE/VERSION/kern
# (once: later calls find it there), with its modules.dep.
unpack_kernel() {
    local version=$1 dir="$RIG_CACHE/$1"
    [ -f "$dir/kern/boot/vmlinuz-$version" ] && return 0
    mkdir -p "$dir"
    echo "[rig] fetching linux-image-$version into $dir" >&2
    (cd "$dir" && rm -f ./*.deb && apt-get download "linux-image-$version" >&2)
    rm -rf "$dir/kern" && mkdir -p "$dir/kern"
    dpkg-deb -x "$dir"/linux-image-"$version"_*.deb "$dir/kern"
    rm -f "$dir"/*.deb
    depmod -b "$dir/kern" "$version"  # the package ships no modules.dep
}
