"""What the virtual printer answers: errors in both error modes, and its own status line.

Every command gets exactly one reply, ASCII, terminated by CR. In error mode 2 (`Pem;2`, the
default) a failure is `ERR <reason>`; in mode 4 (`Pem;4`) it is `NACK;<code>` with the guide's
codes (1 command, 2 parameter, T timeout/mechanical, C cover, F feeder, R ribbon) and a command
with nothing to report answers `ACK` instead of `OK`.
"""

from __future__ import annotations

from dataclasses import dataclass

TERMINATOR = b"\r"


@dataclass(frozen=True)
class Refusal:
    """Why the printer refuses a command: `reason` in mode 2, `nack` in mode 4."""

    reason: str
    nack: str


class Refused(Exception):
    """Raised by a command handler; the printer answers with the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


UNKNOWN_COMMAND = Refusal("CMD", "1")
BAD_PARAMETER = Refusal("PARAM", "2")
OUT_OF_SEQUENCE = Refusal("SEQUENCE", "2")
COVER_OPEN = Refusal("COVER OPEN", "C")
MECHANICAL = Refusal("MECHANICAL", "T")
RIBBON_ERROR = Refusal("RIBBON ERROR", "R")
COOLING = Refusal("COOLING", "T")
FEEDER_EMPTY = Refusal("FEEDER EMPTY", "F")
RIBBON_ENDED = Refusal("RIBBON ENDED", "R")
FILM_ENDED = Refusal("FILM ENDED", "R")
# Answers to `Se` for a card that was fed and spoiled.
JAM = Refusal("JAM", "T")
RIBBON_BROKEN = Refusal("RIBBON BROKEN", "R")


def encode(text: str) -> bytes:
    return text.encode("ascii") + TERMINATOR


def success(mode: int) -> str:
    return "ACK" if mode == 4 else "OK"


def failure(error: Refusal, mode: int) -> str:
    return f"NACK;{error.nack}" if mode == 4 else f"ERR {error.reason}"


@dataclass(frozen=True)
class StatusLine:
    """The reply to the virtual printer's `Xst` command (see docs/printer-protocol.md)."""

    flags: tuple[str, ...]
    cards: tuple[int, int]
    ribbon: tuple[int, int]
    film: tuple[int, int]
    head_c: float
    counter: int
    reject: int

    def text(self) -> str:
        def pair(value: tuple[int, int]) -> str:
            return f"{value[0]}/{value[1]}"

        return (
            f"FLAGS={','.join(self.flags)};CARDS={pair(self.cards)};RIBBON={pair(self.ribbon)};"
            f"FILM={pair(self.film)};HEAD={self.head_c:.1f};COUNTER={self.counter};"
            f"REJECT={self.reject}"
        )
