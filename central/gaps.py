"""Gaps in a station's `seq`: found by a sweep of the events table, asked for with `replay`.

Per station, `seq` grows by one per event forever; events can arrive out of order (several
replicas, redelivery), so a missing `seq` is only a gap once it has stayed missing for the
grace period. Then the station's `replay` command asks for the range again; after
`max_replays` requests that did not fill it, the gap is reported (logged, and in the fleet view).
A lost *last* event shows no gap: `QuietStations` asks a station whose contiguous mark has
stood still for the retry period, with no gap open, for everything after it (bounded:
`max_replays` times per mark and replica), so a burst the broker partly dropped is recovered
without waiting for the station's next event.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import psycopg

from contract.commands import command_document, command_payload

MAX_REPLAY = 10_000  # the station's limit per replay command (docs/interface.md)
_SWEEP_LOCK = 0x7E18  # one replica sweeps at a time


@dataclass(frozen=True)
class GapPolicy:
    grace: timedelta = timedelta(seconds=5)
    retry: timedelta = timedelta(seconds=30)
    max_replays: int = 3


class Gap(NamedTuple):
    """A gap and its history; its fields are the `gaps` table's columns, in order (a tuple:
    a sweep reads and compares thousands of them, each in a fraction of a dataclass's time)."""

    station: str
    from_seq: int
    to_seq: int
    first_seen: datetime
    replays: int = 0
    last_replay_at: datetime | None = None
    reported_at: datetime | None = None

    def replay_command(self) -> dict[str, Any]:
        """The `ektp.cmd/1` request asking the station for this range (at most MAX_REPLAY)."""
        last = min(self.to_seq, self.from_seq + MAX_REPLAY - 1)
        cmd_id = f"central-gap-{self.from_seq}-{last}-{self.replays}"
        return command_document(cmd_id, {"from_seq": self.from_seq, "to_seq": last})


@dataclass(frozen=True)
class Plan:
    gaps: list[Gap]  # what is missing now, with its history
    replays: list[Gap]  # ask the station for these ranges now
    reports: list[Gap]  # persistent: reported now
    marks: dict[str, int] = field(default_factory=dict)  # every station's contiguous mark


def plan(
    old: list[Gap], found: list[tuple[str, int, int]], now: datetime, policy: GapPolicy
) -> Plan:
    """What to do about the gaps `found` now, given what was known of them (`old`)."""
    known = _KnownGaps(old)
    gaps, replays, reports = [], [], []
    for station, first, last in found:
        gap = known.merged(station, first, last, now)
        waited = gap.last_replay_at is None or now - gap.last_replay_at >= policy.retry
        if now - gap.first_seen >= policy.grace and waited:
            if gap.replays < policy.max_replays:
                gap = gap._replace(replays=gap.replays + 1, last_replay_at=now)
                replays.append(gap)
            elif gap.reported_at is None:
                gap = gap._replace(reported_at=now)
                reports.append(gap)
        gaps.append(gap)
    return Plan(gaps, replays, reports)


class _KnownGaps:
    """The gaps known before, per station in `from_seq` order (they never overlap each other),
    so that finding those a new gap overlaps costs a bisection, not a scan of them all."""

    def __init__(self, old: list[Gap]) -> None:
        self._exact = {(g.station, g.from_seq, g.to_seq): g for g in old}
        self._by_station: dict[str, list[Gap]] = defaultdict(list)
        for gap in sorted(old, key=lambda g: (g.station, g.from_seq)):
            self._by_station[gap.station].append(gap)
        self._starts = {st: [g.from_seq for g in gaps] for st, gaps in self._by_station.items()}

    def merged(self, station: str, first: int, last: int, now: datetime) -> Gap:
        """The gap `first`..`last` found `now`, with the history of the known gaps it overlaps:
        first seen by the earliest, its replays and last replay by the latest, reported by the
        first report. A gap known with the same range is its own history (in the middle of a
        backlog, most are): that one is returned as it is."""
        same = self._exact.get((station, first, last))
        if same is not None and same.first_seen <= now:
            return same
        overlapping = self.overlapping(station, first, last)
        gap = Gap(station, first, last, min([now, *(g.first_seen for g in overlapping)]))
        if not overlapping:
            return gap
        return gap._replace(
            replays=max(g.replays for g in overlapping),
            last_replay_at=max(
                (g.last_replay_at for g in overlapping if g.last_replay_at), default=None
            ),
            reported_at=min((g.reported_at for g in overlapping if g.reported_at), default=None),
        )

    def overlapping(self, station: str, first: int, last: int) -> list[Gap]:
        gaps = self._by_station.get(station, [])
        end = bisect_right(self._starts.get(station, []), last)  # those starting by `last`
        found = []
        while end > 0 and gaps[end - 1].to_seq >= first:
            end -= 1
            found.append(gaps[end])
        return found


