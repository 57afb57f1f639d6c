"""One MQTT 5 connection to the broker, from CONNECT to its end, on a fresh paho client.

A new paho client per connection means paho's in-memory queue never outlives a connection: it
cannot re-send stale messages under new ids (paho issue #492) or with a stale topic alias
(#893). What must survive a disconnection lives in the station's database (the outbox, stored
command replies) and in the broker's persistent session (jobs and commands not yet
acknowledged). paho's network thread runs the connection; it never reconnects by itself
(`reconnect_on_failure=False`): the link decides when to try again, with jittered back-off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from controller.mqtt.settings import MqttSettings

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT_S = 10.0  # from CONNECT to CONNACK at most


@dataclass(frozen=True)
class Will:
    """The Last Will: what the broker publishes when the connection dies uncleanly."""

    topic: str
    payload: bytes


class ConnectionListener(Protocol):
    """What a connection reports; called on paho's network thread."""

    def connection_up(self, connection: Connection, session_present: bool) -> None: ...

    def connection_message(self, connection: Connection, message: mqtt.MQTTMessage) -> None: ...

    def connection_published(self, connection: Connection, mid: int, ok: bool) -> None: ...

    def connection_ended(self, connection: Connection) -> None: ...


class _PahoLog:
    """paho's logger, less one false alarm: once a connection has ended, paho's network thread
    may run once more and log "Client is not connected" at ERROR (at every clean stop, paho
    2.x); after the end that is expected, so it is logged at DEBUG. All else passes as it is."""

    NOT_CONNECTED = "Client is not connected"

    def __init__(self, ended: threading.Event) -> None:
        self._logger = logging.getLogger("paho.mqtt.client")
        self._ended = ended

    def log(self, level: int, msg: str, *args: object) -> None:
        if self._ended.is_set() and level >= logging.ERROR and msg.startswith(self.NOT_CONNECTED):
            level = logging.DEBUG
        self._logger.log(level, msg, *args)


def apply_credentials(client: mqtt.Client, settings: MqttSettings) -> None:
    """The station's user name and password, and its TLS files (CA, client certificate)."""
    if settings.username:
        client.username_pw_set(settings.username, settings.broker_password())
    if settings.tls_ca or settings.tls_cert:
        client.tls_set(
            ca_certs=settings.tls_ca or None,
            certfile=settings.tls_cert or None,
            keyfile=settings.tls_key or None,
        )


class Connection:
    """A single connection: `open()`, use while `up`, then `disconnect()`/`close()`."""

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        will: Will,
        listener: ConnectionListener,
        *,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self._settings = settings
        self._listener = listener
        self._up = threading.Event()
        self.ended = threading.Event()
        self._subscribing: set[int] = set()  # SUBSCRIBE packets not yet acknowledged
        self._granted = threading.Event()  # every subscription acknowledged and granted
        self._refused = False  # the broker refused a subscription on this connection
        self._subscribe_lock = threading.Lock()
        self._up_since = 0.0
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=False,
            manual_ack=True,
        )
        client.enable_logger(_PahoLog(self.ended))  # type: ignore[arg-type]
        client.connect_timeout = connect_timeout_s
        # The link bounds what is in flight; paho must never hold messages back itself.
        client.max_inflight_messages_set(0)
        client.will_set(will.topic, will.payload, qos=1, retain=True)
        apply_credentials(client, settings)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        self._client = client

    @property
    def up(self) -> bool:
        """CONNACK accepted and not yet ended."""
        return self._up.is_set() and not self.ended.is_set()

    @property
    def listening(self) -> bool:
        """Up, and the broker granted every subscription: messages for the station reach it."""
        return self.up and self._granted.is_set()

    def up_for(self) -> float:
        """Seconds since the CONNACK, 0 if there was none."""
        return time.monotonic() - self._up_since if self._up.is_set() else 0.0

    def open(self) -> None:
        """Send CONNECT (Clean Start false, session expiry) and start the network thread.

        Raises OSError when the broker cannot be reached (TLS errors included).
        """
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self._settings.session_expiry_s
        self._client.connect(
            self._settings.host,
            self._settings.port,
            keepalive=self._settings.keepalive_s,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()

    def subscribe(self, topic: str, *, retain_as_published: bool) -> None:
        """Subscribe at QoS 1, without the retained messages a new subscription would get."""
        options = mqtt.SubscribeOptions(
            qos=1,
            retainAsPublished=retain_as_published,
            retainHandling=mqtt.SubscribeOptions.RETAIN_DO_NOT_SEND,
        )
        with self._subscribe_lock:
            self._granted.clear()
            result, mid = self._client.subscribe(topic, options=options)
            if result == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
                self._subscribing.add(mid)
            else:  # never sent: this connection does not listen on `topic`
                self._refused = True

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> mqtt.MQTTMessageInfo | None:
        """Publish at QoS 1; None when the connection is not up (nothing was queued)."""
        if not self.up:
            return None
        info = self._client.publish(topic, payload, qos=1, retain=retain, properties=properties)
        return info if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS else None

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge a received message (sends its PUBACK)."""
        self._client.ack(mid, qos)

    def disconnect(self) -> None:
        """Send DISCONNECT (normal): the broker discards the Will and keeps the session."""
        self._client.disconnect()

    def close(self) -> None:
        """Stop the network thread; call after `disconnect()` or once the connection ended."""
        self._client.loop_stop()
        self.ended.set()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties,
    ) -> None:
        if reason_code.is_failure:
            log.warning("mqtt connection refused", reason=str(reason_code))
            return
        self._up_since = time.monotonic()
        self._up.set()
        log.info("mqtt connected", session_present=flags.session_present)
        self._guarded(self._listener.connection_up, flags.session_present)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._guarded(self._listener.connection_message, message)

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties,
    ) -> None:
        # paho holds its outgoing-message lock here: never block, never publish.
        self._guarded(self._listener.connection_published, mid, not reason_code.is_failure)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties,
    ) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        with self._subscribe_lock:
            self._subscribing.discard(mid)
            self._refused = self._refused or bool(refused)
            if not self._subscribing and not self._refused:
                self._granted.set()
        if refused:
            log.error("mqtt subscription refused; check the broker's ACL", reasons=refused)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties,
    ) -> None:
        was_up = self._up.is_set()
        self.ended.set()
        log.info("mqtt connection ended", reason=str(reason_code), was_up=was_up)
        self._guarded(self._listener.connection_ended)

    def _guarded(self, callback: Callable[..., None], *args: Any) -> None:
        """Run a listener callback on paho's thread; a failure ends this connection (the link
        reconnects) instead of killing the thread and leaving a connection that looks alive."""
        try:
            callback(self, *args)
        except Exception:
            log.exception("mqtt callback failed; dropping the connection")
            self._client.disconnect()
