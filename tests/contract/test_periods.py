"""A report's period as the instants that bound it, in the office's or station's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from contract.periods import period_bounds, report_window

WIB = ZoneInfo("Asia/Jakarta")


def test_a_day_is_midnight_to_midnight_in_the_zone() -> None:
    assert period_bounds("2026-11-07", WIB) == (
        datetime(2026, 11, 7, tzinfo=WIB),
        datetime(2026, 11, 8, tzinfo=WIB),
    )
    assert report_window("2026-11-07", WIB) == {
        "since": "2026-11-06T17:00:00Z",
        "until": "2026-11-07T17:00:00Z",
    }


@pytest.mark.parametrize(
    ("month", "following"), [("2026-02", datetime(2026, 3, 1)), ("2026-12", datetime(2027, 1, 1))]
)
def test_a_month_runs_to_the_first_of_the_next(month: str, following: datetime) -> None:
    first, end = period_bounds(month, WIB)
    assert first == datetime.fromisoformat(f"{month}-01").replace(tzinfo=WIB)
    assert end == following.replace(tzinfo=WIB)


@pytest.mark.parametrize("bad", ["2026-13", "2026-02-30", "2026", "Nov 2026", "", "2026-1-01x"])
def test_anything_else_is_a_value_error_naming_it(bad: str) -> None:
    with pytest.raises(ValueError, match="is not YYYY-MM-DD or YYYY-MM"):
        period_bounds(bad, WIB)
