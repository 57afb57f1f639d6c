"""Cards the printer counted that the station did not print, found at a card's start."""

from __future__ import annotations

from controller.queue.store import Store
from controller.queue.unaccounted import forget_unaccounted, unaccounted
from testkit.jobs import make_job, payload


def job_id(n: int) -> str:
    return f"JOB-2026-{n:06d}"


def printed(store: Store, n: int, before: int) -> int:
    """Job n printed from counter `before`; the cards found outside at its start."""
    store.intake.submit(payload(make_job(n)))
    outside = store.jobs.start(job_id(n), before)
    store.jobs.printed(job_id(n), before + 1, "VP0000001")
    return outside


def remaining(store: Store) -> dict[str, int]:
    with store.db.reading() as conn:
        balances = store.ledger.balances(conn)
    assert all(balance.holds for balance in balances.values())
    return {name: balance.remaining for name, balance in balances.items()}


def test_the_first_card_has_nothing_to_compare_with(store: Store) -> None:
    assert printed(store, 1, 4187) == 0
    assert store.outbox.all_events()[-1].type == "card.printed"


def test_a_jump_is_booked_with_its_event_and_kept_until_the_blanks_are_reloaded(
    store: Store,
) -> None:
    assert printed(store, 1, 41) == 0
    assert printed(store, 2, 44) == 2  # the printer counted 42 and 43 elsewhere
    (event,) = [e for e in store.outbox.all_events() if e.type == "cards.unaccounted"]
    assert event.job_id is None
    assert event.data == {"cards": 2, "counter_before": 42, "card_counter": 44}
    assert remaining(store) == {"cards": 96, "ribbon": 196, "film": 396}
    assert printed(store, 3, 45) == 0
    with store.db.reading() as conn:
        assert unaccounted(conn) == 2
    with store.db.transaction() as tx:
        forget_unaccounted(tx)
        assert unaccounted(tx) == 0


def test_a_counter_that_went_back_is_not_booked(store: Store) -> None:
    printed(store, 1, 41)
    assert printed(store, 2, 7) == 0  # another printer: nothing of it is on these books
    assert remaining(store)["cards"] == 98


def test_the_books_never_go_below_nothing_left(store: Store) -> None:
    printed(store, 1, 0)
    assert printed(store, 2, 150) == 149  # more than the 99 blanks on the books
    assert remaining(store)["cards"] == 0
