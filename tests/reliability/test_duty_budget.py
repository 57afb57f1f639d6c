"""Invariant 5 with a budget that binds: SIGKILLs cannot buy a card beyond `hourly_limit`.

The kill run's duty is generous so that it runs fast (its heat model binds, its budgets do
not). Here the hourly limit is 8 and 14 jobs wait: the daemon is killed at random moments
while it prints, then again while it waits for the hour to pass. Exactly 8 blanks may be fed,
and every restart must show the same `next_print_at`, rebuilt from the stored starts.
"""

from __future__ import annotations

import random
import sqlite3
import time
from contextlib import ExitStack, closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from contract.clock import parse_rfc3339
from testkit.broker import Broker
from testkit.jobs import station_today
from testkit.station_process import StationProcess, StationSettings
from testkit.waiting import wait_until
from tests.reliability.conftest import Report
from tests.reliability.operator import Operator
from tests.reliability.peers import CentralOffice, Recorder
from tests.reliability.people import encode, valid_job
from tests.reliability.scale import Scale

pytestmark = pytest.mark.reliability
HOURLY = 8
JOBS = 14


def counted_starts(db_path: Path) -> list[datetime]:
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT started_at FROM attempts WHERE coalesce(outcome, '') <> 'not_printed'"
        ).fetchall()
    return sorted(parse_rfc3339(row[0]) for row in rows)


def test_restarts_cannot_buy_a_card_beyond_the_hourly_limit(
    tmp_path: Path, scale: Scale, report: Report
) -> None:
    rng = random.Random(scale.seed)
    with ExitStack() as stack:
        broker = Broker.plain(tmp_path / "broker")
        broker.start()
        stack.callback(broker.kill)
        recorder = Recorder(broker.port, "duty-recorder").start()
        stack.callback(recorder.stop)
        central = CentralOffice(broker.port, "duty-central").start()
        stack.callback(central.stop)
        settings = StationSettings(
            mqtt_port=broker.port, hourly_limit=HOURLY, daily_limit=100, seconds_per_card=0.3
        )
        station = StationProcess(tmp_path / "station", settings)
        stack.callback(station.kill)
        station.start()
        station.wait_ready()
        recorder.wait_for_station()
        operator = Operator(station, central, recorder).start()
        stack.callback(operator.stop)
        for n in range(1, JOBS + 1):
            central.job(encode(valid_job(n, "duty", today=station_today())))

        kills = 0
        deadline = time.monotonic() + 60
        while len(counted_starts(station.db_path)) < HOURLY and time.monotonic() < deadline:
            time.sleep(rng.uniform(0, 0.3))  # a random moment while it prints
            station.kill()
            station.start()
            station.wait_ready()
            kills += 1

        def waiting_for_the_hour() -> dict | None:
            status = station.command("status")["result"]
            waiting = status["state"] == "cooling" and "hourly_limit" in status["reasons"]
            return status if waiting else None

        first = wait_until(waiting_for_the_hour, 30, "the station to wait for the hour")
        kills_printing = kills
        for _ in range(3):  # and while it waits
            station.kill()
            station.start()
            station.wait_ready()
            kills += 1
            again = wait_until(waiting_for_the_hour, 30, "the wait to survive a restart")
            assert again["duty"]["next_print_at"] == first["duty"]["next_print_at"]
        starts = counted_starts(station.db_path)
        assert len(starts) == HOURLY, f"{len(starts)} blanks used within the hour"
        assert station.card_count() == HOURLY, "the printer fed another blank"
        expected = (starts[0] + timedelta(hours=1)).replace(microsecond=0)
        shown = parse_rfc3339(first["duty"]["next_print_at"])
        assert abs(shown - expected) <= timedelta(seconds=1), (shown, expected)
        assert first["queue"]["queued"] == JOBS - HOURLY
    report(
        "duty budget across SIGKILLs",
        {
            "hourly_limit": HOURLY,
            "jobs waiting": JOBS,
            "SIGKILLs while printing / waiting": f"{kills_printing} / {kills - kills_printing}",
            "blanks fed in the hour": len(starts),
            "next_print_at, the same after every restart": first["duty"]["next_print_at"],
        },
    )
