"""What the station's benchmarks share: timing, logging, a station store and realistic jobs.

Jobs come from the test kit's job maker (testkit.jobs) with names, places and dates varied per
job, so that nothing the intake measures or decodes is the same message over and over.
"""

from __future__ import annotations

import logging
import math
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from contract.clock import Clock
from contract.jobspec import JobSpec, parse_job
from contract.vocabulary import Consumable, LogLevel
from controller.app import assembly
from controller.app.config import load_config
from controller.queue.intake import layout_problems
from controller.queue.store import Store
from logsetup import configure_logging
from testkit.jobs import make_job, payload, station_today

STATION = "3271-bogor-timur-01"
LOW = {Consumable.CARDS: 10, Consumable.RIBBON: 10, Consumable.FILM: 20}
TODAY = station_today()  # the date the station under test judges jobs by


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return float(statistics.median(samples))


def timed_ms(runs: int, one: Callable[[], object]) -> list[float]:
    """Run `one` `runs` times; milliseconds per run."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        one()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def wait_for(predicate: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll `predicate` every 5 ms; raise after `timeout_s` (every loop here is bounded)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.005)


@contextmanager
def station_logging(path: Path) -> Iterator[None]:
    """Log as the daemon does under systemd (JSON lines, level info), into `path`."""
    with path.open("a") as stream:
        configure_logging(LogLevel.INFO, "json", stream=stream)
        try:
            yield
        finally:
            logging.getLogger().handlers.clear()


BENCH_CONFIG = """
[station]
id = "{station}"
state_dir = "{state_dir}"
[printer]
driver = "virtual"
[printer.virtual]
cards = {cards}
ribbon = {cards}
film = {cards}
[consumables]
low_cards = {low[cards]}
low_ribbon = {low[ribbon]}
low_film = {low[film]}
# The benches queue thousands of jobs at once (the intake's 3,000, the web page's 10,000): far
# past a kiosk's bound of 500, which would refuse them queue_full.
[queue]
max_queued = 100000
"""


def open_store(path: Path, clock: Clock, cards: int = 100_000) -> Store:
    """A station store at `path` as the daemon opens it (the daemon's own assembly: WAL,
    synchronous=FULL), with `cards` of each consumable loaded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config_path = path.with_suffix(".toml")
    config_path.write_text(
        BENCH_CONFIG.format(station=STATION, state_dir=path.parent, cards=cards, low=LOW)
    )
    config = load_config(config_path)
    if config.db_path != path:
        raise ValueError(f"a bench store is named station.db, not {path.name}")
    return assembly.open_store(config, clock)


FIRST = ("SITI", "BUDI", "DEWI", "AGUS", "RINA", "HENDRA", "NUR", "ANDI", "PUTRI", "EKO")
LAST = ("RAHAYU", "SANTOSO", "LESTARI", "WIJAYA", "HIDAYAT", "SETIAWAN", "KUSUMA", "PRATAMA")
PLACES = ("BOGOR", "JAKARTA", "BANDUNG", "SUKABUMI", "DEPOK", "CIANJUR", "BEKASI")
STREETS = ("PAJAJARAN", "SURYAKENCANA", "MALABAR", "SILIWANGI", "PANDU RAYA", "TAJUR")
JOBS = ("KARYAWAN SWASTA", "WIRASWASTA", "PELAJAR/MAHASISWA", "PETANI/PEKEBUN", "GURU")
RELIGIONS = ("ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KONGHUCU")


def job_payloads(count: int, first: int = 1, seed: int = 8) -> list[bytes]:
    """`count` valid, distinct job messages (job ids `first`…), varied like a real day's."""
    rng = random.Random(seed)
    out = []
    for n in range(first, first + count):
        card = {
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "birth_place": rng.choice(PLACES),
            "address": f"JL. {rng.choice(STREETS)} NO. {rng.randint(1, 250)}",
            "rt_rw": f"{rng.randint(1, 20):03d}/{rng.randint(1, 15):03d}",
            "religion": rng.choice(RELIGIONS),
            "occupation": rng.choice(JOBS),
        }
        out.append(payload(make_job(n, card=card)))
    return out


def check_valid(payloads: list[bytes]) -> None:
    """Every payload must be a job the intake accepts, or the benchmark measures rejections."""
    for message in payloads:
        parsed = parse_job(message, TODAY, layout_problems)
        if not isinstance(parsed, JobSpec):
            raise ValueError(f"benchmark job is not valid: {parsed}")
