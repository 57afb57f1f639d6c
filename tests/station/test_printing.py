"""The core loop prints queued jobs through the real driver and the virtual printer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from contract.errors import CommandError
from contract.jobspec import JobSpec, parse_job
from contract.vocabulary import Requester
from controller.core.commands import StationCommands
from controller.queue.intake import layout_problems
from testkit.jobs import make_job, payload, station_today
from testkit.waiting import wait_until


def printed_log(state_dir: Path) -> list[dict]:
    path = state_dir / "virtual-printer" / "cards.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_queued_jobs_are_printed_once_each(make_station) -> None:
    running = make_station()
    for n in range(1, 6):
        assert running.store.intake.submit(payload(make_job(n))).outcome == "accepted"
    wait_until(lambda: running.states()["printed"] == 5)
    printed = running.events("card.printed")
    assert sorted(e.job_id for e in printed) == [f"JOB-2026-{n:06d}" for n in range(1, 6)]
    log = printed_log(running.config.state_dir)
    assert [entry["result"] for entry in log] == ["printed"] * 5
    assert len({entry["front_sha256"] for entry in log}) == 5
    assert [e.data["card_counter"] for e in printed] == [entry["counter"] for entry in log]
    with running.store.db.reading() as conn:
        cards = running.store.ledger.balances(conn)["cards"]
    assert (cards.printed, cards.remaining) == (5, 45) and cards.holds


def test_jam_spoils_a_blank_and_the_job_is_retried(make_station) -> None:
    running = make_station(faults='{ at_card = 2, kind = "jam" }')
    for n in range(1, 3):
        running.store.intake.submit(payload(make_job(n)))
    wait_until(lambda: running.states()["printed"] == 2)
    spoiled = running.events("card.spoiled")
    assert [(e.job_id, e.data) for e in spoiled] == [
        ("JOB-2026-000002", {"cause": "jam", "attempt": 1})
    ]
    assert running.events("card.printed")[-1].data["attempts"] == 2
    assert [e["result"] for e in printed_log(running.config.state_dir)] == [
        "printed",
        "spoiled",
        "printed",
    ]


def test_a_card_that_cannot_be_rendered_fails_its_job_with_the_renderers_problem(
    make_station,
) -> None:
    running = make_station()
    spec = parse_job(payload(make_job(1)), station_today(), layout_problems)
    assert isinstance(spec, JobSpec)
    unreadable = dataclasses.replace(spec, photo=b"not a JPEG")  # as no valid job holds
    with running.store.db.transaction() as tx:
        running.store.jobs.insert(tx, unreadable, Requester.MQTT, running.station.clock.now())
    wait_until(lambda: running.states()["failed"] == 1)
    assert [e.data for e in running.events("job.failed")] == [
        {"code": "render_failed", "message": "render: photo_jpeg: is not a JPEG image"}
    ]
    assert printed_log(running.config.state_dir) == []


def test_paused_station_starts_no_card_until_resumed(make_station) -> None:
    running = make_station(paused=True)
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.commands.handle("status", {})["state"] == "paused")
    assert running.states()["printed"] == 0
    running.commands.handle("resume", {})
    wait_until(lambda: running.states()["printed"] == 1)


def test_status_shows_queue_duty_and_consumables(make_station) -> None:
    running = make_station(paused=True)
    running.store.intake.submit(payload(make_job(1)))
    status = wait_until(lambda: running.commands.handle("status", {}))
    assert status["schema"] == "ektp.status/1" and status["queue"]["queued"] == 1
    assert status["consumables"]["cards"] == {"remaining": 50, "capacity": 50}
    assert status["duty"]["daily_limit"] == 500
    wait_until(lambda: running.commands.handle("status", {})["printer"]["connected"])
    printer = running.commands.handle("status", {})["printer"]
    assert printer["serial"] and printer["model"]


def test_the_printers_own_count_is_adopted_as_an_adjustment(make_station) -> None:
    # The ribbon holds 125 cards by the printer's count, not the 200 the ledger was told.
    running = make_station(printer_ribbon=125)

    def ribbon():
        with running.store.db.reading() as conn:
            return running.store.ledger.balances(conn)["ribbon"]

    wait_until(lambda: ribbon().remaining == 125)
    assert ribbon().adjustments == -75 and ribbon().holds
    assert running.commands.handle("status", {})["consumables"]["ribbon"]["remaining"] == 125


def test_the_status_command_publishes_now_and_carries_the_session(make_station) -> None:
    running = make_station()
    wait_until(lambda: running.commands.handle("status", {})["state"] == "ready")
    published: list[int] = []
    running.station.status_listeners.append(lambda: published.append(1))
    remote = StationCommands(running.station, session=lambda: 17)
    result = remote.handle("status", {})
    assert published and result["session"] == 17 and result["state"] == "ready"


def test_replay_marks_delivered_events_for_sending_again_and_checks_its_range(
    make_station,
) -> None:
    running = make_station(paused=True)
    for n in (1, 2, 3):
        running.store.intake.submit(payload(make_job(n)))
    last = running.store.outbox.last_seq()
    assert last >= 3
    running.store.outbox.mark_delivered(list(range(1, last + 1)), running.station.clock.now())
    told: list[int] = []
    running.station.replay_listeners.append(told.append)

    result = running.commands.handle("replay", {"from_seq": 2, "to_seq": 3})

    assert result == {"from_seq": 2, "to_seq": 3, "replayed": 2} and told == [2]
    assert [e.seq for e in running.store.outbox.pending()] == [2, 3]
    assert running.commands.handle("replay", {"from_seq": 1})["to_seq"] == last
    bad_ranges = [
        {},
        {"from_seq": 0},
        {"from_seq": last + 1},
        {"from_seq": 2, "to_seq": 1},
        {"from_seq": 1, "to_seq": last + 1},
        {"from_seq": "1"},
        {"from_seq": True},
    ]
    for bad in bad_ranges:
        with pytest.raises(CommandError) as refused:
            running.commands.handle("replay", bad)
        assert refused.value.code == "invalid_args", bad
