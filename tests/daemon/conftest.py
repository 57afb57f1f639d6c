"""The daemon as a child process: `python -m controller run`, with a fake NOTIFY_SOCKET."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from controller.local.client import DaemonNotRunning, request
from testkit.broker import free_port
from testkit.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
HANGING = "tests.daemon.hanging_daemon"
CONFIG = """
[station]
id = "3271-bogor-timur-01"
state_dir = "{state_dir}"
[mqtt]
host = "127.0.0.1"
port = {mqtt_port}
[printer]
{printer}
card_timeout_s = {card_timeout_s}
[printer.virtual]
seconds_per_card = {seconds_per_card}
faults = [{faults}]
[duty]
daily_limit = 500
hourly_limit = 500
heat_per_card_c = 0.5
max_head_c = 95.0
[log]
format = "json"
level = "info"
[local]
submit = true
"""


@dataclass
class Daemon:
    config_path: Path
    state_dir: Path
    process: subprocess.Popen[bytes]
    notify: socket.socket
    received: list[str] = field(default_factory=list)

    def command(self, cmd: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return request(self.state_dir / "control.sock", cmd, args)

    def messages(self, timeout_s: float = 0.2) -> list[str]:
        """Notify datagrams received so far (waits up to `timeout_s` for at least one more)."""
        self.notify.settimeout(timeout_s)
        try:
            while True:
                self.received.append(self.notify.recv(4096).decode())
                self.notify.settimeout(0.01)
        except (TimeoutError, BlockingIOError):
            pass
        return self.received

    def wait_ready(self) -> None:
        wait_until(lambda: any("READY=1" in m for m in self.messages()), timeout=20)
        wait_until(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            return bool(self.command("status").get("ok"))
        except (DaemonNotRunning, OSError):
            return False


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    daemons: list[Daemon] = []

    def start(
        seconds_per_card: float = 0,
        faults: str = "",
        card_timeout_s: float = 30,
        mqtt_port: int | None = None,
        with_hang_command: bool = False,
        printer: str = 'driver = "virtual"',
    ) -> Daemon:
        """`with_hang_command`: the daemon of tests/daemon/hanging_daemon.py (the watchdog test);
        `printer`: the `[printer]` keys that name the printer."""
        state_dir = tmp_path / "state"
        config_path = tmp_path / "station.toml"
        config_path.write_text(
            CONFIG.format(
                state_dir=state_dir,
                mqtt_port=mqtt_port or free_port(),
                faults=faults,
                seconds_per_card=seconds_per_card,
                card_timeout_s=card_timeout_s,
                printer=printer,
            )
        )
        notify_path = tmp_path / f"notify-{len(daemons)}.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(notify_path))
        env = {
            **os.environ,
            "NOTIFY_SOCKET": str(notify_path),
            "WATCHDOG_USEC": "1000000",
            "PYTHONPATH": str(ROOT),
        }
        log = (tmp_path / f"daemon-{len(daemons)}.log").open("wb")
        program = HANGING if with_hang_command else "controller"
        process = subprocess.Popen(
            [sys.executable, "-m", program, "run", "--config", str(config_path)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        daemon = Daemon(config_path, state_dir, process, notify)
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        if daemon.process.poll() is None:
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait(10)
        daemon.notify.close()
