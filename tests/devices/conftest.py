"""Fixtures for the printer tests: a manual clock, the virtual printer behind pyusb, panels."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from contract.clock import ManualClock
from controller.devices.evolis import EvolisDriver, EvolisSettings
from controller.devices.usb_finder import UsbTarget
from controller.devices.usb_transport import UsbTransport
from evolis_wire.panels import CardPanels, PrintPanel, panel_size
from firmware.net_server import serve_in_thread
from firmware.usb_backend import VirtualBackend
from firmware.virtual_printer import VirtualPrinter


@dataclass
class Rig:
    """A virtual printer, the pyusb backend presenting it, and the driver using it."""

    printer: VirtualPrinter
    backend: VirtualBackend
    driver: EvolisDriver

    @property
    def log_lines(self) -> list[str]:
        path = self.printer.directory / "cards.jsonl"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def make_printer(state_dir: Path, clock: ManualClock) -> Callable[..., VirtualPrinter]:
    def make(**options: Any) -> VirtualPrinter:
        options.setdefault("seconds_per_card", 0.0)
        return VirtualPrinter(state_dir, clock=clock, **options)

    return make


@pytest.fixture
def make_rig(make_printer: Callable[..., VirtualPrinter]) -> Iterator[Callable[..., Rig]]:
    drivers: list[EvolisDriver] = []

    def make(
        printer: VirtualPrinter | None = None,
        *,
        backend: dict[str, Any] | None = None,
        target: UsbTarget | None = None,
        **printer_options: Any,
    ) -> Rig:
        printer = printer or make_printer(**printer_options)
        usb_backend = VirtualBackend(printer, **(backend or {}))
        transport = UsbTransport(backend=usb_backend, target=target, clock=printer.clock)
        driver = EvolisDriver(transport, EvolisSettings(virtual_extensions=printer.extensions))
        drivers.append(driver)
        return Rig(printer, usb_backend, driver)

    yield make
    for driver in drivers:
        driver.close()


def _panel(rng: random.Random, name: str, levels: int) -> PrintPanel:
    return PrintPanel(name, levels, rng.randbytes(panel_size(levels)))


@pytest.fixture
def make_panels() -> Callable[..., CardPanels]:
    """Deterministic panels of the right sizes: y, m, c at 256 levels, k and o at 2; back k."""

    def make(seed: int = 0, back: bool = True) -> CardPanels:
        rng = random.Random(seed)
        front = tuple(_panel(rng, name, 256) for name in "ymc")
        front += (_panel(rng, "k", 2), _panel(rng, "o", 2))
        return CardPanels(front=front, back=(_panel(rng, "k", 2),) if back else ())

    return make


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    with capture_logs() as captured:
        yield captured


@pytest.fixture
def open_printer(make_printer) -> Iterator[Callable[..., tuple[Any, VirtualPrinter]]]:
    """libevolis connected to a virtual printer served on loopback TCP (for the modules that
    load libevolis, `test_libevolis*.py`)."""
    import evolis  # here: only the modules that could load libevolis use this fixture

    servers: list[Any] = []
    connections: list[Any] = []

    def open_(**options: Any) -> tuple[Any, VirtualPrinter]:
        printer = make_printer(**options)
        servers.append(serve_in_thread(printer))
        connection = evolis.Connection(f"socket://127.0.0.1:{servers[-1].port}")
        connections.append(connection)
        return connection, printer

    yield open_
    for connection in connections:
        connection.close()
    for server in servers:
        server.shutdown()
        server.server_close()
