"""A card printer behind a real cupsd: the virtual printer served on loopback TCP, a private
cupsd on a free port with the `cardsim` backend (testkit.cups), a raw queue `card`; and the
station in-process with `driver = "ipp"` printing to that queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contract.clock import SystemClock
from controller.app.assembly import build_station
from controller.app.config import Config, load_config
from controller.core.loop import Station, run_in_thread
from controller.queue.store import Store
from testkit.cups_rig import QUEUE, CupsRig, start_rig
from tests.station.conftest import STATION_TOML

IPP_PRINTER = """[printer]
driver = "ipp"
[printer.ipp]
server = "127.0.0.1"
port = {port}
queue = "{queue}"
poll_s = 0.05
job_timeout_s = {job_timeout_s}
reasons = [{{ keyword = "cardsim-film-empty", fault = "film_out" }}]
messages = [{{ text = "ribbon out", fault = "ribbon_out" }}]
"""
# The station tests' config with this printer section in place of theirs.
IPP_TOML = (
    STATION_TOML[: STATION_TOML.index("[printer]")]
    + IPP_PRINTER
    + STATION_TOML[STATION_TOML.index("[duty]") :]
)
LOADED = {"cards": 50, "ribbon": 200, "film": 400}


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., CupsRig]]:
    made: list[CupsRig] = []

    def make(**printer: Any) -> CupsRig:
        made.append(start_rig(tmp_path / f"rig{len(made)}", **printer))
        return made[-1]

    yield make
    for rig in made:
        rig.stop()


def ipp_config(tmp_path: Path, port: int, queue: str, job_timeout_s: float = 30.0) -> Path:
    path = tmp_path / "station.toml"
    state_dir = tmp_path / "state"
    path.write_text(
        IPP_TOML.format(state_dir=state_dir, port=port, queue=queue, job_timeout_s=job_timeout_s)
    )
    return path


@dataclass
class IppStation:
    config: Config
    store: Store
    station: Station

    def states(self) -> dict[str, int]:
        return self.store.jobs.counts()

    def events(self, kind: str) -> list[Any]:
        return [e for e in self.store.outbox.all_events() if e.type == kind]

    def printer_jobs(self) -> list[int | None]:
        with self.store.db.reading() as conn:
            rows = conn.execute("SELECT printer_job FROM attempts ORDER BY id").fetchall()
        return [row[0] for row in rows]


@pytest.fixture
def make_station(tmp_path: Path) -> Iterator[Callable[..., IppStation]]:
    started: list[tuple[Station, Any, Store]] = []

    def start(rig: CupsRig, queue: str = QUEUE) -> IppStation:
        """The station built from its config file (the factory makes the IPP driver), with
        blanks, ribbon and film on its books, printing to `rig`'s cupsd's `queue`."""
        config = load_config(ipp_config(tmp_path, rig.cups.port, queue))
        clock = SystemClock()
        store = Store.open(
            config.db_path,
            config.station.id,
            clock,
            low_thresholds=config.consumables.low_thresholds,
            initial_load=LOADED,
        )
        station = build_station(config, clock, store=store, poll_interval_s=0.05)
        thread = run_in_thread(station)
        started.append((station, thread, store))
        return IppStation(config, store, station)

    yield start
    for station, thread, store in started:
        station.request_stop()
        thread.join(30)
        store.close()
