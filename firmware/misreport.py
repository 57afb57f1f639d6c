"""How the virtual printer misbehaves on purpose, for tests: it answers numbers no sane printer
says, drips its replies a byte at a time, or takes what it is sent a byte at a time. Set on a
running printer (`VirtualPrinter.misreport`) and set back to make it sane again; the default is
sane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Misreport:
    card_counter: int | None = None  # `Rco;c` answers this instead of the counter
    ribbon_count: int | None = None  # `Rrt;all` answers this `count` instead of the ribbon's
    drip_s: float = 0.0  # each byte of a reply comes this long after the one before
    slow_take_s: float = 0.0  # on USB, each write takes one byte, this long after the one before

    def drip(
        self, reply: bytes, send: Callable[[bytes], None], sleep: Callable[[float], None]
    ) -> None:
        """Send `reply` whole, or (dripping) one byte at a time with `drip_s` between them."""
        if self.drip_s <= 0:
            send(reply)
            return
        for index in range(len(reply)):
            if index:
                sleep(self.drip_s)
            send(reply[index : index + 1])
