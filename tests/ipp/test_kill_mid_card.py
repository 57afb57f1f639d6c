"""The kill run's IPP variant: the real daemon (driver = "ipp") SIGKILLed mid-card while CUPS
prints it; the restarted daemon settles the card by its CUPS job's end, with no second card."""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from testkit.cups_rig import QUEUE, CupsRig
from testkit.jobs import make_job, payload
from testkit.station_process import IppQueue, StationProcess, StationSettings
from testkit.waiting import wait_until

pytestmark = pytest.mark.slow  # the daemon as a child process, killed and started again
LOAD = {"cards": 50, "ribbon": 200, "film": 400}


def ipp_station(workdir: Path, mqtt_port: int, rig: CupsRig) -> StationProcess:
    queue = IppQueue(rig.cups.port, QUEUE, rig.printer.directory)
    return StationProcess(workdir, StationSettings(mqtt_port=mqtt_port, ipp=queue))


def printer_jobs(process: StationProcess) -> list[tuple[str, int | None, str | None]]:
    with closing(sqlite3.connect(process.db_path)) as db:
        rows = db.execute("SELECT job_id, printer_job, outcome FROM attempts ORDER BY id")
        return [(row[0], row[1], row[2]) for row in rows.fetchall()]


def job_state(process: StationProcess, job_id: str) -> str:
    with closing(sqlite3.connect(process.db_path)) as db:
        return str(db.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()[0])


def cups_jobs(rig: CupsRig) -> dict[int, int]:
    return {job: attributes["job-state"] for job, attributes in rig.jobs().items()}


def test_a_sigkill_mid_card_is_settled_by_the_cups_job(make_rig, broker, tmp_path) -> None:
    rig: CupsRig = make_rig(seconds_per_card=3.0)
    station = ipp_station(tmp_path / "station", broker.port, rig)
    station.start()
    try:
        station.wait_ready()
        for consumable, count in LOAD.items():
            args = {"consumable": consumable, "count": count, "capacity": count}
            assert station.command("reload", args)["ok"]
        raw = payload(make_job(1))
        job_id = make_job(1)["job_id"]
        submitted = station.command("submit", {"payload_b64": base64.b64encode(raw).decode()})
        assert submitted["result"]["outcome"] == "accepted"
        # the CUPS job's number is stored before its document is sent; kill while it prints
        wait_until(lambda: printer_jobs(station) == [(job_id, 1, None)], 30, "the stored job")
        wait_until(lambda: cups_jobs(rig).get(1) == 5, 10, "CUPS printing the card")
        station.kill()
        wait_until(lambda: cups_jobs(rig).get(1) == 9, 30, "CUPS completing the card")
        station.start()
        station.wait_ready()
        wait_until(lambda: job_state(station, job_id) == "printed", 30, "the card settled")
    finally:
        if station.alive:
            station.stop()
    assert printer_jobs(station) == [(job_id, 1, "printed")]
    assert [(r["counter"], r["result"]) for r in rig.cards()] == [(1, "printed")]
    assert list(cups_jobs(rig)) == [1]  # no second submission
