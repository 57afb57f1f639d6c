"""A printed card handed to the citizen at the kiosk: recorded once, with `card.collected`, so
that the central office stops the reminders."""

from __future__ import annotations

from datetime import datetime

from contract.clock import rfc3339
from contract.events import CardCollected
from contract.vocabulary import JobState
from controller.queue.db import Database
from controller.queue.outbox import emit
from controller.queue.transitions import UnknownJob
from controller.said import said


class HandoverRefused(Exception):
    """The job has no card to hand over, or it was handed over before."""


def record_collected(db: Database, job_id: str, by: str, at: datetime) -> None:
    """`by` handed `job_id`'s card over (UnknownJob; HandoverRefused unless printed and not
    handed over before)."""
    with db.transaction() as tx:
        row = tx.execute(
            "SELECT state, collected_at FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        if row["state"] != JobState.PRINTED:
            raise HandoverRefused(
                said(
                    "job %(job_id)s is %(state)s: no card to hand over",
                    job_id=job_id,
                    state=row["state"],
                )
            )
        if row["collected_at"] is not None:
            raise HandoverRefused(
                said(
                    "job %(job_id)s's card was handed over at %(at)s",
                    job_id=job_id,
                    at=row["collected_at"],
                )
            )
        tx.execute("UPDATE jobs SET collected_at = ? WHERE job_id = ?", (rfc3339(at), job_id))
        emit(tx, job_id, CardCollected(by), at)
