"""Gaps in seq on a manual clock: grace, replay, retries, report; the sweep on real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg

from central.gaps import GapPolicy, Plan, QuietStations, plan, sweep
from central.gateway import GammuOutbox
from central.sms import ReminderSchedule
from central.store import Effects
from contract.clock import ManualClock
from tests.central.test_store import event

POLICY = GapPolicy(grace=timedelta(seconds=5), retry=timedelta(seconds=30), max_replays=2)


def test_a_gap_is_asked_for_after_the_grace_then_reported() -> None:
    clock = ManualClock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    found = [("st", 3, 4)]
    first = plan([], found, clock.now(), POLICY)
    assert first.replays == [] and first.gaps[0].first_seen == clock.now()
    clock.advance(5)
    second = plan(first.gaps, found, clock.now(), POLICY)
    assert [g.replay_command()["args"] for g in second.replays] == [{"from_seq": 3, "to_seq": 4}]
    clock.advance(29)
    assert plan(second.gaps, found, clock.now(), POLICY).replays == []
    clock.advance(1)
    third = plan(second.gaps, found, clock.now(), POLICY)
    assert third.replays[0].replays == 2
    clock.advance(30)
    fourth = plan(third.gaps, found, clock.now(), POLICY)
    assert (fourth.replays, [g.from_seq for g in fourth.reports]) == ([], [3])
    clock.advance(30)
    assert plan(fourth.gaps, found, clock.now(), POLICY).reports == []


def test_a_partly_filled_gap_keeps_its_history() -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    old = plan([], [("st", 3, 9)], now, POLICY).gaps
    later = plan(old, [("st", 5, 9)], now + timedelta(seconds=5), POLICY)
    assert later.gaps[0].first_seen == now and len(later.replays) == 1


def test_replay_asks_for_at_most_the_stations_limit() -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    gap = plan([], [("st", 1, 50_000)], now, POLICY).gaps[0]
    assert gap.replay_command()["args"] == {"from_seq": 1, "to_seq": 10_000}


def test_the_sweep_finds_gaps_across_stations_and_moves_the_mark(db) -> None:
    effects = Effects(GammuOutbox(), ReminderSchedule.days())
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    effects.apply(db, [event(seq, "job.accepted", "J") for seq in (2, 3, 6)], now)
    result = sweep(db, now, POLICY)
    assert [(g.station, g.from_seq, g.to_seq) for g in result.gaps] == [
        ("3271-bogor-timur-01", 1, 1),
        ("3271-bogor-timur-01", 4, 5),
    ]
    effects.apply(db, [event(seq, "job.accepted", "J") for seq in (1, 4, 5, 5)], now)
    assert sweep(db, now, POLICY).gaps == []
    assert db.execute("SELECT contiguous FROM station_progress").fetchone() == (6,)


def test_the_gaps_table_holds_each_sweeps_plan(db) -> None:
    """Only the rows that changed are written; the table is the plan all the same: a gap partly
    filled keeps its history, a filled one goes, one asked for again counts its replays."""
    effects = Effects(GammuOutbox(), ReminderSchedule.days())
    clock = ManualClock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))

    def swept() -> list[tuple]:
        result = sweep(db, clock.now(), POLICY)
        stored = db.execute("SELECT * FROM gaps ORDER BY station, from_seq").fetchall()
        assert stored == [tuple(g) for g in result.gaps]
        return [(g.from_seq, g.to_seq, g.replays) for g in result.gaps]

    effects.apply(db, [event(seq, "job.accepted", "J") for seq in (2, 6, 9)], clock.now())
    assert swept() == [(1, 1, 0), (3, 5, 0), (7, 8, 0)]
    clock.advance(5)
    effects.apply(db, [event(seq, "job.accepted", "J") for seq in (3, 7, 8)], clock.now())
    assert swept() == [(1, 1, 1), (4, 5, 1)]
    clock.advance(10)
    assert swept() == [(1, 1, 1), (4, 5, 1)]
    clock.advance(30)
    effects.apply(db, [event(1, "job.accepted", "J")], clock.now())
    assert swept() == [(4, 5, 2)]


class CommitsAfterTheFirstRead:
    """The sweep's connection; right after its first read of the events, another replica
    commits an event (through its own connection)."""

    def __init__(self, conn: psycopg.Connection, interloper: Callable[[], None]) -> None:
        self._conn, self._interloper, self._done = conn, interloper, False

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)

    def execute(self, query: str, *args: object) -> psycopg.Cursor:
        cursor = self._conn.execute(query, *args)
        if "FROM events" in query and not self._done:
            self._done = True
            self._interloper()
        return cursor


def test_an_event_committed_during_the_sweep_never_hides_a_gap(dsn, db) -> None:
    effects = Effects(GammuOutbox(), ReminderSchedule.days())
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    effects.apply(db, [event(seq, "job.accepted", "J") for seq in (1, 2)], now)

    def other_replica() -> None:  # seq 3 lost at the broker; 4 arrives
        with psycopg.connect(dsn, autocommit=True) as other:
            effects.apply(other, [event(4, "job.accepted", "J")], now)

    sweep(CommitsAfterTheFirstRead(db, other_replica), now, POLICY)  # type: ignore[arg-type]
    assert db.execute("SELECT contiguous FROM station_progress").fetchone() == (2,)
    assert [(g.from_seq, g.to_seq) for g in sweep(db, now, POLICY).gaps] == [(3, 3)]


def test_known_gaps_are_matched_per_station_and_range() -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    old = plan([], [("a", 3, 4), ("a", 10, 20), ("a", 30, 31), ("b", 10, 20)], now, POLICY).gaps
    later = now + timedelta(seconds=5)
    again = plan(old, [("a", 12, 15), ("a", 18, 33), ("b", 1, 2)], later, POLICY)
    assert [g.first_seen for g in again.gaps] == [now, now, later]


def test_a_quiet_station_is_asked_for_its_tail_a_bounded_number_of_times() -> None:
    """A station whose mark stood still for the retry period, no gap open, is asked for what
    follows it, at most `max_replays` times per mark; a station with a gap open is not."""
    clock = ManualClock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    quiet = QuietStations(POLICY)
    gap = plan([], [("gappy", 3, 3)], clock.now(), POLICY).gaps
    marks = Plan(gap, [], [], marks={"st": 7, "gappy": 2})
    asked = []
    for _ in range(6):
        asked.append(quiet.due(marks, clock.now()))
        clock.advance(30)
    assert asked == [[], [("st", 8, 1)], [("st", 8, 2)], [], [], []]
    moved = Plan([], [], [], marks={"st": 9, "gappy": 5})
    assert quiet.due(moved, clock.now()) == []
    clock.advance(30)
    assert quiet.due(moved, clock.now()) == [("st", 10, 1), ("gappy", 6, 1)]
