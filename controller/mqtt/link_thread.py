"""The MQTT link's own thread: one connection after another, until the link stops.

Each attempt is counted in the database before it connects (its number is the session of the
status and of the Last Will). While a connection is up the thread publishes (`Outbound`); when
a message was left unacknowledged it reconnects after `redeliver_after_s`, so that the broker
delivers the message again. After a connection ends the next attempt follows a jittered
exponential back-off, reset once a connection stayed up for `stable_after_s`.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import structlog

from controller.mqtt.backoff import Backoff
from controller.mqtt.connection import Connection, ConnectionListener
from controller.mqtt.outbound import Outbound, StoreErrorReport
from controller.mqtt.retained import next_session
from controller.mqtt.settings import MqttSettings
from controller.mqtt.timing import LinkTiming
from controller.queue.db import Database, StoreError

log = structlog.get_logger(__name__)


class LinkThread:
    """Connects, serves each connection, reconnects; `stop()` ends it with a clean goodbye."""

    def __init__(
        self,
        settings: MqttSettings,
        station: str,
        db: Database,
        outbound: Outbound,
        listener: ConnectionListener,
        timing: LinkTiming,
        *,
        wake: threading.Event,
        report: StoreErrorReport,
    ) -> None:
        self._settings, self._station, self._db = settings, station, db
        self._outbound, self._listener, self._timing = outbound, listener, timing
        self._wake, self._report = wake, report
        self._backoff = Backoff(
            timing.reconnect_initial_s, timing.reconnect_max_s, timing.reconnect_jitter_s
        )
        self._stopping = threading.Event()
        self._redeliver_at: float | None = None
        self._thread: threading.Thread | None = None
        self.connection: Connection | None = None  # the current (or last) one
        self.session = 0  # the number of the current (or last) connection attempt

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the MQTT link was started already")
        self._thread = threading.Thread(target=self._run, name="mqtt-link", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Say goodbye on the connection that is up, disconnect, end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self._timing.stop_timeout_s + self._timing.connect_timeout_s + 5)
            if self._thread.is_alive():
                log.error("mqtt link did not stop in time")

    def redeliver_later(self) -> None:
        """A message was left unacknowledged: reconnect after `redeliver_after_s`."""
        self._redeliver_at = time.monotonic() + self._timing.redeliver_after_s
        self._wake.set()

    def _run(self) -> None:
        first = True
        while not self._stopping.is_set():
            if not first:
                delay = self._backoff.next_delay()
                log.info("mqtt reconnecting", in_s=round(delay, 2))
                if self._stopping.wait(delay):
                    break
            first = False
            connection = self._open()
            if connection is None:
                continue
            try:
                stable = self._serve(connection)
            except Exception:
                log.exception("mqtt link failed; dropping the connection")
                connection.disconnect()
                stable = False
            finally:
                connection.close()
            if stable:
                self._backoff.reset()
        self._outbound.flush()
        log.info("mqtt link stopped", session=self.session)

    def _open(self) -> Connection | None:
        """Count the attempt, then connect; None when the broker cannot be reached."""
        try:
            self.session = next_session(self._db, self.session)
        except (StoreError, sqlite3.Error) as exc:
            self.session += 1
            self._report(exc)
        try:  # the credentials are read here: a secret file may be missing or unreadable
            connection = Connection(
                self._settings,
                self._station,
                self._outbound.will(self.session),
                self._listener,
                connect_timeout_s=self._timing.connect_timeout_s,
            )
            self._outbound.restart()
            self._redeliver_at = None
            self.connection = connection
            connection.open()
        except OSError as exc:
            log.warning(
                "mqtt connect failed",
                host=self._settings.host,
                port=self._settings.port,
                session=self.session,
                error=str(exc),
            )
            return None
        return connection

    def _serve(self, connection: Connection) -> bool:
        """Run one connection until it ends or the link stops; True if it was stable."""
        while True:
            self._wake.wait(self._next_wait(connection))
            self._wake.clear()
            self._outbound.take_acks(connection)
            if self._stopping.is_set():
                self._outbound.flush()
                self._outbound.goodbye(connection, self.session, self._timing.stop_timeout_s)
                connection.disconnect()
                return False
            if connection.ended.is_set():
                self._outbound.flush()
                return connection.up_for() >= self._timing.stable_after_s
            if connection.up:
                self._outbound.send(connection, self.session)
                self._redeliver_if_due(connection)
            self._outbound.flush_if_due()

    def _redeliver_if_due(self, connection: Connection) -> None:
        if self._redeliver_at is not None and time.monotonic() >= self._redeliver_at:
            log.info("reconnecting so that the broker delivers unacknowledged messages again")
            self._redeliver_at = None
            connection.disconnect()

    def _next_wait(self, connection: Connection) -> float:
        wait = self._timing.outbox_poll_s
        if connection.up:
            now = time.monotonic()
            wait = min(wait, self._outbound.status_due_in(now))
            if self._redeliver_at is not None:
                wait = min(wait, max(0.0, self._redeliver_at - now))
        return wait
