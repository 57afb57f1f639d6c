"""The consumer's PUBACKs, sent for a whole batch in one write, reach the broker: after a
reconnect to the same session, only the messages not acknowledged come again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central.consumer import Consumer, ConsumerSettings, Received
from central.intake import Message
from testkit.broker import Broker
from testkit.waiting import wait_until
from tests.central.test_store import event

pytestmark = pytest.mark.slow


def received(consumer: Consumer, count: int) -> list[Received]:
    """`count` messages from `consumer`, then a moment more to see that no other comes."""
    got: list[Received] = []
    while len(got) < count:
        batch = consumer.take(count - len(got), wait_s=10)
        assert batch, f"only {len(got)} of {count} messages came"
        got.extend(batch)
    assert consumer.take(10, wait_s=0.5) == []
    return got


def stop(consumer: Consumer, broker: Broker, sessions: int) -> None:
    """Disconnect, and wait for the broker to have read it (and so every ack before it): a new
    connection of the same client would close this one, unread."""
    consumer.stop()
    wait_until(
        lambda: broker.log_tail(5000).count("Received DISCONNECT from central-acks") == sessions,
        10,
        what="the broker reading the DISCONNECT",
    )


def session(broker: Broker) -> Consumer:
    consumer = Consumer(ConsumerSettings(port=broker.port, client_id="central-acks"))
    consumer.start()
    wait_until(lambda: broker.subscribed("central-acks", consumer.settings.event_filter), 20)
    return consumer


@contextmanager
def broker_and_station(workdir: Path, save_every: int = 1) -> Iterator[tuple[Broker, mqtt.Client]]:
    """A broker, and a station connected to it (a replica's session is made by the test)."""
    broker = Broker.plain(workdir, save_every=save_every)
    broker.start()
    station = mqtt.Client(CallbackAPIVersion.VERSION2, "station", protocol=mqtt.MQTTv5)
    try:
        yield broker, station
    finally:
        station.disconnect()
        station.loop_stop()
        broker.terminate()


def publish(station: mqtt.Client, port: int, count: int) -> list[Message]:
    """`count` events of one station, each acknowledged by the broker."""
    station.connect("127.0.0.1", port)
    station.loop_start()
    messages = [event(seq, "job.accepted", "JOB-1") for seq in range(1, count + 1)]
    infos = [station.publish(m.topic, m.payload, qos=1) for m in messages]
    for info in infos:
        info.wait_for_publish(10)
    return messages


def test_a_batchs_acks_in_one_write_reach_the_broker(tmp_path: Path) -> None:
    with broker_and_station(tmp_path / "broker") as (broker, station):
        first = session(broker)
        publish(station, broker.port, 7)
        batch = received(first, 7)
        first.ack(batch[:5])  # the last two stay unacknowledged
        stop(first, broker, 1)
        acked = [f"Received PUBACK from central-acks (Mid: {r.mid}," for r in batch]
        assert [line in broker.log_tail(5000) for line in acked] == [True] * 5 + [False] * 2
        second = session(broker)
        again = received(second, 2)
        assert [r.message for r in again] == [r.message for r in batch[5:]]
        second.ack(again)
        stop(second, broker, 2)
        third = session(broker)
        assert third.take(10, wait_s=1.0) == []
        stop(third, broker, 3)


def test_every_packet_read_at_once_is_handed_on_without_waiting_for_more(tmp_path: Path) -> None:
    """A burst arrives in large reads, the last one holding many packets: each comes out at
    once, not when the socket next has something to read (the keepalive's ping, 30 s on)."""
    with broker_and_station(tmp_path / "broker", save_every=1_000_000) as (broker, station):
        consumer = session(broker)
        burst = publish(station, broker.port, 3000)
        got: list[Received] = []
        while len(got) < len(burst):
            batch = consumer.take(1000, wait_s=5)
            assert batch, f"{len(got)} of {len(burst)} came within 5 s of the last"
            got.extend(batch)
            consumer.ack(batch)
        assert [r.message for r in got] == burst
        stop(consumer, broker, 1)
