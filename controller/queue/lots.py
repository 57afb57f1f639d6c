"""Lots of blanks, ribbon and film, and the spoiled blanks' custody (docs/blanks.md).

A lot is received (signed by an operator) and countersigned by a supervisor; from then it is in
stock, and each card attempt uses one of each consumable from the oldest lot that has any left.
A spoiled blank stays in custody, listed with its job, cause and time, until a destruction record
(date, count, two named officials, one a supervisor) closes it. For every lot at all times:

    received = printed + spoiled + in_stock - adjustments

where `spoiled` counts the lot's spoiled blanks, in custody or destroyed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from contract.clock import rfc3339
from contract.events import BlanksDestroyed, LedgerAdjusted, LotReceived
from contract.vocabulary import AttemptOutcome, Consumable, JobReason
from controller.queue.db import Database
from controller.queue.outbox import emit
from controller.said import said

ADJUST = "adjust"  # lot_moves.kind of a correction
DECIDED_BY_A_PERSON = "decided by a person"  # the cause of a spoiled blank a person found


class LotError(Exception):
    """A lot that cannot be received, countersigned, adjusted or destroyed from."""


@dataclass(frozen=True)
class LotBooks:
    """One lot's books for a period: what came and went in it (`received`, `printed`,
    `spoiled`, `destroyed`, `adjusted`) and what was left at its end (`in_stock`, `in_custody`:
    spoiled, not yet destroyed)."""

    consumable: str
    lot: str
    received: int
    printed: int
    spoiled: int
    destroyed: int
    in_custody: int
    adjusted: int
    in_stock: int

    @property
    def holds(self) -> bool:
        return self.received == self.printed + self.spoiled + self.in_stock - self.adjusted and (
            self.consumable != Consumable.CARDS or self.spoiled == self.in_custody + self.destroyed
        )


@dataclass(frozen=True)
class Destruction:
    record: int
    count: int
    job_ids: tuple[str, ...]


def book_use(
    tx: sqlite3.Connection, consumable: str, outcome: AttemptOutcome, job_id: str, at: datetime
) -> None:
    """One card attempt used one `consumable`: from the oldest lot in stock (a replacement's
    blank: the oldest whose share for replacements has room; none: from no lot); a spoiled
    blank goes into custody."""
    lot_id = _oldest_in_stock(tx, consumable, _is_replacement(tx, consumable, job_id))
    if lot_id is not None:
        tx.execute(
            "INSERT INTO lot_moves (time, lot_id, kind, delta, job_id) VALUES (?, ?, ?, -1, ?)",
            (rfc3339(at), lot_id, outcome, job_id),
        )
    if consumable == Consumable.CARDS and outcome == AttemptOutcome.SPOILED:
        row = tx.execute(
            "SELECT cause FROM attempts WHERE job_id = ? ORDER BY id DESC LIMIT 1", (job_id,)
        ).fetchone()
        cause = row[0] if row is not None and row[0] else DECIDED_BY_A_PERSON
        tx.execute(
            "INSERT INTO spoiled_blanks (time, job_id, lot_id, cause) VALUES (?, ?, ?, ?)",
            (rfc3339(at), job_id, lot_id, cause),
        )


def book_adjustment(
    tx: sqlite3.Connection,
    consumable: str,
    lot: str | None,
    delta: int,
    account: str,
    reason: str,
    at: datetime,
) -> str | None:
    """Correct a lot's stock by `delta` (no lot named: the oldest in stock, if any); returns
    the lot booked. A lot's stock never goes below 0."""
    if lot is None:
        lot_id = _oldest_in_stock(tx, consumable)
        if lot_id is None:
            return None
    else:
        lot_id = _lot_id(tx, consumable, lot)
    if _stock(tx, lot_id) + delta < 0:
        raise LotError(
            said(
                "lot has %(stock)s in stock; cannot take %(take)s",
                stock=_stock(tx, lot_id),
                take=-delta,
            )
        )
    return _adjust(tx, lot_id, delta, account, reason, at)


def take_from_lots(
    tx: sqlite3.Connection, consumable: str, count: int, account: str, reason: str, at: datetime
) -> int:
    """`count` missing: taken from the lots in stock, oldest first; returns how many were."""
    taken = 0
    while taken < count and (lot_id := _oldest_in_stock(tx, consumable)) is not None:
        step = min(count - taken, _stock(tx, lot_id))
        _adjust(tx, lot_id, -step, account, reason, at)
        taken += step
    return taken


