"""Reconnect delays: exponential with jitter, so a fleet coming back after an outage spreads out.

paho's own `reconnect_delay_set` doubles a fixed delay: thousands of kiosks that lost the broker
at the same moment would all come back at the same moments. tenacity's
`wait_exponential_jitter` adds a random part to every delay.
"""

from __future__ import annotations

from tenacity import RetryCallState, Retrying, wait_exponential_jitter


class Backoff:
    """Delays before successive connection attempts; `reset()` after a stable connection."""

    def __init__(self, initial_s: float, max_s: float, jitter_s: float) -> None:
        self._wait = wait_exponential_jitter(multiplier=initial_s, max=max_s, jitter=jitter_s)
        self._state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})

    @property
    def failures(self) -> int:
        """Delays handed out since the last reset."""
        return self._state.attempt_number - 1

    def next_delay(self) -> float:
        """The delay before the next attempt: initial * 2**failures + jitter, at most max_s."""
        delay = self._wait(self._state)
        self._state.attempt_number += 1
        return delay

    def reset(self) -> None:
        self._state.attempt_number = 1
