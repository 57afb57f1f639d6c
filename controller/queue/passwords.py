"""Passwords of the named accounts, for the web page: an argon2id hash per account, the failed
logins in a row, and the lock after MAX_FAILURES of them (lifted only by a new password)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from contract.clock import rfc3339
from controller.queue.db import Database

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MAX_FAILURES = 5


@cache
def hasher() -> PasswordHasher:
    """OWASP's argon2id minimum (19 MiB, 2 passes): a Pi 3 shares 1 GB with the daemon and the
    web. Loaded at the first password (argon2 and cffi: about 2.5 MB resident), not by every
    daemon."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class Login(StrEnum):
    """What came of a name and password."""

    ACCEPTED = "accepted"
    WRONG = "wrong"  # a wrong password, or an account with none
    LOCKED = "locked"  # too many wrong passwords: a supervisor must set a new one


class Passwords:
    def __init__(self, db: Database) -> None:
        self._db = db

    def set(self, account: str, password: str, by: str, at: datetime) -> None:
        """A new password for `account` (an account of the store); unlocks it."""
        digest = hasher().hash(password)
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO passwords (account, hash, failures, locked_at, set_at, set_by)"
                " VALUES (?, ?, 0, NULL, ?, ?) ON CONFLICT (account) DO UPDATE SET"
                " hash = excluded.hash, failures = 0, locked_at = NULL,"
                " set_at = excluded.set_at, set_by = excluded.set_by",
                (account, digest, rfc3339(at), by),
            )

    def check(self, account: str, password: str, at: datetime) -> Login:
        """Check `password`; a wrong one counts, and the MAX_FAILURES-th in a row locks."""
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT hash, failures, locked_at FROM passwords WHERE account = ?", (account,)
            ).fetchone()
        if row is None:
            hasher().hash(password)  # as slow as a wrong password: no hint which names exist
            return Login.WRONG
        if row["locked_at"] is not None:
            return Login.LOCKED
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            hasher().verify(row["hash"], password)
        except (VerificationError, InvalidHashError):
            return self._failed(account, row["failures"] + 1, at)
        with self._db.transaction() as tx:
            tx.execute("UPDATE passwords SET failures = 0 WHERE account = ?", (account,))
        return Login.ACCEPTED

    def _failed(self, account: str, failures: int, at: datetime) -> Login:
        locked = rfc3339(at) if failures >= MAX_FAILURES else None
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE passwords SET failures = ?, locked_at = ? WHERE account = ?",
                (failures, locked, account),
            )
        return Login.LOCKED if locked else Login.WRONG
