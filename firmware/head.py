"""The virtual print head's temperature: it heats per card and cools toward ambient.

First-order model: each card adds `heat_per_card_c`; between cards the head relaxes toward
`ambient_c` with time constant `tau_s`. At `hot_c` the printer starts cooling (it takes no card)
until the head is back at `resume_c`. The head starts cold when the printer powers up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class HeadModel:
    ambient_c: float = 25.0
    heat_per_card_c: float = 4.0
    tau_s: float = 300.0
    hot_c: float = 80.0
    resume_c: float = 60.0

    def __post_init__(self) -> None:
        if self.tau_s <= 0:
            raise ValueError("head tau_s must be positive")
        if not self.ambient_c <= self.resume_c <= self.hot_c:
            raise ValueError("head temperatures must satisfy ambient <= resume <= hot")


class Head:
    """The head's temperature over (monotonic) time, with the cooling latch."""

    def __init__(self, model: HeadModel, now: float) -> None:
        self.model = model
        self._temp_c = model.ambient_c
        self._at = now
        self._cooling = False

    def temperature(self, now: float) -> float:
        """The head temperature at monotonic time `now`."""
        elapsed = max(0.0, now - self._at)
        ambient = self.model.ambient_c
        return ambient + (self._temp_c - ambient) * math.exp(-elapsed / self.model.tau_s)

    def cooling(self, now: float) -> bool:
        """True while the head is too hot to take a card."""
        temp = self.temperature(now)
        if temp >= self.model.hot_c:
            self._cooling = True
        elif temp <= self.model.resume_c:
            self._cooling = False
        return self._cooling

    def heat(self, now: float) -> None:
        """One card's worth of heat, added at `now`."""
        self._temp_c = self.temperature(now) + self.model.heat_per_card_c
        self._at = now
