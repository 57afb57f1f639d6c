"""A running station: core loop, virtual printer behind pyusb, SQLite store on disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contract.clock import SystemClock
from contract.vocabulary import BlockedJob
from controller.app.assembly import build_station, open_store
from controller.app.config import Config, load_config
from controller.app.language import CHOOSERS
from controller.core.commands import StationCommands
from controller.core.loop import Station, run_in_thread
from controller.devices.factory import network_driver, virtual_driver, virtual_printer
from controller.queue.store import Store
from firmware.models import MODELS
from firmware.net_server import serve_in_thread
from firmware.virtual_printer import VirtualPrinter

STATION_TOML = """
[station]
id = "3271-bogor-timur-01"
state_dir = "{state_dir}"
[printer]
driver = "{driver}"
card_timeout_s = 10
[printer.virtual]
seconds_per_card = 0
cards = {cards}
ribbon = 200
film = 400
faults = [{faults}]
blocked_job = "{blocked_job}"
[duty]
daily_limit = 500
hourly_limit = 500
heat_per_card_c = 0.5
max_head_c = 95.0
[consumables]
reserve_cards = 5
low_cards = 3
low_ribbon = 3
low_film = 3
"""


@dataclass
class Running:
    config: Config
    store: Store
    station: Station
    printer: VirtualPrinter
    commands: StationCommands

    def states(self) -> dict[str, int]:
        return self.store.jobs.counts()

    def events(self, kind: str | None = None) -> list[Any]:
        return [e for e in self.store.outbox.all_events() if kind is None or e.type == kind]


@pytest.fixture
def no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """No language variable set: the command line's default (Bahasa Indonesia)."""
    for name in CHOOSERS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_station(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    started: list[tuple[Station, Any, Store]] = []
    servers: list[Any] = []

    def start(
        cards: int = 50,
        faults: str = "",
        paused: bool = False,
        printer_ribbon: int | None = None,
        seconds_per_card: float = 0,
        network: bool = False,
        model: str = "primacy",
        extensions: bool = True,
        blocked_job: str = "drop",
    ) -> Running:
        """`printer_ribbon`: what the printer itself counts, when it differs from the ledger;
        `network`: the printer served on loopback TCP and the network driver, not pyusb;
        `model`: which Evolis model the virtual printer presents as; without `extensions`
        the printer answers as a real Evolis does (it counts its ribbon, not its blanks), and
        the station is configured as for one (`driver = "usb"`: nothing on its books at first);
        `blocked_job`: whether the printer drops or keeps a job it cannot start."""
        path = tmp_path / "station.toml"
        driver_name = "virtual" if extensions else "usb"
        path.write_text(
            STATION_TOML.format(
                state_dir=tmp_path,
                cards=cards,
                faults=faults,
                driver=driver_name,
                blocked_job=blocked_job,
            )
        )
        config = load_config(path)
        clock = SystemClock()
        vp = config.printer.virtual
        store = open_store(config, clock)
        printer = virtual_printer(
            config.state_dir,
            clock=clock,
            seconds_per_card=seconds_per_card,
            cards=vp.cards,
            ribbon=vp.ribbon if printer_ribbon is None else printer_ribbon,
            film=vp.film,
            faults=vp.faults,
            blocked_job=BlockedJob(vp.blocked_job),
            info=MODELS[model],
            extensions=extensions,
        )
        if network:
            servers.append(serve_in_thread(printer))
            driver = network_driver(
                "127.0.0.1",
                servers[-1].port,
                clock=clock,
                card_timeout_s=10,
                virtual_extensions=extensions,
            )
        else:
            driver = virtual_driver(printer, card_timeout_s=10)
        station = build_station(config, clock, store=store, driver=driver, poll_interval_s=0.05)
        if paused:
            station.set_paused(True)
        thread = run_in_thread(station)
        started.append((station, thread, store))
        return Running(config, store, station, printer, StationCommands(station, local=True))

    yield start
    for station, thread, store in started:
        station.request_stop()
        thread.join(15)
        store.close()
    for server in servers:
        server.shutdown()
        server.server_close()
