"""How a card's CUPS job ended, from the job's attributes and the queue's reasons.

`job-state` (RFC 8011 5.3.7) decides, not `job-state-reasons` (CUPS 2.4 reports
`processing-to-stop-point` for every finished job):

- 9 completed: the card is printed.
- 7 canceled, 8 aborted: with a blank fed (`job-impressions-completed` above 0, the page a
  vendor's backend reports for a fed card), a jam among the reasons spoiled it, the ribbon out
  broke the ribbon (spoiled), and no such reason leaves it unknown (a person decides). With
  nothing fed, a fault among the reasons stopped the job before a card was fed: not printed.
  With nothing fed and no fault, nothing says why: unknown (a person decides, and the card is
  not sent again and again to a queue that aborts every job). (CUPS keeps a backend's reasons
  until the queue's next job: a jam reported by the last job still stands, and spoils nothing
  more.)
- 3 pending, 4 held, 5 processing, 6 stopped: not ended. A fault that keeps the printer from
  feeding while nothing is printed yet (`job-impressions-completed` 0) ends it: the driver
  cancels the job, so that it cannot print later behind the station's back, and reads its end.

The reasons and the state message read are the job's own snapshot of the printer
(`job-printer-state-reasons`, `job-printer-state-message`, kept with the job) where CUPS has
one, else the queue's now; a message mapped in `[printer.ipp] messages` is a fault as a mapped
keyword is (`QueueReader.faults`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

from contract.vocabulary import PrinterFault, SpoilCause

from .ipp_state import QueueReader
from .printer import Fault, Printed, PrintOutcome, Spoiled, Unknown


class JobState(IntEnum):
    PENDING = 3
    HELD = 4
    PROCESSING = 5
    STOPPED = 6
    CANCELED = 7
    ABORTED = 8
    COMPLETED = 9


JOB_ATTRIBUTES = [
    "job-id",
    "job-state",
    "job-impressions-completed",
    "job-printer-state-reasons",
    "job-printer-state-message",
]


def job_state(attributes: Mapping[str, object]) -> JobState:
    return JobState(int(attributes.get("job-state", JobState.PENDING)))  # type: ignore[call-overload]


# A fault reported for a job that fed a blank: how the blank was spoiled.
SPOILING: dict[PrinterFault, SpoilCause] = {
    PrinterFault.JAM: SpoilCause.JAM,
    PrinterFault.RIBBON_OUT: SpoilCause.RIBBON_BREAK,
    PrinterFault.COVER_OPEN: SpoilCause.COVER_OPEN,
}


def _reasons(job: Mapping[str, object], queue_reasons: list[str]) -> list[str]:
    snapshot = job.get("job-printer-state-reasons")
    if isinstance(snapshot, str):
        snapshot = [snapshot]
    return [str(reason) for reason in snapshot] if isinstance(snapshot, list) else queue_reasons


def _message(job: Mapping[str, object], queue_message: str) -> str:
    snapshot = job.get("job-printer-state-message")
    return queue_message if snapshot is None else str(snapshot)


def ended(
    printer_job: int,
    job: Mapping[str, object],
    queue_reasons: list[str],
    reader: QueueReader,
    queue_message: str = "",
) -> PrintOutcome | None:
    """The outcome of a job that has ended; None while it has not."""
    state = job_state(job)
    if state is JobState.COMPLETED:
        return Printed(printer_job)
    if state not in (JobState.CANCELED, JobState.ABORTED):
        return None
    message = _message(job, queue_message)
    faults = reader.faults(_reasons(job, queue_reasons), message)
    if _impressions(job) > 0:
        for fault in faults:
            if cause := SPOILING.get(fault):
                return Spoiled(cause, printer_job)
        return Unknown(f"CUPS job {printer_job} {state.name.lower()} after a blank was fed")
    end = f"CUPS job {printer_job} {state.name.lower()}: {message}".rstrip(": ")
    return Fault(faults[0], end) if faults else Unknown(end)


def blocked(
    job: Mapping[str, object],
    queue_reasons: list[str],
    reader: QueueReader,
    queue_message: str = "",
) -> bool:
    """The job has not ended, printed nothing yet, and the queue reports a fault."""
    if job_state(job) in (JobState.CANCELED, JobState.ABORTED, JobState.COMPLETED):
        return False
    return _impressions(job) == 0 and bool(reader.faults(queue_reasons, queue_message))


def _impressions(job: Mapping[str, object]) -> int:
    value = job.get("job-impressions-completed")
    return value if isinstance(value, int) else 0
