"""The printer worker: the one thread that talks to the printer.

It owns the driver, so USB traffic is never interleaved. The core loop hands it cards and
requests; it hands back results by posting to the core loop. Between tasks it polls the
printer's status, which is also how it notices the printer coming back after an unplug.

The card procedure keeps invariant 1: the printer's card counter is read and stored with the
job's move to `printing` *before* any byte of the card is sent. A card never starts while the
printer shows a job claimed or in progress (`JOB_FLAGS`): that job is the printer's until it
settles, and the card waits (`printer_job` in the status).
Once it is stored, the job likely to print next is rendered ahead while the card prints
(`cards_ahead.py`).

Every task that owes the core loop an answer gives one, whatever goes wrong in it: a card that
fails before it starts is `NotStarted`, one that fails after is `Unknown` (the counter settles
it), a counter that cannot be read is None, and a report that cannot be made says why
(`PrinterReport.problem`). A printer that answers what no sane printer says (`BadAnswer`) is
reported as there, with its problem, not as missing.

A printer reached through a print queue (`JobPrinter`) numbers the card's job first; that
number is stored too before the card's document is sent, and settles the card after a stop
(`read_job_outcomes`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from contract.vocabulary import Consumable
from controller.core.cards_ahead import CardsAhead
from controller.devices.printer import (
    JOB_FLAGS,
    BadAnswer,
    Identity,
    JobPrinter,
    PrinterDriver,
    PrinterError,
    PrinterStatus,
    PrintOutcome,
    Unknown,
)
from controller.queue.db import StoreError
from controller.queue.job_queries import PrintableJob
from controller.queue.jobs import JobStore
from controller.queue.transitions import UnknownJob
from controller.queue.unaccounted import CounterKind
from controller.render import RenderError
from evolis_wire.models import PrinterModel, model_named
from evolis_wire.panels import CardPanels

log = structlog.get_logger(__name__)


class StartFailure(StrEnum):
    """What kept a card from starting."""

    RENDER = "render"  # the card cannot be rendered: the job fails
    PRINTER = "printer"  # the printer did not answer as it should: the card waits
    STORAGE = "storage"  # the start could not be stored: the station degrades
    FAULT = "fault"  # the station's own code failed before the card started: the card waits


@dataclass(frozen=True)
class NotStarted:
    """Why a card never started: what failed, and what it said."""

    kind: StartFailure
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class CardAttempt:
    job_id: str
    counter_before: int | None  # None: the card never started (no counter could be read)
    outcome: PrintOutcome | None  # None with counter_before None: nothing was sent
    not_started: NotStarted | None = None  # set exactly when counter_before is None
    counted_outside: int = 0  # cards the printer counted before it that the station did not print


@dataclass(frozen=True)
class PrinterReport:
    """`problem`: why the printer, though it answers, cannot be trusted now (None: it can)."""

    connected: bool
    status: PrinterStatus | None
    identity: Identity | None
    problem: str | None = None


Post = Callable[[Callable[[], None]], None]
JobOutcomes = dict[str, PrintOutcome | None]


class PrinterWorker:
    def __init__(
        self,
        driver: PrinterDriver,
        jobs: JobStore,
        post: Post,
        on_report: Callable[[PrinterReport], None],
        poll_interval_s: float = 2.0,
    ) -> None:
        """`on_report` gets the printer's state after every poll, posted to the core loop."""
        self._driver, self._jobs, self._post = driver, jobs, post
        self._on_report = on_report
        self._poll_interval_s = poll_interval_s
        self._tasks: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="printer", daemon=True)
        self._identity: Identity | None = None
        self._problem: str | None = None  # the last report's problem, logged when it changes
        self._cards = CardsAhead()

    # -- called from the core loop ---------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float) -> bool:
        """Ask the worker to end after its current task; True if it ended in time."""
        self._tasks.put(None)
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def print_card(self, job: PrintableJob, on_done: Callable[[CardAttempt], None]) -> None:
        self._tasks.put(lambda: self._card(job, on_done))

    def read_counter(self, on_done: Callable[[int | None], None]) -> None:
        self._tasks.put(lambda: self._counter(on_done))

    @property
    def follows_jobs(self) -> bool:
        """The printer is a print queue: an unsettled card is settled by its job's end."""
        return isinstance(self._driver, JobPrinter)

    def read_job_outcomes(
        self, printer_jobs: dict[str, int | None], on_done: Callable[[JobOutcomes], None]
    ) -> None:
        """How each job's print-queue job ended (None: no queue job was stored for it, or its
        document never arrived and the job was cancelled: nothing was printed)."""

        def read() -> None:
            assert isinstance(self._driver, JobPrinter)
            driver = self._driver
            outcomes = {
                job_id: None
                if printer_job is None or driver.abandon_unsent(printer_job)
                else driver.job_outcome(printer_job)
                for job_id, printer_job in printer_jobs.items()
            }
            self._post(lambda: on_done(outcomes))

        self._tasks.put(read)

    def set_level(
        self,
        consumable: Consumable,
        count: int,
        capacity: int | None,
        on_done: Callable[[], None],
    ) -> None:
        """Tell the printer of a reload (`PrinterDriver.set_level`); `on_done` is posted once it
        has been told (or not)."""

        def tell() -> None:
            try:
                self._driver.set_level(consumable, count, capacity)
            except PrinterError as exc:
                log.info("printer not told of the reload", consumable=consumable, reason=str(exc))
            except Exception:  # the loop still hears that the telling is over
                log.exception("telling the printer of a reload failed", consumable=consumable)
            self._post(on_done)

        self._tasks.put(tell)

    def poll(self) -> None:
        """Report the printer's state now rather than at the next idle poll."""
        self._tasks.put(self._report)

    def eject(self) -> None:
        """Eject the card in the printer to the reject tray (a card's error left), then report."""
        self._tasks.put(self._eject)

    # -- the worker thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                task = self._tasks.get(timeout=self._poll_interval_s)
            except queue.Empty:
                task = self._report
            if task is None:
                break
            try:
                task()
            except Exception:  # a bug in one task must not end the printer thread
                log.exception("printer task failed")
        self._cards.close()
        self._driver.close()

    def _card(self, job: PrintableJob, on_done: Callable[[CardAttempt], None]) -> None:
        try:
            self._attempt(job, on_done)
        except Exception as exc:  # the lane waits for this card: it hears of it all the same
            log.exception("card task failed before the card started", job_id=job.job_id)
            self._not_started(on_done, job, StartFailure.FAULT, exc)

    def _attempt(self, job: PrintableJob, on_done: Callable[[CardAttempt], None]) -> None:
        try:
            panels = self._cards.panels(job, self._model())
        except RenderError as exc:
            self._not_started(on_done, job, StartFailure.RENDER, exc)
            return
        except PrinterError as exc:
            self._not_started(on_done, job, StartFailure.PRINTER, exc)
            return
        try:
            counter = idle_counter(self._driver)
        except PrinterError as exc:
            self._not_started(on_done, job, StartFailure.PRINTER, exc)
            return
        try:
            kind = CounterKind.JOBS if isinstance(self._driver, JobPrinter) else CounterKind.BLANKS
            outside = self._jobs.start(job.job_id, counter, kind)  # stored before any byte is sent
        except StoreError as exc:
            self._not_started(on_done, job, StartFailure.STORAGE, exc)
            return
        log.info("card started", job_id=job.job_id, counter_before=counter)
        self._render_next()
        try:
            outcome = send_card(self._driver, self._jobs, job.job_id, panels)
        except Exception as exc:  # started: only the counter can tell what became of it
            log.exception("the driver failed during the card", job_id=job.job_id)
            outcome = Unknown(f"the driver failed during the card: {exc}", counter)
        log.info("card ended", job_id=job.job_id, outcome=type(outcome).__name__)
        self._finish(on_done, CardAttempt(job.job_id, counter, outcome, counted_outside=outside))

    def _not_started(
        self,
        on_done: Callable[[CardAttempt], None],
        job: PrintableJob,
        kind: StartFailure,
        error: Exception,
    ) -> None:
        not_started = NotStarted(kind, str(error))
        self._finish(on_done, CardAttempt(job.job_id, None, None, not_started))

    def _render_next(self) -> None:
        """Render the job likely to print next while this card prints."""
        try:
            self._cards.render_ahead(self._jobs.upcoming(), self._model())
        except (StoreError, UnknownJob, PrinterError) as exc:  # it is rendered when it prints
            log.info("next card not rendered ahead", reason=str(exc))

    def _model(self) -> PrinterModel:
        """The printer's model: its colour depth and faces (its identity is read once)."""
        if self._identity is None:
            self._identity = self._driver.identity()
        return model_named(self._identity.model)

    def _finish(self, on_done: Callable[[CardAttempt], None], result: CardAttempt) -> None:
        self._post(lambda: on_done(result))

    def _counter(self, on_done: Callable[[int | None], None]) -> None:
        try:
            counter: int | None = self._driver.card_counter()
        except PrinterError as exc:
            log.info("printer counter not read", reason=str(exc))
            counter = None
        except Exception:  # the lane waits for the counter: None, and it asks again
            log.exception("reading the printer's counter failed")
            counter = None
        self._post(lambda: on_done(counter))

    def _eject(self) -> None:
        try:
            self._driver.reject()
        except PrinterError as exc:
            log.warning("printer did not eject the jammed card", reason=str(exc))
        self._report()

    def _report(self) -> None:
        try:
            if self._identity is None:
                self._identity = self._driver.identity()
            report = PrinterReport(True, self._driver.status(), self._identity)
        except BadAnswer as exc:
            report = PrinterReport(True, None, self._identity, str(exc))
        except PrinterError as exc:
            log.debug("printer not reachable", reason=str(exc))
            report = PrinterReport(False, None, self._identity)
        except Exception as exc:  # the loop still hears of the printer, and why not more
            log.exception("printer report failed")
            report = PrinterReport(True, None, self._identity, f"the report failed: {exc}")
        self._log_problem(report.problem)
        self._post(lambda: self._on_report(report))

    def _log_problem(self, problem: str | None) -> None:
        if problem != self._problem:
            if problem is None:
                log.info("printer answers sanely again")
            else:
                log.error("printer answers what no sane printer says", problem=problem)
        self._problem = problem


def idle_counter(driver: PrinterDriver) -> int:
    """The card counter of a printer with no job of its own in hand (PrinterError else)."""
    status = driver.status()
    if held := sorted(status.flags & JOB_FLAGS):
        raise PrinterError(f"the printer shows a job claimed or in progress: {held}")
    counter = status.card_counter
    return driver.card_counter() if counter is None else counter


def send_card(
    driver: PrinterDriver, jobs: JobStore, job_id: str, panels: CardPanels
) -> PrintOutcome:
    """Print the card; a print queue's job number is stored before the document is sent
    (no number stored: nothing was sent, and the settlement queues the card again)."""
    if not isinstance(driver, JobPrinter):
        return driver.print_card(panels)
    try:
        printer_job = driver.create_job(panels)
        jobs.submitted(job_id, printer_job)
    except (PrinterError, StoreError) as exc:
        return Unknown(f"card's print job not opened and stored: {exc}")
    log.info("card's print job stored", job_id=job_id, printer_job=printer_job)
    return driver.send_card(printer_job, panels)
