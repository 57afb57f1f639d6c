"""The fan: hysteresis on the hotter of head model and CPU."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from controller.devices.panel.board import Panel


def test_head_temperature_hysteresis(
    make_panel: Callable[..., Panel], mock_factory: MockFactory
) -> None:
    panel = make_panel("fan")
    pin = mock_factory.pin(12)
    steps = [(45.0, False), (59.9, False), (60.0, True), (55.0, True), (50.0, True), (49.9, False)]
    for head_c, on in steps:
        panel.show("printing", head_c, False)
        assert (panel.fan_on, pin.state) == (on, on), head_c


def test_cpu_temperature_drives_the_fan_on_tick(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, cpu_file: Path
) -> None:
    panel = make_panel("fan")
    panel.show("ready", 20.0, False)
    assert not panel.fan_on
    for millideg, on in [(60000, True), (55000, True), (50000, True), (49000, False)]:
        cpu_file.write_text(f"{millideg}\n")
        panel.tick()
        assert (panel.fan_on, mock_factory.pin(12).state) == (on, on), millideg


def test_the_hotter_of_head_and_cpu_counts(make_panel: Callable[..., Panel], cpu_file: Path):
    panel = make_panel("fan")
    cpu_file.write_text("65000\n")
    panel.show("ready", 20.0, False)
    assert panel.fan_on
    cpu_file.write_text("30000\n")
    panel.show("printing", 55.0, False)
    assert panel.fan_on
    panel.tick()
    assert panel.fan_on
    panel.show("printing", 45.0, False)
    assert not panel.fan_on


def test_unreadable_cpu_sensor_leaves_the_head_in_charge(
    make_panel: Callable[..., Panel], cpu_file: Path, tmp_path: Path
) -> None:
    panel = make_panel("fan", cpu_temp_file=str(tmp_path / "missing"))
    assert "cpu_temperature" not in panel.devices
    panel.tick()
    assert not panel.fan_on
    panel.show("printing", 61.0, False)
    assert panel.fan_on


def test_cpu_sensor_failing_later_is_skipped(make_panel: Callable[..., Panel], cpu_file: Path):
    panel = make_panel("fan")
    cpu_file.write_text("70000\n")
    panel.tick()
    assert panel.fan_on
    cpu_file.write_text("garbage\n")
    panel.show("ready", 40.0, False)
    assert not panel.fan_on
