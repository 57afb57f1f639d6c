"""The daemon under systemd's eye: READY, WATCHDOG, SIGTERM, and local commands offline."""

from __future__ import annotations

import base64
import json
import signal
import threading
import time

import pytest

from contract.clock import ManualClock
from controller.queue.store import Store
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.daemon.hanging_daemon import HANG

pytestmark = pytest.mark.slow  # the daemon as a child process: ~2-7 s a test


def submit(daemon, n: int, **overrides) -> dict:
    raw = payload(make_job(n, **overrides))
    return daemon.command("submit", {"payload_b64": base64.b64encode(raw).decode()})


def open_store(daemon) -> Store:
    return Store.open(
        daemon.state_dir / "station.db",
        "3271-bogor-timur-01",
        ManualClock(),
        low_thresholds={"cards": 1, "ribbon": 1, "film": 1},
        initial_load={},
    )


def test_ready_then_watchdog_which_stops_when_the_loop_hangs(start_daemon) -> None:
    daemon = start_daemon(with_hang_command=True)
    daemon.wait_ready()
    before = len([m for m in daemon.messages() if m == "WATCHDOG=1"])
    time.sleep(2.5)  # observing a heartbeat: it must keep coming on its own
    alive = len([m for m in daemon.messages() if m == "WATCHDOG=1"])
    assert alive - before >= 2
    hang = threading.Thread(target=lambda: daemon.command(HANG), daemon=True)
    hang.start()
    time.sleep(0.5)
    hung_from = len([m for m in daemon.messages() if m == "WATCHDOG=1"])
    time.sleep(3)
    assert len([m for m in daemon.messages() if m == "WATCHDOG=1"]) == hung_from


def test_sigterm_during_a_card_finishes_it_and_loses_nothing(start_daemon) -> None:
    daemon = start_daemon(seconds_per_card=2)
    daemon.wait_ready()
    assert submit(daemon, 1)["result"]["outcome"] == "accepted"
    wait_until(lambda: daemon.command("status")["result"]["state"] == "printing")
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(20) == 0
    assert "STOPPING=1" in daemon.messages()
    store = open_store(daemon)
    try:
        assert store.jobs.get("JOB-2026-000001").state == "printed"
        types = [e.type for e in store.outbox.pending(limit=100)]
        assert types == ["job.accepted", "card.printed"]  # kept for the broker, undelivered
        assert store.outbox.pending_count() == len(store.outbox.all_events())
    finally:
        store.close()
    log = (daemon.state_dir / "virtual-printer" / "cards.jsonl").read_text().splitlines()
    assert [json.loads(line)["result"] for line in log] == ["printed"]


def test_sigterm_past_the_card_time_limit_leaves_it_for_review(start_daemon) -> None:
    daemon = start_daemon(seconds_per_card=6, card_timeout_s=1)
    daemon.wait_ready()
    submit(daemon, 1)
    wait_until(lambda: daemon.command("status")["result"]["state"] == "printing")
    time.sleep(0.5)  # the blank is fed when the panels arrive, well before the card ends
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(20) == 0
    again = start_daemon(seconds_per_card=0)
    again.wait_ready()
    job = wait_until(
        lambda: [j for j in again.command("jobs")["result"]["jobs"] if j["state"] == "needs_review"]
    )
    assert job[0]["job_id"] == "JOB-2026-000001"


def test_local_commands_work_with_the_broker_down(start_daemon) -> None:
    daemon = start_daemon(faults='{ at_card = 2, kind = "unplug", seconds = 0.5 }')
    daemon.wait_ready()
    assert daemon.command("pause")["result"]["paused"] is True
    for n in (1, 2, 3):
        assert submit(daemon, n)["result"]["outcome"] == "accepted"
    assert submit(daemon, 4, prr=False)["result"]["code"] == "not_prr"
    jobs = daemon.command("jobs")["result"]
    assert jobs["counts"]["queued"] == 3
    assert daemon.command("cancel", {"job_id": "JOB-2026-000003"})["result"]["state"] == (
        "cancelled"
    )
    assert daemon.command("resume")["result"]["paused"] is False
    review = wait_until(
        lambda: [
            j for j in daemon.command("jobs")["result"]["jobs"] if j["state"] == "needs_review"
        ],
        timeout=20,
    )
    assert review[0]["job_id"] == "JOB-2026-000002"
    resolved = daemon.command("resolve", {"job_id": "JOB-2026-000002", "outcome": "printed"})
    assert resolved["result"]["state"] == "printed"
    # More blanks than the books (fewer would take a supervisor's account and a reason).
    reloaded = daemon.command("reload", {"consumable": "cards", "count": 100, "lot": "B-7"})
    assert reloaded["result"]["remaining"] == 100, reloaded
    refused = daemon.command("resolve", {"job_id": "JOB-2026-000001", "outcome": "printed"})
    assert refused["error"]["code"] == "invalid_state"
    assert daemon.command("cancel", {"job_id": "NOPE"})["error"]["code"] == "unknown_job"
    status = daemon.command("status")["result"]
    assert status["queue"] == {"queued": 0, "printing": 0, "needs_review": 0}


def test_the_daemon_keeps_its_files_to_its_own_user(start_daemon) -> None:
    """Issue 15, item 4: started by hand, the database and its WAL were 0644."""
    daemon = start_daemon()
    daemon.wait_ready()
    for name in ("station.db", "station.db-wal"):
        mode = (daemon.state_dir / name).stat().st_mode & 0o777
        assert mode & 0o077 == 0, f"{name} is {mode:o}"
