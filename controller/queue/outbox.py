"""The event outbox: every event is a row written in the transaction of the change it reports.

`seq` comes from an AUTOINCREMENT key, so it starts at 1, grows by one per event and is never
reused, even after rows are pruned. The row holds the event's typed `data` as the contract
writes it, and the published message is built from the row, so a re-send carries the same
bytes and the same `event_id`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contract.clock import rfc3339
from contract.events import EventData, data_json, event_document, event_payload
from controller.queue.db import Database


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    type: str
    job_id: str | None
    time: str
    data: dict[str, Any]

    def message(self, station: str) -> dict[str, Any]:
        """The event as the contract publishes it."""
        return event_document(station, self.seq, self.type, self.time, self.job_id, self.data)

    def payload(self, station: str) -> bytes:
        return event_payload(station, self.seq, self.type, self.time, self.job_id, self.data)


def emit(tx: sqlite3.Connection, job_id: str | None, data: EventData, at: datetime) -> int:
    """Append one event of `data`'s type inside the caller's transaction; returns its `seq`."""
    cursor = tx.execute(
        "INSERT INTO outbox (type, job_id, time, data) VALUES (?, ?, ?, ?)",
        (data.TYPE, job_id, rfc3339(at), data_json(data)),
    )
    return int(cursor.lastrowid or 0)


class Outbox:
    """Reading side of the outbox, for the publisher."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def pending(self, after_seq: int = 0, limit: int = 100) -> list[OutboxEvent]:
        """Undelivered events with `seq` above `after_seq`, oldest first."""
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT seq, type, job_id, time, data FROM outbox "
                "WHERE delivered_at IS NULL AND seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [_event(row) for row in rows]

    def mark_delivered(self, seqs: list[int], at: datetime) -> None:
        if not seqs:
            return
        stamp = rfc3339(at)
        with self._db.transaction() as tx:
            tx.executemany(
                "UPDATE outbox SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL",
                [(stamp, seq) for seq in seqs],
            )

    def replay(self, from_seq: int, to_seq: int) -> int:
        """Mark the delivered events `from_seq`..`to_seq` undelivered, so that the publisher
        sends them again (a consumer found a gap in `seq`); returns how many."""
        with self._db.transaction() as tx:
            cursor = tx.execute(
                "UPDATE outbox SET delivered_at = NULL"
                " WHERE seq BETWEEN ? AND ? AND delivered_at IS NOT NULL",
                (from_seq, to_seq),
            )
            return cursor.rowcount

    def last_seq(self) -> int:
        with self._db.reading() as conn:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0])

    def pending_count(self) -> int:
        with self._db.reading() as conn:
            return int(
                conn.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0]
            )

    def all_events(self) -> list[OutboxEvent]:
        """Every event ever written, oldest first (tests, audits and `printstation jobs`)."""
        with self._db.reading() as conn:
            rows = conn.execute("SELECT seq, type, job_id, time, data FROM outbox ORDER BY seq")
            return [_event(row) for row in rows.fetchall()]


def _event(row: sqlite3.Row) -> OutboxEvent:
    return OutboxEvent(row["seq"], row["type"], row["job_id"], row["time"], json.loads(row["data"]))
