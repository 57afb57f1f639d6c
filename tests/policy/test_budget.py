"""Daily and hourly budgets: local days, the rolling hour, clock jumps, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.policy import budget
from controller.policy.budget import BudgetLimits

JAKARTA = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_defaults() -> None:
    limits = BudgetLimits()
    assert (limits.daily_limit, limits.hourly_limit, limits.timezone) == (50, 20, "Asia/Jakarta")


def test_the_jakarta_day_turns_at_1700_utc() -> None:
    day = [utc(2026, 11, 21, 16, 59, 59, 999999), utc(2026, 11, 21, 17, 0)]
    day += [utc(2026, 11, 22, 16, 59, 59, 999999)]
    assert budget.printed_today(day, utc(2026, 11, 22, 16, 59, 59, 999999), JAKARTA) == 2
    assert budget.printed_today(day, utc(2026, 11, 22, 17, 0), JAKARTA) == 0
    assert budget.day_start(utc(2026, 11, 22, 10, 0), JAKARTA) == utc(2026, 11, 21, 17, 0)
    assert budget.next_day_start(utc(2026, 11, 22, 10, 0), JAKARTA) == utc(2026, 11, 22, 17, 0)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)))
def test_jakarta_has_no_daylight_saving(day: date) -> None:
    noon_local = datetime(day.year, day.month, day.day, 12, tzinfo=JAKARTA)
    start = budget.day_start(noon_local, JAKARTA)
    assert start == datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC).replace(
        hour=17
    )
    assert budget.next_day_start(noon_local, JAKARTA) - start == timedelta(hours=24)


def test_a_zone_with_daylight_saving_gets_its_short_and_long_days() -> None:
    spring = utc(2026, 3, 29, 12, 0)
    assert budget.day_start(spring, BERLIN) == utc(2026, 3, 28, 23, 0)
    assert budget.next_day_start(spring, BERLIN) == utc(2026, 3, 29, 22, 0)
    autumn = utc(2026, 10, 25, 12, 0)
    assert budget.next_day_start(autumn, BERLIN) - budget.day_start(autumn, BERLIN) == timedelta(
        hours=25
    )


def test_a_spent_day_resumes_at_local_midnight() -> None:
    limits = BudgetLimits(daily_limit=3, hourly_limit=50)
    starts = [utc(2026, 11, 22, 2, 0), utc(2026, 11, 22, 3, 0), utc(2026, 11, 22, 4, 0)]
    now = utc(2026, 11, 22, 9, 0)
    assert budget.daily_earliest(starts[:2], now, limits) == now
    assert budget.daily_earliest(starts, now, limits) == utc(2026, 11, 22, 17, 0)
    assert budget.earliest_start(starts, now, limits) == utc(2026, 11, 22, 17, 0)
    assert budget.earliest_start(starts, utc(2026, 11, 22, 17, 0), limits) == utc(
        2026, 11, 22, 17, 0
    )


def test_the_hour_is_rolling_not_the_clock_hour() -> None:
    limits = BudgetLimits(daily_limit=50, hourly_limit=20)
    late = [utc(2026, 11, 22, 3, 40) + timedelta(minutes=i) for i in range(20)]
    top_of_hour = utc(2026, 11, 22, 4, 0)
    assert budget.hourly_earliest(late, top_of_hour, limits) == utc(2026, 11, 22, 4, 40)
    assert budget.earliest_start(late, utc(2026, 11, 22, 4, 40), limits) == utc(2026, 11, 22, 4, 40)


def test_the_oldest_card_leaves_the_window_after_exactly_an_hour() -> None:
    limits = BudgetLimits(daily_limit=50, hourly_limit=2)
    starts = [utc(2026, 11, 22, 3, 0), utc(2026, 11, 22, 3, 30)]
    assert budget.hourly_earliest(starts, utc(2026, 11, 22, 3, 45), limits) == utc(
        2026, 11, 22, 4, 0
    )
    assert budget.hourly_earliest(starts[1:], utc(2026, 11, 22, 3, 45), limits) == utc(
        2026, 11, 22, 3, 45
    )


def test_starts_recorded_after_now_count_today_and_in_this_hour() -> None:
    limits = BudgetLimits(daily_limit=2, hourly_limit=2)
    future = [utc(2026, 11, 22, 5, 0), utc(2026, 11, 22, 5, 1)]
    went_back = utc(2026, 11, 22, 3, 0)
    assert budget.printed_today(future, went_back, JAKARTA) == 2
    assert budget.hourly_earliest(future, went_back, limits) == utc(2026, 11, 22, 6, 0)
    assert budget.daily_earliest(future, went_back, limits) == utc(2026, 11, 22, 17, 0)
    across_midnight = [utc(2026, 11, 22, 17, 5), utc(2026, 11, 22, 17, 6)]
    assert budget.daily_earliest(across_midnight, utc(2026, 11, 22, 16, 0), limits) == utc(
        2026, 11, 23, 17, 0
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"daily_limit": 0}, "daily_limit"),
        ({"hourly_limit": -1}, "hourly_limit"),
        ({"daily_limit": True}, "daily_limit"),
        ({"hourly_limit": 2.5}, "hourly_limit"),
        ({"timezone": "Asia/Atlantis"}, "Asia/Atlantis"),
        ({"timezone": "../etc/passwd"}, "time zone"),
    ],
)
def test_bad_limits_are_a_config_error(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BudgetLimits(**kwargs)
