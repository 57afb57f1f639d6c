"""The job's life (docs/design.md): the states, the moves between them, and a card's outcome.

    queued ──▶ printing ──▶ printed
       │           ├──▶ queued (spoiled, retried; or no blank used) ──▶ … failed at the limit
       │           └──▶ needs_review ──resolve──▶ printed | queued
       └──▶ cancelled | expired | failed

`JobTransitions.move` is the only place that changes a job's state: it refuses a transition the
diagram does not have, and deletes the photo and signature when a job ends. Everything here
runs inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from contract.clock import rfc3339
from contract.events import CardPrinted, CardSpoiled, JobFailed
from contract.jobspec import mask_nik
from contract.vocabulary import AttemptOutcome, FailCode, JobState
from controller.policy.retry import SpoilDecision, after_spoil
from controller.queue.db import Database
from controller.queue.ledger import Ledger
from controller.queue.outbox import emit
from controller.said import said

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset(
        {JobState.PRINTING, JobState.CANCELLED, JobState.EXPIRED, JobState.FAILED}
    ),
    JobState.PRINTING: frozenset(
        {JobState.PRINTED, JobState.QUEUED, JobState.FAILED, JobState.NEEDS_REVIEW}
    ),
    JobState.NEEDS_REVIEW: frozenset({JobState.PRINTED, JobState.QUEUED}),
    JobState.PRINTED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
    JobState.EXPIRED: frozenset(),
}
ENDED = frozenset(state for state, onward in TRANSITIONS.items() if not onward)
JOB_SQL_COLUMNS = "job_id, seq, reason, state, attempts, nik, not_after, received_at, updated_at"


class IllegalTransition(Exception):
    def __init__(self, job_id: str, current: str, wanted: str) -> None:
        super().__init__(
            said(
                "job %(job_id)s cannot go from %(current)s to %(wanted)s",
                job_id=job_id,
                current=current,
                wanted=wanted,
            )
        )
        self.job_id, self.current, self.wanted = job_id, current, wanted


class UnknownJob(KeyError):
    pass


@dataclass(frozen=True)
class Job:
    job_id: str
    seq: int
    reason: str
    state: str
    attempts: int
    nik: str
    not_after: str | None
    received_at: str
    updated_at: str

    @property
    def ended(self) -> bool:
        return self.state in ENDED


def job_of(row: sqlite3.Row) -> Job:
    return Job(**{key: row[key] for key in row.keys()})  # noqa: SIM118 - sqlite3.Row


def read_job(conn: sqlite3.Connection, job_id: str) -> Job:
    row = conn.execute(f"SELECT {JOB_SQL_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    if row is None:
        raise UnknownJob(job_id)
    return job_of(row)


class JobTransitions:
    """The moves of a job and the outcomes of its cards, with their events."""

    def __init__(self, db: Database, ledger: Ledger, max_attempts: int) -> None:
        self._db, self._ledger, self._max_attempts = db, ledger, max_attempts

    def move(self, tx: sqlite3.Connection, job_id: str, to: JobState, now: datetime) -> Job:
        """Change the job's state; returns the job as it was."""
        job = read_job(tx, job_id)
        if to not in TRANSITIONS[JobState(job.state)]:
            raise IllegalTransition(job_id, job.state, to)
        stamp = rfc3339(now)
        if to in ENDED:
            tx.execute(
                "UPDATE jobs SET state = ?, updated_at = ?, ended_at = ?, photo = NULL,"
                " signature = NULL WHERE job_id = ?",
                (to, stamp, stamp, job_id),
            )
            self._db.scrub_after_commit()  # no old copy of the pictures left in the files
        else:
            tx.execute(
                "UPDATE jobs SET state = ?, updated_at = ? WHERE job_id = ?", (to, stamp, job_id)
            )
        return job

    def close_attempt(
        self,
        tx: sqlite3.Connection,
        job_id: str,
        outcome: AttemptOutcome,
        cause: str | None,
        counter: int | None,
        now: datetime,
    ) -> None:
        """Record how the card in progress ended."""
        updated = tx.execute(
            "UPDATE attempts SET ended_at = ?, outcome = ?, cause = ?, counter_after = ?"
            " WHERE id = (SELECT max(id) FROM attempts WHERE job_id = ? AND ended_at IS NULL)",
            (rfc3339(now), outcome, cause, counter, job_id),
        ).rowcount
        if updated != 1:
            state = read_job(tx, job_id).state
            raise IllegalTransition(job_id, state, f"{outcome} (no card in progress)")

    def card_printed(
        self, tx: sqlite3.Connection, job_id: str, counter: int | None, serial: str, now: datetime
    ) -> None:
        job = self.move(tx, job_id, JobState.PRINTED, now)
        attempts = self.count_blank(tx, job, AttemptOutcome.PRINTED, now)
        printed = CardPrinted(job.reason, mask_nik(job.nik), attempts, serial, counter)
        emit(tx, job_id, printed, now)

    def card_spoiled(
        self, tx: sqlite3.Connection, job_id: str, cause: str, now: datetime, retry_limit: bool
    ) -> JobState:
        """Count the spoiled blank; `retry.after_spoil` decides, unless a person did."""
        attempts = self.count_blank(tx, read_job(tx, job_id), AttemptOutcome.SPOILED, now)
        emit(tx, job_id, CardSpoiled(cause, attempts), now)
        if retry_limit and after_spoil(attempts, self._max_attempts) is SpoilDecision.FAIL:
            self.move(tx, job_id, JobState.FAILED, now)
            limit = f"{attempts} blanks spoiled; the limit is {self._max_attempts}"
            emit(tx, job_id, JobFailed(FailCode.TOO_MANY_SPOILED, limit), now)
            return JobState.FAILED
        self.move(tx, job_id, JobState.QUEUED, now)
        return JobState.QUEUED

    def count_blank(
        self, tx: sqlite3.Connection, job: Job, outcome: AttemptOutcome, now: datetime
    ) -> int:
        """One more blank used by `job`, in its attempts and in the ledger; returns attempts."""
        attempts = job.attempts + 1
        tx.execute("UPDATE jobs SET attempts = ? WHERE job_id = ?", (attempts, job.job_id))
        self._ledger.use(tx, outcome, job.job_id, now)
        return attempts
