"""The MQTT link's periods."""

from __future__ import annotations

from dataclasses import dataclass

from controller.mqtt.connection import CONNECT_TIMEOUT_S


@dataclass(frozen=True)
class LinkTiming:
    """The link's periods, in seconds; tests shorten them."""

    status_heartbeat_s: float = 60.0  # a status at least this often
    status_coalesce_s: float = 1.0  # at most one status per this period on changes
    outbox_poll_s: float = 1.0  # look for new events even without wake()
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 120.0
    reconnect_jitter_s: float = 10.0
    stable_after_s: float = 60.0  # a connection up this long resets the back-off
    redeliver_after_s: float = 30.0  # reconnect this long after a message was left unacked
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    stop_timeout_s: float = 5.0  # wait this long for the PUBACK of the `offline` status
