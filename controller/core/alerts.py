"""Alerts: conditions a person should know of, raised and cleared with an event each.

The set of alerts in force is stored, so a restart neither repeats `alert.raised` for a
condition already announced nor forgets to clear one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.clock import rfc3339
from contract.events import AlertCleared, AlertRaised
from contract.status import AlertInForce
from contract.vocabulary import ALERT_REASONS, AlertCode, Reason, Severity
from controller.queue.db import Database, StoreError
from controller.queue.outbox import emit


@dataclass(frozen=True)
class Alert:
    code: Reason | AlertCode  # a reason of ALERT_REASONS, or the station's own
    severity: Severity
    message: str


# Station reasons (controller/policy/station_state.py) that a person must see.
REASON_ALERTS: dict[str, Alert] = {
    alert.code: alert
    for alert in (
        Alert(Reason.PRINTER_MISSING, Severity.ERROR, "the printer is not connected"),
        Alert(Reason.COVER_OPEN, Severity.ERROR, "a cover is open"),
        Alert(Reason.CARDS_EMPTY, Severity.ERROR, "no blank cards left: reload the feeder"),
        Alert(Reason.RIBBON_EMPTY, Severity.ERROR, "the ribbon is used up or broken: reload it"),
        Alert(Reason.FILM_EMPTY, Severity.ERROR, "the retransfer film is used up: reload it"),
        Alert(
            Reason.REVIEW_PENDING,
            Severity.WARNING,
            "a card's outcome is unknown: check it and resolve the job",
        ),
        Alert(Reason.PRINTER_ERROR, Severity.ERROR, "the printer reports an error"),
    )
}
assert set(REASON_ALERTS) == ALERT_REASONS


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
                emit(tx, None, AlertCleared(code), now)
            for code in sorted(set(by_code) - stored):
                alert = by_code[code]
                tx.execute(
                    "INSERT INTO alerts (code, severity, message, since) VALUES (?, ?, ?, ?)",
                    (code, alert.severity, alert.message, rfc3339(now)),
                )
                emit(tx, None, AlertRaised(code, alert.severity, alert.message), now)
        self._known = set(by_code)
        return stored != set(by_code)

    def in_force(self, unstored: list[Alert], now: datetime) -> tuple[AlertInForce, ...]:
        """The status's `alerts`: those stored, and those in force that storage could not take
        (shown since `now`)."""
        try:
            stored = self.current()
        except StoreError:
            stored = []
        known = {alert.code for alert in stored}
        since = rfc3339(now)
        return (
            *stored,
            *(
                AlertInForce(alert.code, alert.severity, since)
                for alert in unstored
                if alert.code not in known
            ),
        )

    def current(self) -> list[AlertInForce]:
        with self._db.reading() as conn:
            rows = conn.execute("SELECT code, severity, since FROM alerts ORDER BY since, code")
            return [AlertInForce(*row) for row in rows.fetchall()]
