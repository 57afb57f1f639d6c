"""First-order thermal model of the print head (docs/design.md, "Heat: the duty cycle").

Each card start adds `heat_per_card_c` at once (conservative: the whole card's heat counts from
its first instant); between cards the head cools toward `ambient_c`:
T(t) = ambient + (T0 - ambient)·exp(-Δt/τ). A card may start only if the temperature just
after its start stays at or below `max_head_c`.

Default parameters, with D = max_head_c - ambient_c = 60 °C of headroom:
- `heat_per_card_c` = 6.0 = D/10: from a cold head at most 10 cards fit back to back (12 when
  the printer needs 20 s per card), so a burst cannot go on for long.
- `cooling_tau_s` = 480: at steady state a card may start when the head has cooled from
  ambient + D to ambient + D - h, i.e. every τ·ln(D/(D-h)) = 480·ln(10/9) ≈ 50.6 s, about
  71 cards an hour: sustained printing of one card per ~50 s.
With the default `daily_limit` of 50 the model alone would let a day's budget go in under an
hour; `hourly_limit` (budget.py) spreads it.

Clock jumps: a recorded start later than the time asked about (the wall clock went back) is
treated as if it had just happened, so its heat has not decayed at all: a backward jump never
allows a burst. A forward jump makes the model optimistic; the printer's own cooling flag
(duty.py) is the backstop for that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MEMORY_TAUS = 30.0
"""History older than this many τ weighs at most (max − ambient)·e⁻³⁰, under 10⁻¹¹ °C for any
sane headroom, so a caller may leave it out (4 hours of history with the defaults)."""


@dataclass(frozen=True)
class ThermalModel:
    """Parameters of the head model; raises ValueError for a model that could never print."""

    ambient_c: float = 25.0
    heat_per_card_c: float = 6.0
    cooling_tau_s: float = 480.0
    max_head_c: float = 85.0

    def __post_init__(self) -> None:
        values = (self.ambient_c, self.heat_per_card_c, self.cooling_tau_s, self.max_head_c)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("thermal model parameters must be finite numbers")
        if self.cooling_tau_s <= 0:
            raise ValueError("cooling_tau_s must be greater than 0")
        if self.heat_per_card_c <= 0:
            raise ValueError("heat_per_card_c must be greater than 0")
        headroom = self.max_head_c - self.ambient_c
        if self.heat_per_card_c >= headroom:
            raise ValueError(
                f"heat_per_card_c ({self.heat_per_card_c}) must be less than max_head_c - "
                f"ambient_c ({headroom}): otherwise no card could ever start"
            )

    @property
    def memory(self) -> timedelta:
        """How far back a caller must look in the print history (30 τ)."""
        return timedelta(seconds=MEMORY_TAUS * self.cooling_tau_s)

    def head_temp(self, card_starts: Sequence[datetime], at: datetime) -> float:
        """Predicted head temperature at `at`, replaying the card starts."""
        return self.ambient_c + self._excess(card_starts, at)

    def earliest_start(self, card_starts: Sequence[datetime], now: datetime) -> datetime:
        """The first instant ≥ `now` at which one more card keeps the head ≤ `max_head_c`."""
        return self.outlook(card_starts, now)[1]

    def outlook(self, card_starts: Sequence[datetime], now: datetime) -> tuple[float, datetime]:
        """(`head_temp` at `now`, `earliest_start` from `now`) from a single replay.

        The earliest start is the first instant ≥ `now` at which one more card keeps the head
        ≤ `max_head_c`.

        Solved in closed form. Starts after `now` (a clock that went back) split the future into
        segments: within one, c of them still count in full and the rest decays, so
        E·exp(-(t - b)/τ) + (c + 1)·h ≤ D is solved for t; a segment with no solution passes
        on to the next. The answer is rounded up to a whole microsecond (never early).
        """
        _require_aware(now)
        h = self.heat_per_card_c
        headroom = self.max_head_c - self.ambient_c
        future = sorted(s for s in card_starts if s > now)
        begin = now
        excess = self._excess([s for s in card_starts if s <= now], now)
        temp = self.ambient_c + excess + len(future) * h
        for index, end in enumerate(future):
            room = headroom - (len(future) - index + 1) * h
            if room > 0 or excess <= room:
                start = self._cooled_by(begin, excess, room)
                if start <= end:
                    return temp, start
            excess = excess * math.exp(-(end - begin).total_seconds() / self.cooling_tau_s) + h
            begin = end
        return temp, self._cooled_by(begin, excess, headroom - h)

    def _cooled_by(self, begin: datetime, excess: float, room: float) -> datetime:
        """First t ≥ begin with excess·exp(-(t - begin)/τ) ≤ room (room > 0 or excess ≤ room)."""
        if excess <= room:
            return begin
        wait_us = math.ceil(self.cooling_tau_s * math.log(excess / room) * 1e6)
        return begin + timedelta(microseconds=wait_us)

    def _excess(self, card_starts: Sequence[datetime], at: datetime) -> float:
        """Degrees above ambient at `at`; starts later than `at` count in full."""
        _require_aware(at)
        tau = self.cooling_tau_s
        return self.heat_per_card_c * math.fsum(
            math.exp(-max(0.0, (at - s).total_seconds()) / tau) for s in card_starts
        )


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
