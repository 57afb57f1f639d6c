"""Property tests: a small pure station driven by the policies through random days.

The simulated station keeps only what the real one stores (the card starts, the queue, the
consumables ledger); its one piece of memory, when to wake up next, is lost on a restart, and
every decision is rebuilt from the stored history as the store would return it
(`history_since`). Arrivals, prints, spoils, reloads, recounts, restarts, pauses, the printer's
cooling flag and wall-clock jumps come in random order. After every card start the invariants
are checked against oracles written here, on the wall clock the station sees and, as long as
the clock only ever jumped backwards, on the true elapsed time as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.vocabulary import Consumable
from controller.policy.duty import DutySettings, decide, history_since
from controller.policy.retry import SpoilDecision, after_spoil
from controller.policy.selection import QueuedJob, choose_next, expired
from controller.policy.station_state import StationInputs, may_start_card
from controller.policy.thermal import ThermalModel

BASE = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
CARD = timedelta(seconds=20)
HOUR = timedelta(hours=1)
NAMES = [c.value for c in Consumable]
Step = tuple[tuple[int, str, int | None], tuple | None, int]


@dataclass
class Ledger:
    """Per consumable: loaded = printed + spoiled + remaining + adjusted (invariant 4)."""

    remaining: dict[str, int]
    loaded: dict[str, int] = field(default_factory=dict)
    printed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NAMES, 0))
    spoiled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NAMES, 0))
    adjusted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NAMES, 0))

    def __post_init__(self) -> None:
        self.loaded = dict(self.remaining)

    def reload(self, name: str, count: int) -> None:
        self.loaded[name] += count
        self.remaining[name] += count

    def recount(self, name: str, delta: int) -> None:
        delta = max(delta, -self.remaining[name])
        self.remaining[name] += delta
        self.adjusted[name] -= delta

    def use(self, spoiled: bool) -> None:
        for name in NAMES:
            assert self.remaining[name] >= 1, f"a card started without {name}"
            self.remaining[name] -= 1
            (self.spoiled if spoiled else self.printed)[name] += 1

    def check(self) -> None:
        for n in NAMES:
            assert self.remaining[n] >= 0
            total = self.printed[n] + self.spoiled[n] + self.remaining[n] + self.adjusted[n]
            assert self.loaded[n] == total


@dataclass
class Station:
    config: DutySettings
    reserve: int
    max_attempts: int
    ledger: Ledger
    spoils: list[bool]
    true: timedelta = timedelta(0)
    offset: timedelta = timedelta(0)
    history: list[datetime] = field(default_factory=list)
    true_starts: list[timedelta] = field(default_factory=list)
    queue: list[QueuedJob] = field(default_factory=list)
    printed_jobs: set[str] = field(default_factory=set)
    seq: int = 0
    wake_at: datetime | None = None
    paused: bool = False
    printer_cooling: bool = False
    only_backward_jumps: bool = True

    def wall(self) -> datetime:
        return BASE + self.true + self.offset

    def arrive(self, count: int, reason: str, ttl: int | None) -> None:
        for _ in range(count):
            self.seq += 1
            not_after = None if ttl is None else self.wall() + timedelta(seconds=ttl)
            self.queue.append(QueuedJob(f"J{self.seq}", reason, self.seq, not_after, 0))

    def jump(self, seconds: int) -> None:
        self.offset += timedelta(seconds=seconds)
        self.only_backward_jumps &= seconds <= 0

    def run(self, duration: timedelta) -> None:
        end = self.true + duration
        while self.true < end:
            now = self.wall()
            if self.wake_at is not None and now < self.wake_at:
                self.true = min(end, self.true + (self.wake_at - now))
                continue
            self.wake_at = None
            for job in expired(self.queue, now):
                self.queue.remove(job)
            since = history_since(now, self.config)
            stored = [s for s in self.history if s >= since]
            duty = decide(stored, now, self.config, self.printer_cooling)
            inputs = StationInputs(
                self.paused, False, True, False, False, self.ledger.remaining, 0, duty
            )
            may, _ = may_start_card(inputs)
            job = choose_next(self.queue, now, self.ledger.remaining["cards"], self.reserve)
            if may and job is not None:
                self.print_card(job, now)
            elif duty.next_print_at is not None:
                self.wake_at = duty.next_print_at
            else:
                break
        self.true = max(self.true, end)

    def print_card(self, job: QueuedJob, now: datetime) -> None:
        self.history.append(now)
        self.true_starts.append(self.true)
        self.check_start(now)
        spoiled = self.spoils[len(self.history) % len(self.spoils)]
        self.ledger.use(spoiled)
        self.queue.remove(job)
        attempts = job.attempts + 1
        if not spoiled:
            assert job.job_id not in self.printed_jobs
            self.printed_jobs.add(job.job_id)
        elif after_spoil(attempts, self.max_attempts) is SpoilDecision.RETRY:
            self.queue.append(replace(job, attempts=attempts))
        self.true += CARD

    def check_start(self, now: datetime) -> None:
        thermal, limits = self.config.thermal, self.config.budget
        ages = [max(0.0, (now - s).total_seconds()) for s in self.history]
        assert oracle_temp(thermal, ages) <= thermal.max_head_c + 1e-9
        assert sum(1 for s in self.history if s > now - HOUR) <= limits.hourly_limit
        midnight = now.astimezone(ZoneInfo(limits.timezone)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        assert sum(1 for s in self.history if s >= midnight) <= limits.daily_limit
        if self.only_backward_jumps:
            true_ages = [(self.true - s).total_seconds() for s in self.true_starts]
            assert oracle_temp(thermal, true_ages) <= thermal.max_head_c + 1e-9
            assert sum(1 for s in self.true_starts if s > self.true - HOUR) <= limits.hourly_limit


def oracle_temp(model: ThermalModel, ages: list[float]) -> float:
    decay = sum(math.exp(-a / model.cooling_tau_s) for a in ages)
    return model.ambient_c + model.heat_per_card_c * decay


@st.composite
def configs(draw: st.DrawFn) -> DutySettings:
    ambient = draw(st.floats(min_value=15, max_value=35))
    headroom = draw(st.floats(min_value=10, max_value=80))
    heat = draw(st.floats(min_value=0.5, max_value=headroom - 0.5))
    tau = draw(st.floats(min_value=30, max_value=900))
    few_or_many = st.integers(min_value=1, max_value=25) | st.integers(min_value=100, max_value=500)
    return DutySettings(
        daily_limit=draw(few_or_many),
        hourly_limit=draw(few_or_many),
        timezone=draw(st.sampled_from(["Asia/Jakarta", "Asia/Jayapura", "Europe/Berlin"])),
        ambient_c=ambient,
        heat_per_card_c=heat,
        cooling_tau_s=tau,
        max_head_c=ambient + headroom,
    )


reasons = st.sampled_from(["new", "new", "damaged", "lost", "data_change"])
counts = st.integers(min_value=0, max_value=20) | st.integers(min_value=100, max_value=300)


def events(jumps: st.SearchStrategy[int]) -> st.SearchStrategy[list[Step]]:
    """Steps of: some jobs arrive, something may happen, then the station runs for a while."""
    ttl = st.none() | st.integers(min_value=60, max_value=6 * 3600)
    arrivals = st.tuples(st.integers(min_value=0, max_value=6), reasons, ttl)
    name = st.sampled_from(NAMES)
    event = st.one_of(
        st.none(),
        st.tuples(st.just("reload"), name, st.integers(min_value=1, max_value=30)),
        st.tuples(st.just("recount"), name, st.integers(min_value=-5, max_value=3)),
        st.tuples(st.just("restart")),
        st.tuples(st.just("jump"), jumps),
        st.tuples(st.just("cooling"), st.booleans()),
        st.tuples(st.just("pause"), st.booleans()),
    )
    run = st.integers(min_value=0, max_value=300) | st.integers(min_value=0, max_value=3 * 3600)
    return st.lists(st.tuples(arrivals, event, run), min_size=3, max_size=40)


def simulate(
    config: DutySettings, loads: tuple[int, int, int], extra: tuple[int, int], spoils: list[bool]
) -> Station:
    reserve, max_attempts = extra
    return Station(
        config, reserve, max_attempts, Ledger(dict(zip(NAMES, loads, strict=True))), spoils
    )


def play(station: Station, script: list[Step]) -> None:
    for arrivals, event, seconds in script:
        station.arrive(*arrivals)
        kind, *args = event or ("nothing",)
        if kind == "reload":
            station.ledger.reload(*args)
        elif kind == "recount":
            station.ledger.recount(*args)
        elif kind == "restart":
            station.wake_at = None
        elif kind == "jump":
            station.jump(args[0])
        elif kind == "cooling":
            station.printer_cooling = args[0]
        elif kind == "pause":
            station.paused = args[0]
        station.ledger.check()
        station.run(timedelta(seconds=seconds))
        station.ledger.check()


def hours_or_days(sign: int) -> st.SearchStrategy[int]:
    """Clock jumps in one direction: mostly within a few hours, sometimes days."""
    seconds = st.integers(min_value=1, max_value=3 * 3600) | st.integers(
        min_value=1, max_value=2 * 86400
    )
    return seconds.map(lambda s: sign * s)


common = (
    configs(),
    st.tuples(counts, counts, counts),
    st.tuples(st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=4)),
    st.lists(st.booleans(), min_size=1, max_size=7),
)


@settings(max_examples=150, deadline=None)
@given(*common, events(hours_or_days(-1) | hours_or_days(1)))
def test_invariants_hold_on_the_station_clock(
    config: DutySettings,
    loads: tuple[int, int, int],
    extra: tuple[int, int],
    spoils: list[bool],
    script: list[Step],
) -> None:
    play(simulate(config, loads, extra, spoils), script)


@settings(max_examples=150, deadline=None)
@given(*common, events(hours_or_days(-1)))
def test_backward_clock_jumps_never_allow_more_than_real_time_does(
    config: DutySettings,
    loads: tuple[int, int, int],
    extra: tuple[int, int],
    spoils: list[bool],
    script: list[Step],
) -> None:
    station = simulate(config, loads, extra, spoils)
    play(station, script)
    assert station.only_backward_jumps


def test_the_simulator_prints_and_its_checks_can_fail() -> None:
    station = simulate(DutySettings(), (100, 100, 100), (0, 3), [False])
    play(station, [((8, "new", None), None, 3600)])
    assert len(station.printed_jobs) == 8
    assert station.ledger.remaining == {"cards": 92, "ribbon": 92, "film": 92}
    station.ledger.remaining["film"] += 1
    with pytest.raises(AssertionError):
        station.ledger.check()
