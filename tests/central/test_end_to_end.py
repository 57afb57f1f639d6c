"""End to end with real parts: the station daemon with its virtual printer, mosquitto, two
replicas of the central service, PostgreSQL and gammu-smsd with its dummy phone.

While the cards print: a member of the share group that takes events and drops them (as a
broker that loses what it acknowledged), so the central office sees gaps and asks for `replay`;
the station killed mid-card (its review resolved `printed` by a person); a replica killed
mid-stream and started again; the broker killed and started again; and at the end a replay of
every event, so each arrives at least twice. Every printed card must yield exactly one SMS in
Gammu's sentitems.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central.consumer import ConsumerSettings
from testkit.broker import Broker
from testkit.central import CentralReplica
from testkit.jobs import make_job, payload
from testkit.station_process import STATION, StationProcess, StationSettings
from testkit.waiting import wait_until
from tests.central.conftest import add_citizen, sentitems, wait_sent, wait_station_subscribed

pytestmark = pytest.mark.slow
JOBS = 10
BASE = f"ektp/v1/{STATION}"


class Thief:
    """A member of the central share group that acknowledges events and throws them away."""

    def __init__(self, port: int) -> None:
        self.taken: list[int] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, "thief", protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.taken.append(json.loads(m.payload)["seq"])
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_connect = lambda c, *a: c.subscribe(ConsumerSettings().event_filter, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def leave(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish(port: int, topic: str, body: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "office", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(topic, body, qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def printed_jobs(station: StationProcess) -> set[str]:
    with sqlite3.connect(f"file:{station.db_path}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT job_id FROM jobs WHERE state = 'printed'")}


def test_every_printed_card_yields_exactly_one_sms(tmp_path: Path, dsn, db, gammu) -> None:
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    replicas = [
        CentralReplica(
            tmp_path / "central", dsn, broker.port, name, "--max-batch", "50",
            "--gap-grace-s", "0.5", "--gap-retry-s", "3", "--max-replays", "10",
        )
        for name in ("central-a", "central-b")
    ]  # fmt: skip
    station = StationProcess(
        tmp_path / "station", StationSettings(mqtt_port=broker.port, seconds_per_card=0.4)
    )
    try:
        for n in range(1, JOBS + 1):
            add_citizen(db, f"JOB-2026-{n:06d}", f"+62812000000{n:02d}")
        for replica in replicas:
            replica.start()
        event_filter = ConsumerSettings().event_filter
        wait_until(
            lambda: all(broker.subscribed(r.replica, event_filter) for r in replicas),
            timeout=60,  # two interpreters starting on a loaded machine
            what="both replicas subscribed",
        )
        thief = Thief(broker.port)
        assert thief.subscribed.wait(10)
        station.start()
        station.wait_ready()
        wait_station_subscribed(broker)
        for n in range(1, JOBS + 1):
            publish(broker.port, f"{BASE}/job", payload(make_job(n)))
        wait_until(lambda: station.card_count() >= 2, timeout=60, what="two cards")
        station.kill()  # mid-card: the third is in the printer
        thief.leave()
        assert thief.taken, "the thief took no event: no gap to fill"
        station.start()
        station.wait_ready()
        interrupted = _jobs(station, "printing")  # settled once the printer answers
        wait_until(
            lambda: not set(interrupted) & set(_jobs(station, "printing")),
            timeout=30,
            what="the interrupted card settled",
        )
        for review in _jobs(station, "needs_review"):  # a person checks the interrupted card
            station.command("resolve", {"job_id": review, "outcome": "printed"})
        wait_until(lambda: station.card_count() >= 5, timeout=60, what="five cards")
        replicas[0].kill()
        replicas[0].start()
        wait_until(lambda: station.card_count() >= 7, timeout=60, what="seven cards")
        broker.restart()
        wait_until(lambda: not _jobs(station, "queued", "printing"), timeout=90, what="queue done")
        publish(broker.port, f"{BASE}/cmd/replay", json.dumps(
            {"schema": "ektp.cmd/1", "cmd_id": "test-replay-all", "args": {"from_seq": 1}}
        ).encode())  # fmt: skip
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
        wait_until(
            lambda: _duplicates(replicas) >= events, timeout=30, what="every event delivered again"
        )
        station.stop()
        printed = printed_jobs(station)
        assert len(printed) >= JOBS - 1
        wait_sent(db, len(printed), timeout=60)
        rows = sentitems(db)
        assert sorted(creator for creator, *_ in rows) == sorted(
            f"ps:{job}:printed:0" for job in printed
        )
        assert {status for _, _, status, _ in rows} == {"SendingOKNoReport"}
        assert any(line["event"] == "gap_replay" for r in replicas for line in r.log_events()), (
            "no gap was replayed"
        )
        assert db.execute("SELECT count(*) FROM gaps").fetchone() == (0,)
    finally:
        for replica in replicas:
            replica.stop()
        if station.alive:
            station.kill()
        broker.terminate()


def _jobs(station: StationProcess, *states: str) -> list[str]:
    answer = station.command("jobs")
    return [job["job_id"] for job in answer["result"]["jobs"] if job["state"] in states]


def _duplicates(replicas: list[CentralReplica]) -> int:
    """Repeats the replicas found and ignored, from their `batch_committed` log lines."""
    return sum(
        line["duplicates"]
        for r in replicas
        for line in r.log_events()
        if line["event"] == "batch_committed"
    )
