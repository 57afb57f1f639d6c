"""Issue 15, item 15: the control socket answers an unexpected failure with a code, and drops
a client that sends nothing (each idle client held a thread for ever)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from controller.core.commands import StationCommands
from controller.local.client import request
from controller.local.server import ControlServer
from controller.local.settings import LocalSettings


def test_an_unexpected_failure_is_answered_internal_error(
    make_station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = make_station()
    commands = StationCommands(running.station, local=True)

    def broken(name: str, args: dict, actor: object = None) -> dict:
        raise RuntimeError("a bug")

    monkeypatch.setattr(commands, "handle", broken)
    server = ControlServer(tmp_path / "c.sock", commands)
    server.start()
    try:
        reply = request(tmp_path / "c.sock", "status")
    finally:
        server.stop()
    assert reply == {
        "ok": False,
        "error": {"code": "internal_error", "message": "the station failed to run the command"},
    }


def test_an_idle_client_is_answered_and_dropped(make_station, tmp_path: Path) -> None:
    running = make_station()
    path = tmp_path / "c.sock"
    server = ControlServer(
        path, StationCommands(running.station, local=True), LocalSettings(idle_timeout_s=0.2)
    )
    server.start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as idle:
            idle.settimeout(10)  # far beyond the server's 0.2 s
            idle.connect(str(path))
            idle.sendall(b'{"cmd": "sta')  # and then nothing more
            reply = b"".join(iter(lambda: idle.recv(65536), b""))
        assert json.loads(reply)["error"] == {
            "code": "invalid_json",
            "message": "no request in time",
        }
        assert request(path, "status")["ok"] is True  # the server goes on
    finally:
        server.stop()
