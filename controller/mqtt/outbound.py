"""What the link publishes: the outbox's events and the station's retained status.

The link's thread sends both while a connection is up (`send`), and on a clean stop what the
outbox still holds, then `offline` (`goodbye`). paho's network thread publishes the status on
connect and reports PUBACKs (`acked`); the link's thread takes those on its next turn.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable

import structlog

from contract.clock import Clock
from contract.topics import Topics
from controller.mqtt.connection import Connection, Will
from controller.mqtt.outbox_pump import OutboxPump
from controller.mqtt.retained import StatusReport
from controller.queue.db import StoreError
from controller.queue.outbox import Outbox

log = structlog.get_logger(__name__)

StoreErrorReport = Callable[[StoreError | sqlite3.Error], None]


class Outbound:
    """Thread-safe: `acked`, `replayed`, `status_changed` and `publish_status` may be called
    from any thread; the rest runs on the link's thread. Each call that leaves something to
    send sets `wake`, the event the link's thread waits on."""

    def __init__(
        self,
        outbox: Outbox,
        topics: Topics,
        status: StatusReport,
        clock: Clock,
        window: int,
        *,
        wake: threading.Event,
        report: StoreErrorReport,
    ) -> None:
        self._outbox, self._topics, self._status = outbox, topics, status
        self._pump = OutboxPump(outbox, topics, clock, window)
        self._wake, self._report = wake, report
        self._status_lock = threading.Lock()
        self._acks: queue.SimpleQueue[tuple[Connection, int, bool]] = queue.SimpleQueue()
        self._replays: queue.SimpleQueue[int] = queue.SimpleQueue()  # first seq of each

    # -- any thread ------------------------------------------------------------------------

    def acked(self, connection: Connection, mid: int, ok: bool) -> None:
        """A PUBACK (paho's thread, which holds its lock here: this never blocks)."""
        self._acks.put((connection, mid, ok))
        self._wake.set()

    def replayed(self, from_seq: int) -> None:
        """Events from `from_seq` on were marked undelivered again: send them next."""
        self._replays.put(from_seq)
        self._wake.set()

    def status_changed(self) -> None:
        self._status.changed()
        self._wake.set()

    def publish_status(self, connection: Connection, session: int) -> None:
        with self._status_lock:
            self._status.begin(time.monotonic())
            payload = self._status.online(session)
            info = None
            if payload is not None:
                info = connection.publish(self._topics.status, payload, retain=True)
            if info is None:
                self._status.failed()

    def will(self, session: int) -> Will:
        """The Last Will of a connection of `session`: the `offline` status."""
        return Will(self._topics.status, self._status.offline(session))

    # -- the link's thread -----------------------------------------------------------------

    def restart(self) -> None:
        """A new connection: the events not yet acknowledged are sent again on it."""
        self._pump.restart()

    def status_due_in(self, now: float) -> float:
        return self._status.due_in(now)

    def send(self, connection: Connection, session: int) -> None:
        """Publish what is due: replayed and new events up to the window, the status."""
        while not self._replays.empty():
            self._pump.rewind(self._replays.get_nowait())
        try:
            self._pump.fill(connection.publish)
        except (StoreError, sqlite3.Error) as exc:
            self._report(exc)
        if self._status.due_in(time.monotonic()) <= 0:
            self.publish_status(connection, session)

    def take_acks(self, connection: Connection) -> None:
        """The PUBACKs reported since the last turn; those of older connections are void."""
        while True:
            try:
                owner, mid, ok = self._acks.get_nowait()
            except queue.Empty:
                break
            if owner is connection:
                self._pump.acked(mid, ok)

    def flush_if_due(self) -> None:
        """After the window is refilled, so that sends and PUBACKs go on during the commit."""
        if self._pump.flush_due(time.monotonic()):
            self.flush()

    def flush(self) -> None:
        """Mark the acknowledged events delivered."""
        try:
            self._pump.flush()
        except (StoreError, sqlite3.Error) as exc:
            self._report(exc)

    def goodbye(self, connection: Connection, session: int, timeout_s: float) -> None:
        """A clean stop: the events still in the outbox (the last card's, say), then `offline`
        (retained) and its PUBACK; within `timeout_s` in all. The caller disconnects."""
        deadline = time.monotonic() + timeout_s
        self._drain(connection, deadline)
        if not connection.up:
            return
        info = connection.publish(self._topics.status, self._status.offline(session), retain=True)
        while (
            info is not None
            and not info.is_published()
            and not connection.ended.is_set()
            and time.monotonic() < deadline
        ):
            info.wait_for_publish(0.05)
        acked = info is not None and info.is_published()
        log.info("mqtt offline status published", acked=acked)

    def _drain(self, connection: Connection, deadline: float) -> None:
        """Publish what the outbox holds and wait for the PUBACKs, until the deadline."""
        try:
            while connection.up and time.monotonic() < deadline:
                self.take_acks(connection)
                self._pump.fill(connection.publish)
                if not self._pump.in_flight:
                    self._pump.flush()
                    if not self._outbox.pending_count():
                        break
                self._wake.wait(0.05)
                self._wake.clear()
        except (StoreError, sqlite3.Error) as exc:
            self._report(exc)
        self.flush()
