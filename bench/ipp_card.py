"""(7) Time per card through CUPS (`driver = "ipp"`) beside the native driver, same printer.

The printer is the virtual printer served on loopback TCP, with no mechanical time and a head
that never heats (bench/card.py's). Native: the
Evolis network driver's `print_card` straight to it. Through CUPS: the IPP driver's
`create_job` + `send_card` (the card as a TIFF document, Create-Job, Send-Document, polling the
job every 10 ms until it ends) to a private cupsd (testkit.cups), whose `cardsim` backend, a
new Python process per job, prints it with the same Evolis driver. So the difference is what
CUPS adds per card: the document, the spooling, the backend's start, the job's polling.

    .venv/bin/python -m bench.run --only ipp
"""

from __future__ import annotations

from pathlib import Path

from bench.card import new_printer, random_panels
from bench.common import median, percentile, station_logging, timed_ms
from bench.measure import Context, Measure
from contract.clock import SystemClock
from controller.devices.factory import network_driver
from controller.devices.ipp import IppDriver
from controller.devices.ipp_settings import IppSettings
from controller.devices.printer import Printed
from evolis_wire.panels import CardPanels
from firmware.net_server import serve_in_thread
from testkit.cups import CupsServer

WARMUP = 2


def _print(driver: IppDriver, panels: CardPanels) -> None:
    outcome = driver.send_card(driver.create_job(panels), panels)
    assert isinstance(outcome, Printed), outcome


def run(ctx: Context) -> list[Measure]:
    runs = 10 if ctx.quick else 40
    base = ctx.dir("ipp")
    panels = random_panels()
    clock = SystemClock()
    printer = new_printer(base / "printer", cards=10_000)
    server = serve_in_thread(printer)
    cups = CupsServer(_fresh(base / "cups"))
    native = network_driver("127.0.0.1", server.port, clock=clock, virtual_extensions=True)
    try:
        cups.start()
        cups.add_card_queue("card", server.port)
        settings = IppSettings(server="127.0.0.1", port=cups.port, queue="card", poll_s=0.01)
        ipp = IppDriver(settings, clock)
        with station_logging(base / "station.log"):
            timed_ms(WARMUP, lambda: native.print_card(panels))
            timed_ms(WARMUP, lambda: _print(ipp, panels))
            direct = timed_ms(runs, lambda: native.print_card(panels))
            queued = timed_ms(runs, lambda: _print(ipp, panels))
    finally:
        native.close()
        cups.stop()
        server.shutdown()
        server.server_close()
    details = {"cards": runs, "native_p99_ms": percentile(direct, 99)}
    return [
        Measure(
            "ipp.median_ms",
            "time per card through CUPS, median",
            median(queued),
            "ms",
            median(direct),
            "native Evolis driver, same printer",
            details=details,
        ),
        Measure(
            "ipp.p99_ms",
            "time per card through CUPS, p99",
            percentile(queued, 99),
            "ms",
            percentile(direct, 99),
            "native Evolis driver, same printer",
        ),
    ]


def _fresh(path: Path) -> Path:
    """An empty directory for this run's cupsd (a leftover one holds its old jobs)."""
    if path.exists():
        for child in sorted(path.rglob("*"), reverse=True):
            child.unlink() if child.is_file() or child.is_symlink() else child.rmdir()
    return path
