"""A replica acknowledges a message only after its effect is committed: killed while the
database holds the batch back, it gets the message again from its session and commits it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central.consumer import ConsumerSettings
from contract.clock import rfc3339
from testkit.broker import Broker
from testkit.central import CentralReplica
from testkit.waiting import wait_until
from tests.central.conftest import add_citizen
from tests.central.test_store import STATION, event

pytestmark = pytest.mark.slow


def test_a_replica_killed_before_its_commit_loses_nothing(tmp_path: Path, dsn, db) -> None:
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    replica = CentralReplica(tmp_path / "central", dsn, broker.port, "central-a")
    try:
        add_citizen(db, "JOB-1", "+6281200000001")
        replica.start()
        wait_until(
            lambda: broker.subscribed("central-a", ConsumerSettings().event_filter), timeout=60
        )
        with psycopg.connect(dsn) as blocker:
            blocker.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")  # the batch waits
            message = event(1, "card.printed", "JOB-1", rfc3339(datetime.now(UTC)))
            station = mqtt.Client(CallbackAPIVersion.VERSION2, STATION, protocol=mqtt.MQTTv5)
            station.connect("127.0.0.1", broker.port)
            station.loop_start()
            station.publish(message.topic, message.payload, qos=1).wait_for_publish(10)
            station.disconnect()
            station.loop_stop()
            wait_until(
                lambda: "Sending PUBLISH to central-a" in broker.log_tail(400),
                timeout=10,
                what="the event delivered to the replica",
            )
            wait_until(
                lambda: blocker.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted"
                ).fetchone()[0],
                timeout=10,
                what="the replica's batch waiting on the lock",
            )
            replica.kill()
            blocker.rollback()
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
        replica.start()
        wait_until(
            lambda: db.execute("SELECT count(*) FROM outbox").fetchone() == (1,),
            timeout=20,
            what="the event committed after the restart",
        )
        assert db.execute("SELECT count(*) FROM sms_log").fetchone() == (1,)
    finally:
        replica.stop()
        broker.terminate()


def test_a_stations_new_session_gets_a_replay_of_its_tail(tmp_path: Path, dsn, db) -> None:
    """A broker restart loses the events after the last one the office saw: nothing shows a gap
    until the station's next event. Its new session (in its retained status) makes a replica
    ask for everything after the highest seq the office holds."""
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    replica = CentralReplica(tmp_path / "central", dsn, broker.port, "central-a")
    asked: list[bytes] = []
    station = mqtt.Client(CallbackAPIVersion.VERSION2, STATION, protocol=mqtt.MQTTv5)
    station.on_message = lambda client, userdata, message: asked.append(message.payload)
    try:
        replica.start()
        wait_until(
            lambda: broker.subscribed("central-a", ConsumerSettings().event_filter), timeout=60
        )
        station.connect("127.0.0.1", broker.port)
        station.loop_start()
        station.subscribe(f"ektp/v1/{STATION}/cmd/+", qos=1)
        wait_until(lambda: broker.subscribed(STATION, f"ektp/v1/{STATION}/cmd/+"), timeout=10)
        now = rfc3339(datetime.now(UTC))
        for seq in (1, 2):
            message = event(seq, "job.accepted", "JOB-1", now)
            station.publish(message.topic, message.payload, qos=1).wait_for_publish(10)
        wait_until(lambda: db.execute("SELECT count(*) FROM events").fetchone() == (2,), 20)
        status = {"schema": "ektp.status/1", "station": STATION, "state": "ready",
                  "time": now, "session": 7}  # fmt: skip
        station.publish(f"ektp/v1/{STATION}/status", json.dumps(status), qos=1, retain=True)
        wait_until(lambda: asked, timeout=20, what="the replay of the tail")
        assert [json.loads(p)["args"] for p in asked] == [{"from_seq": 3}]
    finally:
        station.disconnect()
        station.loop_stop()
        replica.stop()
        broker.terminate()
