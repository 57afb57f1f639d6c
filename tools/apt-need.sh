# Sourced by the tools that set up what they need (the rigs, the package build):
#
#     apt_need CHECK:PACKAGE ...
#
# installs, with apt-get (through sudo when not root), the Debian PACKAGE of each CHECK that
# fails. A CHECK is a command (on PATH, or in /usr/sbin or /sbin, which a user's PATH may lack),
# an absolute path that must exist, or empty: the package itself must be installed.

apt_need() {
    local spec check need=()
    for spec in "$@"; do
        check=${spec%%:*}
        if [ -z "$check" ]; then
            dpkg-query -W -f='${Status}' "${spec##*:}" 2>/dev/null | grep -q "ok installed" \
                && continue
        elif [ "${check#/}" != "$check" ]; then
            [ -e "$check" ] && continue
        elif command -v "$check" >/dev/null 2>&1 || [ -x "/usr/sbin/$check" ] \
            || [ -x "/sbin/$check" ]; then
            continue
        fi
        need+=("${spec##*:}")
    done
    [ ${#need[@]} -gt 0 ] || return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "installing: ${need[*]}" >&2
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends -o DPkg::Lock::Timeout=300 "${need[@]}" >&2
}
