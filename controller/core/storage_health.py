"""Storage health: the station's degraded mode when its database cannot be written.

A step of the core loop that fails to write (disk full, storage turned read-only) does not end
the loop: the station shows `error` with the `storage_error` alert and starts no card; each tick
tries a small write, and once one works it records what waited in memory and goes on. The
alert is stored once after recovery and cleared on the next tick, so the record shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

import structlog

from contract.clock import Clock, rfc3339
from contract.vocabulary import AlertCode, Severity
from controller.core.alerts import Alert
from controller.queue.db import StoreError, set_meta
from controller.queue.store import Store

log = structlog.get_logger(__name__)

STORAGE_ALERT = Alert(
    AlertCode.STORAGE_ERROR, Severity.ERROR, "the station database cannot be written"
)


class Condition(Enum):
    HEALTHY = auto()
    FAILING = auto()  # a write failed; every tick tries again
    RECOVERED = auto()  # writable again; the alert is still to be stored and cleared


class StorageHealth:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store, self._clock = store, clock
        self.condition = Condition.HEALTHY
        self.error: str | None = None  # what the last failed write said
        self.on_recovered: Callable[[], None] = lambda: None  # record what waited in memory

    @property
    def failing(self) -> bool:
        return self.condition is Condition.FAILING

    def guarded(self, step: Callable[[], object]) -> None:
        """Run one step; a storage failure degrades the station instead of ending the loop."""
        try:
            step()
        except StoreError as exc:
            self.failed(exc)

    def failed(self, exc: StoreError) -> None:
        if not self.failing:
            log.error("storage failing: no new cards until it can be written", error=str(exc))
        self.condition, self.error = Condition.FAILING, str(exc)

    def check(self) -> None:
        """While storage is failing, try a write; once it works, record what is waiting."""
        if not self.failing:
            return
        with self._store.db.transaction() as tx:
            set_meta(tx, "storage_checked", rfc3339(self._clock.now()))
        log.info("storage writable again")
        self.condition, self.error = Condition.RECOVERED, None
        self.on_recovered()

    def alerts(self) -> list[Alert]:
        return [] if self.condition is Condition.HEALTHY else [STORAGE_ALERT]

    def alerts_synced(self) -> None:
        """The alerts were stored: a recovered storage's alert is cleared on the next sync."""
        if self.condition is Condition.RECOVERED:
            self.condition = Condition.HEALTHY
