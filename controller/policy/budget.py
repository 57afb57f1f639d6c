"""Hard print budgets: cards per local day and per rolling hour (docs/design.md, "Heat").

What counts: every card start that used a blank, whether it came out printed or spoiled (and a
card whose outcome went to review once the printer's counter shows a blank was used). Wear and
heat come from the attempt, not from its success.

- `daily_limit` (default 50, the Bangli figure): a day is the local calendar day in the
  configured IANA zone (default Asia/Jakarta, UTC+7 all year, so the day turns at 17:00 UTC).
  When it is spent, printing resumes at the next local midnight.
- `hourly_limit` (default 20): a rolling window of the last 60 minutes, not the clock hour, so
  that no burst of twice the limit fits around a full hour. When it is spent, printing resumes
  when the oldest card in the window leaves it (its start + 60 min). 20 spreads a 50-card day
  over at least 2 hours instead of the ~45 minutes the head model alone would allow: slower heat
  soak of the whole printer, which the head's 8-minute time constant does not see, is what the
  offices' "printers broke after overtime" reports point at. An office that raises daily_limit
  should raise hourly_limit to at least daily_limit / opening hours.

Clock jumps: a start later than `now` (the wall clock went back) counts as if it had just
happened: it is in today's count and in the current hour until real time passes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class BudgetLimits:
    """The budgets' limits and the zone of their day; raises ValueError for a limit below 1 or
    an unknown zone."""

    daily_limit: int = 50
    hourly_limit: int = 20
    timezone: str = "Asia/Jakarta"

    def __post_init__(self) -> None:
        for name in (spec.name for spec in fields(self) if spec.name.endswith("_limit")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of cards, at least 1")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"timezone {self.timezone!r} is not a known IANA time zone") from exc

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.timezone)


def day_start(moment: datetime, tz: tzinfo) -> datetime:
    """The UTC instant at which the local day containing `moment` began."""
    local_date = moment.astimezone(tz).date()
    return datetime.combine(local_date, time(0), tzinfo=tz).astimezone(UTC)


def next_day_start(moment: datetime, tz: tzinfo) -> datetime:
    """The UTC instant of the first local midnight after `moment`."""
    local_date = moment.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(local_date, time(0), tzinfo=tz).astimezone(UTC)


def printed_today(card_starts: Sequence[datetime], now: datetime, tz: tzinfo) -> int:
    """Cards started since local midnight (starts after `now` included)."""
    since = day_start(now, tz)
    return sum(1 for s in card_starts if s >= since)


def daily_earliest(
    card_starts: Sequence[datetime], now: datetime, limits: BudgetLimits
) -> datetime:
    """First instant ≥ `now` with today's count below `daily_limit`."""
    tz = limits.zone
    since = day_start(now, tz)
    counted = sorted((s for s in card_starts if s >= since), reverse=True)
    if len(counted) < limits.daily_limit:
        return now
    return next_day_start(counted[limits.daily_limit - 1], tz)


def hourly_earliest(
    card_starts: Sequence[datetime], now: datetime, limits: BudgetLimits
) -> datetime:
    """First instant ≥ `now` with fewer than `hourly_limit` starts in (t − 60 min, t]."""
    since = now - HOUR
    counted = sorted((s for s in card_starts if s > since), reverse=True)
    if len(counted) < limits.hourly_limit:
        return now
    return counted[limits.hourly_limit - 1] + HOUR


def earliest_start(
    card_starts: Sequence[datetime], now: datetime, limits: BudgetLimits
) -> datetime:
    """First instant ≥ `now` at which both budgets allow one more card."""
    return max(daily_earliest(card_starts, now, limits), hourly_earliest(card_starts, now, limits))
