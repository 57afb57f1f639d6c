"""What the station asks of its jobs: one job, those in a state, the next to print, the counts,
and the card starts the duty cycle is rebuilt from. Reads only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from contract.clock import parse_rfc3339, rfc3339, rfc3339_us
from contract.vocabulary import AttemptOutcome, JobState
from controller.policy import selection
from controller.queue.db import Database
from controller.queue.transitions import JOB_SQL_COLUMNS, Job, UnknownJob, job_of, read_job


@dataclass(frozen=True)
class PrintableJob:
    """What the printer needs of a job: its card fields, photo and signature."""

    job_id: str
    card: dict[str, str]
    photo: bytes
    signature: bytes


class JobQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, job_id: str) -> Job:
        with self._db.reading() as conn:
            return read_job(conn, job_id)

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
                f"SELECT {JOB_SQL_COLUMNS} FROM jobs WHERE state = ? ORDER BY seq LIMIT ?",
                (state, limit),
            ).fetchall()
        return [job_of(row) for row in rows]

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

    def open_printer_jobs(self) -> dict[str, int | None]:
        """Each job left `printing`, and the print queue's number of its open attempt's job
        (None: no queue job was stored for it)."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT jobs.job_id, attempts.printer_job FROM jobs"
                " LEFT JOIN attempts ON attempts.job_id = jobs.job_id AND attempts.ended_at IS NULL"
                " WHERE jobs.state = ?",
                (JobState.PRINTING,),
            ).fetchall()
        return {str(row[0]): None if row[1] is None else int(row[1]) for row in rows}

    def next_queued(self, now: datetime, scarce: bool, quota_spent: bool = False) -> Job | None:
        """The job that prints next: `selection.order(scarce, quota_spent)`, tier by tier.

        `scarce` is `selection.blanks_scarce(...)`; `quota_spent`: `Lots.quota_spent`. Each tier
        is one indexed look-up of its oldest eligible job, instead of one ORDER BY over the
        whole queue.
        """
        with self._db.reading() as conn:
            for tier in selection.order(scarce, quota_spent):
                where, params = tier.where()
                row = conn.execute(
                    f"SELECT {JOB_SQL_COLUMNS} FROM jobs WHERE state = :state AND {where}"
                    " ORDER BY seq LIMIT 1",
                    {"state": JobState.QUEUED, "now": rfc3339(now), **params},
                ).fetchone()
                if row is not None:
                    return job_of(row)
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
