"""`printstation run`: assemble the station and run it until SIGTERM.

Order of start-up: logging, the store (recovery happens in the core loop once the printer
answers), the printer driver, the core loop, the control socket, the MQTT link; READY is sent to
systemd when the loop has made its first decision. SIGTERM or SIGINT asks the loop to stop: the
card in progress is finished (within `card_timeout_s`), then the link publishes `offline`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from types import FrameType

import structlog

from controller.app.assembly import build_station, open_store
from controller.app.config import Config
from controller.app.logsetup import configure_logging
from controller.app.sdnotify import Notifier
from controller.clock import SystemClock
from controller.core.commands import StationCommands
from controller.core.loop import run_in_thread
from controller.core.panel_bridge import StationPanelActions, attach_panel
from controller.devices.panel import Panel
from controller.local.server import ControlServer
from controller.mqtt.link import MqttLink

log = structlog.get_logger(__name__)
PRIVATE_UMASK = 0o077  # the database and its WAL hold personal data


def run_daemon(config: Config) -> int:
    """Run the station in the foreground until SIGTERM or SIGINT; returns the exit code."""
    configure_logging(config.log.level, config.log.format)
    os.umask(PRIVATE_UMASK)  # started by hand as well as under the unit (UMask=0077)
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
        status_provider=station.latest_status,
        commands=StationCommands(station, session=lambda: link.session),
        on_store_error=lambda exc: station.post(lambda: station.storage_failed(exc)),
        on_holding=lambda holding: station.post(lambda: station.messages_held(holding)),
    )
    panel = Panel(config.panel, StationPanelActions(station))  # PanelError: one line, no start
    attach_panel(station, panel)
    local = StationCommands(station, local=True, submit=config.local.submit)
    control = ControlServer(config.control_socket, local, config.local)
    station.status_listeners.append(link.status_changed)
    station.event_listeners.append(link.wake)
    station.replay_listeners.append(link.replayed)
    station.heartbeat = _heartbeat(notifier, beat_every_s / 4)

    stop_requested: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_requested.append(signum)  # acted on below, outside the handler

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    control.start()
    link.start()
    core = run_in_thread(station, on_ready=lambda: _ready(notifier, config))
    asked = False
    while core.is_alive():
        if stop_requested and not asked:
            asked = True
            log.info("stop requested", signal=signal.Signals(stop_requested[0]).name)
            notifier.stopping()
            station.request_stop()
        core.join(0.2)
    link.stop()
    control.stop()
    panel.close()
    store.close()
    log.info("stopped")
    return 0


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
