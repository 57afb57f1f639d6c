"""Which job prints next: FIFO, the reserve rule, expiry (the store's SQL: tests/queue)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.policy.selection import QueuedJob, blanks_scarce, choose_next, expired

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def job(seq: int, reason: str = "new", not_after: datetime | None = None) -> QueuedJob:
    return QueuedJob(f"JOB-{seq}", reason, seq, not_after, 0)


def ids(jobs: list[QueuedJob]) -> list[str]:
    return [j.job_id for j in jobs]


def test_plenty_of_blanks_is_first_in_first_out() -> None:
    queue = [job(3, "new"), job(1, "lost"), job(2, "damaged")]
    assert choose_next(queue, NOW, cards_remaining=100, reserve_cards=20) == queue[1]
    assert choose_next([], NOW, 100, 20) is None


@pytest.mark.parametrize("remaining", [0, 19, 20])
def test_at_or_below_the_reserve_new_jobs_go_first_in_order(remaining: int) -> None:
    queue = [job(1, "lost"), job(4, "new"), job(2, "data_change"), job(3, "new")]
    assert choose_next(queue, NOW, remaining, reserve_cards=20) == queue[3]


def test_with_the_replacements_quota_spent_only_new_jobs_print() -> None:
    queue = [job(1, "lost"), job(3, "new"), job(2, "damaged")]
    assert choose_next(queue, NOW, 100, 20, quota_spent=True) == queue[1]
    assert choose_next(queue[::2], NOW, 100, 20, quota_spent=True) is None
    assert choose_next(queue, NOW, 100, 20, quota_spent=False) == queue[0]


def test_just_above_the_reserve_order_is_fifo_again() -> None:
    queue = [job(1, "lost"), job(3, "new")]
    assert choose_next(queue, NOW, cards_remaining=21, reserve_cards=20) == queue[0]


def test_replacements_still_print_at_the_reserve_when_no_new_job_waits() -> None:
    queue = [job(5, "damaged"), job(2, "data_change"), job(9, "new", NOW - timedelta(seconds=1))]
    assert choose_next(queue, NOW, cards_remaining=3, reserve_cards=20) == queue[1]


def test_a_job_may_start_at_its_not_after_and_not_later() -> None:
    queue = [job(1, not_after=NOW), job(2)]
    assert choose_next(queue, NOW, 100, 0) == queue[0]
    later = NOW + timedelta(microseconds=1)
    assert choose_next(queue, later, 100, 0) == queue[1]
    assert expired(queue, NOW) == []
    assert expired(queue, later) == [queue[0]]


def test_expired_lists_past_jobs_in_arrival_order() -> None:
    queue = [job(7, not_after=NOW - timedelta(days=1)), job(2, "lost", NOW - timedelta(hours=1))]
    queue.append(job(5, not_after=NOW + timedelta(hours=1)))
    assert ids(expired(queue, NOW)) == ["JOB-2", "JOB-7"]
    assert choose_next(queue, NOW, 0, 10) == queue[2]


def test_an_unknown_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="reason"):
        job(1, "vip")


def test_blanks_are_scarce_at_or_below_the_reserve() -> None:
    assert [blanks_scarce(r, reserve_cards=20) for r in (0, 20, 21)] == [True, True, False]


reasons = st.sampled_from(["new", "damaged", "lost", "data_change"])
deadlines = st.none() | st.integers(min_value=-5, max_value=5).map(
    lambda m: NOW + timedelta(minutes=m)
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(reasons, deadlines), max_size=25),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=40),
    st.randoms(use_true_random=False),
)
def test_the_tiers_are_the_documented_order(
    specs: list[tuple[str, datetime | None]], remaining: int, reserve: int, rnd: random.Random
) -> None:
    """One sort key, as the module docstring states the rule: scarce replacements last, FIFO."""
    queue = [QueuedJob(f"J{i}", r, i * 3 + 1, na, 0) for i, (r, na) in enumerate(specs)]
    rnd.shuffle(queue)
    eligible = [j for j in queue if j.not_after is None or j.not_after >= NOW]
    scarce = remaining <= reserve
    documented = min(
        eligible,
        key=lambda j: (scarce and j.reason != "new", j.received_seq),
        default=None,
    )
    assert choose_next(queue, NOW, remaining, reserve) == documented
