"""The station's durable store, assembled: one database, its jobs, intake, outbox and ledger."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contract.clock import Clock, rfc3339
from controller.policy.budget import BudgetLimits
from controller.policy.retry import MAX_ATTEMPTS
from controller.queue.accounts import Accounts
from controller.queue.audit import AuditLog
from controller.queue.db import Database, StoreError, get_meta, set_meta
from controller.queue.intake import Intake
from controller.queue.jobs import JobStore
from controller.queue.ledger import Ledger
from controller.queue.limits import QueueSettings
from controller.queue.lots import Lots
from controller.queue.outbox import Outbox
from controller.queue.passwords import Passwords


@dataclass
class Store:
    db: Database
    jobs: JobStore
    intake: Intake
    outbox: Outbox
    ledger: Ledger
    audit: AuditLog
    accounts: Accounts
    lots: Lots
    passwords: Passwords

    @classmethod
    def open(
        cls,
        path: Path,
        station: str,
        clock: Clock,
        *,
        low_thresholds: dict[str, int],
        initial_load: dict[str, int],
        max_attempts: int = MAX_ATTEMPTS,
        timezone: str = BudgetLimits.timezone,
        limits: QueueSettings | None = None,
    ) -> Store:
        """Open (creating or migrating) the database of `station`.

        A state directory belongs to one station: opening it under another id is refused, since
        two kiosks sharing one queue would print the same jobs twice.
        """
        db = Database(path)
        ledger = Ledger(low_thresholds)
        try:
            with db.transaction() as tx:
                owner = get_meta(tx, "station")
                if owner is None:
                    set_meta(tx, "station", station)
                if owner in (None, station):
                    ledger.initialise(tx, initial_load, clock.now())
                    ledger.recall_used(tx)
                    # A write at every start: on read-only storage SQLite opens the file
                    # read-only and only a write tells; one clear error now is better than a
                    # station that cannot record anything.
                    set_meta(tx, "opened_at", rfc3339(clock.now()))
        except StoreError:
            db.close()
            raise
        if owner not in (None, station):
            db.close()
            raise StoreError(f"{path} belongs to station {owner!r}, not {station!r}")
        jobs = JobStore(db, clock, ledger, max_attempts)
        intake = Intake(db, jobs, clock, timezone, limits)
        outbox, accounts, passwords = Outbox(db), Accounts(db), Passwords(db)
        return cls(db, jobs, intake, outbox, ledger, AuditLog(db), accounts, Lots(db), passwords)

    def close(self) -> None:
        self.db.close()
