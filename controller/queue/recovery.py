"""Start-up recovery: decide what happened to a card that was printing when the station stopped.

The printer's card counter is the only witness (a print queue's job is, for a printer reached
through one: `settle_by_printer_job`). Unchanged since the card started: no blank was
fed, so the job is queued again. Changed: a blank was used and nobody saw the result, so a
person decides (`needs_review`); the station never reprints on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from contract.vocabulary import JobState, ReviewCause
from controller.devices.printer import Fault, Printed, PrintOutcome, Spoiled
from controller.queue.jobs import JobStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Recovered:
    job_id: str
    state: JobState  # queued or needs_review
    counter_before: int
    counter_now: int


def recover_interrupted(
    jobs: JobStore, card_counter: int, cause: str = ReviewCause.INTERRUPTED
) -> list[Recovered]:
    """Settle every job left `printing`, given the printer's card counter read now."""
    settled = []
    for job in jobs.in_state(JobState.PRINTING):
        attempt = jobs.open_attempt(job.job_id)
        counter_before = attempt[0] if attempt else -1
        if counter_before == card_counter:
            jobs.not_printed(job.job_id, card_counter, cause)
            state = JobState.QUEUED
        else:
            jobs.needs_review(job.job_id, cause, card_counter)
            state = JobState.NEEDS_REVIEW
        log.warning(
            "interrupted card settled",
            job_id=job.job_id,
            state=state,
            counter_before=counter_before,
            counter_now=card_counter,
        )
        settled.append(Recovered(job.job_id, state, counter_before, card_counter))
    return settled


def settle_by_printer_job(
    jobs: JobStore, outcomes: dict[str, PrintOutcome | None], cause: str, printer_serial: str
) -> None:
    """Settle each job left `printing` by how its print-queue job ended: completed, printed;
    a jam, spoiled; stopped by a fault or never sent (None), queued again; else a person
    decides. Never a second job while the first has not ended."""
    for job_id, outcome in outcomes.items():
        attempt = jobs.open_attempt(job_id)
        counter_before = attempt[0] if attempt else -1
        if isinstance(outcome, Printed):
            jobs.printed(job_id, outcome.card_counter, printer_serial)
        elif isinstance(outcome, Spoiled):
            jobs.spoiled(job_id, outcome.cause, outcome.card_counter)
        elif outcome is None or isinstance(outcome, Fault):
            jobs.not_printed(job_id, counter_before, outcome.kind if outcome else cause)
        else:  # the job's end is unknown: a person decides, told what the driver saw
            jobs.needs_review(job_id, outcome.reason, None)
        log.warning("card settled by its print job", job_id=job_id, outcome=repr(outcome))
