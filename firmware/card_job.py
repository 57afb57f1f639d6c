"""A card job as the host streams it (libevolis' PRN, or the same commands without the text
tags): `Ss` opens it, `Sr` and `Sv` turn to the front and the back, each `Db` brings a panel,
`Se` ends it and the card is fed. None of these is answered.

A job the printer cannot take when it opens (`Mechanics.blocked`) is dropped, and the flag
that stops it shows; so is a job with a panel at a depth the model does not take (colour at
256 levels on a Primacy, 128 on a Zenius; k and o at 2), and a job that turns to the back
(`Sv`) on a model that prints one face (the Zenius: `evolis_wire.models`). A job opened with
`Pcla;1` holds its card (`INF_CLAIM`) until the host sends `Pcla;0`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from contract.vocabulary import FaultKind
from evolis_wire.models import PrinterModel
from evolis_wire.panels import PANEL_NAMES, CardPanels, PrintPanel

from .mechanics import Mechanics
from .protocol import Command

log = structlog.get_logger(__name__)


@dataclass
class _Job:
    side: str = "front"
    front: list[PrintPanel] = field(default_factory=list)
    back: list[PrintPanel] = field(default_factory=list)


class JobStream:
    """The job being streamed, whether it claims its card, and what happens at its end."""

    def __init__(
        self, mechanics: Mechanics, *, model: PrinterModel, unplug: Callable[[float], None]
    ) -> None:
        self._mechanics = mechanics
        self._model = model
        self._unplug = unplug  # an `unplug` fault on a card: the link goes for its seconds
        self._job: _Job | None = None
        self._claiming = False  # the job began with `Pcla;1`

    def drop(self) -> None:
        """Forget the job being streamed (the link was reset, or a command was broken)."""
        self._job = None

    def reset(self) -> None:
        """`Srs`: the job and its claim are gone, a held card too."""
        self._job, self._claiming, self._mechanics.holding = None, False, False

    def claim_mode(self, command: Command) -> None:
        if command.params == ("1",):
            self._claiming = True
        elif command.params == ("0",):
            self._claiming = self._mechanics.holding = False

    def start(self, _: Command) -> None:
        self._mechanics.open_card()
        self._job = None if self._mechanics.blocked() else _Job()
        if self._job is None:
            log.info("virtual_printer.job_refused", flags=self._mechanics.flags())

    def turn(self, side: str) -> None:
        if self._job is None:
            return
        if side == "back" and not self._model.duplex:
            log.warning("virtual_printer.no_back_face", model=self._model.name)
            self._job = None
            return
        self._job.side = side

    def download(self, command: Command) -> None:
        if self._job is None:
            return
        panel, levels = (*command.params, "", "")[:2]
        depth = 2 if panel in ("k", "o") else self._model.colour_levels
        if panel not in PANEL_NAMES or command.payload is None or levels != str(depth):
            log.warning("virtual_printer.bad_panel", panel=panel, levels=levels, takes=depth)
            self._job = None
            return
        side = self._job.front if self._job.side == "front" else self._job.back
        side.append(PrintPanel(panel, depth, command.payload))

    def end(self, _: Command) -> None:
        job, self._job = self._job, None
        if job is None or not job.front or self._mechanics.blocked():
            return
        panels = CardPanels(front=tuple(job.front), back=tuple(job.back))
        for fault in self._mechanics.print_card(panels, hold=self._claiming):
            if fault.kind is FaultKind.UNPLUG:
                self._unplug(fault.seconds)
