"""The station's link to the central broker: connect, keep connected, publish, receive.

`MqttLink` is what the daemon holds; it joins three parts. The link's own thread
(`LinkThread`) runs the connection attempts (jittered exponential back-off, sleeping while
offline) and ends the link cleanly on `stop()`; while a connection is up it publishes the
outbox and the status (`Outbound`). paho's network thread, one per connection, delivers jobs
and commands (`Inbound`) and acknowledgements. See docs/mqtt.md.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
import structlog

from contract.clock import Clock
from contract.status import LinkState
from contract.topics import Topics
from controller.mqtt.connection import Connection
from controller.mqtt.inbound import Inbound
from controller.mqtt.link_thread import LinkThread
from controller.mqtt.outbound import Outbound
from controller.mqtt.requests import CommandHandler, CommandProcessor
from controller.mqtt.retained import StatusProvider, StatusReport
from controller.mqtt.settings import MqttSettings
from controller.mqtt.timing import LinkTiming
from controller.queue.db import StoreError
from controller.queue.intake import IntakeResult
from controller.queue.store import Store

log = structlog.get_logger(__name__)


class MqttLink:
    """The MQTT link of one station. Thread-safe: `wake()`, `replayed()` and
    `status_changed()` may be called from any thread; the callbacks run on the link's or
    paho's threads."""

    def __init__(
        self,
        settings: MqttSettings,
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
        timing = timing or LinkTiming()
        self._store, self._timing = store, timing
        self._on_store_error, self._on_job = on_store_error, on_job
        self._on_holding = on_holding
        self._topics = Topics(settings.topic_root, station)
        self._wake = threading.Event()
        status = StatusReport(
            station,
            status_provider,
            clock,
            coalesce_s=timing.status_coalesce_s,
            heartbeat_s=timing.status_heartbeat_s,
        )
        self._outbound = Outbound(
            store.outbox,
            self._topics,
            status,
            clock,
            settings.max_inflight,
            wake=self._wake,
            report=self._report_store_error,
        )
        self._inbound = Inbound(
            self._topics,
            store.intake,
            CommandProcessor(store.db, commands, clock),
            on_job=self._job_stored,
            on_unacked=self._left_unacked,
            on_acked=lambda: self._tell_holding(False),
        )
        self._thread = LinkThread(
            settings,
            station,
            store.db,
            self._outbound,
            self,
            timing,
            wake=self._wake,
            report=self._report_store_error,
        )

    # -- the daemon's interface --------------------------------------------------------------

    @property
    def connected(self) -> bool:
        connection = self._thread.connection
        return connection is not None and connection.up

    @property
    def listening(self) -> bool:
        """Connected, with the job and command subscriptions granted."""
        connection = self._thread.connection
        return connection is not None and connection.listening

    def state(self) -> LinkState:
        """For the kiosk: whether the link is up, its session, and the events not yet sent
        (None when the database cannot say)."""
        try:
            unsent: int | None = self._store.outbox.pending_count()
        except (StoreError, sqlite3.Error):
            unsent = None
        return LinkState(self.connected, self.session, unsent)

    @property
    def session(self) -> int:
        """The number of the current (or last) connection attempt."""
        return self._thread.session

    def start(self) -> None:
        self._thread.start()
        self._inbound.start()

    def stop(self) -> None:
        """Publish `offline` (waiting for its PUBACK, bounded), disconnect, end the threads."""
        self._thread.stop()
        self._inbound.stop(self._timing.stop_timeout_s)

    def wake(self) -> None:
        """New events are in the outbox: publish them now rather than at the next poll."""
        self._wake.set()

    def replayed(self, from_seq: int) -> None:
        """Events from `from_seq` on were marked undelivered again: send them now."""
        self._outbound.replayed(from_seq)

    def status_changed(self) -> None:
        """The status changed: publish it (at most once per coalescing period)."""
        self._outbound.status_changed()

    # -- ConnectionListener (paho's network thread) ----------------------------------------

    def connection_up(self, connection: Connection, session_present: bool) -> None:
        # Retain As Published: a job or command published retained keeps its flag; the job is
        # rejected (`unsafe_delivery`), the command ignored. Retained ones already at the broker
        # are never sent (Retain Handling 2).
        connection.subscribe(self._topics.job, retain_as_published=True)
        connection.subscribe(self._topics.commands, retain_as_published=True)
        self._outbound.publish_status(connection, self.session)
        self._wake.set()

    def connection_message(self, connection: Connection, message: mqtt.MQTTMessage) -> None:
        self._inbound.handle(connection, message)

    def connection_published(self, connection: Connection, mid: int, ok: bool) -> None:
        self._outbound.acked(connection, mid, ok)

    def connection_ended(self, connection: Connection) -> None:
        self._wake.set()

    # -- what the parts report ---------------------------------------------------------------

    def _job_stored(self, result: IntakeResult) -> None:
        self._wake.set()  # intake wrote job.accepted or job.rejected
        if self._on_job is not None:
            try:
                self._on_job(result)
            except Exception:
                log.exception("on_job callback failed")

    def _left_unacked(self, error: StoreError) -> None:
        self._thread.redeliver_later()
        self._report_store_error(error)
        self._tell_holding(True)

    def _tell_holding(self, holding: bool) -> None:
        try:
            self._on_holding(holding)
        except Exception:
            log.exception("on_holding callback failed")

    def _report_store_error(self, error: StoreError | sqlite3.Error) -> None:
        if not isinstance(error, StoreError):
            error = StoreError(f"station database: {error}")
        log.error("station store failed", error=str(error))
        if self._on_store_error is not None:
            try:
                self._on_store_error(error)
            except Exception:
                log.exception("on_store_error callback failed")
