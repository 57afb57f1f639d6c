"""`printstation doctor`: check what the station needs, with a verdict per check.

It never takes anything from a running daemon: with the daemon up, the printer and the GPIO
pins are its, so they are asked of the daemon instead of opened; the broker is checked up to
the TLS handshake only (an MQTT connect with the station's client id would take over the
daemon's session).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import ssl
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from controller.app.config import Config
from controller.contract.vocabulary import CommandName
from controller.local.client import DaemonNotRunning, request

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str
    detail: str


DB_FILES = ("", "-wal", "-shm")


def run_doctor(config: Config, out: TextIO = sys.stdout) -> int:
    """Print one line per check; exit 0 when nothing failed."""
    daemon = _daemon_status(config)
    checks = [
        Check("config", OK, f"{config.path} (station {config.station.id})"),
        _state_dir(config),
        _database(config),
        _file_modes(config),
        Check("daemon", OK, f"running, state {daemon['state']}")
        if daemon
        else Check("daemon", WARN, "not running"),
        _printer(config, daemon),
        _broker(config),
        _gpio(config, daemon),
    ]
    for check in checks:
        out.write(f"{check.verdict:<5} {check.name:<9} {check.detail}\n")
    failed = [check.name for check in checks if check.verdict == FAIL]
    out.write(f"verdict: problems with {', '.join(failed)}\n" if failed else "verdict: ready\n")
    return 1 if failed else 0


def _daemon_status(config: Config) -> dict[str, Any] | None:
    try:
        reply = request(config.control_socket, CommandName.STATUS)
    except (DaemonNotRunning, OSError):
        return None
    return reply.get("result") if reply.get("ok") else None


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


def _printer(config: Config, daemon: dict[str, Any] | None) -> Check:
    if daemon is not None:
        printer = daemon["printer"]
        if printer["connected"]:
            return Check(
                "printer",
                OK,
                f"{printer['model']} serial {printer['serial']}, "
                f"flags {printer['flags'] or 'none'} (as the daemon sees it)",
            )
        return Check("printer", FAIL, "the daemon cannot reach the printer")
    if config.printer.driver == "virtual":
        return Check("printer", OK, "virtual printer (training mode)")
    return _probe("printer", _usb_printer, config)


def _usb_printer(config: Config) -> Check:
    from controller.clock import SystemClock
    from controller.devices.factory import usb_driver
    from controller.devices.printer import PrinterError
    from controller.devices.usb_transport import TransportSettings

    driver = usb_driver(
        clock=SystemClock(),
        vendor_id=config.printer.vendor_id,
        product_id=config.printer.product_id,
        settings=TransportSettings(reconnect_timeout_s=3),
    )
    try:
        identity = driver.identity()
        return Check("printer", OK, f"{identity.model} serial {identity.serial} on USB")
    except PrinterError as exc:
        return Check("printer", FAIL, f"not found or not permitted: {exc}")
    finally:
        driver.close()


def _broker(config: Config) -> Check:
    settings = config.mqtt
    where = f"{settings.host}:{settings.port}"
    try:
        with socket.create_connection((settings.host, settings.port), timeout=5) as raw:
            if not (settings.tls_ca or settings.tls_cert):
                return Check("broker", OK, f"{where} reachable (no TLS configured)")
            context = ssl.create_default_context(cafile=settings.tls_ca or None)
            if settings.tls_cert:
                context.load_cert_chain(settings.tls_cert, settings.tls_key)
            with context.wrap_socket(raw, server_hostname=settings.host) as tls:
                return Check("broker", OK, f"{where} reachable, TLS {tls.version()} verified")
    except (OSError, ssl.SSLError) as exc:
        return Check("broker", FAIL, f"{where}: {exc}")


def _gpio(config: Config, daemon: dict[str, Any] | None) -> Check:
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
