"""A report's period, a local day (YYYY-MM-DD) or month (YYYY-MM), as the instants that bound
it: the station's blanks report (its command line and web page) and the central's month report."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contract.clock import rfc3339


def period_bounds(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first, next) instants of a local day or month in `zone`; ValueError if it is neither."""
    try:
        first = date.fromisoformat(period if len(period) > 7 else f"{period}-01")
    except ValueError:
        raise ValueError(f"period {period!r} is not YYYY-MM-DD or YYYY-MM") from None
    if len(period) > 7:
        end = first + timedelta(days=1)
    else:
        end = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(), zone), datetime.combine(end, time(), zone)


def report_window(period: str, zone: ZoneInfo) -> dict[str, str]:
    """The blanks report's `since` and `until` (RFC 3339 UTC) for `period`."""
    since, until = period_bounds(period, zone)
    return {"since": rfc3339(since), "until": rfc3339(until)}
