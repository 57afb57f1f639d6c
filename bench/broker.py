"""A real mosquitto for the benchmarks, and the raw paho clients measured beside the station.

The broker is the test kit's `Broker` (testkit.broker: a free port on 127.0.0.1, waits
until it listens) with a benchmark configuration: the production broker's limits
(config/mosquitto: `max_inflight_messages` left at mosquitto's default of 20), no TLS, no
persistence file (a broker saving after every change would be the bottleneck), and queues
large enough to hold a whole benchmark's messages for a disconnected session.
"""

from __future__ import annotations

import getpass
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from testkit.broker import Broker, free_port

HOST = "127.0.0.1"  # loopback only
SESSION_EXPIRY_S = 3600


def bench_config(port: int, workdir: Path) -> str:
    return "\n".join(
        [
            f"listener {port} {HOST}",
            "allow_anonymous true",
            "persistence false",
            "max_queued_messages 0",  # no limit: a session holds a whole benchmark's jobs
            "max_queued_bytes 0",
            f"user {getpass.getuser()}",
            f"log_dest file {workdir}/mosquitto.log",
            "log_type error",
            "log_type warning",
            "log_type information",  # "running": Broker.start waits for it
        ]
    )


@contextmanager
def running_broker(workdir: Path) -> Iterator[Broker]:
    """A mosquitto of the benchmark's own on a free loopback port, killed afterwards."""
    port = free_port()
    broker = Broker(workdir, bench_config(port, workdir), [port])
    broker.start()
    try:
        yield broker
    finally:
        broker.terminate()


def client(client_id: str, *, max_inflight: int = 20) -> mqtt.Client:
    """A paho 2 MQTT 5 client, as the station's connection makes one."""
    made = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    made.max_inflight_messages_set(max_inflight)
    return made


def connect(made: mqtt.Client, port: int, *, clean_start: bool = False) -> None:
    """Connect with a persistent session and start paho's network thread; wait for CONNACK."""
    up = threading.Event()
    made.on_connect = lambda *args: up.set()
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = SESSION_EXPIRY_S
    made.connect(HOST, port, keepalive=30, clean_start=clean_start, properties=properties)
    made.loop_start()
    if not up.wait(10):
        raise TimeoutError("no CONNACK within 10 s")


def close(made: mqtt.Client) -> None:
    made.disconnect()
    made.loop_stop()


def make_session(port: int, client_id: str, topic: str) -> None:
    """Leave a persistent session for `client_id` subscribed to `topic` at QoS 1, offline, so
    that what is published next waits in the broker for that client."""
    made = client(client_id)
    subscribed = threading.Event()
    made.on_subscribe = lambda *args: subscribed.set()
    connect(made, port, clean_start=True)
    made.subscribe(topic, qos=1)
    if not subscribed.wait(10):
        raise TimeoutError("no SUBACK within 10 s")
    close(made)


def publish_all(port: int, topic: str, payloads: list[bytes], window: int = 100) -> float:
    """Publish `payloads` at QoS 1 and wait for every PUBACK; returns the seconds taken."""
    made = client("bench-publisher", max_inflight=window)
    acked = [0]
    done = threading.Event()

    def on_publish(*args: object) -> None:
        acked[0] += 1
        if acked[0] == len(payloads):
            done.set()

    made.on_publish = on_publish
    connect(made, port, clean_start=True)
    start = time.perf_counter()
    for message in payloads:
        info = made.publish(topic, message, qos=1)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"publish failed: {info.rc}")
    if not done.wait(120):
        raise TimeoutError(f"only {acked[0]} of {len(payloads)} PUBACKs within 120 s")
    elapsed = time.perf_counter() - start
    close(made)
    return elapsed
