"""Micro benchmark: one card through the Evolis driver and the virtual printer.

Zero mechanical time and no head heating, so what is measured is the host side: framing, pyusb,
the virtual backend, the printer's parsing, hashing and its fsynced log and state. Baselines:
the same bytes through pyusb without the driver, and straight into the backend's `bulk_write`.
Target: a median under 50 ms per card through the driver.

    .venv/bin/python bench/bench_print.py [--cards 200]
"""

from __future__ import annotations

import argparse
import array
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import structlog
import usb.core

from controller.cardpanels import CardPanels, Panel, panel_size
from controller.clock import SystemClock
from controller.devices.evolis import EvolisDriver, EvolisSettings, frame
from controller.devices.printer import Printed
from controller.devices.usb_transport import UsbTransport
from firmware.head import HeadModel
from firmware.usb_backend import Handle, VirtualBackend
from firmware.virtual_printer import VirtualPrinter

TARGET_MEDIAN_MS = 50.0


def card_panels() -> CardPanels:
    rng = random.Random(42)

    def panel(name: str, levels: int) -> Panel:
        return Panel(name, levels, rng.randbytes(panel_size(levels)))

    front = (panel("y", 32), panel("m", 32), panel("c", 32), panel("k", 2), panel("o", 2))
    return CardPanels(front=front, back=(panel("k", 2),))


def job_bytes(panels: CardPanels) -> list[bytes]:
    """The commands of one card, as the driver sends them."""
    commands = [frame("Pr", "ymcko"), frame("Ss"), frame("Sr")]
    commands += [frame("Db", p.name, str(p.levels), payload=p.data) for p in panels.front]
    commands.append(frame("Sv"))
    commands += [frame("Db", p.name, str(p.levels), payload=p.data) for p in panels.back]
    return [*commands, frame("Se")]


def new_backend(directory: Path, cards: int) -> VirtualBackend:
    printer = VirtualPrinter(
        directory,
        clock=SystemClock(),
        cards=cards,
        ribbon=cards,
        film=cards,
        head=HeadModel(heat_per_card_c=0.0),
    )
    return VirtualBackend(printer)


def timed(runs: int, one: Callable[[], None]) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        one()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench_driver(directory: Path, runs: int, panels: CardPanels) -> list[float]:
    transport = UsbTransport(backend=new_backend(directory, runs + 1), clock=SystemClock())
    driver = EvolisDriver(transport, EvolisSettings())

    def one() -> None:
        outcome = driver.print_card(panels)
        if not isinstance(outcome, Printed):
            raise RuntimeError(f"card not printed: {outcome}")

    try:
        return timed(runs, one)
    finally:
        driver.close()


def bench_pyusb(directory: Path, runs: int, panels: CardPanels) -> list[float]:
    dev = usb.core.find(backend=new_backend(directory, runs + 1))
    commands = job_bytes(panels)

    def one() -> None:
        for command in commands:
            dev.write(0x01, command, 5000)
            dev.read(0x82, 64, 5000)

    return timed(runs, one)


def bench_raw(directory: Path, runs: int, panels: CardPanels) -> list[float]:
    backend = new_backend(directory, runs + 1)
    handle = Handle(backend.printer.plug_generation)
    backend.claim_interface(handle, 0)
    commands = [array.array("B", command) for command in job_bytes(panels)]
    reply = array.array("B", bytes(64))

    def one() -> None:
        for command in commands:
            backend.bulk_write(handle, 0x01, 0, command, 5000)
            backend.bulk_read(handle, 0x82, 0, reply, 5000)

    return timed(runs, one)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=200)
    runs = parser.parse_args().cards
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    panels = card_panels()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, bench in (
            ("backend bulk_write, no pyusb", bench_raw),
            ("pyusb write/read, no driver", bench_pyusb),
            ("driver.print_card", bench_driver),
        ):
            samples = bench(Path(tmp) / name.split()[0], runs, panels)
            p99 = statistics.quantiles(samples, n=100)[98]
            rows.append((name, statistics.median(samples), p99))
    print(f"{runs} cards of {sum(len(c) for c in job_bytes(panels)):,} bytes, 0 s mechanics")
    print(f"{'path':<30} {'median ms':>10} {'p99 ms':>10}")
    for name, median, p99 in rows:
        print(f"{name:<30} {median:>10.2f} {p99:>10.2f}")
    median = rows[-1][1]
    verdict = "meets" if median < TARGET_MEDIAN_MS else "MISSES"
    print(f"driver median {median:.2f} ms {verdict} the {TARGET_MEDIAN_MS:.0f} ms target")
    return 0 if median < TARGET_MEDIAN_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
