"""Issue 28: the queue is bounded (`[queue] max_queued`) and stops taking jobs above a free-space
floor (`[queue] min_free_mb`), each rejected `queue_full` (an addition), decided again each
time."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contract.clock import ManualClock
from controller.queue.limits import MB, QueueSettings
from controller.queue.store import Store
from testkit.jobs import make_job, payload
from tests.conftest import LOADED, LOW


@pytest.fixture
def limited(tmp_path: Path, clock: ManualClock) -> Iterator[Callable[[QueueSettings], Store]]:
    opened: list[Store] = []

    def open_with(limits: QueueSettings) -> Store:
        store = Store.open(
            tmp_path / f"station-{len(opened)}.db",
            "3271-bogor-timur-01",
            clock,
            low_thresholds=LOW,
            initial_load=LOADED,
            limits=limits,
        )
        opened.append(store)
        return store

    yield open_with
    for store in opened:
        store.close()


def test_a_full_queue_rejects_the_next_job_and_takes_one_when_there_is_room(limited) -> None:
    store = limited(QueueSettings(max_queued=3))
    for n in range(1, 4):
        assert store.intake.submit(payload(make_job(n))).outcome == "accepted"
    full = store.intake.submit(payload(make_job(4)))
    assert (full.outcome, full.code) == ("rejected", "queue_full")
    assert full.message == "3 jobs queued, at most 3 ([queue] max_queued)"
    [event] = [e for e in store.outbox.all_events() if e.type == "job.rejected"]
    assert event.job_id == "JOB-2026-000004" and event.data["code"] == "queue_full"
    store.jobs.cancel("JOB-2026-000001", by="test")
    again = store.intake.submit(payload(make_job(4)))  # not remembered as rejected: decided anew
    assert again.outcome == "accepted"
    assert store.intake.submit(payload(make_job(1))).outcome == "duplicate"  # known: no check


def test_jobs_are_refused_above_the_free_space_floor(limited, tmp_path: Path) -> None:
    disk = os.statvfs(tmp_path)
    free_mb = disk.f_bavail * disk.f_frsize // MB
    store = limited(QueueSettings(min_free_mb=free_mb + 1000))  # the real disk, as it is
    refused = store.intake.submit(payload(make_job(1)))
    assert (refused.outcome, refused.code) == ("rejected", "queue_full")
    assert refused.message is not None and "MB free on the station's disk" in refused.message
    roomy = limited(QueueSettings(min_free_mb=1))
    assert roomy.intake.submit(payload(make_job(1))).outcome == "accepted"
