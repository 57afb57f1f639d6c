"""The pictures of the cards the printer prints (the `save_cards` option): one PNG a side,
drawn from its panels (`evolis_wire.panel_images`), kept for a while and then deleted:
pictures of training cards carry a person's face and data as well."""

from __future__ import annotations

from pathlib import Path

import structlog

from contract.clock import Clock
from evolis_wire.panel_images import side_picture
from evolis_wire.panels import CardPanels

log = structlog.get_logger(__name__)


class CardPictures:
    """A directory of card pictures, each kept `keep_s` seconds of wall time."""

    def __init__(self, directory: Path, keep_s: float, clock: Clock) -> None:
        self.directory = directory
        self.keep_s = keep_s
        self._clock = clock
        self.expire()

    def expire(self) -> None:
        """Delete the pictures older than `keep_s`."""
        oldest = self._clock.now().timestamp() - self.keep_s
        for path in sorted(self.directory.glob("*.png")) if self.directory.is_dir() else []:
            try:
                if path.stat().st_mtime < oldest:
                    path.unlink()
            except FileNotFoundError:
                continue

    def save(self, counter: int, panels: CardPanels) -> None:
        """Save `{counter:06d}-front.png` (and `-back.png` when the back has panels); a disk
        that refuses is logged, and the card is printed all the same."""
        try:
            self.expire()
            self.directory.mkdir(parents=True, exist_ok=True)
            for side, side_panels in (("front", panels.front), ("back", panels.back)):
                if side_panels:
                    side_picture(side_panels).save(self.directory / f"{counter:06d}-{side}.png")
        except OSError as error:
            log.error("virtual_printer.save_card_failed", counter=counter, error=str(error))
