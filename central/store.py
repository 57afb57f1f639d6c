"""The effects of station messages, in one PostgreSQL transaction per batch.

`Effects.apply` takes a batch of messages as they came from the broker and commits, together:
each event new by `event_id` (a repeat does nothing), the operators' copy of the events they
must see, the printed card and its SMS handed to the gateway, and the fleet's latest status.
The caller acknowledges the messages only after it returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg
import structlog

from central.gateway import SmsGateway
from central.intake import Intake, Message, ReceivedStatus, TimeWindow
from central.sms import Contact, ReminderSchedule, Sms, printed_sms, reminder_sms
from central.tail import TailCheck, tail_checks
from contract.events import Event
from contract.topics import DEFAULT_ROOT, Topics
from contract.vocabulary import EventType

log = structlog.get_logger("central.store")

# The events the office's operators must see (docs/central.md, "operator_events").
OPERATOR_TYPES = frozenset(
    {
        EventType.JOB_REJECTED,
        EventType.JOB_FAILED,
        EventType.JOB_EXPIRED,
        EventType.JOB_NEEDS_REVIEW,
        EventType.CARDS_UNACCOUNTED,
        EventType.CARD_SPOILED,
        EventType.LOT_RECEIVED,
        EventType.LEDGER_ADJUSTED,
        EventType.BLANKS_DESTROYED,
        EventType.CONSUMABLE_LOW,
        EventType.CONSUMABLE_EMPTY,
        EventType.CONSUMABLE_RELOADED,
        EventType.ALERT_RAISED,
        EventType.ALERT_CLEARED,
    }
)
NO_CONTACT = "no_contact"  # operator_events.code: a card printed for a job with no phone on file
WRONG_STATION = "wrong_station"  # operator_events.code: an event for another station's job
OFFICE_ZONE = ZoneInfo("Asia/Jakarta")  # WIB: the dates in an SMS, unless configured


@dataclass
class BatchResult:
    new: int = 0
    duplicates: int = 0
    bad: int = 0
    statuses: int = 0
    sms: list[Sms] = field(default_factory=list)
    tail_checks: list[TailCheck] = field(default_factory=list)  # `replay`s to ask for
    events: list[Event] = field(default_factory=list)  # the new ones

    def add(self, other: BatchResult) -> None:
        self.new += other.new
        self.duplicates += other.duplicates
        self.bad += other.bad
        self.statuses += other.statuses
        self.sms.extend(other.sms)
        self.tail_checks.extend(other.tail_checks)
        self.events.extend(other.events)


class Effects:
    def __init__(
        self,
        gateway: SmsGateway,
        schedule: ReminderSchedule,
        root: str = DEFAULT_ROOT,
        window: TimeWindow | None = None,
        zone: ZoneInfo = OFFICE_ZONE,
    ) -> None:
        """`root`: the topic root the stations publish under; `zone`: the office's time zone,
        the dates in an SMS are its dates."""
        self._gateway, self._schedule, self._root = gateway, schedule, root
        self._intake = Intake(root, window)
        self._zone = zone

    def apply(
        self, conn: psycopg.Connection, batch: Sequence[Message], now: datetime
    ) -> BatchResult:
        """Commit the effects of `batch` (events and statuses), received at `now`, in one
        transaction."""
        read = self._intake.sort(list(batch), now)
        ordered = sorted(read.events.values(), key=lambda e: e.event_id)  # one lock order
        with conn.transaction():
            new, conflicts = self._insert_events(conn, ordered)
            strays = _strays(conn, new)
            bound = [e for e in new if e.event_id not in strays]
            self._operators(conn, bound)
            if strays:
                _operator_rows(conn, [(e, WRONG_STATION) for e in new if e.event_id in strays])
            sms = self._printed(conn, bound, now)
            _collected_at_kiosk(conn, bound)
            reused = [(self._message(e), f"event_id {e.event_id} reused with other content")
                      for e in conflicts]  # fmt: skip
            bad = read.bad + reused
            keep_bad(conn, bad)
            _statuses(conn, read.statuses, now)
            tails = tail_checks(conn, read.statuses)
        duplicates = len(batch) - len(read.bad) - len(read.statuses) - len(new) - len(conflicts)
        return BatchResult(len(new), duplicates, len(bad), len(read.statuses), sms, tails, new)

    def send_reminders(
        self, conn: psycopg.Connection, now: datetime, limit: int = 500
    ) -> list[Sms]:
        """Queue the reminders due at `now` for cards not collected; return them. They are
        due by the time the office received the card's event, whatever the event's own time."""
        with conn.transaction():
            rows = conn.execute(
                "SELECT p.job_id, p.printed_at, p.received_at, p.reminders_sent, c.phone,"
                " c.pickup_office, c.pickup_slot, c.collected_at FROM printed_cards p"
                " JOIN citizen_jobs c USING (job_id) WHERE p.next_reminder_at <= %s"
                " ORDER BY p.next_reminder_at LIMIT %s FOR UPDATE OF p SKIP LOCKED",
                (now, limit),
            ).fetchall()
            messages, updates = [], []
            total = len(self._schedule.offsets)
            for job_id, printed_at, received_at, sent, phone, office, slot, collected in rows:
                if collected is not None or sent >= total:
                    updates.append((job_id, sent, None))
                    continue
                contact = Contact(job_id, phone, office, slot)
                local = printed_at.astimezone(self._zone)
                messages.append(reminder_sms(contact, sent + 1, total, local))
                updates.append((job_id, sent + 1, self._schedule.next_at(received_at, sent + 1)))
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE printed_cards SET reminders_sent = %s, next_reminder_at = %s"
                    " WHERE job_id = %s",
                    [(sent, due, job_id) for job_id, sent, due in updates],
                )
            return self._queue(conn, messages)

    def _insert_events(
        self, conn: psycopg.Connection, events: list[Event]
    ) -> tuple[list[Event], list[Event]]:
        """Store the events new by `event_id`; return them, and the repeats whose content
        differs from the stored event's (an `event_id` reused)."""
        if not events:
            return [], []
        inserted = conn.execute(
            "INSERT INTO events (event_id, station, seq, type, job_id, time, data, digest)"
            " SELECT i, s, q, t, j, w, coalesce(d->'data', '{}'), h FROM unnest(%b::text[],"
            " %b::text[], %b::bigint[], %b::text[], %b::text[], %b::timestamptz[],"
            " %b::text[]::jsonb[], %b::bytea[]) AS m(i, s, q, t, j, w, d, h)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            (
                [e.event_id for e in events],
                [e.station for e in events],
                [e.seq for e in events],
                [e.type for e in events],
                [e.job_id for e in events],
                [e.time for e in events],
                [e.raw.decode() for e in events],  # parsed once more by PostgreSQL
                [_digest(e) for e in events],
            ),
        ).fetchall()
        ids = {row[0] for row in inserted}
        repeats = [e for e in events if e.event_id not in ids]
        stored = dict(
            conn.execute(
                "SELECT event_id, digest FROM events WHERE event_id = ANY(%b)",
                ([e.event_id for e in repeats],),
            ).fetchall()
            if repeats
            else []
        )
        conflicts = [e for e in repeats if stored.get(e.event_id) not in (None, _digest(e))]
        for event in conflicts:
            log.error("event_id_conflict", event_id=event.event_id)
        return [e for e in events if e.event_id in ids], conflicts

    def _message(self, event: Event) -> Message:
        return Message(Topics(self._root, event.station).event(event.type), event.raw)

    def _operators(self, conn: psycopg.Connection, events: list[Event]) -> None:
        rows = [e for e in events if e.type in OPERATOR_TYPES]
        if rows:
            _operator_rows(conn, [(e, _code(e)) for e in rows])

    def _printed(self, conn: psycopg.Connection, events: list[Event], now: datetime) -> list[Sms]:
        printed = [e for e in events if e.type == EventType.CARD_PRINTED and e.job_id]
        if not printed:
            return []
        first_reminder = self._schedule.next_at(now, 0)
        fresh = conn.execute(
            "INSERT INTO printed_cards (job_id, event_id, station, printed_at, received_at,"
            " next_reminder_at) SELECT *, %s::timestamptz, %s::timestamptz FROM unnest("
            "%b::text[], %b::text[], %b::text[], %b::timestamptz[])"
            " ON CONFLICT (job_id) DO NOTHING RETURNING job_id",
            (
                now,
                first_reminder,
                [e.job_id for e in printed],
                [e.event_id for e in printed],
                [e.station for e in printed],
                [e.time for e in printed],
            ),
        ).fetchall()
        jobs = {row[0] for row in fresh}
        contacts = {
            row[0]: Contact(*row)
            for row in conn.execute(
                "SELECT job_id, phone, pickup_office, pickup_slot FROM citizen_jobs"
                " WHERE job_id = ANY(%b) AND collected_at IS NULL",
                (sorted(jobs),),
            )
        }
        unknown = jobs - contacts.keys()  # once: per card, it made each batch quadratic
        missing = [(e, NO_CONTACT) for e in printed if e.job_id in unknown]
        if missing:
            _operator_rows(conn, missing)
        return self._queue(conn, [printed_sms(contacts[j]) for j in sorted(contacts)])

    def _queue(self, conn: psycopg.Connection, messages: list[Sms]) -> list[Sms]:
        """Log and hand to the gateway the messages never sent before (by job, kind, ordinal)."""
        if not messages:
            return []
        logged = conn.execute(
            "INSERT INTO sms_log (job_id, kind, ordinal, phone, text, queued_at)"
            " SELECT *, clock_timestamp() FROM unnest(%b::text[], %b::text[], %b::int[],"
            " %b::text[], %b::text[]) ON CONFLICT (job_id, kind, ordinal) DO NOTHING"
            " RETURNING job_id, kind, ordinal",
            (
                [m.job_id for m in messages],
                [m.kind for m in messages],
                [m.ordinal for m in messages],
                [m.phone for m in messages],
                [m.text for m in messages],
            ),
        ).fetchall()
        keys = {tuple(row) for row in logged}
        fresh = [m for m in messages if (m.job_id, m.kind, m.ordinal) in keys]
        self._gateway.queue(conn, fresh)
        return fresh


