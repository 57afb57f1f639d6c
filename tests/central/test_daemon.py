"""`printstation-central run` as systemd runs it: READY once started, WATCHDOG pings, STOPPING
on SIGTERM and exit 0; /healthz says 200 while the broker and database are there and 503 with
what failed when not; logs are JSON lines (logsetup) when not on a terminal."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from central.consumer import ConsumerSettings
from central.daemon import Daemon
from central.service import Service, ServiceSettings
from testkit.broker import Broker, free_port
from testkit.central import CentralReplica
from testkit.waiting import wait_until

pytestmark = pytest.mark.slow


def healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_replica_speaks_systemds_notify_protocol_and_answers_healthz(
    tmp_path: Path, dsn: str, monkeypatch
) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(30)
    broker = Broker.plain(tmp_path / "broker")
    broker.start()  # before NOTIFY_SOCKET is set: mosquitto speaks the protocol too
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # pings every 0.2 s
    port = free_port()
    replica = CentralReplica(
        tmp_path / "central", dsn, broker.port, "central-d", "--metrics-port", str(port)
    )
    try:
        replica.start()
        messages = [notify.recv(4096).decode()]
        assert messages[0] == "READY=1\nSTATUS=replica central-d"
        wait_until(lambda: broker.subscribed("central-d", ConsumerSettings().event_filter))
        messages += [notify.recv(4096).decode() for _ in range(3)]
        assert messages[1:] == ["WATCHDOG=1"] * 3
        assert healthz(port) == (
            200,
            {
                "healthy": True,
                "checks": {
                    "central-consume": True,
                    "central-tick": True,
                    "broker": True,
                    "database": True,
                },
            },
        )
        broker.kill()
        status = wait_until(
            lambda: (answer := healthz(port))[0] == 503 and answer, timeout=30, what="503"
        )
        assert status[1]["checks"]["broker"] is False and status[1]["checks"]["database"] is True
        replica.stop()
        assert replica.process is not None and replica.process.returncode == 0
        while (message := notify.recv(4096).decode()) == "WATCHDOG=1":
            pass
        assert message == "STOPPING=1"
    finally:
        replica.kill()
        broker.kill()
        notify.close()
    started = [line for line in replica.log_events() if line["event"] == "central_started"]
    assert started and started[0]["replica"] == "central-d" and started[0]["level"] == "info"


class Recorded:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def notify(self, message: str) -> None:
        self.sent.append(message)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_stops_the_watchdog_pings_and_fails_healthz(dsn, monkeypatch) -> None:
    service = Service(ServiceSettings(dsn, tick_s=0.05))
    daemon = Daemon(service, argparse.Namespace())
    daemon.notifier = Recorded()
    service.start()
    try:
        assert daemon.beat() and daemon.notifier.sent == ["WATCHDOG=1"]

        def broken(*_: object) -> None:
            raise RuntimeError("a bug in the tick")

        monkeypatch.setattr(service, "tick", broken)
        wait_until(lambda: not service.workers_alive(), timeout=10, what="the tick thread dead")
        assert service.health()["central-tick"] is False
        assert not daemon.beat() and not daemon.beat()
        assert daemon.notifier.sent == ["WATCHDOG=1"]
    finally:
        service.stop()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_ends_the_process_with_exit_1(dsn, monkeypatch) -> None:
    """A replica whose worker died must not run on consuming nothing: `run` returns 1 (systemd
    starts it again), not 0 after a stop nobody asked for."""
    service = Service(ServiceSettings(dsn, tick_s=0.05))

    def broken(*_: object) -> None:
        raise RuntimeError("a bug in the tick")

    monkeypatch.setattr(service, "tick", broken)
    args = argparse.Namespace(metrics_port=0, replica="central-t", watchdog_s=0.05, database=dsn)
    daemon = Daemon(service, args)
    daemon.notifier = Recorded()
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    stop_anyway = threading.Timer(10, daemon.done.set)  # without the check: exit 0 after 10 s
    stop_anyway.start()
    try:
        assert daemon.run() == 1
        assert daemon.notifier.sent[-1] == "STOPPING=1"
    finally:
        stop_anyway.cancel()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
