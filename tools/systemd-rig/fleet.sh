# The fleet update's part of the systemd rig (issue 29), sourced by run.sh: what the guest's
# guest/fleet-update.sh needs, made on the host with the office's own tool
# (tools/apt-repo/publish.sh) and a signing key made for this run:
#   /srv/office   the office's repository: the newer build, and printstation-rig-other 1.1
#                 (an upgrade the kiosk's allow-list must leave alone)
#   /srv/rogue    a repository signed by another key, offering a printstation 99 (refused)
#   $RIG_LIB/fleet/  the kiosk's key and apt source (publish.sh's kiosk/), printstation-rig-other
#                 1.0 (installed first), the jobs queued across the update and the rig's dpkg
#                 hook that hands them in (guest/fleet-cards.sh).

# unattended-upgrades and what it pulls, in the guest's debootstrap tree.
FLEET_GUEST_PACKAGES=unattended-upgrades
FLEET_URL=file:/srv/printstation-apt  # a symlink in the guest: to the rogue, then the office

# fleet_dummy_deb DIR NAME VERSION: an empty package, made with dpkg-deb alone (seconds).
fleet_dummy_deb() {
    local tree
    tree=$(mktemp -d)
    mkdir -p "$tree/DEBIAN"
    printf '%s\n' "Package: $2" "Version: $3" "Architecture: all" "Section: misc" \
        "Priority: optional" "Maintainer: printstation rig <rig@localhost>" \
        "Description: an empty package of the systemd rig's fleet update" >"$tree/DEBIAN/control"
    dpkg-deb --build --root-owner-group "$tree" "$1/$2_$3_all.deb" >/dev/null
    rm -rf "$tree"
}

# fleet_stage ROOT NEW_DEB: the repositories into the guest's tree ROOT, the rest beside the rig's
# scenario in ROOT/usr/local/lib/rig/fleet.
fleet_stage() (
    set -euo pipefail
    local root=$1 new_deb=$2 work=$WORK/fleet publish=$REPO/tools/apt-repo/publish.sh
    apt_need reprepro:reprepro gpg:gnupg
    rm -rf "$work" && mkdir -p "$work/debs" "$work/gnupg" && chmod 700 "$work/gnupg"
    export GNUPGHOME=$work/gnupg
    fleet_dummy_deb "$work/debs" printstation-rig-other 1.0
    fleet_dummy_deb "$work/debs" printstation-rig-other 1.1
    fleet_dummy_deb "$work/debs" printstation 99
    local office rogue
    office=$("$publish" new-key --no-passphrase "printstation office (rig) <office@rig>" 2>/dev/null)
    rogue=$("$publish" new-key --no-passphrase "not the office (rig) <rogue@rig>" 2>/dev/null)
    "$publish" init "$work/office" "$office" "$FLEET_URL" >/dev/null
    "$publish" add "$work/office" "$new_deb" "$work/debs/printstation-rig-other_1.1_all.deb" >/dev/null
    "$publish" init "$work/rogue" "$rogue" "$FLEET_URL" >/dev/null
    "$publish" add "$work/rogue" "$work/debs/printstation_99_all.deb" >/dev/null
    mkdir -p "$root/srv" "$root/usr/local/lib/rig/fleet/jobs"
    cp -r "$work/office/public" "$root/srv/office"
    cp -r "$work/rogue/public" "$root/srv/rogue"
    chmod -R a+rX "$root/srv/office" "$root/srv/rogue"  # apt reads them as _apt
    cp "$work/office/kiosk/"* "$work/debs/printstation-rig-other_1.0_all.deb" \
        "$REPO/tools/systemd-rig/guest/fleet-cards.sh" "$root/usr/local/lib/rig/fleet/"
    "$PYTHON" - "$root/usr/local/lib/rig/fleet/jobs" <<'PY'
import sys
from pathlib import Path
from testkit.jobs import make_job, payload
for n in range(6, 10):
    (Path(sys.argv[1]) / f"{n}.json").write_bytes(payload(make_job(n)))
PY
    gpgconf --kill gpg-agent  # new-key started one for this run's keyring
)
