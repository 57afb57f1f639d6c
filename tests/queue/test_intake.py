"""Intake stores a job or its rejection, with the event, and is idempotent by job_id."""

from __future__ import annotations

import json
from datetime import timedelta

from contract.clock import rfc3339
from contract.vocabulary import Requester
from controller.queue.intake import REJECTION_MEMORY
from controller.queue.store import Store
from testkit.jobs import make_job, payload


def events(store: Store) -> list[tuple[str, str | None, dict]]:
    return [(e.type, e.job_id, e.data) for e in store.outbox.all_events()]


def test_accepted_job_is_stored_with_its_event(store: Store) -> None:
    result = store.intake.submit(payload(make_job(1)))
    assert result.outcome == "accepted"
    assert store.jobs.get("JOB-2026-000001").state == "queued"
    assert events(store) == [("job.accepted", "JOB-2026-000001", {"reason": "new", "queued": 1})]


def test_queued_count_grows(store: Store) -> None:
    for n in range(1, 4):
        store.intake.submit(payload(make_job(n)))
    assert [data["queued"] for _, _, data in events(store)] == [1, 2, 3]


def test_redelivery_with_same_content_is_ignored(store: Store) -> None:
    job = make_job(1)
    store.intake.submit(payload(job))
    again = store.intake.submit(json.dumps(job, indent=1).encode())
    assert again.outcome == "duplicate"
    assert store.jobs.counts()["queued"] == 1
    assert [t for t, _, _ in events(store)] == ["job.accepted"]


def test_redelivery_after_the_job_ended_is_still_ignored(store: Store, clock) -> None:
    job = make_job(1, not_after=rfc3339(clock.now() + timedelta(hours=1)))
    store.intake.submit(payload(job))
    store.jobs.cancel("JOB-2026-000001", by="test")
    clock.advance(7200)  # not_after has passed too: a re-delivery is still not "expired"
    assert store.intake.submit(payload(job)).outcome == "duplicate"


def test_same_job_id_other_content_is_a_conflict(store: Store) -> None:
    store.intake.submit(payload(make_job(1)))
    other = make_job(1, reason="damaged")
    result = store.intake.submit(payload(other))
    assert (result.outcome, result.code) == ("rejected", "conflict")
    assert store.jobs.get("JOB-2026-000001").reason == "new"
    assert events(store)[-1][0:2] == ("job.rejected", "JOB-2026-000001")
    assert events(store)[-1][2]["code"] == "conflict"


def test_second_active_job_for_a_nik_is_refused(store: Store) -> None:
    first = make_job(1)
    store.intake.submit(payload(first))
    second = make_job(2, card={k: first["card"][k] for k in ("nik", "sex", "birth_date")})
    result = store.intake.submit(payload(second))
    assert result.code == "duplicate_nik"
    assert "JOB-2026-000002" not in {j.job_id for j in store.jobs.in_state("queued")}


def test_nik_may_come_again_once_its_job_ended(store: Store) -> None:
    first = make_job(1)
    store.intake.submit(payload(first))
    store.jobs.cancel("JOB-2026-000001", by="operator")
    second = make_job(
        2, reason="lost", card={k: first["card"][k] for k in ("nik", "sex", "birth_date")}
    )
    assert store.intake.submit(payload(second)).outcome == "accepted"


def test_expired_at_arrival(store: Store, clock) -> None:
    job = make_job(1, not_after=rfc3339(clock.now() - timedelta(seconds=1)))
    result = store.intake.submit(payload(job))
    assert result.code == "expired"
    assert store.jobs.counts()["queued"] == 0


def test_rejection_of_unreadable_message_has_null_job_id(store: Store) -> None:
    result = store.intake.submit(b"\x00\x01garbage")
    assert (result.outcome, result.code, result.job_id) == ("rejected", "invalid_json", None)
    assert events(store) == [
        ("job.rejected", None, {"code": "invalid_json", "message": "message is not UTF-8 JSON"})
    ]


def test_every_rejection_is_an_event_and_nothing_is_stored(store: Store) -> None:
    for bad in (b"{", payload(make_job(1, prr=False)), payload(make_job(2, reason="x"))):
        store.intake.submit(bad)
    assert [d["code"] for _, _, d in events(store)] == ["invalid_json", "not_prr", "invalid_field"]
    assert sum(store.jobs.counts().values()) == 0


def test_published_events_carry_no_personal_data(store: Store) -> None:
    job = make_job(1)
    store.intake.submit(payload(job))
    store.intake.submit(payload(make_job(1, reason="lost")))
    for event in store.outbox.all_events():
        text = event.payload("3271-bogor-timur-01").decode()
        for secret in (
            job["card"]["nik"],
            job["card"]["name"],
            job["card"]["address"],
            job["card"]["photo_jpeg"][:40],
        ):
            assert secret not in text


def test_event_message_shape(store: Store) -> None:
    store.intake.submit(payload(make_job(1)))
    message = store.outbox.all_events()[0].message("3271-bogor-timur-01")
    assert message == {
        "schema": "ektp.event/1",
        "event_id": "3271-bogor-timur-01:1",
        "seq": 1,
        "station": "3271-bogor-timur-01",
        "type": "job.accepted",
        "time": "2026-11-22T01:00:00Z",
        "job_id": "JOB-2026-000001",
        "data": {"reason": "new", "queued": 1},
    }


def test_a_message_rejected_before_gets_no_second_rejection_for_a_week(store: Store, clock) -> None:
    """A redelivery (the broker had not seen the PUBACK) or the same bad message sent again is
    acknowledged as a duplicate; after REJECTION_MEMORY it is judged afresh."""
    conflicting = make_job(1, reason="damaged")
    store.intake.submit(payload(make_job(1)))
    for bad in (b"{", payload(make_job(2, prr=False)), payload(conflicting)):
        assert store.intake.submit(bad).outcome == "rejected"
        again = store.intake.submit(bad)
        assert (again.outcome, again.message) == ("duplicate", "rejected before")
    assert [d.get("code") for _, _, d in events(store)][1:] == [
        "invalid_json",
        "not_prr",
        "conflict",
    ]
    clock.advance(REJECTION_MEMORY.total_seconds() + 1)
    assert store.intake.submit(b"{").outcome == "rejected"


def test_rejections_that_depend_on_time_queue_or_source_are_decided_every_time(
    store: Store, clock
) -> None:
    expired = payload(make_job(1, not_after=rfc3339(clock.now() - timedelta(seconds=1))))
    first = make_job(2)
    same_nik = payload({**first, "job_id": "JOB-2026-000003"})
    store.intake.submit(payload(first))
    for message in (expired, same_nik):
        assert [store.intake.submit(message).outcome for _ in range(2)] == ["rejected"] * 2
    local = [store.intake.submit(b"[]", source=Requester.LOCAL).outcome for _ in range(2)]
    assert local == ["rejected", "rejected"]  # an operator who submits again gets the answer
