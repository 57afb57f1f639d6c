"""The duty cycle: head model + budgets + the printer's own cooling flag, in one decision.

A restart cannot bypass it (invariant 5): the decision is a function of the stored card starts
and the current time only. The caller passes every start since `history_since(now, settings)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import ClassVar

from contract.vocabulary import Reason
from controller.field_checks import (
    Range,
    RuleProblem,
    Rules,
    checked,
    positive,
    time_zone,
)
from controller.policy import budget
from controller.policy.budget import BudgetLimits
from controller.policy.thermal import ThermalModel
from controller.said import said


@dataclass(frozen=True)
class DutySettings:
    """The `[duty]` section: the budgets and the head model, with their defaults (budget.py and
    thermal.py say why)."""

    daily_limit: int = checked(Range(1), default=BudgetLimits.daily_limit)
    hourly_limit: int = checked(Range(1), default=BudgetLimits.hourly_limit)
    timezone: str = checked(time_zone, default=BudgetLimits.timezone)
    ambient_c: float = ThermalModel.ambient_c
    heat_per_card_c: float = checked(positive, default=ThermalModel.heat_per_card_c)
    cooling_tau_s: float = checked(positive, default=ThermalModel.cooling_tau_s)
    max_head_c: float = ThermalModel.max_head_c

    def _room_for_a_card(self) -> Iterator[RuleProblem]:
        if self.max_head_c - self.ambient_c <= self.heat_per_card_c:
            least = self.ambient_c + self.heat_per_card_c
            got = self.max_head_c
            yield (
                "max_head_c",
                said(
                    "must be more than ambient_c + heat_per_card_c (%(least)g), got %(got)g",
                    least=least,
                    got=got,
                ),
            )

    RULES: ClassVar[Rules] = (_room_for_a_card,)

    @cached_property
    def thermal(self) -> ThermalModel:
        """The head model; ValueError for one that could never print."""
        return ThermalModel(
            self.ambient_c, self.heat_per_card_c, self.cooling_tau_s, self.max_head_c
        )

    @cached_property
    def budget(self) -> BudgetLimits:
        """The budgets; ValueError for a limit below 1 or an unknown zone."""
        return BudgetLimits(self.daily_limit, self.hourly_limit, self.timezone)


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


def history_since(now: datetime, settings: DutySettings) -> datetime:
    """The oldest card start that can still matter: local midnight, an hour, or 30 τ back."""
    return min(
        budget.day_start(now, settings.budget.zone),
        now - budget.HOUR,
        now - settings.thermal.memory,
    )


def decide(
    card_starts: Sequence[datetime],
    now: datetime,
    settings: DutySettings,
    printer_cooling: bool = False,
) -> DutyDecision:
    """Decide from the card starts that used a blank and the printer's cooling flag."""
    head_temp_c, head_cool_at = settings.thermal.outlook(card_starts, now)
    waits = {
        Reason.DAILY_LIMIT: budget.daily_earliest(card_starts, now, settings.budget),
        Reason.HOURLY_LIMIT: budget.hourly_earliest(card_starts, now, settings.budget),
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
        printed_today=budget.printed_today(card_starts, now, settings.budget.zone),
        reasons=tuple(blocking),
    )
