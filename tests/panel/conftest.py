"""Fixtures for the panel tests: gpiozero's MockFactory, recorded actions, a panel builder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from controller.devices.panel.board import Panel
from controller.devices.panel.settings import PanelSettings

CONTRACT_STATES = [
    "starting",
    "ready",
    "printing",
    "cooling",
    "paused",
    "blocked",
    "error",
    "stopping",
    "offline",
]
PINS = {
    "ready_led": 17,
    "busy_led": 27,
    "fault_led": 22,
    "buzzer": 23,
    "pause_button": 5,
    "review_button": 6,
    "cover_switch": 13,
    "fan": 12,
    "power_fail": 26,
}


class Recorder:
    """A PanelActions that records every call as (name, *args)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()

    def _add(self, *call: Any) -> None:
        with self._lock:
            self.calls.append(call)

    def toggle_pause(self) -> None:
        self._add("toggle_pause")

    def resolve_review(self, outcome: str) -> None:
        self._add("resolve_review", outcome)

    def cabinet_changed(self, is_open: bool) -> None:
        self._add("cabinet_changed", is_open)

    def power_failed(self) -> None:
        self._add("power_failed")

    def named(self, name: str) -> list[tuple[Any, ...]]:
        with self._lock:
            return [call for call in self.calls if call[0] == name]


class HeldLowPin(MockPin):
    """An input held low by something outside (a shut cover switch), whatever its pull-up."""

    def _set_pull(self, value: str) -> None:
        super()._set_pull(value)
        self.drive_low()


def wait_until(predicate: Callable[[], bool], timeout: float = 1.0) -> bool:
    """Poll `predicate` every 5 ms until it holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture(autouse=True)
def mock_factory() -> Iterator[MockFactory]:
    """gpiozero's own fixture: a fresh MockFactory, reset afterwards (else GPIOPinInUse)."""
    saved = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = saved


@pytest.fixture
def cpu_file(tmp_path: Path) -> Path:
    path = tmp_path / "temp"
    path.write_text("30000\n")
    return path


@pytest.fixture
def section(cpu_file: Path) -> PanelSettings:
    """Every pin fitted, as in config/station.example.toml, with a tiny review hold."""
    return PanelSettings(review_hold_s=0.05, cpu_temp_file=str(cpu_file), **PINS)


@pytest.fixture
def actions() -> Recorder:
    return Recorder()


@pytest.fixture
def make_panel(section: PanelSettings, actions: Recorder) -> Iterator[Callable[..., Panel]]:
    """Build a panel from `section` with only `only` pins fitted (all when empty)."""
    panels: list[Panel] = []

    def make(*only: str, **changes: Any) -> Panel:
        unfitted = {option: 0 for option in PINS if only and option not in only}
        panel = Panel(replace(section, **{**unfitted, **changes}), actions)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.close()
