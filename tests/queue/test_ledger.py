"""The consumables ledger: the identity holds, and low/empty/reloaded are sent once each."""

from __future__ import annotations

from controller.queue.store import Store
from testkit.jobs import make_job, payload


def balances(store: Store):
    with store.db.reading() as conn:
        return store.ledger.balances(conn)


def print_cards(store: Store, count: int, spoil_every: int = 0) -> None:
    for n in range(1, count + 1):
        job_id = f"JOB-2026-{n:06d}"
        store.intake.submit(payload(make_job(n)))
        store.jobs.start(job_id, n - 1)
        counter = n
        if spoil_every and n % spoil_every == 0:
            store.jobs.spoiled(job_id, "jam", counter)
        else:
            store.jobs.printed(job_id, counter, "SN1")


def consumable_events(store: Store) -> list[tuple[str, dict]]:
    return [(e.type, e.data) for e in store.outbox.all_events() if e.type.startswith("consumable.")]


def test_initial_load_is_booked(store: Store) -> None:
    got = balances(store)
    assert {name: b.remaining for name, b in got.items()} == {
        "cards": 100,
        "ribbon": 200,
        "film": 400,
    }
    assert all(b.holds for b in got.values())


def test_printing_and_spoiling_use_one_of_each(store: Store) -> None:
    print_cards(store, 12, spoil_every=4)
    cards = balances(store)["cards"]
    assert (cards.printed, cards.spoiled, cards.remaining) == (9, 3, 88)
    assert all(b.holds for b in balances(store).values())


def test_low_is_sent_once_per_crossing_and_empty_at_zero(store: Store) -> None:
    with store.db.transaction() as tx:  # down to 12 blanks: threshold is 10
        store.ledger.adopt(tx, "cards", 12, store.jobs._clock.now())
    print_cards(store, 12)
    lows = [d for t, d in consumable_events(store) if t == "consumable.low"]
    empties = [d for t, d in consumable_events(store) if t == "consumable.empty"]
    assert lows == [{"consumable": "cards", "remaining": 10, "threshold": 10}]
    assert empties == [{"consumable": "cards"}]
    assert balances(store)["cards"].remaining == 0


def test_reload_rearms_low(store: Store, clock) -> None:
    with store.db.transaction() as tx:
        store.ledger.adopt(tx, "cards", 11, clock.now())
    print_cards(store, 1)
    with store.db.transaction() as tx:
        store.ledger.reload(tx, "cards", 100, 500, "LOT-7", clock.now())
    with store.db.transaction() as tx:
        store.ledger.adopt(tx, "cards", 10, clock.now())
    lows = [d for t, d in consumable_events(store) if t == "consumable.low"]
    assert len(lows) == 2


def test_reloading_blanks_tops_up_the_feeder(store: Store, clock) -> None:
    print_cards(store, 10)
    with store.db.transaction() as tx:
        store.ledger.reload(tx, "cards", 150, 500, "LOT-1", clock.now())
    cards = balances(store)["cards"]
    assert (cards.remaining, cards.capacity, cards.loaded) == (150, 500, 160)
    assert cards.holds
    assert consumable_events(store)[-1] == (
        "consumable.reloaded",
        {"consumable": "cards", "count": 150, "capacity": 500, "lot": "LOT-1"},
    )


def test_fewer_blanks_than_counted_is_an_adjustment(store: Store, clock) -> None:
    with store.db.transaction() as tx:
        store.ledger.reload(tx, "cards", 97, None, None, clock.now())
    cards = balances(store)["cards"]
    assert (cards.remaining, cards.loaded, cards.adjustments) == (97, 100, -3) and cards.holds


def test_a_new_ribbon_replaces_the_old_one(store: Store, clock) -> None:
    print_cards(store, 5)
    with store.db.transaction() as tx:
        store.ledger.reload(tx, "ribbon", 250, None, "R-2", clock.now())
    ribbon = balances(store)["ribbon"]
    assert (ribbon.remaining, ribbon.loaded, ribbon.adjustments) == (250, 450, -195)
    assert ribbon.holds


def test_printer_count_is_adopted_as_an_adjustment(store: Store, clock) -> None:
    with store.db.transaction() as tx:
        store.ledger.adopt(tx, "ribbon", 125, clock.now())  # "a ribbon for 200 gave 125"
    ribbon = balances(store)["ribbon"]
    assert (ribbon.remaining, ribbon.adjustments) == (125, -75) and ribbon.holds
