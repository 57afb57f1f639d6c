"""The MQTT side: a persistent MQTT 5 session on a shared subscription, acknowledged after commit.

Every replica connects with its own stable client id, Clean Start false and a session expiry,
and subscribes to every station's events as a member of a shared subscription (the broker
spreads the events over the group) and to every station's status (each replica sees every
retained status); contract/topics.py makes the filters. paho's manual acks
hold each PUBACK until the batch holding the message has committed; a replica that dies before
that gets the messages again when it reconnects (its session keeps them), and a repeat is a
no-op by `event_id`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from central.intake import Message
from central.mqtt_client import BufferedClient
from contract.topics import DEFAULT_ROOT, event_filter, shared, status_filter

log = structlog.get_logger("central.consumer")


@dataclass(frozen=True)
class ConsumerSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    root: str = DEFAULT_ROOT
    group: str = "central"
    client_id: str = "central-1"
    ca: Path | None = None  # TLS, trusting this CA
    cert: Path | None = None  # a client certificate, with its key
    key: Path | None = None
    username: str | None = None
    password: str | None = None
    session_expiry_s: int = 7 * 24 * 3600  # a replica may be down a week and lose nothing
    receive_maximum: int = 2000  # unacknowledged messages the broker may send us at once
    keepalive_s: int = 30

    @property
    def event_filter(self) -> str:
        return shared(self.group, event_filter(self.root))

    @property
    def status_filter(self) -> str:
        return status_filter(self.root)


class SubscriptionRefused(RuntimeError):
    """The broker's SUBACK refused one of the replica's subscriptions (its account's ACL)."""


@dataclass(frozen=True)
class Received:
    message: Message
    mid: int
    qos: int
    connection: int  # which connection it came on: acks go only on that one


class Consumer:
    """Receives into a bounded inbox; `take` hands out batches, `ack` acknowledges them."""

    def __init__(self, settings: ConsumerSettings) -> None:
        self.settings = settings
        # paho's thread appends, the consumer's pops (both atomic); `_arrived` is set after
        # an append, so a `take` that finds the inbox empty waits on it and misses nothing
        self._inbox: deque[Received] = deque()
        self._arrived = threading.Event()
        self._connection = 0
        self.connected = threading.Event()
        self.client = BufferedClient(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if settings.ca is not None:
            self.client.tls_set(
                ca_certs=str(settings.ca),
                certfile=None if settings.cert is None else str(settings.cert),
                keyfile=None if settings.key is None else str(settings.key),
            )
        if settings.username is not None:
            self.client.username_pw_set(settings.username, settings.password)
        self.refused: str | None = None  # the broker refused a subscription: see `take`
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        props.ReceiveMaximum = self.settings.receive_maximum
        self.client.reconnect_delay_set(1, 30)
        self.client.connect_async(
            self.settings.host,
            self.settings.port,
            keepalive=self.settings.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def take(self, max_items: int, wait_s: float) -> list[Received]:
        """Up to `max_items` messages: waits `wait_s` for the first, then takes what is there.
        Raises SubscriptionRefused once the broker refused a subscription: a replica that
        does not get its share of the events must not look as if it were running."""
        if self.refused is not None:
            raise SubscriptionRefused(self.refused)
        if not self._inbox and not self._arrived.wait(wait_s):
            return []
        self._arrived.clear()  # before taking: a message appended from here on sets it again
        inbox = self._inbox
        batch = [inbox.popleft() for _ in range(min(max_items, len(inbox)))]
        if inbox:
            self._arrived.set()  # more than `max_items` waiting
        return batch

    def ack(self, batch: list[Received]) -> None:
        """PUBACK each message, in the order received, if its connection is still the current
        one (after a reconnect the broker sends unacknowledged messages again). Both
        subscriptions are QoS 1, so no message comes at QoS 2; one at QoS 0 wants no ack."""
        current = self._connection
        self.client.ack_all([i.mid for i in batch if i.qos == 1 and i.connection == current])

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1)

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags, reason, properties
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt_refused", reason=str(reason))
            return
        self._connection += 1
        client.subscribe(
            [
                (self.settings.event_filter, SubscribeOptions(qos=1)),
                (self.settings.status_filter, SubscribeOptions(qos=1)),
            ]
        )
        log.info("mqtt_connected", session_present=flags.session_present)
        self.connected.set()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: object, mid: int, reasons: list, properties
    ) -> None:
        refused = [str(reason) for reason in reasons if reason.is_failure]
        if refused:
            log.error("mqtt_subscription_refused", reasons=refused)
            self.refused = f"the broker refused a subscription: {', '.join(refused)}"

    def _on_disconnect(self, client: mqtt.Client, userdata, flags, reason, properties) -> None:
        self.connected.clear()
        log.warning("mqtt_disconnected", reason=str(reason))

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self._inbox.append(
            Received(Message(msg.topic, msg.payload), msg.mid, msg.qos, self._connection)
        )
        if not self._arrived.is_set():  # Event.set takes a lock: not once per message
            self._arrived.set()


Publish = Callable[[str, bytes], None]
