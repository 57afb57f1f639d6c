"""The effects of station messages, in one PostgreSQL transaction per batch.

`Effects.apply` takes a batch of messages as they came from the broker and commits, together:
each event new by `event_id` (a repeat does nothing), the operators' copy of the events they
must see, the printed card and its SMS handed to the gateway, and the fleet's latest status.
The caller acknowledges the messages only after it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from central.gateway import SmsGateway
from central.sms import Contact, ReminderSchedule, Sms, printed_sms, reminder_sms
from contract.events import Event, parse_event
from contract.shapes import BadMessage
from contract.status import Status, parse_status
from contract.topics import DEFAULT_ROOT, Channel, parse_topic
from contract.vocabulary import EventType

# The events the office's operators must see (docs/central.md, "operator_events").
OPERATOR_TYPES = frozenset(
    {
        EventType.JOB_REJECTED,
        EventType.JOB_FAILED,
        EventType.JOB_EXPIRED,
        EventType.JOB_NEEDS_REVIEW,
        EventType.CONSUMABLE_LOW,
        EventType.CONSUMABLE_EMPTY,
        EventType.CONSUMABLE_RELOADED,
        EventType.ALERT_RAISED,
        EventType.ALERT_CLEARED,
    }
)
NO_CONTACT = "no_contact"  # operator_events.code: a card printed for a job with no phone on file


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes


@dataclass
class BatchResult:
    new: int = 0
    duplicates: int = 0
    bad: int = 0
    statuses: int = 0
    sms: list[Sms] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)  # the new ones


@dataclass(frozen=True)
class ReceivedStatus:
    status: Status
    raw: bytes


class Effects:
    def __init__(
        self, gateway: SmsGateway, schedule: ReminderSchedule, root: str = DEFAULT_ROOT
    ) -> None:
        """`root`: the topic root the stations publish under."""
        self._gateway, self._schedule, self._root = gateway, schedule, root

    def apply(
        self, conn: psycopg.Connection, batch: Sequence[Message], now: datetime
    ) -> BatchResult:
        """Commit the effects of `batch` (events and statuses) in one transaction."""
        result = BatchResult()
        events: dict[str, Event] = {}
        bad: list[tuple[Message, str]] = []
        statuses: list[ReceivedStatus] = []
        for message in batch:
            address = parse_topic(message.topic, self._root)
            try:
                if address is not None and address.channel == Channel.STATUS:
                    status = parse_status(address, message.payload)
                    statuses.append(ReceivedStatus(status, message.payload))
                elif address is not None and address.channel == Channel.EVENT:
                    event = parse_event(address, message.payload)
                    events.setdefault(event.event_id, event)
                else:
                    bad.append((message, "not a station's status or event topic"))
            except BadMessage as exc:
                bad.append((message, str(exc)))
        ordered = sorted(events.values(), key=lambda e: e.event_id)  # one lock order for all
        with conn.transaction():
            new = self._insert_events(conn, ordered)
            self._operators(conn, new)
            result.sms = self._printed(conn, new)
            _bad(conn, bad)
            _statuses(conn, statuses, now)
        result.events = new
        result.new, result.duplicates = len(new), len(batch) - len(bad) - len(statuses) - len(new)
        result.bad, result.statuses = len(bad), len(statuses)
        return result

    def send_reminders(
        self, conn: psycopg.Connection, now: datetime, limit: int = 500
    ) -> list[Sms]:
        """Queue the reminders due at `now` for cards not collected; return them."""
        with conn.transaction():
            rows = conn.execute(
                "SELECT p.job_id, p.printed_at, p.reminders_sent, c.phone, c.pickup_office,"
                " c.pickup_slot, c.collected_at FROM printed_cards p JOIN citizen_jobs c"
                " USING (job_id) WHERE p.next_reminder_at <= %s ORDER BY p.next_reminder_at"
                " LIMIT %s FOR UPDATE OF p SKIP LOCKED",
                (now, limit),
            ).fetchall()
            messages, updates = [], []
            total = len(self._schedule.offsets)
            for job_id, printed_at, sent, phone, office, slot, collected_at in rows:
                if collected_at is not None or sent >= total:
                    updates.append((job_id, sent, None))
                    continue
                contact = Contact(job_id, phone, office, slot)
                messages.append(reminder_sms(contact, sent + 1, total, printed_at))
                updates.append((job_id, sent + 1, self._schedule.next_at(printed_at, sent + 1)))
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE printed_cards SET reminders_sent = %s, next_reminder_at = %s"
                    " WHERE job_id = %s",
                    [(sent, due, job_id) for job_id, sent, due in updates],
                )
            return self._queue(conn, messages)

    def _insert_events(self, conn: psycopg.Connection, events: list[Event]) -> list[Event]:
        if not events:
            return []
        inserted = conn.execute(
            "INSERT INTO events (event_id, station, seq, type, job_id, time, data)"
            " SELECT i, s, q, t, j, w, coalesce(d->'data', '{}') FROM unnest(%s::text[],"
            " %s::text[], %s::bigint[], %s::text[], %s::text[], %s::timestamptz[],"
            " %s::text[]::jsonb[]) AS m(i, s, q, t, j, w, d)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            (
                [e.event_id for e in events],
                [e.station for e in events],
                [e.seq for e in events],
                [e.type for e in events],
                [e.job_id for e in events],
                [e.time for e in events],
                [e.raw.decode() for e in events],  # parsed once more by PostgreSQL
            ),
        ).fetchall()
        ids = {row[0] for row in inserted}
        return [e for e in events if e.event_id in ids]

    def _operators(self, conn: psycopg.Connection, events: list[Event]) -> None:
        rows = [e for e in events if e.type in OPERATOR_TYPES]
        if rows:
            _operator_rows(conn, [(e, _code(e)) for e in rows])

    def _printed(self, conn: psycopg.Connection, events: list[Event]) -> list[Sms]:
        printed = [e for e in events if e.type == EventType.CARD_PRINTED and e.job_id]
        if not printed:
            return []
        fresh = conn.execute(
            "INSERT INTO printed_cards (job_id, event_id, station, printed_at, next_reminder_at)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[],"
            " %s::timestamptz[]) ON CONFLICT (job_id) DO NOTHING RETURNING job_id",
            (
                [e.job_id for e in printed],
                [e.event_id for e in printed],
                [e.station for e in printed],
                [e.time for e in printed],
                [self._schedule.next_at(e.time, 0) for e in printed],
            ),
        ).fetchall()
        jobs = {row[0] for row in fresh}
        contacts = {
            row[0]: Contact(*row)
            for row in conn.execute(
                "SELECT job_id, phone, pickup_office, pickup_slot FROM citizen_jobs"
                " WHERE job_id = ANY(%s) AND collected_at IS NULL",
                (sorted(jobs),),
            )
        }
        missing = [(e, NO_CONTACT) for e in printed if e.job_id in jobs - contacts.keys()]
        if missing:
            _operator_rows(conn, missing)
        return self._queue(conn, [printed_sms(contacts[j]) for j in sorted(contacts)])

    def _queue(self, conn: psycopg.Connection, messages: list[Sms]) -> list[Sms]:
        """Log and hand to the gateway the messages never sent before (by job, kind, ordinal)."""
        if not messages:
            return []
        logged = conn.execute(
            "INSERT INTO sms_log (job_id, kind, ordinal, phone, text, queued_at)"
            " SELECT *, clock_timestamp() FROM unnest(%s::text[], %s::text[], %s::int[],"
            " %s::text[], %s::text[]) ON CONFLICT (job_id, kind, ordinal) DO NOTHING"
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
        row = conn.execute(
            "UPDATE citizen_jobs SET collected_at = coalesce(collected_at, %s) WHERE job_id = %s"
            " RETURNING job_id",
            (when, job_id),
        ).fetchone()
        conn.execute(
            "UPDATE printed_cards SET next_reminder_at = NULL WHERE job_id = %s", (job_id,)
        )
    return row is not None


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


def _bad(conn: psycopg.Connection, bad: list[tuple[Message, str]]) -> None:
    if bad:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO bad_messages (topic, payload, problem) VALUES (%s, %s, %s)",
                [(m.topic, m.payload, problem) for m, problem in bad],
            )


def _statuses(conn: psycopg.Connection, statuses: list[ReceivedStatus], now: datetime) -> None:
    latest = {received.status.station: received for received in statuses}
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO station_status (station, status, time, last_seen)"
            " VALUES (%s, %s::jsonb, %s::timestamptz, %s) ON CONFLICT (station) DO UPDATE"
            " SET status = excluded.status, time = excluded.time, last_seen = excluded.last_seen"
            " WHERE station_status.time IS NULL OR excluded.time >= station_status.time",
            [
                (station, received.raw.decode(), _time(received.status), now)
                for station, received in sorted(latest.items())
            ],
        )


def _time(status: Status) -> str | None:
    try:
        return datetime.fromisoformat(status.time).isoformat() if status.time else None
    except ValueError:
        return None
