"""The duty cycle and consumables rules applied to the real store, across restarts.

The policies are tested on their own in tests/policy; here they run over what the store
remembers, so a restart (a new Store and Scheduler on the same file) must not bypass them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.clock import ManualClock
from controller.core.scheduler import PrinterView, Scheduler
from controller.policy.duty import DutySettings
from controller.queue.store import Store
from testkit.jobs import make_job, payload

STATION = "3271-bogor-timur-01"
OPENING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
CARD_S = 20


class Kiosk:
    """A store and a scheduler that can be 'restarted' (closed and opened again)."""

    def __init__(self, path: Path, clock: ManualClock, duty: DutySettings, cards: int = 500):
        self.path, self.clock, self.duty, self.cards = path, clock, duty, cards
        self.counter = 0
        self.restart()

    def restart(self) -> None:
        if hasattr(self, "store"):
            self.store.close()
        self.store = Store.open(
            self.path,
            STATION,
            self.clock,
            low_thresholds={"cards": 10, "ribbon": 10, "film": 10},
            initial_load={"cards": self.cards, "ribbon": 1000, "film": 1000},
        )
        self.scheduler = Scheduler(self.store, self.duty, reserve_cards=20)

    def evaluate(self):
        return self.scheduler.evaluate(
            self.clock.now(), paused=False, printing=False, printer=PrinterView(True)
        )

    def print_next(self, spoil: bool = False) -> str | None:
        job = self.evaluate().next_job
        if job is None:
            return None
        self.store.jobs.start(job.job_id, self.counter)
        self.clock.advance(CARD_S)
        self.counter += 1
        if spoil:
            self.store.jobs.spoiled(job.job_id, "jam", self.counter)
        else:
            self.store.jobs.printed(job.job_id, self.counter, "SN1")
        return job.job_id


def fill(store: Store, count: int, start: int = 1) -> None:
    for n in range(start, start + count):
        assert store.intake.submit(payload(make_job(n))).outcome == "accepted"


def test_a_day_with_restarts_prints_the_budget_and_no_more(tmp_path: Path) -> None:
    clock = ManualClock(OPENING)
    kiosk = Kiosk(tmp_path / "station.db", clock, DutySettings())
    fill(kiosk.store, 120)
    began, printed, steps = time.perf_counter(), 0, 0
    closing = OPENING + timedelta(hours=8)
    while clock.now() < closing:
        steps += 1
        if steps % 7 == 0:
            kiosk.restart()
        if kiosk.print_next():
            printed += 1
            continue
        evaluation = kiosk.evaluate()
        wait_until = evaluation.duty.next_print_at
        if wait_until is None or wait_until >= closing:
            break
        clock.advance((wait_until - clock.now()).total_seconds())
    elapsed = time.perf_counter() - began
    optimum = DutySettings().budget.daily_limit  # 8 h at 20/h allows 160; the day allows 50
    assert printed >= 0.98 * optimum
    assert printed == optimum
    assert kiosk.evaluate().duty.reason == "daily_limit"
    kiosk.restart()
    assert kiosk.evaluate().next_job is None, "a restart must not reset the daily budget"
    assert elapsed < 5, f"a simulated day took {elapsed:.2f} s"


def test_at_or_below_the_reserve_a_new_job_goes_before_an_older_replacement(
    tmp_path: Path,
) -> None:
    for cards, first in ((20, "JOB-2026-000002"), (21, "JOB-2026-000001")):
        kiosk = Kiosk(tmp_path / f"{cards}.db", ManualClock(OPENING), DutySettings(), cards=cards)
        for job in (make_job(1, reason="lost"), make_job(2)):
            assert kiosk.store.intake.submit(payload(job)).outcome == "accepted"
        assert kiosk.evaluate().next_job.job_id == first
        kiosk.store.close()


def test_no_job_is_offered_unless_a_card_may_start(tmp_path: Path) -> None:
    clock = ManualClock(OPENING)
    kiosk = Kiosk(tmp_path / "station.db", clock, DutySettings())
    fill(kiosk.store, 1)
    cases = [
        ({"paused": True, "printing": False, "printer": PrinterView(True)}, "paused"),
        ({"paused": False, "printing": True, "printer": PrinterView(True)}, "printing"),
        ({"paused": False, "printing": False, "printer": PrinterView(False)}, "blocked"),
        ({"paused": False, "printing": False, "printer": PrinterView(True)}, "ready"),
    ]
    for flags, state in cases:
        evaluation = kiosk.scheduler.evaluate(clock.now(), **flags)
        assert evaluation.state.state == state
        assert (evaluation.next_job is not None) == (state == "ready")
    kiosk.store.close()


def check_one_card(kiosk: Kiosk, duty: DutySettings, spoil: bool) -> None:
    """Print the next card if the rules allow; the head must stay within its maximum."""
    starts_before = kiosk.store.jobs.card_starts(OPENING - timedelta(days=1))
    if kiosk.print_next(spoil=spoil) is not None:
        started = kiosk.clock.now() - timedelta(seconds=CARD_S)
        heat = duty.thermal.head_temp([*starts_before, started], started)
        assert heat <= duty.thermal.max_head_c + 1e-9


actions = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.integers(1, 5)),
        st.tuples(st.just("print"), st.booleans()),
        st.tuples(st.just("burst"), st.integers(2, 12)),
        st.tuples(st.just("wait"), st.floats(0, 7200)),
        st.tuples(st.just("jump"), st.floats(-3600, 3600)),
        st.tuples(st.just("reload"), st.integers(0, 200)),
        st.tuples(st.just("restart"), st.none()),
    ),
    max_size=60,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=actions)
def test_no_sequence_breaks_heat_budgets_or_the_ledger(tmp_path_factory, steps) -> None:
    duty = DutySettings(heat_per_card_c=15.0, cooling_tau_s=300.0, daily_limit=12, hourly_limit=6)
    clock = ManualClock(OPENING)
    kiosk = Kiosk(tmp_path_factory.mktemp("db") / "station.db", clock, duty, cards=60)
    arrived = 0
    try:
        for action, value in steps:
            if action == "arrive":
                fill(kiosk.store, value, start=arrived + 1)
                arrived += value
            elif action in ("print", "burst"):
                for _ in range(value if action == "burst" else 1):
                    check_one_card(kiosk, duty, spoil=action == "print" and value)
            elif action == "wait":
                clock.advance(value)
            elif action == "jump":
                clock.jump(value)
            elif action == "reload":
                with kiosk.store.db.transaction() as tx:
                    kiosk.store.ledger.reload(tx, "cards", value, None, None, clock.now())
            else:
                kiosk.restart()
            with kiosk.store.db.reading() as conn:
                balances = kiosk.store.ledger.balances(conn)
            assert all(balance.holds for balance in balances.values())
            assert all(balance.remaining >= 0 for balance in balances.values())
            starts = kiosk.store.jobs.card_starts(OPENING - timedelta(days=1))
            day = [
                s
                for s in starts
                if s.astimezone(duty.budget.zone).date()
                == clock.now().astimezone(duty.budget.zone).date()
            ]
            assert len(day) <= duty.budget.daily_limit
            hour = [s for s in starts if clock.now() - timedelta(hours=1) < s <= clock.now()]
            assert len(hour) <= duty.budget.hourly_limit
    finally:
        kiosk.store.close()
