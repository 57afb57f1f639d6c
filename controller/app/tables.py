"""What `printstation status`, `jobs` and the manual actions print for a person at the kiosk:
aligned text in the person's language (controller/app/language.py), times in the station's time
zone (`--json` gives the daemon's documents unchanged: machine output is never translated)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contract.commands import JobsResult, JobSummary, PauseResult
from contract.shapes import from_json
from contract.status import Duty, LinkState, PrinterInfo, Status, Stock
from contract.vocabulary import CommandName, JobState, Reason, StationState
from controller.app.language import N_, _, english

NONE = "-"
STATES = {  # the station's state and a job's, in words (the code follows in brackets)
    StationState.STARTING: N_("starting up"),
    StationState.READY: N_("ready to print"),
    StationState.PRINTING: N_("printing a card"),
    StationState.COOLING: N_("cooling down"),
    StationState.PAUSED: N_("on pause"),
    StationState.BLOCKED: N_("stopped, needs a person"),
    StationState.ERROR: N_("printer error"),
    StationState.STOPPING: N_("shutting down"),
    StationState.OFFLINE: N_("off"),
    JobState.QUEUED: N_("waiting"),
    JobState.NEEDS_REVIEW: N_("needs a decision"),
    JobState.PRINTED: N_("card printed"),
    JobState.FAILED: N_("given up"),
    JobState.CANCELLED: N_("called off"),
    JobState.EXPIRED: N_("too old to print"),
}
REASONS = {
    Reason.PRINTER_MISSING: N_("printer not connected"),
    Reason.COVER_OPEN: N_("printer cover open"),
    Reason.CARDS_EMPTY: N_("blanks empty: reload"),
    Reason.RIBBON_EMPTY: N_("ribbon used up"),
    Reason.FILM_EMPTY: N_("film used up"),
    Reason.REVIEW_PENDING: N_("a card needs a decision"),
    Reason.PRINTER_ERROR: N_("printer error"),
    Reason.DAILY_LIMIT: N_("today's limit reached"),
    Reason.HOURLY_LIMIT: N_("this hour's limit reached"),
    Reason.HEAD_COOLING: N_("print head cooling"),
    Reason.PRINTER_COOLING: N_("printer cooling"),
}


def in_words(code: str, words: dict[str, str]) -> str:
    """A state's or reason's words with its code in brackets; in English the code alone (the
    contract's codes are English words), as for a code without words."""
    if english() or code not in words:
        return code
    return f"{_(words[code])} ({code})"


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
        return _("not reported")
    state = _("connected") if link.connected else _("DISCONNECTED")
    pending = _("cannot tell") if link.unsent_events is None else str(link.unsent_events)
    return _("%(state)s (session %(session)s), events not yet sent: %(pending)s") % {
        "state": state,
        "session": link.session,
        "pending": pending,
    }


def _printer(printer: PrinterInfo) -> str:
    return _("%(model)s serial %(serial)s, flags %(flags)s") % {
        "model": printer.model or NONE,
        "serial": printer.serial or NONE,
        "flags": ", ".join(printer.flags) or _("none"),
    }


def _today(duty: Duty, zone: ZoneInfo) -> str:
    text = _("%(done)s of %(limit)s printed, head %(heat)s °C, next card %(next)s")
    return text % {
        "done": duty.printed_today,
        "limit": duty.daily_limit,
        "heat": duty.head_temp_c,
        "next": local_time(duty.next_print_at, zone),
    }


def status_text(status: Status, zone: ZoneInfo) -> str:
    """The status document as labelled lines."""
    rows = [
        (_("station"), _("%(station)s (version %(version)s)") % {
            "station": status.station,
            "version": status.version or NONE,
        }),
        (_("state"), in_words(status.state, STATES)),
        (_("as of"), local_time(status.time, zone)),
        ("MQTT", _link(status.link)),
    ]  # fmt: skip
    if status.reasons:
        rows.append((_("why"), ", ".join(in_words(r, REASONS) for r in status.reasons)))
    if printer := status.printer:
        rows.append((_("printer"), _printer(printer) if printer.connected else _("NOT CONNECTED")))
    if queue := status.queue:
        counts = queue.by_state().items()
        rows.append((_("queue"), ", ".join(f"{count} {name}" for name, count in counts)))
    if duty := status.duty:
        rows.append((_("today"), _today(duty, zone)))
    for name, level in (status.consumables or {}).items():
        rows.append((name, _("%(remaining)s of %(capacity)s") % vars(level)))
    for alert in status.alerts or ():
        rows.append((_("alert"), _("%(severity)s %(code)s since %(since)s") % {
            "severity": alert.severity,
            "code": alert.code,
            "since": local_time(alert.since, zone),
        }))  # fmt: skip
    return _pairs(rows)


JOB_COLUMNS = (
    ("job_id", N_("JOB")),
    ("state", N_("STATE")),
    ("reason", N_("REASON")),
    ("attempts", N_("TRIES")),
    ("nik_masked", "NIK"),
    ("received_at", N_("RECEIVED")),
    ("not_after", N_("NOT AFTER")),
)
TIME_COLUMNS = ("received_at", "not_after")


def jobs_text(result: JobsResult, zone: ZoneInfo) -> str:
    """The active jobs as a table under a line of counts."""
    counts = ", ".join(f"{n} {state}" for state, n in result.counts.items())
    if not result.jobs:
        return _("no active jobs (%(counts)s)") % {"counts": counts or _("none stored")}
    cells = [
        [
            local_time(getattr(job, key), zone)
            if key in TIME_COLUMNS
            else str(getattr(job, key) or NONE)
            for key, _title in JOB_COLUMNS
        ]
        for job in result.jobs
    ]
    header = [_(title) for _key, title in JOB_COLUMNS]
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
        now = {"state": in_words(done.state, STATES)}
        if done.paused:
            return (
                _("paused: the card in progress finishes, no new one starts (now %(state)s)") % now
            )
        return _("resumed: printing goes on (now %(state)s)") % now
    if command in (CommandName.CANCEL, CommandName.RESOLVE):
        job = from_json(JobSummary, result, "the result")
        return _("job %(job_id)s is %(state)s (%(attempts)s blanks used)") % {
            "job_id": job.job_id,
            "state": in_words(job.state, STATES),
            "attempts": job.attempts,
        }
    if command == CommandName.RELOAD:
        stock = from_json(Stock, result, "the result")
        return _("reloaded: %(remaining)s of %(capacity)s on the books") % vars(stock)
    return None
