"""The other side of the link in tests: a paho MQTT 5 client that the central office or a
technician would run, driven synchronously (connect, publish and wait for the PUBACK,
subscribe and wait for the SUBACK) and recording every message it receives."""

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
from paho.mqtt.reasoncodes import ReasonCode

from testkit.waiting import wait_until


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    correlation: bytes | None
    at: float  # time.monotonic() on arrival

    def json(self) -> Any:
        return json.loads(self.payload)


class Peer:
    """A test client; `subscriptions` are (re)made on every connection, at QoS 1."""

    def __init__(
        self,
        port: int,
        client_id: str,
        *,
        subscriptions: tuple[str, ...] = (),
        persistent: bool = False,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        reconnect: bool = True,
    ) -> None:
        self.port, self.subscriptions, self.persistent = port, subscriptions, persistent
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._acks: dict[int, ReasonCode] = {}
        self._subacks: dict[int, list[ReasonCode]] = {}
        self.connack: ReasonCode | None = None
        self.disconnects = 0
        self.connections = 0
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=reconnect,
        )
        client.reconnect_delay_set(1, 1)
        if username is not None:
            client.username_pw_set(username, password)
        if tls_ca is not None:
            client.tls_set(ca_certs=tls_ca, certfile=tls_cert, keyfile=tls_key)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        self.client = client

    # -- driving ---------------------------------------------------------------------------

    def connect(self, timeout: float = 5.0) -> ReasonCode | None:
        """Connect and wait for the CONNACK (and the SUBACK of the subscriptions); None if
        the connection closed without a CONNACK (e.g. refused during the TLS handshake)."""
        ended = self.disconnects
        properties = Properties(PacketTypes.CONNECT)
        if self.persistent:
            properties.SessionExpiryInterval = 600
        self.client.connect(
            "localhost",
            self.port,
            keepalive=10,
            clean_start=not self.persistent,
            properties=properties,
        )
        self.client.loop_start()
        wait_until(lambda: self.connack is not None or self.disconnects > ended, timeout, "CONNACK")
        if self.connack is None:
            return None
        if not self.connack.is_failure and self.subscriptions:
            wait_until(lambda: len(self._subacks) >= self.connections, timeout, "SUBACK")
        return self.connack

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        retain: bool = False,
        properties: Properties | None = None,
        timeout: float = 5.0,
    ) -> ReasonCode:
        """Publish at QoS 1 and return the PUBACK's reason code."""
        info = self.client.publish(topic, payload, qos=1, retain=retain, properties=properties)
        wait_until(lambda: info.mid in self._acks, timeout, f"PUBACK on {topic}")
        return self._acks[info.mid]

    def publish_json(self, topic: str, body: Any, **kwargs: Any) -> ReasonCode:
        return self.publish(topic, json.dumps(body).encode(), **kwargs)

    def subscribe(self, topic: str, timeout: float = 5.0) -> list[ReasonCode]:
        """Subscribe at QoS 1 and return the SUBACK's reason codes."""
        _, mid = self.client.subscribe(topic, qos=1)
        assert mid is not None
        wait_until(lambda: mid in self._subacks, timeout, f"SUBACK for {topic}")
        return self._subacks[mid]

    def reconnect(self, timeout: float = 5.0) -> ReasonCode | None:
        """Connect again now (for a peer made with `reconnect=False`)."""
        self.client.loop_stop()
        self.connack = None
        return self.connect(timeout)

    def close(self) -> None:
        if self.client.is_connected():
            self.client.disconnect()
        self.client.loop_stop()

    # -- what arrived ----------------------------------------------------------------------

    def received(self, topic_prefix: str = "") -> list[Received]:
        with self._lock:
            return [m for m in self._received if m.topic.startswith(topic_prefix)]

    def bodies(self, topic_prefix: str = "") -> list[Any]:
        return [message.json() for message in self.received(topic_prefix)]

    def wait_for(self, topic_prefix: str, predicate: Any = None, timeout: float = 20.0) -> Any:
        """The first body on `topic_prefix` for which `predicate(body)` holds, waiting for it."""
        found: list[Any] = []

        def check() -> bool:
            found[:] = [b for b in self.bodies(topic_prefix) if predicate is None or predicate(b)]
            return bool(found)

        wait_until(check, timeout, f"a message on {topic_prefix}")
        return found[0]

    def settle(self, marker_topic: str, marker: bytes, timeout: float = 10.0) -> None:
        """Wait for `marker` on `marker_topic`: whatever the same publisher sent before it on
        the same connection has arrived by then (the broker keeps one publisher's order)."""
        wait_until(
            lambda: any(m.payload == marker for m in self.received(marker_topic)),
            timeout,
            f"marker on {marker_topic}",
        )

    # -- paho callbacks --------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any):
        self.connack = reason
        if reason.is_failure:
            return
        self.connections += 1
        if self.subscriptions:
            client.subscribe(
                [(topic, mqtt.SubscribeOptions(qos=1)) for topic in self.subscriptions]
            )

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        correlation = getattr(message.properties, "CorrelationData", None)
        with self._lock:
            self._received.append(
                Received(
                    message.topic,
                    bytes(message.payload),
                    bool(message.retain),
                    correlation,
                    time.monotonic(),
                )
            )

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any):
        self._acks[mid] = reason

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, codes: Any, props: Any):
        self._subacks[mid] = codes

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, *args: Any) -> None:
        self.disconnects += 1
