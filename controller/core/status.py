"""The `ektp.status/1` document (CONTRACT.md), built from what the core loop knows.

The MQTT link adds `session`; everything else is here. No personal data: counts and codes only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from controller import __version__
from controller.clock import rfc3339
from controller.core.printer_worker import PrinterReport
from controller.core.scheduler import Evaluation

STATUS_SCHEMA = "ektp.status/1"


def build_status(
    station: str,
    now: datetime,
    state: str,
    evaluation: Evaluation,
    printer: PrinterReport,
    alerts: list[dict[str, Any]],
    daily_limit: int,
) -> dict[str, Any]:
    identity = printer.identity
    status = printer.status
    duty = evaluation.duty
    return {
        "schema": STATUS_SCHEMA,
        "station": station,
        "state": state,
        "time": rfc3339(now),
        "version": __version__,
        "printer": {
            "connected": printer.connected,
            "model": identity.model if identity else None,
            "serial": identity.serial if identity else None,
            "firmware": identity.firmware if identity else None,
            "flags": sorted(status.flags) if status and printer.connected else [],
        },
        "queue": {
            "queued": evaluation.counts["queued"],
            "printing": evaluation.counts["printing"],
            "needs_review": evaluation.counts["needs_review"],
        },
        "duty": {
            "printed_today": duty.printed_today,
            "daily_limit": daily_limit,
            "next_print_at": rfc3339(duty.next_print_at) if duty.next_print_at else None,
            "head_temp_c": round(duty.head_temp_c, 1),
        },
        "consumables": {
            name: {"remaining": evaluation.remaining[name], "capacity": evaluation.capacity[name]}
            for name in sorted(evaluation.remaining)
        },
        "alerts": alerts,
        "reasons": list(evaluation.state.reasons),
    }


def same_status(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    """Equal but for the time stamp: whether a change is worth publishing."""
    if a is None:
        return False
    return {**a, "time": None} == {**b, "time": None}
