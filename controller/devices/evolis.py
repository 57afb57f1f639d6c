"""The Evolis driver: the station's printer interface over the Evolis command language.

Every command is answered by one frame (`evolis_wire.frames`): its text and the printer's status
block.
After every (re)connect the driver turns the status on (`Pps;1`) and puts the printer in error
mode 2 (`Pem;2`). A card is streamed (`evolis_job`): the whole card in one write, with no reply
awaited for any of its commands; the driver then follows it through the status flags (polling
with `Rpst`) and the card counter (`Rco;c`):

- `INF_CLAIM` raised: the printer holds the fed card's job; the driver sends the release and
  follows the card to its end: the claim and the running flags clear, or an error is raised.
- an error of a card (`SPOILING`: jam, broken ribbon, ribbon ended, cover opened) with the
  counter moved, before or after the release: the blank was fed and spoiled: `Spoiled` (the
  driver clears the error with `Scs`). A card is `Printed(counter)` only when it ended with the
  claim released, the running flags clear and no such error.
- the counter did not move and a flag that stops the printer is raised: the printer could not
  start the job, and may keep it to print once the fault clears. The driver abandons it (`Srs`)
  and reads the counter again: unchanged, `Fault(kind)`; moved, `Unknown` (the counter decides).
- the link lost, or no result by `card_timeout_s`: `Unknown(counter_before)`.

Deadlines: each exchange has one, `command_timeout_s` for the whole of it (the transports
hold it over every read and write), and a card has one, `card_timeout_s` from its start: every
exchange inside the card gets at most what is left of it, so a printer that drips its replies
cannot keep a card going past it. Bounds: a number the printer answers is read by
`evolis_wire.frames.read_count` within its bound; one out of bounds, or a reply that cannot be
read, is `BadAnswer`.

`Xst` and `Xrl` are the virtual printer's own commands (its consumable levels, and a person's
reload); the driver sends them only with `virtual_extensions` on, never to a real printer,
which is told nothing of reloads (the station's ledger is the truth). See
docs/printer-protocol.md.
"""

from __future__ import annotations

import threading
from typing import Protocol

import structlog

from contract.clock import Clock
from contract.vocabulary import Consumable, PrinterFault
from evolis_wire.frames import (
    MAX_CARD_COUNTER,
    MAX_CONSUMABLE_COUNT,
    Frame,
    FrameError,
    StatusBlock,
    is_error,
    read_count,
)
from evolis_wire.panels import CardPanels

from .deadlines import Deadlines
from .evolis_job import COLOUR_RIBBONS, card_job, release, request
from .evolis_outcome import card_ended, outcome
from .evolis_settings import EvolisSettings
from .printer import (
    BadAnswer,
    Fault,
    Identity,
    Level,
    NotSupported,
    PrinterError,
    PrinterStatus,
    PrinterUnavailable,
    PrintOutcome,
    Spoiled,
    Unknown,
)
from .usb_transport import LinkLost

log = structlog.get_logger(__name__)

SETUP = (("Pps", "1"), ("Pem", "2"))  # status block on, error mode 2: after every connect
SERIAL_PROBE = ("Rsn",)  # after SETUP: an answer that is never `OK` shows the replies in step
HEAD_TEMP_RANGE_C = (-40.0, 400.0)  # what a head's thermistor can say
YMCKO, UNKNOWN_RIBBON = 0, -1  # libevolis' ribbon type codes
CONSUMABLE_KEYS: dict[str, Consumable] = {
    "CARDS": Consumable.CARDS,
    "RIBBON": Consumable.RIBBON,
    "FILM": Consumable.FILM,
}


class Transport(Protocol):
    """A link to the printer: USB (`usb_transport`) or the network (`net_transport`)."""

    session: int

    @property
    def connected(self) -> bool: ...

    @property
    def clock(self) -> Clock: ...

    def connect(self) -> None: ...

    def request(self, command: bytes, timeout_s: float) -> Frame: ...

    def stream(self, data: bytes, timeout_s: float) -> Frame | None: ...

    def resync(self, reason: str) -> None: ...

    def close(self) -> None: ...


