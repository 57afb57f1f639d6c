"""Buttons, cover switch and power-fail line, driven through MockFactory pins."""

from __future__ import annotations

import time
from collections.abc import Callable

from gpiozero import Button
from gpiozero.pins.mock import MockFactory

from controller.devices.panel.board import Panel

from .conftest import HeldLowPin, Recorder, wait_until


def test_pause_button_toggles_once_per_press(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    make_panel("pause_button")
    pin = mock_factory.pin(5)
    pin.drive_low()
    assert actions.calls == [("toggle_pause",)]
    pin.drive_high()
    pin.drive_low()
    pin.drive_high()
    assert actions.calls == [("toggle_pause",), ("toggle_pause",)]


def test_review_short_press_is_printed(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    make_panel("review_button")
    pin = mock_factory.pin(6)
    pin.drive_low()
    assert actions.calls == []
    pin.drive_high()
    assert actions.calls == [("resolve_review", "printed")]
    time.sleep(0.1)  # twice the hold time: no late "spoiled"
    assert actions.calls == [("resolve_review", "printed")]


def test_review_hold_is_spoiled_and_its_release_reports_nothing(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    make_panel("review_button")
    pin = mock_factory.pin(6)
    pressed_at = time.monotonic()
    pin.drive_low()
    assert wait_until(lambda: bool(actions.calls))
    assert time.monotonic() - pressed_at >= 0.05
    assert actions.calls == [("resolve_review", "spoiled")]
    pin.drive_high()
    assert actions.calls == [("resolve_review", "spoiled")]
    pin.drive_low()
    pin.drive_high()
    assert actions.calls == [("resolve_review", "spoiled"), ("resolve_review", "printed")]


def test_a_hold_firing_after_its_release_is_ignored(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    panel = make_panel("review_button", review_hold_s=5.0)
    button = panel.devices["review_button"]
    assert isinstance(button, Button)
    pin = mock_factory.pin(6)
    pin.drive_low()
    pin.drive_high()
    button.when_held()  # the hold thread losing the race against the release
    pin.drive_low()
    button.when_held()  # a hold during the next press: "spoiled", its release nothing
    pin.drive_high()
    assert actions.calls == [("resolve_review", "printed"), ("resolve_review", "spoiled")]


def test_cover_reports_open_at_start_then_each_change(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    make_panel("cover_switch")
    assert actions.calls == [("cabinet_changed", True)]  # pulled up, nothing holds it low
    pin = mock_factory.pin(13)
    pin.drive_low()
    pin.drive_high()
    assert actions.calls == [
        ("cabinet_changed", True),
        ("cabinet_changed", False),
        ("cabinet_changed", True),
    ]


def test_cover_reports_shut_at_start(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    pin = mock_factory.pin(13, pin_class=HeldLowPin)
    make_panel("cover_switch")
    assert actions.calls == [("cabinet_changed", False)]
    pin.drive_high()
    assert actions.calls == [("cabinet_changed", False), ("cabinet_changed", True)]


def test_power_fail_is_reported_once_and_sounds(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    make_panel("power_fail", "buzzer")
    pin = mock_factory.pin(26)
    assert actions.calls == []
    pin.drive_low()
    assert actions.calls == [("power_failed",)]
    assert wait_until(lambda: mock_factory.pin(23).state)
    pin.drive_high()
    pin.drive_low()
    assert actions.calls == [("power_failed",)]


def test_power_already_failed_at_start_is_reported(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    mock_factory.pin(26, pin_class=HeldLowPin)
    make_panel("power_fail")
    assert actions.calls == [("power_failed",)]


def test_a_failing_action_does_not_break_the_panel(
    make_panel: Callable[..., Panel], mock_factory: MockFactory, actions: Recorder
) -> None:
    def broken() -> None:
        raise RuntimeError("station busy")

    actions.toggle_pause = broken  # type: ignore[method-assign]
    make_panel("pause_button", "review_button")
    mock_factory.pin(5).drive_low()
    mock_factory.pin(5).drive_high()
    mock_factory.pin(6).drive_low()
    mock_factory.pin(6).drive_high()
    assert actions.calls == [("resolve_review", "printed")]
