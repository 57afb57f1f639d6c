"""The virtual printer's persistent state, as a real printer keeps its counters.

`{state_dir}/virtual-printer/state.json` holds the counters and consumables; it is replaced
atomically (write a new file, fsync, rename, fsync the directory). `cards.jsonl` gets one line
per card fed, appended and fsynced before the printer answers the host:

    {"counter": N, "result": "printed"|"spoiled", "front_sha256": "...", "time": "...",
     "panels": P}

(`panels`, the number of panels printed on the card, is an addition to the contract's line,
as is `"fault": "jam"|"ribbon_break"|"ribbon_end"|"cover_open"` on a card a fault spoiled.)
The log is written first and the state file second; on start-up, cards in the log beyond the
state file's counter (a crash between the two writes) are replayed into the state, so the
counter and the log always agree, and a fault's error stays until it is cleared.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import structlog

from contract.vocabulary import CardResult, Consumable, FaultKind

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PrinterState:
    card_counter: int = 0
    panels_printed: int = 0
    cards: int = 0
    cards_capacity: int = 0
    ribbon: int = 0
    ribbon_capacity: int = 0
    film: int = 0
    film_capacity: int = 0
    reject_box: int = 0
    ribbon_broken: bool = False
    jammed: bool = False
    ribbon_ended: bool = False  # the ribbon ran out on a card: ERR_RIBBON_ENDED until a reload
    cover_error: bool = False  # the cover was opened on a card: ERR_COVER_OPEN until cleared

    @classmethod
    def loaded(cls, cards: int, ribbon: int, film: int) -> PrinterState:
        """A new printer with these consumables loaded (each also its capacity)."""
        return cls(
            cards=cards,
            cards_capacity=cards,
            ribbon=ribbon,
            ribbon_capacity=ribbon,
            film=film,
            film_capacity=film,
        )

    def fed(self, panels: int, *, film: bool = True) -> PrinterState:
        """The state after one more card is fed: one blank, one ribbon set, and one film panel
        on a printer with a `film`."""
        return replace(
            self,
            card_counter=self.card_counter + 1,
            panels_printed=self.panels_printed + panels,
            cards=max(0, self.cards - 1),
            ribbon=max(0, self.ribbon - 1),
            film=max(0, self.film - 1) if film else self.film,
        )

    def spoiled(self, kind: FaultKind) -> PrinterState:
        """The state after a fault of `kind` spoiled the card in the printer: a jammed card
        stays inside (`jammed`), any other goes to the reject box, and the error stays."""
        if kind is FaultKind.JAM:
            return replace(self, jammed=True)
        changes: dict[str, int | bool] = {"reject_box": self.reject_box + 1}
        if kind is FaultKind.RIBBON_BREAK:
            changes["ribbon_broken"] = True
        elif kind is FaultKind.RIBBON_END:
            changes.update(ribbon=0, ribbon_ended=True)
        elif kind is FaultKind.COVER_OPEN:
            changes["cover_error"] = True
        return replace(self, **changes)

    def reloaded(self, name: str, count: int, capacity: int | None) -> PrinterState:
        """The state after a person loads `count` of consumable `name` (capacity grows to fit)."""
        try:
            consumable = Consumable(name)
        except ValueError:
            raise ValueError(f"unknown consumable {name!r}") from None
        if count < 0 or (capacity is not None and capacity < count):
            raise ValueError("reload count must be 0 or more and at most the capacity")
        old_capacity = getattr(self, f"{consumable}_capacity")
        new_capacity = capacity if capacity is not None else max(old_capacity, count)
        changes: dict[str, int | bool] = {consumable: count, f"{consumable}_capacity": new_capacity}
        if consumable is Consumable.RIBBON:
            changes["ribbon_broken"] = changes["ribbon_ended"] = False
        return replace(self, **changes)


@dataclass(frozen=True)
class CardRecord:
    counter: int
    result: CardResult
    front_sha256: str
    time: str
    panels: int
    fault: FaultKind | None = None  # a spoiling kind: the printer stops until it is cleared

    def line(self) -> bytes:
        fields = {key: value for key, value in asdict(self).items() if value is not None}
        return (json.dumps(fields, separators=(",", ":")) + "\n").encode()


class StateStore:
    """`state.json` and `cards.jsonl` in one directory."""

    def __init__(self, directory: Path, *, film: bool = True) -> None:
        self.directory = directory
        self.film = film  # the printer uses a film (its model)
        self.state_path = directory / "state.json"
        self.log_path = directory / "cards.jsonl"

    def load(self, initial: PrinterState) -> PrinterState:
        """The stored state (with logged cards replayed), or `initial` on a first start."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._repair_log()
        if self.state_path.exists():
            state = PrinterState(**json.loads(self.state_path.read_text()))
        else:
            state = initial
        replayed = state
        for record in self.records():
            if record.counter > replayed.card_counter:
                replayed = replayed.fed(record.panels, film=self.film)
                if record.fault is not None:
                    replayed = replayed.spoiled(FaultKind(record.fault))
                elif record.result == CardResult.SPOILED:
                    replayed = replace(replayed, reject_box=replayed.reject_box + 1)
        if replayed != state:
            log.warning("virtual_printer.log_replayed", counter=replayed.card_counter)
        if replayed != state or not self.state_path.exists():
            self.save(replayed)
        return replayed

    def save(self, state: PrinterState) -> None:
        """Replace `state.json` atomically and durably."""
        tmp = self.state_path.with_suffix(".json.new")
        with open(tmp, "wb") as handle:
            handle.write(json.dumps(asdict(state), indent=1).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state_path)
        _fsync_dir(self.directory)

    def append(self, record: CardRecord) -> None:
        """Append one card line and fsync it."""
        new_file = not self.log_path.exists()
        with open(self.log_path, "ab") as handle:
            handle.write(record.line())
            handle.flush()
            os.fsync(handle.fileno())
        if new_file:
            _fsync_dir(self.directory)

    def records(self) -> Iterator[CardRecord]:
        """Every card line in the log, oldest first."""
        if not self.log_path.exists():
            return
        with open(self.log_path, "rb") as handle:
            for line in handle:
                if line.strip():
                    yield CardRecord(**json.loads(line))

    def _repair_log(self) -> None:
        """Cut a torn last line (a crash in the middle of an append)."""
        if not self.log_path.exists():
            return
        data = self.log_path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            log.warning("virtual_printer.torn_log_line", dropped_bytes=len(data) - keep)
            with open(self.log_path, "r+b") as handle:
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
