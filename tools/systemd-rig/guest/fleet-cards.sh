#!/bin/bash
# The rig's own dpkg Pre-Invoke hook (installed by fleet-update.sh, never by the package): just
# before unattended-upgrade runs dpkg, four jobs are handed in and the first card starts, so that
# the package's stop comes with a card printing and jobs still queued, whatever the time
# unattended-upgrade took to get here (only dpkg's own time counts against the four cards).
# Once: it records the card and the queue at dpkg's start in $MARK.
MARK=/run/rig-fleet-cards
DB=/var/lib/printstation/station.db
[ -e "$MARK" ] && exit 0
for n in 6 7 8 9; do printstation submit "/usr/local/lib/rig/fleet/jobs/$n.json" >/dev/null; done
for _ in $(seq 60); do
    printing=$(sqlite3 "$DB" "SELECT job_id FROM jobs WHERE state = 'printing'")
    [ -n "$printing" ] && break
    sleep 1
done
echo "$printing $(sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE state = 'queued'")" >"$MARK"
