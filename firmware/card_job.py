"""A card job as the host streams it (libevolis' PRN, or the same commands without the text
tags): `Ss` opens it, `Sr` and `Sv` turn to the front and the back, each `Db` brings a panel,
`Se` ends it and the card is fed. None of these is answered.

A job the printer cannot take (`Mechanics.blocked`) shows the flag that stops it, and is
dropped, or with `BlockedJob.KEEP` kept (the flag alone shows) and fed once nothing stops the
printer, after any job kept before it, unless the host resets the printer (`Srs`). A job with a
panel at a depth the model does not take (colour at 256 levels on a Primacy, 128 on a Zenius;
k and o at 2) is dropped, and so is a job that turns to the back (`Sv`) on a model that prints
one face (the Zenius: `evolis_wire.models`). A job opened with `Pcla;1` holds its card
(`INF_CLAIM`) until the host sends `Pcla;0`; a kept job holds it once it is fed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from contract.vocabulary import BlockedJob, FaultKind
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
        self,
        mechanics: Mechanics,
        *,
        model: PrinterModel,
        unplug: Callable[[float], None],
        blocked_job: BlockedJob = BlockedJob.DROP,
    ) -> None:
        self._mechanics = mechanics
        self._model = model
        self._unplug = unplug  # an `unplug` fault on a card: the link goes for its seconds
        self._blocked_job = blocked_job
        self._job: _Job | None = None
        self._claiming = False  # the job began with `Pcla;1`
        self._kept: deque[tuple[CardPanels, bool]] = deque()  # jobs kept: panels, claiming

    def drop(self) -> None:
        """Forget the job being streamed (the link was reset, or a command was broken)."""
        self._job = None

    def reset(self) -> None:
        """`Srs`: the job and its claim are gone, a held card and the kept jobs too."""
        self._job, self._claiming, self._mechanics.holding = None, False, False
        if self._kept:
            log.info("virtual_printer.kept_jobs_abandoned", jobs=len(self._kept))
        self._kept.clear()

    def claim_mode(self, command: Command) -> None:
        if command.params == ("1",):
            self._claiming = True
        elif command.params == ("0",):
            self._claiming = False
            if self._mechanics.holding:
                self._mechanics.release()

    def start(self, _: Command) -> None:
        self._mechanics.open_card()
        keeps = self._blocked_job is BlockedJob.KEEP
        self._job = _Job() if keeps or not self._mechanics.blocked() else None
        if self._mechanics.blocked():
            log.info("virtual_printer.job_blocked", flags=self._mechanics.flags(), kept=keeps)

    def tick(self) -> None:
        """Feed the next kept job once nothing stops the printer and no card is held."""
        while self._kept and not self._mechanics.blocked() and not self._mechanics.holding:
            panels, claiming = self._kept.popleft()
            log.info("virtual_printer.kept_job_fed")
            self._feed(panels, claiming)

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
        if job is None or not job.front:
            return
        panels = CardPanels(front=tuple(job.front), back=tuple(job.back))
        busy = self._kept or self._mechanics.holding or self._mechanics.blocked()
        if self._blocked_job is BlockedJob.KEEP and busy:
            self._kept.append((panels, self._claiming))
        elif not self._mechanics.blocked():
            self._feed(panels, self._claiming)

    def _feed(self, panels: CardPanels, claiming: bool) -> None:
        for fault in self._mechanics.print_card(panels, hold=claiming):
            if fault.kind is FaultKind.UNPLUG:
                self._unplug(fault.seconds)
