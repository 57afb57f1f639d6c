"""The job's life (docs/design.md): every transition, with its events, in one transaction.

    queued ──▶ printing ──▶ printed
       │           ├──▶ queued (spoiled, retried; or no blank used) ──▶ … failed at the limit
       │           └──▶ needs_review ──resolve──▶ printed | queued
       └──▶ cancelled | expired | failed

`_move` is the only place that changes a job's state: it refuses a transition the diagram does
not have, and deletes the photo and signature when a job ends.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contract.clock import Clock, parse_rfc3339, rfc3339, rfc3339_us
from contract.jobspec import JobSpec, mask_nik
from contract.vocabulary import (
    AttemptOutcome,
    EventType,
    FailCode,
    JobState,
    Requester,
    Resolution,
    SpoilCause,
)
from controller.policy import selection
from controller.policy.retry import MAX_ATTEMPTS, SpoilDecision, after_spoil
from controller.queue.audit import Actor
from controller.queue.db import Database
from controller.queue.ledger import Ledger
from controller.queue.outbox import emit

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
RESOLUTIONS = tuple(Resolution)


class IllegalTransition(Exception):
    def __init__(self, job_id: str, current: str, wanted: str) -> None:
        super().__init__(f"job {job_id} cannot go from {current} to {wanted}")
        self.job_id, self.current, self.wanted = job_id, current, wanted


class UnknownJob(KeyError):
    pass


class ReasonRequired(Exception):
    """`not_printed` for a card whose attempt moved the printer's counter, with no reason."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"job {job_id}: the printer's card counter moved during the attempt, so a blank was"
            " fed; resolving it not_printed needs a reason"
        )


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


@dataclass(frozen=True)
class PrintableJob:
    """What the printer needs of a job: its card fields, photo and signature."""

    job_id: str
    card: dict[str, str]
    photo: bytes
    signature: bytes


