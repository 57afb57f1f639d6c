"""`printstation doctor`: check what the station needs, with a verdict per check.

It never takes anything from a running daemon: with the daemon up, the printer and the GPIO
pins are its, so they are asked of the daemon instead of opened; the broker is checked up to
a real MQTT connect up to the broker's CONNACK under a client id of its own (`<station>-doctor`)
when the daemon is not running, and asked of the daemon's link when it is. A config with
problems gets one FAIL line per problem, and the other checks still run on what is right in it.
"""

from __future__ import annotations

import os
import sqlite3
import ssl
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from contract.commands import CommandReply
from contract.shapes import BadMessage
from contract.status import Status
from contract.vocabulary import CommandName
from controller.app.certs import expiry_problem
from controller.app.config import Config, ConfigError, load_config_for_checks
from controller.local.client import DaemonNotRunning, request
from controller.queue.db import schema_too_new

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str
    detail: str


DB_FILES = ("", "-wal", "-shm")


def run_doctor(config_path: str | Path, out: TextIO = sys.stdout) -> int:
    """Print one line per check; exit 0 when nothing failed."""
    config, error = load_config_for_checks(config_path)
    daemon = _daemon_status(config)
    checks = [
        *_config(config, error),
        _state_dir(config),
        _database(config),
        _file_modes(config),
        Check("daemon", OK, f"running, state {daemon.state}")
        if daemon
        else Check("daemon", WARN, "not running"),
        _printer(config, daemon),
        _probe("broker", lambda config: _broker(config, daemon), config),
        *_certificates(config),
        _gpio(config, daemon),
    ]
    for check in checks:
        out.write(f"{check.verdict:<5} {check.name:<9} {check.detail}\n")
    failed = sorted({check.name for check in checks if check.verdict == FAIL})
    out.write(f"verdict: problems with {', '.join(failed)}\n" if failed else "verdict: ready\n")
    return 1 if failed else 0


def _config(config: Config, error: ConfigError | None) -> list[Check]:
    if error is None:
        return [Check("config", OK, f"{config.path} (station {config.station.id})")]
    return [Check("config", FAIL, str(problem)) for problem in error.errors]


def _daemon_status(config: Config) -> Status | None:
    try:
        answer = CommandReply.from_body(request(config.control_socket, CommandName.STATUS))
        return Status.from_json(answer.result) if answer.ok else None
    except (DaemonNotRunning, OSError, BadMessage):
        return None


def _state_dir(config: Config) -> Check:
    directory = config.state_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-") as probe:
            probe.write(b"x")
            probe.flush()
            os.fsync(probe.fileno())
        free_mb = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize // 2**20
    except OSError as exc:
        return Check("state_dir", FAIL, f"{directory}: {exc.strerror or exc}")
    verdict = WARN if free_mb < 100 else OK
    return Check("state_dir", verdict, f"{directory} writable, {free_mb} MB free")


def _database(config: Config) -> Check:
    if not config.db_path.exists():
        return Check("database", WARN, f"{config.db_path} not created yet (the first run does)")
    try:
        with sqlite3.connect(f"file:{config.db_path}?mode=ro", uri=True) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        return Check("database", FAIL, f"{config.db_path}: {exc}")
    if problem := schema_too_new(config.db_path, version):
        return Check("database", FAIL, f"{problem} (the daemon refuses it too)")
    verdict = OK if result == "ok" else FAIL
    return Check("database", verdict, f"schema {version}, integrity {result}")


def _file_modes(config: Config) -> Check:
    """The database and its WAL hold personal data: readable by the daemon's user only (the
    daemon's umask, the unit's UMask=0077)."""
    paths = [config.db_path.with_name(config.db_path.name + end) for end in DB_FILES]
    exposed = [
        f"{path} is {mode:o}"
        for path in paths
        if path.exists() and (mode := path.stat().st_mode & 0o777) & 0o077
    ]
    if exposed:
        return Check("modes", FAIL, "; ".join(exposed) + ": personal data readable by others")
    return Check("modes", OK, "the database is readable by the daemon's user only")


