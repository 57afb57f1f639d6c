"""Named people at the station: accounts with a role, the Unix user each is at the kiosk, and
the operator on duty (for whom the panel's buttons act)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from contract.clock import rfc3339
from contract.vocabulary import Role
from controller.queue.db import Database, get_meta, set_meta
from controller.said import said

ON_DUTY = "operator_on_duty"  # meta: the account the panel's buttons act for


class AccountError(Exception):
    """An account that cannot be added, or a name that is no account."""


@dataclass(frozen=True)
class Account:
    name: str
    full_name: str
    role: Role
    unix_user: str | None


class Accounts:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, account: Account, by: str, at: datetime) -> None:
        with self._db.transaction() as tx:
            try:
                tx.execute(
                    "INSERT INTO accounts (name, full_name, role, unix_user, created_at,"
                    " created_by) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        account.name,
                        account.full_name,
                        account.role,
                        account.unix_user,
                        rfc3339(at),
                        by,
                    ),
                )
            except sqlite3.IntegrityError:
                raise AccountError(
                    said(
                        "account %(name)r or Unix user %(user)s exists already",
                        name=account.name,
                        user=repr(account.unix_user),  # None too: the text says it as is
                    )
                ) from None

    def get(self, conn: sqlite3.Connection, name: str) -> Account:
        """The account `name` (AccountError if there is none)."""
        row = conn.execute(
            "SELECT name, full_name, role, unix_user FROM accounts WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise AccountError(said("no account %(name)r", name=name))
        return _account(row)

    def of_unix_user(self, user: str) -> Account | None:
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT name, full_name, role, unix_user FROM accounts WHERE unix_user = ?",
                (user,),
            ).fetchone()
        return None if row is None else _account(row)

    def all(self) -> list[Account]:
        with self._db.reading() as conn:
            rows = conn.execute(
                "SELECT name, full_name, role, unix_user FROM accounts ORDER BY name"
            ).fetchall()
        return [_account(row) for row in rows]

    def set_on_duty(self, name: str) -> Account:
        with self._db.transaction() as tx:
            account = self.get(tx, name)
            set_meta(tx, ON_DUTY, name)
        return account

    def on_duty(self) -> str | None:
        with self._db.reading() as conn:
            return get_meta(conn, ON_DUTY)


def _account(row: sqlite3.Row) -> Account:
    return Account(row["name"], row["full_name"], Role(row["role"]), row["unix_user"])
