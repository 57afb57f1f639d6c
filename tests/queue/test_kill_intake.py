"""Invariant 2 under SIGKILL: intake in a child process, killed at 100+ random moments.

After each kill the database is reopened and checked: every job whose intake had returned is
present, every event belongs to a stored state change, and `seq` has no gap and no repeat.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from contract.clock import ManualClock
from controller.queue.store import Store
from testkit.intake_child import STATION

pytestmark = pytest.mark.slow  # 110 SIGKILLed child processes: ~16-20 s

KILLS = 110
ROOT = Path(__file__).resolve().parents[2]


def start_child(db: Path, start: int, count: int = 100_000) -> subprocess.Popen[bytes]:
    """The intake child at job `start`, once it has said it is ready."""
    child = subprocess.Popen(
        [sys.executable, "-m", "testkit.intake_child", str(db), str(start), str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"
    return child


def seconds_for_jobs(db: Path, jobs: int = 10) -> float:
    """How long the child takes, from `ready`, to return `jobs` jobs here: the first is slow
    (its imports), the rest as this machine's CPU and disk allow. The kills must fall among the
    jobs on a fast machine and on a slow one."""
    child = start_child(db, 1, jobs)
    assert child.stdout is not None
    started = time.monotonic()
    lines = child.stdout.read().splitlines()
    elapsed = time.monotonic() - started
    child.wait()
    child.stdout.close()
    assert len(lines) == jobs
    return elapsed


def run_child_until_killed(
    db: Path, start: int, rng: random.Random, window_s: float
) -> dict[int, str]:
    """Start the child at job `start`, kill it after a random delay; return what it reported."""
    child = start_child(db, start)
    assert child.stdout is not None
    time.sleep(rng.uniform(0, window_s))  # the moment of the kill, not a wait for a rule
    child.send_signal(signal.SIGKILL)
    output = child.stdout.read().decode()
    child.wait()
    child.stdout.close()
    returned = {}
    for line in output.splitlines():
        number, outcome = line.split()
        returned[int(number)] = outcome
    return returned


def check_database(db: Path, returned: dict[int, str]) -> int:
    store = Store.open(
        db,
        STATION,
        ManualClock(),
        low_thresholds={"cards": 1, "ribbon": 1, "film": 1},
        initial_load={},
    )
    try:
        stored = {job.job_id for job in store.jobs.in_state("queued", limit=10**6)}
        for number, outcome in returned.items():
            if outcome in ("accepted", "duplicate"):
                expected = number - 1 if number % 5 == 0 else number
                assert f"JOB-2026-{expected:06d}" in stored, f"job {number} lost after SIGKILL"
        events = store.outbox.all_events()
        seqs = [event.seq for event in events]
        assert seqs == list(range(1, len(seqs) + 1)), "seq has a gap or a repeat"
        accepted = Counter(e.job_id for e in events if e.type == "job.accepted")
        assert set(accepted) == stored, "job.accepted without a job, or a job without its event"
        assert max(accepted.values(), default=1) == 1, "a job accepted twice"
        rejected = [e for e in events if e.type == "job.rejected"]
        assert all(e.data["code"] == "not_prr" for e in rejected)
        return len(seqs)
    finally:
        store.close()


def test_intake_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    db = tmp_path / "station.db"
    # Kills within the time the child takes to return ten jobs (at least 30 ms): a few jobs
    # returned per run on average, some runs killed before the first.
    window_s = max(0.03, seconds_for_jobs(tmp_path / "calibration.db"))
    next_job, total_returned = 1, 0
    for _ in range(KILLS):
        returned = run_child_until_killed(db, next_job, rng, window_s)
        total_returned += len(returned)
        check_database(db, returned)
        # Restart where the child was: the job in flight when it died is sent again, as the
        # broker re-delivers an unacknowledged PUBLISH.
        next_job = max(returned, default=next_job - 1) + 1
    events = check_database(db, {})
    assert total_returned > KILLS, "the child never got far enough to be killed mid-stream"
    assert events > 0
