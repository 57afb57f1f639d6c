"""The IPP driver: the station's printer interface over a CUPS queue, through pycups (libcups).

A card is one CUPS job: `create_job` (Create-Job) numbers it, the station stores that number,
then `send_card` (Send-Document) sends the card's document (`ipp_document`) and follows the job
to its end (`ipp_job`). `job_outcome` follows a job the station stored before a stop. The
queue's `printer-state-reasons`, its `printer-state-message` (text mapped in `[printer.ipp]
messages`) and markers are the printer's flags and consumables (`ipp_state`). CUPS has no card
counter: the driver's `card_counter` is the highest job number the queue has given, so it moves
exactly when a job was created.

CUPS keeps the reasons a backend reported until the queue's next job (and an `ERROR:` message),
and a queue that reports a fault starts no card: a person's reload (`set_level`) takes the
reasons and the message shown then as cleared, until the next job ends and the queue has
reported afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import cups
import structlog

from contract.clock import Clock
from contract.vocabulary import Consumable
from evolis_wire.panels import CardPanels

from .ipp_document import DOCUMENT_FORMAT, card_document, job_options
from .ipp_job import JOB_ATTRIBUTES, JobState, blocked, ended, job_state
from .ipp_settings import IppSettings
from .ipp_state import QueueReader
from .printer import (
    Identity,
    NotSupported,
    PrinterError,
    PrinterStatus,
    PrinterUnavailable,
    PrintOutcome,
    Unknown,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")
PRINTER_ATTRIBUTES = [
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-make-and-model",
    "printer-device-id",
    "printer-uuid",
    "printer-firmware-string-version",
    "marker-names",
    "marker-levels",
    "marker-types",
]
ENCRYPTION = {
    "if-requested": cups.HTTP_ENCRYPT_IF_REQUESTED,
    "required": cups.HTTP_ENCRYPT_REQUIRED,
    "never": cups.HTTP_ENCRYPT_NEVER,
}
NOT_FOUND = cups.IPP_NOT_FOUND
UNSENT_ATTRIBUTES = ["job-id", "job-state", "number-of-documents"]


class IppDriver:
    """`JobPrinter` for a CUPS queue; calls come from one thread (the printer worker)."""

    def __init__(self, settings: IppSettings, clock: Clock) -> None:
        self.settings, self._clock = settings, clock
        self._reader = QueueReader(settings.reasons, settings.markers, settings.messages)
        self._connection: Any = None
        self._cleared: frozenset[str] = frozenset()  # reasons a person cleared (a reload)
        self._cleared_message = ""  # and the state message shown then
        if settings.user:
            cups.setUser(settings.user)
        if settings.password_file:
            secret = Path(settings.password_file).read_text(encoding="utf-8").strip()
            cups.setPasswordCB(lambda _prompt: secret)

    @property
    def connected(self) -> bool:
        return self._connection is not None

    def _call(self, what: Callable[[Any], T]) -> T:
        """Run one request on the connection (opened on first use, dropped when it fails)."""
        try:
            if self._connection is None:
                # pycups builds some requests' URIs from its process-wide server (Create-Job
                # among them), so the server is set there too: one CUPS server a process.
                cups.setServer(self.settings.server)
                cups.setPort(self.settings.port)
                cups.setEncryption(ENCRYPTION[self.settings.encryption])
                self._connection = cups.Connection()
            return what(self._connection)
        except cups.IPPError as exc:
            status, message = exc.args
            if status == NOT_FOUND:
                raise PrinterError(f"CUPS: not found: {message}") from exc
            self._connection = None
            raise PrinterUnavailable(f"CUPS: {message} (status {status:#x})") from exc
        except (cups.HTTPError, RuntimeError) as exc:
            self._connection = None
            raise PrinterUnavailable(f"CUPS server {self.settings.server}: {exc}") from exc

    def _printer(self) -> dict[str, Any]:
        queue = self.settings.queue
        return self._call(
            lambda c: c.getPrinterAttributes(queue, requested_attributes=PRINTER_ATTRIBUTES)
        )

    def identity(self) -> Identity:
        printer = self._printer()
        device = dict(
            part.split(":", 1)
            for part in printer.get("printer-device-id", "").split(";")
            if ":" in part
        )
        serial = device.get("SN") or device.get("SERN") or printer.get("printer-uuid", "")
        model = printer.get("printer-make-and-model") or self.settings.queue
        return Identity(model, serial, printer.get("printer-firmware-string-version", ""))

    def card_counter(self) -> int:
        """The highest job number the queue has given (0 before its first). The station reads
        it before a card starts, so a queue that reports a fault starts no card (PrinterError):
        CUPS keeps the reasons a backend reported until the queue's next job."""
        if faults := self._reader.faults(*self._standing(self._printer())):
            raise PrinterError(f"CUPS queue {self.settings.queue} reports {', '.join(faults)}")
        path = f"/printers/{self.settings.queue}"
        jobs = self._call(
            lambda c: c.getJobs(
                which_jobs="all", requested_attributes=["job-id", "job-printer-uri"]
            )
        )
        mine = [
            job for job, attrs in jobs.items() if attrs.get("job-printer-uri", "").endswith(path)
        ]
        return max(mine, default=0)

    def status(self) -> PrinterStatus:
        printer = self._printer()
        flags = self._reader.flags(*self._standing(printer))
        return PrinterStatus(flags, self._reader.consumables(printer))

    def _standing(self, printer: dict[str, Any]) -> tuple[list[str], str]:
        """The queue's reasons and state message, but what a person has cleared since the last
        job ended ("" for a cleared message)."""
        reasons = [reason for reason in _reasons(printer) if reason not in self._cleared]
        message = _message(printer)
        return reasons, "" if message == self._cleared_message else message

    def print_card(self, panels: CardPanels) -> PrintOutcome:
        try:
            printer_job = self.create_job(panels)
        except PrinterError as exc:
            return Unknown(f"CUPS job not created: {exc}")
        return self.send_card(printer_job, panels)

    def create_job(self, panels: CardPanels) -> int:
        two_sided = self.settings.duplex and bool(panels.back)
        options = job_options(self.settings, two_sided)
        queue = self.settings.queue
        printer_job = int(self._call(lambda c: c.createJob(queue, "e-KTP card", options)))
        log.info("cups job created", printer_job=printer_job, queue=queue, options=options)
        return printer_job

    def send_card(self, printer_job: int, panels: CardPanels) -> PrintOutcome:
        document = card_document(panels, self.settings)
        queue = self.settings.queue

        def send(connection: Any) -> None:
            connection.startDocument(queue, printer_job, "card.tiff", DOCUMENT_FORMAT, 1)
            connection.writeRequestData(document, len(document))
            connection.finishDocument(queue)

        try:
            self._call(send)
        except PrinterError as exc:
            log.warning("card document not sent", printer_job=printer_job, reason=str(exc))
            self._cancel(printer_job)
        return self.job_outcome(printer_job)

    def job_outcome(self, printer_job: int) -> PrintOutcome:
        deadline = self._clock.monotonic() + self.settings.job_timeout_s
        while True:
            try:
                job = self._call(
                    lambda c: c.getJobAttributes(printer_job, requested_attributes=JOB_ATTRIBUTES)
                )
                printer = self._printer()
            except PrinterUnavailable as exc:
                job, printer, problem = None, {}, str(exc)
            except PrinterError as exc:
                return Unknown(f"CUPS job {printer_job}: {exc}")
            if job is not None:
                message = _message(printer)
                outcome = ended(printer_job, job, _reasons(printer), self._reader, message)
                if outcome is not None:
                    self._cleared, self._cleared_message = frozenset(), ""  # reported afresh
                    return outcome
                reasons, message = self._standing(printer)
                if blocked(job, reasons, self._reader, message):
                    log.warning(
                        "cups job blocked: cancelled",
                        printer_job=printer_job,
                        reasons=reasons,
                        message=message,
                    )
                    self._cancel(printer_job)
                problem = f"CUPS job {printer_job} not ended in {self.settings.job_timeout_s} s"
            if self._clock.monotonic() >= deadline:
                return Unknown(problem)
            self._clock.sleep(self.settings.poll_s)

    def abandon_unsent(self, printer_job: int) -> bool:
        try:
            job = self._call(
                lambda c: c.getJobAttributes(printer_job, requested_attributes=UNSENT_ATTRIBUTES)
            )
        except PrinterError:
            return False  # unknown to CUPS: job_outcome says so
        waiting = job_state(job) in (JobState.PENDING, JobState.HELD)
        if not waiting or int(job.get("number-of-documents", 0) or 0) > 0:
            return False
        log.warning("cups job without its document: cancelled", printer_job=printer_job)
        self._cancel(printer_job)
        return True

    def _cancel(self, printer_job: int) -> None:
        try:
            self._call(lambda c: c.cancelJob(printer_job))
        except PrinterError as exc:  # it may have ended meanwhile: its end is read next
            log.info("cups job not cancelled", printer_job=printer_job, reason=str(exc))

    def reject(self) -> None:
        raise NotSupported("a CUPS queue ejects a jammed card itself (the vendor's driver)")

    def set_level(self, consumable: Consumable, count: int, capacity: int | None = None) -> None:
        """A person loaded the printer: the reasons and the message the queue shows now count
        as cleared until the next job ends. The printer is told no count (the ledger is the
        truth)."""
        printer = self._printer()
        self._cleared, self._cleared_message = frozenset(_reasons(printer)), _message(printer)
        log.info(
            "reasons cleared by a reload",
            consumable=consumable,
            reasons=sorted(self._cleared),
            message=self._cleared_message,
        )

    def close(self) -> None:
        self._connection = None


def _reasons(printer: dict[str, Any]) -> list[str]:
    reasons = printer.get("printer-state-reasons", [])
    return [reasons] if isinstance(reasons, str) else list(reasons)


def _message(printer: dict[str, Any]) -> str:
    return str(printer.get("printer-state-message", "") or "")
