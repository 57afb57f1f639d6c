"""A child process that feeds jobs through intake, reporting each job whose intake returned.

Run as `python -m testkit.intake_child DB START COUNT`; prints `ready`, then one line
`<job_id> <outcome>` per job after `submit` returned. The parent kills it with SIGKILL at
random moments and checks the database afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

from contract.clock import SystemClock
from controller.queue.limits import QueueSettings
from controller.queue.store import Store
from logsetup import configure_logging
from testkit.jobs import make_job, payload

STATION = "3271-bogor-timur-01"


def job_payload(n: int) -> bytes:
    """Every 7th job is invalid (a rejection event), every 5th a re-delivery of the one before."""
    if n % 7 == 0:
        return payload(make_job(n, prr=False))
    if n % 5 == 0:
        return payload(make_job(n - 1))
    return payload(make_job(n))


def main() -> None:
    db, start, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    configure_logging(level="warning", fmt="json", stream=sys.stderr)
    store = Store.open(
        db,
        STATION,
        SystemClock(),
        low_thresholds={"cards": 1, "ribbon": 1, "film": 1},
        initial_load={"cards": 10, "ribbon": 10, "film": 10},
        limits=QueueSettings(max_queued=100_000),  # every job it submits is taken or refused
    )
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for n in range(start, start + count):
        result = store.intake.submit(job_payload(n), source="test")
        sys.stdout.write(f"{n} {result.outcome}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
