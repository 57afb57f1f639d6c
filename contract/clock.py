"""Injected time: the station never reads the wall clock directly.

Every rule that depends on time (duty cycle, expiry, retries, the virtual printer's mechanics)
takes a `Clock`, so tests can run a simulated day in milliseconds without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to; `sleep` advances it instantly."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward; use jump() for wall-clock jumps")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def jump(self, seconds: float) -> None:
        """Move the wall clock only (an NTP correction); monotonic time is unaffected."""
        with self._lock:
            self._now += timedelta(seconds=seconds)


def rfc3339(moment: datetime) -> str:
    """`2026-11-22T10:00:00Z`: UTC, whole seconds, as the contract writes times."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_us(moment: datetime) -> str:
    """`2026-11-22T10:00:00.000000Z`: fixed width, so stored times sort as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 time with an explicit offset; raises ValueError otherwise."""
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError("not an RFC 3339 time")
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError("RFC 3339 time without a UTC offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+07:00 has no UTC form
        raise ValueError("RFC 3339 time outside the representable range") from None
