"""A CUPS queue's `printer-state-reasons` and markers as the station's faults and consumables.

A reason keyword comes with a suffix, `-error`, `-warning` or `-report` (RFC 8011 5.4.12); the
suffix is dropped to look the keyword up. The standard keywords that stop a card printer are
built in (`STANDARD_FAULTS`); a vendor's (HID's status monitor, Zebra's backend) are mapped in
`[printer.ipp] reasons`. A `-report` is never a fault. Any other `-error` keyword is a
`printer_error`. The queue's `printer-state-message` raises the fault of each
`[printer.ipp] messages` entry whose text it contains (in any case; none built in), as a mapped
keyword would. Each fault is shown to the station's policy as the flag its scheduler knows
(`FAULT_FLAGS`), and every reason also as `ipp:<reason>`, for people.

Markers: `marker-levels` are percentages (negative: unknown); a marker counts the consumable
`[printer.ipp] markers` names for it, else a `ribbon*` marker type or a name with "ribbon" is
the ribbon and a name with "film" is the film. Blanks have no marker: the ledger counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from contract.vocabulary import Consumable, PrinterFault

from .ipp_settings import MarkerConsumable, MessageFault, ReasonFault
from .printer import Level, LevelUnit

STANDARD_FAULTS: dict[str, PrinterFault] = {
    "media-empty": PrinterFault.FEEDER_EMPTY,
    "media-needed": PrinterFault.FEEDER_EMPTY,
    "input-tray-missing": PrinterFault.FEEDER_EMPTY,
    "media-jam": PrinterFault.JAM,
    "door-open": PrinterFault.COVER_OPEN,
    "cover-open": PrinterFault.COVER_OPEN,
    "interlock-open": PrinterFault.COVER_OPEN,
    "marker-supply-empty": PrinterFault.RIBBON_OUT,
    "marker-supply-missing": PrinterFault.RIBBON_OUT,
    "offline": PrinterFault.DISCONNECTED,
    "shutdown": PrinterFault.DISCONNECTED,
    "paused": PrinterFault.PRINTER_ERROR,  # the queue is stopped: a job would wait in it
}
# The flag the station's scheduler and status read for each fault (the Evolis SDK's names).
FAULT_FLAGS: dict[PrinterFault, str] = {
    PrinterFault.COVER_OPEN: "WAR_COVER_OPEN",
    PrinterFault.FEEDER_EMPTY: "WAR_FEEDER_EMPTY",
    PrinterFault.RIBBON_OUT: "WAR_RIBBON_ENDED",
    PrinterFault.FILM_OUT: "WAR_CLEAR_END",
    PrinterFault.COOLING: "WAR_COOLING",
    PrinterFault.HEAD_TEMP: "ERR_HEAD_TEMP",
    PrinterFault.JAM: "ERR_MECHANICAL",
    PrinterFault.DISCONNECTED: "ERR_OFFLINE",
    PrinterFault.PRINTER_ERROR: "ERR_PRINTER",
}
SUFFIXES = ("-error", "-warning", "-report")
MAX_PERCENT = 100


def keyword(reason: str) -> tuple[str, str]:
    """`media-empty-error` → (`media-empty`, `-error`); no suffix: (reason, "")."""
    for suffix in SUFFIXES:
        if reason.endswith(suffix):
            return reason.removesuffix(suffix), suffix
    return reason, ""


class QueueReader:
    """Reads one queue's reasons, state message and markers with the standard table and the
    config's."""

    def __init__(
        self,
        reasons: Iterable[ReasonFault],
        markers: Iterable[MarkerConsumable],
        messages: Iterable[MessageFault] = (),
    ):
        self._faults = STANDARD_FAULTS | {r.keyword: PrinterFault(r.fault) for r in reasons}
        self._markers = {m.name: Consumable(m.consumable) for m in markers}
        self._messages = [(m.text.casefold(), PrinterFault(m.fault)) for m in messages]

    def faults(self, reasons: Iterable[str], message: str = "") -> list[PrinterFault]:
        """The faults the reasons raise, in the order given, then those the message raises."""
        found = []
        for reason in reasons:
            name, suffix = keyword(reason)
            if suffix == "-report" or name == "none":
                continue
            fault = self._faults.get(name)
            if fault is None and suffix == "-error":
                fault = PrinterFault.PRINTER_ERROR
            if fault is not None and fault not in found:
                found.append(fault)
        lowered = message.casefold()
        for text, fault in self._messages:
            if text in lowered and fault not in found:
                found.append(fault)
        return found

    def flags(self, reasons: Sequence[str], message: str = "") -> frozenset[str]:
        """The station's flags for the reasons and the message, and each reason as
        `ipp:<reason>` (the message itself is not a flag)."""
        shown = {f"ipp:{reason}" for reason in reasons if reason != "none"}
        return frozenset(shown | {FAULT_FLAGS[fault] for fault in self.faults(reasons, message)})

    def consumables(self, attributes: Mapping[str, object]) -> dict[Consumable, Level]:
        """The levels of the markers that count a consumable, in percent."""
        names = _strings(attributes.get("marker-names"))
        levels = attributes.get("marker-levels") or []
        types = _strings(attributes.get("marker-types")) or [""] * len(names)
        found: dict[Consumable, Level] = {}
        for name, level, kind in zip(names, _ints(levels), types, strict=False):
            consumable = self._markers.get(name) or _guess(name, kind)
            if consumable is not None and level >= 0:
                found[consumable] = Level(min(level, MAX_PERCENT), MAX_PERCENT, LevelUnit.PERCENT)
        return found


def _guess(name: str, kind: str) -> Consumable | None:
    lowered = name.lower()  # a marker whose name or type names the consumable
    if kind.startswith(Consumable.RIBBON) or Consumable.RIBBON in lowered:
        return Consumable.RIBBON
    if Consumable.FILM in lowered:
        return Consumable.FILM
    return None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, list | tuple) else []


def _ints(value: object) -> list[int]:
    items = value if isinstance(value, list | tuple) else [value]
    return [item if isinstance(item, int) else -1 for item in items]
