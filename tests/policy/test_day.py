"""A simulated 8-hour day with a full queue prints (nearly) all the cards the rules allow.

The optimum is computed here independently, greedily by definition: each card starts at the
earliest instant ≥ the previous start + the card time at which every rule holds, found by
bisection on an incrementally kept head temperature and by counting. Greedy is optimal for
these rules: each rule's condition at time t only gets easier when earlier cards start earlier
(they have cooled longer, left the rolling hour sooner), so by induction the k-th greedy start
is no later than the k-th start of any feasible schedule.
"""

from __future__ import annotations

import math
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from controller.policy.duty import DutySettings, decide, history_since
from controller.policy.station_state import StationInputs, may_start_card

OPEN = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
CLOSE = OPEN + timedelta(hours=8)  # 16:00, the same local day
CARD = timedelta(seconds=20)  # printer mechanics per card
LOADED = {"cards": 1000, "ribbon": 1000, "film": 1000}


def station_day(config: DutySettings) -> list[datetime]:
    """The station's loop: decide from the stored history, print or sleep until told."""
    history: list[datetime] = []
    now = OPEN
    while now < CLOSE:
        since = history_since(now, config)
        stored = [s for s in history if s >= since]
        duty = decide(stored, now, config)
        inputs = StationInputs(False, False, True, False, False, LOADED, 0, duty)
        if may_start_card(inputs)[0]:
            history.append(now)
            now += CARD
        else:
            assert duty.next_print_at is not None
            now = duty.next_print_at
    return history


def optimum(config: DutySettings) -> int:
    """Cards a greedy-by-definition schedule fits between OPEN and CLOSE."""
    model, limits = config.thermal, config.budget
    headroom = model.max_head_c - model.ambient_c
    last, excess_after_last = OPEN, 0.0
    window: deque[datetime] = deque()
    count, t = 0, OPEN

    def excess(at: datetime) -> float:
        return excess_after_last * math.exp(-(at - last).total_seconds() / model.cooling_tau_s)

    while count < limits.daily_limit:
        while window and window[0] <= t - timedelta(hours=1):
            window.popleft()
        if len(window) >= limits.hourly_limit:
            t = window[0] + timedelta(hours=1)
            continue
        if excess(t) + model.heat_per_card_c > headroom:
            low, high = t, t + timedelta(seconds=40 * model.cooling_tau_s)
            while high - low > timedelta(microseconds=1):
                mid = low + (high - low) / 2
                low, high = (
                    (low, mid) if excess(mid) + model.heat_per_card_c <= headroom else (mid, high)
                )
            t = high
            continue
        if t >= CLOSE:
            break
        excess_after_last, last = excess(t) + model.heat_per_card_c, t
        window.append(t)
        count += 1
        t += CARD
    return count


SCENARIOS = {
    "defaults": DutySettings(),
    "head_model_only": DutySettings(daily_limit=10_000, hourly_limit=10_000),
    "hourly_limit": DutySettings(daily_limit=10_000),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_full_day_prints_at_least_98_percent_of_the_optimum(name: str) -> None:
    config = SCENARIOS[name]
    started = time.perf_counter()
    printed = station_day(config)
    elapsed = time.perf_counter() - started
    best = optimum(config)
    assert len(printed) >= 0.98 * best
    assert len(printed) <= best  # how long a day takes is bench/duty.py's to measure
    print(f"{name}: {len(printed)} of {best} optimum in {elapsed * 1000:.0f} ms")


def test_the_optimum_is_what_the_defaults_promise() -> None:
    assert optimum(SCENARIOS["defaults"]) == 50
    assert optimum(SCENARIOS["hourly_limit"]) == 8 * 20
    thermal_only = optimum(SCENARIOS["head_model_only"])
    steady = 8 * 3600 / (480 * math.log(10 / 9))
    assert steady <= thermal_only <= steady + 12
