"""The station's counterparts on the broker, connected directly (not through the fault proxy).

- `Recorder`: a separate subscriber with a persistent session at QoS 1 on the station's topics,
  recording every message it gets, so the checks see what the central office would have seen
  (and, as a sniffer on `#` at QoS 0, every topic anyone publishes to);
- `CentralOffice`: publishes jobs and commands at QoS 1 with a persistent session; paho keeps
  what the broker has not acknowledged and sends it again after a reconnection.

Both reconnect by themselves (0.1-0.5 s) when the broker is killed and restarted.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from testkit.station_process import TOPIC_BASE
from testkit.waiting import wait_until


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool
    at: float

    def json(self) -> Any:
        return json.loads(self.payload)


def _client(client_id: str) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
        reconnect_on_failure=True,
    )
    client.reconnect_delay_set(0.1, 0.5)
    client.max_queued_messages_set(0)
    return client


def _connect(client: mqtt.Client, port: int, persistent: bool = True) -> None:
    properties = Properties(PacketTypes.CONNECT)
    if persistent:
        properties.SessionExpiryInterval = 3600
    client.connect_async(
        "127.0.0.1", port, keepalive=10, clean_start=not persistent, properties=properties
    )
    client.loop_start()


STATION_FILTERS = tuple(
    f"{TOPIC_BASE}/{level}" for level in ("status", "event/+", "reply", "reply/#")
)


class Recorder:
    """By default the central office's subscriber: persistent, QoS 1, the station's topics.
    As a sniffer (`qos=0`, not persistent, `#`) it sees every topic while it is connected,
    and the broker keeps nothing for it (its saves stay small, see docs/reliability.md)."""

    def __init__(
        self,
        port: int,
        client_id: str = "reliability-recorder",
        *,
        filters: tuple[str, ...] = STATION_FILTERS,
        qos: int = 1,
        persistent: bool = True,
    ) -> None:
        self._filters, self._qos, self._persistent = filters, qos, persistent
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self.connections = 0
        self._subscribed = threading.Event()
        self._client = _client(client_id)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *args: self._subscribed.set()
        self._port = port

    def start(self) -> Recorder:
        _connect(self._client, self._port, self._persistent)
        wait_until(self._subscribed.is_set, 10, "the recorder's subscription")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def messages(self, prefix: str = "") -> list[Message]:
        with self._lock:
            return [m for m in self._messages if m.topic.startswith(prefix)]

    def wait_for_station(self, timeout_s: float = 30.0) -> None:
        """Until the station's first status: it subscribes before it publishes it, so from
        then on the broker keeps jobs and commands for it (a new station has no session yet,
        and what is published before it subscribes goes nowhere)."""
        wait_until(lambda: self.messages(f"{TOPIC_BASE}/status"), timeout_s, "the station online")

    def events(self) -> list[dict[str, Any]]:
        """Every event body received, repeats included, in order of arrival."""
        return [m.json() for m in self.messages(f"{TOPIC_BASE}/event/")]

    def replies(self) -> list[dict[str, Any]]:
        return [m.json() for m in self.messages(f"{TOPIC_BASE}/reply")]

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        self.connections += 1
        options = mqtt.SubscribeOptions(qos=self._qos, retainHandling=1)  # retained: once
        client.subscribe([(topic, options) for topic in self._filters])

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._messages.append(
                Message(message.topic, bytes(message.payload), bool(message.retain), time.time())
            )


class CentralOffice:
    """Publishes; never waits for the broker (it may be down), paho sends when it can."""

    def __init__(self, port: int, client_id: str = "central-office") -> None:
        self._client = _client(client_id)
        self._client.max_inflight_messages_set(100)
        self._port = port
        self._connected = threading.Event()
        self._client.on_connect = lambda *args: self._connected.set()
        self.published = 0

    def start(self) -> CentralOffice:
        _connect(self._client, self._port)
        wait_until(self._connected.is_set, 10, "the central office's connection")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=1, retain=retain)
        self.published += 1

    def job(self, payload: bytes) -> None:
        self.publish(f"{TOPIC_BASE}/job", payload)

    def command(self, name: str, payload: bytes, *, retain: bool = False) -> None:
        self.publish(f"{TOPIC_BASE}/cmd/{name}", payload, retain=retain)

    def command_json(self, name: str, cmd_id: str, args: dict[str, Any]) -> None:
        body = {"schema": "ektp.cmd/1", "cmd_id": cmd_id, "args": args}
        self.command(name, json.dumps(body).encode())
