"""Job intake: validate, then store the job or its rejection with the event, in one transaction.

`submit` (and `store`, for several checked messages at once) returns only after the outcome is
on disk, so the MQTT link may acknowledge the PUBLISH as soon as it returns. Re-delivery of a
stored job with the same content is acknowledged and ignored; with other content it is rejected
as `conflict`. So is a message over MQTT that was rejected before for what it is (not for the
queue, `queue_full` included, or the delivery): the broker delivers again what the station had
answered but could not acknowledge before it stopped, and one message gets one `job.rejected`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import structlog

from contract.clock import Clock, rfc3339
from contract.events import JobRejected
from contract.jobspec import JobSpec, Rejection, parse_job
from contract.vocabulary import ACTIVE_STATES, RejectCode, Requester
from controller.queue.db import Database, sql_literals
from controller.queue.jobs import JobStore
from controller.queue.limits import QueueSettings, no_room
from controller.queue.outbox import emit
from controller.render import Problem, field_problems, image_problems

log = structlog.get_logger(__name__)

# The states written out, so that the planner takes the partial index on active NIKs.
ACTIVE_JOB_OF_NIK = (
    f"SELECT job_id FROM jobs WHERE nik = ? AND state IN ({sql_literals(ACTIVE_STATES)})"
)
# How long a rejected message is remembered: far longer than a broker holds a message it has
# delivered but not seen acknowledged (until the station's next connection).
REJECTION_MEMORY = timedelta(days=7)


class IntakeOutcome(StrEnum):
    """What intake made of a message (the `submit` command's `outcome`)."""

    ACCEPTED = "accepted"  # a new job: stored, with its job.accepted
    DUPLICATE = "duplicate"  # the same job, or a message rejected before: no new event
    REJECTED = "rejected"  # not a job the station takes: its job.rejected


def layout_problems(text: dict[str, str], photo: bytes, signature: bytes) -> list[Problem]:
    """The station's `LayoutCheck` for `parse_job`: the text fields its card cannot hold, then
    the pictures it cannot decode."""
    return field_problems(text) + image_problems(photo, signature)


@dataclass(frozen=True)
class IntakeResult:
    outcome: IntakeOutcome
    job_id: str | None
    code: RejectCode | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "outcome": self.outcome,
            "job_id": self.job_id,
            "code": self.code,
            "message": self.message,
        }


class Intake:
    def __init__(
        self,
        db: Database,
        jobs: JobStore,
        clock: Clock,
        timezone: str,
        limits: QueueSettings | None = None,
    ) -> None:
        self._db, self._jobs, self._clock = db, jobs, clock
        self._tz = ZoneInfo(timezone)
        self._limits = limits or QueueSettings()

    def submit(self, payload: bytes, source: str = Requester.MQTT) -> IntakeResult:
        return self.store([self.check(payload)], source)[0]

    def check(self, payload: bytes) -> JobSpec | Rejection:
        """Validate one message: no I/O, so any thread may do it ahead of `store`."""
        today = self._clock.now().astimezone(self._tz).date()
        checked = parse_job(payload, today, layout_problems)
        if isinstance(checked, Rejection):
            digest = hashlib.sha256(payload).hexdigest()
            return dataclasses.replace(checked, message_sha256=digest)
        return checked

    def store(
        self, checked: Sequence[JobSpec | Rejection], source: str = Requester.MQTT
    ) -> list[IntakeResult]:
        """Store checked messages in order, each job or rejection with its event, in one
        transaction: one fsync for them all, and all of them on disk when this returns."""
        with self._db.transaction() as tx:
            results = [
                self._store(tx, parsed, source)
                if isinstance(parsed, JobSpec)
                else self._reject(tx, parsed, source)
                for parsed in checked
            ]
        for result in results:
            log.info("job intake", source=source, **result.as_dict())
        return results

    def _store(self, tx: sqlite3.Connection, spec: JobSpec, source: str) -> IntakeResult:
        now = self._clock.now()
        known = tx.execute(
            "SELECT content_sha256 FROM jobs WHERE job_id = ?", (spec.job_id,)
        ).fetchone()
        if known is not None:
            if known[0] == spec.content_sha256:
                return IntakeResult(IntakeOutcome.DUPLICATE, spec.job_id)
            return self._reject(
                tx,
                Rejection(
                    RejectCode.CONFLICT,
                    "job_id already used for a job with other content",
                    spec.job_id,
                    message_sha256=spec.content_sha256,
                ),
                source,
            )
        if spec.not_after is not None and spec.not_after < now:
            return self._reject(
                tx,
                Rejection(
                    RejectCode.EXPIRED,
                    f"not_after {rfc3339(spec.not_after)} has passed",
                    spec.job_id,
                ),
                source,
            )
        active = tx.execute(ACTIVE_JOB_OF_NIK, (spec.nik,)).fetchone()
        if active is not None:
            return self._reject(
                tx,
                Rejection(
                    RejectCode.DUPLICATE_NIK,
                    f"job {active[0]} for the same NIK is still active",
                    spec.job_id,
                ),
                source,
            )
        if full := no_room(tx, self._db.path.parent, self._limits):
            return self._reject(tx, Rejection(RejectCode.QUEUE_FULL, full, spec.job_id), source)
        self._jobs.insert(tx, spec, source, now)
        return IntakeResult(IntakeOutcome.ACCEPTED, spec.job_id)

    def _reject(self, tx: sqlite3.Connection, rejection: Rejection, source: str) -> IntakeResult:
        if source == Requester.MQTT and self._rejected_before(tx, rejection):
            return IntakeResult(
                IntakeOutcome.DUPLICATE, rejection.job_id, rejection.code, "rejected before"
            )
        data = JobRejected(rejection.code, rejection.message)
        emit(tx, rejection.job_id, data, self._clock.now())
        return IntakeResult(
            IntakeOutcome.REJECTED, rejection.job_id, rejection.code, rejection.message
        )

    def _rejected_before(self, tx: sqlite3.Connection, rejection: Rejection) -> bool:
        """Whether this message was rejected before; if not, and it is one to remember, remember
        it now (and forget those older than REJECTION_MEMORY)."""
        if rejection.message_sha256 is None:
            return False
        now = self._clock.now()
        tx.execute(
            "DELETE FROM rejected_messages WHERE time < ?", (rfc3339(now - REJECTION_MEMORY),)
        )
        inserted = tx.execute(
            "INSERT INTO rejected_messages (message_sha256, job_id, code, time)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (message_sha256) DO NOTHING",
            (rejection.message_sha256, rejection.job_id, rejection.code, rfc3339(now)),
        )
        return inserted.rowcount == 0
