"""The operator panel on the real station: gpiozero's MockFactory pins, the core loop, the
virtual printer. The panel's own behaviour is in tests/panel; here, what the gestures do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from controller.core.panel_bridge import StationPanelActions, attach_panel
from controller.devices.panel.board import Panel
from controller.devices.panel.settings import PanelSettings
from testkit.jobs import make_job, payload
from testkit.waiting import wait_until
from tests.panel.conftest import PINS, HeldLowPin


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    saved, factory = Device.pin_factory, MockFactory()
    Device.pin_factory = factory
    factory.pin(PINS["cover_switch"], pin_class=HeldLowPin)  # the cabinet is shut
    yield factory
    factory.reset()
    Device.pin_factory = saved


@pytest.fixture
def with_panel(make_station, factory, tmp_path: Path):
    panels: list[Panel] = []

    def start(**station_options):
        running = make_station(**station_options)
        cpu = tmp_path / "cpu-temp"
        cpu.write_text("40000\n")
        section = PanelSettings(review_hold_s=0.05, cpu_temp_file=str(cpu), **PINS)
        panel = Panel(section, StationPanelActions(running.station))
        attach_panel(running.station, panel)
        panels.append(panel)
        return running, factory

    yield start
    for panel in panels:
        panel.close()


def pin(factory: MockFactory, name: str):
    return factory.pin(PINS[name])


def test_open_cover_stops_printing_until_shut(with_panel) -> None:
    running, factory = with_panel()
    wait_until(lambda: running.commands.handle("status", {})["state"] == "ready")
    assert pin(factory, "ready_led").state
    pin(factory, "cover_switch").drive_high()  # opened
    wait_until(lambda: running.commands.handle("status", {})["state"] == "blocked")
    running.store.intake.submit(payload(make_job(1)))
    status = running.commands.handle("status", {})
    assert "cover_open" in status["reasons"] and status["queue"]["queued"] == 1
    assert any(alert["code"] == "cover_open" for alert in status["alerts"])
    assert running.states()["printed"] == 0
    pin(factory, "cover_switch").drive_low()  # shut again
    wait_until(lambda: running.states()["printed"] == 1)
    assert [e.data["code"] for e in running.events("alert.cleared")] == ["cover_open"]


def review_one(running, factory, hold: bool) -> None:
    running.store.intake.submit(payload(make_job(1)))
    wait_until(lambda: running.states()["needs_review"] == 1, timeout=20)
    button = pin(factory, "review_button")
    button.drive_low()
    if hold:
        wait_until(lambda: running.states()["needs_review"] == 0, timeout=5)
    button.drive_high()


def test_review_press_means_the_card_is_good(with_panel) -> None:
    running, factory = with_panel(faults='{ at_card = 1, kind = "unplug", seconds = 0.2 }')
    review_one(running, factory, hold=False)
    wait_until(lambda: running.states()["printed"] == 1)
    assert [e.type for e in running.events()].count("card.printed") == 1


def test_review_hold_means_spoiled_and_the_job_prints_again(with_panel) -> None:
    running, factory = with_panel(faults='{ at_card = 1, kind = "unplug", seconds = 0.2 }')
    review_one(running, factory, hold=True)
    wait_until(lambda: running.states()["printed"] == 1)
    spoiled = running.events("card.spoiled")
    assert [(e.job_id, e.data["cause"]) for e in spoiled] == [
        ("JOB-2026-000001", "resolved_spoiled")
    ]
    assert running.events("card.printed")[0].data["attempts"] == 2


def test_pause_button_toggles(with_panel) -> None:
    running, factory = with_panel()
    wait_until(lambda: running.commands.handle("status", {})["state"] == "ready")
    button = pin(factory, "pause_button")
    button.drive_low()
    button.drive_high()
    wait_until(lambda: running.commands.handle("status", {})["state"] == "paused")
    button.drive_low()
    button.drive_high()
    wait_until(lambda: running.commands.handle("status", {})["state"] == "ready")


def test_power_failure_stops_the_station(with_panel) -> None:
    running, factory = with_panel()
    wait_until(lambda: running.commands.handle("status", {})["state"] == "ready")
    pin(factory, "power_fail").drive_low()
    wait_until(lambda: running.station.state == "stopping")
    assert any(e.data.get("code") == "power_fail" for e in running.events("alert.raised"))
    running.store.intake.submit(payload(make_job(1)))
    assert running.states()["printed"] == 0
