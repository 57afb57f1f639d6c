"""The station's status in words a clerk reads: its state, and what each condition waits for.
Texts are message ids (English), translated by the page's catalog (`N_` marks them for Babel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contract.vocabulary import (
    Consumable,
    JobState,
    PrinterFault,
    Reason,
    ReviewCause,
    SpoilCause,
    StationState,
)


def N_(text: str) -> str:  # gettext's name for "mark, translate later"
    return text


STATES = {
    StationState.STARTING: N_("Starting"),
    StationState.READY: N_("Ready"),
    StationState.PRINTING: N_("Printing"),
    StationState.COOLING: N_("Cooling"),
    StationState.PAUSED: N_("Paused"),
    StationState.BLOCKED: N_("Stopped: needs you"),
    StationState.ERROR: N_("Printer error"),
    StationState.STOPPING: N_("Stopping"),
    StationState.OFFLINE: N_("Off"),
}
WAITS = {
    Reason.PRINTER_MISSING: N_("printer not connected: check its cable and power"),
    Reason.COVER_OPEN: N_("printer cover open: close it"),
    Reason.CARDS_EMPTY: N_("blanks empty: reload"),
    Reason.RIBBON_EMPTY: N_("ribbon used up: replace it"),
    Reason.FILM_EMPTY: N_("film used up: replace it"),
    Reason.REVIEW_PENDING: N_("a card needs your decision: see Review"),
    Reason.PRINTER_ERROR: N_("printer error: see the printer's screen"),
    Reason.DAILY_LIMIT: N_("today's limit reached: printing resumes tomorrow"),
    Reason.HOURLY_LIMIT: N_("this hour's limit reached, resumes %(time)s"),
    Reason.HEAD_COOLING: N_("print head cooling, resumes %(time)s"),
    Reason.PRINTER_COOLING: N_("printer cooling, resumes %(time)s"),
}
JOB_STATES = {
    JobState.QUEUED: N_("waiting"),
    JobState.PRINTING: N_("on the printer now"),
    JobState.NEEDS_REVIEW: N_("needs your decision"),
}
CONSUMABLES = {
    Consumable.CARDS: N_("Blanks"),
    Consumable.RIBBON: N_("Ribbon"),
    Consumable.FILM: N_("Film"),
}

CAUSES = {  # why a blank was spoiled (the custody list)
    PrinterFault.JAM: N_("card jam"),
    SpoilCause.RIBBON_BREAK: N_("ribbon broke"),
    SpoilCause.RESOLVED_SPOILED: N_("found spoiled at review"),
    "decided by a person": N_("found spoiled at review"),  # lots.DECIDED_BY_A_PERSON
    PrinterFault.COVER_OPEN: N_("cover opened during the card"),
    PrinterFault.FEEDER_EMPTY: N_("feeder empty"),
    PrinterFault.RIBBON_OUT: N_("ribbon used up"),
    PrinterFault.FILM_OUT: N_("film used up"),
    PrinterFault.COOLING: N_("printer cooling"),
    PrinterFault.HEAD_TEMP: N_("print head too hot"),
    PrinterFault.DISCONNECTED: N_("printer disconnected"),
    PrinterFault.PRINTER_ERROR: N_("printer error"),
    ReviewCause.INTERRUPTED: N_("station stopped during the card"),
    ReviewCause.UNKNOWN: N_("cause unknown"),
}
# The report's columns, in the order of controller/queue/lots.py's LotBooks (a test checks):
# consumable, lot, received, printed, spoiled, destroyed, in_custody, adjusted, in_stock.
BOOK_COLUMNS = (
    N_("Consumable"),
    N_("Lot"),
    N_("Received"),
    N_("Printed"),
    N_("Spoiled"),
    N_("Destroyed"),
    N_("In custody"),
    N_("Adjusted"),
    N_("In stock"),
)


@dataclass(frozen=True)
class Words:
    """A message id and its values (`%(time)s`)."""

    text: str
    values: dict[str, str] = field(default_factory=dict)


def local_time(stamp: str | None, zone: ZoneInfo, form: str = "%H:%M %Z") -> str:
    """An RFC 3339 time as the station's wall time (14:32 WIB)."""
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone(zone).strftime(form)


def waits(status: dict[str, Any], zone: ZoneInfo) -> list[Words]:
    """What the station waits for, most pressing first."""
    resume = local_time((status.get("duty") or {}).get("next_print_at"), zone)
    return [
        Words(WAITS[Reason(reason)], {"time": resume} if "%(time)s" in WAITS[reason] else {})
        for reason in status.get("reasons") or ()
        if reason in WAITS
    ]


def state(status: dict[str, Any]) -> str:
    return STATES.get(StationState(status["state"]), N_("Unknown"))
