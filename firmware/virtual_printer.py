"""The virtual card printer: the printer side of the Evolis command language.

It keeps a card counter and consumables on disk (see `state.py`), takes mechanical time per
card on an injected clock, heats its head, and plays the configured faults. It presents as an
Evolis Primacy or Zenius (`models.py`).

Byte interface (used by the USB backend, the network server and any other link):
`feed(data) -> list[bytes]` takes bytes the host wrote, in any split, and returns the reply
frames of the commands completed in them; `exchange(request) -> bytes` answers one whole network
request with one frame; `status_frame()` is the frame a bare status poll gets. Frames are
`evolis_wire.frames.encode_reply`: text, NUL and (status on) two bytes and the status block.

A card job (libevolis' PRN, or the same commands without the text tags) is streamed: `Ss`,
`Sr`, `Db` panels, `Sv` and the back's panels, `Se`, with `Psync`, `Pcla` and the header's
settings around them. None of these is answered. At `Se` the card is fed: the printer is busy
(`INF_BUSY`, `INF_PRINTING_RUNNING`, `INF_CARD_PRINT`) for its mechanical time; a job opened
with `Pcla;1` raises `INF_CLAIM` until the host sends `Pcla;0`. A job the printer cannot take
(cover open, cooling, a consumable out, a jam or broken ribbon not cleared) is dropped, and the
flag that stops it shows (so is a job with a panel at a depth the model does not take: colour
at 256 levels on a Primacy, 128 on a Zenius; k and o at 2); a jam (`ERR_MECHANICAL`) or a
broken ribbon (`ERR_RIBBON_ERROR`) on a fed card spoils it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog

from contract.clock import Clock, rfc3339
from contract.vocabulary import CardResult, FaultKind
from evolis_wire.frames import StatusBlock, encode_reply
from evolis_wire.panels import PANEL_NAMES, colour_levels

from . import replies as r
from .faults import BEFORE_CARD, ON_CARD, SPOILING, FaultLike, FaultPlan, FaultSpec
from .head import Head, HeadModel
from .images import expire_pictures, save_card
from .models import PrinterInfo
from .protocol import Command, CommandParser, FramingError
from .state import CardRecord, PrinterState, StateStore

log = structlog.get_logger(__name__)

PORT_NO_ERROR, PORT_SELECTED, PORT_PAPER_EMPTY = 0x08, 0x10, 0x20
RIBBON_TYPE_YMCKO = 0  # libevolis' ribbon type code, as `Pr;0;t` names it
# The commands of a streamed card job: never answered one by one.
JOB_COMMANDS = frozenset(
    {"Ss", "Sr", "Sv", "Db", "Se", "Pr", "Psync", "Pcla", "Psmgr", "Ppws", "Ppmode", "Pwres"}
    | {"Psk", "Piqla", "Pmc", "Peoic", "Pc", "Pl", "Pida", "Mr"}
)


def printer_directory(state_dir: Path | str) -> Path:
    """The printer's own directory below the station's state directory (`state.py`)."""
    return Path(state_dir) / "virtual-printer"


def pictures_directory(state_dir: Path | str) -> Path:
    """Where the pictures of the cards go when they are saved (`save_cards`)."""
    return printer_directory(state_dir) / "cards"


@dataclass
class _Job:
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
        self._mode = 0
        self._status_on = True
        self._session, self._session_until = 0, 0.0
        self._job: _Job | None = None
        self._claiming = False  # the job began with `Pcla;1`
        self._claim = False  # INF_CLAIM: a claimed job's card is fed, waiting for `Pcla;0`
        self._busy_until = clock.monotonic()
        self._cover_until = 0.0
        self._cooling_until = 0.0
        self._detached_until = 0.0
        self.plug_generation = 0
        self._handlers = self._command_table()

    def _command_table(self) -> dict[tuple[str, str | None], Callable[[Command], str | None]]:
        s = self
        return {
            ("Rtp", None): lambda _: s.info.full_name,
            ("Rtp", "d"): lambda _: s.info.model,
            ("Roem", None): lambda _: s.info.maker,
            ("Rsn", None): lambda _: s.info.serial,
            ("Rfv", None): lambda _: s.info.firmware,
            ("Rkn", None): lambda _: s.info.head_kit,
            ("Rzp", None): lambda _: s.info.zone,
            ("Rok", None): lambda _: "OK",
            ("Rpst", None): lambda _: s.status_block().hex(),
            ("Pps", None): self._status_mode,
            ("Psid", None): self._reserve,
            ("Rco", "c"): lambda _: str(s.state.card_counter),
            ("Rco", "p"): lambda _: str(s.state.panels_printed),
            ("Rrt", "all"): self._ribbon_info,
            ("Rrt", "progress"): lambda _: str(s._ribbon_used_percent()),
            ("Rrt", "count"): lambda _: str(s.state.ribbon),
            ("Rrt", "qty"): lambda _: str(s.state.ribbon_capacity),
            ("Rlr", "p"): self._card_position,
            ("Sk", "f"): lambda _: "EMPTY" if s.state.cards == 0 else "OK",
            ("Rse", "o"): lambda _: "OPEN" if s._cover_open() else "CLOSED",
            ("Rem", None): lambda _: str(s._mode),
            ("Pem", None): self._error_mode,
            ("Scs", None): self._clear_errors,
            ("Ser", None): self._clear_errors,
            ("Seb", None): self._clear_errors,
            ("Sce", None): self._eject,
            ("Srs", None): self._reset,
            ("Xst", None): self._level_line,
            ("Xrl", None): self._reload,
            # The card job (not answered)
            ("Ss", None): self._start,
            ("Sr", None): lambda _: s._side("front"),
            ("Sv", None): lambda _: s._side("back"),
            ("Db", None): self._download,
            ("Se", None): self._end,
            ("Pcla", None): self._claim_mode,
        }

    # The byte interface -----------------------------------------------------------------------

    @property
    def attached(self) -> bool:
        """False while the link is (virtually) unplugged."""
        return self.clock.monotonic() >= self._detached_until

    def feed(self, data: bytes) -> list[bytes]:
        """Bytes the host wrote; each complete command is run; the reply frames, in order."""
        return [self.frame(text) for text in self._run(data)[1]]

    def exchange(self, request: bytes) -> bytes:
        """One network exchange: the whole request, one reply frame. The frame's text is the
        last answered command's, `OK` for a request of job commands only, empty for a request
        with no command (a bare status poll)."""
        with self._lock:
            commands, texts = self._run(request)
            if texts:
                return self.frame(texts[-1])
            return self.frame(r.success(self._mode) if commands else "")

    def status_frame(self) -> bytes:
        """The answer to a bare status poll: an empty text and the status."""
        return self.frame("")

    def frame(self, text: str) -> bytes:
        with self._lock:
            return encode_reply(text, self.status_block() if self._status_on else None)

    def link_reset(self) -> None:
        """The link was reset (USB SOFT_RESET): a partial command is dropped."""
        with self._lock:
            self._parser.reset()
            self._job = None

    def disconnect(self, seconds: float) -> None:
        """The link goes away for `seconds`; the mechanics carry on."""
        with self._lock:
            self.link_reset()
            self._claim = False
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

    def _run(self, data: bytes) -> tuple[int, list[str]]:
        with self._lock:
            items = self._parser.feed(data)
            texts = [text for item in items if (text := self._execute(item)) is not None]
            return len(items), texts

    # State ----------------------------------------------------------------------------------

    def flags(self) -> list[str]:
        """Status flags, named and (in the block) placed as Evolis' library reads them."""
        with self._lock:
            now, s = self.clock.monotonic(), self.state
            busy = now < self._busy_until
            checks = [
                ("CFG_X01", True),
                ("INF_CLAIM", self._claim),
                ("INF_BUSY", busy),
                ("INF_PRINTING_RUNNING", busy),
                ("INF_CARD_PRINT", busy),
                ("WAR_COOLING", self._cooling()),
                ("WAR_COVER_OPEN", self._cover_open()),
                ("WAR_FEEDER_EMPTY", s.cards == 0),
                ("WAR_RIBBON_ENDED", s.ribbon == 0),
                ("INF_RIBBON_LOW", s.ribbon > 0 and s.ribbon * 10 <= s.ribbon_capacity),
                ("ERR_RIBBON_ERROR", s.ribbon_broken),
                ("WAR_CLEAR_END", s.film == 0),
                ("ERR_MECHANICAL", s.jammed),
            ]
            return [name for name, active in checks if active]

    def status_block(self) -> StatusBlock:
        with self._lock:
            if self._session and self.clock.monotonic() >= self._session_until:
                self._session = 0
            return StatusBlock.of(self.flags(), self._session)

    def _cover_open(self) -> bool:
        return self.clock.monotonic() < self._cover_until

    def _cooling(self) -> bool:
        now = self.clock.monotonic()
        return now < self._cooling_until or self._head.cooling(now)

    def _blocked(self) -> bool:
        """Whether anything stops the printer taking a card (its flag shows why)."""
        s = self.state
        return (
            self._cover_open()
            or s.jammed
            or s.ribbon_broken
            or self._cooling()
            or 0 in (s.cards, s.ribbon, s.film)
        )

    def _commit(self, state: PrinterState) -> None:
        self._store.save(state)
        self.state = state

    def _ribbon_used_percent(self) -> int:
        s = self.state
        return 100 - (100 * s.ribbon // s.ribbon_capacity) if s.ribbon_capacity else 100

    # Commands -------------------------------------------------------------------------------

    def _execute(self, item: Command | FramingError) -> str | None:
        if isinstance(item, FramingError):
            log.warning("virtual_printer.framing_error", reason=item.reason)
            self._job = None  # a job with a broken command is not printed
            return None
        try:
            text = self._handler(item)(item)
        except r.Refused as refused:
            text = r.failure(refused.refusal, self._mode)
        return None if item.name in JOB_COMMANDS else text

    def _handler(self, command: Command) -> Callable[[Command], str | None]:
        if command.name.startswith("X") and not self.extensions:
            raise r.Refused(r.UNKNOWN_COMMAND)
        first = command.params[0] if command.params else None
        handler = self._handlers.get((command.name, first)) or self._handlers.get(
            (command.name, None)
        )
        if handler is not None:
            return handler
        if command.name in JOB_COMMANDS:
            return lambda _: None  # a job setting this printer takes as it comes
        if any(name == command.name for name, _ in self._handlers):
            raise r.Refused(r.BAD_PARAMETER)
        raise r.Refused(r.UNKNOWN_COMMAND)

    def _ok(self) -> str:
        return r.success(self._mode)

    def _card_position(self, _: Command) -> str:
        if self.state.jammed:
            return "ERR CARD"
        return "CARD" if self.clock.monotonic() < self._busy_until else "NO CARD"

    def _status_mode(self, command: Command) -> str:
        if command.params not in (("0",), ("1",)):
            raise r.Refused(r.BAD_PARAMETER)
        self._status_on = command.params == ("1",)
        return self._ok()

    def _reserve(self, command: Command) -> str:
        """`Psid;<session>;<timeout s>`: reserve the printer for a session (0 releases)."""
        params = command.params
        if len(params) != 2 or not all(p.isdigit() for p in params) or int(params[0]) > 0xFFFF:
            raise r.Refused(r.BAD_PARAMETER)
        self._session = int(params[0])
        self._session_until = self.clock.monotonic() + int(params[1])
        return self._ok()

    def _error_mode(self, command: Command) -> str:
        if len(command.params) != 1 or not command.params[0].isdigit():
            raise r.Refused(r.BAD_PARAMETER)
        mode = int(command.params[0])
        if mode not in r.ERROR_MODES:
            raise r.Refused(r.BAD_PARAMETER)
        self._mode = mode
        return self._ok()

    def _ribbon_info(self, _: Command) -> str:
        s = self.state
        lines = {
            "label": "YMCKO",
            "zone": self.info.zone,
            "type": RIBBON_TYPE_YMCKO,
            "ref": "R5F008S14",
            "qty": s.ribbon_capacity,
            "count": s.ribbon,
            "date": 0,
            "evosn": self.info.serial,
            "m3": "",
            "k7": "",
        }
        return "\n".join(f"{key}: {value}" for key, value in lines.items())

    # The card job ---------------------------------------------------------------------------

    def _claim_mode(self, command: Command) -> None:
        if command.params == ("1",):
            self._claiming = True
        elif command.params == ("0",):
            self._claiming = self._claim = False

    def _start(self, _: Command) -> None:
        now = self.clock.monotonic()
        for fault in self._plan.fire(self.state.card_counter + 1, BEFORE_CARD):
            log.info("virtual_printer.fault", kind=fault.kind, at_card=fault.at_card)
            if fault.kind is FaultKind.COVER_OPEN:
                self._cover_until = max(self._cover_until, now + fault.seconds)
            else:
                self._cooling_until = max(self._cooling_until, now + fault.seconds)
        self._job = None if self._blocked() else _Job()
        if self._job is None:
            log.info("virtual_printer.job_refused", flags=self.flags())

    def _side(self, side: str) -> None:
        if self._job is not None:
            self._job.side = side

    def _download(self, command: Command) -> None:
        if self._job is None:
            return
        panel, levels = (*command.params, "", "")[:2]
        depth = 2 if panel in ("k", "o") else colour_levels(self.info.model)
        if panel not in PANEL_NAMES or command.payload is None or levels != str(depth):
            log.warning("virtual_printer.bad_panel", panel=panel, levels=levels, takes=depth)
            self._job = None
            return
        side = self._job.front if self._job.side == "front" else self._job.back
        side.append((panel, depth, command.payload))

    def _end(self, _: Command) -> None:
        job, self._job = self._job, None
        if job is None or not job.front or self._blocked():
            return
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
        self._claim = self._claiming and spoiled_by is None
        log.info("virtual_printer.card", counter=counter, result=record.result, faults=list(kinds))
        if self._save_dir is not None:
            self._save_pictures(counter, job)
        for fault in fired:
            if fault.kind is FaultKind.UNPLUG:
                self.disconnect(fault.seconds)

    def _save_pictures(self, counter: int, job: _Job) -> None:
        assert self._save_dir is not None
        try:
            expire_pictures(self._save_dir, self._keep_cards_s, self.clock.now().timestamp())
            save_card(self._save_dir, counter, job.front, job.back)
        except OSError as error:
            log.error("virtual_printer.save_card_failed", counter=counter, error=str(error))

    # Maintenance ----------------------------------------------------------------------------

    def _clear_errors(self, _: Command) -> str:
        """`Scs` clears a mechanical error, `Ser`/`Seb` reject the card: a jammed card goes to
        the reject box either way."""
        if self.state.jammed:
            self._commit(replace(self.state, jammed=False, reject_box=self.state.reject_box + 1))
        return self._ok()

    def _eject(self, _: Command) -> str:
        if self.state.jammed:
            raise r.Refused(r.MECHANICAL)
        return self._ok()

    def _reset(self, command: Command) -> str:
        self._job, self._claim, self._claiming = None, False, False
        return self._clear_errors(command)

    def _level_line(self, _: Command) -> str:
        s = self.state
        return r.LevelLine(
            cards=(s.cards, s.cards_capacity),
            ribbon=(s.ribbon, s.ribbon_capacity),
            film=(s.film, s.film_capacity),
            head_c=self._head.temperature(self.clock.monotonic()),
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
