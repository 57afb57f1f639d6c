"""The `[panel]` section: the operator panel's GPIO pins (BCM numbers, 0: not fitted)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from controller.field_checks import CHECKS, OneOf, RuleProblem, Rules, checked, positive
from controller.said import said

from .factory import FACTORIES


def bcm_pin(value: int) -> str | None:
    return (
        None
        if 0 <= value <= 27
        else said("must be a BCM pin 1-27 or 0, got %(value)s", value=value)
    )


def pin() -> Any:
    """A GPIO pin, 0 when not fitted."""
    return checked(bcm_pin, default=0)


@dataclass(frozen=True)
class PanelSettings:
    # "" = gpiozero's choice; "lgpio" on a Pi 5; "mock" for training
    pin_factory: str = checked(OneOf(("", *FACTORIES)), default="")
    ready_led: int = pin()
    busy_led: int = pin()
    fault_led: int = pin()
    buzzer: int = pin()
    pause_button: int = pin()
    review_button: int = pin()
    review_hold_s: float = checked(positive, default=2.0)
    cover_switch: int = pin()  # closed (low) while the cabinet cover is shut
    fan: int = pin()
    fan_on_c: float = 60.0  # head model or CPU temperature that starts the fan
    fan_off_c: float = 50.0
    cpu_temp_file: str = "/sys/class/thermal/thermal_zone0/temp"
    power_fail: int = pin()  # low when the UPS reports mains lost

    def _one_use_per_pin(self) -> Iterator[RuleProblem]:
        used: dict[int, str] = {}
        for option in dataclasses.fields(self):
            number = getattr(self, option.name)
            if bcm_pin in option.metadata.get(CHECKS, ()) and number:
                if number in used:
                    yield (
                        option.name,
                        said(
                            "pin %(pin)s is already used by %(user)s", pin=number, user=used[number]
                        ),
                    )
                used.setdefault(number, option.name)

    def _fan_hysteresis(self) -> Iterator[RuleProblem]:
        if self.fan_off_c >= self.fan_on_c:
            yield "fan_off_c", said("must be below fan_on_c")

    RULES: ClassVar[Rules] = (_one_use_per_pin, _fan_hysteresis)