def mark_collected(conn: psycopg.Connection, job_id: str, when: datetime) -> bool:
    """The citizen collected the card: no more reminders. False if the office has no such job."""
    with conn.transaction():
        return _collected(conn, job_id, when)


def _collected(conn: psycopg.Connection, job_id: str, when: datetime) -> bool:
    row = conn.execute(
        "UPDATE citizen_jobs SET collected_at = coalesce(collected_at, %s) WHERE job_id = %s"
        " RETURNING job_id",
        (when, job_id),
    ).fetchone()
    conn.execute("UPDATE printed_cards SET next_reminder_at = NULL WHERE job_id = %s", (job_id,))
    return row is not None


def _collected_at_kiosk(conn: psycopg.Connection, events: list[Event]) -> None:
    """`card.collected`: the card was handed over at the kiosk; no more reminders."""
    for event in events:
        if event.type == EventType.CARD_COLLECTED and event.job_id:
            _collected(conn, event.job_id, event.time)


def _code(event: Event) -> str | None:
    """The event's `code`, for those that have one (a rejection, a failure, an alert)."""
    code = getattr(event.data, "code", None)
    return code if isinstance(code, str) else None


def _operator_rows(conn: psycopg.Connection, rows: list[tuple[Event, str | None]]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO operator_events (event_id, station, type, job_id, code, time, data)"
            " VALUES (%s, %s, %s, %s, %s, %s, coalesce((%s::jsonb)->'data', '{}'))"
            " ON CONFLICT (event_id) DO NOTHING",
            [
                (e.event_id, e.station, e.type, e.job_id, code, e.time, e.raw.decode())
                for e, code in rows
            ],
        )


