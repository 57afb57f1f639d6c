"""The core loop: the one owner of the station's state.

MQTT, the control socket, the GPIO panel and the printer worker never change the station
themselves: they `post` a callable, which the loop runs in order, or `call` one and wait for
its result. After each batch the loop re-evaluates (expiry, duty cycle, consumables, printer),
starts the next card when everything allows, syncs alerts and publishes status on change.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import structlog

from controller.app.config import Config
from controller.clock import Clock, rfc3339
from controller.core.alerts import REASON_ALERTS, Alert, AlertBook
from controller.core.printer_worker import CardResult, PrinterReport, PrinterWorker
from controller.core.scheduler import Evaluation, PrinterView, Scheduler
from controller.core.status import build_status, same_status
from controller.devices.printer import Fault, Printed, PrinterDriver, Spoiled, Unknown
from controller.queue.db import StoreError, get_meta, set_meta
from controller.queue.recovery import recover_interrupted
from controller.queue.store import Store

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_IDLE_WAIT_S = 1.0
STORAGE_ALERT = Alert("storage_error", "error", "the station database cannot be written")
POWER_ALERT = Alert("power_fail", "warning", "mains power lost: the station is shutting down")
JAM_FLAG = "ERR_MECHANICAL"
PENDING_RELOADS = "printer_reloads_pending"  # meta: reloads booked, the printer not yet told


def note_printer_reload(
    tx: sqlite3.Connection, consumable: str, count: int, capacity: int | None
) -> None:
    """Call in the transaction that books a reload in the ledger: the printer is told later
    (by its worker); if the station stops before that, the next start tells it before it
    takes any count from the printer, which would otherwise undo the reload in the ledger."""
    pending = json.loads(get_meta(tx, PENDING_RELOADS) or "{}")
    pending[consumable] = [count, capacity]
    set_meta(tx, PENDING_RELOADS, json.dumps(pending))


class Station:
    def __init__(
        self,
        config: Config,
        store: Store,
        driver: PrinterDriver,
        clock: Clock,
        *,
        poll_interval_s: float = 2.0,
        max_wait_s: float = MAX_IDLE_WAIT_S,
    ) -> None:
        """`max_wait_s`: the longest the loop sleeps, so `heartbeat` runs at least this often."""
        self.config, self.store, self.clock = config, store, clock
        self._inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self._worker = PrinterWorker(
            driver, store.jobs, self.post, self._on_printer_report, poll_interval_s
        )
        self._scheduler = Scheduler(store, config.duty.policy(), config.consumables.reserve_cards)
        self._alerts = AlertBook(store.db)
        with store.db.reading() as conn:
            self.paused = get_meta(conn, "paused") == "1"
            self._untold_reloads = json.loads(get_meta(conn, PENDING_RELOADS) or "{}")
        self._printer = PrinterReport(False, None, None)
        self._printing: str | None = None  # the job whose card the worker has
        self._settle_cause: str | None = None  # a card whose outcome the counter must decide
        self._settle_asked = False
        # No card until the printer has answered a poll: at start-up, and after a fault.
        self._fresh_report = False
        self._started = False  # the printer's first poll has come back
        self._cabinet_open = False
        self._reloads_in_flight = 0  # printer reports older than a reload are stale
        self._jam_eject_asked = False
        self._storage_error: str | None = None
        self._unrecorded: CardResult | None = None  # a card outcome storage could not take
        self._extra_alerts: dict[str, Alert] = {}
        self._stopping = False
        self._status: dict[str, Any] | None = None
        self._evaluation: Evaluation | None = None
        self.status_listeners: list[Callable[[], None]] = []
        self.event_listeners: list[Callable[[], None]] = []
        self.card_listeners: list[Callable[[str], None]] = []  # "printed" or "spoiled"
        self.replay_listeners: list[Callable[[int], None]] = []  # the first seq to send again
        self.heartbeat: Callable[[], None] = lambda: None
        self._max_wait_s = max_wait_s
        if store.jobs.counts()["printing"]:
            self._settle_cause = "interrupted"  # the station stopped mid-card

    # -- for other threads -----------------------------------------------------------------
    def post(self, action: Callable[[], None]) -> None:
        self._inbox.put(action)

    def call(self, action: Callable[[], T], timeout_s: float = 10.0) -> T:
        """Run `action` on the core loop and return its result (or raise its exception)."""
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(action())
            except BaseException as exc:  # handed to the caller, not lost
                future.set_exception(exc)

        self.post(run)
        return future.result(timeout_s)

    def request_stop(self) -> None:
        self.post(self._begin_stop)

    # -- the loop --------------------------------------------------------------------------
    def run(self, on_ready: Callable[[], None] = lambda: None) -> None:
        """Run until stopped; the card in progress is finished first (within its time limit)."""
        self._worker.start()
        for consumable, (count, capacity) in self._untold_reloads.items():
            log.info("telling the printer of a reload booked before a stop", consumable=consumable)
            self.reload_printer(consumable, count, capacity)
        self._worker.poll()
        self._tick()
        on_ready()
        deadline: float | None = None
        while True:
            self.heartbeat()
            if self._stopping:
                if self._printing is None:
                    break
                deadline = deadline or self.clock.monotonic() + self.config.printer.card_timeout_s
                if self.clock.monotonic() >= deadline:
                    log.warning("stopping with a card in progress", job_id=self._printing)
                    break
            try:
                action = self._inbox.get(timeout=self._wait_s())
            except queue.Empty:
                action = None
            while action is not None:
                self._guarded(action)
                action = self._next_action()
            self._tick()
        self._worker.stop(timeout_s=5.0)
        log.info("core loop ended")

    def _next_action(self) -> Callable[[], None] | None:
        try:
            return self._inbox.get_nowait()
        except queue.Empty:
            return None

    def _wait_s(self) -> float:
        wait = self._max_wait_s
        next_print = self._evaluation.duty.next_print_at if self._evaluation else None
        if next_print is not None:
            wait = min(wait, max(0.0, (next_print - self.clock.now()).total_seconds()))
        return wait

    def _tick(self) -> None:
        now = self.clock.now()
        self._guarded(self._check_storage)
        self._guarded(self.store.jobs.expire_due)
        evaluation = self._evaluate()
        job = evaluation.next_job
        if job and self._may_dispatch():
            self._printing = job.job_id
            log.info("card chosen", job_id=job.job_id, reason=job.reason)
            self._worker.print_card(self.store.jobs.printable(job.job_id), self._card_done)
            evaluation = self._evaluate()
        if self._started:  # before the printer's first answer, "missing" would be a false alarm
            wanted = [REASON_ALERTS[r] for r in evaluation.state.reasons if r in REASON_ALERTS]
            self._guarded(
                lambda: self._alerts.sync(wanted + list(self._extra_alerts.values()), now)
            )
            if self._storage_error is None and STORAGE_ALERT.code in self._extra_alerts:
                self._extra_alerts.pop(STORAGE_ALERT.code)  # raised above; cleared next tick
        status = build_status(
            self.config.station.id,
            now,
            self.state,
            evaluation,
            self._printer,
            self._alert_list(),
            self.config.duty.daily_limit,
        )
        if not same_status(self._status, status):
            self._status = status
            for listener in self.status_listeners:
                listener()
        for listener in self.event_listeners:
            listener()

    # -- storage failures (disk full, read-only) -------------------------------------------
    def _guarded(self, step: Callable[[], object]) -> None:
        """Run one step; a storage failure degrades the station instead of ending the loop."""
        try:
            step()
        except StoreError as exc:
            if self._storage_error is None:
                log.error("storage failing: no new cards until it can be written", error=str(exc))
            self._storage_error = str(exc)
            self._extra_alerts[STORAGE_ALERT.code] = STORAGE_ALERT

    def _check_storage(self) -> None:
        """While storage is failing, try a write; once it works, record what is waiting."""
        if self._storage_error is None:
            return
        with self.store.db.transaction() as tx:
            set_meta(tx, "storage_checked", rfc3339(self.clock.now()))
        log.info("storage writable again")
        self._storage_error = None  # the alert is stored once, then cleared (for the record)
        unrecorded, self._unrecorded = self._unrecorded, None
        if unrecorded is not None:
            self._card_done(unrecorded)

    def storage_failed(self, exc: StoreError) -> None:
        """A part outside the loop (the MQTT intake) could not write."""
        self._guarded(lambda: _raise(exc))

    def _alert_list(self) -> list[dict[str, Any]]:
        """Stored alerts, plus those in force that storage could not take."""
        try:
            stored = self._alerts.current()
        except StoreError:
            stored = []
        known = {alert["code"] for alert in stored}
        since = rfc3339(self.clock.now())
        return stored + [
            {"code": alert.code, "severity": alert.severity, "since": since}
            for alert in self._extra_alerts.values()
            if alert.code not in known
        ]

    def _evaluate(self) -> Evaluation:
        self._evaluation = self._scheduler.evaluate(
            self.clock.now(),
            paused=self.paused,
            printing=self._printing is not None,
            printer=PrinterView.of(self._printer.connected, self._printer.status),
            cabinet_open=self._cabinet_open,
        )
        return self._evaluation

    def _may_dispatch(self) -> bool:
        return (
            self._storage_error is None
            and self._unrecorded is None
            and self._printing is None
            and self._settle_cause is None
            and self._fresh_report
            and not self._stopping
            and "power_fail" not in self._extra_alerts
        )

    @property
    def state(self) -> str:
        if self._stopping:
            return "stopping"
        if not self._started or self._evaluation is None:
            return "starting"
        if self._storage_error is not None:
            return "error"
        return self._evaluation.state.state

    def latest_status(self) -> dict[str, Any]:
        """The status as of the last tick, one consistent document (state and alerts from the
        same tick); safe from any thread (the MQTT link's provider)."""
        status = self._status
        if status is None:
            return {
                "schema": "ektp.status/1",
                "station": self.config.station.id,
                "state": "starting",
            }
        return status

    def status(self, publish: bool = False) -> dict[str, Any]:
        """The status document, brought up to date now (core loop only); with `publish`, the
        status listeners hear of it even if nothing changed."""
        self._tick()
        if publish:
            for listener in self.status_listeners:
                listener()
        assert self._status is not None
        return self._status

    # -- results from the printer worker ---------------------------------------------------
    def _card_done(self, result: CardResult) -> None:
        self._printing = None
        try:
            self._record_card(result)
        except StoreError:
            self._unrecorded = result  # recorded when storage works again (_check_storage)
            raise

    def _record_card(self, result: CardResult) -> None:
        job_id, outcome = result.job_id, result.outcome
        serial = self._printer.identity.serial if self._printer.identity else ""
        if result.counter_before is None:
            if result.error and result.error.startswith("render"):
                self.store.jobs.fail(job_id, "render_failed", result.error)
            if result.error and result.error.startswith("storage"):
                self.storage_failed(StoreError(result.error))
            log.warning("card not started", job_id=job_id, error=result.error)
            self._fresh_report = False
            self._worker.poll()
        elif isinstance(outcome, Printed):
            self.store.jobs.printed(job_id, outcome.card_counter, serial)
            self._tell_cards("printed")
        elif isinstance(outcome, Spoiled):
            self.store.jobs.spoiled(job_id, outcome.cause, outcome.card_counter)
            self._tell_cards("spoiled")
        else:
            cause = (
                outcome.kind
                if isinstance(outcome, Fault)
                else (outcome.reason if isinstance(outcome, Unknown) else "unknown")
            )
            log.warning(
                "card outcome unknown until the counter is read", job_id=job_id, cause=cause
            )
            self._settle_cause = cause
            self._fresh_report = False
            self._worker.poll()

    def _tell_cards(self, outcome: str) -> None:
        for listener in self.card_listeners:
            listener(outcome)

    def _on_printer_report(self, report: PrinterReport) -> None:
        if report.connected != self._printer.connected:
            log.info("printer connected" if report.connected else "printer not reachable")
        self._printer = report
        self._fresh_report = self._started = True
        if report.connected and self._settle_cause and not self._settle_asked:
            self._settle_asked = True
            self._worker.read_counter(self._settle)
        self._adopt_printer_counts(report)
        self._eject_left_jam(report)

    def _eject_left_jam(self, report: PrinterReport) -> None:
        """A jam reported between cards was left by a stop between the jam and the driver's
        eject (which follows every jam it sees): eject the card to the reject tray, once while
        the jam lasts. Its blank is already spoiled, in the printer's count."""
        jammed = (
            report.connected and report.status is not None and (JAM_FLAG in report.status.flags)
        )
        if not jammed:
            self._jam_eject_asked = False
        elif not (self._jam_eject_asked or self._printing or self._settle_cause):
            self._jam_eject_asked = True
            log.warning("printer reports a jam between cards: ejecting to the reject tray")
            self._worker.eject()

    def _adopt_printer_counts(self, report: PrinterReport) -> None:
        """Where the printer counts a consumable itself, its count wins (a ribbon sold for 200
        may give 125); the ledger books the difference as an adjustment. Only between cards and
        after any reload has reached the printer, so the report cannot be stale; and not while
        the printer has counted a blank the ledger has yet to book: a card waiting for review
        (booked when a person decides) or an outcome storage could not take (booked when it
        can)."""
        reviewing = self._evaluation is not None and self._evaluation.counts["needs_review"] > 0
        unbooked = reviewing or self._unrecorded is not None
        busy = self._printing or self._settle_cause or self._reloads_in_flight or unbooked
        if not report.connected or report.status is None or busy:
            return
        levels = report.status.consumables
        counted = self._evaluation.remaining if self._evaluation else {}
        differ = {
            name: level.remaining
            for name, level in levels.items()
            if counted.get(name) != level.remaining
        }
        if not differ:
            return
        with self.store.db.transaction() as tx:
            for name, remaining in differ.items():
                if remaining != self.store.ledger.remaining(tx, name):
                    log.info("printer count adopted", consumable=name, count=remaining)
                    self.store.ledger.adopt(tx, name, remaining, self.clock.now())

    def _settle(self, counter: int | None) -> None:
        self._settle_asked = False
        if counter is None or self._settle_cause is None:
            return  # the printer went away again: the next report asks once more
        recover_interrupted(self.store.jobs, counter, self._settle_cause)
        self._settle_cause = None

    # -- what people and other parts ask for (run on the loop) -----------------------------
    def set_paused(self, paused: bool) -> None:
        with self.store.db.transaction() as tx:
            set_meta(tx, "paused", "1" if paused else "0")
        self.paused = paused
        log.info("paused" if paused else "resumed")

    def set_cabinet_open(self, is_open: bool) -> None:
        if is_open != self._cabinet_open:
            log.info("cabinet cover", open=is_open)
        self._cabinet_open = is_open

    def power_failed(self) -> None:
        """Mains is lost: take no new card, finish the one in progress, stop."""
        log.warning("power failure: stopping")
        self.set_alert(POWER_ALERT, True)
        self._begin_stop()

    def resolve_oldest_review(self, outcome: str) -> str | None:
        """The review button: decide the oldest `needs_review` job; returns its id."""
        waiting = self.store.jobs.in_state("needs_review", limit=1)
        if not waiting:
            log.info("review button pressed with no card to review")
            return None
        self.store.jobs.resolve(waiting[0].job_id, outcome, self.printer_serial())
        log.info("card resolved at the panel", job_id=waiting[0].job_id, outcome=outcome)
        return waiting[0].job_id

    @property
    def head_temp_c(self) -> float:
        return self._evaluation.duty.head_temp_c if self._evaluation else 0.0

    @property
    def needs_person(self) -> bool:
        return self.state == "blocked" or bool(
            self._evaluation and self._evaluation.counts["needs_review"]
        )

    def set_alert(self, alert: Alert, active: bool) -> None:
        """Raise or clear an alert that the policies do not derive (storage, power)."""
        if active:
            self._extra_alerts[alert.code] = alert
        else:
            self._extra_alerts.pop(alert.code, None)

    def reload_printer(self, consumable: str, count: int, capacity: int | None) -> None:
        self._reloads_in_flight += 1
        self._worker.reload(consumable, count, capacity, self._reload_done)  # type: ignore[arg-type]
        self._worker.poll()

    def _reload_done(self) -> None:
        self._reloads_in_flight -= 1
        if self._reloads_in_flight == 0:
            self._guarded(self._forget_told_reloads)

    def _forget_told_reloads(self) -> None:
        with self.store.db.transaction() as tx:
            set_meta(tx, PENDING_RELOADS, "{}")

    def replay_events(self, from_seq: int, to_seq: int) -> int:
        """Send events `from_seq`..`to_seq` again (a consumer lost them); returns how many."""
        count = self.store.outbox.replay(from_seq, to_seq)
        log.info("events to be sent again", from_seq=from_seq, to_seq=to_seq, count=count)
        for listener in self.replay_listeners:
            listener(from_seq)
        return count

    def printer_serial(self) -> str:
        return self._printer.identity.serial if self._printer.identity else ""

    def _begin_stop(self) -> None:
        if not self._stopping:
            log.info("stopping", card_in_progress=self._printing)
        self._stopping = True


def run_in_thread(
    station: Station, on_ready: Callable[[], None] = lambda: None
) -> threading.Thread:
    """Run the core loop in a thread (tests, and the daemon's signal handling)."""
    thread = threading.Thread(target=station.run, args=(on_ready,), name="core", daemon=True)
    thread.start()
    return thread


def _raise(exc: BaseException) -> None:
    raise exc
