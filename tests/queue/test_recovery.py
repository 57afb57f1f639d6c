"""Start-up recovery: the printer's card counter decides between queued and needs_review."""

from __future__ import annotations

from controller.queue.recovery import recover_interrupted
from controller.queue.store import Store
from testkit.jobs import make_job, payload

JOB = "JOB-2026-000001"


def printing(store: Store, counter: int) -> None:
    store.intake.submit(payload(make_job(1)))
    store.jobs.start(JOB, counter)


def test_counter_unchanged_means_no_blank_used(store: Store) -> None:
    printing(store, 41)
    settled = recover_interrupted(store.jobs, card_counter=41)
    assert [(r.job_id, r.state) for r in settled] == [(JOB, "queued")]
    assert store.jobs.get(JOB).state == "queued"
    assert store.outbox.all_events()[-1].type == "job.accepted"  # nothing more was said


def test_counter_moved_means_a_person_decides(store: Store) -> None:
    printing(store, 41)
    recover_interrupted(store.jobs, card_counter=42)
    assert store.jobs.get(JOB).state == "needs_review"
    last = store.outbox.all_events()[-1]
    assert (last.type, last.data) == (
        "job.needs_review",
        {"cause": "interrupted", "card_counter": 42},
    )


def test_recovery_never_reprints_or_prints(store: Store) -> None:
    printing(store, 41)
    recover_interrupted(store.jobs, card_counter=45)
    types = [e.type for e in store.outbox.all_events()]
    assert "card.printed" not in types and "card.spoiled" not in types


def test_nothing_to_recover(store: Store) -> None:
    store.intake.submit(payload(make_job(1)))
    assert recover_interrupted(store.jobs, card_counter=3) == []
    assert store.jobs.get(JOB).state == "queued"


def test_recovered_job_can_be_printed_again_only_once_queued(store: Store) -> None:
    printing(store, 41)
    recover_interrupted(store.jobs, card_counter=41)
    store.jobs.start(JOB, 41)
    store.jobs.printed(JOB, 42, "SN1")
    assert [e.type for e in store.outbox.all_events()].count("card.printed") == 1
