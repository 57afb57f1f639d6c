"""`printstation run`: assemble the station and run it until SIGTERM.

Order of start-up: logging, the state directory (created, writable) and its single-instance
lock, the store (recovery happens in the core loop once the printer
answers), the printer driver, the core loop, the control socket, the MQTT link; READY is sent to
systemd when the loop has made its first decision. SIGTERM or SIGINT asks the loop to stop: the
card in progress is finished (within `card_timeout_s`), then the link publishes `offline`.
SIGHUP re-reads the config (controller/app/reread.py) without touching the card. Every change
of the station's state is sent to systemd as `STATUS=`, which `systemctl status` shows.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from types import FrameType

import structlog

from contract.clock import SystemClock
from contract.status import Status
from controller.app.assembly import build_station, open_store
from controller.app.config import Config
from controller.app.instance import InstanceLock, prepare_state_dir
from controller.app.reread import reread_config
from controller.app.sdnotify import Notifier
from controller.core.commands import StationCommands
from controller.core.loop import Station, run_in_thread
from controller.core.panel_bridge import StationPanelActions, attach_panel
from controller.devices.panel.board import Panel
from controller.local.server import ControlServer
from controller.mqtt.link import MqttLink
from logsetup import configure_logging

log = structlog.get_logger(__name__)
PRIVATE_UMASK = 0o077  # the database and its WAL hold personal data


def run_daemon(config: Config) -> int:
    """Run the station in the foreground until SIGTERM or SIGINT; returns the exit code.

    Raises StartupError (state directory, another daemon), StoreError or PanelError."""
    configure_logging(config.log.level, config.log.format)
    os.umask(PRIVATE_UMASK)  # started by hand as well as under the unit (UMask=0077)
    prepare_state_dir(config.state_dir)
    lock = InstanceLock(config.state_dir)
    lock.acquire()  # before anything touches the database or the control socket
    try:
        return _run(config)
    finally:
        lock.release()


def _run(config: Config) -> int:
    clock = SystemClock()
    notifier = Notifier()
    store = open_store(config, clock)  # StoreError: the CLI says why, in one line
    # Wake often enough to ping systemd's watchdog at half its interval, or at least every 1 s.
    beat_every_s = min(1.0, notifier.watchdog_interval_s or 1.0)
    station = build_station(config, clock, store=store, max_wait_s=beat_every_s / 2)
    link = MqttLink(
        config.mqtt,
        config.station.id,
        store,
        clock,
        status_provider=lambda: station.latest_status().to_json(),
        commands=StationCommands(station, session=lambda: link.session),
        on_store_error=lambda exc: station.post(lambda: station.storage_failed(exc)),
        on_holding=lambda holding: station.post(lambda: station.messages_held(holding)),
    )
    panel = Panel(config.panel, StationPanelActions(station))  # PanelError: one line, no start
    attach_panel(station, panel)
    local = StationCommands(station, local=True, link=link.state, submit=config.local.submit)
    control = ControlServer(config.control_socket, local, config.local)
    station.status_listeners.append(link.status_changed)
    station.status_listeners.append(_systemd_status(notifier, station))
    station.event_listeners.append(link.wake)
    station.replay_listeners.append(link.replayed)
    station.heartbeat = _heartbeat(notifier, beat_every_s / 4)

    signals: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)  # acted on below, outside the handler

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    control.start()
    link.start()
    core = run_in_thread(station, on_ready=lambda: _ready(notifier, config))
    asked = False
    while core.is_alive():
        while signals:
            signum = signals.pop(0)
            if signum == signal.SIGHUP:
                config = reread_config(config)
            elif not asked:
                asked = True
                log.info("stop requested", signal=signal.Signals(signum).name)
                notifier.stopping()
                station.request_stop()
        core.join(0.2)
    link.stop()
    control.stop()
    panel.close()
    store.close()
    log.info("stopped")
    return 0


def _systemd_status(notifier: Notifier, station: Station) -> Callable[[], None]:
    """A status listener: `STATUS=` for systemd whenever the summary line changes."""
    last = [""]

    def send() -> None:
        line = status_line(station.latest_status())
        if line != last[0]:
            last[0] = line
            notifier.status(line)

    return send


def status_line(status: Status) -> str:
    """The station's state in one line, as `systemctl status` shows it."""
    parts = [f"state {status.state}"]
    if status.reasons:
        parts[0] += f" ({', '.join(status.reasons)})"
    if queue := status.queue:
        parts.append(f"{queue.queued} queued, {queue.needs_review} to review")
    if duty := status.duty:
        parts.append(f"{duty.printed_today}/{duty.daily_limit} printed today")
    return "; ".join(parts)


def _ready(notifier: Notifier, config: Config) -> None:
    log.info("station ready", station=config.station.id, printer=config.printer.driver)
    notifier.ready(f"station {config.station.id} running")


def _heartbeat(notifier: Notifier, every_s: float) -> Callable[[], None]:
    """WATCHDOG=1 from the core loop (and only from it), at most every `every_s`."""
    last = [0.0]

    def beat() -> None:
        now = time.monotonic()
        if now - last[0] >= every_s:
            last[0] = now
            notifier.watchdog()

    return beat
