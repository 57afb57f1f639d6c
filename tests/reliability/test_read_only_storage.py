"""Storage that turns read-only under the running station, mid-card: an SD card that fails.

The state directory is an ext4 volume (storage.Ext4Volume). While a card is printing, an
ext4 error turns the volume read-only under the daemon's open database. The station must go
to `error` with the `storage_error` alert, acknowledge no job (the broker keeps them), feed no
new blank, and stop cleanly when the technician stops it. After an fsck the next start
settles the interrupted card by the printer's counter (the operator decides it by the trays
if a blank was used) and prints everything once; the usual checks hold at the end.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import ExitStack, closing
from pathlib import Path

import pytest

from testkit.waiting import wait_until
from tests.reliability.conftest import Report
from tests.reliability.operator import Operator
from tests.reliability.storage import (
    STORE_REFUSED,
    Ext4Volume,
    StorageRun,
    describe,
    state_dir,
)

pytestmark = pytest.mark.reliability


def counter_before(db_path: Path, job_id: str) -> int:
    """The printer's card counter stored when the job's last card started."""
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT counter_before FROM attempts WHERE job_id = ? ORDER BY id DESC LIMIT 1",
            (job_id,),
        ).fetchone()
    return int(row[0])


def test_storage_turning_read_only_mid_card_stops_cards_and_acks_and_loses_nothing(
    tmp_path: Path, report: Report
) -> None:
    volume = Ext4Volume(tmp_path / "sd-card.img", state_dir(tmp_path), tmp_path / "printer")
    with ExitStack() as stack:
        stack.callback(volume.detach)
        volume.attach()
        run = StorageRun(tmp_path, stack, seconds_per_card=0.5)
        operator = Operator(run.station, run.central, run.recorder)
        run.start()
        before = run.publish(6)
        wait_until(lambda: len(run.events("card.printed")) >= 2, 60, "two cards")
        in_progress = wait_until(run.printing_now, 30, "a card in progress")[0]

        failed_at = time.time()
        volume.fail()
        options = volume.options()
        assert {"ro", "emergency_ro"} & set(options), options  # newer kernels: emergency_ro
        status = run.wait_for_storage_alert(failed_at)
        assert status["state"] == "error", describe(status)
        refused = run.station.log_lines(STORE_REFUSED)
        during_ro = run.publish(3)
        wait_until(
            lambda: run.station.log_lines(STORE_REFUSED) > refused,
            30,
            "the station refusing the jobs it cannot store",
        )

        # The technician stops the station (it stops cleanly) and repairs the storage.
        assert run.station.stop() == 0, run.station.log_tail()
        assert run.printing_now() == [in_progress], "the card was not in progress at the error"
        last_fed = max((card.counter for card in run.station.cards()), default=0)
        started_at = counter_before(run.station.db_path, in_progress)
        assert last_fed <= started_at + 1, "a blank fed after the card in progress"
        fsck = volume.repair()
        restarted_at = time.time()
        stack.callback(operator.stop)
        operator.start()  # decides the interrupted card by the trays, if it is in review
        run.station.start()
        run.station.wait_ready()
        run.printed(before + during_ro, 90)
        early = run.accepted_before(during_ro, restarted_at)
        assert not early, f"acknowledged on read-only storage: {early}"
        operator.stop()
        assert run.station.stop() == 0

        ev, checked = run.final_checks()
        interrupted = [e["type"] for e in ev.events.values() if e["job_id"] == in_progress]
        figures = {
            "state directory": "ext4 on a loop device, errors=remount-ro",
            "mount options after the ext4 error": ",".join(options),
            "status while read-only": describe(status),
            "jobs published while read-only / acknowledged": f"{len(during_ro)} / {len(early)}",
            "blanks fed since the card started (at most its own)": last_fed - started_at,
            "the interrupted card's events": interrupted,
            "operator reviews (by the tray)": [d.outcome for d in operator.log.decisions],
            "e2fsck exit code (1: errors corrected)": fsck,
            **checked,
        }
    report("storage read-only mid-card", figures)
