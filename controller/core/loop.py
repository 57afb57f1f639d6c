"""The core loop: the one owner of the station's state.

MQTT, the control socket, the GPIO panel and the printer worker never change the station
themselves: they `post` a callable, which the loop runs in order, or `call` one and wait for
its result. After each batch the loop re-evaluates (expiry, duty cycle, consumables, printer),
starts the next card when everything allows, syncs alerts and publishes status on change.
The printer conversation is `PrinterLane`, the degraded mode `StorageHealth`, reloads and the
printer's counts `ConsumableCounts`; the operations people ask for are at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from enum import Enum, auto
from typing import TypeVar

import structlog

from contract.clock import Clock
from contract.status import Status
from contract.vocabulary import (
    AlertCode,
    JobState,
    Severity,
    StationState,
)
from controller.core.alerts import Alert, AlertBook
from controller.core.consumable_counts import ConsumableCounts
from controller.core.inbox import Inbox
from controller.core.printer_lane import Phase, PrinterLane
from controller.core.printer_worker import PrinterReport
from controller.core.scheduler import Evaluation, PrinterView, Scheduler
from controller.core.status import StatusBoard
from controller.core.storage_health import StorageHealth
from controller.devices.printer import PrinterDriver
from controller.policy.retention import RetentionSettings
from controller.queue.db import StoreError, get_meta, set_meta
from controller.queue.store import Store

log = structlog.get_logger(__name__)
RETENTION_EVERY_S = 600.0
POLL_INTERVAL_S = 2.0  # an idle printer's status is asked this often
MAX_WAIT_S = 1.0  # the loop's longest sleep
PAUSED_KEY = StationState.PAUSED  # meta: "1" while a person has paused the station
T = TypeVar("T")
POWER_ALERT = Alert(
    AlertCode.POWER_FAIL, Severity.WARNING, "mains power lost: the station is shutting down"
)

UNACKED_ALERT = Alert(
    AlertCode.MESSAGES_UNACKED,
    Severity.ERROR,
    "messages from the central office are left unacknowledged until they can be stored",
)


class Lifecycle(Enum):
    RUNNING = auto()
    STOPPING = auto()  # no new card; the one in progress is finished first


class Station:
    def __init__(
        self,
        store: Store,
        driver: PrinterDriver,
        clock: Clock,
        scheduler: Scheduler,
        *,
        station_id: str,
        daily_limit: int,
        card_timeout_s: float,
        poll_interval_s: float = POLL_INTERVAL_S,
        max_wait_s: float = MAX_WAIT_S,
        retention_h: float = RetentionSettings.ended_job_hours,
    ) -> None:
        """`max_wait_s`: the longest the loop sleeps, so `heartbeat` runs at least this often.
        `retention_h`: how long an ended job keeps its card's text (`[retention]`)."""
        self._retention = timedelta(hours=retention_h)
        self._reduced_at: float | None = None  # monotonic time of the last retention pass
        self.store, self.clock, self._card_timeout_s = store, clock, card_timeout_s
        inbox = Inbox()
        self.post, self.call = inbox.post, inbox.call
        self._batch = inbox.batch
        self._scheduler = scheduler
        self.board = StatusBoard(station_id, daily_limit, AlertBook(store.db))
        self.storage = StorageHealth(store, clock)
        self.lane = PrinterLane(
            driver, store, self.storage, self.post, self._on_report, poll_interval_s
        )
        self.consumable_counts = ConsumableCounts(store, clock, self.lane, self.storage)
        with store.db.reading() as conn:
            self.paused = get_meta(conn, PAUSED_KEY) == "1"
        self.lifecycle = Lifecycle.RUNNING
        self._cabinet_open = False
        self._power_failed: list[Alert] = []
        self._holding: list[Alert] = []
        self._evaluation: Evaluation | None = None
        self.status_listeners: list[Callable[[], None]] = []
        self.event_listeners: list[Callable[[], None]] = []
        self.replay_listeners: list[Callable[[int], None]] = []  # the first seq to send again
        self.heartbeat: Callable[[], None] = lambda: None
        self._max_wait_s = max_wait_s

    # -- for other threads (and `post`, `call`) -------------------------------------------
    def request_stop(self) -> None:
        self.post(self._begin_stop)

    def storage_failed(self, exc: StoreError) -> None:
        """A part outside the loop (the MQTT intake) could not write (post it to the loop)."""
        self.storage.failed(exc)

    def messages_held(self, holding: bool) -> None:
        """The MQTT intake left messages unacknowledged, or acknowledges them again (post it)."""
        self._holding = [UNACKED_ALERT] if holding else []

    # -- the loop --------------------------------------------------------------------------
    def run(self, on_ready: Callable[[], None] = lambda: None) -> None:
        """Run until stopped; the card in progress is finished first (within its time limit)."""
        self.lane.worker.start()
        self.consumable_counts.tell_untold()
        self.lane.worker.poll()
        self._tick()
        on_ready()
        deadline: float | None = None
        while True:
            self.heartbeat()
            if self.lifecycle is Lifecycle.STOPPING:
                if self.lane.phase is not Phase.PRINTING:
                    break
                deadline = deadline or self.clock.monotonic() + self._card_timeout_s
                if self.clock.monotonic() >= deadline:
                    log.warning("stopping with a card in progress", job_id=self.lane.job_id)
                    break
            for action in self._batch(self._wait_s()):
                self.storage.guarded(action)
            self._tick()
        self.lane.worker.stop(timeout_s=5.0)
        log.info("core loop ended")

    def _wait_s(self) -> float:
        next_print = self._evaluation.duty.next_print_at if self._evaluation else None
        if next_print is None:
            return self._max_wait_s
        return min(self._max_wait_s, max(0.0, (next_print - self.clock.now()).total_seconds()))

    def _tick(self) -> None:
        guarded = self.storage.guarded
        guarded(self.storage.check)
        guarded(self.store.jobs.expire_due)
        guarded(self._apply_retention)
        evaluation = self._evaluate()
        job = evaluation.next_job
        if job and self._may_dispatch():
            log.info("card chosen", job_id=job.job_id, reason=job.reason)
            self.lane.print_card(self.store.jobs.printable(job.job_id))
            evaluation = self._evaluate()
        if self.lane.report is not None:  # before the printer answers, "missing" is no alarm
            guarded(lambda: self._sync_alerts(evaluation))
        now, extra = self.clock.now(), self._extra_alerts()
        if self.board.update(now, self.state, evaluation, self.lane.printer, extra):
            self._tell(self.status_listeners)
        self._tell(self.event_listeners)

    def _apply_retention(self) -> None:
        """At most every RETENTION_EVERY_S: reduce jobs ended over `retention_h` ago."""
        now = self.clock.monotonic()
        if self._reduced_at is not None and now - self._reduced_at < RETENTION_EVERY_S:
            return
        self._reduced_at = now
        reduced = self.store.jobs.reduce_ended(self.clock.now() - self._retention)
        if reduced:
            log.info("ended jobs reduced to their accounting record", count=reduced)

    def _sync_alerts(self, evaluation: Evaluation) -> None:
        self.board.sync_alerts(evaluation.state.reasons, self._extra_alerts(), self.clock.now())
        self.storage.alerts_synced()

    def _extra_alerts(self) -> list[Alert]:
        """Alerts that the policies do not derive."""
        return [
            *self.storage.alerts(),
            *self._power_failed,
            *self._holding,
            *self.consumable_counts.alerts(),
        ]

    def _evaluate(self) -> Evaluation:
        printer = self.lane.printer
        self._evaluation = self._scheduler.evaluate(
            self.clock.now(),
            paused=self.paused,
            printing=self.lane.phase is Phase.PRINTING,
            printer=PrinterView.of(
                printer.connected, printer.status, printer.problem, self.store.ledger.used
            ),
            cabinet_open=self._cabinet_open,
        )
        return self._evaluation

    def _may_dispatch(self) -> bool:
        """The station's own conditions for a card, beside the policies' start rule."""
        return (
            self.lane.phase is Phase.IDLE
            and not self.storage.failing
            and self.lifecycle is Lifecycle.RUNNING
            and not self._power_failed
        )

    def _on_report(self, report: PrinterReport) -> None:
        self.consumable_counts.adopt_printer_counts(report, self._evaluation)

    @staticmethod
    def _tell(listeners: list[Callable[[], None]]) -> None:
        for listener in listeners:
            listener()

    @property
    def state(self) -> StationState:
        if self.lifecycle is Lifecycle.STOPPING:
            return StationState.STOPPING
        if self.lane.report is None or self._evaluation is None:
            return StationState.STARTING
        if self.storage.failing:
            return StationState.ERROR
        return self._evaluation.state.state

    @property
    def head_temp_c(self) -> float:
        return self._evaluation.duty.head_temp_c if self._evaluation else 0.0

    @property
    def needs_person(self) -> bool:
        return self.state == StationState.BLOCKED or bool(
            self._evaluation and self._evaluation.counts[JobState.NEEDS_REVIEW]
        )

    def latest_status(self) -> Status:
        """The status as of the last tick; safe from any thread (the MQTT link's provider)."""
        return self.board.latest()

    # -- what people and other parts ask for (run on the loop) -----------------------------
    def status(self, publish: bool = False) -> Status:
        """The status document, brought up to date now; with `publish`, the status listeners
        hear of it even if nothing changed."""
        self._tick()
        if publish:
            self._tell(self.status_listeners)
        return self.board.latest()

    def set_paused(self, paused: bool) -> None:
        with self.store.db.transaction() as tx:
            set_meta(tx, PAUSED_KEY, "1" if paused else "0")
        self.paused = paused
        log.info("paused by a person" if paused else "resumed")

    def set_cabinet_open(self, is_open: bool) -> None:
        if is_open != self._cabinet_open:
            log.info("cabinet cover", open=is_open)
        self._cabinet_open = is_open

    def power_failed(self) -> None:
        """Mains is lost: take no new card, finish the one in progress, stop."""
        log.warning("power failure: stopping")
        self._power_failed = [POWER_ALERT]
        self._begin_stop()

    def _begin_stop(self) -> None:
        if self.lifecycle is Lifecycle.RUNNING:
            log.info("stop begun", card_in_progress=self.lane.job_id)
        self.lifecycle = Lifecycle.STOPPING


def run_in_thread(
    station: Station, on_ready: Callable[[], None] = lambda: None
) -> threading.Thread:
    """Run the core loop in a thread (tests, and the daemon's signal handling)."""
    thread = threading.Thread(target=station.run, args=(on_ready,), name="core", daemon=True)
    thread.start()
    return thread
