"""The office's rules on the real PostgreSQL: a job's events count only from the station it was
sent to; an event_id reused with other content is kept; reminders run from receipt; an SMS's
dates are the office's (WIB); only Indonesian mobile numbers are on file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from central.gateway import GammuOutbox
from central.intake import Message
from central.sms import ReminderSchedule
from central.store import Effects
from contract.events import event_payload
from tests.central.conftest import add_citizen
from tests.central.test_store import NOW, STATION, outbox

OTHER = "3271-bogor-barat-02"


@pytest.fixture
def effects() -> Effects:
    return Effects(GammuOutbox(), ReminderSchedule.days())


def printed_by(station: str, seq: int, job_id: str, time: str = "2026-11-22T10:00:00Z") -> Message:
    data = {"reason": "new", "nik_masked": "************0002", "attempts": 1,
            "printer_serial": "VP0000002", "card_counter": 9}  # fmt: skip
    payload = event_payload(station, seq, "card.printed", time, job_id, data)
    return Message(f"ektp/v1/{station}/event/card.printed", payload)


def test_a_card_printed_by_another_station_texts_no_one(db, effects) -> None:
    add_citizen(db, "JOB-1", "+6281200000001", station=STATION)
    forged = effects.apply(db, [printed_by(OTHER, 7, "JOB-1")], NOW)
    assert (forged.new, forged.sms) == (1, [])
    assert outbox(db) == []
    assert db.execute("SELECT station, code FROM operator_events").fetchall() == [
        (OTHER, "wrong_station")
    ]
    assert db.execute("SELECT count(*) FROM printed_cards").fetchone() == (0,)
    honest = effects.apply(db, [printed_by(STATION, 1, "JOB-1")], NOW)
    assert [m.job_id for m in honest.sms] == ["JOB-1"]
    assert db.execute("SELECT station FROM printed_cards").fetchall() == [(STATION,)]


def test_a_job_bound_to_no_station_texts_no_one(db, effects) -> None:
    db.execute(
        "INSERT INTO citizen_jobs (job_id, phone, pickup_office) VALUES"
        " ('JOB-1', '+6281200000001', 'Kecamatan Bogor Timur')"
    )
    assert effects.apply(db, [printed_by(STATION, 1, "JOB-1")], NOW).sms == []
    assert db.execute("SELECT code FROM operator_events").fetchall() == [("wrong_station",)]


def test_an_event_id_reused_with_other_content_is_kept_as_bad(db, effects) -> None:
    add_citizen(db, "JOB-1", "+6281200000001")
    add_citizen(db, "JOB-2", "+6281200000002")
    first = printed_by(STATION, 1, "JOB-1")
    other = printed_by(STATION, 1, "JOB-2")
    effects.apply(db, [first], NOW)
    again = effects.apply(db, [first, other], NOW)
    assert (again.new, again.duplicates, again.bad, again.sms) == (0, 1, 1, [])
    in_one_batch = effects.apply(db, [printed_by(STATION, 2, "JOB-2"), other], NOW)
    problems = [row[0] for row in db.execute("SELECT problem FROM bad_messages ORDER BY id")]
    assert problems == [f"event_id {STATION}:1 reused with other content"] * 2
    assert in_one_batch.bad == 1 and [m.job_id for m in in_one_batch.sms] == ["JOB-2"]


def test_reminders_run_from_receipt_not_from_the_events_own_time(db, effects) -> None:
    add_citizen(db, "JOB-1", "+6281200000001")
    stamped = (NOW - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(effects.apply(db, [printed_by(STATION, 1, "JOB-1", stamped)], NOW).sms) == 1
    assert effects.send_reminders(db, NOW + timedelta(seconds=8)) == []
    assert effects.send_reminders(db, NOW + timedelta(days=29)) == []
    [first] = effects.send_reminders(db, NOW + timedelta(days=30))
    assert first.ordinal == 1 and "sejak 18-10-2025" in first.text
    assert effects.send_reminders(db, NOW + timedelta(days=31)) == []


def test_a_card_printed_just_after_midnight_wib_carries_that_day(db, effects) -> None:
    db.execute("SET TIME ZONE 'UTC'")  # the session's zone must not matter
    add_citizen(db, "JOB-1", "+6281200000001")
    printed = printed_by(STATION, 1, "JOB-1", "2026-11-06T17:05:00Z")  # 7 Nov, 00:05 WIB
    effects.apply(db, [printed], datetime(2026, 11, 6, 17, 5, 1, tzinfo=UTC))
    [reminder] = effects.send_reminders(db, datetime(2026, 12, 7, tzinfo=UTC))
    assert "sejak 07-11-2026" in reminder.text


@pytest.mark.parametrize("phone", ["+19005550123", "0000000000", "+628", "6281234567890"])
def test_only_indonesian_mobile_numbers_are_on_file(db, phone: str) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        add_citizen(db, "JOB-1", phone)


@pytest.mark.parametrize("phone", ["+6281234567890", "081234567890", "0895123456"])
def test_indonesian_mobile_numbers_are_taken(db, phone: str) -> None:
    add_citizen(db, "JOB-1", phone)


def test_a_status_is_read_strictly_too(db, effects) -> None:
    doc = {"schema": "ektp.status/1", "station": STATION, "state": "ready",
           "time": "2026-11-22T10:00:00Z", "version": "x\u0000"}  # fmt: skip
    result = effects.apply(
        db, [Message(f"ektp/v1/{STATION}/status", json.dumps(doc).encode())], NOW
    )
    assert (result.bad, result.statuses) == (1, 0)


def status_of(session: int | None) -> Message:
    doc = {"schema": "ektp.status/1", "station": STATION, "state": "ready",
           "time": "2026-11-22T10:00:00Z", "session": session}  # fmt: skip
    return Message(f"ektp/v1/{STATION}/status", json.dumps(doc).encode())


def test_a_stations_new_session_asks_once_for_its_tail(db, effects) -> None:
    """After a broker restart the events it lost after the last one seen show as no gap; the
    station's new session asks for them, once per session, whichever replica sees it."""
    effects.apply(db, [printed_by(STATION, seq, f"JOB-{seq}") for seq in (1, 2, 3)], NOW)
    first = effects.apply(db, [status_of(5)], NOW).tail_checks
    assert [(c.station, c.session, c.from_seq) for c in first] == [(STATION, 5, 4)]
    assert json.loads(first[0].payload())["args"] == {"from_seq": 4}
    assert effects.apply(db, [status_of(5), status_of(4)], NOW).tail_checks == []
    assert effects.apply(db, [status_of(None)], NOW).tail_checks == []
    assert [c.session for c in effects.apply(db, [status_of(6)], NOW).tail_checks] == [6]
