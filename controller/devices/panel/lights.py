"""Panel lights and buzzer: what each lamp shows in each station state, and the beeps."""

from __future__ import annotations

import enum
import threading

from gpiozero import LED, Buzzer

from contract.vocabulary import AlertCode, AttemptOutcome, StationState


class Light(enum.Enum):
    """What one lamp shows."""

    OFF = "off"
    ON = "on"
    SLOW = "slow"  # blinking, 1 s on and 1 s off
    FAST = "fast"  # blinking, 0.25 s on and 0.25 s off


BLINK_S: dict[Light, tuple[float, float]] = {Light.SLOW: (1.0, 1.0), Light.FAST: (0.25, 0.25)}

_OFF, _ON, _SLOW, _FAST = Light.OFF, Light.ON, Light.SLOW, Light.FAST

LIGHTS: dict[StationState, tuple[Light, Light, Light]] = {
    # state: (ready, busy, fault)
    StationState.STARTING: (_ON, _ON, _ON),  # lamp test while the station starts
    StationState.READY: (_ON, _OFF, _OFF),
    StationState.PRINTING: (_OFF, _ON, _OFF),
    StationState.COOLING: (_OFF, _SLOW, _OFF),
    StationState.PAUSED: (_SLOW, _OFF, _OFF),
    StationState.BLOCKED: (_OFF, _OFF, _FAST),
    StationState.ERROR: (_OFF, _OFF, _ON),
    StationState.STOPPING: (_OFF, _FAST, _OFF),
    StationState.OFFLINE: (_OFF, _OFF, _OFF),
}
ATTENTION_STATES = frozenset({StationState.BLOCKED, StationState.ERROR})


def lights_for(state: str, needs_person: bool) -> tuple[Light, Light, Light]:
    """(ready, busy, fault) for a contract state; `needs_person` slowly blinks an idle fault."""
    ready, busy, fault = LIGHTS[state]
    if needs_person and fault is Light.OFF:
        fault = Light.SLOW
    return ready, busy, fault


class Lamp:
    """An LED showing a `Light`; asking for the pattern it already shows keeps its rhythm."""

    def __init__(self, led: LED | None) -> None:
        self.led = led
        self.light = Light.OFF

    def show(self, light: Light) -> None:
        if light is self.light:
            return
        self.light = light
        if self.led is None:
            return
        if light is Light.ON:
            self.led.on()
        elif light is Light.OFF:
            self.led.off()
        else:
            on_s, off_s = BLINK_S[light]
            self.led.blink(on_time=on_s, off_time=off_s)


class Chirp(enum.StrEnum):
    """The buzzer's patterns, named after what they announce."""

    PRINTED = AttemptOutcome.PRINTED  # a good card came out
    ATTENTION = "attention"  # the station entered blocked or error
    POWER_FAIL = AlertCode.POWER_FAIL  # the UPS reported mains lost


CHIRPS: dict[Chirp, tuple[float, float, int]] = {
    # kind: (seconds on, seconds off, beeps)
    Chirp.PRINTED: (0.08, 0.05, 1),
    Chirp.ATTENTION: (0.15, 0.1, 3),
    Chirp.POWER_FAIL: (0.6, 0.3, 3),
}


class Beeper:
    """The buzzer's patterns; a new chirp cuts the one still sounding."""

    def __init__(self, buzzer: Buzzer | None) -> None:
        self.buzzer = buzzer
        self._lock = threading.Lock()

    def chirp(self, kind: Chirp) -> None:
        try:
            on_s, off_s, count = CHIRPS[kind]
        except KeyError:
            expected = ", ".join(CHIRPS)
            raise ValueError(f"unknown chirp {kind!r}, expected one of {expected}") from None
        if self.buzzer is None:
            return
        with self._lock:
            self.buzzer.beep(on_time=on_s, off_time=off_s, n=count)
