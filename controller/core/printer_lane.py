"""The station's conversation with its printer, run on the core loop: one card at a time.

Its phases, and what moves it from one to the next:

    STARTING ─report─▶ IDLE ─card─▶ PRINTING ─printed─▶ IDLE
                        ▲              ├─spoiled / not started─▶ AWAITING_REPORT ─report─▶ IDLE
                        │              ├─outcome unknown─▶ SETTLING
                        │              └─storage failed─▶ UNRECORDED ─storage back─▶ (as above)
                        │   SETTLING ─connected report─▶ READING_COUNTER ─counter─▶ IDLE
                        └── EJECTING ◀─a card's error reported between cards── IDLE
                                       (─error gone─▶ IDLE)

A station that stopped mid-card starts in SETTLING. A card may start only in IDLE. The
printer's card counter settles an unknown outcome (controller/queue/recovery.py): unchanged,
the job is queued again; moved, a person decides. A print queue's job settles it instead, for
a printer reached through one (READING_COUNTER then reads how the job ended).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

import structlog

from contract.vocabulary import (
    AttemptOutcome,
    Consumable,
    FailCode,
    JobState,
    ReviewCause,
)
from controller.core.printer_worker import (
    CardAttempt,
    JobOutcomes,
    Post,
    PrinterReport,
    PrinterWorker,
    StartFailure,
)
from controller.core.storage_health import StorageHealth
from controller.devices.models import consumables_used
from controller.devices.printer import Fault, Printed, PrinterDriver, Spoiled, Unknown
from controller.queue.db import StoreError
from controller.queue.job_queries import PrintableJob
from controller.queue.recovery import recover_interrupted, settle_by_printer_job
from controller.queue.store import Store

log = structlog.get_logger(__name__)
# A card's errors that a stop can leave on the printer (a jam, the cover opened on a card):
# the driver clears each it sees on a card; left, the card goes to the reject tray.
LEFT_CARD_ERRORS = frozenset({"ERR_MECHANICAL", "ERR_COVER_OPEN"})
COVER_OPEN_FLAG = "WAR_COVER_OPEN"  # the cover is open now: nothing is ejected until it closes
NO_REPORT = PrinterReport(False, None, None)


class Phase(Enum):
    STARTING = auto()  # the printer has not answered yet
    IDLE = auto()  # a card may start
    PRINTING = auto()  # the worker has a card
    AWAITING_REPORT = auto()  # a card did not start: a fresh report first
    SETTLING = auto()  # a card's outcome is for the counter to decide
    READING_COUNTER = auto()  # the counter has been asked for
    EJECTING = auto()  # a card's error left between cards: the card is being ejected
    UNRECORDED = auto()  # a card's outcome waits for storage to take it


BUSY = frozenset({Phase.PRINTING, Phase.SETTLING, Phase.READING_COUNTER, Phase.UNRECORDED})


class PrinterLane:
    def __init__(
        self,
        driver: PrinterDriver,
        store: Store,
        storage: StorageHealth,
        post: Post,
        on_report: Callable[[PrinterReport], None],
        poll_interval_s: float,
    ) -> None:
        """`on_report` hears of every printer report after the lane has taken it."""
        self._store, self._storage, self._on_report = store, storage, on_report
        self.worker = PrinterWorker(driver, store.jobs, post, self.take_report, poll_interval_s)
        self.report: PrinterReport | None = None  # None until the printer first answers
        self.job_id: str | None = None  # the job whose card the worker has
        self._cause: str | None = None  # why a card's outcome is unknown (SETTLING)
        self._unrecorded: CardAttempt | None = None  # an outcome storage could not take
        self.card_listeners: list[Callable[[AttemptOutcome], None]] = []
        self.on_counted_outside: Callable[[], None] = lambda: None  # cards.unaccounted booked
        self.phase = Phase.STARTING
        if store.jobs.counts()[JobState.PRINTING]:
            self.phase, self._cause = Phase.SETTLING, ReviewCause.INTERRUPTED
        storage.on_recovered = self._record_unrecorded

    @property
    def printer(self) -> PrinterReport:
        return self.report or NO_REPORT

    @property
    def busy(self) -> bool:
        """The printer has counted a card the ledger has not booked yet, or may have."""
        return self.phase in BUSY

    def serial(self) -> str:
        identity = self.printer.identity
        return identity.serial if identity else ""

    def print_card(self, job: PrintableJob) -> None:
        assert self.phase is Phase.IDLE, f"a card cannot start in {self.phase}"
        self.phase, self.job_id = Phase.PRINTING, job.job_id
        self.worker.print_card(job, self._card_done)

    # -- what the worker posts back -------------------------------------------------------
    def take_report(self, report: PrinterReport) -> None:
        if report.connected != self.printer.connected:
            log.info("printer connected" if report.connected else "printer not reachable")
        self.report = report
        if report.identity is not None:
            self._learn_model(consumables_used(report.identity))
        if self.phase in (Phase.STARTING, Phase.AWAITING_REPORT):
            self.phase = Phase.IDLE
        elif self.phase is Phase.SETTLING and report.connected:
            self.phase = Phase.READING_COUNTER
            if self.worker.follows_jobs:
                printer_jobs = self._store.jobs.open_printer_jobs()
                self.worker.read_job_outcomes(printer_jobs, self._settle_by_jobs)
            else:
                self.worker.read_counter(self._settle)
        self._eject_left_card(report)
        self._on_report(report)

    def _learn_model(self, used: frozenset[Consumable]) -> None:
        """What a card uses on this printer, for its bookings now and after a restart."""
        ledger = self._store.ledger
        if used != ledger.used:
            log.info("a card on this printer uses", consumables=sorted(used))
            try:
                with self._store.db.transaction() as tx:
                    ledger.learn_used(tx, used)
            except StoreError as exc:  # in force until the restart all the same
                self._storage.failed(exc)

    def _eject_left_card(self, report: PrinterReport) -> None:
        """A card's error reported between cards (a jam, the cover opened on a card) was left
        by a stop between the error and the driver's clearing it (which follows every such
        error it sees): eject the card to the reject tray, once while the error lasts and with
        the cover closed. Its blank is already spoiled, in the printer's count."""
        flags = report.status.flags if report.connected and report.status is not None else ()
        left = bool(LEFT_CARD_ERRORS.intersection(flags)) and COVER_OPEN_FLAG not in flags
        if self.phase is Phase.EJECTING and not left:
            self.phase = Phase.IDLE
        elif self.phase is Phase.IDLE and left:
            self.phase = Phase.EJECTING
            log.warning("printer reports a card's error between cards: ejecting to the reject tray",
                        flags=sorted(LEFT_CARD_ERRORS.intersection(flags)))  # fmt: skip
            self.worker.eject()

    def _settle(self, counter: int | None) -> None:
        self.phase = Phase.SETTLING  # until the settlement is stored
        if counter is None or self._cause is None:
            return  # the printer went away again: the next report asks once more
        recover_interrupted(self._store.jobs, counter, self._cause)
        self.phase, self._cause = Phase.IDLE, None

    def _settle_by_jobs(self, outcomes: JobOutcomes) -> None:
        cause = self._cause or ReviewCause.UNKNOWN
        settle_by_printer_job(self._store.jobs, outcomes, cause, self.serial())
        self.phase, self._cause = Phase.IDLE, None

    def _card_done(self, result: CardAttempt) -> None:
        self.job_id = None
        if result.counted_outside:
            self.on_counted_outside()
        try:
            self._record(result)
        except StoreError:
            self.phase, self._unrecorded = Phase.UNRECORDED, result  # recorded once it works
            raise

    def _record_unrecorded(self) -> None:
        result, self._unrecorded = self._unrecorded, None
        if result is not None:
            self._card_done(result)

    def _record(self, result: CardAttempt) -> None:
        job_id, outcome, jobs = result.job_id, result.outcome, self._store.jobs
        if (not_started := result.not_started) is not None:
            if not_started.kind is StartFailure.RENDER:
                jobs.fail(job_id, FailCode.RENDER_FAILED, str(not_started))
            if not_started.kind is StartFailure.STORAGE:
                self._storage.failed(StoreError(str(not_started)))
            log.warning("card not started", job_id=job_id, error=str(not_started))
            self.phase = Phase.AWAITING_REPORT
            self.worker.poll()
        elif isinstance(outcome, Printed):
            jobs.printed(job_id, outcome.card_counter, self.serial())
            self.phase = Phase.IDLE
            self._tell(AttemptOutcome.PRINTED)
        elif isinstance(outcome, Spoiled):
            jobs.spoiled(job_id, outcome.cause, outcome.card_counter)
            self.phase = Phase.AWAITING_REPORT  # the fault's flags, fresh, before the next card
            self._tell(AttemptOutcome.SPOILED)
            self.worker.poll()
        else:
            self._cause = _unknown_cause(outcome)
            log.warning(
                "card outcome unknown until the counter is read", job_id=job_id, cause=self._cause
            )
            self.phase = Phase.SETTLING
            self.worker.poll()

    def _tell(self, outcome: AttemptOutcome) -> None:
        for listener in self.card_listeners:
            listener(outcome)


def _unknown_cause(outcome: object) -> str:
    if isinstance(outcome, Fault):
        return outcome.kind
    if isinstance(outcome, Unknown):
        return outcome.reason
    return ReviewCause.UNKNOWN
