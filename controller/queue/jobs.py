"""The jobs table: what happens to a job, each change with its events in one transaction
(the moves themselves: controller/queue/transitions.py), and the reads of `JobQueries`."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from contract.clock import Clock, rfc3339, rfc3339_us
from contract.commands import JobSummary
from contract.events import (
    JobAccepted,
    JobCancelled,
    JobExpired,
    JobFailed,
    JobNeedsReview,
    JobResolved,
)
from contract.jobspec import JobSpec, mask_nik
from contract.vocabulary import (
    AttemptOutcome,
    FailCode,
    JobState,
    Requester,
    Resolution,
    SpoilCause,
)
from controller.policy import selection
from controller.policy.retry import MAX_ATTEMPTS
from controller.queue.audit import Actor
from controller.queue.db import Database
from controller.queue.job_queries import JobQueries, PrintableJob
from controller.queue.ledger import Ledger
from controller.queue.outbox import emit
from controller.queue.transitions import IllegalTransition, Job, JobTransitions, read_job
from controller.queue.unaccounted import CounterKind, book_unaccounted
from controller.said import said

RESOLUTIONS = tuple(Resolution)
MASK = "*" * 12  # what stays of a reduced job's NIK: mask_nik's form, its last 4 digits


class ReasonRequired(Exception):
    """`not_printed` with no reason for a card whose attempt moved the printer's counter, or
    that no counter witnessed (`witnessed` False: a printer behind a print queue)."""

    def __init__(self, job_id: str, witnessed: bool = True) -> None:
        if witnessed:
            message = said(
                "job %(job_id)s: the printer's card counter moved during the attempt, so a blank"
                " was fed; resolving it not_printed needs a reason",
                job_id=job_id,
            )
        else:
            message = said(
                "job %(job_id)s: no card counter saw the attempt (a printer behind a print"
                " queue); resolving it not_printed needs a reason: what you found",
                job_id=job_id,
            )
        super().__init__(message)


class JobStore(JobQueries):
    def __init__(
        self, db: Database, clock: Clock, ledger: Ledger, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        super().__init__(db)
        self._clock, self._ledger = clock, ledger
        self._states = JobTransitions(db, ledger, max_attempts)

    # -- intake ----------------------------------------------------------------------------
    def insert(self, tx: sqlite3.Connection, spec: JobSpec, source: str, at: datetime) -> None:
        """Store a validated job as queued, with its `job.accepted` event."""
        stamp = rfc3339(at)
        tx.execute(
            "INSERT INTO jobs (job_id, content_sha256, nik, reason, not_after, state, card_json,"
            " photo, signature, source, received_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                spec.job_id,
                spec.content_sha256,
                spec.nik,
                spec.reason,
                rfc3339(spec.not_after) if spec.not_after else None,
                JobState.QUEUED,
                json.dumps(spec.card, sort_keys=True),
                spec.photo,
                spec.signature,
                source,
                stamp,
                stamp,
            ),
        )
        queued = _count(tx, JobState.QUEUED)
        local = Requester.LOCAL if source == Requester.LOCAL else None  # handed in at the kiosk
        emit(tx, spec.job_id, JobAccepted(spec.reason, queued, local), at)

    # -- printing --------------------------------------------------------------------------
    def start(
        self, job_id: str, counter_before: int, counter: CounterKind = CounterKind.BLANKS
    ) -> int:
        """The card is about to start: the printer's counter is stored before any byte is sent.
        Cards the printer counted since the station's last one are booked (unaccounted.py);
        how many. A print queue's job number counts jobs, not blanks (a job that fed none
        moves it too): nothing is booked from it."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            outside = 0
            if counter is CounterKind.BLANKS:
                outside = book_unaccounted(tx, self._ledger, counter_before, now)
            self._states.move(tx, job_id, JobState.PRINTING, now)
            tx.execute(
                "INSERT INTO attempts (job_id, started_at, counter_before) VALUES (?, ?, ?)",
                (job_id, rfc3339_us(now), counter_before),
            )
        return outside

    def submitted(self, job_id: str, printer_job: int) -> None:
        """The print queue numbered the card's job: stored before its document is sent."""
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE attempts SET printer_job = ? WHERE job_id = ? AND ended_at IS NULL",
                (printer_job, job_id),
            )

    def upcoming(self) -> PrintableJob | None:
        """The job likely to print next (the queue's order, blanks not scarce), to render ahead."""
        job = self.next_queued(self._clock.now(), scarce=False)
        return self.printable(job.job_id) if job is not None else None

    def printed(self, job_id: str, card_counter: int, printer_serial: str) -> None:
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._states.close_attempt(tx, job_id, AttemptOutcome.PRINTED, None, card_counter, now)
            self._states.card_printed(tx, job_id, card_counter, printer_serial, now)

    def spoiled(self, job_id: str, cause: str, card_counter: int) -> JobState:
        """The printer reports the blank spoiled: retry, or fail at the limit. Returns the state."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._states.close_attempt(tx, job_id, AttemptOutcome.SPOILED, cause, card_counter, now)
            return self._states.card_spoiled(tx, job_id, cause, now, retry_limit=True)

    def not_printed(self, job_id: str, card_counter: int, cause: str) -> None:
        """The card did not start and the counter proves no blank was used: queue it again."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            outcome = AttemptOutcome.NOT_PRINTED
            self._states.close_attempt(tx, job_id, outcome, cause, card_counter, now)
            self._states.move(tx, job_id, JobState.QUEUED, now)

    def needs_review(self, job_id: str, cause: str, card_counter: int | None) -> None:
        """The card's outcome is unknown and a blank may have been used: a person decides."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._states.close_attempt(tx, job_id, AttemptOutcome.UNKNOWN, cause, card_counter, now)
            self._states.move(tx, job_id, JobState.NEEDS_REVIEW, now)
            emit(tx, job_id, JobNeedsReview(cause, card_counter), now)

    def fail(self, job_id: str, code: FailCode, message: str) -> None:
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._states.move(tx, job_id, JobState.FAILED, now)
            emit(tx, job_id, JobFailed(code, message), now)

    # -- people ----------------------------------------------------------------------------
    def resolve(
        self,
        job_id: str,
        outcome: str,
        printer_serial: str = "",
        *,
        by: Actor,
        reason: str | None = None,
    ) -> JobState:
        """A person decides a `needs_review` job, with a `job.resolved` event naming who.
        Returns the job's new state.

        `not_printed` when the printer's card counter moved during the attempt (or is unknown)
        needs a stated `reason` (ReasonRequired otherwise): a blank was fed, and a reprint
        makes a second card for the person. The fed blank is counted against the job, in its
        attempts and in the ledger, so the reprint's `attempts` and the blanks' books show it.
        Where no counter witnessed the attempt (a printer behind a print queue, whose review
        has none) the person's finding is the record: no card came out, no blank is counted.
        """
        if outcome not in RESOLUTIONS:
            raise ValueError(f"outcome must be one of {', '.join(RESOLUTIONS)}")
        now = self._clock.now()
        with self._db.transaction() as tx:
            job = read_job(tx, job_id)
            if job.state != JobState.NEEDS_REVIEW:
                raise IllegalTransition(job_id, job.state, f"resolved {outcome}")
            before, counter = tx.execute(
                "SELECT counter_before, counter_after FROM attempts WHERE job_id = ?"
                " ORDER BY id DESC LIMIT 1",
                (job_id,),
            ).fetchone()
            moved = counter is None or counter != before
            if outcome == Resolution.NOT_PRINTED and moved and not reason:
                raise ReasonRequired(job_id, witnessed=counter is not None)
            resolved = JobResolved(Resolution(outcome), by.how, by.person, reason or None)
            emit(tx, job_id, resolved, now)
            if outcome == Resolution.PRINTED:
                self._states.card_printed(tx, job_id, counter, printer_serial, now)
                return JobState.PRINTED
            if outcome == Resolution.SPOILED:
                return self._states.card_spoiled(
                    tx, job_id, SpoilCause.RESOLVED_SPOILED, now, retry_limit=False
                )
            if counter is not None and moved:  # the blank fed during the attempt, spent for nothing
                self._states.count_blank(tx, job, AttemptOutcome.SPOILED, now)
            self._states.move(tx, job_id, JobState.QUEUED, now)
            return JobState.QUEUED

    def cancel(self, job_id: str, by: Requester) -> None:
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._states.move(tx, job_id, JobState.CANCELLED, now)
            emit(tx, job_id, JobCancelled(by), now)

    # -- time ------------------------------------------------------------------------------
    def expire_due(self) -> list[str]:
        """End every queued job whose `not_after` has passed as `job.expired`.

        A job may still start at its `not_after` instant (selection's rule); after it, never.
        """
        now = self._clock.now()
        due_sql = (
            "SELECT job_id, not_after FROM jobs"
            f" WHERE state = :state AND {selection.EXPIRED_WHERE} ORDER BY seq"
        )
        params = {"state": JobState.QUEUED, "now": rfc3339(now)}
        with self._db.reading() as conn:  # the usual case: none due, nothing to write
            if conn.execute(due_sql + " LIMIT 1", params).fetchone() is None:
                return []
        with self._db.transaction() as tx:
            due = tx.execute(due_sql, params).fetchall()
            for row in due:
                self._states.move(tx, row["job_id"], JobState.EXPIRED, now)
                emit(tx, row["job_id"], JobExpired(row["not_after"]), now)
        return [row["job_id"] for row in due]

    def reduce_ended(self, ended_before: datetime) -> int:
        """Reduce every job that ended before `ended_before` to what accounting needs: its id,
        masked NIK, content hash, reason, dates, state and attempts; the card's text (name,
        address, religion, ...) is deleted and overwritten. Returns how many were reduced."""
        with self._db.transaction() as tx:
            reduced = tx.execute(
                "UPDATE jobs SET card_json = '{}', nik = ? || substr(nik, 13)"
                " WHERE ended_at IS NOT NULL AND ended_at < ? AND card_json <> '{}'",
                (MASK, rfc3339(ended_before)),
            ).rowcount
            if reduced:
                self._db.scrub_after_commit()
        return int(reduced)


def _count(tx: sqlite3.Connection, state: str) -> int:
    return int(tx.execute("SELECT count(*) FROM jobs WHERE state = ?", (state,)).fetchone()[0])


def job_summary(job: Job) -> JobSummary:
    """A job as the local command line and replies show it: no personal data."""
    return JobSummary(
        job.job_id,
        job.state,
        job.reason,
        job.attempts,
        mask_nik(job.nik),
        job.not_after,
        job.received_at,
        job.updated_at,
    )