def _adjust(
    tx: sqlite3.Connection, lot_id: int, delta: int, account: str, reason: str, at: datetime
) -> str:
    """Book a correction of a lot and its `ledger.adjusted`; returns the lot."""
    tx.execute(
        "INSERT INTO lot_moves (time, lot_id, kind, delta, account, reason)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (rfc3339(at), lot_id, ADJUST, delta, account, reason),
    )
    consumable, lot = tx.execute(
        "SELECT consumable, lot FROM lots WHERE id = ?", (lot_id,)
    ).fetchone()
    emit(tx, None, LedgerAdjusted(Consumable(consumable), lot, delta, reason, account), at)
    return str(lot)


class Lots:
    def __init__(self, db: Database) -> None:
        self._db = db

    def receive(
        self,
        consumable: Consumable,
        lot: str,
        quantity: int,
        received_on: str,
        operator: str,
        at: datetime,
        new_share: int = 0,
    ) -> None:
        """`new_share`: the percentage of the lot reserved for `new` cards (a quota)."""
        with self._db.transaction() as tx:
            try:
                tx.execute(
                    "INSERT INTO lots (consumable, lot, quantity, received_on, received_at,"
                    " received_by, new_share) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (consumable, lot, quantity, received_on, rfc3339(at), operator, new_share),
                )
            except sqlite3.IntegrityError:
                raise LotError(
                    said(
                        "%(consumable)s lot %(lot)r was received already",
                        consumable=consumable,
                        lot=lot,
                    )
                ) from None

    def countersign(self, consumable: Consumable, lot: str, supervisor: str, at: datetime) -> None:
        """A supervisor countersigns a lot another person received: it is in stock from now."""
        with self._db.transaction() as tx:
            lot_id = _lot_id(tx, consumable, lot)
            received_by, signed = tx.execute(
                "SELECT received_by, countersigned_by FROM lots WHERE id = ?", (lot_id,)
            ).fetchone()
            if signed is not None:
                raise LotError(
                    said(
                        "%(consumable)s lot %(lot)r is countersigned already by %(signed)s",
                        consumable=consumable,
                        lot=lot,
                        signed=signed,
                    )
                )
            if received_by == supervisor:
                raise LotError(
                    said(
                        "%(name)s received lot %(lot)r; another person countersigns",
                        name=supervisor,
                        lot=lot,
                    )
                )
            tx.execute(
                "UPDATE lots SET countersigned_by = ?, countersigned_at = ? WHERE id = ?",
                (supervisor, rfc3339(at), lot_id),
            )
            quantity, received_on = tx.execute(
                "SELECT quantity, received_on FROM lots WHERE id = ?", (lot_id,)
            ).fetchone()
            received = LotReceived(consumable, lot, quantity, received_on, received_by, supervisor)
            emit(tx, None, received, at)

    def destroy(
        self, count: int, destroyed_on: str, supervisor: str, witness: str, at: datetime
    ) -> Destruction:
        """Close the `count` oldest spoiled blanks in custody under one destruction record."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT id, job_id FROM spoiled_blanks WHERE destruction_id IS NULL"
                " ORDER BY id LIMIT ?",
                (count,),
            ).fetchall()
            if len(rows) < count:
                raise LotError(
                    said(
                        "%(held)s spoiled blanks are in custody, not %(count)s",
                        held=len(rows),
                        count=count,
                    )
                )
            record = tx.execute(
                "INSERT INTO destructions (destroyed_on, count, supervisor, witness, time)"
                " VALUES (?, ?, ?, ?, ?)",
                (destroyed_on, count, supervisor, witness, rfc3339(at)),
            ).lastrowid
            assert record is not None
            tx.executemany(
                "UPDATE spoiled_blanks SET destruction_id = ? WHERE id = ?",
                [(record, row["id"]) for row in rows],
            )
            jobs = tuple(row["job_id"] for row in rows)
            destroyed = BlanksDestroyed(record, count, destroyed_on, supervisor, witness, jobs)
            emit(tx, None, destroyed, at)
        return Destruction(record, count, jobs)

    def quota_spent(self) -> bool:
        """Blanks are in stock, but every lot's share for replacements is used up (the rest is
        reserved for `new` cards): `selection.order`'s `quota_spent`."""
        with self._db.reading() as conn:
            in_stock = _oldest_in_stock(conn, Consumable.CARDS) is not None
            return in_stock and _oldest_in_stock(conn, Consumable.CARDS, True) is None

    def in_custody(self) -> list[tuple[str, str, str]]:
        """The spoiled blanks not yet destroyed, oldest first: (time, job, cause)."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT time, job_id, cause FROM spoiled_blanks WHERE destruction_id IS NULL"
                " ORDER BY id"
            ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def books(self, since: str = "", until: str = "9999") -> list[LotBooks]:
        """Every lot's books for the period [`since`, `until`) (RFC 3339 UTC; by default, all
        time), oldest lot first: what came and went in it, and what was left at its end. A lot
        is on the books from its countersignature (as `lot.received` says)."""
        with self._db.reading() as conn:
            lots = conn.execute(
                "SELECT id, consumable, lot, quantity, countersigned_at FROM lots"
                " WHERE countersigned_at < ? ORDER BY id",
                (until,),
            ).fetchall()
            return [_books(conn, row, since, until) for row in lots]


def _books(conn: sqlite3.Connection, lot: sqlite3.Row, since: str, until: str) -> LotBooks:
    moves = {
        kind: int(total)
        for kind, total in conn.execute(
            "SELECT kind, sum(delta) FROM lot_moves WHERE lot_id = ? AND time >= ? AND time < ?"
            " GROUP BY kind",
            (lot["id"], since, until),
        )
    }
    (stock,) = conn.execute(
        "SELECT ? + coalesce(sum(delta), 0) FROM lot_moves WHERE lot_id = ? AND time < ?",
        (lot["quantity"], lot["id"], until),
    ).fetchone()
    custody, destroyed = conn.execute(
        "SELECT count(*) FILTER (WHERE d.id IS NULL OR d.time >= ?),"
        " count(*) FILTER (WHERE d.time >= ? AND d.time < ?)"
        " FROM spoiled_blanks s LEFT JOIN destructions d ON d.id = s.destruction_id"
        " WHERE s.lot_id = ? AND s.time < ?",
        (until, since, until, lot["id"], until),
    ).fetchone()
    return LotBooks(
        consumable=lot["consumable"],
        lot=lot["lot"],
        received=lot["quantity"] if lot["countersigned_at"] >= since else 0,
        printed=-moves.get(AttemptOutcome.PRINTED, 0),
        spoiled=-moves.get(AttemptOutcome.SPOILED, 0),
        destroyed=int(destroyed),
        in_custody=int(custody),
        adjusted=moves.get(ADJUST, 0),
        in_stock=int(stock),
    )


def _oldest_in_stock(
    tx: sqlite3.Connection, consumable: str, replacement: bool = False
) -> int | None:
    """The oldest countersigned lot with any left; for a `replacement`, the oldest whose share
    for replacements (all but its `new_share` percent) is not used up."""
    row = tx.execute(
        "SELECT l.id FROM lots l LEFT JOIN lot_moves m ON m.lot_id = l.id"
        " LEFT JOIN jobs j ON j.job_id = m.job_id AND m.kind IN (?, ?)"
        " WHERE l.consumable = ? AND l.countersigned_by IS NOT NULL"
        " GROUP BY l.id HAVING l.quantity + coalesce(sum(m.delta), 0) > 0"
        " AND (NOT ? OR count(j.job_id) FILTER (WHERE j.reason <> ?)"
        " < l.quantity * (100 - l.new_share) / 100)"
        " ORDER BY l.received_on, l.id LIMIT 1",
        (AttemptOutcome.PRINTED, AttemptOutcome.SPOILED, consumable, replacement, JobReason.NEW),
    ).fetchone()
    return None if row is None else int(row[0])


def _is_replacement(tx: sqlite3.Connection, consumable: str, job_id: str) -> bool:
    """A blank for a replacement card (quotas apply to blanks only)."""
    if consumable != Consumable.CARDS:
        return False
    row = tx.execute("SELECT reason FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    return row is not None and row[0] != JobReason.NEW


def _lot_id(tx: sqlite3.Connection, consumable: str, lot: str) -> int:
    row = tx.execute(
        "SELECT id FROM lots WHERE consumable = ? AND lot = ?", (consumable, lot)
    ).fetchone()
    if row is None:
        raise LotError(said("no %(consumable)s lot %(lot)r", consumable=consumable, lot=lot))
    return int(row[0])


def _stock(tx: sqlite3.Connection, lot_id: int) -> int:
    row = tx.execute(
        "SELECT l.quantity + coalesce(sum(m.delta), 0) FROM lots l"
        " LEFT JOIN lot_moves m ON m.lot_id = l.id WHERE l.id = ?",
        (lot_id,),
    ).fetchone()
    return int(row[0])
