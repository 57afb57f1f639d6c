"""The station's SQLite database: durable settings, transactions, migrations.

Every commit is on disk before it returns (WAL with `synchronous=FULL`), so a job acknowledged
after `transaction()` exits survives a power cut. One connection is shared by the daemon's
threads and serialised by a lock; SQLite would serialise the writes anyway.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import structlog

from controller.queue.schema import MIGRATIONS
from controller.said import said

log = structlog.get_logger(__name__)

BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be opened or written (disk full, read-only, corrupt)."""


class Database:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0  # 1 inside a transaction: another one inside it is a savepoint
        # Deleted personal data may still be in the WAL or in stale pages (scrub_after_commit);
        # true at first, for a previous run stopped between a commit and its checkpoint.
        self._scrub = True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            self._conn.row_factory = sqlite3.Row
            for pragma in (
                "journal_mode=WAL",
                "synchronous=FULL",
                f"busy_timeout={BUSY_TIMEOUT_MS}",
                "foreign_keys=ON",
                "secure_delete=ON",  # overwrite deleted photos and signatures
            ):
                self._conn.execute(f"PRAGMA {pragma}")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the station database {self.path}: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: BEGIN IMMEDIATE, COMMIT (fsynced) on success, else ROLLBACK.

        Inside another one (on the thread that holds it) it is a savepoint of the outer one:
        undone alone when it fails, committed only with the outer one (a command and its
        audit row, controller/core/commands.py)."""
        with self._lock:
            if self._depth:
                with self._savepoint():
                    yield self._conn
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write the station database: {exc}") from exc
            self._depth = 1
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:  # disk full, read-only, I/O error
                self._rollback()
                raise StoreError(f"cannot write the station database: {exc}") from exc
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth = 0
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(f"cannot commit to the station database: {exc}") from exc
            if self._scrub:
                self._checkpoint()

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._conn.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException as exc:
            if self._conn.in_transaction:  # SQLite may have ended it itself (a full disk)
                self._conn.execute("ROLLBACK TO nested")
                self._conn.execute("RELEASE nested")
            if isinstance(exc, sqlite3.OperationalError):
                raise StoreError(f"cannot write the station database: {exc}") from exc
            raise
        self._conn.execute("RELEASE nested")

    def scrub_after_commit(self) -> None:
        """Call inside a transaction that deletes personal data (photo, signature).

        secure_delete zeroes the freed bytes, but only in the new page versions, which go to the
        WAL: the old versions stay in the WAL file and in the database file until a checkpoint
        copies the new ones over them, maybe hours later (or after a power cut). So after the
        commit, checkpoint and truncate the WAL. Failing that (disk full, a reader holding an
        old snapshot), the next commit tries again.
        """
        self._scrub = True

    def _checkpoint(self) -> None:
        try:
            busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as exc:
            log.warning("checkpoint to scrub deleted data failed", error=str(exc))
            return
        self._scrub = bool(busy)

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent read: a deferred transaction, so several SELECTs see one state (inside
        a write transaction, that one's)."""
        with self._lock:
            if self._depth:
                yield self._conn
                return
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version()
        if problem := schema_too_new(self.path, current):
            raise StoreError(problem)
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.transaction() as tx:
                for statement in _statements(script):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version={version}")
            log.info("database migrated", path=str(self.path), version=version)


def schema_too_new(path: Path | str, version: int) -> str | None:
    """Why a database of schema `version` must not be opened (a downgrade), or None."""
    if version <= len(MIGRATIONS):
        return None
    return said(
        "%(path)s has schema version %(version)s, newer than this software (%(known)s); "
        "refusing to touch it",
        path=str(path),
        version=version,
        known=len(MIGRATIONS),
    )


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement in migration: {current.strip()[:60]}")
    return statements


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def sql_literals(names: Iterable[StrEnum]) -> str:
    """`'queued', 'printing'`: names of the vocabulary quoted for SQL text. A bound parameter
    is the rule; this is for a condition the query planner must see, as in `state IN (...)`
    matching a partial index's WHERE (`jobs_one_active_per_nik`)."""
    quoted = []
    for name in names:
        if "'" in name:
            raise ValueError(f"{name!r} cannot be quoted for SQL")
        quoted.append(f"'{name}'")
    return ", ".join(quoted)
