"""(1) Cost per card: one job from the store to a printed card and its event, no mechanics.

The measured path is the station's own: the job read from the store (`printable`), then the
printer worker's card procedure (render with Pillow, encode the panels, read the printer's
counter, the job's move to `printing` stored, the streamed Evolis job over pyusb to the virtual
printer), then the `printed` transition with its `card.printed` event written to the outbox.
The virtual printer takes no mechanical time and does not heat its head, so what is left is
the host side and the printer's parsing, hashing and fsynced state.

Baselines, on the same bytes: straight into the virtual backend's `bulk_write` (the raw
transfer, the target's baseline), through pyusb without the driver, and `driver.print_card`
alone. Target: a median under 50 ms per card.

    .venv/bin/python -m bench.run --only card
"""

from __future__ import annotations

import array
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import usb.core

from bench.common import (
    job_payloads,
    median,
    open_store,
    percentile,
    station_logging,
    timed_ms,
)
from bench.measure import Context, Measure
from contract.clock import SystemClock
from controller.core.printer_worker import CardAttempt, PrinterWorker
from controller.devices.evolis import YMCKO, EvolisDriver, EvolisSettings
from controller.devices.evolis_job import card_job, release
from controller.devices.printer import Printed
from controller.devices.usb_transport import UsbTransport
from controller.queue.intake import IntakeOutcome
from controller.queue.store import Store
from controller.render import encode_panels, render_card
from evolis_wire.panels import CardPanels, PrintPanel, panel_size
from firmware.head import HeadModel
from firmware.usb_backend import Handle, VirtualBackend
from firmware.virtual_printer import VirtualPrinter

TARGET_MEDIAN_MS = 50.0
WARMUP = 3
STAGE_RUNS = 10


def random_panels() -> CardPanels:
    """Panels of the right sizes filled with noise (the transfer does not look at them)."""
    rng = random.Random(42)

    def panel(name: str, levels: int) -> PrintPanel:
        return PrintPanel(name, levels, rng.randbytes(panel_size(levels)))

    front = (panel("y", 256), panel("m", 256), panel("c", 256), panel("k", 2), panel("o", 2))
    return CardPanels(front=front, back=(panel("k", 2),))


def job_bytes(panels: CardPanels) -> list[bytes]:
    """The two parts of one streamed card, as the driver sends them (neither is answered)."""
    return [card_job(panels, YMCKO, 0), release()]


def new_printer(directory: Path, cards: int) -> VirtualPrinter:
    """A virtual printer with no mechanical time and a head that never heats."""
    return VirtualPrinter(
        directory,
        clock=SystemClock(),
        cards=cards,
        ribbon=cards,
        film=cards,
        head=HeadModel(heat_per_card_c=0.0),
    )


def bench_raw(directory: Path, runs: int, panels: CardPanels) -> list[float]:
    """The raw transfer: the card's bytes straight into the backend, no pyusb, no driver."""
    backend = VirtualBackend(new_printer(directory, runs + 1))
    handle = Handle(backend.printer.plug_generation)
    backend.claim_interface(handle, 0)
    commands = [array.array("B", command) for command in job_bytes(panels)]

    def one() -> None:
        for command in commands:
            backend.bulk_write(handle, 0x01, 0, command, 5000)

    return timed_ms(runs, one)


def bench_pyusb(directory: Path, runs: int, panels: CardPanels) -> list[float]:
    """The same bytes through pyusb's write/read, without the driver."""
    dev = usb.core.find(backend=VirtualBackend(new_printer(directory, runs + 1)))
    commands = job_bytes(panels)

    def one() -> None:
        for command in commands:
            dev.write(0x01, command, 5000)

    return timed_ms(runs, one)


def new_driver(printer: VirtualPrinter) -> EvolisDriver:
    transport = UsbTransport(backend=VirtualBackend(printer), clock=printer.clock)
    return EvolisDriver(transport, EvolisSettings())


def bench_driver(directory: Path, runs: int, panels: CardPanels) -> list[float]:
    """`driver.print_card` alone: framing, pyusb, the virtual printer."""
    driver = new_driver(new_printer(directory, runs + 1))

    def one() -> None:
        outcome = driver.print_card(panels)
        if not isinstance(outcome, Printed):
            raise RuntimeError(f"card not printed: {outcome}")

    try:
        return timed_ms(runs, one)
    finally:
        driver.close()


