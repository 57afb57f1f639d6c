"""`printstation doctor`: check what the station needs, with a verdict per check.

It never takes anything from a running daemon: with the daemon up, the printer and the GPIO
pins are its, so they are asked of the daemon instead of opened; the broker is checked up to
a real MQTT connect up to the broker's CONNACK under a client id of its own (`<station>-doctor`)
when the daemon is not running, and asked of the daemon's link when it is. A config with
problems gets one FAIL line per problem; the checks that read a section with problems are
skipped (never run on defaults the file does not say), the others run on the file as written.
The doctor only looks: it creates nothing (not even the state directory) and prints only its
report.
"""

from __future__ import annotations

import sqlite3
import ssl
import sys
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from contract.commands import CommandReply
from contract.shapes import BadMessage
from contract.status import Status
from contract.vocabulary import CommandName, Resolution
from controller.app.certs import expiry_problem
from controller.app.config import Config, ConfigError, load_config_for_checks
from controller.app.doctor_files import (
    Finding,
    Verdict,
    personal_data_modes,
    secrets,
    state_dir,
)
from controller.app.language import N_, _, problem_line, say
from controller.devices.panel.settings import PanelSettings
from controller.devices.settings import Driver, PrinterSettings
from controller.local.client import DaemonNotRunning, request
from controller.mqtt.settings import MqttSettings
from controller.queue.db import schema_too_new


def _section_of(settings: type) -> str:
    """The config's section that holds `settings` (its field name in `Config`)."""
    hints = typing.get_type_hints(Config)
    return next(name for name, hint in hints.items() if hint is settings)


# Each check's name and verdict as its line shows them (the names are the checks' own).
NAMES = {
    "config": N_("config"),
    "state_dir": N_("state_dir"),
    "database": N_("database"),
    "modes": N_("modes"),
    "secrets": N_("secrets"),
    "daemon": N_("daemon"),
    "printer": N_("printer"),
    "broker": N_("broker"),
    "cert": N_("cert"),
    "gpio": N_("gpio"),
}
VERDICTS = {Verdict.OK: N_("ok"), Verdict.WARN: N_("warn"), Verdict.FAIL: N_("FAIL"),
            Verdict.SKIP: N_("skip")}  # fmt: skip

# The section each check reads: a check whose section the file gets wrong is skipped.
NEEDS = {
    "broker": _section_of(MqttSettings),
    "cert": _section_of(MqttSettings),
    "secrets": _section_of(MqttSettings),
    "printer": _section_of(PrinterSettings),
    "gpio": _section_of(PanelSettings),
}


def run_doctor(config_path: str | Path, out: TextIO = sys.stdout) -> int:
    """Print one line per check; exit 0 when nothing failed. Nothing on the machine changes."""
    checked = load_config_for_checks(config_path)
    config, broken = checked.config, checked.broken
    daemon = _daemon_status(config)

    def unless_broken(name: str, check: Callable[[], Finding | list[Finding]]) -> list[Finding]:
        if NEEDS.get(name) in broken:
            section = NEEDS[name]
            skipped = _("not checked: [%(section)s] has problems") % {"section": section}
            return [Finding(name, Verdict.SKIP, skipped)]
        found = check()
        return found if isinstance(found, list) else [found]

    findings = [
        *_config(config, checked.error),
        _probe("state_dir", state_dir, config),
        _database(config),
        _probe("modes", personal_data_modes, config),
        *unless_broken("secrets", lambda: secrets(config)),
        Finding("daemon", Verdict.OK, _("running, state %(state)s") % {"state": daemon.state})
        if daemon
        else Finding("daemon", Verdict.WARN, _("not running")),
        *unless_broken("printer", lambda: _printer(config, daemon)),
        *unless_broken("broker", lambda: _probe("broker", lambda c: _broker(c, daemon), config)),
        *unless_broken("cert", lambda: _certificates(config)),
        *unless_broken("gpio", lambda: _gpio(config, daemon)),
    ]
    verdicts = {verdict: _(word) for verdict, word in VERDICTS.items()}
    names = {name: _(word) for name, word in NAMES.items()}
    wide = max(5, *map(len, verdicts.values())), max(9, *map(len, names.values()))
    for finding in findings:
        verdict, name = verdicts[finding.verdict], names[finding.name]
        out.write(f"{verdict:<{wide[0]}} {name:<{wide[1]}} {finding.detail}\n")
    failed = sorted({names[f.name] for f in findings if f.verdict is Verdict.FAIL})
    if failed:
        out.write(_("verdict: problems with %(checks)s") % {"checks": ", ".join(failed)} + "\n")
    else:
        out.write(_("verdict: ready") + "\n")
    return 1 if failed else 0


def _config(config: Config, error: ConfigError | None) -> list[Finding]:
    if error is None:
        text = _("%(path)s (station %(station)s)")
        return [
            Finding(
                "config", Verdict.OK, text % {"path": config.path, "station": config.station.id}
            )
        ]
    return [Finding("config", Verdict.FAIL, problem_line(problem)) for problem in error.errors]


def _daemon_status(config: Config) -> Status | None:
    try:
        answer = CommandReply.from_body(request(config.control_socket, CommandName.STATUS))
        return Status.from_json(answer.result) if answer.ok else None
    except (DaemonNotRunning, OSError, BadMessage):
        return None


