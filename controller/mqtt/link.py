"""The station's link to the central broker: connect, keep connected, publish, receive.

One thread of the link's own runs the connection attempts (jittered exponential back-off,
sleeping while offline), publishes the outbox and the status while a connection is up, and ends
the link cleanly on `stop()`. paho's network thread, one per connection, delivers jobs and
commands (`Inbound`) and acknowledgements. See docs/mqtt.md.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import structlog

from contract.clock import Clock
from contract.status import LinkState
from contract.topics import Topics
from controller.app.config import MqttSection
from controller.mqtt.backoff import Backoff
from controller.mqtt.connection import Connection, Will
from controller.mqtt.inbound import Inbound
from controller.mqtt.outbox_pump import OutboxPump
from controller.mqtt.requests import CommandHandler, CommandProcessor
from controller.mqtt.retained import StatusProvider, StatusReport, next_session
from controller.queue.db import StoreError
from controller.queue.intake import IntakeResult
from controller.queue.store import Store

log = structlog.get_logger(__name__)


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
    connect_timeout_s: float = 10.0
    stop_timeout_s: float = 5.0  # wait this long for the PUBACK of the `offline` status


class MqttLink:
    """The MQTT link of one station. Thread-safe: `wake()`, `replayed()` and
    `status_changed()` may be called from any thread; the callbacks run on the link's or
    paho's threads."""

    def __init__(
        self,
        settings: MqttSection,
        station: str,
        store: Store,
        clock: Clock,
        *,
        status_provider: StatusProvider,
        commands: CommandHandler,
        on_store_error: Callable[[StoreError], None] | None = None,
        on_job: Callable[[IntakeResult], None] | None = None,
        on_holding: Callable[[bool], None] = lambda holding: None,
        timing: LinkTiming | None = None,
    ) -> None:
        """`on_holding(True)`: messages were left unacknowledged (the station raises an alert);
        `on_holding(False)`: messages are acknowledged again."""
        self._settings, self._station, self._store = settings, station, store
        self._timing = timing or LinkTiming()
        self._on_store_error, self._on_job = on_store_error, on_job
        self._on_holding = on_holding
        self._topics = Topics(settings.topic_root, station)
        self._status = StatusReport(
            station,
            status_provider,
            clock,
            coalesce_s=self._timing.status_coalesce_s,
            heartbeat_s=self._timing.status_heartbeat_s,
        )
        self._status_lock = threading.Lock()
        self._pump = OutboxPump(store.outbox, self._topics, clock, settings.max_inflight)
        self._inbound = Inbound(
            self._topics,
            store.intake,
            CommandProcessor(store.db, commands, clock),
            on_job=self._job_stored,
            on_unacked=self._left_unacked,
            on_acked=lambda: self._tell_holding(False),
        )
        self._backoff = Backoff(
            self._timing.reconnect_initial_s,
            self._timing.reconnect_max_s,
            self._timing.reconnect_jitter_s,
        )
        self._acks: queue.SimpleQueue[tuple[Connection, int, bool]] = queue.SimpleQueue()
        self._replays: queue.SimpleQueue[int] = queue.SimpleQueue()  # first seq of each
        self._kick = threading.Event()
        self._stopping = threading.Event()
        self._connection: Connection | None = None
        self._session = 0
        self._redeliver_at: float | None = None
        self._thread: threading.Thread | None = None

    # -- the daemon's interface --------------------------------------------------------------

    @property
    def connected(self) -> bool:
        connection = self._connection
        return connection is not None and connection.up

    @property
    def listening(self) -> bool:
        """Connected, with the job and command subscriptions granted."""
        connection = self._connection
        return connection is not None and connection.listening

    def state(self) -> LinkState:
        """For the kiosk: whether the link is up, its session, and the events not yet sent
        (None when the database cannot say)."""
        try:
            unsent: int | None = self._store.outbox.pending_count()
        except (StoreError, sqlite3.Error):
            unsent = None
        return LinkState(self.connected, self._session, unsent)

    @property
    def session(self) -> int:
        """The number of the current (or last) connection attempt."""
        return self._session

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the MQTT link was started already")
        self._inbound.start()
        self._thread = threading.Thread(target=self._run, name="mqtt-link", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Publish `offline` (waiting for its PUBACK, bounded), disconnect, end the thread."""
        self._stopping.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(self._timing.stop_timeout_s + self._timing.connect_timeout_s + 5)
            if self._thread.is_alive():
                log.error("mqtt link did not stop in time")
            self._inbound.stop(self._timing.stop_timeout_s)

    def wake(self) -> None:
        """New events are in the outbox: publish them now rather than at the next poll."""
        self._kick.set()

    def replayed(self, from_seq: int) -> None:
        """Events from `from_seq` on were marked undelivered again: send them now."""
        self._replays.put(from_seq)
        self._kick.set()

    def status_changed(self) -> None:
        """The status changed: publish it (at most once per coalescing period)."""
        self._status.changed()
        self._kick.set()

    # -- ConnectionListener (paho's network thread) ----------------------------------------

    def connection_up(self, connection: Connection, session_present: bool) -> None:
        # Retain As Published: a job or command published retained keeps its flag; the job is
        # rejected (`unsafe_delivery`), the command ignored. Retained ones already at the broker
        # are never sent (Retain Handling 2).
        connection.subscribe(self._topics.job, retain_as_published=True)
        connection.subscribe(self._topics.commands, retain_as_published=True)
        self._publish_status(connection)
        self._kick.set()

    def connection_message(self, connection: Connection, message: mqtt.MQTTMessage) -> None:
        self._inbound.handle(connection, message)

    def connection_published(self, connection: Connection, mid: int, ok: bool) -> None:
        self._acks.put((connection, mid, ok))
        self._kick.set()

    def connection_ended(self, connection: Connection) -> None:
        self._kick.set()

    # -- the link's thread -----------------------------------------------------------------

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
        self._flush_delivered()
        log.info("mqtt link stopped", session=self._session)

    def _open(self) -> Connection | None:
        """Count the attempt, then connect; None when the broker cannot be reached."""
        try:
            self._session = next_session(self._store.db, self._session)
        except (StoreError, sqlite3.Error) as exc:
            self._session += 1
            self._report_store_error(_as_store_error(exc))
        will = Will(self._topics.status, self._status.offline(self._session))
        connection = Connection(
            self._settings,
            self._station,
            will,
            self,
            connect_timeout_s=self._timing.connect_timeout_s,
        )
        self._pump.restart()
        self._redeliver_at = None
        self._connection = connection
        try:
            connection.open()
        except OSError as exc:
            log.warning(
                "mqtt connect failed",
                host=self._settings.host,
                port=self._settings.port,
                session=self._session,
                error=str(exc),
            )
            return None
        return connection

    def _serve(self, connection: Connection) -> bool:
        """Run one connection until it ends or the link stops; True if it was stable."""
        while True:
            self._kick.wait(self._next_wait(connection))
            self._kick.clear()
            self._take_acks(connection)
            if self._stopping.is_set():
                self._flush_delivered()
                self._goodbye(connection)
                return False
            if connection.ended.is_set():
                self._flush_delivered()
                return connection.up_for() >= self._timing.stable_after_s
            if connection.up:
                self._tick(connection)
            # After the window is refilled, so that sends and PUBACKs go on during the commit.
            if self._pump.flush_due(time.monotonic()):
                self._flush_delivered()

    def _tick(self, connection: Connection) -> None:
        while not self._replays.empty():
            self._pump.rewind(self._replays.get_nowait())
        try:
            self._pump.fill(lambda topic, payload: connection.publish(topic, payload))
        except (StoreError, sqlite3.Error) as exc:
            self._report_store_error(_as_store_error(exc))
        now = time.monotonic()
        if self._status.due_in(now) <= 0:
            self._publish_status(connection)
        if self._redeliver_at is not None and now >= self._redeliver_at:
            log.info("reconnecting so that the broker delivers unacknowledged messages again")
            self._redeliver_at = None
            connection.disconnect()

    def _next_wait(self, connection: Connection) -> float:
        wait = self._timing.outbox_poll_s
        if connection.up:
            now = time.monotonic()
            wait = min(wait, self._status.due_in(now))
            if self._redeliver_at is not None:
                wait = min(wait, max(0.0, self._redeliver_at - now))
        return wait

    def _take_acks(self, connection: Connection) -> None:
        while True:
            try:
                owner, mid, ok = self._acks.get_nowait()
            except queue.Empty:
                break
            if owner is connection:
                self._pump.acked(mid, ok)

    def _flush_delivered(self) -> None:
        try:
            self._pump.flush()
        except (StoreError, sqlite3.Error) as exc:
            self._report_store_error(_as_store_error(exc))

    def _goodbye(self, connection: Connection) -> None:
        """A clean stop: the events still in the outbox (the last card's, say), then `offline`
        (retained) and its PUBACK, then DISCONNECT; within `stop_timeout_s` in all."""
        deadline = time.monotonic() + self._timing.stop_timeout_s
        self._drain(connection, deadline)
        if connection.up:
            info = connection.publish(
                self._topics.status, self._status.offline(self._session), retain=True
            )
            while (
                info is not None
                and not info.is_published()
                and not connection.ended.is_set()
                and time.monotonic() < deadline
            ):
                info.wait_for_publish(0.05)
            acked = info is not None and info.is_published()
            log.info("mqtt offline status published", acked=acked)
        connection.disconnect()

    def _drain(self, connection: Connection, deadline: float) -> None:
        """Publish what the outbox holds and wait for the PUBACKs, until the deadline."""
        try:
            while connection.up and time.monotonic() < deadline:
                self._take_acks(connection)
                self._pump.fill(lambda topic, payload: connection.publish(topic, payload))
                if not self._pump.in_flight:
                    self._pump.flush()
                    if not self._store.outbox.pending_count():
                        break
                self._kick.wait(0.05)
                self._kick.clear()
        except (StoreError, sqlite3.Error) as exc:
            self._report_store_error(_as_store_error(exc))
        self._flush_delivered()

    # -- shared by both threads ------------------------------------------------------------

    def _publish_status(self, connection: Connection) -> None:
        with self._status_lock:
            self._status.begin(time.monotonic())
            payload = self._status.online(self._session)
            info = None
            if payload is not None:
                info = connection.publish(self._topics.status, payload, retain=True)
            if info is None:
                self._status.failed()

    def _job_stored(self, result: IntakeResult) -> None:
        self._kick.set()  # intake wrote job.accepted or job.rejected
        if self._on_job is not None:
            try:
                self._on_job(result)
            except Exception:
                log.exception("on_job callback failed")

    def _left_unacked(self, error: StoreError) -> None:
        self._redeliver_at = time.monotonic() + self._timing.redeliver_after_s
        self._kick.set()
        self._report_store_error(error)
        self._tell_holding(True)

    def _tell_holding(self, holding: bool) -> None:
        try:
            self._on_holding(holding)
        except Exception:
            log.exception("on_holding callback failed")

    def _report_store_error(self, error: StoreError) -> None:
        log.error("station store failed", error=str(error))
        if self._on_store_error is not None:
            try:
                self._on_store_error(error)
            except Exception:
                log.exception("on_store_error callback failed")


def _as_store_error(error: StoreError | sqlite3.Error) -> StoreError:
    return error if isinstance(error, StoreError) else StoreError(f"station database: {error}")
