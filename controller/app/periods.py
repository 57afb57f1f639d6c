"""A report's period, a local day (YYYY-MM-DD) or month (YYYY-MM), as the times that bound it
(the command line's `blanks-report` and the web page's report)."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contract.clock import rfc3339


def period_bounds(period: str, zone: ZoneInfo) -> dict[str, str]:
    """A local day (YYYY-MM-DD) or month (YYYY-MM) as [since, until) in RFC 3339 UTC."""
    try:
        first = date.fromisoformat(period if len(period) > 7 else f"{period}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"period {period!r} is not YYYY-MM-DD or YYYY-MM"
        ) from None
    if len(period) > 7:
        end = first + timedelta(days=1)
    else:
        end = (first + timedelta(days=32)).replace(day=1)

    def start_of(day: date) -> str:
        return rfc3339(datetime.combine(day, time(), zone))

    return {"since": start_of(first), "until": start_of(end)}
