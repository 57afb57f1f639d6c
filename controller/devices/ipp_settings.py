"""`[printer.ipp]`: the CUPS queue a card goes to, what the card asks of it, and how the queue's
vendor keywords, state messages and marker names read as the station's faults and consumables."""

from __future__ import annotations

from dataclasses import dataclass

from contract.vocabulary import Consumable, PrinterFault
from controller.field_checks import OneOf, Range, checked, file_or_empty, not_empty, positive

RIBBON_TYPES = ("ymcko", "ymckok", "ko", "k")
FAULT_KIND = OneOf(tuple(PrinterFault))  # the station's fault kinds, as the maps below name them


@dataclass(frozen=True)
class ReasonFault:
    """A vendor's `printer-state-reasons` keyword (without its -error/-warning/-report suffix)
    and the fault the station calls it."""

    keyword: str = checked(not_empty)
    fault: str = checked(FAULT_KIND)


@dataclass(frozen=True)
class MessageFault:
    """Text found in the queue's `printer-state-message` (anywhere in it, in any case: not a
    pattern) and the fault the station calls it: HID's guides say its status monitor reports the
    printer's state to CUPS as text messages (docs/printers/hdp5000.md)."""

    text: str = checked(not_empty)
    fault: str = checked(FAULT_KIND)


@dataclass(frozen=True)
class MarkerConsumable:
    """A `marker-names` entry and the consumable it counts."""

    name: str = checked(not_empty)
    consumable: str = checked(OneOf(tuple(Consumable)))


@dataclass(frozen=True)
class IppSettings:
    # The CUPS server: a host name (`localhost` on the Pi, the office's print server), or the
    # path of its socket (/run/cups/cups.sock); `port` for a host.
    server: str = "localhost"
    port: int = checked(Range(1, 65535), default=631)
    queue: str = ""  # the CUPS queue (printer name) of the card printer
    encryption: str = checked(OneOf(("if-requested", "required", "never")), default="if-requested")
    user: str = ""  # the CUPS user the jobs are submitted as ("" = the station's own)
    password_file: str = checked(
        file_or_empty, default=""
    )  # a file holding the password, for a server that asks for one
    resolution_dpi: int = checked(Range(150, 1200), default=300)  # the pages' resolution
    ribbon_type: str = checked(OneOf(RIBBON_TYPES), default="ymcko")
    film: bool = True  # a retransfer printer: the card is printed on film, then laminated
    duplex: bool = True  # the back is printed too (a second page)
    # The queue's option names for the ribbon and film (the vendor's PPD names them); "" = not
    # sent. Values sent: `ribbon_type` as written, and film as "true"/"false".
    ribbon_option: str = ""
    film_option: str = ""
    poll_s: float = checked(positive, default=0.25)  # how often a card's job is asked after
    job_timeout_s: float = checked(positive, default=180.0)  # no end by then: outcome unknown
    reasons: tuple[ReasonFault, ...] = ()  # vendor keywords beyond the standard ones
    messages: tuple[MessageFault, ...] = ()  # state-message text read as faults (none built in)
    markers: tuple[MarkerConsumable, ...] = ()  # marker names beyond the built-in guesses
