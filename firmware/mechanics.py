"""The printer's body: the blanks, ribbon and film it holds and its card counter (on disk:
`state.py`), its head (`head.py`), the time a card takes, the cover, a claimed card held for
the host, and the faults it plays (`faults.py`). The status flags are read from here.

A card is fed only when nothing stops it (`blocked`: the cover open, cooling, a consumable
out or reading out, an error of a card not cleared); the film counts only on a model that uses
one (a retransfer printer: `evolis_wire.models`); a jam (`ERR_MECHANICAL`), a broken ribbon
(`ERR_RIBBON_ERROR`), the ribbon ending (`ERR_RIBBON_ENDED`) or the cover opened
(`ERR_COVER_OPEN`) on a fed card spoils it, at once or once the host releases its claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import structlog

from contract.clock import Clock, rfc3339
from contract.vocabulary import CardResult, FaultKind, FaultStage
from evolis_wire.panels import CardPanels

from .faults import SPOILING, FaultLike, FaultPlan, FaultSpec
from .head import Head, HeadModel
from .images import CardPictures
from .replies import LevelLine
from .state import CardRecord, PrinterState, StateStore

log = structlog.get_logger(__name__)


class Mechanics:
    """The printer's mechanics and consumables on an injected clock. Not thread-safe: the
    printer holds its lock around every call."""

    def __init__(
        self,
        directory: Path,
        *,
        clock: Clock,
        loaded: PrinterState,
        seconds_per_card: float,
        faults: Iterable[FaultSpec | FaultLike | Mapping[str, Any]],
        head: HeadModel,
        pictures: CardPictures | None,
        uses_film: bool,
    ) -> None:
        self.clock = clock
        self.uses_film = uses_film
        self.seconds_per_card = seconds_per_card
        self._store = StateStore(directory, film=uses_film)
        self.state = self._store.load(loaded)
        self._plan = FaultPlan.of(faults)
        self._head = Head(head, clock.monotonic())
        self._pictures = pictures
        self._busy_until = clock.monotonic()
        self._until: dict[FaultKind, float] = {}  # before-card conditions, until when
        self._on_release: FaultKind | None = None  # spoils the held card once released
        self.holding = False  # INF_CLAIM: a claimed card is fed, waiting for the host

    # What the status shows ------------------------------------------------------------------

    def flags(self) -> list[str]:
        """Status flags, named and (in the block) placed as Evolis' library reads them."""
        s, busy = self.state, self.busy()
        checks = [
            ("CFG_X01", True),
            ("INF_CLAIM", self.holding),
            ("INF_BUSY", busy),
            ("INF_PRINTING_RUNNING", busy),
            ("INF_CARD_PRINT", busy),
            ("WAR_COOLING", self.cooling()),
            ("WAR_COVER_OPEN", self.cover_open()),
            ("WAR_FEEDER_EMPTY", s.cards == 0 or self._lasts(FaultKind.FEEDER_EMPTY)),
            ("WAR_RIBBON_ENDED", s.ribbon == 0 or self._lasts(FaultKind.RIBBON_END)),
            ("INF_RIBBON_LOW", s.ribbon > 0 and s.ribbon * 10 <= s.ribbon_capacity),
            ("ERR_RIBBON_ERROR", s.ribbon_broken),
            ("WAR_CLEAR_END", self._film_out()),
            ("ERR_MECHANICAL", s.jammed),
            ("ERR_COVER_OPEN", s.cover_error),
            ("ERR_RIBBON_ENDED", s.ribbon_ended),
        ]
        return [name for name, active in checks if active]

    def busy(self) -> bool:
        """A card is in the printer for its mechanical time."""
        return self.clock.monotonic() < self._busy_until

    def cover_open(self) -> bool:
        return self._lasts(FaultKind.COVER_OPEN)

    def cooling(self) -> bool:
        return self._lasts(FaultKind.OVERHEAT) or self._head.cooling(self.clock.monotonic())

    def _lasts(self, kind: FaultKind) -> bool:
        """A before-card fault of `kind` is still in force."""
        return self.clock.monotonic() < self._until.get(kind, 0.0)

    def blocked(self) -> bool:
        """Whether anything stops the printer taking a card (its flag shows why)."""
        s = self.state
        return (
            any(self._lasts(kind) for kind in self._until)
            or s.jammed
            or s.ribbon_broken
            or s.ribbon_ended
            or s.cover_error
            or self.cooling()
            or 0 in (s.cards, s.ribbon)
            or self._film_out()
        )

    def _film_out(self) -> bool:
        return self.uses_film and self.state.film == 0

    def ribbon_used_percent(self) -> int:
        s = self.state
        return 100 - (100 * s.ribbon // s.ribbon_capacity) if s.ribbon_capacity else 100

    def level_line(self) -> str:
        """The reply to `Xst`."""
        s = self.state
        return LevelLine(
            cards=(s.cards, s.cards_capacity),
            ribbon=(s.ribbon, s.ribbon_capacity),
            film=(s.film, s.film_capacity) if self.uses_film else None,
            head_c=self._head.temperature(self.clock.monotonic()),
            reject=s.reject_box,
        ).text()

    # A card ---------------------------------------------------------------------------------

    def open_card(self) -> None:
        """The host starts the next card: the faults due before it play, each for its seconds."""
        now = self.clock.monotonic()
        for fault in self._plan.fire(self.state.card_counter + 1, FaultStage.BEFORE_CARD):
            log.info("virtual_printer.fault", kind=fault.kind, at_card=fault.at_card)
            self._until[fault.kind] = max(self._until.get(fault.kind, 0.0), now + fault.seconds)

    def print_card(self, panels: CardPanels, *, hold: bool) -> list[FaultSpec]:
        """Feed one card and print `panels` on it: logged, counted, the head heated, busy for
        its mechanical time, held for the host if `hold` and it is not spoiled yet. The faults
        due on the card play, those due after the release once the host releases it (at once
        if it is not held); the ones that fired."""
        counter = self.state.card_counter + 1
        fired = self._plan.fire(counter, FaultStage.ON_CARD)
        later = self._plan.fire(counter, FaultStage.AFTER_RELEASE)
        spoiled_now, spoiled_later = _spoiling(fired), _spoiling(later)
        spoiled_by = spoiled_now or spoiled_later
        record = CardRecord(
            counter=counter,
            result=CardResult.PRINTED if spoiled_by is None else CardResult.SPOILED,
            front_sha256=panels.front_sha256(),
            time=rfc3339(self.clock.now()),
            panels=len(panels.front) + len(panels.back),
            fault=spoiled_by,
        )
        self._store.append(record)
        state = self.state.fed(record.panels, film=self.uses_film)
        self._commit(state if spoiled_now is None else state.spoiled(spoiled_now))
        now = self.clock.monotonic()
        self._head.heat(now)
        self._busy_until = max(now, self._busy_until) + self.seconds_per_card
        self.holding = hold and spoiled_now is None
        self._on_release = spoiled_later if spoiled_now is None else None
        if spoiled_now is not None:
            self._busy_until = now  # the printer stops on the error
        elif not self.holding:
            self.release()
        log.info(
            "virtual_printer.card",
            counter=counter,
            result=record.result,
            faults=[fault.kind for fault in fired + later],
        )
        if self._pictures is not None:
            self._pictures.save(counter, panels)
        return fired + later

    def release(self) -> None:
        """The host released the claimed card (`Pcla;0`): a fault due after the release spoils
        it now, and the printer stops."""
        self.holding = False
        kind, self._on_release = self._on_release, None
        if kind is not None:
            log.info("virtual_printer.fault", kind=kind, stage=FaultStage.AFTER_RELEASE)
            self._commit(self.state.spoiled(kind))
            self._busy_until = self.clock.monotonic()

    # Maintenance ----------------------------------------------------------------------------

    def clear_jam(self) -> None:
        """A jammed card goes to the reject box; an error of the cover opened on a card clears."""
        s = self.state
        if s.jammed or s.cover_error:
            self._commit(
                replace(s, jammed=False, cover_error=False, reject_box=s.reject_box + s.jammed)
            )

    def reload(self, consumable: str, count: int, capacity: int | None) -> None:
        """A person loaded `count` of `consumable` (ValueError for a reload that cannot be)."""
        self._commit(self.state.reloaded(consumable, count, capacity))
        log.info("virtual_printer.reloaded", consumable=consumable, count=count)

    def _commit(self, state: PrinterState) -> None:
        self._store.save(state)
        self.state = state


def _spoiling(faults: list[FaultSpec]) -> FaultKind | None:
    """The fault kind that spoils the card, of those that fired (the first in `SPOILING`)."""
    kinds = {fault.kind for fault in faults}
    return next((kind for kind in SPOILING if kind in kinds), None)
