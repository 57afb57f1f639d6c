"""Which queued job prints next (docs/design.md, "The job's life": selection).

The order is a list of tiers, tried in turn; each one takes the oldest eligible job
(`received_seq`, FIFO) of its reason, or of any reason:

- Blanks scarce (at or below the reserve, `blanks_scarce`): `new` jobs, then any job; so every
  eligible `new` job goes before every replacement (`damaged`, `lost`, `data_change`).
- Replacements' quota spent (`quota_spent`: the lot in use reserves a share for `new` cards,
  and replacements have used the rest of it): `new` jobs only; replacements wait for the next
  lot. Unlike the reserve, a quota holds blanks back: the office set it (docs/blanks.md).
- Otherwise: any job, FIFO alone.
- A job is eligible while now ≤ `not_after` (a job may start at its `not_after` instant, as
  "not after" reads); later it is expired (`expired`), never printed.
- A job put back after a spoiled card keeps its `received_seq`, so it is retried first.

`choose_next` applies the tiers to a list; the store runs the same tiers as SQL (`Tier.where`,
`EXPIRED_WHERE`), one indexed look-up each, instead of ordering the whole queue.

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

from contract.vocabulary import JobReason

# `is_expired` and its negation over the store's `jobs` columns; `:now` in `not_after`'s form.
ELIGIBLE_WHERE = "(not_after IS NULL OR not_after >= :now)"
EXPIRED_WHERE = "not_after < :now"


@dataclass(frozen=True)
class QueuedJob:
    """What selection needs to know of a queued job."""

    job_id: str
    reason: JobReason
    received_seq: int
    not_after: datetime | None
    attempts: int = 0

    def __post_init__(self) -> None:
        try:
            JobReason(self.reason)
        except ValueError:
            raise ValueError(f"unknown job reason {self.reason!r}") from None


@dataclass(frozen=True)
class Tier:
    """One step of the order: the oldest eligible job of `reason`, or of any reason (None)."""

    reason: JobReason | None = None

    def admits(self, job: QueuedJob, now: datetime) -> bool:
        return not is_expired(job, now) and self.reason in (None, job.reason)

    def where(self) -> tuple[str, dict[str, str]]:
        """`admits` as an SQL condition and its parameters; `:now` is the caller's to bind."""
        if self.reason is None:
            return ELIGIBLE_WHERE, {}
        return f"{ELIGIBLE_WHERE} AND reason = :reason", {"reason": self.reason}


SCARCE_ORDER = (Tier(JobReason.NEW), Tier())
PLENTY_ORDER = (Tier(),)
QUOTA_ORDER = (Tier(JobReason.NEW),)


def blanks_scarce(remaining_cards: int, reserve_cards: int) -> bool:
    """The reserve rule's test: blanks at or below the reserve."""
    return remaining_cards <= reserve_cards


def order(scarce: bool, quota_spent: bool = False) -> tuple[Tier, ...]:
    """The tiers to try, in turn."""
    if quota_spent:
        return QUOTA_ORDER
    return SCARCE_ORDER if scarce else PLENTY_ORDER


def is_expired(job: QueuedJob, now: datetime) -> bool:
    """True once `now` is past the job's `not_after`."""
    return job.not_after is not None and now > job.not_after


def expired(queued: Sequence[QueuedJob], now: datetime) -> list[QueuedJob]:
    """The jobs to end as `job.expired`, in `received_seq` order."""
    return sorted((j for j in queued if is_expired(j, now)), key=lambda j: j.received_seq)


def choose_next(
    queued: Sequence[QueuedJob],
    now: datetime,
    cards_remaining: int,
    reserve_cards: int,
    quota_spent: bool = False,
) -> QueuedJob | None:
    """The eligible job that prints next, or None when none is eligible.

    Only the order: whether a card may start at all (blanks, duty, printer) is
    `station_state.may_start_card`.
    """
    for tier in order(blanks_scarce(cards_remaining, reserve_cards), quota_spent):
        admitted = [j for j in queued if tier.admits(j, now)]
        if admitted:
            return min(admitted, key=lambda j: j.received_seq)
    return None
