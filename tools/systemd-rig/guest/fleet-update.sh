# The fleet update (issue 29; docs/operations.md, "Fleet updates"), sourced by rig-test.sh once
# the station runs the newer build (its helpers: check, wait_for, has_jobs, state_is). A rollback
# by hand to the older build, the kiosk configured for the office's repository as the docs say,
# a repository signed by another key refused, then the timers' own services update the station
# with jobs queued and a card printing: each job printed once, the allow-list keeping
# another package of the same repository where it was. The repositories: tools/systemd-rig/fleet.sh.
# The jobs are handed in by the rig's own dpkg hook (fleet-cards.sh), just before dpkg runs.
FLEET=$RIG/fleet
fleet_began=$(date +%s)
SHARE=/usr/share/printstation/apt
old_version=$(dpkg-deb -f "$RIG/debs/old.deb" Version)
new_version=$(cat "$RIG/new.version")
fleet_jobs="'JOB-2026-000006','JOB-2026-000007','JOB-2026-000008','JOB-2026-000009'"
# VERSION: dpkg's and the daemon's own (its status), once it answers.
runs_version() {
    [ "$(dpkg-query -W -f='${Version}' printstation)" = "$1" ] &&
        printstation status --json | grep -q "\"version\": \"$1\""
}
fleet_printed() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE job_id IN ($fleet_jobs) AND state = 'printed'")" = 4 ]; }
card_seconds() { sed -i "s/^seconds_per_card = .*/seconds_per_card = $1/" /etc/printstation/station.toml; }

# This guest has no network: Debian's mirror is left out (and the Recommends with it). The
# timers are stopped: the rig starts their services itself, when it wants them.
rm -f /etc/apt/sources.list /var/lib/apt/lists/*_*
systemctl stop apt-daily.timer apt-daily-upgrade.timer
# Rolling one kiosk back by hand (operations.md): the older build, with apt, over the newer one.
check fleet_rollback_by_hand apt-get install -y -q --no-install-recommends --allow-downgrades "$RIG/debs/old.deb"
check fleet_rolled_back wait_for 60 runs_version "$old_version"

# The kiosk configured as the docs say: the office's key and source, the package's policy for
# unattended-upgrades and its timers.
install -D -m 0644 "$FLEET/printstation-archive-keyring.gpg" /etc/apt/keyrings/printstation-archive-keyring.gpg
install -m 0644 "$FLEET/printstation.sources" /etc/apt/sources.list.d/
install -m 0644 "$SHARE/52printstation-unattended-upgrades" /etc/apt/apt.conf.d/
for timer in apt-daily apt-daily-upgrade; do
    install -D -m 0644 "$SHARE/$timer.timer.d/printstation.conf" "/etc/systemd/system/$timer.timer.d/printstation.conf"
done
systemctl daemon-reload
check fleet_timer sh -c 'systemctl show -p TimersCalendar --value apt-daily-upgrade.timer | grep -q "03:30:00"'
dpkg -i "$FLEET/printstation-rig-other_1.0_all.deb" >/dev/null

# Someone else's repository at the office's address: apt refuses what its key did not sign.
ln -sfn /srv/rogue /srv/printstation-apt
apt-get -o DPkg::Lock::Timeout=120 update >/tmp/rogue-update.log 2>&1
check fleet_foreign_key_refused grep -q "NO_PUBKEY\|not signed" /tmp/rogue-update.log
check fleet_foreign_not_offered sh -c '! apt-cache madison printstation | grep -q " 99 "'

# The office's repository; the lists and the package fetched as apt-daily.timer does.
ln -sfn /srv/office /srv/printstation-apt
check fleet_fetched systemctl start apt-daily.service
check fleet_offered sh -c "apt-cache policy printstation | grep -q 'Candidate: $new_version' && apt-cache policy printstation-rig-other | grep -q 'Candidate: 1.1'"

# Slow cards (60 s: the stop must come before the last of the four starts, and on a loaded
# machine dpkg took over a minute to reach it), and the rig's dpkg hook (fleet-cards.sh): just
# before dpkg runs, four jobs are handed in and the first starts; then apt-daily-upgrade.timer's
# service installs the update.
card_seconds 60
systemctl restart printstation
echo 'DPkg::Pre-Invoke { "/usr/local/lib/rig/fleet/fleet-cards.sh"; };' >/etc/apt/apt.conf.d/99rig-fleet-cards
# The clerk's web page runs too: the upgrade restarts it (postinst), not a crash (NRestarts).
check fleet_web_started systemctl start printstation-web
web_pid=$(systemctl show -p MainPID --value printstation-web)
since=$(date '+%Y-%m-%d %H:%M:%S')
systemctl start apt-daily-upgrade.service &
upgrade=$!
stopped_with() {
    journalctl -u printstation -o cat --since "$since" | grep '"stop begun"' |
        grep -o '"card_in_progress": "JOB-[^"]*"' | grep -o 'JOB-[^"]*'
}
check fleet_stop_during_card wait_for 300 stopped_with
in_progress=$(stopped_with)
# What was still queued when the stop began: the stop finishes the card printing and claims no
# other, so these stay queued until the new version starts.
queued_at_stop=$(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE job_id IN ($fleet_jobs) AND state = 'queued'")
read -r hooked queued </run/rig-fleet-cards
echo "RIG LOG the update stopped the station $(($(date +%s) - $(date -d "$since" +%s))) s after it began, with $in_progress printing and $queued_at_stop queued; at dpkg's start $hooked printing, $queued queued"
# The stop came in the middle of the fleet's cards: one of them printing, at least one behind it.
# (Which one depends on how long dpkg takes to reach the package's stop on a loaded machine.)
check fleet_jobs_queued_at_stop sh -c "echo \"$fleet_jobs\" | grep -q \"'$in_progress'\" && [ '$queued_at_stop' -ge 1 ]"
card_seconds 8  # for the new version's start: the rest print faster
wait "$upgrade"
rm /etc/apt/apt.conf.d/99rig-fleet-cards
check fleet_upgraded wait_for 60 runs_version "$new_version"
check fleet_unattended_upgrade_did_it grep -q "Packages that will be upgraded: printstation$" /var/log/unattended-upgrades/unattended-upgrades.log
check fleet_all_printed wait_for 300 fleet_printed
check fleet_card_in_progress_once sh -c "[ \"\$(sqlite3 $DB \"SELECT count(*) FROM attempts WHERE job_id = '$in_progress' AND outcome = 'printed'\")\" = 1 ]"
check fleet_nothing_twice sh -c "[ -z \"\$(sqlite3 $DB 'SELECT job_id FROM attempts GROUP BY job_id HAVING count(*) > 1')\" ]"
check fleet_no_review has_jobs needs_review 0
# The allow-list: printstation-rig-other 1.1 was offered by the same repository, and stays 1.0.
check fleet_allow_list sh -c '[ "$(dpkg-query -W -f="\${Version}" printstation-rig-other)" = 1.0 ]'
check fleet_still_enabled systemctl is-enabled --quiet printstation
check fleet_web_restarted sh -c "systemctl is-active --quiet printstation-web && [ \"\$(systemctl show -p MainPID --value printstation-web)\" != '$web_pid' ] && [ \"\$(systemctl show -p NRestarts --value printstation-web)\" = 0 ]"
sed 's/^/RIG LOG /' /var/log/unattended-upgrades/unattended-upgrades.log | tail -12
echo "RIG LOG the fleet update's checks took $(($(date +%s) - fleet_began)) s"
