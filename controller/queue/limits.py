"""The `[queue]` section: how much the station takes before it refuses new jobs `queue_full`,
so that a flood of jobs (or a paused station) never fills the disk the queue lives on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from contract.vocabulary import JobState
from controller.field_checks import Range, checked

if TYPE_CHECKING:  # the config (read by the web process too) loads no sqlite3
    import sqlite3

MB = 2**20


@dataclass(frozen=True)
class QueueSettings:
    """`max_queued`: jobs waiting to print at most; `min_free_mb`: the free space (on the
    database's file system) below which no new job is taken."""

    max_queued: int = checked(Range(1, 100_000), default=500)
    min_free_mb: int = checked(Range(0, 1_000_000), default=100)


def no_room(tx: sqlite3.Connection, directory: Path, limits: QueueSettings) -> str | None:
    """Why one more job may not be stored now, or None."""
    queued = tx.execute("SELECT count(*) FROM jobs WHERE state = ?", (JobState.QUEUED,))
    count = int(queued.fetchone()[0])
    if count >= limits.max_queued:
        return f"{count} jobs queued, at most {limits.max_queued} ([queue] max_queued)"
    disk = os.statvfs(directory)
    free_mb = disk.f_bavail * disk.f_frsize // MB
    if free_mb < limits.min_free_mb:
        return f"{free_mb} MB free on the station's disk, under {limits.min_free_mb} MB"
    return None
