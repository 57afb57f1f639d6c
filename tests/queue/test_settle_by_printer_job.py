"""Settling a card left `printing` by how its print queue's (CUPS) job ended."""

from __future__ import annotations

import pytest

from contract.vocabulary import PrinterFault, ReviewCause, SpoilCause
from controller.devices.printer import Fault, Printed, PrintOutcome, Spoiled, Unknown
from controller.queue.recovery import settle_by_printer_job
from controller.queue.store import Store
from testkit.jobs import make_job, payload

JOB = "JOB-2026-000001"


def printing(store: Store, printer_job: int | None) -> None:
    store.intake.submit(payload(make_job(1)))
    store.jobs.start(JOB, 6)
    if printer_job is not None:
        store.jobs.submitted(JOB, printer_job)


def test_the_stored_job_number_is_read_back(store: Store) -> None:
    printing(store, 7)
    assert store.jobs.open_printer_jobs() == {JOB: 7}


@pytest.mark.parametrize(
    ("outcome", "state", "last_event"),
    [
        (Printed(7), "printed", "card.printed"),
        (Spoiled(SpoilCause.JAM, 7), "queued", "card.spoiled"),  # retried: a blank booked
        (Fault(PrinterFault.FEEDER_EMPTY), "queued", "job.accepted"),  # nothing fed, nothing said
        (Unknown("CUPS job 7 not ended in 180.0 s"), "needs_review", "job.needs_review"),
        (None, "queued", "job.accepted"),  # no job stored: no document was sent
    ],
)
def test_a_job_end_settles_the_card(
    store: Store, outcome: PrintOutcome | None, state: str, last_event: str
) -> None:
    printing(store, None if outcome is None else 7)
    settle_by_printer_job(store.jobs, {JOB: outcome}, ReviewCause.INTERRUPTED, "SN1")
    assert store.jobs.get(JOB).state == state
    assert store.outbox.all_events()[-1].type == last_event


def test_an_unknown_end_tells_the_person_what_was_seen(store: Store) -> None:
    printing(store, 7)
    settle_by_printer_job(store.jobs, {JOB: Unknown("CUPS job 7: not found")}, "interrupted", "")
    last = store.outbox.all_events()[-1]
    assert last.data == {"cause": "CUPS job 7: not found", "card_counter": None}
