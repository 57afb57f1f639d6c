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
from contract.vocabulary import StationState
from tests.central.test_store import NOW

BLOCKED = {
    "schema": "ektp.status/1",
    "station": "3271-bogor-barat-02",
    "state": "blocked",
    "time": "2026-11-22T09:59:00Z",
    "queue": {"queued": 5, "printing": 0, "needs_review": 1},
    "consumables": {"cards": {"remaining": 0, "capacity": 100}},
    "alerts": [{"code": "cards_empty", "severity": "error", "since": "2026-11-22T09:00:00Z"}],
}
OFFLINE = {"schema": "ektp.status/1", "station": "3273-bandung-07", "state": "offline",
           "time": "2026-11-22T09:00:00Z"}  # fmt: skip


def load(db: psycopg.Connection) -> None:
    effects = Effects(GammuOutbox(), ReminderSchedule.days())
    batch = [
        Message(f"ektp/v1/{d['station']}/status", json.dumps(d).encode())
        for d in (BLOCKED, OFFLINE)
    ]
    effects.apply(db, batch, NOW)


def test_the_table_shows_state_queue_blanks_last_seen_link_and_alerts(db) -> None:
    load(db)
    lines = table(fleet_rows(db), NOW + timedelta(seconds=40)).splitlines()
    assert lines[0].split() == [
        "station",
        "state",
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
