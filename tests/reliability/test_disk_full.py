"""A full disk, then a read-only one at start, under the running daemon's state directory.

The state directory is a small tmpfs of its own. Mid-run the test fills it to the last byte,
publishes jobs, frees it; then, after a power cut (SIGKILL), remounts it read-only, publishes
more, and makes it writable again. While storage fails the station must show the
`storage_error` alert in its status and acknowledge no job it could not store: those jobs
reach it later only because the broker still holds them (the central office never sends
anything twice here). Nothing it had acknowledged before may be lost, and the usual checks
hold at the end. (A tmpfs cannot turn read-only under open files: test_read_only_storage.py
does that on ext4.)
"""

from __future__ import annotations

import errno
import os
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.reliability.conftest import Report
from tests.reliability.storage import (
    StorageRun,
    describe,
    remounted_read_only,
    small_tmpfs,
    state_dir,
)

pytestmark = pytest.mark.reliability
TMPFS_SIZE = "8m"


def fill(directory: Path) -> int:
    """Write a file until the file system has no byte left; returns its size."""
    written = 0
    with open(directory / "filler", "wb", buffering=0) as filler:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            block = os.urandom(chunk)
            while True:
                try:
                    written += filler.write(block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return written


def test_a_full_disk_then_a_read_only_one_raise_the_alarm_and_lose_nothing(
    tmp_path: Path, report: Report
) -> None:
    with ExitStack() as stack:
        stack.enter_context(small_tmpfs(state_dir(tmp_path), TMPFS_SIZE))
        run = StorageRun(tmp_path, stack)
        run.start()
        before = run.publish(8)
        run.printed(before, 90)

        # The disk fills up under the running station.
        full_at = time.time()
        filler = fill(run.state)
        during_full = run.publish(5)
        full_status = run.wait_for_storage_alert(full_at)
        (run.state / "filler").unlink()
        writable_at = time.time()
        # No resend: only the broker, which kept what the station did not acknowledge, can
        # bring these jobs back; none was accepted before storage worked again.
        run.printed(during_full, 90)
        early = run.accepted_before(during_full, writable_at - 0.2)
        assert not early, f"accepted while the disk was full: {early}"
        recovered_s = max(run.events("card.printed").values()) - writable_at

        # A power cut, and the storage comes back read-only (a worn SD card does that).
        run.station.kill()
        with remounted_read_only(run.state):
            during_ro = run.publish(3)
            run.station.start()
            assert run.station.process is not None
            code = run.station.process.wait(30)
            refusal = run.station.log_tail(1)
            assert code != 0 and "read-only file system" in refusal, refusal
        run.station.start()
        run.station.wait_ready()
        run.printed(during_ro, 90)

        assert run.station.stop() == 0
        ev, checked = run.final_checks()
        storage_events = [
            e["type"] for e in ev.events.values()
            if e["type"].startswith("alert.") and e["data"]["code"] == "storage_error"
        ]  # fmt: skip
        assert storage_events[:1] == ["alert.raised"], storage_events
        figures = {
            "state directory": f"its own tmpfs of {TMPFS_SIZE}",
            "disk filled under the running station with (bytes)": filler,
            "status while full": describe(full_status),
            "jobs published while full": len(during_full),
            "accepted while full": len(early),
            "all printed after space came back, within (s)": round(recovered_s, 1),
            "read-only at start: the daemon": f"exit {code}: {refusal.strip()[:100]}",
            "jobs published meanwhile, printed after": len(during_ro),
            "storage alert events": storage_events,
            **checked,
        }
    report("disk full, then read-only", figures)
