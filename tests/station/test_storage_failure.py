"""A full or read-only disk: the station degrades, refuses what it cannot store, loses nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from controller.queue.db import StoreError
from controller.queue.store import Store
from tests.support.jobs import make_job, payload
from tests.support.waiting import wait_until


@contextmanager
def read_only(store: Store) -> Iterator[None]:
    """Every write fails as on a read-only file system, until the block ends."""
    with store.db._lock:
        store.db._conn.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        with store.db._lock:
            store.db._conn.execute("PRAGMA query_only = OFF")


def test_intake_refuses_what_it_cannot_store(store: Store) -> None:
    with read_only(store), pytest.raises(StoreError):
        store.intake.submit(payload(make_job(1)))
    assert sum(store.jobs.counts().values()) == 0 and store.outbox.all_events() == []
    assert store.intake.submit(payload(make_job(1))).outcome == "accepted"


def test_a_full_disk_is_a_store_error(store: Store) -> None:
    with store.db._lock:
        pages = store.db._conn.execute("PRAGMA page_count").fetchone()[0]
        store.db._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="full"):
        for n in range(1, 200):
            store.intake.submit(payload(make_job(n)))


def test_a_card_outcome_waits_in_memory_until_storage_returns(make_station) -> None:
    running = make_station(seconds_per_card=0.5)
    running.store.intake.submit(payload(make_job(1)))
    running.store.intake.submit(payload(make_job(2)))
    wait_until(lambda: running.states()["printing"] == 1)  # the start is stored: mid-card
    with read_only(running.store):
        status = wait_until(
            lambda: (s := running.station.latest_status())["state"] == "error" and s, timeout=10
        )
        assert "storage_error" in [alert["code"] for alert in status["alerts"]]
        log = running.config.state_dir / "virtual-printer" / "cards.jsonl"
        wait_until(lambda: log.exists() and log.read_text())
        assert len(log.read_text().splitlines()) == 1, "no new card while storage fails"
        assert running.states()["printed"] == 0
    wait_until(lambda: running.states()["printed"] == 2, timeout=15)
    printed = running.events("card.printed")
    assert sorted(e.job_id for e in printed) == ["JOB-2026-000001", "JOB-2026-000002"]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["result"] for line in lines] == ["printed", "printed"]
    assert [e.data["code"] for e in running.events("alert.cleared")] == ["storage_error"]
