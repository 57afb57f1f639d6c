"""(7) The gap between cards: the time the printer waits for the station between two cards,
beside the printer's own card time.

The whole station runs (its core loop, scheduler, store, printer worker with the next card
rendered ahead, the Evolis driver over pyusb) against the virtual printer taking `CARD_S` per
card on the system clock (its head never heats; the default duty cycle holds none of these
few cards back). A row of cards waits; the time from `resume` to the last card's `printed` is
divided over the cards: what is left after the printer's own `CARD_S` per card is the gap
between cards. `CARD_S` lies half-way between two of the driver's status polls (every 0.25 s),
so the time the driver takes to see a card's end is the poll's average, 125 ms.

Baseline, in the same run: the bare driver printing the same number of cards back to back,
their panels encoded beforehand (the gap of the printer's conversation alone, its status
polls included). Target: a gap under 2 % of a real card's time (20 s, the virtual printer's
default, a Primacy's YMCKO card).

    .venv/bin/python -m bench.run --only gap
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import job_payloads, open_store, station_logging, wait_for
from bench.measure import Context, Measure
from contract.clock import SystemClock
from contract.vocabulary import CommandName, JobState
from controller.app.assembly import build_station
from controller.app.config import load_config
from controller.core.cards_ahead import card_panels
from controller.core.commands import StationCommands
from controller.core.loop import run_in_thread
from controller.devices.evolis import EvolisDriver, EvolisSettings
from controller.devices.printer import Printed
from controller.devices.usb_transport import UsbTransport
from controller.queue.intake import IntakeOutcome
from evolis_wire.models import model_named
from evolis_wire.panels import CardPanels
from firmware.head import HeadModel
from firmware.usb_backend import VirtualBackend
from firmware.virtual_printer import VirtualPrinter

CARD_S = 2.125
REAL_CARD_S = 20.0
TARGET_SHARE = 0.02


def new_driver(directory: Path) -> EvolisDriver:
    printer = VirtualPrinter(
        directory,
        clock=SystemClock(),
        seconds_per_card=CARD_S,
        head=HeadModel(heat_per_card_c=0.0),
    )
    transport = UsbTransport(backend=VirtualBackend(printer), clock=printer.clock)
    return EvolisDriver(transport, EvolisSettings(virtual_extensions=True))


def ready_panels(directory: Path) -> CardPanels:
    """One benchmark job's card for a Primacy, as the station renders it."""
    store = open_store(directory / "station.db", SystemClock())
    try:
        store.intake.submit(job_payloads(1)[0])
        job = store.jobs.next_queued(SystemClock().now(), scarce=False)
        if job is None:
            raise RuntimeError("benchmark job not accepted")
        return card_panels(store.jobs.printable(job.job_id), model_named("Primacy"))
    finally:
        store.close()


def raw_gap_s(directory: Path, cards: int) -> float:
    """The bare driver: `cards` cards back to back, panels ready; the gap per card."""
    panels = ready_panels(directory)
    driver = new_driver(directory)
    try:
        start = time.perf_counter()
        for _ in range(cards):
            if not isinstance(outcome := driver.print_card(panels), Printed):
                raise RuntimeError(f"card not printed: {outcome}")
        return (time.perf_counter() - start) / cards - CARD_S
    finally:
        driver.close()


def station_gap_s(directory: Path, cards: int) -> float:
    """The whole station: `cards` queued jobs from `resume` to the last `printed` (the default
    duty cycle lets 10 cards go back to back from a cold head, 20 in an hour)."""
    clock = SystemClock()
    store = open_store(directory / "station.db", clock)
    config = load_config(directory / "station.toml")
    station = build_station(config, clock, store=store, driver=new_driver(directory))
    station.set_paused(True)
    thread = run_in_thread(station)
    try:
        for message in job_payloads(cards):
            if store.intake.submit(message).outcome is not IntakeOutcome.ACCEPTED:
                raise RuntimeError("benchmark job not accepted")
        commands = StationCommands(station, local=True)
        wait_for(lambda: station.lane.printer.connected, 10, "the printer")
        start = time.perf_counter()
        commands.handle(CommandName.RESUME, {})
        wait_for(lambda: store.jobs.counts()[JobState.PRINTED] == cards, cards * 10, "the row")
        return (time.perf_counter() - start) / cards - CARD_S
    finally:
        station.request_stop()
        thread.join(15)
        store.close()


def run(ctx: Context) -> list[Measure]:
    cards = 3 if ctx.quick else 6
    base = ctx.dir("gap")
    with station_logging(base / "station.log"):
        raw = raw_gap_s(base / "raw", cards)
        station = station_gap_s(base / "station", cards)
    limit_ms = REAL_CARD_S * TARGET_SHARE * 1000
    value = station * 1000
    return [
        Measure(
            "gap.between_cards_ms",
            "printer waits between two cards",
            round(value, 1),
            "ms",
            round(raw * 1000, 1),
            "bare driver, panels ready",
            f"< {limit_ms:.0f} ms (2 % of a {REAL_CARD_S:.0f} s card)",
            value < limit_ms,
            {
                "cards_printed": cards,
                "printer_card_s": CARD_S,
                "station_adds_over_the_driver_ms": round((station - raw) * 1000, 1),
                "share_of_a_real_card": round(station / REAL_CARD_S, 4),
            },
        )
    ]