def _printer(config: Config, daemon: Status | None) -> Check:
    if daemon is not None:
        printer = daemon.printer
        if printer is not None and printer.connected:
            return Check(
                "printer",
                OK,
                f"{printer.model} serial {printer.serial}, "
                f"flags {list(printer.flags) or 'none'} (as the daemon sees it)",
            )
        return Check("printer", FAIL, "the daemon cannot reach the printer")
    if config.printer.driver == "virtual":
        return Check("printer", OK, "virtual printer (training mode)")
    return _probe("printer", _real_printer, config)


def _real_printer(config: Config) -> Check:
    from contract.clock import SystemClock
    from controller.devices.factory import network_driver, usb_driver
    from controller.devices.net_transport import NetworkSettings
    from controller.devices.printer import PrinterError
    from controller.devices.usb_transport import TransportSettings

    printer = config.printer
    if printer.driver == "network":
        where = f"at {printer.host}:{printer.port}"
        driver = network_driver(
            printer.host,
            printer.port,
            clock=SystemClock(),
            settings=NetworkSettings(connect_timeout_s=3, reconnect_timeout_s=3),
        )
    else:
        where = "on USB"
        driver = usb_driver(
            clock=SystemClock(),
            vendor_id=printer.vendor_id,
            product_id=printer.product_id,
            settings=TransportSettings(reconnect_timeout_s=3),
        )
    try:
        identity = driver.identity()
        return Check("printer", OK, f"{identity.model} serial {identity.serial} {where}")
    except PrinterError as exc:
        return Check("printer", FAIL, f"not found or not permitted {where}: {exc}")
    finally:
        driver.close()


def _broker(config: Config, daemon: Status | None) -> Check:
    from controller.mqtt.probe import probe_broker

    settings = config.mqtt
    where = f"{settings.host}:{settings.port}"
    if daemon is not None:
        if daemon.link is not None and daemon.link.connected:
            return Check(
                "broker", OK, f"{where}: the daemon is connected (session {daemon.link.session})"
            )
        return Check(
            "broker", FAIL, f"{where}: the daemon is not connected (see journalctl -u printstation)"
        )
    try:
        result = probe_broker(settings, config.station.id)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return Check("broker", FAIL, f"{where}: {exc}")
    security = "TLS" if settings.tls_ca or settings.tls_cert else "no TLS"
    if result.accepted:
        return Check("broker", OK, f"{where} ({security}): MQTT connect accepted, {result.detail}")
    return Check("broker", FAIL, f"{where} ({security}): {result.detail}")


def _certificates(config: Config) -> list[Check]:
    now = datetime.now(UTC)
    checks = []
    for path in (config.mqtt.tls_ca, config.mqtt.tls_cert):
        if not path:
            continue
        problem = expiry_problem(path, now)
        if problem is None:
            checks.append(Check("cert", OK, f"{path} valid for more than 30 days"))
        else:
            checks.append(Check("cert", FAIL if problem.unusable else WARN, problem.message))
    return checks


def _gpio(config: Config, daemon: Status | None) -> Check:
    if daemon is not None:
        return Check("gpio", OK, "pins held by the running daemon")
    return _probe("gpio", _panel, config)


def _panel(config: Config) -> Check:
    from controller.devices.panel import Panel

    class NoActions:
        def toggle_pause(self) -> None: ...
        def resolve_review(self, outcome: str) -> None: ...
        def cabinet_changed(self, is_open: bool) -> None: ...
        def power_failed(self) -> None: ...

    panel = Panel(config.panel, NoActions())
    panel.close()
    factory = config.panel.pin_factory or "gpiozero's default"
    return Check("gpio", OK, f"panel pins available ({factory})")


def _probe(name: str, check: Callable[[Config], Check], config: Config) -> Check:
    """Run a check; an unexpected failure becomes its FAIL line, not a crash."""
    try:
        return check(config)
    except Exception as exc:  # a doctor reports, it does not crash
        return Check(name, FAIL, str(exc).splitlines()[0] if str(exc) else repr(exc))
