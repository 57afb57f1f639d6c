"""The status `state` and its reasons, and the one gate before every card.

Precedence, first match wins:
    printing > paused > blocked > error > cooling > ready
- `printing`: a card is in the printer; it finishes whatever else is true (pause included).
- `paused`: a person said so; that outranks what the station would otherwise wait for.
- `blocked`: needs a person or a part: `printer_missing`, `cover_open`, `cards_empty`,
  `ribbon_empty`, `film_empty`, `review_pending` (a card of unknown outcome may lie in a tray:
  nothing more is printed until a person has looked).
- `error`: the printer reports a fault (`printer_error`), or shows a job claimed or in progress
  that the station has no card for (`printer_job`): no card starts until it settles.
- `cooling`: only the duty cycle holds printing back (`daily_limit`, `hourly_limit`,
  `head_cooling`, `printer_cooling`), whether or not a job is waiting: `ready` promises that a
  job arriving now would start at once.
`reasons` lists every code in force in that order, whatever the state, so a paused station
still shows that it is out of film. A missing printer's cover and error flags are stale and
not reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from contract.vocabulary import Consumable, Reason, StationState
from controller.policy.consumables import empty_reasons
from controller.policy.duty import DutyDecision


@dataclass(frozen=True)
class StationInputs:
    """The facts the state is derived from; `remaining` maps consumable name to count."""

    paused: bool
    printing: bool
    printer_connected: bool
    cover_open: bool
    printer_error: bool
    remaining: Mapping[str, int]
    needs_review: int
    duty: DutyDecision
    printer_job: bool = False  # the printer shows a job claimed or in progress
    used: frozenset[str] = frozenset(Consumable)  # the consumables a card uses on this printer


@dataclass(frozen=True)
class StateAndReasons:
    """The status's `state`, its `reasons` and its `next_print_at`, as derived."""

    state: StationState
    reasons: tuple[Reason, ...]
    next_print_at: datetime | None


def blocking_reasons(inputs: StationInputs) -> list[Reason]:
    """The codes that need a person or a part."""
    reasons = [Reason.PRINTER_MISSING] if not inputs.printer_connected else []
    if inputs.printer_connected and inputs.cover_open:
        reasons.append(Reason.COVER_OPEN)
    reasons += empty_reasons(inputs.remaining, inputs.used)
    if inputs.needs_review > 0:
        reasons.append(Reason.REVIEW_PENDING)
    return reasons


def derive_state(inputs: StationInputs) -> StateAndReasons:
    """The contract's `state`, every reason code in force, and the duty's `next_print_at`."""
    blocking = blocking_reasons(inputs)
    errors = [Reason.PRINTER_ERROR] if inputs.printer_connected and inputs.printer_error else []
    if inputs.printer_connected and inputs.printer_job and not inputs.printing:
        errors.append(Reason.PRINTER_JOB)
    cooling = list(inputs.duty.reasons)
    if inputs.printing:
        state = StationState.PRINTING
    elif inputs.paused:
        state = StationState.PAUSED
    elif blocking:
        state = StationState.BLOCKED
    elif errors:
        state = StationState.ERROR
    elif cooling:
        state = StationState.COOLING
    else:
        state = StationState.READY
    return StateAndReasons(state, tuple(blocking + errors + cooling), inputs.duty.next_print_at)


def may_start_card(inputs: StationInputs) -> tuple[bool, StationState | Reason | None]:
    """Whether a new card may start now; if not, the first reason.

    Never start a card that cannot finish: every consumable ≥ 1, the duty cycle allows, not
    paused, no card printing, no review pending, cover closed, printer present and without error,
    and no job of the printer's own unsettled.
    """
    derived = derive_state(inputs)
    if derived.state is StationState.READY:
        return True, None
    if derived.state in (StationState.PRINTING, StationState.PAUSED):
        return False, derived.state
    return False, derived.reasons[0]
