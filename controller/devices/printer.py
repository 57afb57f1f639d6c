"""The printer driver interface the station uses, and the typed outcome of printing a card.

A driver for another printer family implements `PrinterDriver`. Outcomes of `print_card`:

- `Printed(card_counter)`: a good card came out; `card_counter` is the printer's counter after it.
- `Spoiled(cause, card_counter)`: a blank was used and no good card came out.
- `Fault(kind)`: the printer refused the card; no blank was used. `kind` says what blocks it.
- `Unknown(reason, counter_before)`: the link broke after the job began; whether a blank was
  used can only be decided from the card counter once the printer is back.

Methods other than `print_card` raise `PrinterUnavailable` when the printer cannot be reached
(after the transport's reconnect attempts), `NotSupported` for what a printer cannot do, and
`BadAnswer` (a `PrinterError`) for an answer the driver cannot use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, runtime_checkable

from contract.vocabulary import Consumable, PrinterFault, SpoilCause
from evolis_wire.panels import CardPanels

# Flags of a job the printer has claimed or is printing: no other card may start meanwhile.
JOB_FLAGS = frozenset({"INF_CLAIM", "INF_BUSY", "INF_PRINTING_RUNNING", "INF_CARD_PRINT"})


# The name core/printer_worker.py imports; the type is the vocabulary's `Consumable`.


class PrinterError(Exception):
    """The printer answered something the driver cannot use."""


class PrinterUnavailable(PrinterError):
    """The printer cannot be reached now (unplugged, powered off, not found)."""


class BadAnswer(PrinterError):
    """The printer answered, with something no sane printer says (a number out of its bounds,
    a reply that cannot be read): it is there, but not to be trusted until it answers sanely."""


class NotSupported(PrinterError):
    """This printer cannot do what was asked (e.g. `set_level` on a real printer)."""


@dataclass(frozen=True)
class Printed:
    card_counter: int


@dataclass(frozen=True)
class Spoiled:
    cause: SpoilCause
    card_counter: int


@dataclass(frozen=True)
class Fault:
    kind: PrinterFault
    detail: str = ""


@dataclass(frozen=True)
class Unknown:
    reason: str
    counter_before: int | None = None


PrintOutcome = Printed | Spoiled | Fault | Unknown


@dataclass(frozen=True)
class Identity:
    model: str
    serial: str
    firmware: str


class LevelUnit(Enum):
    """What a level is in: the printer's own count, or a share (a CUPS marker's percent)."""

    COUNT = "count"
    PERCENT = "percent"


@dataclass(frozen=True)
class Level:
    """How much of a consumable is left, and how much a full load holds."""

    remaining: int
    capacity: int
    unit: LevelUnit = LevelUnit.COUNT

    @property
    def counted(self) -> bool:
        """The printer counts it: the ledger may take it as a count."""
        return self.unit is LevelUnit.COUNT


@dataclass(frozen=True)
class PrinterStatus:
    """Flags named like the Evolis SDK's (`WAR_COOLING`, ...) and what the printer knows of its
    consumables; a level is None where the printer cannot tell."""

    flags: frozenset[str] = frozenset()
    consumables: dict[Consumable, Level] = field(default_factory=dict)
    card_counter: int | None = None
    head_temp_c: float | None = None

    @property
    def ready(self) -> bool:
        """No error or warning flag is raised."""
        return not any(flag.startswith(("ERR_", "WAR_")) for flag in self.flags)


@runtime_checkable
class PrinterDriver(Protocol):
    """What the station needs from a card printer."""

    @property
    def connected(self) -> bool:
        """Whether the printer is reachable right now (as far as the driver knows)."""

    def identity(self) -> Identity:
        """Model, serial number and firmware version."""

    def card_counter(self) -> int:
        """Cards the printer has ever fed (it counts spoiled ones too)."""

    def status(self) -> PrinterStatus:
        """Current flags and consumables."""

    def print_card(self, panels: CardPanels) -> PrintOutcome:
        """Print one card; never raises for printer conditions, returns the outcome."""

    def reject(self) -> None:
        """Eject a card left in the printer into the reject box."""

    def set_level(self, consumable: Consumable, count: int, capacity: int | None = None) -> None:
        """Set the printer's own count of `consumable`: a person loaded `count` (and the load's
        `capacity`, if given). NotSupported for a printer that takes no such count."""

    def close(self) -> None:
        """Release the printer."""


@runtime_checkable
class JobPrinter(PrinterDriver, Protocol):
    """A printer reached through a print queue (CUPS): a card is a job the queue numbers, and
    the queue keeps each job's end. The station stores the job's number before the card's
    document is sent, and after a stop asks the queue how that job ended."""

    def create_job(self, panels: CardPanels) -> int:
        """Open the card's job (no document yet); its number on the queue."""

    def send_card(self, printer_job: int, panels: CardPanels) -> PrintOutcome:
        """Send the card as `printer_job`'s document and follow the job to its end."""

    def job_outcome(self, printer_job: int) -> PrintOutcome:
        """Follow `printer_job` to its end: Printed, Spoiled, Fault (no blank used) or
        Unknown (a person decides)."""

    def abandon_unsent(self, printer_job: int) -> bool:
        """After a stop: cancel `printer_job` if its document never arrived (a stop during
        the send), as nothing will send it now; True when so (no card can come of it)."""
