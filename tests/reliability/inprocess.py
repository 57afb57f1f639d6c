"""A station in this process, for the fast fuzz path: store, core loop, virtual printer.

It is paused, so nothing prints, and it holds two jobs the command cases may name: one queued,
one that has ended (cancelled).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.clock import SystemClock
from controller.app.assembly import build_station
from controller.app.config import Config, load_config
from controller.core.commands import StationCommands
from controller.core.loop import Station, run_in_thread
from controller.local.authority import Authority, Peer
from controller.local.server import Gate
from controller.local.sessions import Sessions
from controller.mqtt.requests import CommandProcessor
from controller.queue.store import Store
from evolis_wire.models import find_model
from testkit.jobs import station_today
from testkit.waiting import wait_until
from tests.reliability.people import encode, valid_job

TOML = """
[station]
id = "3271-bogor-timur-01"
state_dir = "{state_dir}"
[printer]
driver = "virtual"
card_timeout_s = 5
[printer.virtual]
seconds_per_card = 0
faults = [{faults}]
[duty]
daily_limit = 500
hourly_limit = 500
[consumables]
low_cards = 3
low_ribbon = 3
low_film = 3
"""


@dataclass
class LocalStation:
    config: Config
    store: Store
    station: Station
    remote: StationCommands  # as the MQTT link has them
    local: StationCommands  # as the control socket has them
    processor: CommandProcessor  # the MQTT command path: parse, dispatch, store the reply
    queued_job: str
    ended_job: str


@contextmanager
def local_station(
    state_dir: Path, *, paused: bool = True, faults: str = "", with_jobs: bool = True
) -> Iterator[LocalStation]:
    """`faults`: the TOML list's items; `with_jobs`: add the queued and the ended job (a
    second start on the same directory says False)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "station.toml"
    path.write_text(TOML.format(state_dir=state_dir, faults=faults))
    config = load_config(path)
    clock = SystemClock()
    station = build_station(config, clock, poll_interval_s=0.05)
    store = station.store
    station.set_paused(paused)
    today = station_today()
    queued, ended = valid_job(1, "lc", today=today), valid_job(2, "lc", today=today)
    if with_jobs:
        for job in (queued, ended):
            assert store.intake.submit(encode(job)).outcome == "accepted"
        store.jobs.cancel(ended["job_id"], by="test")
    thread = run_in_thread(station)
    wait_until(lambda: _knows_its_consumables(station), 15, "the printer's model in the status")
    remote = StationCommands(station)
    try:
        yield LocalStation(
            config,
            store,
            station,
            remote,
            StationCommands(station, local=True, submit=True),
            CommandProcessor(store.db, remote, clock),
            queued["job_id"],
            ended["job_id"],
        )
    finally:
        station.request_stop()
        thread.join(15)
        store.close()


def _knows_its_consumables(station: Station) -> bool:
    """The printer has said its model and the status shows the consumables it uses (a reload
    of film is refused or taken by that, not by how far the station has got)."""
    status = station.call(station.status)
    if status.printer.model is None:
        return False
    model = find_model(status.printer.model)
    return ("film" in (status.consumables or {})) == (model is None or model.film)


ROOT_PEER = Peer(pid=1, uid=0, gid=0, user="root", groups=frozenset())


def answer_as_root(commands: StationCommands, raw: bytes) -> dict[str, Any]:
    """The control socket's answer to `raw` from root (who may take every action)."""
    gate = Gate(commands, Authority(frozenset(), frozenset()), Sessions(time.monotonic))
    return gate.answer(raw, ROOT_PEER).body()
