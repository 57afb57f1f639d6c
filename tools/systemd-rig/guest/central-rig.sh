# The central office's package on the same guest, set up as docs/central.md ("Installing it",
# "The broker") has an office admin do it: the package installed with its dependencies
# (PostgreSQL, mosquitto and gammu-smsd are in the guest's tree: it has no network), the
# database and its owner, the shipped broker config with the office's certificate and accounts,
# the config edited, `systemctl start`. Then what systemd must do with it, and a station's event
# through the broker to an SMS in Gammu's outbox (gammu-smsd itself is not run: no modem).
# Sourced by rig-test.sh: its check, wait_for and failure count; central_checks runs it all.

CENTRAL_VENV=/opt/venvs/printstation-central
CENTRAL_SHARE=/usr/share/printstation-central
EKTP=/etc/mosquitto/ektp
CENTRAL_STATION=3271-bogor-tengah-02  # a station of the office's broker (the rig's own has none)
CENTRAL_JOB=JOB-RIG-CENTRAL-0001

central_restarts() { systemctl show -p NRestarts --value printstation-central; }
central_pid() { systemctl show -p MainPID --value printstation-central; }
# 200 from /healthz (urlopen raises on 503): broker session up, database answering, threads live.
central_healthy() {
    python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:9466/healthz", timeout=5)'
}
central_sql() { runuser -u postgres -- psql -d central -tAc "$1"; }
central_migrated() {
    local shipped
    shipped=$(ls "$CENTRAL_VENV"/lib/python3*/site-packages/central/migrations/*.sql | wc -l)
    [ "$(central_sql 'SELECT count(*) FROM schema_migrations')" = "$shipped" ] &&
        central_sql 'SELECT 1 FROM outbox LIMIT 0' >/dev/null  # Gammu's tables too
}
# outbox_has N: N rows in Gammu's outbox, each the printed SMS of the rig's job.
outbox_has() {
    [ "$(central_sql "SELECT count(*) FROM outbox")" = "$1" ] &&
        [ "$(central_sql "SELECT count(*) FROM outbox WHERE \"CreatorID\" LIKE 'ps:$CENTRAL_JOB:printed:%' AND \"TextDecoded\" LIKE '%Kecamatan Bogor Tengah%'")" = "$1" ]
}
central_own_user() {
    [ "$(awk '/^Uid:/ {print $2}' "/proc/$1/status")" = "$(id -u printstation-central)" ]
}
central_hardened() {
    grep -q '^NoNewPrivs:[[:space:]]1$' "/proc/$1/status" &&
        grep -q '^Seccomp:[[:space:]]2$' "/proc/$1/status" &&
        grep -q '^CapEff:[[:space:]]0*$' "/proc/$1/status"
}

# The office's broker (docs/central.md, "The broker"): the shipped password variant, a server
# certificate from the office's CA (here a throw-away one), the stations' password file, and the
# shipped dynamic-security accounts: the admin's password set offline, the replica's over the
# broker with mosquitto_ctrl.
central_broker() {
    local admin_pw=rig-admin-pw shipped=$CENTRAL_SHARE/mosquitto
    install -d -m 0750 -o mosquitto -g mosquitto "$EKTP"
    (
        set -e
        cd "$EKTP"
        local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
        openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -subj /CN=ektp-office-ca -days 2 \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        openssl req "${ec[@]}" -keyout server.key -out server.csr -subj /CN=localhost
        printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
            -days 2 -extfile server.ext
        mosquitto_passwd -c -b passwd-stations "$CENTRAL_STATION" rig-station-pw
        cp "$shipped/acl-stations" .
        mosquitto_ctrl dynsec init /root/dynsec-admin.json central.admin "$admin_pw"
        python3 - "$shipped/dynsec-central.json" /root/dynsec-admin.json dynsec-central.json <<'PY'
import json, sys
shipped, init, out = sys.argv[1:]
document = json.load(open(shipped))
admin = json.load(open(init))["clients"][0]
for client in document["clients"]:
    if client["username"] == "central.admin":
        client.update({key: admin[key] for key in ("password", "salt", "iterations")})
json.dump(document, open(out, "w"), indent=2)
PY
        chown mosquitto:mosquitto ./*
        chmod 0600 ./*.key
        cp "$shipped/mosquitto-password.conf" /etc/mosquitto/mosquitto.conf
    ) >/root/central-broker.log 2>&1 || return 1
    systemctl enable --now mosquitto >>/root/central-broker.log 2>&1 || return 1
    wait_for 30 sh -c "mosquitto_ctrl -h 127.0.0.1 -p 8884 --cafile $EKTP/ca.crt -u central.admin -P $admin_pw dynsec getClient central.replica-a | grep -q central-replica" || return 1
    mosquitto_ctrl -h 127.0.0.1 -p 8884 --cafile "$EKTP/ca.crt" -u central.admin -P "$admin_pw" \
        dynsec setClientPassword central.replica-a rig-replica-pw >>/root/central-broker.log 2>&1
}

central_checks() {
    local started failed_before=$failures
    started=$(date +%s)
    # 1. Install (docs/central.md, "Installing it"): apt resolves the dependencies, all in the
    # guest already (nothing to download: it has no network).
    check central_install apt-get install -y -q "$RIG/debs/central-old.deb" gammu-smsd \
        postgresql mosquitto
    # The image does not start PostgreSQL at boot (the station's part runs alone); apt's
    # install would have started it.
    systemctl enable --now postgresql >/dev/null 2>&1
    check central_user id printstation-central
    check central_conffile grep -qx /etc/printstation-central/central.toml \
        /var/lib/dpkg/info/printstation-central.conffiles
    # 2. The database and its owner: the service's user, over PostgreSQL's socket (peer).
    check central_database sh -c 'runuser -u postgres -- createuser printstation-central && runuser -u postgres -- createdb -O printstation-central central'
    # 3. The broker, then the replica's config: TLS, its account, /healthz on 9466.
    check central_broker central_broker
    cp "$EKTP/ca.crt" /etc/printstation-central/broker-ca.crt
    printf 'rig-replica-pw\n' >/etc/printstation-central/mqtt.pw
    install -m 0640 -g printstation-central "$RIG/central.toml" /etc/printstation-central/central.toml
    chgrp printstation-central /etc/printstation-central/mqtt.pw
    chmod 0640 /etc/printstation-central/mqtt.pw
    # 4. Start: returns on READY=1 (Type=notify), after ExecStartPre's migrations.
    check central_start systemctl enable --now printstation-central
    check central_healthz wait_for 60 central_healthy
    check central_migrated central_migrated
    # The unit's hardening holds in the running process: its own user, no capabilities, no new
    # privileges, the system-call filter.
    local pid
    pid=$(central_pid)
    check central_own_user central_own_user "$pid"
    check central_hardened central_hardened "$pid"
    # 5. A station's card.printed through the broker: one SMS in Gammu's outbox.
    central_sql "INSERT INTO citizen_jobs (job_id, phone, pickup_office, station) VALUES ('$CENTRAL_JOB', '+6281200000001', 'Kecamatan Bogor Tengah', '$CENTRAL_STATION')" >/dev/null
    printf 'rig-station-pw\n' >/root/station.pw
    check central_event_published "$CENTRAL_VENV/bin/python" "$RIG/station_event.py" 127.0.0.1 8883 \
        "$EKTP/ca.crt" "$CENTRAL_STATION" /root/station.pw 1 "$CENTRAL_JOB"
    check central_sms_queued wait_for 60 outbox_has 1
    # 6. SIGKILL: restarted by systemd (Restart=always), healthy again.
    local before
    before=$(central_restarts)
    systemctl kill -s KILL printstation-central
    check central_sigkill_restarted wait_for 90 sh -c "[ \$(systemctl show -p NRestarts --value printstation-central) -gt $before ] && systemctl is-active --quiet printstation-central"
    check central_healthy_again wait_for 60 central_healthy
    # 7. Upgrade to the newer build: the prerm stops the replica, the postinst starts it again
    # (ExecStartPre migrates first); still one SMS for the card.
    check central_upgrade dpkg -i "$RIG/debs/central-new.deb"
    check central_new_version sh -c '[ "$(dpkg-query -W -f="\${Version}" printstation-central)" = "$(cat '"$RIG"'/new.version)" ]'
    check central_restarted_after_upgrade systemctl is-active --quiet printstation-central
    check central_healthy_after_upgrade wait_for 60 central_healthy
    check central_sms_once outbox_has 1
    journalctl -u printstation-central -p warning -o cat --no-pager | tail -10 | sed 's/^/RIG LOG central: /'
    if [ "$failures" -gt "$failed_before" ]; then  # what the admin would look at
        { tail -20 /root/central-broker.log; journalctl -u mosquitto -u printstation-central \
            -o cat --no-pager | tail -40; } | sed 's/^/RIG LOG central: /'
    fi
    echo "RIG LOG central part: $(($(date +%s) - started)) s"
}