def sweep(conn: psycopg.Connection, now: datetime, policy: GapPolicy) -> Plan | None:
    """Find the gaps, move each station's contiguous mark, record the plan; None if another
    replica is sweeping."""
    with conn.transaction():
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_SWEEP_LOCK,)).fetchone()[0]:
            return None
        found, contiguous = _arrivals(conn)
        for station, first, _ in found:
            contiguous[station] = min(contiguous[station], first - 1)
        conn.execute(
            "INSERT INTO station_progress (station, contiguous)"
            " SELECT * FROM unnest(%b::text[], %b::bigint[]) ON CONFLICT (station) DO UPDATE"
            " SET contiguous = excluded.contiguous"
            " WHERE station_progress.contiguous IS DISTINCT FROM excluded.contiguous",
            (sorted(contiguous), [contiguous[station] for station in sorted(contiguous)]),
        )
        old = [Gap._make(row) for row in conn.execute("SELECT * FROM gaps").fetchall()]
        result = plan(old, found, now, policy)
        marks = dict(conn.execute("SELECT station, contiguous FROM station_progress").fetchall())
        _store_gaps(conn, old, result.gaps)
    return replace(result, marks=marks)


def _store_gaps(conn: psycopg.Connection, old: list[Gap], gaps: list[Gap]) -> None:
    """Make the `gaps` table hold `gaps` where it held `old`: only the rows that changed are
    deleted and written (in the middle of a backlog, thousands of gaps stay as they were from
    one sweep to the next: `plan` hands those on as the very objects read)."""
    kept = {id(g) for g in gaps} & {id(g) for g in old}
    gone = sorted((g for g in old if id(g) not in kept), key=lambda g: (g.station, g.from_seq))
    if gone:
        conn.execute(
            "DELETE FROM gaps WHERE (station, from_seq) IN"
            " (SELECT * FROM unnest(%b::text[], %b::bigint[]))",
            ([g.station for g in gone], [g.from_seq for g in gone]),
        )
    fresh = sorted((g for g in gaps if id(g) not in kept), key=lambda g: (g.station, g.from_seq))
    if fresh:
        conn.execute(
            "INSERT INTO gaps SELECT * FROM unnest(%b::text[], %b::bigint[], %b::bigint[],"
            " %b::timestamptz[], %b::int[], %b::timestamptz[], %b::timestamptz[])",
            tuple(list(column) for column in zip(*fresh, strict=True)),
        )


def _arrivals(conn: psycopg.Connection) -> tuple[list[tuple[str, int, int]], dict[str, int]]:
    """The gaps above each station's contiguous mark, and each station's top `seq` there, in
    ONE statement: one snapshot of the events, so that an event another replica commits
    meanwhile cannot show in the top and not in the gaps (the mark would pass a gap unseen)."""
    rows = conn.execute(
        "WITH fresh AS (SELECT e.station, e.seq, coalesce(p.contiguous, 0) AS mark FROM events e"
        " LEFT JOIN station_progress p USING (station) WHERE e.seq > coalesce(p.contiguous, 0)),"
        " ordered AS (SELECT station, seq, coalesce(lag(seq) OVER w, mark) AS prev FROM fresh"
        " WINDOW w AS (PARTITION BY station ORDER BY seq))"
        " SELECT station, prev + 1, seq - 1 FROM ordered WHERE seq > prev + 1"
        " UNION ALL SELECT station, NULL, max(seq) FROM fresh GROUP BY station"
        " ORDER BY 1, 2"
    ).fetchall()
    found = [(station, first, last) for station, first, last in rows if first is not None]
    return found, {station: top for station, first, top in rows if first is None}


def replay_payload(gap: Gap) -> bytes:
    return command_payload(gap.replay_command())


def tail_payload(station: str, from_seq: int, asked: int) -> bytes:
    """The `replay` command asking a quiet station for everything from `from_seq` on."""
    cmd_id = f"central-quiet-{from_seq}-{asked}"
    return command_payload(command_document(cmd_id, {"from_seq": from_seq}))


@dataclass
class _Quiet:
    mark: int
    since: datetime  # when the mark last moved, or when it was last asked after
    asked: int = 0


class QuietStations:
    """The stations whose tail to ask for: contiguous mark unmoved for `policy.retry`, no gap
    open; at most `policy.max_replays` times per mark (this replica's memory: a restart or
    another replica may ask once more, which the station answers with what it has)."""

    def __init__(self, policy: GapPolicy) -> None:
        self.policy = policy
        self._stations: dict[str, _Quiet] = {}

    def due(self, plan: Plan, now: datetime) -> list[tuple[str, int, int]]:
        """`(station, from_seq, times asked)` for each station to ask now."""
        open_gaps = {gap.station for gap in plan.gaps}
        due = []
        for station, mark in plan.marks.items():
            quiet = self._stations.get(station)
            if quiet is None or quiet.mark != mark:
                self._stations[station] = _Quiet(mark, now)
            elif (
                station not in open_gaps
                and quiet.asked < self.policy.max_replays
                and now - quiet.since >= self.policy.retry
            ):
                quiet.asked += 1
                quiet.since = now
                due.append((station, mark + 1, quiet.asked))
        return due
