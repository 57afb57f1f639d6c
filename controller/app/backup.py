"""`printstation backup --to FILE`: a consistent copy of the station's database, taken with
SQLite's online backup API, safe while the daemon runs (its WAL commits are included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def backup_database(database: Path, target: Path) -> None:
    """Copy `database` to `target` (created; an existing file is refused)."""
    if target.exists():
        raise FileExistsError(f"{target} exists already; choose a new name")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