class JobStore:
    def __init__(
        self, db: Database, clock: Clock, ledger: Ledger, max_attempts: int = MAX_ATTEMPTS
    ) -> None:
        self._db, self._clock, self._ledger = db, clock, ledger
        self._max_attempts = max_attempts

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
        data: dict[str, Any] = {"reason": spec.reason, "queued": _count(tx, JobState.QUEUED)}
        if source == Requester.LOCAL:  # handed in at the kiosk, not sent by the central office
            data["source"] = source
        emit(tx, EventType.JOB_ACCEPTED, spec.job_id, data, at)

    # -- printing --------------------------------------------------------------------------
    def start(self, job_id: str, counter_before: int) -> None:
        """The card is about to start: the printer's counter is stored before any byte is sent."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._move(tx, job_id, JobState.PRINTING, now)
            tx.execute(
                "INSERT INTO attempts (job_id, started_at, counter_before) VALUES (?, ?, ?)",
                (job_id, rfc3339_us(now), counter_before),
            )

    def printed(self, job_id: str, card_counter: int, printer_serial: str) -> None:
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._close_attempt(tx, job_id, AttemptOutcome.PRINTED, None, card_counter, now)
            self._card_printed(tx, job_id, card_counter, printer_serial, now)

    def spoiled(self, job_id: str, cause: str, card_counter: int) -> JobState:
        """The printer reports the blank spoiled: retry, or fail at the limit. Returns the state."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._close_attempt(tx, job_id, AttemptOutcome.SPOILED, cause, card_counter, now)
            return self._card_spoiled(tx, job_id, cause, now, retry_limit=True)

    def not_printed(self, job_id: str, card_counter: int, cause: str) -> None:
        """The card did not start and the counter proves no blank was used: queue it again."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._close_attempt(tx, job_id, AttemptOutcome.NOT_PRINTED, cause, card_counter, now)
            self._move(tx, job_id, JobState.QUEUED, now)

    def needs_review(self, job_id: str, cause: str, card_counter: int | None) -> None:
        """The card's outcome is unknown and a blank may have been used: a person decides."""
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._close_attempt(tx, job_id, AttemptOutcome.UNKNOWN, cause, card_counter, now)
            self._move(tx, job_id, JobState.NEEDS_REVIEW, now)
            emit(
                tx,
                EventType.JOB_NEEDS_REVIEW,
                job_id,
                {"cause": cause, "card_counter": card_counter},
                now,
            )

    def fail(self, job_id: str, code: str, message: str) -> None:
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._move(tx, job_id, JobState.FAILED, now)
            emit(tx, EventType.JOB_FAILED, job_id, {"code": code, "message": message}, now)

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
        """
        if outcome not in RESOLUTIONS:
            raise ValueError(f"outcome must be one of {', '.join(RESOLUTIONS)}")
        now = self._clock.now()
        with self._db.transaction() as tx:
            job = self._job(tx, job_id)
            if job.state != JobState.NEEDS_REVIEW:
                raise IllegalTransition(job_id, job.state, f"resolved {outcome}")
            before, counter = tx.execute(
                "SELECT counter_before, counter_after FROM attempts WHERE job_id = ?"
                " ORDER BY id DESC LIMIT 1",
                (job_id,),
            ).fetchone()
            moved = counter is None or counter != before
            if outcome == Resolution.NOT_PRINTED and moved and not reason:
                raise ReasonRequired(job_id)
            data: dict[str, Any] = {"outcome": outcome, "by": by.how, "operator": by.who}
            if reason:
                data["reason"] = reason
            emit(tx, EventType.JOB_RESOLVED, job_id, data, now)
            if outcome == Resolution.PRINTED:
                self._card_printed(tx, job_id, counter, printer_serial, now)
                return JobState.PRINTED
            if outcome == Resolution.SPOILED:
                return self._card_spoiled(
                    tx, job_id, SpoilCause.RESOLVED_SPOILED, now, retry_limit=False
                )
            if moved:  # the blank fed during the attempt, spent for nothing
                tx.execute("UPDATE jobs SET attempts = attempts + 1 WHERE job_id = ?", (job_id,))
                self._ledger.use(tx, AttemptOutcome.SPOILED, job_id, now)
            self._move(tx, job_id, JobState.QUEUED, now)
            return JobState.QUEUED

    def cancel(self, job_id: str, by: str) -> None:
        now = self._clock.now()
        with self._db.transaction() as tx:
            self._move(tx, job_id, JobState.CANCELLED, now)
            emit(tx, EventType.JOB_CANCELLED, job_id, {"by": by}, now)

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
                self._move(tx, row["job_id"], JobState.EXPIRED, now)
                emit(tx, EventType.JOB_EXPIRED, row["job_id"], {"not_after": row["not_after"]}, now)
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

    # -- queries ---------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        with self._db.reading() as conn:
            return self._job(conn, job_id)

    def printable(self, job_id: str) -> PrintableJob:
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT card_json, photo, signature FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
        if row is None or row["photo"] is None:
            raise UnknownJob(job_id)
        return PrintableJob(job_id, json.loads(row["card_json"]), row["photo"], row["signature"])

    def in_state(self, state: str, limit: int = 1000) -> list[Job]:
        with self._db.reading() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state = ? ORDER BY seq LIMIT ?",
                (state, limit),
            ).fetchall()
        return [_job(row) for row in rows]

    def counts(self) -> dict[str, int]:
        with self._db.reading() as conn:
            rows = conn.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall()
        found = {row[0]: int(row[1]) for row in rows}
        return {state: found.get(state, 0) for state in JobState}

    def open_attempt(self, job_id: str) -> tuple[int, str] | None:
        """(counter_before, started_at) of the attempt in progress, if there is one."""
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT counter_before, started_at FROM attempts"
                " WHERE job_id = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
                (job_id,),
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def next_queued(self, now: datetime, scarce: bool) -> Job | None:
        """The job that prints next: `selection.order(scarce)`, tier by tier.

        `scarce` is `selection.blanks_scarce(...)`. Each tier is one indexed look-up of its
        oldest eligible job, instead of one ORDER BY over the whole queue.
        """
        with self._db.reading() as conn:
            for tier in selection.order(scarce):
                where, params = tier.where()
                row = conn.execute(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state = :state AND {where}"
                    " ORDER BY seq LIMIT 1",
                    {"state": JobState.QUEUED, "now": rfc3339(now), **params},
                ).fetchone()
                if row is not None:
                    return _job(row)
        return None

    def card_starts(self, since: datetime) -> list[datetime]:
        """Start times of every card since `since` that used, or may have used, a blank.

        The duty cycle is rebuilt from these after a restart (invariant 5). An attempt in
        progress counts; one the printer's counter proved unfed (`not_printed`) does not.
        """
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT started_at FROM attempts WHERE started_at >= ?"
                " AND coalesce(outcome, '') <> ? ORDER BY started_at",
                (rfc3339_us(since), AttemptOutcome.NOT_PRINTED),
            ).fetchall()
        return [parse_rfc3339(row[0]) for row in rows]

    # -- internals -------------------------------------------------------------------------
    def _move(self, tx: sqlite3.Connection, job_id: str, to: JobState, now: datetime) -> Job:
        job = self._job(tx, job_id)
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

    def _job(self, conn: sqlite3.Connection, job_id: str) -> Job:
        row = conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        return _job(row)

    def _close_attempt(
        self,
        tx: sqlite3.Connection,
        job_id: str,
        outcome: AttemptOutcome,
        cause: str | None,
        counter: int | None,
        now: datetime,
    ) -> None:
        updated = tx.execute(
            "UPDATE attempts SET ended_at = ?, outcome = ?, cause = ?, counter_after = ?"
            " WHERE id = (SELECT max(id) FROM attempts WHERE job_id = ? AND ended_at IS NULL)",
            (rfc3339(now), outcome, cause, counter, job_id),
        ).rowcount
        if updated != 1:
            state = self._job(tx, job_id).state
            raise IllegalTransition(job_id, state, f"{outcome} (no card in progress)")

    def _card_printed(
        self, tx: sqlite3.Connection, job_id: str, counter: int | None, serial: str, now: datetime
    ) -> None:
        job = self._move(tx, job_id, JobState.PRINTED, now)
        attempts = job.attempts + 1
        tx.execute("UPDATE jobs SET attempts = ? WHERE job_id = ?", (attempts, job_id))
        self._ledger.use(tx, AttemptOutcome.PRINTED, job_id, now)
        emit(
            tx,
            EventType.CARD_PRINTED,
            job_id,
            {
                "reason": job.reason,
                "nik_masked": mask_nik(job.nik),
                "attempts": attempts,
                "printer_serial": serial,
                "card_counter": counter,
            },
            now,
        )

    def _card_spoiled(
        self, tx: sqlite3.Connection, job_id: str, cause: str, now: datetime, retry_limit: bool
    ) -> JobState:
        """Count the spoiled blank; `retry.after_spoil` decides, unless a person did."""
        job = self._job(tx, job_id)
        attempts = job.attempts + 1
        tx.execute("UPDATE jobs SET attempts = ? WHERE job_id = ?", (attempts, job_id))
        self._ledger.use(tx, AttemptOutcome.SPOILED, job_id, now)
        emit(tx, EventType.CARD_SPOILED, job_id, {"cause": cause, "attempt": attempts}, now)
        if retry_limit and after_spoil(attempts, self._max_attempts) is SpoilDecision.FAIL:
            self._move(tx, job_id, JobState.FAILED, now)
            emit(
                tx,
                EventType.JOB_FAILED,
                job_id,
                {
                    "code": FailCode.TOO_MANY_SPOILED,
                    "message": f"{attempts} blanks spoiled; the limit is {self._max_attempts}",
                },
                now,
            )
            return JobState.FAILED
        self._move(tx, job_id, JobState.QUEUED, now)
        return JobState.QUEUED


MASK = "*" * 12  # what stays of a reduced job's NIK: mask_nik's form, its last 4 digits
_JOB_COLUMNS = "job_id, seq, reason, state, attempts, nik, not_after, received_at, updated_at"


def _job(row: sqlite3.Row) -> Job:
    return Job(**{key: row[key] for key in row.keys()})  # noqa: SIM118 - sqlite3.Row


def _count(tx: sqlite3.Connection, state: str) -> int:
    return int(tx.execute("SELECT count(*) FROM jobs WHERE state = ?", (state,)).fetchone()[0])


def job_summary(job: Job) -> dict[str, Any]:
    """A job as the local command line and replies show it: no personal data."""
    return {
        "job_id": job.job_id,
        "state": job.state,
        "reason": job.reason,
        "attempts": job.attempts,
        "nik_masked": mask_nik(job.nik),
        "not_after": job.not_after,
        "received_at": job.received_at,
        "updated_at": job.updated_at,
    }
