"""Building and closing the panel: optional pins, pin factories, loud failures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from gpiozero import LED
from gpiozero.pins.mock import MockFactory

from controller.devices.panel import factory as panel_factory
from controller.devices.panel.board import Panel
from controller.devices.panel.factory import PanelError
from controller.devices.panel.settings import PanelSettings

from .conftest import CONTRACT_STATES, PINS, Recorder


def test_all_pins_zero_builds_nothing_and_does_nothing(
    mock_factory: MockFactory, actions: Recorder
) -> None:
    panel = Panel(PanelSettings(pin_factory="lgpio"), actions)
    for state in CONTRACT_STATES:
        panel.show(state, 80.0, True)
    panel.chirp("attention")
    panel.tick()
    assert dict(panel.devices) == {}
    assert mock_factory.pins == {}
    assert actions.calls == []
    panel.close()


def test_every_pin_fitted(make_panel: Callable[..., Panel]) -> None:
    panel = make_panel()
    assert set(panel.devices) == {*PINS, "cpu_temperature"}


def test_unknown_pin_factory_is_a_one_line_error(actions: Recorder) -> None:
    with pytest.raises(PanelError, match=r"^\[panel\] pin_factory: unknown pin factory 'gpoi'"):
        Panel(PanelSettings(pin_factory="gpoi"), actions)


def test_a_pin_factory_that_cannot_load_is_loud(
    monkeypatch: pytest.MonkeyPatch, actions: Recorder
) -> None:
    monkeypatch.setitem(panel_factory.FACTORIES, "lgpio", "gpiozero.pins.no_such_module:Nope")
    with pytest.raises(PanelError) as caught:
        Panel(PanelSettings(pin_factory="lgpio", ready_led=17), actions)
    message = str(caught.value)
    assert message.startswith("[panel] pin_factory 'lgpio': cannot use the GPIO: ")
    assert "\n" not in message


def test_mock_factory_by_name_is_the_panels_own(
    mock_factory: MockFactory, actions: Recorder
) -> None:
    panel = Panel(PanelSettings(pin_factory="mock", ready_led=17), actions)
    try:
        led = panel.devices["ready_led"]
        assert isinstance(led.pin_factory, MockFactory)
        assert led.pin_factory is not mock_factory
        panel.show("ready", 30.0, False)
        assert led.pin_factory.pin(17).state
        assert mock_factory.pins == {}
    finally:
        panel.close()


def test_a_pin_in_use_names_the_option_and_releases_the_rest(
    make_panel: Callable[..., Panel], actions: Recorder
) -> None:
    squatter = LED(26)
    with pytest.raises(PanelError, match=r"^\[panel\] power_fail: cannot use GPIO26: "):
        make_panel()
    squatter.close()
    for pin in PINS.values():
        LED(pin).close()  # nothing is left reserved


def test_close_releases_every_pin_and_is_idempotent(
    make_panel: Callable[..., Panel], mock_factory: MockFactory
) -> None:
    panel = make_panel()
    panel.show("starting", 70.0, True)
    outputs = ("ready_led", "busy_led", "fault_led", "fan")
    assert all(mock_factory.pin(PINS[option]).state for option in outputs)
    panel.close()
    assert not any(mock_factory.pin(PINS[option]).state for option in outputs)
    panel.close()
    panel.show("ready", 30.0, False)  # ignored once closed
    assert dict(panel.devices) == {}
    for pin in PINS.values():
        LED(pin).close()
