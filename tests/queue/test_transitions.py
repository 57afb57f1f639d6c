"""The job's life: every legal transition writes exactly its events; every other one raises."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta

import pytest

from contract.clock import rfc3339
from contract.vocabulary import ActionSource
from controller.queue.audit import Actor
from controller.queue.jobs import ReasonRequired
from controller.queue.store import Store
from controller.queue.transitions import ENDED, TRANSITIONS, IllegalTransition
from testkit.jobs import make_job, payload

JOB = "JOB-2026-000001"
COUNTER = 500
TECH = Actor(ActionSource.LOCAL, "siti")
NO_CARD = "no card in the output tray or the printer"


def resolved(outcome: str, **extra: str) -> tuple[str, dict]:
    return ("job.resolved", {"outcome": outcome, "by": "local", "operator": "siti", **extra})


# How to bring a fresh job into each state.
SETUP: dict[str, Callable[[Store], None]] = {
    "queued": lambda s: None,
    "printing": lambda s: s.jobs.start(JOB, COUNTER),
    "needs_review": lambda s: (
        s.jobs.start(JOB, COUNTER),
        s.jobs.needs_review(JOB, "usb_lost", COUNTER + 1),
    ),
    "printed": lambda s: (s.jobs.start(JOB, COUNTER), s.jobs.printed(JOB, COUNTER + 1, "SN1")),
    "failed": lambda s: s.jobs.fail(JOB, "render_failed", "cannot render"),
    "cancelled": lambda s: s.jobs.cancel(JOB, by="operator"),
    "expired": lambda s: s.jobs.expire_due(),
}

# Each operation, the states it may start from, and the events it must write.
OPERATIONS: dict[str, tuple[Callable[[Store], object], set[str], list[tuple[str, dict]]]] = {
    "start": (lambda s: s.jobs.start(JOB, COUNTER), {"queued"}, []),
    "cancel": (
        lambda s: s.jobs.cancel(JOB, by="cmd"),
        {"queued"},
        [("job.cancelled", {"by": "cmd"})],
    ),
    "fail": (
        lambda s: s.jobs.fail(JOB, "render_failed", "x"),
        {"queued", "printing"},
        [("job.failed", {"code": "render_failed", "message": "x"})],
    ),
    "printed": (
        lambda s: s.jobs.printed(JOB, COUNTER + 1, "SN9"),
        {"printing"},
        [
            (
                "card.printed",
                {
                    "reason": "new",
                    "nik_masked": "************0001",
                    "attempts": 1,
                    "printer_serial": "SN9",
                    "card_counter": COUNTER + 1,
                },
            )
        ],
    ),
    "spoiled": (
        lambda s: s.jobs.spoiled(JOB, "jam", COUNTER + 1),
        {"printing"},
        [("card.spoiled", {"cause": "jam", "attempt": 1})],
    ),
    "not_printed": (lambda s: s.jobs.not_printed(JOB, COUNTER, "cover_open"), {"printing"}, []),
    "needs_review": (
        lambda s: s.jobs.needs_review(JOB, "usb_lost", COUNTER + 1),
        {"printing"},
        [("job.needs_review", {"cause": "usb_lost", "card_counter": COUNTER + 1})],
    ),
    "resolve_printed": (
        lambda s: s.jobs.resolve(JOB, "printed", "SN9", by=TECH),
        {"needs_review"},
        [
            resolved("printed"),
            (
                "card.printed",
                {
                    "reason": "new",
                    "nik_masked": "************0001",
                    "attempts": 1,
                    "printer_serial": "SN9",
                    "card_counter": COUNTER + 1,
                },
            ),
        ],
    ),
    "resolve_spoiled": (
        lambda s: s.jobs.resolve(JOB, "spoiled", by=TECH),
        {"needs_review"},
        [resolved("spoiled"), ("card.spoiled", {"cause": "resolved_spoiled", "attempt": 1})],
    ),
    "resolve_not_printed": (
        lambda s: s.jobs.resolve(JOB, "not_printed", by=TECH, reason=NO_CARD),
        {"needs_review"},
        [resolved("not_printed", reason=NO_CARD)],
    ),
}
RESULT_STATE = {
    "start": "printing",
    "cancel": "cancelled",
    "fail": "failed",
    "printed": "printed",
    "spoiled": "queued",
    "not_printed": "queued",
    "needs_review": "needs_review",
    "resolve_printed": "printed",
    "resolve_spoiled": "queued",
    "resolve_not_printed": "queued",
}


def prepare(store: Store, clock, state: str) -> None:
    job = make_job(
        1,
        card={"nik": "3271040101900001", "sex": "L", "birth_date": "1990-01-01"},
        not_after=rfc3339(clock.now() + timedelta(minutes=5)),
    )
    assert store.intake.submit(payload(job)).outcome == "accepted"
    if state == "expired":
        clock.advance(600)
    SETUP[state](store)
    assert store.jobs.get(JOB).state == state


def test_the_setups_cover_every_state() -> None:
    assert set(SETUP) == set(TRANSITIONS)


@pytest.mark.parametrize("state", sorted(TRANSITIONS))
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_operation_from_state(store: Store, clock, state: str, operation: str) -> None:
    prepare(store, clock, state)
    run, allowed_from, expected = OPERATIONS[operation]
    before = store.outbox.all_events()
    if state in allowed_from:
        run(store)
        after = store.outbox.all_events()[len(before) :]
        assert [(e.type, e.data) for e in after] == expected
        assert all(e.job_id == JOB for e in after)
        assert store.jobs.get(JOB).state == RESULT_STATE[operation]
        assert RESULT_STATE[operation] in TRANSITIONS[state] | {state}
    else:
        with pytest.raises(IllegalTransition):
            run(store)
        assert store.jobs.get(JOB).state == state
        assert store.outbox.all_events() == before


def test_expiry_writes_job_expired(store: Store, clock) -> None:
    prepare(store, clock, "queued")
    clock.advance(300)
    assert store.jobs.expire_due() == []  # it may still start at its not_after instant
    clock.advance(1)
    assert store.jobs.expire_due() == [JOB]
    last = store.outbox.all_events()[-1]
    assert (last.type, last.data) == ("job.expired", {"not_after": "2026-11-22T01:05:00Z"})


def test_expiry_leaves_printing_and_unexpired_jobs(store: Store, clock) -> None:
    prepare(store, clock, "printing")
    store.intake.submit(payload(make_job(2)))
    clock.advance(3600)
    assert store.jobs.expire_due() == []


def test_spoiled_up_to_the_limit_then_failed(store: Store, clock) -> None:
    prepare(store, clock, "queued")
    states = []
    for attempt in range(3):
        store.jobs.start(JOB, COUNTER + attempt)
        states.append(store.jobs.spoiled(JOB, "jam", COUNTER + attempt + 1))
    assert states == ["queued", "queued", "failed"]
    tail = [(e.type, e.data.get("attempt")) for e in store.outbox.all_events()[-2:]]
    assert tail == [("card.spoiled", 3), ("job.failed", None)]
    assert store.outbox.all_events()[-1].data["code"] == "too_many_spoiled"


def test_the_configured_limit_decides_and_a_person_may_go_past_it(tmp_path, clock) -> None:
    store = Store.open(
        tmp_path / "one-try.db",
        "3271-bogor-timur-01",
        clock,
        low_thresholds={"cards": 0, "ribbon": 0, "film": 0},
        initial_load={"cards": 10, "ribbon": 10, "film": 10},
        max_attempts=1,
    )
    try:
        prepare(store, clock, "printing")
        assert store.jobs.spoiled(JOB, "jam", COUNTER + 1) == "failed"
        other = "JOB-2026-000002"
        assert store.intake.submit(payload(make_job(2))).outcome == "accepted"
        store.jobs.start(other, COUNTER + 1)
        store.jobs.needs_review(other, "usb_lost", COUNTER + 2)
        assert store.jobs.resolve(other, "spoiled", by=TECH) == "queued"
        assert store.jobs.get(other).attempts == 1
    finally:
        store.close()


def test_attempts_count_across_review(store: Store, clock) -> None:
    prepare(store, clock, "needs_review")
    store.jobs.resolve(JOB, "spoiled", by=TECH)
    store.jobs.start(JOB, COUNTER + 1)
    store.jobs.printed(JOB, COUNTER + 2, "SN1")
    assert store.outbox.all_events()[-1].data["attempts"] == 2


@pytest.mark.parametrize("state", sorted(ENDED))
def test_photo_and_signature_are_deleted_when_a_job_ends(store: Store, clock, state) -> None:
    prepare(store, clock, state)
    row = store.db._conn.execute(
        "SELECT photo, signature, ended_at FROM jobs WHERE job_id = ?", (JOB,)
    ).fetchone()
    assert (row[0], row[1]) == (None, None) and row[2] is not None


@pytest.mark.parametrize("state", ["queued", "printing", "needs_review"])
def test_active_jobs_keep_photo_and_signature(store: Store, clock, state) -> None:
    prepare(store, clock, state)
    assert store.jobs.printable(JOB).photo.startswith(b"\xff\xd8")


def test_a_failed_transaction_writes_no_event(store: Store, clock) -> None:
    prepare(store, clock, "printing")
    before = store.outbox.all_events()
    store.db._conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        store.jobs.printed(JOB, COUNTER + 1, "SN1")
    store.db._conn.execute("DROP TRIGGER boom")
    assert store.jobs.get(JOB).state == "printing"
    assert store.outbox.all_events() == before
    store.jobs.printed(JOB, COUNTER + 1, "SN1")
    assert [e.seq for e in store.outbox.all_events()] == list(range(1, len(before) + 2))


def test_not_printed_after_the_counter_moved_needs_a_reason_and_counts_the_blank(
    store: Store, clock
) -> None:
    """Issue 15, item 3: a second card for one person, with `attempts: 1` and an anonymous
    ledger adjustment, came from `not_printed` after the counter had moved."""
    prepare(store, clock, "needs_review")  # the counter moved: COUNTER -> COUNTER + 1
    with pytest.raises(ReasonRequired):
        store.jobs.resolve(JOB, "not_printed", by=TECH)
    assert store.jobs.get(JOB).state == "needs_review"
    store.jobs.resolve(JOB, "not_printed", by=TECH, reason=NO_CARD)
    assert store.jobs.get(JOB).attempts == 1
    rows = store.db._conn.execute(
        "SELECT kind, delta FROM ledger WHERE consumable = 'cards' AND job_id = ?", (JOB,)
    ).fetchall()
    assert [tuple(row) for row in rows] == [("spoiled", -1)]
    store.jobs.start(JOB, COUNTER + 1)
    store.jobs.printed(JOB, COUNTER + 2, "SN1")
    assert store.outbox.all_events()[-1].data["attempts"] == 2


def test_not_printed_with_no_counter_needs_a_reason_and_counts_no_blank(
    store: Store, clock
) -> None:
    """A printer behind a print queue reviews a card with no counter (the CUPS job ended with
    nothing said): the person who found no card is the only witness, and no blank was fed."""
    prepare(store, clock, "printing")
    store.jobs.needs_review(JOB, "CUPS job 9 aborted", None)
    with pytest.raises(ReasonRequired, match="no card counter saw the attempt"):
        store.jobs.resolve(JOB, "not_printed", by=TECH)
    assert store.jobs.resolve(JOB, "not_printed", by=TECH, reason=NO_CARD) == "queued"
    assert store.jobs.get(JOB).attempts == 0
    rows = store.db._conn.execute(
        "SELECT kind FROM ledger WHERE consumable = 'cards' AND job_id = ?", (JOB,)
    ).fetchall()
    assert rows == []


def test_not_printed_with_the_counter_unmoved_needs_no_reason(store: Store, clock) -> None:
    prepare(store, clock, "printing")
    store.jobs.needs_review(JOB, "usb_lost", COUNTER)
    assert store.jobs.resolve(JOB, "not_printed", by=TECH) == "queued"
    assert store.jobs.get(JOB).attempts == 0


def test_an_ended_job_is_reduced_to_its_accounting_record_after_the_retention(
    store: Store, clock
) -> None:
    """Issue 15, item 4: name, NIK, address, religion ... stayed for every ended job."""
    prepare(store, clock, "printed")
    row = lambda: store.db._conn.execute(  # noqa: E731
        "SELECT nik, card_json, content_sha256, state, ended_at FROM jobs WHERE job_id = ?", (JOB,)
    ).fetchone()
    before = row()
    assert b"SITI RAHAYU" in files_of(store)
    assert store.jobs.reduce_ended(clock.now() - timedelta(hours=24)) == 0  # not yet
    clock.advance(25 * 3600)
    assert store.jobs.reduce_ended(clock.now() - timedelta(hours=24)) == 1
    after = row()
    assert after["nik"] == "************0001" and after["card_json"] == "{}"
    assert (after["content_sha256"], after["state"], after["ended_at"]) == tuple(before)[2:]
    assert store.jobs.reduce_ended(clock.now()) == 0  # once
    assert b"SITI RAHAYU" not in files_of(store)  # overwritten, not only unlinked


def files_of(store: Store) -> bytes:
    """The database file and its WAL, as a thief with the SD card would read them."""
    path = store.db.path
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