class EvolisDriver:
    """`PrinterDriver` for Evolis printers (and the virtual printer); calls are serialised."""

    def __init__(self, transport: Transport, settings: EvolisSettings | None = None) -> None:
        self.transport = transport
        self.settings = settings or EvolisSettings()
        self._lock = threading.RLock()
        self._session = -1
        timeouts = (self.settings.command_timeout_s, self.settings.card_timeout_s)
        self._deadlines = Deadlines(transport.clock, *timeouts)

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
            flags = frozenset(f for f in self._status().flags if not f.startswith("CFG_"))
            counter = self._number("Rco", "c")
            if self.settings.virtual_extensions:
                return _parse_level_line(self._value("Xst"), flags, counter)
            return PrinterStatus(
                flags=flags, consumables=self._ribbon_level(), card_counter=counter
            )

    def print_card(self, panels: CardPanels) -> PrintOutcome:
        with self._lock, self._deadlines.card():
            return self._card(panels)

    def _card(self, panels: CardPanels) -> PrintOutcome:
        """One card, by the card's deadline."""
        try:
            before = self._number("Rco", "c")
            ribbon = _ribbon_type(self._query("Rrt", "all"))
        except PrinterUnavailable as error:
            return Fault(PrinterFault.DISCONNECTED, str(error))
        except PrinterError as error:
            return Fault(PrinterFault.PRINTER_ERROR, str(error))
        if ribbon not in COLOUR_RIBBONS:
            return Fault(PrinterFault.RIBBON_OUT, f"ribbon type {ribbon} prints no colour card")
        log.info("printer.card_start", counter_before=before)
        epoch = int(self.transport.clock.now().timestamp())
        job = card_job(panels, ribbon, epoch)
        try:
            self.transport.stream(job, self._deadlines.card_left())
            outcome = self._follow(before)
        except (LinkLost, PrinterUnavailable) as error:
            log.warning("printer.card_unknown", counter_before=before, error=str(error))
            return Unknown(f"link lost during the card: {error}", before)
        log.info("printer.card_end", outcome=outcome)
        return outcome

    def reject(self) -> None:
        with self._lock:
            _expect_ok(self._query("Ser"), "Ser")

    def set_level(self, consumable: Consumable, count: int, capacity: int | None = None) -> None:
        with self._lock:
            if not self.settings.virtual_extensions:
                raise NotSupported("an Evolis printer is not told about reloads")
            fields = ["Xrl", consumable, str(count)]
            if capacity is not None:
                fields.append(str(capacity))
            _expect_ok(self._query(*fields), "Xrl")

    def close(self) -> None:
        with self._lock:
            self.transport.close()

    # Following a card -----------------------------------------------------------------------

    def _follow(self, before: int) -> PrintOutcome:
        """Poll the status until the card's result shows, or the card timeout passes."""
        clock = self.transport.clock
        deadline = self._deadlines.card_ends or clock.monotonic() + self.settings.card_timeout_s
        released = False
        while True:
            flags = self._poll()
            if "INF_CLAIM" in flags and not released:
                self.transport.stream(release(), self._deadlines.exchange())
                released = True
                continue
            if card_ended(flags, released):
                return self._ended(flags, before, released)
            if clock.monotonic() >= deadline:
                return Unknown(f"no result within {self.settings.card_timeout_s} s", before)
            clock.sleep(self.settings.status_poll_s)

    def _ended(self, flags: frozenset[str], before: int, released: bool) -> PrintOutcome:
        """The outcome of a card the printer's evidence shows ended (`evolis_outcome`)."""
        after = self._counter_after(before) if released else self._number("Rco", "c")
        result = outcome(flags, before, after, released)
        if isinstance(result, Spoiled):
            self._clear_errors()
        return self._abandon(before, result) if isinstance(result, Fault) else result

    def _abandon(self, before: int, refused: Fault) -> PrintOutcome:
        """A job the printer did not start (it may keep it): `Srs`, refused if the count held."""
        log.warning("printer.card_refused", fault=refused.kind, flags=refused.detail)
        try:
            _expect_ok(self._query("Srs"), "Srs")
            self._session = -1  # a reset may drop the status block and error mode: set up again
            after = self._number("Rco", "c")
        except PrinterError as error:
            return Unknown(f"the refused job was not abandoned: {error}", before)
        if after != before:
            return Unknown(f"counter {before} -> {after} as the refused job was abandoned", before)
        return refused

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

    def _clear_errors(self) -> None:
        """`Scs` after a spoiled card: a jammed card goes to the reject box."""
        try:
            _expect_ok(self._query("Scs"), "Scs")
        except PrinterError as error:
            log.warning("printer.error_not_cleared", error=str(error))

    # Queries --------------------------------------------------------------------------------

    def _poll(self) -> frozenset[str]:
        """The flags now, inside a card: a lost link is not retried (`LinkLost`)."""
        return _block(self._ask("Rpst")).flags

    def _status(self) -> StatusBlock:
        return _block(self._query("Rpst"))

    def _query(self, *fields: str) -> Frame:
        """An idempotent command: after a lost link, reconnect and ask once more."""
        try:
            return self._ask(*fields)
        except LinkLost as error:
            log.info("printer.query_retry", command=fields[0], error=str(error))
        try:
            return self._ask(*fields)
        except LinkLost as error:
            raise PrinterUnavailable(str(error)) from error

    def _ask(self, *fields: str) -> Frame:
        self._prepare()
        return self.transport.request(request(*fields), self._deadlines.exchange())

    def _prepare(self) -> None:
        """Connect; after every (re)connect turn the status on and set error mode 2.

        Both answer `OK`, and the serial number asked after them answers something else. Any
        other pattern means a late reply to a command from before the reconnect (the printer
        answered after the driver gave up on it, and after the reset and the drain): the replies
        are out of step, and every later answer would be the one before. A late `OK` shifts the
        serial's place to the last `OK`, so it is caught too. The link is then reset once more
        and the printer set up again."""
        self.transport.connect()
        if self._session == self.transport.session:
            return
        if not self._set_up():
            self.transport.resync("the setup's answers are out of step")
            self.transport.connect()
            if not self._set_up():
                raise PrinterError("the printer's setup answers are out of step")
        self._session = self.transport.session

    def _set_up(self) -> bool:
        """Send the setup and the serial's query; whether the answers are in step."""
        timeout = self._deadlines.exchange
        answers = [self.transport.request(request(*fields), timeout()).text for fields in SETUP]
        answers.append(self.transport.request(request(*SERIAL_PROBE), timeout()).text)
        in_step = answers[:-1] == ["OK"] * len(SETUP) and answers[-1] != "OK"
        in_step = in_step and not is_error(answers[-1])
        if not in_step:
            log.warning("printer.out_of_step", answers=answers)
        return in_step

    def _value(self, *fields: str) -> str:
        reply = self._query(*fields)
        if is_error(reply.text):
            raise PrinterError(f"{';'.join(fields)} answered {reply.text!r}")
        return reply.text

    def _number(self, *fields: str) -> int:
        """A count (only `Rco;c` is asked), within the counter's bound; else `BadAnswer`."""
        try:
            return read_count(self._value(*fields), MAX_CARD_COUNTER, ";".join(fields))
        except FrameError as error:
            raise BadAnswer(str(error)) from error

    def _ribbon_level(self) -> dict[Consumable, Level]:
        """The ribbon's capacity and what is left of it (`_ribbon_info`)."""
        return _ribbon_info(self._query("Rrt", "all").text)


