"""The operator panel on the Pi's GPIO: three lamps, a buzzer, pause and review buttons, the
cabinet cover switch, the cabinet fan and the UPS's power-fail line (docs/panel.md).

Every pin is optional (0 = not fitted). Inputs call a `PanelActions` object from gpiozero's
event threads; the station calls `show()` on every status change and `tick()` periodically.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Protocol, TypeVar

import structlog
from gpiozero import LED, Button, Buzzer, CPUTemperature, Device, DigitalInputDevice, OutputDevice
from gpiozero.pins import Factory

from contract.vocabulary import Resolution, StationState

from .factory import PanelError, check_factory_name, open_factory
from .fan import FanControl
from .inputs import CoverWatch, PowerFailLatch, ReviewGesture, guarded
from .lights import ATTENTION_STATES, LIGHTS, Beeper, Chirp, Lamp, Light, lights_for
from .settings import PanelSettings

__all__ = ["Panel", "PanelActions", "PanelError"]

log = structlog.get_logger(__name__)

BUTTON_BOUNCE_S = 0.05
COVER_BOUNCE_S = 0.05
POWER_FAIL_BOUNCE_S = 0.1

D = TypeVar("D", bound=Device)


class PanelActions(Protocol):
    """What the panel's inputs ask of the station (called from gpiozero's threads)."""

    def toggle_pause(self) -> None: ...

    def resolve_review(self, outcome: Resolution) -> None:
        """`outcome` is "printed" (short press) or "spoiled" (held)."""

    def cabinet_changed(self, is_open: bool) -> None: ...

    def power_failed(self) -> None: ...


class Panel:
    """The operator panel built from the [panel] section.

    Raises PanelError (one line) when the pin factory or a pin cannot be used. Reports the
    cabinet cover's state (and a power failure already present) while it is being built.
    """

    def __init__(self, section: PanelSettings, actions: PanelActions) -> None:
        check_factory_name(section.pin_factory)
        self._section = section
        self._lock = threading.Lock()
        self._devices: dict[str, Device] = {}
        self._closed = False
        self._state = ""
        self._head_c: float | None = None
        self._factory: Factory | None = None
        self._factory_opened = False  # at the first pin fitted: a panel without pins needs none
        try:
            self._build(actions)
        except BaseException:
            self.close()
            raise
        log.info("panel.ready", fitted=sorted(self._devices), pin_factory=section.pin_factory)

    @property
    def devices(self) -> Mapping[str, Device]:
        """The gpiozero devices built, by [panel] option name (plus "cpu_temperature")."""
        return MappingProxyType(self._devices)

    @property
    def lights(self) -> tuple[Light, Light, Light]:
        """What the (ready, busy, fault) lamps show now."""
        return self._ready.light, self._busy.light, self._fault.light

    @property
    def fan_on(self) -> bool:
        fan = self._fan.fan
        return fan is not None and bool(fan.is_active)

    def show(self, state: str, head_temp_c: float, needs_person: bool) -> None:
        """Show the station's status: lamps per docs/panel.md, the attention chirp on entering
        blocked or error, the fan re-evaluated."""
        if state not in LIGHTS:
            log.warning("panel.unknown_state", state=state)
            state = StationState.ERROR
        with self._lock:
            if self._closed:
                return
            lamps = (self._ready, self._busy, self._fault)
            for lamp, light in zip(lamps, lights_for(state, needs_person), strict=True):
                lamp.show(light)
            if state != self._state and state in ATTENTION_STATES:
                self._beeper.chirp(Chirp.ATTENTION)
            self._state, self._head_c = state, head_temp_c
            self._fan.update(head_temp_c)

    def chirp(self, kind: Chirp) -> None:
        """Sound a pattern: "printed", "attention" or "power_fail" (ValueError for others)."""
        with self._lock:
            if not self._closed:
                self._beeper.chirp(kind)

    def tick(self) -> None:
        """Re-evaluate the fan with the CPU temperature and the last head temperature shown."""
        with self._lock:
            if not self._closed:
                self._fan.update(self._head_c)

    def close(self) -> None:
        """Switch lamps, buzzer and fan off; release every pin and a pin factory it opened."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for device in reversed(self._devices.values()):
            if isinstance(device, OutputDevice):
                device.off()
            device.close()
        self._devices.clear()
        if self._factory is not None:
            self._factory.close()
        log.info("panel.closed")

    def _build(self, actions: PanelActions) -> None:
        section = self._section

        def led(pin: int) -> LED:
            return LED(pin, pin_factory=self._factory)

        def button(pin: int, **hold: float) -> Button:
            return Button(pin, bounce_time=BUTTON_BOUNCE_S, pin_factory=self._factory, **hold)

        self._ready = Lamp(self._fit(ready_led=led))
        self._busy = Lamp(self._fit(busy_led=led))
        self._fault = Lamp(self._fit(fault_led=led))
        self._beeper = Beeper(self._fit(buzzer=lambda pin: Buzzer(pin, pin_factory=self._factory)))
        fan = self._fit(fan=lambda pin: OutputDevice(pin, pin_factory=self._factory))
        self._fan = FanControl(
            fan,
            self._cpu_sensor() if fan is not None else None,
            on_c=section.fan_on_c,
            off_c=section.fan_off_c,
        )
        pause = self._fit(pause_button=button)
        if pause is not None:
            pause.when_pressed = guarded("pause_button", actions.toggle_pause)
        review = self._fit(review_button=lambda pin: button(pin, hold_time=section.review_hold_s))
        self._review = ReviewGesture(review, actions.resolve_review) if review is not None else None
        cover = self._fit(cover_switch=lambda pin: self._low_active(pin, COVER_BOUNCE_S))
        self._cover = CoverWatch(cover, actions.cabinet_changed) if cover is not None else None
        power = self._fit(power_fail=lambda pin: self._low_active(pin, POWER_FAIL_BOUNCE_S))
        self._power = None
        if power is not None:
            self._power = PowerFailLatch(power, self._power_failed(actions))

    def _fit(self, **build: Callable[[int], D]) -> D | None:
        """Build the device on one option's pin (`_fit(fan=builder)`), or nothing for pin 0."""
        ((option, make),) = build.items()
        pin = int(getattr(self._section, option))
        if not pin:
            return None
        if not self._factory_opened:
            self._factory = open_factory(self._section.pin_factory)
            self._factory_opened = True
        try:
            device = make(pin)
        except Exception as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise PanelError(f"[panel] {option}: cannot use GPIO{pin}: {reason}") from exc
        self._devices[option] = device
        return device

    def _low_active(self, pin: int, bounce_s: float) -> DigitalInputDevice:
        return DigitalInputDevice(
            pin, pull_up=True, bounce_time=bounce_s, pin_factory=self._factory
        )

    def _cpu_sensor(self) -> CPUTemperature | None:
        path = self._section.cpu_temp_file
        try:
            sensor = CPUTemperature(sensor_file=path, pin_factory=self._factory)
        except (OSError, ValueError) as exc:
            log.warning("panel.cpu_temp_unreadable", file=path, error=str(exc))
            return None
        self._devices["cpu_temperature"] = sensor
        return sensor

    def _power_failed(self, actions: PanelActions) -> Callable[[], None]:
        def failed() -> None:
            guarded("power_fail_chirp", self.chirp, Chirp.POWER_FAIL)()
            actions.power_failed()

        return failed
