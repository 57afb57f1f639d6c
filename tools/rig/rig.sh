#!/usr/bin/env bash
# The USB rig: a small qemu guest running Debian's own kernel, in which dummy_hcd connects a
# USB gadget (the virtual printer, firmware/usb_gadget.py) to the guest's own USB host side, so
# that usblp, udevd, libusb and pyusb meet a real USB printer. See docs/usb-rig.md.
#
#   tools/rig/rig.sh build                 fetch and unpack the kernel, make the initramfs (cached)
#   tools/rig/rig.sh run [options] -- CMD  boot the guest and run CMD (bash -c) inside it, as root,
#                                          in the current directory; exits with CMD's status
#     --timeout S      kill the guest after S seconds (default 600)
#     --env NAME=VAL   set NAME in CMD's environment (repeatable)
#   tools/rig/rig.sh check                 exit 0 if the rig can run here, else print why, exit 1
#
# The guest sees the host's root read-only over 9p (so it runs the host's Python and venvs) and
# the host's /tmp read-write. Cache: $PRINTSTATION_RIG_CACHE (default ~/.cache/printstation-rig),
# one directory per kernel version. Packages: see `needs` below (installed when run as root).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=tools/rig/kernel.sh
. "$HERE/kernel.sh"  # kernel_version, unpack_kernel, RIG_CACHE (shared with the systemd rig)
MODULES="virtio_pci 9pnet_virtio 9p configfs dummy_hcd libcomposite usb_f_printer usb_f_fs usblp"
needs=(qemu-system-x86 busybox-static cpio kmod libusb-1.0-0 udev util-linux)

say() { echo "[rig] $*" >&2; }

missing_tools() {
    local tool missing=()
    for tool in qemu-system-x86_64 busybox cpio depmod modprobe setpriv; do
        command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || [ -x "/sbin/$tool" ] \
            || missing+=("$tool")
    done
    [ -x /lib/systemd/systemd-udevd ] || missing+=(systemd-udevd)
    echo "${missing[@]}"
}

install_packages() {
    [ -z "$(missing_tools)" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "missing: $(missing_tools); install: apt-get install ${needs[*]}"
        return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "${needs[@]}" >&2
}

build() {
    install_packages
    local version
    version="$(kernel_version)"
    [ -n "$version" ] || { say "no linux-image-amd64 in apt's lists (run apt-get update)"; exit 1; }
    local dir="$RIG_CACHE/$version"
    if [ -f "$dir/initrd.cpio.gz" ] && [ "$dir/initrd.cpio.gz" -nt "$HERE/init.sh" ]; then
        echo "$dir"
        return
    fi
    unpack_kernel "$version"
    local root="$dir/initrd" mod path
    rm -rf "$root" && mkdir -p "$root"/{bin,mods,proc,sys,dev,newroot}
    cp "$(command -v busybox)" "$root/bin/busybox"
    : >"$root/mods/load.list"
    for mod in $MODULES; do
        # `insmod /path` lines in load order, dependencies first.
        modprobe -d "$dir/kern" -S "$version" --show-depends "$mod" | while read -r _ path _; do
            local name
            name="$(basename "$path")"
            grep -qx "$name" "$root/mods/load.list" && continue
            cp "$path" "$root/mods/$name"
            echo "$name" >>"$root/mods/load.list"
        done
    done
    cp "$HERE/init.sh" "$root/init" && chmod +x "$root/init"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.cpio.gz.new"
    mv "$dir/initrd.cpio.gz.new" "$dir/initrd.cpio.gz"
    say "built $dir ($(wc -l <"$root/mods/load.list") modules)"
    echo "$dir"
}

check() {
    local missing
    missing="$(missing_tools)"
    if [ -n "$missing" ]; then echo "missing tools: $missing"; return 1; fi
    if ! apt-cache show linux-image-amd64 >/dev/null 2>&1 \
        && [ -z "${PRINTSTATION_RIG_KERNEL:-}" ]; then
        echo "apt knows no linux-image-amd64 (no Debian package lists)"
        return 1
    fi
    return 0
}

run() {
    local timeout=600 envs=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --timeout) timeout="$2"; shift 2 ;;
            --env) envs+=("$2"); shift 2 ;;
            --) shift; break ;;
            *) say "unknown option $1"; exit 2 ;;
        esac
    done
    [ $# -gt 0 ] || { say "run: no command"; exit 2; }
    local dir version
    dir="$(build)"
    version="$(basename "$dir")"
    local job
    job="$(mktemp -d /tmp/printstation-rig.XXXXXX)"
    chmod 755 "$job"
    {
        echo "cd $(printf '%q' "$PWD")"
        for e in "${envs[@]}"; do echo "export $(printf '%q' "$e")"; done
        printf 'exec bash -c %q\n' "$*"
    } >"$job/command.sh"
    cp "$HERE/../../config/udev/60-printstation.rules" "$job/"
    local started=$SECONDS status
    set +e
    timeout "$timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 1024 -smp 2 \
        -nodefaults -no-user-config -display none -no-reboot -serial stdio -monitor none \
        -kernel "$dir/kern/boot/vmlinuz-$version" -initrd "$dir/initrd.cpio.gz" \
        -append "console=ttyS0 panic=-1 quiet loglevel=3 rig.job=$job rig.guest=$HERE/guest.sh" \
        -fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
        -device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
        -fsdev local,id=t,path=/tmp,security_model=none,multidevs=remap \
        -device virtio-9p-pci,fsdev=t,mount_tag=hosttmp </dev/null
    status=$?
    set -e
    if [ -f "$job/status" ]; then
        status="$(cat "$job/status")"
    elif [ "$status" -eq 0 ]; then
        status=125  # the guest ended without the command's status
    fi
    say "guest ran ${SECONDS}s wall in all (boot: $(cat "$job/boot_s" 2>/dev/null || echo '?')s" \
        "guest uptime to command start), status $status"
    rm -rf "$job"
    return "$status"
}

case "${1:-}" in
    build) build >/dev/null ;;
    run) shift; run "$@" ;;
    check) check ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
