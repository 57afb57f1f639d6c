"""The combined duty decision: reasons, next_print_at, the printer's flag, history window."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.policy.duty import DutySettings, decide, history_since

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
CONFIG = DutySettings()


def test_a_cold_idle_station_may_print() -> None:
    d = decide([], NOW, CONFIG)
    assert (d.allowed_now, d.next_print_at, d.reason, d.reasons) == (True, None, None, ())
    assert (d.head_temp_c, d.printed_today) == (25.0, 0)


def test_after_a_burst_the_head_must_cool() -> None:
    d = decide([NOW] * 10, NOW, CONFIG)
    assert not d.allowed_now
    assert d.reasons == ("head_cooling",)
    assert d.head_temp_c == pytest.approx(85.0)
    assert d.printed_today == 10
    assert d.next_print_at is not None
    assert abs(d.next_print_at - NOW - timedelta(seconds=480 * math.log(10 / 9))) <= US


def test_reasons_are_ordered_by_the_wait_longest_first() -> None:
    config = DutySettings(daily_limit=10, hourly_limit=10)
    d = decide([NOW] * 10, NOW, config)
    assert d.reasons == ("daily_limit", "hourly_limit", "head_cooling")
    assert d.reason == "daily_limit"
    assert d.next_print_at == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


def test_equal_waits_keep_a_fixed_order() -> None:
    config = DutySettings(daily_limit=1, hourly_limit=1)
    at_midnight = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    d = decide([at_midnight], at_midnight, config)
    assert d.reasons[:2] == ("daily_limit", "hourly_limit")


def test_the_printer_cooling_flag_blocks_with_no_known_end() -> None:
    d = decide([], NOW, CONFIG, printer_cooling=True)
    assert (d.allowed_now, d.next_print_at, d.reasons) == (False, None, ("printer_cooling",))
    hot = decide([NOW] * 10, NOW, CONFIG, printer_cooling=True)
    assert hot.reasons == ("head_cooling", "printer_cooling")
    assert hot.next_print_at == decide([NOW] * 10, NOW, CONFIG).next_print_at


def test_history_since_covers_the_local_day_the_hour_and_the_head_memory() -> None:
    afternoon = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert history_since(afternoon, CONFIG) == datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    just_after_midnight = datetime(2026, 11, 22, 17, 10, tzinfo=UTC)
    assert history_since(just_after_midnight, CONFIG) == just_after_midnight - timedelta(hours=4)
    short = DutySettings(cooling_tau_s=60.0)
    assert history_since(just_after_midnight, short) == just_after_midnight - timedelta(hours=1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(min_value=-7200, max_value=600), max_size=30),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=12),
)
def test_next_print_at_is_exactly_when_printing_becomes_allowed(
    offsets: list[int], daily: int, hourly: int
) -> None:
    config = DutySettings(daily_limit=daily, hourly_limit=hourly)
    starts = [NOW + timedelta(seconds=o) for o in offsets]
    d = decide(starts, NOW, config)
    assert d.allowed_now == (d.next_print_at is None)
    if d.next_print_at is not None:
        assert d.next_print_at > NOW
        assert decide(starts, d.next_print_at, config).allowed_now
        assert not decide(starts, d.next_print_at - US, config).allowed_now
