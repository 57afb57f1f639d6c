"""The virtual card printer: the printer side of the Evolis command language.

It keeps a card counter and consumables on disk (see `state.py`), takes mechanical time per
card on an injected clock, heats its head, and plays the configured faults. The USB side
(`usb_backend.py`) hands it the bytes the host writes and reads its replies back; replies to
`Se` become readable only when the card's mechanical time has passed.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog

from controller.clock import Clock, rfc3339
from controller.contract.vocabulary import CardResult, FaultKind
from controller.render.card_panels import PANEL_NAMES

from . import replies as r
from .faults import BEFORE_CARD, ON_CARD, SPOILING, FaultLike, FaultPlan, FaultSpec
from .head import Head, HeadModel
from .images import expire_pictures, save_card
from .protocol import Command, CommandParser, FramingError
from .state import CardRecord, PrinterState, StateStore

log = structlog.get_logger(__name__)

PORT_NO_ERROR, PORT_SELECTED, PORT_PAPER_EMPTY = 0x08, 0x10, 0x20


def printer_directory(state_dir: Path | str) -> Path:
    """The printer's own directory below the station's state directory (`state.py`)."""
    return Path(state_dir) / "virtual-printer"


def pictures_directory(state_dir: Path | str) -> Path:
    """Where the pictures of the cards go when they are saved (`save_cards`)."""
    return printer_directory(state_dir) / "cards"


@dataclass(frozen=True)
class PrinterInfo:
    """What the printer says about itself (values of the virtual printer, not a real one)."""

    model: str = "Evolis Avansia (virtual)"
    serial: str = "VP0000001"
    firmware: str = "VP-1.0.0"
    head_kit: str = "VK-0001"


@dataclass
class _Job:
    ribbon: str
    side: str = "front"
    front: list[tuple[str, int, bytes]] = field(default_factory=list)
    back: list[tuple[str, int, bytes]] = field(default_factory=list)


class VirtualPrinter:
    """The printer state machine; thread-safe."""

    def __init__(
        self,
        state_dir: Path | str,
        *,
        clock: Clock,
        seconds_per_card: float = 0.0,
        cards: int = 100,
        ribbon: int = 250,
        film: int = 500,
        faults: Iterable[FaultSpec | FaultLike | Mapping[str, Any]] = (),
        save_cards: Path | str | None = None,
        keep_cards_s: float = 24 * 3600.0,
        head: HeadModel | None = None,
        info: PrinterInfo | None = None,
        extensions: bool = True,
    ) -> None:
        if seconds_per_card < 0:
            raise ValueError("seconds_per_card must be 0 or more")
        self.clock = clock
        self.info = info or PrinterInfo()
        self.directory = printer_directory(state_dir)
        self.seconds_per_card = seconds_per_card
        self.extensions = extensions
        self._store = StateStore(self.directory)
        self.state = self._store.load(PrinterState.loaded(cards, ribbon, film))
        self._plan = FaultPlan.of(faults)
        self._save_dir = Path(save_cards) if save_cards is not None else None
        self._keep_cards_s = keep_cards_s
        if self._save_dir is not None:
            expire_pictures(self._save_dir, keep_cards_s, clock.now().timestamp())
        self._head = Head(head or HeadModel(), clock.monotonic())
        self._lock = threading.RLock()
        self._parser = CommandParser()
        self._outbox: deque[tuple[float, bytearray]] = deque()
        self._mode = 2
        self._ribbon = "ymcko"
        self._job: _Job | None = None
        self._busy_until = clock.monotonic()
        self._cover_until = 0.0
        self._cooling_until = 0.0
        self._detached_until = 0.0
        self.plug_generation = 0
        self._handlers: dict[tuple[str, str | None], Callable[[Command], str | None]] = {
            ("Rtp", None): lambda _: self.info.model,
            ("Rsn", None): lambda _: self.info.serial,
            ("Rfv", None): lambda _: self.info.firmware,
            ("Rkn", None): lambda _: self.info.head_kit,
            ("Rco", "c"): lambda _: str(self.state.card_counter),
            ("Rco", "p"): lambda _: str(self.state.panels_printed),
            ("Rrt", "count"): lambda _: str(self.state.ribbon),
            ("Rrt", "qty"): lambda _: str(self.state.ribbon_capacity),
            ("Rlr", "p"): self._card_position,
            ("Sk", "f"): lambda _: "EMPTY" if self.state.cards == 0 else "OK",
            ("Rse", "o"): lambda _: "OPEN" if self._cover_open() else "CLOSED",
            ("Pem", None): self._error_mode,
            ("Pr", None): self._ribbon_type,
            ("Ss", None): self._start,
            ("Sr", None): lambda _: self._side("front"),
            ("Sv", None): lambda _: self._side("back"),
            ("Db", None): self._download,
            ("Se", None): self._end,
            ("Ser", None): self._eject_reject,
            ("Seb", None): self._eject_reject,
            ("Srs", None): self._reset,
            ("Xst", None): self._status_line,
            ("Xrl", None): self._reload,
        }

    # USB side -------------------------------------------------------------------------------

    @property
    def attached(self) -> bool:
        """False while the USB cable is (virtually) out."""
        return self.clock.monotonic() >= self._detached_until

    def receive(self, data: bytes) -> None:
        """Bytes the host wrote; each complete command is executed and answered."""
        with self._lock:
            for item in self._parser.feed(data):
                self._execute(item)

    def next_output_at(self) -> float | None:
        """Monotonic time at which the next reply is readable, or None if none is pending."""
        with self._lock:
            return self._outbox[0][0] if self._outbox else None

    def take_output(self, size: int) -> bytes:
        """Up to `size` bytes of the replies that are ready now."""
        with self._lock:
            out = bytearray()
            now = self.clock.monotonic()
            while self._outbox and self._outbox[0][0] <= now and len(out) < size:
                _, data = self._outbox[0]
                chunk = data[: size - len(out)]
                out += chunk
                del data[: len(chunk)]
                if not data:
                    self._outbox.popleft()
            return bytes(out)

    def usb_reset(self) -> None:
        """A USB port reset: partial commands and unread replies are dropped."""
        with self._lock:
            self._parser.reset()
            self._outbox.clear()
            self._job = None

    def disconnect(self, seconds: float) -> None:
        """The USB link goes away for `seconds`; the mechanics carry on."""
        with self._lock:
            self.usb_reset()
            self.plug_generation += 1
            self._detached_until = self.clock.monotonic() + seconds
            log.info("virtual_printer.unplugged", seconds=seconds)

    def port_status(self) -> int:
        """The USB printer class GET_PORT_STATUS byte."""
        with self._lock:
            status = PORT_SELECTED
            if not any(flag.startswith(("ERR_", "WAR_")) for flag in self.flags()):
                status |= PORT_NO_ERROR
            if self.state.cards == 0:
                status |= PORT_PAPER_EMPTY
            return status

    # State ----------------------------------------------------------------------------------

    def flags(self) -> list[str]:
        """Status flags, named like the Evolis SDK's."""
        with self._lock:
            now, s = self.clock.monotonic(), self.state
            checks = [
                ("INF_BUSY", now < self._busy_until),
                ("WAR_COOLING", self._cooling()),
                ("WAR_COVER_OPEN", self._cover_open()),
                ("WAR_FEEDER_EMPTY", s.cards == 0),
                ("WAR_RIBBON_ENDED", s.ribbon == 0),
                ("INF_RIBBON_LOW", s.ribbon > 0 and s.ribbon * 10 <= s.ribbon_capacity),
                ("ERR_RIBBON_ERROR", s.ribbon_broken),
                ("WAR_FILM_ENDED", s.film == 0),
                ("ERR_MECHANICAL", s.jammed),
            ]
            return [name for name, active in checks if active]

    def _cover_open(self) -> bool:
        return self.clock.monotonic() < self._cover_until

    def _cooling(self) -> bool:
        now = self.clock.monotonic()
        return now < self._cooling_until or self._head.cooling(now)

    def _check_ready(self) -> None:
        """Refuse to take a card while anything stops the printer."""
        s = self.state
        for blocked, refusal in (
            (self._cover_open(), r.COVER_OPEN),
            (s.jammed, r.MECHANICAL),
            (s.ribbon_broken, r.RIBBON_ERROR),
            (self._cooling(), r.COOLING),
            (s.cards == 0, r.FEEDER_EMPTY),
            (s.ribbon == 0, r.RIBBON_ENDED),
            (s.film == 0, r.FILM_ENDED),
        ):
            if blocked:
                raise r.Refused(refusal)

    def _commit(self, state: PrinterState) -> None:
        self._store.save(state)
        self.state = state

    # Commands -------------------------------------------------------------------------------

    def _execute(self, item: Command | FramingError) -> None:
        ready_at = self.clock.monotonic()
        if isinstance(item, FramingError):
            log.warning("virtual_printer.framing_error", reason=item.reason)
            text: str | None = r.failure(r.BAD_PARAMETER, self._mode)
        else:
            try:
                text = self._handler(item)(item)
            except r.Refused as refused:
                text = r.failure(refused.refusal, self._mode)
            if item.name == "Se":
                ready_at = self._busy_until
        if text is not None:
            self._outbox.append((ready_at, bytearray(r.encode(text))))

    def _handler(self, command: Command) -> Callable[[Command], str | None]:
        if command.name.startswith("X") and not self.extensions:
            raise r.Refused(r.UNKNOWN_COMMAND)
        first = command.params[0] if command.params else None
        handler = self._handlers.get((command.name, first)) or self._handlers.get(
            (command.name, None)
        )
        if handler is not None:
            return handler
        if any(name == command.name for name, _ in self._handlers):
            raise r.Refused(r.BAD_PARAMETER)
        raise r.Refused(r.UNKNOWN_COMMAND)

    def _ok(self) -> str:
        return r.success(self._mode)

    def _card_position(self, _: Command) -> str:
        if self.state.jammed:
            return "ERR CARD"
        return "CARD" if self.clock.monotonic() < self._busy_until else "NO CARD"

    def _error_mode(self, command: Command) -> str:
        if command.params not in (("2",), ("4",)):
            raise r.Refused(r.BAD_PARAMETER)
        self._mode = int(command.params[0])
        return self._ok()

    def _ribbon_type(self, command: Command) -> str:
        if len(command.params) != 1 or not command.params[0].isalpha():
            raise r.Refused(r.BAD_PARAMETER)
        self._ribbon = command.params[0]
        return self._ok()

    def _start(self, _: Command) -> str:
        now = self.clock.monotonic()
        for fault in self._plan.fire(self.state.card_counter + 1, BEFORE_CARD):
            log.info("virtual_printer.fault", kind=fault.kind, at_card=fault.at_card)
            if fault.kind is FaultKind.COVER_OPEN:
                self._cover_until = max(self._cover_until, now + fault.seconds)
            else:
                self._cooling_until = max(self._cooling_until, now + fault.seconds)
        self._job = None
        self._check_ready()
        self._job = _Job(ribbon=self._ribbon)
        return self._ok()

    def _side(self, side: str) -> str:
        if self._job is None:
            raise r.Refused(r.OUT_OF_SEQUENCE)
        self._job.side = side
        return self._ok()

    def _download(self, command: Command) -> str:
        panel, levels = command.params[0], int(command.params[1])
        if panel not in PANEL_NAMES or command.payload is None:
            raise r.Refused(r.BAD_PARAMETER)
        if self._job is None:
            raise r.Refused(r.OUT_OF_SEQUENCE)
        if panel not in self._job.ribbon:  # no such colour on the loaded ribbon type
            raise r.Refused(r.BAD_PARAMETER)
        side = self._job.front if self._job.side == "front" else self._job.back
        side.append((panel, levels, command.payload))
        return self._ok()

    def _end(self, _: Command) -> str | None:
        job, self._job = self._job, None
        if job is None or not job.front:
            raise r.Refused(r.OUT_OF_SEQUENCE)
        self._check_ready()
        counter = self.state.card_counter + 1
        fired = self._plan.fire(counter, ON_CARD)
        kinds = {fault.kind for fault in fired}
        spoiled_by = next((kind for kind in SPOILING if kind in kinds), None)
        digest = hashlib.sha256()
        for _, _, data in job.front:
            digest.update(data)
        record = CardRecord(
            counter=counter,
            result=CardResult.PRINTED if spoiled_by is None else CardResult.SPOILED,
            front_sha256=digest.hexdigest(),
            time=rfc3339(self.clock.now()),
            panels=len(job.front) + len(job.back),
            fault=spoiled_by,
        )
        self._store.append(record)
        state = self.state.fed(record.panels)
        if FaultKind.JAM in kinds:
            state = replace(state, jammed=True)
        elif FaultKind.RIBBON_BREAK in kinds:
            state = replace(state, ribbon_broken=True, reject_box=state.reject_box + 1)
        self._commit(state)
        now = self.clock.monotonic()
        self._head.heat(now)
        self._busy_until = max(now, self._busy_until) + self.seconds_per_card
        log.info("virtual_printer.card", counter=counter, result=record.result, faults=list(kinds))
        if self._save_dir is not None:
            self._save_pictures(counter, job)
        for fault in fired:
            if fault.kind is FaultKind.UNPLUG:
                self.disconnect(fault.seconds)
                return None
        if FaultKind.JAM in kinds:
            raise r.Refused(r.JAM)
        if FaultKind.RIBBON_BREAK in kinds:
            raise r.Refused(r.RIBBON_BROKEN)
        return self._ok()

    def _save_pictures(self, counter: int, job: _Job) -> None:
        assert self._save_dir is not None
        try:
            expire_pictures(self._save_dir, self._keep_cards_s, self.clock.now().timestamp())
            save_card(self._save_dir, counter, job.front, job.back)
        except OSError as error:
            log.error("virtual_printer.save_card_failed", counter=counter, error=str(error))

    def _eject_reject(self, _: Command) -> str:
        if self.state.jammed:
            self._commit(replace(self.state, jammed=False, reject_box=self.state.reject_box + 1))
        return self._ok()

    def _reset(self, command: Command) -> str:
        self._job = None
        return self._eject_reject(command)

    def _status_line(self, _: Command) -> str:
        s = self.state
        return r.StatusLine(
            flags=tuple(self.flags()),
            cards=(s.cards, s.cards_capacity),
            ribbon=(s.ribbon, s.ribbon_capacity),
            film=(s.film, s.film_capacity),
            head_c=self._head.temperature(self.clock.monotonic()),
            counter=s.card_counter,
            reject=s.reject_box,
        ).text()

    def _reload(self, command: Command) -> str:
        params = command.params
        if len(params) not in (2, 3) or not all(p.isdigit() for p in params[1:]):
            raise r.Refused(r.BAD_PARAMETER)
        capacity = int(params[2]) if len(params) == 3 else None
        try:
            state = self.state.reloaded(params[0], int(params[1]), capacity)
        except ValueError as error:
            raise r.Refused(r.BAD_PARAMETER) from error
        self._commit(state)
        log.info("virtual_printer.reloaded", consumable=params[0], count=int(params[1]))
        return self._ok()
