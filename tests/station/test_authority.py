"""Issue 15, item 3: the control socket's authority (the kernel's SO_PEERCRED against
`[local] operators`), the audit of every manual action, and what a resolution must say."""

from __future__ import annotations

import base64
import json
import os
import pwd
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.clock import SystemClock
from contract.errors import CommandError
from controller.core.commands import StationCommands
from controller.local.server import ControlServer
from controller.local.settings import LocalSettings
from controller.mqtt.requests import CommandProcessor
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.station.conftest import Running

NOBODY = pwd.getpwnam("nobody")
pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")


def ask_as(uid: int, gid: int, path: Path, cmd: str, args: dict | None = None) -> dict:
    """One request from a child process running as `uid`: the kernel, not the request, says
    who is asking."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(10)
                client.connect(str(path))
                client.sendall(json.dumps({"cmd": cmd, "args": args or {}}).encode())
                client.shutdown(socket.SHUT_WR)
                reply = b"".join(iter(lambda: client.recv(65536), b""))
            os.write(write_end, reply)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        reply = pipe.read()
    os.waitpid(child, 0)
    return json.loads(reply)


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="control-"))
    folder.chmod(0o755)  # the other user reaches the socket (its own mode is set below)
    yield folder
    for item in folder.iterdir():
        item.unlink()
    folder.rmdir()


def serve(running: Running, folder: Path, settings: LocalSettings) -> tuple[ControlServer, Path]:
    path = folder / "control.sock"
    commands = StationCommands(running.station, local=True, submit=settings.submit)
    server = ControlServer(path, commands, settings)
    path.chmod(0o666)  # as if the other user were in the socket's group
    server.start()
    return server, path


def test_a_manual_action_needs_a_configured_operator(make_station, socket_dir: Path) -> None:
    running = make_station()
    server, path = serve(running, socket_dir, LocalSettings())
    try:
        refused = ask_as(NOBODY.pw_uid, NOBODY.pw_gid, path, "pause")
        assert refused["error"]["code"] == "not_authorized"
        assert not running.station.call(lambda: running.station.paused)
        assert ask_as(NOBODY.pw_uid, NOBODY.pw_gid, path, "status")["ok"] is True  # reading
    finally:
        server.stop()
    server, path = serve(running, socket_dir, LocalSettings(operators=("nobody",)))
    try:
        assert ask_as(NOBODY.pw_uid, NOBODY.pw_gid, path, "pause")["ok"] is True
    finally:
        server.stop()
    [entry] = running.store.audit.entries()
    assert (entry.how, entry.command, entry.outcome) == ("local", "pause", "ok")
    assert entry.who.startswith(f"nobody (uid {NOBODY.pw_uid}, pid ")


def test_an_operator_group_grants_the_actions(make_station, socket_dir: Path) -> None:
    running = make_station()
    group = __import__("grp").getgrgid(NOBODY.pw_gid).gr_name
    server, path = serve(running, socket_dir, LocalSettings(operator_groups=(group,)))
    try:
        assert ask_as(NOBODY.pw_uid, NOBODY.pw_gid, path, "resume")["ok"] is True
    finally:
        server.stop()


def test_local_submit_is_off_unless_configured(make_station) -> None:
    running = make_station()
    raw = {"payload_b64": base64.b64encode(payload(make_job(1))).decode()}
    with pytest.raises(CommandError) as refused:
        StationCommands(running.station, local=True).handle("submit", raw)
    assert refused.value.code == "unknown_command"
    result = StationCommands(running.station, local=True, submit=True).handle("submit", raw)
    assert result["outcome"] == "accepted"
    [accepted] = running.events("job.accepted")
    assert accepted.data["source"] == "local"  # marked for the central office
    [entry] = running.store.audit.entries()
    assert entry.command == "submit" and "payload_b64" not in entry.args  # no personal data


def test_remote_actions_are_audited_refusals_included(make_station) -> None:
    running = make_station(paused=True)
    remote = StationCommands(running.station)
    running.store.intake.submit(payload(make_job(2)))
    remote.handle("cancel", {"job_id": "JOB-2026-000002"})
    with pytest.raises(CommandError):
        remote.handle("cancel", {"job_id": "JOB-2026-000002"})
    remote.handle("reload", {"consumable": "cards", "count": 50, "lot": "L-7"})
    entries = running.store.audit.entries()
    assert [(e.how, e.who, e.command, e.job_id, e.outcome) for e in entries] == [
        ("remote", "central", "cancel", "JOB-2026-000002", "ok"),
        ("remote", "central", "cancel", "JOB-2026-000002", "invalid_state"),
        ("remote", "central", "reload", None, "ok"),
    ]
    assert entries[2].args == {"consumable": "cards", "count": 50, "lot": "L-7"}


def test_every_resolution_is_an_event_and_not_printed_after_a_fed_blank_needs_a_reason(
    make_station,
) -> None:
    running = make_station(faults='{ at_card = 1, kind = "unplug", seconds = 0.2 }')
    running.store.intake.submit(payload(make_job(3)))
    wait_until(lambda: running.states()["needs_review"] == 1, timeout=15)
    local = StationCommands(running.station, local=True)
    args = {"job_id": "JOB-2026-000003", "outcome": "not_printed"}
    with pytest.raises(CommandError) as refused:
        local.handle("resolve", args)
    assert refused.value.code == "invalid_args" and "reason" in refused.value.message
    result = local.handle("resolve", {**args, "reason": "tray empty, printer checked"})
    assert result["attempts"] == 1  # the fed blank counts
    [event] = running.events("job.resolved")
    assert event.data == {
        "outcome": "not_printed",
        "by": "local",
        "operator": "local user",
        "reason": "tray empty, printer checked",
    }
    assert [e.outcome for e in running.store.audit.entries()] == ["invalid_args", "ok"]


def test_the_remote_requester_is_stored_with_the_effect(make_station) -> None:
    """Issue 15, item 8: the requester's identity (the command's MQTT 5 user property
    `requester`) is stored in the audit with what the command did."""
    running = make_station()
    processor = CommandProcessor(running.store.db, StationCommands(running.station), SystemClock())
    body = json.dumps({"schema": "ektp.cmd/1", "cmd_id": "c-r1", "args": {}}).encode()
    assert json.loads(processor.process("pause", body, "tech.bogor").payload)["ok"] is True
    [entry] = running.store.audit.entries()
    assert (entry.how, entry.who, entry.command, entry.outcome) == (
        "remote",
        "tech.bogor",
        "pause",
        "ok",
    )
    assert entry.effect["paused"] is True
