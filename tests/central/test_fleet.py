"""The fleet view from retained statuses: the technicians' table and the Prometheus gauges."""

from __future__ import annotations

import json
from datetime import timedelta

import psycopg
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from central.fleet import FleetCollector, fleet_rows, table
from central.gateway import GammuOutbox
from central.sms import ReminderSchedule
from central.store import Effects, Message
from contract.clock import ManualClock
from contract.vocabulary import StationState
from controller import __version__
from controller.mqtt.retained import StatusReport
from tests.central.test_store import NOW

BLOCKED = {
    "schema": "ektp.status/1",
    "station": "3271-bogor-barat-02",
    "state": "blocked",
    "time": "2026-11-22T09:59:00Z",
    "version": "0.1.1",
    "queue": {"queued": 5, "printing": 0, "needs_review": 1},
    "consumables": {"cards": {"remaining": 0, "capacity": 100}},
    "alerts": [{"code": "cards_empty", "severity": "error", "since": "2026-11-22T09:00:00Z"}],
}
OFFLINE = {"schema": "ektp.status/1", "station": "3273-bandung-07", "state": "offline",
           "time": "2026-11-22T09:00:00Z"}  # fmt: skip


def store(db: psycopg.Connection, *payloads: bytes) -> None:
    """The retained statuses as the replicas store them."""
    effects = Effects(GammuOutbox(), ReminderSchedule.days())
    batch = [Message(f"ektp/v1/{json.loads(body)['station']}/status", body) for body in payloads]
    effects.apply(db, batch, NOW)


def load(db: psycopg.Connection) -> None:
    store(db, *(json.dumps(d).encode() for d in (BLOCKED, OFFLINE)))


def test_the_table_shows_state_version_queue_blanks_last_seen_link_and_alerts(db) -> None:
    load(db)
    lines = table(fleet_rows(db), NOW + timedelta(seconds=40)).splitlines()
    assert lines[0].split() == [
        "station",
        "state",
        "version",
        "queue",
        "blanks",
        "last",
        "seen",
        "link",
        "alerts",
    ]
    assert lines[1].split() == [
        "3271-bogor-barat-02",
        "blocked",
        "0.1.1",
        "5/0/1",
        "0",
        "40",
        "s",
        "ago",
        "up",
        "cards_empty",
    ]
    assert lines[2].split() == [
        "3273-bandung-07",
        "offline",
        "?",  # a status without its version (a station from before it sent one)
        "0/0/0",
        "?",
        "40",
        "s",
        "ago",
        "down",
        "-",
    ]


def test_the_metrics_carry_every_station(db, dsn) -> None:
    load(db)
    registry = CollectorRegistry()
    registry.register(FleetCollector(lambda: psycopg.connect(dsn)))
    text = generate_latest(registry).decode()
    assert 'printstation_station_up{station="3273-bandung-07"} 0.0' in text
    assert (
        'printstation_station_consumable_remaining{consumable="cards",'
        'station="3271-bogor-barat-02"} 0.0' in text
    )
    assert 'printstation_station_alerts{station="3271-bogor-barat-02"} 1.0' in text
    # The version as a label of an info gauge; none for a status that does not carry one.
    infos = [line for line in text.splitlines() if line.startswith("printstation_station_info{")]
    assert infos == ['printstation_station_info{station="3271-bogor-barat-02",version="0.1.1"} 1.0']
    # A timestamp, not "seconds since": the time the status arrived, whatever the scrape's.
    seen = {
        sample.labels["station"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "printstation_station_last_seen_timestamp_seconds"
        for sample in family.samples
    }
    assert seen == {"3271-bogor-barat-02": NOW.timestamp(), "3273-bandung-07": NOW.timestamp()}
    # The state is an enum: every state a series, the current one 1, the others 0.
    states = [line for line in text.splitlines() if line.startswith("printstation_station_state{")]
    assert len(states) == 2 * len(StationState)
    assert 'printstation_station_state{state="offline",station="3273-bandung-07"} 1.0' in states
    assert 'printstation_station_state{state="ready",station="3273-bandung-07"} 0.0' in states
    # An offline status has no queue: its kinds are zero, not absent.
    assert 'printstation_station_queue_jobs{kind="queued",station="3273-bandung-07"} 0.0' in text


def test_a_stored_row_that_no_longer_reads_as_a_status_is_left_out(db) -> None:
    """An earlier version stored any object with the schema and a station: such a row must not
    take the table (and the metrics' scrape) down with it."""
    load(db)
    db.execute(
        "INSERT INTO station_status (station, status, last_seen) VALUES (%s, %s, %s)",
        ("3201-bogor-09", json.dumps({"schema": "ektp.status/1", "station": "3201-bogor-09"}),
         NOW),
    )  # fmt: skip
    assert [station for station, _, _ in fleet_rows(db)] == [
        "3271-bogor-barat-02",
        "3273-bandung-07",
    ]


def test_the_table_shows_the_version_the_stations_own_status_carries(db) -> None:
    """The station's link stamps its version on every status, the Last Will too: what the
    central office stores from either, the table shows."""
    clock = ManualClock(NOW)
    online = StatusReport("3271-bogor-timur-01", lambda: {"state": "ready"}, clock,
                          coalesce_s=1.0, heartbeat_s=60.0)  # fmt: skip
    will = StatusReport("3273-bandung-07", lambda: {}, clock, coalesce_s=1.0, heartbeat_s=60.0)
    published = online.online(session=7)
    assert published is not None
    store(db, published, will.offline(session=3))
    rows = table(fleet_rows(db), NOW).splitlines()[1:]
    assert [(row.split()[0], row.split()[2]) for row in rows] == [
        ("3271-bogor-timur-01", __version__),
        ("3273-bandung-07", __version__),
    ]
