"""Reconnecting to a printer: jittered exponential back-off (tenacity) on the injected clock,
every wait logged as `printer.reconnect_wait`, giving up after a deadline."""

from __future__ import annotations

import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from contract.clock import Clock

log = structlog.get_logger(__name__)

# How long one request waits for a lost printer to come back: a USB re-enumeration takes under a
# second, a printer's network blip a few. A longer outage is not waited out inside a request:
# the printer worker polls every 2 s and reports the printer unreachable meanwhile, so a pulled
# cable shows as `printer.connected=false` within seconds.
RECONNECT_WINDOW_S = 5.0
BACKOFF_MAX_S = 2.0


def reconnecting(
    clock: Clock,
    *,
    timeout_s: float,
    backoff_max_s: float,
    jitter_s: float,
    errors: tuple[type[BaseException], ...],
) -> Retrying:
    """A tenacity `Retrying` that retries `errors` until `timeout_s` from now, then re-raises."""
    deadline = clock.monotonic() + timeout_s
    return Retrying(
        retry=retry_if_exception_type(errors),
        wait=wait_exponential_jitter(max=backoff_max_s, jitter=jitter_s),
        stop=lambda _: clock.monotonic() >= deadline,
        sleep=clock.sleep,
        before_sleep=_log_wait,
        reraise=True,
    )


def _log_wait(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    log.warning(
        "printer.reconnect_wait",
        attempt=state.attempt_number,
        wait_s=round(delay, 2),
        error=str(error),
    )
