"""The real daemon as a child process (`python -m controller run --config ...`), killed and
restarted at will, with the virtual printer's own log of every card it fed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATION = "3271-bogor-timur-01"
TOPIC_BASE = f"ektp/v1/{STATION}"


@dataclass(frozen=True)
class Fault:
    at_card: int
    kind: str
    seconds: float = 0.0
    stage: str = ""  # "": the kind's default stage


@dataclass(frozen=True)
class IppQueue:
    """`[printer] driver = "ipp"`: a CUPS queue, and where the printer behind it logs its cards."""

    port: int
    queue: str
    printer_dir: Path  # the virtual printer's directory (cards.jsonl, state.json)
    job_timeout_s: float = 30.0


@dataclass(frozen=True)
class StationSettings:
    """What the run's config file says; the duty is fast, but real and checked."""

    mqtt_port: int
    seconds_per_card: float = 0.02
    cards: int = 120
    ribbon: int = 400
    film: int = 2000
    faults: tuple[Fault, ...] = ()
    blocked_job: str = "drop"  # what the virtual printer does with a job it cannot start
    card_timeout_s: float = 5.0
    keepalive_s: int = 5
    daily_limit: int = 5000
    hourly_limit: int = 3000
    ambient_c: float = 25.0
    heat_per_card_c: float = 8.0
    cooling_tau_s: float = 1.0
    max_head_c: float = 85.0
    low: dict[str, int] = field(default_factory=lambda: {"cards": 25, "ribbon": 25, "film": 50})
    username: str = ""  # the broker account, and TLS trusting `tls_ca` (empty: none)
    password: str = ""
    tls_ca: str = ""
    ipp: IppQueue | None = None  # None: the virtual printer inside the daemon
    min_free_mb: int = 100  # [queue]: 0 lets a test fill the disk (the storage-failure path)

    def printer_toml(self) -> str:
        if self.ipp is not None:
            return f"""[printer]
driver = "ipp"
card_timeout_s = {self.card_timeout_s}
[printer.ipp]
server = "127.0.0.1"
port = {self.ipp.port}
queue = "{self.ipp.queue}"
poll_s = 0.05
job_timeout_s = {self.ipp.job_timeout_s}
reasons = [{{ keyword = "cardsim-film-empty", fault = "film_out" }}]
"""
        faults = ", ".join(
            f'{{ at_card = {f.at_card}, kind = "{f.kind}", seconds = {f.seconds},'
            f' stage = "{f.stage}" }}'
            for f in self.faults
        )
        return f"""[printer]
driver = "virtual"
card_timeout_s = {self.card_timeout_s}
[printer.virtual]
seconds_per_card = {self.seconds_per_card}
cards = {self.cards}
ribbon = {self.ribbon}
film = {self.film}
faults = [{faults}]
blocked_job = "{self.blocked_job}"
"""

    def toml(self, state_dir: Path) -> str:
        return f"""
[station]
id = "{STATION}"
state_dir = "{state_dir}"
[mqtt]
host = "127.0.0.1"
port = {self.mqtt_port}
keepalive_s = {self.keepalive_s}
username = "{self.username}"
password = "{self.password}"
tls_ca = "{self.tls_ca}"
{self.printer_toml()}[duty]
daily_limit = {self.daily_limit}
hourly_limit = {self.hourly_limit}
ambient_c = {self.ambient_c}
heat_per_card_c = {self.heat_per_card_c}
cooling_tau_s = {self.cooling_tau_s}
max_head_c = {self.max_head_c}
[consumables]
reserve_cards = 20
low_cards = {self.low["cards"]}
low_ribbon = {self.low["ribbon"]}
low_film = {self.low["film"]}
[log]
format = "json"
level = "info"
[local]
submit = true
[queue]
min_free_mb = {self.min_free_mb}
"""


class NotAnswering(Exception):
    """The daemon is not running, or did not answer on its control socket in time."""


@dataclass(frozen=True)
class CardLine:
    counter: int
    result: str
    front_sha256: str


class StationProcess:
    """One station's state directory and the daemon processes that run on it, one at a time."""

    def __init__(self, workdir: Path, settings: StationSettings) -> None:
        self.workdir = workdir
        self.state_dir = workdir / "state"
        self.config_path = workdir / "station.toml"
        self.log_path = workdir / "daemon.log"
        self.settings = settings
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(settings.toml(self.state_dir))
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0
        self.exit_codes: list[int] = []

    @property
    def db_path(self) -> Path:
        return self.state_dir / "station.db"

    @property
    def printer_dir(self) -> Path:
        """The virtual printer's directory: in the state directory, or behind CUPS."""
        ipp = self.settings.ipp
        return ipp.printer_dir if ipp is not None else self.state_dir / "virtual-printer"

    @property
    def cards_path(self) -> Path:
        return self.printer_dir / "cards.jsonl"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.alive:
            raise RuntimeError("the daemon is running already")
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "controller", "run", "--config", str(self.config_path)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Until the control socket answers `status` (the core loop is running)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"the daemon exited at start-up: {self.log_tail()}")
            try:
                if self.command("status", timeout_s=2.0).get("ok"):
                    return
            except NotAnswering:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the daemon was not ready in {timeout_s} s")
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a power cut."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.kills += 1
        self.exit_codes.append(self.process.wait(10))

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM: finish the card in progress, publish offline, exit 0."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout_s)
        self.exit_codes.append(code)
        return code

    def command(
        self, cmd: str, args: dict[str, Any] | None = None, timeout_s: float = 5.0
    ) -> dict[str, Any]:
        """One request on the control socket (the `printstation` protocol), bounded in time."""
        body = json.dumps({"cmd": cmd, "args": args or {}}).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(timeout_s)
                client.connect(str(self.state_dir / "control.sock"))
                client.sendall(body)
                client.shutdown(socket.SHUT_WR)
                chunks = []
                while chunk := client.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            raise NotAnswering(str(exc)) from exc
        if not chunks:
            raise NotAnswering("empty answer")
        answer: dict[str, Any] = json.loads(b"".join(chunks))
        return answer

    def cards(self) -> list[CardLine]:
        """The virtual printer's log: one line per blank it fed (a torn last line skipped)."""
        if not self.cards_path.exists():
            return []
        lines = []
        for raw in self.cards_path.read_bytes().splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            lines.append(CardLine(record["counter"], record["result"], record["front_sha256"]))
        return lines

    def card_count(self) -> int:
        try:
            return self.cards_path.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_lines(self, event: str) -> int:
        """How many log lines carry `"event": event` (structlog JSON)."""
        return len(self.log_records(event))

    def log_records(self, event: str) -> list[dict[str, Any]]:
        """The log lines that carry `"event": event` (structlog JSON), read."""
        if not self.log_path.exists():
            return []
        needle = f'"event": "{event}"'
        return [json.loads(line) for line in self.log_path.open(errors="replace") if needle in line]