def keep_bad(conn: psycopg.Connection, bad: list[tuple[Message, str]]) -> None:
    """Keep messages that are no event or status of the contract in `bad_messages`."""
    if bad:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO bad_messages (topic, payload, problem) VALUES (%s, %s, %s)",
                [(_storable(m.topic), m.payload, _storable(problem)) for m, problem in bad],
            )


def _storable(text: str) -> str:
    """`text` as PostgreSQL's text can hold it: no NUL, no lone surrogate."""
    return text.replace("\0", "\\0").encode("utf-8", "backslashreplace").decode("utf-8")


def _digest(event: Event) -> bytes:
    """What identifies an event's content: every copy the station publishes is byte-identical."""
    return hashlib.sha256(event.raw).digest()


def _strays(conn: psycopg.Connection, events: list[Event]) -> set[str]:
    """The `event_id`s of events about a job the office sent to another station (or to none
    on record): they change nothing and go to the operators as `wrong_station`."""
    jobs = sorted({e.job_id for e in events if e.job_id})
    if not jobs:
        return set()
    owners = dict(
        conn.execute(
            "SELECT job_id, station FROM citizen_jobs WHERE job_id = ANY(%b)", (jobs,)
        ).fetchall()
    )
    strays = {e.event_id for e in events if e.job_id in owners and owners[e.job_id] != e.station}
    for event_id in sorted(strays):
        log.warning("wrong_station", event_id=event_id)
    return strays


def _statuses(conn: psycopg.Connection, statuses: list[ReceivedStatus], now: datetime) -> None:
    latest = {received.status.station: received for received in statuses}
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO station_status (station, status, time, last_seen)"
            " VALUES (%s, %s::jsonb, %s::timestamptz, %s) ON CONFLICT (station) DO UPDATE"
            " SET status = excluded.status, time = excluded.time, last_seen = excluded.last_seen"
            " WHERE station_status.time IS NULL OR excluded.time >= station_status.time",
            [
                (station, received.raw.decode(), received.time, now)
                for station, received in sorted(latest.items())
            ],
        )
