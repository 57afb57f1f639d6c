"""The Evolis driver: the station's printer interface over the Evolis command language.

Commands are `ESC name;params CR`; the driver works in error mode 2 (`Pem;2`, sent again after
every reconnect), where a refusal reads `ERR <reason>`. A card is `Pr;<ribbon>`, `Ss`, `Sr`,
one `Db;<panel>;<levels>;<data>` per front panel, `Sv` and the back panels when there are any,
then `Se`, whose answer comes once the card is out. See docs/printer-protocol.md.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import structlog

from controller.contract.vocabulary import Consumable, PrinterFault, SpoilCause
from controller.render.card_panels import CardPanels, PrintPanel

from .printer import (
    Fault,
    Identity,
    Level,
    NotSupported,
    Printed,
    PrinterError,
    PrinterStatus,
    PrinterUnavailable,
    PrintOutcome,
    Spoiled,
    Unknown,
)
from .usb_transport import LinkLost, UsbTransport

log = structlog.get_logger(__name__)

OK_REPLIES = ("OK",)
# `ERR <reason>` before a card is fed: the printer refuses it, no blank is used.
REFUSALS: dict[str, PrinterFault] = {
    "COVER OPEN": PrinterFault.COVER_OPEN,
    "FEEDER EMPTY": PrinterFault.FEEDER_EMPTY,
    "RIBBON ENDED": PrinterFault.RIBBON_OUT,
    "RIBBON ERROR": PrinterFault.RIBBON_OUT,
    "FILM ENDED": PrinterFault.FILM_OUT,
    "COOLING": PrinterFault.COOLING,
    "HEAD TEMP": PrinterFault.HEAD_TEMP,
    "MECHANICAL": PrinterFault.JAM,
}
# `ERR <reason>` answering `Se`: the card was fed and spoiled.
SPOILS: dict[str, SpoilCause] = {"JAM": SpoilCause.JAM, "RIBBON BROKEN": SpoilCause.RIBBON_BREAK}
CONSUMABLE_KEYS: dict[str, Consumable] = {
    "CARDS": Consumable.CARDS,
    "RIBBON": Consumable.RIBBON,
    "FILM": Consumable.FILM,
}


def frame(*fields: str, payload: bytes | None = None) -> bytes:
    """`ESC f1;f2... CR`, with a binary payload after the last `;` for `Db`."""
    body = ";".join(fields).encode("ascii")
    if payload is not None:
        body += b";" + payload
    return b"\x1b" + body + b"\r"


def _error_reason(reply: str) -> str | None:
    return reply[4:].strip() if reply.startswith("ERR") else None


def _unsupported(reply: str) -> bool:
    return reply == "ERR CMD"


@dataclass(frozen=True)
class EvolisSettings:
    command_timeout_s: float = 10.0
    card_timeout_s: float = 120.0
    ribbon_type: str = "ymcko"


class EvolisDriver:
    """`PrinterDriver` for Evolis printers (and the virtual printer); calls are serialised."""

    def __init__(self, transport: UsbTransport, settings: EvolisSettings | None = None) -> None:
        self.transport = transport
        self.settings = settings or EvolisSettings()
        self._lock = threading.RLock()
        self._session = -1
        self._status_extension = True

    @property
    def connected(self) -> bool:
        return self.transport.connected

    def identity(self) -> Identity:
        with self._lock:
            return Identity(
                model=self._value("Rtp"), serial=self._value("Rsn"), firmware=self._value("Rfv")
            )

    def card_counter(self) -> int:
        with self._lock:
            return self._number("Rco", "c")

    def status(self) -> PrinterStatus:
        with self._lock:
            if self._status_extension:
                reply = self._query("Xst")
                if not _unsupported(reply):
                    return _parse_status_line(reply)
                log.info("printer.status_extension_missing")
                self._status_extension = False
            return self._standard_status()

    def print_card(self, panels: CardPanels) -> PrintOutcome:
        with self._lock:
            try:
                before = self._number("Rco", "c")
            except PrinterUnavailable as error:
                return Fault(PrinterFault.DISCONNECTED, str(error))
            except PrinterError as error:
                return Fault(PrinterFault.PRINTER_ERROR, str(error))
            log.info("printer.card_start", counter_before=before)
            try:
                for command in self._job_commands(panels):
                    reply = self.transport.request(command, self.settings.command_timeout_s)
                    if reply not in OK_REPLIES:
                        return self._refused(reply)
                reply = self.transport.request(frame("Se"), self.settings.card_timeout_s)
            except (LinkLost, PrinterUnavailable) as error:
                log.warning("printer.card_unknown", counter_before=before, error=str(error))
                return Unknown(f"link lost during the card: {error}", before)
            return self._card_end(reply, before)

    def reject(self) -> None:
        with self._lock:
            self._expect_ok(self._query("Ser"), "Ser")

    def reload(self, consumable: Consumable, count: int, capacity: int | None = None) -> None:
        with self._lock:
            fields = ["Xrl", consumable, str(count)]
            if capacity is not None:
                fields.append(str(capacity))
            reply = self._query(*fields)
            if _unsupported(reply):
                raise NotSupported("this printer is not told about reloads")
            self._expect_ok(reply, "Xrl")

    def close(self) -> None:
        with self._lock:
            self.transport.close()

    # Card job -------------------------------------------------------------------------------

    def _job_commands(self, panels: CardPanels) -> list[bytes]:
        def download(panel: PrintPanel) -> bytes:
            return frame("Db", panel.name, str(panel.levels), payload=panel.data)

        commands = [frame("Pr", self.settings.ribbon_type), frame("Ss"), frame("Sr")]
        commands += [download(panel) for panel in panels.front]
        if panels.back:
            commands.append(frame("Sv"))
            commands += [download(panel) for panel in panels.back]
        return commands

    def _refused(self, reply: str) -> Fault:
        reason = _error_reason(reply) or reply
        kind = REFUSALS.get(reason, PrinterFault.PRINTER_ERROR)
        log.warning("printer.card_refused", reply=reply, fault=kind)
        return Fault(kind, reply)

    def _card_end(self, reply: str, before: int) -> PrintOutcome:
        reason = _error_reason(reply)
        if reply in OK_REPLIES:
            outcome: PrintOutcome = Printed(self._counter_after(before))
        elif reason in SPOILS:
            if SPOILS[reason] is SpoilCause.JAM:
                self._clear_jam()
            outcome = Spoiled(SPOILS[reason], self._counter_after(before))
        elif reason in REFUSALS:
            outcome = self._refused(reply)
        else:
            outcome = Unknown(f"unexpected answer to Se: {reply!r}", before)
        log.info("printer.card_end", outcome=outcome)
        return outcome

    def _counter_after(self, before: int) -> int:
        """The counter after a fed card; the printer adds one per card if it cannot be read."""
        try:
            after = self._number("Rco", "c")
        except PrinterError as error:
            log.warning("printer.counter_unread", error=str(error), assumed=before + 1)
            return before + 1
        if after != before + 1:
            log.warning("printer.counter_jump", before=before, after=after)
        return after

    def _clear_jam(self) -> None:
        try:
            self._expect_ok(self._query("Ser"), "Ser")
        except PrinterError as error:
            log.warning("printer.jam_not_cleared", error=str(error))

    # Queries --------------------------------------------------------------------------------

    def _query(self, *fields: str) -> str:
        """An idempotent command: after a lost link, reconnect and ask once more."""
        try:
            return self._ask(*fields)
        except LinkLost as error:
            log.info("printer.query_retry", command=fields[0], error=str(error))
        try:
            return self._ask(*fields)
        except LinkLost as error:
            raise PrinterUnavailable(str(error)) from error

    def _ask(self, *fields: str) -> str:
        self._prepare()
        return self.transport.request(frame(*fields), self.settings.command_timeout_s)

    def _prepare(self) -> None:
        """Connect; after every (re)connect put the printer in error mode 2."""
        self.transport.connect()
        if self._session != self.transport.session:
            reply = self.transport.request(frame("Pem", "2"), self.settings.command_timeout_s)
            self._expect_ok(reply, "Pem;2")
            self._session = self.transport.session

    def _value(self, *fields: str) -> str:
        reply = self._query(*fields)
        if reply.startswith("ERR"):
            raise PrinterError(f"{';'.join(fields)} answered {reply!r}")
        return reply

    def _number(self, *fields: str) -> int:
        reply = self._value(*fields)
        try:
            return int(reply)
        except ValueError as error:
            raise PrinterError(f"{';'.join(fields)} answered {reply!r}") from error

    @staticmethod
    def _expect_ok(reply: str, command: str) -> None:
        if reply not in OK_REPLIES:
            raise PrinterError(f"{command} answered {reply!r}")

    def _standard_status(self) -> PrinterStatus:
        """Status from the guide's commands, for printers without `Xst`."""
        position = self._query("Rlr", "p")  # `ERR CARD` is an answer here, not a refusal
        checks = [
            ("WAR_COVER_OPEN", self._value("Rse", "o") == "OPEN"),
            ("WAR_FEEDER_EMPTY", self._value("Sk", "f") == "EMPTY"),
            ("ERR_MECHANICAL", position == "ERR CARD"),
            ("INF_BUSY", position == "CARD"),
        ]
        ribbon = Level(self._number("Rrt", "count"), self._number("Rrt", "qty"))
        if ribbon.remaining == 0:
            checks.append(("WAR_RIBBON_ENDED", True))
        return PrinterStatus(
            flags=frozenset(name for name, active in checks if active),
            consumables={Consumable.RIBBON: ribbon},
            card_counter=self._number("Rco", "c"),
        )


def _parse_status_line(reply: str) -> PrinterStatus:
    """Parse `FLAGS=a,b;CARDS=r/c;RIBBON=r/c;FILM=r/c;HEAD=t;COUNTER=n;REJECT=n`."""
    try:
        fields = dict(item.split("=", 1) for item in reply.split(";"))
        consumables = {}
        for key, name in CONSUMABLE_KEYS.items():
            if key in fields:
                remaining, capacity = fields[key].split("/")
                consumables[name] = Level(int(remaining), int(capacity))
        return PrinterStatus(
            flags=frozenset(flag for flag in fields.get("FLAGS", "").split(",") if flag),
            consumables=consumables,
            card_counter=int(fields["COUNTER"]) if "COUNTER" in fields else None,
            head_temp_c=float(fields["HEAD"]) if "HEAD" in fields else None,
        )
    except ValueError as error:
        raise PrinterError(f"Xst answered {reply!r}") from error
