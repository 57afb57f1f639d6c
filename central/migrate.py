"""Versioned migrations of the central database, and Gammu's own schema beside them.

`migrations/NNNN_name.sql` files run once each, in order, recorded in `schema_migrations`;
an advisory lock keeps replicas that start together from running one twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

MIGRATIONS = Path(__file__).with_name("migrations")
# Debian's gammu-smsd package ships Gammu's SQL schema here (`dpkg -L gammu-smsd`).
GAMMU_SCHEMA = Path("/usr/share/doc/gammu-smsd/examples/pgsql.sql")
_LOCK = 0x7E17  # pg_advisory_xact_lock key: one migrator at a time
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, Path]]:
    """The migration files, by version."""
    found = [(int(m.group(1)), p) for p in MIGRATIONS.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def migrate(conn: psycopg.Connection, gammu_schema: Path | None = None) -> list[int]:
    """Apply what is missing (and Gammu's schema if `gammu_schema` and not there yet);
    return the versions applied now."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        if gammu_schema is not None and not _has_table(conn, "outbox"):
            conn.execute(gammu_sql(gammu_schema))  # first: a migration may index its tables
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, path in migrations():
            if version in done:
                continue
            conn.execute(path.read_text())
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (version, path.name),
            )
            applied.append(version)
    return applied


def gammu_sql(path: Path) -> str:
    """Gammu's schema file as shipped, less `CREATE LANGUAGE plpgsql` (built in since
    PostgreSQL 9.0, and an error there when repeated)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: Gammu's SQL schema not found (apt-get install gammu-smsd)"
        )
    return re.sub(r"(?im)^\s*CREATE LANGUAGE plpgsql;\s*$", "", path.read_text())


def _has_table(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])
