"""Which queued job prints next (DESIGN.md, "The job's life": selection).

The rule, which the store's SQL mirrors (`ELIGIBLE_WHERE`, `ORDER_BY`) so that it fetches one
candidate instead of the whole queue:

    SELECT ... WHERE state = 'queued' AND (not_after IS NULL OR not_after >= :now)
    ORDER BY CASE WHEN :scarce AND reason <> 'new' THEN 1 ELSE 0 END, received_seq LIMIT 1

with `:scarce` = (cards_remaining <= reserve_cards) and `not_after`, `:now` in one sortable form
(epoch microseconds, or fixed-width UTC text). That is:

- A job is eligible while now ≤ `not_after` (a job may start at its `not_after` instant, as
  "not after" reads); later it is expired by the caller (`expired`), never printed.
- Blanks scarce (at or below the reserve): every eligible `new` job before every replacement
  (`damaged`, `lost`, `data_change`); FIFO by `received_seq` within each group.
- Otherwise: FIFO by `received_seq` alone.
- A job put back after a spoiled card keeps its `received_seq`, so it is retried first.

Replacements still print at or below the reserve when no `new` job is eligible: the contract
defines the reserve as an order ("`new` cards go first"), not a hold-back. Holding blanks idle
would make citizens who lost an ID wait with blanks in the feeder, while a `new` job that
arrives later still goes before every queued replacement; how many blanks go to replacements at
all is the central office's allocation, made by the jobs it sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

NEW = "new"
ELIGIBLE_WHERE = "(not_after IS NULL OR not_after >= :now)"
ORDER_BY = "CASE WHEN :scarce AND reason <> 'new' THEN 1 ELSE 0 END, received_seq"
REPLACEMENT_REASONS = frozenset({"damaged", "lost", "data_change"})


@dataclass(frozen=True)
class QueuedJob:
    """What selection needs to know of a queued job."""

    job_id: str
    reason: str
    received_seq: int
    not_after: datetime | None
    attempts: int = 0

    def __post_init__(self) -> None:
        if self.reason != NEW and self.reason not in REPLACEMENT_REASONS:
            raise ValueError(f"unknown job reason {self.reason!r}")


def is_expired(job: QueuedJob, now: datetime) -> bool:
    """True once `now` is past the job's `not_after`."""
    return job.not_after is not None and now > job.not_after


def expired(queued: Sequence[QueuedJob], now: datetime) -> list[QueuedJob]:
    """The jobs to end as `job.expired`, in `received_seq` order."""
    return sorted((j for j in queued if is_expired(j, now)), key=lambda j: j.received_seq)


def sort_key(job: QueuedJob, scarce: bool) -> tuple[int, int]:
    """The ORDER BY above, as a key: smaller prints first."""
    return (1 if scarce and job.reason != NEW else 0, job.received_seq)


def choose_next(
    queued: Sequence[QueuedJob], now: datetime, cards_remaining: int, reserve_cards: int
) -> QueuedJob | None:
    """The eligible job that prints next, or None when none is eligible.

    Only the order: whether a card may start at all (blanks, duty, printer) is
    `station_state.may_start_card`.
    """
    scarce = cards_remaining <= reserve_cards
    eligible = [j for j in queued if not is_expired(j, now)]
    return min(eligible, key=lambda j: sort_key(j, scarce), default=None)
