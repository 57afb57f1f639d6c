"""Alerts: conditions a person should know of, raised and cleared with an event each.

The set of alerts in force is stored, so a restart neither repeats `alert.raised` for a
condition already announced nor forgets to clear one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from controller.clock import rfc3339
from controller.queue.db import Database
from controller.queue.outbox import emit


@dataclass(frozen=True)
class Alert:
    code: str
    severity: str  # info, warning, error
    message: str


# Station reasons (controller/policy/station_state.py) that a person must see.
REASON_ALERTS = {
    "printer_missing": Alert("printer_missing", "error", "the printer is not connected"),
    "cover_open": Alert("cover_open", "error", "a cover is open"),
    "cards_empty": Alert("cards_empty", "error", "no blank cards left: reload the feeder"),
    "ribbon_empty": Alert("ribbon_empty", "error", "the ribbon is used up or broken: reload it"),
    "film_empty": Alert("film_empty", "error", "the retransfer film is used up: reload it"),
    "review_pending": Alert(
        "review_pending", "warning", "a card's outcome is unknown: check it and resolve the job"
    ),
    "printer_error": Alert("printer_error", "error", "the printer reports an error"),
}


class AlertBook:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._known: set[str] | None = None  # codes stored, once read

    def sync(self, wanted: list[Alert], now: datetime) -> bool:
        """Make the stored alerts equal to `wanted`; returns whether anything changed."""
        by_code = {alert.code: alert for alert in wanted}
        if self._known == set(by_code):
            return False  # the usual case: nothing to write
        with self._db.transaction() as tx:
            stored = {row[0] for row in tx.execute("SELECT code FROM alerts")}
            for code in sorted(stored - set(by_code)):
                tx.execute("DELETE FROM alerts WHERE code = ?", (code,))
                emit(tx, "alert.cleared", None, {"code": code}, now)
            for code in sorted(set(by_code) - stored):
                alert = by_code[code]
                tx.execute(
                    "INSERT INTO alerts (code, severity, message, since) VALUES (?, ?, ?, ?)",
                    (code, alert.severity, alert.message, rfc3339(now)),
                )
                emit(
                    tx,
                    "alert.raised",
                    None,
                    {"code": code, "severity": alert.severity, "message": alert.message},
                    now,
                )
        self._known = set(by_code)
        return stored != set(by_code)

    def current(self) -> list[dict[str, Any]]:
        with self._db.reading() as conn:
            rows = conn.execute("SELECT code, severity, since FROM alerts ORDER BY since, code")
            return [dict(row) for row in rows.fetchall()]
