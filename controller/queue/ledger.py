"""The consumables ledger: every blank, ribbon panel and film panel accounted for.

Each change to what is loaded is a ledger row (`load`, `printed`, `spoiled`, `adjust`) written in
the same transaction as the cached `remaining`, so for every consumable at all times:

    loaded = printed + spoiled + remaining - adjustments

where adjustments are signed corrections (a count taken from the printer, an old ribbon taken
out). `balance()` reads these figures back for the status, the tests and an audit.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from contract.clock import rfc3339
from contract.events import ConsumableEmpty, ConsumableLow, ConsumableReloaded
from contract.vocabulary import AttemptOutcome, Consumable
from controller.policy.consumables import empty_alert, low_alert
from controller.queue.db import get_meta, set_meta
from controller.queue.lots import book_use, take_from_lots
from controller.queue.outbox import emit

# A reload replaces a ribbon or a film (what was left of the old one is taken out); blanks are
# topped up in the feeder.
REPLACED_ON_RELOAD = frozenset({Consumable.RIBBON, Consumable.FILM})
# meta: what a card uses on the printer that last said its model, so that a card booked after a
# restart, before the printer has said it again, books what that printer uses (not a film a
# Primacy has not got).
USED_KEY = "printer_consumables_used"


@dataclass(frozen=True)
class Balance:
    consumable: str
    loaded: int
    printed: int
    spoiled: int
    adjustments: int
    remaining: int
    capacity: int

    @property
    def holds(self) -> bool:
        return self.loaded == self.printed + self.spoiled + self.remaining - self.adjustments


class Ledger:
    def __init__(self, low_thresholds: dict[str, int]) -> None:
        self._low = low_thresholds
        # What a card uses on the station's printer (its model: controller/devices/models.py);
        # every consumable until a printer has said its model.
        self.used: frozenset[Consumable] = frozenset(Consumable)

    def recall_used(self, conn: sqlite3.Connection) -> None:
        """Take up what a card used on the printer last known (kept by `learn_used`)."""
        stored = get_meta(conn, USED_KEY)
        if stored is not None:
            self.used = frozenset(Consumable(name) for name in stored.split(",") if name)

    def learn_used(self, tx: sqlite3.Connection, used: frozenset[Consumable]) -> None:
        """The printer has said its model: a card uses `used` on it, from now and after a
        restart."""
        self.used = used  # first: in force in this run even if the write fails
        set_meta(tx, USED_KEY, ",".join(sorted(used)))

    def initialise(self, tx: sqlite3.Connection, loaded: dict[str, int], at: datetime) -> None:
        """Record the first load of a new station (what was in the printer when it came)."""
        for consumable in Consumable:
            exists = tx.execute(
                "SELECT 1 FROM consumables WHERE consumable = ?", (consumable,)
            ).fetchone()
            if exists:
                continue
            count = loaded.get(consumable, 0)
            tx.execute(
                "INSERT INTO consumables (consumable, remaining, capacity) VALUES (?, 0, ?)",
                (consumable, count),
            )
            self._change(tx, consumable, "load", count, at, note="initial")

    def use(
        self, tx: sqlite3.Connection, outcome: AttemptOutcome, job_id: str, at: datetime
    ) -> None:
        """One card attempt, printed or spoiled, uses one of each consumable it uses."""
        for consumable in self._in_use():
            remaining = self.remaining(tx, consumable)
            if remaining == 0:
                # The printer used something the ledger thought empty: the count was wrong.
                self._change(tx, consumable, "adjust", 1, at, note="used more than counted")
            self._change(tx, consumable, outcome, -1, at, job_id=job_id)
            book_use(tx, consumable, outcome, job_id, at)

    def reload(
        self,
        tx: sqlite3.Connection,
        consumable: str,
        count: int,
        capacity: int | None,
        lot: str | None,
        at: datetime,
        in_review: int = 0,
        operator: str | None = None,
        reason: str | None = None,
    ) -> None:
        """`operator` loaded the printer: `count` is how many cards' worth is in it now.

        A new ribbon or film replaces the old roll, whose rest is booked as taken out. Blanks
        are topped up: the difference is the load (or, if fewer are there than counted, an
        adjustment a person must explain: blanks are controlled documents). `in_review` cards
        of unknown outcome have used their share already, outside the printer now; it is
        booked when a person decides, so it stays on the books until then. Blanks fewer than
        counted are taken from the lots in stock too, oldest first, with the `reason`.
        """
        before = self.remaining(tx, consumable) - in_review
        by = f"reloaded by {operator}" if operator else None
        if consumable in REPLACED_ON_RELOAD:
            if before:
                self._change(tx, consumable, "adjust", -before, at, note="old roll taken out")
            self._change(tx, consumable, "load", count, at, lot=lot, note=by)
        elif count >= before:
            self._change(tx, consumable, "load", count - before, at, lot=lot, note=by)
        else:
            note = "; ".join(text for text in ("fewer than counted", by, reason) if text)
            self._change(tx, consumable, "adjust", count - before, at, note=note)
            take_from_lots(tx, consumable, before - count, operator or "", note, at)
        old_capacity = tx.execute(
            "SELECT capacity FROM consumables WHERE consumable = ?", (consumable,)
        ).fetchone()[0]
        new_capacity = capacity if capacity is not None else max(old_capacity, count)
        tx.execute(
            "UPDATE consumables SET capacity = ?, lot = coalesce(?, lot) WHERE consumable = ?",
            (new_capacity, lot, consumable),
        )
        reloaded = ConsumableReloaded(consumable, count, new_capacity, lot, operator or None)
        emit(tx, None, reloaded, at)

    def adopt(
        self,
        tx: sqlite3.Connection,
        consumable: str,
        reported: int,
        at: datetime,
        capacity: int = 0,
    ) -> None:
        """The printer reported its own count: take it, and book the difference. A `capacity`
        it reports (a ribbon's, from its tag) is taken too; the capacity on the books is never
        less than what remains."""
        difference = reported - self.remaining(tx, consumable)
        if difference:
            self._change(tx, consumable, "adjust", difference, at, note="printer count")
        tx.execute(
            "UPDATE consumables SET capacity = CASE WHEN ? > 0 THEN max(?, remaining)"
            " ELSE max(capacity, remaining) END WHERE consumable = ?",
            (capacity, capacity, consumable),
        )

    def used_outside(self, tx: sqlite3.Connection, cards: int, note: str, at: datetime) -> None:
        """The printer fed `cards` the station did not print (controller/queue/unaccounted.py):
        each used a blank, a ribbon set and (on a printer with one) a film panel, booked as
        adjustments with `note` (never below nothing left)."""
        for consumable in self._in_use():
            taken = min(cards, self.remaining(tx, consumable))
            if taken:
                self._change(tx, consumable, "adjust", -taken, at, note=note)

    def _in_use(self) -> list[Consumable]:
        """The consumables a card uses on the station's printer, in their order."""
        return [consumable for consumable in Consumable if consumable in self.used]

    def remaining(self, tx: sqlite3.Connection, consumable: str) -> int:
        row = tx.execute(
            "SELECT remaining FROM consumables WHERE consumable = ?", (consumable,)
        ).fetchone()
        if row is None:
            raise KeyError(f"unknown consumable {consumable!r}")
        return int(row[0])

    def balances(self, conn: sqlite3.Connection) -> dict[str, Balance]:
        sums = {
            (row[0], row[1]): int(row[2])
            for row in conn.execute(
                "SELECT consumable, kind, sum(delta) FROM ledger GROUP BY consumable, kind"
            )
        }
        result = {}
        for row in conn.execute("SELECT consumable, remaining, capacity FROM consumables"):
            name = row["consumable"]
            result[name] = Balance(
                consumable=name,
                loaded=sums.get((name, "load"), 0),
                printed=-sums.get((name, AttemptOutcome.PRINTED), 0),
                spoiled=-sums.get((name, AttemptOutcome.SPOILED), 0),
                adjustments=sums.get((name, "adjust"), 0),
                remaining=row["remaining"],
                capacity=row["capacity"],
            )
        return result

    def _change(
        self,
        tx: sqlite3.Connection,
        consumable: str,
        kind: str,
        delta: int,
        at: datetime,
        job_id: str | None = None,
        lot: str | None = None,
        note: str | None = None,
    ) -> None:
        row = tx.execute(
            "SELECT remaining, low FROM consumables WHERE consumable = ?", (consumable,)
        ).fetchone()
        before, was_low = int(row[0]), bool(row[1])
        after = before + delta
        tx.execute(
            "INSERT INTO ledger (time, consumable, kind, delta, job_id, lot, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rfc3339(at), consumable, kind, delta, job_id, lot, note),
        )
        threshold = self._low[consumable]
        emit_low, now_low = low_alert(after, threshold, was_low)
        tx.execute(
            "UPDATE consumables SET remaining = ?, low = ? WHERE consumable = ?",
            (after, int(now_low), consumable),
        )
        if emit_low:
            emit(tx, None, ConsumableLow(consumable, after, threshold), at)
        if empty_alert(before, after):
            emit(tx, None, ConsumableEmpty(consumable), at)
