"""What `printstation status` and `printstation jobs` print for a person at the kiosk: aligned
text, times in the station's time zone (`--json` gives the daemon's documents unchanged)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

NONE = "-"


def local_time(stamp: str | None, zone: ZoneInfo) -> str:
    """An RFC 3339 time stamp as local wall time with the zone's abbreviation."""
    if not stamp:
        return NONE
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _pairs(rows: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _link(link: dict[str, Any] | None) -> str:
    if not link:
        return "not reported"
    unsent = link.get("unsent_events")
    state = "connected" if link.get("connected") else "DISCONNECTED"
    pending = "cannot tell" if unsent is None else str(unsent)
    return f"{state} (session {link.get('session')}), events not yet sent: {pending}"


def status_text(status: dict[str, Any], zone: ZoneInfo) -> str:
    """The status document as labelled lines."""
    rows = [
        ("station", f"{status.get('station')} (version {status.get('version', NONE)})"),
        ("state", str(status.get("state"))),
        ("as of", local_time(status.get("time"), zone)),
        ("MQTT", _link(status.get("link"))),
    ]
    if reasons := status.get("reasons"):
        rows.append(("why", ", ".join(reasons)))
    if printer := status.get("printer"):
        rows.append(
            (
                "printer",
                f"{printer.get('model') or NONE} serial {printer.get('serial') or NONE}, "
                f"flags {', '.join(printer.get('flags') or []) or 'none'}"
                if printer.get("connected")
                else "NOT CONNECTED",
            )
        )
    if queue := status.get("queue"):
        rows.append(("queue", ", ".join(f"{count} {name}" for name, count in queue.items())))
    if duty := status.get("duty"):
        rows.append(
            (
                "today",
                f"{duty.get('printed_today')} of {duty.get('daily_limit')} printed, "
                f"head {duty.get('head_temp_c')} °C, "
                f"next card {local_time(duty.get('next_print_at'), zone)}",
            )
        )
    for name, level in (status.get("consumables") or {}).items():
        rows.append((name, f"{level.get('remaining')} of {level.get('capacity')}"))
    for alert in status.get("alerts") or []:
        rows.append(
            (
                "alert",
                f"{alert.get('severity')} {alert.get('code')} since "
                f"{local_time(alert.get('since'), zone)}",
            )
        )
    return _pairs(rows)


JOB_COLUMNS = (
    ("job_id", "JOB"),
    ("state", "STATE"),
    ("reason", "REASON"),
    ("attempts", "TRIES"),
    ("nik_masked", "NIK"),
    ("received_at", "RECEIVED"),
    ("not_after", "NOT AFTER"),
)
TIME_COLUMNS = ("received_at", "not_after")


def jobs_text(result: dict[str, Any], zone: ZoneInfo) -> str:
    """The active jobs as a table under a line of counts."""
    counts = ", ".join(f"{n} {state}" for state, n in (result.get("counts") or {}).items())
    jobs = result.get("jobs") or []
    if not jobs:
        return f"no active jobs ({counts or 'none stored'})"
    cells = [
        [
            local_time(job.get(key), zone) if key in TIME_COLUMNS else str(job.get(key) or NONE)
            for key, _ in JOB_COLUMNS
        ]
        for job in jobs
    ]
    header = [title for _, title in JOB_COLUMNS]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *cells]
    ]
    return "\n".join([*lines, f"({counts})"])
