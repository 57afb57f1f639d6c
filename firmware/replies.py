"""What the virtual printer answers: reply texts in each error mode, and its own level line.

A command outside a card job gets one reply (framed by `evolis_wire/frames.py`: text,
NUL, and the status block while status is on). A failure reads `ERROR <reason>` (a form
Evolis' library tests for) in error modes 0 to 2; in mode 4 (`Pem;4`, ACK/NACK) it is
`NACK;<code>` with the programming guide's codes (1 command, 2 parameter, T
timeout/mechanical, C cover, F feeder, R ribbon) and a command with nothing to report
answers `ACK` instead of `OK`. The commands of a card job get no
reply of their own: the job's progress and result show in the status flags.
"""

from __future__ import annotations

from dataclasses import dataclass

ACK_NACK_MODE = 4
ERROR_MODES = (0, 1, 2, ACK_NACK_MODE)


@dataclass(frozen=True)
class Refusal:
    """Why the printer refuses a command: `reason` in modes 0-2, `nack` in mode 4."""

    reason: str
    nack: str


class Refused(Exception):
    """Raised by a command handler; the printer answers with the refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


UNKNOWN_COMMAND = Refusal("CMD", "1")
BAD_PARAMETER = Refusal("PARAM", "2")
MECHANICAL = Refusal("MECHANICAL", "T")


def success(mode: int) -> str:
    return "ACK" if mode == ACK_NACK_MODE else "OK"


def failure(error: Refusal, mode: int) -> str:
    return f"NACK;{error.nack}" if mode == ACK_NACK_MODE else f"ERROR {error.reason}"


@dataclass(frozen=True)
class LevelLine:
    """The reply to the virtual printer's own `Xst` command: what no real printer reports
    (cards and film left, head temperature, reject box); no film on a model without one; see
    docs/printer-protocol.md."""

    cards: tuple[int, int]
    ribbon: tuple[int, int]
    film: tuple[int, int] | None
    head_c: float
    reject: int

    def text(self) -> str:
        def pair(value: tuple[int, int]) -> str:
            return f"{value[0]}/{value[1]}"

        film = "" if self.film is None else f"FILM={pair(self.film)};"
        return (
            f"CARDS={pair(self.cards)};RIBBON={pair(self.ribbon)};{film}"
            f"HEAD={self.head_c:.1f};REJECT={self.reject}"
        )
