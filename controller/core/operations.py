"""What people and the central office ask of the station: the core loop's operations on jobs,
consumables and events (run on the loop: `Station.call`). Commands check their arguments and
call these; none of them touches the store by itself."""

from __future__ import annotations

from dataclasses import replace

import structlog

from contract.errors import CommandError
from contract.status import Stock
from contract.vocabulary import (
    ActionSource,
    CommandErrorCode,
    CommandName,
    Consumable,
    JobState,
    Requester,
    Resolution,
    Role,
)
from controller.core.loop import Station
from controller.queue.audit import DONE, Actor
from controller.queue.intake import IntakeResult
from controller.queue.transitions import Job
from controller.said import said

log = structlog.get_logger(__name__)
PANEL = Actor(ActionSource.PANEL, "review button")
PANEL_REASON = "decided at the kiosk with the review button"


class Operations:
    def __init__(self, station: Station) -> None:
        self._station, self._store = station, station.store

    def cancel_job(self, job_id: str, by: Requester) -> Job:
        jobs = self._store.jobs
        job = jobs.get(job_id)
        if job.state != JobState.QUEUED:
            raise CommandError(
                CommandErrorCode.INVALID_STATE,
                said(
                    "job %(job_id)s is %(state)s; only a queued job can be cancelled",
                    job_id=job_id,
                    state=job.state,
                ),
            )
        jobs.cancel(job_id, by=by)
        return jobs.get(job_id)

    def resolve_job(
        self, job_id: str, outcome: Resolution, by: Actor, reason: str | None = None
    ) -> Job:
        self._store.jobs.resolve(job_id, outcome, self._station.lane.serial(), by=by, reason=reason)
        return self._store.jobs.get(job_id)

    def resolve_oldest_review(self, outcome: Resolution) -> str | None:
        """The review button: decide the oldest `needs_review` job; returns its id."""
        waiting = self._store.jobs.in_state(JobState.NEEDS_REVIEW, limit=1)
        if not waiting:
            log.info("review button pressed with no card to review")
            return None
        by = replace(PANEL, account=self._store.accounts.on_duty())
        with self._store.db.transaction():  # the resolution and its audit row, or neither
            job = self.resolve_job(waiting[0].job_id, outcome, by, PANEL_REASON)
            self._store.audit.record(
                by,
                CommandName.RESOLVE,
                {"job_id": job.job_id, "outcome": outcome},
                DONE,
                {"state": job.state},
                self._station.clock.now(),
            )
        log.info("card resolved at the panel", job_id=waiting[0].job_id, outcome=outcome)
        return waiting[0].job_id

    def reload(
        self,
        consumable: Consumable,
        count: int,
        capacity: int | None,
        lot: str | None,
        by: Actor,
        reason: str | None = None,
    ) -> Stock:
        """Book a reload and tell the printer; returns the consumable's status entry. `count`
        may not exceed the capacity (given, or the one on the books); fewer blanks than on the
        books need a supervisor and a `reason`. Not while a card is on the printer (`lane.busy`):
        a count taken then cannot tell whether that card's share is in it."""
        known = self._consumable(consumable).capacity
        if count > (capacity if capacity is not None else known):
            raise CommandError(
                CommandErrorCode.INVALID_ARGS,
                said(
                    "count %(count)s is more than the %(consumable)s capacity %(capacity)s;"
                    " give the new capacity (`capacity`; --capacity on the command line)",
                    count=count,
                    consumable=consumable,
                    capacity=capacity if capacity is not None else known,
                ),
            )
        if self._station.lane.busy:
            raise CommandError(
                CommandErrorCode.INVALID_STATE,
                said(
                    "a card is printing or its outcome is still being settled: reload once it"
                    " is done (a count taken now cannot tell whether that card's share is in it)"
                ),
            )
        if consumable == Consumable.CARDS:
            self._check_lowering(count, by, reason)
        self._station.consumable_counts.book(consumable, count, capacity, lot, by.person, reason)
        return self._consumable(consumable)

    def _check_lowering(self, count: int, by: Actor, reason: str | None) -> None:
        """Blanks are controlled documents: fewer than the books say is a supervisor's call."""
        store = self._store
        with store.db.reading() as conn:
            books = store.ledger.remaining(conn, Consumable.CARDS)
            role = by.account and store.accounts.get(conn, by.account).role
        books -= store.jobs.counts()[JobState.NEEDS_REVIEW]
        if count < books and (role != Role.SUPERVISOR or not reason):
            raise CommandError(
                CommandErrorCode.NOT_AUTHORIZED,
                said(
                    "%(fewer)s blanks fewer than the books (%(books)s): a supervisor's"
                    " account reloads them, with a reason",
                    fewer=books - count,
                    books=books,
                ),
            )

    def _consumable(self, consumable: Consumable) -> Stock:
        """The consumable as the status shows it now (only those the printer's model uses)."""
        levels = self._station.status().consumables or {}  # none before the first decision
        if consumable not in levels:
            raise CommandError(
                CommandErrorCode.INVALID_ARGS,
                said(
                    "the printer takes no %(consumable)s (or has not said which model it is yet)",
                    consumable=consumable,
                ),
            )
        return levels[consumable]

    def replay_events(self, from_seq: int, to_seq: int) -> int:
        """Send events `from_seq`..`to_seq` again (a consumer lost them); returns how many."""
        count = self._store.outbox.replay(from_seq, to_seq)
        log.info("events to be sent again", from_seq=from_seq, to_seq=to_seq, count=count)
        for listener in self._station.replay_listeners:
            listener(from_seq)
        return count

    def active_jobs(self, limit: int = 200) -> list[Job]:
        """Jobs not yet ended: printing, then waiting for review, then queued."""
        states = (JobState.PRINTING, JobState.NEEDS_REVIEW, JobState.QUEUED)
        return [job for state in states for job in self._store.jobs.in_state(state, limit=limit)]

    def submit_job(self, payload: bytes) -> IntakeResult:
        """A job handed in at the kiosk (the local command line)."""
        return self._store.intake.submit(payload, source=Requester.LOCAL)
