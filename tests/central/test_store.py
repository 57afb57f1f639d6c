"""Effects of a batch against the real PostgreSQL: one effect per event_id, the SMS in Gammu's
outbox in the same transaction, operators' events, statuses, reminders stopped by collection."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from central.gateway import GammuOutbox
from central.sms import ReminderSchedule, Sms
from central.store import Effects, Message, mark_collected
from contract.events import DATA_TYPES, CardPrinted, JobAccepted, event_payload
from contract.vocabulary import EventType, JobReason
from tests.central.conftest import add_citizen

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
STATION = "3271-bogor-timur-01"


# The data a test leaves unsaid, as a station writes it.
SAID_FOR_THE_TEST = {
    EventType.CARD_PRINTED: CardPrinted(JobReason.NEW, "************0002", 1, "VP0000001", 4187),
    EventType.JOB_ACCEPTED: JobAccepted(JobReason.NEW, 1),
}


def event(
    seq: int, kind: str, job_id: str | None = None, at: str = "2026-11-22T10:00:00Z", **data: object
) -> Message:
    """The station's event `kind` at `at` (its data: `data`, completed from SAID_FOR_THE_TEST)."""
    known = SAID_FOR_THE_TEST.get(EventType(kind))
    typed = replace(known, **data) if known else DATA_TYPES[EventType(kind)](**data)
    payload = event_payload(STATION, seq, kind, at, job_id, typed.to_json())
    return Message(f"ektp/v1/{STATION}/event/{kind}", payload)


def outbox(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        'SELECT "CreatorID", "DestinationNumber", "TextDecoded" FROM outbox ORDER BY "ID"'
    ).fetchall()


@pytest.fixture
def effects() -> Effects:
    return Effects(GammuOutbox(), ReminderSchedule.days())


def test_a_printed_card_queues_one_sms_however_often_it_arrives(db, effects) -> None:
    add_citizen(db, "JOB-1", "+6281200000001", "Kamis 09.00-12.00")
    printed = event(1, "card.printed", "JOB-1", reason="new")
    first = effects.apply(db, [printed, printed], NOW)
    again = effects.apply(db, [printed], NOW)
    assert (first.new, first.duplicates, len(first.sms)) == (1, 1, 1)
    assert (again.new, again.duplicates, again.sms) == (0, 1, [])
    [(creator, phone, text)] = outbox(db)
    assert (creator, phone) == ("ps:JOB-1:printed:0", "+6281200000001")
    assert text.startswith("e-KTP Anda sudah jadi. Silakan ambil di Kecamatan Bogor Timur, Kamis")


def test_nothing_is_kept_when_the_transaction_fails(db, effects) -> None:
    class BrokenGateway:
        def queue(self, conn: psycopg.Connection, messages: list[Sms]) -> None:
            raise psycopg.OperationalError("gateway table gone")

    add_citizen(db, "JOB-1", "+6281200000001")
    with pytest.raises(psycopg.OperationalError):
        Effects(BrokenGateway(), ReminderSchedule.days()).apply(
            db, [event(1, "card.printed", "JOB-1")], NOW
        )
    assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert len(effects.apply(db, [event(1, "card.printed", "JOB-1")], NOW).sms) == 1


def test_operator_events_and_a_card_without_a_phone_land_in_operator_events(db, effects) -> None:
    effects.apply(
        db,
        [
            event(1, "job.rejected", "JOB-2", code="invalid_nik", message="digits"),
            event(2, "card.printed", "JOB-3"),
            event(3, "alert.raised", None, code="cover_open", severity="error", message="open"),
            event(4, "job.accepted", "JOB-4", reason="new", queued=1),
        ],
        NOW,
    )
    rows = db.execute("SELECT type, job_id, code FROM operator_events ORDER BY event_id").fetchall()
    assert rows == [
        ("job.rejected", "JOB-2", "invalid_nik"),
        ("card.printed", "JOB-3", "no_contact"),
        ("alert.raised", None, "cover_open"),
    ]
    assert outbox(db) == []


def test_bad_messages_are_kept_and_do_not_stop_the_batch(db, effects) -> None:
    add_citizen(db, "JOB-1", "+6281200000001")
    bad = Message(f"ektp/v1/{STATION}/event/card.printed", b"{not json")
    wrong_topic = Message("ektp/v1/other/event/card.printed", event(2, "card.printed").payload)
    result = effects.apply(db, [bad, wrong_topic, event(1, "card.printed", "JOB-1")], NOW)
    assert (result.bad, result.new, len(result.sms)) == (2, 1, 1)
    assert db.execute("SELECT count(*) FROM bad_messages").fetchone() == (2,)


def test_a_topic_only_ending_like_a_stations_is_not_one(db, effects) -> None:
    doc = {"schema": "ektp.status/1", "station": STATION, "state": "ready", "time": "2026-11-22"}
    phantoms = [
        Message(f"v1/{STATION}/status", json.dumps(doc).encode()),
        Message(f"x/ektp/v1/{STATION}/status", json.dumps(doc).encode()),
        Message(f"x/ektp/v1/{STATION}/event/card.printed", event(1, "card.printed").payload),
    ]
    result = effects.apply(db, phantoms, NOW)
    assert (result.bad, result.statuses, result.new) == (3, 0, 0)
    assert db.execute("SELECT count(*) FROM station_status").fetchone() == (0,)


def test_the_newest_status_wins(db, effects) -> None:
    def status(time: str, state: str) -> Message:
        doc = {"schema": "ektp.status/1", "station": STATION, "state": state, "time": time}
        return Message(f"ektp/v1/{STATION}/status", json.dumps(doc).encode())

    effects.apply(db, [status("2026-11-22T10:00:05Z", "printing")], NOW)
    effects.apply(db, [status("2026-11-22T10:00:01Z", "ready")], NOW)
    assert db.execute("SELECT status->>'state' FROM station_status").fetchone() == ("printing",)


def test_reminders_follow_the_schedule_and_stop_when_collected(db, effects) -> None:
    add_citizen(db, "JOB-1", "+6281200000001")
    add_citizen(db, "JOB-2", "+6281200000002")
    effects.apply(db, [event(1, "card.printed", "JOB-1"), event(2, "card.printed", "JOB-2")], NOW)
    printed = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert effects.send_reminders(db, printed + timedelta(days=29)) == []
    first = effects.send_reminders(db, printed + timedelta(days=30))
    assert [(m.job_id, m.ordinal) for m in first] == [("JOB-1", 1), ("JOB-2", 1)]
    assert effects.send_reminders(db, printed + timedelta(days=31)) == []
    assert mark_collected(db, "JOB-1", printed + timedelta(days=40))
    later = effects.send_reminders(db, printed + timedelta(days=200))
    assert [(m.job_id, m.ordinal) for m in later] == [("JOB-2", 2)]
    last = effects.send_reminders(db, printed + timedelta(days=200))
    assert [(m.job_id, m.ordinal) for m in last] == [("JOB-2", 3)]
    assert "terakhir" in last[0].text
    assert effects.send_reminders(db, printed + timedelta(days=400)) == []
    assert len(outbox(db)) == 2 + 2 + 2  # printed, first reminders, JOB-2 second and last
