"""(5) The idle daemon: time from start to READY, resident memory and CPU while idle.

`python -m controller run` starts as systemd would start it (the unit's `WatchdogSec=30`, so
`WATCHDOG_USEC` set, and a `NOTIFY_SOCKET` that the benchmark reads, as tests/daemon does),
with the virtual printer and connected to a real mosquitto, no jobs. READY is the time from
the process's start to its `READY=1`. Then, after a few seconds to settle, the idle window
(60 s, 10 s with `--quick`): CPU from /proc/{pid}/stat (utime + stime over the window) and
resident memory from /proc/{pid}/status (VmRSS, sampled every second; the largest is shown).

Baseline, in the same window: a bare interpreter of the same virtualenv that sends READY=1 at
once and sleeps (what any Python service costs before it does anything).

Targets: under 45 MB resident, under 0.5 % of one CPU idle, READY within 1.5 s.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.broker import running_broker
from bench.common import STATION
from bench.measure import Context, Measure

TARGET_RSS_MB = 45.0
TARGET_CPU_PERCENT = 0.5
TARGET_READY_S = 1.5
SETTLE_S = 3.0
WATCHDOG_USEC = 30_000_000  # systemd/printstation.service: WatchdogSec=30
CONFIG = """
[station]
id = "{station}"
state_dir = "{state_dir}"
[mqtt]
host = "127.0.0.1"
port = {port}
[printer]
driver = "virtual"
[log]
format = "json"
level = "info"
"""
BARE = """
import os, signal, socket
with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
    s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
signal.pause()
"""


@dataclass
class Watched:
    """A child process with its own notify socket."""

    name: str
    process: subprocess.Popen[bytes]
    notify: socket.socket
    started: float
    ready_s: float | None = None
    rss_kb: list[int] = field(default_factory=list)

    def poll_notify(self) -> None:
        """Read what the child sent; note when READY=1 came."""
        while True:
            try:
                message = self.notify.recv(4096, socket.MSG_DONTWAIT).decode()
            except BlockingIOError:
                return
            if "READY=1" in message and self.ready_s is None:
                self.ready_s = time.perf_counter() - self.started

    def sample_rss(self) -> None:
        self.rss_kb.append(proc_status_kb(self.process.pid, "VmRSS"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.notify.close()


def proc_status_kb(pid: int, key: str) -> int:
    """A `kB` line of /proc/{pid}/status, e.g. VmRSS."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (/proc/{pid}/stat fields 14 and 15)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # after the command name, field 3 on
    return int(fields[11]) + int(fields[12])


def start(name: str, argv: list[str], workdir: Path) -> Watched:
    notify_path = workdir / f"{name}-notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(notify_path),
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        "PYTHONUNBUFFERED": "1",
    }
    log = (workdir / f"{name}.log").open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Watched(name, process, notify, started)


def wait_ready(children: list[Watched], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while any(child.ready_s is None for child in children):
        for child in children:
            child.poll_notify()
            if child.process.poll() is not None:
                raise RuntimeError(f"{child.name} exited with {child.process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("no READY=1 within 30 s")
        time.sleep(0.002)


def idle_window(children: list[Watched], seconds: float) -> dict[str, float]:
    """CPU percent of each child over `seconds`, sampling memory every second."""
    ticks = {child.name: cpu_ticks(child.process.pid) for child in children}
    begin = time.perf_counter()
    end = begin + seconds
    while (now := time.perf_counter()) < end:
        for child in children:
            child.poll_notify()  # keep the socket drained (WATCHDOG=1 every 7.5 s)
            child.sample_rss()
        time.sleep(min(1.0, end - now))
    elapsed = time.perf_counter() - begin
    hz = os.sysconf("SC_CLK_TCK")
    return {
        child.name: 100.0 * (cpu_ticks(child.process.pid) - ticks[child.name]) / hz / elapsed
        for child in children
    }


def run(ctx: Context) -> list[Measure]:
    window_s = 10.0 if ctx.quick else 60.0
    base = ctx.dir("idle")
    config = base / "station.toml"
    with running_broker(base / "broker") as broker:
        config.write_text(
            CONFIG.format(station=STATION, state_dir=base / "state", port=broker.port)
        )
        bare = start("bare", [sys.executable, "-c", BARE], base)
        daemon = start(
            "daemon", [sys.executable, "-m", "controller", "run", "--config", str(config)], base
        )
        children = [daemon, bare]
        try:
            wait_ready(children)
            time.sleep(SETTLE_S)
            cpu = idle_window(children, window_s)
            hwm_kb = proc_status_kb(daemon.process.pid, "VmHWM")
        finally:
            for child in children:
                child.stop()
    assert daemon.ready_s is not None and bare.ready_s is not None
    rss = max(daemon.rss_kb) / 1024
    window = {"window_s": window_s, "settle_s": SETTLE_S, "watchdog_usec": WATCHDOG_USEC}
    return [
        Measure(
            "idle.ready_s",
            "daemon start to READY",
            daemon.ready_s,
            "s",
            bare.ready_s,
            "bare interpreter start",
            f"≤ {TARGET_READY_S} s",
            daemon.ready_s <= TARGET_READY_S,
        ),
        Measure(
            "idle.rss_mb",
            "idle daemon, resident memory",
            rss,
            "MB",
            max(bare.rss_kb) / 1024,
            "bare interpreter",
            f"< {TARGET_RSS_MB:.0f} MB",
            rss < TARGET_RSS_MB,
            {**window, "vm_hwm_mb": hwm_kb / 1024, "rss_last_mb": daemon.rss_kb[-1] / 1024},
        ),
        Measure(
            "idle.cpu_percent",
            "idle daemon, CPU",
            cpu["daemon"],
            "%",
            cpu["bare"],
            "bare interpreter",
            f"< {TARGET_CPU_PERCENT} %",
            cpu["daemon"] < TARGET_CPU_PERCENT,
            window,
        ),
    ]
