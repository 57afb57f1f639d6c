"""One MQTT connect to the broker, as `doctor` needs it: TLS handshake, then CONNECT and the
broker's CONNACK. With TLS 1.3 the broker checks the client certificate after the handshake, so
only a CONNACK proves that it accepts the station.

The probe never harms the station's session on the broker, whatever id the broker gives it: it
asks for its own client id (`<station>-doctor`), but a broker with `use_username_as_clientid`
(the shipped mosquitto.conf) replaces that with the certificate's CN, the station's own id. So
it connects as the daemon does, with Clean Start false and the station's session expiry (a
clean start would discard the jobs the broker keeps for the station), subscribes to nothing,
and acknowledges nothing (`manual_ack`): a job the broker delivers from the kept session stays
unacknowledged and is delivered again to the daemon. `doctor` probes only when the daemon is not
running; otherwise it asks the daemon's link.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from controller.mqtt.connection import CONNECT_TIMEOUT_S, apply_credentials
from controller.mqtt.settings import MqttSettings
from controller.said import said

DOCTOR_SUFFIX = "-doctor"


@dataclass(frozen=True)
class ProbeResult:
    accepted: bool
    detail: str


def probe_broker(
    settings: MqttSettings, station: str, timeout_s: float = CONNECT_TIMEOUT_S
) -> ProbeResult:
    """Connect, wait for the CONNACK, disconnect; OSError and ssl errors propagate."""
    answered = threading.Event()
    outcome: list[ProbeResult] = []

    def on_connect(client: mqtt.Client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        accepted = not reason_code.is_failure
        outcome.append(ProbeResult(accepted, f"CONNACK {reason_code}"))
        answered.set()

    def on_disconnect(client: mqtt.Client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if not answered.is_set():
            closed = said("connection closed before CONNACK: %(code)s", code=str(reason_code))
            outcome.append(ProbeResult(False, closed))
            answered.set()

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=station + DOCTOR_SUFFIX,
        protocol=MQTTProtocolVersion.MQTTv5,
        reconnect_on_failure=False,
        manual_ack=True,
    )
    client.connect_timeout = timeout_s
    apply_credentials(client, settings)
    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = settings.session_expiry_s
    client.connect(
        settings.host,
        settings.port,
        keepalive=settings.keepalive_s,
        clean_start=False,
        properties=properties,
    )
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            return ProbeResult(False, said("no CONNACK within %(seconds)g s", seconds=timeout_s))
        return outcome[0]
    finally:
        client.disconnect()
        client.loop_stop()
