"""The consumables' counts: how the ledger and the printer agree on what is loaded.

A reload is booked in the ledger and noted as "untold" in one transaction; then the printer is
told (by its worker). If the station stops before that, the next start tells it before taking
any count from the printer, which would otherwise undo the reload in the ledger. Where the
printer counts a consumable itself, its count wins (a ribbon sold for 200 may give 125): the
ledger books the difference as an adjustment, but only when the report cannot be stale. A
level in percent (a CUPS marker) is no count and is never taken into the ledger.
Cards the printer counted that the station did not print (controller/queue/unaccounted.py)
raise `cards_unaccounted` until a person reloads the blanks.
"""

from __future__ import annotations

import json
import sqlite3

import structlog

from contract.clock import Clock
from contract.vocabulary import AlertCode, Consumable, JobState, Severity
from controller.core.alerts import Alert
from controller.core.printer_lane import PrinterLane
from controller.core.printer_worker import PrinterReport
from controller.core.scheduler import Evaluation
from controller.core.storage_health import StorageHealth
from controller.queue.db import StoreError, get_meta, set_meta
from controller.queue.store import Store
from controller.queue.unaccounted import forget_unaccounted, unaccounted

log = structlog.get_logger(__name__)
UNTOLD_RELOADS = "printer_reloads_pending"  # meta: reloads booked, the printer not yet told


class ConsumableCounts:
    """Reloads booked and told to the printer, and the printer's own counts taken in."""

    def __init__(
        self, store: Store, clock: Clock, lane: PrinterLane, storage: StorageHealth
    ) -> None:
        self._store, self._clock, self._lane, self._storage = store, clock, lane, storage
        self._in_flight = 0  # reloads the printer has not yet been told of
        self._booked: dict[str, int] = {}  # reloaded, to check against the printer's next count
        self.mismatch: dict[str, tuple[int, int]] = {}  # consumable: (booked, reported)
        self._capacities: dict[str, int] = {}  # the printer's capacities, as last adopted
        with store.db.reading() as conn:
            self._untold: dict[str, list[int | None]] = json.loads(
                get_meta(conn, UNTOLD_RELOADS) or "{}"
            )
            self.unaccounted = unaccounted(conn)  # cards counted outside, since blanks reloaded
        lane.on_counted_outside = lambda: storage.guarded(self._read_unaccounted)

    def tell_untold(self) -> None:
        """At start: tell the printer of reloads booked before the station stopped."""
        for consumable, (count, capacity) in self._untold.items():
            log.info("telling the printer of a reload booked before a stop", consumable=consumable)
            assert count is not None
            self._tell(Consumable(consumable), count, capacity)

    def book(
        self,
        consumable: Consumable,
        count: int,
        capacity: int | None,
        lot: str | None,
        operator: str,
        reason: str | None = None,
    ) -> None:
        """`operator` loaded `count` (a ribbon or a film: replaced; blanks: the feeder's
        count, fewer than on the books only with a `reason`). The next count the printer
        reports is checked against it."""
        store = self._store
        in_review = store.jobs.counts()[JobState.NEEDS_REVIEW]  # changes on the core loop only
        with store.db.transaction() as tx:
            store.ledger.reload(
                tx,
                consumable,
                count,
                capacity,
                lot,
                self._clock.now(),
                in_review,
                operator,
                reason,
            )
            note_untold_reload(tx, consumable, count, capacity)
            if consumable is Consumable.CARDS:
                forget_unaccounted(tx)
        if consumable is Consumable.CARDS:
            self.unaccounted = 0
        self.mismatch.pop(consumable, None)
        self._booked[consumable] = count
        self._tell(consumable, count, capacity)

    def alerts(self) -> list[Alert]:
        """`reload_mismatch` while the printer's count after a reload differs from the one
        booked (blanks are controlled documents: a person must count them); `cards_unaccounted`
        while the printer has counted cards the station did not print, until the blanks are
        reloaded."""
        alerts = [
            Alert(
                AlertCode.RELOAD_MISMATCH,
                Severity.WARNING,
                f"the printer counts {reported} {name} where the reload booked {booked}:"
                " count them and reload again",
            )
            for name, (booked, reported) in sorted(self.mismatch.items())
        ]
        if self.unaccounted:
            message = (
                f"the printer counted {self.unaccounted} cards the station did not print:"
                " find them, count the blanks and reload"
            )
            alerts.append(Alert(AlertCode.CARDS_UNACCOUNTED, Severity.ERROR, message))
        return alerts

    def adopt_printer_counts(self, report: PrinterReport, evaluation: Evaluation | None) -> None:
        """Take the printer's counts into the ledger (`_adopt`); a report they cannot be taken
        from is logged and left, and the core loop goes on (a storage failure degrades the
        station as any other)."""
        try:
            self._adopt(report, evaluation)
        except StoreError:
            raise
        except Exception:
            log.exception("the printer's counts could not be taken in", report=repr(report))

    def _adopt(self, report: PrinterReport, evaluation: Evaluation | None) -> None:
        """Only between cards and after every reload has reached the printer, and not while the
        printer has counted a blank the ledger has yet to book (a card printing or waiting for
        review, or an outcome storage could not take), as the store says now: a card settled
        for review in the same batch as the report is not yet in `evaluation`'s counts."""
        counts = self._store.jobs.counts()  # now: `evaluation` may predate a settled card
        unbooked = counts[JobState.NEEDS_REVIEW] + counts[JobState.PRINTING]
        if self._in_flight or unbooked or self._lane.busy:
            return
        if not report.connected or report.status is None:
            return
        levels = {name: lv for name, lv in report.status.consumables.items() if lv.counted}
        for name, booked in list(self._booked.items()):
            level = levels.get(Consumable(name))
            reported = booked if level is None else level.remaining  # not counted: as booked
            if reported != booked:
                log.warning("reload and printer disagree", consumable=name, booked=booked,
                            reported=reported)  # fmt: skip
                self.mismatch[name] = (booked, reported)
            del self._booked[name]
        counted = evaluation.remaining if evaluation else {}
        differ = {
            name: level
            for name, level in levels.items()
            if name in self._store.ledger.used
            and (
                counted.get(name) != level.remaining or self._capacities.get(name) != level.capacity
            )
        }
        if not differ:
            return
        ledger = self._store.ledger
        with self._store.db.transaction() as tx:
            for name, level in differ.items():
                if level.remaining != ledger.remaining(tx, name):
                    log.info("printer count adopted", consumable=name, count=level.remaining)
                ledger.adopt(tx, name, level.remaining, self._clock.now(), level.capacity)
        self._capacities.update((name, level.capacity) for name, level in differ.items())

    def _read_unaccounted(self) -> None:
        with self._store.db.reading() as conn:
            self.unaccounted = unaccounted(conn)

    def _tell(self, consumable: Consumable, count: int, capacity: int | None) -> None:
        self._in_flight += 1
        self._lane.worker.set_level(consumable, count, capacity, self._told)
        self._lane.worker.poll()

    def _told(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self._storage.guarded(self._forget_untold)

    def _forget_untold(self) -> None:
        with self._store.db.transaction() as tx:
            set_meta(tx, UNTOLD_RELOADS, "{}")


def note_untold_reload(
    tx: sqlite3.Connection, consumable: Consumable, count: int, capacity: int | None
) -> None:
    """In the transaction that books a reload: the printer is still to be told of it."""
    pending = json.loads(get_meta(tx, UNTOLD_RELOADS) or "{}")
    pending[consumable] = [count, capacity]
    set_meta(tx, UNTOLD_RELOADS, json.dumps(pending))
