"""The store's selection and expiry queries are the policy's: over random queues on disk,
`next_queued` picks what `selection.choose_next` picks and `expire_due` ends what
`selection.expired` lists.

Times are whole seconds: the store keeps `not_after` and compares `now` at that precision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.clock import ManualClock
from contract.jobspec import JobSpec, parse_job
from contract.vocabulary import JobReason, JobState
from controller.policy.selection import QueuedJob, blanks_scarce, choose_next, expired
from controller.queue.intake import layout_problems
from controller.queue.store import Store
from testkit.jobs import make_job, nik_for, payload

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
ARRIVAL = NOW - timedelta(hours=1)
TEMPLATE = parse_job(payload(make_job(1)), NOW.date(), layout_problems)
assert isinstance(TEMPLATE, JobSpec)

RETRIED = "retried"  # queued again after a spoiled card, keeping its place
MOVES: dict[str, Callable[[Store, str], object]] = {
    JobState.QUEUED: lambda s, job: None,
    RETRIED: lambda s, job: (s.jobs.start(job, 1), s.jobs.spoiled(job, "jam", 2)),
    JobState.PRINTING: lambda s, job: s.jobs.start(job, 1),
    JobState.NEEDS_REVIEW: lambda s, job: (
        s.jobs.start(job, 1),
        s.jobs.needs_review(job, "usb_lost", 2),
    ),
    JobState.PRINTED: lambda s, job: (s.jobs.start(job, 1), s.jobs.printed(job, 2, "SN1")),
    JobState.FAILED: lambda s, job: s.jobs.fail(job, "render_failed", "x"),
    JobState.CANCELLED: lambda s, job: s.jobs.cancel(job, by="local"),
}
STILL_QUEUED = {JobState.QUEUED, RETRIED}

jobs = st.tuples(
    st.sampled_from(list(JobReason)),
    st.none() | st.integers(-2, 2).map(lambda s: NOW + timedelta(seconds=s)),
    st.sampled_from([JobState.QUEUED, JobState.QUEUED, *MOVES]),
)


def spec(n: int, reason: JobReason, not_after: datetime | None) -> JobSpec:
    card = {**TEMPLATE.card, "nik": nik_for(date(1990, 1, 2), "P", serial=n)}
    return replace(TEMPLATE, job_id=f"J{n}", reason=reason, not_after=not_after, card=card)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    queue=st.lists(jobs, max_size=12),
    remaining=st.integers(0, 40),
    reserve=st.integers(0, 40),
)
def test_next_queued_is_choose_next(
    tmp_path_factory: pytest.TempPathFactory,
    queue: list[tuple[JobReason, datetime | None, str]],
    remaining: int,
    reserve: int,
) -> None:
    clock = ManualClock(ARRIVAL)
    store = Store.open(
        tmp_path_factory.mktemp("selection") / "station.db",
        "3271-bogor-timur-01",
        clock,
        low_thresholds={"cards": 0, "ribbon": 0, "film": 0},
        initial_load={"cards": 100, "ribbon": 100, "film": 100},
    )
    try:
        results = store.intake.store([spec(n, r, na) for n, (r, na, _) in enumerate(queue)])
        assert {result.outcome for result in results} <= {"accepted"}
        for n, (_, _, state) in enumerate(queue):
            MOVES[state](store, f"J{n}")
        clock.advance((NOW - ARRIVAL).total_seconds())
        queued = [
            QueuedJob(f"J{n}", reason, n, not_after)
            for n, (reason, not_after, state) in enumerate(queue)
            if state in STILL_QUEUED
        ]
        chosen = choose_next(queued, NOW, remaining, reserve)
        found = store.jobs.next_queued(NOW, scarce=blanks_scarce(remaining, reserve))
        assert (found and found.job_id) == (chosen and chosen.job_id)
        assert store.jobs.expire_due() == [j.job_id for j in expired(queued, NOW)]
    finally:
        store.close()


def test_each_tier_is_one_indexed_look_up(store: Store) -> None:
    """No plan sorts the queue: every look-up walks an index in `seq` order, LIMIT 1."""
    seen: list[str] = []
    with store.db.reading() as conn:
        conn.set_trace_callback(seen.append)
    for scarce in (False, True):
        store.jobs.next_queued(NOW, scarce=scarce)
    with store.db.reading() as conn:
        conn.set_trace_callback(None)
        queries = [sql for sql in seen if sql.startswith("SELECT")]
        plans = [_plan(conn, sql) for sql in queries]
    assert len(queries) == 3  # one tier when blanks are plenty, two when scarce
    for plan in plans:
        assert "USING INDEX jobs_" in plan and "TEMP B-TREE" not in plan, plan


def _plan(conn: sqlite3.Connection, sql: str) -> str:
    return " / ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
