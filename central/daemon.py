"""The `run` command as a process under systemd: the replica, /metrics and /healthz, the
notify protocol (READY once started, WATCHDOG while the worker threads live, STOPPING) and
SIGTERM/SIGINT for a clean stop; a worker that dies ends the process with exit 1."""

from __future__ import annotations

import argparse
import os
import signal
import threading

import psycopg
import structlog
from sdnotify import SystemdNotifier

from central import __version__
from central.fleet import FleetCollector
from central.http import HttpEndpoint
from central.service import Service

log = structlog.get_logger("central.daemon")


def watchdog_interval(configured_s: float, environ: dict[str, str] | os._Environ[str]) -> float:
    """Seconds between pings: the configured ones, else half of systemd's WATCHDOG_USEC (its
    advice), else a second (pings then go nowhere)."""
    if configured_s > 0:
        return configured_s
    usec = environ.get("WATCHDOG_USEC", "")
    return int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else 1.0


class Daemon:
    def __init__(self, service: Service, args: argparse.Namespace) -> None:
        self.service, self.args = service, args
        self.notifier = SystemdNotifier()
        self.done = threading.Event()
        self.http: HttpEndpoint | None = None
        self._dead_reported = False

    def beat(self) -> bool:
        """Ping systemd's watchdog if every worker thread lives. A dead one stops the pings, so
        that systemd restarts the process (it is logged once)."""
        if self.service.workers_alive():
            self.notifier.notify("WATCHDOG=1")
            return True
        if not self._dead_reported:
            log.error("worker_thread_dead", alive=self.service.workers())
            self._dead_reported = True
        return False

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.done.set())
        if self.args.metrics_port:
            self.service.metrics.registry.register(
                FleetCollector(lambda: psycopg.connect(self.args.database))
            )
            self.http = HttpEndpoint(
                self.args.metrics_addr, self.args.metrics_port, self.service.metrics.registry,
                self.service.health,
            )  # fmt: skip
        self.service.start()
        self.notifier.notify(f"READY=1\nSTATUS=replica {self.args.replica}")
        log.info("central_started", replica=self.args.replica, version=__version__)
        interval = watchdog_interval(self.args.watchdog_s, os.environ)
        while not (self.done.wait(interval) or self.service.finished.is_set()):
            self.beat()
        self.notifier.notify("STOPPING=1")
        if self.http is not None:
            self.http.close()
        self.service.stop()
        log.info("central_stopped", replica=self.args.replica, failed=self.service.failed)
        return 1 if self.service.failed else 0  # a dead worker: systemd starts it again