def fill_store(store: Store, count: int) -> None:
    for message in job_payloads(count):
        result = store.intake.submit(message)
        if result.outcome is not IntakeOutcome.ACCEPTED:
            raise RuntimeError(f"benchmark job not accepted: {result}")


def bench_station_card(directory: Path, runs: int) -> tuple[list[float], dict[str, float]]:
    """The full path per card (module docstring); returns the samples and a stage breakdown."""
    clock = SystemClock()
    store = open_store(directory / "station.db", clock)
    fill_store(store, runs + WARMUP + STAGE_RUNS)
    driver = new_driver(new_printer(directory, runs + WARMUP + STAGE_RUNS + 1))
    serial = driver.identity().serial
    done = threading.Event()
    failures: list[str] = []

    def on_done(result: CardAttempt) -> None:  # what the core loop does with the result
        if isinstance(result.outcome, Printed):
            store.jobs.printed(result.job_id, result.outcome.card_counter, serial)
        else:
            failures.append(f"{result.job_id}: {result.outcome or result.not_started}")
        done.set()

    def post(action: Callable[[], None]) -> None:
        action()  # on the worker's thread: no core loop between the stages

    worker = PrinterWorker(driver, store.jobs, post, lambda report: None, poll_interval_s=3600)
    worker.start()

    def one() -> None:
        job = store.jobs.next_queued(clock.now(), scarce=False)
        if job is None:
            raise RuntimeError("no queued job left")
        done.clear()
        worker.print_card(store.jobs.printable(job.job_id), on_done)
        if not done.wait(30):
            raise TimeoutError("card not done within 30 s")

    try:
        timed_ms(WARMUP, one)
        samples = timed_ms(runs, one)
        stages = stage_breakdown(store, driver, serial)
    finally:
        worker.stop(timeout_s=10)
        store.close()
    if failures:
        raise RuntimeError(f"cards not printed: {failures[:3]}")
    return samples, stages


def stage_breakdown(store: Store, driver: EvolisDriver, serial: str) -> dict[str, float]:
    """Median milliseconds of each stage of the path, timed one by one on further cards."""
    clock = SystemClock()
    stages: dict[str, list[float]] = {}

    def lap(name: str, start: float) -> float:
        now = time.perf_counter()
        stages.setdefault(name, []).append((now - start) * 1000)
        return now

    for _ in range(STAGE_RUNS):
        t = time.perf_counter()
        job = store.jobs.next_queued(clock.now(), scarce=False)
        assert job is not None
        printable = store.jobs.printable(job.job_id)
        t = lap("store_read", t)
        images = render_card(printable.card, printable.photo, printable.signature)
        t = lap("render", t)
        panels = encode_panels(images)
        t = lap("encode", t)
        counter = driver.card_counter()
        store.jobs.start(job.job_id, counter)
        t = lap("start_transition", t)
        outcome = driver.print_card(panels)
        t = lap("usb_transfer", t)
        assert isinstance(outcome, Printed)
        store.jobs.printed(job.job_id, outcome.card_counter, serial)
        lap("printed_transition_and_outbox", t)
    return {name: round(median(values), 3) for name, values in stages.items()}


def run(ctx: Context) -> list[Measure]:
    runs = 30 if ctx.quick else 100
    base = ctx.dir("card")
    panels = random_panels()
    with station_logging(base / "station.log"):
        # Interleaved order, so that a noisy spell does not land on one path only.
        raw = bench_raw(base / "raw", runs, panels)
        pyusb = bench_pyusb(base / "pyusb", runs, panels)
        driver = bench_driver(base / "driver", runs, panels)
        station, stages = bench_station_card(base / "station", runs)
    details = {
        "cards": runs,
        "bytes_per_card": sum(len(c) for c in job_bytes(panels)),
        "stages_median_ms": stages,
        "pyusb_no_driver_ms": {"median": median(pyusb), "p99": percentile(pyusb, 99)},
        "driver_print_card_ms": {"median": median(driver), "p99": percentile(driver, 99)},
    }
    value = median(station)
    return [
        Measure(
            "card.median_ms",
            "cost per card, median",
            value,
            "ms",
            median(raw),
            "raw transfer to the backend",
            f"< {TARGET_MEDIAN_MS:.0f} ms",
            value < TARGET_MEDIAN_MS,
            details,
        ),
        Measure(
            "card.p99_ms",
            "cost per card, p99",
            percentile(station, 99),
            "ms",
            percentile(raw, 99),
            "raw transfer to the backend",
        ),
    ]
