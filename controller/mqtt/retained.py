"""The retained status: its body, the session number, and when the next one is due.

The daemon supplies the body (`status_provider`); the link owns `schema`, `station`, `session`
and `time`, and adds `version` when the body has none. The session number grows by one on every
connection attempt and is written to the database before the attempt, so the Last Will of that
connection carries the same number as the status published on it, and a late `offline` from an
older session can be told apart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from contract.clock import Clock, rfc3339
from contract.status import offline_payload, status_payload
from controller import __version__
from controller.queue.db import Database, get_meta, set_meta

log = structlog.get_logger(__name__)

SESSION_KEY = "mqtt.session"

StatusProvider = Callable[[], Mapping[str, Any]]  # the station's status document, as JSON


def next_session(db: Database, floor: int = 0) -> int:
    """Count one more connection attempt, durably; never below `floor` + 1.

    Raises StoreError when the database cannot be written.
    """
    with db.transaction() as tx:
        stored = get_meta(tx, SESSION_KEY)
        session = max(int(stored or 0), floor) + 1
        set_meta(tx, SESSION_KEY, str(session))
    return session


class StatusReport:
    """Builds status bodies and schedules them: on change (coalesced) and as a heartbeat.

    Thread-safe: the on-connect callback and the link's thread both publish.
    """

    def __init__(
        self,
        station: str,
        provider: StatusProvider,
        clock: Clock,
        *,
        coalesce_s: float,
        heartbeat_s: float,
    ) -> None:
        self._station, self._provider, self._clock = station, provider, clock
        self._coalesce_s, self._heartbeat_s = coalesce_s, heartbeat_s
        self._lock = threading.Lock()
        self._changed = False
        self._last_try: float | None = None

    def online(self, session: int) -> bytes | None:
        """The daemon's status as published; None (logged) if the provider failed."""
        try:
            body = self._provider()
        except Exception:
            log.exception("status provider failed; status not published")
            return None
        time = rfc3339(self._clock.now())
        return status_payload(
            body, station=self._station, session=session, time=time, version=__version__
        )

    def offline(self, session: int) -> bytes:
        """The Last Will, and what a clean stop publishes."""
        time = rfc3339(self._clock.now())
        return offline_payload(self._station, session=session, time=time, version=__version__)

    def changed(self) -> None:
        with self._lock:
            self._changed = True

    def begin(self, now: float) -> None:
        """A publish starts at monotonic time `now`; changes from here on need another."""
        with self._lock:
            self._last_try = now
            self._changed = False

    def failed(self) -> None:
        """The publish did not go out: try again after the coalescing period."""
        with self._lock:
            self._changed = True

    def due_in(self, now: float) -> float:
        """Seconds until the next status is due (0: now)."""
        with self._lock:
            if self._last_try is None:
                return 0.0
            period = self._coalesce_s if self._changed else self._heartbeat_s
            return max(0.0, self._last_try + period - now)
