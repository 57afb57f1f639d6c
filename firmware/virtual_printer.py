"""The virtual card printer: the printer side of the Evolis command language.

It keeps a card counter and consumables on disk (`state.py`), takes mechanical time per card on
an injected clock, heats its head, and plays the configured faults (`mechanics.py`). It takes
card jobs as the host streams them (`card_job.py`) and answers the other commands
(`commands.py`, `host_settings.py`). It presents as an Evolis Primacy or Zenius (`models.py`).

Byte interface (used by the USB backend, the USB gadget, the network server and any other
link): `feed(data) -> list[bytes]` takes bytes the host wrote, in any split, and returns the
reply frames of the commands completed in them; `exchange(request) -> bytes` answers one whole
network request with one frame; `status_frame()` is the frame a bare status poll gets. Frames
are `evolis_wire.frames.encode_reply`: text, NUL and (status on) two bytes and the status block.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import structlog

from contract.clock import Clock
from contract.vocabulary import BlockedJob
from evolis_wire.frames import StatusBlock, encode_reply

from .card_job import JobStream
from .commands import CommandSet
from .faults import FaultLike, FaultSpec
from .head import HeadModel
from .host_settings import HostSettings
from .images import CardPictures
from .mechanics import Mechanics
from .misreport import Misreport
from .models import PrinterInfo
from .protocol import Command, CommandParser, FramingError
from .state import PrinterState

log = structlog.get_logger(__name__)

PORT_NO_ERROR, PORT_SELECTED, PORT_PAPER_EMPTY = 0x08, 0x10, 0x20


def printer_directory(state_dir: Path | str) -> Path:
    """The printer's own directory below the station's state directory (`state.py`)."""
    return Path(state_dir) / "virtual-printer"


def pictures_directory(state_dir: Path | str) -> Path:
    """Where the pictures of the cards go when they are saved (`save_cards`)."""
    return printer_directory(state_dir) / "cards"


class VirtualPrinter:
    """One printer behind its byte interface; thread-safe."""

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
        blocked_job: BlockedJob = BlockedJob.DROP,
    ) -> None:
        if seconds_per_card < 0:
            raise ValueError("seconds_per_card must be 0 or more")
        self.clock = clock
        self.info = info or PrinterInfo()
        self.directory = printer_directory(state_dir)
        self.extensions = extensions
        pictures = None
        if save_cards is not None:
            pictures = CardPictures(Path(save_cards), keep_cards_s, clock)
        self._mechanics = Mechanics(
            self.directory,
            clock=clock,
            loaded=PrinterState.loaded(cards, ribbon, film),
            seconds_per_card=seconds_per_card,
            faults=faults,
            head=head or HeadModel(),
            pictures=pictures,
            uses_film=self.info.kind.film,
        )
        self._settings = HostSettings(clock)
        self.misreport = Misreport()  # sane until a test says otherwise
        self._jobs = JobStream(
            self._mechanics,
            model=self.info.kind,
            unplug=self.disconnect,
            blocked_job=BlockedJob(blocked_job),
        )
        self._commands = CommandSet(
            info=self.info,
            extensions=extensions,
            mechanics=self._mechanics,
            jobs=self._jobs,
            settings=self._settings,
            status_block=self.status_block,
            misreport=self.misreport,
        )
        self._lock = threading.RLock()
        self._parser = CommandParser()
        self._detached_until = 0.0
        self.plug_generation = 0

    @property
    def state(self) -> PrinterState:
        """The counters and consumables, as on disk."""
        return self._mechanics.state

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
            return self.frame(self._settings.ok() if commands else "")

    def status_frame(self) -> bytes:
        """The answer to a bare status poll: an empty text and the status."""
        with self._lock:
            self._jobs.tick()
            return self.frame("")

    def frame(self, text: str) -> bytes:
        with self._lock:
            return encode_reply(text, self.status_block() if self._settings.status_on else None)

    def link_reset(self) -> None:
        """The link was reset (USB SOFT_RESET): a partial command is dropped."""
        with self._lock:
            self._parser.reset()
            self._jobs.drop()

    def host_gone(self) -> None:
        """The host went (the cable pulled, as the USB gadget sees its UDC unbound): a partial
        command is dropped and a card held for the host's release goes on as released, as
        after an `unplug` fault (`disconnect`)."""
        with self._lock:
            self.link_reset()
            if self._mechanics.holding:
                log.info("virtual_printer.claim_dropped_with_the_host")
                self._mechanics.release()

    def disconnect(self, seconds: float) -> None:
        """The link goes away for `seconds`; the mechanics carry on."""
        with self._lock:
            self.link_reset()
            self._mechanics.holding = False
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

    def flags(self) -> list[str]:
        """Status flags, named and (in the block) placed as Evolis' library reads them."""
        with self._lock:
            return self._mechanics.flags()

    def status_block(self) -> StatusBlock:
        with self._lock:
            return StatusBlock.of(self.flags(), self._settings.session())

    def _run(self, data: bytes) -> tuple[int, list[str]]:
        with self._lock:
            self._jobs.tick()  # a kept job goes once nothing stops it
            items = self._parser.feed(data)
            texts = [text for item in items if (text := self._execute(item)) is not None]
            return len(items), texts

    def _execute(self, item: Command | FramingError) -> str | None:
        if isinstance(item, FramingError):
            log.warning("virtual_printer.framing_error", reason=item.reason)
            self._jobs.drop()  # a job with a broken command is not printed
            return None
        return self._commands.answer(item)
