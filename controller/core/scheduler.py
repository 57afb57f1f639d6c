"""What the station may do next: the policies of controller/policy applied to stored facts.

Everything here is read from the store (print history, queue, ledger) or passed in (the
printer's flags, pause, the cabinet cover), so a restart rebuilds the same decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.vocabulary import Consumable, JobState
from controller.devices.models import EVERY_CONSUMABLE
from controller.devices.printer import JOB_FLAGS, PrinterStatus
from controller.policy import duty, selection
from controller.policy.duty import DutyDecision, DutySettings
from controller.policy.station_state import (
    StateAndReasons,
    StationInputs,
    derive_state,
    may_start_card,
)
from controller.queue.store import Store
from controller.queue.transitions import Job

COOLING_FLAGS = frozenset({"WAR_COOLING", "ERR_HEAD_TEMP", "ERR_RET_TEMPERATURE"})
COVER_FLAGS = frozenset({"WAR_COVER_OPEN"})
EMPTY_FLAGS = {
    "WAR_FEEDER_EMPTY": Consumable.CARDS,
    "WAR_RIBBON_ENDED": Consumable.RIBBON,
    "WAR_NO_RIBBON": Consumable.RIBBON,
    "ERR_RIBBON_ERROR": Consumable.RIBBON,
    "ERR_RIBBON_ENDED": Consumable.RIBBON,
    "WAR_CLEAR_END": Consumable.FILM,  # Evolis calls the retransfer film "clear"
}


@dataclass(frozen=True)
class PrinterView:
    """The printer as the policies see it."""

    connected: bool
    flags: frozenset[str] = frozenset()
    problem: bool = False  # it answers what no sane printer says
    used: frozenset[Consumable] = EVERY_CONSUMABLE  # what a card uses on it (its model)

    @classmethod
    def of(
        cls,
        connected: bool,
        status: PrinterStatus | None,
        problem: str | None = None,
        used: frozenset[Consumable] = EVERY_CONSUMABLE,
    ) -> PrinterView:
        flags = status.flags if status else frozenset()
        return cls(connected, flags, problem is not None, used)

    @property
    def cooling(self) -> bool:
        return bool(self.flags & COOLING_FLAGS)

    @property
    def cover_open(self) -> bool:
        return bool(self.flags & COVER_FLAGS)

    @property
    def empty(self) -> frozenset[str]:
        return frozenset(EMPTY_FLAGS[flag] for flag in self.flags if flag in EMPTY_FLAGS)

    @property
    def job_held(self) -> bool:
        """The printer shows a job claimed or in progress."""
        return bool(self.flags & JOB_FLAGS)

    @property
    def error(self) -> bool:
        known = COOLING_FLAGS | COVER_FLAGS | set(EMPTY_FLAGS)
        flagged = any(flag.startswith("ERR_") and flag not in known for flag in self.flags)
        return self.problem or flagged


@dataclass(frozen=True)
class Evaluation:
    state: StateAndReasons
    duty: DutyDecision
    next_job: Job | None  # the job to print now, when a card may start
    counts: dict[str, int]
    remaining: dict[str, int]
    capacity: dict[str, int]


class Scheduler:
    def __init__(self, store: Store, duty_settings: DutySettings, reserve_cards: int) -> None:
        self._store = store
        self._duty = duty_settings
        self._reserve = reserve_cards

    def evaluate(
        self,
        now: datetime,
        *,
        paused: bool,
        printing: bool,
        printer: PrinterView,
        cabinet_open: bool = False,
    ) -> Evaluation:
        starts = self._store.jobs.card_starts(duty.history_since(now, self._duty))
        decision = duty.decide(starts, now, self._duty, printer_cooling=printer.cooling)
        with self._store.db.reading() as conn:
            balances = self._store.ledger.balances(conn)
        used = {name: b for name, b in balances.items() if name in printer.used}
        remaining = {name: b.remaining for name, b in used.items()}
        capacity = {name: b.capacity for name, b in used.items()}
        # Where the printer says empty, it is empty, whatever the ledger counted.
        seen = {name: 0 if name in printer.empty else count for name, count in remaining.items()}
        counts = self._store.jobs.counts()
        inputs = StationInputs(
            paused=paused,
            printing=printing,
            printer_connected=printer.connected,
            cover_open=printer.cover_open or cabinet_open,
            printer_error=printer.error,
            printer_job=printer.job_held,
            remaining=seen,
            needs_review=counts[JobState.NEEDS_REVIEW],
            duty=decision,
            used=printer.used,
        )
        next_job = None
        if may_start_card(inputs)[0]:
            scarce = selection.blanks_scarce(remaining.get(Consumable.CARDS, 0), self._reserve)
            quota_spent = self._store.lots.quota_spent()
            next_job = self._store.jobs.next_queued(now, scarce=scarce, quota_spent=quota_spent)
        return Evaluation(derive_state(inputs), decision, next_job, counts, remaining, capacity)
