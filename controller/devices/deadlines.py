"""The Evolis driver's deadlines: one per exchange (`command_timeout_s`), and one per card
(`card_timeout_s` from its start) that every exchange inside the card keeps to, so that a
printer dripping its replies cannot keep a card going past it (docs/printer-protocol.md,
"Deadlines and bounds")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from contract.clock import Clock

from .usb_transport import LinkLost


class Deadlines:
    def __init__(self, clock: Clock, command_timeout_s: float, card_timeout_s: float) -> None:
        self._clock = clock
        self._command_timeout_s, self._card_timeout_s = command_timeout_s, card_timeout_s
        self.card_ends: float | None = None  # monotonic; set while a card is under way

    @contextmanager
    def card(self) -> Iterator[None]:
        """A card is under way inside this block."""
        self.card_ends = self._clock.monotonic() + self._card_timeout_s
        try:
            yield
        finally:
            self.card_ends = None

    def exchange(self) -> float:
        """An exchange's timeout: `command_timeout_s`, or inside a card at most what is left
        of the card's (`LinkLost` once that has passed)."""
        if self.card_ends is None:
            return self._command_timeout_s
        return min(self._command_timeout_s, self.card_left())

    def card_left(self) -> float:
        """What is left of the card's deadline; `LinkLost` once it has passed."""
        left = (self.card_ends or 0.0) - self._clock.monotonic()
        if left <= 0:
            raise LinkLost(f"no result within the card's {self._card_timeout_s} s")
        return left
