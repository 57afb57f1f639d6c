"""The `ektp.status/1` document (docs/interface.md), built from what the core loop knows.

The MQTT link adds `session`; everything else is here. No personal data: counts and codes only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from contract.clock import rfc3339
from contract.status import AlertInForce, Duty, PrinterInfo, QueueCounts, Status, Stock
from contract.vocabulary import JobState, StationState
from controller import __version__
from controller.core.alerts import REASON_ALERTS, Alert, AlertBook
from controller.core.printer_worker import PrinterReport
from controller.core.scheduler import Evaluation


def build_status(
    station: str,
    now: datetime,
    state: StationState,
    evaluation: Evaluation,
    printer: PrinterReport,
    alerts: tuple[AlertInForce, ...],
    daily_limit: int,
) -> Status:
    identity = printer.identity
    flags = printer.status.flags if printer.status and printer.connected else ()
    duty = evaluation.duty
    return Status(
        station,
        state,
        time=rfc3339(now),
        version=__version__,
        printer=PrinterInfo(
            connected=printer.connected,
            model=identity.model if identity else None,
            serial=identity.serial if identity else None,
            firmware=identity.firmware if identity else None,
            flags=tuple(sorted(flags)),
        ),
        queue=QueueCounts(
            queued=evaluation.counts[JobState.QUEUED],
            printing=evaluation.counts[JobState.PRINTING],
            needs_review=evaluation.counts[JobState.NEEDS_REVIEW],
        ),
        duty=Duty(
            printed_today=duty.printed_today,
            daily_limit=daily_limit,
            next_print_at=rfc3339(duty.next_print_at) if duty.next_print_at else None,
            head_temp_c=round(duty.head_temp_c, 1),
        ),
        consumables={
            name: Stock(evaluation.remaining[name], evaluation.capacity[name])
            for name in sorted(evaluation.remaining)
        },
        alerts=alerts,
        reasons=tuple(evaluation.state.reasons),
    )


class StatusBoard:
    """The status document of the last tick, and the stored alerts it shows."""

    def __init__(self, station: str, daily_limit: int, alerts: AlertBook) -> None:
        self._station, self._daily_limit, self._alerts = station, daily_limit, alerts
        self._status: Status | None = None

    def sync_alerts(self, reasons: Iterable[str], extra: list[Alert], now: datetime) -> None:
        """Store the alerts in force: those of the station's reasons, and `extra`."""
        derived = [REASON_ALERTS[reason] for reason in reasons if reason in REASON_ALERTS]
        self._alerts.sync(derived + extra, now)

    def update(
        self,
        now: datetime,
        state: StationState,
        evaluation: Evaluation,
        printer: PrinterReport,
        extra: list[Alert],
    ) -> bool:
        """Build this tick's document; returns whether it changed (worth publishing)."""
        alerts = self._alerts.in_force(extra, now)
        status = build_status(
            self._station, now, state, evaluation, printer, alerts, self._daily_limit
        )
        if same_status(self._status, status):
            return False
        self._status = status
        return True

    def latest(self) -> Status:
        """The last tick's document, whole (state and alerts from one tick)."""
        return self._status or Status(self._station, StationState.STARTING)


def same_status(a: Status | None, b: Status) -> bool:
    """Equal but for the time stamp: whether a change is worth publishing."""
    return a is not None and replace(a, time=None) == replace(b, time=None)
