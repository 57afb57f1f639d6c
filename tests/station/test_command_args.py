"""Issue 28: a command's arguments are checked before anything runs (plain values, bounded text;
a key the command does not take is ignored, as the interface welcomes additions, but bounded
all the same), the audit keeps only the known ones, cut, and is written in the action's own
transaction."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from contract.clock import SystemClock
from contract.errors import CommandError
from controller.core.commands import StationCommands
from controller.mqtt.requests import CommandProcessor
from testkit.jobs import make_job, payload


def deep(levels: int) -> list:
    nested: list = []
    for _ in range(levels):
        nested = [nested]
    return nested


def test_a_pause_975_lists_deep_is_refused_without_effect_and_audited(make_station) -> None:
    running = make_station()
    processor = CommandProcessor(running.store.db, StationCommands(running.station), SystemClock())
    nested = "[" * 975 + "]" * 975  # as it came: too deep for json.dumps here
    body = '{"schema": "ektp.cmd/1", "cmd_id": "c-deep", "args": {"x": ' + nested + "}}"
    answers = []  # on a thread of its own, as the link's: a shallow stack, as in the daemon
    worker = threading.Thread(
        target=lambda: answers.append(processor.process("pause", body.encode(), "tech.bogor"))
    )
    worker.start()
    worker.join()
    reply = json.loads(answers[0].payload)
    assert reply["ok"] is False and reply["error"]["code"] == "invalid_args", reply
    assert "'x' (pause does not take it) is over 8 levels deep" in reply["error"]["message"]
    assert running.station.call(lambda: running.station.paused) is False
    [entry] = running.store.audit.entries()
    assert (entry.command, entry.outcome, entry.args) == ("pause", "invalid_args", {})


def test_a_known_argument_must_be_a_plain_value(make_station) -> None:
    running = make_station()
    commands = StationCommands(running.station, local=True)
    with pytest.raises(CommandError) as refused:
        commands.handle("cancel", {"job_id": deep(975)})
    assert refused.value.code == "invalid_args" and "plain value" in refused.value.message
    [entry] = running.store.audit.entries()
    assert entry.args == {"job_id": "(list)"}
    with pytest.raises(CommandError):
        commands.handle("status", {"verbose": deep(20)})  # not audited, checked all the same


def test_an_argument_the_command_does_not_take_is_ignored_and_not_audited(make_station) -> None:
    """An addition from a newer central office (an extra field) does not stop the command."""
    running = make_station()
    commands = StationCommands(running.station)
    commands.handle("pause", {"why": "lunch", "context": {"ticket": [1, 2]}})
    assert running.station.call(lambda: running.station.paused) is True
    [entry] = running.store.audit.entries()
    assert (entry.command, entry.outcome, entry.args) == ("pause", "ok", {})


def test_twenty_refused_commands_of_250_kb_keep_the_audit_small(make_station) -> None:
    running = make_station()
    commands = StationCommands(running.station)
    size_before = running.store.db.path.stat().st_size
    for n in range(20):
        with pytest.raises(CommandError):
            commands.handle("reload", {"consumable": "cards", "count": 1, "lot": "L" * 250_000})
        with pytest.raises(CommandError):
            commands.handle("cancel", {"job_id": f"JOB-{n}", "note": "x" * 250_000})
    entries = running.store.audit.entries()
    assert len(entries) == 40
    assert max(len(json.dumps(entry.args)) for entry in entries) < 300
    assert entries[0].args["lot"].endswith("…") and len(entries[0].args["lot"]) == 201
    assert entries[1].args == {"job_id": "JOB-0"}
    wal = running.store.db.path.with_name("station.db-wal")
    grown = running.store.db.path.stat().st_size - size_before
    assert grown + (wal.stat().st_size if wal.exists() else 0) < 1_000_000


def test_the_audit_is_written_in_the_actions_own_transaction(make_station) -> None:
    """When the audit row cannot be written, the cancel it records is not stored either."""
    running = make_station(paused=True)
    running.store.intake.submit(payload(make_job(4)))
    with running.store.db.transaction() as tx:
        tx.execute(
            "CREATE TEMP TRIGGER audit_fails BEFORE INSERT ON audit"
            " BEGIN SELECT RAISE(FAIL, 'disk I/O error'); END"
        )
    commands = StationCommands(running.station)
    with pytest.raises(sqlite3.Error, match="disk I/O error"):
        commands.handle("cancel", {"job_id": "JOB-2026-000004"})
    assert running.store.jobs.get("JOB-2026-000004").state == "queued"
    assert running.store.audit.entries() == []
