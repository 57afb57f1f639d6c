"""A full or read-only disk: the station degrades, refuses what it cannot store, loses nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from contract.status import Status
from controller.queue.db import StoreError
from controller.queue.store import Store
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until


def set_read_only(store: Store, on: bool) -> None:
    """Every write fails (or works again), as on a read-only file system."""
    with store.db._lock:
        store.db._conn.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


@contextmanager
def read_only(store: Store) -> Iterator[None]:
    """Every write fails as on a read-only file system, until the block ends."""
    set_read_only(store, True)
    try:
        yield
    finally:
        set_read_only(store, False)


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
            lambda: (s := running.station.latest_status()).state == "error" and s, timeout=10
        )
        assert "storage_error" in [alert.code for alert in status.alerts]
        log = running.config.state_dir / "virtual-printer" / "cards.jsonl"
        wait_until(lambda: log.exists() and log.read_text())
        assert len(log.read_text().splitlines()) == 1, "no new card while storage fails"
        assert running.states()["printed"] == 0
    wait_until(lambda: running.states()["printed"] == 2, timeout=15)
    printed = running.events("card.printed")
    assert sorted(e.job_id for e in printed) == ["JOB-2026-000001", "JOB-2026-000002"]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["result"] for line in lines] == ["printed", "printed"]
    # The alert is stored once storage works, and cleared at the tick after.
    wait_until(
        lambda: [e.data["code"] for e in running.events("alert.cleared")] == ["storage_error"]
    )


def test_no_printer_count_is_adopted_while_a_card_outcome_waits_in_memory(make_station) -> None:
    # The printer has counted the blank of a card whose outcome storage could not take; the
    # ledger books it when storage returns. Adopting the printer's count in between booked a
    # -1 "printer count" adjustment, then the card's own -1, then a +1 to correct the two.
    running = make_station(seconds_per_card=0.2)
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["printing"] == 1)
    station = running.station

    def printer_reports_the_blank_used() -> bool:
        report = station.lane.printer
        return bool(report.status and report.status.consumables["cards"].remaining == 49)

    with read_only(running.store):
        wait_until(lambda: station.latest_status().state == "error", timeout=10)
        wait_until(printer_reports_the_blank_used, timeout=10)

        def storage_back_then_a_printer_report() -> None:  # on the loop, before its next tick
            set_read_only(running.store, False)
            station.lane.take_report(station.lane.printer)

        station.call(storage_back_then_a_printer_report)
    wait_until(lambda: running.states()["printed"] == 1, timeout=15)
    with running.store.db.reading() as conn:
        adjustments = conn.execute("SELECT count(*) FROM ledger WHERE kind = 'adjust'").fetchone()
        balances = running.store.ledger.balances(conn)
    assert adjustments[0] == 0
    assert balances["cards"].remaining == 49 and balances["cards"].holds


def test_the_status_never_says_error_without_the_storage_alert(make_station) -> None:
    # Found as a flaky test: the status took the live state with the last tick's alerts.
    running = make_station()
    station = running.station
    wait_until(lambda: station.latest_status().state == "ready", timeout=10)

    def fail_then_look() -> Status:  # on the loop: a write fails, then someone reads the status
        station.storage_failed(StoreError("cannot write the station database: disk I/O error"))
        return station.latest_status()

    with read_only(running.store):
        before_the_tick = station.call(fail_then_look)
        after = wait_until(lambda: (s := station.latest_status()).state == "error" and s)
    codes = [alert.code for alert in before_the_tick.alerts]
    assert before_the_tick.state != "error" or "storage_error" in codes, before_the_tick
    assert "storage_error" in [alert.code for alert in after.alerts]


def test_messages_left_unacknowledged_raise_an_alert_until_acknowledged_again(
    make_station,
) -> None:
    running = make_station()
    station = running.station

    def alerts(kind: str) -> list[str]:
        return [e.data["code"] for e in running.events(kind)]

    station.post(lambda: station.messages_held(True))
    wait_until(lambda: alerts("alert.raised") == ["messages_unacked"])
    assert "messages_unacked" in [a.code for a in station.latest_status().alerts]
    station.post(lambda: station.messages_held(False))
    wait_until(lambda: alerts("alert.cleared") == ["messages_unacked"])