def _expect_ok(reply: Frame, command: str) -> None:
    if reply.text != "OK":
        raise PrinterError(f"{command} answered {reply.text!r}")


def _ribbon_type(reply: Frame) -> int:
    """The loaded ribbon's type code in `Rrt;all`'s answer; YMCKO where the printer does not
    say."""
    text = "" if is_error(reply.text) else reply.text
    code = _ribbon_fields(text).get("type", str(YMCKO))
    return int(code) if code.isdigit() and len(code) <= 6 else UNKNOWN_RIBBON


def _ribbon_fields(text: str) -> dict[str, str]:
    """`Rrt;all`'s `key: value` lines."""
    return dict(line.partition(": ")[::2] for line in text.splitlines())


def _block(reply: Frame) -> StatusBlock:
    """The status of a reply: its block, or an `Rpst` answer's 64 hex digits."""
    if reply.status is not None:
        return reply.status
    try:
        return StatusBlock.from_hex(reply.text)
    except FrameError as error:
        raise BadAnswer(str(error)) from error


def _ribbon_info(text: str) -> dict[Consumable, Level]:
    """The ribbon's level from `Rrt;all`'s `key: value` lines: none without them, `BadAnswer`
    for a count out of its bound."""
    if is_error(text):
        return {}
    fields = _ribbon_fields(text)
    if "count" not in fields or "qty" not in fields:
        log.info("printer.ribbon_info_unread", reply=text[:200])
        return {}
    return {Consumable.RIBBON: _level(fields["count"], fields["qty"], "Rrt;all")}


def _level(remaining: str, capacity: str, what: str) -> Level:
    """A consumable's level from the printer's text, each count within its bound."""
    try:
        return Level(
            read_count(remaining, MAX_CONSUMABLE_COUNT, f"{what} count"),
            read_count(capacity, MAX_CONSUMABLE_COUNT, f"{what} capacity"),
        )
    except FrameError as error:
        raise BadAnswer(str(error)) from error


def _parse_level_line(reply: str, flags: frozenset[str], counter: int) -> PrinterStatus:
    """The virtual printer's `Xst`: `CARDS=r/c;RIBBON=r/c;FILM=r/c;HEAD=t;REJECT=n`."""
    try:
        fields = dict(item.split("=", 1) for item in reply.split(";"))
        consumables = {}
        for key, name in CONSUMABLE_KEYS.items():
            if key in fields:
                remaining, capacity = fields[key].split("/")
                consumables[name] = _level(remaining, capacity, f"Xst {key}")
        head = float(fields["HEAD"]) if "HEAD" in fields else None
    except ValueError as error:
        raise BadAnswer(f"Xst answered {reply[:200]!r}") from error
    low, high = HEAD_TEMP_RANGE_C
    if head is not None and not low <= head <= high:  # NaN is outside too
        raise BadAnswer(f"Xst answered a head at {head} °C")
    return PrinterStatus(
        flags=flags, consumables=consumables, card_counter=counter, head_temp_c=head
    )
