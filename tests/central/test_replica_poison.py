"""The poison corpus through a real broker into a real replica process: every message lands in
`bad_messages`, the replica keeps running, and the honest `card.printed` published after them
becomes its one SMS."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central.consumer import ConsumerSettings
from contract.clock import rfc3339
from testkit.broker import Broker
from testkit.central import CentralReplica
from testkit.waiting import wait_until
from tests.central.conftest import add_citizen
from tests.central.poison import CORPUS
from tests.central.test_store import STATION, event

pytestmark = pytest.mark.slow


def test_a_replica_fed_the_corpus_still_texts_the_next_card(tmp_path: Path, dsn, db) -> None:
    broker = Broker.plain(tmp_path / "broker")
    broker.start()
    replica = CentralReplica(
        tmp_path / "central", dsn, broker.port, "central-a", "--max-batch", "500"
    )
    try:
        add_citizen(db, "JOB-1", "+6281200000001")
        replica.start()
        wait_until(
            lambda: broker.subscribed("central-a", ConsumerSettings().event_filter), timeout=60
        )
        station = mqtt.Client(CallbackAPIVersion.VERSION2, STATION, protocol=mqtt.MQTTv5)
        station.connect("127.0.0.1", broker.port)
        station.loop_start()
        for message in [
            *CORPUS.values(),
            event(1, "card.printed", "JOB-1", rfc3339(datetime.now(UTC))),
        ]:
            station.publish(message.topic, message.payload, qos=1).wait_for_publish(10)
        station.disconnect()
        station.loop_stop()
        wait_until(
            lambda: db.execute("SELECT count(*) FROM outbox").fetchone() == (1,),
            timeout=30,
            what="the honest card's SMS",
        )
        kept = {bytes(row[0]) for row in db.execute("SELECT payload FROM bad_messages")}
        assert [name for name, m in CORPUS.items() if m.payload not in kept] == []
        assert replica.process is not None and replica.process.poll() is None
    finally:
        replica.stop()
        broker.terminate()
