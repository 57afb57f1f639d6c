"""The duty cycle: head model + budgets + the printer's own cooling flag, in one decision.

A restart cannot bypass it (invariant 5): the decision is a function of the stored card starts
and the current time only. The caller passes every start since `history_since(now, config)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contract.vocabulary import Reason
from controller.policy import budget
from controller.policy.budget import BudgetLimits
from controller.policy.thermal import ThermalModel


@dataclass(frozen=True)
class DutyConfig:
    """The `[duty]` section."""

    thermal: ThermalModel = field(default_factory=ThermalModel)
    budget: BudgetLimits = field(default_factory=BudgetLimits)


@dataclass(frozen=True)
class DutyDecision:
    """Whether a card may start now, and if not, why and from when.

    `next_print_at` is None when a card may start now, and also when the only thing waited for
    is the printer's cooling flag (its end is unknown). `reasons` lists every limit in force,
    the one that ends last first, `printer_cooling` (unknown end) last; `reason` is the first.
    """

    allowed_now: bool
    next_print_at: datetime | None
    reason: Reason | None
    head_temp_c: float
    printed_today: int
    reasons: tuple[Reason, ...] = ()


def history_since(now: datetime, config: DutyConfig) -> datetime:
    """The oldest card start that can still matter: local midnight, an hour, or 30 τ back."""
    return min(
        budget.day_start(now, config.budget.zone),
        now - budget.HOUR,
        now - config.thermal.memory,
    )


def decide(
    card_starts: Sequence[datetime],
    now: datetime,
    config: DutyConfig,
    printer_cooling: bool = False,
) -> DutyDecision:
    """Decide from the card starts that used a blank and the printer's cooling flag."""
    head_temp_c, head_cool_at = config.thermal.outlook(card_starts, now)
    waits = {
        Reason.DAILY_LIMIT: budget.daily_earliest(card_starts, now, config.budget),
        Reason.HOURLY_LIMIT: budget.hourly_earliest(card_starts, now, config.budget),
        Reason.HEAD_COOLING: head_cool_at,
    }
    blocking = [code for code, until in waits.items() if until > now]
    blocking.sort(key=waits.__getitem__, reverse=True)  # stable: ties keep the order above
    if printer_cooling:
        blocking.append(Reason.PRINTER_COOLING)
    latest = max(waits.values())
    return DutyDecision(
        allowed_now=not blocking,
        next_print_at=latest if latest > now else None,
        reason=blocking[0] if blocking else None,
        head_temp_c=head_temp_c,
        printed_today=budget.printed_today(card_starts, now, config.budget.zone),
        reasons=tuple(blocking),
    )
