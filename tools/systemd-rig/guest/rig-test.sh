#!/bin/bash
# The scenario inside the guest, with systemd as PID 1: the README's steps (install the
# package, edit the config, start), then what systemd must do with the service. Each check
# prints "RIG PASS name" or "RIG FAIL name: why"; the host counts them.
set -u
RIG=/usr/local/lib/rig
DB=/var/lib/printstation/station.db
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
failures=0

pass() { echo "RIG PASS $1"; }
fail() { echo "RIG FAIL $1: $2"; failures=$((failures + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "$*"; fi; }
# An emulated machine of another architecture is slower: its waits are this many times longer.
SLOWDOWN=$(cat "$RIG/slowdown" 2>/dev/null || echo 1)
# wait_for SECONDS COMMAND...: poll (once a second) until COMMAND succeeds.
wait_for() {
    local limit=$(($1 * SLOWDOWN)); shift
    for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
    return 1
}
jobs_in() { sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE state = '$1'"; }
has_jobs() { [ "$(jobs_in "$1")" = "$2" ]; }
restarts() { systemctl show -p NRestarts --value printstation; }
state_is() { printstation status --json | grep -q "\"state\": \"$1\""; }

echo "RIG START $(uname -r) $(uname -m)"
# 1. Install the package (the README's first step).
check install dpkg -i "$RIG/debs/old.deb"
check user id printstation
check conffile grep -qx /etc/printstation/station.toml /var/lib/dpkg/info/printstation.conffiles
# The package built for this machine (arm64 in the Pi's guest).
check architecture sh -c '[ "$(dpkg-query -W -f="\${Architecture}" printstation)" = "$(dpkg --print-architecture)" ]'
# The kiosk's environment: the station and the contract, nothing of the central office.
VENV=/opt/venvs/printstation
check kiosk_only sh -c "$VENV/bin/python -c 'import contract, controller' && [ ! -e $VENV/bin/printstation-central ] && ! $VENV/bin/python -c 'import central' 2>/dev/null"
# 2. Edit the config: a virtual printer, no GPIO on this machine, a broker that is not there.
install -m 0640 -g printstation "$RIG/station.toml" /etc/printstation/station.toml
# 3. Start: systemctl returns once the daemon sent READY (Type=notify).
check start systemctl enable --now printstation
check active systemctl is-active --quiet printstation
check status_text sh -c 'systemctl show -p StatusText --value printstation | grep -q "^state "'
systemctl status printstation --no-pager | sed 's/^/RIG LOG /'
# A card with the virtual printer.
check submit printstation submit "$RIG/jobs/1.json"
check printed wait_for 120 has_jobs printed 1
check status_live sh -c 'systemctl show -p StatusText --value printstation | grep -q "1/500 printed today"'
# SIGKILL: systemd restarts it (Restart=always) and it comes back READY.
before=$(restarts)
systemctl kill -s KILL printstation
check sigkill_restarted wait_for 60 sh -c "[ \$(systemctl show -p NRestarts --value printstation) -gt $before ] && systemctl is-active --quiet printstation"
check ready_again wait_for 60 state_is ready
# An error reaches the journal at priority err: a reload with a broken config.
cp /etc/printstation/station.toml /tmp/good.toml
echo 'this is not toml' >>/etc/printstation/station.toml
systemctl reload printstation
check journal_err wait_for 20 sh -c 'journalctl -u printstation -p err -o cat | grep -q "config reload refused"'
check not_all_err sh -c '! journalctl -u printstation -p err -o cat | grep -q "station ready"'
cp /tmp/good.toml /etc/printstation/station.toml
# systemctl stop during a card: the card is finished, not left for review.
printstation submit "$RIG/jobs/2.json" >/dev/null
check printing wait_for 60 state_is printing
check stop systemctl stop printstation
check stop_finished_card has_jobs printed 2
check stop_no_review has_jobs needs_review 0
# The watchdog: a core loop hung by the test's own daemon (the hang command is injected by
# tests/daemon/hanging_daemon.py, as in the unit tests) is killed and restarted.
mkdir -p /run/systemd/system/printstation.service.d
cat >/run/systemd/system/printstation.service.d/hang.conf <<CONF
[Service]
ExecStart=
ExecStart=/opt/venvs/printstation/bin/python $RIG/hanging_daemon.py run --config /etc/printstation/station.toml
WatchdogSec=$((10 * SLOWDOWN))
CONF
systemctl daemon-reload
check start_hanging systemctl start printstation
before=$(restarts)
/opt/venvs/printstation/bin/python -c "
from pathlib import Path
from controller.local.client import request
request(Path('/var/lib/printstation/control.sock'), 'hang')" >/dev/null 2>&1 &
check watchdog_killed wait_for 90 sh -c 'journalctl -u printstation -o cat | grep -q "Watchdog timeout"'
check watchdog_restarted wait_for 90 sh -c "[ \$(systemctl show -p NRestarts --value printstation) -gt $before ] && systemctl is-active --quiet printstation"
rm -r /run/systemd/system/printstation.service.d
systemctl daemon-reload
systemctl restart printstation
# Upgrade with jobs queued: pause, queue three, install the newer build; none is lost.
printstation pause >/dev/null
for n in 3 4 5; do printstation submit "$RIG/jobs/$n.json" >/dev/null; done
check queued has_jobs queued 3
check upgrade dpkg -i "$RIG/debs/new.deb"
check new_version sh -c '[ "$(dpkg-query -W -f="\${Version}" printstation)" = "$(cat '"$RIG"'/new.version)" ]'
check restarted_after_upgrade systemctl is-active --quiet printstation
check queue_kept has_jobs queued 3
check backup_taken sh -c 'ls /var/lib/printstation/backups/station-*.db'
check backup_has_jobs sh -c '[ "$(sqlite3 /var/lib/printstation/backups/station-*.db "SELECT count(*) FROM jobs")" = 5 ]'
# Personal data: the copy and its directory the service user's alone (issue 28).
check backup_private sh -c '[ "$(stat -c %a:%U /var/lib/printstation/backups/station-*.db)" = 600:printstation ] && [ "$(stat -c %a /var/lib/printstation/backups)" = 700 ]'
printstation resume >/dev/null
check queue_printed wait_for 300 has_jobs printed 5
# A reboot would start it: enabled by the admin, still enabled after the upgrade.
check still_enabled systemctl is-enabled --quiet printstation
# The fleet update from the office's repository (issue 29), where the host staged it (amd64).
if [ -e "$RIG/fleet-update.sh" ]; then . "$RIG/fleet-update.sh"; fi
journalctl -u printstation -p warning -o cat --no-pager | tail -20 | sed 's/^/RIG LOG /'
# The central office's package on the same systemd (guest/central-rig.sh; amd64).
if [ -e "$RIG/central-rig.sh" ]; then
    . "$RIG/central-rig.sh"
    central_checks
fi
echo "RIG DONE failures=$failures"