def _database(config: Config) -> Finding:
    if not config.db_path.exists():
        text = _("%(db)s not created yet (the first run does)")
        return Finding("database", Verdict.WARN, text % {"db": config.db_path})
    try:
        with sqlite3.connect(f"file:{config.db_path}?mode=ro", uri=True) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        return Finding("database", Verdict.FAIL, f"{config.db_path}: {exc}")
    if problem := schema_too_new(config.db_path, version):
        text = _("%(problem)s (the daemon refuses it too)")
        return Finding("database", Verdict.FAIL, text % {"problem": say(problem)})
    verdict = Verdict.OK if result == "ok" else Verdict.FAIL
    text = _("schema %(version)s, integrity %(result)s")
    return Finding("database", verdict, text % {"version": version, "result": result})


def _printer(config: Config, daemon: Status | None) -> Finding:
    if daemon is not None:
        printer = daemon.printer
        if printer is not None and printer.connected:
            text = _("%(model)s serial %(serial)s, flags %(flags)s (as the daemon sees it)")
            flags = list(printer.flags) or _("none")
            found = {"model": printer.model, "serial": printer.serial, "flags": flags}
            return Finding("printer", Verdict.OK, text % found)
        return Finding("printer", Verdict.FAIL, _("the daemon cannot reach the printer"))
    if config.printer.driver == Driver.VIRTUAL:
        return Finding("printer", Verdict.OK, _("virtual printer (training mode)"))
    return _probe("printer", _real_printer, config)


def _real_printer(config: Config) -> Finding:
    from contract.clock import SystemClock
    from controller.devices.factory import network_driver, usb_driver
    from controller.devices.ipp import IppDriver
    from controller.devices.net_transport import NetworkSettings
    from controller.devices.printer import PrinterDriver, PrinterError
    from controller.devices.usb_transport import TransportSettings

    printer = config.printer
    if printer.driver == Driver.IPP:
        where = _("as CUPS queue %(queue)s on %(server)s") % {
            "queue": printer.ipp.queue,
            "server": printer.ipp.server,
        }
        driver: PrinterDriver = IppDriver(printer.ipp, SystemClock())
    elif printer.driver == Driver.NETWORK:
        where = _("at %(host)s:%(port)s") % {"host": printer.host, "port": printer.port}
        driver = network_driver(
            printer.host,
            printer.port,
            clock=SystemClock(),
            settings=NetworkSettings(connect_timeout_s=3, reconnect_timeout_s=3),
        )
    else:
        where = _("on USB")
        driver = usb_driver(
            clock=SystemClock(),
            vendor_id=printer.vendor_id,
            product_id=printer.product_id,
            settings=TransportSettings(reconnect_timeout_s=3),
        )
    try:
        identity = driver.identity()
        text = _("%(model)s serial %(serial)s %(where)s")
        found = {"model": identity.model, "serial": identity.serial, "where": where}
        return Finding("printer", Verdict.OK, text % found)
    except PrinterError as exc:
        text = _("not found or not permitted %(where)s: %(problem)s")
        return Finding("printer", Verdict.FAIL, text % {"where": where, "problem": exc})
    finally:
        driver.close()


def _broker(config: Config, daemon: Status | None) -> Finding:
    from controller.mqtt.probe import probe_broker

    settings = config.mqtt
    where = f"{settings.host}:{settings.port}"
    if daemon is not None:
        if daemon.link is not None and daemon.link.connected:
            text = _("%(where)s: the daemon is connected (session %(session)s)")
            return Finding(
                "broker", Verdict.OK, text % {"where": where, "session": daemon.link.session}
            )
        text = _("%(where)s: the daemon is not connected (see journalctl -u printstation)")
        return Finding("broker", Verdict.FAIL, text % {"where": where})
    try:
        result = probe_broker(settings, config.station.id)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return Finding("broker", Verdict.FAIL, f"{where}: {exc}")
    security = "TLS" if settings.tls_ca or settings.tls_cert else _("no TLS")
    if result.accepted:
        text = _("%(where)s (%(security)s): MQTT connect accepted, %(detail)s")
        found = {"where": where, "security": security, "detail": say(result.detail)}
        return Finding("broker", Verdict.OK, text % found)
    return Finding("broker", Verdict.FAIL, f"{where} ({security}): {say(result.detail)}")


def _certificates(config: Config) -> list[Finding]:
    now = datetime.now(UTC)
    findings = []
    for path in (config.mqtt.tls_ca, config.mqtt.tls_cert):
        if not path:
            continue
        problem = expiry_problem(path, now)
        if problem is None:
            text = _("%(path)s valid for more than 30 days") % {"path": path}
            findings.append(Finding("cert", Verdict.OK, text))
        else:
            findings.append(
                Finding("cert", Verdict.FAIL if problem.unusable else Verdict.WARN, problem.message)
            )
    return findings


def _gpio(config: Config, daemon: Status | None) -> Finding:
    if daemon is not None:
        return Finding("gpio", Verdict.OK, _("pins held by the running daemon"))
    return _probe("gpio", _panel, config)


def _panel(config: Config) -> Finding:
    from controller.devices.panel.board import Panel

    class NoActions:
        def toggle_pause(self) -> None: ...
        def resolve_review(self, outcome: Resolution) -> None: ...
        def cabinet_changed(self, is_open: bool) -> None: ...
        def power_failed(self) -> None: ...

    panel = Panel(config.panel, NoActions())
    panel.close()
    factory = config.panel.pin_factory or _("gpiozero's default")
    return Finding(
        "gpio", Verdict.OK, _("panel pins available (%(factory)s)") % {"factory": factory}
    )


def _probe(name: str, check: Callable[[Config], Finding], config: Config) -> Finding:
    """Run a check; an unexpected failure becomes its FAIL line, not a crash."""
    try:
        return check(config)
    except Exception as exc:  # a doctor reports, it does not crash
        return Finding(name, Verdict.FAIL, str(exc).splitlines()[0] if str(exc) else repr(exc))
