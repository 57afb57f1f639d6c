"""Issue 26: the lots' identity, received = printed + spoiled + in stock - adjustments and
spoiled = in custody + destroyed, per lot, whatever happens in whatever order; and a period's
books carry on from the one before."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.clock import ManualClock, rfc3339
from contract.vocabulary import AttemptOutcome, Consumable, Role
from controller.queue.accounts import Account
from controller.queue.lots import LotError, book_adjustment, take_from_lots
from controller.queue.store import Store

STEP_S = 7 * 3600
RECEIVE = st.tuples(st.just("receive"), st.tuples(st.integers(1, 12), st.integers(0, 100)))
USE = st.tuples(st.just("use"), st.sampled_from([AttemptOutcome.PRINTED, AttemptOutcome.SPOILED]))
ADJUST = st.tuples(st.just("adjust"), st.integers(-5, 5).filter(bool))
TAKE = st.tuples(st.just("take"), st.integers(1, 6))
DESTROY = st.tuples(st.just("destroy"), st.integers(1, 4))
STEPS = st.lists(st.one_of(RECEIVE, USE, ADJUST, TAKE, DESTROY), max_size=40)


def run(store: Store, clock: ManualClock, steps: list[tuple[str, object]]) -> None:
    lots = store.lots
    for n, (step, value) in enumerate(steps):
        clock.advance(STEP_S)
        now = clock.now()
        if step == "receive":
            quantity, new_share = value
            lots.receive(Consumable.CARDS, f"L-{n}", quantity, "2026-12-01", "budi", now, new_share)
            lots.countersign(Consumable.CARDS, f"L-{n}", "siti", now)
        elif step == "use":
            with store.db.transaction() as tx:
                store.ledger.use(tx, AttemptOutcome(str(value)), f"JOB-{n}", now)
        elif step == "destroy":
            with suppress(LotError):  # fewer in custody: refused, nothing closed
                lots.destroy(int(value), "2026-12-07", "siti", "budi", now)
        else:
            with store.db.transaction() as tx:
                if step == "take":
                    take_from_lots(tx, Consumable.CARDS, int(value), "siti", "count", now)
                else:
                    with suppress(LotError):  # more than the lot holds: refused
                        book_adjustment(tx, Consumable.CARDS, None, int(value), "siti", "x", now)


@settings(max_examples=60, deadline=None)
@given(steps=STEPS, split=st.integers(0, 40))
def test_every_lot_balances_and_periods_follow_on(steps, split) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock()
        start = clock.now()
        store = Store.open(
            Path(folder) / "station.db",
            "3271-bogor-timur-01",
            clock,
            low_thresholds=dict.fromkeys(Consumable, 0),
            initial_load=dict.fromkeys(Consumable, 1000),
        )
        try:
            for name, role in (("budi", Role.OPERATOR), ("siti", Role.SUPERVISOR)):
                store.accounts.add(Account(name, name.title(), role, None), "root", clock.now())
            run(store, clock, steps)
            books = store.lots.books()
            assert all(lot.holds for lot in books)
            assert all(lot.in_stock >= 0 for lot in books)
            cut = rfc3339(start + timedelta(seconds=STEP_S * split + 60))
            before = {lot.lot: lot for lot in store.lots.books(until=cut)}
            after = {lot.lot: lot for lot in store.lots.books(since=cut)}
            for name, lot in after.items():
                opening = before[name].in_stock if name in before else 0
                flows = lot.received - lot.printed - lot.spoiled + lot.adjusted
                assert opening + flows == lot.in_stock
                custody = before[name].in_custody if name in before else 0
                assert custody + lot.spoiled - lot.destroyed == lot.in_custody
        finally:
            store.close()
