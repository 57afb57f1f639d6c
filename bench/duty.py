"""(6) Duty-cycle efficiency: cards in a simulated day against the model's optimum.

The approach of tests/station/test_scheduler.py (the policies over the real store, on a
manual clock, restarted now and then) and tests/policy/test_day.py (an 8-hour day with a
full queue against an independent optimum), with the station's own code and none of theirs:
a real `Store` on disk and the real `Scheduler`; every card is `start`ed, takes 20 s of
printer mechanics and is `printed`; when no card may start the clock jumps to the decision's
`next_print_at`. Every 25 cards the store and scheduler are closed and opened again, so the
rules run on what the store remembers, as after a restart.

The optimum is computed here in closed form, greedily: each card starts at the earliest
instant, no sooner than the previous start plus the card time, at which the head model, the
rolling hour and the day all allow it. Each rule only gets easier as time passes, so the
earliest instant is the latest of the three rules' own earliest instants, and greedy is
optimal (an earlier start never makes a later card wait longer).

Scenarios: the defaults (50 a day binds), the hourly limit alone (20 an hour for 8 hours)
and the head model alone (budgets lifted). Target: at least 98 % of the optimum in each.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import job_payloads, open_store, station_logging
from bench.measure import Context, Measure
from contract.clock import ManualClock
from controller.core.scheduler import PrinterView, Scheduler
from controller.policy.duty import DutySettings
from controller.queue.intake import IntakeOutcome
from controller.queue.store import Store

OPEN = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
DAY = timedelta(hours=8)  # closes at 16:00, the same local day
CARD = timedelta(seconds=20)
HOUR = timedelta(hours=1)
RESTART_EVERY = 25
TARGET = 0.98
LIFTED = 10_000
SCENARIOS = {
    "defaults": DutySettings(),
    "hourly limit": DutySettings(daily_limit=LIFTED),
    "head model": DutySettings(daily_limit=LIFTED, hourly_limit=LIFTED),
}


def optimum(config: DutySettings, opening: datetime, closing: datetime) -> int:
    """Cards a greedy schedule starts in [opening, closing) (module docstring)."""
    model, limits = config.thermal, config.budget
    h, tau = model.heat_per_card_c, model.cooling_tau_s
    room = model.max_head_c - model.ambient_c - h  # the most excess heat a start may find
    starts: list[datetime] = []
    excess = 0.0  # degrees above ambient just after the last start
    t = opening
    while len(starts) < limits.daily_limit:  # the day is one local day
        candidates = [t]
        if len(starts) >= limits.hourly_limit:
            candidates.append(starts[-limits.hourly_limit] + HOUR)
        if starts and excess > room:
            candidates.append(starts[-1] + timedelta(seconds=tau * math.log(excess / room)))
        t = max(candidates)
        if t >= closing:
            break
        if starts:
            excess *= math.exp(-(t - starts[-1]).total_seconds() / tau)
        excess += h
        starts.append(t)
        t += CARD
    return len(starts)


class Kiosk:
    """A store and scheduler on one database file, restartable."""

    def __init__(self, path: Path, clock: ManualClock, config: DutySettings) -> None:
        self.path, self.clock, self.config = path, clock, config
        self.store: Store | None = None
        self.restart()

    def restart(self) -> None:
        if self.store is not None:
            self.store.close()
        self.store = open_store(self.path, self.clock)
        self.scheduler = Scheduler(self.store, self.config, reserve_cards=20)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def station_day(workdir: Path, config: DutySettings, jobs: int) -> dict[str, Any]:
    """Run one day through the store and scheduler; return cards printed, restarts, time."""
    clock = ManualClock(OPEN - timedelta(hours=1))
    kiosk = Kiosk(workdir / "station.db", clock, config)
    assert kiosk.store is not None
    for message in job_payloads(jobs):
        if kiosk.store.intake.submit(message).outcome is not IntakeOutcome.ACCEPTED:
            raise RuntimeError("benchmark job not accepted")
    clock.advance((OPEN - clock.now()).total_seconds())
    closing = OPEN + DAY
    printed = restarts = counter = 0
    began = time.perf_counter()
    try:
        while clock.now() < closing:
            assert kiosk.store is not None
            evaluation = kiosk.scheduler.evaluate(
                clock.now(), paused=False, printing=False, printer=PrinterView(True)
            )
            job = evaluation.next_job
            if job is not None:
                kiosk.store.jobs.start(job.job_id, counter)
                clock.advance(CARD.total_seconds())
                counter += 1
                kiosk.store.jobs.printed(job.job_id, counter, "VP0000001")
                printed += 1
                if printed % RESTART_EVERY == 0:
                    kiosk.restart()
                    restarts += 1
                continue
            wake = evaluation.duty.next_print_at
            if wake is None or wake >= closing:
                break
            clock.advance((wake - clock.now()).total_seconds())
    finally:
        kiosk.close()
    if printed >= jobs:
        raise RuntimeError("the queue ran dry: the day was not limited by the rules")
    return {"printed": printed, "restarts": restarts, "seconds": time.perf_counter() - began}


def run(ctx: Context) -> list[Measure]:
    base = ctx.dir("duty")
    measures, worst = [], 1.0
    with station_logging(base / "station.log"):
        for name, config in SCENARIOS.items():
            best = optimum(config, OPEN, OPEN + DAY)
            day = station_day(ctx.dir(f"duty/{name.replace(' ', '-')}"), config, best + 30)
            efficiency = day["printed"] / best
            worst = min(worst, efficiency)
            measures.append(
                Measure(
                    f"duty.cards.{name.replace(' ', '_')}",
                    f"cards in a day: {name}",
                    day["printed"],
                    "cards",
                    best,
                    "the model's optimum",
                    details={**day, "optimum": best, "efficiency": efficiency},
                )
            )
    measures.append(
        Measure(
            "duty.efficiency_percent",
            "duty-cycle efficiency (worst scenario)",
            worst * 100,
            "%",
            100.0,
            "the optimum",
            f"≥ {TARGET * 100:.0f} %",
            worst >= TARGET,
        )
    )
    return measures
