"""Consumables: the low/empty alert rules and the "can this card finish" check.

Each card uses one of each `Consumable` its printer takes: one blank, one ribbon panel set, and
on a retransfer printer one film print (controller/devices/models.py). The
ledger itself (loaded = printed + spoiled + remaining, invariant 4) lives in the store; these
rules only look at counts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from contract.vocabulary import EMPTY_REASONS, Consumable, Reason
from controller.field_checks import Range, checked


@dataclass(frozen=True)
class ConsumablesSettings:
    """The `[consumables]` section: the blanks kept for urgent jobs, and the low alerts' levels."""

    reserve_cards: int = checked(Range(0), default=20)
    low_cards: int = checked(Range(0), default=25)
    low_ribbon: int = checked(Range(0), default=25)
    low_film: int = checked(Range(0), default=50)

    @property
    def low_thresholds(self) -> dict[str, int]:
        """`consumable.low` fires at or below these counts."""
        return {
            Consumable.CARDS: self.low_cards,
            Consumable.RIBBON: self.low_ribbon,
            Consumable.FILM: self.low_film,
        }


LOW_HYSTERESIS = 5
"""A low alert re-arms only above threshold + this, so a recount that wobbles by a few units
around the threshold does not repeat `consumable.low`."""


def low_alert(
    remaining: int, threshold: int, already_low: bool, hysteresis: int = LOW_HYSTERESIS
) -> tuple[bool, bool]:
    """Return (emit `consumable.low` now, is low now).

    The alert fires once when `remaining` is at or below `threshold` and the consumable was not
    already low; it stays low (silent) until `remaining` rises above threshold + hysteresis,
    which in practice means a reload.
    """
    if already_low:
        return False, remaining <= threshold + hysteresis
    is_low = remaining <= threshold
    return is_low, is_low


def empty_alert(previous_remaining: int, remaining: int) -> bool:
    """Emit `consumable.empty` when the count reaches zero from above (once per emptying)."""
    return remaining <= 0 < previous_remaining


def empty_reasons(
    remaining: Mapping[str, int], used: Collection[str] = tuple(Consumable)
) -> list[Reason]:
    """Blocking reason codes (`cards_empty`, ...) for every consumable a card `used` below one
    card's worth.

    A used consumable missing from `remaining` counts as empty: unknown is not enough to start.
    """
    return [EMPTY_REASONS[c] for c in Consumable if c in used and remaining.get(c, 0) < 1]


def can_finish_card(
    remaining: Mapping[str, int], used: Collection[str] = tuple(Consumable)
) -> bool:
    """True when every consumable a card uses has at least one card's worth left."""
    return not empty_reasons(remaining, used)
