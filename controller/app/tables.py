"""What `printstation status`, `jobs` and the manual actions print for a person at the kiosk:
aligned text, times in the station's time zone (`--json` gives the daemon's documents unchanged)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contract.commands import JobsResult, JobSummary, PauseResult
from contract.shapes import from_json
from contract.status import LinkState, Status, Stock
from contract.vocabulary import CommandName

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


def _link(link: LinkState | None) -> str:
    if not link:
        return "not reported"
    state = "connected" if link.connected else "DISCONNECTED"
    pending = "cannot tell" if link.unsent_events is None else str(link.unsent_events)
    return f"{state} (session {link.session}), events not yet sent: {pending}"


def status_text(status: Status, zone: ZoneInfo) -> str:
    """The status document as labelled lines."""
    rows = [
        ("station", f"{status.station} (version {status.version or NONE})"),
        ("state", str(status.state)),
        ("as of", local_time(status.time, zone)),
        ("MQTT", _link(status.link)),
    ]
    if status.reasons:
        rows.append(("why", ", ".join(status.reasons)))
    if printer := status.printer:
        rows.append(
            (
                "printer",
                f"{printer.model or NONE} serial {printer.serial or NONE}, "
                f"flags {', '.join(printer.flags) or 'none'}"
                if printer.connected
                else "NOT CONNECTED",
            )
        )
    if queue := status.queue:
        counts = queue.by_state().items()
        rows.append(("queue", ", ".join(f"{count} {name}" for name, count in counts)))
    if duty := status.duty:
        rows.append(
            (
                "today",
                f"{duty.printed_today} of {duty.daily_limit} printed, "
                f"head {duty.head_temp_c} °C, "
                f"next card {local_time(duty.next_print_at, zone)}",
            )
        )
    for name, level in (status.consumables or {}).items():
        rows.append((name, f"{level.remaining} of {level.capacity}"))
    for alert in status.alerts or ():
        rows.append(
            ("alert", f"{alert.severity} {alert.code} since {local_time(alert.since, zone)}")
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


def jobs_text(result: JobsResult, zone: ZoneInfo) -> str:
    """The active jobs as a table under a line of counts."""
    counts = ", ".join(f"{n} {state}" for state, n in result.counts.items())
    if not result.jobs:
        return f"no active jobs ({counts or 'none stored'})"
    cells = [
        [
            local_time(getattr(job, key), zone)
            if key in TIME_COLUMNS
            else str(getattr(job, key) or NONE)
            for key, _ in JOB_COLUMNS
        ]
        for job in result.jobs
    ]
    header = [title for _, title in JOB_COLUMNS]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *cells]
    ]
    return "\n".join([*lines, f"({counts})"])


def action_text(command: str, result: dict[str, Any]) -> str | None:
    """One line for what `pause`, `resume`, `cancel`, `resolve` and `reload` did (None: another
    command, printed as JSON)."""
    if command in (CommandName.PAUSE, CommandName.RESUME):
        done = from_json(PauseResult, result, "the result")
        if done.paused:
            return f"paused: the card in progress finishes, no new one starts (now {done.state})"
        return f"resumed: printing goes on (now {done.state})"
    if command in (CommandName.CANCEL, CommandName.RESOLVE):
        job = from_json(JobSummary, result, "the result")
        return f"job {job.job_id} is {job.state} ({job.attempts} blanks used)"
    if command == CommandName.RELOAD:
        stock = from_json(Stock, result, "the result")
        return f"reloaded: {stock.remaining} of {stock.capacity} on the books"
    return None
