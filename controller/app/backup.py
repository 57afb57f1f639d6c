"""`printstation backup --to FILE`: a consistent copy of the station's database, taken with
SQLite's online backup API, safe while the daemon runs (its WAL commits are included).

The copy holds personal data (NIK, name, address, photo, signature): it is made 0600 whatever
the caller's umask. The package's upgrade backup goes to `{state_dir}/backups/`, which `doctor`
checks too.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

BACKUPS_DIR = "backups"  # in the state directory: the upgrade's copies (debian/postinst)
PRIVATE = 0o600


def backup_database(database: Path, target: Path) -> None:
    """Copy `database` to `target` (created 0600; an existing file is refused)."""
    try:
        created = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        raise FileExistsError(f"{target} exists already; choose a new name") from None
    try:
        os.fchmod(created, PRIVATE)  # the umask may have taken bits off, never adds any
    finally:
        os.close(created)
    try:
        _copy(database, target)
    except BaseException:
        target.unlink(missing_ok=True)  # no half copy left behind
        raise


def _copy(database: Path, target: Path) -> None:
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
