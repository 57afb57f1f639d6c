#!/usr/bin/env bash
# The central office's apt repository for the kiosks: reprepro (Debian's tool for a signed apt
# repository: it keeps one version of each package per distribution, writes Packages and the
# Release file and signs it, InRelease and Release.gpg, with the office's key). The kiosks read
# it with unattended-upgrades (docs/operations.md, "Fleet updates").
#
#   publish.sh new-key [--no-passphrase] NAME  a signing key in $GNUPGHOME (or ~/.gnupg); prints
#                                              its fingerprint. Without --no-passphrase gpg asks
#                                              for one.
#   publish.sh init DIR FINGERPRINT URL        a repository in DIR signed by that key, served at
#                                              URL; writes DIR/kiosk/ (the key and the apt
#                                              source for the kiosk image)
#   publish.sh add DIR DEB...                  publish packages (a lower version than the one
#                                              published is refused: roll back with a higher one)
#   publish.sh list DIR                        what the kiosks are offered
#
# DIR/public is what the web server serves at URL; DIR/conf and DIR/db are reprepro's own.
set -euo pipefail
CODENAME=bookworm                       # Debian 12, as Raspberry Pi OS Bookworm
ORIGIN=printstation                     # the kiosk's Origins-Pattern (config/apt) names it
ARCHITECTURES="arm64 amd64"             # the Pi (64-bit), and amd64 for the systemd rig
KEYRING=printstation-archive-keyring.gpg
KIOSK_KEYRING=/etc/apt/keyrings/$KEYRING

die() { echo "publish.sh: $*" >&2; exit 2; }
usage() { sed -n '7,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (apt install $2)"; }

new_key() {
    local protect=()
    if [ "${1:-}" = --no-passphrase ]; then protect=(--batch --passphrase ""); shift; fi
    [ $# -eq 1 ] || usage
    need gpg gnupg
    # Ed25519 (apt's gpgv in Bookworm reads it); two years, then extend it (docs/operations.md).
    gpg --quiet "${protect[@]}" --quick-generate-key "$1" ed25519 sign 2y
    gpg --with-colons --list-secret-keys "$1" | awk -F: '$1 == "fpr" { print $10; exit }'
}

init() {
    [ $# -eq 3 ] || usage
    local dir=$1 fpr=$2 url=$3
    need gpg gnupg
    need reprepro reprepro
    [[ $fpr =~ ^[0-9A-Fa-f]{40}$ ]] || die "FINGERPRINT: expected 40 hex digits, got '$fpr'"
    gpg --list-secret-keys "$fpr" >/dev/null 2>&1 || die "no secret key $fpr in ${GNUPGHOME:-~/.gnupg}"
    [[ $url =~ ^(https?|file):/ ]] || die "URL: expected http(s):// or file:/, got '$url'"
    [ ! -e "$dir/conf/distributions" ] || die "$dir is a repository already"
    mkdir -p "$dir/conf" "$dir/kiosk"
    cat >"$dir/conf/distributions" <<EOF
Origin: $ORIGIN
Label: $ORIGIN
Codename: $CODENAME
Architectures: $ARCHITECTURES
Components: main
Description: e-KTP print station packages of the central office
SignWith: $fpr
EOF
    printf 'outdir +b/public\n' >"$dir/conf/options"
    gpg --export "$fpr" >"$dir/kiosk/$KEYRING"
    # deb822: the office's key is trusted for this source only (Signed-By), not for Debian's.
    cat >"$dir/kiosk/printstation.sources" <<EOF
# /etc/apt/sources.list.d/printstation.sources: the central office's packages, signed by its key
Types: deb
URIs: $url
Suites: $CODENAME
Components: main
Signed-By: $KIOSK_KEYRING
EOF
    reprepro -b "$dir" export >/dev/null
    echo "repository in $dir (serve $dir/public at $url); for the kiosk image: $dir/kiosk/"
}

add() {
    [ $# -ge 2 ] || usage
    local dir=$1; shift
    need reprepro reprepro
    [ -e "$dir/conf/distributions" ] || die "$dir is not a repository (publish.sh init)"
    local deb
    for deb in "$@"; do
        [ -f "$deb" ] || die "$deb: no such file"
        # reprepro would skip a lower version with a warning and exit 0: say no, loudly.
        local name version published
        name=$(dpkg-deb -f "$deb" Package) version=$(dpkg-deb -f "$deb" Version)
        for published in $(reprepro -b "$dir" --list-format '${version}\n' list "$CODENAME" "$name"); do
            dpkg --compare-versions "$version" gt "$published" ||
                die "$name $version is not newer than the published $published (kiosks never go back: publish the old code as a higher version, docs/operations.md)"
        done
        reprepro -b "$dir" includedeb "$CODENAME" "$deb"
    done
    list "$dir"
}

list() {
    [ $# -eq 1 ] || usage
    need reprepro reprepro
    reprepro -b "$1" list "$CODENAME"
}

case "${1:-}" in
    new-key | init | add | list) cmd=${1//-/_}; shift; "$cmd" "$@" ;;
    *) usage ;;
esac
