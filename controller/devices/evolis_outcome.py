"""A card's outcome from the printer's evidence at the card's end: its status flags, whether
the driver released the claim, and the card counter before and after (docs/printer-protocol.md,
the outcome table). Pure: the driver reads the evidence and acts on the outcome."""

from __future__ import annotations

from contract.vocabulary import PrinterFault, SpoilCause

from .printer import JOB_FLAGS, Fault, Printed, PrintOutcome, Spoiled, Unknown

# Flags that stop the printer taking a card, and what the driver calls each.
BLOCKING: dict[str, PrinterFault] = {
    "WAR_COVER_OPEN": PrinterFault.COVER_OPEN,
    "ERR_COVER_OPEN": PrinterFault.COVER_OPEN,
    "WAR_FEEDER_EMPTY": PrinterFault.FEEDER_EMPTY,
    "ERR_FEEDER_ERROR": PrinterFault.FEEDER_EMPTY,
    "WAR_RIBBON_ENDED": PrinterFault.RIBBON_OUT,
    "WAR_NO_RIBBON": PrinterFault.RIBBON_OUT,
    "ERR_RIBBON_ENDED": PrinterFault.RIBBON_OUT,
    "ERR_RIBBON_ERROR": PrinterFault.RIBBON_OUT,
    "WAR_CLEAR_END": PrinterFault.FILM_OUT,
    "WAR_COOLING": PrinterFault.COOLING,
    "ERR_HEAD_TEMP": PrinterFault.HEAD_TEMP,
    "ERR_MECHANICAL": PrinterFault.JAM,
}
# Errors raised on a card that was fed and spoiled (with the counter moved), before or after
# the claim's release.
SPOILING: dict[str, SpoilCause] = {
    "ERR_MECHANICAL": SpoilCause.JAM,
    "ERR_RIBBON_ERROR": SpoilCause.RIBBON_BREAK,
    "ERR_RIBBON_ENDED": SpoilCause.RIBBON_OUT,
    "ERR_COVER_OPEN": SpoilCause.COVER_OPEN,
}


def card_ended(flags: frozenset[str], released: bool) -> bool:
    """Whether the flags show the card's end: an error of a card, or no job claimed or in
    progress once the claim was released or a flag stops the printer."""
    if any(flag in SPOILING for flag in flags):
        return True
    if flags & JOB_FLAGS:
        return False
    return released or any(flag in BLOCKING for flag in flags)


def outcome(flags: frozenset[str], before: int, after: int, released: bool) -> PrintOutcome:
    """The outcome of a card that ended (`card_ended`). A `Fault` is a job the printer did not
    start: the driver abandons it before it is settled as refused."""
    spoil = next((SPOILING[flag] for flag in SPOILING if flag in flags), None)
    if after > before and spoil is not None:
        return Spoiled(spoil, after)
    if released and spoil is None:
        return Printed(after)
    blocked = next((BLOCKING[flag] for flag in BLOCKING if flag in flags), None)
    if after == before and blocked is not None and not released:
        return Fault(blocked, ",".join(sorted(flag for flag in flags if flag in BLOCKING)))
    return Unknown(f"counter {before} -> {after} with flags {sorted(flags)}", before)
