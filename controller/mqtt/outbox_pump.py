"""Events from the on-disk outbox to their topics (`Topics.event`): in `seq` order, a window.

Only the link's own thread calls the pump. Per connection it starts again from the oldest
undelivered event, publishes while fewer than `window` are unacknowledged, and marks events
delivered once their PUBACK has arrived, in one transaction per batch (`flush_due`). A PUBACK
lost with a connection, or a crash before the mark, means a re-send on the next connection with
the same `event_id`: at-least-once delivery, and consumers de-duplicate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
import structlog

from contract.clock import Clock
from contract.topics import Topics
from controller.queue.outbox import Outbox

log = structlog.get_logger(__name__)

MARK_BATCH_WINDOWS = 10
MARK_AFTER_S = 1.0

Publish = Callable[[str, bytes], mqtt.MQTTMessageInfo | None]


class OutboxPump:
    def __init__(self, outbox: Outbox, topics: Topics, clock: Clock, window: int) -> None:
        if window < 1:
            raise ValueError("the in-flight window must be at least 1")
        self._outbox, self._topics, self._clock, self._window = outbox, topics, clock, window
        self._in_flight: dict[int, int] = {}  # mid -> seq
        self._last_sent = 0
        self._delivered: list[int] = []
        self._unmarked_since = 0.0  # monotonic time of the oldest unmarked acknowledgement

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def restart(self) -> None:
        """A new connection: forget the old one's message ids, re-send from the oldest."""
        self._in_flight.clear()
        self._last_sent = 0

    def rewind(self, seq: int) -> None:
        """Events from `seq` on were marked undelivered again (a replay): send them next,
        those acknowledged before the replay too, as if their marks had been made."""
        self._last_sent = min(self._last_sent, seq - 1)
        self._delivered = [done for done in self._delivered if done < seq]

    def fill(self, publish: Publish) -> int:
        """Publish pending events until the window is full; returns how many were sent."""
        sent = 0
        while len(self._in_flight) < self._window:
            batch = self._outbox.pending(self._last_sent, self._window - len(self._in_flight))
            if not batch:
                break
            # After a rewind: not what is in flight, nor what came back since (not yet marked).
            sending = {*self._in_flight.values(), *self._delivered}
            for event in batch:
                if event.seq in sending:
                    self._last_sent = event.seq
                    continue
                info = publish(self._topics.event(event.type), event.payload(self._topics.station))
                if info is None:
                    return sent
                self._in_flight[info.mid] = event.seq
                self._last_sent = event.seq
                sent += 1
        return sent

    def acked(self, mid: int, ok: bool) -> None:
        """A PUBACK for `mid` on the current connection (other mids are not events)."""
        seq = self._in_flight.pop(mid, None)
        if seq is None:
            return
        if ok:
            if not self._delivered:
                self._unmarked_since = time.monotonic()
            self._delivered.append(seq)
        else:
            log.error("broker refused an event; it is re-sent on the next connection", seq=seq)

    def flush_due(self, now: float) -> bool:
        """Whether to mark the acknowledged events now (`now`: monotonic seconds): a batch of
        `MARK_BATCH_WINDOWS` windows is complete, nothing is in flight any more, or the oldest
        acknowledgement has waited `MARK_AFTER_S`. One commit per batch instead of one per
        wake-up; a crash before the mark re-sends those events, which at-least-once allows."""
        if not self._delivered:
            return False
        return (
            len(self._delivered) >= MARK_BATCH_WINDOWS * self._window
            or not self._in_flight
            or now - self._unmarked_since >= MARK_AFTER_S
        )

    def flush(self) -> int:
        """Mark acknowledged events delivered; raises StoreError (the batch is then dropped
        and those events are sent again later, which is allowed)."""
        batch, self._delivered = self._delivered, []
        self._outbox.mark_delivered(batch, self._clock.now())
        return len(batch)
