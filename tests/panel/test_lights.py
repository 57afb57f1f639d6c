"""Lamps and buzzer: every contract state's lights, blinking, chirps."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from gpiozero import LED, Buzzer, DigitalOutputDevice
from gpiozero.pins.mock import MockFactory

from controller.devices.panel.board import Panel
from controller.devices.panel.lights import Lamp, Light

from .conftest import CONTRACT_STATES, wait_until

# (ready, busy, fault) as docs/panel.md tells the operator.
EXPECTED = {
    "starting": ("on", "on", "on"),
    "ready": ("on", "off", "off"),
    "printing": ("off", "on", "off"),
    "cooling": ("off", "slow", "off"),
    "paused": ("slow", "off", "off"),
    "blocked": ("off", "off", "fast"),
    "error": ("off", "off", "on"),
    "stopping": ("off", "fast", "off"),
    "offline": ("off", "off", "off"),
}
LAMPS = ("ready_led", "busy_led", "fault_led")


def observed(device: DigitalOutputDevice) -> str:
    """What a device does right now: "blink" while its blink thread runs, else "on"/"off"."""
    thread = device._blink_thread
    if thread is not None and thread.is_alive():
        return "blink"
    return "on" if device.is_active else "off"


def expected_device(light: str) -> str:
    return "blink" if light in ("slow", "fast") else light


def beeps(factory: MockFactory, pin: int) -> int:
    return sum(1 for state in factory.pin(pin).states[1:] if state.state)


def test_the_table_covers_every_contract_state() -> None:
    assert sorted(EXPECTED) == sorted(CONTRACT_STATES)


@pytest.mark.parametrize("state", CONTRACT_STATES)
def test_lights_per_state(make_panel: Callable[..., Panel], state: str) -> None:
    panel = make_panel(*LAMPS)
    before = CONTRACT_STATES[CONTRACT_STATES.index(state) - 1]
    panel.show(before, 30.0, False)
    panel.show(state, 30.0, False)
    assert tuple(light.value for light in panel.lights) == EXPECTED[state]
    devices = [observed(panel.devices[lamp]) for lamp in LAMPS]
    assert devices == [expected_device(light) for light in EXPECTED[state]]


def test_a_blinking_lamp_really_toggles(mock_factory: MockFactory) -> None:
    lamp = Lamp(LED(17))
    try:
        lamp.show(Light.FAST)
        pin = mock_factory.pin(17)
        assert wait_until(lambda: len(pin.states) >= 4)
        pin.assert_states_and_times([(0.0, False), (0.0, True), (0.25, False), (0.25, True)])
    finally:
        assert lamp.led is not None
        lamp.led.close()


def test_showing_the_same_state_keeps_the_blink_rhythm(make_panel: Callable[..., Panel]) -> None:
    panel = make_panel(*LAMPS)
    panel.show("cooling", 70.0, False)
    thread = panel.devices["busy_led"]._blink_thread
    panel.show("cooling", 65.0, False)
    assert panel.devices["busy_led"]._blink_thread is thread
    assert thread is not None and thread.is_alive()


def test_needs_person_blinks_an_idle_fault_lamp_slowly(make_panel: Callable[..., Panel]) -> None:
    panel = make_panel(*LAMPS)
    panel.show("paused", 30.0, True)
    assert panel.lights == (Light.SLOW, Light.OFF, Light.SLOW)
    assert observed(panel.devices["fault_led"]) == "blink"
    panel.show("error", 30.0, True)
    assert panel.lights == (Light.OFF, Light.OFF, Light.ON)
    assert observed(panel.devices["fault_led"]) == "on"


def test_an_unknown_state_shows_as_error(make_panel: Callable[..., Panel]) -> None:
    panel = make_panel(*LAMPS)
    panel.show("confused", 30.0, False)
    assert panel.lights == (Light.OFF, Light.OFF, Light.ON)


def test_attention_sounds_once_on_entering_blocked_or_error(
    make_panel: Callable[..., Panel], mock_factory: MockFactory
) -> None:
    panel = make_panel("buzzer")
    buzzer = panel.devices["buzzer"]
    assert isinstance(buzzer, Buzzer)
    panel.show("ready", 30.0, False)
    assert buzzer._blink_thread is None
    panel.show("blocked", 30.0, True)
    thread = buzzer._blink_thread
    assert thread is not None
    assert wait_until(lambda: not thread.is_alive(), timeout=2.0)
    assert beeps(mock_factory, 23) == 3
    panel.show("blocked", 30.0, True)
    assert buzzer._blink_thread is thread
    panel.show("error", 30.0, True)
    assert buzzer._blink_thread is not thread


def test_printed_chirp_is_one_short_beep(
    make_panel: Callable[..., Panel], mock_factory: MockFactory
) -> None:
    panel = make_panel("buzzer")
    panel.chirp("printed")
    pin = mock_factory.pin(23)
    assert wait_until(lambda: len(pin.states) == 3)
    assert [s.state for s in pin.states] == [False, True, False]
    assert pin.states[2].timestamp == pytest.approx(0.08, abs=0.04)


def test_power_fail_chirp_is_long(make_panel: Callable[..., Panel], mock_factory: MockFactory):
    panel = make_panel("buzzer")
    panel.chirp("power_fail")
    pin = mock_factory.pin(23)
    assert wait_until(lambda: pin.state)
    assert not wait_until(lambda: not pin.state, timeout=0.3)


def test_unknown_chirp_is_refused(make_panel: Callable[..., Panel]) -> None:
    panel = make_panel("buzzer")
    with pytest.raises(ValueError, match="unknown chirp 'party'"):
        panel.chirp("party")  # type: ignore[arg-type]
